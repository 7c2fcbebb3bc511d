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
#include "engine_task_record.h"

/* A task as the engine builds one, with every member, "told" where task_create adds it
   and the late ones ("next_level_due", "outcome", "nobody_can_answer") at the end; its
   times as the engine writes them, but asked_at in a form it does not (kept as text). */
static const char FULL[] =
    "{\"id\": \"t12\", \"instance\": \"i7\", \"state\": \"decide\", \"status\": \"resolved\","
    " \"question\": \"Refund A1 \u00e9?\","
    " \"choices\": [{\"id\": \"yes\", \"label\": \"Yes\"}, {\"id\": \"no\", \"with_comment\": true}],"
    " \"quorum\": {\"of\": 2}, \"needed\": 2,"
    " \"seats\": [{\"who\": {\"who\": \"person\", \"id\": \"pat\"}, \"holders\": [\"pat\", \"bea\"],"
    "   \"answered_by\": \"pat\", \"acked\": false, \"previous\": [\"pat\"]},"
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
    assert_string_equal(json_string_value(r.state), "decide");
    assert_string_equal(json_string_value(r.question), "Refund A1 \xc3\xa9?");
    assert_int_equal(json_array_size(r.choices), 2);
    assert_int_equal(r.needed, 2);
    assert_int_equal(r.deadline_ms, 1780398000000LL);
    assert_int_equal(r.suspension, 3);
    assert_int_equal(r.level, 1);
    assert_int_equal(r.level_ms, -5);
    assert_int_equal(r.reminders, 0);
    assert_int_equal(r.next_level_due, INT64_MAX);
    assert_true(r.nobody_can_answer);
    assert_true(json_is_true(r.no_quorum_arm));
    assert_true(json_is_null(r.remind_every));
    assert_int_equal(r.told.count, 2);
    assert_string_equal(r.told.items[1], "bea");
    assert_int_equal(r.seat_count, 3);
    assert_string_equal(r.seats[0].holders.items[1], "bea");
    assert_string_equal(r.seats[0].answered_by, "pat");
    assert_true(r.seats[0].has_previous);
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
       read, and written in the codec's one form (the small integer 0x20) (fuzz_task) */
    assert_int_equal(task_record_decode("\x12\x01\x12\x03\x00", 5, &r, why, sizeof why), TASK_RECORD_OK);
    StrBuf again = STRBUF_INIT;
    assert_int_equal(task_record_encode(&r, &again), 0);
    assert_int_equal(again.len, 4);
    assert_memory_equal(again.data, "\x12\x01\x12\x20", 4);
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_struct),
        cmocka_unit_test(test_bytes),
        cmocka_unit_test(test_old_records),
        cmocka_unit_test(test_untyped),
        cmocka_unit_test(test_damage),
        cmocka_unit_test(test_newer),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
