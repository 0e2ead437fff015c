/* ICE settings shared read-only by every transport, and the libnice agent set-up that applies
 * them. Thread: settings are built once at start and never change. */
#pragma once

#include <glib.h>
#include <nice/agent.h>
#include <nice/interfaces.h>

typedef struct {
    char **addresses;         /* local IPs to gather on (NULL: every interface that is up) */
    char **interfaces;        /* interface names to gather on (NULL: all) */
    char *public_ip;          /* advertised instead of host addresses for 1:1 NAT, or NULL */
    guint port_min, port_max; /* 0: any */
} HnIceSettings;

/* Resolves interfaces/addresses into the list of local IPs to use. transfer full. */
char **hn_ice_settings_local_ips(const HnIceSettings *s);

/* A new full-ICE agent on ctx (RFC 5245 compatibility, trickle, no UPnP, UDP only) with one
 * stream of one component (BUNDLE + rtcp-mux), gathering on the settings' addresses.
 * *stream_id receives the stream. transfer full. Thread: the ctx's thread. */
NiceAgent *hn_ice_agent_new(GMainContext *ctx, const HnIceSettings *s, gboolean controlling,
                            guint *stream_id);

/* "candidate:..." (no "a=") for a local candidate; transfer full. */
char *hn_ice_candidate_to_string(NiceAgent *agent, NiceCandidate *c);
/* The same candidate with its address replaced by public_ip, or NULL when it does not apply
 * (not host, not IPv4, loopback). transfer full. */
char *hn_ice_candidate_public(NiceAgent *agent, NiceCandidate *c, const char *public_ip);
/* Parses a remote "candidate:..." line (with or without "a=") for stream_id. Returns NULL with
 * a reason for lines libnice cannot use (TCP, mDNS names, malformed). transfer full. */
NiceCandidate *hn_ice_candidate_parse(NiceAgent *agent, guint stream_id, const char *line,
                                      const char **why);
