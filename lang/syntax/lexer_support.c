/*
 * lexer_support.c - numbers, durations and times for the lexer (see
 * lexer_support.h).
 */
#include "lexer_support.h"

#include <string.h>

#include "civil.h"

bool lex_parse_integer(const char *digits, size_t len, uint64_t *value)
{
    const uint64_t limit = (uint64_t)1 << 63;
    uint64_t total = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned digit = (unsigned)(digits[i] - '0');
        if (total > (limit - digit) / 10)
            return false;
        total = total * 10 + digit;
    }
    *value = total;
    return true;
}

static const struct {
    const char *word;
    DurationUnit unit;
} LONG_UNITS[] = {
    {"second", UNIT_SECONDS}, {"seconds", UNIT_SECONDS},
    {"minute", UNIT_MINUTES}, {"minutes", UNIT_MINUTES},
    {"hour", UNIT_HOURS},     {"hours", UNIT_HOURS},
    {"day", UNIT_DAYS},       {"days", UNIT_DAYS},
    {"week", UNIT_WEEKS},     {"weeks", UNIT_WEEKS},
};

bool lex_unit_from_word(const char *word, size_t len, bool short_form, DurationUnit *unit)
{
    if (short_form) {
        if (len != 1)
            return false;
        const char *at = strchr("smhdw", word[0]);
        if (!at || !*at)
            return false;
        *unit = (DurationUnit)(at - "smhdw");
        return true;
    }
    for (size_t i = 0; i < sizeof LONG_UNITS / sizeof LONG_UNITS[0]; i++)
        if (strlen(LONG_UNITS[i].word) == len && memcmp(LONG_UNITS[i].word, word, len) == 0) {
            *unit = LONG_UNITS[i].unit;
            return true;
        }
    return false;
}

static const int64_t UNIT_SECONDS_OF[] = {1, 60, 3600, 86400, 604800};

bool lex_make_duration(uint64_t count, DurationUnit unit, bool business, DurationLit *out)
{
    int64_t per = UNIT_SECONDS_OF[unit];
    /* The VM keeps durations in milliseconds: they must fit there too. */
    if (count > (uint64_t)(INT64_MAX / 1000 / per))
        return false;
    out->business = business;
    out->count = (int64_t)count;
    out->unit = unit;
    out->seconds = (int64_t)count * per;
    return true;
}

/* Reads exactly `n` digits at text[*at]. */
static bool lex_digits(const char *text, size_t len, size_t *at, int n, unsigned *value)
{
    unsigned total = 0;
    for (int i = 0; i < n; i++) {
        if (*at >= len || text[*at] < '0' || text[*at] > '9')
            return false;
        total = total * 10 + (unsigned)(text[(*at)++] - '0');
    }
    *value = total;
    return true;
}

static bool lex_expect(const char *text, size_t len, size_t *at, char c)
{
    if (*at >= len || text[*at] != c)
        return false;
    (*at)++;
    return true;
}

bool lex_parse_time(const char *text, size_t len, TimeLit *out, const char **why)
{
    size_t at = 0;
    unsigned year, month, day, hour, minute, second, off_h = 0, off_m = 0, off_s = 0;
    int sign = 0;
    *why = "write it as @2026-06-20T09:00:00Z or with an offset, @2026-06-20T09:00:00+03:00";
    if (!lex_expect(text, len, &at, '@') || !lex_digits(text, len, &at, 4, &year) ||
        !lex_expect(text, len, &at, '-') || !lex_digits(text, len, &at, 2, &month) ||
        !lex_expect(text, len, &at, '-') || !lex_digits(text, len, &at, 2, &day) ||
        !lex_expect(text, len, &at, 'T') || !lex_digits(text, len, &at, 2, &hour) ||
        !lex_expect(text, len, &at, ':') || !lex_digits(text, len, &at, 2, &minute) ||
        !lex_expect(text, len, &at, ':') || !lex_digits(text, len, &at, 2, &second))
        return false;
    if (at < len && text[at] == '.') {
        *why = "a time literal has whole seconds: drop the fraction";
        return false;
    }
    if (lex_expect(text, len, &at, 'Z')) {
        sign = 0;
    } else if (at < len && (text[at] == '+' || text[at] == '-')) {
        sign = text[at++] == '+' ? 1 : -1;
        if (!lex_digits(text, len, &at, 2, &off_h) || !lex_expect(text, len, &at, ':') ||
            !lex_digits(text, len, &at, 2, &off_m))
            return false;
        /* seconds, as huddle writes an offset that has them (an old local mean time) */
        if (lex_expect(text, len, &at, ':') && !lex_digits(text, len, &at, 2, &off_s))
            return false;
    } else {
        *why = "a time needs a zone: end it with Z or an offset like +03:00";
        return false;
    }
    if (at != len)
        return false;
    if (month < 1 || month > 12)
        return *why = "there is no such month", false;
    if (day < 1 || day > civil_days_in_month(year, month))
        return *why = "that month has no such day", false;
    if (hour > 23 || minute > 59 || second > 59)
        return *why = "hours run 00-23, minutes and seconds 00-59", false;
    if (off_h > 23 || off_m > 59 || off_s > 59)
        return *why = "an offset runs from -23:59 to +23:59", false;
    int32_t offset = sign * (int32_t)(off_h * 3600 + off_m * 60 + off_s);
    int64_t days = civil_days_from_date(year, month, day);
    out->epoch_seconds = days * 86400 + hour * 3600 + minute * 60 + second - offset;
    out->offset_seconds = offset;
    /* the instants RFC 3339 can write in UTC, as a time made while running (vm_ops.c) */
    if (out->epoch_seconds < -62167219200LL || out->epoch_seconds >= 253402300800LL)
        return *why = "in UTC it falls outside the years 0000 to 9999, which RFC 3339 writes", false;
    return true;
}

bool lex_interpolation_closes(const char *text, uint32_t from, uint32_t len)
{
    unsigned depth = 1;
    for (uint32_t i = from; i < len && text[i] != '\n' && text[i] != '\r'; i++) {
        char c = text[i];
        if (c == '{') {
            depth++;
        } else if (c == '}') {
            if (--depth == 0)
                return true;
        } else if (c == '"') {
            /* a string inside the interpolation: skip to its closing quote */
            for (i++; i < len && text[i] != '"' && text[i] != '\n' && text[i] != '\r'; i++)
                if (text[i] == '\\' && i + 1 < len && text[i + 1] != '\n' && text[i + 1] != '\r')
                    i++;
            if (i >= len || text[i] != '"')
                return false;
        } else if (c == '#') {
            return false;
        }
    }
    return false;
}
