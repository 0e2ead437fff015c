/* libFuzzer target: the RTP header parser (server/core/rtp.h) and the key-frame detectors of
 * server/core/codec.h on arbitrary bytes. Checks the parse contract: the header, payload and
 * padding it reports add up to the packet, and the extension lies inside the header; the
 * in-place setters then write what a reparse reads back. */
#include "fuzz.h"

#include <string.h>

#include "core/codec.h"
#include "core/rtp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    HnRtpHeader h;
    (void)hn_rtp_is_rtcp(data, size);
    if (hn_rtp_parse(data, size, &h) != 0)
        return 0;
    FUZZ_CHECK(size >= HN_RTP_HEADER_MIN);
    FUZZ_CHECK(h.header_len >= HN_RTP_HEADER_MIN + 4u * h.csrc_count);
    FUZZ_CHECK(h.header_len + h.payload_len + h.padding_len == size);
    FUZZ_CHECK(h.padding || h.padding_len == 0);
    if (h.extension) {
        FUZZ_CHECK(h.ext_len % 4 == 0);
        FUZZ_CHECK(h.ext_offset >= HN_RTP_HEADER_MIN + 4 &&
                   h.ext_offset + h.ext_len == h.header_len);
    } else {
        FUZZ_CHECK(h.ext_offset == 0 && h.ext_len == 0);
    }
    const uint8_t *payload = data + h.header_len;
    for (int id = HN_CODEC_UNKNOWN; id <= HN_CODEC_H264; id++)
        (void)hn_codec_is_keyframe((HnCodecId)id, payload, h.payload_len);

    /* What the router does to a forwarded copy. */
    uint8_t *copy = malloc(size);
    FUZZ_CHECK(copy != NULL);
    memcpy(copy, data, size);
    hn_rtp_set_seq(copy, (uint16_t)(h.seq + 1));
    hn_rtp_set_ts(copy, h.ts + 3000);
    hn_rtp_set_ssrc(copy, ~h.ssrc);
    hn_rtp_set_pt(copy, (uint8_t)(h.pt ^ 0x7f));
    hn_rtp_set_marker(copy, !h.marker);
    HnRtpHeader h2;
    FUZZ_CHECK(hn_rtp_parse(copy, size, &h2) == 0);
    FUZZ_CHECK(h2.seq == (uint16_t)(h.seq + 1) && h2.ts == h.ts + 3000 && h2.ssrc == ~h.ssrc);
    FUZZ_CHECK(h2.pt == (h.pt ^ 0x7f) && h2.marker == !h.marker);
    FUZZ_CHECK(h2.header_len == h.header_len && h2.payload_len == h.payload_len);
    free(copy);
    return 0;
}
