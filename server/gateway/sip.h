/* The SIP gateway for room systems (docs/room-systems.md): Sofia-SIP's nua on the main GLib
 * loop, listening on [sip] listen (UDP and TCP) and [sip] tls_listen (TLS, gateway/sip_tls.h),
 * with RFC 4028 session timers. An INVITE to sip:ROOM@host or
 * sip:ROOM*PIN@host with a plain SDP offer (RTP/AVP, AVPF, SAVP with SDES) is checked like a
 * browser's join (the room policy, the PIN, the per-address limiter), answered with
 * hn_sdp_plain_answer on freshly bound UDP ports, and its media joins the room as a participant
 * with role site through an HN_LEG_RTP leg (gateway/rtp_leg.h). Thread: main loop only. */
#pragma once

#include <glib.h>

#include "app/config.h"
#include "app/hub.h"
#include "gateway/sip_media.h"

typedef struct HnSipGateway HnSipGateway;

/* NULL without error when [sip] listen is not set (the gateway is off); NULL with error when
 * it cannot listen. cfg, hub: transfer none, outlive the gateway. */
HnSipGateway *hn_sip_gateway_new(const HnConfig *cfg, HnHub *hub, GError **error);

/* Ends every call (BYE) and stops listening. NULL ok. */
void hn_sip_gateway_free(HnSipGateway *gw);

/* What every later call's endpoint receives (copied; NULL: nothing). */
void hn_sip_gateway_set_media(HnSipGateway *gw, const HnSipMediaProvider *provider);
