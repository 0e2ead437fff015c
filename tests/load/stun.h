/* stun.h - the little STUN (RFC 5389) hn-load's light transport needs: as an ICE-lite agent
 * (RFC 8445 section 2.5) check an incoming Binding request (USERNAME, MESSAGE-INTEGRITY with our
 * password, FINGERPRINT) and write the authenticated success response with XOR-MAPPED-ADDRESS;
 * facing an ICE-lite SFU, write its own controlling Binding request and check the response. Pure
 * functions on caller-owned buffers, any thread. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#define LOAD_STUN_RESPONSE_MAX 96 /* our response: header + XOR-MAPPED (v6) + MI + FP */

typedef struct {
    uint8_t txid[12];
    bool use_candidate;
} LoadStunRequest;

/* True when buf looks like STUN (RFC 7983 first byte 0-3, magic cookie). */
bool load_stun_is_stun(const uint8_t *buf, size_t len);

/* The recipient's ufrag of a Binding request (USERNAME "theirs:mine" is "ours:sender's"):
 * copies the part before ':' into out (cap bytes, NUL-terminated). False when buf is not a
 * Binding request with such a USERNAME. Does not authenticate (load_stun_check_request does). */
bool load_stun_username(const uint8_t *buf, size_t len, char *out, size_t cap);

/* Checks a Binding request addressed to us: well-formed attributes, USERNAME "ufrag:...",
 * MESSAGE-INTEGRITY (HMAC-SHA1 keyed with pwd), FINGERPRINT when present. Returns 1 and fills
 * req for a valid request, 0 for another STUN message (a response, an indication), -1 for a
 * malformed or unauthenticated request. */
int load_stun_check_request(const uint8_t *buf, size_t len, const char *ufrag, const char *pwd,
                            LoadStunRequest *req);

/* Writes the Binding success response to req, telling the sender its address `from` (IPv4 or
 * IPv6), authenticated with pwd. out: at least LOAD_STUN_RESPONSE_MAX bytes. Returns the length,
 * or 0 for an unsupported address family. */
size_t load_stun_write_response(uint8_t *out, const LoadStunRequest *req,
                                const struct sockaddr *from, const char *pwd);

#define LOAD_STUN_REQUEST_MAX 380 /* header + USERNAME (256) + PRIORITY + ICE-CONTROLLING + ... */

/* Writes a controlling Binding request: USERNAME (username = "theirs:ours"), PRIORITY,
 * ICE-CONTROLLING, USE-CANDIDATE when asked, MESSAGE-INTEGRITY keyed with the peer's pwd,
 * FINGERPRINT. out: LOAD_STUN_REQUEST_MAX bytes. Returns the length (0: username too long). */
size_t load_stun_write_request(uint8_t *out, const uint8_t txid[12], const char *username,
                               const char *pwd, uint32_t priority, uint64_t tiebreaker,
                               bool use_candidate);

/* 1: an authenticated Binding success response to txid; -1: an error response to txid (e.g. 487
 * Role Conflict); 0: anything else. */
int load_stun_check_response(const uint8_t *buf, size_t len, const uint8_t txid[12],
                             const char *pwd);
