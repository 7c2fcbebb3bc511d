/*
 * test_store_grow.c - serve's data.mdb kept ahead of LMDB's use (runtime/store/
 * store_grow.c, StoreOptions.grow_ahead):
 *
 *   the step      1/16 of what LMDB uses, 1 to 4 MiB; nothing below the threshold (8 MiB,
 *                 or HUDDLE_STORE_GROW_FROM) nor for a store without the option
 *   the zeros     start at the file's end when it is past LMDB's last page (bytes below it
 *                 are never written) and reach a step past that page; a second look within
 *                 half a step does nothing; the map and RLIMIT_FSIZE (64 KiB below it)
 *                 bound a step; a write that fails leaves the file as it was
 *   a store       opened with grow_ahead runs ahead of LMDB's last page by at most a step
 *                 while LMDB uses exactly the pages of the same store without the option
 *                 (which keeps LMDB's size); it reopens, reads back, and mdb_env_copy copies
 *                 its pages alone; with a map of 1 MiB the file never passes the map while
 *                 store_write grows it
 *
 * Plain files stand for data.mdb in the first tests; LMDB's meta pages are read by pread
 * (the page numbers and the map size it last recorded), so a store may stay open.
 */
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <lmdb.h>

#include "store.h"
#include "store_files.h"
#include "testdir.h"

#define MIB ((uint64_t)1 << 20)

typedef TestDir Fixture;    /* base: the mkdtemp folder; db: base/db, the store's */

/* ---- files ------------------------------------------------------------------------ */

static uint64_t file_size(const char *path)
{
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    return (uint64_t)st.st_size;
}

/* A file of `size` bytes of `fill`, open for reading and writing. */
static int file_make(const char *dir, const char *name, uint64_t size, int fill, char *path,
                     size_t path_len)
{
    snprintf(path, path_len, "%s/%s", dir, name);
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
    assert_true(fd >= 0);
    unsigned char block[4096];
    memset(block, fill, sizeof block);
    for (uint64_t at = 0; at < size; at += sizeof block) {
        size_t len = size - at < sizeof block ? (size_t)(size - at) : sizeof block;
        assert_int_equal(pwrite(fd, block, len, (off_t)at), (ssize_t)len);
    }
    return fd;
}

/* Whether every byte of [from, to) in `fd` is `byte`. */
static bool bytes_are(int fd, uint64_t from, uint64_t to, int byte)
{
    unsigned char block[4096];
    for (uint64_t at = from; at < to; at += sizeof block) {
        size_t len = to - at < sizeof block ? (size_t)(to - at) : sizeof block;
        if (pread(fd, block, len, (off_t)at) != (ssize_t)len)
            return false;
        for (size_t i = 0; i < len; i++)
            if (block[i] != byte)
                return false;
    }
    return true;
}

/* What LMDB's newest meta page of DIR/data.mdb says: the bytes it uses ((last page + 1)
   * page size) and the map size it recorded. */
static void lmdb_meta(const char *dir, uint64_t *used, uint64_t *map)
{
    char path[256];
    snprintf(path, sizeof path, "%s/data.mdb", dir);
    int fd = open(path, O_RDONLY);
    assert_true(fd >= 0);
    unsigned char meta[2][160];
    assert_int_equal(pread(fd, meta[0], sizeof meta[0], 0), (ssize_t)sizeof meta[0]);
    uint32_t psize;
    memcpy(&psize, meta[0] + 40, 4);
    assert_int_equal(pread(fd, meta[1], sizeof meta[1], psize), (ssize_t)sizeof meta[1]);
    close(fd);
    uint64_t txnid[2], last[2], mapsize[2];
    for (int i = 0; i < 2; i++) {
        memcpy(&mapsize[i], meta[i] + 32, 8);
        memcpy(&last[i], meta[i] + 136, 8);
        memcpy(&txnid[i], meta[i] + 144, 8);
    }
    int newest = txnid[1] > txnid[0];
    *used = (last[newest] + 1) * psize;
    *map = mapsize[newest];
}

/* ---- the step and its bounds, on plain files ------------------------------------------ */

static void test_step(void **state)
{
    (void)state;
    assert_int_equal(store_grow_step(0), MIB);
    assert_int_equal(store_grow_step(16 * MIB), MIB);
    assert_int_equal(store_grow_step(32 * MIB), 2 * MIB);
    assert_int_equal(store_grow_step(64 * MIB), 4 * MIB);
    assert_int_equal(store_grow_step((uint64_t)1 << 40), 4 * MIB);
}

static void test_threshold(void **state)
{
    Fixture *f = *state;
    char path[256];
    StoreGrow grow;
    unsetenv("HUDDLE_STORE_GROW_FROM");
    store_grow_init(&grow, false);
    assert_true(grow.look_at == UINT64_MAX);
    store_grow_init(&grow, true);
    assert_int_equal(grow.look_at, 8 * MIB);
    int fd = file_make(f->base, "data", 4 * MIB, 'x', path, sizeof path);
    store_grow_ahead(&grow, fd, 4 * MIB, 64 * MIB);
    assert_int_equal(file_size(path), 4 * MIB);     /* a small store keeps its size */
    setenv("HUDDLE_STORE_GROW_FROM", "4096", 1);
    store_grow_init(&grow, true);
    unsetenv("HUDDLE_STORE_GROW_FROM");
    assert_int_equal(grow.look_at, 4096);
    store_grow_init(&grow, false);
    store_grow_ahead(&grow, fd, 4 * MIB, 64 * MIB);
    assert_int_equal(file_size(path), 4 * MIB);
    close(fd);
}

static void test_zeros_start_at_the_end(void **state)
{
    Fixture *f = *state;
    char path[256];
    StoreGrow grow = {0};
    /* LMDB uses 1 MiB; the file reaches 1.25 MiB (pages another writer wrote, say). */
    int fd = file_make(f->base, "data", MIB + MIB / 4, 'x', path, sizeof path);
    store_grow_ahead(&grow, fd, MIB, 64 * MIB);
    assert_int_equal(file_size(path), 2 * MIB);
    assert_true(bytes_are(fd, 0, MIB + MIB / 4, 'x'));
    assert_true(bytes_are(fd, MIB + MIB / 4, 2 * MIB, 0));
    assert_int_equal(grow.look_at, 2 * MIB - MIB / 2);
    /* Within half a step of the end: nothing (and no look at the file). */
    store_grow_ahead(&grow, fd, MIB + MIB / 4, 64 * MIB);
    assert_int_equal(file_size(path), 2 * MIB);
    /* Past it: the next step, from the file's end again. */
    store_grow_ahead(&grow, fd, MIB + MIB * 5 / 8, 64 * MIB);
    assert_int_equal(file_size(path), 2 * MIB + MIB * 5 / 8);
    assert_true(bytes_are(fd, 0, MIB + MIB / 4, 'x'));
    assert_true(bytes_are(fd, MIB + MIB / 4, 2 * MIB + MIB * 5 / 8, 0));
    close(fd);
}

static void test_map_bounds_a_step(void **state)
{
    Fixture *f = *state;
    char path[256];
    StoreGrow grow = {0};
    int fd = file_make(f->base, "data", MIB, 'x', path, sizeof path);
    store_grow_ahead(&grow, fd, MIB, MIB + MIB / 2);
    assert_int_equal(file_size(path), MIB + MIB / 2);
    grow.look_at = 0;
    store_grow_ahead(&grow, fd, MIB + MIB / 4, MIB + MIB / 2);    /* at the map's end */
    assert_int_equal(file_size(path), MIB + MIB / 2);
    close(fd);
}

static void test_file_size_limit_bounds_a_step(void **state)
{
    Fixture *f = *state;
    char path[256];
    StoreGrow grow = {0};
    int fd = file_make(f->base, "data", MIB, 'x', path, sizeof path);
    struct rlimit was, limit;
    assert_int_equal(getrlimit(RLIMIT_FSIZE, &was), 0);
    void (*handler)(int) = signal(SIGXFSZ, SIG_IGN);
    limit = was;
    limit.rlim_cur = MIB + MIB / 2;
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &limit), 0);
    store_grow_ahead(&grow, fd, MIB, 64 * MIB);
    uint64_t first = file_size(path);
    grow.look_at = 0;
    store_grow_ahead(&grow, fd, MIB + MIB / 4, 64 * MIB);
    uint64_t second = file_size(path);
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &was), 0);
    signal(SIGXFSZ, handler);
    /* 64 KiB below the limit: store_guard_full (size + 64 KiB > limit) stays false. */
    assert_int_equal(first, MIB + MIB / 2 - STORE_FULL_BYTES);
    assert_int_equal(second, first);
    close(fd);
}

static void test_failed_write_leaves_the_file(void **state)
{
    Fixture *f = *state;
    char path[256];
    StoreGrow grow = {0};
    close(file_make(f->base, "data", MIB, 'x', path, sizeof path));
    int fd = open(path, O_RDONLY);     /* every write fails (EBADF) */
    assert_true(fd >= 0);
    store_grow_ahead(&grow, fd, MIB, 64 * MIB);
    assert_int_equal(file_size(path), MIB);
    assert_int_equal(grow.look_at, MIB + MIB / 2);  /* looked at again half a step on */
    close(fd);
}

/* ---- through the store ------------------------------------------------------------ */

static Store *open_store(const char *dir, bool grow_ahead)
{
    StoreOptions options = {.create = true, .grow_ahead = grow_ahead};
    Store *store = NULL;
    char why[512];
    int rc = store_open(dir, &options, &store, why, sizeof why);
    if (rc != STORE_OK)
        fail_msg("store_open(%s): %s: %s", dir, store_strerror(rc), why);
    return store;
}

typedef struct Batch {
    unsigned first, count;
    size_t len;
} Batch;

static int batch_put(StoreTxn *txn, void *context)
{
    const Batch *batch = context;
    unsigned char key[8], value[4000];
    memset(value, 'v', sizeof value);
    for (unsigned i = batch->first; i < batch->first + batch->count; i++) {
        store_be64(i, key);
        int rc = store_put(txn, TABLE_HISTORY, store_bytes(key, 8), store_bytes(value, batch->len));
        if (rc != STORE_OK)
            return rc;
    }
    return STORE_OK;
}

static void batch_write(Store *store, unsigned first, unsigned count, size_t len)
{
    Batch batch = {first, count, len};
    assert_int_equal(store_write(store, batch_put, &batch), STORE_OK);
}

static void values_check(Store *store, unsigned count, size_t len)
{
    StoreTxn *txn;
    assert_int_equal(store_begin(store, false, &txn), STORE_OK);
    unsigned char key[8];
    for (unsigned i = 0; i < count; i++) {
        StoreBytes value;
        store_be64(i, key);
        assert_int_equal(store_get(txn, TABLE_HISTORY, store_bytes(key, 8), &value), STORE_OK);
        assert_int_equal(value.len, len);
    }
    store_abort(txn);
}

static void test_store_runs_ahead(void **state)
{
    Fixture *f = *state;
    char plain[160], ahead[160], copy[160], path[200];
    snprintf(plain, sizeof plain, "%s/plain", f->base);
    snprintf(ahead, sizeof ahead, "%s/ahead", f->base);
    snprintf(copy, sizeof copy, "%s/copy", f->base);
    setenv("HUDDLE_STORE_GROW_FROM", "1", 1);
    Store *a = open_store(ahead, true), *p = open_store(plain, false);
    for (unsigned round = 0; round < 40; round++) {
        batch_write(a, round * 20, 20, 300);
        batch_write(p, round * 20, 20, 300);
    }
    uint64_t used_a, used_p, map;
    lmdb_meta(ahead, &used_a, &map);
    lmdb_meta(plain, &used_p, &map);
    assert_int_equal(used_a, used_p);               /* LMDB used the same pages */
    snprintf(path, sizeof path, "%s/data.mdb", plain);
    assert_true(file_size(path) <= used_p);         /* LMDB's own size, no zeros */
    snprintf(path, sizeof path, "%s/data.mdb", ahead);
    uint64_t size = file_size(path);
    assert_true(size > used_a && size <= used_a + store_grow_step(used_a));
    store_close(p);
    store_close(a);
    unsetenv("HUDDLE_STORE_GROW_FROM");
    a = open_store(ahead, false);                   /* the header check passes */
    values_check(a, 800, 300);
    store_close(a);
    MDB_env *env;
    assert_int_equal(mdb_env_create(&env), MDB_SUCCESS);
    assert_int_equal(mdb_env_set_maxdbs(env, 32), MDB_SUCCESS);
    assert_int_equal(mdb_env_open(env, ahead, MDB_RDONLY, 0600), MDB_SUCCESS);
    assert_int_equal(mkdir(copy, 0700), 0);
    assert_int_equal(mdb_env_copy(env, copy), MDB_SUCCESS);
    mdb_env_close(env);
    snprintf(path, sizeof path, "%s/data.mdb", copy);
    assert_int_equal(file_size(path), used_a);      /* the pages, not the zeros */
    a = open_store(copy, false);
    values_check(a, 800, 300);
    store_close(a);
}

static void test_file_stays_within_the_map(void **state)
{
    Fixture *f = *state;
    char path[200];
    setenv("HUDDLE_STORE_GROW_FROM", "1", 1);
    setenv("HUDDLE_STORE_MAP_START", "1048576", 1);
    Store *store = open_store(f->db, true);
    unsetenv("HUDDLE_STORE_MAP_START");
    unsetenv("HUDDLE_STORE_GROW_FROM");
    snprintf(path, sizeof path, "%s/data.mdb", f->db);
    uint64_t used, map, most = 0;
    for (unsigned round = 0; round < 12; round++) {
        batch_write(store, round * 100, 100, 3000);    /* ~300 KiB a round: 3.6 MiB */
        lmdb_meta(f->db, &used, &map);
        uint64_t size = file_size(path);
        if (size > map)
            fail_msg("round %u: data.mdb is %llu bytes, past the map's %llu", round,
                     (unsigned long long)size, (unsigned long long)map);
        most = size > most ? size : most;
    }
    assert_true(map > MIB);                        /* store_write grew the map */
    assert_true(most > used);                      /* and the file ran ahead within it */
    values_check(store, 1200, 3000);
    store_close(store);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
#define T(name) cmocka_unit_test_setup_teardown(name, testdir_setup, testdir_teardown)
        T(test_step),
        T(test_threshold),
        T(test_zeros_start_at_the_end),
        T(test_map_bounds_a_step),
        T(test_file_size_limit_bounds_a_step),
        T(test_failed_write_leaves_the_file),
        T(test_store_runs_ahead),
        T(test_file_stays_within_the_map),
#undef T
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
