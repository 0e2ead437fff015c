/* libFuzzer target: the SDP parser (server/sdp/sdp.h) and the two offer/answer paths a client
 * drives (server/app/negotiate.h): the answer to a publish offer and the check of a client's
 * answer to a subscriber offer. Checks the contracts: a refusal always carries a message, and
 * an answer the server writes parses again with as many m= lines as the offer. */
#include "fuzz.h"

#include <glib.h>
#include <string.h>

#include "app/negotiate.h"
#include "sdp/sdp.h"
#include "sdp/sdp_candidate.h"

static char *const local_candidates[] = {"candidate:1 1 udp 2130706431 127.0.0.1 40000 typ host",
                                         NULL};

static const HnNegLocal local = {
    .ufrag = "srvU",
    .pwd = "serverPasswordOf24Chars+",
    .fingerprint = "AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:"
                   "AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99",
    .ice_lite = TRUE,
    .candidates = local_candidates,
};

/* The slots of a subscriber offer with Opus, VP8 and one recycled (inactive) line, as a room
 * with one publisher builds them; the seed fixtures/webrtcbin-sub-answer.sdp answers it. */
static const HnNegSlot sub_slots[3] = {
    {.mid = "m0",
     .kind = HN_KIND_AUDIO,
     .codec = {HN_CODEC_OPUS, HN_KIND_AUDIO, 111, 48000, 2, 0, "minptime=10;useinbandfec=1"},
     .ssrc = 1,
     .producer_id = 1,
     .consumer_id = 1,
     .participant = "p1",
     .cname = "c",
     .track_id = "a"},
    {.mid = "m1",
     .kind = HN_KIND_VIDEO,
     .codec = {HN_CODEC_VP8, HN_KIND_VIDEO, 96, 90000, 0, 0, ""},
     .ssrc = 2,
     .producer_id = 2,
     .consumer_id = 2,
     .participant = "p1",
     .cname = "c",
     .track_id = "v"},
    {.mid = "m2", .kind = HN_KIND_VIDEO},
};

static void parse_raw(const char *buf, size_t len)
{
    HnSdp *sdp = NULL;
    GError *e = NULL;
    if (hn_sdp_parse(buf, len, &sdp, &e) != 0) {
        FUZZ_CHECK(sdp == NULL && e != NULL && e->message[0] != '\0');
        g_error_free(e);
        return;
    }
    FUZZ_CHECK(e == NULL && sdp->n_media <= HN_SDP_MAX_MEDIA);
    for (size_t i = 0; i < sdp->n_media; i++) {
        const HnSdpMedia *m = &sdp->media[i];
        if (m->mid[0])
            FUZZ_CHECK(hn_sdp_find_media(sdp, m->mid) != NULL);
        for (size_t k = 0; k < m->n_candidates; k++) {
            HnCandidate c;
            if (hn_sdp_candidate_parse(m->candidates[k], &c, &e) == 0) {
                char *again = hn_sdp_candidate_format(&c, NULL);
                g_free(again);
            } else {
                FUZZ_CHECK(e != NULL);
                g_clear_error(&e);
            }
        }
    }
    hn_sdp_free(sdp);
}

static void publish(const char *text)
{
    GError *e = NULL;
    HnNegOffer *offer = hn_neg_parse_offer(text, &e);
    if (!offer) {
        FUZZ_CHECK(e != NULL && e->message[0] != '\0');
        g_error_free(e);
        return;
    }
    (void)hn_neg_offer_ufrag(offer);
    HnNegPublish res;
    char *answer = hn_neg_answer_publish(offer, &local, &res, &e);
    if (!answer) {
        FUZZ_CHECK(e != NULL && e->message[0] != '\0');
        g_error_free(e);
        hn_neg_offer_free(offer);
        return;
    }
    FUZZ_CHECK(res.n_tracks <= HN_NEG_MAX_TRACKS);
    HnSdp *offer_sdp = NULL, *answer_sdp = NULL;
    FUZZ_CHECK(hn_sdp_parse(text, strlen(text), &offer_sdp, NULL) == 0);
    if (hn_sdp_parse(answer, strlen(answer), &answer_sdp, &e) != 0) {
        fprintf(stderr, "the server's answer does not parse: %s\n%s\n", e->message, answer);
        abort();
    }
    FUZZ_CHECK(answer_sdp->n_media == offer_sdp->n_media);
    hn_sdp_free(answer_sdp);
    hn_sdp_free(offer_sdp);
    g_free(answer);
    hn_neg_publish_clear(&res);
    hn_neg_offer_free(offer);
}

static void sub_answer(const char *text)
{
    HnNegSlot slots[G_N_ELEMENTS(sub_slots)];
    memcpy(slots, sub_slots, sizeof slots);
    HnNegRemote remote = {0};
    GError *e = NULL;
    if (hn_neg_check_sub_answer(text, slots, G_N_ELEMENTS(slots), &remote, &e))
        FUZZ_CHECK(e == NULL);
    else
        FUZZ_CHECK(e != NULL && e->message[0] != '\0');
    g_clear_error(&e);
    hn_neg_remote_clear(&remote);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 2 * HN_SDP_MAX_SIZE)
        return 0;
    parse_raw((const char *)data, size); /* not NUL-terminated: ASan sees any over-read */
    char *text = g_strndup((const char *)data, size);
    publish(text);
    sub_answer(text);
    g_free(text);
    return 0;
}
