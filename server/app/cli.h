/* The administration subcommands of the server binary: `hoinghi user add|passwd|del|list` and
 * `hoinghi apikey add|list|del`, and `hoinghi compose` (the recording's composed file). They open
 * the store (<data-dir>/hoinghi.db) directly, in their own process (SQLite's WAL lets them run
 * beside a running server), and write an audit row for every change. Passwords are read from the
 * terminal (no echo) or stdin, never from argv; an API key is printed once and only its SHA-256 is
 * kept. */
#pragma once

#include <glib.h>

/* TRUE when argv[1] names a subcommand this module runs. */
gboolean hn_cli_is_command(int argc, char **argv);
/* hoinghi compose MEETING-FOLDER [...]: the composed file rebuilt from the track files
 * (server/app/cli_compose.c). Returns the exit code. */
int hn_cli_compose(int argc, char **argv);
/* Runs it; returns the process exit code (0 ok, 1 failure, 2 usage). */
int hn_cli_main(int argc, char **argv);
