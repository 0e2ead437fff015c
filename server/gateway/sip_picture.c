/* The composed picture sent to SIP room systems: see sip_picture.h. */
#include "gateway/sip_picture.h"

#include <string.h>

#include "gateway/picture.h"
#include "gateway/picture_sr.h"
#include "transport/inject.h"

/* One call's handle. Worker-only: out, stopped. Main-loop-only: output. ring: set at start,
 * pushed to from GStreamer threads (the handle holds a reference until it is freed). */
typedef struct {
    gint refs;
    struct HnHub *hub;
    HnSipMediaOut *out;
    HnInjectRing *ring;
    gboolean stopped;        /* worker: stop() ran, out is gone */
    gint detach_asked;       /* atomic: stop() posted the detach (an attach still queued skips) */
    HnPictureOutput *output; /* main loop */
    char *room;
    uint64_t pid;
    gboolean has_v, has_a;
    HnPictureVideoCfg v;
    HnPictureAudioCfg a;
    char plid[7];
    HnPictureSr sr[2]; /* worker: sender reports of [0] the mix, [1] the picture */
    char cname[80];
} Call;

static Call *call_ref(Call *c)
{
    g_atomic_int_inc(&c->refs);
    return c;
}

static void call_unref(gpointer p)
{
    Call *c = p;
    if (!g_atomic_int_dec_and_test(&c->refs))
        return;
    hn_inject_ring_unref(c->ring);
    g_free(c->room);
    g_free(c);
}

/* The call's worker: a packet of the picture or the mix, in the ring's slot (room to protect). */
static void deliver(void *user, const HnInjectPacket *pkt, int64_t now_us)
{
    Call *c = user;
    (void)now_us;
    if (c->stopped)
        return; /* the ring is closed at stop(): defensive */
    int video = (int)(pkt->target_id & 1);
    HnKind kind = video ? HN_KIND_VIDEO : HN_KIND_AUDIO;
    HnPictureSr *sr = &c->sr[video];
    /* counted before the send protects it in place; its time: when it left the payloader */
    hn_picture_sr_sent(sr, pkt->data, pkt->len, (int64_t)(pkt->target_id >> 1));
    hn_sip_media_send(c->out, kind, pkt->data, pkt->len, pkt->cap);
    int64_t wall = g_get_real_time();
    if (hn_picture_sr_due(sr, wall)) {
        uint8_t b[512];
        size_t n = hn_picture_sr_build(sr, wall, c->cname, b, sizeof b - 64);
        if (n)
            hn_sip_media_send_rtcp(c->out, kind, b, n, sizeof b);
    }
}

/* A GStreamer streaming thread: copy into the call's ring and return. The packet's composition
 * instant (wall clock) rides in target_id (above the video bit) for its sender reports: the
 * picture and the sound composed at one instant map to one NTP time, whatever the encoders'
 * delays (the time it left the payloader would put the video encoder's delay, 90-110 ms on a
 * loaded machine, into the endpoint's lip sync). */
static void on_rtp(void *user, gboolean video, const uint8_t *rtp, size_t len, int64_t time_us)
{
    Call *c = user;
    uint64_t id = (uint64_t)(time_us >= 0 ? time_us : g_get_real_time()) << 1 | (video ? 1u : 0u);
    hn_inject_push(c->ring, NULL, id, HN_INJECT_RTP, rtp, len);
}

static gboolean attach_run(gpointer data)
{
    Call *c = data;
    if (g_atomic_int_get(&c->detach_asked))
        return G_SOURCE_REMOVE;
    g_autoptr(GError) err = NULL;
    c->output = hn_picture_attach(c->hub, c->room, c->pid, c->has_v ? &c->v : NULL,
                                  c->has_a ? &c->a : NULL, on_rtp, c, &err);
    if (!c->output && c->has_v && c->has_a) {
        /* the picture cannot be made for it (a profile or an encoder missing): the sound still */
        g_warning("sip: %s: p%" G_GUINT64_FORMAT " receives no picture: %s", c->room, c->pid,
                  err ? err->message : "?");
        g_clear_error(&err);
        c->has_v = FALSE;
        c->output = hn_picture_attach(c->hub, c->room, c->pid, NULL, &c->a, on_rtp, c, &err);
    }
    if (!c->output)
        g_warning("sip: %s: p%" G_GUINT64_FORMAT " receives nothing: %s", c->room, c->pid,
                  err ? err->message : "no picture");
    else
        g_message("sip: %s: p%" G_GUINT64_FORMAT " receives the picture (%s %dx%d %d kbit/s%s)",
                  c->room, c->pid,
                  !c->has_v                       ? "no video"
                  : c->v.codec == HN_PICTURE_H264 ? "H.264"
                                                  : "VP8",
                  c->v.width, c->v.height, c->v.bitrate_kbps, c->has_a ? ", mix-minus audio" : "");
    return G_SOURCE_REMOVE;
}

static gboolean keyframe_run(gpointer data)
{
    Call *c = data;
    if (c->output)
        hn_picture_output_keyframe(c->output);
    return G_SOURCE_REMOVE;
}

static gboolean detach_run(gpointer data)
{
    Call *c = data;
    hn_picture_detach(c->output); /* on_rtp is not called after this */
    c->output = NULL;
    return G_SOURCE_REMOVE;
}

static void post(GSourceFunc fn, Call *c)
{
    g_main_context_invoke_full(NULL, G_PRIORITY_DEFAULT, fn, c, call_unref);
}

static void *start(void *user, const HnSipMediaCall *call)
{
    Call *c = g_new0(Call, 1);
    c->refs = 1; /* the gateway's, until stop() */
    c->hub = user;
    c->out = call->out;
    c->room = g_strdup(call->room);
    c->pid = call->pid;
    int got = hn_sip_picture_map(call, 0, &c->v, c->plid, &c->a);
    c->has_v = (got & 1) != 0;
    c->has_a = (got & 2) != 0;
    hn_picture_sr_init(&c->sr[1], 90000);
    hn_picture_sr_init(&c->sr[0], c->has_a ? c->a.clock_rate : 8000);
    g_snprintf(c->cname, sizeof c->cname, "hoinghi-%s-p%" G_GUINT64_FORMAT, c->room, c->pid);
    g_autoptr(GError) err = NULL;
    g_autoptr(GMainContext) ctx = g_main_context_ref_thread_default(); /* the call's worker */
    c->ring = got ? hn_inject_ring_new(ctx, 512, deliver, c, &err) : NULL;
    if (c->ring)
        hn_inject_ring_set_max_age(c->ring, HN_INJECT_MAX_AGE_US); /* late picture: dropped */
    if (!c->ring) {
        g_warning("sip: %s: p%" G_GUINT64_FORMAT " receives nothing: %s", c->room, c->pid,
                  err ? err->message : "no stream the picture can encode");
        call_unref(c);
        return NULL;
    }
    post(attach_run, call_ref(c));
    return c;
}

static void keyframe(void *handle)
{
    post(keyframe_run, call_ref(handle));
}

static void stop(void *handle)
{
    Call *c = handle;
    c->stopped = TRUE;
    hn_inject_ring_close(c->ring); /* nothing reaches out after this */
    c->out = NULL;
    g_atomic_int_set(&c->detach_asked, 1);
    post(detach_run, c); /* the gateway's reference, dropped after the detach */
}

void hn_sip_picture_provider(struct HnHub *hub, HnSipMediaProvider *out)
{
    *out = (HnSipMediaProvider){.start = start, .keyframe = keyframe, .stop = stop, .user = hub};
}
