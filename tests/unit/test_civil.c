/*
 * test_civil.c - the text of an instant (lang/base/civil.c, civil_time_text), which
 * every time the engine stores or shows goes through (value_write_time, the engine's
 * time_text, the small values' times).
 *
 *   examples      the RFC 3339 forms by hand: whole seconds without .000, milliseconds
 *                 when there are some, Z for UTC, +HH:MM and -HH:MM east and west, a day
 *                 rolling over by the offset, before 1970, the last millisecond of 9999
 *   as printf     the same text as the printf formula the engine used before, for years
 *                 past 9999 and before 0 (their digits as printf's %04 gives them), for
 *                 offsets of 100 hours and more, and for 200,000 instants spread over
 *                 the years 1 to 9999 and every offset from -14:00 to +14:00
 *   offset seconds an offset that is not whole minutes (a local mean time of before
 *                 1972) is written +HH:MM:SS, in RFC 3339 and in civil_local_text's
 *                 "YYYY-MM-DD HH:MM +HH:MM" that people read
 *   length        the returned length is the text's, and the text fits CIVIL_TIME_TEXT
 *                 for the farthest instants an int64 of milliseconds holds
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "civil.h"

/* The formula value_write_time used before civil_time_text: the reference. */
static void printf_time_text(int64_t ms, int32_t offset_minutes, char *out, size_t size)
{
    int64_t local = ms + (int64_t)offset_minutes * 60000;
    int64_t days = local >= 0 ? local / 86400000 : -((-local + 86399999) / 86400000);
    int64_t rest = local - days * 86400000;
    int64_t year;
    unsigned month, day;
    civil_date_from_days(days, &year, &month, &day);
    int n = snprintf(out, size, "%04" PRId64 "-%02u-%02uT%02" PRId64 ":%02" PRId64 ":%02" PRId64, year,
                     month, day, rest / 3600000, rest / 60000 % 60, rest / 1000 % 60);
    if (rest % 1000)
        n += snprintf(out + n, size - (size_t)n, ".%03" PRId64, rest % 1000);
    if (offset_minutes == 0)
        snprintf(out + n, size - (size_t)n, "Z");
    else
        snprintf(out + n, size - (size_t)n, "%c%02d:%02d", offset_minutes < 0 ? '-' : '+',
                 abs(offset_minutes) / 60, abs(offset_minutes) % 60);
}

static void assert_as_printf(int64_t ms, int32_t offset_minutes)
{
    char ours[CIVIL_TIME_TEXT], theirs[96];
    size_t len = civil_time_text(ms, offset_minutes * 60, ours);
    printf_time_text(ms, offset_minutes, theirs, sizeof theirs);
    assert_string_equal(ours, theirs);
    assert_int_equal(len, strlen(ours));
}

static void assert_text(int64_t ms, int32_t offset_minutes, const char *expected)
{
    char text[CIVIL_TIME_TEXT];
    assert_int_equal(civil_time_text(ms, offset_minutes * 60, text), strlen(expected));
    assert_string_equal(text, expected);
}

/* An offset with seconds: RFC 3339 (with :SS after the offset) and as people read it. */
static void assert_seconds(int64_t ms, int32_t offset_seconds, const char *rfc3339, const char *local,
                           const char *local_seconds)
{
    char text[CIVIL_TIME_TEXT];
    assert_int_equal(civil_time_text(ms, offset_seconds, text), strlen(rfc3339));
    assert_string_equal(text, rfc3339);
    assert_int_equal(civil_local_text(ms, offset_seconds, false, text), strlen(local));
    assert_string_equal(text, local);
    assert_int_equal(civil_local_text(ms, offset_seconds, true, text), strlen(local_seconds));
    assert_string_equal(text, local_seconds);
}

static void test_offset_seconds(void **state)
{
    (void)state;
    const int64_t noon_1960 = -315576000000;    /* 1960-01-01T12:00:00Z */
    /* Africa/Monrovia until 1972: the local clock is 11:15:30, not 11:16 or 11:15 */
    assert_seconds(noon_1960, -(44 * 60 + 30), "1960-01-01T11:15:30-00:44:30", "1960-01-01 11:15 -00:44:30",
                   "1960-01-01 11:15:30 -00:44:30");
    /* Europe/Helsinki's local mean time of 1900: +01:39:49 */
    assert_seconds(-2208988800000, 5989, "1900-01-01T01:39:49+01:39:49", "1900-01-01 01:39 +01:39:49",
                   "1900-01-01 01:39:49 +01:39:49");
    /* whole minutes: as before, and UTC is +00:00 to people, Z in RFC 3339 */
    assert_seconds(1781265600000, 3 * 3600, "2026-06-12T15:00:00+03:00", "2026-06-12 15:00 +03:00",
                   "2026-06-12 15:00 +03:00");
    assert_seconds(1781265630000, 0, "2026-06-12T12:00:30Z", "2026-06-12 12:00 +00:00", "2026-06-12 12:00:30 +00:00");
    assert_seconds(1781265600000, -(5 * 3600 + 30 * 60), "2026-06-12T06:30:00-05:30", "2026-06-12 06:30 -05:30",
                   "2026-06-12 06:30 -05:30");
}

static void test_examples(void **state)
{
    (void)state;
    const int64_t june = 1781265600000;     /* 2026-06-12T12:00:00Z */
    assert_text(0, 0, "1970-01-01T00:00:00Z");
    assert_text(june, 0, "2026-06-12T12:00:00Z");
    assert_text(june + 5, 0, "2026-06-12T12:00:00.005Z");
    assert_text(june + 999, 0, "2026-06-12T12:00:00.999Z");
    assert_text(june, 180, "2026-06-12T15:00:00+03:00");
    assert_text(june, -330, "2026-06-12T06:30:00-05:30");
    assert_text(june, 14 * 60, "2026-06-13T02:00:00+14:00");
    assert_text(-1, 0, "1969-12-31T23:59:59.999Z");
    assert_text(-86400000, 60, "1969-12-31T01:00:00+01:00");
    assert_text(253402300799999, 0, "9999-12-31T23:59:59.999Z");
    assert_text(-62135596800000, 0, "0001-01-01T00:00:00Z");
}

static void test_as_printf(void **state)
{
    (void)state;
    const int64_t far[] = {
        253402300800000,            /* 10000-01-01 */
        -62167219200000 - 1,        /* the last millisecond of year -1 */
        -62167219200000 - 86400000LL * 366 * 1000,
        INT64_MAX / 2, INT64_MIN / 2, 8640000000000000, -8640000000000000,
    };
    for (size_t i = 0; i < sizeof far / sizeof far[0]; i++) {
        assert_as_printf(far[i], 0);
        assert_as_printf(far[i], 90);
        assert_as_printf(far[i], -90);
    }
    assert_as_printf(1781265600000, 100 * 60);      /* +100:00 */
    assert_as_printf(1781265600000, -(1 << 20));
    uint64_t seed = 0x9e3779b97f4a7c15ULL;
    for (int i = 0; i < 200000; i++) {
        seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
        int64_t ms = -62135596800000 + (int64_t)((seed >> 11) % 315537897600000ULL);
        if (i % 3 == 0)
            ms -= ms % 1000;    /* whole seconds, the engine's usual case */
        int32_t offset = (int32_t)((seed >> 3) % (28 * 60 + 1)) - 14 * 60;
        assert_as_printf(ms, i % 2 ? offset : 0);
    }
}

static void test_length(void **state)
{
    (void)state;
    char text[CIVIL_TIME_TEXT];
    int32_t offsets[] = {0, INT32_MAX / 60000, -(INT32_MAX / 60000)};
    for (size_t i = 0; i < 3; i++) {
        int64_t limit = INT64_MAX - 86400000LL * 400 * 366 - (int64_t)abs(offsets[i]) * 60000;
        size_t len = civil_time_text(limit, offsets[i] * 60 - 59, text);
        assert_int_equal(len, strlen(text));
        assert_true(len < CIVIL_TIME_TEXT);
        len = civil_time_text(-limit, offsets[i] * 60 - 59, text);
        assert_int_equal(len, strlen(text));
        assert_true(len < CIVIL_TIME_TEXT);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_examples),
        cmocka_unit_test(test_as_printf),
        cmocka_unit_test(test_offset_seconds),
        cmocka_unit_test(test_length),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
