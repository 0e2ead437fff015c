/* bench_srtp.c - SRTP protect/unprotect throughput for 1200-byte RTP packets (not a test).
 * Usage: bench_srtp [cpu-seconds-per-measurement]   (default 1.0)
 * Rates are per CPU-second of one thread (wall-clock rates suffer on a shared machine). */
#include <stdio.h>
#include <time.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "transport/srtp.h"

#define PAYLOAD 1188 /* + 12-byte header = 1200 */

/* CPU time of this thread in microseconds: rates stay meaningful on a shared, loaded machine. */
static int64_t cpu_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (int64_t)ts.tv_sec * G_USEC_PER_SEC + ts.tv_nsec / 1000;
}

static void fill_keys(HnSrtpKeys *tx, HnSrtpKeys *rx, HnSrtpProfile profile)
{
    memset(tx, 0, sizeof *tx);
    tx->profile = profile;
    tx->key_len = profile == HN_SRTP_AEAD_AES_128_GCM ? 28 : 30;
    for (size_t i = 0; i < HN_SRTP_MASTER_MAX; i++) {
        tx->local_key[i] = (uint8_t)(i * 13 + 1);
        tx->remote_key[i] = (uint8_t)(i * 29 + 7);
    }
    *rx = *tx;
    memcpy(rx->local_key, tx->remote_key, sizeof rx->local_key);
    memcpy(rx->remote_key, tx->local_key, sizeof rx->remote_key);
}

static void make_packet(uint8_t *buf, uint16_t seq)
{
    buf[0] = 0x80;
    buf[1] = 96;
    buf[2] = (uint8_t)(seq >> 8);
    buf[3] = (uint8_t)seq;
    buf[4] = buf[5] = buf[6] = buf[7] = 0;
    buf[8] = 0x12;
    buf[9] = 0x34;
    buf[10] = 0x56;
    buf[11] = 0x78;
}

/* Returns operations per second; protects (and optionally unprotects) packets for @seconds. */
static double run(HnSrtpProfile profile, gboolean unprotect, double seconds)
{
    HnSrtpKeys ktx, krx;
    fill_keys(&ktx, &krx, profile);
    HnSrtp *tx = hn_srtp_new(&ktx, NULL);
    HnSrtp *rx = hn_srtp_new(&krx, NULL);
    if (tx == NULL || rx == NULL) {
        fprintf(stderr, "hn_srtp_new failed\n");
        exit(1);
    }
    uint8_t buf[1500];
    memset(buf, 0xa5, sizeof buf);
    uint64_t ops = 0;
    uint16_t seq = 0;
    int64_t start = cpu_now();
    int64_t end = start + (int64_t)(seconds * G_USEC_PER_SEC);
    int64_t now = start;
    while (now < end) {
        for (int i = 0; i < 256; i++) {
            make_packet(buf, seq++);
            size_t len = 12 + PAYLOAD;
            if (hn_srtp_protect_rtp(tx, buf, &len, sizeof buf) != 0) {
                fprintf(stderr, "protect failed\n");
                exit(1);
            }
            if (unprotect && hn_srtp_unprotect_rtp(rx, buf, &len) != 0) {
                fprintf(stderr, "unprotect failed\n");
                exit(1);
            }
            ops++;
        }
        now = cpu_now();
    }
    hn_srtp_free(tx);
    hn_srtp_free(rx);
    return (double)ops / ((double)(now - start) / G_USEC_PER_SEC);
}

static double session_setup_rate(HnSrtpProfile profile)
{
    HnSrtpKeys ktx, krx;
    fill_keys(&ktx, &krx, profile);
    int n = 2000;
    int64_t start = cpu_now();
    for (int i = 0; i < n; i++)
        hn_srtp_free(hn_srtp_new(&ktx, NULL));
    return n / ((double)(cpu_now() - start) / G_USEC_PER_SEC);
}

int main(int argc, char **argv)
{
    double seconds = argc > 1 ? atof(argv[1]) : 1.0;
    if (seconds <= 0)
        seconds = 1.0;
    const HnSrtpProfile profiles[] = {HN_SRTP_AEAD_AES_128_GCM, HN_SRTP_AES128_CM_SHA1_80};
    printf("%-24s %14s %10s %20s %14s\n", "profile (1200-byte RTP)", "protect/s", "Gbit/s",
           "protect+unprotect/s", "sessions/s");
    for (size_t i = 0; i < G_N_ELEMENTS(profiles); i++) {
        double p = run(profiles[i], FALSE, seconds);
        double pu = run(profiles[i], TRUE, seconds);
        double s = session_setup_rate(profiles[i]);
        printf("%-24s %14.0f %10.2f %20.0f %14.0f\n", hn_srtp_profile_name(profiles[i]), p,
               p * 1200 * 8 / 1e9, pu, s);
    }
    return 0;
}
