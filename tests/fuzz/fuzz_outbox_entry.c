/*
 * fuzz_outbox_entry.c - libFuzzer target for an outbox entry as the store holds it
 * (runtime/engine/engine_outbox_entry.c and engine_outbox_entry_json.c,
 * outbox_entry_load).
 *
 * Each input is read as an outbox value: of the entry's own encoding when its first
 * byte is one of that encoding's version bytes (0x13 to 0x1F), else the older JSON entry
 * (the codec's binary form, or JSON text). The reader must never crash, read past the
 * input (ASan), leak or hang, whatever the bytes: an entry either reads or is refused
 * with a sentence. What reads is encoded again, and that must decode to an entry whose
 * encoding is the same bytes and whose JSON form (what the dispatcher, the tools and an
 * older schema see) is the same; that JSON form read as an old entry gives the entry
 * again. outbox_entry_peek (what /metrics reads) must never crash on any bytes either,
 * and must give the status and creation time the whole read gives, whenever that reads.
 * Seeds: tests/fuzz/seeds-fuzz_outbox_entry/ (entries of each form).
 *
 * Built by `make fuzz` with -fsanitize=fuzzer,address,undefined.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "engine_outbox_entry.h"

/* Compared as text: json_equal looks keys up as C strings, and a key may hold a NUL. */
static void same_json(const OutboxEntry *a, const OutboxEntry *b)
{
    json_t *x = outbox_entry_json(a), *y = outbox_entry_json(b);
    char *tx = x ? json_dumps(x, JSON_COMPACT) : NULL, *ty = y ? json_dumps(y, JSON_COMPACT) : NULL;
    if (tx && ty && strcmp(tx, ty) != 0)
        abort();   /* one entry, two JSON forms */
    free(tx);
    free(ty);
    json_decref(x);
    json_decref(y);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    OutboxEntry entry;
    char why[240];
    OutboxState peeked_status;
    int64_t peeked_created;
    int peeked = outbox_entry_peek(data, size, &peeked_status, &peeked_created);
    int rc = outbox_entry_load(data, size, &entry, why, sizeof why);
    if (rc == OUTBOX_ENTRY_OK &&
        (peeked != OUTBOX_ENTRY_OK || peeked_status != entry.status || peeked_created != entry.created_ms))
        abort();   /* the peek and the whole read disagree */
    if (rc != OUTBOX_ENTRY_OK) {
        if (rc == OUTBOX_ENTRY_DAMAGED && !why[0])
            abort();   /* refused without a sentence */
        return 0;
    }
    StrBuf once = STRBUF_INIT, twice = STRBUF_INIT;
    if (outbox_entry_encode(&entry, &once) == 0) {
        OutboxEntry back;
        if (outbox_entry_decode(once.data, once.len, &back, why, sizeof why) != OUTBOX_ENTRY_OK)
            abort();   /* its own encoding does not read */
        if (outbox_entry_encode(&back, &twice) != 0 || once.len != twice.len ||
            memcmp(once.data, twice.data, once.len) != 0)
            abort();   /* decoded and encoded again, other bytes */
        same_json(&entry, &back);
        outbox_entry_free(&back);
    }
    json_t *json = outbox_entry_json(&entry);
    OutboxEntry again;
    if (json && outbox_entry_from_json(json, &again, why, sizeof why) == OUTBOX_ENTRY_OK) {
        same_json(&entry, &again);
        outbox_entry_free(&again);
    }
    json_decref(json);
    strbuf_free(&once);
    strbuf_free(&twice);
    outbox_entry_free(&entry);
    return 0;
}
