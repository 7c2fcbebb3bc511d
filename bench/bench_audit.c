/*
 * bench_audit.c - the decision record's costs (issue 14's goals; docs/audit.md):
 *
 *   1  chaining on group commit: asks started and answered by group commit (1,000
 *      inputs a transaction); then every record the run wrote is canonicalised from
 *      its stored bytes and linked again in memory, as step_write_records does, and
 *      that time is set against the run's: the share of a step's time the chain takes
 *      (goal <= 10%)
 *   2  `audit verify` over that store: records verified per second (goal >= 1,000,000)
 *   3  a filtered `audit search` over those decisions (choice and tag): its time, and
 *      that time scaled to 1,000,000 decisions (goal < 50 ms over 1,000,000)
 *
 *   bench_audit [--keep] [--asks N]     (default N = 20,000)
 *
 * Wall clock on whatever else the machine is doing; the store synced as a live one is.
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

/* Applies `inputs` by group commit; the wall seconds it took. */
static double apply_all(Bench *b, EngineInput *inputs, size_t n, int64_t now)
{
    double t0 = wall_seconds();
    for (size_t i = 0; i < n; i += BATCH)
        bench_batch(b, inputs + i, n - i < BATCH ? n - i : BATCH, now);
    return wall_seconds() - t0;
}

/* Section 1: n asks started, then answered; returns the steps' wall seconds. */
static double make_decisions(Bench *b, size_t n)
{
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
    double seconds = apply_all(b, inputs, n, T0_MS + 1);
    for (size_t i = 0; i < n; i++) {
        snprintf(tasks[i], sizeof tasks[i], "t%zu", i + 1);
        inputs[i] = (EngineInput){.kind = ENGINE_INPUT_ANSWER, .task = tasks[i], .by = who[i],
                                  .choice = i % 3 ? "yes" : "no"};
    }
    seconds += apply_all(b, inputs, n, T0_MS + 60000);
    for (size_t i = 0; i < n; i++)
        json_decref(data[i]);
    free(data);
    free(who);
    free(tasks);
    free(ids);
    free(inputs);
    return seconds;
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

static int records_visit(void *context, StoreBytes key, StoreBytes value)
{
    Records *r = context;
    HistoryStamp stamp;
    StoreBytes record;
    if (key.len != 12 || !history_split(value, &stamp, &record))
        die("a history record without its stamp");
    if (r->count == r->cap) {
        r->cap = r->cap ? 2 * r->cap : 1024;
        r->ends = realloc(r->ends, r->cap * sizeof *r->ends);
        r->instances = realloc(r->instances, r->cap * sizeof *r->instances);
        r->seqs = realloc(r->seqs, r->cap * sizeof *r->seqs);
    }
    const unsigned char *k = key.data;
    strbuf_append(&r->bytes, record.data, record.len);
    r->ends[r->count] = r->bytes.len;
    r->instances[r->count] = store_read_be64(k);
    r->seqs[r->count++] = (uint32_t)k[8] << 24 | (uint32_t)k[9] << 16 | (uint32_t)k[10] << 8 | k[11];
    return STORE_OK;
}

static int records_work(Step *s, void *context)
{
    return engine_scan(s, TABLE_HISTORY, store_bytes(NULL, 0), records_visit, context);
}

/* The chain's own work over `records`, as step_write_records does it (chain_link: the
   canonical form from the codec's bytes, the record link, the store link): seconds.
   Encoding the record is not counted: the store needs its bytes with or without the
   chain. */
static double chain_again(const Records *records)
{
    unsigned char prev[AUDIT_HASH] = {0}, h[AUDIT_HASH], head[AUDIT_HASH] = {0};
    CodecCanon canonical = {0};
    double t0 = wall_seconds();
    for (size_t i = 0, start = 0; i < records->count; start = records->ends[i++]) {
        if (codec_canon(&canonical, records->bytes.data + start, records->ends[i] - start) != CODEC_OK)
            die("a record does not canonicalise");
        audit_link_record(prev, canonical.text.data, canonical.text.len, h);
        chain_link_store(head, records->instances[i], records->seqs[i], h);
        memcpy(prev, h, AUDIT_HASH);
    }
    double seconds = wall_seconds() - t0;
    codec_canon_free(&canonical);
    return seconds;
}

int main(int argc, char **argv)
{
    bench_name = "bench_audit";
    size_t asks = 20000;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--keep") == 0)
            keep_tmp = true;
        else if (strcmp(argv[i], "--asks") == 0 && i + 1 < argc)
            asks = size_arg(argv[++i]);
        else {
            fprintf(stderr, "usage: %s [--keep] [--asks N]\n", argv[0]);
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
    double steps_seconds = make_decisions(&b, asks);
    Records rec = {STRBUF_INIT, NULL, NULL, NULL, 0, 0};
    if (engine_read(b.engine, records_work, &rec, why, sizeof why) != ENGINE_OK)
        die("reading the history: %s", why);
    size_t records = rec.count, steps = 2 * asks;
    double chain_seconds = chain_again(&rec);
    strbuf_free(&rec.bytes);
    free(rec.ends);
    free(rec.instances);
    free(rec.seqs);
    snprintf(a, sizeof a, "%.0f", (double)steps / steps_seconds);
    Row *r = row_add("1 steps/s, group commit 1,000/txn (asks, answers)", group(a, sizeof a, (double)steps / steps_seconds));
    snprintf(a, sizeof a, "%.1f", (double)records / (double)steps);
    row_add("1   history records per step", a);
    snprintf(a, sizeof a, "%.2f", chain_seconds * 1e6 / (double)records);
    row_add("1   chain: us per record (canonical form, 2 SHA-256)", a);
    double share = chain_seconds / steps_seconds;
    snprintf(a, sizeof a, "%.1f%%", 100 * share);
    r = row_add("1   chain's share of a step's time", a);
    row_goal(r, "<= 10%", share <= 0.10);

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

    /* 3: a filtered search */
    json_t *filter = json_pack("{s:s, s:s}", "choice", "no", "tag", "t3"), *found;
    t0 = wall_seconds();
    if (engine_audit_search(b.engine, filter, &found, why, sizeof why) != ENGINE_OK)
        die("search: %s", why);
    double search_seconds = wall_seconds() - t0;
    size_t want = 0;
    for (size_t i = 0; i < asks; i++)
        want += i % 7 == 3 && i % 3 == 0;
    if (json_array_size(found) != want)
        die("search found %zu decisions, not %zu", json_array_size(found), want);
    json_decref(found);
    json_decref(filter);
    snprintf(a, sizeof a, "%.1f", search_seconds * 1e3);
    char metric[72];
    snprintf(metric, sizeof metric, "3 audit search, 2 filters, %zu decisions: ms", asks);
    row_add(metric, a);
    double per_million = search_seconds * 1e3 * 1e6 / (double)asks;
    r = row_add("3   the same scaled to 1,000,000 decisions: ms", group(a, sizeof a, per_million));
    row_goal(r, "< 50", per_million < 50);

    bench_close(&b);
    strbuf_free(&play);
    printf("audit: the decision record's costs (%zu asks and answers, %zu records)\n", asks, records);
    printf("  %-56s %14s  %-14s %s\n", "metric", "value", "goal", "");
    for (unsigned i = 0; i < row_count; i++)
        printf("  %-56s %14s  %-14s %s\n", rows[i].metric, rows[i].value, rows[i].goal, rows[i].verdict);
    print_tail(started);
    return 0;
}
