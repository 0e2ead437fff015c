/* The hub: the signalling thread's view of the server. It owns the rooms directory (room name
 * -> worker + room) and the connections, checks joins against the configuration (declared rooms,
 * auto-creation, participant limits) and forwards each participant's messages to its room's
 * worker. It never touches a room's state itself. Thread: main loop only. */
#pragma once

#include <glib.h>

#include "app/config.h"
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
