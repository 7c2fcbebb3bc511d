/*
 * test_calendar.c - business time (runtime/people/calendar.c) and time zones (runtime/people/tz.c).
 *
 * ../shared/design/LANGUAGE.md "Calendars and business time" is the contract:
 *
 *   - hours are half-open local clock ranges, [09:00, 17:00);
 *   - N business hours (or minutes) count only working time; a count that ends exactly
 *     at a closing time stays there;
 *   - N business days end at the same clock time on the Nth following working day;
 *   - a start outside working hours first moves to the next opening;
 *   - an end outside that day's hours, or in a DST gap, moves to that day's closing (on
 *     a day of several ranges, the closing of the range before it, else the day's last);
 *   - a clock time that occurs twice at a fall-back is its first occurrence (v1.2): an
 *     opening, a closing or an end.
 *
 * Every deadline row reads: calendar, start (RFC 3339, any offset), count and unit, and
 * the expected end written in the calendar's own offset at that instant; the end the
 * code computes is written the same way (value_write_time with tz_offset_at) and the two
 * texts must be equal, so a right instant in the wrong offset fails too. Every expected
 * value was worked out by hand from the rules above; the comment over each group gives
 * the reasoning. Rows marked BUG disagree with the current implementation: the contract's
 * value is kept.
 *
 * 2026 facts used throughout (weekdays from 2026-01-01 = Thursday):
 *   month firsts: Jan Thu, Feb Sun, Mar Sun, Apr Wed, May Fri, Jun Mon, Jul Wed, Aug Sat,
 *                 Sep Tue, Oct Thu, Nov Sun, Dec Tue; 2027-01-01 Fri.
 *   Europe/Helsinki   EET +02:00, EEST +03:00 from Sun 2026-03-29 01:00Z (local 03:00
 *                     jumps to 04:00) to Sun 2026-10-25 01:00Z (local 04:00 falls back
 *                     to 03:00, so 03:00-04:00 happens twice).
 *   America/New_York  EST -05:00, EDT -04:00 from Sun 2026-03-08 07:00Z (02:00 jumps to
 *                     03:00) to Sun 2026-11-01 06:00Z (02:00 falls back to 01:00, so
 *                     01:00-02:00 happens twice).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "calendar.h"
#include "strbuf.h"
#include "tz.h"
#include "value.h"
#include "value_json.h"

#define countof(a) (sizeof(a) / sizeof((a)[0]))

#define MINUTES BUSINESS_MINUTES
#define HOURS BUSINESS_HOURS
#define DAYS BUSINESS_DAYS

/* ---- the calendars ------------------------------------------------------------- */

/* As they would stand in the directory's "calendars" (single quotes become double). The
   fi-office holidays are deliberately out of order. Holidays used below:
   fi-office: Fri 2026-04-03 (Good Friday), Mon 2026-04-06 (Easter Monday), Fri 2026-06-19
   (Midsummer Eve), Thu 2026-12-24, Fri 2026-12-25, Fri 2027-01-01; fi-split: Fri
   2026-06-19; ny-shop: Fri 2026-07-03, Thu 2026-11-26, Fri 2026-12-25. */
static const char CALENDARS[] =
    "{"
    " 'fi-office':    {'zone': 'Europe/Helsinki', 'hours': {'mon-fri': '09:00-17:00'},"
    "                  'holidays': ['2026-12-24', '2026-12-25', '2026-06-19', '2026-04-03',"
    "                               '2026-04-06', '2027-01-01']},"
    " 'fi-split':     {'zone': 'Europe/Helsinki',"
    "                  'hours': {'mon-thu': '09:00-12:00,13:00-17:00',"
    "                            'fri': '09:00-11:00,13:00-15:00'},"
    "                  'holidays': ['2026-06-19']},"
    " 'ny-shop':      {'zone': 'America/New_York',"
    "                  'hours': {'mon-thu': '08:00-18:00', 'fri': '08:00-14:00',"
    "                            'sat': '10:00-14:00'},"
    "                  'holidays': ['2026-07-03', '2026-11-26', '2026-12-25']},"
    " 'utc-desk':     {'zone': 'UTC', 'hours': {'mon-fri': '09:00-17:00'}},"
    " 'fi-allday':    {'zone': 'Europe/Helsinki', 'hours': {'sun-sat': '00:00-24:00'}},"
    " 'ny-allday':    {'zone': 'America/New_York', 'hours': {'sun-sat': '00:00-24:00'}},"
    " 'fi-night':     {'zone': 'Europe/Helsinki', 'hours': {'mon-sun': '01:00-05:00'}},"
    " 'ny-night':     {'zone': 'America/New_York', 'hours': {'mon-sun': '01:00-05:00'}},"
    " 'ny-sun-late':  {'zone': 'America/New_York', 'hours': {'sun': '02:30-06:00'}},"
    " 'ny-sun-early': {'zone': 'America/New_York', 'hours': {'sun': '00:00-02:30'}},"
    " 'ny-sun-short': {'zone': 'America/New_York', 'hours': {'sun': '00:00-01:30'}},"
    " 'ny-weekend':   {'zone': 'America/New_York', 'hours': {'sat': '00:00-03:00', 'sun': '00:00-01:30'}},"
    " 'fi-late-split': {'zone': 'Europe/Helsinki',"
    "                  'hours': {'mon': '08:00-17:00', 'tue': '10:00-12:00,13:00-15:00'}},"
    " 'nowhere':      {'zone': 'UTC', 'hours': {}}"
    "}";

#define MAX_CALENDARS 16
static Calendar *calendars[MAX_CALENDARS];
static size_t calendar_count;

/* Parses JSON written with single quotes. */
static json_t *json_quoted(const char *text)
{
    char *copy = strdup(text);
    for (char *p = copy; *p; p++)
        if (*p == '\'')
            *p = '"';
    json_error_t error;
    json_t *json = json_loads(copy, 0, &error);
    if (!json)
        fail_msg("bad test JSON (%s): %s", error.text, copy);
    free(copy);
    return json;
}

static int load_calendars(void **state)
{
    (void)state;
    json_t *all = json_quoted(CALENDARS), *problems = json_array();
    const char *name;
    json_t *json;
    json_object_foreach(all, name, json) {
        char path[128];
        snprintf(path, sizeof path, "calendars.%s", name);
        Calendar *c = calendar_from_json(name, json, path, problems);
        if (!c || calendar_count == MAX_CALENDARS) {
            char *text = json_dumps(problems, 0);
            print_error("calendar %s refused: %s\n", name, text);
            free(text);
            return -1;
        }
        calendars[calendar_count++] = c;
    }
    json_decref(problems);
    json_decref(all);
    return 0;
}

static int free_calendars(void **state)
{
    (void)state;
    for (size_t i = 0; i < calendar_count; i++)
        calendar_free(calendars[i]);
    calendar_count = 0;
    return 0;
}

static const Calendar *calendar(const char *name)
{
    for (size_t i = 0; i < calendar_count; i++)
        if (strcmp(calendars[i]->name, name) == 0)
            return calendars[i];
    fail_msg("no calendar %s", name);
    return NULL;
}

/* ---- times as text ------------------------------------------------------------- */

static int64_t parse_ms(const char *text)
{
    int64_t ms = 0;
    if (!value_parse_time(text, &ms))
        fail_msg("bad test time %s", text);
    return ms;
}

static int64_t floor_div(int64_t a, int64_t b)
{
    return a >= 0 ? a / b : -((-a + b - 1) / b);
}

/* `ms` as RFC 3339 in the zone's offset at that instant. */
static void zone_text(const Tz *tz, int64_t ms, char *out, size_t size)
{
    StrBuf text = STRBUF_INIT;
    value_write_time(ms, tz_offset_at(tz, floor_div(ms, 1000)), &text);
    snprintf(out, size, "%s", strbuf_text(&text));
    strbuf_free(&text);
}

/* ---- deadline rows ------------------------------------------------------------- */

typedef struct Deadline {
    const char *calendar;
    const char *start;
    int64_t count;
    BusinessUnit unit;
    const char *end;
} Deadline;

static const char *unit_name(BusinessUnit unit)
{
    return unit == DAYS ? "days" : unit == HOURS ? "hours" : "minutes";
}

/* Runs every row, reports each one that differs, then fails if any did. */
static void check_deadlines(const Deadline *rows, size_t count)
{
    int failures = 0;
    for (size_t i = 0; i < count; i++) {
        const Deadline *row = &rows[i];
        const Calendar *c = calendar(row->calendar);
        int64_t start = parse_ms(row->start), want = parse_ms(row->end), got = 0;
        char want_text[64], got_text[64], why[256] = "";
        zone_text(c->tz, want, want_text, sizeof want_text);
        if (strcmp(want_text, row->end) != 0) {
            print_error("row %zu: the expected %s is not written in %s's offset (%s)\n", i,
                        row->end, row->calendar, want_text);
            failures++;
            continue;
        }
        int rc = calendar_add(c, start, row->count, row->unit, &got, why, sizeof why);
        if (rc != 0) {
            print_error("row %zu: %s + %lld business %s on %s: refused (%s), expected %s\n", i,
                        row->start, (long long)row->count, unit_name(row->unit), row->calendar,
                        why, row->end);
            failures++;
            continue;
        }
        zone_text(c->tz, got, got_text, sizeof got_text);
        if (strcmp(got_text, row->end) != 0) {
            print_error("row %zu: %s + %lld business %s on %s: got %s, expected %s\n", i,
                        row->start, (long long)row->count, unit_name(row->unit), row->calendar,
                        got_text, row->end);
            failures++;
        }
    }
    if (failures)
        fail_msg("%d of %zu rows wrong", failures, count);
}

#define CHECK(rows) check_deadlines(rows, countof(rows))

/* ---- business hours: where the start is ---------------------------------------- */

/* fi-office is Mon-Fri [09:00, 17:00) in Helsinki, +03:00 in June. June 2026: Mon 8 ...
   Fri 12, Sat 13, Sun 14, Mon 15. Working time is counted from the start (or, outside
   hours, from the next opening); 17:00 itself is outside, so a start there moves to the
   next morning, while a count that uses up exactly to 17:00 stops there. */
static void test_hours_start_inside_and_outside(void **state)
{
    (void)state;
    static const Deadline rows[] = {
        /* ../shared/design/LANGUAGE.md's example: 1 h on Friday, 3 h on Monday. */
        {"fi-office", "2026-06-12T16:00:00+03:00", 4, HOURS, "2026-06-15T12:00:00+03:00"},
        /* Inside hours: plain addition. */
        {"fi-office", "2026-06-09T10:00:00+03:00", 2, HOURS, "2026-06-09T12:00:00+03:00"},
        /* Before opening: counts from 09:00. */
        {"fi-office", "2026-06-09T07:30:00+03:00", 2, HOURS, "2026-06-09T11:00:00+03:00"},
        /* After closing: counts from Wednesday 09:00. */
        {"fi-office", "2026-06-09T18:00:00+03:00", 2, HOURS, "2026-06-10T11:00:00+03:00"},
        /* Exactly at opening: the whole day, ending exactly at 17:00, which stays. */
        {"fi-office", "2026-06-09T09:00:00+03:00", 8, HOURS, "2026-06-09T17:00:00+03:00"},
        /* Exactly at closing: 17:00 is not working time, so Wednesday 09:00 + 1 h. */
        {"fi-office", "2026-06-09T17:00:00+03:00", 1, HOURS, "2026-06-10T10:00:00+03:00"},
        /* One minute before closing: 1 min Tuesday, 59 min Wednesday. */
        {"fi-office", "2026-06-09T16:59:00+03:00", 1, HOURS, "2026-06-10T09:59:00+03:00"},
        /* 1 h Monday + 8 h Tuesday ends at Tuesday's closing, not Wednesday 09:00. */
        {"fi-office", "2026-06-08T16:00:00+03:00", 9, HOURS, "2026-06-09T17:00:00+03:00"},
        /* Two whole days, and one hour into the second. */
        {"fi-office", "2026-06-08T09:00:00+03:00", 16, HOURS, "2026-06-09T17:00:00+03:00"},
        {"fi-office", "2026-06-08T09:00:00+03:00", 9, HOURS, "2026-06-09T10:00:00+03:00"},
        /* Saturday: counts from Monday 09:00. */
        {"fi-office", "2026-06-13T11:00:00+03:00", 1, HOURS, "2026-06-15T10:00:00+03:00"},
        /* Sunday night, and a Friday closing: Monday 09:00 + 8 h = Monday's closing. */
        {"fi-office", "2026-06-14T23:30:00+03:00", 2, HOURS, "2026-06-15T11:00:00+03:00"},
        {"fi-office", "2026-06-12T17:00:00+03:00", 8, HOURS, "2026-06-15T17:00:00+03:00"},
        /* The start's own offset does not matter: 13:00Z is Friday 16:00 in Helsinki. */
        {"fi-office", "2026-06-12T13:00:00Z", 4, HOURS, "2026-06-15T12:00:00+03:00"},
        /* The calendar's zone does: on a UTC calendar 16:00Z Friday is inside hours... */
        {"utc-desk", "2026-06-12T16:00:00Z", 4, HOURS, "2026-06-15T12:00:00Z"},
        {"utc-desk", "2026-06-12T19:00:00+03:00", 4, HOURS, "2026-06-15T12:00:00Z"},
        /* ...while in Helsinki 16:00Z is 19:00, after closing: Monday 09:00 + 4 h. */
        {"fi-office", "2026-06-12T16:00:00Z", 4, HOURS, "2026-06-15T13:00:00+03:00"},
    };
    CHECK(rows);
}

/* ---- holidays -------------------------------------------------------------------- */

/* A holiday has no working time at all, whatever its weekday's hours. Fri 2026-06-19 is
   Midsummer Eve; Easter is Fri 04-03 and Mon 04-06 (Helsinki +03:00 after 03-29);
   Christmas Thu 12-24 and Fri 12-25 (+02:00). */
static void test_holidays(void **state)
{
    (void)state;
    static const Deadline rows[] = {
        /* Starting on a holiday: counts from Monday 06-22 09:00. */
        {"fi-office", "2026-06-19T10:00:00+03:00", 1, HOURS, "2026-06-22T10:00:00+03:00"},
        /* The day before: 1 h Thursday, Friday off, 1 h Monday. */
        {"fi-office", "2026-06-18T16:00:00+03:00", 2, HOURS, "2026-06-22T10:00:00+03:00"},
        /* Christmas: 2 h Wednesday 12-23, Thu/Fri/Sat/Sun off, 2 h Monday 12-28. */
        {"fi-office", "2026-12-23T15:00:00+02:00", 4, HOURS, "2026-12-28T11:00:00+02:00"},
        /* Easter: 30 min Thursday 04-02, Fri (holiday) Sat Sun Mon (holiday) off,
           30 min Tuesday 04-07. */
        {"fi-office", "2026-04-02T16:30:00+03:00", 1, HOURS, "2026-04-07T09:30:00+03:00"},
        /* Business days skip holidays: Thursday + 1 = Monday (Friday is off). */
        {"fi-office", "2026-06-18T10:00:00+03:00", 1, DAYS, "2026-06-22T10:00:00+03:00"},
        /* Starting on a holiday: first to Monday 09:00, then + 1 day = Tuesday 09:00. */
        {"fi-office", "2026-06-19T10:00:00+03:00", 1, DAYS, "2026-06-23T09:00:00+03:00"},
        /* Tue 12-22 + 3: Wed 23 (1), Thu/Fri holidays, Mon 28 (2), Tue 29 (3). */
        {"fi-office", "2026-12-22T11:00:00+02:00", 3, DAYS, "2026-12-29T11:00:00+02:00"},
        /* Thanksgiving (Thu 11-26) on ny-shop: 1 h Wed 11-25 (17-18), Thu off, 2 h Friday
           from 08:00; New York is -05:00 after 11-01. */
        {"ny-shop", "2026-11-25T17:00:00-05:00", 3, HOURS, "2026-11-27T10:00:00-05:00"},
    };
    CHECK(rows);
}

/* ---- several ranges a day -------------------------------------------------------- */

/* fi-split: Mon-Thu 09:00-12:00 and 13:00-17:00, Fri 09:00-11:00 and 13:00-15:00. The
   lunch gap is not working time: a count stops at 12:00 and goes on at 13:00; a start in
   the gap (or at 12:00 exactly) moves to 13:00; a count ending exactly at 12:00 stays. */
static void test_lunch_gap(void **state)
{
    (void)state;
    static const Deadline rows[] = {
        /* 1 h before lunch, 1 h after. */
        {"fi-split", "2026-06-08T11:00:00+03:00", 2, HOURS, "2026-06-08T14:00:00+03:00"},
        /* Start in the gap, and exactly at the morning's closing: from 13:00. */
        {"fi-split", "2026-06-08T12:30:00+03:00", 1, HOURS, "2026-06-08T14:00:00+03:00"},
        {"fi-split", "2026-06-08T12:00:00+03:00", 1, HOURS, "2026-06-08T14:00:00+03:00"},
        /* Ends exactly at 12:00: stays, not 13:00. */
        {"fi-split", "2026-06-08T10:00:00+03:00", 2, HOURS, "2026-06-08T12:00:00+03:00"},
        /* A whole Monday: 3 h + 4 h = 7 h, ending at 17:00. */
        {"fi-split", "2026-06-08T09:00:00+03:00", 7, HOURS, "2026-06-08T17:00:00+03:00"},
        /* From the gap, 4 h Monday afternoon + 3 h Tuesday morning: ends at 12:00. */
        {"fi-split", "2026-06-08T12:30:00+03:00", 7, HOURS, "2026-06-09T12:00:00+03:00"},
        /* 1 h Monday, 1 h Tuesday morning. */
        {"fi-split", "2026-06-08T16:00:00+03:00", 2, HOURS, "2026-06-09T10:00:00+03:00"},
        /* 90 min from 11:15: 45 min to 12:00, 45 min from 13:00. */
        {"fi-split", "2026-06-08T11:15:00+03:00", 90, MINUTES, "2026-06-08T13:45:00+03:00"},
        /* 11:59 + 2 min: 1 min to 12:00, 1 min from 13:00. */
        {"fi-split", "2026-06-08T11:59:00+03:00", 2, MINUTES, "2026-06-08T13:01:00+03:00"},
        /* Friday: 30 min to 11:00, 2 h 13-15, 30 min Monday. */
        {"fi-split", "2026-06-12T10:30:00+03:00", 3, HOURS, "2026-06-15T09:30:00+03:00"},
        /* Zero from the gap still moves to the next opening. */
        {"fi-split", "2026-06-08T12:30:00+03:00", 0, HOURS, "2026-06-08T13:00:00+03:00"},
        {"fi-split", "2026-06-12T11:00:00+03:00", 0, HOURS, "2026-06-12T13:00:00+03:00"},
        /* Business days from the gap: moves to 13:00, then the same clock next day. */
        {"fi-split", "2026-06-08T12:30:00+03:00", 1, DAYS, "2026-06-09T13:00:00+03:00"},
        {"fi-split", "2026-06-08T10:00:00+03:00", 2, DAYS, "2026-06-10T10:00:00+03:00"},
        /* Thursday's gap, Friday a holiday: Thursday 13:00, then Monday 13:00. */
        {"fi-split", "2026-06-18T12:30:00+03:00", 1, DAYS, "2026-06-22T13:00:00+03:00"},
    };
    CHECK(rows);
}

/* ---- different hours per weekday ------------------------------------------------- */

/* ny-shop: Mon-Thu 08:00-18:00 (10 h), Fri 08:00-14:00 (6 h), Sat 10:00-14:00 (4 h), Sun
   closed; 50 h a week. New York is -04:00 in June. */
static void test_hours_per_weekday(void **state)
{
    (void)state;
    static const Deadline rows[] = {
        /* 1 h Thursday (17-18), 1 h Friday from 08:00. */
        {"ny-shop", "2026-06-11T17:00:00-04:00", 2, HOURS, "2026-06-12T09:00:00-04:00"},
        /* 1 h Friday (13-14), 1 h Saturday from 10:00. */
        {"ny-shop", "2026-06-12T13:00:00-04:00", 2, HOURS, "2026-06-13T11:00:00-04:00"},
        /* Friday 15:00 is after Friday's closing (though inside Thursday's hours). */
        {"ny-shop", "2026-06-12T15:00:00-04:00", 1, HOURS, "2026-06-13T11:00:00-04:00"},
        /* 1 h Saturday, Sunday closed, 2 h Monday from 08:00. */
        {"ny-shop", "2026-06-13T13:00:00-04:00", 3, HOURS, "2026-06-15T10:00:00-04:00"},
        /* Saturday 09:00 is before Saturday's opening: 10:00 + 4 h = its closing. */
        {"ny-shop", "2026-06-13T09:00:00-04:00", 4, HOURS, "2026-06-13T14:00:00-04:00"},
        /* The Friday before the July 3 holiday is Thursday: 1 h Thursday, Friday off,
           1 h Saturday 07-04 from 10:00. */
        {"ny-shop", "2026-07-02T17:00:00-04:00", 2, HOURS, "2026-07-04T11:00:00-04:00"},
        /* Business days between different days, inside the target day's hours. */
        {"ny-shop", "2026-06-12T10:00:00-04:00", 1, DAYS, "2026-06-13T10:00:00-04:00"},
        {"ny-shop", "2026-06-12T12:00:00-04:00", 1, DAYS, "2026-06-13T12:00:00-04:00"},
        /* Fri + 2: Saturday (1), Sunday closed, Monday (2). */
        {"ny-shop", "2026-06-12T12:00:00-04:00", 2, DAYS, "2026-06-15T12:00:00-04:00"},
        /* Sat + 1 = Monday; Sat + 3 = Wednesday. */
        {"ny-shop", "2026-06-13T11:00:00-04:00", 1, DAYS, "2026-06-15T11:00:00-04:00"},
        {"ny-shop", "2026-06-13T12:00:00-04:00", 3, DAYS, "2026-06-17T12:00:00-04:00"},
    };
    CHECK(rows);
}

/* ---- business days ending on a shorter day --------------------------------------- */

/* The end is the same clock on the Nth working day; when that clock is outside that
   day's hours it moves to that day's closing: on a day of several ranges the closing of
   the range before it (the last that opens at or before the clock), else, before every
   opening, the day's last closing (v1.2). */
static void test_days_ending_on_a_shorter_day(void **state)
{
    (void)state;
    static const Deadline rows[] = {
        /* Thursday 16:00 + 1 = Friday 16:00, after Friday's 14:00 closing: 14:00. */
        {"ny-shop", "2026-06-11T16:00:00-04:00", 1, DAYS, "2026-06-12T14:00:00-04:00"},
        /* + 2 = Saturday 16:00, after Saturday's 14:00 closing: 14:00. */
        {"ny-shop", "2026-06-11T16:00:00-04:00", 2, DAYS, "2026-06-13T14:00:00-04:00"},
        /* + 2 = Saturday 08:30, before Saturday's 10:00 opening: its closing, 14:00. */
        {"ny-shop", "2026-06-11T08:30:00-04:00", 2, DAYS, "2026-06-13T14:00:00-04:00"},
        /* Thursday 17:59 + 1 = Friday 17:59, after Friday's closing: 14:00. */
        {"ny-shop", "2026-06-11T17:59:00-04:00", 1, DAYS, "2026-06-12T14:00:00-04:00"},
        /* Friday 07-03 is a holiday, so Thursday + 1 = Saturday 07-04 16:00: 14:00. */
        {"ny-shop", "2026-07-02T16:00:00-04:00", 1, DAYS, "2026-07-04T14:00:00-04:00"},
        /* fi-split Friday is 09-11, 13-15. Thursday 11:30 + 1 = Friday 11:30, in Friday's
           gap: the close of the range starting before it, 11:00. */
        {"fi-split", "2026-06-11T11:30:00+03:00", 1, DAYS, "2026-06-12T11:00:00+03:00"},
        /* Thursday 16:00 + 1 = Friday 16:00, after 15:00: 15:00. */
        {"fi-split", "2026-06-11T16:00:00+03:00", 1, DAYS, "2026-06-12T15:00:00+03:00"},
        /* Thursday 14:00 + 1 = Friday 14:00, inside the afternoon range: stays. */
        {"fi-split", "2026-06-11T14:00:00+03:00", 1, DAYS, "2026-06-12T14:00:00+03:00"},
        /* fi-late-split: Monday 08-17, Tuesday 10-12 and 13-15. Monday 09:00 + 1 = Tuesday
           09:00, before every opening: no range before it, so the day's last closing,
           15:00 (v1.2; it was the first range's 12:00). */
        {"fi-late-split", "2026-06-15T09:00:00+03:00", 1, DAYS, "2026-06-16T15:00:00+03:00"},
        {"fi-late-split", "2026-06-15T08:00:00+03:00", 1, DAYS, "2026-06-16T15:00:00+03:00"},
        /* Monday 09:59:59 too: the first opening is 10:00. */
        {"fi-late-split", "2026-06-15T09:59:59+03:00", 1, DAYS, "2026-06-16T15:00:00+03:00"},
        /* Monday 12:30 + 1 = Tuesday 12:30, in the break: the range before it closes 12:00. */
        {"fi-late-split", "2026-06-15T12:30:00+03:00", 1, DAYS, "2026-06-16T12:00:00+03:00"},
        /* Monday 12:00 + 1 = Tuesday 12:00, the first closing itself (half-open): outside,
           so that range's closing, 12:00. */
        {"fi-late-split", "2026-06-15T12:00:00+03:00", 1, DAYS, "2026-06-16T12:00:00+03:00"},
        /* Monday 16:00 + 1 = Tuesday 16:00, after the last range: 15:00. */
        {"fi-late-split", "2026-06-15T16:00:00+03:00", 1, DAYS, "2026-06-16T15:00:00+03:00"},
        /* Monday 10:30 + 1 = Tuesday 10:30, inside: stays. */
        {"fi-late-split", "2026-06-15T10:30:00+03:00", 1, DAYS, "2026-06-16T10:30:00+03:00"},
    };
    CHECK(rows);
}

/* ---- business days --------------------------------------------------------------- */

/* Same clock on the Nth following working day; a start outside hours moves to the next
   opening first, so the clock becomes 09:00. fi-office, June 2026 (+03:00). */
static void test_business_days(void **state)
{
    (void)state;
    static const Deadline rows[] = {
        /* ../shared/design/LANGUAGE.md's example: Friday 16:00 + 1 = Monday 16:00. */
        {"fi-office", "2026-06-12T16:00:00+03:00", 1, DAYS, "2026-06-15T16:00:00+03:00"},
        {"fi-office", "2026-06-12T16:59:00+03:00", 1, DAYS, "2026-06-15T16:59:00+03:00"},
        /* Friday + 5: Mon 15, Tue 16, Wed 17, Thu 18, (Fri 19 holiday), Mon 22. */
        {"fi-office", "2026-06-12T10:00:00+03:00", 5, DAYS, "2026-06-22T10:00:00+03:00"},
        {"fi-office", "2026-06-08T10:00:00+03:00", 1, DAYS, "2026-06-09T10:00:00+03:00"},
        {"fi-office", "2026-06-08T10:00:00+03:00", 5, DAYS, "2026-06-15T10:00:00+03:00"},
        /* At exactly opening. */
        {"fi-office", "2026-06-08T09:00:00+03:00", 1, DAYS, "2026-06-09T09:00:00+03:00"},
        /* Before opening: Tuesday 09:00, then Wednesday 09:00. */
        {"fi-office", "2026-06-09T07:00:00+03:00", 1, DAYS, "2026-06-10T09:00:00+03:00"},
        /* After closing, and exactly at closing: Wednesday 09:00, then Thursday 09:00. */
        {"fi-office", "2026-06-09T18:00:00+03:00", 1, DAYS, "2026-06-11T09:00:00+03:00"},
        {"fi-office", "2026-06-09T17:00:00+03:00", 1, DAYS, "2026-06-11T09:00:00+03:00"},
        /* Saturday: Monday 09:00, then Tuesday 09:00. */
        {"fi-office", "2026-06-13T12:00:00+03:00", 1, DAYS, "2026-06-16T09:00:00+03:00"},
        /* The day before a holiday: Thursday + 1 = Monday; + 2 = Tuesday. */
        {"fi-office", "2026-06-18T16:00:00+03:00", 1, DAYS, "2026-06-22T16:00:00+03:00"},
        {"fi-office", "2026-06-18T16:00:00+03:00", 2, DAYS, "2026-06-23T16:00:00+03:00"},
        /* The evening before a holiday: next opening is Monday 09:00, + 1 = Tuesday. */
        {"fi-office", "2026-06-18T19:00:00+03:00", 1, DAYS, "2026-06-23T09:00:00+03:00"},
    };
    CHECK(rows);
}

/* ---- long durations --------------------------------------------------------------- */

static void test_long_durations(void **state)
{
    (void)state;
    static const Deadline rows[] = {
        /* 40 h from Wed 06-03 13:00: Wed 4, Thu 8, Fri 8, Mon 8, Tue 8 (36), Wed 06-10 4 h:
           one week later, same time. */
        {"fi-office", "2026-06-03T13:00:00+03:00", 40, HOURS, "2026-06-10T13:00:00+03:00"},
        /* Across Midsummer: Wed 06-17 4, Thu 8, (Fri off), Mon 8, Tue 8, Wed 8 (36),
           Thu 06-25 4 h. */
        {"fi-office", "2026-06-17T13:00:00+03:00", 40, HOURS, "2026-06-25T13:00:00+03:00"},
        /* Across the March DST change: Wed 03-25 4, Thu 8, Fri 8, Mon 03-30 8, Tue 8 (36),
           Wed 04-01 4 h; the clock stays 13:00, the offset is now +03:00. */
        {"fi-office", "2026-03-25T13:00:00+02:00", 40, HOURS, "2026-04-01T13:00:00+03:00"},
        /* 20 business days from Mon 06-15: 16 17 18 (3), 19 holiday, 22-26 (8), 29 30 (10),
           Jul 1 2 3 (13), 6-10 (18), 13 (19), 14 (20): across a holiday and a month end. */
        {"fi-office", "2026-06-15T10:00:00+03:00", 20, DAYS, "2026-07-14T10:00:00+03:00"},
        /* 20 from Mon 03-16: 17-20 (4), 23-27 (9), 30 31 (11), Apr 1 2 (13), 3 and 6 Easter,
           7-10 (17), 13 14 15 (20): across DST, a month end and two holidays. */
        {"fi-office", "2026-03-16T10:00:00+02:00", 20, DAYS, "2026-04-15T10:00:00+03:00"},
        /* 20 from Mon 12-14: 15-18 (4), 21 22 23 (7), 24 25 holidays, 28-31 (11), Jan 1
           2027 holiday, Jan 4-8 (16), 11-14 (20): across a year end. */
        {"fi-office", "2026-12-14T15:00:00+02:00", 20, DAYS, "2027-01-14T15:00:00+02:00"},
        /* Two 50-hour ny-shop weeks from Mon 06-08 08:00 end at Saturday 06-20 14:00. */
        {"ny-shop", "2026-06-08T08:00:00-04:00", 100, HOURS, "2026-06-20T14:00:00-04:00"},
        /* 10000 min = 166 h 40 min = 20 days + 6 h 40 min from Mon 06-01 09:00: the 20
           whole days are Jun 1-5, 8-12, 15-18, 22-26, 29 (19th a holiday); then Tue 06-30
           09:00 + 6:40. */
        {"fi-office", "2026-06-01T09:00:00+03:00", 10000, MINUTES, "2026-06-30T15:40:00+03:00"},
    };
    CHECK(rows);
}

/* ---- business minutes -------------------------------------------------------------- */

static void test_business_minutes(void **state)
{
    (void)state;
    static const Deadline rows[] = {
        {"fi-office", "2026-06-09T10:00:00+03:00", 1, MINUTES, "2026-06-09T10:01:00+03:00"},
        /* 08:59 is outside: from 09:00. */
        {"fi-office", "2026-06-09T08:59:00+03:00", 1, MINUTES, "2026-06-09T09:01:00+03:00"},
        /* 15 min Tuesday + 15 min Wednesday; and exactly to the closing. */
        {"fi-office", "2026-06-09T16:45:00+03:00", 30, MINUTES, "2026-06-10T09:15:00+03:00"},
        {"fi-office", "2026-06-09T16:45:00+03:00", 15, MINUTES, "2026-06-09T17:00:00+03:00"},
        /* 210 min from 13:30 is exactly 17:00: stays. */
        {"fi-office", "2026-06-09T13:30:00+03:00", 210, MINUTES, "2026-06-09T17:00:00+03:00"},
        /* A day is 480 min; one more is Wednesday 09:01. */
        {"fi-office", "2026-06-09T09:00:00+03:00", 480, MINUTES, "2026-06-09T17:00:00+03:00"},
        {"fi-office", "2026-06-09T09:00:00+03:00", 481, MINUTES, "2026-06-10T09:01:00+03:00"},
        /* Sunday 23:59: Monday 09:00 + 1 min. */
        {"fi-office", "2026-06-14T23:59:00+03:00", 1, MINUTES, "2026-06-15T09:01:00+03:00"},
        /* Seconds in the start are kept: 10:00:30 + 1 min. */
        {"fi-office", "2026-06-09T10:00:30+03:00", 1, MINUTES, "2026-06-09T10:01:30+03:00"},
    };
    CHECK(rows);
}

/* ---- zero units ------------------------------------------------------------------- */

/* Zero counts no time: inside hours it is the start itself; outside (including exactly
   at a closing, or on a holiday) the start still moves to the next opening. */
static void test_zero_units(void **state)
{
    (void)state;
    static const Deadline rows[] = {
        {"fi-office", "2026-06-09T10:00:00+03:00", 0, HOURS, "2026-06-09T10:00:00+03:00"},
        {"fi-office", "2026-06-09T10:00:00+03:00", 0, MINUTES, "2026-06-09T10:00:00+03:00"},
        {"fi-office", "2026-06-09T10:00:00+03:00", 0, DAYS, "2026-06-09T10:00:00+03:00"},
        {"fi-office", "2026-06-09T09:00:00+03:00", 0, HOURS, "2026-06-09T09:00:00+03:00"},
        {"fi-office", "2026-06-09T17:00:00+03:00", 0, MINUTES, "2026-06-10T09:00:00+03:00"},
        {"fi-office", "2026-06-13T11:00:00+03:00", 0, HOURS, "2026-06-15T09:00:00+03:00"},
        {"fi-office", "2026-06-13T11:00:00+03:00", 0, DAYS, "2026-06-15T09:00:00+03:00"},
        {"fi-office", "2026-06-19T10:00:00+03:00", 0, MINUTES, "2026-06-22T09:00:00+03:00"},
    };
    CHECK(rows);
}

/* ---- DST on ordinary office hours -------------------------------------------------- */

/* The changes fall on Sundays, outside these calendars' hours; what matters is that
   openings are local clock times, so the offset of the end changes. */
static void test_dst_office_hours(void **state)
{
    (void)state;
    static const Deadline rows[] = {
        /* Helsinki, spring: 1 h Friday 03-27 (+02:00), 3 h Monday 03-30 (+03:00). */
        {"fi-office", "2026-03-27T16:00:00+02:00", 4, HOURS, "2026-03-30T12:00:00+03:00"},
        {"fi-office", "2026-03-27T10:00:00+02:00", 1, DAYS, "2026-03-30T10:00:00+03:00"},
        {"fi-office", "2026-03-28T12:00:00+02:00", 1, HOURS, "2026-03-30T10:00:00+03:00"},
        /* Helsinki, autumn: Friday 10-23 (+03:00) to Monday 10-26 (+02:00). */
        {"fi-office", "2026-10-23T16:00:00+03:00", 4, HOURS, "2026-10-26T12:00:00+02:00"},
        {"fi-office", "2026-10-23T10:00:00+03:00", 1, DAYS, "2026-10-26T10:00:00+02:00"},
        /* New York, spring: 1 h Saturday 03-07 (-05:00), Sunday closed, 1 h Monday 03-09
           from 08:00 (-04:00). */
        {"ny-shop", "2026-03-07T13:00:00-05:00", 2, HOURS, "2026-03-09T09:00:00-04:00"},
        /* Friday 03-06 + 2 days: Saturday (1), Monday (2). */
        {"ny-shop", "2026-03-06T10:00:00-05:00", 2, DAYS, "2026-03-09T10:00:00-04:00"},
        /* New York, autumn: Saturday 10-31 (-04:00) to Monday 11-02 (-05:00). */
        {"ny-shop", "2026-10-31T13:00:00-04:00", 2, HOURS, "2026-11-02T09:00:00-05:00"},
        {"ny-shop", "2026-10-30T12:00:00-04:00", 2, DAYS, "2026-11-02T12:00:00-05:00"},
    };
    CHECK(rows);
}

/* ---- DST with round-the-clock hours ------------------------------------------------ */

/* sun-sat 00:00-24:00: every instant is working time, so business hours are elapsed
   hours: the skipped hour is not counted (it does not exist) and the repeated hour is
   counted twice. Sunday 2026-03-29 in Helsinki has 23 h, 2026-10-25 has 25 h. A business
   day landing in the gap moves to that day's closing, 24:00 = the next midnight; one
   landing in the repeated hour takes its first occurrence (tz.h: the earlier). */
static void test_dst_round_the_clock(void **state)
{
    (void)state;
    static const Deadline rows[] = {
        /* 01:00 EET + 3 h: 02:00, 03:00 EET = 04:00 EEST, 05:00 EEST. */
        {"fi-allday", "2026-03-29T01:00:00+02:00", 3, HOURS, "2026-03-29T05:00:00+03:00"},
        /* 02:59 + 2 min crosses the jump. */
        {"fi-allday", "2026-03-29T02:59:00+02:00", 2, MINUTES, "2026-03-29T04:01:00+03:00"},
        /* 24 business hours from Saturday noon: 10:00Z + 24 h = 13:00 EEST Sunday. */
        {"fi-allday", "2026-03-28T12:00:00+02:00", 24, HOURS, "2026-03-29T13:00:00+03:00"},
        /* From Sunday 00:00 EET (22:00Z) + 24 h = 22:00Z Sunday = Monday 01:00 EEST. */
        {"fi-allday", "2026-03-29T00:00:00+02:00", 24, HOURS, "2026-03-30T01:00:00+03:00"},
        /* Autumn: 00:00 EEST + 4 h = 01:00Z = the second 03:00. */
        {"fi-allday", "2026-10-25T00:00:00+03:00", 4, HOURS, "2026-10-25T03:00:00+02:00"},
        /* 02:30 EEST + 1 h = the first 03:30; the first 03:30 + 1 h = the second one. */
        {"fi-allday", "2026-10-25T02:30:00+03:00", 60, MINUTES, "2026-10-25T03:30:00+03:00"},
        {"fi-allday", "2026-10-25T03:30:00+03:00", 60, MINUTES, "2026-10-25T03:30:00+02:00"},
        /* Saturday noon EEST (09:00Z) + 24 h = 09:00Z Sunday = 11:00 EET. */
        {"fi-allday", "2026-10-24T12:00:00+03:00", 24, HOURS, "2026-10-25T11:00:00+02:00"},
        /* Sunday 00:00 EEST (21:00Z Sat) + 24 h = 21:00Z Sunday = 23:00 EET. */
        {"fi-allday", "2026-10-25T00:00:00+03:00", 24, HOURS, "2026-10-25T23:00:00+02:00"},
        /* A business day keeps the clock, not the elapsed 24 h. */
        {"fi-allday", "2026-03-28T12:00:00+02:00", 1, DAYS, "2026-03-29T12:00:00+03:00"},
        /* Saturday 03:30 + 1 day = Sunday 03:30, in the gap: Sunday's closing (24:00). */
        {"fi-allday", "2026-03-28T03:30:00+02:00", 1, DAYS, "2026-03-30T00:00:00+03:00"},
        /* Saturday 03:30 + 1 day = Sunday 03:30, twice: the first. */
        {"fi-allday", "2026-10-24T03:30:00+03:00", 1, DAYS, "2026-10-25T03:30:00+03:00"},
        /* From the second 03:30 the clock is 03:30: Monday 03:30 EET. */
        {"fi-allday", "2026-10-25T03:30:00+02:00", 1, DAYS, "2026-10-26T03:30:00+02:00"},
        /* New York: 01:30 EST (06:30Z) + 1 h = 07:30Z = 03:30 EDT. */
        {"ny-allday", "2026-03-08T01:30:00-05:00", 1, HOURS, "2026-03-08T03:30:00-04:00"},
        /* 00:30 EDT (04:30Z) + 1 h = the first 01:30; + 2 h = the second. */
        {"ny-allday", "2026-11-01T00:30:00-04:00", 1, HOURS, "2026-11-01T01:30:00-04:00"},
        {"ny-allday", "2026-11-01T00:30:00-04:00", 2, HOURS, "2026-11-01T01:30:00-05:00"},
        /* Saturday noon + 24 h: 17:00Z -> 13:00 EDT; 16:00Z -> 11:00 EST. */
        {"ny-allday", "2026-03-07T12:00:00-05:00", 24, HOURS, "2026-03-08T13:00:00-04:00"},
        {"ny-allday", "2026-10-31T12:00:00-04:00", 24, HOURS, "2026-11-01T11:00:00-05:00"},
        /* Saturday 02:30 + 1 day = Sunday 02:30, in the gap: Sunday's 24:00. */
        {"ny-allday", "2026-03-07T02:30:00-05:00", 1, DAYS, "2026-03-09T00:00:00-04:00"},
        /* Saturday 01:30 + 1 day = Sunday 01:30, twice: the first (EDT). */
        {"ny-allday", "2026-10-31T01:30:00-04:00", 1, DAYS, "2026-11-01T01:30:00-04:00"},
        /* From the second 01:30 (EST): Monday 01:30 EST. */
        {"ny-allday", "2026-11-01T01:30:00-05:00", 1, DAYS, "2026-11-02T01:30:00-05:00"},
    };
    CHECK(rows);
}

/* ---- DST with night hours around the change ---------------------------------------- */

/* mon-sun 01:00-05:00 local. Helsinki 2026-03-29: 01:00 EET (23:00Z) to 05:00 EEST
   (02:00Z) is 3 h of working time; 2026-10-25: 01:00 EEST (22:00Z) to 05:00 EET (03:00Z)
   is 5 h. New York 2026-03-08: 01:00 EST (06:00Z) to 05:00 EDT (09:00Z), 3 h; 2026-11-01:
   01:00 EDT (05:00Z, the first 01:00 is the opening) to 05:00 EST (10:00Z), 5 h. */
static void test_dst_night_hours(void **state)
{
    (void)state;
    static const Deadline rows[] = {
        /* Helsinki, spring. The whole 3 h ends exactly at the closing: stays. */
        {"fi-night", "2026-03-29T01:00:00+02:00", 3, HOURS, "2026-03-29T05:00:00+03:00"},
        /* 4 h: 3 h Sunday, 1 h Monday from 01:00 EEST. */
        {"fi-night", "2026-03-29T01:00:00+02:00", 4, HOURS, "2026-03-30T02:00:00+03:00"},
        /* 02:30 EET (00:30Z) + 1 h = 01:30Z = 04:30 EEST. */
        {"fi-night", "2026-03-29T02:30:00+02:00", 1, HOURS, "2026-03-29T04:30:00+03:00"},
        /* Saturday after closing: Sunday 01:00 EET + 1 h; + 2 h lands on the jump. */
        {"fi-night", "2026-03-28T06:00:00+02:00", 1, HOURS, "2026-03-29T02:00:00+02:00"},
        {"fi-night", "2026-03-28T06:00:00+02:00", 2, HOURS, "2026-03-29T04:00:00+03:00"},
        /* Business day ending in the gap: Saturday 03:30 + 1 = Sunday 03:30, which does
           not exist: Sunday's closing, 05:00 EEST. */
        {"fi-night", "2026-03-28T03:30:00+02:00", 1, DAYS, "2026-03-29T05:00:00+03:00"},
        /* Saturday 04:30 + 1 = Sunday 04:30, which exists (EEST). */
        {"fi-night", "2026-03-28T04:30:00+02:00", 1, DAYS, "2026-03-29T04:30:00+03:00"},
        /* Helsinki, autumn. All 5 h: the closing, stays. */
        {"fi-night", "2026-10-25T01:00:00+03:00", 5, HOURS, "2026-10-25T05:00:00+02:00"},
        /* 22:00Z + 4 h = 02:00Z = 04:00 EET; + 2 h 30 = 00:30Z = the first 03:30. */
        {"fi-night", "2026-10-25T01:00:00+03:00", 4, HOURS, "2026-10-25T04:00:00+02:00"},
        {"fi-night", "2026-10-25T01:00:00+03:00", 150, MINUTES, "2026-10-25T03:30:00+03:00"},
        /* 6 h: 5 h Sunday, 1 h Monday from 01:00 EET. */
        {"fi-night", "2026-10-25T01:00:00+03:00", 6, HOURS, "2026-10-26T02:00:00+02:00"},
        /* The second 03:30 (01:30Z) + 1 h = 02:30Z = 04:30 EET. */
        {"fi-night", "2026-10-25T03:30:00+02:00", 1, HOURS, "2026-10-25T04:30:00+02:00"},
        /* Business day into the repeated hour: the first 03:30. */
        {"fi-night", "2026-10-24T03:30:00+03:00", 1, DAYS, "2026-10-25T03:30:00+03:00"},
        /* Saturday after closing: Sunday 01:00 EEST, + 1 day = Monday 01:00 EET. */
        {"fi-night", "2026-10-24T06:00:00+03:00", 1, DAYS, "2026-10-26T01:00:00+02:00"},
        /* New York, spring. */
        {"ny-night", "2026-03-08T01:00:00-05:00", 3, HOURS, "2026-03-08T05:00:00-04:00"},
        {"ny-night", "2026-03-08T01:00:00-05:00", 2, HOURS, "2026-03-08T04:00:00-04:00"},
        /* 01:30 EST + 30 min = 07:00Z = 03:00 EDT. */
        {"ny-night", "2026-03-08T01:30:00-05:00", 30, MINUTES, "2026-03-08T03:00:00-04:00"},
        /* Saturday after closing: 3 h Sunday, 1 h Monday from 01:00 EDT. */
        {"ny-night", "2026-03-07T06:00:00-05:00", 4, HOURS, "2026-03-09T02:00:00-04:00"},
        /* Business day ending in the gap: Sunday 02:30 -> 05:00 EDT. */
        {"ny-night", "2026-03-07T02:30:00-05:00", 1, DAYS, "2026-03-08T05:00:00-04:00"},
        /* New York, autumn: 5 h from the first 01:00; 1 h reaches the second 01:00. */
        {"ny-night", "2026-11-01T01:00:00-04:00", 5, HOURS, "2026-11-01T05:00:00-05:00"},
        {"ny-night", "2026-11-01T01:00:00-04:00", 1, HOURS, "2026-11-01T01:00:00-05:00"},
        /* Saturday 23:00: the next opening is the first 01:00 (05:00Z); + 1 h = 06:00Z. */
        {"ny-night", "2026-10-31T23:00:00-04:00", 1, HOURS, "2026-11-01T01:00:00-05:00"},
        /* Business days into and out of the repeated hour. */
        {"ny-night", "2026-10-31T01:30:00-04:00", 1, DAYS, "2026-11-01T01:30:00-04:00"},
        {"ny-night", "2026-11-01T01:30:00-05:00", 1, DAYS, "2026-11-02T01:30:00-05:00"},
    };
    CHECK(rows);
}

/* ---- an opening or closing clock inside the gap or the repeated hour ------------------ */

/* Hours are local clock ranges, so on a change day the working time is the instants
   whose local clock is in the range. New York, Sunday 2026-03-08, 02:00-03:00 skipped:
     ny-sun-late  [02:30, 06:00): 02:30 does not exist; working time is 03:00 EDT (07:00Z,
                  the jump) to 06:00 EDT (10:00Z), 3 h, and 03:00 EDT is inside it.
     ny-sun-early [00:00, 02:30): working time is 00:00 EST (05:00Z) to the jump (07:00Z),
                  2 h; 03:00 EDT is after the range, outside it.
   Sunday 2026-11-01, 01:00-02:00 twice:
     ny-sun-short [00:00, 01:30): 01:15 EST (06:15Z) has clock 01:15, inside the range
                  whichever way the repeated hour is read. */
static void test_dst_hour_edges(void **state)
{
    (void)state;
    static const Deadline rows[] = {
        /* Was a bug: gives 03:30 EDT; the opening 02:30 is read with EST (07:30Z), so 03:00-03:30
           EDT, whose clocks are inside [02:30, 06:00), is treated as outside. */
        {"ny-sun-late", "2026-03-08T03:00:00-04:00", 0, MINUTES, "2026-03-08T03:00:00-04:00"},
        /* Was a bug: gives 04:30 EDT (counts from 07:30Z). From 00:00 EST the first working
           instant is 03:00 EDT; + 1 h = 04:00 EDT. */
        {"ny-sun-late", "2026-03-08T00:00:00-05:00", 1, HOURS, "2026-03-08T04:00:00-04:00"},
        /* Was a bug: gives 2026-03-15T03:00-04:00 (only 2.5 h counted on the 8th, 30 min carried
           to the next Sunday). All 3 h fit: ends exactly at the 06:00 closing. */
        {"ny-sun-late", "2026-03-08T00:00:00-05:00", 3, HOURS, "2026-03-08T06:00:00-04:00"},
        /* Was a bug: gives 03:30 on the 15th. The start moves to the first working instant, clock
           03:00 EDT, and the next Sunday's 03:00 is the end. */
        {"ny-sun-late", "2026-03-08T00:00:00-05:00", 1, DAYS, "2026-03-15T03:00:00-04:00"},
        /* Sunday 03-01 02:45 + 1 day = 03-08 02:45, in the gap: that day's closing. */
        {"ny-sun-late", "2026-03-01T02:45:00-05:00", 1, DAYS, "2026-03-08T06:00:00-04:00"},
        /* Was a bug: gives 03:00 EDT itself; the closing 02:30 is read with EST (07:30Z), so
           03:00-03:30 EDT, clocks outside [00:00, 02:30), counts as working time. The
           next opening is Sunday 03-15 00:00. */
        {"ny-sun-early", "2026-03-08T03:00:00-04:00", 0, MINUTES, "2026-03-15T00:00:00-04:00"},
        /* The whole 2 h of the 8th ends at the jump, 07:00Z = 03:00 EDT. */
        {"ny-sun-early", "2026-03-08T00:00:00-05:00", 2, HOURS, "2026-03-08T03:00:00-04:00"},
        /* Was a bug: gives 03:30 EDT on the 8th. 2 h on the 8th, 30 min on the 15th. */
        {"ny-sun-early", "2026-03-08T00:00:00-05:00", 150, MINUTES, "2026-03-15T00:30:00-04:00"},
        /* v1.2: a clock time that occurs twice is its first occurrence, a closing too. The
           01:30 closing of 11-01 is 01:30 EDT (05:30Z), so the second 01:15 (EST, 06:15Z)
           is after it, outside: the next opening is Sunday 11-08 00:00 (it was read as the
           second 01:30 before v1.2, keeping 01:15 EST inside). */
        {"ny-sun-short", "2026-11-01T01:15:00-05:00", 0, MINUTES, "2026-11-08T00:00:00-05:00"},
        {"ny-sun-short", "2026-11-01T01:15:00-05:00", 15, MINUTES, "2026-11-08T00:15:00-05:00"},
        /* The first 01:15 (EDT) is inside; 15 min reach the first 01:30 exactly: it stays. */
        {"ny-sun-short", "2026-11-01T01:15:00-04:00", 15, MINUTES, "2026-11-01T01:30:00-04:00"},
        /* From 00:00 EDT the whole range is 90 min (00:00 to the first 01:30); 2 h carry
           30 min to the next Sunday. */
        {"ny-sun-short", "2026-11-01T00:00:00-04:00", 90, MINUTES, "2026-11-01T01:30:00-04:00"},
        {"ny-sun-short", "2026-11-01T00:00:00-04:00", 2, HOURS, "2026-11-08T00:30:00-05:00"},
        /* A business day landing on a clock that occurs twice: Sunday 10-25 01:20 + 1 =
           11-01 01:20, the first (EDT). */
        {"ny-sun-short", "2026-10-25T01:20:00-04:00", 1, DAYS, "2026-11-01T01:20:00-04:00"},
        /* ny-weekend: Saturday 00-03, Sunday 00:00-01:30. Saturday 10-31 02:00 + 1 = Sunday
           02:00, after the closing: it moves to the 01:30 closing, which occurs twice: its
           first occurrence, 01:30 EDT (it was the second, 01:30 EST, before v1.2). */
        {"ny-weekend", "2026-10-31T02:00:00-04:00", 1, DAYS, "2026-11-01T01:30:00-04:00"},
        /* Saturday 01:00 + 1 = Sunday 01:00, which occurs twice: the first, inside. */
        {"ny-weekend", "2026-10-31T01:00:00-04:00", 1, DAYS, "2026-11-01T01:00:00-04:00"},
    };
    CHECK(rows);
}

/* ---- milliseconds ------------------------------------------------------------------ */

/* Times carry milliseconds. Counting working time from 10:00:00.500 keeps the .500; a
   start moved to an opening, or an end moved to a closing, is exactly that clock time. */
static void test_milliseconds(void **state)
{
    (void)state;
    static const Deadline rows[] = {
        /* Was a bug: gives 11:00:00 (calendar_add drops the start's milliseconds). */
        {"fi-office", "2026-06-09T10:00:00.500+03:00", 1, HOURS, "2026-06-09T11:00:00.500+03:00"},
        /* Was a bug: gives 2026-06-10T09:00:59 (same cause). 1 ms on Tuesday, 59.999 s Wednesday. */
        {"fi-office", "2026-06-09T16:59:59.999+03:00", 1, MINUTES, "2026-06-10T09:00:59.999+03:00"},
        /* From Saturday: Monday 09:00 exactly. */
        {"fi-office", "2026-06-13T10:00:00.500+03:00", 1, HOURS, "2026-06-15T10:00:00+03:00"},
        {"fi-office", "2026-06-09T10:00:00.250+03:00", 1, DAYS, "2026-06-10T10:00:00.250+03:00"},
        /* Was a bug: gives 09:00:00.500 (the start's milliseconds are added back after the move to
           Monday's opening). Monday 09:00, + 1 day = Tuesday 09:00. */
        {"fi-office", "2026-06-13T10:00:00.500+03:00", 1, DAYS, "2026-06-16T09:00:00+03:00"},
        /* Was a bug: gives 14:00:00.250 (same cause). Friday 16:00:00.250 is outside: Friday's
           14:00 closing. */
        {"ny-shop", "2026-06-11T16:00:00.250-04:00", 1, DAYS, "2026-06-12T14:00:00-04:00"},
    };
    CHECK(rows);
}

/* ---- far from now ------------------------------------------------------------------ */

static void test_far_dates(void **state)
{
    (void)state;
    static const Deadline rows[] = {
        /* Across the epoch: Wednesday 1969-12-31 (Helsinki +02:00, no DST then), 1 h, then
           1 h on Thursday 1970-01-01 (a working day on this calendar). */
        {"fi-office", "1969-12-31T16:00:00+02:00", 2, HOURS, "1970-01-01T10:00:00+02:00"},
        {"fi-office", "1969-12-31T16:00:00+02:00", 2, DAYS, "1970-01-02T16:00:00+02:00"},
        /* 2100 is past the tz file's table: the POSIX rule puts DST on Sunday 2100-03-28
           (2100-01-01 is a Friday, so March 1 is a Monday). Friday 03-26 1 h, Monday 3 h. */
        {"fi-office", "2100-03-26T16:00:00+02:00", 4, HOURS, "2100-03-29T12:00:00+03:00"},
        {"fi-office", "2100-03-26T16:00:00+02:00", 1, DAYS, "2100-03-29T16:00:00+03:00"},
    };
    CHECK(rows);
}

/* ---- refusals ---------------------------------------------------------------------- */

static void test_refusals(void **state)
{
    (void)state;
    int64_t start = parse_ms("2026-06-09T10:00:00+03:00"), end = 42;
    char why[256] = "";
    /* A calendar with no hours at all never reaches an end. */
    assert_int_equal(calendar_add(calendar("nowhere"), start, 1, HOURS, &end, why, sizeof why), -1);
    assert_non_null(strstr(why, "calendar nowhere has no working time"));
    why[0] = '\0';
    assert_int_equal(calendar_add(calendar("nowhere"), start, 1, DAYS, &end, why, sizeof why), -1);
    assert_non_null(strstr(why, "calendar nowhere has no working time"));
    /* Zero on a calendar with no hours: there is no opening to move to. */
    assert_int_equal(calendar_add(calendar("nowhere"), start, 0, MINUTES, &end, why, sizeof why), -1);
    /* Negative counts are refused. */
    assert_int_equal(calendar_add(calendar("fi-office"), start, -1, HOURS, &end, why, sizeof why), -1);
    assert_int_equal(calendar_add(calendar("fi-office"), start, -1, DAYS, &end, why, sizeof why), -1);
    /* More than ten years of working time. */
    assert_int_equal(calendar_add(calendar("fi-office"), start, 1000000, HOURS, &end, why, sizeof why), -1);
    assert_int_equal(calendar_add(calendar("fi-office"), start, 100000, DAYS, &end, why, sizeof why), -1);
    /* A small reason buffer is cut, not overrun. */
    char small[8];
    assert_int_equal(calendar_add(calendar("nowhere"), start, 1, HOURS, &end, small, sizeof small), -1);
    assert_int_equal(strlen(small), sizeof small - 1);
}

/* The largest counts a playbook can write (lexer_support.c: count * unit * 1000 must fit
   64 bits) are refused like any other count beyond ten years of working time. */
static void test_largest_literal_counts(void **state)
{
    (void)state;
    int64_t start = parse_ms("2026-06-09T10:00:00+03:00"), end = 0;
    char why[256];
    assert_int_equal(calendar_add(calendar("fi-office"), start, INT64_MAX / 60000, MINUTES, &end, why, sizeof why), -1);
    assert_int_equal(calendar_add(calendar("fi-office"), start, INT64_MAX / 3600000, HOURS, &end, why, sizeof why), -1);
    assert_int_equal(calendar_add(calendar("fi-office"), start, INT64_MAX / 86400000, DAYS, &end, why, sizeof why), -1);
}

/* Was a bug: calendar_add multiplies the count by 60 (and again by 60) unchecked. Only callers
   of the C API can pass such counts, but they must get -1 like any other count beyond ten
   years. Under UBSan this aborts; the release build returns 0 with a wrapped end, e.g.
   INT64_MAX business minutes from Tuesday 10:00 "end" at 09:59 the same day, before the
   start. Kept last: under UBSan an overflow ends the process. */
static void test_huge_counts(void **state)
{
    (void)state;
    int64_t start = parse_ms("2026-06-09T10:00:00+03:00"), end = 0;
    char why[256];
    assert_int_equal(calendar_add(calendar("fi-office"), start, INT64_MAX, DAYS, &end, why, sizeof why), -1);
    assert_int_equal(calendar_add(calendar("fi-office"), start, INT64_MAX / 60, MINUTES, &end, why, sizeof why), -1);
    assert_int_equal(calendar_add(calendar("fi-office"), start, INT64_MAX / 3600 + 1, HOURS, &end, why, sizeof why), -1);
    assert_int_equal(calendar_add(calendar("fi-office"), start, INT64_MAX / 60 + 1, HOURS, &end, why, sizeof why), -1);
    assert_int_equal(calendar_add(calendar("fi-office"), start, INT64_MAX, MINUTES, &end, why, sizeof why), -1);
    assert_int_equal(calendar_add(calendar("fi-office"), start, INT64_MAX, HOURS, &end, why, sizeof why), -1);
}

/* ---- tz_offset_at ------------------------------------------------------------------- */

typedef struct OffsetRow {
    const char *zone, *instant;
    int32_t offset;   /* seconds east of UTC */
} OffsetRow;

/* Each transition from both sides (the last second before, the first second of the new
   offset). The Debian files list transitions up to 2037; later ones come from the POSIX
   footer: Helsinki "EET-2EEST,M3.5.0/3,M10.5.0/4" (last Sunday of March 03:00 EET = 01:00Z,
   last Sunday of October 04:00 EEST = 01:00Z), New York "EST5EDT,M3.2.0,M11.1.0" (second
   Sunday of March 02:00 EST = 07:00Z, first Sunday of November 02:00 EDT = 06:00Z), Sydney
   "AEST-10AEDT,M10.1.0,M4.1.0/3" (DST across the new year: ends first Sunday of April
   03:00 AEDT = 16:00Z the day before, starts first Sunday of October 02:00 AEST = 16:00Z
   the day before). 2038 and 2100 both start on a Friday: March 1 a Monday, so the last
   Sunday of March is the 28th and the second the 14th; October 1 a Friday, so the last
   Sunday of October is the 31st and the first of October the 3rd; November 1 a Monday,
   first Sunday the 7th; April 1 a Thursday, first Sunday the 4th. Before the first
   transition the file's first type applies: Helsinki LMT +1:39:49 (5989 s) until
   1878-05-30 22:20:11Z, then HMT, also +1:39:49, until 1921-04-30 22:20:11Z; New York
   LMT -4:56:02 (-17762 s) until 1883-11-18 17:00Z. */
static void test_tz_offset_at(void **state)
{
    (void)state;
    static const OffsetRow rows[] = {
        {"Europe/Helsinki", "2026-01-15T12:00:00Z", 7200},
        {"Europe/Helsinki", "2026-03-29T00:59:59Z", 7200},
        {"Europe/Helsinki", "2026-03-29T01:00:00Z", 10800},
        {"Europe/Helsinki", "2026-06-15T12:00:00Z", 10800},
        {"Europe/Helsinki", "2026-10-25T00:59:59Z", 10800},
        {"Europe/Helsinki", "2026-10-25T01:00:00Z", 7200},
        /* The last transition in the file, and the first ones from the rule. */
        {"Europe/Helsinki", "2037-10-25T00:59:59Z", 10800},
        {"Europe/Helsinki", "2037-10-25T01:00:00Z", 7200},
        {"Europe/Helsinki", "2038-03-28T00:59:59Z", 7200},
        {"Europe/Helsinki", "2038-03-28T01:00:00Z", 10800},
        {"Europe/Helsinki", "2100-01-15T00:00:00Z", 7200},
        {"Europe/Helsinki", "2100-03-28T00:59:59Z", 7200},
        {"Europe/Helsinki", "2100-03-28T01:00:00Z", 10800},
        {"Europe/Helsinki", "2100-07-01T00:00:00Z", 10800},
        {"Europe/Helsinki", "2100-10-31T00:59:59Z", 10800},
        {"Europe/Helsinki", "2100-10-31T01:00:00Z", 7200},
        /* Before 1900. */
        {"Europe/Helsinki", "1850-06-01T00:00:00Z", 5989},
        {"Europe/Helsinki", "1899-12-31T23:59:59Z", 5989},
        {"Europe/Helsinki", "1921-04-30T22:20:10Z", 5989},
        {"Europe/Helsinki", "1921-04-30T22:20:11Z", 7200},
        {"America/New_York", "2026-03-08T06:59:59Z", -18000},
        {"America/New_York", "2026-03-08T07:00:00Z", -14400},
        {"America/New_York", "2026-11-01T05:59:59Z", -14400},
        {"America/New_York", "2026-11-01T06:00:00Z", -18000},
        {"America/New_York", "2038-03-14T06:59:59Z", -18000},
        {"America/New_York", "2038-03-14T07:00:00Z", -14400},
        {"America/New_York", "2038-11-07T05:59:59Z", -14400},
        {"America/New_York", "2038-11-07T06:00:00Z", -18000},
        {"America/New_York", "2100-03-14T06:59:59Z", -18000},
        {"America/New_York", "2100-03-14T07:00:00Z", -14400},
        {"America/New_York", "2100-11-07T05:59:59Z", -14400},
        {"America/New_York", "2100-11-07T06:00:00Z", -18000},
        {"America/New_York", "1850-06-01T00:00:00Z", -17762},
        {"America/New_York", "1883-11-18T16:59:59Z", -17762},
        {"America/New_York", "1883-11-18T17:00:00Z", -18000},
        {"America/New_York", "1890-07-01T00:00:00Z", -18000},
        /* Southern hemisphere, from the rule. */
        {"Australia/Sydney", "2100-01-15T00:00:00Z", 39600},
        {"Australia/Sydney", "2100-04-03T15:59:59Z", 39600},
        {"Australia/Sydney", "2100-04-03T16:00:00Z", 36000},
        {"Australia/Sydney", "2100-10-02T15:59:59Z", 36000},
        {"Australia/Sydney", "2100-10-02T16:00:00Z", 39600},
        /* Rules without DST: "JST-9", "IST-5:30", "<-03>3". */
        {"Asia/Tokyo", "2100-06-01T00:00:00Z", 32400},
        {"Asia/Kolkata", "2100-06-01T00:00:00Z", 19800},
        {"America/Sao_Paulo", "2100-06-01T00:00:00Z", -10800},
        /* UTC (a file with no transitions, rule "UTC0"). */
        {"UTC", "2026-06-15T12:00:00Z", 0},
        {"UTC", "1850-06-01T00:00:00Z", 0},
        {"UTC", "2100-06-01T00:00:00Z", 0},
        {"Etc/UTC", "2100-06-01T00:00:00Z", 0},
    };
    int failures = 0;
    for (size_t i = 0; i < countof(rows); i++) {
        char why[256] = "";
        Tz *tz = tz_load(rows[i].zone, why, sizeof why);
        if (!tz) {
            print_error("row %zu: %s did not load: %s\n", i, rows[i].zone, why);
            failures++;
            continue;
        }
        int32_t got = tz_offset_at(tz, parse_ms(rows[i].instant) / 1000);
        if (got != rows[i].offset) {
            print_error("row %zu: %s at %s: got %d, expected %d\n", i, rows[i].zone,
                        rows[i].instant, got, rows[i].offset);
            failures++;
        }
        tz_free(tz);
    }
    if (failures)
        fail_msg("%d of %zu rows wrong", failures, countof(rows));
}

/* ---- tz_local_to_utc ---------------------------------------------------------------- */

/* A local time stands for one instant; in an overlap the earlier; in a gap none: then
   false, with the instant the gap ends, the first local time that exists (the spring
   change at 01:00 UTC in Helsinki, 07:00 UTC in New York). */
typedef struct LocalRow {
    const char *zone, *local;   /* a wall-clock time, no offset */
    bool exists;
    const char *utc;            /* the instant; in a gap, where the gap ends (tz.h) */
} LocalRow;

static void test_tz_local_to_utc(void **state)
{
    (void)state;
    static const LocalRow rows[] = {
        {"Europe/Helsinki", "2026-06-15T12:00:00", true, "2026-06-15T09:00:00Z"},
        {"Europe/Helsinki", "2026-01-15T12:00:00", true, "2026-01-15T10:00:00Z"},
        /* Spring: 03:00-04:00 does not exist. */
        {"Europe/Helsinki", "2026-03-29T02:59:59", true, "2026-03-29T00:59:59Z"},
        {"Europe/Helsinki", "2026-03-29T03:00:00", false, "2026-03-29T01:00:00Z"},
        {"Europe/Helsinki", "2026-03-29T03:30:00", false, "2026-03-29T01:00:00Z"},
        {"Europe/Helsinki", "2026-03-29T04:00:00", true, "2026-03-29T01:00:00Z"},
        /* Autumn: 03:00-04:00 twice; the earlier (EEST) is taken. */
        {"Europe/Helsinki", "2026-10-25T02:59:59", true, "2026-10-24T23:59:59Z"},
        {"Europe/Helsinki", "2026-10-25T03:00:00", true, "2026-10-25T00:00:00Z"},
        {"Europe/Helsinki", "2026-10-25T03:30:00", true, "2026-10-25T00:30:00Z"},
        {"Europe/Helsinki", "2026-10-25T03:59:59", true, "2026-10-25T00:59:59Z"},
        {"Europe/Helsinki", "2026-10-25T04:00:00", true, "2026-10-25T02:00:00Z"},
        /* The same from the POSIX rule. */
        {"Europe/Helsinki", "2100-03-28T03:30:00", false, "2100-03-28T01:00:00Z"},
        {"Europe/Helsinki", "2100-10-31T03:30:00", true, "2100-10-31T00:30:00Z"},
        /* New York: 02:00-03:00 missing in March, 01:00-02:00 twice in November. */
        {"America/New_York", "2026-03-08T01:59:59", true, "2026-03-08T06:59:59Z"},
        {"America/New_York", "2026-03-08T02:00:00", false, "2026-03-08T07:00:00Z"},
        {"America/New_York", "2026-03-08T02:30:00", false, "2026-03-08T07:00:00Z"},
        {"America/New_York", "2026-03-08T03:00:00", true, "2026-03-08T07:00:00Z"},
        {"America/New_York", "2026-11-01T00:59:59", true, "2026-11-01T04:59:59Z"},
        {"America/New_York", "2026-11-01T01:00:00", true, "2026-11-01T05:00:00Z"},
        {"America/New_York", "2026-11-01T01:30:00", true, "2026-11-01T05:30:00Z"},
        {"America/New_York", "2026-11-01T02:00:00", true, "2026-11-01T07:00:00Z"},
        {"UTC", "2026-06-15T12:00:00", true, "2026-06-15T12:00:00Z"},
    };
    int failures = 0;
    for (size_t i = 0; i < countof(rows); i++) {
        char why[256] = "", local_text[32];
        Tz *tz = tz_load(rows[i].zone, why, sizeof why);
        if (!tz) {
            print_error("row %zu: %s did not load: %s\n", i, rows[i].zone, why);
            failures++;
            continue;
        }
        snprintf(local_text, sizeof local_text, "%sZ", rows[i].local);
        int64_t utc = 0, want = parse_ms(rows[i].utc) / 1000;
        bool exists = tz_local_to_utc(tz, parse_ms(local_text) / 1000, &utc);
        if (exists != rows[i].exists || utc != want) {
            print_error("row %zu: %s local %s: got %s %lld, expected %s %lld (%s)\n", i,
                        rows[i].zone, rows[i].local, exists ? "true" : "false", (long long)utc,
                        rows[i].exists ? "true" : "false", (long long)want, rows[i].utc);
            failures++;
        }
        tz_free(tz);
    }
    if (failures)
        fail_msg("%d of %zu rows wrong", failures, countof(rows));
}

/* ---- tz_load -------------------------------------------------------------------------- */

static void assert_refused(const char *name, const char *message)
{
    char why[256] = "";
    Tz *tz = tz_load(name, why, sizeof why);
    if (tz) {
        tz_free(tz);
        fail_msg("zone '%s' loaded", name);
    }
    if (message)
        assert_string_equal(why, message);
    else
        assert_true(why[0] != '\0');
}

static void test_tz_load(void **state)
{
    (void)state;
    char why[256] = "";
    Tz *tz = tz_load("Europe/Helsinki", why, sizeof why);
    assert_non_null(tz);
    assert_string_equal(tz_name(tz), "Europe/Helsinki");
    tz_free(tz);
    tz_free(NULL);

    assert_refused("Mars/Olympus",
                   "no time zone 'Mars/Olympus' in the tz database (is tzdata installed?)");
    /* Names that would leave the zoneinfo folder. */
    assert_refused("../etc/passwd", "'../etc/passwd' is not a time zone name");
    assert_refused("Europe/../../../etc/passwd",
                   "'Europe/../../../etc/passwd' is not a time zone name");
    assert_refused("/etc/passwd", "'/etc/passwd' is not a time zone name");
    assert_refused("", "'' is not a time zone name");
    assert_refused(NULL, NULL);
    /* A folder of the database, and a file that is not TZif. */
    assert_refused("Europe", NULL);
    assert_refused("zone1970.tab", NULL);
    /* A very long name. */
    char long_name[300];
    memset(long_name, 'A', sizeof long_name - 1);
    long_name[sizeof long_name - 1] = '\0';
    assert_refused(long_name, NULL);
    /* A small reason buffer is cut, not overrun. */
    char small[6];
    assert_null(tz_load("Mars/Olympus", small, sizeof small));
    assert_int_equal(strlen(small), sizeof small - 1);
}

/* HUDDLE_ZONEINFO replaces /usr/share/zoneinfo: empty, nothing loads (cleanly); holding
   broken files, they are refused; holding every prefix of a real file, each either loads
   or is refused, and nothing reads out of bounds (ASan). */
static void write_file(const char *path, const void *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, len, f), len);
    fclose(f);
}

static int unset_zoneinfo(void **state)
{
    (void)state;
    unsetenv("HUDDLE_ZONEINFO");
    return 0;
}

static void test_zoneinfo_folder(void **state)
{
    (void)state;
    char dir[] = "/tmp/huddle-test-zoneinfo-XXXXXX", path[256], why[256];
    assert_non_null(mkdtemp(dir));
    assert_int_equal(setenv("HUDDLE_ZONEINFO", dir, 1), 0);

    assert_refused("Europe/Helsinki",
                   "no time zone 'Europe/Helsinki' in the tz database (is tzdata installed?)");
    assert_refused("UTC", "no time zone 'UTC' in the tz database (is tzdata installed?)");
    /* A calendar naming the zone gets the problem at its zone. */
    json_t *problems = json_array(),
           *json = json_quoted("{'zone': 'Europe/Helsinki', 'hours': {'mon-fri': '09:00-17:00'}}");
    assert_null(calendar_from_json("fi-office", json, "calendars.fi-office", problems));
    assert_int_equal(json_array_size(problems), 1);
    assert_string_equal(json_string_value(json_array_get(problems, 0)),
                        "calendars.fi-office.zone: no time zone 'Europe/Helsinki' in the tz "
                        "database (is tzdata installed?)");
    json_decref(problems);
    json_decref(json);

    /* Broken files. */
    snprintf(path, sizeof path, "%s/Empty", dir);
    write_file(path, "", 0);
    assert_refused("Empty", "the tz file for 'Empty' is not a TZif file");
    snprintf(path, sizeof path, "%s/Text", dir);
    write_file(path, "Europe/Helsinki is EET\n", 23);
    assert_refused("Text", "the tz file for 'Text' is not a TZif file");

    /* Every prefix of the real Helsinki file. */
    FILE *f = fopen("/usr/share/zoneinfo/Europe/Helsinki", "rb");
    assert_non_null(f);
    static unsigned char data[1 << 16];
    size_t len = fread(data, 1, sizeof data, f);
    fclose(f);
    assert_true(len > 44 && len < sizeof data);
    snprintf(path, sizeof path, "%s/Cut", dir);
    int loaded = 0;
    for (size_t n = 0; n <= len; n++) {
        write_file(path, data, n);
        Tz *tz = tz_load("Cut", why, sizeof why);
        if (tz) {
            int64_t utc;
            (void)tz_offset_at(tz, 4102444800);   /* 2100 */
            (void)tz_offset_at(tz, -3786825600);  /* 1850 */
            (void)tz_local_to_utc(tz, 1774755000, &utc);
            tz_free(tz);
            loaded++;
        }
    }
    /* The whole file loads and has its rule. */
    Tz *tz = tz_load("Cut", why, sizeof why);
    assert_non_null(tz);
    assert_int_equal(tz_offset_at(tz, parse_ms("2100-07-01T00:00:00Z") / 1000), 10800);
    tz_free(tz);
    assert_true(loaded >= 1);

    unlink(path);
    snprintf(path, sizeof path, "%s/Empty", dir);
    unlink(path);
    snprintf(path, sizeof path, "%s/Text", dir);
    unlink(path);
    rmdir(dir);
    unsetenv("HUDDLE_ZONEINFO");
    tz = tz_load("Europe/Helsinki", why, sizeof why);
    assert_non_null(tz);
    tz_free(tz);
}

/* ---- calendar_from_json problems ------------------------------------------------------ */

typedef struct ProblemRow {
    const char *json;              /* the calendar, single-quoted */
    const char *problems[5];       /* exactly these lines, in order; NULL-terminated */
} ProblemRow;

#define AT "calendars.fi-office"
#define HOURS_AT AT ".hours.mon-fri: "
#define NOT_A_DAY "' is not a day: write mon, tue, wed, thu, fri, sat or sun"
#define NOT_DATE(text) ": '" text "' is not a date (write YYYY-MM-DD, such as 2026-12-24)"

static void test_calendar_problems(void **state)
{
    (void)state;
    static const ProblemRow rows[] = {
        /* A good calendar, with a leap day, has no problems. */
        {"{'zone': 'Europe/Helsinki', 'hours': {'mon-fri': '09:00-17:00'},"
         " 'holidays': ['2028-02-29']}", {NULL}},
        /* Zone: missing, not a string, unknown, escaping, empty. */
        {"{'hours': {'mon-fri': '09:00-17:00'}}",
         {AT ".zone: missing: a calendar needs a time zone such as \"Europe/Helsinki\""}},
        {"{'zone': 3, 'hours': {'mon-fri': '09:00-17:00'}}",
         {AT ".zone: not text: a calendar needs a time zone such as \"Europe/Helsinki\""}},
        {"{'zone': 'Mars/Olympus', 'hours': {'mon-fri': '09:00-17:00'}}",
         {AT ".zone: no time zone 'Mars/Olympus' in the tz database (is tzdata installed?)"}},
        {"{'zone': '../etc/passwd', 'hours': {'mon-fri': '09:00-17:00'}}",
         {AT ".zone: '../etc/passwd' is not a time zone name"}},
        {"{'zone': '', 'hours': {'mon-fri': '09:00-17:00'}}",
         {AT ".zone: '' is not a time zone name"}},
        /* Hours: missing, or not an object. */
        {"{'zone': 'Europe/Helsinki'}",
         {AT ".hours: missing: give working hours such as {\"mon-fri\": \"09:00-17:00\"}"}},
        {"{'zone': 'Europe/Helsinki', 'hours': '09:00-17:00'}",
         {AT ".hours: not an object of days: give working hours such as {\"mon-fri\": \"09:00-17:00\"}"}},
        /* Bad hours text: each message says which part and why. */
        {"{'zone': 'Europe/Helsinki', 'hours': {'mon-fri': '9-5'}}",
         {HOURS_AT "'9' is not a clock time: write HH:MM with two digits each, such as 09:00"}},
        {"{'zone': 'Europe/Helsinki', 'hours': {'mon-fri': 9}}",
         {HOURS_AT "hours are text such as \"09:00-17:00\" or \"09:00-12:00,13:00-17:00\""}},
        {"{'zone': 'Europe/Helsinki', 'hours': {'mon-fri': ''}}",
         {HOURS_AT "no hours: write \"09:00-17:00\" or \"09:00-12:00,13:00-17:00\""}},
        {"{'zone': 'Europe/Helsinki', 'hours': {'mon-fri': '17:00-09:00'}}",
         {HOURS_AT "range 17:00-09:00 closes before it opens: its closing must come after its opening, on the same day"}},
        {"{'zone': 'Europe/Helsinki', 'hours': {'mon-fri': '09:00-09:00'}}",
         {HOURS_AT "range 09:00-09:00 is empty: its closing must come after its opening, on the same day"}},
        {"{'zone': 'Europe/Helsinki', 'hours': {'mon-fri': '09:00-25:00'}}",
         {HOURS_AT "'25:00' is not a clock time: hours go from 00 to 24"}},
        {"{'zone': 'Europe/Helsinki', 'hours': {'mon-fri': '09:00-24:30'}}",
         {HOURS_AT "'24:30' is past the end of the day: the latest clock time is 24:00"}},
        {"{'zone': 'Europe/Helsinki', 'hours': {'mon-fri': '09:60-17:00'}}",
         {HOURS_AT "'09:60' is not a clock time: minutes go from 00 to 59"}},
        {"{'zone': 'Europe/Helsinki', 'hours': {'mon-fri': '09:00-17:00x'}}",
         {HOURS_AT "unexpected 'x' after 09:00-17:00: separate ranges with ','"}},
        {"{'zone': 'Europe/Helsinki', 'hours': {'mon-fri': '09:00 to 17:00'}}",
         {HOURS_AT "unexpected 'to 17:00' after 09:00: a range is OPENING-CLOSING, such as 09:00-17:00"}},
        {"{'zone': 'Europe/Helsinki', 'hours': {'mon-fri': '09:00'}}",
         {HOURS_AT "no closing after 09:00: a range is OPENING-CLOSING, such as 09:00-17:00"}},
        {"{'zone': 'Europe/Helsinki', 'hours': {'mon-fri': '09:00-'}}",
         {HOURS_AT "a clock time is missing at the end: write HH:MM, such as 09:00"}},
        {"{'zone': 'Europe/Helsinki', 'hours': {'mon-fri': '09:00-12:00,'}}",
         {HOURS_AT "a ',' at the end: another range must follow it"}},
        {"{'zone': 'Europe/Helsinki', 'hours': {'mon-fri': '09:00-12:00;13:00-17:00'}}",
         {HOURS_AT "unexpected ';13:00-17:00' after 09:00-12:00: separate ranges with ','"}},
        {"{'zone': 'Europe/Helsinki', 'hours': {'mon-fri': '9:00-17:00'}}",
         {HOURS_AT "'9:00' is not a clock time: write HH:MM with two digits each, such as 09:00"}},
        {"{'zone': 'Europe/Helsinki', 'hours': {'mon-fri': '01:00-02:00,03:00-04:00,05:00-06:00,"
         "07:00-08:00,09:00-10:00,11:00-12:00,13:00-14:00,15:00-16:00,17:00-18:00'}}",
         {HOURS_AT "more than 8 ranges in one day"}},
        /* Was a bug: accepted; sscanf's %2d reads "-1", so the day opens at -01:00. */
        {"{'zone': 'Europe/Helsinki', 'hours': {'mon-fri': '-1:00-05:00'}}",
         {HOURS_AT "a clock time is missing before '-': write HH:MM, such as 09:00"}},
        /* Overlapping ranges, or out of order. */
        {"{'zone': 'Europe/Helsinki', 'hours': {'mon-fri': '09:00-13:00,12:00-17:00'}}",
         {HOURS_AT "range 12:00-17:00 overlaps 09:00-13:00: write a day's ranges in order, without overlaps"}},
        {"{'zone': 'Europe/Helsinki', 'hours': {'mon-fri': '09:00-17:00,09:00-17:00'}}",
         {HOURS_AT "range 09:00-17:00 overlaps 09:00-17:00: write a day's ranges in order, without overlaps"}},
        {"{'zone': 'Europe/Helsinki', 'hours': {'mon-fri': '13:00-17:00,09:00-12:00'}}",
         {HOURS_AT "range 09:00-12:00 comes before 13:00-17:00: write a day's ranges in order, without overlaps"}},
        /* Bad day names, and a day named twice. */
        {"{'zone': 'Europe/Helsinki', 'hours': {'monday': '09:00-17:00'}}",
         {AT ".hours.monday: 'monday" NOT_A_DAY}},
        {"{'zone': 'Europe/Helsinki', 'hours': {'weekdays': '09:00-17:00'}}",
         {AT ".hours.weekdays: 'weekdays" NOT_A_DAY}},
        {"{'zone': 'Europe/Helsinki', 'hours': {'Mon-Fri': '09:00-17:00'}}",
         {AT ".hours.Mon-Fri: 'Mon" NOT_A_DAY}},
        {"{'zone': 'Europe/Helsinki', 'hours': {'mon-xyz': '09:00-17:00'}}",
         {AT ".hours.mon-xyz: 'xyz" NOT_A_DAY}},
        {"{'zone': 'Europe/Helsinki', 'hours': {'mon-': '09:00-17:00'}}",
         {AT ".hours.mon-: a day is missing: write mon-fri, sat or mon,wed"}},
        {"{'zone': 'Europe/Helsinki', 'hours': {'mon,,fri': '09:00-17:00'}}",
         {AT ".hours.mon,,fri: a day is missing: write mon-fri, sat or mon,wed"}},
        {"{'zone': 'Europe/Helsinki', 'hours': {'': '09:00-17:00'}}",
         {AT ".hours.: a day is missing: write mon-fri, sat or mon,wed"}},
        {"{'zone': 'Europe/Helsinki', 'hours': {'mon-fri': '09:00-17:00', 'fri': '09:00-12:00'}}",
         {AT ".hours.fri: fri already has hours from \"mon-fri\": name each day once"}},
        /* Was a bug: accepted; "mon-mon-fri" made Monday and Friday working days only. */
        {"{'zone': 'Europe/Helsinki', 'hours': {'mon-mon-fri': '09:00-17:00'}}",
         {AT ".hours.mon-mon-fri: a range of days has two ends, such as mon-fri: write several ranges with ',' "
             "(mon-wed,fri)"}},
        {"{'zone': 'Europe/Helsinki', 'hours': {'wed-mon-tue': '09:00-17:00'}}",
         {AT ".hours.wed-mon-tue: a range of days has two ends, such as mon-fri: write several ranges with ',' "
             "(mon-wed,fri)"}},
        /* Was a bug: accepted; a day named twice within one key. */
        {"{'zone': 'Europe/Helsinki', 'hours': {'mon,mon': '09:00-17:00'}}",
         {AT ".hours.mon,mon: mon is named twice in this key: name each day once"}},
        {"{'zone': 'Europe/Helsinki', 'hours': {'mon-fri,tue': '09:00-17:00'}}",
         {AT ".hours.mon-fri,tue: tue is named twice in this key: name each day once"}},
        {"{'zone': 'Europe/Helsinki', 'hours': {'fri-mon,mon-wed': '09:00-17:00'}}",
         {AT ".hours.fri-mon,mon-wed: mon is named twice in this key: name each day once"}},
        {"{'zone': 'Europe/Helsinki', 'hours': {'fri-mon,tue-thu': '09:00-17:00'}}", {NULL}},
        /* Holidays: not a list, or a bad date (the index is in the path). */
        {"{'zone': 'Europe/Helsinki', 'hours': {'mon-fri': '09:00-17:00'}, 'holidays': '2026-12-24'}",
         {AT ".holidays: not a list of dates"}},
        {"{'zone': 'Europe/Helsinki', 'hours': {'mon-fri': '09:00-17:00'},"
         " 'holidays': ['2026-12-24', '2026-13-01']}", {AT ".holidays[1]: 2026-13-01 is not a date: there is no month 13"}},
        {"{'zone': 'Europe/Helsinki', 'hours': {'mon-fri': '09:00-17:00'},"
         " 'holidays': ['24.12.2026']}", {AT ".holidays[0]" NOT_DATE("24.12.2026")}},
        {"{'zone': 'Europe/Helsinki', 'hours': {'mon-fri': '09:00-17:00'},"
         " 'holidays': ['2026-12-24T00:00:00Z']}", {AT ".holidays[0]" NOT_DATE("2026-12-24T00:00:00Z")}},
        {"{'zone': 'Europe/Helsinki', 'hours': {'mon-fri': '09:00-17:00'},"
         " 'holidays': [20261224]}", {AT ".holidays[0]: not a date (write YYYY-MM-DD, such as 2026-12-24)"}},
        {"{'zone': 'Europe/Helsinki', 'hours': {'mon-fri': '09:00-17:00'},"
         " 'holidays': ['2026-12-00']}", {AT ".holidays[0]: 2026-12-00 is not a date: days count from 01"}},
        /* Was a bug: accepted (any day up to 31 passes, and becomes March 1st); 2026 is not a
           leap year. */
        {"{'zone': 'Europe/Helsinki', 'hours': {'mon-fri': '09:00-17:00'},"
         " 'holidays': ['2026-02-29']}", {AT ".holidays[0]: 2026-02-29 is not a date: February 2026 has 28 days"}},
        /* Was a bug: accepted, as March 2nd. */
        {"{'zone': 'Europe/Helsinki', 'hours': {'mon-fri': '09:00-17:00'},"
         " 'holidays': ['2026-02-30']}", {AT ".holidays[0]: 2026-02-30 is not a date: February 2026 has 28 days"}},
        /* Several problems: every one, zone first, then hours, then holidays. */
        {"{'zone': 'Mars/Olympus', 'hours': {'monday': '09:00-17:00', 'tue': '9-5'},"
         " 'holidays': ['2026-12-24', '24.12.2026']}",
         {AT ".zone: no time zone 'Mars/Olympus' in the tz database (is tzdata installed?)",
          AT ".hours.monday: 'monday" NOT_A_DAY,
          AT ".hours.tue: '9' is not a clock time: write HH:MM with two digits each, such as 09:00",
          AT ".holidays[1]" NOT_DATE("24.12.2026")}},
    };
    int failures = 0;
    for (size_t i = 0; i < countof(rows); i++) {
        json_t *json = json_quoted(rows[i].json), *problems = json_array();
        /* Problems are appended: an earlier line stays. */
        json_array_append_new(problems, json_string("earlier"));
        Calendar *c = calendar_from_json("fi-office", json, AT, problems);
        size_t want = 0;
        while (want < countof(rows[i].problems) && rows[i].problems[want])
            want++;
        bool ok = (c == NULL) == (want > 0) && json_array_size(problems) == want + 1 &&
                  strcmp(json_string_value(json_array_get(problems, 0)), "earlier") == 0;
        for (size_t k = 0; ok && k < want; k++)
            ok = strcmp(json_string_value(json_array_get(problems, k + 1)), rows[i].problems[k]) == 0;
        if (!ok) {
            char *got = json_dumps(problems, 0);
            print_error("row %zu: %s\n  calendar %s, problems %s; expected %zu problem(s), "
                        "first: %s\n", i, rows[i].json, c ? "built" : "refused", got, want,
                        want ? rows[i].problems[0] : "none");
            free(got);
            failures++;
        }
        calendar_free(c);
        json_decref(problems);
        json_decref(json);
    }
    if (failures)
        fail_msg("%d of %zu rows wrong", failures, countof(rows));
}

/* RUNTIME.md v1.2's hours grammar: day keys (mon-fri, sat, mon,wed, a range that wraps
   around the week) to one or more ranges; blanks around ',' and '-' are allowed. Each row
   is the hours object and the week it must give, Monday first: "-" for no working time,
   else the ranges as written back. */
static void test_hours_grammar(void **state)
{
    (void)state;
    static const struct { const char *hours; const char *week[7]; } rows[] = {
        {"{'mon-fri': '09:00-17:00'}",
         {"09:00-17:00", "09:00-17:00", "09:00-17:00", "09:00-17:00", "09:00-17:00", "-", "-"}},
        {"{'mon-thu': '09:00-12:00,13:00-17:00', 'fri': '09:00-11:00,13:00-15:00', 'sat': '10:00-14:00'}",
         {"09:00-12:00,13:00-17:00", "09:00-12:00,13:00-17:00", "09:00-12:00,13:00-17:00",
          "09:00-12:00,13:00-17:00", "09:00-11:00,13:00-15:00", "10:00-14:00", "-"}},
        {"{'mon,wed': '08:00-16:00', 'tue,thu-fri': '10:00-18:00'}",
         {"08:00-16:00", "10:00-18:00", "08:00-16:00", "10:00-18:00", "10:00-18:00", "-", "-"}},
        {"{'fri-mon': '00:00-24:00'}",
         {"00:00-24:00", "-", "-", "-", "00:00-24:00", "00:00-24:00", "00:00-24:00"}},
        {"{'mon - tue , sun': ' 09:00 - 12:00 , 12:00-17:00 '}",
         {"09:00-12:00,12:00-17:00", "09:00-12:00,12:00-17:00", "-", "-", "-", "-",
          "09:00-12:00,12:00-17:00"}},
    };
    int failures = 0;
    for (size_t i = 0; i < countof(rows); i++) {
        char text[256];
        snprintf(text, sizeof text, "{'zone': 'UTC', 'hours': %s}", rows[i].hours);
        json_t *json = json_quoted(text), *problems = json_array();
        Calendar *c = calendar_from_json("grammar", json, "calendars.grammar", problems);
        for (int d = 0; d < 7; d++) {
            StrBuf got = STRBUF_INIT;
            for (int r = 0; c && r < c->week[d].count; r++)
                strbuf_printf(&got, "%s%02d:%02d-%02d:%02d", r ? "," : "", c->week[d].open[r] / 3600,
                              c->week[d].open[r] / 60 % 60, c->week[d].close[r] / 3600,
                              c->week[d].close[r] / 60 % 60);
            const char *shown = got.len ? strbuf_text(&got) : "-";
            if (!c || strcmp(shown, rows[i].week[d]) != 0) {
                char *why = json_dumps(problems, 0);
                print_error("row %zu: %s day %d: got %s, expected %s %s\n", i, rows[i].hours, d,
                            c ? shown : "(refused)", rows[i].week[d], why);
                free(why);
                failures++;
            }
            strbuf_free(&got);
        }
        calendar_free(c);
        json_decref(problems);
        json_decref(json);
    }
    if (failures)
        fail_msg("%d days wrong", failures);
}

/* Calendars parse what they say: check the weeks and holidays of two of them. */
static void test_calendar_contents(void **state)
{
    (void)state;
    const Calendar *c = calendar("ny-shop");
    assert_string_equal(tz_name(c->tz), "America/New_York");
    /* Monday .. Thursday 08-18, Friday 08-14, Saturday 10-14, Sunday none. */
    for (int d = 0; d < 4; d++) {
        assert_int_equal(c->week[d].count, 1);
        assert_int_equal(c->week[d].open[0], 8 * 3600);
        assert_int_equal(c->week[d].close[0], 18 * 3600);
    }
    assert_int_equal(c->week[4].close[0], 14 * 3600);
    assert_int_equal(c->week[5].open[0], 10 * 3600);
    assert_int_equal(c->week[6].count, 0);
    const Calendar *split = calendar("fi-split");
    assert_int_equal(split->week[0].count, 2);
    assert_int_equal(split->week[0].close[0], 12 * 3600);
    assert_int_equal(split->week[0].open[1], 13 * 3600);
    const Calendar *allday = calendar("fi-allday");
    for (int d = 0; d < 7; d++)
        assert_int_equal(allday->week[d].close[0], 86400);
    /* fi-office's holidays, sorted: 2026-04-03 is day 20546 since the epoch. */
    const Calendar *office = calendar("fi-office");
    assert_int_equal(office->holiday_count, 6);
    assert_int_equal(office->holidays[0], 20546);
    for (uint32_t i = 1; i < office->holiday_count; i++)
        assert_true(office->holidays[i - 1] < office->holidays[i]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_calendar_contents),
        cmocka_unit_test(test_hours_start_inside_and_outside),
        cmocka_unit_test(test_holidays),
        cmocka_unit_test(test_lunch_gap),
        cmocka_unit_test(test_hours_per_weekday),
        cmocka_unit_test(test_days_ending_on_a_shorter_day),
        cmocka_unit_test(test_business_days),
        cmocka_unit_test(test_long_durations),
        cmocka_unit_test(test_business_minutes),
        cmocka_unit_test(test_zero_units),
        cmocka_unit_test(test_dst_office_hours),
        cmocka_unit_test(test_dst_round_the_clock),
        cmocka_unit_test(test_dst_night_hours),
        cmocka_unit_test(test_dst_hour_edges),
        cmocka_unit_test(test_milliseconds),
        cmocka_unit_test(test_far_dates),
        cmocka_unit_test(test_refusals),
        cmocka_unit_test(test_tz_offset_at),
        cmocka_unit_test(test_tz_local_to_utc),
        cmocka_unit_test(test_tz_load),
        cmocka_unit_test_teardown(test_zoneinfo_folder, unset_zoneinfo),
        cmocka_unit_test(test_calendar_problems),
        cmocka_unit_test(test_hours_grammar),
        cmocka_unit_test(test_largest_literal_counts),
        cmocka_unit_test(test_huge_counts),
    };
    return cmocka_run_group_tests(tests, load_calendars, free_calendars);
}
