#include "transport/ice.h"

#include <errno.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

int hn_ice_random_string(char *out, size_t n)
{
    static const char chars[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    uint8_t raw[256];
    for (size_t done = 0; done < n;) {
        size_t k = MIN(n - done, sizeof raw);
        if (RAND_bytes(raw, (int)k) != 1) {
            out[0] = '\0';
            return -EIO;
        }
        for (size_t i = 0; i < k; i++)
            out[done + i] = chars[raw[i] & 63]; /* 64 symbols: no modulo bias */
        done += k;
    }
    out[n] = '\0';
    OPENSSL_cleanse(raw, sizeof raw);
    return 0;
}

static gboolean is_link_local_v6(const char *ip)
{
    return g_ascii_strncasecmp(ip, "fe80:", 5) == 0;
}

char **hn_ice_settings_local_ips(const HnIceSettings *s)
{
    GPtrArray *out = g_ptr_array_new();
    if (s->addresses && s->addresses[0]) {
        for (char **a = s->addresses; *a; a++)
            g_ptr_array_add(out, g_strdup(*a));
    } else if (s->interfaces && s->interfaces[0]) {
        for (char **i = s->interfaces; *i; i++) {
            char *ip = nice_interfaces_get_ip_for_interface(*i);
            if (ip)
                g_ptr_array_add(out, ip);
        }
    } else {
        /* Every address of every interface that is up, loopback included (libnice leaves
         * loopback out unless it is added explicitly); IPv6 link-local needs a scope id that
         * browsers do not send, so it is left out. */
        GList *ips = nice_interfaces_get_local_ips(TRUE);
        for (GList *l = ips; l; l = l->next) {
            if (!is_link_local_v6(l->data)) {
                g_ptr_array_add(out, l->data);
                l->data = NULL;
            }
        }
        g_list_free_full(ips, g_free);
    }
    g_ptr_array_add(out, NULL);
    return (char **)g_ptr_array_free(out, FALSE);
}

NiceAgent *hn_ice_agent_new(GMainContext *ctx, const HnIceSettings *s, gboolean controlling,
                            guint *stream_id)
{
    NiceAgent *agent =
        nice_agent_new_full(ctx, NICE_COMPATIBILITY_RFC5245, NICE_AGENT_OPTION_ICE_TRICKLE);
    /* keepalive-conncheck stays FALSE: with it libnice fails a component whose keep-alive
     * checks go unanswered for a while, and under overload (a saturated worker reading late) it
     * failed every transport of a room at once. Liveness is the room's job: any packet on any of
     * a participant's transports within consent_timeout, plus the WebSocket keep-alive. */
    g_object_set(agent, "upnp", FALSE, "controlling-mode", controlling, "ice-tcp", FALSE, "ice-udp",
                 TRUE, "keepalive-conncheck", FALSE, NULL);
    char **ips = hn_ice_settings_local_ips(s);
    for (char **ip = ips; *ip; ip++) {
        NiceAddress addr;
        nice_address_init(&addr);
        if (nice_address_set_from_string(&addr, *ip))
            nice_agent_add_local_address(agent, &addr);
    }
    g_strfreev(ips);
    *stream_id = nice_agent_add_stream(agent, 1);
    nice_agent_set_stream_name(agent, *stream_id, "video");
    /* libnice draws its own credentials from GRand (a Mersenne Twister): replace them. */
    char ufrag[HN_ICE_CRED_UFRAG_LEN + 1], pwd[HN_ICE_CRED_PWD_LEN + 1];
    if (hn_ice_random_string(ufrag, sizeof ufrag - 1) != 0 ||
        hn_ice_random_string(pwd, sizeof pwd - 1) != 0 ||
        !nice_agent_set_local_credentials(agent, *stream_id, ufrag, pwd)) {
        g_warning("cannot set random ICE credentials (OpenSSL RAND_bytes failed)");
        g_object_unref(agent);
        return NULL;
    }
    OPENSSL_cleanse(pwd, sizeof pwd);
    if (s->port_min || s->port_max)
        nice_agent_set_port_range(agent, *stream_id, 1, s->port_min, s->port_max);
    return agent;
}

char *hn_ice_candidate_to_string(NiceAgent *agent, NiceCandidate *c)
{
    char *sdp = nice_agent_generate_local_candidate_sdp(agent, c);
    if (!sdp)
        return NULL;
    char *out = g_strdup(g_str_has_prefix(sdp, "a=") ? sdp + 2 : sdp);
    g_free(sdp);
    return out;
}

char *hn_ice_candidate_public(NiceAgent *agent, NiceCandidate *c, const char *public_ip)
{
    if (!public_ip || c->type != NICE_CANDIDATE_TYPE_HOST)
        return NULL;
    if (nice_address_ip_version(&c->addr) != 4)
        return NULL;
    char ip[NICE_ADDRESS_STRING_LEN];
    nice_address_to_string(&c->addr, ip);
    if (g_str_has_prefix(ip, "127."))
        return NULL;
    NiceCandidate *pub = nice_candidate_copy(c);
    guint port = nice_address_get_port(&c->addr);
    if (!nice_address_set_from_string(&pub->addr, public_ip)) {
        nice_candidate_free(pub);
        return NULL;
    }
    nice_address_set_port(&pub->addr, port);
    g_strlcat(pub->foundation, "p", sizeof pub->foundation);
    pub->priority = c->priority > 1 ? c->priority - 1 : c->priority;
    char *out = hn_ice_candidate_to_string(agent, pub);
    nice_candidate_free(pub);
    return out;
}

NiceCandidate *hn_ice_candidate_parse(NiceAgent *agent, guint stream_id, const char *line,
                                      const char **why)
{
    if (g_str_has_prefix(line, "a="))
        line += 2;
    if (!g_str_has_prefix(line, "candidate:")) {
        *why = "not a candidate line";
        return NULL;
    }
    char **tok = g_strsplit(line, " ", 0);
    guint n = g_strv_length(tok);
    gboolean ok = n >= 8;
    if (ok && g_ascii_strcasecmp(tok[2], "udp") != 0) {
        *why = "only UDP candidates are used";
        ok = FALSE;
    } else if (ok && g_str_has_suffix(tok[4], ".local")) {
        *why = "mDNS (.local) candidates are not resolved";
        ok = FALSE;
    } else if (!ok) {
        *why = "malformed candidate";
    }
    g_strfreev(tok);
    if (!ok)
        return NULL;
    char *full = g_strconcat("a=", line, NULL);
    NiceCandidate *c = nice_agent_parse_remote_candidate_sdp(agent, stream_id, full);
    g_free(full);
    if (!c)
        *why = "malformed candidate";
    return c;
}
