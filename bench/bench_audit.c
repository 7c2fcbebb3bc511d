/*
 * bench_audit.c - the decision record's costs (issue 14's goals; docs/audit.md):
 *
 *   1  chaining on group commit: asks started and answered by group commit (1,000
 *      inputs a transaction); then every record the run wrote is canonicalised from
 *      its stored bytes and linked again in memory, as step_write_records does, and
 *      that time is set against the run's: the share of a step's time the chain takes
 *      (goal <= 10%); the same for the decisions index (each record indexed again in a
 *      write transaction that is aborted). Both sides in this thread's CPU time: the
 *      steps' wall time holds the commits' syncs, which a faster disk shortens and the
 *      chain does not touch (the wall-time share is printed beside it); the chain's
 *      CPU time is the same with any disk
 *   2  `audit verify` over that store: records verified per second (goal >= 1,000,000)
 *   3  `audit search` on a second store of M decisions (--search M, default 1,000,000;
 *      0: none), made through the engine by group commit like section 1's, a batch
 *      of 1,000 asks a minute: filtered searches for the newest 50 (choice and tag;
 *      a person; playbook and state; an hour's window; a person, a choice and words),
 *      each the median of 5 runs, the slowest of them against the goal (< 50 ms over
 *      1,000,000), then the choice-and-tag search without a limit (every match, about
 *      1 in 21), whose time grows with what it returns
 *
 *   bench_audit [--keep] [--asks N] [--search M]     (default N = 20,000)
 *
 * Section 1's shares in this thread's CPU time; the rest wall clock on whatever else the
 * machine is doing; the store synced as a live one is.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"

#define T0_MS 1767225600000LL           /* 2026-01-01T00:00:00Z */
#define BATCH 1000

static const char ASK_PLAY[] =
    "playbook bench_audit\n"
    "\n"
    "on bench.ask as e\n"
    "\n"
    "state decide {\n"
    "  tag e.tag\n"
    "  ask person(e.who) \"Refund {e.k}?\"\n"
    "      choices yes, no\n"
    "      within 1d\n"
    "  {\n"
    "    yes     -> done \"refunded\"\n"
    "    no      -> done \"kept\"\n"
    "    timeout -> done \"late\"\n"
    "  }\n"
    "}\n";

/* Wall and CPU seconds (this thread's: the engine runs its steps in it). */
typedef struct Took {
    double wall, cpu;
} Took;

/* Applies `inputs` by group commit, batch k at now + k * step ms; adds the seconds it
   took to `took`. */
static void apply_all(Bench *b, EngineInput *inputs, size_t n, int64_t now, int64_t step, Took *took)
{
    double t0 = wall_seconds(), c0 = cpu_seconds();
    for (size_t i = 0; i < n; i += BATCH)
        bench_batch(b, inputs + i, n - i < BATCH ? n - i : BATCH, now + (int64_t)(i / BATCH) * step);
    took->wall += wall_seconds() - t0;
    took->cpu += cpu_seconds() - c0;
}

/* n asks started (batch k at T0 + k * step ms), then answered (each batch `step` later,
   from a minute after the last ask): ask i tags t3 when i % 7 == 3, asks p(i % 50),
   who answers no when i % 3 == 0. Returns the steps' seconds. */
static Took make_decisions(Bench *b, size_t n, int64_t step)
{
    Took took = {0, 0};
    EngineInput *inputs = calloc(n, sizeof *inputs);
    char (*ids)[24] = calloc(n, sizeof *ids), (*tasks)[24] = calloc(n, sizeof *tasks), (*who)[24] = calloc(n, sizeof *who);
    json_t **data = calloc(n, sizeof *data);
    for (size_t i = 0; i < n; i++) {
        snprintf(ids[i], sizeof ids[i], "a%zu", i);
        snprintf(who[i], sizeof who[i], "p%zu", i % 50);
        data[i] = json_pack("{s:s, s:s, s:s}", "k", ids[i], "tag", i % 7 == 3 ? "t3" : "t0", "who", who[i]);
        inputs[i] = (EngineInput){.kind = ENGINE_INPUT_EVENT, .source = "bench", .type = "ask", .id = ids[i],
                                  .data = data[i], .event_time = T0_MS + 1};
    }
    apply_all(b, inputs, n, T0_MS + 1, step, &took);
    for (size_t i = 0; i < n; i++) {
        snprintf(tasks[i], sizeof tasks[i], "t%zu", i + 1);
        inputs[i] = (EngineInput){.kind = ENGINE_INPUT_ANSWER, .task = tasks[i], .by = who[i],
                                  .choice = i % 3 ? "yes" : "no"};
    }
    apply_all(b, inputs, n, T0_MS + 60000 + (int64_t)(n / BATCH) * step, step, &took);
    for (size_t i = 0; i < n; i++)
        json_decref(data[i]);
    free(data);
    free(who);
    free(tasks);
    free(ids);
    free(inputs);
    return took;
}

/* Every history record of the store, as step_write_records links them: the codec's
   bytes, behind their stamp, with their instance and seq. */
typedef struct Records {
    StrBuf bytes;                   /* each record's bytes, one after another */
    size_t *ends;                   /* where each ends in `bytes` */
    uint64_t *instances;
    uint32_t *seqs;
    size_t count, cap;
} Records;

static int record_visit(void *context, const HistoryItem *item)
{
    Records *r = context;
    if (!item->stamped)
        die("a history record without its stamp");
    if (r->count == r->cap) {
        r->cap = r->cap ? 2 * r->cap : 1024;
        r->ends = realloc(r->ends, r->cap * sizeof *r->ends);
        r->instances = realloc(r->instances, r->cap * sizeof *r->instances);
        r->seqs = realloc(r->seqs, r->cap * sizeof *r->seqs);
    }
    strbuf_append(&r->bytes, item->record.data, item->record.len);
    r->ends[r->count] = r->bytes.len;
    r->instances[r->count] = item->instance;
    r->seqs[r->count++] = item->seq;
    return STORE_OK;
}

/* Every record, through the history reader (a step's records share one entry). */
static int records_work(Step *s, void *context)
{
    HistoryWalk walk = {.visit = record_visit, .context = context};
    int rc = history_walk(s->txn, &walk);
    history_walk_free(&walk);
    return rc;
}

/* The chain's own work over `records`, through chain_link as step_write_records calls it
   (the canonical form from the codec's bytes, the record link, the store link, the
   stamp): CPU seconds. The records come in key order, each after the one before it of its
   instance (or first), so no record before is read from the store: a step's first
   record of an instance reads it (chain_prev), a cost this leaves out. Encoding the
   record is not counted: the store needs its bytes with or without the chain. */
static double chain_again(const Records *records)
{
    HistoryChain chain;
    memset(&chain, 0, sizeof chain);
    unsigned char stamp[HISTORY_STAMP_MAX];
    size_t stamp_len;
    double c0 = cpu_seconds();
    for (size_t i = 0, start = 0; i < records->count; start = records->ends[i++]) {
        StoreBytes bytes = store_bytes(records->bytes.data + start, records->ends[i] - start);
        if (chain_link(&chain, records->instances[i], records->seqs[i], bytes, stamp, &stamp_len) != STORE_OK)
            die("a record does not link");
    }
    double seconds = cpu_seconds() - c0;
    chain_free(&chain);
    return seconds;
}

/* The decisions index's own work over `records`, as step_write_records does it (from
   each record's binary bytes), in a write transaction of the store that is then
   aborted (store_write runs it again in a grown map when the map fills): seconds. */
typedef struct IndexAgain {
    const Records *records;
    double seconds;
} IndexAgain;

static int index_again_work(StoreTxn *txn, void *context)
{
    IndexAgain *x = context;
    const Records *records = x->records;
    double c0 = cpu_seconds();
    for (size_t i = 0, start = 0; i < records->count; start = records->ends[i++]) {
        int rc = audit_index_record(txn, records->bytes.data + start, records->ends[i] - start, NULL, 0, NULL, NULL);
        if (rc != STORE_OK)
            return rc;
    }
    x->seconds = cpu_seconds() - c0;
    return STORE_STOP;   /* not committed: the index already holds these rows */
}

static double index_again(Bench *b, const Records *records)
{
    IndexAgain x = {records, 0};
    int rc = store_write(b->store, index_again_work, &x);
    if (rc != STORE_STOP)
        die("a record does not index: %s", store_strerror(rc));
    return x.seconds;
}

/* ---- section 3: search ---- */

/* One search's wall milliseconds (the median of `runs`), with how many it found. */
static double search_ms(Bench *b, json_t *filter, int runs, size_t *found_count)
{
    double ms[5];
    char why[512];
    for (int r = 0; r < runs; r++) {
        json_t *found;
        double t0 = wall_seconds();
        if (engine_audit_search(b->engine, filter, &found, why, sizeof why) != ENGINE_OK)
            die("search: %s", why);
        ms[r] = (wall_seconds() - t0) * 1e3;
        *found_count = json_array_size(found);
        json_decref(found);
    }
    for (int i = 1; i < runs; i++)
        for (int k = i; k > 0 && ms[k] < ms[k - 1]; k--) {
            double t = ms[k];
            ms[k] = ms[k - 1];
            ms[k - 1] = t;
        }
    json_decref(filter);
    return ms[runs / 2];
}

static void search_section(const StrBuf *play, size_t n)
{
    char dir[256], a[32], metric[80];
    path_in(dir, sizeof dir, "search");
    Bench b;
    bench_open(&b, dir, false);
    bench_deploy(&b, play, T0_MS);
    Took made = make_decisions(&b, n, 60000);
    snprintf(metric, sizeof metric, "3 a store of %zu decisions made: steps/s", n);
    row_add(metric, group(a, sizeof a, 2.0 * (double)n / made.wall));
    int64_t hour = T0_MS + (int64_t)(n / BATCH / 2) * 60000;   /* an hour in the middle */
    struct {
        const char *metric;
        json_t *filter;
        size_t want;
    } limited[] = {
        {"3 choice and tag, newest 50: ms", json_pack("{s:s, s:s, s:i}", "choice", "no", "tag", "t3", "limit", 50), 50},
        {"3 a person, newest 50: ms", json_pack("{s:s, s:i}", "person", "p7", "limit", 50), 50},
        {"3 playbook and state, newest 50: ms", json_pack("{s:s, s:s, s:i}", "playbook", "bench_audit", "state", "decide", "limit", 50), 50},
        {"3 an hour's window, newest 50: ms", json_pack("{s:I, s:I, s:i}", "since", (json_int_t)hour, "until", (json_int_t)(hour + 3599999), "limit", 50), 50},
        {"3 a person, a choice and words, newest 50: ms", json_pack("{s:s, s:s, s:s, s:i}", "person", "p7", "choice", "no", "words", "refund a", "limit", 50), 50},
    };
    double slowest = 0;
    for (size_t i = 0; i < sizeof limited / sizeof limited[0]; i++) {
        size_t found = 0;
        double ms = search_ms(&b, limited[i].filter, 5, &found);
        if (found != (n < limited[i].want * 50 ? found : limited[i].want))
            die("%s found %zu decisions, not %zu", limited[i].metric, found, limited[i].want);
        snprintf(a, sizeof a, "%.1f", ms);
        row_add(limited[i].metric, a);
        slowest = ms > slowest ? ms : slowest;
    }
    snprintf(metric, sizeof metric, "3   the slowest of those, over %zu decisions: ms", n);
    snprintf(a, sizeof a, "%.1f", slowest);
    Row *r = row_add(metric, a);
    if (n >= 1000000)
        row_goal(r, "< 50", slowest < 50);
    size_t want = 0, found = 0;
    for (size_t i = 0; i < n; i++)
        want += i % 7 == 3 && i % 3 == 0;
    double ms = search_ms(&b, json_pack("{s:s, s:s}", "choice", "no", "tag", "t3"), 1, &found);
    if (found != want)
        die("search found %zu decisions, not %zu", found, want);
    snprintf(metric, sizeof metric, "3 choice and tag, all %zu matches: ms", want);
    snprintf(a, sizeof a, "%.0f", ms);
    row_add(metric, a);
    bench_close(&b);
}

int main(int argc, char **argv)
{
    bench_name = "bench_audit";
    size_t asks = 20000, search_asks = 1000000;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--keep") == 0)
            keep_tmp = true;
        else if (strcmp(argv[i], "--asks") == 0 && i + 1 < argc)
            asks = size_arg(argv[++i]);
        else if (strcmp(argv[i], "--search") == 0 && i + 1 < argc)
            search_asks = strcmp(argv[++i], "0") == 0 ? 0 : size_arg(argv[i]);
        else {
            fprintf(stderr, "usage: %s [--keep] [--asks N] [--search M]\n", argv[0]);
            return 2;
        }
    }
    tmp_root_make("/tmp/huddle-bench-audit-XXXXXX");
    double started = wall_seconds();
    StrBuf play = STRBUF_INIT;
    compile_play("bench_audit.play", ASK_PLAY, &play);
    char dir[256], a[32], why[512];
    path_in(dir, sizeof dir, "audit");
    Bench b;
    bench_open(&b, dir, false);
    bench_deploy(&b, &play, T0_MS);

    /* 1: chaining's share of group commit */
    Took steps_took = make_decisions(&b, asks, 0);
    Records rec = {STRBUF_INIT, NULL, NULL, NULL, 0, 0};
    if (engine_read(b.engine, records_work, &rec, why, sizeof why) != ENGINE_OK)
        die("reading the history: %s", why);
    size_t records = rec.count, steps = 2 * asks;
    double chain_seconds = chain_again(&rec), index_seconds = index_again(&b, &rec);
    strbuf_free(&rec.bytes);
    free(rec.ends);
    free(rec.instances);
    free(rec.seqs);
    Row *r = row_add("1 steps/s, group commit 1,000/txn (asks, answers)",
                     group(a, sizeof a, (double)steps / steps_took.wall));
    snprintf(a, sizeof a, "%.1f", steps_took.cpu * 1e6 / (double)steps);
    row_add("1   a step's CPU time: us", a);
    snprintf(a, sizeof a, "%.1f", (double)records / (double)steps);
    row_add("1   history records per step", a);
    snprintf(a, sizeof a, "%.2f", chain_seconds * 1e6 / (double)records);
    row_add("1   chain: CPU us per record (canonical form, 2 SHA-256)", a);
    double share = chain_seconds / steps_took.cpu;
    snprintf(a, sizeof a, "%.1f%%", 100 * share);
    r = row_add("1   chain's share of a step's CPU time", a);
    row_goal(r, "<= 10%", share <= 0.10);
    snprintf(a, sizeof a, "%.1f%%", 100 * chain_seconds / steps_took.wall);
    row_add("1   the same of a step's wall time (commit's sync in)", a);
    snprintf(a, sizeof a, "%.2f", index_seconds * 1e6 / (double)records);
    row_add("1   decisions index: CPU us per record", a);
    snprintf(a, sizeof a, "%.1f%%", 100 * index_seconds / steps_took.cpu);
    row_add("1   the index's share of a step's CPU time", a);

    /* 2: verify */
    json_t *report;
    double t0 = wall_seconds();
    if (engine_audit_verify(b.engine, NULL, &report, why, sizeof why) != ENGINE_OK)
        die("verify: %s", why);
    double verify_seconds = wall_seconds() - t0;
    if (json_array_size(json_object_get(report, "problems")) != 0 ||
        (size_t)json_integer_value(json_object_get(report, "records")) != records)
        die("verify found problems in a clean store");
    json_decref(report);
    r = row_add("2 audit verify: records/s", group(a, sizeof a, (double)records / verify_seconds));
    row_goal(r, ">= 1,000,000", (double)records / verify_seconds >= 1e6);

    bench_close(&b);
    if (search_asks > 0)
        search_section(&play, search_asks);
    strbuf_free(&play);
    printf("audit: the decision record's costs (%zu asks and answers, %zu records; search over %zu decisions)\n",
           asks, records, search_asks);
    printf("  %-56s %14s  %-14s %s\n", "metric", "value", "goal", "");
    for (unsigned i = 0; i < row_count; i++)
        printf("  %-56s %14s  %-14s %s\n", rows[i].metric, rows[i].value, rows[i].goal, rows[i].verdict);
    print_tail(started);
    return 0;
}
