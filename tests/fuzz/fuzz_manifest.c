/* libFuzzer target: the archive's outside inputs (server/record/archive_index.h, signaling/http.h):
 * a meeting folder's manifest.json, a request's Range header and a requested file path. Checks
 * the contract: an accepted manifest has an id, a room and only safe relative file names; an
 * accepted range lies inside the body; a path is valid only without ".", "..", empty or odd
 * components. The first input byte picks the size of the body for the range. */
#include "fuzz.h"

#include <glib.h>
#include <string.h>

#include "record/archive_index.h"
#include "signaling/http.h"

static void check_path(const char *text)
{
    if (!hn_archive_path_valid(text))
        return;
    FUZZ_CHECK(text[0] != '/' && !strstr(text, "//") && !strstr(text, "\\"));
    g_auto(GStrv) parts = g_strsplit(text, "/", -1);
    for (guint i = 0; parts[i]; i++)
        FUZZ_CHECK(*parts[i] && strcmp(parts[i], ".") != 0 && strcmp(parts[i], "..") != 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    unsigned long long body = (unsigned long long)data[0] * 97, start = 0, len = 0;
    char *text = g_strndup((const char *)data + 1, size - 1);
    int r = hn_http_range_parse(text, body, &start, &len);
    FUZZ_CHECK(r >= -1 && r <= 1);
    if (r == 1)
        FUZZ_CHECK(len > 0 && start < body && start + len <= body);
    check_path(text);

    HnDbArchiveMeeting m;
    guint skipped = 0;
    char *why = NULL;
    if (hn_archive_manifest_parse((const char *)data + 1, size - 1, "2026/12/05/1", &m, &skipped,
                                  &why)) {
        FUZZ_CHECK(why == NULL && m.id > 0 && m.room && m.started_ms > 0 && m.manifest);
        for (guint i = 0; i < m.files->len; i++) {
            const HnDbArchiveFile *f = &g_array_index(m.files, HnDbArchiveFile, i);
            FUZZ_CHECK(hn_archive_path_valid(f->name));
            FUZZ_CHECK(!f->sha256 || strlen(f->sha256) == 64);
        }
        hn_db_archive_meeting_clear(&m);
    } else {
        FUZZ_CHECK(why != NULL);
        g_free(why);
    }
    g_free(text);
    return 0;
}
