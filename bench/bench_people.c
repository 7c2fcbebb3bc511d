/*
 * bench_people.c - people: business-time deadlines, and asks resolved through a large
 * directory with delegation chains, measured beside plain durable steps.
 *
 *   1  deadline computations/s: calendar_add on a calendar loaded with
 *      calendar_from_json (Europe/Helsinki, mon-fri 09:00-12:00,13:00-17:00, 16
 *      holidays over 2026 and early 2027; the benchmark exits 1 when it does not load).
 *      CAL_STARTS start times spread over all of 2026 (inside and outside hours, lunch,
 *      nights, weekends, holidays, both DST changes), each with six durations: 30
 *      business minutes, 4 and 16 business hours, 1, 3 and 10 business days. Every
 *      result is checked against a second opinion computed through glibc's localtime_r
 *      and mktime (minutes and hours: exactly that much working time between start and
 *      deadline, which lies in (open, close] of a range; days: the same clock time N
 *      working days after the first working instant), and eight deadlines worked out by
 *      hand must come out exactly.
 *   2  asks created and resolved/s. A directory of --people (10,000) people is generated:
 *      a 10-ary manager tree, 1,000 teams of direct reports, 10 % away all year; of
 *      those, two thirds name a delegate who is away too, the rest a delegate who is
 *      there or nobody (the manager stands in, and may be away in turn): 1 to 5
 *      substitutions, about 2.1 on average. It is written to a file and loaded as
 *      `huddle directory load` does it (json_load_file with JSON_REJECT_DUPLICATES, then
 *      engine_directory_load). Playbook bench_asks starts on bench.ask and asks
 *      person(e.who), always someone away, with choices yes / no within 4h; the answer
 *      ends it. Playbook bench_steps (as bench_engine's) starts on bench.go, waits for a
 *      second bench.go of the same case, and ends. Both take two inputs per instance
 *      (start; answer or join), in the mode of bench_engine's 1b: group commit, 1000
 *      inputs per transaction through engine_apply_batch, full sync (no_sync=false).
 *      Each batch holds the answers (or joins) of the 500 instances the batch before
 *      started, and 500 new starts. Between batches, untimed, the bench reads each new
 *      task (TABLE_TASKS), checks that its one holder is the person the delegation rules
 *      give, and answers as that holder. Every round cycles through all the away people
 *      (a lookup's cost depends on where the person is in the directory). Every store
 *      gets the same directory; a third side runs the same asks on a 100-person
 *      directory, to show what the directory's size costs. The sides' rounds alternate.
 *      The first ask after the load is timed alone: its step parses the directory.
 *   3  one `huddle trigger` process (fork + exec to exit, median of 5) that starts an
 *      ask on the 10,000-person store, and one that starts a plain instance.
 *
 * Figures are the best of 5 rounds (--rounds) of the thread's CPU time (the machine is
 * shared); wall-clock rates, best of the same rounds, are printed beside them. Goals:
 * 1,000,000 deadlines/s; ask workflows within 2x of plain ones (ask inputs/s at least
 * half of plain steps/s; an ask created and resolved is two inputs, as a plain instance
 * is two steps).
 *
 * Options: --asks N (instances per round and side), --rounds N, --people N, --seconds S
 * (minimum CPU time of a deadline round), --keep (leave the temporary folder),
 * --only-asks (section 2's large-directory asks alone, for profiling).
 */
#include <errno.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "calendar.h"
#include "common.h"
#include "engine.h"
#include "engine_codec.h"
#include "store.h"
#include "strbuf.h"
#include "value_json.h"

#define T0_MS 1780380000000LL           /* 2026-06-02T06:00:00Z, 09:00 in Helsinki */
#define YEAR_MS 1767225600000LL         /* 2026-01-01T00:00:00Z */
#define DAY_MS 86400000LL
#define BATCH 1000                      /* inputs per group commit */
#define HALF (BATCH / 2)
#define CAL_STARTS 4096
#define CAL_DURATIONS 6
#define SMALL_PEOPLE 100                /* the small directory of the comparison row */
#define TRIGGER_RUNS 5

static const char ASKS_PLAY[] =
    "playbook bench_asks\n"
    "\n"
    "on bench.ask as e\n"
    "\n"
    "state decide {\n"
    "  ask person(e.who) \"Approve {e.ref}?\"\n"
    "      choices yes, no\n"
    "      within 4h\n"
    "  {\n"
    "    yes     -> done \"approved\"\n"
    "    no      -> done \"rejected\"\n"
    "    timeout -> fail \"no answer\"\n"
    "  }\n"
    "}\n";

static const char *const HOLIDAYS[] = {
    "2026-01-01", "2026-01-06", "2026-04-03", "2026-04-06", "2026-05-01", "2026-05-14",
    "2026-06-19", "2026-06-20", "2026-10-31", "2026-12-06", "2026-12-24", "2026-12-25",
    "2026-12-26", "2026-12-31", "2027-01-01", "2027-01-06",
};

/* ---- options ------------------------------------------------------------------ */

static int rounds = 5;
static double min_seconds = 0.25;
static bool only_asks;          /* --only-asks: section 2's large-directory asks alone */

/* ---- the table ----------------------------------------------------------------- */

static void print_table(void)
{
    printf("people: deadlines and asks (best of %d rounds of thread CPU time; wall rates beside)\n", rounds);
    printf("  1: calendar_add over 2026 in Europe/Helsinki, mon-fri 09-12,13-17, 16 holidays\n");
    printf("  2: asks created + resolved through a directory with delegation chains, against\n");
    printf("     plain durable steps; both group commit 1000 inputs/txn, full sync\n");
    printf("  %-60s %24s  %-20s %s\n", "metric", "value", "goal", "");
    for (unsigned i = 0; i < row_count; i++)
        printf("  %-60s %24s  %-20s %s\n", rows[i].metric, rows[i].value, rows[i].goal, rows[i].verdict);
}

/* ---- 1: deadlines ---------------------------------------------------------------- */

static json_t *calendar_spec(void)
{
    json_t *holidays = json_array();
    for (size_t i = 0; i < sizeof HOLIDAYS / sizeof HOLIDAYS[0]; i++)
        json_array_append_new(holidays, json_string(HOLIDAYS[i]));
    return json_pack("{s:s, s:{s:s}, s:o}", "zone", "Europe/Helsinki", "hours", "mon-fri",
                     "09:00-12:00,13:00-17:00", "holidays", holidays);
}

static Calendar *calendar_load(void)
{
    json_t *spec = calendar_spec(), *problems = json_array();
    Calendar *c = calendar_from_json("fi-office", spec, "calendars.fi-office", problems);
    if (!c) {
        size_t i;
        json_t *p;
        json_array_foreach(problems, i, p)
            fprintf(stderr, "bench_people: %s\n", json_string_value(p));
        die("the benchmark calendar does not load");
    }
    json_decref(spec);
    json_decref(problems);
    return c;
}

typedef struct Length {
    int64_t count;
    BusinessUnit unit;
} Length;

static const Length SPANS[CAL_DURATIONS] = {
    {30, BUSINESS_MINUTES}, {4, BUSINESS_HOURS}, {16, BUSINESS_HOURS},
    {1, BUSINESS_DAYS},     {3, BUSINESS_DAYS},  {10, BUSINESS_DAYS},
};

static int64_t time_of(const char *text)
{
    int64_t ms;
    if (!value_parse_time(text, &ms))
        die("bad time in the bench: %s", text);
    return ms;
}

/* Deadlines worked out by hand (local Helsinki times; EET +02, EEST +03). */
static void calendar_spot_checks(const Calendar *c)
{
    static const struct { const char *start; Length span; const char *end; } CASES[] = {
        {"2026-06-15T08:10:00+03:00", {4, BUSINESS_HOURS}, "2026-06-15T14:00:00+03:00"},    /* before opening, lunch */
        {"2026-06-18T16:30:00+03:00", {1, BUSINESS_HOURS}, "2026-06-22T09:30:00+03:00"},    /* holiday, weekend */
        {"2026-12-23T10:00:00+02:00", {3, BUSINESS_DAYS}, "2026-12-30T10:00:00+02:00"},     /* Christmas */
        {"2026-03-27T16:00:00+02:00", {2, BUSINESS_HOURS}, "2026-03-30T10:00:00+03:00"},    /* DST starts */
        {"2026-10-31T11:00:00+02:00", {30, BUSINESS_MINUTES}, "2026-11-02T09:30:00+02:00"}, /* weekend holiday */
        {"2026-06-16T11:30:00+03:00", {30, BUSINESS_MINUTES}, "2026-06-16T12:00:00+03:00"}, /* ends at a close */
        {"2026-04-02T15:00:00+03:00", {10, BUSINESS_DAYS}, "2026-04-20T15:00:00+03:00"},    /* Easter */
        {"2026-06-17T12:20:00+03:00", {1, BUSINESS_DAYS}, "2026-06-18T13:00:00+03:00"},     /* starts at lunch */
    };
    for (size_t i = 0; i < sizeof CASES / sizeof CASES[0]; i++) {
        int64_t end;
        char why[256];
        if (calendar_add(c, time_of(CASES[i].start), CASES[i].span.count, CASES[i].span.unit, &end, why,
                         sizeof why) != 0)
            die("calendar_add %s: %s", CASES[i].start, why);
        if (end != time_of(CASES[i].end)) {
            StrBuf got = STRBUF_INIT;
            value_write_time(end, 0, &got);
            die("calendar_add from %s + %lld (unit %d) gave %s, expected %s", CASES[i].start,
                (long long)CASES[i].span.count, (int)CASES[i].span.unit, strbuf_text(&got), CASES[i].end);
        }
    }
}

/* Start times over the whole of 2026: a step of about 2h08m, plus i mod 97 minutes,
   walks through every hour of the day, every weekday and every holiday. */
static void calendar_starts(int64_t *starts)
{
    for (size_t i = 0; i < CAL_STARTS; i++)
        starts[i] = YEAR_MS + (int64_t)i * (365 * DAY_MS / CAL_STARTS) + (int64_t)(i % 97) * 60000;
}

/* ---- 1: a second opinion, through glibc's localtime_r and mktime (TZ set to the
   calendar's zone), independent of calendar.c and tz.c -------------------------------- */

static const int32_t OPENS[2] = {9 * 3600, 13 * 3600}, CLOSES[2] = {12 * 3600, 17 * 3600};

static struct tm local_of(int64_t ms)
{
    time_t t = (time_t)(ms / 1000);
    struct tm tm;
    localtime_r(&t, &tm);
    return tm;
}

/* The instant, in ms, of a local clock time (seconds after midnight) on `day`'s date. */
static int64_t local_at(const struct tm *day, int32_t clock)
{
    struct tm tm = {.tm_year = day->tm_year, .tm_mon = day->tm_mon, .tm_mday = day->tm_mday,
                    .tm_sec = clock, .tm_isdst = -1};
    return (int64_t)mktime(&tm) * 1000;
}

static struct tm next_date(const struct tm *day)
{
    struct tm tm = {.tm_year = day->tm_year, .tm_mon = day->tm_mon, .tm_mday = day->tm_mday + 1,
                    .tm_hour = 12, .tm_isdst = -1};
    mktime(&tm);
    return tm;
}

static bool working_date(const struct tm *day)
{
    char text[16];
    snprintf(text, sizeof text, "%04d-%02d-%02d", day->tm_year + 1900, day->tm_mon + 1, day->tm_mday);
    for (size_t i = 0; i < sizeof HOLIDAYS / sizeof HOLIDAYS[0]; i++)
        if (strcmp(HOLIDAYS[i], text) == 0)
            return false;
    return day->tm_wday >= 1 && day->tm_wday <= 5;
}

/* Working time between two instants, in ms. */
static int64_t working_between(int64_t from, int64_t to)
{
    int64_t total = 0;
    for (struct tm day = local_of(from); local_at(&day, 0) <= to; day = next_date(&day))
        for (int r = 0; r < 2 && working_date(&day); r++) {
            int64_t open = local_at(&day, OPENS[r]), close = local_at(&day, CLOSES[r]);
            int64_t lo = open > from ? open : from, hi = close < to ? close : to;
            total += hi > lo ? hi - lo : 0;
        }
    return total;
}

/* Whether `t` is in (open, close] of a working range: where N business minutes or hours
   may end (a count that fills a range ends at its close, not at the next opening). */
static bool ends_in_hours(int64_t t)
{
    struct tm day = local_of(t);
    for (int r = 0; r < 2 && working_date(&day); r++)
        if (t > local_at(&day, OPENS[r]) && t <= local_at(&day, CLOSES[r]))
            return true;
    return false;
}

/* N business days: from the first working instant at or after `start`, the same clock
   time N working days later (always inside the hours here: every working day has the
   same ones). */
static int64_t days_later(int64_t start, int64_t days)
{
    struct tm day = local_of(start);
    int64_t first = -1;
    for (; first < 0; day = next_date(&day))
        for (int r = 0; r < 2 && first < 0 && working_date(&day); r++)
            if (start < local_at(&day, CLOSES[r]))
                first = start > local_at(&day, OPENS[r]) ? start : local_at(&day, OPENS[r]);
    struct tm at = local_of(first);
    int32_t clock = at.tm_hour * 3600 + at.tm_min * 60 + at.tm_sec;
    for (int64_t found = 0; found < days;) {
        at = next_date(&at);
        found += working_date(&at);
    }
    return local_at(&at, clock) + first % 1000;
}

static bool deadline_right(int64_t start, Length span, int64_t end)
{
    static const int64_t UNIT_MS[] = {60000, 3600000, 0};
    if (span.unit == BUSINESS_DAYS)
        return end == days_later(start, span.count);
    return end >= start && working_between(start, end) == span.count * UNIT_MS[span.unit] && ends_in_hours(end);
}

/* Every deadline of the timed rounds, checked against the second opinion. */
static void calendar_check(const Calendar *c, const int64_t *starts)
{
    setenv("TZ", "Europe/Helsinki", 1);
    tzset();
    for (size_t i = 0; i < CAL_STARTS; i++)
        for (int d = 0; d < CAL_DURATIONS; d++) {
            int64_t end;
            char why[256];
            if (calendar_add(c, starts[i], SPANS[d].count, SPANS[d].unit, &end, why, sizeof why) != 0)
                die("calendar_add: %s", why);
            if (!deadline_right(starts[i], SPANS[d], end)) {
                StrBuf from = STRBUF_INIT, got = STRBUF_INIT;
                value_write_time(starts[i], 0, &from);
                value_write_time(end, 0, &got);
                die("calendar_add from %s + %lld (unit %d) gave %s", strbuf_text(&from),
                    (long long)SPANS[d].count, (int)SPANS[d].unit, strbuf_text(&got));
            }
        }
}

/* One round: calendar_add over every start and span until min_seconds of CPU; returns
   deadlines per CPU second, and per wall second in *wall_rate. */
static double calendar_round(const Calendar *c, const int64_t *starts, double *wall_rate)
{
    size_t done = 0;
    int64_t sum = 0;
    double w0 = wall_seconds(), t0 = cpu_seconds(), elapsed;
    do {
        for (size_t i = 0; i < CAL_STARTS; i++)
            for (int d = 0; d < CAL_DURATIONS; d++) {
                int64_t end = 0;
                char why[256];
                calendar_add(c, starts[i], SPANS[d].count, SPANS[d].unit, &end, why, sizeof why);
                sum += end - starts[i];
            }
        done += CAL_STARTS * CAL_DURATIONS;
        elapsed = cpu_seconds() - t0;
    } while (elapsed < min_seconds);
    *wall_rate = (double)done / (wall_seconds() - w0);
    if (sum <= 0)
        die("calendar_add: no time added");
    return (double)done / elapsed;
}

static void section_deadlines(void)
{
    Calendar *c = calendar_load();
    calendar_spot_checks(c);
    int64_t *starts = calloc(CAL_STARTS, sizeof *starts);
    calendar_starts(starts);
    calendar_check(c, starts);
    double best = 0, wall_best = 0;
    for (int r = 0; r < rounds; r++) {
        double wall_rate, rate = calendar_round(c, starts, &wall_rate);
        best = rate > best ? rate : best;
        wall_best = wall_rate > wall_best ? wall_rate : wall_best;
    }
    char a[40], b[40], metric[72];
    Row *r = row_add("1  deadline computations/s (calendar_add)", group(a, sizeof a, best));
    row_goal(r, ">= 1,000,000/s", best >= 1e6);
    snprintf(a, sizeof a, "%.3f", 1e6 / best);
    row_add("1    us per deadline (CPU)", a);
    row_add("1    same, wall clock, deadlines/s", group(a, sizeof a, wall_best));
    snprintf(metric, sizeof metric, "1    %s starts x %d durations checked by glibc; 8 by hand",
             group(b, sizeof b, CAL_STARTS), CAL_DURATIONS);
    row_add(metric, "ok");
    free(starts);
    calendar_free(c);
}

/* ---- 2: the directory ------------------------------------------------------------ */

/* A generated directory: person i is "p%05d", managed by (i - 1) / 10 (a 10-ary tree
   under p00000); every tenth person (i % 10 == 3) is away all year. Among those, by
   group g = i / 10: g % 3 == 0 and 1 delegate to i + 10, who is away too; g % 3 == 2
   delegates to i - 1 (there) when g is even, else names no delegate, so the manager
   stands in (and may be away in turn). */
typedef struct People {
    size_t count;
    char (*ids)[8];
    size_t *away;               /* the away people, the targets of the asks */
    size_t away_count;
} People;

static bool person_away(size_t i)
{
    return i % 10 == 3;
}

static long person_manager(size_t i)
{
    return i == 0 ? -1 : (long)((i - 1) / 10);
}

/* The delegate named in i's absence, or -1. */
static long person_delegate(const People *p, size_t i)
{
    size_t g = i / 10;
    if (!person_away(i) || (g % 3 == 2 && g % 2 == 1))
        return -1;
    size_t d = g % 3 == 2 ? i - 1 : i + 10;
    return d < p->count ? (long)d : -1;
}

/* Who holds a seat given to person i, by the rules of ../shared/design/RUNTIME.md: an
   away person is replaced by their delegate, else their manager, at most 8 times. */
static size_t person_resolve(const People *p, size_t i, int *steps)
{
    size_t current = i;
    *steps = 0;
    while (person_away(current)) {
        long next = person_delegate(p, current);
        if (next < 0)
            next = person_manager(current);
        if (next < 0 || ++*steps > 8)
            die("the generated directory leaves p%05zu with nobody to stand in", i);
        current = (size_t)next;
    }
    return current;
}

static void people_make(People *p, size_t count)
{
    p->count = count;
    p->ids = calloc(count, sizeof *p->ids);
    p->away = calloc(count / 10 + 1, sizeof *p->away);
    p->away_count = 0;
    for (size_t i = 0; i < count; i++) {
        snprintf(p->ids[i], sizeof p->ids[i], "p%05zu", i % 100000);
        if (person_away(i))
            p->away[p->away_count++] = i;
    }
    if (p->away_count == 0)
        die("a directory of %zu people has nobody away", count);
}

static void people_free(People *p)
{
    free(p->ids);
    free(p->away);
}

static json_t *person_json(const People *p, size_t i)
{
    char email[40];
    snprintf(email, sizeof email, "%s@example.com", p->ids[i]);
    json_t *person = json_pack("{s:s, s:s}", "name", p->ids[i], "email", email);
    long manager = person_manager(i), delegate = person_delegate(p, i);
    if (manager >= 0)
        json_object_set_new(person, "manager", json_string(p->ids[manager]));
    if (i % 4 == 0)
        json_object_set_new(person, "calendar", json_string("fi-office"));
    json_t *away = json_array();
    if (i % 50 == 7)   /* an absence in the past: there now */
        json_array_append_new(away, json_pack("{s:s, s:s}", "from", "2026-03-02", "to", "2026-03-06"));
    if (person_away(i)) {
        json_t *absence = json_pack("{s:s, s:s}", "from", "2026-01-01", "to", "2026-12-31");
        if (delegate >= 0)
            json_object_set_new(absence, "delegate", json_string(p->ids[delegate]));
        json_array_append_new(away, absence);
    }
    if (json_array_size(away))
        json_object_set(person, "away", away);
    json_decref(away);
    return person;
}

/* 0..count-1 in a fixed pseudo-random order (Fisher-Yates, xorshift). */
static size_t *shuffled(size_t count)
{
    size_t *order = calloc(count, sizeof *order);
    uint64_t x = 88172645463325252ULL;
    for (size_t i = 0; i < count; i++)
        order[i] = i;
    for (size_t i = count - 1; i > 0; i--) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        size_t j = (size_t)(x % (i + 1)), t = order[i];
        order[i] = order[j];
        order[j] = t;
    }
    return order;
}

/* The directory JSON: the people in a shuffled order (as a real export would list
   them: not by the hierarchy), a team of each manager's direct reports (1,000 at most)
   and the calendar of section 1. */
static json_t *directory_json(const People *p)
{
    json_t *people = json_object(), *teams = json_object();
    size_t *order = shuffled(p->count);
    for (size_t i = 0; i < p->count; i++)
        json_object_set_new(people, p->ids[order[i]], person_json(p, order[i]));
    free(order);
    for (size_t m = 0; m < 1000 && 10 * m + 1 < p->count; m++) {
        json_t *members = json_array();
        for (size_t k = 10 * m + 1; k <= 10 * m + 10 && k < p->count; k++)
            json_array_append_new(members, json_string(p->ids[k]));
        char name[32];
        snprintf(name, sizeof name, "team-%zu", m);
        json_object_set_new(teams, name, json_pack("{s:o, s:s}", "members", members, "lead", p->ids[m]));
    }
    return json_pack("{s:o, s:o, s:{s:o}}", "people", people, "teams", teams, "calendars", "fi-office",
                     calendar_spec());
}

/* Writes the directory to `path`; returns its size in bytes. */
static double directory_write(const People *p, const char *path)
{
    json_t *json = directory_json(p);
    if (json_dump_file(json, path, JSON_COMPACT) != 0)
        die("%s: cannot write the directory", path);
    json_decref(json);
    struct stat st;
    if (stat(path, &st) != 0)
        die("%s: %s", path, strerror(errno));
    return (double)st.st_size;
}

/* ---- 2: the engine side ---------------------------------------------------------- */

/* As `huddle directory load FILE` does: json_load_file, then engine_directory_load. */
static void bench_directory_load(Bench *b, const char *path, int64_t now)
{
    json_error_t error;
    json_t *json = json_load_file(path, JSON_REJECT_DUPLICATES, &error);
    if (!json)
        die("%s:%d:%d: %s", path, error.line, error.column, error.text);
    char why[8192];
    if (engine_directory_load(b->engine, json, now, why, sizeof why) != 0)
        die("%s is not a valid directory:\n%s", path, why);
    json_decref(json);
}

/* ---- 2: rounds of group commits ---------------------------------------------------- */

/* One side of the comparison: a store with its playbook and the directory. */
typedef struct Side {
    const char *name;
    bool asks;
    const People *people;
    Bench bench;
    size_t started;             /* instances (and, for asks, tasks) made so far: i1..iN */
    int64_t clock;              /* engine time, a millisecond more for each batch */
    double best_cpu, best_wall; /* inputs per second */
    int steps_min, steps_max;
    double steps_sum;
} Side;

/* The instances one batch starts, and what the next batch sends them. */
typedef struct Block {
    size_t count;
    char start_id[HALF][32], end_id[HALF][32], task[HALF][24];
    json_t *data[HALF];
    const char *holder[HALF];
} Block;

static void block_fill(Side *s, Block *k, size_t first, size_t count, int round)
{
    k->count = count;
    for (size_t j = 0; j < count; j++) {
        size_t index = first + j;
        char key[32];
        snprintf(key, sizeof key, "r%d-%zu", round, index);
        snprintf(k->start_id[j], sizeof k->start_id[j], "%s-1", key);
        snprintf(k->end_id[j], sizeof k->end_id[j], "%s-2", key);
        if (!s->asks) {
            k->data[j] = json_pack("{s:s}", "k", key);
            continue;
        }
        const People *p = s->people;
        size_t target = p->away[(s->started + j) % p->away_count];
        k->data[j] = json_pack("{s:s, s:s}", "who", p->ids[target], "ref", key);
    }
}

static void block_clear(Block *k)
{
    for (size_t j = 0; j < k->count; j++)
        json_decref(k->data[j]);
    k->count = 0;
}

static size_t block_starts(const Side *s, const Block *k, EngineInput *inputs)
{
    for (size_t j = 0; j < k->count; j++)
        inputs[j] = (EngineInput){.kind = ENGINE_INPUT_EVENT, .source = "bench", .type = s->asks ? "ask" : "go",
                                  .id = k->start_id[j], .data = k->data[j], .event_time = s->clock};
    return k->count;
}

/* The joins (plain) or answers as the seat's holder (asks) of the block before. */
static size_t block_ends(const Side *s, const Block *k, EngineInput *inputs)
{
    for (size_t j = 0; j < k->count; j++)
        inputs[j] = s->asks
            ? (EngineInput){.kind = ENGINE_INPUT_ANSWER, .task = k->task[j], .by = k->holder[j], .choice = "yes"}
            : (EngineInput){.kind = ENGINE_INPUT_EVENT, .source = "bench", .type = "go", .id = k->end_id[j],
                            .data = k->data[j], .event_time = s->clock};
    return k->count;
}

static bool text_is(const json_t *json, const char *text)
{
    return json_is_string(json) && strcmp(json_string_value(json), text) == 0;
}

/* Task number n of a fresh store belongs to instance n (each start asks once): reads it,
   checks its one seat is held by the person the delegation rules give, and keeps its id
   and holder for the answer. */
static void task_expect(Side *s, StoreTxn *txn, Block *k, size_t j)
{
    size_t number = s->started + j + 1;
    unsigned char key[8];
    store_be64(number, key);
    StoreBytes value;
    if (store_get(txn, TABLE_TASKS, store_bytes(key, 8), &value) != STORE_OK)
        die("%s: no task t%zu after its instance started", s->name, number);
    json_t *task;
    char why[240];
    if (task_record_load(value.data, value.len, &task, why, sizeof why) != CODEC_OK)   /* typed, or older JSON */
        die("%s: task t%zu: %s", s->name, number, why);
    const People *p = s->people;
    int steps;
    size_t target = p->away[(s->started + j) % p->away_count];
    size_t holder = person_resolve(p, target, &steps);
    char instance[32];
    snprintf(instance, sizeof instance, "i%zu", number);
    json_t *holders = json_object_get(json_array_get(json_object_get(task, "seats"), 0), "holders");
    if (!task || !text_is(json_object_get(task, "instance"), instance) || json_array_size(holders) != 1 ||
        !text_is(json_array_get(holders, 0), p->ids[holder]))
        die("%s: task t%zu is not %s's ask held by %s (asked %s, %d substitutions): %.*s", s->name, number, instance,
            p->ids[holder], p->ids[target], steps, (int)value.len, (const char *)value.data);
    json_decref(task);
    snprintf(k->task[j], sizeof k->task[j], "t%zu", number);
    k->holder[j] = p->ids[holder];
    s->steps_sum += steps;
    s->steps_min = steps < s->steps_min ? steps : s->steps_min;
    s->steps_max = steps > s->steps_max ? steps : s->steps_max;
}

static void block_tasks(Side *s, Block *k)
{
    StoreTxn *txn;
    if (store_begin(s->bench.store, false, &txn) != STORE_OK)
        die("store_begin failed");
    for (size_t j = 0; j < k->count; j++)
        task_expect(s, txn, k, j);
    store_abort(txn);
}

/* One round: `count` instances, two inputs each, BATCH inputs per group commit. Only
   engine_apply_batch is timed. */
static void side_round(Side *s, size_t count, int round)
{
    Block *blocks = calloc(2, sizeof *blocks);
    EngineInput *inputs = calloc(BATCH, sizeof *inputs);
    size_t block_count = (count + HALF - 1) / HALF;
    double cpu = 0, wall = 0;
    for (size_t b = 0; b <= block_count; b++) {
        Block *before = &blocks[(b + 1) % 2], *now = &blocks[b % 2];
        s->clock++;
        size_t n = b > 0 ? block_ends(s, before, inputs) : 0;
        if (b < block_count) {
            block_fill(s, now, b * HALF, count - b * HALF < HALF ? count - b * HALF : HALF, round);
            n += block_starts(s, now, inputs + n);
        }
        double c0 = cpu_seconds(), w0 = wall_seconds();
        bench_batch(&s->bench, inputs, n, s->clock);
        cpu += cpu_seconds() - c0;
        wall += wall_seconds() - w0;
        if (b > 0)
            block_clear(before);
        if (b < block_count && s->asks)
            block_tasks(s, now);
        if (b < block_count)
            s->started += now->count;
    }
    double rate = 2.0 * (double)count / cpu, wall_rate = 2.0 * (double)count / wall;
    s->best_cpu = rate > s->best_cpu ? rate : s->best_cpu;
    s->best_wall = wall_rate > s->best_wall ? wall_rate : s->best_wall;
    free(inputs);
    free(blocks);
}

/* A store with the directory loaded and the side's playbook deployed (full sync). */
static void side_open(Side *s, const char *name, bool asks, const People *people, const StrBuf *play,
                      const char *directory_path, double *load_s)
{
    char dir[256];
    memset(s, 0, sizeof *s);
    s->name = name;
    s->asks = asks;
    s->people = people;
    s->clock = T0_MS;
    s->steps_min = 1 << 30;
    path_in(dir, sizeof dir, name);
    bench_open(&s->bench, dir, false);
    double t0 = wall_seconds();
    bench_directory_load(&s->bench, directory_path, s->clock);
    if (load_s)
        *load_s = wall_seconds() - t0;
    bench_deploy(&s->bench, play, s->clock);
}

/* Every instance done; for asks, every task resolved, no timer and no inbox entry left. */
static void side_check(Side *s)
{
    Census c = census(&s->bench, TABLE_INSTANCES, "\"status\":\"done\"");
    if (c.entries != s->started || c.matching != s->started)
        die("%s: %zu instances, %zu done; expected %zu done", s->name, c.entries, c.matching, s->started);
    if (!s->asks)
        return;
    c = census(&s->bench, TABLE_TASKS, "\"status\":\"resolved\"");
    if (c.entries != s->started || c.matching != s->started)
        die("%s: %zu tasks, %zu resolved; expected %zu resolved", s->name, c.entries, c.matching, s->started);
    if ((c = census(&s->bench, TABLE_TIMERS, NULL)).entries != 0)
        die("%s: %zu timers left after every ask was answered", s->name, c.entries);
    if ((c = census(&s->bench, TABLE_INBOX, NULL)).entries != 0)
        die("%s: %zu inbox entries left after every ask was answered", s->name, c.entries);
}

/* The first ask after the directory was loaded, alone (engine_event, then
   engine_answer): its step parses and checks the stored directory, which the engine
   then keeps. Returns the wall milliseconds of that first step. */
static double side_first_ask(Side *s, double *cpu_ms)
{
    Block *k = calloc(1, sizeof *k);
    block_fill(s, k, 0, 1, -1);
    bool duplicate;
    char why[512];
    s->clock++;
    double c0 = cpu_seconds(), w0 = wall_seconds();
    if (engine_event(s->bench.engine, "bench", "ask", k->start_id[0], k->data[0], s->clock, s->clock, &duplicate,
                     why, sizeof why) != 0 || duplicate)
        die("%s: the first ask: %s", s->name, duplicate ? "taken for a duplicate" : why);
    double wall_ms = (wall_seconds() - w0) * 1e3;
    *cpu_ms = (cpu_seconds() - c0) * 1e3;
    block_tasks(s, k);
    s->started++;
    s->clock++;
    if (engine_answer(s->bench.engine, k->task[0], k->holder[0], "yes", NULL, s->clock, why, sizeof why) != 0)
        die("%s: answering the first ask: %s", s->name, why);
    block_clear(k);
    free(k);
    return wall_ms;
}

/* ---- 2: the table rows and the section ---------------------------------------- */

static void asks_rows(const Side *plain, const Side *asks, const Side *small, double load_s, double first_ms,
                      double first_cpu_ms, size_t count)
{
    char a[40], b[40], c[40], metric[72];
    if (only_asks) {
        row_add("2  ask inputs/s (--only-asks)", group(a, sizeof a, asks->best_cpu));
        return;
    }
    snprintf(a, sizeof a, "%.2f", load_s);
    row_add("2  directory load (file, parse, check, store), s", a);
    snprintf(a, sizeof a, "%.0f (%.0f CPU)", first_ms, first_cpu_ms);
    row_add("2  first ask after the load (directory parsed), ms", a);
    snprintf(a, sizeof a, "%.2f (%d to %d)", asks->steps_sum / (double)asks->started, asks->steps_min,
             asks->steps_max);
    row_add("2  substitutions per ask: mean (min to max)", a);
    snprintf(metric, sizeof metric, "2  plain steps/s (2 per instance; %s a round)", group(b, sizeof b, 2.0 * (double)count));
    row_add(metric, group(a, sizeof a, plain->best_cpu));
    snprintf(metric, sizeof metric, "2  ask inputs/s (start+ask, answer; %s a round)", group(b, sizeof b, 2.0 * (double)count));
    row_add(metric, group(a, sizeof a, asks->best_cpu));
    row_add("2  asks created and resolved/s", group(a, sizeof a, asks->best_cpu / 2));
    double ratio = asks->best_cpu / plain->best_cpu;
    snprintf(a, sizeof a, "%.2f (1/%.1f)", ratio, 1 / ratio);
    Row *r = row_add("2  ask inputs/s / plain steps/s", a);
    row_goal(r, ">= 0.5 (within 2x)", ratio >= 0.5);
    snprintf(a, sizeof a, "%.0f / %.0f", 1e6 / plain->best_cpu, 1e6 / asks->best_cpu);
    row_add("2    us per input (CPU): plain / ask", a);
    snprintf(a, sizeof a, "%s / %s", group(b, sizeof b, plain->best_wall), group(c, sizeof c, asks->best_wall));
    row_add("2    wall clock: plain steps/s / ask inputs/s", a);
    snprintf(a, sizeof a, "%.2f", asks->best_wall / plain->best_wall);
    row_add("2    wall clock: ask / plain", a);
    snprintf(metric, sizeof metric, "2    same asks, %s-person directory: inputs/s", group(b, sizeof b, (double)small->people->count));
    snprintf(a, sizeof a, "%s (%.2f)", group(c, sizeof c, small->best_cpu), small->best_cpu / plain->best_cpu);
    row_add(metric, a);
    note("section 2: every side group commits %d inputs per transaction (engine_apply_batch) with", BATCH);
    note("           full sync (no_sync=false), as bench_engine's 1b; only engine_apply_batch is timed");
}

static void section_asks(const StrBuf *plain_play, const StrBuf *ask_play, size_t count, size_t people_count,
                         Side **plain_out, Side **asks_out)
{
    People *people = calloc(1, sizeof *people), small_people;
    people_make(people, people_count);
    people_make(&small_people, SMALL_PEOPLE);
    char path[256], small_path[256], a[40], b[40], c[40];
    path_in(path, sizeof path, "directory.json");
    path_in(small_path, sizeof small_path, "directory_small.json");
    double bytes = directory_write(people, path), load_s, first_cpu_ms, small_cpu_ms;
    directory_write(&small_people, small_path);
    snprintf(a, sizeof a, "%s / %s / %.1f MiB", group(b, sizeof b, (double)people->count),
             group(c, sizeof c, (double)people->away_count), bytes / 1048576.0);
    row_add("2  directory: people / away / JSON file", a);
    Side *plain = calloc(1, sizeof *plain), *asks = calloc(1, sizeof *asks), *small = calloc(1, sizeof *small);
    side_open(plain, "plain", false, people, plain_play, path, NULL);
    side_open(asks, "asks", true, people, ask_play, path, &load_s);
    side_open(small, "asks_small", true, &small_people, ask_play, small_path, NULL);
    double first_ms = side_first_ask(asks, &first_cpu_ms);
    side_first_ask(small, &small_cpu_ms);
    for (int r = 0; r < rounds; r++) {
        if (!only_asks)
            side_round(plain, count, r);
        side_round(asks, count, r);
        if (!only_asks)
            side_round(small, count, r);
    }
    side_check(plain);
    side_check(asks);
    side_check(small);
    asks_rows(plain, asks, small, load_s, first_ms, first_cpu_ms, count);
    bench_close(&plain->bench);
    bench_close(&asks->bench);
    bench_close(&small->bench);
    free(small);
    people_free(&small_people);
    *plain_out = plain;
    *asks_out = asks;   /* its People stays with it, freed by section_trigger */
}

/* ---- 3: one `huddle trigger` process ------------------------------------------------ */

/* The median wall ms of TRIGGER_RUNS `huddle trigger` processes on a side's store. */
static double trigger_median(const char *bin, const Side *s)
{
    char dir[256], id[32], input[96];
    double ms[TRIGGER_RUNS];
    path_in(dir, sizeof dir, s->name);
    for (int i = 0; i < TRIGGER_RUNS; i++) {
        snprintf(id, sizeof id, "cli-%d", i);
        if (s->asks)
            snprintf(input, sizeof input, "{\"who\": \"%s\", \"ref\": \"%s\"}\n", s->people->ids[s->people->away[0]], id);
        else
            snprintf(input, sizeof input, "{\"k\": \"%s\"}\n", id);
        char *argv[] = {(char *)bin, "trigger", s->asks ? "bench.ask" : "bench.go", "--db", dir, "--id", id,
                        "--now", "2026-06-02T12:00:00Z", NULL};
        int status;
        ms[i] = run_timed(argv, input, &status) * 1e3;
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
            die("%s %s ... exited with %d", argv[0], argv[1], WIFEXITED(status) ? WEXITSTATUS(status) : -1);
    }
    return quantile(ms, TRIGGER_RUNS, 0.5);
}

static void section_trigger(Side *plain, Side *asks)
{
    char bin_buf[4096], a[40], metric[72];
    const char *bin = only_asks ? NULL : huddle_bin(bin_buf, sizeof bin_buf);
    if (only_asks) {
        /* profiling: section 2's asks alone */
    } else if (!bin) {
        note("section 3 skipped: no huddle binary (set HUDDLE_BIN or run from the repository)");
    } else {
        double ask_ms = trigger_median(bin, asks), plain_ms = trigger_median(bin, plain);
        snprintf(metric, sizeof metric, "3  one huddle trigger that asks, %s people, median ms",
                 group(a, sizeof a, (double)asks->people->count));
        snprintf(a, sizeof a, "%.1f", ask_ms);
        row_add(metric, a);
        snprintf(a, sizeof a, "%.1f", plain_ms);
        row_add("3  one huddle trigger, plain playbook, median ms", a);
        note("section 3: median of %d processes each, fork + exec to exit, on the section 2 stores", TRIGGER_RUNS);
    }
    people_free((People *)asks->people);
    free((People *)asks->people);
    free(plain);
    free(asks);
}

/* ---- main ----------------------------------------------------------------------- */

int main(int argc, char **argv)
{
    bench_name = "bench_people";
    size_t asks = 4000, people = 10000;
    for (int i = 1; i < argc; i++) {
        if (i + 1 < argc && strcmp(argv[i], "--asks") == 0)
            asks = size_arg(argv[++i]);
        else if (i + 1 < argc && strcmp(argv[i], "--rounds") == 0)
            rounds = (int)size_arg(argv[++i]);
        else if (i + 1 < argc && strcmp(argv[i], "--people") == 0)
            people = size_arg(argv[++i]);
        else if (i + 1 < argc && strcmp(argv[i], "--seconds") == 0)
            min_seconds = atof(argv[++i]);
        else if (strcmp(argv[i], "--keep") == 0)
            keep_tmp = true;
        else if (strcmp(argv[i], "--only-asks") == 0)
            only_asks = true;
        else {
            fprintf(stderr, "usage: %s [--asks N] [--rounds N] [--people N] [--seconds S] [--keep] [--only-asks]\n", argv[0]);
            return 2;
        }
    }
    if (people < 20 || people > 100000 || rounds > 100)
        die("--people must be 20 to 100,000 and --rounds at most 100");

    tmp_root_make("/tmp/huddle-bench-people-XXXXXX");

    StrBuf steps = STRBUF_INIT, ask_play = STRBUF_INIT;
    compile_play("bench_steps.play", STEPS_PLAY, &steps);
    compile_play("bench_asks.play", ASKS_PLAY, &ask_play);
    huddle_check("bench_asks.play", ASKS_PLAY);

    double t0 = wall_seconds();
    if (!only_asks)
        section_deadlines();
    Side *plain, *ask_side;
    section_asks(&steps, &ask_play, asks, people, &plain, &ask_side);
    section_trigger(plain, ask_side);

    double load[3] = {0, 0, 0};
    if (getloadavg(load, 3) > 0)
        note("load average at the end: %.2f %.2f %.2f", load[0], load[1], load[2]);
    print_table();
    print_tail(t0);
    strbuf_free(&steps);
    strbuf_free(&ask_play);
    return 0;
}
