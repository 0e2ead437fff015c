/* What a SIP room system receives: the room's composed picture and its own mix-minus
 * (gateway/picture.h), joined to the gateway's media seam (gateway/sip_media.h).
 *
 *   call's worker: start() -> maps the negotiated streams to picture output classes
 *                  (hn_sip_picture_map) -> posts the attach to the main loop
 *   main loop:     hn_picture_attach(room, self = the endpoint's pid, video class, audio codec)
 *   GStreamer:     each packet -> the call's inject ring (copied, never blocks)
 *   call's worker: the ring delivers -> hn_sip_media_send (protected in place in the ring's slot)
 *
 * keyframe() (the endpoint's PLI / FIR / INFO picture_fast_update) and stop() go to the main loop
 * (hn_picture_output_keyframe, hn_picture_detach). A call's handle is refcounted: stop() closes
 * its ring on the worker (nothing reaches `out` after), the main loop detaches (no callback
 * after) and drops the last reference. A composition that cannot start (no encoder, room gone)
 * leaves the call up with nothing sent, logged once per call. */
#pragma once

#include <glib.h>

#include "gateway/picture_class.h"
#include "gateway/sip_media.h"

struct HnHub;

/* Default bitrates (kbit/s) of the picture sent to a room system that said no b=AS / b=TIAS,
 * by the size chosen (hn_sip_picture_map). */
#define HN_SIP_PICTURE_KBPS_720 1500
#define HN_SIP_PICTURE_KBPS_360 640
#define HN_SIP_PICTURE_KBPS_LOW 256

/* The output classes of a call's negotiated streams (pure). v: the first video stream the
 * picture can encode (H.264 with its profile-level-id and packetization-mode, or VP8), sized to
 * what the H.264 level allows (3.1 and up: 1280 x 720; 2.2 / 3.0: 640 x 360; 1.1-2.1:
 * 320 x 180; below: 160 x 90) at the default bitrate for the size, capped by bitrate_kbps when
 * > 0 and by the stream's max_kbps (its offer's b=AS / b=TIAS) when > 0; a: the first audio stream
 * (Opus, G.722, PCMU, PCMA). plid receives the profile-level-id v points to. Returns a bit set: 1
 * video mapped, 2 audio mapped. */
int hn_sip_picture_map(const HnSipMediaCall *call, int bitrate_kbps, HnPictureVideoCfg *v,
                       char plid[7], HnPictureAudioCfg *a);

/* The bitrate (kbit/s) of the picture a video stream of encoding / fmtp whose offer said
 * max_kbps (0: nothing) receives, as the encoder makes it (rounded down to
 * HN_PICTURE_KBPS_STEP, at least HN_PICTURE_KBPS_MIN): what the answer's b=AS says. 0 when the
 * picture cannot be encoded for it. Pure. */
int hn_sip_picture_video_kbps(const char *encoding, uint8_t pt, const char *fmtp,
                              uint32_t max_kbps);

/* The provider for hn_sip_gateway_set_media: every call receives the picture of hub's rooms.
 * hub: transfer none, outlives the gateway. */
void hn_sip_picture_provider(struct HnHub *hub, HnSipMediaProvider *out);
