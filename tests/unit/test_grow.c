/*
 * test_grow.c - grow_for_one (lang/base/grow.c): room for one more item in a doubling
 * heap array.
 *
 *   first         an empty array gets `first` items of room
 *   room          with room left the same array comes back and nothing is allocated
 *   doubles       a full array doubles, its items kept
 *   failure       when the allocator fails, NULL, and the array and its cap are as they
 *                 were (still valid, freed by the caller)
 *   overflow      a cap whose double or byte size would overflow gives NULL without
 *                 asking the allocator
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "grow.h"

static int resize_calls;
static bool resize_fails;

static void *counting_resize(void *old, size_t bytes)
{
    resize_calls++;
    return resize_fails ? NULL : realloc(old, bytes);
}

static void reset(void)
{
    resize_calls = 0;
    resize_fails = false;
}

static void test_first(void **state)
{
    (void)state;
    reset();
    size_t cap = 0;
    int *items = grow_for_one(NULL, &cap, 0, sizeof *items, 16, counting_resize);
    assert_non_null(items);
    assert_int_equal(cap, 16);
    assert_int_equal(resize_calls, 1);
    free(items);
}

static void test_room(void **state)
{
    (void)state;
    reset();
    size_t cap = 0;
    int *items = grow_for_one(NULL, &cap, 0, sizeof *items, 4, counting_resize);
    int *again = grow_for_one(items, &cap, 3, sizeof *items, 4, counting_resize);
    assert_ptr_equal(again, items);
    assert_int_equal(cap, 4);
    assert_int_equal(resize_calls, 1);
    free(items);
}

static void test_doubles(void **state)
{
    (void)state;
    reset();
    size_t cap = 0, count = 0;
    int *items = NULL;
    for (int i = 0; i < 100; i++) {
        int *grown = grow_for_one(items, &cap, count, sizeof *grown, 4, counting_resize);
        assert_non_null(grown);
        items = grown;
        items[count++] = i * 7;
    }
    assert_int_equal(cap, 128);               /* 4, 8, 16, 32, 64, 128 */
    assert_int_equal(resize_calls, 6);
    for (int i = 0; i < 100; i++)
        assert_int_equal(items[i], i * 7);
    free(items);
}

static void test_failure(void **state)
{
    (void)state;
    reset();
    size_t cap = 0;
    int *items = grow_for_one(NULL, &cap, 0, sizeof *items, 2, counting_resize);
    items[0] = 11;
    items[1] = 22;
    resize_fails = true;
    assert_null(grow_for_one(items, &cap, 2, sizeof *items, 2, counting_resize));
    assert_int_equal(cap, 2);
    assert_int_equal(items[0], 11);           /* still the caller's, still whole */
    assert_int_equal(items[1], 22);
    free(items);
}

static void test_overflow(void **state)
{
    (void)state;
    reset();
    resize_fails = true;                      /* asked anyway: it touches nothing */
    size_t cap = SIZE_MAX / 2 + 1;            /* doubling wraps */
    char dummy;
    assert_null(grow_for_one(&dummy, &cap, cap, 1, 4, counting_resize));
    assert_int_equal(cap, SIZE_MAX / 2 + 1);
    cap = SIZE_MAX / 16;                      /* doubles, but the bytes overflow */
    assert_null(grow_for_one(&dummy, &cap, cap, 16, 4, counting_resize));
    assert_int_equal(cap, SIZE_MAX / 16);
    assert_int_equal(resize_calls, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_first),
        cmocka_unit_test(test_room),
        cmocka_unit_test(test_doubles),
        cmocka_unit_test(test_failure),
        cmocka_unit_test(test_overflow),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
