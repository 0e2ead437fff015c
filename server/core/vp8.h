/* VP8 RTP payload descriptor (RFC 7741 section 4.2) parse and rewrite, and the per-consumer
 * continuity of picture IDs and TL0PICIDX across simulcast layer switches.
 *
 * Why: each simulcast layer is its own RTP stream with its own picture ID and TL0PICIDX counters.
 * A subscriber receiving one output stream while the router switches layers underneath must see
 * both counters continue (libwebrtc's frame reference finder uses them to assemble and order
 * frames; a jump back reads as an old frame). HnVp8Munger keeps an offset per source and starts
 * a new source right after the last values sent. Pure functions and plain value types; no
 * allocation, any thread (a munger belongs to its consumer: router thread only). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct {
    bool start_of_partition; /* S bit */
    uint8_t partition_id;    /* PID field */
    bool has_picture_id;     /* I bit */
    bool picture_id_15;      /* M bit: 15-bit picture ID (else 7-bit) */
    uint16_t picture_id;
    size_t picture_id_offset; /* byte offset of the picture ID in the payload */
    bool has_tl0picidx;       /* L bit */
    uint8_t tl0picidx;
    size_t tl0picidx_offset;
    bool has_tid; /* T bit */
    uint8_t tid;  /* temporal layer index, 0 when !has_tid */
    bool layer_sync;
    size_t descriptor_len; /* bytes before the VP8 payload header */
    /* the start of a key frame (S=1, PID=0, P bit clear) */
    bool is_keyframe;
    uint16_t width, height; /* key frame: coded size (scaling bits dropped); else 0 */
} HnVp8Descriptor;

/* Parses the descriptor at the start of an RTP payload of len bytes. Returns 0, or -EINVAL when
 * the payload is too short for the descriptor it announces (drop the packet). */
int hn_vp8_parse(const uint8_t *payload, size_t len, HnVp8Descriptor *out);

/* Overwrites the picture ID (in the width the packet uses, wrapped) and TL0PICIDX of a payload
 * parsed as d; fields the packet does not carry are left alone. */
void hn_vp8_write(uint8_t *payload, const HnVp8Descriptor *d, uint16_t picture_id,
                  uint8_t tl0picidx);

/* Picture ID / TL0PICIDX continuity of one output stream. */
typedef struct {
    bool started;
    bool switch_pending; /* the next packet starts a new source */
    uint16_t pid_off;    /* out = in + off (mod 2^15) */
    uint8_t tl0_off;
    uint16_t last_pid; /* highest picture ID sent (15-bit space) */
    uint8_t last_tl0;
} HnVp8Munger;

/* Resets m: the first source is sent unchanged. */
void hn_vp8_munger_init(HnVp8Munger *m);
/* The next packet handed to hn_vp8_munger_apply() is the first of a new source (a layer switch,
 * a publisher reconnect): it continues right after the last values sent. */
void hn_vp8_munger_switch(HnVp8Munger *m);
/* Rewrites the payload (len bytes, in place) of the next packet of the output stream. Returns 0,
 * or -EINVAL for a payload whose descriptor cannot be parsed (then it is left unchanged). */
int hn_vp8_munger_apply(HnVp8Munger *m, uint8_t *payload, size_t len);
