/* Unit tests of the chat and vote messages of signaling/protocol.c (parse) and
 * protocol_chatvote.c (build): valid and invalid fields, and what the builders write. */
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

static void ok(const char *text, HnProtoMsg *msg)
{
    HnProtoError err;
    int ret = hn_proto_parse(text, strlen(text), msg, &err);
    if (ret != 0)
        fail_msg("refused %.200s: %s", text, err.message);
}

/* Refused as bad-field naming field, with ref. */
static void bad(const char *text, const char *ref, const char *field)
{
    HnProtoMsg msg;
    HnProtoError err;
    assert_int_equal(hn_proto_parse(text, strlen(text), &msg, &err), -EINVAL);
    assert_int_equal(err.code, HN_PROTO_ERR_BAD_FIELD);
    assert_string_equal(err.ref, ref);
    g_autofree char *quoted = g_strdup_printf("'%s'", field);
    if (!strstr(err.message, quoted))
        fail_msg("%s: \"%s\" does not name %s", text, err.message, quoted);
}

static void test_chat(void **state)
{
    (void)state;
    HnProtoMsg m;
    ok("{\"type\":\"chat\",\"text\":\"Xin chào\\nđồng chí\\t!\"}", &m);
    assert_int_equal(m.type, HN_PROTO_MSG_CHAT);
    assert_string_equal(m.u.chat.text, "Xin chào\nđồng chí\t!");
    assert_false(m.u.chat.to_chair);
    hn_proto_msg_clear(&m);
    ok("{\"type\":\"chat\",\"text\":\"riêng\",\"to\":\"chair\",\"id\":3}", &m);
    assert_true(m.u.chat.to_chair);
    assert_string_equal(m.id_json, "3");
    hn_proto_msg_clear(&m);
    ok("{\"type\":\"chat\",\"text\":\"x\",\"to\":null}", &m);
    assert_false(m.u.chat.to_chair);
    hn_proto_msg_clear(&m);
    /* 2000 code points of 3 bytes each pass, 2001 do not */
    GString *s = g_string_new("{\"type\":\"chat\",\"text\":\"");
    for (int i = 0; i < 2000; i++)
        g_string_append(s, "ệ");
    g_string_append(s, "\"}");
    ok(s->str, &m);
    hn_proto_msg_clear(&m);
    g_string_insert(s, 23, "a"); /* after the opening quote */
    bad(s->str, "chat", "text");
    g_string_free(s, TRUE);
    bad("{\"type\":\"chat\"}", "chat", "text");
    bad("{\"type\":\"chat\",\"text\":\"\"}", "chat", "text");
    bad("{\"type\":\"chat\",\"text\":\"  \\n \"}", "chat", "text");
    bad("{\"type\":\"chat\",\"text\":\"a\\u001bb\"}", "chat", "text");
    bad("{\"type\":\"chat\",\"text\":\"a\\u0007\"}", "chat", "text");
    bad("{\"type\":\"chat\",\"text\":5}", "chat", "text");
    bad("{\"type\":\"chat\",\"text\":\"a\",\"to\":\"all\"}", "chat", "to");
    bad("{\"type\":\"chat\",\"text\":\"a\",\"to\":1}", "chat", "to");
}

static void test_votes(void **state)
{
    (void)state;
    HnProtoMsg m;
    ok("{\"type\":\"vote-open\",\"question\":\"Thông qua?\"}", &m);
    assert_int_equal(m.type, HN_PROTO_MSG_VOTE_OPEN);
    assert_int_equal(m.u.vote_open.n_options, 0);
    assert_false(m.u.vote_open.secret);
    hn_proto_msg_clear(&m);
    ok("{\"type\":\"vote-open\",\"question\":\"Q\",\"options\":[\"A\",\"B\"],\"secret\":true}", &m);
    assert_int_equal(m.u.vote_open.n_options, 2);
    assert_string_equal(m.u.vote_open.options[1], "B");
    assert_true(m.u.vote_open.secret);
    hn_proto_msg_clear(&m);
    bad("{\"type\":\"vote-open\"}", "vote-open", "question");
    bad("{\"type\":\"vote-open\",\"question\":\"Q\",\"options\":[\"A\"]}", "vote-open", "options");
    bad("{\"type\":\"vote-open\",\"question\":\"Q\",\"options\":[\"A\",\"A\"]}", "vote-open",
        "options");
    bad("{\"type\":\"vote-open\",\"question\":\"Q\",\"options\":[\"A\",3]}", "vote-open",
        "options");
    bad("{\"type\":\"vote-open\",\"question\":\"Q\",\"options\":[\"1\",\"2\",\"3\",\"4\",\"5\","
        "\"6\",\"7\",\"8\",\"9\",\"10\",\"11\"]}",
        "vote-open", "options");
    bad("{\"type\":\"vote-open\",\"question\":\"Q\",\"secret\":\"yes\"}", "vote-open", "secret");
    ok("{\"type\":\"vote-cast\",\"vote\":7,\"option\":2}", &m);
    assert_int_equal(m.type, HN_PROTO_MSG_VOTE_CAST);
    assert_int_equal(m.u.vote.vote, 7);
    assert_int_equal(m.u.vote.option, 2);
    hn_proto_msg_clear(&m);
    bad("{\"type\":\"vote-cast\",\"vote\":7}", "vote-cast", "option");
    bad("{\"type\":\"vote-cast\",\"vote\":7,\"option\":10}", "vote-cast", "option");
    bad("{\"type\":\"vote-cast\",\"vote\":7,\"option\":-1}", "vote-cast", "option");
    bad("{\"type\":\"vote-cast\",\"vote\":0,\"option\":1}", "vote-cast", "vote");
    bad("{\"type\":\"vote-cast\",\"vote\":\"7\",\"option\":1}", "vote-cast", "vote");
    ok("{\"type\":\"vote-close\",\"vote\":7}", &m);
    assert_int_equal(m.type, HN_PROTO_MSG_VOTE_CLOSE);
    hn_proto_msg_clear(&m);
    bad("{\"type\":\"vote-close\"}", "vote-close", "vote");
}

static json_t *load(char *text)
{
    assert_non_null(text);
    json_t *j = json_loads(text, 0, NULL);
    free(text);
    assert_non_null(j);
    return j;
}

static void test_build(void **state)
{
    (void)state;
    HnProtoChatLine l = {42, 1800000000123, {"p3", "An", "member"}, true, "riêng"};
    json_t *j = load(hn_proto_build_chat(&l));
    assert_string_equal(json_string_value(json_object_get(j, "type")), "chat");
    assert_int_equal(json_integer_value(json_object_get(j, "seq")), 42);
    assert_int_equal(json_integer_value(json_object_get(j, "time")), 1800000000123);
    assert_string_equal(json_string_value(json_object_get(j, "to")), "chair");
    assert_string_equal(json_string_value(json_object_get(json_object_get(j, "from"), "name")),
                        "An");
    json_decref(j);
    HnProtoChatLine two[2] = {l, {43, 1, {"p4", "Bình", NULL}, false, "công khai"}};
    j = load(hn_proto_build_chat_history(two, 2));
    json_t *lines = json_object_get(j, "lines");
    assert_int_equal(json_array_size(lines), 2);
    assert_null(json_object_get(json_array_get(lines, 0), "type"));
    assert_true(json_is_null(json_object_get(json_array_get(lines, 1), "to")));
    json_decref(j);

    const char *opts[] = {"Đồng ý", "Không"};
    unsigned tally[] = {3, 1};
    HnProtoVoter voters[] = {{"An", 0}};
    HnProtoVote v = {.id = 5, .question = "Q", .options = opts, .n_options = 2, .ballots = 4};
    j = load(hn_proto_build_vote(&v));
    json_t *o = json_object_get(j, "vote");
    assert_string_equal(json_string_value(json_object_get(o, "state")), "open");
    assert_null(json_object_get(o, "tally"));
    assert_null(json_object_get(o, "voters"));
    assert_int_equal(json_integer_value(json_object_get(o, "ballots")), 4);
    assert_true(json_is_false(json_object_get(o, "voted")));
    json_decref(j);
    v.closed = true;
    v.voted = true;
    v.tally = tally;
    v.voters = voters;
    v.n_voters = 1;
    j = load(hn_proto_build_vote(&v));
    o = json_object_get(j, "vote");
    assert_string_equal(json_string_value(json_object_get(o, "state")), "closed");
    assert_int_equal(json_integer_value(json_array_get(json_object_get(o, "tally"), 0)), 3);
    assert_int_equal(json_array_size(json_object_get(o, "voters")), 1);
    json_decref(j);
}

static void test_minutes(void **state)
{
    (void)state;
    HnProtoMsg m;
    ok("{\"type\":\"minutes-note\",\"item\":2,\"kind\":\"opinion\",\"who\":\"Lê C\","
       "\"text\":\"Đề nghị\\nbổ sung\",\"id\":\"n1\"}",
       &m);
    assert_int_equal(m.type, HN_PROTO_MSG_MINUTES_NOTE);
    assert_int_equal(m.u.minutes_note.item, 2);
    assert_string_equal(m.u.minutes_note.kind, "opinion");
    assert_string_equal(m.u.minutes_note.who, "Lê C");
    assert_string_equal(m.u.minutes_note.text, "Đề nghị\nbổ sung");
    hn_proto_msg_clear(&m);
    ok("{\"type\":\"minutes-note\",\"kind\":\"decision\",\"who\":null,\"text\":\"x\"}", &m);
    assert_int_equal(m.u.minutes_note.item, 0);
    assert_null(m.u.minutes_note.who);
    hn_proto_msg_clear(&m);
    bad("{\"type\":\"minutes-note\",\"kind\":\"gossip\",\"text\":\"x\"}", "minutes-note", "kind");
    bad("{\"type\":\"minutes-note\",\"item\":101,\"kind\":\"opinion\",\"text\":\"x\"}",
        "minutes-note", "item");
    bad("{\"type\":\"minutes-note\",\"item\":-1,\"kind\":\"opinion\",\"text\":\"x\"}",
        "minutes-note", "item");
    bad("{\"type\":\"minutes-note\",\"kind\":\"opinion\",\"text\":\" \"}", "minutes-note", "text");
    bad("{\"type\":\"minutes-note\",\"kind\":\"opinion\",\"who\":\"a\\nb\",\"text\":\"x\"}",
        "minutes-note", "who");
    ok("{\"type\":\"minutes-absent\",\"kind\":\"site\",\"name\":\"Xã A\",\"reason\":\"Bão\"}", &m);
    assert_int_equal(m.type, HN_PROTO_MSG_MINUTES_ABSENT);
    assert_true(m.u.minutes_absent.site);
    assert_string_equal(m.u.minutes_absent.reason, "Bão");
    hn_proto_msg_clear(&m);
    ok("{\"type\":\"minutes-absent\",\"kind\":\"person\",\"name\":\"Lê C\",\"reason\":null}", &m);
    assert_false(m.u.minutes_absent.site);
    assert_null(m.u.minutes_absent.reason);
    hn_proto_msg_clear(&m);
    bad("{\"type\":\"minutes-absent\",\"kind\":\"room\",\"name\":\"a\"}", "minutes-absent", "kind");
    bad("{\"type\":\"minutes-absent\",\"kind\":\"site\"}", "minutes-absent", "name");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_chat),
        cmocka_unit_test(test_votes),
        cmocka_unit_test(test_build),
        cmocka_unit_test(test_minutes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
