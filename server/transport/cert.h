/* cert.h - the server's DTLS certificate (ECDSA P-256, self-signed) and its SDP fingerprint.
 *
 * One HnCert is generated (or loaded) at server start and shared read-only by every worker
 * thread; it is refcounted with atomic counts, so any thread may ref/unref it. It also carries
 * the one DTLS SSL_CTX built on it (hn_cert_dtls_ctx), shared by every endpoint of every worker.
 */
#pragma once

#include <glib.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

G_BEGIN_DECLS

typedef struct HnCert HnCert;

#define HN_CERT_ERROR hn_cert_error_quark()
GQuark hn_cert_error_quark(void);
typedef enum {
    HN_CERT_ERROR_CRYPTO, /* OpenSSL failed (message carries its reason) */
    HN_CERT_ERROR_FILE,   /* PEM file missing, unreadable or malformed */
    HN_CERT_ERROR_KEY,    /* key does not match the certificate, or unsupported */
} HnCertError;

/* Longest fingerprint string: SHA-512 = 64 bytes as "AB:" triples, minus the last ':', plus NUL. */
#define HN_CERT_FP_MAX 192

/* Generate an ECDSA P-256 key and a self-signed X.509 v3 certificate: random 128-bit serial,
 * CN "hoinghi", valid from now - 1 day for 30 days, signed with SHA-256.
 * Returns (transfer full) a new cert with refcount 1, or NULL with @error set. Any thread. */
HnCert *hn_cert_generate(GError **error);

/* Load a certificate and its private key from PEM files (key may be in the cert file: pass the
 * same path twice). Checks that the key matches the certificate.
 * Returns (transfer full) a new cert, or NULL with @error set. Any thread. */
HnCert *hn_cert_load(const char *cert_path, const char *key_path, GError **error);

/* Add a reference (thread-safe). Returns @cert. */
HnCert *hn_cert_ref(HnCert *cert);

/* Drop a reference (thread-safe); frees on the last. NULL is a no-op. */
void hn_cert_unref(HnCert *cert);

/* The SHA-256 fingerprint "AB:CD:..." (uppercase, colon-separated), i.e. the value of
 * "a=fingerprint:sha-256 <value>". (transfer none) valid while @cert lives. Any thread. */
const char *hn_cert_fingerprint(HnCert *cert);

/* The certificate and key for building an SSL_CTX. (transfer none): callers that keep them
 * must take their own OpenSSL reference (SSL_CTX_use_certificate/PrivateKey do). */
X509 *hn_cert_get_x509(HnCert *cert);
EVP_PKEY *hn_cert_get_pkey(HnCert *cert);

/* Builds a configured SSL_CTX for @cert (transfer full), or NULL with @error set. */
typedef SSL_CTX *(*HnCertCtxFactory)(HnCert *cert, GError **error);

/* The cert's DTLS context: built by @make at the first call (serialised by a lock, so @make runs
 * once per cert even when workers race) and kept until the last unref of the cert. Later calls
 * return the same context without locking; @make is then ignored (dtls.c is the one caller).
 * An SSL_CTX must not be changed once shared: per-endpoint settings (fingerprint verification,
 * SRTP profiles, MTU, timers) go on each SSL. Returns (transfer none) the context, or NULL with
 * @error set when @make fails (the next call tries again). Any thread. */
SSL_CTX *hn_cert_dtls_ctx(HnCert *cert, HnCertCtxFactory make, GError **error);

/* Digest of @x509 with the SDP hash name @alg ("sha-1", "sha-256", "sha-384", "sha-512",
 * case-insensitive) into @out (at least EVP_MAX_MD_SIZE bytes).
 * Returns the digest length, or -EINVAL for an unknown algorithm, -EIO on an OpenSSL error. */
int hn_cert_digest(X509 *x509, const char *alg, uint8_t *out);

/* Parse an SDP fingerprint value "AB:CD:..." (hex case-insensitive) into @out (@cap bytes).
 * Returns the number of bytes, or -EINVAL if malformed or longer than @cap. */
int hn_cert_parse_fingerprint(const char *text, uint8_t *out, size_t cap);

/* Format @len bytes as "AB:CD:..." into @out (at least 3 * @len bytes, HN_CERT_FP_MAX for any
 * supported digest). */
void hn_cert_format_fingerprint(const uint8_t *digest, size_t len, char *out);

G_END_DECLS
