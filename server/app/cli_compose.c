/* hoinghi compose <meeting-folder>: the composed file rebuilt from the track files (the `after`
 * mode of server/record/composer.h), also how an interrupted meeting gets one. Prints one JSON
 * line of figures (packets, drops, pictures, CPU) for scripts and the benchmark. */
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>

#include "app/cli.h"
#include "record/composer.h"

static const char compose_usage[] =
    "usage: hoinghi compose MEETING-FOLDER [--layout speaker|grid] [--format webm|mp4|mp4-opus]\n"
    "                       [--size WxH] [--fps N] [--output FILE] [--live]\n"
    "Rebuilds MEETING-FOLDER/meeting.webm (or .mp4) from its tracks/*.hnr and updates its\n"
    "manifest.json. --live replays the tracks at their own pace through the live composer.\n";

static double cpu_s(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec +
           ru.ru_stime.tv_usec / 1e6;
}

int hn_cli_compose(int argc, char **argv)
{
    char *layout = NULL, *format = NULL, *size = NULL, *output = NULL;
    int fps = 0;
    gboolean live = FALSE;
    GOptionEntry entries[] = {
        {"layout", 0, 0, G_OPTION_ARG_STRING, &layout, "speaker (default) or grid", "L"},
        {"format", 0, 0, G_OPTION_ARG_STRING, &format, "webm (default), mp4, mp4-opus", "F"},
        {"size", 0, 0, G_OPTION_ARG_STRING, &size, "picture size (default 1280x720)", "WxH"},
        {"fps", 0, 0, G_OPTION_ARG_INT, &fps, "pictures per second (default 15)", "N"},
        {"output", 'o', 0, G_OPTION_ARG_FILENAME, &output, "write here (manifest untouched)",
         "FILE"},
        {"live", 0, 0, G_OPTION_ARG_NONE, &live, "replay through the live composer", NULL},
        {NULL, 0, 0, 0, NULL, NULL, NULL}};
    GError *err = NULL;
    int rc = 2;
    GOptionContext *octx = g_option_context_new("compose MEETING-FOLDER");
    g_option_context_add_main_entries(octx, entries, NULL);
    gboolean parsed = g_option_context_parse(octx, &argc, &argv, &err);
    g_option_context_free(octx);
    HnComposerConfig cfg = {.fps = fps, .live = live, .output = output};
    int layout_kind = layout ? hn_layout_parse(layout) : HN_LAYOUT_SPEAKER;
    if (!parsed || argc != 3 || layout_kind < 0 ||
        (format && !hn_compose_parse_format(format, &cfg)) ||
        (size && sscanf(size, "%dx%d", &cfg.width, &cfg.height) != 2) || fps < 0 || cfg.width < 0 ||
        cfg.height < 0 || cfg.width > 3840 || cfg.height > 2160) {
        fprintf(stderr, "hoinghi: %s\n%s", err ? err->message : "bad arguments", compose_usage);
        goto out;
    }
    cfg.layout = (HnLayoutKind)layout_kind;
    gint64 t0 = g_get_monotonic_time();
    double c0 = cpu_s();
    HnComposerStats st = {0};
    rc = hn_compose_folder(argv[2], &cfg, &st, &err) ? 0 : 1;
    double wall = (double)(g_get_monotonic_time() - t0) / 1e6, cpu = cpu_s() - c0;
    if (rc != 0)
        fprintf(stderr, "hoinghi: %s\n", err ? err->message : "compose failed");
    printf("{\"ok\": %s, \"duration_s\": %.3f, \"wall_s\": %.3f, \"cpu_s\": %.3f, "
           "\"speed\": %.2f, \"packets\": %" G_GUINT64_FORMAT ", \"dropped\": %" G_GUINT64_FORMAT
           ", \"bad\": %" G_GUINT64_FORMAT ", \"frames_in\": %" G_GUINT64_FORMAT
           ", \"frames_out\": %" G_GUINT64_FORMAT "}\n",
           rc == 0 ? "true" : "false", st.duration_us / 1e6, wall, cpu,
           wall > 0 ? st.duration_us / 1e6 / wall : 0.0, st.packets, st.dropped, st.bad,
           st.frames_in, st.frames_out);
out:
    g_clear_error(&err);
    g_free(layout);
    g_free(format);
    g_free(size);
    g_free(output);
    return rc;
}
