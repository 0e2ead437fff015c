/* G.711 / G.722 -> Opus off the worker: see transcode.h. */
#include "gateway/transcode.h"

#include "gateway/rtp_pipe.h"

struct HnTranscoder {
    HnRtpPipe *pipe;
};

gboolean hn_transcoder_handles(HnSdpPlainCodec codec)
{
    return codec == HN_SDP_PLAIN_CODEC_G722 || codec == HN_SDP_PLAIN_CODEC_PCMU ||
           codec == HN_SDP_PLAIN_CODEC_PCMA;
}

HnTranscoder *hn_transcoder_new(HnSdpPlainCodec codec, uint8_t pt, uint32_t ssrc,
                                HnInjectRing *ring, void *target, uint64_t target_id,
                                GError **error)
{
    const char *enc = codec == HN_SDP_PLAIN_CODEC_G722   ? "G722"
                      : codec == HN_SDP_PLAIN_CODEC_PCMU ? "PCMU"
                                                         : "PCMA";
    const char *chain = codec == HN_SDP_PLAIN_CODEC_G722   ? "rtpg722depay ! avdec_g722"
                        : codec == HN_SDP_PLAIN_CODEC_PCMU ? "rtppcmudepay ! mulawdec"
                                                           : "rtppcmadepay ! alawdec";
    /* G.722's RTP clock is 8000 though it samples at 16 kHz (RFC 3551) */
    g_autofree char *desc = g_strdup_printf(
        "appsrc name=src is-live=true format=time do-timestamp=true max-bytes=65536 "
        "caps=application/x-rtp,media=audio,clock-rate=8000,encoding-name=%s,payload=%u ! "
        "%s ! audioconvert ! audioresample ! audio/x-raw,rate=48000,channels=1 ! "
        "opusenc bitrate=32000 frame-size=20 ! rtpopuspay pt=%u ssrc=%u mtu=1200 ! "
        "appsink name=sink sync=false async=false max-buffers=64 drop=true",
        enc, pt, chain, HN_TRANSCODE_OPUS_PT, ssrc);
    g_autofree char *what = g_strdup_printf("the %s to Opus pipeline does not start", enc);
    HnRtpPipe *pipe = hn_rtp_pipe_new(desc, what, ring, target, target_id, NULL, error);
    if (!pipe)
        return NULL;
    HnTranscoder *t = g_new0(HnTranscoder, 1);
    t->pipe = pipe;
    return t;
}

void hn_transcoder_push(HnTranscoder *t, const uint8_t *rtp, size_t len)
{
    hn_rtp_pipe_push(t->pipe, rtp, len);
}

void hn_transcoder_free(HnTranscoder *t)
{
    if (!t)
        return;
    hn_rtp_pipe_free(t->pipe, "sip-transcode-stop");
    g_free(t);
}
