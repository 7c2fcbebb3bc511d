/*
 * store_schema1.c - makes a store what schema 1 made: every record JSON text again and
 * schema_version 1, for the tests of the conversion to schema 2 (tests/e2e/upgrade.sh).
 *
 *   store_schema1 DIR          rewrites the store in DIR as schema 1 kept it
 *   store_schema1 --to 3 DIR   ... or as schema 3 kept it (no decisions index; the
 *                              table stays, empty: tests/e2e/audit_index.sh also makes
 *                              one without it; the old seen key)
 *   store_schema1 --to 4 DIR   ... or as schema 4 kept it (seen keys of the old form,
 *                              source NUL id: engine_seen_key.c; no gauges)
 *   store_schema1 --to 5 DIR   ... or as schema 5 kept it (no gauges in meta:
 *                              engine_gauges.c)
 *   store_schema1 --to 6 DIR   ... or as schema 6 kept it (decisions index rows that
 *                              name neither who was handed away from a seat as it was
 *                              asked nor the operators: engine_audit_index.c)
 *   store_schema1 --format1 DIR
 *                              keeps the schema but writes every binary record in the
 *                              codec's format 1, as huddle wrote them before format 2
 *                              (2026-12-04), every typed seen entry and case owner as
 *                              such a record (as written before 2026-12-05), every task
 *                              record (engine_task_record.h, written since 2026-12-05
 *                              early morning) as the codec's record of its object (schema
 *                              1 too, as JSON text), and each history stamp in its fixed 41-byte
 *                              form (HISTORY_STAMP_TAG, as written before that night; a
 *                              step's entry of records taken apart, one record a key,
 *                              each with its link worked out, as written before
 *                              2026-12-05 early morning),
 *                              which must still verify to the same links and head (the
 *                              canonical form does not depend on the format); and each
 *                              instance's frame in frame format 1 (map keys in full, as
 *                              written before 2026-12-04 late); an instance's record of
 *                              its own encoding (engine_instance_record.c, written since
 *                              2026-12-05) becomes the JSON record it was before, in
 *                              format 1 (so do --to 3 and --to 4, in format 2)
 *   store_schema1 --show DIR   prints the schema DIR has, and how many records are in
 *                              the binary form and how many are JSON text; with
 *                              --show-formats, how many binary ones are of each format,
 *                              and on a second line how many history stamps are of each
 *                              form (fixed, varint), on a third how many entries of a
 *                              step's records and how many records they hold (an entry
 *                              counts in neither form), on a fourth how many instances'
 *                              frames are of each format, on a fifth how many seen
 *                              entries, case owners and tasks are typed (binary, not counted
 *                              in the formats), on a sixth how many instances' records
 *                              are of their own encoding and how many are JSON records
 *                              (an instance's record of its own encoding counts as
 *                              binary, of neither codec format)
 *
 * The rewrite is engine_store_convert's, in one write transaction. Exit status: 0 done,
 * 2 usage, 3 the store could not be opened or written.
 */
#include <stdio.h>
#include <string.h>

#include "engine_internal.h"
#include "engine_small_values.h"
#include "store.h"

static const StoreTable TABLES[] = {
    TABLE_PLAYBOOKS, TABLE_INSTANCES, TABLE_CASES, TABLE_WINDOWS, TABLE_HISTORY,
    TABLE_TASKS, TABLE_TIMERS, TABLE_MAILBOX, TABLE_OUTBOX, TABLE_SEEN, TABLE_DIRECTORY};
#define TABLE_COUNT (sizeof TABLES / sizeof TABLES[0])

typedef struct Count {
    size_t binary, text, format[3];
    size_t stamps[2];       /* history stamps: fixed (HISTORY_STAMP_TAG), varint */
    size_t entries[2];      /* history entries of a step's records (HISTORY_ENTRY_TAG), their records */
    size_t frames[3];       /* instances' frames of format 1, 2 (runtime/vm/frame.c) */
    size_t typed;           /* typed seen entries and case owners (engine_small_values.h) */
    size_t instances[2];    /* instances' records: JSON, their own encoding */
    StoreTable table;
} Count;

/* Where the record starts in a value of `table`: after an instance's length, after a
   history record's chain stamp (a value of one record). */
static size_t record_skip(StoreTable table, StoreBytes value)
{
    StoreBytes record;
    return table == TABLE_INSTANCES ? 4
         : table == TABLE_HISTORY && history_split(value, NULL, &record) ? value.len - record.len : 0;
}

static int count_visit(void *context, StoreBytes key, StoreBytes value);

static int count_item(void *context, const HistoryItem *item)
{
    return count_visit(context, store_bytes(NULL, 0), item->record);
}

/* A history entry: its stamp's form, and each record. */
static int count_history(Count *c, StoreBytes key, StoreBytes value)
{
    HistoryEntry e;
    history_entry_read(key, value, &e);
    if (e.form == HISTORY_ENTRY_TAG) {
        c->entries[0]++;
        c->entries[1] += e.count;
    } else if (e.stamped)
        c->stamps[e.form == HISTORY_STAMP_VARINT]++;
    HistoryWalk walk = {.visit = count_item, .context = c};
    c->table = TABLE_META;      /* the records themselves, as records */
    int rc = history_walk_entry(&walk, key, value);
    c->table = TABLE_HISTORY;
    return rc;
}

static int count_visit(void *context, StoreBytes key, StoreBytes value)
{
    Count *c = context;
    if (c->table == TABLE_HISTORY)
        return count_history(c, key, value);
    const unsigned char *bytes = value.data;
    size_t skip = record_skip(c->table, value);
    if (c->table == TABLE_INSTANCES && value.len >= 4 && engine_get_le32(bytes) <= value.len - 4) {
        size_t at = 4 + engine_get_le32(bytes);     /* the frame: "HFR" 0, its format */
        if (value.len > at + 4 && memcmp(bytes + at, "HFR", 4) == 0 && bytes[at + 4] >= 1 && bytes[at + 4] <= 2)
            c->frames[bytes[at + 4]]++;
    }
    if (value.len <= skip)
        return STORE_OK;
    if (c->table == TABLE_INSTANCES)
        c->instances[instance_record_is_typed(bytes + skip, value.len - skip)]++;
    if (c->table == TABLE_INSTANCES && instance_record_is_typed(bytes + skip, value.len - skip)) {
        c->binary++;
    } else if (codec_is_binary(bytes + skip, value.len - skip)) {
        c->binary++;
        c->format[bytes[skip]]++;
    } else if (small_value_typed(c->table, bytes + skip, value.len - skip)) {
        c->binary++;
        c->typed++;
    } else {
        c->text++;
    }
    return STORE_OK;
}

/* ---- --format1: every binary record back in format 1 ---- */

typedef struct Rewrite {
    StoreTxn *txn;
    StoreTable table;
    StrBuf chunk;           /* (u32 key length, key, u32 value length, value)... */
    size_t count;
    int rc;
    HistoryWalk walk;       /* the history's records, each with its link */
} Rewrite;

/* An instance's frame (after its record) in format 1, as written before 2026-12-04
   late, appended to `out`: decoded against the program of the record's `version` (from
   the programs table) and encoded again; as it is when it does not decode. */
static void frame_as_format1(StoreTxn *txn, const json_t *record, StoreBytes frame, StrBuf *out)
{
    const char *version = json_string_value(json_object_get(record, "version"));
    StoreBytes code;
    Program *program = NULL;
    char why[256];
    Frame *decoded = NULL;
    if (frame.len > 0 && version &&
        store_get(txn, TABLE_PROGRAMS, store_bytes(version, strlen(version)), &code) == STORE_OK &&
        program_load(code.data, code.len, &program, why, sizeof why) == 0)
        decoded = frame_decode(program, frame.data, frame.len, why, sizeof why);
    if (decoded)
        frame_encode_format(decoded, 1, out);
    else
        strbuf_append(out, frame.data, frame.len);
    frame_free(decoded);
    program_free(program);
}

static int rewrite_visit(void *context, StoreBytes key, StoreBytes value)
{
    Rewrite *r = context;
    size_t skip = record_skip(r->table, value), len = value.len - skip;
    const char *bytes = value.data;
    if (r->table == TABLE_INSTANCES && value.len >= 4 && engine_get_le32(bytes) <= value.len - 4)
        len = engine_get_le32(bytes);
    bool instance_typed = r->table == TABLE_INSTANCES && value.len > skip && instance_record_is_typed(bytes + skip, len);
    bool typed = instance_typed || (value.len > skip && small_value_typed(r->table, bytes + skip, len));
    if (value.len <= skip || (!typed && (!codec_is_binary(bytes + skip, len) || bytes[skip] == CODEC_FORMAT_1)))
        return STORE_OK;
    json_t *json = NULL;
    char why[240];
    InstanceRecord instance;
    if (instance_typed && instance_record_decode(bytes + skip, len, &instance, why, sizeof why) == INSTANCE_RECORD_OK) {
        json = instance_record_json(&instance);
        instance_record_free(&instance);
    }
    if (instance_typed ? !json : small_value_load(r->table, bytes + skip, len, &json, why, sizeof why) != CODEC_OK)
        return STORE_OK;    /* damaged: left as it is */
    engine_put_le32(&r->chunk, key.len);
    strbuf_append(&r->chunk, key.data, key.len);
    size_t at = r->chunk.len;
    engine_put_le32(&r->chunk, 0);
    HistoryStamp stamp;
    StoreBytes record;
    if (r->table == TABLE_HISTORY && history_split(value, &stamp, &record)) {
        unsigned char fixed[HISTORY_STAMP] = {HISTORY_STAMP_TAG};   /* the stamp as written then */
        store_be64(stamp.order, fixed + 1);
        memcpy(fixed + 9, stamp.hash, AUDIT_HASH);
        strbuf_append(&r->chunk, (const char *)fixed, HISTORY_STAMP);
    } else
        strbuf_append(&r->chunk, bytes, skip);  /* the length set below */
    size_t start = r->chunk.len;
    int rc = codec_encode_format(json, CODEC_FORMAT_1, &r->chunk);
    if (rc != CODEC_OK) {
        json_decref(json);
        return rc == CODEC_NO_MEMORY ? STORE_NO_MEMORY : STORE_FAILED;
    }
    if (r->table == TABLE_INSTANCES)
        engine_set_le32(r->chunk.data + start - 4, r->chunk.len - start);
    if (r->table == TABLE_INSTANCES)    /* its frame */
        frame_as_format1(r->txn, json, store_bytes(bytes + skip + len, value.len - skip - len), &r->chunk);
    json_decref(json);
    engine_set_le32(r->chunk.data + at, r->chunk.len - at - 4);
    r->count++;
    return strbuf_failed(&r->chunk) ? STORE_NO_MEMORY : STORE_OK;
}

/* A history record as written before 2026-12-04: its own key, the fixed stamp, format
   1. A step's entry (HISTORY_ENTRY_TAG) is taken apart so, each record with the link the
   walk worked out: no such entry was written then. */
static int rewrite_history_item(void *context, const HistoryItem *item)
{
    Rewrite *r = context;
    bool entry = item->entry && item->entry->form == HISTORY_ENTRY_TAG;
    const char *bytes = item->record.data;
    bool binary = codec_is_binary(item->record.data, item->record.len);
    if (!item->stamped || !item->linked || (!entry && (!binary || bytes[0] == CODEC_FORMAT_1)))
        return STORE_OK;    /* unchained, damaged, or as it was */
    json_t *json = NULL;
    char why[240];
    if (binary && codec_load(item->record.data, item->record.len, &json, why, sizeof why) != CODEC_OK)
        return STORE_OK;    /* damaged: left as it is */
    unsigned char key[12], fixed[HISTORY_STAMP] = {HISTORY_STAMP_TAG};
    history_key(item->instance, item->seq, key);
    store_be64(item->order, fixed + 1);
    memcpy(fixed + 9, item->link, AUDIT_HASH);
    engine_put_le32(&r->chunk, 12);
    strbuf_append(&r->chunk, (const char *)key, 12);
    size_t at = r->chunk.len;
    engine_put_le32(&r->chunk, 0);
    strbuf_append(&r->chunk, (const char *)fixed, HISTORY_STAMP);
    int rc = json ? codec_encode_format(json, CODEC_FORMAT_1, &r->chunk) : CODEC_OK;
    if (!json)
        strbuf_append(&r->chunk, bytes, item->record.len);   /* JSON text, as it is */
    json_decref(json);
    if (rc != CODEC_OK)
        return rc == CODEC_NO_MEMORY ? STORE_NO_MEMORY : STORE_FAILED;
    engine_set_le32(r->chunk.data + at, r->chunk.len - at - 4);
    r->count++;
    return strbuf_failed(&r->chunk) ? STORE_NO_MEMORY : STORE_OK;
}

static int rewrite_history_visit(void *context, StoreBytes key, StoreBytes value)
{
    Rewrite *r = context;
    return history_walk_entry(&r->walk, key, value);
}

static int rewrite_work(StoreTxn *txn, void *context)
{
    Rewrite *r = context;
    r->txn = txn;
    int rc = STORE_OK;
    for (size_t i = 0; rc == STORE_OK && i < TABLE_COUNT; i++) {
        r->table = TABLES[i];
        r->chunk.len = 0;
        r->walk = (HistoryWalk){.visit = rewrite_history_item, .context = r, .links = true,
                                .canonical = r->walk.canonical};
        rc = store_scan(txn, r->table, store_bytes(NULL, 0), store_bytes(NULL, 0),
                        r->table == TABLE_HISTORY ? rewrite_history_visit : rewrite_visit, r);
        for (const char *at = r->chunk.data, *end = at + r->chunk.len; rc == STORE_OK && at && at < end;) {
            StoreBytes key = store_bytes(at + 4, engine_get_le32(at));
            at += 4 + key.len;
            StoreBytes value = store_bytes(at + 4, engine_get_le32(at));
            at += 4 + value.len;
            rc = store_put(txn, r->table, key, value);
        }
    }
    return rc;
}

static int format1(Store *store)
{
    Rewrite r = {.chunk = STRBUF_INIT};
    int rc = store_write(store, rewrite_work, &r);
    strbuf_free(&r.chunk);
    history_walk_free(&r.walk);
    if (rc == STORE_OK)
        printf("%zu records now of format 1\n", r.count);
    return rc;
}

/* schema N, binary B, text T: over the record tables (meta and programs aside). */
static int show(Store *store, bool formats)
{
    StoreTxn *txn = NULL;
    unsigned version = 0;
    Count c = {.table = TABLE_META};
    int rc = store_begin(store, false, &txn);
    if (rc == STORE_OK)
        rc = store_schema(txn, &version);
    for (size_t i = 0; rc == STORE_OK && i < sizeof TABLES / sizeof TABLES[0]; i++) {
        c.table = TABLES[i];
        rc = store_scan(txn, TABLES[i], store_bytes(NULL, 0), store_bytes(NULL, 0), count_visit, &c);
    }
    if (txn)
        store_abort(txn);
    if (rc != STORE_OK) {
        fprintf(stderr, "store_schema1: %s\n", store_strerror(rc));
        return 3;
    }
    if (formats)
    {
        printf("schema %u, format 1 %zu, format 2 %zu, text %zu\n", version, c.format[1], c.format[2], c.text);
        printf("history stamps: fixed %zu, varint %zu\n", c.stamps[0], c.stamps[1]);
        printf("history entries of a step's records: %zu, holding %zu records\n", c.entries[0], c.entries[1]);
        printf("frames: format 1 %zu, format 2 %zu\n", c.frames[1], c.frames[2]);
        printf("typed values: %zu\n", c.typed);
        printf("instance records: own encoding %zu, JSON %zu\n", c.instances[1], c.instances[0]);
    }
    else
        printf("schema %u, binary %zu, text %zu\n", version, c.binary, c.text);
    return 0;
}

int main(int argc, char **argv)
{
    bool formats = argc == 3 && strcmp(argv[1], "--show-formats") == 0;
    bool showing = formats || (argc == 3 && strcmp(argv[1], "--show") == 0);
    bool to_older = argc == 4 && strcmp(argv[1], "--to") == 0 &&
                    (strcmp(argv[2], "3") == 0 || strcmp(argv[2], "4") == 0 || strcmp(argv[2], "5") == 0 ||
                     strcmp(argv[2], "6") == 0);
    bool to_format1 = argc == 3 && strcmp(argv[1], "--format1") == 0;
    if (argc != 2 && !showing && !to_older && !to_format1) {
        fprintf(stderr, "usage: store_schema1 [--show | --show-formats | --format1 | --to 3 | --to 4 | --to 5 | --to 6] DIR\n");
        return 2;
    }
    const char *dir = argv[argc - 1];
    StoreOptions options = {.read_only = showing};
    Store *store;
    char why[512];
    if (store_open(dir, &options, &store, why, sizeof why) != STORE_OK) {
        fprintf(stderr, "store_schema1: %s\n", why);
        return 3;
    }
    unsigned from;
    size_t count;
    int rc = showing ? show(store, formats) : to_format1 ? format1(store)
           : engine_store_convert(store, to_older ? (unsigned)(argv[2][0] - '0') : 1, &from, &count);
    store_close(store);
    if (!showing && rc != STORE_OK) {
        fprintf(stderr, "store_schema1: %s: %s\n", dir, store_strerror(rc));
        return 3;
    }
    return rc == STORE_OK ? 0 : rc;
}
