#include "report.h"

#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#define DETAIL_MAX   64 /* subscribers listed one by one in the JSON */
#define TABLE_MAX    20 /* ... and in the human table */
#define PROBLEMS_MAX 12

void load_snapshot_free(LoadSnapshot *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->n; i++) {
        load_peer_snap_clear(&s->pub[i]);
        load_peer_snap_clear(&s->sub[i]);
    }
    g_free(s->pub);
    g_free(s->sub);
    g_free(s);
}

gboolean load_proc_read(int pid, double *cpu_s, uint64_t *rss_kb, uint64_t *hwm_kb)
{
    char path[64], *text = NULL;
    g_snprintf(path, sizeof path, "/proc/%d/stat", pid);
    if (!g_file_get_contents(path, &text, NULL, NULL))
        return FALSE;
    /* Fields after the ")" that ends the command name: state is field 3, utime 14, stime 15. */
    const char *p = strrchr(text, ')');
    unsigned long long ut = 0, st = 0;
    gboolean ok =
        p && sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut, &st) == 2;
    g_free(text);
    if (!ok)
        return FALSE;
    *cpu_s = (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
    *rss_kb = *hwm_kb = 0;
    g_snprintf(path, sizeof path, "/proc/%d/status", pid);
    if (g_file_get_contents(path, &text, NULL, NULL)) {
        const char *r = strstr(text, "VmRSS:"), *h = strstr(text, "VmHWM:");
        unsigned long long v;
        if (r && sscanf(r + 6, "%llu", &v) == 1)
            *rss_kb = v;
        if (h && sscanf(h + 6, "%llu", &v) == 1)
            *hwm_kb = v;
        g_free(text);
    }
    return TRUE;
}

double load_self_cpu(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec +
           ru.ru_stime.tv_usec / 1e6;
}

/* --- per-subscriber window figures ------------------------------------------------------ */

typedef struct {
    uint64_t packets, expected, lost;
    LoadHist hist;
    double jitter_sum_ms, jitter_max_ms;
    int jitter_n;
    int streams_expected, streams_receiving;
} SubFig;

static const LoadPeerSnap *snap_at(const LoadSnapshot *s, const LoadPeerSnap *arr, size_t i)
{
    return s && i < s->n && arr[i].valid ? &arr[i] : NULL;
}

static const LoadRxStream *find_ssrc(const LoadPeerSnap *s, uint32_t ssrc)
{
    for (size_t i = 0; s && i < s->n_streams; i++) {
        if (s->streams[i].ssrc == ssrc)
            return &s->streams[i];
    }
    return NULL;
}

static void sub_fig(LoadClient *c, const LoadPeerSnap *a, const LoadPeerSnap *b, int n_pubs,
                    gboolean audio, SubFig *o)
{
    memset(o, 0, sizeof *o);
    GPtrArray *wanted = load_run_wanted_pubs(c);
    o->streams_expected = (int)wanted->len * (audio ? 2 : 1);
    g_ptr_array_free(wanted, TRUE);
    if (!b)
        return;
    gboolean *seen = g_new0(gboolean, (size_t)n_pubs * 2 + 1);
    for (size_t i = 0; i < b->n_streams; i++) {
        const LoadRxStream *sb = &b->streams[i], *sa = find_ssrc(a, sb->ssrc);
        uint64_t dp = sb->packets - (sa ? sa->packets : 0);
        uint64_t de = load_rx_stream_expected(sb) - (sa ? load_rx_stream_expected(sa) : 0);
        o->packets += dp;
        o->expected += de;
        o->lost += de > dp ? de - dp : 0;
        if (sb->active && dp > 0 && sb->clock_rate) {
            double ms = sb->jitter * 1000.0 / sb->clock_rate;
            o->jitter_sum_ms += ms;
            o->jitter_n++;
            o->jitter_max_ms = MAX(o->jitter_max_ms, ms);
        }
        if (dp > 0 && sb->pub >= 0 && sb->pub < n_pubs) {
            gboolean *slot = &seen[sb->pub * 2 + (sb->kind == HN_KIND_VIDEO)];
            o->streams_receiving += !*slot;
            *slot = TRUE;
        }
    }
    g_free(seen);
    load_hist_diff(&o->hist, &b->hist, a ? &a->hist : NULL);
}

static int cmp_int(const void *x, const void *y)
{
    int a = *(const int *)x, b = *(const int *)y;
    return (a > b) - (a < b);
}

static void join_stats(GPtrArray *clients, gboolean probes, LoadJoinStats *out)
{
    memset(out, 0, sizeof *out);
    int *v = g_new0(int, clients->len + 1);
    for (guint i = 0; i < clients->len; i++) {
        LoadClient *c = clients->pdata[i];
        if (c->subscribes && c->probe == probes && c->keyframe_ns && c->ws_open_ns)
            v[out->n++] = (int)((c->keyframe_ns - c->ws_open_ns) / 1000000);
    }
    if (out->n) {
        qsort(v, (size_t)out->n, sizeof *v, cmp_int);
        out->p50 = v[(out->n * 50 + 99) / 100 - 1];
        out->p95 = v[(out->n * 95 + 99) / 100 - 1];
        out->max = v[out->n - 1];
    }
    g_free(v);
}

static void problem(LoadFigures *f, char *text)
{
    if (f->problems->len < PROBLEMS_MAX)
        g_ptr_array_add(f->problems, text);
    else
        g_free(text);
}

static void add_pub(LoadFigures *f, LoadClient *c, const LoadPeerSnap *a, const LoadPeerSnap *b)
{
    f->publishers++;
    f->publishers_ready += c->ready;
    if (!c->ready && !c->failed)
        problem(f, g_strdup_printf("publisher %s never started sending", c->name));
    if (!b)
        return;
    f->run_sent_packets += b->sent_packets;
    f->sent_packets += b->sent_packets - (a ? a->sent_packets : 0);
    f->sent_bytes += b->sent_bytes - (a ? a->sent_bytes : 0);
    f->late_packets += b->late_packets - (a ? a->late_packets : 0);
    f->send_failures += b->send_failures - (a ? a->send_failures : 0);
    f->late_max_us = MAX(f->late_max_us, b->late_max_us);
    f->plis_rx += b->plis_rx - (a ? a->plis_rx : 0);
    f->nacks_rx += b->nacks_rx - (a ? a->nacks_rx : 0);
}

static void add_sub(LoadFigures *f, LoadClient *c, const SubFig *s, const LoadPeerSnap *a,
                    const LoadPeerSnap *b, gboolean check_media, double *jitter_sum, int *jn)
{
    f->subscribers++;
    f->subscribers_connected += c->sub_connected;
    f->streams_expected += s->streams_expected;
    f->streams_receiving += s->streams_receiving;
    f->received_packets += s->packets;
    f->expected_packets += s->expected;
    f->lost_packets += s->lost;
    load_hist_merge(&f->delay, &s->hist);
    *jitter_sum += s->jitter_sum_ms;
    *jn += s->jitter_n;
    f->jitter_max_ms = MAX(f->jitter_max_ms, s->jitter_max_ms);
    if (b) {
        for (size_t i = 0; i < b->n_streams; i++)
            f->run_received_packets += b->streams[i].packets;
        f->plis_tx += b->plis_tx - (a ? a->plis_tx : 0);
        f->unknown_ssrc += b->unknown_ssrc - (a ? a->unknown_ssrc : 0);
    }
    if (s->packets == 0) {
        f->subscribers_silent++;
        if (check_media)
            problem(f, g_strdup_printf("subscriber %s received nothing", c->name));
    } else if (check_media && s->streams_receiving < s->streams_expected) {
        problem(f, g_strdup_printf("subscriber %s received %d of its %d streams", c->name,
                                   s->streams_receiving, s->streams_expected));
    }
}

void load_figures_compute(LoadFigures *f, GPtrArray *clients, const LoadSnapshot *a,
                          const LoadSnapshot *b, double max_loss, gboolean check_media)
{
    memset(f, 0, sizeof *f);
    f->problems = g_ptr_array_new_with_free_func(g_free);
    f->window_s = (double)(b->t_ns - (a ? a->t_ns : b->t_ns)) / 1e9;
    const LoadConfig *cfg = NULL;
    int n_pubs = 0;
    double jitter_sum = 0;
    int jn = 0;
    for (guint i = 0; i < clients->len; i++) {
        LoadClient *c = clients->pdata[i];
        cfg = load_run_config(c->run);
        n_pubs += c->publishes;
    }
    for (guint i = 0; i < clients->len && i < b->n; i++) {
        LoadClient *c = clients->pdata[i];
        if (c->probe && !c->keyframe_ns)
            problem(f, g_strdup_printf("join probe %s got no key frame (%s)", c->name,
                                       c->fail_reason ? c->fail_reason : "timed out"));
        if (c->probe || c->admin)
            continue;
        if (c->failed) {
            f->client_failures++;
            problem(f, g_strdup_printf("%s failed: %s", c->name, c->fail_reason));
        }
        if (c->publishes)
            add_pub(f, c, snap_at(a, a ? a->pub : NULL, i), snap_at(b, b->pub, i));
        if (c->subscribes) {
            SubFig s;
            const LoadPeerSnap *sa = snap_at(a, a ? a->sub : NULL, i), *sb = snap_at(b, b->sub, i);
            sub_fig(c, sa, sb, n_pubs, cfg->audio, &s);
            add_sub(f, c, &s, sa, sb, check_media, &jitter_sum, &jn);
        }
    }
    f->loss_pct = f->expected_packets ? 100.0 * f->lost_packets / f->expected_packets : 0;
    f->jitter_mean_ms = jn ? jitter_sum / jn : 0;
    join_stats(clients, FALSE, &f->join);
    join_stats(clients, TRUE, &f->probe_join);
    f->self_cpu_s = b->self_cpu_s - (a ? a->self_cpu_s : 0);
    f->socket_drops = b->socket_drops - (a ? a->socket_drops : 0);
    f->server_ok = b->server_ok && (!a || a->server_ok);
    if (f->server_ok) {
        f->server_cpu_s = b->server_cpu_s - (a ? a->server_cpu_s : 0);
        f->server_us_per_packet =
            f->received_packets ? f->server_cpu_s * 1e6 / (double)f->received_packets : 0;
        f->server_rss_kb = b->server_rss_kb;
        f->server_hwm_kb = b->server_hwm_kb;
    }
    if (max_loss >= 0 && f->loss_pct > max_loss)
        problem(f,
                g_strdup_printf("loss %.2f%% is over the limit of %.2f%%", f->loss_pct, max_loss));
    if (check_media && f->received_packets > 0 && f->delay.n == 0)
        problem(f, g_strdup("no forwarding delay sample (payload trailer not forwarded?)"));
}

void load_figures_clear(LoadFigures *f)
{
    if (f->problems)
        g_ptr_array_free(f->problems, TRUE);
    f->problems = NULL;
}

/* --- JSON ------------------------------------------------------------------------------- */

static json_t *delay_json(const LoadHist *h)
{
    return json_pack("{s:I, s:I, s:I, s:I, s:I}", "count", (json_int_t)h->n, "p50",
                     (json_int_t)load_hist_quantile(h, 0.5), "p90",
                     (json_int_t)load_hist_quantile(h, 0.9), "p99",
                     (json_int_t)load_hist_quantile(h, 0.99), "max", (json_int_t)h->max);
}

static json_t *join_json(const LoadJoinStats *j)
{
    return json_pack("{s:i, s:i, s:i, s:i}", "count", j->n, "p50", j->p50, "p95", j->p95, "max",
                     j->max);
}

static json_t *stream_json(const LoadRxStream *sb, const LoadRxStream *sa)
{
    uint64_t dp = sb->packets - (sa ? sa->packets : 0);
    uint64_t de = load_rx_stream_expected(sb) - (sa ? load_rx_stream_expected(sa) : 0);
    uint64_t dn = sb->delay_n - (sa ? sa->delay_n : 0);
    uint64_t ds = sb->delay_sum_us - (sa ? sa->delay_sum_us : 0);
    return json_pack("{s:i, s:s, s:s, s:I, s:I, s:I, s:f, s:I, s:I}", "pub", sb->pub, "kind",
                     sb->kind == HN_KIND_VIDEO ? "video" : "audio", "mid", sb->mid, "ssrc",
                     (json_int_t)sb->ssrc, "packets", (json_int_t)dp, "lost",
                     (json_int_t)(de > dp ? de - dp : 0), "jitter_ms",
                     sb->clock_rate ? sb->jitter * 1000.0 / sb->clock_rate : 0.0, "delay_mean_us",
                     (json_int_t)(dn ? ds / dn : 0), "delay_max_us", (json_int_t)sb->delay_max_us);
}

static json_t *subscriber_json(LoadClient *c, const LoadPeerSnap *a, const LoadPeerSnap *b,
                               const SubFig *s)
{
    json_t *streams = json_array();
    for (size_t i = 0; b && i < b->n_streams; i++)
        json_array_append_new(streams,
                              stream_json(&b->streams[i], find_ssrc(a, b->streams[i].ssrc)));
    int join =
        c->keyframe_ns && c->ws_open_ns ? (int)((c->keyframe_ns - c->ws_open_ns) / 1000000) : -1;
    return json_pack("{s:i, s:s, s:b, s:i, s:I, s:I, s:I, s:f, s:i, s:i, s:I, s:I, s:o}", "index",
                     c->index, "name", c->name, "connected", c->sub_connected, "join_ms", join,
                     "packets", (json_int_t)s->packets, "expected", (json_int_t)s->expected, "lost",
                     (json_int_t)s->lost, "loss_pct",
                     s->expected ? 100.0 * s->lost / s->expected : 0.0, "streams_expected",
                     s->streams_expected, "streams_receiving", s->streams_receiving, "delay_p50_us",
                     (json_int_t)load_hist_quantile(&s->hist, 0.5), "delay_p99_us",
                     (json_int_t)load_hist_quantile(&s->hist, 0.99), "streams", streams);
}

static json_t *media_json(const LoadMedia *m)
{
    return json_pack("{s:f, s:f, s:f, s:f}", "video_kbps", m->video.kbps, "video_pps", m->video.pps,
                     "audio_kbps", m->audio.kbps, "audio_pps", m->audio.pps);
}

static json_t *server_json(const LoadFigures *f)
{
    if (!f->server_ok)
        return json_null();
    return json_pack("{s:f, s:f, s:I, s:I}", "cpu_s", f->server_cpu_s, "cpu_us_per_packet",
                     f->server_us_per_packet, "rss_kb", (json_int_t)f->server_rss_kb, "peak_rss_kb",
                     (json_int_t)f->server_hwm_kb);
}

json_t *load_report_json(const LoadConfig *cfg, const LoadMedia *media, const char *mode, int step,
                         const LoadFigures *f, GPtrArray *clients, const LoadSnapshot *a,
                         const LoadSnapshot *b)
{
    json_t *o = json_pack(
        "{s:s, s:i, s:s, s:s, s:s, s:s, s:i, s:i, s:i, s:i, s:i, s:i, s:i, s:b, s:f}", "tool",
        "hn-load", "version", 1, "target", cfg->target == LOAD_TARGET_JANUS ? "janus" : "hoinghi",
        "mode", mode, "url", cfg->url, "room", cfg->room, "step", step, "publishers", f->publishers,
        "subscribers", f->subscribers, "subscribe_to", cfg->subscribe_to, "video_kbps",
        (int)cfg->video_kbps, "audio_kbps", (int)cfg->audio_kbps, "threads", cfg->threads, "audio",
        cfg->audio, "window_s", f->window_s);
    json_object_set_new(o, "media", media_json(media));
    json_t *fig = json_pack(
        "{s:i, s:i, s:i, s:i, s:i, s:I, s:I, s:I, s:I, s:I, s:f, s:o, s:f, s:f, s:o, s:o}",
        "publishers_ready", f->publishers_ready, "subscribers_connected", f->subscribers_connected,
        "subscribers_silent", f->subscribers_silent, "streams_expected", f->streams_expected,
        "streams_receiving", f->streams_receiving, "sent_packets", (json_int_t)f->sent_packets,
        "sent_bytes", (json_int_t)f->sent_bytes, "received_packets",
        (json_int_t)f->received_packets, "expected_packets", (json_int_t)f->expected_packets,
        "lost_packets", (json_int_t)f->lost_packets, "loss_pct", f->loss_pct, "delay_us",
        delay_json(&f->delay), "jitter_mean_ms", f->jitter_mean_ms, "jitter_max_ms",
        f->jitter_max_ms, "join_ms", join_json(&f->join), "probe_join_ms",
        join_json(&f->probe_join));
    json_object_update(o, fig);
    json_decref(fig);
    /* Flat copies of the headline numbers; join_* are the probes' when there were probes. */
    const LoadJoinStats *j = f->probe_join.n ? &f->probe_join : &f->join;
    json_t *flat = json_pack("{s:I, s:I, s:I, s:i, s:i, s:i}", "delay_p50_us",
                             (json_int_t)load_hist_quantile(&f->delay, 0.5), "delay_p99_us",
                             (json_int_t)load_hist_quantile(&f->delay, 0.99), "packets_received",
                             (json_int_t)f->received_packets, "join_p50_ms", j->p50, "join_p95_ms",
                             j->p95, "joins", j->n);
    json_object_update(o, flat);
    json_decref(flat);
    json_object_set_new(
        o, "pacing",
        json_pack("{s:I, s:I, s:I, s:I, s:I, s:I}", "late_packets", (json_int_t)f->late_packets,
                  "late_max_us", (json_int_t)f->late_max_us, "plis_rx", (json_int_t)f->plis_rx,
                  "plis_tx", (json_int_t)f->plis_tx, "nacks_rx", (json_int_t)f->nacks_rx,
                  "send_failures", (json_int_t)f->send_failures));
    json_object_set_new(o, "run",
                        json_pack("{s:I, s:I}", "sent_packets", (json_int_t)f->run_sent_packets,
                                  "received_packets", (json_int_t)f->run_received_packets));
    json_object_set_new(o, "loadgen_cpu_s", json_real(f->self_cpu_s));
    json_object_set_new(o, "loadgen_socket_drops", json_integer((json_int_t)f->socket_drops));
    json_object_set_new(o, "server", server_json(f));
    json_object_set_new(o, "client_failures", json_integer(f->client_failures));
    json_t *problems = json_array();
    for (guint i = 0; i < f->problems->len; i++)
        json_array_append_new(problems, json_string(f->problems->pdata[i]));
    json_object_set_new(o, "problems", problems);
    json_object_set_new(o, "ok", json_boolean(f->problems->len == 0));
    if (f->subscribers > DETAIL_MAX) {
        json_object_set_new(o, "subscriber_detail", json_null());
        return o;
    }
    json_t *subs = json_array();
    int n_pubs = f->publishers;
    for (guint i = 0; i < clients->len && i < b->n; i++) {
        LoadClient *c = clients->pdata[i];
        if (!c->subscribes || c->probe)
            continue;
        SubFig s;
        const LoadPeerSnap *sa = snap_at(a, a ? a->sub : NULL, i), *sb = snap_at(b, b->sub, i);
        sub_fig(c, sa, sb, n_pubs, cfg->audio, &s);
        json_array_append_new(subs, subscriber_json(c, sa, sb, &s));
    }
    json_object_set_new(o, "subscriber_detail", subs);
    return o;
}

void load_report_emit(json_t *obj, const char *path)
{
    char *line = json_dumps(obj, JSON_COMPACT | JSON_REAL_PRECISION(6));
    if (!line)
        return;
    printf("RESULT %s\n", line);
    fflush(stdout);
    if (path) {
        FILE *f = fopen(path, "a");
        if (f) {
            fprintf(f, "%s\n", line);
            fclose(f);
        } else {
            g_printerr("hn-load: cannot append to %s\n", path);
        }
    }
    free(line);
}

void load_report_print(FILE *out, const LoadConfig *cfg, const char *title, const LoadFigures *f,
                       GPtrArray *clients, const LoadSnapshot *a, const LoadSnapshot *b)
{
    fprintf(out, "\n== %s (window %.1f s)\n", title, f->window_s);
    if (f->subscribers <= TABLE_MAX) {
        fprintf(out, "  %-14s %7s %7s %8s %6s %6s %8s %9s %9s\n", "subscriber", "join_ms",
                "streams", "packets", "lost", "loss%", "jit_ms", "d_p50_us", "d_p99_us");
        for (guint i = 0; i < clients->len && i < b->n; i++) {
            LoadClient *c = clients->pdata[i];
            if (!c->subscribes || c->probe)
                continue;
            SubFig s;
            sub_fig(c, snap_at(a, a ? a->sub : NULL, i), snap_at(b, b->sub, i), f->publishers,
                    cfg->audio, &s);
            int join = c->keyframe_ns ? (int)((c->keyframe_ns - c->ws_open_ns) / 1000000) : -1;
            fprintf(out,
                    "  %-14s %7d %3d/%-3d %8" G_GUINT64_FORMAT " %6" G_GUINT64_FORMAT
                    " %6.2f %8.2f %9" G_GUINT64_FORMAT " %9" G_GUINT64_FORMAT "\n",
                    c->name, join, s.streams_receiving, s.streams_expected, s.packets, s.lost,
                    s.expected ? 100.0 * s.lost / s.expected : 0.0,
                    s.jitter_n ? s.jitter_sum_ms / s.jitter_n : 0.0,
                    load_hist_quantile(&s.hist, 0.5), load_hist_quantile(&s.hist, 0.99));
        }
    }
    fprintf(out,
            "  publishers %d/%d sending, subscribers %d (%d connected, %d silent), streams %d/%d\n"
            "  sent %" G_GUINT64_FORMAT " pkt, received %" G_GUINT64_FORMAT
            " pkt, lost %" G_GUINT64_FORMAT " (%.3f%%)\n"
            "  delay us: p50 %" G_GUINT64_FORMAT " p90 %" G_GUINT64_FORMAT " p99 %" G_GUINT64_FORMAT
            " max %" G_GUINT64_FORMAT "; jitter ms: mean %.2f max %.2f\n"
            "  join ms: p50 %d p95 %d max %d (n=%d)",
            f->publishers_ready, f->publishers, f->subscribers, f->subscribers_connected,
            f->subscribers_silent, f->streams_receiving, f->streams_expected, f->sent_packets,
            f->received_packets, f->lost_packets, f->loss_pct, load_hist_quantile(&f->delay, 0.5),
            load_hist_quantile(&f->delay, 0.9), load_hist_quantile(&f->delay, 0.99), f->delay.max,
            f->jitter_mean_ms, f->jitter_max_ms, f->join.p50, f->join.p95, f->join.max, f->join.n);
    if (f->probe_join.n)
        fprintf(out, "; probes p50 %d p95 %d max %d (n=%d)", f->probe_join.p50, f->probe_join.p95,
                f->probe_join.max, f->probe_join.n);
    fprintf(out, "\n  hn-load cpu %.2f s, late sends %" G_GUINT64_FORMAT " (max %.1f ms)\n",
            f->self_cpu_s, f->late_packets, f->late_max_us / 1000.0);
    if (f->server_ok)
        fprintf(out,
                "  server cpu %.2f s (%.2f us per received packet), rss %" G_GUINT64_FORMAT
                " kB, peak %" G_GUINT64_FORMAT " kB\n",
                f->server_cpu_s, f->server_us_per_packet, f->server_rss_kb, f->server_hwm_kb);
    for (guint i = 0; i < f->problems->len; i++)
        fprintf(out, "  PROBLEM: %s\n", (const char *)f->problems->pdata[i]);
    fflush(out);
}
