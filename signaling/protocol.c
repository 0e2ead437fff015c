/* Signalling protocol v1: parse and validate client messages, build server messages.
 * docs/signaling.md is the contract; keep the two in step. */
#include "signaling/protocol.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <glib.h>
#include <jansson.h>

#define MAX_CANDIDATE 1024 /* bytes; real candidate lines are about 100 */
#define CANDIDATE_PFX "candidate:"

static const char *const error_code_names[] = {
    [HN_PROTO_ERR_BAD_JSON] = "bad-json",
    [HN_PROTO_ERR_TOO_BIG] = "too-big",
    [HN_PROTO_ERR_BAD_TYPE] = "bad-type",
    [HN_PROTO_ERR_BAD_FIELD] = "bad-field",
    [HN_PROTO_ERR_NOT_JOINED] = "not-joined",
    [HN_PROTO_ERR_ALREADY_JOINED] = "already-joined",
    [HN_PROTO_ERR_ROOM_NOT_FOUND] = "room-not-found",
    [HN_PROTO_ERR_ROOM_FULL] = "room-full",
    [HN_PROTO_ERR_BAD_SDP] = "bad-sdp",
    [HN_PROTO_ERR_BAD_STATE] = "bad-state",
    [HN_PROTO_ERR_INTERNAL] = "internal",
    [HN_PROTO_ERR_FORBIDDEN] = "forbidden",
    [HN_PROTO_ERR_LIMIT] = "limit",
    [HN_PROTO_ERR_AUTH_REQUIRED] = "auth-required",
    [HN_PROTO_ERR_BAD_TOKEN] = "bad-token",
    [HN_PROTO_ERR_TOKEN_EXPIRED] = "token-expired",
    [HN_PROTO_ERR_WRONG_ROOM] = "wrong-room",
    [HN_PROTO_ERR_BAD_PIN] = "bad-pin",
    [HN_PROTO_ERR_LOCKED] = "locked",
    [HN_PROTO_ERR_RATE_LIMITED] = "rate-limited",
    [HN_PROTO_ERR_DENIED] = "denied",
    [HN_PROTO_ERR_LOBBY_TIMEOUT] = "lobby-timeout",
    [HN_PROTO_ERR_MEETING_LOCKED] = "meeting-locked",
    [HN_PROTO_ERR_NO_PARTICIPANT] = "no-such-participant",
    [HN_PROTO_ERR_SERVER_BUSY] = "server-busy",
};

static const char *const msg_type_names[] = {
    [HN_PROTO_MSG_JOIN] = "join",
    [HN_PROTO_MSG_PUBLISH] = "publish",
    [HN_PROTO_MSG_ANSWER] = "answer",
    [HN_PROTO_MSG_CANDIDATE] = "candidate",
    [HN_PROTO_MSG_PING] = "ping",
    [HN_PROTO_MSG_LEAVE] = "leave",
    [HN_PROTO_MSG_RESTART_ICE] = "restart-ice",
    [HN_PROTO_MSG_VIEW] = "view",
    [HN_PROTO_MSG_ADMIT] = "admit",
    [HN_PROTO_MSG_DENY] = "deny",
    [HN_PROTO_MSG_CHAT] = "chat",
    [HN_PROTO_MSG_VOTE_OPEN] = "vote-open",
    [HN_PROTO_MSG_VOTE_CAST] = "vote-cast",
    [HN_PROTO_MSG_VOTE_CLOSE] = "vote-close",
    [HN_PROTO_MSG_STATE] = "state",
    [HN_PROTO_MSG_HAND] = "hand",
    [HN_PROTO_MSG_MODERATE] = "moderate",
    [HN_PROTO_MSG_RECORD] = "record",
    [HN_PROTO_MSG_MINUTES_NOTE] = "minutes-note",
    [HN_PROTO_MSG_MINUTES_ABSENT] = "minutes-absent",
    [HN_PROTO_MSG_MINUTES_GET] = "minutes-get",
};

static const char *const pc_names[] = {[HN_PROTO_PC_PUB] = "pub", [HN_PROTO_PC_SUB] = "sub"};
static const char *const leave_reason_names[] = {[HN_PROTO_LEFT] = "left",
                                                 [HN_PROTO_DISCONNECTED] = "disconnected",
                                                 [HN_PROTO_TIMEOUT] = "timeout"};
static const char *const kind_names[] = {
    [HN_PROTO_KIND_AUDIO] = "audio", [HN_PROTO_KIND_VIDEO] = "video"};

#define NAME_OF(table, v) ((unsigned)(v) < G_N_ELEMENTS(table) ? table[v] : "unknown")

const char *hn_proto_error_code_name(HnProtoErrorCode code)
{
    return NAME_OF(error_code_names, code);
}

const char *hn_proto_msg_type_name(HnProtoMsgType type)
{
    return NAME_OF(msg_type_names, type);
}

const char *hn_proto_pc_name(HnProtoPc pc)
{
    return NAME_OF(pc_names, pc);
}

/* ---- validation of single values ---- */

bool hn_proto_room_name_valid(const char *name)
{
    size_t len = name != NULL ? strlen(name) : 0;
    if (len < 1 || len > HN_PROTO_ROOM_MAX)
        return false;
    for (size_t i = 0; i < len; i++) {
        char c = name[i];
        if (!g_ascii_isalnum(c) && c != '_' && c != '.' && c != '-')
            return false;
    }
    return true;
}

/* Characters a display name must not hold: controls, line and paragraph separators, and the
 * bidirectional embeddings, overrides and isolates that could make a name display as another. */
static bool name_char_forbidden(gunichar c)
{
    if (g_unichar_iscntrl(c))
        return true;
    GUnicodeType t = g_unichar_type(c);
    if (t == G_UNICODE_LINE_SEPARATOR || t == G_UNICODE_PARAGRAPH_SEPARATOR)
        return true;
    return (c >= 0x202A && c <= 0x202E) || (c >= 0x2066 && c <= 0x2069);
}

bool hn_proto_display_name_valid(const char *name)
{
    if (name == NULL || !g_utf8_validate(name, -1, NULL))
        return false;
    size_t count = 0;
    bool visible = false;
    for (const char *p = name; *p != '\0'; p = g_utf8_next_char(p)) {
        gunichar c = g_utf8_get_char(p);
        if (name_char_forbidden(c) || ++count > HN_PROTO_NAME_MAX)
            return false;
        if (!g_unichar_isspace(c))
            visible = true;
    }
    return count >= 1 && visible;
}

/* An sdpMid: 1-32 token characters (RFC 4566 token-char, ASCII only). */
static bool mid_valid(const char *mid)
{
    size_t len = strlen(mid);
    if (len < 1 || len > HN_PROTO_MID_MAX)
        return false;
    for (size_t i = 0; i < len; i++) {
        char c = mid[i];
        if (!g_ascii_isalnum(c) && strchr("!#$%&'*+-.^_`{|}~", c) == NULL)
            return false;
    }
    return true;
}

/* A trickled candidate: "candidate:..." of printable characters, at most MAX_CANDIDATE. */
static bool candidate_valid(const char *s, size_t len)
{
    if (len > MAX_CANDIDATE || strncmp(s, CANDIDATE_PFX, strlen(CANDIDATE_PFX)) != 0)
        return false;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x20 || c == 0x7f)
            return false;
    }
    return true;
}

/* True when data nests objects and arrays deeper than max. Strings are skipped, so brackets
 * inside them do not count. Runs before jansson so that its recursive parser never sees a
 * deep document. */
bool hn_proto_json_too_deep(const char *data, size_t len, int max)
{
    int depth = 0;
    bool in_string = false, escaped = false;
    for (size_t i = 0; i < len; i++) {
        char c = data[i];
        if (in_string) {
            if (escaped)
                escaped = false;
            else if (c == '\\')
                escaped = true;
            else if (c == '"')
                in_string = false;
        } else if (c == '"') {
            in_string = true;
        } else if (c == '{' || c == '[') {
            if (++depth > max)
                return true;
        } else if ((c == '}' || c == ']') && depth > 0) {
            depth--;
        }
    }
    return false;
}

/* ---- parsing ---- */

G_GNUC_PRINTF(4, 5)
static int fail(HnProtoError *err, HnProtoErrorCode code, int ret, const char *fmt, ...)
{
    err->code = code;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->message, sizeof err->message, fmt, ap);
    va_end(ap);
    /* the text may quote input (jansson's "near '...'") or be cut inside a character: keep
     * only the valid UTF-8 prefix so that the error message can always be built */
    const char *end = NULL;
    if (!g_utf8_validate(err->message, -1, &end))
        err->message[end - err->message] = '\0';
    return ret;
}

static int field_error(HnProtoError *err, const char *field, const char *what)
{
    return fail(err, HN_PROTO_ERR_BAD_FIELD, -EINVAL, "field '%s' %s", field, what);
}

/* The string value of a required field, or NULL after filling err. */
static const char *get_string(json_t *obj, const char *field, HnProtoError *err)
{
    json_t *v = json_object_get(obj, field);
    if (v == NULL) {
        field_error(err, field, "is missing");
        return NULL;
    }
    if (!json_is_string(v)) {
        field_error(err, field, "must be a string");
        return NULL;
    }
    return json_string_value(v);
}

static int parse_join(json_t *obj, HnProtoMsg *out, HnProtoError *err)
{
    const char *room = get_string(obj, "room", err);
    if (room == NULL)
        return -EINVAL;
    if (!hn_proto_room_name_valid(room))
        return field_error(err, "room", "must be 1-64 characters [A-Za-z0-9_.-]");
    /* Room names ignore case: "HOP-NHO" is "hop-nho" everywhere after this. */
    g_autofree char *lower = g_ascii_strdown(room, -1);
    if (strcmp(lower, room) != 0) {
        if (json_object_set_new(obj, "room", json_string(lower)) != 0)
            return fail(err, HN_PROTO_ERR_INTERNAL, -ENOMEM, "out of memory");
        room = json_string_value(json_object_get(obj, "room"));
    }
    const char *name = get_string(obj, "name", err);
    if (name == NULL)
        return -EINVAL;
    if (!hn_proto_display_name_valid(name))
        return field_error(err, "name",
                           "must be 1-64 characters with no control characters, "
                           "not only spaces");
    out->u.join.room = room;
    out->u.join.name = name;
    out->u.join.token = NULL;
    out->u.join.pin = NULL;
    json_t *token = json_object_get(obj, "token");
    if (token != NULL && !json_is_null(token)) {
        const char *t = json_string_value(token);
        size_t n = t ? strlen(t) : 0;
        if (n < 1 || n > HN_PROTO_TOKEN_MAX)
            return field_error(err, "token", "must be a string of 1-4096 characters");
        for (size_t i = 0; i < n; i++)
            if (!g_ascii_isalnum(t[i]) && t[i] != '-' && t[i] != '_' && t[i] != '.')
                return field_error(err, "token", "must be a JWT (base64url parts and dots)");
        out->u.join.token = t;
    }
    json_t *pin = json_object_get(obj, "pin");
    if (pin != NULL && !json_is_null(pin)) {
        const char *t = json_string_value(pin);
        size_t n = t ? strlen(t) : 0;
        gboolean digits = n >= 1 && n <= HN_PROTO_PIN_MAX;
        for (size_t i = 0; digits && i < n; i++)
            digits = g_ascii_isdigit(t[i]);
        if (!digits)
            return field_error(err, "pin", "must be a string of 1-32 digits");
        out->u.join.pin = t;
    }
    return 0;
}

static int parse_sdp(json_t *obj, HnProtoMsg *out, HnProtoError *err)
{
    const char *sdp = get_string(obj, "sdp", err);
    if (sdp == NULL)
        return -EINVAL;
    size_t len = json_string_length(json_object_get(obj, "sdp"));
    if (len == 0)
        return field_error(err, "sdp", "must not be empty");
    if (len > HN_PROTO_MAX_SDP || strlen(sdp) != len)
        return field_error(err, "sdp", "must be at most 2 MiB of text");
    out->u.sdp.sdp = sdp;
    out->u.sdp.sdp_len = len;
    out->u.sdp.screen_mid = NULL;
    json_t *screen = json_object_get(obj, "screen");
    if (screen != NULL && !json_is_null(screen)) {
        if (!json_is_string(screen) || !mid_valid(json_string_value(screen)))
            return field_error(err, "screen", "must be the mid of the shared screen's section");
        out->u.sdp.screen_mid = json_string_value(screen);
    }
    return 0;
}

/* {"type":"view","tiles":[{"participant":"p12","width":320,"height":180}, ...]} */
static int parse_view(json_t *obj, HnProtoMsg *out, HnProtoError *err)
{
    json_t *tiles = json_object_get(obj, "tiles");
    if (!json_is_array(tiles) || json_array_size(tiles) > HN_PROTO_MAX_TILES)
        return field_error(err, "tiles", "must be an array of at most 64 tiles");
    size_t i;
    json_t *t;
    json_array_foreach(tiles, i, t)
    {
        json_t *p = json_object_get(t, "participant");
        json_t *w = json_object_get(t, "width");
        json_t *h = json_object_get(t, "height");
        const char *id = json_is_string(p) ? json_string_value(p) : NULL;
        size_t len = id ? strlen(id) : 0;
        bool id_ok =
            len >= 2 && len < 24 && id[0] == 'p' && strspn(id + 1, "0123456789") == len - 1;
        if (!json_is_object(t) || !id_ok)
            return field_error(err, "tiles", "each tile needs a participant id \"p<digits>\"");
        if (!json_is_number(w) || !json_is_number(h) || json_number_value(w) < 0 ||
            json_number_value(h) < 0 || json_number_value(w) > HN_PROTO_TILE_MAX ||
            json_number_value(h) > HN_PROTO_TILE_MAX)
            return field_error(err, "tiles", "width and height must be numbers 0-16384 (CSS px)");
        HnProtoTile *o = &out->u.view.tiles[out->u.view.n_tiles++];
        o->participant = id;
        o->width = (unsigned)json_number_value(w);
        o->height = (unsigned)json_number_value(h);
    }
    return 0;
}

/* admit {"participant":"p12"} or {"all":true}; deny {"participant":"p12"} */
static int parse_lobby(json_t *obj, HnProtoMsg *out, HnProtoError *err)
{
    json_t *all = json_object_get(obj, "all");
    if (out->type == HN_PROTO_MSG_ADMIT && json_is_true(all)) {
        out->u.lobby.all = true;
        return 0;
    }
    if (all != NULL && !json_is_boolean(all))
        return field_error(err, "all", "must be true or false");
    const char *id = get_string(obj, "participant", err);
    if (id == NULL)
        return -EINVAL;
    size_t len = strlen(id);
    guint64 n = 0;
    if (len < 2 || len > 21 || id[0] != 'p' || strspn(id + 1, "0123456789") != len - 1 ||
        !g_ascii_string_to_unsigned(id + 1, 10, 1, G_MAXUINT64, &n, NULL))
        return field_error(err, "participant", "must be a participant id \"p<digits>\"");
    out->u.lobby.participant = n;
    return 0;
}

/* {"type":"state","audio"?:bool,"video"?:bool} */
static int parse_state(json_t *obj, HnProtoMsg *out, HnProtoError *err)
{
    json_t *a = json_object_get(obj, "audio"), *v = json_object_get(obj, "video");
    if ((a && !json_is_boolean(a)) || (v && !json_is_boolean(v)) || (!a && !v))
        return field_error(err, "audio", "and/or 'video' must be given as booleans");
    out->u.state.audio = a ? json_is_true(a) : -1;
    out->u.state.video = v ? json_is_true(v) : -1;
    return 0;
}

/* {"type":"hand","raised":bool} */
static int parse_hand(json_t *obj, HnProtoMsg *out, HnProtoError *err)
{
    json_t *r = json_object_get(obj, "raised");
    if (!json_is_boolean(r))
        return field_error(err, "raised", "must be a boolean");
    out->u.hand.raised = json_is_true(r);
    return 0;
}

static bool participant_id_valid(const char *id)
{
    size_t len = id ? strlen(id) : 0;
    return len >= 2 && len < 24 && id[0] == 'p' && strspn(id + 1, "0123456789") == len - 1;
}

/* {"type":"record","action":"start"|"stop"} */
static int parse_record(json_t *obj, HnProtoMsg *out, HnProtoError *err)
{
    const char *action = get_string(obj, "action", err);
    if (action == NULL)
        return -EINVAL;
    if (strcmp(action, "start") != 0 && strcmp(action, "stop") != 0)
        return field_error(err, "action", "must be \"start\" or \"stop\"");
    out->u.record.start = strcmp(action, "start") == 0;
    return 0;
}

/* {"type":"moderate","action","participant"?,"kind"?} */
static int parse_moderate(json_t *obj, HnProtoMsg *out, HnProtoError *err)
{
    const char *action = get_string(obj, "action", err);
    if (action == NULL)
        return -EINVAL;
    size_t n = strlen(action);
    if (n < 1 || n > 32 || strspn(action, "abcdefghijklmnopqrstuvwxyz-") != n)
        return field_error(err, "action", "must be a moderation action name");
    out->u.moderate.action = action;
    json_t *p = json_object_get(obj, "participant");
    if (p && !json_is_null(p)) {
        if (!participant_id_valid(json_string_value(p)))
            return field_error(err, "participant", "must be a participant id \"p<digits>\"");
        out->u.moderate.participant = json_string_value(p);
    }
    json_t *k = json_object_get(obj, "kind");
    out->u.moderate.kind = HN_PROTO_KIND_AUDIO;
    if (k && !json_is_null(k)) {
        const char *s = json_string_value(k);
        if (s && strcmp(s, "video") == 0)
            out->u.moderate.kind = HN_PROTO_KIND_VIDEO;
        else if (!s || strcmp(s, "audio") != 0)
            return field_error(err, "kind", "must be \"audio\" or \"video\"");
    }
    return 0;
}

static int parse_candidate(json_t *obj, HnProtoMsg *out, HnProtoError *err)
{
    const char *pc = get_string(obj, "pc", err);
    if (pc == NULL)
        return -EINVAL;
    if (strcmp(pc, "pub") == 0)
        out->u.candidate.pc = HN_PROTO_PC_PUB;
    else if (strcmp(pc, "sub") == 0)
        out->u.candidate.pc = HN_PROTO_PC_SUB;
    else
        return field_error(err, "pc", "must be \"pub\" or \"sub\"");

    json_t *cand = json_object_get(obj, "candidate");
    if (cand == NULL)
        return field_error(err, "candidate", "is missing (null means end of candidates)");
    if (json_is_string(cand) && json_string_length(cand) > 0) {
        const char *s = json_string_value(cand);
        if (!candidate_valid(s, json_string_length(cand)))
            return field_error(err, "candidate",
                               "must be a printable \"candidate:...\" line of at most 1024 bytes");
        out->u.candidate.candidate = s;
    } else if (!json_is_null(cand) && !json_is_string(cand)) {
        return field_error(err, "candidate", "must be a string or null");
    }

    json_t *mid = json_object_get(obj, "sdpMid");
    if (json_is_string(mid) && json_string_length(mid) > 0) {
        if (!mid_valid(json_string_value(mid)))
            return field_error(err, "sdpMid", "must be 1-32 token characters");
        out->u.candidate.sdp_mid = json_string_value(mid);
    } else if (mid != NULL && !json_is_null(mid) && !json_is_string(mid)) {
        return field_error(err, "sdpMid", "must be a string or null");
    }
    return 0;
}

/* Text a person typed: valid UTF-8 (jansson checked it), 1..max code points, no control
 * character (lines: also \n and \t), not only spaces. */
static bool typed_text_valid(const char *s, size_t len, size_t max, bool lines)
{
    if (strlen(s) != len)
        return false; /* a \u0000 inside */
    size_t n = 0;
    bool visible = false;
    for (const char *p = s; *p != '\0'; p = g_utf8_next_char(p)) {
        gunichar c = g_utf8_get_char(p);
        if (++n > max || (g_unichar_iscntrl(c) && !(lines && (c == '\n' || c == '\t'))))
            return false;
        if (!g_unichar_isspace(c))
            visible = true;
    }
    return visible;
}

/* {"type":"chat","text":"...","to":"chair"|null} */
static int parse_chat(json_t *obj, HnProtoMsg *out, HnProtoError *err)
{
    const char *text = get_string(obj, "text", err);
    if (text == NULL)
        return -EINVAL;
    if (!typed_text_valid(text, json_string_length(json_object_get(obj, "text")), HN_PROTO_CHAT_MAX,
                          true))
        return field_error(err, "text",
                           "must be 1-2000 characters, not only spaces, no control characters");
    json_t *to = json_object_get(obj, "to");
    if (to != NULL && !json_is_null(to) &&
        !(json_is_string(to) && strcmp(json_string_value(to), "chair") == 0))
        return field_error(err, "to", "must be \"chair\" or null");
    out->u.chat.text = text;
    out->u.chat.to_chair = to != NULL && json_is_string(to);
    return 0;
}

/* {"type":"vote-open","question":"...","options":["..."...]?,"secret":bool?} */
static int parse_vote_open(json_t *obj, HnProtoMsg *out, HnProtoError *err)
{
    const char *q = get_string(obj, "question", err);
    if (q == NULL)
        return -EINVAL;
    if (!typed_text_valid(q, json_string_length(json_object_get(obj, "question")),
                          HN_PROTO_QUESTION_MAX, false))
        return field_error(err, "question", "must be 1-500 characters, no control characters");
    out->u.vote_open.question = q;
    json_t *opts = json_object_get(obj, "options");
    if (opts != NULL && !json_is_null(opts)) {
        if (!json_is_array(opts) || json_array_size(opts) < 2 ||
            json_array_size(opts) > HN_PROTO_VOTE_OPTIONS_MAX)
            return field_error(err, "options", "must be an array of 2-10 strings");
        size_t i;
        json_t *o;
        json_array_foreach(opts, i, o)
        {
            const char *t = json_string_value(o);
            if (t == NULL ||
                !typed_text_valid(t, json_string_length(o), HN_PROTO_OPTION_MAX, false))
                return field_error(err, "options", "each must be 1-100 characters");
            for (size_t j = 0; j < i; j++)
                if (strcmp(out->u.vote_open.options[j], t) == 0)
                    return field_error(err, "options", "must differ from each other");
            out->u.vote_open.options[i] = t;
        }
        out->u.vote_open.n_options = json_array_size(opts);
    }
    json_t *secret = json_object_get(obj, "secret");
    if (secret != NULL && !json_is_null(secret) && !json_is_boolean(secret))
        return field_error(err, "secret", "must be true or false");
    out->u.vote_open.secret = json_is_true(secret);
    return 0;
}

/* vote-cast {"vote":N,"option":I}, vote-close {"vote":N} */
static int parse_vote(json_t *obj, HnProtoMsg *out, HnProtoError *err, bool cast)
{
    json_t *vote = json_object_get(obj, "vote");
    if (!json_is_integer(vote) || json_integer_value(vote) < 1)
        return field_error(err, "vote", "must be a vote id (an integer >= 1)");
    out->u.vote.vote = (int64_t)json_integer_value(vote);
    if (!cast)
        return 0;
    json_t *opt = json_object_get(obj, "option");
    if (!json_is_integer(opt) || json_integer_value(opt) < 0 ||
        json_integer_value(opt) >= HN_PROTO_VOTE_OPTIONS_MAX)
        return field_error(err, "option", "must be an option index (an integer 0-9)");
    out->u.vote.option = (int)json_integer_value(opt);
    return 0;
}

/* An optional text field: NULL (absent or null) or 1..max code points; *bad when invalid. */
static const char *opt_text(json_t *obj, const char *field, size_t max, bool lines, bool *bad)
{
    json_t *v = json_object_get(obj, field);
    if (v == NULL || json_is_null(v))
        return NULL;
    const char *s = json_string_value(v);
    if (s == NULL || !typed_text_valid(s, json_string_length(v), max, lines))
        *bad = true;
    return s;
}

/* {"type":"minutes-note","item":N,"kind":"opinion|conclusion|decision","who":"..."?,"text":"..."}
 */
static int parse_minutes_note(json_t *obj, HnProtoMsg *out, HnProtoError *err)
{
    json_t *item = json_object_get(obj, "item");
    if (item != NULL && !json_is_null(item) &&
        (!json_is_integer(item) || json_integer_value(item) < 0 ||
         json_integer_value(item) > HN_PROTO_AGENDA_ITEM_MAX))
        return field_error(err, "item", "must be an agenda item number 0-100");
    const char *kind = json_string_value(json_object_get(obj, "kind"));
    if (kind == NULL || (strcmp(kind, "opinion") != 0 && strcmp(kind, "conclusion") != 0 &&
                         strcmp(kind, "decision") != 0))
        return field_error(err, "kind", "must be \"opinion\", \"conclusion\" or \"decision\"");
    bool bad = false;
    const char *who = opt_text(obj, "who", HN_PROTO_NOTE_WHO_MAX, false, &bad);
    if (bad)
        return field_error(err, "who", "must be 1-200 characters or null");
    const char *text = opt_text(obj, "text", HN_PROTO_NOTE_MAX, true, &bad);
    if (bad || text == NULL)
        return field_error(err, "text", "must be 1-4000 characters, not only spaces");
    out->u.minutes_note.item = json_is_integer(item) ? (int)json_integer_value(item) : 0;
    out->u.minutes_note.kind = kind;
    out->u.minutes_note.who = who;
    out->u.minutes_note.text = text;
    return 0;
}

/* {"type":"minutes-absent","kind":"site|person","name":"...","reason":"..."|null} */
static int parse_minutes_absent(json_t *obj, HnProtoMsg *out, HnProtoError *err)
{
    const char *kind = json_string_value(json_object_get(obj, "kind"));
    if (kind == NULL || (strcmp(kind, "site") != 0 && strcmp(kind, "person") != 0))
        return field_error(err, "kind", "must be \"site\" or \"person\"");
    bool bad = false;
    const char *name = opt_text(obj, "name", HN_PROTO_NOTE_WHO_MAX, false, &bad);
    if (bad || name == NULL)
        return field_error(err, "name", "must be 1-200 characters");
    const char *reason = opt_text(obj, "reason", HN_PROTO_NOTE_MAX, true, &bad);
    if (bad)
        return field_error(err, "reason", "must be 1-4000 characters or null");
    out->u.minutes_absent.site = kind[0] == 's';
    out->u.minutes_absent.name = name;
    out->u.minutes_absent.reason = reason;
    return 0;
}

/* A request id: a string of at most HN_PROTO_ID_MAX characters, or an integer. */
static bool id_valid(json_t *id)
{
    if (json_is_integer(id))
        return true;
    if (!json_is_string(id))
        return false;
    const char *s = json_string_value(id);
    size_t len = json_string_length(id);
    return strlen(s) == len && g_utf8_strlen(s, (gssize)len) <= HN_PROTO_ID_MAX;
}

/* Checks the type and fields of a decoded object. */
static int parse_object(json_t *obj, HnProtoMsg *out, HnProtoError *err)
{
    json_t *id = json_object_get(obj, "id");
    if (id != NULL && id_valid(id)) {
        char *text = json_dumps(id, JSON_COMPACT | JSON_ENCODE_ANY);
        if (text == NULL)
            return fail(err, HN_PROTO_ERR_INTERNAL, -ENOMEM, "out of memory");
        g_strlcpy(err->id_json, text, sizeof err->id_json);
        free(text);
    }
    json_t *type = json_object_get(obj, "type");
    if (!json_is_string(type))
        return fail(err, HN_PROTO_ERR_BAD_TYPE, -EINVAL,
                    type == NULL ? "field 'type' is missing" : "field 'type' must be a string");
    const char *name = json_string_value(type);
    guint i;
    for (i = 0; i < G_N_ELEMENTS(msg_type_names); i++) {
        if (strcmp(name, msg_type_names[i]) == 0)
            break;
    }
    if (i == G_N_ELEMENTS(msg_type_names))
        return fail(err, HN_PROTO_ERR_BAD_TYPE, -EINVAL, "unknown message type");
    out->type = (HnProtoMsgType)i;
    g_strlcpy(err->ref, msg_type_names[i], sizeof err->ref);
    if (id != NULL && err->id_json[0] == '\0')
        return field_error(err, "id", "must be a string of at most 64 characters or an integer");

    switch (out->type) {
    case HN_PROTO_MSG_JOIN:
        return parse_join(obj, out, err);
    case HN_PROTO_MSG_PUBLISH:
    case HN_PROTO_MSG_ANSWER:
        return parse_sdp(obj, out, err);
    case HN_PROTO_MSG_CANDIDATE:
        return parse_candidate(obj, out, err);
    case HN_PROTO_MSG_VIEW:
        return parse_view(obj, out, err);
    case HN_PROTO_MSG_ADMIT:
    case HN_PROTO_MSG_DENY:
        return parse_lobby(obj, out, err);
    case HN_PROTO_MSG_CHAT:
        return parse_chat(obj, out, err);
    case HN_PROTO_MSG_VOTE_OPEN:
        return parse_vote_open(obj, out, err);
    case HN_PROTO_MSG_VOTE_CAST:
    case HN_PROTO_MSG_VOTE_CLOSE:
        return parse_vote(obj, out, err, out->type == HN_PROTO_MSG_VOTE_CAST);
    case HN_PROTO_MSG_STATE:
        return parse_state(obj, out, err);
    case HN_PROTO_MSG_HAND:
        return parse_hand(obj, out, err);
    case HN_PROTO_MSG_MODERATE:
        return parse_moderate(obj, out, err);
    case HN_PROTO_MSG_RECORD:
        return parse_record(obj, out, err);
    case HN_PROTO_MSG_MINUTES_NOTE:
        return parse_minutes_note(obj, out, err);
    case HN_PROTO_MSG_MINUTES_ABSENT:
        return parse_minutes_absent(obj, out, err);
    case HN_PROTO_MSG_PING:
    case HN_PROTO_MSG_LEAVE:
    case HN_PROTO_MSG_RESTART_ICE:
    case HN_PROTO_MSG_MINUTES_GET:
        return 0;
    }
    return fail(err, HN_PROTO_ERR_INTERNAL, -EINVAL, "unhandled message type");
}

int hn_proto_parse(const char *data, size_t len, HnProtoMsg *out, HnProtoError *err)
{
    g_return_val_if_fail(out != NULL && err != NULL && (data != NULL || len == 0), -EINVAL);
    memset(out, 0, sizeof *out);
    memset(err, 0, sizeof *err);

    if (len > HN_PROTO_MAX_MESSAGE)
        return fail(err, HN_PROTO_ERR_TOO_BIG, -E2BIG, "message of %zu bytes is over 3 MiB", len);
    if (hn_proto_json_too_deep(data, len, HN_PROTO_MAX_DEPTH))
        return fail(err, HN_PROTO_ERR_BAD_JSON, -EBADMSG, "JSON nested deeper than %d levels",
                    HN_PROTO_MAX_DEPTH);
    json_error_t jerr;
    json_t *root = json_loadb(data, len, JSON_REJECT_DUPLICATES, &jerr);
    if (root == NULL)
        return fail(err, HN_PROTO_ERR_BAD_JSON, -EBADMSG, "invalid JSON at byte %d: %s",
                    jerr.position, jerr.text);
    if (!json_is_object(root)) {
        json_decref(root);
        return fail(err, HN_PROTO_ERR_BAD_JSON, -EBADMSG, "the message is not a JSON object");
    }
    int ret = parse_object(root, out, err);
    if (ret != 0) {
        json_decref(root);
        memset(out, 0, sizeof *out);
        return ret;
    }
    out->json = root;
    if (err->id_json[0] != '\0')
        out->id_json = g_strdup(err->id_json);
    return 0;
}

void hn_proto_msg_clear(HnProtoMsg *msg)
{
    if (msg == NULL)
        return;
    if (msg->json != NULL)
        json_decref(msg->json);
    g_free(msg->id_json);
    memset(msg, 0, sizeof *msg);
}

/* ---- building ---- */

/* Serialises and releases obj (NULL passes through). */
static char *dump(json_t *obj)
{
    if (obj == NULL)
        return NULL;
    char *text = json_dumps(obj, JSON_COMPACT);
    json_decref(obj);
    return text;
}

/* A {"type": type} object. */
static json_t *message_new(const char *type)
{
    json_t *obj = json_object();
    if (obj != NULL && json_object_set_new(obj, "type", json_string(type)) != 0) {
        json_decref(obj);
        return NULL;
    }
    return obj;
}

/* Sets obj[key] to the string s, or null when s is NULL. Returns false (and releases obj) when
 * s is not valid UTF-8 or memory runs out. */
static bool set_str(json_t *obj, const char *key, const char *s)
{
    json_t *v = s != NULL ? json_string(s) : json_null();
    if (v == NULL || json_object_set_new(obj, key, v) != 0) {
        json_decref(obj);
        return false;
    }
    return true;
}

static json_t *participant_new(const HnProtoParticipant *p)
{
    json_t *obj = json_object();
    if (obj == NULL || p == NULL || p->id == NULL || p->name == NULL) {
        json_decref(obj);
        return NULL;
    }
    if (!set_str(obj, "id", p->id) || !set_str(obj, "name", p->name))
        return NULL;
    if (p->role != NULL && !set_str(obj, "role", p->role))
        return NULL;
    return obj;
}

/* Sets obj[key] to value (taking it). Returns false and releases obj on failure. */
static bool set_new(json_t *obj, const char *key, json_t *value)
{
    if (value == NULL || json_object_set_new(obj, key, value) != 0) {
        json_decref(obj);
        return false;
    }
    return true;
}

/* A JSON array of n participants, or NULL (nothing to release) on failure. transfer full. */
static json_t *participants_new(const HnProtoParticipant *ps, size_t n)
{
    json_t *list = json_array();
    for (size_t i = 0; list != NULL && i < n; i++) {
        if (json_array_append_new(list, participant_new(&ps[i])) != 0) {
            json_decref(list);
            list = NULL;
        }
    }
    return list;
}

char *hn_proto_build_joined(const char *id, const char *room, const HnProtoParticipant *others,
                            size_t n_others)
{
    return hn_proto_build_joined_as(id, room, NULL, others, n_others);
}

char *hn_proto_build_joined_as(const char *id, const char *room, const char *role,
                               const HnProtoParticipant *others, size_t n_others)
{
    g_return_val_if_fail(id != NULL && room != NULL && (others != NULL || n_others == 0), NULL);
    json_t *obj = message_new("joined");
    if (obj == NULL || !set_str(obj, "id", id) || !set_str(obj, "self", id) ||
        !set_str(obj, "room", room) || (role != NULL && !set_str(obj, "role", role)))
        return NULL;
    return set_new(obj, "participants", participants_new(others, n_others)) ? dump(obj) : NULL;
}

char *hn_proto_build_participant_joined(const HnProtoParticipant *p)
{
    g_return_val_if_fail(p != NULL, NULL);
    json_t *obj = message_new("participant-joined");
    if (obj == NULL || !set_new(obj, "participant", participant_new(p)))
        return NULL;
    return dump(obj);
}

char *hn_proto_build_participant_left(const char *id, HnProtoLeaveReason reason)
{
    g_return_val_if_fail(id != NULL && (unsigned)reason < G_N_ELEMENTS(leave_reason_names), NULL);
    json_t *obj = message_new("participant-left");
    if (obj == NULL || !set_str(obj, "id", id) ||
        !set_str(obj, "reason", leave_reason_names[reason]))
        return NULL;
    return dump(obj);
}

char *hn_proto_build_active_speaker(const char *id, const char *const *speaking, size_t n)
{
    json_t *obj = message_new("active-speaker");
    if (obj == NULL || !set_str(obj, "id", id))
        return NULL;
    json_t *arr = json_array();
    for (size_t i = 0; arr != NULL && i < n; i++) {
        json_t *v = speaking[i] ? json_string(speaking[i]) : NULL;
        if (v == NULL || json_array_append_new(arr, v) != 0) {
            json_decref(arr);
            arr = NULL;
        }
    }
    if (arr == NULL || json_object_set_new(obj, "speaking", arr) != 0) {
        json_decref(obj);
        return NULL;
    }
    return dump(obj);
}

char *hn_proto_build_video_paused(const char *participant, bool paused, const char *reason)
{
    g_return_val_if_fail(participant != NULL && reason != NULL, NULL);
    json_t *obj = message_new("video-paused");
    if (obj == NULL || !set_str(obj, "participant", participant) ||
        json_object_set_new(obj, "paused", json_boolean(paused)) != 0 ||
        !set_str(obj, "reason", reason)) {
        json_decref(obj);
        return NULL;
    }
    return dump(obj);
}

char *hn_proto_build_answer(const char *sdp)
{
    g_return_val_if_fail(sdp != NULL, NULL);
    json_t *obj = message_new("answer");
    if (obj == NULL || !set_str(obj, "sdp", sdp))
        return NULL;
    return dump(obj);
}

static json_t *track_new(const HnProtoTrack *t)
{
    if (t->mid == NULL || t->participant == NULL || (unsigned)t->kind >= G_N_ELEMENTS(kind_names))
        return NULL;
    json_t *obj = json_object();
    if (obj == NULL)
        return NULL;
    if (!set_str(obj, "mid", t->mid) || !set_str(obj, "participant", t->participant) ||
        !set_str(obj, "kind", kind_names[t->kind]))
        return NULL;
    if (t->source && !set_str(obj, "source", t->source))
        return NULL;
    return obj;
}

char *hn_proto_build_offer(const char *sdp, const HnProtoTrack *tracks, size_t n_tracks)
{
    g_return_val_if_fail(sdp != NULL && (tracks != NULL || n_tracks == 0), NULL);
    json_t *obj = message_new("offer");
    json_t *list = json_array();
    if (obj == NULL || list == NULL) {
        json_decref(obj);
        json_decref(list);
        return NULL;
    }
    if (!set_str(obj, "sdp", sdp)) {
        json_decref(list);
        return NULL;
    }
    for (size_t i = 0; i < n_tracks; i++) {
        if (json_array_append_new(list, track_new(&tracks[i])) != 0) {
            json_decref(list);
            json_decref(obj);
            return NULL;
        }
    }
    return set_new(obj, "tracks", list) ? dump(obj) : NULL;
}

char *hn_proto_build_candidate(HnProtoPc pc, const char *candidate, const char *sdp_mid)
{
    g_return_val_if_fail((unsigned)pc < G_N_ELEMENTS(pc_names), NULL);
    json_t *obj = message_new("candidate");
    if (obj == NULL || !set_str(obj, "pc", pc_names[pc]) || !set_str(obj, "candidate", candidate) ||
        !set_str(obj, "sdpMid", sdp_mid))
        return NULL;
    return dump(obj);
}

/* Sets the state fields of p on obj (a participant object). false: out of memory (obj kept). */
static bool set_state_fields(json_t *obj, const HnProtoPartState *p)
{
    int rc = json_object_set_new(obj, "audio", json_boolean(p->audio)) |
             json_object_set_new(obj, "video", json_boolean(p->video)) |
             json_object_set_new(obj, "audio_locked", json_boolean(p->audio_locked)) |
             json_object_set_new(obj, "video_locked", json_boolean(p->video_locked)) |
             json_object_set_new(obj, "hand", p->hand ? json_integer(p->hand) : json_null()) |
             json_object_set_new(obj, "chair", json_boolean(p->chair)) |
             json_object_set_new(obj, "presenting", json_boolean(p->presenting));
    return rc == 0;
}

static json_t *part_state_new(const HnProtoPartState *p)
{
    HnProtoParticipant base = {.id = p->id, .name = p->name, .role = p->role};
    json_t *obj = participant_new(&base);
    if (obj && !set_state_fields(obj, p)) {
        json_decref(obj);
        return NULL;
    }
    return obj;
}

char *hn_proto_build_participant_updated(const HnProtoPartState *p)
{
    g_return_val_if_fail(p != NULL, NULL);
    json_t *obj = message_new("participant-updated");
    if (obj == NULL || !set_new(obj, "participant", part_state_new(p)))
        return NULL;
    return dump(obj);
}

char *hn_proto_build_participant_list(const HnProtoPartState *ps, size_t n)
{
    json_t *list = json_array();
    for (size_t i = 0; list && i < n; i++) {
        if (json_array_append_new(list, part_state_new(&ps[i])) != 0) {
            json_decref(list);
            return NULL;
        }
    }
    return dump(list);
}

static void decorate_one(json_t *p, HnProtoPartLookup lookup, void *user)
{
    HnProtoPartState st;
    const char *id = json_string_value(json_object_get(p, "id"));
    if (json_is_object(p) && id && lookup(user, id, &st))
        set_state_fields(p, &st);
}

char *hn_proto_decorate_participants(char *text, HnProtoPartLookup lookup, void *user)
{
    if (text == NULL)
        return NULL;
    json_t *obj = json_loads(text, 0, NULL);
    const char *type = json_string_value(json_object_get(obj, "type"));
    bool joined = type && strcmp(type, "joined") == 0;
    if (!type || (!joined && strcmp(type, "participant-joined") != 0)) {
        json_decref(obj);
        return text;
    }
    size_t i;
    json_t *p;
    json_array_foreach(json_object_get(obj, "participants"), i, p) decorate_one(p, lookup, user);
    decorate_one(json_object_get(obj, "participant"), lookup, user);
    HnProtoPartState self;
    const char *self_id = json_string_value(json_object_get(obj, "self"));
    if (joined && self_id && lookup(user, self_id, &self))
        json_object_set_new(obj, "participant", part_state_new(&self));
    char *out = dump(obj);
    if (out == NULL)
        return text;
    free(text);
    return out;
}

char *hn_proto_build_unmute_request(HnProtoKind kind, const char *by)
{
    json_t *obj = message_new("unmute-request");
    if (obj == NULL || !set_str(obj, "kind", NAME_OF(kind_names, kind)) || !set_str(obj, "by", by))
        return NULL;
    return dump(obj);
}

static char *build_by(const char *type, const char *by)
{
    json_t *obj = message_new(type);
    if (obj == NULL || !set_str(obj, "by", by))
        return NULL;
    return dump(obj);
}

char *hn_proto_build_removed(const char *by)
{
    return build_by("removed", by);
}

char *hn_proto_build_meeting_ended(const char *by)
{
    return build_by("meeting-ended", by);
}

char *hn_proto_build_room_state(bool locked)
{
    json_t *obj = message_new("room-state");
    if (obj == NULL || !set_new(obj, "locked", json_boolean(locked)))
        return NULL;
    return dump(obj);
}

char *hn_proto_build_recording(bool on, int64_t since_ms, const char *by, const char *reason)
{
    json_t *obj = message_new("recording");
    if (obj == NULL || !set_new(obj, "on", json_boolean(on)) ||
        !set_new(obj, "since", since_ms ? json_integer(since_ms) : json_null()) ||
        !set_new(obj, "by", by ? json_string(by) : json_null()) ||
        !set_new(obj, "reason", reason ? json_string(reason) : json_null()))
        return NULL;
    return dump(obj);
}

char *hn_proto_build_pong(void)
{
    return dump(message_new("pong"));
}

char *hn_proto_build_ack(const char *ref)
{
    json_t *obj = message_new("ack");
    if (obj == NULL || !set_str(obj, "ref", ref ? ref : "")) /* set_str released obj */
        return NULL;
    return dump(obj);
}

char *hn_proto_build_share_stopped(const char *by, const char *reason)
{
    json_t *obj = message_new("share-stopped");
    if (obj == NULL || !set_str(obj, "by", by) || /* set_str released obj */
        !set_str(obj, "reason", reason))
        return NULL;
    return dump(obj);
}

char *hn_proto_build_layers(const char *mid, const char *const *active, size_t n)
{
    json_t *obj = message_new("layers");
    json_t *arr = json_array();
    if (obj == NULL || arr == NULL || !set_str(obj, "mid", mid ? mid : "")) {
        json_decref(arr);
        return NULL;
    }
    for (size_t i = 0; i < n; i++) {
        json_t *s = json_string(active[i]);
        if (s == NULL || json_array_append_new(arr, s) < 0) {
            json_decref(arr);
            json_decref(obj);
            return NULL;
        }
    }
    json_object_set_new(obj, "active", arr);
    return dump(obj);
}

char *hn_proto_build_lobby(const char *room, unsigned position, bool chair_present)
{
    g_return_val_if_fail(room != NULL, NULL);
    json_t *obj = message_new("lobby");
    if (obj == NULL || !set_str(obj, "room", room) ||
        !set_new(obj, "position", json_integer(position)) ||
        !set_new(obj, "chair_present", json_boolean(chair_present)))
        return NULL;
    return dump(obj);
}

char *hn_proto_build_lobby_list(const char *room, const HnProtoParticipant *waiting, size_t n)
{
    g_return_val_if_fail(room != NULL && (waiting != NULL || n == 0), NULL);
    json_t *obj = message_new("lobby-list");
    if (obj == NULL || !set_str(obj, "room", room))
        return NULL;
    return set_new(obj, "waiting", participants_new(waiting, n)) ? dump(obj) : NULL;
}

char *hn_proto_build_connected(HnProtoPc pc)
{
    g_return_val_if_fail((unsigned)pc < G_N_ELEMENTS(pc_names), NULL);
    json_t *obj = message_new("connected");
    if (obj == NULL || !set_str(obj, "pc", pc_names[pc]))
        return NULL;
    return dump(obj);
}

char *hn_proto_build_link(uint64_t bps, const char *source, double loss)
{
    g_return_val_if_fail(source != NULL, NULL);
    json_t *obj = message_new("link");
    if (obj == NULL ||
        !set_new(obj, "bps", json_integer((json_int_t)(bps > INT64_MAX ? INT64_MAX : bps))) ||
        !set_str(obj, "source", source) ||
        !set_new(obj, "loss", json_real(loss >= 0 && loss <= 1 ? loss : 0)))
        return NULL;
    return dump(obj);
}

char *hn_proto_build_error(HnProtoErrorCode code, const char *message, const char *ref)
{
    g_return_val_if_fail((unsigned)code < G_N_ELEMENTS(error_code_names), NULL);
    json_t *obj = message_new("error");
    if (obj == NULL || !set_str(obj, "code", error_code_names[code]) ||
        !set_str(obj, "message", message != NULL ? message : ""))
        return NULL;
    if (ref != NULL && ref[0] != '\0' && !set_str(obj, "ref", ref))
        return NULL;
    return dump(obj);
}

char *hn_proto_build_error_retry(HnProtoErrorCode code, const char *message, const char *ref,
                                 unsigned retry_after)
{
    char *text = hn_proto_build_error(code, message, ref);
    json_t *obj = text ? json_loads(text, 0, NULL) : NULL;
    free(text);
    if (!json_is_object(obj)) {
        json_decref(obj);
        return NULL;
    }
    return set_new(obj, "retry_after", json_integer(retry_after)) ? dump(obj) : NULL;
}

char *hn_proto_build_error_from(const HnProtoError *err)
{
    g_return_val_if_fail(err != NULL, NULL);
    char *text = hn_proto_build_error(err->code, err->message, err->ref);
    return hn_proto_attach_id(text, err->id_json[0] != '\0' ? err->id_json : NULL);
}

char *hn_proto_attach_id(char *text, const char *id_json)
{
    if (text == NULL || id_json == NULL)
        return text;
    json_t *obj = json_loads(text, 0, NULL);
    json_t *id = json_loads(id_json, JSON_DECODE_ANY, NULL);
    if (!json_is_object(obj) || id == NULL) {
        json_decref(obj);
        json_decref(id);
        return text;
    }
    free(text);
    return set_new(obj, "id", id) ? dump(obj) : NULL;
}

/* ---- error budget ---- */

void hn_error_budget_init(HnErrorBudget *b)
{
    memset(b, 0, sizeof *b);
}

bool hn_error_budget_hit(HnErrorBudget *b, int64_t now_us)
{
    b->times[b->next] = now_us;
    b->next = (b->next + 1) % HN_ERROR_BUDGET_MAX;
    if (b->count < HN_ERROR_BUDGET_MAX)
        b->count++;
    if (b->count < HN_ERROR_BUDGET_MAX)
        return false;
    /* the ring is full: the slot to be written next holds the oldest of the last MAX errors */
    return now_us - b->times[b->next] < HN_ERROR_BUDGET_WINDOW_US;
}

char *hn_proto_add_title(char *text, const char *title)
{
    if (!text || !title)
        return text;
    json_t *obj = json_loads(text, 0, NULL);
    const char *type = obj ? json_string_value(json_object_get(obj, "type")) : NULL;
    char *out = NULL;
    if (type && strcmp(type, "joined") == 0 &&
        json_object_set_new(obj, "title", json_string(title)) == 0)
        out = json_dumps(obj, JSON_COMPACT);
    json_decref(obj);
    if (!out)
        return text;
    free(text);
    return out;
}
