/* test_dtls_cert.c - certificate generation, loading and fingerprints. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>
#include <glib/gstdio.h>

#include <openssl/pem.h>

#include "transport/cert.h"

static void assert_fingerprint_format(const char *fp, size_t bytes)
{
    assert_int_equal(strlen(fp), bytes * 3 - 1);
    for (size_t i = 0; fp[i] != '\0'; i++) {
        if (i % 3 == 2)
            assert_int_equal(fp[i], ':');
        else
            assert_true(g_ascii_isdigit(fp[i]) || (fp[i] >= 'A' && fp[i] <= 'F'));
    }
}

static void test_generate(void **state)
{
    GError *error = NULL;
    HnCert *a = hn_cert_generate(&error);
    assert_null(error);
    assert_non_null(a);
    HnCert *b = hn_cert_generate(&error);
    assert_non_null(b);
    assert_fingerprint_format(hn_cert_fingerprint(a), 32);
    assert_string_not_equal(hn_cert_fingerprint(a), hn_cert_fingerprint(b));

    X509 *x = hn_cert_get_x509(a);
    /* ECDSA P-256 key */
    EVP_PKEY *pub = X509_get0_pubkey(x);
    assert_int_equal(EVP_PKEY_get_base_id(pub), EVP_PKEY_EC);
    char group[32];
    size_t glen = 0;
    assert_int_equal(EVP_PKEY_get_group_name(pub, group, sizeof group, &glen), 1);
    assert_string_equal(group, "prime256v1");
    /* CN and self-signed */
    char cn[64];
    assert_true(X509_NAME_get_text_by_NID(X509_get_subject_name(x), NID_commonName, cn, sizeof cn) >
                0);
    assert_string_equal(cn, "hoinghi");
    assert_int_equal(X509_verify(x, pub), 1);
    /* validity: started about a day ago, lasts 30 days */
    int days = 0, secs = 0;
    assert_int_equal(ASN1_TIME_diff(&days, &secs, X509_get0_notBefore(x), NULL), 1);
    assert_true(days == 1 || (days == 0 && secs > 86000));
    assert_int_equal(ASN1_TIME_diff(&days, &secs, X509_get0_notBefore(x), X509_get0_notAfter(x)),
                     1);
    assert_int_equal(days, 30);
    assert_int_equal(secs, 0);
    /* serial: random, positive */
    const ASN1_INTEGER *sa = X509_get0_serialNumber(x);
    const ASN1_INTEGER *sb = X509_get0_serialNumber(hn_cert_get_x509(b));
    assert_int_not_equal(ASN1_INTEGER_cmp(sa, sb), 0);

    /* refcount */
    assert_ptr_equal(hn_cert_ref(a), a);
    hn_cert_unref(a);
    assert_non_null(hn_cert_fingerprint(a));
    hn_cert_unref(a);
    hn_cert_unref(b);
    hn_cert_unref(NULL);
}

static void test_digest_algs(void **state)
{
    HnCert *c = hn_cert_generate(NULL);
    assert_non_null(c);
    uint8_t d[EVP_MAX_MD_SIZE];
    assert_int_equal(hn_cert_digest(hn_cert_get_x509(c), "sha-1", d), 20);
    assert_int_equal(hn_cert_digest(hn_cert_get_x509(c), "SHA-256", d), 32);
    assert_int_equal(hn_cert_digest(hn_cert_get_x509(c), "sha-384", d), 48);
    assert_int_equal(hn_cert_digest(hn_cert_get_x509(c), "sha-512", d), 64);
    assert_int_equal(hn_cert_digest(hn_cert_get_x509(c), "md5", d), -EINVAL);
    assert_int_equal(hn_cert_digest(hn_cert_get_x509(c), NULL, d), -EINVAL);
    char fp[HN_CERT_FP_MAX];
    assert_int_equal(hn_cert_digest(hn_cert_get_x509(c), "sha-256", d), 32);
    hn_cert_format_fingerprint(d, 32, fp);
    assert_string_equal(fp, hn_cert_fingerprint(c));
    assert_int_equal(hn_cert_digest(hn_cert_get_x509(c), "sha-512", d), 64);
    hn_cert_format_fingerprint(d, 64, fp);
    assert_fingerprint_format(fp, 64);
    hn_cert_unref(c);
}

static void test_parse_fingerprint(void **state)
{
    uint8_t out[64];
    assert_int_equal(hn_cert_parse_fingerprint("AB:cd:0F", out, sizeof out), 3);
    assert_int_equal(out[0], 0xab);
    assert_int_equal(out[1], 0xcd);
    assert_int_equal(out[2], 0x0f);
    const char *bad[] = {"", "A", "ABC", "AB:", ":AB", "AB::CD", "AB CD", "G0", "AB:CD:E"};
    for (size_t i = 0; i < G_N_ELEMENTS(bad); i++)
        assert_int_equal(hn_cert_parse_fingerprint(bad[i], out, sizeof out), -EINVAL);
    assert_int_equal(hn_cert_parse_fingerprint(NULL, out, sizeof out), -EINVAL);
    assert_int_equal(hn_cert_parse_fingerprint("AB:CD", out, 1), -EINVAL);
}

static char *write_pem(const char *dir, const char *name, X509 *x509, EVP_PKEY *pkey)
{
    char *path = g_build_filename(dir, name, NULL);
    FILE *f = g_fopen(path, "w");
    assert_non_null(f);
    if (x509 != NULL)
        assert_int_equal(PEM_write_X509(f, x509), 1);
    if (pkey != NULL)
        assert_int_equal(PEM_write_PrivateKey(f, pkey, NULL, NULL, 0, NULL, NULL), 1);
    fclose(f);
    return path;
}

static void test_load(void **state)
{
    char *dir = g_dir_make_tmp("hn-cert-XXXXXX", NULL);
    assert_non_null(dir);
    HnCert *a = hn_cert_generate(NULL);
    HnCert *b = hn_cert_generate(NULL);
    char *cert = write_pem(dir, "cert.pem", hn_cert_get_x509(a), NULL);
    char *key = write_pem(dir, "key.pem", NULL, hn_cert_get_pkey(a));
    char *both = write_pem(dir, "both.pem", hn_cert_get_x509(a), hn_cert_get_pkey(a));
    char *other_key = write_pem(dir, "other.pem", NULL, hn_cert_get_pkey(b));
    char *junk = g_build_filename(dir, "junk.pem", NULL);
    assert_true(g_file_set_contents(junk, "not a pem file\n", -1, NULL));

    GError *error = NULL;
    HnCert *l = hn_cert_load(cert, key, &error);
    assert_null(error);
    assert_non_null(l);
    assert_string_equal(hn_cert_fingerprint(l), hn_cert_fingerprint(a));
    hn_cert_unref(l);
    l = hn_cert_load(both, both, &error);
    assert_non_null(l);
    assert_string_equal(hn_cert_fingerprint(l), hn_cert_fingerprint(a));
    hn_cert_unref(l);

    assert_null(hn_cert_load(cert, other_key, &error));
    assert_true(g_error_matches(error, HN_CERT_ERROR, HN_CERT_ERROR_KEY));
    g_clear_error(&error);
    assert_null(hn_cert_load(junk, key, &error));
    assert_true(g_error_matches(error, HN_CERT_ERROR, HN_CERT_ERROR_FILE));
    g_clear_error(&error);
    assert_null(hn_cert_load(cert, junk, &error));
    assert_true(g_error_matches(error, HN_CERT_ERROR, HN_CERT_ERROR_FILE));
    g_clear_error(&error);
    assert_null(hn_cert_load("/nonexistent/cert.pem", key, &error));
    assert_true(g_error_matches(error, HN_CERT_ERROR, HN_CERT_ERROR_FILE));
    g_clear_error(&error);

    const char *files[] = {cert, key, both, other_key, junk};
    for (size_t i = 0; i < G_N_ELEMENTS(files); i++)
        g_unlink(files[i]);
    g_rmdir(dir);
    g_free(cert);
    g_free(key);
    g_free(both);
    g_free(other_key);
    g_free(junk);
    g_free(dir);
    hn_cert_unref(a);
    hn_cert_unref(b);
}

/* Shared read-only by several threads: ref/unref and fingerprint from all of them. */
static gpointer cert_thread(gpointer data)
{
    HnCert *c = data;
    for (int i = 0; i < 1000; i++) {
        hn_cert_ref(c);
        g_assert_cmpuint(strlen(hn_cert_fingerprint(c)), ==, 95);
        hn_cert_unref(c);
    }
    return NULL;
}

static void test_threads(void **state)
{
    HnCert *c = hn_cert_generate(NULL);
    GThread *t[4];
    for (int i = 0; i < 4; i++)
        t[i] = g_thread_new("cert", cert_thread, c);
    for (int i = 0; i < 4; i++)
        g_thread_join(t[i]);
    hn_cert_unref(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_generate),          cmocka_unit_test(test_digest_algs),
        cmocka_unit_test(test_parse_fingerprint), cmocka_unit_test(test_load),
        cmocka_unit_test(test_threads),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
