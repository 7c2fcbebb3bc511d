/*
 * test_strbuf.c - strbuf_room (lang/base/strbuf.c): room past the text for a writer of
 * many small pieces, which then sets the length and the NUL itself.
 *
 *   room          a fresh buffer gets room, and room for more than it has grows it, the
 *                 text kept; the pointer is where the text ends
 *   failed        a failed buffer gives no room (NULL), and stays failed
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "strbuf.h"

static void test_room(void **state)
{
    (void)state;
    StrBuf b = STRBUF_INIT;
    char *at = strbuf_room(&b, 3);
    assert_non_null(at);
    assert_true(b.cap > 3);
    memcpy(at, "abc", 3);
    b.len += 3;
    b.data[b.len] = '\0';
    at = strbuf_room(&b, 1000);            /* more than it has: grown, the text kept */
    assert_non_null(at);
    assert_ptr_equal(at, b.data + 3);
    assert_true(b.cap > 1003);
    assert_string_equal(b.data, "abc");
    memset(at, 'x', 1000);
    b.len += 1000;
    b.data[b.len] = '\0';
    assert_int_equal(strlen(strbuf_text(&b)), 1003);
    size_t cap = b.cap;
    assert_ptr_equal(strbuf_room(&b, cap - b.len - 1), b.data + b.len);   /* room there: not grown */
    assert_int_equal(b.cap, cap);
    strbuf_free(&b);
}

static void test_failed(void **state)
{
    (void)state;
    StrBuf b = STRBUF_INIT;
    strbuf_put(&b, "abc", 3);
    strbuf_fail(&b);
    assert_null(strbuf_room(&b, 1));
    assert_true(strbuf_failed(&b));
    assert_int_equal(b.len, 0);
    strbuf_free(&b);                       /* freed: a buffer again */
    assert_non_null(strbuf_room(&b, 1));
    assert_false(strbuf_failed(&b));
    strbuf_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_room),
        cmocka_unit_test(test_failed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
