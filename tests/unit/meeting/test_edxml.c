/* Unit tests of server/meeting/edxml.c: a built package passes the structure check; packages
 * with a part missing, a bad agency identifier, a bad date or an attachment that does not match
 * its reference fail it, with the reason. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "meeting/edxml.h"

static char *build(void)
{
    static const guint8 pdf[] = "%PDF-1.7 signed";
    HnEdxmlDoc d = {.from_code = "000.00.00.H41",
                    .from_name = "UBND tỉnh Nghệ An",
                    .to_code = "000.00.01.H41",
                    .to_name = "Văn phòng UBND tỉnh",
                    .place = "Nghệ An",
                    .number = "12/BB-UBND",
                    .title = "Biên bản họp giao ban <tháng 12> & kết luận",
                    .signer = "Nguyễn Văn A",
                    .signer_position = "Chủ tọa",
                    .date_s = 1796480000,
                    .now_s = 1796480100,
                    .tz = "Asia/Ho_Chi_Minh",
                    .attachment_name = "minutes.pdf",
                    .attachment = pdf,
                    .attachment_len = sizeof pdf - 1,
                    .content_id = "msg_e12_w3"};
    return hn_edxml_build(&d);
}

static void expect_fail(const char *xml, const char *needle)
{
    char *why = NULL;
    assert_false(hn_edxml_check(xml, strlen(xml), &why));
    if (!strstr(why, needle))
        fail_msg("reason \"%s\", expected \"%s\"", why, needle);
    g_free(why);
}

static char *replace(const char *s, const char *from, const char *to)
{
    g_auto(GStrv) parts = g_strsplit(s, from, 2);
    return g_strjoin(to, parts[0], parts[1], NULL);
}

static void test_built_package_passes(void **state)
{
    (void)state;
    g_autofree char *x = build();
    char *why = NULL;
    if (!hn_edxml_check(x, strlen(x), &why))
        fail_msg("%s\n%s", why, x);
    assert_non_null(strstr(x, "<edXML:CodeNumber>12</edXML:CodeNumber>"));
    assert_non_null(strstr(x, "<edXML:CodeNotation>BB-UBND</edXML:CodeNotation>"));
    assert_non_null(strstr(x, "<edXML:DocumentId>000.00.00.H41,2026/12/05,12/BB-UBND<"));
    assert_non_null(strstr(x, "&lt;tháng 12&gt; &amp; kết luận"));
    assert_non_null(strstr(x, "JVBERi0xLjcgc2lnbmVk")); /* base64 of the PDF */
}

static void test_broken_packages_fail(void **state)
{
    (void)state;
    g_autofree char *x = build();
    g_autofree char *a = replace(x, "000.00.01.H41", "H41-01");
    expect_fail(a, "To/OrganId is not an agency identifier");
    g_autofree char *b = replace(x, "<edXML:FullName>Nguyễn Văn A</edXML:FullName>", "");
    expect_fail(b, "SignerInfo/FullName is missing");
    g_autofree char *c =
        replace(x, "2026/12/05</edXML:PromulgationDate>", "2026-12-05</edXML:PromulgationDate>");
    expect_fail(c, "PromulgationDate is not a YYYY/MM/DD date");
    g_autofree char *d =
        replace(x, "<ContentId>msg_e12_w3</ContentId>", "<ContentId>x</ContentId>");
    expect_fail(d, "has no attachment");
    g_autofree char *e = replace(x, HN_EDXML_NS "\" xmlns:xlink", "urn:other\" xmlns:xlink");
    expect_fail(e, "namespace");
    expect_fail("<edXML><a></edXML>", "not well-formed");
    expect_fail("", "not well-formed");
    expect_fail("<edXML/>", "not exactly one edXMLEnvelope");
    assert_true(hn_edxml_organ_id_valid("000.00.00.H41"));
    assert_false(hn_edxml_organ_id_valid("000.00.00.h41"));
    assert_false(hn_edxml_organ_id_valid(NULL));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_built_package_passes),
        cmocka_unit_test(test_broken_packages_fail),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
