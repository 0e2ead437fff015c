#include "transport/rx_age.h"

const int64_t hn_rx_delay_bounds_us[HN_RX_DELAY_BUCKETS - 1] = {
    100, 500, 1000, 2000, 5000, 10000, 20000, 50000, 100000,
};

void hn_rx_delay_record(HnRxDelayStats *s, int64_t delay_us)
{
    if (delay_us < 0)
        delay_us = 0;
    int b = 0;
    while (b < HN_RX_DELAY_BUCKETS - 1 && delay_us > hn_rx_delay_bounds_us[b])
        b++;
    s->buckets[b]++;
    s->sum_us += delay_us;
    s->count++;
    s->last_us = delay_us;
    if (delay_us > s->max_us)
        s->max_us = delay_us;
    if (delay_us > s->window_max_us)
        s->window_max_us = delay_us;
}

int hn_rx_buffer_bytes(unsigned bound_ms, unsigned peak_mbps)
{
    /* peak_mbps * 1e6 / 8 bytes per second, for bound_ms / 1000 seconds */
    int64_t bytes = (int64_t)peak_mbps * 125 * bound_ms;
    if (bytes < 256 * 1024)
        bytes = 256 * 1024;
    if (bytes > 64 * 1024 * 1024)
        bytes = 64 * 1024 * 1024;
    return (int)bytes;
}
