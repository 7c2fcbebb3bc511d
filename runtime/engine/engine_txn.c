/*
 * engine_txn.c - what every step stands on: the step's transaction (its clock, its
 * history records, engine_run_step), JSON records and counters in the store, the engine
 * codes a transaction ends with (engine_result, engine_strerror), and the small text
 * helpers steps share. It calls no other engine file: the rest of the engine is built
 * on it.
 */
#include "engine_internal.h"
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

int engine_get_json(StoreTxn *txn, StoreTable table, StoreBytes key, json_t **out)
{
    StoreBytes value;
    int rc = store_get(txn, table, key, &value);
    if (rc != STORE_OK)
        return rc;
    json_error_t error;
    *out = json_loadb(value.data, value.len, 0, &error);
    if (*out)
        return STORE_OK;
    return json_error_code(&error) == json_error_out_of_memory ? ENGINE_NO_MEMORY : STORE_FAILED;
}

int engine_put_json(StoreTxn *txn, StoreTable table, StoreBytes key, const json_t *value)
{
    /* A value the engine built dumps unless memory runs out. */
    char *text = json_dumps(value, JSON_COMPACT | JSON_PRESERVE_ORDER);
    if (!text)
        return ENGINE_NO_MEMORY;
    int rc = store_put(txn, table, key, store_bytes(text, strlen(text)));
    free(text);
    return rc;
}

/* Counters in TABLE_META ("next_instance", ...): returns the next value, from 1. */
uint64_t engine_counter(StoreTxn *txn, const char *counter)
{
    StoreBytes value;
    if (store_get(txn, TABLE_META, store_bytes(counter, strlen(counter)), &value) == STORE_OK &&
        value.len == 8)
        return store_read_be64(value.data);
    return 0;
}

int engine_counter_next(StoreTxn *txn, const char *counter, uint64_t *value)
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

/* ---- the step's history records ---- */

/* A new history record for `in`, kept in the step's list; the caller adds its fields.
   Records are written to the store at the end of the step (step_write_records). */
json_t *record_add(Step *s, Instance *in, const char *kind)
{
    json_int_t seq = json_integer_value(json_object_get(in->record, "history")) + 1;
    json_object_set_new(in->record, "history", json_integer(seq));
    char at[40];
    time_text(s->now, at);
    json_t *record = json_pack("{s:s, s:s, s:I, s:s, s:O}", "at", at, "instance",
                               json_string_value(json_object_get(in->record, "id")), "seq", seq,
                               "kind", kind, "state", json_object_get(in->record, "state"));
    json_array_append_new(s->records, record);
    return record;
}

int step_write_records(Step *s)
{
    for (size_t i = s->written; i < json_array_size(s->records); i++) {
        json_t *record = json_array_get(s->records, i);
        unsigned char key[12];
        store_be64(instance_number(json_string_value(json_object_get(record, "instance"))), key);
        uint32_t seq = (uint32_t)json_integer_value(json_object_get(record, "seq"));
        key[8] = (unsigned char)(seq >> 24);
        key[9] = (unsigned char)(seq >> 16);
        key[10] = (unsigned char)(seq >> 8);
        key[11] = (unsigned char)seq;
        int rc = engine_put_json(s->txn, TABLE_HISTORY, store_bytes(key, 12), record);
        if (rc != STORE_OK)
            return rc;
        s->written = i + 1;
    }
    return STORE_OK;
}

/* ---- the step's clock and transaction ---- */

/* Keeps engine time in meta; it never goes backwards. */
int step_clock(Step *s)
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
void engine_report_records(Engine *e, const json_t *records)
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
    int rc = step_clock(&s);
    if (rc == STORE_OK)
        rc = call->work(&s, call->context);
    if (rc == STORE_OK)
        rc = step_write_records(&s);
    call->result = rc;
    return rc;
}

int engine_run_step(Engine *e, int64_t now, StepWork work, void *context, char *why,
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
