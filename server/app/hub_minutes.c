/* The minutes on the hub: drafts when meetings end, the secretary's panel (see hub_minutes.h). */
#include "app/hub_minutes.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <string.h>

#include "app/api_minutes.h"
#include "app/hub_archive.h"
#include "app/hub_meeting.h"
#include "meeting/minutes.h"
#include "meeting/minutes_pdf.h"
#include "record/archive_index.h"
#include "record/hnr.h"
#include "store/db_events.h"
#include "store/db_minutes.h"
#include "store/db_rooms.h"

#define CATCH_UP_MAX 100 /* ended meetings without minutes drafted at start */

struct HnHubMinutes {
    guint64 drafted, failed;
    GThreadPool *pdf;        /* one thread: renders and signs minutes.pdf (off the main loop) */
    gboolean said_no_signer; /* "signing is not configured" logged once */
};

static gint64 now_ms(void)
{
    return g_get_real_time() / 1000;
}

gboolean hn_minutes_role_may_edit(const char *role)
{
    return role && (strcmp(role, "secretary") == 0 || strcmp(role, "chair") == 0);
}

gboolean hn_minutes_role_may_approve(const HnConfig *cfg, const char *role)
{
    return role && (strcmp(role, "chair") == 0 ||
                    (cfg->minutes_approver_secretary && strcmp(role, "secretary") == 0));
}

/* --- building (store thread) --------------------------------------------------------------- */

static gboolean write_atomic(const char *path, const char *text, GError **error)
{
    return g_file_set_contents_full(
        path, text, -1, G_FILE_SET_CONTENTS_CONSISTENT | G_FILE_SET_CONTENTS_DURABLE, 0640, error);
}

gboolean hn_minutes_files_write(const char *data_dir, const json_t *m, char **dir_out,
                                GError **error)
{
    const json_t *mt = json_object_get(m, "meeting");
    gint64 id = json_integer_value(json_object_get(mt, "id"));
    gint64 started = json_integer_value(json_object_get(mt, "started_ms"));
    int version = (int)json_integer_value(json_object_get(m, "minutes_version"));
    g_autofree char *base = hn_archive_meeting_dir(data_dir, id, started);
    g_autofree char *sub = g_strdup_printf("v%d", version);
    g_autofree char *dir = g_build_filename(base, "minutes", sub, NULL);
    if (g_mkdir_with_parents(dir, 0750) != 0) {
        g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(errno), "%s: %s", dir,
                    g_strerror(errno));
        return FALSE;
    }
    g_autofree char *text = json_dumps(m, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    g_autofree char *html = hn_minutes_html(m);
    g_autofree char *pj = g_build_filename(dir, "minutes.json", NULL);
    g_autofree char *ph = g_build_filename(dir, "minutes.html", NULL);
    if (!text || !write_atomic(ph, html, error) || !write_atomic(pj, text, error)) {
        if (!text)
            g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_NOMEM, "minutes.json: out of memory");
        return FALSE;
    }
    if (dir_out)
        *dir_out = g_steal_pointer(&dir);
    return TRUE;
}

/* The event rows of a meeting as minutes.h wants them. transfer full. */
static json_t *events_json(GArray *rows, gint64 *started, gint64 *ended)
{
    json_t *arr = json_array();
    for (guint i = 0; rows && i < rows->len; i++) {
        const HnDbEvent *e = &g_array_index(rows, HnDbEvent, i);
        json_t *data = e->data ? json_loads(e->data, 0, NULL) : NULL;
        if (!json_is_object(data)) {
            json_decref(data);
            data = json_object();
        }
        if (strcmp(e->type, "meeting.started") == 0 && !*started)
            *started = e->time_ms;
        if (strcmp(e->type, "meeting.ended") == 0)
            *ended = e->time_ms;
        json_array_append_new(arr,
                              json_pack("{s:I, s:s, s:s?, s:s?, s:o}", "time",
                                        (json_int_t)e->time_ms, "type", e->type, "actor", e->actor,
                                        "participant", e->participant, "data", data));
    }
    if (!*ended && rows && rows->len)
        *ended = g_array_index(rows, HnDbEvent, rows->len - 1).time_ms;
    return arr;
}

/* The recordings of the meeting's manifest.json (its "files"), or an empty array. */
static json_t *recordings_json(const char *data_dir, gint64 id, gint64 started_ms)
{
    g_autofree char *base = hn_archive_meeting_dir(data_dir, id, started_ms);
    g_autofree char *path = g_build_filename(base, "manifest.json", NULL);
    json_t *man = json_load_file(path, 0, NULL);
    json_t *files = json_object_get(man, "files");
    json_t *out = json_is_array(files) ? json_deep_copy(files) : json_array();
    json_decref(man);
    return out;
}

json_t *hn_minutes_build_from_store(HnDb *db, const HnConfig *cfg, gint64 meeting, int version,
                                    GError **error)
{
    HnDbMeeting row = {0};
    if (!hn_db_meeting_get(db, meeting, &row)) {
        g_set_error(error, HN_DB_ERROR, HN_DB_ERROR_NOT_FOUND, "no meeting %" G_GINT64_FORMAT,
                    meeting);
        return NULL;
    }
    GArray *rows = hn_db_event_list(db, meeting, NULL);
    gint64 started = 0, ended = 0;
    json_t *events = events_json(rows, &started, &ended);
    if (rows)
        g_array_unref(rows);
    if (!started)
        started = row.started > 0 ? row.started * 1000 : row.starts * 1000;
    if (row.ended > 0 && (!ended || row.ended * 1000 < ended - 1000))
        ended = row.ended * 1000; /* the API's end */
    if (!ended)
        ended = started;
    json_t *details = hn_db_meeting_details_get(db, meeting);
    json_t *sites = json_array();
    for (guint i = 0; row.sites && row.sites[i]; i++)
        json_array_append_new(sites, json_string(row.sites[i]));
    HnMinutesConfig mc = {
        .agency_parent = cfg->minutes_agency_parent,
        .agency_name = cfg->minutes_agency_name,
        .agency_code = cfg->minutes_agency_code,
        .agency_place = cfg->minutes_place,
        .number_format = cfg->minutes_number_format,
        .chair_title = cfg->minutes_chair_title,
        .secretary_title = cfg->minutes_secretary_title,
    };
    HnMinutesInput in = {
        .id = meeting,
        .room = row.room,
        .title = row.title,
        .summary = json_string_value(json_object_get(details, "summary")),
        .place = json_string_value(json_object_get(details, "place")),
        .scheduled_start_s = row.starts,
        .scheduled_end_s = row.ends,
        .started_ms = started,
        .ended_ms = ended,
        .chair = row.chair,
        .secretary = row.secretary,
        .agenda = json_object_get(details, "agenda"),
        .invited = json_object_get(details, "invited"),
        .sites = sites,
        .notes = hn_db_minutes_notes(db, meeting),
        .absent = hn_db_minutes_absent(db, meeting),
        .events = events,
        .recordings = recordings_json(cfg->data_dir, meeting, started),
        .minutes_version = version,
    };
    json_t *m = hn_minutes_build(&mc, &in);
    json_decref(in.notes);
    json_decref(in.absent);
    json_decref(in.recordings);
    json_decref(events);
    json_decref(sites);
    json_decref(details);
    hn_db_meeting_clear(&row);
    return m;
}

/* --- minutes.pdf (the PDF thread) -------------------------------------------------------------
 * A draft's minutes.pdf is rendered when it is written (v1 at the meeting's end: minutes.ready
 * follows the PDF; an edited version: after minutes.edited). An approved version's is rendered
 * and, with [minutes] p12, signed; the version becomes `signed` and minutes.signed follows. */

typedef enum { PDF_READY, PDF_EDITED, PDF_APPROVED } PdfKind;

typedef struct {
    HnHub *hub;
    PdfKind kind;
    gint64 meeting;
    int version;
    char *room, *dir, *by;
    /* results (PDF thread) */
    char *pdf, *number, *title, *signer;
    gboolean rendered, is_signed;
    GError *error;
} PdfJob;

static void pdf_job_free(gpointer p)
{
    PdfJob *j = p;
    g_free(j->room);
    g_free(j->dir);
    g_free(j->by);
    g_free(j->pdf);
    g_free(j->number);
    g_free(j->title);
    g_free(j->signer);
    g_clear_error(&j->error);
    g_free(j);
}

/* A meeting that was not recorded has no manifest.json, and the archive catalogue (the portal)
 * knows a folder by its manifest: write one from the minutes (no files; the catalogue adds those
 * under minutes/). A recorded meeting's is the recorder's and stays as it is. PDF thread. */
static void manifest_if_none(const char *dir, const json_t *m)
{
    g_autofree char *minutes = g_path_get_dirname(dir);
    g_autofree char *base = g_path_get_dirname(minutes);
    g_autofree char *path = g_build_filename(base, HN_ARCHIVE_MANIFEST, NULL);
    if (g_file_test(path, G_FILE_TEST_EXISTS))
        return;
    const json_t *mt = json_object_get(m, "meeting");
    json_t *people = json_array();
    size_t i;
    json_t *v;
    json_array_foreach(json_object_get(m, "attendance"), i, v)
    {
        const json_t *iv = json_object_get(v, "intervals_ms");
        size_t n = json_array_size(iv);
        if (!json_string_value(json_object_get(v, "name")) || !n)
            continue;
        json_array_append_new(people,
                              json_pack("{s:O, s:O?, s:O, s:O}", "name", json_object_get(v, "name"),
                                        "role", json_object_get(v, "role"), "joined_ms",
                                        json_array_get(json_array_get(iv, 0), 0), "left_ms",
                                        json_array_get(json_array_get(iv, n - 1), 1)));
    }
    json_t *man = json_pack(
        "{s:i, s:O, s:O, s:O?, s:O, s:O, s:s, s:o, s:[]}", "version", 1, "meeting",
        json_object_get(mt, "id"), "room", json_object_get(mt, "room"), "title",
        json_object_get(mt, "title"), "started_ms", json_object_get(mt, "started_ms"), "ended_ms",
        json_object_get(mt, "ended_ms"), "state", "complete", "participants", people, "files");
    g_autofree char *text = man ? json_dumps(man, JSON_INDENT(2) | JSON_PRESERVE_ORDER) : NULL;
    GError *err = NULL;
    if (!text || !write_atomic(path, text, &err)) {
        g_warning("minutes: %s: %s", path, err ? err->message : "the minutes lack its fields");
        g_clear_error(&err);
    }
    json_decref(man);
}

static gboolean pdf_done(gpointer p);

static void pdf_run(gpointer p, gpointer user)
{
    PdfJob *j = p;
    const HnConfig *cfg = j->hub->cfg;
    g_autofree char *path = g_build_filename(j->dir, "minutes.json", NULL);
    json_error_t jerr;
    json_t *m = json_load_file(path, 0, &jerr);
    HnPdfSigner *signer = NULL;
    if (!m) {
        g_set_error(&j->error, G_FILE_ERROR, G_FILE_ERROR_FAILED, "%s: %s", path, jerr.text);
        goto out;
    }
    gint64 now = g_get_real_time() / G_USEC_PER_SEC;
    if (j->kind == PDF_APPROVED && cfg->minutes_p12) {
        signer =
            hn_pdf_signer_load_file(cfg->minutes_p12, cfg->minutes_p12_pw_file, now, &j->error);
        if (!signer)
            goto out;
    }
    j->pdf = g_build_filename(j->dir, "minutes.pdf", NULL);
    j->rendered = hn_minutes_pdf_write(m, j->pdf, signer, now, &j->error);
    manifest_if_none(j->dir, m);
    j->is_signed = j->rendered && signer;
    j->number = g_strdup(json_string_value(json_object_get(m, "number")));
    j->title = g_strdup(json_string_value(json_object_get(json_object_get(m, "meeting"), "title")));
    const char *cn = signer ? hn_pdf_signer_name(signer) : NULL;
    j->signer = g_strdup(cn && *cn ? cn : j->by);
out:
    if (signer)
        hn_pdf_signer_free(signer);
    json_decref(m);
    hn_mailbox_post(hn_worker_pool_home(j->hub->pool), pdf_done, j, pdf_job_free);
}

static void pdf_post(HnHub *hub, PdfKind kind, gint64 meeting, int version, const char *room,
                     const char *dir, const char *by);
static void emit_ready(HnHub *hub, gint64 meeting, const char *room, const char *dir, int version);

/* The meeting folder of a minutes/v<N>/ folder, for the archive catalogue. */
static void index_minutes(HnHub *hub, const char *dir)
{
    HnArchive *a = hn_hub_archive(hub);
    if (!a || !dir)
        return;
    g_autofree char *minutes = g_path_get_dirname(dir);
    g_autofree char *meeting = g_path_get_dirname(minutes);
    hn_archive_index_minutes(a, meeting);
}

static void signed_run(HnDb *db, gpointer p)
{
    PdfJob *j = p;
    hn_db_minutes_mark_signed(db, j->meeting, j->version, &j->error);
}

static gboolean signed_done(gpointer p)
{
    PdfJob *j = p;
    if (j->error) {
        g_warning("minutes: meeting %" G_GINT64_FORMAT " v%d: signed, but not marked: %s",
                  j->meeting, j->version, j->error->message);
        return G_SOURCE_REMOVE;
    }
    g_info("minutes: meeting %" G_GINT64_FORMAT " v%d signed by %s: %s", j->meeting, j->version,
           j->signer, j->pdf);
    json_t *data = json_pack("{s:I, s:i, s:s, s:s?, s:s?, s:s?}", "meeting", (json_int_t)j->meeting,
                             "version", j->version, "pdf", j->pdf, "number", j->number, "title",
                             j->title, "signer", j->signer);
    hn_hub_meeting_event(j->hub, j->room ? j->room : "", "minutes.signed", "system", NULL, data);
    return G_SOURCE_REMOVE;
}

static gboolean pdf_done(gpointer p)
{
    PdfJob *j = p;
    HnHub *hub = j->hub;
    if (!hub->minutes)
        return G_SOURCE_REMOVE;
    if (!j->rendered) {
        hub->minutes->failed++;
        g_warning("minutes: meeting %" G_GINT64_FORMAT " v%d: no minutes.pdf: %s", j->meeting,
                  j->version, j->error ? j->error->message : "?");
    }
    index_minutes(hub, j->dir);
    if (j->kind == PDF_READY)
        emit_ready(hub, j->meeting, j->room, j->dir, j->version);
    if (j->kind != PDF_APPROVED || !j->rendered)
        return G_SOURCE_REMOVE;
    if (!j->is_signed) {
        if (!hub->minutes->said_no_signer)
            g_message("minutes: approved minutes are not signed: [minutes] p12 is not set");
        hub->minutes->said_no_signer = TRUE;
        return G_SOURCE_REMOVE;
    }
    /* the job goes on to the store: the version is signed, then minutes.signed */
    PdfJob *next = g_new0(PdfJob, 1);
    *next = *j;
    memset(j, 0, sizeof *j);
    hn_store_query(hub->store, signed_run, signed_done, hn_worker_pool_home(hub->pool), next,
                   pdf_job_free);
    return G_SOURCE_REMOVE;
}

static void pdf_post(HnHub *hub, PdfKind kind, gint64 meeting, int version, const char *room,
                     const char *dir, const char *by)
{
    PdfJob *j = g_new0(PdfJob, 1);
    j->hub = hub;
    j->kind = kind;
    j->meeting = meeting;
    j->version = version;
    j->room = g_strdup(room);
    j->dir = g_strdup(dir);
    j->by = g_strdup(by);
    g_thread_pool_push(hub->minutes->pdf, j, NULL);
}

/* --- drafts when meetings end ---------------------------------------------------------------- */

typedef struct {
    HnHub *hub;
    gint64 meeting;                    /* 0: the catch-up scan */
    GArray *todo;                      /* catch-up: the meetings drafted */
    GPtrArray *todo_rooms, *todo_dirs; /* catch-up: theirs */
    char *room;                        /* the drafted meeting's room */
    char *dir;                         /* where v1 went */
    gboolean written;
    GError *error;
} Draft;

static void draft_free(gpointer p)
{
    Draft *d = p;
    if (d->todo)
        g_array_unref(d->todo);
    if (d->todo_rooms)
        g_ptr_array_unref(d->todo_rooms);
    if (d->todo_dirs)
        g_ptr_array_unref(d->todo_dirs);
    g_free(d->room);
    g_free(d->dir);
    g_clear_error(&d->error);
    g_free(d);
}

/* Drafts v1 of one meeting unless it has minutes; TRUE when this call wrote them. */
static gboolean draft_one(HnDb *db, const HnConfig *cfg, gint64 meeting, char **room, char **dir,
                          GError **error)
{
    if (hn_db_minutes_latest(db, meeting, NULL, NULL) > 0)
        return FALSE;
    json_t *m = hn_minutes_build_from_store(db, cfg, meeting, 1, error);
    if (!m)
        return FALSE;
    g_autofree char *text = json_dumps(m, JSON_COMPACT | JSON_PRESERVE_ORDER);
    gboolean ok = hn_minutes_files_write(cfg->data_dir, m, dir, error) &&
                  hn_db_minutes_add(db, meeting, 1, text, now_ms() / 1000, NULL, error);
    if (ok && room)
        *room = g_strdup(json_string_value(json_object_get(json_object_get(m, "meeting"), "room")));
    json_decref(m);
    return ok;
}

static void draft_run(HnDb *db, gpointer p)
{
    Draft *d = p;
    const HnConfig *cfg = d->hub->cfg;
    if (d->meeting) {
        d->written = draft_one(db, cfg, d->meeting, &d->room, &d->dir, &d->error);
        return;
    }
    GArray *ids = hn_db_meetings_without_minutes(db, CATCH_UP_MAX, &d->error);
    d->todo = g_array_new(FALSE, FALSE, sizeof(gint64));
    d->todo_rooms = g_ptr_array_new_with_free_func(g_free);
    d->todo_dirs = g_ptr_array_new_with_free_func(g_free);
    for (guint i = 0; ids && i < ids->len; i++) {
        gint64 id = g_array_index(ids, gint64, i);
        GError *e = NULL;
        g_autofree char *room = NULL, *dir = NULL;
        if (draft_one(db, cfg, id, &room, &dir, &e)) {
            g_array_append_val(d->todo, id);
            g_ptr_array_add(d->todo_rooms, g_steal_pointer(&room));
            g_ptr_array_add(d->todo_dirs, g_steal_pointer(&dir));
        } else if (e) {
            g_warning("minutes: meeting %" G_GINT64_FORMAT ": %s", id, e->message);
            g_error_free(e);
        }
    }
    if (ids)
        g_array_unref(ids);
}

/* minutes.ready: an event of the (ended) meeting's room; data names the meeting. */
static void emit_ready(HnHub *hub, gint64 meeting, const char *room, const char *dir, int version)
{
    json_t *data = json_pack("{s:I, s:i, s:s?}", "meeting", (json_int_t)meeting, "version", version,
                             "dir", dir);
    hn_hub_meeting_event(hub, room ? room : "", "minutes.ready", "system", NULL, data);
}

static gboolean draft_done(gpointer p)
{
    Draft *d = p;
    HnHubMinutes *hm = d->hub->minutes;
    if (d->meeting) {
        if (d->written) {
            hm->drafted++;
            g_info("minutes: meeting %" G_GINT64_FORMAT ": draft v1 in %s", d->meeting, d->dir);
            pdf_post(d->hub, PDF_READY, d->meeting, 1, d->room, d->dir, NULL);
        } else if (d->error) {
            hm->failed++;
            g_warning("minutes: meeting %" G_GINT64_FORMAT ": no draft: %s", d->meeting,
                      d->error->message);
        }
    } else if (d->todo) {
        hm->drafted += d->todo->len;
        for (guint i = 0; i < d->todo->len; i++) /* minutes.ready after each one's PDF */
            pdf_post(d->hub, PDF_READY, g_array_index(d->todo, gint64, i), 1,
                     g_ptr_array_index(d->todo_rooms, i), g_ptr_array_index(d->todo_dirs, i), NULL);
        if (d->todo->len)
            g_info("minutes: drafted %u meeting(s) that ended without minutes", d->todo->len);
    }
    return G_SOURCE_REMOVE;
}

static void draft_post(HnHub *hub, gint64 meeting)
{
    Draft *d = g_new0(Draft, 1);
    d->hub = hub;
    d->meeting = meeting;
    hn_store_query(hub->store, draft_run, draft_done, hn_worker_pool_home(hub->pool), d,
                   draft_free);
}

static void on_event(HnHub *hub, const HnMeetingEvent *ev, gpointer user)
{
    if (ev->meeting > 0 && strcmp(ev->type, "meeting.ended") == 0) {
        draft_post(hub, ev->meeting);
        return;
    }
    gboolean approved = strcmp(ev->type, "minutes.approved") == 0;
    if (!approved && strcmp(ev->type, "minutes.edited") != 0)
        return;
    gint64 meeting = json_integer_value(json_object_get(ev->data, "meeting"));
    int version = (int)json_integer_value(json_object_get(ev->data, "version"));
    const char *dir = json_string_value(json_object_get(ev->data, "dir"));
    if (meeting > 0 && version > 0 && dir)
        pdf_post(hub, approved ? PDF_APPROVED : PDF_EDITED, meeting, version, ev->room, dir,
                 json_string_value(json_object_get(ev->data, "by")));
}

void hn_hub_minutes_start(HnHub *hub)
{
    if (!hub->store || hub->minutes)
        return;
    hub->minutes = g_new0(HnHubMinutes, 1);
    hub->minutes->pdf = g_thread_pool_new_full(pdf_run, NULL, pdf_job_free, 1, FALSE, NULL);
    hn_hub_meeting_observe(hub, on_event, NULL);
    draft_post(hub, 0); /* those a crash left without minutes */
    hn_api_minutes_register(hub);
}

void hn_hub_minutes_free(HnHub *hub)
{
    if (hub->minutes && hub->minutes->pdf)
        g_thread_pool_free(hub->minutes->pdf, TRUE, TRUE); /* queued jobs dropped */
    g_clear_pointer(&hub->minutes, g_free);
}

/* --- the secretary's panel ---------------------------------------------------------------------
 */

typedef enum { JOB_GET, JOB_NOTE, JOB_ABSENT } JobKind;

typedef struct {
    JobKind kind;
    HnHub *hub;
    guint64 conn_id;
    char *id_json, *room, *author;
    gint64 meeting, time_ms;
    int item;
    gboolean site;
    char *kind_name, *who, *text; /* note; absent: who = name, text = reason */
    json_t *state;                /* the panel's state after the change */
    GError *error;
} Job;

static void job_free(gpointer p)
{
    Job *j = p;
    g_free(j->id_json);
    g_free(j->room);
    g_free(j->author);
    g_free(j->kind_name);
    g_free(j->who);
    g_free(j->text);
    json_decref(j->state);
    g_clear_error(&j->error);
    g_free(j);
}

static void job_run(HnDb *db, gpointer p)
{
    Job *j = p;
    gboolean ok = TRUE;
    if (j->kind == JOB_NOTE)
        ok = hn_db_minutes_note_add(db, j->meeting, j->item, j->kind_name, j->who, j->text,
                                    j->time_ms, j->author, &j->error) > 0;
    else if (j->kind == JOB_ABSENT)
        ok = hn_db_minutes_absent_set(db, j->meeting, j->site ? "site" : "person", j->who, j->text,
                                      j->time_ms, j->author, &j->error);
    if (!ok)
        return;
    HnDbMeeting row = {0};
    json_t *sites = json_array();
    if (hn_db_meeting_get(db, j->meeting, &row))
        for (guint i = 0; row.sites && row.sites[i]; i++)
            json_array_append_new(sites, json_string(row.sites[i]));
    json_t *d = hn_db_meeting_details_get(db, j->meeting);
    j->state = json_pack("{s:s, s:I, s:s?, s:O, s:O, s:o, s:o, s:o}", "type", "minutes", "meeting",
                         (json_int_t)j->meeting, "title", row.title, "agenda",
                         json_object_get(d, "agenda"), "invited", json_object_get(d, "invited"),
                         "sites", sites, "notes", hn_db_minutes_notes(db, j->meeting), "absent",
                         hn_db_minutes_absent(db, j->meeting));
    json_decref(d);
    hn_db_meeting_clear(&row);
}

static gboolean may_minute(const HnHubConn *c)
{
    return c->role == HN_ROLE_SECRETARY || hn_hub_conn_may_chair(c);
}

static gboolean job_done(gpointer p)
{
    Job *j = p;
    HnHub *hub = j->hub;
    static const char *const refs[] = {"minutes-get", "minutes-note", "minutes-absent"};
    if (!j->state) {
        g_warning("minutes: %s: %s", refs[j->kind], j->error ? j->error->message : "?");
        if (hn_hub_conn(hub, j->conn_id))
            hn_hub_send(hub, j->conn_id,
                        hn_proto_attach_id(hn_proto_build_error(HN_PROTO_ERR_INTERNAL,
                                                                "the note was not saved: try again",
                                                                refs[j->kind]),
                                           j->id_json));
        return G_SOURCE_REMOVE;
    }
    if (j->kind != JOB_GET) {
        if (hn_hub_conn(hub, j->conn_id))
            hn_hub_send(hub, j->conn_id,
                        hn_proto_attach_id(hn_proto_build_ack(refs[j->kind]), j->id_json));
        json_t *data = j->kind == JOB_NOTE
                           ? json_pack("{s:i, s:s, s:s?, s:s}", "item", j->item, "kind",
                                       j->kind_name, "who", j->who, "text", j->text)
                           : json_pack("{s:s, s:s, s:s?}", "kind", j->site ? "site" : "person",
                                       "name", j->who, "reason", j->text);
        hn_hub_meeting_event(hub, j->room, j->kind == JOB_NOTE ? "minutes.note" : "minutes.absent",
                             j->author, NULL, data);
    }
    /* the panel's state: to the asker, or after a change to every secretary and chair there */
    g_autofree char *text = json_dumps(j->state, JSON_COMPACT);
    GHashTableIter it;
    gpointer v;
    g_hash_table_iter_init(&it, hub->conns);
    while (text && g_hash_table_iter_next(&it, NULL, &v)) {
        HnHubConn *c = v;
        gboolean to = j->kind == JOB_GET
                          ? c->id == j->conn_id
                          : c->room && strcmp(c->room->name, j->room) == 0 && may_minute(c);
        if (to)
            hn_hub_send(hub, c->id,
                        j->kind == JOB_GET ? hn_proto_attach_id(g_strdup(text), j->id_json)
                                           : g_strdup(text));
    }
    return G_SOURCE_REMOVE;
}

gboolean hn_hub_minutes_message(HnHub *hub, HnHubConn *c, const HnProtoMsg *m)
{
    JobKind kind;
    switch (m->type) {
    case HN_PROTO_MSG_MINUTES_GET:
        kind = JOB_GET;
        break;
    case HN_PROTO_MSG_MINUTES_NOTE:
        kind = JOB_NOTE;
        break;
    case HN_PROTO_MSG_MINUTES_ABSENT:
        kind = JOB_ABSENT;
        break;
    default:
        return FALSE;
    }
    const char *ref = hn_proto_msg_type_name(m->type);
    if (!may_minute(c)) {
        hn_hub_reply_error(hub, c->id, HN_PROTO_ERR_FORBIDDEN,
                           "only the secretary or a chair keeps the minutes", ref, m);
        return TRUE;
    }
    gint64 meeting = hub->store ? hn_hub_meeting_id(hub, c->room->name) : 0;
    if (meeting <= 0) {
        hn_hub_reply_error(hub, c->id, HN_PROTO_ERR_BAD_STATE,
                           hub->store ? "the meeting is starting: try again in a moment"
                                      : "this server keeps no minutes (no store)",
                           ref, m);
        return TRUE;
    }
    Job *j = g_new0(Job, 1);
    j->kind = kind;
    j->hub = hub;
    j->conn_id = c->id;
    j->id_json = g_strdup(m->id_json);
    j->room = g_strdup(c->room->name);
    j->author = g_strdup(c->sub ? c->sub : c->name);
    j->meeting = meeting;
    j->time_ms = now_ms();
    if (kind == JOB_NOTE) {
        j->item = m->u.minutes_note.item;
        j->kind_name = g_strdup(m->u.minutes_note.kind);
        j->who = g_strdup(m->u.minutes_note.who);
        j->text = g_strdup(m->u.minutes_note.text);
    } else if (kind == JOB_ABSENT) {
        j->site = m->u.minutes_absent.site;
        j->who = g_strdup(m->u.minutes_absent.name);
        j->text = g_strdup(m->u.minutes_absent.reason);
    }
    hn_store_query(hub->store, job_run, job_done, hn_worker_pool_home(hub->pool), j, job_free);
    return TRUE;
}
