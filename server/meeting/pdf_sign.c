/* PDF signature as an incremental update, with OpenSSL 3 CMS (see pdf_sign.h). */
#include "meeting/pdf_sign.h"

#include <errno.h>
#include <limits.h>
#include <openssl/cms.h>
#include <openssl/err.h>
#include <openssl/pkcs12.h>
#include <openssl/x509.h>
#include <string.h>

#define BYTERANGE_PLACEHOLDER "[0 0000000000 0000000000 0000000000]"
#define PASSWORD_MAX          1024

struct HnPdfSigner {
    X509 *cert;
    EVP_PKEY *key;
    STACK_OF(X509) * chain;
    char *name;
};

static gboolean fail(GError **error, int code, const char *fmt, ...) G_GNUC_PRINTF(3, 4);
static gboolean fail(GError **error, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    g_autofree char *msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    g_set_error(error, HN_PDF_ERROR, code, "%s", msg);
    return FALSE;
}

/* The oldest OpenSSL error of the queue (then the queue is cleared). transfer full. */
static char *ssl_reason(void)
{
    unsigned long e = ERR_get_error();
    char buf[256] = "unknown OpenSSL error";
    if (e)
        ERR_error_string_n(e, buf, sizeof buf);
    ERR_clear_error();
    return g_strdup(buf);
}

static char *subject_name(X509 *cert)
{
    X509_NAME *subj = X509_get_subject_name(cert);
    int i = X509_NAME_get_index_by_NID(subj, NID_commonName, -1);
    if (i >= 0) {
        unsigned char *utf8 = NULL;
        int n = ASN1_STRING_to_UTF8(&utf8, X509_NAME_ENTRY_get_data(X509_NAME_get_entry(subj, i)));
        if (n >= 0) {
            char *s = g_strndup((const char *)utf8, (gsize)n);
            OPENSSL_free(utf8);
            if (g_utf8_validate(s, -1, NULL))
                return s;
            g_free(s);
        }
    }
    char *line = X509_NAME_oneline(subj, NULL, 0);
    char *s = g_strdup(line ? line : "?");
    OPENSSL_free(line);
    return s;
}

static char *asn1_time_text(const ASN1_TIME *t)
{
    BIO *b = BIO_new(BIO_s_mem());
    ASN1_TIME_print(b, t);
    char *p = NULL;
    long n = BIO_get_mem_data(b, &p);
    char *s = g_strndup(p, n > 0 ? (gsize)n : 0);
    BIO_free(b);
    return s;
}

/* Parses p12 with password (NULL or "": OpenSSL tries no password and the empty one). */
static gboolean p12_open(PKCS12 *p12, const char *password, const char *path, HnPdfSigner *s,
                         GError **error)
{
    if (PKCS12_parse(p12, password, &s->key, &s->cert, &s->chain))
        return TRUE;
    unsigned long e = ERR_peek_error();
    g_autofree char *why = ssl_reason();
    if (ERR_GET_LIB(e) == ERR_LIB_PKCS12 && ERR_GET_REASON(e) == PKCS12_R_MAC_VERIFY_FAILURE)
        return fail(error, HN_PDF_ERROR_KEY, "%s: wrong password (or a damaged file)", path);
    return fail(error, HN_PDF_ERROR_KEY, "%s: cannot read the PKCS#12 content: %s", path, why);
}

HnPdfSigner *hn_pdf_signer_load(const char *p12_path, const char *password, gint64 now_unix,
                                GError **error)
{
    BIO *bio = BIO_new_file(p12_path, "rb");
    if (!bio) {
        int e = errno;
        ERR_clear_error();
        fail(error, HN_PDF_ERROR_KEY, "%s: cannot open: %s", p12_path, g_strerror(e));
        return NULL;
    }
    PKCS12 *p12 = d2i_PKCS12_bio(bio, NULL);
    BIO_free(bio);
    if (!p12) {
        ERR_clear_error();
        fail(error, HN_PDF_ERROR_KEY, "%s: not a PKCS#12 (.p12/.pfx) file", p12_path);
        return NULL;
    }
    HnPdfSigner *s = g_new0(HnPdfSigner, 1);
    gboolean ok = p12_open(p12, password, p12_path, s, error);
    PKCS12_free(p12);
    if (!ok)
        goto bad;
    if (!s->key) {
        fail(error, HN_PDF_ERROR_KEY, "%s: holds no private key", p12_path);
        goto bad;
    }
    if (!s->cert) {
        fail(error, HN_PDF_ERROR_KEY, "%s: holds no certificate for its private key", p12_path);
        goto bad;
    }
    if (!X509_check_private_key(s->cert, s->key)) {
        ERR_clear_error();
        fail(error, HN_PDF_ERROR_KEY, "%s: the private key does not match the certificate",
             p12_path);
        goto bad;
    }
    time_t now = (time_t)now_unix;
    if (X509_cmp_time(X509_get0_notAfter(s->cert), &now) < 0) {
        g_autofree char *when = asn1_time_text(X509_get0_notAfter(s->cert));
        fail(error, HN_PDF_ERROR_KEY, "%s: the certificate expired on %s", p12_path, when);
        goto bad;
    }
    if (X509_cmp_time(X509_get0_notBefore(s->cert), &now) > 0) {
        g_autofree char *when = asn1_time_text(X509_get0_notBefore(s->cert));
        fail(error, HN_PDF_ERROR_KEY, "%s: the certificate is not valid before %s", p12_path, when);
        goto bad;
    }
    s->name = subject_name(s->cert);
    return s;
bad:
    hn_pdf_signer_free(s);
    return NULL;
}

HnPdfSigner *hn_pdf_signer_load_file(const char *p12_path, const char *password_file,
                                     gint64 now_unix, GError **error)
{
    if (password_file == NULL)
        return hn_pdf_signer_load(p12_path, NULL, now_unix, error);
    char *data = NULL;
    gsize len = 0;
    GError *err = NULL;
    if (!g_file_get_contents(password_file, &data, &len, &err)) {
        fail(error, HN_PDF_ERROR_KEY, "password file: %s", err->message);
        g_error_free(err);
        return NULL;
    }
    HnPdfSigner *s = NULL;
    gsize n = strcspn(data, "\r\n");
    if (n > PASSWORD_MAX) {
        fail(error, HN_PDF_ERROR_KEY, "%s: the password is longer than %d bytes", password_file,
             PASSWORD_MAX);
    } else {
        data[n] = '\0';
        s = hn_pdf_signer_load(p12_path, data, now_unix, error);
    }
    memset(data, 0, len);
    g_free(data);
    return s;
}

void hn_pdf_signer_free(HnPdfSigner *s)
{
    if (!s)
        return;
    X509_free(s->cert);
    EVP_PKEY_free(s->key);
    sk_X509_pop_free(s->chain, X509_free);
    g_free(s->name);
    g_free(s);
}

const char *hn_pdf_signer_name(const HnPdfSigner *s)
{
    return s->name;
}

GBytes *hn_pdf_cms_detached(const HnPdfSigner *s, const guint8 *data, gsize len, GError **error)
{
    if (len > INT_MAX) {
        fail(error, HN_PDF_ERROR_SIGN, "the file is too large to sign");
        return NULL;
    }
    unsigned flags = CMS_DETACHED | CMS_BINARY | CMS_PARTIAL | CMS_NOSMIMECAP;
    BIO *in = BIO_new_mem_buf(data, (int)len);
    CMS_ContentInfo *cms = CMS_sign(NULL, NULL, s->chain, NULL, flags);
    unsigned char *der = NULL;
    int n = -1;
    if (in && cms && CMS_add1_signer(cms, s->cert, s->key, EVP_sha256(), flags) &&
        CMS_final(cms, in, NULL, flags))
        n = i2d_CMS_ContentInfo(cms, &der);
    CMS_ContentInfo_free(cms);
    BIO_free(in);
    if (n <= 0) {
        g_autofree char *why = ssl_reason();
        fail(error, HN_PDF_ERROR_SIGN, "CMS signature failed: %s", why);
        return NULL;
    }
    GBytes *b = g_bytes_new(der, (gsize)n);
    OPENSSL_free(der);
    return b;
}

/* A PDF text string in UTF-16BE with its byte order mark, as hex: <FEFF...>. */
static void append_text(GString *s, const char *utf8)
{
    glong n = 0;
    gunichar2 *u = g_utf8_to_utf16(utf8 ? utf8 : "", -1, NULL, &n, NULL);
    g_string_append(s, "<FEFF");
    for (glong i = 0; u && i < n; i++)
        g_string_append_printf(s, "%04X", u[i]);
    g_string_append_c(s, '>');
    g_free(u);
}

/* "D:YYYYMMDDHHmmSS+HH'mm'" in the local time zone. */
static void append_date(GString *s, gint64 now_unix)
{
    GDateTime *t = g_date_time_new_from_unix_local(now_unix);
    if (!t)
        t = g_date_time_new_from_unix_utc(0);
    g_autofree char *d = g_date_time_format(t, "%Y%m%d%H%M%S");
    gint64 off = g_date_time_get_utc_offset(t) / G_USEC_PER_SEC;
    gint64 a = off < 0 ? -off : off;
    g_string_append_printf(s, "(D:%s%c%02d'%02d')", d, off < 0 ? '-' : '+', (int)(a / 3600),
                           (int)(a % 3600 / 60));
    g_date_time_unref(t);
}

typedef struct {
    guint num, gen;
    gsize off;
} XrefEntry;

static int entry_cmp(const void *a, const void *b)
{
    const XrefEntry *x = a, *y = b;
    return x->num < y->num ? -1 : x->num > y->num;
}

/* The page dictionary with the widget added to its /Annots. */
static gboolean page_with_annot(GString *out, const char *page, guint widget, GError **error)
{
    const char *v, *ve;
    gsize plen = strlen(page);
    if (!hn_pdf_dict_get(page, "Annots", &v, &ve)) {
        g_string_append_len(out, page, (gssize)plen - 2);
        g_string_append_printf(out, "\n/Annots [%u 0 R]\n>>", widget);
        return TRUE;
    }
    if (*v != '[')
        return fail(error, HN_PDF_ERROR_UNSUPPORTED,
                    "the first page's /Annots is not a direct array: not supported");
    g_string_append_len(out, page, ve - 1 - page);
    g_string_append_printf(out, " %u 0 R", widget);
    g_string_append(out, ve - 1);
    return TRUE;
}

/* Appends the update (every object, the xref section, the trailer) to out; sets where the
 * /ByteRange placeholder and the /Contents hex string are. */
static gboolean append_update(GByteArray *out, const HnPdfDoc *doc, const HnPdfSigner *s,
                              const HnPdfSignParams *p, gsize *br_pos, gsize *contents_pos,
                              GError **error)
{
    guint sig = doc->size, widget = sig + 1, form = sig + 2;
    XrefEntry e[5] = {{sig, 0, 0},
                      {widget, 0, 0},
                      {form, 0, 0},
                      {doc->root, doc->root_gen, 0},
                      {doc->page, doc->page_gen, 0}};
    GString *u = g_string_new(NULL);
    gsize base = out->len;
    e[0].off = base + u->len;
    g_string_append_printf(u,
                           "%u 0 obj\n<< /Type /Sig /Filter /Adobe.PPKLite "
                           "/SubFilter /adbe.pkcs7.detached\n/ByteRange ",
                           sig);
    *br_pos = base + u->len;
    g_string_append(u, BYTERANGE_PLACEHOLDER "\n/Contents ");
    *contents_pos = base + u->len;
    g_string_append_c(u, '<');
    for (int i = 0; i < 2 * HN_PDF_SIG_MAX; i++)
        g_string_append_c(u, '0');
    g_string_append(u, ">\n/M ");
    append_date(u, p->now_unix);
    g_string_append(u, "\n/Name ");
    append_text(u, hn_pdf_signer_name(s));
    if (p->reason) {
        g_string_append(u, "\n/Reason ");
        append_text(u, p->reason);
    }
    if (p->location) {
        g_string_append(u, "\n/Location ");
        append_text(u, p->location);
    }
    g_string_append(u, "\n>>\nendobj\n");
    e[1].off = base + u->len;
    g_string_append_printf(u,
                           "%u 0 obj\n<< /Type /Annot /Subtype /Widget /FT /Sig /F 132 "
                           "/Rect [0 0 0 0] /T (Signature1) /V %u 0 R /P %u %u R >>\nendobj\n",
                           widget, sig, doc->page, doc->page_gen);
    e[2].off = base + u->len;
    g_string_append_printf(u, "%u 0 obj\n<< /Fields [%u 0 R] /SigFlags 3 >>\nendobj\n", form,
                           widget);
    e[3].off = base + u->len;
    g_string_append_printf(u, "%u %u obj\n", doc->root, doc->root_gen);
    g_string_append_len(u, doc->catalog, (gssize)strlen(doc->catalog) - 2);
    g_string_append_printf(u, "\n/AcroForm %u 0 R\n>>\nendobj\n", form);
    e[4].off = base + u->len;
    g_string_append_printf(u, "%u %u obj\n", doc->page, doc->page_gen);
    if (!page_with_annot(u, doc->page_dict, widget, error)) {
        g_string_free(u, TRUE);
        return FALSE;
    }
    g_string_append(u, "\nendobj\n");

    gsize xref = base + u->len;
    qsort(e, G_N_ELEMENTS(e), sizeof e[0], entry_cmp);
    g_string_append(u, "xref\n0 1\n0000000000 65535 f\r\n");
    for (guint i = 0; i < G_N_ELEMENTS(e);) {
        guint run = 1;
        while (i + run < G_N_ELEMENTS(e) && e[i + run].num == e[i].num + run)
            run++;
        g_string_append_printf(u, "%u %u\n", e[i].num, run);
        for (guint k = 0; k < run; k++, i++)
            g_string_append_printf(u, "%010zu %05u n\r\n", e[i].off, e[i].gen);
    }
    g_string_append_printf(u, "trailer\n<< /Size %u /Root %u %u R", form + 1, doc->root,
                           doc->root_gen);
    if (doc->info)
        g_string_append_printf(u, " /Info %s", doc->info);
    if (doc->id)
        g_string_append_printf(u, " /ID %s", doc->id);
    g_string_append_printf(u, " /Prev %zu >>\nstartxref\n%zu\n%%%%EOF\n", doc->startxref, xref);
    g_byte_array_append(out, (const guint8 *)u->str, (guint)u->len);
    g_string_free(u, TRUE);
    return TRUE;
}

GByteArray *hn_pdf_sign_data(const guint8 *pdf, gsize len, const HnPdfSigner *s,
                             const HnPdfSignParams *p, GError **error)
{
    HnPdfDoc doc;
    if (!hn_pdf_doc_parse(pdf, len, &doc, error))
        return NULL;
    GByteArray *out = g_byte_array_sized_new((guint)len + 2 * HN_PDF_SIG_MAX + 4096);
    g_byte_array_append(out, pdf, (guint)len);
    if (pdf[len - 1] != '\n' && pdf[len - 1] != '\r')
        g_byte_array_append(out, (const guint8 *)"\n", 1);
    gsize br, cpos;
    gboolean ok = append_update(out, &doc, s, p, &br, &cpos, error);
    hn_pdf_doc_clear(&doc);
    if (!ok) {
        g_byte_array_unref(out);
        return NULL;
    }
    /* the signed ranges: everything but the <hex> string of /Contents */
    gsize c = cpos + 2 + 2 * HN_PDF_SIG_MAX;
    char range[sizeof BYTERANGE_PLACEHOLDER];
    int n = g_snprintf(range, sizeof range, "[0 %zu %zu %zu]", cpos, c, out->len - c);
    if (n <= 0 || (gsize)n >= sizeof range) {
        fail(error, HN_PDF_ERROR_SIGN, "the file is too large to sign");
        g_byte_array_unref(out);
        return NULL;
    }
    memset(range + n, ' ', sizeof range - 1 - (gsize)n);
    memcpy(out->data + br, range, sizeof range - 1);

    GByteArray *signed_bytes = g_byte_array_sized_new((guint)(out->len - (c - cpos)));
    g_byte_array_append(signed_bytes, out->data, (guint)cpos);
    g_byte_array_append(signed_bytes, out->data + c, (guint)(out->len - c));
    GBytes *cms = hn_pdf_cms_detached(s, signed_bytes->data, signed_bytes->len, error);
    g_byte_array_unref(signed_bytes);
    if (!cms) {
        g_byte_array_unref(out);
        return NULL;
    }
    gsize der_len;
    const guint8 *der = g_bytes_get_data(cms, &der_len);
    if (der_len > HN_PDF_SIG_MAX) {
        fail(error, HN_PDF_ERROR_SIGN,
             "the signature (%zu bytes with its certificate chain) exceeds the %d reserved",
             der_len, HN_PDF_SIG_MAX);
        g_bytes_unref(cms);
        g_byte_array_unref(out);
        return NULL;
    }
    static const char hex[] = "0123456789ABCDEF";
    for (gsize i = 0; i < der_len; i++) {
        out->data[cpos + 1 + 2 * i] = (guint8)hex[der[i] >> 4];
        out->data[cpos + 2 + 2 * i] = (guint8)hex[der[i] & 15];
    }
    g_bytes_unref(cms);
    return out;
}

gboolean hn_pdf_sign_file(const char *in_path, const char *out_path, const char *p7s_path,
                          const HnPdfSigner *s, const HnPdfSignParams *p, GError **error)
{
    char *data = NULL;
    gsize len = 0;
    GError *err = NULL;
    if (!g_file_get_contents(in_path, &data, &len, &err)) {
        fail(error, HN_PDF_ERROR_IO, "%s", err->message);
        g_error_free(err);
        return FALSE;
    }
    GByteArray *out = hn_pdf_sign_data((const guint8 *)data, len, s, p, error);
    g_free(data);
    if (!out)
        return FALSE;
    gboolean ok = g_file_set_contents(out_path, (const char *)out->data, out->len, &err);
    if (ok && p7s_path) {
        GBytes *cms = hn_pdf_cms_detached(s, out->data, out->len, error);
        if (!cms) {
            g_byte_array_unref(out);
            return FALSE;
        }
        gsize n;
        const char *der = g_bytes_get_data(cms, &n);
        ok = g_file_set_contents(p7s_path, der, (gssize)n, &err);
        g_bytes_unref(cms);
    }
    g_byte_array_unref(out);
    if (!ok) {
        fail(error, HN_PDF_ERROR_IO, "%s", err->message);
        g_error_free(err);
    }
    return ok;
}
