/* test_dtls.c - DTLS-SRTP handshake between two in-memory endpoints. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include "test_dtls_pair.h"

static void assert_keys_mirror(TestPair *p, HnSrtpProfile profile, size_t key_len)
{
    assert_int_equal(p->server.connected, 1);
    assert_int_equal(p->client.connected, 1);
    assert_int_equal(p->server.failed, 0);
    assert_int_equal(p->client.failed, 0);
    assert_int_equal(p->server.keys.profile, profile);
    assert_int_equal(p->client.keys.profile, profile);
    assert_int_equal(p->server.keys.key_len, key_len);
    assert_int_equal(p->client.keys.key_len, key_len);
    assert_memory_equal(p->client.keys.local_key, p->server.keys.remote_key, key_len);
    assert_memory_equal(p->client.keys.remote_key, p->server.keys.local_key, key_len);
    assert_memory_not_equal(p->client.keys.local_key, p->client.keys.remote_key, key_len);
    assert_int_equal(hn_dtls_get_state(p->server.dtls), HN_DTLS_STATE_CONNECTED);
    assert_int_equal(hn_dtls_get_state(p->client.dtls), HN_DTLS_STATE_CONNECTED);
}

static void assert_both_failed(TestPair *p)
{
    assert_int_equal(p->server.connected, 0);
    assert_int_equal(p->client.connected, 0);
    assert_int_equal(p->server.failed, 1);
    assert_int_equal(p->client.failed, 1);
    assert_int_equal(hn_dtls_get_state(p->server.dtls), HN_DTLS_STATE_FAILED);
    assert_int_equal(hn_dtls_get_state(p->client.dtls), HN_DTLS_STATE_FAILED);
}

/* Deliver everything queued from @from to @to once. */
static void deliver_once(TestPeer *from, TestPeer *to)
{
    GBytes *b;
    while ((b = g_queue_pop_head(&from->out)) != NULL) {
        gsize len;
        const uint8_t *d = g_bytes_get_data(b, &len);
        hn_dtls_handle(to->dtls, d, len, test_now());
        g_bytes_unref(b);
    }
}

static void drop_queued(TestPeer *peer)
{
    g_queue_clear_full(&peer->out, (GDestroyNotify)g_bytes_unref);
}

static void short_timers(TestPair *p)
{
    assert_int_equal(hn_dtls_set_initial_timeout(p->client.dtls, 20), 0);
    assert_int_equal(hn_dtls_set_initial_timeout(p->server.dtls, 20), 0);
}

static void test_handshake_gcm(void **state)
{
    TestPair p;
    test_pair_init(&p, NULL, NULL, NULL, NULL);
    assert_int_equal(hn_dtls_get_state(p.client.dtls), HN_DTLS_STATE_NEW);
    test_pair_run(&p, false, 0);
    assert_keys_mirror(&p, HN_SRTP_AEAD_AES_128_GCM, 28);
    assert_string_equal(hn_srtp_profile_name(p.client.keys.profile), "SRTP_AEAD_AES_128_GCM");
    HnDtlsStats st;
    hn_dtls_get_stats(p.client.dtls, &st);
    assert_true(st.datagrams_out >= 2);
    assert_true(st.datagrams_in >= 1);
    assert_int_equal(st.garbage, 0);
    assert_int_equal(st.retransmits, 0);
    test_pair_clear(&p);
}

static void test_handshake_cm_only_client(void **state)
{
    TestPair p;
    test_pair_init(&p, NULL, NULL, NULL, NULL);
    assert_int_equal(hn_dtls_set_srtp_profiles(p.client.dtls, "SRTP_AES128_CM_SHA1_80"), 0);
    test_pair_run(&p, false, 0);
    assert_keys_mirror(&p, HN_SRTP_AES128_CM_SHA1_80, 30);
    test_pair_clear(&p);
}

/* The server's preference wins even when the client lists CM first. */
static void test_handshake_server_preference(void **state)
{
    TestPair p;
    test_pair_init(&p, NULL, NULL, NULL, NULL);
    assert_int_equal(
        hn_dtls_set_srtp_profiles(p.client.dtls, "SRTP_AES128_CM_SHA1_80:SRTP_AEAD_AES_128_GCM"),
        0);
    test_pair_run(&p, false, 0);
    assert_keys_mirror(&p, HN_SRTP_AEAD_AES_128_GCM, 28);
    test_pair_clear(&p);
}

static void test_no_common_profile(void **state)
{
    TestPair p;
    test_pair_init(&p, NULL, NULL, NULL, NULL);
    assert_int_equal(hn_dtls_set_srtp_profiles(p.client.dtls, "SRTP_AES128_CM_SHA1_80"), 0);
    assert_int_equal(hn_dtls_set_srtp_profiles(p.server.dtls, "SRTP_AEAD_AES_128_GCM"), 0);
    test_pair_run(&p, false, 0);
    assert_int_equal(p.server.connected + p.client.connected, 0);
    assert_true(p.server.failed == 1 || p.client.failed == 1);
    test_pair_clear(&p);
}

static void test_bad_profile_list(void **state)
{
    TestPair p;
    test_pair_init(&p, NULL, NULL, NULL, NULL);
    assert_int_equal(hn_dtls_set_srtp_profiles(p.client.dtls, "SRTP_BOGUS"), -EINVAL);
    assert_int_equal(hn_dtls_set_mtu(p.client.dtls, 279), -EINVAL);
    assert_int_equal(hn_dtls_set_initial_timeout(p.client.dtls, 0), -EINVAL);
    hn_dtls_start(p.client.dtls, test_now());
    assert_int_equal(hn_dtls_set_srtp_profiles(p.client.dtls, "SRTP_AES128_CM_SHA1_80"), -EBUSY);
    assert_int_equal(hn_dtls_set_mtu(p.client.dtls, 1000), -EBUSY);
    assert_int_equal(hn_dtls_set_initial_timeout(p.client.dtls, 100), -EBUSY);
    test_pair_clear(&p);
}

static const char *wrong_fp(void)
{
    static char fp[96];
    GError *error = NULL;
    HnCert *other = hn_cert_generate(&error);
    assert_non_null(other);
    g_strlcpy(fp, hn_cert_fingerprint(other), sizeof fp);
    hn_cert_unref(other);
    return fp;
}

static void test_fingerprint_mismatch_client_side(void **state)
{
    TestPair p;
    test_pair_init(&p, NULL, NULL, "sha-256", wrong_fp());
    test_pair_run(&p, false, 0);
    assert_both_failed(&p);
    assert_non_null(strstr(p.client.reason, "fingerprint"));
    test_pair_clear(&p);
}

static void test_fingerprint_mismatch_server_side(void **state)
{
    TestPair p;
    test_pair_init(&p, "sha-256", wrong_fp(), NULL, NULL);
    test_pair_run(&p, false, 0);
    assert_both_failed(&p);
    assert_non_null(strstr(p.server.reason, "fingerprint"));
    /* A failed endpoint ignores everything after. */
    uint8_t rec[20] = {22, 0xfe, 0xfd};
    assert_int_equal(hn_dtls_handle(p.server.dtls, rec, sizeof rec, test_now()), -ENOTCONN);
    test_pair_clear(&p);
}

static void fingerprint_of(HnCert *cert, const char *alg, char *out)
{
    uint8_t d[EVP_MAX_MD_SIZE];
    int n = hn_cert_digest(hn_cert_get_x509(cert), alg, d);
    assert_true(n > 0);
    hn_cert_format_fingerprint(d, (size_t)n, out);
}

/* sha-1/384/512 fingerprints are accepted too (lowercase hex as well). */
static void test_other_fingerprint_algs(void **state)
{
    static const char *algs[] = {"sha-1", "SHA-384", "sha-512"};
    for (size_t i = 0; i < G_N_ELEMENTS(algs); i++) {
        TestPair p;
        test_pair_init(&p, NULL, NULL, NULL, NULL);
        char server_fp[HN_CERT_FP_MAX], client_fp[HN_CERT_FP_MAX];
        fingerprint_of(p.server_cert, algs[i], server_fp);
        fingerprint_of(p.client_cert, algs[i], client_fp);
        char *lower = g_ascii_strdown(client_fp, -1);
        hn_dtls_free(p.server.dtls);
        hn_dtls_free(p.client.dtls);
        p.server.dtls = hn_dtls_new(p.server_cert, HN_DTLS_SERVER, algs[i], lower,
                                    &test_peer_callbacks, &p.server, NULL);
        p.client.dtls = hn_dtls_new(p.client_cert, HN_DTLS_CLIENT, algs[i], server_fp,
                                    &test_peer_callbacks, &p.client, NULL);
        g_free(lower);
        assert_non_null(p.server.dtls);
        assert_non_null(p.client.dtls);
        test_pair_run(&p, false, 0);
        assert_keys_mirror(&p, HN_SRTP_AEAD_AES_128_GCM, 28);
        test_pair_clear(&p);
    }
}

static void test_bad_fingerprint_args(void **state)
{
    GError *error = NULL;
    HnCert *cert = hn_cert_generate(&error);
    assert_non_null(cert);
    TestPeer peer;
    const char *fp = hn_cert_fingerprint(cert);
    struct {
        const char *alg, *fp;
    } bad[] = {
        {"md5", fp},          {NULL, fp},           {"sha-256", NULL}, {"sha-256", ""},
        {"sha-256", "AB"},    {"sha-256", "zz:zz"}, {"sha-1", fp},     {"sha-256", "AB:CD:"},
        {"sha-256", "ABC:D"},
    };
    for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
        HnDtls *d = hn_dtls_new(cert, HN_DTLS_SERVER, bad[i].alg, bad[i].fp, &test_peer_callbacks,
                                &peer, &error);
        assert_null(d);
        assert_non_null(error);
        g_clear_error(&error);
    }
    hn_cert_unref(cert);
}

/* Lose the client's first flight (ClientHello): the retransmission timer recovers. */
static void test_loss_client_first_flight(void **state)
{
    TestPair p;
    test_pair_init(&p, NULL, NULL, NULL, NULL);
    short_timers(&p);
    p.client.drop_next = 1;
    hn_dtls_start(p.client.dtls, test_now());
    assert_int_equal(test_pair_pump(&p), 0);
    int64_t t = hn_dtls_next_timeout(p.client.dtls);
    assert_true(t != INT64_MAX);
    assert_true(t <= test_now() + 25000);
    assert_int_equal(hn_dtls_next_timeout(p.server.dtls), INT64_MAX);
    test_pair_run(&p, true, 5000);
    assert_keys_mirror(&p, HN_SRTP_AEAD_AES_128_GCM, 28);
    HnDtlsStats st;
    hn_dtls_get_stats(p.client.dtls, &st);
    assert_true(st.retransmits >= 1);
    test_pair_clear(&p);
}

/* Lose part of the server's first flight (ServerHello..ServerHelloDone). */
static void test_loss_server_flight(void **state)
{
    TestPair p;
    test_pair_init(&p, NULL, NULL, NULL, NULL);
    short_timers(&p);
    p.server.drop_next = 1;
    test_pair_run(&p, true, 5000);
    assert_keys_mirror(&p, HN_SRTP_AEAD_AES_128_GCM, 28);
    test_pair_clear(&p);
}

/* Lose the client's second flight (Certificate..Finished) entirely. */
static void test_loss_client_second_flight(void **state)
{
    TestPair p;
    test_pair_init(&p, NULL, NULL, NULL, NULL);
    short_timers(&p);
    hn_dtls_start(p.client.dtls, test_now());
    deliver_once(&p.client, &p.server);
    deliver_once(&p.server, &p.client);
    assert_false(g_queue_is_empty(&p.client.out));
    drop_queued(&p.client);
    test_pair_run(&p, true, 5000);
    assert_keys_mirror(&p, HN_SRTP_AEAD_AES_128_GCM, 28);
    test_pair_clear(&p);
}

/* Lose the server's final flight (ChangeCipherSpec + Finished): the client retransmits its
 * flight and the server answers with its final flight again. */
static void test_loss_final_flight(void **state)
{
    TestPair p;
    test_pair_init(&p, NULL, NULL, NULL, NULL);
    short_timers(&p);
    hn_dtls_start(p.client.dtls, test_now());
    /* ClientHello -> server flight -> client flight; then lose the server's answer. */
    deliver_once(&p.client, &p.server);
    deliver_once(&p.server, &p.client);
    deliver_once(&p.client, &p.server);
    assert_int_equal(p.server.connected, 1);
    assert_int_equal(p.client.connected, 0);
    drop_queued(&p.server);
    test_pair_run(&p, true, 5000);
    assert_keys_mirror(&p, HN_SRTP_AEAD_AES_128_GCM, 28);
    test_pair_clear(&p);
}

/* Nobody answers: the client eventually gives up (with a short timer so the test is quick). */
static void test_handshake_timeout(void **state)
{
    TestPair p;
    test_pair_init(&p, NULL, NULL, NULL, NULL);
    assert_int_equal(hn_dtls_set_initial_timeout(p.client.dtls, 1), 0);
    p.client.drop_next = 1000;
    hn_dtls_start(p.client.dtls, test_now());
    int64_t end = test_now() + 5 * G_USEC_PER_SEC;
    while (p.client.failed == 0 && test_now() < end) {
        int64_t t = hn_dtls_next_timeout(p.client.dtls);
        assert_true(t != INT64_MAX);
        int64_t now = test_now();
        if (t > now)
            g_usleep((gulong)MIN(t - now, 100000));
        hn_dtls_on_timeout(p.client.dtls, test_now());
    }
    assert_int_equal(p.client.failed, 1);
    assert_int_equal(hn_dtls_next_timeout(p.client.dtls), INT64_MAX);
    test_pair_clear(&p);
}

static void feed_garbage(TestPeer *peer, GRand *rand)
{
    uint8_t buf[300];
    /* Not DTLS at all: rejected before OpenSSL sees it. */
    assert_int_equal(hn_dtls_handle(peer->dtls, NULL, 0, test_now()), -EINVAL);
    assert_int_equal(hn_dtls_handle(peer->dtls, buf, 0, test_now()), -EINVAL);
    memset(buf, 0x80, sizeof buf); /* RTP range */
    assert_int_equal(hn_dtls_handle(peer->dtls, buf, sizeof buf, test_now()), -EINVAL);
    buf[0] = 22; /* too short for a record header */
    assert_int_equal(hn_dtls_handle(peer->dtls, buf, 12, test_now()), -EINVAL);
    /* DTLS-looking records with random bodies: OpenSSL discards them. */
    for (int i = 0; i < 50; i++) {
        size_t len = 13 + (size_t)g_rand_int_range(rand, 0, sizeof buf - 13);
        for (size_t j = 0; j < len; j++)
            buf[j] = (uint8_t)g_rand_int(rand);
        buf[0] = (uint8_t)g_rand_int_range(rand, 20, 26);
        hn_dtls_handle(peer->dtls, buf, len, test_now());
    }
}

static void test_garbage_ignored(void **state)
{
    GRand *rand = g_rand_new_with_seed(42);
    TestPair p;
    test_pair_init(&p, NULL, NULL, NULL, NULL);
    feed_garbage(&p.server, rand); /* before anything */
    hn_dtls_start(p.client.dtls, test_now());
    feed_garbage(&p.client, rand); /* while waiting for the server */
    test_pair_pump(&p);
    assert_keys_mirror(&p, HN_SRTP_AEAD_AES_128_GCM, 28);
    feed_garbage(&p.server, rand); /* after the handshake */
    feed_garbage(&p.client, rand);
    assert_int_equal(hn_dtls_get_state(p.server.dtls), HN_DTLS_STATE_CONNECTED);
    assert_int_equal(hn_dtls_get_state(p.client.dtls), HN_DTLS_STATE_CONNECTED);
    HnDtlsStats st;
    hn_dtls_get_stats(p.server.dtls, &st);
    assert_int_equal(st.garbage, 8);
    test_pair_clear(&p);
    g_rand_free(rand);
}

static void test_app_data_and_close(void **state)
{
    TestPair p;
    test_pair_init(&p, NULL, NULL, NULL, NULL);
    assert_int_equal(hn_dtls_write(p.client.dtls, (const uint8_t *)"x", 1), -ENOTCONN);
    test_pair_run(&p, false, 0);
    assert_int_equal(hn_dtls_write(p.client.dtls, (const uint8_t *)"hello", 5), 0);
    assert_int_equal(hn_dtls_write(p.server.dtls, (const uint8_t *)"world!", 6), 0);
    test_pair_pump(&p);
    assert_int_equal(p.server.data->len, 5);
    assert_memory_equal(p.server.data->data, "hello", 5);
    assert_int_equal(p.client.data->len, 6);
    assert_memory_equal(p.client.data->data, "world!", 6);

    hn_dtls_close(p.client.dtls);
    assert_int_equal(hn_dtls_get_state(p.client.dtls), HN_DTLS_STATE_CLOSED);
    test_pair_pump(&p);
    assert_int_equal(p.server.closed, 1);
    assert_int_equal(hn_dtls_get_state(p.server.dtls), HN_DTLS_STATE_CLOSED);
    assert_int_equal(p.server.failed + p.client.failed, 0);
    hn_dtls_close(p.client.dtls); /* idempotent */
    assert_int_equal(hn_dtls_write(p.client.dtls, (const uint8_t *)"x", 1), -ENOTCONN);
    test_pair_clear(&p);
}

/* Datagrams never exceed the configured MTU, even with a large certificate flight. */
static void test_mtu_respected(void **state)
{
    TestPair p;
    test_pair_init(&p, NULL, NULL, NULL, NULL);
    assert_int_equal(hn_dtls_set_mtu(p.client.dtls, 300), 0);
    assert_int_equal(hn_dtls_set_mtu(p.server.dtls, 300), 0);
    hn_dtls_start(p.client.dtls, test_now());
    for (int round = 0; round < 20; round++) {
        TestPeer *peers[2] = {&p.client, &p.server};
        int moved = 0;
        for (int k = 0; k < 2; k++) {
            GBytes *b;
            while ((b = g_queue_pop_head(&peers[k]->out)) != NULL) {
                gsize len;
                const uint8_t *d = g_bytes_get_data(b, &len);
                assert_true(len <= 300);
                hn_dtls_handle(peers[1 - k]->dtls, d, len, test_now());
                g_bytes_unref(b);
                moved++;
            }
        }
        if (moved == 0)
            break;
    }
    assert_keys_mirror(&p, HN_SRTP_AEAD_AES_128_GCM, 28);
    test_pair_clear(&p);
}

/* ---- one SSL_CTX per certificate ------------------------------------------------------------ */

static void shared_peer_init(TestPeer *peer, HnCert *cert, HnDtlsRole role, const char *fp)
{
    memset(peer, 0, sizeof *peer);
    g_queue_init(&peer->out);
    peer->data = g_byte_array_new();
    GError *error = NULL;
    peer->dtls = hn_dtls_new(cert, role, "sha-256", fp, &test_peer_callbacks, peer, &error);
    assert_null(error);
    assert_non_null(peer->dtls);
}

static void shared_peer_clear(TestPeer *peer)
{
    hn_dtls_free(peer->dtls);
    g_queue_clear_full(&peer->out, (GDestroyNotify)g_bytes_unref);
    g_byte_array_unref(peer->data);
}

/* Two servers on one certificate share its context, as do two clients on another; the second
 * server expects a fingerprint the client does not have. The handshakes are interleaved flight
 * by flight: only the second pair fails, the first connects with keys of its own, and an SRTP
 * profile restriction on one endpoint does not leak to the other through the shared context. */
static void test_shared_ctx_verifies_each_endpoint(void **state)
{
    HnCert *scert = hn_cert_generate(NULL), *ccert = hn_cert_generate(NULL);
    assert_non_null(scert);
    assert_non_null(ccert);
    TestPeer s1, s2, c1, c2;
    shared_peer_init(&s1, scert, HN_DTLS_SERVER, hn_cert_fingerprint(ccert));
    shared_peer_init(&s2, scert, HN_DTLS_SERVER, wrong_fp());
    shared_peer_init(&c1, ccert, HN_DTLS_CLIENT, hn_cert_fingerprint(scert));
    shared_peer_init(&c2, ccert, HN_DTLS_CLIENT, hn_cert_fingerprint(scert));
    assert_ptr_equal(hn_dtls_get_ssl_ctx(s1.dtls), hn_dtls_get_ssl_ctx(s2.dtls));
    assert_ptr_equal(hn_dtls_get_ssl_ctx(c1.dtls), hn_dtls_get_ssl_ctx(c2.dtls));
    assert_ptr_not_equal(hn_dtls_get_ssl_ctx(s1.dtls), hn_dtls_get_ssl_ctx(c1.dtls));
    assert_int_equal(hn_dtls_set_srtp_profiles(c2.dtls, "SRTP_AES128_CM_SHA1_80"), 0);

    hn_dtls_start(c1.dtls, test_now());
    hn_dtls_start(c2.dtls, test_now());
    for (int round = 0; round < 20; round++) {
        deliver_once(&c1, &s1);
        deliver_once(&c2, &s2);
        deliver_once(&s1, &c1);
        deliver_once(&s2, &c2);
    }
    assert_int_equal(s1.connected, 1);
    assert_int_equal(c1.connected, 1);
    assert_int_equal(s1.failed + c1.failed, 0);
    assert_int_equal(c1.keys.profile, HN_SRTP_AEAD_AES_128_GCM);
    assert_memory_equal(c1.keys.local_key, s1.keys.remote_key, c1.keys.key_len);
    assert_int_equal(s2.connected + c2.connected, 0);
    assert_int_equal(s2.failed, 1);
    assert_non_null(strstr(s2.reason, "fingerprint"));
    assert_int_equal(hn_dtls_get_state(c2.dtls), HN_DTLS_STATE_FAILED);

    /* A third server on the same certificate after the failure still connects. */
    TestPeer s3, c3;
    shared_peer_init(&s3, scert, HN_DTLS_SERVER, hn_cert_fingerprint(ccert));
    shared_peer_init(&c3, ccert, HN_DTLS_CLIENT, hn_cert_fingerprint(scert));
    assert_ptr_equal(hn_dtls_get_ssl_ctx(s3.dtls), hn_dtls_get_ssl_ctx(s1.dtls));
    hn_dtls_start(c3.dtls, test_now());
    for (int round = 0; round < 20; round++) {
        deliver_once(&c3, &s3);
        deliver_once(&s3, &c3);
    }
    assert_int_equal(s3.connected, 1);
    assert_int_equal(c3.connected, 1);

    TestPeer *all[] = {&s1, &s2, &s3, &c1, &c2, &c3};
    for (size_t i = 0; i < G_N_ELEMENTS(all); i++)
        shared_peer_clear(all[i]);
    hn_cert_unref(scert);
    hn_cert_unref(ccert);
}

#define RACE_THREADS   4
#define RACE_ENDPOINTS 50

typedef struct {
    HnCert *cert;
    SSL_CTX *seen[RACE_ENDPOINTS];
} RaceArg;

static gpointer race_thread(gpointer data)
{
    RaceArg *a = data;
    TestPeer peer;
    for (int i = 0; i < RACE_ENDPOINTS; i++) {
        shared_peer_init(&peer, a->cert, i % 2 ? HN_DTLS_CLIENT : HN_DTLS_SERVER, wrong_fp());
        a->seen[i] = hn_dtls_get_ssl_ctx(peer.dtls);
        shared_peer_clear(&peer);
    }
    return NULL;
}

/* Workers creating their first endpoints on a fresh certificate at the same moment all end up on
 * one context (the lazy set-up is serialised); the context outlives the endpoints. */
static void test_shared_ctx_from_threads(void **state)
{
    HnCert *cert = hn_cert_generate(NULL);
    RaceArg args[RACE_THREADS];
    GThread *threads[RACE_THREADS];
    for (int t = 0; t < RACE_THREADS; t++) {
        args[t].cert = cert;
        threads[t] = g_thread_new("race", race_thread, &args[t]);
    }
    for (int t = 0; t < RACE_THREADS; t++)
        g_thread_join(threads[t]);
    SSL_CTX *first = args[0].seen[0];
    assert_non_null(first);
    for (int t = 0; t < RACE_THREADS; t++) {
        for (int i = 0; i < RACE_ENDPOINTS; i++)
            assert_ptr_equal(args[t].seen[i], first);
    }
    hn_cert_unref(cert);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_handshake_gcm),
        cmocka_unit_test(test_handshake_cm_only_client),
        cmocka_unit_test(test_handshake_server_preference),
        cmocka_unit_test(test_no_common_profile),
        cmocka_unit_test(test_bad_profile_list),
        cmocka_unit_test(test_fingerprint_mismatch_client_side),
        cmocka_unit_test(test_fingerprint_mismatch_server_side),
        cmocka_unit_test(test_other_fingerprint_algs),
        cmocka_unit_test(test_bad_fingerprint_args),
        cmocka_unit_test(test_loss_client_first_flight),
        cmocka_unit_test(test_loss_server_flight),
        cmocka_unit_test(test_loss_client_second_flight),
        cmocka_unit_test(test_loss_final_flight),
        cmocka_unit_test(test_handshake_timeout),
        cmocka_unit_test(test_garbage_ignored),
        cmocka_unit_test(test_app_data_and_close),
        cmocka_unit_test(test_mtu_respected),
        cmocka_unit_test(test_shared_ctx_verifies_each_endpoint),
        cmocka_unit_test(test_shared_ctx_from_threads),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
