/* A re-INVITE of a call in progress: see sip_reinvite.h. */
#include "gateway/sip_reinvite.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "sdp/sdp_plain.h"

static int fail(GError **error, const char *fmt, size_t i, const char *why)
{
    g_set_error(error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED, fmt, i, why);
    return -EINVAL;
}

/* The HN_SDP_PLAIN_* bit of a codec name of our answer (0: unknown). */
static uint32_t codec_bit(const char *name)
{
    static const struct {
        const char *name;
        uint32_t bit;
    } map[] = {{"opus", HN_SDP_PLAIN_OPUS}, {"G722", HN_SDP_PLAIN_G722},
               {"PCMU", HN_SDP_PLAIN_PCMU}, {"PCMA", HN_SDP_PLAIN_PCMA},
               {"H264", HN_SDP_PLAIN_H264}, {"VP8", HN_SDP_PLAIN_VP8}};
    for (size_t i = 0; i < G_N_ELEMENTS(map); i++)
        if (g_ascii_strcasecmp(name, map[i].name) == 0)
            return map[i].bit;
    return 0;
}

static gboolean is_any(const HnSdpConn *c)
{
    return strcmp(c->addr, "0.0.0.0") == 0 || strcmp(c->addr, "::") == 0;
}

/* The remote's SDES key that the first answer took for m= line i (NULL: none). */
static const HnSdpCrypto *first_key(const HnSdp *first, size_t i, const HnSdpCrypto *ours)
{
    if (!ours || i >= first->n_media)
        return NULL;
    const HnSdpMedia *m = &first->media[i];
    for (size_t k = 0; k < m->n_cryptos; k++)
        if (m->cryptos[k].tag == ours->tag)
            return &m->cryptos[k];
    return NULL;
}

int hn_sip_reinvite(const char *first_offer, const char *current_answer, const char *offer,
                    size_t len, uint32_t video_kbps, HnSipReinvite *out, GError **error)
{
    memset(out, 0, sizeof *out);
    HnSdp *cur = NULL, *first = NULL, *off = NULL;
    HnSdpPlainAnswer *ans = NULL;
    HnSdpSdesKey keys[HN_RTP_LEG_MAX_STREAMS];
    int rc = -EINVAL;
    if (hn_sdp_parse(current_answer, strlen(current_answer), &cur, NULL) < 0 ||
        hn_sdp_parse(first_offer, strlen(first_offer), &first, NULL) < 0) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED, "the call's own SDP does not parse");
        goto out;
    }
    if (hn_sdp_parse(offer, len, &off, error) < 0)
        goto out;
    if (off->n_media != cur->n_media || cur->n_media > HN_RTP_LEG_MAX_STREAMS) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                    "%zu m= lines where the call has %zu", off->n_media, cur->n_media);
        goto out;
    }
    /* our side as the first answer had it: the same ports, keys and codecs */
    HnSdpPlainPort ports[HN_RTP_LEG_MAX_STREAMS];
    uint32_t caps = HN_SDP_PLAIN_DTMF;
    for (size_t i = 0; i < cur->n_media; i++) {
        const HnSdpMedia *m = &cur->media[i];
        ports[i] = (HnSdpPlainPort){.address = m->conn.addr, .port = m->port ? m->port : 9};
        if (m->port == 0) {
            off->media[i].port = 0; /* rejected before: rejected again */
            continue;
        }
        ports[i].rtcp_port = m->rtcp_port;
        if (m->n_codecs > 0)
            caps |= codec_bit(m->codecs[0].name);
        if (m->n_cryptos > 0) {
            keys[i].suite = m->cryptos[0].suite;
            memcpy(keys[i].key, m->cryptos[0].key, sizeof keys[i].key);
            ports[i].key = &keys[i];
        }
        /* the old hold (RFC 2543): c=0.0.0.0, taken as a=sendonly */
        HnSdpMedia *o = &off->media[i];
        if (is_any(&o->conn))
            o->direction = o->direction == HN_SDP_DIR_SENDRECV   ? HN_SDP_DIR_SENDONLY
                           : o->direction == HN_SDP_DIR_RECVONLY ? HN_SDP_DIR_INACTIVE
                                                                 : o->direction;
    }
    /* the same answer keeps its version (a session refresh), a changed one takes the next */
    HnSdpPlainSession sess = {.address = cur->conn.addr,
                              .session_id = g_ascii_strtoull(cur->session_id, NULL, 10),
                              .version = cur->session_version,
                              .codecs = caps,
                              .video_kbps = video_kbps};
    if (hn_sdp_plain_answer(off, &sess, ports, off->n_media, &ans, error) < 0)
        goto out;
    if (strcmp(ans->sdp, current_answer) != 0) {
        hn_sdp_plain_answer_free(ans);
        ans = NULL;
        sess.version++;
        if (hn_sdp_plain_answer(off, &sess, ports, off->n_media, &ans, error) < 0)
            goto out;
    }
    for (size_t i = 0; i < cur->n_media; i++) {
        const HnSdpMedia *m = &cur->media[i];
        const HnSdpPlainStream *st = &ans->streams[i];
        if (m->port == 0)
            continue;
        if (!st->accepted) {
            rc = fail(error, "m= line %zu: %s", i, st->reason ? st->reason : "not acceptable");
            goto out;
        }
        if (m->n_codecs == 0 || st->pt != m->codecs[0].pt) {
            rc = fail(error, "m= line %zu: %s", i, "another payload type than the call's");
            goto out;
        }
        const HnSdpCrypto *old = first_key(first, i, m->n_cryptos ? &m->cryptos[0] : NULL);
        if (st->srtp != (m->n_cryptos > 0) ||
            (st->srtp && (!old || old->key_len != st->remote_key.key_len ||
                          memcmp(old->key, st->remote_key.key, old->key_len) != 0))) {
            rc = fail(error, "m= line %zu: %s", i, "new SRTP keys (re-keying is not supported)");
            goto out;
        }
        HnSdpDirection d = off->media[i].direction; /* theirs */
        HnRtpLegUpdate *u = &out->streams[out->n++];
        u->send = d == HN_SDP_DIR_SENDRECV || d == HN_SDP_DIR_RECVONLY;
        u->receive = d == HN_SDP_DIR_SENDRECV || d == HN_SDP_DIR_SENDONLY;
        u->remote = st->remote;
        u->remote_port = st->remote_port;
        u->remote_rtcp = st->remote_rtcp;
        u->remote_rtcp_port = st->remote_rtcp_port;
        out->held = out->held || !u->send;
    }
    out->answer = g_strdup(ans->sdp);
    rc = 0;
out:
    if (rc < 0)
        out->n = 0;
    memset(keys, 0, sizeof keys);
    hn_sdp_plain_answer_free(ans);
    hn_sdp_free(cur);
    hn_sdp_free(first);
    hn_sdp_free(off);
    return rc;
}
