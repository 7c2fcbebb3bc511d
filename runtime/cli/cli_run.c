/*
 * cli_run.c - `huddle run`: a playbook against a trace, on a fresh throwaway store with
 * a virtual clock, printed as a timeline a person can read (or as JSON records). With
 * --keep DIR the store is made in DIR and kept, for the read commands to look at.
 *
 * Virtual time moves to each trace line's `at`, firing every timer due on the way (a
 * timer due at a line's `at` fires before the line); `end` drains timers up to its
 * time. Calls are answered from --mocks as their own steps at the same virtual time.
 *
 * The timeline says times as `huddle history` does: in the zone of the playbook's
 * calendar (from --directory); without one, at the offset of the trace's first `at`
 * (history, which has no trace, uses UTC then). When the zone's offset changes during
 * the run (a DST change), a line says so before the first time at the new offset.
 */
#include <dirent.h>
#include <errno.h>
#include <jansson.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bytecode.h"
#include "check.h"
#include "civil.h"
#include "connectors_file.h"
#include "cli.h"
#include "engine.h"
#include "json_file.h"
#include "text.h"
#include "tz.h"
#include "value.h"
#include "value_json.h"

typedef struct RunView {
    bool json;
    int32_t offset;             /* seconds: the zone of the trace's first `at` */
    Tz *tz;                     /* owned: the playbook calendar's zone, NULL without one */
    int32_t shown_offset;       /* the offset of the last time printed, when `shown` */
    bool shown;
    char last_day[16];
    /* A directory line's own timeline line ("anna is away ..."), printed before the
       first record the change made, or after the change when it made none; freed then. */
    char *pending_at, *pending_text;
} RunView;

static void run_print_time(RunView *view, const char *at);

static void run_forget_pending(RunView *view)
{
    free(view->pending_at);
    free(view->pending_text);
    view->pending_at = view->pending_text = NULL;
}

/* Prints and forgets the pending directory line, if there is one. */
static void run_print_pending(RunView *view)
{
    if (!view->pending_text)
        return;
    run_print_time(view, view->pending_at);
    printf("     %s\n", view->pending_text);
    run_forget_pending(view);
}

/* The offset the timeline shows the instant `ms` at: the calendar's zone's then, else the
   trace's. */
static int32_t run_offset(const RunView *view, int64_t ms)
{
    return view->tz ? tz_offset_at_ms(view->tz, ms) : view->offset;
}

/* Before the first time at a new offset (the calendar's zone changed its clocks), a
   line that says so: "(clocks change: now +02:00, Europe/Helsinki)". */
static void run_print_offset_change(RunView *view, int32_t offset)
{
    if (view->shown && offset != view->shown_offset) {
        char text[CIVIL_TIME_TEXT];
        civil_local_text(0, offset, false, text);   /* "1970-01-01 HH:MM +HH:MM[:SS]" */
        printf("%16s  (clocks change: now %s%s%s)\n", "", text + 17, view->tz ? ", " : "",
               view->tz ? tz_name(view->tz) : "");
    }
    view->shown = true;
    view->shown_offset = offset;
}

static void run_print_time(RunView *view, const char *at)
{
    int64_t ms;
    if (!value_parse_time(at, &ms)) {
        printf("%-17s", cli_clean(at));
        return;
    }
    int32_t offset = run_offset(view, ms);
    run_print_offset_change(view, offset);
    StrBuf local = STRBUF_INIT;
    value_write_time(ms, offset, &local);
    const char *text = strbuf_text(&local);
    if (strncmp(view->last_day, text, 10) != 0) {
        snprintf(view->last_day, sizeof view->last_day, "%.10s", text);
        printf("%.10s %.5s  ", text, text + 11);
    } else {
        printf("%10s %.5s  ", "", text + 11);
    }
    strbuf_free(&local);
}

/* A record's time as the trace's local time, "14:32" (or "Tue 24 Nov 14:32" on
   another day than the line's). */
static void run_print_local(RunView *view, const char *at)
{
    int64_t ms;
    if (!value_parse_time(at, &ms)) {
        printf("%s", cli_clean(at));
        return;
    }
    StrBuf local = STRBUF_INIT;
    int32_t offset = run_offset(view, ms);
    value_write_time(ms, offset, &local);
    const char *text = strbuf_text(&local);
    if (strncmp(view->last_day, text, 10) != 0)
        printf("%.10s %.5s", text, text + 11);
    else
        printf("%.5s", text + 11);
    /* a time past a change of the zone's clocks the timeline has not reached yet says its
       offset: "timer: after at 03:15 +02:00" at 03:45 +03:00 is not in the past */
    if (view->shown && offset != view->shown_offset)
        printf(" %c%02d:%02d", offset < 0 ? '-' : '+', abs(offset) / 3600, abs(offset) / 60 % 60);
    strbuf_free(&local);
}

/* run_print_local as a CliTimePrint, `context` the view. */
static void run_time_print(void *context, const char *at)
{
    run_print_local(context, at);
}

/* A string field for the timeline: "" when absent, control characters made visible
   (cli_clean: borrowed). */
static const char *str(const json_t *record, const char *field)
{
    return cli_clean(json_string_value(json_object_get(record, field)));
}

/* A JSON value as compact text: as it is for --json, with its control characters
   made visible (DEL, C1, U+2028 are valid JSON) in the timeline. */
static void run_print_json_as(const json_t *value, bool human)
{
    char *text = cli_json_dumps(value, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_ENCODE_ANY);
    printf("%s", !text ? "null" : human ? cli_clean(text) : text);
    free(text);
}

/* For arguments and replies in the timeline. */
static void run_print_json(const json_t *value)
{
    run_print_json_as(value, true);
}

static void run_print_holders(const json_t *seats)
{
    size_t i;
    json_t *seat;
    json_array_foreach(seats, i, seat) {
        size_t k;
        json_t *holder;
        size_t count = json_array_size(json_object_get(seat, "holders"));
        printf("%s", i ? "; " : "");
        if (count == 0)
            printf("(nobody)");
        json_array_foreach(json_object_get(seat, "holders"), k, holder)
            printf("%s%s", k ? ", " : "", cli_clean(json_string_value(holder)));
    }
}

/* An escalation's {"seat": [people]}: "craig" for one seat, "craig (seat 1); omar (seat 2)"
   for several (seats counted from 1, as a person reads them). */
static void run_print_added(const json_t *added)
{
    const char *seat;
    json_t *people;
    size_t seats = json_object_size(added), n = 0;
    json_object_foreach((json_t *)added, seat, people) {
        printf("%s", n++ ? "; " : "");
        size_t k;
        json_t *person;
        json_array_foreach(people, k, person)
            printf("%s%s", k ? ", " : "", json_string_value(person) ? cli_clean(json_string_value(person)) : "?");
        if (seats > 1)
            printf(" (seat %lld)", atoll(seat) + 1);
    }
    if (seats == 0)
        printf("nobody new");
}

static void run_print_record(void *context, const json_t *r)
{
    RunView *view = context;
    if (view->json) {
        run_print_json_as(r, false);
        putchar('\n');
        return;
    }
    run_print_pending(view);
    const char *kind = str(r, "kind");
    run_print_time(view, str(r, "at"));
    printf("%-4s ", str(r, "instance"));
    if (strcmp(kind, "started") == 0) {
        json_t *event = json_object_get(r, "event");
        printf("started  %s, from %s.%s %s", str(r, "playbook"), str(event, "source"), str(event, "type"), str(event, "id"));
        if (json_is_string(json_object_get(r, "case")))
            printf(" (case \"%s\")", str(r, "case"));
    } else if (strcmp(kind, "entered") == 0) {
        printf("  -> %s", str(r, "state"));
    } else if (strcmp(kind, "tagged") == 0) {
        printf("  tagged ");
        run_print_json(json_object_get(r, "tags"));
    } else if (strcmp(kind, "noted") == 0) {
        printf("  note: %s", str(r, "text"));
    } else if (strcmp(kind, "asked") == 0) {
        printf("  asked %s: \"%s\"\n%24s to ", str(r, "task"), str(r, "question"), "");
        run_print_holders(json_object_get(r, "seats"));
        printf(", choices ");
        run_print_json(json_object_get(r, "choices"));
        printf(", answer by ");
        run_print_local(view, str(r, "deadline"));
    } else if (strcmp(kind, "answered") == 0) {
        printf("  %s answered %s: %s", str(r, "by"), str(r, "task"), str(r, "choice"));
        if (json_is_string(json_object_get(r, "comment")))
            printf(" (\"%s\")", str(r, "comment"));
    } else if (strcmp(kind, "resolved") == 0) {
        printf("  %s decided: %s", str(r, "task"), str(r, "choice"));
    } else if (strcmp(kind, "timer") == 0) {
        printf("  timer: %s", str(r, "what"));
        if (json_is_integer(json_object_get(r, "level")))   /* the contract's "level N" */
            printf(" %lld", (long long)json_integer_value(json_object_get(r, "level")));
        printf(" at ");
        run_print_local(view, str(r, "due"));
    } else if (strcmp(kind, "called") == 0 || strcmp(kind, "sent") == 0) {
        printf("  %s %s.%s(", strcmp(kind, "called") == 0 ? "call" : "send", str(r, "connector"), str(r, "operation"));
        run_print_json(json_object_get(r, "arg"));
        printf(")");
    } else if (strcmp(kind, "notified") == 0) {
        if (json_object_get(r, "message"))
            printf("  told %s (%s): %s", str(r, "person"), str(r, "channel"), str(r, "message"));
        else
            printf("  told %s (%s) about %s", str(r, "person"), str(r, "channel"), str(r, "task"));
    } else if (strcmp(kind, "delegated") == 0 || strcmp(kind, "handover") == 0) {
        printf("  ");
        cli_seat_words(r, kind, run_time_print, view);
    } else if (strcmp(kind, "overridden") == 0) {
        printf("  %s overridden by %s: %s (%s)", str(r, "task"), str(r, "by"), str(r, "choice"), str(r, "reason"));
    } else if (strcmp(kind, "escalated") == 0) {
        printf("  %s escalated to level %lld: ", str(r, "task"), (long long)json_integer_value(json_object_get(r, "level")));
        run_print_added(json_object_get(r, "added"));
    } else if (strcmp(kind, "acknowledged") == 0) {
        printf("  %s acknowledged %s", str(r, "by"), str(r, "task"));
    } else if (strcmp(kind, "stalled") == 0) {
        printf("STALLED  %s", str(r, "error"));
    } else if (strcmp(kind, "done") == 0) {
        printf("done     %s", str(r, "outcome"));
    } else if (strcmp(kind, "failed") == 0) {
        printf("FAILED   %s", str(r, "reason"));
    } else {
        printf("  ");
        if (!cli_record_words(r, kind)) {   /* a kind without words: its fields */
            printf("%s ", kind);
            run_print_json(r);
        }
    }
    putchar('\n');
}

/* ---- the trace ---- */

typedef struct Run {
    Engine *engine;
    RunView view;
    const json_t *mocks;
    int64_t last_at;
    int line;
    size_t max_body;            /* --max-body: the most bytes an event's data may have */
    int refused;                /* lines the runtime refused (shown, then the run goes on) */
    int64_t at;                 /* the current line's time */
    struct ConnFile *types;     /* --connectors: the event types events must fit, or NULL */
} Run;

/* Says "huddle: trace line N: " and why, control characters made visible; returns
   CLI_REFUSED. */
static int run_refuse(const Run *run, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int run_refuse(const Run *run, const char *fmt, ...)
{
    char text[1024];
    va_list args;
    va_start(args, fmt);
    vsnprintf(text, sizeof text, fmt, args);
    va_end(args);
    fprintf(stderr, "huddle: trace line %d: %s\n", run->line, cli_clean(text));
    return CLI_REFUSED;
}

/* An engine failure that stops the run: a refusal is the trace's (or the mocks')
   fault, CLI_REFUSED (exit 1); anything else (ENGINE_FAILED, ENGINE_NO_MEMORY, a store
   error) is the store's or the system's, named with engine_strerror: CLI_SYSTEM (exit 3). */
static int run_stop(const Run *run, int rc, const char *why)
{
    if (rc == ENGINE_REFUSED)
        return run_refuse(run, "%s", why);
    fprintf(stderr, "huddle: trace line %d: %s: %s\n", run->line, engine_strerror(rc), cli_clean(why));
    return CLI_SYSTEM;
}

/* What an engine call's failure means for the run: a refusal (ENGINE_REFUSED: a late
   answer, a person with no seat, an unknown choice...) changed nothing; it is shown where
   it happened ({"refused": {"line", "why"}} with --json), counted, and the run goes on
   (CLI_OK), as a live store would. Any other failure stops the run (run_stop: exit 3). */
static int run_engine_result(Run *run, int rc, const char *why)
{
    if (rc >= 0)
        return CLI_OK;
    if (rc != ENGINE_REFUSED)
        return run_stop(run, rc, why);
    run->refused++;
    if (run->view.json) {
        json_t *line = json_pack("{s:{s:i,s:s}}", "refused", "line", run->line, "why", why);
        run_print_json_as(line, false);
        putchar('\n');
        json_decref(line);
        return CLI_OK;
    }
    StrBuf when = STRBUF_INIT;
    value_write_time(run->at, 0, &when);
    run_print_time(&run->view, strbuf_text(&when));
    strbuf_free(&when);
    printf("     REFUSED  trace line %d: %s\n", run->line, cli_clean(why));
    return CLI_OK;
}

/* The readers of cli_door.c (cli_json_fields, cli_json_text, cli_json_time), each
   refusing the line with its sentence. */
static int run_fields(const Run *run, const json_t *object, const char *name, const char *const *allowed)
{
    char why[512];
    return cli_json_fields(object, name, allowed, why, sizeof why) ? CLI_OK : run_refuse(run, "%s", why);
}

static int run_text(const Run *run, const json_t *object, const char *field, const char *what,
                    bool required, const char **out)
{
    char why[512];
    return cli_json_text(object, field, what, required, out, why, sizeof why) ? CLI_OK : run_refuse(run, "%s", why);
}

static int run_time(const Run *run, const char *field, const char *text, int64_t *ms, int32_t *offset)
{
    char why[512];
    return cli_json_time(field, text, ms, offset, why, sizeof why) ? CLI_OK : run_refuse(run, "%s", why);
}

/* A person field: a person id (the engine also checks the directory). */
static int run_person(const Run *run, const json_t *object, const char *field, bool required, const char **out)
{
    int status = run_text(run, object, field, "a person id", required, out);
    char buf[96];
    const char *problem = status == CLI_OK && *out ? text_id_problem(*out, true, buf) : NULL;
    if (problem)
        status = run_refuse(run, "\"%s\" is not a person id: it %s", field, problem);
    return status;
}

/* An answer's or ack's "task", when named: a task id (t1, t2, ...). */
static int run_task(const Run *run, const json_t *object, const char **task)
{
    int status = run_text(run, object, "task", "a task id", false, task);
    if (status == CLI_OK && *task && !text_numbered_id(*task, 't'))
        status = run_refuse(run, "\"task\" '%.64s' is not a task id (t1, t2, ...)", *task);
    return status;
}

/* Brings virtual time to `now`: the calls made so far are answered from the mocks, then
   each due timer fires at its own time and the calls its step made are answered at that
   same time, before the next timer. A call tried again after a failing mock (run
   --connectors) is answered at its next try, between the timers, in time order. */
static int run_settle(Run *run, int64_t now)
{
    char why[512];
    int rc = ENGINE_OK;
    while (rc >= 0) {
        bool timer = false, waiting = false;
        int64_t due = INT64_MAX, next_try = INT64_MAX;
        rc = engine_next_due(run->engine, &timer, &due, why, sizeof why);
        if (rc >= 0)
            rc = engine_outbox_next_try(run->engine, &waiting, &next_try, why, sizeof why);
        due = timer ? due : INT64_MAX;
        next_try = waiting ? next_try : INT64_MAX;
        if (rc < 0 || (due > now && next_try > now))
            break;
        if (next_try <= due)
            rc = engine_deliver_mocks(run->engine, run->mocks, next_try, why, sizeof why);
        else
            rc = engine_fire_due(run->engine, due, why, sizeof why);
    }
    if (rc >= 0)
        rc = engine_fire_due(run->engine, now, why, sizeof why);
    return rc < 0 ? run_stop(run, rc, why) : CLI_OK;
}

/* One timeline line for an event that started and joined nothing (the history records
   tell the rest): a duplicate, no trigger matched, a threshold still counting, or a
   `when` or `case` that failed. */
static void run_print_routes(Run *run, const char *source, const char *type, const char *id,
                             int64_t at, bool duplicate)
{
    const json_t *routes = engine_event_routes(run->engine);
    size_t i;
    json_t *route;
    bool placed = false;
    json_array_foreach(routes, i, route)
        placed |= json_object_get(route, "instance") != NULL || json_object_get(route, "directory") != NULL;
    if (placed)
        return;
    if (run->view.json) {   /* {"unmatched": {line, source, type, id, duplicate, went}} */
        json_t *went = routes && !duplicate ? json_incref((json_t *)routes) : json_array();
        json_t *line = json_pack("{s:{s:i,s:s,s:s,s:s,s:b,s:o}}", "unmatched", "line", run->line, "source", source,
                                 "type", type, "id", id, "duplicate", duplicate, "went", went);
        if (line) {
            run_print_json_as(line, false);
            putchar('\n');
            json_decref(line);
        }
        return;
    }
    StrBuf when = STRBUF_INIT;
    value_write_time(at, 0, &when);
    run_print_time(&run->view, strbuf_text(&when));
    strbuf_free(&when);
    printf("     %s.%s %s ", cli_clean(source), cli_clean(type), cli_clean(id));
    if (duplicate || !routes) {
        printf("is a duplicate, ignored\n");
        return;
    }
    if (json_array_size(routes) == 0)
        printf("matched no trigger\n");
    json_array_foreach(routes, i, route) {
        if (json_object_get(route, "error"))
            printf("%sdid not match %s: %s\n", i ? "       and " : "", str(route, "playbook"), str(route, "error"));
        else
            printf("%scounted by %s (threshold not reached)\n", i ? "       and " : "", str(route, "playbook"));
    }
}

/* The open ask of instance `instance` (in state `state` when given) in task[]; when
   there is none, ENGINE_REFUSED with a sentence in why[] (or the store's failure). */
static int run_task_of(Run *run, const char *instance, const char *state, char task[32], char *why, size_t why_len)
{
    json_t *open;
    task[0] = '\0';
    int rc = engine_open_tasks(run->engine, NULL, &open, why, why_len);
    if (rc != ENGINE_OK)
        return rc;
    size_t i;
    json_t *t;
    json_array_foreach(open, i, t) {
        if (strcmp(str(t, "instance"), instance) == 0 && (!state || strcmp(str(t, "state"), state) == 0)) {
            snprintf(task, 32, "%s", str(t, "id"));
            break;
        }
    }
    json_decref(open);
    if (task[0])
        return ENGINE_OK;
    snprintf(why, why_len, "%s has no open ask%s%s", instance, state ? " in state " : "", state ? state : "");
    return ENGINE_REFUSED;
}

/* The task an answer or ack goes to: the one it names ("task"), or the open ask of the
   instance it names ("instance", and "state" when given), else the one open ask `by`
   can still answer, or where they hold a seat (engine_find_task_for). When there is none, the line is refused (shown and counted) and
   task[] is left empty: the caller does nothing more with the line. */
static int run_find_task(Run *run, const json_t *line, const char *by, char task[32])
{
    const char *named, *instance, *state;
    char why[512];
    task[0] = '\0';
    int status = run_task(run, line, &named);
    if (status == CLI_OK)
        status = run_text(run, line, "instance", "an instance id", false, &instance);
    if (status == CLI_OK)
        status = run_text(run, line, "state", "a state name", false, &state);
    if (status == CLI_OK && instance && !text_numbered_id(instance, 'i'))
        status = run_refuse(run, "\"instance\" '%.64s' is not an instance id (i1, i2, ...)", instance);
    if (status == CLI_OK && named && instance)
        status = run_refuse(run, "the line names both \"task\" and \"instance\": one or the other");
    if (status == CLI_OK && state && !instance)
        status = run_refuse(run, "\"state\" goes with \"instance\"");
    if (status != CLI_OK)
        return status;
    if (named) {
        snprintf(task, 32, "%s", named);
    } else if (instance) {
        int rc = run_task_of(run, instance, state, task, why, sizeof why);
        if (rc != ENGINE_OK)
            return run_engine_result(run, rc, why);
    } else {
        int rc = engine_find_task_for(run->engine, by, task, why, sizeof why);
        if (rc < 0) {
            task[0] = '\0';
            return run_engine_result(run, rc, why);
        }
    }
    return CLI_OK;
}

/* A line taken that changed nothing (a repeated answer or ack: the engine's sentence in
   `note`) has its own timeline line, as a directory change does; with --json a line
   {"unchanged": {"line", "why"}}, as a duplicate event has its "unmatched" line. */
static void run_print_note(Run *run, const char *note)
{
    if (!note[0])
        return;
    if (run->view.json) {
        json_t *line = json_pack("{s:{s:i,s:s}}", "unchanged", "line", run->line, "why", note);
        char *text = line ? cli_json_dumps(line, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
        if (text)
            printf("%s\n", text);
        free(text);
        json_decref(line);
        return;
    }
    StrBuf when = STRBUF_INIT;
    value_write_time(run->at, 0, &when);
    run_print_time(&run->view, strbuf_text(&when));
    strbuf_free(&when);
    printf("     %s\n", cli_clean(note));
}

static int run_answer(Run *run, json_t *answer, int64_t at)
{
    static const char *const FIELDS[] = {"by", "choice", "comment", "task", "instance", "state", NULL};
    const char *by, *choice, *comment;
    char task[32], why[512];
    int status = run_fields(run, answer, "answer", FIELDS);
    if (status == CLI_OK)
        status = run_person(run, answer, "by", true, &by);
    if (status == CLI_OK)
        status = run_text(run, answer, "choice", "a choice", true, &choice);
    if (status == CLI_OK)
        status = run_text(run, answer, "comment", "text", false, &comment);
    if (status == CLI_OK)
        status = run_find_task(run, answer, by, task);
    if (status != CLI_OK || !task[0])
        return status;
    int rc = engine_answer(run->engine, task, by, choice, comment, at, why, sizeof why);
    if (rc < 0)
        return run_engine_result(run, rc, why);
    run_print_note(run, why);
    return run_settle(run, at);
}

static int run_ack(Run *run, json_t *ack, int64_t at)
{
    static const char *const FIELDS[] = {"by", "task", "instance", "state", NULL};
    const char *by;
    char task[32], why[512];
    int status = run_fields(run, ack, "ack", FIELDS);
    if (status == CLI_OK)
        status = run_person(run, ack, "by", true, &by);
    if (status == CLI_OK)
        status = run_find_task(run, ack, by, task);
    if (status != CLI_OK || !task[0])
        return status;
    int rc = engine_ack(run->engine, task, by, at, why, sizeof why);
    if (rc < 0)
        return run_engine_result(run, rc, why);
    run_print_note(run, why);
    return run_settle(run, at);
}

/* The timeline's line for an `away` or `back` trace line, kept pending until the
   change is applied: "anna is away (from 2026-06-16 until the end of 2026-06-20),
   delegate mei", "anna is away (until 2026-06-16T12:00:00Z)", "anna is back". A `to`
   that is a date is inclusive, so it is "the end of" that day. */
static void run_away_pending(RunView *view, const char *at, const char *person, bool back, const char *from,
                             const char *to, const char *delegate)
{
    StrBuf text = STRBUF_INIT;
    strbuf_printf(&text, "%s %s", cli_clean(person), back ? "is back" : "is away");
    if (!back && (from || to)) {
        strbuf_puts(&text, " (");
        if (from)
            strbuf_printf(&text, "from %s%s", cli_clean(from), to ? " " : "");
        if (to)
            strbuf_printf(&text, "until %s%s", strlen(to) == 10 ? "the end of " : "", cli_clean(to));
        strbuf_puts(&text, ")");
    }
    if (!back && delegate)
        strbuf_printf(&text, ", delegate %s", cli_clean(delegate));
    run_forget_pending(view);
    view->pending_at = strdup(at ? at : "");
    view->pending_text = strbuf_failed(&text) ? NULL : strdup(strbuf_text(&text));
    strbuf_free(&text);
}

/* A directory.away or directory.back event reads in the timeline as the trace's own away
   and back lines do (run_away_pending); data that is not text is the engine's to refuse. */
static void run_directory_pending(RunView *view, const char *at_text, const CliEvent *ev)
{
    bool back = strcmp(ev->type, "back") == 0;
    const char *person = json_string_value(json_object_get(ev->data, "person"));
    if (view->json || strcmp(ev->source, "directory") != 0 || !person || (!back && strcmp(ev->type, "away") != 0))
        return;
    run_away_pending(view, at_text, person, back, json_string_value(json_object_get(ev->data, "from")),
                     json_string_value(json_object_get(ev->data, "to")),
                     json_string_value(json_object_get(ev->data, "delegate")));
}

/* A directory.back of someone who was not away (its route says "changed": false): the
   pending line says so, never "is back". */
static void run_not_away(RunView *view, const json_t *route)
{
    if (!view->pending_text || !json_is_false(json_object_get(route, "changed")))
        return;
    free(view->pending_text);
    StrBuf text = STRBUF_INIT;
    strbuf_printf(&text, "%s was not away (nothing changed)", str(route, "person"));
    view->pending_text = strbuf_failed(&text) ? NULL : strdup(strbuf_text(&text));
    strbuf_free(&text);
}

static int run_event(Run *run, json_t *event, const char *at_text, int64_t at)
{
    CliEvent ev;
    char why[512];
    if (!cli_event_read(event, "event", at, &ev, why, sizeof why))
        return run_refuse(run, "%s", why);
    if (!cli_event_fits(run->types, ev.source, ev.type, ev.data, why, sizeof why)) {
        cli_event_clear(&ev);
        return run_engine_result(run, ENGINE_REFUSED, why);
    }
    run_directory_pending(&run->view, at_text, &ev);
    bool duplicate;
    int rc = engine_event(run->engine, ev.source, ev.type, ev.id, ev.data, ev.time, at, &duplicate, why,
                          sizeof why);
    cli_event_clear(&ev);
    if (rc < 0) {
        run_forget_pending(&run->view);   /* refused: the REFUSED line says so instead */
        return run_engine_result(run, rc, why);
    }
    if (duplicate)
        run_forget_pending(&run->view);   /* changed nothing: its duplicate line says so */
    run_not_away(&run->view, json_array_get(engine_event_routes(run->engine), 0));
    run_print_pending(&run->view);
    run_print_routes(run, ev.source, ev.type, ev.id, at, duplicate);
    return run_settle(run, at);
}

static int run_away(Run *run, json_t *line, int64_t at)
{
    static const char *const AWAY[] = {"person", "from", "to", "delegate", NULL}, *const BACK[] = {"person", NULL};
    json_t *away = json_object_get(line, "away");
    bool back = away == NULL;
    json_t *change = back ? json_object_get(line, "back") : away;
    const char *person, *from = NULL, *to = NULL, *delegate = NULL;
    int status = run_fields(run, change, back ? "back" : "away", back ? BACK : AWAY);
    if (status == CLI_OK)
        status = run_person(run, change, "person", true, &person);
    if (status == CLI_OK && !back)
        status = run_text(run, change, "from", "a date or a time", false, &from);
    if (status == CLI_OK && !back)
        status = run_text(run, change, "to", "a date or a time", false, &to);
    if (status == CLI_OK && !back)
        status = run_person(run, change, "delegate", false, &delegate);
    if (status != CLI_OK)
        return status;
    if (!run->view.json)
        run_away_pending(&run->view, json_string_value(json_object_get(line, "at")), person, back, from, to,
                         delegate);
    char why[512];
    int rc = engine_away(run->engine, person, from, to, delegate, back, at, why, sizeof why);
    if (rc < 0) {
        run_forget_pending(&run->view);   /* refused: the REFUSED line says so instead */
        return run_engine_result(run, rc, why);
    }
    if (why[0] && run->view.pending_text) {   /* "anna was not away (nothing changed)" */
        free(run->view.pending_text);
        run->view.pending_text = strdup(cli_clean(why));
    }
    run_print_pending(&run->view);
    return run_settle(run, at);
}

/* What a line does: exactly one of these beside its "at". */
static const char *const LINE_KINDS[] = {"event", "answer", "ack", "away", "back", "end", NULL};

/* The line's one kind, or NULL after refusing a line with none, two, or a field that
   is neither "at" nor a kind. */
static const char *run_line_kind(const Run *run, const json_t *line)
{
    const char *kind = NULL, *key;
    json_t *value;
    json_object_foreach((json_t *)line, key, value) {
        bool known = false;
        for (size_t i = 0; LINE_KINDS[i] && !known; i++)
            known = strcmp(key, LINE_KINDS[i]) == 0;
        if (strcmp(key, "at") == 0)
            continue;
        if (!known) {
            run_refuse(run, "the line has no field \"%.64s\" (it has \"at\" and one of event, answer, ack, "
                       "away, back or end)", key);
            return NULL;
        }
        if (kind) {
            run_refuse(run, "the line has both \"%s\" and \"%s\": one a line", kind, key);
            return NULL;
        }
        kind = key;
    }
    if (!kind)
        run_refuse(run, "the line has none of event, answer, ack, away, back or end");
    else if (strcmp(kind, "end") == 0 && !json_is_true(json_object_get(line, "end")))
        kind = (run_refuse(run, "\"end\" is true, or the line is not there"), NULL);
    return kind;
}

static int run_line(Run *run, const char *text, size_t len)
{
    char error[512];   /* the data, in {"event": {"data": ...}}, is read apart: its limits refuse the line */
    bool data_refused;
    json_t *line = cli_event_line_load(text, len, true, run->max_body, &data_refused, error, sizeof error);
    if (!json_is_object(line)) {
        json_decref(line);
        return run_refuse(run, "not a JSON object%s%s", line ? "" : ": ", line ? "" : error);
    }
    const char *at_text, *kind = run_line_kind(run, line);
    int64_t at;
    int32_t offset;
    int status = kind ? run_text(run, line, "at", "an RFC 3339 time", true, &at_text) : CLI_REFUSED;
    if (status == CLI_OK)
        status = run_time(run, "at", at_text, &at, &offset);
    if (status == CLI_OK && at < run->last_at)
        status = run_refuse(run, "%s is earlier than the line before: a trace is in time order", at_text);
    if (status == CLI_OK) {
        if (run->line == 1)
            run->view.offset = offset;
        run->last_at = at;
        run->at = at;
        status = run_settle(run, at);
    }
    json_t *body = kind ? json_object_get(line, kind) : NULL;
    if (status != CLI_OK || strcmp(kind, "end") == 0)
        ;
    else if (strcmp(kind, "event") == 0 && data_refused)
        status = run_engine_result(run, ENGINE_REFUSED, error);   /* as trigger and a webhook refuse it */
    else if (strcmp(kind, "event") == 0)
        status = run_event(run, body, at_text, at);
    else if (strcmp(kind, "answer") == 0)
        status = run_answer(run, body, at);
    else if (strcmp(kind, "ack") == 0)
        status = run_ack(run, body, at);
    else
        status = run_away(run, line, at);
    json_decref(line);
    return status;
}

static int run_summary(Run *run)
{
    json_t *instances;
    char why[512];
    if (engine_instances(run->engine, &instances, why, sizeof why) != ENGINE_OK) {
        fprintf(stderr, "huddle: run: %s\n", why);
        return CLI_SYSTEM;
    }
    if (run->view.json) {
        json_t *summary = json_pack("{s:{s:O,s:i}}", "summary", "instances", instances, "refused", run->refused);
        run_print_json_as(summary, false);
        putchar('\n');
        json_decref(summary);
    } else {
        printf("\n%-5s %-24s %-9s %-20s %s\n", "id", "playbook", "status", "state", "outcome");
        size_t i;
        json_t *in;
        json_array_foreach(instances, i, in)
            printf("%-5s %-24s %-9s %-20s %s\n", str(in, "id"), str(in, "playbook"), str(in, "status"),
                   str(in, "state"), str(in, "outcome"));
        printf("\n%d trace line%s refused\n", run->refused, run->refused == 1 ? "" : "s");
    }
    json_decref(instances);
    return CLI_OK;
}

/* Compiles and deploys the playbook into the run's store; with a connectors file
   (--connectors), checks the playbook against it as deploy does and keeps it, so
   failing mocks are retried as the connectors say. `calendar` gets the name of the
   playbook's calendar ("" without one). */
static int run_deploy(Engine *engine, const char *file, const char *connectors_path, char *calendar,
                      size_t calendar_len)
{
    CliConnectors connectors = {0};
    CheckOptions options = {0};
    int status = connectors_path ? cli_connectors_load(connectors_path, &connectors) : CLI_OK;
    if (status != CLI_OK)
        return status;
    cli_connectors_options(&connectors, &options);
    Bytecode bc;
    status = cli_compile_checked(file, &bc, NULL, &options);
    if (status != CLI_OK) {
        cli_connectors_free(&connectors);
        return status;
    }
    StrBuf bytes = STRBUF_INIT;
    bc_write(&bc, &bytes);
    snprintf(calendar, calendar_len, "%s", bc.calendar == BC_NONE ? "" : value_text(bc.consts[bc.calendar]));
    bc_free(&bc);
    char why[512];
    EngineDeployItem item = {(const uint8_t *)bytes.data, bytes.len, ""};
    json_t *kept = connectors.file ? conn_file_json(connectors.file) : NULL;
    int rc = engine_deploy_set(engine, &item, 1, kept, 0, why, sizeof why);
    if (rc < 0) {
        fprintf(stderr, "huddle: %s: %s%s%s\n", file, rc == ENGINE_REFUSED ? "" : engine_strerror(rc),
                rc == ENGINE_REFUSED ? "" : ": ", why);
        status = rc == ENGINE_REFUSED ? CLI_REFUSED : CLI_SYSTEM;
    }
    json_decref(kept);
    strbuf_free(&bytes);
    cli_connectors_free(&connectors);
    return status;
}

static int run_load_directory(Engine *engine, const char *path)
{
    json_error_t error;
    json_t *json = json_file_load(path, JSON_REJECT_DUPLICATES, &error);
    if (!json) {
        return cli_json_file_refused(path, &error);
    }
    char why[4096];
    int rc = engine_directory_load(engine, json, 0, why, sizeof why);
    json_decref(json);
    if (rc == ENGINE_REFUSED) {
        fprintf(stderr, "huddle: %s is not a valid directory:\n%s\n", path, why);
        return CLI_REFUSED;
    }
    if (rc < 0) {   /* the store failed, not the directory */
        fprintf(stderr, "huddle: run: loading %s: %s: %s\n", path, engine_strerror(rc), why);
        return CLI_SYSTEM;
    }
    return CLI_OK;
}

/* Runs the trace line by line; a line longer than --max-body plus CLI_LINE_ENVELOPE
   cannot be read (it stops the run), while an event whose data alone passes --max-body
   is a refused line (run_line). */
static int run_trace(Run *run, FILE *trace)
{
    StrBuf text = STRBUF_INIT;
    bool over;
    int status = CLI_OK;
    while (status == CLI_OK && cli_read_line(trace, run->max_body + CLI_LINE_ENVELOPE, &text, &over)) {
        run->line++;
        if (strbuf_failed(&text)) {
            fprintf(stderr, "huddle: trace line %d: out of memory reading it\n", run->line);
            status = CLI_SYSTEM;
        } else if (over)
            status = run_refuse(run, "the line is more than %zu bytes, the most a trace line may have (the event "
                                "data's limit, %zu, plus %zu for the rest of the line; --max-body BYTES or "
                                "HUDDLE_MAX_BODY sets the first)", run->max_body + CLI_LINE_ENVELOPE, run->max_body,
                                CLI_LINE_ENVELOPE);
        else if (!cli_line_blank(run->line, &text))
            status = run_line(run, cli_line_text(run->line, &text), cli_line_len(run->line, &text));
    }
    strbuf_free(&text);
    return status;
}

/* Removes the simulation's store: its folder holds only files (LMDB's and the lock). */
static int run_remove_store(const char *dir)
{
    DIR *folder = opendir(dir);
    if (!folder)
        return -1;
    struct dirent *entry;
    char path[PATH_MAX];
    while ((entry = readdir(folder)) != NULL) {
        if (strcmp(entry->d_name, ".") == 0 || strcmp(entry->d_name, "..") == 0)
            continue;
        snprintf(path, sizeof path, "%s/%s", dir, entry->d_name);
        unlink(path);
    }
    closedir(folder);
    return rmdir(dir);
}

/* Makes the folder the run's store goes in: --keep's DIR (made if it does not exist; if
   it does, it must be an empty folder, so no store or file is ever overwritten), else a
   new folder under $TMPDIR (or /tmp). Copies its path into `dir`; false, with why, when
   it cannot. */
static bool run_make_folder(const char *keep, char *dir, size_t size, char *why, size_t why_len)
{
    if (!keep) {
        const char *tmp = getenv("TMPDIR");
        snprintf(dir, size, "%s/huddle-run-XXXXXX", tmp && tmp[0] ? tmp : "/tmp");
        if (mkdtemp(dir))
            return true;
        snprintf(why, why_len, "could not make a store in %s: %s", dir, strerror(errno));
        return false;
    }
    snprintf(dir, size, "%s", keep);
    if (mkdir(keep, 0777) == 0)
        return true;
    DIR *folder = errno == EEXIST ? opendir(keep) : NULL;
    bool empty = folder != NULL;
    for (struct dirent *entry; folder && (entry = readdir(folder)) != NULL;)
        if (strcmp(entry->d_name, ".") != 0 && strcmp(entry->d_name, "..") != 0)
            empty = false;
    if (folder)
        closedir(folder);
    if (empty)
        return true;
    if (folder)
        snprintf(why, why_len, "--keep %s: the folder is not empty (give a new or empty folder; "
                 "the run makes its own store there)", keep);
    else
        snprintf(why, why_len, "--keep %s: %s", keep, strerror(errno));
    return false;
}

/* One mock of `name` (entry `index` of its list, or -1): a reply is any JSON value, but
   an object with "fail" is a failing call, and its "fail" is the failure's message:
   `{"fail": 5}` was taken for a reply. False, with why, when it is not one. */
static bool run_mock_ok(const char *name, long index, const json_t *mock, char *why, size_t why_len)
{
    const json_t *fail = json_is_object(mock) ? json_object_get(mock, "fail") : NULL;
    if (!fail || (json_is_string(fail) && json_string_length(fail) > 0))
        return true;
    char where[64] = "";
    if (index >= 0)
        snprintf(where, sizeof where, ", reply %ld of its list,", index + 1);
    char *text = cli_json_dumps(fail, JSON_COMPACT | JSON_ENCODE_ANY);
    snprintf(why, why_len, "\"%.200s\"%s has \"fail\": %.60s, but \"fail\" is the failure's message, a non-empty "
             "string ({\"fail\": \"connection refused\"}); a reply is any other JSON value", name, where,
             text ? text : "?");
    free(text);
    return false;
}

/* The --mocks file's object: each "connector.operation" maps to a reply, a list of
   replies used in turn (at least one), or {"fail": "message"}. False, with why naming
   the mock, when one is none of these: the run does not start (exit 1), as with a
   mocks file that is not JSON. */
static bool run_mocks_ok(const json_t *mocks, char *why, size_t why_len)
{
    const char *name;
    json_t *mock;
    json_object_foreach((json_t *)mocks, name, mock) {
        const char *dot = strchr(name, '.');
        if (!dot || dot == name || !dot[1]) {
            snprintf(why, why_len, "\"%.200s\" is not a call's name: a mock is named connector.operation "
                     "(\"kb.lookup\")", name);
            return false;
        }
        if (json_is_array(mock) && json_array_size(mock) == 0) {
            snprintf(why, why_len, "\"%.200s\" has an empty list: give one reply or more (the last is used again "
                     "and again)", name);
            return false;
        }
        size_t count = json_is_array(mock) ? json_array_size(mock) : 1;
        for (size_t i = 0; i < count; i++)
            if (!run_mock_ok(name, json_is_array(mock) ? (long)i : -1,
                             json_is_array(mock) ? json_array_get(mock, i) : mock, why, why_len))
                return false;
    }
    return true;
}

int cli_run(int argc, char **argv)
{
    const char *file = NULL, *events = NULL, *mocks_path = NULL, *directory_path = NULL, *max_body = NULL;
    const char *connectors_path = NULL, *keep = NULL;
    RunView view = {.json = false, .last_day = ""};
    CliSeen seen = {.count = 0};
    bool rest = false;
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        if (cli_options_end(arg, &rest))
            continue;
        const char **slot = rest ? NULL : strcmp(arg, "--events") == 0 ? &events
                          : strcmp(arg, "--max-body") == 0 ? &max_body
                          : strcmp(arg, "--mocks") == 0 ? &mocks_path
                          : strcmp(arg, "--directory") == 0 ? &directory_path
                          : strcmp(arg, "--connectors") == 0 ? &connectors_path
                          : strcmp(arg, "--keep") == 0 ? &keep : NULL;
        if (slot) {
            if (cli_option_value("run", argc, argv, &i, slot, &seen) != CLI_OK)
                return CLI_USAGE;
        } else if (!rest && strcmp(arg, "--json") == 0) {
            view.json = true;
        } else if ((!rest && arg[0] == '-') || file) {
            return cli_usage_error("run", "unexpected argument '%s'", cli_clean(arg));
        } else {
            file = arg;
        }
    }
    if (!file || !events)
        return cli_usage_error("run", "give a playbook and --events TRACE.jsonl");
    if (keep && !keep[0])
        return cli_usage_error("run", "--keep needs a folder (an empty one, or one to make)");
    size_t max_body_bytes;
    if (cli_max_body("run", max_body, &max_body_bytes) != CLI_OK)
        return CLI_USAGE;
    json_t *mocks = json_object();
    if (mocks_path) {
        char error[256] = "cannot be read";
        size_t len;
        char *text = cli_read_file(mocks_path, &len);
        json_decref(mocks);
        size_t bom = text ? text_bom_length(text, len) : 0;
        mocks = text ? value_json_load(text + bom, len - bom, 0, 2, error, sizeof error) : NULL;
        bool read = text != NULL;   /* if not, cli_read_file has said why */
        if (read && text[bom + strspn(text + bom, " \t\r\n")] == '\0')   /* as json_file_load says */
            snprintf(error, sizeof error, "the file is empty: a JSON object was expected");
        free(text);
        char why[512] = "";
        if (!json_is_object(mocks) || !run_mocks_ok(mocks, why, sizeof why)) {
            if (read)
                fprintf(stderr, "huddle: %s: %s\n", mocks_path,
                        why[0] ? cli_clean(why) : mocks ? "mocks are a JSON object" : error);
            json_decref(mocks);
            return CLI_REFUSED;
        }
    }
    CliConnectors connectors = {0};
    if (connectors_path && cli_connectors_load(connectors_path, &connectors) != CLI_OK) {
        json_decref(mocks);
        return CLI_REFUSED;
    }
    FILE *trace = cli_open_read(events);
    if (!trace) {
        fprintf(stderr, "huddle: %s: %s\n", events, strerror(errno));
        json_decref(mocks);
        cli_connectors_free(&connectors);
        return CLI_REFUSED;
    }
    char dir[PATH_MAX];
    char why[512] = "";
    int status = CLI_SYSTEM;
    bool made = run_make_folder(keep, dir, sizeof dir, why, sizeof why);
    Run run = {NULL, view, mocks, 0, 0, max_body_bytes, 0, 0, connectors.file};
    EngineOptions engine_options = {.on_record = run_print_record, .record_context = &run.view, .mocks = mocks,
                                    .create = true, .no_sync = true, .read_only = false};
    if (made && engine_open(dir, &engine_options, &run.engine, why, sizeof why) == ENGINE_OK) {
        char calendar[256];
        status = run_deploy(run.engine, file, connectors_path, calendar, sizeof calendar);
        if (status == CLI_OK && directory_path)
            status = run_load_directory(run.engine, directory_path);
        if (status == CLI_OK && cli_calendar_zone(run.engine, calendar, &run.view.tz, why, sizeof why) != ENGINE_OK) {
            fprintf(stderr, "huddle: run: %s\n", why);
            status = CLI_SYSTEM;
        }
        if (status == CLI_OK)
            status = run_trace(&run, trace);
        if (status == CLI_OK)
            status = run_summary(&run);
        if (keep && engine_sync(run.engine, why, sizeof why) != ENGINE_OK) {
            fprintf(stderr, "huddle: run: --keep %s: %s\n", keep, why);
            status = CLI_SYSTEM;
        }
        engine_close(run.engine);
        tz_free(run.view.tz);
    } else if (made) {
        fprintf(stderr, "huddle: run: could not make a store in %s: %s\n", dir, why);
    } else {
        fprintf(stderr, "huddle: run: %s\n", why);
        status = keep ? CLI_REFUSED : CLI_SYSTEM;
    }
    if (made && !keep && run_remove_store(dir) != 0)
        fprintf(stderr, "huddle: run: could not remove %s: %s\n", dir, strerror(errno));
    fclose(trace);
    json_decref(mocks);
    cli_connectors_free(&connectors);
    return status;
}
