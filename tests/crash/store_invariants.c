/*
 * store_invariants.c - checks a Huddle store's invariants and prints a canonical dump of
 * it, for the crash tests (tests/crash/run_crash.sh, tests/crash/kill9.sh).
 *
 *   store_invariants [--dump] [--quiet] DIR
 *
 * Opens DIR read-only through store.h (never LMDB directly), reads every table in one
 * read transaction and checks, printing one line per violation on standard error:
 *
 *   instances  every record is the container instance_save writes (u32 little-endian
 *              record length, the record, the frame bytes), its record (the codec's
 *              binary form, or JSON text in a store of schema 1) an object whose id is
 *              its key, its program stored, its frame (if any) decodable against that
 *              program; a running instance has a frame suspended at an ask, a wait or a
 *              call with the instance's step as its suspension id; an ended one has none
 *   asks       a running instance at an ask has exactly one open task, the one its record
 *              names, carrying its suspension id, with a live deadline timer; an instance
 *              anywhere else has no open task, but for one stalled on an ask, which may
 *              keep that ask's task open (a poison answer stalls it so: engine_poison.c)
 *   timers     every timer names an existing instance and either carries its current
 *              suspension id (and is listed in its record; a deadline names its open
 *              task) or is provably stale (the instance ended, stalled, or moved past that
 *              suspension); every timer a running instance lists exists
 *   tasks      ids match keys; an open task's instance is running (or stalled) and
 *              suspended on the ask of that task; every holder of an open task has an inbox entry; votes are
 *              by distinct people; a task resolved by a choice has enough votes for it,
 *              unless its instance's history says it was overridden (huddle resolve); a
 *              cancelled task's instance is not running on it
 *   inbox      every entry points at an open task where that person holds a seat
 *   history    seqs per instance run 1..N without gaps, N is the record's "history";
 *              an entry of a step's records (engine_history.c) reads, and the link it
 *              keeps is the link of its records worked out from the one before it
 *              counter, each record names its instance and seq, the first is `started`,
 *              none is later than the engine time; no history without an instance
 *   seen       every instance's `started` event is in seen, which says it went there;
 *              every started/joined destination in seen is backed by that instance's
 *              history; no event (source + id) started or joined two instances of one
 *              playbook
 *   cases      every owner is a running or stalled instance of that playbook and key
 *   gauges     (schema 6 on) meta's open_tasks, running_instances and stalled_instances
 *              are the open tasks and the running and stalled instances there are (no
 *              entry when there are none)
 *   counters   next_instance, next_task, next_mail and next_outbox are at least the
 *              largest id in use
 *
 * Things the design allows but that may show a leak (a stale timer, a mailbox entry of
 * an ended instance) are printed as "note:" lines and do not fail the check.
 *
 * --dump prints the whole store on standard output, one line per entry in key order,
 * canonical JSON (sorted keys), without the store's random id, so that two stores fed the
 * same inputs with the same --now times can be compared with diff. A deploy log's
 * consecutive identical entries (same version at the same time: a retried deploy) are
 * shown once.
 *
 * Exit status: 0 the invariants hold, 1 some do not, 2 usage, 3 the store cannot be read.
 */
#include <inttypes.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bytecode.h"
#include "engine_internal.h"
#include "engine_small_values.h"
#include "store.h"
#include "value_json.h"
#include "vm.h"

typedef struct Checker {
    StoreTxn *txn;
    Step step;
    char why[512];
    bool quiet;
    int violations, notes;
    int64_t engine_time;
    json_t *meta;        /* name -> number or text */
    json_t *programs;    /* hash -> length */
    json_t *playbooks;   /* name -> record */
    json_t *instances;   /* "iN" -> {number, record, frame: {state, pc, step, op, fnv} | null} */
    json_t *tasks;       /* "tN" -> task */
    json_t *inbox;       /* [{person, task}] */
    json_t *timers;      /* [{key, due, instance, order, what}] */
    json_t *history;     /* "iN" -> [records] */
    HistoryWalk walk;    /* the history's records with their links worked out (entries) */
    json_t *seen;        /* [{source, id, value}] */
    unsigned schema;     /* the store's schema (which form its seen keys take) */
    json_t *cases;       /* [{playbook, key, value}] */
    json_t *mailbox;     /* [{instance, seq, event}] */
    json_t *outbox;      /* [{seq, entry}] */
    json_t *inputs;      /* [{key, value}] */
    json_t *windows;     /* [{key, value}] */
    json_t *directory;   /* [{key, value}] */
} Checker;

__attribute__((format(printf, 2, 3)))
static void violation(Checker *c, const char *fmt, ...)
{
    va_list args;
    va_start(args, fmt);
    fputs("violation: ", stderr);
    vfprintf(stderr, fmt, args);
    fputc('\n', stderr);
    va_end(args);
    c->violations++;
}

__attribute__((format(printf, 2, 3)))
static void note(Checker *c, const char *fmt, ...)
{
    c->notes++;
    if (c->quiet)
        return;
    va_list args;
    va_start(args, fmt);
    fputs("note: ", stderr);
    vfprintf(stderr, fmt, args);
    fputc('\n', stderr);
    va_end(args);
}

/* ---- small helpers ---- */

static void hex_of(const void *data, size_t len, char *out, size_t out_len)
{
    const unsigned char *bytes = data;
    size_t at = 0;
    for (size_t i = 0; i < len && at + 3 <= out_len; i++, at += 2)
        snprintf(out + at, 3, "%02x", bytes[i]);
    out[at < out_len ? at : out_len - 1] = '\0';
}

static json_t *hex_json(const void *data, size_t len)
{
    char *text = malloc(2 * len + 1);
    hex_of(data, len, text, 2 * len + 1);
    json_t *out = json_string(text);
    free(text);
    return out;
}

static bool printable(const void *data, size_t len)
{
    const unsigned char *bytes = data;
    for (size_t i = 0; i < len; i++)
        if (bytes[i] < 0x20 || bytes[i] >= 0x7f)
            return false;
    return true;
}

/* A byte string as JSON: its text when printable, else {"hex": ...}. */
static json_t *bytes_json(const void *data, size_t len)
{
    if (printable(data, len))
        return json_stringn(data, len);
    return json_pack("{s:o}", "hex", hex_json(data, len));
}

static uint64_t fnv1a(const unsigned char *bytes, size_t len)
{
    uint64_t h = 0xcbf29ce484222325ull;
    for (size_t i = 0; i < len; i++) {
        h ^= bytes[i];
        h *= 0x100000001b3ull;
    }
    return h;
}

static const char *str(const json_t *object, const char *name)
{
    return json_string_value(json_object_get(object, name));
}

static const char *str_or(const json_t *object, const char *name, const char *otherwise)
{
    const char *text = str(object, name);
    return text ? text : otherwise;
}

static bool same(const char *a, const char *b)
{
    return a && b && strcmp(a, b) == 0;
}

static uint64_t id_number(const char *id, char prefix)
{
    if (!id || id[0] != prefix || !id[1])
        return 0;
    char *end;
    unsigned long long n = strtoull(id + 1, &end, 10);
    return *end ? 0 : (uint64_t)n;
}

/* The store's id, which the dump leaves out: stores made apart have different ones, and
   the outbox's idempotency keys (STORE:INSTANCE:STEP:INDEX) carry it, so the dump
   prints it as STORE. */
static char dump_store_id[80];

static void canonical_print(const char *prefix, const json_t *value)
{
    char *text = json_dumps(value, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);
    size_t id_len = strlen(dump_store_id);
    for (char *at = text && id_len ? strstr(text, dump_store_id) : NULL; at; at = strstr(at + 5, dump_store_id)) {
        memcpy(at, "STORE", 5);
        memmove(at + 5, at + id_len, strlen(at + id_len) + 1);
    }
    printf("%s %s\n", prefix, text ? text : "?");
    free(text);
}

/* Splits "a\0b" keys: *first gets a (owned), *rest b (owned); false without a NUL. */
static bool split_key(StoreBytes key, char **first, char **rest, size_t *rest_len)
{
    const char *bytes = key.data;
    const char *nul = memchr(bytes, '\0', key.len);
    if (!nul)
        return false;
    *first = strndup(bytes, (size_t)(nul - bytes));
    *rest_len = key.len - (size_t)(nul - bytes) - 1;
    *rest = malloc(*rest_len + 1);
    memcpy(*rest, nul + 1, *rest_len);
    (*rest)[*rest_len] = '\0';
    return true;
}

/* A record as the store holds it: the codec's binary form, or JSON text in a store of
   schema 1 (codec_load); NULL, with why (if given) saying why, when it is neither. */
static json_t *record_of(const void *data, size_t len, char *why, size_t why_len)
{
    json_t *record;
    char spare[240];
    int rc = codec_load(data, len, &record, why ? why : spare, why ? why_len : sizeof spare);
    return rc == CODEC_OK ? record : NULL;
}

/* The same for a value of a table with typed values (seen, cases, mailbox, windows:
   engine_small_values.h; tasks: engine_task_record.h): the object each stands for. */
static json_t *small_record_of(StoreTable table, const void *data, size_t len)
{
    json_t *record;
    char why[240];
    return small_value_load(table, data, len, &record, why, sizeof why) == CODEC_OK ? record : NULL;
}

/* ---- loading the tables ---- */

static int meta_visit(void *context, StoreBytes key, StoreBytes value)
{
    Checker *c = context;
    char name[256];
    snprintf(name, sizeof name, "%.*s", (int)key.len, (const char *)key.data);
    bool number = strncmp(name, "next_", 5) == 0 || strcmp(name, "engine_time") == 0 ||
                  strcmp(name, "open_tasks") == 0 || strcmp(name, "running_instances") == 0 ||
                  strcmp(name, "stalled_instances") == 0 || strcmp(name, "dedup_days") == 0;
    if (value.len == 8 && number) {
        uint64_t n = store_read_be64(value.data);
        json_object_set_new(c->meta, name, json_integer((json_int_t)n));
        if (strcmp(name, "engine_time") == 0)
            c->engine_time = (int64_t)n;
    } else {
        json_object_set_new(c->meta, name, bytes_json(value.data, value.len));
    }
    return STORE_OK;
}

static int programs_visit(void *context, StoreBytes key, StoreBytes value)
{
    Checker *c = context;
    char hash[128];
    snprintf(hash, sizeof hash, "%.*s", (int)key.len, (const char *)key.data);
    json_object_set_new(c->programs, hash, json_integer((json_int_t)value.len));
    return STORE_OK;
}

static int playbooks_visit(void *context, StoreBytes key, StoreBytes value)
{
    Checker *c = context;
    char name[256];
    snprintf(name, sizeof name, "%.*s", (int)key.len, (const char *)key.data);
    json_t *record = record_of(value.data, value.len, NULL, 0);
    if (!json_is_object(record)) {
        violation(c, "playbook %s: its record is not a JSON object", name);
        json_decref(record);
        return STORE_OK;
    }
    json_object_set_new(c->playbooks, name, record);
    return STORE_OK;
}

static int instances_visit(void *context, StoreBytes key, StoreBytes value)
{
    Checker *c = context;
    if (key.len != 8) {
        char hex[64];
        hex_of(key.data, key.len, hex, sizeof hex);
        violation(c, "instances: a key of %zu bytes (%s), not 8", key.len, hex);
        return STORE_OK;
    }
    uint64_t number = store_read_be64(key.data);
    char id[32];
    snprintf(id, sizeof id, "i%" PRIu64, number);
    const unsigned char *bytes = value.data;
    if (value.len < 4) {
        violation(c, "instance %s: its value has %zu bytes, less than the 4-byte header", id, value.len);
        return STORE_OK;
    }
    uint32_t json_len = (uint32_t)bytes[0] | (uint32_t)bytes[1] << 8 | (uint32_t)bytes[2] << 16 |
                        (uint32_t)bytes[3] << 24;
    if (json_len > value.len - 4) {
        violation(c, "instance %s: its JSON length %u runs past its %zu bytes", id, json_len, value.len);
        return STORE_OK;
    }
    char unread[240];
    json_t *record;
    instance_record_stored_json(bytes + 4, json_len, &record, unread, sizeof unread);
    if (!json_is_object(record)) {
        violation(c, "instance %s: its record does not read as a JSON object (%s)", id,
                  record ? "not an object" : unread);
        json_decref(record);
        return STORE_OK;
    }
    json_t *info = json_pack("{s:I, s:o, s:n}", "number", (json_int_t)number, "record", record, "frame");
    json_object_set_new(c->instances, id, info);
    if (!same(str(record, "id"), id))
        violation(c, "instance %s: its record says id %s", id, str_or(record, "id", "(none)"));
    static const char *const STATUSES[] = {"running", "done", "failed", "cancelled", "stalled"};
    const char *status = str(record, "status");
    bool known = false;
    for (size_t i = 0; i < sizeof STATUSES / sizeof STATUSES[0]; i++)
        known |= same(status, STATUSES[i]);
    if (!known)
        violation(c, "instance %s: unknown status %s", id, status ? status : "(none)");
    if (!json_is_string(json_object_get(record, "playbook")))
        violation(c, "instance %s: no playbook", id);
    if (!json_is_integer(json_object_get(record, "history")) || !json_is_integer(json_object_get(record, "step")))
        violation(c, "instance %s: no integer history or step counter", id);
    if (!json_is_array(json_object_get(record, "tags")))
        violation(c, "instance %s: no tags list", id);
    const char *version = str(record, "version");
    const Program *program = NULL;
    if (version && engine_program(&c->step, version, &program) != STORE_OK)
        program = NULL;
    if (!program) {
        violation(c, "instance %s: its program %s is not stored or does not load", id, version ? version : "(none)");
        return STORE_OK;
    }
    size_t frame_len = value.len - 4 - json_len;
    if (frame_len == 0)
        return STORE_OK;
    const unsigned char *frame_bytes = bytes + 4 + json_len;
    char why[256] = "";
    Frame *frame = frame_decode(program, frame_bytes, frame_len, why, sizeof why);
    if (!frame) {
        violation(c, "instance %s: its frame (%zu bytes) does not decode against %s: %s", id, frame_len,
                  version, why);
        json_object_set_new(info, "frame", json_pack("{s:b}", "broken", 1));
        return STORE_OK;
    }
    Opcode op = bc_op(program->bc.code[frame->pc]);
    const char *op_name = op == OP_ASK ? "ask" : op == OP_WAIT ? "wait" : op == OP_CALL ? "call"
                        : op == OP_DONE ? "done" : op == OP_FAIL ? "fail" : bc_op_name(op);
    char fnv[17];
    snprintf(fnv, sizeof fnv, "%016" PRIx64, fnv1a(frame_bytes, frame_len));
    json_object_set_new(info, "frame", json_pack("{s:I, s:I, s:I, s:s, s:s, s:I}", "state", (json_int_t)frame->state,
                                                 "pc", (json_int_t)frame->pc, "step", (json_int_t)frame->step,
                                                 "at", op_name, "fnv", fnv, "bytes", (json_int_t)frame_len));
    frame_free(frame);
    return STORE_OK;
}

static int tasks_visit(void *context, StoreBytes key, StoreBytes value)
{
    Checker *c = context;
    if (key.len != 8) {
        violation(c, "tasks: a key of %zu bytes, not 8", key.len);
        return STORE_OK;
    }
    char id[32];
    snprintf(id, sizeof id, "t%" PRIu64, store_read_be64(key.data));
    json_t *task = small_record_of(TABLE_TASKS, value.data, value.len);
    if (!json_is_object(task)) {
        violation(c, "task %s: its record is not a JSON object", id);
        json_decref(task);
        return STORE_OK;
    }
    if (!same(str(task, "id"), id))
        violation(c, "task %s: its record says id %s", id, str_or(task, "id", "(none)"));
    json_object_set_new(c->tasks, id, task);
    return STORE_OK;
}

static int inbox_visit(void *context, StoreBytes key, StoreBytes value)
{
    Checker *c = context;
    (void)value;
    char *person, *rest;
    size_t rest_len;
    bool split = split_key(key, &person, &rest, &rest_len);
    if (!split || rest_len != 8) {
        char hex[128];
        hex_of(key.data, key.len, hex, sizeof hex);
        violation(c, "inbox: a key that is not PERSON NUL TASK (%s)", hex);
        if (split) {
            free(person);
            free(rest);
        }
        return STORE_OK;
    }
    char task[32];
    snprintf(task, sizeof task, "t%" PRIu64, store_read_be64((const unsigned char *)rest));
    json_array_append_new(c->inbox, json_pack("{s:s, s:s}", "person", person, "task", task));
    free(person);
    free(rest);
    return STORE_OK;
}

static int timers_visit(void *context, StoreBytes key, StoreBytes value)
{
    Checker *c = context;
    char hex[64];
    hex_of(key.data, key.len, hex, sizeof hex);
    if (key.len != 20) {
        violation(c, "timers: a key of %zu bytes (%s), not 20", key.len, hex);
        return STORE_OK;
    }
    const unsigned char *k = key.data;
    json_t *what = record_of(value.data, value.len, NULL, 0);
    if (!json_is_object(what)) {
        violation(c, "timer %s: its value is not a JSON object", hex);
        json_decref(what);
        return STORE_OK;
    }
    uint32_t order = (uint32_t)k[16] << 24 | (uint32_t)k[17] << 16 | (uint32_t)k[18] << 8 | k[19];
    char instance[32], due[40];
    snprintf(instance, sizeof instance, "i%" PRIu64, store_read_be64(k + 8));
    time_text((int64_t)store_read_be64(k), due);
    json_array_append_new(c->timers, json_pack("{s:s, s:s, s:s, s:I, s:o}", "key", hex, "due", due,
                                               "instance", instance, "order", (json_int_t)order, "what", what));
    return STORE_OK;
}

/* The last record of an entry of several: the link worked out from the stored one
   before the entry, through its records, is the link the entry keeps. */
static void entry_link_check(Checker *c, const HistoryItem *item)
{
    if (!item->last || !item->entry || item->entry->count < 2 || !item->prev_known)
        return;
    unsigned char h[AUDIT_HASH];
    if (codec_canon(&c->walk.canonical, item->record.data, item->record.len) != CODEC_OK)
        return;   /* not a record: named below */
    audit_link_record(item->prev, c->walk.canonical.text.data, c->walk.canonical.text.len, h);
    if (memcmp(h, item->link, AUDIT_HASH) != 0)
        violation(c, "history i%" PRIu64 " #%u to #%u: the entry's link is not the link of its records",
                  item->instance, item->entry->seq, item->seq);
}

static int history_item(void *context, const HistoryItem *item)
{
    Checker *c = context;
    char instance[32];
    snprintf(instance, sizeof instance, "i%" PRIu64, item->instance);
    entry_link_check(c, item);
    json_t *record = record_of(item->record.data, item->record.len, NULL, 0);
    if (!json_is_object(record)) {
        violation(c, "history %s #%u: not a JSON object", instance, item->seq);
        json_decref(record);
        return STORE_OK;
    }
    json_t *list = json_object_get(c->history, instance);
    if (!list) {
        list = json_array();
        json_object_set_new(c->history, instance, list);
    }
    json_object_set_new(record, "_key_seq", json_integer(item->seq));
    json_array_append_new(list, record);
    return STORE_OK;
}

/* An entry of one record, or of a step's records of one instance (engine_history.c):
   each record after the entry's stamp. */
static int history_visit(void *context, StoreBytes key, StoreBytes value)
{
    Checker *c = context;
    if (key.len != 12) {
        violation(c, "history: a key of %zu bytes, not 12", key.len);
        return STORE_OK;
    }
    HistoryEntry e;
    history_entry_read(key, value, &e);
    if (e.damaged) {
        violation(c, "history i%" PRIu64 " #%u: an entry of a step's records that cannot be read", e.instance, e.seq);
        return STORE_OK;
    }
    c->walk.visit = history_item;
    c->walk.context = c;
    c->walk.links = true;
    return history_walk_entry(&c->walk, key, value);
}

/* A seen key (engine_seen_key.c) of the form the store's schema has. */
static int seen_visit(void *context, StoreBytes key, StoreBytes value)
{
    Checker *c = context;
    StoreBytes source_bytes, id_bytes;
    if (!seen_key_split(key, c->schema < 5, &source_bytes, &id_bytes)) {
        violation(c, c->schema < 5 ? "seen: a key without a NUL between connector and event id"
                                   : "seen: a key that is not connector, NUL, the id's length and the id");
        return STORE_OK;
    }
    char *source = strndup(source_bytes.data, source_bytes.len), *id = strndup(id_bytes.data, id_bytes.len);
    json_t *entry = small_record_of(TABLE_SEEN, value.data, value.len);
    if (!json_is_object(entry)) {
        violation(c, "seen %s/%s: not a JSON object", source, id);
        json_decref(entry);
        entry = json_null();
    }
    json_array_append_new(c->seen, json_pack("{s:s, s:s, s:o}", "source", source, "id", id, "value", entry));
    free(source);
    free(id);
    return STORE_OK;
}

static int cases_visit(void *context, StoreBytes key, StoreBytes value)
{
    Checker *c = context;
    char *playbook, *case_key;
    size_t key_len;
    if (!split_key(key, &playbook, &case_key, &key_len)) {
        violation(c, "cases: a key without a NUL between playbook and case key");
        return STORE_OK;
    }
    json_t *owner = small_record_of(TABLE_CASES, value.data, value.len);
    if (!json_is_object(owner)) {
        violation(c, "case %s/%s: not a JSON object", playbook, case_key);
        json_decref(owner);
        owner = json_null();
    }
    json_array_append_new(c->cases, json_pack("{s:s, s:s, s:o}", "playbook", playbook, "key", case_key, "value", owner));
    free(playbook);
    free(case_key);
    return STORE_OK;
}

static int mailbox_visit(void *context, StoreBytes key, StoreBytes value)
{
    Checker *c = context;
    if (key.len != 16) {
        violation(c, "mailbox: a key of %zu bytes, not 16", key.len);
        return STORE_OK;
    }
    char instance[32];
    snprintf(instance, sizeof instance, "i%" PRIu64, store_read_be64(key.data));
    json_t *event = small_record_of(TABLE_MAILBOX, value.data, value.len);
    if (!json_is_object(event)) {
        violation(c, "mailbox %s: an entry that is not a JSON object", instance);
        json_decref(event);
        event = json_null();
    }
    json_array_append_new(c->mailbox, json_pack("{s:s, s:I, s:o}", "instance", instance, "seq",
                                                (json_int_t)store_read_be64((const unsigned char *)key.data + 8), "event", event));
    return STORE_OK;
}

static int outbox_visit(void *context, StoreBytes key, StoreBytes value)
{
    Checker *c = context;
    if (key.len != 8) {
        violation(c, "outbox: a key of %zu bytes, not 8", key.len);
        return STORE_OK;
    }
    json_t *entry = small_record_of(TABLE_OUTBOX, value.data, value.len);   /* its own encoding, or JSON */
    if (!json_is_object(entry)) {
        violation(c, "outbox %" PRIu64 ": not a JSON object", store_read_be64(key.data));
        json_decref(entry);
        entry = json_null();
    }
    json_array_append_new(c->outbox, json_pack("{s:I, s:o}", "seq", (json_int_t)store_read_be64(key.data), "entry", entry));
    return STORE_OK;
}

/* An entry as {key, value}: the value as its record, or its bytes when it is none. */
static void raw_entry(json_t *list, StoreBytes key, StoreBytes value, json_t *parsed)
{
    json_array_append_new(list, json_pack("{s:o, s:o}", "key", bytes_json(key.data, key.len), "value",
                                          parsed ? parsed : bytes_json(value.data, value.len)));
}

static int raw_visit(void *context, StoreBytes key, StoreBytes value)
{
    raw_entry(context, key, value, record_of(value.data, value.len, NULL, 0));
    return STORE_OK;
}

/* A threshold window's entry: typed (engine_small_values.h) or a record. */
static int windows_visit(void *context, StoreBytes key, StoreBytes value)
{
    raw_entry(context, key, value, small_record_of(TABLE_WINDOWS, value.data, value.len));
    return STORE_OK;
}

static int load(Checker *c)
{
    struct {
        StoreTable table;
        StoreVisit visit;
        void *context;
    } scans[] = {
        {TABLE_META, meta_visit, c},         {TABLE_PROGRAMS, programs_visit, c},
        {TABLE_PLAYBOOKS, playbooks_visit, c}, {TABLE_INSTANCES, instances_visit, c},
        {TABLE_TASKS, tasks_visit, c},       {TABLE_INBOX, inbox_visit, c},
        {TABLE_TIMERS, timers_visit, c},     {TABLE_HISTORY, history_visit, c},
        {TABLE_SEEN, seen_visit, c},         {TABLE_CASES, cases_visit, c},
        {TABLE_MAILBOX, mailbox_visit, c},   {TABLE_OUTBOX, outbox_visit, c},
        {TABLE_INPUTS, raw_visit, c->inputs}, {TABLE_WINDOWS, windows_visit, c->windows},
        {TABLE_DIRECTORY, raw_visit, c->directory},
    };
    if (store_schema(c->txn, &c->schema) != STORE_OK) {
        fprintf(stderr, "store_invariants: cannot read the store's schema\n");
        return -1;
    }
    for (size_t i = 0; i < sizeof scans / sizeof scans[0]; i++) {
        int rc = store_scan(c->txn, scans[i].table, store_bytes(NULL, 0), store_bytes(NULL, 0),
                            scans[i].visit, scans[i].context);
        if (rc != STORE_OK) {
            fprintf(stderr, "store_invariants: cannot scan table %d: %s\n", (int)scans[i].table, store_strerror(rc));
            return -1;
        }
    }
    return 0;
}

/* ---- the checks ---- */

/* The open tasks of instance `id`, as a new array of task ids. */
static json_t *open_tasks_of(Checker *c, const char *id)
{
    json_t *list = json_array();
    const char *task_id;
    json_t *task;
    json_object_foreach(c->tasks, task_id, task)
        if (same(str(task, "status"), "open") && same(str(task, "instance"), id))
            json_array_append_new(list, json_string(task_id));
    return list;
}

static bool list_has_string(const json_t *list, const char *text)
{
    size_t i;
    json_t *item;
    json_array_foreach(list, i, item)
        if (same(json_string_value(item), text))
            return true;
    return false;
}

static bool task_has_holder(const json_t *task, const char *person)
{
    size_t i;
    json_t *seat;
    json_array_foreach(json_object_get(task, "seats"), i, seat)
        if (list_has_string(json_object_get(seat, "holders"), person))
            return true;
    return false;
}

/* A live deadline timer of `task_id` for instance `id` at suspension `step`. */
static bool has_deadline_timer(Checker *c, const char *id, const char *task_id, json_int_t step)
{
    size_t i;
    json_t *timer;
    json_array_foreach(c->timers, i, timer) {
        json_t *what = json_object_get(timer, "what");
        if (same(str(timer, "instance"), id) && same(str(what, "kind"), "deadline") &&
            same(str(what, "task"), task_id) && json_integer_value(json_object_get(what, "suspension")) == step)
            return true;
    }
    return false;
}

static void check_instances(Checker *c)
{
    const char *id;
    json_t *info;
    json_object_foreach(c->instances, id, info) {
        json_t *record = json_object_get(info, "record");
        json_t *frame = json_object_get(info, "frame");
        const char *status = str_or(record, "status", "");
        json_int_t step = json_integer_value(json_object_get(record, "step"));
        json_t *open = open_tasks_of(c, id);
        bool decoded = json_is_object(frame) && !json_object_get(frame, "broken");
        const char *at = decoded ? str(frame, "at") : NULL;
        if (strcmp(status, "running") == 0) {
            if (json_is_null(frame)) {
                violation(c, "instance %s is running without a frame", id);
            } else if (decoded) {
                if (!same(at, "ask") && !same(at, "wait") && !same(at, "call"))
                    violation(c, "instance %s is running but its frame is at %s, not an ask, a wait or a call", id, at);
                if (json_integer_value(json_object_get(frame, "step")) != step)
                    violation(c, "instance %s: its frame's suspension id %" JSON_INTEGER_FORMAT " is not its step %" JSON_INTEGER_FORMAT,
                              id, json_integer_value(json_object_get(frame, "step")), step);
            }
            if (same(at, "ask")) {
                const char *task_id = str(record, "task");
                if (json_array_size(open) != 1)
                    violation(c, "instance %s is suspended on an ask with %zu open tasks", id, json_array_size(open));
                if (!task_id || !list_has_string(open, task_id)) {
                    violation(c, "instance %s is suspended on an ask but its task %s is not open", id, task_id ? task_id : "(none)");
                } else {
                    json_t *task = json_object_get(c->tasks, task_id);
                    if (json_integer_value(json_object_get(task, "suspension")) != step)
                        violation(c, "instance %s: its open task %s carries suspension %" JSON_INTEGER_FORMAT ", not %" JSON_INTEGER_FORMAT,
                                  id, task_id, json_integer_value(json_object_get(task, "suspension")), step);
                    if (!has_deadline_timer(c, id, task_id, step))
                        violation(c, "instance %s: its open task %s has no live deadline timer", id, task_id);
                }
            } else if (json_array_size(open) > 0) {
                violation(c, "instance %s is running at %s but has open task %s", id, at ? at : "?",
                          json_string_value(json_array_get(open, 0)));
            }
            if (same(at, "call")) {
                bool found = false;
                size_t i;
                json_t *entry;
                json_array_foreach(c->outbox, i, entry) {
                    json_t *e = json_object_get(entry, "entry");
                    found |= (uint64_t)json_integer_value(json_object_get(e, "instance")) == id_number(id, 'i') &&
                             json_integer_value(json_object_get(e, "suspension")) == step;
                }
                if (!found)
                    violation(c, "instance %s is suspended on a call with no outbox entry for it", id);
            }
            /* every timer the record lists exists */
            size_t i;
            json_t *hex;
            json_array_foreach(json_object_get(record, "timers"), i, hex) {
                bool exists = false;
                size_t k;
                json_t *timer;
                json_array_foreach(c->timers, k, timer)
                    exists |= same(str(timer, "key"), json_string_value(hex));
                if (!exists)
                    violation(c, "instance %s lists timer %s, which is not in the timers table", id, json_string_value(hex));
            }
        } else {
            /* a poison answer stalls its instance on the ask, whose task stays open
               (engine_poison.c): that one task, and no other, may be open */
            bool stalled_on_ask = strcmp(status, "stalled") == 0 && same(at, "ask") && json_array_size(open) == 1 &&
                                  same(json_string_value(json_array_get(open, 0)), str(record, "task"));
            if (json_array_size(open) > 0 && !stalled_on_ask)
                violation(c, "instance %s is %s but task %s is still open", id, status,
                          json_string_value(json_array_get(open, 0)));
            if (strcmp(status, "stalled") != 0 && !json_is_null(frame))
                violation(c, "instance %s is %s but still has a frame", id, status);
            if ((strcmp(status, "done") == 0 || strcmp(status, "failed") == 0) && !json_is_string(json_object_get(record, "outcome")))
                violation(c, "instance %s is %s without an outcome", id, status);
        }
        json_decref(open);
    }
}

static void check_timers(Checker *c)
{
    size_t i;
    json_t *timer;
    json_array_foreach(c->timers, i, timer) {
        const char *key = str(timer, "key"), *id = str(timer, "instance");
        json_t *what = json_object_get(timer, "what");
        const char *kind = str(what, "kind");
        json_t *info = json_object_get(c->instances, id);
        if (!kind || !json_is_integer(json_object_get(what, "suspension"))) {
            violation(c, "timer %s (%s, %s): no kind or suspension id", key, id, str_or(timer, "due", "?"));
            continue;
        }
        if (!info) {
            violation(c, "timer %s points at instance %s, which does not exist", key, id);
            continue;
        }
        json_t *record = json_object_get(info, "record");
        json_t *frame = json_object_get(info, "frame");
        json_int_t suspension = json_integer_value(json_object_get(what, "suspension"));
        json_int_t current = json_integer_value(json_object_get(frame, "step"));
        bool running = same(str(record, "status"), "running") && json_is_object(frame);
        if (!running || suspension < current) {
            note(c, "stale timer %s (%s of %s at suspension %" JSON_INTEGER_FORMAT ", instance %s)", key, kind, id,
                 suspension, str_or(record, "status", "?"));
            continue;
        }
        if (suspension > current) {
            violation(c, "timer %s of %s carries suspension %" JSON_INTEGER_FORMAT ", later than the instance's %" JSON_INTEGER_FORMAT,
                      key, id, suspension, current);
            continue;
        }
        /* live */
        if (!list_has_string(json_object_get(record, "timers"), key))
            violation(c, "live timer %s of %s is not listed in the instance's record", key, id);
        if (strcmp(kind, "deadline") == 0) {
            const char *task_id = str(what, "task");
            json_t *task = task_id ? json_object_get(c->tasks, task_id) : NULL;
            if (!task || !same(str(task, "status"), "open") || !same(str(task, "instance"), id))
                violation(c, "live deadline timer %s of %s names task %s, not an open task of it", key, id,
                          task_id ? task_id : "(none)");
        } else if (strcmp(kind, "after") == 0) {
            if (!same(str(frame, "at"), "wait"))
                violation(c, "live after-timer %s of %s, but the instance is at %s, not a wait", key, id, str_or(frame, "at", "?"));
        }
    }
}

/* Whether instance `instance`'s history overrode task `id` (huddle resolve). */
static bool overridden(Checker *c, const char *instance, const char *id)
{
    size_t i;
    json_t *record;
    json_array_foreach(json_object_get(c->history, instance), i, record)
        if (same(str(record, "kind"), "overridden") && same(str(record, "task"), id))
            return true;
    return false;
}

static void check_tasks(Checker *c)
{
    const char *id;
    json_t *task;
    json_object_foreach(c->tasks, id, task) {
        const char *status = str_or(task, "status", "");
        const char *instance = str(task, "instance");
        json_t *info = instance ? json_object_get(c->instances, instance) : NULL;
        if (!info) {
            violation(c, "task %s belongs to instance %s, which does not exist", id, instance ? instance : "(none)");
            continue;
        }
        /* votes by distinct people */
        size_t i, k;
        json_t *vote, *other;
        json_array_foreach(json_object_get(task, "votes"), i, vote)
            json_array_foreach(json_object_get(task, "votes"), k, other)
                if (k > i && same(str(vote, "by"), str(other, "by")))
                    violation(c, "task %s: %s voted twice", id, str(vote, "by"));
        if (strcmp(status, "open") == 0) {
            json_t *record = json_object_get(info, "record");
            json_t *frame = json_object_get(info, "frame");
            if (!same(str(record, "status"), "running") && !same(str(record, "status"), "stalled"))
                violation(c, "open task %s: its instance %s is %s", id, instance, str_or(record, "status", "?"));
            else if (!same(str(frame, "at"), "ask") || !same(str(record, "task"), id) ||
                     json_integer_value(json_object_get(task, "suspension")) != json_integer_value(json_object_get(frame, "step")))
                violation(c, "open task %s: its instance %s is not suspended on its ask (at %s, task %s)", id, instance,
                          str_or(frame, "at", "?"), str_or(record, "task", "(none)"));
            json_t *seat;
            json_array_foreach(json_object_get(task, "seats"), i, seat) {
                json_t *holder;
                json_array_foreach(json_object_get(seat, "holders"), k, holder) {
                    bool found = false;
                    size_t n;
                    json_t *entry;
                    json_array_foreach(c->inbox, n, entry)
                        found |= same(str(entry, "person"), json_string_value(holder)) && same(str(entry, "task"), id);
                    if (!found)
                        violation(c, "open task %s: holder %s has no inbox entry", id, json_string_value(holder));
                }
            }
        } else if (strcmp(status, "resolved") == 0) {
            const char *outcome = str(task, "outcome");
            if (!outcome) {
                violation(c, "resolved task %s has no outcome", id);
            } else if (strcmp(outcome, "timeout") != 0 && strcmp(outcome, "no_quorum") != 0 &&
                       !overridden(c, instance, id)) {
                json_int_t votes = 0;
                json_array_foreach(json_object_get(task, "votes"), i, vote)
                    votes += same(str(vote, "choice"), outcome);
                json_int_t needed = json_integer_value(json_object_get(task, "needed"));
                if (votes < needed)
                    violation(c, "task %s resolved %s with %" JSON_INTEGER_FORMAT " votes of %" JSON_INTEGER_FORMAT " needed", id,
                              outcome, votes, needed);
            }
        } else if (strcmp(status, "cancelled") == 0) {
            json_t *record = json_object_get(info, "record");
            if (same(str(record, "status"), "running") && same(str(record, "task"), id))
                violation(c, "cancelled task %s: its instance %s is still running on it", id, instance);
        } else {
            violation(c, "task %s has unknown status %s", id, status);
        }
    }
}

static void check_inbox(Checker *c)
{
    size_t i;
    json_t *entry;
    json_array_foreach(c->inbox, i, entry) {
        const char *person = str(entry, "person"), *task_id = str(entry, "task");
        json_t *task = json_object_get(c->tasks, task_id);
        if (!task)
            violation(c, "inbox of %s names task %s, which does not exist", person, task_id);
        else if (!same(str(task, "status"), "open"))
            violation(c, "inbox of %s names task %s, which is %s", person, task_id, str_or(task, "status", "?"));
        else if (!task_has_holder(task, person))
            violation(c, "inbox of %s names task %s, where %s holds no seat", person, task_id, person);
    }
}

/* Whether the history of `id` has a record of `kind` for event source/id. */
static bool history_has_event(Checker *c, const char *id, const char *kind, const char *source, const char *event_id)
{
    size_t i;
    json_t *record;
    json_array_foreach(json_object_get(c->history, id), i, record) {
        json_t *event = json_object_get(record, "event");
        if (same(str(record, "kind"), kind) && same(str(event, "source"), source) && same(str(event, "id"), event_id))
            return true;
    }
    return false;
}

static json_t *seen_find(Checker *c, const char *source, const char *id)
{
    size_t i;
    json_t *entry;
    json_array_foreach(c->seen, i, entry)
        if (same(str(entry, "source"), source) && same(str(entry, "id"), id))
            return json_object_get(entry, "value");
    return NULL;
}

/* Each event reached each playbook once within any dedup period: two records that took
   the same event into the same playbook less than a day apart (the shortest period,
   `--dedup-days 1`) are the same acceptance applied twice. `uses` maps playbook, source
   and id to the times of the records that took it. */
#define DEDUP_LEAST_MS INT64_C(86400000)

static int ms_compare(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

static void check_event_uses(Checker *c, json_t *uses)
{
    const char *use;
    json_t *times;
    json_object_foreach(uses, use, times) {
        size_t n = json_array_size(times);
        int64_t *ms = calloc(n ? n : 1, sizeof *ms);
        if (!ms)
            return;
        for (size_t i = 0; i < n; i++)
            ms[i] = (int64_t)json_integer_value(json_array_get(times, i));
        qsort(ms, n, sizeof *ms, ms_compare);
        for (size_t i = 1; i < n; i++)
            if (ms[i] - ms[i - 1] < DEDUP_LEAST_MS) {
                char what[1024];
                snprintf(what, sizeof what, "%s", use);
                for (char *p = what; *p; p++)
                    if (*p == '\x1f')
                        *p = ' ';
                violation(c, "event (playbook source id) %s reached its playbook twice within a day", what);
                break;
            }
        free(ms);
    }
}

static void check_history(Checker *c)
{
    const char *id;
    json_t *records;
    json_object_foreach(c->history, id, records)
        if (!json_object_get(c->instances, id))
            violation(c, "history of %s: %zu records, but there is no such instance", id, json_array_size(records));
    json_t *info;
    json_t *uses = json_object();   /* playbook \x1f source \x1f id -> [ms a record took it, ...] */
    json_object_foreach(c->instances, id, info) {
        json_t *record = json_object_get(info, "record");
        records = json_object_get(c->history, id);
        size_t n = json_array_size(records);
        json_int_t counter = json_integer_value(json_object_get(record, "history"));
        if ((json_int_t)n != counter)
            violation(c, "instance %s: %zu history records, but its counter says %" JSON_INTEGER_FORMAT, id, n, counter);
        size_t i;
        json_t *h;
        json_array_foreach(records, i, h) {
            json_int_t key_seq = json_integer_value(json_object_get(h, "_key_seq"));
            json_int_t seq = json_integer_value(json_object_get(h, "seq"));
            if (key_seq != (json_int_t)i + 1)
                violation(c, "history of %s: record %zu has key seq %" JSON_INTEGER_FORMAT " (a gap or a duplicate)", id, i + 1, key_seq);
            if (seq != key_seq)
                violation(c, "history of %s: the record under seq %" JSON_INTEGER_FORMAT " says seq %" JSON_INTEGER_FORMAT, id, key_seq, seq);
            if (!same(str(h, "instance"), id))
                violation(c, "history of %s #%" JSON_INTEGER_FORMAT ": it names instance %s", id, key_seq, str_or(h, "instance", "(none)"));
            int64_t at;
            if (!str(h, "at") || !value_parse_time(str(h, "at"), &at))
                violation(c, "history of %s #%" JSON_INTEGER_FORMAT ": no time", id, key_seq);
            else if (at > c->engine_time)
                violation(c, "history of %s #%" JSON_INTEGER_FORMAT ": at %s, after the engine time", id, key_seq, str(h, "at"));
            const char *kind = str(h, "kind");
            if (i == 0 && !same(kind, "started"))
                violation(c, "history of %s starts with %s, not started", id, kind ? kind : "(none)");
            if (i > 0 && same(kind, "started"))
                violation(c, "history of %s: a second started record (#%" JSON_INTEGER_FORMAT ")", id, key_seq);
            if (same(kind, "started") || same(kind, "joined")) {
                json_t *event = json_object_get(h, "event");
                const char *source = str(event, "source"), *event_id = str(event, "id");
                char use[1024];
                snprintf(use, sizeof use, "%s\x1f%s\x1f%s", str_or(record, "playbook", "?"), source ? source : "?",
                         event_id ? event_id : "?");
                int64_t taken = 0;
                value_parse_time(str(h, "at"), &taken);
                if (!json_object_get(uses, use))
                    json_object_set_new(uses, use, json_array());
                json_array_append_new(json_object_get(uses, use), json_integer((json_int_t)taken));
                /* an id forgotten after the dedup period (one day at the least) is a new
                   event: its entry may be gone, or say where its newer acceptance went */
                json_t *entry = seen_find(c, source ? source : "", event_id ? event_id : "");
                if (!entry) {
                    if (taken > c->engine_time - DEDUP_LEAST_MS)
                        violation(c, "instance %s: its %s event %s/%s is not in seen", id, kind, source ? source : "?",
                                  event_id ? event_id : "?");
                    continue;
                }
                bool listed = false;
                size_t k;
                json_t *went;
                json_array_foreach(json_object_get(entry, "went"), k, went)
                    listed |= same(str(went, "instance"), id) && same(str(went, "as"), kind);
                int64_t seen_at = 0;
                bool newer = value_parse_time(str(entry, "at"), &seen_at) && seen_at >= taken + DEDUP_LEAST_MS;
                if (!listed && !newer)
                    violation(c, "seen %s/%s does not say it %s instance %s", source, event_id, kind, id);
            }
        }
    }
    check_event_uses(c, uses);
    json_decref(uses);
}

static void check_seen(Checker *c)
{
    size_t i;
    json_t *entry;
    json_array_foreach(c->seen, i, entry) {
        const char *source = str(entry, "source"), *event_id = str(entry, "id");
        json_t *value = json_object_get(entry, "value");
        if (!json_is_array(json_object_get(value, "went"))) {
            violation(c, "seen %s/%s has no went list", source, event_id);
            continue;
        }
        size_t k;
        json_t *went;
        json_array_foreach(json_object_get(value, "went"), k, went) {
            const char *id = str(went, "instance"), *as = str(went, "as");
            if (!id)
                continue;   /* an error in a when or case: recorded, went nowhere */
            if (!json_object_get(c->instances, id))
                violation(c, "seen %s/%s went to %s, which does not exist", source, event_id, id);
            else if (!as || !history_has_event(c, id, as, source, event_id))
                violation(c, "seen %s/%s %s %s, but its history has no such record", source, event_id, as ? as : "went to", id);
        }
    }
}

static void check_cases(Checker *c)
{
    size_t i;
    json_t *entry;
    json_array_foreach(c->cases, i, entry) {
        const char *playbook = str(entry, "playbook"), *key = str(entry, "key");
        json_t *owner = json_object_get(entry, "value");
        char id[32];
        snprintf(id, sizeof id, "i%" JSON_INTEGER_FORMAT, json_integer_value(json_object_get(owner, "instance")));
        json_t *info = json_object_get(c->instances, id);
        json_t *record = json_object_get(info, "record");
        const char *status = str(record, "status");
        if (!info)
            violation(c, "case %s/%s is owned by %s, which does not exist", playbook, key, id);
        else if (!same(status, "running") && !same(status, "stalled"))
            violation(c, "case %s/%s is owned by %s, which is %s", playbook, key, id, status ? status : "?");
        else if (!same(str(record, "playbook"), playbook) || !same(str(record, "case_key"), key))
            violation(c, "case %s/%s is owned by %s, an instance of %s with case key %s", playbook, key, id,
                      str_or(record, "playbook", "?"), str_or(record, "case_key", "(none)"));
    }
}

/* meta's gauges (engine_gauges.c) against the records they count. */
static void check_gauges(Checker *c)
{
    if (c->schema < 6)
        return;   /* an older store has none */
    uint64_t open = 0, running = 0, stalled = 0;
    const char *id;
    json_t *value;
    json_object_foreach(c->tasks, id, value)
        open += same(str(value, "status"), "open");
    json_object_foreach(c->instances, id, value) {
        const char *status = str(json_object_get(value, "record"), "status");
        running += same(status, "running");
        stalled += same(status, "stalled");
    }
    struct {
        const char *gauge;
        uint64_t counted;
    } gauges[] = {{"open_tasks", open}, {"running_instances", running}, {"stalled_instances", stalled}};
    for (size_t k = 0; k < sizeof gauges / sizeof gauges[0]; k++) {
        json_t *have = json_object_get(c->meta, gauges[k].gauge);   /* none: 0 */
        if (have && !json_is_integer(have))
            violation(c, "gauge %s is not an 8-byte number", gauges[k].gauge);
        else if (have && json_integer_value(have) == 0)
            violation(c, "gauge %s is kept as 0 (a counter of 0 has no entry)", gauges[k].gauge);
        else if ((uint64_t)json_integer_value(have) != gauges[k].counted)
            violation(c, "gauge %s is %" JSON_INTEGER_FORMAT " but the records count %" PRIu64, gauges[k].gauge,
                      json_integer_value(have), gauges[k].counted);
    }
}

static void check_rest(Checker *c)
{
    size_t i;
    json_t *entry;
    uint64_t max_mail = 0, max_outbox = 0, max_instance = 0, max_task = 0;
    json_array_foreach(c->mailbox, i, entry) {
        const char *id = str(entry, "instance");
        json_t *info = json_object_get(c->instances, id);
        uint64_t seq = (uint64_t)json_integer_value(json_object_get(entry, "seq"));
        max_mail = seq > max_mail ? seq : max_mail;
        if (!info)
            violation(c, "mailbox entry %" PRIu64 " belongs to %s, which does not exist", seq, id);
        else if (!same(str(json_object_get(info, "record"), "status"), "running") &&
                 !same(str(json_object_get(info, "record"), "status"), "stalled"))
            note(c, "mailbox entry %" PRIu64 " (%s) is left in %s, which is %s", seq,
                 str_or(json_object_get(entry, "event"), "id", "?"), id, str(json_object_get(info, "record"), "status"));
    }
    json_array_foreach(c->outbox, i, entry) {
        uint64_t seq = (uint64_t)json_integer_value(json_object_get(entry, "seq"));
        max_outbox = seq > max_outbox ? seq : max_outbox;
        char id[32];
        snprintf(id, sizeof id, "i%" JSON_INTEGER_FORMAT, json_integer_value(json_object_get(json_object_get(entry, "entry"), "instance")));
        if (!json_object_get(c->instances, id))
            violation(c, "outbox entry %" PRIu64 " belongs to %s, which does not exist", seq, id);
    }
    const char *id;
    json_t *value;
    json_object_foreach(c->instances, id, value) {
        uint64_t n = id_number(id, 'i');
        max_instance = n > max_instance ? n : max_instance;
    }
    json_object_foreach(c->tasks, id, value) {
        uint64_t n = id_number(id, 't');
        max_task = n > max_task ? n : max_task;
    }
    struct {
        const char *counter;
        uint64_t used;
    } counters[] = {{"next_instance", max_instance}, {"next_task", max_task}, {"next_mail", max_mail},
                    {"next_outbox", max_outbox}};
    for (size_t k = 0; k < sizeof counters / sizeof counters[0]; k++) {
        uint64_t have = (uint64_t)json_integer_value(json_object_get(c->meta, counters[k].counter));
        if (have < counters[k].used)
            violation(c, "counter %s is %" PRIu64 " but %" PRIu64 " is in use", counters[k].counter, have, counters[k].used);
    }
    const char *name;
    json_object_foreach(c->playbooks, name, value) {
        const char *hash = str(value, "hash");
        if (!hash || !json_object_get(c->programs, hash))
            violation(c, "playbook %s: its current version %s is not stored", name, hash ? hash : "(none)");
    }
}

/* ---- the dump ---- */

static void dump_list(const char *prefix, json_t *list)
{
    size_t i;
    json_t *item;
    json_array_foreach(list, i, item)
        canonical_print(prefix, item);
}

static int seen_order(const void *a, const void *b)
{
    json_t *const *x = a, *const *y = b;
    int by_source = strcmp(str(*x, "source"), str(*y, "source"));
    return by_source ? by_source : strcmp(str(*x, "id"), str(*y, "id"));
}

/* The seen entries by source, then id: the order of the old key, so a store dumps the
   same whichever form its keys take (schema 5 sorts them by the id's length first). */
static void dump_seen(json_t *seen)
{
    size_t n = json_array_size(seen);
    json_t **sorted = malloc((n ? n : 1) * sizeof *sorted);
    if (!sorted) {
        fprintf(stderr, "store_invariants: out of memory dumping seen\n");
        return;
    }
    for (size_t i = 0; i < n; i++)
        sorted[i] = json_array_get(seen, i);
    qsort(sorted, n, sizeof *sorted, seen_order);
    for (size_t i = 0; i < n; i++) {
        char prefix[600];
        snprintf(prefix, sizeof prefix, "seen %s %s", str(sorted[i], "source"), str(sorted[i], "id"));
        canonical_print(prefix, json_object_get(sorted[i], "value"));
    }
    free(sorted);
}

static void dump(Checker *c)
{
    const char *name;
    json_t *value;
    snprintf(dump_store_id, sizeof dump_store_id, "%s", str_or(c->meta, "store_id", ""));
    json_object_foreach(c->meta, name, value) {
        if (strcmp(name, "store_id") == 0 || strncmp(name, "audit_", 6) == 0)
            continue;   /* the chain's head depends on the order it was chained in */
        char prefix[300];
        snprintf(prefix, sizeof prefix, "meta %s", name);
        if (strcmp(name, "engine_time") == 0) {
            char at[40];
            time_text((int64_t)json_integer_value(value), at);
            printf("%s %s\n", prefix, at);
        } else {
            canonical_print(prefix, value);
        }
    }
    json_object_foreach(c->programs, name, value)
        printf("program %s %" JSON_INTEGER_FORMAT " bytes\n", name, json_integer_value(value));
    json_object_foreach(c->playbooks, name, value) {
        json_t *copy = json_deep_copy(value);
        json_t *log = json_object_get(copy, "log"), *kept = json_array();
        size_t i;
        json_t *entry;
        json_array_foreach(log, i, entry)
            if (i == 0 || !json_equal(entry, json_array_get(log, i - 1)))
                json_array_append(kept, entry);
        if (log)
            json_object_set_new(copy, "log", kept);
        else
            json_decref(kept);
        char prefix[300];
        snprintf(prefix, sizeof prefix, "playbook %s", name);
        canonical_print(prefix, copy);
        json_decref(copy);
    }
    const char *id;
    json_object_foreach(c->instances, id, value) {
        json_t *record = json_object_get(value, "record");
        char *tags = json_dumps(json_object_get(record, "tags"), JSON_COMPACT | JSON_ENCODE_ANY);
        char *outcome = json_dumps(json_object_get(record, "outcome") ? json_object_get(record, "outcome") : json_null(),
                                   JSON_COMPACT | JSON_ENCODE_ANY);
        const char *version = str_or(record, "version", "?");
        printf("instance %s playbook=%s version=%.12s status=%s state=%s outcome=%s tags=%s step=%" JSON_INTEGER_FORMAT "\n",
               id, str_or(record, "playbook", "?"), version, str_or(record, "status", "?"), str_or(record, "state", "-"),
               outcome, tags, json_integer_value(json_object_get(record, "step")));
        free(tags);
        free(outcome);
        char prefix[64];
        snprintf(prefix, sizeof prefix, "instance-record %s", id);
        canonical_print(prefix, record);
        snprintf(prefix, sizeof prefix, "instance-frame %s", id);
        canonical_print(prefix, json_object_get(value, "frame"));
    }
    json_object_foreach(c->tasks, id, value) {
        char prefix[64];
        snprintf(prefix, sizeof prefix, "task %s", id);
        canonical_print(prefix, value);
    }
    size_t i;
    json_t *entry;
    json_array_foreach(c->inbox, i, entry)
        printf("inbox %s %s\n", str(entry, "person"), str(entry, "task"));
    json_array_foreach(c->timers, i, entry) {
        char prefix[128];
        snprintf(prefix, sizeof prefix, "timer %s %s %" JSON_INTEGER_FORMAT, str(entry, "due"), str(entry, "instance"),
                 json_integer_value(json_object_get(entry, "order")));
        canonical_print(prefix, json_object_get(entry, "what"));
    }
    json_array_foreach(c->mailbox, i, entry) {
        char prefix[128];
        snprintf(prefix, sizeof prefix, "mailbox %s %" JSON_INTEGER_FORMAT, str(entry, "instance"),
                 json_integer_value(json_object_get(entry, "seq")));
        canonical_print(prefix, json_object_get(entry, "event"));
    }
    json_array_foreach(c->outbox, i, entry) {
        char prefix[64];
        snprintf(prefix, sizeof prefix, "outbox %" JSON_INTEGER_FORMAT, json_integer_value(json_object_get(entry, "seq")));
        canonical_print(prefix, json_object_get(entry, "entry"));
    }
    json_array_foreach(c->cases, i, entry) {
        char prefix[600];
        snprintf(prefix, sizeof prefix, "case %s %s", str(entry, "playbook"), str(entry, "key"));
        canonical_print(prefix, json_object_get(entry, "value"));
    }
    dump_seen(c->seen);
    dump_list("input", c->inputs);
    dump_list("window", c->windows);
    dump_list("directory", c->directory);
    json_object_foreach(c->history, id, value) {
        json_t *record;
        json_array_foreach(value, i, record) {
            json_t *copy = json_deep_copy(record);
            json_object_del(copy, "_key_seq");
            canonical_print("history", copy);
            json_decref(copy);
        }
    }
}

/* ---- main ---- */

static int usage(void)
{
    fprintf(stderr, "usage: store_invariants [--dump] [--quiet] DIR\n");
    return 2;
}

int main(int argc, char **argv)
{
    bool want_dump = false, quiet = false;
    const char *dir = NULL;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--dump") == 0)
            want_dump = true;
        else if (strcmp(argv[i], "--quiet") == 0)
            quiet = true;
        else if (argv[i][0] == '-' || dir)
            return usage();
        else
            dir = argv[i];
    }
    if (!dir)
        return usage();
    StoreOptions options = {.read_only = true};
    Store *store;
    char why[512];
    int rc = store_open(dir, &options, &store, why, sizeof why);
    if (rc != STORE_OK) {
        fprintf(stderr, "store_invariants: %s\n", why);
        return 3;
    }
    Engine *engine = engine_new(store, NULL);
    Checker c;
    memset(&c, 0, sizeof c);
    c.quiet = quiet;
    /* Objects keep insertion order (jansson >= 2.8), and tables are scanned in key order,
       so the dump follows the store's key order. */
    c.meta = json_object();
    c.programs = json_object();
    c.playbooks = json_object();
    c.instances = json_object();
    c.tasks = json_object();
    c.history = json_object();
    c.inbox = json_array();
    c.timers = json_array();
    c.seen = json_array();
    c.cases = json_array();
    c.mailbox = json_array();
    c.outbox = json_array();
    c.inputs = json_array();
    c.windows = json_array();
    c.directory = json_array();
    int status = 0;
    if (store_begin(store, false, &c.txn) != STORE_OK) {
        fprintf(stderr, "store_invariants: cannot begin a read transaction in %s\n", dir);
        status = 3;
    } else {
        StepRecords records = {0};
        c.step = (Step){.engine = engine, .txn = c.txn, .records = &records, .why = c.why,
                        .why_len = sizeof c.why};
        if (load(&c) != 0) {
            status = 3;
        } else {
            check_instances(&c);
            check_timers(&c);
            check_tasks(&c);
            check_inbox(&c);
            check_history(&c);
            check_seen(&c);
            check_cases(&c);
            check_gauges(&c);
            check_rest(&c);
            if (want_dump)
                dump(&c);
            if (c.violations)
                fprintf(stderr, "store_invariants: %s: %d violation%s\n", dir, c.violations, c.violations == 1 ? "" : "s");
            else if (!want_dump && !quiet)
                printf("store_invariants: %s: ok (%zu instances, %zu tasks, %zu timers, %zu seen, %d notes)\n", dir,
                       json_object_size(c.instances), json_object_size(c.tasks), json_array_size(c.timers),
                       json_array_size(c.seen), c.notes);
            status = c.violations ? 1 : 0;
        }
        step_records_free(&records);
        store_abort(c.txn);
    }
    json_t *all[] = {c.meta, c.programs, c.playbooks, c.instances, c.tasks, c.history, c.inbox, c.timers,
                     c.seen, c.cases, c.mailbox, c.outbox, c.inputs, c.windows, c.directory};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        json_decref(all[i]);
    engine_free(engine);
    history_walk_free(&c.walk);
    store_close(store);
    return status;
}
