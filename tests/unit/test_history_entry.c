/*
 * test_history_entry.c - a history entry as the store keeps it (runtime/engine/
 * engine_history.c; docs/internals.md, "The decision record").
 *
 *   round trip    an entry of a step's records (HISTORY_ENTRY_TAG) written by
 *                 history_entry_begin/_add reads back as its records, seqs from the
 *                 key's, places from the stamp's, the stored link on the last alone; its
 *                 bytes are the documented layout, built here by hand
 *   links         a walk with `links` works out the links the entry does not keep, from
 *                 the link before it, as audit_link_record over the canonical record,
 *                 and chains on to the next entry of the instance
 *   old forms     a record behind a varint stamp (0xA8), the fixed stamp (0xA7), and
 *                 no stamp (schema 1 and 2) read as entries of one record
 *   damage        an entry cut short, its count more or fewer than its records, a record
 *                 of length 0, a count below 2, a place of 0, seqs past 2^32 - 1 from
 *                 the key's: damaged, read as one
 *                 unstamped record of its bytes (verify names it)
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "engine_internal.h"

static void fill_hash(unsigned char hash[AUDIT_HASH], unsigned seed)
{
    for (size_t i = 0; i < AUDIT_HASH; i++)
        hash[i] = (unsigned char)(seed * 31 + i);
}

/* Record `seq` of i7 in the codec's bytes (the caller frees out). */
static void record_bytes(unsigned seq, StrBuf *out)
{
    json_t *r = json_pack("{s:s, s:s, s:i, s:s}", "at", "2026-06-15T06:00:00Z", "instance", "i7", "seq", seq,
                          "kind", "noted");
    *out = (StrBuf)STRBUF_INIT;
    assert_int_equal(codec_encode(r, out), CODEC_OK);
    json_decref(r);
}

static void key_of(unsigned char key[12], uint32_t seq)
{
    history_key(7, seq, key);
}

typedef struct Seen {
    HistoryItem items[8];
    size_t count;
} Seen;

static int seen_visit(void *context, const HistoryItem *item)
{
    Seen *s = context;
    assert_true(s->count < 8);
    s->items[s->count++] = *item;
    return STORE_OK;
}

static void test_round_trip(void **state)
{
    (void)state;
    StrBuf r[3], value = STRBUF_INIT;
    unsigned char link[AUDIT_HASH], key[12];
    fill_hash(link, 3);
    for (unsigned i = 0; i < 3; i++)
        record_bytes(4 + i, &r[i]);
    history_entry_begin(&value, 300, 3, link);
    for (unsigned i = 0; i < 3; i++)
        history_entry_add(&value, store_bytes(r[i].data, r[i].len));
    /* the layout by hand: tag, place 300 as a varint, count, link, each length and record */
    StrBuf hand = STRBUF_INIT;
    const unsigned char head[] = {0xA9, 0xAC, 0x02, 0x03};
    strbuf_append(&hand, (const char *)head, sizeof head);
    strbuf_append(&hand, (const char *)link, AUDIT_HASH);
    for (unsigned i = 0; i < 3; i++) {
        unsigned char len = (unsigned char)r[i].len;
        assert_true(r[i].len < 128);
        strbuf_append(&hand, (const char *)&len, 1);
        strbuf_append(&hand, r[i].data, r[i].len);
    }
    assert_int_equal(value.len, hand.len);
    assert_memory_equal(value.data, hand.data, hand.len);

    key_of(key, 4);
    HistoryEntry e;
    history_entry_read(store_bytes(key, 12), store_bytes(value.data, value.len), &e);
    assert_false(e.damaged);
    assert_int_equal(e.form, HISTORY_ENTRY_TAG);
    assert_int_equal(e.count, 3);
    assert_int_equal(e.seq, 4);
    assert_true(e.order == 300);
    HistoryItem item;
    size_t at = 0;
    uint32_t index = 0;
    for (unsigned i = 0; i < 3; i++) {
        assert_true(history_entry_next(&e, &at, &index, &item));
        assert_true(item.instance == 7);
        assert_int_equal(item.seq, 4 + i);
        assert_true(item.order == 300 + i);
        assert_true(item.stamped);
        assert_int_equal(item.last, i == 2);
        assert_int_equal(item.linked, i == 2);
        assert_int_equal(item.record.len, r[i].len);
        assert_memory_equal(item.record.data, r[i].data, r[i].len);
    }
    assert_memory_equal(item.link, link, AUDIT_HASH);
    assert_false(history_entry_next(&e, &at, &index, &item));
    for (unsigned i = 0; i < 3; i++)
        strbuf_free(&r[i]);
    strbuf_free(&value);
    strbuf_free(&hand);
}

/* The link of record bytes `r` after `prev`, worked out as verify does. */
static void link_of(const unsigned char prev[AUDIT_HASH], const StrBuf *r, unsigned char out[AUDIT_HASH])
{
    CodecCanon c = {0};
    assert_int_equal(codec_canon(&c, r->data, r->len), CODEC_OK);
    audit_link_record(prev, c.text.data, c.text.len, out);
    codec_canon_free(&c);
}

static void test_links(void **state)
{
    (void)state;
    StrBuf r[4], first = STRBUF_INIT, second = STRBUF_INIT;
    for (unsigned i = 0; i < 4; i++)
        record_bytes(1 + i, &r[i]);
    unsigned char h[4][AUDIT_HASH], zero[AUDIT_HASH] = {0}, key[12];
    link_of(zero, &r[0], h[0]);
    for (unsigned i = 1; i < 4; i++)
        link_of(h[i - 1], &r[i], h[i]);
    /* records 1-3 in one entry (their last link stored), record 4 in one of its own */
    history_entry_begin(&first, 1, 3, h[2]);
    for (unsigned i = 0; i < 3; i++)
        history_entry_add(&first, store_bytes(r[i].data, r[i].len));
    HistoryStamp stamp = {.order = 9};
    memcpy(stamp.hash, h[3], AUDIT_HASH);
    unsigned char bytes[HISTORY_STAMP_MAX];
    strbuf_append(&second, (const char *)bytes, history_stamp_put(&stamp, bytes));
    strbuf_append(&second, r[3].data, r[3].len);

    Seen seen = {0};
    HistoryWalk walk = {.visit = seen_visit, .context = &seen, .links = true};
    key_of(key, 1);
    assert_int_equal(history_walk_entry(&walk, store_bytes(key, 12), store_bytes(first.data, first.len)), STORE_OK);
    key_of(key, 4);
    assert_int_equal(history_walk_entry(&walk, store_bytes(key, 12), store_bytes(second.data, second.len)), STORE_OK);
    history_walk_free(&walk);
    assert_int_equal(seen.count, 4);
    for (unsigned i = 0; i < 4; i++) {
        assert_true(seen.items[i].linked);
        assert_memory_equal(seen.items[i].link, h[i], AUDIT_HASH);
        assert_true(seen.items[i].prev_known);
        assert_memory_equal(seen.items[i].prev, i ? h[i - 1] : zero, AUDIT_HASH);
    }
    assert_true(seen.items[3].order == 9);

    /* without `links`, only the stored ones are known */
    Seen plain = {0};
    HistoryWalk bare = {.visit = seen_visit, .context = &plain};
    key_of(key, 1);
    assert_int_equal(history_walk_entry(&bare, store_bytes(key, 12), store_bytes(first.data, first.len)), STORE_OK);
    assert_false(plain.items[0].linked);
    assert_false(plain.items[1].linked);
    assert_true(plain.items[2].linked);
    for (unsigned i = 0; i < 4; i++)
        strbuf_free(&r[i]);
    strbuf_free(&first);
    strbuf_free(&second);
}

static void test_old_forms(void **state)
{
    (void)state;
    StrBuf r, value = STRBUF_INIT;
    record_bytes(2, &r);
    unsigned char key[12], link[AUDIT_HASH];
    key_of(key, 2);
    fill_hash(link, 5);
    HistoryEntry e;
    HistoryItem item;
    size_t at;
    uint32_t index;

    HistoryStamp stamp = {.order = 77};
    memcpy(stamp.hash, link, AUDIT_HASH);
    unsigned char bytes[HISTORY_STAMP_MAX];
    strbuf_append(&value, (const char *)bytes, history_stamp_put(&stamp, bytes));
    strbuf_append(&value, r.data, r.len);
    history_entry_read(store_bytes(key, 12), store_bytes(value.data, value.len), &e);
    assert_int_equal(e.form, HISTORY_STAMP_VARINT);
    assert_int_equal(e.count, 1);
    at = 0, index = 0;
    assert_true(history_entry_next(&e, &at, &index, &item));
    assert_true(item.last && item.linked && item.stamped && item.order == 77 && item.seq == 2);
    assert_memory_equal(item.link, link, AUDIT_HASH);
    assert_int_equal(item.record.len, r.len);
    assert_false(history_entry_next(&e, &at, &index, &item));

    value.len = 0;   /* the fixed stamp */
    unsigned char fixed[HISTORY_STAMP] = {HISTORY_STAMP_TAG};
    store_be64(77, fixed + 1);
    memcpy(fixed + 9, link, AUDIT_HASH);
    strbuf_append(&value, (const char *)fixed, HISTORY_STAMP);
    strbuf_append(&value, r.data, r.len);
    history_entry_read(store_bytes(key, 12), store_bytes(value.data, value.len), &e);
    assert_int_equal(e.form, HISTORY_STAMP_TAG);
    at = 0, index = 0;
    assert_true(history_entry_next(&e, &at, &index, &item));
    assert_true(item.linked && item.order == 77);
    assert_memory_equal(item.record.data, r.data, r.len);

    history_entry_read(store_bytes(key, 12), store_bytes(r.data, r.len), &e);   /* no stamp */
    assert_int_equal(e.form, 0);
    assert_false(e.stamped || e.damaged);
    at = 0, index = 0;
    assert_true(history_entry_next(&e, &at, &index, &item));
    assert_false(item.stamped || item.linked);
    assert_memory_equal(item.record.data, r.data, r.len);
    strbuf_free(&r);
    strbuf_free(&value);
}

static void expect_damaged(const char *data, size_t len)
{
    unsigned char key[12];
    key_of(key, 1);
    HistoryEntry e;
    history_entry_read(store_bytes(key, 12), store_bytes(data, len), &e);
    assert_true(e.damaged);
    assert_false(e.stamped);
    assert_int_equal(e.count, 1);
    HistoryItem item;
    size_t at = 0;
    uint32_t index = 0;
    assert_true(history_entry_next(&e, &at, &index, &item));
    assert_ptr_equal(item.record.data, data);   /* the whole value, which no decoder takes */
    assert_int_equal(item.record.len, len);
    json_t *json = NULL;
    char why[200];
    assert_int_not_equal(codec_load(item.record.data, item.record.len, &json, why, sizeof why), CODEC_OK);
}

static void entry_with(StrBuf *out, uint64_t order, uint64_t count, const StrBuf *r, unsigned records)
{
    unsigned char link[AUDIT_HASH];
    fill_hash(link, 9);
    out->len = 0;
    strbuf_putc(out, (char)HISTORY_ENTRY_TAG);
    strbuf_put_varint(out, order);
    strbuf_put_varint(out, count);
    strbuf_append(out, (const char *)link, AUDIT_HASH);
    for (unsigned i = 0; i < records; i++)
        history_entry_add(out, store_bytes(r[i].data, r[i].len));
}

static void test_damage(void **state)
{
    (void)state;
    StrBuf r[3], value = STRBUF_INIT;
    for (unsigned i = 0; i < 3; i++)
        record_bytes(1 + i, &r[i]);
    entry_with(&value, 5, 3, r, 3);
    for (size_t cut = 1; cut < value.len; cut++)
        expect_damaged(value.data, cut);                /* cut anywhere */
    entry_with(&value, 5, 4, r, 3);
    expect_damaged(value.data, value.len);              /* a count past its records */
    entry_with(&value, 5, 2, r, 3);
    expect_damaged(value.data, value.len);              /* bytes past its count */
    entry_with(&value, 5, 1, r, 1);
    expect_damaged(value.data, value.len);              /* a count below 2 */
    entry_with(&value, 0, 3, r, 3);
    expect_damaged(value.data, value.len);              /* place 0 */
    entry_with(&value, 5, 3, r, 2);
    strbuf_putc(&value, 0);                             /* a record of length 0 */
    expect_damaged(value.data, value.len);
    entry_with(&value, 5, 3, r, 3);                     /* seqs past 2^32 - 1 from its key */
    unsigned char key[12];
    history_key(7, UINT32_MAX - 1, key);
    HistoryEntry e;
    history_entry_read(store_bytes(key, 12), store_bytes(value.data, value.len), &e);
    assert_true(e.damaged);
    history_key(7, UINT32_MAX - 2, key);                /* the last one exactly 2^32 - 1 */
    history_entry_read(store_bytes(key, 12), store_bytes(value.data, value.len), &e);
    assert_false(e.damaged);
    for (unsigned i = 0; i < 3; i++)
        strbuf_free(&r[i]);
    strbuf_free(&value);
}

int main(void)
{
    static const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_links),
        cmocka_unit_test(test_old_forms),
        cmocka_unit_test(test_damage),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
