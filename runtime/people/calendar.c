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

static int day_index(const char *name, size_t len)
{
    for (int i = 0; i < 7; i++)
        if (len == 3 && strncmp(name, DAY_NAMES[i], 3) == 0)
            return i;
    return -1;
}

/* "HH:MM" at *p, exactly two digits each; advances *p. */
static bool parse_clock(const char **p, int32_t *seconds)
{
    const char *s = *p;
    for (int i = 0; i < 5; i++)
        if (i == 2 ? s[i] != ':' : (s[i] < '0' || s[i] > '9'))
            return false;
    int hours = (s[0] - '0') * 10 + (s[1] - '0'), minutes = (s[3] - '0') * 10 + (s[4] - '0');
    if (hours > 24 || minutes > 59 || (hours == 24 && minutes > 0))
        return false;
    *seconds = hours * 3600 + minutes * 60;
    *p = s + 5;
    return true;
}

/* "09:00-12:00,13:00-17:00" into a day; false when malformed. */
static bool parse_ranges(const char *text, CalendarDay *day)
{
    day->count = 0;
    const char *p = text;
    while (*p) {
        int32_t open, close;
        if (day->count == CALENDAR_MAX_RANGES || !parse_clock(&p, &open) || *p++ != '-' ||
            !parse_clock(&p, &close) || close <= open ||
            (day->count > 0 && open < day->close[day->count - 1]))
            return false;
        day->open[day->count] = open;
        day->close[day->count++] = close;
        if (*p == ',' && p[1])
            p++;
        else if (*p)
            return false;
    }
    return day->count > 0;
}

/* "mon-fri", "sat", "mon,wed,fri" into a set of weekdays. */
static bool parse_days(const char *text, bool days[7])
{
    memset(days, 0, 7 * sizeof(bool));
    const char *p = text;
    while (*p) {
        int from = day_index(p, 3), to = from;
        if (from < 0)
            return false;
        p += 3;
        if (*p == '-') {
            to = day_index(p + 1, 3);
            if (to < 0)
                return false;
            p += 4;
        }
        for (int d = from;; d = (d + 1) % 7) {
            days[d] = true;
            if (d == to)
                break;
        }
        if (*p == ',')
            p++;
        else if (*p)
            return false;
    }
    return true;
}

static int compare_days(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
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
    const char *zone = json_string_value(json_object_get(json, "zone"));
    snprintf(at, sizeof at, "%s.zone", path);
    if (!zone)
        problem(problems, at, "%smissing: a calendar needs a time zone such as \"Europe/Helsinki\"", "");
    else if (!(c->tz = tz_load(zone, why, sizeof why)))
        problem(problems, at, "%s", why);
    json_t *hours = json_object_get(json, "hours");
    snprintf(at, sizeof at, "%s.hours", path);
    if (!json_is_object(hours)) {
        problem(problems, at, "%smissing: give working hours such as {\"mon-fri\": \"09:00-17:00\"}", "");
    } else {
        const char *days_text;
        json_t *ranges;
        json_object_foreach(hours, days_text, ranges) {
            bool days[7];
            CalendarDay day;
            snprintf(at, sizeof at, "%s.hours.%s", path, days_text);
            if (!parse_days(days_text, days))
                problem(problems, at, "%snot days: write mon-fri, sat or mon,wed", "");
            else if (!json_is_string(ranges) || !parse_ranges(json_string_value(ranges), &day))
                problem(problems, at, "%snot hours: write \"09:00-17:00\" or \"09:00-12:00,13:00-17:00\"", "");
            else
                for (int d = 0; d < 7; d++)
                    if (days[d])
                        c->week[d] = day;
        }
    }
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
   false and the instant is where the gap ends; in an overlap an opening takes the
   earlier reading and a closing (`late`) the later, so the repeated hour is working
   time when its clock times are. */
static int64_t local_instant(const Calendar *c, int64_t day, int64_t clock_ms, bool late, bool *exists)
{
    int64_t local = day * 86400 + clock_ms / 1000, utc;
    *exists = late ? tz_local_to_utc_late(c->tz, local, &utc) : tz_local_to_utc(c->tz, local, &utc);
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
    *open = local_instant(c, day, (int64_t)hours->open[r] * 1000, false, &exists);
    *close = local_instant(c, day, (int64_t)hours->close[r] * 1000, true, &exists);
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
    bool inside = false;
    int closing = 0;
    for (int r = 0; r < hours->count; r++) {
        if (clock >= (int64_t)hours->open[r] * 1000 && clock < (int64_t)hours->close[r] * 1000)
            inside = true;
        if ((int64_t)hours->open[r] * 1000 <= clock)
            closing = r;
    }
    bool exists;
    int64_t at = local_instant(c, day, clock, false, &exists);
    if (!inside || !exists)
        at = local_instant(c, day, (int64_t)hours->close[closing] * 1000, true, &exists);
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
        snprintf(why, why_len, "calendar %s has no working time to count %lld business %s within ten years",
                 c->name, (long long)count, unit == BUSINESS_DAYS ? "days" : unit == BUSINESS_HOURS ? "hours" : "minutes");
        return -1;
    }
    return 0;
}
