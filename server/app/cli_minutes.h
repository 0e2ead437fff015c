/* `hoinghi minutes-pdf IN.json OUT.pdf [--sign P12 --password-file F]`: renders a minutes.json to
 * the Decree 30 PDF (meeting/minutes_pdf.h) and signs it (meeting/pdf_sign.h), for clerks and
 * tests; writes OUT.pdf.p7s beside a signed PDF. docs/minutes-pdf.md. */
#pragma once

#include <glib.h>

/* TRUE when the first non-option argument is "minutes-pdf". */
gboolean hn_cli_minutes_is_command(int argc, char **argv);
/* Runs it; returns the process exit code (0 ok, 1 failure, 2 usage). */
int hn_cli_minutes_main(int argc, char **argv);
