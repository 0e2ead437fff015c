/* The composed picture of a room: see picture.h. */
#include "gateway/picture.h"

#include <gio/gio.h>
#include <jansson.h>
#include <string.h>

#include "app/hub.h"
#include "app/room.h"
#include "app/room.h"
#include "core/codec.h"
#include "gateway/picture_layer.h"
#include "record/composer.h"
#include "transport/worker.h"

#define QUEUE_BYTES (4u << 20) /* packet bytes queued from the worker, then drops */
/* A tile still waiting for its first key frame asks the publisher again this often (a browser
 * may not answer the first request: Chromium drops a PLI that comes before its encoder runs). */
#define KEYFRAME_REASK_US 1000000

/* The packets of one composer output, given to its outputs (a video class: many; audio: one). */
typedef struct {
    char *key; /* video: the class key; audio: NULL */
    gboolean video;
    char *desc;
    char *exclude; /* audio: "p<pid>" left out of the mix, or NULL */
    int cid;       /* the composer's output id (the picture thread only) */
    GMutex lock;   /* outs, while packets are delivered */
    GPtrArray *outs;
    struct Picture *pic;
} Sink;

typedef struct Picture Picture;

/* A forward output (hn_picture_attach_participant): one participant's own packets. */
typedef struct {
    struct HnPictureOutput *o;
    uint64_t pid;
    char participant[24]; /* "p<pid>" */
    HnCodecId vcodec;     /* the video codec the receiver takes */
    uint32_t vssrc;       /* picture thread: the layer forwarded, 0 until a key frame */
    uint32_t vproducer;
} Fwd;

struct HnPictureOutput {
    Picture *pic;
    uint8_t vpt, apt;
    Sink *vsink, *asink;
    Fwd *fwd; /* a forward output: no sink */
    HnPictureRtpFn fn;
    void *user;
};

typedef enum {
    CMD_TRACK,
    CMD_TRACK_END,
    CMD_RTP,
    CMD_SINK_ADD,
    CMD_SINK_REMOVE,
    CMD_KEYFRAME,
    CMD_RESET, /* a new feed: the tracks known so far are gone (producer ids start again) */
    CMD_QUIT,
} CmdType;

struct Feed;

typedef struct {
    CmdType type;
    uint32_t producer;
    struct Feed *feed; /* CMD_TRACK: a reference (the feed that announced it) */
    Sink *sink;
    char *participant, *name, *kind, *source;
    HnCodecId codec;
    uint8_t pt;
    uint32_t clock_rate;
    gboolean keyframe;
    int64_t arrival_us;
    size_t len;
    uint8_t data[];
} Cmd;

/* A published track as the picture thread knows it. */
typedef struct {
    char *participant, *name, *kind, *source;
    int ctrack; /* the composer's track, -1 until its first packet (video: key frame) */
    uint32_t ssrc;
    HnPicLayer layer;    /* video: the simulcast layer followed */
    struct Feed *feed;   /* a reference: where to ask for key frames (NULL: nowhere) */
    int64_t kf_asked_us; /* monotonic: the last key frame request for it */
    gboolean failed;
} PTrack;

struct Picture {
    HnPictures *ps;
    char *room;
    HnPictureConfig cfg;
    /* main thread */
    GHashTable *classes; /* key -> Sink* (video) */
    guint outputs;
    HnWorker *worker; /* of the room fed, while fed */
    HnRoom *hroom;
    /* the feed (worker thread), and the picture thread */
    GAsyncQueue *queue;
    gint queued_bytes;
    struct Feed *feed; /* the feed started last (main thread; a reference), or NULL */
    gint refs;
    GThread *thread;
    /* forward outputs: added and removed on the main thread, used on the picture thread */
    GMutex fwd_lock;
    GPtrArray *fwds; /* Fwd* */
    gint n_fwds;     /* atomic: fwds->len, read without the lock on the picture thread */
    /* the picture thread */
    HnComposer *composer;
    GHashTable *tracks; /* producer id -> PTrack* */
    guint sinks;
};

struct HnPictures {
    HnPictureConfig cfg;
    GHashTable *rooms; /* name -> Picture* */
    gint packets_in, drops_queue, encoders, outputs, packets_out, compositions;
};

static void feed_unref(struct Feed *f);

static void ptrack_free(gpointer p)
{
    PTrack *t = p;
    feed_unref(t->feed);
    g_free(t->participant);
    g_free(t->name);
    g_free(t->kind);
    g_free(t->source);
    g_free(t);
}

static void cmd_free(gpointer p)
{
    Cmd *c = p;
    feed_unref(c->feed);
    g_free(c->participant);
    g_free(c->name);
    g_free(c->kind);
    g_free(c->source);
    g_free(c);
}

static void picture_unref(Picture *p)
{
    if (!g_atomic_int_dec_and_test(&p->refs))
        return;
    g_async_queue_unref(p->queue);
    g_hash_table_destroy(p->classes);
    g_ptr_array_unref(p->fwds);
    g_mutex_clear(&p->fwd_lock);
    g_free(p->room);
    g_free(p);
}

static void push(Picture *p, Cmd *c)
{
    g_async_queue_push(p->queue, c);
}

/* --- the feed: the room's worker thread ------------------------------------------------------ */

/* One feed of one HnRoom (a room that closes and opens again gets a new one): its callbacks'
 * user. References: the room's (until closed), the picture's (p->feed), each hop's. */
typedef struct Feed {
    Picture *p;       /* a reference */
    HnWorker *worker; /* the room's, set before the feed starts (read-only after) */
    HnRoom *room;     /* used on the worker only, while not closed */
    gint closed;      /* the room ended it (stopped, replaced, room freed): the room may be gone */
    gint refs;
} Feed;

static Feed *feed_ref(Feed *f)
{
    g_atomic_int_inc(&f->refs);
    return f;
}

static void feed_unref(Feed *f)
{
    if (f && g_atomic_int_dec_and_test(&f->refs)) {
        picture_unref(f->p);
        g_free(f);
    }
}

static void feed_track(void *user, uint32_t producer, const char *participant, const char *name,
                       const char *kind, const char *source)
{
    Picture *p = ((Feed *)user)->p;
    Cmd *c = g_new0(Cmd, 1);
    c->type = CMD_TRACK;
    c->producer = producer;
    c->feed = feed_ref(user);
    c->participant = g_strdup(participant);
    c->name = g_strdup(name);
    c->kind = g_strdup(kind);
    c->source = g_strdup(source);
    push(p, c);
}

static void feed_track_end(void *user, uint32_t producer)
{
    Picture *p = ((Feed *)user)->p;
    Cmd *c = g_new0(Cmd, 1);
    c->type = CMD_TRACK_END;
    c->producer = producer;
    push(p, c);
}

static void feed_rtp(void *user, uint32_t producer, const HnTapPacket *t)
{
    Picture *p = ((Feed *)user)->p;
    if ((guint)g_atomic_int_get(&p->queued_bytes) + t->len > QUEUE_BYTES) {
        g_atomic_int_inc(&p->ps->drops_queue);
        return;
    }
    g_atomic_int_add(&p->queued_bytes, (gint)t->len);
    Cmd *c = g_malloc0(sizeof(Cmd) + t->len);
    c->type = CMD_RTP;
    c->producer = producer;
    c->codec = t->codec;
    c->pt = t->pt;
    c->clock_rate = t->clock_rate;
    c->keyframe = t->is_keyframe;
    c->arrival_us = g_get_real_time();
    c->len = t->len;
    memcpy(c->data, t->buf, t->len);
    push(p, c);
}

static void feed_closed(void *user)
{
    Feed *f = user;
    g_atomic_int_set(&f->closed, 1);
    feed_unref(f); /* the room's reference */
}

static const HnRoomFeed feed_cbs = {
    .track = feed_track,
    .track_end = feed_track_end,
    .rtp = feed_rtp,
    .closed = feed_closed,
};

typedef struct {
    Feed *f; /* a reference */
    HnRoom *room;
    gboolean start;
} Hop;

static gboolean hop_run(gpointer data)
{
    Hop *h = data;
    if (h->start)
        hn_room_feed(h->room, &feed_cbs, feed_ref(h->f)); /* the room's reference */
    else if (!g_atomic_int_get(&h->f->closed))
        hn_room_feed_stop(h->room); /* not closed: the room is alive and this is its feed */
    return G_SOURCE_REMOVE;
}

static void hop_free(gpointer data)
{
    Hop *h = data;
    feed_unref(h->f);
    g_free(h);
}

static void hop(Picture *p, gboolean start)
{
    Hop *h = g_new0(Hop, 1);
    h->f = feed_ref(p->feed);
    h->room = p->hroom;
    h->start = start;
    hn_worker_invoke(p->worker, hop_run, h, hop_free);
}

/* A key frame request carried to the room's worker: for a participant by number (a WHEP viewer
 * of one participant) or by the id the feed named its tracks with (a tile still waiting). */
typedef struct {
    Feed *f;           /* a reference */
    uint64_t pid;      /* when participant is NULL */
    char *participant; /* or NULL */
} KfAsk;

static gboolean kf_ask_run(gpointer data)
{
    KfAsk *a = data;
    if (g_atomic_int_get(&a->f->closed)) /* closed is set on this thread: the room is gone */
        return G_SOURCE_REMOVE;
    if (a->participant)
        hn_room_feed_keyframe_named(a->f->room, a->participant);
    else
        hn_room_feed_keyframe(a->f->room, a->pid);
    return G_SOURCE_REMOVE;
}

static void kf_ask_free(gpointer data)
{
    KfAsk *a = data;
    feed_unref(a->f);
    g_free(a->participant);
    g_free(a);
}

/* Posts a key frame request for pid or participant (one of them) to f's worker. */
static void kf_ask(Feed *f, HnWorker *worker, uint64_t pid, const char *participant)
{
    KfAsk *a = g_new0(KfAsk, 1);
    a->f = feed_ref(f);
    a->pid = pid;
    a->participant = g_strdup(participant);
    hn_worker_invoke(worker, kf_ask_run, a, kf_ask_free);
}

/* A video tile still without its first key frame: asks its publisher again, at most every
 * KEYFRAME_REASK_US (the feed asked once when it announced the track). Picture thread. */
static void tile_reask_keyframe(Picture *p, PTrack *t)
{
    int64_t now = g_get_monotonic_time();
    if (!t->feed || !t->feed->worker || g_atomic_int_get(&t->feed->closed) ||
        now - t->kf_asked_us < KEYFRAME_REASK_US)
        return;
    t->kf_asked_us = now;
    kf_ask(t->feed, t->feed->worker, 0, t->participant);
    g_debug("picture %s: %s: a key frame asked again", p->room, t->participant);
}

/* A feed that ended (or none): the room may be gone. Main thread. */
static gboolean feed_gone(Picture *p)
{
    return !p->feed || g_atomic_int_get(&p->feed->closed);
}

/* --- packets out: a GStreamer streaming thread -------------------------------------------------
 */

static void sink_packet(void *user, const uint8_t *data, size_t len, int64_t time_us)
{
    Sink *s = user;
    if (len < 12)
        return;
    uint8_t stack[1600];
    uint8_t *buf = len <= sizeof stack ? stack : g_malloc(len);
    g_mutex_lock(&s->lock);
    for (guint i = 0; i < s->outs->len; i++) {
        HnPictureOutput *o = s->outs->pdata[i];
        if (s->video) { /* the class's packet with the output's payload type */
            memcpy(buf, data, len);
            buf[1] = (uint8_t)((data[1] & 0x80) | (o->vpt & 0x7f));
            o->fn(o->user, TRUE, buf, len, time_us);
        } else {
            o->fn(o->user, FALSE, data, len, time_us);
        }
        g_atomic_int_inc(&s->pic->ps->packets_out);
    }
    g_mutex_unlock(&s->lock);
    if (buf != stack)
        g_free(buf);
}

static void sink_free(Sink *s)
{
    g_mutex_clear(&s->lock);
    g_ptr_array_unref(s->outs);
    g_free(s->key);
    g_free(s->desc);
    g_free(s->exclude);
    g_free(s);
}

/* --- the picture thread ---------------------------------------------------------------------- */

static void composer_start(Picture *p)
{
    HnComposerConfig cfg = {
        .width = p->cfg.width,
        .height = p->cfg.height,
        .fps = p->cfg.fps,
        .layout = (HnLayoutKind)p->cfg.layout,
        .live = TRUE,
        .latency_ms = p->cfg.latency_ms,
    };
    GError *e = NULL;
    p->composer = hn_composer_new(&cfg, &e);
    if (!p->composer) {
        g_warning("picture %s: %s", p->room, e ? e->message : "cannot compose");
        g_clear_error(&e);
        return;
    }
    g_atomic_int_inc(&p->ps->compositions);
    g_message("picture %s: composition started (%dx%d, %d fps)", p->room, p->cfg.width,
              p->cfg.height, p->cfg.fps);
}

static void composer_stop(Picture *p)
{
    if (!p->composer)
        return;
    HnComposerStats st;
    hn_composer_stats(p->composer, &st);
    g_message("picture %s: composition stopped (%" G_GUINT64_FORMAT " packets, %" G_GUINT64_FORMAT
              " dropped, %" G_GUINT64_FORMAT " pictures)",
              p->room, st.packets, st.dropped, st.frames_out);
    hn_composer_free(p->composer);
    p->composer = NULL;
    /* the tracks stay known (a forward output may still use them): a next composer adds each
     * at its next packet (video: key frame) */
    GHashTableIter it;
    gpointer v;
    g_hash_table_iter_init(&it, p->tracks);
    while (g_hash_table_iter_next(&it, NULL, &v)) {
        ((PTrack *)v)->ctrack = -1;
        ((PTrack *)v)->failed = FALSE;
    }
    g_atomic_int_dec_and_test(&p->ps->compositions);
}

/* The packet to the forward outputs of its participant: its camera (one simulcast layer, from a
 * key frame, in the receiver's codec) and its microphone, with the receiver's payload type and
 * without header extensions (their ids are the publisher's negotiation, not the receiver's). */
static void forward(Picture *p, const PTrack *t, const Cmd *c)
{
    gboolean video = strcmp(t->kind, "video") == 0;
    if ((video && strcmp(t->source, "camera") != 0) ||
        (!video && (strcmp(t->source, "mic") != 0 || c->codec != HN_CODEC_OPUS)))
        return;
    const uint8_t *d = c->data;
    uint32_t ssrc = (uint32_t)d[8] << 24 | (uint32_t)d[9] << 16 | (uint32_t)d[10] << 8 | d[11];
    uint8_t buf[1600];
    size_t len = hn_picture_forward_rewrite(d, c->len, d[1] & 0x7f, buf, sizeof buf);
    if (!len)
        return;
    g_mutex_lock(&p->fwd_lock);
    for (guint i = 0; i < p->fwds->len; i++) {
        Fwd *f = p->fwds->pdata[i];
        if (strcmp(f->participant, t->participant) != 0)
            continue;
        if (video) {
            if (c->codec != f->vcodec)
                continue;
            if (ssrc != f->vssrc) { /* first, or the camera published again: from a key frame */
                if (!c->keyframe || (f->vssrc && c->producer == f->vproducer))
                    continue;
                f->vssrc = ssrc;
                f->vproducer = c->producer;
            }
        }
        buf[1] = (uint8_t)((d[1] & 0x80) | ((video ? f->o->vpt : f->o->apt) & 0x7f)); /* its PT */
        f->o->fn(f->o->user, video, buf, len, -1);
        g_atomic_int_inc(&p->ps->packets_out);
    }
    g_mutex_unlock(&p->fwd_lock);
}

static void on_rtp(Picture *p, Cmd *c)
{
    g_atomic_int_add(&p->queued_bytes, -(gint)c->len);
    PTrack *t = g_hash_table_lookup(p->tracks, GUINT_TO_POINTER(c->producer));
    if (!t || c->len < 12)
        return;
    if (g_atomic_int_get(&p->n_fwds)) /* a racing add misses a packet at most */
        forward(p, t, c);
    if (t->failed || !p->composer)
        return;
    uint32_t ssrc = (uint32_t)c->data[8] << 24 | (uint32_t)c->data[9] << 16 |
                    (uint32_t)c->data[10] << 8 | c->data[11];
    if (t->ctrack < 0) {
        if (strcmp(t->kind, "video") == 0 && !c->keyframe) {
            tile_reask_keyframe(p, t); /* a tile starts at a key frame */
            return;
        }
        json_t *h = json_pack("{s:s, s:s, s:I, s:I, s:s, s:s, s:s}", "kind", t->kind, "codec",
                              hn_codec_name(c->codec), "clock_rate", (json_int_t)c->clock_rate,
                              "pt", (json_int_t)c->pt, "participant", t->participant, "name",
                              t->name ? t->name : t->participant, "source", t->source);
        t->ctrack = h ? hn_composer_add_track(p->composer, h) : -1;
        json_decref(h);
        if (t->ctrack < 0) {
            t->failed = TRUE;
            return;
        }
        t->ssrc = ssrc;
        hn_pic_layer_init(&t->layer, c->clock_rate);
    }
    if (strcmp(t->kind, "video") == 0) {
        /* simulcast: the tap's layer changed (paused, resumed): follow it at its key frame */
        unsigned switches = t->layer.switches;
        if (hn_pic_layer_on_packet(&t->layer, c->data, c->len, c->keyframe, c->arrival_us) !=
            HN_PIC_LAYER_FORWARD) {
            tile_reask_keyframe(p, t);
            return;
        }
        if (t->layer.switches != switches)
            g_message("picture %s: %s: the tile follows another simulcast layer (%u)", p->room,
                      t->participant, t->layer.switches);
    } else if (ssrc != t->ssrc) {
        return;
    }
    HnHnrRecord r = {.type = HN_HNR_RTP,
                     .arrival_us = (uint64_t)c->arrival_us,
                     .len = (uint16_t)c->len,
                     .data = c->data};
    hn_composer_push(p->composer, t->ctrack, &r);
    g_atomic_int_inc(&p->ps->packets_in);
}

static void on_command(Picture *p, Cmd *c)
{
    switch (c->type) {
    case CMD_TRACK: {
        PTrack *t = g_new0(PTrack, 1);
        t->participant = g_steal_pointer(&c->participant);
        t->name = g_steal_pointer(&c->name);
        t->kind = g_steal_pointer(&c->kind);
        t->source = g_steal_pointer(&c->source);
        t->ctrack = -1;
        t->feed = g_steal_pointer(&c->feed);
        t->kf_asked_us = g_get_monotonic_time(); /* the room asked when it announced it */
        PTrack *old = g_hash_table_lookup(p->tracks, GUINT_TO_POINTER(c->producer));
        if (old && old->ctrack >= 0) /* announced again (a new feed): keep the running one */
            ptrack_free(t);
        else
            g_hash_table_replace(p->tracks, GUINT_TO_POINTER(c->producer), t);
        break;
    }
    case CMD_TRACK_END: {
        PTrack *t = g_hash_table_lookup(p->tracks, GUINT_TO_POINTER(c->producer));
        if (t && t->ctrack >= 0 && p->composer)
            hn_composer_end_track(p->composer, t->ctrack);
        g_hash_table_remove(p->tracks, GUINT_TO_POINTER(c->producer));
        break;
    }
    case CMD_RTP:
        on_rtp(p, c);
        break;
    case CMD_SINK_ADD: {
        if (!p->composer)
            composer_start(p);
        Sink *s = c->sink;
        p->sinks++;
        s->cid = -1;
        if (p->composer) {
            GError *e = NULL;
            s->cid = hn_composer_output_add(p->composer, s->video, s->exclude, s->desc, sink_packet,
                                            s, &e);
            if (s->cid < 0) {
                g_warning("picture %s: %s", p->room, e ? e->message : "cannot add an output");
                g_clear_error(&e);
            } else if (s->video) {
                g_atomic_int_inc(&p->ps->encoders);
                g_message("picture %s: encoder %s", p->room, s->key);
            }
        }
        break;
    }
    case CMD_SINK_REMOVE: {
        Sink *s = c->sink;
        if (p->composer && s->cid > 0) {
            hn_composer_output_remove(p->composer, s->cid);
            if (s->video)
                g_atomic_int_dec_and_test(&p->ps->encoders);
        }
        sink_free(s);
        if (--p->sinks == 0)
            composer_stop(p);
        break;
    }
    case CMD_KEYFRAME:
        if (p->composer && c->sink->cid > 0)
            hn_composer_output_keyframe(p->composer, c->sink->cid);
        break;
    case CMD_RESET: {
        GHashTableIter it;
        gpointer v;
        g_hash_table_iter_init(&it, p->tracks);
        while (p->composer && g_hash_table_iter_next(&it, NULL, &v))
            if (((PTrack *)v)->ctrack >= 0)
                hn_composer_end_track(p->composer, ((PTrack *)v)->ctrack);
        g_hash_table_remove_all(p->tracks);
        break;
    }
    case CMD_QUIT:
        break;
    }
}

static gpointer picture_main(gpointer user)
{
    Picture *p = user;
    for (;;) {
        Cmd *c = g_async_queue_pop(p->queue);
        gboolean quit = c->type == CMD_QUIT;
        on_command(p, c);
        cmd_free(c);
        if (quit)
            break;
    }
    composer_stop(p);
    g_hash_table_destroy(p->tracks);
    return NULL;
}

/* --- the main loop --------------------------------------------------------------------------- */

static Picture *picture_new(HnPictures *ps, const char *room)
{
    Picture *p = g_new0(Picture, 1);
    p->ps = ps;
    p->room = g_strdup(room);
    p->cfg = ps->cfg;
    p->refs = 1;
    p->classes = g_hash_table_new(g_str_hash, g_str_equal);
    p->queue = g_async_queue_new_full(cmd_free);
    p->tracks = g_hash_table_new_full(NULL, NULL, NULL, ptrack_free);
    g_mutex_init(&p->fwd_lock);
    p->fwds = g_ptr_array_new();
    p->thread = g_thread_new("hn-picture", picture_main, p);
    return p;
}

static void picture_stop(gpointer data)
{
    Picture *p = data;
    if (p->worker && p->outputs && !feed_gone(p))
        hop(p, FALSE);
    feed_unref(p->feed);
    p->feed = NULL;
    Cmd *c = g_new0(Cmd, 1);
    c->type = CMD_QUIT;
    push(p, c);
    g_thread_join(p->thread);
    picture_unref(p);
}

HnPictures *hn_pictures_new(const HnPictureConfig *cfg)
{
    HnPictures *ps = g_new0(HnPictures, 1);
    if (cfg)
        ps->cfg = *cfg;
    ps->cfg.width = ps->cfg.width > 0 ? ps->cfg.width & ~1 : 1280;
    ps->cfg.height = ps->cfg.height > 0 ? ps->cfg.height & ~1 : 720;
    ps->cfg.fps = ps->cfg.fps > 0 ? ps->cfg.fps : 25;
    ps->cfg.latency_ms = ps->cfg.latency_ms > 0 ? ps->cfg.latency_ms : 200;
    ps->rooms = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, picture_stop);
    return ps;
}

void hn_pictures_free(HnPictures *ps)
{
    if (!ps)
        return;
    g_hash_table_destroy(ps->rooms); /* outputs still attached are the owner's leak */
    g_free(ps);
}

void hn_pictures_get_stats(HnPictures *ps, HnPictureStats *out)
{
    memset(out, 0, sizeof *out);
    if (!ps)
        return;
    out->packets_in = (guint)g_atomic_int_get(&ps->packets_in);
    out->drops_queue = (guint)g_atomic_int_get(&ps->drops_queue);
    out->encoders = (guint)g_atomic_int_get(&ps->encoders);
    out->outputs = (guint)g_atomic_int_get(&ps->outputs);
    out->packets_out = (guint)g_atomic_int_get(&ps->packets_out);
    out->compositions = (guint)g_atomic_int_get(&ps->compositions);
}

static Sink *sink_new(Picture *p, gboolean video, char *key, char *desc, uint64_t exclude)
{
    Sink *s = g_new0(Sink, 1);
    s->key = key;
    s->video = video;
    s->desc = desc;
    s->exclude = exclude ? g_strdup_printf("p%" G_GUINT64_FORMAT, exclude) : NULL;
    s->outs = g_ptr_array_new();
    s->pic = p;
    g_mutex_init(&s->lock);
    Cmd *c = g_new0(Cmd, 1);
    c->type = CMD_SINK_ADD;
    c->sink = s;
    push(p, c);
    return s;
}

static void sink_leave(Picture *p, Sink *s, HnPictureOutput *o)
{
    g_mutex_lock(&s->lock);
    g_ptr_array_remove(s->outs, o);
    gboolean empty = s->outs->len == 0;
    g_mutex_unlock(&s->lock);
    if (!empty)
        return;
    if (s->key)
        g_hash_table_remove(p->classes, s->key);
    Cmd *c = g_new0(Cmd, 1);
    c->type = CMD_SINK_REMOVE;
    c->sink = s;
    push(p, c);
}

/* Feeds p from hroom (tracks known so far forgotten: producer ids start again in a new room). */
static void feed_start(Picture *p, HnWorker *worker, HnRoom *hroom)
{
    p->worker = worker;
    p->hroom = hroom;
    Cmd *c = g_new0(Cmd, 1);
    c->type = CMD_RESET;
    push(p, c);
    feed_unref(p->feed); /* an earlier feed ends by itself (its room went, or is replaced) */
    p->feed = g_new0(Feed, 1);
    p->feed->p = p;
    p->feed->worker = worker;
    p->feed->room = hroom;
    p->feed->refs = 1;
    g_atomic_int_inc(&p->refs); /* the feed's */
    hop(p, TRUE);
}

void hn_pictures_room_open(HnPictures *ps, const char *room, HnWorker *worker, HnRoom *hroom)
{
    Picture *p = ps ? g_hash_table_lookup(ps->rooms, room) : NULL;
    if (p && p->outputs > 0 && (p->hroom != hroom || feed_gone(p)))
        feed_start(p, worker, hroom);
}

HnPictureOutput *hn_picture_attach(struct HnHub *hub, const char *room, uint64_t self_pid,
                                   const HnPictureVideoCfg *v, const HnPictureAudioCfg *a,
                                   HnPictureRtpFn fn, void *user, GError **error)
{
    HnPictures *ps = hn_hub_pictures(hub);
    HnWorker *worker = NULL;
    HnRoom *hroom = NULL;
    if (!fn || (!v && !a)) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "nothing to send");
        return NULL;
    }
    if (!room || !hn_hub_room_handle(hub, room, &worker, &hroom)) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, "room %s is not open",
                    room ? room : "?");
        return NULL;
    }
    HnPictureVideoCfg vn;
    char plid[7], err[160];
    if (v && !hn_picture_video_normalize(v, ps->cfg.fps, &vn, plid, err, sizeof err)) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED, "%s", err);
        return NULL;
    }
    char *adesc = a ? hn_picture_audio_desc(a) : NULL;
    if (a && (!adesc || !hn_picture_audio_valid(a))) {
        g_free(adesc);
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED, "audio codec %d", a->codec);
        return NULL;
    }
    Picture *p = g_hash_table_lookup(ps->rooms, room);
    if (!p) {
        p = picture_new(ps, room);
        g_hash_table_insert(ps->rooms, g_strdup(room), p);
    }
    HnPictureOutput *o = g_new0(HnPictureOutput, 1);
    o->pic = p;
    o->fn = fn;
    o->user = user;
    if (v) {
        char *key = hn_picture_video_class_key(&vn);
        o->vpt = v->pt;
        o->vsink = g_hash_table_lookup(p->classes, key);
        if (o->vsink) {
            g_free(key);
        } else {
            o->vsink = sink_new(p, TRUE, key, hn_picture_video_desc(&vn), 0);
            g_hash_table_insert(p->classes, o->vsink->key, o->vsink);
        }
        g_mutex_lock(&o->vsink->lock);
        g_ptr_array_add(o->vsink->outs, o);
        g_mutex_unlock(&o->vsink->lock);
    }
    if (a) {
        o->asink = sink_new(p, FALSE, NULL, adesc, self_pid);
        g_mutex_lock(&o->asink->lock);
        g_ptr_array_add(o->asink->outs, o);
        g_mutex_unlock(&o->asink->lock);
    }
    /* the feed: a first output, or the room reopened (its HnRoom is another one) */
    if (p->outputs == 0 || p->hroom != hroom || feed_gone(p))
        feed_start(p, worker, hroom);
    p->outputs++;
    g_atomic_int_inc(&ps->outputs);
    return o;
}

/* Asks pid's camera for a key frame, on the room's worker. Main thread. */
static void ask_keyframe(Picture *p, uint64_t pid)
{
    if (!p->worker || feed_gone(p))
        return;
    kf_ask(p->feed, p->worker, pid, NULL);
}

HnPictureOutput *hn_picture_attach_participant(struct HnHub *hub, const char *room, uint64_t pid,
                                               int vcodec, uint8_t vpt, uint8_t apt,
                                               HnPictureRtpFn fn, void *user, GError **error)
{
    HnPictures *ps = hn_hub_pictures(hub);
    HnWorker *worker = NULL;
    HnRoom *hroom = NULL;
    if (!fn || (vcodec != HN_PICTURE_VP8 && vcodec != HN_PICTURE_H264)) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "nothing to send");
        return NULL;
    }
    if (!room || !hn_hub_room_handle(hub, room, &worker, &hroom)) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, "room %s is not open",
                    room ? room : "?");
        return NULL;
    }
    Picture *p = g_hash_table_lookup(ps->rooms, room);
    if (!p) {
        p = picture_new(ps, room);
        g_hash_table_insert(ps->rooms, g_strdup(room), p);
    }
    HnPictureOutput *o = g_new0(HnPictureOutput, 1);
    o->pic = p;
    o->fn = fn;
    o->user = user;
    o->vpt = vpt;
    o->apt = apt;
    o->fwd = g_new0(Fwd, 1);
    o->fwd->o = o;
    o->fwd->pid = pid;
    g_snprintf(o->fwd->participant, sizeof o->fwd->participant, "p%" G_GUINT64_FORMAT, pid);
    o->fwd->vcodec = vcodec == HN_PICTURE_VP8 ? HN_CODEC_VP8 : HN_CODEC_H264;
    g_mutex_lock(&p->fwd_lock);
    g_ptr_array_add(p->fwds, o->fwd);
    g_atomic_int_inc(&p->n_fwds);
    g_mutex_unlock(&p->fwd_lock);
    gboolean fresh = p->outputs == 0 || p->hroom != hroom || feed_gone(p);
    if (fresh)
        feed_start(p, worker, hroom); /* announces the tracks: video ones ask for a key frame */
    p->outputs++;
    g_atomic_int_inc(&ps->outputs);
    if (!fresh)
        ask_keyframe(p, pid);
    return o;
}

void hn_picture_output_keyframe(HnPictureOutput *o)
{
    if (o && o->fwd) {
        ask_keyframe(o->pic, o->fwd->pid);
        return;
    }
    if (!o || !o->vsink)
        return;
    Cmd *c = g_new0(Cmd, 1);
    c->type = CMD_KEYFRAME;
    c->sink = o->vsink;
    push(o->pic, c);
}

void hn_picture_detach(HnPictureOutput *o)
{
    if (!o)
        return;
    Picture *p = o->pic;
    if (o->fwd) {
        g_mutex_lock(&p->fwd_lock);
        g_ptr_array_remove(p->fwds, o->fwd);
        g_atomic_int_dec_and_test(&p->n_fwds);
        g_mutex_unlock(&p->fwd_lock);
        g_free(o->fwd);
    }
    if (o->vsink)
        sink_leave(p, o->vsink, o);
    if (o->asink)
        sink_leave(p, o->asink, o);
    g_atomic_int_dec_and_test(&p->ps->outputs);
    if (--p->outputs == 0 && p->worker) {
        if (!feed_gone(p))
            hop(p, FALSE);
        feed_unref(p->feed);
        p->feed = NULL;
        p->worker = NULL;
        p->hroom = NULL;
    }
    g_free(o);
}
