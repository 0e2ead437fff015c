/* libFuzzer target: the RTCP compound validator, iterator and typed accessors on arbitrary
 * bytes (server/core/rtcp.h). Beyond "no crash" it checks the parsing contract: every packet
 * returned lies inside the buffer, and hn_rtcp_validate() agrees with the iterator. Transport-cc
 * feedback is also parsed in full (core/twcc.h) and, when valid, written again and re-parsed to
 * the same arrivals. */
#include "fuzz.h"

#include <errno.h>

#include "core/rtcp.h"
#include "core/twcc.h"

static HnTwccFeedback fb, fb2;
static uint8_t twcc_buf[8192];

static void check_twcc(const HnRtcpPacket *p, const HnRtcpTwcc *tw)
{
    int rc = hn_twcc_parse(p->data, p->len, &fb);
    FUZZ_CHECK(rc == 0 || rc == -EINVAL || rc == -E2BIG);
    if (rc != 0)
        return;
    FUZZ_CHECK(fb.base_seq == tw->base_seq && fb.status_count == tw->status_count);
    FUZZ_CHECK(fb.received <= fb.status_count);
    size_t first = 0;
    while (first < fb.status_count && fb.arrival_us[first] == HN_TWCC_LOST)
        first++;
    if (first == fb.status_count)
        return;
    size_t covered = 0;
    int n = hn_twcc_write(twcc_buf, sizeof twcc_buf, fb.sender_ssrc, fb.media_ssrc,
                          (uint16_t)(fb.base_seq + first), fb.fb_count, fb.arrival_us + first,
                          fb.status_count - first, &covered);
    FUZZ_CHECK(n > 0 && covered >= 1);
    FUZZ_CHECK(hn_twcc_parse(twcc_buf, (size_t)n, &fb2) == 0);
    for (size_t i = 0; i < covered; i++) { /* arrivals are multiples of 250 us: exact */
        int64_t a = fb.arrival_us[first + i], b = fb2.arrival_us[i];
        FUZZ_CHECK(a == b || ((a - b) % ((int64_t)HN_TWCC_REF_US << 24)) == 0);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    HnRtcpIter it;
    HnRtcpPacket p;
    HnRtcpReportBlock rb;
    HnRtcpSenderInfo si;
    HnRtcpTwcc tw;
    uint16_t a, b, lost[17];
    uint32_t s;
    uint8_t q;
    int valid = hn_rtcp_validate(data, size);
    int n = 0, r;
    hn_rtcp_iter_init(&it, data, size);
    while ((r = hn_rtcp_iter_next(&it, &p)) > 0) {
        n++;
        FUZZ_CHECK(p.data >= data && p.len >= 4 && p.len <= size &&
                   (size_t)(p.data - data) <= size - p.len);
        FUZZ_CHECK(p.type >= 192 && p.type <= 223);
        switch (p.kind) {
        case HN_RTCP_KIND_SR:
            hn_rtcp_sr_info(&p, &si);
            /* fall through */
        case HN_RTCP_KIND_RR:
            FUZZ_CHECK(p.count <= HN_RTCP_MAX_REPORT_BLOCKS);
            for (unsigned i = 0; i < p.count; i++)
                hn_rtcp_report_block(&p, i, &rb);
            break;
        case HN_RTCP_KIND_NACK:
            for (unsigned i = 0; i < p.count; i++) {
                hn_rtcp_nack_item(&p, i, &a, &b);
                FUZZ_CHECK(hn_rtcp_nack_expand(a, b, lost) >= 1);
            }
            break;
        case HN_RTCP_KIND_FIR:
            for (unsigned i = 0; i < p.count; i++)
                hn_rtcp_fir_item(&p, i, &s, &q);
            break;
        case HN_RTCP_KIND_REMB:
            (void)hn_rtcp_remb_bitrate(&p);
            for (unsigned i = 0; i < p.count; i++)
                (void)hn_rtcp_remb_ssrc(&p, i);
            break;
        case HN_RTCP_KIND_TWCC:
            hn_rtcp_twcc(&p, &tw);
            check_twcc(&p, &tw);
            break;
        case HN_RTCP_KIND_BYE:
            for (unsigned i = 0; i < p.count; i++)
                (void)hn_rtcp_bye_ssrc(&p, i);
            break;
        default:
            break;
        }
    }
    /* A valid compound is exactly the packets the iterator walks, to the end. */
    if (valid > 0)
        FUZZ_CHECK(r == 0 && n == valid);
    else
        FUZZ_CHECK(valid == -EINVAL);
    return 0;
}
