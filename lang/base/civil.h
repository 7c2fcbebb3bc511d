/*
 * civil.h - calendar arithmetic without time zones: days since the epoch of a
 * proleptic Gregorian date, month lengths, and plain elapsed durations written the
 * short way (`12h`, `1w`). Zones live in runtime/people/tz.h.
 */
#ifndef HUDDLE_CIVIL_H
#define HUDDLE_CIVIL_H

#include <stdbool.h>
#include <stdint.h>

/* Days since 1970-01-01 of a proleptic Gregorian date (month 1-12, day 1-31). */
int64_t civil_days_from_date(int64_t year, unsigned month, unsigned day);

/* The date of a day counted since 1970-01-01 (the inverse of civil_days_from_date). */
void civil_date_from_days(int64_t days, int64_t *year, unsigned *month, unsigned *day);


/* Days in `month` (1-12) of `year`; 0 for a month that does not exist. */
unsigned civil_days_in_month(int64_t year, unsigned month);

/* Parses a whole text of digits and one of s m h d w (`90s`, `12h`, `1w`) into seconds;
   false for anything else, or when the seconds overflow 64 bits. */
bool civil_parse_elapsed(const char *text, int64_t *seconds);

#endif
