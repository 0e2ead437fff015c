/* libFuzzer target: the /admin/audit filter (server/app/audit_view.h) on arbitrary query strings,
 * and the CSV writer on arbitrary cell text. Checks the contract: an accepted filter has its
 * limit in range and valid UTF-8 strings, a refusal says why and leaves nothing allocated; a CSV
 * cell never begins with a character a spreadsheet reads as a formula, and quotes balance. */
#include "fuzz.h"

#include <glib.h>
#include <string.h>

#include "app/audit_view.h"

static void check_cell(const char *text)
{
    GString *out = g_string_new(NULL);
    hn_audit_csv_field(out, text);
    if (out->len) {
        FUZZ_CHECK(!strchr("=+-@\t\r", out->str[0]));
        if (out->str[0] == '"') {
            FUZZ_CHECK(out->len >= 2 && out->str[out->len - 1] == '"');
            FUZZ_CHECK(!strchr("=+-@\t\r", out->str[1]));
        }
        size_t quotes = 0;
        for (size_t i = 0; i < out->len; i++)
            quotes += out->str[i] == '"';
        FUZZ_CHECK(quotes % 2 == 0);
    }
    g_string_free(out, TRUE);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = g_strndup((const char *)data, size);
    HnAuditFilter f;
    char *why = NULL;
    if (hn_audit_filter_parse(text, 100, &f, &why)) {
        FUZZ_CHECK(why == NULL);
        FUZZ_CHECK(f.limit >= 1 && f.limit <= HN_AUDIT_LIMIT_MAX);
        FUZZ_CHECK(f.from >= 0 && f.to >= 0 && f.before >= 0);
        FUZZ_CHECK(!f.actor || g_utf8_validate(f.actor, -1, NULL));
        FUZZ_CHECK(!f.action || g_utf8_validate(f.action, -1, NULL));
        FUZZ_CHECK(!f.room || g_utf8_validate(f.room, -1, NULL));
        hn_audit_filter_clear(&f);
    } else {
        FUZZ_CHECK(why != NULL && why[0] != '\0');
        g_free(why);
    }
    check_cell(text);
    g_free(text);
    return 0;
}
