/*
 * fuzz_history.c - libFuzzer target for the reader of the history table's entries
 * (runtime/engine/engine_history.c: history_entry_read, history_entry_next, the walk).
 *
 * Each input is a key (its first 12 bytes, zero-padded when shorter) and a value (the
 * rest), as a history entry is stored: a record alone (unstamped, or behind a stamp of
 * 0xA7 or 0xA8) or a step's records behind one stamp (0xA9). The reader must never
 * crash, read past the input (ASan), leak or hang: every record it hands out lies inside
 * the value, an entry of 0xA9 it takes has 2 or more records that fill its value exactly
 * and are written again by history_entry_begin/_add to the very same bytes, and one it
 * refuses is read as one unstamped record of the whole value. A walk with `links` works
 * out links over the same records (the canonical form refuses what is not a record).
 *
 * Seeds: tests/fuzz/seeds-fuzz_history/ (entries of the audit tests' store).
 * Built by `make fuzz` with -fsanitize=fuzzer,address,undefined.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "engine_internal.h"

static int count_visit(void *context, const HistoryItem *item)
{
    (void)item;
    ++*(size_t *)context;
    return STORE_OK;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    unsigned char key[12] = {0};
    size_t key_len = size < 12 ? size : 12;
    memcpy(key, data, key_len);
    StoreBytes value = store_bytes(data + key_len, size - key_len);
    HistoryEntry e;
    history_entry_read(store_bytes(key, 12), value, &e);
    if (e.damaged && (e.stamped || e.count != 1 || e.records.data != value.data || e.records.len != value.len))
        abort();
    if (e.form == HISTORY_ENTRY_TAG && e.count < 2)
        abort();
    StrBuf again = STRBUF_INIT;
    if (e.form == HISTORY_ENTRY_TAG)
        history_entry_begin(&again, e.order, e.count, e.link);
    HistoryItem item;
    size_t at = 0, n = 0;
    uint32_t index = 0;
    const uint8_t *end = data + size;
    while (history_entry_next(&e, &at, &index, &item)) {
        const uint8_t *r = item.record.data;
        if (item.record.len > 0 && (r < data + key_len || r + item.record.len > end))
            abort();
        if (item.seq != e.seq + n || item.last != (n + 1 == e.count))
            abort();
        if (e.form == HISTORY_ENTRY_TAG)
            history_entry_add(&again, item.record);
        n++;
    }
    if (n != e.count)
        abort();
    if (e.form == HISTORY_ENTRY_TAG && (again.len != value.len || memcmp(again.data, value.data, value.len) != 0))
        abort();
    strbuf_free(&again);
    size_t walked = 0;
    HistoryWalk walk = {.visit = count_visit, .context = &walked, .links = true};
    if (history_walk_entry(&walk, store_bytes(key, 12), value) != STORE_OK || walked != e.count)
        abort();
    history_walk_free(&walk);
    return 0;
}
