/* The hub's side of the composed pictures (gateway/picture.h): the pictures of its rooms, the
 * room lookup they need, and a debug-only REST path that attaches an output sending plain RTP to
 * a port on 127.0.0.1 (the integration tests' user of the seam until the SIP gateway and WHEP
 * are its users; enabled only by the environment variable HOINGHI_DEBUG_PICTURE=1, refused with
 * 404 otherwise: docs/room-systems.md). Thread: main loop only. */
#pragma once

#include "app/hub_priv.h"

/* Detaches the debug outputs and stops every composition. */
void hn_hub_picture_free(HnHub *hub);
/* POST /api/v1/rooms/{name}/picture {"port", "exclude", "video": {codec, pt, width, height,
 * bitrate_kbps, fps, profile_level_id, packetization_mode}, "audio": {codec, pt}}: 201 {"id"};
 * the video's RTP goes to 127.0.0.1:port, the audio's to port + 2.
 * POST .../picture/{id}/keyframe: 204. DELETE .../picture/{id}: 204, unknown 404. */
struct HnApiCall;
void hn_api_picture(struct HnApiCall *c);
