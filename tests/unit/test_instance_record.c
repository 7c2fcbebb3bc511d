/*
 * test_instance_record.c - an instance's record as a struct and its own encoding
 * (runtime/engine/engine_instance_record.c; docs/internals.md, "The instance entry").
 *
 *   round trip    every field, set and unset, comes back the same (the bytes of the
 *                 record decoded and encoded again are the bytes it had)
 *   the bytes     the version byte first, the hash as 32 raw bytes, no field names
 *   old records   the JSON record older huddles stored (the codec's binary form, JSON
 *                 text) reads into the same struct, and is written back as it was;
 *                 one without an instance's fields is refused with a sentence
 *   damage        every prefix of a good record is refused, every bit flip of it is
 *                 refused or read (never a crash, never a read past the end: the ASan
 *                 build runs this too), bytes after the end, a bad status, text that is
 *                 not UTF-8, counts larger than the bytes left
 *   timer keys    version 2 keeps a timer as its due time's offset and its order (the
 *                 instance is the record's); a record with a timer of another instance
 *                 is written as version 1; a version-1 record reads and is written as 2
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
#include "engine_instance_record.h"

#define HASH "0123456789abcdef00112233445566778899aabbccddeeff0f1e2d3c4b5a6978"

/* A record with every field set, as unusual values as each may hold. */
static void full_record(InstanceRecord *r)
{
    memset(r, 0, sizeof *r);
    instance_record_set_number(r, 1234567890123ULL);
    assert_int_equal(instance_record_set_text(&r->playbook, "páger-escalation"), 0);
    assert_int_equal(instance_record_set_version(r, HASH), 0);
    r->status = INSTANCE_CANCELLED;
    assert_int_equal(instance_record_set_text(&r->state, "waiting_for_ack"), 0);
    r->created_ms = -86400001;      /* before 1970: the zigzag form */
    assert_int_equal(instance_record_set_text(&r->created_at, "not the text of created_ms"), 0);
    r->step = UINT64_MAX;
    r->history = 4294967296ULL;
    assert_int_equal(instance_record_set_text(&r->case_key, "host-7 \xf0\x9f\x94\xa5"), 0);
    r->case_events = 129;
    r->mailbox_discarded = 3;
    r->outbox_step = 17;
    r->outbox_next = 2;
    assert_int_equal(instance_record_add_tag(r, "sev1"), 0);
    assert_int_equal(instance_record_add_tag(r, ""), 0);
    assert_int_equal(instance_record_add_tag(r, "sev1"), 0);    /* a tag it has: once */
    assert_int_equal(r->tag_count, 2);
    unsigned char key[INSTANCE_TIMER_KEY];
    for (int t = 0; t < 5; t++) {
        for (int i = 0; i < INSTANCE_TIMER_KEY; i++)
            key[i] = (unsigned char)(t * 31 + i * 7);
        assert_int_equal(instance_record_add_timer(r, key), 0);
    }
    assert_int_equal(instance_record_set_text(&r->task, "t42"), 0);
    r->outcome = json_pack("{s:s, s:[i, n, b]}", "reason", "resolved", "list", 1, 1);
    r->start_input = json_pack("{s:i, s:s}", "trigger", 0, "source", "pager");
    r->stalled_input = json_pack("{s:s, s:f}", "kind", "event", "value", 1.5);
    r->held_timers = json_pack("[{s:s}]", "kind", "deadline");
}

/* The fields every record has, and nothing else. */
static void small_record(InstanceRecord *r, uint64_t number, const char *playbook)
{
    memset(r, 0, sizeof *r);
    instance_record_set_number(r, number);
    assert_int_equal(instance_record_set_text(&r->playbook, playbook), 0);
    assert_int_equal(instance_record_set_version(r, HASH), 0);
}

static json_t *as_json(const InstanceRecord *r)
{
    json_t *json = instance_record_json(r);
    assert_non_null(json);
    return json;
}

static void assert_same_record(const InstanceRecord *a, const InstanceRecord *b)
{
    json_t *x = as_json(a), *y = as_json(b);
    char *tx = json_dumps(x, JSON_COMPACT | JSON_SORT_KEYS), *ty = json_dumps(y, JSON_COMPACT | JSON_SORT_KEYS);
    assert_string_equal(tx, ty);
    free(tx);
    free(ty);
    json_decref(x);
    json_decref(y);
    assert_int_equal(a->number, b->number);
    assert_string_equal(a->id, b->id);
    assert_int_equal(a->created_ms, b->created_ms);
    assert_int_equal(a->step, b->step);
    assert_int_equal(a->timer_count, b->timer_count);
    assert_memory_equal(a->timers, b->timers, a->timer_count * INSTANCE_TIMER_KEY);
}

static void encode(const InstanceRecord *r, StrBuf *out)
{
    out->len = 0;
    assert_int_equal(instance_record_encode(r, out), 0);
}

/* Decodes `bytes` and encodes the result: the same bytes. */
static void assert_round_trip(const InstanceRecord *r)
{
    StrBuf bytes = STRBUF_INIT, again = STRBUF_INIT;
    encode(r, &bytes);
    InstanceRecord back;
    char why[200] = "";
    int rc = instance_record_decode(bytes.data, bytes.len, &back, why, sizeof why);
    if (rc != INSTANCE_RECORD_OK)
        fail_msg("decoding failed: %s", why);
    assert_same_record(r, &back);
    encode(&back, &again);
    assert_int_equal(bytes.len, again.len);
    assert_memory_equal(bytes.data, again.data, bytes.len);
    instance_record_free(&back);
    strbuf_free(&bytes);
    strbuf_free(&again);
}

static void test_round_trip(void **state)
{
    (void)state;
    InstanceRecord r;
    full_record(&r);
    assert_round_trip(&r);
    /* and each optional field alone unset */
    instance_record_set_json(&r.held_timers, NULL);
    assert_round_trip(&r);
    instance_record_set_json(&r.outcome, NULL);
    instance_record_set_text(&r.created_at, NULL);
    instance_record_set_text(&r.case_key, NULL);
    r.timer_count = 0;
    assert_round_trip(&r);
    instance_record_free(&r);
    /* the smallest: what instance_start makes */
    InstanceRecord small;
    small_record(&small, 1, "p");
    small.step = 1;
    small.created_ms = 1764892800000;
    assert_round_trip(&small);
    instance_record_free(&small);
}

static void test_bytes(void **state)
{
    (void)state;
    InstanceRecord r;
    small_record(&r, 300, "pb");
    r.status = INSTANCE_STALLED;
    r.created_ms = 2;
    r.step = 5;
    r.history = 6;
    StrBuf bytes = STRBUF_INIT;
    encode(&r, &bytes);
    const unsigned char *b = (const unsigned char *)bytes.data;
    unsigned char hash[32];
    for (int i = 0; i < 32; i++)
        hash[i] = (unsigned char)strtoul((char[]){HASH[2 * i], HASH[2 * i + 1], 0}, NULL, 16);
    assert_int_equal(b[0], INSTANCE_RECORD_FORMAT_2);
    assert_int_equal(b[1], 0xAC);      /* 300 as a varint */
    assert_int_equal(b[2], 0x02);
    assert_int_equal(b[3], 1);         /* stalled */
    assert_int_equal(b[4], 0);         /* no optional field */
    assert_memory_equal(b + 5, hash, 32);
    static const unsigned char rest[] = {4 /* created 2, zigzag */, 5, 6, 0, 0, 0, 2, 'p', 'b', 0, 0};
    assert_int_equal(bytes.len, 37 + sizeof rest);
    assert_memory_equal(b + 37, rest, sizeof rest);
    assert_null(memmem(bytes.data, bytes.len, "playbook", 8));
    instance_record_free(&r);
    strbuf_free(&bytes);
}

/* The JSON record instance_start wrote before this encoding, with what later steps set. */
static json_t *old_json(void)
{
    json_t *json = json_pack("{s:s, s:s, s:s, s:s, s:s, s:I, s:[s, s], s:i, s:i, s:s, s:s, s:i, s:[s], s:s, s:i, s:i}",
                             "id", "i7", "playbook", "pager", "version", HASH, "status", "running",
                             "created_at", "2026-03-02T09:00:00Z", "created_ms", (json_int_t)1772442000000,
                             "tags", "sev1", "db", "step", 3, "history", 9, "state", "triage",
                             "case_key", "host-1", "case_events", 2,
                             "timers", "000001234567890a0000000000000007000000aa", "task", "t3",
                             "outbox_step", 3, "outbox_next", 1);
    assert_non_null(json);
    return json;
}

static void assert_reads_old(const json_t *json, const void *bytes, size_t len)
{
    InstanceRecord r;
    char why[200] = "";
    int rc = instance_record_load(bytes, len, &r, why, sizeof why);
    if (rc != INSTANCE_RECORD_OK)
        fail_msg("an old record not read: %s", why);
    assert_int_equal(r.number, 7);
    assert_string_equal(r.playbook, "pager");
    assert_string_equal(r.version, HASH);
    assert_int_equal(r.status, INSTANCE_RUNNING);
    assert_string_equal(r.state, "triage");
    assert_null(r.created_at);      /* the text of created_ms: not kept twice */
    assert_int_equal(r.step, 3);
    assert_int_equal(r.history, 9);
    assert_int_equal(r.tag_count, 2);
    assert_int_equal(r.timer_count, 1);
    assert_int_equal(r.timers[0][19], 0xaa);
    assert_string_equal(r.task, "t3");
    assert_int_equal(r.case_events, 2);
    /* written back as it was (every field, the same values) */
    json_t *back = as_json(&r);
    assert_true(json_equal(back, json));
    json_decref(back);
    assert_round_trip(&r);
    instance_record_free(&r);
}

static void test_old_records(void **state)
{
    (void)state;
    json_t *json = old_json();
    char *text = json_dumps(json, JSON_COMPACT);
    assert_reads_old(json, text, strlen(text));            /* schema 1: JSON text */
    StrBuf bytes = STRBUF_INIT;
    assert_int_equal(codec_encode(json, &bytes), CODEC_OK);     /* schemas 2 to 5 */
    assert_reads_old(json, bytes.data, bytes.len);
    bytes.len = 0;
    assert_int_equal(codec_encode_format(json, CODEC_FORMAT_1, &bytes), CODEC_OK);
    assert_reads_old(json, bytes.data, bytes.len);
    free(text);
    strbuf_free(&bytes);
    /* a state of null (none entered yet), a created_at that is not created_ms's text */
    json_object_set_new(json, "state", json_null());
    json_object_set_new(json, "created_at", json_string("2026-03-02T10:00:00+01:00"));
    InstanceRecord r;
    char why[200];
    assert_int_equal(instance_record_from_json(json, &r, why, sizeof why), INSTANCE_RECORD_OK);
    assert_null(r.state);
    assert_string_equal(r.created_at, "2026-03-02T10:00:00+01:00");
    json_t *back = as_json(&r);
    assert_true(json_equal(back, json));
    json_decref(back);
    instance_record_free(&r);
    json_decref(json);
}

/* An old record with `field` set to `value` (NULL: removed) is refused, saying so. */
static void assert_old_refused(const char *field, json_t *value, const char *says)
{
    json_t *json = old_json();
    if (value)
        json_object_set_new(json, field, value);
    else
        json_object_del(json, field);
    InstanceRecord r;
    char why[200] = "";
    assert_int_equal(instance_record_from_json(json, &r, why, sizeof why), INSTANCE_RECORD_DAMAGED);
    if (!strstr(why, says))
        fail_msg("\"%s\" does not say \"%s\"", why, says);
    json_decref(json);
}

static void test_old_records_refused(void **state)
{
    (void)state;
    assert_old_refused("id", json_string("x7"), "\"id\"");
    assert_old_refused("id", NULL, "\"id\"");
    assert_old_refused("version", json_string("ABC"), "\"version\"");
    assert_old_refused("status", json_string("sleeping"), "\"status\"");
    assert_old_refused("step", json_integer(-1), "\"step\"");
    assert_old_refused("history", json_string("9"), "\"history\"");
    assert_old_refused("tags", json_pack("[i]", 1), "\"tags\"");
    assert_old_refused("state", json_integer(3), "\"state\"");
    assert_old_refused("playbook", NULL, "\"playbook\"");
    InstanceRecord r;
    char why[200] = "";
    assert_int_equal(instance_record_load("[1]", 3, &r, why, sizeof why), INSTANCE_RECORD_DAMAGED);
    assert_int_equal(instance_record_load("{\"id\"", 5, &r, why, sizeof why), INSTANCE_RECORD_DAMAGED);
}

static void assert_refused(const void *bytes, size_t len, const char *says)
{
    InstanceRecord r;
    char why[200] = "";
    int rc = instance_record_decode(bytes, len, &r, why, sizeof why);
    assert_int_equal(rc, INSTANCE_RECORD_DAMAGED);
    if (says && !strstr(why, says))
        fail_msg("\"%s\" does not say \"%s\"", why, says);
    assert_null(r.playbook);    /* nothing left allocated */
}

static void test_damage(void **state)
{
    (void)state;
    InstanceRecord r;
    full_record(&r);
    StrBuf bytes = STRBUF_INIT;
    encode(&r, &bytes);
    instance_record_free(&r);
    /* every prefix, copied so that ASan sees a read past it */
    for (size_t len = 0; len < bytes.len; len++) {
        unsigned char *cut = malloc(len ? len : 1);
        memcpy(cut, bytes.data, len);
        assert_refused(cut, len, len ? "is not a readable instance record" : NULL);
        free(cut);
    }
    /* every bit flipped: refused, or read and written again */
    unsigned char *flipped = malloc(bytes.len);
    for (size_t at = 0; at < bytes.len; at++)
        for (int bit = 0; bit < 8; bit++) {
            memcpy(flipped, bytes.data, bytes.len);
            flipped[at] ^= (unsigned char)(1 << bit);
            InstanceRecord back;
            char why[200] = "";
            int rc = instance_record_decode(flipped, bytes.len, &back, why, sizeof why);
            assert_true(rc == INSTANCE_RECORD_OK || rc == INSTANCE_RECORD_DAMAGED);
            assert_true(rc == INSTANCE_RECORD_OK || why[0]);
            if (rc == INSTANCE_RECORD_OK) {
                StrBuf again = STRBUF_INIT;
                assert_int_equal(instance_record_encode(&back, &again), 0);
                strbuf_free(&again);
                instance_record_free(&back);
            }
        }
    free(flipped);
    /* a byte after the end */
    strbuf_putc(&bytes, 0);
    assert_refused(bytes.data, bytes.len, "bytes after the record");
    bytes.len--;
    /* a status past the list */
    bytes.data[3] = 9;
    assert_refused(bytes.data, bytes.len, "unknown status");
    strbuf_free(&bytes);
    /* text that is not UTF-8 */
    full_record(&r);
    instance_record_set_text(&r.playbook, "\xff");
    StrBuf bad = STRBUF_INIT;
    encode(&r, &bad);
    assert_refused(bad.data, bad.len, "not UTF-8");
    instance_record_free(&r);
    strbuf_free(&bad);
}

static void test_counts(void **state)
{
    (void)state;
    InstanceRecord r;
    small_record(&r, 1, "p");
    StrBuf bytes = STRBUF_INIT;
    encode(&r, &bytes);
    /* the last two bytes are the tag and timer counts (0, 0) */
    assert_int_equal(bytes.data[bytes.len - 2], 0);
    bytes.data[bytes.len - 2] = 0x7F;
    assert_refused(bytes.data, bytes.len, "count larger than the bytes left");
    bytes.data[bytes.len - 2] = 0;
    bytes.data[bytes.len - 1] = 0x7F;
    assert_refused(bytes.data, bytes.len, "count larger than the bytes left");
    /* a number not in its shortest form: created_ms 0 (byte 36) written as 0x80 0x00 */
    bytes.data[bytes.len - 1] = 0;
    assert_int_equal(bytes.data[36], 0);
    StrBuf longer = STRBUF_INIT;
    strbuf_append(&longer, bytes.data, 36);
    strbuf_append(&longer, "\x80\x00", 2);
    strbuf_append(&longer, bytes.data + 37, bytes.len - 37);
    assert_refused(longer.data, longer.len, "shortest form");
    /* a tag written twice (add_tag never does it: set by hand) */
    bytes.len = 0;
    instance_record_add_tag(&r, "a");
    instance_record_add_tag(&r, "b");
    r.tags[1][0] = 'a';
    encode(&r, &bytes);
    assert_refused(bytes.data, bytes.len, "a tag written twice");
    instance_record_free(&r);
    strbuf_free(&bytes);
    strbuf_free(&longer);
}

static void test_newer(void **state)
{
    (void)state;
    InstanceRecord r;
    full_record(&r);
    StrBuf bytes = STRBUF_INIT;
    encode(&r, &bytes);
    instance_record_free(&r);
    bytes.data[0] = INSTANCE_RECORD_FORMAT + 1;
    assert_true(instance_record_is_typed(bytes.data, bytes.len));
    assert_refused(bytes.data, bytes.len, "is an instance record of version 3, newer than this huddle reads (versions 1 and 2)");
    bytes.data[0] = INSTANCE_RECORD_NEWEST_BYTE;
    assert_refused(bytes.data, bytes.len, "newer than this huddle reads");
    /* neither JSON text nor the codec's records begin with a byte of this range */
    assert_false(instance_record_is_typed("{}", 2));
    assert_false(instance_record_is_typed("\x02", 1));
    assert_false(instance_record_is_typed("\x08", 1));
    strbuf_free(&bytes);
}

static void timer_key(unsigned char key[INSTANCE_TIMER_KEY], uint64_t due, uint64_t instance, uint32_t order)
{
    for (int i = 0; i < 8; i++) {
        key[i] = (unsigned char)(due >> (56 - 8 * i));
        key[8 + i] = (unsigned char)(instance >> (56 - 8 * i));
    }
    for (int i = 0; i < 4; i++)
        key[16 + i] = (unsigned char)(order >> (24 - 8 * i));
}

static void test_timer_keys(void **state)
{
    (void)state;
    InstanceRecord r;
    small_record(&r, 7, "p");
    r.created_ms = 1764892800000;
    unsigned char keys[3][INSTANCE_TIMER_KEY];
    timer_key(keys[0], 1764892800000 + 3600000, 7, 1u << 24 | 5);   /* an hour after */
    timer_key(keys[1], 1764892800000 - 5, 7, 3);                    /* before its creation */
    timer_key(keys[2], UINT64_MAX, 7, UINT32_MAX);                  /* as far as a key goes */
    for (int i = 0; i < 3; i++)
        assert_int_equal(instance_record_add_timer(&r, keys[i]), 0);
    StrBuf v2 = STRBUF_INIT, v1 = STRBUF_INIT;
    encode(&r, &v2);
    assert_int_equal((unsigned char)v2.data[0], INSTANCE_RECORD_FORMAT_2);
    assert_round_trip(&r);
    /* a timer of another instance: the whole record is written as version 1 */
    unsigned char other[INSTANCE_TIMER_KEY];
    timer_key(other, 1764892800000, 8, 9);
    assert_int_equal(instance_record_add_timer(&r, other), 0);
    encode(&r, &v1);
    assert_int_equal((unsigned char)v1.data[0], INSTANCE_RECORD_FORMAT_1);
    assert_round_trip(&r);
    /* 3 own timers take 20 bytes each in version 1; in 2, 4 + 4 (an hour, a priority's
       order), 1 + 1 (-5 ms, 3) and 6 + 5 (the largest due, modulo 2^64 -created_ms - 1
       away, and the largest order): 21 */
    assert_int_equal(v1.len - INSTANCE_TIMER_KEY - v2.len, 3 * 20 - 21);
    /* version 1 bytes whose timers are all the instance's read, and are written as 2 */
    unsigned char *at = memmem(v1.data, v1.len, other, INSTANCE_TIMER_KEY);
    assert_non_null(at);
    at[15] = 7;
    InstanceRecord back;
    char why[200] = "";
    assert_int_equal(instance_record_decode(v1.data, v1.len, &back, why, sizeof why), INSTANCE_RECORD_OK);
    assert_int_equal(back.timer_count, 4);
    assert_memory_equal(back.timers[3] + 8, "\0\0\0\0\0\0\0\7", 8);
    assert_memory_equal(back.timers, keys, sizeof keys);
    v2.len = 0;
    encode(&back, &v2);
    assert_int_equal((unsigned char)v2.data[0], INSTANCE_RECORD_FORMAT_2);
    assert_round_trip(&back);
    /* a timer's order past 32 bits is damage */
    InstanceRecord one;
    small_record(&one, 7, "p");
    assert_int_equal(instance_record_add_timer(&one, keys[0]), 0);
    v2.len = 0;
    encode(&one, &v2);
    assert_int_equal(v2.data[v2.len - 4], (char)0x85);   /* the order 0x01000005, last: 85 80 80 08 */
    v2.data[v2.len - 1] = (char)0x88;                     /* and a fifth byte: 2^32 + 0x01000005 */
    strbuf_putc(&v2, 0x10);
    assert_refused(v2.data, v2.len, "a timer's order past 32 bits");
    instance_record_free(&one);
    instance_record_free(&back);
    instance_record_free(&r);
    strbuf_free(&v1);
    strbuf_free(&v2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_bytes),
        cmocka_unit_test(test_old_records),
        cmocka_unit_test(test_old_records_refused),
        cmocka_unit_test(test_damage),
        cmocka_unit_test(test_counts),
        cmocka_unit_test(test_timer_keys),
        cmocka_unit_test(test_newer),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
