/*
 * test_json_dumps.c - cli_json_dumps (runtime/cli/cli_json_dumps.c) writes what jansson's
 * json_dumps writes, byte for byte, for every layout the CLI and serve use, but for
 * doubles, which it writes in the fewest digits that read back the same.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static const size_t LAYOUTS[] = {
    JSON_COMPACT, JSON_COMPACT | JSON_ENSURE_ASCII, JSON_INDENT(2), JSON_INDENT(2) | JSON_ENSURE_ASCII, 0,
    JSON_INDENT(4) | JSON_COMPACT,
};

/* Documents without doubles: the same bytes as json_dumps in every layout. */
static void test_same_as_jansson(void **state)
{
    (void)state;
    static const char *const DOCS[] = {
        "{}", "[]", "{\"a\": 1, \"b\": [true, false, null], \"c\": {\"d\": []}}",
        "[1, [2, [3, {}]], {\"x\": {\"y\": {}}}]",
        "{\"text\": \"quote \\\" backslash \\\\ slash / tab \\t nl \\n bell \\u0007 del \\u007f\"}",
        "{\"hyv\\u00e4\": \"caf\\u00e9 \\ud83d\\udcf7 \\u2028\", \"\": \"\"}",
        "{\"big\": 9223372036854775807, \"small\": -9223372036854775807, \"zero\": 0}",
        "[\"a\", \"b\", [\"c\"], [], {}, {\"k\": [{}]}]",
    };
    for (size_t d = 0; d < sizeof DOCS / sizeof *DOCS; d++) {
        json_error_t error;
        json_t *doc = json_loads(DOCS[d], 0, &error);
        assert_non_null(doc);
        for (size_t l = 0; l < sizeof LAYOUTS / sizeof *LAYOUTS; l++) {
            char *want = json_dumps(doc, LAYOUTS[l]), *got = cli_json_dumps(doc, LAYOUTS[l]);
            assert_non_null(want);
            assert_non_null(got);
            assert_string_equal(got, want);
            free(want);
            free(got);
        }
        json_decref(doc);
    }
}

/* A lone value needs JSON_ENCODE_ANY, as with json_dumps. */
static void test_encode_any(void **state)
{
    (void)state;
    json_t *text = json_string("a\"b");
    assert_null(cli_json_dumps(text, JSON_COMPACT));
    char *got = cli_json_dumps(text, JSON_COMPACT | JSON_ENCODE_ANY);
    assert_string_equal(got, "\"a\\\"b\"");
    free(got);
    json_decref(text);
}

/* Doubles: the shortest digits, in jansson's form around them. */
static void test_doubles(void **state)
{
    (void)state;
    static const struct { double value; const char *want; } ROWS[] = {
        {19.99, "19.99"}, {0.1, "0.1"}, {0.30000000000000004, "0.30000000000000004"}, {1500.0, "1500.0"},
        {-2.5, "-2.5"}, {1e21, "1e21"}, {1e-7, "1e-7"}, {-2.5e-7, "-2.5e-7"}, {0.0, "0.0"}, {-0.0, "-0.0"},
        {123456789012345678.0, "1.2345678901234568e17"}, {5e-324, "5e-324"}, {1.7976931348623157e308, "1.7976931348623157e308"},
        {100.0, "100.0"}, {1e16, "10000000000000000.0"}, {1e17, "1e17"}, {0.0001, "0.0001"}, {0.00001, "1e-5"},
        {123.456e10, "1234560000000.0"}, {-1e-300, "-1e-300"},
    };
    for (size_t i = 0; i < sizeof ROWS / sizeof *ROWS; i++) {
        char got[CLI_JSON_REAL_MAX];
        cli_json_real(ROWS[i].value, got);
        assert_string_equal(got, ROWS[i].want);
        assert_true(strtod(got, NULL) == ROWS[i].value);
    }
    json_t *doc = json_pack("{s:f, s:[f, i]}", "price", 19.99, "list", 0.1, 3);
    char *got = cli_json_dumps(doc, JSON_COMPACT);
    assert_string_equal(got, "{\"price\":19.99,\"list\":[0.1,3]}");
    free(got);
    got = cli_json_dumps(doc, JSON_INDENT(2));
    assert_string_equal(got, "{\n  \"price\": 19.99,\n  \"list\": [\n    0.1,\n    3\n  ]\n}");
    free(got);
    json_decref(doc);
}

/* Doubles from random bits (and round decimals): each reads back the same, and one that
   needs all 17 digits is written as jansson writes it. */
static void test_doubles_read_back(void **state)
{
    (void)state;
    uint64_t seed = 0x9E3779B97F4A7C15u;
    for (int i = 0; i < 20000; i++) {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        double value;
        if (i % 2) {
            memcpy(&value, &seed, sizeof value);
            if (value != value || value - value != 0)   /* NaN or an infinity: no JSON */
                continue;
        } else {
            value = (double)(int64_t)(seed % 2000000) / 100.0;   /* amounts: 19.99 */
        }
        char got[CLI_JSON_REAL_MAX];
        cli_json_real(value, got);
        assert_true(strtod(got, NULL) == value);
        json_t *real = json_real(value);
        char *jansson = json_dumps(real, JSON_ENCODE_ANY);
        char shorter[40];
        snprintf(shorter, sizeof shorter, "%.16g", value);
        if (strtod(shorter, NULL) != value)   /* 17 digits needed: jansson's own text */
            assert_string_equal(got, jansson);
        else
            assert_true(strlen(got) <= strlen(jansson));
        free(jansson);
        json_decref(real);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_same_as_jansson),
        cmocka_unit_test(test_encode_any),
        cmocka_unit_test(test_doubles),
        cmocka_unit_test(test_doubles_read_back),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
