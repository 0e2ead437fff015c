/* The composer's pipeline, feeding and layout: see composer.h. */
#include "record/composer.h"

#include <gio/gio.h>
#include <gst/app/gstappsink.h>
#include <gst/app/gstappsrc.h>
#include <gst/base/gstaggregator.h>
#include <gst/gst.h>
#include <gst/video/video.h>
#include <math.h>
#include <string.h>

#include "record/composer_priv.h"
#include "record/timeline.h"

#define REORDER_PACKETS 24                   /* held back to put packets in sequence order */
#define REORDER_US      (100 * 1000)         /* ... or for this long (live) */
#define LIVE_QUEUE_MAX  8192                 /* records waiting for the feeder thread */
#define LEVEL_RING      128                  /* audio levels kept per track (20 ms each) */
#define TILE_HOLD_NS    (1000 * GST_MSECOND) /* a tile with no new picture for this long goes */
#define PICTURE_LAG_NS  (100 * GST_MSECOND)  /* the picture: later than its latency + this, skip */

typedef struct {
    int64_t pts_us;
    float pow;
} Level;

typedef struct {
    uint64_t ext;
    int64_t pts_us;
    uint64_t arrival_us;
    GstBuffer *buf;
} Held;

typedef struct {
    HnComposer *c;
    int index, tl;
    gboolean video, screen, ended;
    char *participant, *name;
    uint8_t pt;
    GstElement *bin, *src;
    GstPad *mix_pad; /* request pad of the compositor/audiomixer (owned ref) */
    GstElement *tee; /* audio: the decoded sound, to the main mix and every mix-minus output */
    /* reorder (the feeding thread of this track only) */
    GQueue held;
    gboolean have_ext;
    uint64_t max_ext, next_ext;
    /* audio level ring (lock: levels_lock) */
    GMutex levels_lock;
    Level levels[LEVEL_RING];
    guint nlevels, head;
    /* layout (the compositor's thread only) */
    gboolean shown;
    HnRect rect;
    GstVideoOverlayRectangle *label;
    int label_h, label_w;
} Track;

typedef struct {
    int track; /* -1: stop the feeder */
    gboolean end;
    HnHnrType type;
    uint64_t arrival_us;
    uint16_t len;
    uint8_t data[];
} Item;

struct HnComposer {
    HnComposerConfig cfg;
    char *output;
    GstElement *pipe, *comp, *amix;
    GstVideoInfo vinfo;
    HnTimeline *tl;
    GMutex tl_lock; /* tl: added to by add_track while the feeding threads place packets */
    GMutex lock;    /* tracks (the array), started, error */
    GPtrArray *tracks;
    gboolean started, finished;
    GError *error;
    /* live */
    GAsyncQueue *queue;
    GThread *feeder;
    /* layout */
    HnSpeakerPick pick;
    /* outputs attached at the tees (composer_outputs; the controlling thread only) */
    GPtrArray *outputs;
    int next_output;
    GstElement *vtee;
    /* stats */
    gint packets, dropped, bad, frames_out, frames_in, frames_late;
    gint64 out_end_us;
};

static void set_error(HnComposer *c, const GError *e)
{
    g_mutex_lock(&c->lock);
    if (!c->error)
        c->error = g_error_copy(e);
    g_mutex_unlock(&c->lock);
}

static GstBusSyncReply on_bus(GstBus *bus, GstMessage *m, gpointer user)
{
    HnComposer *c = user;
    if (GST_MESSAGE_TYPE(m) == GST_MESSAGE_ERROR) {
        GError *e = NULL;
        gchar *dbg = NULL;
        gst_message_parse_error(m, &e, &dbg);
        g_warning("composer: %s: %s (%s)", GST_OBJECT_NAME(GST_MESSAGE_SRC(m)), e->message,
                  dbg ? dbg : "");
        set_error(c, e);
        g_error_free(e);
        g_free(dbg);
        return GST_BUS_PASS;
    }
    return GST_MESSAGE_TYPE(m) == GST_MESSAGE_EOS ? GST_BUS_PASS : GST_BUS_DROP;
}

gboolean hn_compose_parse_format(const char *s, HnComposerConfig *cfg)
{
    if (g_strcmp0(s, "webm") == 0) {
        cfg->format = HN_COMPOSE_WEBM;
    } else if (g_strcmp0(s, "mp4") == 0) {
        cfg->format = HN_COMPOSE_MP4;
        cfg->mp4_opus = FALSE;
    } else if (g_strcmp0(s, "mp4-opus") == 0) {
        cfg->format = HN_COMPOSE_MP4;
        cfg->mp4_opus = TRUE;
    } else {
        return FALSE;
    }
    return TRUE;
}

/* ---- layout: on the compositor's thread, before each picture is composed ---- */

static double level_db(Track *a, int64_t t_us)
{
    double sum = 0;
    int n = 0;
    g_mutex_lock(&a->levels_lock);
    for (guint i = 0; i < a->nlevels; i++) {
        const Level *l = &a->levels[(a->head + LEVEL_RING - 1 - i) % LEVEL_RING];
        if (l->pts_us > t_us)
            continue;
        if (l->pts_us < t_us - G_USEC_PER_SEC)
            break;
        sum += l->pow;
        n++;
    }
    g_mutex_unlock(&a->levels_lock);
    return n ? 10.0 * log10(sum / n + 1e-12) : NAN;
}

static void place_tile(Track *t, const HnRect *r, gboolean shown, gboolean big)
{
    if (t->shown == shown && (!shown || memcmp(&t->rect, r, sizeof *r) == 0))
        return;
    t->shown = shown;
    if (shown) {
        t->rect = *r;
        g_object_set(t->mix_pad, "xpos", r->x, "ypos", r->y, "width", r->w, "height", r->h, "alpha",
                     1.0, "zorder", big ? 1u : 2u, NULL);
    } else {
        g_object_set(t->mix_pad, "alpha", 0.0, NULL);
    }
}

static void on_samples_selected(GstAggregator *agg, GstSegment *seg, GstClockTime pts,
                                GstClockTime dts, GstClockTime dur, GstStructure *info,
                                gpointer user)
{
    HnComposer *c = user;
    int64_t t_us = GST_CLOCK_TIME_IS_VALID(pts) ? (int64_t)(pts / 1000) : 0;
    g_mutex_lock(&c->lock);
    guint n = c->tracks->len;
    Track **tr = g_newa(Track *, n + 1);
    double *lv = g_newa(double, n + 1);
    gboolean *active = g_newa(gboolean, n + 1);
    for (guint i = 0; i < n; i++)
        tr[i] = c->tracks->pdata[i];
    g_mutex_unlock(&c->lock);
    for (guint i = 0; i < n; i++) {
        active[i] = FALSE;
        lv[i] = NAN;
        if (!tr[i]->video || !tr[i]->mix_pad)
            continue;
        GstSample *s = gst_aggregator_peek_next_sample(agg, GST_AGGREGATOR_PAD(tr[i]->mix_pad));
        active[i] = s && gst_sample_get_buffer(s);
        if (s)
            gst_sample_unref(s);
        for (guint k = 0; active[i] && k < n; k++)
            if (!tr[k]->video && g_strcmp0(tr[k]->participant, tr[i]->participant) == 0) {
                double d = level_db(tr[k], t_us);
                if (!isnan(d) && (isnan(lv[i]) || d > lv[i]))
                    lv[i] = d;
            }
    }
    int speaker = hn_speaker_pick(&c->pick, lv, (int)n, t_us);
    HnTileIn *in = g_newa(HnTileIn, n + 1);
    HnRect *rects = g_newa(HnRect, n + 1);
    int *idx = g_newa(int, n + 1);
    int k = 0;
    for (guint i = 0; i < n; i++)
        if (active[i]) {
            in[k] = (HnTileIn){tr[i]->screen, (int)i == speaker};
            idx[k++] = (int)i;
        }
    int big = hn_layout_compute(c->cfg.layout, c->cfg.width, c->cfg.height, in, k, rects);
    for (int j = 0; j < k; j++)
        place_tile(tr[idx[j]], &rects[j], TRUE, j == big);
    for (guint i = 0; i < n; i++)
        if (tr[i]->video && !active[i] && tr[i]->mix_pad)
            place_tile(tr[i], NULL, FALSE, FALSE);
}

/* Names on the shown tiles, and the output counters (same thread, right after composing). */
/* The picture (live, no file): a composed frame later than the mixer's latency + PICTURE_LAG_NS
 * (the cores taken by others, measured in docs/benchmarks.md) is reported to the compositor as
 * a QoS event; it then skips the frames already late instead of composing and encoding each, so
 * the picture loses frames and stays live rather than falling seconds behind. Counted in
 * frames_late. The compositor's streaming thread. */
static GstPadProbeReturn on_composed_lag(GstPad *pad, GstPadProbeInfo *info, gpointer user)
{
    HnComposer *c = user;
    GstBuffer *buf = GST_PAD_PROBE_INFO_BUFFER(info);
    GstClock *clock = gst_element_get_clock(c->comp);
    if (!buf || !clock || !GST_BUFFER_PTS_IS_VALID(buf)) {
        if (clock)
            gst_object_unref(clock);
        return GST_PAD_PROBE_OK;
    }
    GstClockTime now = gst_clock_get_time(clock) - gst_element_get_base_time(c->comp);
    gst_object_unref(clock);
    GstClockTime rt = GST_BUFFER_PTS(buf);
    GstEvent *seg = gst_pad_get_sticky_event(pad, GST_EVENT_SEGMENT, 0);
    if (seg) {
        const GstSegment *s;
        gst_event_parse_segment(seg, &s);
        GstClockTime r = gst_segment_to_running_time(s, GST_FORMAT_TIME, GST_BUFFER_PTS(buf));
        if (GST_CLOCK_TIME_IS_VALID(r))
            rt = r;
        gst_event_unref(seg);
    }
    GstClockTime due = rt + (GstClockTime)c->cfg.latency_ms * GST_MSECOND;
    if (now > due + PICTURE_LAG_NS) {
        g_atomic_int_add(&c->frames_late, 1);
        gst_pad_send_event(
            pad, gst_event_new_qos(GST_QOS_TYPE_UNDERFLOW, 1.0, (GstClockTimeDiff)(now - due), rt));
    }
    return GST_PAD_PROBE_OK;
}

static GstPadProbeReturn on_composed(GstPad *pad, GstPadProbeInfo *info, gpointer user)
{
    HnComposer *c = user;
    GstBuffer *buf = GST_PAD_PROBE_INFO_BUFFER(info);
    if (!buf)
        return GST_PAD_PROBE_OK;
    g_atomic_int_add(&c->frames_out, 1);
    if (GST_BUFFER_PTS_IS_VALID(buf))
        c->out_end_us =
            (gint64)((GST_BUFFER_PTS(buf) +
                      (GST_BUFFER_DURATION_IS_VALID(buf) ? GST_BUFFER_DURATION(buf) : 0)) /
                     1000);
    GstVideoOverlayComposition *comp = NULL;
    g_mutex_lock(&c->lock);
    for (guint i = 0; i < c->tracks->len; i++) {
        Track *t = c->tracks->pdata[i];
        if (!t->video || !t->shown)
            continue;
        int h = CLAMP(t->rect.h / 12, 14, 40);
        if (!t->label || t->label_h != h || t->label_w != t->rect.w) {
            if (t->label)
                gst_video_overlay_rectangle_unref(t->label);
            t->label = hn_composer_label_new(t->name, h, t->rect.w - 8);
            t->label_h = h;
            t->label_w = t->rect.w;
        }
        if (!t->label)
            continue;
        guint lw = 0, lh = 0;
        gst_video_overlay_rectangle_get_render_rectangle(t->label, NULL, NULL, &lw, &lh);
        gst_video_overlay_rectangle_set_render_rectangle(t->label, t->rect.x + 4,
                                                         t->rect.y + t->rect.h - h - 4, lw, lh);
        if (!comp)
            comp = gst_video_overlay_composition_new(t->label);
        else
            gst_video_overlay_composition_add_rectangle(comp, t->label);
    }
    g_mutex_unlock(&c->lock);
    if (!comp)
        return GST_PAD_PROBE_OK;
    buf = gst_buffer_make_writable(buf);
    GST_PAD_PROBE_INFO_DATA(info) = buf;
    GstVideoFrame f;
    if (gst_video_frame_map(&f, &c->vinfo, buf, GST_MAP_READWRITE)) {
        gst_video_overlay_composition_blend(comp, &f);
        gst_video_frame_unmap(&f);
    }
    gst_video_overlay_composition_unref(comp);
    return GST_PAD_PROBE_OK;
}

static GstPadProbeReturn on_decoded_frame(GstPad *pad, GstPadProbeInfo *info, gpointer user)
{
    HnComposer *c = user;
    g_atomic_int_add(&c->frames_in, 1);
    return GST_PAD_PROBE_OK;
}

/* The level of each 20 ms of decoded audio (S16 interleaved), for the speaker choice. */
static GstPadProbeReturn on_decoded_audio(GstPad *pad, GstPadProbeInfo *info, gpointer user)
{
    Track *t = user;
    GstBuffer *buf = GST_PAD_PROBE_INFO_BUFFER(info);
    GstMapInfo map;
    if (!buf || !GST_BUFFER_PTS_IS_VALID(buf) || !gst_buffer_map(buf, &map, GST_MAP_READ))
        return GST_PAD_PROBE_OK;
    const int16_t *s = (const int16_t *)map.data;
    size_t n = map.size / 2;
    double sum = 0;
    for (size_t i = 0; i < n; i++)
        sum += (double)s[i] * s[i];
    gst_buffer_unmap(buf, &map);
    Level l = {(int64_t)(GST_BUFFER_PTS(buf) / 1000),
               n ? (float)(sum / n / (32768.0 * 32768.0)) : 0};
    g_mutex_lock(&t->levels_lock);
    t->levels[t->head] = l;
    t->head = (t->head + 1) % LEVEL_RING;
    t->nlevels = MIN(t->nlevels + 1, LEVEL_RING);
    g_mutex_unlock(&t->levels_lock);
    return GST_PAD_PROBE_OK;
}

/* ---- the pipeline ---- */

/* WebM: webmmux version=1 writes BlockGroups, not SimpleBlocks. Chromium (156) resumes a
 * preloaded VP8 + Opus WebM with a seek on the Opus track (its seek pre-roll puts the target
 * before the video's start), and with SimpleBlocks that seek fails ("FFmpegDemuxer: demuxer seek
 * failed": the portal's player never starts); with BlockGroups it plays and seeks. */
static char *output_description(const HnComposerConfig *cfg, int kbps)
{
    int gop = cfg->fps * 4;
    if (!cfg->output) /* no file: the composition runs for the outputs attached at the tees */
        return g_strdup("queue name=vq leaky=downstream max-size-buffers=2 ! fakesink sync=false "
                        "async=false aq. ! fakesink sync=false async=false");
    if (cfg->format == HN_COMPOSE_MP4)
        return g_strdup_printf(
            "queue name=vq max-size-buffers=0 max-size-bytes=0 max-size-time=3000000000 ! "
            "x264enc speed-preset=veryfast tune=zerolatency bitrate=%d key-int-max=%d ! "
            "h264parse ! mp4mux name=mux faststart=true ! filesink name=sink sync=false "
            "aq. ! audioconvert ! audioresample ! %s ! mux.",
            kbps, gop,
            cfg->mp4_opus ? "opusenc bitrate=64000" : "avenc_aac bitrate=96000 ! aacparse");
    return g_strdup_printf(
        "queue name=vq max-size-buffers=0 max-size-bytes=0 max-size-time=3000000000 ! "
        "vp8enc deadline=1 cpu-used=8 threads=2 end-usage=cbr target-bitrate=%d "
        "keyframe-max-dist=%d lag-in-frames=0 ! webmmux name=mux version=1 ! filesink name=sink "
        "sync=false "
        "aq. ! audioconvert ! opusenc bitrate=64000 ! mux.",
        kbps * 1000, gop);
}

static gboolean build(HnComposer *c, GError **error)
{
    const HnComposerConfig *cfg = &c->cfg;
    gboolean live = cfg->live;
    int kbps = cfg->bitrate_kbps
                   ? cfg->bitrate_kbps
                   : MAX(200, (int)(1500.0 * cfg->width * cfg->height / (1280.0 * 720.0)));
    int64_t vbufs = -1, abufs = -1;
    if (!live && cfg->duration_us > 0) {
        vbufs = (cfg->duration_us * cfg->fps + G_USEC_PER_SEC - 1) / G_USEC_PER_SEC;
        abufs = (cfg->duration_us + 19999) / 20000;
    }
    guint64 lat = live ? (guint64)cfg->latency_ms * GST_MSECOND : 0;
    char *out = output_description(cfg, kbps);
    char *desc = g_strdup_printf(
        "compositor name=comp background=black latency=%" G_GUINT64_FORMAT
        " emit-signals=true ignore-inactive-pads=%s ! "
        "video/x-raw,format=I420,width=%d,height=%d,framerate=%d/1,pixel-aspect-ratio=1/1 ! "
        "tee name=vtee allow-not-linked=true ! %s "
        "audiomixer name=amix latency=%" G_GUINT64_FORMAT " ignore-inactive-pads=%s ! "
        "audio/x-raw,format=S16LE,rate=48000,channels=2 ! tee name=atee allow-not-linked=true ! "
        "queue name=aq max-size-buffers=0 max-size-bytes=0 max-size-time=3000000000 "
        "videotestsrc name=vbg pattern=black is-live=%s num-buffers=%" G_GINT64_FORMAT " ! "
        "video/x-raw,format=I420,width=16,height=16,framerate=%d/1 ! comp. "
        "audiotestsrc name=abg wave=silence is-live=%s samplesperbuffer=960 "
        "num-buffers=%" G_GINT64_FORMAT " ! audio/x-raw,format=S16LE,rate=48000,channels=2 ! amix.",
        lat, live ? "true" : "false", cfg->width, cfg->height, cfg->fps, out, lat,
        live ? "true" : "false", live ? "true" : "false", vbufs, cfg->fps, live ? "true" : "false",
        abufs);
    g_free(out);
    GError *e = NULL;
    c->pipe = gst_parse_launch_full(desc, NULL, GST_PARSE_FLAG_FATAL_ERRORS, &e);
    g_free(desc);
    if (!c->pipe) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED, "composer pipeline: %s",
                    e ? e->message : "?");
        g_clear_error(&e);
        return FALSE;
    }
    /* the tees feed the encoders above; further outputs (SIP) request more pads */
    gboolean ok = TRUE;
    if (c->output) {
        GstElement *sink = gst_bin_get_by_name(GST_BIN(c->pipe), "sink");
        g_object_set(sink, "location", c->output, NULL);
        gst_object_unref(sink);
    }
    c->vtee = gst_bin_get_by_name(GST_BIN(c->pipe), "vtee");
    c->comp = gst_bin_get_by_name(GST_BIN(c->pipe), "comp");
    c->amix = gst_bin_get_by_name(GST_BIN(c->pipe), "amix");
    if (!ok || !c->comp || !c->amix) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED, "composer pipeline: cannot link");
        return FALSE;
    }
    /* the background only gives the picture its length: never drawn */
    GstPad *bgpad = gst_element_get_static_pad(c->comp, "sink_0");
    if (bgpad) {
        g_object_set(bgpad, "alpha", 0.0, NULL);
        gst_object_unref(bgpad);
    }
    g_signal_connect(c->comp, "samples-selected", G_CALLBACK(on_samples_selected), c);
    GstPad *src = gst_element_get_static_pad(c->comp, "src");
    gst_pad_add_probe(src, GST_PAD_PROBE_TYPE_BUFFER, on_composed, c, NULL);
    if (live && !c->output) /* the picture stays live; a recording keeps every frame */
        gst_pad_add_probe(src, GST_PAD_PROBE_TYPE_BUFFER, on_composed_lag, c, NULL);
    gst_object_unref(src);
    gst_video_info_set_format(&c->vinfo, GST_VIDEO_FORMAT_I420, (guint)cfg->width,
                              (guint)cfg->height);
    GstBus *bus = gst_element_get_bus(c->pipe);
    gst_bus_set_sync_handler(bus, on_bus, c, NULL);
    gst_object_unref(bus);
    if (live) {
        GstClock *clk =
            g_object_new(GST_TYPE_SYSTEM_CLOCK, "clock-type", GST_CLOCK_TYPE_REALTIME, NULL);
        gst_pipeline_use_clock(GST_PIPELINE(c->pipe), clk);
        gst_object_unref(clk);
        gst_element_set_start_time(c->pipe, GST_CLOCK_TIME_NONE);
        gst_element_set_base_time(c->pipe, (GstClockTime)c->cfg.start_us * 1000);
    }
    return TRUE;
}

static gpointer feeder_main(gpointer user);
static void hn_composer_outputs_track_added(HnComposer *c, int track);
static void hn_composer_outputs_free(HnComposer *c);

HnComposer *hn_composer_new(const HnComposerConfig *cfg, GError **error)
{
    g_return_val_if_fail(cfg && (cfg->output || cfg->live), NULL);
    if (!gst_is_initialized())
        gst_init(NULL, NULL);
    HnComposer *c = g_new0(HnComposer, 1);
    c->cfg = *cfg;
    c->output = g_strdup(cfg->output);
    c->cfg.output = c->output;
    c->cfg.width = cfg->width > 0 ? cfg->width & ~1 : 1280;
    c->cfg.height = cfg->height > 0 ? cfg->height & ~1 : 720;
    c->cfg.fps = cfg->fps > 0 ? cfg->fps : 15;
    c->cfg.latency_ms = cfg->latency_ms > 0 ? cfg->latency_ms : 1000;
    /* live: the clock's running time is wall - start_us, which must not be negative */
    if (c->cfg.live && (c->cfg.start_us <= 0 || c->cfg.start_us > g_get_real_time()))
        c->cfg.start_us = g_get_real_time();
    g_mutex_init(&c->lock);
    g_mutex_init(&c->tl_lock);
    c->tracks = g_ptr_array_new();
    c->outputs = g_ptr_array_new();
    c->tl = hn_timeline_new();
    hn_speaker_pick_init(&c->pick);
    if (!build(c, error)) {
        hn_composer_free(c);
        return NULL;
    }
    if (c->cfg.live) {
        if (!c->output) { /* no file to line up with: the picture starts now, not when the
                           * building started (seconds earlier under a sanitizer), so that
                           * the mixers have nothing to catch up */
            c->cfg.start_us = g_get_real_time();
            gst_element_set_base_time(c->pipe, (GstClockTime)c->cfg.start_us * 1000);
        }
        c->queue = g_async_queue_new_full(g_free);
        c->feeder = g_thread_new("hn-compose", feeder_main, c);
        c->started = TRUE;
        /* and wait until it runs: outputs added during the state change could be left behind
         * in PAUSED (seen under ASan: the composition then never produced a picture) */
        if (gst_element_set_state(c->pipe, GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE ||
            gst_element_get_state(c->pipe, NULL, NULL, 5 * GST_SECOND) ==
                GST_STATE_CHANGE_FAILURE) {
            g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED, "composer: cannot start (%s)",
                        c->output ? c->output : "no file");
            hn_composer_free(c);
            return NULL;
        }
    }
    return c;
}

static char *track_description(const char *kind, const char *codec, uint32_t rate, int pt)
{
    const char *common = "appsrc name=src format=time emit-signals=false";
    if (strcmp(kind, "audio") == 0 && g_ascii_strcasecmp(codec, "opus") == 0)
        return g_strdup_printf("%s caps=\"application/x-rtp,media=audio,clock-rate=%u,"
                               "encoding-name=OPUS,payload=%d\" ! rtpopusdepay ! opusdec ! "
                               "audioconvert ! audioresample ! "
                               "capsfilter name=out caps=audio/x-raw,format=S16LE,rate=48000,"
                               "channels=2",
                               common, rate, pt);
    if (strcmp(kind, "video") == 0 && g_ascii_strcasecmp(codec, "VP8") == 0)
        return g_strdup_printf("%s caps=\"application/x-rtp,media=video,clock-rate=%u,"
                               "encoding-name=VP8,payload=%d\" ! rtpvp8depay ! "
                               "vp8dec name=out threads=1",
                               common, rate, pt);
    if (strcmp(kind, "video") == 0 && g_ascii_strcasecmp(codec, "H264") == 0)
        return g_strdup_printf("%s caps=\"application/x-rtp,media=video,clock-rate=%u,"
                               "encoding-name=H264,payload=%d\" ! rtph264depay ! h264parse ! "
                               "avdec_h264 name=out",
                               common, rate, pt);
    return NULL;
}

static void track_free(Track *t)
{
    g_queue_clear_full(&t->held, g_free); /* buffers already released by then */
    if (t->label)
        gst_video_overlay_rectangle_unref(t->label);
    if (t->mix_pad)
        gst_object_unref(t->mix_pad);
    if (t->tee)
        gst_object_unref(t->tee);
    if (t->src)
        gst_object_unref(t->src);
    g_mutex_clear(&t->levels_lock);
    g_free(t->participant);
    g_free(t->name);
    g_free(t);
}

int hn_composer_add_track(HnComposer *c, const json_t *h)
{
    const char *kind = json_string_value(json_object_get(h, "kind"));
    const char *codec = json_string_value(json_object_get(h, "codec"));
    json_int_t rate = json_integer_value(json_object_get(h, "clock_rate"));
    json_int_t pt = json_integer_value(json_object_get(h, "pt"));
    if (!kind || !codec || rate <= 0 || rate > 1000000 || pt < 0 || pt > 127) {
        g_warning("composer: track header without kind/codec/clock_rate/pt: ignored");
        return -1;
    }
    char *desc = track_description(kind, codec, (uint32_t)rate, (int)pt);
    if (!desc) {
        g_warning("composer: cannot compose a %s track in %s: ignored", kind, codec);
        return -1;
    }
    GError *e = NULL;
    GstElement *bin =
        gst_parse_bin_from_description_full(desc, TRUE, NULL, GST_PARSE_FLAG_FATAL_ERRORS, &e);
    g_free(desc);
    if (!bin) {
        g_warning("composer: %s", e ? e->message : "cannot build a track");
        g_clear_error(&e);
        return -1;
    }
    Track *t = g_new0(Track, 1);
    t->c = c;
    t->video = strcmp(kind, "video") == 0;
    t->screen = g_strcmp0(json_string_value(json_object_get(h, "source")), "screen") == 0;
    t->participant = g_strdup(json_string_value(json_object_get(h, "participant")));
    const char *name = json_string_value(json_object_get(h, "name"));
    t->name = g_strdup(name ? name : t->participant);
    t->pt = (uint8_t)pt;
    g_mutex_init(&t->levels_lock);
    t->bin = bin;
    t->src = gst_bin_get_by_name(GST_BIN(bin), "src");
    if (c->cfg.live)
        g_object_set(t->src, "is-live", TRUE, "block", FALSE, "max-bytes", (guint64)(2 << 20),
                     "min-latency", (gint64)0, NULL);
    else
        g_object_set(t->src, "is-live", FALSE, "block", TRUE, "max-bytes", (guint64)(512 << 10),
                     NULL);
    if (c->cfg.live)
        gst_util_set_object_arg(G_OBJECT(t->src), "leaky-type", "upstream");
    GstElement *out = gst_bin_get_by_name(GST_BIN(bin), "out");
    GstPad *outpad = gst_element_get_static_pad(out, "src");
    if (t->video) {
        if (g_object_class_find_property(G_OBJECT_GET_CLASS(out), "max-errors"))
            g_object_set(out, "max-errors", -1, NULL);
        gst_pad_add_probe(outpad, GST_PAD_PROBE_TYPE_BUFFER, on_decoded_frame, c, NULL);
    } else {
        gst_pad_add_probe(outpad, GST_PAD_PROBE_TYPE_BUFFER, on_decoded_audio, t, NULL);
    }
    gst_object_unref(outpad);
    gst_object_unref(out);

    gst_bin_add(GST_BIN(c->pipe), bin);
    t->mix_pad = gst_element_request_pad_simple(t->video ? c->comp : c->amix, "sink_%u");
    if (t->video) {
        g_object_set(t->mix_pad, "alpha", 0.0, "max-last-buffer-repeat", (guint64)TILE_HOLD_NS,
                     NULL);
        gst_util_set_object_arg(G_OBJECT(t->mix_pad), "sizing-policy", "keep-aspect-ratio");
    }
    GstPad *binsrc = gst_element_get_static_pad(bin, "src");
    gboolean linked;
    if (t->video) {
        linked = gst_pad_link(binsrc, t->mix_pad) == GST_PAD_LINK_OK;
    } else { /* bin -> tee -> queue -> the main mix; mix-minus outputs take more tee pads */
        t->tee = gst_element_factory_make("tee", NULL);
        GstElement *q = gst_element_factory_make("queue", NULL);
        g_object_set(t->tee, "allow-not-linked", TRUE, NULL);
        gst_bin_add_many(GST_BIN(c->pipe), gst_object_ref(t->tee), q, NULL);
        GstPad *qsrc = gst_element_get_static_pad(q, "src");
        linked = gst_element_link(bin, t->tee) && gst_element_link(t->tee, q) &&
                 gst_pad_link(qsrc, t->mix_pad) == GST_PAD_LINK_OK;
        gst_object_unref(qsrc);
        if (c->started) {
            gst_element_sync_state_with_parent(q);
            gst_element_sync_state_with_parent(t->tee);
        }
    }
    gst_object_unref(binsrc);
    g_mutex_lock(&c->lock);
    t->index = (int)c->tracks->len;
    g_mutex_lock(&c->tl_lock);
    t->tl = hn_timeline_add_track(c->tl, t->participant, (uint32_t)rate);
    g_mutex_unlock(&c->tl_lock);
    g_ptr_array_add(c->tracks, t);
    g_mutex_unlock(&c->lock);
    if (!linked)
        g_warning("composer: cannot link track %d", t->index);
    if (!t->video)
        hn_composer_outputs_track_added(c, t->index);
    if (c->started)
        gst_element_sync_state_with_parent(bin);
    return t->index;
}

static Track *get_track(HnComposer *c, int track)
{
    g_mutex_lock(&c->lock);
    Track *t = track >= 0 && (guint)track < c->tracks->len ? c->tracks->pdata[track] : NULL;
    g_mutex_unlock(&c->lock);
    return t;
}

/* ---- feeding: place, reorder, push ---- */

static void release(HnComposer *c, Track *t, Held *h)
{
    t->next_ext = h->ext + 1;
    if (h->pts_us < 0) {
        gst_buffer_unref(h->buf);
        g_atomic_int_add(&c->dropped, 1);
    } else {
        GST_BUFFER_PTS(h->buf) = (GstClockTime)h->pts_us * 1000;
        if (c->cfg.live &&
            gst_app_src_get_current_level_bytes(GST_APP_SRC(t->src)) + gst_buffer_get_size(h->buf) >
                gst_app_src_get_max_bytes(GST_APP_SRC(t->src)))
            g_atomic_int_add(&c->dropped, 1);
        else
            g_atomic_int_add(&c->packets, 1);
        gst_app_src_push_buffer(GST_APP_SRC(t->src), h->buf); /* transfer full */
    }
    g_free(h);
}

static void flush_held(HnComposer *c, Track *t, uint64_t now_us, gboolean all)
{
    Held *h;
    while ((h = g_queue_peek_head(&t->held)) &&
           (all || h->ext == t->next_ext || t->held.length > REORDER_PACKETS ||
            (c->cfg.live && h->arrival_us + REORDER_US < now_us)))
        release(c, t, g_queue_pop_head(&t->held));
}

static gint held_cmp(gconstpointer a, gconstpointer b, gpointer user)
{
    uint64_t x = ((const Held *)a)->ext, y = ((const Held *)b)->ext;
    return x < y ? -1 : x > y;
}

static void feed(HnComposer *c, Track *t, HnHnrType type, uint64_t arrival_us, const uint8_t *d,
                 size_t len)
{
    if (t->ended)
        return;
    if (type == HN_HNR_RTCP) {
        g_mutex_lock(&c->tl_lock);
        int taken = hn_timeline_on_rtcp(c->tl, t->tl, d, len, arrival_us);
        g_mutex_unlock(&c->tl_lock);
        if (taken < 0)
            g_atomic_int_add(&c->bad, 1);
        return;
    }
    if (len < 12 || (d[0] >> 6) != 2 || (d[1] & 0x7f) != t->pt) {
        g_atomic_int_add(&c->bad, 1); /* not RTP, or another payload (RTX, FEC) */
        return;
    }
    uint16_t seq = (uint16_t)((d[2] << 8) | d[3]);
    uint32_t ts = ((uint32_t)d[4] << 24) | ((uint32_t)d[5] << 16) | ((uint32_t)d[6] << 8) | d[7];
    uint32_t ssrc =
        ((uint32_t)d[8] << 24) | ((uint32_t)d[9] << 16) | ((uint32_t)d[10] << 8) | d[11];
    uint64_t ext = seq + (1ull << 32);
    if (t->have_ext)
        ext = t->max_ext + (int16_t)(seq - (uint16_t)t->max_ext);
    if (!t->have_ext || ext > t->max_ext)
        t->max_ext = ext;
    if (!t->have_ext)
        t->next_ext = ext;
    t->have_ext = TRUE;
    if (ext < t->next_ext) { /* a duplicate, or too late to put back in order */
        g_atomic_int_add(&c->dropped, 1);
        return;
    }
    Held *h = g_new(Held, 1);
    h->ext = ext;
    h->arrival_us = arrival_us;
    g_mutex_lock(&c->tl_lock);
    h->pts_us = hn_timeline_place(c->tl, t->tl, ssrc, ts, arrival_us) - c->cfg.start_us;
    g_mutex_unlock(&c->tl_lock);
    h->buf = gst_buffer_new_memdup(d, len);
    g_queue_insert_sorted(&t->held, h, held_cmp, NULL);
    flush_held(c, t, arrival_us, FALSE);
}

static void end_track(HnComposer *c, Track *t)
{
    if (t->ended)
        return;
    flush_held(c, t, 0, TRUE);
    t->ended = TRUE;
    gst_app_src_end_of_stream(GST_APP_SRC(t->src));
}

static gpointer feeder_main(gpointer user)
{
    HnComposer *c = user;
    for (;;) {
        Item *it = g_async_queue_pop(c->queue);
        if (it->track < 0) {
            g_free(it);
            break;
        }
        Track *t = get_track(c, it->track);
        if (t && it->end)
            end_track(c, t);
        else if (t)
            feed(c, t, it->type, it->arrival_us, it->data, it->len);
        g_free(it);
    }
    return NULL;
}

static void start_after(HnComposer *c)
{
    g_mutex_lock(&c->lock);
    if (!c->started) {
        c->started = TRUE;
        g_mutex_lock(&c->tl_lock);
        hn_timeline_freeze(c->tl);
        g_mutex_unlock(&c->tl_lock);
        if (gst_element_set_state(c->pipe, GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE) {
            GError *e = g_error_new(G_IO_ERROR, G_IO_ERROR_FAILED, "composer: cannot start");
            if (!c->error)
                c->error = e;
            else
                g_error_free(e);
        }
    }
    g_mutex_unlock(&c->lock);
}

void hn_composer_push(HnComposer *c, int track, const HnHnrRecord *rec)
{
    Track *t = get_track(c, track);
    if (!t || !rec || !rec->data || rec->len == 0) {
        g_atomic_int_add(&c->bad, 1);
        return;
    }
    if (!c->cfg.live) {
        if (rec->type == HN_HNR_RTP && !c->started)
            start_after(c);
        feed(c, t, rec->type, rec->arrival_us, rec->data, rec->len);
        return;
    }
    if (c->finished || g_async_queue_length(c->queue) >= LIVE_QUEUE_MAX) {
        g_atomic_int_add(&c->dropped, 1);
        return;
    }
    Item *it = g_malloc(sizeof(Item) + rec->len);
    it->track = track;
    it->end = FALSE;
    it->type = rec->type;
    it->arrival_us = rec->arrival_us;
    it->len = rec->len;
    memcpy(it->data, rec->data, rec->len);
    g_async_queue_push(c->queue, it);
}

void hn_composer_end_track(HnComposer *c, int track)
{
    Track *t = get_track(c, track);
    if (!t)
        return;
    if (!c->cfg.live) {
        end_track(c, t);
        return;
    }
    Item *it = g_new0(Item, 1);
    it->track = track;
    it->end = TRUE;
    g_async_queue_push(c->queue, it);
}

static void stop_feeder(HnComposer *c)
{
    if (!c->feeder)
        return;
    Item *it = g_new0(Item, 1);
    it->track = -1;
    g_async_queue_push(c->queue, it);
    g_thread_join(c->feeder);
    c->feeder = NULL;
}

gboolean hn_composer_finish(HnComposer *c, int timeout_s, GError **error)
{
    g_return_val_if_fail(!c->finished, FALSE);
    if (!c->started)
        start_after(c); /* nothing was pushed: the background alone */
    if (c->cfg.live) {
        stop_feeder(c);
        c->finished = TRUE;
        for (guint i = 0; i < c->tracks->len; i++)
            end_track(c, c->tracks->pdata[i]);
        gst_element_send_event(c->pipe, gst_event_new_eos());
    }
    c->finished = TRUE;
    GstBus *bus = gst_element_get_bus(c->pipe);
    gint64 deadline = timeout_s > 0 ? g_get_monotonic_time() + timeout_s * G_USEC_PER_SEC : 0;
    gboolean eos = FALSE;
    for (;;) {
        GstMessage *m =
            gst_bus_timed_pop_filtered(bus, 200 * GST_MSECOND, GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
        if (m) {
            eos = GST_MESSAGE_TYPE(m) == GST_MESSAGE_EOS;
            gst_message_unref(m);
            break;
        }
        if (deadline && g_get_monotonic_time() > deadline)
            break;
    }
    gst_object_unref(bus);
    gst_element_set_state(c->pipe, GST_STATE_NULL);
    g_mutex_lock(&c->lock);
    gboolean ok = eos && !c->error;
    if (!ok)
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED, "composing %s: %s",
                    c->output ? c->output : "(no file)",
                    c->error ? c->error->message
                    : eos    ? "?"
                             : "timed out");
    g_mutex_unlock(&c->lock);
    return ok;
}

void hn_composer_stats(HnComposer *c, HnComposerStats *out)
{
    out->packets = (uint64_t)(guint)g_atomic_int_get(&c->packets);
    out->dropped = (uint64_t)(guint)g_atomic_int_get(&c->dropped);
    out->bad = (uint64_t)(guint)g_atomic_int_get(&c->bad);
    out->frames_out = (uint64_t)(guint)g_atomic_int_get(&c->frames_out);
    out->frames_in = (uint64_t)(guint)g_atomic_int_get(&c->frames_in);
    out->frames_late = (uint64_t)(guint)g_atomic_int_get(&c->frames_late);
    out->duration_us = c->out_end_us;
}

void hn_composer_free(HnComposer *c)
{
    if (!c)
        return;
    if (c->queue) {
        stop_feeder(c);
        g_async_queue_unref(c->queue);
    }
    if (c->pipe) {
        gst_element_set_state(c->pipe, GST_STATE_NULL);
        GstBus *bus = gst_element_get_bus(c->pipe);
        gst_bus_set_sync_handler(bus, NULL, NULL, NULL);
        gst_object_unref(bus);
    }
    for (guint i = 0; i < c->tracks->len; i++) {
        Track *t = c->tracks->pdata[i];
        Held *h;
        while ((h = g_queue_pop_head(&t->held))) {
            gst_buffer_unref(h->buf);
            g_free(h);
        }
        track_free(t);
    }
    hn_composer_outputs_free(c);
    g_ptr_array_unref(c->tracks);
    if (c->vtee)
        gst_object_unref(c->vtee);
    if (c->comp)
        gst_object_unref(c->comp);
    if (c->amix)
        gst_object_unref(c->amix);
    if (c->pipe)
        gst_object_unref(c->pipe);
    hn_timeline_free(c->tl);
    g_clear_error(&c->error);
    g_mutex_clear(&c->lock);
    g_mutex_clear(&c->tl_lock);
    g_free(c->output);
    g_free(c);
}

/* ---- outputs at the tees (composer.h: hn_composer_output_add) ---- */

typedef struct {
    GstPad *teepad; /* the track's tee pad (owned ref) */
    GstElement *queue;
    GstPad *mixpad; /* the output mixer's pad (owned ref) */
} OutLink;

typedef struct {
    int id;
    gboolean video;
    char *exclude;
    HnComposerPacketFn fn;
    void *user;
    GstElement *bin;        /* [queue !] desc ! appsink */
    GstElement *sink;       /* the appsink (owned ref) */
    GstPad *teepad;         /* video: the vtee pad (owned ref) */
    GstElement *bg, *mixer; /* audio: silence (time base) and the mix-minus mixer */
    GPtrArray *links;       /* audio: OutLink* per track mixed */
} Output;

static GstFlowReturn on_out_sample(GstAppSink *sink, gpointer user)
{
    Output *o = user;
    GstSample *s = gst_app_sink_pull_sample(sink);
    if (!s)
        return GST_FLOW_OK;
    GstBuffer *b = gst_sample_get_buffer(s);
    int64_t time_us = -1;
    const GstSegment *seg = gst_sample_get_segment(s);
    GstClock *clock = gst_element_get_clock(o->sink);
    if (b && seg && clock && GST_BUFFER_PTS_IS_VALID(b)) {
        GstClockTime rt = gst_segment_to_running_time(seg, GST_FORMAT_TIME, GST_BUFFER_PTS(b));
        if (GST_CLOCK_TIME_IS_VALID(rt)) { /* clock time of the PTS, moved onto the wall clock */
            GstClockTimeDiff ago =
                GST_CLOCK_DIFF(gst_element_get_base_time(o->sink) + rt, gst_clock_get_time(clock));
            time_us = g_get_real_time() - ago / 1000;
        }
    }
    if (clock)
        gst_object_unref(clock);
    GstMapInfo map;
    if (b && gst_buffer_map(b, &map, GST_MAP_READ)) {
        o->fn(o->user, map.data, map.size, time_us);
        gst_buffer_unmap(b, &map);
    }
    gst_sample_unref(s);
    return GST_FLOW_OK;
}

static Output *find_output(HnComposer *c, int id)
{
    for (guint i = 0; i < c->outputs->len; i++) {
        Output *o = c->outputs->pdata[i];
        if (o->id == id)
            return o;
    }
    return NULL;
}

/* track t's decoded sound into audio output o (both running or both not yet). */
static void link_track(HnComposer *c, Output *o, Track *t)
{
    if (t->video || !t->tee || t->ended ||
        (o->exclude && g_strcmp0(o->exclude, t->participant) == 0))
        return;
    OutLink *l = g_new0(OutLink, 1);
    l->queue = gst_element_factory_make("queue", NULL);
    g_object_set(l->queue, "max-size-time", (guint64)(2 * GST_SECOND), "max-size-buffers", 0u,
                 "max-size-bytes", 0u, NULL);
    gst_util_set_object_arg(G_OBJECT(l->queue), "leaky", "downstream");
    gst_bin_add(GST_BIN(c->pipe), l->queue);
    l->mixpad = gst_element_request_pad_simple(o->mixer, "sink_%u");
    GstPad *qsink = gst_element_get_static_pad(l->queue, "sink");
    GstPad *qsrc = gst_element_get_static_pad(l->queue, "src");
    gst_pad_link(qsrc, l->mixpad);
    gst_element_sync_state_with_parent(l->queue);
    l->teepad = gst_element_request_pad_simple(t->tee, "src_%u");
    if (gst_pad_link(l->teepad, qsink) != GST_PAD_LINK_OK)
        g_warning("composer: cannot link track %d to output %d", t->index, o->id);
    gst_object_unref(qsink);
    gst_object_unref(qsrc);
    g_ptr_array_add(o->links, l);
}

static void hn_composer_outputs_track_added(HnComposer *c, int track)
{
    Track *t = c->tracks->pdata[track];
    for (guint i = 0; i < c->outputs->len; i++) {
        Output *o = c->outputs->pdata[i];
        if (!o->video)
            link_track(c, o, t);
    }
}

int hn_composer_output_add(HnComposer *c, gboolean video, const char *exclude_participant,
                           const char *desc, HnComposerPacketFn fn, void *user, GError **error)
{
    g_return_val_if_fail(c && desc && fn, -1);
    if (!c->cfg.live || c->finished) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                    "composer: outputs attach to a running live composition only");
        return -1;
    }
    char *full = g_strdup_printf(
        "%s%s ! appsink name=sink sync=false async=false emit-signals=false max-buffers=256 "
        "drop=true",
        video ? "queue leaky=downstream max-size-buffers=2 max-size-bytes=0 max-size-time=0 ! "
              : "audioconvert ! audioresample ! ",
        desc);
    GError *e = NULL;
    GstElement *bin =
        gst_parse_bin_from_description_full(full, TRUE, NULL, GST_PARSE_FLAG_FATAL_ERRORS, &e);
    g_free(full);
    if (!bin) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED, "composer output: %s",
                    e ? e->message : "?");
        g_clear_error(&e);
        return -1;
    }
    Output *o = g_new0(Output, 1);
    o->id = ++c->next_output;
    o->video = video;
    o->exclude = g_strdup(exclude_participant);
    o->fn = fn;
    o->user = user;
    o->bin = bin;
    o->sink = gst_bin_get_by_name(GST_BIN(bin), "sink");
    GstAppSinkCallbacks cb = {.new_sample = on_out_sample};
    gst_app_sink_set_callbacks(GST_APP_SINK(o->sink), &cb, o, NULL);
    gst_bin_add(GST_BIN(c->pipe), bin);
    GstPad *binsink = gst_element_get_static_pad(bin, "sink");
    gboolean ok;
    if (video) {
        gst_element_sync_state_with_parent(bin);
        o->teepad = gst_element_request_pad_simple(c->vtee, "src_%u");
        ok = gst_pad_link(o->teepad, binsink) == GST_PAD_LINK_OK;
    } else {
        guint64 lat = (guint64)c->cfg.latency_ms * GST_MSECOND;
        o->links = g_ptr_array_new();
        o->bg = gst_parse_bin_from_description(
            "audiotestsrc wave=silence is-live=true samplesperbuffer=960 ! "
            "audio/x-raw,format=S16LE,rate=48000,channels=2",
            TRUE, NULL);
        o->mixer = gst_element_factory_make("audiomixer", NULL);
        g_object_set(o->mixer, "latency", lat, "ignore-inactive-pads", TRUE, NULL);
        /* from its first buffer: a mixer added to a running pipeline must not start at 0 and
         * catch up on the time the composition has already run */
        gst_util_set_object_arg(G_OBJECT(o->mixer), "start-time-selection", "first");
        GstElement *caps = gst_element_factory_make("capsfilter", NULL);
        GstCaps *cc = gst_caps_from_string("audio/x-raw,format=S16LE,rate=48000,channels=2");
        g_object_set(caps, "caps", cc, NULL);
        gst_caps_unref(cc);
        gst_bin_add_many(GST_BIN(c->pipe), o->bg, o->mixer, caps, NULL);
        GstPad *capsrc = gst_element_get_static_pad(caps, "src");
        ok = gst_element_link(o->bg, o->mixer) && gst_element_link(o->mixer, caps) &&
             gst_pad_link(capsrc, binsink) == GST_PAD_LINK_OK;
        gst_object_unref(capsrc);
        gst_object_ref(o->bg);
        gst_object_ref(o->mixer);
        o->links = g_ptr_array_new();
        g_object_set_data(G_OBJECT(o->mixer), "hn-caps", caps);
        gst_element_sync_state_with_parent(bin);
        gst_element_sync_state_with_parent(caps);
        gst_element_sync_state_with_parent(o->mixer);
        gst_element_sync_state_with_parent(o->bg);
        g_mutex_lock(&c->lock);
        guint n = c->tracks->len;
        g_mutex_unlock(&c->lock);
        for (guint i = 0; i < n; i++)
            link_track(c, o, c->tracks->pdata[i]);
    }
    gst_object_unref(binsink);
    g_ptr_array_add(c->outputs, o);
    if (!ok) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED, "composer output: cannot link");
        hn_composer_output_remove(c, o->id);
        return -1;
    }
    return o->id;
}

void hn_composer_output_keyframe(HnComposer *c, int id)
{
    Output *o = find_output(c, id);
    if (o && o->video)
        gst_element_send_event(
            o->sink, gst_video_event_new_upstream_force_key_unit(GST_CLOCK_TIME_NONE, TRUE, 0));
}

static void drop_element(HnComposer *c, GstElement *e)
{
    gst_element_set_locked_state(e, TRUE);
    gst_element_set_state(e, GST_STATE_NULL);
    gst_bin_remove(GST_BIN(c->pipe), e);
}

static void release_tee_pad(GstPad *teepad)
{
    GstElement *tee = gst_pad_get_parent_element(teepad);
    GstPad *peer = gst_pad_get_peer(teepad);
    if (peer) {
        gst_pad_unlink(teepad, peer);
        gst_object_unref(peer);
    }
    if (tee) {
        gst_element_release_request_pad(tee, teepad);
        gst_object_unref(tee);
    }
    gst_object_unref(teepad);
}

static void output_free(HnComposer *c, Output *o, gboolean running)
{
    if (o->teepad)
        release_tee_pad(o->teepad);
    for (guint i = 0; o->links && i < o->links->len; i++) {
        OutLink *l = o->links->pdata[i];
        release_tee_pad(l->teepad);
        if (running)
            drop_element(c, l->queue);
        if (l->mixpad) {
            gst_element_release_request_pad(o->mixer, l->mixpad);
            gst_object_unref(l->mixpad);
        }
        g_free(l);
    }
    if (running) {
        if (o->bg)
            drop_element(c, o->bg);
        if (o->mixer) {
            GstElement *caps = g_object_get_data(G_OBJECT(o->mixer), "hn-caps");
            drop_element(c, o->mixer);
            if (caps)
                drop_element(c, caps);
        }
        drop_element(c, o->bin);
    }
    if (o->links)
        g_ptr_array_unref(o->links);
    if (o->bg)
        gst_object_unref(o->bg);
    if (o->mixer)
        gst_object_unref(o->mixer);
    gst_object_unref(o->sink);
    g_free(o->exclude);
    g_free(o);
}

void hn_composer_output_remove(HnComposer *c, int id)
{
    Output *o = find_output(c, id);
    if (!o)
        return;
    g_ptr_array_remove(c->outputs, o);
    output_free(c, o, TRUE);
}

static void hn_composer_outputs_free(HnComposer *c)
{
    if (!c->outputs)
        return;
    for (guint i = 0; i < c->outputs->len; i++)
        output_free(c, c->outputs->pdata[i], FALSE);
    g_ptr_array_unref(c->outputs);
    c->outputs = NULL;
}
