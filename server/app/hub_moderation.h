/* Moderation on the hub: roles enforced by the server, the participant list, raised hands, the
 * chair's controls (mute, ask to unmute, give the floor, remove, lock, end). The decisions are
 * the pure model's (meeting/floor.h); this file applies them: messages, room commands (producer
 * mutes on the worker), kicks and audit rows. Thread: main loop only. */
#pragma once

#include "app/hub.h"

/* The live room's participants (room: its name in any case) as a JSON array text, each with the
 * participant-updated fields (id, name, role, audio, video, audio_locked, video_locked, hand,
 * chair). transfer full (g_free); NULL when the room is not live. */
char *hn_hub_participants_json(HnHub *hub, const char *room);

/* Runs a moderation action on a live room as the chair's `moderate` would (action: "mute",
 * "allow-unmute", "ask-unmute", "mute-all", "remove", "lock", "unlock", "give-floor",
 * "lower-hand", "lower-hands", "grant-chair", "revoke-chair", "end"; participant "p<id>" where
 * the action needs one, else NULL; kind "audio" | "video" | NULL: audio), audited as actor (an
 * API key's or account's name). Returns 0, -ENOENT (no such live room or participant), -EINVAL
 * (bad action or kind, or a participant missing). Strings: transfer none. */
int hn_hub_moderate(HnHub *hub, const char *room, const char *actor, const char *action,
                    const char *participant, const char *kind);
