/* The hub: the signalling thread's view of the server. It owns the rooms directory (room name
 * -> worker + room) and the connections, checks joins against the configuration (declared rooms,
 * auto-creation, participant limits) and forwards each participant's messages to its room's
 * worker. It never touches a room's state itself. Thread: main loop only. */
#pragma once

#include <glib.h>

#include "app/config.h"
#include "core/leg.h"
#include "core/room_model.h"
#include "store/store.h"
#include "transport/cert.h"
#include "transport/worker.h"

typedef struct HnHub HnHub;

/* Starts the signalling front too. cfg, pool, cert: transfer none, must outlive the hub.
 * transfer full; NULL + error when the listen address cannot be bound. */
HnHub *hn_hub_new(const HnConfig *cfg, HnWorkerPool *pool, HnCert *cert, GMainLoop *loop,
                  const char *client_dir, GError **error);
/* Closes every room (on its worker) and the signalling front. NULL ok. */
void hn_hub_free(HnHub *hub);
/* The store the hub writes its audit rows to (joins, refusals, locks); also serves
 * the REST API (app/api_v1.h) with it. transfer none, must outlive the hub;
 * NULL: none. Call once, before the loop runs. */
void hn_hub_set_store(HnHub *hub, HnStore *store);

/* The composed pictures of the rooms (gateway/picture.h), made at first use. transfer none. */
struct HnPictures *hn_hub_pictures(HnHub *hub);
/* Where room name lives while it is open: its worker and its HnRoom (to be touched on that
 * worker only). FALSE when nobody is in it. */
struct HnRoom;
gboolean hn_hub_room_handle(HnHub *hub, const char *name, HnWorker **worker, struct HnRoom **room);

/* --- participants carried by a gateway's leg (gateway/sip.c: SIP room systems) --- */

typedef enum {
    HN_HUB_SITE_OK,
    HN_HUB_SITE_NO_ROOM, /* declared nowhere and rooms are not auto-created */
    HN_HUB_SITE_DENIED,  /* PIN missing or wrong, token-only room, meeting locked */
    HN_HUB_SITE_LIMITED, /* the address is locked or rate-limited: *retry_after_s */
} HnHubSiteCheck;

/* Whether a room system calling from addr may enter room with pin (NULL: none); trusted: a
 * configured site that needs no PIN. The PIN goes through the join gate (and its per-address
 * limiter) exactly as a browser's; refusals are audited. */
HnHubSiteCheck hn_hub_site_check(HnHub *hub, const char *room, const char *addr, const char *pin,
                                 gboolean trusted, guint *retry_after_s);

/* Makes the leg for a participant of a room that lives on worker (called once, inside
 * hn_hub_site_enter, on the main thread; the leg is handed to the worker). NULL: fails. */
typedef HnLeg *(*HnHubLegFactory)(void *user, HnWorker *worker, uint64_t pid);

/* Lets a checked room system into room with role site: the room is opened if needed, the leg
 * made by make and attached on the room's worker with tracks (copied). Returns its pid, 0 when
 * the room is full or gone or make failed. */
uint64_t hn_hub_site_enter(HnHub *hub, const char *room, const char *name, const char *addr,
                           HnHubLegFactory make, void *user, const HnRoomTrackDesc *tracks,
                           size_t n);

/* The room system pid left (why: "left", "timeout", "disconnected"); its leg is destroyed on
 * its worker. Unknown pid: nothing. */
void hn_hub_site_leave(HnHub *hub, uint64_t pid, const char *why);

/* The worker of pid's room, NULL when pid is not in a room. transfer none. */
HnWorker *hn_hub_site_worker(HnHub *hub, uint64_t pid);

/* The gateway's hang-up: the hub closes room system pid (a chair's `remove`, the meeting's
 * `end`, its room failing it) by calling fn, which ends the call (BYE); the participant leaves
 * as a closed socket would. Call once, before the loop runs. */
typedef void (*HnHubSiteCloseFn)(void *user, uint64_t pid, const char *reason);
void hn_hub_set_site_close(HnHub *hub, HnHubSiteCloseFn fn, void *user);

/* The gateway's dial-out (docs/room-systems.md, "Dial-out"), for the REST API: call site (a
 * [site:NAME] with a dial) into room now (call TRUE), or hang it up without redial (FALSE).
 * Returns 0, -ENOENT (no such site, or it has no dial), -ENODEV (no SIP gateway), -EINVAL (a
 * room that cannot hold a call), -EALREADY (hang-up: no call). Set once, before the loop runs. */
typedef int (*HnHubSiteDialFn)(void *user, const char *room, const char *site, gboolean call);
void hn_hub_set_site_dial(HnHub *hub, HnHubSiteDialFn fn, void *user);
/* Calls the function set with hn_hub_set_site_dial; -ENODEV when none. */
int hn_hub_site_dial(HnHub *hub, const char *room, const char *site, gboolean call);
