/*
 * cli_audit.c - `huddle audit`: the decision record (docs/audit.md). verify, head and
 * export here; search and stats in cli_audit_search.c. Each subcommand opens the store
 * read-only (an older store is read as it is, not converted or chained) and prints what
 * the engine's audit calls return: a sentence a line, or --json.
 *
 * Exit status: 0 ok (verify: every chain holds), 1 verify found a record changed,
 * removed, inserted or reordered, or a head that does not match, 2 usage, 3 the store
 * could not be read.
 */
#include "cli_audit.h"
#include "engine.h"
#include "graph.h"
#include "value_json.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- arguments ---- */

/* Whether `sub` takes option `option` (--db and --json: all of them). */
static bool audit_takes(const char *sub, const char *option)
{
    static const char FILTERS[] = " --playbook --state --choice --person --asked --held --answered --outcome"
                                  " --tag --words --since --until ";
    static const struct {
        const char *sub, *options;
    } TAKES[] = {{"verify", " --head "}, {"head", " "}, {"export", " --format --since "},
                 {"search", FILTERS}, {"stats", FILTERS}};
    char word[40];
    snprintf(word, sizeof word, " %.30s ", option);
    for (size_t i = 0; i < sizeof TAKES / sizeof TAKES[0]; i++)
        if (strcmp(sub, TAKES[i].sub) == 0)
            return strstr(TAKES[i].options, word) != NULL ||
                   (strcmp(sub, "search") == 0 && strcmp(option, "--limit") == 0);
    return false;
}

int cli_audit_args(const char *sub, int argc, char **argv, CliAuditArgs *a)
{
    memset(a, 0, sizeof *a);
    const char *env = getenv("HUDDLE_DB");
    a->db = env && *env ? env : "huddle.db";
    a->since_ms = INT64_MIN;
    a->until_ms = INT64_MAX;
    CliSeen seen = {.count = 0};
    for (int i = 2; i < argc; i++) {
        const char *arg = argv[i];
        const char **slot = NULL;
        static const char *const NAMES[] = {"--db", "--head", "--format", "--since", "--until", "--playbook",
                                            "--state", "--choice", "--person", "--asked", "--held",
                                            "--answered", "--outcome", "--tag", "--words", "--limit", NULL};
        for (int k = 0; NAMES[k]; k++)
            if (strcmp(arg, NAMES[k]) == 0 && (k == AUDIT_DB || audit_takes(sub, arg)))
                slot = &a->values[k];
        if (slot) {
            if (cli_option_value("audit", argc, argv, &i, slot, &seen) != CLI_OK)
                return CLI_USAGE;
        } else if (strcmp(arg, "--json") == 0) {
            a->json = true;
        } else {
            return cli_usage_error("audit", "audit %s takes no argument '%s' ('huddle help audit' lists them)",
                                   sub, cli_clean(arg));
        }
    }
    a->db = a->values[AUDIT_DB] ? a->values[AUDIT_DB] : a->db;
    if (cli_check_db("audit", a->db) != CLI_OK)
        return CLI_USAGE;
    if (a->values[AUDIT_SINCE] && cli_parse_filter_time("audit", "--since", a->values[AUDIT_SINCE], &a->since_ms) != CLI_OK)
        return CLI_USAGE;
    if (a->values[AUDIT_UNTIL] && cli_parse_filter_time("audit", "--until", a->values[AUDIT_UNTIL], &a->until_ms) != CLI_OK)
        return CLI_USAGE;
    return CLI_OK;
}

int cli_audit_open(const CliAuditArgs *a, Engine **engine)
{
    char why[512];
    EngineOptions options = {0};
    options.read_only = true;
    if (engine_open(a->db, &options, engine, why, sizeof why) != ENGINE_OK) {
        fprintf(stderr, "huddle: %s\n", why);
        return CLI_SYSTEM;
    }
    return CLI_OK;
}

int cli_audit_failed(const char *sub, int rc, const char *why)
{
    fprintf(stderr, "huddle: audit %s: %s\n", sub, why);
    return rc == ENGINE_REFUSED ? CLI_REFUSED : CLI_SYSTEM;
}

void cli_audit_print_json(const json_t *json)
{
    char *text = cli_json_dumps(json, JSON_COMPACT | JSON_ENSURE_ASCII | JSON_ENCODE_ANY);
    if (text)
        puts(text);
    free(text);
}

/* ---- verify ---- */

static void verify_print(const json_t *report, const char *given)
{
    size_t i;
    json_t *p;
    json_array_foreach(json_object_get(report, "problems"), i, p) {
        const char *instance = json_string_value(json_object_get(p, "instance"));
        if (instance && json_is_integer(json_object_get(p, "to")))
            printf("%s seq %lld to %lld: %s (%s)\n", instance, (long long)json_integer_value(json_object_get(p, "seq")),
                   (long long)json_integer_value(json_object_get(p, "to")),
                   json_string_value(json_object_get(p, "problem")), cli_clean(json_string_value(json_object_get(p, "why"))));
        else if (instance)
            printf("%s seq %lld: %s (%s)\n", instance, (long long)json_integer_value(json_object_get(p, "seq")),
                   json_string_value(json_object_get(p, "problem")), cli_clean(json_string_value(json_object_get(p, "why"))));
        else
            printf("store: %s (%s)\n", json_string_value(json_object_get(p, "problem")),
                   json_string_value(json_object_get(p, "why")));
    }
    size_t problems = json_array_size(json_object_get(report, "problems"));
    long long records = (long long)json_integer_value(json_object_get(report, "records"));
    long long instances = (long long)json_integer_value(json_object_get(report, "instances"));
    printf("%s: %lld record%s of %lld instance%s, head %s\n", problems ? "TAMPERED" : "verified",
           records, records == 1 ? "" : "s", instances, instances == 1 ? "" : "s",
           json_string_value(json_object_get(report, "head")));
    json_t *covered = json_object_get(report, "head_given");
    if (given && json_is_object(covered))
        printf("the head given covers the first %lld records (%lld newer)\n",
               (long long)json_integer_value(json_object_get(covered, "covers")),
               (long long)json_integer_value(json_object_get(covered, "newer")));
}

static int audit_verify(CliAuditArgs *a, Engine *engine)
{
    json_t *report;
    char why[512];
    int rc = engine_audit_verify(engine, a->values[AUDIT_HEAD], &report, why, sizeof why);
    if (rc == ENGINE_REFUSED) {
        fprintf(stderr, "huddle: audit verify: %s\n", why);
        return CLI_USAGE;
    }
    if (rc != ENGINE_OK)
        return cli_audit_failed("verify", rc, why);
    if (a->json)
        cli_audit_print_json(report);
    else
        verify_print(report, a->values[AUDIT_HEAD]);
    int status = json_array_size(json_object_get(report, "problems")) ? CLI_REFUSED : CLI_OK;
    json_decref(report);
    return status;
}

/* ---- head ---- */

static int audit_head(CliAuditArgs *a, Engine *engine)
{
    json_t *head;
    char why[512];
    int rc = engine_audit_head(engine, &head, why, sizeof why);
    if (rc != ENGINE_OK)
        return cli_audit_failed("head", rc, why);
    if (a->json)
        cli_audit_print_json(head);
    else
        printf("%s\n", json_string_value(json_object_get(head, "head")));
    json_decref(head);
    return CLI_OK;
}

/* ---- export ---- */

static int export_jsonl(void *context, const json_t *row)
{
    (void)context;
    cli_audit_print_json(row);
    return ferror(stdout) ? ENGINE_FAILED : ENGINE_OK;
}

static int audit_export(CliAuditArgs *a, Engine *engine)
{
    const char *format = a->values[AUDIT_FORMAT] ? a->values[AUDIT_FORMAT] : "jsonl";
    char why[512];
    int rc;
    if (a->json && strcmp(format, "csv") == 0)   /* not CSV under a --json the reader relies on */
        return cli_usage_error("audit", "--format csv and --json together: give one (the export is JSON Lines "
                               "by default)");
    if (strcmp(format, "jsonl") == 0)
        rc = engine_audit_export(engine, a->since_ms, export_jsonl, NULL, why, sizeof why);
    else if (strcmp(format, "csv") == 0)
        return cli_audit_csv(a, engine);
    else
        return cli_usage_error("audit", "--format is jsonl or csv, not '%s'", cli_clean(format));
    if (rc != ENGINE_OK)
        return cli_audit_failed("export", rc, why);
    return fflush(stdout) == 0 ? CLI_OK : CLI_SYSTEM;
}

/* ---- the command ---- */

int cli_audit(int argc, char **argv)
{
    static const struct {
        const char *name;
        int (*run)(CliAuditArgs *a, Engine *engine);
    } SUBS[] = {{"verify", audit_verify}, {"head", audit_head}, {"export", audit_export},
                {"search", cli_audit_search}, {"stats", cli_audit_stats}};
    if (argc < 2)
        return cli_usage_error("audit", "give what to do: verify, head, export, search or stats");
    for (size_t i = 0; i < sizeof SUBS / sizeof SUBS[0]; i++) {
        if (strcmp(argv[1], SUBS[i].name) != 0)
            continue;
        CliAuditArgs a;
        int status = cli_audit_args(argv[1], argc, argv, &a);
        Engine *engine;
        if (status == CLI_OK && (status = cli_audit_open(&a, &engine)) == CLI_OK) {
            status = SUBS[i].run(&a, engine);
            engine_close(engine);
        }
        return status;
    }
    return cli_usage_error("audit", "no audit command '%s': verify, head, export, search or stats", cli_clean(argv[1]));
}

/* ---- the path an instance took, over huddle graph's DOT ---- */

/* `text` as a DOT string, quoted. */
static void path_quote(StrBuf *dot, const char *text)
{
    strbuf_putc(dot, '"');
    for (const char *c = text; *c; c++) {
        if (*c == '"' || *c == '\\')
            strbuf_putc(dot, '\\');
        strbuf_putc(dot, *c);
    }
    strbuf_putc(dot, '"');
}

/* Appends DOT attributes to a node: the graph keeps the last it is given. */
static void path_node(StrBuf *dot, const char *node, const char *attributes)
{
    path_quote(dot, node);
    strbuf_printf(dot, " [%s];\n", attributes);
}

/* How an instance ended, in its last record: the outcome or reason text. */
static const char *outcome_text(const json_t *last)
{
    const char *outcome = json_string_value(json_object_get(last, "outcome"));
    return outcome ? outcome : json_string_value(json_object_get(last, "reason"));
}

/* The end node of `program`'s graph that an instance ended at, as its `last` record
   says (done with an outcome, failed with a reason, in a state), outlined on `dot`;
   nothing when the graph has no such end (cancelled, or a version with other ends). */
static void path_end(StrBuf *dot, const AstProgram *program, const json_t *last)
{
    const char *kind = json_string_value(json_object_get(last, "kind"));
    const char *state = json_string_value(json_object_get(last, "state"));
    const char *text = outcome_text(last);
    bool done = kind && strcmp(kind, "done") == 0;
    if (!state || !text || (!done && (!kind || strcmp(kind, "failed") != 0)))
        return;
    StrBuf node = STRBUF_INIT;
    if (graph_end_node(program, state, done, text, &node)) {
        strbuf_puts(dot, "  ");
        path_node(dot, strbuf_text(&node), "color=\"#d9480f\", penwidth=4, fillcolor=\"#ffa94d\"");
    }
    strbuf_free(&node);
}

/* The states `records` entered, in order, each with the places it was entered at
   ("1, 3"), as node attributes appended to `dot`; the end or the state it is in now
   marked. */
static void path_overlay(StrBuf *dot, const AstProgram *program, const char *instance,
                         const json_t *records)
{
    json_t *visits = json_object(), *last = json_array_get(records, json_array_size(records) - 1);
    size_t i, place = 0;
    json_t *r;
    json_array_foreach(records, i, r) {
        const char *kind = json_string_value(json_object_get(r, "kind")), *state = json_string_value(json_object_get(r, "state"));
        if (!kind || strcmp(kind, "entered") != 0 || !state)
            continue;
        json_t *list = json_object_get(visits, state);
        if (!list)
            json_object_set_new(visits, state, list = json_array());
        json_array_append_new(list, json_integer((json_int_t)++place));
    }
    const char *end = json_string_value(json_object_get(last, "kind")), *now = json_string_value(json_object_get(last, "state"));
    bool done = end && strcmp(end, "done") == 0, over = done || (end && (!strcmp(end, "failed") || !strcmp(end, "cancelled")));
    const char *playbook = json_string_value(json_object_get(json_array_get(records, 0), "playbook"));
    StrBuf label = STRBUF_INIT;
    strbuf_printf(&label, "%s: the path of %s (", playbook ? playbook : "", instance);
    if (over)
        strbuf_printf(&label, "%s%s%s)", end, outcome_text(last) ? ": " : "", outcome_text(last) ? outcome_text(last) : "");
    else
        strbuf_printf(&label, "running, now in %s)", now ? now : "no state");
    strbuf_puts(dot, "  label=");
    path_quote(dot, strbuf_text(&label));
    strbuf_puts(dot, ";\n");
    strbuf_free(&label);
    const char *state;
    json_t *list;
    json_object_foreach(visits, state, list) {
        StrBuf attributes = STRBUF_INIT;
        strbuf_puts(&attributes, "fillcolor=\"#ffd8a8\", penwidth=2, xlabel=\"");
        json_array_foreach(list, i, r)
            strbuf_printf(&attributes, "%s%lld", i ? ", " : "", (long long)json_integer_value(r));
        strbuf_putc(&attributes, '"');
        if (!over && now && strcmp(now, state) == 0)
            strbuf_puts(&attributes, ", color=\"#d9480f\", penwidth=4, fillcolor=\"#ffa94d\"");
        strbuf_puts(dot, "  ");
        path_node(dot, state, strbuf_text(&attributes));
        strbuf_free(&attributes);
    }
    path_end(dot, program, last);
    json_decref(visits);
}

/* The first state `records` entered that `program` has not (another version's), or NULL. */
static const char *path_state_missing(const AstProgram *program, const json_t *records)
{
    size_t i;
    json_t *r;
    json_array_foreach(records, i, r) {
        const char *kind = json_string_value(json_object_get(r, "kind")), *state = json_string_value(json_object_get(r, "state"));
        if (!kind || strcmp(kind, "entered") != 0 || !state)
            continue;
        bool found = false;
        for (unsigned k = 0; k < program->states.count && !found; k++)
            found = strcmp(((const AstState *)program->states.items[k])->name.text, state) == 0;
        if (!found)
            return state;
    }
    return NULL;
}

/* Whether the path of `instance` (its `records`) may be drawn on the graph of FILE, whose
   program is `program` and version `version`: an instance of another version whose path
   went through a state FILE has not is refused (its drawing would make that state up);
   one of another version that FILE can carry is drawn, saying so on stderr. */
static bool path_fits(const char *instance, const AstProgram *program, const char *version,
                      const json_t *records)
{
    const char *ran = json_string_value(json_object_get(json_array_get(records, 0), "version"));
    if (!ran || !version || strcmp(ran, version) == 0)
        return true;
    const char *missing = path_state_missing(program, records);
    if (missing) {
        fprintf(stderr, "huddle: graph: instance %s runs version %.12s of %s, which has a state %s that this "
                "file (version %.12s) has not: draw it on the file of its version (huddle playbooks --db DIR "
                "lists the versions)\n", instance, ran, program->name.text, cli_clean(missing), version);
        return false;
    }
    fprintf(stderr, "huddle: graph: note: instance %s runs version %.12s of %s, not this file's %.12s: its "
            "path is drawn on this file's states\n", instance, ran, program->name.text, version);
    return true;
}

int cli_audit_graph_path(const char *db, const char *instance, const AstProgram *program,
                         const char *version, StrBuf *dot)
{
    const char *playbook = program->name.text;
    CliAuditArgs a = {0};
    a.db = db;
    Engine *engine;
    int status = cli_audit_open(&a, &engine);
    if (status != CLI_OK)
        return status;
    json_t *records;
    char why[512];
    int rc = engine_history(engine, instance, &records, why, sizeof why);
    engine_close(engine);
    if (rc != ENGINE_OK) {
        fprintf(stderr, "huddle: graph: %s in %s\n", why, db);
        return rc == ENGINE_REFUSED ? CLI_REFUSED : CLI_SYSTEM;
    }
    const char *ran = json_string_value(json_object_get(json_array_get(records, 0), "playbook"));
    if (playbook && ran && strcmp(playbook, ran) != 0) {
        fprintf(stderr, "huddle: graph: instance %s runs playbook %s, not %s: draw it on %s's file\n",
                instance, ran, playbook, ran);
        json_decref(records);
        return CLI_REFUSED;
    }
    if (!path_fits(instance, program, version, records)) {
        json_decref(records);
        return CLI_REFUSED;
    }
    while (dot->len && dot->data[dot->len - 1] != '}')
        dot->len--;             /* the graph's closing brace: the overlay goes before it */
    if (dot->len)
        dot->len--;
    path_overlay(dot, program, instance, records);
    strbuf_puts(dot, "}\n");
    json_decref(records);
    return strbuf_failed(dot) ? CLI_SYSTEM : CLI_OK;
}
