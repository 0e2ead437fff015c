/* minutes.pdf: the minutes of a meeting (minutes.json, version 1) laid out as a Vietnamese
 * administrative document of the form "Biên bản" (Decree 30/2020/NĐ-CP, appendix I): A4,
 * margins 20/20/30/15 mm (top/bottom/left/right), "Times New Roman" (fontconfig picks Liberation
 * Serif, metric-compatible, where the real font is not installed), the national name and motto,
 * the issuing body and the number, place and date, title and summary, the body, the signature
 * block and the recipients; page numbers from page 2, centred in the top margin.
 *
 * Drawn with cairo's PDF surface (restricted to PDF 1.4: a classic cross-reference table, which
 * pdf_sign.h signs) and pango (shaping of Vietnamese combining marks, line breaking, fonts
 * embedded as subsets). docs/minutes-pdf.md shows a page.
 *
 * Thread: any (no shared state); it reads fonts through fontconfig. */
#pragma once

#include <glib.h>
#include <jansson.h>

#define HN_MINUTES_PDF_ERROR (hn_minutes_pdf_error_quark())

typedef enum {
    HN_MINUTES_PDF_ERROR_INPUT, /* not a minutes.json of a version this renderer knows */
    HN_MINUTES_PDF_ERROR_CAIRO, /* cairo could not write the file */
} HnMinutesPdfError;

GQuark hn_minutes_pdf_error_quark(void);

/* Renders minutes (transfer none) to a PDF at path (written to path.tmp, then renamed). Fields
 * that are missing or of the wrong type are left out or shown as an ellipsis; a minutes object
 * of another version, or no object, is refused. Returns FALSE with error on failure. */
gboolean hn_minutes_pdf_render(const json_t *minutes, const char *path, GError **error);
