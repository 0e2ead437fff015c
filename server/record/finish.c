/* Finishing a recording (recorder.h): each .hnr track remuxed into a playable file with
 * GStreamer (no transcoding), the SHA-256 of every file, the final manifest; and the crash
 * recovery that does the same for folders a killed process left in state "recording".
 * Runs on the recorder's finishing thread (or any thread for hn_rec_remux). */
#include <errno.h>
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <gst/gst.h>
#include <string.h>

#include "record/hnr.h"
#include "record/recorder_priv.h"

#define REORDER_WINDOW 32 /* packets held to put reordered ones back in sequence */

typedef struct {
    gint64 packets;
    uint64_t first_us, last_us; /* arrival of the first / last RTP record */
} RemuxStats;

typedef struct {
    int64_t ext; /* extended sequence number */
    GstBuffer *buf;
} Held;

typedef struct {
    GstElement *src;
    GArray *held; /* Held, sorted by ext */
    int64_t max_ext, last_pushed;
    gboolean have_seq, have_ts;
    int64_t ts_base, ts_max;
    uint32_t clock_rate;
    gboolean failed;
} Feed;

static void feed_push_one(Feed *fd, GstBuffer *buf)
{
    GstFlowReturn ret = GST_FLOW_OK;
    g_signal_emit_by_name(fd->src, "push-buffer", buf, &ret);
    gst_buffer_unref(buf);
    if (ret != GST_FLOW_OK)
        fd->failed = TRUE;
}

static void feed_release(Feed *fd, guint keep)
{
    while (fd->held->len > keep && !fd->failed) {
        Held h = g_array_index(fd->held, Held, 0);
        g_array_remove_index(fd->held, 0);
        fd->last_pushed = h.ext;
        feed_push_one(fd, h.buf);
    }
}

/* One RTP packet into the reorder window; its PTS from its RTP timestamp (gaps stay gaps). */
static void feed_rtp(Feed *fd, const uint8_t *p, size_t len)
{
    if (len < 12 || (p[0] >> 6) != 2)
        return;
    uint16_t seq = (uint16_t)(p[2] << 8 | p[3]);
    uint32_t ts = (uint32_t)p[4] << 24 | (uint32_t)p[5] << 16 | (uint32_t)p[6] << 8 | p[7];
    int64_t ext;
    if (!fd->have_seq) {
        ext = seq;
        fd->max_ext = ext;
        fd->last_pushed = ext - 1;
        fd->have_seq = TRUE;
    } else {
        ext = fd->max_ext + (int16_t)(uint16_t)(seq - (uint16_t)fd->max_ext);
        if (ext > fd->max_ext)
            fd->max_ext = ext;
    }
    int64_t ext_ts;
    if (!fd->have_ts) {
        fd->ts_base = fd->ts_max = ts;
        fd->have_ts = TRUE;
        ext_ts = ts;
    } else {
        ext_ts = fd->ts_max + (int32_t)(ts - (uint32_t)fd->ts_max);
        if (ext_ts > fd->ts_max)
            fd->ts_max = ext_ts;
    }
    if (ext <= fd->last_pushed || ext_ts < fd->ts_base)
        return; /* too late, a duplicate, or before the file's start */
    guint i = fd->held->len;
    while (i > 0 && g_array_index(fd->held, Held, i - 1).ext >= ext) {
        if (g_array_index(fd->held, Held, i - 1).ext == ext)
            return; /* duplicate (a retransmission) */
        i--;
    }
    GstBuffer *buf = gst_buffer_new_memdup(p, len);
    GST_BUFFER_PTS(buf) =
        gst_util_uint64_scale((guint64)(ext_ts - fd->ts_base), GST_SECOND, fd->clock_rate);
    GST_BUFFER_DTS(buf) = GST_BUFFER_PTS(buf);
    Held h = {ext, buf};
    g_array_insert_val(fd->held, i, h);
    feed_release(fd, REORDER_WINDOW);
}

static const char *chain_of(const char *codec)
{
    if (g_ascii_strcasecmp(codec, "VP8") == 0)
        return "rtpvp8depay ! webmmux";
    if (g_ascii_strcasecmp(codec, "opus") == 0)
        return "rtpopusdepay ! opusparse ! webmmux";
    if (g_ascii_strcasecmp(codec, "H264") == 0)
        return "rtph264depay ! h264parse ! matroskamux";
    return NULL;
}

/* The playable file's extension for a codec: webm, or mkv (H.264). */
static const char *ext_of(const char *codec)
{
    return g_ascii_strcasecmp(codec, "H264") == 0 ? "mkv" : "webm";
}

static gsize gst_once;

void hn_rec_gst_init(void)
{
    if (g_once_init_enter(&gst_once)) {
        gst_init(NULL, NULL);
        g_once_init_leave(&gst_once, 1);
    }
}

void hn_rec_gst_deinit(void)
{
    if (g_atomic_pointer_get(&gst_once))
        gst_deinit();
}

static gboolean remux(const char *hnr_path, const char *out_path, RemuxStats *st, GError **error)
{
    memset(st, 0, sizeof *st);
    hn_rec_gst_init();
    HnHnrReader *r = hn_hnr_reader_open(hnr_path, error);
    if (!r)
        return FALSE;
    const json_t *h = hn_hnr_reader_header(r);
    const char *codec = json_string_value(json_object_get(h, "codec"));
    const char *kind = json_string_value(json_object_get(h, "kind"));
    json_int_t rate = json_integer_value(json_object_get(h, "clock_rate"));
    json_int_t pt = json_integer_value(json_object_get(h, "pt"));
    const char *chain = codec ? chain_of(codec) : NULL;
    if (!chain || !kind || rate <= 0 || pt < 0 || pt > 127) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED, "%s: no playable form of codec %s",
                    hnr_path, codec ? codec : "?");
        hn_hnr_reader_close(r);
        return FALSE;
    }
    g_autofree char *desc =
        g_strdup_printf("appsrc name=src format=time block=true max-bytes=4000000 ! %s ! "
                        "filesink name=sink sync=false",
                        chain);
    GstElement *pipe = gst_parse_launch(desc, error);
    if (!pipe) {
        hn_hnr_reader_close(r);
        return FALSE;
    }
    g_autofree char *caps_s = g_strdup_printf(
        "application/x-rtp,media=(string)%s,clock-rate=(int)%d,encoding-name=(string)%s,"
        "payload=(int)%d",
        kind, (int)rate, g_ascii_strcasecmp(codec, "opus") == 0 ? "OPUS" : codec, (int)pt);
    GstCaps *caps = gst_caps_from_string(caps_s);
    Feed fd = {.clock_rate = (uint32_t)rate};
    fd.src = gst_bin_get_by_name(GST_BIN(pipe), "src");
    GstElement *sink = gst_bin_get_by_name(GST_BIN(pipe), "sink");
    g_object_set(fd.src, "caps", caps, NULL);
    g_object_set(sink, "location", out_path, NULL);
    gst_caps_unref(caps);
    gst_object_unref(sink);
    fd.held = g_array_new(FALSE, FALSE, sizeof(Held));
    gst_element_set_state(pipe, GST_STATE_PLAYING);
    HnHnrRecord rec;
    int rc;
    while (!fd.failed && (rc = hn_hnr_reader_next(r, &rec)) == 1) {
        if (rec.type != HN_HNR_RTP)
            continue;
        if (!st->packets)
            st->first_us = rec.arrival_us;
        st->last_us = rec.arrival_us;
        st->packets++;
        feed_rtp(&fd, rec.data, rec.len);
    }
    feed_release(&fd, 0);
    for (guint i = 0; i < fd.held->len; i++) /* after a failure */
        gst_buffer_unref(g_array_index(fd.held, Held, i).buf);
    g_array_free(fd.held, TRUE);
    GstFlowReturn ret;
    g_signal_emit_by_name(fd.src, "end-of-stream", &ret);
    GstBus *bus = gst_element_get_bus(pipe);
    GstMessage *msg =
        gst_bus_timed_pop_filtered(bus, 120 * GST_SECOND, GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
    gboolean ok = msg && GST_MESSAGE_TYPE(msg) == GST_MESSAGE_EOS;
    if (!ok) {
        GError *gerr = NULL;
        if (msg)
            gst_message_parse_error(msg, &gerr, NULL);
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED, "%s: remux: %s", hnr_path,
                    gerr ? gerr->message : "timed out");
        g_clear_error(&gerr);
    }
    if (msg)
        gst_message_unref(msg);
    gst_object_unref(bus);
    gst_element_set_state(pipe, GST_STATE_NULL);
    gst_object_unref(fd.src);
    gst_object_unref(pipe);
    hn_hnr_reader_close(r);
    return ok;
}

gint64 hn_rec_remux(const char *hnr_path, const char *out_path, GError **error)
{
    RemuxStats st;
    return remux(hnr_path, out_path, &st, error) ? st.packets : -1;
}

char *hn_rec_sha256_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    GChecksum *c = g_checksum_new(G_CHECKSUM_SHA256);
    guchar buf[65536];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0)
        g_checksum_update(c, buf, (gssize)n);
    gboolean err = ferror(f);
    fclose(f);
    char *hex = err ? NULL : g_strdup(g_checksum_get_string(c));
    g_checksum_free(c);
    return hex;
}

/* --- finishing a folder ------------------------------------------------------------------- */

static json_t *track_find(json_t *tracks, const char *file)
{
    size_t i;
    json_t *t;
    json_array_foreach(tracks, i, t)
    {
        if (g_strcmp0(json_string_value(json_object_get(t, "file")), file) == 0)
            return t;
    }
    return NULL;
}

/* Track files the manifest does not list yet (a crash before its next write): their headers. */
static void add_unlisted_tracks(const char *dir, json_t *tracks, int64_t started_ms)
{
    g_autofree char *tdir = g_build_filename(dir, "tracks", NULL);
    GDir *d = g_dir_open(tdir, 0, NULL);
    if (!d)
        return;
    const char *n;
    GPtrArray *names = g_ptr_array_new_with_free_func(g_free);
    while ((n = g_dir_read_name(d)))
        if (g_str_has_suffix(n, ".hnr"))
            g_ptr_array_add(names, g_strdup(n));
    g_dir_close(d);
    g_ptr_array_sort(names, (GCompareFunc)g_strcmp0);
    for (guint i = 0; i < names->len; i++) {
        g_autofree char *file = g_strdup_printf("tracks/%s", (char *)names->pdata[i]);
        if (track_find(tracks, file))
            continue;
        g_autofree char *path = g_build_filename(dir, file, NULL);
        HnHnrReader *r = hn_hnr_reader_open(path, NULL);
        if (!r)
            continue;
        const json_t *h = hn_hnr_reader_header(r);
        json_int_t start_us = json_integer_value(json_object_get(h, "start_us"));
        json_array_append_new(
            tracks,
            json_pack("{s:s, s:n, s:O?, s:O?, s:O?, s:O?, s:O?, s:O?, s:I, s:n, s:i, "
                      "s:i}",
                      "file", file, "playable", "participant", json_object_get(h, "participant"),
                      "name", json_object_get(h, "name"), "kind", json_object_get(h, "kind"),
                      "source", json_object_get(h, "source"), "codec", json_object_get(h, "codec"),
                      "clock_rate", json_object_get(h, "clock_rate"), "start_ms",
                      (json_int_t)(start_us / 1000 - started_ms), "end_ms", "packets", 0, "dropped",
                      0));
        hn_hnr_reader_close(r);
    }
    g_ptr_array_free(names, TRUE);
}

static void remux_track(const char *dir, json_t *t, int64_t started_ms, gboolean interrupted)
{
    const char *file = json_string_value(json_object_get(t, "file"));
    const char *codec = json_string_value(json_object_get(t, "codec"));
    if (!file || !g_str_has_suffix(file, ".hnr") || strstr(file, "..") || !codec)
        return;
    g_autofree char *stem = g_strndup(file, strlen(file) - 4);
    g_autofree char *playable = g_strdup_printf("%s.%s", stem, ext_of(codec));
    g_autofree char *in = g_build_filename(dir, file, NULL);
    g_autofree char *out = g_build_filename(dir, playable, NULL);
    if (json_is_string(json_object_get(t, "playable")) && g_file_test(out, G_FILE_TEST_EXISTS))
        return; /* an earlier recording of this meeting finished it */
    RemuxStats st;
    g_autoptr(GError) err = NULL;
    if (!remux(in, out, &st, &err)) {
        g_warning("recorder: %s", err->message);
        json_object_set_new(t, "error", json_string(err->message));
        return;
    }
    json_object_set_new(t, "playable", json_string(playable));
    if (interrupted || json_is_null(json_object_get(t, "end_ms")))
        json_object_set_new(t, "end_ms",
                            json_integer((json_int_t)(st.last_us / 1000) - started_ms));
    if (interrupted)
        json_object_set_new(t, "packets", json_integer(st.packets));
}

static gint cmp_str(gconstpointer a, gconstpointer b)
{
    return g_strcmp0(*(char *const *)a, *(char *const *)b);
}

static void list_files(const char *root, const char *rel, GPtrArray *out)
{
    g_autofree char *path = rel ? g_build_filename(root, rel, NULL) : g_strdup(root);
    GDir *d = g_dir_open(path, 0, NULL);
    if (!d)
        return;
    const char *n;
    while ((n = g_dir_read_name(d))) {
        char *r = rel ? g_strdup_printf("%s/%s", rel, n) : g_strdup(n);
        g_autofree char *full = g_build_filename(root, r, NULL);
        if (g_file_test(full, G_FILE_TEST_IS_SYMLINK)) {
            g_free(r);
        } else if (g_file_test(full, G_FILE_TEST_IS_DIR)) {
            list_files(root, r, out);
            g_free(r);
        } else if (!rel && g_str_has_prefix(n, "manifest.json")) {
            g_free(r);
        } else {
            g_ptr_array_add(out, r);
        }
    }
    g_dir_close(d);
}

/* "files": every file of the folder but the manifest, with its size and SHA-256. */
static json_t *files_of(const char *dir)
{
    GPtrArray *names = g_ptr_array_new_with_free_func(g_free);
    list_files(dir, NULL, names);
    g_ptr_array_sort(names, cmp_str);
    json_t *files = json_array();
    for (guint i = 0; i < names->len; i++) {
        g_autofree char *full = g_build_filename(dir, names->pdata[i], NULL);
        g_autofree char *sha = hn_rec_sha256_file(full);
        GStatBuf sb;
        if (!sha || g_stat(full, &sb) != 0)
            continue;
        json_array_append_new(files, json_pack("{s:s, s:I, s:s}", "name", names->pdata[i], "bytes",
                                               (json_int_t)sb.st_size, "sha256", sha));
    }
    g_ptr_array_free(names, TRUE);
    return files;
}

/* The composed file's name in the folder. */
static const char *composed_name(const HnComposerConfig *cfg)
{
    return cfg->format == HN_COMPOSE_MP4 ? "meeting.mp4" : "meeting.webm";
}

/* Ends the live composition (first: it ends at the current time). Its duration, or -1 (the
 * folder is then composed from its tracks). */
static int64_t compose_live_end(HnRecFinish *f, const HnComposerConfig *cfg)
{
    g_autoptr(GError) err = NULL;
    gboolean ok = hn_composer_finish(f->composer, 60, &err);
    HnComposerStats st;
    hn_composer_stats(f->composer, &st);
    hn_composer_free(g_steal_pointer(&f->composer));
    if (ok && st.frames_out > 0)
        return st.duration_us;
    g_warning("recorder: %s: the live composition failed (%s): composing from the tracks", f->dir,
              err ? err->message : "no picture");
    g_autofree char *path = g_build_filename(f->dir, composed_name(cfg), NULL);
    g_unlink(path);
    return -1;
}

/* `after`: the folder's tracks composed (the manifest on disk lists them). Duration or -1. */
static int64_t compose_after(HnRecFinish *f, json_t *m, const HnComposerConfig *cfg_in)
{
    if (!hn_rec_manifest_write(f->dir, m))
        return -1;
    HnComposerConfig cfg = *cfg_in;
    g_autofree char *path = g_build_filename(f->dir, composed_name(&cfg), NULL);
    cfg.output = path; /* the manifest is ours: compose_folder leaves it alone */
    HnComposerStats st;
    g_autoptr(GError) err = NULL;
    if (!hn_compose_folder(f->dir, &cfg, &st, &err)) {
        g_warning("recorder: %s: no composed file: %s", f->dir, err ? err->message : "?");
        g_unlink(path);
        return -1;
    }
    return st.duration_us;
}

/* The span the recording covers: from the first start to the last stop (µs), 0 when unknown. */
static int64_t recorded_span_us(json_t *m)
{
    json_t *spans = json_object_get(m, "recording");
    size_t n = json_array_size(spans);
    if (n == 0)
        return 0;
    json_t *first = json_object_get(json_array_get(spans, 0), "started_ms");
    json_t *last = json_object_get(json_array_get(spans, n - 1), "stopped_ms");
    if (!json_is_integer(first) || !json_is_integer(last))
        return 0;
    return (json_integer_value(last) - json_integer_value(first)) * 1000;
}

/* A live composition that could not keep up (the machine's cores were taken by others: the
 * compositor and the encoder ran slower than real time) ends short of the recording; the track
 * files hold everything, so the folder is composed from them instead: nothing recorded is
 * missing from the file a clerk plays. */
static gboolean live_fell_behind(const char *dir, int64_t composed_us, int64_t span_us)
{
    int64_t slack = MAX(2 * G_USEC_PER_SEC, span_us / 20);
    if (composed_us < 0 || span_us <= 0 || composed_us >= span_us - slack)
        return FALSE;
    g_warning("recorder: %s: the live composition fell behind (%.1f s of %.1f s: the machine was "
              "too busy): composing from the tracks",
              dir, composed_us / 1e6, span_us / 1e6);
    return TRUE;
}

void hn_rec_finish(HnRecFinish *f, HnRecorder *rec)
{
    json_t *m = f->manifest;
    HnComposerConfig ccfg;
    hn_rec_composer_config(rec, &ccfg);
    int64_t composed_us = -1;
    if (f->composer) {
        composed_us = compose_live_end(f, &ccfg);
        f->compose = composed_us < 0;
        if (live_fell_behind(f->dir, composed_us, recorded_span_us(m))) {
            g_autofree char *path = g_build_filename(f->dir, composed_name(&ccfg), NULL);
            g_unlink(path);
            f->compose = TRUE;
        }
    }
    if (f->interrupted && g_strcmp0(hn_rec_compose_mode(rec), "off") != 0)
        f->compose = TRUE; /* a live composition cut by the crash is rebuilt from the tracks */
    int64_t started_ms = json_integer_value(json_object_get(m, "started_ms"));
    json_t *tracks = json_object_get(m, "tracks");
    if (!json_is_array(tracks)) {
        tracks = json_array();
        json_object_set_new(m, "tracks", tracks);
    }
    add_unlisted_tracks(f->dir, tracks, started_ms);
    size_t i;
    json_t *t;
    json_array_foreach(tracks, i, t) remux_track(f->dir, t, started_ms, f->interrupted);
    if (f->interrupted) {
        json_t *r = json_object_get(m, "recording");
        json_array_foreach(r, i, t)
        {
            if (json_is_null(json_object_get(t, "stopped_ms")))
                json_object_set_new(t, "stop_reason", json_string("interrupted"));
        }
        json_object_set_new(m, "interrupted", json_true());
    }
    if (f->compose)
        composed_us = compose_after(f, m, &ccfg);
    if (composed_us >= 0)
        json_object_set_new(m, "composed",
                            json_pack("{s:s, s:I, s:s}", "file", composed_name(&ccfg),
                                      "duration_ms", (json_int_t)(composed_us / 1000), "layout",
                                      hn_layout_name(ccfg.layout)));
    json_object_set_new(m, "files", files_of(f->dir));
    json_object_set_new(m, "state", json_string(f->interrupted ? "interrupted" : "complete"));
    hn_rec_manifest_write(f->dir, m);
    g_message("recorder: %s: %s (%zu tracks)%s", f->room ? f->room : "?", f->dir,
              json_array_size(tracks), f->interrupted ? " recovered after an interruption" : "");
    hn_rec_finished(rec, f, f->interrupted);
}

/* --- recovery ----------------------------------------------------------------------------- */

static void recover_dir(HnRecorder *rec, const char *dir, guint *found)
{
    g_autofree char *path = g_build_filename(dir, "manifest.json", NULL);
    json_t *m = json_load_file(path, 0, NULL);
    if (!json_is_object(m) ||
        g_strcmp0(json_string_value(json_object_get(m, "state")), "recording") != 0) {
        json_decref(m);
        return;
    }
    (*found)++;
    g_message("recorder: %s was interrupted (the server stopped while recording): finishing "
              "its files",
              dir);
    HnRecFinish *f = g_new0(HnRecFinish, 1);
    f->dir = g_strdup(dir);
    f->room = g_strdup(json_string_value(json_object_get(m, "room")));
    f->meeting_id = json_integer_value(json_object_get(m, "meeting"));
    f->manifest = m;
    f->interrupted = TRUE;
    hn_rec_push_finish(rec, f);
}

/* archive/YYYY/MM/DD/<id>: depth 4 below the archive. */
static void walk(HnRecorder *rec, const char *dir, int depth, guint *found)
{
    if (depth == 4) {
        recover_dir(rec, dir, found);
        return;
    }
    GDir *d = g_dir_open(dir, 0, NULL);
    if (!d)
        return;
    const char *n;
    while ((n = g_dir_read_name(d))) {
        g_autofree char *sub = g_build_filename(dir, n, NULL);
        if (g_file_test(sub, G_FILE_TEST_IS_DIR) && !g_file_test(sub, G_FILE_TEST_IS_SYMLINK))
            walk(rec, sub, depth + 1, found);
    }
    g_dir_close(d);
}

guint hn_recorder_recover(HnRecorder *rec)
{
    g_autofree char *archive = g_build_filename(hn_rec_data_dir(rec), "archive", NULL);
    guint found = 0;
    walk(rec, archive, 0, &found);
    return found;
}
