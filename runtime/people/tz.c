/*
 * tz.c - reading TZif files and their POSIX TZ rules (see tz.h; RFC 8536 gives the
 * format).
 */
#include "tz.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "civil.h"

/* A POSIX rule: standard offset, and (optionally) DST with its start and end. */
typedef struct TzRuleDate {
    int month, week, weekday;   /* Mm.w.d: week 5 = the last */
    int32_t time;               /* seconds after local midnight */
} TzRuleDate;

typedef struct TzRule {
    int32_t std_offset, dst_offset;   /* seconds east of UTC */
    bool has_dst;
    TzRuleDate start, end;
} TzRule;

struct Tz {
    char name[128];
    int64_t *times;             /* transition instants, ascending */
    int32_t *offsets;           /* offset in effect from times[i] on */
    uint32_t count;
    int32_t first_offset;       /* before the first transition */
    uint32_t leap_count;        /* leap-second records: a right/ zone's (refused) */
    bool has_rule;
    TzRule rule;
};

/* ---- POSIX TZ strings ---- */

static const char *rule_skip_name(const char *p)
{
    if (*p == '<') {
        const char *end = strchr(p, '>');
        return end ? end + 1 : NULL;
    }
    const char *start = p;
    while ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z'))
        p++;
    return p - start >= 3 ? p : NULL;
}

/* [+-]hh[:mm[:ss]] as seconds. */
static const char *rule_time(const char *p, int32_t *seconds)
{
    int sign = 1;
    if (*p == '+' || *p == '-')
        sign = *p++ == '-' ? -1 : 1;
    if (*p < '0' || *p > '9')
        return NULL;
    int32_t parts[3] = {0, 0, 0};
    for (int i = 0; i < 3; i++) {
        while (*p >= '0' && *p <= '9')
            parts[i] = parts[i] * 10 + (*p++ - '0');
        if (*p != ':' || i == 2)
            break;
        p++;
    }
    *seconds = sign * (parts[0] * 3600 + parts[1] * 60 + parts[2]);
    return p;
}

static const char *rule_date(const char *p, TzRuleDate *date)
{
    if (*p++ != 'M')
        return NULL;   /* only the Mm.w.d form is used by the tz database today */
    date->month = (int)strtol(p, (char **)&p, 10);
    if (*p++ != '.')
        return NULL;
    date->week = (int)strtol(p, (char **)&p, 10);
    if (*p++ != '.')
        return NULL;
    date->weekday = (int)strtol(p, (char **)&p, 10);
    date->time = 7200;
    if (*p == '/')
        p = rule_time(p + 1, &date->time);
    return p;
}

static bool rule_parse(const char *text, TzRule *rule)
{
    const char *p = rule_skip_name(text);
    int32_t std;
    if (!p || !(p = rule_time(p, &std)))
        return false;
    rule->std_offset = -std;
    rule->has_dst = false;
    if (!*p)
        return true;
    if (!(p = rule_skip_name(p)))
        return false;
    rule->dst_offset = rule->std_offset + 3600;
    if (*p && *p != ',') {
        int32_t dst;
        if (!(p = rule_time(p, &dst)))
            return false;
        rule->dst_offset = -dst;
    }
    if (*p++ != ',' || !(p = rule_date(p, &rule->start)) || *p++ != ',' ||
        !(p = rule_date(p, &rule->end)))
        return false;
    rule->has_dst = true;
    return true;
}

/* Days since the epoch of the rule's date in `year`. */
static int64_t rule_day(const TzRuleDate *d, int64_t year)
{
    int64_t first = civil_days_from_date(year, (unsigned)d->month, 1);
    int first_weekday = (int)(((first % 7) + 11) % 7);   /* 1970-01-01 was a Thursday (4) */
    int64_t day = first + ((d->weekday - first_weekday + 7) % 7) + 7 * (d->week - 1);
    int64_t next_month = d->month == 12 ? civil_days_from_date(year + 1, 1, 1)
                                        : civil_days_from_date(year, (unsigned)d->month + 1, 1);
    while (day >= next_month)
        day -= 7;
    return day;
}

static int32_t rule_offset_at(const TzRule *rule, int64_t utc)
{
    if (!rule->has_dst)
        return rule->std_offset;
    int64_t year = 1970 + (utc / 86400) / 365;   /* a first guess, then exact */
    while (civil_days_from_date(year, 1, 1) * 86400 > utc)
        year--;
    while (civil_days_from_date(year + 1, 1, 1) * 86400 <= utc)
        year++;
    /* Start times are in standard local time, end times in daylight local time. */
    int64_t start = rule_day(&rule->start, year) * 86400 + rule->start.time - rule->std_offset;
    int64_t end = rule_day(&rule->end, year) * 86400 + rule->end.time - rule->dst_offset;
    bool dst = start < end ? (utc >= start && utc < end) : (utc >= start || utc < end);
    return dst ? rule->dst_offset : rule->std_offset;
}

/* ---- TZif ---- */

static uint32_t be32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static int64_t be64(const unsigned char *p)
{
    return (int64_t)((uint64_t)be32(p) << 32 | be32(p + 4));
}

static bool tz_parse(Tz *tz, const unsigned char *data, size_t len)
{
    if (len < 44 || memcmp(data, "TZif", 4) != 0)
        return false;
    uint32_t counts[6];
    for (int i = 0; i < 6; i++)
        counts[i] = be32(data + 20 + 4 * i);
    /* counts: isut, isstd, leap, time, type, char */
    size_t v1 = (size_t)counts[3] * 5 + counts[4] * 6 + counts[5] + counts[2] * 8 + counts[1] + counts[0];
    const unsigned char *p = data + 44;
    int time_size = 4;
    if (data[4] >= '2') {
        if (44 + v1 + 44 > len)
            return false;
        p = data + 44 + v1;
        if (memcmp(p, "TZif", 4) != 0)
            return false;
        for (int i = 0; i < 6; i++)
            counts[i] = be32(p + 20 + 4 * i);
        p += 44;
        time_size = 8;
    }
    size_t need = (size_t)counts[3] * (time_size + 1) + counts[4] * 6 + counts[5];
    if ((size_t)(data + len - p) < need || counts[4] == 0 || counts[3] > 100000)
        return false;
    const unsigned char *indexes = p + (size_t)counts[3] * time_size;
    const unsigned char *types = indexes + counts[3];
    tz->count = counts[3];
    tz->leap_count = counts[2];
    tz->times = calloc(tz->count + 1, sizeof(int64_t));
    tz->offsets = calloc(tz->count + 1, sizeof(int32_t));
    if (!tz->times || !tz->offsets)
        return false;
    for (uint32_t i = 0; i < tz->count; i++) {
        tz->times[i] = time_size == 8 ? be64(p + 8 * (size_t)i) : (int32_t)be32(p + 4 * (size_t)i);
        uint8_t type = indexes[i];
        if (type >= counts[4])
            return false;
        tz->offsets[i] = (int32_t)be32(types + 6 * (size_t)type);
    }
    tz->first_offset = (int32_t)be32(types);   /* type 0 is the first in effect */
    const unsigned char *after = types + (size_t)counts[4] * 6 + counts[5] +
                                 (size_t)counts[2] * (time_size + 4) + counts[1] + counts[0];
    if (time_size == 8 && after < data + len && *after == '\n') {
        const unsigned char *end = memchr(after + 1, '\n', (size_t)(data + len - after - 1));
        if (end && end - after - 1 < 128) {
            char text[128];
            memcpy(text, after + 1, (size_t)(end - after - 1));
            text[end - after - 1] = '\0';
            tz->has_rule = text[0] && rule_parse(text, &tz->rule);
        }
    }
    return true;
}

/* Why a zone whose file counts leap seconds (right/Europe/Helsinki) is refused: its
   times are TAI-10 s, not the POSIX time every clock and store keeps, so each local
   time would be 27 s off (in 2026); the same zone without right/ is the one to use. */
static void tz_refuse_leap_seconds(const char *name, char *why, size_t why_len)
{
    const char *plain = strncmp(name, "right/", 6) == 0 ? name + 6 : NULL;
    if (plain)
        snprintf(why, why_len, "time zone '%s' counts leap seconds, which POSIX time (huddle's "
                 "clock) does not, so its local times would be off by about half a minute: use "
                 "'%s' (or 'posix/%s')", name, plain, plain);
    else
        snprintf(why, why_len, "time zone '%s' counts leap seconds (its tz file is a right/ one), "
                 "which POSIX time (huddle's clock) does not, so its local times would be off by "
                 "about half a minute: use a zone from the tz database's plain or posix/ folder", name);
}

Tz *tz_load(const char *name, char *why, size_t why_len)
{
    if (!name || !*name || strstr(name, "..") || name[0] == '/' || strlen(name) > 100) {
        snprintf(why, why_len, "'%s' is not a time zone name", name ? name : "");
        return NULL;
    }
    const char *folder = getenv("HUDDLE_ZONEINFO");
    char path[512];
    snprintf(path, sizeof path, "%s/%s", folder ? folder : "/usr/share/zoneinfo", name);
    FILE *file = fopen(path, "rb");
    if (!file) {
        snprintf(why, why_len, "no time zone '%s' in the tz database (is tzdata installed?)", name);
        return NULL;
    }
    unsigned char *data = malloc(1 << 20);
    size_t len = data ? fread(data, 1, 1 << 20, file) : 0;
    fclose(file);
    Tz *tz = calloc(1, sizeof *tz);
    if (!tz || !data || !tz_parse(tz, data, len)) {
        snprintf(why, why_len, "the tz file for '%s' is not a TZif file", name);
        free(data);
        tz_free(tz);
        return NULL;
    }
    free(data);
    if (tz->leap_count) {
        tz_refuse_leap_seconds(name, why, why_len);
        tz_free(tz);
        return NULL;
    }
    snprintf(tz->name, sizeof tz->name, "%s", name);
    return tz;
}

void tz_free(Tz *tz)
{
    if (!tz)
        return;
    free(tz->times);
    free(tz->offsets);
    free(tz);
}

const char *tz_name(const Tz *tz)
{
    return tz->name;
}

int32_t tz_offset_at(const Tz *tz, int64_t utc)
{
    if (tz->count == 0 || utc < tz->times[0])
        return tz->count == 0 && tz->has_rule ? rule_offset_at(&tz->rule, utc) : tz->first_offset;
    if (utc >= tz->times[tz->count - 1] && tz->has_rule)
        return rule_offset_at(&tz->rule, utc);
    uint32_t lo = 0, hi = tz->count;   /* the last transition <= utc is in [lo, hi) */
    while (hi - lo > 1) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (tz->times[mid] <= utc)
            lo = mid;
        else
            hi = mid;
    }
    return tz->offsets[lo];
}

int32_t tz_offset_at_ms(const Tz *tz, int64_t ms)
{
    return tz_offset_at(tz, ms / 1000 - (ms % 1000 < 0));
}

/* Both readings of a local time: the earlier and the later instant (equal outside an
   overlap); false in a gap, where both are the instant the gap ends. */
static bool tz_readings(const Tz *tz, int64_t local, int64_t *early_out, int64_t *late_out)
{
    /* The offsets a day either side bound every candidate. */
    int32_t before = tz_offset_at(tz, local - 86400), after = tz_offset_at(tz, local + 86400);
    int64_t early = local - (before > after ? before : after);
    int64_t late = local - (before > after ? after : before);
    bool early_ok = tz_offset_at(tz, early) + early == local;
    bool late_ok = tz_offset_at(tz, late) + late == local;
    if (early_ok || late_ok) {
        *early_out = early_ok ? early : late;
        *late_out = late_ok ? late : early;
        return true;
    }
    /* A gap: find the transition between the two readings by bisection. */
    int64_t lo = early, hi = late;
    int32_t first = tz_offset_at(tz, lo);
    while (hi - lo > 1) {
        int64_t mid = lo + (hi - lo) / 2;
        if (tz_offset_at(tz, mid) == first)
            lo = mid;
        else
            hi = mid;
    }
    *early_out = *late_out = hi;
    return false;
}

bool tz_local_to_utc(const Tz *tz, int64_t local, int64_t *utc)
{
    int64_t late;
    return tz_readings(tz, local, utc, &late);
}
