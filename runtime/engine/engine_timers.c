/*
 * engine_timers.c - timers: finding the due ones, firing each as its own step at its
 * own due time (a batch in one write transaction, no nested transaction per timer), and
 * the next due time (engine_fire_due, engine_next_due).
 */
#include "engine_internal.h"
#include "fault.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Timers due at or before a time, oldest first, up to a batch. */
#define TIMER_BATCH 1000

typedef struct DueTimer {
    unsigned char key[20];
    json_t *what;
} DueTimer;

typedef struct DueTimers {
    Step *step;                     /* the read that finds them */
    int64_t limit;
    DueTimer items[TIMER_BATCH];
    unsigned count;
} DueTimers;

/* A timer's key is its due time, instance and order: 20 bytes. */
static int timer_key_check(Step *s, StoreBytes key)
{
    if (key.len == 20)
        return STORE_OK;
    return step_fail_damaged(s, "a timer's key is %zu bytes, not 20", key.len);
}

static int due_visit(void *context, StoreBytes key, StoreBytes value)
{
    DueTimers *d = context;
    int rc = timer_key_check(d->step, key);
    if (rc != STORE_OK)
        return rc;
    if ((int64_t)store_read_be64(key.data) > d->limit || d->count == TIMER_BATCH)
        return STORE_STOP;
    DueTimer *t = &d->items[d->count];
    memcpy(t->key, key.data, 20);
    rc = engine_parse_json(d->step, TABLE_TIMERS, key, value, &t->what);
    if (rc == STORE_OK)
        d->count++;
    return rc;
}

static int due_work(Step *s, void *context)
{
    DueTimers *d = context;
    d->step = s;
    return engine_scan(s, TABLE_TIMERS, store_bytes(NULL, 0), due_visit, d);
}

/* A timer of a stalled instance's suspension that comes due is not fired: the input
   that stalled it came first, and `huddle retry` re-applies that input, which leaves the
   suspension. The timer leaves the table (so the timer loop never meets it again) and is
   kept on the instance as "held_timers" until the retry leaves the suspension. */
static int timer_hold(Step *s, Instance *in, DueTimer *d)
{
    if (!in->record.held_timers)
        in->record.held_timers = json_array();
    json_t *held = in->record.held_timers;
    char due[40];
    time_text((int64_t)store_read_be64(d->key), due);
    json_t *what = json_deep_copy(d->what);
    json_object_set_new(what, "due", json_string(due));
    json_array_append_new(held, what);
    int rc = instance_save(s, in);
    instance_clear(in);
    return rc;
}

/* Whether the timer `what` is of the instance's current suspension. */
static bool timer_current(const Instance *in, const json_t *what)
{
    json_int_t suspension = json_integer_value(json_object_get(what, "suspension"));
    const char *kind = json_string_value(json_object_get(what, "kind"));
    return in->frame && kind && (uint64_t)suspension == in->frame->step;
}

/* What a due timer does to a running instance; a stale one (of a suspension no longer
   current, or an instance that is not running) does nothing. */
static int timer_apply(Step *s, Instance *in, const json_t *what)
{
    if (!timer_current(in, what) || in->record.status != INSTANCE_RUNNING)
        return STORE_OK;   /* a stale wake-up: deleted without effect */
    const char *kind = json_string_value(json_object_get(what, "kind"));
    const char *task = json_string_value(json_object_get(what, "task"));
    if (strcmp(kind, "deadline") == 0)
        return task_timeout(s, in, task);
    if (strcmp(kind, "level") == 0)
        return task_escalate(s, in, task, json_integer_value(json_object_get(what, "level")));
    if (strcmp(kind, "reminder") == 0)
        return task_remind(s, in, task);
    if (strcmp(kind, "watch") == 0)
        return task_watch(s, in, task);
    if (strcmp(kind, "after") == 0)
        return step_resume(s, in, VM_INPUT_TIMER, VALUE_NULL);
    return STORE_OK;
}

/* Takes off the instance's list the timers that left the table while it was stalled
   (fire_one held them): they are applied now, and listed they would stay forever. */
static int timers_unlist_gone(Step *s, Instance *in)
{
    for (size_t i = 0; i < in->record.timer_count;) {
        StoreBytes value;
        int rc = store_get(s->txn, TABLE_TIMERS, store_bytes(in->record.timers[i], INSTANCE_TIMER_KEY), &value);
        if (rc == STORE_NOT_FOUND)
            instance_record_drop_timer(&in->record, in->record.timers[i]);
        else if (rc != STORE_OK)
            return rc;
        else
            i++;
    }
    return STORE_OK;
}

int timers_release_held(Step *s, Instance *in)
{
    json_t *held = in->record.held_timers;
    in->record.held_timers = NULL;
    int rc = held ? timers_unlist_gone(s, in) : STORE_OK;
    for (size_t i = 0; rc == STORE_OK && i < json_array_size(held); i++)
        rc = timer_apply(s, in, json_array_get(held, i));
    json_decref(held);
    return rc;
}

/* One timer's step (the caller set s->now to its due time). */
static int fire_one(Step *s, DueTimer *d)
{
    int rc = store_del(s->txn, TABLE_TIMERS, store_bytes(d->key, 20));
    if (rc == STORE_NOT_FOUND)
        return STORE_OK;   /* fired already, or cleared by an earlier timer of this batch */
    if (rc != STORE_OK)
        return rc;
    uint64_t number = store_read_be64(d->key + 8);
    Instance in;
    rc = instance_load(s, number, &in);
    if (rc == STORE_NOT_FOUND)
        return STORE_OK;   /* the instance is gone: the timer goes too */
    if (rc != STORE_OK)
        return rc;
    if (timer_current(&in, d->what) && in.record.status == INSTANCE_STALLED)
        return timer_hold(s, &in, d);   /* still listed while held: a retry's task_missing reads it so */
    instance_record_drop_timer(&in.record, d->key);   /* it left the table: the list stays bounded */
    rc = timer_apply(s, &in, d->what);
    if (rc == STORE_OK)
        rc = instance_save(s, &in);
    instance_clear(&in);
    return rc;
}

typedef struct FireBatch {
    Engine *engine;
    DueTimers *due;
    unsigned count;                 /* timers this run fires: all, or those before a failed one */
    unsigned runs;                  /* transactions begun */
    StepRecords records;            /* the run's records, for the on_record hook (else a step's) */
    int64_t clock;                  /* engine time: read when the run begins, kept by its steps */
    bool clocked;                   /* a step ran: the clock is written when the run ends */
    int failed;                     /* a timer's failure that ended the first run, or STORE_OK */
    char failure[256];              /* and its sentence */
    char *why;
    size_t why_len;
} FireBatch;

/* The first key of the timers table (the earliest due), if any. */
typedef struct FirstTimer {
    Step *step;
    bool found;
    unsigned char key[20];
} FirstTimer;

static int first_timer_visit(void *context, StoreBytes key, StoreBytes value)
{
    (void)value;
    FirstTimer *first = context;
    int rc = timer_key_check(first->step, key);
    if (rc != STORE_OK)
        return rc;
    first->found = true;
    memcpy(first->key, key.data, 20);
    return STORE_STOP;
}

static int first_timer(Step *s, FirstTimer *first)
{
    first->step = s;
    first->found = false;
    return engine_scan(s, TABLE_TIMERS, store_bytes(NULL, 0), first_timer_visit, first);
}

/* Whether a timer set by an earlier one of the batch is due before `t`: then the batch
   ends, and the next pass fires that one in its turn. Every timer of the table before
   `t` when the run began was read into the batch and deleted as it fired, so the table
   is read only when a step of this run set one before `t` (timer_set notes the
   earliest). */
static int fire_later(Step *s, const DueTimer *t, bool *later)
{
    const Engine *e = s->engine;
    *later = false;
    if (!e->timer_set_any || memcmp(e->timer_set_first, t->key, 20) >= 0)
        return STORE_OK;
    FirstTimer first;
    int rc = first_timer(s, &first);
    *later = rc == STORE_OK && first.found && memcmp(first.key, t->key, 20) < 0;
    return rc;
}

/* One due timer's step, directly in the batch's transaction, its records added to the
   batch's. *later: a timer set by an earlier one of the batch is due first. */
static int fire_step(FireBatch *f, StoreTxn *txn, unsigned i, bool *later)
{
    DueTimer *t = &f->due->items[i];
    if (!engine_hears_records(f->engine))
        step_records_clear(&f->records);   /* nobody reads them: cleared a step at a time */
    Step s;
    step_begin(&s, f->engine, txn, (int64_t)store_read_be64(t->key), &f->records, f->why, f->why_len);
    s.written = f->records.count;   /* the earlier timers' are written */
    s.fired_timer = t->key;
    int rc = i > 0 ? fire_later(&s, t, later) : STORE_OK;
    if (rc == STORE_OK && !*later) {
        if (s.now < f->clock)
            s.now = f->clock;   /* engine time never goes backwards (step_clock) */
        f->clock = s.now;
        f->clocked = true;
        rc = fire_one(&s, t);
    }
    if (rc == STORE_OK && !*later)
        rc = step_write_records(&s);
    return step_end(&s, rc);
}

/* Many due timers in one write transaction, each its own step at its own due time, in
   order, with no nested transaction: a timer that fails (or is refused) ends the run,
   which store_write aborts. The batch then runs again with only the timers before it,
   commits them, and reports the failure (fire_due_batch): no timer fires before an
   earlier one that failed, and none that went through is undone by it. */
/* The run's steps, in order, until one fails or a timer set by an earlier one is due
   first. */
static int fire_steps(FireBatch *f, StoreTxn *txn)
{
    for (unsigned i = 0; i < f->count; i++) {
        bool later = false;
        int rc = fire_step(f, txn, i, &later);
        if (rc == STORE_OK && later)
            return STORE_OK;   /* nothing of this step was written: the batch ends here */
        if (rc == STORE_FULL || store_full(txn))
            return STORE_FULL;   /* store_write grows the map and runs the batch again */
        if (rc != STORE_OK && f->failed == STORE_OK) {
            f->failed = rc;
            f->count = i;
            snprintf(f->failure, sizeof f->failure, "%s", f->why);
        }
        if (rc != STORE_OK)
            return rc;
        fault_point("timer step");
    }
    return STORE_OK;
}

/* The batch was read before its write transaction began, and another writer (a tick or
   any write command beside this one, each firing what is due first) may have committed
   in between: fired some of it, or set a timer due before some of it (a reminder its
   own firing set). The run fires the batch only up to the first timer of the table the
   batch lacks; the next pass reads the table again and fires that one in its turn, so
   timers fire in due order whoever fires them. Keys only: nothing is parsed. */
typedef struct BatchCheck {
    Step *step;
    const DueTimers *due;
    unsigned at, keep;              /* keep: the batch's timers this run may fire */
} BatchCheck;

static int batch_check_visit(void *context, StoreBytes key, StoreBytes value)
{
    (void)value;
    BatchCheck *c = context;
    int rc = timer_key_check(c->step, key);
    if (rc != STORE_OK)
        return rc;
    const DueTimer *items = c->due->items;
    while (c->at < c->keep && memcmp(items[c->at].key, key.data, 20) < 0)
        c->at++;                    /* fired by the other writer: fire_one passes it by */
    if (c->at == c->keep)
        return STORE_STOP;          /* past the batch */
    if (memcmp(items[c->at].key, key.data, 20) == 0) {
        c->at++;
        return STORE_OK;
    }
    c->keep = c->at;                /* a timer the batch lacks, due before items[at] */
    return STORE_STOP;
}

static int batch_check(Step *batch, FireBatch *f)
{
    BatchCheck c = {batch, f->due, 0, f->count};
    int rc = engine_scan(batch, TABLE_TIMERS, store_bytes(NULL, 0), batch_check_visit, &c);
    if (rc >= 0)
        f->count = c.keep;
    return rc < 0 ? rc : STORE_OK;
}

/* One run of the batch: engine time and the history chain's head are read from meta
   once before its steps and written once after them (batch_chain_open), and so is each
   counter its steps raise (engine_counters.c). */
static int fire_batch(StoreTxn *txn, void *context)
{
    FireBatch *f = context;
    if (batch_run_begin(f->engine, &f->runs, &f->records) != STORE_OK)
        return ENGINE_NO_MEMORY;
    f->engine->timer_set_any = false;
    f->clocked = false;
    counters_open(&f->engine->counters, txn);
    Step batch;
    step_begin(&batch, f->engine, txn, 0, NULL, f->why, f->why_len);
    HistoryChain chain;
    int rc = step_end(&batch, step_engine_time(&batch, &f->clock));
    if (rc == STORE_OK)
        rc = batch_chain_open(&batch, &chain);
    if (rc == STORE_OK)
        rc = step_end(&batch, batch_check(&batch, f));
    if (rc == STORE_OK)
        rc = fire_steps(f, txn);
    if (rc == STORE_OK && f->clocked)
        rc = step_engine_time_put(&batch, f->clock);
    if (rc == STORE_OK)
        rc = counters_flush(&f->engine->counters);
    counters_close(&f->engine->counters);
    return batch_chain_close(&batch, &chain, rc);
}

static int advance_work(Step *s, void *context)
{
    (void)s;
    (void)context;
    return STORE_OK;   /* the step's clock update is the whole point */
}

/* Fires one batch of the due timers in `due` (then releases them). When a timer fails,
   the timers before it run again and commit (one run more), and its failure is
   returned; should that run fail too, nothing of the batch commits. */
static int fire_due_batch(Engine *e, DueTimers *due, char *why, size_t why_len)
{
    FireBatch f = {.engine = e, .due = due, .count = due->count, .failed = STORE_OK, .why = why, .why_len = why_len};
    int rc = store_write(e->store, fire_batch, &f);
    bool stopped = rc != STORE_OK && f.failed != STORE_OK;   /* f.count: the timers before it */
    if (rc != STORE_OK)
        engine_forget_caches(e);
    if (stopped && f.count > 0) {
        rc = store_write(e->store, fire_batch, &f);
        if (rc != STORE_OK)
            engine_forget_caches(e);
    }
    if (rc == STORE_OK) {
        engine_report_records(e, &f.records);
        e->timers_fired += f.count;   /* stopped: the timers before the one that failed */
    }
    if (stopped && rc == STORE_OK) {
        rc = f.failed;   /* the timers before it committed: now its failure */
        snprintf(why, why_len, "%s", f.failure);
    }
    step_records_free(&f.records);
    for (unsigned i = 0; i < due->count; i++)
        json_decref(due->items[i].what);
    return engine_result(rc, why, why_len);
}

/* The buffer of due timers (32 KiB) is the engine's, kept from call to call: a malloc
   of that size per batch made glibc consolidate every small chunk the batch had freed
   (docs/performance-log.md, "Allocation"). It is lent out while in use. */
int engine_fire_timers(Engine *e, int64_t now, bool advance, char *why, size_t why_len)
{
    DueTimers *due = e->due_timers ? e->due_timers : engine_alloc(sizeof *due);
    if (!due) {
        snprintf(why, why_len, "out of memory");
        return ENGINE_NO_MEMORY;
    }
    e->due_timers = NULL;
    int result;
    do {
        due->limit = now;
        due->count = 0;
        result = engine_read(e, due_work, due, why, why_len);
        if (result != ENGINE_OK) {
            for (unsigned i = 0; i < due->count; i++)
                json_decref(due->items[i].what);
        } else if (due->count == 0) {
            result = advance ? engine_run_step(e, now, advance_work, NULL, why, why_len) : ENGINE_OK;
            break;
        } else {
            result = fire_due_batch(e, due, why, why_len);
        }
    } while (result == ENGINE_OK);
    if (e->due_timers)
        free(due);
    else
        e->due_timers = due;
    return result;
}

typedef struct NextDue {
    bool *found;
    int64_t *due_ms;
} NextDue;

static int next_due_work(Step *s, void *context)
{
    NextDue *n = context;
    FirstTimer first;
    int rc = first_timer(s, &first);
    *n->found = rc == STORE_OK && first.found;
    if (*n->found)
        *n->due_ms = (int64_t)store_read_be64(first.key);
    return rc;
}

int engine_next_due(Engine *e, bool *found, int64_t *due_ms, char *why, size_t why_len)
{
    NextDue n = {found, due_ms};
    *found = false;
    return engine_read(e, next_due_work, &n, why, why_len);
}
