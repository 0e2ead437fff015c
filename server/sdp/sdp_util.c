/* Small string helpers of the sdp module: tokens, numbers, validation, names. */
#include "sdp/sdp_internal.h"

#include <errno.h>
#include <stdarg.h>
#include <string.h>

G_DEFINE_QUARK(hn - sdp - error - quark, hn_sdp_error)

int hn_sdp_fail(const HnSdpParser *p, GError **error, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    g_set_error(error, HN_SDP_ERROR, HN_SDP_ERROR_PARSE, "SDP line %u: %s", p->line, msg);
    g_free(msg);
    return -EINVAL;
}

const char *hn_sdp_skip_blanks(const char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    return s;
}

int hn_sdp_next_token(const char **cur, char *buf, size_t size)
{
    const char *s = hn_sdp_skip_blanks(*cur);
    if (*s == '\0')
        return 0;
    size_t n = 0;
    while (s[n] != '\0' && s[n] != ' ' && s[n] != '\t')
        n++;
    if (n >= size)
        return -1;
    memcpy(buf, s, n);
    buf[n] = '\0';
    *cur = s + n;
    return 1;
}

bool hn_sdp_parse_uint(const char *s, uint64_t max, uint64_t *out)
{
    size_t n = strlen(s);
    if (n == 0 || n > 10)
        return false;
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        v = v * 10 + (uint64_t)(s[i] - '0');
    }
    if (v > max)
        return false;
    *out = v;
    return true;
}

bool hn_sdp_copy(char *buf, size_t size, const char *s)
{
    size_t n = strlen(s);
    if (n >= size)
        return false;
    memcpy(buf, s, n + 1);
    return true;
}

bool hn_sdp_is_ice_string(const char *s, size_t min, size_t max)
{
    size_t n = 0;
    for (; s[n] != '\0'; n++) {
        char c = s[n];
        if (!g_ascii_isalnum(c) && c != '+' && c != '/')
            return false;
    }
    return n >= min && n <= max;
}

bool hn_sdp_is_token(const char *s, size_t max)
{
    size_t n = 0;
    for (; s[n] != '\0'; n++) {
        if ((unsigned char)s[n] <= 0x20 || (unsigned char)s[n] >= 0x7f)
            return false;
    }
    return n > 0 && n <= max;
}

bool hn_sdp_is_fingerprint(const char *s)
{
    size_t bytes = 0;
    for (;;) {
        if (!g_ascii_isxdigit(s[0]) || !g_ascii_isxdigit(s[1]))
            return false;
        bytes++;
        if (s[2] == '\0')
            return bytes <= 64;
        if (s[2] != ':')
            return false;
        s += 3;
    }
}

bool hn_sdp_fmtp_get(const char *fmtp, const char *key, char *val, size_t size)
{
    size_t klen = strlen(key);
    const char *s = fmtp;
    while (*s != '\0') {
        s = hn_sdp_skip_blanks(s);
        const char *end = strchr(s, ';');
        size_t n = end ? (size_t)(end - s) : strlen(s);
        if (n > klen && s[klen] == '=' && g_ascii_strncasecmp(s, key, klen) == 0) {
            size_t vlen = n - klen - 1;
            while (vlen > 0 && (s[klen + 1 + vlen - 1] == ' ' || s[klen + 1 + vlen - 1] == '\t'))
                vlen--;
            if (vlen >= size)
                return false;
            memcpy(val, s + klen + 1, vlen);
            val[vlen] = '\0';
            return true;
        }
        if (!end)
            break;
        s = end + 1;
    }
    return false;
}

void *hn_sdp_array_push(void **arr, size_t *n, size_t elem_size, size_t max)
{
    if (*n >= max)
        return NULL;
    if ((*n & (*n - 1)) == 0) /* 0, 1, 2, 4, ...: the array is full, double it */
        *arr = g_realloc_n(*arr, *n ? 2 * *n : 1, elem_size);
    char *e = (char *)*arr + *n * elem_size;
    memset(e, 0, elem_size);
    (*n)++;
    return e;
}

const char *hn_sdp_direction_name(HnSdpDirection dir)
{
    switch (dir) {
    case HN_SDP_DIR_SENDRECV:
        return "sendrecv";
    case HN_SDP_DIR_SENDONLY:
        return "sendonly";
    case HN_SDP_DIR_RECVONLY:
        return "recvonly";
    case HN_SDP_DIR_INACTIVE:
        return "inactive";
    }
    return "?";
}

const char *hn_sdp_setup_name(HnSdpSetup setup)
{
    switch (setup) {
    case HN_SDP_SETUP_NONE:
        return "none";
    case HN_SDP_SETUP_ACTPASS:
        return "actpass";
    case HN_SDP_SETUP_ACTIVE:
        return "active";
    case HN_SDP_SETUP_PASSIVE:
        return "passive";
    case HN_SDP_SETUP_HOLDCONN:
        return "holdconn";
    }
    return "?";
}
