/* The SIP gateway: see sip.h and docs/room-systems.md. */
#include <sys/random.h>
#include <string.h>

typedef struct HnSipGateway HnSipGateway;
typedef struct SipCall SipCall;
#define SU_ROOT_MAGIC_T HnSipGateway
#define NUA_MAGIC_T     HnSipGateway
#define NUA_HMAGIC_T    SipCall

#include <sofia-sip/msg_addr.h>
#include <sofia-sip/nua.h>
#include <sofia-sip/sip_header.h>
#include <sofia-sip/sip_status.h>
#include <sofia-sip/su_glib.h>
#include <sofia-sip/su_log.h>
#include <sofia-sip/su_wait.h>
#include <sofia-sip/tport_tag.h>

#include "gateway/rtp_leg.h"
#include "gateway/sip.h"
#include "gateway/sip_call.h"
#include "gateway/sip_dial.h"
#include "gateway/sip_picture.h"
#include "gateway/sip_reinvite.h"
#include "gateway/sip_tls.h"
#include "gateway/transcode.h"
#include "meeting/limiter.h"
#include "app/room_policy.h"
#include "sdp/sdp_plain.h"
#include "transport/srtp.h"

#define ALLOW "INVITE, ACK, BYE, CANCEL, OPTIONS, INFO, UPDATE"

struct HnSipGateway {
    const HnConfig *cfg;
    HnHub *hub;
    su_home_t home[1];
    su_root_t *root;
    nua_t *nua;
    HnLimiter *limiter; /* INVITE and OPTIONS per source address */
    GHashTable *calls;  /* SipCall* set */
    HnSipMediaProvider media;
    gboolean has_media;
    guint64 session_seq;
    HnSipTls *tls;         /* [sip] tls_listen: the certificate directory; NULL: no TLS */
    HnSipDialout *dialout; /* calls to the configured sites (sip_dialout.c) */
};

/* Sofia's module logs (not in its public headers): to g_debug, not stderr. */
extern su_log_t nua_log[], nta_log[], tport_log[];

static void sofia_log(void *stream, char const *fmt, va_list ap)
{
    (void)stream;
    g_autofree char *text = g_strdup_vprintf(fmt, ap);
    g_strchomp(text);
    if (*text)
        g_debug("sofia: %s", text);
}

struct SipCall {
    HnSipGateway *gw;
    nua_handle_t *nh;
    uint64_t pid; /* 0 until in the room */
    char room[65];
    char *answer;        /* our latest SDP answer (a re-INVITE is answered against it) */
    char *offer;         /* the INVITE's offer (a re-INVITE may not change its SRTP keys) */
    uint32_t video_kbps; /* the picture's bitrate our answers' b=AS says, 0: none */
    gboolean byed;       /* we sent BYE or got one */
    struct PinWait *pin; /* answered, waiting for the PIN by DTMF; NULL: in the room or gone */
    void *out;           /* a call we made: its dial-out entry (sip_dialout.c); NULL: incoming */
    gboolean removed;    /* closed by the meeting (chair's remove): a dial-out is not redialled */
    const char *why;     /* how it ended, for a dial-out's site.dropped (static) */
};

static void pin_free(struct PinWait *w);

static const char *media_address(const HnSipGateway *gw)
{
    return gw->cfg->sip_media_address ? gw->cfg->sip_media_address : gw->cfg->sip_listen_host;
}

/* The request's source address ("" when unknown). */
static void source_addr(nua_t *nua, char *out, size_t cap)
{
    out[0] = 0;
    msg_t *msg = nua_current_request(nua);
    su_addrinfo_t *ai = msg ? msg_addrinfo(msg) : NULL;
    if (!ai || !ai->ai_addr)
        return;
    su_sockaddr_t *su = (su_sockaddr_t *)ai->ai_addr;
    su_inet_ntop(su->su_family, SU_ADDR(su), out, cap);
}

static void call_free(SipCall *c)
{
    if (!c)
        return;
    if (c->pid)
        hn_hub_site_leave(c->gw->hub, c->pid, c->byed ? "left" : "disconnected");
    g_hash_table_remove(c->gw->calls, c);
    if (c->out)
        hn_sip_dialout_call_ended(c->gw->dialout, c->out, c->removed, c->why);
    if (c->nh) {
        nua_handle_bind(c->nh, NULL);
        nua_handle_destroy(c->nh);
    }
    pin_free(c->pin);
    /* both hold SDES keys */
    if (c->answer)
        memset(c->answer, 0, strlen(c->answer));
    if (c->offer)
        memset(c->offer, 0, strlen(c->offer));
    g_free(c->answer);
    g_free(c->offer);
    g_free(c);
}

static SipCall *call_by_pid(HnSipGateway *gw, uint64_t pid)
{
    GHashTableIter it;
    gpointer k;
    g_hash_table_iter_init(&it, gw->calls);
    while (g_hash_table_iter_next(&it, &k, NULL))
        if (((SipCall *)k)->pid == pid)
            return k;
    return NULL;
}

#define FAST_UPDATE                                                                                \
    "<?xml version=\"1.0\" encoding=\"utf-8\" ?>\r\n<media_control><vc_primitive><to_encoder>"     \
    "<picture_fast_update/></to_encoder></vc_primitive></media_control>\r\n"

/* From the call's leg (posted from its worker): silent ("timeout": BYE, and the participant
 * leaves), or a key frame wanted from an endpoint without RTCP feedback ("keyframe": INFO). */
static void call_gone(void *user, uint64_t pid, const char *what)
{
    HnSipGateway *gw = user;
    SipCall *c = pid ? call_by_pid(gw, pid) : NULL;
    if (!c || c->byed)
        return;
    if (strcmp(what, "keyframe") == 0) {
        nua_info(c->nh, SIPTAG_CONTENT_TYPE_STR("application/media_control+xml"),
                 SIPTAG_PAYLOAD_STR(FAST_UPDATE), TAG_END());
        return;
    }
    g_message("sip: %s call p%" G_GUINT64_FORMAT ": media %s, hanging up", c->room, c->pid, what);
    hn_hub_site_leave(gw->hub, c->pid, what);
    c->pid = 0;
    c->byed = TRUE;
    c->why = "media silent";
    nua_bye(c->nh, TAG_END());
}

static gboolean rate_ok(HnSipGateway *gw, nua_handle_t *nh, const char *addr)
{
    if (hn_limiter_attempt(gw->limiter, addr, g_get_monotonic_time()) == HN_LIMIT_OK)
        return TRUE;
    g_message("sip: requests from %s rate-limited", addr);
    nua_respond(nh, SIP_503_SERVICE_UNAVAILABLE, SIPTAG_RETRY_AFTER_STR("60"),
                NUTAG_WITH_THIS(gw->nua), TAG_END());
    return FALSE;
}

typedef struct {
    HnSipGateway *gw;
    SipCall *call;
    HnRtpLegStreamInit *init;
    size_t n;
    const char *room, *name;
} LegMake;

static HnLeg *make_leg(void *user, HnWorker *worker, uint64_t pid)
{
    LegMake *m = user;
    g_autoptr(GError) err = NULL;
    HnRtpLeg *leg =
        hn_rtp_leg_new(hn_worker_context(worker), m->init, m->n,
                       (int)m->gw->cfg->consent_timeout + (int)m->gw->cfg->ice_restart_grace, pid,
                       call_gone, m->gw, &err);
    if (!leg) {
        g_message("sip: leg: %s", err->message);
        return NULL;
    }
    hn_rtp_leg_start(leg, m->gw->has_media ? &m->gw->media : NULL, m->room, m->name);
    return hn_rtp_leg_base(leg);
}

static HnCodecId codec_id(HnSdpPlainCodec c)
{
    return c == HN_SDP_PLAIN_CODEC_OPUS   ? HN_CODEC_OPUS
           : c == HN_SDP_PLAIN_CODEC_H264 ? HN_CODEC_H264
           : c == HN_SDP_PLAIN_CODEC_VP8  ? HN_CODEC_VP8
                                          : HN_CODEC_UNKNOWN;
}

/* The bitrate of the picture the answer's first video stream receives (b=AS), 0: none. */
static uint32_t answer_video_kbps(const HnSdpPlainAnswer *ans)
{
    for (size_t i = 0; i < ans->n_streams; i++) {
        const HnSdpPlainStream *st = &ans->streams[i];
        if (!st->accepted || st->kind != HN_KIND_VIDEO)
            continue;
        const char *enc = st->codec == HN_SDP_PLAIN_CODEC_H264  ? "H264"
                          : st->codec == HN_SDP_PLAIN_CODEC_VP8 ? "VP8"
                                                                : "";
        int k = hn_sip_picture_video_kbps(enc, st->pt, st->fmtp, st->max_kbps);
        if (k > 0)
            return (uint32_t)k;
    }
    return 0;
}

#define PIN_WAIT_S 30 /* seconds to enter a PIN by DTMF, then BYE */

/* A call answered without its room's PIN: its media waits (not in any room) while the PIN comes
 * as RFC 4733 telephone-events on the audio stream, ended by '#'. Main loop. */
typedef struct PinWait {
    SipCall *call;
    HnSdpPlainAnswer *ans; /* init[].neg point into it */
    HnSdpSdesKey keys[HN_RTP_LEG_MAX_STREAMS];
    HnRtpLegStreamInit init[HN_RTP_LEG_MAX_STREAMS];
    size_t ni;
    HnRoomTrackDesc tracks[HN_RTP_LEG_MAX_STREAMS];
    size_t nt;
    char *name;
    char addr[64];
    size_t audio; /* index in init of the stream carrying the events */
    int dtmf_pt;
    HnSrtp *srtp; /* to read SRTP events; NULL: plain */
    GSource *src, *timer;
    GString *digits;
    uint32_t last_ts; /* RTP timestamp of the last event taken (its end packet repeats) */
    gboolean have_ts;
} PinWait;

static void pin_free(PinWait *w)
{
    if (!w)
        return;
    if (w->src) {
        g_source_destroy(w->src);
        g_source_unref(w->src);
    }
    if (w->timer) {
        g_source_destroy(w->timer);
        g_source_unref(w->timer);
    }
    for (size_t i = 0; i < w->ni; i++)
        hn_rtp_ports_close(&w->init[i].ports);
    hn_srtp_free(w->srtp);
    hn_sdp_plain_answer_free(w->ans);
    memset(w->keys, 0, sizeof w->keys);
    if (w->digits) {
        memset(w->digits->str, 0, w->digits->len);
        g_string_free(w->digits, TRUE);
    }
    g_free(w->name);
    g_free(w);
}

static void pin_hang_up(SipCall *c, const char *reason)
{
    g_message("sip: %s call from %s: %s, hanging up", c->room, c->pin ? c->pin->addr : "?", reason);
    pin_free(c->pin);
    c->pin = NULL;
    if (!c->byed) {
        c->byed = TRUE;
        g_autofree char *r = g_strdup_printf("SIP;cause=403;text=\"%s\"", reason);
        nua_bye(c->nh, SIPTAG_REASON_STR(r), TAG_END());
    }
}

/* Lets the call into its room with the streams already answered. */
static gboolean call_enter(HnSipGateway *gw, SipCall *c, HnRtpLegStreamInit *init, size_t ni,
                           const HnRoomTrackDesc *tracks, size_t nt, const char *name,
                           const char *addr)
{
    LegMake m = {gw, c, init, ni, c->room, name};
    c->pid = hn_hub_site_enter(gw->hub, c->room, name, addr, make_leg, &m, tracks, nt);
    if (c->pid)
        g_message("sip: %s (%s) entered %s as p%" G_GUINT64_FORMAT " with %zu stream(s)", name,
                  addr, c->room, c->pid, ni);
    return c->pid != 0;
}

static void pin_entered(SipCall *c)
{
    PinWait *w = c->pin;
    HnSipGateway *gw = c->gw;
    guint retry = 0;
    HnHubSiteCheck chk =
        hn_hub_site_check(gw->hub, c->room, w->addr, w->digits->str, FALSE, &retry);
    if (chk != HN_HUB_SITE_OK) {
        pin_hang_up(c, chk == HN_HUB_SITE_LIMITED ? "too many attempts" : "wrong PIN");
        return;
    }
    /* the sockets go to the leg: stop reading them here first */
    g_source_destroy(w->src);
    g_source_unref(w->src);
    w->src = NULL;
    if (!call_enter(gw, c, w->init, w->ni, w->tracks, w->nt, w->name, w->addr)) {
        pin_hang_up(c, "the room is full");
        return;
    }
    pin_free(w);
    c->pin = NULL;
}

/* One key of the PIN (RFC 4733 event code: 0-9, 10 '*', 11 '#'); TRUE when the wait ended
 * (in the room, or hung up: c->pin is gone). */
static gboolean pin_key(SipCall *c, int ev)
{
    PinWait *w = c->pin;
    if (ev == 11) {
        pin_entered(c);
        return TRUE;
    }
    if (ev < 0 || ev > 9 || w->digits->len >= 32) {
        pin_hang_up(c, "bad PIN");
        return TRUE;
    }
    g_string_append_c(w->digits, (char)('0' + ev));
    return FALSE;
}

static gboolean pin_readable(GSocket *sock, GIOCondition cond, gpointer data)
{
    SipCall *c = data;
    PinWait *w = c->pin;
    uint8_t buf[1500];
    for (int k = 0; k < 64; k++) {
        gssize n = g_socket_receive(sock, (char *)buf, sizeof buf, NULL, NULL);
        if (n <= 0)
            break;
        size_t len = (size_t)n;
        if (len < 12 || (buf[0] >> 6) != 2 || (buf[1] & 0x7f) != w->dtmf_pt)
            continue;
        if (w->srtp && hn_srtp_unprotect_rtp(w->srtp, buf, &len) < 0)
            continue;
        size_t off = 12 + 4 * (size_t)(buf[0] & 0x0f);
        if (buf[0] & 0x10) { /* header extension */
            if (off + 4 > len)
                continue;
            off += 4 + 4 * (size_t)((buf[off + 2] << 8) | buf[off + 3]);
        }
        if (off + 4 > len || !(buf[off + 1] & 0x80)) /* the event's end */
            continue;
        uint32_t ts =
            (uint32_t)buf[4] << 24 | (uint32_t)buf[5] << 16 | (uint32_t)buf[6] << 8 | buf[7];
        if (w->have_ts && ts == w->last_ts)
            continue; /* a repeated end packet */
        w->have_ts = TRUE;
        w->last_ts = ts;
        if (pin_key(c, buf[off]))
            return G_SOURCE_REMOVE; /* c->pin is gone or its source destroyed */
    }
    return G_SOURCE_CONTINUE;
}

/* A PIN key as SIP INFO: application/dtmf-relay ("Signal=5") or application/dtmf ("5"). */
static void pin_info(SipCall *c, const sip_t *sip)
{
    if (!sip->sip_payload || !sip->sip_content_type || !sip->sip_content_type->c_type)
        return;
    const char *type = sip->sip_content_type->c_type;
    g_autofree char *body = g_strndup(sip->sip_payload->pl_data, sip->sip_payload->pl_len);
    const char *p = NULL;
    if (g_ascii_strcasecmp(type, "application/dtmf-relay") == 0) {
        p = strstr(body, "Signal=");
        p = p ? p + 7 : NULL;
    } else if (g_ascii_strcasecmp(type, "application/dtmf") == 0) {
        p = body;
    }
    while (p && (*p == ' ' || *p == '\t'))
        p++;
    if (!p || !*p)
        return;
    int ev = *p >= '0' && *p <= '9' ? *p - '0' : *p == '*' ? 10 : *p == '#' ? 11 : 16;
    pin_key(c, ev);
}

static gboolean pin_timeout(gpointer data)
{
    SipCall *c = data;
    g_source_unref(c->pin->timer);
    c->pin->timer = NULL; /* this source ends by returning REMOVE */
    pin_hang_up(c, "no PIN");
    return G_SOURCE_REMOVE;
}

/* The room needs a PIN the caller did not dial. */
static gboolean room_wants_pin(HnSipGateway *gw, const char *room)
{
    HnRoomPolicy pol;
    return hn_hub_room_policy(gw->hub, room, &pol) && pol.pin &&
           (pol.access == HN_ACCESS_PIN || pol.access == HN_ACCESS_TOKEN_OR_PIN);
}

/* Session timers for this INVITE only when the endpoint supports them (then it refreshes,
 * unless it asked us to). Without, we would refresh with a re-INVITE that Sofia (media off)
 * sends without SDP, and the endpoint's offer in the 200 would get no answer. */
static gboolean timer_ok(const sip_t *sip)
{
    return sip_has_feature(sip->sip_supported, "timer");
}

/* The accepted streams of a negotiation (an answer we gave or got): the leg's streams (init,
 * their ports taken from ports; a rejected stream's ports are closed) and the tracks it publishes
 * into the room (tracks, *nt). Returns how many in init. */
static size_t leg_streams(const HnSdpPlainStream *streams, size_t n, HnRtpPorts *ports,
                          const HnSdpSdesKey *keys, HnRtpLegStreamInit *init,
                          HnRoomTrackDesc *tracks, size_t *nt_out)
{
    size_t ni = 0, nt = 0;
    for (size_t i = 0; i < n; i++) {
        const HnSdpPlainStream *st = &streams[i];
        if (!st->accepted) {
            hn_rtp_ports_close(&ports[i]);
            continue;
        }
        uint32_t opus_ssrc = g_random_int() | 1;
        init[ni++] = (HnRtpLegStreamInit){st, ports[i], st->srtp ? &keys[i] : NULL, opus_ssrc};
        gboolean transcoded = st->kind == HN_KIND_AUDIO && hn_transcoder_handles(st->codec);
        HnCodecId id = transcoded ? HN_CODEC_OPUS : codec_id(st->codec);
        if (id == HN_CODEC_UNKNOWN || st->direction == HN_SDP_DIR_SENDONLY ||
            st->direction == HN_SDP_DIR_INACTIVE)
            continue;
        HnRoomTrackDesc *t = &tracks[nt++];
        memset(t, 0, sizeof *t);
        g_snprintf(t->mid, sizeof t->mid, "%s%zu", st->kind == HN_KIND_VIDEO ? "v" : "a", i);
        t->kind = st->kind;
        t->source = st->kind == HN_KIND_VIDEO ? HN_SOURCE_CAMERA : HN_SOURCE_MICROPHONE;
        t->codec.id = id;
        t->codec.kind = st->kind;
        t->codec.pt = transcoded ? HN_TRANSCODE_OPUS_PT : st->pt;
        t->codec.clock_rate = transcoded ? 48000 : st->clock_rate;
        t->ssrc = transcoded ? opus_ssrc : 0; /* else learnt from the first packet */
        t->codec.channels = id == HN_CODEC_OPUS ? 2 : 0;
        t->codec.feedback = st->kind == HN_KIND_VIDEO ? HN_FB_PLI | HN_FB_FIR | HN_FB_NACK : 0;
        g_strlcpy(t->codec.fmtp, transcoded ? "minptime=10;useinbandfec=1" : st->fmtp,
                  sizeof t->codec.fmtp);
    }
    *nt_out = nt;
    return ni;
}

static void on_invite(HnSipGateway *gw, nua_handle_t *nh, const sip_t *sip)
{
    char addr[64];
    source_addr(gw->nua, addr, sizeof addr);
    if (!rate_ok(gw, nh, addr)) {
        nua_handle_destroy(nh);
        return;
    }
    HnSipDial dial;
    /* some endpoints escape the '*' of ROOM*PIN (%2A) */
    const char *raw = sip->sip_request->rq_url->url_user;
    g_autofree char *user = raw ? g_uri_unescape_string(raw, NULL) : NULL;
    if (!hn_sip_dial_parse(user, &dial)) {
        nua_respond(nh, SIP_404_NOT_FOUND, NUTAG_WITH_THIS(gw->nua), TAG_END());
        nua_handle_destroy(nh);
        return;
    }
    const char *from_user = sip->sip_from ? sip->sip_from->a_url->url_user : NULL;
    const char *display = sip->sip_from ? sip->sip_from->a_display : NULL;
    const HnSiteConfig *site = hn_sip_site_find(gw->cfg, addr, from_user);
    guint retry = 0;
    HnHubSiteCheck chk = hn_hub_site_check(gw->hub, dial.room, addr, dial.pin[0] ? dial.pin : NULL,
                                           site && site->trusted, &retry);
    /* no PIN dialled for a PIN room: answered, and the PIN is awaited by DTMF */
    gboolean pin_mode = chk == HN_HUB_SITE_DENIED && !dial.pin[0] && !(site && site->trusted) &&
                        room_wants_pin(gw, dial.room);
    if (chk != HN_HUB_SITE_OK && !pin_mode) {
        g_autofree char *ra = g_strdup_printf("%u", retry ? retry : 60);
        if (chk == HN_HUB_SITE_NO_ROOM)
            nua_respond(nh, SIP_404_NOT_FOUND, NUTAG_WITH_THIS(gw->nua), TAG_END());
        else if (chk == HN_HUB_SITE_LIMITED)
            nua_respond(nh, SIP_503_SERVICE_UNAVAILABLE, SIPTAG_RETRY_AFTER_STR(ra),
                        NUTAG_WITH_THIS(gw->nua), TAG_END());
        else
            nua_respond(nh, SIP_403_FORBIDDEN, NUTAG_WITH_THIS(gw->nua), TAG_END());
        nua_handle_destroy(nh);
        return;
    }
    /* the offer */
    HnSdp *offer = NULL;
    g_autoptr(GError) err = NULL;
    const char *body = sip->sip_payload ? sip->sip_payload->pl_data : NULL;
    size_t body_len = sip->sip_payload ? sip->sip_payload->pl_len : 0;
    if (!body || body_len == 0 || hn_sdp_parse(body, body_len, &offer, &err) < 0 ||
        offer->n_media == 0 || offer->n_media > HN_RTP_LEG_MAX_STREAMS) {
        /* no offer in the INVITE (offer in the 200, answer in the ACK) is not built yet */
        g_message("sip: INVITE from %s: %s", addr,
                  err    ? err->message
                  : body ? "too many m= lines"
                         : "no SDP offer");
        nua_respond(nh, body ? 488 : 488, body ? sip_488_Not_acceptable : "No SDP offer",
                    SIPTAG_WARNING_STR("399 hoinghi \"an SDP offer of 1-4 m= lines is needed\""),
                    NUTAG_WITH_THIS(gw->nua), TAG_END());
        hn_sdp_free(offer);
        nua_handle_destroy(nh);
        return;
    }
    size_t n = offer->n_media;
    HnRtpPorts ports[HN_RTP_LEG_MAX_STREAMS] = {0};
    HnSdpSdesKey keys[HN_RTP_LEG_MAX_STREAMS];
    HnSdpPlainPort pp[HN_RTP_LEG_MAX_STREAMS];
    HnSiteSrtp srtp = site ? site->srtp : HN_SITE_SRTP_OPTIONAL;
    gboolean ok = TRUE;
    for (size_t i = 0; i < n && ok; i++) {
        ok = hn_rtp_ports_open(&ports[i], media_address(gw), &err);
        keys[i].suite = HN_SDP_CRYPTO_AES_CM_128_HMAC_SHA1_80;
        if (getrandom(keys[i].key, 30, 0) != 30)
            ok = FALSE;
        pp[i] = (HnSdpPlainPort){.address = media_address(gw),
                                 .port = ports[i].rtp_port,
                                 .rtcp_port = ports[i].rtcp_port,
                                 .key = srtp == HN_SITE_SRTP_OFF ? NULL : &keys[i]};
    }
    HnSdpPlainSession sess = {
        .address = media_address(gw),
        .session_id = g_get_real_time() ^ ++gw->session_seq,
        .version = 1,
        .codecs = HN_SDP_PLAIN_H264 | HN_SDP_PLAIN_OPUS | HN_SDP_PLAIN_G722 | HN_SDP_PLAIN_PCMU |
                  HN_SDP_PLAIN_PCMA | HN_SDP_PLAIN_DTMF,
    };
    HnSdpPlainAnswer *ans = NULL;
    if (ok && hn_sdp_plain_answer(offer, &sess, pp, n, &ans, &err) < 0)
        ok = FALSE;
    /* SRTP required: a plain stream, or a suite the SRTP layer does not do, is refused */
    for (size_t i = 0; ok && i < n; i++) {
        const HnSdpPlainStream *st = &ans->streams[i];
        if (!st->accepted)
            continue;
        if ((srtp == HN_SITE_SRTP_REQUIRED && !st->srtp) ||
            (st->srtp && st->remote_key.suite != HN_SDP_CRYPTO_AES_CM_128_HMAC_SHA1_80)) {
            ok = FALSE;
            g_set_error(&err, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                        st->srtp ? "SRTP suite not supported (AES_CM_128_HMAC_SHA1_80 only)"
                                 : "this site must use SRTP");
        }
    }
    if (!ok) {
        g_message("sip: INVITE from %s to %s: %s", addr, dial.room,
                  err ? err->message : "cannot answer");
        nua_respond(nh, SIP_488_NOT_ACCEPTABLE, NUTAG_WITH_THIS(gw->nua), TAG_END());
        for (size_t i = 0; i < n; i++)
            hn_rtp_ports_close(&ports[i]);
        hn_sdp_plain_answer_free(ans);
        hn_sdp_free(offer);
        memset(keys, 0, sizeof keys);
        nua_handle_destroy(nh);
        return;
    }
    /* b=AS / b=TIAS: the answer says the bitrate the picture is sent at */
    uint32_t video_kbps = gw->has_media ? answer_video_kbps(ans) : 0;
    if (video_kbps > 0) {
        HnSdpPlainAnswer *again = NULL;
        sess.video_kbps = video_kbps;
        if (hn_sdp_plain_answer(offer, &sess, pp, n, &again, NULL) == 0) {
            hn_sdp_plain_answer_free(ans);
            ans = again;
        }
    }
    /* the accepted streams: the leg's, and the tracks it publishes */
    HnRtpLegStreamInit init[HN_RTP_LEG_MAX_STREAMS];
    HnRoomTrackDesc tracks[HN_RTP_LEG_MAX_STREAMS];
    size_t nt = 0;
    size_t ni = leg_streams(ans->streams, n, ports, keys, init, tracks, &nt);
    SipCall *c = g_new0(SipCall, 1);
    c->gw = gw;
    c->nh = nh;
    g_strlcpy(c->room, dial.room, sizeof c->room);
    g_autofree char *name = hn_sip_display_name(site, display, from_user);
    gboolean entered = FALSE;
    if (pin_mode) {
        size_t audio = ni;
        for (size_t i = 0; i < ni && audio == ni; i++)
            if (init[i].neg->kind == HN_KIND_AUDIO && init[i].neg->dtmf_pt >= 0)
                audio = i;
        PinWait *w = audio < ni ? g_new0(PinWait, 1) : NULL;
        if (w) {
            w->call = c;
            w->ans = g_steal_pointer(&ans);
            memcpy(w->keys, keys, sizeof keys);
            memcpy(w->init, init, sizeof init);
            for (size_t i = 0; i < ni; i++)
                if (w->init[i].local_key)
                    w->init[i].local_key = &w->keys[w->init[i].local_key - keys];
            w->ni = ni;
            memcpy(w->tracks, tracks, sizeof tracks);
            w->nt = nt;
            w->name = g_strdup(name);
            g_strlcpy(w->addr, addr, sizeof w->addr);
            w->audio = audio;
            w->dtmf_pt = init[audio].neg->dtmf_pt;
            w->digits = g_string_new(NULL);
            if (init[audio].neg->srtp) {
                HnSrtpKeys k = {.profile = HN_SRTP_AES128_CM_SHA1_80, .key_len = 30};
                memcpy(k.local_key, keys[w->init[audio].local_key - w->keys].key, 30);
                memcpy(k.remote_key, init[audio].neg->remote_key.key, 30);
                w->srtp = hn_srtp_new(&k, NULL);
                memset(&k, 0, sizeof k);
            }
            w->src = g_socket_create_source(init[audio].ports.rtp, G_IO_IN, NULL);
            g_source_set_callback(w->src, (GSourceFunc)(GCallback)pin_readable, c, NULL);
            g_source_attach(w->src, NULL);
            w->timer = g_timeout_source_new_seconds(PIN_WAIT_S);
            g_source_set_callback(w->timer, pin_timeout, c, NULL);
            g_source_attach(w->timer, NULL);
            c->pin = w;
            entered = TRUE;
            g_message("sip: %s (%s) calls %s without its PIN: waiting %d s for it by DTMF", name,
                      addr, dial.room, PIN_WAIT_S);
        } else {
            for (size_t i = 0; i < ni; i++)
                hn_rtp_ports_close(&init[i].ports);
        }
    } else {
        entered = call_enter(gw, c, init, ni, tracks, nt, name, addr);
        for (size_t i = 0; i < ni; i++)
            hn_rtp_ports_close(&init[i].ports); /* the leg has its own references */
    }
    memset(keys, 0, sizeof keys);
    if (!entered) {
        if (pin_mode) /* no telephone-event to type it with */
            nua_respond(nh, SIP_403_FORBIDDEN, NUTAG_WITH_THIS(gw->nua), TAG_END());
        else
            nua_respond(nh, SIP_486_BUSY_HERE, NUTAG_WITH_THIS(gw->nua), TAG_END());
        g_free(c);
        nua_handle_destroy(nh);
    } else {
        const char *sdp = c->pin ? c->pin->ans->sdp : ans->sdp;
        c->answer = g_strdup(sdp);
        c->offer = g_strndup(body, body_len);
        c->video_kbps = video_kbps;
        g_hash_table_add(gw->calls, c);
        nua_handle_bind(nh, c);
        if (!timer_ok(sip))
            nua_set_hparams(nh, NUTAG_SESSION_TIMER(0), TAG_END());
        nua_respond(nh, SIP_200_OK, SIPTAG_CONTENT_TYPE_STR("application/sdp"),
                    SIPTAG_PAYLOAD_STR(sdp), SIPTAG_ALLOW_STR(ALLOW), NUTAG_WITH_THIS(gw->nua),
                    TAG_END());
    }
    hn_sdp_plain_answer_free(ans);
    hn_sdp_free(offer);
}

/* A re-INVITE (gateway/sip_reinvite.h): hold, resume, a moved address, applied to the call's
 * leg on its worker; what the call cannot take gets 488 and nothing changes. Without an offer,
 * or while the PIN is awaited, the current answer again. */
static void on_reinvite(HnSipGateway *gw, SipCall *c, nua_handle_t *nh, const sip_t *sip)
{
    const char *body = sip && sip->sip_payload ? sip->sip_payload->pl_data : NULL;
    size_t len = body ? sip->sip_payload->pl_len : 0;
    HnSipReinvite r;
    g_autoptr(GError) err = NULL;
    if (!body || len == 0 || !c->pid || !c->offer) {
        nua_respond(nh, SIP_200_OK, SIPTAG_CONTENT_TYPE_STR("application/sdp"),
                    SIPTAG_PAYLOAD_STR(c->answer), NUTAG_WITH_THIS(gw->nua), TAG_END());
        return;
    }
    if (hn_sip_reinvite(c->offer, c->answer, body, len, c->video_kbps, &r, &err) < 0) {
        g_message("sip: %s p%" G_GUINT64_FORMAT ": re-INVITE refused, call unchanged: %s", c->room,
                  c->pid, err->message);
        nua_respond(nh, SIP_488_NOT_ACCEPTABLE,
                    SIPTAG_WARNING_STR("399 hoinghi \"the call's codecs, keys and m= lines "
                                       "cannot change\""),
                    NUTAG_WITH_THIS(gw->nua), TAG_END());
        return;
    }
    hn_rtp_leg_update_by_pid(hn_hub_site_worker(gw->hub, c->pid), c->pid, r.streams, r.n);
    g_message("sip: %s p%" G_GUINT64_FORMAT ": re-INVITE: %s", c->room, c->pid,
              r.held ? "on hold" : "sending");
    memset(c->answer, 0, strlen(c->answer)); /* holds our SDES key */
    g_free(c->answer);
    c->answer = r.answer;
    nua_respond(nh, SIP_200_OK, SIPTAG_CONTENT_TYPE_STR("application/sdp"),
                SIPTAG_PAYLOAD_STR(c->answer), NUTAG_WITH_THIS(gw->nua), TAG_END());
}

static void on_options(HnSipGateway *gw, nua_handle_t *nh)
{
    char addr[64];
    source_addr(gw->nua, addr, sizeof addr);
    if (rate_ok(gw, nh, addr))
        nua_respond(nh, SIP_200_OK, SIPTAG_ALLOW_STR(ALLOW), /* nua adds Accept: application/sdp */
                    NUTAG_WITH_THIS(gw->nua), TAG_END());
    nua_handle_destroy(nh);
}

static void on_event(nua_event_t event, int status, char const *phrase, nua_t *nua,
                     HnSipGateway *gw, nua_handle_t *nh, SipCall *call, sip_t const *sip,
                     tagi_t tags[])
{
    switch (event) {
    case nua_i_invite:
        if (call) {
            on_reinvite(gw, call, nh, sip);
            break;
        }
        if (!sip || !sip->sip_request) {
            nua_respond(nh, SIP_400_BAD_REQUEST, TAG_END());
            nua_handle_destroy(nh);
            break;
        }
        on_invite(gw, nh, sip);
        break;
    case nua_i_options:
        on_options(gw, nh);
        break;
    case nua_r_invite: /* the answer to a call we made */
        if (call && call->out && status >= 200 && status < 300)
            hn_sip_dialout_answered(gw->dialout, call->out, sip);
        break;
    case nua_i_bye:
        if (call) {
            call->byed = TRUE;
            call->why = "the site hung up";
            if (call->pid) {
                hn_hub_site_leave(gw->hub, call->pid, "left");
                call->pid = 0;
            }
        }
        break;
    case nua_i_state: {
        int state = nua_callstate_init;
        tl_gets(tags, NUTAG_CALLSTATE_REF(state), TAG_END());
        if (state == nua_callstate_terminated && call)
            call_free(call);
        break;
    }
    case nua_i_info:
        /* nua answers 200. A PIN key while the PIN is awaited; picture_fast_update: the
         * media provider's keyframe() */
        if (call && call->pin && sip) {
            pin_info(call, sip);
            break;
        }
        if (call && call->pid && sip && sip->sip_payload && sip->sip_payload->pl_data &&
            g_strstr_len(sip->sip_payload->pl_data, (gssize)sip->sip_payload->pl_len,
                         "picture_fast_update"))
            hn_rtp_leg_keyframe_by_pid(hn_hub_site_worker(gw->hub, call->pid), call->pid);
        break;
    case nua_r_shutdown:
        break;
    default:
        if (call == NULL && nh && event >= nua_i_chat && event <= nua_i_terminated &&
            event != nua_i_state && event != nua_i_terminated && event != nua_i_ack &&
            event != nua_i_active && event != nua_i_cancel && event != nua_i_error &&
            event != nua_i_bye)
            nua_handle_destroy(nh);
        break;
    }
    (void)status, (void)phrase, (void)nua;
}

/* The hub closes a room system (a chair's remove, the meeting's end): BYE; the hub makes the
 * participant leave itself. */
static void site_close(void *user, uint64_t pid, const char *reason)
{
    HnSipGateway *gw = user;
    SipCall *c = call_by_pid(gw, pid);
    if (!c)
        return;
    g_message("sip: %s call p%" G_GUINT64_FORMAT " closed by the meeting (%s)", c->room, pid,
              reason ? reason : "-");
    c->pid = 0;
    c->removed = TRUE;
    if (!c->byed) {
        c->byed = TRUE;
        nua_bye(c->nh, TAG_END());
    }
}

HnSipGateway *hn_sip_gateway_new(const HnConfig *cfg, HnHub *hub, GError **error)
{
    if (!cfg->sip_listen_host)
        return NULL;
    static gboolean su_ready;
    if (!su_ready) {
        su_init();
        su_log_redirect(su_log_default, sofia_log, NULL);
        su_log_redirect(su_log_global, sofia_log, NULL);
        su_log_redirect(nua_log, sofia_log, NULL);
        su_log_redirect(nta_log, sofia_log, NULL);
        su_log_redirect(tport_log, sofia_log, NULL);
        su_ready = TRUE;
    }
    HnSipGateway *gw = g_new0(HnSipGateway, 1);
    gw->cfg = cfg;
    gw->hub = hub;
    su_home_init(gw->home);
    gw->root = su_glib_root_create(gw);
    g_source_attach(su_root_gsource(gw->root), NULL);
    gw->calls = g_hash_table_new(NULL, NULL);
    gw->limiter = hn_limiter_new(1000, 1, cfg->sip_requests_per_minute);
    const char *h = cfg->sip_listen_host;
    g_autofree char *url = strchr(h, ':') ? g_strdup_printf("sip:[%s]:%u", h, cfg->sip_listen_port)
                                          : g_strdup_printf("sip:%s:%u", h, cfg->sip_listen_port);
    g_autofree char *sips = NULL;
    if (cfg->sip_tls_host) {
        gw->tls = hn_sip_tls_new(cfg->sip_certificate, cfg->sip_private_key, error);
        if (!gw->tls) {
            hn_sip_gateway_free(gw);
            return NULL;
        }
        const char *t = cfg->sip_tls_host;
        sips = strchr(t, ':') ? g_strdup_printf("sips:[%s]:%u", t, cfg->sip_tls_port)
                              : g_strdup_printf("sips:%s:%u", t, cfg->sip_tls_port);
    }
    /* RFC 4028 session timers: Sofia answers 422 with Min-SE below min_se, puts Session-Expires
     * in the 200, and hangs up (BYE) a session nobody refreshed */
    gw->nua =
        nua_create(gw->root, on_event, gw, NUTAG_URL(url), TAG_IF(sips, NUTAG_SIPS_URL(sips)),
                   TAG_IF(gw->tls, TPTAG_CERTIFICATE(gw->tls ? hn_sip_tls_dir(gw->tls) : NULL)),
                   NUTAG_MEDIA_ENABLE(0), NUTAG_APPL_METHOD("OPTIONS"), NUTAG_ALLOW(ALLOW),
                   NUTAG_AUTOANSWER(0), NUTAG_ENABLEINVITE(1), SIPTAG_USER_AGENT_STR("hoinghi"),
                   NUTAG_SESSION_TIMER(cfg->sip_session_expires), NUTAG_MIN_SE(cfg->sip_min_se),
                   NUTAG_SESSION_REFRESHER(nua_remote_refresher), NUTAG_UPDATE_REFRESH(1),
                   SIPTAG_SUPPORTED_STR("timer"), TAG_END());
    if (!gw->nua) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED, "SIP: cannot listen on %s%s%s", url,
                    sips ? " and " : "", sips ? sips : "");
        hn_sip_gateway_free(gw);
        return NULL;
    }
    hn_hub_set_site_close(hub, site_close, gw);
    gw->dialout = hn_sip_dialout_new(gw, cfg, hub);
    g_message("sip: listening on %s (UDP and TCP)%s%s%s", url, sips ? ", " : "", sips ? sips : "",
              sips ? " (TLS)" : "");
    return gw;
}

void hn_sip_gateway_set_media(HnSipGateway *gw, const HnSipMediaProvider *provider)
{
    if (!gw)
        return;
    gw->has_media = provider != NULL;
    if (provider)
        gw->media = *provider;
}

static gboolean shutdown_done(gpointer data)
{
    return G_SOURCE_REMOVE;
}

void hn_sip_gateway_free(HnSipGateway *gw)
{
    if (!gw)
        return;
    if (gw->hub)
        hn_hub_set_site_close(gw->hub, NULL, NULL);
    hn_sip_dialout_free(gw->dialout); /* its calls stay, BYE below, without redial */
    gw->dialout = NULL;
    if (gw->nua) {
        GList *calls = g_hash_table_get_keys(gw->calls);
        for (GList *l = calls; l; l = l->next) {
            SipCall *c = l->data;
            if (!c->byed)
                nua_bye(c->nh, TAG_END());
            c->byed = TRUE;
        }
        g_list_free(calls);
        nua_shutdown(gw->nua);
        /* let the BYEs and the shutdown go out (bounded) */
        for (int i = 0; i < 50; i++)
            su_root_step(gw->root, 10);
        GList *left = g_hash_table_get_keys(gw->calls);
        for (GList *l = left; l; l = l->next)
            call_free(l->data);
        g_list_free(left);
        nua_destroy(gw->nua);
    }
    (void)shutdown_done;
    g_hash_table_destroy(gw->calls);
    hn_limiter_free(gw->limiter);
    if (gw->root) {
        g_source_destroy(su_root_gsource(gw->root));
        su_root_destroy(gw->root);
    }
    su_home_deinit(gw->home);
    hn_sip_tls_free(gw->tls);
    g_free(gw);
}

/* --- for dial-out (sip_call.h) ------------------------------------------------------------- */

nua_t *hn_sip_gateway_nua(HnSipGateway *gw)
{
    return gw->nua;
}

const char *hn_sip_gateway_media_address(const HnSipGateway *gw)
{
    return media_address(gw);
}

SipCall *hn_sip_call_new_out(HnSipGateway *gw, const char *room, const char *to_uri,
                             const char *offer, void *out)
{
    SipCall *c = g_new0(SipCall, 1);
    c->gw = gw;
    c->out = out;
    g_strlcpy(c->room, room, sizeof c->room);
    c->nh = nua_handle(gw->nua, c, SIPTAG_TO_STR(to_uri), TAG_END());
    if (!c->nh) {
        g_free(c);
        return NULL;
    }
    c->answer = g_strdup(offer); /* a re-INVITE from the site gets our offer again */
    g_hash_table_add(gw->calls, c);
    nua_invite(c->nh, SIPTAG_CONTENT_TYPE_STR("application/sdp"), SIPTAG_PAYLOAD_STR(offer),
               SIPTAG_ALLOW_STR(ALLOW), TAG_END());
    return c;
}

uint64_t hn_sip_call_enter(SipCall *c, const HnSdpPlainStream *streams, size_t n, HnRtpPorts *ports,
                           const HnSdpSdesKey *keys, const char *name, const char *addr)
{
    HnRtpLegStreamInit init[HN_RTP_LEG_MAX_STREAMS];
    HnRoomTrackDesc tracks[HN_RTP_LEG_MAX_STREAMS];
    size_t nt = 0;
    size_t ni =
        leg_streams(streams, MIN(n, HN_RTP_LEG_MAX_STREAMS), ports, keys, init, tracks, &nt);
    gboolean in = ni > 0 && call_enter(c->gw, c, init, ni, tracks, nt, name, addr);
    for (size_t i = 0; i < ni; i++)
        hn_rtp_ports_close(&init[i].ports); /* the leg has its own references */
    return in ? c->pid : 0;
}

void hn_sip_call_hang_up(SipCall *c, gboolean answered)
{
    c->out = NULL;
    if (c->pid) {
        hn_hub_site_leave(c->gw->hub, c->pid, "left");
        c->pid = 0;
    }
    if (c->byed)
        return;
    c->byed = TRUE;
    if (answered)
        nua_bye(c->nh, TAG_END());
    else
        nua_cancel(c->nh, TAG_END());
}
