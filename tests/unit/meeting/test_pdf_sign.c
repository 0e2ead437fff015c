/* Unit tests of server/meeting/pdf_parse.c and pdf_sign.c: the incremental update on a small
 * cairo PDF made here, checked with OpenSSL's CMS verification; the parser's refusals. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <cairo-pdf.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <openssl/cms.h>
#include <openssl/err.h>
#include <openssl/pkcs12.h>
#include <openssl/x509.h>
#include <string.h>

#include "meeting/pdf_parse.h"
#include "meeting/pdf_sign.h"

#define NOW      1796428800 /* 2026-12-05 */
#define PASSWORD "mật khẩu"

typedef struct {
    GByteArray *pdf;
    char *p12;
    X509 *cert;
} Fixture;

static cairo_status_t write_cb(void *closure, const unsigned char *data, unsigned int len)
{
    g_byte_array_append(closure, data, len);
    return CAIRO_STATUS_SUCCESS;
}

static GByteArray *small_pdf(void)
{
    GByteArray *b = g_byte_array_new();
    cairo_surface_t *s = cairo_pdf_surface_create_for_stream(write_cb, b, 595, 842);
    cairo_pdf_surface_restrict_to_version(s, CAIRO_PDF_VERSION_1_4);
    cairo_t *cr = cairo_create(s);
    for (int page = 0; page < 2; page++) {
        cairo_rectangle(cr, 72, 72, 100 + 50 * page, 20); /* no text: no fontconfig caches */
        cairo_fill(cr);
        cairo_show_page(cr);
    }
    cairo_destroy(cr);
    cairo_surface_finish(s);
    cairo_surface_destroy(s);
    return b;
}

/* A P-256 key, a self-signed certificate valid around NOW, in a PKCS#12 file. */
static char *make_p12(X509 **cert_out, gboolean with_key)
{
    EVP_PKEY *key = EVP_EC_gen("P-256");
    X509 *cert = X509_new();
    X509_set_version(cert, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(cert), 7);
    X509_time_adj_ex(X509_getm_notBefore(cert), -1, 0, &(time_t){NOW});
    X509_time_adj_ex(X509_getm_notAfter(cert), 30, 0, &(time_t){NOW});
    X509_NAME *n = X509_get_subject_name(cert);
    X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_UTF8, (const unsigned char *)"Văn phòng", -1, -1,
                               0);
    X509_set_issuer_name(cert, n);
    X509_set_pubkey(cert, key);
    assert_true(X509_sign(cert, key, EVP_sha256()) > 0);
    PKCS12 *p12 = with_key ? PKCS12_create(PASSWORD, "agency", key, cert, NULL, 0, 0, 0, 0, 0)
                           : PKCS12_create(PASSWORD, "agency", NULL, cert, NULL, 0, 0, 0, 0, 0);
    assert_non_null(p12);
    char *path = NULL;
    int fd = g_file_open_tmp("hn-test-XXXXXX.p12", &path, NULL);
    assert_true(fd >= 0);
    close(fd);
    BIO *bio = BIO_new_file(path, "wb");
    assert_true(i2d_PKCS12_bio(bio, p12) == 1);
    BIO_free(bio);
    PKCS12_free(p12);
    EVP_PKEY_free(key);
    if (cert_out)
        *cert_out = cert;
    else
        X509_free(cert);
    return path;
}

static int setup(void **state)
{
    Fixture *f = g_new0(Fixture, 1);
    f->pdf = small_pdf();
    f->p12 = make_p12(&f->cert, TRUE);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    Fixture *f = *state;
    g_byte_array_unref(f->pdf);
    g_unlink(f->p12);
    g_free(f->p12);
    X509_free(f->cert);
    g_free(f);
    return 0;
}

static void test_parse_cairo_pdf(void **state)
{
    Fixture *f = *state;
    HnPdfDoc doc;
    GError *err = NULL;
    assert_true(hn_pdf_doc_parse(f->pdf->data, f->pdf->len, &doc, &err));
    assert_int_equal(doc.n_sections, 1);
    assert_true(doc.root > 0 && doc.root < doc.size);
    assert_true(doc.page > 0 && doc.page < doc.size && doc.page != doc.root);
    assert_non_null(strstr(doc.catalog, "/Catalog"));
    assert_non_null(strstr(doc.page_dict, "/Page"));
    assert_non_null(doc.info);
    const char *v, *ve;
    assert_true(hn_pdf_dict_get(doc.page_dict, "MediaBox", &v, &ve));
    assert_true(*v == '[' && ve[-1] == ']');
    hn_pdf_doc_clear(&doc);
}

/* The signed ranges of /ByteRange, the CMS from /Contents. */
static gboolean verify(const GByteArray *out, X509 *cert)
{
    const char *s = (const char *)out->data;
    const char *br = memmem(s, out->len, "/ByteRange [", 12);
    assert_non_null(br);
    gsize a, b, c, d;
    assert_int_equal(sscanf(br + 12, "%zu %zu %zu %zu", &a, &b, &c, &d), 4);
    assert_int_equal(a, 0);
    assert_int_equal(c + d, out->len);
    assert_true(out->data[b] == '<' && out->data[c - 1] == '>');
    gsize hexlen = c - b - 2;
    assert_int_equal(hexlen, 2 * HN_PDF_SIG_MAX);
    guint8 *der = g_malloc(hexlen / 2);
    for (gsize i = 0; i < hexlen / 2; i++) {
        char h[3] = {s[b + 1 + 2 * i], s[b + 2 + 2 * i], 0};
        der[i] = (guint8)strtoul(h, NULL, 16);
    }
    const unsigned char *p = der;
    CMS_ContentInfo *cms = d2i_CMS_ContentInfo(NULL, &p, (long)(hexlen / 2));
    assert_non_null(cms);
    GByteArray *signed_bytes = g_byte_array_new();
    g_byte_array_append(signed_bytes, out->data, (guint)b);
    g_byte_array_append(signed_bytes, out->data + c, (guint)d);
    BIO *in = BIO_new_mem_buf(signed_bytes->data, (int)signed_bytes->len);
    X509_STORE *store = X509_STORE_new();
    X509_STORE_add_cert(store, cert);
    X509_VERIFY_PARAM_set_time(X509_STORE_get0_param(store), NOW);
    int ok = CMS_verify(cms, NULL, store, in, NULL, CMS_BINARY);
    ERR_clear_error();
    X509_STORE_free(store);
    BIO_free(in);
    g_byte_array_unref(signed_bytes);
    CMS_ContentInfo_free(cms);
    g_free(der);
    return ok == 1;
}

/* Every entry of the update's xref section points at "N G obj". */
static void check_new_xref(const GByteArray *out)
{
    const char *s = (const char *)out->data;
    const char *sx = s + out->len - 9;
    while (sx > s && memcmp(sx, "startxref", 9) != 0) /* binary streams: no g_strrstr */
        sx--;
    gsize xref = strtoul(sx + 10, NULL, 10);
    const char *p = s + xref;
    assert_true(g_str_has_prefix(p, "xref\n0 1\n0000000000 65535 f\r\n"));
    p += strlen("xref\n0 1\n0000000000 65535 f\r\n");
    int checked = 0;
    while (!g_str_has_prefix(p, "trailer")) {
        guint first, count;
        assert_int_equal(sscanf(p, "%u %u", &first, &count), 2);
        p = strchr(p, '\n') + 1;
        for (guint i = 0; i < count; i++, p += 20) {
            gsize off = strtoul(p, NULL, 10);
            g_autofree char *want = g_strdup_printf("%u 0 obj", first + i);
            assert_true(g_str_has_prefix(s + off, want));
            checked++;
        }
    }
    assert_int_equal(checked, 5); /* /Sig, widget, AcroForm, catalog, page */
    assert_non_null(strstr(p, "/Prev "));
}

static void test_sign_incremental_update(void **state)
{
    Fixture *f = *state;
    GError *err = NULL;
    HnPdfSigner *s = hn_pdf_signer_load(f->p12, PASSWORD, NOW, &err);
    assert_non_null(s);
    assert_string_equal(hn_pdf_signer_name(s), "Văn phòng");
    HnPdfSignParams p = {.reason = "Phê duyệt", .location = "Quảng Trị", .now_unix = NOW};
    GByteArray *out = hn_pdf_sign_data(f->pdf->data, f->pdf->len, s, &p, &err);
    assert_non_null(out);
    /* the rendering is untouched: the signature is appended */
    assert_true(out->len > f->pdf->len + 2 * HN_PDF_SIG_MAX);
    assert_memory_equal(out->data, f->pdf->data, f->pdf->len);
    check_new_xref(out);
    assert_true(verify(out, f->cert));

    /* the signed file parses: two sections, and it refuses to be signed again (a form) */
    HnPdfDoc doc;
    assert_false(hn_pdf_doc_parse(out->data, out->len, &doc, &err));
    assert_int_equal(err->code, HN_PDF_ERROR_UNSUPPORTED);
    assert_non_null(strstr(err->message, "AcroForm"));
    g_clear_error(&err);

    /* a byte changed inside a signed range: the digest no longer matches */
    GByteArray *bad = g_byte_array_new();
    g_byte_array_append(bad, out->data, out->len);
    bad->data[20] ^= 1;
    assert_false(verify(bad, f->cert));
    g_byte_array_unref(bad);

    /* the detached CMS over the whole signed file verifies too */
    GBytes *p7s = hn_pdf_cms_detached(s, out->data, out->len, &err);
    assert_non_null(p7s);
    gsize n;
    const unsigned char *der = g_bytes_get_data(p7s, &n);
    CMS_ContentInfo *cms = d2i_CMS_ContentInfo(NULL, &der, (long)n);
    BIO *in = BIO_new_mem_buf(out->data, (int)out->len);
    assert_int_equal(CMS_verify(cms, NULL, NULL, in, NULL, CMS_BINARY | CMS_NO_SIGNER_CERT_VERIFY),
                     1);
    BIO_free(in);
    CMS_ContentInfo_free(cms);
    g_bytes_unref(p7s);
    g_byte_array_unref(out);
    hn_pdf_signer_free(s);
}

static void test_signer_errors(void **state)
{
    Fixture *f = *state;
    GError *err = NULL;
    assert_null(hn_pdf_signer_load(f->p12, "sai", NOW, &err));
    assert_int_equal(err->code, HN_PDF_ERROR_KEY);
    assert_non_null(strstr(err->message, "wrong password"));
    assert_null(strstr(err->message, "sai"));
    g_clear_error(&err);
    assert_null(hn_pdf_signer_load(f->p12, PASSWORD, NOW + 86400 * 60, &err));
    assert_non_null(strstr(err->message, "expired"));
    g_clear_error(&err);
    assert_null(hn_pdf_signer_load(f->p12, PASSWORD, NOW - 86400 * 3, &err));
    assert_non_null(strstr(err->message, "not valid before"));
    g_clear_error(&err);
    char *nokey = make_p12(NULL, FALSE);
    assert_null(hn_pdf_signer_load(nokey, PASSWORD, NOW, &err));
    assert_non_null(strstr(err->message, "no private key"));
    g_clear_error(&err);
    g_unlink(nokey);
    g_free(nokey);
    assert_null(hn_pdf_signer_load("/nonexistent.p12", NULL, NOW, &err));
    assert_non_null(strstr(err->message, "cannot open"));
    g_clear_error(&err);
}

static void expect_refused(const char *text, int code, const char *needle)
{
    HnPdfDoc doc;
    GError *err = NULL;
    assert_false(hn_pdf_doc_parse((const guint8 *)text, strlen(text), &doc, &err));
    assert_non_null(err);
    if (code >= 0)
        assert_int_equal(err->code, code);
    if (!strstr(err->message, needle))
        fail_msg("“%s” not in “%s”", needle, err->message);
    g_error_free(err);
}

static void test_parser_refusals(void **state)
{
    Fixture *f = *state;
    expect_refused("hello, this is not a pdf file", HN_PDF_ERROR_PARSE, "not a PDF");
    expect_refused("%PDF-1.4\n1 0 obj << >> endobj\n", HN_PDF_ERROR_PARSE, "startxref");
    expect_refused("%PDF-1.5\n1 0 obj << /Type /XRef >> stream\nendstream endobj\n"
                   "startxref\n9\n%%EOF\n",
                   HN_PDF_ERROR_UNSUPPORTED, "cross-reference stream");
    expect_refused("%PDF-1.4\nxref\n0 1\n0000000000 65535 f\r\ntrailer\n<< /Size 3 /Root 1 0 R "
                   "/Encrypt 2 0 R >>\nstartxref\n9\n%%EOF\n",
                   HN_PDF_ERROR_UNSUPPORTED, "encrypted");
    expect_refused("%PDF-1.4\nxref\n0 1\n0000000000 65535 f\r\ntrailer\n<< /Size 3 /Root 1 0 R "
                   ">>\nstartxref\n9\n%%EOF\n",
                   HN_PDF_ERROR_PARSE, "object 1 is not in");
    expect_refused("%PDF-1.4\nxref\n0 9999\n0000000000 65535 f\r\ntrailer\n<< >>\nstartxref\n9\n"
                   "%%EOF\n",
                   HN_PDF_ERROR_PARSE, "past the end");
    /* a nesting bomb where the trailer should be */
    GString *deep = g_string_new("%PDF-1.4\nxref\n0 1\n0000000000 65535 f\r\ntrailer\n<< /A ");
    for (int i = 0; i < 5000; i++)
        g_string_append_c(deep, '[');
    g_string_append(deep, " >>\nstartxref\n9\n%%EOF\n");
    expect_refused(deep->str, HN_PDF_ERROR_PARSE, "trailer");
    g_string_free(deep, TRUE);

    /* every prefix and every single-byte change of the cairo file: an answer, never a crash */
    GByteArray *b = g_byte_array_new();
    g_byte_array_append(b, f->pdf->data, f->pdf->len);
    for (guint i = 0; i < b->len; i += 7) {
        HnPdfDoc doc;
        GError *err = NULL;
        if (hn_pdf_doc_parse(b->data, i, &doc, &err))
            hn_pdf_doc_clear(&doc);
        g_clear_error(&err);
        guint8 old = b->data[i];
        b->data[i] = (guint8)(old ^ 0x5a);
        if (hn_pdf_doc_parse(b->data, b->len, &doc, &err))
            hn_pdf_doc_clear(&doc);
        g_clear_error(&err);
        b->data[i] = old;
    }
    g_byte_array_unref(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_cairo_pdf),
        cmocka_unit_test(test_sign_incremental_update),
        cmocka_unit_test(test_signer_errors),
        cmocka_unit_test(test_parser_refusals),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
