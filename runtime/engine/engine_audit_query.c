/*
 * engine_audit_query.c - the decision record's export: every history record in commit
 * order with its links (docs/audit.md, "Exporting"), read in one transaction, each line
 * lent to a callback as JSON, so `huddle audit export` and an HTTP route write the same
 * thing. The decisions are engine_audit_decisions.c's; search and stats
 * engine_audit_search.c's.
 */
#include "engine_internal.h"
#include "value_json.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- the stamps in commit order ---- */

typedef struct Stamps {
    ChainEntry *entries;
    size_t count;
} Stamps;

/* Every stamped record, sorted into commit order; st->entries is the caller's to free. */
static int stamps_read(Step *s, Stamps *st)
{
    int rc = chain_collect(s->txn, &st->entries, &st->count);
    if (rc == ENGINE_NO_MEMORY)
        return step_fail(s, rc, "out of memory");
    return rc == STORE_OK ? rc : step_fail(s, rc, "store error reading the history: %s", store_strerror(rc));
}

/* The record kept for an entry, and the link of the record before it: read from the
   stored entry it was collected from, so a copy kept over other records' seqs (a store
   tampered with) is exported as what it holds, and so are they. */
static int entry_record(Step *s, const ChainEntry *e, json_t **record, unsigned char prev[AUDIT_HASH])
{
    HistoryItem item;
    int rc = history_get_in(s->txn, e->instance, e->entry_seq, e->seq, &item);
    if (rc == STORE_OK)
        rc = history_item_json(s, &item, record);
    else if (rc == STORE_NOT_FOUND)
        rc = step_fail(s, ENGINE_FAILED, "history record %u of i%llu is gone while the export reads it",
                       e->seq, (unsigned long long)e->instance);
    memcpy(prev, e->prev, AUDIT_HASH);
    return rc;
}

/* ---- the export ---- */

typedef struct Export {
    int64_t since;                  /* INT64_MIN: everything */
    EngineAuditRow row;
    void *context;
} Export;

static json_t *hex_json(const unsigned char hash[AUDIT_HASH])
{
    char hex[AUDIT_HEX];
    audit_hex(hash, hex);
    return json_string(hex);
}

static json_t *since_json(int64_t since)
{
    if (since == INT64_MIN)
        return json_null();
    char at[40];
    time_text(since, at);
    return json_string(at);
}

static int export_line(Export *x, json_t *line)
{
    int rc = line ? x->row(x->context, line) : ENGINE_NO_MEMORY;
    json_decref(line);
    return rc;
}

/* Each instance's record count ("history"), by id: the export's last line. */
typedef struct Counts {
    Step *step;
    json_t *map;
} Counts;

static int counts_visit(void *context, const InstanceRecord *record)
{
    Counts *c = context;
    if (json_object_set_new(c->map, record->id, json_integer((json_int_t)record->history)) != 0)
        return step_fail(c->step, ENGINE_NO_MEMORY, "out of memory");
    return STORE_OK;
}

static int export_rows(Step *s, Export *x, const Stamps *st, unsigned char (*heads)[AUDIT_HASH])
{
    unsigned char zero[AUDIT_HASH] = {0}, prev[AUDIT_HASH];
    bool started = false;
    int rc = STORE_OK;
    for (size_t i = 0; i < st->count && rc == STORE_OK; i++) {
        const ChainEntry *e = &st->entries[i];
        json_t *record;
        if ((rc = entry_record(s, e, &record, prev)) != STORE_OK)
            break;
        int64_t at = INT64_MIN;
        value_parse_time(json_string_value(json_object_get(record, "at")), &at);
        if (!started && at >= x->since) {
            started = true;
            rc = export_line(x, json_pack("{s:s, s:i, s:s, s:o, s:o, s:I}", "export", "huddle audit",
                                          "version", 1, "store", store_id(s->engine->store),
                                          "store_prev", hex_json(i ? heads[i - 1] : zero),
                                          "since", since_json(x->since),
                                          "from", (json_int_t)(i ? e->order : 1)));
        }
        char id[24];
        snprintf(id, sizeof id, "i%llu", (unsigned long long)e->instance);
        json_t *line = started && rc == STORE_OK
            ? json_pack("{s:I, s:s, s:I, s:o, s:o, s:o, s:O}", "order", (json_int_t)e->order,
                        "instance", id, "seq", (json_int_t)e->seq, "prev", hex_json(prev),
                        "hash", hex_json(e->hash), "chain", hex_json(heads[i]), "record", record)
            : NULL;
        if (line && e->entry_count > 1)   /* kept in one entry with others: only the last's hash is stored */
            json_object_set_new(line, "entry", json_pack("[I, I]", (json_int_t)e->entry_seq,
                                                         (json_int_t)(e->entry_seq + e->entry_count - 1)));
        if (started && rc == STORE_OK)
            rc = export_line(x, line);
        json_decref(record);
    }
    if (rc == STORE_OK && !started)
        rc = export_line(x, json_pack("{s:s, s:i, s:s, s:o, s:o, s:I}", "export", "huddle audit", "version", 1,
                                      "store", store_id(s->engine->store),
                                      "store_prev", hex_json(st->count ? heads[st->count - 1] : zero),
                                      "since", since_json(x->since),
                                      "from", (json_int_t)st->count + 1));
    /* The last line is the head the store keeps (meta), not one worked out from the
       records: a verifier compares the two. */
    uint64_t count;
    unsigned char head[AUDIT_HASH];
    if (rc == STORE_OK && (rc = chain_head_read(s->txn, &count, head)) == ENGINE_FAILED)
        rc = step_damaged(s, TABLE_META, store_bytes("audit_head", 10), "is not a 32-byte hash with its count");
    json_t *instances = json_object();
    Counts counts = {s, instances};
    if (rc == STORE_OK)
        rc = instance_scan(s, counts_visit, &counts);
    if (rc == STORE_OK)
        rc = export_line(x, json_pack("{s:o, s:I, s:O}", "head", hex_json(head), "count", (json_int_t)count,
                                      "instances", instances));
    json_decref(instances);
    return rc;
}

static int export_work(Step *s, void *context)
{
    Export *x = context;
    Stamps st = {0};
    int rc = stamps_read(s, &st);
    unsigned char (*heads)[AUDIT_HASH] = rc == STORE_OK ? engine_calloc(st.count + 1, AUDIT_HASH) : NULL;
    if (rc == STORE_OK && !heads)
        rc = step_fail(s, ENGINE_NO_MEMORY, "out of memory");
    if (rc == STORE_OK) {
        chain_heads(st.entries, st.count, heads);
        rc = export_rows(s, x, &st, heads);
        if (rc == ENGINE_NO_MEMORY)
            step_fail(s, rc, "out of memory");
    }
    free(heads);
    free(st.entries);
    return rc;
}

int engine_audit_export(Engine *e, int64_t since, EngineAuditRow row, void *context, char *why,
                        size_t why_len)
{
    Export x = {since, row, context};
    return engine_read(e, export_work, &x, why, why_len);
}
