/* What a SIP room system dialled and who it is, as pure functions: the request-URI's user part
 * ("ROOM" or "ROOM*PIN") and the [site:NAME] the call comes from (by source address, then by
 * From user). No I/O; unit-tested (tests/unit/gateway/test_sip_dial.c). Any thread. */
#pragma once

#include <glib.h>

#include "app/config.h"

/* The room and PIN of a dial string. */
typedef struct {
    char room[65]; /* a valid room name (hn_config_room_name_valid) */
    char pin[33];  /* digits, "" when none was dialled */
} HnSipDial;

/* Splits user ("ROOM" or "ROOM*PIN"; PIN 1-32 digits) into *out; FALSE when user is NULL, the
 * room name is not valid or the PIN is not digits. */
gboolean hn_sip_dial_parse(const char *user, HnSipDial *out);

/* The site whose address is addr, else whose user is from_user (case-sensitive); NULL when
 * none. addr, from_user: NULL ok. transfer none. */
const HnSiteConfig *hn_sip_site_find(const HnConfig *cfg, const char *addr, const char *from_user);

/* A display name for the call: the site's name, else the From display name (quotes removed,
 * control characters dropped, at most 64 bytes), else the From user, else "SIP". transfer
 * full. */
char *hn_sip_display_name(const HnSiteConfig *site, const char *display, const char *from_user);
