#include "core/admission.h"

void hn_admission_init(HnAdmission *a, unsigned threshold_ms, unsigned hold_s)
{
    *a = (HnAdmission){
        .threshold_us = (int64_t)threshold_ms * 1000,
        .hold_us = (int64_t)hold_s * 1000000,
    };
}

bool hn_admission_sample(HnAdmission *a, int64_t now_us, int64_t sample_us)
{
    if (a->threshold_us <= 0)
        return a->busy = false;
    if (sample_us < 0)
        sample_us = 0;
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
