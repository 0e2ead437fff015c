/* A composed tile that follows its publisher's simulcast layers: see picture_layer.h. */
#include "gateway/picture_layer.h"

#include <string.h>

static uint16_t rd16(const uint8_t *p)
{
    return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t rd32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void wr16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static void wr32(uint8_t *p, uint32_t v)
{
    wr16(p, (uint16_t)(v >> 16));
    wr16(p + 2, (uint16_t)v);
}

void hn_pic_layer_init(HnPicLayer *l, uint32_t clock_rate)
{
    memset(l, 0, sizeof *l);
    l->clock_rate = clock_rate ? clock_rate : 90000;
}

HnPicLayerAction hn_pic_layer_on_packet(HnPicLayer *l, uint8_t *rtp, size_t len, bool keyframe,
                                        int64_t arrival_us)
{
    if (len < 12)
        return HN_PIC_LAYER_WAIT_KEY;
    uint32_t ssrc = rd32(rtp + 8);
    uint16_t seq = rd16(rtp + 2);
    uint32_t ts = rd32(rtp + 4);
    if (!l->started) {
        if (!keyframe)
            return HN_PIC_LAYER_WAIT_KEY;
        l->started = true;
        l->ssrc = l->out_ssrc = ssrc;
        l->last_seq = (uint16_t)(seq - 1);
        l->last_ts = ts;
        l->last_us = arrival_us;
    } else if (ssrc != l->ssrc) {
        if (!keyframe)
            return HN_PIC_LAYER_WAIT_KEY;
        /* the new layer's first packet follows the last output: the next sequence number, the
         * timestamp advanced by the time between them (at least one tick) */
        int64_t gap_us = arrival_us > l->last_us ? arrival_us - l->last_us : 0;
        uint32_t ticks = (uint32_t)((uint64_t)gap_us * l->clock_rate / 1000000u);
        l->ssrc = ssrc;
        l->seq_off = (uint16_t)(l->last_seq + 1 - seq);
        l->ts_off = l->last_ts + (ticks ? ticks : 1) - ts;
        l->switches++;
    }
    uint16_t out_seq = (uint16_t)(seq + l->seq_off);
    uint32_t out_ts = ts + l->ts_off;
    if ((int16_t)(out_seq - l->last_seq) > 0) {
        l->last_seq = out_seq;
        l->last_ts = out_ts;
        l->last_us = arrival_us;
    }
    wr16(rtp + 2, out_seq);
    wr32(rtp + 4, out_ts);
    wr32(rtp + 8, l->out_ssrc);
    return HN_PIC_LAYER_FORWARD;
}
