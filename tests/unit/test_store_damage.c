/*
 * test_store_damage.c - the store against what users send and what disks do (docs/
 * runtime.md, "Limits and damage"):
 *
 *   long keys      keys of 511 bytes and more (LMDB's limit) are kept as a prefix plus
 *                  SHA-256: get, put, del, and scans by short and long prefixes and from a
 *                  start, hand back whole keys; keys that share their first 600 bytes stay
 *                  apart
 *   a short file   data.mdb may end before the last page its meta page names when the
 *                  pages past its end are free (LMDB does not flush pages used and freed in
 *                  one transaction): the header check reads the free list and accepts such
 *                  a file, and refuses it (STORE_DAMAGED) once one page more is gone. The
 *                  free pages are counted independently through LMDB's own API
 *   the lock file  lock.mdb removed while this process has the store open: another process
 *                  cannot open it (STORE_LOCK_LOST) until this one, at its next transaction,
 *                  reopens the store; then both see every commit
 */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <lmdb.h>

#include "store.h"
#include "store_files.h"
#include "testdir.h"

typedef TestDir Fixture;    /* base: the mkdtemp folder; db: base/db, the store's */

static const StoreOptions QUICK = {.create = true, .no_sync = true};

static Store *open_ok(const char *dir)
{
    Store *store = NULL;
    char why[512];
    int rc = store_open(dir, &QUICK, &store, why, sizeof why);
    if (rc != STORE_OK)
        fail_msg("store_open(%s): %s: %s", dir, store_strerror(rc), why);
    return store;
}

/* ---- long keys ------------------------------------------------------------------ */

/* A key of `len` bytes: `head` repeated to fill all but its last 4 bytes, then `tail`. */
static StoreBytes make_key(char *buf, size_t len, char head, const char *tail)
{
    memset(buf, head, len - 4);
    memcpy(buf + len - 4, tail, 4);
    return store_bytes(buf, len);
}

typedef struct Visits {
    int count;
    size_t lens[16];
    char tails[16][5];
} Visits;

static int visit(void *context, StoreBytes key, StoreBytes value)
{
    Visits *v = context;
    /* every value here is the key's own tail: the scan hands out whole keys and values */
    assert_int_equal(value.len, 4);
    assert_memory_equal(value.data, (const char *)key.data + key.len - 4, 4);
    if (v->count < 16) {
        v->lens[v->count] = key.len;
        memcpy(v->tails[v->count], (const char *)key.data + key.len - 4, 4);
        v->tails[v->count][4] = '\0';
    }
    v->count++;
    return STORE_OK;
}

static int scan_count(StoreTxn *txn, StoreBytes prefix, StoreBytes from)
{
    Visits v = {0};
    assert_int_equal(store_scan(txn, TABLE_CASES, prefix, from, visit, &v), STORE_OK);
    return v.count;
}

static void test_long_keys(void **state)
{
    Fixture *f = *state;
    Store *store = open_ok(f->db);
    static const size_t lens[] = {5, 510, 511, 512, 600, 600, 3000};
    static const char *const tails[] = {"k005", "k510", "k511", "k512", "k600", "j600", "k3k0"};
    enum { N = sizeof lens / sizeof lens[0] };
    char *buf = malloc(3000);
    assert_non_null(buf);
    StoreTxn *txn;
    assert_int_equal(store_begin(store, true, &txn), STORE_OK);
    for (size_t i = 0; i < N; i++)
        assert_int_equal(store_put(txn, TABLE_CASES, make_key(buf, lens[i], 'a', tails[i]),
                                   store_bytes(tails[i], 4)), STORE_OK);
    assert_int_equal(store_put(txn, TABLE_CASES, make_key(buf, 700, 'b', "b700"),
                               store_bytes("b700", 4)), STORE_OK);
    assert_int_equal(store_commit(txn), STORE_OK);

    assert_int_equal(store_begin(store, true, &txn), STORE_OK);
    for (size_t i = 0; i < N; i++) {
        StoreBytes got;
        assert_int_equal(store_get(txn, TABLE_CASES, make_key(buf, lens[i], 'a', tails[i]), &got),
                         STORE_OK);
        assert_int_equal(got.len, 4);
        assert_memory_equal(got.data, tails[i], 4);
    }
    StoreBytes none;
    assert_int_equal(store_get(txn, TABLE_CASES, make_key(buf, 600, 'a', "x600"), &none),
                     STORE_NOT_FOUND);
    /* a prefix of 1 byte, one longer than the kept 479 bytes, one that only long keys have */
    assert_int_equal(scan_count(txn, store_bytes("a", 1), store_bytes("", 0)), N);
    assert_int_equal(scan_count(txn, make_key(buf, 500, 'a', "aaaa"), store_bytes("", 0)), 6);
    assert_int_equal(scan_count(txn, make_key(buf, 600, 'a', "aaaa"), store_bytes("", 0)), 1);
    assert_int_equal(scan_count(txn, make_key(buf, 596, 'a', "aaaa"), store_bytes("", 0)), 3);
    /* from a start past the kept bytes: of the keys with the prefix, k600, j600 and the
       3,000-byte key sort before it, the shorter ones after it ('k' > 'a') */
    char from[601];
    memset(from, 'a', 596);
    memcpy(from + 596, "k601", 4);
    assert_int_equal(scan_count(txn, store_bytes("a", 1), store_bytes(from, 600)), 4);
    /* deleting a long key deletes that key only */
    assert_int_equal(store_del(txn, TABLE_CASES, make_key(buf, 600, 'a', "j600")), STORE_OK);
    assert_int_equal(store_del(txn, TABLE_CASES, make_key(buf, 600, 'a', "j600")), STORE_NOT_FOUND);
    assert_int_equal(scan_count(txn, store_bytes("a", 1), store_bytes("", 0)), N - 1);
    assert_int_equal(scan_count(txn, store_bytes("b", 1), store_bytes("", 0)), 1);
    assert_int_equal(store_commit(txn), STORE_OK);
    free(buf);
    store_close(store);
}

static void put_one(Store *store, const char *key)
{
    StoreTxn *txn;
    assert_int_equal(store_begin(store, true, &txn), STORE_OK);
    assert_int_equal(store_put(txn, TABLE_META, store_bytes(key, strlen(key)), store_bytes("1", 1)),
                     STORE_OK);
    assert_int_equal(store_commit(txn), STORE_OK);
}

/* ---- a file shorter than its last page, when the pages past its end are free ---------- */

/* The highest page that is not free, counted through LMDB's free list (database 0). */
static size_t last_live_page(const char *dir)
{
    MDB_env *env;
    MDB_txn *txn;
    MDB_cursor *cursor;
    MDB_envinfo info;
    MDB_val k, v;
    assert_int_equal(mdb_env_create(&env), 0);
    assert_int_equal(mdb_env_open(env, dir, MDB_RDONLY | MDB_NOLOCK, 0600), 0);
    mdb_env_info(env, &info);
    size_t last = info.me_last_pgno;
    unsigned char *is_free = calloc(last + 1, 1);
    assert_non_null(is_free);
    assert_int_equal(mdb_txn_begin(env, NULL, MDB_RDONLY, &txn), 0);
    assert_int_equal(mdb_cursor_open(txn, 0, &cursor), 0);
    while (mdb_cursor_get(cursor, &k, &v, MDB_NEXT) == 0) {
        const size_t *ids = v.mv_data;
        for (size_t i = 1; i <= ids[0]; i++)
            if (ids[i] <= last)
                is_free[ids[i]] = 1;
    }
    mdb_cursor_close(cursor);
    mdb_txn_abort(txn);
    mdb_env_close(env);
    while (last > 0 && is_free[last])
        last--;
    free(is_free);
    return last;
}

static int write_big(StoreTxn *txn, void *context)
{
    size_t n = *(size_t *)context;
    char *big = calloc(n, 1);
    if (big == NULL)
        return STORE_FAILED;
    int rc = store_put(txn, TABLE_PROGRAMS, store_bytes("big", 3), store_bytes(big, n));
    free(big);
    return rc;
}

static int delete_big(StoreTxn *txn, void *context)
{
    (void)context;
    return store_del(txn, TABLE_PROGRAMS, store_bytes("big", 3));
}

static int check_cut(const char *dir, off_t size, char *why, size_t why_len)
{
    char path[256];
    snprintf(path, sizeof path, "%s/data.mdb", dir);
    assert_int_equal(truncate(path, size), 0);
    int fd = open(path, O_RDONLY);
    assert_true(fd >= 0);
    int rc = store_header_check(fd, dir, why, why_len);
    close(fd);
    return rc;
}

static void test_short_file_with_free_tail(void **state)
{
    Fixture *f = *state;
    Store *store = open_ok(f->db);
    size_t n = 200 * 4096; /* 200 overflow pages at the end of the file, then freed */
    assert_int_equal(store_write(store, write_big, &n), STORE_OK);
    assert_int_equal(store_write(store, delete_big, NULL), STORE_OK);
    /* Small commits copy their pages into the freed region; the pages the delete wrote
       at the end are freed in turn. */
    for (int i = 0; i < 10; i++)
        put_one(store, "kept");
    store_close(store);
    StoreTxn *txn;

    char path[256];
    struct stat st;
    snprintf(path, sizeof path, "%s/data.mdb", f->db);
    assert_int_equal(stat(path, &st), 0);
    size_t live = last_live_page(f->db);
    assert_true((off_t)((live + 1) * 4096) < st.st_size - 4096 * 100); /* a long free tail */
    char why[512] = "";
    assert_int_equal(check_cut(f->db, (off_t)((live + 1) * 4096), why, sizeof why), STORE_OK);
    store = open_ok(f->db);
    assert_int_equal(store_begin(store, true, &txn), STORE_OK);
    StoreBytes got;
    assert_int_equal(store_get(txn, TABLE_META, store_bytes("kept", 4), &got), STORE_OK);
    assert_int_equal(store_put(txn, TABLE_META, store_bytes("after", 5), store_bytes("1", 1)),
                     STORE_OK);
    assert_int_equal(store_commit(txn), STORE_OK);
    store_close(store);

    live = last_live_page(f->db);
    assert_int_equal(check_cut(f->db, (off_t)(live * 4096), why, sizeof why), STORE_DAMAGED);
    assert_non_null(strstr(why, "is shorter than its own header says"));
}

/* ---- lock.mdb removed under an open store ------------------------------------------ */

/* In a child process: opens the store and writes `key`; exits with the store code's
   negation (0: done). */
static void child_open_and_put(const char *dir, const char *key)
{
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        Store *store;
        char why[512];
        int rc = store_open(dir, &QUICK, &store, why, sizeof why);
        if (rc == STORE_OK) {
            StoreTxn *txn;
            rc = store_begin(store, true, &txn);
            if (rc == STORE_OK)
                rc = store_put(txn, TABLE_META, store_bytes(key, strlen(key)), store_bytes("1", 1));
            if (rc == STORE_OK)
                rc = store_commit(txn);
            store_close(store);
        }
        _exit(-rc);
    }
}

static int child_result(void)
{
    int status;
    assert_true(wait(&status) > 0);
    assert_true(WIFEXITED(status));
    return -WEXITSTATUS(status);
}

static void test_lock_file_removed(void **state)
{
    Fixture *f = *state;
    Store *store = open_ok(f->db);
    put_one(store, "first");
    char lock[256];
    snprintf(lock, sizeof lock, "%s/lock.mdb", f->db);
    assert_int_equal(unlink(lock), 0);
    child_open_and_put(f->db, "child1");
    assert_int_equal(child_result(), STORE_LOCK_LOST); /* we still hold the removed file */
    put_one(store, "second");                           /* reopens, alone, and commits */
    assert_int_equal(access(lock, F_OK), 0);
    child_open_and_put(f->db, "child2");
    assert_int_equal(child_result(), STORE_OK);
    StoreTxn *txn;
    StoreBytes got;
    assert_int_equal(store_begin(store, false, &txn), STORE_OK);
    assert_int_equal(store_get(txn, TABLE_META, store_bytes("first", 5), &got), STORE_OK);
    assert_int_equal(store_get(txn, TABLE_META, store_bytes("second", 6), &got), STORE_OK);
    assert_int_equal(store_get(txn, TABLE_META, store_bytes("child2", 6), &got), STORE_OK);
    assert_int_equal(store_get(txn, TABLE_META, store_bytes("child1", 6), &got), STORE_NOT_FOUND);
    store_abort(txn);
    store_close(store);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
#define T(name) cmocka_unit_test_setup_teardown(name, testdir_setup, testdir_teardown)
        T(test_long_keys),
        T(test_short_file_with_free_tail),
        T(test_lock_file_removed),
#undef T
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
