/*
 * engine_counters.c - a batch's counters kept in memory (next_instance, next_task,
 * next_timer, next_outbox, engine_time, directory_version, ...): each read from meta the
 * first time a step of the batch reads or raises it, read and raised in memory after
 * that, and put in meta once, before the batch's transaction commits (counters_flush),
 * when the batch changed it. A counter of 0 is not kept in meta (counter_store): its
 * absence reads as 0, so a store's bytes do not depend on whether a counter came back
 * to 0 or never moved (the gauges, engine_gauges.c, do both). Outside a batch
 * engine_counter, engine_counter_next and engine_counter_put (engine_txn.c) read and
 * write meta as they always did; in a batch every read and write of a counter goes
 * through them, so meta and the cache never disagree on what the batch's transaction
 * sees.
 *
 * A batch's steps share its transaction, or run in a nested one (engine.c, "Group
 * commit"): counters_nest points the cache at the nested transaction and keeps a copy of
 * it, counters_unnest puts the copy back when the nested step was undone (as
 * batch_chain_rewind does for the history chain) or only points the cache back at the
 * batch's transaction when it went through. The cache serves only the transaction it
 * points at, so no other transaction (a read, another process's) ever sees its values.
 */
#include "engine_internal.h"

#include <string.h>

void counters_open(BatchCounters *c, StoreTxn *txn)
{
    c->txn = txn;
    c->count = 0;
    c->changes = 0;
}

void counters_close(BatchCounters *c)
{
    c->txn = NULL;
    c->count = 0;
}

bool counters_serve(const BatchCounters *c, const StoreTxn *txn)
{
    return c->txn && c->txn == txn;
}

BatchCounter *counters_find(BatchCounters *c, const StoreTxn *txn, const char *name)
{
    if (!counters_serve(c, txn))
        return NULL;
    /* Callers name counters with string literals: the pointer a counter was last asked
       for by finds it with one string compare, not one per counter kept. */
    for (unsigned i = 0; i < c->count; i++)
        if (c->items[i].asked == name && strcmp(c->items[i].name, name) == 0)
            return &c->items[i];
    for (unsigned i = 0; i < c->count; i++)
        if (strcmp(c->items[i].name, name) == 0) {
            c->items[i].asked = name;
            return &c->items[i];
        }
    return NULL;
}

BatchCounter *counters_add(BatchCounters *c, const char *name, uint64_t value)
{
    size_t len = strlen(name);
    if (!c->txn || c->count == BATCH_COUNTERS || len >= BATCH_COUNTER_NAME)
        return NULL;   /* the caller uses meta itself */
    BatchCounter *k = &c->items[c->count++];
    memcpy(k->name, name, len + 1);
    k->asked = name;
    k->value = value;
    k->dirty = false;
    return k;
}

void counters_set(BatchCounters *c, BatchCounter *k, uint64_t value)
{
    k->value = value;
    k->dirty = true;
    c->changes++;
}

int counter_store(StoreTxn *txn, const char *name, uint64_t value)
{
    StoreBytes key = store_bytes(name, strlen(name));
    if (value == 0) {
        int rc = store_del(txn, TABLE_META, key);
        return rc == STORE_NOT_FOUND ? STORE_OK : rc;
    }
    unsigned char bytes[8];
    store_be64(value, bytes);
    return store_put(txn, TABLE_META, key, store_bytes(bytes, 8));
}

int counters_flush(BatchCounters *c)
{
    int rc = STORE_OK;
    for (unsigned i = 0; rc == STORE_OK && c->txn && i < c->count; i++) {
        BatchCounter *k = &c->items[i];
        if (!k->dirty)
            continue;
        rc = counter_store(c->txn, k->name, k->value);
        if (rc == STORE_OK)
            k->dirty = false;
    }
    return rc;
}

void counters_nest(BatchCounters *c, StoreTxn *child, BatchCounters *mark)
{
    *mark = *c;
    if (c->txn)
        c->txn = child;
}

void counters_unnest(BatchCounters *c, const BatchCounters *mark, bool undo)
{
    if (!mark->txn)
        return;   /* closed when the nested step began */
    if (undo)
        *c = *mark;   /* its raises, and the counters it read, forgotten */
    else
        c->txn = mark->txn;
}
