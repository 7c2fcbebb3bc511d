/*
 * test_counters.c - a batch's counters kept in memory (runtime/engine/engine_counters.c)
 * and engine_counter, engine_counter_next and engine_counter_put (engine_txn.c) over them,
 * on a real store in a temporary folder.
 *
 *   read-through        the first read of a counter in a batch reads meta; a raise is
 *                       seen by every later read of the same transaction, and meta keeps
 *                       its old value until counters_flush puts the new one (once, and
 *                       only the counters that changed)
 *   outside a batch     with the cache closed, a raise is a put in meta at once
 *   nested steps        a nested step's changes (and the counters it read first) are
 *                       taken back when it is undone, kept when it went through
 *   other transactions  the cache serves only the transaction it points at
 *   full                the counters past BATCH_COUNTERS go to meta at each raise, and
 *                       end with the same values
 *   damaged             a counter in meta that is not 8 bytes fails the step, and is
 *                       not kept
 *   timers              next_timer behind its table (a new timer's key held) is the
 *                       store's damage; a counter gone round its 24 bits tries the next
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "engine_internal.h"
#include "store.h"
#include "testdir.h"

/* A store in the fixture's folder, an engine on it, and one write transaction. */
typedef struct Env {
    Store *store;
    Engine *engine;
    StoreTxn *txn;
    char why[256];
} Env;

static void env_open(Env *env, const TestDir *dir)
{
    StoreOptions options = {.create = true, .no_sync = true};
    char why[512] = "";
    if (store_open(dir->db, &options, &env->store, why, sizeof why) != STORE_OK)
        fail_msg("store_open %s: %s", dir->db, why);
    env->engine = engine_new(env->store, NULL);
    assert_non_null(env->engine);
    assert_int_equal(store_begin(env->store, true, &env->txn), STORE_OK);
}

static void env_close(Env *env)
{
    if (env->txn)
        store_abort(env->txn);
    counters_close(&env->engine->counters);
    engine_free(env->engine);
    store_close(env->store);
}

static void step_on(Step *s, Env *env, StoreTxn *txn)
{
    step_begin(s, env->engine, txn, 0, NULL, env->why, sizeof env->why);
}

/* The counter as meta holds it in `txn`: 0 when it is not there. */
static uint64_t meta_counter(StoreTxn *txn, const char *name)
{
    StoreBytes value;
    int rc = store_get(txn, TABLE_META, store_bytes(name, strlen(name)), &value);
    if (rc == STORE_NOT_FOUND)
        return 0;
    assert_int_equal(rc, STORE_OK);
    assert_int_equal(value.len, 8);
    return store_read_be64(value.data);
}

static void meta_put(StoreTxn *txn, const char *name, uint64_t number)
{
    unsigned char bytes[8];
    store_be64(number, bytes);
    assert_int_equal(store_put(txn, TABLE_META, store_bytes(name, strlen(name)), store_bytes(bytes, 8)), STORE_OK);
}

static uint64_t counter(Step *s, const char *name)
{
    uint64_t value = 99;
    assert_int_equal(engine_counter(s, name, &value), STORE_OK);
    return value;
}

static uint64_t next(Step *s, const char *name)
{
    uint64_t value = 0;
    assert_int_equal(engine_counter_next(s, name, &value), STORE_OK);
    return value;
}

static void test_read_through_and_one_flush(void **state)
{
    Env env;
    env_open(&env, *state);
    meta_put(env.txn, "next_task", 5);
    BatchCounters *c = &env.engine->counters;
    counters_open(c, env.txn);
    Step s;
    step_on(&s, &env, env.txn);
    assert_int_equal(counter(&s, "next_task"), 5);
    assert_int_equal(c->count, 1);                      /* read once, kept */
    assert_int_equal(next(&s, "next_task"), 6);
    assert_int_equal(next(&s, "next_task"), 7);
    assert_int_equal(next(&s, "next_instance"), 1);     /* never raised: from 1 */
    assert_int_equal(counter(&s, "next_task"), 7);
    assert_int_equal(counter(&s, "engine_time"), 0);    /* only read */
    assert_int_equal(c->changes, 3);
    /* meta has none of it yet */
    assert_int_equal(meta_counter(env.txn, "next_task"), 5);
    assert_int_equal(meta_counter(env.txn, "next_instance"), 0);
    uint64_t puts = store_changes(env.txn);
    assert_int_equal(counters_flush(c), STORE_OK);
    assert_int_equal(store_changes(env.txn) - puts, 2);   /* the two that changed, once each */
    assert_int_equal(meta_counter(env.txn, "next_task"), 7);
    assert_int_equal(meta_counter(env.txn, "next_instance"), 1);
    assert_int_equal(meta_counter(env.txn, "engine_time"), 0);   /* not written */
    puts = store_changes(env.txn);
    assert_int_equal(counters_flush(c), STORE_OK);
    assert_int_equal(store_changes(env.txn), puts);     /* nothing changed since */
    /* a put of a counter never read: kept, written at the flush */
    assert_int_equal(engine_counter_put(&s, "engine_time", 1234), STORE_OK);
    assert_int_equal(counter(&s, "engine_time"), 1234);
    assert_int_equal(meta_counter(env.txn, "engine_time"), 0);
    assert_int_equal(counters_flush(c), STORE_OK);
    assert_int_equal(meta_counter(env.txn, "engine_time"), 1234);
    counters_close(c);
    assert_int_equal(step_end(&s, STORE_OK), STORE_OK);
    env_close(&env);
}

static void test_outside_a_batch_meta_at_once(void **state)
{
    Env env;
    env_open(&env, *state);
    Step s;
    step_on(&s, &env, env.txn);
    assert_int_equal(next(&s, "next_outbox"), 1);
    assert_int_equal(meta_counter(env.txn, "next_outbox"), 1);
    assert_int_equal(engine_counter_put(&s, "engine_time", 77), STORE_OK);
    assert_int_equal(meta_counter(env.txn, "engine_time"), 77);
    assert_int_equal(env.engine->counters.count, 0);
    /* a closed cache keeps nothing, and a cache closed after a batch drops its values */
    counters_open(&env.engine->counters, env.txn);
    assert_int_equal(next(&s, "next_outbox"), 2);
    counters_close(&env.engine->counters);
    assert_int_equal(counter(&s, "next_outbox"), 1);    /* never flushed: meta's */
    assert_int_equal(step_end(&s, STORE_OK), STORE_OK);
    env_close(&env);
}

static void test_nested_step_undone_or_kept(void **state)
{
    Env env;
    env_open(&env, *state);
    meta_put(env.txn, "next_timer", 10);
    BatchCounters *c = &env.engine->counters;
    counters_open(c, env.txn);
    Step s;
    step_on(&s, &env, env.txn);
    assert_int_equal(next(&s, "next_instance"), 1);
    uint64_t changes = c->changes;

    /* undone: its raises and the counter it read first are forgotten */
    StoreTxn *child;
    BatchCounters mark;
    assert_int_equal(store_begin_nested(env.txn, &child), STORE_OK);
    counters_nest(c, child, &mark);
    Step n;
    step_on(&n, &env, child);
    assert_int_equal(counter(&n, "next_instance"), 1);
    assert_int_equal(next(&n, "next_instance"), 2);
    assert_int_equal(next(&n, "next_timer"), 11);
    assert_int_equal(c->count, 2);
    store_abort(child);
    counters_unnest(c, &mark, true);
    assert_int_equal(c->count, 1);
    assert_int_equal(c->changes, changes);
    assert_int_equal(counter(&s, "next_instance"), 1);
    assert_int_equal(counter(&s, "next_timer"), 10);

    /* kept: the batch goes on from its values */
    assert_int_equal(store_begin_nested(env.txn, &child), STORE_OK);
    counters_nest(c, child, &mark);
    step_on(&n, &env, child);
    assert_int_equal(next(&n, "next_instance"), 2);
    assert_int_equal(next(&n, "next_timer"), 11);
    assert_int_equal(store_commit(child), STORE_OK);
    counters_unnest(c, &mark, false);
    assert_true(counters_serve(c, env.txn));
    assert_int_equal(next(&s, "next_instance"), 3);
    assert_int_equal(next(&s, "next_timer"), 12);
    assert_int_equal(counters_flush(c), STORE_OK);
    assert_int_equal(meta_counter(env.txn, "next_instance"), 3);
    assert_int_equal(meta_counter(env.txn, "next_timer"), 12);
    counters_close(c);
    assert_int_equal(step_end(&s, STORE_OK), STORE_OK);
    env_close(&env);
}

static void test_other_transactions_read_meta(void **state)
{
    Env env;
    env_open(&env, *state);
    meta_put(env.txn, "next_task", 3);
    BatchCounters *c = &env.engine->counters;
    counters_open(c, env.txn);
    Step s;
    step_on(&s, &env, env.txn);
    assert_int_equal(next(&s, "next_task"), 4);
    StoreTxn *child;
    assert_int_equal(store_begin_nested(env.txn, &child), STORE_OK);
    Step other;
    step_on(&other, &env, child);   /* not counters_nest: the cache does not serve it */
    assert_int_equal(counter(&other, "next_task"), 3);
    assert_null(counters_find(c, child, "next_task"));
    store_abort(child);
    assert_int_equal(counter(&s, "next_task"), 4);
    counters_close(c);
    assert_int_equal(step_end(&s, STORE_OK), STORE_OK);
    env_close(&env);
}

static void test_full_cache_goes_to_meta(void **state)
{
    Env env;
    env_open(&env, *state);
    BatchCounters *c = &env.engine->counters;
    counters_open(c, env.txn);
    Step s;
    step_on(&s, &env, env.txn);
    char names[BATCH_COUNTERS + 2][16];
    for (unsigned i = 0; i < BATCH_COUNTERS + 2; i++) {
        snprintf(names[i], sizeof names[i], "count_%u", i);
        assert_int_equal(next(&s, names[i]), 1);
        assert_int_equal(next(&s, names[i]), 2);
    }
    assert_int_equal(c->count, BATCH_COUNTERS);
    /* the last two went to meta at each raise */
    assert_int_equal(meta_counter(env.txn, names[BATCH_COUNTERS]), 2);
    assert_int_equal(meta_counter(env.txn, names[BATCH_COUNTERS + 1]), 2);
    assert_int_equal(meta_counter(env.txn, names[0]), 0);
    /* a name too long to keep goes to meta too */
    assert_int_equal(next(&s, "a_counter_name_longer_than_24"), 1);
    assert_int_equal(meta_counter(env.txn, "a_counter_name_longer_than_24"), 1);
    assert_int_equal(counters_flush(c), STORE_OK);
    for (unsigned i = 0; i < BATCH_COUNTERS + 2; i++)
        assert_int_equal(meta_counter(env.txn, names[i]), 2);
    counters_close(c);
    assert_int_equal(step_end(&s, STORE_OK), STORE_OK);
    env_close(&env);
}

static void test_damaged_counter_fails_and_is_not_kept(void **state)
{
    Env env;
    env_open(&env, *state);
    assert_int_equal(store_put(env.txn, TABLE_META, store_bytes("next_task", 9), store_bytes("abc", 3)), STORE_OK);
    BatchCounters *c = &env.engine->counters;
    counters_open(c, env.txn);
    Step s;
    step_on(&s, &env, env.txn);
    uint64_t value;
    assert_int_equal(engine_counter_next(&s, "next_task", &value), ENGINE_FAILED);
    assert_non_null(strstr(env.why, "is not an 8-byte number"));
    assert_int_equal(c->count, 0);
    counters_close(c);
    step_end(&s, STORE_OK);
    env_close(&env);
}

/* A timer key (due, instance 1, priority 3, number) put in the timers table. */
static void timer_put(StoreTxn *txn, int64_t due, uint32_t number)
{
    unsigned char key[20];
    store_be64((uint64_t)due, key);
    store_be64(1, key + 8);
    key[16] = 3;
    key[17] = (unsigned char)(number >> 16);
    key[18] = (unsigned char)(number >> 8);
    key[19] = (unsigned char)number;
    assert_int_equal(store_put(txn, TABLE_TIMERS, store_bytes(key, 20), store_bytes("x", 1)), STORE_OK);
}

static void test_timer_counter_behind_its_table(void **state)
{
    Env env;
    env_open(&env, *state);
    Step s;
    step_on(&s, &env, env.txn);
    Instance in = {.number = 1};
    unsigned char key[20];
    timer_put(env.txn, 5000, 1);   /* next_timer lost: the next number is 1, taken */
    assert_int_equal(timer_key_new(&s, &in, 5000, 3, key), ENGINE_FAILED);
    assert_non_null(strstr(env.why, "the store is damaged: meta's next_timer gives the number 1 to a new timer of "
                                    "i1 due 1970-01-01T00:00:05Z, but a timer of i1 due then holds it already"));
    step_end(&s, STORE_OK);

    /* a counter gone round its 24 bits is no damage: the next free number is taken */
    step_on(&s, &env, env.txn);
    timer_put(env.txn, 5000, 2);
    meta_put(env.txn, "next_timer", 2);
    assert_int_equal(timer_key_new(&s, &in, 5000, 3, key), STORE_OK);   /* a free key: 3 */
    assert_int_equal(key[19], 3);
    meta_put(env.txn, "next_timer", 0x1000000);   /* gone round: 1 and 2 held, 3 is free */
    assert_int_equal(timer_key_new(&s, &in, 5000, 3, key), STORE_OK);
    assert_int_equal(key[19], 3);
    assert_int_equal(meta_counter(env.txn, "next_timer"), 0x1000003);
    assert_int_equal(timer_key_new(&s, &in, 6000, 3, key), STORE_OK);   /* another due: free */
    assert_int_equal(key[19], 4);
    step_end(&s, STORE_OK);
    env_close(&env);
}

int main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, testdir_setup, testdir_teardown)
    const struct CMUnitTest tests[] = {
        T(test_read_through_and_one_flush),
        T(test_outside_a_batch_meta_at_once),
        T(test_nested_step_undone_or_kept),
        T(test_other_transactions_read_meta),
        T(test_full_cache_goes_to_meta),
        T(test_damaged_counter_fails_and_is_not_kept),
        T(test_timer_counter_behind_its_table),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
