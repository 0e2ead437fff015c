/* Offer/answer as a room needs it, on top of the SDP module: the answer to a participant's
 * publish offer, the server's subscriber offers built from slots, the check of the answers to
 * them, and the server-side payload-type table. Pure functions; thread: any. */
#pragma once

#include <glib.h>
#include <stdint.h>

#include "core/codec.h"
#include "core/room_model.h"

#define HN_NEG_MID_MAX 32

/* Limits a room reports to its participants (and checks its configuration against):
 * - HN_NEG_MAX_PUB_TRACKS: tracks one participant may publish (receiving m= lines of its
 *   publish offer); an offer with more is refused with HN_NEG_ERROR_TOO_MANY.
 * - HN_NEG_MAX_SUB_SLOTS: m= lines of one subscriber offer, the SDP layer's HN_SDP_MAX_MEDIA;
 *   a room of N participants publishing audio and video needs 2 * (N - 1). */
#define HN_NEG_MAX_PUB_TRACKS 8
#define HN_NEG_MAX_TRACKS     HN_NEG_MAX_PUB_TRACKS /* capacity of HnNegPublish.tracks */
#define HN_NEG_MAX_SUB_SLOTS  2048

#define HN_NEG_ERROR (hn_neg_error_quark())
typedef enum {
    HN_NEG_ERROR_TOO_MANY, /* more published tracks or subscriber slots than the limits above */
} HnNegError;
GQuark hn_neg_error_quark(void);

/* One m= section of a subscriber offer: the room model's section (consumer_id 0 = inactive). */
typedef HnRoomSlot HnNegSlot;

typedef struct {
    const char *ufrag, *pwd;
    const char *fingerprint; /* sha-256, colon hex */
    gboolean ice_lite;       /* a=ice-lite, with the candidates below and end-of-candidates */
    char *const *candidates; /* "candidate:..." NULL-terminated, or NULL (trickled instead) */
} HnNegLocal;

/* An accepted m= section of a publish offer. */
typedef struct {
    char mid[HN_NEG_MID_MAX];
    HnKind kind;
    HnCodec codec; /* with the publisher's payload type */
    uint32_t ssrc;
    /* id of the transport-wide seq extension (transport-cc), 0: none */
    uint8_t ext_transport_cc;
    uint8_t rtx_pt;          /* the publisher's RTX (RFC 4588) payload type, 0: none */
    uint32_t rtx_ssrc;       /* from a=ssrc-group:FID, 0 when not signalled */
    uint8_t ext_audio_level; /* audio: id of the RFC 6464 audio level extension, 0: none */
    HnSimulcastDesc sim;     /* video simulcast layers, n_layers 0: none */
} HnNegTrack;

/* The remote transport parameters of a description. Strings owned by the struct. */
typedef struct {
    char *ufrag, *pwd, *fp_alg, *fp;
    gboolean dtls_server;  /* TRUE when the server takes the DTLS server role */
    GPtrArray *candidates; /* char*, candidates embedded in the description */

    /* sub answers: the transport-cc extension id the client kept, 0: none */
    uint8_t transport_cc;
} HnNegRemote;

typedef struct {
    HnNegRemote remote;
    HnNegTrack tracks[HN_NEG_MAX_TRACKS];
    size_t n_tracks;
} HnNegPublish;

typedef struct HnNegOffer HnNegOffer;

/* Parses a publish offer. transfer full; NULL + error (a sentence for the client, domain
 * HN_SDP_ERROR). */
HnNegOffer *hn_neg_parse_offer(const char *sdp, GError **error);
void hn_neg_offer_free(HnNegOffer *offer);
/* The offer's ICE ufrag (transfer none). */
const char *hn_neg_offer_ufrag(const HnNegOffer *offer);
/* The offer's first DTLS fingerprint (upper-case colon hex), "" when none; transfer none. The
 * same fingerprint with a new ufrag is an ICE restart of the same peer connection. */
const char *hn_neg_offer_fingerprint(const HnNegOffer *offer);
/* The answer text (transfer full) and what it accepted, or NULL + error: HN_SDP_ERROR for an
 * offer that cannot be answered, HN_NEG_ERROR_TOO_MANY ("a participant may publish at most 8
 * tracks, this offer has 9") when more than HN_NEG_MAX_PUB_TRACKS m= lines send media. The
 * message is a sentence for the client. */
char *hn_neg_answer_publish(const HnNegOffer *offer, const HnNegLocal *local, HnNegPublish *res,
                            GError **error);
void hn_neg_publish_clear(HnNegPublish *res);

/* A subscriber offer for the slots (transfer full), or NULL + error: HN_NEG_ERROR_TOO_MANY
 * when n > HN_NEG_MAX_SUB_SLOTS, HN_SDP_ERROR_INVALID for a bad slot. Linear in n. */
char *hn_neg_sub_offer(const HnNegLocal *local, const HnNegSlot *slots, size_t n, uint64_t version,
                       GError **error);
/* Checks the client's answer to the offer built from slots; marks slots the client rejected, and
 * clears rtx_pt of accepted slots whose answer dropped the offered RTX payload type.
 * FALSE + error when it is unusable. res: clear with hn_neg_remote_clear. */
gboolean hn_neg_check_sub_answer(const char *sdp, HnNegSlot *slots, size_t n, HnNegRemote *res,
                                 GError **error);
void hn_neg_remote_clear(HnNegRemote *r);
