/*
 * test_door.c - what the door checks of input from outside, and that big inputs cost
 * time in proportion to their size (RUNTIME.md, "Limits and damage"; issue 10).
 *
 *   ids          text_id_problem: at most 256 bytes (257 refused, never cut), UTF-8, no
 *                control characters; person ids without spaces at their ends
 *   numbers      task and instance ids (t1, never t01, "t 1", t+1), whole numbers
 *   controls     text_escape_controls shows C0, DEL, C1, U+2028 and U+2029 visibly
 *   dates        civil_parse_date and value_time_parse refuse dates that do not exist by
 *                name ("2026-02-30 is not a date: February 2026 has 28 days")
 *   big maps     100,001 keys from JSON: every one found with its value, in its order;
 *                replacing keeps the count; maps across the index's threshold
 *   big teams    a team of 20,000 resolves to its 20,000 members, each once, in order
 *
 * The big cases assert results, not times: bench_door times them (make bench).
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

#include "civil.h"
#include "directory.h"
#include "text.h"
#include "value.h"
#include "value_json.h"

/* ---- ids ---- */

static void test_ids(void **state)
{
    (void)state;
    char buf[96], text[300];
    memset(text, 'a', sizeof text);
    text[256] = '\0';
    assert_null(text_id_problem(text, false, buf));
    text[256] = 'a';
    text[257] = '\0';
    assert_string_equal(text_id_problem(text, false, buf), "is 257 bytes, more than the 256 allowed");
    assert_string_equal(text_id_problem("", false, buf), "is empty");
    assert_string_equal(text_id_problem("a\xff", false, buf), "is not UTF-8");
    static const char *const CONTROLS[] = {"a\nb", "a\x1b[2J", "a\x7f", "a\xc2\x85", "a\xe2\x80\xa8", "\t"};
    for (size_t i = 0; i < sizeof CONTROLS / sizeof *CONTROLS; i++)
        assert_non_null(strstr(text_id_problem(CONTROLS[i], false, buf), "control character"));
    assert_null(text_id_problem("r6-1 with spaces", false, buf));     /* event ids may */
    assert_string_equal(text_id_problem(" pat", true, buf), "starts or ends with a space");
    assert_string_equal(text_id_problem("pat ", true, buf), "starts or ends with a space");
    assert_null(text_id_problem("Mäkinen", true, buf));
}

static void test_numbered_ids(void **state)
{
    (void)state;
    assert_int_equal(text_numbered_id("t1", 't'), 1);
    assert_int_equal(text_numbered_id("t1234", 't'), 1234);
    assert_int_equal(text_numbered_id("i7", 'i'), 7);
    static const char *const BAD[] = {"t01", "t 1", "t+1", "t-1", "t", "1", "T1", "t1x", "t1 ", " t1", "i1", "",
                                      "t99999999999999999999"};
    for (size_t i = 0; i < sizeof BAD / sizeof *BAD; i++)
        assert_int_equal(text_numbered_id(BAD[i], 't'), 0);
    int64_t n = 0;
    assert_true(text_parse_count("30", 1, 36500, &n));
    assert_int_equal(n, 30);
    static const char *const COUNTS[] = {"1x", "", " 1", "+1", "-1", "0", "36501", "1.5", "999999999999999999999"};
    for (size_t i = 0; i < sizeof COUNTS / sizeof *COUNTS; i++)
        assert_false(text_parse_count(COUNTS[i], 1, 36500, &n));
}

/* ---- control characters ---- */

static void escape_is(const char *text, const char *want)
{
    StrBuf out = STRBUF_INIT;
    text_escape_controls(text, strlen(text), &out);
    assert_string_equal(strbuf_text(&out), want);
    strbuf_free(&out);
}

static void test_controls_escaped(void **state)
{
    (void)state;
    escape_is("plain text, Mäkinen ✓", "plain text, Mäkinen ✓");
    escape_is("red\x1b[31m\nnext\r\t", "red\\e[31m\\nnext\\r\\t");
    escape_is("a\x01\x7f" "b", "a\\x01\\x7fb");
    escape_is("c1\xc2\x85\xc2\x9b", "c1\\u0085\\u009b");
    escape_is("ls\xe2\x80\xa8ps\xe2\x80\xa9", "ls\\u2028ps\\u2029");
    escape_is("\xe2\x80\xa7\xc2\xa0", "\xe2\x80\xa7\xc2\xa0");   /* neighbours are no controls */
    escape_is("a\xff\x9b" "b\xe2\x80", "a\\xff\\x9bb\\xe2\\x80");     /* bytes that are no UTF-8 */
}

/* ---- dates and times ---- */

static void date_refused(const char *text, const char *want)
{
    int64_t days;
    char why[128];
    assert_false(civil_parse_date(text, &days, why, sizeof why));
    assert_string_equal(why, want);
}

static void test_dates(void **state)
{
    (void)state;
    int64_t days;
    assert_true(civil_parse_date("2024-02-29", &days, NULL, 0));
    assert_int_equal(days, civil_days_from_date(2024, 2, 29));
    assert_true(civil_parse_date("2000-02-29", &days, NULL, 0));
    date_refused("2026-02-30", "2026-02-30 is not a date: February 2026 has 28 days");
    date_refused("1900-02-29", "1900-02-29 is not a date: February 1900 has 28 days");
    date_refused("2026-04-31", "2026-04-31 is not a date: April 2026 has 30 days");
    date_refused("2026-13-01", "2026-13-01 is not a date: there is no month 13");
    date_refused("2026-00-10", "2026-00-10 is not a date: there is no month 0");
    date_refused("2026-12-00", "2026-12-00 is not a date: days count from 01");
    date_refused("2026-1-01", "'2026-1-01' is not a date (write YYYY-MM-DD, such as 2026-12-24)");
    date_refused("+026-01-01", "'+026-01-01' is not a date (write YYYY-MM-DD, such as 2026-12-24)");
}

static void time_refused(const char *text, const char *want)
{
    int64_t ms;
    char why[200];
    assert_false(value_time_parse(text, &ms, NULL, why, sizeof why));
    assert_string_equal(why, want);
    assert_false(value_parse_time(text, &ms));
}

static void test_times(void **state)
{
    (void)state;
    int64_t ms;
    int32_t offset;
    assert_true(value_time_parse("2026-06-15T08:10:00+03:00", &ms, &offset, NULL, 0));
    assert_int_equal(offset, 3 * 3600);
    assert_int_equal(ms, (civil_days_from_date(2026, 6, 15) * 86400 + 5 * 3600 + 600) * 1000);
    assert_true(value_time_parse("2024-02-29T23:59:60.5Z", &ms, &offset, NULL, 0));   /* a leap second */
    assert_int_equal(offset, 0);
    /* an offset with seconds, as huddle writes Africa/Monrovia's before 1972 */
    assert_true(value_time_parse("1960-01-01T11:15:30-00:44:30", &ms, &offset, NULL, 0));
    assert_int_equal(offset, -(44 * 60 + 30));
    assert_int_equal(ms, (civil_days_from_date(1960, 1, 1) * 86400 + 12 * 3600) * 1000);
    time_refused("2026-03-02T10:00:00+02:00:60",
                 "'2026-03-02T10:00:00+02:00:60' is not an RFC 3339 time (it ends with Z or an offset from -23:59 to +23:59)");
    time_refused("2026-03-02T10:00:00+02:00:",
                 "'2026-03-02T10:00:00+02:00:' is not an RFC 3339 time (it ends with Z or an offset from -23:59 to +23:59)");
    time_refused("2026-02-30T09:00:00Z", "2026-02-30 is not a date: February 2026 has 28 days");
    time_refused("2026-02-29T09:00:00+02:00", "2026-02-29 is not a date: February 2026 has 28 days");
    time_refused("2026-03-02T24:00:00Z",
                 "'2026-03-02T24:00:00Z' is not an RFC 3339 time (hours run 00-23, minutes 00-59, seconds 00-60)");
    time_refused("2026-03-02T10:00:00.Z", "'2026-03-02T10:00:00.Z' is not an RFC 3339 time (a decimal point needs digits after it)");
    time_refused("2026-03-02T10:00:00+24:00",
                 "'2026-03-02T10:00:00+24:00' is not an RFC 3339 time (it ends with Z or an offset from -23:59 to +23:59)");
    time_refused("2026-03-02", "'2026-03-02' is not an RFC 3339 time (write 2026-06-15T08:10:00+03:00 or ...Z)");
    time_refused("2026-03-02T10:00:00", "'2026-03-02T10:00:00' is not an RFC 3339 time (write 2026-06-15T08:10:00+03:00 or ...Z)");
}

/* ---- big maps ---- */

static void test_map_of_100001_keys(void **state)
{
    (void)state;
    enum { KEYS = 100000 };
    json_t *object = json_object();
    char key[16];
    for (int i = 0; i < KEYS; i++) {
        snprintf(key, sizeof key, "k%d", i);
        json_object_set_new(object, key, json_integer(i));
    }
    json_object_set_new(object, "x", json_string("found"));
    Value map = value_from_json(object);
    assert_int_equal(map.as.map->count, KEYS + 1);
    for (int i = 0; i < KEYS; i++) {
        snprintf(key, sizeof key, "k%d", i);
        const Value *v = value_map_get(map, key, strlen(key));
        assert_non_null(v);
        assert_int_equal(v->as.integer, i);
        assert_string_equal(map.as.map->keys[i]->data, key);   /* the order of the JSON */
    }
    const Value *last = value_map_get(map, "x", 1);
    assert_non_null(last);
    assert_string_equal(value_text(*last), "found");
    assert_null(value_map_get(map, "k100000", 7));
    assert_null(value_map_get(map, "k1\0", 3));
    value_map_set(map, "k5", 2, value_int(-5));                 /* replaced in place */
    assert_int_equal(map.as.map->count, KEYS + 1);
    assert_int_equal(value_map_get(map, "k5", 2)->as.integer, -5);
    assert_string_equal(map.as.map->keys[5]->data, "k5");
    Value again = value_from_json(object);
    assert_false(value_equal(map, again));
    value_map_set(again, "k5", 2, value_int(-5));
    assert_true(value_equal(map, again));
    value_release(again);
    value_release(map);
    json_decref(object);
}

/* Maps of every size around the index's threshold find every key and miss others. */
static void test_maps_across_the_threshold(void **state)
{
    (void)state;
    for (uint32_t size = 0; size < 4 * VALUE_MAP_INDEXED; size++) {
        Value map = value_map_new(size % 3);
        char key[8];
        for (uint32_t i = 0; i < size; i++) {
            snprintf(key, sizeof key, "%u", i * 7);
            value_map_set(map, key, strlen(key), value_int(i));
        }
        assert_int_equal(map.as.map->count, size);
        for (uint32_t i = 0; i < size; i++) {
            snprintf(key, sizeof key, "%u", i * 7);
            assert_int_equal(value_map_get(map, key, strlen(key))->as.integer, i);
            snprintf(key, sizeof key, "%u", i * 7 + 1);
            assert_null(value_map_get(map, key, strlen(key)));
        }
        value_release(map);
    }
}

/* ---- big teams ---- */

/* A directory with one team "big" of `members` people p0, p1, ..., with p7 listed twice. */
static Directory *big_team(int members, json_t **json)
{
    json_t *people = json_object(), *list = json_array();
    char id[16];
    for (int i = 0; i < members; i++) {
        snprintf(id, sizeof id, "p%d", i);
        json_object_set_new(people, id, json_pack("{s:s}", "email", "x@example.com"));
        json_array_append_new(list, json_string(id));
    }
    json_array_append_new(list, json_string("p7"));   /* listed twice: resolved once */
    *json = json_pack("{s:o, s:{s:{s:o}}}", "people", people, "teams", "big", "members", list);
    json_t *problems = json_array();
    Directory *dir = directory_parse(*json, problems);
    json_decref(problems);
    return dir;
}

/* The biggest team a seat reaches resolves in order, each person once (linear: an ask to
   20,000 once took 4.2 s, quadratic). */
static void test_team_at_the_reach_limit(void **state)
{
    (void)state;
    enum { MEMBERS = DIR_TEAM_REACH_MAX };
    json_t *json;
    Directory *dir = big_team(MEMBERS, &json);
    assert_non_null(dir);
    json_t *who = json_pack("{s:s, s:s}", "who", "team", "id", "big"), *notes = json_array();
    json_t *found = dir_resolve(dir, who, 0, NULL, notes);
    assert_int_equal(json_array_size(found), MEMBERS);
    char id[16];
    for (int i = 0; i < MEMBERS; i++) {
        snprintf(id, sizeof id, "p%d", i);
        assert_string_equal(json_string_value(json_array_get(found, (size_t)i)), id);
    }
    assert_int_equal(json_array_size(notes), 0);
    json_decref(found);
    json_decref(notes);
    json_decref(who);
    directory_free(dir);
    json_decref(json);
}

/* One more person and the team reaches nobody, with a note saying why. */
static void test_team_over_the_reach_limit(void **state)
{
    (void)state;
    json_t *json;
    Directory *dir = big_team(DIR_TEAM_REACH_MAX + 1, &json);
    assert_non_null(dir);
    json_t *who = json_pack("{s:s, s:s}", "who", "team", "id", "big"), *notes = json_array();
    json_t *found = dir_resolve(dir, who, 0, NULL, notes);
    assert_int_equal(json_array_size(found), 0);
    assert_int_equal(json_array_size(notes), 1);
    const char *why = json_string_value(json_object_get(json_array_get(notes, 0), "why"));
    assert_non_null(why);
    assert_non_null(strstr(why, "the team has 5001 members, more than the 5000"));
    json_decref(found);
    json_decref(notes);
    json_decref(who);
    directory_free(dir);
    json_decref(json);
}

int main(int argc, char **argv)
{
    if (argc > 1)
        cmocka_set_test_filter(argv[1]);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ids),
        cmocka_unit_test(test_numbered_ids),
        cmocka_unit_test(test_controls_escaped),
        cmocka_unit_test(test_dates),
        cmocka_unit_test(test_times),
        cmocka_unit_test(test_map_of_100001_keys),
        cmocka_unit_test(test_maps_across_the_threshold),
        cmocka_unit_test(test_team_at_the_reach_limit),
        cmocka_unit_test(test_team_over_the_reach_limit),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
