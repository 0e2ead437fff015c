#include "transport/mailbox.h"

#include <errno.h>
#include <gio/gio.h>
#include <pthread.h>
#include <stdint.h>
#include <sys/eventfd.h>
#include <unistd.h>

typedef struct MbCall {
    struct MbCall *next;
    GSourceFunc fn;
    gpointer data;
    GDestroyNotify destroy;
} MbCall;

typedef struct {
    GSource src;
    HnMailbox *mb;
} MbSource;

struct HnMailbox {
    pthread_mutex_t lock;
    MbCall *head, *tail; /* under lock */
    guint pending;       /* under lock */
    gboolean signalled;  /* under lock: the eventfd was written and not read since */
    int efd;
    MbSource *source;
};

static void run_calls(MbCall *c, gboolean run)
{
    while (c) {
        MbCall *next = c->next;
        if (run)
            (void)c->fn(c->data);
        if (c->destroy)
            c->destroy(c->data);
        g_free(c);
        c = next;
    }
}

static gboolean mb_dispatch(GSource *src, GSourceFunc cb, gpointer user)
{
    (void)cb;
    (void)user;
    HnMailbox *mb = ((MbSource *)src)->mb;
    uint64_t v;
    while (read(mb->efd, &v, sizeof v) < 0 && errno == EINTR)
        ;
    pthread_mutex_lock(&mb->lock);
    MbCall *calls = mb->head;
    mb->head = mb->tail = NULL;
    mb->pending = 0;
    mb->signalled = FALSE;
    pthread_mutex_unlock(&mb->lock);
    run_calls(calls, TRUE);
    return G_SOURCE_CONTINUE;
}

static GSourceFuncs mb_funcs = {.dispatch = mb_dispatch};

HnMailbox *hn_mailbox_new(GMainContext *ctx, GError **error)
{
    int efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (efd < 0) {
        g_set_error(error, G_IO_ERROR, g_io_error_from_errno(errno), "eventfd: %s",
                    g_strerror(errno));
        return NULL;
    }
    HnMailbox *mb = g_new0(HnMailbox, 1);
    pthread_mutex_init(&mb->lock, NULL);
    mb->efd = efd;
    mb->source = (MbSource *)g_source_new(&mb_funcs, sizeof(MbSource));
    mb->source->mb = mb;
    g_source_set_name(&mb->source->src, "hn-mailbox");
    g_source_add_unix_fd(&mb->source->src, efd, G_IO_IN);
    g_source_attach(&mb->source->src, ctx);
    return mb;
}

void hn_mailbox_free(HnMailbox *mb)
{
    if (!mb)
        return;
    g_source_destroy(&mb->source->src);
    g_source_unref(&mb->source->src);
    pthread_mutex_lock(&mb->lock);
    MbCall *calls = mb->head;
    mb->head = mb->tail = NULL;
    pthread_mutex_unlock(&mb->lock);
    run_calls(calls, FALSE);
    close(mb->efd);
    pthread_mutex_destroy(&mb->lock);
    g_free(mb);
}

void hn_mailbox_post(HnMailbox *mb, GSourceFunc fn, gpointer data, GDestroyNotify destroy)
{
    g_return_if_fail(mb && fn);
    MbCall *c = g_new(MbCall, 1);
    c->next = NULL;
    c->fn = fn;
    c->data = data;
    c->destroy = destroy;
    pthread_mutex_lock(&mb->lock);
    if (mb->tail)
        mb->tail->next = c;
    else
        mb->head = c;
    mb->tail = c;
    mb->pending++;
    gboolean wake = !mb->signalled;
    mb->signalled = TRUE;
    /* written under the lock: the reader cannot clear the flag between our check and the write */
    if (wake) {
        uint64_t one = 1;
        while (write(mb->efd, &one, sizeof one) < 0 && errno == EINTR)
            ;
    }
    pthread_mutex_unlock(&mb->lock);
}

guint hn_mailbox_pending(HnMailbox *mb)
{
    pthread_mutex_lock(&mb->lock);
    guint n = mb->pending;
    pthread_mutex_unlock(&mb->lock);
    return n;
}
