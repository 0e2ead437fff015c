/* Server configuration: defaults, strict INI loading with line numbers, CLI overrides.
 *
 * GKeyFile parses the values, but it neither reports line numbers nor notices a group or key
 * given twice (it merges them), so the text is first scanned here into an index of
 * (group, key, line) that both finds duplicates and places every later error on its line. */
#include "app/config.h"
#include "app/negotiate.h"
#include "app/whip_links.h"
#include "meeting/pdf_sign.h"
#include "meeting/webhook_sign.h"
#include "transport/hs_budget.h"

#include <arpa/inet.h>
#include <errno.h>
#include <string.h>
#include <unistd.h>

#define MAX_FILE_SIZE  (1024 * 1024)
#define IFNAME_MAX     15 /* IFNAMSIZ - 1 on Linux */
#define ROOM_GROUP_PFX "room:"
#define HOOK_GROUP_PFX "webhook:"
#define SITE_GROUP_PFX "site:"
#define KNOWN_GROUPS                                                                               \
    "server, media, rooms, auth, recording, minutes, room:NAME, hooks, webhook:NAME, eoffice, "    \
    "sip, site:NAME, picture, whip"

G_DEFINE_QUARK(hn - config - error - quark, hn_config_error)

/* ---- defaults and lifetime ---- */

static void room_free(gpointer p)
{
    HnRoomConfig *room = p;
    if (room == NULL)
        return;
    g_free(room->name);
    g_free(room->title);
    if (room->pin)
        memset(room->pin, 0, strlen(room->pin));
    g_free(room->pin);
    g_strfreev(room->sites);
    g_free(room);
}

static void site_free(gpointer p)
{
    HnSiteConfig *s = p;
    if (s == NULL)
        return;
    g_free(s->name);
    g_free(s->address);
    g_free(s->user);
    g_free(s->dial);
    g_free(s);
}

static void webhook_free(gpointer p)
{
    HnWebhookConfig *w = p;
    if (w == NULL)
        return;
    g_free(w->name);
    g_free(w->url);
    if (w->secret)
        memset(w->secret, 0, strlen(w->secret));
    g_free(w->secret);
    g_free(w->events);
    g_free(w);
}

static void eoffice_clear(HnEofficeConfig *e)
{
    char **secrets[] = {&e->token, &e->password};
    for (guint i = 0; i < G_N_ELEMENTS(secrets); i++)
        if (*secrets[i])
            memset(*secrets[i], 0, strlen(*secrets[i]));
    char **all[] = {
        &e->upload_url, &e->auth,           &e->token,       &e->username,     &e->password,
        &e->field_file, &e->field_metadata, &e->field_title, &e->field_number, &e->document_id_path,
        &e->edxml_url,  &e->from_code,      &e->from_name,   &e->to_code,      &e->to_name,
        &e->place};
    for (guint i = 0; i < G_N_ELEMENTS(all); i++)
        g_clear_pointer(all[i], g_free);
}

static void eoffice_defaults(HnEofficeConfig *e)
{
    struct {
        char **field;
        const char *def;
    } defaults[] = {
        {&e->auth, "none"},         {&e->field_file, "file"},     {&e->field_metadata, "metadata"},
        {&e->field_title, "title"}, {&e->field_number, "number"}, {&e->document_id_path, "id"},
        {&e->place, "Việt Nam"}};
    for (guint i = 0; i < G_N_ELEMENTS(defaults); i++)
        if (!*defaults[i].field)
            *defaults[i].field = g_strdup(defaults[i].def);
}

HnConfig *hn_config_new(void)
{
    HnConfig *cfg = g_new0(HnConfig, 1);
    cfg->listen_host = g_strdup(HN_CONFIG_DEFAULT_LISTEN_HOST);
    cfg->listen_port = HN_CONFIG_DEFAULT_LISTEN_PORT;
    cfg->data_dir = g_strdup(HN_CONFIG_DEFAULT_DATA_DIR);
    cfg->workers = 0;
    cfg->log_level = HN_LOG_LEVEL_INFO;
    cfg->interfaces = g_new0(char *, 1);
    cfg->addresses = g_new0(char *, 1);
    cfg->consent_timeout = HN_CONFIG_DEFAULT_CONSENT;
    cfg->ice_restart_grace = HN_CONFIG_DEFAULT_ICE_GRACE;
    cfg->max_queue_delay_ms = HN_CONFIG_DEFAULT_QUEUE_DELAY;
    cfg->handshake_budget_pct = HN_HS_BUDGET_DEFAULT_PCT;
    cfg->rx_peak_mbps = HN_CONFIG_DEFAULT_RX_PEAK;
    cfg->busy_lag_ms = HN_CONFIG_DEFAULT_BUSY_LAG;
    cfg->busy_hold = HN_CONFIG_DEFAULT_BUSY_HOLD;
    cfg->spread_subscribers = HN_CONFIG_DEFAULT_SPREAD;
    cfg->cpu_pressure_file = g_strdup("/proc/pressure/cpu");
    cfg->auto_create = TRUE;
    cfg->ice_lite = TRUE;
    cfg->max_participants = HN_CONFIG_DEFAULT_PARTICIPANTS;
    cfg->lobby_timeout = HN_CONFIG_LOBBY_TIMEOUT;
    cfg->end_grace = HN_CONFIG_END_GRACE;
    cfg->recording_compose = g_strdup("live");
    cfg->recording_format = g_strdup("webm");
    cfg->recording_layout = g_strdup("speaker");
    cfg->recording_reserve_mb = 500;
    cfg->picture_width = 1280;
    cfg->picture_height = 720;
    cfg->picture_fps = 25;
    cfg->rooms = g_ptr_array_new_with_free_func(room_free);
    cfg->allowed_origins = g_new0(char *, 1);
    cfg->lockout_failures = HN_CONFIG_DEFAULT_LOCK_FAILS;
    cfg->lockout_seconds = HN_CONFIG_DEFAULT_LOCKOUT;
    cfg->attempts_per_minute = HN_CONFIG_DEFAULT_ATTEMPTS_MIN;
    cfg->hook_retry_base_ms = HN_CONFIG_HOOK_RETRY_BASE_MS;
    cfg->hook_retry_max = HN_CONFIG_HOOK_RETRY_MAX;
    cfg->hook_retry_period = HN_CONFIG_HOOK_RETRY_PERIOD;
    cfg->hook_connect_timeout = HN_CONFIG_HOOK_CONNECT;
    cfg->hook_timeout = HN_CONFIG_HOOK_TIMEOUT;
    cfg->webhooks = g_ptr_array_new_with_free_func(webhook_free);
    cfg->sites = g_ptr_array_new_with_free_func(site_free);
    cfg->sip_requests_per_minute = 120;
    cfg->sip_session_expires = 1800;
    cfg->sip_min_se = 90;
    cfg->sip_redial_seconds = 10;
    eoffice_defaults(&cfg->eoffice);
    return cfg;
}

/* Frees what cfg owns, leaving cfg itself allocated. */
static void config_clear(HnConfig *cfg)
{
    g_free(cfg->listen_host);
    g_free(cfg->data_dir);
    g_free(cfg->tls_cert);
    g_free(cfg->tls_key);
    g_free(cfg->client_dir);
    g_strfreev(cfg->interfaces);
    g_strfreev(cfg->addresses);
    g_free(cfg->public_ip);
    g_free(cfg->recording_compose);
    g_free(cfg->recording_format);
    g_free(cfg->recording_layout);
    g_strfreev(cfg->allowed_origins);
    if (cfg->jwt_secret)
        memset(cfg->jwt_secret, 0, strlen(cfg->jwt_secret));
    g_free(cfg->jwt_secret);
    g_free(cfg->minutes_p12);
    g_free(cfg->minutes_p12_pw_file);
    if (cfg->rooms != NULL)
        g_ptr_array_unref(cfg->rooms);
    g_free(cfg->minutes_agency_parent);
    g_free(cfg->minutes_agency_name);
    g_free(cfg->minutes_agency_code);
    g_free(cfg->minutes_place);
    g_free(cfg->minutes_number_format);
    g_free(cfg->minutes_chair_title);
    g_free(cfg->minutes_secretary_title);
    if (cfg->webhooks != NULL)
        g_ptr_array_unref(cfg->webhooks);
    eoffice_clear(&cfg->eoffice);
    g_free(cfg->sip_listen_host);
    g_free(cfg->sip_media_address);
    g_free(cfg->sip_tls_host);
    g_free(cfg->sip_certificate);
    g_free(cfg->sip_private_key);
    g_free(cfg->cpu_pressure_file);
    if (cfg->sites != NULL)
        g_ptr_array_unref(cfg->sites);
    g_strfreev(cfg->whip_ice_servers);
    g_free(cfg->whip_ice_username);
    if (cfg->whip_ice_credential)
        memset(cfg->whip_ice_credential, 0, strlen(cfg->whip_ice_credential));
    g_free(cfg->whip_ice_credential);
}

void hn_config_free(HnConfig *cfg)
{
    if (cfg == NULL)
        return;
    config_clear(cfg);
    g_free(cfg);
}

/* ---- value checks shared by the file and the command line ---- */

gboolean hn_config_room_name_valid(const char *name)
{
    size_t len = name != NULL ? strlen(name) : 0;
    if (len < 1 || len > HN_CONFIG_ROOM_NAME_MAX)
        return FALSE;
    for (size_t i = 0; i < len; i++) {
        char c = name[i];
        if (!g_ascii_isalnum(c) && c != '_' && c != '.' && c != '-')
            return FALSE;
    }
    return TRUE;
}

static gboolean is_ipv4(const char *s)
{
    struct in_addr a;
    return inet_pton(AF_INET, s, &a) == 1;
}

static gboolean is_ipv6(const char *s)
{
    struct in6_addr a;
    return inet_pton(AF_INET6, s, &a) == 1;
}

/* Parses "HOST:PORT" into host (transfer full) and port, or returns FALSE with a reason. */
static gboolean parse_hostport(const char *s, char **host_out, guint16 *port_out, char **reason)
{
    g_autofree char *host = NULL;
    const char *port_str;

    if (s[0] == '[') {
        const char *end = strchr(s, ']');
        if (end == NULL || end[1] != ':') {
            *reason = g_strdup("expected [IPV6]:PORT, e.g. [::1]:8080");
            return FALSE;
        }
        host = g_strndup(s + 1, (gsize)(end - s - 1));
        port_str = end + 2;
        if (!is_ipv6(host)) {
            *reason = g_strdup_printf("“%s” is not an IPv6 address", host);
            return FALSE;
        }
    } else {
        const char *colon = strrchr(s, ':');
        if (colon == NULL) {
            *reason = g_strdup("expected HOST:PORT, e.g. 127.0.0.1:8080 or [::1]:8080");
            return FALSE;
        }
        host = g_strndup(s, (gsize)(colon - s));
        port_str = colon + 1;
        if (strchr(host, ':') != NULL) {
            *reason = g_strdup("an IPv6 address must be in brackets, e.g. [::1]:8080");
            return FALSE;
        }
        if (!is_ipv4(host)) {
            *reason = g_strdup_printf("“%s” is not an IPv4 address (use 0.0.0.0 for every "
                                      "address, [::] for every IPv6 address)",
                                      host);
            return FALSE;
        }
    }
    guint64 port = 0;
    if (!g_ascii_string_to_unsigned(port_str, 10, 1, 65535, &port, NULL)) {
        *reason = g_strdup_printf("port “%s” is not a number between 1 and 65535", port_str);
        return FALSE;
    }
    *host_out = g_steal_pointer(&host);
    *port_out = (guint16)port;
    return TRUE;
}

gboolean hn_config_set_listen(HnConfig *cfg, const char *hostport, GError **error)
{
    g_return_val_if_fail(cfg != NULL && hostport != NULL, FALSE);
    char *host = NULL, *reason = NULL;
    guint16 port = 0;
    if (!parse_hostport(hostport, &host, &port, &reason)) {
        g_set_error(error, HN_CONFIG_ERROR, HN_CONFIG_ERROR_INVALID,
                    "invalid listen address “%s”: %s", hostport, reason);
        g_free(reason);
        return FALSE;
    }
    g_free(cfg->listen_host);
    cfg->listen_host = host;
    cfg->listen_port = port;
    return TRUE;
}

gboolean hn_config_set_data_dir(HnConfig *cfg, const char *dir, GError **error)
{
    g_return_val_if_fail(cfg != NULL && dir != NULL, FALSE);
    if (dir[0] == '\0') {
        g_set_error_literal(error, HN_CONFIG_ERROR, HN_CONFIG_ERROR_INVALID,
                            "the data directory must not be empty");
        return FALSE;
    }
    g_free(cfg->data_dir);
    cfg->data_dir = g_strdup(dir);
    return TRUE;
}

const HnSiteConfig *hn_config_find_site(const HnConfig *cfg, const char *name)
{
    for (guint i = 0; name && i < cfg->sites->len; i++) {
        const HnSiteConfig *s = g_ptr_array_index(cfg->sites, i);
        if (strcmp(s->name, name) == 0)
            return s;
    }
    return NULL;
}

const HnRoomConfig *hn_config_find_room(const HnConfig *cfg, const char *name)
{
    g_return_val_if_fail(cfg != NULL, NULL);
    if (name == NULL)
        return NULL;
    for (guint i = 0; i < cfg->rooms->len; i++) {
        const HnRoomConfig *room = g_ptr_array_index(cfg->rooms, i);
        if (g_ascii_strcasecmp(room->name, name) == 0) /* room names ignore case */
            return room;
    }
    return NULL;
}

guint hn_config_get_workers(const HnConfig *cfg)
{
    g_return_val_if_fail(cfg != NULL, 1);
    if (cfg->workers > 0)
        return cfg->workers;
    guint n = g_get_num_processors();
    return CLAMP(n, 1, HN_CONFIG_MAX_WORKERS);
}

char *hn_config_format_listen(const HnConfig *cfg)
{
    g_return_val_if_fail(cfg != NULL, NULL);
    if (strchr(cfg->listen_host, ':') != NULL)
        return g_strdup_printf("[%s]:%u", cfg->listen_host, cfg->listen_port);
    return g_strdup_printf("%s:%u", cfg->listen_host, cfg->listen_port);
}

static const char *const log_level_names[] = {"error", "warning", "info", "debug"};

const char *hn_log_level_name(HnLogLevel level)
{
    if ((guint)level >= G_N_ELEMENTS(log_level_names))
        return "unknown";
    return log_level_names[level];
}

/* ---- the line index ---- */

typedef struct {
    char *group; /* the group the line belongs to */
    char *key;   /* NULL on the group's header line */
    int line;
} IndexEntry;

typedef struct {
    const char *filename;
    GArray *entries; /* IndexEntry */
} LineIndex;

static void index_entry_clear(gpointer p)
{
    IndexEntry *e = p;
    g_free(e->group);
    g_free(e->key);
}

/* The line of group's header (key NULL) or of key in group, or 0 when unknown. */
static int index_line(const LineIndex *idx, const char *group, const char *key)
{
    for (guint i = 0; i < idx->entries->len; i++) {
        const IndexEntry *e = &g_array_index(idx->entries, IndexEntry, i);
        if (strcmp(e->group, group) == 0 && g_strcmp0(e->key, key) == 0)
            return e->line;
    }
    return 0;
}

/* Sets error to "FILE:LINE: [group] key: reason" (key and line left out when NULL or 0). */
G_GNUC_PRINTF(6, 7)
static void set_error(GError **error, HnConfigError code, const LineIndex *idx, const char *group,
                      const char *key, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    g_autofree char *reason = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    int line = group != NULL ? index_line(idx, group, key) : 0;
    g_autofree char *where =
        line > 0 ? g_strdup_printf("%s:%d", idx->filename, line) : g_strdup(idx->filename);
    if (group == NULL)
        g_set_error(error, HN_CONFIG_ERROR, code, "%s: %s", where, reason);
    else if (key == NULL)
        g_set_error(error, HN_CONFIG_ERROR, code, "%s: [%s]: %s", where, group, reason);
    else
        g_set_error(error, HN_CONFIG_ERROR, code, "%s: [%s] %s: %s", where, group, key, reason);
}

static gboolean scan_error(GError **error, HnConfigError code, const char *filename, int line,
                           const char *reason)
{
    g_set_error(error, HN_CONFIG_ERROR, code, "%s:%d: %s", filename, line, reason);
    return FALSE;
}

/* Adds one group header or key line to the index, refusing one seen before in the group. */
static gboolean index_add(LineIndex *idx, const char *group, const char *key, int line,
                          GError **error)
{
    int first = index_line(idx, group, key);
    if (first > 0) {
        g_autofree char *reason = NULL;
        if (key != NULL)
            reason =
                g_strdup_printf("[%s] %s: key set twice (first at line %d)", group, key, first);
        else if (g_str_has_prefix(group, ROOM_GROUP_PFX))
            reason = g_strdup_printf("[%s]: room declared twice (first at line %d)", group, first);
        else if (g_str_has_prefix(group, HOOK_GROUP_PFX))
            reason =
                g_strdup_printf("[%s]: webhook declared twice (first at line %d)", group, first);
        else
            reason = g_strdup_printf("[%s]: group given twice (first at line %d)", group, first);
        return scan_error(error, HN_CONFIG_ERROR_DUPLICATE, idx->filename, line, reason);
    }
    IndexEntry e = {g_strdup(group), g_strdup(key), line};
    g_array_append_val(idx->entries, e);
    return TRUE;
}

/* Indexes one line (without its newline), following GKeyFile's own rules: leading
 * whitespace ignored, '#' starts a comment, "[name]" opens a group, "key = value". */
static gboolean scan_line(LineIndex *idx, char *text, int line, char **group, GError **error)
{
    size_t len = strlen(text);
    if (len > 0 && text[len - 1] == '\r')
        text[--len] = '\0';
    while (g_ascii_isspace(*text))
        text++;
    if (*text == '\0' || *text == '#')
        return TRUE;
    if (*text == '[') {
        char *end = strchr(text, ']');
        const char *rest = end != NULL ? end + 1 : NULL;
        while (rest != NULL && (*rest == ' ' || *rest == '\t'))
            rest++;
        if (rest == NULL || *rest != '\0')
            return scan_error(error, HN_CONFIG_ERROR_PARSE, idx->filename, line,
                              "a group line must be “[name]”");
        g_free(*group);
        *group = g_strndup(text + 1, (gsize)(end - text - 1));
        return index_add(idx, *group, NULL, line, error);
    }
    char *eq = strchr(text, '=');
    if (eq == NULL || eq == text)
        return scan_error(error, HN_CONFIG_ERROR_PARSE, idx->filename, line,
                          "not a “[group]”, a “key = value” line or a “#” comment");
    if (*group == NULL)
        return scan_error(error, HN_CONFIG_ERROR_PARSE, idx->filename, line,
                          "“key = value” before the first “[group]”");
    char *key_end = eq;
    while (key_end > text && g_ascii_isspace(key_end[-1]))
        key_end--;
    g_autofree char *key = g_strndup(text, (gsize)(key_end - text));
    return index_add(idx, *group, key, line, error);
}

/* Builds the line index of a whole file, refusing NUL bytes, bad UTF-8, malformed lines and
 * duplicate groups or keys. */
static gboolean index_build(LineIndex *idx, const char *data, gsize len, GError **error)
{
    const char *bad = NULL;
    if (!g_utf8_validate_len(data, len, &bad)) {
        int line = 1;
        for (const char *p = data; p < bad; p++)
            line += *p == '\n';
        return scan_error(error, HN_CONFIG_ERROR_PARSE, idx->filename, line,
                          *bad == '\0' ? "the file contains a NUL byte"
                                       : "the file is not valid UTF-8");
    }
    g_autofree char *copy = g_strndup(data, len);
    g_autofree char *group = NULL;
    char *next = copy;
    for (int line = 1; next != NULL; line++) {
        char *text = next;
        next = strchr(text, '\n');
        if (next != NULL)
            *next++ = '\0';
        if (!scan_line(idx, text, line, &group, error))
            return FALSE;
    }
    return TRUE;
}

/* ---- key parsers ---- */

/* State while loading one file into a fresh HnConfig. */
typedef struct {
    LineIndex idx;
    GKeyFile *kf;
    HnConfig *cfg;         /* being built; replaces the caller's on success */
    HnRoomConfig *room;    /* the room whose group is being read */
    HnWebhookConfig *hook; /* the webhook whose group is being read */
    HnSiteConfig *site;    /* the site whose group is being read */
} Loader;

/* A parser takes the unescaped value (surrounding whitespace removed) and either stores it
 * or returns FALSE with a reason (transfer full). */
typedef gboolean (*KeyParser)(Loader *ld, const char *value, char **reason);

typedef struct {
    const char *key;
    KeyParser parse;
} KeyDef;

static gboolean parse_uint(const char *value, guint min, guint max, guint *out, char **reason)
{
    guint64 v = 0;
    if (!g_ascii_string_to_unsigned(value, 10, min, max, &v, NULL)) {
        *reason = g_strdup_printf("“%s” is not a whole number between %u and %u", value, min, max);
        return FALSE;
    }
    *out = (guint)v;
    return TRUE;
}

static gboolean parse_bool(const char *value, gboolean *out, char **reason)
{
    if (strcmp(value, "true") == 0 || strcmp(value, "1") == 0) {
        *out = TRUE;
        return TRUE;
    }
    if (strcmp(value, "false") == 0 || strcmp(value, "0") == 0) {
        *out = FALSE;
        return TRUE;
    }
    *reason = g_strdup_printf("expected true or false, got “%s”", value);
    return FALSE;
}

/* Splits a comma- (or semicolon-) separated list, trimming items and skipping empty ones. */
static char **split_list(const char *value)
{
    char **parts = g_strsplit_set(value, ",;", -1);
    GPtrArray *items = g_ptr_array_new();
    for (char **p = parts; *p != NULL; p++) {
        g_strstrip(*p);
        if (**p != '\0')
            g_ptr_array_add(items, g_strdup(*p));
    }
    g_strfreev(parts);
    g_ptr_array_add(items, NULL);
    return (char **)g_ptr_array_free(items, FALSE);
}

static gboolean list_has_duplicate(char **items, char **reason)
{
    for (guint i = 0; items[i] != NULL; i++) {
        for (guint j = 0; j < i; j++) {
            if (strcmp(items[i], items[j]) == 0) {
                *reason = g_strdup_printf("“%s” is listed twice", items[i]);
                return TRUE;
            }
        }
    }
    return FALSE;
}

/* A readable regular file, or FALSE with a reason. */
static gboolean check_readable_file(const char *path, char **reason)
{
    if (!g_file_test(path, G_FILE_TEST_IS_REGULAR)) {
        *reason = g_strdup_printf("“%s” does not exist or is not a regular file", path);
        return FALSE;
    }
    if (access(path, R_OK) != 0) {
        *reason = g_strdup_printf("cannot read “%s”: %s", path, g_strerror(errno));
        return FALSE;
    }
    return TRUE;
}

static gboolean key_listen(Loader *ld, const char *value, char **reason)
{
    char *host = NULL;
    guint16 port = 0;
    if (!parse_hostport(value, &host, &port, reason))
        return FALSE;
    g_free(ld->cfg->listen_host);
    ld->cfg->listen_host = host;
    ld->cfg->listen_port = port;
    return TRUE;
}

static gboolean key_data_dir(Loader *ld, const char *value, char **reason)
{
    if (*value == '\0') {
        *reason = g_strdup("must not be empty");
        return FALSE;
    }
    g_free(ld->cfg->data_dir);
    ld->cfg->data_dir = g_strdup(value);
    return TRUE;
}

static gboolean set_tls_file(char **field, const char *value, char **reason)
{
    if (*value != '\0' && !check_readable_file(value, reason))
        return FALSE;
    g_free(*field);
    *field = *value != '\0' ? g_strdup(value) : NULL;
    return TRUE;
}

static gboolean key_tls_cert(Loader *ld, const char *value, char **reason)
{
    return set_tls_file(&ld->cfg->tls_cert, value, reason);
}

static gboolean key_tls_key(Loader *ld, const char *value, char **reason)
{
    return set_tls_file(&ld->cfg->tls_key, value, reason);
}

static gboolean key_tls(Loader *ld, const char *value, char **reason)
{
    if (strcmp(value, "off") != 0 && strcmp(value, "self-signed") != 0) {
        *reason = g_strdup_printf("“%s” is not one of off, self-signed", value);
        return FALSE;
    }
    ld->cfg->tls_self_signed = strcmp(value, "self-signed") == 0;
    return TRUE;
}

static gboolean key_insecure_http(Loader *ld, const char *value, char **reason)
{
    return parse_bool(value, &ld->cfg->insecure_http, reason);
}

static gboolean key_workers(Loader *ld, const char *value, char **reason)
{
    return parse_uint(value, 0, HN_CONFIG_MAX_WORKERS, &ld->cfg->workers, reason);
}

static gboolean key_client_dir(Loader *ld, const char *value, char **reason)
{
    if (*value != '\0' && !g_file_test(value, G_FILE_TEST_IS_DIR)) {
        *reason = g_strdup_printf("“%s” does not exist or is not a directory", value);
        return FALSE;
    }
    g_free(ld->cfg->client_dir);
    ld->cfg->client_dir = *value != '\0' ? g_strdup(value) : NULL;
    return TRUE;
}

static gboolean key_log_level(Loader *ld, const char *value, char **reason)
{
    for (guint i = 0; i < G_N_ELEMENTS(log_level_names); i++) {
        if (strcmp(value, log_level_names[i]) == 0) {
            ld->cfg->log_level = (HnLogLevel)i;
            return TRUE;
        }
    }
    *reason = g_strdup_printf("expected error, warning, info or debug, got “%s”", value);
    return FALSE;
}

static gboolean parse_rtp_port(const char *value, guint16 *out, char **reason)
{
    guint v = 0;
    if (!parse_uint(value, 0, 65535, &v, reason) || (v != 0 && v < 1024)) {
        g_free(*reason);
        *reason = g_strdup_printf("“%s” must be 0 (any port) or between 1024 and 65535", value);
        return FALSE;
    }
    *out = (guint16)v;
    return TRUE;
}

static gboolean key_rtp_port_min(Loader *ld, const char *value, char **reason)
{
    return parse_rtp_port(value, &ld->cfg->rtp_port_min, reason);
}

static gboolean key_rtp_port_max(Loader *ld, const char *value, char **reason)
{
    return parse_rtp_port(value, &ld->cfg->rtp_port_max, reason);
}

/* Linux's rule for interface names (dev_valid_name). */
static gboolean ifname_valid(const char *name)
{
    if (strlen(name) > IFNAME_MAX || strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
        return FALSE;
    for (const char *p = name; *p != '\0'; p++) {
        if (*p == '/' || *p == ':' || g_ascii_isspace(*p))
            return FALSE;
    }
    return TRUE;
}

static gboolean key_interfaces(Loader *ld, const char *value, char **reason)
{
    char **items = split_list(value);
    for (guint i = 0; items[i] != NULL; i++) {
        if (!ifname_valid(items[i])) {
            *reason = g_strdup_printf("“%s” is not a valid interface name", items[i]);
            g_strfreev(items);
            return FALSE;
        }
    }
    if (list_has_duplicate(items, reason)) {
        g_strfreev(items);
        return FALSE;
    }
    g_strfreev(ld->cfg->interfaces);
    ld->cfg->interfaces = items;
    return TRUE;
}

/* A unicast, specified IPv4 or IPv6 literal. */
static gboolean check_local_address(const char *s, char **reason)
{
    struct in_addr a4;
    struct in6_addr a6;
    if (inet_pton(AF_INET, s, &a4) == 1) {
        guint32 h = ntohl(a4.s_addr);
        if (h == 0 || h == 0xffffffffu || (h >> 28) == 0xe) {
            *reason = g_strdup_printf("“%s” is not a unicast address", s);
            return FALSE;
        }
        return TRUE;
    }
    if (inet_pton(AF_INET6, s, &a6) == 1) {
        if (IN6_IS_ADDR_UNSPECIFIED(&a6) || IN6_IS_ADDR_MULTICAST(&a6)) {
            *reason = g_strdup_printf("“%s” is not a unicast address", s);
            return FALSE;
        }
        return TRUE;
    }
    *reason = g_strdup_printf("“%s” is not an IPv4 or IPv6 address", s);
    return FALSE;
}

static gboolean key_addresses(Loader *ld, const char *value, char **reason)
{
    char **items = split_list(value);
    for (guint i = 0; items[i] != NULL; i++) {
        if (!check_local_address(items[i], reason)) {
            g_strfreev(items);
            return FALSE;
        }
    }
    if (list_has_duplicate(items, reason)) {
        g_strfreev(items);
        return FALSE;
    }
    g_strfreev(ld->cfg->addresses);
    ld->cfg->addresses = items;
    return TRUE;
}

static gboolean key_public_ip(Loader *ld, const char *value, char **reason)
{
    if (*value != '\0') {
        if (!is_ipv4(value)) {
            *reason = g_strdup_printf("“%s” is not an IPv4 address", value);
            return FALSE;
        }
        if (!check_local_address(value, reason))
            return FALSE;
    }
    g_free(ld->cfg->public_ip);
    ld->cfg->public_ip = *value != '\0' ? g_strdup(value) : NULL;
    return TRUE;
}

static gboolean key_consent_timeout(Loader *ld, const char *value, char **reason)
{
    return parse_uint(value, HN_CONFIG_CONSENT_TIMEOUT_MIN, HN_CONFIG_CONSENT_TIMEOUT_MAX,
                      &ld->cfg->consent_timeout, reason);
}

static gboolean key_max_queue_delay_ms(Loader *ld, const char *value, char **reason)
{
    return parse_uint(value, 0, HN_CONFIG_QUEUE_DELAY_MAX, &ld->cfg->max_queue_delay_ms, reason);
}

static gboolean key_handshake_budget_pct(Loader *ld, const char *value, char **reason)
{
    return parse_uint(value, 1, 100, &ld->cfg->handshake_budget_pct, reason);
}

static gboolean key_rx_peak_mbps(Loader *ld, const char *value, char **reason)
{
    return parse_uint(value, 1, HN_CONFIG_RX_PEAK_MAX, &ld->cfg->rx_peak_mbps, reason);
}

static gboolean key_busy_lag_ms(Loader *ld, const char *value, char **reason)
{
    return parse_uint(value, 0, HN_CONFIG_BUSY_LAG_MAX, &ld->cfg->busy_lag_ms, reason);
}

static gboolean key_busy_hold(Loader *ld, const char *value, char **reason)
{
    return parse_uint(value, 1, HN_CONFIG_BUSY_HOLD_MAX, &ld->cfg->busy_hold, reason);
}

static gboolean key_spread_subscribers(Loader *ld, const char *value, char **reason)
{
    return parse_uint(value, 0, HN_CONFIG_SPREAD_MAX, &ld->cfg->spread_subscribers, reason);
}

static gboolean key_busy_cpu_pressure(Loader *ld, const char *value, char **reason)
{
    return parse_uint(value, 0, 100, &ld->cfg->busy_cpu_pressure, reason);
}

static gboolean key_cpu_pressure_file(Loader *ld, const char *value, char **reason)
{
    if (value[0] != '/') {
        *reason = g_strdup("must be an absolute path");
        return FALSE;
    }
    g_free(ld->cfg->cpu_pressure_file);
    ld->cfg->cpu_pressure_file = g_strdup(value);
    return TRUE;
}

static gboolean key_ice_restart_grace(Loader *ld, const char *value, char **reason)
{
    return parse_uint(value, 0, HN_CONFIG_ICE_GRACE_MAX, &ld->cfg->ice_restart_grace, reason);
}

static gboolean key_ice_lite(Loader *ld, const char *value, char **reason)
{
    return parse_bool(value, &ld->cfg->ice_lite, reason);
}

static gboolean key_auto_create(Loader *ld, const char *value, char **reason)
{
    return parse_bool(value, &ld->cfg->auto_create, reason);
}

/* Every participant receives the others' tracks in one subscriber offer: with audio and video
 * each, 2 * (N - 1) m= lines, which the SDP layer must be able to write and parse. */
G_STATIC_ASSERT(HN_CONFIG_SUB_SECTIONS(HN_CONFIG_MAX_PARTICIPANTS) <= HN_NEG_MAX_SUB_SLOTS);

static gboolean parse_participants(const char *value, guint *out, char **reason)
{
    guint64 v = 0;
    if (!g_ascii_string_to_unsigned(value, 10, 1, G_MAXUINT, &v, NULL)) {
        *reason = g_strdup_printf("“%s” is not a whole number between 1 and %u", value,
                                  HN_CONFIG_MAX_PARTICIPANTS);
        return FALSE;
    }
    if (v > HN_CONFIG_MAX_PARTICIPANTS || HN_CONFIG_SUB_SECTIONS(v) > HN_NEG_MAX_SUB_SLOTS) {
        *reason = g_strdup_printf("%s is over %u, the largest room: each participant's subscriber "
                                  "offer carries 2 sections per other participant, %u of the %u "
                                  "one SDP may have for %u (docs/sdp.md)",
                                  value, HN_CONFIG_MAX_PARTICIPANTS,
                                  HN_CONFIG_SUB_SECTIONS(HN_CONFIG_MAX_PARTICIPANTS),
                                  HN_NEG_MAX_SUB_SLOTS, HN_CONFIG_MAX_PARTICIPANTS);
        return FALSE;
    }
    *out = (guint)v;
    return TRUE;
}

static gboolean key_max_participants(Loader *ld, const char *value, char **reason)
{
    return parse_participants(value, &ld->cfg->max_participants, reason);
}

static gboolean key_last_n(Loader *ld, const char *value, char **reason)
{
    return parse_uint(value, 0, HN_CONFIG_LAST_N_MAX, &ld->cfg->last_n, reason);
}

static gboolean key_room_last_n(Loader *ld, const char *value, char **reason)
{
    if (!parse_uint(value, 0, HN_CONFIG_LAST_N_MAX, &ld->room->last_n, reason))
        return FALSE;
    ld->room->has_own_last_n = TRUE;
    return TRUE;
}

static gboolean key_room_title(Loader *ld, const char *value, char **reason)
{
    /* the whole file was checked to be UTF-8 */
    if (g_utf8_strlen(value, -1) > HN_CONFIG_ROOM_TITLE_MAX) {
        *reason = g_strdup_printf("longer than %d characters", HN_CONFIG_ROOM_TITLE_MAX);
        return FALSE;
    }
    for (const char *p = value; *p != '\0'; p = g_utf8_next_char(p)) {
        if (g_unichar_iscntrl(g_utf8_get_char(p))) {
            *reason = g_strdup("contains a control character");
            return FALSE;
        }
    }
    g_free(ld->room->title);
    ld->room->title = *value != '\0' ? g_strdup(value) : NULL;
    return TRUE;
}

static gboolean key_room_max_participants(Loader *ld, const char *value, char **reason)
{
    if (!parse_participants(value, &ld->room->max_participants, reason))
        return FALSE;
    ld->room->has_own_max = TRUE;
    return TRUE;
}

/* "http://host:port" origins, as browsers send them (scheme, host, optional port). */
static gboolean key_allowed_origins(Loader *ld, const char *value, char **reason)
{
    char **items = split_list(value);
    for (guint i = 0; items[i] != NULL; i++) {
        const char *o = items[i];
        const char *host = g_str_has_prefix(o, "https://")  ? o + 8
                           : g_str_has_prefix(o, "http://") ? o + 7
                                                            : NULL;
        if (host == NULL || *host == '\0' || strchr(host, '/') != NULL) {
            *reason = g_strdup_printf("“%s” is not an origin like https://meet.example.org or "
                                      "http://10.0.0.5:8080",
                                      o);
            g_strfreev(items);
            return FALSE;
        }
    }
    g_strfreev(ld->cfg->allowed_origins);
    ld->cfg->allowed_origins = items;
    return TRUE;
}

static gboolean secret_valid(const char *s, char **reason)
{
    size_t n = strlen(s);
    if (n < HN_CONFIG_JWT_SECRET_MIN || n > HN_CONFIG_JWT_SECRET_MAX) {
        *reason = g_strdup_printf("the secret must be %d to %d bytes long (it is %zu)",
                                  HN_CONFIG_JWT_SECRET_MIN, HN_CONFIG_JWT_SECRET_MAX, n);
        return FALSE;
    }
    return TRUE;
}

static gboolean key_jwt_secret(Loader *ld, const char *value, char **reason)
{
    if (ld->cfg->jwt_secret != NULL) {
        *reason = g_strdup("set jwt_secret or jwt_secret_file, not both");
        return FALSE;
    }
    if (!secret_valid(value, reason))
        return FALSE;
    ld->cfg->jwt_secret = g_strdup(value);
    return TRUE;
}

static gboolean key_jwt_secret_file(Loader *ld, const char *value, char **reason)
{
    if (ld->cfg->jwt_secret != NULL) {
        *reason = g_strdup("set jwt_secret or jwt_secret_file, not both");
        return FALSE;
    }
    if (!check_readable_file(value, reason))
        return FALSE;
    char *data = NULL;
    GError *err = NULL;
    if (!g_file_get_contents(value, &data, NULL, &err)) {
        *reason = g_strdup(err->message);
        g_error_free(err);
        return FALSE;
    }
    g_strstrip(data);
    if (!secret_valid(data, reason)) {
        g_free(data);
        return FALSE;
    }
    ld->cfg->jwt_secret = data;
    return TRUE;
}

static gboolean key_lockout_seconds(Loader *ld, const char *value, char **reason)
{
    return parse_uint(value, 1, 86400, &ld->cfg->lockout_seconds, reason);
}

static gboolean key_lockout_failures(Loader *ld, const char *value, char **reason)
{
    return parse_uint(value, 1, 1000, &ld->cfg->lockout_failures, reason);
}

static gboolean key_attempts_per_minute(Loader *ld, const char *value, char **reason)
{
    return parse_uint(value, 1, 100000, &ld->cfg->attempts_per_minute, reason);
}

static gboolean key_room_pin(Loader *ld, const char *value, char **reason)
{
    size_t n = strlen(value);
    gboolean digits = n >= 4 && n <= HN_CONFIG_PIN_MAX;
    for (size_t i = 0; digits && i < n; i++)
        digits = g_ascii_isdigit(value[i]);
    if (!digits) {
        *reason = g_strdup_printf("a PIN is 4 to %d digits", HN_CONFIG_PIN_MAX);
        return FALSE;
    }
    g_free(ld->room->pin);
    ld->room->pin = g_strdup(value);
    return TRUE;
}

static gboolean key_room_lobby(Loader *ld, const char *value, char **reason)
{
    return parse_bool(value, &ld->room->lobby, reason);
}

static gboolean key_room_record(Loader *ld, const char *value, char **reason)
{
    return parse_bool(value, &ld->room->record, reason);
}

/* One of the names in choices (NULL-terminated) into *out (replaced). */
static gboolean parse_choice(const char *value, const char *const *choices, char **out,
                             char **reason)
{
    for (guint i = 0; choices[i]; i++) {
        if (strcmp(value, choices[i]) == 0) {
            g_free(*out);
            *out = g_strdup(value);
            return TRUE;
        }
    }
    g_autofree char *list = g_strjoinv(", ", (char **)choices);
    *reason = g_strdup_printf("must be one of %s", list);
    return FALSE;
}

static gboolean key_recording_compose(Loader *ld, const char *value, char **reason)
{
    static const char *const c[] = {"live", "after", "off", NULL};
    return parse_choice(value, c, &ld->cfg->recording_compose, reason);
}

static gboolean key_recording_format(Loader *ld, const char *value, char **reason)
{
    static const char *const c[] = {"webm", "mp4", NULL};
    return parse_choice(value, c, &ld->cfg->recording_format, reason);
}

static gboolean key_recording_layout(Loader *ld, const char *value, char **reason)
{
    static const char *const c[] = {"speaker", "grid", NULL};
    return parse_choice(value, c, &ld->cfg->recording_layout, reason);
}

static gboolean key_recording_reserve(Loader *ld, const char *value, char **reason)
{
    return parse_uint(value, 0, 1048576, &ld->cfg->recording_reserve_mb, reason);
}

/* [picture]: even sizes (the encoders' 4:2:0), at most 1920 x 1080 (what room systems decode). */
static gboolean key_picture_size(const char *value, guint min, guint max, guint *out, char **reason)
{
    if (!parse_uint(value, min, max, out, reason))
        return FALSE;
    if (*out % 2) {
        *reason = g_strdup("must be even");
        return FALSE;
    }
    return TRUE;
}

static gboolean key_picture_width(Loader *ld, const char *value, char **reason)
{
    return key_picture_size(value, 160, 1920, &ld->cfg->picture_width, reason);
}

static gboolean key_picture_height(Loader *ld, const char *value, char **reason)
{
    return key_picture_size(value, 90, 1080, &ld->cfg->picture_height, reason);
}

static gboolean key_picture_fps(Loader *ld, const char *value, char **reason)
{
    return parse_uint(value, 1, 60, &ld->cfg->picture_fps, reason);
}

static gboolean key_room_retention_days(Loader *ld, const char *value, char **reason)
{
    if (!parse_uint(value, 0, HN_CONFIG_RETENTION_MAX, &ld->room->retention_days, reason))
        return FALSE;
    ld->room->has_own_retention = TRUE;
    return TRUE;
}

static gboolean key_retention_days(Loader *ld, const char *value, char **reason)
{
    return parse_uint(value, 0, HN_CONFIG_RETENTION_MAX, &ld->cfg->retention_days, reason);
}

static gboolean key_lobby_timeout(Loader *ld, const char *value, char **reason)
{
    return parse_uint(value, 2, 86400, &ld->cfg->lobby_timeout, reason);
}

static gboolean key_end_grace(Loader *ld, const char *value, char **reason)
{
    return parse_uint(value, 1, 86400, &ld->cfg->end_grace, reason);
}

static const char *const access_names[] = {"", "open", "pin", "token", "token-or-pin"};

const char *hn_access_name(HnAccess a)
{
    return (guint)a < G_N_ELEMENTS(access_names) ? access_names[a] : "unknown";
}

static gboolean key_room_access(Loader *ld, const char *value, char **reason)
{
    for (guint i = 1; i < G_N_ELEMENTS(access_names); i++) {
        if (strcmp(value, access_names[i]) == 0) {
            ld->room->access = (HnAccess)i;
            return TRUE;
        }
    }
    *reason = g_strdup_printf("“%s” is not one of open, pin, token, token-or-pin", value);
    return FALSE;
}

HnAccess hn_config_room_access(const HnConfig *cfg, const char *name)
{
    const HnRoomConfig *rc = hn_config_find_room(cfg, name);
    if (rc && rc->access != HN_ACCESS_DEFAULT)
        return rc->access;
    gboolean pin = rc && rc->pin;
    if (cfg->jwt_secret)
        return pin ? HN_ACCESS_TOKEN_OR_PIN : HN_ACCESS_TOKEN;
    return pin ? HN_ACCESS_PIN : HN_ACCESS_OPEN;
}

static gboolean key_minutes_p12(Loader *ld, const char *value, char **reason)
{
    if (!check_readable_file(value, reason))
        return FALSE;
    g_free(ld->cfg->minutes_p12);
    ld->cfg->minutes_p12 = g_strdup(value);
    return TRUE;
}

static gboolean key_minutes_p12_password_file(Loader *ld, const char *value, char **reason)
{
    if (!check_readable_file(value, reason))
        return FALSE;
    g_free(ld->cfg->minutes_p12_pw_file);
    ld->cfg->minutes_p12_pw_file = g_strdup(value);
    return TRUE;
}

/* The signing certificate loads, has its key and is valid now (meeting/pdf_sign.h). */
static gboolean check_minutes_p12(Loader *ld, GError **error)
{
    HnConfig *cfg = ld->cfg;
    if (cfg->minutes_p12_pw_file && !cfg->minutes_p12) {
        set_error(error, HN_CONFIG_ERROR_INVALID, &ld->idx, "minutes", "p12_password_file",
                  "p12 must be set too");
        return FALSE;
    }
    if (!cfg->minutes_p12)
        return TRUE;
    GError *err = NULL;
    HnPdfSigner *s = hn_pdf_signer_load_file(cfg->minutes_p12, cfg->minutes_p12_pw_file,
                                             g_get_real_time() / G_USEC_PER_SEC, &err);
    if (!s) {
        set_error(error, HN_CONFIG_ERROR_INVALID, &ld->idx, "minutes", "p12", "%s", err->message);
        g_error_free(err);
        return FALSE;
    }
    hn_pdf_signer_free(s);
    return TRUE;
}

static gboolean key_room_confidential(Loader *ld, const char *value, char **reason)
{
    return parse_bool(value, &ld->room->confidential, reason);
}

/* sites = A, B: site names, checked against the [site:NAME] groups once all are read. */
static gboolean key_room_sites(Loader *ld, const char *value, char **reason)
{
    g_auto(GStrv) parts = g_strsplit(value, ",", -1);
    GPtrArray *names = g_ptr_array_new();
    for (guint i = 0; parts[i]; i++) {
        char *n = g_strstrip(parts[i]);
        if (*n)
            g_ptr_array_add(names, g_strdup(n));
    }
    if (names->len == 0 || names->len > 64) {
        g_ptr_array_free(names, TRUE);
        *reason = g_strdup("a comma list of 1-64 site names is needed");
        return FALSE;
    }
    g_ptr_array_add(names, NULL);
    g_strfreev(ld->room->sites);
    ld->room->sites = (char **)g_ptr_array_free(names, FALSE);
    return TRUE;
}

/* ---- [hooks], [webhook:NAME], [eoffice] ---- */

static gboolean key_hook_retry_base(Loader *ld, const char *value, char **reason)
{
    return parse_uint(value, 100, 600000, &ld->cfg->hook_retry_base_ms, reason);
}

static gboolean key_hook_retry_max(Loader *ld, const char *value, char **reason)
{
    return parse_uint(value, 1, 86400, &ld->cfg->hook_retry_max, reason);
}

static gboolean key_hook_retry_period(Loader *ld, const char *value, char **reason)
{
    return parse_uint(value, 10, 30 * 86400, &ld->cfg->hook_retry_period, reason);
}

static gboolean key_hook_connect(Loader *ld, const char *value, char **reason)
{
    return parse_uint(value, 1, 60, &ld->cfg->hook_connect_timeout, reason);
}

static gboolean key_hook_timeout(Loader *ld, const char *value, char **reason)
{
    return parse_uint(value, 1, 600, &ld->cfg->hook_timeout, reason);
}

static gboolean set_url(char **field, const char *value, char **reason)
{
    if (!hn_webhook_url_valid(value, reason))
        return FALSE;
    g_free(*field);
    *field = g_strdup(value);
    return TRUE;
}

static gboolean key_webhook_url(Loader *ld, const char *value, char **reason)
{
    return set_url(&ld->hook->url, value, reason);
}

static gboolean key_webhook_secret(Loader *ld, const char *value, char **reason)
{
    if (!hn_webhook_secret_valid(value, reason))
        return FALSE;
    ld->hook->secret = g_strdup(value);
    return TRUE;
}

static gboolean key_webhook_events(Loader *ld, const char *value, char **reason)
{
    if (!hn_webhook_events_valid(value, reason))
        return FALSE;
    g_free(ld->hook->events);
    ld->hook->events = g_strdup(value);
    return TRUE;
}

/* A plain text value (no control characters) of at most max bytes into *field. */
static gboolean set_text(char **field, const char *value, size_t max, char **reason)
{
    size_t n = strlen(value);
    if (n == 0 || n > max) {
        *reason = g_strdup_printf("expected 1 to %zu bytes", max);
        return FALSE;
    }
    for (size_t i = 0; i < n; i++) {
        if ((unsigned char)value[i] < ' ') {
            *reason = g_strdup("a control character in the value");
            return FALSE;
        }
    }
    g_free(*field);
    *field = g_strdup(value);
    return TRUE;
}

#define EOFFICE_TEXT_KEY(fn, field, max)                                                           \
    static gboolean fn(Loader *ld, const char *value, char **reason)                               \
    {                                                                                              \
        return set_text(&ld->cfg->eoffice.field, value, max, reason);                              \
    }
EOFFICE_TEXT_KEY(key_eo_token, token, 4096)
EOFFICE_TEXT_KEY(key_eo_username, username, 256)
EOFFICE_TEXT_KEY(key_eo_password, password, 256)
EOFFICE_TEXT_KEY(key_eo_field_file, field_file, 64)
EOFFICE_TEXT_KEY(key_eo_field_metadata, field_metadata, 64)
EOFFICE_TEXT_KEY(key_eo_field_title, field_title, 64)
EOFFICE_TEXT_KEY(key_eo_field_number, field_number, 64)
EOFFICE_TEXT_KEY(key_eo_docid, document_id_path, 256)
EOFFICE_TEXT_KEY(key_eo_from_code, from_code, 64)
EOFFICE_TEXT_KEY(key_eo_from_name, from_name, 256)
EOFFICE_TEXT_KEY(key_eo_to_code, to_code, 64)
EOFFICE_TEXT_KEY(key_eo_to_name, to_name, 256)
EOFFICE_TEXT_KEY(key_eo_place, place, 128)

static gboolean key_eo_upload_url(Loader *ld, const char *value, char **reason)
{
    return set_url(&ld->cfg->eoffice.upload_url, value, reason);
}

static gboolean key_eo_edxml_url(Loader *ld, const char *value, char **reason)
{
    return set_url(&ld->cfg->eoffice.edxml_url, value, reason);
}

static gboolean key_eo_auth(Loader *ld, const char *value, char **reason)
{
    if (strcmp(value, "none") != 0 && strcmp(value, "bearer") != 0 && strcmp(value, "basic") != 0) {
        *reason = g_strdup_printf("“%s” is not one of none, bearer, basic", value);
        return FALSE;
    }
    return set_text(&ld->cfg->eoffice.auth, value, 16, reason);
}

static const KeyDef hooks_keys[] = {
    {"retry_base_ms", key_hook_retry_base},  {"retry_max", key_hook_retry_max},
    {"retry_period", key_hook_retry_period}, {"connect_timeout", key_hook_connect},
    {"timeout", key_hook_timeout},           {NULL, NULL},
};

static const KeyDef webhook_keys[] = {
    {"url", key_webhook_url},
    {"secret", key_webhook_secret},
    {"events", key_webhook_events},
    {NULL, NULL},
};

/* --- [sip], [site:NAME] --- */

static gboolean key_sip_listen(Loader *ld, const char *value, char **reason)
{
    g_autofree char *host = NULL;
    guint16 port = 0;
    if (!parse_hostport(value, &host, &port, reason))
        return FALSE;
    g_free(ld->cfg->sip_listen_host);
    ld->cfg->sip_listen_host = g_steal_pointer(&host);
    ld->cfg->sip_listen_port = port;
    return TRUE;
}

static gboolean key_sip_media_address(Loader *ld, const char *value, char **reason)
{
    if (!g_hostname_is_ip_address(value)) {
        *reason = g_strdup_printf("“%s” is not an IP address", value);
        return FALSE;
    }
    return set_text(&ld->cfg->sip_media_address, value, 64, reason);
}

static gboolean key_sip_rate(Loader *ld, const char *value, char **reason)
{
    return parse_uint(value, 1, 100000, &ld->cfg->sip_requests_per_minute, reason);
}

static gboolean key_sip_tls_listen(Loader *ld, const char *value, char **reason)
{
    g_autofree char *host = NULL;
    guint16 port = 0;
    if (!parse_hostport(value, &host, &port, reason))
        return FALSE;
    g_free(ld->cfg->sip_tls_host);
    ld->cfg->sip_tls_host = g_steal_pointer(&host);
    ld->cfg->sip_tls_port = port;
    return TRUE;
}

static gboolean key_sip_certificate(Loader *ld, const char *value, char **reason)
{
    if (!check_readable_file(value, reason))
        return FALSE;
    return set_text(&ld->cfg->sip_certificate, value, 4096, reason);
}

static gboolean key_sip_private_key(Loader *ld, const char *value, char **reason)
{
    if (!check_readable_file(value, reason))
        return FALSE;
    return set_text(&ld->cfg->sip_private_key, value, 4096, reason);
}

static gboolean key_sip_session_expires(Loader *ld, const char *value, char **reason)
{
    return parse_uint(value, 90, 86400, &ld->cfg->sip_session_expires, reason);
}

static gboolean key_sip_min_se(Loader *ld, const char *value, char **reason)
{
    return parse_uint(value, 90, 86400, &ld->cfg->sip_min_se, reason);
}

static gboolean key_sip_redial(Loader *ld, const char *value, char **reason)
{
    return parse_uint(value, 1, 3600, &ld->cfg->sip_redial_seconds, reason);
}

/* dial = sip:user@host[:port] (no sips: dial-out over TLS is not built). */
static gboolean key_site_dial(Loader *ld, const char *value, char **reason)
{
    const char *at = strchr(value, '@');
    if (strncmp(value, "sip:", 4) != 0 || !at || at == value + 4 || !at[1] ||
        strpbrk(value, " \t\r\n<>\"")) {
        *reason = g_strdup_printf("“%s” is not a SIP URI sip:user@host[:port]", value);
        return FALSE;
    }
    return set_text(&ld->site->dial, value, 256, reason);
}

static gboolean key_site_address(Loader *ld, const char *value, char **reason)
{
    if (!g_hostname_is_ip_address(value)) {
        *reason = g_strdup_printf("“%s” is not an IP address", value);
        return FALSE;
    }
    return set_text(&ld->site->address, value, 64, reason);
}

static gboolean key_site_user(Loader *ld, const char *value, char **reason)
{
    return set_text(&ld->site->user, value, 128, reason);
}

static gboolean key_site_trusted(Loader *ld, const char *value, char **reason)
{
    return parse_bool(value, &ld->site->trusted, reason);
}

static gboolean key_site_srtp(Loader *ld, const char *value, char **reason)
{
    if (strcmp(value, "optional") == 0)
        ld->site->srtp = HN_SITE_SRTP_OPTIONAL;
    else if (strcmp(value, "required") == 0)
        ld->site->srtp = HN_SITE_SRTP_REQUIRED;
    else if (strcmp(value, "off") == 0)
        ld->site->srtp = HN_SITE_SRTP_OFF;
    else {
        *reason = g_strdup_printf("“%s” is not one of required, optional, off", value);
        return FALSE;
    }
    return TRUE;
}

static const KeyDef sip_keys[] = {
    {"listen", key_sip_listen},
    {"media_address", key_sip_media_address},
    {"requests_per_minute", key_sip_rate},
    {"tls_listen", key_sip_tls_listen},
    {"certificate", key_sip_certificate},
    {"private_key", key_sip_private_key},
    {"session_expires", key_sip_session_expires},
    {"min_se", key_sip_min_se},
    {"redial_seconds", key_sip_redial},
    {NULL, NULL},
};

/* [sip] tls_listen needs its certificate and key (their contents are checked when the gateway
 * starts: gateway/sip_tls.c); min_se cannot exceed session_expires. */
static gboolean check_sip_tls(Loader *ld, GError **error)
{
    HnConfig *cfg = ld->cfg;
    if (cfg->sip_tls_host && (!cfg->sip_certificate || !cfg->sip_private_key)) {
        set_error(error, HN_CONFIG_ERROR_INVALID, &ld->idx, "sip", "tls_listen",
                  "certificate and private_key are needed for SIP over TLS");
        return FALSE;
    }
    if (cfg->sip_tls_host && !cfg->sip_listen_host) {
        set_error(error, HN_CONFIG_ERROR_INVALID, &ld->idx, "sip", "tls_listen",
                  "listen is needed too (the gateway is off without it)");
        return FALSE;
    }
    if (cfg->sip_min_se > cfg->sip_session_expires) {
        set_error(error, HN_CONFIG_ERROR_INVALID, &ld->idx, "sip", "min_se",
                  "%u is above session_expires (%u)", cfg->sip_min_se, cfg->sip_session_expires);
        return FALSE;
    }
    return TRUE;
}

/* --- [whip] --- */

static gboolean key_whip_ice_servers(Loader *ld, const char *value, char **reason)
{
    g_auto(GStrv) parts = g_strsplit(value, ",", 0);
    GPtrArray *urls = g_ptr_array_new_with_free_func(g_free);
    for (guint i = 0; parts[i]; i++) {
        char *u = g_strstrip(parts[i]);
        if (!*u)
            continue;
        if (!hn_whip_ice_url_valid(u)) {
            *reason = g_strdup_printf("“%s” is not a stun:, stuns:, turn: or turns: URL", u);
            g_ptr_array_unref(urls);
            return FALSE;
        }
        g_ptr_array_add(urls, g_strdup(u));
    }
    if (urls->len > HN_WHIP_ICE_SERVERS_MAX) {
        *reason = g_strdup_printf("at most %d ICE servers", HN_WHIP_ICE_SERVERS_MAX);
        g_ptr_array_unref(urls);
        return FALSE;
    }
    g_ptr_array_add(urls, NULL);
    g_strfreev(ld->cfg->whip_ice_servers);
    ld->cfg->whip_ice_servers = (char **)g_ptr_array_free(urls, FALSE);
    return TRUE;
}

static gboolean key_whip_ice_username(Loader *ld, const char *value, char **reason)
{
    return set_text(&ld->cfg->whip_ice_username, value, 128, reason);
}

static gboolean key_whip_ice_credential(Loader *ld, const char *value, char **reason)
{
    return set_text(&ld->cfg->whip_ice_credential, value, 128, reason);
}

static const KeyDef whip_keys[] = {
    {"ice_servers", key_whip_ice_servers},
    {"ice_username", key_whip_ice_username},
    {"ice_credential", key_whip_ice_credential},
    {NULL, NULL},
};

static const KeyDef site_keys[] = {
    {"address", key_site_address}, {"user", key_site_user}, {"trusted", key_site_trusted},
    {"srtp", key_site_srtp},       {"dial", key_site_dial}, {NULL, NULL},
};

static const KeyDef eoffice_keys[] = {
    {"upload_url", key_eo_upload_url},
    {"auth", key_eo_auth},
    {"token", key_eo_token},
    {"username", key_eo_username},
    {"password", key_eo_password},
    {"field_file", key_eo_field_file},
    {"field_metadata", key_eo_field_metadata},
    {"field_title", key_eo_field_title},
    {"field_number", key_eo_field_number},
    {"document_id_path", key_eo_docid},
    {"edxml_url", key_eo_edxml_url},
    {"from_code", key_eo_from_code},
    {"from_name", key_eo_from_name},
    {"to_code", key_eo_to_code},
    {"to_name", key_eo_to_name},
    {"place", key_eo_place},
    {NULL, NULL},
};

static const KeyDef server_keys[] = {
    {"listen", key_listen},
    {"data_dir", key_data_dir},
    {"tls_cert", key_tls_cert},
    {"tls_key", key_tls_key},
    {"tls", key_tls},
    {"insecure_http", key_insecure_http},
    {"workers", key_workers},
    {"client_dir", key_client_dir},
    {"log_level", key_log_level},
    {"allowed_origins", key_allowed_origins},
    {NULL, NULL},
};

static const KeyDef auth_keys[] = {
    {"jwt_secret", key_jwt_secret},
    {"jwt_secret_file", key_jwt_secret_file},
    {"lockout_seconds", key_lockout_seconds},
    {"lockout_failures", key_lockout_failures},
    {"attempts_per_minute", key_attempts_per_minute},
    {NULL, NULL},
};

static const KeyDef media_keys[] = {
    {"rtp_port_min", key_rtp_port_min},
    {"rtp_port_max", key_rtp_port_max},
    {"interfaces", key_interfaces},
    {"addresses", key_addresses},
    {"public_ip", key_public_ip},
    {"consent_timeout", key_consent_timeout},
    {"ice_lite", key_ice_lite},
    {"ice_restart_grace", key_ice_restart_grace},
    {"max_queue_delay_ms", key_max_queue_delay_ms},
    {"handshake_budget_pct", key_handshake_budget_pct},
    {"rx_peak_mbps", key_rx_peak_mbps},
    {"busy_lag_ms", key_busy_lag_ms},
    {"busy_hold", key_busy_hold},
    {"busy_cpu_pressure", key_busy_cpu_pressure},
    {"cpu_pressure_file", key_cpu_pressure_file},
    {"spread_subscribers", key_spread_subscribers},
    {NULL, NULL},
};

static const KeyDef rooms_keys[] = {
    {"auto_create", key_auto_create},
    {"max_participants", key_max_participants},
    {"last_n", key_last_n},
    {"lobby_timeout", key_lobby_timeout},
    {"end_grace", key_end_grace},
    {"retention_days", key_retention_days},
    {NULL, NULL},
};

/* [minutes]: one line of text of at most 200 characters (the file is UTF-8). */
static gboolean minutes_text(const char *value, char **slot, char **reason)
{
    if (g_utf8_strlen(value, -1) > 200) {
        *reason = g_strdup("longer than 200 characters");
        return FALSE;
    }
    for (const char *p = value; *p != '\0'; p = g_utf8_next_char(p)) {
        if (g_unichar_iscntrl(g_utf8_get_char(p))) {
            *reason = g_strdup("contains a control character");
            return FALSE;
        }
    }
    g_free(*slot);
    *slot = *value != '\0' ? g_strdup(value) : NULL;
    return TRUE;
}

#define MINUTES_KEY(name, field)                                                                   \
    static gboolean key_minutes_##name(Loader *ld, const char *value, char **reason)               \
    {                                                                                              \
        return minutes_text(value, &ld->cfg->field, reason);                                       \
    }
MINUTES_KEY(agency_parent, minutes_agency_parent)
MINUTES_KEY(agency_name, minutes_agency_name)
MINUTES_KEY(agency_code, minutes_agency_code)
MINUTES_KEY(place, minutes_place)
MINUTES_KEY(number_format, minutes_number_format)
MINUTES_KEY(chair_title, minutes_chair_title)
MINUTES_KEY(secretary_title, minutes_secretary_title)
#undef MINUTES_KEY

static gboolean key_minutes_approver(Loader *ld, const char *value, char **reason)
{
    if (strcmp(value, "chair") != 0 && strcmp(value, "secretary") != 0) {
        *reason = g_strdup("must be chair or secretary");
        return FALSE;
    }
    ld->cfg->minutes_approver_secretary = value[0] == 's';
    return TRUE;
}

static const KeyDef minutes_keys[] = {
    {"p12", key_minutes_p12},
    {"p12_password_file", key_minutes_p12_password_file},
    {"agency_parent", key_minutes_agency_parent},
    {"agency_name", key_minutes_agency_name},
    {"agency_code", key_minutes_agency_code},
    {"place", key_minutes_place},
    {"number_format", key_minutes_number_format},
    {"chair_title", key_minutes_chair_title},
    {"secretary_title", key_minutes_secretary_title},
    {"approver", key_minutes_approver},
    {NULL, NULL},
};

static const KeyDef room_keys[] = {
    {"title", key_room_title},
    {"max_participants", key_room_max_participants},
    {"last_n", key_room_last_n},
    {"pin", key_room_pin},
    {"access", key_room_access},
    {"lobby", key_room_lobby},
    {"record", key_room_record},
    {"retention_days", key_room_retention_days},
    {"confidential", key_room_confidential},
    {"sites", key_room_sites},
    {NULL, NULL},
};

static const KeyDef recording_keys[] = {
    {"compose", key_recording_compose},
    {"format", key_recording_format},
    {"layout", key_recording_layout},
    {"reserve_mb", key_recording_reserve},
    {NULL, NULL},
};

static const KeyDef picture_keys[] = {
    {"width", key_picture_width},
    {"height", key_picture_height},
    {"fps", key_picture_fps},
    {NULL, NULL},
};

/* ---- loading ---- */

static const KeyDef *find_key(const KeyDef *defs, const char *key)
{
    for (; defs->key != NULL; defs++) {
        if (strcmp(defs->key, key) == 0)
            return defs;
    }
    return NULL;
}

/* Reads every key of group with the parsers in defs. */
static gboolean load_group(Loader *ld, const char *group, const KeyDef *defs, GError **error)
{
    g_auto(GStrv) keys = g_key_file_get_keys(ld->kf, group, NULL, NULL);
    for (guint i = 0; keys != NULL && keys[i] != NULL; i++) {
        const KeyDef *def = find_key(defs, keys[i]);
        if (def == NULL) {
            set_error(error, HN_CONFIG_ERROR_UNKNOWN_KEY, &ld->idx, group, keys[i], "unknown key");
            return FALSE;
        }
        GError *kf_error = NULL;
        /* on a bad escape GKeyFile sets the error but may still return a value */
        g_autofree char *value = g_key_file_get_string(ld->kf, group, keys[i], &kf_error);
        if (value == NULL || kf_error != NULL) {
            set_error(error, HN_CONFIG_ERROR_INVALID, &ld->idx, group, keys[i],
                      "bad escape sequence (use \\\\ for a backslash)");
            g_clear_error(&kf_error);
            return FALSE;
        }
        g_autofree char *reason = NULL;
        if (!def->parse(ld, g_strstrip(value), &reason)) {
            set_error(error, HN_CONFIG_ERROR_INVALID, &ld->idx, group, keys[i], "%s", reason);
            return FALSE;
        }
    }
    return TRUE;
}

static gboolean load_room(Loader *ld, const char *group, GError **error)
{
    const char *name = group + strlen(ROOM_GROUP_PFX);
    if (!hn_config_room_name_valid(name)) {
        set_error(error, HN_CONFIG_ERROR_INVALID, &ld->idx, group, NULL,
                  "room name must be 1-%d characters [A-Za-z0-9_.-]", HN_CONFIG_ROOM_NAME_MAX);
        return FALSE;
    }
    if (hn_config_find_room(ld->cfg, name)) {
        set_error(error, HN_CONFIG_ERROR_INVALID, &ld->idx, group, NULL,
                  "room %s is declared twice (room names ignore case)", name);
        return FALSE;
    }
    HnRoomConfig *room = g_new0(HnRoomConfig, 1);
    room->name = g_strdup(name);
    g_ptr_array_add(ld->cfg->rooms, room);
    ld->room = room;
    gboolean ok = load_group(ld, group, room_keys, error);
    ld->room = NULL;
    return ok;
}

static gboolean load_site(Loader *ld, const char *group, GError **error)
{
    HnSiteConfig *site = g_new0(HnSiteConfig, 1);
    site->name = g_strdup(group + strlen(SITE_GROUP_PFX));
    g_ptr_array_add(ld->cfg->sites, site);
    if (!*site->name || strlen(site->name) > 64) {
        set_error(error, HN_CONFIG_ERROR_INVALID, &ld->idx, group, NULL,
                  "site name must be 1-64 bytes");
        return FALSE;
    }
    ld->site = site;
    gboolean ok = load_group(ld, group, site_keys, error);
    ld->site = NULL;
    if (ok && !site->address && !site->user && !site->dial) {
        set_error(error, HN_CONFIG_ERROR_INVALID, &ld->idx, group, NULL,
                  "address, user or dial is required (docs/room-systems.md)");
        return FALSE;
    }
    return ok;
}

static gboolean load_webhook(Loader *ld, const char *group, GError **error)
{
    const char *name = group + strlen(HOOK_GROUP_PFX);
    if (!hn_config_room_name_valid(name)) {
        set_error(error, HN_CONFIG_ERROR_INVALID, &ld->idx, group, NULL,
                  "webhook name must be 1-%d characters [A-Za-z0-9_.-]", HN_CONFIG_ROOM_NAME_MAX);
        return FALSE;
    }
    HnWebhookConfig *w = g_new0(HnWebhookConfig, 1);
    w->name = g_strdup(name);
    w->events = g_strdup("*");
    g_ptr_array_add(ld->cfg->webhooks, w);
    ld->hook = w;
    gboolean ok = load_group(ld, group, webhook_keys, error);
    ld->hook = NULL;
    const char *missing = !ok ? NULL : !w->url ? "url" : !w->secret ? "secret" : NULL;
    if (missing) {
        set_error(error, HN_CONFIG_ERROR_INVALID, &ld->idx, group, NULL,
                  "%s is required (docs/hooks.md)", missing);
        return FALSE;
    }
    return ok;
}

/* [eoffice]: auth needs its credentials, edXML its agencies. */
static gboolean check_eoffice(Loader *ld, GError **error)
{
    HnEofficeConfig *e = &ld->cfg->eoffice;
    const char *need = NULL;
    if (e->auth && strcmp(e->auth, "bearer") == 0 && !e->token)
        need = "auth = bearer needs token";
    else if (e->auth && strcmp(e->auth, "basic") == 0 && (!e->username || !e->password))
        need = "auth = basic needs username and password";
    else if (e->edxml_url && (!e->from_code || !e->to_code))
        need = "edxml_url needs from_code and to_code (the agencies' codes)";
    if (need) {
        set_error(error, HN_CONFIG_ERROR_INVALID, &ld->idx, "eoffice", e->auth ? "auth" : NULL,
                  "%s", need);
        return FALSE;
    }
    return TRUE;
}

/* Checks that hold between keys, once every group is read. */
static gboolean check_consistency(Loader *ld, GError **error)
{
    HnConfig *cfg = ld->cfg;
    if ((cfg->whip_ice_username == NULL) != (cfg->whip_ice_credential == NULL)) {
        set_error(error, HN_CONFIG_ERROR_INVALID, &ld->idx, "whip",
                  cfg->whip_ice_username ? "ice_username" : "ice_credential",
                  "ice_username and ice_credential go together");
        return FALSE;
    }
    if ((cfg->tls_cert == NULL) != (cfg->tls_key == NULL)) {
        const char *set = cfg->tls_cert != NULL ? "tls_cert" : "tls_key";
        const char *other = cfg->tls_cert != NULL ? "tls_key" : "tls_cert";
        set_error(error, HN_CONFIG_ERROR_INVALID, &ld->idx, "server", set,
                  "%s must be set too (TLS needs both or neither)", other);
        return FALSE;
    }
    if ((cfg->rtp_port_min == 0) != (cfg->rtp_port_max == 0)) {
        const char *set = cfg->rtp_port_min != 0 ? "rtp_port_min" : "rtp_port_max";
        set_error(error, HN_CONFIG_ERROR_INVALID, &ld->idx, "media", set,
                  "rtp_port_min and rtp_port_max must both be 0 (any) or both be set");
        return FALSE;
    }
    if (cfg->rtp_port_min > cfg->rtp_port_max) {
        set_error(error, HN_CONFIG_ERROR_INVALID, &ld->idx, "media", "rtp_port_max",
                  "%u is below rtp_port_min (%u)", cfg->rtp_port_max, cfg->rtp_port_min);
        return FALSE;
    }
    if (cfg->interfaces[0] != NULL && cfg->addresses[0] != NULL) {
        set_error(error, HN_CONFIG_ERROR_INVALID, &ld->idx, "media", "addresses",
                  "set either interfaces or addresses, not both");
        return FALSE;
    }
    if (cfg->sip_listen_host && !cfg->sip_media_address &&
        (strcmp(cfg->sip_listen_host, "0.0.0.0") == 0 || strcmp(cfg->sip_listen_host, "::") == 0)) {
        set_error(error, HN_CONFIG_ERROR_INVALID, &ld->idx, "sip", "listen",
                  "media_address is needed with a wildcard listen address (the SDP must name "
                  "one address)");
        return FALSE;
    }
    if (!check_sip_tls(ld, error))
        return FALSE;
    for (guint i = 0; i < cfg->rooms->len; i++) {
        HnRoomConfig *room = g_ptr_array_index(cfg->rooms, i);
        if (!room->has_own_max)
            room->max_participants = cfg->max_participants;
        if (!room->has_own_last_n)
            room->last_n = cfg->last_n;
        if (!room->has_own_retention)
            room->retention_days = cfg->retention_days;
        g_autofree char *group = g_strconcat(ROOM_GROUP_PFX, room->name, NULL);
        HnAccess a = room->access;
        const char *need = NULL;
        if (a == HN_ACCESS_PIN && room->pin == NULL)
            need = "pin needs a pin in this group";
        else if (a == HN_ACCESS_TOKEN && cfg->jwt_secret == NULL)
            need = "token needs [auth] jwt_secret or jwt_secret_file";
        else if (a == HN_ACCESS_TOKEN_OR_PIN && cfg->jwt_secret == NULL && room->pin == NULL)
            need = "token-or-pin needs a pin here or [auth] jwt_secret";
        if (need != NULL) {
            set_error(error, HN_CONFIG_ERROR_INVALID, &ld->idx, group, "access", "%s", need);
            return FALSE;
        }
        for (guint k = 0; room->sites && room->sites[k]; k++) {
            const HnSiteConfig *site = hn_config_find_site(cfg, room->sites[k]);
            if (!site || !site->dial) {
                set_error(error, HN_CONFIG_ERROR_INVALID, &ld->idx, group, "sites",
                          site ? "[site:%s] has no dial (the SIP URI to call)"
                               : "no [site:%s] group is declared",
                          room->sites[k]);
                return FALSE;
            }
            if (!cfg->sip_listen_host) {
                set_error(error, HN_CONFIG_ERROR_INVALID, &ld->idx, group, "sites",
                          "calling sites needs the SIP gateway ([sip] listen)");
                return FALSE;
            }
        }
    }
    return TRUE;
}

static gboolean load_groups(Loader *ld, GError **error)
{
    g_auto(GStrv) groups = g_key_file_get_groups(ld->kf, NULL);
    for (guint i = 0; groups[i] != NULL; i++) {
        const char *g = groups[i];
        gboolean ok;
        if (strcmp(g, "server") == 0)
            ok = load_group(ld, g, server_keys, error);
        else if (strcmp(g, "media") == 0)
            ok = load_group(ld, g, media_keys, error);
        else if (strcmp(g, "rooms") == 0)
            ok = load_group(ld, g, rooms_keys, error);
        else if (strcmp(g, "auth") == 0)
            ok = load_group(ld, g, auth_keys, error);
        else if (strcmp(g, "minutes") == 0)
            ok = load_group(ld, g, minutes_keys, error);
        else if (strcmp(g, "recording") == 0)
            ok = load_group(ld, g, recording_keys, error);
        else if (g_str_has_prefix(g, ROOM_GROUP_PFX))
            ok = load_room(ld, g, error);
        else if (strcmp(g, "hooks") == 0)
            ok = load_group(ld, g, hooks_keys, error);
        else if (g_str_has_prefix(g, HOOK_GROUP_PFX))
            ok = load_webhook(ld, g, error);
        else if (strcmp(g, "sip") == 0)
            ok = load_group(ld, g, sip_keys, error);
        else if (g_str_has_prefix(g, SITE_GROUP_PFX))
            ok = load_site(ld, g, error);
        else if (strcmp(g, "picture") == 0)
            ok = load_group(ld, g, picture_keys, error);
        else if (strcmp(g, "whip") == 0)
            ok = load_group(ld, g, whip_keys, error);
        else if (strcmp(g, "eoffice") == 0)
            ok = load_group(ld, g, eoffice_keys, error) && check_eoffice(ld, error);
        else {
            set_error(error, HN_CONFIG_ERROR_UNKNOWN_GROUP, &ld->idx, g, NULL,
                      "unknown group (known: " KNOWN_GROUPS ")");
            ok = FALSE;
        }
        if (!ok)
            return FALSE;
    }
    return check_consistency(ld, error) && check_minutes_p12(ld, error);
}

gboolean hn_config_load_data(HnConfig *cfg, const char *data, gssize len, const char *filename,
                             GError **error)
{
    g_return_val_if_fail(cfg != NULL && data != NULL && filename != NULL, FALSE);
    gsize size = len < 0 ? strlen(data) : (gsize)len;
    Loader ld = {
        .idx = {filename, g_array_new(FALSE, FALSE, sizeof(IndexEntry))},
        .kf = g_key_file_new(),
        .cfg = hn_config_new(),
    };
    g_array_set_clear_func(ld.idx.entries, index_entry_clear);

    gboolean ok = index_build(&ld.idx, data, size, error);
    if (ok) {
        GError *kf_error = NULL;
        /* keep "key[locale]" entries so that they are reported as unknown keys */
        ok = g_key_file_load_from_data(ld.kf, data, size, G_KEY_FILE_KEEP_TRANSLATIONS, &kf_error);
        if (!ok) {
            set_error(error, HN_CONFIG_ERROR_PARSE, &ld.idx, NULL, NULL, "%s", kf_error->message);
            g_error_free(kf_error);
        }
    }
    if (ok)
        ok = load_groups(&ld, error);
    if (ok) {
        config_clear(cfg);
        *cfg = *ld.cfg;
        g_free(ld.cfg);
    } else {
        hn_config_free(ld.cfg);
    }
    g_key_file_free(ld.kf);
    g_array_free(ld.idx.entries, TRUE);
    return ok;
}

gboolean hn_config_load_file(HnConfig *cfg, const char *path, GError **error)
{
    g_return_val_if_fail(cfg != NULL && path != NULL, FALSE);
    g_autofree char *data = NULL;
    gsize len = 0;
    GError *io_error = NULL;
    if (!g_file_get_contents(path, &data, &len, &io_error)) {
        g_set_error(error, HN_CONFIG_ERROR, HN_CONFIG_ERROR_IO, "%s", io_error->message);
        g_error_free(io_error);
        return FALSE;
    }
    if (len > MAX_FILE_SIZE) {
        g_set_error(error, HN_CONFIG_ERROR, HN_CONFIG_ERROR_IO, "%s: larger than %d bytes", path,
                    MAX_FILE_SIZE);
        return FALSE;
    }
    return hn_config_load_data(cfg, data, (gssize)len, path, error);
}
