/*
 * test_task_record.c - an ask's task as a struct and its own encoding
 * (runtime/engine/engine_task_record.c; docs/internals.md, "The task record").
 *
 *   round trip    a task with every member (seats answered, acked, with and without
 *                 "previous" and "on_call"; votes with and without a comment and a
 *                 seat) reads back as the same object, members in the same order, and
 *                 its bytes decoded and encoded again are the same bytes
 *   the struct    every member is there, typed, in the struct
 *   the bytes     the version byte first, fewer bytes than the codec's record
 *   old records   the codec's record (formats 1 and 2) and JSON text read as the same
 *                 object (task_record_load)
 *   untyped       an object with a member the struct does not know, or a member of
 *                 another shape, has no typed form (the engine keeps the codec's then)
 *   damage        every prefix refused, every bit flip refused or read (never a crash,
 *                 never a read past the end: the ASan build runs this too), members
 *                 twice, unknown members and flags, bytes after the end
 *   newer         a record of a newer version is refused as such
 *   built         a record built member by member with the calls the engine's paths use
 *                 (task_record_set_text, _set_int, _set_json, _add_seat, _add_vote,
 *                 task_texts_add) encodes to the very bytes the JSON object the engine
 *                 used to build encodes to, and renders that object, for varied tasks
 *                 (person and team seats, several holders, quorum asks, votes with and
 *                 without comments, acks, "told", reminders, on_call, the late members)
 *   changed       the changes the engine makes (next_level_due unset and set again goes
 *                 last, nobody_can_answer, outcome, a vote, an ack) keep the struct's
 *                 bytes equal to the JSON object's changed the same way
 *   written       every member written into a history record or a message
 *                 (task_record_write_member) is the bytes of its JSON
 *   ask values    the ask's values are kept as the codec's bytes: a VM value written
 *                 straight into them (engine_write_value, task_keep) is the bytes of
 *                 value_to_json's JSON encoded (codec_encode_value), for every kind of
 *                 value and every member kind; they round-trip; they are read where
 *                 they lie (codec views: kind, integer, item, size, text); damage inside
 *                 one is refused with the decoder's sentence, never read past (ASan); a
 *                 value nested deeper than the codec writes makes the record refuse to
 *                 encode, as the engine's save did
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

#include "engine_codec.h"
#include "engine_internal.h"
#include "engine_task_record.h"
#include "value_json.h"

/* A task as the engine builds one, with every member, "told" where task_create adds it
   and the late ones ("next_level_due", "outcome", "nobody_can_answer") at the end; its
   times as the engine writes them, but asked_at in a form it does not (kept as text). */
static const char FULL[] =
    "{\"id\": \"t12\", \"instance\": \"i7\", \"state\": \"decide\", \"status\": \"resolved\","
    " \"question\": \"Refund A1 \u00e9?\","
    " \"choices\": [{\"id\": \"yes\", \"label\": \"Yes\"}, {\"id\": \"no\", \"with_comment\": true}],"
    " \"quorum\": {\"of\": 2}, \"needed\": 2,"
    " \"seats\": [{\"who\": {\"who\": \"person\", \"id\": \"pat\"}, \"holders\": [\"pat\", \"bea\"],"
    "   \"answered_by\": \"pat\", \"acked\": false, \"previous\": [\"pat\"], \"climbed\": true},"
    "  {\"who\": {\"who\": \"oncall\", \"id\": \"ops\"}, \"holders\": [], \"answered_by\": null,"
    "   \"acked\": true, \"previous\": [], \"on_call\": \"ann\"},"
    "  {\"who\": {\"who\": \"team\", \"id\": \"old\"}, \"holders\": [\"zed\"], \"answered_by\": null,"
    "   \"acked\": false}],"
    " \"votes\": [{\"by\": \"pat\", \"choice\": \"yes\", \"comment\": null, \"at\": \"2026-06-02T09:10:00Z\","
    "   \"seat\": 0}, {\"by\": \"bea\", \"choice\": \"no\", \"comment\": \"too \\\"late\\\"\","
    "   \"at\": \"2026-06-02T09:11:00.250Z\"}],"
    " \"asked_at\": \"2026-06-02T09:00:00.000Z\", \"deadline\": \"2026-06-02T11:00:00Z\","
    " \"deadline_ms\": 1780398000000, \"show\": {\"order\": \"A1\", \"n\": [1, 2.5]},"
    " \"suspension\": 3, \"told\": [\"pat\", \"bea\"],"
    " \"ladder\": [{\"after\": {\"ms\": 3600000}, \"who\": {\"who\": \"person\", \"id\": \"boss\"}}],"
    " \"ladder_after\": [{\"ms\": 3600000}], \"remind_every\": null, \"level\": 1,"
    " \"level_ms\": -5, \"asked_ms\": 1780390800000, \"reminders\": 0, \"no_quorum_arm\": true,"
    " \"next_level_due\": 9223372036854775807, \"outcome\": \"yes\", \"nobody_can_answer\": true}";

static json_t *parse(const char *text)
{
    json_error_t error;
    json_t *json = json_loads(text, JSON_ALLOW_NUL, &error);
    if (!json)
        fail_msg("test JSON: %s", error.text);
    return json;
}

static char *dump(const json_t *json)
{
    char *text = json_dumps(json, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    assert_non_null(text);
    return text;
}

static void assert_same_json(const json_t *a, const json_t *b)
{
    char *x = dump(a), *y = dump(b);
    assert_string_equal(x, y);
    free(x);
    free(y);
}

static void encode_full(StrBuf *bytes)
{
    json_t *task = parse(FULL);
    assert_int_equal(task_record_encode_json(task, bytes), TASK_RECORD_OK);
    json_decref(task);
}

static void test_round_trip(void **state)
{
    (void)state;
    json_t *task = parse(FULL);
    StrBuf bytes = STRBUF_INIT, again = STRBUF_INIT;
    assert_int_equal(task_record_encode_json(task, &bytes), TASK_RECORD_OK);
    TaskRecord r;
    char why[200] = "";
    assert_int_equal(task_record_decode(bytes.data, bytes.len, &r, why, sizeof why), TASK_RECORD_OK);
    json_t *back = task_record_json(&r);
    assert_same_json(task, back);           /* the same members, in the same order */
    assert_int_equal(task_record_encode(&r, &again), 0);
    assert_int_equal(again.len, bytes.len);
    assert_memory_equal(again.data, bytes.data, bytes.len);
    json_t *loaded;
    assert_int_equal(task_record_load(bytes.data, bytes.len, &loaded, why, sizeof why), CODEC_OK);
    assert_same_json(task, loaded);
    json_decref(loaded);
    json_decref(back);
    json_decref(task);
    task_record_free(&r);
    strbuf_free(&bytes);
    strbuf_free(&again);
}

static void test_struct(void **state)
{
    (void)state;
    json_t *task = parse(FULL);
    TaskRecord r;
    assert_int_equal(task_record_from_json(task, &r), TASK_RECORD_OK);
    json_decref(task);
    assert_int_equal(r.field_count, TASK_FIELD_COUNT);
    assert_int_equal(r.order[0], TASK_ID);
    assert_int_equal(r.order[15], TASK_TOLD);      /* where task_create adds it */
    assert_int_equal(r.order[TASK_FIELD_COUNT - 1], TASK_NOBODY_CAN_ANSWER);
    assert_string_equal(r.id, "t12");
    assert_string_equal(r.instance, "i7");
    assert_string_equal(r.status, "resolved");
    assert_string_equal(r.outcome, "yes");
    CodecView v;
    task_record_view(&r, r.state, &v);
    assert_true(codec_view_text_is(&v, "decide"));
    task_record_view(&r, r.question, &v);
    assert_true(codec_view_text_is(&v, "Refund A1 \xc3\xa9?"));
    task_record_view(&r, r.choices, &v);
    assert_int_equal(codec_view_array_size(&v), 2);
    assert_int_equal(r.needed, 2);
    assert_int_equal(r.deadline_ms, 1780398000000LL);
    assert_int_equal(r.suspension, 3);
    assert_int_equal(r.level, 1);
    assert_int_equal(r.level_ms, -5);
    assert_int_equal(r.reminders, 0);
    assert_int_equal(r.next_level_due, INT64_MAX);
    assert_true(r.nobody_can_answer);
    assert_int_equal(task_value_kind(&r, r.no_quorum_arm), CODEC_KIND_TRUE);
    assert_int_equal(task_value_kind(&r, r.remind_every), CODEC_KIND_NULL);
    assert_int_equal(r.told.count, 2);
    assert_string_equal(r.told.items[1], "bea");
    assert_int_equal(r.seat_count, 3);
    assert_string_equal(r.seats[0].holders.items[1], "bea");
    assert_string_equal(r.seats[0].answered_by, "pat");
    assert_true(r.seats[0].has_previous);
    assert_true(r.seats[0].climbed);
    assert_false(r.seats[1].climbed);
    assert_null(r.seats[0].on_call);
    assert_null(r.seats[1].answered_by);
    assert_true(r.seats[1].acked);
    assert_int_equal(r.seats[1].holders.count, 0);
    assert_string_equal(r.seats[1].on_call, "ann");
    assert_false(r.seats[2].has_previous);
    assert_int_equal(r.vote_count, 2);
    assert_null(r.votes[0].comment);
    assert_true(r.votes[0].has_seat);
    assert_int_equal(r.votes[0].seat, 0);
    assert_string_equal(r.votes[1].comment, "too \"late\"");
    assert_false(r.votes[1].has_seat);
    assert_true(task_record_has(&r, TASK_OUTCOME));
    task_record_free(&r);
    assert_false(task_record_has(&r, TASK_OUTCOME));
}

/* Texts added one by one to a decoded record's lists (each exactly as long as it was
   read) and to a list whose cap says less than it holds: every text kept in order,
   the record's bytes round-trip (task_texts_add doubles the list's room). */
static void test_texts_grow(void **state)
{
    (void)state;
    StrBuf bytes = STRBUF_INIT, again = STRBUF_INIT;
    encode_full(&bytes);
    TaskRecord r;
    char why[200] = "", id[16];
    assert_int_equal(task_record_decode(bytes.data, bytes.len, &r, why, sizeof why), TASK_RECORD_OK);
    for (int i = 0; i < 100; i++) {
        snprintf(id, sizeof id, "p%d", i);
        assert_int_equal(task_texts_add(&r.told, id), 0);
        assert_int_equal(task_texts_add(&r.seats[0].holders, id), 0);
    }
    assert_int_equal(r.told.count, 102);
    assert_string_equal(r.told.items[1], "bea");
    assert_string_equal(r.told.items[101], "p99");
    assert_true(r.told.cap >= r.told.count);
    assert_int_equal(task_record_encode(&r, &again), 0);
    task_record_free(&r);
    assert_int_equal(task_record_decode(again.data, again.len, &r, why, sizeof why), TASK_RECORD_OK);
    assert_int_equal(r.told.count, 102);
    assert_int_equal(r.seats[0].holders.count, 102);
    assert_string_equal(r.seats[0].holders.items[52], "p50");
    task_record_free(&r);
    TaskTexts short_cap = {calloc(3, sizeof(char *)), 0, 0};
    for (int i = 0; i < 3; i++)
        short_cap.items[short_cap.count++] = strdup("x");
    assert_int_equal(task_texts_add(&short_cap, "y"), 0);
    assert_int_equal(short_cap.count, 4);
    assert_string_equal(short_cap.items[3], "y");
    task_texts_free(&short_cap);
    assert_int_equal(short_cap.cap, 0);
    strbuf_free(&bytes);
    strbuf_free(&again);
}

static void test_bytes(void **state)
{
    (void)state;
    json_t *task = parse(FULL);
    StrBuf typed = STRBUF_INIT, codec = STRBUF_INIT;
    assert_int_equal(task_record_encode_json(task, &typed), TASK_RECORD_OK);
    assert_int_equal(codec_encode(task, &codec), CODEC_OK);
    assert_int_equal((unsigned char)typed.data[0], TASK_RECORD_1);
    assert_true(task_record_is_typed(typed.data, typed.len));
    assert_false(task_record_is_typed(codec.data, codec.len));
    assert_true(typed.len < codec.len);
    /* the member count, then the first member: id (1), "t12" as 3 bytes of text */
    assert_int_equal(typed.data[1], TASK_FIELD_COUNT);
    assert_memory_equal(typed.data + 2, "\x01\x03t12", 5);
    json_decref(task);
    strbuf_free(&typed);
    strbuf_free(&codec);
}

static void test_old_records(void **state)
{
    (void)state;
    json_t *task = parse(FULL), *got;
    char why[200] = "";
    for (unsigned format = CODEC_FORMAT_1; format <= CODEC_FORMAT_2; format++) {
        StrBuf codec = STRBUF_INIT;
        assert_int_equal(codec_encode_format(task, format, &codec), CODEC_OK);
        assert_int_equal(task_record_load(codec.data, codec.len, &got, why, sizeof why), CODEC_OK);
        assert_same_json(task, got);
        json_decref(got);
        strbuf_free(&codec);
    }
    char *text = json_dumps(task, JSON_COMPACT | JSON_PRESERVE_ORDER);
    assert_int_equal(task_record_load(text, strlen(text), &got, why, sizeof why), CODEC_OK);
    assert_same_json(task, got);
    json_decref(got);
    free(text);
    assert_int_equal(task_record_load("{\"id\": ", 7, &got, why, sizeof why), CODEC_DAMAGED);
    assert_non_null(strstr(why, "is not JSON"));
    json_decref(task);
}

static void assert_untyped(const char *text)
{
    json_t *task = parse(text);
    StrBuf bytes = STRBUF_INIT;
    TaskRecord r;
    assert_int_equal(task_record_from_json(task, &r), TASK_RECORD_UNTYPED);
    assert_int_equal(r.field_count, 0);
    assert_int_equal(task_record_encode_json(task, &bytes), TASK_RECORD_UNTYPED);
    assert_int_equal(bytes.len, 0);
    json_decref(task);
    strbuf_free(&bytes);
}

static void test_untyped(void **state)
{
    (void)state;
    assert_untyped("[]");
    assert_untyped("{\"id\": \"t1\", \"colour\": \"red\"}");                 /* unknown member */
    assert_untyped("{\"id\": 1}");                                          /* a number for text */
    assert_untyped("{\"id\": \"t\\u0000x\"}");                              /* a NUL inside */
    assert_untyped("{\"needed\": \"2\"}");
    assert_untyped("{\"nobody_can_answer\": null}");
    assert_untyped("{\"told\": [\"a\", 1]}");
    assert_untyped("{\"seats\": [{\"holders\": [], \"who\": 1, \"answered_by\": null, \"acked\": false}]}");
    assert_untyped("{\"seats\": [{\"who\": 1, \"holders\": [], \"answered_by\": null}]}");
    assert_untyped("{\"seats\": [{\"who\": 1, \"holders\": [], \"answered_by\": 3, \"acked\": false}]}");
    assert_untyped("{\"seats\": [{\"who\": 1, \"holders\": [], \"answered_by\": null, \"acked\": 0}]}");
    assert_untyped("{\"seats\": [{\"who\": 1, \"holders\": [], \"answered_by\": null, \"acked\": false, \"x\": 1}]}");
    /* "climbed" is written only when true, and after "on_call" */
    assert_untyped("{\"seats\": [{\"who\": 1, \"holders\": [], \"answered_by\": null, \"acked\": false, \"climbed\": false}]}");
    assert_untyped("{\"seats\": [{\"who\": 1, \"holders\": [], \"answered_by\": null, \"acked\": false, \"climbed\": true,"
                   " \"on_call\": \"a\"}]}");
    assert_untyped("{\"votes\": [{\"by\": \"a\", \"choice\": \"b\", \"comment\": null, \"at\": \"t\", \"seat\": \"0\"}]}");
    assert_untyped("{\"votes\": [{\"choice\": \"b\", \"by\": \"a\", \"comment\": null, \"at\": \"t\"}]}");
    assert_untyped("{\"votes\": {}}");
    /* the fewest members a typed record holds: one */
    json_t *one = parse("{\"status\": \"open\"}");
    StrBuf bytes = STRBUF_INIT;
    assert_int_equal(task_record_encode_json(one, &bytes), TASK_RECORD_OK);
    assert_memory_equal(bytes.data, "\x12\x01\x04\x01", 4);      /* "open": the word's byte */
    json_decref(one);
    strbuf_free(&bytes);
    assert_untyped("{}");                       /* no member: nothing to type */
    char why[200] = "";
    TaskRecord r;
    assert_int_equal(task_record_decode("\x12\x00", 2, &r, why, sizeof why), TASK_RECORD_DAMAGED);
    assert_non_null(strstr(why, "not from 1 to 27"));
}

static void assert_refused(const void *bytes, size_t len, const char *says)
{
    TaskRecord r;
    char why[200] = "";
    assert_int_equal(task_record_decode(bytes, len, &r, why, sizeof why), TASK_RECORD_DAMAGED);
    if (says && !strstr(why, says))
        fail_msg("\"%s\" does not say \"%s\"", why, says);
    assert_int_equal(r.field_count, 0);     /* nothing left allocated */
    assert_null(r.id);
}

static void test_damage(void **state)
{
    (void)state;
    StrBuf bytes = STRBUF_INIT;
    encode_full(&bytes);
    for (size_t len = 0; len < bytes.len; len++) {      /* copied: ASan sees a read past it */
        unsigned char *cut = malloc(len ? len : 1);
        memcpy(cut, bytes.data, len);
        assert_refused(cut, len, len ? "is not a readable task record" : NULL);
        free(cut);
    }
    unsigned char *copy = malloc(bytes.len);
    for (size_t at = 1; at < bytes.len; at++)
        for (int bit = 0; bit < 8; bit++) {
            memcpy(copy, bytes.data, bytes.len);
            copy[at] ^= (unsigned char)(1 << bit);
            TaskRecord r;
            char why[200] = "";
            int rc = task_record_decode(copy, bytes.len, &r, why, sizeof why);
            if (rc != TASK_RECORD_OK) {
                assert_int_equal(rc, TASK_RECORD_DAMAGED);
                assert_true(why[0] != '\0');
                continue;
            }
            StrBuf again = STRBUF_INIT;     /* what reads is written again, and reads */
            TaskRecord back;
            assert_int_equal(task_record_encode(&r, &again), 0);
            assert_int_equal(task_record_decode(again.data, again.len, &back, why, sizeof why), TASK_RECORD_OK);
            task_record_free(&back);
            task_record_free(&r);
            strbuf_free(&again);
        }
    free(copy);
    strbuf_free(&bytes);
    assert_refused("\x12\x02\x01\x01x\x01\x01y", 8, "a member written twice at byte 5");
    assert_refused("\x12\x01\x1c\x00", 4, "a member this version does not have at byte 2");
    assert_refused("\x12\x01\x00", 3, "a member this version does not have");
    assert_refused("\x12\x01\x01\x01xx", 6, "bytes after the record at byte 5");
    assert_refused("\x12\x01\x1b\x02", 4, "a truth value that is neither 0 nor 1");
    assert_refused("\x12\x01\x01\x02x\xff", 6, "text that is not UTF-8 at byte 4");
    assert_refused("\x12\x01\x01\x02x\x00", 6, "text with a NUL byte");
    assert_refused("\x12\x01\x08\x80\x00", 5, "a number not in its shortest form");
    assert_refused("\x12\x01\x0a\x01\x10" "aaaa", 9, "flags this version does not have at byte 4");
    assert_refused("\x12\x01\x0a\x05", 4, "a count larger than the bytes left");
    assert_refused("\x12\x01\x03\x0a", 4, "a tag format 2 does not have at byte 3");
    assert_refused("\x12\x01\x03\x9f", 4, "an object cut short at byte 4");
    assert_refused("\x12\x01\x04\x04", 4, "a word this version does not have at byte 3");
    assert_refused("\x12\x01\x0b\xff\xff\xff\xff\xff\xff\x7f", 10, "a time past the year 9999");
    TaskRecord r;
    char why[200] = "";
    assert_int_equal(task_record_decode("\x12\x01\x0b\x00\x01x", 6, &r, why, sizeof why), TASK_RECORD_OK);
    assert_string_equal(r.asked_at, "x");     /* a time of another form, as its text */
    task_record_free(&r);
    /* ladder_after (18) as the integer 0 in the codec's long form (tag 0x03, a varint):
       read as 0, and its bytes kept as they are (the codec writes the one form 0x20, so
       no huddle wrote these; fuzz_task holds that what is written again reads the same
       and is written again as itself) */
    assert_int_equal(task_record_decode("\x12\x01\x12\x03\x00", 5, &r, why, sizeof why), TASK_RECORD_OK);
    json_t *zero = task_record_value_json(&r, r.ladder_after);
    assert_int_equal(json_integer_value(zero), 0);
    json_decref(zero);
    StrBuf again = STRBUF_INIT;
    assert_int_equal(task_record_encode(&r, &again), 0);
    assert_int_equal(again.len, 5);
    assert_memory_equal(again.data, "\x12\x01\x12\x03\x00", 5);
    strbuf_free(&again);
    task_record_free(&r);
    assert_refused("{}", 2, "no version byte");
}

static void test_newer(void **state)
{
    (void)state;
    StrBuf bytes = STRBUF_INIT;
    encode_full(&bytes);
    bytes.data[0] = TASK_RECORD_1 + 1;
    assert_true(task_record_is_typed(bytes.data, bytes.len));
    assert_refused(bytes.data, bytes.len, "is a task record of version 2, newer than this huddle reads (version 1)");
    json_t *got;
    char why[200] = "";
    assert_int_equal(task_record_load(bytes.data, bytes.len, &got, why, sizeof why), CODEC_DAMAGED);
    assert_null(got);
    assert_string_equal(why, "is a task record of version 2, newer than this huddle reads (version 1)");
    bytes.data[0] = TASK_RECORD_NEWEST_BYTE;
    assert_refused(bytes.data, bytes.len, "newer than this huddle reads");
    assert_false(task_record_is_typed("{}", 2));
    assert_false(task_record_is_typed("\x02", 1));
    assert_false(task_record_is_typed("\x11", 1));    /* the instance record's */
    assert_false(task_record_is_typed("", 0));
    strbuf_free(&bytes);
}

/* ---- the struct built member by member (the engine's paths) ---- */

static const char *const NAMES[TASK_FIELD_COUNT] = {
    "id", "instance", "state", "status", "question", "choices", "quorum", "needed", "seats", "votes",
    "asked_at", "deadline", "deadline_ms", "show", "suspension", "told", "ladder", "ladder_after",
    "remind_every", "level", "level_ms", "asked_ms", "reminders", "no_quorum_arm", "next_level_due",
    "outcome", "nobody_can_answer"};

static TaskField field_of(const char *name)
{
    for (int f = 0; f < TASK_FIELD_COUNT; f++)
        if (strcmp(NAMES[f], name) == 0)
            return (TaskField)f;
    fail_msg("no member %s", name);
    return TASK_FIELD_COUNT;
}

static char *copy_text(const json_t *text)
{
    return json_is_string(text) ? strdup(json_string_value(text)) : NULL;
}

static void build_seat(TaskRecord *r, const json_t *json)
{
    TaskSeat *seat = task_record_add_seat(r);
    assert_non_null(seat);
    assert_int_equal(task_seat_set_who(r, seat, json_object_get(json, "who")), 0);
    assert_int_equal(task_texts_add_json(&seat->holders, json_object_get(json, "holders")), 0);
    seat->answered_by = copy_text(json_object_get(json, "answered_by"));
    seat->acked = json_is_true(json_object_get(json, "acked"));
    seat->has_previous = json_object_get(json, "previous") != NULL;
    assert_int_equal(task_texts_add_json(&seat->previous, json_object_get(json, "previous")), 0);
    seat->on_call = copy_text(json_object_get(json, "on_call"));
    seat->climbed = json_is_true(json_object_get(json, "climbed"));
}

static void build_vote(TaskRecord *r, const json_t *json)
{
    TaskVote *vote = task_record_add_vote(r);
    assert_non_null(vote);
    vote->by = copy_text(json_object_get(json, "by"));
    vote->choice = copy_text(json_object_get(json, "choice"));
    vote->comment = copy_text(json_object_get(json, "comment"));
    vote->at = copy_text(json_object_get(json, "at"));
    vote->has_seat = json_object_get(json, "seat") != NULL;
    vote->seat = json_integer_value(json_object_get(json, "seat"));
}

/* The record of `task` built the way engine_tasks.c builds one: no decoder. */
static void build(const json_t *task, TaskRecord *r)
{
    memset(r, 0, sizeof *r);
    const char *key;
    json_t *value;
    size_t i;
    json_t *each;
    json_object_foreach((json_t *)task, key, value) {
        TaskField f = field_of(key);
        switch (f) {
        case TASK_ID: case TASK_INSTANCE: case TASK_STATUS: case TASK_OUTCOME: case TASK_ASKED_AT: case TASK_DEADLINE:
            assert_int_equal(task_record_set_text(r, f, json_string_value(value)), 0);
            break;
        case TASK_NEEDED: case TASK_DEADLINE_MS: case TASK_SUSPENSION: case TASK_LEVEL: case TASK_LEVEL_MS:
        case TASK_ASKED_MS: case TASK_REMINDERS: case TASK_NEXT_LEVEL_DUE:
            task_record_set_int(r, f, json_integer_value(value));
            break;
        case TASK_NOBODY_CAN_ANSWER:
            r->nobody_can_answer = json_is_true(value);
            task_record_set(r, f);
            break;
        case TASK_TOLD:
            assert_int_equal(task_texts_add_json(&r->told, value), 0);
            task_record_set(r, f);
            break;
        case TASK_SEATS:
            json_array_foreach(value, i, each)
                build_seat(r, each);
            task_record_set(r, f);
            break;
        case TASK_VOTES:
            json_array_foreach(value, i, each)
                build_vote(r, each);
            task_record_set(r, f);
            break;
        default:
            assert_int_equal(task_record_set_json(r, f, json_deep_copy(value)), 0);
            break;
        }
    }
}

/* The struct's bytes are the JSON object's bytes (the encoder the engine used before),
   and the struct renders the object. */
static void assert_same_bytes(const TaskRecord *r, const json_t *task)
{
    StrBuf from_struct = STRBUF_INIT, from_json = STRBUF_INIT;
    assert_int_equal(task_record_encode(r, &from_struct), 0);
    assert_int_equal(task_record_encode_json(task, &from_json), TASK_RECORD_OK);
    assert_int_equal(from_struct.len, from_json.len);
    assert_memory_equal(from_struct.data, from_json.data, from_json.len);
    json_t *back = task_record_json(r);
    assert_same_json(task, back);
    json_decref(back);
    strbuf_free(&from_struct);
    strbuf_free(&from_json);
}

/* Tasks as task_create made them (and later steps changed them). */
static const char *const TASKS[] = {
    FULL,
    /* bench_serve's: one person, two choices, within 30d, just asked */
    "{\"id\": \"t1\", \"instance\": \"i1\", \"state\": \"decide\", \"status\": \"open\","
    " \"question\": \"Is phone 0 affected?\", \"choices\": [{\"id\": \"yes\", \"label\": \"Yes\", \"with_comment\": false},"
    " {\"id\": \"no\", \"label\": \"No\", \"with_comment\": false}], \"quorum\": \"any\", \"needed\": 1,"
    " \"seats\": [{\"who\": {\"who\": \"person\", \"id\": \"anna\"}, \"holders\": [\"anna\"], \"answered_by\": null,"
    " \"acked\": false, \"previous\": [\"anna\"]}], \"votes\": [], \"asked_at\": \"2026-06-01T00:01:00Z\","
    " \"deadline\": \"2026-07-01T00:01:00Z\", \"deadline_ms\": 1782864060000, \"show\": null, \"suspension\": 1,"
    " \"told\": [\"anna\"], \"ladder\": [], \"ladder_after\": [], \"remind_every\": null, \"level\": 0,"
    " \"level_ms\": 1780272060000, \"asked_ms\": 1780272060000, \"reminders\": 0, \"no_quorum_arm\": false}",
    /* a quorum ask of two seats, a team seat on call, a vote with a comment, an ack,
       reminders counted, escalated once */
    "{\"id\": \"t7\", \"instance\": \"i3\", \"state\": \"approve\", \"status\": \"open\","
    " \"question\": \"Ship CHG-1?\", \"choices\": [{\"id\": \"go\", \"label\": null, \"with_comment\": true}],"
    " \"quorum\": \"n\", \"needed\": 2,"
    " \"seats\": [{\"who\": {\"who\": \"team\", \"id\": \"ops\"}, \"holders\": [\"ann\", \"bea\", \"cal\"],"
    " \"answered_by\": \"bea\", \"acked\": false, \"previous\": [\"ann\", \"bea\"], \"climbed\": true},"
    " {\"who\": {\"who\": \"oncall\", \"id\": \"sre\"}, \"holders\": [\"dan\"], \"answered_by\": null,"
    " \"acked\": true, \"previous\": [\"dan\"], \"on_call\": \"dan\"}],"
    " \"votes\": [{\"by\": \"bea\", \"choice\": \"go\", \"comment\": \"fine by me\", \"at\": \"2026-06-02T09:30:00Z\","
    " \"seat\": 0}], \"asked_at\": \"2026-06-02T09:00:00Z\", \"deadline\": \"2026-06-02T13:00:00Z\","
    " \"deadline_ms\": 1780405200000, \"show\": {\"ref\": \"CHG-1\", \"risk\": [1, 2]}, \"suspension\": 4,"
    " \"told\": [\"ann\", \"bea\", \"dan\", \"cal\"],"
    " \"ladder\": [{\"who\": {\"who\": \"manager\"}, \"after\": 3600}],"
    " \"ladder_after\": [{\"count\": 2, \"unit\": 1}], \"remind_every\": {\"ms\": 1800000}, \"level\": 1,"
    " \"level_ms\": 1780394400000, \"asked_ms\": 1780390800000, \"reminders\": 3, \"no_quorum_arm\": true,"
    " \"nobody_can_answer\": true, \"next_level_due\": 1780398000000}",
    /* a seat nobody holds, a cancelled ask, no "told" yet */
    "{\"id\": \"t2\", \"instance\": \"i2\", \"state\": null, \"status\": \"cancelled\", \"question\": \"?\","
    " \"choices\": [], \"quorum\": \"all\", \"needed\": 0, \"seats\": [{\"who\": {\"who\": \"role\", \"id\": \"x\"},"
    " \"holders\": [], \"answered_by\": null, \"acked\": false, \"previous\": []}], \"votes\": [],"
    " \"asked_at\": \"2026-06-02T09:00:00.125Z\", \"deadline\": \"2026-06-02T09:00:01Z\", \"deadline_ms\": 1,"
    " \"show\": null, \"suspension\": 0}",
};

static void test_built(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof TASKS / sizeof TASKS[0]; i++) {
        json_t *task = parse(TASKS[i]);
        TaskRecord r;
        build(task, &r);
        assert_same_bytes(&r, task);
        TaskRecord decoded;     /* and the bytes read back as the struct built */
        StrBuf bytes = STRBUF_INIT, again = STRBUF_INIT;
        char why[200] = "";
        assert_int_equal(task_record_encode(&r, &bytes), 0);
        assert_int_equal(task_record_decode(bytes.data, bytes.len, &decoded, why, sizeof why), TASK_RECORD_OK);
        assert_int_equal(decoded.field_count, r.field_count);
        assert_memory_equal(decoded.order, r.order, r.field_count);
        assert_int_equal(task_record_encode(&decoded, &again), 0);
        assert_memory_equal(again.data, bytes.data, bytes.len);
        task_record_free(&decoded);
        task_record_free(&r);
        json_decref(task);
        strbuf_free(&bytes);
        strbuf_free(&again);
    }
}

static void test_changed(void **state)
{
    (void)state;
    json_t *task = parse(TASKS[1]);
    TaskRecord r;
    build(task, &r);
    /* task_next_level: deleted, then set again: it goes last */
    json_object_set_new(task, "next_level_due", json_integer(5));
    task_record_set_int(&r, TASK_NEXT_LEVEL_DUE, 5);
    json_object_set_new(task, "nobody_can_answer", json_true());
    r.nobody_can_answer = true;
    task_record_set(&r, TASK_NOBODY_CAN_ANSWER);
    json_object_del(task, "next_level_due");
    task_record_unset(&r, TASK_NEXT_LEVEL_DUE);
    json_object_set_new(task, "next_level_due", json_integer(9));
    task_record_set_int(&r, TASK_NEXT_LEVEL_DUE, 9);
    assert_same_bytes(&r, task);
    assert_int_equal(r.order[r.field_count - 1], TASK_NEXT_LEVEL_DUE);
    /* task_recheck: nobody_can_answer gone; an answer; the ask closed */
    json_object_del(task, "nobody_can_answer");
    task_record_unset(&r, TASK_NOBODY_CAN_ANSWER);
    json_t *seat = json_array_get(json_object_get(task, "seats"), 0);
    json_object_set_new(seat, "answered_by", json_string("anna"));
    r.seats[0].answered_by = strdup("anna");
    json_array_append_new(json_object_get(task, "votes"),
                          json_pack("{s:s, s:s, s:n, s:s, s:i}", "by", "anna", "choice", "no", "comment",
                                    "at", "2026-06-01T00:05:00Z", "seat", 0));
    TaskVote *vote = task_record_add_vote(&r);
    vote->by = strdup("anna");
    vote->choice = strdup("no");
    vote->at = strdup("2026-06-01T00:05:00Z");
    vote->has_seat = true;
    json_object_set_new(task, "status", json_string("resolved"));
    assert_int_equal(task_record_set_text(&r, TASK_STATUS, "resolved"), 0);
    json_object_set_new(task, "outcome", json_string("no"));
    assert_int_equal(task_record_set_text(&r, TASK_OUTCOME, "no"), 0);
    json_object_set_new(task, "reminders", json_integer(1));
    task_record_set_int(&r, TASK_REMINDERS, 1);
    json_object_set_new(seat, "acked", json_true());
    r.seats[0].acked = true;
    json_array_append_new(json_object_get(task, "told"), json_string("bob"));
    assert_int_equal(task_texts_add(&r.told, "bob"), 0);
    assert_same_bytes(&r, task);
    assert_true(task_texts_has(&r.told, "bob"));
    assert_false(task_texts_has(&r.told, "bo"));
    task_record_free(&r);
    json_decref(task);
}

static void test_written(void **state)
{
    (void)state;
    json_t *task = parse(TASKS[2]);
    TaskRecord r;
    build(task, &r);
    StrBuf a = STRBUF_INIT, b = STRBUF_INIT;
    CodecWriter w;
    codec_write_begin(&w, &a);
    codec_write_object(&w);
    codec_write_key(&w, "seats");
    task_record_write_member(&w, &r, TASK_SEATS);
    codec_write_key(&w, "votes");
    task_record_write_member(&w, &r, TASK_VOTES);
    assert_int_equal(codec_write_end(&w), CODEC_OK);
    codec_write_begin(&w, &b);
    codec_write_object(&w);
    codec_write_key(&w, "seats");
    codec_write_json(&w, json_object_get(task, "seats"));
    codec_write_key(&w, "votes");
    codec_write_json(&w, json_object_get(task, "votes"));
    assert_int_equal(codec_write_end(&w), CODEC_OK);
    assert_int_equal(a.len, b.len);
    assert_memory_equal(a.data, b.data, b.len);
    for (size_t t = 0; t < sizeof TASKS / sizeof TASKS[0]; t++) {   /* every member, as its JSON */
        json_t *json = parse(TASKS[t]);
        TaskRecord each;
        build(json, &each);
        StrBuf x = STRBUF_INIT, y = STRBUF_INIT;
        codec_write_begin(&w, &x);
        codec_write_object(&w);
        for (size_t i = 0; i < each.field_count; i++) {
            codec_write_key(&w, NAMES[each.order[i]]);
            task_record_write_member(&w, &each, (TaskField)each.order[i]);
        }
        assert_int_equal(codec_write_end(&w), CODEC_OK);
        codec_write_begin(&w, &y);
        codec_write_json(&w, json);
        assert_int_equal(codec_write_end(&w), CODEC_OK);
        assert_int_equal(x.len, y.len);
        assert_memory_equal(x.data, y.data, y.len);
        task_record_free(&each);
        json_decref(json);
        strbuf_free(&x);
        strbuf_free(&y);
    }
    json_t *texts = task_texts_json(&r.told);
    assert_same_json(texts, json_object_get(task, "told"));
    json_decref(texts);
    task_record_free(&r);
    json_decref(task);
    strbuf_free(&a);
    strbuf_free(&b);
}


/* ---- the ask's values, as the codec's bytes ---- */

/* A list of `n` items made by `item`. */
static Value list_of(uint32_t n, Value (*item)(uint32_t))
{
    Value list = value_list_new(n);
    for (uint32_t i = 0; i < n; i++)
        assert_true(value_list_push(list, item(i)));
    return list;
}

static Value small_int(uint32_t i)
{
    return value_int((int64_t)i * 1000 - 7);
}

/* A choice as the VM describes one. */
static Value choice(uint32_t i)
{
    Value map = value_map_new(3);
    value_map_set(map, "id", 2, value_cstring(i ? "no" : "yes"));
    value_map_set(map, "label", 5, i == 1 ? VALUE_NULL : value_cstring("Yes \xc3\xa9"));
    value_map_set(map, "with_comment", 12, value_bool(i == 2));
    return map;
}

/* A list nested `depth` deep around the integer 1. */
static Value nested(int depth)
{
    Value v = value_int(1);
    for (int i = 0; i < depth; i++) {
        Value list = value_list_new(1);
        assert_true(value_list_push(list, v));
        v = list;
    }
    return v;
}

/* task_keep's bytes of `v` are codec_encode_value's of value_to_json(v) (and the member
   renders that JSON); or both fail (a value jansson has no JSON for). */
static void assert_kept_as_json(Value v)
{
    TaskRecord r = {0};
    json_t *json = value_to_json(v);
    int kept = task_keep(&r, TASK_SHOW, &v);
    if (!json) {
        assert_int_equal(kept, -1);
        task_record_free(&r);
        return;
    }
    assert_int_equal(kept, 0);
    StrBuf want = STRBUF_INIT;
    assert_int_equal(codec_encode_value(json, &want), CODEC_OK);
    assert_false(r.too_deep);
    assert_int_equal(r.show.len, want.len);
    assert_memory_equal(r.values.data + r.show.at, want.data, want.len);
    json_t *back = task_record_value_json(&r, r.show);   /* the JSON it renders, read back the same */
    StrBuf again = STRBUF_INIT;
    assert_int_equal(codec_encode_value(back, &again), CODEC_OK);
    assert_int_equal(again.len, want.len);
    assert_memory_equal(again.data, want.data, want.len);
    strbuf_free(&again);
    json_decref(back);
    json_decref(json);
    strbuf_free(&want);
    task_record_free(&r);
}

static void test_ask_values(void **state)
{
    (void)state;
    Value list = value_list_new(3);
    assert_true(value_list_push(list, value_float(2.5)));
    assert_true(value_list_push(list, value_float(0.0 / 0.0)));       /* jansson drops it */
    assert_true(value_list_push(list, value_string("\xff", 1)));       /* not UTF-8: dropped too */
    Value odd_keys = value_map_new(3);
    value_map_set(odd_keys, "a\0b", 3, value_int(1));                 /* a key holding a NUL */
    value_map_set(odd_keys, "\xc3", 1, value_int(2));                  /* not UTF-8: dropped */
    value_map_set(odd_keys, "ok", 2, value_float(-1e300));
    Value many = value_map_new(20);
    for (int i = 0; i < 20; i++) {
        char key[8];
        snprintf(key, sizeof key, "k%d", i);
        value_map_set(many, key, strlen(key), value_int(i));
    }
    Value values[] = {
        VALUE_NULL, value_bool(true), value_bool(false), value_int(0), value_int(31), value_int(32),
        value_int(-1), value_int(INT64_MIN), value_int(INT64_MAX), value_float(1.0), value_duration(90500),
        value_time(1780390800123), value_business(3, (BusinessUnit)1),
        value_cstring("Is phone 1 affected?"), value_cstring("Refund A1 \xc3\xa9?"), value_cstring(""),
        value_cstring("open"), value_cstring("answered"), value_cstring("2026-06-01T00:01:00.000Z"),
        value_cstring("0123456789abcdef0123"), value_cstring("0123456789ABCDEF"),
        value_string("nul\0inside", 10),
        value_cstring("a text longer than sixty-three bytes, so its length is a varint of its own."),
        list_of(2, choice), list_of(3, choice), list_of(20, small_int), list, odd_keys, many, nested(8),
        nested(9), nested(40),
    };
    for (size_t i = 0; i < sizeof values / sizeof values[0]; i++) {
        assert_kept_as_json(values[i]);
        value_release(values[i]);
    }
    assert_kept_as_json(value_float(1.0 / 0.0));      /* no JSON: out of memory, as before */
    Value cut = value_string("\xe2\x82", 2);
    assert_kept_as_json(cut);
    value_release(cut);
    TaskRecord r = {0};                                 /* no value: null */
    assert_int_equal(task_keep(&r, TASK_QUESTION, NULL), 0);
    assert_int_equal(r.question.len, 1);
    assert_int_equal(r.values.data[r.question.at], CODEC_TAG_NULL);
    /* the state, and the durations, as the engine kept them as JSON */
    assert_int_equal(task_keep_state(&r, "decide"), 0);
    assert_int_equal(task_keep_state(&r, NULL), 0);    /* set again: the last kept */
    assert_int_equal(task_value_kind(&r, r.state), CODEC_KIND_NULL);
    Value ladder = value_list_new(3), remind = value_business(2, (BusinessUnit)1);
    for (int i = 0; i < 3; i++) {
        Value rung = value_map_new(1);
        if (i < 2)
            value_map_set(rung, "after", 5, i ? value_duration(3600000) : value_business(5, (BusinessUnit)2));
        assert_true(value_list_push(ladder, rung));
    }
    assert_int_equal(task_keep_durations(&r, &ladder, &remind), 0);
    json_t *want = parse("[{\"count\": 5, \"unit\": 2}, {\"ms\": 3600000}, null]");
    StrBuf bytes = STRBUF_INIT;
    assert_int_equal(codec_encode_value(want, &bytes), CODEC_OK);
    assert_int_equal(r.ladder_after.len, bytes.len);
    assert_memory_equal(r.values.data + r.ladder_after.at, bytes.data, bytes.len);
    CodecView afters, after;
    Value d;
    task_record_view(&r, r.ladder_after, &afters);
    assert_true(codec_view_item(&afters, 1, &after) && task_duration(&after, 2, &d));
    assert_int_equal(d.type, VAL_DURATION);
    assert_int_equal(d.as.ms, 7200000);
    assert_true(codec_view_item(&afters, 0, &after) && task_duration(&after, 3, &d));
    assert_int_equal(d.type, VAL_BUSINESS);
    assert_int_equal(d.as.integer, 15);
    assert_int_equal(d.unit, 2);
    assert_true(codec_view_item(&afters, 2, &after));
    assert_false(task_duration(&after, 1, &d));        /* null: no duration */
    assert_false(codec_view_item(&afters, 3, &after));
    task_record_view(&r, r.remind_every, &after);
    assert_true(task_duration(&after, 1, &d));
    assert_int_equal(d.as.integer, 2);
    value_release(ladder);
    json_decref(want);
    strbuf_free(&bytes);
    task_record_free(&r);
    /* nested deeper than the codec writes: kept as null, and the record will not encode */
    Value deep = nested(CODEC_DEPTH_MAX + 5);
    TaskRecord d_r = {0};
    assert_int_equal(task_record_set_text(&d_r, TASK_ID, "t1"), 0);
    assert_int_equal(task_keep(&d_r, TASK_SHOW, &deep), 0);
    assert_true(d_r.too_deep);
    StrBuf out = STRBUF_INIT;
    assert_int_equal(task_record_encode(&d_r, &out), -1);
    assert_false(strbuf_failed(&out));
    strbuf_free(&out);
    task_record_free(&d_r);
    value_release(deep);
}

/* The values read where they lie: what the view finds is what the decoded JSON holds. */
static void test_value_views(void **state)
{
    (void)state;
    json_t *task = parse(TASKS[2]);
    TaskRecord r;
    StrBuf bytes = STRBUF_INIT;
    char why[200] = "";
    assert_int_equal(task_record_encode_json(task, &bytes), TASK_RECORD_OK);
    assert_int_equal(task_record_decode(bytes.data, bytes.len, &r, why, sizeof why), TASK_RECORD_OK);
    CodecView v, item, member;
    task_record_view(&r, r.choices, &v);
    assert_int_equal(codec_view_kind(&v), CODEC_KIND_ARRAY);
    assert_int_equal(codec_view_array_size(&v), 1);
    assert_true(task_choice(&r, "go", &item));
    assert_false(task_choice(&r, "g", &item));
    assert_true(task_choice(&r, "go", &item) && codec_view_member(&item, "with_comment", &member));
    assert_int_equal(codec_view_kind(&member), CODEC_KIND_TRUE);
    assert_true(codec_view_member(&item, "label", &member));
    assert_int_equal(codec_view_kind(&member), CODEC_KIND_NULL);
    assert_false(codec_view_text_is(&member, ""));
    StrBuf names = STRBUF_INIT;
    task_choice_names(&r, &names);
    assert_string_equal(strbuf_text(&names), "go");
    strbuf_free(&names);
    task_record_view(&r, r.show, &v);
    assert_int_equal(codec_view_kind(&v), CODEC_KIND_OBJECT);
    assert_int_equal(codec_view_array_size(&v), 0);   /* json_array_size of an object */
    assert_false(codec_view_item(&v, 0, &item));
    assert_true(codec_view_member(&v, "risk", &member) && codec_view_item(&member, 1, &item));
    int64_t n = 0;
    assert_true(codec_view_integer(&item, &n));
    assert_int_equal(n, 2);
    assert_true(codec_view_member(&v, "ref", &member));
    assert_int_equal(codec_view_kind(&member), CODEC_KIND_STRING);
    assert_false(codec_view_integer(&member, &n));
    const unsigned char *at;
    size_t len;
    assert_true(codec_view_bytes(&member, &at, &len));
    assert_int_equal(len, 6);                            /* a short string: tag and 5 bytes */
    task_record_view(&r, r.seats[1].who, &v);
    assert_true(codec_view_member(&v, "who", &member) && codec_view_text_is(&member, "oncall"));
    task_record_view(&r, r.ladder, &v);
    assert_int_equal(codec_view_array_size(&v), 1);
    task_record_view(&r, r.remind_every, &v);
    assert_true(codec_view_member(&v, "ms", &member) && codec_view_integer(&member, &n));
    assert_int_equal(n, 1800000);
    task_record_view(&r, r.ladder_after, &v);
    assert_true(codec_view_item(&v, 0, &item) && codec_view_member(&item, "count", &member));
    assert_true(codec_view_integer(&member, &n));
    assert_int_equal(n, 2);
    TaskValue none = {0, 0};                              /* a member unset: null */
    assert_int_equal(task_value_kind(&r, none), CODEC_KIND_NULL);
    task_record_free(&r);
    json_decref(task);
    strbuf_free(&bytes);
}

/* Damage inside a value the ask gave: refused with the decoder's sentence, at its byte. */
static void test_value_damage(void **state)
{
    (void)state;
    /* question (5) holding "x\xff": not UTF-8 */
    assert_refused("\x12\x01\x05\x42x\xff", 6, "text that is not UTF-8 at byte 4");
    /* choices (6): an object holding key "id" (byte 1) twice */
    assert_refused("\x12\x01\x06\x81\x92\x01\x20\x01\x21", 9, "a key written twice");
    /* show (14): an array of two with one item */
    assert_refused("\x12\x01\x0e\x82\x20", 5, "a value cut short at byte 5");
    /* quorum (7): a tag past the strings format 2 knows */
    assert_refused("\x12\x01\x07\xff", 4, "a value past the strings format 2 knows");
    /* a seat's who ({"who": ...) cut short */
    assert_refused("\x12\x01\x09\x01\x00\x91\x0e", 7, "an object cut short at byte 6");
    /* nested deeper than the codec reads */
    StrBuf deep = STRBUF_INIT;
    strbuf_put(&deep, "\x12\x01\x0e", 3);
    for (int i = 0; i < CODEC_DEPTH_MAX + 1; i++)
        strbuf_putc(&deep, (char)0x81);
    strbuf_putc(&deep, 0x20);
    assert_refused(deep.data, deep.len, "nested deeper than 1,100");
    strbuf_free(&deep);
    /* each value of FULL cut anywhere, or flipped, is refused or reads whole (test_damage
       walks the whole record); here a value that reads is the value the decoder reads */
    TaskRecord r;
    char why[200] = "";
    assert_int_equal(task_record_decode("\x12\x01\x0e\x92\x01\x21\x00\x01x\x22", 10, &r, why, sizeof why),
                     TASK_RECORD_OK);
    json_t *show = task_record_value_json(&r, r.show), *want = parse("{\"id\": 1, \"x\": 2}");
    assert_same_json(show, want);
    json_decref(show);
    json_decref(want);
    task_record_free(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_struct),
        cmocka_unit_test(test_texts_grow),
        cmocka_unit_test(test_bytes),
        cmocka_unit_test(test_old_records),
        cmocka_unit_test(test_untyped),
        cmocka_unit_test(test_damage),
        cmocka_unit_test(test_newer),
        cmocka_unit_test(test_built),
        cmocka_unit_test(test_changed),
        cmocka_unit_test(test_written),
        cmocka_unit_test(test_ask_values),
        cmocka_unit_test(test_value_views),
        cmocka_unit_test(test_value_damage),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
