/* sdp_client.h - the client side of hn-load's offer/answer: the publisher's offer (sendonly
 * Opus + VP8, BUNDLE, rtcp-mux, a=ssrc lines) and the subscriber's answer to an SFU's offer
 * (recvonly for the sections it wants, port 0 for the others), plus reading the transport
 * parameters out of the SFU's description. Pure functions, any thread. */
#pragma once

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

#include "sdp/sdp.h"

#define LOAD_PT_OPUS 111
#define LOAD_PT_VP8  96

/* Our side of one peer connection. Strings: transfer none. */
typedef struct {
    const char *ufrag, *pwd;
    const char *fingerprint; /* sha-256, "AB:CD:..." */
    uint64_t session_id;
    bool ice_lite; /* answer: we are an ICE-lite agent (a=ice-lite) */
} LoadSdpLocal;

/* What a publisher sends. */
typedef struct {
    bool audio;
    uint32_t audio_ssrc, video_ssrc;
    const char *cname;     /* RTCP CNAME */
    const char *stream_id; /* msid stream id */
} LoadPubDesc;

/* The offer for a publisher connection: audio (mid "0", when desc->audio) then video. Returns
 * (transfer full, g_free) the SDP text with CRLF line ends. */
char *load_sdp_publish_offer(const LoadSdpLocal *local, const LoadPubDesc *desc);

/* The caller's decision for one m= line of an SFU offer. */
typedef struct {
    bool want; /* false: answer with port 0 */
    int pub;   /* index of the hn-load publisher it carries, -1 unknown */
} LoadMidPlan;

/* One m= line of an SFU offer as answered. */
typedef struct {
    char mid[HN_SDP_MID_LEN];
    bool accepted;  /* answered with a port (recvonly or inactive), in the BUNDLE group */
    bool receiving; /* answered recvonly: media is expected */
    HnKind kind;
    HnCodecId codec;
    uint8_t pt;
    uint32_t clock_rate;
    uint32_t ssrc; /* primary SSRC from the offer's a=ssrc lines, 0 when absent */
    int pub;
} LoadSdpRecvTrack;

/* Answers an SFU's offer: an audio section offering Opus or a video section offering VP8 that
 * plan[i].want is answered recvonly (a=inactive if the offer is inactive) with that payload
 * type, setup:active; every other section (other codecs, data channels, port 0, !want) gets
 * port 0. plan has offer->n_media entries; tracks receives offer->n_media entries. With
 * local->ice_lite the answer says a=ice-lite. When nothing is accepted local's credentials are
 * not used. Returns (transfer full) the answer, or NULL with error set when the offer has no
 * m= line. */
char *load_sdp_subscribe_answer(const LoadSdpLocal *local, const HnSdp *offer,
                                const LoadMidPlan *plan, LoadSdpRecvTrack *tracks, GError **error);

/* ICE and DTLS parameters of an SFU description. */
typedef struct {
    char ufrag[HN_SDP_UFRAG_LEN];
    char pwd[HN_SDP_PWD_LEN];
    char fp_alg[HN_SDP_FP_ALG_LEN];
    char fp[HN_SDP_FP_LEN];
    HnSdpSetup setup;
    GPtrArray *candidates; /* char*, "candidate:..." from every section with a port */
} LoadSdpRemote;

/* Fills r from the first section with a port and ICE credentials. Returns false with error set
 * when there is none or it has no fingerprint. r->candidates is always allocated (free with
 * load_sdp_remote_clear). */
bool load_sdp_remote_get(const HnSdp *sdp, LoadSdpRemote *r, GError **error);
void load_sdp_remote_clear(LoadSdpRemote *r);
