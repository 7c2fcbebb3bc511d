/*
 * cli_audit_search.c - `huddle audit search`, `stats` and `export --format csv`: the
 * decisions the record holds (engine_audit_decisions), filtered, summed up, or one a
 * CSV row (the columns are docs/audit.md's, in its order: add new ones at the end).
 */
#include "cli_audit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "text.h"

/* The filter the options give (engine_audit_search's form). */
static int audit_filter(const CliAuditArgs *a, json_t **out)
{
    static const struct {
        int option;
        const char *field;
    } TEXT[] = {{AUDIT_PLAYBOOK, "playbook"}, {AUDIT_STATE, "state"}, {AUDIT_CHOICE, "choice"},
                {AUDIT_PERSON, "person"},     {AUDIT_ASKED, "asked"}, {AUDIT_HELD, "held"},
                {AUDIT_ANSWERED, "answered"}, {AUDIT_OUTCOME, "outcome"}, {AUDIT_TAG, "tag"},
                {AUDIT_WORDS, "words"}};
    for (size_t i = 0; i < sizeof TEXT / sizeof TEXT[0]; i++)
        if (a->values[TEXT[i].option] && !a->values[TEXT[i].option][0])   /* the options share the fields' names */
            return cli_usage_error("audit", "--%s is empty: give it a value, or leave it out for no filter",
                                   TEXT[i].field);
    if (a->values[AUDIT_WORDS] && engine_audit_words_none(a->values[AUDIT_WORDS]))
        return cli_usage_error("audit", "--words holds blanks only: give it a word to find (words are "
                               "separated by spaces), or leave it out for no filter");
    json_t *filter = json_object();
    for (size_t i = 0; i < sizeof TEXT / sizeof TEXT[0]; i++)
        if (a->values[TEXT[i].option])
            json_object_set_new(filter, TEXT[i].field, json_string(a->values[TEXT[i].option]));
    if (a->since_ms != INT64_MIN)
        json_object_set_new(filter, "since", json_integer(a->since_ms));
    if (a->until_ms != INT64_MAX)
        json_object_set_new(filter, "until", json_integer(a->until_ms));
    if (a->values[AUDIT_LIMIT]) {
        int64_t limit;
        if (!text_parse_count(a->values[AUDIT_LIMIT], 1, 1000000, &limit)) {
            json_decref(filter);
            return cli_usage_error("audit", "--limit is a whole number from 1 to 1000000, not '%s'",
                                   cli_clean(a->values[AUDIT_LIMIT]));
        }
        json_object_set_new(filter, "limit", json_integer(limit));
    }
    *out = filter;
    return CLI_OK;
}

/* How long, for people (cli_duration_print takes milliseconds). */
static void print_duration(json_int_t seconds)
{
    cli_duration_print((int64_t)seconds * 1000);
}

static const char *text(const json_t *object, const char *field)
{
    const char *value = json_string_value(json_object_get(object, field));
    return cli_clean(value ? value : "");
}

static bool list_names(const json_t *list, const char *name)
{
    size_t i;
    json_t *item;
    json_array_foreach(list, i, item)
        if (json_is_string(item) && strcmp(json_string_value(item), name) == 0)
            return true;
    return false;
}

/* Whether the decision was made by an override: its `by` acted as an operator and gave
   no answer (an override's `by` is the operator's; otherwise it is an answerer's). */
static bool decided_by_override(const json_t *d)
{
    const char *by = json_string_value(json_object_get(d, "by"));
    if (!by || !list_names(json_object_get(d, "operators"), by))
        return false;
    size_t i;
    json_t *answer;
    json_array_foreach(json_object_get(d, "answers"), i, answer)
        if (json_is_string(json_object_get(answer, "by")) && strcmp(json_string_value(json_object_get(answer, "by")), by) == 0)
            return false;
    return true;
}

/* "; LABEL: a, b" for a non-empty list of names. */
static void print_names(const char *label, const json_t *list)
{
    size_t i;
    json_t *item;
    json_array_foreach(list, i, item)
        printf("%s%s", i ? ", " : label, cli_clean(json_string_value(item) ? json_string_value(item) : ""));
}

/* One decision a line: when, where, the question, how it was decided and how it ended,
   then who took part without holding a seat (away as it was asked, operators). */
static void search_print(const json_t *d)
{
    printf("%s  %s %s %s/%s: %s", text(d, "asked_at"), text(d, "instance"), text(d, "task"), text(d, "playbook"),
           text(d, "state"), text(d, "question"));
    if (json_is_null(json_object_get(d, "choice")) && json_is_null(json_object_get(d, "status"))) {
        printf(" -> open");
    } else if (json_is_null(json_object_get(d, "choice"))) {
        printf(" -> closed undecided");   /* its instance ended with the ask open: cancelled */
    } else {
        printf(" -> %s", text(d, "choice"));
        if (json_is_string(json_object_get(d, "by")))
            printf(" by %s%s", text(d, "by"), decided_by_override(d) ? ", an override" : "");
        if (json_is_string(json_object_get(d, "comment")))
            printf(" (\"%s\")", text(d, "comment"));
        printf(" after ");
        print_duration(json_integer_value(json_object_get(d, "seconds")));
    }
    json_t *ended = engine_audit_outcome_words(d);
    if (ended)
        printf("; %s", cli_clean(json_string_value(ended)));
    json_decref(ended);
    print_names("; away as asked: ", json_object_get(d, "handed_from"));
    print_names("; operators: ", json_object_get(d, "operators"));
    putchar('\n');
}

typedef int (*AuditList)(Engine *engine, const json_t *filter, json_t **out, char *why, size_t why_len);

/* search and stats: the filter, the engine's list, then each item printed (or the
   list as JSON). */
static int audit_list(CliAuditArgs *a, Engine *engine, const char *sub, AuditList call,
                      void (*print)(const json_t *item), const char *none)
{
    json_t *filter = NULL, *list = NULL;
    char why[512];
    int status = audit_filter(a, &filter);
    if (status != CLI_OK)
        return status;
    int rc = call(engine, filter, &list, why, sizeof why);
    json_decref(filter);
    if (rc != ENGINE_OK)
        return cli_audit_failed(sub, rc, why);
    size_t i;
    json_t *item;
    if (a->json)
        cli_audit_print_json(list);
    else
        json_array_foreach(list, i, item)
            print(item);
    if (!a->json && json_array_size(list) == 0)
        printf("%s\n", none);
    json_decref(list);
    return CLI_OK;
}

int cli_audit_search(CliAuditArgs *a, Engine *engine)
{
    return audit_list(a, engine, "search", engine_audit_search, search_print, "no decision matches");
}

/* ---- stats ---- */

static void stats_print(const json_t *g)
{
    long long decisions = (long long)json_integer_value(json_object_get(g, "decisions"));
    printf("%s/%s: %lld decision%s (%lld decided, %lld open", text(g, "playbook"), text(g, "state"),
           decisions, decisions == 1 ? "" : "s",
           (long long)json_integer_value(json_object_get(g, "decided")),
           (long long)json_integer_value(json_object_get(g, "open")));
    if (json_integer_value(json_object_get(g, "closed")) > 0)
        printf(", %lld closed undecided", (long long)json_integer_value(json_object_get(g, "closed")));
    printf(")\n");
    if (json_is_integer(json_object_get(g, "median_seconds"))) {
        printf("  time to decision: median ");
        print_duration(json_integer_value(json_object_get(g, "median_seconds")));
        printf(", p90 ");
        print_duration(json_integer_value(json_object_get(g, "p90_seconds")));
        putchar('\n');
    }
    printf("  delegated in %lld, escalated in %lld\n", (long long)json_integer_value(json_object_get(g, "delegated")),
           (long long)json_integer_value(json_object_get(g, "escalated")));
    const char *key;
    json_t *value, *item;
    size_t i;
    printf("  choices:");
    json_object_foreach(json_object_get(g, "choices"), key, value)
        printf(" %s %lld", cli_clean(key), (long long)json_integer_value(value));
    printf("\n  outcomes:");   /* texts with blanks ("failed: timed out"): separated by commas */
    bool first = true;
    json_object_foreach(json_object_get(g, "outcomes"), key, value) {
        printf("%s %s %lld", first ? "" : ",", cli_clean(key), (long long)json_integer_value(value));
        first = false;
    }
    printf("\n  asked most:");
    json_array_foreach(json_object_get(g, "asked_most"), i, item)
        printf("%s %s %lld", i ? "," : "", text(item, "person"), (long long)json_integer_value(json_object_get(item, "asked")));
    printf("\n  slowest to answer (median):");
    json_array_foreach(json_object_get(g, "slowest"), i, item) {
        printf("%s %s ", i ? "," : "", text(item, "person"));
        print_duration(json_integer_value(json_object_get(item, "median_seconds")));
    }
    putchar('\n');
}

int cli_audit_stats(CliAuditArgs *a, Engine *engine)
{
    return audit_list(a, engine, "stats", engine_audit_stats, stats_print, "no decisions");
}

/* ---- CSV: one decision a row ---- */

static void csv_field(StrBuf *row, const char *value, bool first)
{
    if (!first)
        strbuf_putc(row, ',');
    if (!value)
        return;
    if (!strpbrk(value, ",\"\r\n")) {
        strbuf_puts(row, value);
        return;
    }
    strbuf_putc(row, '"');
    for (const char *c = value; *c; c++) {
        if (*c == '"')
            strbuf_putc(row, '"');
        strbuf_putc(row, *c);
    }
    strbuf_putc(row, '"');
}

/* A list as "a|b|c" (answers: "by:choice"). */
static void csv_list(StrBuf *row, const json_t *list, bool answers)
{
    StrBuf joined = STRBUF_INIT;
    size_t i;
    json_t *item;
    json_array_foreach(list, i, item) {
        if (i)
            strbuf_putc(&joined, '|');
        if (answers)
            strbuf_printf(&joined, "%s:%s", json_string_value(json_object_get(item, "by")),
                          json_string_value(json_object_get(item, "choice")));
        else
            strbuf_puts(&joined, json_string_value(item) ? json_string_value(item) : "");
    }
    csv_field(row, strbuf_text(&joined), false);
    strbuf_free(&joined);
}

static void csv_value(StrBuf *row, const json_t *value)
{
    char number[32];
    if (json_is_integer(value)) {
        snprintf(number, sizeof number, "%lld", (long long)json_integer_value(value));
        csv_field(row, number, false);
    } else {
        csv_field(row, json_string_value(value), false);
    }
}

static const char CSV_HEADER[] = "instance,playbook,state,task,question,choices,asked_at,asked,held,delegated,"
                                 "escalated,answers,choice,by,comment,decided_at,seconds,outcome,tags,asked_hash,"
                                 "decided_hash,handed_from,operators,status";

static void csv_row(StrBuf *row, const json_t *d)
{
    row->len = 0;
    csv_field(row, json_string_value(json_object_get(d, "instance")), true);
    static const char *const FIRST[] = {"playbook", "state", "task", "question"};
    for (size_t i = 0; i < 4; i++)
        csv_value(row, json_object_get(d, FIRST[i]));
    csv_list(row, json_object_get(d, "choices"), false);
    csv_value(row, json_object_get(d, "asked_at"));
    csv_list(row, json_object_get(d, "asked"), false);
    csv_list(row, json_object_get(d, "held"), false);
    csv_value(row, json_object_get(d, "delegated"));
    csv_value(row, json_object_get(d, "escalated"));
    csv_list(row, json_object_get(d, "answers"), true);
    static const char *const THEN[] = {"choice", "by", "comment", "decided_at", "seconds", "outcome"};
    for (size_t i = 0; i < 6; i++)
        csv_value(row, json_object_get(d, THEN[i]));
    csv_list(row, json_object_get(d, "tags"), false);
    csv_value(row, json_object_get(d, "asked_hash"));
    csv_value(row, json_object_get(d, "decided_hash"));
    csv_list(row, json_object_get(d, "handed_from"), false);
    csv_list(row, json_object_get(d, "operators"), false);
    csv_value(row, json_object_get(d, "status"));   /* added 2026-12-06, when a failed's outcome became its reason */
}

int cli_audit_csv(CliAuditArgs *a, Engine *engine)
{
    json_t *decisions;
    char why[512];
    int rc = engine_audit_decisions(engine, &decisions, why, sizeof why);
    if (rc != ENGINE_OK)
        return cli_audit_failed("export", rc, why);
    printf("%s\r\n", CSV_HEADER);
    StrBuf row = STRBUF_INIT;
    size_t i;
    json_t *d;
    json_array_foreach(decisions, i, d) {
        int64_t asked = 0;
        value_parse_time(json_string_value(json_object_get(d, "asked_at")), &asked);
        if (asked < a->since_ms)
            continue;
        csv_row(&row, d);
        printf("%s\r\n", strbuf_text(&row));
    }
    bool failed = strbuf_failed(&row);
    strbuf_free(&row);
    json_decref(decisions);
    return failed ? CLI_SYSTEM : fflush(stdout) == 0 ? CLI_OK : CLI_SYSTEM;
}

/* ---- similar past decisions, with huddle tasks ---- */

void cli_audit_similar_print(const json_t *task)
{
    const json_t *similar = json_object_get(task, "similar");
    if (json_array_size(similar) == 0)
        return;
    printf("\n  similar past decisions:");
    size_t i;
    json_t *s;
    json_array_foreach(similar, i, s) {
        printf("\n    %s (%s, %s): %s", text(s, "task"), text(s, "instance"), text(s, "decided_at"), text(s, "choice"));
        if (json_is_string(json_object_get(s, "by")))
            printf(" by %s", text(s, "by"));
        if (json_is_string(json_object_get(s, "comment")))
            printf(" (\"%s\")", text(s, "comment"));
        json_t *ended = engine_audit_outcome_words(s);
        printf("; %s", ended ? cli_clean(json_string_value(ended)) : "still running");
        json_decref(ended);
        json_int_t shared = json_integer_value(json_object_get(s, "shared_tags"));
        if (shared)
            printf("; %lld shared tag%s", (long long)shared, shared == 1 ? "" : "s");
    }
}
