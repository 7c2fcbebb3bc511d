/*
 * test_codec_canon.c - the canonical form written straight from a record's binary bytes
 * (runtime/engine/engine_codec_canon.c) against the one written from jansson values
 * (runtime/audit/audit_canon.c, audit_canon): the chain is computed by the first and
 * documented (docs/audit.md) and checked by tools/verify_export.py as the second, so
 * they must give the same bytes for every record.
 *
 *   shapes     every kind of value: escapes and control characters, every width of
 *              UTF-8, integers to INT64_MIN/MAX and past 2^53, reals (RFC 8785's
 *              vectors), long strings and containers past the short tags, keys of the
 *              codec's dictionary mixed with keys of their own, member names that sort
 *              differently by UTF-16 code units than by code points, 1,100 levels deep
 *              format 2's times, hex strings and value words, and near misses of them
 *   both       every value above from its bytes of format 1 and of format 2: one
 *              canonical form (a store written before format 2 verifies as before)
 *   random     20,000 values made at random from those pieces, nested, compared
 *   a record   a history record's "instance" and "seq" are handed back, and an integer
 *              member read alone (codec_member_integer: verify reads the instances'
 *              "history" so)
 *   damage     every record cut short at every byte, and with each byte changed: the
 *              fast writer (and codec_member_integer) refuses exactly what
 *              codec_decode refuses, and what both read gives the same canonical bytes
 *              (and the same "seq")
 *   strings    strings of 0 to 40 bytes with a byte that needs care (a control
 *              character, '"', '\\', DEL, UTF-8 of every width, bytes that are no UTF-8,
 *              a NUL) at every place, with bytes after them in the record and without:
 *              the one-pass path for printable ASCII (which reads a word at a time, past
 *              a short string's end when the record goes on) gives the same verdict and
 *              bytes as the decoder and audit_canon
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "audit.h"
#include "engine_codec.h"

/* The canonical bytes of `value` both ways must be equal, from its bytes of format 2
   and of format 1 alike; returns how many bytes. */
static size_t same_both_ways(const json_t *value)
{
    StrBuf slow = STRBUF_INIT;
    assert_int_equal(audit_canon(value, &slow), AUDIT_OK);
    static const unsigned FORMATS[] = {CODEC_FORMAT_2, CODEC_FORMAT_1};
    for (int f = 0; f < 2; f++) {
        StrBuf bytes = STRBUF_INIT;
        assert_int_equal(codec_encode_format(value, FORMATS[f], &bytes), CODEC_OK);
        CodecCanon fast = {0};
        assert_int_equal(codec_canon(&fast, bytes.data, bytes.len), CODEC_OK);
        if (fast.text.len != slow.len || memcmp(fast.text.data, slow.data, slow.len) != 0)
            fail_msg("canonical forms differ (format %u):\n  jansson: %s\n  bytes:   %s", FORMATS[f],
                     strbuf_text(&slow), strbuf_text(&fast.text));
        codec_canon_free(&fast);
        strbuf_free(&bytes);
    }
    size_t len = slow.len;
    strbuf_free(&slow);
    return len;
}

static void check(json_t *value)
{
    assert_non_null(value);
    same_both_ways(value);
    json_decref(value);
}

static void test_shapes(void **state)
{
    (void)state;
    check(json_null());
    check(json_pack("[b,b,n,i,i,i,i]", 1, 0, 0, 31, 32, -1, 0));
    check(json_pack("[I,I,I,I]", (json_int_t)INT64_MIN, (json_int_t)INT64_MAX,
                    (json_int_t)9007199254740993LL, (json_int_t)-9007199254740993LL));
    static const uint64_t reals[] = {0x8000000000000000ULL, 0x0000000000000001ULL, 0x7fefffffffffffffULL,
                                     0x44b52d02c7e14af6ULL, 0x444b1ae4d6e2ef50ULL, 0x3eb0c6f7a0b5ed8dULL,
                                     0x41b3de4355555553ULL, 0xbecbf647612f3696ULL, 0x43143ff3c1cb0959ULL};
    json_t *list = json_array();
    for (size_t i = 0; i < sizeof reals / sizeof reals[0]; i++) {
        double d;
        memcpy(&d, &reals[i], sizeof d);
        json_array_append_new(list, json_real(d));
    }
    check(list);
    check(json_stringn("a\"b\\c\b\t\n\f\r\x01\x1f\x7f/\xc3\xa9\0z \xe2\x82\xac \xf0\x9f\x98\x80", 28));
    char long_text[300];
    for (size_t i = 0; i < sizeof long_text - 1; i++)
        long_text[i] = (char)(i % 7 == 3 ? '"' : i % 11 == 5 ? '\n' : 'a' + i % 26);
    long_text[sizeof long_text - 1] = '\0';
    check(json_pack("{s:s,s:s}", "comment", long_text, long_text, "as a name too"));
    /* RFC 8785 3.2.3: an emoji (a surrogate pair in UTF-16) sorts before U+FB33 */
    check(json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s}", "\xe2\x82\xac", "Euro Sign", "\r", "CR",
                    "\xef\xac\xb3", "Dalet", "1", "One", "\xf0\x9f\x98\x80", "Emoji", "\xc2\x80",
                    "Control", "\xc3\xb6", "o"));
    /* format 2's times, hex strings and value words, and strings almost of their shapes */
    check(json_pack("{s:s,s:s,s:s,s:[s,s,s,s,s]}", "at", "2026-01-01T00:00:00.001Z", "kind", "started",
                    "version", "5fdf8bbce76c94514635512c4c37d61f1d4f3570b1fdf97ecbfaab98c45d5c5d", "timers",
                    "0000019b77119681000000000000000103000001", "2025-02-29T00:00:00.000Z", "DEADBEEFDEADBEEF",
                    "resolved", "9999-12-31T23:59:59.999Z"));
    /* the dictionary's names ("id", "instance", "seq"...) among names of their own */
    check(json_pack("{s:s,s:i,s:s,s:{s:[],s:{}},s:s,s:i,s:s}", "instance", "i7", "seq", 3, "i", "x",
                    "event", "data", "datum", "kind", "asked", "zz", 1, "\xee\x80\x80", "private use"));
    json_t *wide = json_object(), *long_list = json_array();
    for (int i = 0; i < 40; i++) {
        char name[16];
        snprintf(name, sizeof name, "k%d", 39 - i);
        json_object_set_new(wide, name, json_integer(i * 1000003));
        json_array_append_new(long_list, json_integer(-i));
    }
    json_object_set_new(wide, "list", long_list);
    check(wide);
    json_t *deep = json_integer(1);
    for (int i = 0; i < CODEC_DEPTH_MAX; i++)
        deep = i % 2 ? json_pack("[o]", deep) : json_pack("{s:o}", "data", deep);
    check(deep);
}

/* ---- random values ---- */

static uint64_t rng = 0x9E3779B97F4A7C15ULL;

static unsigned next(unsigned below)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (unsigned)(rng % below);
}

static const char *const PIECES[] = {
    "a", "Z", "0", " ", "\"", "\\", "\n", "\x01", "\x1f", "\x7f", "\xc3\xa9", "\xc2\x80",
    "\xe2\x82\xac", "\xef\xac\xb3", "\xee\x80\x80", "\xef\xbf\xbf", "\xf0\x9f\x98\x80",
    "\xf4\x8f\xbf\xbf", "id", "seq", "instance", "kind", "comment",
};

/* `len` pieces of text: ASCII, escapes, and UTF-8 of every width. */
static void random_text(char *out, size_t cap, unsigned pieces)
{
    size_t at = 0;
    for (unsigned i = 0; i < pieces; i++) {
        const char *p = PIECES[next(sizeof PIECES / sizeof PIECES[0])];
        size_t n = strlen(p);
        if (at + n >= cap)
            break;
        memcpy(out + at, p, n);
        at += n;
    }
    out[at] = '\0';
}

static json_t *random_value(int depth)
{
    char text[200];
    unsigned kind = next(depth > 3 ? 6 : 8);
    switch (kind) {
    case 0: return json_null();
    case 1: return json_boolean(next(2));
    case 2: return json_integer(next(2) ? (json_int_t)next(40) - 5
                                        : (json_int_t)(rng ^ (rng << 31)) >> next(60));
    case 3: {
        uint64_t bits = rng ^ (rng >> 3);
        double d;
        memcpy(&d, &bits, sizeof d);
        return json_real(isfinite(d) ? d : (double)next(1000) / 7.0);
    }
    case 4: {
        static const char *const SHAPED[] = {   /* format 2's own forms, and near misses */
            "2026-01-01T00:00:00.001Z", "1970-01-01T00:00:00.000Z", "2024-02-29T12:34:56.789Z",
            "2026-13-01T00:00:00.000Z", "0123456789abcdef", "0123456789abcdeF", "started",
            "running", "resolved", "after", "Started", "5fdf8bbce76c94514635512c4c37d61f"};
        if (next(3) == 0)
            return json_string(SHAPED[next(sizeof SHAPED / sizeof SHAPED[0])]);
    }
    /* fall through */
    case 5:
        random_text(text, sizeof text, next(3) ? next(8) : 40 + next(40));
        return json_string(text);
    case 6: {
        json_t *array = json_array();
        for (unsigned i = next(3) || depth > 1 ? next(4) : 16 + next(4); i > 0; i--)
            json_array_append_new(array, random_value(depth + 1));
        return array;
    }
    default: {
        json_t *object = json_object();
        for (unsigned i = next(3) || depth > 1 ? next(6) : 16 + next(4); i > 0; i--) {
            random_text(text, sizeof text, 1 + next(3));
            json_object_set_new(object, text, random_value(depth + 1));
        }
        return object;
    }
    }
}

static void test_random(void **state)
{
    (void)state;
    for (int i = 0; i < 20000; i++)
        check(random_value(0));
}

/* ---- a record's own fields ---- */

static void test_record_fields(void **state)
{
    (void)state;
    json_t *record = json_pack("{s:s,s:s,s:I,s:s}", "at", "2026-06-15T06:00:00.000Z", "instance", "i42",
                               "seq", (json_int_t)70000, "kind", "asked");
    StrBuf bytes = STRBUF_INIT;
    assert_int_equal(codec_encode(record, &bytes), CODEC_OK);
    CodecCanon c = {0};
    assert_int_equal(codec_canon(&c, bytes.data, bytes.len), CODEC_OK);
    assert_non_null(c.instance);
    assert_int_equal(c.instance_len, 3);
    assert_memory_equal(c.instance, "i42", 3);
    assert_true(c.has_seq);
    assert_int_equal(c.seq, 70000);
    bytes.len = 0;
    json_decref(record);
    record = json_pack("{s:i,s:s}", "instance", 3, "seq", "four");   /* of other types */
    assert_int_equal(codec_encode(record, &bytes), CODEC_OK);
    assert_int_equal(codec_canon(&c, bytes.data, bytes.len), CODEC_OK);
    assert_null(c.instance);
    assert_false(c.has_seq);
    long long n = 0;
    bool found;
    assert_int_equal(codec_member_integer(&c, bytes.data, bytes.len, "instance", &n, &found), CODEC_OK);
    assert_true(found);
    assert_int_equal(n, 3);
    assert_int_equal(codec_member_integer(&c, bytes.data, bytes.len, "seq", &n, &found), CODEC_OK);
    assert_false(found);                                 /* a string */
    assert_int_equal(codec_member_integer(&c, bytes.data, bytes.len, "history", &n, &found), CODEC_OK);
    assert_false(found);                                 /* none */
    assert_int_equal(codec_member_integer(&c, bytes.data, bytes.len - 1, "instance", &n, &found),
                     CODEC_DAMAGED);
    codec_canon_free(&c);
    strbuf_free(&bytes);
    json_decref(record);
}

/* ---- what the walk keeps from record to record ---- */

static void same_verdict(const unsigned char *bytes, size_t len, CodecCanon *fast);

/* Objects of one shape (the same key bytes in the same order) are sorted once and the
   order kept (engine_codec_canon.c, members_order): records of the shape seen before, of
   other values, of the same bytes in another order, and of a key byte twice (damage, never
   kept) must each get their own verdict and form. */
static void test_shapes_kept(void **state)
{
    (void)state;
    CodecCanon fast = {0};
    for (int round = 0; round < 3; round++) {
        json_t *a = json_pack("{s:s,s:s,s:I,s:s,s:n}", "at", "2026-06-15T06:00:00.000Z", "instance", "i7", "seq",
                              (json_int_t)round, "kind", round ? "asked" : "started", "state");
        json_t *b = json_pack("{s:s,s:I,s:s,s:s,s:n}", "kind", "entered", "seq", (json_int_t)9, "instance", "i8",
                              "at", "2026-06-15T06:00:01.000Z", "state");
        check(a);                   /* takes them */
        check(b);
    }
    const unsigned char two[] = {0x01, 0x92, 0x01, 0x20, 0x02, 0x21};   /* key bytes 1, 2 */
    const unsigned char same[] = {0x01, 0x92, 0x01, 0x20, 0x01, 0x21};  /* key byte 1 twice */
    for (int round = 0; round < 2; round++) {
        same_verdict(two, sizeof two, &fast);
        assert_int_equal(codec_canon(&fast, two, sizeof two), CODEC_OK);
        same_verdict(same, sizeof same, &fast);
        assert_int_equal(codec_canon(&fast, same, sizeof same), CODEC_DAMAGED);
    }
    codec_canon_free(&fast);
}

/* codec_canon_members gives what codec_view_members gives, with more name tables in turn
   than it keeps looked up (NAME_TABLES), names of the key table and of their own. */
static const char *const TABLE_A[] = {"kind", "instance", "nobody", "task"};
static const char *const TABLE_B[] = {"seq", "at"};
static const char *const TABLE_C[] = {"own name", "kind"};
static const char *const TABLE_D[] = {"state"};
static const char *const TABLE_E[] = {"at", "seq", "kind", "instance", "state", "own name"};

static void test_members_tables(void **state)
{
    (void)state;
    const char *const *tables[] = {TABLE_A, TABLE_B, TABLE_C, TABLE_D, TABLE_E};
    const size_t counts[] = {4, 2, 2, 1, 6};
    json_t *record = json_pack("{s:s,s:s,s:I,s:s,s:n,s:i}", "at", "2026-06-15T06:00:00.000Z", "instance", "i42",
                               "seq", (json_int_t)3, "kind", "asked", "state", "own name", 5);
    StrBuf bytes = STRBUF_INIT;
    assert_int_equal(codec_encode(record, &bytes), CODEC_OK);
    CodecCanon c = {0};
    assert_int_equal(codec_canon(&c, bytes.data, bytes.len), CODEC_OK);
    CodecView view;
    assert_true(codec_view_open(bytes.data, bytes.len, &view));
    for (int round = 0; round < 12; round++) {
        size_t t = (size_t)(round * 3) % 5;
        CodecView fast[8], slow[8];
        size_t found = codec_canon_members(&c, &view, tables[t], counts[t], fast);
        assert_int_equal(found, codec_view_members(&view, tables[t], counts[t], slow));
        for (size_t i = 0; i < counts[t]; i++) {
            assert_int_equal(fast[i].len, slow[i].len);
            if (slow[i].len)
                assert_int_equal(fast[i].at, slow[i].at);
        }
    }
    codec_canon_free(&c);
    strbuf_free(&bytes);
    json_decref(record);
}

/* ---- damage: the same bytes refused both ways ---- */

static void same_verdict(const unsigned char *bytes, size_t len, CodecCanon *fast)
{
    json_t *value;
    char why[200];
    int decoded = codec_decode(bytes, len, &value, why, sizeof why);
    int canon = codec_canon(fast, bytes, len);
    if ((decoded == CODEC_OK) != (canon == CODEC_OK))
        fail_msg("codec_decode says %d, codec_canon %d (%s)", decoded, canon, why);
    long long seq = -1;
    bool found;
    int member = codec_member_integer(fast, bytes, len, "seq", &seq, &found);
    if ((decoded == CODEC_OK) != (member == CODEC_OK))
        fail_msg("codec_decode says %d, codec_member_integer %d (%s)", decoded, member, why);
    if (decoded != CODEC_OK)
        return;
    json_t *its_seq = json_object_get(value, "seq");   /* NULL when value is no object */
    assert_int_equal(found, json_is_integer(its_seq));
    if (found)
        assert_int_equal(seq, json_integer_value(its_seq));
    assert_int_equal(codec_canon(fast, bytes, len), CODEC_OK);
    StrBuf slow = STRBUF_INIT;
    assert_int_equal(audit_canon(value, &slow), AUDIT_OK);
    assert_int_equal(fast->text.len, slow.len);
    assert_memory_equal(fast->text.data, slow.data, slow.len);
    strbuf_free(&slow);
    json_decref(value);
}

static void test_damage(void **state)
{
    (void)state;
    CodecCanon fast = {0};
    for (int i = 0; i < 200; i++) {
        json_t *value = random_value(3);
        StrBuf bytes = STRBUF_INIT;
        assert_int_equal(codec_encode(value, &bytes), CODEC_OK);
        unsigned char *b = (unsigned char *)bytes.data;
        for (size_t cut = 0; cut <= bytes.len; cut++)
            same_verdict(b, cut, &fast);
        for (size_t at = 1; at < bytes.len; at++) {
            unsigned char kept = b[at];
            static const unsigned char WITH[] = {0x00, 0x01, 0x02, 0x07, 0x08, 0x09, 0x0A, 0x0F, 0x20,
                                                 0x3F, 0x41, 0x7F, 0x80, 0x8F, 0x91, 0x9F, 0xA0, 0xC0,
                                                 0xCA, 0xCB, 0xF5, 0xFF};
            b[at] = WITH[next(sizeof WITH)];
            same_verdict(b, bytes.len, &fast);
            b[at] = kept ^ (unsigned char)(1u << next(8));
            same_verdict(b, bytes.len, &fast);
            b[at] = kept;
        }
        strbuf_free(&bytes);
        json_decref(value);
    }
    /* a name written twice (the dictionary's "id", then "id" of its own) */
    const unsigned char twice[] = {0x01, 0x92, 0x01, 0x20, 0x00, 0x02, 'i', 'd', 0x21};
    same_verdict(twice, sizeof twice, &fast);
    assert_int_equal(codec_canon(&fast, twice, sizeof twice), CODEC_DAMAGED);
    codec_canon_free(&fast);
}

/* ---- strings: the one-pass path for printable ASCII and the way around it ---- */

/* A string of `len` 'x' but byte(s) `with` at `at` (nothing when `with_len` is 0), as the
   member "s" of an object, before a member "t" (so more bytes follow it, the reader's
   word reads past its end) or alone at the record's end (no word past it): the record's
   bytes must get the verdict codec_decode gives and, when read, the canonical form
   audit_canon writes. Bytes that are no UTF-8 are put in after encoding. */
static void string_case(size_t len, size_t at, const unsigned char *with, size_t with_len, bool last,
                        CodecCanon *fast)
{
    char text[64];
    memset(text, 'x', len);
    text[len] = '\0';
    json_t *value = last ? json_pack("{s:s}", "s", text) : json_pack("{s:s,s:i}", "s", text, "t", 7);
    StrBuf bytes = STRBUF_INIT;
    assert_int_equal(codec_encode(value, &bytes), CODEC_OK);
    unsigned char *b = (unsigned char *)bytes.data;
    unsigned char *found = len ? memmem(b, bytes.len, text, len) : NULL;
    assert_true(!len || found);
    if (with_len && at + with_len <= len)
        memcpy(found + at, with, with_len);
    same_verdict(b, bytes.len, fast);
    strbuf_free(&bytes);
    json_decref(value);
}

static void test_strings(void **state)
{
    (void)state;
    static const struct { const char *bytes; size_t len; } WITH[] = {
        {"", 0}, {"\x01", 1}, {"\x1f", 1}, {"\"", 1}, {"\\", 1}, {" ", 1}, {"~", 1}, {"\x7f", 1},
        {"\xc3\xa9", 2}, {"\xe2\x82\xac", 3}, {"\xf0\x9f\x98\x80", 4}, {"\x80", 1}, {"\xff", 1},
        {"\xc3", 1}, {"\xed\xa0\x80", 3}, {"\n", 1}, {"\x00", 1}, {"!#", 2}, {"[]", 2}};
    CodecCanon fast = {0};
    for (size_t len = 0; len <= 40; len++)
        for (size_t w = 0; w < sizeof WITH / sizeof WITH[0]; w++)
            for (size_t at = 0; at < (len ? len : 1); at++)
                for (int last = 0; last < 2; last++)
                    string_case(len, at, (const unsigned char *)WITH[w].bytes, WITH[w].len, last, &fast);
    codec_canon_free(&fast);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_shapes),
        cmocka_unit_test(test_random),
        cmocka_unit_test(test_record_fields),
        cmocka_unit_test(test_shapes_kept),
        cmocka_unit_test(test_members_tables),
        cmocka_unit_test(test_damage),
        cmocka_unit_test(test_strings),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
