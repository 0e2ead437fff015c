/* What the SIP gateway (sip.c) and its dial-out (sip_dialout.c) share: a call the gateway
 * makes goes through the same call object, media setup and hang-up paths as one it answers.
 * Internal to server/gateway/. Thread: main loop only.
 *
 * Include after the Sofia headers, with SU_ROOT_MAGIC_T / NUA_MAGIC_T / NUA_HMAGIC_T defined
 * as in sip.c. */
#pragma once

#include <glib.h>
#include <stdint.h>

#include "app/config.h"
#include "app/hub.h"
#include "gateway/rtp_leg.h"
#include "gateway/sip.h"
#include "sdp/sdp_plain.h"

typedef struct SipCall SipCall;
typedef struct HnSipDialout HnSipDialout;

/* --- sip.c, for the dial-out --- */
nua_t *hn_sip_gateway_nua(HnSipGateway *gw);
/* The address our RTP sockets bind to and SDPs name. transfer none. */
const char *hn_sip_gateway_media_address(const HnSipGateway *gw);
/* Sends an INVITE with offer (application/sdp) to to_uri for room; `out` (transfer none) is
 * told the answer (hn_sip_dialout_answered) and the call's end (hn_sip_dialout_call_ended).
 * The gateway owns the call; NULL when no handle could be made. */
SipCall *hn_sip_call_new_out(HnSipGateway *gw, const char *room, const char *to_uri,
                             const char *offer, void *out);
/* Lets an answered call into its room with the negotiated streams (ports[i]: our sockets of
 * stream i, closed here; keys[i]: our SDES key of stream i) as participant `name` with role
 * site. Returns its pid, 0 when the room refused it (full) or no stream was accepted. */
uint64_t hn_sip_call_enter(SipCall *c, const HnSdpPlainStream *streams, size_t n, HnRtpPorts *ports,
                           const HnSdpSdesKey *keys, const char *name, const char *addr);
/* Ends a call we made on purpose: the participant leaves, BYE (answered) or CANCEL; its
 * dial-out entry is not told (it is detached first). */
void hn_sip_call_hang_up(SipCall *c, gboolean answered);

/* --- sip_dialout.c, for the gateway --- */
/* The dial-out of the configured sites (docs/room-systems.md, "Dial-out"); registers itself with
 * the hub (meeting events, the API's call and hang-up). transfer full. */
HnSipDialout *hn_sip_dialout_new(HnSipGateway *gw, const HnConfig *cfg, HnHub *hub);
/* Forgets every entry (calls in progress are left to the gateway, which ends them). NULL ok. */
void hn_sip_dialout_free(HnSipDialout *d);
/* A 2xx to the INVITE of the call of `out`. */
void hn_sip_dialout_answered(HnSipDialout *d, void *out, const sip_t *sip);
/* The call of `out` is gone (removed: closed by the meeting, the chair's remove; why: how it
 * ended, static, NULL when not known). */
void hn_sip_dialout_call_ended(HnSipDialout *d, void *out, gboolean removed, const char *why);
