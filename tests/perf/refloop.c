/* refloop: the physical reference for the forwarding hot path (issue 3). One thread receives SRTP
 * packets from a UDP socket on 127.0.0.1 (recvmmsg), unprotects each once, and forwards it to N
 * subscriber sockets, protecting it once per subscriber, in sendmmsg batches. No ICE, no DTLS, no
 * routing: what remains is the cost the kernel and the cipher impose, which no SFU on this
 * machine can beat. It prints forwarded packets per CPU-second of the forwarding thread for:
 *   srtp-gcm  libsrtp2 (Debian's, on NSS) with AEAD_AES_128_GCM, as hoinghi negotiates with
 * browsers srtp-cm   libsrtp2 with AES_CM_128_HMAC_SHA1_80 evp-gcm   OpenSSL EVP AES-128-GCM on the
 * payload directly (what an OpenSSL build of libsrtp would cost, roughly) Usage: refloop
 * [--subscribers N] [--seconds S] [--size BYTES] [--mode srtp-gcm|srtp-cm|evp-gcm|all] A benchmark,
 * not a test. */
#include <errno.h>
#include <glib.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "transport/srtp.h"

#define BATCH   32
#define MAX_SUB 256
#define PKT_CAP 1500

typedef enum { MODE_SRTP_GCM, MODE_SRTP_CM, MODE_EVP_GCM } Mode;

typedef struct {
    Mode mode;
    int subs, size;
    double seconds;
    volatile gboolean stop;
    uint64_t sent_by_source;
    int src_fd, fwd_fd, out_fd;
    struct sockaddr_in fwd_addr, sub_addr[MAX_SUB];
    int sub_fd[MAX_SUB];
} Ctx;

static double now_s(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int udp_socket(struct sockaddr_in *bound)
{
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    int big = 4 << 20;
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &big, sizeof big);
    setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &big, sizeof big);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof a;
    if (bind(fd, (struct sockaddr *)&a, sizeof a) < 0 ||
        getsockname(fd, (struct sockaddr *)&a, &len) < 0) {
        perror("bind");
        exit(1);
    }
    if (bound)
        *bound = a;
    return fd;
}

static HnSrtpKeys keys_for(HnSrtpProfile profile, uint8_t seed, gboolean swap)
{
    HnSrtpKeys k = {.profile = profile, .key_len = profile == HN_SRTP_AEAD_AES_128_GCM ? 28 : 30};
    for (size_t i = 0; i < k.key_len; i++) {
        k.local_key[i] = (uint8_t)(seed + i);
        k.remote_key[i] = (uint8_t)(seed * 7 + i);
    }
    if (swap) {
        uint8_t t[32];
        memcpy(t, k.local_key, 32);
        memcpy(k.local_key, k.remote_key, 32);
        memcpy(k.remote_key, t, 32);
    }
    return k;
}

/* The publisher: paced only by the socket buffer; the forwarder is the bottleneck. */
static gpointer source_thread(gpointer data)
{
    Ctx *c = data;
    HnSrtpProfile prof =
        c->mode == MODE_SRTP_CM ? HN_SRTP_AES128_CM_SHA1_80 : HN_SRTP_AEAD_AES_128_GCM;
    HnSrtpKeys k = keys_for(prof, 1, TRUE);
    HnSrtp *srtp = c->mode == MODE_EVP_GCM ? NULL : hn_srtp_new(&k, NULL);
    uint8_t pkt[PKT_CAP];
    uint16_t seq = 0;
    uint32_t ts = 0;
    while (!c->stop) {
        memset(pkt, 0xab, sizeof pkt);
        pkt[0] = 0x80;
        pkt[1] = 96;
        pkt[2] = seq >> 8;
        pkt[3] = seq & 0xff;
        pkt[4] = ts >> 24, pkt[5] = ts >> 16, pkt[6] = ts >> 8, pkt[7] = ts;
        pkt[8] = 0x11, pkt[9] = 0x22, pkt[10] = 0x33, pkt[11] = 0x44;
        size_t len = (size_t)c->size;
        if (srtp)
            hn_srtp_protect_rtp(srtp, pkt, &len, sizeof pkt);
        else
            len += 16;
        if (sendto(c->src_fd, pkt, len, 0, (struct sockaddr *)&c->fwd_addr, sizeof c->fwd_addr) <
            0) {
            if (errno == EAGAIN || errno == ENOBUFS)
                g_usleep(50);
            continue;
        }
        c->sent_by_source++;
        seq++;
        ts += 3000;
        if ((seq & 255) == 0)
            g_usleep(100); /* leave the forwarder some room on 2 cores */
    }
    hn_srtp_free(srtp);
    return NULL;
}

static int evp_gcm(EVP_CIPHER_CTX *ctx, const uint8_t *key, uint8_t *buf, size_t hdr, size_t len,
                   gboolean enc)
{
    uint8_t iv[12] = {0};
    memcpy(iv, buf + 2, 10); /* seq + ts + part of ssrc: unique enough for a benchmark */
    int out = 0, fin = 0;
    if (!EVP_CipherInit_ex(ctx, EVP_aes_128_gcm(), NULL, key, iv, enc) ||
        !EVP_CipherUpdate(ctx, NULL, &out, buf, (int)hdr))
        return -1;
    if (!enc)
        EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, 16, buf + len - 16);
    size_t body = enc ? len - hdr : len - hdr - 16;
    if (!EVP_CipherUpdate(ctx, buf + hdr, &out, buf + hdr, (int)body))
        return -1;
    EVP_CipherFinal_ex(ctx, buf + hdr + out, &fin); /* the benchmark's tags are fake: ignore */
    if (enc)
        EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, 16, buf + len);
    return 0;
}

/* Forwards for c->seconds; returns forwarded packets and the thread's CPU seconds. */
static void forward(Ctx *c, uint64_t *forwarded, double *cpu, double *wall)
{
    HnSrtpProfile prof =
        c->mode == MODE_SRTP_CM ? HN_SRTP_AES128_CM_SHA1_80 : HN_SRTP_AEAD_AES_128_GCM;
    HnSrtpKeys in_keys = keys_for(prof, 1, FALSE);
    HnSrtp *in = NULL, *out[MAX_SUB] = {0};
    EVP_CIPHER_CTX *evp = EVP_CIPHER_CTX_new();
    uint8_t evp_key[16] = {1, 2, 3};
    if (c->mode != MODE_EVP_GCM) {
        in = hn_srtp_new(&in_keys, NULL);
        for (int i = 0; i < c->subs; i++) {
            HnSrtpKeys k = keys_for(prof, (uint8_t)(10 + i), FALSE);
            out[i] = hn_srtp_new(&k, NULL);
        }
    }
    static uint8_t rx[BATCH][PKT_CAP], tx[BATCH][PKT_CAP];
    struct mmsghdr rmsg[BATCH], smsg[BATCH];
    struct iovec riov[BATCH], siov[BATCH];
    memset(rmsg, 0, sizeof rmsg);
    for (int i = 0; i < BATCH; i++) {
        riov[i] = (struct iovec){rx[i], PKT_CAP};
        rmsg[i].msg_hdr.msg_iov = &riov[i];
        rmsg[i].msg_hdr.msg_iovlen = 1;
    }
    uint64_t n = 0;
    double c0 = now_s(CLOCK_THREAD_CPUTIME_ID), w0 = now_s(CLOCK_MONOTONIC);
    while (now_s(CLOCK_MONOTONIC) - w0 < c->seconds) {
        struct timespec to = {0, 100 * 1000 * 1000};
        int got = recvmmsg(c->fwd_fd, rmsg, BATCH, MSG_WAITFORONE, &to);
        if (got <= 0)
            continue;
        int queued = 0;
        for (int i = 0; i < got; i++) {
            size_t len = rmsg[i].msg_len;
            if (in ? hn_srtp_unprotect_rtp(in, rx[i], &len) < 0
                   : evp_gcm(evp, evp_key, rx[i], 12, len, FALSE) < 0)
                continue;
            if (!in)
                len -= 16;
            for (int s = 0; s < c->subs; s++) {
                uint8_t *p = tx[queued];
                memcpy(p, rx[i], len);
                size_t olen = len;
                if (out[s])
                    hn_srtp_protect_rtp(out[s], p, &olen, PKT_CAP);
                else if (evp_gcm(evp, evp_key, p, 12, olen, TRUE) == 0)
                    olen += 16;
                siov[queued] = (struct iovec){p, olen};
                memset(&smsg[queued], 0, sizeof smsg[queued]);
                smsg[queued].msg_hdr.msg_iov = &siov[queued];
                smsg[queued].msg_hdr.msg_iovlen = 1;
                smsg[queued].msg_hdr.msg_name = &c->sub_addr[s];
                smsg[queued].msg_hdr.msg_namelen = sizeof c->sub_addr[s];
                if (++queued == BATCH) {
                    sendmmsg(c->out_fd, smsg, queued, MSG_DONTWAIT);
                    queued = 0;
                }
                n++;
            }
        }
        if (queued)
            sendmmsg(c->out_fd, smsg, queued, MSG_DONTWAIT);
    }
    *cpu = now_s(CLOCK_THREAD_CPUTIME_ID) - c0;
    *wall = now_s(CLOCK_MONOTONIC) - w0;
    *forwarded = n;
    hn_srtp_free(in);
    for (int i = 0; i < c->subs; i++)
        hn_srtp_free(out[i]);
    EVP_CIPHER_CTX_free(evp);
}

static const char *mode_name(Mode m)
{
    return m == MODE_SRTP_GCM ? "srtp-gcm" : m == MODE_SRTP_CM ? "srtp-cm" : "evp-gcm";
}

static void run(Mode mode, int subs, int size, double seconds)
{
    Ctx c = {.mode = mode, .subs = subs, .size = size, .seconds = seconds};
    c.src_fd = udp_socket(NULL);
    c.fwd_fd = udp_socket(&c.fwd_addr);
    c.out_fd = udp_socket(NULL);
    for (int i = 0; i < subs; i++)
        c.sub_fd[i] = udp_socket(&c.sub_addr[i]); /* never read: the kernel drops at the socket */
    GThread *src = g_thread_new("source", source_thread, &c);
    uint64_t fwd;
    double cpu, wall;
    forward(&c, &fwd, &cpu, &wall);
    c.stop = TRUE;
    g_thread_join(src);
    printf("%-9s subscribers=%-3d size=%-4d forwarded=%-9" G_GUINT64_FORMAT
           " cpu=%.2fs wall=%.2fs  => %.0f forwarded packets per CPU-second (%.2f us/packet)\n",
           mode_name(mode), subs, size, fwd, cpu, wall, fwd / cpu, cpu * 1e6 / (double)fwd);
    printf("RESULT {\"mode\":\"%s\",\"subscribers\":%d,\"size\":%d,\"forwarded\":%" G_GUINT64_FORMAT
           ",\"cpu_s\":%.3f,\"pps_per_cpu\":%.0f}\n",
           mode_name(mode), subs, size, fwd, cpu, fwd / cpu);
    close(c.src_fd);
    close(c.fwd_fd);
    close(c.out_fd);
    for (int i = 0; i < subs; i++)
        close(c.sub_fd[i]);
}

int main(int argc, char **argv)
{
    int subs = 20, size = 1200;
    double seconds = 5;
    char *mode = NULL;
    GOptionEntry entries[] = {
        {"subscribers", 'n', 0, G_OPTION_ARG_INT, &subs, "Subscribers per packet (1..256)", "N"},
        {"seconds", 's', 0, G_OPTION_ARG_DOUBLE, &seconds, "Duration per mode", "S"},
        {"size", 0, 0, G_OPTION_ARG_INT, &size, "RTP packet size (100..1400)", "BYTES"},
        {"mode", 'm', 0, G_OPTION_ARG_STRING, &mode, "srtp-gcm, srtp-cm, evp-gcm or all", "MODE"},
        {NULL, 0, 0, 0, NULL, NULL, NULL}};
    GOptionContext *o = g_option_context_new("- reference forwarding loop (benchmark)");
    g_option_context_add_main_entries(o, entries, NULL);
    GError *err = NULL;
    if (!g_option_context_parse(o, &argc, &argv, &err) || subs < 1 || subs > MAX_SUB ||
        size < 100 || size > 1400) {
        fprintf(stderr, "refloop: %s\n", err ? err->message : "bad arguments");
        return 2;
    }
    g_option_context_free(o);
    const char *m = mode ? mode : "all";
    if (!strcmp(m, "all") || !strcmp(m, "srtp-gcm"))
        run(MODE_SRTP_GCM, subs, size, seconds);
    if (!strcmp(m, "all") || !strcmp(m, "srtp-cm"))
        run(MODE_SRTP_CM, subs, size, seconds);
    if (!strcmp(m, "all") || !strcmp(m, "evp-gcm"))
        run(MODE_EVP_GCM, subs, size, seconds);
    g_free(mode);
    return 0;
}
