/* Secure by default: the loopback rule for plain HTTP and the self-signed certificate. */
#include "app/secure.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib/gstdio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

gboolean hn_secure_is_loopback(const char *host)
{
    struct in_addr a4;
    struct in6_addr a6;
    if (!host)
        return FALSE;
    if (inet_pton(AF_INET, host, &a4) == 1)
        return (ntohl(a4.s_addr) >> 24) == 127;
    if (inet_pton(AF_INET6, host, &a6) != 1)
        return FALSE;
    if (IN6_IS_ADDR_LOOPBACK(&a6))
        return TRUE;
    return IN6_IS_ADDR_V4MAPPED(&a6) && a6.s6_addr[12] == 127;
}

gboolean hn_secure_check_listen(const HnConfig *cfg, GError **error)
{
    if (cfg->tls_cert || cfg->tls_self_signed || cfg->insecure_http ||
        hn_secure_is_loopback(cfg->listen_host))
        return TRUE;
    g_autofree char *where = hn_config_format_listen(cfg);
    g_set_error(error, HN_CONFIG_ERROR, HN_CONFIG_ERROR_INVALID,
                "refusing to serve plain HTTP on %s, which is not a loopback address: passwords, "
                "session cookies and join tokens would cross the network readable. Set [server] "
                "tls = self-signed (or tls_cert and tls_key), or [server] insecure_http = true "
                "when a TLS proxy or a closed test network protects this address",
                where);
    return FALSE;
}

static void set_ssl_error(GError **error, const char *what)
{
    unsigned long e = ERR_get_error();
    char buf[256] = "";
    if (e)
        ERR_error_string_n(e, buf, sizeof buf);
    ERR_clear_error();
    g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_FAILED, "%s%s%s", what, *buf ? ": " : "", buf);
}

static char *fingerprint(X509 *x)
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    if (!X509_digest(x, EVP_sha256(), md, &n))
        return NULL;
    GString *s = g_string_new(NULL);
    for (unsigned int i = 0; i < n; i++)
        g_string_append_printf(s, "%s%02X", i ? ":" : "", md[i]);
    return g_string_free(s, FALSE);
}

static X509 *read_cert(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return NULL;
    X509 *x = PEM_read_X509(f, NULL, NULL, NULL);
    fclose(f);
    return x;
}

char *hn_secure_fingerprint_file(const char *path, GError **error)
{
    X509 *x = read_cert(path);
    if (!x) {
        set_ssl_error(error, "cannot read the certificate");
        g_prefix_error(error, "%s: ", path);
        return NULL;
    }
    char *fp = fingerprint(x);
    X509_free(x);
    if (!fp)
        set_ssl_error(error, "cannot hash the certificate");
    return fp;
}

/* The kept pair when it is usable: readable, matching, not near its end. */
static gboolean kept_usable(const char *cert_path, const char *key_path)
{
    X509 *x = read_cert(cert_path);
    FILE *f = fopen(key_path, "r");
    EVP_PKEY *k = f ? PEM_read_PrivateKey(f, NULL, NULL, NULL) : NULL;
    if (f)
        fclose(f);
    gboolean ok = x && k && X509_check_private_key(x, k) == 1;
    if (ok) {
        time_t soon = time(NULL) + (time_t)HN_SECURE_RENEW * 86400;
        ok = X509_cmp_time(X509_get0_notAfter(x), &soon) > 0;
    }
    X509_free(x);
    EVP_PKEY_free(k);
    ERR_clear_error();
    return ok;
}

static gboolean add_ext(X509 *x, int nid, const char *value)
{
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, x, x, NULL, NULL, 0);
    X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
    if (!ext)
        return FALSE;
    int ok = X509_add_ext(x, ext, -1);
    X509_EXTENSION_free(ext);
    return ok == 1;
}

/* "DNS:host,DNS:localhost,IP:..." for the certificate. transfer full. */
static char *san_text(const char *listen_host, const char *hostname)
{
    GString *s = g_string_new(NULL);
    if (hostname && *hostname && strcmp(hostname, "localhost") != 0)
        g_string_append_printf(s, "DNS:%s,", hostname);
    g_string_append(s, "DNS:localhost");
    gboolean any =
        !listen_host || strcmp(listen_host, "0.0.0.0") == 0 || strcmp(listen_host, "::") == 0;
    struct ifaddrs *ifs = NULL;
    if (any && getifaddrs(&ifs) == 0) { /* every address of this machine that is up */
        for (struct ifaddrs *i = ifs; i; i = i->ifa_next) {
            char ip[INET6_ADDRSTRLEN];
            int fam = i->ifa_addr ? i->ifa_addr->sa_family : AF_UNSPEC;
            const void *a =
                fam == AF_INET    ? (const void *)&((struct sockaddr_in *)i->ifa_addr)->sin_addr
                : fam == AF_INET6 ? (const void *)&((struct sockaddr_in6 *)i->ifa_addr)->sin6_addr
                                  : NULL;
            if (a && (i->ifa_flags & IFF_UP) &&
                !(fam == AF_INET6 && IN6_IS_ADDR_LINKLOCAL((const struct in6_addr *)a)) &&
                inet_ntop(fam, a, ip, sizeof ip))
                g_string_append_printf(s, ",IP:%s", ip);
        }
        freeifaddrs(ifs);
    } else if (any)
        g_string_append(s, ",IP:127.0.0.1,IP:::1");
    else
        g_string_append_printf(s, ",IP:%s", listen_host);
    return g_string_free(s, FALSE);
}

/* A host name usable as a DNS SAN entry: letters, digits, '-', '.'. */
static gboolean dns_name_ok(const char *h)
{
    if (!h || !*h || strlen(h) > 253)
        return FALSE;
    for (; *h; h++) {
        if (!g_ascii_isalnum(*h) && *h != '-' && *h != '.')
            return FALSE;
    }
    return TRUE;
}

static X509 *make_cert(EVP_PKEY *key, const char *listen_host, const char *hostname)
{
    X509 *x = X509_new();
    g_autofree char *san = san_text(listen_host, dns_name_ok(hostname) ? hostname : NULL);
    unsigned char serial[16];
    if (!x || RAND_bytes(serial, sizeof serial) != 1)
        goto fail;
    serial[0] &= 0x7f; /* positive */
    BIGNUM *bn = BN_bin2bn(serial, sizeof serial, NULL);
    ASN1_INTEGER *sn = bn ? BN_to_ASN1_INTEGER(bn, NULL) : NULL;
    BN_free(bn);
    int ok = sn && X509_set_version(x, 2) && X509_set_serialNumber(x, sn);
    ASN1_INTEGER_free(sn);
    if (!ok || !X509_gmtime_adj(X509_getm_notBefore(x), -3600) ||
        !X509_gmtime_adj(X509_getm_notAfter(x), (long)HN_SECURE_DAYS * 86400) ||
        !X509_set_pubkey(x, key))
        goto fail;
    const char *cn = dns_name_ok(hostname) ? hostname : "localhost";
    X509_NAME *name = X509_get_subject_name(x);
    if (!X509_NAME_add_entry_by_txt(name, "O", MBSTRING_UTF8, (const unsigned char *)"hoinghi", -1,
                                    -1, 0) ||
        !X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, (const unsigned char *)cn, -1, -1,
                                    0) ||
        !X509_set_issuer_name(x, name))
        goto fail;
    if (!add_ext(x, NID_subject_alt_name, san) ||
        !add_ext(x, NID_basic_constraints, "critical,CA:FALSE") ||
        !add_ext(x, NID_key_usage, "critical,digitalSignature") ||
        !add_ext(x, NID_ext_key_usage, "serverAuth") ||
        !add_ext(x, NID_subject_key_identifier, "hash") || !X509_sign(x, key, EVP_sha256()))
        goto fail;
    return x;
fail:
    X509_free(x);
    return NULL;
}

/* Writes to path + ".new" with mode, then renames: a crash leaves the old file or the new one. */
static gboolean write_pem(const char *path, mode_t mode, X509 *x, EVP_PKEY *k, GError **error)
{
    g_autofree char *tmp = g_strconcat(path, ".new", NULL);
    (void)g_unlink(tmp);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
    if (fd < 0) {
        g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(errno), "cannot create %s: %s",
                    tmp, g_strerror(errno));
        return FALSE;
    }
    FILE *f = fdopen(fd, "w");
    int ok =
        f && (x ? PEM_write_X509(f, x) : PEM_write_PrivateKey(f, k, NULL, NULL, 0, NULL, NULL));
    ok = ok && fflush(f) == 0 && fsync(fd) == 0;
    if (f ? fclose(f) != 0 : close(fd) != 0)
        ok = 0;
    if (!ok || rename(tmp, path) != 0) {
        g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_FAILED, "cannot write %s", path);
        (void)g_unlink(tmp);
        return FALSE;
    }
    return TRUE;
}

char *hn_secure_self_signed(const char *data_dir, const char *listen_host, const char *hostname,
                            char **cert_path, char **key_path, gboolean *created, GError **error)
{
    g_autofree char *dir = g_build_filename(data_dir, HN_SECURE_DIR, NULL);
    g_autofree char *cp = g_build_filename(dir, HN_SECURE_CERT_FILE, NULL);
    g_autofree char *kp = g_build_filename(dir, HN_SECURE_KEY_FILE, NULL);
    if (created)
        *created = FALSE;
    if (g_mkdir_with_parents(dir, 0700) != 0) {
        g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(errno), "cannot create %s: %s",
                    dir, g_strerror(errno));
        return NULL;
    }
    if (!kept_usable(cp, kp)) {
        EVP_PKEY *key = EVP_EC_gen("P-256");
        X509 *x = key ? make_cert(key, listen_host, hostname) : NULL;
        if (!x) {
            set_ssl_error(error, "cannot make a self-signed certificate");
            EVP_PKEY_free(key);
            return NULL;
        }
        /* the key first: a certificate without its key is never left behind alone */
        gboolean ok = write_pem(kp, 0600, NULL, key, error) && write_pem(cp, 0644, x, NULL, error);
        X509_free(x);
        EVP_PKEY_free(key);
        if (!ok)
            return NULL;
        if (created)
            *created = TRUE;
    }
    (void)g_chmod(kp, 0600);
    char *fp = hn_secure_fingerprint_file(cp, error);
    if (!fp)
        return NULL;
    *cert_path = g_steal_pointer(&cp);
    *key_path = g_steal_pointer(&kp);
    return fp;
}

char *hn_secure_apply(HnConfig *cfg, gboolean *made, GError **error)
{
    if (made)
        *made = FALSE;
    if (!hn_secure_check_listen(cfg, error))
        return NULL;
    if (cfg->tls_cert) /* tls_cert and tls_key win over tls = self-signed */
        return hn_secure_fingerprint_file(cfg->tls_cert, error);
    if (!cfg->tls_self_signed)
        return NULL;
    char *cert = NULL, *key = NULL;
    char *fp = hn_secure_self_signed(cfg->data_dir, cfg->listen_host, g_get_host_name(), &cert,
                                     &key, made, error);
    if (!fp)
        return NULL;
    cfg->tls_cert = cert;
    cfg->tls_key = key;
    return fp;
}
