/*
 * cli_run.c - `huddle run`: a playbook against a trace, on a fresh throwaway store with
 * a virtual clock, printed as a timeline a person can read (or as JSON records).
 *
 * Virtual time moves to each trace line's `at`, firing every timer due on the way (a
 * timer due at a line's `at` fires before the line); `end` drains timers up to its
 * time. Calls are answered from --mocks as their own steps at the same virtual time.
 */
#include <dirent.h>
#include <errno.h>
#include <jansson.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bytecode.h"
#include "cli.h"
#include "engine.h"
#include "value.h"
#include "value_json.h"

typedef struct RunView {
    bool json;
    int32_t offset;             /* minutes: the zone of the trace's first `at` */
    char last_day[16];
} RunView;

/* "2026-06-15T08:10:00+03:00" -> +180 */
static int32_t run_offset_of(const char *text)
{
    size_t len = strlen(text);
    if (len >= 6 && (text[len - 6] == '+' || text[len - 6] == '-') && text[len - 3] == ':') {
        int minutes = atoi(text + len - 5) * 60 + atoi(text + len - 2);
        return text[len - 6] == '-' ? -minutes : minutes;
    }
    return 0;
}

static void run_print_time(RunView *view, const char *at)
{
    int64_t ms;
    if (!value_parse_time(at, &ms)) {
        printf("%-17s", at);
        return;
    }
    StrBuf local = STRBUF_INIT;
    value_write_time(ms, view->offset, &local);
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
        printf("%s", at);
        return;
    }
    StrBuf local = STRBUF_INIT;
    value_write_time(ms, view->offset, &local);
    const char *text = strbuf_text(&local);
    if (strncmp(view->last_day, text, 10) != 0)
        printf("%.10s %.5s", text, text + 11);
    else
        printf("%.5s", text + 11);
    strbuf_free(&local);
}

static const char *str(const json_t *record, const char *field)
{
    const char *text = json_string_value(json_object_get(record, field));
    return text ? text : "";
}

/* A JSON value as compact text, for arguments and replies. */
static void run_print_json(const json_t *value)
{
    char *text = json_dumps(value, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_ENCODE_ANY);
    printf("%s", text ? text : "null");
    free(text);
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
            printf("%s%s", k ? ", " : "", json_string_value(holder));
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
            printf("%s%s", k ? ", " : "", json_string_value(person) ? json_string_value(person) : "?");
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
        run_print_json(r);
        putchar('\n');
        return;
    }
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
        printf("  timer: %s at ", str(r, "what"));
        run_print_local(view, str(r, "due"));
    } else if (strcmp(kind, "called") == 0 || strcmp(kind, "sent") == 0) {
        printf("  %s %s.%s(", strcmp(kind, "called") == 0 ? "call" : "send", str(r, "connector"), str(r, "operation"));
        run_print_json(json_object_get(r, "arg"));
        printf(")");
    } else if (strcmp(kind, "replied") == 0) {
        printf("  %s.%s replied ", str(r, "connector"), str(r, "operation"));
        run_print_json(json_object_get(r, "reply"));
    } else if (strcmp(kind, "call_failed") == 0) {
        printf("  %s.%s failed: %s", str(r, "connector"), str(r, "operation"), str(r, "error"));
    } else if (strcmp(kind, "notified") == 0) {
        if (json_object_get(r, "message"))
            printf("  told %s (%s): %s", str(r, "person"), str(r, "channel"), str(r, "message"));
        else
            printf("  told %s (%s) about %s", str(r, "person"), str(r, "channel"), str(r, "task"));
    } else if (strcmp(kind, "unresolved") == 0) {
        printf("  could not resolve %s ", str(r, "who"));
        run_print_json(json_object_get(r, "id"));
        printf(" (%s)", str(r, "why"));
    } else if (strcmp(kind, "joined") == 0) {
        json_t *event = json_object_get(r, "event");
        printf("  joined by %s.%s %s", str(event, "source"), str(event, "type"), str(event, "id"));
    } else if (strcmp(kind, "delegated") == 0) {
        printf("  %s stands in for %s (%s%s%s)", str(r, "to"), str(r, "from"), str(r, "why"),
               json_object_get(r, "by") ? " by " : "", str(r, "by"));
    } else if (strcmp(kind, "overridden") == 0) {
        printf("  %s overridden by %s: %s (%s)", str(r, "task"), str(r, "by"), str(r, "choice"), str(r, "reason"));
    } else if (strcmp(kind, "escalated") == 0) {
        printf("  %s escalated to level %lld: ", str(r, "task"), (long long)json_integer_value(json_object_get(r, "level")));
        run_print_added(json_object_get(r, "added"));
    } else if (strcmp(kind, "skipped") == 0) {
        printf("  %s level %lld skipped: %s", str(r, "task"), (long long)json_integer_value(json_object_get(r, "level")), str(r, "why"));
    } else if (strcmp(kind, "acknowledged") == 0) {
        printf("  %s acknowledged %s", str(r, "by"), str(r, "task"));
    } else if (strcmp(kind, "reminded") == 0) {
        printf("  reminded about %s: ", str(r, "task"));
        run_print_json(json_object_get(r, "people"));
    } else if (strcmp(kind, "stalled") == 0) {
        printf("STALLED  %s", str(r, "error"));
    } else if (strcmp(kind, "done") == 0) {
        printf("done     %s", str(r, "outcome"));
    } else if (strcmp(kind, "failed") == 0) {
        printf("FAILED   %s", str(r, "reason"));
    } else {
        printf("  %s ", kind);
        run_print_json(r);
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
} Run;

static int run_refuse(const Run *run, const char *fmt, const char *detail)
{
    fprintf(stderr, "huddle: trace line %d: ", run->line);
    fprintf(stderr, fmt, detail);
    fputc('\n', stderr);
    return CLI_REFUSED;
}

/* Brings virtual time to `now`: the calls made so far are answered from the mocks, then
   each due timer fires at its own time and the calls its step made are answered at that
   same time, before the next timer. */
static int run_settle(Run *run, int64_t now)
{
    char why[512];
    int64_t due;
    bool found;
    if (engine_deliver_mocks(run->engine, run->mocks, now, why, sizeof why) < 0)
        return run_refuse(run, "%s", why);
    for (;;) {
        if (engine_next_due(run->engine, &found, &due, why, sizeof why) < 0)
            return run_refuse(run, "%s", why);
        if (!found || due > now)
            break;
        if (engine_fire_due(run->engine, due, why, sizeof why) < 0 ||
            engine_deliver_mocks(run->engine, run->mocks, due, why, sizeof why) < 0)
            return run_refuse(run, "%s", why);
    }
    if (engine_fire_due(run->engine, now, why, sizeof why) < 0)
        return run_refuse(run, "%s", why);
    return CLI_OK;
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
    if (run->view.json || placed)
        return;
    StrBuf when = STRBUF_INIT;
    value_write_time(at, 0, &when);
    run_print_time(&run->view, strbuf_text(&when));
    strbuf_free(&when);
    printf("     %s.%s %s ", source, type, id);
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

static int run_event(Run *run, json_t *event, int64_t at)
{
    const char *source = json_string_value(json_object_get(event, "source"));
    const char *type = json_string_value(json_object_get(event, "type"));
    json_t *id = json_object_get(event, "id");
    if (!source || !type || !id)
        return run_refuse(run, "%san event needs \"source\", \"type\" and \"id\"", "");
    char id_text[64];
    if (json_is_integer(id))
        snprintf(id_text, sizeof id_text, "%lld", (long long)json_integer_value(id));
    else
        snprintf(id_text, sizeof id_text, "%s", json_string_value(id) ? json_string_value(id) : "");
    int64_t time = at;
    const char *time_text = json_string_value(json_object_get(event, "time"));
    if (time_text && !value_parse_time(time_text, &time))
        return run_refuse(run, "the event's time '%s' is not RFC 3339", time_text);
    json_t *data = json_object_get(event, "data");
    json_t *empty = data ? NULL : json_object();
    bool duplicate;
    char why[512];
    int rc = engine_event(run->engine, source, type, id_text, data ? data : empty, time, at, &duplicate, why, sizeof why);
    json_decref(empty);
    if (rc < 0)
        return run_refuse(run, "%s", why);
    run_print_routes(run, source, type, id_text, at, duplicate);
    return run_settle(run, at);
}

static int run_answer(Run *run, json_t *answer, int64_t at)
{
    const char *by = json_string_value(json_object_get(answer, "by"));
    const char *choice = json_string_value(json_object_get(answer, "choice"));
    const char *comment = json_string_value(json_object_get(answer, "comment"));
    if (!by || !choice)
        return run_refuse(run, "%san answer needs \"by\" and \"choice\"", "");
    char task[32], why[512];
    const char *named = json_string_value(json_object_get(answer, "task"));
    if (named)
        snprintf(task, sizeof task, "%s", named);
    else if (engine_find_task_for(run->engine, by, task, why, sizeof why) < 0)
        return run_refuse(run, "%s", why);
    if (engine_answer(run->engine, task, by, choice, comment, at, why, sizeof why) < 0)
        return run_refuse(run, "%s", why);
    return run_settle(run, at);
}

static int run_ack(Run *run, json_t *ack, int64_t at)
{
    const char *by = json_string_value(json_object_get(ack, "by"));
    if (!by)
        return run_refuse(run, "%san ack needs \"by\"", "");
    char task[32], why[512];
    const char *named = json_string_value(json_object_get(ack, "task"));
    if (named)
        snprintf(task, sizeof task, "%s", named);
    else if (engine_find_task_for(run->engine, by, task, why, sizeof why) < 0)
        return run_refuse(run, "%s", why);
    if (engine_ack(run->engine, task, by, at, why, sizeof why) < 0)
        return run_refuse(run, "%s", why);
    return run_settle(run, at);
}

static int run_away(Run *run, json_t *line, int64_t at)
{
    json_t *away = json_object_get(line, "away");
    bool back = away == NULL;
    json_t *change = back ? json_object_get(line, "back") : away;
    const char *person = json_string_value(json_object_get(change, "person"));
    if (!person)
        return run_refuse(run, "%saway and back need \"person\"", "");
    json_t *named = json_object_get(change, "delegate");
    if (named && !json_is_string(named) && !json_is_null(named))
        return run_refuse(run, "%s\"delegate\" is a person id, in quotes", "");
    char why[512];
    if (engine_away(run->engine, person, json_string_value(json_object_get(change, "from")),
                    json_string_value(json_object_get(change, "to")),
                    json_string_value(json_object_get(change, "delegate")), back, at, why, sizeof why) < 0)
        return run_refuse(run, "%s", why);
    const char *delegate = back ? NULL : json_string_value(json_object_get(change, "delegate"));
    if (!run->view.json) {
        run_print_time(&run->view, json_string_value(json_object_get(line, "at")));
        printf("     %s %s%s%s\n", person, back ? "is back" : "is away", delegate ? ", delegate " : "",
               delegate ? delegate : "");
    }
    return run_settle(run, at);
}

static int run_line(Run *run, const char *text)
{
    json_error_t error;
    json_t *line = json_loads(text, 0, &error);
    if (!line || !json_is_object(line)) {
        json_decref(line);
        return run_refuse(run, "not a JSON object: %s", line ? "" : error.text);
    }
    const char *at_text = json_string_value(json_object_get(line, "at"));
    int64_t at;
    int status = CLI_OK;
    if (!at_text || !value_parse_time(at_text, &at)) {
        status = run_refuse(run, "%s\"at\" must be an RFC 3339 time", "");
    } else if (at < run->last_at) {
        status = run_refuse(run, "%s is earlier than the line before: a trace is in time order", at_text);
    } else {
        if (run->line == 1)
            run->view.offset = run_offset_of(at_text);
        run->last_at = at;
        status = run_settle(run, at);
        json_t *event = json_object_get(line, "event"), *answer = json_object_get(line, "answer");
        if (status != CLI_OK) {
        } else if (event) {
            status = run_event(run, event, at);
        } else if (answer) {
            status = run_answer(run, answer, at);
        } else if (json_object_get(line, "end")) {
            status = CLI_OK;
        } else if (json_object_get(line, "ack")) {
            status = run_ack(run, json_object_get(line, "ack"), at);
        } else if (json_object_get(line, "away") || json_object_get(line, "back")) {
            status = run_away(run, line, at);
        } else {
            status = run_refuse(run, "%sthe line has none of event, answer, ack, away, back or end", "");
        }
    }
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
        json_t *summary = json_pack("{s:{s:O}}", "summary", "instances", instances);
        run_print_json(summary);
        putchar('\n');
        json_decref(summary);
    } else {
        printf("\n%-5s %-24s %-9s %-20s %s\n", "id", "playbook", "status", "state", "outcome");
        size_t i;
        json_t *in;
        json_array_foreach(instances, i, in)
            printf("%-5s %-24s %-9s %-20s %s\n", str(in, "id"), str(in, "playbook"), str(in, "status"),
                   str(in, "state"), str(in, "outcome"));
    }
    json_decref(instances);
    return CLI_OK;
}

/* Deploys the compiled playbook into the run's store. */
static int run_deploy(Engine *engine, const char *file)
{
    Bytecode bc;
    int status = cli_compile_to_bytecode(file, &bc);
    if (status != CLI_OK)
        return status;
    StrBuf bytes = STRBUF_INIT;
    bc_write(&bc, &bytes);
    bc_free(&bc);
    char hash[65], why[512];
    if (engine_deploy(engine, (const uint8_t *)bytes.data, bytes.len, 0, hash, why, sizeof why) < 0) {
        fprintf(stderr, "huddle: %s: %s\n", file, why);
        status = CLI_SYSTEM;
    }
    strbuf_free(&bytes);
    return status;
}

static int run_load_directory(Engine *engine, const char *path)
{
    json_error_t error;
    json_t *json = json_load_file(path, JSON_REJECT_DUPLICATES, &error);
    if (!json) {
        fprintf(stderr, "huddle: %s:%d:%d: %s\n", path, error.line, error.column, error.text);
        return CLI_REFUSED;
    }
    char why[4096];
    int rc = engine_directory_load(engine, json, 0, why, sizeof why);
    json_decref(json);
    if (rc < 0) {
        fprintf(stderr, "huddle: %s is not a valid directory:\n%s\n", path, why);
        return CLI_REFUSED;
    }
    return CLI_OK;
}

static int run_trace(Run *run, FILE *trace)
{
    char *text = NULL;
    size_t cap = 0;
    ssize_t len;
    int status = CLI_OK;
    while (status == CLI_OK && (len = getline(&text, &cap, trace)) >= 0) {
        run->line++;
        if (strspn(text, " \t\r\n") == (size_t)len)
            continue;
        status = run_line(run, text);
    }
    free(text);
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

int cli_run(int argc, char **argv)
{
    const char *file = NULL, *events = NULL, *mocks_path = NULL, *directory_path = NULL;
    RunView view = {false, 0, ""};
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--events") == 0 && i + 1 < argc)
            events = argv[++i];
        else if (strcmp(argv[i], "--mocks") == 0 && i + 1 < argc)
            mocks_path = argv[++i];
        else if (strcmp(argv[i], "--directory") == 0 && i + 1 < argc)
            directory_path = argv[++i];
        else if (strcmp(argv[i], "--json") == 0)
            view.json = true;
        else if (argv[i][0] == '-' || file)
            return cli_usage_error("run", "unexpected argument '%s'", argv[i]);
        else
            file = argv[i];
    }
    if (!file || !events)
        return cli_usage_error("run", "give a playbook and --events TRACE.jsonl");
    json_t *mocks = json_object();
    if (mocks_path) {
        json_error_t error;
        json_decref(mocks);
        mocks = json_load_file(mocks_path, 0, &error);
        if (!json_is_object(mocks)) {
            fprintf(stderr, "huddle: %s:%d: %s\n", mocks_path, error.line, mocks ? "mocks are a JSON object" : error.text);
            json_decref(mocks);
            return CLI_REFUSED;
        }
    }
    FILE *trace = fopen(events, "r");
    if (!trace) {
        perror(events);
        json_decref(mocks);
        return CLI_REFUSED;
    }
    char dir[] = "/tmp/huddle-run-XXXXXX";
    char why[512];
    int status = CLI_SYSTEM;
    bool made = mkdtemp(dir) != NULL;
    snprintf(why, sizeof why, "%s", made ? "" : strerror(errno));
    Run run = {NULL, view, mocks, 0, 0};
    EngineOptions engine_options = {run_print_record, &run.view, mocks, true, true};
    if (made && engine_open(dir, &engine_options, &run.engine, why, sizeof why) == ENGINE_OK) {
        status = run_deploy(run.engine, file);
        if (status == CLI_OK && directory_path)
            status = run_load_directory(run.engine, directory_path);
        if (status == CLI_OK)
            status = run_trace(&run, trace);
        if (status == CLI_OK)
            status = run_summary(&run);
        engine_close(run.engine);
    } else {
        fprintf(stderr, "huddle: run: could not make a store in %s: %s\n", dir, why);
    }
    if (made && run_remove_store(dir) != 0)
        fprintf(stderr, "huddle: run: could not remove %s: %s\n", dir, strerror(errno));
    fclose(trace);
    json_decref(mocks);
    return status;
}
