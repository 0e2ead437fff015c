/* The participants' names on the tiles: drawn once per name and size with Pango (any script:
 * Vietnamese diacritics included), blended on each composed picture by GStreamer's overlay
 * composition (in the picture's own format: no conversion of the whole frame). */
#include "record/composer_priv.h"

#include <pango/pangocairo.h>

GstVideoOverlayRectangle *hn_composer_label_new(const char *text, int height, int max_width)
{
    if (!text || !*text || height < 8 || max_width < 16)
        return NULL;
    int pad = height / 4, font_px = height - 2 * pad;
    cairo_surface_t *probe = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, 1, 1);
    cairo_t *cr = cairo_create(probe);
    PangoLayout *layout = pango_cairo_create_layout(cr);
    PangoFontDescription *fd = pango_font_description_from_string("Sans");
    pango_font_description_set_absolute_size(fd, font_px * PANGO_SCALE);
    pango_layout_set_font_description(layout, fd);
    pango_font_description_free(fd);
    pango_layout_set_text(layout, text, -1);
    pango_layout_set_ellipsize(layout, PANGO_ELLIPSIZE_END);
    pango_layout_set_width(layout, (max_width - 2 * pad) * PANGO_SCALE);
    int tw = 0, th = 0;
    pango_layout_get_pixel_size(layout, &tw, &th);
    int w = MIN(tw + 2 * pad, max_width);
    cairo_destroy(cr);
    cairo_surface_destroy(probe);

    GstBuffer *buf = gst_buffer_new_allocate(NULL, (gsize)w * height * 4, NULL);
    GstMapInfo map;
    gst_buffer_map(buf, &map, GST_MAP_WRITE);
    cairo_surface_t *s =
        cairo_image_surface_create_for_data(map.data, CAIRO_FORMAT_ARGB32, w, height, w * 4);
    cr = cairo_create(s);
    cairo_set_operator(cr, CAIRO_OPERATOR_SOURCE);
    cairo_set_source_rgba(cr, 0, 0, 0, 0.55);
    cairo_paint(cr);
    cairo_set_operator(cr, CAIRO_OPERATOR_OVER);
    cairo_set_source_rgba(cr, 1, 1, 1, 1);
    cairo_move_to(cr, pad, (height - th) / 2.0);
    pango_cairo_update_layout(cr, layout);
    pango_cairo_show_layout(cr, layout);
    cairo_destroy(cr);
    cairo_surface_flush(s);
    cairo_surface_destroy(s);
    gst_buffer_unmap(buf, &map);
    g_object_unref(layout);

    gst_buffer_add_video_meta(buf, GST_VIDEO_FRAME_FLAG_NONE,
                              GST_VIDEO_OVERLAY_COMPOSITION_FORMAT_RGB, (guint)w, (guint)height);
    GstVideoOverlayRectangle *r = gst_video_overlay_rectangle_new_raw(
        buf, 0, 0, (guint)w, (guint)height, GST_VIDEO_OVERLAY_FORMAT_FLAG_PREMULTIPLIED_ALPHA);
    gst_buffer_unref(buf);
    return r;
}
