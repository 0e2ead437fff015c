/* Where each tile of the composed picture goes, and who the active speaker is.
 *
 * Speaker layout: a shared screen, else the active speaker's camera, else the first tile fills
 * the upper four fifths; the others are a strip of small tiles along the bottom. Grid layout:
 * equal cells, ceil(sqrt(n)) columns, the last row centred. The picture in a tile keeps its
 * aspect ratio (the compositor letterboxes it).
 *
 * Pure functions, no GStreamer: the composer calls them for each output frame. */
#pragma once

#include <glib.h>
#include <stdint.h>

typedef enum {
    HN_LAYOUT_SPEAKER = 0,
    HN_LAYOUT_GRID = 1,
} HnLayoutKind;

typedef struct {
    int x, y, w, h;
} HnRect;

typedef struct {
    gboolean screen;  /* a shared screen (source "screen") */
    gboolean speaker; /* the active speaker's tile */
} HnTileIn;

/* "speaker" | "grid" -> kind; -1 for anything else. */
int hn_layout_parse(const char *s);
const char *hn_layout_name(HnLayoutKind kind);

/* The rectangles of n tiles (in their order) on a width x height canvas into out[n]. Returns the
 * index of the large tile (speaker layout with n >= 1), else -1. */
int hn_layout_compute(HnLayoutKind kind, int width, int height, const HnTileIn *in, int n,
                      HnRect *out);

/* The active speaker, chosen from each candidate's audio level over the last second (dBFS; below
 * HN_SPEAKER_SILENT_DB or NaN: silent). The loudest takes over when the current one has spoken
 * for at least HN_SPEAKER_HOLD_US, or is silent, and is 6 dB quieter. */
#define HN_SPEAKER_SILENT_DB (-50.0)
#define HN_SPEAKER_HOLD_US   (1500 * 1000)
typedef struct {
    int current; /* candidate index, -1 for none yet */
    int64_t since_us;
} HnSpeakerPick;

void hn_speaker_pick_init(HnSpeakerPick *p);
/* Updates and returns p->current (-1 while nobody has spoken). */
int hn_speaker_pick(HnSpeakerPick *p, const double *level_db, int n, int64_t now_us);
