/*
 * civil.h - calendar arithmetic without time zones: days since the epoch of a
 * proleptic Gregorian date, month lengths, and plain elapsed durations written the
 * short way (`12h`, `1w`). Zones live in runtime/people/tz.h.
 */
#ifndef HUDDLE_CIVIL_H
#define HUDDLE_CIVIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Days since 1970-01-01 of a proleptic Gregorian date (month 1-12, day 1-31). */
int64_t civil_days_from_date(int64_t year, unsigned month, unsigned day);

/* The date of a day counted since 1970-01-01 (the inverse of civil_days_from_date). */
void civil_date_from_days(int64_t days, int64_t *year, unsigned *month, unsigned *day);

/* The longest text civil_time_text writes, its NUL included. */
#define CIVIL_TIME_TEXT 48

/* Writes the instant `ms` (milliseconds since 1970-01-01T00:00:00Z) as RFC 3339 seen
   from a zone `offset_seconds` east of UTC: YYYY-MM-DDTHH:MM:SS, then .mmm when the
   milliseconds are not zero, then Z for offset 0 or +HH:MM / -HH:MM, with :SS after
   it when the offset has seconds (a local mean time of before 1972, -00:44:30: RFC 3339
   has no such form, but writing the local clock without them would be wrong by them).
   A year outside 0 to 9999 is written with as many digits as it has (and a minus sign
   before 0). Returns the length; `out` ends with a NUL. */
size_t civil_time_text(int64_t ms, int32_t offset_seconds, char out[CIVIL_TIME_TEXT]);

/* The local time people read (`huddle history`, `tasks`, a message's deadline): the
   instant `ms` seen `offset_seconds` east of UTC as "YYYY-MM-DD HH:MM +HH:MM", with
   :SS after the clock when `seconds` and the local seconds are not zero, and :SS after
   the offset when it has seconds ("+00:00" for UTC, never Z). The one formatter of
   local times: the engine and the CLI both call it. Returns the length. */
size_t civil_local_text(int64_t ms, int32_t offset_seconds, bool seconds, char out[CIVIL_TIME_TEXT]);

/* Days in `month` (1-12) of `year`; 0 for a month that does not exist. */
unsigned civil_days_in_month(int64_t year, unsigned month);

/* Whether `day` of `month` of `year` exists; when not, a phrase saying why goes to
   `why` (why_len bytes; may be NULL): "February 2026 has 28 days", "there is no month
   13", "days count from 01". */
bool civil_date_exists(int64_t year, int month, int day, char *why, size_t why_len);

/* Parses exactly YYYY-MM-DD into days since 1970-01-01. False for anything else, with
   a sentence in `why` (may be NULL): "2026-02-30 is not a date: February 2026 has 28
   days", or "'24.12.2026' is not a date (write YYYY-MM-DD, such as 2026-12-24)". */
bool civil_parse_date(const char *text, int64_t *days, char *why, size_t why_len);

/* Parses an RFC 3339 time (2026-06-15T08:10:00+03:00, ...Z; 't' or a space for the
   'T', 'z' for the 'Z', any number of fraction digits, of which milliseconds are kept;
   an offset may have :SS, as civil_time_text writes one) into ms since 1970-01-01T00:00:00Z
   and, when offset_out is not NULL, its offset in seconds east of UTC. False for anything
   else, with a sentence in `why` (may be NULL): "'x' is not an RFC 3339 time (write
   2026-06-15T08:10:00+03:00 or ...Z)", "2026-02-30 is not a date: February 2026 has 28
   days". The one reader of times from outside: every door, trace and option uses it. */
bool civil_parse_time(const char *text, int64_t *ms, int32_t *offset_out, char *why, size_t why_len);

/* Parses a whole text of digits and one of s m h d w (`90s`, `12h`, `1w`) into seconds;
   false for anything else, or when the seconds overflow 64 bits. */
bool civil_parse_elapsed(const char *text, int64_t *seconds);

#endif
