/*
 * engine_step.c - what a step writes: history records for the VM's effects, the
 * suspension it reached (a task, a timer, a call in the outbox, the mailbox offered to
 * a wait), or its end.
 */
#include "engine_internal.h"
#include "engine_small_store.h"
#include "engine_small_values.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- timers ---- */

/* Whether the instance is stalled (a timer refused below, a deadline that could not be
   computed): it sets no further timers. */
static bool instance_stalled(const Instance *in)
{
    return in->record.status == INSTANCE_STALLED;
}

/* A timer is always due after the engine time that sets it: one at or before it would
   fire in the same batch and might set itself again (`remind every 0s`, `wait { after
   0s -> same_state }`), forever, under the write lock. Such a timer stalls the instance
   with the reason instead, and is not set. */
void step_stall_here(Step *s, Instance *in, const char *message)
{
    step_stall_at_clause(s, in, NULL, -1, message);
}

void step_stall_at_clause(Step *s, Instance *in, const char *kind, int64_t level, const char *message)
{
    /* Where: FILE:LINE of the suspending ask or wait (or of the ask's clause), as the
       VM's own errors say it. */
    char where[300] = "";
    const Bytecode *bc = in->program ? &in->program->bc : NULL;
    if (bc && bc->source_name && in->frame) {
        uint32_t pc = in->frame->pc;
        if (kind && strcmp(kind, "deadline") == 0)
            pc = bc_ask_clause_pc(bc, pc, BC_CLAUSE_WITHIN, 0);
        else if (kind && strcmp(kind, "level") == 0 && level >= 1 && level <= UINT32_MAX)
            pc = bc_ask_clause_pc(bc, pc, BC_CLAUSE_AFTER, (uint32_t)level);
        else if (kind && strcmp(kind, "reminder") == 0)
            pc = bc_ask_clause_pc(bc, pc, BC_CLAUSE_REMIND, 0);
        snprintf(where, sizeof where, "%s:%u: ", bc->source_name, bc_line_of(bc, pc));
    }
    char text[900];
    snprintf(text, sizeof text, "%s%s", where, message);
    record_text(record_begin(s, in, "stalled"), "error", text);
    in->record.status = INSTANCE_STALLED;
}

static void timer_refuse(Step *s, Instance *in, int64_t due, const char *kind, int64_t level, bool too_late)
{
    char at[40], now[40];
    time_text(due, at);
    time_text(s->now, now);
    char message[600];
    if (too_late)
        snprintf(message, sizeof message,
                 "the %s timer would be due at or after 9000-01-01, where no engine time reaches: "
                 "its duration is too long; no timer is set", kind);
    else
        snprintf(message, sizeof message,
                 "the %s timer would be due at %s, but a timer must be due after the engine time "
                 "that sets it (%s): its duration must be positive; no timer is set",
                 kind, at, now);
    step_stall_at_clause(s, in, kind, level, message);
}

bool timer_due_ok(Step *s, Instance *in, int64_t due, const char *kind, int64_t level)
{
    if (instance_stalled(in))
        return false;
    bool too_late = due >= ENGINE_TIME_MAX_MS;   /* 9000-01-01T00:00:00Z: no engine time reaches it */
    if (due > s->now && !too_late)
        return true;
    timer_refuse(s, in, due, kind, level, too_late);
    return false;
}

/* The timer's value, {"kind", "task"?, "level"?, "suspension"}, into the engine's
   record buffer (engine_record_bytes_done releases it): NULL when out of memory. */
static StrBuf *timer_value(Step *s, const Instance *in, const char *kind, const char *task, int64_t level)
{
    StrBuf *bytes = &s->engine->record_bytes;
    bytes->len = 0;
    CodecWriter w;
    codec_write_begin(&w, bytes);
    codec_write_object(&w);
    codec_write_key(&w, "kind");
    codec_write_text(&w, kind);
    if (task) {
        codec_write_key(&w, "task");
        codec_write_text(&w, task);
    }
    if (level >= 0) {
        codec_write_key(&w, "level");
        codec_write_integer(&w, level);
    }
    codec_write_key(&w, "suspension");
    codec_write_integer(&w, (int64_t)in->frame->step);
    if (codec_write_end(&w) == CODEC_OK)
        return bytes;
    engine_record_bytes_done(s);
    step_fail(s, ENGINE_NO_MEMORY, "out of memory");
    return NULL;
}

/* A timer's key: due (8, big-endian ms), instance (8), then priority (1) and the timer
   counter's low 24 bits (3), so timers fire by due time, then by priority. */
#define TIMER_KEY_PRIORITY 16

bool timer_is_set(const Instance *in, int64_t due, int priority)
{
    unsigned char at[8];
    store_be64((uint64_t)due, at);
    for (size_t i = 0; i < in->record.timer_count; i++)
        if (memcmp(in->record.timers[i], at, 8) == 0 && in->record.timers[i][TIMER_KEY_PRIORITY] == priority)
            return true;
    return false;
}

int timer_key_new(Step *s, const Instance *in, int64_t due, int priority, unsigned char key[20])
{
    store_be64((uint64_t)due, key);
    store_be64(in->number, key + 8);
    for (int tries = 0;; tries++) {
        uint64_t seq;
        int rc = engine_counter_next(s, "next_timer", &seq);
        if (rc != STORE_OK)
            return rc;
        uint32_t order = (uint32_t)priority << 24 | (uint32_t)(seq & 0xFFFFFF);
        key[TIMER_KEY_PRIORITY] = (unsigned char)(order >> 24);
        key[17] = (unsigned char)(order >> 16);
        key[18] = (unsigned char)(order >> 8);
        key[19] = (unsigned char)order;
        StoreBytes held;
        rc = store_get(s->txn, TABLE_TIMERS, store_bytes(key, 20), &held);
        if (rc == STORE_NOT_FOUND)
            return STORE_OK;
        if (rc != STORE_OK)
            return step_fail(s, rc, "store error reading the timers table: %s", store_strerror(rc));
        if (seq <= 0xFFFFFF || tries == 16) {
            char at[40];
            time_text(due, at);
            return step_fail_damaged(s, "meta's next_timer gives the number %llu to a new timer of i%llu due %s, "
                                     "but a timer of i%llu due then holds it already (the counter was lost or "
                                     "went back, and the new one would overwrite it)", (unsigned long long)seq,
                                     (unsigned long long)in->number, at, (unsigned long long)in->number);
        }
    }
}

int timer_set(Step *s, Instance *in, int64_t due, int priority, const char *kind, const char *task, int64_t level)
{
    if (!timer_due_ok(s, in, due, kind, level))
        return STORE_OK;
    unsigned char key[20];
    int rc = timer_key_new(s, in, due, priority, key);
    if (rc != STORE_OK)
        return rc;
    StrBuf *bytes = timer_value(s, in, kind, task, level);
    if (!bytes)
        return s->failed;
    rc = store_put(s->txn, TABLE_TIMERS, store_bytes(key, 20), store_bytes(bytes->data, bytes->len));
    engine_record_bytes_done(s);
    Engine *e = s->engine;
    if (!e->timer_set_any || memcmp(key, e->timer_set_first, 20) < 0)
        memcpy(e->timer_set_first, key, 20);   /* a timer batch fires it in its turn */
    e->timer_set_any = true;
    if (instance_record_add_timer(&in->record, key) != 0 && rc == STORE_OK)
        rc = step_fail(s, ENGINE_NO_MEMORY, "out of memory");
    char at[40];
    time_text(due, at);
    CodecWriter *record = record_begin(s, in, "timer");
    record_text(record, "due", at);   /* record_time's text */
    record_text(record, "what", kind);
    record_text(record, "task", task);
    if (level >= 0)
        record_integer(record, "level", level);
    return rc;
}

/* Deletes every timer of the instance's current suspension. */
int timers_clear(Step *s, Instance *in)
{
    for (size_t i = 0; i < in->record.timer_count; i++) {
        const unsigned char *key = in->record.timers[i];
        if (s->fired_timer && memcmp(key, s->fired_timer, INSTANCE_TIMER_KEY) == 0)
            continue;   /* the timer that fired this step: deleted already */
        int rc = store_del(s->txn, TABLE_TIMERS, store_bytes(key, 20));
        if (rc != STORE_OK && rc != STORE_NOT_FOUND)
            return rc;
    }
    in->record.timer_count = 0;
    instance_record_set_json(&in->record.held_timers, NULL);
    return STORE_OK;
}

/* ---- effects ---- */

/* The directory's notes (delegated, unresolved) as history records; `seat` >= 0 names
   the seat they concern, and a `delegated` one also names its ask's `task` (NULL: none),
   so the decision record counts who held each seat and why (engine_audit_index.c). An
   `unresolved` note has no task: a record `unresolved` with a task says the whole ask
   has nobody left who could answer (engine_tasks.c). */
void record_notes(Step *s, Instance *in, json_t *notes, const char *task, int seat)
{
    size_t i;
    json_t *note;
    json_array_foreach(notes, i, note) {
        /* a note's fields (dir_unresolved, the delegated notes of runtime/people/
           directory.c) are none of a record's own nor "seat": each is written once */
        const char *key, *kind = json_string_value(json_object_get(note, "kind"));
        CodecWriter *record = record_begin(s, in, kind);
        json_t *value;
        json_object_foreach(note, key, value)
            if (strcmp(key, "kind") != 0)
                record_json(record, key, value);
        if (kind && strcmp(kind, "delegated") == 0)
            record_text(record, "task", task);
        if (seat >= 0)
            record_integer(record, "seat", seat);
    }
}

/* A `notify` WHO's notes (record_notes), but a substitution another WHO of the same
   statement has recorded (`substituted`, the statement's steps as dir_note_is_new keeps
   them): `notify person("awy"), team("t")` with awy away is one `delegated` awy -> ben. */
static void notify_record_notes(Step *s, Instance *in, const json_t *notes, json_t *substituted)
{
    json_t *fresh = json_array(), *note;
    size_t i;
    json_array_foreach(notes, i, note)
        if (dir_note_is_new(substituted, note))
            json_array_append(fresh, note);
    record_notes(s, in, fresh, NULL, -1);
    json_decref(fresh);
}

/* The `notify` message to `everyone` (a JSON list of person ids) in the outbox, its
   recipients in execution order (RUNTIME.md: "INDEX in execution order"): the order the
   statement reached them, its WHOs in turn, as its `notified` records list them
   (docs/connectors.md, "Keys"). */
static void notify_outbox(Step *s, Instance *in, const json_t *everyone, const char *text)
{
    size_t count = json_array_size(everyone);
    const char **people = engine_calloc(count + 1, sizeof *people);
    if (!people)
        return;   /* counted: the step fails */
    for (size_t i = 0; i < count; i++)
        people[i] = json_string_value(json_array_get(everyone, i));
    outbox_tell(s, in, people, count, "notify", NULL, text);
    free(people);
}

/* A `sent` or `called` record's fields (connector, operation, arg), and the outbox
   entry made from the same values, whose key the record gets last. */
static int record_outbox_json(Step *s, Instance *in, const char *kind, const char *connector,
                              const char *operation, const json_t *arg)
{
    CodecWriter *record = record_effect_begin(s, in, kind, connector, operation, arg);
    if (strcmp(kind, "sent") != 0)
        return outbox_call(s, in, connector, operation, arg, record);
    outbox_send(s, in, connector, operation, arg, record);
    return STORE_OK;
}

/* The same from the VM's map {connector, operation, arg}. */
static int record_outbox_effect(Step *s, Instance *in, const char *kind, Value what)
{
    const Value *connector = value_map_get(what, "connector", 9);
    const Value *operation = value_map_get(what, "operation", 9);
    const Value *arg = value_map_get(what, "arg", 3);
    const char *conn = connector && connector->type == VAL_STRING ? value_text(*connector) : NULL;
    const char *op = operation && operation->type == VAL_STRING ? value_text(*operation) : NULL;
    json_t *arg_json = arg ? value_to_json(*arg) : NULL;
    if (arg && !arg_json)
        return step_fail(s, ENGINE_NO_MEMORY, "out of memory");
    int rc = record_outbox_json(s, in, kind, conn, op, arg_json);
    json_decref(arg_json);
    return rc;
}

static void record_effect(Step *s, Instance *in, const Effect *effect)
{
    switch (effect->kind) {
    case EFFECT_ENTERED:
        instance_set_text(s, &in->record.state, value_text(effect->value));
        record_begin(s, in, "entered");
        break;
    case EFFECT_TAGGED: {
        for (uint32_t i = 0; i < effect->value.as.list->count; i++)
            if (instance_record_add_tag(&in->record, value_text(effect->value.as.list->items[i])) != 0)
                step_fail(s, ENGINE_NO_MEMORY, "out of memory");
        record_value(record_begin(s, in, "tagged"), "tags", effect->value);
        break;
    }
    case EFFECT_NOTED:
        record_value(record_begin(s, in, "noted"), "text", effect->value);
        break;
    case EFFECT_SENT:
        record_outbox_effect(s, in, "sent", effect->value);
        break;
    case EFFECT_NOTIFY: {
        Value whos = *value_map_get(effect->value, "who", 3);
        Value message = *value_map_get(effect->value, "message", 7);
        const Directory *dir = step_directory(s);
        IdSet told = IDSET_INIT;   /* each person once per statement */
        json_t *kept = json_array();   /* the people `told` borrows its ids from */
        json_t *everyone = json_array();   /* the people told, for the outbox */
        json_t *substituted = json_object();   /* each substitution once per statement */
        for (uint32_t i = 0; dir && kept && i < whos.as.list->count; i++) {
            json_t *who = value_to_json(whos.as.list->items[i]);
            json_t *notes = json_array();
            json_t *people = dir_resolve(dir, who, s->now, NULL, notes);
            notify_record_notes(s, in, notes, substituted);
            size_t k;
            json_t *person;
            json_array_foreach(people, k, person) {
                if (!idset_add(&told, json_string_value(person)))
                    continue;
                json_array_append(everyone, person);
                CodecWriter *notified = record_begin(s, in, "notified");
                record_json(notified, "person", person);
                record_text(notified, "channel", dir_channel(dir, json_string_value(person)));
                record_value(notified, "message", message);
            }
            json_decref(notes);
            json_decref(who);
            if (json_array_append_new(kept, people) != 0)
                break;   /* out of memory (the step fails): `told` may not be used again */
        }
        for (uint32_t i = 0; !dir && i < whos.as.list->count; i++) {
            Value who = whos.as.list->items[i];
            const Value *kind = value_map_get(who, "who", 3);
            const Value *id = value_map_get(who, "id", 2);
            if (kind && strcmp(value_text(*kind), "person") == 0 && id && id->type == VAL_STRING) {
                if (!idset_add(&told, value_text(*id)))
                    continue;
                json_array_append_new(everyone, value_to_json(*id));
                CodecWriter *notified = record_begin(s, in, "notified");
                record_value(notified, "person", *id);
                record_text(notified, "channel", "email");
                record_value(notified, "message", message);
            } else {
                json_t *who_json = value_to_json(who);
                json_t *notes = json_pack("[o]", dir_unresolved(who_json, "no directory is loaded"));
                record_notes(s, in, notes, NULL, -1);
                json_decref(notes);
                json_decref(who_json);
            }
        }
        idset_free(&told);
        json_decref(kept);
        json_decref(substituted);
        notify_outbox(s, in, everyone, value_text(message));
        json_decref(everyone);
        break;
    }
    case EFFECT_WHEN_ERROR:
        record_value(record_begin(s, in, "when_failed"), "error", effect->value);
        break;
    }
}

/* ---- suspensions and ends ---- */

static int suspend_wait(Step *s, Instance *in, Value wait)
{
    const Value *after = value_map_get(wait, "after", 5);
    if (after && (after->type == VAL_DURATION || after->type == VAL_BUSINESS)) {
        int64_t due;
        if (step_business_add(s, in->program, s->now, *after, &due) != STORE_OK) {
            step_stall_here(s, in, s->why);
            return STORE_OK;
        }
        int rc = timer_set(s, in, due, 3, "after", NULL, -1);
        if (rc != STORE_OK || instance_stalled(in))
            return rc;
    }
    return s->offering ? STORE_OK : mailbox_offer_after(s, in, 0);
}

static int suspend_call(Step *s, Instance *in, Value call)
{
    return record_outbox_effect(s, in, "called", call);
}

int case_release(Step *s, Instance *in)
{
    const char *key = in->record.case_key;
    if (!key)
        return STORE_OK;
    StrBuf name = STRBUF_INIT;
    strbuf_printf(&name, "%s", in->record.playbook);
    strbuf_putc(&name, '\0');
    strbuf_puts(&name, key);
    /* The key is deleted only while this instance owns it; case_claim read that it
       does when this step joined the case, and nothing else wrote it since. */
    bool owns = s->case_joined == in->number;
    CaseOwner owner;
    int rc = owns ? STORE_OK : case_owner_get(s, store_bytes(name.data, name.len), &owner);
    if (rc == STORE_OK && !owns)
        owns = owner.instance == in->number;
    if (rc == STORE_OK && owns)
        rc = store_del(s->txn, TABLE_CASES, store_bytes(name.data, name.len));
    if (rc == STORE_NOT_FOUND)
        rc = STORE_OK;
    strbuf_free(&name);
    return rc;
}

/* The event joining this step, when it is the ending instance's and no wait took it (an
   older one was taken instead, and the instance ended): discarded with the mailbox, so
   it is never put (case_join). */
static void mailbox_discard_fresh(Step *s, Instance *in)
{
    if (s->fresh_mail && !s->fresh_mail_taken && store_read_be64(s->fresh_mail_key) == in->number) {
        s->fresh_mail_taken = true;
        in->record.mailbox_discarded++;
    }
}

static int end_instance(Step *s, Instance *in, InstanceStatus status, const char *kind,
                        const char *field, json_t *text)
{
    bool ends = status != INSTANCE_STALLED;
    int rc = ends ? mailbox_trim(s, in, 0) : STORE_OK;
    if (ends)
        mailbox_discard_fresh(s, in);
    if (rc != STORE_OK) {
        json_decref(text);
        return rc;
    }
    CodecWriter *record = record_begin(s, in, kind);
    record_json(record, field, text);
    if (ends)
        record_integer(record, "discarded", (int64_t)in->record.mailbox_discarded);
    in->record.status = status;
    if (ends)
        instance_record_set_json(&in->record.outcome, json_is_null(text) ? NULL : json_incref(text));
    json_decref(text);
    if (ends) {
        frame_free(in->frame);
        in->frame = NULL;
        return case_release(s, in);
    }
    return STORE_OK;
}

int step_apply(Step *s, Instance *in, VmStatus status, VmResult *result)
{
    if (status == VM_ERROR && result->no_memory)   /* the step fails; it never stalls */
        return step_fail(s, ENGINE_NO_MEMORY, "out of memory");
    /* A step that fails keeps nothing the VM did but the stalled record. */
    for (uint32_t i = 0; status != VM_ERROR && i < result->effect_count; i++)
        record_effect(s, in, &result->effects[i]);
    int rc = STORE_OK;
    switch (status) {
    case VM_SUSPENDED: {
        in->frame->step = in->record.step;
        in->record.status = INSTANCE_RUNNING;
        const Value *kind = value_map_get(result->suspension, "kind", 4);
        const char *k = kind ? value_text(*kind) : "";
        if (strcmp(k, "ask") == 0) {
            bool undecidable = false;
            rc = task_create(s, in, result->suspension, &undecidable);
            if (rc == STORE_OK && undecidable)
                rc = task_decide_at_once(s, in);
        } else if (strcmp(k, "wait") == 0)
            rc = suspend_wait(s, in, result->suspension);
        else
            rc = suspend_call(s, in, result->suspension);
        break;
    }
    case VM_DONE:
        rc = end_instance(s, in, INSTANCE_DONE, "done", "outcome", value_to_json(result->outcome));
        break;
    case VM_FAILED:
        rc = end_instance(s, in, INSTANCE_FAILED, "failed", "reason", value_to_json(result->outcome));
        break;
    case VM_ERROR:
        rc = end_instance(s, in, INSTANCE_STALLED, "stalled", "error", json_string(result->error));
        break;
    case VM_NOT_TAKEN:
        break;
    }
    return rc;
}

VmInput step_input(Step *s, Instance *in, VmInputKind kind, Value value)
{
    s->hook_program = in->program;
    step_hooks_init(s);
    VmInput input = {kind, value, s->now, VALUE_NULL, &s->hooks, &s->engine->vm_scratch};
    const char *key = in->record.case_key;
    if (key) {
        Value info = value_map_new(3);
        vm_map_add(info, VM_KEY_key, value_cstring(key));
        vm_map_add(info, VM_KEY_events, value_int((int64_t)in->record.case_events));
        vm_map_add(info, VM_KEY_started, value_time(in->record.created_ms));
        input.case_info = info;
    }
    return input;
}

static const char *const INPUT_KINDS[] = {"answer", "event", "timer", "reply", "failure"};

/* Settles a step the VM ran from the frame encoded in `before` at step number `step`.
   A step that fails keeps its suspension: the frame and step number go back to where
   they were, the suspension's timers stay, and the input is kept on the instance for
   `huddle retry`. One that does not fail leaves the suspension: its timers go. */
static int step_settle(Step *s, Instance *in, VmInputKind kind, Value value, VmStatus status,
                       VmResult *result, const StrBuf *before, json_int_t step)
{
    int rc = STORE_OK;
    if (status == VM_ERROR) {
        char why[256];
        Frame *restored = frame_decode(in->program, (const uint8_t *)before->data, before->len, why, sizeof why);
        if (restored) {
            frame_free(in->frame);
            in->frame = restored;
        }
        in->record.step = (uint64_t)step;
        instance_record_set_json(&in->record.stalled_input,
                                 json_pack("{s:s, s:o}", "kind", INPUT_KINDS[kind], "value", value_to_json(value)));
    } else {
        rc = timers_clear(s, in);
    }
    return rc == STORE_OK ? step_apply(s, in, status, result) : rc;
}

/* Runs one step on the instance: resume with an input, or (retry --goto) enter a state. */
static int step_run(Step *s, Instance *in, VmInputKind kind, Value value, int goto_state)
{
    StrBuf before = STRBUF_INIT;
    frame_encode(in->frame, &before);
    if (strbuf_failed(&before)) {
        strbuf_free(&before);
        return step_fail(s, ENGINE_NO_MEMORY, "out of memory");
    }
    json_int_t step = (json_int_t)in->record.step;
    in->record.step++;
    VmInput input = step_input(s, in, kind, value);
    VmResult result;
    vm_result_init(&result);
    VmStatus status = goto_state >= 0
        ? vm_goto(in->program, in->frame, (uint32_t)goto_state, &input, &result)
        : vm_resume(in->program, in->frame, &input, &result);
    int rc = step_settle(s, in, kind, value, status, &result, &before, step);
    vm_result_clear(&result);
    value_release(input.case_info);
    strbuf_free(&before);
    return rc;
}

/* Resumes the instance with one input as a new step. */
int step_resume(Step *s, Instance *in, VmInputKind kind, Value value)
{
    return step_run(s, in, kind, value, -1);
}

/* Starts again an instance whose first step failed, in its first state or (retry
   --goto) in `goto_state`. */
static int step_restart(Step *s, Instance *in, json_t *start, int goto_state)
{
    Value data = value_from_json(json_object_get(start, "data"));
    Value meta = value_map_new(4);
    vm_map_add(meta, VM_KEY_source, value_cstring(json_string_value(json_object_get(start, "source"))));
    vm_map_add(meta, VM_KEY_type, value_cstring(json_string_value(json_object_get(start, "type"))));
    vm_map_add(meta, VM_KEY_id, value_cstring(json_string_value(json_object_get(start, "id"))));
    vm_map_add(meta, VM_KEY_time, value_time(json_integer_value(json_object_get(start, "time_ms"))));
    VmInput input = step_input(s, in, VM_INPUT_TIMER, VALUE_NULL);
    VmResult result;
    vm_result_init(&result);
    uint32_t trigger = (uint32_t)json_integer_value(json_object_get(start, "trigger"));
    uint32_t state = goto_state >= 0 ? (uint32_t)goto_state : 0;
    VmStatus status = vm_start_in(in->program, trigger, data, meta, state, &input, &in->frame, &result);
    if (status == VM_ERROR) {
        frame_free(in->frame);
        in->frame = NULL;
    } else {
        instance_record_set_json(&in->record.start_input, NULL);
    }
    int rc = step_apply(s, in, status, &result);
    vm_result_clear(&result);
    value_release(input.case_info);
    value_release(data);
    value_release(meta);
    return rc;
}

/* Retries an instance a failed call stalled (outbox_call_keep_for_retry kept the call):
   the call is made again, as a step of its own (a new key: the peer sees a new request),
   and the instance waits for its reply as it waited for the first. */
static int step_call_again(Step *s, Instance *in, const json_t *call)
{
    json_t *kept = json_incref(in->record.stalled_input);
    const char *connector = json_string_value(json_object_get(call, "connector"));
    const char *operation = json_string_value(json_object_get(call, "operation"));
    const json_t *arg = json_object_get(call, "arg");
    in->record.status = INSTANCE_RUNNING;
    instance_record_set_json(&in->record.stalled_input, NULL);
    in->record.step++;
    in->frame->step = in->record.step;
    int rc = record_outbox_json(s, in, "called", connector, operation, arg);
    json_decref(kept);
    return rc;
}

int step_retry(Step *s, Instance *in, int goto_state)
{
    json_t *start = in->record.start_input;
    if (!in->frame && !start)   /* stalled after it ended (a store of an older binary's poison input) */
        return step_fail(s, ENGINE_REFUSED, "%s has nothing left to run: it had ended before it stalled (huddle "
                         "history %s says how); huddle cancel %s --by PERSON --reason TEXT closes it",
                         in->record.id, in->record.id, in->record.id);
    if (!in->frame && start) {
        in->record.status = INSTANCE_RUNNING;
        return step_restart(s, in, start, goto_state);
    }
    json_t *kept = in->record.stalled_input;
    if (!kept && in->frame && goto_state < 0) {
        /* no input stalled it (a poison input was set aside unapplied): the suspension
           still waits, as it did, and what came due meanwhile happens now */
        in->record.status = INSTANCE_RUNNING;
        int rc = timers_release_held(s, in);
        return rc == STORE_OK ? task_resume(s, in) : rc;
    }
    const json_t *call = json_object_get(kept, "call");
    if (call && goto_state < 0)
        return step_call_again(s, in, call);
    const char *kind = json_string_value(json_object_get(kept, "kind"));
    VmInputKind input = VM_INPUT_TIMER;
    for (int i = 0; kind && i < 5; i++)
        if (strcmp(kind, INPUT_KINDS[i]) == 0)
            input = (VmInputKind)i;
    Value value = kept ? value_from_json(json_object_get(kept, "value")) : VALUE_NULL;
    in->record.status = INSTANCE_RUNNING;
    instance_record_set_json(&in->record.stalled_input, NULL);
    int rc = step_run(s, in, input, value, goto_state);
    value_release(value);
    return rc;
}

/* ---- the mailbox ---- */

typedef struct MailboxScan {
    Step *step;
    unsigned char key[16];
    Value event;                    /* a stored entry's (stored), else the step's fresh event */
    bool stored;
    uint64_t after;
    bool found;
} MailboxScan;

static int mailbox_visit(void *context, StoreBytes key, StoreBytes value)
{
    MailboxScan *m = context;
    if (key.len != 16)
        return step_fail_damaged(m->step, "a mailbox key is %zu bytes, not 16", key.len);
    if (store_read_be64((const unsigned char *)key.data + 8) <= m->after)
        return STORE_OK;
    memcpy(m->key, key.data, 16);
    int rc = event_entry_value(m->step, key, value, &m->event);
    m->found = m->stored = rc == STORE_OK;
    return rc == STORE_OK ? STORE_STOP : rc;
}

/* The keys of one instance's mailbox, oldest first. */
typedef struct MailboxKeys {
    Step *step;
    unsigned char (*keys)[16];
    size_t count, capacity;
} MailboxKeys;

static int mailbox_key_visit(void *context, StoreBytes key, StoreBytes value)
{
    (void)value;
    MailboxKeys *k = context;
    if (key.len != 16)
        return step_fail_damaged(k->step, "a mailbox key is %zu bytes, not 16", key.len);
    if (k->count == k->capacity) {
        size_t capacity = k->capacity ? k->capacity * 2 : 16;
        void *grown = engine_realloc(k->keys, capacity * sizeof *k->keys);
        if (!grown)
            return step_fail(k->step, ENGINE_NO_MEMORY, "out of memory");
        k->keys = grown;
        k->capacity = capacity;
    }
    memcpy(k->keys[k->count++], key.data, 16);
    return STORE_OK;
}

int mailbox_trim(Step *s, Instance *in, size_t keep)
{
    unsigned char prefix[8];
    store_be64(in->number, prefix);
    MailboxKeys k = {s, NULL, 0, 0};
    int rc = engine_scan(s, TABLE_MAILBOX, store_bytes(prefix, 8), mailbox_key_visit, &k);
    size_t dropped = 0;
    for (; rc >= 0 && k.count > keep + dropped; dropped++)
        rc = store_del(s->txn, TABLE_MAILBOX, store_bytes(k.keys[dropped], 16));
    free(k.keys);
    if (rc < 0)
        return rc;
    if (dropped) {
        in->record.mailbox_discarded += dropped;
    }
    return STORE_OK;
}

/* The first entry of the instance's mailbox after `after`: the stored ones first (all
   older than the step's fresh event), then the fresh event if not taken yet. An
   instance started in this step has none stored. */
static int mailbox_first(Step *s, Instance *in, uint64_t after, MailboxScan *m)
{
    bool fresh = s->fresh_mail && !s->fresh_mail_taken && store_read_be64(s->fresh_mail_key) == in->number;
    uint64_t fresh_seq = fresh ? store_read_be64(s->fresh_mail_key + 8) : 0;
    int rc = STORE_OK;
    bool stored_none = in->number == s->started_instance || (fresh && after + 1 >= fresh_seq);
    if (!stored_none) {
        unsigned char prefix[8];
        store_be64(in->number, prefix);
        rc = engine_scan(s, TABLE_MAILBOX, store_bytes(prefix, 8), mailbox_visit, m);
    }
    if (rc >= 0 && !m->found && fresh && fresh_seq > after) {
        memcpy(m->key, s->fresh_mail_key, 16);
        m->stored = false;
        m->found = true;
    }
    return rc;
}

/* Takes entry `key` out of the mailbox: the fresh event is marked taken (never put). */
static int mailbox_take(Step *s, const unsigned char key[16])
{
    if (s->fresh_mail && !s->fresh_mail_taken && memcmp(key, s->fresh_mail_key, 16) == 0) {
        s->fresh_mail_taken = true;
        return STORE_OK;
    }
    return store_del(s->txn, TABLE_MAILBOX, store_bytes(key, 16));
}

/* Offers the mailbox, oldest first, to the wait the instance is in: the first event an
   arm takes resumes it (and may reach another wait, offered again from the start). */
int mailbox_offer_after(Step *s, Instance *in, uint64_t after)
{
    bool was_offering = s->offering;
    s->offering = true;
    bool recheck = s->mail_recheck;   /* until a wait takes one: then another wait is offered */
    int rc = STORE_OK;
    while (rc == STORE_OK && in->frame && in->record.status == INSTANCE_RUNNING) {
        MailboxScan m = {s, {0}, VALUE_NULL, false, after, false};
        rc = mailbox_first(s, in, after, &m);
        if (rc < 0 || !m.found)
            break;
        Value event = m.stored ? m.event : s->fresh_mail_value;
        if (!m.stored)
            value_retain(event);
        if (vm_suspension(in->program, in->frame) != VM_AT_WAIT) {
            value_release(event);
            break;
        }
        StrBuf before = STRBUF_INIT;
        frame_encode(in->frame, &before);
        if (strbuf_failed(&before)) {
            value_release(event);
            strbuf_free(&before);
            rc = step_fail(s, ENGINE_NO_MEMORY, "out of memory");
            break;
        }
        VmInput input = step_input(s, in, VM_INPUT_EVENT, event);
        VmResult result;
        vm_result_init(&result);
        VmStatus status = vm_resume(in->program, in->frame, &input, &result);
        value_release(input.case_info);
        if (status == VM_NOT_TAKEN) {
            for (uint32_t i = 0; i < result.effect_count && !(recheck && m.stored); i++)
                record_effect(s, in, &result.effects[i]);
            vm_result_clear(&result);
            value_release(event);
            strbuf_free(&before);
            after = store_read_be64(m.key + 8);
            continue;
        }
        /* The event leaves the mailbox, also when its step fails (kept for the retry). */
        rc = mailbox_take(s, m.key);
        json_int_t step = (json_int_t)in->record.step++;
        if (rc == STORE_OK)
            rc = step_settle(s, in, VM_INPUT_EVENT, event, status, &result, &before, step);
        strbuf_free(&before);
        vm_result_clear(&result);
        value_release(event);
        after = 0;
        recheck = false;
    }
    s->offering = was_offering;
    return rc < 0 ? rc : STORE_OK;
}
