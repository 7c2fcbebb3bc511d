/*
 * engine_seen_key.c - the key of a `seen` entry (an event's source and id), and its
 * change of form at the schema-5 upgrade.
 *
 * Since schema 5 the key is the source, a NUL, the id's length in one or two bytes, then
 * the id. The length's bytes sort as the length does (below 240: one byte, the length;
 * from 240: 240 + (length - 240) / 256, then (length - 240) % 256), so keys sort by
 * source, then by the id's length, then by the id: ids made by a counter (t1, t2, ...,
 * t10, ...) arrive in key order and each goes last on its page, which LMDB fills before
 * it starts the next (a new key in the middle of a full page splits it into two half-full
 * ones, and the old key, source NUL id, put t10 between t1 and t2: seen pages stayed
 * half full). Stores of schema 1 to 4 keep the old key until their first writer converts
 * them (engine_upgrade.c), which rewrites the whole table in its transaction.
 */
#include "engine_internal.h"
#include "fault.h"

#include <stdlib.h>
#include <string.h>

#define SEEN_LENGTH_ONE 240        /* lengths below it take one byte */
#define SEEN_LENGTH_MAX (SEEN_LENGTH_ONE + 16 * 256 - 1)

/* Appends `len` in its sorting form: false when it is longer than SEEN_LENGTH_MAX. */
static bool seen_length_put(StrBuf *out, size_t len)
{
    if (len < SEEN_LENGTH_ONE) {
        strbuf_putc(out, (char)len);
        return true;
    }
    if (len > SEEN_LENGTH_MAX)
        return false;
    strbuf_putc(out, (char)(SEEN_LENGTH_ONE + ((len - SEEN_LENGTH_ONE) >> 8)));
    strbuf_putc(out, (char)((len - SEEN_LENGTH_ONE) & 0xFF));
    return true;
}

static bool seen_key_bytes(StrBuf *out, const char *source, size_t source_len, const char *id, size_t id_len)
{
    strbuf_append(out, source, source_len);
    strbuf_putc(out, '\0');
    if (!seen_length_put(out, id_len))
        return false;
    strbuf_append(out, id, id_len);
    return !strbuf_failed(out);
}

bool seen_key(StrBuf *out, const char *source, const char *id)
{
    return seen_key_bytes(out, source, strlen(source), id, strlen(id));
}

bool seen_key_split(StoreBytes key, bool old_form, StoreBytes *source, StoreBytes *id)
{
    const unsigned char *k = key.data;
    const unsigned char *nul = key.len ? memchr(k, '\0', key.len) : NULL;
    if (!nul)
        return false;
    *source = store_bytes(k, (size_t)(nul - k));
    size_t at = (size_t)(nul - k) + 1, len;
    if (!old_form) {
        if (at >= key.len)
            return false;
        len = k[at++];
        if (len >= SEEN_LENGTH_ONE) {
            if (at >= key.len)
                return false;
            len = SEEN_LENGTH_ONE + ((len - SEEN_LENGTH_ONE) << 8) + k[at++];
        }
        if (len != key.len - at)
            return false;
    }
    *id = store_bytes(k + at, key.len - at);
    return true;
}

/* ---- the upgrade: every key of the table into the form of schema `to` ---- */

typedef struct SeenRekey {
    bool old_form;          /* the form the keys have */
    StrBuf entries;         /* (u32 old key length, old key, u32 new key length, new key,
                               u32 value length, value)... */
    size_t count;
} SeenRekey;

static int rekey_visit(void *context, StoreBytes key, StoreBytes value)
{
    SeenRekey *r = context;
    StoreBytes source, id;
    if (!seen_key_split(key, r->old_form, &source, &id))
        return STORE_OK;    /* not a key of its form: left as it is, as it would be read */
    StrBuf *out = &r->entries;
    size_t mark = out->len;
    engine_put_le32(out, key.len);
    strbuf_append(out, key.data, key.len);
    size_t at = out->len;
    engine_put_le32(out, 0);
    bool made = true;
    if (r->old_form) {
        made = seen_key_bytes(out, source.data, source.len, id.data, id.len);
    } else {
        strbuf_append(out, source.data, source.len);
        strbuf_putc(out, '\0');
        strbuf_append(out, id.data, id.len);
    }
    if (strbuf_failed(out))
        return STORE_NO_MEMORY;
    if (!made) {            /* an id longer than a key may say: left as it is */
        out->len = mark;
        return STORE_OK;
    }
    engine_set_le32(out->data + at, out->len - at - 4);
    engine_put_le32(out, value.len);
    strbuf_append(out, value.data, value.len);
    r->count++;
    return strbuf_failed(out) ? STORE_NO_MEMORY : STORE_OK;
}

/* One collected entry's old key, new key and value, at `at`; returns the next. */
static const char *rekey_entry(const char *at, StoreBytes *old_key, StoreBytes *new_key, StoreBytes *value)
{
    *old_key = store_bytes(at + 4, engine_get_le32(at));
    at += 4 + old_key->len;
    *new_key = store_bytes(at + 4, engine_get_le32(at));
    at += 4 + new_key->len;
    *value = store_bytes(at + 4, engine_get_le32(at));
    return at + 4 + value->len;
}

static int new_key_order(const void *a, const void *b)
{
    StoreBytes old_key, x, y, value;
    rekey_entry(*(const char *const *)a, &old_key, &x, &value);
    rekey_entry(*(const char *const *)b, &old_key, &y, &value);
    int c = memcmp(x.data, y.data, x.len < y.len ? x.len : y.len);
    return c ? c : (x.len > y.len) - (x.len < y.len);
}

/* Deletes every collected entry's old key, then puts the new keys in their order (so
   each goes last on its page and the pages fill: see above). */
static int rekey_apply(StoreTxn *txn, const SeenRekey *r)
{
    const char **order = r->count ? malloc(r->count * sizeof *order) : NULL;
    if (r->count && !order)
        return STORE_NO_MEMORY;
    StoreBytes old_key, new_key, value;
    int rc = STORE_OK;
    size_t n = 0;
    for (const char *at = r->entries.data, *end = at + r->entries.len; rc == STORE_OK && at && at < end; n++) {
        order[n] = at;
        at = rekey_entry(at, &old_key, &new_key, &value);
        rc = store_del(txn, TABLE_SEEN, old_key);
    }
    if (rc == STORE_OK && n > 1)
        qsort(order, n, sizeof *order, new_key_order);
    for (size_t i = 0; rc == STORE_OK && i < n; i++) {
        rekey_entry(order[i], &old_key, &new_key, &value);
        rc = store_put(txn, TABLE_SEEN, new_key, value);
    }
    free(order);
    return rc;
}

int seen_rekey(StoreTxn *txn, bool to_length, size_t *count)
{
    SeenRekey r = {to_length, STRBUF_INIT, 0};   /* to the new form: the keys are old */
    /* The whole table is read before it is written (a key put back in the new form may
       sort after the scan's place, and the two forms cannot be told apart by their
       bytes), and every old key goes before any new one is put: an old key may have the
       bytes of another's new one (the id "!x..." of 34 bytes, the id "x..." of 33). */
    int rc = store_scan(txn, TABLE_SEEN, store_bytes(NULL, 0), store_bytes(NULL, 0), rekey_visit, &r);
    if (rc == STORE_OK)
        rc = rekey_apply(txn, &r);
    strbuf_free(&r.entries);
    fault_point("store conversion");
    *count += r.count;
    return rc;
}
