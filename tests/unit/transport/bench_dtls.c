/* bench_dtls.c - cost of setting up DTLS endpoints (not a test).
 * Usage: bench_dtls [endpoints]   (default 1000)
 * Prints the CPU time of this thread to create (hn_dtls_new) and free N server endpoints on one
 * certificate, and the time of N/10 complete in-memory handshakes (client + server pair). */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <glib.h>

#include "transport/dtls.h"

static int64_t cpu_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (int64_t)ts.tv_sec * G_USEC_PER_SEC + ts.tv_nsec / 1000;
}

typedef struct {
    GQueue *to_peer;
    int connected, failed;
} Side;

static void on_send(void *user, const uint8_t *data, size_t len)
{
    g_queue_push_tail(((Side *)user)->to_peer, g_bytes_new(data, len));
}

static void on_connected(void *user, const HnSrtpKeys *keys)
{
    ((Side *)user)->connected++;
}

static void on_failed(void *user, const char *reason)
{
    ((Side *)user)->failed++;
}

static const HnDtlsCallbacks cbs = {
    .send = on_send, .connected = on_connected, .failed = on_failed};

static void deliver(GQueue *q, HnDtls *to)
{
    GBytes *b;
    while ((b = g_queue_pop_head(q)) != NULL) {
        gsize n;
        const uint8_t *d = g_bytes_get_data(b, &n);
        hn_dtls_handle(to, d, n, g_get_monotonic_time());
        g_bytes_unref(b);
    }
}

static int handshake(HnCert *server_cert, HnCert *client_cert)
{
    GQueue to_server = G_QUEUE_INIT, to_client = G_QUEUE_INIT;
    Side s = {.to_peer = &to_client}, c = {.to_peer = &to_server};
    HnDtls *srv = hn_dtls_new(server_cert, HN_DTLS_SERVER, "sha-256",
                              hn_cert_fingerprint(client_cert), &cbs, &s, NULL);
    HnDtls *cli = hn_dtls_new(client_cert, HN_DTLS_CLIENT, "sha-256",
                              hn_cert_fingerprint(server_cert), &cbs, &c, NULL);
    hn_dtls_start(cli, g_get_monotonic_time());
    for (int i = 0; i < 20 && (to_server.length || to_client.length); i++) {
        deliver(&to_server, srv);
        deliver(&to_client, cli);
    }
    hn_dtls_free(srv);
    hn_dtls_free(cli);
    return s.connected == 1 && c.connected == 1 ? 0 : -1;
}

int main(int argc, char **argv)
{
    int n = argc > 1 ? atoi(argv[1]) : 1000;
    if (n < 10)
        n = 10;
    HnCert *a = hn_cert_generate(NULL), *b = hn_cert_generate(NULL);
    const char *fp = hn_cert_fingerprint(b);
    HnDtls **eps = g_new0(HnDtls *, n);
    Side side = {.to_peer = NULL};
    int64_t t0 = cpu_now();
    for (int i = 0; i < n; i++)
        eps[i] = hn_dtls_new(a, HN_DTLS_SERVER, "sha-256", fp, &cbs, &side, NULL);
    int64_t t1 = cpu_now();
    for (int i = 0; i < n; i++)
        hn_dtls_free(eps[i]);
    int64_t t2 = cpu_now();
    printf("create %d endpoints: %.1f ms (%.1f us each); free: %.1f ms\n", n, (t1 - t0) / 1000.0,
           (double)(t1 - t0) / n, (t2 - t1) / 1000.0);
    int hs = n / 10, ok = 0;
    t0 = cpu_now();
    for (int i = 0; i < hs; i++)
        ok += handshake(a, b) == 0;
    t1 = cpu_now();
    printf("%d full handshakes (both sides, in memory): %.1f ms (%.0f us each), %d connected\n", hs,
           (t1 - t0) / 1000.0, (double)(t1 - t0) / hs, ok);
    g_free(eps);
    hn_cert_unref(a);
    hn_cert_unref(b);
    return ok == hs ? 0 : 1;
}
