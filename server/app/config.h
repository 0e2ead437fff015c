/* Server configuration: embedded defaults, a GKeyFile INI file, command-line overrides.
 *
 * Every value from a file is validated strictly; an unknown group or key, a duplicate, or a bad
 * value is an error worded "FILE:LINE: [group] key: reason", and the server refuses to start.
 * The file format and every key are documented in docs/configuration.md and conf/hoinghi.conf.
 *
 * Thread: an HnConfig is built on the main thread before the server starts and is read-only
 * afterwards, so it may then be read from any thread.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define HN_CONFIG_ERROR (hn_config_error_quark())

typedef enum {
    HN_CONFIG_ERROR_IO,            /* the file could not be read */
    HN_CONFIG_ERROR_PARSE,         /* not a key file (bad line, key outside a group, ...) */
    HN_CONFIG_ERROR_UNKNOWN_GROUP, /* a group this server does not know */
    HN_CONFIG_ERROR_UNKNOWN_KEY,   /* a key this server does not know in a known group */
    HN_CONFIG_ERROR_DUPLICATE,     /* a group (room) or key given twice */
    HN_CONFIG_ERROR_INVALID,       /* a value that is malformed or out of range */
} HnConfigError;

typedef enum {
    HN_LOG_LEVEL_ERROR,
    HN_LOG_LEVEL_WARNING,
    HN_LOG_LEVEL_INFO,
    HN_LOG_LEVEL_DEBUG,
} HnLogLevel;

#define HN_CONFIG_MAX_WORKERS 64
/* Participants of one room. Bounded by the subscriber offer: a participant receives the
 * others' audio and video, HN_CONFIG_SUB_SECTIONS(n) m= lines, within HN_NEG_MAX_SUB_SLOTS
 * (checked at compile time in config.c; app/negotiate.h has the per-participant limits). */
#define HN_CONFIG_MAX_PARTICIPANTS     1000
#define HN_CONFIG_SUB_SECTIONS(n)      (2 * ((n)-1))
#define HN_CONFIG_ROOM_NAME_MAX        64
#define HN_CONFIG_ROOM_TITLE_MAX       128 /* code points */
#define HN_CONFIG_CONSENT_TIMEOUT_MIN  3
#define HN_CONFIG_CONSENT_TIMEOUT_MAX  60
#define HN_CONFIG_DEFAULT_LISTEN_HOST  "127.0.0.1"
#define HN_CONFIG_DEFAULT_LISTEN_PORT  8080
#define HN_CONFIG_DEFAULT_DATA_DIR     "./var"
#define HN_CONFIG_DEFAULT_CONSENT      10
#define HN_CONFIG_ICE_GRACE_MAX        300
#define HN_CONFIG_DEFAULT_ICE_GRACE    30
#define HN_CONFIG_QUEUE_DELAY_MAX      10000 /* [media] max_queue_delay_ms */
#define HN_CONFIG_DEFAULT_QUEUE_DELAY  100
#define HN_CONFIG_RX_PEAK_MAX          100000 /* [media] rx_peak_mbps */
#define HN_CONFIG_DEFAULT_RX_PEAK      160
#define HN_CONFIG_BUSY_LAG_MAX         60000 /* [media] busy_lag_ms */
#define HN_CONFIG_DEFAULT_BUSY_LAG     200
#define HN_CONFIG_BUSY_HOLD_MAX        600 /* [media] busy_hold, seconds */
#define HN_CONFIG_DEFAULT_BUSY_HOLD    10
#define HN_CONFIG_SPREAD_MAX           100000 /* [media] spread_subscribers */
#define HN_CONFIG_DEFAULT_SPREAD       100    /* rooms of 100 subscribers use every worker */
#define HN_CONFIG_DEFAULT_PARTICIPANTS 100
#define HN_CONFIG_LAST_N_MAX           100

#define HN_CONFIG_PIN_MAX              32  /* digits */
#define HN_CONFIG_JWT_SECRET_MIN       16  /* bytes */
#define HN_CONFIG_JWT_SECRET_MAX       512 /* bytes */
#define HN_CONFIG_DEFAULT_LOCKOUT      300 /* seconds */
#define HN_CONFIG_DEFAULT_LOCK_FAILS   5
#define HN_CONFIG_DEFAULT_ATTEMPTS_MIN 60

#define HN_CONFIG_LOBBY_TIMEOUT 1800  /* seconds: [rooms] lobby_timeout default */
#define HN_CONFIG_END_GRACE     30    /* seconds: [rooms] end_grace default */
#define HN_CONFIG_RETENTION_MAX 36500 /* days: [rooms] / [room:NAME] retention_days at most */

/* Who may join a room (docs/security.md). */
typedef enum {
    HN_ACCESS_DEFAULT = 0,  /* not set: see hn_config_room_access */
    HN_ACCESS_OPEN,         /* anyone who knows the name */
    HN_ACCESS_PIN,          /* the room's PIN */
    HN_ACCESS_TOKEN,        /* a join token (or an account's session) */
    HN_ACCESS_TOKEN_OR_PIN, /* either */
} HnAccess;

/* One declared room: a [room:NAME] group. */
typedef struct {
    char *name;             /* 1-64 chars [A-Za-z0-9_.-] */
    char *title;            /* NULL when not set */
    guint max_participants; /* 1..1000; [rooms] max_participants when not set in the group */
    gboolean has_own_max;   /* TRUE when the group set max_participants itself */
    guint last_n;           /* 0..HN_CONFIG_LAST_N_MAX, 0: off; [rooms] last_n when not set */
    gboolean has_own_last_n;
    char *pin;            /* 4-32 digits, NULL when not set; never logged */
    HnAccess access;      /* as written (HN_ACCESS_DEFAULT when not set) */
    gboolean lobby;       /* newcomers wait until a chair admits them (default FALSE) */
    gboolean record;      /* recorded from its meeting's first join (default FALSE) */
    guint retention_days; /* archived files kept this many days, 0: forever; [rooms] default */
    gboolean has_own_retention;
    gboolean confidential; /* no hook and no e-office delivery for its meetings (docs/hooks.md) */
    char **sites; /* [site:NAME]s called when its meeting starts (each has a dial); NULL: none */
} HnRoomConfig;

/* One hook endpoint: a [webhook:NAME] group (docs/hooks.md). */
typedef struct {
    char *name;   /* 1-64 chars [A-Za-z0-9_.-] */
    char *url;    /* http:// or https:// */
    char *secret; /* "whsec_" + base64; never logged */
    char *events; /* "*" (default) or a comma list of types and families ("participant.*") */
} HnWebhookConfig;

/* [eoffice]: where signed minutes go (docs/hooks.md). Strings NULL when not set. */
typedef struct {
    char *upload_url;          /* generic multipart upload; NULL: none */
    char *auth;                /* "none" (default), "bearer", "basic" */
    char *token;               /* bearer token; never logged */
    char *username, *password; /* basic; the password is never logged */
    char *field_file, *field_metadata, *field_title, *field_number; /* form field names */
    char *document_id_path; /* dot path of the document id in the upload's JSON reply */
    char *edxml_url;        /* edXML package POST (document exchange, LGSP); NULL: none */
    char *from_code, *from_name, *to_code, *to_name; /* agency codes and names (edXML) */
    char *place; /* place of promulgation (edXML), e.g. "Hà Nội" */
} HnEofficeConfig;

#define HN_CONFIG_HOOK_RETRY_BASE_MS 5000
#define HN_CONFIG_HOOK_RETRY_MAX     3600   /* seconds */
#define HN_CONFIG_HOOK_RETRY_PERIOD  259200 /* seconds: 3 days */
#define HN_CONFIG_HOOK_CONNECT       5      /* seconds */
#define HN_CONFIG_HOOK_TIMEOUT       15     /* seconds */

/* [site:NAME] (docs/room-systems.md): a SIP room system the gateway recognises by its source
 * address or its From user. */
typedef enum {
    HN_SITE_SRTP_OPTIONAL = 0, /* SDES-SRTP when offered, plain RTP otherwise (default) */
    HN_SITE_SRTP_REQUIRED,     /* plain RTP refused (488) */
    HN_SITE_SRTP_OFF,          /* RTP/SAVP lines refused: plain RTP only */
} HnSiteSrtp;

typedef struct {
    char *name;       /* shown in the meeting */
    char *address;    /* IP literal the site calls from, or NULL */
    char *user;       /* SIP user (From) of the site, or NULL */
    gboolean trusted; /* joins PIN-protected rooms without their PIN */
    HnSiteSrtp srtp;
    char *dial; /* SIP URI the gateway calls (dial-out: sip:user@host[:port]), or NULL */
} HnSiteConfig;

/* All settings. Fields are public and read-only for users; change them only through the
 * functions below, which keep them valid. Strings are owned by the HnConfig. */
typedef struct {
    /* [server] */
    char *listen_host;        /* an IP literal, IPv6 without brackets ("::1") */
    guint16 listen_port;      /* 1..65535 */
    char *data_dir;           /* never NULL or empty */
    char *tls_cert;           /* PEM file; NULL when TLS is off (then tls_key is NULL too) */
    char *tls_key;            /* PEM file; NULL when TLS is off */
    gboolean tls_self_signed; /* tls = self-signed: make/keep a certificate in <data_dir>/tls
                               * when tls_cert is not set (app/secure.h) */
    gboolean insecure_http;   /* plain HTTP allowed on a non-loopback listen address */
    guint workers;            /* 0 = one per core (see hn_config_get_workers), else 1..64 */
    char *client_dir;         /* NULL = the build-time default client directory */
    HnLogLevel log_level;
    char **allowed_origins; /* NULL-terminated, never NULL; empty = the server's own origin */

    /* [auth] */
    char *jwt_secret;          /* HS256 secret of join tokens (or the file's content); NULL: none */
    guint lockout_failures;    /* failed attempts from one address within a minute that lock it */
    guint lockout_seconds;     /* how long a locked address is refused, 1..86400 */
    guint attempts_per_minute; /* join attempts on protected rooms per address, then rate-limited */

    /* [media] */
    guint16 rtp_port_min;    /* 0 = any port; else 1024..65535 and <= rtp_port_max */
    guint16 rtp_port_max;    /* 0 = any port */
    char **interfaces;       /* NULL-terminated, never NULL; empty = every interface that is up */
    char **addresses;        /* NULL-terminated, never NULL; local IP literals to use instead */
    char *public_ip;         /* IPv4 literal advertised for 1:1 NAT; NULL when not set */
    guint consent_timeout;   /* seconds, 3..60 */
    guint ice_restart_grace; /* seconds, 0..300: media silent this much longer, then gone */
    gboolean ice_lite;       /* TRUE: one shared socket per worker and IP (ICE-lite); FALSE: a
                              * libnice full-ICE agent, with its own sockets, per transport */

    /* [media]: overload without harm (issue 14) */
    guint max_queue_delay_ms;   /* received RTP/RTCP older than this is dropped (0: no bound) */
    guint rx_peak_mbps;         /* receive buffer = max_queue_delay_ms of media at this rate */
    guint handshake_budget_pct; /* share of a worker's time for new DTLS handshakes (100: all) */
    guint busy_lag_ms;        /* smoothed lag / queueing delay that refuses new joins (0: never) */
    guint busy_hold;          /* seconds: shortest busy period, and the retry hint joins get */
    guint busy_cpu_pressure;  /* percent of PSI "some avg10" that refuses new joins (0: never) */
    char *cpu_pressure_file;  /* where the pressure is read (/proc/pressure/cpu) */
    guint spread_subscribers; /* a room with this many subscriber legs opens new ones on the
                               * other workers (0: never; needs ice_lite and workers > 1) */

    /* [rooms] */
    gboolean auto_create;   /* rooms not declared are created on first join */
    guint max_participants; /* default per-room limit, 1..1000 */
    guint last_n;           /* default: video of the N latest speakers only (0: everyone's) */
    guint lobby_timeout;    /* seconds one may wait in a lobby, 2..86400 (default 1800) */
    guint end_grace; /* seconds a room stays empty before its meeting ends, 1..86400 (default 30) */
    guint retention_days; /* archived files of rooms that set none: days kept, 0: forever */
    GPtrArray *rooms;     /* HnRoomConfig*, in file order, names unique */

    /* [minutes] */
    char *minutes_p12;         /* PKCS#12 that signs approved minutes (checked at load); NULL */
    char *minutes_p12_pw_file; /* its password's file (first line); NULL: no password. The
                                * password itself is never kept in the configuration. */
    /* [recording] (docs/recording.md) */
    char *recording_compose;    /* "live" (default), "after" or "off": the composed file */
    char *recording_format;     /* "webm" (default) or "mp4": the composed file's container */
    char *recording_layout;     /* "speaker" (default) or "grid" */
    guint recording_reserve_mb; /* free space kept on the archive, MiB, 0..1048576 (500) */

    /* [minutes] (docs/minutes.md): the issuing body and numbering of the minutes; NULL: the
     * default. minutes_approver_secretary: the secretary may approve (else only the chair). */
    char *minutes_agency_parent, *minutes_agency_name, *minutes_agency_code, *minutes_place;
    char *minutes_number_format, *minutes_chair_title, *minutes_secretary_title;
    gboolean minutes_approver_secretary;

    /* [hooks], [webhook:NAME], [eoffice] (docs/hooks.md) */
    guint hook_retry_base_ms;   /* first retry delay before jitter, 100..600000 ms */
    guint hook_retry_max;       /* cap of one retry delay, 1..86400 s */
    guint hook_retry_period;    /* then dead, 10..2592000 s */
    guint hook_connect_timeout; /* 1..60 s */
    guint hook_timeout;         /* whole request, 1..600 s */
    GPtrArray *webhooks;        /* HnWebhookConfig*, in file order, names unique */
    HnEofficeConfig eoffice;

    /* [sip], [site:NAME] (docs/room-systems.md) */
    char *sip_listen_host;         /* NULL: the SIP gateway is off */
    guint16 sip_listen_port;       /* UDP and TCP */
    char *sip_media_address;       /* IP literal for RTP; NULL: sip_listen_host */
    guint sip_requests_per_minute; /* INVITE + OPTIONS per source address, then 503 */
    GPtrArray *sites;              /* HnSiteConfig*, in file order */
    char *sip_tls_host;            /* [sip] tls_listen; NULL: no SIP over TLS */
    guint16 sip_tls_port;
    char *sip_certificate;     /* PEM certificate (chain) for TLS; needed with tls_listen */
    char *sip_private_key;     /* PEM private key of sip_certificate */
    guint sip_session_expires; /* RFC 4028 Session-Expires we ask for, seconds (1800) */
    guint sip_min_se;          /* smallest Session-Expires taken, else 422 (90) */
    guint sip_redial_seconds;  /* dial-out: seconds from a dropped call to the redial */

    /* [picture] (docs/room-systems.md): the composed picture of a room, before each output's
     * class scales it (even width 160..1920, even height 90..1080, fps 1..60; 1280x720 25) */
    guint picture_width, picture_height, picture_fps;

    /* [whip] (docs/room-systems.md): the ICE servers told to WHIP encoders and WHEP viewers */
    char **whip_ice_servers;   /* stun:/turn: URLs, NULL-terminated; NULL: none */
    char *whip_ice_username;   /* TURN username, NULL: none */
    char *whip_ice_credential; /* TURN password (secret: never logged), NULL: none */
} HnConfig;

GQuark hn_config_error_quark(void);

/* A configuration holding the embedded defaults. transfer full: free with hn_config_free. */
HnConfig *hn_config_new(void);

/* Frees cfg and everything it owns. NULL is a no-op. */
void hn_config_free(HnConfig *cfg);

/* Loads the INI file at path. Every setting is taken from the file, or from the defaults when
 * the file does not set it (so call this before applying command-line overrides). On error
 * returns FALSE, sets error (HN_CONFIG_ERROR, message "FILE:LINE: [group] key: reason") and
 * leaves cfg unchanged. */
gboolean hn_config_load_file(HnConfig *cfg, const char *path, GError **error);

/* Same as hn_config_load_file for text already in memory (len -1: NUL-terminated); filename
 * is only used in error messages. */
gboolean hn_config_load_data(HnConfig *cfg, const char *data, gssize len, const char *filename,
                             GError **error);

/* Sets the listen address from "HOST:PORT" (IPv4 "0.0.0.0:8080", IPv6 "[::1]:8080"), as the
 * --listen option does. On error returns FALSE, sets error and leaves cfg unchanged. */
gboolean hn_config_set_listen(HnConfig *cfg, const char *hostport, GError **error);

/* Sets the data directory (any non-empty path), as the --data-dir option does. On error
 * returns FALSE, sets error and leaves cfg unchanged. */
gboolean hn_config_set_data_dir(HnConfig *cfg, const char *dir, GError **error);

/* The declared room called name, or NULL. transfer none: valid while cfg lives. */
const HnRoomConfig *hn_config_find_room(const HnConfig *cfg, const char *name);

/* The [site:NAME] group called name (exact bytes); NULL when none. transfer none. */
const HnSiteConfig *hn_config_find_site(const HnConfig *cfg, const char *name);

/* The effective access policy of room name (declared or not): its own access, else
 * token-or-pin when [auth] jwt_secret is set (token only when it has no PIN), else pin when it
 * has a PIN, else open. */
HnAccess hn_config_room_access(const HnConfig *cfg, const char *name);
/* "open", "pin", "token", "token-or-pin". transfer none. */
const char *hn_access_name(HnAccess a);

/* The number of media worker threads to start: workers, or the number of cores (at most 64)
 * when workers is 0. */
guint hn_config_get_workers(const HnConfig *cfg);

/* The listen address as "HOST:PORT" with IPv6 in brackets. transfer full: g_free. */
char *hn_config_format_listen(const HnConfig *cfg);

/* The name of a log level ("error", "warning", "info", "debug"). transfer none. */
const char *hn_log_level_name(HnLogLevel level);

/* TRUE when name is a valid room name: 1-64 chars [A-Za-z0-9_.-] (same rule as the signalling
 * protocol, docs/signaling.md). */
gboolean hn_config_room_name_valid(const char *name);

G_END_DECLS
