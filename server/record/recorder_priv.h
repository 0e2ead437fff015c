/* Shared by record/recorder.c (the thread) and record/finish.c (remux, checksums, recovery). */
#pragma once

#include <jansson.h>

#include "record/composer.h"
#include "record/recorder.h"

/* One folder to finish on the finishing thread. */
typedef struct {
    char *dir, *room;
    json_t *manifest; /* transfer full; NULL: read it from dir (recovery) */
    int64_t meeting_id;
    HnRecSession *session; /* a reference, or NULL (recovery) */
    gboolean interrupted;  /* found in state "recording" at start */
    HnComposer *composer;  /* the live composition of this span (transfer full), or NULL */
    gboolean compose;      /* no live one: compose the folder from its tracks (`after`) */
} HnRecFinish;

/* Finishing thread: playable files, SHA-256, final manifest, then hn_rec_finished. */
void hn_rec_finish(HnRecFinish *f, HnRecorder *rec);
/* Tells the main loop (HN_REC_READY). */
void hn_rec_finished(HnRecorder *rec, HnRecFinish *f, gboolean interrupted);
/* Writes dir/manifest.json atomically (tmp, fdatasync, rename). */
gboolean hn_rec_manifest_write(const char *dir, json_t *manifest);
void hn_rec_push_finish(HnRecorder *rec, HnRecFinish *f);
const char *hn_rec_format(const HnRecorder *rec);
const char *hn_rec_data_dir(const HnRecorder *rec);
/* "live", "after" or "off"; the composer's settings (format, layout, 720p) with output NULL. */
const char *hn_rec_compose_mode(const HnRecorder *rec);
void hn_rec_composer_config(const HnRecorder *rec, HnComposerConfig *out);
/* GStreamer is initialised at the first remux only (a server that never records never loads its
 * plugins); deinitialised with the recorder. */
void hn_rec_gst_init(void);
void hn_rec_gst_deinit(void);
