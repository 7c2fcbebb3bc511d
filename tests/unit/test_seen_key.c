/*
 * test_seen_key.c - the key of a `seen` entry (runtime/engine/engine_seen_key.c;
 * docs/internals.md, "Store records").
 *
 *   order         keys sort by source, then by the id's length, then by the id, for
 *                 lengths across the one-byte and two-byte forms (239, 240, 255, 256,
 *                 495, 496): so ids made by a counter (t9, t10, t100) sort as counted
 *   split         seen_key_split gives back the source and id, of either form; a key with
 *                 no NUL, a length that is not the rest's, or a length cut short is no
 *                 key of schema 5's form
 *   rekey         seen_rekey moves every entry of a store to schema 5's key and back,
 *                 values unchanged, with ids whose old key has the bytes of another's new
 *                 key (the id "!" + 32 bytes is 33 long, whose length byte is '!'), and
 *                 a key past LMDB's 511 bytes (a 256-byte source and id: kept hashed)
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "engine_internal.h"
#include "testdir.h"

/* An id of `len` bytes: `fill` repeated, ending in `last`. */
static char *id_of(size_t len, char fill, char last)
{
    char *id = malloc(len + 1);
    assert_non_null(id);
    memset(id, fill, len);
    id[len - 1] = last;
    id[len] = '\0';
    return id;
}

static int key_compare(const StrBuf *a, const StrBuf *b)
{
    size_t n = a->len < b->len ? a->len : b->len;
    int c = memcmp(a->data, b->data, n);
    return c ? c : (a->len > b->len) - (a->len < b->len);
}

static void expect_split(const StrBuf *key, const char *source, const char *id)
{
    StoreBytes s, i;
    assert_true(seen_key_split(store_bytes(key->data, key->len), false, &s, &i));
    assert_int_equal(s.len, strlen(source));
    assert_memory_equal(s.data, source, s.len);
    assert_int_equal(i.len, strlen(id));
    assert_memory_equal(i.data, id, i.len);
}

static void test_order(void **state)
{
    (void)state;
    static const size_t LENGTHS[] = {1, 2, 3, 31, 32, 239, 240, 241, 255, 256, 257, 495, 496, 511, 1000};
    size_t n = sizeof LENGTHS / sizeof LENGTHS[0];
    StrBuf keys[2 * sizeof LENGTHS / sizeof LENGTHS[0]];
    for (size_t i = 0; i < n; i++) {
        for (size_t j = 0; j < 2; j++) {   /* of each length, "zz...a" before "aa...z" would be wrong */
            char *id = id_of(LENGTHS[i], j ? 'z' : 'a', j ? 'z' : 'a');
            keys[2 * i + j] = (StrBuf)STRBUF_INIT;
            assert_true(seen_key(&keys[2 * i + j], "ops", id));
            expect_split(&keys[2 * i + j], "ops", id);
            free(id);
        }
    }
    for (size_t i = 1; i < 2 * n; i++)
        assert_true(key_compare(&keys[i - 1], &keys[i]) < 0);
    /* a counter's ids */
    StrBuf before = STRBUF_INIT, after = STRBUF_INIT, other = STRBUF_INIT;
    assert_true(seen_key(&before, "ops", "t9") && seen_key(&after, "ops", "t10"));
    assert_true(key_compare(&before, &after) < 0);
    assert_true(seen_key(&other, "opt", "t1"));     /* the source first */
    assert_true(key_compare(&after, &other) < 0);
    strbuf_free(&before);
    strbuf_free(&after);
    strbuf_free(&other);
    for (size_t i = 0; i < 2 * n; i++)
        strbuf_free(&keys[i]);
}

static void expect_no_key(const char *bytes, size_t len)
{
    StoreBytes s, i;
    assert_false(seen_key_split(store_bytes(bytes, len), false, &s, &i));
}

static void test_split(void **state)
{
    (void)state;
    StoreBytes s, i;
    assert_true(seen_key_split(store_bytes("ops\0a1", 6), true, &s, &i));    /* the old form */
    assert_true(s.len == 3 && i.len == 2 && memcmp(i.data, "a1", 2) == 0);
    assert_true(seen_key_split(store_bytes("ops\0\002a1", 7), false, &s, &i));
    assert_true(s.len == 3 && i.len == 2 && memcmp(i.data, "a1", 2) == 0);
    expect_no_key("opsa1", 5);                       /* no NUL */
    assert_false(seen_key_split(store_bytes("opsa1", 5), true, &s, &i));
    expect_no_key("ops\0", 4);                       /* no length */
    expect_no_key("ops\0\003a1", 7);                 /* a length that is not the rest's */
    expect_no_key("ops\0\001a1", 7);
    expect_no_key("ops\0\360", 5);                   /* a two-byte length cut short */
    expect_no_key("", 0);
}

/* ---- rekey, in a store ---- */

static const char *SOURCES[7] = {"ops", "ops", "ops", "ops", "desk", "ops", NULL};
static const char *IDS[7];

static int put_old(StoreTxn *txn, void *context)
{
    (void)context;
    for (size_t i = 0; i < 7; i++) {
        StrBuf key = STRBUF_INIT;
        strbuf_puts(&key, SOURCES[i]);
        strbuf_putc(&key, '\0');
        strbuf_puts(&key, IDS[i]);
        char value[16];
        int n = snprintf(value, sizeof value, "v%zu", i);
        int rc = store_put(txn, TABLE_SEEN, store_bytes(key.data, key.len), store_bytes(value, (size_t)n));
        strbuf_free(&key);
        if (rc != STORE_OK)
            return rc;
    }
    return STORE_OK;
}

typedef struct Rekey {
    bool to_length;
    size_t count;
} Rekey;

static int rekey_work(StoreTxn *txn, void *context)
{
    Rekey *r = context;
    return seen_rekey(txn, r->to_length, &r->count);
}

static int count_visit(void *context, StoreBytes key, StoreBytes value)
{
    (void)key;
    (void)value;
    ++*(size_t *)context;
    return STORE_OK;
}

/* Every entry has its value under the key of the form asked for, and no other is left. */
static void expect_keys(Store *store, bool old_form)
{
    StoreTxn *txn;
    assert_int_equal(store_begin(store, false, &txn), STORE_OK);
    for (size_t i = 0; i < 7; i++) {
        StrBuf key = STRBUF_INIT;
        if (old_form) {
            strbuf_puts(&key, SOURCES[i]);
            strbuf_putc(&key, '\0');
            strbuf_puts(&key, IDS[i]);
        } else {
            assert_true(seen_key(&key, SOURCES[i], IDS[i]));
        }
        StoreBytes value;
        char want[16];
        int n = snprintf(want, sizeof want, "v%zu", i);
        assert_int_equal(store_get(txn, TABLE_SEEN, store_bytes(key.data, key.len), &value), STORE_OK);
        assert_int_equal(value.len, (size_t)n);
        assert_memory_equal(value.data, want, (size_t)n);
        strbuf_free(&key);
    }
    size_t entries = 0;
    assert_int_equal(store_scan(txn, TABLE_SEEN, store_bytes(NULL, 0), store_bytes(NULL, 0), count_visit, &entries),
                     STORE_OK);
    assert_int_equal(entries, 7);
    store_abort(txn);
}

static void test_rekey(void **state)
{
    TestDir *t = *state;
    char *long_id = id_of(34, 'x', 'x'), *short_id = id_of(33, 'x', 'x');
    long_id[0] = '!';       /* old key "ops\0!x..." is the new key of "x..." (33 bytes) */
    IDS[0] = long_id;
    IDS[1] = short_id;
    IDS[2] = "t1";
    IDS[3] = "t10";
    IDS[4] = "t1";
    IDS[5] = "t2";
    char *long_source = id_of(256, 's', 's'), *long_id2 = id_of(256, 'y', 'y');
    SOURCES[6] = long_source;   /* a key past LMDB's 511 bytes: the store keeps it hashed */
    IDS[6] = long_id2;
    StoreOptions create = {.create = true};
    Store *store;
    char why[256];
    assert_int_equal(store_open(t->db, &create, &store, why, sizeof why), STORE_OK);
    assert_int_equal(store_write(store, put_old, NULL), STORE_OK);
    Rekey r = {true, 0};
    assert_int_equal(store_write(store, rekey_work, &r), STORE_OK);
    assert_int_equal(r.count, 7);
    expect_keys(store, false);
    r = (Rekey){false, 0};
    assert_int_equal(store_write(store, rekey_work, &r), STORE_OK);
    assert_int_equal(r.count, 7);
    expect_keys(store, true);
    store_close(store);
    free(long_id);
    free(short_id);
    free(long_source);
    free(long_id2);
}

int main(void)
{
    static const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_order),
        cmocka_unit_test(test_split),
        cmocka_unit_test_setup_teardown(test_rekey, testdir_setup, testdir_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
