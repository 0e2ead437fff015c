/* One timeline for every track of a meeting: where each RTP packet goes on the server's wall
 * clock, from the publishers' sender reports.
 *
 * A publisher stamps its audio and video with one NTP clock: each sender report (SR) pairs an
 * SSRC's RTP timestamp with that NTP time. The NTP clock of a browser is not the server's (it may
 * be off by minutes and run a few ppm fast or slow), so each publisher's NTP clock is mapped to the
 * server's wall clock from the arrival times of its SRs: wall = a + b * ntp, fitted over the
 * lowest-delay SR of each 10 s window (network delay only ever adds, so the minimum is the best
 * estimate), the slope b from SRs at least 30 s apart and held within +-1000 ppm, 1 before.
 * A packet's place is then: RTP -> NTP through its SSRC's SR, NTP -> wall through its publisher's
 * mapping. Audio and video of one publisher go through the same mapping, so what was captured at
 * the same instant is placed at the same instant, whatever the encoding or network delay of each.
 *
 * Before the first SR of an SSRC (or of its publisher), a packet is placed by arrival: the
 * arrival of the first packet of the stream plus the RTP time elapsed since, re-anchored when that
 * drifts more than 1 s from the arrivals (a sender that restarted its timestamps).
 * Gaps (mute, reconnect, leave) stay gaps: the RTP/NTP times of the packets after a gap say
 * where they belong.
 *
 * Two uses: live (hn_timeline_on_rtcp as SRs arrive, each packet placed with what is known so
 * far) and after (every SR fed first, then hn_timeline_freeze(): the mapping then uses all of
 * them, each packet goes through the SR of its SSRC nearest in arrival time, and placing no longer
 * changes any state, so several threads may place packets at once).
 *
 * Sans-IO: no clock reads, no threads; times are arguments (wall clock us since the epoch).
 * Thread: one owner, except hn_timeline_place() after hn_timeline_freeze(). */
#pragma once

#include <glib.h>
#include <stddef.h>
#include <stdint.h>

typedef struct HnTimeline HnTimeline;

/* transfer full. */
HnTimeline *hn_timeline_new(void);
void hn_timeline_free(HnTimeline *tl);

/* Declares a track: publisher (a participant id: its tracks share one NTP clock) and the RTP
 * clock rate. Returns the track index (0, 1, ...) used below. */
int hn_timeline_add_track(HnTimeline *tl, const char *publisher, uint32_t clock_rate);

/* One RTCP packet (compound or not) of a track's publisher, arrived at arrival_us: its sender
 * reports are taken (any SSRC; the SSRC -> track binding comes from the RTP packets). Returns the
 * number of SRs taken, or -EBADMSG for a malformed packet (nothing taken). Before freeze only. */
int hn_timeline_on_rtcp(HnTimeline *tl, int track, const uint8_t *rtcp, size_t len,
                        uint64_t arrival_us);

/* Takes every SR into the final mapping (the after mode). Idempotent. */
void hn_timeline_freeze(HnTimeline *tl);

/* The wall-clock time (us since the epoch) at which the media of this RTP packet (ssrc, rtp_ts)
 * of track was captured, as placed on the meeting timeline; arrival_us is when it arrived. */
int64_t hn_timeline_place(HnTimeline *tl, int track, uint32_t ssrc, uint32_t rtp_ts,
                          uint64_t arrival_us);

/* NTP 32.32 fixed point <-> us (the NTP epoch: 1900). */
int64_t hn_timeline_ntp_to_us(uint64_t ntp);
uint64_t hn_timeline_us_to_ntp(int64_t us);
