/* peer.c - LoadPeer lifecycle: jobs queued from the main thread to the worker, transport
 * callbacks, events posted back, snapshots. Media itself is in peer_media.c. */
#include "peer_priv.h"

#include <string.h>
#include <time.h>

int64_t load_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* --- events: worker -> main ------------------------------------------------------------- */

typedef enum { EV_SDP, EV_CANDIDATE, EV_CONNECTED, EV_FAILED, EV_KEYFRAME } EvKind;

typedef struct {
    LoadPeer *p;
    EvKind kind;
    char *text;
    int64_t t;
} Ev;

static gboolean ev_run(gpointer data)
{
    Ev *e = data;
    LoadPeer *p = e->p;
    if (p->main_closed)
        return G_SOURCE_REMOVE;
    switch (e->kind) {
    case EV_SDP:
        p->ev->on_local_sdp(p->user, p, e->text);
        e->text = NULL;
        break;
    case EV_CANDIDATE:
        p->ev->on_candidate(p->user, p, e->text);
        break;
    case EV_CONNECTED:
        p->ev->on_connected(p->user, p);
        break;
    case EV_FAILED:
        p->ev->on_failed(p->user, p, e->text);
        break;
    case EV_KEYFRAME:
        p->ev->on_keyframe(p->user, p, e->t);
        break;
    }
    return G_SOURCE_REMOVE;
}

static void ev_free(gpointer data)
{
    Ev *e = data;
    g_free(e->text);
    g_free(e);
}

/* text: transfer full. */
static void post(LoadPeer *p, EvKind kind, char *text, int64_t t)
{
    Ev *e = g_new0(Ev, 1);
    e->p = p;
    e->kind = kind;
    e->text = text;
    e->t = t;
    GSource *src = g_idle_source_new();
    g_source_set_priority(src, G_PRIORITY_DEFAULT);
    g_source_set_callback(src, ev_run, e, ev_free);
    g_source_attach(src, p->env->main_ctx);
    g_source_unref(src);
}

void load_peer_post_keyframe(LoadPeer *p, int64_t keyframe_ns)
{
    post(p, EV_KEYFRAME, NULL, keyframe_ns);
}

/* --- transport callbacks (worker) --------------------------------------------------------- */

static void on_candidate(void *user, HnWebrtcTransport *t, const char *candidate)
{
    LoadPeer *p = user;
    post(p, EV_CANDIDATE, g_strdup(candidate), 0);
}

static void on_connected(void *user, HnWebrtcTransport *t)
{
    LoadPeer *p = user;
    if (p->closed || p->connected)
        return;
    p->connected = TRUE;
    p->connected_ns = load_now_ns();
    if (p->role == LOAD_PEER_PUB)
        load_peer_tx_start(p);
    else
        load_peer_rx_start(p);
    post(p, EV_CONNECTED, NULL, 0);
}

static void on_failed(void *user, HnWebrtcTransport *t, const char *reason)
{
    LoadPeer *p = user;
    if (p->closed || p->failed)
        return;
    p->failed = TRUE;
    load_peer_media_stop(p);
    post(p, EV_FAILED, g_strdup(reason ? reason : "transport failed"), 0);
}

static const HnWebrtcTransportCallbacks transport_cb = {
    .on_candidate = on_candidate,
    .on_connected = on_connected,
    .on_failed = on_failed,
    .on_rtp = load_peer_on_rtp,
    .on_rtcp = load_peer_on_rtcp,
};

static void lite_candidate(void *user, const char *candidate)
{
    on_candidate(user, NULL, candidate);
}

static void lite_connected(void *user)
{
    on_connected(user, NULL);
}

static void lite_failed(void *user, const char *reason)
{
    on_failed(user, NULL, reason);
}

static void lite_rtp(void *user, uint8_t *buf, size_t len, int64_t arrival_ns)
{
    load_peer_rx_rtp(user, buf, len, arrival_ns);
}

static void lite_rtcp(void *user, uint8_t *buf, size_t len)
{
    load_peer_on_rtcp(user, NULL, buf, len);
}

static const LoadLiteCallbacks lite_cb = {
    .on_candidate = lite_candidate,
    .on_connected = lite_connected,
    .on_failed = lite_failed,
    .on_rtp = lite_rtp,
    .on_rtcp = lite_rtcp,
};

static gboolean use_lite(const LoadPeer *p)
{
    return p->role == LOAD_PEER_SUB && p->env->lite_ip;
}

gboolean load_peer_has_transport(const LoadPeer *p)
{
    return p->t || p->lite;
}

void load_peer_send_rtcp(LoadPeer *p, const uint8_t *buf, size_t len)
{
    if (p->lite)
        load_lite_send_rtcp(p->lite, buf, len);
    else if (p->t)
        hn_webrtc_transport_send_rtcp(p->t, buf, len);
}

static void fail(LoadPeer *p, const char *fmt, const char *detail);

/* The transport, created on the worker at the first job. FALSE (and failed) when it cannot be. */
static gboolean ensure_transport(LoadPeer *p)
{
    if (p->t || p->lite)
        return TRUE;
    if (!use_lite(p)) {
        p->t = hn_webrtc_transport_new(p->ctx, p->env->ice, NULL, p->env->cert,
                                       p->role == LOAD_PEER_PUB, &transport_cb, p);
        return TRUE;
    }
    GError *err = NULL;
    p->lite = load_lite_new(p->ctx, p->env->lite_ip, p->env->cert, &lite_cb, p, &err);
    if (!p->lite) {
        fail(p, "%s", err->message);
        g_error_free(err);
        return FALSE;
    }
    return TRUE;
}

static void start_gathering(LoadPeer *p)
{
    if (p->gathering)
        return;
    p->gathering = TRUE;
    if (p->lite)
        load_lite_start_gathering(p->lite);
    else
        hn_webrtc_transport_start_gathering(p->t);
}

static void fail(LoadPeer *p, const char *fmt, const char *detail)
{
    if (p->failed)
        return;
    p->failed = TRUE;
    load_peer_media_stop(p);
    post(p, EV_FAILED, g_strdup_printf(fmt, detail), 0);
}

/* --- jobs: main -> worker ---------------------------------------------------------------- */

typedef enum { JOB_OFFER, JOB_ANSWER, JOB_SUB_OFFER, JOB_CANDIDATE, JOB_CLOSE } JobKind;

typedef struct {
    LoadPeer *p;
    JobKind kind;
    HnSdp *sdp;
    LoadMidPlan *plan;
    char *text;
} Job;

static LoadSdpLocal local_of(LoadPeer *p)
{
    return (LoadSdpLocal){
        .ufrag = p->lite ? load_lite_ufrag(p->lite) : hn_webrtc_transport_ufrag(p->t),
        .pwd = p->lite ? load_lite_pwd(p->lite) : hn_webrtc_transport_pwd(p->t),
        .fingerprint = hn_cert_fingerprint(p->env->cert),
        .session_id = p->session_id,
        .ice_lite = p->lite != NULL,
    };
}

static void job_offer(LoadPeer *p)
{
    if (!ensure_transport(p))
        return;
    char stream[32];
    g_snprintf(stream, sizeof stream, "hnload-%d", p->index);
    LoadPubDesc d = {
        .audio = p->audio.on,
        .audio_ssrc = p->audio.ssrc,
        .video_ssrc = p->video.ssrc,
        .cname = p->cname,
        .stream_id = stream,
    };
    LoadSdpLocal l = local_of(p);
    post(p, EV_SDP, load_sdp_publish_offer(&l, &d), 0);
    start_gathering(p);
}

/* Sets the remote ICE/DTLS parameters and candidates from an SFU description, once. */
static gboolean apply_remote(LoadPeer *p, const HnSdp *sdp, gboolean we_answered)
{
    if (p->remote_set)
        return TRUE;
    LoadSdpRemote r;
    GError *err = NULL;
    if (!load_sdp_remote_get(sdp, &r, &err)) {
        fail(p, "SFU description: %s", err->message);
        g_error_free(err);
        load_sdp_remote_clear(&r);
        return FALSE;
    }
    /* We answer setup:active (DTLS client); to our actpass offer the SFU's answer decides. */
    gboolean dtls_server = !we_answered && r.setup != HN_SDP_SETUP_PASSIVE;
    int rc =
        p->lite ? load_lite_set_remote(p->lite, r.fp_alg, r.fp)
                : hn_webrtc_transport_set_remote(p->t, r.ufrag, r.pwd, r.fp_alg, r.fp, dtls_server);
    if (rc < 0) {
        fail(p, "unusable ICE/DTLS parameters from the SFU%s", "");
        load_sdp_remote_clear(&r);
        return FALSE;
    }
    if (rc == 0 && p->lite && sdp->ice_lite)
        rc = load_lite_set_remote_lite(p->lite, r.ufrag, r.pwd, r.candidates);
    if (rc < 0) {
        fail(p, "no usable candidate in the ICE-lite SFU's description%s", "");
        load_sdp_remote_clear(&r);
        return FALSE;
    }
    p->remote_set = TRUE;
    for (guint i = 0; p->t && i < r.candidates->len; i++) {
        const char *why = NULL;
        hn_webrtc_transport_add_candidate(p->t, r.candidates->pdata[i], &why);
    }
    load_sdp_remote_clear(&r);
    return TRUE;
}

static void job_sub_offer(LoadPeer *p, HnSdp *offer, const LoadMidPlan *plan)
{
    if (!ensure_transport(p))
        return;
    LoadSdpRecvTrack *tracks = g_new0(LoadSdpRecvTrack, offer->n_media ? offer->n_media : 1);
    LoadSdpLocal l = local_of(p);
    GError *err = NULL;
    char *answer = load_sdp_subscribe_answer(&l, offer, plan, tracks, &err);
    if (!answer) {
        fail(p, "cannot answer the SFU's offer: %s", err->message);
        g_error_free(err);
    } else if (apply_remote(p, offer, TRUE)) {
        load_peer_update_streams(p, tracks, offer->n_media);
        post(p, EV_SDP, answer, 0);
        answer = NULL;
        start_gathering(p);
    }
    g_free(answer);
    g_free(tracks);
}

static void job_close(LoadPeer *p)
{
    load_peer_media_stop(p);
    p->closed = TRUE;
    hn_webrtc_transport_free(p->t);
    p->t = NULL;
    load_lite_free(p->lite);
    p->lite = NULL;
}

static gboolean job_run(gpointer data)
{
    Job *j = data;
    LoadPeer *p = j->p;
    if (p->closed)
        return G_SOURCE_REMOVE;
    if (j->kind == JOB_CLOSE) {
        job_close(p);
        return G_SOURCE_REMOVE;
    }
    if (p->failed)
        return G_SOURCE_REMOVE;
    switch (j->kind) {
    case JOB_OFFER:
        job_offer(p);
        break;
    case JOB_ANSWER:
        if (load_peer_has_transport(p))
            apply_remote(p, j->sdp, FALSE);
        break;
    case JOB_SUB_OFFER:
        job_sub_offer(p, j->sdp, j->plan);
        break;
    case JOB_CANDIDATE:
        if (p->t) {
            const char *why = NULL;
            hn_webrtc_transport_add_candidate(p->t, j->text, &why);
        }
        break;
    case JOB_CLOSE:
        break;
    }
    return G_SOURCE_REMOVE;
}

static void job_free(gpointer data)
{
    Job *j = data;
    hn_sdp_free(j->sdp);
    g_free(j->plan);
    g_free(j->text);
    g_free(j);
}

static void queue(LoadPeer *p, JobKind kind, HnSdp *sdp, LoadMidPlan *plan, char *text)
{
    Job *j = g_new0(Job, 1);
    j->p = p;
    j->kind = kind;
    j->sdp = sdp;
    j->plan = plan;
    j->text = text;
    hn_worker_invoke(p->worker, job_run, j, job_free);
}

/* --- public API (main thread) ----------------------------------------------------------- */

LoadPeer *load_peer_new(const LoadEnv *env, HnWorker *w, LoadPeerRole role, int index,
                        const LoadPeerEvents *ev, void *user)
{
    LoadPeer *p = g_new0(LoadPeer, 1);
    p->env = env;
    p->worker = w;
    p->ctx = hn_worker_context(w);
    p->role = role;
    p->index = index;
    p->ev = ev;
    p->user = user;
    p->rtcp_ssrc = g_random_int();
    p->session_id = ((uint64_t)g_random_int() << 32) | g_random_int();
    g_snprintf(p->cname, sizeof p->cname, "hnload-%s-%d", role == LOAD_PEER_PUB ? "pub" : "sub",
               index);
    if (role == LOAD_PEER_PUB)
        load_peer_tx_init(p);
    return p;
}

void load_peer_create_offer(LoadPeer *p)
{
    queue(p, JOB_OFFER, NULL, NULL, NULL);
}

void load_peer_set_answer(LoadPeer *p, HnSdp *answer)
{
    queue(p, JOB_ANSWER, answer, NULL, NULL);
}

void load_peer_handle_offer(LoadPeer *p, HnSdp *offer, const LoadMidPlan *plan)
{
    LoadMidPlan *copy = g_memdup2(plan, sizeof *plan * (offer->n_media ? offer->n_media : 1));
    queue(p, JOB_SUB_OFFER, offer, copy, NULL);
}

void load_peer_add_candidate(LoadPeer *p, const char *candidate)
{
    queue(p, JOB_CANDIDATE, NULL, NULL, g_strdup(candidate ? candidate : ""));
}

void load_peer_close(LoadPeer *p)
{
    if (!p || p->main_closed)
        return;
    p->main_closed = TRUE;
    queue(p, JOB_CLOSE, NULL, NULL, NULL);
}

void load_peer_free(LoadPeer *p)
{
    if (!p)
        return;
    g_free(p->streams);
    g_free(p->last_pli_ns);
    g_free(p);
}

LoadPeerRole load_peer_role(const LoadPeer *p)
{
    return p->role;
}

/* --- snapshots ------------------------------------------------------------------------------ */

void load_peer_snap_clear(LoadPeerSnap *s)
{
    if (s) {
        g_free(s->streams);
        s->streams = NULL;
        s->n_streams = 0;
    }
}

typedef struct {
    GMutex lock;
    GCond cond;
    guint pending;
} SnapSync;

typedef struct {
    SnapSync *sync;
    GPtrArray *peers; /* LoadPeer* on one worker */
    GPtrArray *outs;  /* matching LoadPeerSnap* */
} SnapJob;

static void snap_one(LoadPeer *p, LoadPeerSnap *o)
{
    o->valid = TRUE;
    o->role = p->role;
    o->connected = p->connected;
    o->failed = p->failed;
    o->closed = p->closed;
    o->connected_ns = p->connected_ns;
    o->keyframe_ns = p->keyframe_ns;
    o->sent_packets = p->video.packets + p->audio.packets;
    o->sent_bytes = p->video.octets + p->audio.octets;
    o->plis_rx = p->plis_rx;
    o->firs_rx = p->firs_rx;
    o->nacks_rx = p->nacks_rx;
    o->keyframe_jumps = p->keyframe_jumps;
    o->late_packets = p->late_packets;
    o->send_failures = p->send_failures;
    o->late_max_us = p->late_max_us;
    o->unknown_ssrc = p->unknown_ssrc;
    o->rtcp_rx = p->rtcp_rx;
    o->plis_tx = p->plis_tx;
    o->streams_dropped = p->streams_dropped;
    o->n_streams = p->n_streams;
    o->streams = g_new(LoadRxStream, p->n_streams ? p->n_streams : 1);
    memcpy(o->streams, p->streams, sizeof p->streams[0] * p->n_streams);
    o->hist = p->hist;
    if (p->t)
        hn_webrtc_transport_get_stats(p->t, &o->transport);
    else if (p->lite)
        load_lite_get_stats(p->lite, &o->transport);
}

static gboolean snap_run(gpointer data)
{
    SnapJob *j = data;
    for (guint i = 0; i < j->peers->len; i++)
        snap_one(j->peers->pdata[i], j->outs->pdata[i]);
    g_mutex_lock(&j->sync->lock);
    j->sync->pending--;
    g_cond_signal(&j->sync->cond);
    g_mutex_unlock(&j->sync->lock);
    return G_SOURCE_REMOVE;
}

static void snap_free(gpointer data)
{
    SnapJob *j = data;
    g_ptr_array_free(j->peers, TRUE);
    g_ptr_array_free(j->outs, TRUE);
    g_free(j);
}

void load_peers_snapshot(LoadPeer *const *peers, size_t n, LoadPeerSnap *out)
{
    SnapSync sync;
    g_mutex_init(&sync.lock);
    g_cond_init(&sync.cond);
    sync.pending = 0;
    GHashTable *by_worker = g_hash_table_new(NULL, NULL);
    for (size_t i = 0; i < n; i++) {
        memset(&out[i], 0, sizeof out[i]);
        if (!peers[i])
            continue;
        SnapJob *j = g_hash_table_lookup(by_worker, peers[i]->worker);
        if (!j) {
            j = g_new0(SnapJob, 1);
            j->sync = &sync;
            j->peers = g_ptr_array_new();
            j->outs = g_ptr_array_new();
            g_hash_table_insert(by_worker, peers[i]->worker, j);
        }
        g_ptr_array_add(j->peers, peers[i]);
        g_ptr_array_add(j->outs, &out[i]);
    }
    GHashTableIter it;
    gpointer key, value;
    g_mutex_lock(&sync.lock);
    g_hash_table_iter_init(&it, by_worker);
    while (g_hash_table_iter_next(&it, &key, &value)) {
        sync.pending++;
        hn_worker_invoke(key, snap_run, value, snap_free);
    }
    while (sync.pending > 0) {
        int64_t until = g_get_monotonic_time() + 5 * G_USEC_PER_SEC;
        if (!g_cond_wait_until(&sync.cond, &sync.lock, until) && sync.pending > 0)
            g_warning("hn-load: still waiting for %u worker(s) to report", sync.pending);
    }
    g_mutex_unlock(&sync.lock);
    g_hash_table_destroy(by_worker);
    g_mutex_clear(&sync.lock);
    g_cond_clear(&sync.cond);
}
