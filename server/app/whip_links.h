/* The ICE servers a WHIP encoder or WHEP viewer is told about (RFC 9725 section 4.6): one
 * `Link: <URL>; rel="ice-server"` header per `[whip] ice_servers` entry, TURN ones with
 * `username`, `credential` and `credential-type="password"` when the request was authorised.
 * Pure: no I/O. Thread: any. */
#pragma once

#include <glib.h>

#define HN_WHIP_ICE_SERVERS_MAX 6

/* url is a stun:, stun:s, turn: or turns: URI (RFC 7064/7065) without spaces, quotes, angle
 * brackets or commas, at most 256 bytes. */
gboolean hn_whip_ice_url_valid(const char *url);

/* The Link header values for servers (NULL-terminated, NULL: none). The TURN entries carry
 * username and credential when with_credentials and both are set (the values are quoted;
 * a quote or backslash in them is escaped). Returns a NULL-terminated array (transfer full),
 * empty when there is nothing to tell. */
char **hn_whip_ice_links(char *const *servers, const char *username, const char *credential,
                         gboolean with_credentials);
