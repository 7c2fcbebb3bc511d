/*
 * engine_history.c - the history table's stored layout, read: every reader of history
 * records (history, verify, the export, the decisions fold and index, the ask context,
 * the chain's writer, the crash tools) goes through history_entry_read / history_walk /
 * history_get, and none knows the layout.
 *
 * A history value is an entry: the key is the instance (8 bytes) and the seq of its
 * first record (4 bytes), both big-endian, and the value is one of
 *
 *   a record alone, unstamped (schema 1 and 2: JSON text or the codec's bytes);
 *   a record behind its stamp, 0xA7 (fixed) or 0xA8 (varint): engine_chain.c;
 *   a step's records of one instance behind one stamp (since 2026-12-05, 0xA9):
 *     byte 0       HISTORY_ENTRY_TAG (0xA9)
 *     varint       the first record's place in the store-wide chain
 *     varint       how many records (2 or more; seqs first, first + 1, ...)
 *     32 bytes     the LAST record's link
 *     then, for each record, its length as a varint and its codec bytes.
 *   The records of an entry take consecutive places, as they were chained; the links
 *   of those before the last are worked out again from the one before the entry
 *   (HistoryWalk.links), as verify does for every record anyway.
 *
 * An entry of 0xA9 that cannot be read (cut, a count past its records, bytes past
 * them, seqs past 2^32 - 1) is read as one unstamped record of those bytes, which no decoder takes: each
 * reader names it as it names a damaged record.
 */
#include "engine_internal.h"

#include <string.h>

void history_key_read(StoreBytes key, uint64_t *instance, uint32_t *seq)
{
    const unsigned char *k = key.data;
    *instance = key.len == 12 ? store_read_be64(k) : 0;
    *seq = key.len == 12 ? (uint32_t)k[8] << 24 | (uint32_t)k[9] << 16 | (uint32_t)k[10] << 8 | k[11] : 0;
}

/* The records part of an entry of HISTORY_ENTRY_TAG: true when it holds exactly
   `count` records, each of its length. */
static bool entry_records_exact(const unsigned char *v, size_t len, uint64_t count)
{
    size_t at = 0;
    for (uint64_t i = 0; i < count; i++) {
        uint64_t n;
        if (codec_varint(v, len, &at, &n) != CODEC_VARINT_OK || n == 0 || n > len - at)
            return false;
        at += (size_t)n;
    }
    return at == len;
}

static bool entry_parse(StoreBytes value, HistoryEntry *e)
{
    const unsigned char *v = value.data;
    size_t at = 1;
    uint64_t order, count;
    if (codec_varint(v, value.len, &at, &order) != CODEC_VARINT_OK || order == 0 ||
        codec_varint(v, value.len, &at, &count) != CODEC_VARINT_OK || count < 2 ||
        count - 1 > UINT32_MAX - (uint64_t)e->seq || value.len - at < AUDIT_HASH)   /* seqs past 2^32 */
        return false;
    memcpy(e->link, v + at, AUDIT_HASH);
    at += AUDIT_HASH;
    if (!entry_records_exact(v + at, value.len - at, count))
        return false;
    e->form = HISTORY_ENTRY_TAG;
    e->stamped = true;
    e->order = order;
    e->count = (uint32_t)count;
    e->records = store_bytes(v + at, value.len - at);
    return true;
}

void history_entry_read(StoreBytes key, StoreBytes value, HistoryEntry *e)
{
    memset(e, 0, sizeof *e);
    history_key_read(key, &e->instance, &e->seq);
    e->count = 1;
    if (value.len > 0 && ((const unsigned char *)value.data)[0] == HISTORY_ENTRY_TAG &&
        entry_parse(value, e))
        return;
    HistoryStamp stamp;
    e->stamped = history_split(value, &stamp, &e->records);
    if (e->stamped) {
        e->form = ((const unsigned char *)value.data)[0];
        e->order = stamp.order;
        memcpy(e->link, stamp.hash, AUDIT_HASH);
    }
    e->damaged = !e->stamped && value.len > 0 && ((const unsigned char *)value.data)[0] == HISTORY_ENTRY_TAG;
}

bool history_entry_next(const HistoryEntry *e, size_t *at, uint32_t *index, HistoryItem *item)
{
    if (*index >= e->count)
        return false;
    memset(item, 0, sizeof *item);
    item->instance = e->instance;
    item->seq = e->seq + *index;
    item->stamped = e->stamped;
    item->order = e->stamped ? e->order + *index : 0;
    item->last = *index + 1 == e->count;
    item->entry = e;
    if (e->form != HISTORY_ENTRY_TAG) {
        item->record = e->records;
    } else {
        const unsigned char *r = e->records.data;
        uint64_t n = 0;
        codec_varint(r, e->records.len, at, &n);   /* checked by entry_parse */
        item->record = store_bytes(r + *at, (size_t)n);
        *at += (size_t)n;
    }
    if (item->last && e->stamped) {
        item->linked = true;
        memcpy(item->link, e->link, AUDIT_HASH);
    }
    ++*index;
    return true;
}

/* ---- walking entries ---- */

bool history_canon_in_place(const CodecCanon *c, uint64_t instance, uint32_t seq)
{
    if (!c->instance || !c->has_seq || c->seq != (long long)seq || c->instance_len >= 64)
        return false;
    char id[64];
    memcpy(id, c->instance, c->instance_len);
    id[c->instance_len] = '\0';
    return instance_number(id) == instance;
}

/* Whether a record of the entry is kept in its place (its own instance and seq). */
static int entry_holds_own(HistoryWalk *w, const HistoryEntry *e, bool *own)
{
    HistoryItem item;
    size_t at = 0;
    uint32_t index = 0;
    *own = false;
    while (!*own && history_entry_next(e, &at, &index, &item)) {
        int rc = codec_canon(&w->canonical, item.record.data, item.record.len);
        if (rc == CODEC_NO_MEMORY)
            return ENGINE_NO_MEMORY;
        *own = rc == CODEC_OK && history_canon_in_place(&w->canonical, item.instance, item.seq);
    }
    return STORE_OK;
}

/* The link of `item` when the entry does not keep it (a record before an entry's
   last): worked out from the link before it, when that is known. */
static int walk_link(HistoryWalk *w, HistoryItem *item)
{
    bool before = w->known && w->instance == item->instance && w->seq + 1 == item->seq;
    if (!item->linked && item->stamped && w->links && (before || item->seq == 1)) {
        unsigned char prev[AUDIT_HASH] = {0};
        if (item->seq > 1)
            memcpy(prev, w->link, AUDIT_HASH);
        int rc = codec_canon(&w->canonical, item->record.data, item->record.len);
        if (rc == CODEC_NO_MEMORY)
            return ENGINE_NO_MEMORY;
        if (rc == CODEC_OK) {
            audit_link_record(prev, w->canonical.text.data, w->canonical.text.len, item->link);
            item->linked = true;
        }
    }
    item->prev_known = before || item->seq == 1;
    if (before && item->seq > 1)
        memcpy(item->prev, w->link, AUDIT_HASH);
    w->known = item->linked;
    w->instance = item->instance;
    w->seq = item->seq;
    if (item->linked)
        memcpy(w->link, item->link, AUDIT_HASH);
    return STORE_OK;
}

int history_walk_entry(HistoryWalk *w, StoreBytes key, StoreBytes value)
{
    HistoryEntry e;
    HistoryItem item;
    history_entry_read(key, value, &e);
    /* An entry kept among records already walked that holds none in its place is not of
       this history (a copy put there, in a store tampered with): the links after it are
       worked out from the records before it, as audit verify checks them. */
    bool own = true;
    int rc = STORE_OK;
    if (w->links && w->instance == e.instance && e.seq <= w->seq && !e.damaged)
        rc = entry_holds_own(w, &e, &own);
    HistoryWalk before = *w;
    size_t at = 0;
    uint32_t index = 0;
    while (rc == STORE_OK && history_entry_next(&e, &at, &index, &item)) {
        rc = walk_link(w, &item);
        if (rc == STORE_OK)
            rc = w->visit(w->context, &item);
    }
    if (!own) {
        w->known = before.known;
        w->seq = before.seq;
        memcpy(w->link, before.link, AUDIT_HASH);
    }
    return rc;
}

static int walk_visit(void *context, StoreBytes key, StoreBytes value)
{
    return history_walk_entry(context, key, value);
}

int history_walk(StoreTxn *txn, HistoryWalk *w)
{
    return store_scan(txn, TABLE_HISTORY, store_bytes(NULL, 0), store_bytes(NULL, 0), walk_visit, w);
}

void history_walk_free(HistoryWalk *w)
{
    codec_canon_free(&w->canonical);
}

/* Record `seq` of `instance` in the entry stored at (found, value). */
static int entry_item(StoreBytes found, StoreBytes value, uint64_t instance, uint32_t seq, HistoryItem *item)
{
    HistoryEntry e;
    history_entry_read(found, value, &e);
    if (e.instance != instance || found.len != 12 || seq < e.seq || seq - e.seq >= e.count)
        return STORE_NOT_FOUND;
    size_t at = 0;
    uint32_t index = 0;
    while (history_entry_next(&e, &at, &index, item))
        if (item->seq == seq) {
            item->entry = NULL;   /* e is gone when this returns */
            return STORE_OK;
        }
    return STORE_NOT_FOUND;
}

int history_get(StoreTxn *txn, uint64_t instance, uint32_t seq, HistoryItem *item)
{
    unsigned char key[12];
    history_key(instance, seq, key);
    StoreBytes found, value;
    int rc = store_floor(txn, TABLE_HISTORY, store_bytes(key, 12), &found, &value);
    return rc == STORE_OK ? entry_item(found, value, instance, seq, item) : rc;
}

int history_get_in(StoreTxn *txn, uint64_t instance, uint32_t entry_seq, uint32_t seq, HistoryItem *item)
{
    unsigned char key[12];
    history_key(instance, entry_seq, key);
    StoreBytes value;
    int rc = store_get(txn, TABLE_HISTORY, store_bytes(key, 12), &value);
    return rc == STORE_OK ? entry_item(store_bytes(key, 12), value, instance, seq, item) : rc;
}

int history_item_json(Step *s, const HistoryItem *item, json_t **out)
{
    unsigned char key[12];
    history_key(item->instance, item->seq, key);
    return engine_parse_json(s, TABLE_HISTORY, store_bytes(key, 12), item->record, out);
}

void history_entry_begin(StrBuf *out, uint64_t first_order, uint32_t count, const unsigned char link[AUDIT_HASH])
{
    strbuf_putc(out, (char)HISTORY_ENTRY_TAG);
    strbuf_put_varint(out, first_order);
    strbuf_put_varint(out, count);
    strbuf_append(out, (const char *)link, AUDIT_HASH);
}

void history_entry_add(StrBuf *out, StoreBytes record)
{
    strbuf_put_varint(out, record.len);
    strbuf_append(out, record.data, record.len);
}
