/* WHEP egress: see hub_whep.h. */
#include "app/hub_whep.h"

#define GST_USE_UNSTABLE_API
#include <gst/app/gstappsrc.h>
#include <gst/gst.h>
#include <gst/sdp/sdp.h>
#include <gst/video/video.h>
#include <gst/webrtc/webrtc.h>
#include <string.h>
#include <sys/random.h>

#include "app/hub_whip.h"
#include "gateway/picture.h"
#include "sdp/sdp_frag.h"

#define ANSWER_TIMEOUT_US (10 * G_USEC_PER_SEC)
#define MAX_VIEWERS       64 /* per server: each costs a webrtcbin and its SRTP */
#define FRAG_TYPE         "application/trickle-ice-sdpfrag"

typedef struct {
    HnHub *hub;
    char id[33];
    char *room;
    GstElement *pipe, *wb, *vsrc, *asrc;
    HnPictureOutput *out;
    HnHttpRequest *req; /* the POST, until answered */
    gint64 deadline_us;
    guint timer;
    gint keyframe;         /* the viewer asked (PLI/FIR -> force-key-unit upstream) */
    uint32_t vssrc, assrc; /* this viewer's SSRCs, in the answer (a=ssrc): written into each
                            * packet, so the viewer maps its streams without guessing */
    gint ready;            /* connected (DTLS up): packets may enter the peer connection */
    char etag[40];         /* "\"...\"": PATCH's If-Match */
    char *remote_ufrag;    /* the offer's ICE ufrag: another one in a PATCH is a restart */
} Viewer;

typedef struct HnHubWhep {
    HnHub *hub;
    GHashTable *viewers; /* id -> Viewer* */
} HnHubWhep;

static HnHubWhep *whep_singleton; /* one hub per process */

static void viewer_free(gpointer p)
{
    Viewer *v = p;
    if (v->timer)
        g_source_remove(v->timer);
    hn_picture_detach(v->out); /* no packet after this */
    if (v->req)
        hn_http_reply_error(v->req, 503, "the viewer was closed");
    if (v->pipe) {
        gst_element_set_state(v->pipe, GST_STATE_NULL);
        gst_object_unref(v->pipe);
    }
    g_clear_object(&v->wb);
    g_clear_object(&v->vsrc);
    g_clear_object(&v->asrc);
    g_free(v->room);
    g_free(v->remote_ufrag);
    g_free(v);
}

/* A GStreamer streaming thread: the picture's packets into the viewer's peer connection. */
static void on_packet(void *user, gboolean video, const uint8_t *rtp, size_t len, int64_t time_us)
{
    Viewer *v = user;
    (void)time_us;
    if (!g_atomic_int_get(&v->ready))
        return; /* not connected yet: the viewer would start with what it cannot use */
    GstBuffer *b = gst_buffer_new_memdup(rtp, len);
    uint32_t ssrc = video ? v->vssrc : v->assrc;
    uint8_t be[4] = {(uint8_t)(ssrc >> 24), (uint8_t)(ssrc >> 16), (uint8_t)(ssrc >> 8),
                     (uint8_t)ssrc};
    gst_buffer_fill(b, 8, be, sizeof be);
    gst_app_src_push_buffer(GST_APP_SRC(video ? v->vsrc : v->asrc), b);
}

static GstPadProbeReturn on_upstream(GstPad *pad, GstPadProbeInfo *info, gpointer user)
{
    Viewer *v = user;
    GstEvent *ev = GST_PAD_PROBE_INFO_EVENT(info);
    if (ev && gst_video_event_is_force_key_unit(ev))
        g_atomic_int_set(&v->keyframe, 1);
    return GST_PAD_PROBE_OK;
}

/* The payload types of what the viewer can receive: H.264 with packetization-mode 1
 * (preferred: x264 costs a fraction of vp8enc, and the class may be the room systems' one) or
 * VP8, and Opus. */
static gboolean pick_codecs(const GstSDPMessage *sdp, gboolean prefer_vp8, int *vcodec, int *vpt,
                            int *apt)
{
    *vcodec = 0;
    *vpt = *apt = -1;
    for (guint i = 0; i < gst_sdp_message_medias_len(sdp); i++) {
        const GstSDPMedia *m = gst_sdp_message_get_media(sdp, i);
        gboolean video = g_strcmp0(gst_sdp_media_get_media(m), "video") == 0;
        gboolean audio = g_strcmp0(gst_sdp_media_get_media(m), "audio") == 0;
        for (guint k = 0; k < gst_sdp_media_attributes_len(m); k++) {
            const GstSDPAttribute *a = gst_sdp_media_get_attribute(m, k);
            if (g_strcmp0(a->key, "rtpmap") != 0 || !a->value)
                continue;
            int pt = atoi(a->value);
            const char *enc = strchr(a->value, ' ');
            if (!enc || pt < 0 || pt > 127)
                continue;
            enc++;
            if (video && g_ascii_strncasecmp(enc, "VP8/", 4) == 0 &&
                (*vcodec == 0 || (prefer_vp8 && *vcodec != HN_PICTURE_VP8))) {
                *vcodec = HN_PICTURE_VP8;
                *vpt = pt;
            } else if (video && g_ascii_strncasecmp(enc, "H264/", 5) == 0 &&
                       *vcodec != HN_PICTURE_H264 && !(prefer_vp8 && *vcodec == HN_PICTURE_VP8)) {
                char fmtp[32];
                g_snprintf(fmtp, sizeof fmtp, "%d ", pt);
                for (guint j = 0; j < gst_sdp_media_attributes_len(m); j++) {
                    const GstSDPAttribute *f = gst_sdp_media_get_attribute(m, j);
                    if (g_strcmp0(f->key, "fmtp") == 0 && f->value &&
                        g_str_has_prefix(f->value, fmtp) &&
                        strstr(f->value, "packetization-mode=1")) {
                        *vcodec = HN_PICTURE_H264;
                        *vpt = pt;
                    }
                }
            } else if (audio && g_ascii_strncasecmp(enc, "opus/48000", 10) == 0 && *apt < 0) {
                *apt = pt;
            }
        }
    }
    return *vcodec && *apt >= 0;
}

static void answer(Viewer *v, int status, const char *sdp, const char *error)
{
    HnHttpRequest *req = v->req;
    v->req = NULL;
    if (!req)
        return;
    if (status == 201) {
        char loc[64];
        g_snprintf(loc, sizeof loc, "/whep/resource/%s", v->id);
        hn_http_request_add_header(req, "location", loc);
        hn_http_request_add_header(req, "etag", v->etag);
        hn_http_request_add_header(req, "accept-patch", FRAG_TYPE);
        hn_hub_whip_add_ice_links(v->hub, req, NULL, TRUE); /* it passed the join gate */
        hn_http_reply(req, 201, "application/sdp", sdp, strlen(sdp));
    } else {
        hn_http_reply_error(req, status, error);
    }
}

/* Every 50 ms on the main loop: the answer once ICE gathering is complete (no trickle), then
 * the viewer's key frame requests. */
static gboolean on_tick(gpointer data)
{
    Viewer *v = data;
    if (v->req) {
        GstWebRTCICEGatheringState st;
        g_object_get(v->wb, "ice-gathering-state", &st, NULL);
        if (st == GST_WEBRTC_ICE_GATHERING_STATE_COMPLETE) {
            GstWebRTCSessionDescription *d = NULL;
            g_object_get(v->wb, "local-description", &d, NULL);
            char *text = d ? gst_sdp_message_as_text(d->sdp) : NULL;
            if (text) {
                answer(v, 201, text, NULL);
                g_message("whep %s: viewer %.8s… answered", v->room, v->id);
            } else {
                answer(v, 500, NULL, "no answer");
            }
            g_free(text);
            if (d)
                gst_webrtc_session_description_free(d);
        } else if (g_get_monotonic_time() > v->deadline_us) {
            answer(v, 503, NULL, "the answer was not ready in time");
            v->timer = 0;
            g_hash_table_remove(whep_singleton->viewers, v->id); /* frees v */
            return G_SOURCE_REMOVE;
        }
    } else {
        GstWebRTCPeerConnectionState pc;
        g_object_get(v->wb, "connection-state", &pc, NULL);
        if (pc == GST_WEBRTC_PEER_CONNECTION_STATE_FAILED ||
            pc == GST_WEBRTC_PEER_CONNECTION_STATE_CLOSED) { /* the viewer went without DELETE */
            g_message("whep %s: viewer %.8s… gone (connection %s)", v->room, v->id,
                      pc == GST_WEBRTC_PEER_CONNECTION_STATE_FAILED ? "failed" : "closed");
            v->timer = 0;
            g_hash_table_remove(whep_singleton->viewers, v->id); /* frees v */
            return G_SOURCE_REMOVE;
        }
        if (pc == GST_WEBRTC_PEER_CONNECTION_STATE_CONNECTED && !g_atomic_int_get(&v->ready)) {
            /* the viewer's first packets: the stream from a key frame (many viewers never
             * send a PLI), after DTLS so that nothing it is sent is lost to the handshake */
            g_atomic_int_set(&v->ready, 1);
            g_atomic_int_set(&v->keyframe, 1);
            g_message("whep %s: viewer %.8s… connected", v->room, v->id);
        }
        if (g_atomic_int_compare_and_exchange(&v->keyframe, 1, 0))
            hn_picture_output_keyframe(v->out);
    }
    return G_SOURCE_CONTINUE;
}

static gboolean build(Viewer *v, GstSDPMessage *offer, int vcodec, int vpt, int apt, char *err,
                      size_t errlen)
{
    char *desc = g_strdup_printf(
        "webrtcbin name=wb bundle-policy=max-bundle latency=100 "
        "appsrc name=vsrc is-live=true format=time do-timestamp=true max-bytes=2000000 "
        "caps=\"application/x-rtp,media=video,encoding-name=%s,payload=%d,clock-rate=90000,"
        "ssrc=(uint)%u%s\" ! wb. "
        "appsrc name=asrc is-live=true format=time do-timestamp=true max-bytes=500000 "
        "caps=\"application/x-rtp,media=audio,encoding-name=OPUS,payload=%d,clock-rate=48000,"
        "encoding-params=(string)2,ssrc=(uint)%u\" ! wb.",
        vcodec == HN_PICTURE_VP8 ? "VP8" : "H264", vpt, v->vssrc,
        vcodec == HN_PICTURE_VP8 ? ""
                                 : ",packetization-mode=(string)1,profile-level-id=(string)42e01f",
        apt, v->assrc);
    GError *e = NULL;
    v->pipe = gst_parse_launch(desc, &e);
    g_free(desc);
    if (!v->pipe) {
        g_snprintf(err, errlen, "%s", e ? e->message : "no webrtcbin");
        g_clear_error(&e);
        return FALSE;
    }
    v->wb = gst_bin_get_by_name(GST_BIN(v->pipe), "wb");
    v->vsrc = gst_bin_get_by_name(GST_BIN(v->pipe), "vsrc");
    v->asrc = gst_bin_get_by_name(GST_BIN(v->pipe), "asrc");
    gst_util_set_object_arg(G_OBJECT(v->vsrc), "leaky-type", "downstream");
    gst_util_set_object_arg(G_OBJECT(v->asrc), "leaky-type", "downstream");
    GstPad *pad = gst_element_get_static_pad(v->vsrc, "src");
    gst_pad_add_probe(pad, GST_PAD_PROBE_TYPE_EVENT_UPSTREAM, on_upstream, v, NULL);
    gst_object_unref(pad);
    /* the viewer only receives */
    GArray *tr = NULL;
    g_signal_emit_by_name(v->wb, "get-transceivers", &tr);
    for (guint i = 0; tr && i < tr->len; i++) {
        GstWebRTCRTPTransceiver *t = g_array_index(tr, GstWebRTCRTPTransceiver *, i);
        g_object_set(t, "direction", GST_WEBRTC_RTP_TRANSCEIVER_DIRECTION_SENDONLY, NULL);
    }
    if (tr)
        g_array_unref(tr);
    if (gst_element_set_state(v->pipe, GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE) {
        g_snprintf(err, errlen, "cannot start the peer connection");
        return FALSE;
    }
    GstWebRTCSessionDescription *o =
        gst_webrtc_session_description_new(GST_WEBRTC_SDP_TYPE_OFFER, offer); /* takes offer */
    GstPromise *p = gst_promise_new();
    g_signal_emit_by_name(v->wb, "set-remote-description", o, p);
    gst_promise_wait(p);
    gst_promise_unref(p);
    gst_webrtc_session_description_free(o);
    p = gst_promise_new();
    g_signal_emit_by_name(v->wb, "create-answer", NULL, p);
    GstPromiseResult r = gst_promise_wait(p);
    const GstStructure *s = r == GST_PROMISE_RESULT_REPLIED ? gst_promise_get_reply(p) : NULL;
    GstWebRTCSessionDescription *ans = NULL;
    if (s && gst_structure_has_field(s, "answer"))
        gst_structure_get(s, "answer", GST_TYPE_WEBRTC_SESSION_DESCRIPTION, &ans, NULL);
    gst_promise_unref(p);
    if (!ans) {
        g_snprintf(err, errlen, "the offer cannot be answered");
        return FALSE;
    }
    p = gst_promise_new();
    g_signal_emit_by_name(v->wb, "set-local-description", ans, p);
    gst_promise_wait(p);
    gst_promise_unref(p);
    gst_webrtc_session_description_free(ans);
    return TRUE;
}

static const char *bearer(HnHttpRequest *req)
{
    const char *a = hn_http_request_authorization(req);
    if (!a || g_ascii_strncasecmp(a, "Bearer ", 7) != 0 || !a[7])
        return NULL;
    return a + 7;
}

static void on_post(HnHub *hub, HnHttpRequest *req, const char *room)
{
    const char *token = bearer(req);
    if (!token) {
        hn_http_request_add_header(req, "www-authenticate", "Bearer");
        hn_http_reply_error(req, 401, "a join token for the room: Authorization: Bearer ...");
        return;
    }
    HnJoinVerdict verdict = {0};
    hn_join_gate_check(hub->gate, room, hn_http_request_peer(req), token, NULL, NULL,
                       g_get_monotonic_time(), g_get_real_time() / G_USEC_PER_SEC, &verdict);
    gboolean ok = verdict.ok;
    hn_join_verdict_clear(&verdict);
    if (!ok) {
        hn_http_request_add_header(req, "www-authenticate", "Bearer error=\"invalid_token\"");
        hn_http_reply_error(req, 401, "the token is not good for this room");
        return;
    }
    HnWorker *w;
    HnRoom *r;
    if (g_hash_table_size(whep_singleton->viewers) >= MAX_VIEWERS) {
        hn_http_reply_error(req, 503, "too many viewers on this server");
        return;
    }
    if (!hn_hub_room_handle(hub, room, &w, &r)) {
        hn_http_reply_error(req, 404, "nobody is in this room now: no picture to send");
        return;
    }
    /* ?participant=pN: that participant's own camera and microphone instead of the picture */
    uint64_t only = 0;
    const char *query = hn_http_request_query(req);
    if (query && *query) {
        g_auto(GStrv) parts = g_strsplit(query, "&", 0);
        for (guint i = 0; parts[i]; i++) {
            if (!g_str_has_prefix(parts[i], "participant="))
                continue;
            const char *id = parts[i] + strlen("participant=");
            guint64 n = 0;
            HnHubConn *c = NULL;
            if (id[0] == 'p' && g_ascii_string_to_unsigned(id + 1, 10, 1, G_MAXUINT64, &n, NULL))
                c = hn_hub_conn(hub, n);
            if (!c || !c->room || c->left || strcmp(c->room->name, room) != 0) {
                hn_http_reply_error(req, 404, "no such participant in this room");
                return;
            }
            only = n;
        }
    }
    size_t len = 0;
    const char *body = hn_http_request_body(req, &len);
    if (!body || len == 0) {
        hn_http_reply_error(req, 415, "the body is an SDP offer (application/sdp)");
        return;
    }
    GstSDPMessage *offer = NULL;
    int vcodec, vpt, apt;
    gst_sdp_message_new_from_text(body, &offer);
    if (!offer || gst_sdp_message_medias_len(offer) == 0 ||
        !pick_codecs(offer, only != 0, &vcodec, &vpt, &apt)) {
        if (offer)
            gst_sdp_message_free(offer);
        hn_http_reply_error(req, 400,
                            "the offer has no VP8 or H.264 (packetization-mode 1) "
                            "video or no Opus audio");
        return;
    }
    Viewer *v = g_new0(Viewer, 1);
    v->hub = hub;
    v->room = g_strdup(room);
    guint8 raw[16];
    if (getrandom(raw, sizeof raw, 0) != (ssize_t)sizeof raw)
        g_error("no randomness from the kernel");
    for (size_t i = 0; i < sizeof raw; i++)
        g_snprintf(v->id + 2 * i, 3, "%02x", raw[i]);
    if (getrandom(raw, 8, 0) != 8)
        g_error("no randomness from the kernel");
    g_snprintf(v->etag, sizeof v->etag, "\"%02x%02x%02x%02x%02x%02x%02x%02x\"", raw[0], raw[1],
               raw[2], raw[3], raw[4], raw[5], raw[6], raw[7]);
    HnSdpFrag cred;
    if (hn_sdp_frag_parse(body, len, &cred, NULL)) {
        v->remote_ufrag = g_strdup(cred.ufrag);
        hn_sdp_frag_clear(&cred);
    }
    v->vssrc = g_random_int() | 1;
    v->assrc = v->vssrc + 2;
    char err[200];
    if (!build(v, offer, vcodec, vpt, apt, err, sizeof err)) {
        viewer_free(v);
        hn_http_reply_error(req, 400, err);
        return;
    }
    HnPictureVideoCfg vc = {.codec = vcodec, .pt = (uint8_t)vpt, .packetization_mode = 1};
    HnPictureAudioCfg ac = {.codec = HN_PICTURE_OPUS, .pt = (uint8_t)apt, .clock_rate = 48000};
    GError *e = NULL;
    /* a participant's own packets are forwarded (its camera's codec must be the viewer's: a
     * browser's VP8, preferred here when offered); the picture is composed and encoded */
    v->out = only ? hn_picture_attach_participant(hub, room, only, vcodec, (uint8_t)vpt,
                                                  (uint8_t)apt, on_packet, v, &e)
                  : hn_picture_attach(hub, room, 0, &vc, &ac, on_packet, v, &e);
    if (!v->out) {
        hn_http_reply_error(req, 500, e ? e->message : "no picture");
        g_clear_error(&e);
        viewer_free(v);
        return;
    }
    v->req = req;
    v->deadline_us = g_get_monotonic_time() + ANSWER_TIMEOUT_US;
    g_hash_table_insert(whep_singleton->viewers, v->id, v);
    v->timer = g_timeout_add(50, on_tick, v);
}

static gboolean type_is(const char *header, const char *want)
{
    size_t n = strlen(want);
    return header && g_ascii_strncasecmp(header, want, n) == 0 &&
           (header[n] == 0 || header[n] == ';' || header[n] == ' ');
}

/* PATCH /whep/resource/ID: the viewer's trickled candidates (204). An ICE restart (new
 * credentials) is refused 422: the viewer's peer connection (webrtcbin) does not restart ICE
 * in place; the viewer makes a new POST instead. */
static void on_patch(Viewer *v, HnHttpRequest *req)
{
    if (!type_is(hn_http_request_content_type(req), FRAG_TYPE)) {
        hn_http_reply_error(req, 415, "the body must be " FRAG_TYPE);
        return;
    }
    const char *if_match = hn_http_request_if_match(req);
    if (!if_match) {
        hn_http_reply_error(req, 428, "If-Match is required");
        return;
    }
    if (strcmp(if_match, "*") != 0 && strcmp(if_match, v->etag) != 0) {
        hn_http_reply_error(req, 412, "the ETag does not match the viewer's");
        return;
    }
    size_t len = 0;
    const char *body = hn_http_request_body(req, &len);
    HnSdpFrag f;
    GError *err = NULL;
    if (!hn_sdp_frag_parse(body ? body : "", body ? len : 0, &f, &err)) {
        g_autofree char *msg = g_strdup_printf("bad sdpfrag: %s", err->message);
        g_error_free(err);
        hn_http_reply_error(req, 400, msg);
        return;
    }
    if (f.ufrag && g_strcmp0(f.ufrag, v->remote_ufrag) != 0) {
        hn_sdp_frag_clear(&f);
        hn_http_reply_error(req, 422,
                            "ICE restart is not supported for WHEP viewers: POST a new offer");
        return;
    }
    for (guint i = 0; i < f.candidates->len; i++) /* max-bundle: every candidate is m-line 0's */
        g_signal_emit_by_name(v->wb, "add-ice-candidate", 0u, g_ptr_array_index(f.candidates, i));
    hn_sdp_frag_clear(&f);
    hn_http_reply(req, 204, "text/plain", "", 0);
}

static void on_whep(void *user, HnHttpRequest *req)
{
    HnHubWhep *st = user;
    /* GStreamer starts with the first WHEP request, not with every server (its thousands of
     * types cost start-up time and memory a server without viewers never needs). */
    if (!gst_is_initialized())
        gst_init(NULL, NULL);
    const char *sub = hn_http_request_subpath(req); /* "/ROOM" or "/resource/ID" */
    HnHttpMethod m = hn_http_request_method(req);
    if (g_str_has_prefix(sub, "/resource/")) {
        if (m == HN_HTTP_PATCH) {
            Viewer *v = g_hash_table_lookup(st->viewers, sub + strlen("/resource/"));
            if (!v)
                hn_http_reply_error(req, 404, "no such viewer");
            else
                on_patch(v, req);
            return;
        }
        if (m != HN_HTTP_DELETE) {
            hn_http_request_add_header(req, "allow", "PATCH, DELETE");
            hn_http_reply_error(req, 405, "a viewer's resource is ended with DELETE");
            return;
        }
        if (!g_hash_table_remove(st->viewers, sub + strlen("/resource/"))) {
            hn_http_reply_error(req, 404, "no such viewer");
            return;
        }
        hn_http_reply(req, 200, "text/plain", "", 0);
        return;
    }
    if (m == HN_HTTP_OPTIONS && strlen(sub) >= 2 && !strchr(sub + 1, '/')) {
        hn_http_request_add_header(req, "accept-post", "application/sdp");
        hn_http_request_add_header(req, "allow", "OPTIONS, POST");
        hn_hub_whip_add_ice_links(st->hub, req, sub + 1, FALSE);
        hn_http_reply(req, 204, "text/plain", "", 0);
        return;
    }
    if (m != HN_HTTP_POST || strlen(sub) < 2 || strchr(sub + 1, '/')) {
        hn_http_reply_error(req, m == HN_HTTP_POST ? 404 : 405, "POST /whep/ROOM");
        return;
    }
    char *room = g_ascii_strdown(sub + 1, -1); /* room names ignore case */
    on_post(st->hub, req, room);
    g_free(room);
}

void hn_hub_whep_register(HnHub *hub, GMainContext *main_ctx)
{
    (void)main_ctx;
    HnHubWhep *st = g_new0(HnHubWhep, 1);
    st->hub = hub;
    st->viewers = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, viewer_free);
    whep_singleton = st;
    hn_http_routes_add(hub->routes, HN_HTTP_POST | HN_HTTP_DELETE | HN_HTTP_PATCH | HN_HTTP_OPTIONS,
                       "/whep", HN_HTTP_ROUTE_PREFIX, 256 * 1024, on_whep, st);
}

void hn_hub_whep_free(HnHub *hub)
{
    (void)hub;
    if (!whep_singleton)
        return;
    g_hash_table_destroy(whep_singleton->viewers);
    g_free(whep_singleton);
    whep_singleton = NULL;
}
