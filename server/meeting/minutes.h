/* The minutes (biên bản) of a meeting: minutes.json (docs/minutes.md, schema version 1) built from
 * the meeting's row, its event log, the secretary's notes and absence reasons, and minutes.html
 * rendered from that JSON (escaped, printable, Vietnamese). The PDF is rendered from the same JSON
 * elsewhere.
 *
 * Pure: everything is an argument (times in ms since the epoch, formatted in the process's local
 * time zone: TZ=Asia/Ho_Chi_Minh in production); no clock, no I/O, no store. Unit-tested.
 * Thread: any. */
#pragma once

#include <glib.h>
#include <jansson.h>

G_BEGIN_DECLS

#define HN_MINUTES_SCHEMA   1
#define HN_MINUTES_TEXT_MAX 4000 /* code points of one note or reason */

/* [minutes] settings. Strings: transfer none; NULL: the default (docs/configuration.md). */
typedef struct {
    const char *agency_parent, *agency_name, *agency_code, *agency_place;
    const char *number_format; /* "{id}/BB-{code}" */
    const char *chair_title, *secretary_title;
} HnMinutesConfig;

/* What the minutes are made of. json_t: transfer none, each NULL or an array of:
 *  agenda     strings (titles, item n = index + 1)
 *  invited    {"name", "site"} people
 *  sites      strings: invited sites
 *  notes      {"item" (0: general), "kind" (opinion|conclusion|decision), "who", "text", "time"}
 *  absent     {"kind" (site|person), "name", "reason"}
 *  events     the event log in order: {"time" (ms), "type", "actor", "participant", "data"}
 *             (participant.joined data: name, role, sub, site; vote.closed data: question,
 *             secret, opened, options, counts, ballots; ...)
 *  recordings {"file", "bytes", "sha256"} */
typedef struct {
    gint64 id;
    const char *room, *title, *summary, *place;
    gint64 scheduled_start_s, scheduled_end_s; /* 0: none */
    gint64 started_ms, ended_ms;
    gboolean confidential;
    const char *chair, *secretary; /* NULL: the first chair / secretary who joined */
    json_t *agenda, *invited, *sites, *notes, *absent, *events, *recordings;
    int minutes_version; /* 1, 2, ... */
} HnMinutesInput;

/* minutes.json of in (draft: true). transfer full. */
json_t *hn_minutes_build(const HnMinutesConfig *cfg, const HnMinutesInput *in);

/* minutes.html of a minutes.json (any version this build wrote, edited or not): a complete
 * UTF-8 page, every value HTML-escaped. transfer full (g_free). */
char *hn_minutes_html(const json_t *minutes);

/* Applies a reviewer's edit to a copy of minutes (transfer none) and returns it as the next draft
 * (minutes_version + 1, draft true). edit: {"summary"?, "agenda"?: [{"title", "opinions":
 * [{"who","text"}], "conclusions": [..], "decisions": [..]}], "reasons"?: [{"kind": site|person,
 * "name", "reason" (null clears)}]}. A reason counts only for whoever never came. NULL + *why
 * (transfer none, English) when edit is malformed. transfer full. */
json_t *hn_minutes_edit(const json_t *minutes, const json_t *edit, const char **why);

/* A note's kind is opinion, conclusion or decision. */
gboolean hn_minutes_kind_valid(const char *kind);

/* "HH:MM:SS" of ms in local time into buf (9 bytes). */
void hn_minutes_clock(gint64 ms, char buf[9]);

G_END_DECLS
