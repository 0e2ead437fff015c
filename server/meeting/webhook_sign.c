/* Standard Webhooks signatures with GLib's HMAC (meeting/webhook_sign.h). */
#include "meeting/webhook_sign.h"

#include <string.h>
#include <sys/random.h>

/* The decoded key of secret, or NULL (strict base64: only its alphabet, padded to 4). */
static guint8 *secret_key(const char *secret, gsize *len)
{
    if (!secret || !g_str_has_prefix(secret, HN_WEBHOOK_SECRET_PREFIX))
        return NULL;
    const char *b64 = secret + strlen(HN_WEBHOOK_SECRET_PREFIX);
    size_t n = strlen(b64);
    if (n == 0 || n % 4 != 0 || n > 4 * ((HN_WEBHOOK_SECRET_MAX_BYTES + 2) / 3))
        return NULL;
    for (size_t i = 0; i < n; i++) {
        char c = b64[i];
        gboolean pad = c == '=' && i >= n - 2 && (i == n - 1 || b64[n - 1] == '=');
        if (!g_ascii_isalnum(c) && c != '+' && c != '/' && !pad)
            return NULL;
    }
    return g_base64_decode(b64, len);
}

gboolean hn_webhook_secret_valid(const char *secret, char **reason)
{
    gsize len = 0;
    g_autofree guint8 *key = secret_key(secret, &len);
    if (!key) {
        *reason = g_strdup("a secret is \"whsec_\" followed by base64 (docs/hooks.md)");
        return FALSE;
    }
    memset(key, 0, len);
    if (len < HN_WEBHOOK_SECRET_MIN_BYTES || len > HN_WEBHOOK_SECRET_MAX_BYTES) {
        *reason = g_strdup_printf("the secret's key is %zu bytes; it must be %d to %d", (size_t)len,
                                  HN_WEBHOOK_SECRET_MIN_BYTES, HN_WEBHOOK_SECRET_MAX_BYTES);
        return FALSE;
    }
    return TRUE;
}

char *hn_webhook_secret_new(void)
{
    guint8 raw[24];
    if (getrandom(raw, sizeof raw, 0) != (ssize_t)sizeof raw)
        g_error("no randomness from the kernel"); /* getrandom(2) does not fail on Linux >= 3.17 */
    g_autofree char *b64 = g_base64_encode(raw, sizeof raw);
    memset(raw, 0, sizeof raw);
    return g_strconcat(HN_WEBHOOK_SECRET_PREFIX, b64, NULL);
}

char *hn_webhook_sign(const char *secret, const char *msg_id, gint64 timestamp, const char *body,
                      gsize len)
{
    gsize klen = 0;
    guint8 *key = secret_key(secret, &klen);
    if (!key)
        return NULL;
    GHmac *h = g_hmac_new(G_CHECKSUM_SHA256, key, klen);
    memset(key, 0, klen);
    g_free(key);
    char ts[32];
    g_snprintf(ts, sizeof ts, "%" G_GINT64_FORMAT, timestamp);
    g_hmac_update(h, (const guchar *)msg_id, (gssize)strlen(msg_id));
    g_hmac_update(h, (const guchar *)".", 1);
    g_hmac_update(h, (const guchar *)ts, (gssize)strlen(ts));
    g_hmac_update(h, (const guchar *)".", 1);
    g_hmac_update(h, (const guchar *)body, (gssize)len);
    guint8 digest[32];
    gsize dlen = sizeof digest;
    g_hmac_get_digest(h, digest, &dlen);
    g_hmac_unref(h);
    g_autofree char *b64 = g_base64_encode(digest, dlen);
    return g_strconcat("v1,", b64, NULL);
}

gboolean hn_webhook_url_valid(const char *url, char **reason)
{
    size_t n = url ? strlen(url) : 0;
    if (n == 0 || n > 2048) {
        *reason = g_strdup("a URL of 1 to 2048 bytes is needed");
        return FALSE;
    }
    for (size_t i = 0; i < n; i++) {
        if ((unsigned char)url[i] <= ' ' || url[i] == 0x7f) {
            *reason = g_strdup("the URL has a space or a control character");
            return FALSE;
        }
    }
    GError *err = NULL;
    g_autoptr(GUri) u = g_uri_parse(url, G_URI_FLAGS_NONE, &err);
    if (!u) {
        *reason = g_strdup_printf("not a URL (%s)", err->message);
        g_error_free(err);
        return FALSE;
    }
    const char *scheme = g_uri_get_scheme(u), *host = g_uri_get_host(u);
    if (g_ascii_strcasecmp(scheme, "http") != 0 && g_ascii_strcasecmp(scheme, "https") != 0) {
        *reason = g_strdup_printf("the scheme must be http or https, not %s", scheme);
        return FALSE;
    }
    if (!host || !*host) {
        *reason = g_strdup("the URL has no host");
        return FALSE;
    }
    return TRUE;
}

static gboolean event_name_valid(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > 64)
        return FALSE;
    gboolean dot = FALSE;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c == '.') {
            if (i == 0 || s[i - 1] == '.' || i == n - 1)
                return FALSE;
            dot = TRUE;
        } else if (c == '*') {
            if (i != n - 1 || i == 0 || s[i - 1] != '.')
                return FALSE;
        } else if (!g_ascii_islower(c) && c != '_') {
            return FALSE;
        }
    }
    return dot;
}

gboolean hn_webhook_events_valid(const char *filter, char **reason)
{
    if (!filter || strcmp(filter, "*") == 0)
        return TRUE;
    g_auto(GStrv) parts = g_strsplit(filter, ",", -1);
    guint n = 0;
    for (guint i = 0; parts[i]; i++) {
        char *p = g_strstrip(parts[i]);
        if (!*p)
            continue;
        n++;
        if (strcmp(p, "*") != 0 && !event_name_valid(p)) {
            *reason = g_strdup_printf("“%s” is not an event type (like participant.joined) or a "
                                      "family (like participant.*)",
                                      p);
            return FALSE;
        }
    }
    if (n == 0) {
        *reason = g_strdup("the list is empty (leave the key out for every event)");
        return FALSE;
    }
    return TRUE;
}
