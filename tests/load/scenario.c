/* scenario.c - the life of one hn-load run on the main loop: prepare the room (Janus), start
 * the publishers and wait until they send, add subscribers (all at once, or STEP per ramp
 * step), wait until they have a first key frame, then measure a window between two snapshots
 * of every peer; join probes run during the window. Also the glue between WebSockets, the
 * signalling code and the media peers. */
#include <string.h>

#include "lite.h"
#include "report.h"
#include "run.h"

#define TICK_MS          100
#define PROBE_TIMEOUT_NS (10 * 1000000000LL)
#define PROBE_GAP_NS     (1000 * 1000000LL) /* plus up to 1 s at random */
#define STOP_GRACE_NS    (700 * 1000000LL)
#define NS               1000000000LL

typedef enum { PH_ADMIN, PH_PUBLISH, PH_SUBSCRIBE, PH_WINDOW, PH_STOP } Phase;

struct LoadRun {
    const LoadConfig *cfg;
    const LoadMedia *media;
    GMainLoop *loop;
    HnCert *cert;
    HnIceSettings ice;
    LoadEnv env;
    HnWorkerPool *pool;
    LoadWsCtx *ws;
    const LoadSigOps *sig;
    GPtrArray *clients; /* LoadClient*, creation order; index = position */
    GPtrArray *pubs;    /* publishing clients, pub_index order */
    GQueue spawn;       /* clients waiting to be started */
    LoadClient *admin;
    Phase phase;
    int64_t deadline_ns, window_end_ns, stop_at_ns;
    int64_t streams_checked_ns; /* --wait-streams: the last check */
    guint tick;
    LoadSnapshot *base;
    int step, ramp_best;
    json_t *ramp_steps;
    int probes_done;
    LoadClient *probe;
    int64_t probe_next_ns, probe_deadline_ns;
    int exit_code;
};

static void enter_stop(LoadRun *r, int code);
static void start_client(LoadRun *r, LoadClient *c);

/* --- hooks for the signalling code --------------------------------------------------- */

const LoadConfig *load_run_config(LoadRun *run)
{
    return run->cfg;
}

static void ev_local_sdp(void *user, LoadPeer *p, char *sdp)
{
    LoadClient *c = user;
    if (c->closed)
        g_free(sdp);
    else
        c->run->sig->local_sdp(c, p, sdp);
}

static void ev_candidate(void *user, LoadPeer *p, const char *candidate)
{
    LoadClient *c = user;
    if (!c->closed)
        c->run->sig->local_candidate(c, p, candidate);
}

static void ev_connected(void *user, LoadPeer *p)
{
    LoadClient *c = user;
    if (p == c->pub) {
        c->pub_connected = TRUE;
        if (c->run->cfg->target == LOAD_TARGET_HOINGHI || c->janus_pub_up)
            load_run_pub_ready(c);
    } else {
        c->sub_connected = TRUE;
        c->sub_connected_ns = load_now_ns();
    }
}

static void ev_failed(void *user, LoadPeer *p, const char *reason)
{
    char *why =
        g_strdup_printf("%s transport: %s", p == ((LoadClient *)user)->pub ? "pub" : "sub", reason);
    load_run_client_failed(user, why);
    g_free(why);
}

static void stop_client(LoadClient *c);

/* Time between one probe's key frame and the next probe: 1-2 s at random, so probes do not
 * fall into step with an SFU's periodic behaviour (key frame request throttling). */
static int64_t probe_gap(void)
{
    return PROBE_GAP_NS + (int64_t)g_random_int_range(0, 1000) * 1000000;
}

static void ev_keyframe(void *user, LoadPeer *p, int64_t keyframe_ns)
{
    LoadClient *c = user;
    if (c->keyframe_ns)
        return;
    c->keyframe_ns = keyframe_ns;
    if (c->probe && c->run->probe == c) {
        LoadRun *r = c->run;
        if (r->cfg->verbose)
            g_printerr("hn-load: %s joined in %d ms (media connected at %d ms)\n", c->name,
                       (int)((keyframe_ns - c->ws_open_ns) / 1000000),
                       c->sub_connected_ns ? (int)((c->sub_connected_ns - c->ws_open_ns) / 1000000)
                                           : -1);
        stop_client(c);
        r->probe = NULL;
        r->probes_done++;
        r->probe_next_ns = keyframe_ns + probe_gap();
    }
}

static const LoadPeerEvents peer_events = {
    .on_local_sdp = ev_local_sdp,
    .on_candidate = ev_candidate,
    .on_connected = ev_connected,
    .on_failed = ev_failed,
    .on_keyframe = ev_keyframe,
};

static HnWorker *pick_worker(LoadRun *r)
{
    HnWorker *w = hn_worker_pool_pick(r->pool);
    hn_worker_add_room(w);
    return w;
}

LoadPeer *load_run_pub_peer(LoadClient *c)
{
    if (!c->pub)
        c->pub = load_peer_new(&c->run->env, pick_worker(c->run), LOAD_PEER_PUB, c->index,
                               &peer_events, c);
    return c->pub;
}

LoadPeer *load_run_sub_peer(LoadClient *c)
{
    if (!c->sub)
        c->sub = load_peer_new(&c->run->env, pick_worker(c->run), LOAD_PEER_SUB, c->index,
                               &peer_events, c);
    return c->sub;
}

LoadClient *load_run_pub_by_id(LoadRun *run, const char *id)
{
    for (guint i = 0; id && *id && i < run->pubs->len; i++) {
        LoadClient *c = run->pubs->pdata[i];
        if (strcmp(c->id, id) == 0)
            return c;
    }
    return NULL;
}

LoadClient *load_run_pub_by_feed(LoadRun *run, guint64 feed)
{
    for (guint i = 0; feed && i < run->pubs->len; i++) {
        LoadClient *c = run->pubs->pdata[i];
        if (c->feed == feed)
            return c;
    }
    return NULL;
}

gboolean load_run_wants(LoadClient *c, int pub_index)
{
    if (!c->subscribes || (c->publishes && pub_index == c->pub_index))
        return FALSE;
    int k = c->run->cfg->subscribe_to;
    return k < 0 || (pub_index >= 0 && pub_index < k);
}

GPtrArray *load_run_wanted_pubs(LoadClient *c)
{
    GPtrArray *out = g_ptr_array_new();
    for (guint i = 0; i < c->run->pubs->len; i++) {
        if (load_run_wants(c, (int)i))
            g_ptr_array_add(out, c->run->pubs->pdata[i]);
    }
    return out;
}

void load_run_pub_ready(LoadClient *c)
{
    if (c->ready)
        return;
    c->ready = TRUE;
    if (c->run->cfg->verbose)
        g_printerr("hn-load: %s is sending\n", c->name);
}

void load_run_client_failed(LoadClient *c, const char *reason)
{
    if (c->failed || c->closed)
        return;
    c->failed = TRUE;
    c->fail_reason = g_strdup(reason);
    g_printerr("hn-load: %s: %s\n", c->name, reason);
    LoadRun *r = c->run;
    if (c->publishes && r->phase <= PH_PUBLISH) {
        g_printerr("hn-load: a publisher failed before the measurement: stopping\n");
        enter_stop(r, 3);
    }
    if (c->probe && r->probe == c) {
        stop_client(c);
        r->probe = NULL;
        r->probes_done++;
        r->probe_next_ns = load_now_ns() + probe_gap();
    }
}

void load_run_send(LoadClient *c, char *text)
{
    if (c->run->cfg->verbose)
        g_printerr("%s >> %s\n", c->name, text);
    load_ws_send(c->ws, text);
}

void load_run_admin_done(LoadRun *run, gboolean ok, const char *reason)
{
    if (run->phase != PH_ADMIN)
        return;
    if (!ok) {
        g_printerr("hn-load: cannot prepare Janus room %s: %s\n", run->cfg->room, reason);
        enter_stop(run, 3);
        return;
    }
    stop_client(run->admin);
    run->phase = PH_PUBLISH;
    run->deadline_ns = load_now_ns() + (int64_t)(run->cfg->setup_timeout * NS);
}

/* --- clients -------------------------------------------------------------------------- */

static void ws_open(void *user)
{
    LoadClient *c = user;
    c->ws_open_ns = load_now_ns();
    c->last_keepalive_ns = c->ws_open_ns;
    c->run->sig->on_open(c);
}

static void ws_message(void *user, const char *text, size_t len)
{
    LoadClient *c = user;
    if (c->run->cfg->verbose)
        g_printerr("%s << %.*s\n", c->name, (int)len, text);
    if (!c->closed)
        c->run->sig->on_message(c, text, len);
}

static void ws_close(void *user, const char *reason)
{
    LoadClient *c = user;
    c->ws = NULL;
    char *why = g_strdup_printf("signalling socket closed: %s", reason);
    load_run_client_failed(c, why);
    g_free(why);
}

static const LoadWsEvents ws_events = {
    .on_open = ws_open,
    .on_message = ws_message,
    .on_close = ws_close,
};

static LoadClient *client_new(LoadRun *r, const char *kind, gboolean pub, gboolean sub)
{
    LoadClient *c = g_new0(LoadClient, 1);
    c->run = r;
    c->index = (int)r->clients->len;
    c->publishes = pub;
    c->subscribes = sub;
    c->pub_index = -1;
    g_snprintf(c->name, sizeof c->name, "%s-%d", kind, c->index);
    g_ptr_array_add(r->clients, c);
    if (pub) {
        c->pub_index = (int)r->pubs->len;
        g_ptr_array_add(r->pubs, c);
    }
    /* Janus: a subscribe-only client subscribes as soon as its session exists. */
    c->sub_requested = sub && !pub;
    return c;
}

static void start_client(LoadRun *r, LoadClient *c)
{
    GError *err = NULL;
    c->start_ns = load_now_ns();
    c->ws = load_ws_connect(r->ws, r->cfg->url, r->sig->subprotocol, &ws_events, c, &err);
    if (!c->ws) {
        load_run_client_failed(c, err->message);
        g_error_free(err);
    }
}

static void stop_client(LoadClient *c)
{
    if (c->closed)
        return;
    if (c->ws && !c->failed)
        c->run->sig->leave(c);
    c->closed = TRUE;
    load_ws_close(c->ws);
    c->ws = NULL;
    load_peer_close(c->pub);
    load_peer_close(c->sub);
}

static void client_free(gpointer data)
{
    LoadClient *c = data;
    load_peer_free(c->pub);
    load_peer_free(c->sub);
    g_free(c->fail_reason);
    g_free(c);
}

/* --- snapshots and windows ---------------------------------------------------------------- */

static LoadSnapshot *take_snapshot(LoadRun *r)
{
    LoadSnapshot *s = g_new0(LoadSnapshot, 1);
    size_t n = r->clients->len;
    s->n = n;
    s->pub = g_new0(LoadPeerSnap, n ? n : 1);
    s->sub = g_new0(LoadPeerSnap, n ? n : 1);
    LoadPeer **pp = g_new0(LoadPeer *, n ? n : 1), **sp = g_new0(LoadPeer *, n ? n : 1);
    for (size_t i = 0; i < n; i++) {
        LoadClient *c = r->clients->pdata[i];
        pp[i] = c->probe ? NULL : c->pub;
        sp[i] = c->probe ? NULL : c->sub;
    }
    load_peers_snapshot(pp, n, s->pub);
    load_peers_snapshot(sp, n, s->sub);
    g_free(pp);
    g_free(sp);
    s->t_ns = load_now_ns();
    s->self_cpu_s = load_self_cpu();
    s->socket_drops = load_lite_socket_drops();
    if (r->cfg->server_pid > 0)
        s->server_ok = load_proc_read(r->cfg->server_pid, &s->server_cpu_s, &s->server_rss_kb,
                                      &s->server_hwm_kb);
    return s;
}

/* Whether every subscriber has received packets on every stream it expects (audio and video of
 * each publisher it wants). Takes a snapshot of every peer: call it a few times a second. */
static gboolean all_streams_flowing(LoadRun *r)
{
    LoadSnapshot *s = take_snapshot(r);
    gboolean ok = TRUE;
    for (guint i = 0; ok && i < r->clients->len && i < s->n; i++) {
        LoadClient *c = r->clients->pdata[i];
        if (!c->subscribes || c->probe || c->failed)
            continue;
        GPtrArray *wanted = load_run_wanted_pubs(c);
        guint expected = wanted->len * (r->cfg->audio ? 2 : 1), got = 0;
        g_ptr_array_free(wanted, TRUE);
        const LoadPeerSnap *ps = &s->sub[i];
        GHashTable *seen = g_hash_table_new(NULL, NULL);
        for (size_t k = 0; ps->valid && k < ps->n_streams; k++) {
            const LoadRxStream *st = &ps->streams[k];
            if (st->packets > 0 && st->pub >= 0)
                g_hash_table_add(seen, GINT_TO_POINTER(st->pub * 2 + (st->kind == HN_KIND_VIDEO)));
        }
        got = g_hash_table_size(seen);
        g_hash_table_destroy(seen);
        ok = got >= expected;
    }
    load_snapshot_free(s);
    return ok;
}

static gboolean all_joined(LoadRun *r);

/* Every subscriber has its first key frame (and, with --wait-streams, packets on every stream
 * it expects; checked every 250 ms). */
static gboolean ready_to_measure(LoadRun *r, int64_t now)
{
    if (!all_joined(r))
        return FALSE;
    if (!r->cfg->wait_streams)
        return TRUE;
    if (now - r->streams_checked_ns < NS / 4)
        return FALSE;
    r->streams_checked_ns = now;
    return all_streams_flowing(r);
}

static void queue_subscribers(LoadRun *r, int n)
{
    for (int i = 0; i < n; i++)
        g_queue_push_tail(&r->spawn, client_new(r, "sub", FALSE, TRUE));
}

static void enter_subscribe(LoadRun *r)
{
    const LoadConfig *cfg = r->cfg;
    r->phase = PH_SUBSCRIBE;
    r->deadline_ns = load_now_ns() + (int64_t)(cfg->setup_timeout * NS);
    for (guint i = 0; i < r->clients->len; i++) {
        LoadClient *c = r->clients->pdata[i];
        if (c->publishes && c->subscribes)
            r->sig->subscribe(c);
    }
    if (cfg->ramp_step > 0)
        queue_subscribers(r, MIN(cfg->ramp_step, cfg->subscribers));
    else
        queue_subscribers(r, cfg->subscribers);
}

static void start_window(LoadRun *r)
{
    load_snapshot_free(r->base);
    r->base = take_snapshot(r);
    r->phase = PH_WINDOW;
    double len = r->cfg->ramp_step > 0 ? r->cfg->ramp_interval : r->cfg->duration;
    r->window_end_ns = r->base->t_ns + (int64_t)(len * NS);
    r->probe_next_ns = r->base->t_ns + NS;
    /* a mark for whoever watches the run (tests scrape the server during the window) */
    printf("WINDOW start %.1f s\n", len);
    fflush(stdout);
}

static int count_subscribers(LoadRun *r)
{
    int n = 0;
    for (guint i = 0; i < r->clients->len; i++) {
        LoadClient *c = r->clients->pdata[i];
        n += c->subscribes && !c->probe;
    }
    return n;
}

static void ramp_summary(LoadRun *r)
{
    json_t *o = json_pack(
        "{s:s, s:i, s:s, s:s, s:s, s:i, s:f, s:i, s:o}", "tool", "hn-load", "version", 1, "target",
        r->cfg->target == LOAD_TARGET_JANUS ? "janus" : "hoinghi", "mode", "ramp-summary", "room",
        r->cfg->room, "ramp_step", r->cfg->ramp_step, "ok_loss_pct", r->cfg->ramp_ok_loss,
        "max_ok_subscribers", r->ramp_best, "steps", json_incref(r->ramp_steps));
    load_report_emit(o, r->cfg->json_path);
    json_decref(o);
    printf("\n== ramp: at most %d subscribers with loss <= %.2f%%\n", r->ramp_best,
           r->cfg->ramp_ok_loss);
}

/* Ends a ramp step; returns TRUE when the ramp goes on. */
static gboolean ramp_next(LoadRun *r, const LoadFigures *f)
{
    const LoadConfig *cfg = r->cfg;
    json_array_append_new(r->ramp_steps,
                          json_pack("{s:i, s:i, s:f, s:I, s:I, s:i}", "step", r->step,
                                    "subscribers", f->subscribers, "loss_pct", f->loss_pct,
                                    "delay_p50_us", (json_int_t)load_hist_quantile(&f->delay, 0.5),
                                    "delay_p99_us", (json_int_t)load_hist_quantile(&f->delay, 0.99),
                                    "silent", f->subscribers_silent));
    gboolean held =
        f->loss_pct <= cfg->ramp_ok_loss && f->subscribers_silent == 0 && f->received_packets > 0;
    if (held && f->subscribers > r->ramp_best)
        r->ramp_best = f->subscribers;
    int have = count_subscribers(r);
    if (f->loss_pct > cfg->ramp_stop_loss || have >= cfg->subscribers)
        return FALSE;
    r->step++;
    r->phase = PH_SUBSCRIBE;
    r->deadline_ns = load_now_ns() + (int64_t)(cfg->setup_timeout * NS);
    queue_subscribers(r, MIN(cfg->ramp_step, cfg->subscribers - have));
    return TRUE;
}

static void end_window(LoadRun *r)
{
    const LoadConfig *cfg = r->cfg;
    gboolean ramp = cfg->ramp_step > 0;
    LoadSnapshot *now = take_snapshot(r);
    LoadFigures f;
    load_figures_compute(&f, r->clients, r->base, now, ramp ? -1 : cfg->max_loss, !ramp);
    const char *mode = ramp ? "ramp" : cfg->mesh > 0 ? "mesh" : "fixed";
    char *title = ramp ? g_strdup_printf("ramp step %d: %d subscribers", r->step, f.subscribers)
                       : g_strdup_printf("%s run: %d publishers, %d subscribers", mode,
                                         f.publishers, f.subscribers);
    load_report_print(stdout, cfg, title, &f, r->clients, r->base, now);
    json_t *o = load_report_json(cfg, r->media, mode, r->step, &f, r->clients, r->base, now);
    load_report_emit(o, cfg->json_path);
    json_decref(o);
    g_free(title);
    int code = f.problems->len ? 1 : 0;
    gboolean more = ramp && ramp_next(r, &f);
    load_figures_clear(&f);
    load_snapshot_free(now);
    if (more)
        return;
    if (ramp) {
        ramp_summary(r);
        code = 0;
    }
    enter_stop(r, code);
}

/* --- phases ---------------------------------------------------------------------------- */

static gboolean all_ready(LoadRun *r)
{
    for (guint i = 0; i < r->pubs->len; i++) {
        if (!((LoadClient *)r->pubs->pdata[i])->ready)
            return FALSE;
    }
    return g_queue_is_empty(&r->spawn);
}

static gboolean all_joined(LoadRun *r)
{
    if (!g_queue_is_empty(&r->spawn))
        return FALSE;
    for (guint i = 0; i < r->clients->len; i++) {
        LoadClient *c = r->clients->pdata[i];
        if (c->subscribes && !c->probe && !c->keyframe_ns && !c->failed)
            return FALSE;
    }
    return TRUE;
}

static void run_probes(LoadRun *r, int64_t now)
{
    if (r->probe && now > r->probe_deadline_ns) {
        load_run_client_failed(r->probe, "no key frame within 10 s");
        return;
    }
    if (!r->probe && r->probes_done < r->cfg->join_probes && now >= r->probe_next_ns) {
        r->probe = client_new(r, "probe", FALSE, TRUE);
        r->probe->probe = TRUE;
        r->probe_deadline_ns = now + PROBE_TIMEOUT_NS;
        start_client(r, r->probe);
    }
}

static void phase_check(LoadRun *r, int64_t now)
{
    switch (r->phase) {
    case PH_ADMIN:
        if (now > r->deadline_ns) {
            g_printerr("hn-load: Janus did not answer the room set-up in time\n");
            enter_stop(r, 3);
        }
        break;
    case PH_PUBLISH:
        if (all_ready(r)) {
            enter_subscribe(r);
        } else if (now > r->deadline_ns) {
            g_printerr("hn-load: publishers not sending after %.0f s\n", r->cfg->setup_timeout);
            enter_stop(r, 3);
        }
        break;
    case PH_SUBSCRIBE:
        if (now > r->deadline_ns || ready_to_measure(r, now))
            start_window(r);
        break;
    case PH_WINDOW:
        if (r->cfg->ramp_step == 0)
            run_probes(r, now);
        if (now >= r->window_end_ns && (r->probes_done >= r->cfg->join_probes ||
                                        r->cfg->ramp_step > 0 || now > r->window_end_ns + 60 * NS))
            end_window(r);
        break;
    case PH_STOP:
        if (now >= r->stop_at_ns)
            g_main_loop_quit(r->loop);
        break;
    }
}

static gboolean on_tick(gpointer data)
{
    LoadRun *r = data;
    int64_t now = load_now_ns();
    int budget = MAX(1, r->cfg->spawn_rate * TICK_MS / 1000);
    while (r->phase != PH_STOP && r->phase != PH_ADMIN && budget-- > 0 &&
           !g_queue_is_empty(&r->spawn))
        start_client(r, g_queue_pop_head(&r->spawn));
    for (guint i = 0; i < r->clients->len; i++) {
        LoadClient *c = r->clients->pdata[i];
        if (c->ws && !c->closed && !c->failed)
            r->sig->tick(c, now);
    }
    phase_check(r, now);
    return G_SOURCE_CONTINUE;
}

static void enter_stop(LoadRun *r, int code)
{
    if (r->phase == PH_STOP)
        return;
    r->phase = PH_STOP;
    r->exit_code = code;
    r->stop_at_ns = load_now_ns() + STOP_GRACE_NS;
    for (guint i = 0; i < r->clients->len; i++)
        stop_client(r->clients->pdata[i]);
}

void load_run_interrupt(LoadRun *r)
{
    if (r->phase == PH_WINDOW) {
        r->window_end_ns = 0;
        r->probes_done = r->cfg->join_probes;
        end_window(r);
        if (r->phase != PH_STOP) { /* a ramp would go on: not after an interrupt */
            ramp_summary(r);
            enter_stop(r, 0);
        }
    } else {
        enter_stop(r, r->phase == PH_STOP ? r->exit_code : 1);
    }
}

/* --- run ---------------------------------------------------------------------------------- */

LoadRun *load_run_new(const LoadConfig *cfg, const LoadMedia *media, GMainLoop *loop,
                      GError **error)
{
    LoadRun *r = g_new0(LoadRun, 1);
    r->cfg = cfg;
    r->media = media;
    r->loop = g_main_loop_ref(loop);
    r->clients = g_ptr_array_new_with_free_func(client_free);
    r->pubs = g_ptr_array_new();
    r->ramp_steps = json_array();
    g_queue_init(&r->spawn);
    r->sig = cfg->target == LOAD_TARGET_JANUS ? &load_sig_janus : &load_sig_hoinghi;
    if (cfg->local_ip) {
        r->ice.addresses = g_new0(char *, 2);
        r->ice.addresses[0] = g_strdup(cfg->local_ip);
    }
    r->cert = hn_cert_generate(error);
    if (!r->cert || !(r->ws = load_ws_ctx_new(loop, error))) {
        load_run_free(r);
        return NULL;
    }
    r->env = (LoadEnv){
        .media = media,
        .cert = r->cert,
        .ice = &r->ice,
        .audio = cfg->audio,
        .pacing = cfg->pacing,
        .lite_ip = cfg->lite_ip,
        .main_ctx = g_main_loop_get_context(loop),
    };
    r->pool = hn_worker_pool_new((guint)cfg->threads);
    return r;
}

int load_run_execute(LoadRun *r)
{
    const LoadConfig *cfg = r->cfg;
    r->deadline_ns = load_now_ns() + (int64_t)(cfg->setup_timeout * NS);
    if (cfg->target == LOAD_TARGET_JANUS) {
        r->phase = PH_ADMIN;
        r->admin = client_new(r, "admin", FALSE, FALSE);
        r->admin->admin = TRUE;
        start_client(r, r->admin);
    } else {
        r->phase = PH_PUBLISH;
    }
    for (int i = 0; i < cfg->mesh; i++)
        g_queue_push_tail(&r->spawn, client_new(r, "mesh", TRUE, TRUE));
    for (int i = 0; i < cfg->publishers; i++)
        g_queue_push_tail(&r->spawn, client_new(r, "pub", TRUE, FALSE));
    GSource *src = g_timeout_source_new(TICK_MS);
    g_source_set_callback(src, on_tick, r, NULL);
    r->tick = g_source_attach(src, g_main_loop_get_context(r->loop));
    g_source_unref(src);
    g_main_loop_run(r->loop);
    return r->exit_code;
}

void load_run_free(LoadRun *r)
{
    if (!r)
        return;
    if (r->tick)
        g_source_remove(r->tick);
    /* Workers first: they run the transports' deferred frees before they stop. */
    hn_worker_pool_free(r->pool);
    load_ws_ctx_free(r->ws);
    g_queue_clear(&r->spawn);
    g_ptr_array_free(r->pubs, TRUE);
    g_ptr_array_free(r->clients, TRUE);
    load_snapshot_free(r->base);
    json_decref(r->ramp_steps);
    hn_cert_unref(r->cert);
    g_strfreev(r->ice.addresses);
    g_main_loop_unref(r->loop);
    g_free(r);
}
