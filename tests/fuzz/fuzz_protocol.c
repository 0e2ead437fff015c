/* libFuzzer target: the client message validator of the signalling protocol
 * (signaling/protocol.h, docs/signaling.md) on arbitrary bytes. Checks the contracts: a
 * refusal carries a message the server can send back; an accepted message holds only valid
 * fields, and what the server would echo (an answer, a candidate) parses back to the same. */
#include "fuzz.h"

#include <string.h>

#include "signaling/protocol.h"

static void refused(const HnProtoError *err)
{
    FUZZ_CHECK(err->message[0] != '\0');
    FUZZ_CHECK(strcmp(hn_proto_error_code_name(err->code), "unknown") != 0);
    char *reply = hn_proto_build_error_from(err);
    FUZZ_CHECK(reply != NULL);
    free(reply);
}

static void echo_parses_back(char *json, HnProtoMsgType type, HnProtoMsg *back)
{
    HnProtoError err;
    FUZZ_CHECK(json != NULL);
    FUZZ_CHECK(hn_proto_parse(json, strlen(json), back, &err) == 0);
    FUZZ_CHECK(back->type == type);
    free(json);
}

static bool same(const char *a, const char *b)
{
    return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    HnProtoMsg msg, back;
    HnProtoError err;
    memset(&err, 0, sizeof err);
    if (hn_proto_parse((const char *)data, size, &msg, &err) != 0) {
        refused(&err);
        hn_proto_msg_clear(&msg); /* holds nothing: must be harmless */
        return 0;
    }
    FUZZ_CHECK(strcmp(hn_proto_msg_type_name(msg.type), "unknown") != 0);
    switch (msg.type) {
    case HN_PROTO_MSG_JOIN: {
        FUZZ_CHECK(hn_proto_room_name_valid(msg.u.join.room));
        FUZZ_CHECK(hn_proto_display_name_valid(msg.u.join.name));
        HnProtoParticipant self = {"p1", msg.u.join.name, NULL};
        char *joined = hn_proto_build_joined("p1", msg.u.join.room, &self, 1);
        FUZZ_CHECK(joined != NULL);
        free(joined);
        break;
    }
    case HN_PROTO_MSG_PUBLISH:
    case HN_PROTO_MSG_ANSWER:
        FUZZ_CHECK(msg.u.sdp.sdp_len >= 1 && msg.u.sdp.sdp_len <= HN_PROTO_MAX_SDP);
        FUZZ_CHECK(strlen(msg.u.sdp.sdp) == msg.u.sdp.sdp_len);
        if (msg.u.sdp.sdp_len + 64 < HN_PROTO_MAX_MESSAGE) {
            echo_parses_back(hn_proto_build_answer(msg.u.sdp.sdp), HN_PROTO_MSG_ANSWER, &back);
            FUZZ_CHECK(back.u.sdp.sdp_len == msg.u.sdp.sdp_len &&
                       memcmp(back.u.sdp.sdp, msg.u.sdp.sdp, msg.u.sdp.sdp_len) == 0);
            hn_proto_msg_clear(&back);
        }
        break;
    case HN_PROTO_MSG_CANDIDATE:
        FUZZ_CHECK(strcmp(hn_proto_pc_name(msg.u.candidate.pc), "unknown") != 0);
        FUZZ_CHECK(!msg.u.candidate.candidate || msg.u.candidate.candidate[0] != '\0');
        FUZZ_CHECK(!msg.u.candidate.sdp_mid || msg.u.candidate.sdp_mid[0] != '\0');
        echo_parses_back(hn_proto_build_candidate(msg.u.candidate.pc, msg.u.candidate.candidate,
                                                  msg.u.candidate.sdp_mid),
                         HN_PROTO_MSG_CANDIDATE, &back);
        FUZZ_CHECK(back.u.candidate.pc == msg.u.candidate.pc);
        FUZZ_CHECK(same(back.u.candidate.candidate, msg.u.candidate.candidate));
        FUZZ_CHECK(same(back.u.candidate.sdp_mid, msg.u.candidate.sdp_mid));
        hn_proto_msg_clear(&back);
        break;
    case HN_PROTO_MSG_VIEW:
        FUZZ_CHECK(msg.u.view.n_tiles <= HN_PROTO_MAX_TILES);
        for (size_t i = 0; i < msg.u.view.n_tiles; i++) {
            const HnProtoTile *t = &msg.u.view.tiles[i];
            FUZZ_CHECK(t->participant && t->participant[0] == 'p' && strlen(t->participant) < 24);
            FUZZ_CHECK(t->width <= HN_PROTO_TILE_MAX && t->height <= HN_PROTO_TILE_MAX);
        }
        break;
    case HN_PROTO_MSG_ADMIT:
    case HN_PROTO_MSG_DENY:
        FUZZ_CHECK(msg.u.lobby.all ? msg.type == HN_PROTO_MSG_ADMIT && !msg.u.lobby.participant
                                   : msg.u.lobby.participant >= 1);
        break;
    case HN_PROTO_MSG_CHAT: {
        /* what the server would send to everyone: the line must build */
        HnProtoChatLine line = {1, 0, {"p1", "x", NULL}, msg.u.chat.to_chair, msg.u.chat.text};
        FUZZ_CHECK(msg.u.chat.text && msg.u.chat.text[0] != '\0');
        char *text = hn_proto_build_chat(&line);
        FUZZ_CHECK(text != NULL);
        free(text);
        break;
    }
    case HN_PROTO_MSG_VOTE_OPEN: {
        FUZZ_CHECK(msg.u.vote_open.question && msg.u.vote_open.question[0] != '\0');
        FUZZ_CHECK(msg.u.vote_open.n_options == 0 ||
                   (msg.u.vote_open.n_options >= 2 &&
                    msg.u.vote_open.n_options <= HN_PROTO_VOTE_OPTIONS_MAX));
        HnProtoVote v = {.id = 1,
                         .question = msg.u.vote_open.question,
                         .options = msg.u.vote_open.options,
                         .n_options = msg.u.vote_open.n_options,
                         .secret = msg.u.vote_open.secret};
        char *text = hn_proto_build_vote(&v);
        FUZZ_CHECK(text != NULL);
        free(text);
        break;
    }
    case HN_PROTO_MSG_VOTE_CAST:
    case HN_PROTO_MSG_VOTE_CLOSE:
        FUZZ_CHECK(msg.u.vote.vote >= 1);
        FUZZ_CHECK(msg.u.vote.option >= 0 && msg.u.vote.option < HN_PROTO_VOTE_OPTIONS_MAX);
        break;
    case HN_PROTO_MSG_STATE:
        FUZZ_CHECK(msg.u.state.audio >= -1 && msg.u.state.audio <= 1);
        FUZZ_CHECK(msg.u.state.video >= -1 && msg.u.state.video <= 1);
        FUZZ_CHECK(msg.u.state.audio != -1 || msg.u.state.video != -1);
        break;
    case HN_PROTO_MSG_MODERATE:
        FUZZ_CHECK(msg.u.moderate.action && msg.u.moderate.action[0] != '\0');
        FUZZ_CHECK(!msg.u.moderate.participant || msg.u.moderate.participant[0] == 'p');
        free(hn_proto_build_unmute_request(msg.u.moderate.kind, msg.u.moderate.participant));
        break;
    case HN_PROTO_MSG_RECORD:
        free(hn_proto_build_recording(msg.u.record.start, 1, "x", "chair"));
        break;
    case HN_PROTO_MSG_MINUTES_NOTE:
        FUZZ_CHECK(msg.u.minutes_note.item >= 0 &&
                   msg.u.minutes_note.item <= HN_PROTO_AGENDA_ITEM_MAX);
        FUZZ_CHECK(msg.u.minutes_note.kind && msg.u.minutes_note.text &&
                   msg.u.minutes_note.text[0] != '\0');
        break;
    case HN_PROTO_MSG_MINUTES_ABSENT:
        FUZZ_CHECK(msg.u.minutes_absent.name && msg.u.minutes_absent.name[0] != '\0');
        break;
    case HN_PROTO_MSG_MINUTES_GET:
    case HN_PROTO_MSG_HAND:
    case HN_PROTO_MSG_PING:
    case HN_PROTO_MSG_LEAVE:
    case HN_PROTO_MSG_RESTART_ICE:
        break;
    }
    hn_proto_msg_clear(&msg);
    hn_proto_msg_clear(&msg); /* a cleared message: no-op */
    return 0;
}
