/* test_dtls_pair.h - two in-memory DTLS endpoints joined by a test pump (test helper). */
#pragma once

#include <glib.h>
#include <stdbool.h>

#include "transport/dtls.h"

typedef struct {
    HnDtls *dtls;
    GQueue out;    /* GBytes datagrams sent, not yet delivered */
    int drop_next; /* drop this many of the next datagrams sent */
    int sent;
    int connected; /* times the connected callback fired */
    int failed;
    int closed;
    char reason[256];
    HnSrtpKeys keys;
    GByteArray *data; /* application data received */
} TestPeer;

typedef struct {
    HnCert *server_cert;
    HnCert *client_cert;
    TestPeer server;
    TestPeer client;
} TestPair;

/* Callbacks recording into a TestPeer (user = TestPeer *). */
extern const HnDtlsCallbacks test_peer_callbacks;

/* Create a server and a client; each expects the other's real sha-256 fingerprint unless
 * @server_expects / @client_expects override it (alg, value). */
void test_pair_init(TestPair *p, const char *server_expects_alg, const char *server_expects,
                    const char *client_expects_alg, const char *client_expects);
void test_pair_clear(TestPair *p);

/* Deliver queued datagrams both ways until both queues are empty (bounded rounds).
 * Returns the number of datagrams delivered. */
int test_pair_pump(TestPair *p);

/* Start the client and pump; with @timeouts, also sleep to and fire retransmission timers
 * (real clock) until both are connected or failed, up to @max_ms. */
void test_pair_run(TestPair *p, bool timeouts, int max_ms);

int64_t test_now(void);
