/*
 * engine_txn.c - what every step stands on: the step's transaction (its clock, its
 * history records, engine_run_step), JSON records and counters in the store, the engine
 * codes a transaction ends with (engine_result, engine_strerror), and the small text
 * helpers steps share. It calls no other engine file but the codec (engine_codec.c, the
 * records' bytes): the rest of the engine is built on it.
 */
#include "engine_internal.h"
#include "engine_small_values.h"
#include "civil.h"
#include "text.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- memory ---- */

/* JSON allocations go through engine_alloc (json_set_alloc_funcs, in engine_new), so a
   step learns that one failed even where jansson only hands back NULL (a field not set,
   an item not appended): the step compares the count of failures before and after. */
static _Thread_local unsigned long alloc_failures;
static _Thread_local unsigned long alloc_fail_at;   /* tests: the allocation that fails */

void engine_fail_allocation(unsigned long n)
{
    alloc_fail_at = n;
}

unsigned long engine_alloc_failures(void)
{
    return alloc_failures;
}

/* Small blocks freed through engine_release are kept per size, per thread, and handed out
   again. jansson makes and frees several blocks per field of every record and instance
   (the object, its table, each key and value): more at once than glibc's own cache keeps
   (7 a size), so most of a step's frees took its slow path (_int_free was 6.6 % of a
   fired timer's instructions under callgrind, docs/performance-log.md). A kept block is one
   malloc made at its class's usable size, so malloc_usable_size names its class when it
   comes back. Not in sanitizer builds, which must see every malloc and free. A block
   is handed out again at once, so a use after free that glibc's own cache happens to
   forgive (its bookkeeping sits where a json_t keeps its reference count) shows up here:
   docs/internals.md, "Allocation", tells of the one it found. */
#if defined(__GLIBC__) && !defined(__SANITIZE_ADDRESS__)
#include <malloc.h>
#define SMALL_CLASSES 17            /* classes 2-16: 24 to 248 usable bytes, by 16 */
#define SMALL_KEEP 4096             /* blocks kept a class, at most (about 1 MiB in all) */

static bool keep_blocks = true;     /* engine_alloc_keep_blocks */
/* Each class's kept blocks as a stack of pointers (SMALL_KEEP each, made at the class's
   first release), not a list threaded through the blocks: taking one does not read the
   block, which is cold by then (a list's `b->next` load missed the cache at nearly every
   allocation: 7 % of serve's engine thread, docs/performance-log.md). */
static _Thread_local void **small_kept[SMALL_CLASSES];
static _Thread_local unsigned small_count[SMALL_CLASSES];

static void *small_alloc(size_t size)
{
    size_t k = (size + 8 + 15) / 16;
    if (k >= SMALL_CLASSES || !keep_blocks)
        return malloc(size);
    k = k < 2 ? 2 : k;
    if (!small_count[k])
        return malloc(k * 16 - 8);
    return small_kept[k][--small_count[k]];
}

void engine_release(void *p)
{
    if (!p)
        return;
    size_t k = (malloc_usable_size(p) + 8) / 16;
    if (k < 2 || k >= SMALL_CLASSES || small_count[k] >= SMALL_KEEP || !keep_blocks) {
        free(p);
        return;
    }
    if (!small_kept[k] && !(small_kept[k] = malloc(SMALL_KEEP * sizeof *small_kept[k]))) {
        free(p);
        return;
    }
    small_kept[k][small_count[k]++] = p;
}

void engine_alloc_keep_blocks(bool keep)
{
    keep_blocks = keep;
    if (!keep)
        engine_alloc_flush();
}

void engine_alloc_flush(void)
{
    for (size_t k = 0; k < SMALL_CLASSES; k++) {
        while (small_count[k])
            free(small_kept[k][--small_count[k]]);
        free(small_kept[k]);
        small_kept[k] = NULL;
    }
}
#else
static void *small_alloc(size_t size)
{
    return malloc(size);
}

void engine_release(void *p)
{
    free(p);
}

void engine_alloc_flush(void)
{
}

void engine_alloc_keep_blocks(bool keep)
{
    (void)keep;
}
#endif

void *engine_alloc(size_t size)
{
    if (alloc_fail_at > 0 && --alloc_fail_at == 0) {
        alloc_failures++;
        return NULL;
    }
    void *p = small_alloc(size ? size : 1);
    if (!p)
        alloc_failures++;
    return p;
}

void *engine_calloc(size_t count, size_t size)
{
    if (size && count > SIZE_MAX / size) {
        alloc_failures++;
        return NULL;
    }
    void *p = engine_alloc(count * size);
    if (p)
        memset(p, 0, count * size);
    return p;
}

void *engine_realloc(void *old, size_t size)
{
    if (alloc_fail_at > 0 && --alloc_fail_at == 0) {
        alloc_failures++;
        return NULL;
    }
    void *p = realloc(old, size ? size : 1);
    if (!p)
        alloc_failures++;
    return p;
}

void engine_alloc_init(void)
{
    json_set_alloc_funcs(engine_alloc, engine_release);
}

/* ---- a step's start, failures and end ---- */

void step_begin(Step *s, Engine *e, StoreTxn *txn, int64_t now, StepRecords *records, char *why,
                size_t why_len)
{
    memset(s, 0, sizeof *s);
    s->engine = e;
    s->txn = txn;
    s->now = now;
    s->records = records;
    s->why = why;
    s->why_len = why_len;
    s->alloc_failures = alloc_failures;
    s->value_failures = value_oom_count();
    s->strbuf_failures = strbuf_failures();
    if (why_len)
        why[0] = '\0';
    if (e)
        engine_set_refusal(e, ENGINE_REFUSAL_INPUT, NULL);
}

void engine_set_refusal(Engine *e, EngineRefusalKind kind, const char *field)
{
    e->refusal.kind = kind;
    if (field)
        snprintf(e->refusal.field, sizeof e->refusal.field, "%s", field);
    else
        e->refusal.field[0] = '\0';   /* each step begins so: no snprintf on the hot path */
}

const EngineRefusal *engine_refusal(const Engine *engine)
{
    return &engine->refusal;
}

/* What a person does about a damaged store (RUNTIME.md, "Limits and damage": refused
   "with a sentence that says what to do"), at the end of every "the store is damaged: ..." */
#define STORE_DAMAGED_ADVICE "; restore the store from a backup made with mdb_copy (docs/operations.md, Backups)"

static int step_fail_with(Step *s, int code, const char *fmt, va_list args)
{
    if (s->failed)
        return code;   /* the step already failed: that sentence stays */
    vsnprintf(s->why, s->why_len, fmt, args);
    if (code != ENGINE_REFUSED && code < 0)
        s->failed = code;
    if (code == ENGINE_REFUSED && s->engine)
        engine_set_refusal(s->engine, ENGINE_REFUSAL_INPUT, NULL);
    return code;
}

int step_fail(Step *s, int code, const char *fmt, ...)
{
    va_list args;
    va_start(args, fmt);
    int rc = step_fail_with(s, code, fmt, args);
    va_end(args);
    return rc;
}

int step_refuse(Step *s, EngineRefusalKind kind, const char *field, const char *fmt, ...)
{
    va_list args;
    va_start(args, fmt);
    bool failed = s->failed != 0;
    int rc = step_fail_with(s, ENGINE_REFUSED, fmt, args);
    va_end(args);
    if (!failed && s->engine)
        engine_set_refusal(s->engine, kind, field);
    return rc;
}

int step_end(Step *s, int rc)
{
    /* A failed allocation anywhere in the step (jansson's, the engine's, a value's, a
       text buffer's or the VM's) fails it, whatever it went on to do: a VM that ran out
       of memory is never recorded as a stalled instance. */
    if (alloc_failures != s->alloc_failures || value_oom_count() != s->value_failures ||
        strbuf_failures() != s->strbuf_failures) {
        snprintf(s->why, s->why_len, "out of memory");
        return ENGINE_NO_MEMORY;
    }
    if (s->failed)
        return s->failed;
    return rc;
}

/* ---- records in the store ---- */

/* Names what `key` of `table` holds, for a message about it: "task t3", "history record
   4 of i2", "the timer of i7 due 2026-...". */
static void record_name(StoreTable table, StoreBytes key, char *out, size_t out_len)
{
    const unsigned char *k = key.data;
    unsigned long long number = key.len >= 8 ? (unsigned long long)store_read_be64(k) : 0;
    char at[40];
    switch (table) {
    case TABLE_TASKS:
        snprintf(out, out_len, "task t%llu", number);
        return;
    case TABLE_INSTANCES:
        snprintf(out, out_len, "instance i%llu", number);
        return;
    case TABLE_HISTORY:
        snprintf(out, out_len, "history record %lu of i%llu",
                 key.len == 12 ? (unsigned long)k[8] << 24 | (unsigned long)k[9] << 16 | (unsigned long)k[10] << 8 | k[11] : 0UL,
                 number);
        return;
    case TABLE_TIMERS:
        time_text((int64_t)number, at);
        snprintf(out, out_len, "the timer of i%llu due %s",
                 key.len == 20 ? (unsigned long long)store_read_be64(k + 8) : 0ULL, at);
        return;
    case TABLE_MAILBOX:
        snprintf(out, out_len, "mailbox entry %llu of i%llu",
                 key.len == 16 ? (unsigned long long)store_read_be64(k + 8) : 0ULL, number);
        return;
    case TABLE_OUTBOX:
        snprintf(out, out_len, "outbox entry %llu", number);
        return;
    case TABLE_META:
        snprintf(out, out_len, "meta entry %.*s", (int)key.len, (const char *)key.data);
        return;
    case TABLE_PLAYBOOKS:
        snprintf(out, out_len, "playbook %.*s", (int)key.len, (const char *)key.data);
        return;
    case TABLE_DIRECTORY:
        snprintf(out, out_len, "the directory");
        return;
    case TABLE_SEEN: {
        StoreBytes source, id;
        if (seen_key_split(key, false, &source, &id))
            snprintf(out, out_len, "seen event %.*s %.*s", (int)source.len, (const char *)source.data,
                     (int)id.len, (const char *)id.data);
        else
            snprintf(out, out_len, "seen event (a key of %zu bytes)", key.len);
        return;
    }
    default: {
        /* cases, windows: "playbook\0key..." */
        static const char *const NAMES[TABLE_COUNT] = {
            [TABLE_CASES] = "case", [TABLE_WINDOWS] = "threshold window entry",
            [TABLE_INBOX] = "inbox entry",
            [TABLE_PROGRAMS] = "program", [TABLE_INPUTS] = "input"};
        size_t first = strnlen(key.data, key.len);
        const char *rest = first + 1 < key.len ? (const char *)key.data + first + 1 : "";
        size_t rest_len = first + 1 < key.len ? strnlen(rest, key.len - first - 1) : 0;
        snprintf(out, out_len, "%s %.*s%s%.*s", NAMES[table] ? NAMES[table] : "record", (int)first,
                 (const char *)key.data, rest_len ? " " : "", (int)rest_len, rest);
        return;
    }
    }
}

int step_fail_damaged(Step *s, const char *fmt, ...)
{
    char what[400];
    va_list args;
    va_start(args, fmt);
    vsnprintf(what, sizeof what, fmt, args);
    va_end(args);
    return step_fail(s, ENGINE_FAILED, "the store is damaged: %s" STORE_DAMAGED_ADVICE, what);
}

int step_damaged(Step *s, StoreTable table, StoreBytes key, const char *what)
{
    char name[160];
    record_name(table, key, name, sizeof name);
    return step_fail_damaged(s, "%s %s", name, what);
}

/* A store code from reading `key`: the store's failure, named. */
static int step_read_failed(Step *s, StoreTable table, StoreBytes key, int rc)
{
    char name[160];
    record_name(table, key, name, sizeof name);
    return step_fail(s, rc, "store error reading %s: %s", name, store_strerror(rc));
}

/* The fields every reader of a table's records relies on, with their types: a record
   without one is damaged. Keep in sync with the writers (task_create, instance_start,
   timer_set, suspend_call, case_join, events_accept, deploy_work, record_begin). */
typedef struct RecordField {
    const char *name;
    json_type type;
} RecordField;

#define FIELDS_MAX 6
static const RecordField REQUIRED[TABLE_COUNT][FIELDS_MAX] = {
    [TABLE_INSTANCES] = {{"id", JSON_STRING}, {"playbook", JSON_STRING}, {"version", JSON_STRING},
                         {"status", JSON_STRING}, {"history", JSON_INTEGER}, {"step", JSON_INTEGER}},
    [TABLE_TASKS] = {{"id", JSON_STRING}, {"instance", JSON_STRING}, {"status", JSON_STRING},
                     {"seats", JSON_ARRAY}, {"votes", JSON_ARRAY}, {"choices", JSON_ARRAY}},
    [TABLE_HISTORY] = {{"instance", JSON_STRING}, {"seq", JSON_INTEGER}, {"kind", JSON_STRING}},
    [TABLE_TIMERS] = {{"kind", JSON_STRING}, {"suspension", JSON_INTEGER}},
    [TABLE_OUTBOX] = {{"connector", JSON_STRING}, {"operation", JSON_STRING},
                      {"instance", JSON_INTEGER}, {"suspension", JSON_INTEGER}},
    [TABLE_CASES] = {{"instance", JSON_INTEGER}},
    [TABLE_PLAYBOOKS] = {{"hash", JSON_STRING}, {"log", JSON_ARRAY}},
    [TABLE_MAILBOX] = {{"source", JSON_STRING}, {"type", JSON_STRING}, {"id", JSON_STRING}},
    [TABLE_WINDOWS] = {{"source", JSON_STRING}, {"type", JSON_STRING}, {"id", JSON_STRING}},
    [TABLE_SEEN] = {{"at", JSON_STRING}},
};

static const char *json_type_name(json_type type)
{
    return type == JSON_STRING ? "text" : type == JSON_ARRAY ? "list" : "integer";
}

static int check_fields(Step *s, StoreTable table, StoreBytes key, const json_t *record)
{
    for (size_t i = 0; i < FIELDS_MAX && REQUIRED[table][i].name; i++) {
        const RecordField *field = &REQUIRED[table][i];
        json_t *value = json_object_get(record, field->name);
        if (!value || json_typeof(value) != field->type) {
            char what[80];
            snprintf(what, sizeof what, "has no \"%s\" %s", field->name, json_type_name(field->type));
            return step_damaged(s, table, key, what);
        }
    }
    return STORE_OK;
}

int engine_parse_json(Step *s, StoreTable table, StoreBytes key, StoreBytes value, json_t **out)
{
    char what[240];
    if (table == TABLE_HISTORY)
        history_split(value, NULL, &value);   /* the record after its stamp */
    int rc = small_value_load(table, value.data, value.len, out, what, sizeof what);   /* typed or the codec's */
    if (rc == CODEC_NO_MEMORY)
        return step_fail(s, ENGINE_NO_MEMORY, "out of memory");
    if (rc != CODEC_OK)
        return step_damaged(s, table, key, what);
    rc = json_is_object(*out) ? check_fields(s, table, key, *out)
                              : step_damaged(s, table, key, "is not a JSON object");
    if (rc != STORE_OK) {
        json_decref(*out);
        *out = NULL;
    }
    return rc;
}

int engine_get_json(Step *s, StoreTable table, StoreBytes key, json_t **out)
{
    StoreBytes value;
    *out = NULL;
    int rc = store_get(s->txn, table, key, &value);
    if (rc == STORE_NOT_FOUND)
        return rc;
    if (rc != STORE_OK)
        return step_read_failed(s, table, key, rc);
    return engine_parse_json(s, table, key, value, out);
}

/* A buffer that grew past this for a big record is let go once it is stored. */
#define RECORD_BYTES_KEEP (1u << 20)

StrBuf *engine_record_bytes(Step *s, const void *prefix, size_t prefix_len, const json_t *value)
{
    StrBuf *bytes = &s->engine->record_bytes;
    bytes->len = 0;
    strbuf_append(bytes, prefix, prefix_len);
    int rc = value ? codec_encode(value, bytes) : CODEC_NO_MEMORY;
    if (rc == CODEC_OK)
        return bytes;
    engine_record_bytes_done(s);
    if (rc == CODEC_NO_MEMORY)
        step_fail(s, ENGINE_NO_MEMORY, "out of memory");
    else
        step_fail(s, ENGINE_FAILED, "a record to store nests deeper than %d levels", CODEC_DEPTH_MAX);
    return NULL;
}

void engine_record_bytes_done(Step *s)
{
    StrBuf *bytes = &s->engine->record_bytes;
    if (strbuf_failed(bytes) || bytes->cap > RECORD_BYTES_KEEP)
        strbuf_free(bytes);
    bytes->len = 0;
}

int engine_put_json(Step *s, StoreTable table, StoreBytes key, const json_t *value)
{
    StrBuf *bytes = engine_record_bytes(s, NULL, 0, value);
    if (!bytes)
        return s->failed;
    int rc = store_put(s->txn, table, key, store_bytes(bytes->data, bytes->len));
    engine_record_bytes_done(s);
    return rc;
}

int engine_scan(Step *s, StoreTable table, StoreBytes prefix, StoreVisit visit, void *context)
{
    return engine_scan_from(s, table, prefix, store_bytes(NULL, 0), visit, context);
}

int engine_scan_from(Step *s, StoreTable table, StoreBytes prefix, StoreBytes from, StoreVisit visit,
                     void *context)
{
    int rc = store_scan(s->txn, table, prefix, from, visit, context);
    if (rc == STORE_OK || rc <= ENGINE_REFUSED || s->failed)
        return rc;   /* done, or a visitor said why */
    return step_fail(s, rc, "store error reading the %s table: %s", store_table_name(table),
                     store_strerror(rc));
}

/* ---- counters in meta ---- */

/* The counter as meta keeps it. */
static int counter_read(Step *s, const char *counter, uint64_t *value)
{
    StoreBytes key = store_bytes(counter, strlen(counter)), old;
    *value = 0;
    int rc = store_get(s->txn, TABLE_META, key, &old);
    if (rc == STORE_NOT_FOUND)
        return STORE_OK;   /* never raised */
    if (rc != STORE_OK)
        return step_read_failed(s, TABLE_META, key, rc);
    if (old.len != 8)
        return step_damaged(s, TABLE_META, key, "is not an 8-byte number");
    *value = store_read_be64(old.data);
    return STORE_OK;
}

/* The counter's value, and its place in the running batch's counters (*kept; read from
   meta into them the first time), or *kept NULL outside a batch (or with its counters
   full): the value is then meta's. */
static int counter_kept(Step *s, const char *counter, uint64_t *value, BatchCounter **kept)
{
    BatchCounters *c = &s->engine->counters;
    *kept = counters_find(c, s->txn, counter);
    if (*kept) {
        *value = (*kept)->value;
        return STORE_OK;
    }
    int rc = counter_read(s, counter, value);
    if (rc == STORE_OK && counters_serve(c, s->txn))
        *kept = counters_add(c, counter, *value);
    return rc;
}

int engine_counter(Step *s, const char *counter, uint64_t *value)
{
    BatchCounter *kept;
    return counter_kept(s, counter, value, &kept);
}

int engine_counter_put(Step *s, const char *counter, uint64_t value)
{
    BatchCounter *kept = counters_find(&s->engine->counters, s->txn, counter);
    if (!kept && counters_serve(&s->engine->counters, s->txn))
        kept = counters_add(&s->engine->counters, counter, 0);   /* its old value is never read */
    if (kept) {
        counters_set(&s->engine->counters, kept, value);   /* meta gets it before the batch commits */
        return STORE_OK;
    }
    return counter_store(s->txn, counter, value);
}

int engine_counter_next(Step *s, const char *counter, uint64_t *value)
{
    uint64_t now;
    BatchCounter *kept;
    int rc = counter_kept(s, counter, &now, &kept);
    if (rc != STORE_OK)
        return rc;
    *value = now + 1;
    if (kept) {
        counters_set(&s->engine->counters, kept, now + 1);
        return STORE_OK;
    }
    return engine_counter_put(s, counter, now + 1);
}

int engine_counter_next_fresh(Step *s, const char *counter, StoreTable table, const char *letter, uint64_t *value)
{
    int rc = engine_counter_next(s, counter, value);
    if (rc != STORE_OK)
        return rc;
    unsigned char key[8];
    store_be64(*value, key);
    StoreBytes taken;
    rc = store_get(s->txn, table, store_bytes(key, 8), &taken);
    if (rc == STORE_NOT_FOUND)
        return STORE_OK;
    if (rc != STORE_OK)
        return step_fail(s, rc, "store error reading %s%llu: %s", letter, (unsigned long long)*value,
                         store_strerror(rc));
    return step_fail_damaged(s, "meta's %s gives %s%llu to a new one, but %s%llu is there already (the counter was "
                             "lost or went back, and the new one would overwrite it)",
                             counter, letter, (unsigned long long)*value, letter, (unsigned long long)*value);
}

int engine_counter_next_last(Step *s, const char *counter, StoreTable table, const unsigned char prefix[8],
                             const char *what, uint64_t *value)
{
    int rc = engine_counter_next(s, counter, value);
    if (rc != STORE_OK)
        return rc;
    unsigned char last[16];
    memcpy(last, prefix, 8);
    memset(last + 8, 0xFF, 8);
    StoreBytes found, entry;
    rc = store_floor(s->txn, table, store_bytes(last, 16), &found, &entry);
    if (rc == STORE_NOT_FOUND || (rc == STORE_OK && (found.len != 16 || memcmp(found.data, prefix, 8) != 0)))
        return STORE_OK;   /* none under the prefix (a key of another length is its reader's damage) */
    if (rc != STORE_OK)
        return step_fail(s, rc, "store error reading the %s table: %s", store_table_name(table), store_strerror(rc));
    uint64_t held = store_read_be64((const unsigned char *)found.data + 8);
    if (held < *value)
        return STORE_OK;
    return step_fail_damaged(s, "meta's %s gives the number %llu to a new %s, but it holds number %llu already "
                             "(the counter was lost or went back, and the new one would overwrite it or come "
                             "before it)", counter, (unsigned long long)*value, what, (unsigned long long)held);
}

/* ---- text ---- */

/* The engine's text of a time: RFC 3339 in UTC (civil_time_text). Offset 0 keeps it
   under 40 bytes: an int64 of milliseconds is a year of at most 9 digits and a sign.
   A step writes many records at its `now`, and an ask its deadline beside them: the
   last two texts made on this thread are kept. */
void time_text(int64_t ms, char out[40])
{
    static _Thread_local struct { int64_t ms; char text[40]; } kept[2] = {{INT64_MIN, ""}, {INT64_MIN, ""}};
    static _Thread_local unsigned older;
    for (unsigned i = 0; i < 2; i++)
        if (kept[i].ms == ms && ms != INT64_MIN) {
            memcpy(out, kept[i].text, sizeof kept[i].text);
            return;
        }
    char text[CIVIL_TIME_TEXT];
    size_t len = civil_time_text(ms, 0, text);
    memcpy(out, text, len + 1);
    memcpy(kept[older].text, text, len + 1);
    kept[older].ms = ms;
    older ^= 1;
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
    ask_window_forget(e);
    directory_free(e->directory);
    e->directory = NULL;
    e->directory_loaded = false;
    json_decref(e->playbook_names);
    json_decref(e->playbook_hashes);
    e->playbook_names = e->playbook_hashes = NULL;
}

/* ---- engine codes ---- */

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
    int code = rc == ENGINE_NO_MEMORY || rc == STORE_NO_MEMORY ? ENGINE_NO_MEMORY
             : rc == STORE_BUSY ? ENGINE_BUSY
             : rc == STORE_NOT_A_STORE ? ENGINE_NOT_A_STORE : ENGINE_FAILED;
    if (why_len && !why[0]) {
        if (rc == STORE_NOT_FOUND)
            snprintf(why, why_len, "the store is damaged: a record it refers to is missing" STORE_DAMAGED_ADVICE);
        else if (rc <= ENGINE_REFUSED)
            snprintf(why, why_len, "%s", engine_strerror(rc));
        else
            snprintf(why, why_len, "store error: %s", store_strerror(rc));
    }
    return code;
}

/* ---- small objects without json_pack ---- */

json_t *json_texts(const char *key, ...)
{
    json_t *object = json_object();
    int unset = 0;
    va_list args;
    va_start(args, key);
    for (; key; key = va_arg(args, const char *)) {
        const char *text = va_arg(args, const char *);
        unset |= json_object_set_new_nocheck(object, key, text ? json_stringn_nocheck(text, strlen(text)) : NULL);
    }
    va_end(args);
    if (unset) {
        json_decref(object);
        return NULL;
    }
    return object;
}

int json_set_integer(json_t *object, const char *key, json_int_t value)
{
    return json_object_set_new_nocheck(object, key, json_integer(value));
}

/* ---- the step's history records ---- */

/* Links record i of the step's list on chain `c` (engine_chain.c), its stamp in `stamp`. */
static int record_link(Step *s, HistoryChain *chain, size_t i, unsigned char stamp[HISTORY_STAMP_MAX],
                       size_t *stamp_len)
{
    const StepRecord *item = &s->records->items[i];
    int rc = chain_link(chain, item->instance, item->seq, step_record_bytes(s->records, i), stamp, stamp_len);
    if (rc == STORE_NOT_FOUND)
        rc = step_fail_damaged(s, "history record %lu of i%llu, before "
                       "the one being written, is missing or has no hash (huddle audit verify "
                       "names what changed)", (unsigned long)item->seq - 1, (unsigned long long)item->instance);
    else if (rc == ENGINE_FAILED)
        rc = step_fail(s, rc, "a history record of i%llu cannot be put in its canonical form",
                       (unsigned long long)item->instance);
    return rc;
}

/* The end of the run of records from i that go in one entry: the same instance, seqs
   one after another (the chain gives them places one after another too). */
static size_t entry_end(const StepRecords *r, size_t i)
{
    size_t j = i + 1;
    while (j < r->count && r->items[j].instance == r->items[i].instance &&
           r->items[j].seq == r->items[j - 1].seq + 1)
        j++;
    return j;
}

/* Indexes record i in the decisions index when it is of a kind the index keeps: only
   those are read, from the bytes the chain has just checked and walked (record_link:
   the index takes the record's members from that walk). */
static int record_index(Step *s, HistoryChain *chain, size_t i)
{
    const StepRecord *item = &s->records->items[i];
    ask_window_written(s->engine, item->instance);   /* a fold kept of it is out of date */
    if (item->kind[0] == 'r' && !strcmp(item->kind, "resolved"))
        ask_window_note(s, item->instance);
    if (item->seq == 1 && !strcmp(item->kind, "started")) {
        StoreBytes started = step_record_bytes(s->records, i);
        audit_index_started(item->instance, started.data, started.len, &chain->canonical);
    }   /* the next ask in this transaction sees it */
    bool needed;
    int rc = audit_index_needs(s->txn, item->kind, item->instance, &needed);
    if (rc != STORE_OK || !needed)
        return rc;
    StoreBytes bytes = step_record_bytes(s->records, i);
    int rc_index = audit_index_record(s->txn, bytes.data, bytes.len, s->records, i, &chain->canonical,
                                      s->engine->index_scratch);
    StrBuf *scratch = s->engine->index_scratch;
    for (int k = 0; k < 2; k++)
        if (scratch[k].cap > RECORD_BYTES_KEEP || strbuf_failed(&scratch[k]))
            strbuf_free(&scratch[k]);   /* one grown past the keep for a big row let go */
    return rc_index;
}

/* Puts records i to j - 1 of the step's list in the store as one entry, linked on the
   chain (engine_history.c has the layout): one record behind its own stamp (its bytes
   lie behind room for it), several behind one stamp of HISTORY_ENTRY_TAG. Each record
   is indexed as soon as it is linked, while the chain's walk of it is at hand. */
static int entry_put(Step *s, HistoryChain *chain, size_t i, size_t j)
{
    StepRecords *r = s->records;
    const StepRecord *item = &r->items[i];
    unsigned char key[12], stamp[HISTORY_STAMP_MAX];
    size_t stamp_len = 0;
    uint64_t first = chain->count + 1;
    int rc = STORE_OK;
    for (size_t k = i; rc == STORE_OK && k < j; k++) {
        rc = record_link(s, chain, k, stamp, &stamp_len);
        if (rc == STORE_OK)
            rc = record_index(s, chain, k);
    }
    if (rc != STORE_OK)
        return rc;
    history_key(item->instance, item->seq, key);
    if (j - i == 1) {
        char *value = r->bytes.data + item->at - stamp_len;
        memcpy(value, stamp, stamp_len);
        return store_put(s->txn, TABLE_HISTORY, store_bytes(key, 12), store_bytes(value, item->len + stamp_len));
    }
    StrBuf *value = &s->engine->record_bytes;
    value->len = 0;
    history_entry_begin(value, first, (uint32_t)(j - i), chain->last);
    for (size_t k = i; k < j; k++)
        history_entry_add(value, step_record_bytes(r, k));
    rc = strbuf_failed(value) ? step_fail(s, ENGINE_NO_MEMORY, "out of memory")
       : store_put(s->txn, TABLE_HISTORY, store_bytes(key, 12), store_bytes(value->data, value->len));
    engine_record_bytes_done(s);   /* a failed or big buffer let go */
    return rc;
}

/* Links and puts the step's records not yet written, on chain `c`. */
static int records_put(Step *s, HistoryChain *c)
{
    int settled = records_settle(s->records, s->written);
    if (settled == CODEC_NO_MEMORY)
        return step_fail(s, ENGINE_NO_MEMORY, "out of memory");
    if (settled != CODEC_OK)
        return step_fail(s, ENGINE_FAILED, "a record to store nests deeper than %d levels", CODEC_DEPTH_MAX);
    int rc = STORE_OK;
    c->txn = s->txn;   /* a nested step reads the record before through its own */
    for (size_t i = s->written, j; rc == STORE_OK && i < s->records->count; i = j) {
        j = entry_end(s->records, i);
        rc = entry_put(s, c, i, j);
        if (rc == STORE_OK)
            s->written = j;
    }
    return rc;
}

static int chain_damaged(Step *s, int rc)
{
    if (rc == ENGINE_FAILED)
        return step_damaged(s, TABLE_META, store_bytes("audit_head", 10), "is not a 32-byte hash with its count");
    return rc;
}

/* The canonical form's scratch goes back to the engine, kept from step to step (one
   that grew past RECORD_BYTES_KEEP for a big record is let go). */
static void chain_scratch_keep(Engine *e, HistoryChain *c)
{
    if (c->canonical.text.cap > RECORD_BYTES_KEEP || c->canonical.order.cap > RECORD_BYTES_KEEP ||
        strbuf_failed(&c->canonical.text))
        chain_free(c);
    e->canonical = c->canonical;
}

int step_write_records(Step *s)
{
    if (s->written >= s->records->count)
        return STORE_OK;
    if (s->engine->batch_chain)
        return records_put(s, s->engine->batch_chain);   /* meta is written at the batch's end */
    HistoryChain chain = {.canonical = s->engine->canonical};
    int rc = chain_damaged(s, chain_begin(&chain, s->txn));
    if (rc == STORE_OK)
        rc = records_put(s, &chain);
    if (rc == STORE_OK)
        rc = chain_end(&chain);
    chain_scratch_keep(s->engine, &chain);
    return rc;
}

/* ---- a batch's chain ---- */

int batch_run_begin(Engine *e, unsigned *runs, StepRecords *records)
{
    if ((*runs)++ > 0)
        engine_forget_caches(e);   /* they may hold what the aborted run wrote */
    step_records_clear(records);
    return STORE_OK;
}

int batch_chain_open(Step *s, HistoryChain *c)
{
    Engine *e = s->engine;
    *c = (HistoryChain){.canonical = e->canonical};
    e->canonical = (CodecCanon){0};   /* lent to the chain until it closes */
    e->batch_chain = c;
    return chain_damaged(s, chain_begin(c, s->txn));
}

int batch_chain_close(Step *s, HistoryChain *c, int rc)
{
    Engine *e = s->engine;
    if (e->batch_chain != c)
        return rc;   /* never opened */
    e->batch_chain = NULL;
    if (rc == STORE_OK) {
        c->txn = s->txn;
        rc = chain_end(c);
    }
    chain_scratch_keep(e, c);
    return rc;
}

void batch_chain_mark(const Engine *e, HistoryChain *mark)
{
    if (e->batch_chain)
        *mark = *e->batch_chain;
}

void batch_chain_rewind(Engine *e, const HistoryChain *mark)
{
    HistoryChain *c = e->batch_chain;
    if (!c)
        return;
    CodecCanon scratch = c->canonical;   /* the mark's copy of it may be stale */
    *c = *mark;
    c->canonical = scratch;
}

/* ---- the step's clock and transaction ---- */

int step_engine_time(Step *s, int64_t *kept)
{
    uint64_t value;
    int rc = engine_counter(s, "engine_time", &value);
    *kept = (int64_t)value;
    return rc;
}

int step_engine_time_put(Step *s, int64_t now)
{
    return engine_counter_put(s, "engine_time", (uint64_t)now);
}

/* Keeps engine time in meta; it never goes backwards. */
int step_clock(Step *s)
{
    int64_t kept;
    int rc = step_engine_time(s, &kept);
    if (rc != STORE_OK)
        return rc;
    if (s->now < kept)
        s->now = kept;
    return step_engine_time_put(s, s->now);
}

static int time_work(Step *s, void *context)
{
    return step_engine_time(s, context);
}

int engine_time(Engine *e, int64_t *now, char *why, size_t why_len)
{
    *now = 0;
    return engine_read(e, time_work, now, why, why_len);
}

typedef struct StepCall {
    Engine *engine;
    int64_t now;
    StepWork work;
    void *context;
    char *why;
    size_t why_len;
    StepRecords records;
    bool unchanged;                 /* the work changed nothing (Step.unchanged) */
} StepCall;

/* A step whose work says it changed nothing ends in STORE_STOP, so that store_write
   aborts it: a duplicate event "changes nothing" (RUNTIME.md, "Connectors"), not even
   the engine time in meta, which a later --now must not come before. */
static int step_transaction(StoreTxn *txn, void *context)
{
    StepCall *call = context;
    step_records_clear(&call->records);
    Step s;
    step_begin(&s, call->engine, txn, call->now, &call->records, call->why, call->why_len);
    int rc = step_clock(&s);
    if (rc == STORE_OK)
        rc = call->work(&s, call->context);
    call->unchanged = rc == STORE_OK && s.unchanged;
    if (rc == STORE_OK && !call->unchanged)
        rc = step_write_records(&s);
    rc = step_end(&s, rc);
    return rc == STORE_OK && call->unchanged ? STORE_STOP : rc;
}

int engine_run_step(Engine *e, int64_t now, StepWork work, void *context, char *why,
                    size_t why_len)
{
    StepCall call = {e, now, work, context, why, why_len, {0}, false};
    why[0] = '\0';
    int rc = store_write(e->store, step_transaction, &call);
    bool kept_nothing = rc == STORE_STOP && call.unchanged;   /* aborted on purpose */
    if (rc == STORE_OK)
        engine_report_records(e, &call.records);
    else
        engine_forget_caches(e);   /* also when kept_nothing: they may hold its clock */
    if (kept_nothing)
        rc = STORE_OK;
    step_records_free(&call.records);
    return engine_result(rc, why, why_len);
}

int engine_read(Engine *e, StepWork work, void *context, char *why, size_t why_len)
{
    StoreTxn *txn;
    if (why_len)
        why[0] = '\0';
    int rc = store_begin(e->store, false, &txn);
    if (rc != STORE_OK) {
        snprintf(why, why_len, "store error beginning a read: %s", store_strerror(rc));
        return engine_result(rc, why, why_len);
    }
    Step s;
    step_begin(&s, e, txn, 0, NULL, why, why_len);
    rc = step_end(&s, work(&s, context));
    store_abort(txn);
    if (rc != STORE_OK)
        engine_forget_caches(e);
    return engine_result(rc, why, why_len);
}
