/* hoinghi minutes-pdf IN.json OUT.pdf [--sign P12 [--password-file F]]: renders minutes.json
 * to a PDF and optionally signs it (see cli_minutes.h). */
#include "app/cli_minutes.h"

#include <stdio.h>
#include <string.h>

#include "app/config.h"
#include "meeting/minutes_pdf.h"
#include "meeting/pdf_sign.h"

static const char usage[] =
    "usage: hoinghi [-c FILE] minutes-pdf IN.json OUT.pdf [--sign P12 [--password-file FILE]]\n"
    "Renders minutes.json (docs/minutes-pdf.md) to a PDF in the Decree 30 layout. With --sign,\n"
    "or with [minutes] p12 in the configuration, signs it (an embedded PDF signature) and writes\n"
    "the detached CMS signature of the signed file to OUT.pdf.p7s. The password is read from\n"
    "the first line of FILE, never from the command line.\n";

gboolean hn_cli_minutes_is_command(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "-c") == 0 || strcmp(argv[i], "--config") == 0) {
            i++;
            continue;
        }
        if (argv[i][0] == '-')
            continue;
        return strcmp(argv[i], "minutes-pdf") == 0;
    }
    return FALSE;
}

/* Renders (and signs with p12 when it is not NULL). */
static int write_pdf(const json_t *minutes, const char *in, const char *pdf, const char *p12,
                     const char *pw_file)
{
    GError *err = NULL;
    gint64 now = g_get_real_time() / G_USEC_PER_SEC;
    HnPdfSigner *s = NULL;
    if (p12 && !(s = hn_pdf_signer_load_file(p12, pw_file, now, &err))) {
        fprintf(stderr, "hoinghi: cannot sign: %s\n", err->message);
        g_error_free(err);
        return 1;
    }
    gboolean ok = hn_minutes_pdf_write(minutes, pdf, s, now, &err);
    if (ok && s)
        printf("%s: signed by %s; detached signature %s.p7s\n", pdf, hn_pdf_signer_name(s), pdf);
    else if (ok)
        printf("%s: written (not signed)\n", pdf);
    else
        fprintf(stderr, "hoinghi: %s: %s\n", in, err->message);
    g_clear_error(&err);
    hn_pdf_signer_free(s);
    return ok ? 0 : 1;
}

int hn_cli_minutes_main(int argc, char **argv)
{
    char *config_path = NULL, *p12 = NULL, *pw_file = NULL;
    GOptionEntry entries[] = {
        {"config", 'c', 0, G_OPTION_ARG_FILENAME, &config_path, "Configuration file (INI)", "FILE"},
        {"sign", 0, 0, G_OPTION_ARG_FILENAME, &p12, "Sign with this PKCS#12 file", "P12"},
        {"password-file", 0, 0, G_OPTION_ARG_FILENAME, &pw_file,
         "The PKCS#12 password's file (first line)", "FILE"},
        {NULL, 0, 0, 0, NULL, NULL, NULL}};
    GError *err = NULL;
    int rc = 2;
    HnConfig *cfg = hn_config_new();
    json_t *minutes = NULL;
    GOptionContext *octx = g_option_context_new("minutes-pdf IN.json OUT.pdf");
    g_option_context_add_main_entries(octx, entries, NULL);
    gboolean parsed = g_option_context_parse(octx, &argc, &argv, &err);
    g_option_context_free(octx);
    if (!parsed) {
        fprintf(stderr, "hoinghi: %s\n%s", err->message, usage);
        goto out;
    }
    if (argc != 4 || (pw_file && !p12)) {
        fputs(usage, stderr);
        goto out;
    }
    if (config_path && !hn_config_load_file(cfg, config_path, &err)) {
        fprintf(stderr, "hoinghi: invalid configuration: %s\n", err->message);
        goto out;
    }
    rc = 1;
    json_error_t jerr;
    minutes = json_load_file(argv[2], 0, &jerr);
    if (!minutes) {
        fprintf(stderr, "hoinghi: %s:%d: %s\n", argv[2], jerr.line, jerr.text);
        goto out;
    }
    if (!p12 && cfg->minutes_p12) {
        p12 = g_strdup(cfg->minutes_p12);
        pw_file = g_strdup(cfg->minutes_p12_pw_file);
    }
    rc = write_pdf(minutes, argv[2], argv[3], p12, pw_file);
out:
    json_decref(minutes);
    hn_config_free(cfg);
    g_clear_error(&err);
    g_free(config_path);
    g_free(p12);
    g_free(pw_file);
    hn_minutes_pdf_shutdown();
    return rc;
}
