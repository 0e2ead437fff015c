/* Active speaker detection of one room, from the audio levels publishers put in their packets
 * (RFC 6464 client-to-mixer audio level: 0 dBov loudest, 127 silence).
 *
 * Behaviour: each participant's level is averaged over a sliding window (window_us, ~300 ms) of
 * loudness = 127 - level; the window is divided by at least the number of 20 ms packets it could
 * hold, so the gaps of DTX (one packet per 400 ms of silence) or a muted microphone count as
 * silence. A participant is speaking while that average is louder than speaking_dbov (it stops
 * below speaking_dbov + hysteresis_db: no flicker around the threshold). The dominant speaker is
 * the first participant to speak; another one takes over only after being louder than the current
 * dominant speaker, speaking, for switch_hold_us (~1 s) without a break. Silence changes nothing
 * (the last dominant speaker stays), a participant removed hands over to the loudest speaking
 * one at once (or to none).
 *
 * The state is evaluated every tick_us by hn_speaker_on_timeout(); an update (the dominant speaker
 * and the list of speaking participants, loudest first) is reported through the callback when
 * either changed, at most once per min_interval_us (a change within the interval goes out at its
 * end). No I/O, no clock reads; one detector per room, room thread only. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HN_SPEAKER_MAX_SAMPLES 64 /* levels kept per participant: 640 ms at 10 ms packets */
#define HN_SPEAKER_MAX_LIST    16 /* speaking participants reported at most */

typedef struct {
    int64_t window_us;       /* averaging window */
    int64_t packet_us;       /* nominal packet duration: gaps in the window count as silence */
    int64_t switch_hold_us;  /* a challenger must be louder this long to take over */
    int64_t tick_us;         /* evaluation period */
    int64_t min_interval_us; /* shortest gap between two updates */
    uint8_t speaking_dbov;   /* speaking when the average is louder (smaller) than this */
    uint8_t hysteresis_db;   /* ... and stops when quieter than speaking_dbov + this */
} HnSpeakerConfig;

#define HN_SPEAKER_CONFIG_DEFAULT                                                                  \
    ((HnSpeakerConfig){.window_us = 300000,                                                        \
                       .packet_us = 20000,                                                         \
                       .switch_hold_us = 1000000,                                                  \
                       .tick_us = 100000,                                                          \
                       .min_interval_us = 300000,                                                  \
                       .speaking_dbov = 70,                                                        \
                       .hysteresis_db = 10})

/* What the callback gets. speaking: transfer none, valid during the call. */
typedef struct {
    uint64_t dominant;        /* 0: none (nobody has spoken, or the last one left) */
    bool dominant_changed;    /* since the previous update */
    const uint64_t *speaking; /* participants speaking now, loudest first */
    size_t n_speaking;        /* at most HN_SPEAKER_MAX_LIST */
    uint8_t dominant_level;   /* the dominant speaker's average level, dBov (127: silent) */
} HnSpeakerUpdate;

/* Receives an update (u: transfer none, valid during the call). It must not call back into the
 * detector except hn_speaker_dominant() and hn_speaker_get_stats(). */
typedef void (*HnSpeakerFn)(void *user, const HnSpeakerUpdate *u, int64_t now_us);

typedef struct {
    uint64_t levels;  /* levels received */
    uint64_t updates; /* updates reported */
    uint64_t changes; /* dominant speaker changes */
} HnSpeakerStats;

typedef struct HnSpeaker HnSpeaker;

/* Creates a detector; cfg NULL means HN_SPEAKER_CONFIG_DEFAULT (copied). fn (required) is called
 * from hn_speaker_on_timeout() only. transfer full: free with hn_speaker_free() (NULL ok). */
HnSpeaker *hn_speaker_new(const HnSpeakerConfig *cfg, HnSpeakerFn fn, void *user);
/* Frees s and every participant's state; NULL is a no-op. Not from inside the callback. */
void hn_speaker_free(HnSpeaker *s);

/* One audio packet of participant id (> 0) with level_dbov (0-127, larger values are clamped) and
 * the V bit, at now_us. Returns 0 or -EINVAL (id 0). */
int hn_speaker_on_level(HnSpeaker *s, uint64_t id, uint8_t level_dbov, bool voice, int64_t now_us);
/* Forgets a participant (left, stopped publishing audio); unknown ids are ignored. */
void hn_speaker_remove(HnSpeaker *s, uint64_t id);
/* Runs the evaluation due at now_us; may call the callback once. */
void hn_speaker_on_timeout(HnSpeaker *s, int64_t now_us);
/* Absolute time of the next evaluation, INT64_MAX when nothing is going on (no level in the
 * window, nobody speaking, no update pending). May be in the past. */
int64_t hn_speaker_next_deadline(const HnSpeaker *s);
/* The current dominant speaker (0: none), which may not be reported yet (rate limit). */
uint64_t hn_speaker_dominant(const HnSpeaker *s);
/* Copies the counters into *out (transfer none). */
void hn_speaker_get_stats(const HnSpeaker *s, HnSpeakerStats *out);
