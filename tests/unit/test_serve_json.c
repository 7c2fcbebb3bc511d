/*
 * test_serve_json.c - serve's JSON text without jansson's dump (runtime/cli/cli_serve_json.c):
 * every value it writes must be byte for byte what cli_json_dumps(v, JSON_COMPACT |
 * JSON_ENSURE_ASCII | JSON_ENCODE_ANY) writes, since a reply's body is either: jansson's
 * json_dumps but for doubles, in their fewest digits (test_json_dumps checks the rest).
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

#include "cli.h"
#include "cli_serve.h"

/* Writes `value` both ways and compares. */
static void same_as_jansson(const json_t *value)
{
    char *want = cli_json_dumps(value, JSON_COMPACT | JSON_ENSURE_ASCII | JSON_ENCODE_ANY);
    assert_non_null(want);
    StrBuf got = STRBUF_INIT;
    assert_true(serve_json_value(&got, value));
    assert_false(strbuf_failed(&got));
    assert_string_equal(strbuf_text(&got), want);
    assert_int_equal(got.len, strlen(want));
    strbuf_free(&got);
    free(want);
}

static void same_as_jansson_text(const char *json)
{
    json_error_t error;
    json_t *value = json_loads(json, JSON_DECODE_ANY | JSON_ALLOW_NUL, &error);
    assert_non_null(value);
    same_as_jansson(value);
    json_decref(value);
}

static void test_scalars(void **state)
{
    (void)state;
    const char *texts[] = {"null", "true", "false", "0", "-1", "9223372036854775807", "-9223372036854775808",
                           "1.5", "-0.0", "1e300", "0.1", "\"\"", "\"plain text, with spaces ~!\"",
                           "\"quote \\\" and backslash \\\\\"", "\"tab\\tnewline\\n\\u0001\\u001f\\u007f\"",
                           "\"caf\\u00e9 \\u20ac \\ud83d\\ude00\"", "\"NUL \\u0000 inside\"", "\"/slash/\"", NULL};
    for (size_t i = 0; texts[i]; i++)
        same_as_jansson_text(texts[i]);
}

/* The bodies serve replies with: an event's routes, answers' fields. */
static void test_replies(void **state)
{
    (void)state;
    same_as_jansson_text("{\"id\":\"ev-1\",\"duplicate\":false,\"went\":[{\"playbook\":\"p\",\"instance\":\"i1\","
                         "\"as\":\"started\"},{\"playbook\":\"q\",\"error\":\"when failed: \\\"x\\\"\"}]}");
    same_as_jansson_text("{\"id\":\"ev-\\u00e9\",\"duplicate\":true,\"went\":null}");
    same_as_jansson_text("{\"task\":\"t1\",\"by\":\"anna\",\"answered\":\"yes\"}");
    same_as_jansson_text("[]");
    same_as_jansson_text("{}");
    same_as_jansson_text("[[[]],{\"a\":{\"b\":[1,2.25,null]}},\"\"]");
    /* members in the order they were set, as jansson keeps them */
    json_t *o = json_object();
    json_object_set_new(o, "z", json_integer(1));
    json_object_set_new(o, "a", json_string("x"));
    json_object_set_new(o, "key \"quoted\"\n", json_true());
    json_object_set_new(o, "m", json_real(3.0));
    same_as_jansson(o);
    json_decref(o);
}

/* A string: escapes as jansson writes them; text that is not UTF-8 is refused, as
   json_pack and json_stringn refuse it. */
static void test_strings(void **state)
{
    (void)state;
    StrBuf out = STRBUF_INIT;
    assert_true(serve_json_string(&out, "a\"b", 3));
    assert_string_equal(strbuf_text(&out), "\"a\\\"b\"");
    strbuf_free(&out);
    out = (StrBuf)STRBUF_INIT;
    assert_true(serve_json_string(&out, "\xc3\xa9", 2));
    assert_string_equal(strbuf_text(&out), "\"\\u00E9\"");
    strbuf_free(&out);
    out = (StrBuf)STRBUF_INIT;
    assert_false(serve_json_string(&out, "bad \xff byte", 10));
    strbuf_free(&out);
    assert_true(serve_json_plain("plain", 5));
    assert_false(serve_json_plain("a\\b", 3));
    assert_false(serve_json_plain("\x7f", 1));
    assert_false(serve_json_plain("a\0b", 3));
    out = (StrBuf)STRBUF_INIT;
    assert_true(serve_json_value(&out, NULL));   /* no value: null */
    assert_string_equal(strbuf_text(&out), "null");
    strbuf_free(&out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_scalars),
        cmocka_unit_test(test_replies),
        cmocka_unit_test(test_strings),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
