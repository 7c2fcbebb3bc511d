/*
 * engine_chain.c - the decision record's hash chain as history records are written
 * (step_write_records) and as an older store is chained (engine_upgrade.c).
 *
 * A history value of schema 3 is a stamp and the record (docs/audit.md, "What the store
 * keeps"). The stamp has two forms; the writer puts the second since 2026-12-04 night,
 * the reader takes both (a store holds either, record by record):
 *
 *   byte 0       HISTORY_STAMP_TAG (0xA7: neither the codec's format byte nor JSON text)
 *   bytes 1-8    the record's place in the store-wide chain, big-endian (1, 2, ...)
 *   bytes 9-40   its record link h(i, n) = SHA-256(h(i, n-1) || canonical record)
 *   bytes 41-    the record in the codec's binary form
 *
 *   byte 0       HISTORY_STAMP_VARINT (0xA8)
 *   bytes 1-k    the place as the codec's varint (LEB128, shortest form, 1 to 10 bytes)
 *   then 32      the record link, then the record: 36 bytes before it up to place 2^21
 *
 * Neither the place nor the stamp's bytes are hashed (the store's link hashes the
 * instance, seq and record link; the record link the canonical record), so both forms
 * verify to the same links and head.
 *
 * meta keeps the store-wide head (audit_head, 32 bytes) and how many records it covers
 * (audit_count, 8 bytes big-endian). Each record costs its canonical form, written
 * from the codec's bytes the store keeps anyway (engine_codec_canon.c, no jansson value
 * built), two SHA-256 (its link and the store's) and, for an instance's first record in
 * a transaction, one read of the stamp of the record before it; the head is read and
 * written once per step, or once per batch (batch_chain_open, engine_txn.c).
 */
#include "engine_internal.h"
#include "grow.h"

#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#define HEAD_KEY store_bytes("audit_head", 10)
#define COUNT_KEY store_bytes("audit_count", 11)

bool history_split(StoreBytes value, HistoryStamp *stamp, StoreBytes *record)
{
    const unsigned char *v = value.data;
    size_t at = 1;
    uint64_t order = 0;
    *record = value;
    if (value.len >= HISTORY_STAMP && v[0] == HISTORY_STAMP_TAG) {
        order = store_read_be64(v + 1);
        at = 9;
    } else if (value.len > 1 && v[0] == HISTORY_STAMP_VARINT) {
        if (codec_varint(v, value.len, &at, &order) != CODEC_VARINT_OK)
            return false;
    } else
        return false;
    if (value.len - at < AUDIT_HASH)
        return false;
    if (stamp) {
        stamp->order = order;
        memcpy(stamp->hash, v + at, AUDIT_HASH);
    }
    *record = store_bytes(v + at + AUDIT_HASH, value.len - at - AUDIT_HASH);
    return true;
}

size_t history_stamp_put(const HistoryStamp *stamp, unsigned char out[HISTORY_STAMP_MAX])
{
    size_t n = 0;
    out[n++] = HISTORY_STAMP_VARINT;
    uint64_t order = stamp->order;
    for (; order >= 0x80; order >>= 7)
        out[n++] = (unsigned char)(order | 0x80);
    out[n++] = (unsigned char)order;
    memcpy(out + n, stamp->hash, AUDIT_HASH);
    return n + AUDIT_HASH;
}

void history_key(uint64_t instance, uint32_t seq, unsigned char key[12])
{
    store_be64(instance, key);
    key[8] = (unsigned char)(seq >> 24);
    key[9] = (unsigned char)(seq >> 16);
    key[10] = (unsigned char)(seq >> 8);
    key[11] = (unsigned char)seq;
}

int chain_head_read(StoreTxn *txn, uint64_t *count, unsigned char head[AUDIT_HASH])
{
    StoreBytes value;
    *count = 0;
    memset(head, 0, AUDIT_HASH);
    int rc = store_get(txn, TABLE_META, COUNT_KEY, &value);
    if (rc == STORE_NOT_FOUND)
        return STORE_OK;            /* nothing chained yet: genesis */
    if (rc != STORE_OK)
        return rc;
    if (value.len != 8)
        return ENGINE_FAILED;
    *count = store_read_be64(value.data);
    rc = store_get(txn, TABLE_META, HEAD_KEY, &value);
    if (rc != STORE_OK)
        return rc == STORE_NOT_FOUND ? ENGINE_FAILED : rc;
    if (value.len != AUDIT_HASH)
        return ENGINE_FAILED;
    memcpy(head, value.data, AUDIT_HASH);
    return STORE_OK;
}

int chain_begin(HistoryChain *c, StoreTxn *txn)
{
    CodecCanon canonical = c->canonical;   /* kept when a transaction runs its work again */
    memset(c, 0, sizeof *c);
    c->canonical = canonical;
    c->txn = txn;
    return chain_head_read(txn, &c->count, c->head);
}

/* The link of the record before (instance, seq): the one just linked, genesis for the
   first, else the stamp of the record in the store. STORE_NOT_FOUND when that record
   is missing or has no stamp (a damaged chain: the writer stops). */
static int chain_prev(HistoryChain *c, uint64_t instance, uint32_t seq, unsigned char prev[AUDIT_HASH])
{
    if (seq <= 1) {
        memset(prev, 0, AUDIT_HASH);
        return STORE_OK;
    }
    if (c->linked && c->instance == instance && c->seq + 1 == seq) {
        memcpy(prev, c->last, AUDIT_HASH);
        return STORE_OK;
    }
    HistoryItem item;
    int rc = history_get(c->txn, instance, seq - 1, &item);
    if (rc != STORE_OK)
        return rc;
    if (!item.linked)
        return STORE_NOT_FOUND;     /* unstamped, or not the last of its entry */
    memcpy(prev, item.link, AUDIT_HASH);
    return STORE_OK;
}

void chain_link_store(unsigned char head[AUDIT_HASH], uint64_t instance, uint32_t seq,
                      const unsigned char record_hash[AUDIT_HASH])
{
    char id[24], *at = id + sizeof id;
    *--at = '\0';
    do {
        *--at = (char)('0' + instance % 10);
        instance /= 10;
    } while (instance);
    *--at = 'i';
    audit_link_store(head, at, seq, record_hash, head);
}

int chain_link(HistoryChain *c, uint64_t instance, uint32_t seq, StoreBytes record,
               unsigned char stamp[HISTORY_STAMP_MAX], size_t *stamp_len)
{
    unsigned char prev[AUDIT_HASH], h[AUDIT_HASH];
    int rc = chain_prev(c, instance, seq, prev);
    if (rc != STORE_OK)
        return rc;
    rc = codec_canon(&c->canonical, record.data, record.len);
    if (rc != CODEC_OK)
        return rc == CODEC_NO_MEMORY ? ENGINE_NO_MEMORY : ENGINE_FAILED;
    audit_link_record(prev, c->canonical.text.data, c->canonical.text.len, h);
    chain_link_store(c->head, instance, seq, h);
    c->count++;
    c->linked = true;
    c->instance = instance;
    c->seq = seq;
    memcpy(c->last, h, AUDIT_HASH);
    HistoryStamp made = {.order = c->count};
    memcpy(made.hash, h, AUDIT_HASH);
    *stamp_len = history_stamp_put(&made, stamp);
    return STORE_OK;
}

int chain_end(HistoryChain *c)
{
    unsigned char count[8];
    store_be64(c->count, count);
    int rc = store_put(c->txn, TABLE_META, COUNT_KEY, store_bytes(count, 8));
    if (rc == STORE_OK)
        rc = store_put(c->txn, TABLE_META, HEAD_KEY, store_bytes(c->head, AUDIT_HASH));
    return rc;
}

void chain_free(HistoryChain *c)
{
    codec_canon_free(&c->canonical);
}

/* ---- the store-wide chain read back ---- */

static int entry_compare(const void *a, const void *b)
{
    const ChainEntry *x = a, *y = b;
    if (x->order != y->order)
        return x->order < y->order ? -1 : 1;
    return x->instance != y->instance ? (x->instance < y->instance ? -1 : 1)
         : x->seq != y->seq ? (x->seq < y->seq ? -1 : 1) : 0;
}

/* Entries whose places are 1 to n, each once (an untouched store's), swapped straight
   into their place: false when they are not (the entries then partly moved), for qsort
   to order. */
static bool chain_place(ChainEntry *entries, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        while (entries[i].order != i + 1) {
            uint64_t order = entries[i].order;
            if (order < 1 || order > n || entries[order - 1].order == order)
                return false;
            ChainEntry other = entries[order - 1];
            entries[order - 1] = entries[i];
            entries[i] = other;
        }
    }
    return true;
}

void chain_sort(ChainEntry *entries, size_t n)
{
    if (n > 1 && !chain_place(entries, n))
        qsort(entries, n, sizeof *entries, entry_compare);
}

void chain_heads(const ChainEntry *entries, size_t n, unsigned char (*heads)[AUDIT_HASH])
{
    unsigned char head[AUDIT_HASH] = {0};
    for (size_t i = 0; i < n; i++) {
        chain_link_store(head, entries[i].instance, entries[i].seq, entries[i].hash);
        if (heads)
            memcpy(heads[i], head, AUDIT_HASH);
    }
}

typedef struct Collect {
    ChainEntry *entries;
    size_t count, cap;
} Collect;

static int collect_item(void *context, const HistoryItem *item)
{
    Collect *c = context;
    if (!item->stamped)
        return STORE_OK;            /* unchained: audit verify names it */
    ChainEntry *grown = grow_for_one(c->entries, &c->cap, c->count, sizeof *grown, 1024, engine_realloc);
    if (!grown)
        return ENGINE_NO_MEMORY;
    c->entries = grown;
    ChainEntry *e = &c->entries[c->count++];
    e->order = item->order;
    e->instance = item->instance;
    e->seq = item->seq;
    memset(e->hash, 0, AUDIT_HASH);   /* a record whose link cannot be worked out: verify names it */
    if (item->linked)
        memcpy(e->hash, item->link, AUDIT_HASH);
    e->entry_seq = item->entry->seq;
    e->entry_count = item->entry->count;
    memset(e->prev, 0, AUDIT_HASH);
    if (item->prev_known)
        memcpy(e->prev, item->prev, AUDIT_HASH);
    return STORE_OK;
}

int chain_collect(StoreTxn *txn, ChainEntry **entries, size_t *count)
{
    Collect c = {0};
    HistoryWalk walk = {.visit = collect_item, .context = &c, .links = true};
    int rc = history_walk(txn, &walk);
    history_walk_free(&walk);
    if (rc != STORE_OK) {
        free(c.entries);
        c.entries = NULL;
        c.count = 0;
    }
    chain_sort(c.entries, c.count);
    *entries = c.entries;
    *count = c.count;
    return rc;
}
