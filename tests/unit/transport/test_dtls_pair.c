/* test_dtls_pair.c - two in-memory DTLS endpoints joined by a test pump (test helper). */
#include "test_dtls_pair.h"

#include <string.h>

static void peer_send(void *user, const uint8_t *data, size_t len)
{
    TestPeer *peer = user;
    peer->sent++;
    if (peer->drop_next > 0) {
        peer->drop_next--;
        return;
    }
    g_queue_push_tail(&peer->out, g_bytes_new(data, len));
}

static void peer_connected(void *user, const HnSrtpKeys *keys)
{
    TestPeer *peer = user;
    peer->connected++;
    peer->keys = *keys;
}

static void peer_failed(void *user, const char *reason)
{
    TestPeer *peer = user;
    peer->failed++;
    g_strlcpy(peer->reason, reason, sizeof peer->reason);
}

static void peer_closed(void *user)
{
    TestPeer *peer = user;
    peer->closed++;
}

static void peer_data(void *user, const uint8_t *data, size_t len)
{
    TestPeer *peer = user;
    g_byte_array_append(peer->data, data, (guint)len);
}

const HnDtlsCallbacks test_peer_callbacks = {
    .send = peer_send,
    .connected = peer_connected,
    .failed = peer_failed,
    .closed = peer_closed,
    .data = peer_data,
};

int64_t test_now(void)
{
    return g_get_monotonic_time();
}

static void peer_init(TestPeer *peer, HnCert *cert, HnDtlsRole role, const char *alg,
                      const char *fp)
{
    memset(peer, 0, sizeof *peer);
    g_queue_init(&peer->out);
    peer->data = g_byte_array_new();
    GError *error = NULL;
    peer->dtls = hn_dtls_new(cert, role, alg, fp, &test_peer_callbacks, peer, &error);
    g_assert_no_error(error);
    g_assert_nonnull(peer->dtls);
}

void test_pair_init(TestPair *p, const char *server_expects_alg, const char *server_expects,
                    const char *client_expects_alg, const char *client_expects)
{
    GError *error = NULL;
    p->server_cert = hn_cert_generate(&error);
    g_assert_no_error(error);
    p->client_cert = hn_cert_generate(&error);
    g_assert_no_error(error);
    peer_init(&p->server, p->server_cert, HN_DTLS_SERVER,
              server_expects_alg != NULL ? server_expects_alg : "sha-256",
              server_expects != NULL ? server_expects : hn_cert_fingerprint(p->client_cert));
    peer_init(&p->client, p->client_cert, HN_DTLS_CLIENT,
              client_expects_alg != NULL ? client_expects_alg : "sha-256",
              client_expects != NULL ? client_expects : hn_cert_fingerprint(p->server_cert));
}

static void peer_clear(TestPeer *peer)
{
    hn_dtls_free(peer->dtls);
    g_queue_clear_full(&peer->out, (GDestroyNotify)g_bytes_unref);
    g_byte_array_unref(peer->data);
}

void test_pair_clear(TestPair *p)
{
    peer_clear(&p->server);
    peer_clear(&p->client);
    hn_cert_unref(p->server_cert);
    hn_cert_unref(p->client_cert);
}

static int deliver(TestPeer *from, TestPeer *to)
{
    int n = 0;
    GBytes *b;
    while ((b = g_queue_pop_head(&from->out)) != NULL) {
        gsize len;
        const uint8_t *data = g_bytes_get_data(b, &len);
        hn_dtls_handle(to->dtls, data, len, test_now());
        g_bytes_unref(b);
        n++;
    }
    return n;
}

int test_pair_pump(TestPair *p)
{
    int total = 0;
    for (int round = 0; round < 100; round++) {
        int n = deliver(&p->client, &p->server) + deliver(&p->server, &p->client);
        if (n == 0)
            break;
        total += n;
    }
    return total;
}

static bool settled(TestPair *p)
{
    return (p->server.connected || p->server.failed) && (p->client.connected || p->client.failed);
}

void test_pair_run(TestPair *p, bool timeouts, int max_ms)
{
    hn_dtls_start(p->client.dtls, test_now());
    test_pair_pump(p);
    int64_t end = test_now() + (int64_t)max_ms * 1000;
    while (timeouts && !settled(p) && test_now() < end) {
        int64_t t = MIN(hn_dtls_next_timeout(p->client.dtls), hn_dtls_next_timeout(p->server.dtls));
        t = MIN(t, end);
        int64_t now = test_now();
        if (t > now)
            g_usleep((gulong)(t - now));
        hn_dtls_on_timeout(p->client.dtls, test_now());
        hn_dtls_on_timeout(p->server.dtls, test_now());
        test_pair_pump(p);
    }
}
