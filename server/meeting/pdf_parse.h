/* A small, strict reader of the PDF structure the signer needs (pdf_sign.h): the last
 * cross-reference section and its trailer, the catalog and the first page.
 *
 * It reads what cairo writes (a classic `xref` table, PDF 1.4, possibly followed by incremental
 * updates with /Prev) and refuses the rest with a clear error: cross-reference streams (PDF 1.5
 * compressed files), encrypted files, a catalog that already has a form (/AcroForm), objects
 * that are not where the table says. It never follows more than a few levels of anything, so a
 * hostile file costs at most a few scans of its bytes.
 *
 * Pure: no I/O. Thread: any. */
#pragma once

#include <glib.h>

#define HN_PDF_ERROR (hn_pdf_error_quark())

typedef enum {
    HN_PDF_ERROR_PARSE,       /* not a PDF, or a broken one */
    HN_PDF_ERROR_UNSUPPORTED, /* a PDF feature this reader refuses (xref stream, encryption) */
    HN_PDF_ERROR_KEY,         /* the PKCS#12 file: unreadable, wrong password, no key, expired */
    HN_PDF_ERROR_SIGN,        /* OpenSSL failed to sign, or the signature does not fit */
    HN_PDF_ERROR_IO,          /* reading or writing a file */
} HnPdfError;

GQuark hn_pdf_error_quark(void);

/* What an incremental update needs to know of a PDF. Strings: transfer full (owned by the
 * struct, freed by hn_pdf_doc_clear). */
typedef struct {
    gsize startxref; /* offset of the last cross-reference section */
    guint size;      /* the trailer's /Size: the first free object number */
    guint root;      /* the catalog's object number and generation */
    guint root_gen;
    guint page; /* the first page's object number and generation */
    guint page_gen;
    char *catalog;    /* the catalog's dictionary, "<< ... >>" as written */
    char *page_dict;  /* the first page's dictionary */
    char *info;       /* the trailer's /Info value ("5 0 R") or NULL */
    char *id;         /* the trailer's /ID value ("[<...> <...>]") or NULL */
    guint n_sections; /* cross-reference sections read (1 + incremental updates) */
} HnPdfDoc;

/* Reads the structure of the PDF in data[0..len). On success fills doc (clear it with
 * hn_pdf_doc_clear) and returns TRUE; else sets error (HN_PDF_ERROR) and leaves doc empty. */
gboolean hn_pdf_doc_parse(const guint8 *data, gsize len, HnPdfDoc *doc, GError **error);

/* Frees what doc owns and zeroes it. */
void hn_pdf_doc_clear(HnPdfDoc *doc);

/* Finds key (without the slash) at the top level of the dictionary that starts at dict
 * ("<<", NUL-terminated text). On success sets [*value, *value_end) to its value's text. */
gboolean hn_pdf_dict_get(const char *dict, const char *key, const char **value,
                         const char **value_end);
