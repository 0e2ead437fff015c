/* ICE candidate attribute (RFC 8839 section 5.1) parse and format. Pure, any thread. */
#pragma once

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

#include "sdp/sdp.h"

typedef enum {
    HN_CAND_HOST,
    HN_CAND_SRFLX,
    HN_CAND_PRFLX,
    HN_CAND_RELAY,
} HnCandType;

typedef enum {
    HN_CAND_UDP,
    HN_CAND_TCP,
} HnCandTransport;

typedef enum {
    HN_CAND_TCP_NONE = 0, /* UDP, or TCP without tcptype */
    HN_CAND_TCP_ACTIVE,
    HN_CAND_TCP_PASSIVE,
    HN_CAND_TCP_SO,
} HnCandTcpType;

#define HN_CAND_FOUNDATION_LEN 33 /* 1-32 ice-chars */
#define HN_CAND_ADDR_LEN       46 /* INET6_ADDRSTRLEN */

typedef struct {
    char foundation[HN_CAND_FOUNDATION_LEN];
    uint16_t component; /* 1 = RTP (the only one with rtcp-mux) */
    HnCandTransport transport;
    uint32_t priority;
    char address[HN_CAND_ADDR_LEN]; /* numeric IPv4 or IPv6, as parsed */
    bool ipv6;
    uint16_t port;
    HnCandType type;
    char raddr[HN_CAND_ADDR_LEN]; /* "" when absent */
    uint16_t rport;
    HnCandTcpType tcptype;
} HnCandidate;

/* Parses "candidate:<foundation> <component> <udp|tcp> <priority> <address> <port> typ <type>
 * [raddr <a> rport <p>] [tcptype <t>] [<extension> <value>]...", with or without a leading
 * "a=" and trailing CR/LF. Unknown extensions (generation, ufrag, network-id...) are ignored.
 * Returns 0 and fills *out, or -EINVAL with HN_SDP_ERROR_PARSE, or -ENOTSUP with
 * HN_SDP_ERROR_UNSUPPORTED for mDNS (".local") and other host-name addresses. */
int hn_sdp_candidate_parse(const char *text, HnCandidate *out, GError **error);

/* Formats a candidate as "candidate:..." (no "a=", no line end). Returns NULL and sets
 * HN_SDP_ERROR_INVALID when a field is invalid. transfer full (g_free). */
char *hn_sdp_candidate_format(const HnCandidate *cand, GError **error);

/* Canonical name of a candidate type ("host", "srflx", "prflx", "relay"). */
const char *hn_sdp_candidate_type_name(HnCandType type);
