/* Hooks in the hub (app/hub_hooks.h). */
#include "app/hub_hooks.h"

#include "app/hook_delivery.h"
#include "app/hub_meeting.h"
#include "app/hub_priv.h"

static void on_event(HnHub *hub, const HnMeetingEvent *ev, gpointer user)
{
    hn_hook_delivery_kick(hub->hooks);
}

void hn_hub_hooks_start(HnHub *hub)
{
    GError *err = NULL;
    hub->hooks = hn_hook_delivery_start(hub->cfg, &err);
    if (!hub->hooks) {
        g_critical("hooks: the delivery thread did not start (%s): events are kept in the "
                   "outbox and sent after the next start",
                   err->message);
        g_error_free(err);
    }
    hn_hub_meeting_observe(hub, on_event, NULL);
}

void hn_hub_hooks_stop(HnHub *hub)
{
    hn_hook_delivery_stop(hub->hooks);
    hub->hooks = NULL;
}

void hn_hub_hooks_kick(HnHub *hub)
{
    hn_hook_delivery_kick(hub->hooks);
}
