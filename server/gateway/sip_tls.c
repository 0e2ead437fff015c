/* SIP over TLS: the certificate directory Sofia-SIP reads. See sip_tls.h. */
#include "gateway/sip_tls.h"

#include <gio/gio.h>
#include <glib/gstdio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <string.h>

struct HnSipTls {
    char *dir;
};

/* A key under a passphrase is refused, never prompted for on the terminal. */
static int no_passphrase(char *buf, int size, int rwflag, void *u)
{
    (void)buf, (void)size, (void)rwflag, (void)u;
    return -1;
}

static char *read_pem(const char *what, const char *path, gsize *len, GError **error)
{
    char *text = NULL;
    GError *err = NULL;
    if (!g_file_get_contents(path, &text, len, &err)) {
        g_set_error(error, G_FILE_ERROR, err->code, "SIP TLS: %s %s: %s", what, path, err->message);
        g_error_free(err);
        return NULL;
    }
    return text;
}

/* The certificate and key parse and belong together; NULL or why not (static). */
static const char *check_pair(const char *cert, gsize cert_len, const char *key, gsize key_len,
                              const char **which)
{
    const char *why = NULL;
    BIO *cb = BIO_new_mem_buf(cert, (int)cert_len);
    BIO *kb = BIO_new_mem_buf(key, (int)key_len);
    X509 *x = cb ? PEM_read_bio_X509(cb, NULL, no_passphrase, NULL) : NULL;
    EVP_PKEY *k = kb ? PEM_read_bio_PrivateKey(kb, NULL, no_passphrase, NULL) : NULL;
    if (!x) {
        *which = "certificate";
        why = "no PEM certificate in it";
    } else if (!k) {
        *which = "private_key";
        why = "no unencrypted PEM private key in it";
    } else if (X509_check_private_key(x, k) != 1) {
        *which = "private_key";
        why = "it is not the key of the certificate";
    }
    ERR_clear_error();
    X509_free(x);
    EVP_PKEY_free(k);
    BIO_free(cb);
    BIO_free(kb);
    return why;
}

static gboolean write_private(const char *dir, const char *name, const char *text, gsize len,
                              GError **error)
{
    g_autofree char *path = g_build_filename(dir, name, NULL);
    return g_file_set_contents_full(path, text, (gssize)len, G_FILE_SET_CONTENTS_CONSISTENT, 0600,
                                    error);
}

HnSipTls *hn_sip_tls_new(const char *cert_path, const char *key_path, GError **error)
{
    gsize cert_len = 0, key_len = 0;
    g_autofree char *cert = read_pem("certificate", cert_path, &cert_len, error);
    if (!cert)
        return NULL;
    char *key = read_pem("private_key", key_path, &key_len, error);
    if (!key)
        return NULL;
    const char *which = NULL;
    const char *why = check_pair(cert, cert_len, key, key_len, &which);
    HnSipTls *tls = NULL;
    GString *agent = NULL;
    if (why) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "SIP TLS: %s %s: %s", which,
                    strcmp(which, "certificate") == 0 ? cert_path : key_path, why);
        goto out;
    }
    tls = g_new0(HnSipTls, 1);
    tls->dir = g_dir_make_tmp("hoinghi-sip-tls-XXXXXX", error); /* mode 0700 */
    if (!tls->dir)
        goto fail;
    agent = g_string_new_len(cert, (gssize)cert_len);
    if (agent->len && agent->str[agent->len - 1] != '\n')
        g_string_append_c(agent, '\n');
    g_string_append_len(agent, key, (gssize)key_len);
    if (!write_private(tls->dir, "agent.pem", agent->str, agent->len, error) ||
        !write_private(tls->dir, "cafile.pem", cert, cert_len, error))
        goto fail;
    goto out;
fail:
    hn_sip_tls_free(tls);
    tls = NULL;
out:
    if (agent) {
        memset(agent->str, 0, agent->len);
        g_string_free(agent, TRUE);
    }
    memset(key, 0, key_len);
    g_free(key);
    return tls;
}

const char *hn_sip_tls_dir(const HnSipTls *tls)
{
    return tls->dir;
}

void hn_sip_tls_free(HnSipTls *tls)
{
    if (!tls)
        return;
    if (tls->dir) {
        static const char *const names[] = {"agent.pem", "cafile.pem"};
        for (size_t i = 0; i < G_N_ELEMENTS(names); i++) {
            g_autofree char *p = g_build_filename(tls->dir, names[i], NULL);
            g_unlink(p);
        }
        g_rmdir(tls->dir);
        g_free(tls->dir);
    }
    g_free(tls);
}
