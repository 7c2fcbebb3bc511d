/*
 * test_small_values.c - the typed seen entries, case owners and kept events (mailbox
 * and threshold window entries: runtime/engine/engine_small_values.c; docs/internals.md,
 * "Typed values").
 *
 *   round trips    each shape of seen entry (every kind of route, poison attempts, the
 *                  first and last time the form holds, a time of whole seconds, whose
 *                  text has no .000) and of case owner (with and
 *                  without a version) reads back as the object the codec's record of
 *                  it reads as, byte for byte in JSON, keys in order; and that object
 *                  encodes again to the same bytes (the conversion of old stores)
 *   the bytes      a seen entry and a case owner byte by byte, as the format says
 *   no typed form  what the typed form cannot say exactly is left to the codec (nothing
 *                  appended): a route of another shape, an instance id not as huddle
 *                  writes it, a time before 1970, a version not 64 lowercase hex
 *   old forms      the codec's records (formats 1 and 2) and JSON text read as before
 *   damage         every prefix of a value is refused (but the case owner that is a
 *                  whole one without its version), and every single bit flipped is
 *                  refused or reads as a value that encodes to exactly those bytes,
 *                  never a crash or a read past the end (the ASan build runs this too)
 *   newer          a value of a newer version is refused, saying so
 *   events         an event kept reads back as the codec's record of it did (its data
 *                  any JSON), its old forms read, its damage refused the same way
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
#include "engine_small_values.h"

#define NOW_MS 1780000000123LL              /* 2026-05-28T20:26:40.123Z */
#define HASH "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

static char *text_of(const json_t *value)
{
    char *text = json_dumps(value, JSON_COMPACT | JSON_PRESERVE_ORDER);
    assert_non_null(text);
    return text;
}

/* `bytes` (typed, of `table`) read as `want`'s object, which the codec's record of it
   also reads as; and that object encodes to the same bytes again. */
static void reads_as(StoreTable table, const StrBuf *bytes, const json_t *want)
{
    assert_true(small_value_typed(table, bytes->data, bytes->len));
    json_t *got;
    char why[240] = "";
    int rc = small_value_load(table, bytes->data, bytes->len, &got, why, sizeof why);
    if (rc != CODEC_OK)
        fail_msg("not read: %s", why);
    char *a = text_of(want), *b = text_of(got);
    assert_string_equal(a, b);
    StrBuf codec = STRBUF_INIT, again = STRBUF_INIT;
    assert_int_equal(codec_encode(want, &codec), CODEC_OK);
    json_t *old;
    assert_int_equal(small_value_load(table, codec.data, codec.len, &old, why, sizeof why), CODEC_OK);
    char *c = text_of(old);
    assert_string_equal(a, c);
    assert_true(small_value_encode_json(table, got, &again));
    assert_int_equal(again.len, bytes->len);
    assert_memory_equal(again.data, bytes->data, bytes->len);
    free(a);
    free(b);
    free(c);
    json_decref(got);
    json_decref(old);
    strbuf_free(&codec);
    strbuf_free(&again);
}

/* The seen entry for `went_text` at `at_ms`, encoded and read back. */
static void seen_round_trip(int64_t at_ms, const char *went_text, long long poison)
{
    json_t *went = json_loads(went_text, 0, NULL);
    assert_non_null(went);
    StrBuf bytes = STRBUF_INIT;
    assert_true(seen_value_encode(at_ms, went, poison, &bytes));
    char at[SMALL_TIME_TEXT];
    small_time_text(at_ms, at);
    json_t *want = json_pack("{s:s, s:O}", "at", at, "went", went);
    if (poison >= 0)
        json_object_set_new(want, "poison_attempts", json_integer(poison));
    reads_as(TABLE_SEEN, &bytes, want);
    int64_t got_ms = -1;
    char why[240];
    assert_int_equal(seen_value_at(bytes.data, bytes.len, &got_ms, why, sizeof why), CODEC_OK);
    assert_int_equal(got_ms, at_ms);
    json_decref(want);
    json_decref(went);
    strbuf_free(&bytes);
}

static void test_seen_round_trips(void **state)
{
    (void)state;
    seen_round_trip(NOW_MS, "[]", -1);
    seen_round_trip(1780000000000LL, "[]", -1);   /* whole seconds: "...:40Z", no .000 */
    seen_round_trip(NOW_MS, "[{\"playbook\": \"refund\", \"instance\": \"i1\", \"as\": \"started\"}]", -1);
    seen_round_trip(0, "[{\"playbook\": \"p\", \"instance\": \"i18446744073709551615\", \"as\": \"joined\"}]", -1);
    seen_round_trip((int64_t)CODEC_TIME_MAX, "[{\"playbook\": \"late\", \"as\": \"counted\"}]", -1);
    seen_round_trip(NOW_MS, "[{\"playbook\": \"caf\\u00e9 \\ud83d\\ude00\", \"error\": \"when: 'x' is not a number\"},"
                            " {\"playbook\": \"b\", \"instance\": \"i42\", \"as\": \"started\"},"
                            " {\"playbook\": \"c\", \"as\": \"counted\"}]", -1);
    seen_round_trip(NOW_MS, "[{\"directory\": \"away\"}]", -1);
    seen_round_trip(NOW_MS, "[{\"directory\": \"back\"}]", -1);
    seen_round_trip(NOW_MS, "[]", 3);
    seen_round_trip(NOW_MS, "[]", 0);
}

static void case_round_trip(uint64_t instance, int64_t until, const char *version)
{
    CaseOwner owner = {instance, until, version != NULL, ""}, back;
    if (version)
        snprintf(owner.version, sizeof owner.version, "%s", version);
    StrBuf bytes = STRBUF_INIT;
    assert_true(case_owner_encode(&owner, &bytes));
    char why[240] = "";
    assert_int_equal(case_owner_decode(bytes.data, bytes.len, &back, why, sizeof why), CODEC_OK);
    assert_int_equal(back.instance, instance);
    assert_int_equal(back.until, until);
    assert_int_equal(back.has_version, version != NULL);
    assert_string_equal(back.version, version ? version : "");
    json_t *want = json_pack("{s:I, s:I}", "instance", (json_int_t)instance, "until", (json_int_t)until);
    if (version)
        json_object_set_new(want, "version", json_string(version));
    reads_as(TABLE_CASES, &bytes, want);
    json_decref(want);
    strbuf_free(&bytes);
}

static void test_case_round_trips(void **state)
{
    (void)state;
    case_round_trip(1, 0, HASH);
    case_round_trip(123456789, NOW_MS, HASH);
    case_round_trip((uint64_t)INT64_MAX, INT64_MAX, NULL);
    case_round_trip(7, 0, NULL);
}

static void test_bytes(void **state)
{
    (void)state;
    json_t *went = json_loads("[{\"playbook\": \"ab\", \"instance\": \"i300\", \"as\": \"joined\"}]", 0, NULL);
    StrBuf bytes = STRBUF_INIT;
    assert_true(seen_value_encode(1000, went, -1, &bytes));
    static const unsigned char SEEN[] = {0x10, 0xE8, 0x07, 0x00, 0x01, 0x02, 0x02, 'a', 'b', 0xAC, 0x02};
    assert_int_equal(bytes.len, sizeof SEEN);
    assert_memory_equal(bytes.data, SEEN, sizeof SEEN);
    bytes.len = 0;
    CaseOwner owner = {5, 0, true, HASH};
    assert_true(case_owner_encode(&owner, &bytes));
    assert_int_equal(bytes.len, 3 + 32);
    assert_memory_equal(bytes.data, "\x10\x05\x00\x01\x23\x45\x67\x89\xab\xcd\xef", 11);
    json_decref(went);
    strbuf_free(&bytes);
}

/* `went_text` has no typed form: nothing appended. */
static void seen_untyped(int64_t at_ms, const char *went_text)
{
    json_t *went = json_loads(went_text, 0, NULL);
    assert_non_null(went);
    StrBuf bytes = STRBUF_INIT;
    strbuf_puts(&bytes, "kept");
    assert_false(seen_value_encode(at_ms, went, -1, &bytes));
    assert_int_equal(bytes.len, 4);
    json_decref(went);
    strbuf_free(&bytes);
}

static void test_no_typed_form(void **state)
{
    (void)state;
    seen_untyped(-1, "[]");
    seen_untyped((int64_t)CODEC_TIME_MAX + 1, "[]");
    seen_untyped(NOW_MS, "{}");
    seen_untyped(NOW_MS, "[{\"playbook\": \"p\", \"instance\": \"i01\", \"as\": \"started\"}]");
    seen_untyped(NOW_MS, "[{\"playbook\": \"p\", \"instance\": \"i0\", \"as\": \"started\"}]");
    seen_untyped(NOW_MS, "[{\"playbook\": \"p\", \"instance\": \"x1\", \"as\": \"started\"}]");
    seen_untyped(NOW_MS, "[{\"playbook\": \"p\", \"instance\": \"i18446744073709551616\", \"as\": \"started\"}]");
    seen_untyped(NOW_MS, "[{\"playbook\": \"p\", \"instance\": \"i1\", \"as\": \"left\"}]");
    seen_untyped(NOW_MS, "[{\"playbook\": \"p\", \"instance\": \"i1\", \"as\": \"started\", \"x\": 1}]");
    seen_untyped(NOW_MS, "[{\"playbook\": \"p\", \"as\": \"counted\", \"x\": 1}]");
    seen_untyped(NOW_MS, "[{\"playbook\": 1, \"as\": \"counted\"}]");
    seen_untyped(NOW_MS, "[{\"directory\": \"sideways\"}]");
    seen_untyped(NOW_MS, "[\"started\"]");
    StrBuf bytes = STRBUF_INIT;
    CaseOwner upper = {1, 0, true, "0123456789ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef"};
    CaseOwner short_hash = {1, 0, true, "0123456789abcdef"};
    CaseOwner huge = {(uint64_t)INT64_MAX + 1, 0, false, ""};
    CaseOwner before = {1, -5, false, ""};
    assert_false(case_owner_encode(&upper, &bytes));
    assert_false(case_owner_encode(&short_hash, &bytes));
    assert_false(case_owner_encode(&huge, &bytes));
    assert_false(case_owner_encode(&before, &bytes));
    assert_int_equal(bytes.len, 0);
    /* objects of the JSON form with more or other members than the typed form says */
    const char *objects[][2] = {
        {"seen", "{\"at\": \"2026-05-28T20:26:40.123Z\", \"went\": [], \"extra\": 1}"},
        {"seen", "{\"at\": \"2026-05-28T20:26:40.000Z\", \"went\": []}"},
        {"seen", "{\"at\": \"2026-05-28T20:26:40.1Z\", \"went\": []}"},
        {"seen", "{\"at\": \"2026-02-30T20:26:40.123Z\", \"went\": []}"},
        {"seen", "{\"at\": \"2026-05-28T20:26:40.123Z\", \"went\": [], \"poison_attempts\": -1}"},
        {"seen", "{\"went\": []}"},
        {"cases", "{\"instance\": 1}"},
        {"cases", "{\"instance\": 1, \"until\": 0, \"version\": 5}"},
        {"cases", "{\"instance\": \"i1\", \"until\": 0}"},
        {"cases", "{\"instance\": 1, \"until\": 0, \"who\": \"x\"}"},
    };
    for (size_t i = 0; i < sizeof objects / sizeof objects[0]; i++) {
        json_t *object = json_loads(objects[i][1], 0, NULL);
        assert_non_null(object);
        assert_false(small_value_encode_json(objects[i][0][0] == 's' ? TABLE_SEEN : TABLE_CASES, object, &bytes));
        assert_int_equal(bytes.len, 0);
        json_decref(object);
    }
    json_t *history = json_loads("{\"instance\": 1, \"until\": 0}", 0, NULL);
    assert_false(small_value_encode_json(TABLE_HISTORY, history, &bytes));
    json_decref(history);
    strbuf_free(&bytes);
}

/* `text`, an object of `table`'s JSON form, read through small_value_load as JSON text
   (schema 1) and as the codec's records of formats 1 and 2: the same object each time. */
static void old_forms_read(StoreTable table, const char *text)
{
    json_t *want = json_loads(text, 0, NULL);
    assert_non_null(want);
    char *want_text = text_of(want);
    for (unsigned form = 0; form < 3; form++) {
        StrBuf bytes = STRBUF_INIT;
        if (form == 0)
            strbuf_puts(&bytes, text);
        else
            assert_int_equal(codec_encode_format(want, form, &bytes), CODEC_OK);
        assert_false(small_value_typed(table, bytes.data, bytes.len));
        json_t *got;
        char why[240];
        assert_int_equal(small_value_load(table, bytes.data, bytes.len, &got, why, sizeof why), CODEC_OK);
        char *got_text = text_of(got);
        assert_string_equal(got_text, want_text);
        free(got_text);
        json_decref(got);
        strbuf_free(&bytes);
    }
    free(want_text);
    json_decref(want);
}

/* Today's and older forms read through small_value_load as codec_load reads them. */
static void test_old_forms(void **state)
{
    (void)state;
    const char *texts[][2] = {
        {"seen", "{\"at\": \"2026-05-28T20:26:40.123Z\", \"went\": [{\"playbook\": \"p\", \"instance\": \"i1\", \"as\": \"started\"}]}"},
        {"seen", "{\"at\": \"2026-05-28T20:26:40.123Z\", \"went\": [], \"poison_attempts\": 2}"},
        {"cases", "{\"instance\": 4, \"until\": 0, \"version\": \"" HASH "\"}"},
        {"cases", "{\"instance\": 4}"},
    };
    for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++)
        old_forms_read(texts[i][0][0] == 's' ? TABLE_SEEN : TABLE_CASES, texts[i][1]);
}

static const char *const NAMES[TABLE_COUNT] = {[TABLE_SEEN] = "seen entry", [TABLE_CASES] = "case owner",
                                               [TABLE_MAILBOX] = "mailbox entry",
                                               [TABLE_WINDOWS] = "threshold window entry"};

/* Every prefix of `bytes` refused (but a prefix of `whole_len`, a whole value), and every
   bit flip refused or read as a value encoding to exactly the flipped bytes. */
static void damage_checked(StoreTable table, const StrBuf *bytes, size_t whole_len)
{
    char *copy = malloc(bytes->len);
    assert_non_null(copy);
    json_t *value;
    char why[240];
    for (size_t len = 0; len < bytes->len; len++) {
        memcpy(copy, bytes->data, len);   /* its own allocation: ASan sees a read past it */
        int rc = small_value_load(table, copy, len, &value, why, sizeof why);
        if (len == whole_len) {
            assert_int_equal(rc, CODEC_OK);
            json_decref(value);
            continue;
        }
        if (len > 0 && small_value_typed(table, copy, len)) {
            assert_int_equal(rc, CODEC_DAMAGED);
            assert_non_null(strstr(why, NAMES[table]));
        } else {
            assert_int_not_equal(rc, CODEC_OK);   /* empty: not JSON either */
        }
    }
    for (size_t bit = 0; bit < bytes->len * 8; bit++) {
        memcpy(copy, bytes->data, bytes->len);
        copy[bit / 8] ^= (char)(1u << (bit % 8));
        if (!small_value_typed(table, copy, bytes->len))
            continue;   /* the version byte made another form: the codec's, tested there */
        int rc = small_value_load(table, copy, bytes->len, &value, why, sizeof why);
        if (rc != CODEC_OK) {
            assert_int_equal(rc, CODEC_DAMAGED);
            continue;
        }
        StrBuf again = STRBUF_INIT;
        assert_true(small_value_encode_json(table, value, &again));
        if (table == TABLE_SEEN || table == TABLE_CASES) {
            assert_int_equal(again.len, bytes->len);
            assert_memory_equal(again.data, copy, bytes->len);
        } else {
            /* an event's data is the codec's, which reads some values written more than
               one way: the object it reads as is written the one way, and reads the same */
            json_t *back;
            assert_int_equal(small_value_load(table, again.data, again.len, &back, why, sizeof why), CODEC_OK);
            char *a = text_of(value), *b = text_of(back);
            assert_string_equal(a, b);
            free(a);
            free(b);
            json_decref(back);
        }
        strbuf_free(&again);
        json_decref(value);
    }
    free(copy);
}


static void test_damage(void **state)
{
    (void)state;
    json_t *went = json_loads("[{\"playbook\": \"refund\", \"instance\": \"i7\", \"as\": \"started\"},"
                              " {\"playbook\": \"caf\\u00e9\", \"error\": \"e\"}, {\"playbook\": \"t\", \"as\": \"counted\"},"
                              " {\"directory\": \"away\"}]", 0, NULL);
    StrBuf bytes = STRBUF_INIT;
    assert_true(seen_value_encode(NOW_MS, went, 2, &bytes));
    damage_checked(TABLE_SEEN, &bytes, SIZE_MAX);
    bytes.len = 0;
    CaseOwner owner = {300, NOW_MS, true, HASH};
    assert_true(case_owner_encode(&owner, &bytes));
    damage_checked(TABLE_CASES, &bytes, bytes.len - 32);
    /* named damage */
    json_t *value;
    char why[240];
    assert_int_equal(small_value_load(TABLE_SEEN, "\x10\x01\x00\x01\x09", 5, &value, why, sizeof why), CODEC_DAMAGED);
    assert_string_equal(why, "is not a readable seen entry (a route of no known kind at byte 4)");
    assert_int_equal(small_value_load(TABLE_SEEN, "\x10\x80\x00\x00\x00", 5, &value, why, sizeof why), CODEC_DAMAGED);
    assert_int_equal(small_value_load(TABLE_SEEN, "\x10\x01\x00\x00\x00", 5, &value, why, sizeof why), CODEC_DAMAGED);
    assert_string_equal(why, "is not a readable seen entry (bytes after the value at byte 4)");
    assert_int_equal(small_value_load(TABLE_SEEN, "\x10\x01\x00\x01\x03\x01\xff", 7, &value, why, sizeof why),
                     CODEC_DAMAGED);
    assert_string_equal(why, "is not a readable seen entry (text that is not UTF-8 at byte 6)");
    assert_int_equal(small_value_load(TABLE_SEEN, "\x10\x01\x00\x01\x01\x01p\x00", 8, &value, why, sizeof why),
                     CODEC_DAMAGED);
    assert_string_equal(why, "is not a readable seen entry (an instance number 0 at byte 8)");
    assert_int_equal(small_value_load(TABLE_CASES, "\x10\x01\x00\x05", 4, &value, why, sizeof why), CODEC_DAMAGED);
    assert_string_equal(why, "is not a readable case owner (a version that is not 32 bytes at byte 3)");
    int64_t at;
    assert_int_equal(seen_value_at("\x10\x01\x00\x02\x03\x00", 6, &at, why, sizeof why), CODEC_DAMAGED);
    assert_string_equal(why, "is not a readable seen entry (cut short at byte 6)");
    json_decref(went);
    strbuf_free(&bytes);
}

static void test_newer_version(void **state)
{
    (void)state;
    json_t *value;
    char why[240];
    assert_int_equal(small_value_load(TABLE_SEEN, "\x11\x01\x00\x00", 4, &value, why, sizeof why), CODEC_DAMAGED);
    assert_string_equal(why, "is a seen entry of version 2, newer than this huddle reads (version 1)");
    assert_int_equal(small_value_load(TABLE_CASES, "\x1f", 1, &value, why, sizeof why), CODEC_DAMAGED);
    assert_string_equal(why, "is a case owner of version 16, newer than this huddle reads (version 1)");
    CaseOwner owner;
    assert_int_equal(case_owner_decode("\x12\x01\x00", 3, &owner, why, sizeof why), CODEC_DAMAGED);
    assert_string_equal(why, "is a case owner of version 3, newer than this huddle reads (version 1)");
    /* other tables keep no typed values: the same bytes are the codec's to refuse */
    assert_false(small_value_typed(TABLE_TASKS, "\x10\x01\x00\x00", 4));
    assert_int_equal(small_value_load(TABLE_TASKS, "\x10\x01\x00\x00", 4, &value, why, sizeof why), CODEC_DAMAGED);
    assert_non_null(strstr(why, "is not JSON"));
}

/* The event entry for these fields, encoded and read back in `table`. */
static void event_round_trip(StoreTable table, const char *id, int64_t time_ms, const char *data_text)
{
    json_t *data = json_loads(data_text, JSON_DECODE_ANY, NULL);
    assert_non_null(data);
    StrBuf bytes = STRBUF_INIT;
    assert_true(event_entry_encode("stripe", "charge.failed", id, time_ms, data, &bytes));
    char time[SMALL_TIME_TEXT];
    small_time_text(time_ms, time);
    json_t *want = json_pack("{s:s, s:s, s:s, s:s, s:O}", "source", "stripe", "type", "charge.failed", "id", id,
                             "time", time, "data", data);
    reads_as(table, &bytes, want);
    EventEntry event;
    char why[240];
    assert_int_equal(event_entry_decode(table, bytes.data, bytes.len, &event, why, sizeof why), CODEC_OK);
    assert_int_equal(event.id_len, strlen(id));
    assert_memory_equal(event.id, id, event.id_len);
    assert_int_equal(event.time_ms, time_ms);
    assert_true(json_equal(event.data, data));
    json_decref(event.data);
    json_decref(want);
    json_decref(data);
    strbuf_free(&bytes);
}

static void test_event_round_trips(void **state)
{
    (void)state;
    event_round_trip(TABLE_MAILBOX, "evt_1", NOW_MS, "{\"amount\": 1250, \"who\": \"caf\u00e9\", \"tags\": [1, 2.5, null, true]}");
    event_round_trip(TABLE_WINDOWS, "", 0, "null");
    event_round_trip(TABLE_MAILBOX, "n1", 1780000000000LL, "{}");
    event_round_trip(TABLE_MAILBOX, "x", (int64_t)CODEC_TIME_MAX, "[[[[\"deep\"]]]]");
    event_round_trip(TABLE_WINDOWS, "at-2026", NOW_MS, "{\"at\": \"2026-05-28T20:26:40.123Z\", \"version\": \"" HASH "\"}");
    /* no typed form: nothing appended */
    StrBuf bytes = STRBUF_INIT;
    json_t *data = json_object();
    assert_false(event_entry_encode("s", "t", "i", -1, data, &bytes));
    assert_false(event_entry_encode("s", "t", "\xff", NOW_MS, data, &bytes));
    assert_false(event_entry_encode("s", "t", "i", NOW_MS, NULL, &bytes));
    assert_int_equal(bytes.len, 0);
    json_t *objects[] = {
        json_pack("{s:s, s:s, s:s, s:s, s:O}", "source", "s", "type", "t", "id", "i", "time", "2026-05-28T20:26:40.000Z", "data", data),
        json_pack("{s:s, s:s, s:s, s:s}", "source", "s", "type", "t", "id", "i", "time", "2026-05-28T20:26:40.123Z"),
        json_pack("{s:s, s:s, s:i, s:s, s:O}", "source", "s", "type", "t", "id", 5, "time", "2026-05-28T20:26:40.123Z", "data", data),
        json_pack("{s:s, s:s, s:s, s:s, s:O, s:i}", "source", "s", "type", "t", "id", "i", "time", "2026-05-28T20:26:40.123Z",
                  "data", data, "more", 1),
    };
    for (size_t i = 0; i < sizeof objects / sizeof objects[0]; i++) {
        assert_non_null(objects[i]);
        assert_false(small_value_encode_json(TABLE_MAILBOX, objects[i], &bytes));
        assert_int_equal(bytes.len, 0);
        json_decref(objects[i]);
    }
    json_decref(data);
    strbuf_free(&bytes);
}

static void test_event_old_forms_and_damage(void **state)
{
    (void)state;
    const char *text = "{\"source\": \"stripe\", \"type\": \"charge.failed\", \"id\": \"evt_9\", "
                       "\"time\": \"2026-05-28T20:26:40.123Z\", \"data\": {\"n\": [1, {\"k\": \"v\"}]}}";
    old_forms_read(TABLE_MAILBOX, text);
    old_forms_read(TABLE_WINDOWS, text);
    json_t *want = json_loads(text, 0, NULL);
    StrBuf bytes = STRBUF_INIT;
    assert_true(small_value_encode_json(TABLE_MAILBOX, want, &bytes));
    damage_checked(TABLE_MAILBOX, &bytes, SIZE_MAX);
    damage_checked(TABLE_WINDOWS, &bytes, SIZE_MAX);
    json_t *value;
    char why[240];
    assert_int_equal(small_value_load(TABLE_MAILBOX, "\x10\x01s\x01t\x01i\x05\x01\x20", 10, &value, why, sizeof why),
                     CODEC_DAMAGED);
    assert_string_equal(why, "is not a readable mailbox entry (data that is not a record of format 2 at byte 8)");
    assert_int_equal(small_value_load(TABLE_WINDOWS, "\x10\x01s\x01t\x01i\x05\x02\x20\x20", 11, &value, why, sizeof why),
                     CODEC_DAMAGED);
    assert_non_null(strstr(why, "is not a readable threshold window entry (its data after byte 8: "));
    assert_int_equal(small_value_load(TABLE_MAILBOX, "\x10\x01s\x02t\x00\x01i\x05\x02\x20", 12, &value, why,
                                      sizeof why), CODEC_DAMAGED);
    assert_string_equal(why, "is not a readable mailbox entry (text with a NUL byte at byte 4)");
    assert_int_equal(small_value_load(TABLE_MAILBOX, "\x13", 1, &value, why, sizeof why), CODEC_DAMAGED);
    assert_string_equal(why, "is a mailbox entry of version 4, newer than this huddle reads (version 1)");
    json_decref(want);
    strbuf_free(&bytes);
}

int main(void)
{
    static const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_seen_round_trips),
        cmocka_unit_test(test_case_round_trips),
        cmocka_unit_test(test_bytes),
        cmocka_unit_test(test_no_typed_form),
        cmocka_unit_test(test_old_forms),
        cmocka_unit_test(test_damage),
        cmocka_unit_test(test_newer_version),
        cmocka_unit_test(test_event_round_trips),
        cmocka_unit_test(test_event_old_forms_and_damage),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
