/*
 * civil.c - calendar arithmetic on proleptic Gregorian dates and plain elapsed
 * durations, shared by the lexer, the VM's values, time zones and the directory (see
 * civil.h).
 */
#include "civil.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

int64_t civil_days_from_date(int64_t year, unsigned month, unsigned day)
{
    /* Howard Hinnant's days_from_civil. */
    year -= month <= 2;
    int64_t era = (year >= 0 ? year : year - 399) / 400;
    int64_t year_of_era = year - era * 400;
    int64_t day_of_year = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1;
    int64_t day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    return era * 146097 + day_of_era - 719468;
}


void civil_date_from_days(int64_t days, int64_t *year, unsigned *month, unsigned *day)
{
    /* Howard Hinnant's civil_from_days. */
    int64_t z = days + 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t day_of_era = z - era * 146097;
    int64_t year_of_era = (day_of_era - day_of_era / 1460 + day_of_era / 36524 - day_of_era / 146096) / 365;
    int64_t day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    int64_t mp = (5 * day_of_year + 2) / 153;
    *day = (unsigned)(day_of_year - (153 * mp + 2) / 5 + 1);
    *month = (unsigned)(mp < 10 ? mp + 3 : mp - 9);
    *year = year_of_era + era * 400 + (*month <= 2);
}

/* Writes `value` as exactly `count` decimal digits at `at` (value < 10^count). */
static char *put_digits(char *at, unsigned value, int count)
{
    for (int i = count - 1; i >= 0; i--, value /= 10)
        at[i] = (char)('0' + value % 10);
    return at + count;
}

/* Writes `offset_seconds` east of UTC as +HH:MM, or +HH:MM:SS when it has seconds (an
   old local mean time: Africa/Monrovia's -00:44:30); at `at`, returning the end. */
static char *put_offset(char *at, int32_t offset_seconds)
{
    uint32_t away = (uint32_t)(offset_seconds < 0 ? -(int64_t)offset_seconds : offset_seconds);
    *at++ = offset_seconds < 0 ? '-' : '+';
    if (away / 3600 > 99)     /* what printf's %02d gives for an offset of 100 hours or more */
        at += snprintf(at, 12, "%u", away / 3600);
    else
        at = put_digits(at, away / 3600, 2);
    *at++ = ':';
    at = put_digits(at, away / 60 % 60, 2);
    if (away % 60) {
        *at++ = ':';
        at = put_digits(at, away % 60, 2);
    }
    return at;
}

/* The local day and the milliseconds into it of the instant `ms` seen `offset_seconds`
   east of UTC; writes the date YYYY-MM-DD at `at` and returns its end. */
static char *put_local_date(char *at, int64_t ms, int32_t offset_seconds, unsigned *rest)
{
    int64_t local = ms + (int64_t)offset_seconds * 1000;
    int64_t days = local >= 0 ? local / 86400000 : -((-local + 86399999) / 86400000);
    *rest = (unsigned)(local - days * 86400000);
    int64_t year;
    unsigned month, day;
    civil_date_from_days(days, &year, &month, &day);
    if (year >= 0 && year <= 9999)
        at = put_digits(at, (unsigned)year, 4);
    else    /* what printf's %04 gives: 12345, -001 */
        at += snprintf(at, 24, "%04" PRId64, year);
    *at++ = '-';
    at = put_digits(at, month, 2);
    *at++ = '-';
    return put_digits(at, day, 2);
}

/* HH:MM at `at`, then :SS when `seconds`; returns the end. */
static char *put_clock(char *at, unsigned rest, bool seconds)
{
    at = put_digits(at, rest / 3600000, 2);
    *at++ = ':';
    at = put_digits(at, rest / 60000 % 60, 2);
    if (seconds) {
        *at++ = ':';
        at = put_digits(at, rest / 1000 % 60, 2);
    }
    return at;
}

size_t civil_time_text(int64_t ms, int32_t offset_seconds, char out[CIVIL_TIME_TEXT])
{
    unsigned rest;
    char *at = put_local_date(out, ms, offset_seconds, &rest);
    *at++ = 'T';
    at = put_clock(at, rest, true);
    if (rest % 1000) {
        *at++ = '.';
        at = put_digits(at, rest % 1000, 3);
    }
    if (offset_seconds == 0)
        *at++ = 'Z';
    else
        at = put_offset(at, offset_seconds);
    *at = '\0';
    return (size_t)(at - out);
}

size_t civil_local_text(int64_t ms, int32_t offset_seconds, bool seconds, char out[CIVIL_TIME_TEXT])
{
    unsigned rest;
    char *at = put_local_date(out, ms, offset_seconds, &rest);
    *at++ = ' ';
    at = put_clock(at, rest, seconds && rest / 1000 % 60 != 0);
    *at++ = ' ';
    at = put_offset(at, offset_seconds);
    *at = '\0';
    return (size_t)(at - out);
}

/* Is `year` a Gregorian leap year? */
static bool civil_is_leap_year(int64_t year)
{
    return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
}

unsigned civil_days_in_month(int64_t year, unsigned month)
{
    static const unsigned days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (month < 1 || month > 12)
        return 0;
    return month == 2 && civil_is_leap_year(year) ? 29 : days[month - 1];
}

bool civil_date_exists(int64_t year, int month, int day, char *why, size_t why_len)
{
    static const char *const MONTHS[12] = {"January", "February", "March", "April", "May", "June", "July",
                                           "August", "September", "October", "November", "December"};
    char sink[8];
    if (!why)
        why = sink, why_len = sizeof sink;
    if (month < 1 || month > 12) {
        snprintf(why, why_len, "there is no month %d", month);
        return false;
    }
    unsigned days = civil_days_in_month(year, (unsigned)month);
    if (day < 1) {
        snprintf(why, why_len, "days count from 01");
        return false;
    }
    if ((unsigned)day > days) {
        snprintf(why, why_len, "%s %lld has %u days", MONTHS[month - 1], (long long)year, days);
        return false;
    }
    return true;
}

/* Exactly `n` ASCII digits at `text`. */
static bool civil_digits(const char *text, int n, int *out)
{
    *out = 0;
    for (int i = 0; i < n; i++) {
        if (text[i] < '0' || text[i] > '9')
            return false;
        *out = *out * 10 + (text[i] - '0');
    }
    return true;
}

bool civil_parse_date(const char *text, int64_t *days, char *why, size_t why_len)
{
    int year, month, day;
    char reason[64];
    if (strlen(text) != 10 || !civil_digits(text, 4, &year) || text[4] != '-' ||
        !civil_digits(text + 5, 2, &month) || text[7] != '-' || !civil_digits(text + 8, 2, &day)) {
        if (why)
            snprintf(why, why_len, "'%.40s' is not a date (write YYYY-MM-DD, such as 2026-12-24)", text);
        return false;
    }
    if (!civil_date_exists(year, month, day, reason, sizeof reason)) {
        if (why)
            snprintf(why, why_len, "%s is not a date: %s", text, reason);
        return false;
    }
    *days = civil_days_from_date(year, (unsigned)month, (unsigned)day);
    return true;
}

bool civil_parse_elapsed(const char *text, int64_t *seconds)
{
    size_t digits = strspn(text, "0123456789");
    if (digits == 0 || digits > 18 || strlen(text) != digits + 1)
        return false;
    int64_t unit;
    switch (text[digits]) {
    case 's': unit = 1; break;
    case 'm': unit = 60; break;
    case 'h': unit = 3600; break;
    case 'd': unit = 86400; break;
    case 'w': unit = 7 * 86400; break;
    default: return false;
    }
    int64_t count = 0;
    for (size_t i = 0; i < digits; i++)
        count = count * 10 + (text[i] - '0');
    if (count > INT64_MAX / unit)
        return false;
    *seconds = count * unit;
    return true;
}

/* ---- RFC 3339 times ---- */

/* Writes "TEXT is not an RFC 3339 time (...)" to why, when there is one; false. */
static bool time_refuse(const char *text, const char *reason, char *why, size_t why_len)
{
    if (why)
        snprintf(why, why_len, "'%.64s' is not an RFC 3339 time (%s)", text, reason);
    return false;
}

/* The zone after the seconds: Z, or +hh:mm / -hh:mm, or +hh:mm:ss / -hh:mm:ss (what
   huddle writes for an offset with seconds, civil_time_text) as *offset seconds east of
   UTC; *at moves past it. */
static bool time_zone(const char **at, int32_t *offset)
{
    const char *p = *at;
    int hours, minutes, seconds = 0;
    if (*p == 'Z' || *p == 'z') {
        *offset = 0;
        *at = p + 1;
        return true;
    }
    if ((*p != '+' && *p != '-') || !civil_digits(p + 1, 2, &hours) || p[3] != ':' ||
        !civil_digits(p + 4, 2, &minutes) || hours > 23 || minutes > 59)
        return false;
    *at = p + 6;
    if (p[6] == ':' && (!civil_digits(p + 7, 2, &seconds) || seconds > 59))
        return false;
    if (p[6] == ':')
        *at = p + 9;
    *offset = (*p == '-' ? -1 : 1) * (hours * 3600 + minutes * 60 + seconds);
    return true;
}

bool civil_parse_time(const char *text, int64_t *ms, int32_t *offset_out, char *why, size_t why_len)
{
    static const char *const FORM = "write 2026-06-15T08:10:00+03:00 or ...Z";
    int year, month, day, hour, minute, second, millis = 0;
    int32_t offset;
    if (strlen(text) < 20 || !civil_digits(text, 4, &year) || text[4] != '-' || !civil_digits(text + 5, 2, &month) ||
        text[7] != '-' || !civil_digits(text + 8, 2, &day) || (text[10] != 'T' && text[10] != 't' && text[10] != ' ') ||
        !civil_digits(text + 11, 2, &hour) || text[13] != ':' || !civil_digits(text + 14, 2, &minute) ||
        text[16] != ':' || !civil_digits(text + 17, 2, &second))
        return time_refuse(text, FORM, why, why_len);
    const char *at = text + 19;
    if (*at == '.') {
        if (at[1] < '0' || at[1] > '9')
            return time_refuse(text, "a decimal point needs digits after it", why, why_len);
        int scale = 100;
        for (at++; *at >= '0' && *at <= '9'; at++, scale /= 10)
            millis += scale > 0 ? (*at - '0') * scale : 0;
    }
    if (!time_zone(&at, &offset) || *at)
        return time_refuse(text, "it ends with Z or an offset from -23:59 to +23:59", why, why_len);
    char reason[64];
    if (!civil_date_exists(year, month, day, reason, sizeof reason)) {
        if (why)
            snprintf(why, why_len, "%.10s is not a date: %s", text, reason);
        return false;
    }
    if (hour > 23 || minute > 59 || second > 60)
        return time_refuse(text, "hours run 00-23, minutes 00-59, seconds 00-60", why, why_len);
    int64_t days = civil_days_from_date(year, (unsigned)month, (unsigned)day);
    *ms = ((days * 86400 + hour * 3600 + minute * 60 + (second == 60 ? 59 : second)) -
           (int64_t)offset) * 1000 + millis;
    if (offset_out)
        *offset_out = offset;
    return true;
}
