/* libFuzzer target: the RTCP parser and accessors on arbitrary bytes. Build with clang:
 *   CC=clang meson setup /tmp/build-fuzz -Db_sanitize=address && ninja -C /tmp/build-fuzz \
 *     tests/unit/core/core_fuzz_rtcp && /tmp/build-fuzz/tests/unit/core/core_fuzz_rtcp */
#include <stddef.h>
#include <stdint.h>

#include "core/rtcp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    HnRtcpIter it;
    HnRtcpPacket p;
    HnRtcpReportBlock rb;
    HnRtcpSenderInfo si;
    HnRtcpTwcc tw;
    uint16_t a, b;
    uint32_t s;
    uint8_t q;
    (void)hn_rtcp_validate(data, size);
    hn_rtcp_iter_init(&it, data, size);
    while (hn_rtcp_iter_next(&it, &p) > 0) {
        switch (p.kind) {
        case HN_RTCP_KIND_SR:
            hn_rtcp_sr_info(&p, &si);
            /* fall through */
        case HN_RTCP_KIND_RR:
            for (unsigned i = 0; i < p.count; i++)
                hn_rtcp_report_block(&p, i, &rb);
            break;
        case HN_RTCP_KIND_NACK:
            for (unsigned i = 0; i < p.count; i++)
                hn_rtcp_nack_item(&p, i, &a, &b);
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
            break;
        case HN_RTCP_KIND_BYE:
            for (unsigned i = 0; i < p.count; i++)
                (void)hn_rtcp_bye_ssrc(&p, i);
            break;
        default:
            break;
        }
    }
    return 0;
}
