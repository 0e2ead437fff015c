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

#include "meeting/pdf_sign.h"

#define HN_MINUTES_PDF_ERROR (hn_minutes_pdf_error_quark())

typedef enum {
    HN_MINUTES_PDF_ERROR_INPUT, /* not a minutes.json of a version this renderer knows */
    HN_MINUTES_PDF_ERROR_CAIRO, /* cairo could not write the file */
    HN_MINUTES_PDF_ERROR_DRAFT, /* a draft is never signed */
} HnMinutesPdfError;

GQuark hn_minutes_pdf_error_quark(void);

/* Renders minutes (transfer none) to a PDF at path (written to path.tmp, then renamed). Fields
 * that are missing or of the wrong type are left out or shown as an ellipsis; a minutes object
 * of another version, or no object, is refused. Returns FALSE with error on failure. */
gboolean hn_minutes_pdf_render(const json_t *minutes, const char *path, GError **error);

/* What the server does when minutes are approved (and what `hoinghi minutes-pdf` does): renders
 * minutes to pdf_path and, when signer is not NULL, signs it in place (pdf_sign.h: reason
 * "Phê duyệt biên bản cuộc họp", location the agency's place, time now_unix) and writes the
 * detached signature to pdf_path.p7s. Signing a draft ("draft": true) is refused. Blocking file
 * I/O and RSA: call it off the main loop and the media threads. */
gboolean hn_minutes_pdf_write(const json_t *minutes, const char *pdf_path,
                              const HnPdfSigner *signer, gint64 now_unix, GError **error);

/* Drops pango's default font map; under AddressSanitizer also frees cairo's and fontconfig's
 * caches, for a clean leak check. For a process about to exit (the CLI). Never while another
 * thread renders; not needed in the server. */
void hn_minutes_pdf_shutdown(void);
