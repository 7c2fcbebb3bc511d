/*
 * test_serve_body.c - the door's quick reading of plain JSON bodies
 * (runtime/cli/cli_serve_body.c): every body it reads must give the tree
 * value_json_load gives (the same members in the same order, the same dump), and its
 * compact text must be json_dumps(tree, JSON_COMPACT | JSON_ENCODE_ANY); every body it
 * leaves must be one it was meant to leave. Also the request log line's "ms"
 * (serve_log_millis, cli_serve_log.c), which must be serve_log_real's text.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "cli_serve.h"
#include "value_json.h"

#define DUMP_FLAGS (JSON_COMPACT | JSON_ENCODE_ANY)

/* Reads `text` both ways; returns whether the quick reader took it. When it did, the
   two trees and dumps must be the same, and so must its compact text. */
static bool both_ways(const char *text, size_t len)
{
    StrBuf compact = STRBUF_INIT;
    strbuf_puts(&compact, "<");   /* what was there before stays */
    json_t *quick = serve_body_quick(text, len, &compact);
    char why[300];
    json_t *slow = value_json_load(text, len, JSON_REJECT_DUPLICATES, 0, why, sizeof why);
    if (quick) {
        assert_non_null(slow);
        assert_true(json_equal(quick, slow));
        char *a = json_dumps(quick, DUMP_FLAGS), *b = json_dumps(slow, DUMP_FLAGS);
        assert_string_equal(a, b);
        assert_string_equal(strbuf_text(&compact) + 1, b);
        assert_int_equal(compact.data[0], '<');
        free(a);
        free(b);
        json_t *again = serve_body_quick(text, len, NULL);
        assert_true(json_equal(again, quick));
        json_decref(again);
    } else {
        assert_string_equal(strbuf_text(&compact), "<");
    }
    json_decref(quick);
    json_decref(slow);
    strbuf_free(&compact);
    return quick != NULL;
}

static bool quick_takes(const char *text)
{
    return both_ways(text, strlen(text));
}

static void test_plain_bodies(void **state)
{
    (void)state;
    assert_true(quick_takes("{\"id\": \"ev-1\", \"type\": \"spike\", \"product\": \"N9\"}"));
    assert_true(quick_takes("{\"choice\": \"yes\"}"));
    assert_true(quick_takes("{}"));
    assert_true(quick_takes(" \t\r\n{ } \n"));
    assert_true(quick_takes("{\"a\":[],\"b\":{},\"c\":[1,-2,0,true,false,null,\"x\"],\"d\":{\"e\":{\"f\":[[]]}}}"));
    assert_true(quick_takes("{\"n\": 999999999999999999, \"m\": -999999999999999999}"));
    assert_true(quick_takes("{\"\": \"\", \"a/b\": \"c/d ~!@#$%^&*()_+`{}[]|;:',.<>?\"}"));
    assert_true(quick_takes("{\"order\": \"B6\", \"amount\": 30, \"customer\": {\"name\": \"X\"}}"));
}

static void test_left_to_jansson(void **state)
{
    (void)state;
    static const char *const LEFT[] = {
        "[1, 2]", "\"yes\"", "5", "", "   ", "{", "{\"a\"", "{\"a\":}", "{\"a\":1,}", "{,}", "{\"a\":1 \"b\":2}",
        "{\"a\": 1.5}", "{\"a\": 1e3}", "{\"a\": 1E3}", "{\"a\": -0}", "{\"a\": 01}", "{\"a\": 1234567890123456789}",
        "{\"a\": 9223372036854775808}", "{\"a\": -}", "{\"a\": \"\\n\"}", "{\"a\": \"\\u00e9\"}", "{\"a\": \"\xc3\xa9\"}",
        "{\"a\": \"\x7f\"}", "{\"a\": \"\x01\"}", "{\"a\": 1, \"a\": 2}", "{\"a\": {\"b\": 1, \"b\": 1}}",
        "{\"a\": tru}", "{\"a\": truex}", "{\"a\": nul}", "{\"a\": True}", "{} x", "{}{}", "{\"a\": [1,]}",
        "{\"a\": [,1]}", "{\"a\" : 'x'}", "\xef\xbb\xbf{}", "{\"choice\":", "{\"choice\": \"yes\"",
        "{\"a\": 1x}", "{\"a\": 12.}",
    };
    for (size_t i = 0; i < sizeof LEFT / sizeof LEFT[0]; i++)
        assert_false(quick_takes(LEFT[i]));
    /* a NUL inside, and nesting past the quick reader's depth */
    assert_false(both_ways("{\"a\": \"x\0y\"}", 12));
    char deep[200] = "{\"a\":";
    for (int i = 0; i < 40; i++)
        strcat(deep, "[");
    for (int i = 0; i < 40; i++)
        strcat(deep, "]");
    strcat(deep, "}");
    assert_false(quick_takes(deep));
}

/* Random bodies made of JSON's pieces, plain and not: whatever the quick reader takes,
   value_json_load reads the same. */
static void test_random_bodies(void **state)
{
    (void)state;
    static const char *const PIECES[] = {"{", "}", "[", "]", ",", ":", " ", "\"a\"", "\"b\"", "\"\"", "1", "-7",
                                         "0", "12.5", "true", "false", "null", "\"\\t\"", "\"\xc3\xa9\"", "e5", "-",
                                         "\"x y\"", "00", "\n"};
    unsigned seed = 12345;
    int taken = 0;
    for (int round = 0; round < 200000; round++) {
        char text[256] = "{";
        size_t count = 1 + (seed % 12);
        for (size_t i = 0; i < count; i++) {
            seed = seed * 1103515245u + 12345u;
            strcat(text, PIECES[(seed >> 8) % (sizeof PIECES / sizeof PIECES[0])]);
        }
        seed = seed * 1103515245u + 12345u;
        if (seed & 0x100)
            strcat(text, "}");
        taken += both_ways(text, strlen(text));
    }
    assert_true(taken > 100);   /* the pieces do make plain bodies */
}

static void test_millis(void **state)
{
    (void)state;
    for (int64_t micros = -2000; micros < 1002000; micros += micros < 2000 || micros > 998000 ? 1 : 7) {
        StrBuf a = STRBUF_INIT, b = STRBUF_INIT;
        serve_log_millis(&a, "ms", micros);
        serve_log_real(&b, "ms", (double)micros / 1000.0);
        assert_string_equal(strbuf_text(&a), strbuf_text(&b));
        strbuf_free(&a);
        strbuf_free(&b);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_plain_bodies),
        cmocka_unit_test(test_left_to_jansson),
        cmocka_unit_test(test_random_bodies),
        cmocka_unit_test(test_millis),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
