/* The recorder: one thread that writes every recorded track of every room to the archive.
 *
 * Why a thread of its own: forwarding must never wait on a disk. A media worker hands the
 * recorder what its router's tap saw (hn_rec_session_rtp / _sr) through a bounded queue
 * (HN_REC_QUEUE_BYTES per recording): the worker only copies the packet; when a slow disk lets
 * the queue fill, packets are dropped and counted (drops "queue"), never waited for. The thread
 * writes one crash-safe .hnr file per published track (record/hnr.h), fdatasync()s every file
 * about once a second (kill -9 loses at most ~2 s), rewrites manifest.json atomically about
 * every 10 s (docs/recording.md, the shared manifest layout), and checks the free space of the
 * archive every second: below the reserve the recording stops by itself (reason "disk").
 *
 * When a recording stops, a finishing thread remuxes each .hnr into a playable file without
 * transcoding (VP8/Opus -> .webm, H.264 -> .mkv; GStreamer appsrc -> depayloader -> muxer,
 * timestamps from the RTP timestamps so gaps stay gaps), computes the SHA-256 of every file and
 * writes the final manifest (state "complete"); then the recorder tells the main loop
 * (HN_REC_READY). At start, hn_recorder_recover() finishes the recordings a crash left in state
 * "recording" the same way and marks them "interrupted".
 *
 * The composed file (record/composer.h, docs/recording.md): with compose "live" the recorder
 * thread starts a live composer with the recording's first span of a meeting folder and hands it
 * a copy of every record it writes (hn_composer_push never blocks); the finishing thread ends it
 * first, then remuxes. A folder with more than one recording span (stopped, started again), an
 * interrupted one, a live composition that failed, and compose "after" are composed from the
 * track files on the finishing thread (hn_compose_folder). Either way `composed` and the file's
 * `files` entry are in the manifest before its state becomes "complete" and READY goes out.
 *
 * Threads: hn_recorder_* and hn_rec_session_start/stop on the main loop; hn_rec_session_rtp,
 * _sr, _track, _track_end, _joined, _left from any thread (a room's worker); the callback runs on
 * the main context given. */
#pragma once

#include <glib.h>
#include <stdint.h>

#include "core/codec.h"
#include "core/rtcp.h"

#define HN_REC_QUEUE_BYTES        (8u << 20) /* queued packet bytes per recording, then drops */
#define HN_REC_FLUSH_US           1000000    /* fdatasync of every track file */
#define HN_REC_MANIFEST_US        10000000   /* manifest.json rewritten */
#define HN_REC_DISK_CHECK_US      1000000    /* statvfs of the archive */
#define HN_REC_DEFAULT_RESERVE_MB 500

typedef struct HnRecorder HnRecorder;
typedef struct HnRecSession HnRecSession;

typedef enum {
    HN_REC_STOPPED_DISK,  /* the recorder stopped a recording itself: free space below reserve */
    HN_REC_STOPPED_ERROR, /* ... or it could not write its folder */
    HN_REC_READY,         /* the files of a stopped recording are finished (dir, manifest) */
} HnRecEventType;

typedef struct {
    HnRecEventType type;
    HnRecSession *session; /* transfer none */
    const char *room;
    const char *dir; /* the meeting's archive folder */
    int64_t meeting_id;
    gboolean interrupted; /* READY of a recording recovered after a crash (session NULL) */
} HnRecEvent;

typedef void (*HnRecEventFn)(void *user, const HnRecEvent *ev);

typedef struct {
    const char *data_dir;   /* <data_dir>/archive/... */
    guint64 reserve_mb;     /* free space kept on the archive's file system */
    const char *format;     /* "webm" (default) or "mp4": the composed file's container */
    const char *compose;    /* "live" (default), "after" or "off": the composed file */
    const char *layout;     /* "speaker" (default) or "grid" */
    GMainContext *main_ctx; /* where on_event runs (transfer none) */
    HnRecEventFn on_event;
    void *user;
} HnRecorderConfig;

/* Starts the recorder thread. cfg copied. transfer full. */
HnRecorder *hn_recorder_new(const HnRecorderConfig *cfg);
/* Stops every recording (finishing their files: waits for it), then the thread. NULL ok. */
void hn_recorder_free(HnRecorder *rec);
/* Scans <data_dir>/archive for manifests in state "recording" (a crash), finishes their files
 * on the finishing thread and marks them "interrupted" (one log line each; READY with
 * interrupted TRUE when done). Returns how many were found. */
guint hn_recorder_recover(HnRecorder *rec);

/* What a recording is of. Strings copied. */
typedef struct {
    const char *room, *title;
    int64_t meeting_id;
    int64_t meeting_started_ms; /* the meeting's start: the folder's date, the timeline's 0 */
    const char *by;             /* who started it (a name, "api", "auto") */
    const char *reason;         /* "chair", "api", "auto" */
} HnRecInfo;

/* Starts a recording into the meeting's folder (made; an earlier recording of the same meeting
 * there is continued: its manifest is read back and the new tracks get new files). transfer full
 * (one reference for the caller); NULL + error when the folder cannot be made. */
HnRecSession *hn_rec_session_start(HnRecorder *rec, const HnRecInfo *info, GError **error);
/* Stops it (idempotent): nothing queued after this is written; its files are finished on the
 * finishing thread, then HN_REC_READY. reason: "chair", "api", "meeting-ended", ... */
void hn_rec_session_stop(HnRecSession *s, const char *by, const char *reason);
/* The meeting's id became known after the start (the store answered): the manifest's "meeting"
 * says it from its next write (the folder keeps its name). */
void hn_rec_session_set_meeting(HnRecSession *s, int64_t meeting_id);
HnRecSession *hn_rec_session_ref(HnRecSession *s);
void hn_rec_session_unref(HnRecSession *s);
/* The meeting's folder. transfer none, valid while s is. */
const char *hn_rec_session_dir(const HnRecSession *s);
gboolean hn_rec_session_active(const HnRecSession *s);

/* --- capture (any thread: the room's worker) ---------------------------------------------- */

/* A participant in the recorded meeting (those present at the start, then every join). */
void hn_rec_session_joined(HnRecSession *s, const char *participant, const char *name,
                           const char *role, int64_t now_ms);
void hn_rec_session_left(HnRecSession *s, const char *participant, int64_t now_ms);
/* A track of producer_id: whose, and what (kind "audio"/"video", source "mic"/"camera"/
 * "screen"); its file opens at its first packet (video: its first key frame). */
void hn_rec_session_track(HnRecSession *s, uint32_t producer_id, const char *participant,
                          const char *name, const char *kind, const char *source);
void hn_rec_session_track_end(HnRecSession *s, uint32_t producer_id);
/* One RTP packet of producer_id as the publisher sent it (copied): dropped and counted when the
 * recording's queue is full. */
void hn_rec_session_rtp(HnRecSession *s, uint32_t producer_id, const uint8_t *buf, size_t len,
                        HnCodecId codec, uint8_t pt, uint32_t clock_rate, gboolean keyframe);
/* One sender report of producer_id's publisher (kept as an RTCP SR record). */
void hn_rec_session_sr(HnRecSession *s, uint32_t producer_id, const HnRtcpSenderInfo *sr);

typedef struct {
    guint64 recordings_started, recordings_active;
    guint64 packets, bytes;           /* written to track files */
    guint64 drops_queue, drops_write; /* packets lost to a full queue, to a failed write */
    guint64 files_finished, recovered;
} HnRecorderStats;

/* Thread-safe snapshot (for /metrics). rec NULL: zeros. */
void hn_recorder_get_stats(HnRecorder *rec, HnRecorderStats *out);

/* Remuxes one track file into a playable one (VP8/Opus -> WebM, H.264 -> Matroska) with
 * GStreamer, without transcoding. Writes out_path; returns the packets read, or -1 + error.
 * Any thread (blocking). */
gint64 hn_rec_remux(const char *hnr_path, const char *out_path, GError **error);
/* The hex SHA-256 of a file. transfer full; NULL on a read error. */
char *hn_rec_sha256_file(const char *path);
