/* libFuzzer target: the configuration validator (server/app/config.h) on arbitrary file
 * contents, as hn_config_load_data() reads them. Checks the contract: a refusal names the file
 * ("FILE:LINE: [group] key: reason" or "FILE: reason") and leaves the configuration as it was;
 * an accepted file gives a configuration the server can print. */
#include "fuzz.h"

#include <glib.h>
#include <string.h>

#include "app/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    HnConfig *cfg = hn_config_new();
    char *before = hn_config_format_listen(cfg);
    GError *e = NULL;
    if (hn_config_load_data(cfg, (const char *)data, (gssize)size, "fuzz.conf", &e)) {
        FUZZ_CHECK(e == NULL);
        char *listen = hn_config_format_listen(cfg);
        FUZZ_CHECK(listen != NULL && listen[0] != '\0');
        g_free(listen);
        (void)hn_config_get_workers(cfg);
        for (guint i = 0; i < cfg->rooms->len; i++) {
            const HnRoomConfig *room = g_ptr_array_index(cfg->rooms, i);
            FUZZ_CHECK(hn_config_room_name_valid(room->name));
            FUZZ_CHECK(hn_config_find_room(cfg, room->name) == room);
        }
    } else {
        FUZZ_CHECK(e != NULL && g_str_has_prefix(e->message, "fuzz.conf"));
        char *after = hn_config_format_listen(cfg);
        FUZZ_CHECK(strcmp(before, after) == 0);
        g_free(after);
        g_error_free(e);
    }
    g_free(before);
    hn_config_free(cfg);
    return 0;
}
