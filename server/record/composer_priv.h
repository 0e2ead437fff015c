/* Inside the composer: shared by composer.c (pipeline, feeding, layout) and composer_labels.c. */
#pragma once

#include <gst/video/video.h>

/* A name drawn in white on a dark box, height px high (transfer full; NULL if it cannot be drawn).
 * Its render rectangle is set by the caller. */
GstVideoOverlayRectangle *hn_composer_label_new(const char *text, int height, int max_width);
