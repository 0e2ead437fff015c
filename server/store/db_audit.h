/* Reading the audit log for /admin/audit (app/hub_admin.c): filtered, newest first, paged by id,
 * with a row limit; and the role of a session's account. Synchronous: run on the store thread
 * (hn_store_query) or in a command-line tool. Thread: the HnDb's. */
#pragma once

#include <glib.h>

#include "store/db.h"

G_BEGIN_DECLS

#define HN_AUDIT_LIMIT_MAX 10000 /* rows one query may return */

typedef struct {
    gint64 from, to;             /* unix seconds, from <= time < to; 0: no bound */
    char *actor, *action, *room; /* exact matches; NULL: any */
    gint64 before;               /* only rows with id < before (paging); 0: from the newest */
    guint limit;                 /* 1..HN_AUDIT_LIMIT_MAX */
} HnAuditFilter;

void hn_audit_filter_clear(HnAuditFilter *f);

typedef struct {
    gint64 id, time;
    char *actor, *action, *room, *detail; /* room, detail may be NULL */
} HnAuditRow;

void hn_audit_row_clear(HnAuditRow *r);

/* The rows matching f, newest (highest id) first, at most f->limit. GArray of HnAuditRow (clear
 * func set). *more (may be NULL): TRUE when more rows match after the last. transfer full;
 * NULL + error. */
GArray *hn_db_audit_query(HnDb *db, const HnAuditFilter *f, gboolean *more, GError **error);

/* The account called name: TRUE and *out filled (hn_db_user_clear), FALSE when there is none. */
gboolean hn_db_user_get(HnDb *db, const char *name, HnDbUser *out);

G_END_DECLS
