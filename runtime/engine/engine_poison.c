/*
 * engine_poison.c - an input that stopped the runtime every time it was applied is set
 * aside, never applied (serve's inputs in flight, docs/operations.md "Inputs in flight
 * and poison inputs"). An answer or ack to an ask still open stalls its task's instance
 * with a `stalled` record whose error begins "poison input", so an operator sees it and
 * decides (`huddle retry` runs on without it); an event is marked seen, so the sender's
 * repeats are duplicates that run nothing, and its history says nothing: it started no
 * instance.
 */
#include "engine_internal.h"
#include "engine_small_store.h"

#include <stdio.h>
#include <string.h>

typedef struct PoisonWork {
    const EngineInput *input;
    unsigned attempts;
} PoisonWork;

/* The event's `seen` entry, with no route and the attempts it took, unless it is seen. */
static int poison_event(Step *s, const EngineInput *in, unsigned attempts)
{
    StrBuf key = STRBUF_INIT;
    StoreBytes seen;
    int rc = !seen_key(&key, in->source, in->id) ? step_fail(s, ENGINE_NO_MEMORY, "out of memory")
           : seen_entry_get(s, store_bytes(key.data, key.len), &seen);
    if (rc == STORE_NOT_FOUND) {
        json_t *went = json_array();
        rc = went ? seen_entry_put(s, store_bytes(key.data, key.len), went, attempts)
                  : step_fail(s, ENGINE_NO_MEMORY, "out of memory");
        json_decref(went);
    }
    strbuf_free(&key);
    return rc;
}

/* The task's instance stalls, saying which input was set aside and why; unless the ask
   closed or its instance ended or stalled meanwhile (a deadline that fired at one of the
   restarts, an operator): applied, the input would have been refused as late, so there
   is nothing to hold the instance for, and the log line is all it leaves. */
static int poison_answer(Step *s, const EngineInput *in, unsigned attempts)
{
    TaskRecord task;
    int rc = task_load_named(s, in->task, &task);
    Instance instance;
    bool open = rc == STORE_OK && task_is_open(&task);
    if (open)
        rc = task_instance_load(s, &task, &instance);
    task_record_free(&task);
    if (rc != STORE_OK || !open)
        return rc;
    if (instance.record.status != INSTANCE_RUNNING) {
        instance_clear(&instance);
        return STORE_OK;
    }
    const char *id = instance.record.id;
    char error[768];
    snprintf(error, sizeof error,
             "poison input: the %s by %s to %s%s%s stopped the runtime each of the %u times it was applied, so it "
             "was set aside unapplied; huddle retry %s goes on without it (the task stays open)",
             in->kind == ENGINE_INPUT_ACK ? "ack" : "answer", in->by ? in->by : "?", in->task,
             in->kind == ENGINE_INPUT_ANSWER ? " choosing " : "", in->kind == ENGINE_INPUT_ANSWER && in->choice ? in->choice : "",
             attempts, id ? id : "the instance");
    CodecWriter *record = record_begin(s, &instance, "stalled");
    if (!record) {
        instance_clear(&instance);
        return step_fail(s, ENGINE_NO_MEMORY, "out of memory");
    }
    record_text(record, "error", error);
    instance.record.status = INSTANCE_STALLED;
    rc = instance_save(s, &instance);
    instance_clear(&instance);
    return rc;
}

static int poison_work(Step *s, void *context)
{
    PoisonWork *w = context;
    return w->input->kind == ENGINE_INPUT_EVENT ? poison_event(s, w->input, w->attempts)
                                                : poison_answer(s, w->input, w->attempts);
}

int engine_poison_input(Engine *e, const EngineInput *input, unsigned attempts, int64_t now, char *why,
                        size_t why_len)
{
    PoisonWork w = {input, attempts};
    return engine_run_step(e, now, poison_work, &w, why, why_len);
}
