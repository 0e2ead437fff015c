/* WHIP ingest (app/hub_whip.h): the HTTP resources, the join through the gate, and the room's
 * answer carried back to the pending request. */
#include "app/hub_whip.h"

#include <string.h>

#include <openssl/rand.h>

#include "app/hub_priv.h"
#include "app/negotiate.h"
#include "app/whip_links.h"
#include "meeting/join_token.h"
#include "sdp/sdp_frag.h"
#include "signaling/http.h"

#define REQ_PUBLISH "\"whip\""
#define REQ_RESTART "\"whip-restart\""
#define SDP_TYPE    "application/sdp"
#define FRAG_TYPE   "application/trickle-ice-sdpfrag"

typedef struct HnHubWhip HnHubWhip;

typedef struct {
    HnHubWhip *w;
    char id[33]; /* the resource id: 128 random bits, hex */
    uint64_t pid;
    char *offer;            /* the encoder's last offer (an ICE restart re-offers it) */
    char *remote_ufrag;     /* its ICE ufrag */
    char etag[40];          /* "\"...\"" */
    HnHttpRequest *pending; /* the POST or restart PATCH waiting for the room's answer */
    char *restart_offer;    /* while a restart is pending: the offer with the new credentials */
    char *restart_ufrag;
    guint answer_src, connect_src;
    gboolean connected;
} WhipSession;

struct HnHubWhip {
    HnHub *hub;
    GMainContext *ctx;
    GHashTable *by_id;  /* id -> WhipSession* (owned) */
    GHashTable *by_pid; /* &pid -> WhipSession* */
    uint64_t next;
};

/* --- helpers --------------------------------------------------------------------------------- */

static void random_hex(char *out, size_t nbytes)
{
    unsigned char raw[32];
    g_assert(nbytes <= sizeof raw);
    if (RAND_bytes(raw, (int)nbytes) != 1)
        g_error("RAND_bytes failed");
    for (size_t i = 0; i < nbytes; i++)
        g_snprintf(out + 2 * i, 3, "%02x", raw[i]);
}

static void new_etag(WhipSession *s)
{
    char hex[17];
    random_hex(hex, 8);
    g_snprintf(s->etag, sizeof s->etag, "\"%s\"", hex);
}

static void reply_text(HnHttpRequest *req, int status, const char *msg)
{
    g_autofree char *body = g_strconcat(msg, "\n", NULL);
    hn_http_reply(req, status, "text/plain", body, strlen(body));
}

static gboolean type_is(const char *header, const char *want)
{
    if (!header)
        return FALSE;
    size_t n = strlen(want);
    return g_ascii_strncasecmp(header, want, n) == 0 &&
           (header[n] == '\0' || header[n] == ';' || header[n] == ' ');
}

static guint add_timeout(HnHubWhip *w, guint seconds, GSourceFunc fn, WhipSession *s)
{
    GSource *src = g_timeout_source_new_seconds(seconds);
    g_source_set_callback(src, fn, s, NULL);
    guint id = g_source_attach(src, w->ctx);
    g_source_unref(src);
    return id;
}

static void remove_source(HnHubWhip *w, guint *id)
{
    if (*id) {
        GSource *src = g_main_context_find_source_by_id(w->ctx, *id);
        if (src)
            g_source_destroy(src);
        *id = 0;
    }
}

static void session_free(gpointer data)
{
    WhipSession *s = data;
    g_free(s->offer);
    g_free(s->remote_ufrag);
    g_free(s->restart_offer);
    g_free(s->restart_ufrag);
    g_free(s);
}

/* Ends s: a pending request gets status (503 when 0), the participant leaves with why (when
 * it is still in), the resource is gone. */
static void session_end(HnHubWhip *w, WhipSession *s, const char *why, int status, const char *msg)
{
    remove_source(w, &s->answer_src);
    remove_source(w, &s->connect_src);
    if (s->pending)
        reply_text(s->pending, status ? status : 503, msg ? msg : "the session ended");
    s->pending = NULL;
    uint64_t pid = s->pid;
    g_message("whip: session p%" G_GUINT64_FORMAT " ended (%s)", pid, why);
    g_hash_table_remove(w->by_pid, &s->pid);
    g_hash_table_remove(w->by_id, s->id); /* frees s */
    hn_hub_part(w->hub, pid, why);
}

static WhipSession *session_of_path(HnHubWhip *w, const char *sub)
{
    if (!g_str_has_prefix(sub, "/resource/"))
        return NULL;
    return g_hash_table_lookup(w->by_id, sub + strlen("/resource/"));
}

/* --- the room's output (worker thread -> main loop) ----------------------------------------- */

typedef struct {
    HnHub *hub;
    uint64_t pid;
    HnRoomOutType type; /* ANSWER, ERROR, CONNECTED; kick: HN_ROOM_OUT_SHARE_STOPPED unused */
    gboolean kick;
    gboolean restart; /* the answer or error replies to a restart */
    char *sdp, *message, *reason;
    HnRoomError code;
} WhipMsg;

static void msg_free(gpointer data)
{
    WhipMsg *m = data;
    g_free(m->sdp);
    g_free(m->message);
    g_free(m->reason);
    g_free(m);
}

static int error_status(HnRoomError code)
{
    switch (code) {
    case HN_ROOM_ERR_BAD_SDP:
    case HN_ROOM_ERR_LIMIT:
        return 422;
    case HN_ROOM_ERR_FORBIDDEN:
        return 403;
    case HN_ROOM_ERR_BAD_STATE:
        return 409;
    case HN_ROOM_ERR_INTERNAL:
        break;
    }
    return 500;
}

/* ICE and DTLS never came up (the room's liveness check watches only connected legs). */
static gboolean connect_timeout(gpointer data)
{
    WhipSession *s = data;
    s->connect_src = 0;
    if (!s->connected)
        session_end(s->w, s, "disconnected", 0, NULL);
    return G_SOURCE_REMOVE;
}

/* The room did not answer in time (a stuck worker): the encoder hears 503. */
static gboolean answer_timeout(gpointer data)
{
    WhipSession *s = data;
    s->answer_src = 0;
    HnHttpRequest *req = s->pending;
    s->pending = NULL;
    if (s->restart_offer) { /* a restart: the session goes on as it was */
        g_clear_pointer(&s->restart_offer, g_free);
        g_clear_pointer(&s->restart_ufrag, g_free);
        reply_text(req, 503, "the room did not answer in time");
        return G_SOURCE_REMOVE;
    }
    s->pending = req;
    session_end(s->w, s, "disconnected", 503, "the room did not answer in time");
    return G_SOURCE_REMOVE;
}

static const char *bearer_of(const char *auth);

void hn_hub_whip_add_ice_links(HnHub *hub, HnHttpRequest *req, const char *room,
                               gboolean authorised)
{
    const HnConfig *cfg = hub->cfg;
    if (!cfg->whip_ice_servers || !cfg->whip_ice_servers[0])
        return;
    if (!authorised && room && cfg->jwt_secret) {
        const char *token = bearer_of(hn_http_request_authorization(req));
        g_autofree char *lroom = g_ascii_strdown(room, -1);
        HnTokenClaims c = {0};
        const char *why = NULL;
        if (token && strchr(token, '.') &&
            hn_join_token_verify(cfg->jwt_secret, token, lroom, g_get_real_time() / G_USEC_PER_SEC,
                                 &c, &why) == HN_TOKEN_OK) {
            authorised = TRUE;
            hn_token_claims_clear(&c);
        }
    }
    g_auto(GStrv) links = hn_whip_ice_links(cfg->whip_ice_servers, cfg->whip_ice_username,
                                            cfg->whip_ice_credential, authorised);
    for (guint i = 0; links[i]; i++)
        hn_http_request_add_header(req, "link", links[i]);
}

static void answer_publish(HnHubWhip *w, WhipSession *s, const WhipMsg *m)
{
    HnHttpRequest *req = s->pending;
    s->pending = NULL;
    remove_source(w, &s->answer_src);
    if (hn_http_request_is_gone(req)) { /* the encoder went away before its answer */
        hn_http_reply(req, 503, "text/plain", "", 0);
        session_end(w, s, "left", 0, NULL);
        return;
    }
    g_autofree char *location = g_strdup_printf("/whip/resource/%s", s->id);
    hn_http_request_add_header(req, "location", location);
    hn_http_request_add_header(req, "etag", s->etag);
    hn_http_request_add_header(req, "accept-patch", FRAG_TYPE);
    hn_hub_whip_add_ice_links(w->hub, req, NULL, TRUE); /* it passed the join gate */
    hn_http_reply(req, 201, SDP_TYPE, m->sdp, strlen(m->sdp));
    s->connect_src = add_timeout(w, HN_HUB_WHIP_CONNECT_TIMEOUT_S, connect_timeout, s);
}

static void answer_restart(HnHubWhip *w, WhipSession *s, const WhipMsg *m)
{
    HnHttpRequest *req = s->pending;
    s->pending = NULL;
    remove_source(w, &s->answer_src);
    HnSdpFrag f;
    GError *err = NULL;
    if (!hn_sdp_frag_parse(m->sdp, strlen(m->sdp), &f, &err) || !f.ufrag || !f.pwd) {
        g_clear_error(&err);
        hn_sdp_frag_clear(&f);
        reply_text(req, 500, "the room's answer has no ICE credentials");
        return;
    }
    g_free(s->offer);
    s->offer = g_steal_pointer(&s->restart_offer);
    g_free(s->remote_ufrag);
    s->remote_ufrag = g_steal_pointer(&s->restart_ufrag);
    new_etag(s);
    char *frag = hn_sdp_frag_write(TRUE, f.ufrag, f.pwd, f.mid, f.candidates);
    hn_sdp_frag_clear(&f);
    hn_http_request_add_header(req, "etag", s->etag);
    hn_http_reply(req, 200, FRAG_TYPE, frag, strlen(frag));
    g_free(frag);
    g_message("whip: p%" G_GUINT64_FORMAT " ICE restart answered", s->pid);
}

static gboolean msg_run(gpointer data)
{
    WhipMsg *m = data;
    HnHubWhip *w = m->hub->whip;
    WhipSession *s = w ? g_hash_table_lookup(w->by_pid, &m->pid) : NULL;
    if (!s)
        return G_SOURCE_REMOVE;
    if (m->kick) {
        session_end(w, s, m->reason, 503, "the media connection failed");
        return G_SOURCE_REMOVE;
    }
    switch (m->type) {
    case HN_ROOM_OUT_CONNECTED:
        s->connected = TRUE;
        remove_source(w, &s->connect_src);
        break;
    case HN_ROOM_OUT_ANSWER:
        if (!s->pending)
            break;
        if (m->restart)
            answer_restart(w, s, m);
        else
            answer_publish(w, s, m);
        break;
    case HN_ROOM_OUT_ERROR:
        if (!s->pending)
            break;
        if (m->restart) { /* the old connection goes on */
            HnHttpRequest *req = s->pending;
            s->pending = NULL;
            remove_source(w, &s->answer_src);
            g_clear_pointer(&s->restart_offer, g_free);
            g_clear_pointer(&s->restart_ufrag, g_free);
            reply_text(req, error_status(m->code), m->message);
        } else {
            session_end(w, s, "left", error_status(m->code), m->message);
        }
        break;
    default:
        break;
    }
    return G_SOURCE_REMOVE;
}

void hn_hub_whip_deliver(HnHub *hub, uint64_t pid, const HnRoomOut *out)
{
    gboolean reply = out->req_id && (strcmp(out->req_id, REQ_PUBLISH) == 0 ||
                                     strcmp(out->req_id, REQ_RESTART) == 0);
    switch (out->type) {
    case HN_ROOM_OUT_CONNECTED:
        if (out->sub)
            return;
        break;
    case HN_ROOM_OUT_ANSWER:
    case HN_ROOM_OUT_ERROR:
        if (!reply) { /* e.g. a refused trickled candidate: the encoder cannot be told */
            if (out->type == HN_ROOM_OUT_ERROR)
                g_message("whip: p%" G_GUINT64_FORMAT ": %s: %s", pid, out->ref ? out->ref : "-",
                          out->message ? out->message : "");
            return;
        }
        break;
    default:
        return; /* joined, events, sub offers, link, layers: nobody to tell */
    }
    WhipMsg *m = g_new0(WhipMsg, 1);
    m->hub = hub;
    m->pid = pid;
    m->type = out->type;
    m->restart = reply && strcmp(out->req_id, REQ_RESTART) == 0;
    m->sdp = g_strdup(out->sdp);
    m->message = g_strdup(out->message);
    m->code = out->code;
    hn_mailbox_post(hn_worker_pool_home(hub->pool), msg_run, m, msg_free);
}

void hn_hub_whip_kick(HnHub *hub, uint64_t pid, const char *reason)
{
    WhipMsg *m = g_new0(WhipMsg, 1);
    m->hub = hub;
    m->pid = pid;
    m->kick = TRUE;
    m->reason = g_strdup(reason ? reason : "disconnected");
    hn_mailbox_post(hn_worker_pool_home(hub->pool), msg_run, m, msg_free);
}

/* --- POST /whip/ROOM ---------------------------------------------------------------------- */

/* The bearer value of an Authorization header, NULL when none. transfer none (into auth). */
static const char *bearer_of(const char *auth)
{
    if (!auth || g_ascii_strncasecmp(auth, "Bearer ", 7) != 0)
        return NULL;
    const char *v = auth + 7;
    while (*v == ' ')
        v++;
    return *v ? v : NULL;
}

static int gate_status(HnProtoErrorCode code)
{
    switch (code) {
    case HN_PROTO_ERR_WRONG_ROOM:
        return 403;
    case HN_PROTO_ERR_LOCKED:
    case HN_PROTO_ERR_RATE_LIMITED:
        return 429;
    default:
        return 401;
    }
}

/* The offer as the room would take it: 0, or the status (400 unreadable, 422 nothing usable)
 * with a message in *msg (transfer full). *ufrag: the offer's ICE ufrag (transfer full). */
static int check_offer(const char *sdp, char **ufrag, char **msg)
{
    GError *err = NULL;
    HnNegOffer *offer = hn_neg_parse_offer(sdp, &err);
    if (!offer) {
        *msg = g_strdup_printf("unusable SDP offer: %s", err->message);
        g_error_free(err);
        return 400;
    }
    static const char fp[] = "00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:"
                             "00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00";
    HnNegLocal local = {
        .ufrag = "chck", .pwd = "checkcheckcheckcheckch", .fingerprint = fp, .ice_lite = TRUE};
    HnNegPublish res;
    memset(&res, 0, sizeof res);
    char *answer = hn_neg_answer_publish(offer, &local, &res, &err);
    int status = 0;
    if (!answer) {
        *msg = g_strdup_printf("the offer cannot be answered: %s", err->message);
        g_error_free(err);
        status = 422;
    } else if (res.n_tracks == 0) {
        *msg = g_strdup("the offer sends no usable media (H.264 or VP8 video, Opus audio)");
        status = 422;
    } else if (!hn_neg_offer_ufrag(offer) || !*hn_neg_offer_ufrag(offer)) {
        *msg = g_strdup("the offer has no ICE credentials");
        status = 400;
    } else {
        *ufrag = g_strdup(hn_neg_offer_ufrag(offer));
    }
    g_free(answer);
    if (answer)
        hn_neg_publish_clear(&res);
    hn_neg_offer_free(offer);
    return status;
}

/* The gate's refusal, as the WebSocket join's: counted, audited, logged without the secret. */
static void refused(HnHub *hub, HnHttpRequest *req, const char *room, const HnJoinVerdict *v)
{
    const char *addr = hn_http_request_peer(req), *code = hn_proto_error_code_name(v->code);
    hub->joins_refused++;
    g_message("whip: join refused: room %s from %s: %s (%s)", room, addr, code, v->message);
    g_autofree char *detail =
        g_strdup_printf("code=%s how=%s addr=%s client=whip", code, v->how ? v->how : "-", addr);
    hn_store_audit(hub->store, "whip", "join-refused", room, detail);
    if (v->locked_now) {
        g_autofree char *d = g_strdup_printf("addr=%s seconds=%u", addr, hub->cfg->lockout_seconds);
        hn_store_audit(hub->store, addr, "address-locked", room, d);
    }
    int status = gate_status(v->code);
    if (status == 401)
        hn_http_request_add_header(req, "www-authenticate", "Bearer");
    reply_text(req, status, v->message);
}

/* ?name=... of the query (first one), decoded; NULL when absent. transfer full. */
static char *query_name(const char *query)
{
    g_auto(GStrv) parts = g_strsplit(query, "&", 0);
    for (guint i = 0; parts[i]; i++)
        if (g_str_has_prefix(parts[i], "name="))
            return g_uri_unescape_string(parts[i] + 5, NULL);
    return NULL;
}

static void on_post(HnHubWhip *w, HnHttpRequest *req, const char *room_in)
{
    HnHub *hub = w->hub;
    if (!hub->cfg->ice_lite) {
        reply_text(req, 503, "WHIP needs [media] ice_lite = true on this server");
        return;
    }
    g_autofree char *room = g_ascii_strdown(room_in, -1);
    if (!hn_proto_room_name_valid(room)) {
        reply_text(req, 404, "no such room");
        return;
    }
    if (!type_is(hn_http_request_content_type(req), SDP_TYPE)) {
        reply_text(req, 415, "the body must be application/sdp");
        return;
    }
    size_t len = 0;
    const char *sdp = hn_http_request_body(req, &len);
    if (len == 0) {
        reply_text(req, 400, "no SDP offer in the body");
        return;
    }
    if (strlen(sdp) != len || !g_utf8_validate(sdp, (gssize)len, NULL)) {
        reply_text(req, 400, "the SDP offer is not text");
        return;
    }
    const char *bearer = bearer_of(hn_http_request_authorization(req));
    gboolean jwt = bearer && strchr(bearer, '.') != NULL; /* a PIN has no dots */
    HnJoinVerdict v;
    hn_join_gate_check(hub->gate, room, hn_http_request_peer(req), jwt ? bearer : NULL,
                       jwt ? NULL : bearer, NULL, g_get_monotonic_time(),
                       g_get_real_time() / G_USEC_PER_SEC, &v);
    if (v.ok && v.name && !hn_proto_display_name_valid(v.name)) {
        hn_join_verdict_clear(&v);
        v.code = HN_PROTO_ERR_BAD_TOKEN;
        v.message = "the token's name is not a valid display name";
        v.how = "token";
    }
    if (!v.ok) {
        refused(hub, req, room, &v);
        hn_join_verdict_clear(&v);
        return;
    }
    if (v.role == HN_ROLE_OBSERVER) {
        hn_join_verdict_clear(&v);
        reply_text(req, 403, "an observer's token may not publish");
        return;
    }
    g_autofree char *name = v.name ? g_strdup(v.name) : query_name(hn_http_request_query(req));
    if (!name)
        name = g_strdup("WHIP");
    if (!hn_proto_display_name_valid(name)) {
        hn_join_verdict_clear(&v);
        reply_text(req, 400, "the name is not a valid display name");
        return;
    }
    HnRoomPolicy pol;
    HnRoomEntry *e = g_hash_table_lookup(hub->rooms, room);
    if (!e && !hn_hub_room_policy(hub, room, &pol) && !hub->cfg->auto_create) {
        hn_join_verdict_clear(&v);
        reply_text(req, 404, "no such room");
        return;
    }
    if (e && e->floor && hn_floor_locked(e->floor)) {
        hn_join_verdict_clear(&v);
        reply_text(req, 403, "the chair locked the meeting");
        return;
    }
    g_autofree char *msg = NULL;
    g_autofree char *ufrag = NULL;
    int st = check_offer(sdp, &ufrag, &msg);
    if (st) {
        hn_join_verdict_clear(&v);
        reply_text(req, st, msg);
        return;
    }
    guint retry = hn_hub_busy(hub, room);
    if (retry) { /* admission control: RFC 9110 15.6.4, with Retry-After */
        hn_join_verdict_clear(&v);
        char secs[16];
        g_snprintf(secs, sizeof secs, "%u", retry);
        hn_http_request_add_header(req, "retry-after", secs);
        reply_text(req, 503, "the server is overloaded, try again later");
        return;
    }
    WhipSession *s = g_new0(WhipSession, 1);
    s->w = w;
    s->pid = HN_HUB_WHIP_PID_BASE + ++w->next;
    random_hex(s->id, 16);
    new_etag(s);
    s->offer = g_strndup(sdp, len);
    s->remote_ufrag = g_steal_pointer(&ufrag);
    HnHubJoin j = {
        .room = g_strdup(room),
        .name = g_strdup(name),
        .role = HN_ROLE_SITE,
        .sub = g_strdup(v.sub),
        .how = g_strdup(v.how),
        .addr = g_strdup(hn_http_request_peer(req)),
        .client = g_strdup("whip"),
    };
    hn_join_verdict_clear(&v);
    gboolean in = hn_hub_enter(hub, s->pid, &j);
    hn_hub_join_clear(&j);
    if (!in) {
        session_free(s);
        reply_text(req, 503, "the room is full");
        return;
    }
    g_hash_table_insert(w->by_id, s->id, s);
    g_hash_table_insert(w->by_pid, &s->pid, s);
    s->pending = req;
    s->answer_src = add_timeout(w, HN_HUB_WHIP_ANSWER_TIMEOUT_S, answer_timeout, s);
    g_message("whip: p%" G_GUINT64_FORMAT " \"%s\" publishes into %s", s->pid, name, room);
    hn_hub_publish(hub, s->pid, s->offer, REQ_PUBLISH);
}

/* --- PATCH /whip/resource/ID -------------------------------------------------------------- */

static void on_patch(HnHubWhip *w, HnHttpRequest *req, WhipSession *s)
{
    if (!type_is(hn_http_request_content_type(req), FRAG_TYPE)) {
        reply_text(req, 415, "the body must be " FRAG_TYPE);
        return;
    }
    const char *if_match = hn_http_request_if_match(req);
    if (!if_match) {
        reply_text(req, 428, "If-Match is required");
        return;
    }
    gboolean any = strcmp(if_match, "*") == 0;
    if (!any && strcmp(if_match, s->etag) != 0) {
        reply_text(req, 412, "the ETag does not match the session's");
        return;
    }
    size_t len = 0;
    const char *body = hn_http_request_body(req, &len);
    HnSdpFrag f;
    GError *err = NULL;
    if (!hn_sdp_frag_parse(body, len, &f, &err)) {
        g_autofree char *msg = g_strdup_printf("bad sdpfrag: %s", err->message);
        g_error_free(err);
        reply_text(req, 400, msg);
        return;
    }
    gboolean restart = f.ufrag && strcmp(f.ufrag, s->remote_ufrag) != 0;
    if (!restart) {
        for (guint i = 0; i < f.candidates->len; i++)
            hn_hub_candidate(w->hub, s->pid, g_ptr_array_index(f.candidates, i));
        hn_sdp_frag_clear(&f);
        hn_http_reply(req, 204, "text/plain", "", 0);
        return;
    }
    if (!f.pwd) {
        hn_sdp_frag_clear(&f);
        reply_text(req, 400, "an ICE restart needs ice-ufrag and ice-pwd");
        return;
    }
    if (s->pending) {
        hn_sdp_frag_clear(&f);
        reply_text(req, 409, "an answer is still pending");
        return;
    }
    s->restart_offer = hn_sdp_frag_replace_credentials(s->offer, f.ufrag, f.pwd);
    s->restart_ufrag = g_strdup(f.ufrag);
    s->pending = req;
    s->answer_src = add_timeout(w, HN_HUB_WHIP_ANSWER_TIMEOUT_S, answer_timeout, s);
    hn_hub_publish(w->hub, s->pid, s->restart_offer, REQ_RESTART);
    /* candidates of the restarted agent, after its description */
    for (guint i = 0; i < f.candidates->len; i++)
        hn_hub_candidate(w->hub, s->pid, g_ptr_array_index(f.candidates, i));
    hn_sdp_frag_clear(&f);
}

/* --- the route ---------------------------------------------------------------------------- */

static void bad_method(HnHttpRequest *req, const char *allow)
{
    hn_http_request_add_header(req, "allow", allow);
    reply_text(req, 405, "method not allowed here");
}

static void on_request(void *user, HnHttpRequest *req)
{
    HnHubWhip *w = user;
    const char *sub = hn_http_request_subpath(req);
    HnHttpMethod m = hn_http_request_method(req);
    if (g_str_has_prefix(sub, "/resource/") || strcmp(sub, "/resource") == 0) {
        WhipSession *s = session_of_path(w, sub);
        if (m != HN_HTTP_PATCH && m != HN_HTTP_DELETE) {
            bad_method(req, "PATCH, DELETE");
            return;
        }
        if (!s) {
            reply_text(req, 404, "no such WHIP session");
            return;
        }
        if (m == HN_HTTP_PATCH) {
            on_patch(w, req, s);
            return;
        }
        session_end(w, s, "left", 0, NULL);
        hn_http_reply(req, 200, "text/plain", "", 0);
        return;
    }
    if (sub[0] != '/' || !sub[1] || strchr(sub + 1, '/')) {
        reply_text(req, 404, "no such path: POST /whip/ROOM");
        return;
    }
    switch (m) {
    case HN_HTTP_OPTIONS:
        hn_http_request_add_header(req, "accept-post", SDP_TYPE);
        hn_http_request_add_header(req, "allow", "OPTIONS, POST");
        hn_hub_whip_add_ice_links(w->hub, req, sub + 1, FALSE);
        hn_http_reply(req, 204, "text/plain", "", 0);
        return;
    case HN_HTTP_POST:
        on_post(w, req, sub + 1);
        return;
    default:
        bad_method(req, "OPTIONS, POST");
        return;
    }
}

void hn_hub_whip_end(HnHub *hub, uint64_t pid, const char *why)
{
    /* at the next loop turn, as a closed socket's on_close: the caller may be iterating the
     * room's floor */
    hn_hub_whip_kick(hub, pid, why);
}

void hn_hub_whip_register(HnHub *hub, GMainContext *ctx)
{
    HnHubWhip *w = g_new0(HnHubWhip, 1);
    w->hub = hub;
    w->ctx = ctx;
    w->by_id = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, session_free);
    w->by_pid = g_hash_table_new(g_int64_hash, g_int64_equal);
    hub->whip = w;
    if (hn_http_routes_add(hub->routes,
                           HN_HTTP_POST | HN_HTTP_OPTIONS | HN_HTTP_PATCH | HN_HTTP_DELETE, "/whip",
                           HN_HTTP_ROUTE_PREFIX, 0, on_request, w) < 0)
        g_warning("whip: cannot add the /whip routes");
}

void hn_hub_whip_free(HnHub *hub)
{
    HnHubWhip *w = hub ? hub->whip : NULL;
    if (!w)
        return;
    hub->whip = NULL;
    GHashTableIter it;
    gpointer v;
    g_hash_table_iter_init(&it, w->by_id);
    while (g_hash_table_iter_next(&it, NULL, &v)) {
        WhipSession *s = v;
        remove_source(w, &s->answer_src);
        remove_source(w, &s->connect_src);
        if (s->pending)
            reply_text(s->pending, 503, "the server is stopping");
    }
    g_hash_table_destroy(w->by_pid);
    g_hash_table_destroy(w->by_id);
    g_free(w);
}
