/*
 * test_batch.c - group commit (engine_apply_batch, runtime/engine/engine.h) over a real
 * store in a temporary folder.
 *
 * RUNTIME.md: "the engine applies many inputs in one write transaction and acknowledges
 * none before it commits. One failing step never undoes the others", "a refusal changes
 * nothing of its own", and a step that fails "commits its input ... and a `stalled`
 * record, and discards everything else the VM did". Scenarios:
 *
 *   refusals and a stall   a batch of events and answers with two refused answers and an
 *                          event whose instance stalls (a missing field used as a number,
 *                          after a `tag`) in the middle: every other input commits with
 *                          exactly its records; the refused ones change nothing (no
 *                          counter moved: the next instance and task get the next
 *                          numbers); the stalled one keeps only its input and the
 *                          `stalled` record (its `tag` is gone). The store equals the
 *                          one the same inputs make applied one call at a time, and the
 *                          record hook hears each committed record once, after the commit.
 *   map growth             the same batch on a store whose map is tiny
 *                          (HUDDLE_STORE_MAP_START, runtime/store/store_lmdb.c) fills
 *                          mid-batch (seen in HUDDLE_CRASH_LOG: more "group step" points
 *                          than inputs, so a run that had applied inputs was thrown away);
 *                          store_write grows the map and runs it again. The results, the
 *                          records heard and the whole store equal a run on a 64 MiB map.
 *   duplicate ids          an id twice and three times in one batch is applied once, the
 *                          repeats are `duplicate` and change nothing; the same id from
 *                          another source is a different event; an id first refused and
 *                          then sent right in the same batch is not a duplicate (the
 *                          refusal left no `seen` entry); a later batch repeating an id is
 *                          a duplicate too.
 *
 *   failures after writing the batch runs its steps in one transaction, no nested one
 *                          per step (docs/internals.md, "Group commit"). An input refused,
 *                          or failing (out of memory), after it has written (a wrapped
 *                          events_accept, below) keeps its result while every other input
 *                          commits exactly once: the same store, results and records heard
 *                          as one engine call per input, no instance number used up, and
 *                          the batch ran once more (HUDDLE_CRASH_LOG). Two such inputs: the
 *                          inputs after the first run nested, so a third run is never
 *                          needed. A refusal before writing costs no second run. The same
 *                          with the map filling mid-batch.
 *                          A failing nested step leaves meta's counters (instance,
 *                          task, timer, outbox, kept in memory through the batch) as if
 *                          it never ran.
 *   a failing timer        the timers before it commit, each at its own due time, and its
 *                          failure is returned; it and the later ones fire on the next call.
 *
 * Both stores of a comparison are copies of one store (the same random store id), so
 * their tables are compared byte for byte.
 */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "engine_internal.h"
#include "engine_outbox_entry.h"
#include "store.h"
#include "strbuf.h"
#include "testdir.h"
#include "testplay.h"

#define T0 ((int64_t)1781510400000)   /* 2026-06-15T08:00:00Z */
#define MINUTE ((int64_t)60000)

/* An ask of one seat; an event without "size" stalls after its tag. */

/* The engine's read calls, asserting that they succeed: what they read (the caller owns it). */
static json_t *read_ok(int rc, json_t *read, const char *why)
{
    if (rc != ENGINE_OK)
        fail_msg("engine read failed: %s", why);
    return read;
}

static json_t *history_of(Engine *engine, const char *id)
{
    json_t *records = NULL;
    char why[512] = "";
    int rc = engine_history(engine, id, &records, why, sizeof why);
    return read_ok(rc, records, why);
}

static json_t *instances_of(Engine *engine)
{
    json_t *list = NULL;
    char why[512] = "";
    int rc = engine_instances(engine, &list, why, sizeof why);
    return read_ok(rc, list, why);
}

static json_t *open_tasks_of(Engine *engine)
{
    json_t *tasks = NULL;
    char why[512] = "";
    int rc = engine_open_tasks(engine, NULL, &tasks, why, sizeof why);
    return read_ok(rc, tasks, why);
}

/* Each holder's open tasks (engine_open_tasks with a person: read through their inbox)
   are the open tasks whose seats hold them, in the same order; someone who holds none
   has none. */
static void assert_inboxes_match_seats(Engine *engine)
{
    json_t *all = open_tasks_of(engine), *people = json_object();
    size_t i, k, n;
    json_t *task, *seat, *holder;
    json_array_foreach(all, i, task)
        json_array_foreach(json_object_get(task, "seats"), k, seat)
            json_array_foreach(json_object_get(seat, "holders"), n, holder)
                json_object_set_new(people, json_string_value(holder), json_true());
    json_object_set_new(people, "nobody-here", json_true());
    const char *person;
    json_t *unused;
    json_object_foreach(people, person, unused) {
        json_t *want = json_array();
        json_array_foreach(all, i, task) {
            bool holds = false;
            json_array_foreach(json_object_get(task, "seats"), k, seat)
                json_array_foreach(json_object_get(seat, "holders"), n, holder)
                    holds |= strcmp(json_string_value(holder), person) == 0;
            if (holds)
                json_array_append(want, task);
        }
        json_t *got = NULL;
        char why[512] = "";
        int rc = engine_open_tasks(engine, person, &got, why, sizeof why);
        got = read_ok(rc, got, why);
        if (!json_equal(got, want))
            fail_msg("%s's open tasks through the inbox differ from those whose seats hold them", person);
        json_decref(got);
        json_decref(want);
    }
    json_decref(people);
    json_decref(all);
}

static json_t *directory_of(Engine *engine)
{
    json_t *directory = NULL;
    char why[512] = "";
    int rc = engine_directory(engine, &directory, why, sizeof why);
    return read_ok(rc, directory, why);
}

static const char DESK_PLAY[] =
    "playbook desk\n"
    "\n"
    "on desk.ticket as t\n"
    "\n"
    "state triage {\n"
    "  tag \"seen {t.key}\"\n"
    "  let weight = t.size + 1\n"
    "  ask person(\"ana\") \"Take {t.key} ({weight})?\"\n"
    "      choices take, drop\n"
    "      within 1h\n"
    "  {\n"
    "    take    -> done \"taken {t.key}\"\n"
    "    drop    -> done \"dropped\"\n"
    "    timeout -> fail \"nobody\"\n"
    "  }\n"
    "}\n";

static char crash_log[64];  /* HUDDLE_CRASH_LOG: fault_point's names, one a line */

/* ---- steps that fail after writing (GNU ld --wrap: see the Makefile) ---------------- */

/* An event whose data has "test_after_write" runs in full (it writes) and is then
   refused ("refuse") or fails out of memory ("oom", through engine_fail_allocation). A
   deadline of the instance numbered failing_timer runs in full and then fails. */
int __real_events_accept(Step *s, const char *source, const char *type, const char *id, const json_t *data,
                         int64_t event_time, bool *duplicate);
int __wrap_events_accept(Step *s, const char *source, const char *type, const char *id, const json_t *data,
                         int64_t event_time, bool *duplicate);
int __real_task_timeout(Step *s, Instance *in, const char *task_id);
int __wrap_task_timeout(Step *s, Instance *in, const char *task_id);

static uint64_t failing_timer;

int __wrap_events_accept(Step *s, const char *source, const char *type, const char *id, const json_t *data,
                         int64_t event_time, bool *duplicate)
{
    int rc = __real_events_accept(s, source, type, id, data, event_time, duplicate);
    const char *after = json_string_value(json_object_get(data, "test_after_write"));
    if (rc != STORE_OK || !after)
        return rc;
    if (strcmp(after, "oom") == 0) {
        engine_fail_allocation(1);
        free(engine_alloc(16));   /* fails: step_end ends the step out of memory */
        return STORE_OK;
    }
    return step_fail(s, ENGINE_REFUSED, "test: refused after writing");
}

int __wrap_task_timeout(Step *s, Instance *in, const char *task_id)
{
    int rc = __real_task_timeout(s, in, task_id);
    if (rc != STORE_OK || in->number != failing_timer)
        return rc;
    return step_fail(s, ENGINE_FAILED, "test: the deadline of %s failed after writing", task_id);
}

/* ---- folders and stores --------------------------------------------------------- */

typedef TestDir Fixture;    /* base: the mkdtemp folder, a store in each folder of it */

static void path_of(char *out, size_t size, const Fixture *f, const char *name)
{
    snprintf(out, size, "%s/%s", f->base, name);
}

/* An open store, its engine, and every record the engine reported (copies, in order). */
typedef struct Env {
    Store *store;
    Engine *engine;
    json_t *heard;
} Env;

static void hear(void *context, const json_t *record)
{
    json_array_append_new(((Env *)context)->heard, json_deep_copy(record));
}

static void env_open(Env *env, const char *dir)
{
    StoreOptions options = {.create = true, .no_sync = true};
    char why[512] = "";
    int rc = store_open(dir, &options, &env->store, why, sizeof why);
    if (rc != STORE_OK)
        fail_msg("store_open %s: %s", dir, why);
    env->heard = json_array();
    EngineOptions engine_options = {.on_record = hear, .record_context = env};
    env->engine = engine_new(env->store, &engine_options);
    assert_non_null(env->engine);
}

static void env_close(Env *env)
{
    engine_free(env->engine);
    store_close(env->store);
    json_decref(env->heard);
    memset(env, 0, sizeof *env);
}

static void deploy_play(Env *env, const char *name, const char *text)
{
    StrBuf bytes;
    testplay_compile(name, text, &bytes);
    char hash[65], why[256] = "";
    int rc = engine_deploy(env->engine, (const uint8_t *)bytes.data, bytes.len, T0, hash, why, sizeof why);
    if (rc != ENGINE_OK)
        fail_msg("deploy: %s", why);
    strbuf_free(&bytes);
}

static void deploy_desk(Env *env)
{
    deploy_play(env, "desk.play", DESK_PLAY);
}

/* A new store in `name` with playbook `text` deployed, closed again. */
static void make_origin_with(const Fixture *f, const char *name, const char *text)
{
    char dir[128];
    path_of(dir, sizeof dir, f, name);
    Env env;
    env_open(&env, dir);
    deploy_play(&env, "desk.play", text);
    env_close(&env);
}

/* A new store in `name` with the desk playbook deployed, closed again. */
static void make_origin(const Fixture *f, const char *name)
{
    make_origin_with(f, name, DESK_PLAY);
}

/* Copies a closed store's data file into a new folder: the same store, id and all. */
static void copy_store(const Fixture *f, const char *from, const char *to)
{
    char src[128], dst[128];
    path_of(src, sizeof src, f, from);
    path_of(dst, sizeof dst, f, to);
    assert_int_equal(testdir_copy_store(src, dst), 0);
}

/* Two open copies of a new store with the desk playbook, in folders `a` and `b`. */
static void env_open_twins(const Fixture *f, const char *a, Env *env_a, const char *b, Env *env_b)
{
    char dir[128];
    make_origin(f, "origin");
    copy_store(f, "origin", a);
    copy_store(f, "origin", b);
    path_of(dir, sizeof dir, f, a);
    env_open(env_a, dir);
    path_of(dir, sizeof dir, f, b);
    env_open(env_b, dir);
}

static long file_size(const char *path)
{
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    return (long)st.st_size;
}

/* ---- the whole store as text -------------------------------------------------------- */

typedef struct DumpTo {
    FILE *out;
    int table;
} DumpTo;

static int dump_visit(void *context, StoreBytes key, StoreBytes value)
{
    DumpTo *d = context;
    fprintf(d->out, "%d ", d->table);
    for (size_t i = 0; i < key.len; i++)
        fprintf(d->out, "%02x", ((const unsigned char *)key.data)[i]);
    fputc(' ', d->out);
    for (size_t i = 0; i < value.len; i++) {
        unsigned char c = ((const unsigned char *)value.data)[i];
        if (c >= 32 && c < 127 && c != '\\')
            fputc(c, d->out);
        else
            fprintf(d->out, "\\%02x", c);
    }
    fputc('\n', d->out);
    return STORE_OK;
}

/* Every entry of every table, one a line in key order (the caller frees it). */
static char *store_text(Store *store)
{
    char *text = NULL;
    size_t len = 0;
    DumpTo d = {open_memstream(&text, &len), 0};
    assert_non_null(d.out);
    StoreTxn *txn;
    assert_int_equal(store_begin(store, false, &txn), STORE_OK);
    for (d.table = 0; d.table < TABLE_COUNT; d.table++)
        assert_int_equal(store_scan(txn, d.table, store_bytes(NULL, 0), store_bytes(NULL, 0), dump_visit, &d), STORE_OK);
    store_abort(txn);
    assert_int_equal(fclose(d.out), 0);
    return text;
}

/* ---- inputs ------------------------------------------------------------------------ */

/* The inputs of a batch and the JSON they borrow. */
typedef struct Batch {
    EngineInput in[160];
    size_t count;
    json_t *keep;
} Batch;

static void batch_init(Batch *b)
{
    memset(b, 0, sizeof *b);
    b->keep = json_array();
}

static void batch_free(Batch *b)
{
    json_decref(b->keep);
}

static void add_event(Batch *b, const char *source, const char *id, const char *data_json)
{
    assert_true(b->count < sizeof b->in / sizeof b->in[0]);
    json_t *data = json_loads(data_json, 0, NULL);
    assert_non_null(data);
    json_array_append_new(b->keep, data);
    EngineInput *in = &b->in[b->count++];
    const char *dot = strchr(source, '.');
    assert_non_null(dot);
    json_t *names = json_pack("[s#,s]", source, (int)(dot - source), dot + 1);
    json_array_append_new(b->keep, names);
    in->kind = ENGINE_INPUT_EVENT;
    in->source = json_string_value(json_array_get(names, 0));
    in->type = json_string_value(json_array_get(names, 1));
    json_t *id_text = json_string(id);
    json_array_append_new(b->keep, id_text);
    in->id = json_string_value(id_text);
    in->data = data;
    in->event_time = T0;
}

static void add_answer(Batch *b, const char *task, const char *by, const char *choice)
{
    assert_true(b->count < sizeof b->in / sizeof b->in[0]);
    EngineInput *in = &b->in[b->count++];
    in->kind = ENGINE_INPUT_ANSWER;
    in->task = task;
    in->by = by;
    in->choice = choice;
}

/* Applies the inputs one engine call at a time, as the CLI would; the same fields out. */
static void apply_one_by_one(Env *env, Batch *b, int64_t now)
{
    for (size_t i = 0; i < b->count; i++) {
        EngineInput *in = &b->in[i];
        in->duplicate = false;
        in->why[0] = '\0';
        if (in->kind == ENGINE_INPUT_EVENT)
            in->result = engine_event(env->engine, in->source, in->type, in->id, in->data, in->event_time, now,
                                      &in->duplicate, in->why, sizeof in->why);
        else
            in->result = engine_answer(env->engine, in->task, in->by, in->choice, in->comment, now, in->why,
                                       sizeof in->why);
    }
}

/* The batch in one engine_apply_batch. */
static int apply_whole(Env *env, Batch *b, int64_t now)
{
    return engine_apply_batch(env->engine, b->in, b->count, now);
}

/* The batch streamed as serve streams a round: added 1, 2, 3, 1, 2, 3... at a time,
   each applied as it is added, then committed. */
static int apply_streamed(Env *env, Batch *b, int64_t now)
{
    EngineStream *stream;
    assert_int_equal(engine_stream_begin(env->engine, b->in, now, &stream), ENGINE_OK);
    for (size_t n = 0, step = 1; n < b->count; step = step % 3 + 1) {
        n = n + step < b->count ? n + step : b->count;
        engine_stream_add(stream, n);
    }
    return engine_stream_commit(stream);
}

typedef int (*ApplyFn)(Env *env, Batch *b, int64_t now);

static void assert_input(const EngineInput *in, int result, bool duplicate, const char *why_part)
{
    if (in->result != result || in->duplicate != duplicate)
        fail_msg("input %s: result %d (%s), duplicate %d; wanted %d, duplicate %d", in->id ? in->id : in->task,
                 in->result, in->why, in->duplicate, result, duplicate);
    if (why_part && !strstr(in->why, why_part))
        fail_msg("input %s: why '%s' does not say '%s'", in->id ? in->id : in->task, in->why, why_part);
}

static void assert_same_results(const Batch *a, const Batch *b)
{
    assert_int_equal(a->count, b->count);
    for (size_t i = 0; i < a->count; i++) {
        assert_int_equal(a->in[i].result, b->in[i].result);
        assert_int_equal(a->in[i].duplicate, b->in[i].duplicate);
        assert_string_equal(a->in[i].why, b->in[i].why);
    }
}

/* ---- reading the outcome ------------------------------------------------------------ */

/* The kinds of an instance's history, space-separated ("" when it has none). */
static void history_kinds(Env *env, const char *id, char *out, size_t size)
{
    out[0] = '\0';
    json_t *records = history_of(env->engine, id);
    size_t i;
    json_t *record;
    json_array_foreach(records, i, record) {
        size_t used = strlen(out);
        snprintf(out + used, size - used, "%s%s", used ? " " : "", json_string_value(json_object_get(record, "kind")));
    }
    json_decref(records);
}

static void assert_history(Env *env, const char *id, const char *kinds)
{
    char got[512];
    history_kinds(env, id, got, sizeof got);
    if (strcmp(got, kinds) != 0)
        fail_msg("history of %s: '%s', wanted '%s'", id, got, kinds);
}

/* "i1 done taken k1" for each instance, one a line. */
static void instances_text(Env *env, char *out, size_t size)
{
    out[0] = '\0';
    json_t *list = instances_of(env->engine);
    size_t i;
    json_t *in;
    json_array_foreach(list, i, in) {
        const json_t *outcome = json_object_get(in, "outcome");
        size_t used = strlen(out);
        snprintf(out + used, size - used, "%s %s %s\n", json_string_value(json_object_get(in, "id")),
                 json_string_value(json_object_get(in, "status")), json_is_string(outcome) ? json_string_value(outcome) : "-");
    }
    json_decref(list);
}

static void assert_instances(Env *env, const char *want)
{
    char got[1024];
    instances_text(env, got, sizeof got);
    if (strcmp(got, want) != 0)
        fail_msg("instances:\n%swanted:\n%s", got, want);
}

/* "i1:started i1:entered ...": every record the hook heard, in order. */
static void heard_text(Env *env, char *out, size_t size)
{
    out[0] = '\0';
    size_t i;
    json_t *record;
    json_array_foreach(env->heard, i, record) {
        size_t used = strlen(out);
        snprintf(out + used, size - used, "%s%s:%s", used ? " " : "",
                 json_string_value(json_object_get(record, "instance")), json_string_value(json_object_get(record, "kind")));
    }
}

/* How many lines of the crash log name `point`. */
static size_t points_passed(const char *point)
{
    FILE *log = fopen(crash_log, "r");
    if (!log)
        return 0;
    char line[256];
    size_t n = 0, len = strlen(point);
    while (fgets(line, sizeof line, log)) {
        char *name = strchr(line, ' ');
        if (name && strncmp(name + 1, point, len) == 0 && name[1 + len] == '\n')
            n++;
    }
    fclose(log);
    return n;
}

/* ---- refusals and a stall in the middle of a batch ------------------------------------- */

static void mixed_batch(Batch *b)
{
    batch_init(b);
    add_event(b, "desk.ticket", "k1", "{\"key\": \"k1\", \"size\": 1}");   /* i1 asks t1 */
    add_answer(b, "t1", "ana", "take");                                   /* i1 done */
    add_event(b, "desk.ticket", "k2", "{\"key\": \"k2\"}");               /* i2 stalls */
    add_answer(b, "t9", "ana", "take");                                   /* refused: no t9 */
    add_answer(b, "t1", "ana", "drop");                                   /* refused: decided */
    add_event(b, "desk.ticket", "k3", "{\"key\": \"k3\", \"size\": 2}");   /* i3 asks t2 */
}

static void assert_mixed_results(const Batch *b)
{
    assert_input(&b->in[0], ENGINE_OK, false, NULL);
    assert_input(&b->in[1], ENGINE_OK, false, NULL);
    assert_input(&b->in[2], ENGINE_OK, false, NULL);
    assert_input(&b->in[3], ENGINE_REFUSED, false, "no task 't9'");
    assert_input(&b->in[4], ENGINE_REFUSED, false, "t1");
    assert_input(&b->in[5], ENGINE_OK, false, NULL);
}

static void test_refused_and_stalled_inputs_undo_only_their_own(void **state)
{
    Fixture *f = *state;
    make_origin(f, "origin");
    copy_store(f, "origin", "batch");
    copy_store(f, "origin", "calls");
    char dir[128];

    Env env;
    path_of(dir, sizeof dir, f, "batch");
    env_open(&env, dir);
    Batch b;
    mixed_batch(&b);
    size_t before = points_passed("group step");
    assert_int_equal(engine_apply_batch(env.engine, b.in, b.count, T0 + MINUTE), ENGINE_OK);
    assert_mixed_results(&b);
    /* both refusals came before their steps wrote: the batch ran once */
    assert_int_equal(points_passed("group step") - before, b.count);

    assert_instances(&env, "i1 done taken k1\ni2 stalled -\ni3 running -\n");
    assert_history(&env, "i1", "started entered tagged asked notified timer answered resolved notified done");
    /* the stall kept its input and the record saying so; its entered and tagged are gone */
    assert_history(&env, "i2", "started stalled");
    assert_history(&env, "i3", "started entered tagged asked notified timer");
    json_t *history = history_of(env.engine, "i2");
    char *stalled = json_dumps(json_array_get(history, 1), JSON_COMPACT);
    if (!strstr(stalled, "\"error\":\"desk.play:7: can't add null and an integer\""))
        fail_msg("i2's stalled record names the error and its line: %s", stalled);
    free(stalled);
    json_decref(history);
    /* the refusals moved no counter: i3 asked t2, the next task */
    json_t *open = open_tasks_of(env.engine);
    assert_int_equal(json_array_size(open), 1);
    assert_string_equal(json_string_value(json_object_get(json_array_get(open, 0), "id")), "t2");
    assert_string_equal(json_string_value(json_object_get(json_array_get(open, 0), "instance")), "i3");
    json_decref(open);
    /* /metrics's gauges, as meta keeps them, say the same: t1 (i1's, answered) is closed;
       the steps undone (i2's, run again as its stall) took their moves with them */
    EngineGauges gauges, counted;
    char gauges_why[256];
    assert_int_equal(engine_gauges(env.engine, &gauges, gauges_why, sizeof gauges_why), ENGINE_OK);
    assert_int_equal(gauges.open_tasks, 1);
    assert_int_equal(gauges.running, 1);
    assert_int_equal(gauges.stalled, 1);
    assert_int_equal(engine_gauges_counted(env.engine, &counted, gauges_why, sizeof gauges_why), ENGINE_OK);
    assert_memory_equal(&counted, &gauges, sizeof gauges);
    assert_inboxes_match_seats(env.engine);
    /* the hook heard each committed record once: i1's, i2's, i3's in input order */
    char heard[1024];
    heard_text(&env, heard, sizeof heard);
    assert_string_equal(heard, "i1:started i1:entered i1:tagged i1:asked i1:notified i1:timer "
                               "i1:answered i1:resolved i1:notified i1:done "
                               "i2:started i2:stalled "
                               "i3:started i3:entered i3:tagged i3:asked i3:notified i3:timer");
    char *batched = store_text(env.store);
    env_close(&env);

    /* the same inputs, one engine call each, make the same store */
    path_of(dir, sizeof dir, f, "calls");
    env_open(&env, dir);
    Batch one;
    mixed_batch(&one);
    apply_one_by_one(&env, &one, T0 + MINUTE);
    assert_same_results(&b, &one);
    char *called = store_text(env.store);
    assert_string_equal(batched, called);
    env_close(&env);
    free(batched);
    free(called);
    batch_free(&b);
    batch_free(&one);
}

/* ---- the map fills in the middle of a batch ---------------------------------------- */

/* 120 tickets with 3 KB of data each, answers for some, a refusal and a duplicate;
   with `mark`, ticket g5 is refused ("refuse") or fails out of memory ("oom") after
   writing (__wrap_events_accept), so the map fills in the run after the one it ended. */
static void big_batch(Batch *b, const char *mark)
{
    batch_init(b);
    char pad[3001];
    memset(pad, 'x', sizeof pad - 1);
    pad[sizeof pad - 1] = '\0';
    for (int i = 1; i <= 120; i++) {
        char id[16], data[3200];
        snprintf(id, sizeof id, "g%d", i);
        snprintf(data, sizeof data, "{\"key\": \"%s\", \"size\": %d, \"pad\": \"%s\"%s%s%s}", id, i, pad,
                 mark && i == 5 ? ", \"test_after_write\": \"" : "", mark && i == 5 ? mark : "",
                 mark && i == 5 ? "\"" : "");
        add_event(b, "desk.ticket", id, data);
        if (i % 10 == 0) {
            json_t *task = json_sprintf("t%d", i / 2);
            json_array_append_new(b->keep, task);
            add_answer(b, json_string_value(task), "ana", i % 20 ? "take" : "drop");
        }
    }
    add_answer(b, "t999", "ana", "take");
    add_event(b, "desk.ticket", "g7", "{\"key\": \"again\", \"size\": 1}");
}

/* The big batch on a 64 MiB map and on one that fills mid-batch: the same results,
   records heard and store. */
static void map_growth_check(Fixture *f, const char *mark, ApplyFn apply_grown)
{
    make_origin(f, "origin");
    copy_store(f, "origin", "plain");
    copy_store(f, "origin", "grown");
    char dir[128], data[160];

    Env env;
    path_of(dir, sizeof dir, f, "plain");
    env_open(&env, dir);
    Batch plain;
    big_batch(&plain, mark);
    assert_int_equal(engine_apply_batch(env.engine, plain.in, plain.count, T0 + MINUTE), ENGINE_OK);
    assert_input(&plain.in[plain.count - 2], ENGINE_REFUSED, false, "t999");
    assert_input(&plain.in[plain.count - 1], ENGINE_OK, true, NULL);
    if (mark && strcmp(mark, "oom") == 0)
        assert_input(&plain.in[4], ENGINE_NO_MEMORY, false, "out of memory");
    else if (mark)
        assert_input(&plain.in[4], ENGINE_REFUSED, false, "refused after writing");
    char *plain_text = store_text(env.store);
    char *plain_heard = json_dumps(env.heard, JSON_COMPACT);
    env_close(&env);

    /* room for the first inputs of the batch, not for all of them */
    path_of(dir, sizeof dir, f, "grown");
    snprintf(data, sizeof data, "%s/data.mdb", dir);
    char start[32];
    snprintf(start, sizeof start, "%ld", file_size(data) + 96 * 1024);
    setenv("HUDDLE_STORE_MAP_START", start, 1);
    env_open(&env, dir);
    unsetenv("HUDDLE_STORE_MAP_START");
    Batch grown;
    big_batch(&grown, mark);
    size_t before = points_passed("group step");
    assert_int_equal(apply_grown(&env, &grown, T0 + MINUTE), ENGINE_OK);
    size_t passed = points_passed("group step") - before;
    if (passed <= grown.count)
        fail_msg("%zu group steps for %zu inputs: the map did not fill mid-batch", passed, grown.count);
    assert_same_results(&plain, &grown);
    char *grown_text = store_text(env.store);
    char *grown_heard = json_dumps(env.heard, JSON_COMPACT);
    assert_string_equal(plain_heard, grown_heard);
    assert_string_equal(plain_text, grown_text);
    env_close(&env);
    assert_true(file_size(data) > atol(start));
    free(plain_text);
    free(grown_text);
    free(plain_heard);
    free(grown_heard);
    batch_free(&plain);
    batch_free(&grown);
}

static void test_map_growth_mid_batch_changes_nothing(void **state)
{
    map_growth_check(*state, NULL, apply_whole);
}

static void test_map_growth_in_a_batch_with_a_refusal_after_writing(void **state)
{
    map_growth_check(*state, "refuse", apply_whole);
}

/* ---- a batch streamed while its inputs arrive (serve's rounds) ------------------------ */

static void test_streamed_batch_with_a_growing_map(void **state)
{
    map_growth_check(*state, NULL, apply_streamed);
}

static void test_streamed_batch_with_a_refusal_after_writing(void **state)
{
    map_growth_check(*state, "refuse", apply_streamed);
}

static void test_streamed_batch_with_a_failure_after_writing(void **state)
{
    map_growth_check(*state, "oom", apply_streamed);
}

/* Refusals and a stall in a streamed batch: the results, the records heard and the
   store of engine_apply_batch, in one run. */
static void test_streamed_batch_is_the_batch(void **state)
{
    Env whole, streamed;
    env_open_twins(*state, "whole", &whole, "streamed", &streamed);
    Batch a, b;
    mixed_batch(&a);
    mixed_batch(&b);
    assert_int_equal(apply_whole(&whole, &a, T0 + MINUTE), ENGINE_OK);
    size_t before = points_passed("group step");
    assert_int_equal(apply_streamed(&streamed, &b, T0 + MINUTE), ENGINE_OK);
    assert_int_equal(points_passed("group step") - before, b.count);   /* one run */
    assert_mixed_results(&b);
    assert_same_results(&a, &b);
    char *whole_heard = json_dumps(whole.heard, JSON_COMPACT), *streamed_heard = json_dumps(streamed.heard, JSON_COMPACT);
    assert_string_equal(whole_heard, streamed_heard);
    char *whole_text = store_text(whole.store), *streamed_text = store_text(streamed.store);
    assert_string_equal(whole_text, streamed_text);
    free(whole_heard);
    free(streamed_heard);
    free(whole_text);
    free(streamed_text);
    batch_free(&a);
    batch_free(&b);
    env_close(&whole);
    env_close(&streamed);
}

/* ---- duplicate ids ---------------------------------------------------------------- */

/* The `seen` entries as "source/id" lines, in key order. */
static int seen_visit(void *context, StoreBytes key, StoreBytes value)
{
    (void)value;
    StoreBytes source, id;
    assert_true(seen_key_split(key, false, &source, &id));
    fprintf(context, "%.*s/%.*s\n", (int)source.len, (const char *)source.data, (int)id.len, (const char *)id.data);
    return STORE_OK;
}

static char *seen_text(Store *store)
{
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);
    assert_non_null(out);
    StoreTxn *txn;
    assert_int_equal(store_begin(store, false, &txn), STORE_OK);
    assert_int_equal(store_scan(txn, TABLE_SEEN, store_bytes(NULL, 0), store_bytes(NULL, 0), seen_visit, out), STORE_OK);
    store_abort(txn);
    assert_int_equal(fclose(out), 0);
    return text;
}

/* A store "db" with desk deployed and a directory of ana and bo. */
static void env_open_desk_with_people(Env *env, const Fixture *f)
{
    char dir[128], why[256] = "";
    path_of(dir, sizeof dir, f, "db");
    env_open(env, dir);
    deploy_desk(env);
    json_t *people = json_loads("{\"people\": {\"ana\": {\"name\": \"Ana\", \"email\": \"ana@example.com\"}, "
                                "\"bo\": {\"name\": \"Bo\", \"email\": \"bo@example.com\"}}}", 0, NULL);
    if (engine_directory_load(env->engine, people, T0, why, sizeof why) != ENGINE_OK)
        fail_msg("directory: %s", why);
    json_decref(people);
}

/* What each refusal is for (EngineRefusal), which serve turns into its status and field:
   never read from the sentence, which quotes the client's own text. */
static void assert_refusal(const EngineRefusal *refusal, EngineRefusalKind kind, const char *field)
{
    if (refusal->kind != kind || strcmp(refusal->field, field) != 0)
        fail_msg("refusal for %d '%s', wanted %d '%s'", refusal->kind, refusal->field, kind, field);
}

static void test_refusals_say_what_they_are_for(void **state)
{
    char why[256] = "";
    Env env;
    env_open_desk_with_people(&env, *state);

    Batch b;
    batch_init(&b);
    add_event(&b, "desk.ticket", "r1", "{\"key\": \"r1\", \"size\": 1}");            /* i1 asks t1 */
    add_answer(&b, "t1", "ana", "done already");                                    /* no such choice */
    add_answer(&b, "t1", "bo", "take");                                             /* holds no seat */
    add_answer(&b, "t1", "zed", "take");                                            /* not in the directory */
    add_answer(&b, "t7", "ana", "take");                                            /* no such task */
    add_answer(&b, "t1", "ana", "take");
    add_answer(&b, "t1", "ana", "drop");                                            /* decided already */
    add_event(&b, "directory.away", "x1", "{\"person\": \"bo\", \"untill\": \"2026-06-20\"}");
    add_event(&b, "directory.away", "x2", "{\"person\": \"zed\"}");
    add_event(&b, "directory.away", "x3", "{\"person\": \"bo\", \"from\": \"2026-06-20\", \"to\": \"2026-06-10\"}");
    assert_int_equal(engine_apply_batch(env.engine, b.in, b.count, T0 + MINUTE), ENGINE_OK);
    assert_input(&b.in[0], ENGINE_OK, false, NULL);
    assert_input(&b.in[1], ENGINE_REFUSED, false, "already");
    assert_refusal(&b.in[1].refusal, ENGINE_REFUSAL_INPUT, "choice");
    assert_input(&b.in[2], ENGINE_REFUSED, false, "bo holds no open seat on task t1");
    assert_refusal(&b.in[2].refusal, ENGINE_REFUSAL_NOT_YOURS, "");
    assert_input(&b.in[3], ENGINE_REFUSED, false, "by: no person 'zed'");
    assert_refusal(&b.in[3].refusal, ENGINE_REFUSAL_INPUT, "by");
    assert_input(&b.in[4], ENGINE_REFUSED, false, "no task 't7'");
    assert_refusal(&b.in[4].refusal, ENGINE_REFUSAL_NOT_FOUND, "");
    assert_input(&b.in[5], ENGINE_OK, false, NULL);
    assert_input(&b.in[6], ENGINE_REFUSED, false, "already resolved");
    assert_refusal(&b.in[6].refusal, ENGINE_REFUSAL_CONFLICT, "");
    assert_input(&b.in[7], ENGINE_REFUSED, false, "untill");
    assert_refusal(&b.in[7].refusal, ENGINE_REFUSAL_INPUT, "data.untill");
    assert_input(&b.in[8], ENGINE_REFUSED, false, "no person 'zed'");
    assert_refusal(&b.in[8].refusal, ENGINE_REFUSAL_INPUT, "data.person");
    assert_input(&b.in[9], ENGINE_REFUSED, false, "bo's absence");
    assert_refusal(&b.in[9].refusal, ENGINE_REFUSAL_INPUT, "data.to");

    /* A call of its own: engine_refusal says what the last one was refused for, and a
       call that goes through forgets it. */
    EngineActor actor = {.by = "ana", .reason = "duplicate"};
    assert_int_equal(engine_cancel(env.engine, "i9", &actor, T0 + 2 * MINUTE, why, sizeof why), ENGINE_REFUSED);
    assert_refusal(engine_refusal(env.engine), ENGINE_REFUSAL_NOT_FOUND, "");
    assert_int_equal(engine_retry(env.engine, "i1", "nowhere", &actor, T0 + 2 * MINUTE, why, sizeof why),
                     ENGINE_REFUSED);
    assert_refusal(engine_refusal(env.engine), ENGINE_REFUSAL_CONFLICT, "");   /* i1 is done, not stalled */
    assert_int_equal(engine_cancel(env.engine, "i1", &actor, T0 + 2 * MINUTE, why, sizeof why), ENGINE_REFUSED);
    assert_refusal(engine_refusal(env.engine), ENGINE_REFUSAL_CONFLICT, "");   /* ended already */
    actor.reason = " ";
    assert_int_equal(engine_resolve(env.engine, "t1", "take", &actor, T0 + 2 * MINUTE, why, sizeof why),
                     ENGINE_REFUSED);
    assert_refusal(engine_refusal(env.engine), ENGINE_REFUSAL_INPUT, "reason");
    batch_free(&b);
    env_close(&env);
}

static void test_duplicate_ids_in_one_batch(void **state)
{
    Env env;
    env_open_desk_with_people(&env, *state);

    Batch b;
    batch_init(&b);
    add_event(&b, "desk.ticket", "d1", "{\"key\": \"d1\", \"size\": 1}");        /* i1 */
    add_event(&b, "desk.ticket", "d1", "{\"key\": \"other\", \"size\": 5}");     /* the id decides */
    add_event(&b, "shop.ticket", "d1", "{\"key\": \"d1\", \"size\": 1}");        /* another source */
    add_event(&b, "directory.away", "x1", "{\"person\": \"zed\", \"to\": \"2026-06-20\"}");
    add_event(&b, "directory.away", "x1", "{\"person\": \"bo\", \"to\": \"2026-06-20\"}");
    add_event(&b, "desk.ticket", "d1", "{\"key\": \"d1\", \"size\": 1}");
    add_event(&b, "directory.away", "x1", "{\"person\": \"bo\", \"to\": \"2026-06-21\"}");
    assert_int_equal(engine_apply_batch(env.engine, b.in, b.count, T0 + MINUTE), ENGINE_OK);
    assert_input(&b.in[0], ENGINE_OK, false, NULL);
    assert_input(&b.in[1], ENGINE_OK, true, NULL);
    assert_input(&b.in[2], ENGINE_OK, false, NULL);
    assert_input(&b.in[3], ENGINE_REFUSED, false, "zed");
    assert_input(&b.in[4], ENGINE_OK, false, NULL);
    assert_input(&b.in[5], ENGINE_OK, true, NULL);
    assert_input(&b.in[6], ENGINE_OK, true, NULL);
    char *seen = seen_text(env.store);
    assert_string_equal(seen, "desk/d1\ndirectory/x1\nshop/d1\n");
    free(seen);
    assert_instances(&env, "i1 running -\n");
    json_t *open = open_tasks_of(env.engine);
    assert_int_equal(json_array_size(open), 1);
    const char *question = json_string_value(json_object_get(json_array_get(open, 0), "question"));
    if (!question || strcmp(question, "Take d1 (2)?") != 0)
        fail_msg("the task asks '%s', wanted the first d1's 'Take d1 (2)?'", question ? question : "(none)");
    json_decref(open);
    /* bo is away until the 20th, as the first accepted x1 said, not the 21st */
    json_t *directory = directory_of(env.engine);
    char *text = json_dumps(directory, JSON_COMPACT);
    assert_non_null(strstr(text, "2026-06-20"));
    assert_null(strstr(text, "2026-06-21"));
    free(text);
    json_decref(directory);
    batch_free(&b);

    /* a later batch: d1 is still a duplicate, d2 is new */
    batch_init(&b);
    add_event(&b, "desk.ticket", "d1", "{\"key\": \"d1\", \"size\": 1}");
    add_event(&b, "desk.ticket", "d2", "{\"key\": \"d2\", \"size\": 1}");
    assert_int_equal(engine_apply_batch(env.engine, b.in, b.count, T0 + 2 * MINUTE), ENGINE_OK);
    assert_input(&b.in[0], ENGINE_OK, true, NULL);
    assert_input(&b.in[1], ENGINE_OK, false, NULL);
    assert_instances(&env, "i1 running -\ni2 running -\n");
    assert_history(&env, "i1", "started entered tagged asked notified timer");
    batch_free(&b);
    env_close(&env);
}

/* ---- inputs that fail after writing -------------------------------------------------- */

/* Tickets k1..kn; marks[i] (or NULL) makes ticket i+1 refused ("refuse") or fail out of
   memory ("oom") after it has written. */
static void marked_tickets(Batch *b, size_t n, const char *const *marks)
{
    batch_init(b);
    for (size_t i = 0; i < n; i++) {
        char id[16], data[160];
        snprintf(id, sizeof id, "k%zu", i + 1);
        if (marks[i])
            snprintf(data, sizeof data, "{\"key\": \"%s\", \"size\": 1, \"test_after_write\": \"%s\"}", id, marks[i]);
        else
            snprintf(data, sizeof data, "{\"key\": \"%s\", \"size\": 1}", id);
        add_event(b, "desk.ticket", id, data);
    }
}

/* Applies n marked tickets as one batch: the marked ones keep their refusal or failure,
   every other one commits exactly once (the same store, results and records heard as
   one engine call per input; its instance numbered in turn, none used up by a marked
   one), and the batch passed `points` group steps in all its runs. */
static void settle_check(Fixture *f, size_t n, const char *const *marks, size_t points)
{
    make_origin(f, "origin");
    copy_store(f, "origin", "batch");
    copy_store(f, "origin", "calls");
    char dir[128], want[1024] = "", heard_want[2048] = "", seen_want[256] = "";
    Env env;
    path_of(dir, sizeof dir, f, "batch");
    env_open(&env, dir);
    Batch b;
    marked_tickets(&b, n, marks);
    size_t before = points_passed("group step");
    assert_int_equal(engine_apply_batch(env.engine, b.in, b.count, T0 + MINUTE), ENGINE_OK);
    assert_int_equal(points_passed("group step") - before, points);
    unsigned number = 0;
    for (size_t i = 0; i < n; i++) {
        if (marks[i] && strcmp(marks[i], "oom") == 0)
            assert_input(&b.in[i], ENGINE_NO_MEMORY, false, "out of memory");
        else if (marks[i])
            assert_input(&b.in[i], ENGINE_REFUSED, false, "test: refused after writing");
        else
            assert_input(&b.in[i], ENGINE_OK, false, NULL);
        assert_int_equal(b.in[i].started, marks[i] ? 0 : 1);
        if (marks[i])
            continue;
        number++;
        size_t used = strlen(want);
        snprintf(want + used, sizeof want - used, "i%u running -\n", number);
        const char *kinds[] = {"started", "entered", "tagged", "asked", "notified", "timer"};
        for (size_t k = 0; k < 6; k++) {
            used = strlen(heard_want);
            snprintf(heard_want + used, sizeof heard_want - used, "%si%u:%s", used ? " " : "", number, kinds[k]);
        }
    }
    for (size_t i = 0; i < n; i++)   /* seen sorts k1..k9 by length, then as text */
        if (!marks[i]) {
            size_t used = strlen(seen_want);
            snprintf(seen_want + used, sizeof seen_want - used, "desk/k%zu\n", i + 1);
        }
    assert_instances(&env, want);
    char heard[2048];
    heard_text(&env, heard, sizeof heard);
    assert_string_equal(heard, heard_want);
    char *seen = seen_text(env.store);
    assert_string_equal(seen, seen_want);
    free(seen);
    char *batched = store_text(env.store);
    env_close(&env);

    path_of(dir, sizeof dir, f, "calls");
    env_open(&env, dir);
    Batch one;
    marked_tickets(&one, n, marks);
    apply_one_by_one(&env, &one, T0 + MINUTE);
    assert_same_results(&b, &one);
    char *called = store_text(env.store);
    assert_string_equal(batched, called);
    env_close(&env);
    free(batched);
    free(called);
    batch_free(&b);
    batch_free(&one);
}

static void test_input_refused_after_writing_leaves_the_rest(void **state)
{
    /* run 1 passes k1 and k2 and is aborted at k3; run 2 passes the other four */
    const char *const marks[] = {NULL, NULL, "refuse", NULL, NULL};
    settle_check(*state, 5, marks, 2 + 4);
}

static void test_input_failing_after_writing_leaves_the_rest(void **state)
{
    const char *const marks[] = {NULL, NULL, "oom", NULL, NULL};
    settle_check(*state, 5, marks, 2 + 4);
}

static void test_two_inputs_failing_after_writing_take_two_runs(void **state)
{
    /* run 1 passes k1 and is aborted at k2; run 2 passes k1 directly, then k3 to k7
       each in a nested transaction, k5's undoing only itself: no third run */
    const char *const marks[] = {NULL, "refuse", NULL, NULL, "oom", NULL, NULL};
    settle_check(*state, 7, marks, 1 + 6);
}

/* meta's counter `name` in `store`: 0 when it was never raised. */
static uint64_t meta_counter(Store *store, const char *name)
{
    StoreTxn *txn;
    assert_int_equal(store_begin(store, false, &txn), STORE_OK);
    StoreBytes value;
    uint64_t number = 0;
    int rc = store_get(txn, TABLE_META, store_bytes(name, strlen(name)), &value);
    if (rc == STORE_OK) {
        assert_int_equal(value.len, 8);
        number = store_read_be64(value.data);
    } else
        assert_int_equal(rc, STORE_NOT_FOUND);
    store_abort(txn);
    return number;
}

static void test_a_failing_nested_step_leaves_the_counters(void **state)
{
    /* run 1 passes k1 and is aborted at k2; run 2 passes k1 directly, then k3 to k5
       each nested: k4 raises every counter a ticket raises (its instance, task, timer
       and outbox entry: the batch keeps them in memory, engine_counters.c) and fails,
       and its nested transaction is undone. The counters are those of k1, k3 and k5
       alone: meta holds what one call per input leaves, and the next batch goes on
       from there. */
    const char *const marks[] = {NULL, "refuse", NULL, "oom", NULL};
    settle_check(*state, 5, marks, 1 + 4);
    static const char *const names[] = {"next_instance", "next_task", "next_timer", "next_outbox", "engine_time"};
    uint64_t batched[5], called[5];
    char dir[128];
    Env env;
    path_of(dir, sizeof dir, *state, "calls");
    env_open(&env, dir);
    for (size_t i = 0; i < 5; i++)
        called[i] = meta_counter(env.store, names[i]);
    env_close(&env);
    path_of(dir, sizeof dir, *state, "batch");
    env_open(&env, dir);
    for (size_t i = 0; i < 5; i++) {
        batched[i] = meta_counter(env.store, names[i]);
        if (batched[i] != called[i])
            fail_msg("%s is %llu after the batch, %llu after one call per input", names[i],
                     (unsigned long long)batched[i], (unsigned long long)called[i]);
        assert_true(batched[i] > 0);
    }
    assert_int_equal(batched[0], 3);
    assert_int_equal(batched[1], 3);
    Batch b;
    batch_init(&b);
    add_event(&b, "desk.ticket", "k9", "{\"key\": \"k9\", \"size\": 1}");
    assert_int_equal(engine_apply_batch(env.engine, b.in, b.count, T0 + 2 * MINUTE), ENGINE_OK);
    assert_input(&b.in[0], ENGINE_OK, false, NULL);
    assert_instances(&env, "i1 running -\ni2 running -\ni3 running -\ni4 running -\n");
    for (size_t i = 0; i < 4; i++)
        assert_int_equal(meta_counter(env.store, names[i]), batched[i] + 1);
    batch_free(&b);
    env_close(&env);
}

/* ---- a timer that fails --------------------------------------------------------------- */

/* The "at" of the first record the hook heard for `id`, or "". */
static const char *heard_at(Env *env, const char *id)
{
    size_t i;
    json_t *record;
    json_array_foreach(env->heard, i, record)
        if (strcmp(json_string_value(json_object_get(record, "instance")), id) == 0)
            return json_string_value(json_object_get(record, "at"));
    return "";
}

static void test_a_failing_timer_keeps_the_timers_before_it(void **state)
{
    Fixture *f = *state;
    make_origin(f, "db");
    char dir[128], why[256] = "";
    path_of(dir, sizeof dir, f, "db");
    Env env;
    env_open(&env, dir);
    /* k1..k5 at 08:01..08:05, one batch each: their deadlines fall at 09:01..09:05 */
    for (int k = 1; k <= 5; k++) {
        const char *const none[] = {NULL};
        Batch b;
        marked_tickets(&b, 1, none);
        json_t *id = json_sprintf("k%d", k);
        json_array_append_new(b.keep, id);
        b.in[0].id = json_string_value(id);
        assert_int_equal(engine_apply_batch(env.engine, b.in, 1, T0 + k * MINUTE), ENGINE_OK);
        assert_input(&b.in[0], ENGINE_OK, false, NULL);
        batch_free(&b);
    }
    json_array_clear(env.heard);

    /* the first timer fails: nothing fires */
    failing_timer = 1;
    assert_int_equal(engine_fire_due(env.engine, T0 + 3 * 60 * MINUTE, why, sizeof why), ENGINE_FAILED);
    assert_non_null(strstr(why, "test: the deadline of t1 failed after writing"));
    assert_int_equal(json_array_size(env.heard), 0);
    assert_instances(&env, "i1 running -\ni2 running -\ni3 running -\ni4 running -\ni5 running -\n");

    /* the third fails: the first two time out, at their own due times, and stay so */
    failing_timer = 3;
    assert_int_equal(engine_fire_due(env.engine, T0 + 3 * 60 * MINUTE, why, sizeof why), ENGINE_FAILED);
    assert_non_null(strstr(why, "test: the deadline of t3 failed after writing"));
    assert_instances(&env, "i1 failed nobody\ni2 failed nobody\ni3 running -\ni4 running -\ni5 running -\n");
    assert_non_null(strstr(heard_at(&env, "i1"), "T09:01:00"));
    assert_non_null(strstr(heard_at(&env, "i2"), "T09:02:00"));
    assert_string_equal(heard_at(&env, "i3"), "");
    int64_t now = 0;
    assert_int_equal(engine_time(env.engine, &now, why, sizeof why), ENGINE_OK);
    assert_true(now == T0 + 62 * MINUTE);   /* the last timer that committed */

    /* nothing fails: the rest fire, in order, and the first two are not fired again */
    failing_timer = 0;
    size_t heard_before = json_array_size(env.heard);
    assert_int_equal(engine_fire_due(env.engine, T0 + 3 * 60 * MINUTE, why, sizeof why), ENGINE_OK);
    assert_instances(&env, "i1 failed nobody\ni2 failed nobody\ni3 failed nobody\ni4 failed nobody\ni5 failed nobody\n");
    char kinds1[512], kinds3[512];
    history_kinds(&env, "i1", kinds1, sizeof kinds1);
    history_kinds(&env, "i3", kinds3, sizeof kinds3);
    assert_string_equal(kinds1, kinds3);
    assert_int_equal(json_array_size(env.heard), heard_before / 2 * 5);   /* as many for each */
    assert_non_null(strstr(json_string_value(json_object_get(json_array_get(env.heard, heard_before), "at")), "T09:03:00"));
    env_close(&env);
}

/* ---- the brief hook ------------------------------------------------------------------ */

/* A brief as the JSON hook's record gives it: kind, and instance, state and task when
   they are strings (else null). */
static json_t *brief_json(const char *kind, const EngineText *instance, const EngineText *state, const EngineText *task)
{
    const EngineText *texts[] = {instance, state, task};
    const char *names[] = {"instance", "state", "task"};
    json_t *out = json_pack("{s:s}", "kind", kind);
    for (size_t i = 0; i < 3; i++)
        json_object_set_new(out, names[i], texts[i]->text ? json_stringn(texts[i]->text, texts[i]->len) : json_null());
    return out;
}

static void hear_brief(void *context, const EngineRecordBrief *r)
{
    json_array_append_new(((Env *)context)->heard, brief_json(r->kind, &r->instance, &r->state, &r->task));
}

static json_t *brief_of_record(const json_t *record)
{
    const char *names[] = {"instance", "state", "task"};
    EngineText texts[3];
    for (size_t i = 0; i < 3; i++) {
        const json_t *v = json_object_get(record, names[i]);
        texts[i] = json_is_string(v) ? (EngineText){json_string_value(v), json_string_length(v)} : (EngineText){NULL, 0};
    }
    return brief_json(json_string_value(json_object_get(record, "kind")), &texts[0], &texts[1], &texts[2]);
}

/* The brief hook hears each record the JSON hook hears, in order, with the same
   instance, state and task, read from the record's bytes. */
static void test_brief_hook_hears_what_the_json_hook_hears(void **state)
{
    Env json_env, brief_env;
    env_open_twins(*state, "json", &json_env, "brief", &brief_env);
    brief_env.engine->options.on_record = NULL;
    brief_env.engine->options.on_record_brief = hear_brief;
    Batch a, b;
    mixed_batch(&a);
    mixed_batch(&b);
    assert_int_equal(engine_apply_batch(json_env.engine, a.in, a.count, T0 + MINUTE), ENGINE_OK);
    assert_int_equal(engine_apply_batch(brief_env.engine, b.in, b.count, T0 + MINUTE), ENGINE_OK);
    assert_same_results(&a, &b);
    json_t *want = json_array();
    size_t i;
    json_t *record;
    json_array_foreach(json_env.heard, i, record)
        json_array_append_new(want, brief_of_record(record));
    assert_true(json_array_size(want) >= 6);
    if (!json_equal(want, brief_env.heard)) {
        char *w = json_dumps(want, 0), *g = json_dumps(brief_env.heard, 0);
        fail_msg("briefs:\n%s\nwanted:\n%s", g, w);
    }
    json_decref(want);
    batch_free(&a);
    batch_free(&b);
    env_close(&json_env);
    env_close(&brief_env);
}

/* ---- similar past decisions across rounds -------------------------------------- */

/* The tasks of the "similar" list the asked message about `task` carries, comma-separated
   in their order, into `out` ("-" when no such message is in the outbox). */
typedef struct SimilarFind {
    const char *task;
    char *out;
    size_t size;
    const char *field;              /* of each decision listed: "task", "outcome" */
} SimilarFind;

static int similar_visit(void *context, StoreBytes key, StoreBytes value)
{
    (void)key;
    SimilarFind *find = context;
    OutboxEntry entry;
    char why[256];
    if (outbox_entry_load(value.data, value.len, &entry, why, sizeof why) != STORE_OK)
        fail_msg("an outbox entry does not load: %s", why);
    json_t *message = entry.has_message ? outbox_entry_message_json(&entry) : NULL;
    const char *about = json_string_value(json_object_get(message, "about"));
    const char *task = json_string_value(json_object_get(message, "task"));
    if (about && task && strcmp(about, "asked") == 0 && strcmp(task, find->task) == 0) {
        size_t i, len = 0;
        json_t *decision;
        find->out[0] = '\0';
        json_array_foreach(json_object_get(message, "similar"), i, decision)
            len += (size_t)snprintf(find->out + len, find->size - len, "%s%s", i ? "," : "",
                                    json_string_value(json_object_get(decision, find->field)));
    }
    json_decref(message);
    outbox_entry_free(&entry);
    return STORE_OK;
}

static void similar_field_of(Env *env, const char *task, const char *field, char *out, size_t size)
{
    SimilarFind find = {task, out, size, field};
    StoreTxn *txn;
    snprintf(out, size, "-");
    assert_int_equal(store_begin(env->store, false, &txn), STORE_OK);
    assert_int_equal(store_scan(txn, TABLE_OUTBOX, store_bytes(NULL, 0), store_bytes(NULL, 0), similar_visit, &find),
                     STORE_OK);
    store_abort(txn);
}

static void similar_of(Env *env, const char *task, char *out, size_t size)
{
    similar_field_of(env, task, "task", out, size);
}

/* One input applied as serve applies a round: streamed, then committed. */
static void round_of(Env *env, Batch *b, int64_t now)
{
    assert_int_equal(apply_streamed(env, b, now), ENGINE_OK);
    for (size_t i = 0; i < b->count; i++)
        if (b->in[i].result != ENGINE_OK)
            fail_msg("input %zu of the round: %s", i, b->in[i].why);
    batch_free(b);
    batch_init(b);
}

/* An ask's similar decisions (engine_ask_context.c) are what the record holds when its
   step commits, also when the engine keeps what it learnt from one round to the next:
   a decision of the round before is in the next ask's list, and one another engine
   committed between two rounds (another writer: the window is read again) too. */
static void test_similar_decisions_across_rounds(void **state)
{
    char dir[128], got[256];
    make_origin(*state, "rounds");
    path_of(dir, sizeof dir, *state, "rounds");
    Env env;
    env_open(&env, dir);
    Batch b;
    batch_init(&b);
    add_event(&b, "desk.ticket", "e1", "{\"key\": \"k1\", \"size\": 1}");
    round_of(&env, &b, T0 + MINUTE);
    similar_of(&env, "t1", got, sizeof got);
    assert_string_equal(got, "");
    add_answer(&b, "t1", "ana", "take");
    round_of(&env, &b, T0 + 2 * MINUTE);
    add_event(&b, "desk.ticket", "e2", "{\"key\": \"k2\", \"size\": 2}");
    round_of(&env, &b, T0 + 3 * MINUTE);
    similar_of(&env, "t2", got, sizeof got);
    assert_string_equal(got, "t1");

    EngineOptions other_options = {0};
    Engine *other = engine_new(env.store, &other_options);   /* another writer between rounds */
    assert_non_null(other);
    char why[256] = "";
    assert_int_equal(engine_answer(other, "t2", "ana", "drop", NULL, T0 + 4 * MINUTE, why, sizeof why), ENGINE_OK);
    engine_free(other);
    add_event(&b, "desk.ticket", "e3", "{\"key\": \"k3\", \"size\": 3}");
    round_of(&env, &b, T0 + 5 * MINUTE);
    similar_of(&env, "t3", got, sizeof got);
    assert_string_equal(got, "t2,t1");
    batch_free(&b);
    env_close(&env);
}

/* A decision whose instance goes on after it: its outcome comes later. */
static const char TWO_ASKS_PLAY[] =
    "playbook desk\n"
    "\n"
    "on desk.ticket as t\n"
    "\n"
    "state triage {\n"
    "  ask person(\"ana\") \"Take {t.key}?\" choices take, drop within 1h {\n"
    "    take    -> confirm\n"
    "    drop    -> done \"dropped\"\n"
    "    timeout -> fail \"nobody\"\n"
    "  }\n"
    "}\n"
    "\n"
    "state confirm {\n"
    "  ask person(\"ana\") \"Sure about {t.key}?\" choices yes within 1h {\n"
    "    yes     -> done \"confirmed\"\n"
    "    timeout -> fail \"nobody\"\n"
    "  }\n"
    "}\n";

/* The engine keeps the decisions it folded for one ask for the next ones (rounds that
   follow one another): a record written later for the same instance makes it fold that
   instance again. Here i1's decision t1 is folded for t3's ask while i1 still runs, then
   i1 ends: t4's ask must show the outcome, not what was folded before. */
static void test_similar_decisions_see_a_later_outcome(void **state)
{
    char dir[128], got[256];
    make_origin_with(*state, "later", TWO_ASKS_PLAY);
    path_of(dir, sizeof dir, *state, "later");
    Env env;
    env_open(&env, dir);
    Batch b;
    batch_init(&b);
    add_event(&b, "desk.ticket", "e1", "{\"key\": \"k1\"}");
    round_of(&env, &b, T0 + MINUTE);                  /* i1 asks t1 */
    add_answer(&b, "t1", "ana", "take");
    round_of(&env, &b, T0 + 2 * MINUTE);              /* t1 decided; i1 asks t2 */
    add_event(&b, "desk.ticket", "e2", "{\"key\": \"k2\"}");
    round_of(&env, &b, T0 + 3 * MINUTE);              /* i2 asks t3: t1 folded, i1 running */
    similar_field_of(&env, "t3", "task", got, sizeof got);
    assert_string_equal(got, "t1");
    similar_field_of(&env, "t3", "outcome", got, sizeof got);
    assert_string_equal(got, "(null)");
    add_answer(&b, "t2", "ana", "yes");
    round_of(&env, &b, T0 + 4 * MINUTE);              /* i1 done "confirmed" */
    add_event(&b, "desk.ticket", "e3", "{\"key\": \"k3\"}");
    round_of(&env, &b, T0 + 5 * MINUTE);              /* i3 asks t4 */
    similar_field_of(&env, "t4", "task", got, sizeof got);
    assert_string_equal(got, "t1");
    similar_field_of(&env, "t4", "outcome", got, sizeof got);
    assert_string_equal(got, "confirmed");
    batch_free(&b);
    env_close(&env);
}

int main(void)
{
    /* fault_point reads the variable once, at the first point this process passes */
    snprintf(crash_log, sizeof crash_log, "/tmp/huddle-batch-log-%ld", (long)getpid());
    setenv("HUDDLE_CRASH_LOG", crash_log, 1);
    unsetenv("HUDDLE_CRASH_AT");
    unsetenv("HUDDLE_STORE_MAP_START");
#define T(name) cmocka_unit_test_setup_teardown(name, testdir_setup, testdir_teardown)
    const struct CMUnitTest tests[] = {
        T(test_refused_and_stalled_inputs_undo_only_their_own),
        T(test_map_growth_mid_batch_changes_nothing),
        T(test_duplicate_ids_in_one_batch),
        T(test_refusals_say_what_they_are_for),
        T(test_input_refused_after_writing_leaves_the_rest),
        T(test_input_failing_after_writing_leaves_the_rest),
        T(test_two_inputs_failing_after_writing_take_two_runs),
        T(test_a_failing_nested_step_leaves_the_counters),
        T(test_map_growth_in_a_batch_with_a_refusal_after_writing),
        T(test_a_failing_timer_keeps_the_timers_before_it),
        T(test_brief_hook_hears_what_the_json_hook_hears),
        T(test_streamed_batch_is_the_batch),
        T(test_streamed_batch_with_a_growing_map),
        T(test_streamed_batch_with_a_refusal_after_writing),
        T(test_streamed_batch_with_a_failure_after_writing),
        T(test_similar_decisions_across_rounds),
        T(test_similar_decisions_see_a_later_outcome),
    };
    int failed = cmocka_run_group_tests(tests, NULL, NULL);
    remove(crash_log);
    return failed;
}
