#include "app/machine_load.h"

#include "core/admission.h"

#define PERIOD_S 2

struct HnMachineLoad {
    char *path;
    HnAdmission model;
    GSource *timer;
    gint64 pressure; /* per mille, -1 unknown */
    guint retry;
    gboolean warned; /* a read failure after start is logged once */
};

static gboolean read_pressure(const char *path, gint64 *out, GError **error)
{
    g_autofree char *text = NULL;
    if (!g_file_get_contents(path, &text, NULL, error))
        return FALSE;
    int64_t v;
    if (!hn_admission_parse_psi(text, &v)) {
        g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_INVAL, "%s: no \"some avg10=\" line", path);
        return FALSE;
    }
    *out = v;
    return TRUE;
}

static gboolean tick(gpointer data)
{
    HnMachineLoad *ml = data;
    GError *err = NULL;
    gint64 v;
    if (!read_pressure(ml->path, &v, &err)) {
        if (!ml->warned)
            g_warning("machine load: %s (admission on CPU pressure paused)", err->message);
        ml->warned = TRUE;
        g_error_free(err);
        return G_SOURCE_CONTINUE;
    }
    ml->warned = FALSE;
    ml->pressure = v;
    gint64 now = g_get_monotonic_time();
    gboolean was = ml->model.busy;
    hn_admission_sample(&ml->model, now, v);
    ml->retry = hn_admission_retry_after(&ml->model, now);
    if (ml->model.busy != was)
        g_message("machine load: CPU pressure %" G_GINT64_FORMAT ".%" G_GINT64_FORMAT
                  " %%: %s new joins",
                  v / 10, v % 10, ml->model.busy ? "refusing" : "admitting again");
    return G_SOURCE_CONTINUE;
}

HnMachineLoad *hn_machine_load_new(const char *path, guint threshold_pct, guint hold_s,
                                   GMainContext *ctx, GError **error)
{
    if (threshold_pct == 0)
        return NULL;
    gint64 first;
    if (!read_pressure(path, &first, error)) {
        g_prefix_error(error, "[media] busy_cpu_pressure needs cpu_pressure_file: ");
        return NULL;
    }
    HnMachineLoad *ml = g_new0(HnMachineLoad, 1);
    ml->path = g_strdup(path);
    ml->pressure = first;
    hn_admission_init_raw(&ml->model, (int64_t)threshold_pct * 10,
                          (int64_t)hold_s * G_USEC_PER_SEC);
    gint64 now = g_get_monotonic_time(); /* the first reading judges already */
    hn_admission_sample(&ml->model, now, first);
    ml->retry = hn_admission_retry_after(&ml->model, now);
    ml->timer = g_timeout_source_new_seconds(PERIOD_S);
    g_source_set_callback(ml->timer, tick, ml, NULL);
    g_source_attach(ml->timer, ctx);
    return ml;
}

void hn_machine_load_free(HnMachineLoad *ml)
{
    if (!ml)
        return;
    g_source_destroy(ml->timer);
    g_source_unref(ml->timer);
    g_free(ml->path);
    g_free(ml);
}

guint hn_machine_load_busy(const HnMachineLoad *ml)
{
    return ml ? ml->retry : 0;
}

gint64 hn_machine_load_pressure(const HnMachineLoad *ml)
{
    return ml ? ml->pressure : -1;
}
