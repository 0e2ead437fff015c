/* Standard Webhooks signing (https://www.standardwebhooks.com/): the three headers a receiver
 * checks. The signed text is "<webhook-id>.<webhook-timestamp>.<body>", the key is the secret's
 * base64 part decoded (the secret is "whsec_" + base64 of 24..64 random bytes), and the
 * signature header is "v1,<base64 HMAC-SHA256>". Pure: no clock, no I/O. Thread: any. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define HN_WEBHOOK_SECRET_PREFIX    "whsec_"
#define HN_WEBHOOK_SECRET_MIN_BYTES 16
#define HN_WEBHOOK_SECRET_MAX_BYTES 64

/* TRUE when secret is "whsec_" + base64 of 16..64 bytes; else FALSE and *reason (transfer full)
 * says why, without quoting the secret. */
gboolean hn_webhook_secret_valid(const char *secret, char **reason);
/* A new random secret "whsec_" + base64 of 24 bytes. transfer full. */
char *hn_webhook_secret_new(void);
/* The webhook-signature header value "v1,<base64>" for msg_id, timestamp (unix seconds) and the
 * body (len bytes). NULL when the secret is not valid. transfer full. */
char *hn_webhook_sign(const char *secret, const char *msg_id, gint64 timestamp, const char *body,
                      gsize len);

/* TRUE when url is an absolute http:// or https:// URL with a host (at most 2048 bytes, no
 * spaces or control characters); else FALSE and *reason (transfer full). */
gboolean hn_webhook_url_valid(const char *url, char **reason);
/* TRUE when filter is "*" or a comma list of event types ("participant.joined") or families
 * ("participant.*"); else FALSE and *reason (transfer full). */
gboolean hn_webhook_events_valid(const char *filter, char **reason);

G_END_DECLS
