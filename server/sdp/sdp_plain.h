/* Offer/answer for plain RTP legs: SIP room systems and phones (Polycom, Cisco, Yealink,
 * baresip...) that send
 *     m=video 40000 RTP/AVP 96 97      c=IN IP4 192.0.2.10      a=rtcp:40001
 * with RTP/SAVP and SDES keys (a=crypto, RFC 4568) or no encryption at all, and no ICE, DTLS,
 * BUNDLE or mid. Each m= line is its own RTP session on its own address and port. The parse is
 * hn_sdp_parse (HnSdpMedia.conn, rtcp_port, cryptos, ptime); this file decides and writes.
 * Pure functions, any thread; docs/sdp.md lists what is accepted. */
#pragma once

#include "sdp/sdp.h"

/* The m= transport profile. */
typedef enum {
    HN_SDP_PROFILE_OTHER = 0,  /* anything else (TCP/BFCP, UDP/TLS/UDT...) */
    HN_SDP_PROFILE_AVP,        /* RTP/AVP: plain RTP */
    HN_SDP_PROFILE_SAVP,       /* RTP/SAVP: SRTP, keys in a=crypto */
    HN_SDP_PROFILE_AVPF,       /* RTP/AVPF: plain RTP with RTCP feedback */
    HN_SDP_PROFILE_SAVPF,      /* RTP/SAVPF: SRTP (a=crypto) with RTCP feedback */
    HN_SDP_PROFILE_DTLS_SAVPF, /* UDP/TLS/RTP/SAVPF: WebRTC (sdp_negotiate.h, not this file) */
} HnSdpProfile;

/* The profile of an m= proto token; static string for a profile (NULL for OTHER). */
HnSdpProfile hn_sdp_profile_from_proto(const char *proto);
const char *hn_sdp_profile_name(HnSdpProfile profile);

/* Name of a suite ("AES_CM_128_HMAC_SHA1_80"), NULL for UNKNOWN; its master key + salt length in
 * bytes (30, 46, 28, 44), 0 for UNKNOWN. */
const char *hn_sdp_crypto_suite_name(HnSdpCryptoSuite suite);
size_t hn_sdp_crypto_key_len(HnSdpCryptoSuite suite);

/* Sets c from an address literal (inet_pton); false when it is not one. */
bool hn_sdp_conn_set(HnSdpConn *c, bool ipv6, const char *addr);

/* Codecs a plain leg may use, as bits; the SFU forwards, so a leg gets what the room has. */
enum {
    HN_SDP_PLAIN_OPUS = 1 << 0, /* opus/48000/2 */
    HN_SDP_PLAIN_G722 = 1 << 1, /* G722/8000 (static PT 9) */
    HN_SDP_PLAIN_PCMU = 1 << 2, /* PCMU/8000 (PT 0) */
    HN_SDP_PLAIN_PCMA = 1 << 3, /* PCMA/8000 (PT 8) */
    HN_SDP_PLAIN_DTMF = 1 << 4, /* telephone-event at the audio codec's clock rate */
    HN_SDP_PLAIN_H264 = 1 << 5, /* H264/90000 packetization-mode=1 (what browsers send) */
    HN_SDP_PLAIN_VP8 = 1 << 6,  /* VP8/90000 */
};
#define HN_SDP_PLAIN_ALL 0x7f

typedef enum {
    HN_SDP_PLAIN_CODEC_NONE = 0,
    HN_SDP_PLAIN_CODEC_OPUS,
    HN_SDP_PLAIN_CODEC_G722,
    HN_SDP_PLAIN_CODEC_PCMU,
    HN_SDP_PLAIN_CODEC_PCMA,
    HN_SDP_PLAIN_CODEC_H264,
    HN_SDP_PLAIN_CODEC_VP8,
} HnSdpPlainCodec;

/* Our SDES key for one m= line. */
typedef struct {
    HnSdpCryptoSuite suite;             /* a known suite */
    uint8_t key[HN_SDP_CRYPTO_KEY_MAX]; /* hn_sdp_crypto_key_len(suite) bytes: key then salt */
} HnSdpSdesKey;

/* Our side of one m= line. Strings transfer none. */
typedef struct {
    const char *address;     /* our RTP address, an IPv4 or IPv6 literal */
    uint16_t port;           /* our RTP port (1-65535) */
    uint16_t rtcp_port;      /* 0: port + 1 (no a=rtcp written); else written as a=rtcp */
    const HnSdpSdesKey *key; /* required to accept or offer RTP/SAVP(F); NULL: plain RTP only */
} HnSdpPlainPort;

/* One m= line as negotiated (answer side and offer side alike). */
typedef struct {
    bool accepted;
    const char *reason; /* why not accepted (static string), NULL when accepted */
    HnKind kind;
    HnSdpProfile profile;
    HnSdpPlainCodec codec;
    uint8_t pt; /* the offerer's payload type (answers reuse it) */
    uint32_t clock_rate;
    uint8_t channels;
    char fmtp[128];           /* what the answer says for pt, "" when nothing */
    int dtmf_pt;              /* telephone-event PT, -1 when not negotiated */
    uint32_t feedback;        /* HN_FB_NACK/PLI/FIR for AVPF/SAVPF video, else 0 */
    HnSdpDirection direction; /* OUR direction (sendrecv, sendonly, recvonly, inactive) */
    HnSdpConn remote;         /* where to send RTP */
    uint16_t remote_port;
    HnSdpConn remote_rtcp;     /* where to send RTCP (the RTP address unless a=rtcp names one) */
    uint16_t remote_rtcp_port; /* a=rtcp, else RTP port + 1; the RTP port with rtcp_mux */
    bool rtcp_mux;
    bool srtp;              /* SAVP/SAVPF: remote_key and the tag apply */
    HnSdpCrypto remote_key; /* the key the remote side encrypts with */
    uint32_t ptime;         /* the remote's a=ptime, 0 when absent */
    uint32_t max_kbps;      /* the offer's b=AS / b=TIAS for it (hn_sdp_media_max_kbps), 0: none */
} HnSdpPlainStream;

typedef struct {
    char *sdp;                 /* the answer text, CRLF line ends */
    HnSdpPlainStream *streams; /* one per m= line of the offer, same order */
    size_t n_streams;
} HnSdpPlainAnswer;

/* Our session: o= and the session c= address. */
typedef struct {
    const char *address; /* IPv4 or IPv6 literal for o= and the session c= */
    uint64_t session_id; /* o= sess-id (top bit dropped) */
    uint64_t version;    /* o= sess-version */
    uint32_t codecs;     /* HN_SDP_PLAIN_* accepted or offered; 0 means HN_SDP_PLAIN_ALL */
    uint32_t video_kbps; /* > 0: b=AS:N and b=TIAS:N*1000 in each accepted video section (what
                          * we send); 0: no b= line */
} HnSdpPlainSession;

/* Answers a plain offer (parsed with hn_sdp_parse). ports[i] is our side of m= line i (n_ports
 * must equal offer->n_media). Per m= line, in the offerer's codec order, the first codec of
 * `session->codecs`; SRTP when the profile is SAVP/SAVPF and the offer has a crypto line of a
 * known suite (the answer uses its tag and suite with our key). Rejected m= lines get port 0.
 * Returns 0 and *out (transfer full, hn_sdp_plain_answer_free), or -EINVAL with
 * HN_SDP_ERROR_NEGOTIATION (no m= line acceptable: the message lists why each was rejected)
 * or HN_SDP_ERROR_INVALID (bad `session` or `ports`). */
int hn_sdp_plain_answer(const HnSdp *offer, const HnSdpPlainSession *session,
                        const HnSdpPlainPort *ports, size_t n_ports, HnSdpPlainAnswer **out,
                        GError **error);

/* NULL is a no-op. */
void hn_sdp_plain_answer_free(HnSdpPlainAnswer *answer);

/* One m= line of an offer we send (we call a room system). */
typedef struct {
    HnKind kind;
    HnSdpProfile profile; /* AVP, SAVP, AVPF or SAVPF; S* need port.key */
    HnSdpPlainPort port;
    HnSdpDirection direction; /* ours */
} HnSdpPlainOffer;

/* Writes an offer: per m= line the codecs of session->codecs for its kind (audio: Opus PT 111,
 * G722 9, PCMU 0, PCMA 8, telephone-event 101/8000 and 110/48000; video: H264 PT 96
 * packetization-mode=1 profile-level-id=42e01f, VP8 97), a=crypto:1 with our key for S*
 * profiles, a=rtcp-fb nack/pli/ccm fir for *F video. Returns the text (transfer full) or NULL with
 * HN_SDP_ERROR_INVALID. */
char *hn_sdp_plain_offer(const HnSdpPlainSession *session, const HnSdpPlainOffer *media, size_t n,
                         GError **error);

/* Reads the answer to an offer written by hn_sdp_plain_offer from the same `session` and `media`:
 * fills
 * streams[i] (n of them, caller-allocated). Returns 0, or -EINVAL with HN_SDP_ERROR_NEGOTIATION
 * when the answer does not match the offer (m= count or kinds, a codec or crypto tag we did not
 * offer, SRTP without a key). A rejected m= line is a stream with accepted false. */
int hn_sdp_plain_read_answer(const HnSdp *answer, const HnSdpPlainSession *session,
                             const HnSdpPlainOffer *media, size_t n, HnSdpPlainStream *streams,
                             GError **error);
