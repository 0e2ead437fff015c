/* cert.c - DTLS certificate generation/loading and SDP fingerprints (OpenSSL 3). */
#include "transport/cert.h"

#include <errno.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>

struct HnCert {
    gatomicrefcount ref;
    X509 *x509;
    EVP_PKEY *pkey;
    char fingerprint[HN_CERT_FP_MAX];
    GMutex ctx_lock;   /* serialises the first hn_cert_dtls_ctx */
    SSL_CTX *dtls_ctx; /* made once, read atomically, freed with the cert */
};

GQuark hn_cert_error_quark(void)
{
    return g_quark_from_static_string("hn-cert-error-quark");
}

#define CERT_VALID_BEFORE_S (24 * 3600L)
#define CERT_LIFETIME_S     (30 * 24 * 3600L)

/* Set @error from the OpenSSL error queue, prefixed by @what; clears the queue. */
static void set_ssl_error(GError **error, int code, const char *what)
{
    unsigned long e = ERR_get_error();
    char buf[256] = "unknown error";
    if (e != 0)
        ERR_error_string_n(e, buf, sizeof buf);
    ERR_clear_error();
    g_set_error(error, HN_CERT_ERROR, code, "%s: %s", what, buf);
}

static EVP_PKEY *generate_key(GError **error)
{
    EVP_PKEY *pkey = EVP_EC_gen("P-256");
    if (pkey == NULL)
        set_ssl_error(error, HN_CERT_ERROR_CRYPTO, "generating P-256 key");
    return pkey;
}

/* Positive random 128-bit serial number. */
static int set_random_serial(X509 *x509)
{
    unsigned char raw[16];
    if (RAND_bytes(raw, sizeof raw) != 1)
        return -1;
    raw[0] &= 0x7f; /* keep it positive in DER */
    raw[0] |= 0x01; /* and of full length */
    BIGNUM *bn = BN_bin2bn(raw, sizeof raw, NULL);
    if (bn == NULL)
        return -1;
    ASN1_INTEGER *serial = X509_get_serialNumber(x509);
    int ok = BN_to_ASN1_INTEGER(bn, serial) != NULL;
    BN_free(bn);
    return ok ? 0 : -1;
}

static int fill_certificate(X509 *x509, EVP_PKEY *pkey)
{
    if (X509_set_version(x509, 2) != 1 || set_random_serial(x509) != 0)
        return -1;
    if (X509_gmtime_adj(X509_getm_notBefore(x509), -CERT_VALID_BEFORE_S) == NULL ||
        X509_gmtime_adj(X509_getm_notAfter(x509), CERT_LIFETIME_S - CERT_VALID_BEFORE_S) == NULL)
        return -1;
    X509_NAME *name = X509_get_subject_name(x509);
    if (X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)"hoinghi", -1,
                                   -1, 0) != 1)
        return -1;
    if (X509_set_issuer_name(x509, name) != 1 || X509_set_pubkey(x509, pkey) != 1)
        return -1;
    if (X509_sign(x509, pkey, EVP_sha256()) <= 0)
        return -1;
    return 0;
}

/* Wrap a matching cert and key (takes ownership of both) and compute the fingerprint. */
static HnCert *cert_wrap(X509 *x509, EVP_PKEY *pkey, GError **error)
{
    uint8_t digest[EVP_MAX_MD_SIZE];
    int n = hn_cert_digest(x509, "sha-256", digest);
    if (n < 0) {
        set_ssl_error(error, HN_CERT_ERROR_CRYPTO, "computing certificate fingerprint");
        X509_free(x509);
        EVP_PKEY_free(pkey);
        return NULL;
    }
    HnCert *cert = g_new0(HnCert, 1);
    g_atomic_ref_count_init(&cert->ref);
    g_mutex_init(&cert->ctx_lock);
    cert->x509 = x509;
    cert->pkey = pkey;
    hn_cert_format_fingerprint(digest, (size_t)n, cert->fingerprint);
    return cert;
}

HnCert *hn_cert_generate(GError **error)
{
    g_return_val_if_fail(error == NULL || *error == NULL, NULL);
    ERR_clear_error();
    EVP_PKEY *pkey = generate_key(error);
    if (pkey == NULL)
        return NULL;
    X509 *x509 = X509_new();
    if (x509 == NULL || fill_certificate(x509, pkey) != 0) {
        set_ssl_error(error, HN_CERT_ERROR_CRYPTO, "building self-signed certificate");
        X509_free(x509);
        EVP_PKEY_free(pkey);
        return NULL;
    }
    return cert_wrap(x509, pkey, error);
}

static BIO *open_pem(const char *path, GError **error)
{
    BIO *bio = BIO_new_file(path, "r");
    if (bio == NULL) {
        ERR_clear_error();
        g_set_error(error, HN_CERT_ERROR, HN_CERT_ERROR_FILE, "cannot open %s", path);
    }
    return bio;
}

static X509 *read_x509(const char *path, GError **error)
{
    BIO *bio = open_pem(path, error);
    if (bio == NULL)
        return NULL;
    X509 *x509 = PEM_read_bio_X509(bio, NULL, NULL, NULL);
    BIO_free(bio);
    if (x509 == NULL) {
        ERR_clear_error();
        g_set_error(error, HN_CERT_ERROR, HN_CERT_ERROR_FILE, "%s: no PEM certificate", path);
    }
    return x509;
}

static EVP_PKEY *read_pkey(const char *path, GError **error)
{
    BIO *bio = open_pem(path, error);
    if (bio == NULL)
        return NULL;
    /* No passphrase callback: an encrypted key fails instead of prompting on the terminal. */
    EVP_PKEY *pkey = PEM_read_bio_PrivateKey(bio, NULL, NULL, (void *)"");
    BIO_free(bio);
    if (pkey == NULL) {
        ERR_clear_error();
        g_set_error(error, HN_CERT_ERROR, HN_CERT_ERROR_FILE, "%s: no unencrypted PEM private key",
                    path);
    }
    return pkey;
}

HnCert *hn_cert_load(const char *cert_path, const char *key_path, GError **error)
{
    g_return_val_if_fail(cert_path != NULL && key_path != NULL, NULL);
    g_return_val_if_fail(error == NULL || *error == NULL, NULL);
    ERR_clear_error();
    X509 *x509 = read_x509(cert_path, error);
    if (x509 == NULL)
        return NULL;
    EVP_PKEY *pkey = read_pkey(key_path, error);
    if (pkey == NULL) {
        X509_free(x509);
        return NULL;
    }
    if (X509_check_private_key(x509, pkey) != 1) {
        ERR_clear_error();
        g_set_error(error, HN_CERT_ERROR, HN_CERT_ERROR_KEY,
                    "private key %s does not match certificate %s", key_path, cert_path);
        X509_free(x509);
        EVP_PKEY_free(pkey);
        return NULL;
    }
    return cert_wrap(x509, pkey, error);
}

HnCert *hn_cert_ref(HnCert *cert)
{
    g_return_val_if_fail(cert != NULL, NULL);
    g_atomic_ref_count_inc(&cert->ref);
    return cert;
}

void hn_cert_unref(HnCert *cert)
{
    if (cert == NULL || !g_atomic_ref_count_dec(&cert->ref))
        return;
    SSL_CTX_free(cert->dtls_ctx);
    g_mutex_clear(&cert->ctx_lock);
    X509_free(cert->x509);
    EVP_PKEY_free(cert->pkey);
    g_free(cert);
}

SSL_CTX *hn_cert_dtls_ctx(HnCert *cert, HnCertCtxFactory make, GError **error)
{
    g_return_val_if_fail(cert != NULL && make != NULL, NULL);
    SSL_CTX *ctx = g_atomic_pointer_get(&cert->dtls_ctx);
    if (ctx != NULL)
        return ctx;
    g_mutex_lock(&cert->ctx_lock);
    /* another thread may have made it while we waited; read atomically: GLib's GMutex is a futex
     * that ThreadSanitizer does not see, the atomic pair is what publishes the context */
    ctx = g_atomic_pointer_get(&cert->dtls_ctx);
    if (ctx == NULL) {
        ctx = make(cert, error);
        if (ctx != NULL)
            g_atomic_pointer_set(&cert->dtls_ctx, ctx);
    }
    g_mutex_unlock(&cert->ctx_lock);
    return ctx;
}

const char *hn_cert_fingerprint(HnCert *cert)
{
    g_return_val_if_fail(cert != NULL, NULL);
    return cert->fingerprint;
}

X509 *hn_cert_get_x509(HnCert *cert)
{
    g_return_val_if_fail(cert != NULL, NULL);
    return cert->x509;
}

EVP_PKEY *hn_cert_get_pkey(HnCert *cert)
{
    g_return_val_if_fail(cert != NULL, NULL);
    return cert->pkey;
}

static const EVP_MD *digest_by_sdp_name(const char *alg)
{
    if (alg == NULL)
        return NULL;
    if (g_ascii_strcasecmp(alg, "sha-256") == 0)
        return EVP_sha256();
    if (g_ascii_strcasecmp(alg, "sha-1") == 0)
        return EVP_sha1();
    if (g_ascii_strcasecmp(alg, "sha-384") == 0)
        return EVP_sha384();
    if (g_ascii_strcasecmp(alg, "sha-512") == 0)
        return EVP_sha512();
    return NULL;
}

int hn_cert_digest(X509 *x509, const char *alg, uint8_t *out)
{
    g_return_val_if_fail(x509 != NULL && out != NULL, -EINVAL);
    const EVP_MD *md = digest_by_sdp_name(alg);
    if (md == NULL)
        return -EINVAL;
    unsigned int len = 0;
    if (X509_digest(x509, md, out, &len) != 1) {
        ERR_clear_error();
        return -EIO;
    }
    return (int)len;
}

static int hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

int hn_cert_parse_fingerprint(const char *text, uint8_t *out, size_t cap)
{
    g_return_val_if_fail(out != NULL, -EINVAL);
    if (text == NULL)
        return -EINVAL;
    size_t n = 0;
    const char *p = text;
    for (;;) {
        int hi = hex_value(p[0]);
        int lo = hi < 0 ? -1 : hex_value(p[1]);
        if (lo < 0 || n == cap)
            return -EINVAL;
        out[n++] = (uint8_t)(hi << 4 | lo);
        p += 2;
        if (*p == '\0')
            return (int)n;
        if (*p != ':')
            return -EINVAL;
        p++;
    }
}

void hn_cert_format_fingerprint(const uint8_t *digest, size_t len, char *out)
{
    static const char hex[] = "0123456789ABCDEF";
    char *w = out;
    for (size_t i = 0; i < len; i++) {
        if (i > 0)
            *w++ = ':';
        *w++ = hex[digest[i] >> 4];
        *w++ = hex[digest[i] & 0x0f];
    }
    *w = '\0';
}
