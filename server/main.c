/* hoinghi: the server entry point. Parses the command line and configuration, starts the media
 * workers and the signalling front, and runs the main loop until SIGINT/SIGTERM. */
#include <glib-unix.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <locale.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/cli.h"
#include "app/cli_minutes.h"
#include "app/config.h"
#include "app/hub.h"
#include "app/secure.h"
#include "gateway/sip.h"
#include "gateway/sip_picture.h"
#include "gateway/vp8tx.h"
#include "hn-build-config.h"
#include "store/store.h"
#include "transport/cert.h"
#include "transport/worker.h"

static HnLogLevel log_level = HN_LOG_LEVEL_INFO;

static GLogWriterOutput log_writer(GLogLevelFlags level, const GLogField *fields, gsize n,
                                   gpointer data)
{
    HnLogLevel l = HN_LOG_LEVEL_DEBUG;
    if (level & (G_LOG_LEVEL_ERROR | G_LOG_LEVEL_CRITICAL))
        l = HN_LOG_LEVEL_ERROR;
    else if (level & G_LOG_LEVEL_WARNING)
        l = HN_LOG_LEVEL_WARNING;
    else if (level & (G_LOG_LEVEL_MESSAGE | G_LOG_LEVEL_INFO))
        l = HN_LOG_LEVEL_INFO;
    if (l > log_level)
        return G_LOG_WRITER_HANDLED;
    return g_log_writer_standard_streams(level, fields, n, data);
}

static gboolean on_signal(gpointer loop)
{
    g_message("signal received, stopping");
    g_main_loop_quit(loop);
    return G_SOURCE_CONTINUE; /* removed after the loop, with the other signal's source */
}

static const char *client_dir(const HnConfig *cfg)
{
    if (cfg->client_dir)
        return cfg->client_dir;
    if (g_file_test(HN_CLIENT_DIR_BUILD "/index.html", G_FILE_TEST_EXISTS))
        return HN_CLIENT_DIR_BUILD;
    return HN_CLIENT_DIR_INSTALL;
}

/* "UDP 127.0.0.1:40000 (worker 0), ..." from the sockets each worker's mux bound (its host
 * candidates; the extra public_ip candidates have a suffixed foundation and are not sockets). */
static void describe_mux(GString *out, HnUdpMux *mux, guint index)
{
    for (char *const *c = hn_udp_mux_candidates(mux); c && *c; c++) {
        char **f = g_strsplit(*c + strlen("candidate:"), " ", 0);
        gboolean socket = g_strv_length(f) >= 6;
        for (const char *p = f[0]; socket && *p; p++)
            socket = g_ascii_isdigit(*p);
        if (socket)
            g_string_append_printf(out, "%sUDP %s%s%s:%s (worker %u)", out->len ? ", " : "",
                                   strchr(f[4], ':') ? "[" : "", f[4], strchr(f[4], ':') ? "]" : "",
                                   f[5], index);
        g_strfreev(f);
    }
}

/* What listens for media, for the start-up line. transfer full. */
static char *describe_media(const HnConfig *cfg, HnWorkerPool *pool)
{
    GString *out = g_string_new(NULL);
    for (guint i = 0; cfg->ice_lite && i < hn_worker_pool_size(pool); i++) {
        HnUdpMux *mux = hn_worker_mux(hn_worker_pool_get(pool, i));
        if (mux)
            describe_mux(out, mux, i);
    }
    if (!cfg->ice_lite && cfg->rtp_port_min)
        g_string_append_printf(out, "UDP ports %u-%u, one per peer connection (full ICE)",
                               cfg->rtp_port_min, cfg->rtp_port_max);
    else if (!cfg->ice_lite)
        g_string_append(out, "UDP ports the system chooses, one per peer connection (full ICE)");
    return g_string_free(out, FALSE);
}

int main(int argc, char **argv)
{
    setlocale(LC_ALL, "");
    if (hn_cli_is_command(argc, argv))
        return hn_cli_main(argc, argv);
    if (hn_cli_minutes_is_command(argc, argv))
        return hn_cli_minutes_main(argc, argv);
    char *config_path = NULL, *listen = NULL, *data_dir = NULL;
    gboolean version = FALSE;
    GOptionEntry entries[] = {
        {"config", 'c', 0, G_OPTION_ARG_FILENAME, &config_path, "Configuration file (INI)", "FILE"},
        {"listen", 'l', 0, G_OPTION_ARG_STRING, &listen,
         "Address to serve HTTP/WebSocket on (default 127.0.0.1:8080)", "HOST:PORT"},
        {"data-dir", 'd', 0, G_OPTION_ARG_FILENAME, &data_dir, "Data directory (default ./var)",
         "DIR"},
        {"version", 'V', 0, G_OPTION_ARG_NONE, &version, "Print the version and exit", NULL},
        {NULL, 0, 0, 0, NULL, NULL, NULL}};
    int rc = 1;
    GError *err = NULL;
    HnConfig *cfg = NULL;
    HnCert *cert = NULL;
    HnWorkerPool *pool = NULL;
    HnHub *hub = NULL;
    HnStore *store = NULL;
    char *tls_fp = NULL;
    GMainLoop *loop = NULL;
    HnSipGateway *sip = NULL;

    GOptionContext *octx = g_option_context_new("- hoinghi video-conferencing server (SFU)");
    g_option_context_add_main_entries(octx, entries, NULL);
    g_option_context_set_description(
        octx, "Serves the meeting client at http://HOST:PORT/ and WebRTC media.\n"
              "See docs/configuration.md for the configuration file.\n"
              "Administration: hoinghi user add|passwd|del|list, hoinghi apikey add|list|del\n"
              "(see docs/security.md).\n");
    gboolean parsed = g_option_context_parse(octx, &argc, &argv, &err);
    g_option_context_free(octx);
    if (!parsed) {
        fprintf(stderr, "hoinghi: %s\nTry 'hoinghi --help'.\n", err->message);
        rc = 2;
        goto out;
    }
    if (version) {
        printf("hoinghi %s\n", HN_VERSION);
        rc = 0;
        goto out;
    }

    cfg = hn_config_new();
    if ((config_path && !hn_config_load_file(cfg, config_path, &err)) ||
        (listen && !hn_config_set_listen(cfg, listen, &err)) ||
        (data_dir && !hn_config_set_data_dir(cfg, data_dir, &err))) {
        fprintf(stderr, "hoinghi: invalid configuration: %s\n", err->message);
        rc = 2;
        goto out;
    }
    log_level = cfg->log_level;
    g_log_set_writer_func(log_writer, NULL, NULL);
    signal(SIGPIPE, SIG_IGN);
    if (!hn_secure_check_listen(cfg, &err)) { /* before anything is made or bound */
        fprintf(stderr, "hoinghi: %s\n", err->message);
        rc = 2;
        goto out;
    }

    if (g_mkdir_with_parents(cfg->data_dir, 0750) != 0 ||
        !g_file_test(cfg->data_dir, G_FILE_TEST_IS_DIR)) {
        fprintf(stderr, "hoinghi: cannot create data directory %s: %s\n", cfg->data_dir,
                g_strerror(errno));
        goto out;
    }
    /* The default main context is made here, before any other thread exists: the store thread's
     * g_main_context_push_thread_default() looks it up and would otherwise create it there, and
     * the main thread would then use GLib memory made on another thread without an order that
     * ThreadSanitizer can see (GLib's own locks are futexes it does not know). */
    (void)g_main_context_default();
    store = hn_store_open(cfg->data_dir, &err);
    if (!store) {
        fprintf(stderr, "hoinghi: cannot open the store: %s\n", err->message);
        goto out;
    }
    gboolean made = FALSE;
    tls_fp = hn_secure_apply(cfg, &made, &err);
    if (!tls_fp && err) {
        fprintf(stderr, "hoinghi: TLS: %s\n", err->message);
        goto out;
    }
    cert = hn_cert_generate(&err);
    if (!cert) {
        fprintf(stderr, "hoinghi: cannot create the DTLS certificate: %s\n", err->message);
        goto out;
    }

    loop = g_main_loop_new(NULL, FALSE);
    pool = hn_worker_pool_new(hn_config_get_workers(cfg));
    hub = hn_hub_new(cfg, pool, cert, loop, client_dir(cfg), &err);
    if (!hub) {
        fprintf(stderr, "hoinghi: %s\n", err->message);
        goto out;
    }
    hn_hub_set_store(hub, store);
    hn_vp8tx_install(); /* H.264 -> VP8 for browsers without H.264 */
    sip = hn_sip_gateway_new(cfg, hub, &err);
    if (!sip && err) {
        fprintf(stderr, "hoinghi: %s\n", err->message);
        goto out;
    }
    if (sip) {
        HnSipMediaProvider picture;
        hn_sip_picture_provider(hub, &picture); /* room systems receive the composed picture */
        hn_sip_gateway_set_media(sip, &picture);
    }
    char *where = hn_config_format_listen(cfg), *media = describe_media(cfg, pool);
    g_message("hoinghi %s: %s://%s/ (%u media workers, ICE %s, SRTP %s, data in %s)", HN_VERSION,
              cfg->tls_cert ? "https" : "http", where, hn_worker_pool_size(pool),
              cfg->ice_lite ? "lite" : "full", HN_SRTP_BACKEND, cfg->data_dir);
    gboolean any = strcmp(cfg->listen_host, "0.0.0.0") == 0 || strcmp(cfg->listen_host, "::") == 0;
    g_message("listening: %s/WebSocket on TCP %s%s; media on %s", cfg->tls_cert ? "HTTPS" : "HTTP",
              where, any ? " (every address of this machine)" : "", media);
    if (tls_fp)
        g_message("TLS certificate %s%s, SHA-256 fingerprint %s", cfg->tls_cert,
                  made ? " (self-signed, made now)"
                       : (cfg->tls_self_signed && g_str_has_prefix(cfg->tls_cert, cfg->data_dir)
                              ? " (self-signed, kept)"
                              : ""),
                  tls_fp);
    g_free(where);
    g_free(media);

    guint sigint = g_unix_signal_add(SIGINT, on_signal, loop);
    guint sigterm = g_unix_signal_add(SIGTERM, on_signal, loop);
    g_main_loop_run(loop);
    g_source_remove(sigint);
    g_source_remove(sigterm);
    rc = 0;

out:
    hn_sip_gateway_free(sip); /* BYE to every call, before the rooms go */
    hn_hub_free(hub);         /* rooms closed on their workers, which are idle from here on */
    /* After the hub (its last audit rows are written) and before the pool: a query the hub sent
     * is still answered into the pool's home mailbox, which hn_worker_pool_free frees (a
     * use-after-free at shutdown under ASan). */
    hn_store_close(store);
    hn_worker_pool_free(pool);
    hn_cert_unref(cert);
    hn_config_free(cfg);
    if (loop)
        g_main_loop_unref(loop);
    g_clear_error(&err);
    g_free(config_path);
    g_free(listen);
    g_free(data_dir);
    g_free(tls_fp);
    return rc;
}
