/* sig_janus.c - Janus 1.1's WebSocket API (sub-protocol "janus-protocol") and its VideoRoom
 * plugin for hn-load clients. One Janus session per client: "create", "attach" to
 * janus.plugin.videoroom, then
 *   publisher:  "joinandconfigure" (ptype publisher) with our JSEP offer; the "joined" event
 *               carries the answer and our feed id; "webrtcup" means Janus receives us;
 *   subscriber: a second handle, "join" (ptype subscriber) with "streams": [{"feed": id}...]
 *               (multi-stream subscription); the "attached" (or later "updated") event carries
 *               Janus's offer, answered with a "start" request;
 *   admin:      "exists", then "edit" (publisher limit) or "create" of the numeric room.
 * Candidates are trickled both ways; a keepalive goes out every 25 s. */
#include <jansson.h>
#include <string.h>

#include "run.h"

#define KEEPALIVE_NS (25 * 1000000000LL)
#define PLUGIN       "janus.plugin.videoroom"

/* --- sending ---------------------------------------------------------------------------- */

static void send_obj(LoadClient *c, json_t *obj)
{
    char *text = json_dumps(obj, JSON_COMPACT);
    json_decref(obj);
    if (text) {
        load_run_send(c, g_strdup(text));
        free(text);
    }
}

/* A request with a transaction id "<tag>:<n>"; session_id/handle_id added when non-zero. */
static json_t *request(LoadClient *c, const char *janus, const char *tag, guint64 handle)
{
    char tx[64];
    g_snprintf(tx, sizeof tx, "%s:%u", tag, ++c->next_tx);
    json_t *o = json_pack("{s:s, s:s}", "janus", janus, "transaction", tx);
    if (c->session)
        json_object_set_new(o, "session_id", json_integer((json_int_t)c->session));
    if (handle)
        json_object_set_new(o, "handle_id", json_integer((json_int_t)handle));
    return o;
}

/* A plugin message; body and jsep: transfer full (jsep may be NULL). */
static void send_message(LoadClient *c, const char *tag, guint64 handle, json_t *body, json_t *jsep)
{
    json_t *o = request(c, "message", tag, handle);
    json_object_set_new(o, "body", body);
    if (jsep)
        json_object_set_new(o, "jsep", jsep);
    send_obj(c, o);
}

static void attach(LoadClient *c, const char *tag)
{
    json_t *o = request(c, "attach", tag, 0);
    json_object_set_new(o, "plugin", json_string(PLUGIN));
    send_obj(c, o);
}

static guint64 room_of(LoadClient *c)
{
    return load_run_config(c->run)->janus_room;
}

/* --- admin: make a fresh room ----------------------------------------------------------- */

static int room_publishers(LoadClient *c)
{
    const LoadConfig *cfg = load_run_config(c->run);
    return MAX(cfg->publishers + cfg->mesh, 1);
}

/* A room like the benchmark's configured ones: no REMB cap, no periodic FIR, no optional
 * header extensions, VP8 + Opus. */
static void admin_create(LoadClient *c)
{
    json_t *body = json_pack(
        "{s:s, s:I, s:s, s:i, s:s, s:s, s:i, s:i, s:b, s:b, s:b, s:b, s:b}", "request", "create",
        "room", (json_int_t)room_of(c), "description", "hn-load", "publishers", room_publishers(c),
        "videocodec", "vp8", "audiocodec", "opus", "bitrate", 0, "fir_freq", 0, "audiolevel_ext", 0,
        "videoorient_ext", 0, "playoutdelay_ext", 0, "transport_wide_cc_ext", 0, "permanent", 0);
    send_message(c, "admin-create", c->pub_handle, body, NULL);
}

/* exists -> (edit the publisher limit | create) -> done. An existing room (e.g. declared in
 * Janus's configuration) is kept as it is, apart from its publisher limit. */
static void admin_result(LoadClient *c, const char *tag, json_t *data)
{
    const char *vr = json_string_value(json_object_get(data, "videoroom"));
    if (json_object_get(data, "error_code") || !vr) {
        char *why = g_strdup_printf("Janus room request failed: %s",
                                    json_string_value(json_object_get(data, "error")));
        load_run_admin_done(c->run, FALSE, why);
        g_free(why);
    } else if (g_str_has_prefix(tag, "admin-exists")) {
        if (json_is_true(json_object_get(data, "exists"))) {
            json_t *body = json_pack("{s:s, s:I, s:i}", "request", "edit", "room",
                                     (json_int_t)room_of(c), "new_publishers", room_publishers(c));
            send_message(c, "admin-edit", c->pub_handle, body, NULL);
        } else {
            admin_create(c);
        }
    } else if (g_str_has_prefix(tag, "admin-edit") || g_str_has_prefix(tag, "admin-create")) {
        load_run_admin_done(c->run, TRUE, NULL);
    }
}

/* --- publisher and subscriber ----------------------------------------------------------- */

static void subscribe_now(LoadClient *c)
{
    GPtrArray *pubs = load_run_wanted_pubs(c);
    json_t *streams = json_array();
    for (guint i = 0; i < pubs->len; i++) {
        LoadClient *p = pubs->pdata[i];
        if (p->feed)
            json_array_append_new(streams, json_pack("{s:I}", "feed", (json_int_t)p->feed));
    }
    g_ptr_array_free(pubs, TRUE);
    if (json_array_size(streams) == 0) {
        json_decref(streams);
        load_run_client_failed(c, "no Janus feed to subscribe to");
        return;
    }
    json_t *body = json_pack("{s:s, s:I, s:s, s:o}", "request", "join", "room",
                             (json_int_t)room_of(c), "ptype", "subscriber", "streams", streams);
    send_message(c, "sub-join", c->sub_handle, body, NULL);
}

static void on_attached_handle(LoadClient *c, const char *tag, guint64 id)
{
    if (g_str_has_prefix(tag, "admin-attach")) {
        c->pub_handle = id;
        json_t *body = json_pack("{s:s, s:I}", "request", "exists", "room", (json_int_t)room_of(c));
        send_message(c, "admin-exists", id, body, NULL);
    } else if (g_str_has_prefix(tag, "pub-attach")) {
        c->pub_handle = id;
        load_peer_create_offer(load_run_pub_peer(c));
    } else if (g_str_has_prefix(tag, "sub-attach")) {
        c->sub_handle = id;
        subscribe_now(c);
    }
}

static void on_session(LoadClient *c, guint64 id)
{
    c->session = id;
    if (c->admin)
        attach(c, "admin-attach");
    if (c->publishes)
        attach(c, "pub-attach");
    if (c->sub_requested)
        attach(c, "sub-attach");
}

static HnSdp *jsep_sdp(LoadClient *c, json_t *msg)
{
    const char *text = json_string_value(json_object_get(json_object_get(msg, "jsep"), "sdp"));
    if (!text)
        return NULL;
    HnSdp *sdp = NULL;
    GError *err = NULL;
    if (hn_sdp_parse(text, strlen(text), &sdp, &err) < 0) {
        char *why = g_strdup_printf("Janus SDP: %s", err->message);
        load_run_client_failed(c, why);
        g_free(why);
        g_error_free(err);
        return NULL;
    }
    return sdp;
}

/* Janus's subscription offer: map every m= line to the feed its "streams" entry names. */
static void on_sub_offer(LoadClient *c, json_t *msg, json_t *data)
{
    HnSdp *sdp = jsep_sdp(c, msg);
    if (!sdp)
        return;
    json_t *streams = json_object_get(data, "streams");
    LoadMidPlan *plan = g_new0(LoadMidPlan, sdp->n_media ? sdp->n_media : 1);
    for (size_t i = 0; i < sdp->n_media; i++) {
        plan[i].pub = -1;
        size_t k;
        json_t *s;
        json_array_foreach(streams, k, s)
        {
            const char *mid = json_string_value(json_object_get(s, "mid"));
            if (mid && strcmp(mid, sdp->media[i].mid) == 0) {
                json_t *feed = json_object_get(s, "feed_id");
                LoadClient *p = load_run_pub_by_feed(c->run, (guint64)json_integer_value(feed));
                plan[i].pub = p ? p->pub_index : -1;
            }
        }
        plan[i].want = load_run_wants(c, plan[i].pub);
    }
    c->sub_offer_seen = TRUE;
    load_peer_handle_offer(load_run_sub_peer(c), sdp, plan);
    g_free(plan);
}

static void plugin_event(LoadClient *c, json_t *msg, const char *tag)
{
    json_t *data = json_object_get(json_object_get(msg, "plugindata"), "data");
    guint64 sender = (guint64)json_integer_value(json_object_get(msg, "sender"));
    if (c->admin) {
        admin_result(c, tag, data);
        return;
    }
    const char *vr = json_string_value(json_object_get(data, "videoroom"));
    if (json_object_get(data, "error_code")) {
        char *why = g_strdup_printf("Janus VideoRoom error %" JSON_INTEGER_FORMAT ": %s",
                                    json_integer_value(json_object_get(data, "error_code")),
                                    json_string_value(json_object_get(data, "error")));
        load_run_client_failed(c, why);
        g_free(why);
    } else if (vr && strcmp(vr, "joined") == 0 && sender == c->pub_handle) {
        c->feed = (guint64)json_integer_value(json_object_get(data, "id"));
        HnSdp *answer = jsep_sdp(c, msg);
        if (answer && c->pub)
            load_peer_set_answer(c->pub, answer);
        else if (!answer)
            load_run_client_failed(c, "Janus joined the publisher without an SDP answer");
    } else if (vr && (strcmp(vr, "attached") == 0 || strcmp(vr, "updated") == 0) &&
               sender == c->sub_handle && json_object_get(msg, "jsep")) {
        on_sub_offer(c, msg, data);
    }
}

static void on_trickle(LoadClient *c, json_t *msg)
{
    guint64 sender = (guint64)json_integer_value(json_object_get(msg, "sender"));
    LoadPeer *p = sender && sender == c->pub_handle   ? c->pub
                  : sender && sender == c->sub_handle ? c->sub
                                                      : NULL;
    json_t *cand = json_object_get(msg, "candidate");
    if (!p || !cand)
        return;
    if (json_is_true(json_object_get(cand, "completed")))
        load_peer_add_candidate(p, NULL);
    else if (json_string_value(json_object_get(cand, "candidate")))
        load_peer_add_candidate(p, json_string_value(json_object_get(cand, "candidate")));
}

static void on_core_error(LoadClient *c, json_t *msg, const char *tag)
{
    json_t *e = json_object_get(msg, "error");
    char *why = g_strdup_printf("Janus error %" JSON_INTEGER_FORMAT " (%s): %s",
                                json_integer_value(json_object_get(e, "code")), tag,
                                json_string_value(json_object_get(e, "reason")));
    if (c->admin)
        load_run_admin_done(c->run, FALSE, why);
    else
        load_run_client_failed(c, why);
    g_free(why);
}

static void on_message(LoadClient *c, const char *text, size_t len)
{
    json_error_t jerr;
    json_t *msg = json_loadb(text, len, 0, &jerr);
    const char *janus = msg ? json_string_value(json_object_get(msg, "janus")) : NULL;
    const char *tag = msg ? json_string_value(json_object_get(msg, "transaction")) : NULL;
    guint64 sender = msg ? (guint64)json_integer_value(json_object_get(msg, "sender")) : 0;
    if (!tag)
        tag = "";
    if (!janus) {
        load_run_client_failed(c, "Janus sent a message that is not JSON with \"janus\"");
    } else if (strcmp(janus, "success") == 0) {
        json_t *data = json_object_get(msg, "data");
        if (json_object_get(msg, "plugindata"))
            plugin_event(c, msg, tag);
        else if (g_str_has_prefix(tag, "create"))
            on_session(c, (guint64)json_integer_value(json_object_get(data, "id")));
        else if (data)
            on_attached_handle(c, tag, (guint64)json_integer_value(json_object_get(data, "id")));
    } else if (strcmp(janus, "event") == 0) {
        plugin_event(c, msg, tag);
    } else if (strcmp(janus, "trickle") == 0) {
        on_trickle(c, msg);
    } else if (strcmp(janus, "webrtcup") == 0 && sender && sender == c->pub_handle) {
        c->janus_pub_up = TRUE;
        if (c->pub_connected)
            load_run_pub_ready(c);
    } else if (strcmp(janus, "hangup") == 0 || strcmp(janus, "timeout") == 0) {
        char *why = g_strdup_printf("Janus %s: %s", janus,
                                    json_string_value(json_object_get(msg, "reason")));
        load_run_client_failed(c, why);
        g_free(why);
    } else if (strcmp(janus, "error") == 0) {
        on_core_error(c, msg, tag);
    }
    /* ack, media, slowlink, detached: nothing to do. */
    json_decref(msg);
}

static void on_open(LoadClient *c)
{
    send_obj(c, request(c, "create", "create", 0));
}

static void subscribe(LoadClient *c)
{
    if (c->sub_requested)
        return;
    c->sub_requested = TRUE;
    if (c->session)
        attach(c, "sub-attach");
}

static void tick(LoadClient *c, int64_t now_ns)
{
    if (!c->session || now_ns - c->last_keepalive_ns < KEEPALIVE_NS)
        return;
    c->last_keepalive_ns = now_ns;
    send_obj(c, request(c, "keepalive", "keepalive", 0));
}

static void leave(LoadClient *c)
{
    if (c->session)
        send_obj(c, request(c, "destroy", "destroy", 0));
}

static void local_sdp(LoadClient *c, LoadPeer *p, char *sdp)
{
    if (p == c->pub) {
        json_t *body = json_pack("{s:s, s:I, s:s, s:s}", "request", "joinandconfigure", "room",
                                 (json_int_t)room_of(c), "ptype", "publisher", "display", c->name);
        send_message(c, "pub-join", c->pub_handle, body,
                     json_pack("{s:s, s:s}", "type", "offer", "sdp", sdp));
    } else {
        send_message(c, "sub-start", c->sub_handle, json_pack("{s:s}", "request", "start"),
                     json_pack("{s:s, s:s}", "type", "answer", "sdp", sdp));
    }
    g_free(sdp);
}

static void local_candidate(LoadClient *c, LoadPeer *p, const char *candidate)
{
    guint64 handle = p == c->pub ? c->pub_handle : c->sub_handle;
    json_t *o = request(c, "trickle", "trickle", handle);
    if (candidate)
        json_object_set_new(o, "candidate",
                            json_pack("{s:s, s:s, s:i}", "candidate", candidate, "sdpMid", "0",
                                      "sdpMLineIndex", 0));
    else
        json_object_set_new(o, "candidate", json_pack("{s:b}", "completed", 1));
    send_obj(c, o);
}

const LoadSigOps load_sig_janus = {
    .subprotocol = "janus-protocol",
    .on_open = on_open,
    .on_message = on_message,
    .subscribe = subscribe,
    .tick = tick,
    .leave = leave,
    .local_sdp = local_sdp,
    .local_candidate = local_candidate,
};
