/*
 * cli_outbox.c - `huddle outbox`: what the outbox holds (waiting or failed for good),
 * and `huddle outbox retry KEY`, which makes a failed entry pending again so that the
 * next tick (or serve) sends it, with the same idempotency keys.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cli.h"
#include "engine.h"

typedef struct OutboxArgs {
    const char *db, *now_text, *key;
    const char *status;             /* --pending, --failed: "pending" / "failed"; NULL: all */
    bool json, retry;
} OutboxArgs;

static int outbox_args(int argc, char **argv, OutboxArgs *a)
{
    memset(a, 0, sizeof *a);
    a->db = getenv("HUDDLE_DB") && *getenv("HUDDLE_DB") ? getenv("HUDDLE_DB") : "huddle.db";
    for (int i = 1; i < argc; i++)
        if (strcmp(argv[i], "retry") == 0 && (i == 1 || strcmp(argv[i - 1], "--db") != 0)) {
            a->retry = true;
            argv[i] = NULL;   /* read: the command's word, not an argument */
            break;
        }
    CliSeen seen = {.count = 0};
    for (int i = 1; i < argc; i++) {
        if (!argv[i])
            continue;
        const char *arg = argv[i];
        const char **slot = strcmp(arg, "--db") == 0 ? &a->db : strcmp(arg, "--now") == 0 ? &a->now_text : NULL;
        if (slot) {
            if (cli_option_value("outbox", argc, argv, &i, slot, &seen) != CLI_OK)
                return CLI_USAGE;
        } else if (strcmp(arg, "--json") == 0)
            a->json = true;
        else if (!a->retry && (strcmp(arg, "--pending") == 0 || strcmp(arg, "--failed") == 0)) {
            if (a->status && strcmp(a->status, arg + 2) != 0)
                return cli_usage_error("outbox", "give --pending or --failed, not both (neither lists every entry)");
            a->status = arg + 2;
        }
        else if (a->retry && arg[0] != '-' && !a->key)
            a->key = arg;
        else
            return cli_usage_error("outbox", "unknown or misplaced argument '%s'", cli_clean(arg));
    }
    if (a->retry && (!a->key || !a->key[0]))
        return cli_usage_error("outbox", "outbox retry needs the KEY of a failed entry (huddle outbox --failed lists them)");
    if (a->now_text && !a->retry)
        return cli_usage_error("outbox", "--now is for outbox retry");
    return cli_check_db("outbox", a->db);
}

static void outbox_print(const json_t *entries, const char *status)
{
    if (json_array_size(entries) == 0) {   /* --failed with only pending entries is not "empty" */
        if (status)
            printf("no %s entry in the outbox\n", status);
        else
            printf("the outbox is empty\n");
        return;
    }
    size_t i;
    json_t *e;
    json_array_foreach(entries, i, e) {
        const char *kind = json_string_value(json_object_get(e, "kind"));
        const char *instance = json_string_value(json_object_get(e, "instance"));
        printf("%s %s %s ", json_string_value(json_object_get(e, "key")), json_string_value(json_object_get(e, "status")),
               instance && *instance ? instance : "-");   /* "-": a head publication */
        if (kind && strcmp(kind, "message") == 0) {
            printf("message (%s) to", cli_clean(json_string_value(json_object_get(e, "about"))));
            size_t k;
            json_t *to;
            json_array_foreach(json_object_get(e, "to"), k, to)
                printf(" %s(%s)", cli_clean(json_string_value(json_object_get(to, "person"))),
                       json_string_value(json_object_get(to, "state")));
        } else {
            printf("%s %s.%s", kind ? kind : "call", cli_clean(json_string_value(json_object_get(e, "connector"))),
                   cli_clean(json_string_value(json_object_get(e, "operation"))));
        }
        printf(", %lld attempt%s", (long long)json_integer_value(json_object_get(e, "attempts")),
               json_integer_value(json_object_get(e, "attempts")) == 1 ? "" : "s");
        if (strcmp(json_string_value(json_object_get(e, "status")), "failed") != 0)   /* no next try */
            printf(", next %s", json_string_value(json_object_get(e, "next")));
        if (json_is_string(json_object_get(e, "leased_until")))
            printf(" (leased: a tick or serve claimed it, and it is not tried again before then)");
        if (json_is_string(json_object_get(e, "waiting")))
            printf(", waiting (not tried, no attempt counted, until it is set): %s",
                   cli_clean(json_string_value(json_object_get(e, "waiting"))));
        else if (json_is_string(json_object_get(e, "error")))
            printf(", last error: %s", cli_clean(json_string_value(json_object_get(e, "error"))));
        putchar('\n');
    }
}

/* Engine time for the retry: --now (never before the store's), else the wall clock. */
static int outbox_now(const OutboxArgs *a, Engine *engine, int64_t *now)
{
    int64_t at = 0;
    int32_t offset = 0;
    if (a->now_text) {
        int status = cli_parse_time("outbox", "--now", a->now_text, &at, &offset);
        if (status != CLI_OK)
            return status;
    }
    return cli_engine_now(engine, a->now_text ? &at : NULL, offset, now);
}

/* What a committed retry did, as the other writes say it: the sentence and a line per
   instance the timers fired before it touched, or with --json {"retry": KEY, "status":
   "pending", "instances", "records"}. */
static int outbox_retry_report(const OutboxArgs *a, Engine *engine, const json_t *records)
{
    char why[512];
    json_t *touched = cli_touched(engine, records, why, sizeof why);
    if (!touched) {
        fprintf(stderr, "huddle: outbox retry: %s is pending again, but where the instances the timers "
                "touched stand cannot be read: %s\n", cli_clean(a->key), cli_clean(why));
        return CLI_SYSTEM;
    }
    if (a->json) {
        json_t *report = json_pack("{s:s,s:s,s:O,s:O}", "retry", a->key, "status", "pending", "instances", touched,
                                   "records", records);
        char *text = cli_json_dumps(report, JSON_COMPACT | JSON_PRESERVE_ORDER);
        printf("%s\n", text ? text : "null");
        free(text);
        json_decref(report);
    } else {
        printf("%s is pending again: the next huddle tick (or serve) sends it\n", cli_clean(a->key));
        cli_print_touched(touched, records);
    }
    json_decref(touched);
    return CLI_OK;
}

static int outbox_retry(const OutboxArgs *a, Engine *engine, const json_t *records)
{
    int64_t now;
    int status = outbox_now(a, engine, &now);
    if (status != CLI_OK)
        return status;
    char why[512];
    int rc = engine_outbox_retry(engine, a->key, now, why, sizeof why);
    if (rc == ENGINE_REFUSED) {
        fprintf(stderr, "huddle: outbox retry: %s\n", why);
        return CLI_REFUSED;
    }
    if (rc != ENGINE_OK) {
        fprintf(stderr, "huddle: outbox retry: %s\n", why);
        return CLI_SYSTEM;
    }
    return outbox_retry_report(a, engine, records);
}

int cli_outbox(int argc, char **argv)
{
    OutboxArgs a;
    int status = outbox_args(argc, argv, &a);
    if (status != CLI_OK)
        return status;
    EngineOptions options = {0};
    json_t *records = json_array();
    options.read_only = !a.retry;
    options.on_record = a.retry ? cli_collect_record : NULL;   /* the timers due by its time fire first */
    options.record_context = records;
    Engine *engine;
    char why[512];
    if (engine_open(a.db, &options, &engine, why, sizeof why) != ENGINE_OK) {
        fprintf(stderr, "huddle: %s\n", why);
        json_decref(records);
        return CLI_SYSTEM;
    }
    if (a.retry) {
        status = outbox_retry(&a, engine, records);
        engine_close(engine);
        json_decref(records);
        return status;
    }
    json_decref(records);
    json_t *entries;
    int64_t kept;   /* the store's engine time: a lease that ended by then is shown as due */
    if (engine_time(engine, &kept, why, sizeof why) != ENGINE_OK ||
        engine_outbox_list(engine, a.status, kept, &entries, why, sizeof why) != ENGINE_OK) {
        fprintf(stderr, "huddle: outbox: %s\n", why);
        engine_close(engine);
        return CLI_SYSTEM;
    }
    if (a.json) {
        char *text = cli_json_dumps(entries, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
        printf("%s\n", text ? text : "[]");
        free(text);
    } else {
        outbox_print(entries, a.status);
    }
    json_decref(entries);
    engine_close(engine);
    return CLI_OK;
}
