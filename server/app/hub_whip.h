/* WHIP ingest (RFC 9725): a hardware or software encoder publishes into a room over HTTP.
 *
 *   POST   /whip/ROOM            the encoder's SDP offer -> 201 + answer, Location, ETag
 *   PATCH  /whip/resource/ID     trickle-ice-sdpfrag: candidates (204) or an ICE restart (200)
 *   DELETE /whip/resource/ID     the session ends (the participant leaves, reason "left")
 *   OPTIONS /whip/ROOM           204, Accept-Post: application/sdp
 *
 * The encoder is a participant with role `site` whose signalling is HTTP: it passes the same join
 * gate as a WebSocket `join` (the bearer value is a join token, or the room's PIN), enters
 * through hn_hub_enter and publishes through hn_room_publish like a browser. Its participant ids
 * are taken from a range of their own (hn_hub_whip_owns), so the room's output for them comes
 * here instead of a socket: the answer or error to the pending request, "connected" (its ICE and
 * DTLS came up), and a kick (its transport failed or went silent: the resource is gone, 404).
 * Everything else a room says to a participant is dropped for it.
 *
 * Thread: hn_hub_whip_owns, _deliver and _kick on any thread (the room's worker: they post to
 * the main loop); the rest on the main loop. */
#pragma once

#include <glib.h>
#include <stdint.h>

#include "app/hub.h"
#include "app/room_out.h"

/* Participant ids: WebSocket connections count from 1, WHIP sessions from 2^40, the SIP
 * gateway's room systems from 2^44 (app/hub.c, hn_hub_site_enter). */
#define HN_HUB_WHIP_PID_BASE          (UINT64_C(1) << 40)
#define HN_HUB_SITE_PID_BASE          (UINT64_C(1) << 44)
#define HN_HUB_WHIP_ANSWER_TIMEOUT_S  10 /* no answer from the room: 503, the session ends */
#define HN_HUB_WHIP_CONNECT_TIMEOUT_S 30 /* ICE/DTLS not up this long after the answer: ends */

static inline gboolean hn_hub_whip_owns(uint64_t pid)
{
    return pid >= HN_HUB_WHIP_PID_BASE && pid < HN_HUB_SITE_PID_BASE;
}

/* Adds the /whip routes (before the signalling front starts); timers run on ctx. */
void hn_hub_whip_register(HnHub *hub, GMainContext *ctx);
/* Answers pending requests 503 and forgets every session (their participants stay in the hub's
 * table, which the hub frees). NULL-safe. */
void hn_hub_whip_free(HnHub *hub);
/* Ends the WHIP session of pid (the chair removed it, the meeting ended) at the next loop turn:
 * the participant leaves with why, the resource is gone. Nothing when pid has no session. */
void hn_hub_whip_end(HnHub *hub, uint64_t pid, const char *why);
/* The room's output for a WHIP participant (worker thread). out: transfer none. */
void hn_hub_whip_deliver(HnHub *hub, uint64_t pid, const HnRoomOut *out);
/* The room dropped the WHIP participant (worker thread). */
void hn_hub_whip_kick(HnHub *hub, uint64_t pid, const char *reason);

/* The `Link: <URL>; rel="ice-server"` headers of `[whip] ice_servers` (RFC 9725 section 4.6)
 * onto req, for WHIP and WHEP. TURN credentials only when authorised (the request passed the
 * join gate) or, for an OPTIONS, when its Authorization is a join token good for room now (a
 * PIN is not checked there: that would be a guessing oracle beside the limiter). */
struct HnHttpRequest;
void hn_hub_whip_add_ice_links(HnHub *hub, struct HnHttpRequest *req, const char *room,
                               gboolean authorised);
