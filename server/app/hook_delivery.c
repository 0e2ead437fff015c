/* The hook delivery thread (app/hook_delivery.h): the outbox's rows out through libcurl. */
#include "app/hook_delivery.h"

#include <curl/curl.h>
#include <pthread.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "hn-build-config.h"
#include "meeting/edxml.h"
#include "meeting/outbox.h"
#include "meeting/webhook_sign.h"
#include "store/db_hooks.h"

#define RESPONSE_MAX    (64 * 1024) /* of a receiver's answer kept (the document id) */
#define IDLE_POLL_MS    1000
#define COUNTS_EVERY_MS 500
#define ERROR_TEXT_MAX  300
#define PDF_MAX         (64 * 1024 * 1024)

struct HnHookDelivery {
    const HnConfig *cfg;
    HnDb *db;
    CURLM *multi;
    GThread *thread;
    HnOutboxPolicy policy;
    gint stop, kicked;    /* atomics */
    GHashTable *inflight; /* row id (gint64*) -> Xfer* */
    gint64 next_due_ms, counts_at_ms;
    guint64 delivered, failed, dead, pending, disabled; /* under lock */
    pthread_mutex_t lock; /* (pthread: ThreadSanitizer sees it; GMutex it does not) */
};

typedef struct {
    HnHookDelivery *d;
    CURL *easy;
    HnDbDelivery row;
    struct curl_slist *headers;
    curl_mime *mime;
    char *post; /* a body built here (edXML), else the row's */
    GString *resp;
    char *retry_after;
    char errbuf[CURL_ERROR_SIZE];
    char *setup_error; /* the request could not be made (a missing PDF): fails at once */
} Xfer;

static gint64 now_ms(void)
{
    return g_get_real_time() / 1000;
}

/* scheme://host:port/path of url, without user info, query or fragment: for the log. */
static char *safe_url(const char *url)
{
    g_autoptr(GUri) u = g_uri_parse(url, G_URI_FLAGS_NONE, NULL);
    if (!u)
        return g_strdup("(bad URL)");
    return g_uri_to_string_partial(u, G_URI_HIDE_USERINFO | G_URI_HIDE_QUERY | G_URI_HIDE_FRAGMENT);
}

static void xfer_free(Xfer *x)
{
    if (!x)
        return;
    if (x->easy)
        curl_easy_cleanup(x->easy);
    curl_slist_free_all(x->headers);
    curl_mime_free(x->mime);
    g_free(x->post);
    if (x->resp)
        g_string_free(x->resp, TRUE);
    g_free(x->retry_after);
    g_free(x->setup_error);
    hn_db_delivery_clear(&x->row);
    g_free(x);
}

static size_t on_body(char *ptr, size_t size, size_t n, void *user)
{
    Xfer *x = user;
    size_t len = size * n;
    if (x->resp->len < RESPONSE_MAX)
        g_string_append_len(x->resp, ptr, (gssize)MIN(len, RESPONSE_MAX - x->resp->len));
    return len;
}

static size_t on_header(char *ptr, size_t size, size_t n, void *user)
{
    Xfer *x = user;
    size_t len = size * n;
    static const char name[] = "retry-after:";
    if (len > sizeof name - 1 && g_ascii_strncasecmp(ptr, name, sizeof name - 1) == 0) {
        g_free(x->retry_after);
        x->retry_after = g_strstrip(g_strndup(ptr + sizeof name - 1, len - (sizeof name - 1)));
    }
    return len;
}

static void add_header(Xfer *x, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
static void add_header(Xfer *x, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    g_autofree char *h = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    x->headers = curl_slist_append(x->headers, h);
}

/* The Standard Webhooks headers over body, when the endpoint has a secret. */
static void sign(Xfer *x, const char *body, gsize len)
{
    const char *secret = x->row.ep.secret;
    if (!secret || !*secret)
        return;
    gint64 ts = g_get_real_time() / G_USEC_PER_SEC;
    g_autofree char *sig = hn_webhook_sign(secret, x->row.msg_id, ts, body, len);
    add_header(x, "webhook-id: %s", x->row.msg_id);
    add_header(x, "webhook-timestamp: %" G_GINT64_FORMAT, ts);
    if (sig)
        add_header(x, "webhook-signature: %s", sig);
}

static void eoffice_auth(Xfer *x)
{
    const HnEofficeConfig *e = &x->d->cfg->eoffice;
    if (g_strcmp0(e->auth, "bearer") == 0 && e->token) {
        add_header(x, "Authorization: Bearer %s", e->token);
    } else if (g_strcmp0(e->auth, "basic") == 0 && e->username && e->password) {
        curl_easy_setopt(x->easy, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
        curl_easy_setopt(x->easy, CURLOPT_USERNAME, e->username);
        curl_easy_setopt(x->easy, CURLOPT_PASSWORD, e->password);
    }
}

/* The event's data object (transfer full; an empty object when the body is odd). */
static json_t *row_data(const HnDbDelivery *r)
{
    json_t *body = json_loads(r->body, 0, NULL);
    json_t *data = json_incref(json_object_get(body, "data"));
    json_decref(body);
    if (!json_is_object(data)) {
        json_decref(data);
        data = json_object();
    }
    return data;
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC(json_t, json_decref)

static const char *jstr(json_t *o, const char *k)
{
    const char *s = json_string_value(json_object_get(o, k));
    return s ? s : "";
}

/* The signed PDF of a minutes.signed event: its path must be absolute and a regular file. */
static gboolean read_pdf(Xfer *x, json_t *data, char **bytes, gsize *len)
{
    const char *pdf = jstr(data, "pdf");
    GError *err = NULL;
    if (!g_path_is_absolute(pdf) || !g_file_test(pdf, G_FILE_TEST_IS_REGULAR)) {
        x->setup_error = g_strdup_printf("the signed PDF \"%s\" is not there", pdf);
        return FALSE;
    }
    /* only files of the data directory (the archive) leave the machine */
    g_autofree char *real = realpath(pdf, NULL);
    g_autofree char *root = realpath(x->d->cfg->data_dir, NULL);
    g_autofree char *prefix = root ? g_strconcat(root, "/", NULL) : NULL;
    if (!real || !prefix || !g_str_has_prefix(real, prefix)) {
        x->setup_error = g_strdup_printf("the signed PDF \"%s\" is not in the data directory", pdf);
        return FALSE;
    }
    if (bytes && !g_file_get_contents(pdf, bytes, len, &err)) {
        x->setup_error = g_strdup_printf("the signed PDF: %s", err->message);
        g_error_free(err);
        return FALSE;
    }
    if (bytes && *len > PDF_MAX) {
        x->setup_error = g_strdup("the signed PDF is larger than 64 MiB");
        g_clear_pointer(bytes, g_free);
        return FALSE;
    }
    return TRUE;
}

static void build_upload(Xfer *x)
{
    const HnEofficeConfig *e = &x->d->cfg->eoffice;
    g_autoptr(json_t) data = row_data(&x->row);
    if (!read_pdf(x, data, NULL, NULL))
        return;
    x->mime = curl_mime_init(x->easy);
    curl_mimepart *p = curl_mime_addpart(x->mime);
    curl_mime_name(p, e->field_file);
    curl_mime_filedata(p, jstr(data, "pdf"));
    g_autofree char *fname =
        g_strdup_printf("minutes-%" G_GINT64_FORMAT "-v%" G_GINT64_FORMAT ".pdf", x->row.meeting,
                        (gint64)json_integer_value(json_object_get(data, "version")));
    curl_mime_filename(p, fname);
    curl_mime_type(p, "application/pdf");
    p = curl_mime_addpart(x->mime);
    curl_mime_name(p, e->field_metadata);
    curl_mime_data(p, x->row.body, CURL_ZERO_TERMINATED);
    curl_mime_type(p, "application/json");
    p = curl_mime_addpart(x->mime);
    curl_mime_name(p, e->field_title);
    curl_mime_data(p, jstr(data, "title"), CURL_ZERO_TERMINATED);
    p = curl_mime_addpart(x->mime);
    curl_mime_name(p, e->field_number);
    curl_mime_data(p, jstr(data, "number"), CURL_ZERO_TERMINATED);
    curl_easy_setopt(x->easy, CURLOPT_MIMEPOST, x->mime);
    add_header(x, "Idempotency-Key: %s", x->row.msg_id);
    eoffice_auth(x);
}

static void build_edxml(Xfer *x)
{
    const HnEofficeConfig *e = &x->d->cfg->eoffice;
    g_autoptr(json_t) data = row_data(&x->row);
    g_autofree char *pdf = NULL;
    gsize len = 0;
    if (!read_pdf(x, data, &pdf, &len))
        return;
    json_t *signed_ms = json_object_get(data, "signed_ms");
    HnEdxmlDoc doc = {.from_code = e->from_code,
                      .from_name = e->from_name,
                      .to_code = e->to_code,
                      .to_name = e->to_name,
                      .place = e->place,
                      .number = jstr(data, "number"),
                      .title = jstr(data, "title"),
                      .signer = jstr(data, "signer"),
                      .signer_position = jstr(data, "signer_position"),
                      .date_s = json_is_integer(signed_ms) ? json_integer_value(signed_ms) / 1000
                                                           : x->row.created_ms / 1000,
                      .now_s = g_get_real_time() / G_USEC_PER_SEC,
                      .tz = "Asia/Ho_Chi_Minh",
                      .attachment_name = "minutes.pdf",
                      .attachment = (const guint8 *)pdf,
                      .attachment_len = len,
                      .content_id = x->row.msg_id};
    x->post = hn_edxml_build(&doc);
    size_t n = strlen(x->post);
    curl_easy_setopt(x->easy, CURLOPT_POSTFIELDS, x->post);
    curl_easy_setopt(x->easy, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)n);
    add_header(x, "Content-Type: application/xml; charset=utf-8");
    sign(x, x->post, n);
    eoffice_auth(x);
}

/* Makes the request of row (transfer full into the Xfer). */
static Xfer *xfer_new(HnHookDelivery *d, HnDbDelivery *row)
{
    Xfer *x = g_new0(Xfer, 1);
    x->d = d;
    x->row = *row;
    memset(row, 0, sizeof *row);
    x->resp = g_string_new(NULL);
    x->easy = curl_easy_init();
    CURL *c = x->easy;
    curl_easy_setopt(c, CURLOPT_URL, x->row.ep.url);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, (long)d->cfg->hook_connect_timeout);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, (long)d->cfg->hook_timeout);
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(c, CURLOPT_USERAGENT, "hoinghi/" HN_VERSION " (webhooks)");
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, x);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, x);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, x->errbuf);
    curl_easy_setopt(c, CURLOPT_PRIVATE, x);
    switch (x->row.ep.kind) {
    case HN_HOOK_KIND_EOFFICE_UPLOAD:
        build_upload(x);
        break;
    case HN_HOOK_KIND_EOFFICE_EDXML:
        build_edxml(x);
        break;
    case HN_HOOK_KIND_WEBHOOK:
    default: {
        size_t n = strlen(x->row.body);
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, x->row.body);
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)n);
        add_header(x, "Content-Type: application/json");
        sign(x, x->row.body, n);
        break;
    }
    }
    add_header(x, "Expect:"); /* no 100-continue round trip */
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, x->headers);
    return x;
}

/* The document id at the dot path in the JSON answer, as text (transfer full), or NULL. */
static char *document_id(const char *resp, const char *path)
{
    json_t *root = json_loads(resp, 0, NULL), *v = root;
    g_auto(GStrv) parts = g_strsplit(path ? path : "id", ".", -1);
    for (guint i = 0; parts[i] && v; i++)
        v = json_is_object(v) ? json_object_get(v, parts[i]) : NULL;
    char *out = json_is_string(v) ? g_strdup(json_string_value(v))
                : json_is_integer(v)
                    ? g_strdup_printf("%" JSON_INTEGER_FORMAT, json_integer_value(v))
                    : NULL;
    json_decref(root);
    return out;
}

/* Text of a failed attempt (transfer full). */
static char *error_text(Xfer *x, CURLcode rc, long status)
{
    if (x->setup_error)
        return g_strdup(x->setup_error);
    if (rc != CURLE_OK) {
        const char *kind = rc == CURLE_COULDNT_CONNECT            ? "connection refused"
                           : rc == CURLE_OPERATION_TIMEDOUT       ? "timed out"
                           : rc == CURLE_COULDNT_RESOLVE_HOST     ? "unknown host"
                           : rc == CURLE_SSL_CONNECT_ERROR        ? "TLS failure"
                           : rc == CURLE_PEER_FAILED_VERIFICATION ? "TLS certificate refused"
                           : rc == CURLE_URL_MALFORMAT            ? "bad URL"
                                                                  : "transport error";
        return g_strdup_printf("%s: %s", kind, x->errbuf[0] ? x->errbuf : curl_easy_strerror(rc));
    }
    g_autofree char *snip = g_strndup(x->resp->str, MIN(x->resp->len, 120));
    g_strcanon(snip,
               " !\"#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`"
               "abcdefghijklmnopqrstuvwxyz{|}~",
               ' ');
    return g_strdup_printf("HTTP %ld%s%s", status, *snip ? ": " : "", g_strstrip(snip));
}

static void finish(HnHookDelivery *d, Xfer *x, CURLcode rc)
{
    long status = 0;
    if (rc == CURLE_OK && !x->setup_error)
        curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &status);
    gint64 now = now_ms();
    HnOutboxAttempt a = {.status = (int)status,
                         .retry_after_ms = hn_outbox_parse_retry_after(x->retry_after, now)};
    guint attempts = x->row.attempts + 1;
    HnOutboxDecision dec;
    hn_outbox_decide(&d->policy, &a, attempts, x->row.since_ms, now, g_random_double(), &dec);
    const HnDbWebhook *ep = &x->row.ep;
    g_autofree char *where = safe_url(ep->url);
    g_autofree char *err = dec.state == HN_OUTBOX_DELIVERED ? NULL : error_text(x, rc, status);
    g_autofree char *result = NULL;
    if (dec.state == HN_OUTBOX_DELIVERED && ep->kind == HN_HOOK_KIND_EOFFICE_UPLOAD) {
        result = document_id(x->resp->str, d->cfg->eoffice.document_id_path);
        if (!result)
            g_warning("hooks: %s (%s) took %s but its answer has no document id at \"%s\"",
                      ep->name, where, x->row.msg_id, d->cfg->eoffice.document_id_path);
    }
    GError *e = NULL;
    if (!hn_db_outbox_record(d->db, x->row.id, dec.state, attempts, now, dec.next_ms, (int)status,
                             err, result, &e)) {
        g_warning("hooks: the outcome of %s was not stored: %s", x->row.msg_id, e->message);
        g_clear_error(&e);
    }
    pthread_mutex_lock(&d->lock);
    if (dec.state == HN_OUTBOX_DELIVERED)
        d->delivered++;
    else
        d->failed++;
    if (dec.disable_endpoint)
        d->disabled++;
    pthread_mutex_unlock(&d->lock);
    if (dec.state == HN_OUTBOX_DELIVERED) {
        g_debug("hooks: %s %s delivered to %s (HTTP %ld, attempt %u)", x->row.type, x->row.msg_id,
                ep->name, status, attempts);
    } else if (dec.disable_endpoint) {
        g_autofree char *why = g_strdup_printf("410 Gone from %s", where);
        if (!hn_db_webhook_disable(d->db, ep->id, why, &e)) {
            g_warning("hooks: endpoint %s not disabled: %s", ep->name, e->message);
            g_clear_error(&e);
        }
        g_warning("hooks: endpoint %s (%s) answered 410 Gone: disabled; its %s and later rows "
                  "wait until it is enabled again (PATCH /api/v1/webhooks/%" G_GINT64_FORMAT ")",
                  ep->name, where, x->row.msg_id, ep->id);
    } else if (dec.state == HN_OUTBOX_DEAD) {
        g_warning("hooks: %s %s to endpoint %s (%s) is a dead letter after %u attempts: %s",
                  x->row.type, x->row.msg_id, ep->name, where, attempts, err);
    } else {
        g_message("hooks: %s %s to endpoint %s (%s), attempt %u failed: %s; next in %.1f s",
                  x->row.type, x->row.msg_id, ep->name, where, attempts, err,
                  (double)(dec.next_ms - now) / 1000.0);
    }
}

/* Starts the due rows, as many as there is room for. */
static void scan(HnHookDelivery *d)
{
    GError *e = NULL;
    GArray *heads = hn_db_outbox_heads(d->db, &e);
    if (!heads) {
        g_warning("hooks: cannot read the outbox: %s", e->message);
        g_error_free(e);
        d->next_due_ms = now_ms() + IDLE_POLL_MS;
        return;
    }
    gint64 now = now_ms();
    guint room = HN_HOOK_PARALLEL - g_hash_table_size(d->inflight);
    guint idx[HN_HOOK_PARALLEL];
    guint n =
        room ? hn_outbox_pick((HnOutboxRow *)(void *)heads->data, heads->len, now, idx, room) : 0;
    for (guint i = 0; i < n; i++) {
        HnOutboxRow *r = &g_array_index(heads, HnOutboxRow, idx[i]);
        HnDbDelivery row = {0};
        if (g_hash_table_contains(d->inflight, &r->id) || !hn_db_outbox_get(d->db, r->id, &row))
            continue;
        if (!hn_db_outbox_mark_inflight(d->db, r->id, now, &e)) {
            g_clear_error(&e);
            hn_db_delivery_clear(&row);
            continue;
        }
        r->state = HN_OUTBOX_INFLIGHT;
        Xfer *x = xfer_new(d, &row);
        if (x->setup_error) { /* fails now, like a refused connection */
            finish(d, x, CURLE_OK);
            xfer_free(x);
            continue;
        }
        g_hash_table_insert(d->inflight, g_memdup2(&x->row.id, sizeof x->row.id), x);
        curl_multi_add_handle(d->multi, x->easy);
    }
    d->next_due_ms = hn_outbox_next_due((HnOutboxRow *)(void *)heads->data, heads->len);
    g_array_unref(heads);
    if (now - d->counts_at_ms >= COUNTS_EVERY_MS) {
        guint64 pending = 0, dead = 0;
        if (hn_db_outbox_counts(d->db, &pending, &dead, NULL)) {
            pthread_mutex_lock(&d->lock);
            d->pending = pending;
            d->dead = dead;
            pthread_mutex_unlock(&d->lock);
        }
        d->counts_at_ms = now;
    }
}

static gpointer run(gpointer data)
{
    HnHookDelivery *d = data;
    gboolean rescan = TRUE;
    while (!g_atomic_int_get(&d->stop)) {
        if (g_atomic_int_exchange(&d->kicked, 0) || rescan || now_ms() >= d->next_due_ms)
            scan(d);
        rescan = FALSE;
        int running = 0;
        curl_multi_perform(d->multi, &running);
        CURLMsg *m;
        int left = 0;
        while ((m = curl_multi_info_read(d->multi, &left))) {
            if (m->msg != CURLMSG_DONE)
                continue;
            Xfer *x = NULL;
            curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&x);
            CURLcode rc = m->data.result;
            curl_multi_remove_handle(d->multi, m->easy_handle);
            finish(d, x, rc);
            g_hash_table_remove(d->inflight, &x->row.id);
            rescan = TRUE;
        }
        if (rescan)
            continue;
        gint64 wait = d->next_due_ms - now_ms();
        wait = CLAMP(wait, 0, IDLE_POLL_MS);
        curl_multi_poll(d->multi, NULL, 0, (int)wait, NULL);
    }
    /* stop: abort what is in flight; the rows go back to pending */
    GHashTableIter it;
    gpointer v;
    g_hash_table_iter_init(&it, d->inflight);
    while (g_hash_table_iter_next(&it, NULL, &v))
        curl_multi_remove_handle(d->multi, ((Xfer *)v)->easy);
    g_hash_table_remove_all(d->inflight);
    hn_db_outbox_recover(d->db, NULL);
    return NULL;
}

/* The endpoints of [webhook:NAME] and [eoffice]. */
static gboolean sync_config(HnDb *db, const HnConfig *cfg, GError **error)
{
    GArray *eps = g_array_new(FALSE, TRUE, sizeof(HnDbWebhook));
    for (guint i = 0; i < cfg->webhooks->len; i++) {
        const HnWebhookConfig *w = g_ptr_array_index(cfg->webhooks, i);
        HnDbWebhook e = {.name = w->name,
                         .kind = HN_HOOK_KIND_WEBHOOK,
                         .url = w->url,
                         .secret = w->secret,
                         .events = w->events};
        g_array_append_val(eps, e);
    }
    if (cfg->eoffice.upload_url) {
        HnDbWebhook e = {.name = "eoffice-upload",
                         .kind = HN_HOOK_KIND_EOFFICE_UPLOAD,
                         .url = cfg->eoffice.upload_url,
                         .events = "minutes.signed"};
        g_array_append_val(eps, e);
    }
    if (cfg->eoffice.edxml_url) {
        HnDbWebhook e = {.name = "eoffice-edxml",
                         .kind = HN_HOOK_KIND_EOFFICE_EDXML,
                         .url = cfg->eoffice.edxml_url,
                         .events = "minutes.signed"};
        g_array_append_val(eps, e);
    }
    gboolean ok = hn_db_webhook_sync_config(db, (HnDbWebhook *)(void *)eps->data, eps->len,
                                            g_get_real_time() / G_USEC_PER_SEC, error);
    g_array_unref(eps); /* the strings are cfg's */
    return ok;
}

HnHookDelivery *hn_hook_delivery_start(const HnConfig *cfg, GError **error)
{
    g_autofree char *path = g_build_filename(cfg->data_dir, HN_DB_FILE, NULL);
    HnDb *db = hn_db_open(path, error);
    if (!db)
        return NULL;
    int back = 0;
    if (!sync_config(db, cfg, error) || (back = hn_db_outbox_recover(db, error)) < 0) {
        hn_db_close(db);
        return NULL;
    }
    if (back > 0)
        g_message("hooks: %d deliveries were in flight when the server stopped: they are sent "
                  "again under the same webhook-id",
                  back);
    GPtrArray *conf = g_ptr_array_new();
    for (guint i = 0; i < cfg->rooms->len; i++) {
        const HnRoomConfig *r = g_ptr_array_index(cfg->rooms, i);
        if (r->confidential)
            g_ptr_array_add(conf, r->name);
    }
    g_ptr_array_add(conf, NULL);
    hn_db_outbox_set_confidential_rooms((const char *const *)conf->pdata);
    g_ptr_array_unref(conf);
    curl_global_init(CURL_GLOBAL_DEFAULT);
    HnHookDelivery *d = g_new0(HnHookDelivery, 1);
    d->cfg = cfg;
    d->db = db;
    d->policy.base_delay_ms = cfg->hook_retry_base_ms;
    d->policy.max_delay_ms = (gint64)cfg->hook_retry_max * 1000;
    d->policy.retry_period_ms = (gint64)cfg->hook_retry_period * 1000;
    d->multi = curl_multi_init();
    d->inflight =
        g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, (GDestroyNotify)xfer_free);
    pthread_mutex_init(&d->lock, NULL);
    d->thread = g_thread_new("hn-hooks", run, d);
    return d;
}

void hn_hook_delivery_kick(HnHookDelivery *d)
{
    if (!d)
        return;
    g_atomic_int_set(&d->kicked, 1);
    curl_multi_wakeup(d->multi);
}

void hn_hook_delivery_stop(HnHookDelivery *d)
{
    if (!d)
        return;
    g_atomic_int_set(&d->stop, 1);
    curl_multi_wakeup(d->multi);
    g_thread_join(d->thread);
    g_hash_table_unref(d->inflight);
    curl_multi_cleanup(d->multi);
    hn_db_close(d->db);
    pthread_mutex_destroy(&d->lock);
    g_free(d);
}

void hn_hook_delivery_get_stats(HnHookDelivery *d, HnHookStats *out)
{
    memset(out, 0, sizeof *out);
    if (!d)
        return;
    pthread_mutex_lock(&d->lock);
    out->delivered = d->delivered;
    out->failed_attempts = d->failed;
    out->dead = d->dead;
    out->pending = d->pending;
    out->disabled = d->disabled;
    pthread_mutex_unlock(&d->lock);
}
