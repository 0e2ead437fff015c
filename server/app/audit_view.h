/* The pure half of /admin/audit (app/hub_admin.c): reading the filter from a query string and
 * writing rows as JSON or as CSV for spreadsheets. No I/O; any thread. docs/security.md. */
#pragma once

#include <glib.h>
#include <jansson.h>

#include "store/db_audit.h"

G_BEGIN_DECLS

#define HN_AUDIT_PAGE_DEFAULT 100 /* rows of a JSON page when limit is not given */
#define HN_AUDIT_CSV_DEFAULT  HN_AUDIT_LIMIT_MAX

/* Reads from, to (unix seconds, or ISO 8601 "2026-12-05" / "2026-12-05T08:30[:00][zone]" in
 * the server's time zone when none is given; a date alone as `to` includes that whole day),
 * actor, action, room, before (an id) and limit from query ("a=1&b=2", %-escapes and '+'
 * decoded; unknown keys are ignored). Fills out (clear it) and returns TRUE, or FALSE with *why
 * (transfer full, English) on a bad value. default_limit applies when limit is absent. */
gboolean hn_audit_filter_parse(const char *query, guint default_limit, HnAuditFilter *out,
                               char **why);

/* {"rows": [{"id", "time", "time_iso", "actor", "action", "room", "detail"}...],
 *  "next_before": id or null}. next_before is the id to pass as before for the next page
 * (null when more is FALSE). transfer full. */
json_t *hn_audit_json(const GArray *rows, gboolean more);

/* RFC 4180 CSV: UTF-8 with a byte-order mark (so spreadsheets read Vietnamese right), CRLF
 * lines, a header line, quoted fields where needed; cells that a spreadsheet would read as a
 * formula (starting with = + - @, tab or CR) get a leading '. transfer full. */
GString *hn_audit_csv(const GArray *rows);

/* One CSV field as written by hn_audit_csv (NULL: empty), appended to out. */
void hn_audit_csv_field(GString *out, const char *value);

G_END_DECLS
