/* RTCP (RFC 3550, RFC 4585, RFC 5104, draft-alvestrand-rmcat-remb, draft-holmer-rmcat-transport-
 * wide-cc-extensions): validate and walk compound packets, read typed fields, write the packets
 * the SFU sends. Pure functions on caller-owned buffers; no allocation, no I/O; any thread.
 * Parsing contract: hn_rtcp_iter_next() validates each packet's structure completely before
 * returning it, so the accessors below never read out of bounds on a packet it returned. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum {
    HN_RTCP_SR = 200,
    HN_RTCP_RR = 201,
    HN_RTCP_SDES = 202,
    HN_RTCP_BYE = 203,
    HN_RTCP_APP = 204,
    HN_RTCP_RTPFB = 205,
    HN_RTCP_PSFB = 206,
};

/* FMT values of the feedback packets we understand. */
enum {
    HN_RTPFB_FMT_NACK = 1,
    HN_RTPFB_FMT_TWCC = 15,
    HN_PSFB_FMT_PLI = 1,
    HN_PSFB_FMT_FIR = 4,
    HN_PSFB_FMT_AFB = 15,
};

#define HN_RTCP_MAX_REPORT_BLOCKS 31
#define HN_RTCP_REPORT_BLOCK_LEN  24

/* What one packet of a compound is, after validation. */
typedef enum {
    HN_RTCP_KIND_SR,
    HN_RTCP_KIND_RR,
    HN_RTCP_KIND_SDES,
    HN_RTCP_KIND_BYE,
    HN_RTCP_KIND_APP,
    HN_RTCP_KIND_NACK, /* RTPFB fmt 1 */
    HN_RTCP_KIND_TWCC, /* RTPFB fmt 15 */
    HN_RTCP_KIND_RTPFB_OTHER,
    HN_RTCP_KIND_PLI,        /* PSFB fmt 1 */
    HN_RTCP_KIND_FIR,        /* PSFB fmt 4 */
    HN_RTCP_KIND_REMB,       /* PSFB fmt 15 with "REMB" identifier */
    HN_RTCP_KIND_PSFB_OTHER, /* other PSFB, including non-REMB application feedback */
    HN_RTCP_KIND_UNKNOWN,    /* valid header, packet type we do not interpret (XR, ...) */
} HnRtcpKind;

/* One validated packet inside a compound. data points into the caller's buffer (transfer none);
 * len excludes padding. count is: report blocks (SR/RR), chunks (SDES), SSRCs (BYE, REMB),
 * NACK items (pid+blp pairs), FIR entries; 0 otherwise. */
typedef struct {
    HnRtcpKind kind;
    uint8_t type; /* packet type, 192..223 */
    uint8_t fmt;  /* the 5-bit RC/SC/FMT field */
    const uint8_t *data;
    size_t len;
    uint32_t sender_ssrc; /* SR, RR, APP, RTPFB, PSFB; 0 for the others */
    uint32_t media_ssrc;  /* RTPFB, PSFB; 0 for the others (FIR: the FCI carries the targets) */
    unsigned count;
} HnRtcpPacket;

typedef struct {
    uint32_t ssrc;
    uint8_t fraction_lost;    /* fixed point /256 */
    int32_t cumulative_lost;  /* 24-bit signed on the wire */
    uint32_t ext_highest_seq; /* cycles << 16 | highest seq */
    uint32_t jitter;          /* RTP timestamp units */
    uint32_t lsr;             /* middle 32 bits of the NTP time of the last SR, 0 if none */
    uint32_t dlsr;            /* delay since that SR, 1/65536 s */
} HnRtcpReportBlock;

typedef struct {
    uint64_t ntp; /* NTP timestamp: seconds << 32 | fraction */
    uint32_t rtp_ts;
    uint32_t packet_count;
    uint32_t octet_count;
} HnRtcpSenderInfo;

/* Fixed fields of a transport-wide congestion control feedback. */
typedef struct {
    uint16_t base_seq;
    uint16_t status_count;
    int32_t reference_time; /* signed 24-bit, multiples of 64 ms */
    uint8_t fb_count;
} HnRtcpTwcc;

/* Iterator over a compound packet. Caller-owned, on the stack; buf must outlive it. */
typedef struct {
    const uint8_t *buf;
    size_t len;
    size_t off;
} HnRtcpIter;

void hn_rtcp_iter_init(HnRtcpIter *it, const uint8_t *buf, size_t len);
/* Validates and returns the next packet in *pkt. Returns 1 when a packet was produced, 0 at the
 * end, -EINVAL when the next packet is malformed (iteration must stop then). */
int hn_rtcp_iter_next(HnRtcpIter *it, HnRtcpPacket *pkt);
/* Validates a whole compound packet: at least one packet, every packet well formed, lengths
 * adding up exactly to len. Returns the number of packets (> 0) or -EINVAL. */
int hn_rtcp_validate(const uint8_t *buf, size_t len);

/* Typed accessors; p must come from hn_rtcp_iter_next() and be of the named kind; i < p->count. */
void hn_rtcp_sr_info(const HnRtcpPacket *p, HnRtcpSenderInfo *out);                   /* SR */
void hn_rtcp_report_block(const HnRtcpPacket *p, unsigned i, HnRtcpReportBlock *out); /* SR, RR */
void hn_rtcp_nack_item(const HnRtcpPacket *p, unsigned i, uint16_t *pid, uint16_t *blp);
void hn_rtcp_fir_item(const HnRtcpPacket *p, unsigned i, uint32_t *ssrc, uint8_t *seq_nr);
uint64_t hn_rtcp_remb_bitrate(const HnRtcpPacket *p); /* bits per second, saturating */
uint32_t hn_rtcp_remb_ssrc(const HnRtcpPacket *p, unsigned i);
void hn_rtcp_twcc(const HnRtcpPacket *p, HnRtcpTwcc *out);
uint32_t hn_rtcp_bye_ssrc(const HnRtcpPacket *p, unsigned i);

/* Expands one NACK item into the lost sequence numbers (pid first); returns how many (1..17). */
unsigned hn_rtcp_nack_expand(uint16_t pid, uint16_t blp, uint16_t out[17]);

/* Writers: write one packet at buf (capacity cap) and return its length in bytes, or -ENOSPC
 * when cap is too small, -EINVAL for bad arguments. Nothing is written past cap. */
int hn_rtcp_write_pli(uint8_t *buf, size_t cap, uint32_t sender_ssrc, uint32_t media_ssrc);
/* FIR with one FCI entry (media_ssrc, seq_nr); the header's media SSRC is 0 as RFC 5104 says. */
int hn_rtcp_write_fir(uint8_t *buf, size_t cap, uint32_t sender_ssrc, uint32_t media_ssrc,
                      uint8_t seq_nr);
/* RR with n (<= 31) report blocks; blocks: transfer none, may be NULL when n == 0. */
int hn_rtcp_write_rr(uint8_t *buf, size_t cap, uint32_t sender_ssrc,
                     const HnRtcpReportBlock *blocks, unsigned n);
int hn_rtcp_write_sr(uint8_t *buf, size_t cap, uint32_t sender_ssrc, const HnRtcpSenderInfo *si,
                     const HnRtcpReportBlock *blocks, unsigned n);
/* Generic NACK for the n lost sequence numbers in seqs (any order, n >= 1), packed into as few
 * pid+blp items as a single forward pass allows. */
int hn_rtcp_write_nack(uint8_t *buf, size_t cap, uint32_t sender_ssrc, uint32_t media_ssrc,
                       const uint16_t *seqs, size_t n);
/* SDES with one chunk carrying a CNAME item (cname: 1..255 bytes, NUL-terminated). */
int hn_rtcp_write_sdes_cname(uint8_t *buf, size_t cap, uint32_t ssrc, const char *cname);

/* NTP time arithmetic used for SR/RR. */
static inline uint32_t hn_ntp_mid32(uint64_t ntp)
{
    return (uint32_t)(ntp >> 16);
}
/* ntp + us (us may be negative), in NTP 32.32 fixed point. */
uint64_t hn_ntp_add_us(uint64_t ntp, int64_t us);
/* DLSR units (1/65536 s) <-> microseconds; the conversion to DLSR clamps to the 32-bit range. */
uint32_t hn_rtcp_dlsr_from_us(int64_t us);
int64_t hn_rtcp_us_from_dlsr(uint32_t dlsr);
