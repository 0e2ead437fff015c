/* /api/v1/rooms/NAME/participants: the live participants of a room (GET), mute one
 * (POST .../ID/mute {kind}), remove one (DELETE .../ID); and the end of a meeting's live room.
 * They go through the moderation capability (app/hub_moderation.h: hn_hub_participants_json,
 * hn_hub_moderate), as a chair's `moderate` would, audited as the API's actor. */
#include <errno.h>
#include <string.h>

#include "app/api_v1_priv.h"

#include "app/hub_moderation.h"

static void list(HnApiCall *c, const char *room)
{
    char *text = hn_hub_participants_json(c->api->hub, room);
    if (!text) { /* not live: an empty list for a declared room */
        HnRoomPolicy pol;
        if (hn_hub_room_policy(c->api->hub, room, &pol))
            hn_api_json(c, 200, json_array());
        else
            hn_api_problem(c, 404, "not-found", "no such room, or nobody is in it");
        return;
    }
    json_t *arr = json_loads(text, 0, NULL);
    g_free(text);
    if (!json_is_array(arr)) {
        if (arr)
            json_decref(arr);
        hn_api_problem(c, 500, "unavailable", "cannot read the participant list");
        return;
    }
    hn_api_json(c, 200, arr);
}

static void moderate(HnApiCall *c, const char *room, const char *action, const char *who,
                     const char *kind)
{
    int rc = hn_hub_moderate(c->api->hub, room, c->actor, action, who, kind);
    if (rc == -ENOENT)
        hn_api_problem(c, 404, "not-found", "no such participant in this room now");
    else if (rc == -EINVAL)
        hn_api_problem(c, 400, "bad-request", "kind must be audio or video");
    else if (rc < 0)
        hn_api_problem(c, 500, "unavailable", "the room did not take the request");
    else
        hn_api_json(c, 204, NULL);
}

void hn_api_participants(HnApiCall *c)
{
    const char *room = c->seg[1]; /* in lower case (route) */
    if (!hn_config_room_name_valid(room)) {
        hn_api_problem(c, 404, "not-found", "no such room");
        return;
    }
    if (c->nseg == 3) {
        if (c->method == HN_HTTP_GET)
            list(c, room);
        else
            hn_api_not_allowed(c, "GET");
        return;
    }
    const char *who = c->seg[3];
    if (c->nseg == 4) {
        if (c->method == HN_HTTP_DELETE)
            moderate(c, room, "remove", who, NULL);
        else
            hn_api_not_allowed(c, "DELETE");
        return;
    }
    if (c->nseg == 5 && strcmp(c->seg[4], "mute") == 0) {
        if (c->method != HN_HTTP_POST) {
            hn_api_not_allowed(c, "POST");
            return;
        }
        json_t *k = c->body ? json_object_get(c->body, "kind") : NULL;
        const char *kind = k ? json_string_value(k) : "audio";
        if (!kind || (strcmp(kind, "audio") != 0 && strcmp(kind, "video") != 0)) {
            hn_api_problem(c, 400, "bad-request", "kind must be audio or video");
            return;
        }
        moderate(c, room, "mute", who, kind);
        return;
    }
    hn_api_problem(c, 404, "not-found", "no such resource under this participant");
}

void hn_api_end_live_room(HnApiCall *c, const char *room)
{
    int rc = hn_hub_moderate(c->api->hub, room, c->actor, "end", NULL, NULL);
    if (rc < 0 && rc != -ENOENT)
        g_message("api: ending the live room %s: error %d", room, rc);
}
