/* Unit tests of server/app/config.c: defaults, the example file, strict validation with line
 * numbers, command-line overrides. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <glib.h>
#include <glib/gstdio.h>
#include <string.h>

#include "app/config.h"

/* A temporary directory with a readable cert.pem and key.pem, removed at the end. */
static char *tmp_dir;
static char *cert_path;
static char *key_path;

static int setup_files(void **state)
{
    tmp_dir = g_dir_make_tmp("hn-config-XXXXXX", NULL);
    assert_non_null(tmp_dir);
    cert_path = g_build_filename(tmp_dir, "cert.pem", NULL);
    key_path = g_build_filename(tmp_dir, "key.pem", NULL);
    assert_true(g_file_set_contents(cert_path, "cert\n", -1, NULL));
    assert_true(g_file_set_contents(key_path, "key\n", -1, NULL));
    return 0;
}

static int teardown_files(void **state)
{
    g_unlink(cert_path);
    g_unlink(key_path);
    g_rmdir(tmp_dir);
    g_free(cert_path);
    g_free(key_path);
    g_free(tmp_dir);
    return 0;
}

/* Loads text as "test.conf" into a fresh config; returns it, or NULL with *error set. */
static HnConfig *load(const char *text, GError **error)
{
    HnConfig *cfg = hn_config_new();
    if (!hn_config_load_data(cfg, text, -1, "test.conf", error)) {
        hn_config_free(cfg);
        return NULL;
    }
    return cfg;
}

/* Asserts that text fails with code and a message containing needle. */
static void expect_error(const char *text, HnConfigError code, const char *needle)
{
    GError *error = NULL;
    HnConfig *cfg = load(text, &error);
    if (cfg != NULL)
        fail_msg("loaded, expected an error containing \"%s\":\n%s", needle, text);
    assert_non_null(error);
    if (!g_error_matches(error, HN_CONFIG_ERROR, (gint)code) ||
        strstr(error->message, needle) == NULL)
        fail_msg("got \"%s\" (code %d), expected \"%s\" (code %d)", error->message, error->code,
                 needle, code);
    g_error_free(error);
}

static void test_defaults(void **state)
{
    HnConfig *cfg = hn_config_new();
    assert_string_equal(cfg->listen_host, "127.0.0.1");
    assert_int_equal(cfg->listen_port, 8080);
    assert_string_equal(cfg->data_dir, "./var");
    assert_null(cfg->tls_cert);
    assert_null(cfg->tls_key);
    assert_int_equal(cfg->workers, 0);
    assert_null(cfg->client_dir);
    assert_int_equal(cfg->log_level, HN_LOG_LEVEL_INFO);
    assert_int_equal(cfg->rtp_port_min, 0);
    assert_int_equal(cfg->rtp_port_max, 0);
    assert_non_null(cfg->interfaces);
    assert_null(cfg->interfaces[0]);
    assert_non_null(cfg->addresses);
    assert_null(cfg->addresses[0]);
    assert_null(cfg->public_ip);
    assert_int_equal(cfg->consent_timeout, 10);
    assert_int_equal(cfg->ice_restart_grace, 30);
    assert_int_equal(cfg->max_queue_delay_ms, 100);
    assert_int_equal(cfg->rx_peak_mbps, 160);
    assert_int_equal(cfg->busy_lag_ms, 200);
    assert_int_equal(cfg->busy_hold, 10);
    assert_int_equal(cfg->spread_subscribers, 100);
    assert_int_equal(cfg->handshake_budget_pct, 25);
    assert_true(cfg->ice_lite);
    assert_true(cfg->auto_create);
    assert_int_equal(cfg->max_participants, 100);
    assert_int_equal(cfg->rooms->len, 0);
    assert_null(hn_config_find_room(cfg, "x"));
    guint workers = hn_config_get_workers(cfg);
    assert_true(workers >= 1 && workers <= 64);
    char *listen = hn_config_format_listen(cfg);
    assert_string_equal(listen, "127.0.0.1:8080");
    g_free(listen);
    assert_string_equal(hn_log_level_name(HN_LOG_LEVEL_DEBUG), "debug");
    hn_config_free(cfg);
    hn_config_free(NULL);
}

static void test_example_file(void **state)
{
    HnConfig *cfg = hn_config_new();
    GError *error = NULL;
    gboolean ok = hn_config_load_file(cfg, HN_EXAMPLE_CONF, &error);
    if (!ok)
        fail_msg("%s", error->message);
    /* the example sets every key to its default */
    HnConfig *def = hn_config_new();
    assert_string_equal(cfg->listen_host, def->listen_host);
    assert_int_equal(cfg->listen_port, def->listen_port);
    assert_string_equal(cfg->data_dir, def->data_dir);
    assert_int_equal(cfg->workers, def->workers);
    assert_int_equal(cfg->log_level, def->log_level);
    assert_int_equal(cfg->consent_timeout, def->consent_timeout);
    assert_int_equal(cfg->auto_create, def->auto_create);
    assert_int_equal(cfg->max_participants, def->max_participants);
    assert_null(cfg->interfaces[0]);
    assert_null(cfg->addresses[0]);
    const HnRoomConfig *room = hn_config_find_room(cfg, "tinh-uy");
    assert_non_null(room);
    assert_non_null(room->title);
    assert_int_equal(room->max_participants, 60);
    hn_config_free(def);
    hn_config_free(cfg);
}

static void test_full_file(void **state)
{
    g_autofree char *text = g_strdup_printf("# every key\n"
                                            "[server]\n"
                                            "listen = [::1]:9443\n"
                                            "data_dir = /srv/hoinghi\n"
                                            "tls_cert = %s\n"
                                            "tls_key = %s\n"
                                            "workers = 4\n"
                                            "client_dir = %s\n"
                                            "log_level = debug\n"
                                            "[media]\n"
                                            "rtp_port_min = 40000\n"
                                            "rtp_port_max = 40100\n"
                                            "interfaces = eth0, lo ,\n"
                                            "public_ip = 203.0.113.7\n"
                                            "consent_timeout = 30\n"
                                            "ice_restart_grace = 0\n"
                                            "max_queue_delay_ms = 0\n"
                                            "rx_peak_mbps = 1000\n"
                                            "busy_lag_ms = 0\n"
                                            "busy_hold = 30\n"
                                            "spread_subscribers = 50\n"
                                            "handshake_budget_pct = 100\n"
                                            "ice_lite = false\n"
                                            "[rooms]\n"
                                            "auto_create = false\n"
                                            "max_participants = 250\n"
                                            "last_n = 4\n"
                                            "lobby_timeout = 600\n"
                                            "[room:a.b_c-1]\n"
                                            "title = Họp giao ban  \n"
                                            "lobby = true\n"
                                            "[room:small]\n"
                                            "max_participants = 5\n"
                                            "last_n = 0\n",
                                            cert_path, key_path, tmp_dir);
    GError *error = NULL;
    HnConfig *cfg = load(text, &error);
    if (cfg == NULL)
        fail_msg("%s", error->message);
    assert_string_equal(cfg->listen_host, "::1");
    assert_int_equal(cfg->listen_port, 9443);
    char *listen = hn_config_format_listen(cfg);
    assert_string_equal(listen, "[::1]:9443");
    g_free(listen);
    assert_string_equal(cfg->data_dir, "/srv/hoinghi");
    assert_string_equal(cfg->tls_cert, cert_path);
    assert_string_equal(cfg->tls_key, key_path);
    assert_int_equal(cfg->workers, 4);
    assert_int_equal(hn_config_get_workers(cfg), 4);
    assert_string_equal(cfg->client_dir, tmp_dir);
    assert_int_equal(cfg->log_level, HN_LOG_LEVEL_DEBUG);
    assert_int_equal(cfg->rtp_port_min, 40000);
    assert_int_equal(cfg->rtp_port_max, 40100);
    assert_int_equal(g_strv_length(cfg->interfaces), 2);
    assert_string_equal(cfg->interfaces[0], "eth0");
    assert_string_equal(cfg->interfaces[1], "lo");
    assert_string_equal(cfg->public_ip, "203.0.113.7");
    assert_int_equal(cfg->consent_timeout, 30);
    assert_int_equal(cfg->ice_restart_grace, 0);
    assert_int_equal(cfg->max_queue_delay_ms, 0);
    assert_int_equal(cfg->rx_peak_mbps, 1000);
    assert_int_equal(cfg->busy_lag_ms, 0);
    assert_int_equal(cfg->busy_hold, 30);
    assert_int_equal(cfg->spread_subscribers, 50);
    assert_int_equal(cfg->handshake_budget_pct, 100);
    assert_false(cfg->ice_lite);
    assert_false(cfg->auto_create);
    assert_int_equal(cfg->max_participants, 250);
    assert_int_equal(cfg->rooms->len, 2);
    const HnRoomConfig *a = hn_config_find_room(cfg, "a.b_c-1");
    assert_non_null(a);
    assert_string_equal(a->title, "Họp giao ban");
    assert_int_equal(a->max_participants, 250); /* inherited, although [rooms] came first */
    assert_int_equal(cfg->last_n, 4);
    assert_int_equal(a->last_n, 4);
    const HnRoomConfig *small = hn_config_find_room(cfg, "small");
    assert_null(small->title);
    assert_int_equal(small->max_participants, 5);
    assert_int_equal(small->last_n, 0); /* its own, off */
    assert_true(a->lobby);
    assert_false(small->lobby); /* default: no lobby */
    assert_int_equal(cfg->lobby_timeout, 600);
    assert_null(hn_config_find_room(cfg, "other"));
    hn_config_free(cfg);
}

static void test_addresses(void **state)
{
    GError *error = NULL;
    HnConfig *cfg = load("[media]\naddresses = 192.168.1.10;fd00::10, 127.0.0.1\n", &error);
    assert_non_null(cfg);
    assert_int_equal(g_strv_length(cfg->addresses), 3);
    assert_string_equal(cfg->addresses[1], "fd00::10");
    hn_config_free(cfg);
}

static void test_crlf_and_inherit_later(void **state)
{
    GError *error = NULL;
    HnConfig *cfg =
        load("[room:x]\r\ntitle = T\r\n\r\n[rooms]\r\nmax_participants = 7\r\n", &error);
    assert_non_null(cfg);
    assert_string_equal(hn_config_find_room(cfg, "x")->title, "T");
    assert_int_equal(hn_config_find_room(cfg, "x")->max_participants, 7);
    hn_config_free(cfg);
    expect_error("[server]\r\n\r\nworkers = many\r\n", HN_CONFIG_ERROR_INVALID,
                 "test.conf:3: [server] workers:");
}

static void test_unknown(void **state)
{
    expect_error("[server]\nlisten = 127.0.0.1:1\n\n[sevrer]\nx = 1\n",
                 HN_CONFIG_ERROR_UNKNOWN_GROUP, "test.conf:4: [sevrer]: unknown group");
    expect_error("[server]\n# comment\nlisen = 1.2.3.4:80\n", HN_CONFIG_ERROR_UNKNOWN_KEY,
                 "test.conf:3: [server] lisen: unknown key");
    expect_error("[media]\n\n\n  public = 1.2.3.4\n", HN_CONFIG_ERROR_UNKNOWN_KEY,
                 "test.conf:4: [media] public: unknown key");
    expect_error("[room:x]\ntitle = a\npinn = 1234\n", HN_CONFIG_ERROR_UNKNOWN_KEY,
                 "test.conf:3: [room:x] pinn: unknown key");
    expect_error("[rooms]\nauto_create = true\nmax_participants[vi] = 3\n",
                 HN_CONFIG_ERROR_UNKNOWN_KEY, "test.conf:3: [rooms] max_participants[vi]:");
}

static void test_hooks(void **state)
{
    GError *error = NULL;
    HnConfig *cfg = load("[hooks]\nretry_base_ms = 200\nretry_period = 60\n"
                         "[webhook:crm]\nurl = https://crm.example/hooks\n"
                         "secret = whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw\n"
                         "events = participant.*, meeting.ended\n"
                         "[eoffice]\nupload_url = http://127.0.0.1:9/up\nauth = bearer\n"
                         "token = t0ken\n[room:kín]\n",
                         &error);
    assert_null(cfg); /* the room name: not [A-Za-z0-9_.-] */
    g_clear_error(&error);
    cfg = load("[hooks]\nretry_base_ms = 200\nretry_period = 60\n"
               "[webhook:crm]\nurl = https://crm.example/hooks\n"
               "secret = whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw\n"
               "events = participant.*, meeting.ended\n"
               "[eoffice]\nupload_url = http://127.0.0.1:9/up\nauth = bearer\ntoken = t0ken\n"
               "[room:kin]\nconfidential = true\n",
               &error);
    assert_non_null(cfg);
    assert_int_equal(cfg->hook_retry_base_ms, 200);
    assert_int_equal(cfg->hook_retry_period, 60);
    assert_int_equal(cfg->hook_timeout, HN_CONFIG_HOOK_TIMEOUT);
    assert_int_equal(cfg->webhooks->len, 1);
    HnWebhookConfig *w = g_ptr_array_index(cfg->webhooks, 0);
    assert_string_equal(w->name, "crm");
    assert_string_equal(w->events, "participant.*, meeting.ended");
    assert_string_equal(cfg->eoffice.field_file, "file");
    assert_true(hn_config_find_room(cfg, "kin")->confidential);
    hn_config_free(cfg);
    expect_error("[webhook:a]\nurl = ftp://x/\nsecret = whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw\n",
                 HN_CONFIG_ERROR_INVALID, "test.conf:2: [webhook:a] url: the scheme must be http");
    expect_error("[webhook:a]\nurl = http://\nsecret = whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw\n",
                 HN_CONFIG_ERROR_INVALID, "test.conf:2: [webhook:a] url:");
    expect_error("[webhook:a]\nurl = http://h/\nsecret = hunter2\n", HN_CONFIG_ERROR_INVALID,
                 "test.conf:3: [webhook:a] secret: a secret is \"whsec_\"");
    expect_error("[webhook:a]\nurl = http://h/\n", HN_CONFIG_ERROR_INVALID,
                 "test.conf:1: [webhook:a]: secret is required");
    expect_error("[webhook:a]\nurl = http://h/\nsecret = whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw\n"
                 "events = Meeting started\n",
                 HN_CONFIG_ERROR_INVALID, "test.conf:4: [webhook:a] events:");
    expect_error("[webhook:a]\nurl = http://h/\n[webhook:a]\n", HN_CONFIG_ERROR_DUPLICATE,
                 "webhook declared twice");
    expect_error("[eoffice]\nauth = basic\nusername = u\n", HN_CONFIG_ERROR_INVALID,
                 "auth = basic needs username and password");
    expect_error("[eoffice]\nedxml_url = http://lgsp/\n", HN_CONFIG_ERROR_INVALID,
                 "edxml_url needs from_code");
}

static void test_access(void **state)
{
    GError *error = NULL;
    HnConfig *cfg = load("[room:a]\npin = 123456\n[room:b]\n", &error);
    assert_non_null(cfg);
    assert_int_equal(hn_config_room_access(cfg, "a"), HN_ACCESS_PIN);
    assert_int_equal(hn_config_room_access(cfg, "b"), HN_ACCESS_OPEN);
    assert_int_equal(hn_config_room_access(cfg, "undeclared"), HN_ACCESS_OPEN);
    assert_string_equal(hn_config_find_room(cfg, "a")->pin, "123456");
    assert_int_equal(cfg->lockout_failures, 5);
    assert_null(cfg->jwt_secret);
    assert_null(cfg->allowed_origins[0]);
    hn_config_free(cfg);

    cfg = load("[auth]\njwt_secret = 0123456789abcdef0123\nlockout_seconds = 9\n"
               "[server]\nallowed_origins = https://a.example, http://10.0.0.5:8080\n"
               "[room:a]\npin = 1234\n[room:b]\n[room:c]\naccess = open\n",
               &error);
    assert_non_null(cfg);
    assert_int_equal(hn_config_room_access(cfg, "a"), HN_ACCESS_TOKEN_OR_PIN);
    assert_int_equal(hn_config_room_access(cfg, "b"), HN_ACCESS_TOKEN);
    assert_int_equal(hn_config_room_access(cfg, "c"), HN_ACCESS_OPEN);
    assert_int_equal(hn_config_room_access(cfg, "other"), HN_ACCESS_TOKEN);
    assert_int_equal(cfg->lockout_seconds, 9);
    assert_string_equal(cfg->allowed_origins[1], "http://10.0.0.5:8080");
    hn_config_free(cfg);

    expect_error("[room:a]\npin = 12\n", HN_CONFIG_ERROR_INVALID, "test.conf:2: [room:a] pin:");
    expect_error("[room:a]\npin = 12ab\n", HN_CONFIG_ERROR_INVALID, "[room:a] pin:");
    expect_error("[room:a]\naccess = pin\n", HN_CONFIG_ERROR_INVALID,
                 "test.conf:2: [room:a] access: pin needs a pin");
    expect_error("[room:a]\naccess = token\n", HN_CONFIG_ERROR_INVALID, "needs [auth] jwt_secret");
    expect_error("[room:a]\naccess = all\n", HN_CONFIG_ERROR_INVALID, "[room:a] access:");
    expect_error("[auth]\njwt_secret = short\n", HN_CONFIG_ERROR_INVALID,
                 "test.conf:2: [auth] jwt_secret: the secret must be");
    expect_error("[auth]\njwt_secret_file = /nonexistent/secret\n", HN_CONFIG_ERROR_INVALID,
                 "[auth] jwt_secret_file:");
    expect_error("[server]\nallowed_origins = example.org\n", HN_CONFIG_ERROR_INVALID,
                 "[server] allowed_origins:");
    expect_error("[auth]\nlockout_seconds = 0\n", HN_CONFIG_ERROR_INVALID,
                 "[auth] lockout_seconds:");
}

static void test_duplicates(void **state)
{
    expect_error("[room:a]\ntitle = one\n\n[room:b]\n[room:a]\n", HN_CONFIG_ERROR_DUPLICATE,
                 "test.conf:5: [room:a]: room declared twice (first at line 1)");
    expect_error("[room:GiaoBan]\n\n[room:giaoban]\n", HN_CONFIG_ERROR_INVALID,
                 "test.conf:3: [room:giaoban]: room giaoban is declared twice (room names ignore "
                 "case)");
    expect_error("[server]\nworkers = 1\n[media]\n[server]\n", HN_CONFIG_ERROR_DUPLICATE,
                 "test.conf:4: [server]: group given twice (first at line 1)");
    expect_error("[server]\nworkers = 1\nworkers=2\n", HN_CONFIG_ERROR_DUPLICATE,
                 "test.conf:3: [server] workers: key set twice (first at line 2)");
}

static void test_syntax(void **state)
{
    expect_error("[server]\nworkers = 1\nthis is not a key\n", HN_CONFIG_ERROR_PARSE,
                 "test.conf:3: not a");
    expect_error("# comment\nworkers = 1\n[server]\n", HN_CONFIG_ERROR_PARSE,
                 "test.conf:2: “key = value” before the first");
    expect_error("[server]\n[media\n", HN_CONFIG_ERROR_PARSE, "test.conf:2:");
    expect_error("[server]\n= 3\n", HN_CONFIG_ERROR_PARSE, "test.conf:2:");
    expect_error("[server]\n\ndata_dir = \xff\xfe\n", HN_CONFIG_ERROR_PARSE,
                 "test.conf:3: the file is not valid UTF-8");
    expect_error("[server]\ndata_dir = a\\qb\n", HN_CONFIG_ERROR_INVALID,
                 "test.conf:2: [server] data_dir: bad escape sequence");

    GError *error = NULL;
    HnConfig *cfg = hn_config_new();
    assert_false(hn_config_load_data(cfg, "[server]\nx\0y\n", 12, "test.conf", &error));
    assert_non_null(strstr(error->message, "test.conf:2: the file contains a NUL byte"));
    g_clear_error(&error);
    hn_config_free(cfg);
}

static void test_server_values(void **state)
{
    const struct {
        const char *text;
        const char *needle;
    } cases[] = {
        {"[server]\nlisten = localhost:8080\n", "test.conf:2: [server] listen: “localhost”"},
        {"[server]\nlisten = 1.2.3.4\n", "[server] listen: expected HOST:PORT"},
        {"[server]\nlisten = ::1:8080\n", "must be in brackets"},
        {"[server]\nlisten = [::1]:0\n", "port “0”"},
        {"[server]\nlisten = 1.2.3.4:65536\n", "port “65536”"},
        {"[server]\nlisten = 1.2.3.4:80x\n", "port “80x”"},
        {"[server]\nlisten = [zz]:80\n", "“zz” is not an IPv6 address"},
        {"[server]\nlisten = [::1]8080\n", "expected [IPV6]:PORT"},
        {"[server]\n\ndata_dir =   \n", "test.conf:3: [server] data_dir: must not be empty"},
        {"[server]\nworkers = abc\n", "test.conf:2: [server] workers: “abc” is not a whole"},
        {"[server]\nworkers = 65\n", "between 0 and 64"},
        {"[server]\nworkers = -1\n", "“-1”"},
        {"[server]\nworkers = 4 threads\n", "“4 threads”"},
        {"[server]\nlog_level = verbose\n", "test.conf:2: [server] log_level: expected error"},
        {"[server]\ntls_cert = /nonexistent/cert.pem\n", "[server] tls_cert: “/nonexistent"},
        {"[server]\nclient_dir = /nonexistent/client\n", "not a directory"},
    };
    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++)
        expect_error(cases[i].text, HN_CONFIG_ERROR_INVALID, cases[i].needle);
}

static void test_tls_pairing(void **state)
{
    g_autofree char *only_cert = g_strdup_printf("[server]\n\ntls_cert = %s\n", cert_path);
    expect_error(only_cert, HN_CONFIG_ERROR_INVALID,
                 "test.conf:3: [server] tls_cert: tls_key must be set too");
    g_autofree char *only_key = g_strdup_printf("[server]\ntls_key = %s\n", key_path);
    expect_error(only_key, HN_CONFIG_ERROR_INVALID,
                 "test.conf:2: [server] tls_key: tls_cert must be set too");
    g_autofree char *dir_as_cert =
        g_strdup_printf("[server]\ntls_cert = %s\ntls_key = %s\n", tmp_dir, key_path);
    expect_error(dir_as_cert, HN_CONFIG_ERROR_INVALID, "not a regular file");
    /* empty values mean "not set" */
    GError *error = NULL;
    HnConfig *cfg = load("[server]\ntls_cert =\ntls_key =\n", &error);
    assert_non_null(cfg);
    assert_null(cfg->tls_cert);
    hn_config_free(cfg);
}

static void test_media_values(void **state)
{
    const struct {
        const char *text;
        const char *needle;
    } cases[] = {
        {"[media]\nrtp_port_min = 80\nrtp_port_max = 90\n",
         "test.conf:2: [media] rtp_port_min: “80” must be 0 (any port) or between 1024"},
        {"[media]\nrtp_port_min = 2000\nrtp_port_max = 70000\n", "test.conf:3:"},
        {"[media]\nrtp_port_min = 3000\nrtp_port_max = 2000\n",
         "test.conf:3: [media] rtp_port_max: 2000 is below rtp_port_min (3000)"},
        {"[media]\n\nrtp_port_min = 3000\n", "test.conf:3: [media] rtp_port_min: rtp_port_min "
                                             "and rtp_port_max must both"},
        {"[media]\ninterfaces = eth0, eth/1\n", "test.conf:2: [media] interfaces: “eth/1”"},
        {"[media]\ninterfaces = averyveryverylongname\n", "not a valid interface name"},
        {"[media]\ninterfaces = eth0,eth0\n", "“eth0” is listed twice"},
        {"[media]\naddresses = 1.2.3\n", "test.conf:2: [media] addresses: “1.2.3” is not an"},
        {"[media]\naddresses = 0.0.0.0\n", "not a unicast address"},
        {"[media]\naddresses = ff02::1\n", "not a unicast address"},
        {"[media]\ninterfaces = eth0\naddresses = 10.0.0.1\n",
         "test.conf:3: [media] addresses: set either interfaces or addresses"},
        {"[media]\npublic_ip = 2001:db8::1\n", "[media] public_ip: “2001:db8::1” is not an IPv4"},
        {"[media]\npublic_ip = 224.0.0.1\n", "not a unicast address"},
        {"[media]\nconsent_timeout = 2\n", "[media] consent_timeout: “2” is not a whole number "
                                           "between 3 and 60"},
        {"[media]\nconsent_timeout = 61\n", "between 3 and 60"},
        {"[media]\nice_lite = maybe\n", "[media] ice_lite:"},
        {"[media]\nice_restart_grace = 301\n", "[media] ice_restart_grace:"},
        {"[media]\nmax_queue_delay_ms = 10001\n", "[media] max_queue_delay_ms:"},
        {"[media]\nrx_peak_mbps = 0\n", "[media] rx_peak_mbps:"},
        {"[media]\nbusy_lag_ms = -1\n", "[media] busy_lag_ms:"},
        {"[media]\nbusy_hold = 0\n", "[media] busy_hold:"},
        {"[media]\nspread_subscribers = 100001\n", "[media] spread_subscribers:"},
        {"[media]\nspread_subscribers = -1\n", "[media] spread_subscribers:"},
        {"[media]\nhandshake_budget_pct = 0\n", "[media] handshake_budget_pct:"},
        {"[media]\nhandshake_budget_pct = 101\n", "[media] handshake_budget_pct:"},
        {"[rooms]\nlast_n = 101\n", "[rooms] last_n:"},
    };
    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++)
        expect_error(cases[i].text, HN_CONFIG_ERROR_INVALID, cases[i].needle);
}

static void test_room_values(void **state)
{
    const struct {
        const char *text;
        const char *needle;
    } cases[] = {
        {"[rooms]\nauto_create = maybe\n", "test.conf:2: [rooms] auto_create: expected true or"},
        {"[room:x]\nlobby = yes\n", "test.conf:2: [room:x] lobby: expected true or false"},
        {"[rooms]\nlobby_timeout = 1\n", "[rooms] lobby_timeout: “1” is not a whole number"},
        {"[recording]\ncompose = later\n", "[recording] compose: must be one of live, after, off"},
        {"[recording]\nformat = avi\n", "[recording] format:"},
        {"[recording]\nreserve_mb = -1\n", "[recording] reserve_mb:"},
        {"[room:a]\nrecord = maybe\n", "[room:a] record:"},
        {"[rooms]\nlobby_timeout = 86401\n", "[rooms] lobby_timeout:"},
        {"[rooms]\nmax_participants = 0\n", "between 1 and 1000"},
        {"[rooms]\nmax_participants = 1001\n",
         "test.conf:2: [rooms] max_participants: 1001 is over 1000, the largest room: each "
         "participant's subscriber offer carries 2 sections per other participant, 1998 of the "
         "2048 one SDP may have for 1000"},
        {"[rooms]\nmax_participants = -1\n", "between 1 and 1000"},
        {"[rooms]\nmax_participants = 99999999999\n", "between 1 and 1000"},
        {"[rooms]\n[room:bad name]\n", "test.conf:2: [room:bad name]: room name must be"},
        {"[room:]\n", "test.conf:1: [room:]: room name"},
        {"[room:x]\nmax_participants = 2000\n", "test.conf:2: [room:x] max_participants: 2000 is "
                                                "over 1000"},
        {"[room:x]\ntitle = a\\tb\n", "test.conf:2: [room:x] title: contains a control"},
        {"[picture]\nwidth = 1281\n", "test.conf:2: [picture] width: must be even"},
        {"[picture]\nwidth = 3840\n", "[picture] width:"},
        {"[picture]\nheight = 2160\n", "[picture] height:"},
        {"[picture]\nfps = 0\n", "[picture] fps:"},
        {"[picture]\nfps = 61\n", "[picture] fps:"},
    };
    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++)
        expect_error(cases[i].text, HN_CONFIG_ERROR_INVALID, cases[i].needle);

    g_autofree char *name65 = g_strnfill(65, 'a');
    g_autofree char *too_long = g_strdup_printf("[room:%s]\n", name65);
    expect_error(too_long, HN_CONFIG_ERROR_INVALID, "test.conf:1: [room:a");

    name65[64] = '\0';
    g_autofree char *longest = g_strdup_printf("[rooms]\nauto_create = 0\n[room:%s]\n", name65);
    GError *error = NULL;
    HnConfig *cfg = load(longest, &error);
    assert_non_null(cfg);
    assert_false(cfg->auto_create);
    assert_int_equal(cfg->rooms->len, 1);
    assert_int_equal(cfg->picture_width, 1280); /* the defaults */
    assert_int_equal(cfg->picture_height, 720);
    assert_int_equal(cfg->picture_fps, 25);
    hn_config_free(cfg);
    cfg = load("[picture]\nwidth = 1920\nheight = 1080\nfps = 30\n", &error);
    assert_non_null(cfg);
    assert_int_equal(cfg->picture_width, 1920);
    assert_int_equal(cfg->picture_height, 1080);
    assert_int_equal(cfg->picture_fps, 30);
    hn_config_free(cfg);
}

static void test_error_keeps_config(void **state)
{
    HnConfig *cfg = hn_config_new();
    GError *error = NULL;
    assert_true(hn_config_load_data(cfg, "[server]\nworkers = 3\n[room:r]\n", -1, "a", &error));
    assert_int_equal(cfg->workers, 3);
    assert_false(hn_config_load_data(cfg, "[server]\nworkers = 5\nbad = 1\n", -1, "b", &error));
    g_clear_error(&error);
    assert_int_equal(cfg->workers, 3);
    assert_non_null(hn_config_find_room(cfg, "r"));
    /* a successful load starts again from the defaults */
    assert_true(hn_config_load_data(cfg, "[media]\n", -1, "c", &error));
    assert_int_equal(cfg->workers, 0);
    assert_null(hn_config_find_room(cfg, "r"));
    hn_config_free(cfg);
}

static void test_missing_file(void **state)
{
    HnConfig *cfg = hn_config_new();
    GError *error = NULL;
    assert_false(hn_config_load_file(cfg, "/nonexistent/hoinghi.conf", &error));
    assert_true(g_error_matches(error, HN_CONFIG_ERROR, HN_CONFIG_ERROR_IO));
    assert_non_null(strstr(error->message, "/nonexistent/hoinghi.conf"));
    g_clear_error(&error);
    hn_config_free(cfg);
}

static void test_cli_overrides(void **state)
{
    HnConfig *cfg = hn_config_new();
    GError *error = NULL;
    assert_true(hn_config_set_listen(cfg, "0.0.0.0:443", &error));
    assert_string_equal(cfg->listen_host, "0.0.0.0");
    assert_int_equal(cfg->listen_port, 443);
    assert_true(hn_config_set_listen(cfg, "[::]:8443", &error));
    assert_string_equal(cfg->listen_host, "::");
    assert_int_equal(cfg->listen_port, 8443);

    assert_false(hn_config_set_listen(cfg, "::1:80", &error));
    assert_true(g_error_matches(error, HN_CONFIG_ERROR, HN_CONFIG_ERROR_INVALID));
    assert_non_null(strstr(error->message, "invalid listen address “::1:80”"));
    g_clear_error(&error);
    assert_false(hn_config_set_listen(cfg, "host:80", &error));
    g_clear_error(&error);
    assert_false(hn_config_set_listen(cfg, "", &error));
    g_clear_error(&error);
    assert_string_equal(cfg->listen_host, "::"); /* unchanged by the failures */
    assert_int_equal(cfg->listen_port, 8443);

    assert_true(hn_config_set_data_dir(cfg, "/tmp/hn", &error));
    assert_string_equal(cfg->data_dir, "/tmp/hn");
    assert_false(hn_config_set_data_dir(cfg, "", &error));
    assert_true(g_error_matches(error, HN_CONFIG_ERROR, HN_CONFIG_ERROR_INVALID));
    g_clear_error(&error);
    assert_string_equal(cfg->data_dir, "/tmp/hn");
    hn_config_free(cfg);
}

static void test_room_name_rule(void **state)
{
    assert_true(hn_config_room_name_valid("a"));
    assert_true(hn_config_room_name_valid("Tinh_Uy.2024-01"));
    assert_false(hn_config_room_name_valid(""));
    assert_false(hn_config_room_name_valid(NULL));
    assert_false(hn_config_room_name_valid("a b"));
    assert_false(hn_config_room_name_valid("phòng"));
    assert_false(hn_config_room_name_valid("a/b"));

    /* room names ignore case */
    HnConfig *cfg = hn_config_new();
    GError *error = NULL;
    assert_true(
        hn_config_load_data(cfg, "[room:GiaoBan]\ntitle = Giao ban\n", -1, "t.conf", &error));
    assert_non_null(hn_config_find_room(cfg, "giaoban"));
    assert_non_null(hn_config_find_room(cfg, "GIAOBAN"));
    assert_null(hn_config_find_room(cfg, "giaoban2"));
    hn_config_free(cfg);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_example_file),
        cmocka_unit_test(test_full_file),
        cmocka_unit_test(test_addresses),
        cmocka_unit_test(test_crlf_and_inherit_later),
        cmocka_unit_test(test_unknown),
        cmocka_unit_test(test_access),
        cmocka_unit_test(test_hooks),
        cmocka_unit_test(test_duplicates),
        cmocka_unit_test(test_syntax),
        cmocka_unit_test(test_server_values),
        cmocka_unit_test(test_tls_pairing),
        cmocka_unit_test(test_media_values),
        cmocka_unit_test(test_room_values),
        cmocka_unit_test(test_error_keeps_config),
        cmocka_unit_test(test_missing_file),
        cmocka_unit_test(test_cli_overrides),
        cmocka_unit_test(test_room_name_rule),
    };
    return cmocka_run_group_tests(tests, setup_files, teardown_files);
}
