/* The recorder thread: see recorder.h. The finishing (remux, SHA-256, final manifest, crash
 * recovery) is in record/finish.c. */
#include "record/recorder.h"

#include <errno.h>
#include <pthread.h>
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <gst/gst.h>
#include <string.h>
#include <sys/statvfs.h>

#include "record/hnr.h"
#include "record/recorder_priv.h"

typedef enum {
    IT_START,
    IT_STOP,
    IT_RTP,
    IT_SR,
    IT_TRACK,
    IT_TRACK_END,
    IT_JOIN,
    IT_LEAVE,
    IT_MEETING,
    IT_QUIT,
} ItemType;

/* One thing for the recorder thread. RTP carries the packet after the struct. */
typedef struct {
    ItemType type;
    HnRecSession *s; /* a reference */
    uint32_t producer;
    uint64_t arrival_us; /* wall clock */
    int64_t ms;          /* JOIN/LEAVE: wall clock ms */
    HnCodecId codec;
    uint8_t pt;
    gboolean keyframe;
    uint32_t clock_rate;
    HnRtcpSenderInfo sr;
    char *a, *b, *c, *d; /* participant, name, kind/role, source; or by, reason */
    size_t len;
    uint8_t data[];
} Item;

/* A track being written (recorder thread). */
typedef struct {
    uint32_t producer;
    char *participant, *name, *kind, *source;
    HnHnrWriter *w; /* NULL until its first packet (video: key frame), or after its end */
    json_t *entry;  /* its object in the manifest's "tracks" (a reference) */
    uint32_t ssrc;
    guint64 packets, dropped;
    gboolean ended;
    int ctrack; /* its index in the session's live composer, or -1 */
} RecTrack;

/* Where events go; outlives the recorder while events are queued to the main loop. */
typedef struct {
    gint ref;
    gint alive; /* 0 once hn_recorder_free ran: queued events are dropped */
    HnRecEventFn fn;
    void *user;
} Sink;

/* A queue between threads on pthread's mutex and condition variable: ThreadSanitizer sees these
 * hand-overs (GLib's GMutex, GAsyncQueue and GThreadPool wait on futexes it cannot see). An
 * uncontended lock costs what GMutex's does. */
typedef struct {
    pthread_mutex_t mu;
    pthread_cond_t cond;
    GQueue q;
} Mailbox;

static void mailbox_init(Mailbox *m)
{
    pthread_mutex_init(&m->mu, NULL);
    pthread_cond_init(&m->cond, NULL);
    g_queue_init(&m->q);
}

static void mailbox_clear(Mailbox *m)
{
    pthread_cond_destroy(&m->cond);
    pthread_mutex_destroy(&m->mu);
}

/* wake: signal a thread waiting in mailbox_pop (the recorder thread polls instead: a push from
 * a media worker then never makes a system call) */
static void mailbox_push(Mailbox *m, gpointer item, gboolean wake)
{
    pthread_mutex_lock(&m->mu);
    g_queue_push_tail(&m->q, item);
    if (wake)
        pthread_cond_signal(&m->cond);
    pthread_mutex_unlock(&m->mu);
}

static gpointer mailbox_try_pop(Mailbox *m)
{
    pthread_mutex_lock(&m->mu);
    gpointer item = g_queue_pop_head(&m->q);
    pthread_mutex_unlock(&m->mu);
    return item;
}

static gpointer mailbox_pop(Mailbox *m)
{
    pthread_mutex_lock(&m->mu);
    while (g_queue_is_empty(&m->q))
        pthread_cond_wait(&m->cond, &m->mu);
    gpointer item = g_queue_pop_head(&m->q);
    pthread_mutex_unlock(&m->mu);
    return item;
}

struct HnRecorder {
    HnRecorderConfig cfg;
    Sink *sink;
    char *data_dir, *format, *compose, *layout;
    Mailbox q; /* media workers -> the recorder thread (polled) */
    GThread *thread;
    Mailbox finish_q;    /* HnRecFinish* -> the finishing thread (waited on) */
    GThread *finisher;   /* one thread: finishing is serialised */
    GPtrArray *sessions; /* recorder thread: HnRecSession* active (a reference each) */
    /* stats (atomic) */
    gint64 started, active, packets, bytes, drops_queue, drops_write, files_finished, recovered;
};

struct HnRecSession {
    gint ref;
    HnRecorder *rec;
    char *room, *title, *dir, *by, *reason;
    int64_t meeting_id, meeting_started_ms, started_ms;
    gint stopped;        /* atomic: capture refused from now on */
    gint64 queued_bytes; /* atomic */
    gint64 drops_queue;  /* atomic */
    /* recorder thread only */
    json_t *manifest;
    GHashTable *tracks; /* producer -> RecTrack* */
    int64_t next_manifest_us;
    guint64 drops_write;
    gboolean done;
    HnComposer *composer;   /* compose "live", the folder's first span: fed every record */
    gboolean compose_after; /* a later span: the folder is composed from its tracks at the end */
};

static void rec_track_free(gpointer data)
{
    RecTrack *t = data;
    hn_hnr_writer_close(t->w);
    json_decref(t->entry);
    g_free(t->participant);
    g_free(t->name);
    g_free(t->kind);
    g_free(t->source);
    g_free(t);
}

HnRecSession *hn_rec_session_ref(HnRecSession *s)
{
    g_atomic_int_inc(&s->ref);
    return s;
}

void hn_rec_session_unref(HnRecSession *s)
{
    if (!s || !g_atomic_int_dec_and_test(&s->ref))
        return;
    if (s->tracks)
        g_hash_table_destroy(s->tracks);
    hn_composer_free(s->composer);
    json_decref(s->manifest);
    g_free(s->room);
    g_free(s->title);
    g_free(s->dir);
    g_free(s->by);
    g_free(s->reason);
    g_free(s);
}

const char *hn_rec_session_dir(const HnRecSession *s)
{
    return s->dir;
}

gboolean hn_rec_session_active(const HnRecSession *s)
{
    return !g_atomic_int_get(&((HnRecSession *)s)->stopped);
}

static int64_t wall_ms(void)
{
    return g_get_real_time() / 1000;
}

static void item_free(Item *it)
{
    hn_rec_session_unref(it->s);
    g_free(it->a);
    g_free(it->b);
    g_free(it->c);
    g_free(it->d);
    g_free(it);
}

static Item *item_new(ItemType type, HnRecSession *s, size_t len)
{
    Item *it = g_malloc0(sizeof(Item) + len);
    it->type = type;
    it->s = s ? hn_rec_session_ref(s) : NULL;
    it->len = len;
    it->arrival_us = (uint64_t)g_get_real_time();
    return it;
}

static void push(HnRecorder *rec, Item *it)
{
    mailbox_push(&rec->q, it, FALSE);
}

/* --- manifest ------------------------------------------------------------------------------ */

/* The manifest of an earlier recording of the same meeting, or a new one. transfer full. */
static json_t *manifest_load_or_new(const HnRecSession *s)
{
    g_autofree char *path = g_build_filename(s->dir, "manifest.json", NULL);
    json_t *m = json_load_file(path, 0, NULL);
    if (!json_is_object(m)) {
        json_decref(m);
        m = json_pack("{s:i, s:I, s:s, s:s?, s:I, s:n, s:[], s:[], s:[], s:{s:i, s:i}, s:[], "
                      "s:b}",
                      "version", 1, "meeting", (json_int_t)s->meeting_id, "room", s->room, "title",
                      s->title, "started_ms", (json_int_t)s->meeting_started_ms, "ended_ms",
                      "recording", "participants", "tracks", "drops", "queue", 0, "write", 0,
                      "files", "interrupted", 0);
    }
    json_object_set_new(m, "state", json_string("recording"));
    json_t *r = json_object_get(m, "recording");
    if (!json_is_array(r)) {
        r = json_array();
        json_object_set_new(m, "recording", r);
    }
    json_array_append_new(r,
                          json_pack("{s:I, s:n, s:s, s:s}", "started_ms", (json_int_t)s->started_ms,
                                    "stopped_ms", "by", s->by, "reason", s->reason));
    return m;
}

static void manifest_update_tracks(HnRecSession *s)
{
    GHashTableIter it;
    gpointer v;
    g_hash_table_iter_init(&it, s->tracks);
    while (g_hash_table_iter_next(&it, NULL, &v)) {
        RecTrack *t = v;
        if (!t->entry)
            continue;
        json_object_set_new(t->entry, "packets", json_integer((json_int_t)t->packets));
        json_object_set_new(t->entry, "dropped", json_integer((json_int_t)t->dropped));
    }
    json_t *d = json_object_get(s->manifest, "drops");
    if (json_is_object(d)) {
        json_object_set_new(d, "queue",
                            json_integer((json_int_t)g_atomic_pointer_get(&s->drops_queue)));
        json_object_set_new(d, "write", json_integer((json_int_t)s->drops_write));
    }
}

gboolean hn_rec_manifest_write(const char *dir, json_t *manifest)
{
    g_autofree char *path = g_build_filename(dir, "manifest.json", NULL);
    g_autofree char *tmp = g_build_filename(dir, "manifest.json.tmp", NULL);
    char *text = json_dumps(manifest, JSON_INDENT(1) | JSON_ENSURE_ASCII);
    if (!text)
        return FALSE;
    gboolean ok = FALSE;
    FILE *f = fopen(tmp, "w");
    if (f) {
        ok = fputs(text, f) >= 0 && fputc('\n', f) != EOF && fflush(f) == 0 &&
             fdatasync(fileno(f)) == 0;
        ok = fclose(f) == 0 && ok;
        ok = ok && rename(tmp, path) == 0;
    }
    if (!ok)
        g_warning("recorder: %s: %s", path, g_strerror(errno));
    free(text);
    return ok;
}

/* --- recorder thread ---------------------------------------------------------------------- */

static RecTrack *track_get(HnRecSession *s, uint32_t producer)
{
    return g_hash_table_lookup(s->tracks, GUINT_TO_POINTER(producer));
}

static const char *codec_name(HnCodecId c)
{
    switch (c) {
    case HN_CODEC_VP8:
        return "VP8";
    case HN_CODEC_H264:
        return "H264";
    case HN_CODEC_OPUS:
        return "opus";
    default:
        return NULL;
    }
}

/* Opens the track's file at its first packet: tracks/<participant>-<source>-<kind>[-N].hnr. */
static gboolean track_open(HnRecSession *s, RecTrack *t, const Item *it, uint32_t ssrc)
{
    const char *codec = codec_name(it->codec);
    if (!codec)
        return FALSE;
    json_t *hdr =
        json_pack("{s:i, s:s, s:s, s:i, s:i, s:I, s:s, s:s, s:s, s:I, s:s, s:I}", "v", 1, "kind",
                  t->kind, "codec", codec, "clock_rate", (int)it->clock_rate, "pt", (int)it->pt,
                  "ssrc", (json_int_t)ssrc, "participant", t->participant, "name",
                  t->name ? t->name : "", "source", t->source, "meeting", (json_int_t)s->meeting_id,
                  "room", s->room, "start_us", (json_int_t)it->arrival_us);
    g_autofree char *tracks = g_build_filename(s->dir, "tracks", NULL);
    g_mkdir_with_parents(tracks, 0750);
    char *file = NULL;
    HnHnrWriter *w = NULL;
    t->ctrack = -1;
    for (int n = 1; n < 100 && !w; n++) {
        g_free(file);
        file = n == 1 ? g_strdup_printf("tracks/%s-%s-%s.hnr", t->participant, t->source, t->kind)
                      : g_strdup_printf("tracks/%s-%s-%s-%d.hnr", t->participant, t->source,
                                        t->kind, n);
        g_autofree char *path = g_build_filename(s->dir, file, NULL);
        g_autoptr(GError) err = NULL;
        w = hn_hnr_writer_open(path, hdr, &err);
        if (!w && !g_error_matches(err, G_IO_ERROR, G_IO_ERROR_EXISTS) &&
            !g_file_test(path, G_FILE_TEST_EXISTS)) {
            g_warning("recorder: %s", err ? err->message : path);
            break;
        }
    }
    if (w && s->composer) /* its tile and voice in the live composition, named */
        t->ctrack = hn_composer_add_track(s->composer, hdr);
    json_decref(hdr);
    if (!w) {
        g_free(file);
        return FALSE;
    }
    t->w = w;
    t->ssrc = ssrc;
    int64_t start = (int64_t)(it->arrival_us / 1000) - s->meeting_started_ms;
    t->entry =
        json_pack("{s:s, s:n, s:s, s:s?, s:s, s:s, s:s, s:i, s:I, s:n, s:i, s:i}", "file", file,
                  "playable", "participant", t->participant, "name", t->name, "kind", t->kind,
                  "source", t->source, "codec", codec, "clock_rate", (int)it->clock_rate,
                  "start_ms", (json_int_t)start, "end_ms", "packets", 0, "dropped", 0);
    json_array_append(json_object_get(s->manifest, "tracks"), t->entry);
    g_message("recorder: %s: %s", s->room, file);
    g_free(file);
    return TRUE;
}

static void track_close(HnRecSession *s, RecTrack *t)
{
    if (t->w) {
        hn_hnr_writer_close(t->w);
        t->w = NULL;
    }
    if (s->composer && t->ctrack >= 0)
        hn_composer_end_track(s->composer, t->ctrack);
    t->ctrack = -1;
    if (t->entry && json_is_null(json_object_get(t->entry, "end_ms")))
        json_object_set_new(t->entry, "end_ms", json_integer(wall_ms() - s->meeting_started_ms));
    t->ended = TRUE;
}

static void write_record(HnRecorder *rec, HnRecSession *s, RecTrack *t, HnHnrType type,
                         uint64_t arrival_us, const uint8_t *data, size_t len)
{
    int rc = hn_hnr_writer_append(t->w, type, arrival_us, data, len);
    if (rc < 0) {
        s->drops_write++;
        t->dropped++;
        g_atomic_pointer_add(&rec->drops_write, 1);
        return;
    }
    if (s->composer && t->ctrack >= 0) { /* a copy into its bounded queue: never blocks */
        HnHnrRecord r = {
            .type = type, .arrival_us = arrival_us, .data = data, .len = (uint16_t)len};
        hn_composer_push(s->composer, t->ctrack, &r);
    }
    if (type == HN_HNR_RTP) {
        t->packets++;
        g_atomic_pointer_add(&rec->packets, 1);
        g_atomic_pointer_add(&rec->bytes, (gssize)len);
    }
}

static void on_rtp(HnRecorder *rec, HnRecSession *s, Item *it)
{
    g_atomic_pointer_add(&s->queued_bytes, -(gssize)it->len);
    RecTrack *t = track_get(s, it->producer);
    if (!t || t->ended || it->len < 12)
        return;
    if (!t->w) {
        if (strcmp(t->kind, "video") == 0 && !it->keyframe)
            return; /* a video file starts at a key frame (requested when the track started) */
        uint32_t ssrc = (uint32_t)it->data[8] << 24 | (uint32_t)it->data[9] << 16 |
                        (uint32_t)it->data[10] << 8 | it->data[11];
        if (!track_open(s, t, it, ssrc)) {
            t->ended = TRUE;
            return;
        }
    }
    uint32_t ssrc = (uint32_t)it->data[8] << 24 | (uint32_t)it->data[9] << 16 |
                    (uint32_t)it->data[10] << 8 | it->data[11];
    if (ssrc != t->ssrc)
        return; /* simulcast: the file keeps the layer it started with (the highest then) */
    write_record(rec, s, t, HN_HNR_RTP, it->arrival_us, it->data, it->len);
}

/* The publisher's SR for the track, as a 28-byte RTCP SR (no report blocks). */
static void on_sr(HnRecorder *rec, HnRecSession *s, Item *it)
{
    RecTrack *t = track_get(s, it->producer);
    if (!t || !t->w)
        return;
    uint8_t p[28] = {0x80, 200, 0, 6};
    uint32_t v[6] = {t->ssrc,       (uint32_t)(it->sr.ntp >> 32), (uint32_t)it->sr.ntp,
                     it->sr.rtp_ts, it->sr.packet_count,          it->sr.octet_count};
    for (int i = 0; i < 6; i++)
        for (int k = 0; k < 4; k++)
            p[4 + 4 * i + k] = (uint8_t)(v[i] >> (24 - 8 * k));
    write_record(rec, s, t, HN_HNR_RTCP, it->arrival_us, p, sizeof p);
}

static json_t *participant_find(HnRecSession *s, const char *id)
{
    json_t *ps = json_object_get(s->manifest, "participants");
    size_t i;
    json_t *p;
    json_array_foreach(ps, i, p)
    {
        if (g_strcmp0(json_string_value(json_object_get(p, "id")), id) == 0 &&
            json_is_null(json_object_get(p, "left_ms")))
            return p;
    }
    return NULL;
}

static void session_flush(HnRecSession *s)
{
    GHashTableIter it;
    gpointer v;
    g_hash_table_iter_init(&it, s->tracks);
    while (g_hash_table_iter_next(&it, NULL, &v)) {
        RecTrack *t = v;
        if (t->w && hn_hnr_writer_flush(t->w, TRUE) < 0)
            g_warning("recorder: %s: flush: %s", s->room, g_strerror(errno));
    }
}

static void post_event(HnRecorder *rec, HnRecEventType type, HnRecSession *s, const char *room,
                       const char *dir, int64_t meeting_id, gboolean interrupted);

/* The recording ends (recorder thread): its files close and go to the finishing thread. */
static void session_end(HnRecorder *rec, HnRecSession *s, const char *by, const char *reason)
{
    if (s->done)
        return;
    s->done = TRUE;
    g_atomic_int_set(&s->stopped, 1);
    GHashTableIter it;
    gpointer v;
    g_hash_table_iter_init(&it, s->tracks);
    while (g_hash_table_iter_next(&it, NULL, &v))
        track_close(s, v);
    manifest_update_tracks(s);
    json_t *r = json_object_get(s->manifest, "recording");
    json_t *last = json_array_get(r, json_array_size(r) - 1);
    if (last) {
        json_object_set_new(last, "stopped_ms", json_integer(wall_ms()));
        json_object_set_new(last, "stop_reason", json_string(reason ? reason : "stopped"));
        if (by)
            json_object_set_new(last, "stopped_by", json_string(by));
    }
    json_object_set_new(s->manifest, "ended_ms", json_integer(wall_ms()));
    hn_rec_manifest_write(s->dir, s->manifest);
    guint idx;
    if (g_ptr_array_find(rec->sessions, s, &idx)) /* the thread's reference... */
        g_ptr_array_steal_index(rec->sessions, idx);
    else
        hn_rec_session_ref(s);
    HnRecFinish *f = g_new0(HnRecFinish, 1);
    f->dir = g_strdup(s->dir);
    f->room = g_strdup(s->room);
    f->manifest = s->manifest; /* ...the manifest goes with the job */
    s->manifest = NULL;
    f->meeting_id = s->meeting_id;
    f->composer = g_steal_pointer(&s->composer); /* ended on the finishing thread */
    f->compose = s->compose_after || g_strcmp0(rec->compose, "after") == 0;
    f->session = s; /* ...goes with the job too */
    hn_rec_push_finish(rec, f);
    g_atomic_pointer_add(&rec->active, -1);
}

static void session_disk_check(HnRecorder *rec, HnRecSession *s)
{
    struct statvfs st;
    if (statvfs(s->dir, &st) != 0)
        return;
    guint64 avail = (guint64)st.f_bavail * st.f_frsize;
    if (avail >= rec->cfg.reserve_mb * 1024 * 1024)
        return;
    g_warning("recorder: %s: free space %" G_GUINT64_FORMAT
              " MiB below the reserve of %" G_GUINT64_FORMAT " MiB: recording stopped",
              s->room, avail >> 20, rec->cfg.reserve_mb);
    g_atomic_int_set(&s->stopped, 1);
    hn_rec_session_ref(s);
    post_event(rec, HN_REC_STOPPED_DISK, s, s->room, s->dir, s->meeting_id, FALSE);
    session_end(rec, s, NULL, "disk");
    hn_rec_session_unref(s);
}

/* compose "live": a composer from the recording's start, when it is the folder's first span
 * (a meeting recorded again after a stop is composed `after`, whole, from its tracks). */
static void compose_start(HnRecorder *rec, HnRecSession *s)
{
    if (g_strcmp0(rec->compose, "off") == 0)
        return;
    if (json_array_size(json_object_get(s->manifest, "recording")) > 1) {
        s->compose_after = TRUE;
        return;
    }
    if (g_strcmp0(rec->compose, "live") != 0)
        return;
    HnComposerConfig cfg;
    hn_rec_composer_config(rec, &cfg);
    g_autofree char *out = g_build_filename(
        s->dir, cfg.format == HN_COMPOSE_MP4 ? "meeting.mp4" : "meeting.webm", NULL);
    cfg.output = out;
    cfg.live = TRUE;
    cfg.start_us = s->started_ms * 1000;
    hn_rec_gst_init();
    g_autoptr(GError) err = NULL;
    s->composer = hn_composer_new(&cfg, &err);
    if (!s->composer) {
        g_warning("recorder: %s: no live composition (%s): composed after the recording", s->room,
                  err ? err->message : "?");
        s->compose_after = TRUE;
    }
}

static void on_start(HnRecorder *rec, HnRecSession *s)
{
    s->manifest = manifest_load_or_new(s);
    compose_start(rec, s);
    s->tracks = g_hash_table_new_full(NULL, NULL, NULL, rec_track_free);
    s->next_manifest_us = g_get_monotonic_time() + HN_REC_MANIFEST_US;
    g_ptr_array_add(rec->sessions, hn_rec_session_ref(s));
    hn_rec_manifest_write(s->dir, s->manifest);
}

static void handle(HnRecorder *rec, Item *it)
{
    HnRecSession *s = it->s;
    if (it->type == IT_START) {
        on_start(rec, s);
        return;
    }
    if (!s || s->done || !s->manifest) {
        if (s && it->type == IT_RTP)
            g_atomic_pointer_add(&s->queued_bytes, -(gssize)it->len);
        return;
    }
    switch (it->type) {
    case IT_RTP:
        on_rtp(rec, s, it);
        break;
    case IT_SR:
        on_sr(rec, s, it);
        break;
    case IT_TRACK: {
        RecTrack *old = track_get(s, it->producer);
        if (old)
            track_close(s, old);
        RecTrack *t = g_new0(RecTrack, 1);
        t->ctrack = -1;
        t->producer = it->producer;
        t->participant = g_steal_pointer(&it->a);
        t->name = g_steal_pointer(&it->b);
        t->kind = g_steal_pointer(&it->c);
        t->source = g_steal_pointer(&it->d);
        g_hash_table_replace(s->tracks, GUINT_TO_POINTER(t->producer), t);
        break;
    }
    case IT_TRACK_END: {
        RecTrack *t = track_get(s, it->producer);
        if (t)
            track_close(s, t);
        break;
    }
    case IT_JOIN:
        if (!participant_find(s, it->a))
            json_array_append_new(json_object_get(s->manifest, "participants"),
                                  json_pack("{s:s, s:s?, s:s?, s:n, s:n, s:I, s:n}", "id", it->a,
                                            "name", it->b, "role", it->c, "sub", "site",
                                            "joined_ms", (json_int_t)it->ms, "left_ms"));
        break;
    case IT_LEAVE: {
        json_t *p = participant_find(s, it->a);
        if (p)
            json_object_set_new(p, "left_ms", json_integer(it->ms));
        break;
    }
    case IT_STOP:
        session_end(rec, s, it->a, it->b);
        break;
    case IT_MEETING:
        s->meeting_id = it->ms;
        json_object_set_new(s->manifest, "meeting", json_integer(it->ms));
        hn_rec_manifest_write(s->dir, s->manifest);
        break;
    default:
        break;
    }
}

static void periodic(HnRecorder *rec, int64_t now, gboolean flush)
{
    for (guint i = 0; i < rec->sessions->len; i++) {
        HnRecSession *s = rec->sessions->pdata[i];
        if (flush)
            session_flush(s);
        if (now >= s->next_manifest_us) {
            s->next_manifest_us = now + HN_REC_MANIFEST_US;
            manifest_update_tracks(s);
            hn_rec_manifest_write(s->dir, s->manifest);
        }
    }
    if (!flush)
        return;
    for (guint i = rec->sessions->len; i > 0; i--) /* may remove: from the end */
        session_disk_check(rec, rec->sessions->pdata[i - 1]);
}

static gpointer rec_thread(gpointer data)
{
    HnRecorder *rec = data;
    int64_t next_flush = g_get_monotonic_time() + HN_REC_FLUSH_US;
    for (;;) {
        /* polled, never waited on: a media worker's push then never has a sleeping thread to
         * wake (a futex call per packet); 10 ms of latency costs nothing here */
        Item *it = mailbox_try_pop(&rec->q);
        if (!it)
            g_usleep(10000);
        if (it && it->type == IT_QUIT) {
            item_free(it);
            break;
        }
        if (it) {
            handle(rec, it);
            item_free(it);
        }
        int64_t now = g_get_monotonic_time();
        gboolean flush = now >= next_flush;
        if (flush)
            next_flush = now + HN_REC_FLUSH_US;
        periodic(rec, now, flush);
    }
    while (rec->sessions->len) /* shutdown: every recording ends here */
        session_end(rec, rec->sessions->pdata[rec->sessions->len - 1], NULL, "shutdown");
    return NULL;
}

/* --- main loop side ------------------------------------------------------------------------ */

typedef struct {
    Sink *sink;
    HnRecEvent ev;
    char *room, *dir;
} Posted;

static void sink_unref(Sink *k)
{
    if (g_atomic_int_dec_and_test(&k->ref))
        g_free(k);
}

static gboolean posted_run(gpointer data)
{
    Posted *p = data;
    if (g_atomic_int_get(&p->sink->alive) && p->sink->fn)
        p->sink->fn(p->sink->user, &p->ev);
    return G_SOURCE_REMOVE;
}

static void posted_free(gpointer data)
{
    Posted *p = data;
    sink_unref(p->sink);
    hn_rec_session_unref(p->ev.session);
    g_free(p->room);
    g_free(p->dir);
    g_free(p);
}

static void post_event(HnRecorder *rec, HnRecEventType type, HnRecSession *s, const char *room,
                       const char *dir, int64_t meeting_id, gboolean interrupted)
{
    Posted *p = g_new0(Posted, 1);
    p->sink = rec->sink;
    g_atomic_int_inc(&rec->sink->ref);
    p->room = g_strdup(room);
    p->dir = g_strdup(dir);
    p->ev = (HnRecEvent){.type = type,
                         .session = s ? hn_rec_session_ref(s) : NULL,
                         .room = p->room,
                         .dir = p->dir,
                         .meeting_id = meeting_id,
                         .interrupted = interrupted};
    g_main_context_invoke_full(rec->cfg.main_ctx, G_PRIORITY_DEFAULT, posted_run, p, posted_free);
}

void hn_rec_finished(HnRecorder *rec, HnRecFinish *f, gboolean interrupted)
{
    g_atomic_pointer_add(interrupted ? &rec->recovered : &rec->files_finished, 1);
    post_event(rec, HN_REC_READY, f->session, f->room, f->dir, f->meeting_id, interrupted);
}

static void finish_run(gpointer data, gpointer user)
{
    HnRecFinish *f = data;
    hn_rec_finish(f, user);
    hn_composer_free(f->composer);
    hn_rec_session_unref(f->session);
    json_decref(f->manifest);
    g_free(f->dir);
    g_free(f->room);
    g_free(f);
}

/* The finishing thread: one job after the other until the NULL that hn_recorder_free posts. */
static gpointer finish_thread(gpointer data)
{
    HnRecorder *rec = data;
    HnRecFinish *f;
    while ((f = mailbox_pop(&rec->finish_q)))
        finish_run(f, rec);
    return NULL;
}

HnRecorder *hn_recorder_new(const HnRecorderConfig *cfg)
{
    HnRecorder *rec = g_new0(HnRecorder, 1);
    rec->cfg = *cfg;
    rec->data_dir = g_strdup(cfg->data_dir);
    rec->format = g_strdup(cfg->format ? cfg->format : "webm");
    rec->compose = g_strdup(cfg->compose ? cfg->compose : "live");
    rec->layout = g_strdup(cfg->layout ? cfg->layout : "speaker");
    rec->cfg.data_dir = rec->data_dir;
    rec->cfg.format = rec->format;
    rec->cfg.compose = rec->compose;
    rec->cfg.layout = rec->layout;
    rec->sink = g_new0(Sink, 1);
    *rec->sink = (Sink){.ref = 1, .alive = 1, .fn = cfg->on_event, .user = cfg->user};
    mailbox_init(&rec->q);
    rec->sessions = g_ptr_array_new_with_free_func((GDestroyNotify)hn_rec_session_unref);
    mailbox_init(&rec->finish_q);
    rec->finisher = g_thread_new("hn-rec-finish", finish_thread, rec);
    rec->thread = g_thread_new("hn-recorder", rec_thread, rec);
    return rec;
}

void hn_recorder_free(HnRecorder *rec)
{
    if (!rec)
        return;
    push(rec, item_new(IT_QUIT, NULL, 0));
    g_thread_join(rec->thread);
    mailbox_push(&rec->finish_q, NULL, TRUE); /* after the jobs queued before it */
    g_thread_join(rec->finisher);
    mailbox_clear(&rec->finish_q);
    Item *it;
    while ((it = mailbox_try_pop(&rec->q)))
        item_free(it);
    mailbox_clear(&rec->q);
    g_ptr_array_free(rec->sessions, TRUE);
    g_atomic_int_set(&rec->sink->alive, 0);
    sink_unref(rec->sink);
    hn_rec_gst_deinit();
    g_free(rec->data_dir);
    g_free(rec->format);
    g_free(rec->compose);
    g_free(rec->layout);
    g_free(rec);
}

const char *hn_rec_format(const HnRecorder *rec)
{
    return rec->format;
}

void hn_rec_push_finish(HnRecorder *rec, HnRecFinish *f)
{
    mailbox_push(&rec->finish_q, f, TRUE);
}

const char *hn_rec_data_dir(const HnRecorder *rec)
{
    return rec->data_dir;
}

const char *hn_rec_compose_mode(const HnRecorder *rec)
{
    return rec->compose;
}

void hn_rec_composer_config(const HnRecorder *rec, HnComposerConfig *out)
{
    memset(out, 0, sizeof *out);
    out->width = 1280;
    out->height = 720;
    if (!hn_compose_parse_format(rec->format, out))
        out->format = HN_COMPOSE_WEBM;
    int layout = hn_layout_parse(rec->layout);
    out->layout = layout < 0 ? HN_LAYOUT_SPEAKER : (HnLayoutKind)layout;
}

HnRecSession *hn_rec_session_start(HnRecorder *rec, const HnRecInfo *info, GError **error)
{
    HnRecSession *s = g_new0(HnRecSession, 1);
    s->ref = 1;
    s->rec = rec;
    s->room = g_strdup(info->room);
    s->title = g_strdup(info->title);
    s->by = g_strdup(info->by ? info->by : "");
    s->reason = g_strdup(info->reason ? info->reason : "chair");
    s->meeting_id = info->meeting_id;
    s->meeting_started_ms = info->meeting_started_ms;
    s->started_ms = wall_ms();
    s->dir = hn_archive_meeting_dir(rec->data_dir, info->meeting_id, info->meeting_started_ms);
    g_autofree char *tracks = g_build_filename(s->dir, "tracks", NULL);
    if (g_mkdir_with_parents(tracks, 0750) != 0) {
        int e = errno;
        g_set_error(error, G_IO_ERROR, g_io_error_from_errno(e), "%s: %s", tracks, g_strerror(e));
        hn_rec_session_unref(s);
        return NULL;
    }
    g_atomic_pointer_add(&rec->started, 1);
    g_atomic_pointer_add(&rec->active, 1);
    push(rec, item_new(IT_START, s, 0));
    return s;
}

void hn_rec_session_stop(HnRecSession *s, const char *by, const char *reason)
{
    if (!s || !g_atomic_int_compare_and_exchange(&s->stopped, 0, 1))
        return;
    Item *it = item_new(IT_STOP, s, 0);
    it->a = g_strdup(by);
    it->b = g_strdup(reason);
    push(s->rec, it);
}

void hn_rec_session_set_meeting(HnRecSession *s, int64_t meeting_id)
{
    if (!hn_rec_session_active(s))
        return;
    Item *it = item_new(IT_MEETING, s, 0);
    it->ms = meeting_id;
    push(s->rec, it);
}

void hn_rec_session_joined(HnRecSession *s, const char *participant, const char *name,
                           const char *role, int64_t now_ms)
{
    if (!hn_rec_session_active(s))
        return;
    Item *it = item_new(IT_JOIN, s, 0);
    it->a = g_strdup(participant);
    it->b = g_strdup(name);
    it->c = g_strdup(role);
    it->ms = now_ms;
    push(s->rec, it);
}

void hn_rec_session_left(HnRecSession *s, const char *participant, int64_t now_ms)
{
    if (!hn_rec_session_active(s))
        return;
    Item *it = item_new(IT_LEAVE, s, 0);
    it->a = g_strdup(participant);
    it->ms = now_ms;
    push(s->rec, it);
}

void hn_rec_session_track(HnRecSession *s, uint32_t producer_id, const char *participant,
                          const char *name, const char *kind, const char *source)
{
    if (!hn_rec_session_active(s))
        return;
    Item *it = item_new(IT_TRACK, s, 0);
    it->producer = producer_id;
    it->a = g_strdup(participant);
    it->b = g_strdup(name);
    it->c = g_strdup(kind);
    it->d = g_strdup(source);
    push(s->rec, it);
}

void hn_rec_session_track_end(HnRecSession *s, uint32_t producer_id)
{
    if (!hn_rec_session_active(s))
        return;
    Item *it = item_new(IT_TRACK_END, s, 0);
    it->producer = producer_id;
    push(s->rec, it);
}

void hn_rec_session_rtp(HnRecSession *s, uint32_t producer_id, const uint8_t *buf, size_t len,
                        HnCodecId codec, uint8_t pt, uint32_t clock_rate, gboolean keyframe)
{
    if (!hn_rec_session_active(s) || len == 0 || len > HN_HNR_MAX_LEN)
        return;
    if ((guint64)g_atomic_pointer_get(&s->queued_bytes) + len > HN_REC_QUEUE_BYTES) {
        g_atomic_pointer_add(&s->drops_queue, 1);
        g_atomic_pointer_add(&s->rec->drops_queue, 1);
        return;
    }
    g_atomic_pointer_add(&s->queued_bytes, (gssize)len);
    Item *it = item_new(IT_RTP, s, len);
    it->producer = producer_id;
    it->codec = codec;
    it->pt = pt;
    it->clock_rate = clock_rate;
    it->keyframe = keyframe;
    memcpy(it->data, buf, len);
    push(s->rec, it);
}

void hn_rec_session_sr(HnRecSession *s, uint32_t producer_id, const HnRtcpSenderInfo *sr)
{
    if (!hn_rec_session_active(s))
        return;
    Item *it = item_new(IT_SR, s, 0);
    it->producer = producer_id;
    it->sr = *sr;
    push(s->rec, it);
}

void hn_recorder_get_stats(HnRecorder *rec, HnRecorderStats *out)
{
    memset(out, 0, sizeof *out);
    if (!rec)
        return;
    out->recordings_started = (guint64)g_atomic_pointer_get(&rec->started);
    out->recordings_active = (guint64)g_atomic_pointer_get(&rec->active);
    out->packets = (guint64)g_atomic_pointer_get(&rec->packets);
    out->bytes = (guint64)g_atomic_pointer_get(&rec->bytes);
    out->drops_queue = (guint64)g_atomic_pointer_get(&rec->drops_queue);
    out->drops_write = (guint64)g_atomic_pointer_get(&rec->drops_write);
    out->files_finished = (guint64)g_atomic_pointer_get(&rec->files_finished);
    out->recovered = (guint64)g_atomic_pointer_get(&rec->recovered);
}
