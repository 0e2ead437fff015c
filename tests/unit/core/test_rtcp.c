/* Unit tests of core/rtcp: compound validation, typed fields, writers, hostile input. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <errno.h>

#include "core/rtcp.h"
#include "test_util.h"

/* Returns the i-th packet of a compound, failing the test if there is none. */
static HnRtcpPacket nth_packet(const uint8_t *buf, size_t len, unsigned i)
{
    HnRtcpIter it;
    HnRtcpPacket p = {0};
    hn_rtcp_iter_init(&it, buf, len);
    for (unsigned k = 0; k <= i; k++)
        assert_int_equal(hn_rtcp_iter_next(&it, &p), 1);
    return p;
}

static void test_sr_roundtrip(void **state)
{
    uint8_t buf[256];
    HnRtcpSenderInfo si = {
        .ntp = 0x0123456789abcdefull, .rtp_ts = 90000, .packet_count = 10, .octet_count = 12345};
    HnRtcpReportBlock rb[2] = {
        {.ssrc = 1,
         .fraction_lost = 25,
         .cumulative_lost = -3,
         .ext_highest_seq = 0x10005,
         .jitter = 40,
         .lsr = 0x11112222,
         .dlsr = 65536},
        {.ssrc = 2, .cumulative_lost = 0x7fffff},
    };
    int n = hn_rtcp_write_sr(buf, sizeof(buf), 0xaabbccdd, &si, rb, 2);
    assert_int_equal(n, 28 + 48);
    assert_int_equal(hn_rtcp_validate(buf, (size_t)n), 1);
    HnRtcpPacket p = nth_packet(buf, (size_t)n, 0);
    assert_int_equal(p.kind, HN_RTCP_KIND_SR);
    assert_int_equal(p.sender_ssrc, 0xaabbccdd);
    assert_int_equal(p.count, 2);
    HnRtcpSenderInfo got;
    hn_rtcp_sr_info(&p, &got);
    assert_int_equal(got.ntp, si.ntp);
    assert_int_equal(got.rtp_ts, si.rtp_ts);
    assert_int_equal(got.packet_count, si.packet_count);
    assert_int_equal(got.octet_count, si.octet_count);
    HnRtcpReportBlock b;
    hn_rtcp_report_block(&p, 0, &b);
    assert_int_equal(b.ssrc, 1);
    assert_int_equal(b.fraction_lost, 25);
    assert_int_equal(b.cumulative_lost, -3);
    assert_int_equal(b.ext_highest_seq, 0x10005);
    assert_int_equal(b.jitter, 40);
    assert_int_equal(b.lsr, 0x11112222);
    assert_int_equal(b.dlsr, 65536);
    hn_rtcp_report_block(&p, 1, &b);
    assert_int_equal(b.ssrc, 2);
    assert_int_equal(b.cumulative_lost, 0x7fffff);
    assert_int_equal(hn_rtcp_write_sr(buf, 27, 1, &si, NULL, 0), -ENOSPC);
}

static void test_rr_roundtrip_and_limits(void **state)
{
    uint8_t buf[1024];
    HnRtcpReportBlock rb[32];
    for (unsigned i = 0; i < 32; i++)
        rb[i] = (HnRtcpReportBlock){.ssrc = 100 + i, .cumulative_lost = -10000000};
    int n = hn_rtcp_write_rr(buf, sizeof(buf), 5, NULL, 0);
    assert_int_equal(n, 8);
    assert_int_equal(nth_packet(buf, 8, 0).kind, HN_RTCP_KIND_RR);
    n = hn_rtcp_write_rr(buf, sizeof(buf), 5, rb, 31);
    assert_int_equal(n, 8 + 31 * 24);
    HnRtcpPacket p = nth_packet(buf, (size_t)n, 0);
    assert_int_equal(p.count, 31);
    HnRtcpReportBlock b;
    hn_rtcp_report_block(&p, 30, &b);
    assert_int_equal(b.ssrc, 130);
    assert_int_equal(b.cumulative_lost, -0x800000); /* clamped to 24 bits */
    assert_int_equal(hn_rtcp_write_rr(buf, sizeof(buf), 5, rb, 32), -EINVAL);
    assert_int_equal(hn_rtcp_write_rr(buf, 8 + 24 - 1, 5, rb, 1), -ENOSPC);
}

static void test_pli_fir(void **state)
{
    uint8_t buf[64];
    int n = hn_rtcp_write_pli(buf, sizeof(buf), 1, 2);
    assert_int_equal(n, 12);
    HnRtcpPacket p = nth_packet(buf, 12, 0);
    assert_int_equal(p.kind, HN_RTCP_KIND_PLI);
    assert_int_equal(p.sender_ssrc, 1);
    assert_int_equal(p.media_ssrc, 2);
    n = hn_rtcp_write_fir(buf, sizeof(buf), 1, 0x42, 7);
    assert_int_equal(n, 20);
    p = nth_packet(buf, 20, 0);
    assert_int_equal(p.kind, HN_RTCP_KIND_FIR);
    assert_int_equal(p.media_ssrc, 0);
    assert_int_equal(p.count, 1);
    uint32_t ssrc;
    uint8_t seq;
    hn_rtcp_fir_item(&p, 0, &ssrc, &seq);
    assert_int_equal(ssrc, 0x42);
    assert_int_equal(seq, 7);
    assert_int_equal(hn_rtcp_write_pli(buf, 11, 1, 2), -ENOSPC);
    assert_int_equal(hn_rtcp_write_fir(buf, 19, 1, 2, 0), -ENOSPC);
    /* FIR with a partial FCI entry */
    buf[3] = 3;
    assert_int_equal(hn_rtcp_validate(buf, 16), -EINVAL);
}

static void test_nack_roundtrip(void **state)
{
    uint8_t buf[128];
    const uint16_t seqs[] = {100, 101, 105, 116, 117, 200, 65535, 0, 100};
    int n = hn_rtcp_write_nack(buf, sizeof(buf), 9, 10, seqs, G_N_ELEMENTS(seqs));
    assert_true(n > 12);
    HnRtcpPacket p = nth_packet(buf, (size_t)n, 0);
    assert_int_equal(p.kind, HN_RTCP_KIND_NACK);
    assert_int_equal(p.media_ssrc, 10);
    bool seen[65536] = {false};
    unsigned total = 0;
    for (unsigned i = 0; i < p.count; i++) {
        uint16_t pid, blp, out[17];
        hn_rtcp_nack_item(&p, i, &pid, &blp);
        unsigned k = hn_rtcp_nack_expand(pid, blp, out);
        for (unsigned j = 0; j < k; j++) {
            if (!seen[out[j]])
                total++;
            seen[out[j]] = true;
        }
    }
    assert_int_equal(total, 8);
    for (size_t i = 0; i < G_N_ELEMENTS(seqs); i++)
        assert_true(seen[seqs[i]]);
    assert_int_equal(hn_rtcp_write_nack(buf, sizeof(buf), 9, 10, seqs, 0), -EINVAL);
    assert_int_equal(hn_rtcp_write_nack(buf, 16, 9, 10, seqs, G_N_ELEMENTS(seqs)), -ENOSPC);
    uint16_t out[17];
    assert_int_equal(hn_rtcp_nack_expand(65535, 0x8001, out), 3);
    assert_int_equal(out[1], 0);
    assert_int_equal(out[2], 15);
}

static void test_sdes_bye_app(void **state)
{
    uint8_t buf[256];
    int n = hn_rtcp_write_sdes_cname(buf, sizeof(buf), 77, "abc");
    assert_int_equal(n, 16); /* 4 + 4 + 2 + 3 + 1 null, padded */
    HnRtcpPacket p = nth_packet(buf, (size_t)n, 0);
    assert_int_equal(p.kind, HN_RTCP_KIND_SDES);
    assert_int_equal(p.count, 1);
    assert_int_equal(hn_rtcp_write_sdes_cname(buf, sizeof(buf), 1, ""), -EINVAL);
    assert_int_equal(hn_rtcp_write_sdes_cname(buf, 15, 1, "abc"), -ENOSPC);

    /* SDES whose only item claims more bytes than the packet has */
    uint8_t bad[] = {0x81, 202, 0, 2, 0, 0, 0, 1, 1, 200, 'x', 0};
    assert_int_equal(hn_rtcp_validate(bad, sizeof(bad)), -EINVAL);
    /* SDES claiming 2 chunks but holding 1 */
    uint8_t two[16];
    memcpy(two, buf, 16);
    two[0] = 0x82;
    assert_int_equal(hn_rtcp_validate(two, 16), -EINVAL);

    uint8_t bye[] = {0x82, 203, 0, 3, 0, 0, 0, 1, 0, 0, 0, 2, 3, 'b', 'y', 'e'};
    p = nth_packet(bye, sizeof(bye), 0);
    assert_int_equal(p.kind, HN_RTCP_KIND_BYE);
    assert_int_equal(hn_rtcp_bye_ssrc(&p, 1), 2);
    bye[12] = 4; /* reason longer than the packet */
    assert_int_equal(hn_rtcp_validate(bye, sizeof(bye)), -EINVAL);
    bye[0] = 0x85; /* 5 SSRCs in 3 words */
    assert_int_equal(hn_rtcp_validate(bye, sizeof(bye)), -EINVAL);

    uint8_t app[] = {0x80, 204, 0, 2, 0, 0, 0, 9, 'n', 'a', 'm', 'e'};
    assert_int_equal(nth_packet(app, sizeof(app), 0).kind, HN_RTCP_KIND_APP);
    app[3] = 1;
    assert_int_equal(hn_rtcp_validate(app, 8), -EINVAL);
}

static void test_remb_twcc(void **state)
{
    /* REMB: 2 SSRCs, exp 3, mantissa 0x12345 -> 0x12345 << 3 */
    uint8_t remb[] = {0x8f, 206, 0, 6,    0,    0,    0, 1, 0, 0, 0, 0, 'R', 'E',
                      'M',  'B', 2, 0x0d, 0x23, 0x45, 0, 0, 0, 7, 0, 0, 0,   8};
    HnRtcpPacket p = nth_packet(remb, sizeof(remb), 0);
    assert_int_equal(p.kind, HN_RTCP_KIND_REMB);
    assert_int_equal(p.count, 2);
    assert_int_equal(hn_rtcp_remb_bitrate(&p), 0x12345ull << 3);
    assert_int_equal(hn_rtcp_remb_ssrc(&p, 1), 8);
    remb[17] = 0xff; /* exp 63: saturates */
    p = nth_packet(remb, sizeof(remb), 0);
    assert_int_equal(hn_rtcp_remb_bitrate(&p), UINT64_MAX);
    remb[16] = 3; /* 3 SSRCs in room for 2 */
    assert_int_equal(hn_rtcp_validate(remb, sizeof(remb)), -EINVAL);
    memcpy(remb + 12, "ABCD", 4); /* other AFB: accepted, not interpreted */
    assert_int_equal(nth_packet(remb, sizeof(remb), 0).kind, HN_RTCP_KIND_PSFB_OTHER);

    uint8_t twcc[] = {0x8f, 205,  0, 5, 0,    0,    0,    1, 0,    0,    0, 2,
                      0x01, 0x00, 0, 2, 0xff, 0xff, 0xfe, 9, 0x20, 0x02, 0, 0};
    p = nth_packet(twcc, sizeof(twcc), 0);
    assert_int_equal(p.kind, HN_RTCP_KIND_TWCC);
    HnRtcpTwcc tw;
    hn_rtcp_twcc(&p, &tw);
    assert_int_equal(tw.base_seq, 256);
    assert_int_equal(tw.status_count, 2);
    assert_int_equal(tw.reference_time, -2);
    assert_int_equal(tw.fb_count, 9);
    twcc[3] = 3; /* 16 bytes: too short for the fixed TWCC fields */
    assert_int_equal(hn_rtcp_validate(twcc, 16), -EINVAL);
}

static size_t build_compound(uint8_t *buf, size_t cap)
{
    HnRtcpReportBlock rb = {.ssrc = 3, .fraction_lost = 1};
    HnRtcpSenderInfo si = {.ntp = 1ull << 32, .rtp_ts = 5};
    size_t off = 0;
    off += (size_t)hn_rtcp_write_sr(buf + off, cap - off, 1, &si, &rb, 1);
    off += (size_t)hn_rtcp_write_sdes_cname(buf + off, cap - off, 1, "cname");
    off += (size_t)hn_rtcp_write_pli(buf + off, cap - off, 1, 3);
    const uint16_t seqs[] = {10, 12, 40};
    off += (size_t)hn_rtcp_write_nack(buf + off, cap - off, 1, 3, seqs, 3);
    off += (size_t)hn_rtcp_write_fir(buf + off, cap - off, 1, 3, 1);
    return off;
}

static void test_compound_and_truncation(void **state)
{
    uint8_t buf[512];
    size_t len = build_compound(buf, sizeof(buf));
    assert_int_equal(hn_rtcp_validate(buf, len), 5);
    const HnRtcpKind kinds[] = {HN_RTCP_KIND_SR, HN_RTCP_KIND_SDES, HN_RTCP_KIND_PLI,
                                HN_RTCP_KIND_NACK, HN_RTCP_KIND_FIR};
    size_t bounds[6] = {0};
    for (unsigned i = 0; i < 5; i++) {
        HnRtcpPacket p = nth_packet(buf, len, i);
        assert_int_equal(p.kind, kinds[i]);
        bounds[i + 1] = bounds[i] + p.len;
    }
    /* Every prefix is invalid except those ending on a packet boundary. */
    for (size_t l = 0; l < len; l++) {
        bool boundary = false;
        for (unsigned i = 1; i < 6; i++)
            boundary |= bounds[i] == l;
        assert_int_equal(hn_rtcp_validate(buf, l) > 0, boundary);
    }
    assert_int_equal(hn_rtcp_validate(NULL, 10), -EINVAL);
}

static void test_bad_headers(void **state)
{
    uint8_t buf[64];
    int n = hn_rtcp_write_pli(buf, sizeof(buf), 1, 2);
    buf[0] = 0x41; /* version 1 */
    assert_int_equal(hn_rtcp_validate(buf, (size_t)n), -EINVAL);
    hn_rtcp_write_pli(buf, sizeof(buf), 1, 2);
    buf[1] = 96; /* not an RTCP type */
    assert_int_equal(hn_rtcp_validate(buf, (size_t)n), -EINVAL);
    hn_rtcp_write_pli(buf, sizeof(buf), 1, 2);
    buf[3] = 3; /* length beyond the buffer */
    assert_int_equal(hn_rtcp_validate(buf, (size_t)n), -EINVAL);
    hn_rtcp_write_pli(buf, sizeof(buf), 1, 2);
    buf[1] = 207; /* XR: valid header, unknown kind */
    assert_int_equal(nth_packet(buf, 12, 0).kind, HN_RTCP_KIND_UNKNOWN);
    /* padding */
    hn_rtcp_write_rr(buf, sizeof(buf), 1, NULL, 0);
    buf[0] |= 0x20;
    buf[3] = 2;
    memset(buf + 8, 0, 4);
    buf[11] = 4;
    assert_int_equal(hn_rtcp_validate(buf, 12), 1);
    buf[11] = 0;
    assert_int_equal(hn_rtcp_validate(buf, 12), -EINVAL);
    buf[11] = 12; /* would eat the header */
    assert_int_equal(hn_rtcp_validate(buf, 12), -EINVAL);
    /* an RR with 1 block whose padding eats into the block */
    HnRtcpReportBlock rb = {.ssrc = 1};
    n = hn_rtcp_write_rr(buf, sizeof(buf), 1, &rb, 1);
    buf[0] |= 0x20;
    buf[n - 1] = 4;
    assert_int_equal(hn_rtcp_validate(buf, (size_t)n), -EINVAL);
}

/* Calls every accessor a packet's kind allows; under ASan any out-of-bounds read fails. */
static void touch_all(const HnRtcpPacket *p)
{
    HnRtcpReportBlock rb;
    HnRtcpSenderInfo si;
    HnRtcpTwcc tw;
    uint16_t a, b;
    uint32_t s;
    uint8_t q;
    switch (p->kind) {
    case HN_RTCP_KIND_SR:
        hn_rtcp_sr_info(p, &si);
        /* fall through */
    case HN_RTCP_KIND_RR:
        for (unsigned i = 0; i < p->count; i++)
            hn_rtcp_report_block(p, i, &rb);
        break;
    case HN_RTCP_KIND_NACK:
        for (unsigned i = 0; i < p->count; i++)
            hn_rtcp_nack_item(p, i, &a, &b);
        break;
    case HN_RTCP_KIND_FIR:
        for (unsigned i = 0; i < p->count; i++)
            hn_rtcp_fir_item(p, i, &s, &q);
        break;
    case HN_RTCP_KIND_REMB:
        (void)hn_rtcp_remb_bitrate(p);
        for (unsigned i = 0; i < p->count; i++)
            (void)hn_rtcp_remb_ssrc(p, i);
        break;
    case HN_RTCP_KIND_TWCC:
        hn_rtcp_twcc(p, &tw);
        break;
    case HN_RTCP_KIND_BYE:
        for (unsigned i = 0; i < p->count; i++)
            (void)hn_rtcp_bye_ssrc(p, i);
        break;
    default:
        break;
    }
}

/* Parses buf[0..len) from a heap copy of exactly len bytes so ASan sees any overread. */
static int walk_exact(const uint8_t *src, size_t len)
{
    uint8_t *buf = g_memdup2(src, len ? len : 1);
    HnRtcpIter it;
    HnRtcpPacket p;
    int rc, n = 0;
    hn_rtcp_iter_init(&it, buf, len);
    while ((rc = hn_rtcp_iter_next(&it, &p)) > 0) {
        assert_true(p.data >= buf && p.data + p.len <= buf + len);
        touch_all(&p);
        n++;
    }
    g_free(buf);
    return rc < 0 ? rc : n;
}

static void test_random_bytes(void **state)
{
    uint64_t seed = 0xfeedface;
    uint8_t buf[128];
    for (int iter = 0; iter < 5000; iter++) {
        size_t len = tu_rand(&seed) % sizeof(buf);
        for (size_t i = 0; i < len; i++)
            buf[i] = (uint8_t)tu_rand(&seed);
        if (len > 4 && iter % 2) { /* make the header plausible more often */
            buf[0] = (uint8_t)(0x80 | (buf[0] & 0x3f));
            buf[1] = (uint8_t)(200 + buf[1] % 8);
            hn_wr16(buf + 2, (uint16_t)(len / 4 - 1));
        }
        (void)walk_exact(buf, len);
    }
}

static void test_mutated_compounds(void **state)
{
    uint64_t seed = 42;
    uint8_t orig[512], buf[512];
    size_t len = build_compound(orig, sizeof(orig));
    unsigned valid = 0;
    for (int iter = 0; iter < 5000; iter++) {
        memcpy(buf, orig, len);
        unsigned flips = 1 + tu_rand(&seed) % 4;
        for (unsigned f = 0; f < flips; f++)
            buf[tu_rand(&seed) % len] ^= (uint8_t)(1u << (tu_rand(&seed) % 8));
        size_t l = len - (tu_rand(&seed) % 3 == 0 ? tu_rand(&seed) % len : 0);
        if (walk_exact(buf, l) > 0)
            valid++;
    }
    assert_true(valid > 0);
}

static void test_ntp_helpers(void **state)
{
    uint64_t ntp = 10ull << 32;
    assert_int_equal(hn_ntp_add_us(ntp, 1500000), (11ull << 32) + (1ull << 31));
    assert_int_equal(hn_ntp_add_us(ntp, -500000), (9ull << 32) + (1ull << 31));
    assert_int_equal(hn_ntp_mid32((0x1234ull << 32) | 0x56780000u), 0x12345678);
    assert_int_equal(hn_rtcp_dlsr_from_us(1000000), 65536);
    assert_int_equal(hn_rtcp_dlsr_from_us(-5), 0);
    assert_int_equal(hn_rtcp_dlsr_from_us(INT64_MAX), UINT32_MAX);
    assert_int_equal(hn_rtcp_us_from_dlsr(32768), 500000);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sr_roundtrip),
        cmocka_unit_test(test_rr_roundtrip_and_limits),
        cmocka_unit_test(test_pli_fir),
        cmocka_unit_test(test_nack_roundtrip),
        cmocka_unit_test(test_sdes_bye_app),
        cmocka_unit_test(test_remb_twcc),
        cmocka_unit_test(test_compound_and_truncation),
        cmocka_unit_test(test_bad_headers),
        cmocka_unit_test(test_random_bytes),
        cmocka_unit_test(test_mutated_compounds),
        cmocka_unit_test(test_ntp_helpers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
