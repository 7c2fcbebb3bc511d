/*
 * test_value_json.c - JSON from outside (runtime/vm/value_json.c, value_json_load):
 * LANGUAGE.md "Numbers" (an integer that fits 64 bits is an exact integer, any other
 * number a double, never a refused event) and RUNTIME.md "Limits and damage" (JSON nests
 * at most 1,000 deep).
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

#include "value_json.h"

#define countof(a) (sizeof(a) / sizeof((a)[0]))

/* Loads `text` (wrapper 0) and returns it dumped back compactly, or "refused: WHY". */
static char *load_dump(const char *text, int wrapper)
{
    char why[256];
    json_t *json = value_json_load(text, strlen(text), 0, wrapper, why, sizeof why);
    char *out;
    if (!json) {
        out = malloc(strlen(why) + 10);
        sprintf(out, "refused: %s", why);
        return out;
    }
    out = json_dumps(json, JSON_COMPACT | JSON_ENCODE_ANY | JSON_REAL_PRECISION(17));
    json_decref(json);
    return out;
}

/* 400 nines: an integer far beyond the doubles. */
#define NINES40 "9999999999999999999999999999999999999999"
#define BIG400 NINES40 NINES40 NINES40 NINES40 NINES40 NINES40 NINES40 NINES40 NINES40 NINES40

static void test_numbers(void **state)
{
    (void)state;
    static const struct { const char *in, *out; } rows[] = {
        /* in range: exact integers, even past 2^53 */
        {"[9223372036854775807, -9223372036854775808, 9007199254740993, 0, -0, 42]",
         "[9223372036854775807,-9223372036854775808,9007199254740993,0,0,42]"},
        /* past 64 bits: doubles, and the text around them is kept */
        {"[9223372036854775808]", "[9.2233720368547758e18]"},
        {"{\"a\": 18446744073709551616, \"b\": -9223372036854775809}",
         "{\"a\":1.8446744073709552e19,\"b\":-9.2233720368547758e18}"},
        {"[123456789012345678901234567890,1]", "[1.2345678901234568e29,1]"},
        /* already doubles: untouched */
        {"[1.5, 1e3, 92233720368547758080.0, 2E+2]", "[1.5,1000.0,9.2233720368547758e19,200.0]"},
        /* digits inside strings, even escaped quotes before them, are text */
        {"[\"99999999999999999999\", \"a\\\"99999999999999999999\"]",
         "[\"99999999999999999999\",\"a\\\"99999999999999999999\"]"},
        /* beyond the doubles: the nearest finite double, +-DBL_MAX (jansson alone refuses
           1e400 as "real number overflow"); far below them: 0; in a string: text */
        {"[1e400, -1E+400, 1e-400, \"1e400\"]",
         "[1.7976931348623157e308,-1.7976931348623157e308,0.0,\"1e400\"]"},
        /* 400 digits, an integer and with a fraction: beyond the doubles too */
        {"[" BIG400 ", -" BIG400 ".5, 2]", "[1.7976931348623157e308,-1.7976931348623157e308,2]"},
    };
    for (size_t i = 0; i < countof(rows); i++) {
        char *got = load_dump(rows[i].in, 0);
        if (strcmp(got, rows[i].out) != 0)
            fail_msg("%s: got %s, expected %s", rows[i].in, got, rows[i].out);
        free(got);
    }
}

static char *nested(int depth, const char *inside)
{
    char *text = malloc((size_t)depth * 2 + strlen(inside) + 1), *p = text;
    for (int i = 0; i < depth; i++)
        *p++ = '[';
    p += sprintf(p, "%s", inside);
    for (int i = 0; i < depth; i++)
        *p++ = ']';
    *p = 0;
    return text;
}

static void test_depth(void **state)
{
    (void)state;
    char *ok = nested(1000, "1"), *deep = nested(1001, ""), *deeper = nested(60000, "");
    char *wrapped = nested(1002, "");
    char *got = load_dump(ok, 0);
    assert_int_equal(strncmp(got, "[[[", 3), 0);
    free(got);
    got = load_dump(deep, 0);
    assert_string_equal(got, "refused: JSON nests deeper than 1,000 levels of arrays and objects (at byte 1001)");
    free(got);
    got = load_dump(deeper, 0);
    assert_string_equal(got, "refused: JSON nests deeper than 1,000 levels of arrays and objects (at byte 1001)");
    free(got);
    /* the levels a wrapper puts around the data are not counted against it */
    got = load_dump(wrapped, 2);
    assert_int_equal(strncmp(got, "[[[", 3), 0);
    free(got);
    /* brackets inside strings are text */
    char *text = malloc(3000);
    sprintf(text, "[\"%.*s\"]", 2000, deeper);
    got = load_dump(text, 0);
    assert_int_equal(strncmp(got, "[\"[[[", 5), 0);
    free(got);
    free(text);
    /* the depth of a tree, counted no further than asked */
    json_t *tree = value_json_load(ok, strlen(ok), 0, 0, NULL, 0);
    assert_int_equal(value_json_depth(tree, 1000), 1000);
    assert_int_equal(value_json_depth(tree, 10), 11);
    json_t *one = json_integer(1);
    assert_int_equal(value_json_depth(one, 10), 0);
    json_decref(one);
    json_decref(tree);
    free(ok);
    free(deep);
    free(deeper);
    free(wrapped);
}

/* A refusal says what the sender can change: jansson's own text for a NUL names its flag
   (JSON_ALLOW_NUL), which no sender can act on. */
static void test_nul(void **state)
{
    (void)state;
    char *got = load_dump("{\"a\": \"x\\u0000y\"}", 0);
    assert_non_null(strstr(got, "refused: \\u0000 (a NUL character) is not allowed in a string (line 1"));
    assert_null(strstr(got, "JSON_ALLOW_NUL"));
    free(got);
}

int main(void)
{
    static const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_numbers),
        cmocka_unit_test(test_depth),
        cmocka_unit_test(test_nul),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
