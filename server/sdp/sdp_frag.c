/* SDP fragments for WHIP trickle and ICE restart (sdp/sdp_frag.h). */
#include "sdp/sdp_frag.h"

#include <errno.h>
#include <string.h>

#include "sdp/sdp.h"
#include "sdp/sdp_candidate.h"

void hn_sdp_frag_clear(HnSdpFrag *f)
{
    if (!f)
        return;
    g_free(f->ufrag);
    g_free(f->pwd);
    g_free(f->mid);
    if (f->candidates)
        g_ptr_array_free(f->candidates, TRUE);
    memset(f, 0, sizeof *f);
}

static gboolean fail(GError **error, HnSdpFrag *f, const char *msg, guint line)
{
    g_set_error(error, HN_SDP_ERROR, HN_SDP_ERROR_PARSE, "line %u: %s", line, msg);
    hn_sdp_frag_clear(f);
    return FALSE;
}

/* ice-char = ALPHA / DIGIT / "+" / "/" (RFC 8839); 4-256 for a ufrag, 22-256 for a pwd, but
 * only emptiness and the character set are refused here: the transport checks lengths. */
static gboolean ice_chars(const char *v)
{
    if (!*v || strlen(v) > 256)
        return FALSE;
    for (const char *p = v; *p; p++)
        if (!g_ascii_isalnum(*p) && *p != '+' && *p != '/')
            return FALSE;
    return TRUE;
}

gboolean hn_sdp_frag_parse(const char *text, size_t len, HnSdpFrag *out, GError **error)
{
    memset(out, 0, sizeof *out);
    out->candidates = g_ptr_array_new_with_free_func(g_free);
    if (!text || memchr(text, '\0', len))
        return fail(error, out, "a NUL byte", 0);
    g_autofree char *copy = g_strndup(text, len);
    g_auto(GStrv) lines = g_strsplit(copy, "\n", -1);
    for (guint i = 0; lines[i]; i++) {
        char *l = lines[i];
        size_t n = strlen(l);
        if (n && l[n - 1] == '\r')
            l[--n] = '\0';
        if (!n)
            continue;
        if (n < 2 || !g_ascii_isalpha(l[0]) || l[1] != '=')
            return fail(error, out, "not an SDP line (<letter>=<value>)", i + 1);
        if (l[0] != 'a')
            continue;
        const char *a = l + 2;
        if (g_str_has_prefix(a, "ice-ufrag:") || g_str_has_prefix(a, "ice-pwd:")) {
            gboolean is_ufrag = a[4] == 'u';
            const char *v = strchr(a, ':') + 1;
            if (!ice_chars(v))
                return fail(error, out, is_ufrag ? "bad ice-ufrag" : "bad ice-pwd", i + 1);
            char **slot = is_ufrag ? &out->ufrag : &out->pwd;
            if (!*slot)
                *slot = g_strdup(v);
        } else if (g_str_has_prefix(a, "mid:")) {
            if (!out->mid)
                out->mid = g_strdup(a + 4);
        } else if (g_str_has_prefix(a, "candidate:")) {
            HnCandidate c;
            GError *e = NULL;
            int rc = hn_sdp_candidate_parse(a, &c, &e);
            gboolean mdns = rc == -ENOTSUP;
            if (rc < 0 && !mdns) {
                g_autofree char *msg = g_strdup_printf("bad candidate: %s", e->message);
                g_error_free(e);
                return fail(error, out, msg, i + 1);
            }
            g_clear_error(&e);
            if (out->candidates->len >= HN_SDP_FRAG_MAX_CANDIDATES)
                return fail(error, out, "too many candidates", i + 1);
            if (!mdns)
                g_ptr_array_add(out->candidates, g_strdup(a));
        } else if (strcmp(a, "end-of-candidates") == 0) {
            out->end_of_candidates = TRUE;
        }
    }
    return TRUE;
}

char *hn_sdp_frag_replace_credentials(const char *sdp, const char *ufrag, const char *pwd)
{
    GString *s = g_string_new(NULL);
    const char *p = sdp;
    while (*p) {
        const char *eol = strchr(p, '\n');
        size_t n = eol ? (size_t)(eol - p + 1) : strlen(p);
        const char *cr = (n >= 2 && p[n - 2] == '\r') ? "\r\n" : eol ? "\n" : "";
        if (g_str_has_prefix(p, "a=ice-ufrag:"))
            g_string_append_printf(s, "a=ice-ufrag:%s%s", ufrag, cr);
        else if (g_str_has_prefix(p, "a=ice-pwd:"))
            g_string_append_printf(s, "a=ice-pwd:%s%s", pwd, cr);
        else
            g_string_append_len(s, p, (gssize)n);
        p += n;
    }
    return g_string_free(s, FALSE);
}

char *hn_sdp_frag_write(gboolean lite, const char *ufrag, const char *pwd, const char *mid,
                        const GPtrArray *candidates)
{
    GString *s = g_string_new(NULL);
    if (lite)
        g_string_append(s, "a=ice-lite\r\n");
    g_string_append_printf(s, "a=ice-ufrag:%s\r\na=ice-pwd:%s\r\n", ufrag, pwd);
    g_string_append(s, "m=audio 9 RTP/AVP 0\r\n");
    if (mid)
        g_string_append_printf(s, "a=mid:%s\r\n", mid);
    for (guint i = 0; candidates && i < candidates->len; i++)
        g_string_append_printf(s, "a=%s\r\n", (const char *)g_ptr_array_index(candidates, i));
    g_string_append(s, "a=end-of-candidates\r\n");
    return g_string_free(s, FALSE);
}
