#include "core/admission.h"

#include <string.h>

#include <glib.h>

void hn_admission_init(HnAdmission *a, unsigned threshold_ms, unsigned hold_s)
{
    *a = (HnAdmission){
        .threshold_us = (int64_t)threshold_ms * 1000,
        .hold_us = (int64_t)hold_s * 1000000,
    };
}

void hn_admission_init_raw(HnAdmission *a, int64_t threshold, int64_t hold_us)
{
    *a = (HnAdmission){.threshold_us = threshold, .hold_us = hold_us, .averaged = true};
}

bool hn_admission_parse_psi(const char *text, int64_t *some_avg10_permille)
{
    /* "some avg10=3.89 avg60=1.31 avg300=4.29 total=2469191601\nfull ..." */
    static const char key[] = "some avg10=";
    const char *p = strncmp(text, key, sizeof key - 1) == 0 ? text : strstr(text, "\nsome avg10=");
    if (!p)
        return false;
    p = strchr(p, '=') + 1;
    char *end = NULL;
    double v = g_ascii_strtod(p, &end);
    if (end == p || (*end != ' ' && *end != '\n' && *end != '\0') || !(v >= 0.0 && v <= 100.0))
        return false;
    *some_avg10_permille = (int64_t)(v * 10.0 + 0.5);
    return true;
}

bool hn_admission_sample(HnAdmission *a, int64_t now_us, int64_t sample_us)
{
    if (a->threshold_us <= 0)
        return a->busy = false;
    if (sample_us < 0)
        sample_us = 0;
    if (a->averaged)
        a->smooth_us = sample_us;
    else
        a->smooth_us += (sample_us - a->smooth_us) / 4;
    if (a->smooth_us >= a->threshold_us) {
        a->busy = true;
        a->last_high_us = now_us;
    } else if (a->busy && a->smooth_us < a->threshold_us / 2 &&
               now_us - a->last_high_us >= a->hold_us) {
        a->busy = false;
    }
    return a->busy;
}

unsigned hn_admission_retry_after(const HnAdmission *a, int64_t now_us)
{
    if (!a->busy)
        return 0;
    int64_t left = a->last_high_us + a->hold_us - now_us;
    unsigned s = left > 0 ? (unsigned)((left + 999999) / 1000000) : 1;
    return s ? s : 1;
}
