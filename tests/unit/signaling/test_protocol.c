/* Unit tests of signaling/protocol.c: every client message valid and invalid, limits, every
 * server message built and parsed back, the error budget. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>
#include <jansson.h>

#include "signaling/protocol.h"
#include "signaling/room_json.h"

static int parse(const char *text, HnProtoMsg *msg, HnProtoError *err)
{
    return hn_proto_parse(text, strlen(text), msg, err);
}

/* Asserts text is refused with code (and ref, "" when none); returns nothing to free. */
static void expect_refused(const char *text, HnProtoErrorCode code, const char *ref)
{
    HnProtoMsg msg;
    HnProtoError err;
    int ret = parse(text, &msg, &err);
    if (ret == 0)
        fail_msg("accepted: %.200s", text);
    if (err.code != code || strcmp(err.ref, ref) != 0)
        fail_msg("%.200s: got %s ref '%s' (%s), expected %s ref '%s'", text,
                 hn_proto_error_code_name(err.code), err.ref, err.message,
                 hn_proto_error_code_name(code), ref);
    assert_null(msg.json);
    assert_true(strlen(err.message) > 0);
    assert_true(g_utf8_validate(err.message, -1, NULL));
    /* the refusal can always be reported */
    char *reply = hn_proto_build_error_from(&err);
    assert_non_null(reply);
    free(reply);
    hn_proto_msg_clear(&msg); /* harmless after a refusal */
}

static void expect_bad_field(const char *text, const char *ref, const char *field)
{
    expect_refused(text, HN_PROTO_ERR_BAD_FIELD, ref);
    HnProtoMsg msg;
    HnProtoError err;
    assert_int_equal(parse(text, &msg, &err), -EINVAL);
    g_autofree char *quoted = g_strdup_printf("'%s'", field);
    if (strstr(err.message, quoted) == NULL)
        fail_msg("%s: message \"%s\" does not name %s", text, err.message, quoted);
}

static void test_join(void **state)
{
    HnProtoMsg msg;
    HnProtoError err;
    const char *text = "{\"type\":\"join\",\"room\":\"tinh-uy\",\"name\":\"Nguyễn Văn An\","
                       "\"extra\":[1,{\"a\":null}]}";
    assert_int_equal(parse(text, &msg, &err), 0);
    assert_int_equal(msg.type, HN_PROTO_MSG_JOIN);
    assert_string_equal(msg.u.join.room, "tinh-uy");
    assert_string_equal(msg.u.join.name, "Nguyễn Văn An");
    assert_null(msg.u.join.token);
    assert_null(msg.u.join.pin);
    hn_proto_msg_clear(&msg);
    assert_null(msg.json);
    assert_int_equal(parse("{\"type\":\"join\",\"room\":\"r\",\"name\":\"a\","
                           "\"token\":\"eyJ.eyJ.sig-_\",\"pin\":\"0123\"}",
                           &msg, &err),
                     0);
    assert_string_equal(msg.u.join.token, "eyJ.eyJ.sig-_");
    assert_string_equal(msg.u.join.pin, "0123");
    hn_proto_msg_clear(&msg);
    /* room names ignore case: the server sees them in lower case */
    assert_int_equal(parse("{\"type\":\"join\",\"room\":\"HOP-Nho.2\",\"name\":\"a\"}", &msg, &err),
                     0);
    assert_string_equal(msg.u.join.room, "hop-nho.2");
    hn_proto_msg_clear(&msg);
    hn_proto_msg_clear(&msg);
    hn_proto_msg_clear(NULL);

    /* 64 two-byte characters and a 64-character room are the limits */
    g_autofree char *room64 = g_strnfill(64, 'r');
    GString *name64 = g_string_new(NULL);
    for (int i = 0; i < 64; i++)
        g_string_append(name64, "ệ");
    g_autofree char *ok =
        g_strdup_printf("{\"type\":\"join\",\"room\":\"%s\",\"name\":\"%s\"}", room64, name64->str);
    assert_int_equal(parse(ok, &msg, &err), 0);
    assert_int_equal(g_utf8_strlen(msg.u.join.name, -1), 64);
    hn_proto_msg_clear(&msg);

    g_string_append(name64, "x");
    g_autofree char *long_name =
        g_strdup_printf("{\"type\":\"join\",\"room\":\"r\",\"name\":\"%s\"}", name64->str);
    expect_bad_field(long_name, "join", "name");
    g_string_free(name64, TRUE);

    g_autofree char *long_room =
        g_strdup_printf("{\"type\":\"join\",\"room\":\"%sr\",\"name\":\"a\"}", room64);
    expect_bad_field(long_room, "join", "room");
}

static void test_join_invalid(void **state)
{
    expect_bad_field("{\"type\":\"join\",\"name\":\"a\"}", "join", "room");
    expect_bad_field("{\"type\":\"join\",\"room\":\"r\",\"name\":\"a\",\"pin\":\"12a4\"}", "join",
                     "pin");
    expect_bad_field("{\"type\":\"join\",\"room\":\"r\",\"name\":\"a\",\"pin\":1234}", "join",
                     "pin");
    expect_bad_field("{\"type\":\"join\",\"room\":\"r\",\"name\":\"a\",\"token\":\"a b\"}", "join",
                     "token");
    expect_bad_field("{\"type\":\"join\",\"room\":\"r\",\"name\":\"a\",\"token\":\"\"}", "join",
                     "token");
    expect_bad_field("{\"type\":\"join\",\"room\":5,\"name\":\"a\"}", "join", "room");
    expect_bad_field("{\"type\":\"join\",\"room\":null,\"name\":\"a\"}", "join", "room");
    expect_bad_field("{\"type\":\"join\",\"room\":\"\",\"name\":\"a\"}", "join", "room");
    expect_bad_field("{\"type\":\"join\",\"room\":\"a b\",\"name\":\"a\"}", "join", "room");
    expect_bad_field("{\"type\":\"join\",\"room\":\"phòng\",\"name\":\"a\"}", "join", "room");
    expect_bad_field("{\"type\":\"join\",\"room\":\"../x\",\"name\":\"a\"}", "join", "room");
    expect_bad_field("{\"type\":\"join\",\"room\":\"r\"}", "join", "name");
    expect_bad_field("{\"type\":\"join\",\"room\":\"r\",\"name\":[\"a\"]}", "join", "name");
    expect_bad_field("{\"type\":\"join\",\"room\":\"r\",\"name\":\"\"}", "join", "name");
    expect_bad_field("{\"type\":\"join\",\"room\":\"r\",\"name\":\"   \"}", "join", "name");
    expect_bad_field("{\"type\":\"join\",\"room\":\"r\",\"name\":\"a\\nb\"}", "join", "name");
    expect_bad_field("{\"type\":\"join\",\"room\":\"r\",\"name\":\"a\\u0007\"}", "join", "name");
    expect_bad_field("{\"type\":\"join\",\"room\":\"r\",\"name\":\"a\\u0085\"}", "join", "name");
    expect_bad_field("{\"type\":\"join\",\"room\":\"r\",\"name\":\"\\u202eevil\"}", "join", "name");
    expect_bad_field("{\"type\":\"join\",\"room\":\"r\",\"name\":\"a\\u2028b\"}", "join", "name");
    /* invalid UTF-8, raw or as a lone surrogate, and NUL never reach the field checks */
    expect_refused("{\"type\":\"join\",\"room\":\"r\",\"name\":\"a\xc3\x28\"}",
                   HN_PROTO_ERR_BAD_JSON, "");
    expect_refused("{\"type\":\"join\",\"room\":\"r\",\"name\":\"\xed\xa0\x80\"}",
                   HN_PROTO_ERR_BAD_JSON, "");
    expect_refused("{\"type\":\"join\",\"room\":\"r\",\"name\":\"\\ud800\"}", HN_PROTO_ERR_BAD_JSON,
                   "");
    expect_refused("{\"type\":\"join\",\"room\":\"r\",\"name\":\"a\\u0000b\"}",
                   HN_PROTO_ERR_BAD_JSON, "");
}

static void test_name_rule(void **state)
{
    assert_true(hn_proto_display_name_valid("Lê Văn Cường"));
    assert_true(hn_proto_display_name_valid(" a "));
    assert_true(hn_proto_display_name_valid("😀"));
    assert_false(hn_proto_display_name_valid(NULL));
    assert_false(hn_proto_display_name_valid(""));
    assert_false(hn_proto_display_name_valid("\t"));
    assert_false(hn_proto_display_name_valid("a\x7f"));
    assert_false(hn_proto_display_name_valid("\xff"));
    assert_false(hn_proto_display_name_valid("a\xe2\x81\xa6")); /* U+2066 isolate */
    assert_true(hn_proto_room_name_valid("A-z_0.9"));
    assert_false(hn_proto_room_name_valid(NULL));
    assert_false(hn_proto_room_name_valid("a:b"));
}

static void test_publish_answer(void **state)
{
    HnProtoMsg msg;
    HnProtoError err;
    assert_int_equal(
        parse("{\"type\":\"publish\",\"sdp\":\"v=0\\r\\no=- 1 1 IN IP4 0.0.0.0\\r\\n\"}", &msg,
              &err),
        0);
    assert_int_equal(msg.type, HN_PROTO_MSG_PUBLISH);
    assert_string_equal(msg.u.sdp.sdp, "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\n");
    assert_int_equal(msg.u.sdp.sdp_len, strlen(msg.u.sdp.sdp));
    assert_null(msg.u.sdp.screen_mid);
    hn_proto_msg_clear(&msg);
    assert_int_equal(parse("{\"type\":\"publish\",\"sdp\":\"v=0\",\"screen\":\"2\"}", &msg, &err),
                     0);
    assert_string_equal(msg.u.sdp.screen_mid, "2");
    hn_proto_msg_clear(&msg);
    expect_bad_field("{\"type\":\"publish\",\"sdp\":\"v=0\",\"screen\":2}", "publish", "screen");
    expect_bad_field("{\"type\":\"publish\",\"sdp\":\"v=0\",\"screen\":\"a b\"}", "publish",
                     "screen");

    assert_int_equal(parse("{\"sdp\":\"v=0\",\"type\":\"answer\"}", &msg, &err), 0);
    assert_int_equal(msg.type, HN_PROTO_MSG_ANSWER);
    assert_string_equal(msg.u.sdp.sdp, "v=0");
    hn_proto_msg_clear(&msg);

    expect_bad_field("{\"type\":\"publish\"}", "publish", "sdp");
    expect_bad_field("{\"type\":\"publish\",\"sdp\":\"\"}", "publish", "sdp");
    expect_bad_field("{\"type\":\"publish\",\"sdp\":{\"v\":0}}", "publish", "sdp");
    expect_bad_field("{\"type\":\"answer\",\"sdp\":true}", "answer", "sdp");
    expect_bad_field("{\"type\":\"answer\",\"sdp\":null}", "answer", "sdp");
}

static void test_candidate(void **state)
{
    HnProtoMsg msg;
    HnProtoError err;
    assert_int_equal(parse("{\"type\":\"candidate\",\"pc\":\"sub\",\"candidate\":\"candidate:1 1 "
                           "udp 2015363327 127.0.0.1 40123 typ host\",\"sdpMid\":\"0\","
                           "\"sdpMLineIndex\":0}",
                           &msg, &err),
                     0);
    assert_int_equal(msg.type, HN_PROTO_MSG_CANDIDATE);
    assert_int_equal(msg.u.candidate.pc, HN_PROTO_PC_SUB);
    assert_string_equal(msg.u.candidate.candidate,
                        "candidate:1 1 udp 2015363327 127.0.0.1 40123 typ host");
    assert_string_equal(msg.u.candidate.sdp_mid, "0");
    hn_proto_msg_clear(&msg);

    const char *ends[] = {
        "{\"type\":\"candidate\",\"pc\":\"pub\",\"candidate\":null}",
        "{\"type\":\"candidate\",\"pc\":\"pub\",\"candidate\":\"\",\"sdpMid\":\"\"}",
        "{\"type\":\"candidate\",\"pc\":\"pub\",\"candidate\":null,\"sdpMid\":null}",
    };
    for (size_t i = 0; i < G_N_ELEMENTS(ends); i++) {
        assert_int_equal(parse(ends[i], &msg, &err), 0);
        assert_int_equal(msg.u.candidate.pc, HN_PROTO_PC_PUB);
        assert_null(msg.u.candidate.candidate);
        assert_null(msg.u.candidate.sdp_mid);
        hn_proto_msg_clear(&msg);
    }

    expect_bad_field("{\"type\":\"candidate\",\"candidate\":null}", "candidate", "pc");
    expect_bad_field("{\"type\":\"candidate\",\"pc\":\"both\",\"candidate\":null}", "candidate",
                     "pc");
    expect_bad_field("{\"type\":\"candidate\",\"pc\":1,\"candidate\":null}", "candidate", "pc");
    expect_bad_field("{\"type\":\"candidate\",\"pc\":\"pub\"}", "candidate", "candidate");
    expect_bad_field("{\"type\":\"candidate\",\"pc\":\"pub\",\"candidate\":7}", "candidate",
                     "candidate");
    expect_bad_field("{\"type\":\"candidate\",\"pc\":\"pub\",\"candidate\":\"a=candidate:1\"}",
                     "candidate", "candidate");
    expect_bad_field("{\"type\":\"candidate\",\"pc\":\"pub\","
                     "\"candidate\":\"candidate:1 1\\r\\na=x\"}",
                     "candidate", "candidate");
    expect_bad_field("{\"type\":\"candidate\",\"pc\":\"pub\",\"candidate\":null,\"sdpMid\":0}",
                     "candidate", "sdpMid");
    expect_bad_field("{\"type\":\"candidate\",\"pc\":\"pub\",\"candidate\":null,"
                     "\"sdpMid\":\"a b\"}",
                     "candidate", "sdpMid");
    g_autofree char *pad = g_strnfill(1100, 'x');
    g_autofree char *long_cand = g_strdup_printf(
        "{\"type\":\"candidate\",\"pc\":\"pub\",\"candidate\":\"candidate:%s\"}", pad);
    expect_bad_field(long_cand, "candidate", "candidate");
}

static void test_ping_leave(void **state)
{
    HnProtoMsg msg;
    HnProtoError err;
    assert_int_equal(parse("{\"type\":\"ping\"}", &msg, &err), 0);
    assert_int_equal(msg.type, HN_PROTO_MSG_PING);
    hn_proto_msg_clear(&msg);
    assert_int_equal(parse(" { \"type\" : \"leave\" , \"why\" : \"bye\" } ", &msg, &err), 0);
    assert_int_equal(msg.type, HN_PROTO_MSG_LEAVE);
    hn_proto_msg_clear(&msg);
    assert_int_equal(parse("{\"type\":\"restart-ice\",\"id\":3}", &msg, &err), 0);
    assert_int_equal(msg.type, HN_PROTO_MSG_RESTART_ICE);
    assert_string_equal(msg.id_json, "3");
    hn_proto_msg_clear(&msg);
    assert_string_equal(hn_proto_msg_type_name(HN_PROTO_MSG_RESTART_ICE), "restart-ice");
    assert_string_equal(hn_proto_msg_type_name(HN_PROTO_MSG_CANDIDATE), "candidate");
    assert_string_equal(hn_proto_pc_name(HN_PROTO_PC_SUB), "sub");
}

static void test_bad_type(void **state)
{
    expect_refused("{}", HN_PROTO_ERR_BAD_TYPE, "");
    expect_refused("{\"room\":\"r\"}", HN_PROTO_ERR_BAD_TYPE, "");
    expect_refused("{\"type\":1}", HN_PROTO_ERR_BAD_TYPE, "");
    expect_refused("{\"type\":null}", HN_PROTO_ERR_BAD_TYPE, "");
    expect_refused("{\"type\":\"hello\"}", HN_PROTO_ERR_BAD_TYPE, "");
    expect_refused("{\"type\":\"JOIN\"}", HN_PROTO_ERR_BAD_TYPE, "");
    expect_refused("{\"type\":\"joined\"}", HN_PROTO_ERR_BAD_TYPE, "");
}

static void test_bad_json(void **state)
{
    const char *cases[] = {
        "",
        "not json",
        "{",
        "{\"type\":\"ping\"",
        "{\"type\":\"ping\"}x",
        "[]",
        "[{\"type\":\"ping\"}]",
        "\"ping\"",
        "42",
        "null",
        "{\"type\":'ping'}",
        "{\"type\":\"ping\",\"type\":\"leave\"}", /* duplicate key */
    };
    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++)
        expect_refused(cases[i], HN_PROTO_ERR_BAD_JSON, "");

    /* NUL inside the buffer */
    HnProtoMsg msg;
    HnProtoError err;
    assert_int_equal(hn_proto_parse("{\"type\":\"ping\"}\0", 16, &msg, &err), -EBADMSG);
    assert_int_equal(err.code, HN_PROTO_ERR_BAD_JSON);
    assert_int_equal(hn_proto_parse(NULL, 0, &msg, &err), -EBADMSG);
}

/* A ping whose "x" field nests depth-1 arrays, so the document nests depth levels. */
static char *nested(int depth)
{
    GString *s = g_string_new("{\"type\":\"ping\",\"x\":");
    for (int i = 1; i < depth; i++)
        g_string_append_c(s, '[');
    for (int i = 1; i < depth; i++)
        g_string_append_c(s, ']');
    g_string_append_c(s, '}');
    return g_string_free(s, FALSE);
}

static void test_nesting(void **state)
{
    HnProtoMsg msg;
    HnProtoError err;
    g_autofree char *ok = nested(32);
    assert_int_equal(parse(ok, &msg, &err), 0);
    hn_proto_msg_clear(&msg);

    g_autofree char *deep = nested(33);
    expect_refused(deep, HN_PROTO_ERR_BAD_JSON, "");
    assert_int_equal(parse(deep, &msg, &err), -EBADMSG);
    assert_non_null(strstr(err.message, "nested"));

    /* far beyond any stack: refused by the scan, jansson never recurses */
    char *huge = g_malloc(HN_PROTO_MAX_MESSAGE);
    memset(huge, '[', HN_PROTO_MAX_MESSAGE);
    assert_int_equal(hn_proto_parse(huge, HN_PROTO_MAX_MESSAGE, &msg, &err), -EBADMSG);
    memset(huge, '{', HN_PROTO_MAX_MESSAGE);
    assert_int_equal(hn_proto_parse(huge, HN_PROTO_MAX_MESSAGE, &msg, &err), -EBADMSG);
    g_free(huge);

    /* brackets inside strings, escaped quotes included, do not count */
    GString *s = g_string_new("{\"type\":\"join\",\"room\":\"r\",\"name\":\"\\\"");
    for (int i = 0; i < 40; i++)
        g_string_append_c(s, '[');
    g_string_append(s, "\",\"x\":\"\\\\\",\"y\":[[1]]}");
    assert_int_equal(parse(s->str, &msg, &err), 0);
    assert_int_equal(g_utf8_strlen(msg.u.join.name, -1), 41);
    hn_proto_msg_clear(&msg);
    g_string_free(s, TRUE);
}

static void test_size_limit(void **state)
{
    HnProtoMsg msg;
    HnProtoError err;
    /* The largest SDP in the largest message (padded with an ignored field). */
    const char *head = "{\"type\":\"publish\",\"x\":\"", *mid = "\",\"sdp\":\"", *tail = "\"}";
    size_t pad =
        HN_PROTO_MAX_MESSAGE - HN_PROTO_MAX_SDP - strlen(head) - strlen(mid) - strlen(tail);
    GString *s = g_string_new(head);
    for (size_t i = 0; i < pad; i++)
        g_string_append_c(s, 'x');
    g_string_append(s, mid);
    for (size_t i = 0; i < HN_PROTO_MAX_SDP; i++)
        g_string_append_c(s, 'a');
    g_string_append(s, tail);
    assert_int_equal(s->len, HN_PROTO_MAX_MESSAGE);
    assert_int_equal(hn_proto_parse(s->str, s->len, &msg, &err), 0);
    assert_int_equal(msg.u.sdp.sdp_len, HN_PROTO_MAX_SDP);
    hn_proto_msg_clear(&msg);

    g_string_insert_c(s, strlen(head), 'a');
    assert_int_equal(s->len, HN_PROTO_MAX_MESSAGE + 1);
    assert_int_equal(hn_proto_parse(s->str, s->len, &msg, &err), -E2BIG);
    assert_int_equal(err.code, HN_PROTO_ERR_TOO_BIG);
    assert_string_equal(err.ref, "");
    assert_null(msg.json);
    g_string_free(s, TRUE);
}

static void test_error_names(void **state)
{
    const char *names[] = {"bad-json",   "too-big",        "bad-type",       "bad-field",
                           "not-joined", "already-joined", "room-not-found", "room-full",
                           "bad-sdp",    "bad-state",      "internal"};
    for (int i = 0; i < (int)G_N_ELEMENTS(names); i++)
        assert_string_equal(hn_proto_error_code_name((HnProtoErrorCode)i), names[i]);
    assert_string_equal(hn_proto_error_code_name((HnProtoErrorCode)99), "unknown");
}

/* Parses builder output (taking it) and checks its type. transfer full: json_decref. */
static json_t *load_built(char *text, const char *type)
{
    assert_non_null(text);
    json_error_t jerr;
    json_t *obj = json_loads(text, JSON_REJECT_DUPLICATES, &jerr);
    if (obj == NULL)
        fail_msg("%s: %s", text, jerr.text);
    free(text);
    assert_true(json_is_object(obj));
    assert_string_equal(json_string_value(json_object_get(obj, "type")), type);
    return obj;
}

static const char *str_at(json_t *obj, const char *key)
{
    json_t *v = json_object_get(obj, key);
    assert_true(json_is_string(v));
    return json_string_value(v);
}

static void test_build_joined(void **state)
{
    HnProtoParticipant others[] = {{"p1", "Trần Thị Bình", NULL},
                                   {"p2", "Lê \"Q\" Cường", "chair"}};
    json_t *obj = load_built(hn_proto_build_joined("p3", "tinh-uy", others, 2), "joined");
    assert_string_equal(str_at(obj, "id"), "p3");
    assert_string_equal(str_at(obj, "self"), "p3");
    assert_string_equal(str_at(obj, "room"), "tinh-uy");
    json_t *list = json_object_get(obj, "participants");
    assert_int_equal(json_array_size(list), 2);
    assert_string_equal(str_at(json_array_get(list, 0), "id"), "p1");
    assert_string_equal(str_at(json_array_get(list, 0), "name"), "Trần Thị Bình");
    assert_string_equal(str_at(json_array_get(list, 1), "name"), "Lê \"Q\" Cường");
    assert_null(json_object_get(json_array_get(list, 0), "role"));
    assert_string_equal(str_at(json_array_get(list, 1), "role"), "chair");
    assert_null(json_object_get(obj, "role"));
    json_decref(obj);

    obj = load_built(hn_proto_build_joined_as("p3", "r", "secretary", others, 2), "joined");
    assert_string_equal(str_at(obj, "role"), "secretary");
    json_decref(obj);

    obj = load_built(hn_proto_build_joined("p1", "r", NULL, 0), "joined");
    assert_true(json_is_array(json_object_get(obj, "participants")));
    assert_int_equal(json_array_size(json_object_get(obj, "participants")), 0);
    json_decref(obj);

    HnProtoParticipant bad[] = {{"p1", "a\xff", NULL}};
    assert_null(hn_proto_build_joined("p3", "r", bad, 1));
}

static void test_build_participants(void **state)
{
    HnProtoParticipant p = {"p4", "Lê Văn Cường", NULL};
    json_t *obj = load_built(hn_proto_build_participant_joined(&p), "participant-joined");
    json_t *part = json_object_get(obj, "participant");
    assert_string_equal(str_at(part, "id"), "p4");
    assert_string_equal(str_at(part, "name"), "Lê Văn Cường");
    json_decref(obj);

    const char *reasons[] = {"left", "disconnected", "timeout"};
    for (int i = 0; i < 3; i++) {
        obj = load_built(hn_proto_build_participant_left("p1", (HnProtoLeaveReason)i),
                         "participant-left");
        assert_string_equal(str_at(obj, "id"), "p1");
        assert_string_equal(str_at(obj, "reason"), reasons[i]);
        json_decref(obj);
    }
}

/* The room's ACTIVE_SPEAKER event as the client receives it (signaling/room_json.c). */
static void test_build_active_speaker(void **state)
{
    (void)state;
    const char *ids[] = {"p3", "p5"};
    HnRoomEvent ev = {.type = HN_RE_ACTIVE_SPEAKER,
                      .pid = 3,
                      .participant_id = "p3",
                      .speaking = ids,
                      .n_speaking = 2};
    HnRoomOut o = {.type = HN_ROOM_OUT_EVENT, .event = &ev};
    char *text = hn_room_json(&o);
    assert_string_equal(text,
                        "{\"type\":\"active-speaker\",\"id\":\"p3\",\"speaking\":[\"p3\",\"p5\"]}");
    free(text);
    /* Nobody (the dominant speaker left, nobody speaks): id null, empty list. */
    ev = (HnRoomEvent){.type = HN_RE_ACTIVE_SPEAKER};
    json_t *obj = load_built(hn_room_json(&o), "active-speaker");
    assert_true(json_is_null(json_object_get(obj, "id")));
    assert_int_equal(json_array_size(json_object_get(obj, "speaking")), 0);
    json_decref(obj);
}

/* Last-N's VIDEO_PAUSED event as the viewer receives it. */
static void test_build_video_paused(void **state)
{
    (void)state;
    HnRoomEvent ev = {
        .type = HN_RE_VIDEO_PAUSED, .pid = 4, .participant_id = "p4", .to = 2, .paused = true};
    HnRoomOut o = {.type = HN_ROOM_OUT_EVENT, .event = &ev};
    char *text = hn_room_json(&o);
    assert_string_equal(
        text,
        "{\"type\":\"video-paused\",\"participant\":\"p4\",\"paused\":true,\"reason\":\"last-n\"}");
    free(text);
    ev.paused = false;
    json_t *obj = load_built(hn_room_json(&o), "video-paused");
    assert_true(json_is_false(json_object_get(obj, "paused")));
    json_decref(obj);
}

static void test_build_sdp(void **state)
{
    const char *sdp = "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\n";
    json_t *obj = load_built(hn_proto_build_answer(sdp), "answer");
    assert_string_equal(str_at(obj, "sdp"), sdp);
    json_decref(obj);

    HnProtoTrack tracks[] = {{"0", "p1", HN_PROTO_KIND_AUDIO, NULL},
                             {"1", "p1", HN_PROTO_KIND_VIDEO, "screen"}};
    obj = load_built(hn_proto_build_offer(sdp, tracks, 2), "offer");
    assert_string_equal(str_at(obj, "sdp"), sdp);
    json_t *list = json_object_get(obj, "tracks");
    assert_int_equal(json_array_size(list), 2);
    assert_string_equal(str_at(json_array_get(list, 1), "mid"), "1");
    assert_string_equal(str_at(json_array_get(list, 1), "participant"), "p1");
    assert_string_equal(str_at(json_array_get(list, 0), "kind"), "audio");
    assert_string_equal(str_at(json_array_get(list, 1), "kind"), "video");
    assert_null(json_object_get(json_array_get(list, 0), "source"));
    assert_string_equal(str_at(json_array_get(list, 1), "source"), "screen");
    json_decref(obj);

    obj = load_built(hn_proto_build_offer(sdp, NULL, 0), "offer");
    assert_int_equal(json_array_size(json_object_get(obj, "tracks")), 0);
    json_decref(obj);
    assert_null(hn_proto_build_answer("\xc3"));
}

static void test_build_candidate_pong_error(void **state)
{
    json_t *obj = load_built(
        hn_proto_build_candidate(HN_PROTO_PC_PUB, "candidate:1 1 UDP 1 127.0.0.1 4 typ host", "0"),
        "candidate");
    assert_string_equal(str_at(obj, "pc"), "pub");
    assert_string_equal(str_at(obj, "candidate"), "candidate:1 1 UDP 1 127.0.0.1 4 typ host");
    assert_string_equal(str_at(obj, "sdpMid"), "0");
    json_decref(obj);

    obj = load_built(hn_proto_build_candidate(HN_PROTO_PC_SUB, NULL, NULL), "candidate");
    assert_string_equal(str_at(obj, "pc"), "sub");
    assert_true(json_is_null(json_object_get(obj, "candidate")));
    assert_true(json_is_null(json_object_get(obj, "sdpMid")));
    json_decref(obj);

    obj = load_built(hn_proto_build_pong(), "pong");
    assert_int_equal(json_object_size(obj), 1);
    json_decref(obj);

    obj = load_built(hn_proto_attach_id(hn_proto_build_ack("moderate"), "7"), "ack");
    assert_string_equal(str_at(obj, "ref"), "moderate");
    assert_int_equal(json_integer_value(json_object_get(obj, "id")), 7);
    json_decref(obj);

    obj = load_built(hn_proto_build_error(HN_PROTO_ERR_ROOM_FULL, "room is full", "join"), "error");
    assert_string_equal(str_at(obj, "code"), "room-full");
    assert_string_equal(str_at(obj, "message"), "room is full");
    assert_string_equal(str_at(obj, "ref"), "join");
    json_decref(obj);

    obj = load_built(hn_proto_build_error(HN_PROTO_ERR_BAD_JSON, "x", NULL), "error");
    assert_null(json_object_get(obj, "ref"));
    json_decref(obj);

    /* admission control: server-busy with the retry hint */
    obj = load_built(
        hn_proto_attach_id(hn_proto_build_error_retry(HN_PROTO_ERR_SERVER_BUSY, "busy", "join", 10),
                           "\"j1\""),
        "error");
    assert_string_equal(str_at(obj, "code"), "server-busy");
    assert_string_equal(str_at(obj, "ref"), "join");
    assert_int_equal(json_integer_value(json_object_get(obj, "retry_after")), 10);
    assert_string_equal(str_at(obj, "id"), "j1");
    json_decref(obj);

    /* a parse refusal round-trips into an error message */
    HnProtoMsg msg;
    HnProtoError err;
    assert_int_equal(parse("{\"type\":\"join\",\"room\":\"a b\",\"name\":\"x\"}", &msg, &err),
                     -EINVAL);
    obj = load_built(hn_proto_build_error_from(&err), "error");
    assert_string_equal(str_at(obj, "code"), "bad-field");
    assert_string_equal(str_at(obj, "ref"), "join");
    assert_string_equal(str_at(obj, "message"), err.message);
    json_decref(obj);
}

/* The id of text as parsed: its JSON text, or NULL. */
static void expect_id(const char *text, const char *id_json)
{
    HnProtoMsg msg;
    HnProtoError err;
    if (parse(text, &msg, &err) != 0)
        fail_msg("refused %s: %s", text, err.message);
    if (id_json == NULL)
        assert_null(msg.id_json);
    else
        assert_string_equal(msg.id_json, id_json);
    hn_proto_msg_clear(&msg);
    assert_null(msg.id_json);
}

static void test_request_id(void **state)
{
    expect_id("{\"type\":\"ping\"}", NULL);
    expect_id("{\"type\":\"ping\",\"id\":\"a1\"}", "\"a1\"");
    expect_id("{\"id\":42,\"type\":\"leave\"}", "42");
    expect_id("{\"id\":-7,\"type\":\"leave\"}", "-7");
    expect_id("{\"id\":\"\",\"type\":\"ping\"}", "\"\"");
    expect_id("{\"type\":\"join\",\"room\":\"r\",\"name\":\"n\",\"id\":\"Nguyễn\"}", "\"Nguyễn\"");
    /* 64 characters (not bytes) are allowed, 65 are not */
    GString *t = g_string_new("{\"type\":\"ping\",\"id\":\"");
    for (int i = 0; i < 64; i++)
        g_string_append(t, "ư");
    g_string_append(t, "\"}");
    HnProtoMsg msg;
    HnProtoError err;
    assert_int_equal(parse(t->str, &msg, &err), 0);
    assert_int_equal(g_utf8_strlen(msg.id_json, -1), 66);
    hn_proto_msg_clear(&msg);
    g_string_insert(t, 21, "x");
    expect_bad_field(t->str, "ping", "id");
    g_string_free(t, TRUE);

    /* an invalid id is a bad field (and is not echoed); a float, object, array, bool, null */
    const char *bad[] = {"1.5", "{}", "[1]", "true", "null"};
    for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
        g_autofree char *text = g_strdup_printf("{\"type\":\"ping\",\"id\":%s}", bad[i]);
        expect_bad_field(text, "ping", "id");
        assert_int_equal(parse(text, &msg, &err), -EINVAL);
        assert_string_equal(err.id_json, "");
        json_t *obj = load_built(hn_proto_build_error_from(&err), "error");
        assert_null(json_object_get(obj, "id"));
        json_decref(obj);
    }

    /* refusals echo a valid id with its JSON type: bad field, bad type */
    assert_int_equal(
        parse("{\"type\":\"join\",\"id\":\"j1\",\"room\":\"a b\",\"name\":\"x\"}", &msg, &err),
        -EINVAL);
    json_t *obj = load_built(hn_proto_build_error_from(&err), "error");
    assert_string_equal(str_at(obj, "id"), "j1");
    assert_string_equal(str_at(obj, "code"), "bad-field");
    json_decref(obj);
    assert_int_equal(parse("{\"type\":\"nope\",\"id\":17}", &msg, &err), -EINVAL);
    obj = load_built(hn_proto_build_error_from(&err), "error");
    assert_true(json_is_integer(json_object_get(obj, "id")));
    assert_int_equal(json_integer_value(json_object_get(obj, "id")), 17);
    assert_string_equal(str_at(obj, "code"), "bad-type");
    json_decref(obj);
    /* no id, or bad JSON: no id in the error */
    assert_int_equal(parse("{\"type\":\"nope\"}", &msg, &err), -EINVAL);
    obj = load_built(hn_proto_build_error_from(&err), "error");
    assert_null(json_object_get(obj, "id"));
    json_decref(obj);
}

static void test_attach_id(void **state)
{
    /* NULL id: the same text comes back */
    char *text = hn_proto_build_pong();
    assert_ptr_equal(hn_proto_attach_id(text, NULL), text);
    free(text);
    assert_null(hn_proto_attach_id(NULL, "1"));

    json_t *obj = load_built(hn_proto_attach_id(hn_proto_build_pong(), "\"a\\\"b\""), "pong");
    assert_string_equal(str_at(obj, "id"), "a\"b");
    json_decref(obj);
    obj = load_built(hn_proto_attach_id(hn_proto_build_pong(), "12345678901"), "pong");
    assert_int_equal(json_integer_value(json_object_get(obj, "id")), 12345678901LL);
    json_decref(obj);

    /* round trip: what a message carried is what its reply carries */
    HnProtoMsg msg;
    HnProtoError err;
    assert_int_equal(parse("{\"type\":\"publish\",\"sdp\":\"v=0\",\"id\":\"pub-1\"}", &msg, &err),
                     0);
    obj = load_built(hn_proto_attach_id(hn_proto_build_answer("v=0"), msg.id_json), "answer");
    assert_string_equal(str_at(obj, "id"), "pub-1");
    assert_string_equal(str_at(obj, "sdp"), "v=0");
    json_decref(obj);
    hn_proto_msg_clear(&msg);

    /* joined: the request id replaces "id"; the participant's id stays in "self" */
    obj = load_built(hn_proto_attach_id(hn_proto_build_joined("p3", "r", NULL, 0), "9"), "joined");
    assert_int_equal(json_integer_value(json_object_get(obj, "id")), 9);
    assert_string_equal(str_at(obj, "self"), "p3");
    json_decref(obj);
}

static void test_build_connected(void **state)
{
    json_t *obj = load_built(hn_proto_build_connected(HN_PROTO_PC_PUB), "connected");
    assert_string_equal(str_at(obj, "pc"), "pub");
    assert_int_equal(json_object_size(obj), 2);
    json_decref(obj);
    obj = load_built(hn_proto_build_connected(HN_PROTO_PC_SUB), "connected");
    assert_string_equal(str_at(obj, "pc"), "sub");
    json_decref(obj);
}

static void test_view(void **state)
{
    HnProtoMsg msg;
    HnProtoError err;
    assert_int_equal(parse("{\"type\":\"view\",\"tiles\":[{\"participant\":\"p12\",\"width\":320,"
                           "\"height\":180.6},{\"participant\":\"p3\",\"width\":0,\"height\":0}]}",
                           &msg, &err),
                     0);
    assert_int_equal(msg.type, HN_PROTO_MSG_VIEW);
    assert_int_equal(msg.u.view.n_tiles, 2);
    assert_string_equal(msg.u.view.tiles[0].participant, "p12");
    assert_int_equal(msg.u.view.tiles[0].width, 320);
    assert_int_equal(msg.u.view.tiles[0].height, 180);
    assert_int_equal(msg.u.view.tiles[1].width, 0);
    hn_proto_msg_clear(&msg);
    assert_int_equal(parse("{\"type\":\"view\",\"tiles\":[]}", &msg, &err), 0);
    assert_int_equal(msg.u.view.n_tiles, 0);
    hn_proto_msg_clear(&msg);
    assert_string_equal(hn_proto_msg_type_name(HN_PROTO_MSG_VIEW), "view");
    expect_bad_field("{\"type\":\"view\"}", "view", "tiles");
    expect_bad_field("{\"type\":\"view\",\"tiles\":{}}", "view", "tiles");
    expect_bad_field("{\"type\":\"view\",\"tiles\":[1]}", "view", "tiles");
    expect_bad_field(
        "{\"type\":\"view\",\"tiles\":[{\"participant\":\"x1\",\"width\":1,\"height\":1}]}", "view",
        "tiles");
    expect_bad_field(
        "{\"type\":\"view\",\"tiles\":[{\"participant\":\"p1\",\"width\":-1,\"height\":1}]}",
        "view", "tiles");
    expect_bad_field(
        "{\"type\":\"view\",\"tiles\":[{\"participant\":\"p1\",\"width\":1,\"height\":99999}]}",
        "view", "tiles");
    expect_bad_field(
        "{\"type\":\"view\",\"tiles\":[{\"participant\":\"p1\",\"width\":\"1\",\"height\":1}]}",
        "view", "tiles");
    GString *many = g_string_new("{\"type\":\"view\",\"tiles\":[");
    for (int i = 0; i < 65; i++)
        g_string_append_printf(many, "%s{\"participant\":\"p%d\",\"width\":1,\"height\":1}",
                               i ? "," : "", i + 1);
    g_string_append(many, "]}");
    expect_bad_field(many->str, "view", "tiles");
    g_string_free(many, TRUE);
}

static void test_build_layers(void **state)
{
    const char *rids[] = {"q", "h"};
    json_t *obj = load_built(hn_proto_build_layers("1", rids, 2), "layers");
    assert_string_equal(str_at(obj, "mid"), "1");
    json_t *a = json_object_get(obj, "active");
    assert_true(json_is_array(a));
    assert_int_equal(json_array_size(a), 2);
    assert_string_equal(json_string_value(json_array_get(a, 1)), "h");
    json_decref(obj);
}

static void test_build_link(void **state)
{
    json_t *obj = load_built(hn_proto_build_link(734000, "twcc", 0.25), "link");
    assert_int_equal(json_integer_value(json_object_get(obj, "bps")), 734000);
    assert_string_equal(str_at(obj, "source"), "twcc");
    assert_true(json_real_value(json_object_get(obj, "loss")) == 0.25);
    assert_int_equal(json_object_size(obj), 4);
    json_decref(obj);
}

static void test_lobby_requests(void **state)
{
    HnProtoMsg msg;
    HnProtoError err;
    assert_int_equal(parse("{\"type\":\"admit\",\"id\":7,\"participant\":\"p12\"}", &msg, &err), 0);
    assert_int_equal(msg.type, HN_PROTO_MSG_ADMIT);
    assert_int_equal(msg.u.lobby.participant, 12);
    assert_false(msg.u.lobby.all);
    assert_string_equal(msg.id_json, "7");
    hn_proto_msg_clear(&msg);
    assert_int_equal(parse("{\"type\":\"admit\",\"all\":true}", &msg, &err), 0);
    assert_true(msg.u.lobby.all);
    assert_int_equal(msg.u.lobby.participant, 0);
    hn_proto_msg_clear(&msg);
    assert_int_equal(parse("{\"type\":\"deny\",\"participant\":\"p3\"}", &msg, &err), 0);
    assert_int_equal(msg.type, HN_PROTO_MSG_DENY);
    assert_int_equal(msg.u.lobby.participant, 3);
    hn_proto_msg_clear(&msg);
    assert_string_equal(hn_proto_msg_type_name(HN_PROTO_MSG_DENY), "deny");
    expect_bad_field("{\"type\":\"admit\"}", "admit", "participant");
    expect_bad_field("{\"type\":\"admit\",\"all\":false}", "admit", "participant");
    expect_bad_field("{\"type\":\"admit\",\"all\":1}", "admit", "all");
    expect_bad_field("{\"type\":\"deny\",\"all\":true}", "deny", "participant");
    expect_bad_field("{\"type\":\"deny\",\"participant\":\"p0\"}", "deny", "participant");
    expect_bad_field("{\"type\":\"deny\",\"participant\":\"q1\"}", "deny", "participant");
    expect_bad_field("{\"type\":\"deny\",\"participant\":12}", "deny", "participant");
    expect_bad_field("{\"type\":\"deny\",\"participant\":\"p99999999999999999999\"}", "deny",
                     "participant");
    assert_string_equal(hn_proto_error_code_name(HN_PROTO_ERR_DENIED), "denied");
    assert_string_equal(hn_proto_error_code_name(HN_PROTO_ERR_LOBBY_TIMEOUT), "lobby-timeout");
}

static void test_build_lobby(void **state)
{
    json_t *obj = load_built(hn_proto_build_lobby("hoi-dong", 2, false), "lobby");
    assert_string_equal(str_at(obj, "room"), "hoi-dong");
    assert_int_equal(json_integer_value(json_object_get(obj, "position")), 2);
    assert_true(json_is_false(json_object_get(obj, "chair_present")));
    json_decref(obj);
    HnProtoParticipant w[] = {{"p4", "Xã A", "member"}, {"p9", "Sở B", "secretary"}};
    obj = load_built(hn_proto_build_lobby_list("hoi-dong", w, 2), "lobby-list");
    json_t *list = json_object_get(obj, "waiting");
    assert_int_equal(json_array_size(list), 2);
    assert_string_equal(str_at(json_array_get(list, 1), "name"), "Sở B");
    assert_string_equal(str_at(json_array_get(list, 0), "id"), "p4");
    json_decref(obj);
    obj = load_built(hn_proto_build_lobby_list("r", NULL, 0), "lobby-list");
    assert_int_equal(json_array_size(json_object_get(obj, "waiting")), 0);
    json_decref(obj);
}

static void test_moderation_messages(void **state)
{
    (void)state;
    HnProtoMsg msg;
    HnProtoError err;
    assert_int_equal(parse("{\"type\":\"state\",\"audio\":false}", &msg, &err), 0);
    assert_int_equal(msg.type, HN_PROTO_MSG_STATE);
    assert_int_equal(msg.u.state.audio, 0);
    assert_int_equal(msg.u.state.video, -1);
    hn_proto_msg_clear(&msg);
    expect_bad_field("{\"type\":\"state\"}", "state", "audio");
    expect_bad_field("{\"type\":\"state\",\"video\":1}", "state", "audio");
    assert_int_equal(parse("{\"type\":\"hand\",\"raised\":true,\"id\":3}", &msg, &err), 0);
    assert_true(msg.u.hand.raised);
    hn_proto_msg_clear(&msg);
    expect_bad_field("{\"type\":\"hand\"}", "hand", "raised");
    assert_int_equal(parse("{\"type\":\"moderate\",\"action\":\"mute\",\"participant\":\"p12\","
                           "\"kind\":\"video\"}",
                           &msg, &err),
                     0);
    assert_string_equal(msg.u.moderate.action, "mute");
    assert_string_equal(msg.u.moderate.participant, "p12");
    assert_int_equal(msg.u.moderate.kind, HN_PROTO_KIND_VIDEO);
    hn_proto_msg_clear(&msg);
    assert_int_equal(parse("{\"type\":\"moderate\",\"action\":\"lock\"}", &msg, &err), 0);
    assert_null(msg.u.moderate.participant);
    assert_int_equal(msg.u.moderate.kind, HN_PROTO_KIND_AUDIO);
    hn_proto_msg_clear(&msg);
    expect_bad_field("{\"type\":\"moderate\"}", "moderate", "action");
    expect_bad_field("{\"type\":\"moderate\",\"action\":\"DROP TABLE\"}", "moderate", "action");
    expect_bad_field("{\"type\":\"moderate\",\"action\":\"mute\",\"participant\":\"x1\"}",
                     "moderate", "participant");
    expect_bad_field("{\"type\":\"moderate\",\"action\":\"mute\",\"kind\":\"screen\"}", "moderate",
                     "kind");
    assert_string_equal(hn_proto_error_code_name(HN_PROTO_ERR_MEETING_LOCKED), "meeting-locked");
    assert_int_equal(parse("{\"type\":\"record\",\"action\":\"start\"}", &msg, &err), 0);
    assert_int_equal(msg.type, HN_PROTO_MSG_RECORD);
    assert_true(msg.u.record.start);
    hn_proto_msg_clear(&msg);
    assert_int_equal(parse("{\"type\":\"record\",\"action\":\"stop\"}", &msg, &err), 0);
    assert_false(msg.u.record.start);
    hn_proto_msg_clear(&msg);
    expect_bad_field("{\"type\":\"record\"}", "record", "action");
    expect_bad_field("{\"type\":\"record\",\"action\":\"pause\"}", "record", "action");
    json_t *rec =
        load_built(hn_proto_build_recording(true, 1796480000000, "Chủ tọa", "chair"), "recording");
    assert_true(json_is_true(json_object_get(rec, "on")));
    assert_int_equal(json_integer_value(json_object_get(rec, "since")), 1796480000000);
    assert_string_equal(str_at(rec, "by"), "Chủ tọa");
    json_decref(rec);
    rec = load_built(hn_proto_build_recording(false, 0, NULL, "disk"), "recording");
    assert_true(json_is_null(json_object_get(rec, "since")) &&
                json_is_null(json_object_get(rec, "by")));
    assert_string_equal(str_at(rec, "reason"), "disk");
    json_decref(rec);
}

static bool lookup_p2(void *user, const char *id, HnProtoPartState *out)
{
    (void)user;
    if (strcmp(id, "p2") != 0)
        return false;
    *out = (HnProtoPartState){
        .id = "p2", .name = "B", .role = "member", .audio_locked = true, .hand = 2};
    return true;
}

static void test_build_moderation(void **state)
{
    (void)state;
    HnProtoPartState st = {.id = "p4",
                           .name = "Sở Y tế",
                           .role = "site",
                           .audio = true,
                           .video_locked = true,
                           .hand = 1,
                           .chair = false};
    json_t *obj = load_built(hn_proto_build_participant_updated(&st), "participant-updated");
    json_t *p = json_object_get(obj, "participant");
    assert_string_equal(str_at(p, "role"), "site");
    assert_true(json_is_true(json_object_get(p, "audio")));
    assert_true(json_is_false(json_object_get(p, "video")));
    assert_true(json_is_true(json_object_get(p, "video_locked")));
    assert_int_equal(json_integer_value(json_object_get(p, "hand")), 1);
    json_decref(obj);
    st.hand = 0;
    obj = load_built(hn_proto_build_participant_updated(&st), "participant-updated");
    assert_true(json_is_null(json_object_get(json_object_get(obj, "participant"), "hand")));
    json_decref(obj);
    char *list = hn_proto_build_participant_list(&st, 1);
    json_t *arr = json_loads(list, 0, NULL);
    assert_int_equal(json_array_size(arr), 1);
    json_decref(arr);
    free(list);
    obj = load_built(hn_proto_build_unmute_request(HN_PROTO_KIND_AUDIO, "p1"), "unmute-request");
    assert_string_equal(str_at(obj, "kind"), "audio");
    assert_string_equal(str_at(obj, "by"), "p1");
    json_decref(obj);
    obj = load_built(hn_proto_build_removed(NULL), "removed");
    assert_true(json_is_null(json_object_get(obj, "by")));
    json_decref(obj);
    json_decref(load_built(hn_proto_build_meeting_ended("p1"), "meeting-ended"));
    obj = load_built(hn_proto_build_room_state(true), "room-state");
    assert_true(json_is_true(json_object_get(obj, "locked")));
    json_decref(obj);
    /* joined and participant-joined get every participant's state */
    HnProtoParticipant others[] = {{"p2", "B", "member"}, {"p3", "C", NULL}};
    obj = load_built(hn_proto_decorate_participants(
                         hn_proto_build_joined_as("p2", "r", "member", others, 2), lookup_p2, NULL),
                     "joined");
    json_t *b = json_array_get(json_object_get(obj, "participants"), 0);
    assert_true(json_is_true(json_object_get(b, "audio_locked")));
    assert_null(json_object_get(json_array_get(json_object_get(obj, "participants"), 1), "hand"));
    assert_int_equal(
        json_integer_value(json_object_get(json_object_get(obj, "participant"), "hand")), 2);
    json_decref(obj);
    obj = load_built(hn_proto_decorate_participants(hn_proto_build_participant_joined(&others[0]),
                                                    lookup_p2, NULL),
                     "participant-joined");
    assert_int_equal(
        json_integer_value(json_object_get(json_object_get(obj, "participant"), "hand")), 2);
    json_decref(obj);
    /* other messages pass through */
    char *pong = hn_proto_build_pong();
    assert_ptr_equal(hn_proto_decorate_participants(pong, lookup_p2, NULL), pong);
    free(pong);
}

static void test_error_budget(void **state)
{
    const int64_t s = 1000000;
    HnErrorBudget b;
    hn_error_budget_init(&b);
    for (int i = 0; i < 9; i++)
        assert_false(hn_error_budget_hit(&b, 5 * s + i * s));
    assert_true(hn_error_budget_hit(&b, 5 * s + 9 * s + s / 2)); /* 10 within 9.5 s */

    /* one error every 1.2 s never reaches 10 within 10 s (10 span 10.8 s) */
    hn_error_budget_init(&b);
    for (int i = 0; i < 50; i++)
        assert_false(hn_error_budget_hit(&b, i * 12 * s / 10));

    /* the window is 10 s: a 10th error exactly 10 s after the 1st is allowed, 1 us less not */
    hn_error_budget_init(&b);
    assert_false(hn_error_budget_hit(&b, 0));
    for (int i = 0; i < 8; i++)
        assert_false(hn_error_budget_hit(&b, 5 * s));
    assert_false(hn_error_budget_hit(&b, 10 * s));
    hn_error_budget_init(&b);
    assert_false(hn_error_budget_hit(&b, 0));
    for (int i = 0; i < 8; i++)
        assert_false(hn_error_budget_hit(&b, 5 * s));
    assert_true(hn_error_budget_hit(&b, 10 * s - 1));
    /* and it stays over budget while errors keep coming fast */
    assert_true(hn_error_budget_hit(&b, 10 * s));

    /* a burst after a quiet period */
    hn_error_budget_init(&b);
    assert_false(hn_error_budget_hit(&b, 0));
    for (int i = 0; i < 8; i++)
        assert_false(hn_error_budget_hit(&b, 100 * s + i));
    assert_false(hn_error_budget_hit(&b, 100 * s + 8)); /* 9 recent + 1 old: 9 within 10 s */
    assert_true(hn_error_budget_hit(&b, 100 * s + 9));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_join),
        cmocka_unit_test(test_join_invalid),
        cmocka_unit_test(test_name_rule),
        cmocka_unit_test(test_publish_answer),
        cmocka_unit_test(test_candidate),
        cmocka_unit_test(test_ping_leave),
        cmocka_unit_test(test_bad_type),
        cmocka_unit_test(test_bad_json),
        cmocka_unit_test(test_nesting),
        cmocka_unit_test(test_size_limit),
        cmocka_unit_test(test_error_names),
        cmocka_unit_test(test_build_joined),
        cmocka_unit_test(test_build_participants),
        cmocka_unit_test(test_build_sdp),
        cmocka_unit_test(test_build_candidate_pong_error),
        cmocka_unit_test(test_request_id),
        cmocka_unit_test(test_attach_id),
        cmocka_unit_test(test_build_connected),
        cmocka_unit_test(test_view),
        cmocka_unit_test(test_build_layers),
        cmocka_unit_test(test_build_link),
        cmocka_unit_test(test_moderation_messages),
        cmocka_unit_test(test_build_moderation),
        cmocka_unit_test(test_build_active_speaker),
        cmocka_unit_test(test_build_video_paused),
        cmocka_unit_test(test_lobby_requests),
        cmocka_unit_test(test_build_lobby),
        cmocka_unit_test(test_error_budget),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
