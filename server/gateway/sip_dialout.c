/* Dial-out: the gateway calls the configured sites of a room when its meeting starts, redials a
 * site that drops, and calls or hangs up a site when the REST API asks (docs/room-systems.md,
 * "Dial-out"). The decisions are dialout_model.c's; this file is its shell on the main loop:
 * the meeting's events in, INVITE / BYE / CANCEL and timers out, site.* events back into the
 * meeting. One entry per (room, site) ever called. */
#include <errno.h>
#include <string.h>
#include <sys/random.h>

typedef struct HnSipGateway HnSipGateway;
typedef struct SipCall SipCall;
#define SU_ROOT_MAGIC_T HnSipGateway
#define NUA_MAGIC_T     HnSipGateway
#define NUA_HMAGIC_T    SipCall

#include <sofia-sip/nua.h>
#include <sofia-sip/sip_header.h>

#include "app/hub_meeting.h"
#include "gateway/dialout_model.h"
#include "gateway/sip_call.h"

#define N_STREAMS 2 /* audio, video */

typedef struct {
    HnSipDialout *d;
    char *room;
    const HnSiteConfig *site;
    char host[128];     /* of the dial URI: the participant's address in the meeting log */
    gboolean automatic; /* in the room's `sites`: called when its meeting starts */
    HnDialout m;
    guint timer;
    SipCall *call; /* the current call (the gateway owns it), NULL when none */
    gboolean answered;
    uint64_t pid; /* in the room */
    /* the current offer: our sockets and keys until the answer */
    HnSdpPlainSession sess;
    HnSdpPlainOffer media[N_STREAMS];
    HnRtpPorts ports[N_STREAMS];
    HnSdpSdesKey keys[N_STREAMS];
    gboolean ports_open;
} Entry;

struct HnSipDialout {
    HnSipGateway *gw;
    const HnConfig *cfg;
    HnHub *hub;
    GPtrArray *entries; /* Entry* */
    GHashTable *others; /* room (lower case) -> participants in it that are not our calls */
    GHashTable *ours;   /* "pN" of participants that were our calls, until they left */
    guint64 seq;
};

static gint64 now_us(void)
{
    return g_get_monotonic_time();
}

static void close_ports(Entry *e)
{
    if (e->ports_open)
        for (size_t i = 0; i < N_STREAMS; i++)
            hn_rtp_ports_close(&e->ports[i]);
    e->ports_open = FALSE;
    memset(e->keys, 0, sizeof e->keys);
}

static void entry_free(gpointer p)
{
    Entry *e = p;
    if (e->timer)
        g_source_remove(e->timer);
    if (e->call)
        hn_sip_call_hang_up(e->call, e->answered);
    close_ports(e);
    g_free(e->room);
    g_free(e);
}

static void report(Entry *e, HnDialoutEvent ev, const char *why)
{
    const char *type = hn_dialout_event_name(ev);
    if (!type)
        return;
    char pid[32] = "";
    if (e->pid)
        g_snprintf(pid, sizeof pid, "p%" G_GUINT64_FORMAT, e->pid);
    json_t *data = json_pack("{s:s, s:i, s:s?}", "site", e->site->name, "attempt", (int)e->m.calls,
                             "reason", why);
    g_message("sip: dial-out %s to %s: %s%s%s", e->room, e->site->name, type, why ? " " : "",
              why ? why : "");
    hn_hub_meeting_event(e->d->hub, e->room, type, "system", *pid ? pid : NULL, data);
}

static void apply(Entry *e, HnDialoutOut o, const char *why);

static gboolean on_timer(gpointer data)
{
    Entry *e = data;
    e->timer = 0;
    apply(e, hn_dialout_tick(&e->m, now_us()), "no answer");
    return G_SOURCE_REMOVE;
}

static void reschedule(Entry *e)
{
    if (e->timer)
        g_source_remove(e->timer);
    e->timer = 0;
    int64_t at = hn_dialout_next_deadline(&e->m);
    if (!at)
        return;
    int64_t ms = (at - now_us()) / 1000 + 1;
    e->timer = g_timeout_add((guint)CLAMP(ms, 1, 24 * 3600 * 1000), on_timer, e);
}

/* Opens the sockets, writes the offer and sends the INVITE; FALSE when it could not. */
static gboolean dial(Entry *e)
{
    HnSipDialout *d = e->d;
    const char *addr = hn_sip_gateway_media_address(d->gw);
    gboolean srtp = e->site->srtp == HN_SITE_SRTP_REQUIRED;
    g_autoptr(GError) err = NULL;
    close_ports(e);
    e->ports_open = TRUE;
    for (size_t i = 0; i < N_STREAMS; i++) {
        if (!hn_rtp_ports_open(&e->ports[i], addr, &err)) {
            g_message("sip: dial-out %s to %s: %s", e->room, e->site->name, err->message);
            for (size_t k = 0; k < i; k++)
                hn_rtp_ports_close(&e->ports[k]);
            e->ports_open = FALSE;
            return FALSE;
        }
        e->keys[i].suite = HN_SDP_CRYPTO_AES_CM_128_HMAC_SHA1_80;
        if (srtp && getrandom(e->keys[i].key, 30, 0) != 30) {
            close_ports(e);
            return FALSE;
        }
        e->media[i] = (HnSdpPlainOffer){
            .kind = i == 0 ? HN_KIND_AUDIO : HN_KIND_VIDEO,
            .profile = srtp ? HN_SDP_PROFILE_SAVP : HN_SDP_PROFILE_AVP,
            .port = {.address = addr,
                     .port = e->ports[i].rtp_port,
                     .rtcp_port = e->ports[i].rtcp_port,
                     .key = srtp ? &e->keys[i] : NULL},
            .direction = HN_SDP_DIR_SENDRECV,
        };
    }
    e->sess = (HnSdpPlainSession){
        .address = addr,
        .session_id = (uint64_t)g_get_real_time() ^ ++d->seq,
        .version = 1,
        .codecs = HN_SDP_PLAIN_H264 | HN_SDP_PLAIN_OPUS | HN_SDP_PLAIN_G722 | HN_SDP_PLAIN_PCMU |
                  HN_SDP_PLAIN_PCMA | HN_SDP_PLAIN_DTMF,
    };
    g_autofree char *offer = hn_sdp_plain_offer(&e->sess, e->media, N_STREAMS, &err);
    if (!offer) {
        g_message("sip: dial-out %s to %s: offer: %s", e->room, e->site->name, err->message);
        close_ports(e);
        return FALSE;
    }
    e->answered = FALSE;
    e->call = hn_sip_call_new_out(d->gw, e->room, e->site->dial, offer, e);
    if (!e->call) {
        close_ports(e);
        return FALSE;
    }
    return TRUE;
}

static void apply(Entry *e, HnDialoutOut o, const char *why)
{
    if (o.action == HN_DIALOUT_DO_HANGUP && e->call) {
        SipCall *c = e->call;
        e->call = NULL;
        hn_sip_call_hang_up(c, e->answered);
        close_ports(e);
    }
    report(e, o.event, o.event == HN_DIALOUT_EV_CALLING ? NULL : why);
    if (o.action == HN_DIALOUT_DO_HANGUP || o.event == HN_DIALOUT_EV_DROPPED ||
        o.event == HN_DIALOUT_EV_FAILED || o.event == HN_DIALOUT_EV_HUNG_UP) {
        e->pid = 0;
        e->answered = FALSE;
    }
    if (o.action == HN_DIALOUT_DO_DIAL && !dial(e)) {
        apply(e, hn_dialout_ended(&e->m, HN_DIALOUT_END_REFUSED, now_us()), "cannot call");
        return;
    }
    reschedule(e);
}

/* --- the gateway's calls ----------------------------------------------------------------- */

void hn_sip_dialout_answered(HnSipDialout *d, void *out, const sip_t *sip)
{
    Entry *e = out;
    (void)d;
    if (!e->call || e->answered)
        return;
    HnSdpPlainStream streams[N_STREAMS];
    memset(streams, 0, sizeof streams);
    HnSdp *ans = NULL;
    g_autoptr(GError) err = NULL;
    const char *body = sip && sip->sip_payload ? sip->sip_payload->pl_data : NULL;
    size_t len = body ? sip->sip_payload->pl_len : 0;
    uint64_t pid = 0;
    e->answered = TRUE;
    if (!body || !len)
        g_set_error(&err, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "no SDP answer");
    else if (hn_sdp_parse(body, len, &ans, &err) == 0 &&
             hn_sdp_plain_read_answer(ans, &e->sess, e->media, N_STREAMS, streams, &err) == 0) {
        pid = hn_sip_call_enter(e->call, streams, N_STREAMS, e->ports, e->keys, e->site->name,
                                e->host);
        e->ports_open = FALSE; /* the leg has them, or they are closed */
        memset(e->keys, 0, sizeof e->keys);
        if (!pid)
            g_set_error(&err, G_IO_ERROR, G_IO_ERROR_FAILED, "the room did not take the call");
    }
    hn_sdp_free(ans);
    if (!pid) {
        g_message("sip: dial-out %s to %s: %s, hanging up", e->room, e->site->name,
                  err ? err->message : "?");
        SipCall *c = e->call;
        e->call = NULL;
        hn_sip_call_hang_up(c, TRUE);
        close_ports(e);
        e->answered = FALSE;
        apply(e, hn_dialout_ended(&e->m, HN_DIALOUT_END_REFUSED, now_us()), "bad answer");
        return;
    }
    e->pid = pid;
    char id[32];
    g_snprintf(id, sizeof id, "p%" G_GUINT64_FORMAT, pid);
    g_hash_table_add(e->d->ours, g_strdup(id));
    apply(e, hn_dialout_answered(&e->m, now_us()), NULL);
}

void hn_sip_dialout_call_ended(HnSipDialout *d, void *out, gboolean removed, const char *why)
{
    Entry *e = out;
    (void)d;
    gboolean was_up = e->answered;
    e->call = NULL;
    close_ports(e);
    HnDialoutEnd how = removed  ? HN_DIALOUT_END_REMOVED
                       : was_up ? HN_DIALOUT_END_DROPPED
                                : HN_DIALOUT_END_REFUSED;
    apply(e, hn_dialout_ended(&e->m, how, now_us()),
          removed  ? "removed"
          : why    ? why
          : was_up ? "the call ended"
                   : "refused");
}

/* --- entries, the meeting's events and the API ------------------------------------------- */

static Entry *entry_find(HnSipDialout *d, const char *room, const HnSiteConfig *site, gboolean make)
{
    for (guint i = 0; i < d->entries->len; i++) {
        Entry *e = g_ptr_array_index(d->entries, i);
        if (e->site == site && g_ascii_strcasecmp(e->room, room) == 0)
            return e;
    }
    if (!make)
        return NULL;
    Entry *e = g_new0(Entry, 1);
    e->d = d;
    e->room = g_ascii_strdown(room, -1);
    e->site = site;
    const char *at = strchr(site->dial, '@');
    g_strlcpy(e->host, at ? at + 1 : site->dial, sizeof e->host);
    e->host[strcspn(e->host, ";?>")] = 0;
    hn_dialout_init(&e->m, d->cfg->sip_redial_seconds, 0);
    g_ptr_array_add(d->entries, e);
    return e;
}

/* Starts (start TRUE) or stops every entry of room: the automatic ones only when starting. */
static void room_sites(HnSipDialout *d, const char *room, gboolean start, const char *why)
{
    for (guint i = 0; i < d->entries->len; i++) {
        Entry *e = g_ptr_array_index(d->entries, i);
        if (g_ascii_strcasecmp(e->room, room) != 0)
            continue;
        if (start && e->automatic)
            apply(e, hn_dialout_start(&e->m, now_us()), NULL);
        else if (!start)
            apply(e, hn_dialout_stop(&e->m, now_us()), why);
    }
}

/* The sites of a room are in its meeting while someone else is: called at the first other
 * participant's join, hung up when the last other one left or the meeting ended. */
static void on_meeting_event(HnHub *hub, const HnMeetingEvent *ev, gpointer user)
{
    HnSipDialout *d = user;
    (void)hub;
    gboolean joined = strcmp(ev->type, "participant.joined") == 0;
    gboolean left = strcmp(ev->type, "participant.left") == 0;
    g_autofree char *room = g_ascii_strdown(ev->room, -1);
    if (strcmp(ev->type, "meeting.ended") == 0) {
        g_hash_table_remove(d->others, room);
        room_sites(d, room, FALSE, "the meeting ended");
        return;
    }
    if ((!joined && !left) || !ev->participant)
        return;
    if (joined && !g_hash_table_contains(d->ours, ev->participant)) {
        /* without a store the event comes inside hn_sip_call_enter, before its pid is known */
        const char *name = json_string_value(json_object_get(ev->data, "name"));
        for (guint i = 0; name && i < d->entries->len; i++) {
            Entry *e = g_ptr_array_index(d->entries, i);
            if (e->call && !e->pid && e->answered && strcmp(e->site->name, name) == 0 &&
                g_ascii_strcasecmp(e->room, room) == 0)
                g_hash_table_add(d->ours, g_strdup(ev->participant));
        }
    }
    if (g_hash_table_contains(d->ours, ev->participant)) {
        if (left)
            g_hash_table_remove(d->ours, ev->participant);
        return;
    }
    guint n = GPOINTER_TO_UINT(g_hash_table_lookup(d->others, room));
    if (joined) {
        g_hash_table_insert(d->others, g_strdup(room), GUINT_TO_POINTER(n + 1));
        if (n == 0)
            room_sites(d, room, TRUE, NULL);
    } else if (n > 0) {
        g_hash_table_insert(d->others, g_strdup(room), GUINT_TO_POINTER(n - 1));
        if (n == 1)
            room_sites(d, room, FALSE, "nobody else is in the room");
    }
}

static int api_dial(void *user, const char *room, const char *name, gboolean call)
{
    HnSipDialout *d = user;
    const HnSiteConfig *site = hn_config_find_site(d->cfg, name);
    if (!site || !site->dial)
        return -ENOENT;
    if (!hn_config_room_name_valid(room))
        return -EINVAL;
    Entry *e = entry_find(d, room, site, call);
    if (!call) {
        if (!e || e->m.state == HN_DIALOUT_IDLE || e->m.state == HN_DIALOUT_FAILED)
            return -EALREADY;
        apply(e, hn_dialout_stop(&e->m, now_us()), "hung up by the API");
        return 0;
    }
    apply(e, hn_dialout_start(&e->m, now_us()), NULL);
    return 0;
}

HnSipDialout *hn_sip_dialout_new(HnSipGateway *gw, const HnConfig *cfg, HnHub *hub)
{
    HnSipDialout *d = g_new0(HnSipDialout, 1);
    d->gw = gw;
    d->cfg = cfg;
    d->hub = hub;
    d->entries = g_ptr_array_new_with_free_func(entry_free);
    d->others = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    d->ours = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    guint n = 0;
    for (guint i = 0; i < cfg->rooms->len; i++) {
        const HnRoomConfig *r = g_ptr_array_index(cfg->rooms, i);
        for (guint k = 0; r->sites && r->sites[k]; k++) {
            const HnSiteConfig *site = hn_config_find_site(cfg, r->sites[k]);
            if (site && site->dial) { /* the configuration checked it */
                entry_find(d, r->name, site, TRUE)->automatic = TRUE;
                n++;
            }
        }
    }
    hn_hub_meeting_observe(hub, on_meeting_event, d);
    hn_hub_set_site_dial(hub, api_dial, d);
    if (n)
        g_message("sip: dial-out: %u site call(s) at meeting start, redial after %u s", n,
                  cfg->sip_redial_seconds);
    return d;
}

void hn_sip_dialout_free(HnSipDialout *d)
{
    if (!d)
        return;
    hn_hub_set_site_dial(d->hub, NULL, NULL);
    hn_hub_meeting_unobserve(d->hub, on_meeting_event, d);
    g_ptr_array_unref(d->entries); /* hangs up the calls in progress */
    g_hash_table_destroy(d->others);
    g_hash_table_destroy(d->ours);
    g_free(d);
}
