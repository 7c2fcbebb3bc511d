/*
 * test_history_stamp.c - the history record's chain stamp in its two forms
 * (runtime/engine/engine_chain.c; docs/internals.md, "Store records").
 *
 *   round trip    history_stamp_put writes the place as a varint (HISTORY_STAMP_VARINT):
 *                 1 + 1..10 + 32 bytes, and history_split reads back the same place,
 *                 link and record bytes, for places at each varint length's edges
 *   fixed form    a stamp as written before 2026-12-04 night (HISTORY_STAMP_TAG, the
 *                 place in 8 bytes big-endian) splits to the same place and link
 *   damage        a varint cut short, not in its shortest form or past 10 bytes, a stamp
 *                 shorter than its link, and a value with no stamp tag are no stamp:
 *                 false, the whole value as the record (verify then names it)
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "engine_internal.h"

static const unsigned char RECORD[] = {0x02, 0x91, 0x01, 0x42, 'i', '1'};

static void fill_hash(unsigned char hash[AUDIT_HASH], unsigned seed)
{
    for (size_t i = 0; i < AUDIT_HASH; i++)
        hash[i] = (unsigned char)(seed * 31 + i);
}

/* stamp + RECORD in `out`: its length. */
static size_t value_of(const unsigned char *stamp, size_t stamp_len, unsigned char *out)
{
    memcpy(out, stamp, stamp_len);
    memcpy(out + stamp_len, RECORD, sizeof RECORD);
    return stamp_len + sizeof RECORD;
}

static void expect_split(const unsigned char *value, size_t len, uint64_t order, const unsigned char *hash)
{
    HistoryStamp got;
    StoreBytes record;
    assert_true(history_split(store_bytes(value, len), &got, &record));
    assert_true(got.order == order);
    assert_memory_equal(got.hash, hash, AUDIT_HASH);
    assert_int_equal(record.len, sizeof RECORD);
    assert_memory_equal(record.data, RECORD, sizeof RECORD);
}

static void test_round_trip(void **state)
{
    (void)state;
    static const struct { uint64_t order; size_t varint; } CASES[] = {
        {1, 1}, {127, 1}, {128, 2}, {16383, 2}, {16384, 3}, {(1u << 21) - 1, 3}, {1u << 21, 4},
        {UINT64_C(1) << 32, 5}, {UINT64_MAX, 10}};
    for (size_t i = 0; i < sizeof CASES / sizeof CASES[0]; i++) {
        HistoryStamp stamp = {.order = CASES[i].order};
        fill_hash(stamp.hash, (unsigned)i);
        unsigned char bytes[HISTORY_STAMP_MAX], value[HISTORY_STAMP_MAX + sizeof RECORD];
        size_t len = history_stamp_put(&stamp, bytes);
        assert_int_equal(len, 1 + CASES[i].varint + AUDIT_HASH);
        assert_int_equal(bytes[0], HISTORY_STAMP_VARINT);
        expect_split(value, value_of(bytes, len, value), stamp.order, stamp.hash);
    }
}

static void test_fixed_form(void **state)
{
    (void)state;
    unsigned char stamp[HISTORY_STAMP] = {HISTORY_STAMP_TAG}, hash[AUDIT_HASH];
    unsigned char value[HISTORY_STAMP + sizeof RECORD];
    fill_hash(hash, 7);
    store_be64(123456789, stamp + 1);
    memcpy(stamp + 9, hash, AUDIT_HASH);
    expect_split(value, value_of(stamp, HISTORY_STAMP, value), 123456789, hash);
}

static void expect_no_stamp(const unsigned char *value, size_t len)
{
    StoreBytes record;
    HistoryStamp stamp;
    assert_false(history_split(store_bytes(value, len), &stamp, &record));
    assert_ptr_equal(record.data, value);
    assert_int_equal(record.len, len);
}

static void test_damage(void **state)
{
    (void)state;
    unsigned char value[64] = {0};
    value[0] = HISTORY_STAMP_VARINT;
    expect_no_stamp(value, 1);                          /* nothing after the tag */
    value[1] = 0x80;
    expect_no_stamp(value, 2);                          /* a varint cut short */
    value[2] = 0x00;
    expect_no_stamp(value, 40);                         /* not its shortest form */
    memset(value + 1, 0xFF, 11);
    expect_no_stamp(value, 50);                         /* past 10 bytes */
    value[1] = 0x05;
    expect_no_stamp(value, 2 + AUDIT_HASH - 1);         /* shorter than its link */
    value[0] = 0x02;
    expect_no_stamp(value, 50);                         /* no stamp tag: a bare record */
    value[0] = HISTORY_STAMP_TAG;
    expect_no_stamp(value, HISTORY_STAMP - 1);          /* the fixed form cut short */
}

int main(void)
{
    static const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_fixed_form),
        cmocka_unit_test(test_damage),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
