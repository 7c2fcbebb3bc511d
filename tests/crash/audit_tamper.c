/*
 * audit_tamper.c - tampers with a store's history directly through the store (LMDB),
 * as someone with the files but without Huddle would, for tests/e2e/audit.sh. Each
 * change is one write transaction on a copy of a real store:
 *
 * The history keeps a step's records of one instance in one entry (engine_history.c),
 * keyed by the first one's seq: delete, insert and swap work on entries, as LMDB keeps
 * them; comment and drop on a record inside its entry.
 *
 *   audit_tamper DIR comment I SEQ      one byte of the record's comment changed (its
 *                                       entry's stamp and other records kept)
 *   audit_tamper DIR delete I SEQ       the entry at SEQ removed (its records with it)
 *   audit_tamper DIR insert I SEQ FROM  a copy of the entry at FROM (stamp and all) put at SEQ
 *   audit_tamper DIR swap I A B         the entries at A and B trade places
 *   audit_tamper DIR cut I SEQ          the entry at SEQ loses its last byte
 *   audit_tamper DIR drop               the newest record removed, and the store made
 *                                       to agree: meta's head and count set back to the
 *                                       chain before it, the instance's record count
 *                                       lowered (only a head kept elsewhere shows it)
 *   audit_tamper DIR head               one bit of meta's audit_head flipped
 *
 * Exit status: 0 done, 2 usage, 3 the store could not be opened, read or written.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine_internal.h"
#include "store.h"

typedef struct Tamper {
    const char *what;
    uint64_t instance;
    uint32_t a, b;
} Tamper;

static StoreBytes key_of(unsigned char key[12], uint64_t instance, uint32_t seq)
{
    history_key(instance, seq, key);
    return store_bytes(key, 12);
}

/* A copy of the value at (instance, seq), for a put after other writes. */
static int value_copy(StoreTxn *txn, uint64_t instance, uint32_t seq, StrBuf *out)
{
    unsigned char key[12];
    StoreBytes value;
    int rc = store_get(txn, TABLE_HISTORY, key_of(key, instance, seq), &value);
    if (rc == STORE_OK)
        strbuf_append(out, value.data, value.len);
    return rc;
}

/* The entry holding record (instance, seq): its key and a copy of its value, and where
   the record's bytes are in that copy. */
static int entry_copy(StoreTxn *txn, uint64_t instance, uint32_t seq, unsigned char key[12], StrBuf *value,
                      StoreBytes *record)
{
    StoreBytes found, stored;
    int rc = store_floor(txn, TABLE_HISTORY, key_of(key, instance, seq), &found, &stored);
    if (rc != STORE_OK)
        return rc;
    HistoryItem item;
    rc = history_get(txn, instance, seq, &item);
    if (rc != STORE_OK)
        return rc;
    memcpy(key, found.data, 12);
    strbuf_append(value, stored.data, stored.len);
    *record = store_bytes(value->data + ((const char *)item.record.data - (const char *)stored.data), item.record.len);
    return STORE_OK;
}

/* One byte of the record's comment changed, in the entry that holds it (its stamp,
   and the other records, kept). */
static int tamper_comment(StoreTxn *txn, const Tamper *t)
{
    StrBuf value = STRBUF_INIT, out = STRBUF_INIT;
    unsigned char key[12];
    StoreBytes record;
    int rc = entry_copy(txn, t->instance, t->a, key, &value, &record);
    json_t *json = NULL;
    char why[200];
    if (rc == STORE_OK && codec_load(record.data, record.len, &json, why, sizeof why) != CODEC_OK)
        rc = STORE_FAILED;
    const char *comment = json ? json_string_value(json_object_get(json, "comment")) : NULL;
    if (rc == STORE_OK && (!comment || !comment[0])) {
        fprintf(stderr, "audit_tamper: the record has no comment\n");
        rc = STORE_FAILED;
    }
    if (rc == STORE_OK) {
        char *changed = strdup(comment);
        changed[0] ^= 0x01;          /* one byte */
        json_object_set_new(json, "comment", json_string(changed));
        free(changed);
        rc = codec_encode(json, &out) == CODEC_OK && out.len == record.len ? STORE_OK : STORE_FAILED;
    }
    if (rc == STORE_OK) {
        memcpy((char *)record.data, out.data, out.len);   /* the same length: in its place */
        rc = store_put(txn, TABLE_HISTORY, store_bytes(key, 12), store_bytes(value.data, value.len));
    }
    json_decref(json);
    strbuf_free(&value);
    strbuf_free(&out);
    return rc;
}

static int tamper_cut(StoreTxn *txn, const Tamper *t)
{
    StrBuf value = STRBUF_INIT;
    unsigned char key[12];
    int rc = value_copy(txn, t->instance, t->a, &value);
    if (rc == STORE_OK && value.len < 2)
        rc = STORE_FAILED;
    if (rc == STORE_OK)
        rc = store_put(txn, TABLE_HISTORY, key_of(key, t->instance, t->a), store_bytes(value.data, value.len - 1));
    strbuf_free(&value);
    return rc;
}

static int tamper_swap(StoreTxn *txn, const Tamper *t)
{
    StrBuf a = STRBUF_INIT, b = STRBUF_INIT;
    unsigned char key[12];
    int rc = value_copy(txn, t->instance, t->a, &a);
    if (rc == STORE_OK)
        rc = value_copy(txn, t->instance, t->b, &b);
    if (rc == STORE_OK)
        rc = store_put(txn, TABLE_HISTORY, key_of(key, t->instance, t->a), store_bytes(b.data, b.len));
    if (rc == STORE_OK)
        rc = store_put(txn, TABLE_HISTORY, key_of(key, t->instance, t->b), store_bytes(a.data, a.len));
    strbuf_free(&a);
    strbuf_free(&b);
    return rc;
}

static int tamper_insert(StoreTxn *txn, const Tamper *t)
{
    StrBuf from = STRBUF_INIT;
    unsigned char key[12];
    int rc = value_copy(txn, t->instance, t->b, &from);
    if (rc == STORE_OK)
        rc = store_put(txn, TABLE_HISTORY, key_of(key, t->instance, t->a), store_bytes(from.data, from.len));
    strbuf_free(&from);
    return rc;
}

/* ---- drop: the newest record, and the store made to agree ---- */

/* The instance's record count set to `history`. */
static int instance_count_set(StoreTxn *txn, uint64_t instance, uint32_t history)
{
    unsigned char key[8];
    store_be64(instance, key);
    StoreBytes value;
    int rc = store_get(txn, TABLE_INSTANCES, store_bytes(key, 8), &value);
    if (rc != STORE_OK)
        return rc;
    uint32_t len = engine_get_le32(value.data);
    InstanceRecord record;
    char why[200];
    if (len > value.len - 4 ||
        instance_record_load((const char *)value.data + 4, len, &record, why, sizeof why) != INSTANCE_RECORD_OK)
        return STORE_FAILED;
    record.history = history;
    StrBuf out = STRBUF_INIT;
    strbuf_append(&out, "\0\0\0\0", 4);
    rc = instance_record_encode(&record, &out) == 0 ? STORE_OK : STORE_FAILED;
    engine_set_le32(out.data, (uint32_t)(out.len - 4));
    strbuf_append(&out, (const char *)value.data + 4 + len, value.len - 4 - len);
    if (rc == STORE_OK)
        rc = store_put(txn, TABLE_INSTANCES, store_bytes(key, 8), store_bytes(out.data, out.len));
    instance_record_free(&record);
    strbuf_free(&out);
    return rc;
}

/* The newest record taken out of the history: its entry removed when it is alone in
   it, else the entry written again without it, stamped with the link of the record now
   last (`prev`), as the writer would have. */
static int newest_remove(StoreTxn *txn, const ChainEntry *newest, const unsigned char prev[AUDIT_HASH])
{
    unsigned char key[12];
    StrBuf value = STRBUF_INIT, out = STRBUF_INIT;
    StoreBytes record;
    int rc = entry_copy(txn, newest->instance, newest->seq, key, &value, &record);
    HistoryEntry e;
    if (rc == STORE_OK)
        history_entry_read(store_bytes(key, 12), store_bytes(value.data, value.len), &e);
    if (rc != STORE_OK || e.count == 1) {
        strbuf_free(&value);
        return rc == STORE_OK ? store_del(txn, TABLE_HISTORY, store_bytes(key, 12)) : rc;
    }
    HistoryItem item;
    size_t at = 0;
    uint32_t index = 0;
    if (e.count == 2) {     /* one record left: its own stamp */
        HistoryStamp stamp = {.order = e.order};
        unsigned char bytes[HISTORY_STAMP_MAX];
        memcpy(stamp.hash, prev, AUDIT_HASH);
        strbuf_append(&out, (const char *)bytes, history_stamp_put(&stamp, bytes));
    } else
        history_entry_begin(&out, e.order, e.count - 1, prev);
    while (history_entry_next(&e, &at, &index, &item) && !item.last) {
        if (e.count > 2)
            history_entry_add(&out, item.record);
        else
            strbuf_append(&out, item.record.data, item.record.len);
    }
    rc = store_put(txn, TABLE_HISTORY, store_bytes(key, 12), store_bytes(out.data, out.len));
    strbuf_free(&value);
    strbuf_free(&out);
    return rc;
}

static int tamper_drop(StoreTxn *txn)
{
    ChainEntry *entries;
    size_t n;
    int rc = chain_collect(txn, &entries, &n);
    if (rc == STORE_OK && n == 0)
        rc = STORE_NOT_FOUND;
    if (rc == STORE_OK) {
        const ChainEntry *newest = &entries[n - 1];
        unsigned char (*heads)[AUDIT_HASH] = calloc(n, AUDIT_HASH), count[8];
        chain_heads(entries, n, heads);
        unsigned char zero[AUDIT_HASH] = {0};
        store_be64(n - 1, count);
        rc = newest_remove(txn, newest, newest->prev);
        if (rc == STORE_OK)
            rc = store_put(txn, TABLE_META, store_bytes("audit_head", 10),
                           store_bytes(n > 1 ? heads[n - 2] : zero, AUDIT_HASH));
        if (rc == STORE_OK)
            rc = store_put(txn, TABLE_META, store_bytes("audit_count", 11), store_bytes(count, 8));
        if (rc == STORE_OK)
            rc = instance_count_set(txn, newest->instance, newest->seq - 1);
        if (rc == STORE_OK)
            printf("dropped i%llu seq %u\n", (unsigned long long)newest->instance, newest->seq);
        free(heads);
    }
    free(entries);
    return rc;
}

static int tamper_head(StoreTxn *txn)
{
    StoreBytes value;
    int rc = store_get(txn, TABLE_META, store_bytes("audit_head", 10), &value);
    if (rc != STORE_OK || value.len != AUDIT_HASH)
        return rc == STORE_OK ? STORE_FAILED : rc;
    unsigned char head[AUDIT_HASH];
    memcpy(head, value.data, AUDIT_HASH);
    head[7] ^= 0x10;
    return store_put(txn, TABLE_META, store_bytes("audit_head", 10), store_bytes(head, AUDIT_HASH));
}

static int tamper_work(StoreTxn *txn, void *context)
{
    const Tamper *t = context;
    unsigned char key[12];
    return strcmp(t->what, "comment") == 0 ? tamper_comment(txn, t)
         : strcmp(t->what, "delete") == 0 ? store_del(txn, TABLE_HISTORY, key_of(key, t->instance, t->a))
         : strcmp(t->what, "insert") == 0 ? tamper_insert(txn, t)
         : strcmp(t->what, "swap") == 0 ? tamper_swap(txn, t)
         : strcmp(t->what, "cut") == 0 ? tamper_cut(txn, t)
         : strcmp(t->what, "drop") == 0 ? tamper_drop(txn)
         : tamper_head(txn);
}

int main(int argc, char **argv)
{
    Tamper t = {argc > 2 ? argv[2] : "", 0, 0, 0};
    int want = strcmp(t.what, "comment") == 0 || strcmp(t.what, "delete") == 0 || strcmp(t.what, "cut") == 0 ? 5
             : strcmp(t.what, "insert") == 0 || strcmp(t.what, "swap") == 0 ? 6
             : strcmp(t.what, "drop") == 0 || strcmp(t.what, "head") == 0 ? 3 : -1;
    if (argc != want || (want > 3 && argv[3][0] != 'i')) {
        fprintf(stderr, "usage: audit_tamper DIR comment|delete|cut I SEQ | insert I SEQ FROM | swap I A B | drop | head\n");
        return 2;
    }
    if (want > 3) {
        t.instance = strtoull(argv[3] + 1, NULL, 10);
        t.a = (uint32_t)strtoul(argv[4], NULL, 10);
        t.b = want > 5 ? (uint32_t)strtoul(argv[5], NULL, 10) : 0;
    }
    StoreOptions options = {false, false, false, false};
    Store *store;
    char why[512];
    if (store_open(argv[1], &options, &store, why, sizeof why) != STORE_OK) {
        fprintf(stderr, "audit_tamper: %s\n", why);
        return 3;
    }
    int rc = store_write(store, tamper_work, &t);
    store_close(store);
    if (rc != STORE_OK) {
        fprintf(stderr, "audit_tamper: %s %s: %s\n", argv[1], t.what, store_strerror(rc));
        return 3;
    }
    return 0;
}
