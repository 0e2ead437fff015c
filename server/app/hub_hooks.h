/* Hooks in the hub: starts the delivery thread (app/hook_delivery.h) once the store is set and
 * kicks it after every meeting event (the event's outbox rows are committed by then: observers
 * run after the store thread's transaction). Thread: main loop. */
#pragma once

#include "app/hub.h"

/* Starts the delivery (a failure is logged: the outbox keeps filling and is sent at the next
 * start). */
void hn_hub_hooks_start(HnHub *hub);
/* Stops it. */
void hn_hub_hooks_stop(HnHub *hub);
/* There may be new or retried rows (the REST API). */
void hn_hub_hooks_kick(HnHub *hub);
