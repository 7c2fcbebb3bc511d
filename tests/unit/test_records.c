/*
 * test_records.c - history records written straight into their codec bytes
 * (runtime/engine/engine_records.c, engine_codec.h's CodecWriter): the bytes must be
 * exactly those codec_encode writes for the jansson record the engine built before, or
 * the history and the audit chain of the same inputs would change.
 *
 *   the writer    values of every shape written member by member give codec_encode's
 *                 bytes: the dictionary's keys and others, strings that format 2 keeps
 *                 as times, hex and value words, integers of every size, objects and
 *                 arrays of 0, 15, 16, 200 and 20,000 members (their count written
 *                 when they close: in the tag, or moved up for a varint of 1 to 3
 *                 bytes), nested, jansson values inside
 *   every kind    each record the step writes through record_begin (started, joined
 *                 with and without a threshold, entered, timer, tagged, noted,
 *                 notified of each form, when_failed, stalled, done, failed, cancelled)
 *                 has the bytes of the same record built as a jansson object (as the
 *                 engine built them before, through its adapter record_add, which
 *                 reference_add below keeps) and encoded; and an instance whose
 *                 history count grows past 31 and 127
 *   values        record_value's VM values (lists, maps, times, durations, texts
 *                 that are not UTF-8, reals, deep nesting) against value_to_json's JSON
 *   the outbox    called and sent (record_effect_begin and the key the outbox entry
 *                 adds), with and without an argument, against the adapter's records
 *   the ask       asked (its choices' ids written item by item), answered with and
 *                 without a token, resolved with its votes, escalated, delegated from
 *                 nobody: the same against the adapter
 *   the list      records settle in order; step_record_json reads each back;
 *                 records_keep copies only the kinds the hook wants
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "engine_internal.h"

/* ---- the writer against codec_encode ---- */

static void assert_same_bytes(const StrBuf *a, const StrBuf *b)
{
    assert_false(strbuf_failed(a));
    assert_false(strbuf_failed(b));
    assert_int_equal(a->len, b->len);
    assert_memory_equal(a->data, b->data, a->len);
}

/* Writes `value` through the writer, by its shape (objects and arrays member by
   member, scalars by their own call), so each emitter is used. */
static void write_shape(CodecWriter *w, const json_t *value)
{
    size_t i;
    const char *key;
    json_t *item;
    switch (json_typeof(value)) {
    case JSON_OBJECT:
        codec_write_object(w);
        json_object_foreach((json_t *)value, key, item) {
            codec_write_key(w, key);
            write_shape(w, item);
        }
        codec_write_close(w);
        break;
    case JSON_ARRAY:
        codec_write_array(w);
        json_array_foreach(value, i, item)
            write_shape(w, item);
        codec_write_close(w);
        break;
    case JSON_STRING:
        codec_write_string(w, json_string_value(value), json_string_length(value));
        break;
    case JSON_INTEGER:
        codec_write_integer(w, json_integer_value(value));
        break;
    case JSON_TRUE:
    case JSON_FALSE:
        codec_write_bool(w, json_is_true(value));
        break;
    case JSON_NULL:
        codec_write_null(w);
        break;
    default:
        codec_write_json(w, value);   /* reals: through the jansson value */
        break;
    }
}

static void writer_matches(json_t *value)
{
    StrBuf expected = STRBUF_INIT, written = STRBUF_INIT;
    assert_non_null(value);
    assert_int_equal(codec_encode(value, &expected), CODEC_OK);
    CodecWriter w;
    codec_write_begin(&w, &written);
    write_shape(&w, value);
    assert_int_equal(codec_write_end(&w), CODEC_OK);
    assert_same_bytes(&written, &expected);
    /* and the whole value at once through codec_write_json */
    written.len = 0;
    codec_write_begin(&w, &written);
    codec_write_json(&w, value);
    assert_int_equal(codec_write_end(&w), CODEC_OK);
    assert_same_bytes(&written, &expected);
    strbuf_free(&expected);
    strbuf_free(&written);
    json_decref(value);
}

/* An object of n members ("k0", ...: keys the dictionary does not have, but for the
   first, "id") and an array of n items, nested in an object with `around` before. */
static json_t *wide(size_t n)
{
    json_t *object = json_object(), *array = json_array();
    char key[32];
    for (size_t i = 0; i < n; i++) {
        snprintf(key, sizeof key, i == 0 ? "id" : "k%zu", i);
        json_object_set_new(object, key, json_integer((json_int_t)i * 7 - 3));
        json_array_append_new(array, json_string(i % 2 ? "started" : "x"));
    }
    json_t *record = json_object();
    json_object_set_new(record, "kind", json_string("wide"));
    json_object_set_new(record, "data", object);
    json_object_set_new(record, "list", array);
    json_object_set_new(record, "after", json_true());
    return record;
}

static void test_writer(void **state)
{
    (void)state;
    writer_matches(json_object());
    writer_matches(json_array());
    writer_matches(json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "at", "2026-06-15T06:00:00Z", "due",
                             "2026-06-15T06:00:00.250Z", "version",
                             "afe829ef1cb78aa3f51b8908a6db76618b5a9b1c4710aad70b448098f1d2dac5", "kind",
                             "resolved", "odd", "ABCDEF0123456789", "empty", "", "utf8", "h\xc3\xa9llo"));
    writer_matches(json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:f, s:b, s:b, s:n}", "zero", (json_int_t)0,
                             "small", (json_int_t)31, "past", (json_int_t)32, "negative", (json_int_t)-1,
                             "min", (json_int_t)INT64_MIN, "max", (json_int_t)INT64_MAX, "real", 2.5, "yes", 1,
                             "no", 0, "null"));
    char long_text[300];
    memset(long_text, 'a', sizeof long_text - 1);
    long_text[sizeof long_text - 1] = '\0';
    json_t *texts = json_object();
    json_object_set_new(texts, "long", json_string(long_text));
    json_object_set_new(texts, "sixty-four", json_stringn(long_text, 64));
    json_object_set_new(texts, "sixty-three", json_stringn(long_text, 63));
    writer_matches(texts);
    size_t sizes[] = {15, 16, 127, 128, 200, 16384, 20000};
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++)
        writer_matches(wide(sizes[i]));
    writer_matches(json_pack("{s:{s:[{s:[i,i,{}]}], s:[]}, s:s}", "a", "b", "c", 1, 2, "d", "e", "f"));
}

static void test_writer_too_deep(void **state)
{
    (void)state;
    StrBuf out = STRBUF_INIT;
    CodecWriter w;
    codec_write_begin(&w, &out);
    for (int i = 0; i <= CODEC_WRITER_DEPTH; i++)
        codec_write_array(&w);
    assert_int_equal(codec_write_end(&w), CODEC_TOO_DEEP);
    strbuf_free(&out);
}

/* ---- every kind: record_begin against the jansson records ---- */

typedef struct Both {
    Engine *engine;
    StepRecords written;
    Step ws, as;
    Instance wi, ai;
    json_t *added;                  /* the reference records, as the adapter built them */
} Both;

/* The engine's former adapter record_add: a record begun as a jansson object (the
   caller sets its fields), appended to the reference list. */
static json_t *reference_add(Both *b, const char *kind)
{
    RecordHead head;
    record_head(&b->ai, &head);
    char at[40];
    time_text(b->as.now, at);
    json_t *record = json_object();
    json_object_set_new(record, "at", json_string(at));
    json_object_set_new(record, "instance", json_string(head.instance));
    json_object_set_new(record, "seq", json_integer(head.seq));
    json_object_set_new(record, "kind", json_string(kind));
    json_object_set_new(record, "state", head.state ? json_string(head.state) : json_null());
    json_array_append_new(b->added, record);
    return record;
}

/* Instance i42 of playbook p, in `state` (NULL: before its first), 3 events discarded. */
static void instance_fill(Instance *in, const char *state)
{
    *in = (Instance){.number = 42};
    instance_record_set_number(&in->record, 42);
    assert_int_equal(instance_record_set_text(&in->record.playbook, "p"), 0);
    assert_int_equal(instance_record_set_text(&in->record.state, state), 0);
    in->record.mailbox_discarded = 3;
}

static void both_begin(Both *b, const char *state, int64_t now)
{
    memset(b, 0, sizeof *b);
    step_begin(&b->ws, NULL, NULL, now, &b->written, NULL, 0);
    step_begin(&b->as, NULL, NULL, now, NULL, NULL, 0);
    b->added = json_array();
    instance_fill(&b->wi, state);
    instance_fill(&b->ai, state);
}

/* Settles both lists and checks that each record has the same bytes, instance, seq and
   kind, and that the instances' history counts moved alike. */
static void both_check(Both *b, size_t count)
{
    assert_int_equal(records_settle(&b->written, 0), CODEC_OK);
    assert_int_equal(b->written.count, count);
    assert_int_equal(json_array_size(b->added), count);
    for (size_t i = 0; i < count; i++) {
        StoreBytes w = step_record_bytes(&b->written, i);
        json_t *reference = json_array_get(b->added, i);
        StrBuf a = STRBUF_INIT;
        assert_int_equal(codec_encode(reference, &a), CODEC_OK);
        assert_int_equal(w.len, a.len);
        assert_memory_equal(w.data, a.data, w.len);
        strbuf_free(&a);
        assert_int_equal(b->written.items[i].seq, json_integer_value(json_object_get(reference, "seq")));
        assert_int_equal(b->written.items[i].instance, 42);
        assert_string_equal(b->written.items[i].kind, json_string_value(json_object_get(reference, "kind")));
    }
    assert_int_equal(b->wi.record.history, b->ai.record.history);
    assert_int_equal(b->wi.record.history, count);
}

static void both_end(Both *b)
{
    step_records_free(&b->written);
    json_decref(b->added);
    instance_record_free(&b->wi.record);
    instance_record_free(&b->ai.record);
}

#define NOW INT64_C(1781503200000)   /* 2026-06-15T06:00:00Z */

static void test_every_kind(void **state)
{
    (void)state;
    Both b;
    both_begin(&b, NULL, NOW);
    /* started (engine_events.c), with a case and without */
    CodecWriter *w = record_begin(&b.ws, &b.wi, "started");
    record_text(w, "playbook", "pages");
    record_text(w, "version", "afe829ef1cb78aa3f51b8908a6db76618b5a9b1c4710aad70b448098f1d2dac5");
    record_text(w, "case", "h1");
    record_object(w, "event");
    record_text(w, "source", "ops");
    record_text(w, "type", "alert");
    record_text(w, "id", "a1");
    record_close(w);
    json_t *r = reference_add(&b, "started");
    json_object_set_new(r, "playbook", json_string("pages"));
    json_object_set_new(r, "version", json_string("afe829ef1cb78aa3f51b8908a6db76618b5a9b1c4710aad70b448098f1d2dac5"));
    json_object_set_new(r, "case", json_string("h1"));
    json_object_set_new(r, "event", json_texts("source", "ops", "type", "alert", "id", "a1", NULL));
    w = record_begin(&b.ws, &b.wi, "started");
    record_text(w, "playbook", "pages");
    record_null(w, "case");
    r = reference_add(&b, "started");
    json_object_set_new(r, "playbook", json_string("pages"));
    json_object_set_new(r, "case", json_null());
    /* joined, from a threshold's window */
    json_t *event = json_pack("{s:s, s:s, s:s}", "source", "ops", "type", "alert", "id", "a2");
    w = record_begin(&b.ws, &b.wi, "joined");
    record_object(w, "event");
    record_json(w, "source", json_object_get(event, "source"));
    record_json(w, "type", json_object_get(event, "type"));
    record_json(w, "id", json_object_get(event, "id"));
    record_close(w);
    record_bool(w, "threshold", true);
    r = reference_add(&b, "joined");
    json_object_set_new(r, "event", json_copy(event));
    json_object_set_new(r, "threshold", json_true());
    json_decref(event);
    /* entered: a state */
    assert_int_equal(instance_record_set_text(&b.wi.record.state, "waiting"), 0);
    assert_int_equal(instance_record_set_text(&b.ai.record.state, "waiting"), 0);
    record_begin(&b.ws, &b.wi, "entered");
    reference_add(&b, "entered");
    /* timer: its due time as the engine's text, at whole seconds and not */
    const int64_t dues[] = {NOW + 7200000, NOW + 250};
    for (size_t i = 0; i < 2; i++) {
        char at[40];
        time_text(dues[i], at);
        w = record_begin(&b.ws, &b.wi, "timer");
        record_time(w, "due", dues[i]);
        record_text(w, "what", "after");
        record_text(w, "task", NULL);   /* none: no field */
        record_integer(w, "level", 2);
        r = reference_add(&b, "timer");
        json_object_set_new(r, "due", json_string(at));
        json_object_set_new(r, "what", json_string("after"));
        json_object_set_new(r, "level", json_integer(2));
    }
    /* tagged, noted, when_failed: VM values */
    Value tags = value_list_new(2);
    assert_true(value_list_push(tags, value_string("high", 4)));
    assert_true(value_list_push(tags, value_string("Electro Outlet", 14)));
    record_value(record_begin(&b.ws, &b.wi, "tagged"), "tags", tags);
    json_object_set_new(reference_add(&b, "tagged"), "tags", value_to_json(tags));
    value_release(tags);
    /* notified: a person, a channel, a message; and with an ask's outcome */
    json_t *person = json_string("anna");
    w = record_begin(&b.ws, &b.wi, "notified");
    record_json(w, "person", person);
    record_text(w, "channel", "email");
    record_text(w, "message", "the message");
    r = reference_add(&b, "notified");
    json_object_set(r, "person", person);
    json_object_set_new(r, "channel", json_string("email"));
    json_object_set_new(r, "message", json_string("the message"));
    w = record_begin(&b.ws, &b.wi, "notified");
    record_text(w, "task", "t7");
    record_json(w, "person", person);
    record_text(w, "channel", "slack");
    record_text(w, "outcome", "yes");
    record_text(w, "message", NULL);
    r = reference_add(&b, "notified");
    json_object_set_new(r, "task", json_string("t7"));
    json_object_set(r, "person", person);
    json_object_set_new(r, "channel", json_string("slack"));
    json_object_set_new(r, "outcome", json_string("yes"));
    json_decref(person);
    /* stalled, then the ends */
    record_text(record_begin(&b.ws, &b.wi, "stalled"), "error", "a timer must be due after the engine time");
    json_object_set_new(reference_add(&b, "stalled"), "error",
                        json_string("a timer must be due after the engine time"));
    const char *ends[][2] = {{"done", "outcome"}, {"failed", "error"}, {"cancelled", "reason"}};
    for (size_t i = 0; i < 3; i++) {
        json_t *text = json_string(ends[i][0]);
        w = record_begin(&b.ws, &b.wi, ends[i][0]);
        record_json(w, ends[i][1], text);
        record_integer(w, "discarded", 3);
        r = reference_add(&b, ends[i][0]);
        json_object_set(r, ends[i][1], text);
        json_object_set_new(r, "discarded", json_integer(3));
        json_decref(text);
    }
    both_check(&b, 13);
    both_end(&b);
}

/* The ask's kinds (engine_tasks.c, engine_override.c): arrays written item by item, a
   task's jansson values, fields left out when NULL. */
static void test_task_kinds(void **state)
{
    (void)state;
    Both b;
    both_begin(&b, "decide", NOW);
    json_t *task = json_pack("{s:s, s:s, s:[{s:s},{s:s},{}], s:[{s:s, s:[s,s]}], s:s}", "id", "t3", "question",
                             "Refund order A1?", "choices", "id", "yes", "id", "no", "seats", "who", "person",
                             "holders", "anna", "ming", "deadline", "2026-06-15T10:00:00Z");
    json_t *votes = json_pack("[{s:s, s:s, s:n, s:s, s:i}]", "by", "ming", "choice", "yes", "comment", "at",
                              "2026-06-15T06:20:00Z", "seat", 0);
    /* asked: the choices' ids as an array (a choice without one adds nothing) */
    CodecWriter *w = record_begin(&b.ws, &b.wi, "asked");
    record_json(w, "task", json_object_get(task, "id"));
    record_json(w, "question", json_object_get(task, "question"));
    codec_write_key(w, "choices");
    codec_write_array(w);
    size_t i;
    json_t *choice;
    json_array_foreach(json_object_get(task, "choices"), i, choice)
        if (json_object_get(choice, "id"))
            codec_write_json(w, json_object_get(choice, "id"));
    codec_write_close(w);
    record_json(w, "seats", json_object_get(task, "seats"));
    record_json(w, "deadline", json_object_get(task, "deadline"));
    json_t *r = reference_add(&b, "asked");
    json_object_set(r, "task", json_object_get(task, "id"));
    json_object_set(r, "question", json_object_get(task, "question"));
    json_t *ids = json_array();
    json_array_foreach(json_object_get(task, "choices"), i, choice)
        json_array_append(ids, json_object_get(choice, "id"));
    json_object_set_new(r, "choices", ids);
    json_object_set(r, "seats", json_object_get(task, "seats"));
    json_object_set(r, "deadline", json_object_get(task, "deadline"));
    /* answered, with a token and without */
    for (int token = 0; token < 2; token++) {
        w = record_begin(&b.ws, &b.wi, "answered");
        record_text(w, "task", "t3");
        record_text(w, "by", "ming");
        record_text(w, "token", token ? "tok-1" : NULL);
        record_text(w, "choice", "yes");
        record_json(w, "comment", json_null());
        r = reference_add(&b, "answered");
        json_object_set_new(r, "task", json_string("t3"));
        json_object_set_new(r, "by", json_string("ming"));
        if (token)
            json_object_set_new(r, "token", json_string("tok-1"));
        json_object_set_new(r, "choice", json_string("yes"));
        json_object_set_new(r, "comment", json_null());
    }
    /* resolved and overridden: the votes */
    w = record_begin(&b.ws, &b.wi, "resolved");
    record_text(w, "task", "t3");
    record_text(w, "choice", "yes");
    record_json(w, "votes", votes);
    r = reference_add(&b, "resolved");
    json_object_set_new(r, "task", json_string("t3"));
    json_object_set_new(r, "choice", json_string("yes"));
    json_object_set(r, "votes", votes);
    /* escalated (people added by seat), delegated from nobody */
    json_t *added = json_pack("{s:[s], s:[s,s]}", "0", "craig", "1", "lars", "olga");
    w = record_begin(&b.ws, &b.wi, "escalated");
    record_text(w, "task", "t3");
    record_integer(w, "level", 1);
    record_json(w, "added", added);
    r = reference_add(&b, "escalated");
    json_object_set_new(r, "task", json_string("t3"));
    json_object_set_new(r, "level", json_integer(1));
    json_object_set(r, "added", added);
    w = record_begin(&b.ws, &b.wi, "delegated");
    record_json(w, "task", json_object_get(task, "id"));
    record_integer(w, "seat", 0);
    record_null(w, "from");
    record_text(w, "to", "lars");
    r = reference_add(&b, "delegated");
    json_object_set(r, "task", json_object_get(task, "id"));
    json_object_set_new(r, "seat", json_integer(0));
    json_object_set_new(r, "from", json_null());
    json_object_set_new(r, "to", json_string("lars"));
    both_check(&b, 6);
    json_decref(added);
    json_decref(votes);
    json_decref(task);
    both_end(&b);
}

/* An instance's history grows past the small integers and a one-byte varint. */
static void test_long_history(void **state)
{
    (void)state;
    Both b;
    both_begin(&b, "s", NOW);
    for (int i = 0; i < 300; i++) {
        record_begin(&b.ws, &b.wi, "entered");
        reference_add(&b, "entered");
    }
    both_check(&b, 300);
    assert_int_equal(b.written.items[299].seq, 300);
    both_end(&b);
}

/* ---- the outbox's records: called and sent ---- */

/* The adapter's `sent`: the VM's map {connector, operation, arg} merged in, then the key. */
static void reference_sent(Both *b, const json_t *arg, const char *key)
{
    json_t *r = reference_add(b, "sent");
    json_object_update_new(r, json_pack("{s:s, s:s, s:O}", "connector", "crm", "operation", "note", "arg", arg));
    if (key)
        json_object_set_new(r, "key", json_string(key));
}

/* The adapter's `called`: connector, operation, arg (none when absent), then the key. */
static void reference_called(Both *b, const json_t *arg, const char *key)
{
    json_t *r = reference_add(b, "called");
    json_object_set_new(r, "connector", json_string("bank"));
    json_object_set_new(r, "operation", json_string("charge"));
    if (arg)
        json_object_set_new(r, "arg", json_deep_copy(arg));
    if (key)
        json_object_set_new(r, "key", json_string(key));
}

static void test_outbox_records(void **state)
{
    (void)state;
    Both b;
    both_begin(&b, "waiting", NOW);
    json_t *args[] = {json_pack("{s:i, s:s, s:[i,i,{s:b}]}", "amount", 120, "currency", "EUR", "lines", 1, 2, "x", 1),
                      json_null(), json_string("a plain text argument"), NULL};
    size_t count = 0;
    for (size_t i = 0; i < sizeof args / sizeof args[0]; i++) {
        const char *key = i % 2 ? "S:i42:7:3" : NULL;   /* huddle run writes none */
        CodecWriter *w = record_effect_begin(&b.ws, &b.wi, "called", "bank", "charge", args[i]);
        record_text(w, "key", key);
        reference_called(&b, args[i], key);
        count++;
        if (!args[i])
            continue;   /* a send always has its argument */
        w = record_effect_begin(&b.ws, &b.wi, "sent", "crm", "note", args[i]);
        record_text(w, "key", key);
        reference_sent(&b, args[i], key);
        count++;
    }
    both_check(&b, count);
    for (size_t i = 0; i < sizeof args / sizeof args[0]; i++)
        json_decref(args[i]);
    both_end(&b);
}

/* ---- VM values written without jansson (record_value) ---- */

/* A list nested `depth` lists deep around the integer 7. */
static Value nested(int depth)
{
    Value v = value_int(7);
    for (int i = 0; i < depth; i++) {
        Value list = value_list_new(1);
        value_list_push(list, v);
        v = list;
    }
    return v;
}

static void test_values(void **state)
{
    (void)state;
    Both b;
    both_begin(&b, "s", NOW);
    Value map = value_map_new(4);
    value_map_set(map, "when", 4, value_time(INT64_C(1781503200123)));
    value_map_set(map, "for", 3, value_duration(90000));
    value_map_set(map, "who", 3, value_cstring("anna"));
    value_map_set(map, "ok", 2, value_bool(true));
    value_map_set(map, "none", 4, VALUE_NULL);
    Value tags = value_list_new(3);
    value_list_push(tags, value_cstring("sev1"));
    value_list_push(tags, value_cstring("caf\xc3\xa9"));
    value_list_push(tags, map);
    Value bad = value_list_new(2);   /* jansson drops the text that is not UTF-8 */
    value_list_push(bad, value_cstring("a"));
    value_list_push(bad, value_string("\xff\xfe", 2));
    Value values[] = {tags, value_cstring("a note"), value_float(2.5), bad, nested(5), nested(7), nested(12),
                      value_int(-40), value_string("\xc3", 1)};
    size_t count = sizeof values / sizeof values[0];
    for (size_t i = 0; i < count; i++) {
        record_value(record_begin(&b.ws, &b.wi, "noted"), "text", values[i]);
        json_t *json = value_to_json(values[i]);
        if (json)
            json_object_set_new(reference_add(&b, "noted"), "text", json);
        else
            reference_add(&b, "noted");   /* jansson set nothing */
    }
    both_check(&b, count);
    for (size_t i = 0; i < count; i++)
        value_release(values[i]);
    both_end(&b);
}

/* ---- the list ---- */

static void test_list(void **state)
{
    (void)state;
    Both b;
    both_begin(&b, NULL, NOW);
    record_text(record_begin(&b.ws, &b.wi, "stalled"), "error", "one");
    record_effect_begin(&b.ws, &b.wi, "called", "bank", NULL, NULL);
    record_begin(&b.ws, &b.wi, "entered");
    json_t *first = step_record_json(&b.ws, 0), *second = step_record_json(&b.ws, 1),
           *third = step_record_json(&b.ws, 2);
    assert_string_equal(json_string_value(json_object_get(first, "error")), "one");
    assert_int_equal(json_integer_value(json_object_get(first, "seq")), 1);
    assert_string_equal(json_string_value(json_object_get(second, "connector")), "bank");
    assert_int_equal(json_integer_value(json_object_get(third, "seq")), 3);
    assert_string_equal(json_string_value(json_object_get(third, "instance")), "i42");
    assert_int_equal(records_settle(&b.written, 0), CODEC_OK);
    json_t *settled = step_record_json(&b.ws, 1);
    assert_true(json_equal(settled, second));
    json_decref(settled);
    /* records_keep: only the kinds the hook asks for */
    static const char *const KINDS[] = {"entered", "stalled", NULL};
    Engine *e = calloc(1, sizeof *e);
    e->options.on_record = (EngineRecordFn)(void (*)(void))abort;   /* never called here */
    e->options.record_kinds = KINDS;
    StepRecords kept = {0};
    assert_int_equal(records_keep(e, &kept, &b.written), STORE_OK);
    assert_int_equal(kept.count, 2);
    assert_string_equal(kept.items[0].kind, "stalled");
    assert_string_equal(kept.items[1].kind, "entered");
    StoreBytes a = step_record_bytes(&kept, 1), c = step_record_bytes(&b.written, 2);
    assert_int_equal(a.len, c.len);
    assert_memory_equal(a.data, c.data, a.len);
    e->options.record_kinds = NULL;   /* every kind */
    assert_true(engine_wants_record(e, "called"));
    e->options.on_record = NULL;   /* no hook: none */
    assert_false(engine_wants_record(e, "entered"));
    step_records_free(&kept);
    free(e);
    json_decref(first);
    json_decref(second);
    json_decref(third);
    both_end(&b);
}

int main(void)
{
    engine_alloc_init();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_writer),
        cmocka_unit_test(test_writer_too_deep),
        cmocka_unit_test(test_every_kind),
        cmocka_unit_test(test_task_kinds),
        cmocka_unit_test(test_long_history),
        cmocka_unit_test(test_outbox_records),
        cmocka_unit_test(test_values),
        cmocka_unit_test(test_list),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
