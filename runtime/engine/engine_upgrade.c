/*
 * engine_upgrade.c - an older store made current. A store of schema 1 holds the engine's
 * records as JSON text; one of schema 2 holds them in the codec's binary form but has no
 * hash chain; one of schema 3 has no decisions index; one of schema 4 keeps the seen
 * table's keys in their old form; one of schema 5 has no gauges in meta; one of schema 6
 * has decisions index rows that name neither who was handed away from a seat as it was
 * asked nor the operators who overrode or reassigned (they are built again). The first
 * process that opens an older store to write (engine_open without read_only) converts
 * every record to the binary form (engine_codec.c), then chains the history
 * (engine_chain.c: in key order, instance by instance, since the order the records were
 * committed in was not kept), builds the decisions index from it (engine_audit_index.c),
 * gives the seen entries schema 5's key (engine_seen_key.c), counts the open tasks and
 * the running and stalled instances into meta (engine_gauges.c) and sets schema 7, each
 * step only when the store's schema lacks it, all in one write transaction, so a crash
 * or a kill -9 at any moment of it leaves the store as it was: of its old schema, readable, and converted by the next writer. Readers never convert:
 * they read JSON text, binary records and stamped history alike (codec_load,
 * history_split), so a store half converted could be read too, though none is ever left so.
 *
 * A table is converted in chunks: a scan collects up to UPGRADE_CHUNK records that are
 * still JSON (a table may not be written while it is scanned), they are put back in
 * binary, and the scan goes on from the last key it saw. A record that is not JSON is
 * left as it is, to be reported as damaged when it is read, as it was before.
 *
 * engine_store_convert also goes the other way (to schema 1: JSON text, no stamps, no
 * index, the old seen key, no gauges; 3: no index; 4: the old seen key; 5: no gauges;
 * 6: index rows of three roles),
 * for the tests that need a store as an older huddle wrote it (tests/crash/store_schema1.c); an instance's record in its own encoding
 * (engine_instance_record.c, written since 2026-12-05) goes back to the JSON record then,
 * and to schema 1 or 2 a history entry of a step's records (engine_history.c, written
 * since 2026-12-05 early morning) is taken apart, one record a key (3 and 4 keep it: the
 * records keep their form between schemas 3 and up, and this huddle reads both).
 * Upgrading leaves an instance's JSON record as the codec's binary form: the engine
 * reads it, and its next save writes the record's own encoding.
 */
#include "engine_internal.h"
#include "engine_small_values.h"
#include "fault.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define UPGRADE_CHUNK 1000

/* The tables whose values are records (an instance's after a 4-byte length, with its
   frame after it, see engine_instance.c); meta holds one more, "connectors". */
static const StoreTable RECORD_TABLES[] = {
    TABLE_PLAYBOOKS, TABLE_INSTANCES, TABLE_CASES, TABLE_WINDOWS, TABLE_HISTORY,
    TABLE_TASKS, TABLE_TIMERS, TABLE_MAILBOX, TABLE_OUTBOX, TABLE_SEEN, TABLE_DIRECTORY};
#define CONNECTORS_KEY store_bytes("connectors", 10)

typedef struct Upgrade {
    StoreTxn *txn;
    unsigned to;            /* the schema whose form the records take */
    StoreTable table;
    StrBuf chunk;           /* collected: (u32 key length, key, u32 value length, value)... */
    size_t pending;         /* entries in chunk */
    StrBuf last;            /* the last key collected */
    bool more;              /* the scan stopped with a full chunk */
    unsigned from;          /* the schema the store had */
    size_t converted;
    HistoryChain chain;     /* chaining the history (to schema 3) */
    StrBuf text;            /* scratch: a JSON-text record's binary bytes, to chain */
    char why[256];          /* a record the gauges could not count, named (to schema 6) */
} Upgrade;

/* Appends `json` in the form schema `to` keeps records in: the codec's binary form
   (2), or JSON text (1). */
static int upgrade_encode(const json_t *json, unsigned to, StrBuf *out)
{
    if (to >= 2)
        return codec_encode(json, out);
    char *text = json_dumps(json, JSON_COMPACT | JSON_PRESERVE_ORDER);
    if (text)
        strbuf_append(out, text, strlen(text));
    free(text);
    return text ? CODEC_OK : CODEC_NO_MEMORY;
}

/* An instance's record in its own encoding (engine_instance_record.c) as the JSON
   object an older schema keeps: CODEC_OK, CODEC_DAMAGED, CODEC_NO_MEMORY. */
static int instance_record_old_form(StoreBytes record, json_t **json)
{
    InstanceRecord r;
    char why[240];
    int rc = instance_record_decode(record.data, record.len, &r, why, sizeof why);
    if (rc != INSTANCE_RECORD_OK)
        return rc == INSTANCE_RECORD_NO_MEMORY ? CODEC_NO_MEMORY : CODEC_DAMAGED;
    *json = instance_record_json(&r);
    instance_record_free(&r);
    return *json ? CODEC_OK : CODEC_NO_MEMORY;
}

/* Appends `key` and `value` (as `table` holds it) in the form of schema `to` to `out`:
   STORE_OK; STORE_STOP (nothing appended) when it has that form already, is not a
   record, or cannot be encoded, so it stays as it is; STORE_NO_MEMORY. */
static int upgrade_entry(StoreTable table, StoreBytes key, StoreBytes value, unsigned to,
                         StrBuf *out)
{
    StoreBytes record = value, frame = store_bytes(NULL, 0);
    bool stamped = table == TABLE_HISTORY && history_split(value, NULL, &record);
    if (table == TABLE_INSTANCES) {
        if (value.len < 4 || engine_get_le32(value.data) > value.len - 4)
            return STORE_STOP;
        record = store_bytes((const char *)value.data + 4, engine_get_le32(value.data));
        frame = store_bytes((const char *)record.data + record.len, value.len - 4 - record.len);
    }
    bool typed = table == TABLE_INSTANCES && instance_record_is_typed(record.data, record.len);
    bool binary = codec_is_binary(record.data, record.len) || small_value_typed(table, record.data, record.len);
    if (typed ? to >= STORE_SCHEMA_VERSION : binary == (to >= 2) && (!stamped || to >= 3))
        return STORE_STOP;          /* in its form; history is stamped by upgrade_chain */
    json_t *json;
    char why[240];
    int rc = typed ? instance_record_old_form(record, &json)
                   : small_value_load(table, record.data, record.len, &json, why, sizeof why);
    if (rc != CODEC_OK)
        return rc == CODEC_NO_MEMORY ? STORE_NO_MEMORY : STORE_STOP;
    size_t mark = out->len;
    engine_put_le32(out, key.len);
    strbuf_append(out, key.data, key.len);
    size_t at = out->len;
    engine_put_le32(out, 0);                /* the value's length, set below */
    if (table == TABLE_INSTANCES)
        engine_put_le32(out, 0);            /* the record's length */
    size_t start = out->len;
    /* seen entries and case owners in their typed form (engine_small_values.h) */
    rc = to >= 2 && small_value_encode_json(table, json, out) ? CODEC_OK : upgrade_encode(json, to, out);
    json_decref(json);
    if (strbuf_failed(out))
        return STORE_NO_MEMORY;
    if (rc != CODEC_OK) {
        out->len = mark;            /* deeper than a record may be: left as JSON */
        return STORE_STOP;
    }
    if (table == TABLE_INSTANCES) {
        engine_set_le32(out->data + start - 4, out->len - start);
        strbuf_append(out, frame.data, frame.len);
    }
    engine_set_le32(out->data + at, out->len - at - 4);
    return strbuf_failed(out) ? STORE_NO_MEMORY : STORE_OK;
}

/* One more entry collected (its key was `key`): STORE_STOP, remembering where, when the
   chunk is full. */
static int upgrade_collected(Upgrade *u, StoreBytes key)
{
    if (++u->pending < UPGRADE_CHUNK)
        return STORE_OK;
    u->last.len = 0;
    strbuf_append(&u->last, key.data, key.len);
    u->more = true;
    return strbuf_failed(&u->last) ? STORE_NO_MEMORY : STORE_STOP;
}

/* A history entry of a step's records (HISTORY_ENTRY_TAG, engine_history.c) for a
   schema without stamps (to < 3): taken apart, each record under its own key in that
   schema's form. *split false (nothing appended) for any other value. */
static int upgrade_entry_split(StoreBytes key, StoreBytes value, unsigned to, StrBuf *out, bool *split)
{
    HistoryEntry e;
    history_entry_read(key, value, &e);
    *split = e.form == HISTORY_ENTRY_TAG && to < 3;
    HistoryItem item;
    size_t at = 0;
    uint32_t index = 0;
    int rc = STORE_OK;
    while (*split && rc == STORE_OK && history_entry_next(&e, &at, &index, &item)) {
        unsigned char k[12];
        history_key(item.instance, item.seq, k);
        rc = upgrade_entry(TABLE_HISTORY, store_bytes(k, 12), item.record, to, out);
        if (rc == STORE_STOP) {     /* in that form already: as it is, under its key */
            engine_put_le32(out, 12);
            strbuf_append(out, (const char *)k, 12);
            engine_put_le32(out, (uint32_t)item.record.len);
            strbuf_append(out, item.record.data, item.record.len);
            rc = strbuf_failed(out) ? STORE_NO_MEMORY : STORE_OK;
        }
    }
    return rc;
}

static int upgrade_visit(void *context, StoreBytes key, StoreBytes value)
{
    Upgrade *u = context;
    bool split = false;
    int rc = u->table == TABLE_HISTORY ? upgrade_entry_split(key, value, u->to, &u->chunk, &split) : STORE_OK;
    if (split)
        return rc != STORE_OK ? rc : upgrade_collected(u, key);
    rc = upgrade_entry(u->table, key, value, u->to, &u->chunk);
    if (rc == STORE_STOP)
        return STORE_OK;            /* left as it is */
    return rc != STORE_OK ? rc : upgrade_collected(u, key);
}

/* Puts the collected entries back. */
static int upgrade_flush(Upgrade *u)
{
    const char *at = u->chunk.data, *end = at + u->chunk.len;
    while (at && at < end) {
        StoreBytes key = store_bytes(at + 4, engine_get_le32(at));
        at += 4 + key.len;
        StoreBytes value = store_bytes(at + 4, engine_get_le32(at));
        at += 4 + value.len;
        int rc = store_put(u->txn, u->table, key, value);
        if (rc != STORE_OK)
            return rc;
        u->converted++;
    }
    u->chunk.len = 0;
    u->pending = 0;
    return STORE_OK;
}

static int upgrade_table(Upgrade *u, StoreTable table)
{
    u->table = table;
    u->last.len = 0;
    do {
        u->more = false;
        int rc = store_scan(u->txn, table, store_bytes(NULL, 0),
                            store_bytes(u->last.data, u->last.len), upgrade_visit, u);
        if (rc == STORE_OK)
            rc = upgrade_flush(u);
        if (rc != STORE_OK)
            return rc;
        fault_point("store conversion");
    } while (u->more);
    return STORE_OK;
}

/* The binary bytes of a history record kept as JSON text (schema 1), in `scratch`:
   CODEC_OK, CODEC_DAMAGED (it is left as it is, unstamped) or CODEC_NO_MEMORY. */
static int record_as_binary(StoreBytes *record, StrBuf *scratch)
{
    json_t *json;
    char why[240];
    if (codec_is_binary(record->data, record->len))
        return CODEC_OK;
    int rc = codec_load(record->data, record->len, &json, why, sizeof why);
    if (rc != CODEC_OK)
        return rc;
    scratch->len = 0;
    rc = codec_encode(json, scratch);
    json_decref(json);
    *record = store_bytes(scratch->data, scratch->len);
    return rc == CODEC_TOO_DEEP ? CODEC_DAMAGED : rc;
}

/* Stamps one unstamped history record (collected like a converted one). */
static int chain_visit(void *context, StoreBytes key, StoreBytes value)
{
    Upgrade *u = context;
    StoreBytes record, linked;
    if (key.len != 12 || history_split(value, NULL, &record))
        return STORE_OK;            /* stamped already */
    linked = record;
    int rc = record_as_binary(&linked, &u->text);
    if (rc != CODEC_OK)             /* damaged: left as it is */
        return rc == CODEC_NO_MEMORY ? STORE_NO_MEMORY : STORE_OK;
    const unsigned char *k = key.data;
    uint32_t seq = (uint32_t)k[8] << 24 | (uint32_t)k[9] << 16 | (uint32_t)k[10] << 8 | k[11];
    unsigned char stamp[HISTORY_STAMP_MAX];
    size_t stamp_len = 0;
    rc = chain_link(&u->chain, store_read_be64(k), seq, linked, stamp, &stamp_len);
    if (rc == STORE_NOT_FOUND || rc == ENGINE_FAILED)
        return STORE_OK;            /* damaged, or after a damaged record: left unstamped,
                                       verify says so */
    if (rc != STORE_OK)
        return rc == ENGINE_NO_MEMORY ? STORE_NO_MEMORY : rc;
    engine_put_le32(&u->chunk, key.len);
    strbuf_append(&u->chunk, key.data, key.len);
    engine_put_le32(&u->chunk, (uint32_t)(stamp_len + record.len));
    strbuf_append(&u->chunk, (const char *)stamp, stamp_len);
    strbuf_append(&u->chunk, record.data, record.len);
    return strbuf_failed(&u->chunk) ? STORE_NO_MEMORY : upgrade_collected(u, key);
}

/* Chains the history in key order (schema 3), in chunks like upgrade_table. */
static int upgrade_chain(Upgrade *u)
{
    int rc = chain_begin(&u->chain, u->txn);
    u->table = TABLE_HISTORY;
    u->last.len = 0;
    u->chunk.len = 0;
    u->pending = 0;
    while (rc == STORE_OK) {
        u->more = false;
        rc = store_scan(u->txn, TABLE_HISTORY, store_bytes(NULL, 0),
                        store_bytes(u->last.data, u->last.len), chain_visit, u);
        if (rc == STORE_OK)
            rc = upgrade_flush(u);
        fault_point("store conversion");
        if (!u->more)
            break;
    }
    if (rc == STORE_OK)
        rc = chain_end(&u->chain);
    return rc;
}

/* meta/connectors, the one record among meta's counters. */
static int upgrade_connectors(Upgrade *u)
{
    StoreBytes value;
    int rc = store_get(u->txn, TABLE_META, CONNECTORS_KEY, &value);
    if (rc == STORE_NOT_FOUND)
        return STORE_OK;
    u->table = TABLE_META;
    u->chunk.len = 0;
    if (rc == STORE_OK)
        rc = upgrade_entry(TABLE_META, CONNECTORS_KEY, value, u->to, &u->chunk);
    return rc == STORE_STOP ? STORE_OK : rc == STORE_OK ? upgrade_flush(u) : rc;
}

/* An older schema keeps no chain: its head goes. */
static int upgrade_unchain(StoreTxn *txn)
{
    int rc = store_del(txn, TABLE_META, store_bytes("audit_head", 10));
    if (rc == STORE_OK || rc == STORE_NOT_FOUND)
        rc = store_del(txn, TABLE_META, store_bytes("audit_count", 11));
    return rc == STORE_NOT_FOUND ? STORE_OK : rc;
}

static int upgrade_work(StoreTxn *txn, void *context)
{
    Upgrade *u = context;
    u->txn = txn;
    u->converted = 0;
    u->chunk.len = 0;
    u->pending = 0;
    int rc = store_schema(txn, &u->from);
    if (rc != STORE_OK || u->from == u->to)
        return rc;                  /* another process converted it first */
    /* Between schemas 3 and up the records keep their form: their tables are not read. */
    bool records = u->from < 3 || u->to < 3;
    for (size_t i = 0; records && i < sizeof RECORD_TABLES / sizeof RECORD_TABLES[0] && rc == STORE_OK; i++)
        rc = upgrade_table(u, RECORD_TABLES[i]);
    if (rc == STORE_OK && records)
        rc = upgrade_connectors(u);
    if (rc == STORE_OK && u->to >= 3 && u->from < 3)
        rc = upgrade_chain(u);
    if (rc == STORE_OK && u->to < 3)
        rc = upgrade_unchain(txn);
    if (rc == STORE_OK && (u->to >= 4) != (u->from >= 4))   /* the decisions index (schema 4) */
        rc = u->to >= 4 ? audit_index_build(txn, u->to) : audit_index_clear(txn);
    else if (rc == STORE_OK && u->to >= 4 && (u->to >= 7) != (u->from >= 7))   /* its roles (schema 7) */
        rc = audit_index_build(txn, u->to);
    if (rc == STORE_OK && (u->to >= 5) != (u->from >= 5))   /* the seen key (schema 5) */
        rc = seen_rekey(txn, u->to >= 5, &u->converted);
    if (rc == STORE_OK && (u->to >= 6) != (u->from >= 6))   /* the gauges (schema 6) */
        rc = u->to >= 6 ? gauges_build(txn, u->why, sizeof u->why) : gauges_clear(txn);
    if (rc == STORE_OK)
        rc = store_schema_set(txn, u->to);
    fault_point("store conversion");
    return rc;
}

/* The conversion of engine_store_convert, and in `why` (when it is not NULL) the
   sentence that names a record it could not read, if that is why it failed. */
static int store_convert(Store *store, unsigned to, unsigned *from, size_t *count, char *why, size_t why_len)
{
    Upgrade u = {0};
    u.to = to;
    int rc = store_write(store, upgrade_work, &u);
    strbuf_free(&u.chunk);
    strbuf_free(&u.last);
    strbuf_free(&u.text);
    chain_free(&u.chain);
    *from = u.from;
    *count = u.converted;
    if (why_len)
        snprintf(why, why_len, "%s", rc != STORE_OK ? u.why : "");
    return rc;
}

int engine_store_convert(Store *store, unsigned to, unsigned *from, size_t *count)
{
    return store_convert(store, to, from, count, NULL, 0);
}

/* The schema a read transaction sees. */
static int upgrade_schema_read(Engine *e, unsigned *version)
{
    StoreTxn *txn;
    int rc = store_begin(e->store, false, &txn);
    if (rc != STORE_OK)
        return rc;
    rc = store_schema(txn, version);
    store_abort(txn);
    return rc;
}

int engine_upgrade(Engine *e, const char *dir, char *why, size_t why_len)
{
    unsigned version, from;
    size_t count;
    int rc = upgrade_schema_read(e, &version);
    if (rc != STORE_OK || version >= STORE_SCHEMA_VERSION)
        return engine_result(rc, why, why_len);
    char record_why[256];
    rc = store_convert(e->store, STORE_SCHEMA_VERSION, &from, &count, record_why, sizeof record_why);
    if (rc != STORE_OK) {
        snprintf(why, why_len, "cannot convert the store in %s from schema %u to %d: %s "
                 "(the store was left as it was; it is still readable)", dir, version,
                 STORE_SCHEMA_VERSION, record_why[0] ? record_why : store_strerror(rc));
        return engine_result(rc, why, why_len);
    }
    if (from < STORE_SCHEMA_VERSION)
        snprintf(e->notice, sizeof e->notice, "converted the store in %s from schema %u to %d "
                 "(%zu records)", dir, from, STORE_SCHEMA_VERSION, count);
    return ENGINE_OK;
}
