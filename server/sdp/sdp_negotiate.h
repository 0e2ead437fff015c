/* Offer/answer for the two peer connections of a participant (docs/signaling.md):
 *   pub: the client offers sendonly media, the server answers recvonly (hn_sdp_pub_answer);
 *   sub: the server offers sendonly m= lines, one per forwarded track (hn_sdp_build_sub_offer),
 *        and checks the client's answer (hn_sdp_check_sub_answer).
 * Everything is BUNDLEd on one ICE/DTLS transport with rtcp-mux. Pure functions, any thread. */
#pragma once

#include "core/simulcast.h"
#include "sdp/sdp.h"

/* The server's side of one peer connection. Strings are transfer none. */
typedef struct {
    const char *ice_ufrag;       /* 4-256 ice-chars */
    const char *ice_pwd;         /* 22-256 ice-chars */
    const char *fingerprint_alg; /* "sha-256" */
    const char *fingerprint;     /* colon hex of the DTLS certificate */
    uint64_t session_id; /* o= sess-id, stable per peer connection; top bit dropped (JSEP) */
    const char *const *candidates; /* optional "candidate:..." strings to embed, or NULL */
    size_t n_candidates;
    bool end_of_candidates; /* also write a=end-of-candidates */
    bool ice_lite;          /* write a=ice-lite: we only answer checks (RFC 8445 section 2.5) */
} HnSdpLocal;

/* What the server accepts from publishers. */
typedef struct {
    bool opus, vp8, h264;
    bool transport_cc; /* negotiate transport-cc feedback and its header extension */
} HnSdpCaps;

#define HN_SDP_CAPS_DEFAULT                                                                        \
    ((HnSdpCaps){.opus = true, .vp8 = true, .h264 = true, .transport_cc = false})

/* One accepted m= line of a publisher offer. */
typedef struct {
    char mid[HN_SDP_MID_LEN];
    HnKind kind;
    HnCodec codec;       /* the publisher's PT, clock rate, fmtp; feedback as answered */
    bool receiving;      /* offer sendonly/sendrecv (answered recvonly); else inactive */
    bool rtcp_rsize;     /* offered and answered a=rtcp-rsize (RFC 5506) */
    uint32_t ssrc;       /* media SSRC from a=ssrc, 0 when the offer has none */
    bool ssrc_signalled; /* false: the transport learns the SSRC from the first packet */
    bool has_rtx;        /* rtx accepted (video only, for the chosen codec) */
    uint8_t rtx_pt;      /* the publisher's rtx PT when has_rtx */
    uint32_t rtx_ssrc;   /* from a=ssrc-group:FID, 0 when unsignalled */
    uint8_t ext_mid;     /* negotiated header extension ids, 0 = not negotiated */
    uint8_t ext_abs_send_time;
    uint8_t ext_transport_cc;
    uint8_t ext_audio_level; /* audio: RFC 6464 client-to-mixer level, the active speaker's input */
    /* video simulcast: rid layers (a=rid send + a=simulcast:send, answered recv, with the rid
     * and repaired-rid header extensions) or a=ssrc-group:SIM; n_layers 0 when not simulcast */
    HnSimulcastDesc sim;
    char cname[HN_SDP_CNAME_LEN];
    char msid_stream[HN_SDP_ID_LEN];
    char msid_track[HN_SDP_ID_LEN];
} HnSdpPubTrack;

/* One m= line the answer rejected (port 0, not in the BUNDLE group). */
typedef struct {
    char mid[HN_SDP_MID_LEN]; /* "" when the offer had no a=mid */
    unsigned index;           /* position of the m= line in the offer */
    const char *reason;       /* static string, for logs */
} HnSdpRejected;

typedef struct {
    char *sdp;             /* the answer text, CRLF line ends */
    HnSdpPubTrack *tracks; /* accepted m= lines in offer order */
    size_t n_tracks;
    HnSdpRejected *rejected;
    size_t n_rejected;
    HnSdpTransport remote; /* the client's ICE credentials, fingerprint and setup role */
    bool dtls_server;      /* true: server answered setup:passive. false: the offer said
                            * setup:passive, the server answered active and is DTLS client */
} HnSdpPubAnswer;

/* Answers a publisher offer (parsed with hn_sdp_parse; its candidates stay there for the
 * transport: the accepted tracks' candidates are offer->media[i].candidates of the BUNDLE
 * transport). caps NULL means HN_SDP_CAPS_DEFAULT;
 * `version` is the o= sess-version (increase it on every renegotiation). Returns 0 and *out
 * (transfer full, hn_sdp_pub_answer_free), or -EINVAL: HN_SDP_ERROR_NEGOTIATION when the offer
 * has no ICE credentials, no fingerprint or no acceptable m= line (the message lists why each
 * was rejected), HN_SDP_ERROR_UNSUPPORTED for setup:holdconn, HN_SDP_ERROR_INVALID when
 * `local` is invalid. */
int hn_sdp_pub_answer(const HnSdp *offer, const HnSdpLocal *local, const HnSdpCaps *caps,
                      uint64_t version, HnSdpPubAnswer **out, GError **error);

/* NULL is a no-op. */
void hn_sdp_pub_answer_free(HnSdpPubAnswer *answer);

/* One m= line of a subscriber offer. Strings are transfer none. Every section offers the
 * transport-cc header extension (id HN_SDP_SUB_EXT_TRANSPORT_CC_ID) and a=rtcp-fb transport-cc;
 * video also goog-remb. */
typedef struct {
    const char *mid; /* 1-32 chars of [A-Za-z0-9_.-], unique, stable while the slot lives */
    HnKind kind;
    bool active;   /* false: a=inactive, the m= line is kept so mids stay stable */
    HnCodec codec; /* PT chosen by the server; may be HN_CODEC_UNKNOWN when !active */
    uint32_t ssrc;
    uint8_t rtx_pt;        /* 0: no RTX */
    uint32_t rtx_ssrc;     /* used when rtx_pt != 0 */
    const char *cname;     /* required when active: 1-128 visible chars */
    const char *stream_id; /* msid stream = the publishing participant's id */
    const char *track_id;  /* msid track */
} HnSdpSendSlot;

/* Builds the server's offer for a `sub` connection: one m= line per slot, in order, all in
 * one BUNDLE group, setup:actpass. Returns the SDP (transfer full, g_free) or NULL with
 * HN_SDP_ERROR_INVALID naming the bad slot, or HN_SDP_ERROR_TOO_MANY when n > HN_SDP_MAX_MEDIA.
 * Cost: linear in n (mids checked with a hash set). */
char *hn_sdp_build_sub_offer(const HnSdpLocal *local, const HnSdpSendSlot *slots, size_t n,
                             uint64_t version, GError **error);

/* The client's answer for one slot of a sub offer. */
typedef struct {
    char mid[HN_SDP_MID_LEN];
    bool accepted;      /* port != 0, the offered PT answered, bundled, rtcp-mux */
    bool receiving;     /* answered recvonly (or sendrecv): the client wants the media */
    uint8_t pt;         /* the accepted PT (the offered one) */
    bool rtx;           /* the answer kept the offered RTX payload type */
    const char *reason; /* why not accepted (static string), NULL when accepted */
} HnSdpSubMid;

typedef struct {
    HnSdpTransport remote; /* the client's ICE credentials, fingerprint, setup role */
    bool dtls_server;      /* the client answered active (or nothing): the server is DTLS server */
    HnSdpSubMid *mids;     /* one per offered slot, same order */
    uint8_t transport_cc;  /* an accepted section kept the transport-cc extension: its id, else 0 */
    size_t n_mids;
    HnSdp *sdp; /* the parsed answer (e.g. its candidates); owned by this struct */
} HnSdpSubAnswer;

/* Parses and checks the client's answer to a sub offer built from the same `slots`. Returns 0
 * and *out (transfer full, hn_sdp_sub_answer_free), or -EINVAL with HN_SDP_ERROR_PARSE (bad
 * SDP) or HN_SDP_ERROR_NEGOTIATION (m= lines or mids that do not match the offer, missing ICE
 * credentials or fingerprint for accepted m= lines, setup:actpass/holdconn in an answer). */
int hn_sdp_check_sub_answer(const char *text, size_t len, const HnSdpSendSlot *slots, size_t n,
                            HnSdpSubAnswer **out, GError **error);

/* NULL is a no-op. */
void hn_sdp_sub_answer_free(HnSdpSubAnswer *answer);
