/* srtp.c - in-place SRTP/SRTCP with libsrtp2 2.5 (int lengths: guarded against overflow). */
#include "transport/srtp.h"

#include <errno.h>
#include <limits.h>
#include <string.h>

#include <srtp2/srtp.h>

#define REPLAY_WINDOW 1024
#define RTP_HEADER    12
#define RTCP_HEADER   8
#define SRTCP_INDEX   4

struct HnSrtp {
    srtp_t in;
    srtp_t out;
    HnSrtpProfile profile;
    size_t tag_len;
    HnSrtpStats stats;
};

GQuark hn_srtp_error_quark(void)
{
    return g_quark_from_static_string("hn-srtp-error-quark");
}

/* Debian's libsrtp2 is built on NSS: every cipher opens an NSS context and closing the last
 * one shuts NSS down, so creating a session after all others were freed pays a full NSS
 * initialisation (milliseconds). One idle session kept for the process lifetime holds NSS up. */
static srtp_t nss_keeper;

/* srtp_init() once per process (plus the NSS keeper); returns the init status. */
static srtp_err_status_t srtp_global_init(void)
{
    static gsize once = 0;
    static srtp_err_status_t status = srtp_err_status_init_fail;
    if (g_once_init_enter(&once)) {
        status = srtp_init();
        if (status == srtp_err_status_ok) {
            srtp_policy_t p;
            uint8_t key[SRTP_AES_ICM_128_KEY_LEN_WSALT] = {0};
            memset(&p, 0, sizeof p);
            srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&p.rtp);
            srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&p.rtcp);
            p.ssrc.type = ssrc_any_inbound;
            p.key = key;
            if (srtp_create(&nss_keeper, &p) != srtp_err_status_ok)
                nss_keeper = NULL; /* only a performance aid */
        }
        g_once_init_leave(&once, 1);
    }
    return status;
}

static int set_crypto_policy(srtp_policy_t *p, HnSrtpProfile profile, size_t key_len,
                             size_t *tag_len)
{
    switch (profile) {
    case HN_SRTP_AEAD_AES_128_GCM:
        if (key_len != SRTP_AES_GCM_128_KEY_LEN_WSALT)
            return -EINVAL;
        srtp_crypto_policy_set_aes_gcm_128_16_auth(&p->rtp);
        srtp_crypto_policy_set_aes_gcm_128_16_auth(&p->rtcp);
        *tag_len = 16;
        return 0;
    case HN_SRTP_AES128_CM_SHA1_80:
        if (key_len != SRTP_AES_ICM_128_KEY_LEN_WSALT)
            return -EINVAL;
        srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&p->rtp);
        srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&p->rtcp);
        *tag_len = 10;
        return 0;
    }
    return -EINVAL;
}

/* One session with a wildcard SSRC. @key is copied by libsrtp. */
static srtp_err_status_t create_session(srtp_t *session, const srtp_policy_t *base,
                                        srtp_ssrc_type_t type, const uint8_t *key)
{
    srtp_policy_t p = *base;
    uint8_t key_copy[HN_SRTP_MASTER_MAX];
    memcpy(key_copy, key, sizeof key_copy);
    p.ssrc.type = type;
    p.ssrc.value = 0;
    p.key = key_copy;
    p.next = NULL;
    srtp_err_status_t st = srtp_create(session, &p);
    memset(key_copy, 0, sizeof key_copy);
    return st;
}

HnSrtp *hn_srtp_new(const HnSrtpKeys *keys, GError **error)
{
    g_return_val_if_fail(keys != NULL, NULL);
    g_return_val_if_fail(error == NULL || *error == NULL, NULL);
    srtp_err_status_t st = srtp_global_init();
    if (st != srtp_err_status_ok) {
        g_set_error(error, HN_SRTP_ERROR, 0, "srtp_init failed (%d)", (int)st);
        return NULL;
    }
    srtp_policy_t policy;
    memset(&policy, 0, sizeof policy);
    size_t tag_len = 0;
    if (set_crypto_policy(&policy, keys->profile, keys->key_len, &tag_len) != 0) {
        g_set_error(error, HN_SRTP_ERROR, 0, "bad SRTP profile %d or key length %zu",
                    (int)keys->profile, keys->key_len);
        return NULL;
    }
    policy.window_size = REPLAY_WINDOW;
    policy.allow_repeat_tx = 1;

    HnSrtp *srtp = g_new0(HnSrtp, 1);
    srtp->profile = keys->profile;
    srtp->tag_len = tag_len;
    st = create_session(&srtp->in, &policy, ssrc_any_inbound, keys->remote_key);
    if (st == srtp_err_status_ok)
        st = create_session(&srtp->out, &policy, ssrc_any_outbound, keys->local_key);
    if (st != srtp_err_status_ok) {
        g_set_error(error, HN_SRTP_ERROR, 0, "srtp_create failed (%d)", (int)st);
        hn_srtp_free(srtp);
        return NULL;
    }
    return srtp;
}

void hn_srtp_free(HnSrtp *srtp)
{
    if (srtp == NULL)
        return;
    if (srtp->in != NULL)
        srtp_dealloc(srtp->in); /* libsrtp zeroizes its key material */
    if (srtp->out != NULL)
        srtp_dealloc(srtp->out);
    g_free(srtp);
}

/* Length of the RTP header (with CSRCs and extension) or 0 if @buf is not valid RTP. */
static size_t rtp_header_len(const uint8_t *buf, size_t len)
{
    if (len < RTP_HEADER || buf[0] >> 6 != 2)
        return 0;
    size_t h = RTP_HEADER + 4u * (buf[0] & 0x0f);
    if (buf[0] & 0x10) {
        if (len < h + 4)
            return 0;
        h += 4 + 4u * ((size_t)buf[h + 2] << 8 | buf[h + 3]);
    }
    return h <= len ? h : 0;
}

static int map_status(HnSrtp *srtp, srtp_err_status_t st)
{
    switch (st) {
    case srtp_err_status_ok:
        return 0;
    case srtp_err_status_auth_fail:
    case srtp_err_status_cipher_fail: /* NSS reports an AEAD tag mismatch as a cipher failure */
        srtp->stats.auth_fail++;
        return -EINVAL;
    case srtp_err_status_replay_fail:
    case srtp_err_status_replay_old:
        srtp->stats.replay++;
        return -EINVAL;
    case srtp_err_status_bad_param:
    case srtp_err_status_parse_err:
    case srtp_err_status_bad_mki:
        srtp->stats.malformed++;
        return -EINVAL;
    default:
        srtp->stats.other_fail++;
        return -EIO;
    }
}

/* Common checks before protect: header sane, room for @overhead, fits libsrtp's int. */
static int check_protect(HnSrtp *srtp, gboolean valid, size_t len, size_t cap, size_t overhead)
{
    if (!valid) {
        srtp->stats.malformed++;
        return -EINVAL;
    }
    if (len > (size_t)INT_MAX - overhead)
        return -ENOSPC;
    if (cap < len + overhead)
        return -ENOSPC;
    return 0;
}

static gboolean rtcp_valid(const uint8_t *buf, size_t len)
{
    return len >= RTCP_HEADER && buf[0] >> 6 == 2;
}

int hn_srtp_protect_rtp(HnSrtp *srtp, uint8_t *buf, size_t *len, size_t cap)
{
    g_return_val_if_fail(srtp != NULL && buf != NULL && len != NULL, -EINVAL);
    int r = check_protect(srtp, rtp_header_len(buf, *len) != 0, *len, cap, srtp->tag_len);
    if (r != 0)
        return r;
    int n = (int)*len;
    r = map_status(srtp, srtp_protect(srtp->out, buf, &n));
    if (r == 0)
        *len = (size_t)n;
    return r;
}

int hn_srtp_protect_rtcp(HnSrtp *srtp, uint8_t *buf, size_t *len, size_t cap)
{
    g_return_val_if_fail(srtp != NULL && buf != NULL && len != NULL, -EINVAL);
    int r = check_protect(srtp, rtcp_valid(buf, *len), *len, cap, SRTCP_INDEX + srtp->tag_len);
    if (r != 0)
        return r;
    int n = (int)*len;
    r = map_status(srtp, srtp_protect_rtcp(srtp->out, buf, &n));
    if (r == 0)
        *len = (size_t)n;
    return r;
}

int hn_srtp_unprotect_rtp(HnSrtp *srtp, uint8_t *buf, size_t *len)
{
    g_return_val_if_fail(srtp != NULL && buf != NULL && len != NULL, -EINVAL);
    size_t h = rtp_header_len(buf, *len);
    if (h == 0 || *len < h + srtp->tag_len || *len > INT_MAX) {
        srtp->stats.malformed++;
        return -EINVAL;
    }
    int n = (int)*len;
    int r = map_status(srtp, srtp_unprotect(srtp->in, buf, &n));
    if (r == 0)
        *len = (size_t)n;
    return r;
}

int hn_srtp_unprotect_rtcp(HnSrtp *srtp, uint8_t *buf, size_t *len)
{
    g_return_val_if_fail(srtp != NULL && buf != NULL && len != NULL, -EINVAL);
    if (!rtcp_valid(buf, *len) || *len < RTCP_HEADER + SRTCP_INDEX + srtp->tag_len ||
        *len > INT_MAX) {
        srtp->stats.malformed++;
        return -EINVAL;
    }
    int n = (int)*len;
    int r = map_status(srtp, srtp_unprotect_rtcp(srtp->in, buf, &n));
    if (r == 0)
        *len = (size_t)n;
    return r;
}

size_t hn_srtp_rtp_overhead(HnSrtp *srtp)
{
    g_return_val_if_fail(srtp != NULL, 0);
    return srtp->tag_len;
}

size_t hn_srtp_rtcp_overhead(HnSrtp *srtp)
{
    g_return_val_if_fail(srtp != NULL, 0);
    return SRTCP_INDEX + srtp->tag_len;
}

HnSrtpProfile hn_srtp_get_profile(HnSrtp *srtp)
{
    g_return_val_if_fail(srtp != NULL, HN_SRTP_AES128_CM_SHA1_80);
    return srtp->profile;
}

void hn_srtp_get_stats(HnSrtp *srtp, HnSrtpStats *out)
{
    g_return_if_fail(srtp != NULL && out != NULL);
    *out = srtp->stats;
}
