/* hn-load: a WebRTC load generator for SFUs (hoinghi, Janus VideoRoom). Real ICE + DTLS + SRTP
 * on the server's own transport code; VP8 + Opus pre-encoded once with GStreamer; forwarding
 * delay, loss, jitter and join time measured per received stream. See docs/load.md. */
#include <gio/gio.h>
#include <glib-unix.h>
#include <gst/gst.h>
#include <locale.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "run.h"

#define MEDIA_SECONDS 10.0

typedef struct {
    char *target, *url, *room, *local_ip, *json, *sub_transport, *video_size;
    int publishers, subscribers, subscribe_to, mesh, ramp_step, join_probes, threads;
    int video_kbps, audio_kbps, spawn_rate, server_pid;
    double duration, ramp_interval, ramp_stop_loss, ramp_ok_loss, max_loss, setup_timeout;
    double pacing;
    gboolean no_audio, verbose, wait_streams;
} Opts;

static gboolean usage_error(GError **error, const char *fmt, ...) G_GNUC_PRINTF(2, 3);

static gboolean usage_error(GError **error, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    g_set_error_literal(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE, msg);
    g_free(msg);
    return FALSE;
}

static gboolean room_name_ok(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > 64)
        return FALSE;
    for (size_t i = 0; i < n; i++) {
        if (!g_ascii_isalnum(s[i]) && s[i] != '_' && s[i] != '.' && s[i] != '-')
            return FALSE;
    }
    return TRUE;
}

/* The ICE address to use when --local-ip is not given: loopback for a loopback URL, else
 * every interface. */
static char *default_local_ip(const char *url)
{
    char *host = NULL, *path = NULL;
    int port;
    char *ip = NULL;
    if (load_ws_parse_url(url, &host, &port, &path)) {
        GInetAddress *a = g_inet_address_new_from_string(host);
        if (a && g_inet_address_get_is_loopback(a))
            ip = g_strdup(host);
        else if (!a && strcmp(host, "localhost") == 0)
            ip = g_strdup("127.0.0.1");
        g_clear_object(&a);
    }
    g_free(host);
    g_free(path);
    return ip;
}

/* The local address the kernel would send from to reach the URL's host: where ICE-lite
 * subscribers listen when --local-ip is not given. NULL with error set. */
static char *route_source_ip(const char *url, GError **error)
{
    char *host = NULL, *path = NULL, *ip = NULL;
    int port;
    struct addrinfo hints = {.ai_socktype = SOCK_DGRAM}, *ai = NULL;
    if (!load_ws_parse_url(url, &host, &port, &path) || getaddrinfo(host, NULL, &hints, &ai)) {
        usage_error(error, "cannot resolve the URL's host; give --local-ip");
        goto out;
    }
    struct sockaddr_storage ss;
    socklen_t len = (socklen_t)ai->ai_addrlen;
    memcpy(&ss, ai->ai_addr, len);
    ((struct sockaddr_in *)&ss)->sin_port = htons((uint16_t)port); /* same offset in v6 */
    int fd = socket(ss.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    char buf[INET6_ADDRSTRLEN];
    if (fd >= 0 && connect(fd, (struct sockaddr *)&ss, len) == 0 &&
        getsockname(fd, (struct sockaddr *)&ss, &len) == 0 &&
        inet_ntop(ss.ss_family,
                  ss.ss_family == AF_INET ? (void *)&((struct sockaddr_in *)&ss)->sin_addr
                                          : (void *)&((struct sockaddr_in6 *)&ss)->sin6_addr,
                  buf, sizeof buf))
        ip = g_strdup(buf);
    else
        usage_error(error, "no route to the URL's host; give --local-ip");
    if (fd >= 0)
        close(fd);
out:
    if (ai)
        freeaddrinfo(ai);
    g_free(host);
    g_free(path);
    return ip;
}

static gboolean check_target(const Opts *o, LoadConfig *c, GError **error)
{
    if (!o->target || strcmp(o->target, "hoinghi") == 0)
        c->target = LOAD_TARGET_HOINGHI;
    else if (strcmp(o->target, "janus") == 0)
        c->target = LOAD_TARGET_JANUS;
    else
        return usage_error(error, "--target must be hoinghi or janus");
    gboolean janus = c->target == LOAD_TARGET_JANUS;
    c->url = g_strdup(o->url ? o->url : janus ? "ws://127.0.0.1:8188/" : "ws://127.0.0.1:8080/ws");
    char *h = NULL, *p = NULL;
    int port;
    if (!load_ws_parse_url(c->url, &h, &port, &p))
        return usage_error(error, "--url must be ws://HOST:PORT/PATH");
    g_free(h);
    g_free(p);
    c->room = g_strdup(o->room ? o->room : janus ? "4242" : "hn-load");
    if (janus) {
        char *end = NULL;
        guint64 id = g_ascii_strtoull(c->room, &end, 10);
        if (!end || *end || id == 0 || id > (1ULL << 53))
            return usage_error(error, "--room must be a numeric id (1..2^53) for Janus");
        c->janus_room = id;
    } else if (!room_name_ok(c->room)) {
        return usage_error(error, "--room must be 1-64 characters of A-Z a-z 0-9 _ . -");
    }
    return TRUE;
}

static gboolean check_counts(const Opts *o, LoadConfig *c, GError **error)
{
    c->mesh = o->mesh;
    c->ramp_step = o->ramp_step;
    if (c->mesh < 0 || c->mesh == 1 || c->mesh > 200)
        return usage_error(error, "--mesh must be 2..200");
    c->publishers = o->publishers >= 0 ? o->publishers : c->mesh ? 0 : 1;
    c->subscribers = o->subscribers >= 0 ? o->subscribers : c->ramp_step ? 1000 : c->mesh ? 0 : 1;
    if (c->publishers > 200 || c->subscribers > 5000)
        return usage_error(error, "at most 200 publishers and 5000 subscribers");
    if (c->publishers + c->mesh == 0)
        return usage_error(error, "nothing to send: give --publishers N or --mesh N");
    if (c->ramp_step < 0 || (c->ramp_step > 0 && c->mesh > 0))
        return usage_error(error, "--ramp-subscribers must be > 0 and cannot go with --mesh");
    if (c->ramp_step > 0 && c->subscribers < c->ramp_step)
        return usage_error(error, "--subscribers (the ramp's maximum) is below one step");
    c->subscribe_to = o->subscribe_to;
    if (c->subscribe_to == 0 || c->subscribe_to < -1 || c->subscribe_to > c->publishers + c->mesh)
        return usage_error(error, "--subscribe-to must be 1..number of publishers");
    c->join_probes = o->join_probes;
    if (c->join_probes < 0 || c->join_probes > 1000 || (c->join_probes && c->ramp_step))
        return usage_error(error, "--join-probe must be 0..1000 and cannot go with a ramp");
    return TRUE;
}

static gboolean check_rest(const Opts *o, LoadConfig *c, GError **error)
{
    c->duration = o->duration;
    c->ramp_interval = o->ramp_interval;
    c->ramp_stop_loss = o->ramp_stop_loss;
    c->ramp_ok_loss = o->ramp_ok_loss;
    c->max_loss = o->max_loss;
    c->setup_timeout = o->setup_timeout;
    if (c->duration <= 0 || c->duration > 86400 || c->ramp_interval < 1 ||
        c->ramp_interval > 3600 || c->setup_timeout < 1 || c->setup_timeout > 600)
        return usage_error(error, "--duration, --ramp-interval or --setup-timeout out of range");
    if (c->max_loss < 0 || c->max_loss > 100 || c->ramp_stop_loss < 0 || c->ramp_ok_loss < 0)
        return usage_error(error, "loss limits are percentages (0..100)");
    if (o->video_kbps < 100 || o->video_kbps > 20000 || o->audio_kbps < 6 || o->audio_kbps > 510)
        return usage_error(error, "--video-kbps must be 100..20000, --audio-kbps 6..510");
    c->video_kbps = (unsigned)o->video_kbps;
    c->wait_streams = o->wait_streams;
    c->video_width = 960;
    c->video_height = 540;
    if (o->video_size) {
        char tail = 0;
        if (sscanf(o->video_size, "%ux%u%c", &c->video_width, &c->video_height, &tail) != 2 ||
            c->video_width < 16 || c->video_height < 16 || c->video_width > 4096 ||
            c->video_height > 4096 || c->video_width % 2 || c->video_height % 2)
            return usage_error(error, "--video-size must be WxH, even numbers 16..4096");
    }
    c->audio_kbps = (unsigned)o->audio_kbps;
    c->audio = !o->no_audio;
    c->pacing = o->pacing;
    if (c->pacing != 0 && (c->pacing < 1.1 || c->pacing > 100))
        return usage_error(error, "--pacing-factor must be 0 or 1.1..100");
    c->threads = o->threads > 0 ? o->threads : (int)g_get_num_processors();
    if (c->threads > 64)
        return usage_error(error, "--threads must be 1..64");
    c->spawn_rate = o->spawn_rate;
    if (c->spawn_rate < 1 || c->spawn_rate > 1000)
        return usage_error(error, "--spawn-rate must be 1..1000");
    c->server_pid = o->server_pid;
    if (o->local_ip) {
        GInetAddress *a = g_inet_address_new_from_string(o->local_ip);
        if (!a)
            return usage_error(error, "--local-ip must be an IP address");
        g_object_unref(a);
        c->local_ip = g_strdup(o->local_ip);
    } else {
        c->local_ip = default_local_ip(c->url);
    }
    c->json_path = g_strdup(o->json);
    c->verbose = o->verbose;
    if (!o->sub_transport || strcmp(o->sub_transport, "lite") == 0) {
        c->lite_ip = c->local_ip ? g_strdup(c->local_ip) : route_source_ip(c->url, error);
        if (!c->lite_ip)
            return FALSE;
    } else if (strcmp(o->sub_transport, "libnice") != 0) {
        return usage_error(error, "--sub-transport must be lite or libnice");
    }
    return TRUE;
}

static gboolean parse_args(int argc, char **argv, LoadConfig *cfg, GError **error)
{
    Opts o = {.publishers = -1,
              .subscribers = -1,
              .subscribe_to = -1,
              .duration = 10,
              .ramp_interval = 10,
              .ramp_stop_loss = 5,
              .ramp_ok_loss = 1,
              .max_loss = 5,
              .setup_timeout = 30,
              .video_kbps = 1500,
              .audio_kbps = 40,
              .spawn_rate = 50};
    GOptionEntry entries[] = {
        {"target", 0, 0, G_OPTION_ARG_STRING, &o.target, "hoinghi (default) or janus", "SFU"},
        {"url", 0, 0, G_OPTION_ARG_STRING, &o.url,
         "Signalling URL (default ws://127.0.0.1:8080/ws, janus ws://127.0.0.1:8188/)", "URL"},
        {"room", 0, 0, G_OPTION_ARG_STRING, &o.room, "Room (janus: numeric id)", "NAME"},
        {"publishers", 0, 0, G_OPTION_ARG_INT, &o.publishers, "Publishers (default 1)", "N"},
        {"subscribers", 0, 0, G_OPTION_ARG_INT, &o.subscribers,
         "Subscribers (default 1; ramp: the most)", "M"},
        {"subscribe-to", 0, 0, G_OPTION_ARG_INT, &o.subscribe_to,
         "Subscribers receive only the first K publishers", "K"},
        {"mesh", 0, 0, G_OPTION_ARG_INT, &o.mesh,
         "Meeting of N clients, each publishing and receiving all others", "N"},
        {"duration", 0, 0, G_OPTION_ARG_DOUBLE, &o.duration, "Measurement window (10)", "S"},
        {"ramp-subscribers", 0, 0, G_OPTION_ARG_INT, &o.ramp_step,
         "Ramp: add STEP subscribers per step, report each step", "STEP"},
        {"ramp-interval", 0, 0, G_OPTION_ARG_DOUBLE, &o.ramp_interval,
         "Ramp: measured seconds per step (10)", "S"},
        {"ramp-stop-loss", 0, 0, G_OPTION_ARG_DOUBLE, &o.ramp_stop_loss,
         "Ramp: stop after a step with more loss, % (5)", "PCT"},
        {"ramp-ok-loss", 0, 0, G_OPTION_ARG_DOUBLE, &o.ramp_ok_loss,
         "Ramp: a step holds with at most this loss, % (1)", "PCT"},
        {"join-probe", 0, 0, G_OPTION_ARG_INT, &o.join_probes,
         "Join K fresh subscribers one by one during the window", "K"},
        {"video-kbps", 0, 0, G_OPTION_ARG_INT, &o.video_kbps, "VP8 bitrate (1500)", "KBPS"},
        {"audio-kbps", 0, 0, G_OPTION_ARG_INT, &o.audio_kbps, "Opus bitrate (40)", "KBPS"},
        {"wait-streams", 0, 0, G_OPTION_ARG_NONE, &o.wait_streams,
         "Start the window only once every subscriber got packets on every stream it expects "
         "(at most --setup-timeout)",
         NULL},
        {"video-size", 0, 0, G_OPTION_ARG_STRING, &o.video_size,
         "Encoded picture size (960x540; 160x90 for light tests)", "WxH"},
        {"no-audio", 0, 0, G_OPTION_ARG_NONE, &o.no_audio, "Publish video only", NULL},
        {"pacing-factor", 0, 0, G_OPTION_ARG_DOUBLE, &o.pacing,
         "Video pacer rate, x the bitrate (2.5, as browsers; 0: a frame at once)", "F"},
        {"local-ip", 0, 0, G_OPTION_ARG_STRING, &o.local_ip,
         "Local address for ICE (default: loopback for a loopback URL, else all)", "IP"},
        {"sub-transport", 0, 0, G_OPTION_ARG_STRING, &o.sub_transport,
         "Subscribers' transport: lite (ICE-lite, default) or libnice", "KIND"},
        {"threads", 0, 0, G_OPTION_ARG_INT, &o.threads, "Media worker threads (cores)", "T"},
        {"json", 0, 0, G_OPTION_ARG_FILENAME, &o.json, "Append RESULT lines to FILE", "FILE"},
        {"max-loss", 0, 0, G_OPTION_ARG_DOUBLE, &o.max_loss, "Fail above this loss, % (5)", "PCT"},
        {"setup-timeout", 0, 0, G_OPTION_ARG_DOUBLE, &o.setup_timeout,
         "Seconds to wait for publishers / joins (30)", "S"},
        {"spawn-rate", 0, 0, G_OPTION_ARG_INT, &o.spawn_rate, "New clients per second (50)", "R"},
        {"server-pid", 0, 0, G_OPTION_ARG_INT, &o.server_pid,
         "Report this process's CPU and memory over the window", "PID"},
        {"verbose", 'v', 0, G_OPTION_ARG_NONE, &o.verbose, "Log signalling", NULL},
        {NULL, 0, 0, 0, NULL, NULL, NULL}};
    GOptionContext *octx = g_option_context_new("- WebRTC load generator for SFUs");
    g_option_context_add_main_entries(octx, entries, NULL);
    g_option_context_set_description(octx, "Prints a table and RESULT <json> lines; "
                                           "exit 0 ok, 1 a check failed, 2 usage, 3 set-up.\n"
                                           "See docs/load.md.\n");
    gboolean ok = g_option_context_parse(octx, &argc, &argv, error);
    g_option_context_free(octx);
    if (ok && argc > 1)
        ok = usage_error(error, "unexpected argument '%s'", argv[1]);
    ok = ok && check_target(&o, cfg, error) && check_counts(&o, cfg, error) &&
         check_rest(&o, cfg, error);
    g_free(o.target);
    g_free(o.url);
    g_free(o.room);
    g_free(o.local_ip);
    g_free(o.json);
    g_free(o.sub_transport);
    g_free(o.video_size);
    return ok;
}

static void raise_fd_limit(void)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
            g_printerr("hn-load: cannot raise the open file limit\n");
    }
}

static gboolean on_signal(gpointer data)
{
    static int count;
    if (++count > 1)
        exit(130);
    g_printerr("hn-load: interrupted, reporting what was measured\n");
    load_run_interrupt(data);
    return G_SOURCE_CONTINUE;
}

static void config_clear(LoadConfig *c)
{
    g_free(c->url);
    g_free(c->room);
    g_free(c->local_ip);
    g_free(c->lite_ip);
    g_free(c->json_path);
}

int main(int argc, char **argv)
{
    setlocale(LC_ALL, "");
    LoadConfig cfg = {0};
    GError *err = NULL;
    if (!parse_args(argc, argv, &cfg, &err)) {
        fprintf(stderr, "hn-load: %s\nTry 'hn-load --help'.\n", err->message);
        g_error_free(err);
        config_clear(&cfg);
        return 2;
    }
    setlocale(LC_NUMERIC, "C"); /* JSON numbers */
    raise_fd_limit();
    gst_init(NULL, NULL);
    printf("hn-load: %s %s room %s: %d publishers, %d subscribers, %d mesh; encoding media...\n",
           cfg.target == LOAD_TARGET_JANUS ? "janus" : "hoinghi", cfg.url, cfg.room, cfg.publishers,
           cfg.subscribers, cfg.mesh);
    fflush(stdout);
    LoadMedia *media = load_media_new(cfg.video_width, cfg.video_height, cfg.video_kbps,
                                      cfg.audio_kbps, cfg.audio, MEDIA_SECONDS, &err);
    if (!media) {
        fprintf(stderr, "hn-load: cannot encode the test media: %s\n", err->message);
        g_error_free(err);
        config_clear(&cfg);
        return 3;
    }
    printf("hn-load: media loop %.0f s: VP8 %.0f kbps %.0f pkt/s (%zu key frames), "
           "Opus %.0f kbps %.0f pkt/s\n",
           MEDIA_SECONDS, media->video.kbps, media->video.pps, media->video.n_keyframes,
           media->audio.kbps, media->audio.pps);
    fflush(stdout);
    GMainLoop *loop = g_main_loop_new(NULL, FALSE);
    LoadRun *run = load_run_new(&cfg, media, loop, &err);
    int code = 3;
    if (!run) {
        fprintf(stderr, "hn-load: %s\n", err->message);
        g_error_free(err);
    } else {
        guint s1 = g_unix_signal_add(SIGINT, on_signal, run);
        guint s2 = g_unix_signal_add(SIGTERM, on_signal, run);
        code = load_run_execute(run);
        g_source_remove(s1);
        g_source_remove(s2);
        load_run_free(run);
    }
    g_main_loop_unref(loop);
    load_media_free(media);
    config_clear(&cfg);
    return code;
}
