/*
 * cli_store.c - the commands that work on a store (--db DIR): deploy, trigger, answer,
 * tick, instances, tasks, history.
 *
 * Every write command takes --now T (RFC 3339) for virtual engine time; without it the
 * wall clock is used. A --now earlier than the store's engine time is refused.
 * Exit status: 0 ok, 1 input refused (nothing changed), 2 usage, 3 store or system error.
 */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "bytecode.h"
#include "cli.h"
#include "directory.h"
#include "engine.h"
#include "value_json.h"

/* Options every store command understands. */
typedef struct StoreArgs {
    const char *db;
    const char *now_text;
    bool json;
    const char *positional[4];
    int positional_count;
    const char *by, *comment, *id, *time, *for_person, *playbook, *status, *go, *reason;
    const char *dedup_days, *from, *to;
} StoreArgs;

static int store_args_parse(const char *command, int argc, char **argv, StoreArgs *a)
{
    memset(a, 0, sizeof *a);
    a->db = "huddle.db";
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        const char **slot = strcmp(arg, "--db") == 0 ? &a->db
                          : strcmp(arg, "--now") == 0 ? &a->now_text
                          : strcmp(arg, "--by") == 0 ? &a->by
                          : strcmp(arg, "--comment") == 0 ? &a->comment
                          : strcmp(arg, "--id") == 0 ? &a->id
                          : strcmp(arg, "--time") == 0 ? &a->time
                          : strcmp(arg, "--for") == 0 ? &a->for_person
                          : strcmp(arg, "--playbook") == 0 ? &a->playbook
                          : strcmp(arg, "--status") == 0 ? &a->status
                          : strcmp(arg, "--goto") == 0 ? &a->go
                          : strcmp(arg, "--reason") == 0 ? &a->reason
                          : strcmp(arg, "--dedup-days") == 0 ? &a->dedup_days
                          : strcmp(arg, "--from") == 0 ? &a->from
                          : strcmp(arg, "--to") == 0 ? &a->to : NULL;
        if (slot) {
            if (i + 1 >= argc)
                return cli_usage_error(command, "%s needs a value", arg);
            *slot = argv[++i];
        } else if (strcmp(arg, "--json") == 0) {
            a->json = true;
        } else if (arg[0] == '-' && arg[1]) {
            return cli_usage_error(command, "unknown option '%s'", arg);
        } else if (a->positional_count < 4) {
            a->positional[a->positional_count++] = arg;
        } else {
            return cli_usage_error(command, "too many arguments");
        }
    }
    return CLI_OK;
}

/* Opens the engine on the store (creating it only for deploy). */
static int store_args_open(const StoreArgs *a, bool create, Engine **engine)
{
    char why[512];
    EngineOptions options = {0};
    options.create = create;
    if (engine_open(a->db, &options, engine, why, sizeof why) != ENGINE_OK) {
        fprintf(stderr, "huddle: %s\n", why);
        return CLI_SYSTEM;
    }
    return CLI_OK;
}

/* Engine time for a write: --now, or the wall clock; never before the store's time. */
static int store_args_now(const StoreArgs *a, Engine *engine, int64_t *now)
{
    int64_t kept;
    char why[512];
    if (engine_time(engine, &kept, why, sizeof why) != ENGINE_OK) {
        fprintf(stderr, "huddle: %s\n", why);
        return CLI_SYSTEM;
    }
    if (a->now_text) {
        if (!value_parse_time(a->now_text, now)) {
            fprintf(stderr, "huddle: --now %s is not an RFC 3339 time (2026-06-15T08:10:00+03:00)\n", a->now_text);
            return CLI_USAGE;
        }
        if (*now < kept) {
            char text[40];
            StrBuf buf = STRBUF_INIT;
            value_write_time(kept, 0, &buf);
            snprintf(text, sizeof text, "%s", strbuf_text(&buf));
            strbuf_free(&buf);
            fprintf(stderr, "huddle: --now %s is earlier than the store's engine time %s; time never goes back\n",
                    a->now_text, text);
            return CLI_REFUSED;
        }
        return CLI_OK;
    }
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    *now = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
    if (*now < kept)
        *now = kept;   /* a wall clock that stepped back is held */
    return CLI_OK;
}

static int cli_status_of(int rc)
{
    return rc == ENGINE_OK ? CLI_OK : rc == ENGINE_REFUSED ? CLI_REFUSED : CLI_SYSTEM;
}

/* What every write command shares once its arguments are checked: open the store,
   settle engine time, run `apply`, and report. Returns the exit status. */
typedef int (*StoreApply)(Engine *engine, const StoreArgs *a, int64_t now, char *why, size_t why_len);
typedef void (*StoreReport)(const StoreArgs *a);

static int store_command_write(const char *command, const StoreArgs *a, StoreApply apply,
                               StoreReport report)
{
    Engine *engine;
    int status = store_args_open(a, false, &engine);
    if (status != CLI_OK)
        return status;
    int64_t now;
    status = store_args_now(a, engine, &now);
    if (status == CLI_OK) {
        char why[512];
        int rc = apply(engine, a, now, why, sizeof why);
        if (rc < 0)
            fprintf(stderr, "huddle: %s: %s\n", command, why);
        else
            report(a);
        status = cli_status_of(rc);
    }
    engine_close(engine);
    return status;
}

/* ---- deploy ---- */

int cli_deploy(int argc, char **argv)
{
    StoreArgs a;
    int status = store_args_parse("deploy", argc, argv, &a);
    if (status != CLI_OK)
        return status;
    if (a.positional_count == 0)
        return cli_usage_error("deploy", "no playbook given");
    Engine *engine;
    if ((status = store_args_open(&a, true, &engine)) != CLI_OK)
        return status;
    int64_t now;
    status = store_args_now(&a, engine, &now);
    /* Pre-flight against the store's directory: warnings, the deploy goes on. */
    json_t *directory_json = NULL, *problems = json_array();
    char directory_why[512];
    if (status == CLI_OK && engine_directory(engine, &directory_json, directory_why, sizeof directory_why) != ENGINE_OK) {
        fprintf(stderr, "huddle: deploy: %s\n", directory_why);
        status = CLI_SYSTEM;
    }
    Directory *directory = directory_json ? directory_parse(directory_json, problems) : NULL;
    json_decref(directory_json);
    json_decref(problems);
    for (int i = 0; status == CLI_OK && i < a.positional_count; i++) {
        Bytecode bc;
        status = cli_compile_checked(a.positional[i], &bc, directory);
        if (status != CLI_OK)
            break;
        StrBuf bytes = STRBUF_INIT;
        bc_write(&bc, &bytes);
        const char *name = value_text(bc.consts[bc.name]);
        char hash[65], why[512];
        int rc = engine_deploy(engine, (const uint8_t *)bytes.data, bytes.len, now, hash, why, sizeof why);
        if (rc < 0)
            fprintf(stderr, "huddle: %s: %s\n", a.positional[i], why);
        else if (a.json)
            printf("{\"playbook\": \"%s\", \"version\": \"%s\"}\n", name, hash);
        else
            printf("deployed %s, version %s\n", name, hash);
        status = cli_status_of(rc);
        strbuf_free(&bytes);
        bc_free(&bc);
    }
    directory_free(directory);
    engine_close(engine);
    return status;
}

/* ---- trigger ---- */

static json_t *cli_read_stdin_json(void)
{
    json_error_t error;
    json_t *data = json_loadf(stdin, JSON_REJECT_DUPLICATES, &error);
    if (!data)
        fprintf(stderr, "huddle: the event data on standard input is not JSON: %s (line %d, column %d)\n",
                error.text, error.line, error.column);
    return data;
}

/* "accepted ID: started i3 (playbook); counted by other (threshold not reached)". */
static void trigger_report(const char *id, bool duplicate, const json_t *routes)
{
    if (duplicate) {
        printf("duplicate, already accepted: %s\n", id);
        return;
    }
    printf("accepted %s: ", id);
    if (json_array_size(routes) == 0)
        printf("matched no trigger");
    size_t i;
    json_t *route;
    json_array_foreach(routes, i, route) {
        const char *playbook = json_string_value(json_object_get(route, "playbook"));
        const char *instance = json_string_value(json_object_get(route, "instance"));
        const char *error = json_string_value(json_object_get(route, "error"));
        printf("%s", i ? "; " : "");
        if (json_object_get(route, "directory"))
            printf("directory changed (%s)", json_string_value(json_object_get(route, "directory")));
        else if (instance)
            printf("%s %s (%s)", json_string_value(json_object_get(route, "as")), instance, playbook);
        else if (error)
            printf("did not match %s: %s", playbook, error);
        else
            printf("counted by %s (threshold not reached)", playbook);
    }
    putchar('\n');
}

static void trigger_report_json(const char *id, bool duplicate, const json_t *routes)
{
    json_t *report = json_pack("{s:s, s:b, s:O}", "id", id, "duplicate", duplicate, "went",
                               routes ? routes : json_null());
    char *text = json_dumps(report, JSON_COMPACT | JSON_PRESERVE_ORDER);
    printf("%s\n", text ? text : "{}");
    free(text);
    json_decref(report);
}

int cli_trigger(int argc, char **argv)
{
    StoreArgs a;
    int status = store_args_parse("trigger", argc, argv, &a);
    if (status != CLI_OK)
        return status;
    const char *kind = a.positional_count == 1 ? a.positional[0] : NULL;
    const char *dot = kind ? strchr(kind, '.') : NULL;
    if (!dot || dot == kind || !dot[1])
        return cli_usage_error("trigger", "give the event as SOURCE.TYPE");
    json_t *data = cli_read_stdin_json();
    if (!data)
        return CLI_REFUSED;
    Engine *engine;
    if ((status = store_args_open(&a, false, &engine)) != CLI_OK) {
        json_decref(data);
        return status;
    }
    int64_t now, event_time;
    status = store_args_now(&a, engine, &now);
    event_time = now;
    if (status == CLI_OK && a.time && !value_parse_time(a.time, &event_time)) {
        fprintf(stderr, "huddle: --time %s is not an RFC 3339 time\n", a.time);
        status = CLI_USAGE;
    }
    if (status == CLI_OK) {
        char source[128], id[96], why[512];
        snprintf(source, sizeof source, "%.*s", (int)(dot - kind), kind);
        if (a.id)
            snprintf(id, sizeof id, "%s", a.id);
        else
            snprintf(id, sizeof id, "cli-%lld-%ld", (long long)now, (long)getpid());
        bool duplicate;
        int rc = engine_event(engine, source, dot + 1, id, data, event_time, now, &duplicate, why, sizeof why);
        if (rc < 0)
            fprintf(stderr, "huddle: trigger: %s\n", why);
        else if (a.json)
            trigger_report_json(id, duplicate, engine_event_routes(engine));
        else
            trigger_report(id, duplicate, engine_event_routes(engine));
        status = cli_status_of(rc);
    }
    json_decref(data);
    engine_close(engine);
    return status;
}

/* ---- answer and tick ---- */

static int answer_apply(Engine *engine, const StoreArgs *a, int64_t now, char *why, size_t len)
{
    return engine_answer(engine, a->positional[0], a->by, a->positional[1], a->comment, now, why, len);
}

static void answer_report(const StoreArgs *a)
{
    printf("answered %s: %s\n", a->positional[0], a->positional[1]);
}

int cli_answer(int argc, char **argv)
{
    StoreArgs a;
    int status = store_args_parse("answer", argc, argv, &a);
    if (status != CLI_OK)
        return status;
    if (a.positional_count != 2 || !a.by)
        return cli_usage_error("answer", "give TASK CHOICE --by PERSON");
    return store_command_write("answer", &a, answer_apply, answer_report);
}

static int tick_apply(Engine *engine, const StoreArgs *a, int64_t now, char *why, size_t len)
{
    int days = a->dedup_days ? atoi(a->dedup_days) : 30;
    if (days < 1) {
        snprintf(why, len, "--dedup-days must be a whole number of days, 1 or more");
        return -1;
    }
    int rc = engine_fire_due(engine, now, why, len);
    return rc == 0 ? engine_purge_seen(engine, now, days, why, len) : rc;
}

static void tick_report(const StoreArgs *a)
{
    (void)a;
}

int cli_tick(int argc, char **argv)
{
    StoreArgs a;
    int status = store_args_parse("tick", argc, argv, &a);
    if (status != CLI_OK)
        return status;
    if (a.positional_count != 0)
        return cli_usage_error("tick", "tick takes no arguments but options");
    return store_command_write("tick", &a, tick_apply, tick_report);
}

/* ---- reading ---- */

static const char *field(const json_t *object, const char *name)
{
    const char *text = json_string_value(json_object_get(object, name));
    return text ? text : "";
}

int cli_instances(int argc, char **argv)
{
    StoreArgs a;
    int status = store_args_parse("instances", argc, argv, &a);
    if (status != CLI_OK)
        return status;
    Engine *engine;
    if ((status = store_args_open(&a, false, &engine)) != CLI_OK)
        return status;
    json_t *all, *shown = json_array();
    char why[512];
    if (engine_instances(engine, &all, why, sizeof why) != ENGINE_OK) {
        fprintf(stderr, "huddle: instances: %s\n", why);
        json_decref(shown);
        engine_close(engine);
        return CLI_SYSTEM;
    }
    size_t i;
    json_t *in;
    json_array_foreach(all, i, in)
        if ((!a.playbook || strcmp(field(in, "playbook"), a.playbook) == 0) &&
            (!a.status || strcmp(field(in, "status"), a.status) == 0))
            json_array_append(shown, in);
    if (a.json) {
        char *text = json_dumps(shown, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
        printf("%s\n", text);
        free(text);
    } else {
        printf("%-6s %-24s %-9s %-20s %-14s %s\n", "id", "playbook", "status", "state", "version", "outcome");
        json_array_foreach(shown, i, in)
            printf("%-6s %-24s %-9s %-20s %.12s   %s\n", field(in, "id"), field(in, "playbook"),
                   field(in, "status"), field(in, "state"), field(in, "version"), field(in, "outcome"));
    }
    json_decref(all);
    json_decref(shown);
    engine_close(engine);
    return CLI_OK;
}

int cli_history(int argc, char **argv)
{
    StoreArgs a;
    int status = store_args_parse("history", argc, argv, &a);
    if (status != CLI_OK)
        return status;
    if (a.positional_count != 1)
        return cli_usage_error("history", "give one INSTANCE, e.g. i1");
    Engine *engine;
    if ((status = store_args_open(&a, false, &engine)) != CLI_OK)
        return status;
    json_t *records;
    char why[512];
    int rc = engine_history(engine, a.positional[0], &records, why, sizeof why);
    if (rc == ENGINE_REFUSED)
        fprintf(stderr, "huddle: history: %s in %s\n", why, a.db);
    else if (rc != ENGINE_OK)
        fprintf(stderr, "huddle: history: %s\n", why);
    status = cli_status_of(rc);
    size_t i;
    json_t *r;
    json_array_foreach(records, i, r) {
        if (a.json) {
            char *text = json_dumps(r, JSON_COMPACT | JSON_PRESERVE_ORDER);
            printf("%s\n", text);
            free(text);
            continue;
        }
        printf("%-20.19s %3lld  %-10s %-18s", field(r, "at"), (long long)json_integer_value(json_object_get(r, "seq")),
               field(r, "kind"), field(r, "state"));
        json_t *copy = json_deep_copy(r);
        static const char *const COMMON[] = {"at", "instance", "seq", "kind", "state"};
        for (size_t k = 0; k < 5; k++)
            json_object_del(copy, COMMON[k]);
        char *rest = json_dumps(copy, JSON_COMPACT | JSON_PRESERVE_ORDER);
        printf(" %s\n", rest && strcmp(rest, "{}") ? rest : "");
        free(rest);
        json_decref(copy);
    }
    json_decref(records);
    engine_close(engine);
    return status;
}

int cli_tasks(int argc, char **argv)
{
    StoreArgs a;
    int status = store_args_parse("tasks", argc, argv, &a);
    if (status != CLI_OK)
        return status;
    Engine *engine;
    if ((status = store_args_open(&a, false, &engine)) != CLI_OK)
        return status;
    json_t *tasks;
    char why[512];
    if (engine_open_tasks(engine, a.for_person, &tasks, why, sizeof why) != ENGINE_OK) {
        fprintf(stderr, "huddle: tasks: %s\n", why);
        engine_close(engine);
        return CLI_SYSTEM;
    }
    if (a.json) {
        char *text = json_dumps(tasks, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
        printf("%s\n", text);
        free(text);
    } else if (json_array_size(tasks) == 0) {
        printf("no open asks%s%s\n", a.for_person ? " for " : "", a.for_person ? a.for_person : "");
    }
    size_t i;
    json_t *t;
    json_array_foreach(a.json ? NULL : tasks, i, t) {
        printf("%s  %s (%s)  due %s\n  %s\n  choices:", field(t, "id"), field(t, "instance"), field(t, "state"),
               field(t, "deadline"), field(t, "question"));
        size_t k;
        json_t *c;
        json_array_foreach(json_object_get(t, "choices"), k, c)
            printf(" %s%s", field(c, "id"), json_is_true(json_object_get(c, "with_comment")) ? " (with comment)" : "");
        printf("\n  seats:");
        json_t *seat;
        json_array_foreach(json_object_get(t, "seats"), k, seat) {
            char *holders = json_dumps(json_object_get(seat, "holders"), JSON_COMPACT);
            printf(" %s%s", holders, json_is_null(json_object_get(seat, "answered_by")) ? "" : " (answered)");
            free(holders);
        }
        if (json_is_object(json_object_get(t, "show"))) {
            char *show = json_dumps(json_object_get(t, "show"), JSON_COMPACT | JSON_PRESERVE_ORDER);
            printf("\n  context: %s", show);
            free(show);
        }
        printf("\n\n");
    }
    json_decref(tasks);
    engine_close(engine);
    return CLI_OK;
}

/* ---- operators ---- */

static int retry_apply(Engine *engine, const StoreArgs *a, int64_t now, char *why, size_t len)
{
    return engine_retry(engine, a->positional[0], a->go, now, why, len);
}

static void retry_report(const StoreArgs *a)
{
    printf("retried %s%s%s\n", a->positional[0], a->go ? " in state " : "", a->go ? a->go : "");
}

int cli_retry(int argc, char **argv)
{
    StoreArgs a;
    int status = store_args_parse("retry", argc, argv, &a);
    if (status != CLI_OK)
        return status;
    if (a.positional_count != 1)
        return cli_usage_error("retry", "give one INSTANCE");
    return store_command_write("retry", &a, retry_apply, retry_report);
}

static int cancel_apply(Engine *engine, const StoreArgs *a, int64_t now, char *why, size_t len)
{
    return engine_cancel(engine, a->positional[0], a->by, a->reason, now, why, len);
}

static void cancel_report(const StoreArgs *a)
{
    printf("cancelled %s\n", a->positional[0]);
}

int cli_cancel(int argc, char **argv)
{
    StoreArgs a;
    int status = store_args_parse("cancel", argc, argv, &a);
    if (status != CLI_OK)
        return status;
    if (a.positional_count != 1 || !a.by || !a.reason)
        return cli_usage_error("cancel", "give INSTANCE --by PERSON --reason TEXT");
    return store_command_write("cancel", &a, cancel_apply, cancel_report);
}

static int resolve_apply(Engine *engine, const StoreArgs *a, int64_t now, char *why, size_t len)
{
    return engine_resolve(engine, a->positional[0], a->positional[1], a->by, a->reason, now, why, len);
}

static void resolve_report(const StoreArgs *a)
{
    printf("resolved %s: %s (overridden by %s)\n", a->positional[0], a->positional[1], a->by);
}

int cli_resolve(int argc, char **argv)
{
    StoreArgs a;
    int status = store_args_parse("resolve", argc, argv, &a);
    if (status != CLI_OK)
        return status;
    if (a.positional_count != 2 || !a.by || !a.reason)
        return cli_usage_error("resolve", "give TASK CHOICE --by PERSON --reason TEXT");
    return store_command_write("resolve", &a, resolve_apply, resolve_report);
}

static int reassign_apply(Engine *engine, const StoreArgs *a, int64_t now, char *why, size_t len)
{
    return engine_reassign(engine, a->positional[0], a->from, a->to, a->by, now, why, len);
}

static void reassign_report(const StoreArgs *a)
{
    printf("reassigned %s: %s's seat now held by %s\n", a->positional[0], a->from, a->to);
}

int cli_reassign(int argc, char **argv)
{
    StoreArgs a;
    int status = store_args_parse("reassign", argc, argv, &a);
    if (status != CLI_OK)
        return status;
    if (a.positional_count != 1 || !a.by || !a.from || !a.to)
        return cli_usage_error("reassign", "give TASK --from HOLDER --to PERSON --by PERSON");
    return store_command_write("reassign", &a, reassign_apply, reassign_report);
}

static int undeploy_apply(Engine *engine, const StoreArgs *a, int64_t now, char *why, size_t len)
{
    return engine_undeploy(engine, a->positional[0], now, why, len);
}

static void undeploy_report(const StoreArgs *a)
{
    printf("undeployed %s: no new instances start; running ones go on\n", a->positional[0]);
}

int cli_undeploy(int argc, char **argv)
{
    StoreArgs a;
    int status = store_args_parse("undeploy", argc, argv, &a);
    if (status != CLI_OK)
        return status;
    if (a.positional_count != 1)
        return cli_usage_error("undeploy", "give one playbook NAME");
    return store_command_write("undeploy", &a, undeploy_apply, undeploy_report);
}

static int ack_apply(Engine *engine, const StoreArgs *a, int64_t now, char *why, size_t len)
{
    return engine_ack(engine, a->positional[0], a->by, now, why, len);
}

static void ack_report(const StoreArgs *a)
{
    printf("%s acknowledged %s: their seats escalate no further\n", a->by, a->positional[0]);
}

int cli_ack(int argc, char **argv)
{
    StoreArgs a;
    int status = store_args_parse("ack", argc, argv, &a);
    if (status != CLI_OK)
        return status;
    if (a.positional_count != 1 || !a.by)
        return cli_usage_error("ack", "give TASK --by PERSON");
    return store_command_write("ack", &a, ack_apply, ack_report);
}

/* huddle directory load FILE | show [ID] */
int cli_directory(int argc, char **argv)
{
    StoreArgs a;
    int status = store_args_parse("directory", argc, argv, &a);
    if (status != CLI_OK)
        return status;
    const char *verb = a.positional_count ? a.positional[0] : "";
    bool load = strcmp(verb, "load") == 0, show = strcmp(verb, "show") == 0;
    if ((!load && !show) || (load && a.positional_count != 2) || (show && a.positional_count > 2))
        return cli_usage_error("directory", "give 'load FILE' or 'show [ID]'");
    json_t *json = NULL;
    if (load) {
        json_error_t error;
        json = json_load_file(a.positional[1], JSON_REJECT_DUPLICATES, &error);
        if (!json) {
            fprintf(stderr, "huddle: %s:%d:%d: %s\n", a.positional[1], error.line, error.column, error.text);
            return CLI_REFUSED;
        }
    }
    Engine *engine;
    if ((status = store_args_open(&a, load, &engine)) != CLI_OK) {
        json_decref(json);
        return status;
    }
    if (load) {
        int64_t now;
        status = store_args_now(&a, engine, &now);
        char why[8192];
        int rc = status == CLI_OK ? engine_directory_load(engine, json, now, why, sizeof why) : 0;
        if (rc < 0)
            fprintf(stderr, "huddle: %s is not a valid directory; nothing changed:\n%s\n", a.positional[1], why);
        else if (status == CLI_OK)
            printf("loaded %zu people, %zu teams, %zu calendars\n", json_object_size(json_object_get(json, "people")),
                   json_object_size(json_object_get(json, "teams")), json_object_size(json_object_get(json, "calendars")));
        if (status == CLI_OK)
            status = cli_status_of(rc);
    } else {
        json_t *dir = NULL;
        char why[512];
        int rc = engine_directory(engine, &dir, why, sizeof why);
        json_t *shown = dir;
        if (dir && a.positional_count == 2) {
            shown = NULL;
            static const char *const SECTIONS[] = {"people", "teams", "calendars", "roles", "owners"};
            for (int i = 0; i < 5 && !shown; i++)
                shown = json_object_get(json_object_get(dir, SECTIONS[i]), a.positional[1]);
        }
        if (rc != ENGINE_OK) {
            fprintf(stderr, "huddle: directory: %s\n", why);
            status = cli_status_of(rc);
        } else if (!shown) {
            fprintf(stderr, "huddle: directory: %s\n", dir ? "no such id" : "no directory is loaded");
            status = CLI_REFUSED;
        } else {
            char *text = json_dumps(shown, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
            printf("%s\n", text);
            free(text);
        }
        json_decref(dir);
    }
    json_decref(json);
    engine_close(engine);
    return status;
}
