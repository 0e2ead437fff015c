/* The composer: one picture and one sound of a meeting, encoded into one file a clerk can play.
 *
 *   per video track: appsrc (RTP) -> depayloader -> decoder -> compositor pad (tile)
 *   per audio track: appsrc (RTP) -> depayloader -> decoder -> audiomixer pad (level measured)
 *   compositor -> names drawn on the tiles -> tee -> queue -> encoder --\
 *   audiomixer ------------------------------> tee -> queue -> encoder ---> muxer -> filesink
 *
 * The tees are where more outputs attach (hn_composer_output_add: the picture and mix sent to SIP
 * endpoints and WHEP viewers get their own queue + encoder on the same composition;
 * docs/room-systems.md). Each audio track's decoded sound goes through a tee of its own too, so
 * that an audio output mixes every track but those of one participant (mix-minus):
 *
 *   track tee -> queue -> main audiomixer
 *             -> queue -> output's audiomixer (all but its participant) -> encoder -> appsink
 *   vtee -> queue (leaky) -> output's scaler + encoder + payloader -> appsink
 *
 * With cfg->output NULL (live only) no file is written: the composition runs for its outputs.
 *
 * Timing: every RTP packet is placed on the meeting's wall clock by the timeline (timeline.h:
 * sender reports, NTP <-> RTP, each publisher's NTP clock mapped to the server's), and its buffer
 * time is that place minus cfg->start_us. Packets are put back in sequence order (a window of a
 * few packets, ~100 ms) before the depayloader; what comes too late for it is dropped and counted.
 *
 * Two modes:
 * - live: the pipeline runs on the wall clock (running time = wall - start_us); the recorder
 *   pushes each record as it captures it (hn_composer_push copies it into a bounded queue and
 *   returns at once; a full queue drops and counts); a feeder thread places and pushes them; the
 *   mixer waits cfg->latency_ms for late packets, then goes on without them.
 * - after (live = FALSE): no clock; the tracks are read as fast as the CPU allows. Push every
 *   RTCP record of every track first (they are all taken into the timeline), then the RTP records
 *   (several threads may push, one per track; hn_composer_push then blocks while that track's
 *   input is full). The pipeline starts with the first RTP record.
 *
 * Layout (layout.h): tiles appear when a track's first picture is due and disappear when it ends
 * or has shown nothing for 1 s; a "screen" track is large, else the active speaker (from the
 * decoded audio's level).
 *
 * Thread: new/add_track/end_track/finish/free from one controlling thread; push from the
 * recorder's thread (live) or from the readers' threads (after). */
#pragma once

#include <glib.h>
#include <jansson.h>
#include <stdint.h>

#include "record/hnr.h"
#include "record/layout.h"

typedef enum {
    HN_COMPOSE_WEBM = 0, /* VP8 + Opus */
    HN_COMPOSE_MP4 = 1,  /* H.264 + AAC (or Opus with mp4_opus) */
} HnComposeFormat;

typedef struct {
    int width, height, fps; /* 0: 1280, 720, 15 */
    HnLayoutKind layout;
    HnComposeFormat format;
    gboolean mp4_opus;
    const char *output; /* the file to write (transfer none; copied); NULL (live): none */
    gboolean live;
    int64_t start_us;    /* wall clock (us since the epoch) of the file's 0; live: 0 = now */
    int64_t duration_us; /* after: the file's length (0: until the last track ends) */
    int latency_ms;      /* live: how long the mixer waits for late packets (0: 1000) */
    int bitrate_kbps;    /* video; 0: 1500 at 720p, scaled with the area */
} HnComposerConfig;

typedef struct {
    uint64_t packets;     /* RTP records pushed to the pipeline */
    uint64_t dropped;     /* records lost: queue full, input full, too late to reorder */
    uint64_t bad;         /* malformed RTP/RTCP, unknown payload type or track */
    uint64_t frames_out;  /* composed pictures encoded */
    uint64_t frames_in;   /* decoded pictures of all tracks */
    uint64_t frames_late; /* the picture: composed frames found late (the compositor then skips) */
    int64_t duration_us;  /* of the composed file so far */
} HnComposerStats;

typedef struct HnComposer HnComposer;

/* Builds the pipeline writing cfg->output (the live one starts running). transfer full; NULL
 * + error (missing GStreamer element, bad config). Calls gst_init() if needed. */
HnComposer *hn_composer_new(const HnComposerConfig *cfg, GError **error);
/* Adds a track from its .hnr header (kind, codec, clock_rate, pt, participant, name, source;
 * transfer none). Returns its index (>= 0), or -1 for a header it cannot compose (logged). */
int hn_composer_add_track(HnComposer *c, const json_t *hnr_header);
/* One record of track (transfer none: copied). Live: never blocks (bounded queue, drops counted).
 * After: see above. Unknown track or malformed record: counted in bad. */
void hn_composer_push(HnComposer *c, int track, const HnHnrRecord *rec);
/* The track has ended (its tile and voice go away once its last packet is played). */
void hn_composer_end_track(HnComposer *c, int track);
/* Ends the composition (live: at the current time; after: once every track has ended), waits
 * until the file is complete (at most timeout_s; 0 = no limit). FALSE + error if the pipeline
 * failed. Call once. */
gboolean hn_composer_finish(HnComposer *c, int timeout_s, GError **error);
/* Counters so far (any thread). */
void hn_composer_stats(HnComposer *c, HnComposerStats *out);
/* Stops whatever runs and frees. NULL ok. */
void hn_composer_free(HnComposer *c);

/* The `after` mode: composes <meeting_dir>/manifest.json's tracks (or every .hnr file in tracks/
 * when there is no manifest) into cfg->output (NULL: <meeting_dir>/meeting.webm|.mp4), as fast as
 * the CPU allows, then records it in manifest.json ("composed", and its "files" entry with
 * SHA-256). cfg->start_us/duration_us 0: from the manifest's recording (else the tracks' first and
 * last packets). With live = TRUE it instead replays the tracks through the live path at their own
 * pace (tests and the benchmark). stats may be NULL. */
gboolean hn_compose_folder(const char *meeting_dir, const HnComposerConfig *cfg,
                           HnComposerStats *stats, GError **error);

/* Packets of an output (one buffer of the appsink: an RTP packet when desc ends with a payloader),
 * on a GStreamer streaming thread: data valid during the call only. time_us: the instant of the
 * composition the buffer shows or plays (its PTS as a pipeline clock time, in CLOCK_REALTIME
 * microseconds; the same for a picture and the sound composed at that instant, whatever the
 * encoders' delays), -1 when unknown. */
typedef void (*HnComposerPacketFn)(void *user, const uint8_t *data, size_t len, int64_t time_us);
/* Attaches an output to a running live composition. video: desc (gst-launch syntax, e.g.
 * "videoscale ! video/x-raw,width=640,height=360 ! x264enc ! rtph264pay") takes the composed
 * picture (I420) after a leaky queue; audio: desc takes a mix of every audio track except
 * those of participant exclude (NULL: all), S16LE 48 kHz stereo after audioconvert and
 * audioresample. fn gets each buffer desc outputs. Returns the output's id (> 0), or -1 +
 * error (bad description). The controlling thread. */
int hn_composer_output_add(HnComposer *c, gboolean video, const char *exclude, const char *desc,
                           HnComposerPacketFn fn, void *user, GError **error);
/* Asks the encoder of video output id for a key frame (a GstForceKeyUnit upstream event). */
void hn_composer_output_keyframe(HnComposer *c, int id);
/* Detaches output id: fn is not called after this returns. Unknown ids are ignored. */
void hn_composer_output_remove(HnComposer *c, int id);

/* "webm" | "mp4" | "mp4-opus" -> cfg fields; FALSE for anything else. */
gboolean hn_compose_parse_format(const char *s, HnComposerConfig *cfg);
