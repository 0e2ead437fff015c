/* /api/v1/rooms/NAME/sites/SITE/call: the SIP gateway calls a configured site into a room now
 * (POST) or hangs it up without redial (DELETE). The gateway does it (hn_hub_site_dial, set by
 * gateway/sip_dialout.c); the outcome reaches the meeting's events (site.calling,
 * site.connected, ...). docs/api.md, docs/room-systems.md ("Dial-out"). */
#include <errno.h>
#include <string.h>

#include "app/api_v1_priv.h"

void hn_api_sites(HnApiCall *c)
{
    const char *room = c->seg[1]; /* in lower case (route) */
    if (c->nseg != 5 || strcmp(c->seg[4], "call") != 0) {
        hn_api_problem(c, 404, "not-found", "the resource is rooms/NAME/sites/SITE/call");
        return;
    }
    if (c->method != HN_HTTP_POST && c->method != HN_HTTP_DELETE) {
        hn_api_not_allowed(c, "POST, DELETE");
        return;
    }
    g_autofree char *site = g_uri_unescape_string(c->seg[3], NULL);
    if (!site || !*site || strlen(site) > 64) {
        hn_api_problem(c, 404, "not-found", "no such site");
        return;
    }
    HnRoomPolicy pol;
    if (!hn_config_room_name_valid(room) || !hn_hub_room_policy(c->api->hub, room, &pol)) {
        hn_api_problem(c, 404, "not-found", "no such room");
        return;
    }
    gboolean call = c->method == HN_HTTP_POST;
    int rc = hn_hub_site_dial(c->api->hub, room, site, call);
    if (rc == -ENOENT)
        hn_api_problem(c, 404, "not-found", "no [site:NAME] of that name with a dial URI");
    else if (rc == -ENODEV)
        hn_api_problem(c, 503, "unavailable", "the SIP gateway is off ([sip] listen)");
    else if (rc == -EALREADY)
        hn_api_problem(c, 409, "conflict", "the site is not being called");
    else if (rc < 0)
        hn_api_problem(c, 400, "bad-request", "the room cannot take a call");
    else {
        g_autofree char *detail = g_strdup_printf("site=%s", site);
        hn_api_audit(c, call ? "site-call" : "site-hang-up", room, detail);
        if (call) /* the call is under way: its outcome is in the meeting's events */
            hn_api_json(
                c, 202,
                json_pack("{s:s, s:s, s:s}", "room", room, "site", site, "state", "calling"));
        else
            hn_api_json(c, 204, NULL);
    }
}
