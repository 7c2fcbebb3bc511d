/*
 * tz.h - time zones from the system's tz database (TZif files in /usr/share/zoneinfo,
 * Debian's tzdata), read once per zone.
 *
 * A Tz answers the UTC offset at any instant: from the file's transitions, and past the
 * last one from its POSIX TZ rule (e.g. "EET-2EEST,M3.5.0/3,M10.5.0/4").
 */
#ifndef HUDDLE_TZ_H
#define HUDDLE_TZ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct Tz Tz;

/* Loads zone `name` ("Europe/Helsinki", "UTC"). Returns NULL with a reason when there is
   no such zone, its file is unreadable, or it counts leap seconds (a right/ zone, whose
   times are not POSIX time: the reason names the plain zone to use instead).
   HUDDLE_ZONEINFO overrides the folder. */
Tz *tz_load(const char *name, char *why, size_t why_len);
void tz_free(Tz *tz);
const char *tz_name(const Tz *tz);

/* The offset from UTC, in seconds, at the instant `utc` (seconds since the epoch). An
   offset need not be whole minutes: Africa/Monrovia was -00:44:30 until 1972. */
int32_t tz_offset_at(const Tz *tz, int64_t utc);

/* The same at the instant `ms` (milliseconds since the epoch; before 1970 it counts
   from the second the millisecond is in, not the one after). */
int32_t tz_offset_at_ms(const Tz *tz, int64_t ms);

/* The instant a local wall-clock time (seconds since the epoch as if local were UTC)
   stands for. In a DST gap it returns false (the time does not exist) and *utc is the
   instant the gap ends, the first that does; in an overlap (a fall-back) it takes the
   earlier instant, the clock time's first occurrence. */
bool tz_local_to_utc(const Tz *tz, int64_t local, int64_t *utc);

#endif
