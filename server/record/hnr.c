/* The .hnr track file: see hnr.h. */
#include "record/hnr.h"

#include <errno.h>
#include <fcntl.h>
#include <gio/gio.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define HNR_BUF     (64 * 1024)
#define HNR_REC_HDR 12

struct HnHnrWriter {
    int fd;
    uint8_t *buf;
    size_t used;
    uint64_t written;
};

struct HnHnrReader {
    FILE *f;
    json_t *header;
    uint8_t data[HN_HNR_MAX_LEN];
    gboolean truncated;
    uint64_t offset;
};

static void put_be16(uint8_t *p, uint16_t v)
{
    p[0] = v >> 8;
    p[1] = v & 0xff;
}

static void put_be32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (24 - 8 * i));
}

static void put_be64(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (uint8_t)(v >> (56 - 8 * i));
}

static uint64_t get_be(const uint8_t *p, int n)
{
    uint64_t v = 0;
    for (int i = 0; i < n; i++)
        v = (v << 8) | p[i];
    return v;
}

static int write_all(int fd, const uint8_t *p, size_t n)
{
    while (n) {
        ssize_t w = write(fd, p, n);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return -errno;
        }
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

HnHnrWriter *hn_hnr_writer_open(const char *path, const json_t *header, GError **error)
{
    g_return_val_if_fail(path && header, NULL);
    char *json = json_dumps(header, JSON_COMPACT);
    size_t jlen = json ? strlen(json) : 0;
    if (!json || jlen > HN_HNR_MAX_JSON) {
        free(json);
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "%s: header too large", path);
        return NULL;
    }
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_CLOEXEC, 0640);
    if (fd < 0) {
        int e = errno;
        free(json);
        g_set_error(error, G_IO_ERROR, g_io_error_from_errno(e), "%s: %s", path, g_strerror(e));
        return NULL;
    }
    uint8_t head[12];
    memcpy(head, HN_HNR_MAGIC, 8);
    put_be32(head + 8, (uint32_t)jlen);
    int rc = write_all(fd, head, sizeof head);
    if (!rc)
        rc = write_all(fd, (const uint8_t *)json, jlen);
    if (!rc && fsync(fd) < 0)
        rc = -errno;
    free(json);
    if (rc) {
        close(fd);
        unlink(path);
        g_set_error(error, G_IO_ERROR, g_io_error_from_errno(-rc), "%s: %s", path, g_strerror(-rc));
        return NULL;
    }
    HnHnrWriter *w = g_new0(HnHnrWriter, 1);
    w->fd = fd;
    w->buf = g_malloc(HNR_BUF);
    w->written = sizeof head + jlen;
    return w;
}

int hn_hnr_writer_flush(HnHnrWriter *w, gboolean sync)
{
    g_return_val_if_fail(w, -EINVAL);
    if (w->used) {
        int rc = write_all(w->fd, w->buf, w->used);
        if (rc) {
            /* Whatever part of the buffer reached the file may end inside a record; the reader
             * stops there. Dropping the buffer keeps later records whole. */
            w->used = 0;
            return rc;
        }
        w->written += w->used;
        w->used = 0;
    }
    if (sync && fdatasync(w->fd) < 0)
        return -errno;
    return 0;
}

int hn_hnr_writer_append(HnHnrWriter *w, HnHnrType type, uint64_t arrival_us, const uint8_t *data,
                         size_t len)
{
    g_return_val_if_fail(w, -EINVAL);
    if ((type != HN_HNR_RTP && type != HN_HNR_RTCP) || !data || len == 0 || len > HN_HNR_MAX_LEN)
        return -EINVAL;
    if (w->used + HNR_REC_HDR + len > HNR_BUF) {
        int rc = hn_hnr_writer_flush(w, FALSE);
        if (rc)
            return rc;
    }
    uint8_t *p = w->buf + w->used;
    p[0] = (uint8_t)type;
    p[1] = 0;
    put_be16(p + 2, (uint16_t)len);
    put_be64(p + 4, arrival_us);
    memcpy(p + HNR_REC_HDR, data, len);
    w->used += HNR_REC_HDR + len;
    return 0;
}

uint64_t hn_hnr_writer_bytes(const HnHnrWriter *w)
{
    return w ? w->written : 0;
}

void hn_hnr_writer_close(HnHnrWriter *w)
{
    if (!w)
        return;
    hn_hnr_writer_flush(w, FALSE);
    fsync(w->fd);
    close(w->fd);
    g_free(w->buf);
    g_free(w);
}

HnHnrReader *hn_hnr_reader_open(const char *path, GError **error)
{
    g_return_val_if_fail(path, NULL);
    FILE *f = fopen(path, "rbe");
    if (!f) {
        int e = errno;
        g_set_error(error, G_IO_ERROR, g_io_error_from_errno(e), "%s: %s", path, g_strerror(e));
        return NULL;
    }
    uint8_t head[12];
    if (fread(head, 1, sizeof head, f) != sizeof head || memcmp(head, HN_HNR_MAGIC, 8) != 0) {
        fclose(f);
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "%s: not a track file (.hnr)",
                    path);
        return NULL;
    }
    size_t jlen = (size_t)get_be(head + 8, 4);
    char *json = jlen <= HN_HNR_MAX_JSON ? g_malloc(jlen + 1) : NULL;
    json_t *header = NULL;
    if (json && fread(json, 1, jlen, f) == jlen) {
        json[jlen] = '\0';
        header = json_loads(json, 0, NULL);
    }
    g_free(json);
    if (!json_is_object(header)) {
        json_decref(header);
        fclose(f);
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "%s: bad track header", path);
        return NULL;
    }
    HnHnrReader *r = g_new0(HnHnrReader, 1);
    r->f = f;
    r->header = header;
    r->offset = sizeof head + jlen;
    return r;
}

const json_t *hn_hnr_reader_header(const HnHnrReader *r)
{
    return r ? r->header : NULL;
}

int hn_hnr_reader_next(HnHnrReader *r, HnHnrRecord *out)
{
    g_return_val_if_fail(r && out, -EINVAL);
    if (r->truncated)
        return 0;
    uint8_t h[HNR_REC_HDR];
    size_t n = fread(h, 1, sizeof h, r->f);
    if (n == 0)
        return ferror(r->f) ? -EIO : 0;
    if (n < sizeof h) {
        r->truncated = TRUE;
        return 0;
    }
    uint16_t len = (uint16_t)get_be(h + 2, 2);
    if ((h[0] != HN_HNR_RTP && h[0] != HN_HNR_RTCP) || len == 0)
        return -EBADMSG;
    if (fread(r->data, 1, len, r->f) != len) {
        if (ferror(r->f))
            return -EIO;
        r->truncated = TRUE;
        return 0;
    }
    out->type = h[0];
    out->arrival_us = get_be(h + 4, 8);
    out->data = r->data;
    out->len = len;
    r->offset += HNR_REC_HDR + len;
    return 1;
}

gboolean hn_hnr_reader_truncated(const HnHnrReader *r)
{
    return r && r->truncated;
}

uint64_t hn_hnr_reader_offset(const HnHnrReader *r)
{
    return r ? r->offset : 0;
}

void hn_hnr_reader_close(HnHnrReader *r)
{
    if (!r)
        return;
    fclose(r->f);
    json_decref(r->header);
    g_free(r);
}

char *hn_archive_meeting_dir(const char *data_dir, int64_t meeting_id, int64_t started_ms)
{
    time_t t = (time_t)(started_ms / 1000);
    struct tm tm;
    localtime_r(&t, &tm);
    char date[32];
    strftime(date, sizeof date, "%Y/%m/%d", &tm);
    char id[32];
    g_snprintf(id, sizeof id, "%" G_GINT64_FORMAT, (gint64)meeting_id);
    return g_build_filename(data_dir, "archive", date, id, NULL);
}
