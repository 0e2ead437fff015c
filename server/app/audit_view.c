/* Filter parsing, JSON and CSV of the audit log (app/audit_view.h). */
#include "app/audit_view.h"

#include <string.h>

/* A %-escaped query value, '+' as space. transfer full; NULL when invalid. */
static char *unescape(const char *raw)
{
    g_autofree char *plus = g_strdup(raw);
    for (char *p = plus; *p; p++) {
        if (*p == '+')
            *p = ' ';
    }
    char *v = g_uri_unescape_string(plus, NULL);
    if (v && !g_utf8_validate(v, -1, NULL))
        g_clear_pointer(&v, g_free);
    return v;
}

static gboolean parse_int(const char *v, gint64 min, gint64 max, gint64 *out)
{
    gint64 n = 0;
    if (!g_ascii_string_to_signed(v, 10, min, max, &n, NULL))
        return FALSE;
    *out = n;
    return TRUE;
}

/* Unix seconds or ISO 8601 (local time when no zone); a date alone is its midnight, plus one
 * day when end_of_day. */
static gboolean parse_time(const char *v, gboolean end_of_day, gint64 *out)
{
    if (parse_int(v, 0, G_GINT64_CONSTANT(253402300799), out))
        return TRUE;
    gboolean date_only = strlen(v) == 10 && v[4] == '-' && v[7] == '-';
    g_autofree char *text = date_only ? g_strconcat(v, "T00:00:00", NULL) : g_strdup(v);
    /* "2026-12-05T08:30" (an HTML datetime-local) has no seconds: GLib wants them */
    if (strlen(text) == 16 && text[10] == 'T' && text[13] == ':') {
        char *t = g_strconcat(text, ":00", NULL);
        g_free(text);
        text = t;
    }
    GTimeZone *tz = g_time_zone_new_local();
    GDateTime *dt = g_date_time_new_from_iso8601(text, tz);
    g_time_zone_unref(tz);
    if (!dt)
        return FALSE;
    *out = g_date_time_to_unix(dt) + (date_only && end_of_day ? 86400 : 0);
    g_date_time_unref(dt);
    return *out >= 0;
}

gboolean hn_audit_filter_parse(const char *query, guint default_limit, HnAuditFilter *out,
                               char **why)
{
    memset(out, 0, sizeof *out);
    out->limit = CLAMP(default_limit, 1, HN_AUDIT_LIMIT_MAX);
    g_auto(GStrv) pairs = g_strsplit(query ? query : "", "&", 64);
    for (guint i = 0; pairs[i]; i++) {
        if (!*pairs[i])
            continue;
        char *eq = strchr(pairs[i], '=');
        const char *key = pairs[i];
        if (eq)
            *eq = '\0';
        g_autofree char *v = unescape(eq ? eq + 1 : "");
        if (!v) {
            *why = g_strdup_printf("%s: not valid %%-escaped UTF-8", key);
            goto bad;
        }
        char **text = strcmp(key, "actor") == 0    ? &out->actor
                      : strcmp(key, "action") == 0 ? &out->action
                      : strcmp(key, "room") == 0   ? &out->room
                                                   : NULL;
        gint64 n = 0;
        if (text) {
            g_free(*text);
            *text = *v ? g_strdup(v) : NULL;
        } else if (!*v) {
            continue; /* an empty form field: no filter */
        } else if (strcmp(key, "from") == 0 || strcmp(key, "to") == 0) {
            gboolean to = key[0] == 't';
            if (!parse_time(v, to, to ? &out->to : &out->from)) {
                *why = g_strdup_printf("%s: “%s” is neither unix seconds nor an ISO 8601 time", key,
                                       v);
                goto bad;
            }
        } else if (strcmp(key, "before") == 0) {
            if (!parse_int(v, 1, G_MAXINT64, &out->before)) {
                *why = g_strdup_printf("before: “%s” is not a row id", v);
                goto bad;
            }
        } else if (strcmp(key, "limit") == 0) {
            if (!parse_int(v, 1, HN_AUDIT_LIMIT_MAX, &n)) {
                *why = g_strdup_printf("limit: “%s” is not 1-%d", v, HN_AUDIT_LIMIT_MAX);
                goto bad;
            }
            out->limit = (guint)n;
        }
    }
    return TRUE;
bad:
    hn_audit_filter_clear(out);
    return FALSE;
}

/* "2026-12-05T08:30:00+07:00" in the server's time zone. transfer full. */
static char *iso_time(gint64 t)
{
    GDateTime *dt = g_date_time_new_from_unix_local(t);
    char *s = dt ? g_date_time_format(dt, "%FT%T%:z") : g_strdup("");
    if (dt)
        g_date_time_unref(dt);
    return s;
}

json_t *hn_audit_json(const GArray *rows, gboolean more)
{
    json_t *arr = json_array();
    for (guint i = 0; i < rows->len; i++) {
        const HnAuditRow *r = &g_array_index(rows, HnAuditRow, i);
        g_autofree char *iso = iso_time(r->time);
        json_array_append_new(arr, json_pack("{s:I, s:I, s:s, s:s?, s:s?, s:s?, s:s?}", "id",
                                             (json_int_t)r->id, "time", (json_int_t)r->time,
                                             "time_iso", iso, "actor", r->actor, "action",
                                             r->action, "room", r->room, "detail", r->detail));
    }
    json_t *next = more && rows->len
                       ? json_integer(g_array_index(rows, HnAuditRow, rows->len - 1).id)
                       : json_null();
    return json_pack("{s:o, s:o}", "rows", arr, "next_before", next);
}

void hn_audit_csv_field(GString *out, const char *value)
{
    if (!value || !*value)
        return;
    gboolean formula = strchr("=+-@\t\r", value[0]) != NULL;
    gboolean quote = formula || strpbrk(value, ",\"\r\n") != NULL;
    if (quote)
        g_string_append_c(out, '"');
    if (formula)
        g_string_append_c(out, '\'');
    for (const char *p = value; *p; p++) {
        if (*p == '"')
            g_string_append_c(out, '"');
        g_string_append_c(out, *p);
    }
    if (quote)
        g_string_append_c(out, '"');
}

GString *hn_audit_csv(const GArray *rows)
{
    GString *out = g_string_new("\xEF\xBB\xBF"
                                "id,time,actor,action,room,detail\r\n");
    for (guint i = 0; i < rows->len; i++) {
        const HnAuditRow *r = &g_array_index(rows, HnAuditRow, i);
        g_autofree char *iso = iso_time(r->time);
        g_string_append_printf(out, "%" G_GINT64_FORMAT ",%s,", r->id, iso);
        hn_audit_csv_field(out, r->actor);
        g_string_append_c(out, ',');
        hn_audit_csv_field(out, r->action);
        g_string_append_c(out, ',');
        hn_audit_csv_field(out, r->room);
        g_string_append_c(out, ',');
        hn_audit_csv_field(out, r->detail);
        g_string_append(out, "\r\n");
    }
    return out;
}
