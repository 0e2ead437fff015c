/* sig_hoinghi.c - hoinghi's WebSocket protocol (docs/signaling.md) for hn-load clients: join,
 * publish an offer on pub, answer every sub offer (renegotiations included), trickle
 * candidates both ways, ping every 2 s. */
#include <jansson.h>
#include <string.h>

#include "run.h"

#define PING_INTERVAL_NS (2 * 1000000000LL)

static void send_obj(LoadClient *c, json_t *obj)
{
    char *text = json_dumps(obj, JSON_COMPACT);
    json_decref(obj);
    if (text) {
        load_run_send(c, g_strdup(text));
        free(text);
    }
}

static void on_open(LoadClient *c)
{
    send_obj(c, json_pack("{s:s, s:s, s:s}", "type", "join", "room", load_run_config(c->run)->room,
                          "name", c->name));
}

static HnSdp *parse_sdp(LoadClient *c, json_t *msg, const char *what)
{
    const char *text = json_string_value(json_object_get(msg, "sdp"));
    if (!text) {
        load_run_client_failed(c, "server message without sdp");
        return NULL;
    }
    HnSdp *sdp = NULL;
    GError *err = NULL;
    if (hn_sdp_parse(text, strlen(text), &sdp, &err) < 0) {
        char *why = g_strdup_printf("server %s: %s", what, err->message);
        load_run_client_failed(c, why);
        g_free(why);
        g_error_free(err);
        return NULL;
    }
    return sdp;
}

/* The participant id a sub offer's "tracks" list gives for mid, or NULL when not listed. */
static const char *track_owner(json_t *tracks, const char *mid)
{
    size_t i;
    json_t *t;
    json_array_foreach(tracks, i, t)
    {
        const char *m = json_string_value(json_object_get(t, "mid"));
        if (m && strcmp(m, mid) == 0)
            return json_string_value(json_object_get(t, "participant"));
    }
    return NULL;
}

static void on_offer(LoadClient *c, json_t *msg)
{
    HnSdp *sdp = parse_sdp(c, msg, "offer");
    if (!sdp)
        return;
    json_t *tracks = json_object_get(msg, "tracks");
    LoadMidPlan *plan = g_new0(LoadMidPlan, sdp->n_media ? sdp->n_media : 1);
    gboolean any = FALSE;
    for (size_t i = 0; i < sdp->n_media; i++) {
        const char *owner = track_owner(tracks, sdp->media[i].mid);
        LoadClient *pub = owner ? load_run_pub_by_id(c->run, owner) : NULL;
        plan[i].pub = pub ? pub->pub_index : -1;
        /* Unlisted sections are inactive: keep them (inactive) so the server may reuse them. */
        plan[i].want = c->subscribes && (!owner || load_run_wants(c, plan[i].pub));
        any |= plan[i].want && owner;
    }
    c->sub_offer_seen = TRUE;
    if (!any && !c->sub) {
        /* Nothing wanted (a publish-only client): reject every section, no transport. */
        LoadSdpRecvTrack *tr = g_new0(LoadSdpRecvTrack, sdp->n_media ? sdp->n_media : 1);
        for (size_t i = 0; i < sdp->n_media; i++)
            plan[i].want = FALSE;
        LoadSdpLocal none = {.session_id = (guint64)c->index + 1};
        char *answer = load_sdp_subscribe_answer(&none, sdp, plan, tr, NULL);
        if (answer)
            send_obj(c, json_pack("{s:s, s:s}", "type", "answer", "sdp", answer));
        g_free(answer);
        g_free(tr);
        hn_sdp_free(sdp);
    } else {
        load_peer_handle_offer(load_run_sub_peer(c), sdp, plan);
    }
    g_free(plan);
}

static void on_candidate(LoadClient *c, json_t *msg)
{
    const char *pc = json_string_value(json_object_get(msg, "pc"));
    const char *cand = json_string_value(json_object_get(msg, "candidate"));
    LoadPeer *p = pc && strcmp(pc, "pub") == 0   ? c->pub
                  : pc && strcmp(pc, "sub") == 0 ? c->sub
                                                 : NULL;
    if (p)
        load_peer_add_candidate(p, cand);
}

/* The session goes on after an error (docs/signaling.md); it is fatal for this client only when
 * it hits what the client needs: joining, publishing, or the answer of a subscriber that
 * wants media. An error about an answer that rejects every section (a publish-only client) or
 * about a candidate is reported and ignored. */
static void on_error(LoadClient *c, json_t *msg)
{
    const char *ref = json_string_value(json_object_get(msg, "ref"));
    char *why =
        g_strdup_printf("server error %s (%s): %s", json_string_value(json_object_get(msg, "code")),
                        ref ? ref : "-", json_string_value(json_object_get(msg, "message")));
    gboolean fatal = !ref || strcmp(ref, "join") == 0 || strcmp(ref, "publish") == 0 ||
                     (strcmp(ref, "answer") == 0 && c->sub);
    if (fatal)
        load_run_client_failed(c, why);
    else if (load_run_config(c->run)->verbose)
        g_printerr("hn-load: %s: ignored %s\n", c->name, why);
    g_free(why);
}

static void on_message(LoadClient *c, const char *text, size_t len)
{
    json_error_t jerr;
    json_t *msg = json_loadb(text, len, 0, &jerr);
    const char *type = msg ? json_string_value(json_object_get(msg, "type")) : NULL;
    if (!type) {
        load_run_client_failed(c, "the server sent a message that is not JSON with a type");
        json_decref(msg);
        return;
    }
    if (strcmp(type, "joined") == 0) {
        const char *id = json_string_value(json_object_get(msg, "id"));
        g_strlcpy(c->id, id ? id : "", sizeof c->id);
        if (c->publishes)
            load_peer_create_offer(load_run_pub_peer(c));
    } else if (strcmp(type, "answer") == 0) {
        HnSdp *sdp = parse_sdp(c, msg, "answer");
        if (sdp && c->pub)
            load_peer_set_answer(c->pub, sdp);
        else
            hn_sdp_free(sdp);
    } else if (strcmp(type, "offer") == 0) {
        on_offer(c, msg);
    } else if (strcmp(type, "candidate") == 0) {
        on_candidate(c, msg);
    } else if (strcmp(type, "error") == 0) {
        on_error(c, msg);
    }
    /* pong, participant-joined, participant-left: nothing to do. */
    json_decref(msg);
}

static void subscribe(LoadClient *c)
{
    /* The server offers every participant's tracks on join. */
}

static void tick(LoadClient *c, int64_t now_ns)
{
    if (!c->ws_open_ns || now_ns - c->last_keepalive_ns < PING_INTERVAL_NS)
        return;
    c->last_keepalive_ns = now_ns;
    send_obj(c, json_pack("{s:s}", "type", "ping"));
}

static void leave(LoadClient *c)
{
    if (c->ws_open_ns)
        send_obj(c, json_pack("{s:s}", "type", "leave"));
}

static void local_sdp(LoadClient *c, LoadPeer *p, char *sdp)
{
    const char *type = p == c->pub ? "publish" : "answer";
    send_obj(c, json_pack("{s:s, s:s}", "type", type, "sdp", sdp));
    g_free(sdp);
}

static void local_candidate(LoadClient *c, LoadPeer *p, const char *candidate)
{
    const char *pc = p == c->pub ? "pub" : "sub";
    send_obj(c, json_pack("{s:s, s:s, s:o, s:s}", "type", "candidate", "pc", pc, "candidate",
                          candidate ? json_string(candidate) : json_null(), "sdpMid", "0"));
}

const LoadSigOps load_sig_hoinghi = {
    .subprotocol = "hoinghi-v1",
    .on_open = on_open,
    .on_message = on_message,
    .subscribe = subscribe,
    .tick = tick,
    .leave = leave,
    .local_sdp = local_sdp,
    .local_candidate = local_candidate,
};
