/*
 * engine.c - the Engine: the program cache, store helpers, instance records, and the
 * public calls, each one write transaction through store_write (see engine.h).
 */
#include "engine_internal.h"
#include "fault.h"
#include "text.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- helpers ---- */

int step_fail(Step *s, int code, const char *fmt, ...)
{
    va_list args;
    va_start(args, fmt);
    vsnprintf(s->why, s->why_len, fmt, args);
    va_end(args);
    return code;
}

int store_get_json(StoreTxn *txn, StoreTable table, StoreBytes key, json_t **out)
{
    StoreBytes value;
    int rc = store_get(txn, table, key, &value);
    if (rc != STORE_OK)
        return rc;
    *out = json_loadb(value.data, value.len, 0, NULL);
    return *out ? STORE_OK : STORE_FAILED;
}

int store_put_json(StoreTxn *txn, StoreTable table, StoreBytes key, const json_t *value)
{
    char *text = json_dumps(value, JSON_COMPACT | JSON_PRESERVE_ORDER);
    if (!text)
        return STORE_FAILED;
    int rc = store_put(txn, table, key, store_bytes(text, strlen(text)));
    free(text);
    return rc;
}

/* Counters in TABLE_META ("next_instance", ...): returns the next value, from 1. */
uint64_t meta_counter(StoreTxn *txn, const char *counter)
{
    StoreBytes value;
    if (store_get(txn, TABLE_META, store_bytes(counter, strlen(counter)), &value) == STORE_OK &&
        value.len == 8)
        return store_read_be64(value.data);
    return 0;
}

int meta_next(StoreTxn *txn, const char *counter, uint64_t *value)
{
    StoreBytes key = store_bytes(counter, strlen(counter)), old;
    uint64_t next = 1;
    int rc = store_get(txn, TABLE_META, key, &old);
    if (rc == STORE_OK && old.len == 8)
        next = store_read_be64(old.data) + 1;
    else if (rc != STORE_OK && rc != STORE_NOT_FOUND)
        return rc;
    unsigned char bytes[8];
    store_be64(next, bytes);
    *value = next;
    return store_put(txn, TABLE_META, key, store_bytes(bytes, 8));
}

/* A step writes many records at the same `now`: the last conversion is kept. */
void time_text(int64_t ms, char out[40])
{
    static int64_t last_ms = INT64_MIN;
    static char last_text[40];
    if (ms != last_ms) {
        StrBuf text = STRBUF_INIT;
        value_write_time(ms, 0, &text);
        snprintf(last_text, sizeof last_text, "%s", strbuf_text(&text));
        strbuf_free(&text);
        last_ms = ms;
    }
    memcpy(out, last_text, sizeof last_text);
}

static int hex_digit(char c)
{
    return c >= '0' && c <= '9' ? c - '0'
         : c >= 'a' && c <= 'f' ? c - 'a' + 10
         : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

size_t hex_to_bytes(const char *hex, unsigned char *out, size_t cap)
{
    size_t n = 0;
    for (; hex && n < cap; n++) {
        int high = hex_digit(hex[2 * n]), low = high < 0 ? -1 : hex_digit(hex[2 * n + 1]);
        if (low < 0)
            break;
        out[n] = (unsigned char)(high << 4 | low);
    }
    return n;
}

uint64_t instance_number(const char *id)
{
    return id && id[0] ? text_numbered_id(id, id[0] == 't' ? 't' : 'i') : 0;
}

void engine_forget_caches(Engine *e)
{
    directory_free(e->directory);
    e->directory = NULL;
    e->directory_loaded = false;
    json_decref(e->playbook_names);
    json_decref(e->playbook_hashes);
    e->playbook_names = e->playbook_hashes = NULL;
}

/* ---- the directory ---- */

/* The directory as the store holds it now (NULL when none was loaded). */
static uint64_t directory_version(Step *s)
{
    return meta_counter(s->txn, "directory_version");
}

/* The engine keeps `dir` (parsed and checked) as the store's directory at this step. */
static void directory_keep(Step *s, Directory *dir)
{
    Engine *e = s->engine;
    directory_free(e->directory);
    e->directory = dir;
    e->directory_loaded = true;
    e->directory_version = directory_version(s);
}

const Directory *step_directory(Step *s)
{
    Engine *e = s->engine;
    uint64_t version = directory_version(s);
    if (e->directory_loaded && e->directory_version == version)
        return e->directory;
    directory_free(e->directory);
    e->directory = NULL;
    json_t *json = NULL;
    if (store_get_json(s->txn, TABLE_DIRECTORY, store_bytes("directory", 9), &json) == STORE_OK) {
        json_t *problems = json_array();
        e->directory = directory_parse(json, problems);
        json_decref(problems);
        json_decref(json);
    }
    e->directory_loaded = true;
    e->directory_version = version;
    return e->directory;
}

const Calendar *step_calendar(Step *s, const Program *program)
{
    const Directory *dir = step_directory(s);
    if (!dir || !program || program->bc.calendar == BC_NONE)
        return NULL;
    return dir_calendar(dir, value_text(program->bc.consts[program->bc.calendar]));
}

/* from + a plain or business duration, in the program's calendar. */
int step_business_add(Step *s, const Program *program, int64_t from_ms, Value duration, int64_t *out_ms)
{
    if (duration.type == VAL_DURATION) {
        *out_ms = from_ms + duration.as.ms;
        return STORE_OK;
    }
    const Calendar *calendar = step_calendar(s, program);
    if (!calendar)
        return step_fail(s, ENGINE_REFUSED, "business time needs calendar \"%s\" from the directory",
                         program && program->bc.calendar != BC_NONE ? value_text(program->bc.consts[program->bc.calendar]) : "?");
    char why[256];
    if (calendar_add(calendar, from_ms, duration.as.integer, (BusinessUnit)duration.unit, out_ms, why, sizeof why) < 0)
        return step_fail(s, ENGINE_REFUSED, "%s", why);
    return STORE_OK;
}

static int hook_add_business(void *context, int64_t time_ms, Value business, int64_t *out_ms,
                             char *why, size_t why_len)
{
    Step *s = context;
    if (step_business_add(s, s->hook_program, time_ms, business, out_ms) != STORE_OK) {
        snprintf(why, why_len, "%s", s->why);
        return -1;
    }
    return 0;
}

static int hook_zone_offset(void *context, const char *zone, int64_t time_ms, int32_t *minutes)
{
    Step *s = context;
    if (!zone) {
        const Calendar *calendar = step_calendar(s, s->hook_program);
        *minutes = calendar && calendar->tz ? tz_offset_at(calendar->tz, time_ms / 1000) / 60 : 0;
        return 0;
    }
    char why[256];
    Tz *tz = tz_load(zone, why, sizeof why);
    if (!tz)
        return -1;
    *minutes = tz_offset_at(tz, time_ms / 1000) / 60;
    tz_free(tz);
    return 0;
}

void step_hooks_init(Step *s)
{
    s->hooks.context = s;
    s->hooks.add_business = hook_add_business;
    s->hooks.zone_offset = hook_zone_offset;
}

/* ---- programs ---- */

const Program *engine_program(Step *s, const char *hash)
{
    Engine *e = s->engine;
    for (unsigned i = 0; i < e->program_count; i++)
        if (strcmp(e->programs[i].hash, hash) == 0)
            return e->programs[i].program;
    StoreBytes bytes;
    if (store_get(s->txn, TABLE_PROGRAMS, store_bytes(hash, strlen(hash)), &bytes) != STORE_OK)
        return NULL;
    Program *program;
    char why[256];
    if (program_load(bytes.data, bytes.len, &program, why, sizeof why) < 0)
        return NULL;
    bc_grow((void **)&e->programs, &e->program_cap, e->program_count + 1, sizeof(ProgramCacheEntry));
    ProgramCacheEntry *entry = &e->programs[e->program_count++];
    snprintf(entry->hash, sizeof entry->hash, "%s", hash);
    entry->program = program;
    return program;
}

/* ---- instances: a record (JSON) and a frame, one store entry ---- */

static StoreBytes instance_key(uint64_t number, unsigned char key[8])
{
    store_be64(number, key);
    return store_bytes(key, 8);
}

int instance_load(Step *s, uint64_t number, Instance *out)
{
    memset(out, 0, sizeof *out);
    unsigned char key[8];
    StoreBytes value;
    int rc = store_get(s->txn, TABLE_INSTANCES, instance_key(number, key), &value);
    if (rc != STORE_OK)
        return rc;
    const unsigned char *bytes = value.data;
    if (value.len < 4)
        return STORE_FAILED;
    uint32_t json_len = (uint32_t)bytes[0] | (uint32_t)bytes[1] << 8 | (uint32_t)bytes[2] << 16 |
                        (uint32_t)bytes[3] << 24;
    if (json_len > value.len - 4)
        return STORE_FAILED;
    out->number = number;
    out->record = json_loadb((const char *)bytes + 4, json_len, 0, NULL);
    if (!out->record)
        return STORE_FAILED;
    out->program = engine_program(s, json_string_value(json_object_get(out->record, "version")));
    if (!out->program) {
        instance_clear(out);
        return STORE_FAILED;
    }
    size_t frame_len = value.len - 4 - json_len;
    if (frame_len > 0) {
        char why[256];
        out->frame = frame_decode(out->program, bytes + 4 + json_len, frame_len, why, sizeof why);
        if (!out->frame) {
            instance_clear(out);
            return STORE_FAILED;
        }
    }
    return STORE_OK;
}

int instance_save(Step *s, Instance *in)
{
    char *json = json_dumps(in->record, JSON_COMPACT | JSON_PRESERVE_ORDER);
    StrBuf bytes = STRBUF_INIT;
    uint32_t len = (uint32_t)strlen(json);
    char header[4] = {(char)len, (char)(len >> 8), (char)(len >> 16), (char)(len >> 24)};
    strbuf_append(&bytes, header, 4);
    strbuf_append(&bytes, json, len);
    free(json);
    if (in->frame)
        frame_encode(in->frame, &bytes);
    unsigned char key[8];
    int rc = store_put(s->txn, TABLE_INSTANCES, instance_key(in->number, key),
                       store_bytes(bytes.data, bytes.len));
    strbuf_free(&bytes);
    return rc;
}

void instance_clear(Instance *in)
{
    json_decref(in->record);
    frame_free(in->frame);
    memset(in, 0, sizeof *in);
}

/* ---- the engine ---- */

const char *engine_strerror(int code)
{
    switch (code) {
    case ENGINE_OK: return "ok";
    case ENGINE_REFUSED: return "refused";
    case ENGINE_FAILED: return "the store failed";
    case ENGINE_NO_MEMORY: return "out of memory";
    case ENGINE_NOT_A_STORE: return "not a store";
    case ENGINE_BUSY: return "the store is busy";
    default: return "unknown engine code";
    }
}

/* The engine code for what a transaction returned: a refusal or an engine failure as
   it is, a store code as the store's failure (a record that should be there and is not
   means a damaged store, never a refusal). Fills `why` when it is still empty. */
int engine_result(int rc, char *why, size_t why_len)
{
    if (rc == STORE_OK)
        return ENGINE_OK;
    if (rc == ENGINE_REFUSED || rc > 0)
        return ENGINE_REFUSED;
    int code = rc == ENGINE_NO_MEMORY ? ENGINE_NO_MEMORY
             : rc == STORE_BUSY ? ENGINE_BUSY
             : rc == STORE_NOT_A_STORE ? ENGINE_NOT_A_STORE : ENGINE_FAILED;
    if (why_len && !why[0]) {
        if (rc == STORE_NOT_FOUND)
            snprintf(why, why_len, "the store is damaged: a record it refers to is missing");
        else if (rc <= ENGINE_REFUSED)
            snprintf(why, why_len, "%s", engine_strerror(rc));
        else
            snprintf(why, why_len, "store error: %s", store_strerror(rc));
    }
    return code;
}

int engine_open(const char *dir, const EngineOptions *options, Engine **out, char *why,
                size_t why_len)
{
    EngineOptions none = {0};
    if (!options)
        options = &none;
    StoreOptions store_options = {options->create, options->no_sync, false};
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
    *out = e;
    return ENGINE_OK;
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

Engine *engine_new(Store *store, const EngineOptions *options)
{
    Engine *e = calloc(1, sizeof *e);
    if (!e)
        return NULL;
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
    engine_forget_caches(e);
    free(e);
}

/* Keeps engine time in meta; it never goes backwards. */
static int step_clock(Step *s)
{
    StoreBytes key = store_bytes("engine_time", 11), old;
    if (store_get(s->txn, TABLE_META, key, &old) == STORE_OK && old.len == 8) {
        int64_t kept = (int64_t)store_read_be64(old.data);
        if (s->now < kept)
            s->now = kept;
    }
    unsigned char bytes[8];
    store_be64((uint64_t)s->now, bytes);
    return store_put(s->txn, TABLE_META, key, store_bytes(bytes, 8));
}

int64_t engine_time(Engine *e)
{
    StoreTxn *txn;
    int64_t now = 0;
    if (store_begin(e->store, false, &txn) != STORE_OK)
        return 0;
    StoreBytes old;
    if (store_get(txn, TABLE_META, store_bytes("engine_time", 11), &old) == STORE_OK && old.len == 8)
        now = (int64_t)store_read_be64(old.data);
    store_abort(txn);
    return now;
}

/* Runs `work` as one step in one write transaction, then shows its records. */
typedef int (*StepWork)(Step *s, void *context);
typedef struct StepCall {
    Engine *engine;
    int64_t now;
    StepWork work;
    void *context;
    char *why;
    size_t why_len;
    json_t *records;
    int result;
} StepCall;

/* Hands the records a committed transaction wrote to the engine's on_record hook. */
static void engine_report_records(Engine *e, const json_t *records)
{
    size_t i;
    json_t *record;
    if (e->options.on_record)
        json_array_foreach(records, i, record)
            e->options.on_record(e->options.record_context, record);
}

static int step_transaction(StoreTxn *txn, void *context)
{
    StepCall *call = context;
    json_decref(call->records);
    call->records = json_array();
    Step s = {call->engine, txn, call->now, call->records, call->why, call->why_len, false, 0, {0}, NULL};
    step_hooks_init(&s);
    int rc = step_clock(&s);
    if (rc == STORE_OK)
        rc = call->work(&s, call->context);
    if (rc == STORE_OK)
        rc = step_write_records(&s);
    call->result = rc;
    return rc;
}

static int engine_run_step(Engine *e, int64_t now, StepWork work, void *context, char *why,
                           size_t why_len)
{
    StepCall call = {e, now, work, context, why, why_len, NULL, 0};
    why[0] = '\0';
    int rc = store_write(e->store, step_transaction, &call);
    if (rc == STORE_OK)
        engine_report_records(e, call.records);
    else
        engine_forget_caches(e);
    json_decref(call.records);
    return engine_result(rc, why, why_len);
}

/* An input accepted at engine time t is applied after every timer due at or before t
   (LANGUAGE.md, "Deadline and ties"), each fired at its own due time. */
static int engine_fire_timers(Engine *e, int64_t now, bool advance, char *why, size_t why_len);

static int engine_catch_up(Engine *e, int64_t now, char *why, size_t why_len)
{
    int rc = engine_fire_timers(e, now, false, why, why_len);
    return rc < 0 ? rc : 0;
}

/* One input from outside (an event, an answer, an operator's command): the timers due
   before it fire first, then its step runs. */
static int engine_run_input(Engine *e, int64_t now, StepWork work, void *context, char *why,
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

static int deploy_work(Step *s, void *context)
{
    DeployWork *d = context;
    Program *program;
    char why[256];
    if (program_load(d->bytes, d->len, &program, why, sizeof why) < 0)
        return step_fail(s, ENGINE_REFUSED, "%s", why);
    snprintf(d->hash, 65, "%s", program->hash);
    const char *name = value_text(program->bc.consts[program->bc.name]);
    int rc = store_put(s->txn, TABLE_PROGRAMS, store_bytes(program->hash, 64), store_bytes(d->bytes, d->len));
    json_t *playbook = NULL;
    if (rc == STORE_OK && store_get_json(s->txn, TABLE_PLAYBOOKS, store_bytes(name, strlen(name)), &playbook) != STORE_OK)
        playbook = json_pack("{s:[]}", "log");
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
        json_object_set_new(playbook, "hash", json_string(program->hash));
        json_object_set_new(playbook, "undeployed", json_false());
        json_array_append_new(json_object_get(playbook, "log"), json_pack("{s:s, s:s}", "at", at, "hash", program->hash));
        rc = store_put_json(s->txn, TABLE_PLAYBOOKS, store_bytes(name, strlen(name)), playbook);
    }
    json_decref(playbook);
    program_free(program);
    return rc == STORE_OK ? step_playbooks_changed(s) : rc;
}

int engine_deploy(Engine *e, const uint8_t *bytecode, size_t len, int64_t now, char hash[65],
                  char *why, size_t why_len)
{
    DeployWork d = {bytecode, len, hash};
    return engine_run_step(e, now, deploy_work, &d, why, why_len);
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
    return engine_run_input(e, now, event_work, &w, why, why_len);
}

const json_t *engine_event_routes(const Engine *e)
{
    return e->event_routes;
}

typedef struct AnswerWork {
    const char *task, *by, *choice, *comment;
} AnswerWork;

static int answer_work(Step *s, void *context)
{
    AnswerWork *w = context;
    return task_answer(s, w->task, w->by, w->choice, w->comment);
}

int engine_answer(Engine *e, const char *task, const char *by, const char *choice,
                  const char *comment, int64_t now, char *why, size_t why_len)
{
    AnswerWork w = {task, by, choice, comment};
    return engine_run_input(e, now, answer_work, &w, why, why_len);
}

/* Timers due at or before a time, oldest first, up to a batch. */
#define TIMER_BATCH 1000

typedef struct DueTimer {
    unsigned char key[20];
    json_t *what;
} DueTimer;

typedef struct DueTimers {
    int64_t limit;
    DueTimer items[TIMER_BATCH];
    unsigned count;
} DueTimers;

static int due_visit(void *context, StoreBytes key, StoreBytes value)
{
    DueTimers *d = context;
    if (key.len != 20 || (int64_t)store_read_be64(key.data) > d->limit || d->count == TIMER_BATCH)
        return STORE_STOP;
    DueTimer *t = &d->items[d->count];
    memcpy(t->key, key.data, 20);
    t->what = json_loadb(value.data, value.len, 0, NULL);
    if (t->what)
        d->count++;
    return STORE_OK;
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
    if (instance_load(s, number, &in) != STORE_OK)
        return STORE_OK;   /* the instance is gone: the timer goes too */
    json_int_t suspension = json_integer_value(json_object_get(d->what, "suspension"));
    const char *kind = json_string_value(json_object_get(d->what, "kind"));
    const char *status = json_string_value(json_object_get(in.record, "status"));
    if (!in.frame || !kind || strcmp(status, "running") != 0 || (uint64_t)suspension != in.frame->step) {
        instance_clear(&in);
        return STORE_OK;   /* a stale wake-up: deleted without effect */
    }
    if (strcmp(kind, "deadline") == 0)
        rc = task_timeout(s, &in, json_string_value(json_object_get(d->what, "task")));
    else if (strcmp(kind, "level") == 0)
        rc = task_escalate(s, &in, json_string_value(json_object_get(d->what, "task")),
                           json_integer_value(json_object_get(d->what, "level")));
    else if (strcmp(kind, "reminder") == 0)
        rc = task_remind(s, &in, json_string_value(json_object_get(d->what, "task")));
    else if (strcmp(kind, "watch") == 0)
        rc = task_watch(s, &in, json_string_value(json_object_get(d->what, "task")));
    else if (strcmp(kind, "after") == 0)
        rc = step_resume(s, &in, VM_INPUT_TIMER, VALUE_NULL);
    if (rc == STORE_OK)
        rc = instance_save(s, &in);
    instance_clear(&in);
    return rc;
}

typedef struct FireBatch {
    Engine *engine;
    DueTimers *due;
    json_t *records;
    char *why;
    size_t why_len;
} FireBatch;

/* The first key of the timers table (the earliest due), if any. */
typedef struct FirstTimer {
    bool found;
    unsigned char key[20];
} FirstTimer;

static int first_timer_visit(void *context, StoreBytes key, StoreBytes value)
{
    (void)value;
    FirstTimer *first = context;
    if (key.len != 20)
        return STORE_OK;
    first->found = true;
    memcpy(first->key, key.data, 20);
    return STORE_STOP;
}

static FirstTimer first_timer(StoreTxn *txn)
{
    FirstTimer first = {false, {0}};
    store_scan(txn, TABLE_TIMERS, store_bytes(NULL, 0), store_bytes(NULL, 0), first_timer_visit, &first);
    return first;
}

/* Many due timers in one write transaction, each its own step in a nested transaction
   at its own due time, in order. A timer set by an earlier one and due before the next
   ends the batch, so the next pass fires it in its turn. */
static int fire_batch(StoreTxn *txn, void *context)
{
    FireBatch *f = context;
    json_decref(f->records);
    f->records = json_array();
    for (unsigned i = 0; i < f->due->count; i++) {
        DueTimer *t = &f->due->items[i];
        if (i > 0) {
            FirstTimer first = first_timer(txn);
            if (first.found && memcmp(first.key, t->key, 20) < 0)
                break;
        }
        StoreTxn *child;
        int rc = store_begin_nested(txn, &child);
        if (rc != STORE_OK)
            return rc;
        json_t *records = json_array();
        Step s = {f->engine, child, (int64_t)store_read_be64(t->key), records, f->why, f->why_len, false, 0, {0}, NULL};
        step_hooks_init(&s);
        rc = step_clock(&s);
        if (rc == STORE_OK)
            rc = fire_one(&s, t);
        if (rc == STORE_OK)
            rc = step_write_records(&s);
        if (rc == STORE_OK) {
            rc = store_commit(child);
            json_array_extend(f->records, records);
        } else {
            store_abort(child);
            engine_forget_caches(f->engine);
        }
        json_decref(records);
        if (rc != STORE_OK)
            return rc;
    }
    return STORE_OK;
}

static int advance_work(Step *s, void *context)
{
    (void)s;
    (void)context;
    return STORE_OK;   /* the step's clock update is the whole point */
}

static int engine_fire_timers(Engine *e, int64_t now, bool advance, char *why, size_t why_len)
{
    DueTimers *due = malloc(sizeof *due);
    if (!due)
        return engine_result(ENGINE_NO_MEMORY, why, why_len);
    int result = ENGINE_OK;
    for (;;) {
        due->limit = now;
        due->count = 0;
        StoreTxn *txn;
        int rc = store_begin(e->store, false, &txn);
        if (rc == STORE_OK) {
            rc = store_scan(txn, TABLE_TIMERS, store_bytes(NULL, 0), store_bytes(NULL, 0), due_visit, due);
            store_abort(txn);
        }
        if (rc != STORE_OK) {
            result = engine_result(rc, why, why_len);
            break;
        }
        if (due->count == 0) {
            result = advance ? engine_run_step(e, now, advance_work, NULL, why, why_len) : 0;
            break;
        }
        FireBatch f = {e, due, NULL, why, why_len};
        rc = store_write(e->store, fire_batch, &f);
        if (rc == STORE_OK)
            engine_report_records(e, f.records);
        else
            engine_forget_caches(e);
        json_decref(f.records);
        for (unsigned i = 0; i < due->count; i++)
            json_decref(due->items[i].what);
        if (rc != STORE_OK) {
            result = engine_result(rc, why, why_len);
            break;
        }
    }
    free(due);
    return result;
}

int engine_fire_due(Engine *e, int64_t now, char *why, size_t why_len)
{
    return engine_fire_timers(e, now, true, why, why_len);
}

bool engine_next_due(Engine *e, int64_t *due_ms)
{
    FirstTimer first = {false, {0}};
    StoreTxn *txn;
    if (store_begin(e->store, false, &txn) == STORE_OK) {
        first = first_timer(txn);
        store_abort(txn);
    }
    if (first.found)
        *due_ms = (int64_t)store_read_be64(first.key);
    return first.found;
}

/* ---- reading ---- */

typedef struct TaskSearch {
    const char *person;
    int found;
    char task[32];
    char others[256];
} TaskSearch;

static int task_search_visit(void *context, StoreBytes key, StoreBytes value)
{
    (void)key;
    TaskSearch *t = context;
    json_t *task = json_loadb(value.data, value.len, 0, NULL);
    if (!task)
        return STORE_OK;
    if (strcmp(json_string_value(json_object_get(task, "status")), "open") == 0) {
        size_t i;
        json_t *seat;
        bool holds = false;
        json_array_foreach(json_object_get(task, "seats"), i, seat) {
            size_t k;
            json_t *holder;
            json_array_foreach(json_object_get(seat, "holders"), k, holder)
                holds |= strcmp(json_string_value(holder), t->person) == 0;
        }
        if (holds) {
            const char *id = json_string_value(json_object_get(task, "id"));
            if (t->found++ == 0)
                snprintf(t->task, sizeof t->task, "%s", id);
            size_t used = strlen(t->others);
            snprintf(t->others + used, sizeof t->others - used, "%s%s", used ? ", " : "", id);
        }
    }
    json_decref(task);
    return STORE_OK;
}

int engine_find_task_for(Engine *e, const char *person, char task[32], char *why, size_t why_len)
{
    TaskSearch t = {person, 0, "", ""};
    StoreTxn *txn;
    why[0] = '\0';
    int rc = store_begin(e->store, false, &txn);
    if (rc == STORE_OK) {
        rc = store_scan(txn, TABLE_TASKS, store_bytes(NULL, 0), store_bytes(NULL, 0), task_search_visit, &t);
        store_abort(txn);
    }
    if (rc != STORE_OK)
        return engine_result(rc, why, why_len);
    if (t.found == 1) {
        snprintf(task, 32, "%s", t.task);
        return ENGINE_OK;
    }
    if (t.found == 0)
        snprintf(why, why_len, "%s holds no seat on an open ask", person);
    else
        snprintf(why, why_len, "%s holds seats on several open asks (%s): name the task", person, t.others);
    return ENGINE_REFUSED;
}

static int instances_visit(void *context, StoreBytes key, StoreBytes value)
{
    (void)key;
    json_t *list = context;
    const unsigned char *bytes = value.data;
    if (value.len < 4)
        return STORE_OK;
    uint32_t len = (uint32_t)bytes[0] | (uint32_t)bytes[1] << 8 | (uint32_t)bytes[2] << 16 | (uint32_t)bytes[3] << 24;
    json_t *record = len <= value.len - 4 ? json_loadb((const char *)bytes + 4, len, 0, NULL) : NULL;
    if (!record)
        return STORE_OK;
    json_t *summary = json_object();
    static const char *const FIELDS[] = {"id", "playbook", "version", "status", "state", "outcome", "tags",
                                         "case_key", "created_at"};
    static const char *const NAMES[] = {"id", "playbook", "version", "status", "state", "outcome", "tags",
                                        "case", "started"};
    for (size_t i = 0; i < sizeof FIELDS / sizeof FIELDS[0]; i++) {
        json_t *field = json_object_get(record, FIELDS[i]);
        json_object_set(summary, NAMES[i], field ? field : json_null());
    }
    json_array_append_new(list, summary);
    json_decref(record);
    return STORE_OK;
}

json_t *engine_instances(Engine *e)
{
    json_t *list = json_array();
    StoreTxn *txn;
    if (store_begin(e->store, false, &txn) != STORE_OK)
        return list;
    store_scan(txn, TABLE_INSTANCES, store_bytes(NULL, 0), store_bytes(NULL, 0), instances_visit, list);
    store_abort(txn);
    return list;
}

static int playbooks_visit(void *context, StoreBytes key, StoreBytes value)
{
    json_t *playbook = json_loadb(value.data, value.len, 0, NULL);
    if (json_is_object(playbook)) {
        json_object_set_new(playbook, "name", json_stringn(key.data, key.len));
        json_array_append(context, playbook);
    }
    json_decref(playbook);
    return STORE_OK;
}

bool engine_program_calendar(Engine *e, const char *hash, char *name, size_t len)
{
    StoreTxn *txn;
    StoreBytes bytes;
    bool found = false;
    name[0] = '\0';
    if (store_begin(e->store, false, &txn) != STORE_OK)
        return false;
    Program *program;
    char why[256];
    if (store_get(txn, TABLE_PROGRAMS, store_bytes(hash, strlen(hash)), &bytes) == STORE_OK &&
        program_load(bytes.data, bytes.len, &program, why, sizeof why) >= 0) {
        found = program->bc.calendar != BC_NONE;
        if (found)
            snprintf(name, len, "%s", value_text(program->bc.consts[program->bc.calendar]));
        program_free(program);
    }
    store_abort(txn);
    return found;
}

json_t *engine_playbooks(Engine *e)
{
    json_t *list = json_array();
    StoreTxn *txn;
    if (store_begin(e->store, false, &txn) != STORE_OK)
        return list;
    store_scan(txn, TABLE_PLAYBOOKS, store_bytes(NULL, 0), store_bytes(NULL, 0), playbooks_visit, list);
    store_abort(txn);
    return list;
}

/* ---- mocked delivery (huddle run) ---- */

typedef struct OutboxEntry {
    bool found;
    unsigned char key[8];
    json_t *entry;
} OutboxEntry;

static int outbox_first(void *context, StoreBytes key, StoreBytes value)
{
    OutboxEntry *o = context;
    if (key.len != 8)
        return STORE_OK;
    memcpy(o->key, key.data, 8);
    o->entry = json_loadb(value.data, value.len, 0, NULL);
    o->found = o->entry != NULL;
    return STORE_STOP;
}

typedef struct MockWork {
    OutboxEntry *outbox;
    json_t *reply;          /* borrowed: the mocked reply, or NULL */
    const char *failure;    /* or the failure message */
} MockWork;

static int mock_work(Step *s, void *context)
{
    MockWork *m = context;
    int rc = store_del(s->txn, TABLE_OUTBOX, store_bytes(m->outbox->key, 8));
    json_t *entry = m->outbox->entry;
    Instance in;
    if (rc != STORE_OK || instance_load(s, (uint64_t)json_integer_value(json_object_get(entry, "instance")), &in) != STORE_OK)
        return rc;
    if (!in.frame || (uint64_t)json_integer_value(json_object_get(entry, "suspension")) != in.frame->step) {
        instance_clear(&in);
        return STORE_OK;   /* stale: the instance moved on */
    }
    json_t *record = record_add(s, &in, m->reply ? "replied" : "call_failed");
    json_object_set(record, "connector", json_object_get(entry, "connector"));
    json_object_set(record, "operation", json_object_get(entry, "operation"));
    if (m->reply)
        json_object_set(record, "reply", m->reply);
    else
        json_object_set_new(record, "error", json_string(m->failure));
    Value value = m->reply ? value_from_json(m->reply) : value_cstring(m->failure);
    rc = step_resume(s, &in, m->reply ? VM_INPUT_REPLY : VM_INPUT_FAILURE, value);
    value_release(value);
    if (rc == STORE_OK)
        rc = instance_save(s, &in);
    instance_clear(&in);
    return rc;
}

int engine_deliver_mocks(Engine *e, const json_t *mocks, int64_t now, char *why, size_t why_len)
{
    for (;;) {
        OutboxEntry o = {false, {0}, NULL};
        StoreTxn *txn;
        why[0] = '\0';
        int rc = store_begin(e->store, false, &txn);
        if (rc == STORE_OK) {
            rc = store_scan(txn, TABLE_OUTBOX, store_bytes(NULL, 0), store_bytes(NULL, 0), outbox_first, &o);
            store_abort(txn);
        }
        if (rc != STORE_OK) {
            json_decref(o.entry);
            return engine_result(rc, why, why_len);
        }
        if (!o.found)
            return ENGINE_OK;
        char name[256], failure[300];
        snprintf(name, sizeof name, "%s.%s", json_string_value(json_object_get(o.entry, "connector")),
                 json_string_value(json_object_get(o.entry, "operation")));
        json_t *mock = json_object_get(mocks, name);
        MockWork m = {&o, NULL, NULL};
        if (json_is_array(mock)) {
            json_int_t used = json_integer_value(json_object_get(e->mock_cursor, name));
            json_object_set_new(e->mock_cursor, name, json_integer(used + 1));
            size_t last = json_array_size(mock) ? json_array_size(mock) - 1 : 0;
            mock = json_array_get(mock, (size_t)used < last ? (size_t)used : last);
        }
        if (!mock) {
            snprintf(failure, sizeof failure, "no mock for %s", name);
            m.failure = failure;
        } else if (json_is_object(mock) && json_is_string(json_object_get(mock, "fail"))) {
            m.failure = json_string_value(json_object_get(mock, "fail"));
        } else {
            m.reply = mock;
        }
        rc = engine_run_step(e, now, mock_work, &m, why, why_len);
        json_decref(o.entry);
        if (rc < 0)
            return rc;
    }
}

/* ---- history and tasks ---- */

static int collect_visit(void *context, StoreBytes key, StoreBytes value)
{
    (void)key;
    json_t *record = json_loadb(value.data, value.len, 0, NULL);
    if (record)
        json_array_append_new(context, record);
    return STORE_OK;
}

json_t *engine_history(Engine *e, const char *instance)
{
    uint64_t number = instance_number(instance);
    if (number == 0 || instance[0] != 'i')
        return NULL;
    json_t *records = json_array();
    StoreTxn *txn;
    unsigned char prefix[8];
    store_be64(number, prefix);
    if (store_begin(e->store, false, &txn) == STORE_OK) {
        store_scan(txn, TABLE_HISTORY, store_bytes(prefix, 8), store_bytes(NULL, 0), collect_visit, records);
        store_abort(txn);
    }
    if (json_array_size(records) == 0) {
        json_decref(records);
        return NULL;
    }
    return records;
}

typedef struct TaskFilter {
    const char *person;
    json_t *tasks;
} TaskFilter;

static int open_task_visit(void *context, StoreBytes key, StoreBytes value)
{
    (void)key;
    TaskFilter *f = context;
    json_t *task = json_loadb(value.data, value.len, 0, NULL);
    if (!task)
        return STORE_OK;
    bool keep = strcmp(json_string_value(json_object_get(task, "status")), "open") == 0;
    if (keep && f->person) {
        keep = false;
        size_t i;
        json_t *seat;
        json_array_foreach(json_object_get(task, "seats"), i, seat) {
            size_t k;
            json_t *holder;
            json_array_foreach(json_object_get(seat, "holders"), k, holder)
                keep |= strcmp(json_string_value(holder), f->person) == 0;
        }
    }
    if (keep)
        json_array_append(f->tasks, task);
    json_decref(task);
    return STORE_OK;
}

json_t *engine_open_tasks(Engine *e, const char *person)
{
    TaskFilter f = {person, json_array()};
    StoreTxn *txn;
    if (store_begin(e->store, false, &txn) == STORE_OK) {
        store_scan(txn, TABLE_TASKS, store_bytes(NULL, 0), store_bytes(NULL, 0), open_task_visit, &f);
        store_abort(txn);
    }
    return f.tasks;
}

/* ---- group commit ---- */

typedef struct BatchCall {
    Engine *engine;
    EngineInput *inputs;
    size_t count;
    int64_t now;
    json_t *records;
} BatchCall;

static int batch_transaction(StoreTxn *txn, void *context)
{
    BatchCall *b = context;
    json_decref(b->records);
    b->records = json_array();
    char why[256];
    Step clock = {b->engine, txn, b->now, b->records, why, sizeof why, false, 0, {0}, NULL};
    int rc = step_clock(&clock);
    if (rc != STORE_OK)
        return rc;
    for (size_t i = 0; i < b->count; i++) {
        EngineInput *in = &b->inputs[i];
        StoreTxn *child;
        rc = store_begin_nested(txn, &child);
        if (rc != STORE_OK)
            return rc;
        json_t *records = json_array();
        Step s = {b->engine, child, clock.now, records, in->why, sizeof in->why, false, 0, {0}, NULL};
        step_hooks_init(&s);
        in->why[0] = '\0';
        in->duplicate = false;
        if (in->kind == ENGINE_INPUT_EVENT)
            rc = events_accept(&s, in->source, in->type, in->id, in->data, in->event_time, &in->duplicate);
        else
            rc = task_answer(&s, in->task, in->by, in->choice, in->comment);
        if (rc == STORE_OK)
            rc = step_write_records(&s);
        if (rc == STORE_OK) {
            rc = store_commit(child);
            json_array_extend(b->records, records);
        } else {
            store_abort(child);
            engine_forget_caches(b->engine);
        }
        json_decref(records);
        if (rc == STORE_FULL)
            return rc;   /* store_write grows the map and runs the whole batch again */
        in->result = engine_result(rc, in->why, sizeof in->why);
        fault_point("group step");
    }
    return STORE_OK;
}

int engine_apply_batch(Engine *e, EngineInput *inputs, size_t count, int64_t now)
{
    char why[256];
    int caught = engine_catch_up(e, now, why, sizeof why);
    if (caught != ENGINE_OK) {
        for (size_t i = 0; i < count; i++) {
            inputs[i].result = caught;
            snprintf(inputs[i].why, sizeof inputs[i].why, "%s", why);
        }
        return caught;
    }
    BatchCall b = {e, inputs, count, now, NULL};
    int rc = store_write(e->store, batch_transaction, &b);
    if (rc == STORE_OK)
        engine_report_records(e, b.records);
    else
        engine_forget_caches(e);
    json_decref(b.records);
    if (rc != STORE_OK) {
        why[0] = '\0';
        int code = engine_result(rc, why, sizeof why);
        for (size_t i = 0; i < count; i++) {
            inputs[i].result = code;
            snprintf(inputs[i].why, sizeof inputs[i].why, "%s", why);
        }
        return code;
    }
    return ENGINE_OK;
}

/* ---- operators: retry, cancel, undeploy ---- */

typedef struct OperatorWork {
    const char *instance, *state, *by, *reason, *playbook;
} OperatorWork;

static int operator_load(Step *s, const char *id, Instance *in)
{
    uint64_t number = id && id[0] == 'i' ? instance_number(id) : 0;
    if (number == 0 || instance_load(s, number, in) != STORE_OK)
        return step_fail(s, ENGINE_REFUSED, "no instance '%s'", id ? id : "");
    return STORE_OK;
}

static int retry_work(Step *s, void *context)
{
    OperatorWork *w = context;
    Instance in;
    int rc = operator_load(s, w->instance, &in);
    if (rc != STORE_OK)
        return rc;
    const char *status = json_string_value(json_object_get(in.record, "status"));
    int state = -1;
    if (strcmp(status, "stalled") != 0)
        rc = step_fail(s, ENGINE_REFUSED, "%s is %s, not stalled: only a stalled instance is retried", w->instance, status);
    else if (w->state && (state = program_state_index(in.program, w->state)) < 0)
        rc = step_fail(s, ENGINE_REFUSED, "%s's playbook has no state '%s'", w->instance, w->state);
    else if (w->state && !in.frame)
        rc = step_fail(s, ENGINE_REFUSED, "%s never started; retry it without --goto", w->instance);
    if (rc == STORE_OK) {
        json_t *record = record_add(s, &in, "retried");
        json_object_set_new(record, "goto", w->state ? json_string(w->state) : json_null());
        rc = step_retry(s, &in, state);
    }
    if (rc == STORE_OK)
        rc = instance_save(s, &in);
    instance_clear(&in);
    return rc;
}

int engine_retry(Engine *e, const char *instance, const char *state, int64_t now, char *why,
                 size_t why_len)
{
    OperatorWork w = {instance, state, NULL, NULL, NULL};
    return engine_run_input(e, now, retry_work, &w, why, why_len);
}

static int cancel_work(Step *s, void *context)
{
    OperatorWork *w = context;
    Instance in;
    int rc = door_check_person(s, "by", w->by);
    if (rc == STORE_OK && (!w->reason || !*w->reason))
        rc = step_fail(s, ENGINE_REFUSED, "a cancel needs a reason: add --reason TEXT");
    if (rc == STORE_OK)
        rc = operator_load(s, w->instance, &in);
    if (rc != STORE_OK)
        return rc;
    const char *status = json_string_value(json_object_get(in.record, "status"));
    if (strcmp(status, "running") != 0 && strcmp(status, "stalled") != 0) {
        rc = step_fail(s, ENGINE_REFUSED, "%s has already ended (%s)", w->instance, status);
        instance_clear(&in);
        return rc;
    }
    rc = timers_clear(s, &in);
    if (rc == STORE_OK)
        rc = task_cancel(s, &in, w->by, w->reason);
    if (rc == STORE_OK)
        rc = mailbox_trim(s, &in, 0);
    json_t *record = record_add(s, &in, "cancelled");
    json_object_set_new(record, "by", json_string(w->by));
    json_object_set_new(record, "reason", json_string(w->reason));
    json_object_set_new(record, "discarded",
                        json_integer(json_integer_value(json_object_get(in.record, "mailbox_discarded"))));
    json_object_set_new(in.record, "status", json_string("cancelled"));
    json_object_set_new(in.record, "outcome", json_string(w->reason));
    frame_free(in.frame);
    in.frame = NULL;
    if (rc == STORE_OK)
        rc = case_release(s, &in);
    if (rc == STORE_OK)
        rc = instance_save(s, &in);
    instance_clear(&in);
    return rc;
}

int engine_cancel(Engine *e, const char *instance, const char *by, const char *reason,
                  int64_t now, char *why, size_t why_len)
{
    OperatorWork w = {instance, NULL, by, reason, NULL};
    return engine_run_input(e, now, cancel_work, &w, why, why_len);
}

static int undeploy_work(Step *s, void *context)
{
    OperatorWork *w = context;
    json_t *playbook = NULL;
    StoreBytes key = store_bytes(w->playbook, strlen(w->playbook));
    if (store_get_json(s->txn, TABLE_PLAYBOOKS, key, &playbook) != STORE_OK)
        return step_fail(s, ENGINE_REFUSED, "no playbook '%s' is deployed", w->playbook);
    json_object_set_new(playbook, "undeployed", json_true());
    int rc = store_put_json(s->txn, TABLE_PLAYBOOKS, key, playbook);
    json_decref(playbook);
    return rc == STORE_OK ? step_playbooks_changed(s) : rc;
}

int engine_undeploy(Engine *e, const char *playbook, int64_t now, char *why, size_t why_len)
{
    OperatorWork w = {NULL, NULL, NULL, NULL, playbook};
    return engine_run_step(e, now, undeploy_work, &w, why, why_len);
}

/* ---- acknowledgements and the directory ---- */

typedef struct AckWork {
    const char *task, *by;
} AckWork;

static int ack_work(Step *s, void *context)
{
    AckWork *w = context;
    return task_ack(s, w->task, w->by);
}

int engine_ack(Engine *e, const char *task, const char *by, int64_t now, char *why, size_t why_len)
{
    AckWork w = {task, by};
    return engine_run_input(e, now, ack_work, &w, why, why_len);
}

typedef struct OverrideWork {
    const char *task, *choice, *by, *reason, *from, *to;
} OverrideWork;

static int resolve_work(Step *s, void *context)
{
    OverrideWork *w = context;
    return task_override(s, w->task, w->choice, w->by, w->reason);
}

int engine_resolve(Engine *e, const char *task, const char *choice, const char *by,
                   const char *reason, int64_t now, char *why, size_t why_len)
{
    OverrideWork w = {task, choice, by, reason, NULL, NULL};
    return engine_run_input(e, now, resolve_work, &w, why, why_len);
}

static int reassign_work(Step *s, void *context)
{
    OverrideWork *w = context;
    return task_reassign(s, w->task, w->from, w->to, w->by);
}

int engine_reassign(Engine *e, const char *task, const char *from, const char *to,
                    const char *by, int64_t now, char *why, size_t why_len)
{
    OverrideWork w = {task, NULL, by, NULL, from, to};
    return engine_run_input(e, now, reassign_work, &w, why, why_len);
}

typedef struct DirectoryWork {
    json_t *json;
} DirectoryWork;

static int directory_store(Step *s, json_t *json)
{
    uint64_t version;
    int rc = meta_next(s->txn, "directory_version", &version);
    if (rc == STORE_OK)
        rc = store_put_json(s->txn, TABLE_DIRECTORY, store_bytes("directory", 9), json);
    return rc;
}

static int directory_work(Step *s, void *context)
{
    DirectoryWork *w = context;
    json_t *problems = json_array();
    Directory *dir = directory_parse(w->json, problems);
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
        rc = directory_store(s, w->json);
    }
    if (rc == STORE_OK)
        directory_keep(s, dir);   /* not parsed again by the next step */
    else
        directory_free(dir);
    json_decref(problems);
    return rc;
}

int engine_directory_load(Engine *e, json_t *json, int64_t now, char *why, size_t why_len)
{
    DirectoryWork w = {json};
    return engine_run_step(e, now, directory_work, &w, why, why_len);
}

json_t *engine_directory(Engine *e)
{
    json_t *json = NULL;
    StoreTxn *txn;
    if (store_begin(e->store, false, &txn) != STORE_OK)
        return NULL;
    store_get_json(txn, TABLE_DIRECTORY, store_bytes("directory", 9), &json);
    store_abort(txn);
    return json;
}

/* ---- absences while asks are open ---- */

typedef struct AwayWork {
    const char *person, *from, *to, *delegate;
    bool back;
} AwayWork;

typedef struct OpenTasks {
    json_t *ids;
} OpenTasks;

static int open_tasks_visit(void *context, StoreBytes key, StoreBytes value)
{
    (void)key;
    OpenTasks *o = context;
    json_t *task = json_loadb(value.data, value.len, 0, NULL);
    if (task && strcmp(json_string_value(json_object_get(task, "status")), "open") == 0)
        json_array_append(o->ids, json_object_get(task, "id"));
    json_decref(task);
    return STORE_OK;
}

/* A holder who is away now gets their substitute added beside them (returning removes
   nobody). */
static int tasks_cover_absences(Step *s)
{
    OpenTasks o = {json_array()};
    int rc = store_scan(s->txn, TABLE_TASKS, store_bytes(NULL, 0), store_bytes(NULL, 0), open_tasks_visit, &o);
    size_t i;
    json_t *id;
    json_array_foreach(o.ids, i, id)
        if (rc == STORE_OK)
            rc = task_cover_absences(s, json_string_value(id));
    json_decref(o.ids);
    return rc;
}

static int away_work(Step *s, void *context);

int directory_change(Step *s, const char *person, const char *from, const char *to,
                     const char *delegate, bool back)
{
    AwayWork w = {person, from, to, delegate, back};
    return away_work(s, &w);
}

static int away_work(Step *s, void *context)
{
    AwayWork *w = context;
    json_t *json = NULL;
    if (store_get_json(s->txn, TABLE_DIRECTORY, store_bytes("directory", 9), &json) != STORE_OK)
        return step_fail(s, ENGINE_REFUSED, "no directory is loaded: load one with huddle directory load");
    json_t *person = json_object_get(json_object_get(json, "people"), w->person);
    if (!person) {
        json_decref(json);
        return step_fail(s, ENGINE_REFUSED, "no person '%s' in the directory", w->person);
    }
    json_t *away = json_object_get(person, "away");
    if (!away) {
        away = json_array();
        json_object_set_new(person, "away", away);
    }
    char now[40];
    time_text(s->now, now);
    if (w->back) {
        /* An absence going on now ends now; later ones stay. The parsed directory knows
           each absence's instants, whether written as dates or times. */
        const Directory *dir = step_directory(s);
        const DirPerson *p = dir ? dir_person(dir, w->person) : NULL;
        size_t i;
        json_t *a;
        json_array_foreach(away, i, a)
            if (p && i < p->absence_count && p->absences[i].from_ms <= s->now && s->now < p->absences[i].until_ms)
                json_object_set_new(a, "to", json_string(now));
    } else {
        json_t *absence = json_pack("{s:s}", "from", w->from ? w->from : now);
        if (w->to)
            json_object_set_new(absence, "to", json_string(w->to));
        if (w->delegate)
            json_object_set_new(absence, "delegate", json_string(w->delegate));
        json_array_append_new(away, absence);
    }
    json_t *problems = json_array();
    Directory *check = directory_parse(json, problems);
    int rc = STORE_OK;
    if (!check)
        rc = step_fail(s, ENGINE_REFUSED, "%s", json_string_value(json_array_get(problems, 0)));
    else
        rc = directory_store(s, json);
    directory_free(check);
    json_decref(problems);
    json_decref(json);
    if (rc == STORE_OK && !w->back)
        rc = tasks_cover_absences(s);
    return rc;
}

int engine_away(Engine *e, const char *person, const char *from, const char *to,
                const char *delegate, bool back, int64_t now, char *why, size_t why_len)
{
    AwayWork w = {person, from, to, delegate, back};
    return engine_run_input(e, now, away_work, &w, why, why_len);
}

/* ---- dedup retention ---- */

typedef struct SeenPurge {
    int64_t before_ms;
    json_t *keys;                   /* hex of keys to delete */
} SeenPurge;

static int seen_visit(void *context, StoreBytes key, StoreBytes value)
{
    SeenPurge *p = context;
    json_t *entry = json_loadb(value.data, value.len, 0, NULL);
    int64_t at;
    if (entry && value_parse_time(json_string_value(json_object_get(entry, "at")) ? json_string_value(json_object_get(entry, "at")) : "", &at) &&
        at < p->before_ms)
        json_array_append_new(p->keys, json_stringn(key.data, key.len));
    json_decref(entry);
    return STORE_OK;
}

static int purge_work(Step *s, void *context)
{
    SeenPurge *p = context;
    int rc = store_scan(s->txn, TABLE_SEEN, store_bytes(NULL, 0), store_bytes(NULL, 0), seen_visit, p);
    size_t i;
    json_t *key;
    json_array_foreach(p->keys, i, key)
        if (rc == STORE_OK)
            rc = store_del(s->txn, TABLE_SEEN, store_bytes(json_string_value(key), json_string_length(key)));
    return rc;
}

int engine_purge_seen(Engine *e, int64_t now, int days, char *why, size_t why_len)
{
    SeenPurge p = {now - (int64_t)days * 86400000, json_array()};
    int rc = engine_run_step(e, now, purge_work, &p, why, why_len);
    json_decref(p.keys);
    return rc;
}
