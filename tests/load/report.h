/* report.h - turning two snapshots of every peer into the figures of a measurement window,
 * and writing them as a human table and one JSON line ("RESULT {...}"). Main thread. */
#pragma once

#include <glib.h>
#include <jansson.h>
#include <stdio.h>

#include "run.h"

/* Every peer's figures at one instant, plus process counters. */
typedef struct {
    int64_t t_ns;
    size_t n;          /* clients covered (run clients 0..n-1) */
    LoadPeerSnap *pub; /* n entries (valid only for publishing clients) */
    LoadPeerSnap *sub; /* n entries (valid only for subscribing clients) */
    double self_cpu_s; /* this process, user + system */
    uint64_t
        socket_drops; /* datagrams dropped on hn-load's lite sockets (load_lite_socket_drops) */
    gboolean server_ok;
    double server_cpu_s;
    uint64_t server_rss_kb, server_hwm_kb;
} LoadSnapshot;

void load_snapshot_free(LoadSnapshot *s);

/* Reads utime + stime (seconds) and VmRSS / VmHWM (kB) of a process from /proc. */
gboolean load_proc_read(int pid, double *cpu_s, uint64_t *rss_kb, uint64_t *hwm_kb);
double load_self_cpu(void);

typedef struct {
    int n, p50, p95, max; /* milliseconds */
} LoadJoinStats;

/* The figures of one window [a, b] (a may be NULL: since the start). */
typedef struct {
    double window_s;
    int publishers, publishers_ready, subscribers, subscribers_connected, subscribers_silent;
    int streams_expected, streams_receiving;
    uint64_t sent_packets, sent_bytes, received_packets, expected_packets, lost_packets;
    double loss_pct;
    /* since the start of the run up to the window's end (b), not only the window: what a
     * server's cumulative counters can be compared with */
    uint64_t run_sent_packets, run_received_packets;
    LoadHist delay;
    double jitter_mean_ms, jitter_max_ms;
    uint64_t late_packets, plis_rx, plis_tx, nacks_rx, unknown_ssrc;
    uint64_t send_failures; /* publishers' packets their transport could not send */
    int64_t late_max_us;
    LoadJoinStats join, probe_join;
    double self_cpu_s;
    uint64_t socket_drops;
    gboolean server_ok;
    double server_cpu_s, server_us_per_packet;
    uint64_t server_rss_kb, server_hwm_kb;
    int client_failures;
    GPtrArray *problems; /* char*: why the run is not OK, empty when it is */
} LoadFigures;

/* Computes the window's figures over clients (run order; probes are left out except for
 * probe_join). max_loss < 0 disables the loss check. */
void load_figures_compute(LoadFigures *f, GPtrArray *clients, const LoadSnapshot *a,
                          const LoadSnapshot *b, double max_loss, gboolean check_media);
void load_figures_clear(LoadFigures *f);

/* The RESULT object: run parameters, media, the figures and (up to 64 subscribers) one entry
 * per subscriber. mode: "fixed", "mesh" or "ramp"; step: ramp step (0 otherwise).
 * transfer full. */
json_t *load_report_json(const LoadConfig *cfg, const LoadMedia *media, const char *mode, int step,
                         const LoadFigures *f, GPtrArray *clients, const LoadSnapshot *a,
                         const LoadSnapshot *b);
/* Prints "RESULT <json>" to stdout and appends the line to path (NULL: none). */
void load_report_emit(json_t *obj, const char *path);
/* The human table: one row per subscriber (at most 20), then the totals. */
void load_report_print(FILE *out, const LoadConfig *cfg, const char *title, const LoadFigures *f,
                       GPtrArray *clients, const LoadSnapshot *a, const LoadSnapshot *b);
