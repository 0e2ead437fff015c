/* Tile rectangles and the active speaker: see layout.h. */
#include "record/layout.h"

#include <math.h>
#include <string.h>

int hn_layout_parse(const char *s)
{
    if (s && strcmp(s, "speaker") == 0)
        return HN_LAYOUT_SPEAKER;
    if (s && strcmp(s, "grid") == 0)
        return HN_LAYOUT_GRID;
    return -1;
}

const char *hn_layout_name(HnLayoutKind kind)
{
    return kind == HN_LAYOUT_GRID ? "grid" : "speaker";
}

static void grid(int x0, int y0, int width, int height, HnRect *out, int n)
{
    int cols = (int)ceil(sqrt((double)n)), rows = (n + cols - 1) / cols;
    int cw = width / cols, ch = height / rows;
    for (int i = 0; i < n; i++) {
        int r = i / cols, c = i % cols;
        int in_row = r == rows - 1 ? n - r * cols : cols;
        int pad = (width - in_row * cw) / 2;
        out[i] = (HnRect){x0 + pad + c * cw, y0 + r * ch, cw, ch};
    }
}

int hn_layout_compute(HnLayoutKind kind, int width, int height, const HnTileIn *in, int n,
                      HnRect *out)
{
    if (n <= 0)
        return -1;
    if (kind == HN_LAYOUT_GRID) {
        grid(0, 0, width, height, out, n);
        return -1;
    }
    int big = 0, screen = -1, speaker = -1;
    for (int i = 0; i < n; i++) {
        if (in[i].screen && screen < 0)
            screen = i;
        if (in[i].speaker && speaker < 0)
            speaker = i;
    }
    big = screen >= 0 ? screen : speaker >= 0 ? speaker : 0;
    if (n == 1) {
        out[0] = (HnRect){0, 0, width, height};
        return 0;
    }
    int strip_h = height / 5;
    out[big] = (HnRect){0, 0, width, height - strip_h};
    int small = n - 1;
    int tw = MIN(width / small, strip_h * 16 / 9);
    int x = (width - tw * small) / 2;
    for (int i = 0; i < n; i++) {
        if (i == big)
            continue;
        out[i] = (HnRect){x, height - strip_h, tw, strip_h};
        x += tw;
    }
    return big;
}

void hn_speaker_pick_init(HnSpeakerPick *p)
{
    p->current = -1;
    p->since_us = 0;
}

int hn_speaker_pick(HnSpeakerPick *p, const double *level_db, int n, int64_t now_us)
{
    int loud = -1;
    for (int i = 0; i < n; i++) {
        double l = level_db[i];
        if (isnan(l) || l < HN_SPEAKER_SILENT_DB)
            continue;
        if (loud < 0 || l > level_db[loud])
            loud = i;
    }
    if (p->current >= n)
        p->current = -1;
    if (loud < 0 || loud == p->current)
        return p->current;
    double cur = p->current >= 0 ? level_db[p->current] : NAN;
    gboolean cur_silent = isnan(cur) || cur < HN_SPEAKER_SILENT_DB;
    gboolean held = now_us - p->since_us >= HN_SPEAKER_HOLD_US;
    if (p->current < 0 || cur_silent || (held && level_db[loud] >= cur + 6.0)) {
        p->current = loud;
        p->since_us = now_us;
    }
    return p->current;
}
