/*
 * test_codec_view.c - a record's members, items and strings read where they lie in its
 * binary bytes (runtime/engine/engine_codec_view.c), which the decisions index reads
 * records with, against the jansson value codec_decode makes of the same bytes.
 *
 *   shapes     every kind of string (short, long, format 2's times, hex strings and
 *              value words, a NUL inside, escapes, every width of UTF-8), names of the
 *              codec's dictionary and of their own, nested objects and arrays, empty
 *              ones, more than 15 members: from the bytes of format 1 and of format 2,
 *              every member, item and string is the decoded value's, in its order
 *   members    codec_view_members finds each name asked for in one walk (none of a
 *              name the object lacks, none in what is not an object)
 *   canon      codec_canon_members, from codec_canon's walk of the same bytes (the
 *              index reads a step's records so), finds exactly those
 *   damage     the bytes of each shape cut short at every byte and with bytes changed:
 *              walking everything never reads past them (the ASan build checks) and
 *              always ends
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

/* `v` holds what `j` holds: strings to the byte, members and items in order. */
static void same_value(const CodecView *v, const json_t *j)
{
    char buf[CODEC_VIEW_TEXT];
    const char *text;
    size_t len;
    CodecViewItems items;
    CodecView item;
    if (codec_view_string(v, buf, &text, &len)) {
        assert_true(json_is_string(j));
        assert_int_equal(len, json_string_length(j));
        assert_memory_equal(text, json_string_value(j), len);
        return;
    }
    assert_false(json_is_string(j));
    codec_view_items(v, &items);
    if (json_is_object(j)) {
        assert_true(items.object);
        assert_int_equal(items.left, json_object_size(j));
        void *at = json_object_iter((json_t *)j);
        const char *name;
        size_t name_len;
        while (codec_view_next(&items, &item, &name, &name_len)) {
            assert_non_null(at);
            assert_int_equal(name_len, json_object_iter_key_len(at));
            assert_memory_equal(name, json_object_iter_key(at), name_len);
            same_value(&item, json_object_iter_value(at));
            if (!memchr(name, 0, name_len)) {   /* json_object_get's name is a C string */
                CodecView found;
                char key[256];
                assert_true(name_len < sizeof key);
                memcpy(key, name, name_len);
                key[name_len] = '\0';
                assert_true(codec_view_member(v, key, &found));
                assert_int_equal(found.at, item.at);
            }
            at = json_object_iter_next((json_t *)j, at);
        }
        assert_null(at);
        return;
    }
    assert_false(items.object);
    if (json_is_array(j)) {
        assert_int_equal(items.left, json_array_size(j));
        for (size_t i = 0; codec_view_next(&items, &item, NULL, NULL); i++)
            same_value(&item, json_array_get(j, i));
        return;
    }
    assert_int_equal(items.left, 0);   /* a scalar has no items */
    CodecView none;
    assert_false(codec_view_member(v, "kind", &none));
}

/* Every member, item and string of `value`'s bytes in both formats is the decoded one's. */
static void check(json_t *value)
{
    static const unsigned FORMATS[] = {CODEC_FORMAT_2, CODEC_FORMAT_1};
    assert_non_null(value);
    for (int f = 0; f < 2; f++) {
        StrBuf bytes = STRBUF_INIT;
        assert_int_equal(codec_encode_format(value, FORMATS[f], &bytes), CODEC_OK);
        json_t *decoded;
        char why[200];
        assert_int_equal(codec_decode(bytes.data, bytes.len, &decoded, why, sizeof why), CODEC_OK);
        CodecView root;
        assert_true(codec_view_open(bytes.data, bytes.len, &root));
        same_value(&root, decoded);
        json_decref(decoded);
        strbuf_free(&bytes);
    }
    json_decref(value);
}

static json_t *shape(int which)
{
    char long_text[300];
    for (size_t i = 0; i < sizeof long_text - 1; i++)
        long_text[i] = (char)(i % 7 == 3 ? '"' : i % 11 == 5 ? '\n' : 'a' + i % 26);
    long_text[sizeof long_text - 1] = '\0';
    switch (which) {
    case 0:
        return json_pack("{s:s,s:s,s:i,s:s,s:s,s:n,s:s,s:s}", "at", "2026-06-15T06:00:00Z", "instance", "i42",
                         "seq", 3, "kind", "asked", "state", "decide", "case", "task", "t7", "question",
                         "Is it \"fine\"?\n\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80");
    case 1:   /* format 2's own strings, and near misses */
        return json_pack("{s:s,s:s,s:s,s:[s,s,s,s,s,s]}", "at", "2026-01-01T00:00:00.001Z", "kind", "started",
                         "version", "5fdf8bbce76c94514635512c4c37d61f1d4f3570b1fdf97ecbfaab98c45d5c5d",
                         "tags", "0000019b77119681000000000000000103000001", "2025-02-29T00:00:00.000Z",
                         "DEADBEEFDEADBEEF", "resolved", "9999-12-31T23:59:59.999Z", long_text);
    case 2: {   /* an ask's seats, nested, as the index reads them */
        json_t *record = json_pack("{s:s,s:s,s:[{s:{s:s,s:s},s:[s,s],s:n},{s:{},s:[],s:b}]}", "kind", "asked",
                                   "task", "t1", "seats", "who", "who", "person", "id", "anna", "holders",
                                   "anna", "ming", "answered_by", "who", "holders", "acked", 0);
        json_object_set_new(record, "added", json_pack("{s:[s],s:[]}", "0", "craig", "1"));
        json_object_setn_new(record, "with\0nul", 8, json_stringn("a\0b", 3));
        return record;
    }
    case 3: {   /* more than 15 members and items: the long counts */
        json_t *wide = json_object(), *list = json_array();
        for (int i = 0; i < 40; i++) {
            char name[16];
            snprintf(name, sizeof name, "k%d", 39 - i);
            json_object_set_new(wide, name, json_integer(i * 1000003 - 7));
            json_array_append_new(list, i % 2 ? json_real(i / 3.0) : json_string(name));
        }
        json_object_set_new(wide, "list", list);
        json_object_set_new(wide, "\xee\x80\x80", json_true());
        return wide;
    }
    case 4:
        return json_pack("[s,i,I,f,b,n,{},[]]", "x", -5, (json_int_t)INT64_MIN, 0.1, 1);
    default:
        return json_string("2026-06-15T06:00:00.000Z");
    }
}

#define SHAPES 6

static void test_shapes(void **state)
{
    (void)state;
    for (int i = 0; i < SHAPES; i++)
        check(shape(i));
}

static void test_members(void **state)
{
    (void)state;
    static const char *const NAMES[] = {"kind", "nothing", "seats", "task", "with"};
    json_t *value = shape(2);
    StrBuf bytes = STRBUF_INIT;
    assert_int_equal(codec_encode(value, &bytes), CODEC_OK);
    CodecView root, found[5], one;
    assert_true(codec_view_open(bytes.data, bytes.len, &root));
    assert_int_equal(codec_view_members(&root, NAMES, 5, found), 3);
    char buf[CODEC_VIEW_TEXT];
    const char *text;
    size_t len;
    assert_true(codec_view_string(&found[0], buf, &text, &len));
    assert_int_equal(len, 5);
    assert_memory_equal(text, "asked", 5);
    assert_int_equal(found[1].len, 0);
    assert_int_equal(found[4].len, 0);   /* "with\0nul" is not "with" */
    assert_true(codec_view_member(&root, "seats", &one));
    assert_int_equal(one.at, found[2].at);
    assert_int_equal(codec_view_members(&one, NAMES, 5, found), 0);   /* an array */
    for (int i = 0; i < 5; i++)
        assert_int_equal(found[i].len, 0);
    assert_false(codec_view_open("{}", 2, &root));   /* JSON text */
    strbuf_free(&bytes);
    json_decref(value);
}

/* codec_canon_members, after codec_canon has walked a shape's bytes, finds what
   codec_view_members finds: every member of the top-level object, names it lacks, and
   (past CODEC_CANON_NAMES_MAX names) the same by a walk of its own. */
static void test_canon_members(void **state)
{
    (void)state;
    static const char *const MORE[] = {"kind", "nothing", "seats", "task", "with", "at", "instance", "seq",
                                       "state", "case", "question", "version", "tags", "added", "a", "b", "c",
                                       "m0", "m1", "m39"};
    CodecCanon c = {0};
    for (int s = 0; s < SHAPES; s++) {
        json_t *value = shape(s);
        StrBuf bytes = STRBUF_INIT;
        assert_int_equal(codec_encode(value, &bytes), CODEC_OK);
        CodecView root, viewed[20], walked[20];
        assert_true(codec_view_open(bytes.data, bytes.len, &root));
        assert_int_equal(codec_canon(&c, bytes.data, bytes.len), CODEC_OK);
        static const size_t COUNTS[] = {1, 5, 12, 16, 17, 20};
        for (size_t k = 0; k < sizeof COUNTS / sizeof COUNTS[0]; k++) {
            size_t count = COUNTS[k];
            size_t a = codec_view_members(&root, MORE, count, viewed);
            assert_int_equal(codec_canon_members(&c, &root, MORE, count, walked), a);
            for (size_t i = 0; i < count; i++) {
                assert_int_equal(walked[i].len, viewed[i].len);
                if (viewed[i].len)
                    assert_int_equal(walked[i].at, viewed[i].at);
            }
        }
        strbuf_free(&bytes);
        json_decref(value);
    }
    codec_canon_free(&c);
}

/* Walks everything `v` holds (strings read too): never past the bytes, and it ends. */
static size_t walk_all(const CodecView *v, int depth)
{
    char buf[CODEC_VIEW_TEXT];
    const char *text;
    size_t len, seen = 1;
    if (codec_view_string(v, buf, &text, &len)) {
        if (text != buf)
            assert_true((const unsigned char *)text + len <= v->bytes + v->len);
        return seen;
    }
    CodecViewItems items;
    CodecView item;
    const char *name;
    size_t name_len;
    codec_view_items(v, &items);
    while (depth < 64 && codec_view_next(&items, &item, &name, &name_len)) {
        if (items.object)
            assert_true((const unsigned char *)name + name_len <= v->bytes + v->len ||
                        !(name >= (const char *)v->bytes && name < (const char *)v->bytes + v->len));
        assert_true(item.at < v->len);
        seen += walk_all(&item, depth + 1);
    }
    return seen;
}

static void test_damage(void **state)
{
    (void)state;
    for (int s = 0; s < SHAPES; s++) {
        json_t *value = shape(s);
        StrBuf bytes = STRBUF_INIT;
        assert_int_equal(codec_encode(value, &bytes), CODEC_OK);
        for (size_t cut = 0; cut <= bytes.len; cut++) {
            unsigned char *copy = malloc(cut ? cut : 1);   /* exactly `cut` bytes: ASan sees past them */
            memcpy(copy, bytes.data, cut);
            CodecView root;
            if (codec_view_open(copy, cut, &root))
                walk_all(&root, 0);
            for (size_t at = 1; at < cut; at += 3) {
                unsigned char kept = copy[at];
                copy[at] = (unsigned char)(kept * 31 + at);
                if (codec_view_open(copy, cut, &root))
                    walk_all(&root, 0);
                copy[at] = kept;
            }
            free(copy);
        }
        strbuf_free(&bytes);
        json_decref(value);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_shapes),
        cmocka_unit_test(test_members),
        cmocka_unit_test(test_canon_members),
        cmocka_unit_test(test_damage),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
