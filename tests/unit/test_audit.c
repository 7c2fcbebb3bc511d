/*
 * test_audit.c - the decision record's canonical form and links (runtime/audit/,
 * docs/audit.md).
 *
 *   numbers    RFC 8785 Appendix B's IEEE-754 vectors, each bit pattern to its text;
 *              integers exactly, past 2^53 and at INT64_MIN/MAX
 *   strings    the minimal escapes, control characters as \u00xx, UTF-8 kept
 *   order      RFC 8785 3.2.3's member-sorting example (UTF-16 code units: an emoji
 *              before U+FB33), nested objects sorted too
 *   example    RFC 8785 3.2.2's whole example, from JSON text
 *   links      a record link and a store link against SHA-256 worked out separately,
 *              genesis as 32 zero bytes, hex both ways
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>
#include <openssl/sha.h>

#include "audit.h"

static void real_is(uint64_t bits, const char *expected)
{
    double v;
    memcpy(&v, &bits, sizeof v);
    StrBuf out = STRBUF_INIT;
    assert_int_equal(audit_canon_real(v, &out), AUDIT_OK);
    assert_string_equal(strbuf_text(&out), expected);
    strbuf_free(&out);
}

static void test_rfc8785_numbers(void **state)
{
    (void)state;
    real_is(0x0000000000000000ULL, "0");
    real_is(0x8000000000000000ULL, "0");
    real_is(0x0000000000000001ULL, "5e-324");
    real_is(0x8000000000000001ULL, "-5e-324");
    real_is(0x7fefffffffffffffULL, "1.7976931348623157e+308");
    real_is(0xffefffffffffffffULL, "-1.7976931348623157e+308");
    real_is(0x4340000000000000ULL, "9007199254740992");
    real_is(0xc340000000000000ULL, "-9007199254740992");
    real_is(0x4430000000000000ULL, "295147905179352830000");
    real_is(0x44b52d02c7e14af5ULL, "9.999999999999997e+22");
    real_is(0x44b52d02c7e14af6ULL, "1e+23");
    real_is(0x44b52d02c7e14af7ULL, "1.0000000000000001e+23");
    real_is(0x444b1ae4d6e2ef4eULL, "999999999999999700000");
    real_is(0x444b1ae4d6e2ef4fULL, "999999999999999900000");
    real_is(0x444b1ae4d6e2ef50ULL, "1e+21");
    real_is(0x3eb0c6f7a0b5ed8cULL, "9.999999999999997e-7");
    real_is(0x3eb0c6f7a0b5ed8dULL, "0.000001");
    real_is(0x41b3de4355555553ULL, "333333333.3333332");
    real_is(0x41b3de4355555554ULL, "333333333.33333325");
    real_is(0x41b3de4355555555ULL, "333333333.3333333");
    real_is(0x41b3de4355555556ULL, "333333333.3333334");
    real_is(0x41b3de4355555557ULL, "333333333.33333343");
    real_is(0xbecbf647612f3696ULL, "-0.0000033333333333333333");
    real_is(0x43143ff3c1cb0959ULL, "1424953923781206.2");
    StrBuf out = STRBUF_INIT;
    assert_int_equal(audit_canon_real(1.0 / 0.0, &out), AUDIT_BAD);
    strbuf_free(&out);
}

static void canon_is(json_t *value, const char *expected)
{
    StrBuf out = STRBUF_INIT;
    assert_int_equal(audit_canon(value, &out), AUDIT_OK);
    assert_string_equal(strbuf_text(&out), expected);
    strbuf_free(&out);
    json_decref(value);
}

static void test_integers_exact(void **state)
{
    (void)state;
    canon_is(json_pack("[I,I,I,I]", (json_int_t)9007199254740993LL, (json_int_t)INT64_MAX,
                       (json_int_t)INT64_MIN, (json_int_t)0),
             "[9007199254740993,9223372036854775807,-9223372036854775808,0]");
    canon_is(json_pack("[f,f]", 5.0, -0.5), "[5,-0.5]");
}

static void test_strings(void **state)
{
    (void)state;
    canon_is(json_stringn("a\"b\\c\b\t\n\f\r\x01\x1f\x7f/\xc3\xa9\0z", 18),
             "\"a\\\"b\\\\c\\b\\t\\n\\f\\r\\u0001\\u001f\x7f/\xc3\xa9\\u0000z\"");
}

static void test_member_order(void **state)
{
    (void)state;
    const char *text = "{\"\\u20ac\": \"Euro Sign\", \"\\r\": \"Carriage Return\", "
                       "\"\\ufb33\": \"Hebrew Letter Dalet With Dagesh\", \"1\": \"One\", "
                       "\"\\ud83d\\ude00\": \"Emoji: Grinning Face\", \"\\u0080\": \"Control\", "
                       "\"\\u00f6\": \"Latin Small Letter O With Diaeresis\"}";
    StrBuf out = STRBUF_INIT;
    char why[200];
    assert_int_equal(audit_canon_text(text, strlen(text), &out, why, sizeof why), AUDIT_OK);
    assert_string_equal(strbuf_text(&out),
                        "{\"\\r\":\"Carriage Return\",\"1\":\"One\",\"\xc2\x80\":\"Control\","
                        "\"\xc3\xb6\":\"Latin Small Letter O With Diaeresis\",\"\xe2\x82\xac\":\"Euro Sign\","
                        "\"\xf0\x9f\x98\x80\":\"Emoji: Grinning Face\","
                        "\"\xef\xac\xb3\":\"Hebrew Letter Dalet With Dagesh\"}");
    strbuf_free(&out);
    canon_is(json_pack("{s:{s:i,s:i},s:[]}", "b", "y", 1, "x", 2, "a"), "{\"a\":[],\"b\":{\"x\":2,\"y\":1}}");
    canon_is(json_pack("[{},{s:{}}]", "a"), "[{},{\"a\":{}}]");   /* empty objects (fuzz_audit_canon found one) */
}

static void test_rfc8785_example(void **state)
{
    (void)state;
    const char *text = "{\"numbers\": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001],"
                       " \"string\": \"\\u20ac$\\u000F\\u000aA'\\u0042\\u0022\\u005c\\\\\\\"\\/\","
                       " \"literals\": [null, true, false]}";
    StrBuf out = STRBUF_INIT;
    char why[200];
    assert_int_equal(audit_canon_text(text, strlen(text), &out, why, sizeof why), AUDIT_OK);
    assert_string_equal(strbuf_text(&out),
                        "{\"literals\":[null,true,false],\"numbers\":[333333333.3333333,1e+30,4.5,0.002,1e-27],"
                        "\"string\":\"\xe2\x82\xac$\\u000f\\nA'B\\\"\\\\\\\\\\\"/\"}");
    out.len = 0;
    assert_int_equal(audit_canon_text("{\"a\":", 5, &out, why, sizeof why), AUDIT_BAD);
    assert_non_null(strstr(why, "not JSON"));
    strbuf_free(&out);
}

static void test_links(void **state)
{
    (void)state;
    unsigned char zero[AUDIT_HASH] = {0}, h[AUDIT_HASH], expected[AUDIT_HASH], H[AUDIT_HASH];
    json_t *record = json_pack("{s:i,s:s}", "seq", 1, "instance", "i1");
    StrBuf scratch = STRBUF_INIT;
    assert_int_equal(audit_link_json(zero, record, &scratch, h), AUDIT_OK);
    const char *canon = "{\"instance\":\"i1\",\"seq\":1}";
    unsigned char message[AUDIT_HASH + 64] = {0};
    memcpy(message + AUDIT_HASH, canon, strlen(canon));
    SHA256(message, AUDIT_HASH + strlen(canon), expected);
    assert_memory_equal(h, expected, AUDIT_HASH);

    audit_link_store(zero, "i1", 1, h, H);
    unsigned char store_message[AUDIT_HASH * 2 + 5] = {0};
    memcpy(store_message + AUDIT_HASH, "i1 1\n", 5);
    memcpy(store_message + AUDIT_HASH + 5, h, AUDIT_HASH);
    SHA256(store_message, sizeof store_message, expected);
    assert_memory_equal(H, expected, AUDIT_HASH);

    /* a record longer than the stack buffer links the same way */
    json_t *big = json_pack("{s:s%}", "comment", "", (size_t)0);
    char *text = calloc(9000, 1);
    memset(text, 'x', 8999);
    json_object_set_new(big, "comment", json_string(text));
    assert_int_equal(audit_link_json(zero, big, &scratch, h), AUDIT_OK);
    StrBuf whole = STRBUF_INIT;
    strbuf_append(&whole, (const char *)zero, AUDIT_HASH);
    strbuf_append(&whole, scratch.data, scratch.len);
    SHA256((const unsigned char *)whole.data, whole.len, expected);
    assert_memory_equal(h, expected, AUDIT_HASH);

    char hex[AUDIT_HEX];
    unsigned char back[AUDIT_HASH];
    audit_hex(h, hex);
    assert_int_equal(strlen(hex), 64);
    assert_int_equal(audit_unhex(hex, back), 0);
    assert_memory_equal(back, h, AUDIT_HASH);
    assert_int_equal(audit_unhex("12", back), -1);
    hex[3] = 'g';
    assert_int_equal(audit_unhex(hex, back), -1);
    free(text);
    strbuf_free(&whole);
    strbuf_free(&scratch);
    json_decref(big);
    json_decref(record);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rfc8785_numbers), cmocka_unit_test(test_integers_exact),
        cmocka_unit_test(test_strings),         cmocka_unit_test(test_member_order),
        cmocka_unit_test(test_rfc8785_example), cmocka_unit_test(test_links),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
