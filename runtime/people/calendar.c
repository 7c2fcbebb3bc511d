/*
 * calendar.c - calendars from the directory, and business-time arithmetic (see
 * calendar.h).
 */
#include "calendar.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "civil.h"

#define CALENDAR_SEARCH_DAYS 3660      /* look at most ten years ahead */

static const char *const DAY_NAMES[7] = {"mon", "tue", "wed", "thu", "fri", "sat", "sun"};

static void problem(json_t *problems, const char *path, const char *fmt, const char *detail)
{
    StrBuf text = STRBUF_INIT;
    strbuf_printf(&text, "%s: ", path);
    strbuf_printf(&text, fmt, detail);
    json_array_append_new(problems, json_string(strbuf_text(&text)));
    strbuf_free(&text);
}

static void skip_blanks(const char **p)
{
    while (**p == ' ' || **p == '\t')
        (*p)++;
}

/* The text of one piece of `text` (up to the next separator in `stops`), for messages. */
static void piece(const char *p, const char *stops, char *out, size_t size)
{
    size_t n = strcspn(p, stops);
    while (n > 0 && (p[n - 1] == ' ' || p[n - 1] == '\t'))
        n--;
    snprintf(out, size, "%.*s", (int)(n < 40 ? n : 40), p);
}

/* "HH:MM" at *p, two digits each, 00:00 to 24:00; advances *p. On error, says why. */
static bool parse_clock(const char **p, int32_t *seconds, char *why, size_t why_len)
{
    const char *s = *p;
    char text[48];
    piece(s, "-,", text, sizeof text);
    for (int i = 0; i < 5; i++)
        if (i == 2 ? s[i] != ':' : (s[i] < '0' || s[i] > '9')) {
            if (*text)
                snprintf(why, why_len, "'%s' is not a clock time: write HH:MM with two digits "
                         "each, such as 09:00", text);
            else
                snprintf(why, why_len, "a clock time is missing%s%.1s%s: write HH:MM, such as 09:00",
                         *s ? " before '" : " at the end", s, *s ? "'" : "");
            return false;
        }
    int hours = (s[0] - '0') * 10 + (s[1] - '0'), minutes = (s[3] - '0') * 10 + (s[4] - '0');
    if (minutes > 59 || hours > 24) {
        snprintf(why, why_len, "'%.5s' is not a clock time: %s", s,
                 minutes > 59 ? "minutes go from 00 to 59" : "hours go from 00 to 24");
        return false;
    }
    if (hours == 24 && minutes > 0) {
        snprintf(why, why_len, "'%.5s' is past the end of the day: the latest clock time is 24:00", s);
        return false;
    }
    *seconds = hours * 3600 + minutes * 60;
    *p = s + 5;
    return true;
}

static void clock_text(int32_t seconds, char out[6])
{
    snprintf(out, 6, "%02d:%02d", (int)(seconds / 3600) % 100, (int)(seconds / 60 % 60));
}

/* One range "09:00-17:00" at *p, after the ranges already in `day`; advances *p. */
static bool parse_range(const char **p, CalendarDay *day, char *why, size_t why_len)
{
    int32_t open, close;
    char a[6], b[6], c[6], d[6];
    if (!parse_clock(p, &open, why, why_len))
        return false;
    skip_blanks(p);
    if (**p != '-') {
        char rest[48];
        piece(*p, ",", rest, sizeof rest);
        clock_text(open, a);
        snprintf(why, why_len, "%s%s%s after %s: a range is OPENING-CLOSING, such as 09:00-17:00",
                 *rest ? "unexpected '" : "no closing", *rest ? rest : "", *rest ? "'" : "", a);
        return false;
    }
    (*p)++;
    skip_blanks(p);
    if (!parse_clock(p, &close, why, why_len))
        return false;
    clock_text(open, a);
    clock_text(close, b);
    if (close <= open) {
        snprintf(why, why_len, "range %s-%s %s: its closing must come after its opening, on the same day",
                 a, b, close == open ? "is empty" : "closes before it opens");
        return false;
    }
    if (day->count > 0 && open < day->close[day->count - 1]) {
        clock_text(day->open[day->count - 1], c);
        clock_text(day->close[day->count - 1], d);
        snprintf(why, why_len, "range %s-%s %s %s-%s: write a day's ranges in order, without overlaps",
                 a, b, open < day->open[day->count - 1] ? "comes before" : "overlaps", c, d);
        return false;
    }
    if (day->count == CALENDAR_MAX_RANGES) {
        snprintf(why, why_len, "more than %d ranges in one day", CALENDAR_MAX_RANGES);
        return false;
    }
    day->open[day->count] = open;
    day->close[day->count++] = close;
    return true;
}

/* "09:00-12:00,13:00-17:00" (blanks allowed around ',' and '-') into a day; on error,
   says which part and why. */
static bool parse_ranges(const char *text, CalendarDay *day, char *why, size_t why_len)
{
    day->count = 0;
    const char *p = text;
    skip_blanks(&p);
    if (!*p) {
        snprintf(why, why_len, "no hours: write \"09:00-17:00\" or \"09:00-12:00,13:00-17:00\"");
        return false;
    }
    for (;;) {
        if (!parse_range(&p, day, why, why_len))
            return false;
        skip_blanks(&p);
        if (!*p)
            return true;
        if (*p != ',') {
            char a[6], b[6], rest[48];
            piece(p, ",", rest, sizeof rest);
            clock_text(day->open[day->count - 1], a);
            clock_text(day->close[day->count - 1], b);
            snprintf(why, why_len, "unexpected '%s' after %s-%s: separate ranges with ','", rest, a, b);
            return false;
        }
        p++;
        skip_blanks(&p);
        if (!*p) {
            snprintf(why, why_len, "a ',' at the end: another range must follow it");
            return false;
        }
    }
}

/* The weekday named at *p (three letters), or -1 with a message; advances *p. */
static int parse_day(const char **p, char *why, size_t why_len)
{
    char text[48];
    piece(*p, ",-", text, sizeof text);
    for (int i = 0; i < 7; i++)
        if (strcmp(text, DAY_NAMES[i]) == 0) {
            *p += strcspn(*p, ",-");
            return i;
        }
    if (!*text)
        snprintf(why, why_len, "a day is missing: write mon-fri, sat or mon,wed");
    else
        snprintf(why, why_len, "'%s' is not a day: write mon, tue, wed, thu, fri, sat or sun", text);
    return -1;
}

/* "mon-fri", "sat", "mon,wed,fri" (blanks allowed around ',' and '-') into a set of
   weekdays; a range may wrap around the week (fri-mon). A range has two ends, and a key
   names each day once ("mon-mon-fri" and "mon-fri,tue" are refused: what they meant is
   a guess). On error, says why. */
static bool parse_days(const char *text, bool days[7], char *why, size_t why_len)
{
    memset(days, 0, 7 * sizeof(bool));
    const char *p = text;
    for (;;) {
        skip_blanks(&p);
        int from = parse_day(&p, why, why_len), to = from;
        if (from < 0)
            return false;
        skip_blanks(&p);
        if (*p == '-') {
            p++;
            skip_blanks(&p);
            if ((to = parse_day(&p, why, why_len)) < 0)
                return false;
            skip_blanks(&p);
            if (*p == '-') {
                snprintf(why, why_len, "a range of days has two ends, such as mon-fri: write several "
                         "ranges with ',' (mon-wed,fri)");
                return false;
            }
        }
        for (int d = from;; d = (d + 1) % 7) {
            if (days[d]) {
                snprintf(why, why_len, "%s is named twice in this key: name each day once", DAY_NAMES[d]);
                return false;
            }
            days[d] = true;
            if (d == to)
                break;
        }
        if (!*p)
            return true;
        p++;   /* a ',' (parse_day stops only at ',' and '-', and '-' was taken) */
    }
}

static int compare_days(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* The calendar's `hours` object: each key's days get its ranges; a day named twice, and
   every malformed key or value, is a problem at its path. */
static void calendar_hours(Calendar *c, const json_t *hours, const char *path, json_t *problems)
{
    char at[512], why[256];
    snprintf(at, sizeof at, "%s.hours", path);
    if (!json_is_object(hours)) {
        problem(problems, at, "%s: give working hours such as {\"mon-fri\": \"09:00-17:00\"}",
                hours ? "not an object of days" : "missing");
        return;
    }
    const char *days_text, *given[7] = {NULL};   /* which key gave each weekday its hours */
    json_t *ranges;
    json_object_foreach((json_t *)hours, days_text, ranges) {
        bool days[7];
        CalendarDay day;
        snprintf(at, sizeof at, "%s.hours.%s", path, days_text);
        if (!parse_days(days_text, days, why, sizeof why) ||
            (json_is_string(ranges) && !parse_ranges(json_string_value(ranges), &day, why, sizeof why))) {
            problem(problems, at, "%s", why);
            continue;
        }
        if (!json_is_string(ranges)) {
            problem(problems, at, "%shours are text such as \"09:00-17:00\" or \"09:00-12:00,13:00-17:00\"", "");
            continue;
        }
        for (int d = 0; d < 7; d++)
            if (days[d] && given[d]) {
                snprintf(why, sizeof why, "%s already has hours from \"%s\": name each day once",
                         DAY_NAMES[d], given[d]);
                problem(problems, at, "%s", why);
                break;
            }
        for (int d = 0; d < 7; d++)
            if (days[d] && !given[d]) {
                c->week[d] = day;
                given[d] = days_text;
            }
    }
}

Calendar *calendar_from_json(const char *name, const json_t *json, const char *path,
                             json_t *problems)
{
    size_t before = json_array_size(problems);
    char at[512], why[256];
    Calendar *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    /* A longer name would be cut short here and never found by it again. */
    if (strlen(name) >= sizeof c->name)
        problem(problems, path, "%snot a calendar name: at most 63 bytes", "");
    snprintf(c->name, sizeof c->name, "%s", name);
    const json_t *zone_json = json_object_get(json, "zone");
    const char *zone = json_string_value(zone_json);
    snprintf(at, sizeof at, "%s.zone", path);
    if (!zone)
        problem(problems, at, "%s: a calendar needs a time zone such as \"Europe/Helsinki\"",
                zone_json ? "not text" : "missing");
    else if (!(c->tz = tz_load(zone, why, sizeof why)))
        problem(problems, at, "%s", why);
    calendar_hours(c, json_object_get(json, "hours"), path, problems);
    json_t *holidays = json_object_get(json, "holidays");
    if (holidays && !json_is_array(holidays)) {
        snprintf(at, sizeof at, "%s.holidays", path);
        problem(problems, at, "%snot a list of dates", "");
    }
    c->holidays = calloc(json_array_size(holidays) + 1, sizeof(int64_t));
    size_t i;
    json_t *date;
    json_array_foreach(holidays, i, date) {
        const char *text = json_string_value(date);
        int64_t days;
        snprintf(at, sizeof at, "%s.holidays[%zu]", path, i);
        if (!text)
            problem(problems, at, "%snot a date (write YYYY-MM-DD, such as 2026-12-24)", "");
        else if (!civil_parse_date(text, &days, why, sizeof why))
            problem(problems, at, "%s", why);
        else
            c->holidays[c->holiday_count++] = days;
    }
    qsort(c->holidays, c->holiday_count, sizeof(int64_t), compare_days);
    if (json_array_size(problems) > before) {
        calendar_free(c);
        return NULL;
    }
    return c;
}

void calendar_free(Calendar *c)
{
    if (!c)
        return;
    tz_free(c->tz);
    free(c->holidays);
    free(c);
}

/* ---- arithmetic, in seconds ---- */

static bool is_holiday(const Calendar *c, int64_t day)
{
    return bsearch(&day, c->holidays, c->holiday_count, sizeof(int64_t), compare_days) != NULL;
}

/* The working ranges of local day `day` (days since the epoch), or NULL when it has none. */
static const CalendarDay *working_day(const Calendar *c, int64_t day)
{
    int weekday = (int)(((day % 7) + 10) % 7);   /* 1970-01-01 was a Thursday: 0 = Monday */
    const CalendarDay *hours = &c->week[weekday];
    return hours->count > 0 && !is_holiday(c, day) ? hours : NULL;
}

/* A local clock time of a day as an instant, in milliseconds. In a DST gap *exists is
   false and the instant is where the gap ends; a clock time that occurs twice at a
   fall-back is its first occurrence (LANGUAGE.md v1.2), openings, closings and ends
   alike: a range whose closing falls in the repeated hour closes at its first reading. */
static int64_t local_instant(const Calendar *c, int64_t day, int64_t clock_ms, bool *exists)
{
    int64_t local = day * 86400 + clock_ms / 1000, utc;
    *exists = tz_local_to_utc(c->tz, local, &utc);
    return utc * 1000 + (*exists ? clock_ms % 1000 : 0);
}

static int64_t local_day_of(const Calendar *c, int64_t utc_ms)
{
    int64_t local = utc_ms / 1000 - (utc_ms % 1000 < 0) + tz_offset_at(c->tz, utc_ms / 1000);
    return local >= 0 ? local / 86400 : -((-local + 86399) / 86400);
}

/* The instants of range r of a working day. */
static void range_instants(const Calendar *c, int64_t day, const CalendarDay *hours, int r,
                           int64_t *open, int64_t *close)
{
    bool exists;
    *open = local_instant(c, day, (int64_t)hours->open[r] * 1000, &exists);
    *close = local_instant(c, day, (int64_t)hours->close[r] * 1000, &exists);
}

static int add_working(const Calendar *c, int64_t start, int64_t left, int64_t *end)
{
    int64_t day = local_day_of(c, start) - 1;   /* the day before may still be open */
    for (int n = 0; n < CALENDAR_SEARCH_DAYS; n++, day++) {
        const CalendarDay *hours = working_day(c, day);
        for (int r = 0; hours && r < hours->count; r++) {
            int64_t open, close;
            range_instants(c, day, hours, r, &open, &close);
            if (close <= start || close <= open)
                continue;
            int64_t from = start > open ? start : open;
            if (left <= close - from) {
                *end = from + left;
                return 0;
            }
            left -= close - from;
        }
    }
    return -1;
}

/* The first working instant at or after `t`. */
static bool next_working(const Calendar *c, int64_t t, int64_t *at)
{
    int64_t day = local_day_of(c, t) - 1;
    for (int n = 0; n < CALENDAR_SEARCH_DAYS; n++, day++) {
        const CalendarDay *hours = working_day(c, day);
        for (int r = 0; hours && r < hours->count; r++) {
            int64_t open, close;
            range_instants(c, day, hours, r, &open, &close);
            if (t < close && open < close) {
                *at = t > open ? t : open;
                return true;
            }
        }
    }
    return false;
}

static int add_days(const Calendar *c, int64_t start, int64_t days, int64_t *end)
{
    int64_t t;
    if (!next_working(c, start, &t))
        return -1;
    if (days == 0) {
        *end = t;
        return 0;
    }
    int64_t day = local_day_of(c, t);
    int64_t t_seconds = t / 1000 - (t % 1000 < 0);
    int64_t clock = (t_seconds + tz_offset_at(c->tz, t_seconds) - day * 86400) * 1000 + (t - t_seconds * 1000);
    const CalendarDay *hours = NULL;
    for (int64_t found = 0, n = 0; found < days; n++) {
        if (n > CALENDAR_SEARCH_DAYS)
            return -1;
        day++;
        if ((hours = working_day(c, day)))
            found++;
    }
    /* Outside the day's hours (or in a DST gap) the end moves to the closing of the
       range before it: the last that opens at or before the clock, else the day's last. */
    bool inside = false;
    int closing = hours->count - 1;
    for (int r = 0; r < hours->count; r++) {
        if (clock >= (int64_t)hours->open[r] * 1000 && clock < (int64_t)hours->close[r] * 1000)
            inside = true;
        if ((int64_t)hours->open[r] * 1000 <= clock)
            closing = r;
    }
    bool exists;
    int64_t at = local_instant(c, day, clock, &exists);
    if (!inside || !exists)
        at = local_instant(c, day, (int64_t)hours->close[closing] * 1000, &exists);
    *end = at;
    return 0;
}

int calendar_add(const Calendar *c, int64_t start_ms, int64_t count, BusinessUnit unit,
                 int64_t *end_ms, char *why, size_t why_len)
{
    static const int64_t UNIT_MS[] = {60000, 3600000};
    int rc;
    if (count < 0 || (unit != BUSINESS_DAYS && count > INT64_MAX / UNIT_MS[unit]))
        rc = -1;
    else if (unit == BUSINESS_DAYS)
        rc = add_days(c, start_ms, count, end_ms);
    else
        rc = add_working(c, start_ms, count * UNIT_MS[unit], end_ms);
    if (rc < 0) {
        bool hours = false;   /* a week with no working time never reaches an end */
        for (int d = 0; d < 7; d++)
            hours |= c->week[d].count > 0;
        snprintf(why, why_len, hours ? "calendar %s cannot count %lld business %s within ten years, the furthest a "
                                       "business duration may reach: the count is too large for its working time"
                                     : "calendar %s has no working time to count %lld business %s within ten years",
                 c->name, (long long)count, unit == BUSINESS_DAYS ? "days" : unit == BUSINESS_HOURS ? "hours" : "minutes");
        return -1;
    }
    return 0;
}
