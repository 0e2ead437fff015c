/* Link rel="ice-server" headers of WHIP and WHEP: see whip_links.h. */
#include "app/whip_links.h"

#include <string.h>

gboolean hn_whip_ice_url_valid(const char *url)
{
    if (!url || strlen(url) > 256)
        return FALSE;
    const char *schemes[] = {"stun:", "stuns:", "turn:", "turns:"};
    const char *rest = NULL;
    for (guint i = 0; i < G_N_ELEMENTS(schemes) && !rest; i++)
        if (g_ascii_strncasecmp(url, schemes[i], strlen(schemes[i])) == 0)
            rest = url + strlen(schemes[i]);
    if (!rest || !*rest)
        return FALSE;
    for (const char *p = url; *p; p++)
        if ((unsigned char)*p <= ' ' || (unsigned char)*p >= 127 || strchr("\"<>,;\\", *p))
            return FALSE;
    return TRUE;
}

static void quoted(GString *s, const char *v)
{
    g_string_append_c(s, '"');
    for (const char *p = v; *p; p++) {
        if (*p == '"' || *p == '\\')
            g_string_append_c(s, '\\');
        if ((unsigned char)*p >= ' ' && *p != 127)
            g_string_append_c(s, *p);
    }
    g_string_append_c(s, '"');
}

char **hn_whip_ice_links(char *const *servers, const char *username, const char *credential,
                         gboolean with_credentials)
{
    GPtrArray *out = g_ptr_array_new();
    for (guint i = 0; servers && servers[i] && i < HN_WHIP_ICE_SERVERS_MAX; i++) {
        if (!hn_whip_ice_url_valid(servers[i]))
            continue;
        GString *s = g_string_new("<");
        g_string_append(s, servers[i]);
        g_string_append(s, ">; rel=\"ice-server\"");
        gboolean turn = g_ascii_strncasecmp(servers[i], "turn", 4) == 0;
        if (turn && with_credentials && username && *username && credential && *credential) {
            g_string_append(s, "; username=");
            quoted(s, username);
            g_string_append(s, "; credential=");
            quoted(s, credential);
            g_string_append(s, "; credential-type=\"password\"");
        }
        g_ptr_array_add(out, g_string_free(s, FALSE));
    }
    g_ptr_array_add(out, NULL);
    return (char **)g_ptr_array_free(out, FALSE);
}
