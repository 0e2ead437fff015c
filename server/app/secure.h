/* Secure by default (docs/security.md): plain HTTP only on a loopback address unless
 * [server] insecure_http says otherwise, and [server] tls = self-signed, which makes an ECDSA
 * P-256 certificate for the listen address and the host name on first start, keeps it in
 * <data_dir>/tls/ (key mode 0600) and reuses it on later starts, so browsers on other machines
 * get a secure context (after the user accepts the certificate, comparing its fingerprint).
 *
 * Runs at start-up on the main thread, before any socket is bound. */
#pragma once

#include <glib.h>

#include "app/config.h"

G_BEGIN_DECLS

#define HN_SECURE_DIR       "tls"
#define HN_SECURE_CERT_FILE "cert.pem"
#define HN_SECURE_KEY_FILE  "key.pem"
#define HN_SECURE_DAYS      730 /* validity of a made certificate */
#define HN_SECURE_RENEW     30  /* days before expiry a kept certificate is replaced */

/* TRUE when host (an IP literal) is a loopback address: 127.0.0.0/8, ::1 or ::ffff:127.x.
 * 0.0.0.0 and :: (every address) are not. */
gboolean hn_secure_is_loopback(const char *host);

/* FALSE + error (naming [server] insecure_http and tls) when cfg would serve plain HTTP on a
 * non-loopback address. Pure. */
gboolean hn_secure_check_listen(const HnConfig *cfg, GError **error);

/* The SHA-256 fingerprint of the certificate in the PEM file at path, as "AB:CD:..." (95
 * characters). transfer full; NULL + error. */
char *hn_secure_fingerprint_file(const char *path, GError **error);

/* Makes or reuses the self-signed certificate in <data_dir>/tls/ for listen_host and hostname
 * (subject CN = hostname; SAN: hostname, localhost, and the listen address or, when it is a
 * wildcard, 127.0.0.1 and ::1). A kept certificate is reused unless unreadable, mismatched with
 * its key, or within HN_SECURE_RENEW days of expiry. Sets *cert_path and *key_path (transfer
 * full), *created (may be NULL) and returns the fingerprint (transfer full); NULL + error. */
char *hn_secure_self_signed(const char *data_dir, const char *listen_host, const char *hostname,
                            char **cert_path, char **key_path, gboolean *created, GError **error);

/* Applies [server] tls and the listen check to cfg at start-up: with tls = self-signed and no
 * tls_cert, makes or reuses the certificate and sets cfg->tls_cert/tls_key to it. Returns the
 * fingerprint of the certificate served (transfer full; NULL + no error when TLS is off); on
 * failure NULL + error. *made (may be NULL): TRUE when a new certificate was just made. */
char *hn_secure_apply(HnConfig *cfg, gboolean *made, GError **error);

G_END_DECLS
