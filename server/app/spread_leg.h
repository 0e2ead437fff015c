/* spread_leg.h - a subscriber whose WebRTC transport lives on another worker (issue 14: one room
 * across workers).
 *
 * The room (its model, router and publishers) stays on its home worker; a spread subscriber's
 * transport (ICE-lite connection, DTLS, SRTP) is opened on another worker's shared sockets, and
 * the room holds this proxy leg (HN_LEG_RELAY) in its place. The router rewrites each copy on the
 * home worker as for any leg; send_rtp / send_rtcp push the plain packet into the home -> remote
 * relay (transport/worker.h), and the remote worker protects and sends it from the relay's slot.
 * What the subscriber sends (RTCP: NACK, PLI, REMB, transport-cc) comes back through the
 * remote -> home relay to the room's on_rtcp; connected and failed come back as mailbox calls.
 * is_connected, last_rx_us and the counters are mirrored in atomics the remote worker updates
 * (every HN_SPREAD_LEG_SYNC_MS and at once on connect).
 *
 * No round trip at set-up: the home worker draws the ICE credentials, the certificate is shared
 * and the remote worker's candidates are its sockets', so the room writes its offer at once while
 * the transport is opened by a call posted to the remote worker. set_remote, ICE restart (new
 * credentials drawn here too), mark_audio and the free are posted the same way, in order.
 *
 * Lifetimes: the proxy and the remote transport never point at each other; each looks the other
 * up by a key registered on its own worker (hn_worker_relay_register), so whatever arrives after
 * one side is gone finds nothing and is dropped (counted per relay as "unknown"). The mirrored
 * state is refcounted (one reference per side).
 *
 * Thread: everything here on the home worker (the room's), the remote part on the remote worker. */
#pragma once

#include <glib.h>

#include "core/leg.h"
#include "transport/cert.h"
#include "transport/ice.h"
#include "transport/worker.h"

#define HN_SPREAD_LEG_SYNC_MS 250

/* A proxy on home (the calling thread's worker) for a transport opened on remote (!= home; both
 * of a pool whose relays are open, hn_worker_pool_open_relays). ice and cert: transfer none, they
 * outlive the leg. transfer full (hn_leg_destroy); NULL when no credentials can be drawn. */
HnLeg *hn_spread_leg_new(HnWorker *home, HnWorker *remote, const HnIceSettings *ice, HnCert *cert);
/* TRUE when leg is a spread leg. */
gboolean hn_spread_leg_is(const HnLeg *leg);
/* The worker its transport lives on. */
HnWorker *hn_spread_leg_worker(HnLeg *leg);
/* Local ICE credentials for the description (transfer none, valid until the next restart). */
const char *hn_spread_leg_ufrag(HnLeg *leg);
const char *hn_spread_leg_pwd(HnLeg *leg);
/* The remote worker's host candidates (transfer none). */
char *const *hn_spread_leg_candidates(HnLeg *leg);
/* As hn_webrtc_transport_set_remote, posted: -EINVAL for missing values; a failure on the
 * remote worker comes back as on_failed. */
int hn_spread_leg_set_remote(HnLeg *leg, const char *ufrag, const char *pwd, const char *fp_alg,
                             const char *fp, gboolean dtls_server);
/* As hn_webrtc_transport_restart_ice (new credentials at once, applied remotely). 0 or -EIO. */
int hn_spread_leg_restart_ice(HnLeg *leg);
