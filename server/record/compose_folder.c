/* The `after` mode: a meeting folder's track files composed into its meeting.webm (composer.h),
 * and the manifest updated; with live = TRUE, the same files replayed through the live path at
 * their own pace (tests, benchmark). */
#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <string.h>
#include <unistd.h>

#include "record/composer.h"

typedef struct {
    char *path;
    json_t *header;
    GPtrArray *rtcp; /* GBytes: u64 arrival_us then the packet */
    int64_t first_us, last_us;
    int index; /* in the composer; -1: not composed */
    HnComposer *c;
    HnHnrReader *reader; /* replay */
    HnHnrRecord next;
    gboolean have_next;
} FTrack;

static void ftrack_free(gpointer p)
{
    FTrack *t = p;
    g_free(t->path);
    json_decref(t->header);
    g_ptr_array_unref(t->rtcp);
    hn_hnr_reader_close(t->reader);
    g_free(t);
}

/* Reads a track file through once: its header, its RTCP, its first and last RTP arrival. */
static FTrack *scan_track(const char *path)
{
    GError *e = NULL;
    HnHnrReader *r = hn_hnr_reader_open(path, &e);
    if (!r) {
        g_warning("compose: %s", e->message);
        g_error_free(e);
        return NULL;
    }
    FTrack *t = g_new0(FTrack, 1);
    t->path = g_strdup(path);
    t->header = json_deep_copy(hn_hnr_reader_header(r));
    t->rtcp = g_ptr_array_new_with_free_func((GDestroyNotify)g_bytes_unref);
    t->index = -1;
    HnHnrRecord rec;
    while (hn_hnr_reader_next(r, &rec) == 1) {
        if (rec.type == HN_HNR_RTCP) {
            guint8 *b = g_malloc(8 + rec.len);
            memcpy(b, &rec.arrival_us, 8);
            memcpy(b + 8, rec.data, rec.len);
            g_ptr_array_add(t->rtcp, g_bytes_new_take(b, 8 + (gsize)rec.len));
        } else if (rec.type == HN_HNR_RTP) {
            if (!t->first_us)
                t->first_us = (int64_t)rec.arrival_us;
            t->last_us = MAX(t->last_us, (int64_t)rec.arrival_us);
        }
    }
    hn_hnr_reader_close(r);
    return t;
}

static GPtrArray *scan_folder(const char *dir, json_t *manifest)
{
    GPtrArray *tracks = g_ptr_array_new_with_free_func(ftrack_free);
    json_t *list = json_object_get(manifest, "tracks"), *it;
    size_t i;
    if (json_is_array(list)) {
        json_array_foreach(list, i, it)
        {
            const char *f = json_string_value(json_object_get(it, "file"));
            if (!f || strstr(f, "..") || g_path_is_absolute(f))
                continue;
            char *p = g_build_filename(dir, f, NULL);
            FTrack *t = scan_track(p);
            g_free(p);
            if (t)
                g_ptr_array_add(tracks, t);
        }
        return tracks;
    }
    char *tdir = g_build_filename(dir, "tracks", NULL);
    GDir *d = g_dir_open(tdir, 0, NULL);
    const char *name;
    GPtrArray *names = g_ptr_array_new_with_free_func(g_free);
    while (d && (name = g_dir_read_name(d)))
        if (g_str_has_suffix(name, ".hnr"))
            g_ptr_array_add(names, g_build_filename(tdir, name, NULL));
    if (d)
        g_dir_close(d);
    g_ptr_array_sort(names, (GCompareFunc)g_strcmp0);
    for (guint k = 0; k < names->len; k++) {
        FTrack *t = scan_track(*(char **)&names->pdata[k]);
        if (t)
            g_ptr_array_add(tracks, t);
    }
    g_ptr_array_unref(names);
    g_free(tdir);
    return tracks;
}

static gpointer reader_main(gpointer user)
{
    FTrack *t = user;
    GError *e = NULL;
    HnHnrReader *r = hn_hnr_reader_open(t->path, &e);
    g_clear_error(&e);
    HnHnrRecord rec;
    while (r && hn_hnr_reader_next(r, &rec) == 1)
        if (rec.type == HN_HNR_RTP)
            hn_composer_push(t->c, t->index, &rec);
    hn_hnr_reader_close(r);
    hn_composer_end_track(t->c, t->index);
    return NULL;
}

/* Every track's records in arrival order, each pushed when its time comes (shifted to now). */
static void replay(HnComposer *c, GPtrArray *tracks, int64_t shift_us)
{
    for (guint i = 0; i < tracks->len; i++) {
        FTrack *t = tracks->pdata[i];
        t->reader = hn_hnr_reader_open(t->path, NULL);
        t->have_next = t->reader && hn_hnr_reader_next(t->reader, &t->next) == 1;
    }
    for (;;) {
        FTrack *best = NULL;
        for (guint i = 0; i < tracks->len; i++) {
            FTrack *t = tracks->pdata[i];
            if (t->have_next && (!best || t->next.arrival_us < best->next.arrival_us))
                best = t;
        }
        if (!best)
            break;
        int64_t due = (int64_t)best->next.arrival_us + shift_us, now = g_get_real_time();
        if (due > now)
            g_usleep((gulong)(due - now));
        HnHnrRecord rec = best->next;
        rec.arrival_us = (uint64_t)due;
        if (best->index < 0) /* a track added while the composition runs (a late joiner) */
            best->index = hn_composer_add_track(c, best->header);
        if (best->index >= 0)
            hn_composer_push(c, best->index, &rec);
        best->have_next = hn_hnr_reader_next(best->reader, &best->next) == 1;
        if (!best->have_next && best->index >= 0)
            hn_composer_end_track(c, best->index);
    }
}

static char *sha256_file(const char *path, goffset *bytes)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    GChecksum *ck = g_checksum_new(G_CHECKSUM_SHA256);
    guchar buf[65536];
    size_t n;
    *bytes = 0;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0) {
        g_checksum_update(ck, buf, (gssize)n);
        *bytes += (goffset)n;
    }
    fclose(f);
    char *hex = g_strdup(g_checksum_get_string(ck));
    g_checksum_free(ck);
    return hex;
}

/* manifest.json: "composed" and the file's entry in "files", written atomically. */
static gboolean update_manifest(const char *dir, json_t *m, const char *file, int64_t dur_us,
                                HnLayoutKind layout, GError **error)
{
    char *path = g_build_filename(dir, file, NULL);
    goffset bytes = 0;
    char *sha = sha256_file(path, &bytes);
    g_free(path);
    json_object_set_new(m, "composed",
                        json_pack("{s:s, s:I, s:s}", "file", file, "duration_ms",
                                  (json_int_t)(dur_us / 1000), "layout", hn_layout_name(layout)));
    json_t *files = json_object_get(m, "files");
    if (!json_is_array(files)) {
        files = json_array();
        json_object_set_new(m, "files", files);
    }
    size_t i;
    json_t *f;
    json_array_foreach(files, i, f)
    {
        if (g_strcmp0(json_string_value(json_object_get(f, "name")), file) == 0) {
            json_array_remove(files, i);
            break;
        }
    }
    json_array_append_new(files, json_pack("{s:s, s:I, s:s}", "name", file, "bytes",
                                           (json_int_t)bytes, "sha256", sha ? sha : ""));
    g_free(sha);
    char *mpath = g_build_filename(dir, "manifest.json", NULL);
    char *tmp = g_strconcat(mpath, ".tmp", NULL);
    char *text = json_dumps(m, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    gboolean ok = FALSE;
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
    if (fd >= 0) {
        size_t len = strlen(text);
        ok = write(fd, text, len) == (ssize_t)len && fsync(fd) == 0;
        ok = close(fd) == 0 && ok;
        ok = ok && rename(tmp, mpath) == 0;
    }
    if (!ok)
        g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(errno), "%s: %s", mpath,
                    g_strerror(errno));
    free(text);
    g_free(tmp);
    g_free(mpath);
    return ok;
}

static int64_t manifest_start_us(json_t *m)
{
    json_t *rec = json_array_get(json_object_get(m, "recording"), 0);
    json_int_t ms = json_integer_value(json_object_get(rec, "started_ms"));
    if (ms <= 0)
        ms = json_integer_value(json_object_get(m, "started_ms"));
    return (int64_t)ms * 1000;
}

gboolean hn_compose_folder(const char *dir, const HnComposerConfig *cfg_in, HnComposerStats *stats,
                           GError **error)
{
    char *mpath = g_build_filename(dir, "manifest.json", NULL);
    json_t *m = json_load_file(mpath, 0, NULL);
    g_free(mpath);
    GPtrArray *tracks = scan_folder(dir, m);
    gboolean ok = FALSE;
    HnComposer *c = NULL;
    char *out_name = NULL, *out_path = NULL;
    if (tracks->len == 0) {
        g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_NOENT, "%s: no track files", dir);
        goto out;
    }
    int64_t first = G_MAXINT64, last = 0;
    for (guint i = 0; i < tracks->len; i++) {
        FTrack *t = tracks->pdata[i];
        if (t->first_us)
            first = MIN(first, t->first_us);
        last = MAX(last, t->last_us);
    }
    if (last == 0) {
        g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_NOENT, "%s: the tracks hold no media", dir);
        goto out;
    }
    HnComposerConfig cfg = *cfg_in;
    if (!cfg.start_us)
        cfg.start_us = manifest_start_us(m);
    if (cfg.start_us <= 0 || cfg.start_us > first)
        cfg.start_us = first;
    if (!cfg.duration_us)
        cfg.duration_us = last - cfg.start_us + 100 * 1000;
    out_name = g_strdup(cfg.format == HN_COMPOSE_MP4 ? "meeting.mp4" : "meeting.webm");
    out_path = cfg.output ? g_strdup(cfg.output) : g_build_filename(dir, out_name, NULL);
    cfg.output = out_path;
    int64_t shift = 0;
    if (cfg.live) { /* the recording replayed as if it were happening now */
        shift = g_get_real_time() - cfg.start_us;
        cfg.start_us += shift;
    }
    c = hn_composer_new(&cfg, error);
    if (!c)
        goto out;
    for (guint i = 0; i < tracks->len; i++) {
        FTrack *t = tracks->pdata[i];
        t->c = c;
        if (cfg.live)
            continue; /* added at its first record, as the recorder does */
        t->index = hn_composer_add_track(c, t->header);
        for (guint k = 0; t->index >= 0 && !cfg.live && k < t->rtcp->len; k++) {
            gsize n;
            const guint8 *b = g_bytes_get_data(t->rtcp->pdata[k], &n);
            HnHnrRecord rec = {.type = HN_HNR_RTCP, .data = b + 8, .len = (uint16_t)(n - 8)};
            memcpy(&rec.arrival_us, b, 8);
            hn_composer_push(c, t->index, &rec);
        }
    }
    if (cfg.live) {
        replay(c, tracks, shift);
        ok = hn_composer_finish(c, 60, error);
    } else {
        GPtrArray *threads = g_ptr_array_new();
        for (guint i = 0; i < tracks->len; i++) {
            FTrack *t = tracks->pdata[i];
            if (t->index >= 0)
                g_ptr_array_add(threads, g_thread_new("hn-compose-rd", reader_main, t));
        }
        ok = hn_composer_finish(c, 0, error);
        for (guint i = 0; i < threads->len; i++)
            g_thread_join(threads->pdata[i]);
        g_ptr_array_unref(threads);
    }
    if (stats)
        hn_composer_stats(c, stats);
    if (ok && m && !cfg_in->output) {
        HnComposerStats st;
        hn_composer_stats(c, &st);
        ok = update_manifest(dir, m, out_name, st.duration_us, cfg.layout, error);
    }
out:
    hn_composer_free(c);
    g_ptr_array_unref(tracks);
    json_decref(m);
    g_free(out_name);
    g_free(out_path);
    return ok;
}
