/* hoinghi user ... / hoinghi apikey ...: account and key administration on the store. */
#include "app/cli.h"

#include <glib/gstdio.h>
#include <stdio.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "app/config.h"
#include "store/db.h"

#define PASSWORD_MIN 8
#define PASSWORD_MAX 1024

/* The subcommand's name: the first argument that is neither an option nor an option's value. */
static const char *subcommand(int argc, char **argv)
{
    static const char *const with_value[] = {
        "-c",       "--config", "-d",       "--data-dir", "-r",    "--role", "--display-name", "-l",
        "--listen", "--layout", "--format", "--size",     "--fps", "-o",     "--output"};
    for (int i = 1; i < argc; i++) {
        gboolean skip = FALSE;
        for (guint k = 0; k < G_N_ELEMENTS(with_value); k++)
            skip = skip || strcmp(argv[i], with_value[k]) == 0;
        if (skip) {
            i++;
            continue;
        }
        if (argv[i][0] == '-')
            continue;
        return argv[i];
    }
    return "";
}

gboolean hn_cli_is_command(int argc, char **argv)
{
    const char *cmd = subcommand(argc, argv);
    return strcmp(cmd, "user") == 0 || strcmp(cmd, "apikey") == 0 || strcmp(cmd, "compose") == 0;
}

static const char usage[] =
    "usage: hoinghi [-c FILE] [-d DIR] user add NAME --role ROLE [--display-name TEXT]\n"
    "       hoinghi [-c FILE] [-d DIR] user passwd NAME\n"
    "       hoinghi [-c FILE] [-d DIR] user del NAME\n"
    "       hoinghi [-c FILE] [-d DIR] user list\n"
    "       hoinghi [-c FILE] [-d DIR] apikey add LABEL\n"
    "       hoinghi [-c FILE] [-d DIR] apikey list\n"
    "       hoinghi [-c FILE] [-d DIR] apikey del LABEL\n"
    "ROLE: admin, clerk, chair, secretary, member. The password is read from the terminal\n"
    "(twice) or from the first line of stdin.\n";

/* One line from fp without its line end, at most PASSWORD_MAX bytes. transfer full; NULL at EOF. */
static char *read_line(FILE *fp)
{
    char buf[PASSWORD_MAX + 2];
    if (!fgets(buf, sizeof buf, fp))
        return NULL;
    buf[strcspn(buf, "\r\n")] = '\0';
    char *s = g_strdup(buf);
    memset(buf, 0, sizeof buf);
    return s;
}

static char *prompt_hidden(const char *prompt)
{
    fputs(prompt, stderr);
    fflush(stderr);
    struct termios old, quiet;
    gboolean tty = tcgetattr(STDIN_FILENO, &old) == 0;
    if (tty) {
        quiet = old;
        quiet.c_lflag &= ~(tcflag_t)ECHO;
        tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
    }
    char *s = read_line(stdin);
    if (tty) {
        tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
        fputc('\n', stderr);
    }
    return s;
}

static void secret_free(char *s)
{
    if (s)
        memset(s, 0, strlen(s));
    g_free(s);
}

/* The new password from the terminal (asked twice) or stdin. transfer full; NULL + message. */
static char *read_password(void)
{
    char *pw;
    if (isatty(STDIN_FILENO)) {
        pw = prompt_hidden("New password: ");
        char *again = pw ? prompt_hidden("Repeat it: ") : NULL;
        gboolean same = pw && again && strcmp(pw, again) == 0;
        secret_free(again);
        if (!same) {
            fprintf(stderr, "hoinghi: the passwords differ\n");
            secret_free(pw);
            return NULL;
        }
    } else {
        pw = read_line(stdin);
    }
    if (!pw || strlen(pw) < PASSWORD_MIN || !g_utf8_validate(pw, -1, NULL)) {
        fprintf(stderr, "hoinghi: a password is at least %d characters of UTF-8\n", PASSWORD_MIN);
        secret_free(pw);
        return NULL;
    }
    return pw;
}

static void audit(HnDb *db, const char *action, const char *detail)
{
    const char *who = g_get_user_name();
    g_autofree char *actor = g_strdup_printf("cli:%s", who ? who : "?");
    GError *err = NULL;
    if (!hn_db_audit(db, g_get_real_time() / G_USEC_PER_SEC, actor, action, NULL, detail, &err)) {
        fprintf(stderr, "hoinghi: warning: audit row not written: %s\n", err->message);
        g_error_free(err);
    }
}

static int fail(GError *err)
{
    fprintf(stderr, "hoinghi: %s\n", err->message);
    g_error_free(err);
    return 1;
}

static gboolean check_name(const char *what, const char *name)
{
    if (hn_db_name_valid(name))
        return TRUE;
    fprintf(stderr, "hoinghi: %s “%s”: use 1-%d characters [a-z0-9_.-]\n", what, name,
            HN_DB_NAME_MAX);
    return FALSE;
}

static int user_add(HnDb *db, const char *name, const char *role_s, const char *display)
{
    HnUserRole role;
    if (!check_name("user name", name))
        return 2;
    if (!role_s || !hn_user_role_parse(role_s, &role)) {
        fprintf(stderr, "hoinghi: --role must be admin, clerk, chair, secretary or member\n");
        return 2;
    }
    if (display &&
        (!g_utf8_validate(display, -1, NULL) || g_utf8_strlen(display, -1) > 64 || !*display)) {
        fprintf(stderr, "hoinghi: --display-name must be 1-64 characters\n");
        return 2;
    }
    char *pw = read_password();
    if (!pw)
        return 1;
    GError *err = NULL;
    gboolean ok = hn_db_user_add(db, name, display ? display : name, role, pw, &err);
    secret_free(pw);
    if (!ok)
        return fail(err);
    g_autofree char *d = g_strdup_printf("user=%s role=%s", name, role_s);
    audit(db, "user-add", d);
    printf("user %s added (%s)\n", name, role_s);
    return 0;
}

static int user_cmd(HnDb *db, int argc, char **argv, const char *role, const char *display)
{
    const char *verb = argc > 0 ? argv[0] : "";
    GError *err = NULL;
    if (strcmp(verb, "list") == 0 && argc == 1) {
        GArray *users = hn_db_user_list(db, &err);
        if (!users)
            return fail(err);
        for (guint i = 0; i < users->len; i++) {
            HnDbUser *u = &g_array_index(users, HnDbUser, i);
            g_autoptr(GDateTime) t = g_date_time_new_from_unix_utc(u->created);
            g_autofree char *when = t ? g_date_time_format_iso8601(t) : g_strdup("?");
            printf("%s\t%s\t%s\t%s\n", u->name, hn_user_role_name(u->role), u->display_name, when);
        }
        g_array_unref(users);
        return 0;
    }
    if (argc != 2)
        return fputs(usage, stderr), 2;
    const char *name = argv[1];
    if (strcmp(verb, "add") == 0)
        return user_add(db, name, role, display);
    if (strcmp(verb, "passwd") == 0) {
        char *pw = read_password();
        if (!pw)
            return 1;
        gboolean ok = hn_db_user_passwd(db, name, pw, &err);
        secret_free(pw);
        if (!ok)
            return fail(err);
        g_autofree char *d = g_strdup_printf("user=%s", name);
        audit(db, "user-passwd", d);
        printf("password of %s changed\n", name);
        return 0;
    }
    if (strcmp(verb, "del") == 0) {
        if (!hn_db_user_del(db, name, &err))
            return fail(err);
        g_autofree char *d = g_strdup_printf("user=%s", name);
        audit(db, "user-del", d);
        printf("user %s deleted\n", name);
        return 0;
    }
    fputs(usage, stderr);
    return 2;
}

static int apikey_cmd(HnDb *db, int argc, char **argv)
{
    const char *verb = argc > 0 ? argv[0] : "";
    GError *err = NULL;
    if (strcmp(verb, "list") == 0 && argc == 1) {
        GPtrArray *keys = hn_db_apikey_list(db, &err);
        if (!keys)
            return fail(err);
        for (guint i = 0; i < keys->len; i++) {
            char **f = g_strsplit(keys->pdata[i], "\t", 2);
            g_autoptr(GDateTime) t = g_date_time_new_from_unix_utc(g_ascii_strtoll(f[1], NULL, 10));
            g_autofree char *when = t ? g_date_time_format_iso8601(t) : g_strdup("?");
            printf("%s\t%s\n", f[0], when);
            g_strfreev(f);
        }
        g_ptr_array_unref(keys);
        return 0;
    }
    if (argc != 2)
        return fputs(usage, stderr), 2;
    const char *label = argv[1];
    if (!check_name("key label", label))
        return 2;
    if (strcmp(verb, "add") == 0) {
        char *key = hn_db_apikey_add(db, label, &err);
        if (!key)
            return fail(err);
        g_autofree char *d = g_strdup_printf("label=%s", label);
        audit(db, "apikey-add", d);
        printf("%s\n", key);
        fprintf(stderr, "hoinghi: API key %s created; it is shown only this once\n", label);
        secret_free(key);
        return 0;
    }
    if (strcmp(verb, "del") == 0) {
        if (!hn_db_apikey_del(db, label, &err))
            return fail(err);
        g_autofree char *d = g_strdup_printf("label=%s", label);
        audit(db, "apikey-del", d);
        printf("API key %s deleted\n", label);
        return 0;
    }
    fputs(usage, stderr);
    return 2;
}

int hn_cli_main(int argc, char **argv)
{
    if (strcmp(subcommand(argc, argv), "compose") == 0)
        return hn_cli_compose(argc, argv);
    char *config_path = NULL, *data_dir = NULL, *role = NULL, *display = NULL, *path = NULL;
    GOptionEntry entries[] = {
        {"config", 'c', 0, G_OPTION_ARG_FILENAME, &config_path, "Configuration file (INI)", "FILE"},
        {"data-dir", 'd', 0, G_OPTION_ARG_FILENAME, &data_dir, "Data directory (default ./var)",
         "DIR"},
        {"role", 'r', 0, G_OPTION_ARG_STRING, &role, "Role of a new user", "ROLE"},
        {"display-name", 0, 0, G_OPTION_ARG_STRING, &display, "Display name of a new user", "TEXT"},
        {NULL, 0, 0, 0, NULL, NULL, NULL}};
    GError *err = NULL;
    int rc = 2;
    HnConfig *cfg = hn_config_new();
    HnDb *db = NULL;
    GOptionContext *octx = g_option_context_new("user|apikey VERB [NAME]");
    g_option_context_add_main_entries(octx, entries, NULL);
    gboolean parsed = g_option_context_parse(octx, &argc, &argv, &err);
    g_option_context_free(octx);
    if (!parsed) {
        fprintf(stderr, "hoinghi: %s\n%s", err->message, usage);
        goto out;
    }
    if ((config_path && !hn_config_load_file(cfg, config_path, &err)) ||
        (data_dir && !hn_config_set_data_dir(cfg, data_dir, &err))) {
        fprintf(stderr, "hoinghi: invalid configuration: %s\n", err->message);
        goto out;
    }
    if (argc < 3) {
        fputs(usage, stderr);
        goto out;
    }
    rc = 1;
    if (g_mkdir_with_parents(cfg->data_dir, 0750) != 0) {
        fprintf(stderr, "hoinghi: cannot create data directory %s\n", cfg->data_dir);
        goto out;
    }
    path = g_build_filename(cfg->data_dir, HN_DB_FILE, NULL);
    db = hn_db_open(path, &err);
    if (!db) {
        fprintf(stderr, "hoinghi: %s\n", err->message);
        goto out;
    }
    if (strcmp(argv[1], "user") == 0)
        rc = user_cmd(db, argc - 2, argv + 2, role, display);
    else
        rc = apikey_cmd(db, argc - 2, argv + 2);
out:
    hn_db_close(db);
    hn_config_free(cfg);
    g_clear_error(&err);
    g_free(config_path);
    g_free(data_dir);
    g_free(role);
    g_free(display);
    g_free(path);
    return rc;
}
