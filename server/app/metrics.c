/* GET /metrics: ask every worker, wait for all (or a timeout), write the Prometheus text. */
#include "app/metrics.h"

#include "app/room_transcode.h"

#include <stdatomic.h>
#include <stddef.h>
#include <string.h>

#include "hn-build-config.h"

G_STATIC_ASSERT(sizeof(HnRouterStats) % sizeof(uint64_t) == 0);

/* The sums over closed rooms, one per worker (element i is touched on worker i only), shared by
 * the metrics and the jobs still queued on workers. A C11 atomic count, not g_atomic_rc_box:
 * ThreadSanitizer sees its ordering (GLib is not instrumented), so the last release on the main
 * thread is not reported as racing with a worker's last write (docs/testing.md). */
typedef struct {
    atomic_uint ref;
    HnRoomStats per_worker[];
} HnRetired;

static HnRetired *retired_new(guint n)
{
    HnRetired *r = g_malloc0(sizeof(HnRetired) + sizeof(HnRoomStats) * n);
    atomic_init(&r->ref, 1);
    return r;
}

static HnRetired *retired_ref(HnRetired *r)
{
    atomic_fetch_add_explicit(&r->ref, 1, memory_order_relaxed);
    return r;
}

static void retired_unref(HnRetired *r)
{
    if (atomic_fetch_sub_explicit(&r->ref, 1, memory_order_acq_rel) == 1)
        g_free(r);
}

/* One worker's answer. */
typedef struct {
    gboolean up; /* answered in time */
    guint rooms;
    HnRoomStats live;    /* sum over its open rooms */
    HnRoomStats retired; /* sum over its closed rooms (counters only are used) */
    gboolean has_mux;
    HnUdpMuxStats mux;
    HnRxDelayStats delay; /* with has_mux */
    HnWorkerLagStats lag;
    guint busy; /* admission control: 0, or the retry hint in seconds */
} HnSample;

struct HnMetrics {
    HnWorkerPool *pool;
    guint n;
    GMainContext *main_ctx;
    HnMetricsSource src;
    HnRetired *retired;
    GList *scrapes; /* HnScrape* waiting for workers */
    uint64_t worker_timeouts, scrapes_total;
    double start_time_s;
};

typedef struct {
    int refs; /* main thread only: the scrape itself + one per job not yet back */
    HnMetrics *m;
    HnHttpRequest *req; /* NULL once answered */
    guint pending;
    HnSample *samples;
    GSource *timeout;
} HnScrape;

typedef struct {
    HnScrape *scrape;
    guint index;
    GPtrArray *rooms; /* HnRoom* of the worker, dereferenced on it only */
    HnRetired *retired;
    HnMailbox *home; /* the main thread's mailbox (hn_worker_pool_home) */
    HnSample sample;
} HnJob;

/* ---- sums ---- */

static void stats_add(HnRoomStats *a, const HnRoomStats *b)
{
    a->participants += b->participants;
    a->publishers += b->publishers;
    a->producers += b->producers;
    a->consumers += b->consumers;
    a->transports += b->transports;
    a->sim_layer0 += b->sim_layer0;
    a->sim_layer1 += b->sim_layer1;
    a->sim_layer2 += b->sim_layer2;
    a->sim_waiting += b->sim_waiting;
    a->layer_updates += b->layer_updates;
    a->rtp_in += b->rtp_in;
    a->rtp_out += b->rtp_out;
    uint64_t *ra = (uint64_t *)&a->router;
    const uint64_t *rb = (const uint64_t *)&b->router;
    for (size_t i = 0; i < sizeof a->router / sizeof(uint64_t); i++)
        ra[i] += rb[i];
    a->rx_packets += b->rx_packets;
    a->rx_bytes += b->rx_bytes;
    a->tx_packets += b->tx_packets;
    a->tx_bytes += b->tx_bytes;
    a->srtp_rx_errors += b->srtp_rx_errors;
    a->srtp_tx_errors += b->srtp_tx_errors;
    a->rx_not_ready += b->rx_not_ready;
    a->rx_unknown += b->rx_unknown;
    a->send_errors += b->send_errors;
    a->dtls_failures += b->dtls_failures;
    a->ice_failures += b->ice_failures;
    a->ice_restarts += b->ice_restarts;
    a->ice_grace_started += b->ice_grace_started;
    a->ice_grace_recovered += b->ice_grace_recovered;
    a->model.consumer_failures += b->model.consumer_failures;
    a->model.offers += b->model.offers;
    a->model.lastn_pauses += b->model.lastn_pauses;
    a->model.lastn_resumes += b->model.lastn_resumes;
    a->model.refused_tracks += b->model.refused_tracks;
    a->queued_candidates += b->queued_candidates;
    for (int k = 0; k < HN_ROOM_LINK_BUCKETS; k++)
        a->link.buckets[k] += b->link.buckets[k];
    a->link.count += b->link.count;
    a->link.sum_bps += b->link.sum_bps;
    for (size_t k = 0; k < G_N_ELEMENTS(a->link.by_source); k++)
        a->link.by_source[k] += b->link.by_source[k];
    a->dropped_candidates += b->dropped_candidates;
    a->speaker.levels += b->speaker.levels;
    a->speaker.updates += b->speaker.updates;
    a->speaker.changes += b->speaker.changes;
}

/* ---- the text format ---- */

typedef struct {
    const char *name, *help;
    size_t off; /* of a uint64_t in HnRoomStats */
} HnCounterDef;

#define RS(field) offsetof(HnRoomStats, field)
static const HnCounterDef room_counters[] = {
    {"hoinghi_rtp_in_packets_total", "RTP packets received from publishers (valid, known stream)",
     RS(router.rtp_in_packets)},
    {"hoinghi_rtp_in_bytes_total", "Bytes of those RTP packets", RS(router.rtp_in_bytes)},
    {"hoinghi_rtp_out_packets_total",
     "RTP packets forwarded to subscribers, retransmissions "
     "included",
     RS(router.rtp_out_packets)},
    {"hoinghi_rtp_out_bytes_total", "Bytes of those RTP packets", RS(router.rtp_out_bytes)},
    {"hoinghi_rtcp_in_packets_total", "Valid compound RTCP packets received",
     RS(router.rtcp_in_packets)},
    {"hoinghi_rtcp_out_packets_total", "Compound RTCP packets sent", RS(router.rtcp_out_packets)},
    {"hoinghi_nack_in_total", "Sequence numbers subscribers asked to resend (NACK)",
     RS(router.nack_in)},
    {"hoinghi_retransmissions_total", "Packets resent from the cache", RS(router.rtx_sent)},
    {"hoinghi_pli_in_total", "Picture loss indications from subscribers", RS(router.pli_in)},
    {"hoinghi_fir_in_total", "Full intra requests from subscribers (per FCI entry)",
     RS(router.fir_in)},
    {"hoinghi_keyframe_requests_sent_total", "Key frame requests (PLI/FIR) sent to publishers",
     RS(router.keyframe_requests_sent)},
    {"hoinghi_transport_rx_packets_total",
     "Datagrams received by peer connections (before "
     "SRTP)",
     RS(rx_packets)},
    {"hoinghi_transport_rx_bytes_total", "Bytes of those datagrams", RS(rx_bytes)},
    {"hoinghi_transport_tx_packets_total", "Datagrams sent by peer connections", RS(tx_packets)},
    {"hoinghi_transport_tx_bytes_total", "Bytes of those datagrams", RS(tx_bytes)},
    {"hoinghi_srtp_unprotect_errors_total", "Received SRTP/SRTCP packets that failed to decrypt",
     RS(srtp_rx_errors)},
    {"hoinghi_srtp_protect_errors_total", "Packets that failed to encrypt", RS(srtp_tx_errors)},
    {"hoinghi_send_errors_total", "Datagrams the socket refused to send", RS(send_errors)},
    {"hoinghi_transport_rx_not_ready_total",
     "RTP/RTCP dropped because it arrived before the peer connection's SRTP keys",
     RS(rx_not_ready)},
    {"hoinghi_transport_rx_unknown_total",
     "Datagrams on a peer connection that were neither STUN, DTLS nor RTP/RTCP (dropped)",
     RS(rx_unknown)},
    {"hoinghi_dtls_failures_total", "Peer connections whose DTLS handshake failed or timed out",
     RS(dtls_failures)},
    {"hoinghi_ice_failures_total", "Peer connections whose ICE failed", RS(ice_failures)},
    {"hoinghi_ice_restarts_total",
     "ICE restarts in place (a publisher's new ufrag with the same fingerprint, restart-ice)",
     RS(ice_restarts)},
    {"hoinghi_ice_grace_started_total",
     "Participants whose media went silent for consent_timeout, kept for ice_restart_grace",
     RS(ice_grace_started)},
    {"hoinghi_ice_grace_recovered_total",
     "Participants whose media came back within ice_restart_grace", RS(ice_grace_recovered)},
    {"hoinghi_keyframe_requests_suppressed_total",
     "Subscriber key frame requests over their per-subscriber budget (not sent upstream)",
     RS(router.keyframe_requests_suppressed)},
    {"hoinghi_keyframe_requests_collapsed_total",
     "Subscriber key frame requests joined to one already pending or in flight",
     RS(router.keyframe_requests_collapsed)},
    {"hoinghi_nack_sent_total",
     "Sequence numbers asked again from publishers (generic NACK; each retry counts)",
     RS(router.nack_sent)},
    {"hoinghi_nack_recovered_total", "Packets NACKed to publishers that arrived",
     RS(router.nack_recovered)},
    {"hoinghi_nack_given_up_total",
     "Packets missing from publishers that were abandoned (retries, age or list bound)",
     RS(router.nack_given_up)},
    {"hoinghi_rtx_in_total", "RTX packets (RFC 4588) received from publishers and unwrapped",
     RS(router.rtx_in)},
    {"hoinghi_simulcast_layer_switches_total",
     "Simulcast consumers that switched layer (on a key frame of the new layer)",
     RS(router.layer_switches)},
    {"hoinghi_simulcast_layer_updates_total",
     "layers messages sent to simulcast publishers (layers paused or resumed)", RS(layer_updates)},
    {"hoinghi_nack_duplicates_total",
     "Old publisher packets that were not missing (already received, or given up)",
     RS(router.nack_duplicates)},
    {"hoinghi_consumer_failures_total",
     "Subscriptions the router refused (the section was retired and offered inactive)",
     RS(model.consumer_failures)},
    {"hoinghi_sub_offers_total", "Subscriber offers the room asked for", RS(model.offers)},
    {"hoinghi_lastn_pauses_total", "Last-N: a viewer stopped getting one publisher's video",
     RS(model.lastn_pauses)},
    {"hoinghi_lastn_resumes_total", "Last-N: a viewer got one publisher's video again",
     RS(model.lastn_resumes)},
    {"hoinghi_refused_tracks_total",
     "Published sections refused (role, per-participant or per-view limit)",
     RS(model.refused_tracks)},
    {"hoinghi_early_candidates_total",
     "Remote ICE candidates that arrived before their description and were queued",
     RS(queued_candidates)},
    {"hoinghi_early_candidates_dropped_total",
     "Remote ICE candidates refused because too many came before their description",
     RS(dropped_candidates)},
    {"hoinghi_audio_levels_total",
     "Audio levels (RFC 6464) read from publishers' packets for the active speaker",
     RS(speaker.levels)},
    {"hoinghi_active_speaker_updates_total",
     "active-speaker messages sent (each to every participant of the room)", RS(speaker.updates)},
    {"hoinghi_active_speaker_changes_total", "Changes of a room's dominant speaker",
     RS(speaker.changes)},
    {"hoinghi_twcc_feedback_in_total",
     "Transport-cc feedback packets received from subscribers (and stray ones from publishers)",
     RS(router.twcc_in)},
    {"hoinghi_twcc_feedback_malformed_total", "Transport-cc feedback that failed to parse",
     RS(router.twcc_malformed)},
    {"hoinghi_twcc_feedback_ignored_total",
     "Transport-cc feedback on a connection that did not negotiate transport-cc",
     RS(router.twcc_ignored)},
    {"hoinghi_remb_in_total", "REMB packets received (the estimate when there is no transport-cc)",
     RS(router.remb_in)},
    {"hoinghi_twcc_feedback_sent_total", "Transport-cc feedback packets sent to publishers",
     RS(router.twcc_feedback_sent)},
    {"hoinghi_twcc_late_total",
     "Publisher packets whose transport-wide seq arrived after its feedback was sent, and "
     "overflows of the 1024-packet window between two feedbacks",
     RS(router.twcc_late)},
};

typedef struct {
    const char *name, *help;
    size_t off; /* of a guint in HnRoomStats */
} HnGaugeDef;

static const HnGaugeDef room_gauges[] = {
    {"hoinghi_participants", "Participants in the rooms", RS(participants)},
    {"hoinghi_publishers", "Participants publishing at least one track", RS(publishers)},
    {"hoinghi_producers", "Incoming streams (one per published track)", RS(producers)},
    {"hoinghi_consumers", "Outgoing streams (one per track a subscriber receives)", RS(consumers)},
    {"hoinghi_transports", "Peer connections open", RS(transports)},
    {"hoinghi_simulcast_consumers_layer0", "Simulcast consumers forwarding the lowest layer now",
     RS(sim_layer0)},
    {"hoinghi_simulcast_consumers_layer1", "Simulcast consumers forwarding the middle layer now",
     RS(sim_layer1)},
    {"hoinghi_simulcast_consumers_layer2", "Simulcast consumers forwarding the top layer now",
     RS(sim_layer2)},
    {"hoinghi_simulcast_consumers_waiting",
     "Simulcast consumers waiting for the first key frame of their layer", RS(sim_waiting)},
};

#define MS(field) offsetof(HnUdpMuxStats, field)
static const HnCounterDef mux_counters[] = {
    {"hoinghi_udp_rx_datagrams_total", "Datagrams read from the media sockets", MS(rx_datagrams)},
    {"hoinghi_udp_rx_stun_requests_total", "STUN binding requests answered or checked",
     MS(rx_stun_requests)},
    {"hoinghi_udp_rx_stun_rejected_total", "STUN requests refused (unknown user, bad integrity)",
     MS(rx_stun_rejected)},
    {"hoinghi_udp_rx_unknown_source_total", "Datagrams from an address no check has bound",
     MS(rx_unknown_source)},
    {"hoinghi_udp_rx_kernel_drops_total", "Datagrams the kernel dropped: receive buffer full",
     MS(rx_kernel_drops)},
    {"hoinghi_udp_rx_late_total",
     "RTP/RTCP dropped unread: older than [media] max_queue_delay_ms in the socket", MS(rx_late)},
    {"hoinghi_udp_rx_shed_video_total",
     "Video RTP dropped unread: older than half the delay bound while the worker was behind",
     MS(rx_shed_video)},
    {"hoinghi_udp_tx_datagrams_total", "Datagrams sent", MS(tx_datagrams)},
    {"hoinghi_udp_tx_batches_total", "sendmmsg calls", MS(tx_batches)},
    {"hoinghi_udp_tx_dropped_total", "Datagrams dropped on send (socket buffer full, error)",
     MS(tx_dropped)},
    {"hoinghi_udp_tx_no_path_total", "Sends to a connection with no checked path yet",
     MS(tx_no_path)},
    {"hoinghi_dtls_handshakes_admitted_total",
     "New DTLS handshakes let in by the worker's handshake budget", MS(hs_admitted)},
    {"hoinghi_dtls_handshakes_deferred_total",
     "First DTLS flights dropped over [media] handshake_budget_pct (the peer retransmits)",
     MS(hs_deferred)},
};

static void family(GString *o, const char *name, const char *type, const char *help)
{
    g_string_append_printf(o, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void sample_u64(GString *o, const char *name, const char *labels, uint64_t v)
{
    g_string_append_printf(o, "%s%s%s%s %" G_GUINT64_FORMAT "\n", name, labels ? "{" : "",
                           labels ? labels : "", labels ? "}" : "", v);
}

/* Seconds to the microsecond, in the C locale whatever LC_NUMERIC says. */
static void sample_f(GString *o, const char *name, const char *labels, double v)
{
    char num[G_ASCII_DTOSTR_BUF_SIZE];
    g_ascii_formatd(num, sizeof num, "%.6f", v);
    g_string_append_printf(o, "%s%s%s%s %s\n", name, labels ? "{" : "", labels ? labels : "",
                           labels ? "}" : "", num);
}

/* A label value with \, " and newline escaped. transfer full. */
static char *label_escape(const char *v)
{
    GString *s = g_string_new(NULL);
    for (const char *p = v; *p; p++) {
        if (*p == '\\' || *p == '"')
            g_string_append_c(s, '\\');
        if (*p == '\n')
            g_string_append(s, "\\n");
        else
            g_string_append_c(s, *p);
    }
    return g_string_free(s, FALSE);
}

static uint64_t at_u64(const void *base, size_t off)
{
    uint64_t v;
    memcpy(&v, (const char *)base + off, sizeof v);
    return v;
}

static guint at_uint(const void *base, size_t off)
{
    guint v;
    memcpy(&v, (const char *)base + off, sizeof v);
    return v;
}

static void render_process(GString *o, HnMetrics *m)
{
    char *ver = label_escape(HN_VERSION), *srtp = label_escape(HN_SRTP_BACKEND);
    char *labels = g_strdup_printf("version=\"%s\",srtp=\"%s\"", ver, srtp);
    family(o, "hoinghi_build_info", "gauge", "Always 1; the labels say which build this is");
    sample_u64(o, "hoinghi_build_info", labels, 1);
    g_free(labels);
    g_free(ver);
    g_free(srtp);
    family(o, "hoinghi_process_start_time_seconds", "gauge",
           "When the server started, seconds since the Unix epoch");
    sample_f(o, "hoinghi_process_start_time_seconds", NULL, m->start_time_s);
    family(o, "hoinghi_workers", "gauge", "Media worker threads");
    sample_u64(o, "hoinghi_workers", NULL, m->n);
    family(o, "hoinghi_metrics_scrapes_total", "counter", "GET /metrics answered");
    sample_u64(o, "hoinghi_metrics_scrapes_total", NULL, m->scrapes_total);
    family(o, "hoinghi_metrics_worker_timeouts_total", "counter",
           "Worker answers a scrape gave up waiting for (see hoinghi_worker_up)");
    sample_u64(o, "hoinghi_metrics_worker_timeouts_total", NULL, m->worker_timeouts);

    HnMetricsHubStats h;
    memset(&h, 0, sizeof h);
    if (m->src.hub_stats)
        m->src.hub_stats(m->src.user, &h);
    const struct {
        const char *name, *help;
        uint64_t v;
    } sig[] = {
        {"hoinghi_ws_connections_total", "Signalling WebSockets accepted", h.sig.connections},
        {"hoinghi_ws_messages_total", "Signalling messages received", h.sig.messages},
        {"hoinghi_ws_errors_total", "Signalling messages refused with an error", h.sig.errors},
        {"hoinghi_ws_closed_policy_total", "Sockets closed for too many errors (1008)",
         h.sig.closed_policy},
        {"hoinghi_ws_closed_timeout_total", "Sockets closed by the keep-alive timeout",
         h.sig.closed_timeout},
        {"hoinghi_ws_dropped_out_total",
         "Outgoing signalling messages dropped (queue full or "
         "socket gone)",
         h.sig.dropped_out},
        {"hoinghi_joins_total", "Participants admitted to a room", h.joins},
        {"hoinghi_joins_refused_total", "Joins refused by the access policy (PIN, token, lock)",
         h.joins_refused},
        {"hoinghi_joins_busy_total",
         "Joins and WHIP posts refused with server-busy: a worker was overloaded", h.joins_busy},
        {"hoinghi_ws_refused_origin_total", "WebSocket handshakes refused for their Origin",
         h.sig.refused_origin},
        {"hoinghi_audit_rows_total", "Audit rows written to the store", h.audit_rows},
        {"hoinghi_audit_failed_total", "Audit rows the store could not write", h.audit_failed},
        {"hoinghi_lobby_knocks_total", "Newcomers who started to wait in a lobby", h.lobby_knocks},
        {"hoinghi_lobby_admitted_total", "Newcomers a chair admitted from a lobby",
         h.lobby_admitted},
        {"hoinghi_lobby_denied_total", "Newcomers a chair denied", h.lobby_denied},
        {"hoinghi_lobby_timeouts_total", "Newcomers who waited [rooms] lobby_timeout in vain",
         h.lobby_timeouts},
        {"hoinghi_recordings_total", "Recordings started", h.rec_started},
        {"hoinghi_recorder_packets_total", "RTP packets written to track files", h.rec_packets},
        {"hoinghi_recorder_bytes_total", "RTP bytes written to track files", h.rec_bytes},
        {"hoinghi_archive_indexed_total", "Meeting manifests read into the archive's catalogue",
         h.archive_indexed},
        {"hoinghi_archive_bad_manifests_total",
         "Archive folders skipped: manifest missing, unreadable or invalid",
         h.archive_bad_manifests},
        {"hoinghi_archive_meetings_removed_total",
         "Archived meetings whose files the retention removed", h.archive_meetings_removed},
        {"hoinghi_archive_files_removed_total", "Archived files the retention removed",
         h.archive_files_removed},
        {"hoinghi_archive_verified_total", "Archived files whose SHA-256 was recomputed",
         h.archive_verified},
        {"hoinghi_archive_verify_failed_total",
         "Archived files found changed or missing when verified", h.archive_verify_mismatch},
        {"hoinghi_hooks_delivered_total", "Hook deliveries a receiver took (2xx)",
         h.hooks.delivered},
        {"hoinghi_hooks_failed_attempts_total",
         "Hook delivery attempts that failed (an error status or no answer)",
         h.hooks.failed_attempts},
        {"hoinghi_hooks_disabled_total", "Hook endpoints disabled by a 410 Gone answer",
         h.hooks.disabled},
    };
    for (size_t i = 0; i < G_N_ELEMENTS(sig); i++) {
        family(o, sig[i].name, "counter", sig[i].help);
        sample_u64(o, sig[i].name, NULL, sig[i].v);
    }
    if (h.cpu_pressure >= 0) { /* [media] busy_cpu_pressure is set */
        family(o, "hoinghi_machine_cpu_pressure", "gauge",
               "Share of the last 10 s in which some task waited for a CPU (PSI some avg10, "
               "0..1)");
        sample_f(o, "hoinghi_machine_cpu_pressure", NULL, (double)h.cpu_pressure / 1000.0);
        family(o, "hoinghi_machine_busy", "gauge",
               "1 while the machine's CPU pressure refuses new joins (server-busy)");
        sample_u64(o, "hoinghi_machine_busy", NULL, h.machine_busy);
    }
    family(o, "hoinghi_lobby_waiting", "gauge", "Newcomers waiting in lobbies now");
    sample_u64(o, "hoinghi_lobby_waiting", NULL, h.lobby_waiting);
    family(o, "hoinghi_recordings_active", "gauge", "Recordings running now");
    sample_u64(o, "hoinghi_recordings_active", NULL, h.rec_active);
    family(o, "hoinghi_recorder_drops_total", "counter",
           "Packets the recorder lost, by reason (queue: its queue was full; write: a failed "
           "write)");
    g_string_append_printf(o,
                           "hoinghi_recorder_drops_total{reason=\"queue\"} %" G_GUINT64_FORMAT
                           "\nhoinghi_recorder_drops_total{reason=\"write\"} %" G_GUINT64_FORMAT
                           "\n",
                           (guint64)h.rec_drops_queue, (guint64)h.rec_drops_write);
    const struct {
        const char *name, *type, *help;
        uint64_t v;
    } pic[] = {
        {"hoinghi_picture_packets_in_total", "counter",
         "RTP packets handed to the rooms' composed pictures", h.pic_packets_in},
        {"hoinghi_picture_drops_total", "counter",
         "Packets lost on the way to a composed picture (its queue was full)", h.pic_drops_queue},
        {"hoinghi_picture_packets_out_total", "counter",
         "RTP packets of composed pictures given to their outputs (room systems, WHEP)",
         h.pic_packets_out},
        {"hoinghi_picture_compositions", "gauge", "Rooms whose picture is composed now",
         h.pic_compositions},
        {"hoinghi_picture_encoders", "gauge", "Video encoders of composed pictures now (classes)",
         h.pic_encoders},
        {"hoinghi_picture_outputs", "gauge", "Outputs attached to composed pictures now",
         h.pic_outputs},
    };
    for (size_t i = 0; i < G_N_ELEMENTS(pic); i++) {
        family(o, pic[i].name, pic[i].type, pic[i].help);
        sample_u64(o, pic[i].name, NULL, pic[i].v);
    }
    HnTranscodeStats tx;
    hn_room_transcoder_stats(&tx); /* process-wide atomics: read on any thread */
    const struct {
        const char *name, *type, *help;
        uint64_t v;
    } vp8[] = {
        {"hoinghi_vp8tx_running", "gauge",
         "H.264 -> VP8 transcodes running now (browsers without H.264)", tx.running},
        {"hoinghi_vp8tx_started_total", "counter", "H.264 -> VP8 transcodes started", tx.started},
        {"hoinghi_vp8tx_frames_in_total", "counter", "H.264 pictures decoded by the transcodes",
         tx.frames_in},
        {"hoinghi_vp8tx_frames_out_total", "counter", "VP8 frames encoded by the transcodes",
         tx.frames_out},
        {"hoinghi_vp8tx_drops_total", "counter",
         "RTP packets the transcodes shed (their queue full, or the room's ring refused them)",
         tx.drops},
    };
    for (size_t i = 0; i < G_N_ELEMENTS(vp8); i++) {
        family(o, vp8[i].name, vp8[i].type, vp8[i].help);
        sample_u64(o, vp8[i].name, NULL, vp8[i].v);
    }
    family(o, "hoinghi_hooks_pending", "gauge", "Hook deliveries waiting to be sent or retried");
    sample_u64(o, "hoinghi_hooks_pending", NULL, h.hooks.pending);
    family(o, "hoinghi_hooks_dead", "gauge",
           "Hook deliveries given up after the retry period (dead letters)");
    sample_u64(o, "hoinghi_hooks_dead", NULL, h.hooks.dead);
}

static void render_lag(GString *o, HnScrape *s, guint n)
{
    family(o, "hoinghi_worker_loop_lag_seconds", "histogram",
           "How late the worker's 100 ms timer fires: time events wait for the loop");
    for (guint w = 0; w < n; w++) {
        const HnWorkerLagStats *l = &s->samples[w].lag;
        if (!s->samples[w].up)
            continue;
        uint64_t cum = 0;
        for (int b = 0; b < HN_WORKER_LAG_BUCKETS; b++) {
            cum += l->buckets[b];
            char le[G_ASCII_DTOSTR_BUF_SIZE] = "+Inf";
            if (b < HN_WORKER_LAG_BUCKETS - 1)
                g_ascii_dtostr(le, sizeof le, (double)hn_worker_lag_bounds_us[b] / 1e6);
            char *labels = g_strdup_printf("worker=\"%u\",le=\"%s\"", w, le);
            sample_u64(o, "hoinghi_worker_loop_lag_seconds_bucket", labels, cum);
            g_free(labels);
        }
        char labels[32];
        g_snprintf(labels, sizeof labels, "worker=\"%u\"", w);
        sample_f(o, "hoinghi_worker_loop_lag_seconds_sum", labels, (double)l->sum_us / 1e6);
        sample_u64(o, "hoinghi_worker_loop_lag_seconds_count", labels, l->count);
    }
    const struct {
        const char *name, *help;
        size_t off;
    } g[] = {
        {"hoinghi_worker_loop_lag_last_seconds", "The latest loop lag measured",
         offsetof(HnWorkerLagStats, last_us)},
        {"hoinghi_worker_loop_lag_max_seconds", "The largest loop lag since the start",
         offsetof(HnWorkerLagStats, max_us)},
    };
    for (size_t i = 0; i < G_N_ELEMENTS(g); i++) {
        family(o, g[i].name, "gauge", g[i].help);
        for (guint w = 0; w < n; w++) {
            if (!s->samples[w].up)
                continue;
            int64_t us;
            memcpy(&us, (const char *)&s->samples[w].lag + g[i].off, sizeof us);
            char labels[32];
            g_snprintf(labels, sizeof labels, "worker=\"%u\"", w);
            sample_f(o, g[i].name, labels, (double)us / 1e6);
        }
    }
}

/* Receive queueing delay (transport/rx_age.h), per worker with media sockets, and whether
 * admission control refuses newcomers there. */
static void render_delay(GString *o, HnScrape *s, guint n)
{
    family(o, "hoinghi_udp_rx_queue_delay_seconds", "histogram",
           "Time the oldest datagram of each receive batch waited in the socket");
    for (guint w = 0; w < n; w++) {
        const HnRxDelayStats *d = &s->samples[w].delay;
        if (!s->samples[w].up || !s->samples[w].has_mux)
            continue;
        uint64_t cum = 0;
        for (int b = 0; b < HN_RX_DELAY_BUCKETS; b++) {
            cum += d->buckets[b];
            char le[G_ASCII_DTOSTR_BUF_SIZE] = "+Inf";
            if (b < HN_RX_DELAY_BUCKETS - 1)
                g_ascii_dtostr(le, sizeof le, (double)hn_rx_delay_bounds_us[b] / 1e6);
            char *labels = g_strdup_printf("worker=\"%u\",le=\"%s\"", w, le);
            sample_u64(o, "hoinghi_udp_rx_queue_delay_seconds_bucket", labels, cum);
            g_free(labels);
        }
        char labels[32];
        g_snprintf(labels, sizeof labels, "worker=\"%u\"", w);
        sample_f(o, "hoinghi_udp_rx_queue_delay_seconds_sum", labels, (double)d->sum_us / 1e6);
        sample_u64(o, "hoinghi_udp_rx_queue_delay_seconds_count", labels, d->count);
    }
    family(o, "hoinghi_udp_rx_queue_delay_max_seconds", "gauge",
           "The largest receive queueing delay since the start");
    for (guint w = 0; w < n; w++) {
        if (!s->samples[w].up || !s->samples[w].has_mux)
            continue;
        char labels[32];
        g_snprintf(labels, sizeof labels, "worker=\"%u\"", w);
        sample_f(o, "hoinghi_udp_rx_queue_delay_max_seconds", labels,
                 (double)s->samples[w].delay.max_us / 1e6);
    }
    family(o, "hoinghi_worker_busy", "gauge",
           "1 while admission control refuses new joins on the worker (server-busy)");
    for (guint w = 0; w < n; w++) {
        if (!s->samples[w].up)
            continue;
        char labels[32];
        g_snprintf(labels, sizeof labels, "worker=\"%u\"", w);
        sample_u64(o, "hoinghi_worker_busy", labels, s->samples[w].busy ? 1 : 0);
    }
}

/* The relays between workers (one room across workers), per ordered pair: read from their
 * atomic counters here, no worker asked. Nothing when the relays are not open. */
static void render_relays(GString *o, HnMetrics *m)
{
    if (!hn_worker_pool_has_relays(m->pool))
        return;
    static const struct {
        const char *name, *help;
    } fam[] = {
        {"hoinghi_relay_pushed_total",
         "Packets a worker staged for another (one room across workers)"},
        {"hoinghi_relay_delivered_total", "Relayed packets the receiving worker handled"},
        {"hoinghi_relay_dropped_total", "Relayed packets dropped, by reason"},
        {"hoinghi_relay_flushes_total", "Relay batches published"},
        {"hoinghi_relay_wakeups_total", "Relay batches that had to wake an idle worker"},
    };
    for (guint f = 0; f < G_N_ELEMENTS(fam); f++) {
        family(o, fam[f].name, "counter", fam[f].help);
        for (guint a = 0; a < m->n; a++)
            for (guint b = 0; b < m->n; b++) {
                HnRelayStats st;
                uint64_t unknown;
                if (!hn_worker_pool_relay_stats(m->pool, a, b, &st, &unknown))
                    continue;
                char labels[96];
                g_snprintf(labels, sizeof labels, "from=\"%u\",to=\"%u\"", a, b);
                if (f == 0)
                    sample_u64(o, fam[f].name, labels, st.pushed);
                else if (f == 1)
                    sample_u64(o, fam[f].name, labels, st.delivered - unknown);
                else if (f == 3)
                    sample_u64(o, fam[f].name, labels, st.flushes);
                else if (f == 4)
                    sample_u64(o, fam[f].name, labels, st.wakeups);
                else {
                    const struct {
                        const char *reason;
                        uint64_t v;
                    } r[] = {{"full", st.dropped_full},
                             {"size", st.dropped_size},
                             {"closed", st.dropped_closed},
                             {"late", st.dropped_late},
                             {"unknown", unknown}};
                    for (guint k = 0; k < G_N_ELEMENTS(r); k++) {
                        g_snprintf(labels, sizeof labels, "from=\"%u\",to=\"%u\",reason=\"%s\"", a,
                                   b, r[k].reason);
                        sample_u64(o, fam[f].name, labels, r[k].v);
                    }
                }
            }
    }
}

/* Downlink estimates: a histogram of the samples, and the samples by source. */
static void render_link(GString *o, HnScrape *s, guint n)
{
    family(o, "hoinghi_downlink_estimate_bps", "histogram",
           "Subscriber connections' downlink estimates (bits/s), one sample per connection every "
           "2 s");
    char labels[64];
    for (guint w = 0; w < n; w++) {
        const HnSample *x = &s->samples[w];
        if (!x->up)
            continue;
        uint64_t cum = 0;
        for (int b = 0; b < HN_ROOM_LINK_BUCKETS; b++) {
            cum += x->live.link.buckets[b] + x->retired.link.buckets[b];
            if (b < HN_ROOM_LINK_BUCKETS - 1)
                g_snprintf(labels, sizeof labels, "worker=\"%u\",le=\"%" G_GUINT64_FORMAT "\"", w,
                           hn_room_link_bounds_bps[b]);
            else
                g_snprintf(labels, sizeof labels, "worker=\"%u\",le=\"+Inf\"", w);
            sample_u64(o, "hoinghi_downlink_estimate_bps_bucket", labels, cum);
        }
        g_snprintf(labels, sizeof labels, "worker=\"%u\"", w);
        sample_u64(o, "hoinghi_downlink_estimate_bps_sum", labels,
                   x->live.link.sum_bps + x->retired.link.sum_bps);
        sample_u64(o, "hoinghi_downlink_estimate_bps_count", labels,
                   x->live.link.count + x->retired.link.count);
    }
    static const char *const src[] = {"none", "hint", "remb", "twcc"};
    family(o, "hoinghi_downlink_estimates_total", "counter",
           "Downlink estimate samples by source: twcc (our estimator), remb (the subscriber's), "
           "hint (configured)");
    for (guint w = 0; w < n; w++) {
        const HnSample *x = &s->samples[w];
        for (size_t k = 1; x->up && k < G_N_ELEMENTS(src); k++) {
            g_snprintf(labels, sizeof labels, "worker=\"%u\",source=\"%s\"", w, src[k]);
            sample_u64(o, "hoinghi_downlink_estimates_total", labels,
                       x->live.link.by_source[k] + x->retired.link.by_source[k]);
        }
    }
}

/* The whole text. transfer full. */
static GString *render(HnScrape *s)
{
    HnMetrics *m = s->m;
    GString *o = g_string_sized_new(16384);
    render_process(o, m);
    char labels[96];
    family(o, "hoinghi_worker_up", "gauge", "1 when the worker answered this scrape in time");
    for (guint w = 0; w < m->n; w++) {
        g_snprintf(labels, sizeof labels, "worker=\"%u\"", w);
        sample_u64(o, "hoinghi_worker_up", labels, s->samples[w].up);
    }
    family(o, "hoinghi_rooms", "gauge", "Rooms open");
    for (guint w = 0; w < m->n; w++) {
        g_snprintf(labels, sizeof labels, "worker=\"%u\"", w);
        if (s->samples[w].up)
            sample_u64(o, "hoinghi_rooms", labels, s->samples[w].rooms);
    }
    for (size_t i = 0; i < G_N_ELEMENTS(room_gauges); i++) {
        family(o, room_gauges[i].name, "gauge", room_gauges[i].help);
        for (guint w = 0; w < m->n; w++) {
            g_snprintf(labels, sizeof labels, "worker=\"%u\"", w);
            if (s->samples[w].up)
                sample_u64(o, room_gauges[i].name, labels,
                           at_uint(&s->samples[w].live, room_gauges[i].off));
        }
    }
    for (size_t i = 0; i < G_N_ELEMENTS(room_counters); i++) {
        family(o, room_counters[i].name, "counter", room_counters[i].help);
        for (guint w = 0; w < m->n; w++) {
            const HnSample *x = &s->samples[w];
            g_snprintf(labels, sizeof labels, "worker=\"%u\"", w);
            if (x->up)
                sample_u64(o, room_counters[i].name, labels,
                           at_u64(&x->live, room_counters[i].off) +
                               at_u64(&x->retired, room_counters[i].off));
        }
    }
    family(o, "hoinghi_router_drops_total", "counter",
           "Packets the router dropped, by reason (per consumer for the per-consumer reasons)");
    for (guint w = 0; w < m->n; w++) {
        const HnSample *x = &s->samples[w];
        for (int r = 0; x->up && r < HN_DROP__COUNT; r++) {
            g_snprintf(labels, sizeof labels, "worker=\"%u\",reason=\"%s\"", w,
                       hn_drop_reason_name((HnDropReason)r));
            sample_u64(o, "hoinghi_router_drops_total", labels,
                       x->live.router.drops[r] + x->retired.router.drops[r]);
        }
    }
    for (size_t i = 0; i < G_N_ELEMENTS(mux_counters); i++) {
        family(o, mux_counters[i].name, "counter", mux_counters[i].help);
        for (guint w = 0; w < m->n; w++) {
            g_snprintf(labels, sizeof labels, "worker=\"%u\"", w);
            if (s->samples[w].up && s->samples[w].has_mux)
                sample_u64(o, mux_counters[i].name, labels,
                           at_u64(&s->samples[w].mux, mux_counters[i].off));
        }
    }
    family(o, "hoinghi_dtls_handshake_seconds_total", "counter",
           "Time the worker spent in DTLS handshakes (charged to the handshake budget)");
    for (guint w = 0; w < m->n; w++) {
        g_snprintf(labels, sizeof labels, "worker=\"%u\"", w);
        if (s->samples[w].up && s->samples[w].has_mux)
            sample_f(o, "hoinghi_dtls_handshake_seconds_total", labels,
                     (double)s->samples[w].mux.hs_us / 1e6);
    }
    render_lag(o, s, m->n);
    render_delay(o, s, m->n);
    render_link(o, s, m->n);
    render_relays(o, m);
    return o;
}

/* ---- collection ---- */

static void scrape_unref(HnScrape *s)
{
    if (--s->refs > 0)
        return;
    g_free(s->samples);
    g_free(s);
}

static void scrape_finish(HnScrape *s)
{
    if (!s->req)
        return;
    if (s->timeout) {
        g_source_destroy(s->timeout);
        g_source_unref(s->timeout);
        s->timeout = NULL;
    }
    s->m->scrapes_total++;
    GString *text = render(s);
    hn_http_reply(s->req, 200, "text/plain; version=0.0.4; charset=utf-8", text->str, text->len);
    g_string_free(text, TRUE);
    s->req = NULL;
    s->m->scrapes = g_list_remove(s->m->scrapes, s);
    scrape_unref(s);
}

static gboolean scrape_timeout(gpointer data)
{
    HnScrape *s = data;
    s->m->worker_timeouts += s->pending;
    scrape_finish(s);
    return G_SOURCE_REMOVE;
}

static void job_free(gpointer data)
{
    HnJob *j = data;
    g_ptr_array_unref(j->rooms);
    retired_unref(j->retired);
    if (j->scrape) /* the answer was never read (shutdown) */
        scrape_unref(j->scrape);
    g_free(j);
}

/* Main thread: a worker's answer. */
static gboolean job_done(gpointer data)
{
    HnJob *j = data;
    HnScrape *s = j->scrape;
    if (s->req) {
        s->samples[j->index] = j->sample;
        s->samples[j->index].up = TRUE;
        if (--s->pending == 0)
            scrape_finish(s);
    }
    scrape_unref(s);
    j->scrape = NULL;
    return G_SOURCE_REMOVE;
}

/* Worker thread: the numbers of this worker. */
static gboolean job_run(gpointer data)
{
    HnJob *j = data;
    HnSample *x = &j->sample;
    for (guint i = 0; i < j->rooms->len; i++) {
        HnRoomStats rs;
        hn_room_get_stats(j->rooms->pdata[i], &rs);
        stats_add(&x->live, &rs);
        x->rooms++;
    }
    x->retired = j->retired->per_worker[j->index];
    hn_mailbox_post(j->home, job_done, j, job_free);
    return G_SOURCE_REMOVE;
}

typedef struct {
    GPtrArray **per_worker;
} HnRoomLists;

static void collect_room(void *data, HnWorker *w, HnRoom *room)
{
    HnRoomLists *l = data;
    g_ptr_array_add(l->per_worker[hn_worker_index(w)], room);
}

/* Worker thread: the worker's own numbers (mux, loop lag), then its rooms'. */
typedef struct {
    HnJob *job;
    HnWorker *w;
} HnJobStart;

static gboolean job_start(gpointer data)
{
    HnJobStart *js = data;
    HnJob *j = js->job;
    js->job = NULL; /* posted back to the main thread by job_run */
    HnUdpMux *mux = hn_worker_mux(js->w);
    if (mux) {
        j->sample.has_mux = TRUE;
        hn_udp_mux_get_stats(mux, &j->sample.mux);
        hn_udp_mux_get_delay(mux, &j->sample.delay);
    }
    hn_worker_get_lag(js->w, &j->sample.lag);
    j->sample.busy = hn_worker_busy(js->w);
    return job_run(j);
}

/* Destroys a start never run (the pool shut down first; on the main thread then). */
static void job_start_free(gpointer data)
{
    HnJobStart *js = data;
    if (js->job)
        job_free(js->job);
    g_free(js);
}

static void on_metrics(void *user, HnHttpRequest *req)
{
    HnMetrics *m = user;
    HnScrape *s = g_new0(HnScrape, 1);
    s->m = m;
    s->req = req;
    s->refs = 1;
    s->samples = g_new0(HnSample, m->n);
    s->pending = m->n;
    HnRoomLists lists = {g_new0(GPtrArray *, m->n)};
    for (guint i = 0; i < m->n; i++)
        lists.per_worker[i] = g_ptr_array_new();
    if (m->src.for_each_room)
        m->src.for_each_room(m->src.user, collect_room, &lists);
    m->scrapes = g_list_prepend(m->scrapes, s);
    for (guint i = 0; i < m->n; i++) {
        HnJob *j = g_new0(HnJob, 1);
        j->scrape = s;
        j->index = i;
        j->rooms = lists.per_worker[i];
        j->retired = retired_ref(m->retired);
        j->home = hn_worker_pool_home(m->pool);
        s->refs++;
        HnJobStart *js = g_new0(HnJobStart, 1);
        js->job = j;
        js->w = hn_worker_pool_get(m->pool, i);
        hn_worker_invoke(js->w, job_start, js, job_start_free);
    }
    g_free(lists.per_worker);
    s->timeout = g_timeout_source_new(HN_METRICS_WORKER_TIMEOUT_MS);
    g_source_set_callback(s->timeout, scrape_timeout, s, NULL);
    g_source_attach(s->timeout, m->main_ctx);
}

HnMetrics *hn_metrics_new(HnWorkerPool *pool, GMainContext *main_ctx, HnHttpRoutes *routes,
                          const HnMetricsSource *src)
{
    HnMetrics *m = g_new0(HnMetrics, 1);
    m->pool = pool;
    m->n = hn_worker_pool_size(pool);
    m->main_ctx = main_ctx;
    m->src = *src;
    m->retired = retired_new(m->n);
    m->start_time_s = (double)g_get_real_time() / 1e6;
    hn_http_routes_add(routes, HN_HTTP_GET, "/metrics", HN_HTTP_ROUTE_EXACT, 0, on_metrics, m);
    return m;
}

void hn_metrics_free(HnMetrics *m)
{
    if (!m)
        return;
    while (m->scrapes)
        scrape_finish(m->scrapes->data);
    retired_unref(m->retired);
    g_free(m);
}

typedef struct {
    HnRoom *room;
    guint index;
    HnRetired *retired;
} HnFreeJob;

static gboolean free_run(gpointer data)
{
    HnFreeJob *f = data;
    HnRoomStats rs;
    hn_room_get_stats(f->room, &rs);
    stats_add(&f->retired->per_worker[f->index], &rs);
    hn_room_free(f->room);
    return G_SOURCE_REMOVE;
}

static void free_job_free(gpointer data)
{
    HnFreeJob *f = data;
    retired_unref(f->retired);
    g_free(f);
}

void hn_metrics_free_room(HnMetrics *m, HnWorker *w, HnRoom *room)
{
    HnFreeJob *f = g_new0(HnFreeJob, 1);
    f->room = room;
    f->index = hn_worker_index(w);
    f->retired = retired_ref(m->retired);
    hn_worker_invoke(w, free_run, f, free_job_free);
}
