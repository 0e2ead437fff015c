/* An in-process participant leg (core/leg.h, HN_LEG_LOCAL): what the room sends it goes to a
 * callback, what it publishes is fed by its owner. No I/O: a recorder, a composer or a test
 * sits behind it; a thread other than the room's feeds it through an inject ring
 * (transport/inject.h) whose callback calls hn_local_leg_feed on the room's thread.
 * Thread: the room's worker thread for everything. */
#pragma once

#include "core/leg.h"

/* A packet the room sent on the leg: buf transfer none, valid during the call. */
typedef void (*HnLocalLegRecvFn)(void *user, HnLeg *leg, bool rtcp, const uint8_t *buf, size_t len);
/* The streams the leg receives now (set_streams of the leg class). */
typedef void (*HnLocalLegStreamsFn)(void *user, HnLeg *leg, const HnLegStream *streams, size_t n);

/* A connected local leg; either callback may be NULL. transfer full: the room that adopts it
 * destroys it (hn_leg_destroy). */
HnLeg *hn_local_leg_new(HnLocalLegRecvFn on_recv, HnLocalLegStreamsFn on_streams, void *user);
/* Hands one plain RTP or RTCP packet (told apart by RFC 5761 payload types) to the room as
 * received at now_us. buf may be modified by the room during the call. */
void hn_local_leg_feed(HnLeg *leg, uint8_t *buf, size_t len, int64_t now_us);
