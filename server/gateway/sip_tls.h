/* SIP over TLS ([sip] tls_listen): Sofia-SIP's tport wants a directory holding agent.pem (the
 * certificate chain and its private key, concatenated) and cafile.pem. This makes that directory
 * from [sip] certificate and private_key, in a private temporary directory (mode 0700, files
 * 0600), after checking that both parse and that the key is the certificate's; it is removed
 * when freed. Main thread, at start and exit. */
#pragma once

#include <glib.h>

typedef struct HnSipTls HnSipTls;

/* Checks cert_path and key_path (PEM) and writes the directory. NULL with error ("SIP TLS:
 * certificate FILE: why") when a file is missing, unreadable, not PEM, encrypted, or the key
 * does not match. transfer full. */
HnSipTls *hn_sip_tls_new(const char *cert_path, const char *key_path, GError **error);

/* The directory for TPTAG_CERTIFICATE. transfer none. */
const char *hn_sip_tls_dir(const HnSipTls *tls);

/* Removes the files and the directory. NULL ok. */
void hn_sip_tls_free(HnSipTls *tls);
