/* Meetings as they happen, and their event log (on the main loop).
 *
 * A room's meeting starts when its first participant is let in: the room's `live` meeting left
 * from before a restart continues (`meeting.resumed`), else its scheduled meeting (the API's
 * `meetings` row starting within the hour) becomes live, else an ad hoc meeting is made, titled
 * after the room (`meeting.started`). It ends when the chair ends it (`moderate` `end`: once the
 * last participant is out) or when the room has stayed empty `[rooms] end_grace` seconds
 * (`meeting.ended`, reason `chair` / `empty`; a meeting nobody rejoined after a restart ends
 * `interrupted`).
 *
 * Everything that happens in a meeting is an event: appended in order to the store's `events`
 * table on the store thread (one transaction per event, with the meeting's row when it starts or
 * ends), then handed in the same order to every observer on the main loop with its ids. Features
 * report theirs with hn_hub_meeting_event(); they consume them (recording, minutes, hooks) with
 * hn_hub_meeting_observe(). Types and data: docs/minutes.md ("The event log").
 *
 * Thread: main loop only. */
#pragma once

#include <glib.h>
#include <jansson.h>

#include "app/hub.h"

typedef struct HnHubMeetings HnHubMeetings;

/* An event as observers see it. Everything transfer none, valid during the call. */
typedef struct {
    gint64 id;      /* events.id; 0 when the server has no store */
    gint64 meeting; /* meetings.id; 0 when the server has no store */
    const char *room;
    const char *type;        /* "meeting.started", "participant.joined", ... */
    gint64 time_ms;          /* wall clock, ms since the epoch */
    const char *actor;       /* who did it: a display name or "system"; may be NULL */
    const char *participant; /* "p12"; may be NULL */
    const json_t *data;      /* a JSON object, never NULL */
} HnMeetingEvent;

typedef void (*HnMeetingObserverFn)(HnHub *hub, const HnMeetingEvent *ev, gpointer user);

/* Adds an observer; it sees every event appended from now on, in order. */
void hn_hub_meeting_observe(HnHub *hub, HnMeetingObserverFn fn, gpointer user);
/* Removes the observer added with fn and user (nothing when there is none). */
void hn_hub_meeting_unobserve(HnHub *hub, HnMeetingObserverFn fn, gpointer user);
/* Appends an event of room's current meeting (none: meeting 0). data: a JSON object, transfer
 * full, NULL for {}; actor, participant may be NULL. Never blocks. */
void hn_hub_meeting_event(HnHub *hub, const char *room, const char *type, const char *actor,
                          const char *participant, json_t *data);
/* The id of room's current meeting, 0 when there is none or it is not known yet (the store
 * thread assigns it just after the first join: observers of `meeting.started` get it). */
gint64 hn_hub_meeting_id(HnHub *hub, const char *room);
/* When room's current meeting started (ms since the epoch; its archive folder's date), 0 as for
 * hn_hub_meeting_id. */
gint64 hn_hub_meeting_started_ms(HnHub *hub, const char *room);

/* --- called by the hub (app/hub.c, app/hub_moderation.c) --- */
HnHubMeetings *hn_hub_meetings_new(HnHub *hub);
/* Stops the timers; live meetings stay live in the store (a restart continues them). NULL ok. */
void hn_hub_meetings_free(HnHubMeetings *ms);
/* Loads the meetings left live by a previous run: each ends `interrupted` unless someone joins
 * its room within end_grace. Call once the store is set. */
void hn_hub_meetings_resume(HnHub *hub);
/* A participant was let into room (after the lobby): starts the meeting if needed and appends
 * participant.joined. how, addr, client ("browser", "sip", "whip") may be NULL. */
void hn_hub_meeting_joined(HnHub *hub, const char *room, guint64 pid, const char *name,
                           const char *role, const char *sub, const char *how, const char *addr,
                           const char *client);
/* A participant left room (why: "left", "disconnected", "timeout", "removed", "ended"):
 * participant.left; the last one out starts the end_grace countdown (or ends a meeting the
 * chair ended). */
void hn_hub_meeting_left(HnHub *hub, const char *room, guint64 pid, const char *name,
                         const char *why);
/* The chair ended room's meeting: it ends when its participants are out (at once when none). */
void hn_hub_meeting_end(HnHub *hub, const char *room, const char *actor);
