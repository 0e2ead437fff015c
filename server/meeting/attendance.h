/* Attendance of a meeting in the four official states (docs/minutes.md): present in the hall,
 * present online, absent with a reason (the secretary's), not checked in; with the intervals and
 * the total presence time of every person and site.
 *
 * Pure: fed the meeting's joins and leaves in time order (times are arguments, ms since the
 * epoch), the invitations and the secretary's absence reasons; no clock, no I/O, so every case is
 * unit-tested on a fake clock. A participant whose role is "site" is a hall's endpoint: it makes
 * its site present in the hall and is not listed as a person. Anyone else who joined is present
 * online (a browser or an app), and counts its site (the token's or account's) as present online
 * unless the site's hall is connected. A person is one token sub (or, without one, one display
 * name): two devices of the same person count their union once. Thread: any (one user). */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef enum {
    HN_ATTEND_PRESENT_HALL,
    HN_ATTEND_PRESENT_ONLINE,
    HN_ATTEND_ABSENT,
    HN_ATTEND_NOT_CHECKED_IN,
} HnAttendState;

/* "present_hall", "present_online", "absent", "not_checked_in". transfer none. */
const char *hn_attend_state_name(HnAttendState s);

typedef struct {
    gint64 start_ms, end_ms;
} HnAttendInterval;

/* A person (or a site): intervals sorted and merged (no overlap), presence_ms their sum. */
typedef struct {
    char *name;
    char *role; /* the role of its first join ("member", "chair", ...); NULL: never joined */
    char *site; /* NULL: none */
    char *sub;  /* NULL: none */
    HnAttendState state;
    char *reason; /* the secretary's reason when absent, else NULL */
    gboolean invited;
    GArray *intervals; /* of HnAttendInterval */
    gint64 presence_ms;
} HnAttendEntry;

typedef struct HnAttendance HnAttendance;

/* transfer full. */
HnAttendance *hn_attendance_new(void);
/* NULL ok. */
void hn_attendance_free(HnAttendance *a);

/* An invited site (by name; a repeat is ignored). */
void hn_attendance_invite_site(HnAttendance *a, const char *site);
/* An invited person (site may be NULL; a repeat of the same name is ignored). */
void hn_attendance_invite_person(HnAttendance *a, const char *name, const char *site);
/* The secretary's reason for the absence of a site (is_site) or person called name; it counts
 * only while they never joined. reason NULL clears it. */
void hn_attendance_reason(HnAttendance *a, gboolean is_site, const char *name, const char *reason);

/* Participant pid (the server's "p<n>") joined at now_ms. role: the join role ("site": a hall);
 * sub, site may be NULL. A pid still present (a reused id) is closed at now_ms first. */
void hn_attendance_join(HnAttendance *a, const char *pid, const char *name, const char *role,
                        const char *sub, const char *site, gint64 now_ms);
/* Participant pid left at now_ms; an unknown pid is ignored (counted in hn_attendance_stray). */
void hn_attendance_leave(HnAttendance *a, const char *pid, gint64 now_ms);
/* The meeting ended at end_ms: closes every interval still open and computes the states. Call
 * once, after the last join/leave; the accessors below read its result. */
void hn_attendance_finish(HnAttendance *a, gint64 end_ms);

/* People (invited first, in the order invited, then the others by first join) and sites
 * (invited, then others by first join). transfer none; valid until the next call that changes a. */
guint hn_attendance_n_people(const HnAttendance *a);
const HnAttendEntry *hn_attendance_person(const HnAttendance *a, guint i);
guint hn_attendance_n_sites(const HnAttendance *a);
const HnAttendEntry *hn_attendance_site(const HnAttendance *a, guint i);
/* Leaves of unknown participants and joins/leaves out of time order (ignored). */
guint hn_attendance_stray(const HnAttendance *a);

G_END_DECLS
