/* The room shell with legs that are not browsers: a room system publishing audio and video and a
 * recorder receiving everything, both in-process legs (core/local_leg.h) on a real worker
 * thread, the room system fed from another thread through an inject ring. Asserts what the
 * recorder receives and what the participants are told. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>
#include <errno.h>
#include <pthread.h>
#include <string.h>

#include "app/room.h"
#include "core/local_leg.h"
#include "core/rtp.h"
#include "transport/inject.h"

#define HALL     1
#define RECORDER 2
#define HALL2    3

/* pthread locks, not GLib's: ThreadSanitizer sees only these (GLib is not instrumented). */
typedef struct {
    pthread_mutex_t lock;
    HnWorkerPool *pool;
    HnWorker *worker;
    HnRoom *room;
    HnLeg *hall_leg, *rec_leg;
    /* what the recorder saw */
    GArray *rec_ssrcs;   /* uint32_t of every RTP packet */
    GArray *rec_streams; /* HnLegStream (strings dropped) of the last set_streams */
    unsigned rec_stream_calls;
    unsigned hall_rtp; /* RTP the hall received */
    GPtrArray *told;   /* "pid:type" of every output delivered */
    HnInjectRing *ring;
} Fx;

/* --- running on the worker ---------------------------------------------------------------- */

typedef struct {
    Fx *f;
    void (*fn)(Fx *f, void *arg);
    void *arg;
    gboolean done;
    pthread_cond_t cond;
} Call;

static gboolean call_run(gpointer data)
{
    Call *c = data;
    c->fn(c->f, c->arg);
    pthread_mutex_lock(&c->f->lock);
    c->done = TRUE;
    pthread_cond_signal(&c->cond);
    pthread_mutex_unlock(&c->f->lock);
    return G_SOURCE_REMOVE;
}

/* Runs fn(f, arg) on the room's worker thread and waits for it. */
static void on_worker(Fx *f, void (*fn)(Fx *, void *), void *arg)
{
    Call c = {.f = f, .fn = fn, .arg = arg};
    pthread_cond_init(&c.cond, NULL);
    hn_worker_invoke(f->worker, call_run, &c, NULL);
    pthread_mutex_lock(&f->lock);
    while (!c.done)
        pthread_cond_wait(&c.cond, &f->lock);
    pthread_mutex_unlock(&f->lock);
    pthread_cond_destroy(&c.cond);
}

static void deliver(void *user, uint64_t pid, const HnRoomOut *out)
{
    Fx *f = user;
    pthread_mutex_lock(&f->lock);
    g_ptr_array_add(f->told, g_strdup_printf("%" G_GUINT64_FORMAT ":%d:%d", pid, out->type,
                                             out->event ? (int)out->event->type : -1));
    pthread_mutex_unlock(&f->lock);
}

static void kick(void *user, uint64_t pid, const char *reason) {}

static void rec_recv(void *user, HnLeg *leg, bool rtcp, const uint8_t *buf, size_t len)
{
    Fx *f = user;
    if (rtcp || len < 12)
        return;
    uint32_t ssrc = hn_rd32(buf + 8);
    pthread_mutex_lock(&f->lock);
    g_array_append_val(f->rec_ssrcs, ssrc);
    pthread_mutex_unlock(&f->lock);
}

static void rec_streams(void *user, HnLeg *leg, const HnLegStream *st, size_t n)
{
    Fx *f = user;
    pthread_mutex_lock(&f->lock);
    g_array_set_size(f->rec_streams, 0);
    for (size_t i = 0; i < n; i++) {
        HnLegStream s = st[i];
        s.participant = s.track_id = NULL;
        g_array_append_val(f->rec_streams, s);
    }
    f->rec_stream_calls++;
    pthread_mutex_unlock(&f->lock);
}

static void hall_recv(void *user, HnLeg *leg, bool rtcp, const uint8_t *buf, size_t len)
{
    Fx *f = user;
    if (!rtcp) {
        pthread_mutex_lock(&f->lock);
        f->hall_rtp++;
        pthread_mutex_unlock(&f->lock);
    }
}

static HnCodec codec(HnCodecId id, uint8_t pt)
{
    HnCodec c = {.id = id, .pt = pt};
    c.kind = id == HN_CODEC_OPUS ? HN_KIND_AUDIO : HN_KIND_VIDEO;
    c.clock_rate = id == HN_CODEC_OPUS ? 48000 : 90000;
    c.channels = id == HN_CODEC_OPUS ? 2 : 0;
    c.feedback = id == HN_CODEC_OPUS ? 0 : HN_FB_PLI;
    return c;
}

static HnRoomTrackDesc track(const char *mid, HnCodecId id, uint8_t pt, uint32_t ssrc)
{
    HnRoomTrackDesc d = {.codec = codec(id, pt), .ssrc = ssrc};
    g_strlcpy(d.mid, mid, sizeof d.mid);
    d.kind = d.codec.kind;
    d.source = d.kind == HN_KIND_AUDIO ? HN_SOURCE_MICROPHONE : HN_SOURCE_CAMERA;
    return d;
}

static void w_new_room(Fx *f, void *arg)
{
    HnRoomEnv env = {.deliver = deliver, .kick = kick, .user = f, .consent_timeout_s = 10};
    f->room = hn_room_new(f->worker, "xa-phuong", &env);
}

static void w_attach(Fx *f, void *arg)
{
    HnRoomTrackDesc t[2] = {track("a", HN_CODEC_OPUS, 111, 0x11110001),
                            track("v", HN_CODEC_VP8, 96, 0x11110002)};
    f->hall_leg = hn_local_leg_new(hall_recv, NULL, f);
    assert_int_equal(hn_room_attach(f->room, HALL, "UBND xã", HN_ROLE_MEMBER, HN_PART_ROOM_SYSTEM,
                                    f->hall_leg, t, 2),
                     0);
    f->rec_leg = hn_local_leg_new(rec_recv, rec_streams, f);
    assert_int_equal(hn_room_attach(f->room, RECORDER, "recorder", HN_ROLE_OBSERVER,
                                    HN_PART_RECORDER, f->rec_leg, NULL, 0),
                     0);
    /* the same pid twice is refused and the leg it brought destroyed */
    assert_int_equal(hn_room_attach(f->room, HALL, "again", HN_ROLE_MEMBER, HN_PART_ROOM_SYSTEM,
                                    hn_local_leg_new(NULL, NULL, NULL), NULL, 0),
                     -EEXIST);
    /* a recorder may not publish */
    HnRoomTrackDesc a = track("a", HN_CODEC_OPUS, 111, 0x22220001);
    assert_int_equal(hn_room_attach(f->room, 9, "rec2", HN_ROLE_OBSERVER, HN_PART_RECORDER,
                                    hn_local_leg_new(NULL, NULL, NULL), &a, 1),
                     -EPERM);
    hn_room_leave(f->room, 9, "left");
}

static size_t rtp(uint8_t *buf, uint8_t pt, uint16_t seq, uint32_t ssrc, bool key)
{
    static const uint8_t vp8_key[] = {0x10, 0x00, 0x00, 0x00, 0x9d, 0x01, 0x2a, 0x80, 0x02};
    buf[0] = 0x80;
    buf[1] = pt;
    hn_wr16(buf + 2, seq);
    hn_wr32(buf + 4, 3000u * seq);
    hn_wr32(buf + 8, ssrc);
    size_t n = pt == 111 ? 20 : sizeof vp8_key;
    if (pt == 111)
        memset(buf + 12, 0x55, n);
    else
        memcpy(buf + 12, vp8_key, n);
    (void)key;
    return 12 + n;
}

/* The inject ring's callback, on the worker: the packet enters the room through the hall. */
static void ring_deliver(void *user, const HnInjectPacket *p, int64_t now_us)
{
    Fx *f = user;
    hn_local_leg_feed(f->hall_leg, p->data, p->len, now_us);
}

static void w_ring(Fx *f, void *arg)
{
    f->ring = hn_inject_ring_new(hn_worker_context(f->worker), 64, ring_deliver, f, NULL);
    assert_non_null(f->ring);
}

static void w_close_ring(Fx *f, void *arg)
{
    hn_inject_ring_close(f->ring);
    hn_inject_ring_unref(f->ring);
}

static void w_stats(Fx *f, void *arg)
{
    hn_room_get_stats(f->room, arg);
}

static void w_second_hall(Fx *f, void *arg)
{
    HnRoomTrackDesc v = track("v", HN_CODEC_VP8, 96, 0x33330002);
    assert_int_equal(hn_room_attach(f->room, HALL2, "UBND xã 2", HN_ROLE_MEMBER,
                                    HN_PART_ROOM_SYSTEM, hn_local_leg_new(NULL, NULL, NULL), &v, 1),
                     0);
}

static void w_leave_hall2(Fx *f, void *arg)
{
    hn_room_leave(f->room, HALL2, "left");
}

static void w_keyframe(Fx *f, void *arg)
{
    assert_int_equal(hn_room_request_keyframe(f->room, HALL, "v"), 0);
    assert_int_equal(hn_room_request_keyframe(f->room, HALL, "a"), -EINVAL);
    assert_int_equal(hn_room_request_keyframe(f->room, HALL, "x"), -ENOENT);
}

static void w_free(Fx *f, void *arg)
{
    hn_room_free(f->room);
}

/* Room events of the given type delivered to pid (-1: any output at all). */
static unsigned count_told(Fx *f, uint64_t pid, int event)
{
    char prefix[32];
    if (event < 0)
        g_snprintf(prefix, sizeof prefix, "%" G_GUINT64_FORMAT ":", pid);
    else
        g_snprintf(prefix, sizeof prefix, "%" G_GUINT64_FORMAT ":%d:%d", pid, HN_ROOM_OUT_EVENT,
                   event);
    unsigned n = 0;
    pthread_mutex_lock(&f->lock);
    for (guint i = 0; i < f->told->len; i++)
        n += g_str_has_prefix(f->told->pdata[i], prefix);
    pthread_mutex_unlock(&f->lock);
    return n;
}

static void test_room_system_and_recorder(void **state)
{
    Fx f = {0};
    pthread_mutex_init(&f.lock, NULL);
    f.rec_ssrcs = g_array_new(FALSE, FALSE, sizeof(uint32_t));
    f.rec_streams = g_array_new(FALSE, FALSE, sizeof(HnLegStream));
    f.told = g_ptr_array_new_with_free_func(g_free);
    f.pool = hn_worker_pool_new(1);
    f.worker = hn_worker_pool_get(f.pool, 0);
    on_worker(&f, w_new_room, NULL);
    on_worker(&f, w_attach, NULL);

    /* the recorder was told of the hall's two streams, with SSRCs of its own */
    pthread_mutex_lock(&f.lock);
    assert_int_equal(f.rec_streams->len, 2);
    uint32_t want[2];
    for (int i = 0; i < 2; i++) {
        HnLegStream *s = &g_array_index(f.rec_streams, HnLegStream, i);
        want[i] = s->ssrc;
        assert_true(s->ssrc != 0x11110001 && s->ssrc != 0x11110002);
    }
    pthread_mutex_unlock(&f.lock);

    /* packets pushed from this thread through the ring reach the recorder */
    on_worker(&f, w_ring, NULL);
    uint8_t buf[64];
    for (uint16_t seq = 1; seq <= 20; seq++) {
        size_t n = rtp(buf, 111, seq, 0x11110001, false);
        assert_int_equal(hn_inject_push(f.ring, NULL, HALL, HN_INJECT_RTP, buf, n), 0);
        n = rtp(buf, 96, seq, 0x11110002, true);
        assert_int_equal(hn_inject_push(f.ring, NULL, HALL, HN_INJECT_RTP, buf, n), 0);
    }
    for (int i = 0; i < 500; i++) { /* the worker drains the ring in its own time */
        pthread_mutex_lock(&f.lock);
        guint got = f.rec_ssrcs->len;
        pthread_mutex_unlock(&f.lock);
        if (got >= 40)
            break;
        g_usleep(10000);
    }
    pthread_mutex_lock(&f.lock);
    assert_int_equal(f.rec_ssrcs->len, 40);
    unsigned per[2] = {0, 0};
    for (guint i = 0; i < f.rec_ssrcs->len; i++) {
        uint32_t s = g_array_index(f.rec_ssrcs, uint32_t, i);
        per[0] += s == want[0];
        per[1] += s == want[1];
    }
    assert_int_equal(per[0] + per[1], 40);
    assert_int_equal(per[0], 20);
    assert_int_equal(f.hall_rtp, 0); /* the recorder publishes nothing */
    pthread_mutex_unlock(&f.lock);
    on_worker(&f, w_keyframe, NULL);

    /* a second room system: the first receives its video, the recorder's view grows to 3 */
    on_worker(&f, w_second_hall, NULL);
    pthread_mutex_lock(&f.lock);
    assert_int_equal(f.rec_streams->len, 3);
    pthread_mutex_unlock(&f.lock);
    on_worker(&f, w_leave_hall2, NULL);
    pthread_mutex_lock(&f.lock);
    assert_int_equal(f.rec_streams->len, 2);
    pthread_mutex_unlock(&f.lock);

    /* the hall heard of the second hall joining and leaving, never of the recorders (one
     * joined after it: a second "participant-joined" would count here) */
    assert_int_equal(count_told(&f, HALL, HN_RE_PARTICIPANT_JOINED), 1);
    assert_int_equal(count_told(&f, HALL, HN_RE_PARTICIPANT_LEFT), 1);
    /* a recorder is no client: it learns its streams from set_streams, nothing is delivered */
    assert_int_equal(count_told(&f, RECORDER, -1), 0);

    HnRoomStats st;
    on_worker(&f, w_stats, &st);
    assert_int_equal(st.participants, 2);
    assert_int_equal(st.producers, 2);
    assert_int_equal(st.consumers, 2);
    assert_int_equal(st.rtp_in, 40);
    assert_int_equal(st.rtp_out, 40);
    assert_int_equal(st.model.consumer_failures, 0);

    on_worker(&f, w_close_ring, NULL);
    on_worker(&f, w_free, NULL);
    hn_worker_pool_free(f.pool);
    g_array_free(f.rec_ssrcs, TRUE);
    g_array_free(f.rec_streams, TRUE);
    g_ptr_array_free(f.told, TRUE);
    pthread_mutex_destroy(&f.lock);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_room_system_and_recorder),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
