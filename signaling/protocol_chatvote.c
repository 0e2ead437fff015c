/* Server -> client messages of chat and votes (signaling/protocol.h, docs/signaling.md). */
#include <glib.h>
#include <jansson.h>

#include "signaling/protocol.h"

/* json_string that is NULL (not a crash) on NULL or invalid UTF-8. */
static json_t *str_or_null(const char *s)
{
    return s ? json_string(s) : json_null();
}

/* Dumps and releases obj; NULL when any part failed (ok false). */
static char *finish(json_t *obj, bool ok)
{
    char *text = ok && obj ? json_dumps(obj, JSON_COMPACT) : NULL;
    json_decref(obj);
    return text;
}

/* Sets key to value (taken); false when value is NULL or it fails. */
static bool put(json_t *obj, const char *key, json_t *value)
{
    return value && json_object_set_new(obj, key, value) == 0;
}

static json_t *line_new(const HnProtoChatLine *l, bool typed)
{
    json_t *o = json_object(), *from = json_object();
    bool ok = o && from && (!typed || put(o, "type", json_string("chat"))) &&
              put(o, "seq", json_integer(l->seq)) && put(o, "time", json_integer(l->time_ms)) &&
              put(from, "id", str_or_null(l->from.id)) &&
              put(from, "name", str_or_null(l->from.name)) &&
              put(from, "role", str_or_null(l->from.role));
    if (ok) {
        ok = put(o, "from", from);
        from = NULL;
    }
    ok = ok && put(o, "to", l->to_chair ? json_string("chair") : json_null()) &&
         put(o, "text", str_or_null(l->text));
    json_decref(from);
    if (!ok) {
        json_decref(o);
        return NULL;
    }
    return o;
}

char *hn_proto_build_chat(const HnProtoChatLine *line)
{
    g_return_val_if_fail(line != NULL && line->text != NULL, NULL);
    return finish(line_new(line, true), true);
}

char *hn_proto_build_chat_history(const HnProtoChatLine *lines, size_t n)
{
    g_return_val_if_fail(lines != NULL || n == 0, NULL);
    json_t *o = json_object(), *arr = json_array();
    bool ok = o && arr && put(o, "type", json_string("chat-history"));
    for (size_t i = 0; ok && i < n; i++) {
        json_t *l = line_new(&lines[i], false);
        ok = l && json_array_append_new(arr, l) == 0;
    }
    if (ok) {
        ok = put(o, "lines", arr);
        arr = NULL;
    }
    json_decref(arr);
    return finish(o, ok);
}

char *hn_proto_build_vote(const HnProtoVote *v)
{
    g_return_val_if_fail(v != NULL && v->question != NULL, NULL);
    json_t *o = json_object(), *vote = json_object(), *opts = json_array();
    bool ok = o && vote && opts && put(o, "type", json_string("vote"));
    for (size_t i = 0; ok && i < v->n_options; i++)
        ok = json_array_append_new(opts, str_or_null(v->options[i])) == 0;
    ok = ok && put(vote, "id", json_integer(v->id)) &&
         put(vote, "question", json_string(v->question));
    if (ok) {
        ok = put(vote, "options", opts); /* takes opts, even on failure */
        opts = NULL;
    }
    json_decref(opts);
    ok = ok && put(vote, "secret", json_boolean(v->secret)) &&
         put(vote, "state", json_string(v->closed ? "closed" : "open")) &&
         put(vote, "ballots", json_integer(v->ballots)) &&
         put(vote, "voted", json_boolean(v->voted));
    if (ok && v->tally) {
        json_t *t = json_array();
        for (size_t i = 0; t && i < v->n_options; i++)
            json_array_append_new(t, json_integer(v->tally[i]));
        ok = put(vote, "tally", t);
    }
    if (ok && v->voters) {
        json_t *arr = json_array();
        for (size_t i = 0; arr && i < v->n_voters; i++) {
            json_t *e = json_object();
            if (!e || !put(e, "name", str_or_null(v->voters[i].name)) ||
                !put(e, "option", json_integer(v->voters[i].option)) ||
                json_array_append_new(arr, e) != 0) {
                json_decref(arr);
                arr = NULL;
            }
        }
        ok = put(vote, "voters", arr);
    }
    if (ok) {
        ok = put(o, "vote", vote);
        vote = NULL;
    }
    json_decref(vote);
    return finish(o, ok);
}
