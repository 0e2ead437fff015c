/* minutes.json and minutes.html of a meeting (see minutes.h, docs/minutes.md). */
#include "meeting/minutes.h"

#include <string.h>

#include "meeting/attendance.h"

#define DEF(x, d) ((x) && *(x) ? (x) : (d))

void hn_minutes_clock(gint64 ms, char buf[9])
{
    GDateTime *dt = g_date_time_new_from_unix_local(ms / 1000);
    if (!dt) {
        g_strlcpy(buf, "00:00:00", 9);
        return;
    }
    g_snprintf(buf, 9, "%02d:%02d:%02d", g_date_time_get_hour(dt), g_date_time_get_minute(dt),
               g_date_time_get_second(dt));
    g_date_time_unref(dt);
}

static json_t *clock_json(gint64 ms)
{
    char b[9];
    if (ms <= 0)
        return json_null();
    hn_minutes_clock(ms, b);
    return json_string(b);
}

/* ISO 8601 with the local offset ("2026-12-05T08:02:11+07:00"), or null for 0. */
static json_t *iso_json(gint64 unix_s)
{
    if (unix_s <= 0)
        return json_null();
    GDateTime *dt = g_date_time_new_from_unix_local(unix_s);
    if (!dt)
        return json_null();
    char *s = g_date_time_format(dt, "%Y-%m-%dT%H:%M:%S%:z");
    g_date_time_unref(dt);
    json_t *j = json_string(s ? s : "");
    g_free(s);
    return j;
}

static json_t *str_or_null(const char *s)
{
    return s && *s ? json_string(s) : json_null();
}

gboolean hn_minutes_kind_valid(const char *kind)
{
    return kind && (strcmp(kind, "opinion") == 0 || strcmp(kind, "conclusion") == 0 ||
                    strcmp(kind, "decision") == 0);
}

static const char *jstr(const json_t *o, const char *key)
{
    return json_string_value(json_object_get(o, key));
}

static gint64 jint(const json_t *o, const char *key)
{
    return (gint64)json_integer_value(json_object_get(o, key));
}

/* {id}, {code} and {year} of the number format. */
static char *number_text(const HnMinutesConfig *cfg, const HnMinutesInput *in)
{
    const char *fmt = DEF(cfg->number_format, "{id}/BB-{code}");
    GString *s = g_string_new(NULL);
    for (const char *p = fmt; *p; p++) {
        if (g_str_has_prefix(p, "{id}")) {
            g_string_append_printf(s, "%" G_GINT64_FORMAT, in->id);
            p += 3;
        } else if (g_str_has_prefix(p, "{code}")) {
            g_string_append(s, DEF(cfg->agency_code, "VP"));
            p += 5;
        } else if (g_str_has_prefix(p, "{year}")) {
            GDateTime *dt = g_date_time_new_from_unix_local(in->started_ms / 1000);
            g_string_append_printf(s, "%d", dt ? g_date_time_get_year(dt) : 1970);
            if (dt)
                g_date_time_unref(dt);
            p += 5;
        } else
            g_string_append_c(s, *p);
    }
    return g_string_free(s, FALSE);
}

/* The attendance model fed from the invitations, the reasons and the joins/leaves of events. */
static HnAttendance *attendance_of(const HnMinutesInput *in)
{
    HnAttendance *a = hn_attendance_new();
    size_t i;
    json_t *v;
    json_array_foreach(in->sites, i, v) hn_attendance_invite_site(a, json_string_value(v));
    json_array_foreach(in->invited, i, v)
        hn_attendance_invite_person(a, jstr(v, "name"), jstr(v, "site"));
    json_array_foreach(in->events, i, v)
    {
        const char *type = jstr(v, "type"), *pid = jstr(v, "participant");
        json_t *d = json_object_get(v, "data");
        if (!type || !pid)
            continue;
        if (strcmp(type, "participant.joined") == 0)
            hn_attendance_join(a, pid, DEF(jstr(d, "name"), pid), jstr(d, "role"), jstr(d, "sub"),
                               jstr(d, "site"), jint(v, "time"));
        else if (strcmp(type, "participant.left") == 0)
            hn_attendance_leave(a, pid, jint(v, "time"));
    }
    json_array_foreach(in->absent, i, v)
    {
        const char *kind = jstr(v, "kind");
        hn_attendance_reason(a, kind && strcmp(kind, "site") == 0, jstr(v, "name"),
                             jstr(v, "reason"));
    }
    hn_attendance_finish(a, in->ended_ms);
    return a;
}

static json_t *entry_json(const HnAttendEntry *e, gboolean person)
{
    json_t *iv = json_array(), *ivms = json_array();
    for (guint k = 0; k < e->intervals->len; k++) {
        const HnAttendInterval *x = &g_array_index(e->intervals, HnAttendInterval, k);
        json_array_append_new(iv,
                              json_pack("[oo]", clock_json(x->start_ms), clock_json(x->end_ms)));
        json_array_append_new(ivms,
                              json_pack("[II]", (json_int_t)x->start_ms, (json_int_t)x->end_ms));
    }
    json_t *o =
        json_pack("{s:s, s:s, s:o, s:o, s:o, s:I}", "name", e->name, "state",
                  hn_attend_state_name(e->state), "reason", str_or_null(e->reason), "intervals", iv,
                  "intervals_ms", ivms, "presence_s", (json_int_t)(e->presence_ms / 1000));
    if (person) {
        json_object_set_new(o, "role", str_or_null(e->role));
        json_object_set_new(o, "site", str_or_null(e->site));
    }
    return o;
}

/* The name of the first participant who joined with role, or NULL. transfer none. */
static const char *first_with_role(const json_t *events, const char *role)
{
    size_t i;
    json_t *v;
    json_array_foreach(events, i, v)
    {
        json_t *d = json_object_get(v, "data");
        const char *type = jstr(v, "type"), *r = jstr(d, "role");
        if (type && strcmp(type, "participant.joined") == 0 && r && strcmp(r, role) == 0)
            return jstr(d, "name");
    }
    return NULL;
}

static json_t *agenda_json(const HnMinutesInput *in)
{
    size_t n = json_array_size(in->agenda), i;
    json_t *v;
    json_array_foreach(in->notes, i, v)
    {
        json_int_t item = json_integer_value(json_object_get(v, "item"));
        if (item > 0 && item <= 1000 && (size_t)item > n)
            n = (size_t)item;
    }
    json_t *items = json_array();
    gboolean general = FALSE;
    json_array_foreach(in->notes, i, v)
    {
        if (json_integer_value(json_object_get(v, "item")) <= 0)
            general = TRUE;
    }
    for (size_t k = 0; k <= n; k++) {
        if (k == 0 && !general)
            continue;
        const char *title =
            k == 0 ? "Nội dung khác" : json_string_value(json_array_get(in->agenda, k - 1));
        char *fallback = title ? NULL : g_strdup_printf("Nội dung %zu", k);
        json_t *op = json_array(), *co = json_array(), *de = json_array();
        json_array_foreach(in->notes, i, v)
        {
            json_int_t item = json_integer_value(json_object_get(v, "item"));
            if ((k == 0 && item > 0) || (k > 0 && item != (json_int_t)k))
                continue;
            const char *kind = DEF(jstr(v, "kind"), "opinion"), *text = jstr(v, "text");
            if (!text)
                continue;
            if (strcmp(kind, "conclusion") == 0)
                json_array_append_new(co, json_string(text));
            else if (strcmp(kind, "decision") == 0)
                json_array_append_new(de, json_string(text));
            else
                json_array_append_new(
                    op, json_pack("{s:o, s:s}", "who", str_or_null(jstr(v, "who")), "text", text));
        }
        json_array_append_new(items, json_pack("{s:I, s:s, s:o, s:o, s:o}", "n", (json_int_t)k,
                                               "title", title ? title : fallback, "opinions", op,
                                               "conclusions", co, "decisions", de));
        g_free(fallback);
    }
    /* the general item (n 0) goes last */
    if (general && json_array_size(items) > 1) {
        json_t *g = json_incref(json_array_get(items, 0));
        json_array_remove(items, 0);
        json_array_append_new(items, g);
    }
    return items;
}

/* A closed vote's line of the minutes from its vote.closed event data. */
static json_t *vote_json(const json_t *ev)
{
    json_t *d = json_object_get(ev, "data");
    json_t *labels = json_object_get(d, "options"), *counts = json_object_get(d, "counts");
    json_t *opts = json_array();
    size_t i;
    json_t *v;
    json_int_t best = -1, ballots = 0;
    const char *best_label = NULL;
    gboolean tie = FALSE;
    json_array_foreach(labels, i, v)
    {
        json_int_t c = json_integer_value(json_array_get(counts, i));
        const char *label = json_string_value(v) ? json_string_value(v) : "";
        json_array_append_new(opts, json_pack("{s:s, s:I}", "label", label, "count", c));
        ballots += c;
        if (c > best) {
            best = c;
            best_label = label;
            tie = FALSE;
        } else if (c == best)
            tie = TRUE;
    }
    json_t *b = json_object_get(d, "ballots");
    if (json_is_integer(b))
        ballots = json_integer_value(b);
    char *result =
        !best_label || ballots == 0 ? g_strdup("Không có phiếu")
        : tie
            ? g_strdup_printf("Không có phương án đa số (%" JSON_INTEGER_FORMAT " phiếu)", ballots)
            : g_strdup_printf("%s %" JSON_INTEGER_FORMAT "/%" JSON_INTEGER_FORMAT, best_label, best,
                              ballots);
    json_t *o =
        json_pack("{s:s, s:b, s:o, s:o, s:o, s:I, s:s}", "question", DEF(jstr(d, "question"), ""),
                  "secret", json_is_true(json_object_get(d, "secret")), "opened",
                  clock_json(jint(d, "opened")), "closed", clock_json(jint(ev, "time")), "options",
                  opts, "ballots", ballots, "result", result);
    g_free(result);
    return o;
}

/* The minutes' line for an event worth a line, or NULL. transfer full. */
static char *event_text(const char *type, const char *actor, const json_t *d)
{
    const char *who = DEF(actor, "Hệ thống"), *target = DEF(jstr(d, "target"), "");
    if (strcmp(type, "meeting.started") == 0)
        return g_strdup("Cuộc họp bắt đầu");
    if (strcmp(type, "meeting.ended") == 0)
        return g_strdup("Cuộc họp kết thúc");
    if (strcmp(type, "presentation.started") == 0)
        return g_strdup_printf("%s trình chiếu màn hình", who);
    if (strcmp(type, "presentation.stopped") == 0)
        return g_strdup_printf("%s dừng trình chiếu", who);
    if (strcmp(type, "recording.started") == 0)
        return g_strdup_printf("Bắt đầu ghi hình (%s)", who);
    if (strcmp(type, "recording.stopped") == 0)
        return g_strdup_printf("Dừng ghi hình (%s)", who);
    if (strcmp(type, "vote.opened") == 0)
        return g_strdup_printf("%s mở biểu quyết: %s", who, DEF(jstr(d, "question"), ""));
    if (strcmp(type, "vote.closed") == 0)
        return g_strdup_printf("Kết thúc biểu quyết: %s", DEF(jstr(d, "question"), ""));
    if (g_str_has_prefix(type, "moderation.")) {
        const char *what = type + strlen("moderation.");
        const char *kind = DEF(jstr(d, "kind"), "audio");
        gboolean video = strcmp(kind, "video") == 0;
        const char *dev = video ? "camera" : "micrô";
        if (strcmp(what, "mute") == 0)
            return g_strdup_printf("%s tắt %s của %s", who, dev, target);
        if (strcmp(what, "allow-unmute") == 0)
            return g_strdup_printf("%s cho phép %s bật %s", who, target, dev);
        if (strcmp(what, "ask-unmute") == 0)
            return g_strdup_printf("%s đề nghị %s bật %s", who, target, dev);
        if (strcmp(what, "mute-all") == 0)
            return g_strdup_printf("%s tắt %s của tất cả đại biểu", who, dev);
        if (strcmp(what, "remove") == 0)
            return g_strdup_printf("%s mời %s rời cuộc họp", who, target);
        if (strcmp(what, "lock") == 0)
            return g_strdup_printf("%s khóa phòng họp", who);
        if (strcmp(what, "unlock") == 0)
            return g_strdup_printf("%s mở khóa phòng họp", who);
        if (strcmp(what, "give-floor") == 0)
            return g_strdup_printf("%s mời %s phát biểu", who, target);
        if (strcmp(what, "grant-chair") == 0)
            return g_strdup_printf("%s giao quyền điều hành cho %s", who, target);
        if (strcmp(what, "revoke-chair") == 0)
            return g_strdup_printf("%s thu hồi quyền điều hành của %s", who, target);
        if (strcmp(what, "stop-share") == 0)
            return g_strdup_printf("%s dừng trình chiếu của %s", who, target);
        if (strcmp(what, "end") == 0)
            return g_strdup_printf("%s kết thúc cuộc họp", who);
        return NULL; /* hands: not worth a line */
    }
    return NULL;
}

json_t *hn_minutes_build(const HnMinutesConfig *cfg, const HnMinutesInput *in)
{
    HnAttendance *a = attendance_of(in);
    json_t *sites = json_array(), *people = json_array(), *votes = json_array(),
           *events = json_array();
    for (guint i = 0; i < hn_attendance_n_sites(a); i++)
        json_array_append_new(sites, entry_json(hn_attendance_site(a, i), FALSE));
    for (guint i = 0; i < hn_attendance_n_people(a); i++)
        json_array_append_new(people, entry_json(hn_attendance_person(a, i), TRUE));
    hn_attendance_free(a);

    size_t i;
    json_t *v;
    json_array_foreach(in->events, i, v)
    {
        const char *type = jstr(v, "type");
        if (!type)
            continue;
        if (strcmp(type, "vote.closed") == 0)
            json_array_append_new(votes, vote_json(v));
        char *text = event_text(type, jstr(v, "actor"), json_object_get(v, "data"));
        if (text)
            json_array_append_new(
                events, json_pack("{s:o, s:s}", "time", clock_json(jint(v, "time")), "text", text));
        g_free(text);
    }

    const char *chair = DEF(in->chair, first_with_role(in->events, "chair"));
    const char *secretary = DEF(in->secretary, first_with_role(in->events, "secretary"));
    char *number = number_text(cfg, in);
    GDateTime *dt = g_date_time_new_from_unix_local(in->started_ms / 1000);
    char *date = dt ? g_date_time_format(dt, "%Y-%m-%d") : g_strdup("1970-01-01");
    if (dt)
        g_date_time_unref(dt);
    json_t *recordings = json_array();
    json_array_foreach(in->recordings, i, v) json_array_append_new(
        recordings, json_pack("{s:s, s:I, s:s}", "file", DEF(jstr(v, "file"), ""), "bytes",
                              (json_int_t)jint(v, "bytes"), "sha256", DEF(jstr(v, "sha256"), "")));

    json_t *m =
        json_pack("{s:i, s:b, s:i, s:{s:s, s:s, s:s, s:s}, s:s, s:s}", "version", HN_MINUTES_SCHEMA,
                  "draft", 1, "minutes_version", in->minutes_version > 0 ? in->minutes_version : 1,
                  "agency", "parent", DEF(cfg->agency_parent, "ỦY BAN NHÂN DÂN TỈNH"), "name",
                  DEF(cfg->agency_name, "VĂN PHÒNG"), "code", DEF(cfg->agency_code, "VP"), "place",
                  DEF(cfg->agency_place, ""), "number", number, "date", date);
    json_object_set_new(
        m, "meeting",
        json_pack("{s:I, s:s, s:s, s:o, s:o, s:o, s:o, s:o, s:o, s:b}", "id", (json_int_t)in->id,
                  "room", DEF(in->room, ""), "title", DEF(in->title, ""), "summary",
                  str_or_null(in->summary), "place", str_or_null(DEF(in->place, cfg->agency_place)),
                  "scheduled_start", iso_json(in->scheduled_start_s), "scheduled_end",
                  iso_json(in->scheduled_end_s), "started", iso_json(in->started_ms / 1000),
                  "ended", iso_json(in->ended_ms / 1000), "confidential", in->confidential));
    /* additions to the schema: the exact times, for machines and the archive folder's date */
    json_object_set_new(json_object_get(m, "meeting"), "started_ms", json_integer(in->started_ms));
    json_object_set_new(json_object_get(m, "meeting"), "ended_ms", json_integer(in->ended_ms));
    json_object_set_new(m, "chair",
                        json_pack("{s:o, s:o}", "name", str_or_null(chair), "title",
                                  str_or_null(cfg->chair_title)));
    json_object_set_new(m, "secretary",
                        json_pack("{s:o, s:o}", "name", str_or_null(secretary), "title",
                                  str_or_null(cfg->secretary_title)));
    json_object_set_new(m, "sites", sites);
    json_object_set_new(m, "attendance", people);
    json_object_set_new(m, "agenda", agenda_json(in));
    json_object_set_new(m, "votes", votes);
    json_object_set_new(m, "events", events);
    json_object_set_new(m, "recordings", recordings);
    json_object_set_new(m, "signature",
                        json_pack("{s:o, s:s}", "signer", str_or_null(chair), "title", "CHỦ TỌA"));
    json_object_set_new(
        m, "secretary_signature",
        json_pack("{s:o, s:s}", "signer", str_or_null(secretary), "title", "THƯ KÝ"));
    json_object_set_new(m, "recipients", json_pack("[ss]", "Như trên;", "Lưu: VT."));
    g_free(number);
    g_free(date);
    return m;
}

/* TRUE when s is a string of 1..max code points of valid UTF-8 (empty_ok: 0 allowed). */
static gboolean text_ok(const json_t *s, glong max, gboolean empty_ok)
{
    const char *t = json_string_value(s);
    if (!t || !g_utf8_validate(t, -1, NULL))
        return FALSE;
    glong n = g_utf8_strlen(t, -1);
    return n <= max && (empty_ok || n > 0);
}

static gboolean string_list_ok(const json_t *a)
{
    if (!a)
        return TRUE;
    if (!json_is_array(a) || json_array_size(a) > 200)
        return FALSE;
    size_t i;
    json_t *v;
    json_array_foreach(a, i, v) if (!text_ok(v, HN_MINUTES_TEXT_MAX, FALSE)) return FALSE;
    return TRUE;
}

/* The edited agenda (validated) or NULL + *why. */
static json_t *edit_agenda(const json_t *items, const char **why)
{
    if (!json_is_array(items) || json_array_size(items) > 100) {
        *why = "agenda must be an array of at most 100 items";
        return NULL;
    }
    json_t *out = json_array();
    size_t i, k;
    json_t *it, *op;
    json_array_foreach(items, i, it)
    {
        json_t *ops = json_object_get(it, "opinions");
        if (!json_is_object(it) || !text_ok(json_object_get(it, "title"), 500, FALSE) ||
            !string_list_ok(json_object_get(it, "conclusions")) ||
            !string_list_ok(json_object_get(it, "decisions")) ||
            (ops && (!json_is_array(ops) || json_array_size(ops) > 500))) {
            *why = "every agenda item needs a title (1-500 characters) and lists of at most 200 "
                   "texts (1-4000 characters)";
            json_decref(out);
            return NULL;
        }
        json_t *opinions = json_array();
        json_array_foreach(ops, k, op)
        {
            json_t *who = json_object_get(op, "who");
            if (!json_is_object(op) ||
                !text_ok(json_object_get(op, "text"), HN_MINUTES_TEXT_MAX, FALSE) ||
                (who && !json_is_null(who) && !text_ok(who, 200, TRUE))) {
                *why = "an opinion is {\"who\": name or null, \"text\": 1-4000 characters}";
                json_decref(opinions);
                json_decref(out);
                return NULL;
            }
            json_array_append_new(opinions, json_pack("{s:O, s:O}", "who", who ? who : json_null(),
                                                      "text", json_object_get(op, "text")));
        }
        json_t *n = json_object_get(it, "n");
        json_t *co = json_object_get(it, "conclusions"), *de = json_object_get(it, "decisions");
        json_array_append_new(
            out, json_pack("{s:I, s:O, s:o, s:o, s:o}", "n",
                           json_is_integer(n) ? json_integer_value(n) : (json_int_t)(i + 1),
                           "title", json_object_get(it, "title"), "opinions", opinions,
                           "conclusions", co ? json_deep_copy(co) : json_array(), "decisions",
                           de ? json_deep_copy(de) : json_array()));
    }
    return out;
}

/* Sets the reason of whoever is called name in list, if they never came. */
static void set_reason(json_t *list, const char *name, const json_t *reason)
{
    size_t i;
    json_t *e;
    json_array_foreach(list, i, e)
    {
        const char *state = jstr(e, "state"), *n = jstr(e, "name");
        if (!n || strcmp(n, name) != 0 || !state || g_str_has_prefix(state, "present_"))
            continue;
        gboolean has = json_string_value(reason) && *json_string_value(reason);
        json_object_set_new(e, "reason",
                            has ? json_string(json_string_value(reason)) : json_null());
        json_object_set_new(e, "state", json_string(has ? "absent" : "not_checked_in"));
    }
}

json_t *hn_minutes_edit(const json_t *minutes, const json_t *edit, const char **why)
{
    static const char *const known[] = {"summary", "agenda", "reasons", NULL};
    const char *key;
    json_t *val;
    if (!json_is_object(minutes) || !json_is_object(edit)) {
        *why = "the edit must be a JSON object";
        return NULL;
    }
    json_object_foreach((json_t *)edit, key, val)
    {
        if (!g_strv_contains(known, key)) {
            *why = "unknown field (known: summary, agenda, reasons)";
            return NULL;
        }
    }
    json_t *summary = json_object_get(edit, "summary"), *reasons = json_object_get(edit, "reasons");
    if (summary && !json_is_null(summary) && !text_ok(summary, 2000, TRUE)) {
        *why = "summary must be a text of at most 2000 characters";
        return NULL;
    }
    if (reasons && (!json_is_array(reasons) || json_array_size(reasons) > 1000)) {
        *why = "reasons must be an array";
        return NULL;
    }
    size_t i;
    json_t *r;
    json_array_foreach(reasons, i, r)
    {
        const char *kind = jstr(r, "kind");
        json_t *reason = json_object_get(r, "reason");
        if (!json_is_object(r) || !kind || (strcmp(kind, "site") && strcmp(kind, "person")) ||
            !text_ok(json_object_get(r, "name"), 200, FALSE) ||
            (reason && !json_is_null(reason) && !text_ok(reason, HN_MINUTES_TEXT_MAX, TRUE))) {
            *why = "a reason is {\"kind\": \"site\" or \"person\", \"name\", \"reason\": text or "
                   "null}";
            return NULL;
        }
    }
    json_t *agenda = NULL;
    if (json_object_get(edit, "agenda") &&
        !(agenda = edit_agenda(json_object_get(edit, "agenda"), why)))
        return NULL;

    json_t *m = json_deep_copy(minutes);
    if (agenda)
        json_object_set_new(m, "agenda", agenda);
    if (summary)
        json_object_set_new(json_object_get(m, "meeting"), "summary",
                            json_is_string(summary) && *json_string_value(summary)
                                ? json_incref(summary)
                                : json_null());
    json_array_foreach(reasons, i, r)
    {
        gboolean site = strcmp(jstr(r, "kind"), "site") == 0;
        set_reason(json_object_get(m, site ? "sites" : "attendance"), jstr(r, "name"),
                   json_object_get(r, "reason"));
    }
    json_object_set_new(m, "draft", json_true());
    json_object_set_new(
        m, "minutes_version",
        json_integer(json_integer_value(json_object_get(minutes, "minutes_version")) + 1));
    return m;
}
