/* The hub's side of the composed pictures: see hub_picture.h. */
#include "app/hub_picture.h"

#include <gio/gio.h>
#include <string.h>

#include "app/api_v1_priv.h"
#include "gateway/picture.h"

typedef struct {
    HnPictureOutput *o;
    GSocket *sock;
    GSocketAddress *vaddr, *aaddr;
} DebugOut;

typedef struct HnHubPicture {
    HnPictures *pictures;
    GHashTable *debug; /* id -> DebugOut* */
    guint next_id;
} HnHubPicture;

static void debug_free(gpointer p)
{
    DebugOut *d = p;
    hn_picture_detach(d->o); /* no packet after this */
    g_object_unref(d->sock);
    g_object_unref(d->vaddr);
    g_object_unref(d->aaddr);
    g_free(d);
}

static HnHubPicture *state(HnHub *hub)
{
    if (!hub->picture) {
        hub->picture = g_new0(HnHubPicture, 1);
        HnPictureConfig pc = {0};
        if (hub->cfg) {
            pc.width = (int)hub->cfg->picture_width;
            pc.height = (int)hub->cfg->picture_height;
            pc.fps = (int)hub->cfg->picture_fps;
        }
        hub->picture->pictures = hn_pictures_new(&pc);
        hub->picture->debug = g_hash_table_new_full(NULL, NULL, NULL, debug_free);
    }
    return hub->picture;
}

HnPictures *hn_hub_pictures(HnHub *hub)
{
    return state(hub)->pictures;
}

gboolean hn_hub_room_handle(HnHub *hub, const char *name, HnWorker **worker, HnRoom **room)
{
    HnRoomEntry *e = g_hash_table_lookup(hub->rooms, name);
    if (!e || !e->room)
        return FALSE;
    *worker = e->worker;
    *room = e->room;
    return TRUE;
}

void hn_hub_picture_entered(HnHub *hub, HnHubConn *c)
{
    if (hub->picture && c->room && c->room->room)
        hn_pictures_room_open(hub->picture->pictures, c->room->name, c->room->worker,
                              c->room->room);
}

void hn_hub_picture_stats(HnHub *hub, HnPictureStats *out)
{
    hn_pictures_get_stats(hub->picture ? hub->picture->pictures : NULL, out);
}

void hn_hub_picture_free(HnHub *hub)
{
    if (!hub->picture)
        return;
    g_hash_table_destroy(hub->picture->debug);
    hn_pictures_free(hub->picture->pictures);
    g_free(hub->picture);
    hub->picture = NULL;
}

/* --- the debug path -------------------------------------------------------------------------- */

/* A streaming thread: a datagram to the test's port (a socket send is fine from any thread). */
static void debug_send(void *user, gboolean video, const uint8_t *rtp, size_t len, int64_t time_us)
{
    DebugOut *d = user;
    (void)time_us;
    g_socket_send_to(d->sock, video ? d->vaddr : d->aaddr, (const gchar *)rtp, len, NULL, NULL);
}

static gboolean debug_enabled(void)
{
    return g_strcmp0(g_getenv("HOINGHI_DEBUG_PICTURE"), "1") == 0;
}

static void api_attach(HnApiCall *c, const char *room)
{
    json_t *b = c->body;
    json_int_t port = json_integer_value(json_object_get(b, "port"));
    json_t *jv = json_object_get(b, "video"), *ja = json_object_get(b, "audio");
    if (port < 1024 || port > 65533 || (!json_is_object(jv) && !json_is_object(ja))) {
        hn_api_problem(c, 400, "bad-request",
                       "body: {\"port\": 1024..65533, \"video\": {...}, \"audio\": {...}}");
        return;
    }
    HnPictureVideoCfg v = {0};
    HnPictureAudioCfg a = {0};
    if (json_is_object(jv)) {
        v.codec = hn_picture_video_codec_parse(json_string_value(json_object_get(jv, "codec")));
        v.pt = (uint8_t)json_integer_value(json_object_get(jv, "pt"));
        v.width = (int)json_integer_value(json_object_get(jv, "width"));
        v.height = (int)json_integer_value(json_object_get(jv, "height"));
        v.bitrate_kbps = (int)json_integer_value(json_object_get(jv, "bitrate_kbps"));
        v.fps = (int)json_integer_value(json_object_get(jv, "fps"));
        v.h264_profile_level_id = json_string_value(json_object_get(jv, "profile_level_id"));
        v.packetization_mode =
            json_object_get(jv, "packetization_mode")
                ? (int)json_integer_value(json_object_get(jv, "packetization_mode"))
                : 1;
    }
    if (json_is_object(ja)) {
        a.codec = hn_picture_audio_codec_parse(json_string_value(json_object_get(ja, "codec")));
        a.pt = (uint8_t)json_integer_value(json_object_get(ja, "pt"));
    }
    const char *ex = json_string_value(json_object_get(b, "exclude"));
    uint64_t self = ex && ex[0] == 'p' ? g_ascii_strtoull(ex + 1, NULL, 10) : 0;
    DebugOut *d = g_new0(DebugOut, 1);
    d->sock =
        g_socket_new(G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_DATAGRAM, G_SOCKET_PROTOCOL_UDP, NULL);
    GInetAddress *lo = g_inet_address_new_loopback(G_SOCKET_FAMILY_IPV4);
    d->vaddr = g_inet_socket_address_new(lo, (guint16)port);
    d->aaddr = g_inet_socket_address_new(lo, (guint16)(port + 2));
    g_object_unref(lo);
    GError *err = NULL;
    if (d->sock)
        d->o = hn_picture_attach(c->api->hub, room, self, json_is_object(jv) ? &v : NULL,
                                 json_is_object(ja) ? &a : NULL, debug_send, d, &err);
    if (!d->o) {
        hn_api_problem(c, err && err->code == G_IO_ERROR_NOT_FOUND ? 409 : 400,
                       err && err->code == G_IO_ERROR_NOT_FOUND ? "conflict" : "bad-request",
                       err ? err->message : "no socket");
        g_clear_error(&err);
        if (d->sock)
            g_object_unref(d->sock);
        g_object_unref(d->vaddr);
        g_object_unref(d->aaddr);
        g_free(d);
        return;
    }
    HnHubPicture *st = state(c->api->hub);
    guint id = ++st->next_id;
    g_hash_table_insert(st->debug, GUINT_TO_POINTER(id), d);
    hn_api_json(c, 201, json_pack("{s:I}", "id", (json_int_t)id));
}

void hn_api_picture(HnApiCall *c)
{
    if (!debug_enabled()) {
        hn_api_problem(c, 404, "not-found", "the picture's debug outputs are off");
        return;
    }
    HnHubPicture *st = state(c->api->hub);
    if (c->nseg == 3) {
        if (c->method != HN_HTTP_POST) {
            hn_api_not_allowed(c, "POST");
            return;
        }
        api_attach(c, c->seg[1]);
        return;
    }
    gint64 id = hn_api_parse_id(c->seg[3]);
    DebugOut *d = id > 0 ? g_hash_table_lookup(st->debug, GUINT_TO_POINTER((guint)id)) : NULL;
    if (!d) {
        hn_api_problem(c, 404, "not-found", "no such picture output");
        return;
    }
    if (c->nseg == 5 && strcmp(c->seg[4], "keyframe") == 0 && c->method == HN_HTTP_POST) {
        hn_picture_output_keyframe(d->o);
        hn_api_json(c, 204, NULL);
    } else if (c->nseg == 4 && c->method == HN_HTTP_DELETE) {
        g_hash_table_remove(st->debug, GUINT_TO_POINTER((guint)id));
        hn_api_json(c, 204, NULL);
    } else {
        hn_api_not_allowed(c, c->nseg == 4 ? "DELETE" : "POST");
    }
}
