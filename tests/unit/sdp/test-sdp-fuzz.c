/* Robustness: truncated, mutated and random descriptions and candidates must give a clean
 * result or a clean error, never a crash or a leak (run under ASan/UBSan in CI). Whatever the
 * input, an answer the server writes must parse again. Seeded, so failures reproduce. */
#include "sdp_test.h"

#include "sdp/sdp_candidate.h"
#include "sdp/sdp_plain.h"

static const char *const fixtures[] = {
    "chromium-sendonly.sdp",
    "chromium-h264-only.sdp",
    "firefox.sdp",
    "webrtcbin-sendonly.sdp",
    "webrtcbin-no-video-ssrc.sdp",
    "webrtcbin-nack.sdp",
    "webrtcbin-sub-answer.sdp",
    "polycom-savp.sdp",
    "cisco-avpf.sdp",
    "yealink-avp.sdp",
    "baresip-savp-ipv6.sdp",
};

static const HnSdpSdesKey fuzz_key = {HN_SDP_CRYPTO_AES_CM_128_HMAC_SHA1_80, {1, 2, 3}};

/* The plain-leg answer: a clean error, or an answer that parses back with as many m= lines. */
static bool plain_answer(const HnSdp *sdp)
{
    HnSdpPlainPort *ports = g_new0(HnSdpPlainPort, sdp->n_media + 1);
    for (size_t i = 0; i < sdp->n_media; i++)
        ports[i] = (HnSdpPlainPort){"192.0.2.1", (uint16_t)(30000 + 2 * (i % 1000)), 0,
                                    i % 2 ? &fuzz_key : NULL};
    HnSdpPlainSession session = {.address = "192.0.2.1", .session_id = 1, .version = 1};
    HnSdpPlainAnswer *a = NULL;
    GError *e = NULL;
    bool ok = hn_sdp_plain_answer(sdp, &session, ports, sdp->n_media, &a, &e) == 0;
    if (ok) {
        HnSdp *again = NULL;
        if (hn_sdp_parse(a->sdp, strlen(a->sdp), &again, &e) != 0)
            fail_msg("the plain answer does not parse: %s\n%s", e->message, a->sdp);
        assert_int_equal(again->n_media, sdp->n_media);
        hn_sdp_free(again);
        hn_sdp_plain_answer_free(a);
    } else {
        assert_null(a);
        assert_non_null(e);
        assert_true(e->message[0] != '\0');
        g_clear_error(&e);
    }
    g_free(ports);
    return ok;
}

/* The slots of `sdp-tool sub-offer < chromium-sendonly.sdp`, which webrtcbin-sub-answer.sdp
 * answers. */
static const HnSdpSendSlot sub_slots[3] = {
    {.mid = "m0",
     .kind = HN_KIND_AUDIO,
     .active = true,
     .codec = {HN_CODEC_OPUS, HN_KIND_AUDIO, 111, 48000, 2, 0, "minptime=10;useinbandfec=1"},
     .ssrc = 1,
     .cname = "c",
     .stream_id = "s",
     .track_id = "a"},
    {.mid = "m1",
     .kind = HN_KIND_VIDEO,
     .active = true,
     .codec = {HN_CODEC_VP8, HN_KIND_VIDEO, 96, 90000, 0, 0, ""},
     .ssrc = 2,
     .cname = "c",
     .stream_id = "s",
     .track_id = "v"},
    {.mid = "m2", .kind = HN_KIND_VIDEO, .active = false},
};

static uint64_t rng = 0x9e3779b97f4a7c15ULL;

static uint32_t rnd(uint32_t n)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return n ? (uint32_t)(rng % n) : 0;
}

static struct {
    unsigned parsed, refused, answered, sub_checked, plain_answered;
} stats;

/* Runs every entry point on one input and checks the contracts. */
static void exercise(const char *buf, size_t len)
{
    HnSdp *sdp = (HnSdp *)0x1;
    GError *e = NULL;
    int r = hn_sdp_parse(buf, len, &sdp, &e);
    if (r != 0) {
        assert_int_equal(r, -EINVAL);
        assert_null(sdp);
        assert_non_null(e);
        assert_true(e->message[0] != '\0');
        g_clear_error(&e);
        stats.refused++;
    } else {
        assert_null(e);
        stats.parsed++;
        HnSdpPubAnswer *a = NULL;
        if (hn_sdp_pub_answer(sdp, &test_local, NULL, 1, &a, &e) == 0) {
            HnSdp *again = NULL;
            GError *e2 = NULL;
            if (hn_sdp_parse(a->sdp, strlen(a->sdp), &again, &e2) != 0)
                fail_msg("the server's answer does not parse: %s\n%s", e2->message, a->sdp);
            assert_int_equal(again->n_media, sdp->n_media);
            hn_sdp_free(again);
            hn_sdp_pub_answer_free(a);
            stats.answered++;
        } else {
            assert_non_null(e);
            g_clear_error(&e);
        }
        stats.plain_answered += plain_answer(sdp);
        for (size_t i = 0; i < sdp->n_media; i++) {
            for (size_t k = 0; k < sdp->media[i].n_candidates; k++) {
                HnCandidate c;
                if (hn_sdp_candidate_parse(sdp->media[i].candidates[k], &c, &e) < 0)
                    g_clear_error(&e);
            }
        }
        hn_sdp_free(sdp);
    }
    HnSdpSubAnswer *sa = NULL;
    if (hn_sdp_check_sub_answer(buf, len, sub_slots, 3, &sa, &e) == 0) {
        stats.sub_checked++;
        hn_sdp_sub_answer_free(sa);
    } else {
        assert_null(sa);
        assert_non_null(e);
        g_clear_error(&e);
    }
}

static void test_truncations(void **state)
{
    for (size_t f = 0; f < G_N_ELEMENTS(fixtures); f++) {
        size_t len;
        char *text = load_fixture(fixtures[f], &len);
        for (size_t n = 0; n <= len; n++) {
            char *copy = g_memdup2(text, n); /* exact size: ASan sees any over-read */
            exercise(copy, n);
            g_free(copy);
        }
        g_free(text);
    }
    assert_true(stats.parsed > 0 && stats.refused > 0 && stats.answered > 0);
    assert_true(stats.plain_answered > 0);
}

static void mutate_once(GString *s)
{
    static const char interesting[] = {'\0', '\r', '\n', ' ', ':', '=', '/', '9', 'a', '*', '\t'};
    static const char *const numbers[] = {
        "4294967296", "99999999999999999999", "-1", "128", "0", "65536", "255", ""};
    size_t pos = s->len ? rnd((uint32_t)s->len) : 0;
    switch (rnd(9)) {
    case 0:
        if (s->len)
            s->str[pos] = (char)rnd(256);
        break;
    case 1:
        if (s->len)
            s->str[pos] = interesting[rnd(sizeof interesting)];
        break;
    case 2: { /* delete the line at pos */
        const char *nl = memchr(s->str + pos, '\n', s->len - pos);
        size_t end = nl ? (size_t)(nl - s->str) + 1 : s->len;
        while (pos > 0 && s->str[pos - 1] != '\n')
            pos--;
        g_string_erase(s, (gssize)pos, (gssize)(end - pos));
        break;
    }
    case 3: { /* duplicate the line at pos */
        while (pos > 0 && s->str[pos - 1] != '\n')
            pos--;
        const char *nl = memchr(s->str + pos, '\n', s->len - pos);
        size_t end = nl ? (size_t)(nl - s->str) + 1 : s->len;
        char *line = g_strndup(s->str + pos, end - pos);
        g_string_insert(s, (gssize)pos, line);
        g_free(line);
        break;
    }
    case 4:
        for (int i = 0, n = 1 + (int)rnd(16); i < n; i++)
            g_string_insert_c(s, (gssize)pos, (char)rnd(256));
        break;
    case 5:
        g_string_truncate(s, pos);
        break;
    case 6: /* replace the digit run at pos */
        if (s->len && g_ascii_isdigit(s->str[pos])) {
            size_t end = pos;
            while (end < s->len && g_ascii_isdigit(s->str[end]))
                end++;
            g_string_erase(s, (gssize)pos, (gssize)(end - pos));
            g_string_insert(s, (gssize)pos, numbers[rnd(G_N_ELEMENTS(numbers))]);
        }
        break;
    case 7: {
        char *run = g_strnfill(1 + rnd(6000), 'a');
        g_string_insert(s, (gssize)pos, run);
        g_free(run);
        break;
    }
    default: /* a fresh attribute line with a random known name */
    {
        static const char *const names[] = {
            "a=rtpmap:", "a=fmtp:",      "a=rtcp-fb:",    "a=extmap:",    "a=ssrc:",
            "a=mid:",    "a=group:",     "a=rid:",        "a=setup:",     "a=msid:",
            "m=video ",  "a=candidate:", "a=ssrc-group:", "a=ice-ufrag:", "a=fingerprint:"};
        char *line =
            g_strdup_printf("%s%u %u\r\n", names[rnd(G_N_ELEMENTS(names))], rnd(300), rnd(100000));
        while (pos > 0 && s->str[pos - 1] != '\n')
            pos--;
        g_string_insert(s, (gssize)pos, line);
        g_free(line);
    }
    }
}

static void test_mutations(void **state)
{
    memset(&stats, 0, sizeof stats);
    for (size_t f = 0; f < G_N_ELEMENTS(fixtures); f++) {
        size_t len;
        char *text = load_fixture(fixtures[f], &len);
        for (int iter = 0; iter < 1500; iter++) {
            GString *s = g_string_new_len(text, (gssize)len);
            for (int k = 0, n = 1 + (int)rnd(4); k < n; k++)
                mutate_once(s);
            char *copy = g_memdup2(s->str, s->len);
            exercise(copy, s->len);
            g_free(copy);
            g_string_free(s, TRUE);
        }
        g_free(text);
    }
    /* The mutations must hit both paths, or the test proves little. */
    assert_true(stats.parsed > 1000);
    assert_true(stats.refused > 1000);
    assert_true(stats.answered > 500);
    assert_true(stats.sub_checked > 10);
}

static void test_random_bytes(void **state)
{
    for (int iter = 0; iter < 3000; iter++) {
        size_t n = rnd(600);
        GString *s = g_string_new(iter % 2 ? "v=0\r\n" : "");
        for (size_t i = 0; i < n; i++)
            g_string_append_c(s, iter % 3 ? (char)(0x20 + rnd(0x5f)) : (char)rnd(256));
        char *copy = g_memdup2(s->str, s->len);
        exercise(copy, s->len);
        g_free(copy);
        g_string_free(s, TRUE);
    }
}

static void test_huge(void **state)
{
    /* One huge line, a huge line count, and input far over the limit. */
    GString *s = g_string_new("v=0\r\na=");
    for (int i = 0; i < 60000; i++)
        g_string_append_c(s, 'x');
    exercise(s->str, s->len);
    g_string_assign(s, "v=0\r\n");
    while (s->len < HN_SDP_MAX_SIZE - 8)
        g_string_append(s, "a=x\r\n");
    exercise(s->str, s->len);
    g_string_assign(s, "v=0\r\n");
    while (s->len < 4 * HN_SDP_MAX_SIZE)
        g_string_append(s, "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\n");
    exercise(s->str, s->len);
    g_string_free(s, TRUE);
}

static void test_candidate_mutations(void **state)
{
    static const char *const seeds[] = {
        "candidate:842163049 1 udp 1677729535 203.0.113.7 46154 typ srflx raddr 10.0.0.1 rport "
        "46154 generation 0 ufrag Kq3Z network-cost 10",
        "candidate:3 1 tcp 1518280447 2001:db8::1 9 typ host tcptype active",
        "candidate:1 1 udp 2113937151 0f4c7a8e-1234-4bcd-9e1f-2a3b4c5d6e7f.local 54321 typ host",
    };
    unsigned ok = 0;
    for (int iter = 0; iter < 6000; iter++) {
        GString *s = g_string_new(seeds[iter % G_N_ELEMENTS(seeds)]);
        for (int k = 0, n = (int)rnd(3); k < n; k++)
            mutate_once(s);
        HnCandidate c;
        GError *e = NULL;
        if (hn_sdp_candidate_parse(s->str, &c, &e) == 0) {
            ok++;
            char *f = hn_sdp_candidate_format(&c, &e);
            assert_non_null(f);
            HnCandidate again;
            assert_int_equal(hn_sdp_candidate_parse(f, &again, &e), 0);
            g_free(f);
        } else {
            assert_non_null(e);
            g_clear_error(&e);
        }
        g_string_free(s, TRUE);
    }
    assert_true(ok > 100);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_truncations),         cmocka_unit_test(test_mutations),
        cmocka_unit_test(test_random_bytes),        cmocka_unit_test(test_huge),
        cmocka_unit_test(test_candidate_mutations),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
