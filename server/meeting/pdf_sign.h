/* Digital signature of a PDF with the agency's PKCS#12 certificate (issue 12: the approved
 * minutes are signed).
 *
 * The signature is an *incremental update* appended to the file, so the bytes that were
 * rendered stay as they are: a /Sig dictionary (/Filter /Adobe.PPKLite, /SubFilter
 * /adbe.pkcs7.detached, /ByteRange, /Contents with a fixed-size hex placeholder), an invisible
 * signature field (a widget annotation on the first page), the catalog again with /AcroForm
 * (/SigFlags 3), the first page again with the widget in /Annots, then a new cross-reference
 * section and a trailer with /Prev. The CMS SignedData (SHA-256, the signer's certificate and
 * chain, a signing-time attribute) covers the whole file except the /Contents hex string, as
 * /ByteRange says; poppler's `pdfsig` and Acrobat validate it.
 *
 * Besides, hn_pdf_sign_file writes a detached CMS signature (DER, .p7s) over the whole signed
 * PDF, for `openssl cms -verify -binary -inform DER -content minutes.pdf`.
 *
 * OpenSSL 3. Thread: any (a signer is read-only once loaded). docs/minutes-pdf.md. */
#pragma once

#include <glib.h>

#include "meeting/pdf_parse.h"

/* Bytes reserved for the CMS signature in /Contents (written as twice as many hex digits). */
#define HN_PDF_SIG_MAX 16384

typedef struct HnPdfSigner HnPdfSigner;

/* Loads a PKCS#12 file: its certificate, private key and chain. Fails (HN_PDF_ERROR_KEY) with a
 * clear message when the file is unreadable, the password wrong, the key or certificate missing,
 * the key does not match the certificate, or the certificate is expired or not yet valid at
 * now_unix. password may be NULL (none). transfer full: hn_pdf_signer_free. */
HnPdfSigner *hn_pdf_signer_load(const char *p12_path, const char *password, gint64 now_unix,
                                GError **error);

/* Same, with the password read from the first line of password_file (NULL: no password). The
 * password is wiped from memory after use and never appears in an error message. */
HnPdfSigner *hn_pdf_signer_load_file(const char *p12_path, const char *password_file,
                                     gint64 now_unix, GError **error);

void hn_pdf_signer_free(HnPdfSigner *signer);

/* The certificate's subject common name (or the whole subject). transfer none. */
const char *hn_pdf_signer_name(const HnPdfSigner *signer);

/* What the /Sig dictionary says besides the signature. Strings: UTF-8, may be NULL. */
typedef struct {
    const char *reason;   /* /Reason, e.g. "Phê duyệt biên bản" */
    const char *location; /* /Location, e.g. "Quảng Trị" */
    gint64 now_unix;      /* /M, the signing time (local time zone) */
} HnPdfSignParams;

/* Signs the PDF in pdf[0..len): returns the file with the signature appended (transfer full),
 * or NULL with error (HN_PDF_ERROR). */
GByteArray *hn_pdf_sign_data(const guint8 *pdf, gsize len, const HnPdfSigner *signer,
                             const HnPdfSignParams *params, GError **error);

/* A detached CMS SignedData (DER) over data[0..len). transfer full, or NULL with error. */
GBytes *hn_pdf_cms_detached(const HnPdfSigner *signer, const guint8 *data, gsize len,
                            GError **error);

/* Reads in_path, signs it into out_path (written to a temporary file, then renamed; in_path
 * may equal out_path) and, when p7s_path is not NULL, writes there the detached CMS over the
 * signed out_path. */
gboolean hn_pdf_sign_file(const char *in_path, const char *out_path, const char *p7s_path,
                          const HnPdfSigner *signer, const HnPdfSignParams *params, GError **error);
