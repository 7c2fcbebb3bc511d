/*
 * engine_gauges.c - open tasks and running and stalled instances (serve's /metrics
 * gauges, engine_gauges), kept in meta as the records change, so that reading them costs
 * three lookups however large the store is.
 *
 * Since schema 6 meta holds GAUGE_OPEN_TASKS, GAUGE_RUNNING and GAUGE_STALLED (as every
 * counter, no entry when it is 0: counter_store). Every write of a task or an instance
 * goes through task_save or instance_save, and both tell this file what the record's
 * status was in the store and what it is now (TaskRecord.open_in_store, Instance.stored
 * and stored_status, set when the record is read and when it is written): a change moves
 * the counters in the same transaction, through the batch's counters
 * (engine_counters.c), so a nested step that is undone takes its changes with it.
 * Neither table ever loses a record, so nothing else moves them.
 *
 * The upgrade to schema 6 (engine_upgrade.c) counts both tables once (gauges_build);
 * a store of an older schema, opened read-only and so never converted, is counted
 * whenever it is asked (gauges_scan).
 */
#include "engine_internal.h"

#include <string.h>

#define GAUGE_OPEN_TASKS "open_tasks"
#define GAUGE_RUNNING "running_instances"
#define GAUGE_STALLED "stalled_instances"
#define GAUGES_SCHEMA 6

/* ---- counting the records ---- */

typedef struct GaugeScan {
    Step *step;
    EngineGauges *out;
} GaugeScan;

static int gauge_task_visit(void *context, StoreBytes key, StoreBytes value)
{
    GaugeScan *scan = context;
    TaskRecord task;
    int rc = task_parse(scan->step, key, value, &task);
    if (rc != STORE_OK)
        return rc;
    scan->out->open_tasks += task_is_open(&task);
    task_record_free(&task);
    return STORE_OK;
}

static int gauge_instance_visit(void *context, const InstanceRecord *r)
{
    GaugeScan *scan = context;
    scan->out->running += r->status == INSTANCE_RUNNING;
    scan->out->stalled += r->status == INSTANCE_STALLED;
    return STORE_OK;
}

int gauges_scan(Step *s, EngineGauges *out)
{
    *out = (EngineGauges){0};
    GaugeScan scan = {s, out};
    int rc = engine_scan(s, TABLE_TASKS, store_bytes(NULL, 0), gauge_task_visit, &scan);
    return rc == STORE_OK ? instance_scan(s, gauge_instance_visit, &scan) : rc;
}

/* ---- the upgrade ---- */

int gauges_build(StoreTxn *txn, char *why, size_t why_len)
{
    Step s;
    EngineGauges g;
    step_begin(&s, NULL, txn, 0, NULL, why, why_len);   /* parsing only: no engine needed */
    int rc = step_end(&s, gauges_scan(&s, &g));
    if (rc == STORE_OK)
        rc = counter_store(txn, GAUGE_OPEN_TASKS, g.open_tasks);
    if (rc == STORE_OK)
        rc = counter_store(txn, GAUGE_RUNNING, g.running);
    return rc == STORE_OK ? counter_store(txn, GAUGE_STALLED, g.stalled) : rc;
}

int gauges_clear(StoreTxn *txn)
{
    int rc = counter_store(txn, GAUGE_OPEN_TASKS, 0);   /* 0: no entry */
    if (rc == STORE_OK)
        rc = counter_store(txn, GAUGE_RUNNING, 0);
    return rc == STORE_OK ? counter_store(txn, GAUGE_STALLED, 0) : rc;
}

/* ---- keeping them ---- */

/* Moves counter `name` by `delta` (-1, 0 or 1). A counter never goes below zero: a store
   whose counters disagree with its records is reported by store_invariants, not made
   worse here. */
static int gauge_move(Step *s, const char *name, int delta)
{
    if (delta == 0)
        return STORE_OK;
    uint64_t value;
    int rc = engine_counter(s, name, &value);
    if (rc != STORE_OK || (delta < 0 && value == 0))
        return rc;
    return engine_counter_put(s, name, delta < 0 ? value - 1 : value + 1);
}

int gauges_task_saved(Step *s, TaskRecord *task)
{
    bool open = task_is_open(task);
    int rc = gauge_move(s, GAUGE_OPEN_TASKS, (int)open - (int)task->open_in_store);
    if (rc == STORE_OK)
        task->open_in_store = open;
    return rc;
}

/* 1 when `stored` and `status` is `counted`, else 0. */
static int gauge_share(bool stored, InstanceStatus status, InstanceStatus counted)
{
    return stored && status == counted;
}

int gauges_instance_saved(Step *s, Instance *in)
{
    InstanceStatus now = in->record.status;
    int rc = gauge_move(s, GAUGE_RUNNING, gauge_share(true, now, INSTANCE_RUNNING) -
                                              gauge_share(in->stored, in->stored_status, INSTANCE_RUNNING));
    if (rc == STORE_OK)
        rc = gauge_move(s, GAUGE_STALLED, gauge_share(true, now, INSTANCE_STALLED) -
                                              gauge_share(in->stored, in->stored_status, INSTANCE_STALLED));
    if (rc == STORE_OK) {
        in->stored = true;
        in->stored_status = now;
    }
    return rc;
}

/* ---- reading them ---- */

static int gauges_work(Step *s, void *context)
{
    EngineGauges *out = context;
    unsigned schema;
    int rc = store_schema(s->txn, &schema);
    if (rc != STORE_OK)
        return step_fail(s, rc, "store error reading the schema version: %s", store_strerror(rc));
    if (schema < GAUGES_SCHEMA)
        return gauges_scan(s, out);   /* an older store, opened read-only */
    rc = engine_counter(s, GAUGE_OPEN_TASKS, &out->open_tasks);
    if (rc == STORE_OK)
        rc = engine_counter(s, GAUGE_RUNNING, &out->running);
    return rc == STORE_OK ? engine_counter(s, GAUGE_STALLED, &out->stalled) : rc;
}

int engine_gauges(Engine *e, EngineGauges *out, char *why, size_t why_len)
{
    *out = (EngineGauges){0};
    return engine_read(e, gauges_work, out, why, why_len);
}

static int gauges_scan_work(Step *s, void *context)
{
    return gauges_scan(s, context);
}

int engine_gauges_counted(Engine *e, EngineGauges *out, char *why, size_t why_len)
{
    *out = (EngineGauges){0};
    return engine_read(e, gauges_scan_work, out, why, why_len);
}
