/*
 * cli_store.c - the commands that work on a store (--db DIR): deploy, connectors,
 * trigger, answer, tick, instances, tasks, history.
 *
 * Every write command takes --now T (RFC 3339) for virtual engine time; without it the
 * wall clock is used. A --now earlier than the store's engine time is refused.
 * Exit status: 0 ok, 1 input refused (nothing changed), 2 usage, 3 store or system error.
 * Arguments are checked strictly before the store is opened (cli_door.c): a malformed
 * one is exit 2 naming it; text from outside is shown through cli_clean.
 */
#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "bytecode.h"
#include "check.h"
#include "cli.h"
#include "connectors_file.h"
#include "directory.h"
#include "json_file.h"
#include "tz.h"
#include "engine.h"
#include "text.h"
#include "utf8.h"
#include "value_json.h"

/* The most arguments that are not options a command takes: deploy's playbooks (every
   other command takes up to two, and says so itself). */
#define STORE_ARGS_POSITIONAL_MAX 1024

/* Options every store command understands. */
typedef struct StoreArgs {
    const char *db;
    const char *now_text;
    bool json;
    bool all_stalled;               /* retry --all-stalled */
    const char *positional[STORE_ARGS_POSITIONAL_MAX];   /* slices of argv */
    int positional_count;
    const char *by, *comment, *id, *time, *for_person, *playbook, *status, *go, *reason;
    const char *dedup_days, *from, *to, *max_body, *tag, *case_key, *since, *until;
    const char *connectors;         /* deploy --connectors FILE */
    const char *file, *batch;       /* trigger --file EVENTS.jsonl --batch N */
    int64_t now_ms, time_ms;        /* --now and --time, parsed by store_args_check */
    int64_t since_ms, until_ms;     /* --since and --until, parsed */
    int64_t dedup;                  /* --dedup-days, parsed (0: the store's period) */
    int32_t now_offset;             /* --now's own offset, in seconds */
    json_t *records;                /* the records this command's writes committed */
    bool read_only;                 /* the command only reads: an old store is not converted */
} StoreArgs;

/* The checks every command's arguments pass whatever the command: text is UTF-8 (file
   names excepted: the store's folder, deploy's playbooks and connectors file,
   directory load's file),
   people are person ids, a status is one there is. */
static int store_args_check(const char *command, int argc, char **argv, StoreArgs *a)
{
    bool files = strcmp(command, "deploy") == 0 || strcmp(command, "directory") == 0;
    for (int i = 1; i < argc; i++) {
        size_t len = strlen(argv[i]);
        bool positional = false;
        for (int k = 0; k < a->positional_count; k++)
            positional |= argv[i] == a->positional[k];
        bool file = argv[i] == a->connectors || argv[i] == a->file || (files && positional);
        if (file && len == 0)   /* "huddle: : No such file or directory" named nothing */
            return cli_usage_error(command, "argument %d is an empty file name: give the path of a file", i);
        if (file || argv[i] == a->db)
            continue;
        if (utf8_valid_prefix((const unsigned char *)argv[i], len) != len)
            return cli_usage_error(command, "argument %d ('%s') is not UTF-8 text", i, cli_clean(argv[i]));
    }
    static const char *const FLAGS[] = {"--by", "--from", "--to", "--for"};
    const char *const people[] = {a->by, a->from, a->to, a->for_person};
    for (int i = 0; i < 4; i++)
        if (cli_check_person(command, FLAGS[i], people[i]) != CLI_OK)
            return CLI_USAGE;
    if (a->playbook && !a->playbook[0])   /* not a filter that keeps nothing, as ?playbook= over HTTP */
        return cli_usage_error(command, "--playbook is empty: give a playbook name, or leave it out for every one");
    if (a->status && !cli_instance_status_known(a->status))
        return cli_usage_error(command, "--status '%s' is not a status (" CLI_INSTANCE_STATUSES ")",
                               cli_clean(a->status));
    a->dedup = 0;
    if (a->dedup_days && !text_parse_count(a->dedup_days, 1, 36500, &a->dedup))
        return cli_usage_error(command, "--dedup-days '%s' is not a whole number of days from 1 to 36500",
                               cli_clean(a->dedup_days));
    int status = a->now_text ? cli_parse_time(command, "--now", a->now_text, &a->now_ms, &a->now_offset) : CLI_OK;
    if (status == CLI_OK && a->time)
        status = cli_parse_time(command, "--time", a->time, &a->time_ms, NULL);
    if (status == CLI_OK && a->since)
        status = cli_parse_filter_time(command, "--since", a->since, &a->since_ms);
    if (status == CLI_OK && a->until)
        status = cli_parse_filter_time(command, "--until", a->until, &a->until_ms);
    return status;
}

static int store_args_parse(const char *command, int argc, char **argv, StoreArgs *a)
{
    memset(a, 0, sizeof *a);
    const char *env = getenv("HUDDLE_DB");
    a->db = env && *env ? env : "huddle.db";   /* --db, else $HUDDLE_DB, else ./huddle.db */
    CliSeen seen = {.count = 0};
    bool rest = false;
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        if (cli_options_end(arg, &rest))
            continue;
        const char **slot = rest ? NULL : strcmp(arg, "--db") == 0 ? &a->db
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
                          : strcmp(arg, "--max-body") == 0 ? &a->max_body
                          : strcmp(arg, "--tag") == 0 ? &a->tag
                          : strcmp(arg, "--case") == 0 ? &a->case_key
                          : strcmp(arg, "--since") == 0 ? &a->since
                          : strcmp(arg, "--until") == 0 ? &a->until
                          : strcmp(arg, "--connectors") == 0 ? &a->connectors
                          : strcmp(arg, "--file") == 0 ? &a->file
                          : strcmp(arg, "--batch") == 0 ? &a->batch
                          : strcmp(arg, "--to") == 0 ? &a->to : NULL;
        bool option = !rest && cli_is_option(arg);
        if (option && !cli_takes_option(command, arg))
            return cli_usage_error(command, "%s takes no option '%s' ('huddle help %s' lists its options)", command,
                                   cli_clean(arg), command);
        if (slot) {
            if (cli_option_value(command, argc, argv, &i, slot, &seen) != CLI_OK)
                return CLI_USAGE;
        } else if (option && strcmp(arg, "--json") == 0) {
            a->json = true;
        } else if (option && strcmp(arg, "--all-stalled") == 0) {
            a->all_stalled = true;
        } else if (option) {
            return cli_usage_error(command, "unknown option '%s'", cli_clean(arg));
        } else if (a->positional_count < STORE_ARGS_POSITIONAL_MAX) {
            a->positional[a->positional_count++] = arg;
        } else {
            return cli_usage_error(command, "too many arguments (at most %d at a time)", STORE_ARGS_POSITIONAL_MAX);
        }
    }
    if (cli_check_db(command, a->db) != CLI_OK)
        return CLI_USAGE;
    return store_args_check(command, argc, argv, a);
}

/* The usage error of a command that takes `want` words besides its options, which
   `form` shows: a word past them is named (a text given without the --comment or
   --reason before it, say), else the form is given. */
static int store_args_words(const char *command, const StoreArgs *a, int want, const char *form)
{
    if (a->positional_count > want)
        return cli_usage_error(command, "unexpected argument '%s': give %s", cli_clean(a->positional[want]), form);
    return cli_usage_error(command, "give %s", form);
}

void cli_collect_record(void *context, const json_t *record)
{
    json_array_append(context, (json_t *)record);   /* made for the hook alone: kept as it is */
}

/* Opens the engine on the store (creating it only for deploy); the records its writes
   commit are kept in a->records (not for trigger --file, which may write millions). */
static int store_args_open(StoreArgs *a, bool create, Engine **engine)
{
    char why[512];
    EngineOptions options = {0};
    options.create = create;
    if (!a->records)
        a->records = json_array();
    options.on_record = a->file ? NULL : cli_collect_record;
    options.record_context = a->records;
    options.read_only = a->read_only;
    if (engine_open(a->db, &options, engine, why, sizeof why) != ENGINE_OK) {
        fprintf(stderr, "huddle: %s\n", why);
        json_decref(a->records);
        a->records = NULL;
        return CLI_SYSTEM;
    }
    if (engine_notice(*engine))
        fprintf(stderr, "huddle: %s\n", engine_notice(*engine));
    return CLI_OK;
}

/* Closes the engine and lets the collected records go. */
static void store_args_close(StoreArgs *a, Engine *engine)
{
    engine_close(engine);
    json_decref(a->records);
    a->records = NULL;
}

/* Engine time for a write: --now, or the wall clock; never before the store's time.
   A --now that is too early is refused with both times in its own offset, and the way
   out (RUNTIME.md, "Limits and damage"). */
static int store_args_now(const StoreArgs *a, Engine *engine, int64_t *now)
{
    return cli_engine_now(engine, a->now_text ? &a->now_ms : NULL, a->now_offset, now);
}

/* cli_engine_now's time, given the store's: CLI_REFUSED, saying nothing, for a --now
   earlier than it. */
static int cli_engine_now_quiet(const int64_t *now_ms, int64_t kept, int64_t *now)
{
    if (now_ms) {
        *now = *now_ms;
        return *now < kept ? CLI_REFUSED : CLI_OK;
    }
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    *now = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
    if (*now < kept)
        *now = kept;   /* a wall clock that stepped back is held */
    return CLI_OK;
}

int cli_engine_now(Engine *engine, const int64_t *now_ms, int32_t now_offset, int64_t *now)
{
    int64_t kept;
    char why[512];
    if (engine_time(engine, &kept, why, sizeof why) != ENGINE_OK) {
        fprintf(stderr, "huddle: %s\n", why);
        return CLI_SYSTEM;
    }
    if (now_ms) {
        *now = *now_ms;
        if (*now < kept) {
            StrBuf asked = STRBUF_INIT, store = STRBUF_INIT;
            value_write_time(*now, now_offset, &asked);
            value_write_time(kept, now_offset, &store);
            fprintf(stderr, "huddle: --now %s is earlier than this store's engine time %s, and a store's "
                    "clock never goes back (a write without --now moves it to the wall clock). To "
                    "simulate other times, use another --db, or huddle run.\n",
                    strbuf_text(&asked), strbuf_text(&store));
            strbuf_free(&asked);
            strbuf_free(&store);
            return CLI_REFUSED;
        }
    }
    return cli_engine_now_quiet(now_ms, kept, now);
}

static int cli_status_of(int rc)
{
    return rc == ENGINE_OK ? CLI_OK : rc == ENGINE_REFUSED ? CLI_REFUSED : CLI_SYSTEM;
}

/* A string field of a stored object, for human output: "" when absent, and with its
   control characters made visible (cli_clean; borrowed, see there). */
static const char *field(const json_t *object, const char *name)
{
    return cli_clean(json_string_value(json_object_get(object, name)));
}

/* The same field as stored, for comparing: "" when absent. */
static const char *field_raw(const json_t *object, const char *name)
{
    const char *text = json_string_value(json_object_get(object, name));
    return text ? text : "";
}

/* A `delivered` record: the outbox noting that an effect reached its channel, after the
   instance's step; it moves no instance, and tick's line "outbox: N delivered" counts it. */
static bool record_is_delivery(const json_t *record)
{
    const char *kind = json_string_value(json_object_get(record, "kind"));
    return kind && strcmp(kind, "delivered") == 0;
}

/* Where each instance the records touched stands now: {"id", "status", "state",
   "outcome", "task"} (its open ask, or null), in id order. What came next after a write:
   one read of each instance the records name (engine_instances_now), however large the
   store. NULL with why[] when the store cannot be read. */
json_t *cli_touched(Engine *engine, const json_t *records, char *why, size_t why_len)
{
    json_t *ids = json_array(), *seen = json_object(), *now = NULL, *touched = json_array();
    size_t i;
    json_t *r, *in;
    json_array_foreach(records, i, r) {
        const char *id = json_string_value(json_object_get(r, "instance"));
        if (id && !record_is_delivery(r) && !json_object_get(seen, id)) {
            json_object_set_new(seen, id, json_true());
            json_array_append_new(ids, json_string(id));
        }
    }
    int rc = json_array_size(ids) ? engine_instances_now(engine, ids, &now, why, why_len) : ENGINE_OK;
    json_array_foreach(rc == ENGINE_OK ? now : NULL, i, in)   /* none: only deliveries noted */
        json_array_append_new(touched, json_pack("{s:O,s:O,s:O,s:O,s:O}", "id", json_object_get(in, "id"),
                                                 "status", json_object_get(in, "status"), "state",
                                                 json_object_get(in, "state"), "outcome",
                                                 json_object_get(in, "outcome"), "task", json_object_get(in, "task")));
    json_decref(ids);
    json_decref(seen);
    json_decref(now);
    if (rc != ENGINE_OK) {
        json_decref(touched);
        return NULL;
    }
    return touched;
}

/* The error of the last `stalled` record of INSTANCE among RECORDS (the reason this
   write stalled it), or NULL when it wrote none: borrowed from RECORDS. */
static const char *store_stall_reason(const json_t *records, const char *instance)
{
    const char *reason = NULL;
    size_t i;
    json_t *r;
    json_array_foreach(records, i, r)
        if (strcmp(field_raw(r, "kind"), "stalled") == 0 && strcmp(field_raw(r, "instance"), instance) == 0)
            reason = json_string_value(json_object_get(r, "error"));
    return reason;
}

/* Human lines for what came next: "  i1: now asks t2 (in confirm)", "  i1: done: refunded",
   "  i1: stalled: f.play:6: division by zero" (the reason from the records the write made). */
void cli_print_touched(const json_t *touched, const json_t *records)
{
    size_t i;
    json_t *in;
    json_array_foreach(touched, i, in) {
        const char *status = json_string_value(json_object_get(in, "status"));
        const char *id = cli_clean(json_string_value(json_object_get(in, "id")));
        const char *outcome = json_string_value(json_object_get(in, "outcome"));
        if (!outcome && status && strcmp(status, "stalled") == 0)
            outcome = store_stall_reason(records, field_raw(in, "id"));
        if (json_is_string(json_object_get(in, "task")))
            printf("  %s: now asks %s (in %s)\n", id, cli_clean(json_string_value(json_object_get(in, "task"))),
                   cli_clean(json_string_value(json_object_get(in, "state"))));
        else if (status && strcmp(status, "running") != 0)
            printf("  %s: %s%s%s\n", id, status, outcome ? ": " : "", outcome ? cli_clean(outcome) : "");
        else
            printf("  %s: waits in %s\n", id, cli_clean(json_string_value(json_object_get(in, "state"))));
    }
}

/* Prints JSON for a program: compact, keys in their order. */
static void print_json_line(const json_t *json)
{
    char *text = cli_json_dumps(json, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_ENCODE_ANY);
    printf("%s\n", text ? text : "null");
    free(text);
}

/* What a write did, once it committed: with --json one object {VERB: what (the report's
   object), "instances": where each instance it touched stands now, "records": the
   history records it wrote}; else the report's sentence and a line per instance. */
static int store_report_write(const StoreArgs *a, Engine *engine, const char *verb, json_t *what,
                              void (*sentence)(const StoreArgs *a))
{
    char why[512];
    json_t *touched = cli_touched(engine, a->records, why, sizeof why);
    if (!touched) {
        fprintf(stderr, "huddle: %s committed, but where its instances stand cannot be read: %s\n", verb,
                cli_clean(why));
        json_decref(what);
        return CLI_SYSTEM;
    }
    if (a->json) {
        json_t *report = json_pack("{s:O,s:O,s:O}", verb, what, "instances", touched, "records", a->records);
        print_json_line(report);
        json_decref(report);
    } else {
        sentence(a);
        cli_print_touched(touched, a->records);
    }
    json_decref(touched);
    json_decref(what);
    return CLI_OK;
}

/* A write refused (exit 1) still fired the timers due by its time (RUNTIME.md, "What it
   promises" 1), and says what they did as a write does, on standard output (the refusal
   itself is on standard error): with --json {"refused": true, "instances", "records"},
   else, when they did anything, "due timers fired:" and the instance lines. */
static void store_report_refused(const StoreArgs *a, Engine *engine)
{
    size_t count = a->records ? json_array_size(a->records) : 0;
    if (!a->json && count == 0)
        return;
    char why[512];
    json_t *none = json_array();
    json_t *touched = count ? cli_touched(engine, a->records, why, sizeof why) : json_incref(none);
    if (touched && a->json) {
        json_t *report = json_pack("{s:b, s:O, s:O}", "refused", 1, "instances", touched, "records",
                                   a->records ? a->records : none);
        print_json_line(report);
        json_decref(report);
    } else if (touched) {
        printf("due timers fired:\n");
        cli_print_touched(touched, a->records);
    }
    json_decref(touched);
    json_decref(none);
}

/* What every write command shares once its arguments are counted: check that the
   first argument is a task id (`id_prefix` 't') or an instance id ('i'; 0: neither),
   open the store, settle engine time, run `apply`, and report: `what` gives the object
   --json shows under `verb`, `sentence` the human line. Returns the exit status. */
typedef int (*StoreApply)(Engine *engine, const StoreArgs *a, int64_t now, char *why, size_t why_len);
typedef json_t *(*StoreWhat)(const StoreArgs *a, int64_t now);
typedef void (*StoreSentence)(const StoreArgs *a);
typedef struct StoreWrite {
    const char *command, *verb;
    char id_prefix;
    StoreApply apply;
    StoreWhat what;
    StoreSentence sentence;
} StoreWrite;

static int store_command_write(const StoreWrite *w, StoreArgs *a)
{
    if (w->id_prefix && cli_check_numbered(w->command, a->positional[0], w->id_prefix) != CLI_OK)
        return CLI_USAGE;
    Engine *engine;
    int status = store_args_open(a, false, &engine);
    if (status != CLI_OK)
        return status;
    int64_t now;
    status = store_args_now(a, engine, &now);
    if (status == CLI_OK) {
        char why[512];
        int rc = w->apply(engine, a, now, why, sizeof why);
        if (rc < 0)
            fprintf(stderr, "huddle: %s: %s\n", w->command, cli_clean(why));
        if (rc == ENGINE_REFUSED)
            store_report_refused(a, engine);
        status = rc < 0 ? cli_status_of(rc) : store_report_write(a, engine, w->verb, w->what(a, now), w->sentence);
    }
    store_args_close(a, engine);
    return status;
}

/* ---- deploy ---- */

/* The connectors a deploy checks its playbooks against: those of --connectors (read
   before the store is opened; *keep is what the store will keep), else the store's,
   else none. */
static int deploy_connectors(const StoreArgs *a, Engine *engine, CliConnectors *out)
{
    if (a->connectors)
        return CLI_OK;   /* read by cli_deploy already */
    ConnFile *file;
    int status = cli_connectors_kept(engine, &file);
    return status != CLI_OK || !file ? status : cli_connectors_adopt(out, file);
}

/* The store's directory, parsed for the pre-flight (NULL when it has none). */
static int deploy_directory(Engine *engine, Directory **out)
{
    json_t *json = NULL, *problems = json_array();
    char why[512];
    *out = NULL;
    if (engine_directory(engine, &json, why, sizeof why) != ENGINE_OK) {
        fprintf(stderr, "huddle: deploy: %s\n", cli_clean(why));
        json_decref(problems);
        return CLI_SYSTEM;
    }
    *out = json ? directory_parse(json, problems) : NULL;
    json_decref(json);
    json_decref(problems);
    return CLI_OK;
}

/* Two files of one deploy naming the same playbook in different versions: which one
   becomes current is not for the order of the files to decide, so the deploy is refused,
   naming both (the same version twice is deployed once). */
static int deploy_one_version_each(const StoreArgs *a, const Bytecode *bcs, const StrBuf *bytes, int n)
{
    for (int i = 0; i < n; i++)
        for (int j = i + 1; j < n && bytes[i].data; j++) {
            const char *name = value_text(bcs[i].consts[bcs[i].name]);
            if (!bytes[j].data || strcmp(name, value_text(bcs[j].consts[bcs[j].name])) != 0
                || (bytes[i].len == bytes[j].len && memcmp(bytes[i].data, bytes[j].data, bytes[i].len) == 0))
                continue;
            fprintf(stderr, "huddle: deploy: %s and %s are both playbook %s, in different versions: give one of "
                    "them (nothing was deployed)\n", cli_clean(a->positional[i]), cli_clean(a->positional[j]),
                    cli_clean(name));
            return CLI_REFUSED;
        }
    return CLI_OK;
}

/* Whether playbook I of the deploy is the same version as an earlier one (the same file
   given again, or a copy of it): the engine keeps it once, and it is reported once. */
static bool deploy_repeats(const StrBuf *bytes, int i)
{
    for (int j = 0; j < i; j++)
        if (bytes[j].len == bytes[i].len && memcmp(bytes[j].data, bytes[i].data, bytes[i].len) == 0)
            return true;
    return false;
}

/* Compiles every playbook (each one's diagnostics printed), then deploys them all and
   keeps the connectors in one engine call: any error, and nothing is deployed. */
static int deploy_all(const StoreArgs *a, Engine *engine, const CheckOptions *options,
                      const Directory *directory, const json_t *keep, int64_t now)
{
    int n = a->positional_count, status = CLI_OK;
    Bytecode *bcs = calloc((size_t)n, sizeof *bcs);
    StrBuf *bytes = calloc((size_t)n, sizeof *bytes);
    EngineDeployItem *items = calloc((size_t)n, sizeof *items);
    int compiled = 0;
    if (!bcs || !bytes || !items) {
        fprintf(stderr, "huddle: deploy: out of memory\n");
        status = CLI_SYSTEM;
    }
    for (; status != CLI_SYSTEM && compiled < n; compiled++) {
        if (cli_compile_checked(a->positional[compiled], &bcs[compiled], directory, options) != CLI_OK) {
            status = CLI_REFUSED;   /* the others are still checked, to show every problem */
            bcs[compiled] = (Bytecode){0};
            continue;
        }
        bc_write(&bcs[compiled], &bytes[compiled]);
        items[compiled] = (EngineDeployItem){(const uint8_t *)bytes[compiled].data, bytes[compiled].len, ""};
    }
    if (status == CLI_OK)
        status = deploy_one_version_each(a, bcs, bytes, n);
    char why[512];
    int rc = status == CLI_OK ? engine_deploy_set(engine, items, (size_t)n, keep, now, why, sizeof why) : ENGINE_OK;
    if (rc < 0) {
        fprintf(stderr, "huddle: deploy: %s\n", cli_clean(why));
        status = cli_status_of(rc);
    }
    for (int i = 0; status == CLI_OK && i < n; i++) {
        const char *name = value_text(bcs[i].consts[bcs[i].name]);
        if (deploy_repeats(bytes, i))
            continue;
        if (a->json)
            printf("{\"playbook\": \"%s\", \"version\": \"%s\"}\n", name, items[i].hash);
        else
            printf("deployed %s, version %s\n", name, items[i].hash);
    }
    if (status == CLI_OK && keep && a->json)
        printf("{\"connectors\": %zu}\n", json_object_size(keep));
    else if (status == CLI_OK && keep)
        printf("kept %zu connector%s (huddle connectors shows them)\n", json_object_size(keep),
               json_object_size(keep) == 1 ? "" : "s");
    for (int i = 0; i < compiled; i++) {
        bc_free(&bcs[i]);
        strbuf_free(&bytes[i]);
    }
    free(bcs);
    free(bytes);
    free(items);
    return status;
}

/* A deploy that made the store and then failed (a playbook that does not check) takes
   it away again, so a refused deploy leaves nothing behind. */
static void deploy_unmake_store(const char *db, bool folder_existed)
{
    static const char *const FILES[] = {"data.mdb", "lock.mdb", "write.lock"};
    char path[4200];
    for (size_t i = 0; i < sizeof FILES / sizeof *FILES; i++) {
        snprintf(path, sizeof path, "%s/%s", db, FILES[i]);
        unlink(path);
    }
    if (!folder_existed)
        rmdir(db);
}

static bool deploy_store_exists(const char *db)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/data.mdb", db);
    return access(path, F_OK) == 0;
}

int cli_deploy(int argc, char **argv)
{
    StoreArgs a;
    int status = store_args_parse("deploy", argc, argv, &a);
    if (status != CLI_OK)
        return status;
    if (a.positional_count == 0)
        return cli_usage_error("deploy", "no playbook given");
    /* A connectors file that does not check stops the deploy before the store opens. */
    CliConnectors connectors = {0};
    json_t *keep = NULL;
    if (a.connectors && (status = cli_connectors_load(a.connectors, &connectors)) != CLI_OK)
        return status;
    if (a.connectors && !(keep = conn_file_json(connectors.file))) {
        fprintf(stderr, "huddle: deploy: out of memory\n");
        cli_connectors_free(&connectors);
        return CLI_SYSTEM;
    }
    bool folder_existed = access(a.db, F_OK) == 0, store_existed = deploy_store_exists(a.db);
    Engine *engine;
    if ((status = store_args_open(&a, true, &engine)) != CLI_OK) {
        cli_connectors_free(&connectors);
        json_decref(keep);
        return status;
    }
    int64_t now;
    Directory *directory = NULL;
    CheckOptions options = {0};
    status = store_args_now(&a, engine, &now);
    /* Pre-flight against the store's directory: warnings, the deploy goes on. */
    if (status == CLI_OK)
        status = deploy_directory(engine, &directory);
    if (status == CLI_OK)
        status = deploy_connectors(&a, engine, &connectors);
    if (status == CLI_OK)
        cli_connectors_warn_directory(&connectors, directory);
    cli_connectors_options(&connectors, &options);
    if (status == CLI_OK)
        status = deploy_all(&a, engine, &options, directory, keep, now);
    directory_free(directory);
    cli_connectors_free(&connectors);
    json_decref(keep);
    store_args_close(&a, engine);
    if (status != CLI_OK && !store_existed)
        deploy_unmake_store(a.db, folder_existed);
    return status;
}

/* ---- connectors: what the store keeps ---- */

int cli_connectors(int argc, char **argv)
{
    StoreArgs a;
    int status = store_args_parse("connectors", argc, argv, &a);
    if (status != CLI_OK)
        return status;
    if (a.positional_count != 0)
        return cli_usage_error("connectors", "connectors takes no arguments but options");
    Engine *engine;
    a.read_only = true;   /* it reads: an old store is not converted */
    if ((status = store_args_open(&a, false, &engine)) != CLI_OK)
        return status;
    json_t *kept = NULL;
    char why[512];
    if (engine_connectors(engine, &kept, why, sizeof why) != ENGINE_OK) {
        fprintf(stderr, "huddle: connectors: %s\n", cli_clean(why));
        status = CLI_SYSTEM;
    } else {
        status = cli_connectors_print(kept, a.json);
    }
    json_decref(kept);
    store_args_close(&a, engine);
    return status;
}

/* Prints JSON for a person to read: compact, control characters made visible. */
static void print_json_clean(const json_t *json, size_t flags)
{
    char *text = cli_json_dumps(json, flags | JSON_ENCODE_ANY);
    printf("%s", cli_clean(text ? text : "null"));
    free(text);
}

/* ---- trigger ---- */

/* The event's data from standard input: at most `max` bytes (refused before parsing
   when there are more), one JSON value read as value_json_load reads JSON from outside
   (too deep refused, integers past 64 bits as doubles). Any JSON value, as a trace
   line's, a `trigger --file` line's and an HTTP event's "data" may be: a bare number or
   string is JSON too. NULL after saying why. */
static json_t *cli_read_stdin_json(size_t max, bool *system_failed)
{
    *system_failed = false;
    size_t len;
    CliReadEnd end;
    char *text = cli_read_bounded(stdin, max, &len, &end);
    if (!text) {
        int read_errno = errno;
        /* exit 3 for memory or a read the system failed (EIO); standard input that is a
           folder is the user's to fix, as --file FOLDER is (exit 1) */
        *system_failed = end == CLI_READ_NO_MEMORY || (end == CLI_READ_FAILED && read_errno != EISDIR);
        if (end == CLI_READ_OVER)
            fprintf(stderr, "huddle: the event data on standard input is more than %zu bytes, the most an "
                    "event may have (--max-body BYTES or HUDDLE_MAX_BODY sets another limit)\n", max);
        else if (end == CLI_READ_FAILED)
            fprintf(stderr, "huddle: could not read the event data on standard input: %s\n", strerror(read_errno));
        else
            fprintf(stderr, "huddle: out of memory reading the event data on standard input\n");
        return NULL;
    }
    const char *nul = memchr(text, '\0', len);
    if (nul) {   /* jansson would say "end of file expected near end of file" */
        fprintf(stderr, "huddle: the event data on standard input is not JSON: it holds a NUL byte (at byte %zu), "
                "which no JSON text has\n", (size_t)(nul - text) + 1);
        free(text);
        return NULL;
    }
    char error[256];
    size_t bom = text_bom_length(text, len), blank = bom;
    while (blank < len && strchr(" \t\r\n", text[blank]))
        blank++;
    if (blank == len) {   /* jansson would say "'[' or '{' expected near end of file" */
        free(text);
        fprintf(stderr, "huddle: no event data on standard input: give the event's data as JSON, "
                "such as {} for none (echo '{}' | huddle trigger ...)\n");
        return NULL;
    }
    json_t *data = value_json_load(text + bom, len - bom, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, 0, error,
                                  sizeof error);
    free(text);
    *system_failed = !data && strcmp(error, VALUE_JSON_NO_MEMORY) == 0;
    if (*system_failed)
        fprintf(stderr, "huddle: out of memory reading the event data on standard input (%zu bytes)\n", len);
    else if (!data)
        fprintf(stderr, "huddle: the event data on standard input is not JSON: %s\n", cli_clean(error));
    return data;
}

/* "accepted ID: started i3 (playbook); counted by other (threshold not reached)". */
static void trigger_report(const char *id, bool duplicate, const json_t *routes)
{
    if (duplicate) {
        printf("duplicate, already accepted: %s\n", cli_clean(id));
        return;
    }
    printf("accepted %s: ", cli_clean(id));
    if (json_array_size(routes) == 0)
        printf("matched no trigger");
    size_t i;
    json_t *route;
    json_array_foreach(routes, i, route) {
        const char *playbook = field(route, "playbook");
        const char *error = json_string_value(json_object_get(route, "error"));
        printf("%s", i ? "; " : "");
        if (json_is_false(json_object_get(route, "changed")))
            printf("%s was not away (nothing changed)", field(route, "person"));
        else if (json_object_get(route, "directory"))
            printf("directory changed (%s)", field(route, "directory"));
        else if (json_object_get(route, "instance"))
            printf("%s %s (%s)", field(route, "as"), field(route, "instance"), playbook);
        else if (error)
            printf("did not match %s: %s", playbook, cli_clean(error));
        else
            printf("counted by %s (threshold not reached)", playbook);
    }
    putchar('\n');
}

/* What an accepted event did, once it committed: the line trigger_report prints and a
   line per instance its records touched (cli_print_touched: an instance it started or
   joined that stalled says why), or with --json {"id", "duplicate", "went",
   "instances", "records"} (a duplicate: empty lists), as the other writes report. */
static int trigger_report_all(const StoreArgs *a, Engine *engine, const char *id, bool duplicate)
{
    char why[512];
    const json_t *routes = engine_event_routes(engine);
    json_t *touched = cli_touched(engine, a->records, why, sizeof why);
    if (!touched) {
        fprintf(stderr, "huddle: trigger: accepted %s, but where its instances stand cannot be read: %s\n",
                cli_clean(id), cli_clean(why));
        return CLI_SYSTEM;
    }
    if (a->json) {
        json_t *went = routes ? json_incref((json_t *)routes) : json_array();   /* a duplicate: [] */
        json_t *report = json_pack("{s:s, s:b, s:o, s:O, s:O}", "id", id, "duplicate", duplicate, "went", went,
                                   "instances", touched, "records", a->records);
        print_json_line(report);
        json_decref(report);
    } else {
        trigger_report(id, duplicate, routes);
        cli_print_touched(touched, a->records);
    }
    json_decref(touched);
    return CLI_OK;
}

/* trigger --file EVENTS.jsonl: cli_trigger_file.c, on the store opened here. */
static int trigger_file(StoreArgs *a)
{
    if (a->positional_count || a->id || a->time)
        return cli_usage_error("trigger", "--file takes the events from the file: no SOURCE.TYPE, --id or --time");
    CliTriggerFile options;
    int status = cli_trigger_file_open("trigger", a->file, a->batch, a->max_body, &options);
    options.json = a->json;
    Engine *engine = NULL;
    if (status == CLI_OK)
        status = store_args_open(a, false, &engine);
    int64_t now;
    if (status == CLI_OK)
        status = store_args_now(a, engine, &now);
    if (status == CLI_OK)
        status = cli_trigger_file_run(engine, &options, now);
    if (engine)
        store_args_close(a, engine);
    cli_trigger_file_close(&options);
    return status;
}

int cli_fire_due_only(Engine *engine, int64_t now, char *why, size_t why_len)
{
    bool found;
    int64_t due;
    int rc = engine_next_due(engine, &found, &due, why, why_len);
    if (rc != ENGINE_OK || !found || due > now)
        return rc;
    return engine_fire_due(engine, now, why, why_len);
}

/* A trigger the door refused changes nothing of its own, but timers already due by its
   time still fire, since that time has come (RUNTIME.md, "What it promises" 1), as they
   do when the engine refuses an answer or an event. `engine` is the open store, or NULL
   when the refusal came before it was opened: it is opened here then, quietly (the
   refusal has said what was wrong; a store that cannot be opened fires nothing). */
static void trigger_refused_fire(StoreArgs *a, Engine *engine, int64_t now)
{
    char why[512];
    Engine *opened = NULL;
    if (!engine) {
        EngineOptions options = {0};
        int64_t kept;
        if (!a->records)
            a->records = json_array();
        options.on_record = cli_collect_record;   /* for store_report_refused */
        options.record_context = a->records;
        if (engine_open(a->db, &options, &opened, why, sizeof why) != ENGINE_OK)
            return;
        engine = opened;
        if (engine_time(engine, &kept, why, sizeof why) != ENGINE_OK ||
            cli_engine_now_quiet(a->now_text ? &a->now_ms : NULL, kept, &now) != CLI_OK) {
            engine_close(opened);
            return;
        }
    }
    if (cli_fire_due_only(engine, now, why, sizeof why) != ENGINE_OK)
        fprintf(stderr, "huddle: trigger: the timers due by now could not fire: %s\n", cli_clean(why));
    else
        store_report_refused(a, engine);
    if (opened) {
        engine_close(opened);
        json_decref(a->records);   /* made for it above */
        a->records = NULL;
    }
}

/* The event fits its type in the store's kept connectors (RUNTIME.md, "Event types"),
   and comes from one of them when there are any. */
static int trigger_fits(StoreArgs *a, Engine *engine, int64_t now, const char *source, const char *type,
                        const json_t *data)
{
    struct ConnFile *types;
    char why[800];
    int status = cli_connectors_kept(engine, &types);
    if (status == CLI_OK && !cli_event_fits(types, source, type, data, why, sizeof why)) {
        fprintf(stderr, "huddle: trigger: %s\n", cli_clean(why));
        status = CLI_REFUSED;
        trigger_refused_fire(a, engine, now);
    }
    conn_file_free(types);
    return status;
}

int cli_trigger(int argc, char **argv)
{
    StoreArgs a;
    int status = store_args_parse("trigger", argc, argv, &a);
    if (status != CLI_OK)
        return status;
    if (a.file)
        return trigger_file(&a);
    if (a.batch)
        return cli_usage_error("trigger", "--batch goes with --file");
    const char *kind = a.positional_count == 1 ? a.positional[0] : NULL;
    const char *dot = kind ? strchr(kind, '.') : NULL;
    if (a.positional_count > 1)
        return store_args_words("trigger", &a, 1, "the event as SOURCE.TYPE");
    if (!dot || dot == kind || !dot[1])
        return cli_usage_error("trigger", "give the event as SOURCE.TYPE");
    size_t max_body;
    if ((status = cli_max_body("trigger", a.max_body, &max_body)) != CLI_OK)
        return status;
    bool system_failed;
    json_t *data = cli_read_stdin_json(max_body, &system_failed);
    if (!data && system_failed)
        return CLI_SYSTEM;   /* exit 3: nothing was read wrong, and nothing changed */
    if (!data) {
        trigger_refused_fire(&a, NULL, 0);
        return CLI_REFUSED;
    }
    char *source = strndup(kind, (size_t)(dot - kind));
    Engine *engine = NULL;
    if (!source) {
        fprintf(stderr, "huddle: trigger: out of memory\n");
        status = CLI_SYSTEM;
    } else {
        status = store_args_open(&a, false, &engine);
    }
    int64_t now;
    if (status == CLI_OK)
        status = store_args_now(&a, engine, &now);
    if (status == CLI_OK)
        status = trigger_fits(&a, engine, now, source, dot + 1, data);
    if (status == CLI_OK) {
        /* The id is the engine's to check (at most 256 bytes, refused over it, never cut). */
        char generated[64], why[512];
        snprintf(generated, sizeof generated, "cli-%lld-%ld", (long long)now, (long)getpid());
        const char *id = a.id ? a.id : generated;
        bool duplicate;
        int rc = engine_event(engine, source, dot + 1, id, data, a.time ? a.time_ms : now, now, &duplicate,
                              why, sizeof why);
        if (rc < 0)
            fprintf(stderr, "huddle: trigger: %s\n", cli_clean(why));
        if (rc == ENGINE_REFUSED)
            store_report_refused(&a, engine);
        status = rc < 0 ? cli_status_of(rc) : trigger_report_all(&a, engine, id, duplicate);
    }
    free(source);
    json_decref(data);
    if (engine)
        store_args_close(&a, engine);
    return status;
}

/* ---- answer and tick ---- */

/* "2026-03-02T09:00:00Z" for --json: engine time in UTC. */
static json_t *store_time_json(int64_t ms)
{
    StrBuf text = STRBUF_INIT;
    value_write_time(ms, 0, &text);
    json_t *json = json_string(strbuf_text(&text));
    strbuf_free(&text);
    return json;
}

/* An answer or ack that repeats one applied before changes nothing: the engine says so
   in why ("ben had acknowledged t1 already, at T; nothing changed"), kept here for the
   report (empty otherwise). It is taken, exit 0, as a repeated event is (RUNTIME.md,
   "Connectors": "changes nothing"), and said: the sentence is the note, and --json's
   object has "duplicate": true and the note. */
static char repeat_note[512];

static int repeat_noted(int rc, const char *why)
{
    snprintf(repeat_note, sizeof repeat_note, "%s", rc == ENGINE_OK ? why : "");
    return rc;
}

static json_t *repeat_what(json_t *what)
{
    if (what && repeat_note[0]) {
        json_object_set_new(what, "duplicate", json_true());
        json_object_set_new(what, "note", json_string(repeat_note));
    }
    return what;
}

/* Prints the repeat's note; false when the write was no repeat. */
static bool repeat_sentence(void)
{
    if (repeat_note[0])
        printf("%s\n", cli_clean(repeat_note));
    return repeat_note[0] != '\0';
}

static int answer_apply(Engine *engine, const StoreArgs *a, int64_t now, char *why, size_t len)
{
    return repeat_noted(engine_answer(engine, a->positional[0], a->by, a->positional[1], a->comment, now, why, len),
                        why);
}

static json_t *answer_what(const StoreArgs *a, int64_t now)
{
    (void)now;
    return repeat_what(json_pack("{s:s,s:s,s:s,s:s?}", "task", a->positional[0], "choice", a->positional[1], "by",
                                 a->by, "comment", a->comment));
}

static void answer_sentence(const StoreArgs *a)
{
    if (!repeat_sentence())
        printf("answered %s: %s\n", a->positional[0], cli_clean(a->positional[1]));
}

int cli_answer(int argc, char **argv)
{
    StoreArgs a;
    int status = store_args_parse("answer", argc, argv, &a);
    if (status != CLI_OK)
        return status;
    if (a.positional_count != 2 || !a.by)
        return store_args_words("answer", &a, 2, "TASK CHOICE --by PERSON (a comment goes after --comment)");
    static const StoreWrite WRITE = {"answer", "answered", 't', answer_apply, answer_what, answer_sentence};
    return store_command_write(&WRITE, &a);
}

/* What the tick's delivery of the outbox did, and how many records the timers wrote
   before it (the rest are the steps call replies made). */
static EngineOutboxStats tick_delivered;
static size_t tick_timer_records;

static Engine *tick_engine;     /* the tick's store, open until its sentence is printed */

static int instance_zone(Engine *engine, const char *instance, Tz **tz, char *why, size_t why_len);

static int tick_apply(Engine *engine, const StoreArgs *a, int64_t now, char *why, size_t len)
{
    tick_engine = engine;
    int rc = engine_fire_due(engine, now, why, len);
    if (rc == 0)
        rc = engine_purge_seen(engine, now, (int)a->dedup, why, len);
    tick_timer_records = json_array_size(a->records);
    return rc == 0 ? engine_outbox_deliver(engine, now, &tick_delivered, why, len) : rc;
}

/* The timers a tick fired: each step a timer ran starts with the record of what it did
   (an escalation, a reminder, a deadline's decision, an `after`): the records of one
   instance at one time are one firing. */
static json_int_t tick_fired(const json_t *records)
{
    json_int_t fired = 0;
    const json_t *last = NULL;
    size_t i;
    json_t *r;
    json_array_foreach(records, i, r) {
        if (i >= tick_timer_records)
            break;
        if (!last || !json_equal(json_object_get(r, "instance"), json_object_get(last, "instance")) ||
            !json_equal(json_object_get(r, "at"), json_object_get(last, "at")))
            fired++;
        last = r;
    }
    return fired;
}

static json_t *tick_what(const StoreArgs *a, int64_t now)
{
    json_t *what = json_pack("{s:o,s:I}", "now", store_time_json(now), "fired", tick_fired(a->records));
    const EngineOutboxStats *d = &tick_delivered;
    if (d->delivered || d->retried || d->failed || d->waiting)
        json_object_set_new(what, "outbox", json_pack("{s:I,s:I,s:I}", "delivered", (json_int_t)d->delivered,
                                                      "retried", (json_int_t)d->retried, "failed", (json_int_t)d->failed));
    if (d->chain_cut)
        json_object_set_new(json_object_get(what, "outbox"), "chain_cut", json_true());
    if (d->waiting) {
        json_t *outbox = json_object_get(what, "outbox");
        json_object_set_new(outbox, "waiting", json_integer((json_int_t)d->waiting));
        json_object_set_new(outbox, "waiting_why", json_string(d->waiting_why));
    }
    return what;
}

/* "fired 2 timers:" and one line per record, in huddle history's words and at its local
   time (the zone of the instance's calendar, UTC without one):
   "  2026-03-02 12:00 +02:00  i1  t1 decided: timeout". */
static void tick_sentence(const StoreArgs *a)
{
    json_int_t fired = tick_fired(a->records);
    const EngineOutboxStats *d = &tick_delivered;
    if (d->delivered || d->retried || d->failed)
        printf("outbox: %llu delivered, %llu to try again, %llu failed\n", (unsigned long long)d->delivered,
               (unsigned long long)d->retried, (unsigned long long)d->failed);
    if (d->chain_cut)
        printf("outbox: stopped after %d rounds of calls and sends made by replies in this tick; what the last ones "
               "made waits for the next tick (a loop that calls again on every reply spins while its peer answers at "
               "once: wait before calling again)\n", OUTBOX_TICK_CHAIN);
    if (d->waiting == 1)
        printf("outbox: 1 entry waits, not tried (no attempt counted): %s; the first tick that has it set tries it "
               "(huddle outbox --pending lists it)\n", d->waiting_why);
    else if (d->waiting)
        printf("outbox: %llu entries wait, not tried (no attempt counted), the first because %s; the first tick that has "
               "the variable set tries each (huddle outbox --pending lists them)\n",
               (unsigned long long)d->waiting, d->waiting_why);
    if (fired == 0 && json_array_size(a->records) == 0) {
        printf("nothing was due\n");
        return;
    }
    if (fired)
        printf("fired %lld timer%s:\n", (long long)fired, fired == 1 ? "" : "s");
    size_t i;
    json_t *r;
    Tz *tz = NULL;
    const char *zone_of = NULL;     /* the instance whose zone tz is */
    json_array_foreach(a->records, i, r) {
        if (record_is_delivery(r))
            continue;   /* counted on the outbox line above; --json and history keep each */
        const char *instance = json_string_value(json_object_get(r, "instance"));
        if (instance && (!zone_of || strcmp(zone_of, instance) != 0)) {
            char why[512];   /* a zone that cannot be read: the line is in UTC, as history's would be */
            tz_free(tz);
            instance_zone(tick_engine, instance, &tz, why, sizeof why);
            zone_of = instance;
        }
        cli_history_print_line(r, tz);   /* in huddle history's words */
    }
    tz_free(tz);
}

int cli_tick(int argc, char **argv)
{
    StoreArgs a;
    int status = store_args_parse("tick", argc, argv, &a);
    if (status != CLI_OK)
        return status;
    if (a.positional_count != 0)
        return cli_usage_error("tick", "tick takes no arguments but options");
    int lock_fd;
    if (cli_tick_lock(a.db, &lock_fd) != CLI_OK)
        return CLI_SYSTEM;
    static const StoreWrite WRITE = {"tick", "tick", 0, tick_apply, tick_what, tick_sentence};
    status = store_command_write(&WRITE, &a);
    if (lock_fd >= 0)
        close(lock_fd);
    return status;
}

/* ---- reading ---- */

/* Whether an instance passes instances' filters: --playbook, --status, --tag (one of
   its tags), --case (its case key), --since / --until (it started at or after / before). */
static bool instances_match(const StoreArgs *a, const json_t *in)
{
    bool tagged = !a->tag;
    size_t i;
    json_t *tag;
    json_array_foreach(json_object_get(in, "tags"), i, tag)
        tagged |= a->tag && json_is_string(tag) && strcmp(json_string_value(tag), a->tag) == 0;
    int64_t started = 0;
    bool timed = value_parse_time(field_raw(in, "started"), &started);
    return (!a->playbook || strcmp(field_raw(in, "playbook"), a->playbook) == 0) &&
           (!a->status || strcmp(field_raw(in, "status"), a->status) == 0) && tagged &&
           (!a->case_key || (json_is_string(json_object_get(in, "case")) && strcmp(field_raw(in, "case"), a->case_key) == 0)) &&
           (!a->since || (timed && started >= a->since_ms)) && (!a->until || (timed && started < a->until_ms));
}

int cli_instances(int argc, char **argv)
{
    StoreArgs a;
    int status = store_args_parse("instances", argc, argv, &a);
    if (status != CLI_OK)
        return status;
    if (a.positional_count != 0)
        return cli_usage_error("instances", "instances takes no arguments but options");
    Engine *engine;
    a.read_only = true;   /* it reads: an old store is not converted */
    if ((status = store_args_open(&a, false, &engine)) != CLI_OK)
        return status;
    json_t *all, *shown = json_array();
    char why[512];
    if (engine_instances(engine, &all, why, sizeof why) != ENGINE_OK) {
        fprintf(stderr, "huddle: instances: %s\n", why);
        json_decref(shown);
        store_args_close(&a, engine);
        return CLI_SYSTEM;
    }
    size_t i;
    json_t *in;
    json_array_foreach(all, i, in)
        if (instances_match(&a, in))
            json_array_append(shown, in);
    if (a.json) {
        char *text = cli_json_dumps(shown, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
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
    store_args_close(&a, engine);
    return CLI_OK;
}

/* The zone of the instance's playbook calendar (`calendar "office"`, its zone in the
   store's directory) in *tz, or NULL: UTC. The caller frees it with tz_free. */
int cli_calendar_zone(Engine *engine, const char *calendar, Tz **tz, char *why, size_t why_len)
{
    json_t *dir = NULL;
    *tz = NULL;
    int rc = calendar && calendar[0] ? engine_directory(engine, &dir, why, why_len) : ENGINE_OK;
    const char *zone = json_string_value(json_object_get(json_object_get(json_object_get(dir, "calendars"), calendar), "zone"));
    char unused[256];   /* a zone tz cannot load was refused when the directory was */
    *tz = rc == ENGINE_OK && zone ? tz_load(zone, unused, sizeof unused) : NULL;
    json_decref(dir);
    return rc;
}

static int instance_zone(Engine *engine, const char *instance, Tz **tz, char *why, size_t why_len)
{
    json_t *in = NULL;
    char name[128] = "";
    *tz = NULL;
    int rc = engine_instance(engine, instance, &in, why, why_len);
    if (rc == ENGINE_REFUSED)
        rc = ENGINE_OK;                 /* no such instance: engine_history says so */
    if (in)
        rc = engine_program_calendar(engine, field_raw(in, "version"), name, sizeof name, why, why_len);
    json_decref(in);
    return rc == ENGINE_OK ? cli_calendar_zone(engine, name, tz, why, why_len) : rc;
}

/* The records printed as stored, but a history whose records do not run 1, 2, 3, ...
   (a store tampered with: a record removed, a copy put in, records swapped) said so on
   stderr, naming the first out of its place; audit verify judges what was done. */
static void history_order_warn(const char *instance, const json_t *records)
{
    size_t i;
    json_t *r;
    json_array_foreach(records, i, r) {
        json_int_t seq = json_integer_value(json_object_get(r, "seq"));
        if (seq != (json_int_t)i + 1) {
            fprintf(stderr, "huddle: history: %s: warning: record %zu of this history says seq %lld: its records "
                    "do not run 1, 2, 3, ...; run huddle audit verify\n", instance, i + 1, (long long)seq);
            return;
        }
    }
}

int cli_history(int argc, char **argv)
{
    StoreArgs a;
    int status = store_args_parse("history", argc, argv, &a);
    if (status != CLI_OK)
        return status;
    if (a.positional_count != 1)
        return store_args_words("history", &a, 1, "one INSTANCE, e.g. i1");
    if (cli_check_numbered("history", a.positional[0], 'i') != CLI_OK)
        return CLI_USAGE;
    Engine *engine;
    a.read_only = true;   /* it reads: an old store is not converted */
    if ((status = store_args_open(&a, false, &engine)) != CLI_OK)
        return status;
    json_t *records;
    char why[512];
    int rc = engine_history(engine, a.positional[0], &records, why, sizeof why);
    if (rc == ENGINE_REFUSED)
        fprintf(stderr, "huddle: history: %s in %s\n", why, a.db);
    else if (rc != ENGINE_OK)
        fprintf(stderr, "huddle: history: %s\n", why);
    Tz *tz = NULL;
    if (rc == ENGINE_OK && !a.json && (rc = instance_zone(engine, a.positional[0], &tz, why, sizeof why)) != ENGINE_OK) {
        fprintf(stderr, "huddle: history: %s\n", why);
        json_decref(records);
        records = NULL;
    }
    status = cli_status_of(rc);
    size_t i;
    json_t *r;
    json_array_foreach(a.json ? records : NULL, i, r)
        print_json_line(r);
    if (!a.json)
        cli_history_print(records, tz);
    if (records)
        history_order_warn(a.positional[0], records);
    tz_free(tz);
    json_decref(records);
    store_args_close(&a, engine);
    return status;
}

/* `--for PERSON` names someone the store's directory knows, when it has one (as --by
   does): a misspelt id is refused (exit 1), not shown an empty inbox. */
static int tasks_check_for(Engine *engine, const char *person)
{
    json_t *dir = NULL;
    char why[512];
    if (!person)
        return CLI_OK;
    if (engine_directory(engine, &dir, why, sizeof why) != ENGINE_OK) {
        fprintf(stderr, "huddle: tasks: %s\n", why);
        return CLI_SYSTEM;
    }
    bool unknown = dir && !json_object_get(json_object_get(dir, "people"), person);
    json_decref(dir);
    if (unknown)
        fprintf(stderr, "huddle: tasks: for: no person '%s' in the directory\n", cli_clean(person));
    return unknown ? CLI_REFUSED : CLI_OK;
}

/* The zone each open ask's due time is shown in (its playbook calendar's, as history
   shows times), read for --json too: reading it reads the ask's instance and program,
   and a store that cannot read them fails the whole list (exit 3, "list everything or
   fail", docs/runtime.md), naming the ask, in both forms. `zones` gets one Tz (or NULL)
   per task; CLI_OK or CLI_SYSTEM. */
static int tasks_zones(Engine *engine, const json_t *tasks, Tz **zones)
{
    char why[512];
    size_t i;
    json_t *t;
    json_array_foreach(tasks, i, t) {
        if (instance_zone(engine, json_string_value(json_object_get(t, "instance")), &zones[i], why,
                          sizeof why) != ENGINE_OK) {
            fprintf(stderr, "huddle: tasks: %s: %s\n", field(t, "id"), why);
            return CLI_SYSTEM;
        }
    }
    return CLI_OK;
}

/* One open ask for a person: its due time in `tz`, question, choices, and each seat's
   holders ("seats: ming; lars, craig (answered)"); the context and similar decisions
   follow (the caller). */
static void tasks_print_one(const json_t *t, const Tz *tz)
{
    printf("%s  %s (%s)  due ", field(t, "id"), field(t, "instance"), field(t, "state"));
    cli_local_time_print(json_string_value(json_object_get(t, "deadline")), tz);
    printf("\n  %s\n  choices:", field(t, "question"));
    size_t k, m;
    json_t *c, *seat, *holder;
    json_array_foreach(json_object_get(t, "choices"), k, c)
        printf(" %s%s", field(c, "id"), json_is_true(json_object_get(c, "with_comment")) ? " (with comment)" : "");
    printf("\n  seats: ");
    json_array_foreach(json_object_get(t, "seats"), k, seat) {
        printf("%s", k ? "; " : "");
        json_array_foreach(json_object_get(seat, "holders"), m, holder)
            printf("%s%s", m ? ", " : "", cli_clean(json_string_value(holder)));
        if (json_array_size(json_object_get(seat, "holders")) == 0)
            printf("nobody yet");
        printf("%s", json_is_null(json_object_get(seat, "answered_by")) ? "" : " (answered)");
    }
}

/* The list, once every ask in it was read. */
static void tasks_print(const StoreArgs *a, const json_t *tasks, Tz *const *zones)
{
    if (a->json) {
        char *text = cli_json_dumps(tasks, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
        printf("%s\n", text);
        free(text);
        return;
    }
    if (json_array_size(tasks) == 0)
        printf("no open asks%s%s\n", a->for_person ? " for " : "", a->for_person ? cli_clean(a->for_person) : "");
    size_t i;
    json_t *t;
    json_array_foreach(tasks, i, t) {
        tasks_print_one(t, zones[i]);
        if (json_is_object(json_object_get(t, "show"))) {
            printf("\n  context: ");
            print_json_clean(json_object_get(t, "show"), JSON_COMPACT | JSON_PRESERVE_ORDER);
        }
        cli_audit_similar_print(t);
        printf("\n\n");
    }
}

int cli_tasks(int argc, char **argv)
{
    StoreArgs a;
    int status = store_args_parse("tasks", argc, argv, &a);
    if (status != CLI_OK)
        return status;
    if (a.positional_count != 0)
        return cli_usage_error("tasks", "tasks takes no arguments but options");
    Engine *engine;
    a.read_only = true;   /* it reads: an old store is not converted */
    if ((status = store_args_open(&a, false, &engine)) != CLI_OK)
        return status;
    json_t *tasks;
    char why[512];
    if ((status = tasks_check_for(engine, a.for_person)) != CLI_OK) {
        store_args_close(&a, engine);
        return status;
    }
    if (engine_inbox(engine, a.for_person, &tasks, why, sizeof why) != ENGINE_OK) {
        fprintf(stderr, "huddle: tasks: %s\n", why);
        store_args_close(&a, engine);
        return CLI_SYSTEM;
    }
    if (engine_audit_context(engine, tasks, 3, why, sizeof why) != ENGINE_OK) {
        fprintf(stderr, "huddle: tasks: %s\n", why);   /* the record: docs/audit.md */
        json_decref(tasks);
        store_args_close(&a, engine);
        return CLI_SYSTEM;
    }
    Tz **zones = calloc(json_array_size(tasks) + 1, sizeof *zones);
    if (!zones) {
        fprintf(stderr, "huddle: tasks: out of memory\n");
        status = CLI_SYSTEM;
    } else if ((status = tasks_zones(engine, tasks, zones)) == CLI_OK) {
        tasks_print(&a, tasks, zones);
    }
    for (size_t i = 0; zones && i < json_array_size(tasks); i++)
        tz_free(zones[i]);
    free(zones);
    json_decref(tasks);
    store_args_close(&a, engine);
    return status;
}

/* ---- playbooks ---- */

/* One version of a playbook, for `huddle playbooks`: {"version", "current", "deployed",
   "instances": {status: count}}. */
static json_t *playbooks_version(const json_t *playbook, const json_t *deploy, const json_t *instances)
{
    const char *hash = field_raw(deploy, "hash");
    json_t *counts = json_object();
    size_t i;
    json_t *in;
    json_array_foreach(instances, i, in) {
        if (strcmp(field_raw(in, "playbook"), field_raw(playbook, "name")) != 0 || strcmp(field_raw(in, "version"), hash) != 0)
            continue;
        const char *status = field_raw(in, "status");
        json_object_set_new(counts, status, json_integer(json_integer_value(json_object_get(counts, status)) + 1));
    }
    return json_pack("{s:s,s:b,s:O,s:o}", "version", hash, "current", strcmp(hash, field_raw(playbook, "hash")) == 0,
                     "deployed", json_object_get(deploy, "at"), "instances", counts);
}

/* A playbook's versions worth listing: the current one, and each older one with
   instances still running or stalled (the last deploy of a hash stands for it). */
static json_t *playbooks_versions(const json_t *playbook, const json_t *instances)
{
    json_t *versions = json_array(), *log = json_object_get(playbook, "log");
    for (size_t i = json_array_size(log); i-- > 0;) {
        json_t *version = playbooks_version(playbook, json_array_get(log, i), instances);
        json_t *counts = json_object_get(version, "instances");
        bool listed = false, live = json_is_true(json_object_get(version, "current")) ||
                                    json_object_get(counts, "running") || json_object_get(counts, "stalled");
        size_t k;
        json_t *seen;
        json_array_foreach(versions, k, seen)
            listed |= json_equal(json_object_get(seen, "version"), json_object_get(version, "version"));
        if (live && !listed)
            json_array_append(versions, version);
        json_decref(version);
    }
    return versions;
}

static void playbooks_print(const json_t *list)
{
    size_t i, k;
    json_t *p, *v;
    if (json_array_size(list) == 0)
        printf("no playbook is deployed\n");
    json_array_foreach(list, i, p) {
        printf("%s%s\n", field(p, "name"), json_is_true(json_object_get(p, "undeployed")) ? " (undeployed: no new instances)" : "");
        json_array_foreach(json_object_get(p, "versions"), k, v) {
            printf("  %.12s %-8s deployed %s ", field(v, "version"), json_is_true(json_object_get(v, "current")) ? "current" : "older",
                   field(v, "deployed"));
            const char *status;
            json_t *count;
            int n = 0;
            json_object_foreach(json_object_get(v, "instances"), status, count)
                printf("%s%lld %s", n++ ? ", " : "", (long long)json_integer_value(count), status);
            printf("%s\n", n ? "" : "no instances");
        }
    }
}

int cli_playbooks(int argc, char **argv)
{
    StoreArgs a;
    int status = store_args_parse("playbooks", argc, argv, &a);
    if (status != CLI_OK)
        return status;
    if (a.positional_count != 0)
        return cli_usage_error("playbooks", "playbooks takes no arguments but options");
    Engine *engine;
    a.read_only = true;   /* it reads: an old store is not converted */
    if ((status = store_args_open(&a, false, &engine)) != CLI_OK)
        return status;
    json_t *playbooks = NULL, *instances = NULL, *list = json_array();
    char why[512];
    if (engine_playbooks(engine, &playbooks, why, sizeof why) != ENGINE_OK ||
        engine_instances(engine, &instances, why, sizeof why) != ENGINE_OK) {
        fprintf(stderr, "huddle: playbooks: %s\n", cli_clean(why));
        json_decref(playbooks);
        json_decref(list);
        store_args_close(&a, engine);
        return CLI_SYSTEM;
    }
    size_t i;
    json_t *p;
    json_array_foreach(playbooks, i, p)
        json_array_append_new(list, json_pack("{s:O,s:b,s:o}", "name", json_object_get(p, "name"), "undeployed",
                                              json_is_true(json_object_get(p, "undeployed")), "versions",
                                              playbooks_versions(p, instances)));
    if (a.json)
        print_json_line(list);
    else
        playbooks_print(list);
    json_decref(list);
    json_decref(playbooks);
    json_decref(instances);
    store_args_close(&a, engine);
    return CLI_OK;
}

/* ---- operators ---- */

/* What engine_retry said of a committed retry: empty, or that it stalled again. */
static char retry_outcome[512];

static int retry_apply(Engine *engine, const StoreArgs *a, int64_t now, char *why, size_t len)
{
    EngineActor actor = {a->by, a->reason, NULL};
    int rc = engine_retry(engine, a->positional[0], a->go, &actor, now, why, len);
    snprintf(retry_outcome, sizeof retry_outcome, "%s", rc == ENGINE_OK ? why : "");
    return rc;
}

static json_t *retry_what(const StoreArgs *a, int64_t now)
{
    (void)now;
    json_t *what = json_pack("{s:s,s:s?}", "instance", a->positional[0], "goto", a->go);
    if (what && retry_outcome[0])
        json_object_set_new(what, "stalled_again", json_string(retry_outcome));
    return what;
}

static void retry_sentence(const StoreArgs *a)
{
    if (retry_outcome[0])
        printf("retried %s: %s\n", a->positional[0], cli_clean(retry_outcome));
    else
        printf("retried %s%s%s\n", a->positional[0], a->go ? " in state " : "", a->go ? cli_clean(a->go) : "");
}

/* One stalled instance retried, for retry --all-stalled: {"instance", "retried", "why"},
   why being null for a retry that went through, the sentence "i3 stalled again: ERROR"
   for one whose step failed again, or why it could not be retried (retried false); the
   human line says the same. */
static json_t *retry_one(Engine *engine, const StoreArgs *a, const char *id, int64_t now, int *status)
{
    char why[512] = "";
    EngineActor actor = {a->by, a->reason, NULL};
    int rc = engine_retry(engine, id, NULL, &actor, now, why, sizeof why);
    if (rc < 0 && !a->json)
        printf("could not retry %s: %s\n", id, cli_clean(why));
    else if (!a->json)
        printf("retried %s%s%s\n", id, why[0] ? ": " : "", why[0] ? cli_clean(why) : "");
    if (rc < 0 && *status == CLI_OK)
        *status = cli_status_of(rc);
    return json_pack("{s:s,s:b,s:s?}", "instance", id, "retried", rc >= 0, "why", why[0] ? why : NULL);
}

/* retry --all-stalled [--playbook P]: every stalled instance (of P), each reported, then
   where each one stands. Exit 0 when every retry went through, else the first failure's. */
static int retry_all_stalled(StoreArgs *a)
{
    Engine *engine;
    int status = store_args_open(a, false, &engine);
    if (status != CLI_OK)
        return status;
    int64_t now;
    if ((status = store_args_now(a, engine, &now)) != CLI_OK) {
        store_args_close(a, engine);
        return status;
    }
    json_t *all, *results = json_array();
    char why[512];
    if (engine_instances(engine, &all, why, sizeof why) != ENGINE_OK) {
        fprintf(stderr, "huddle: retry: %s\n", cli_clean(why));
        json_decref(results);
        store_args_close(a, engine);
        return CLI_SYSTEM;
    }
    size_t i;
    json_t *in;
    json_array_foreach(all, i, in)
        if (strcmp(field_raw(in, "status"), "stalled") == 0 && (!a->playbook || strcmp(field_raw(in, "playbook"), a->playbook) == 0))
            json_array_append_new(results, retry_one(engine, a, field_raw(in, "id"), now, &status));
    if (!a->json && json_array_size(results) == 0)
        printf("no stalled instance%s%s\n", a->playbook ? " of " : "", a->playbook ? cli_clean(a->playbook) : "");
    json_t *touched = cli_touched(engine, a->records, why, sizeof why);
    if (!touched) {
        fprintf(stderr, "huddle: retried, but where the instances stand cannot be read: %s\n", cli_clean(why));
        status = CLI_SYSTEM;
    } else if (a->json) {
        json_t *report = json_pack("{s:O,s:O,s:O}", "retried", results, "instances", touched, "records", a->records);
        print_json_line(report);
        json_decref(report);
    } else {
        cli_print_touched(touched, a->records);
    }
    json_decref(touched);
    json_decref(results);
    json_decref(all);
    store_args_close(a, engine);
    return status;
}

int cli_retry(int argc, char **argv)
{
    StoreArgs a;
    int status = store_args_parse("retry", argc, argv, &a);
    if (status != CLI_OK)
        return status;
    if (a.all_stalled && (a.positional_count != 0 || a.go))
        return cli_usage_error("retry", "--all-stalled takes no INSTANCE and no --goto");
    if (a.all_stalled)
        return retry_all_stalled(&a);
    if (a.playbook)
        return cli_usage_error("retry", "--playbook goes with --all-stalled");
    if (a.positional_count != 1)
        return store_args_words("retry", &a, 1, "one INSTANCE, or --all-stalled (a reason goes after --reason)");
    static const StoreWrite WRITE = {"retry", "retried", 'i', retry_apply, retry_what, retry_sentence};
    return store_command_write(&WRITE, &a);
}

static int cancel_apply(Engine *engine, const StoreArgs *a, int64_t now, char *why, size_t len)
{
    EngineActor actor = {a->by, a->reason, NULL};
    return engine_cancel(engine, a->positional[0], &actor, now, why, len);
}

static json_t *cancel_what(const StoreArgs *a, int64_t now)
{
    (void)now;
    return json_pack("{s:s,s:s,s:s}", "instance", a->positional[0], "by", a->by, "reason", a->reason);
}

static void cancel_sentence(const StoreArgs *a)
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
        return store_args_words("cancel", &a, 1, "INSTANCE --by PERSON --reason TEXT");
    static const StoreWrite WRITE = {"cancel", "cancelled", 'i', cancel_apply, cancel_what, cancel_sentence};
    return store_command_write(&WRITE, &a);
}

static int resolve_apply(Engine *engine, const StoreArgs *a, int64_t now, char *why, size_t len)
{
    EngineActor actor = {a->by, a->reason, NULL};
    return engine_resolve(engine, a->positional[0], a->positional[1], &actor, now, why, len);
}

static json_t *resolve_what(const StoreArgs *a, int64_t now)
{
    (void)now;
    return json_pack("{s:s,s:s,s:s,s:s}", "task", a->positional[0], "choice", a->positional[1], "by", a->by,
                     "reason", a->reason);
}

static void resolve_sentence(const StoreArgs *a)
{
    printf("resolved %s: %s (overridden by %s)\n", a->positional[0], cli_clean(a->positional[1]), a->by);
}

int cli_resolve(int argc, char **argv)
{
    StoreArgs a;
    int status = store_args_parse("resolve", argc, argv, &a);
    if (status != CLI_OK)
        return status;
    if (a.positional_count != 2 || !a.by || !a.reason)
        return store_args_words("resolve", &a, 2, "TASK CHOICE --by PERSON --reason TEXT");
    static const StoreWrite WRITE = {"resolve", "resolved", 't', resolve_apply, resolve_what, resolve_sentence};
    return store_command_write(&WRITE, &a);
}

static int reassign_apply(Engine *engine, const StoreArgs *a, int64_t now, char *why, size_t len)
{
    EngineActor actor = {a->by, NULL, NULL};
    return engine_reassign(engine, a->positional[0], a->from, a->to, &actor, now, why, len);
}

static json_t *reassign_what(const StoreArgs *a, int64_t now)
{
    (void)now;
    return json_pack("{s:s,s:s?,s:s,s:s}", "task", a->positional[0], "from", a->from, "to", a->to, "by", a->by);
}

static void reassign_sentence(const StoreArgs *a)
{
    if (a->from)
        printf("reassigned %s: %s's seat now held by %s\n", a->positional[0], a->from, a->to);
    else
        printf("reassigned %s: its seats with no holder now held by %s\n", a->positional[0], a->to);
}

int cli_reassign(int argc, char **argv)
{
    StoreArgs a;
    int status = store_args_parse("reassign", argc, argv, &a);
    if (status != CLI_OK)
        return status;
    if (a.positional_count != 1 || !a.by || !a.to)
        return store_args_words("reassign", &a, 1, "TASK [--from HOLDER] --to PERSON --by PERSON");
    static const StoreWrite WRITE = {"reassign", "reassigned", 't', reassign_apply, reassign_what,
                                     reassign_sentence};
    return store_command_write(&WRITE, &a);
}

static int undeploy_apply(Engine *engine, const StoreArgs *a, int64_t now, char *why, size_t len)
{
    return engine_undeploy(engine, a->positional[0], now, why, len);
}

static json_t *undeploy_what(const StoreArgs *a, int64_t now)
{
    (void)now;
    return json_pack("{s:s}", "playbook", a->positional[0]);
}

static void undeploy_sentence(const StoreArgs *a)
{
    printf("undeployed %s: no new instances start; running ones go on\n", cli_clean(a->positional[0]));
}

int cli_undeploy(int argc, char **argv)
{
    StoreArgs a;
    int status = store_args_parse("undeploy", argc, argv, &a);
    if (status != CLI_OK)
        return status;
    if (a.positional_count != 1)
        return store_args_words("undeploy", &a, 1, "one playbook NAME");
    static const StoreWrite WRITE = {"undeploy", "undeployed", 0, undeploy_apply, undeploy_what, undeploy_sentence};
    return store_command_write(&WRITE, &a);
}

static int ack_apply(Engine *engine, const StoreArgs *a, int64_t now, char *why, size_t len)
{
    return repeat_noted(engine_ack(engine, a->positional[0], a->by, now, why, len), why);
}

static json_t *ack_what(const StoreArgs *a, int64_t now)
{
    (void)now;
    return repeat_what(json_pack("{s:s,s:s}", "task", a->positional[0], "by", a->by));
}

static void ack_sentence(const StoreArgs *a)
{
    if (!repeat_sentence())
        printf("%s acknowledged %s: their seats escalate no further\n", a->by, a->positional[0]);
}

int cli_ack(int argc, char **argv)
{
    StoreArgs a;
    int status = store_args_parse("ack", argc, argv, &a);
    if (status != CLI_OK)
        return status;
    if (a.positional_count != 1 || !a.by)
        return store_args_words("ack", &a, 1, "TASK --by PERSON");
    static const StoreWrite WRITE = {"ack", "acknowledged", 't', ack_apply, ack_what, ack_sentence};
    return store_command_write(&WRITE, &a);
}

/* Checks a directory file before any store is opened: CLI_REFUSED after listing its
   problems, one a line, each by its JSON path. */
static int directory_check(const char *path, json_t *json)
{
    json_t *problems = json_array();
    Directory *dir = directory_parse_file(json, problems);
    bool valid = dir != NULL;
    if (!valid) {
        fprintf(stderr, "huddle: %s is not a valid directory; nothing changed:\n", path);
        size_t i;
        json_t *problem;
        json_array_foreach(problems, i, problem)
            cli_print_lines(stderr, json_string_value(problem));
    }
    /* A person nobody can tell is no error (RUNTIME.md's pre-flight reports them, and
       asks still give them seats), but the one loading the file hears of it. */
    for (unsigned i = 0; dir && i < dir->person_count; i++)
        if (!dir->people[i].email && !dir->people[i].notify)
            fprintf(stderr, "huddle: warning: %s: people.%s has no way to be told: give an email or a notify "
                    "operation\n", path, cli_clean(dir->people[i].id));
    directory_free(dir);
    json_decref(problems);
    return valid ? CLI_OK : CLI_REFUSED;
}

/* What a directory load did: "loaded 4 people, 1 team, 0 calendars", then a line per
   instance it touched (a due timer it fired first, a stand-in it added to an open
   seat), or with --json {"loaded": {"people", "teams", "calendars"}, "instances",
   "records"}, as every write reports. The sentence is printed here, before
   store_report_write's lines (its own sentence callback has only the arguments). */
static void directory_said(const StoreArgs *a)
{
    (void)a;
}

static int directory_report(const StoreArgs *a, Engine *engine, const json_t *json)
{
    size_t people = json_object_size(json_object_get(json, "people"));
    size_t teams = json_object_size(json_object_get(json, "teams"));
    size_t calendars = json_object_size(json_object_get(json, "calendars"));
    if (!a->json)
        printf("loaded %zu %s, %zu team%s, %zu calendar%s\n", people, people == 1 ? "person" : "people", teams,
               teams == 1 ? "" : "s", calendars, calendars == 1 ? "" : "s");
    json_t *what = json_pack("{s:I,s:I,s:I}", "people", (json_int_t)people, "teams", (json_int_t)teams,
                             "calendars", (json_int_t)calendars);
    return store_report_write(a, engine, "loaded", what, directory_said);
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
    if (show && a.now_text)   /* a read: its usage gives --now to load alone, as other readers refuse it */
        return cli_usage_error("directory", "directory show takes no option '--now' (it only reads; "
                               "'huddle help directory' lists its options)");
    json_t *json = NULL;
    if (load) {
        json_error_t error;
        json = json_file_load(a.positional[1], JSON_REJECT_DUPLICATES, &error);
        if (!json) {
            return cli_json_file_refused(a.positional[1], &error);
        }
        if ((status = directory_check(a.positional[1], json)) != CLI_OK) {
            json_decref(json);
            return status;   /* refused before a store is opened, or made */
        }
    }
    Engine *engine;
    a.read_only = show;
    if ((status = store_args_open(&a, load, &engine)) != CLI_OK) {
        json_decref(json);
        return status;
    }
    if (load) {
        int64_t now;
        status = store_args_now(&a, engine, &now);
        char why[8192];
        int rc = status == CLI_OK ? engine_directory_load(engine, json, now, why, sizeof why) : 0;
        if (rc < 0) {
            fprintf(stderr, "huddle: %s is not a valid directory; nothing changed:\n", a.positional[1]);
            cli_print_lines(stderr, why);
        }
        if (status == CLI_OK)
            status = cli_status_of(rc);
        if (status == CLI_OK)
            status = directory_report(&a, engine, json);
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
            if (dir)
                fprintf(stderr, "huddle: directory: no person, team, calendar, role or owner kind '%s' in the "
                        "directory\n", cli_clean(a.positional[1]));
            else
                fprintf(stderr, "huddle: directory: no directory is loaded\n");
            status = CLI_REFUSED;
        } else {
            char *text = cli_json_dumps(shown, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
            printf("%s\n", text);
            free(text);
        }
        json_decref(dir);
    }
    json_decref(json);
    store_args_close(&a, engine);
    return status;
}
