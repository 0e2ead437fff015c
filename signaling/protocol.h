/* The client<->server signalling protocol, version 1 (docs/signaling.md is the contract).
 *
 * Pure functions: hn_proto_parse validates one client message into an HnProtoMsg, the
 * hn_proto_build_* functions write every server message as JSON text, and HnErrorBudget
 * decides when a misbehaving socket must be closed. No I/O, no clock reads, no global state,
 * so every function may be called from any thread.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct json_t;

/* A subscriber answer of a 1000-person meeting (1998 m= lines) is about 1 MB of SDP from
 * Chromium, 1.1 MB as JSON (docs/sdp.md); the SDP limit is the SDP parser's (HN_SDP_MAX_SIZE)
 * and the message limit leaves room for the JSON escaping of every line end. */
#define HN_PROTO_MAX_MESSAGE (3 * 1024 * 1024) /* bytes; larger messages are "too-big" */
#define HN_PROTO_MAX_SDP     (2 * 1024 * 1024) /* bytes */
#define HN_PROTO_MAX_DEPTH   32                /* JSON nesting ({ and [) */
#define HN_PROTO_ROOM_MAX    64                /* room name: 1-64 chars [A-Za-z0-9_.-] */
#define HN_PROTO_NAME_MAX    64                /* display name: 1-64 code points */
#define HN_PROTO_MID_MAX     32                /* sdpMid: 1-32 token chars */
#define HN_PROTO_TOKEN_MAX   4096              /* join token: bytes of a JWT */
#define HN_PROTO_PIN_MAX     32                /* room PIN: 1-32 digits */
#define HN_PROTO_ID_MAX      64 /* request id: a string of at most 64 chars, or an integer */
/* Room for the compact JSON text of any valid request id: 64 characters escaped as \uXXXX
 * (6 bytes each) and the quotes, or an integer, with the NUL. */
#define HN_PROTO_ID_JSON_MAX (HN_PROTO_ID_MAX * 6 + 3)

/* Error codes of the "error" message, in the order of docs/signaling.md. */
typedef enum {
    HN_PROTO_ERR_BAD_JSON,
    HN_PROTO_ERR_TOO_BIG,
    HN_PROTO_ERR_BAD_TYPE,
    HN_PROTO_ERR_BAD_FIELD,
    HN_PROTO_ERR_NOT_JOINED,
    HN_PROTO_ERR_ALREADY_JOINED,
    HN_PROTO_ERR_ROOM_NOT_FOUND,
    HN_PROTO_ERR_ROOM_FULL,
    HN_PROTO_ERR_BAD_SDP,
    HN_PROTO_ERR_BAD_STATE,
    HN_PROTO_ERR_INTERNAL,
    HN_PROTO_ERR_FORBIDDEN, /* the participant's role does not allow it */
    HN_PROTO_ERR_LIMIT,     /* over a limit (tracks, sections, early candidates) */
    /* join refusals (docs/security.md): no media is negotiated for a refused join */
    HN_PROTO_ERR_AUTH_REQUIRED, /* the room needs a PIN or a token and none was sent */
    HN_PROTO_ERR_BAD_TOKEN,     /* malformed, bad signature, wrong algorithm, not valid yet */
    HN_PROTO_ERR_TOKEN_EXPIRED, /* the token's exp has passed */
    HN_PROTO_ERR_WRONG_ROOM,    /* the token was signed for another room */
    HN_PROTO_ERR_BAD_PIN,       /* the PIN is wrong */
    HN_PROTO_ERR_LOCKED,        /* too many failures from this address: wait */
    HN_PROTO_ERR_RATE_LIMITED,  /* too many attempts from this address this minute */
    /* the lobby (docs/signaling.md): a refusal after the wait, then the socket closes */
    HN_PROTO_ERR_DENIED,         /* a chair denied entry */
    HN_PROTO_ERR_LOBBY_TIMEOUT,  /* nobody admitted the newcomer in [rooms] lobby_timeout */
    HN_PROTO_ERR_MEETING_LOCKED, /* the chair locked the meeting: no new joins */
    HN_PROTO_ERR_NO_PARTICIPANT, /* a moderation target that is not in the room */
    HN_PROTO_ERR_SERVER_BUSY,    /* admission control: the server is overloaded, retry later */
} HnProtoErrorCode;

/* Why hn_proto_parse refused a message; ready to be sent back with hn_proto_build_error_from. */
typedef struct {
    HnProtoErrorCode code;
    char ref[16];      /* the message's type when it is a known type, else "" */
    char message[160]; /* English, for people: which field and what is wrong with it */
    /* The message's request id as compact JSON text ("\"a1\"", "42") when it had a valid one,
     * else "": hn_proto_build_error_from echoes it. */
    char id_json[HN_PROTO_ID_JSON_MAX];
} HnProtoError;

/* Client -> server message types. */
typedef enum {
    HN_PROTO_MSG_JOIN,
    HN_PROTO_MSG_PUBLISH,
    HN_PROTO_MSG_ANSWER,
    HN_PROTO_MSG_CANDIDATE,
    HN_PROTO_MSG_PING,
    HN_PROTO_MSG_LEAVE,
    HN_PROTO_MSG_RESTART_ICE,    /* "restart-ice": new ICE credentials on `sub`, in a new offer */
    HN_PROTO_MSG_VIEW,           /* the tiles the client shows: simulcast layer selection */
    HN_PROTO_MSG_ADMIT,          /* a chair lets one newcomer (or all) in from the lobby */
    HN_PROTO_MSG_DENY,           /* a chair turns one newcomer in the lobby away */
    HN_PROTO_MSG_CHAT,           /* a chat line, to everyone or to the chairs */
    HN_PROTO_MSG_VOTE_OPEN,      /* "vote-open": a chair opens a vote */
    HN_PROTO_MSG_VOTE_CAST,      /* "vote-cast": a ballot */
    HN_PROTO_MSG_VOTE_CLOSE,     /* "vote-close": a chair closes a vote */
    HN_PROTO_MSG_STATE,          /* the client's own microphone / camera toggles */
    HN_PROTO_MSG_HAND,           /* raise or lower one's hand */
    HN_PROTO_MSG_MODERATE,       /* a chair's action (docs/signaling.md: moderation) */
    HN_PROTO_MSG_RECORD,         /* a chair starts or stops the recording */
    HN_PROTO_MSG_MINUTES_NOTE,   /* "minutes-note": the secretary's opinion/conclusion/decision */
    HN_PROTO_MSG_MINUTES_ABSENT, /* "minutes-absent": a site or person absent, with a reason */
    HN_PROTO_MSG_MINUTES_GET,    /* "minutes-get": the panel's agenda, invited, notes */
} HnProtoMsgType;

#define HN_PROTO_NOTE_MAX        4000 /* minutes note or absence reason: code points */
#define HN_PROTO_NOTE_WHO_MAX    200  /* who gave an opinion / the absent's name: code points */
#define HN_PROTO_AGENDA_ITEM_MAX 100  /* agenda items 1..100; 0: none (general) */

#define HN_PROTO_CHAT_MAX         2000 /* chat text: 1-2000 code points */
#define HN_PROTO_QUESTION_MAX     500  /* vote question: 1-500 code points */
#define HN_PROTO_OPTION_MAX       100  /* one vote option: 1-100 code points */
#define HN_PROTO_VOTE_OPTIONS_MAX 10   /* options of a vote: 2-10 (none: the defaults) */

#define HN_PROTO_MAX_TILES 64    /* tiles in one view message */
#define HN_PROTO_TILE_MAX  16384 /* tile width/height, CSS px */

/* One tile of a view message: a participant's video as large as the client shows it. */
typedef struct {
    const char *participant; /* "p<digits>", at most 23 chars */
    unsigned width, height;  /* CSS px, 0..HN_PROTO_TILE_MAX */
} HnProtoTile;

/* Which of a participant's two peer connections. */
typedef enum {
    HN_PROTO_PC_PUB, /* "pub": client offers, client -> server media */
    HN_PROTO_PC_SUB, /* "sub": server offers, server -> client media */
} HnProtoPc;

typedef enum {
    HN_PROTO_LEFT,         /* "left" */
    HN_PROTO_DISCONNECTED, /* "disconnected" */
    HN_PROTO_TIMEOUT,      /* "timeout" */
} HnProtoLeaveReason;

typedef enum {
    HN_PROTO_KIND_AUDIO,
    HN_PROTO_KIND_VIDEO,
} HnProtoKind;

/* One parsed client message. The strings point into the parsed JSON, which the message
 * keeps alive: they are valid, NUL-terminated UTF-8 until hn_proto_msg_clear. */
typedef struct {
    HnProtoMsgType type;
    union {
        struct {
            const char *room;  /* valid room name */
            const char *name;  /* valid display name */
            const char *token; /* join token (JWT text, 1..HN_PROTO_TOKEN_MAX), NULL: none */
            const char *pin;   /* 1..HN_PROTO_PIN_MAX digits, NULL: none */
        } join;
        struct {
            const char *sdp; /* 1..HN_PROTO_MAX_SDP bytes, no NUL */
            size_t sdp_len;
            const char *screen_mid; /* publish: the mid of the shared screen's section, or NULL */
        } sdp;                      /* publish (offer for pub) and answer (answer for sub) */
        struct {
            HnProtoPc pc;
            const char *candidate; /* "candidate:..." or NULL: end of candidates */
            const char *sdp_mid;   /* NULL when absent or null */
        } candidate;
        struct {
            HnProtoTile tiles[HN_PROTO_MAX_TILES];
            size_t n_tiles;
        } view;
        struct {
            uint64_t participant; /* the N of "p<N>"; 0 when all */
            bool all;             /* admit only: {"all": true} instead of a participant */
        } lobby;                  /* admit, deny */
        struct {
            const char *text; /* 1..HN_PROTO_CHAT_MAX code points, no control but \n \t */
            bool to_chair;    /* "to": "chair" */
        } chat;
        struct {
            const char *question;
            const char *options[HN_PROTO_VOTE_OPTIONS_MAX]; /* n_options 0: the defaults */
            size_t n_options;
            bool secret;
        } vote_open;
        struct {
            int64_t vote; /* the vote's id, >= 1 */
            int option;   /* vote-cast: 0-based index, 0..HN_PROTO_VOTE_OPTIONS_MAX-1 */
        } vote;           /* vote-cast, vote-close */
        struct {
            int audio, video; /* 1 on, 0 off, -1 not given (at least one is given) */
        } state;
        struct {
            bool raised;
        } hand;
        struct {
            const char *action;      /* 1-32 chars [a-z-]; the hub knows which exist */
            const char *participant; /* "p<digits>", NULL when absent */
            HnProtoKind kind;        /* audio when absent */
        } moderate;
        struct {
            bool start; /* "action": "start" (true) or "stop" */
        } record;
        struct {
            int item;         /* 0..HN_PROTO_AGENDA_ITEM_MAX (0: general) */
            const char *kind; /* "opinion", "conclusion" or "decision" */
            const char *who;  /* 1..HN_PROTO_NOTE_WHO_MAX code points, NULL: none */
            const char *text; /* 1..HN_PROTO_NOTE_MAX code points, lines allowed */
        } minutes_note;
        struct {
            bool site;          /* "kind": "site" (else "person") */
            const char *name;   /* 1..HN_PROTO_NOTE_WHO_MAX code points */
            const char *reason; /* 1..HN_PROTO_NOTE_MAX code points, NULL: clears it */
        } minutes_absent;
    } u;
    /* The client's request id as compact JSON text (a string of at most 64 characters, or an
     * integer: "\"a1\"", "42"), NULL when the message had none. Owned by the message (freed by
     * hn_proto_msg_clear); pass it to hn_proto_attach_id for every reply to this message. */
    char *id_json;
    struct json_t *json; /* private: owns the strings above */
} HnProtoMsg;

/* Validates one text message of len bytes (need not be NUL-terminated). Returns 0 and fills
 * out (release with hn_proto_msg_clear), or a negative errno (-E2BIG too big, -EBADMSG bad
 * JSON or too deeply nested, -EINVAL bad type or field) and fills err; out then holds nothing
 * to release. Unknown extra fields are ignored. */
int hn_proto_parse(const char *data, size_t len, HnProtoMsg *out, HnProtoError *err);

/* Releases what a parsed message holds; msg may then be reused. NULL or a cleared msg: no-op. */
void hn_proto_msg_clear(HnProtoMsg *msg);

/* Wire names. transfer none (static strings); "unknown" for a value out of range. */
const char *hn_proto_error_code_name(HnProtoErrorCode code);
const char *hn_proto_msg_type_name(HnProtoMsgType type);
const char *hn_proto_pc_name(HnProtoPc pc);

/* true when the JSON text data (len bytes) nests objects and arrays deeper than max; brackets
 * inside strings do not count. For any JSON input before jansson's recursive parser sees it. */
bool hn_proto_json_too_deep(const char *data, size_t len, int max);

/* true when name is a valid room name: 1-64 chars [A-Za-z0-9_.-]. */
bool hn_proto_room_name_valid(const char *name);

/* true when name (NUL-terminated) is a valid display name: valid UTF-8, 1-64 code points, no
 * control, line-separator or bidi-override characters, not only whitespace. */
bool hn_proto_display_name_valid(const char *name);

/* ---- server -> client messages ----
 * Every builder returns compact JSON text, transfer full: free with free() (or g_free()).
 * NULL only if a string argument is not valid UTF-8 or memory runs out. String arguments are
 * transfer none and copied. */

typedef struct {
    const char *id;
    const char *name;
    const char *role; /* "chair", "secretary", "member", "observer"; NULL: not written */
} HnProtoParticipant;

typedef struct {
    const char *mid;
    const char *participant; /* id of the participant whose media the m= section carries */
    HnProtoKind kind;
    const char *source; /* "microphone", "camera", "screen"; NULL: not written */
} HnProtoTrack;

/* {"type":"joined","id","self","room","participants":[{id,name}...]} (others: n_others
 * entries). "self" and "id" both hold the participant's id; "id" is replaced by the request id
 * when hn_proto_attach_id adds one. */
char *hn_proto_build_joined(const char *id, const char *room, const HnProtoParticipant *others,
                            size_t n_others);
/* The same with "role": the joiner's own role (NULL: not written). */
char *hn_proto_build_joined_as(const char *id, const char *room, const char *role,
                               const HnProtoParticipant *others, size_t n_others);
/* {"type":"participant-joined","participant":{id,name}} */
char *hn_proto_build_participant_joined(const HnProtoParticipant *p);
/* What everyone sees of a participant (participant-updated, and added to joined and
 * participant-joined). Strings: transfer none. */
typedef struct {
    const char *id, *name, *role;
    bool audio, video;               /* the microphone / camera as its owner set them */
    bool audio_locked, video_locked; /* muted by the chair: the owner cannot unmute */
    unsigned hand;                   /* 1-based place in the queue of raised hands; 0: null */
    bool chair;                      /* may chair */
    bool presenting;                 /* shares its screen */
} HnProtoPartState;

/* {"type":"participant-updated","participant":{id,name,role,audio,video,audio_locked,
 * video_locked,hand,chair,presenting}} transfer full. */
char *hn_proto_build_participant_updated(const HnProtoPartState *p);
/* The JSON array text of participants (the REST API's list). transfer full. */
char *hn_proto_build_participant_list(const HnProtoPartState *ps, size_t n);
/* Fills out with participant id's state; false when unknown. */
typedef bool (*HnProtoPartLookup)(void *user, const char *id, HnProtoPartState *out);
/* Adds the state fields to each participant of a "joined" (its "participants", and its own as
 * "participant") or "participant-joined" message text (transfer full); other texts come back
 * unchanged. Returns transfer full; NULL only when text was NULL. */
char *hn_proto_decorate_participants(char *text, HnProtoPartLookup lookup, void *user);
/* {"type":"unmute-request","kind","by"}: the chair (by: a participant id, or null) asks the owner
 * to turn its microphone or camera on. */
char *hn_proto_build_unmute_request(HnProtoKind kind, const char *by);
/* {"type":"removed","by"} and {"type":"meeting-ended","by"}, sent before the server closes the
 * socket (by: the chair's id, or null for the REST API). */
char *hn_proto_build_removed(const char *by);
char *hn_proto_build_meeting_ended(const char *by);
/* {"type":"room-state","locked"} */
char *hn_proto_build_room_state(bool locked);
/* {"type":"recording","on","since","by","reason"}: the recording indicator (docs/signaling.md).
 * since_ms 0 and by NULL are written as null. */
char *hn_proto_build_recording(bool on, int64_t since_ms, const char *by, const char *reason);

/* {"type":"participant-left","id","reason"} */
char *hn_proto_build_participant_left(const char *id, HnProtoLeaveReason reason);
/* {"type":"active-speaker","id","speaking":[ids]}: the dominant speaker (id NULL: none, written
 * null) and who speaks now, loudest first. Strings: transfer none. Returns transfer full (free()),
 * NULL on invalid UTF-8. */
char *hn_proto_build_active_speaker(const char *id, const char *const *speaking, size_t n);
/* {"type":"video-paused","participant","paused","reason"}: the server stopped (paused true) or
 * resumed forwarding participant's video to this client; reason "last-n". transfer full. */
char *hn_proto_build_video_paused(const char *participant, bool paused, const char *reason);
/* {"type":"answer","sdp"} */
char *hn_proto_build_answer(const char *sdp);
/* {"type":"offer","sdp","tracks":[{mid,participant,kind,source}...]} */
char *hn_proto_build_offer(const char *sdp, const HnProtoTrack *tracks, size_t n_tracks);
/* {"type":"candidate","pc","candidate","sdpMid"}; candidate NULL: end of candidates (null on
 * the wire); sdp_mid NULL: null on the wire. */
char *hn_proto_build_candidate(HnProtoPc pc, const char *candidate, const char *sdp_mid);
/* {"type":"layers","mid","active":[rids]}: the simulcast layers (rids) of the publisher's video
 * section mid that someone watches; the client pauses the others (encodings[i].active). Strings:
 * transfer none. Returns transfer full (free()), NULL on invalid UTF-8. */
char *hn_proto_build_layers(const char *mid, const char *const *active, size_t n);
/* {"type":"pong"} */
char *hn_proto_build_pong(void);
/* {"type":"ack","ref"}: the request of type ref (a moderation action, a chat line, a ballot) was
 * carried out; with hn_proto_attach_id it carries the request's id. transfer full. */
char *hn_proto_build_ack(const char *ref);
/* text (transfer full) with "title" set when it is a "joined" message and title is not NULL;
 * else text unchanged. Returns transfer full (free()). */
char *hn_proto_add_title(char *text, const char *title);
/* {"type":"share-stopped","by","reason"}: to a presenter whose screen share another participant
 * took over (reason "takeover", by: their id) or the chair stopped (reason "chair", by: the
 * chair's id, null for the REST API); the client stops sharing. transfer full. */
char *hn_proto_build_share_stopped(const char *by, const char *reason);
/* {"type":"lobby","room","position","chair_present"}: the newcomer waits in room's lobby at
 * position (1: next in line); chair_present false: no chair is in the room yet. transfer full. */
char *hn_proto_build_lobby(const char *room, unsigned position, bool chair_present);
/* {"type":"lobby-list","room","waiting":[{id,name,role}...]}: who waits in room's lobby, first in
 * line first (for chairs). transfer full. */
char *hn_proto_build_lobby_list(const char *room, const HnProtoParticipant *waiting, size_t n);
/* {"type":"connected","pc":"pub"|"sub"}: the peer connection's media can flow (DTLS is up). */
char *hn_proto_build_connected(HnProtoPc pc);
/* {"type":"link","bps":N,"source":"twcc"|"remb"|"hint","loss":F}: the server's estimate of the
 * participant's downlink (its sub connection), sent every 2 s once known; loss: the fraction of
 * packets lost in the last transport-cc window (0 with REMB). source: static string. Returns
 * transfer full (free()). */
char *hn_proto_build_link(uint64_t bps, const char *source, double loss);
/* {"type":"error","code","message","ref"}; ref NULL or "": no ref field. */
char *hn_proto_build_error(HnProtoErrorCode code, const char *message, const char *ref);
/* The error message for a refusal reported by hn_proto_parse, with the request id when the
 * message had a valid one. */
char *hn_proto_build_error_from(const HnProtoError *err);
/* The same as hn_proto_build_error with "retry_after": seconds the client should wait before
 * trying again (server-busy). transfer full. */
char *hn_proto_build_error_retry(HnProtoErrorCode code, const char *message, const char *ref,
                                 unsigned retry_after);

/* Adds "id": <id_json> to the JSON object text (replacing an "id" it has: in "joined" the
 * participant's own id then stays in "self"). text: transfer full, returned unchanged when
 * id_json is NULL (or text is not a JSON object); id_json: transfer none, as in
 * HnProtoMsg.id_json. Returns the new text, transfer full (free()), NULL only when text was
 * NULL or memory ran out (text is then freed). */
char *hn_proto_attach_id(char *text, const char *id_json);

/* ---- chat and votes (signaling/protocol_chatvote.c) ---- */

/* One chat line as the server sends it. */
typedef struct {
    int64_t seq;     /* the line's store row id: increases */
    int64_t time_ms; /* milliseconds since the epoch */
    HnProtoParticipant from;
    bool to_chair;
    const char *text;
} HnProtoChatLine;

/* {"type":"chat","seq","time","from":{id,name,role},"to":null|"chair","text"}. transfer full. */
char *hn_proto_build_chat(const HnProtoChatLine *line);
/* {"type":"chat-history","lines":[chat lines without "type"...]}, oldest first. transfer full. */
char *hn_proto_build_chat_history(const HnProtoChatLine *lines, size_t n);

typedef struct {
    const char *name;
    int option;
} HnProtoVoter;

/* A vote as one recipient sees it. */
typedef struct {
    int64_t id;
    const char *question;
    const char *const *options;
    size_t n_options;
    bool secret, closed;
    unsigned ballots;
    const unsigned *tally;      /* n_options counts; NULL: not written */
    const HnProtoVoter *voters; /* NULL: not written */
    size_t n_voters;
    bool voted; /* the recipient has a ballot */
} HnProtoVote;

/* {"type":"vote","vote":{id,question,options,secret,state,ballots,voted[,tally][,voters]}}.
 * transfer full. */
char *hn_proto_build_vote(const HnProtoVote *v);

/* ---- misbehaving sockets ---- */

#define HN_ERROR_BUDGET_MAX       10
#define HN_ERROR_BUDGET_WINDOW_US (10 * INT64_C(1000000))

/* Counts a socket's errors: HN_ERROR_BUDGET_MAX errors within HN_ERROR_BUDGET_WINDOW_US mean
 * the socket must be closed (close code 1008). Plain value, no allocation; one per socket. */
typedef struct {
    int64_t times[HN_ERROR_BUDGET_MAX]; /* ring of the latest error times, microseconds */
    unsigned next;                      /* slot for the next error */
    unsigned count;                     /* errors recorded, at most HN_ERROR_BUDGET_MAX */
} HnErrorBudget;

/* Starts an empty budget. */
void hn_error_budget_init(HnErrorBudget *b);

/* Records one error at now_us (any monotonic clock, microseconds). Returns true when this is
 * the HN_ERROR_BUDGET_MAX-th error within the window: the caller should close the socket. */
bool hn_error_budget_hit(HnErrorBudget *b, int64_t now_us);
