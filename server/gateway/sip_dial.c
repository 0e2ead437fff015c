/* Dial strings and sites: see sip_dial.h. */
#include "gateway/sip_dial.h"

#include <string.h>

gboolean hn_sip_dial_parse(const char *user, HnSipDial *out)
{
    memset(out, 0, sizeof *out);
    if (!user)
        return FALSE;
    const char *star = strchr(user, '*');
    size_t rlen = star ? (size_t)(star - user) : strlen(user);
    if (rlen == 0 || rlen >= sizeof out->room)
        return FALSE;
    memcpy(out->room, user, rlen);
    if (!hn_config_room_name_valid(out->room))
        return FALSE;
    if (star) {
        const char *pin = star + 1;
        size_t plen = strlen(pin);
        if (plen == 0 || plen >= sizeof out->pin)
            return FALSE;
        for (size_t i = 0; i < plen; i++)
            if (!g_ascii_isdigit(pin[i]))
                return FALSE;
        memcpy(out->pin, pin, plen);
    }
    return TRUE;
}

const HnSiteConfig *hn_sip_site_find(const HnConfig *cfg, const char *addr, const char *from_user)
{
    if (!cfg->sites)
        return NULL;
    for (guint i = 0; addr && i < cfg->sites->len; i++) {
        const HnSiteConfig *s = g_ptr_array_index(cfg->sites, i);
        if (s->address && strcmp(s->address, addr) == 0)
            return s;
    }
    for (guint i = 0; from_user && i < cfg->sites->len; i++) {
        const HnSiteConfig *s = g_ptr_array_index(cfg->sites, i);
        if (s->user && strcmp(s->user, from_user) == 0)
            return s;
    }
    return NULL;
}

char *hn_sip_display_name(const HnSiteConfig *site, const char *display, const char *from_user)
{
    if (site)
        return g_strdup(site->name);
    const char *src = display && *display ? display : from_user;
    if (!src || !*src || !g_utf8_validate(src, -1, NULL))
        return g_strdup("SIP");
    GString *s = g_string_new(NULL);
    for (const char *p = src; *p && s->len < 64; p++)
        if (*p != '"' && (unsigned char)*p >= 0x20 && *p != 0x7f)
            g_string_append_c(s, *p);
    /* do not cut a UTF-8 sequence in two */
    while (s->len && !g_utf8_validate(s->str, (gssize)s->len, NULL))
        g_string_truncate(s, s->len - 1);
    if (s->len == 0) {
        g_string_free(s, TRUE);
        return g_strdup("SIP");
    }
    return g_string_free(s, FALSE);
}
