/* dtls.c - DTLS-SRTP endpoint on OpenSSL 3.0 with memory transport (no sockets).
 *
 * Context: one SSL_CTX per certificate (hn_cert_dtls_ctx), configured once and then shared
 * read-only by every endpoint on every worker (OpenSSL allows SSL_new on a shared context from
 * several threads). Everything that differs per endpoint is set on its SSL: the fingerprint
 * check (verify callback), role, SRTP profiles, MTU, retransmission timer.
 *
 * Input: datagrams are written into a memory BIO (one at a time, then fully drained).
 * Output: a custom sink BIO turns every write OpenSSL makes into one datagram for the send
 * callback (OpenSSL's handshake buffering BIO already packs records up to the MTU per write).
 */
#include "transport/dtls.h"

#include <errno.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#define DEFAULT_MTU             1200
#define DEFAULT_INITIAL_TIMEOUT 1000000u /* us, RFC 6347 section 4.2.4.1 */
#define MAX_TIMEOUT             60000000u
#define MAX_SILENT_RETRANSMITS  6 /* 1+2+4+8+16+32 s of silence with the default timer */
/* OpenSSL's handshake fragmenter ignores the AEAD expansion (8-byte explicit nonce + 16-byte
 * tag) of encrypted handshake records (Finished): keep that much below the real MTU. */
#define AEAD_MARGIN    24
#define READ_BUF_SIZE  (16384 + 2048)
#define EXPORTER_LABEL "EXTRACTOR-dtls_srtp"

/* ECDHE only; ECDSA first (our certificate), RSA kept for peers acting as server with an RSA
 * certificate (e.g. GStreamer's dtlssrtpenc); AES-GCM preferred, CBC last for old endpoints. */
#define CIPHERS                                                                                    \
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:"   \
    "ECDHE-RSA-AES128-GCM-SHA256:ECDHE-RSA-AES256-GCM-SHA384:ECDHE-RSA-CHACHA20-POLY1305:"         \
    "ECDHE-ECDSA-AES128-SHA:ECDHE-RSA-AES128-SHA"
#define GROUPS "P-256:X25519:P-384"

GQuark hn_dtls_error_quark(void)
{
    return g_quark_from_static_string("hn-dtls-error-quark");
}

struct HnDtls {
    SSL *ssl;
    BIO *rbio; /* owned by ssl */
    HnCert *cert;
    HnDtlsRole role;
    HnDtlsState state;
    HnDtlsCallbacks cb;
    void *user;
    char *remote_alg;
    uint8_t remote_fp[EVP_MAX_MD_SIZE];
    size_t remote_fp_len;
    gboolean fp_verified; /* set by the verify callback on a match */
    const char *fail_reason;
    unsigned initial_timeout_us;
    int64_t clock_offset;        /* caller's now_us - g_get_monotonic_time() */
    unsigned silent_retransmits; /* since the last datagram from the peer */
    uint8_t *read_buf;
    HnDtlsStats stats;
};

/* ---- output BIO ---------------------------------------------------------------------------- */

static int out_bio_write(BIO *bio, const char *data, int len)
{
    HnDtls *dtls = BIO_get_data(bio);
    if (dtls == NULL || len <= 0)
        return len <= 0 ? 0 : -1;
    dtls->stats.datagrams_out++;
    dtls->cb.send(dtls->user, (const uint8_t *)data, (size_t)len);
    return len;
}

static long out_bio_ctrl(BIO *bio, int cmd, long num, void *ptr)
{
    switch (cmd) {
    case BIO_CTRL_FLUSH:
        return 1;
    case BIO_CTRL_PENDING:
    case BIO_CTRL_WPENDING:
    case BIO_CTRL_DGRAM_GET_MTU_OVERHEAD:
        return 0;
    case BIO_CTRL_DGRAM_QUERY_MTU:
    case BIO_CTRL_DGRAM_GET_FALLBACK_MTU:
        return DEFAULT_MTU;
    default:
        return 0; /* timers, peer addresses, MTU-exceeded hints: not ours to act on */
    }
}

static int out_bio_create(BIO *bio)
{
    BIO_set_init(bio, 1);
    return 1;
}

static int out_bio_destroy(BIO *bio)
{
    BIO_set_data(bio, NULL);
    return 1;
}

static BIO_METHOD *out_bio_method(void)
{
    static gsize once = 0;
    static BIO_METHOD *method = NULL;
    if (g_once_init_enter(&once)) {
        BIO_METHOD *m = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "hn-dtls-out");
        if (m != NULL) {
            BIO_meth_set_write(m, out_bio_write);
            BIO_meth_set_ctrl(m, out_bio_ctrl);
            BIO_meth_set_create(m, out_bio_create);
            BIO_meth_set_destroy(m, out_bio_destroy);
        }
        method = m;
        g_once_init_leave(&once, 1);
    }
    return method;
}

/* ---- OpenSSL callbacks ------------------------------------------------------------------- */

static HnDtls *dtls_from_ssl(const SSL *ssl)
{
    return SSL_get_app_data(ssl);
}

/* Does @x509 hash to the SDP fingerprint? */
static gboolean fingerprint_matches(HnDtls *dtls, X509 *x509)
{
    uint8_t digest[EVP_MAX_MD_SIZE];
    int n = hn_cert_digest(x509, dtls->remote_alg, digest);
    return n > 0 && (size_t)n == dtls->remote_fp_len &&
           CRYPTO_memcmp(digest, dtls->remote_fp, (size_t)n) == 0;
}

/* Self-signed certificates are expected: trust comes only from the signaled fingerprint of
 * the leaf certificate. A mismatch aborts the handshake with a bad_certificate alert. */
static int verify_cb(int preverify_ok, X509_STORE_CTX *store)
{
    if (X509_STORE_CTX_get_error_depth(store) != 0)
        return 1;
    SSL *ssl = X509_STORE_CTX_get_ex_data(store, SSL_get_ex_data_X509_STORE_CTX_idx());
    HnDtls *dtls = ssl != NULL ? dtls_from_ssl(ssl) : NULL;
    X509 *leaf = X509_STORE_CTX_get_current_cert(store);
    if (dtls == NULL || leaf == NULL)
        return 0;
    if (!fingerprint_matches(dtls, leaf)) {
        dtls->fp_verified = FALSE;
        dtls->fail_reason = "peer certificate does not match the SDP fingerprint";
        X509_STORE_CTX_set_error(store, X509_V_ERR_CERT_REJECTED);
        return 0;
    }
    dtls->fp_verified = TRUE;
    X509_STORE_CTX_set_error(store, X509_V_OK);
    return 1;
}

static unsigned int timer_cb(SSL *ssl, unsigned int timer_us)
{
    HnDtls *dtls = dtls_from_ssl(ssl);
    if (timer_us == 0)
        return dtls != NULL ? dtls->initial_timeout_us : DEFAULT_INITIAL_TIMEOUT;
    return timer_us >= MAX_TIMEOUT / 2 ? MAX_TIMEOUT : timer_us * 2;
}

/* ---- construction -------------------------------------------------------------------------- */

static SSL_CTX *make_ctx(HnCert *cert, GError **error)
{
    SSL_CTX *ctx = SSL_CTX_new(DTLS_method());
    if (ctx == NULL)
        goto fail;
    long opts = SSL_OP_CIPHER_SERVER_PREFERENCE | SSL_OP_NO_QUERY_MTU | SSL_OP_NO_RENEGOTIATION |
                SSL_OP_NO_TICKET;
    SSL_CTX_set_options(ctx, opts);
    SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
    if (SSL_CTX_set_min_proto_version(ctx, DTLS1_2_VERSION) != 1 ||
        SSL_CTX_set_max_proto_version(ctx, DTLS1_2_VERSION) != 1 ||
        SSL_CTX_use_certificate(ctx, hn_cert_get_x509(cert)) != 1 ||
        SSL_CTX_use_PrivateKey(ctx, hn_cert_get_pkey(cert)) != 1 ||
        SSL_CTX_check_private_key(ctx) != 1 || SSL_CTX_set_cipher_list(ctx, CIPHERS) != 1 ||
        SSL_CTX_set1_groups_list(ctx, GROUPS) != 1 ||
        SSL_CTX_set_tlsext_use_srtp(ctx, HN_DTLS_SRTP_PROFILES) != 0) /* 0 = success */
        goto fail;
    /* No verify callback here: the expected fingerprint is per endpoint, set on each SSL. */
    return ctx;
fail:;
    char buf[256] = "unknown error";
    unsigned long e = ERR_get_error();
    if (e != 0)
        ERR_error_string_n(e, buf, sizeof buf);
    ERR_clear_error();
    g_set_error(error, HN_DTLS_ERROR, 0, "DTLS context setup failed: %s", buf);
    SSL_CTX_free(ctx);
    return NULL;
}

static gboolean set_remote_fingerprint(HnDtls *dtls, const char *alg, const char *fp,
                                       GError **error)
{
    size_t want = 0;
    if (alg != NULL && g_ascii_strcasecmp(alg, "sha-256") == 0)
        want = 32;
    else if (alg != NULL && g_ascii_strcasecmp(alg, "sha-1") == 0)
        want = 20;
    else if (alg != NULL && g_ascii_strcasecmp(alg, "sha-384") == 0)
        want = 48;
    else if (alg != NULL && g_ascii_strcasecmp(alg, "sha-512") == 0)
        want = 64;
    if (want == 0) {
        g_set_error(error, HN_DTLS_ERROR, 0, "unsupported fingerprint hash '%s'",
                    alg != NULL ? alg : "(none)");
        return FALSE;
    }
    int n = hn_cert_parse_fingerprint(fp, dtls->remote_fp, sizeof dtls->remote_fp);
    if (n < 0 || (size_t)n != want) {
        g_set_error(error, HN_DTLS_ERROR, 0, "malformed %s fingerprint", alg);
        return FALSE;
    }
    dtls->remote_fp_len = (size_t)n;
    dtls->remote_alg = g_ascii_strdown(alg, -1);
    return TRUE;
}

/* Create the SSL object (on the cert's shared context) with its two BIOs. */
static gboolean make_ssl(HnDtls *dtls, GError **error)
{
    BIO_METHOD *method = out_bio_method();
    if (method == NULL) {
        g_set_error(error, HN_DTLS_ERROR, 0, "cannot create DTLS output BIO method");
        return FALSE;
    }
    SSL_CTX *ctx = hn_cert_dtls_ctx(dtls->cert, make_ctx, error);
    if (ctx == NULL)
        return FALSE;
    dtls->ssl = SSL_new(ctx); /* takes its own reference on ctx */
    BIO *rbio = BIO_new(BIO_s_mem());
    BIO *wbio = BIO_new(method);
    if (dtls->ssl == NULL || rbio == NULL || wbio == NULL) {
        BIO_free(rbio);
        BIO_free(wbio);
        ERR_clear_error();
        g_set_error(error, HN_DTLS_ERROR, 0, "cannot allocate DTLS session");
        return FALSE;
    }
    BIO_set_mem_eof_return(rbio, -1); /* empty = "retry later", not EOF */
    BIO_set_data(wbio, dtls);
    SSL_set_bio(dtls->ssl, rbio, wbio);
    dtls->rbio = rbio;
    SSL_set_app_data(dtls->ssl, dtls);
    SSL_set_verify(dtls->ssl, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, verify_cb);
    SSL_set_mtu(dtls->ssl, DEFAULT_MTU - AEAD_MARGIN);
    DTLS_set_timer_cb(dtls->ssl, timer_cb);
    if (dtls->role == HN_DTLS_SERVER)
        SSL_set_accept_state(dtls->ssl);
    else
        SSL_set_connect_state(dtls->ssl);
    return TRUE;
}

HnDtls *hn_dtls_new(HnCert *cert, HnDtlsRole role, const char *remote_fp_alg, const char *remote_fp,
                    const HnDtlsCallbacks *cb, void *user, GError **error)
{
    g_return_val_if_fail(cert != NULL && cb != NULL, NULL);
    g_return_val_if_fail(cb->send != NULL && cb->connected != NULL && cb->failed != NULL, NULL);
    g_return_val_if_fail(role == HN_DTLS_SERVER || role == HN_DTLS_CLIENT, NULL);
    g_return_val_if_fail(error == NULL || *error == NULL, NULL);

    HnDtls *dtls = g_new0(HnDtls, 1);
    dtls->cert = hn_cert_ref(cert);
    dtls->role = role;
    dtls->state = HN_DTLS_STATE_NEW;
    dtls->cb = *cb;
    dtls->user = user;
    dtls->initial_timeout_us = DEFAULT_INITIAL_TIMEOUT;
    dtls->clock_offset = 0;
    ERR_clear_error();
    if (!set_remote_fingerprint(dtls, remote_fp_alg, remote_fp, error) || !make_ssl(dtls, error)) {
        hn_dtls_free(dtls);
        return NULL;
    }
    return dtls;
}

int hn_dtls_set_srtp_profiles(HnDtls *dtls, const char *profiles)
{
    g_return_val_if_fail(dtls != NULL, -EINVAL);
    if (dtls->state != HN_DTLS_STATE_NEW)
        return -EBUSY;
    if (profiles == NULL || SSL_set_tlsext_use_srtp(dtls->ssl, profiles) != 0) {
        ERR_clear_error();
        return -EINVAL;
    }
    return 0;
}

int hn_dtls_set_initial_timeout(HnDtls *dtls, unsigned ms)
{
    g_return_val_if_fail(dtls != NULL, -EINVAL);
    if (dtls->state != HN_DTLS_STATE_NEW)
        return -EBUSY;
    if (ms == 0 || ms > MAX_TIMEOUT / 1000)
        return -EINVAL;
    dtls->initial_timeout_us = ms * 1000u;
    return 0;
}

int hn_dtls_set_mtu(HnDtls *dtls, unsigned mtu)
{
    g_return_val_if_fail(dtls != NULL, -EINVAL);
    if (dtls->state != HN_DTLS_STATE_NEW)
        return -EBUSY;
    if (mtu < 256 + AEAD_MARGIN || mtu > 65535 ||
        SSL_set_mtu(dtls->ssl, (long)(mtu - AEAD_MARGIN)) <= 0) {
        ERR_clear_error();
        return -EINVAL;
    }
    return 0;
}

void hn_dtls_free(HnDtls *dtls)
{
    if (dtls == NULL)
        return;
    SSL_free(dtls->ssl); /* frees both BIOs */
    hn_cert_unref(dtls->cert);
    g_free(dtls->remote_alg);
    g_free(dtls->read_buf);
    g_free(dtls);
}

/* ---- state machine --------------------------------------------------------------------------- */

static void note_clock(HnDtls *dtls, int64_t now_us)
{
    dtls->clock_offset = now_us - g_get_monotonic_time();
}

static void fail(HnDtls *dtls, const char *reason)
{
    char buf[320];
    if (dtls->fail_reason != NULL) {
        reason = dtls->fail_reason;
    } else if (reason == NULL) {
        unsigned long e = ERR_peek_last_error();
        char err[256] = "unknown error";
        if (e != 0)
            ERR_error_string_n(e, err, sizeof err);
        g_snprintf(buf, sizeof buf, "DTLS handshake failed: %s", err);
        reason = buf;
    }
    ERR_clear_error();
    BIO_reset(dtls->rbio);
    dtls->state = HN_DTLS_STATE_FAILED;
    g_debug("dtls %p (%s): %s", (void *)dtls, dtls->role == HN_DTLS_SERVER ? "server" : "client",
            reason);
    dtls->cb.failed(dtls->user, reason);
}

static int profile_sizes(const SRTP_PROTECTION_PROFILE *p, HnSrtpProfile *profile, size_t *key_len,
                         size_t *salt_len)
{
    if (p == NULL)
        return -1;
    if (p->id == SRTP_AEAD_AES_128_GCM) {
        *profile = HN_SRTP_AEAD_AES_128_GCM;
        *key_len = 16;
        *salt_len = 12;
        return 0;
    }
    if (p->id == SRTP_AES128_CM_SHA1_80) {
        *profile = HN_SRTP_AES128_CM_SHA1_80;
        *key_len = 16;
        *salt_len = 14;
        return 0;
    }
    return -1;
}

/* RFC 5764 4.2: client_key | server_key | client_salt | server_salt. */
static int export_keys(HnDtls *dtls, HnSrtpKeys *keys)
{
    size_t kl, sl;
    if (profile_sizes(SSL_get_selected_srtp_profile(dtls->ssl), &keys->profile, &kl, &sl) != 0)
        return -1;
    uint8_t m[2 * HN_SRTP_MASTER_MAX];
    if (SSL_export_keying_material(dtls->ssl, m, 2 * (kl + sl), EXPORTER_LABEL,
                                   strlen(EXPORTER_LABEL), NULL, 0, 0) != 1)
        return -2;
    const uint8_t *client_key = m, *server_key = m + kl;
    const uint8_t *client_salt = m + 2 * kl, *server_salt = m + 2 * kl + sl;
    gboolean client = dtls->role == HN_DTLS_CLIENT;
    memcpy(keys->local_key, client ? client_key : server_key, kl);
    memcpy(keys->local_key + kl, client ? client_salt : server_salt, sl);
    memcpy(keys->remote_key, client ? server_key : client_key, kl);
    memcpy(keys->remote_key + kl, client ? server_salt : client_salt, sl);
    keys->key_len = kl + sl;
    OPENSSL_cleanse(m, sizeof m);
    return 0;
}

static void handshake_done(HnDtls *dtls)
{
    X509 *peer = SSL_get0_peer_certificate(dtls->ssl);
    if (peer == NULL || !dtls->fp_verified || !fingerprint_matches(dtls, peer)) {
        fail(dtls, "peer certificate missing or not matching the SDP fingerprint");
        return;
    }
    HnSrtpKeys keys;
    memset(&keys, 0, sizeof keys);
    int r = export_keys(dtls, &keys);
    if (r != 0) {
        fail(dtls, r == -1 ? "no SRTP protection profile negotiated" : "SRTP key export failed");
        return;
    }
    dtls->state = HN_DTLS_STATE_CONNECTED;
    dtls->cb.connected(dtls->user, &keys);
    OPENSSL_cleanse(&keys, sizeof keys);
}

/* Drain application data (and late handshake retransmissions) after the handshake. */
static void read_app_data(HnDtls *dtls)
{
    if (dtls->read_buf == NULL)
        dtls->read_buf = g_malloc(READ_BUF_SIZE);
    while (dtls->state == HN_DTLS_STATE_CONNECTED) {
        int n = SSL_read(dtls->ssl, dtls->read_buf, READ_BUF_SIZE);
        if (n > 0) {
            if (dtls->cb.data != NULL)
                dtls->cb.data(dtls->user, dtls->read_buf, (size_t)n);
            else
                dtls->stats.app_data_dropped++;
            continue;
        }
        int err = SSL_get_error(dtls->ssl, n);
        if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE)
            return;
        if (err == SSL_ERROR_ZERO_RETURN) {
            dtls->state = HN_DTLS_STATE_CLOSED;
            ERR_clear_error();
            if (dtls->cb.closed != NULL)
                dtls->cb.closed(dtls->user);
            return;
        }
        fail(dtls, NULL);
        return;
    }
}

/* Advance the handshake or read data with what is in the input BIO. */
static void pump(HnDtls *dtls)
{
    if (dtls->state == HN_DTLS_STATE_NEW)
        dtls->state = HN_DTLS_STATE_CONNECTING;
    if (dtls->state == HN_DTLS_STATE_CONNECTING) {
        int r = SSL_do_handshake(dtls->ssl);
        if (r == 1) {
            handshake_done(dtls);
        } else {
            int err = SSL_get_error(dtls->ssl, r);
            if (err != SSL_ERROR_WANT_READ && err != SSL_ERROR_WANT_WRITE)
                fail(dtls, NULL);
        }
    }
    if (dtls->state == HN_DTLS_STATE_CONNECTED)
        read_app_data(dtls);
    if (dtls->state == HN_DTLS_STATE_CONNECTING || dtls->state == HN_DTLS_STATE_CONNECTED)
        BIO_reset(dtls->rbio); /* anything OpenSSL left unread belongs to no later datagram */
}

void hn_dtls_start(HnDtls *dtls, int64_t now_us)
{
    g_return_if_fail(dtls != NULL);
    if (dtls->state != HN_DTLS_STATE_NEW)
        return;
    note_clock(dtls, now_us);
    ERR_clear_error();
    pump(dtls);
}

int hn_dtls_handle(HnDtls *dtls, const uint8_t *data, size_t len, int64_t now_us)
{
    g_return_val_if_fail(dtls != NULL, -EINVAL);
    /* RFC 7983 demultiplexing range for DTLS, and a full 13-byte record header. */
    if (data == NULL || len < 13 || len > 65535 || data[0] < 20 || data[0] > 63) {
        dtls->stats.garbage++;
        return -EINVAL;
    }
    if (dtls->state == HN_DTLS_STATE_FAILED || dtls->state == HN_DTLS_STATE_CLOSED) {
        dtls->stats.garbage++;
        return -ENOTCONN;
    }
    note_clock(dtls, now_us);
    ERR_clear_error();
    if (dtls->state == HN_DTLS_STATE_NEW && dtls->role == HN_DTLS_CLIENT)
        pump(dtls); /* a client sends its ClientHello before reading anything */
    if (dtls->state == HN_DTLS_STATE_FAILED)
        return -ENOTCONN;
    if (BIO_write(dtls->rbio, data, (int)len) != (int)len) {
        ERR_clear_error();
        dtls->stats.garbage++;
        return -EINVAL;
    }
    dtls->stats.datagrams_in++;
    dtls->silent_retransmits = 0;
    pump(dtls);
    return 0;
}

int64_t hn_dtls_next_timeout(HnDtls *dtls)
{
    g_return_val_if_fail(dtls != NULL, INT64_MAX);
    if (dtls->state != HN_DTLS_STATE_CONNECTING && dtls->state != HN_DTLS_STATE_CONNECTED)
        return INT64_MAX;
    struct timeval tv;
    if (DTLSv1_get_timeout(dtls->ssl, &tv) != 1)
        return INT64_MAX;
    return g_get_monotonic_time() + dtls->clock_offset + (int64_t)tv.tv_sec * G_USEC_PER_SEC +
           tv.tv_usec;
}

void hn_dtls_on_timeout(HnDtls *dtls, int64_t now_us)
{
    g_return_if_fail(dtls != NULL);
    if (dtls->state != HN_DTLS_STATE_CONNECTING && dtls->state != HN_DTLS_STATE_CONNECTED)
        return;
    note_clock(dtls, now_us);
    ERR_clear_error();
    struct timeval tv;
    gboolean due = DTLSv1_get_timeout(dtls->ssl, &tv) == 1 && tv.tv_sec == 0 && tv.tv_usec == 0;
    if (due && dtls->state == HN_DTLS_STATE_CONNECTING &&
        dtls->silent_retransmits >= MAX_SILENT_RETRANSMITS) {
        fail(dtls, "DTLS handshake timed out");
        return;
    }
    int r = DTLSv1_handle_timeout(dtls->ssl);
    if (r > 0) {
        dtls->stats.retransmits++;
        dtls->silent_retransmits++;
    } else if (r < 0) {
        if (dtls->state == HN_DTLS_STATE_CONNECTING)
            fail(dtls, "DTLS handshake timed out");
        else
            ERR_clear_error();
    }
}

int hn_dtls_write(HnDtls *dtls, const uint8_t *data, size_t len)
{
    g_return_val_if_fail(dtls != NULL && (data != NULL || len == 0), -EINVAL);
    if (dtls->state != HN_DTLS_STATE_CONNECTED)
        return -ENOTCONN;
    if (len == 0 || len > 16384)
        return -EMSGSIZE;
    ERR_clear_error();
    int n = SSL_write(dtls->ssl, data, (int)len);
    if (n != (int)len) {
        ERR_clear_error();
        return -EIO;
    }
    return 0;
}

void hn_dtls_close(HnDtls *dtls)
{
    g_return_if_fail(dtls != NULL);
    if (dtls->state == HN_DTLS_STATE_CONNECTED) {
        ERR_clear_error();
        SSL_shutdown(dtls->ssl); /* writes close_notify through the send callback */
        ERR_clear_error();
    }
    if (dtls->state != HN_DTLS_STATE_FAILED)
        dtls->state = HN_DTLS_STATE_CLOSED;
}

HnDtlsState hn_dtls_get_state(HnDtls *dtls)
{
    g_return_val_if_fail(dtls != NULL, HN_DTLS_STATE_FAILED);
    return dtls->state;
}

SSL_CTX *hn_dtls_get_ssl_ctx(HnDtls *dtls)
{
    g_return_val_if_fail(dtls != NULL, NULL);
    return SSL_get_SSL_CTX(dtls->ssl);
}

HnDtlsRole hn_dtls_get_role(HnDtls *dtls)
{
    g_return_val_if_fail(dtls != NULL, HN_DTLS_SERVER);
    return dtls->role;
}

void hn_dtls_get_stats(HnDtls *dtls, HnDtlsStats *out)
{
    g_return_if_fail(dtls != NULL && out != NULL);
    *out = dtls->stats;
}

const char *hn_srtp_profile_name(HnSrtpProfile profile)
{
    switch (profile) {
    case HN_SRTP_AEAD_AES_128_GCM:
        return "SRTP_AEAD_AES_128_GCM";
    case HN_SRTP_AES128_CM_SHA1_80:
        return "SRTP_AES128_CM_SHA1_80";
    }
    return "unknown";
}
