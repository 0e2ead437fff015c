/* SDP (RFC 8866 plus the WebRTC attributes of JSEP, RFC 8829) parsed into plain structs.
 * Pure functions: no I/O, no globals; safe to call from any thread. Everything in an HnSdp is
 * owned by it and released by hn_sdp_free(). */
#pragma once

#include <glib.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/codec.h"

#define HN_SDP_ERROR (hn_sdp_error_quark())
typedef enum {
    HN_SDP_ERROR_PARSE,       /* malformed SDP or candidate line */
    HN_SDP_ERROR_UNSUPPORTED, /* well-formed but unsupported (mDNS candidate, setup:holdconn) */
    HN_SDP_ERROR_NEGOTIATION, /* nothing acceptable, or inconsistent with what we offered */
    HN_SDP_ERROR_INVALID,     /* a bad argument from the local caller (slots, credentials) */
    HN_SDP_ERROR_TOO_MANY,    /* more slots than HN_SDP_MAX_MEDIA m= lines */
} HnSdpError;

GQuark hn_sdp_error_quark(void);

/* Limits: anything larger is refused as malformed. A subscriber offer of a room of N publishing
 * participants has 2 * (N - 1) m= lines; HN_SDP_MAX_MEDIA covers the 1000-participant bound of
 * the configuration (server/app/config.c checks it), and HN_SDP_MAX_SIZE a browser's answer to
 * such an offer (about 0.5 KiB per m= line, docs/sdp.md). Arrays grow with what is parsed, so
 * the limits cost nothing below them, and parsing stays linear in the size of the text. */
#define HN_SDP_MAX_SIZE (2 * 1024 * 1024) /* whole description, bytes */
#define HN_SDP_MAX_LINE 4096              /* one line, bytes (but a=group, below) */
/* An a=group line lists every mid: up to HN_SDP_MAX_MEDIA of them, 32 bytes and a blank each. */
#define HN_SDP_MAX_GROUP_LINE  (64 + HN_SDP_MAX_MEDIA * HN_SDP_MID_LEN)
#define HN_SDP_MAX_MEDIA       2048 /* m= lines */
#define HN_SDP_MAX_CODECS      64   /* payload types per m= line */
#define HN_SDP_MAX_EXTMAPS     32   /* a=extmap per m= line */
#define HN_SDP_MAX_SSRCS       32   /* distinct a=ssrc per m= line */
#define HN_SDP_MAX_SSRC_GROUPS 16   /* a=ssrc-group per m= line */
#define HN_SDP_MAX_GROUP_SSRCS 8    /* ssrcs in one a=ssrc-group */
#define HN_SDP_MAX_RIDS        16   /* a=rid per m= line */
#define HN_SDP_MAX_CANDIDATES  64   /* a=candidate per m= line */
#define HN_SDP_MAX_CRYPTOS     16   /* a=crypto per m= line */

/* String buffer sizes, terminating NUL included. */
#define HN_SDP_MID_LEN    33  /* a=mid, BUNDLE members */
#define HN_SDP_UFRAG_LEN  257 /* ice-ufrag: 4-256 ice-chars (RFC 8839) */
#define HN_SDP_PWD_LEN    257 /* ice-pwd: 22-256 ice-chars */
#define HN_SDP_FP_ALG_LEN 16  /* "sha-256" */
#define HN_SDP_FP_LEN     192 /* colon hex, up to 64 bytes (sha-512) */
#define HN_SDP_ID_LEN     65  /* msid stream / track ids, rid ids */
#define HN_SDP_CNAME_LEN  129
#define HN_SDP_NAME_LEN   33 /* encoding name of a=rtpmap */
#define HN_SDP_FMTP_LEN   257
#define HN_SDP_URI_LEN    257
#define HN_SDP_TEXT_LEN   257 /* a=simulcast value, rid params, non-RTP fmt list */

/* A c= line or the address of a=rtcp: an IPv4 or IPv6 literal (no FQDN). "" when absent. */
#define HN_SDP_ADDR_LEN 46 /* INET6_ADDRSTRLEN */
typedef struct {
    char addr[HN_SDP_ADDR_LEN];
    bool ipv6; /* "IN IP6" */
} HnSdpConn;

/* SDES-SRTP crypto suites (RFC 4568, RFC 6188, RFC 7714) and their master key + salt sizes. */
typedef enum {
    HN_SDP_CRYPTO_UNKNOWN = 0,             /* a suite we do not implement: kept, never chosen */
    HN_SDP_CRYPTO_AES_CM_128_HMAC_SHA1_80, /* 16 + 14 bytes */
    HN_SDP_CRYPTO_AES_CM_128_HMAC_SHA1_32, /* 16 + 14 */
    HN_SDP_CRYPTO_AES_256_CM_HMAC_SHA1_80, /* 32 + 14 */
    HN_SDP_CRYPTO_AES_256_CM_HMAC_SHA1_32, /* 32 + 14 */
    HN_SDP_CRYPTO_AEAD_AES_128_GCM,        /* 16 + 12 */
    HN_SDP_CRYPTO_AEAD_AES_256_GCM,        /* 32 + 12 */
} HnSdpCryptoSuite;

#define HN_SDP_CRYPTO_KEY_MAX 46 /* master key + salt, bytes */

/* One a=crypto line: a=crypto:<tag> <suite> inline:<key||salt base64>[|<lifetime>][|<mki>:<len>]
 * [<session params>]. Only the first key parameter is kept. */
typedef struct {
    uint32_t tag; /* 0-999999999 */
    HnSdpCryptoSuite suite;
    char suite_name[48];                /* as written */
    uint8_t key[HN_SDP_CRYPTO_KEY_MAX]; /* master key then salt; empty for an unknown suite */
    uint8_t key_len;
    uint64_t lifetime;   /* packets, 0 when absent ("2^31" is stored as 2147483648) */
    uint32_t mki;        /* MKI value, when mki_len != 0 */
    uint8_t mki_len;     /* bytes, 0: no MKI */
    bool session_params; /* session parameters follow (UNENCRYPTED_SRTP, KDR=...) */
} HnSdpCrypto;

typedef enum {
    HN_SDP_DIR_SENDRECV = 0,
    HN_SDP_DIR_SENDONLY,
    HN_SDP_DIR_RECVONLY,
    HN_SDP_DIR_INACTIVE,
} HnSdpDirection;

typedef enum {
    HN_SDP_SETUP_NONE = 0, /* attribute absent */
    HN_SDP_SETUP_ACTPASS,
    HN_SDP_SETUP_ACTIVE,
    HN_SDP_SETUP_PASSIVE,
    HN_SDP_SETUP_HOLDCONN,
} HnSdpSetup;

typedef enum {
    HN_SDP_MEDIA_AUDIO,
    HN_SDP_MEDIA_VIDEO,
    HN_SDP_MEDIA_APPLICATION,
    HN_SDP_MEDIA_OTHER,
} HnSdpMediaType;

/* ICE and DTLS attributes of one level (session or media). "" / NONE when absent. */
typedef struct {
    char ice_ufrag[HN_SDP_UFRAG_LEN];
    char ice_pwd[HN_SDP_PWD_LEN];
    bool ice_trickle;                        /* a=ice-options contains "trickle" */
    char fingerprint_alg[HN_SDP_FP_ALG_LEN]; /* lower case, e.g. "sha-256" */
    char fingerprint[HN_SDP_FP_LEN];         /* upper-case colon hex; first a=fingerprint */
    HnSdpSetup setup;
} HnSdpTransport;

/* One payload type of an m= line. */
typedef struct {
    uint8_t pt;
    char name[HN_SDP_NAME_LEN]; /* encoding name as written; "" without a=rtpmap */
    HnCodecId id;               /* Opus/VP8/H264, else HN_CODEC_UNKNOWN */
    uint32_t clock_rate;        /* 0 without a=rtpmap */
    uint8_t channels;           /* 0 when not written */
    char fmtp[HN_SDP_FMTP_LEN]; /* a=fmtp parameters, "" when none */
    uint32_t feedback;          /* HN_FB_*, a=rtcp-fb:* lines included */
    int apt;                    /* fmtp apt= (rtx, red...), -1 when absent */
} HnSdpCodec;

typedef struct {
    uint16_t id; /* 1-255 */
    char uri[HN_SDP_URI_LEN];
} HnSdpExtmap;

/* Attributes of one a=ssrc id. */
typedef struct {
    uint32_t ssrc;
    char cname[HN_SDP_CNAME_LEN];
    char msid_stream[HN_SDP_ID_LEN];
    char msid_track[HN_SDP_ID_LEN];
} HnSdpSsrc;

typedef struct {
    char semantics[16]; /* "FID", "SIM", "FEC-FR", ... */
    uint32_t ssrcs[HN_SDP_MAX_GROUP_SSRCS];
    size_t n_ssrcs;
} HnSdpSsrcGroup;

typedef struct {
    char id[HN_SDP_ID_LEN];
    bool send; /* "send"; false for "recv" */
    char params[HN_SDP_TEXT_LEN];
} HnSdpRid;

/* One m= section. Transport and direction already include session-level defaults. */
typedef struct {
    HnSdpMediaType type;
    char media[16];            /* the m= media token, e.g. "audio" */
    uint16_t port;             /* 0: rejected/disabled (unless bundle_only) */
    char proto[64];            /* e.g. "UDP/TLS/RTP/SAVPF" */
    char fmt[HN_SDP_TEXT_LEN]; /* raw format list for non-RTP protocols, "" for RTP */
    unsigned line;             /* line number of the m= line */
    char mid[HN_SDP_MID_LEN];
    HnSdpDirection direction;
    bool rtcp_mux, rtcp_mux_only, rtcp_rsize, bundle_only, end_of_candidates;
    bool direction_set; /* a direction attribute was in this section (else session default) */
    bool in_bundle;     /* the mid is a member of the first BUNDLE group */
    HnSdpTransport transport;
    HnSdpCodec *codecs; /* in m= line order (the sender's preference) */
    size_t n_codecs;
    uint32_t fb_wildcard; /* HN_FB_* from a=rtcp-fb:* (also merged into every codec) */
    HnSdpExtmap *extmaps; /* session-level extmaps merged in */
    size_t n_extmaps;
    HnSdpSsrc *ssrcs;
    size_t n_ssrcs;
    HnSdpSsrcGroup *ssrc_groups;
    size_t n_ssrc_groups;
    char msid_stream[HN_SDP_ID_LEN]; /* a=msid, "" when absent */
    char msid_track[HN_SDP_ID_LEN];
    char simulcast[HN_SDP_TEXT_LEN]; /* raw a=simulcast value, "" when absent */
    HnSdpRid *rids;
    size_t n_rids;
    char **candidates; /* "candidate:..." as written, for hn_sdp_candidate_parse() */
    size_t n_candidates;
    /* Plain RTP legs (SIP room systems): docs/sdp.md. */
    HnSdpConn conn;       /* c= of the section, else of the session; addr "" when neither */
    uint16_t rtcp_port;   /* a=rtcp port, 0 when absent (then RTP port + 1, or rtcp-mux) */
    HnSdpConn rtcp_conn;  /* a=rtcp address, "" when not given */
    uint32_t ptime;       /* a=ptime in ms, 0 when absent */
    HnSdpCrypto *cryptos; /* a=crypto lines in offer order */
    size_t n_cryptos;
    uint32_t bw_as;   /* b=AS of the section in kbit/s, 0 when absent (RFC 4566) */
    uint32_t bw_tias; /* b=TIAS of the section in bit/s, 0 when absent (RFC 3890) */
} HnSdpMedia;

typedef struct {
    char session_id[24]; /* o= sess-id (decimal digits) */
    uint64_t session_version;
    HnSdpTransport transport; /* session-level only */
    HnSdpConn conn;           /* session-level c=, "" when absent */
    uint32_t bw_as, bw_tias;  /* session-level b=AS (kbit/s), b=TIAS (bit/s); 0: absent */
    bool ice_lite;
    bool has_bundle;                /* an a=group:BUNDLE was present */
    char (*bundle)[HN_SDP_MID_LEN]; /* mids of the first BUNDLE group */
    size_t n_bundle;
    HnSdpMedia *media;
    size_t n_media;
    GHashTable *mid_index; /* private: mid -> index + 1 into media, for linear-time lookups */
} HnSdp;

/* Parses an SDP of `len` bytes (CRLF or LF line ends; need not be NUL-terminated). On success
 * returns 0 and *out (transfer full, free with hn_sdp_free). On failure returns -EINVAL and sets
 * `error` (HN_SDP_ERROR_PARSE) to "SDP line N: reason". */
int hn_sdp_parse(const char *text, size_t len, HnSdp **out, GError **error);

/* Frees a parsed SDP. NULL is a no-op. */
void hn_sdp_free(HnSdp *sdp);

/* The m= section with this mid, or NULL. transfer none. */
const HnSdpMedia *hn_sdp_find_media(const HnSdp *sdp, const char *mid);

/* Whether `mid` is a member of the first BUNDLE group. */
bool hn_sdp_in_bundle(const HnSdp *sdp, const char *mid);

/* The bandwidth m may use in kbit/s: the lower of its b=AS and b=TIAS (rounded down; at least
 * 1), else of the session's; 0 when neither says. */
uint32_t hn_sdp_media_max_kbps(const HnSdp *sdp, const HnSdpMedia *m);

/* The codec with payload type `pt`, or NULL. transfer none. */
const HnSdpCodec *hn_sdp_media_find_codec(const HnSdpMedia *m, int pt);

/* The id negotiated for header extension `uri` in this section, or 0 when absent. */
unsigned hn_sdp_media_find_extmap(const HnSdpMedia *m, const char *uri);

/* The a=ssrc entry for `ssrc`, or NULL. transfer none. */
const HnSdpSsrc *hn_sdp_media_find_ssrc(const HnSdpMedia *m, uint32_t ssrc);

/* Well-known header extension URIs. */
#define HN_SDP_EXT_MID           "urn:ietf:params:rtp-hdrext:sdes:mid"
#define HN_SDP_EXT_ABS_SEND_TIME "http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time"
#define HN_SDP_EXT_AUDIO_LEVEL   "urn:ietf:params:rtp-hdrext:ssrc-audio-level"
#define HN_SDP_EXT_TRANSPORT_CC                                                                    \
    "http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01"
/* The id the server's subscriber offers give the transport-cc extension (one-byte form). */
#define HN_SDP_SUB_EXT_TRANSPORT_CC_ID 5

#define HN_SDP_EXT_RID          "urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id"
#define HN_SDP_EXT_REPAIRED_RID "urn:ietf:params:rtp-hdrext:sdes:repaired-rtp-stream-id"

/* Names for logs; static strings. */
const char *hn_sdp_direction_name(HnSdpDirection dir);
const char *hn_sdp_setup_name(HnSdpSetup setup);
