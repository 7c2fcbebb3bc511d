/*
 * engine.c - the Engine and the calls of engine.h that change the store: open and
 * close, deploy, events, answers, group commit, mocked delivery, the operators' retry,
 * cancel, undeploy, ack, resolve and reassign, the directory, away and back, and dedup
 * retention. Each is a `*_work` function run as one step in one write transaction
 * (engine_run_step, engine_txn.c), after the timers due before it (engine_run_input).
 * The read-only calls are in engine_query.c, engine_timers.c and engine_directory.c.
 */
#include "engine_internal.h"
#include "engine_small_store.h"

#include "connectors_file.h"
#include "fault.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- the engine ---- */

void engine_on_store_damage(void (*hook)(const char *dir, const char *what))
{
    store_on_damage(hook);
}

const char *engine_in_store_pages(void)
{
    return store_in_lmdb();
}

const char *engine_in_store_txn(void)
{
    return store_in_txn();
}

int engine_open(const char *dir, const EngineOptions *options, Engine **out, char *why,
                size_t why_len)
{
    EngineOptions none = {0};
    if (!options)
        options = &none;
    StoreOptions store_options = {.create = options->create, .no_sync = options->no_sync,
                                  .sync_root_later = options->sync_root_later, .grow_ahead = options->grow_ahead};
    Store *store;
    *out = NULL;
    if (why_len)
        why[0] = '\0';
    int rc = store_open(dir, &store_options, &store, why, why_len);
    if (rc != STORE_OK)
        return engine_result(rc, why, why_len);
    Engine *e = engine_new(store, options);
    if (!e) {
        store_close(store);
        snprintf(why, why_len, "out of memory opening %s", dir);
        return ENGINE_NO_MEMORY;
    }
    e->owns_store = true;
    if (!options->read_only && (rc = engine_upgrade(e, dir, why, why_len)) != ENGINE_OK) {
        engine_close(e);
        return rc;
    }
    *out = e;
    return ENGINE_OK;
}

const char *engine_notice(const Engine *e)
{
    return e && e->notice[0] ? e->notice : NULL;
}

void engine_close(Engine *e)
{
    if (!e)
        return;
    Store *store = e->owns_store ? e->store : NULL;
    engine_free(e);
    if (store)
        store_close(store);
}

uint64_t engine_commits(const Engine *e)
{
    return store_commits(e->store);
}

uint64_t engine_durable(const Engine *e)
{
    return store_durable(e->store);
}

int engine_sync(Engine *e, char *why, size_t why_len)
{
    int rc = store_sync(e->store);
    if (rc != STORE_OK)
        snprintf(why, why_len, "cannot flush the store to disk: %s", store_strerror(rc));
    return rc == STORE_OK ? ENGINE_OK : ENGINE_FAILED;
}

Engine *engine_new(Store *store, const EngineOptions *options)
{
    engine_alloc_init();
    Engine *e = engine_alloc(sizeof *e);
    if (!e)
        return NULL;
    memset(e, 0, sizeof *e);
    e->store = store;
    if (options)
        e->options = *options;
    e->mock_cursor = json_object();
    if (!e->mock_cursor) {
        free(e);
        return NULL;
    }
    return e;
}

void engine_free(Engine *e)
{
    if (!e)
        return;
    for (unsigned i = 0; i < e->program_count; i++)
        program_free(e->programs[i].program);
    free(e->programs);
    json_decref(e->mock_cursor);
    json_decref(e->event_routes);
    strbuf_free(&e->record_bytes);
    strbuf_free(&e->index_scratch[0]);
    strbuf_free(&e->index_scratch[1]);
    engine_forget_caches(e);
    vm_scratch_free(&e->vm_scratch);
    free(e->due_timers);
    codec_canon_free(&e->canonical);
    step_records_free(&e->step_records);
    dispatcher_free(e->dispatcher);
    free(e);
    engine_alloc_flush();
}

/* An input accepted at engine time t is applied after every timer due at or before t
   (LANGUAGE.md, "Deadline and ties"), each fired at its own due time. */
static int engine_catch_up(Engine *e, int64_t now, char *why, size_t why_len)
{
    int rc = engine_fire_timers(e, now, false, why, why_len);
    return rc < 0 ? rc : 0;
}

/* One input from outside (an event, an answer, an operator's command, a deploy or a
   directory load): the timers due before it fire first, each at its own due time, then
   its step runs (which moves the store's clock to `now`: a timer it passed unfired would
   fire later stamped with that time, as the clock never goes back). */
int engine_run_input(Engine *e, int64_t now, StepWork work, void *context, char *why,
                            size_t why_len)
{
    int caught = engine_catch_up(e, now, why, why_len);
    return caught < 0 ? caught : engine_run_step(e, now, work, context, why, why_len);
}

/* ---- deploy ---- */

typedef struct DeployWork {
    const uint8_t *bytes;
    size_t len;
    char *hash;
} DeployWork;

int step_deploy(Step *s, const uint8_t *bytes, size_t len, char hash[65])
{
    Program *program;
    char why[256];
    int loaded = program_load(bytes, len, &program, why, sizeof why);
    if (loaded < 0)
        return step_fail(s, loaded == BC_NO_MEMORY ? ENGINE_NO_MEMORY : ENGINE_REFUSED, "%s", why);
    snprintf(hash, 65, "%s", program->hash);
    const char *name = value_text(program->bc.consts[program->bc.name]);
    int rc = store_put(s->txn, TABLE_PROGRAMS, store_bytes(program->hash, 64), store_bytes(bytes, len));
    json_t *playbook = NULL;
    if (rc == STORE_OK)
        rc = engine_get_json(s, TABLE_PLAYBOOKS, store_bytes(name, strlen(name)), &playbook);
    if (rc == STORE_NOT_FOUND) {
        playbook = json_pack("{s:[]}", "log");
        rc = playbook ? STORE_OK : ENGINE_NO_MEMORY;
    }
    /* The current version deployed again changes nothing: deploy is idempotent. */
    bool same = playbook && json_is_false(json_object_get(playbook, "undeployed")) &&
                strcmp(json_string_value(json_object_get(playbook, "hash")) ? json_string_value(json_object_get(playbook, "hash")) : "",
                       program->hash) == 0;
    if (rc == STORE_OK && same) {
        json_decref(playbook);
        program_free(program);
        return STORE_OK;
    }
    if (rc == STORE_OK) {
        char at[40];
        time_text(s->now, at);
        /* Each call frees its new value when it fails (out of memory). */
        if (json_object_set_new(playbook, "hash", json_string(program->hash)) ||
            json_object_set_new(playbook, "undeployed", json_false()) ||
            json_array_append_new(json_object_get(playbook, "log"),
                                  json_pack("{s:s, s:s}", "at", at, "hash", program->hash)))
            rc = ENGINE_NO_MEMORY;
        else
            rc = engine_put_json(s, TABLE_PLAYBOOKS, store_bytes(name, strlen(name)), playbook);
    }
    json_decref(playbook);
    program_free(program);
    return rc == STORE_OK ? step_playbooks_changed(s) : rc;
}

static int deploy_work(Step *s, void *context)
{
    DeployWork *d = context;
    return step_deploy(s, d->bytes, d->len, d->hash);
}

int engine_deploy(Engine *e, const uint8_t *bytecode, size_t len, int64_t now, char hash[65],
                  char *why, size_t why_len)
{
    DeployWork d = {bytecode, len, hash};
    return engine_run_input(e, now, deploy_work, &d, why, why_len);
}

/* ---- events, answers, timers ---- */

typedef struct EventWork {
    const char *source, *type, *id;
    const json_t *data;
    int64_t event_time;
    bool *duplicate;
} EventWork;

static int event_work(Step *s, void *context)
{
    EventWork *w = context;
    return events_accept(s, w->source, w->type, w->id, w->data, w->event_time, w->duplicate);
}

int engine_event(Engine *e, const char *source, const char *type, const char *id,
                 const json_t *data, int64_t event_time, int64_t now, bool *duplicate,
                 char *why, size_t why_len)
{
    EventWork w = {source, type, id, data, event_time, duplicate};
    *duplicate = false;
    json_decref(e->event_routes);
    e->event_routes = NULL;
    int rc = engine_run_input(e, now, event_work, &w, why, why_len);
    if (rc != ENGINE_OK) {   /* the step did not commit: the event went nowhere */
        json_decref(e->event_routes);
        e->event_routes = NULL;
    }
    return rc;
}

const json_t *engine_event_routes(const Engine *e)
{
    return e->event_routes;
}

typedef struct AnswerWork {
    const char *task, *by, *choice, *comment;
} AnswerWork;

static int step_repeat_why(Step *s, int rc);

static int answer_work(Step *s, void *context)
{
    AnswerWork *w = context;
    return step_repeat_why(s, task_answer(s, w->task, w->by, w->choice, w->comment));
}

int engine_answer(Engine *e, const char *task, const char *by, const char *choice,
                  const char *comment, int64_t now, char *why, size_t why_len)
{
    AnswerWork w = {task, by, choice, comment};
    return engine_run_input(e, now, answer_work, &w, why, why_len);
}


int engine_fire_due(Engine *e, int64_t now, char *why, size_t why_len)
{
    return engine_fire_timers(e, now, true, why, why_len);
}

uint64_t engine_timers_fired(const Engine *e)
{
    return e->timers_fired;
}

/* ---- mocked delivery (huddle run) ---- */

/* The first call in the outbox due at `now` (a failed attempt waits for its backoff),
   and the earliest next try of the others. */
typedef struct OutboxFirst {
    int64_t now;
    bool found;
    uint64_t seq;
    OutboxEntry entry;              /* found: taken over */
    int64_t next_ms;                /* INT64_MAX: none waits */
} OutboxFirst;

static int outbox_first_visit(Step *s, uint64_t seq, OutboxEntry *entry, void *context)
{
    (void)s;
    OutboxFirst *o = context;
    if (entry->kind != OUTBOX_CALL)
        return STORE_OK;   /* run writes none, but a store may hold them */
    if (entry->next_ms > o->now) {
        o->next_ms = entry->next_ms < o->next_ms ? entry->next_ms : o->next_ms;
        return STORE_OK;
    }
    o->seq = seq;
    o->entry = *entry;
    memset(entry, 0, sizeof *entry);
    o->found = true;
    return STORE_STOP;
}

static int outbox_first(Step *s, void *context)
{
    return outbox_each(s, outbox_first_visit, context);
}

typedef struct MockWork {
    OutboxFirst *outbox;
    json_t *reply;          /* borrowed: the mocked reply, or NULL */
    const char *failure;    /* or the failure message */
    const ConnFile *connectors;     /* kept by run --connectors, or NULL */
} MockWork;

/* A failing mock is a failed attempt: with the call's connector kept (run
   --connectors), it is tried again after its backoff, in virtual time, until its
   retries are spent; then (or without connectors) the call fails. */
static int mock_work(Step *s, void *context)
{
    MockWork *m = context;
    OutboxEntry *entry = &m->outbox->entry;
    unsigned char key[8];
    store_be64(m->outbox->seq, key);
    const Connector *c = conn_find(m->connectors, entry->connector);
    int64_t attempts = entry->attempts + 1;
    if (!m->reply && c && c->kind == CONN_HTTP && attempts < 1 + c->retries) {
        char text[200];
        outbox_entry_key(entry, 0, text, sizeof text);
        entry->attempts = attempts;
        entry->next_ms = s->now + outbox_backoff_ms(text, (unsigned)attempts);
        if (outbox_entry_set_text(&entry->error, m->failure) != 0)
            return step_fail(s, ENGINE_NO_MEMORY, "out of memory");
        return outbox_put(s, m->outbox->seq, entry);
    }
    int rc = store_del(s->txn, TABLE_OUTBOX, store_bytes(key, 8));
    char failure[400];
    outbox_call_failure(failure, sizeof failure, m->failure ? m->failure : "", m->reply || !c ? 1 : attempts);
    return rc == STORE_OK ? outbox_call_result(s, entry, m->reply, m->reply ? NULL : failure) : rc;
}

/* The mock for the call `name` (connector.operation): a reply, or a failure in
   `failure`. A list of replies is used in turn, its last one again and again. */
static int mock_choose(Engine *e, const json_t *mocks, const char *name, MockWork *m,
                       char *failure, size_t failure_len)
{
    json_t *mock = json_object_get(mocks, name);
    if (json_is_array(mock)) {
        json_int_t used = json_integer_value(json_object_get(e->mock_cursor, name));
        if (json_object_set_new(e->mock_cursor, name, json_integer(used + 1)) != 0)
            return ENGINE_NO_MEMORY;
        size_t last = json_array_size(mock) ? json_array_size(mock) - 1 : 0;
        mock = json_array_get(mock, (size_t)used < last ? (size_t)used : last);
    }
    if (!mock) {
        snprintf(failure, failure_len, "no mock for %s", name);
        m->failure = failure;
    } else if (json_is_object(mock) && json_is_string(json_object_get(mock, "fail"))) {
        m->failure = json_string_value(json_object_get(mock, "fail"));
    } else {
        m->reply = mock;
    }
    return ENGINE_OK;
}

/* The connectors `huddle run --connectors` kept, parsed (NULL: none). */
static int mock_connectors(Engine *e, ConnFile **out, char *why, size_t why_len)
{
    json_t *json;
    *out = NULL;
    int rc = engine_connectors(e, &json, why, why_len);
    if (rc != ENGINE_OK || !json)
        return rc;
    json_t *problems = json_array();
    *out = problems ? conn_file_parse(json, problems) : NULL;
    json_decref(problems);
    json_decref(json);
    if (!*out) {
        snprintf(why, why_len, "the kept connectors do not check");
        return ENGINE_FAILED;
    }
    return ENGINE_OK;
}

int engine_deliver_mocks(Engine *e, const json_t *mocks, int64_t now, char *why, size_t why_len)
{
    ConnFile *connectors;
    int rc = mock_connectors(e, &connectors, why, why_len);
    for (unsigned answered = 0; rc == ENGINE_OK; answered++) {
        if (answered == ENGINE_MOCK_CHAIN) {
            rc = ENGINE_REFUSED;
            engine_set_refusal(e, ENGINE_REFUSAL_INPUT, NULL);
            snprintf(why, why_len, "%d calls in a row were answered at one virtual time and made another each, so "
                     "time could never move on (a loop that calls again on every reply spins: wait before calling "
                     "again)", ENGINE_MOCK_CHAIN);
            break;
        }
        OutboxFirst o = {now, false, 0, {0}, INT64_MAX};
        rc = engine_read(e, outbox_first, &o, why, why_len);
        if (rc != ENGINE_OK || !o.found) {
            outbox_entry_free(&o.entry);
            break;
        }
        char name[256], failure[300];
        snprintf(name, sizeof name, "%s.%s", o.entry.connector, o.entry.operation);
        MockWork m = {&o, NULL, NULL, connectors};
        rc = mock_choose(e, mocks, name, &m, failure, sizeof failure);
        if (rc == ENGINE_NO_MEMORY)
            snprintf(why, why_len, "out of memory");
        else
            rc = engine_run_step(e, now, mock_work, &m, why, why_len);
        outbox_entry_free(&o.entry);
    }
    conn_file_free(connectors);
    return rc;
}

int engine_outbox_next_try(Engine *e, bool *found, int64_t *next_ms, char *why, size_t why_len)
{
    OutboxFirst o = {INT64_MIN, false, 0, {0}, INT64_MAX};
    int rc = engine_read(e, outbox_first, &o, why, why_len);
    outbox_entry_free(&o.entry);
    *found = rc == ENGINE_OK && o.next_ms != INT64_MAX;
    *next_ms = o.next_ms;
    return rc;
}

/* ---- group commit ---- */

/* A batch runs its inputs as steps directly in its own write transaction: no nested
   transaction per step. A step refused before it wrote anything (store_changes says)
   costs nothing more. A step that failed, or was refused after it may have written,
   settles: its result is kept, the transaction is aborted (engine caches dropped) and
   the batch runs again without it. That re-run runs the inputs before it directly (they
   succeeded on the same store) and the ones after it each in a nested transaction, so
   later failures undo only themselves; should a direct input fail again anyway (an
   allocation failing once), the third run nests every input. A batch therefore runs at
   most three times, plus once per growth of the map (store_write). docs/internals.md,
   "Group commit". */
typedef struct BatchCall {
    Engine *engine;
    EngineInput *inputs;
    size_t count;
    int64_t now;
    StepRecords records;            /* the run's records the on_record hook wants, in input order */
    bool *settled;                  /* per input: failed in an aborted run, result kept */
    size_t settled_count;           /* inputs settled has room for */
    size_t direct;                  /* inputs before this one run directly, the rest nested */
    unsigned runs, reruns;          /* transactions begun; runs aborted for a settled input */
    bool again;                     /* this run was aborted for a settled input */
    char why[256];                  /* why the batch's own transaction failed */
} BatchCall;

/* Where an accepted event of the batch went, counted into its input. */
static void batch_count_routes(EngineInput *in, const json_t *went)
{
    size_t i;
    json_t *route;
    json_array_foreach(went, i, route) {
        const char *as = json_string_value(json_object_get(route, "as"));
        if (as && strcmp(as, "started") == 0)
            in->started++;
        else if (as && strcmp(as, "joined") == 0)
            in->joined++;
        else if (as && strcmp(as, "counted") == 0)
            in->counted++;
    }
}

/* Input `in` as one step on `txn`, its records into `records`; every out field but
   `result` is set afresh. */
static int batch_step(BatchCall *b, EngineInput *in, StoreTxn *txn, int64_t now, StepRecords *records)
{
    Step s;
    step_begin(&s, b->engine, txn, now, records, in->why, sizeof in->why);
    in->duplicate = false;
    in->started = in->joined = in->counted = 0;
    s.token = in->token;
    if (in->want_routes) {
        json_decref(in->routes);
        in->routes = NULL;
    }
    json_decref(b->engine->event_routes);
    b->engine->event_routes = NULL;
    if (in->kind != ENGINE_INPUT_EVENT)
        fault_input(in->task);   /* an event's is in events_accept, once it is not a duplicate */
    int rc;
    if (in->kind == ENGINE_INPUT_EVENT)
        rc = events_accept(&s, in->source, in->type, in->id, in->data, in->event_time, &in->duplicate);
    else if (in->kind == ENGINE_INPUT_ACK)
        rc = task_ack(&s, in->task, in->by);
    else
        rc = task_answer(&s, in->task, in->by, in->choice, in->comment);
    in->repeat = s.repeated;
    if (rc == STORE_OK)
        rc = step_write_records(&s);
    rc = step_end(&s, rc);
    in->refusal = b->engine->refusal;
    return rc;
}

/* A step that went through: its records join the run's, its routes are counted. */
static int batch_keep(BatchCall *b, EngineInput *in, StepRecords *records)
{
    in->result = ENGINE_OK;
    if (in->kind == ENGINE_INPUT_EVENT && !in->duplicate) {
        batch_count_routes(in, b->engine->event_routes);
        if (in->want_routes)
            in->routes = json_incref(b->engine->event_routes);
    }
    /* Kept for the on_record hook only, and only the kinds it wants (their bytes: JSON
       is made as the hook is called). */
    if (engine_hears_records(b->engine) && records_keep(b->engine, &b->records, records) != STORE_OK)
        return ENGINE_NO_MEMORY;   /* its records could not be shown: nothing is kept */
    return STORE_OK;
}

/* Input i failed, or was refused after it may have written: it keeps its result, and
   this run ends (store_write aborts it) to run again without it. */
static int batch_settle(BatchCall *b, size_t i, int rc)
{
    if (!b->settled) {
        b->settled = engine_calloc(b->count, sizeof *b->settled);
        b->settled_count = b->settled ? b->count : 0;
    }
    if (!b->settled) {
        snprintf(b->why, sizeof b->why, "out of memory");
        return ENGINE_NO_MEMORY;
    }
    EngineInput *in = &b->inputs[i];
    in->result = engine_result(rc, in->why, sizeof in->why);
    b->settled[i] = true;
    b->direct = b->reruns++ == 0 ? i : 0;
    b->again = true;
    return rc;
}

/* What the batch's transaction has changed so far, counted: its puts and deletes, and
   the changes to its counters kept in memory (a step that raised one changed the batch
   as much as one that put it in meta). */
static uint64_t batch_changes(const Engine *e, const StoreTxn *txn)
{
    return store_changes(txn) + e->counters.changes;
}

/* Input i run directly in the batch's transaction. */
static int batch_direct(BatchCall *b, size_t i, StoreTxn *txn, int64_t now, StepRecords *records)
{
    EngineInput *in = &b->inputs[i];
    uint64_t changes = batch_changes(b->engine, txn);
    int rc = batch_step(b, in, txn, now, records);
    if (rc == STORE_OK)
        return batch_keep(b, in, records);
    if (rc == STORE_FULL || store_full(txn))
        return STORE_FULL;   /* store_write grows the map and runs the whole batch again */
    if (engine_result(rc, NULL, 0) == ENGINE_REFUSED && batch_changes(b->engine, txn) == changes) {
        in->result = ENGINE_REFUSED;   /* refused before it wrote: nothing to undo */
        return STORE_OK;
    }
    return batch_settle(b, i, rc);
}

/* Input i run in a nested transaction: a failure undoes only itself. */
static int batch_nested(BatchCall *b, size_t i, StoreTxn *txn, int64_t now, StepRecords *records)
{
    EngineInput *in = &b->inputs[i];
    StoreTxn *child;
    int rc = store_begin_nested(txn, &child);
    if (rc != STORE_OK)
        return rc;
    HistoryChain mark = {0};
    batch_chain_mark(b->engine, &mark);
    BatchCounters counters;
    counters_nest(&b->engine->counters, child, &counters);
    rc = batch_step(b, in, child, now, records);
    if (rc == STORE_OK)
        rc = store_commit(child);
    else
        store_abort(child);
    counters_unnest(&b->engine->counters, &counters, rc != STORE_OK);   /* its changes went with it */
    if (rc != STORE_OK) {
        batch_chain_rewind(b->engine, &mark);   /* its links went with it */
        engine_forget_caches(b->engine);
    }
    if (rc == STORE_FULL || store_full(txn))
        return STORE_FULL;
    if (rc == STORE_OK)
        return batch_keep(b, in, records);
    in->result = engine_result(rc, in->why, sizeof in->why);
    return STORE_OK;
}

/* A run's start in `txn`: the counters' cache opened, engine time kept, the chain
   opened. */
static int batch_run_open(BatchCall *b, StoreTxn *txn, Step *clock, HistoryChain *chain)
{
    int rc = batch_run_begin(b->engine, &b->runs, &b->records);
    counters_open(&b->engine->counters, txn);
    step_begin(clock, b->engine, txn, b->now, &b->records, b->why, sizeof b->why);
    rc = rc != STORE_OK ? ENGINE_NO_MEMORY : step_end(clock, step_clock(clock));
    if (rc == STORE_OK)
        rc = batch_chain_open(clock, chain);
    return rc;
}

/* Input i in the run, directly or nested (an input settled by an earlier run is left
   out). */
static int batch_run_input(BatchCall *b, size_t i, StoreTxn *txn, int64_t now)
{
    if (b->settled && b->settled[i])
        return STORE_OK;   /* no step: no group step point */
    StepRecords *records = &b->engine->step_records;   /* each step's, cleared after it */
    int rc = i < b->direct ? batch_direct(b, i, txn, now, records) : batch_nested(b, i, txn, now, records);
    step_records_clear(records);
    if (rc == STORE_OK)
        fault_point("group step");
    return rc;
}

/* A run's end: the counters kept in memory written (when it went through), the chain
   closed, and the outbox's settles and claims in the same transaction. */
static int batch_run_close(BatchCall *b, StoreTxn *txn, Step *clock, HistoryChain *chain, int rc)
{
    if (rc == STORE_OK)
        rc = counters_flush(&b->engine->counters);
    counters_close(&b->engine->counters);   /* the settles below use meta's counters */
    rc = batch_chain_close(clock, chain, rc);   /* the settles below chain step by step */
    if (rc == STORE_OK)
        dispatch_settle_in_batch(b->engine, txn, clock->now, &b->records);
    if (rc == STORE_OK)
        dispatch_claim_written(b->engine, txn, clock->now);
    return rc;
}

static int batch_transaction(StoreTxn *txn, void *context)
{
    BatchCall *b = context;
    Step clock;
    HistoryChain chain;
    int rc = batch_run_open(b, txn, &clock, &chain);
    for (size_t i = 0; rc == STORE_OK && i < b->count; i++)
        rc = batch_run_input(b, i, txn, clock.now);
    return batch_run_close(b, txn, &clock, &chain, rc);
}

/* Every input gets the batch's own failure (an engine code): none of them was applied. */
static int batch_failed(BatchCall *b, int code)
{
    for (size_t i = 0; i < b->count; i++) {
        b->inputs[i].result = code;
        snprintf(b->inputs[i].why, sizeof b->inputs[i].why, "%s", b->why);
    }
    return code;
}

/* What follows a run's transaction, committed (rc STORE_OK) or not. */
static void batch_run_over(BatchCall *b, int rc)
{
    if (rc != STORE_OK)
        engine_forget_caches(b->engine);
    dispatch_commit_claims(b->engine, rc == STORE_OK);
}

/* Runs the batch until a run commits, or fails for a reason another run would not
   mend (store_write grows the map for a run that filled it). */
static int batch_runs(BatchCall *b)
{
    int rc;
    do {
        b->again = false;
        rc = store_write(b->engine->store, batch_transaction, b);
        batch_run_over(b, rc);
    } while (rc != STORE_OK && b->again);
    return rc;
}

/* The batch's end: the hook hears the committed records; the inputs' results. */
/* Frees what a batch call held: the records heard and the settled inputs' list. */
static void batch_release(BatchCall *b)
{
    step_records_free(&b->records);
    free(b->settled);
    b->settled = NULL;
}

static int batch_finish(BatchCall *b, int rc)
{
    if (rc == STORE_OK)
        engine_report_records(b->engine, &b->records);
    batch_release(b);
    return rc == STORE_OK ? ENGINE_OK : batch_failed(b, engine_result(rc, b->why, sizeof b->why));
}

int engine_apply_batch(Engine *e, EngineInput *inputs, size_t count, int64_t now)
{
    BatchCall b = {e, inputs, count, now, {0}, NULL, 0, count, 0, 0, false, ""};
    int caught = engine_catch_up(e, now, b.why, sizeof b.why);
    if (caught != ENGINE_OK)
        return batch_failed(&b, caught);
    return batch_finish(&b, batch_runs(&b));
}

/* ---- a batch applied while its inputs arrive ---- */

/* The batch's first run, open while inputs come in: each is applied as it is added.
   Once one ends that run (an input to leave out, a full map, a store failure), the
   later ones only join the batch, and engine_stream_commit runs it as
   engine_apply_batch does. */
struct EngineStream {
    BatchCall b;
    StoreTxn *txn;          /* the first run's transaction; NULL once it is over */
    Step clock;
    HistoryChain chain;     /* the run's chain (the engine points at it while it is open) */
    size_t applied;         /* inputs run in txn */
    bool memory_failed;     /* settled could not grow: the batch fails out of memory */
    int ended;              /* why the first run ended early (STORE_OK: it did not) */
    int caught;             /* the catch-up's failure, or ENGINE_OK */
};

/* The first run ends before its commit, for `rc` (a full map counts as STORE_FULL, as
   store_write counts it): its transaction is aborted. */
static void stream_run_ends(EngineStream *s, int rc)
{
    if (store_full(s->txn))
        rc = STORE_FULL;
    batch_run_close(&s->b, s->txn, &s->clock, &s->chain, rc);   /* closes the chain if it is open */
    store_abort(s->txn);
    s->txn = NULL;
    s->ended = rc;
    batch_run_over(&s->b, rc);
}

int engine_stream_begin(Engine *e, EngineInput *inputs, int64_t now, EngineStream **out)
{
    EngineStream *s = *out = engine_calloc(1, sizeof *s);
    if (!s)
        return ENGINE_NO_MEMORY;
    s->b = (BatchCall){e, inputs, 0, now, {0}, NULL, 0, SIZE_MAX, 0, 0, false, ""};
    s->caught = engine_catch_up(e, now, s->b.why, sizeof s->b.why);
    if (s->caught != ENGINE_OK)
        return ENGINE_OK;
    s->ended = store_begin(e->store, true, &s->txn);
    if (s->ended != STORE_OK) {
        s->txn = NULL;
        return ENGINE_OK;
    }
    int rc = batch_run_open(&s->b, s->txn, &s->clock, &s->chain);
    if (rc != STORE_OK)
        stream_run_ends(s, rc);
    return ENGINE_OK;
}

/* Room in `settled` for every input added (an input settled in the first run made it
   as long as the inputs then): false when out of memory. */
static bool stream_settled_room(BatchCall *b)
{
    if (!b->settled || b->settled_count >= b->count)
        return true;
    bool *more = realloc(b->settled, b->count * sizeof *more);
    if (!more)
        return false;
    memset(more + b->settled_count, 0, (b->count - b->settled_count) * sizeof *more);
    b->settled = more;
    b->settled_count = b->count;
    return true;
}

void engine_stream_add(EngineStream *s, size_t count)
{
    s->b.count = count;
    if (!stream_settled_room(&s->b)) {
        s->memory_failed = true;   /* no input runs past the end of settled */
        if (s->txn)
            stream_run_ends(s, ENGINE_NO_MEMORY);
    }
    while (s->txn && s->applied < count) {
        int rc = batch_run_input(&s->b, s->applied++, s->txn, s->clock.now);
        if (rc != STORE_OK || store_full(s->txn))
            stream_run_ends(s, rc);
    }
}

int engine_stream_commit(EngineStream *s)
{
    BatchCall *b = &s->b;
    int rc = s->ended;
    if (s->caught != ENGINE_OK || s->memory_failed) {
        if (s->memory_failed)
            snprintf(b->why, sizeof b->why, "out of memory");
        rc = batch_failed(b, s->memory_failed ? ENGINE_NO_MEMORY : s->caught);
        batch_release(b);
        free(s);
        return rc;
    }
    if (s->txn) {
        rc = batch_run_close(b, s->txn, &s->clock, &s->chain, STORE_OK);
        if (rc == STORE_OK) {
            rc = store_write_end(s->txn);
            s->txn = NULL;
            batch_run_over(b, rc);
        } else {
            stream_run_ends(s, rc);
            rc = s->ended;
        }
    }
    if (rc == STORE_FULL || (rc != STORE_OK && b->again))
        rc = batch_runs(b);   /* a run without the input left out, or in a grown map */
    rc = batch_finish(b, rc);
    free(s);
    return rc;
}

/* ---- operators: retry, cancel, undeploy ---- */

typedef struct OperatorWork {
    const char *instance, *state, *by, *reason, *playbook;
    const char *token;          /* serve's token the action came with, or NULL */
} OperatorWork;

static int operator_load(Step *s, const char *id, Instance *in)
{
    uint64_t number = id && id[0] == 'i' ? instance_number(id) : 0;
    int rc = number ? instance_load(s, number, in) : STORE_NOT_FOUND;
    if (rc == STORE_NOT_FOUND)
        return step_refuse(s, ENGINE_REFUSAL_NOT_FOUND, NULL, "no instance '%s'", id ? id : "");
    return rc;
}

/* After a retry that stalled again: the sentence that says so, with the error, in the
   step's `why` (the retry itself is committed and returns ENGINE_OK). */
static void retry_stalled_again(Step *s, const char *instance)
{
    json_t *stalled = NULL;
    for (size_t i = 0; i < s->records->count; i++)
        if (strcmp(s->records->items[i].kind, "stalled") == 0) {
            json_decref(stalled);
            stalled = step_record_json(s, i);
        }
    const char *error = json_string_value(json_object_get(stalled, "error"));
    snprintf(s->why, s->why_len, "%s stalled again: %s", instance, error ? error : "");
    json_decref(stalled);
}

/* "i1's playbook has no state 'nope' (its states: triage, decide, ...)". */
static int retry_no_state(Step *s, const Instance *in, const OperatorWork *w)
{
    char states[512] = "";
    size_t used = 0;
    for (uint32_t i = 0; i < in->program->bc.states_count && used < sizeof states; i++) {
        int n = snprintf(states + used, sizeof states - used, "%s%s", i ? ", " : "",
                         program_state_name(in->program, i));
        used += n > 0 ? (size_t)n : 0;
    }
    if (used >= sizeof states)   /* cut: end with an ellipsis rather than mid-name silently */
        snprintf(states + sizeof states - 5, 5, "...");
    return step_refuse(s, ENGINE_REFUSAL_INPUT, "goto", "%s's playbook has no state '%s' (its states: %s)", w->instance, w->state,
                     states);
}

/* A retry --goto leaves the ask the instance was suspended in (a poison answer leaves it
   open): it is cancelled, and its holders told, like an instance's cancel does. */
static int retry_close_ask(Step *s, Instance *in, const OperatorWork *w)
{
    char reason[160];
    snprintf(reason, sizeof reason, "%s was retried in state %s", w->instance, w->state);
    return task_cancel(s, in, w->by ? w->by : "an operator", reason);
}

static int retry_work(Step *s, void *context)
{
    OperatorWork *w = context;
    Instance in;
    s->token = w->token;
    int rc = w->by ? door_check_person(s, "by", w->by) : STORE_OK;
    if (rc == STORE_OK && w->reason && text_is_blank(w->reason))   /* optional, but words when given, as cancel's */
        rc = step_refuse(s, ENGINE_REFUSAL_INPUT, "reason", "a retry needs a reason in words when it is given one (--reason TEXT to "
                       "huddle retry, \"reason\" over HTTP; leave it out for none)");
    if (rc == STORE_OK)
        rc = operator_load(s, w->instance, &in);
    if (rc != STORE_OK)
        return rc;
    const char *status = instance_status_text(in.record.status);
    int state = -1;
    if (strcmp(status, "stalled") != 0)
        rc = step_refuse(s, ENGINE_REFUSAL_CONFLICT, NULL, "%s is %s, not stalled: only a stalled instance is retried", w->instance, status);
    else if (w->state && (state = program_state_index(in.program, w->state)) < 0)
        rc = retry_no_state(s, &in, w);
    if (rc == STORE_OK) {
        CodecWriter *record = record_begin(s, &in, "retried");
        record_text_or_null(record, "goto", w->state);
        record_text_or_null(record, "by", w->by);   /* by and reason always (RUNTIME.md), null when not given */
        record_text(record, "token", s->token);
        record_text_or_null(record, "reason", w->reason);
        if (w->state)   /* the ask it waited in is left: close it, or it stays in inboxes */
            rc = retry_close_ask(s, &in, w);
        if (rc == STORE_OK)
            rc = step_retry(s, &in, state);
    }
    if (rc == STORE_OK && in.record.status == INSTANCE_STALLED)
        retry_stalled_again(s, w->instance);
    if (rc == STORE_OK)
        rc = instance_save(s, &in);
    instance_clear(&in);
    return rc;
}

int engine_retry(Engine *e, const char *instance, const char *state, const EngineActor *actor, int64_t now,
                 char *why, size_t why_len)
{
    OperatorWork w = {instance, state, actor->by, actor->reason, NULL, actor->token};
    return engine_run_input(e, now, retry_work, &w, why, why_len);
}

static int cancel_work(Step *s, void *context)
{
    OperatorWork *w = context;
    Instance in;
    s->token = w->token;
    int rc = door_check_person(s, "by", w->by);
    if (rc == STORE_OK && text_is_blank(w->reason))
        rc = step_refuse(s, ENGINE_REFUSAL_INPUT, "reason", "a cancel needs a reason, in words (--reason TEXT to huddle cancel, "
                       "\"reason\" over HTTP)");
    if (rc == STORE_OK)
        rc = operator_load(s, w->instance, &in);
    if (rc != STORE_OK)
        return rc;
    const char *status = instance_status_text(in.record.status);
    if (in.record.status != INSTANCE_RUNNING && in.record.status != INSTANCE_STALLED) {
        rc = step_refuse(s, ENGINE_REFUSAL_CONFLICT, NULL, "%s has already ended (%s)", w->instance, status);
        instance_clear(&in);
        return rc;
    }
    rc = timers_clear(s, &in);
    if (rc == STORE_OK)
        rc = task_cancel(s, &in, w->by, w->reason);
    if (rc == STORE_OK)
        rc = mailbox_trim(s, &in, 0);
    CodecWriter *record = record_begin(s, &in, "cancelled");
    record_text(record, "by", w->by);
    record_text(record, "token", s->token);
    record_text(record, "reason", w->reason);
    record_integer(record, "discarded", (int64_t)in.record.mailbox_discarded);
    in.record.status = INSTANCE_CANCELLED;
    instance_record_set_json(&in.record.outcome, json_string(w->reason));
    frame_free(in.frame);
    in.frame = NULL;
    if (rc == STORE_OK)
        rc = case_release(s, &in);
    if (rc == STORE_OK)
        rc = instance_save(s, &in);
    instance_clear(&in);
    return rc;
}

int engine_cancel(Engine *e, const char *instance, const EngineActor *actor, int64_t now, char *why,
                  size_t why_len)
{
    OperatorWork w = {instance, NULL, actor->by, actor->reason, NULL, actor->token};
    return engine_run_input(e, now, cancel_work, &w, why, why_len);
}

static int undeploy_work(Step *s, void *context)
{
    OperatorWork *w = context;
    json_t *playbook = NULL;
    StoreBytes key = store_bytes(w->playbook, strlen(w->playbook));
    int rc = engine_get_json(s, TABLE_PLAYBOOKS, key, &playbook);
    if (rc == STORE_NOT_FOUND)
        return step_fail(s, ENGINE_REFUSED, "no playbook '%s' is deployed", w->playbook);
    if (rc != STORE_OK)
        return rc;
    json_object_set_new(playbook, "undeployed", json_true());
    rc = engine_put_json(s, TABLE_PLAYBOOKS, key, playbook);
    json_decref(playbook);
    return rc == STORE_OK ? step_playbooks_changed(s) : rc;
}

int engine_undeploy(Engine *e, const char *playbook, int64_t now, char *why, size_t why_len)
{
    OperatorWork w = {NULL, NULL, NULL, NULL, playbook, NULL};
    return engine_run_input(e, now, undeploy_work, &w, why, why_len);
}

/* ---- acknowledgements and the directory ---- */

typedef struct AckWork {
    const char *task, *by;
} AckWork;

/* why holds a sentence on success only for a repeat (task_ack, task_answer): anything
   a sub-call left there (the reason of an instance that stalled, say) is cleared. */
static int step_repeat_why(Step *s, int rc)
{
    if (rc == STORE_OK && !s->repeated && s->why_len)
        s->why[0] = '\0';
    return rc;
}

static int ack_work(Step *s, void *context)
{
    AckWork *w = context;
    return step_repeat_why(s, task_ack(s, w->task, w->by));
}

int engine_ack(Engine *e, const char *task, const char *by, int64_t now, char *why, size_t why_len)
{
    AckWork w = {task, by};
    return engine_run_input(e, now, ack_work, &w, why, why_len);
}

typedef struct OverrideWork {
    const char *task, *choice, *by, *reason, *from, *to;
    const char *token;          /* serve's token the action came with, or NULL */
} OverrideWork;

static int resolve_work(Step *s, void *context)
{
    OverrideWork *w = context;
    s->token = w->token;
    return task_override(s, w->task, w->choice, w->by, w->reason);
}

int engine_resolve(Engine *e, const char *task, const char *choice, const EngineActor *actor, int64_t now,
                   char *why, size_t why_len)
{
    OverrideWork w = {task, choice, actor->by, actor->reason, NULL, NULL, actor->token};
    return engine_run_input(e, now, resolve_work, &w, why, why_len);
}

static int reassign_work(Step *s, void *context)
{
    OverrideWork *w = context;
    s->token = w->token;
    return task_reassign(s, w->task, w->from, w->to, w->by);
}

int engine_reassign(Engine *e, const char *task, const char *from, const char *to, const EngineActor *actor,
                    int64_t now, char *why, size_t why_len)
{
    OverrideWork w = {task, NULL, actor->by, NULL, from, to, actor->token};
    return engine_run_input(e, now, reassign_work, &w, why, why_len);
}

typedef struct DirectoryWork {
    json_t *json;
} DirectoryWork;

static int load_directory_work(Step *s, void *context)
{
    DirectoryWork *w = context;
    json_t *problems = json_array();
    Directory *dir = directory_parse_file(w->json, problems);
    int rc = STORE_OK;
    if (!dir) {
        StrBuf text = STRBUF_INIT;
        size_t i;
        json_t *p;
        json_array_foreach(problems, i, p)
            strbuf_printf(&text, "%s%s", i ? "\n" : "", json_string_value(p));
        rc = step_fail(s, ENGINE_REFUSED, "%s", strbuf_text(&text));
        strbuf_free(&text);
    } else {
        rc = step_directory_store(s, w->json);
    }
    if (rc == STORE_OK)
        rc = step_directory_keep(s, dir);   /* not parsed again by the next step */
    else
        directory_free(dir);
    json_decref(problems);
    /* Open seats move as with an absence that came as an event. An absence the seat's
       substitutes already cover is recorded once, when it came: loading the same file
       again (a nightly reload, a load re-run after a crash) records nothing anew. */
    AwayNews loaded = {NULL};
    return rc == STORE_OK ? step_cover_absences(s, &loaded) : rc;
}

/* A load changes open asks' holders at `now`, so it is an input like a directory.away
   event: the timers due by then fire first, each at its own due time, with the
   directory they were due under (a load that moved the clock past them without firing
   them left them to fire later stamped with the load's time). */
int engine_directory_load(Engine *e, json_t *json, int64_t now, char *why, size_t why_len)
{
    DirectoryWork w = {json};
    return engine_run_input(e, now, load_directory_work, &w, why, why_len);
}

typedef struct AwayWork {
    const char *person, *from, *to, *delegate;
    bool back;
} AwayWork;

/* A `back` of someone who was not away, or an absence the person has already, changes
   nothing: not committed (as a repeated ack), and said in why. */
static int away_work(Step *s, void *context)
{
    AwayWork *w = context;
    bool changed;
    int rc = step_away(s, w->person, w->from, w->to, w->delegate, w->back, &changed);
    if (rc == STORE_OK && !changed) {
        s->unchanged = s->repeated = true;
        snprintf(s->why, s->why_len, w->back ? "%s was not away (nothing changed)"
                                             : "%s has that absence already (nothing changed)", w->person);
    }
    return step_repeat_why(s, rc);
}

int engine_away(Engine *e, const char *person, const char *from, const char *to,
                const char *delegate, bool back, int64_t now, char *why, size_t why_len)
{
    AwayWork w = {person, from, to, delegate, back};
    return engine_run_input(e, now, away_work, &w, why, why_len);
}

/* ---- dedup retention ---- */

typedef struct SeenPurge {
    Step *step;
    int days;                       /* the period to keep, or 0: the store's */
    int64_t before_ms;
    json_t *keys;                   /* the keys to delete */
} SeenPurge;

static int seen_visit(void *context, StoreBytes key, StoreBytes value)
{
    SeenPurge *p = context;
    int64_t at;
    int rc = seen_entry_at(p->step, key, value, &at);
    if (rc == STORE_OK && at < p->before_ms)
        json_array_append_new(p->keys, json_stringn(key.data, key.len));
    return rc;
}

static int purge_work(Step *s, void *context)
{
    SeenPurge *p = context;
    p->step = s;
    json_array_clear(p->keys);   /* store_write may run the work again */
    int rc = p->days > 0 ? engine_counter_put(s, "dedup_days", (uint64_t)p->days) : STORE_OK;
    int64_t days = p->days;
    if (rc == STORE_OK && days <= 0)
        rc = engine_dedup_days(s, &days);
    p->before_ms = s->now - days * 86400000;
    if (rc == STORE_OK)
        rc = engine_scan(s, TABLE_SEEN, store_bytes(NULL, 0), seen_visit, p);
    size_t i;
    json_t *key;
    json_array_foreach(p->keys, i, key)
        if (rc == STORE_OK)
            rc = store_del(s->txn, TABLE_SEEN, store_bytes(json_string_value(key), json_string_length(key)));
    return rc;
}

int engine_purge_seen(Engine *e, int64_t now, int days, char *why, size_t why_len)
{
    SeenPurge p = {NULL, days, 0, json_array()};
    if (!p.keys) {
        snprintf(why, why_len, "out of memory");
        return ENGINE_NO_MEMORY;
    }
    int rc = engine_run_step(e, now, purge_work, &p, why, why_len);
    json_decref(p.keys);
    return rc;
}
