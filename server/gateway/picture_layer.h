/* A composed tile that follows its publisher's simulcast layers (gateway/picture.c).
 *
 * The room's tap hands the picture each publisher's highest layer that flows (core/router_layers.c,
 * rt_layers_is_tap_layer): when a viewer's tiles change, the publisher pauses or resumes layers
 * and the tap moves to another SSRC. The composer's track (jitter buffer, depayloader, decoder)
 * wants one stream: this model switches to the new layer at its first key frame and rewrites
 * SSRC, sequence numbers and timestamps so that the track goes on without a break (sequence
 * numbers continue, the timestamp advances by the time between the last packet of the old layer
 * and the first of the new one). I/O-free: the arrival time is an argument. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct {
    bool started;
    uint32_t ssrc;     /* the layer followed now */
    uint32_t out_ssrc; /* what the composer sees: the first layer's SSRC */
    uint32_t clock_rate;
    uint16_t seq_off; /* out = in + off */
    uint32_t ts_off;
    uint16_t last_seq; /* the highest output so far, and its arrival */
    uint32_t last_ts;
    int64_t last_us;
    unsigned switches;
} HnPicLayer;

typedef enum {
    HN_PIC_LAYER_FORWARD,  /* rewritten in place: give it to the composer */
    HN_PIC_LAYER_WAIT_KEY, /* another layer, not at a key frame: drop it, ask for a key frame */
} HnPicLayerAction;

/* Starts following; the first packet given must be a key frame (the tile opens there). */
void hn_pic_layer_init(HnPicLayer *l, uint32_t clock_rate);
/* One RTP packet of the tile (rtp: at least 12 bytes; rewritten in place when forwarded),
 * arrived at arrival_us. */
HnPicLayerAction hn_pic_layer_on_packet(HnPicLayer *l, uint8_t *rtp, size_t len, bool keyframe,
                                        int64_t arrival_us);
