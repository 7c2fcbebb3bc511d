/*
 * engine_events.c - an event meets the deployed playbooks: the first trigger of each
 * playbook whose source, type and `when` match decides whether it starts an instance,
 * joins an open case, or counts toward a threshold (../shared/design/LANGUAGE.md,
 * "Triggers and cases").
 */
#include "engine_internal.h"
#include "engine_small_store.h"
#include "fault.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct Event {
    const char *source, *type, *id;
    int64_t time;               /* when it happened, ms */
    const json_t *data_json;    /* borrowed: its data as it came */
    json_t **json;              /* {source, type, id, time, data}: built on first use
                                   (event_json), owned by events_accept */
    Value data, meta;
} Event;

/* The event as the mailbox and a threshold's window keep it, made when a step first
   needs it (an event that starts an instance never does); NULL when out of memory. */
static json_t *event_json(const Event *event)
{
    if (!*event->json) {
        char time[40];
        time_text(event->time, time);
        *event->json = json_pack("{s:s, s:s, s:s, s:s, s:O}", "source", event->source, "type", event->type,
                                 "id", event->id, "time", time, "data", event->data_json);
    }
    return *event->json;
}

/* Puts the event under `key` in the mailbox or a threshold's window: typed, or as its
   event_json form when it has no typed form. */
static int event_put(Step *s, StoreTable table, StoreBytes key, const Event *event)
{
    int rc = event_entry_put(s, table, key, event->source, event->type, event->id, event->time, event->data_json);
    return rc == EVENT_ENTRY_UNTYPED ? engine_put_json(s, table, key, event_json(event)) : rc;
}

/* The event as a wait receives it from the mailbox: the value of its event_json form
   ({source, type, id, time as text, data}), made without the JSON. */
/* A record's "event": the event's source, type and id (none when one is missing, as
   json_texts gives no object then). */
static void record_event(CodecWriter *record, const Event *event)
{
    if (!event->source || !event->type || !event->id)
        return;
    record_object(record, "event");
    record_text(record, "source", event->source);
    record_text(record, "type", event->type);
    record_text(record, "id", event->id);
    record_close(record);
}

static Value event_value(const Event *event)
{
    char time[40];
    time_text(event->time, time);
    Value v = value_map_new(5);
    vm_map_add(v, VM_KEY_source, value_cstring(event->source));
    vm_map_add(v, VM_KEY_type, value_cstring(event->type));
    vm_map_add(v, VM_KEY_id, value_cstring(event->id));
    vm_map_add(v, VM_KEY_time, value_cstring(time));
    value_retain(event->data);
    vm_map_add(v, VM_KEY_data, event->data);
    return v;
}

/* The VM's input for a trigger's chunks of `program`, with the step's hooks set for that
   program (a time in text takes its calendar's offset, and business time its calendar,
   as in the playbook's states). Returns the program the hooks were for before, which the
   caller puts back in s->hook_program when the chunk has run. */
static const Program *trigger_context(Step *s, const Program *program, VmInput *context)
{
    const Program *outer = s->hook_program;
    s->hook_program = program;
    step_hooks_init(s);
    *context = (VmInput){VM_INPUT_TIMER, VALUE_NULL, s->now, VALUE_NULL, &s->hooks, &s->engine->vm_scratch};
    return outer;
}

/* Evaluates one of a trigger's chunks for the event; false (and *out null) on error. */
static bool trigger_eval(Step *s, const Program *program, uint32_t trigger, uint32_t pc,
                         const Event *event, Value *out, char *error, size_t error_len)
{
    VmInput context;
    const Program *outer = trigger_context(s, program, &context);
    *out = VALUE_NULL;
    bool ok = vm_eval_trigger(program, trigger, pc, event->data, event->meta, &context, out, error,
                              error_len) == 0;
    s->hook_program = outer;
    return ok;
}

/* Whether trigger `trigger`'s `when` holds for the event: true with *matched, false (and
   *matched false) with the reason in `error` when it failed or gave no boolean. */
static bool trigger_when(Step *s, const Program *program, uint32_t trigger, const Event *event,
                         bool *matched, char *error, size_t error_len)
{
    VmInput context;
    const Program *outer = trigger_context(s, program, &context);
    bool ok = vm_eval_trigger_when(program, trigger, event->data, event->meta, &context, matched,
                                   error, error_len) == 0;
    s->hook_program = outer;
    return ok;
}

/* The duration a trigger's `for` or threshold window chunk `pc` gives: true with *ms, or
   false with the reason in `error` when it fails or is not a positive plain duration
   (the event then does not match, as for an error in `case`). `what` names the clause. */
static bool trigger_duration(Step *s, const Program *program, uint32_t trigger, uint32_t pc,
                             const Event *event, const char *what, int64_t *ms, char *error,
                             size_t error_len)
{
    Value v;
    if (!trigger_eval(s, program, trigger, pc, event, &v, error, error_len)) {
        value_release(v);
        return false;
    }
    bool ok = v.type == VAL_DURATION && v.as.ms > 0;
    if (ok) {
        *ms = v.as.ms;
    } else if (v.type == VAL_DURATION) {
        StrBuf text = STRBUF_INIT;
        value_write_text(v, 0, &text);
        snprintf(error, error_len, "%s needs a positive duration, not %s", what,
                 strbuf_failed(&text) ? "this one" : strbuf_text(&text));
        strbuf_free(&text);
    } else {
        snprintf(error, error_len, "%s needs a plain duration, not %s", what, value_type_name(v.type));
    }
    value_release(v);
    return ok;
}

/* The case key `key` (not null) as text: as interpolation writes it, a time in the
   offset of the program's calendar. */
static char *case_key_text(Step *s, const Program *program, Value key)
{
    const Program *outer = s->hook_program;
    s->hook_program = program;
    step_hooks_init(s);
    StrBuf text = STRBUF_INIT;
    vm_write_text(key, &s->hooks, &text);
    s->hook_program = outer;
    return strbuf_take(&text);
}

/* What a version's triggers made of the event: whether one matched, which, its case
   key and until when the case is open, and (once case_claim read it) who owns the key. */
typedef struct TriggerMatch {
    bool matched;
    uint32_t trigger;
    char *case_key;             /* owned */
    int64_t until;
    bool owner_known;           /* owner below was read from the cases table */
    uint64_t owner;             /* the instance that owns the key now, or 0 */
    char *for_error;            /* owned: why `for` gave the key no span, or NULL; the
                                   event may join an open case but starts none */
} TriggerMatch;

static void threshold_joined(Step *s, Instance *in, json_t *earlier);
static int case_owner(Step *s, const char *playbook, const char *case_key, uint64_t *number,
                      char version[65]);

static int instance_start(Step *s, const char *playbook, const char *hash, const Program *program,
                          const TriggerMatch *m, const Event *event, json_t *earlier, uint64_t *number_out)
{
    uint32_t trigger = m->trigger;
    const char *case_key = m->case_key;
    uint64_t number;
    int rc = engine_counter_next_fresh(s, "next_instance", TABLE_INSTANCES, "i", &number);
    if (rc != STORE_OK)
        return rc;
    Instance in = {.number = number, .program = program};
    s->started_instance = number;   /* its mailbox is empty: its first wait reads none */
    ask_window_begun(s, number);    /* nor its first ask any history */
    instance_record_set_number(&in.record, number);
    in.record.status = INSTANCE_RUNNING;
    in.record.created_ms = s->now;
    in.record.step = 1;
    in.record.case_events = case_key ? 1 : 0;
    if (instance_record_set_version(&in.record, hash) != 0) {
        instance_clear(&in);
        return step_fail_damaged(s, "playbook %s's version %.64s is not a program's hash",
                         playbook, hash);
    }
    if (instance_set_text(s, &in.record.playbook, playbook) != STORE_OK ||
        instance_set_text(s, &in.record.case_key, case_key) != STORE_OK) {
        instance_clear(&in);   /* out of memory */
        return s->failed;
    }
    CodecWriter *record = record_begin(s, &in, "started");
    record_text(record, "playbook", playbook);
    record_text(record, "version", hash);
    record_text_or_null(record, "case", case_key);
    record_event(record, event);
    if (earlier)
        threshold_joined(s, &in, earlier);
    char version[65];
    uint64_t holder = m->owner;   /* read by case_claim already, else read here */
    if (case_key && !m->owner_known)
        rc = case_owner(s, playbook, case_key, &holder, version);
    if (rc == STORE_OK && case_key && !holder) {
        StrBuf key = STRBUF_INIT;
        strbuf_puts(&key, playbook);
        strbuf_putc(&key, '\0');
        strbuf_puts(&key, case_key);
        CaseOwner owner = {number, m->until, true, ""};
        snprintf(owner.version, sizeof owner.version, "%s", hash);
        rc = strbuf_failed(&key) ? step_fail(s, ENGINE_NO_MEMORY, "out of memory")
                                 : case_owner_put(s, store_bytes(key.data, key.len), &owner);
        strbuf_free(&key);
    }
    VmInput input = step_input(s, &in, VM_INPUT_TIMER, VALUE_NULL);
    VmResult result;
    vm_result_init(&result);
    VmStatus status = vm_start(program, trigger, event->data, event->meta, &input, &in.frame, &result);
    value_release(input.case_info);
    if (status == VM_ERROR) {
        /* Not started: keep what is needed to start it again on `huddle retry`, and
           name the state it stalled in (its `entered` record is discarded with the rest). */
        const char *state = in.frame ? program_state_name(program, in.frame->state) : NULL;
        if (state)
            instance_set_text(s, &in.record.state, state);
        frame_free(in.frame);
        in.frame = NULL;
        instance_record_set_json(&in.record.start_input,
                                 json_pack("{s:I, s:o, s:s, s:s, s:s, s:I}", "trigger", (json_int_t)trigger,
                                           "data", value_to_json(event->data), "source", event->source,
                                           "type", event->type, "id", event->id,
                                           "time_ms", (json_int_t)value_map_get(event->meta, "time", 4)->as.ms));
    }
    if (rc == STORE_OK)
        rc = step_apply(s, &in, status, &result);
    vm_result_clear(&result);
    if (rc == STORE_OK)
        rc = instance_save(s, &in);
    instance_clear(&in);
    *number_out = number;
    return rc;
}

/* The event joins the open case of instance `number`: into its mailbox, then offered. */
static int case_join(Step *s, uint64_t number, const Event *event)
{
    Instance in;
    int rc = instance_load(s, number, &in);
    if (rc == STORE_NOT_FOUND)
        return step_fail_damaged(s, "an open case names instance i%llu, which is not in the store",
                         (unsigned long long)number);
    if (rc != STORE_OK)
        return rc;
    uint64_t seq = 0;
    unsigned char key[16];
    store_be64(number, key);
    char what[64];
    snprintf(what, sizeof what, "event in i%llu's mailbox", (unsigned long long)number);
    rc = engine_counter_next_last(s, "next_mail", TABLE_MAILBOX, key, what, &seq);
    store_be64(seq, key + 8);
    in.record.case_events++;
    record_event(record_begin(s, &in, "joined"), event);
    /* Offered before it is put: a wait that takes it spares the write, and the JSON. */
    uint64_t value_failures = value_oom_count();
    s->fresh_mail = true;
    s->fresh_mail_value = event_value(event);
    s->fresh_mail_taken = false;
    if (value_oom_count() != value_failures && rc == STORE_OK)
        rc = step_fail(s, ENGINE_NO_MEMORY, "out of memory");   /* never offered half made */
    memcpy(s->fresh_mail_key, key, 16);
    s->case_joined = number;   /* case_claim read it as the key's owner just now */
    /* The older events were refused by this same wait, whose locals have not changed
       since: only the new one is offered, unless an arm's `when` reads case.events or
       now(); then the whole mailbox is, oldest first (LANGUAGE.md: "whenever an event
       joins, takes the first mailbox event that any arm matches"), and what an older
       one's `when` records (its errors) was recorded when it was first offered. */
    bool recheck = in.frame && vm_wait_reads_changing(in.program, in.frame);
    s->mail_recheck = recheck;
    if (rc == STORE_OK && in.frame)
        rc = mailbox_offer_after(s, &in, recheck ? 0 : seq - 1);
    s->mail_recheck = false;
    s->case_joined = 0;
    if (rc == STORE_OK && !s->fresh_mail_taken)
        rc = event_put(s, TABLE_MAILBOX, store_bytes(key, 16), event);
    s->fresh_mail = false;
    value_release(s->fresh_mail_value);
    if (rc == STORE_OK && in.frame)
        rc = mailbox_trim(s, &in, MAILBOX_LIMIT);
    if (rc == STORE_OK)
        rc = instance_save(s, &in);
    instance_clear(&in);
    return rc;
}

/* The earlier events of a threshold's window belong to the case it started: `joined`
   records, counted in case.events, but not in the mailbox. */
static void threshold_joined(Step *s, Instance *in, json_t *earlier)
{
    size_t i;
    json_t *event;
    json_array_foreach(earlier, i, event) {
        CodecWriter *record = record_begin(s, in, "joined");
        const json_t *source = json_object_get(event, "source"), *type = json_object_get(event, "type"),
                     *id = json_object_get(event, "id");
        if (source && type && id) {   /* as json_pack gives no object without one */
            record_object(record, "event");
            record_json(record, "source", source);
            record_json(record, "type", type);
            record_json(record, "id", id);
            record_close(record);
        }
        record_bool(record, "threshold", true);
        if (in->record.case_key)
            in->record.case_events++;
    }
}

/* Who owns `key` of `playbook` now: an instance number in *number, or 0; with the
   version of its program in `version` (read from the instance when the case entry
   predates it). */
static int case_owner(Step *s, const char *playbook, const char *case_key, uint64_t *number,
                      char version[65])
{
    StrBuf key = STRBUF_INIT;
    strbuf_puts(&key, playbook);
    strbuf_putc(&key, '\0');
    strbuf_puts(&key, case_key);
    CaseOwner owner;
    *number = 0;
    version[0] = '\0';
    int rc = case_owner_get(s, store_bytes(key.data, key.len), &owner);
    if (rc == STORE_OK) {
        if (owner.until == 0 || s->now < owner.until)
            *number = owner.instance;
        Instance in;
        if (*number && owner.has_version) {
            memcpy(version, owner.version, sizeof owner.version);
        } else if (*number && (rc = instance_load(s, *number, &in)) == STORE_OK) {
            snprintf(version, 65, "%s", in.record.version);
            instance_clear(&in);
        }
    }
    strbuf_free(&key);
    return rc == STORE_NOT_FOUND ? STORE_OK : rc;
}

/* ---- thresholds: `at least N within D` ---- */

/* One window entry seen by the scan: its key (copied: the store's bytes last only for
   the visit) and, for one still inside the window, its event. */
typedef struct WindowEntry {
    unsigned char *key;         /* owned */
    size_t key_len;
    json_t *event;              /* owned; NULL for an entry that fell out */
} WindowEntry;

typedef struct Window {
    Step *step;
    int64_t oldest_kept;        /* entries at or before this fall out of the window */
    WindowEntry *entries;       /* in key order: oldest first */
    size_t count, capacity;
    size_t inside;              /* how many entries have an event */
} Window;

static int window_visit(void *context, StoreBytes key, StoreBytes value)
{
    Window *w = context;
    if (key.len < 8)
        return step_fail_damaged(w->step, "a threshold window key is %zu bytes", key.len);
    if (w->count == w->capacity) {
        size_t capacity = w->capacity ? 2 * w->capacity : 8;
        WindowEntry *grown = realloc(w->entries, capacity * sizeof *grown);
        if (!grown)
            return step_fail(w->step, ENGINE_NO_MEMORY, "out of memory");
        w->entries = grown;
        w->capacity = capacity;
    }
    WindowEntry *entry = &w->entries[w->count];
    *entry = (WindowEntry){malloc(key.len), key.len, NULL};
    if (!entry->key)
        return step_fail(w->step, ENGINE_NO_MEMORY, "out of memory");
    memcpy(entry->key, key.data, key.len);
    w->count++;
    int64_t accepted = (int64_t)store_read_be64((const unsigned char *)key.data + key.len - 8);
    if (accepted <= w->oldest_kept)
        return STORE_OK;
    int rc = engine_parse_json(w->step, TABLE_WINDOWS, key, value, &entry->event);
    if (rc == STORE_OK)
        w->inside++;
    return rc;
}

static void window_free(Window *w)
{
    for (size_t i = 0; i < w->count; i++) {
        free(w->entries[i].key);
        json_decref(w->entries[i].event);
    }
    free(w->entries);
}

/* Deletes the entries that fell out of the window, or (`inside`) those still in it,
   handing their events to `earlier`, oldest first. */
static int window_delete(Step *s, Window *w, bool inside, json_t *earlier)
{
    int rc = STORE_OK;
    for (size_t i = 0; i < w->count && rc == STORE_OK; i++) {
        WindowEntry *entry = &w->entries[i];
        if (inside != (entry->event != NULL))
            continue;
        if (inside)
            json_array_append(earlier, entry->event);
        rc = store_del(s->txn, TABLE_WINDOWS, store_bytes(entry->key, entry->key_len));
    }
    return rc;
}

/* Counts the event toward the threshold. Returns 1 when this event is the Nth (the
   earlier ones are handed back in *earlier and leave the window), 0 when it is only
   counted, or a negative store code. */
static int threshold_count(Step *s, const char *playbook, uint32_t trigger, const char *key,
                           int64_t window_ms, int64_t needed, const Event *event, json_t **earlier)
{
    StrBuf prefix = STRBUF_INIT;
    unsigned char number[8];
    strbuf_puts(&prefix, playbook);
    strbuf_putc(&prefix, '\0');
    store_be64(trigger, number);
    strbuf_append(&prefix, (const char *)number + 4, 4);
    strbuf_puts(&prefix, key);
    strbuf_putc(&prefix, '\0');
    Window w = {.step = s, .oldest_kept = s->now - window_ms};
    int rc = engine_scan(s, TABLE_WINDOWS, store_bytes(prefix.data, prefix.len), window_visit, &w);
    if (rc == STORE_OK)
        rc = window_delete(s, &w, false, NULL);
    int result = 0;
    if (rc == STORE_OK && (int64_t)w.inside + 1 >= needed) {
        *earlier = json_array();
        rc = *earlier ? window_delete(s, &w, true, *earlier) : step_fail(s, ENGINE_NO_MEMORY, "out of memory");
        result = 1;
    } else if (rc == STORE_OK) {
        store_be64((uint64_t)s->now, number);
        strbuf_append(&prefix, event->id, strlen(event->id));
        strbuf_putc(&prefix, '\0');
        strbuf_append(&prefix, (const char *)number, 8);
        rc = event_put(s, TABLE_WINDOWS, store_bytes(prefix.data, prefix.len), event);
    }
    window_free(&w);
    strbuf_free(&prefix);
    return rc < 0 ? rc : result;
}

/* The first trigger of `program` whose source, type and `when` match the event, with
   its case key (NULL without `case`) and how long the key is owned: 1 when one matched,
   0 when none did (errors in `when` and `case`, and a `when` that is null or no boolean,
   are added to `went`). */
static int trigger_match(Step *s, const char *playbook, const Program *program, const Event *event,
                         json_t *went, TriggerMatch *m)
{
    const Bytecode *bc = &program->bc;
    *m = (TriggerMatch){false, 0, NULL, 0, false, 0, NULL};
    for (uint32_t t = 0; t < bc->triggers_count; t++) {
        const BcTrigger *trigger = &bc->triggers[t];
        if (strcmp(value_text(bc->consts[trigger->source]), event->source) != 0 ||
            strcmp(value_text(bc->consts[trigger->type]), event->type) != 0)
            continue;
        char error[512];
        Value v;
        if (trigger->when_pc != BC_NONE) {
            bool matched;
            if (!trigger_when(s, program, t, event, &matched, error, sizeof error))
                json_array_append_new(went, json_pack("{s:s, s:s}", "playbook", playbook, "error", error));
            if (!matched)
                continue;
        }
        m->trigger = t;
        m->matched = true;
        if (trigger->case_pc == BC_NONE)
            return 1;
        bool keyed = trigger_eval(s, program, t, trigger->case_pc, event, &v, error, sizeof error);
        if (!keyed || v.type == VAL_NULL) {
            value_release(v);
            json_array_append_new(went, json_pack("{s:s, s:s}", "playbook", playbook, "error",
                                                  keyed ? "case: the key is null" : error));
            m->matched = false;
            continue;   /* no key: the event does not match */
        }
        m->case_key = case_key_text(s, program, v);
        value_release(v);
        int64_t for_ms = 0;
        if (trigger->for_pc != BC_NONE) {
            if (trigger_duration(s, program, t, trigger->for_pc, event, "case: 'for'", &for_ms, error, sizeof error))
                m->until = s->now + for_ms;
            else
                m->for_error = strdup(error);   /* said only if it would start a case */
        }
        return 1;
    }
    return 0;
}

/* The program of version `hash` of `playbook`; one the store lacks is damage. */
static int playbook_program(Step *s, const char *playbook, const char *hash, const Program **program)
{
    int rc = engine_program(s, hash, program);
    if (rc == STORE_NOT_FOUND)
        return step_fail_damaged(s, "playbook %s names program %s, which is not in the store",
                         playbook, hash);
    return rc;
}

/* Whether the event joins an open case of version `hash` of the playbook: decided by
   that version's own triggers, and only for a case an instance of that version owns. */
static int case_claim(Step *s, const char *playbook, const char *hash, const Event *event,
                      json_t *went, TriggerMatch *m, bool *joined)
{
    const Program *program;
    int rc = playbook_program(s, playbook, hash, &program);
    *joined = false;
    if (rc != STORE_OK)
        return rc;
    if (!trigger_match(s, playbook, program, event, went, m) || !m->case_key)
        return STORE_OK;
    char version[65];
    uint64_t owner;
    rc = case_owner(s, playbook, m->case_key, &owner, version);
    m->owner_known = rc == STORE_OK;
    m->owner = owner;
    if (rc != STORE_OK || !owner || strcmp(version, hash) != 0)
        return rc;
    *joined = true;
    char id[CODEC_NUMBER_TEXT_MAX];
    codec_number_text("i", owner, id);
    json_array_append_new(went, json_texts("playbook", playbook, "instance", id, "as", "joined", NULL));
    return case_join(s, owner, event);
}

/* Starts an instance of the current version `hash` for a matched trigger, or counts the
   event toward its threshold. A key still owned by an open case of another version
   (whose program did not claim the event) stays with that case: the new instance has
   the key as case.key but does not own it (instance_start). */
static int playbook_start(Step *s, const char *playbook, const char *hash, const Event *event,
                          json_t *went, TriggerMatch *m)
{
    const Program *program;
    int rc = playbook_program(s, playbook, hash, &program);
    if (rc != STORE_OK)
        return rc;
    const BcTrigger *trigger = &program->bc.triggers[m->trigger];
    json_t *earlier = NULL;
    if (m->for_error) {   /* a case whose key would have no span: the event does not match */
        json_array_append_new(went, json_pack("{s:s, s:s}", "playbook", playbook, "error", m->for_error));
        return STORE_OK;
    }
    if (trigger->at_least > 0) {
        int64_t window_ms = 0;
        char error[512];
        if (trigger->window_pc != BC_NONE &&
            !trigger_duration(s, program, m->trigger, trigger->window_pc, event, "'at least ... within'",
                              &window_ms, error, sizeof error)) {
            json_array_append_new(went, json_pack("{s:s, s:s}", "playbook", playbook, "error", error));
            return STORE_OK;   /* no window: the event does not match */
        }
        int counted = threshold_count(s, playbook, m->trigger, m->case_key ? m->case_key : "", window_ms,
                                      trigger->at_least, event, &earlier);
        if (counted <= 0) {
            if (counted == 0)
                json_array_append_new(went, json_pack("{s:s, s:s}", "playbook", playbook, "as", "counted"));
            return counted;
        }
    }
    uint64_t number = 0;
    rc = instance_start(s, playbook, hash, program, m, event, earlier, &number);
    char id[CODEC_NUMBER_TEXT_MAX];
    codec_number_text("i", number, id);
    json_array_append_new(went, json_texts("playbook", playbook, "instance", id, "as", "started", NULL));
    json_decref(earlier);
    return rc;
}

/* One playbook meets the event: first each version it ever had decides, by its own
   triggers, whether the event joins an open case of that version (also after undeploy:
   running instances go on); then, if it joined none, the current version (none when
   undeployed) decides whether it starts a new instance. Where it went is added to
   `went`. */
static int playbook_accept(Step *s, const char *playbook, const json_t *current, const json_t *versions,
                           const Event *event, json_t *went)
{
    TriggerMatch start = {false, 0, NULL, 0, false, 0, NULL};
    bool joined = false;
    int rc = STORE_OK;
    size_t i;
    json_t *version;
    json_array_foreach(versions, i, version) {
        TriggerMatch m = {false, 0, NULL, 0, false, 0, NULL};
        rc = case_claim(s, playbook, json_string_value(version), event, went, &m, &joined);
        if (json_equal(version, current)) {
            start = m;   /* the current version's match, for a start below */
        } else {
            free(m.case_key);
            free(m.for_error);
        }
        if (rc != STORE_OK || joined)
            break;
    }
    if (rc == STORE_OK && !joined && start.matched)
        rc = playbook_start(s, playbook, json_string_value(current), event, went, &start);
    free(start.case_key);
    free(start.for_error);
    return rc;
}

/* ---- the deployed playbooks, cached in the Engine between steps ---- */

typedef struct PlaybookList {
    Step *step;
    json_t *names, *versions;
} PlaybookList;

/* Every playbook ever deployed, undeployed ones too (their running instances go on):
   {current: hash or null when undeployed, versions: its distinct hashes, newest first}. */
static int playbook_visit(void *context, StoreBytes key, StoreBytes value)
{
    PlaybookList *list = context;
    json_t *playbook;
    int rc = engine_parse_json(list->step, TABLE_PLAYBOOKS, key, value, &playbook);
    if (rc != STORE_OK)
        return rc;
    json_t *versions = json_array(), *log = json_object_get(playbook, "log");
    if (!versions) {
        json_decref(playbook);
        return step_fail(list->step, ENGINE_NO_MEMORY, "out of memory");
    }
    for (size_t i = json_array_size(log); i-- > 0;) {
        json_t *hash = json_object_get(json_array_get(log, i), "hash"), *seen;
        size_t k;
        bool known = false;
        json_array_foreach(versions, k, seen) known |= json_equal(seen, hash);
        if (json_is_string(hash) && !known)
            json_array_append(versions, hash);
    }
    bool undeployed = json_is_true(json_object_get(playbook, "undeployed"));
    /* json_pack releases `versions` (o) when it fails; the lists must pair up */
    json_t *entry = json_pack("{s:O, s:o}", "current", undeployed ? json_null() : json_object_get(playbook, "hash"),
                              "versions", versions);
    if (!entry || json_array_append_new(list->versions, entry) ||
        json_array_append_new(list->names, json_stringn(key.data, key.len)))
        rc = step_fail(list->step, ENGINE_NO_MEMORY, "out of memory");   /* the caller drops both */
    json_decref(playbook);
    return rc;
}

int step_playbooks_changed(Step *s)
{
    uint64_t version;
    return engine_counter_next(s, "playbooks_version", &version);
}

/* The playbooks: names and {current, versions} (see playbook_visit), borrowed. */
static int step_playbooks(Step *s, const json_t **names, const json_t **hashes)
{
    Engine *e = s->engine;
    uint64_t version;
    int rc = engine_counter(s, "playbooks_version", &version);
    if (rc != STORE_OK)
        return rc;
    if (!e->playbook_names || e->playbooks_version != version) {
        PlaybookList list = {s, json_array(), json_array()};
        rc = !list.names || !list.versions ? step_fail(s, ENGINE_NO_MEMORY, "out of memory")
                                           : engine_scan(s, TABLE_PLAYBOOKS, store_bytes(NULL, 0), playbook_visit, &list);
        if (rc != STORE_OK) {
            json_decref(list.names);
            json_decref(list.versions);
            return rc;
        }
        json_decref(e->playbook_names);
        json_decref(e->playbook_hashes);
        e->playbook_names = list.names;
        e->playbook_hashes = list.versions;
        e->playbooks_version = version;
    }
    *names = e->playbook_names;
    *hashes = e->playbook_hashes;
    return STORE_OK;
}

int events_accept(Step *s, const char *source, const char *type, const char *id,
                  const json_t *data, int64_t event_time, bool *duplicate)
{
    int checked = door_check_event(s, source, type, id, data);
    if (checked != STORE_OK)
        return checked;
    bool directory = strcmp(source, "directory") == 0;
    if (directory && strcmp(type, "away") != 0 && strcmp(type, "back") != 0)
        return step_refuse(s, ENGINE_REFUSAL_INPUT, "type", "the directory source has two event types: directory.away and directory.back");
    checked = directory ? door_check_directory_event(s, type, data) : STORE_OK;
    if (checked != STORE_OK)
        return checked;
    if (value_json_depth(data, VALUE_JSON_MAX_DEPTH) > VALUE_JSON_MAX_DEPTH)
        return step_fail(s, ENGINE_REFUSED, "the event's data nests deeper than %d,%03d levels of arrays and objects",
                         VALUE_JSON_MAX_DEPTH / 1000, VALUE_JSON_MAX_DEPTH % 1000);
    StrBuf dedup = STRBUF_INIT;
    if (!seen_key(&dedup, source, id)) {
        strbuf_free(&dedup);
        return step_fail(s, ENGINE_NO_MEMORY, "out of memory");
    }
    StoreBytes seen;
    int rc = seen_entry_get(s, store_bytes(dedup.data, dedup.len), &seen);
    if (rc != STORE_NOT_FOUND) {
        *duplicate = rc == STORE_OK;
        s->unchanged = *duplicate;
        if (rc != STORE_OK)
            rc = step_fail(s, rc, "store error reading seen event %s from %s: %s", id, source, store_strerror(rc));
        strbuf_free(&dedup);
        return rc;
    }
    fault_input(id);
    json_t *event_record = NULL;
    Event event = {source, type, id, event_time, data, &event_record, VALUE_NULL, VALUE_NULL};
    event.data = value_from_json(data);
    event.meta = value_map_new(4);
    vm_map_add(event.meta, VM_KEY_source, value_cstring(source));
    vm_map_add(event.meta, VM_KEY_type, value_cstring(type));
    vm_map_add(event.meta, VM_KEY_id, value_cstring(id));
    vm_map_add(event.meta, VM_KEY_time, value_time(event_time));
    const json_t *names = NULL, *hashes = NULL;
    json_t *went = json_array();
    bool changed = true;
    if (directory) {
        /* The reserved source reaches no playbook: it changes the directory. */
        rc = step_away(s, json_string_value(json_object_get(data, "person")),
                              json_string_value(json_object_get(data, "from")),
                              json_string_value(json_object_get(data, "to")),
                              json_string_value(json_object_get(data, "delegate")), strcmp(type, "back") == 0,
                              &changed);
        json_array_append_new(went, json_pack("{s:s}", "directory", type));
    } else {
        rc = step_playbooks(s, &names, &hashes);
    }
    for (size_t i = 0; rc == STORE_OK && i < json_array_size(names); i++) {
        const json_t *playbook = json_array_get(hashes, i);
        rc = playbook_accept(s, json_string_value(json_array_get(names, i)), json_object_get(playbook, "current"),
                             json_object_get(playbook, "versions"), &event, went);
    }
    if (rc == STORE_OK) {
        json_decref(s->engine->event_routes);
        s->engine->event_routes = json_incref(went);
        rc = seen_entry_put(s, store_bytes(dedup.data, dedup.len), went, -1);
    }
    if (!changed) {   /* said to the sender only: the seen entry keeps the route as it was */
        json_object_set_new(json_array_get(went, 0), "person", json_string(json_string_value(json_object_get(data, "person"))));
        json_object_set_new(json_array_get(went, 0), "changed", json_false());
    }
    json_decref(went);
    json_decref(event_record);
    value_release(event.data);
    value_release(event.meta);
    strbuf_free(&dedup);
    return rc;
}
