/* router_fwd: instruction cost of the forwarding hot path in user space, for callgrind (issue 7,
 * "write into the send slot"). One publisher, N subscriber legs; each leg does what the WebRTC
 * leg does with the UDP mux: take a send-queue slot, copy the router's packet into it, SRTP
 * protect it there (AES-128-GCM, libsrtp2), commit. The queue is a 64-slot array emptied when
 * full (the kernel's sendmmsg is not user-space work and callgrind does not see it).
 *   copy     today: router scratch -> slot copy -> protect in the slot (two copies per subscriber)
 *   inplace  the proposal's cost: the leg protects the router's buffer where it is and commits a
 *            slot without copying (what a router writing straight into the slot would cost: one
 *            copy per subscriber)
 *   twcc     (5th argument) every subscriber transport has transport-cc: the router stamps its
 *            transport-wide sequence number extension and records each send for its estimator
 *   HN_BENCH_RECORD=DIR (environment): the producer is recorded as in a meeting (a router tap
 *            copying each packet into the recorder's bounded queue; the recorder thread writes
 *            DIR/archive/...); the wall time of the loop is printed, to compare with a run
 *            without it (docs/benchmarks.md, "Recording")
 * Usage: valgrind --tool=callgrind --toggle-collect=bench_loop router_fwd copy|inplace [subs]
 *        [packets] [size] [twcc]. A benchmark, not a test. */
#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/leg.h"
#include "core/router.h"
#include "core/rtp.h"
#include "record/recorder.h"
#include "transport/srtp.h"

#define SLOTS    64
#define SLOT_CAP 1500

typedef struct {
    uint8_t data[SLOTS][SLOT_CAP];
    size_t len[SLOTS];
    unsigned used;
    uint64_t bytes;
} Queue;

typedef struct {
    HnLeg base;
    HnSrtp *srtp;
    Queue *q;
    bool inplace;
} BenchLeg;

static uint8_t *queue_reserve(Queue *q)
{
    if (q->used == SLOTS)
        q->used = 0; /* "sendmmsg" */
    return q->data[q->used];
}

static void queue_commit(Queue *q, size_t len)
{
    q->len[q->used++] = len;
    q->bytes += len;
}

static void leg_send_rtp(HnLeg *leg, uint8_t *buf, size_t len, size_t cap)
{
    BenchLeg *l = (BenchLeg *)leg;
    uint8_t *slot = queue_reserve(l->q);
    if (!l->inplace) {
        memcpy(slot, buf, len);
        buf = slot;
        cap = SLOT_CAP;
    }
    size_t n = len;
    if (hn_srtp_protect_rtp(l->srtp, buf, &n, cap) != 0)
        abort();
    queue_commit(l->q, n);
}

static void leg_send_rtcp(HnLeg *leg, const uint8_t *buf, size_t len) {}

static const HnLegClass bench_class = {
    .name = "bench", .send_rtp = leg_send_rtp, .send_rtcp = leg_send_rtcp};

static const uint8_t VP8_KEY[] = {0x10, 0x00, 0x00, 0x00, 0x9d, 0x01, 0x2a, 0x80, 0x02};

/* Kept out of line so callgrind can collect only this (--toggle-collect=bench_loop). */
__attribute__((noinline)) void bench_loop(HnRouter *r, uint8_t *pkt, size_t len, int packets,
                                          int64_t *now);
__attribute__((noinline)) void bench_loop(HnRouter *r, uint8_t *pkt, size_t len, int packets,
                                          int64_t *now)
{
    for (int i = 0; i < packets; i++) {
        hn_rtp_set_seq(pkt, (uint16_t)(1000 + i));
        hn_rtp_set_ts(pkt, 3000u * (unsigned)i);
        *now += 1000;
        if (hn_router_on_rtp(r, 1, pkt, len, *now) != 0)
            abort();
        if (hn_router_next_deadline(r) <= *now)
            hn_router_on_timeout(r, *now);
    }
}

static void rec_tap(void *user, uint32_t producer_id, const HnTapPacket *p, int64_t now_us)
{
    (void)now_us;
    hn_rec_session_rtp(user, producer_id, p->buf, p->len, p->codec, p->pt, p->clock_rate,
                       p->is_keyframe);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: router_fwd copy|inplace [subs] [packets] [size]\n");
        return 2;
    }
    bool inplace = strcmp(argv[1], "inplace") == 0;
    int subs = argc > 2 ? atoi(argv[2]) : 20;
    int packets = argc > 3 ? atoi(argv[3]) : 2000;
    size_t size = argc > 4 ? (size_t)atoi(argv[4]) : 1200;
    bool twcc = argc > 5 && strcmp(argv[5], "twcc") == 0;
    if (subs < 1 || subs > 1000 || packets < 1 || size < 12 + sizeof(VP8_KEY) ||
        size > HN_ROUTER_MAX_PACKET)
        return 2;

    static Queue q;
    HnRouter *r = hn_router_new(NULL, NULL);
    BenchLeg pub = {.base = {.cls = &bench_class}, .q = &q};
    hn_router_add_transport(r, 1, 0x1111, &pub.base);
    HnCodec vp8 = {.id = HN_CODEC_VP8,
                   .kind = HN_KIND_VIDEO,
                   .pt = 96,
                   .clock_rate = 90000,
                   .feedback = HN_FB_NACK | HN_FB_PLI};
    hn_router_add_producer(r, 1, 1, &vp8, 0xabcd);
    BenchLeg *legs = g_new0(BenchLeg, (gsize)subs);
    for (int i = 0; i < subs; i++) {
        HnSrtpKeys k = {.profile = HN_SRTP_AEAD_AES_128_GCM, .key_len = 28};
        for (size_t b = 0; b < HN_SRTP_MASTER_MAX; b++)
            k.local_key[b] = k.remote_key[b] = (uint8_t)(b * 7 + (size_t)i);
        legs[i] = (BenchLeg){.base = {.cls = &bench_class}, .q = &q, .inplace = inplace};
        legs[i].srtp = hn_srtp_new(&k, NULL);
        if (!legs[i].srtp)
            abort();
        uint32_t tid = 100 + (uint32_t)i;
        hn_router_add_transport(r, tid, 0x2000 + tid, &legs[i].base);
        if (twcc)
            hn_router_set_transport_cc(r, tid, 5, NULL);
        hn_router_add_consumer(r, 1000 + (uint32_t)i, 1, tid, 0x5000 + (uint32_t)i, 100);
    }

    uint8_t pkt[HN_ROUTER_MAX_PACKET];
    memset(pkt, 0xa5, sizeof(pkt));
    pkt[0] = 0x80;
    pkt[1] = 96;
    hn_wr32(pkt + 8, 0xabcd);
    memcpy(pkt + 12, VP8_KEY, sizeof(VP8_KEY)); /* every packet a key frame start: none gated */
    const char *rec_dir = g_getenv("HN_BENCH_RECORD");
    HnRecorder *rec = NULL;
    HnRecSession *sess = NULL;
    if (rec_dir) {
        HnRecorderConfig rc = {.data_dir = rec_dir, .reserve_mb = 0};
        rec = hn_recorder_new(&rc);
        HnRecInfo info = {.room = "bench",
                          .meeting_id = 1,
                          .meeting_started_ms = 1,
                          .by = "bench",
                          .reason = "auto"};
        sess = hn_rec_session_start(rec, &info, NULL);
        hn_rec_session_track(sess, 1, "p1", "bench", "video", "camera");
        hn_router_add_tap(r, &(HnRouterTap){.on_rtp = rec_tap}, sess);
    }
    int64_t now = 1000000;
    int64_t t0 = g_get_monotonic_time();
    bench_loop(r, pkt, size, packets, &now);
    int64_t t1 = g_get_monotonic_time();
    if (rec) {
        HnRecorderStats rs;
        hn_recorder_get_stats(rec, &rs);
        printf("recorder: %" G_GUINT64_FORMAT " packets written, %" G_GUINT64_FORMAT
               " dropped (queue full)\n",
               rs.packets, rs.drops_queue);
        hn_rec_session_stop(sess, NULL, "bench");
        hn_rec_session_unref(sess);
        hn_recorder_free(rec);
    }
    printf("loop: %.1f ms, %.0f packets in/s%s\n", (t1 - t0) / 1000.0,
           packets * 1e6 / (double)MAX(t1 - t0, 1), rec ? " (recorded)" : "");

    HnRouterStats st;
    hn_router_get_stats(r, &st);
    printf("%s%s: %d subscribers, %d packets of %zu bytes: %" G_GUINT64_FORMAT
           " forwarded, %" G_GUINT64_FORMAT " bytes queued\n",
           inplace ? "inplace" : "copy", twcc ? " twcc" : "", subs, packets, size,
           st.rtp_out_packets, q.bytes);
    for (int i = 0; i < subs; i++)
        hn_srtp_free(legs[i].srtp);
    g_free(legs);
    hn_router_free(r);
    return 0;
}
