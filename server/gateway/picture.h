/* The composed picture of a room, for room systems (SIP) and WHEP viewers: one composition per
 * room (record/composer.h without a file), running while at least one output is attached.
 *
 *   room worker: router tap (hn_room_feed) -> copy into a bounded queue (drops counted)
 *   "hn-picture" thread: tracks opened in the composer (video at a key frame), outputs added
 *   GStreamer: composition -> per class: scale + encoder + payloader -> every output of the class
 *                          -> per audio output: a mix of everyone but its participant -> codec
 *
 * Why a router tap and not an attached participant (hn_room_attach with a local leg): the tap
 * hands over the publishers' own packets and sender reports (the composer's timeline lines audio
 * and video up with them), every simulcast layer (the composition keeps the one it started with,
 * the highest), and costs the room no consumer, no congestion control for a leg that never sends
 * receiver reports, no last-N or layer choice, no roster special case. The recorder does the same.
 *
 * Outputs: a video output belongs to a class (gateway/picture_class.h: codec, size, bitrate step,
 * fps, H.264 profile-level-id and packetization-mode): one encoder per class, shared by all its
 * outputs, each packet copied with the output's payload type written in. An audio output is its
 * own mix-minus (one audiomixer per output) in its codec and payload type.
 *
 * The callback (HnPictureRtpFn) runs on a GStreamer streaming thread: the receiver hands the
 * packet to its own thread (an inject ring, transport/inject.h, or a socket send are fine from
 * any thread) and returns at once; it must not call hn_picture_* from inside.
 *
 * Thread: hn_pictures_*, hn_picture_attach/keyframe/detach on the main loop. */
#pragma once

#include <glib.h>
#include <stddef.h>
#include <stdint.h>

#include "gateway/picture_class.h"

typedef struct HnPictures HnPictures;
typedef struct HnPictureOutput HnPictureOutput;
struct HnHub;

/* video: TRUE for a packet of the picture, FALSE for the mix. rtp: valid during the call.
 * time_us: the composition instant it shows or plays (HnComposerPacketFn), the base of RTCP
 * sender reports; -1 when unknown (a forwarded participant). */
typedef void (*HnPictureRtpFn)(void *user, gboolean video, const uint8_t *rtp, size_t len,
                               int64_t time_us);

typedef struct {
    int width, height, fps; /* of the composition; 0: 1280 x 720, 25 */
    int layout;             /* HnLayoutKind (record/layout.h): 0 speaker */
    int latency_ms;         /* how long the mixer waits for late packets; 0: 200 */
} HnPictureConfig;

typedef struct {
    uint64_t packets_in;   /* RTP packets handed to the composer */
    uint64_t drops_queue;  /* lost to a full queue between the worker and the picture thread */
    uint64_t encoders;     /* video classes running now */
    uint64_t outputs;      /* outputs attached now */
    uint64_t packets_out;  /* RTP packets given to the outputs' callbacks */
    uint64_t compositions; /* compositions running now (0 or 1 per room) */
} HnPictureStats;

/* The rooms' pictures of a hub. transfer full. */
HnPictures *hn_pictures_new(const HnPictureConfig *cfg);
/* Detaches whatever is still attached and stops every composition. NULL ok. */
void hn_pictures_free(HnPictures *ps);
void hn_pictures_get_stats(HnPictures *ps, HnPictureStats *out);
/* Someone is in room (its HnRoom on worker): a picture with outputs whose room had closed (its
 * HnRoom freed when the last participant left) is fed by this one. Cheap when nothing to do. */
struct HnRoom;
struct HnWorker;
void hn_pictures_room_open(HnPictures *ps, const char *room, struct HnWorker *worker,
                           struct HnRoom *hroom);

/* Attaches an output to room's composition (started when it is the first): its picture in v's
 * class (v NULL: no video) and the mix of everyone but participant self_pid (0: everyone) in
 * a's codec (a NULL: no audio). The room must be open (someone in it). fn(user, ...) gets the
 * packets. Returns the output, or NULL + error (room not open, configuration not encodable). */
HnPictureOutput *hn_picture_attach(struct HnHub *hub, const char *room, uint64_t self_pid,
                                   const HnPictureVideoCfg *v, const HnPictureAudioCfg *a,
                                   HnPictureRtpFn fn, void *user, GError **error);
/* Attaches a forward output: participant pid's own camera (one simulcast layer, from a key frame,
 * when published in vcodec, HN_PICTURE_VP8 or _H264: another codec is not transcoded) and its
 * microphone (Opus), as published, with payload types vpt and apt and without header extensions;
 * no composition runs for it. A key frame is asked of the participant's camera now and at each
 * hn_picture_output_keyframe. fn runs on the picture thread (same rules). NULL + error: room not
 * open, bad arguments. (A WHEP viewer of one participant.) */
HnPictureOutput *hn_picture_attach_participant(struct HnHub *hub, const char *room, uint64_t pid,
                                               int vcodec, uint8_t vpt, uint8_t apt,
                                               HnPictureRtpFn fn, void *user, GError **error);
/* A key frame on the output's encoder soon (its FIR / PLI / SIP INFO picture_fast_update). */
void hn_picture_output_keyframe(HnPictureOutput *o);
/* Detaches: fn is not called after this returns. The last output of a room stops its
 * composition. NULL ok. */
void hn_picture_detach(HnPictureOutput *o);
