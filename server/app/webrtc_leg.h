/* The WebRTC implementation of the participant leg (core/leg.h): an HnLeg over one
 * HnWebrtcTransport (ICE, DTLS, SRTP). What only a browser leg has (ICE credentials, the DTLS
 * fingerprint exchange, trickled candidates) stays here, beside the HnLeg the room and router
 * see. Thread: the worker thread of ctx, like the transport. */
#pragma once

#include <glib.h>

#include "core/leg.h"
#include "transport/webrtc_transport.h"

typedef struct HnWebrtcLeg HnWebrtcLeg;

/* A local candidate gathered for the leg ("candidate:...", NULL = gathering done). */
typedef void (*HnWebrtcLegCandidateFn)(void *owner, HnLeg *leg, const char *candidate);

/* A leg on ctx (see hn_webrtc_transport_new for ice, mux, cert and controlling). on_candidate
 * reaches leg->owner once adopted. transfer full: destroy with hn_leg_destroy(); NULL when the
 * transport cannot be made (no randomness for ICE credentials, no ICE agent), logged. */
HnLeg *hn_webrtc_leg_new(GMainContext *ctx, const HnIceSettings *ice, HnUdpMux *mux, HnCert *cert,
                         gboolean controlling, HnWebrtcLegCandidateFn on_candidate);
/* The transport under a WebRTC leg (transfer none), NULL when leg is another kind. */
HnWebrtcTransport *hn_webrtc_leg_transport(HnLeg *leg);
