/*
 * test_step_parts.c - the small parts the engine's step leans on to stay cheap
 * (docs/performance-log.md, "steppath"):
 *
 *   shared keys    value_map_add_shared: a map holds a shared key without a copy, finds
 *                  it like any other (below and above VALUE_MAP_INDEXED keys), takes a
 *                  new value under it by value_map_set, and frees none when released
 *   id sets        IdSet keeps up to IDSET_FEW ids in the struct and moves them to a
 *                  table past that: every id is found with its value, a repeat is
 *                  refused with the value it had, a reserve past IDSET_FEW starts the
 *                  table at once
 *   numbers        codec_number_text writes what snprintf's "%s%llu" writes
 *   keys by place  codec_write_key gives the same bytes for a key at an address that
 *                  held another key before (a buffer used again), and for a key the
 *                  dictionary lacks
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
#include "value.h"

/* ---- shared keys ---- */

static void test_shared_keys(void **state)
{
    (void)state;
    enum { KEYS = 3 * VALUE_MAP_INDEXED };
    HString *keys[KEYS];
    char text[16];
    for (int i = 0; i < KEYS; i++) {
        snprintf(text, sizeof text, "key%d", i);
        keys[i] = value_key_shared_new(text);
        assert_non_null(keys[i]);
        assert_int_equal(keys[i]->refs, VALUE_KEY_SHARED);
    }
    for (int size = 0; size <= KEYS; size++) {
        Value map = value_map_new((uint32_t)size % 4);
        for (int i = 0; i < size; i++)
            assert_true(value_map_add_shared(map, keys[i], value_int(i)));
        assert_int_equal(map.as.map->count, size);
        for (int i = 0; i < size; i++) {
            snprintf(text, sizeof text, "key%d", i);
            const Value *v = value_map_get(map, text, strlen(text));
            assert_non_null(v);
            assert_int_equal(v->as.integer, i);
            assert_ptr_equal(map.as.map->keys[i], keys[i]);   /* held, not copied */
        }
        assert_null(value_map_get(map, "key", 3));
        if (size > 0) {   /* value_map_set finds the shared key and replaces its value */
            assert_true(value_map_set(map, "key0", 4, value_cstring("again")));
            assert_int_equal(map.as.map->count, size);
            assert_string_equal(value_text(*value_map_get(map, "key0", 4)), "again");
        }
        assert_true(value_map_set(map, "own", 3, value_int(-1)));   /* a copied key beside them */
        value_release(map);   /* frees "own", none of the shared keys (ASan would say) */
    }
    Value not_a_map = value_int(1);
    assert_false(value_map_add_shared(not_a_map, keys[0], value_cstring("dropped")));
    for (int i = 0; i < KEYS; i++)
        assert_int_equal(keys[i]->refs, VALUE_KEY_SHARED);   /* never written */
    for (int i = 0; i < KEYS; i++)
        free(keys[i]);   /* a process keeps its shared keys; the test gives them back */
}

/* ---- id sets ---- */

static void test_id_sets(void **state)
{
    (void)state;
    enum { IDS = 4 * IDSET_FEW };
    static char ids[IDS][16];
    for (int i = 0; i < IDS; i++)
        snprintf(ids[i], sizeof ids[i], "person%d", i);
    for (int size = 0; size <= IDS; size++) {
        IdSet set = IDSET_INIT;
        for (int i = 0; i < size; i++)
            assert_true(idset_put(&set, ids[i], (size_t)i * 3, NULL));
        assert_int_equal(set.count, size);
        assert_true(size <= IDSET_FEW ? set.capacity == 0 : set.capacity >= 2 * (size_t)size);
        for (int i = 0; i < IDS; i++) {
            size_t value = 999;
            assert_int_equal(idset_get(&set, ids[i], &value), i < size);
            if (i < size) {
                assert_int_equal(value, (size_t)i * 3);
                char copy[16];   /* found by its text, not its address */
                memcpy(copy, ids[i], sizeof copy);
                assert_false(idset_put(&set, copy, 7, &value));
                assert_int_equal(value, (size_t)i * 3);
                assert_false(idset_add(&set, copy));
            }
        }
        assert_int_equal(set.count, size);
        assert_false(idset_add(&set, NULL));
        assert_false(idset_get(&set, NULL, NULL));
        idset_free(&set);
        assert_int_equal(set.count, 0);
        assert_false(idset_get(&set, ids[0], NULL));
    }
    IdSet big = IDSET_INIT;
    idset_reserve(&big, 2);   /* few: no table */
    assert_int_equal(big.capacity, 0);
    idset_reserve(&big, IDSET_FEW + 1);   /* a table at once */
    assert_true(big.capacity >= 2 * (IDSET_FEW + 1));
    for (int i = 0; i < IDS; i++)
        assert_true(idset_add(&big, ids[i]));
    for (int i = 0; i < IDS; i++)
        assert_true(idset_get(&big, ids[i], NULL));
    idset_free(&big);
}

/* ---- numbers as text ---- */

static void test_number_text(void **state)
{
    (void)state;
    static const uint64_t NUMBERS[] = {0, 1, 9, 10, 99, 100, 12345, 4294967295u, 4294967296u,
                                       999999999999999999u, UINT64_MAX};
    static const char *const PREFIXES[] = {"", "i", "t", "-"};
    for (size_t i = 0; i < sizeof NUMBERS / sizeof NUMBERS[0]; i++)
        for (size_t p = 0; p < sizeof PREFIXES / sizeof PREFIXES[0]; p++) {
            char want[40], got[CODEC_NUMBER_TEXT_MAX];
            memset(got, 'x', sizeof got);
            int len = snprintf(want, sizeof want, "%s%llu", PREFIXES[p], (unsigned long long)NUMBERS[i]);
            assert_int_equal(codec_number_text(PREFIXES[p], NUMBERS[i], got), (size_t)len);
            assert_string_equal(got, want);
        }
}

/* ---- keys by the address of their text ---- */

/* The bytes of {key: 1}, the key written from `key`. */
static void object_bytes(const char *key, StrBuf *out)
{
    CodecWriter w;
    out->len = 0;
    codec_write_begin(&w, out);
    codec_write_object(&w);
    codec_write_key(&w, key);
    codec_write_integer(&w, 1);
    assert_int_equal(codec_write_end(&w), CODEC_OK);
}

static void test_keys_by_address(void **state)
{
    (void)state;
    static const char *const KEYS[] = {"instance", "task", "kind", "not a key of the dictionary", "",
                                       "instances", "instanc", "task", "taskx", "kind"};
    char buffer[64];
    StrBuf from_buffer = STRBUF_INIT, from_copy = STRBUF_INIT;
    for (int round = 0; round < 3; round++)
        for (size_t i = 0; i < sizeof KEYS / sizeof KEYS[0]; i++) {
            snprintf(buffer, sizeof buffer, "%s", KEYS[i]);   /* the same address, new text */
            object_bytes(buffer, &from_buffer);
            char *copy = strdup(KEYS[i]);   /* a fresh address */
            assert_non_null(copy);
            object_bytes(copy, &from_copy);
            free(copy);
            assert_int_equal(from_buffer.len, from_copy.len);
            assert_memory_equal(from_buffer.data, from_copy.data, from_copy.len);
            object_bytes(KEYS[i], &from_copy);   /* the literal itself */
            assert_int_equal(from_buffer.len, from_copy.len);
            assert_memory_equal(from_buffer.data, from_copy.data, from_copy.len);
        }
    object_bytes("task", &from_buffer);
    object_bytes("not a key of the dictionary", &from_copy);
    assert_true(from_buffer.len < from_copy.len);   /* a dictionary key is one byte */
    strbuf_free(&from_buffer);
    strbuf_free(&from_copy);
}

int main(void)
{
    static const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_shared_keys),
        cmocka_unit_test(test_id_sets),
        cmocka_unit_test(test_number_text),
        cmocka_unit_test(test_keys_by_address),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
