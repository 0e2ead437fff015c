/* ICE settings shared read-only by every transport, and the libnice agent set-up that applies
 * them. Thread: settings are built once at start and never change. */
#pragma once

#include <glib.h>
#include <nice/agent.h>
#include <nice/interfaces.h>

typedef struct {
    char **addresses;         /* local IPs to gather on (NULL: every interface that is up) */
    char **interfaces;        /* interface names to gather on (NULL: all) */
    char *public_ip;          /* advertised beside the host addresses for 1:1 NAT, or NULL */
    guint port_min, port_max; /* 0: any */
    /* ICE-lite sockets: delay bound on received RTP/RTCP (ms, 0: none) and the peak rate the
     * receive buffer is sized for (Mbit/s, 0: the defaults of transport/rx_age.h) */
    guint max_queue_delay_ms, rx_peak_mbps;
    /* the share of a worker's time new DTLS handshakes may take (percent, transport/hs_budget.h;
     * 0: the default, 100: no limit) */
    guint handshake_budget_pct;
} HnIceSettings;

/* Shortest local credentials RFC 8839 section 5.4 allows: ice-ufrag 4, ice-pwd 22 characters. */
#define HN_ICE_UFRAG_MIN 4
#define HN_ICE_PWD_MIN   22
/* What the server generates: 8 characters (48 bits, RFC 8445 asks >= 24) and 24 (144 bits,
 * >= 128). */
#define HN_ICE_CRED_UFRAG_LEN 8
#define HN_ICE_CRED_PWD_LEN   24

/* Fills out[0..n-1] with random ice-chars (RFC 8839: ALPHA / DIGIT / "+" / "/", 6 bits each)
 * from OpenSSL's CSPRNG (RAND_bytes) and out[n] with NUL; out holds n + 1 bytes. ICE
 * credentials authenticate connectivity checks, so they must not be predictable: never GRand.
 * Returns 0, or -EIO when the CSPRNG fails (out is then ""). Thread: any. */
int hn_ice_random_string(char *out, size_t n);

/* Resolves interfaces/addresses into the list of local IPs to use. transfer full. */
char **hn_ice_settings_local_ips(const HnIceSettings *s);

/* A new full-ICE agent on ctx (RFC 5245 compatibility, trickle, no UPnP, UDP only) with one
 * stream of one component (BUNDLE + rtcp-mux), gathering on the settings' addresses, with local
 * credentials from hn_ice_random_string. *stream_id receives the stream. transfer full; NULL
 * (logged) when the CSPRNG fails. Thread: the ctx's thread. */
NiceAgent *hn_ice_agent_new(GMainContext *ctx, const HnIceSettings *s, gboolean controlling,
                            guint *stream_id);

/* "candidate:..." (no "a=") for a local candidate; transfer full. */
char *hn_ice_candidate_to_string(NiceAgent *agent, NiceCandidate *c);
/* A copy of the candidate with its address replaced by public_ip, advertised beside the original
 * (1:1 NAT), or NULL when it does not apply (not host, not IPv4, loopback). transfer full. */
char *hn_ice_candidate_public(NiceAgent *agent, NiceCandidate *c, const char *public_ip);
/* Parses a remote "candidate:..." line (with or without "a=") for stream_id. Returns NULL with
 * a reason for lines libnice cannot use (TCP, mDNS names, malformed). transfer full. */
NiceCandidate *hn_ice_candidate_parse(NiceAgent *agent, guint stream_id, const char *line,
                                      const char **why);
