/*
 * calendar.h - working time: a zone, working hours per weekday (several ranges a day),
 * and holidays; and the business-time arithmetic of ../shared/design/LANGUAGE.md
 * ("Calendars and business time").
 *
 * Hours are half-open, [09:00, 17:00). N business minutes or hours count only working
 * time, and a count that ends exactly at a closing time stays there. N business days end
 * at the same clock time on the Nth following working day. A start outside working hours
 * first moves to the next opening; an end outside that day's hours, or in a DST gap,
 * moves to that day's closing (on a day of several ranges, the closing of the range
 * before it, else the day's last); a clock time that occurs twice at a fall-back is its
 * first occurrence (v1.2).
 */
#ifndef HUDDLE_CALENDAR_H
#define HUDDLE_CALENDAR_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "tz.h"
#include "value.h"

#define CALENDAR_MAX_RANGES 8

typedef struct CalendarDay {
    int count;
    int32_t open[CALENDAR_MAX_RANGES], close[CALENDAR_MAX_RANGES];   /* seconds after midnight */
} CalendarDay;

typedef struct Calendar {
    char name[64];
    Tz *tz;                     /* owned */
    CalendarDay week[7];        /* 0 = Monday */
    int64_t *holidays;          /* days since the epoch, ascending */
    uint32_t holiday_count;
} Calendar;

/* Builds a calendar from its directory JSON ({"zone", "hours", "holidays"}). On error
   returns NULL and appends "PATH: problem" lines to `problems` (JSON path under `path`). */
Calendar *calendar_from_json(const char *name, const json_t *json, const char *path,
                             json_t *problems);
void calendar_free(Calendar *calendar);

/* start + count units of business time, in milliseconds since the epoch. Returns 0, or
   -1 with a reason (no working time within ten years, say). */
int calendar_add(const Calendar *calendar, int64_t start_ms, int64_t count, BusinessUnit unit,
                 int64_t *end_ms, char *why, size_t why_len);

#endif
