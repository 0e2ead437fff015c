/* WHEP egress (draft-ietf-wish-whep): a viewer (a hall screen, a hamlet TV box) gets a room's
 * composed picture and the mix of everyone (gateway/picture.h) over WebRTC.
 *
 *   POST /whep/ROOM, application/sdp offer (recvonly video + audio: VP8 or H.264, Opus),
 *     Authorization: Bearer <join token> (checked by the join gate as a WebSocket join is)
 *     -> 201, the answer (application/sdp, every candidate in it: no trickle),
 *        Location: /whep/resource/<unguessable id>
 *   DELETE /whep/resource/<id> -> 200; unknown -> 404.
 *
 * The viewer's peer connection is a GStreamer webrtcbin fed with the RTP of a picture output
 * (appsrc): the picture's encoders are shared with the room systems of the same class, the
 * viewer costs one payload copy and its SRTP. Its PLI/FIR reach the encoder as a key frame
 * request. The viewer is not a participant: nobody in the room sees it.
 *
 * Errors: 401 (no or refused token), 404 (nobody in the room), 400 (no VP8/H.264 video or Opus
 * audio in the offer, malformed SDP), 415 (empty body), 503 (the answer was not ready in 10 s).
 * Thread: main loop. */
#pragma once

#include "app/hub_priv.h"

/* Adds the /whep routes (before the signalling front starts). */
void hn_hub_whep_register(HnHub *hub, GMainContext *main_ctx);
/* Ends every viewer. */
void hn_hub_whep_free(HnHub *hub);
