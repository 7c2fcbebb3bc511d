/*
 * test_codec.c - the binary form of the store's records (runtime/engine/engine_codec.c,
 * formats 1 and 2; docs/internals.md, "Store records").
 *
 *   round trips   every JSON shape comes back equal, keys in the order written: empty
 *                 and nested containers, text with every width of UTF-8 and a NUL,
 *                 integers from INT64_MIN to INT64_MAX, reals, a 100,000-byte string,
 *                 keys of the dictionary and keys it does not have, 1,100 levels deep
 *   the bytes     a small record byte by byte, as the format says
 *   damage        each way a record can be wrong is CODEC_DAMAGED with a sentence saying
 *                 where, never a crash or a read past the end (the ASan build runs this
 *                 too): cut short anywhere, bad tags, overlong and oversized varints,
 *                 text that is not UTF-8, a key past the dictionary or written twice,
 *                 counts larger than the bytes left, nesting past 1,100, bytes after
 *                 the end, a real that is not finite
 *   format 2      times, hex strings and the value words take their short forms, and
 *                 only strings of exactly those shapes do (a month 13, a 29 February
 *                 of a common year, upper-case or odd-length hex stay strings); each
 *                 reads back as the same string, as format 1's bytes of it do; their
 *                 damage is refused; a record of a newer format is refused as such
 *   JSON text     codec_load reads a schema-1 record (JSON text) as before
 *   pair bytes    codec_pair_bytes: the bytes a "key": "value" pair takes, in each
 *                 format, found by memmem in a record holding it (nested too), not in
 *                 one without it
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

/* Encodes `value`, decodes it again and checks that it is equal, keys in order. */
static void round_trip(json_t *value)
{
    StrBuf bytes = STRBUF_INIT;
    assert_int_equal(codec_encode(value, &bytes), CODEC_OK);
    assert_true(codec_is_binary(bytes.data, bytes.len));
    json_t *back;
    char why[200] = "";
    int rc = codec_load(bytes.data, bytes.len, &back, why, sizeof why);
    if (rc != CODEC_OK)
        fail_msg("decoding failed: %s", why);
    assert_true(json_equal(value, back));
    /* the same text, so the same order of keys */
    char *a = json_dumps(value, JSON_COMPACT | JSON_ENCODE_ANY | JSON_PRESERVE_ORDER);
    char *b = json_dumps(back, JSON_COMPACT | JSON_ENCODE_ANY | JSON_PRESERVE_ORDER);
    assert_non_null(a);
    assert_string_equal(a, b);
    free(a);
    free(b);
    json_decref(back);
    json_decref(value);
    strbuf_free(&bytes);
}

static void round_trip_text(const char *text)
{
    json_error_t error;
    json_t *value = json_loads(text, JSON_DECODE_ANY, &error);
    if (!value)
        fail_msg("bad test JSON %s: %s", text, error.text);
    round_trip(value);
}

static void test_round_trips(void **state)
{
    (void)state;
    static const char *const TEXTS[] = {
        "null", "true", "false", "0", "31", "32", "-1", "-32", "1234567890123",
        "9223372036854775807", "-9223372036854775808", "0.5", "-1e300", "5e-324", "1.0",
        "\"\"", "\"a\"", "\"héllo wörld ✓ 😀 ♜\"", "[]", "{}", "[[]]", "[{}]", "{\"a\": {}}",
        "[1, [2, [3, [4, []]]], {\"x\": [null, true, false]}]",
        "{\"id\": \"t1\", \"instance\": \"i1\", \"status\": \"open\", \"seats\": [{\"holders\": [\"ana\"]}]}",
        "{\"zebra\": 1, \"id\": 2, \"apple\": 3, \"kind\": 4, \"mystery key\": 5}",
        "{\"ключ\": \"значение\", \"\": \"empty key\", \"😀\": [1.5, -2.25]}",
        "[0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19]",
        "{\"a\":1,\"b\":2,\"c\":3,\"d\":4,\"e\":5,\"f\":6,\"g\":7,\"h\":8,\"i\":9,\"j\":10,"
        "\"k\":11,\"l\":12,\"m\":13,\"n\":14,\"o\":15,\"p\":16,\"q\":17}",
    };
    for (size_t i = 0; i < sizeof TEXTS / sizeof TEXTS[0]; i++)
        round_trip_text(TEXTS[i]);
    /* text of 63, 64 and 100,000 bytes, and text holding a NUL */
    size_t lens[] = {63, 64, 100000};
    for (size_t i = 0; i < 3; i++) {
        char *text = malloc(lens[i]);
        for (size_t k = 0; k < lens[i]; k++)
            text[k] = (char)('a' + k % 26);
        round_trip(json_stringn(text, lens[i]));
        free(text);
    }
    round_trip(json_stringn("a\0b", 3));
    /* a key of 300 bytes the dictionary does not have */
    char key[301];
    memset(key, 'k', 300);
    key[300] = '\0';
    json_t *object = json_object();
    json_object_set_new(object, key, json_integer(INT64_MIN));
    json_object_set_new(object, "history", json_integer(INT64_MAX));
    round_trip(object);
}

/* `levels` arrays nested in each other. */
static json_t *nested(int levels)
{
    json_t *value = json_array();
    for (int i = 1; i < levels; i++) {
        json_t *outer = json_array();
        json_array_append_new(outer, value);
        value = outer;
    }
    return value;
}

static void test_depth(void **state)
{
    (void)state;
    round_trip(nested(CODEC_DEPTH_MAX));
    json_t *deeper = nested(CODEC_DEPTH_MAX + 1);
    StrBuf bytes = STRBUF_INIT;
    assert_int_equal(codec_encode(deeper, &bytes), CODEC_TOO_DEEP);
    strbuf_free(&bytes);
    json_decref(deeper);
}

/* The format byte by byte (engine_codec.c's header): {"id": "i1", "n": -1, "ok": true}
   is 02 (01 in format 1), an object of 3 (0x93), key 1 ("id", entry 0), a string of 2 (0x42) "i1", a
   literal key (00) of 1 byte "n", an integer (03) zigzag 1, a literal key "ok", true. */
static void test_bytes(void **state)
{
    (void)state;
    json_t *value = json_loads("{\"id\": \"i1\", \"n\": -1, \"ok\": true}", 0, NULL);
    StrBuf bytes = STRBUF_INIT;
    assert_int_equal(codec_encode(value, &bytes), CODEC_OK);
    static const unsigned char WANT[] = {0x02, 0x93, 0x01, 0x42, 'i', '1', 0x00, 0x01, 'n',
                                         0x03, 0x01, 0x00, 0x02, 'o', 'k', 0x02};
    assert_int_equal(bytes.len, sizeof WANT);
    assert_memory_equal(bytes.data, WANT, sizeof WANT);
    strbuf_free(&bytes);
    assert_int_equal(codec_encode_format(value, CODEC_FORMAT_1, &bytes), CODEC_OK);
    assert_int_equal(bytes.len, sizeof WANT);
    assert_int_equal((unsigned char)bytes.data[0], 0x01);
    assert_memory_equal(bytes.data + 1, WANT + 1, sizeof WANT - 1);
    strbuf_free(&bytes);
    json_decref(value);
    /* 5 in its long form (03 0A) reads as 5 too; 300 is 03 D8 04 */
    json_t *five;
    char why[200];
    assert_int_equal(codec_decode("\x01\x03\x0a", 3, &five, why, sizeof why), CODEC_OK);
    assert_int_equal(json_integer_value(five), 5);
    json_decref(five);
    value = json_integer(300);
    assert_int_equal(codec_encode(value, &bytes), CODEC_OK);
    assert_int_equal(bytes.len, 4);
    assert_memory_equal(bytes.data, "\x02\x03\xd8\x04", 4);
    strbuf_free(&bytes);
    json_decref(value);
}

/* `len` bytes must be refused as damaged with `part` in the sentence. */
static void refused(const char *bytes, size_t len, const char *part)
{
    json_t *value = (json_t *)bytes;   /* must be set to NULL */
    char why[200] = "";
    int rc = codec_load(bytes, len, &value, why, sizeof why);
    if (rc != CODEC_DAMAGED)
        fail_msg("%zu bytes: wanted CODEC_DAMAGED, got %d (%s)", len, rc, why);
    assert_null(value);
    if (!strstr(why, part))
        fail_msg("wanted \"%s\" in: %s", part, why);
}

#define REFUSED(literal, part) refused(literal, sizeof literal - 1, part)

static void test_damage(void **state)
{
    (void)state;
    REFUSED("\x01", "a value cut short at byte 1");
    REFUSED("\x01\x08", "a tag format 1 does not have at byte 1");
    REFUSED("\x01\xff", "a tag format 1 does not have");
    REFUSED("\x01\x43" "ab", "text cut short");
    REFUSED("\x01\x05\x05" "abc", "a count larger than the bytes left");
    REFUSED("\x01\x03\x80", "a number cut short");
    REFUSED("\x01\x03\x80\x00", "a number not in its shortest form");
    REFUSED("\x01\x03\xff\xff\xff\xff\xff\xff\xff\xff\xff\x02", "a number past 64 bits");
    REFUSED("\x01\x03\xff\xff\xff\xff\xff\xff\xff\xff\xff\x81\x01", "a number past 64 bits");
    REFUSED("\x01\x42\xc3\x28", "text that is not UTF-8");
    REFUSED("\x01\x43\xed\xa0\x80", "text that is not UTF-8");        /* a surrogate */
    REFUSED("\x01\x42\xc0\x80", "text that is not UTF-8");            /* overlong NUL */
    REFUSED("\x01\x91\x00\x01\xff\x20", "text that is not UTF-8");    /* in a key */
    REFUSED("\x01\x91\xff\x20", "a key past the names format 1 knows");
    REFUSED("\x01\x92\x01\x20\x01\x21", "a key written twice");
    REFUSED("\x01\x92\x00\x01" "a\x20\x00\x01" "a\x21", "a key written twice");
    REFUSED("\x01\x06\xff\xff\xff\xff\x0f", "a count larger than the bytes left");
    REFUSED("\x01\x07\x80\x80\x80\x80\x80\x80\x80\x80\x80\x01", "a count larger than the bytes left");
    REFUSED("\x01\x8f\x20", "a value cut short");
    REFUSED("\x01\x9f\x01", "an object cut short");
    REFUSED("\x01\x91\x01", "an object cut short");
    REFUSED("\x01\x91\x01\x45" "ab", "text cut short");
    REFUSED("\x01\x04\x00\x00\x00\x00", "a real cut short");
    REFUSED("\x01\x04\x00\x00\x00\x00\x00\x00\xf0\x7f", "not a finite number");   /* infinity */
    REFUSED("\x01\x04\x01\x00\x00\x00\x00\x00\xf8\x7f", "not a finite number");   /* NaN */
    REFUSED("\x01\x20\x20", "bytes after the record's end at byte 2");
    /* format 2's tags are damage in format 1; format 2's own damage */
    REFUSED("\x01\x09\x08" "abcdefgh", "a tag format 1 does not have at byte 1");
    REFUSED("\x01\xa0", "a tag format 1 does not have at byte 1");
    REFUSED("\x02\x0a", "a tag format 2 does not have at byte 1");
    REFUSED("\x02\xff", "a value past the strings format 2 knows at byte 1");
    REFUSED("\x02\x08", "a number cut short");
    REFUSED("\x02\x08\x80\xb8\xff\x90\xfd\xce\x39", "a time past the year 9999");
    REFUSED("\x02\x09", "hex cut short");
    REFUSED("\x02\x09\x07" "abcdefg", "a hex length not from 8 to 127");
    REFUSED("\x02\x09\x80", "a hex length not from 8 to 127");
    REFUSED("\x02\x09\x08" "abcdefg", "hex cut short");
    REFUSED("\x03\x20", "is a record of format 3, newer than this huddle reads (formats 1 and 2)");
    REFUSED("\x08\x20", "is a record of format 8, newer than this huddle reads");
    REFUSED("{\"a\": ", "is not JSON");
    REFUSED("", "is not JSON");
    /* every cut of a real record is refused */
    json_t *task = json_loads("{\"id\": \"t1\", \"seats\": [{\"holders\": [\"ana\", \"bo\"]}], "
                              "\"n\": -123456789, \"r\": 2.5, \"note\": \"héllo\"}", 0, NULL);
    StrBuf bytes = STRBUF_INIT;
    assert_int_equal(codec_encode(task, &bytes), CODEC_OK);
    for (size_t len = 1; len < bytes.len; len++) {
        char *copy = malloc(len);   /* exactly len bytes: ASan sees any read past them */
        memcpy(copy, bytes.data, len);
        json_t *value;
        char why[200];
        assert_int_equal(codec_load(copy, len, &value, why, sizeof why), CODEC_DAMAGED);
        free(copy);
    }
    strbuf_free(&bytes);
    json_decref(task);
    /* nesting: 1,100 arrays read, 1,101 do not */
    size_t n = CODEC_DEPTH_MAX;
    char *deep = malloc(n + 1);
    deep[0] = 0x01;
    memset(deep + 1, 0x81, n - 1);   /* arrays of one item ... */
    deep[n] = (char)0x80;            /* ... around an empty one */
    json_t *value;
    char why[200];
    assert_int_equal(codec_decode(deep, n + 1, &value, why, sizeof why), CODEC_OK);
    json_decref(value);
    char *deeper = malloc(n + 2);
    memcpy(deeper, deep, n);
    deeper[n] = (char)0x81;
    deeper[n + 1] = (char)0x80;
    assert_int_equal(codec_decode(deeper, n + 2, &value, why, sizeof why), CODEC_DAMAGED);
    assert_non_null(strstr(why, "nested deeper than 1,100"));
    free(deep);
    free(deeper);
}

/* `text` as a string value: its bytes in format 2 (the tag after the format byte), read
   back as the same string, and format 1's bytes read back as it too. */
static unsigned char string_tag(const char *text, size_t *len)
{
    json_t *value = json_string(text);
    StrBuf two = STRBUF_INIT, one = STRBUF_INIT;
    assert_int_equal(codec_encode(value, &two), CODEC_OK);
    assert_int_equal(codec_encode_format(value, CODEC_FORMAT_1, &one), CODEC_OK);
    assert_int_equal((unsigned char)one.data[1], strlen(text) <= 63 ? 0x40 + strlen(text) : 0x05);
    const StrBuf *each[2] = {&one, &two};
    for (int i = 0; i < 2; i++) {
        json_t *back;
        char why[200] = "";
        if (codec_load(each[i]->data, each[i]->len, &back, why, sizeof why) != CODEC_OK)
            fail_msg("%s: %s", text, why);
        assert_string_equal(json_string_value(back), text);
        json_decref(back);
    }
    unsigned char tag = (unsigned char)two.data[1];
    *len = two.len;
    strbuf_free(&two);
    strbuf_free(&one);
    json_decref(value);
    return tag;
}

static void test_format2(void **state)
{
    (void)state;
    size_t len;
    /* times: 2026-01-01T00:00:00.001Z is 1767225600001 ms, a 6-byte varint */
    assert_int_equal(string_tag("2026-01-01T00:00:00.001Z", &len), CODEC_TAG_TIME);
    assert_int_equal(len, 2 + 6);
    assert_int_equal(string_tag("1970-01-01T00:00:00.000Z", &len), CODEC_TAG_TIME);
    assert_int_equal(len, 3);
    assert_int_equal(string_tag("9999-12-31T23:59:59.999Z", &len), CODEC_TAG_TIME);
    assert_int_equal(string_tag("2024-02-29T23:59:59.999Z", &len), CODEC_TAG_TIME);
    static const char *const NOT_TIMES[] = {
        "2025-02-29T00:00:00.000Z", "2026-13-01T00:00:00.000Z", "2026-00-01T00:00:00.000Z",
        "2026-01-00T00:00:00.000Z", "2026-01-01T24:00:00.000Z", "2026-01-01T00:60:00.000Z",
        "2026-01-01T00:00:60.000Z", "1969-12-31T23:59:59.999Z", "2026-01-01T00:00:00.001+",
        "2026-01-01 00:00:00.001Z", "2026-01-01T00:00:00.01Z", "2026-01-01T00:00:00Z",
        "2026-01-01T00:00:0a.001Z", "+026-01-01T00:00:00.001Z"};
    for (size_t i = 0; i < sizeof NOT_TIMES / sizeof NOT_TIMES[0]; i++)
        if (string_tag(NOT_TIMES[i], &len) != 0x40 + strlen(NOT_TIMES[i]))
            fail_msg("%s is not a time as the engine writes it", NOT_TIMES[i]);
    /* hex: a version hash is 32 bytes, 16 to 254 digits */
    assert_int_equal(string_tag("5fdf8bbce76c94514635512c4c37d61f1d4f3570b1fdf97ecbfaab98c45d5c5d", &len),
                     CODEC_TAG_HEX);
    assert_int_equal(len, 1 + 1 + 1 + 32);
    assert_int_equal(string_tag("0123456789abcdef", &len), CODEC_TAG_HEX);
    char digits[257];
    memset(digits, 'f', 254);
    digits[254] = '\0';
    assert_int_equal(string_tag(digits, &len), CODEC_TAG_HEX);
    assert_int_equal(len, 2 + 1 + 127);
    digits[252] = '\0';
    assert_int_equal(string_tag(digits, &len), CODEC_TAG_HEX);
    memset(digits, 'f', 256);
    digits[255] = '\0';
    assert_int_equal(string_tag(digits, &len), CODEC_TAG_STRING);     /* 255 digits: odd */
    digits[256] = '\0';
    assert_int_equal(string_tag(digits, &len), CODEC_TAG_STRING);     /* 256: past 127 bytes */
    static const char *const NOT_HEX[] = {"0123456789abcde", "0123456789ABCDEF", "0123456789abcdeg",
                                          "deadbeef", "0123456789abcdef0"};
    for (size_t i = 0; i < sizeof NOT_HEX / sizeof NOT_HEX[0]; i++)
        if (string_tag(NOT_HEX[i], &len) != 0x40 + strlen(NOT_HEX[i]))
            fail_msg("%s is not kept as hex", NOT_HEX[i]);
    /* the value words: one byte each, and only they */
    assert_int_equal(string_tag("started", &len), CODEC_TAG_VALUE);
    assert_int_equal(len, 2);
    assert_int_equal(string_tag("running", &len), CODEC_TAG_VALUE + 4);
    for (unsigned tag = CODEC_TAG_VALUE; tag <= 0xFF; tag++) {
        const char *text = codec_value_text(tag, &len);
        if (!text)
            break;
        assert_int_equal(string_tag(text, &len), tag);
    }
    assert_int_equal(string_tag("Started", &len), 0x40 + 7);
    assert_int_equal(string_tag("start", &len), 0x40 + 5);
    /* in a record, every shape at once reads back as it was */
    round_trip_text("{\"at\": \"2026-01-01T00:00:00.001Z\", \"kind\": \"timer\", \"version\": "
                    "\"5fdf8bbce76c94514635512c4c37d61f1d4f3570b1fdf97ecbfaab98c45d5c5d\", "
                    "\"timers\": [\"0000019b77119681000000000000000103000001\"], \"what\": \"after\"}");
}

static void test_json_text(void **state)
{
    (void)state;
    const char *text = "{\"instance\":\"i1\",\"seq\":2,\"kind\":\"entered\",\"state\":\"triage\"}";
    json_t *value;
    char why[200];
    assert_false(codec_is_binary(text, strlen(text)));
    assert_int_equal(codec_load(text, strlen(text), &value, why, sizeof why), CODEC_OK);
    assert_string_equal(json_string_value(json_object_get(value, "kind")), "entered");
    char *back = json_dumps(value, JSON_COMPACT | JSON_PRESERVE_ORDER);
    assert_string_equal(back, text);
    free(back);
    json_decref(value);
}

/* Whether the record `json` encodes to bytes holding the pair's bytes. */
static bool encoded_holds(const char *json, const unsigned char *pair, size_t n, unsigned format)
{
    json_t *value = json_loads(json, 0, NULL);
    StrBuf out = STRBUF_INIT;
    assert_int_equal(codec_encode_format(value, format, &out), CODEC_OK);
    bool found = memmem(out.data, out.len, pair, n) != NULL;
    strbuf_free(&out);
    json_decref(value);
    return found;
}

static void test_pair_bytes(void **state)
{
    (void)state;
    unsigned char pair[CODEC_PAIR_MAX];
    size_t n = codec_pair_bytes("kind", "resolved", CODEC_FORMAT_1, pair);
    assert_int_equal(n, 10);
    assert_int_equal(pair[0], 3);            /* "kind" is the third key of the table */
    assert_int_equal(pair[1], 0x40 + 8);     /* a short string of 8 bytes */
    assert_memory_equal(pair + 2, "resolved", 8);
    assert_true(encoded_holds("{\"instance\": \"i1\", \"kind\": \"resolved\", \"choice\": \"yes\"}", pair, n, 1));
    n = codec_pair_bytes("kind", "resolved", CODEC_FORMAT_2, pair);
    assert_int_equal(n, 2);
    assert_int_equal(pair[1], CODEC_TAG_VALUE + 10);     /* the eleventh value word */
    assert_true(encoded_holds("{\"instance\": \"i1\", \"kind\": \"resolved\", \"choice\": \"yes\"}", pair, n, 2));
    assert_true(encoded_holds("{\"at\": \"x\", \"event\": {\"kind\": \"resolved\"}}", pair, n, 2));   /* nested: still found */
    assert_false(encoded_holds("{\"kind\": \"asked\", \"text\": \"resolved\"}", pair, n, 2));
    n = codec_pair_bytes("kind", "resolved now", CODEC_FORMAT_2, pair);
    assert_int_equal(n, 14);
    assert_false(encoded_holds("{\"kind\": \"resolved\"}", pair, n, 2));
    assert_int_equal(codec_pair_bytes("no such key", "resolved", CODEC_FORMAT_2, pair), 0);
    assert_int_equal(codec_pair_bytes("at", "2026-01-01T00:00:00.001Z", CODEC_FORMAT_2, pair), 0);
    assert_int_equal(codec_pair_bytes("at", "2026-01-01T00:00:00.001Z", CODEC_FORMAT_1, pair), 26);
    char long_value[65];
    memset(long_value, 'x', 64);
    long_value[64] = '\0';
    assert_int_equal(codec_pair_bytes("kind", long_value, CODEC_FORMAT_2, pair), 0);
    long_value[63] = '\0';
    assert_int_equal(codec_pair_bytes("kind", long_value, CODEC_FORMAT_2, pair), 65);
}

/* codec_write_key_byte with codec_key_of's byte writes what codec_write_key writes: a
   key of the table (one byte), one of its own (0, its length and bytes), inside an object
   and inside an object in an array (the counts the writer keeps). */
static void test_key_bytes(void **state)
{
    (void)state;
    static const char *const KEYS[] = {"kind", "instance", "not a key of the table", "at"};
    for (size_t i = 0; i < sizeof KEYS / sizeof KEYS[0]; i++) {
        StrBuf slow = STRBUF_INIT, fast = STRBUF_INIT;
        CodecWriter a, b;
        codec_write_begin(&a, &slow);
        codec_write_begin(&b, &fast);
        codec_write_object(&a);
        codec_write_object(&b);
        codec_write_key(&a, KEYS[i]);
        codec_write_key_byte(&b, codec_key_of(KEYS[i]), KEYS[i]);
        codec_write_array(&a);
        codec_write_array(&b);
        codec_write_object(&a);
        codec_write_object(&b);
        codec_write_key(&a, KEYS[i]);
        codec_write_key_byte(&b, codec_key_of(KEYS[i]), KEYS[i]);
        codec_write_integer(&a, 7);
        codec_write_integer(&b, 7);
        assert_int_equal(codec_write_end(&a), CODEC_OK);
        assert_int_equal(codec_write_end(&b), CODEC_OK);
        assert_int_equal(slow.len, fast.len);
        assert_memory_equal(slow.data, fast.data, slow.len);
        assert_true((codec_key_of(KEYS[i]) != 0) == (i != 2));
        strbuf_free(&slow);
        strbuf_free(&fast);
    }
}

int main(void)
{
    static const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trips),
        cmocka_unit_test(test_depth),
        cmocka_unit_test(test_bytes),
        cmocka_unit_test(test_damage),
        cmocka_unit_test(test_format2),
        cmocka_unit_test(test_json_text),
        cmocka_unit_test(test_pair_bytes),
        cmocka_unit_test(test_key_bytes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
