/* Admission control (issue 14): is a worker too far behind to take a newcomer? Fed every
 * HN_WORKER_LAG_PERIOD_MS with the worse of the worker's loop lag and its sockets' queueing delay
 * over the period; smoothed (exponentially, 1/4 per sample) so one slow turn does not refuse
 * anyone; busy once the smoothed value reaches the threshold, and, with hysteresis, busy until
 * it is back under half the threshold AND hold has passed since it was last at the threshold.
 * While busy a new join gets `server-busy` with a retry hint; participants already in are not
 * touched. Sans-IO: times are given (fake clocks in tests); thread: the owner's. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

typedef struct {
    int64_t threshold_us; /* 0: never busy */
    int64_t hold_us;
    int64_t smooth_us;
    int64_t last_high_us; /* when the smoothed value was last at or above the threshold */
    bool busy;
    bool averaged; /* the samples are averages already (PSI avg10): taken as they are */
} HnAdmission;

void hn_admission_init(HnAdmission *a, unsigned threshold_ms, unsigned hold_s);
/* One sample (µs of lag or delay) at now_us; returns whether the worker is busy now. */
bool hn_admission_sample(HnAdmission *a, int64_t now_us, int64_t sample_us);
/* The same model on a measure that is an average already (CPU pressure in per mille, PSI avg10):
 * no smoothing of its own; busy at or above threshold (0: never), held hold_us. */
void hn_admission_init_raw(HnAdmission *a, int64_t threshold, int64_t hold_us);
/* Seconds a refused newcomer should wait (>= 1) while busy, 0 when not busy. */
unsigned hn_admission_retry_after(const HnAdmission *a, int64_t now_us);

/* The machine's load, as Linux pressure stall information (PSI: /proc/pressure/cpu, or a
 * cgroup v2 group's cpu.pressure): the share of the last 10 s in which some runnable task
 * waited for a CPU, from the line "some avg10=P.PP ...", in per mille (0..1000). text: the
 * file's contents, NUL-terminated. false when there is no such line or it is malformed. */
bool hn_admission_parse_psi(const char *text, int64_t *some_avg10_permille);
