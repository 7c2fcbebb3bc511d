/*
 * test_store.c - the durable store (runtime/store/store.h on LMDB): what a folder must hold to
 * be opened, what is kept, in what order, inside which transaction, and what happens
 * when the map fills or a second process writes.
 *
 * Every test works in its own mkdtemp folder, removed afterwards; the store, when there
 * is one, lives in its "db" subfolder (which store_open creates). Scenarios:
 *
 *   identity      a new store gets a 32-hex-digit id that survives a reopen with its data;
 *                 a read-only handle reads but does not write
 *   refusals      a missing or empty folder without create, a folder of other files, a
 *                 data.mdb of random bytes, an LMDB database of someone else, a store of
 *                 schema version 4: all STORE_NOT_A_STORE with a sentence, and not a byte
 *                 of the folder changed; a data.mdb never written to is finished by create
 *   tables        get/put/del, scans by prefix and from, visitors that stop or fail,
 *                 big-endian integer keys in numeric order
 *   transactions  a nested transaction aborts alone; a reader never sees what a writer
 *                 has not committed; work that fails commits nothing
 *   growth        one store_write of ~200 MB (50,000 values of 4,000 bytes) outgrows the
 *                 64 MiB map, grows it and commits; everything reads back. A map grown by
 *                 another process is adopted; a resize waits for another thread's reader
 *   processes     a child process (fork) opens the same folder with its own handle, and
 *                 the two handles see each other's commits while both are open
 *   durability    with sync_root_later, a commit is durable once a later commit that
 *                 wrote something has flushed, or store_sync; a commit that wrote nothing
 *                 (empty, or its nested write undone) is not counted and flushes nothing;
 *                 without it every commit is durable at once; what was committed is there
 *                 after a close and a reopen
 */
#include <dirent.h>
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
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

#include "store.h"
#include "testdir.h"

/* A version number macro as text: VERSION_TEXT(STORE_SCHEMA_VERSION) is "7". */
#define VERSION_TEXT_OF(v) #v
#define VERSION_TEXT(v) VERSION_TEXT_OF(v)
/* The version after this huddle's (the assertion says when to raise it). */
_Static_assert(STORE_SCHEMA_VERSION == 7, "NEWER must be the version after this huddle's");
#define NEWER "8"

#define WHY 512

typedef TestDir Fixture;    /* base: the mkdtemp folder; db: base/db, the store's */

/* ---- folders ------------------------------------------------------------------ */

static void write_file(const char *path, const void *data, size_t len)
{
    FILE *file = fopen(path, "wb");
    assert_non_null(file);
    assert_int_equal(fwrite(data, 1, len, file), len);
    assert_int_equal(fclose(file), 0);
}

/* The whole of a file, malloc'd; *len receives its size. */
static unsigned char *read_file(const char *path, size_t *len)
{
    FILE *file = fopen(path, "rb");
    assert_non_null(file);
    assert_int_equal(fseek(file, 0, SEEK_END), 0);
    long size = ftell(file);
    assert_true(size >= 0);
    rewind(file);
    unsigned char *data = malloc((size_t)size + 1);
    assert_non_null(data);
    assert_int_equal(fread(data, 1, (size_t)size, file), (size_t)size);
    fclose(file);
    *len = (size_t)size;
    return data;
}

/* The names in a folder, sorted and joined with spaces ("" when empty). */
static void list_folder(const char *dir, char *out, size_t out_len)
{
    struct dirent **names;
    int n = scandir(dir, &names, NULL, alphasort);
    assert_true(n >= 0);
    out[0] = '\0';
    for (int i = 0; i < n; i++) {
        const char *name = names[i]->d_name;
        if (strcmp(name, ".") != 0 && strcmp(name, "..") != 0) {
            if (out[0] != '\0')
                strncat(out, " ", out_len - strlen(out) - 1);
            strncat(out, name, out_len - strlen(out) - 1);
        }
        free(names[i]);
    }
    free(names);
}

static void make_dir(const char *dir)
{
    assert_int_equal(mkdir(dir, 0700), 0);
}

/* Blocks for one byte on `fd`: false at end of file. */
static bool wait_byte(int fd)
{
    char c;
    return read(fd, &c, 1) == 1;
}

/* ---- store helpers ------------------------------------------------------------- */

static const StoreOptions CREATE = {.create = true};
static const StoreOptions EXISTING = {.create = false};
static const StoreOptions QUICK = {.create = true, .no_sync = true};

static Store *open_ok(const char *dir, const StoreOptions *options)
{
    Store *store = NULL;
    char why[WHY];
    int rc = store_open(dir, options, &store, why, sizeof why);
    if (rc != STORE_OK)
        fail_msg("store_open(%s): %s: %s", dir, store_strerror(rc), why);
    assert_non_null(store);
    return store;
}

/* store_open must refuse `dir` as not a store, with a reason containing `needle`. */
static void open_refused(const char *dir, const StoreOptions *options, const char *needle)
{
    Store *store = (Store *)1;
    char why[WHY];
    int rc = store_open(dir, options, &store, why, sizeof why);
    if (rc != STORE_NOT_A_STORE || strstr(why, needle) == NULL)
        fail_msg("store_open(%s) = %d (%s), why \"%s\"; wanted STORE_NOT_A_STORE and \"%s\"",
                 dir, rc, store_strerror(rc), why, needle);
    assert_null(store);
}

static StoreBytes text(const char *s)
{
    return store_bytes(s, strlen(s));
}

static void put_text(Store *store, StoreTable table, const char *key, const char *value)
{
    StoreTxn *txn;
    assert_int_equal(store_begin(store, true, &txn), STORE_OK);
    assert_int_equal(store_put(txn, table, text(key), text(value)), STORE_OK);
    assert_int_equal(store_commit(txn), STORE_OK);
}

/* Asserts that `key` holds `value` (NULL: that there is no such key) in `txn`. */
static void expect_in(StoreTxn *txn, StoreTable table, const char *key, const char *value)
{
    StoreBytes got = {0};
    int rc = store_get(txn, table, text(key), &got);
    if (value == NULL) {
        assert_int_equal(rc, STORE_NOT_FOUND);
        return;
    }
    assert_int_equal(rc, STORE_OK);
    assert_int_equal(got.len, strlen(value));
    assert_memory_equal(got.data, value, got.len);
}

/* The same in a fresh read transaction. */
static void expect_stored(Store *store, StoreTable table, const char *key, const char *value)
{
    StoreTxn *txn;
    assert_int_equal(store_begin(store, false, &txn), STORE_OK);
    expect_in(txn, table, key, value);
    store_abort(txn);
}

/* ---- identity ------------------------------------------------------------------ */

static void test_create_and_reopen(void **state)
{
    Fixture *f = *state;
    Store *store = open_ok(f->db, &CREATE);
    char id[33];
    snprintf(id, sizeof id, "%s", store_id(store));
    assert_int_equal(strlen(id), 32);
    assert_int_equal(strspn(id, "0123456789abcdef"), 32);
    put_text(store, TABLE_PLAYBOOKS, "refund_desk", "hash-1");
    store_close(store);

    struct stat st;
    assert_int_equal(stat(f->db, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0700);

    store = open_ok(f->db, &EXISTING);
    assert_string_equal(store_id(store), id);
    expect_stored(store, TABLE_PLAYBOOKS, "refund_desk", "hash-1");
    expect_stored(store, TABLE_META, "schema_version", VERSION_TEXT(STORE_SCHEMA_VERSION));
    expect_stored(store, TABLE_META, "store_id", id);
    store_close(store);

    /* create on an existing store opens it: same id, same data */
    store = open_ok(f->db, &CREATE);
    assert_string_equal(store_id(store), id);
    expect_stored(store, TABLE_PLAYBOOKS, "refund_desk", "hash-1");
    store_close(store);

    /* read-only: reads, refuses to write */
    StoreOptions read_only = {.read_only = true};
    store = open_ok(f->db, &read_only);
    assert_string_equal(store_id(store), id);
    expect_stored(store, TABLE_PLAYBOOKS, "refund_desk", "hash-1");
    StoreTxn *txn = NULL;
    assert_int_equal(store_begin(store, true, &txn), STORE_FAILED);
    assert_null(txn);
    store_close(store);

    /* another store has another id */
    char other[96];
    snprintf(other, sizeof other, "%s/other", f->base);
    store = open_ok(other, &CREATE);
    assert_string_not_equal(store_id(store), id);
    store_close(store);
}

static void test_one_handle_per_process(void **state)
{
    Fixture *f = *state;
    Store *store = open_ok(f->db, &CREATE);
    Store *second = (Store *)1;
    char why[WHY];
    assert_int_equal(store_open(f->db, &EXISTING, &second, why, sizeof why), STORE_BUSY);
    assert_null(second);
    assert_non_null(strstr(why, "already open"));
    store_close(store);
    store = open_ok(f->db, &EXISTING); /* closed, so it opens again */
    store_close(store);
}

/* ---- refusals ------------------------------------------------------------------- */

static void test_refuses_missing_and_empty_without_create(void **state)
{
    Fixture *f = *state;
    open_refused(f->db, &EXISTING, "no data.mdb");
    assert_int_equal(access(f->db, F_OK), -1); /* not created */
    make_dir(f->db);
    open_refused(f->db, &EXISTING, "run huddle deploy");
    char names[256];
    list_folder(f->db, names, sizeof names);
    assert_string_equal(names, "");
    /* an empty folder with create becomes a store */
    Store *store = open_ok(f->db, &CREATE);
    store_close(store);
}

static void test_refuses_folder_with_other_files(void **state)
{
    Fixture *f = *state;
    char path[160], names[256];
    make_dir(f->db);
    snprintf(path, sizeof path, "%s/notes.txt", f->db);
    write_file(path, "keep me\n", 8);
    open_refused(f->db, &CREATE, "notes.txt");
    open_refused(f->db, &EXISTING, "no data.mdb");
    list_folder(f->db, names, sizeof names);
    assert_string_equal(names, "notes.txt");
    size_t len;
    unsigned char *data = read_file(path, &len);
    assert_int_equal(len, 8);
    assert_memory_equal(data, "keep me\n", 8);
    free(data);
}

static void test_refuses_fake_data_mdb(void **state)
{
    Fixture *f = *state;
    char path[160], names[256];
    make_dir(f->db);
    snprintf(path, sizeof path, "%s/data.mdb", f->db);
    enum { SIZE = 64 * 1024 };
    unsigned char *noise = malloc(SIZE);
    assert_non_null(noise);
    srand(20260620);
    for (size_t i = 0; i < SIZE; i++)
        noise[i] = (unsigned char)(rand() >> 7);
    write_file(path, noise, SIZE);
    open_refused(f->db, &EXISTING, "not a Huddle store");
    open_refused(f->db, &CREATE, "not a Huddle store");
    StoreOptions read_only = {.read_only = true};
    open_refused(f->db, &read_only, "not a Huddle store");

    size_t len;
    unsigned char *after = read_file(path, &len);
    assert_int_equal(len, SIZE);
    assert_memory_equal(after, noise, SIZE);
    list_folder(f->db, names, sizeof names);
    assert_string_equal(names, "data.mdb"); /* not even a lock file */
    free(after);
    free(noise);
}

/* Makes an LMDB environment in f->db with mdb_load (lmdb-utils) holding one entry in
   the named database `table`; false when mdb_load is not there. */
static bool load_foreign_lmdb(const Fixture *f, const char *table)
{
    char input[160], command[512];
    snprintf(input, sizeof input, "%s/dump.txt", f->base);
    const char dump[] = "VERSION=3\nformat=bytevalue\ntype=btree\nHEADER=END\n"
                        " 68656c6c6f\n 776f726c64\nDATA=END\n";
    write_file(input, dump, strlen(dump));
    snprintf(command, sizeof command, "mdb_load -s %s -f %s %s >/dev/null 2>&1", table,
             input, f->db);
    return system(command) == 0;
}

static void test_refuses_foreign_lmdb(void **state)
{
    Fixture *f = *state;
    static const char *const tables[] = {"other", "meta"};
    for (size_t t = 0; t < 2; t++) {
        make_dir(f->db);
        if (!load_foreign_lmdb(f, tables[t])) {
            skip();
            return;
        }
        char path[160];
        snprintf(path, sizeof path, "%s/data.mdb", f->db);
        size_t len_before, len_after;
        unsigned char *before = read_file(path, &len_before);
        open_refused(f->db, &CREATE, t == 0 ? "without a meta table" : "no schema_version");
        open_refused(f->db, &EXISTING, "left as it is");
        unsigned char *after = read_file(path, &len_after);
        assert_int_equal(len_after, len_before);
        assert_memory_equal(after, before, len_before);
        free(before);
        free(after);
        assert_int_equal(testdir_remove(f->db), 0);
    }
}

static int put_newer_version(StoreTxn *txn, void *context)
{
    (void)context;
    return store_put(txn, TABLE_META, text("schema_version"), text(NEWER));
}

static void test_refuses_other_schema_version(void **state)
{
    Fixture *f = *state;
    Store *store = open_ok(f->db, &CREATE);
    assert_int_equal(store_write(store, put_newer_version, NULL), STORE_OK);
    store_close(store);
    char path[160];
    snprintf(path, sizeof path, "%s/data.mdb", f->db);
    size_t len_before, len_after;
    unsigned char *before = read_file(path, &len_before);
    open_refused(f->db, &EXISTING, "store schema version " NEWER "; this huddle reads versions 1 to "
                                   VERSION_TEXT(STORE_SCHEMA_VERSION));
    open_refused(f->db, &CREATE, "schema version " NEWER);
    unsigned char *after = read_file(path, &len_after);
    assert_int_equal(len_after, len_before);
    assert_memory_equal(after, before, len_before);
    free(before);
    free(after);
}

static void test_unfinished_and_odd_folders(void **state)
{
    Fixture *f = *state;
    char path[160];
    /* a data.mdb that was never written to (a creation cut short) */
    make_dir(f->db);
    snprintf(path, sizeof path, "%s/data.mdb", f->db);
    write_file(path, "", 0);
    open_refused(f->db, &EXISTING, "its data.mdb holds no commit");
    /* with the write.lock its first writer made: still a store folder, made again */
    snprintf(path, sizeof path, "%s/write.lock", f->db);
    write_file(path, "", 0);
    Store *store = open_ok(f->db, &CREATE);
    assert_int_equal(strlen(store_id(store)), 32);
    store_close(store);
    store = open_ok(f->db, &EXISTING);
    store_close(store);

    /* a file where the folder should be */
    char file[96];
    snprintf(file, sizeof file, "%s/plain", f->base);
    write_file(file, "x", 1);
    open_refused(file, &CREATE, "not a folder");

    /* create and read_only together make no sense */
    char other[96], why[WHY];
    snprintf(other, sizeof other, "%s/other", f->base);
    StoreOptions both = {.create = true, .read_only = true};
    Store *none = (Store *)1;
    assert_int_equal(store_open(other, &both, &none, why, sizeof why), STORE_FAILED);
    assert_null(none);
    assert_int_equal(access(other, F_OK), -1);
}

/* ---- tables ------------------------------------------------------------------- */

typedef struct Seen {
    int count;
    int stop_after;     /* > 0: return STORE_STOP at this visit */
    int fail_at;        /* > 0: return -77 at this visit */
    char keys[16][16];
} Seen;

static int collect(void *context, StoreBytes key, StoreBytes value)
{
    Seen *seen = context;
    (void)value;
    if (seen->fail_at > 0 && seen->count + 1 == seen->fail_at)
        return -77;
    if (seen->count < 16)
        snprintf(seen->keys[seen->count], 16, "%.*s", (int)key.len, (const char *)key.data);
    seen->count++;
    if (seen->stop_after > 0 && seen->count == seen->stop_after)
        return STORE_STOP;
    return STORE_OK;
}

/* Scans TABLE_CASES and compares the keys seen with `want` (space-separated). */
static void expect_scan(StoreTxn *txn, const char *prefix, const char *from, Seen seen,
                        int want_rc, const char *want)
{
    assert_int_equal(store_scan(txn, TABLE_CASES, text(prefix), text(from), collect, &seen),
                     want_rc);
    char got[256] = "";
    for (int i = 0; i < seen.count && i < 16; i++) {
        if (i > 0)
            strcat(got, " ");
        strcat(got, seen.keys[i]);
    }
    assert_string_equal(got, want);
}

static void test_get_put_del_scan(void **state)
{
    Fixture *f = *state;
    Store *store = open_ok(f->db, &QUICK);
    StoreTxn *txn;
    assert_int_equal(store_begin(store, true, &txn), STORE_OK);
    static const char *const keys[] = {"b/2", "a/1", "ab", "b/1", "b/3", "c", "a/2", "b"};
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
        assert_int_equal(store_put(txn, TABLE_CASES, text(keys[i]), text(keys[i])), STORE_OK);
    /* overwrite, empty values, tables are separate */
    assert_int_equal(store_put(txn, TABLE_CASES, text("c"), text("")), STORE_OK);
    assert_int_equal(store_put(txn, TABLE_TASKS, text("a/1"), text("task")), STORE_OK);
    assert_int_equal(store_commit(txn), STORE_OK);

    assert_int_equal(store_begin(store, true, &txn), STORE_OK);
    expect_in(txn, TABLE_CASES, "a/1", "a/1");
    expect_in(txn, TABLE_CASES, "c", "");
    expect_in(txn, TABLE_TASKS, "a/1", "task");
    expect_in(txn, TABLE_TASKS, "b/1", NULL);
    expect_in(txn, TABLE_CASES, "zz", NULL);
    StoreBytes none;
    assert_int_equal(store_get(txn, TABLE_CASES, text(""), &none), STORE_NOT_FOUND);
    assert_int_equal(store_put(txn, TABLE_CASES, text(""), text("x")), STORE_FAILED);
    assert_int_equal(store_get(txn, TABLE_COUNT, text("a/1"), &none), STORE_FAILED);

    Seen seen = {0};
    expect_scan(txn, "", "", seen, STORE_OK, "a/1 a/2 ab b b/1 b/2 b/3 c");
    expect_scan(txn, "b/", "", seen, STORE_OK, "b/1 b/2 b/3");
    expect_scan(txn, "b", "", seen, STORE_OK, "b b/1 b/2 b/3");
    expect_scan(txn, "a", "", seen, STORE_OK, "a/1 a/2 ab");
    expect_scan(txn, "b/", "b/2", seen, STORE_OK, "b/2 b/3");
    expect_scan(txn, "b/", "b/15", seen, STORE_OK, "b/2 b/3");
    expect_scan(txn, "b/", "a", seen, STORE_OK, "b/1 b/2 b/3"); /* from before the prefix */
    expect_scan(txn, "b/", "c", seen, STORE_OK, "");            /* from after it */
    expect_scan(txn, "", "ab", seen, STORE_OK, "ab b b/1 b/2 b/3 c");
    expect_scan(txn, "x", "", seen, STORE_OK, "");
    seen.stop_after = 2;
    expect_scan(txn, "", "", seen, STORE_OK, "a/1 a/2");
    seen.stop_after = 0;
    seen.fail_at = 3;
    expect_scan(txn, "", "", seen, -77, "a/1 a/2");

    assert_int_equal(store_del(txn, TABLE_CASES, text("b/2")), STORE_OK);
    assert_int_equal(store_del(txn, TABLE_CASES, text("b/2")), STORE_NOT_FOUND);
    assert_int_equal(store_del(txn, TABLE_CASES, text("nope")), STORE_NOT_FOUND);
    seen.fail_at = 0;
    expect_scan(txn, "b/", "", seen, STORE_OK, "b/1 b/3");
    assert_int_equal(store_commit(txn), STORE_OK);
    expect_stored(store, TABLE_CASES, "b/2", NULL);
    expect_stored(store, TABLE_CASES, "b/3", "b/3");
    store_close(store);
}

/* A visitor that writes to the table being scanned: store.h forbids it. */
static int write_while_scanning(void *context, StoreBytes key, StoreBytes value)
{
    StoreTxn *txn = context;
    (void)value;
    int rc = store_put(txn, TABLE_CASES, key, text("changed"));
    if (rc != STORE_FAILED)
        return -99;
    /* another table is fine */
    return store_put(txn, TABLE_TASKS, key, text("copied"));
}

static void test_scan_refuses_writes_to_its_table(void **state)
{
    Fixture *f = *state;
    Store *store = open_ok(f->db, &QUICK);
    put_text(store, TABLE_CASES, "k1", "v1");
    StoreTxn *txn;
    assert_int_equal(store_begin(store, true, &txn), STORE_OK);
    assert_int_equal(store_scan(txn, TABLE_CASES, text(""), text(""), write_while_scanning,
                                txn),
                     STORE_OK);
    expect_in(txn, TABLE_TASKS, "k1", "copied");
    /* after the scan, the table can be written again */
    assert_int_equal(store_put(txn, TABLE_CASES, text("k1"), text("v2")), STORE_OK);
    assert_int_equal(store_commit(txn), STORE_OK);
    expect_stored(store, TABLE_CASES, "k1", "v2");
    store_close(store);
}

typedef struct Numbers {
    int count;
    uint64_t values[16];
} Numbers;

static int collect_numbers(void *context, StoreBytes key, StoreBytes value)
{
    Numbers *numbers = context;
    assert_int_equal(key.len, 9);
    assert_int_equal(value.len, 8);
    assert_int_equal(store_read_be64((const unsigned char *)key.data + 1),
                     store_read_be64(value.data));
    numbers->values[numbers->count++] = store_read_be64((const unsigned char *)key.data + 1);
    return STORE_OK;
}

static void test_be64_keys_sort_numerically(void **state)
{
    Fixture *f = *state;
    static const uint64_t values[] = {256, 1, UINT64_MAX, 10, 0, 65536, 255, 1ull << 40, 2};
    static const uint64_t sorted[] = {0, 1, 2, 10, 255, 256, 65536, 1ull << 40, UINT64_MAX};
    enum { N = sizeof values / sizeof values[0] };
    unsigned char raw[8];
    store_be64(0x0102030405060708ull, raw);
    assert_memory_equal(raw, "\x01\x02\x03\x04\x05\x06\x07\x08", 8);
    assert_int_equal(store_read_be64(raw), 0x0102030405060708ull);

    Store *store = open_ok(f->db, &QUICK);
    StoreTxn *txn;
    assert_int_equal(store_begin(store, true, &txn), STORE_OK);
    for (size_t i = 0; i < N; i++) {
        unsigned char key[9] = {'t'}, value[8];
        store_be64(values[i], key + 1);
        store_be64(values[i], value);
        assert_int_equal(store_put(txn, TABLE_TIMERS, store_bytes(key, 9),
                                   store_bytes(value, 8)),
                         STORE_OK);
    }
    assert_int_equal(store_commit(txn), STORE_OK);

    assert_int_equal(store_begin(store, false, &txn), STORE_OK);
    Numbers numbers = {0};
    assert_int_equal(store_scan(txn, TABLE_TIMERS, text("t"), text(""), collect_numbers,
                                &numbers),
                     STORE_OK);
    assert_int_equal(numbers.count, N);
    for (size_t i = 0; i < N; i++)
        assert_int_equal(numbers.values[i], sorted[i]);
    /* due before 300: from the start up to a key, by stopping */
    unsigned char from[9] = {'t'};
    store_be64(255, from + 1);
    numbers.count = 0;
    assert_int_equal(store_scan(txn, TABLE_TIMERS, text("t"), store_bytes(from, 9),
                                collect_numbers, &numbers),
                     STORE_OK);
    assert_int_equal(numbers.count, 5);
    assert_int_equal(numbers.values[0], 255);
    store_abort(txn);
    store_close(store);
}

/* ---- transactions ------------------------------------------------------------- */

static void test_nested_abort_keeps_parent(void **state)
{
    Fixture *f = *state;
    Store *store = open_ok(f->db, &QUICK);
    StoreTxn *txn, *step, *inner;
    assert_int_equal(store_begin(store, true, &txn), STORE_OK);
    assert_int_equal(store_put(txn, TABLE_INPUTS, text("in-1"), text("parent")), STORE_OK);

    /* a failed step: aborted alone */
    assert_int_equal(store_begin_nested(txn, &step), STORE_OK);
    assert_int_equal(store_put(step, TABLE_INPUTS, text("in-2"), text("failed step")),
                     STORE_OK);
    assert_int_equal(store_put(step, TABLE_INPUTS, text("in-1"), text("overwritten")),
                     STORE_OK);
    expect_in(step, TABLE_INPUTS, "in-1", "overwritten");
    /* one nested transaction at a time */
    StoreTxn *twin = (StoreTxn *)1;
    assert_int_equal(store_begin_nested(txn, &twin), STORE_FAILED);
    assert_null(twin);
    store_abort(step);
    expect_in(txn, TABLE_INPUTS, "in-1", "parent");
    expect_in(txn, TABLE_INPUTS, "in-2", NULL);

    /* a good step, with a nested transaction of its own that fails */
    assert_int_equal(store_begin_nested(txn, &step), STORE_OK);
    assert_int_equal(store_put(step, TABLE_INPUTS, text("in-3"), text("good step")),
                     STORE_OK);
    assert_int_equal(store_begin_nested(step, &inner), STORE_OK);
    assert_int_equal(store_put(inner, TABLE_INPUTS, text("in-4"), text("inner")), STORE_OK);
    store_abort(inner);
    assert_int_equal(store_commit(step), STORE_OK);
    expect_in(txn, TABLE_INPUTS, "in-3", "good step");
    expect_in(txn, TABLE_INPUTS, "in-4", NULL);

    /* an aborted parent takes its open child with it */
    assert_int_equal(store_begin_nested(txn, &step), STORE_OK);
    assert_int_equal(store_put(step, TABLE_INPUTS, text("in-5"), text("orphan")), STORE_OK);
    store_abort(step);
    assert_int_equal(store_commit(txn), STORE_OK);

    assert_int_equal(store_begin(store, false, &txn), STORE_OK);
    expect_in(txn, TABLE_INPUTS, "in-1", "parent");
    expect_in(txn, TABLE_INPUTS, "in-2", NULL);
    expect_in(txn, TABLE_INPUTS, "in-3", "good step");
    expect_in(txn, TABLE_INPUTS, "in-4", NULL);
    expect_in(txn, TABLE_INPUTS, "in-5", NULL);
    /* a read transaction has no nested ones */
    assert_int_equal(store_begin_nested(txn, &step), STORE_FAILED);
    store_abort(txn);

    /* committing a parent whose child is open is refused and commits nothing */
    assert_int_equal(store_begin(store, true, &txn), STORE_OK);
    assert_int_equal(store_put(txn, TABLE_INPUTS, text("in-6"), text("lost")), STORE_OK);
    assert_int_equal(store_begin_nested(txn, &step), STORE_OK);
    assert_int_equal(store_commit(txn), STORE_FAILED);
    expect_stored(store, TABLE_INPUTS, "in-6", NULL);
    store_close(store);
}

static void test_reader_does_not_see_uncommitted(void **state)
{
    Fixture *f = *state;
    Store *store = open_ok(f->db, &QUICK);
    put_text(store, TABLE_OUTBOX, "o-1", "old");
    StoreTxn *writer, *reader, *later;
    assert_int_equal(store_begin(store, true, &writer), STORE_OK);
    assert_int_equal(store_put(writer, TABLE_OUTBOX, text("o-1"), text("new")), STORE_OK);
    assert_int_equal(store_put(writer, TABLE_OUTBOX, text("o-2"), text("added")), STORE_OK);
    assert_int_equal(store_begin(store, false, &reader), STORE_OK);
    expect_in(reader, TABLE_OUTBOX, "o-1", "old");
    expect_in(reader, TABLE_OUTBOX, "o-2", NULL);
    assert_int_equal(store_commit(writer), STORE_OK);
    /* the reader keeps its snapshot; a new one sees the commit */
    expect_in(reader, TABLE_OUTBOX, "o-1", "old");
    expect_in(reader, TABLE_OUTBOX, "o-2", NULL);
    assert_int_equal(store_begin(store, false, &later), STORE_OK);
    expect_in(later, TABLE_OUTBOX, "o-1", "new");
    expect_in(later, TABLE_OUTBOX, "o-2", "added");
    store_abort(later);
    assert_int_equal(store_commit(reader), STORE_OK); /* committing a reader ends it */
    store_close(store);
}

typedef struct Failing {
    int runs;
} Failing;

static int work_that_fails(StoreTxn *txn, void *context)
{
    Failing *failing = context;
    failing->runs++;
    int rc = store_put(txn, TABLE_INSTANCES, text("i-1"), text("half done"));
    if (rc != STORE_OK)
        return rc;
    return -42;
}

static void test_write_error_commits_nothing(void **state)
{
    Fixture *f = *state;
    Store *store = open_ok(f->db, &QUICK);
    Failing failing = {0};
    assert_int_equal(store_write(store, work_that_fails, &failing), -42);
    assert_int_equal(failing.runs, 1);
    expect_stored(store, TABLE_INSTANCES, "i-1", NULL);
    store_close(store);
    store = open_ok(f->db, &EXISTING);
    expect_stored(store, TABLE_INSTANCES, "i-1", NULL);
    store_close(store);
}

/* ---- growth ------------------------------------------------------------------- */

enum { BIG_COUNT = 50000, BIG_SIZE = 4000 };

typedef struct Big {
    int runs;
    int count;
    unsigned char *value;
} Big;

static void big_fill(unsigned char *value, uint64_t i)
{
    for (size_t j = 0; j < BIG_SIZE; j++)
        value[j] = (unsigned char)(i * 31 + j * 7);
    store_be64(i, value);
}

static int work_big(StoreTxn *txn, void *context)
{
    Big *big = context;
    big->runs++;
    for (int i = 0; i < big->count; i++) {
        unsigned char key[8];
        store_be64((uint64_t)i, key);
        big_fill(big->value, (uint64_t)i);
        int rc = store_put(txn, TABLE_HISTORY, store_bytes(key, 8),
                           store_bytes(big->value, BIG_SIZE));
        if (rc != STORE_OK)
            return rc;
    }
    return STORE_OK;
}

typedef struct Check {
    uint64_t next;
    unsigned char *want;
} Check;

static int check_big(void *context, StoreBytes key, StoreBytes value)
{
    Check *check = context;
    if (key.len != 8 || store_read_be64(key.data) != check->next)
        return -50;
    big_fill(check->want, check->next);
    if (value.len != BIG_SIZE || memcmp(value.data, check->want, BIG_SIZE) != 0)
        return -51;
    check->next++;
    return STORE_OK;
}

static void test_map_grows_in_store_write(void **state)
{
    Fixture *f = *state;
    Store *store = open_ok(f->db, &QUICK);
    Big big = {0, BIG_COUNT, malloc(BIG_SIZE)};
    assert_non_null(big.value);
    assert_int_equal(store_write(store, work_big, &big), STORE_OK);
    assert_true(big.runs >= 2); /* 200 MB cannot fit the first 64 MiB map */
    store_close(store);

    /* after a reopen, everything is there and the grown map is kept */
    store = open_ok(f->db, &EXISTING);
    StoreTxn *txn;
    assert_int_equal(store_begin(store, false, &txn), STORE_OK);
    Check check = {0, malloc(BIG_SIZE)};
    assert_non_null(check.want);
    assert_int_equal(store_scan(txn, TABLE_HISTORY, text(""), text(""), check_big, &check),
                     STORE_OK);
    assert_int_equal(check.next, BIG_COUNT);
    store_abort(txn);
    big.runs = 0;
    big.count = 1000;
    assert_int_equal(store_write(store, work_big, &big), STORE_OK);
    assert_int_equal(big.runs, 1);
    store_close(store);
    free(check.want);
    free(big.value);
}

/* Another process grows the map past this one's: this handle adopts the new size
   (MDB_MAP_RESIZED) when it next begins a transaction, and reads everything. */
static void test_map_grown_by_another_process(void **state)
{
    Fixture *f = *state;
    Store *store = open_ok(f->db, &QUICK);
    put_text(store, TABLE_META, "engine_time", "0");
    fflush(NULL);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        Store *child = NULL;
        char why[WHY];
        alarm(120);
        if (store_open(f->db, &EXISTING, &child, why, sizeof why) != STORE_OK)
            _exit(10);
        Big big = {0, BIG_COUNT, malloc(BIG_SIZE)};
        int rc = big.value == NULL ? -1 : store_write(child, work_big, &big);
        free(big.value);
        store_close(child);
        _exit(rc == STORE_OK && big.runs >= 2 ? 0 : 11);
    }
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);

    StoreTxn *txn;
    assert_int_equal(store_begin(store, false, &txn), STORE_OK);
    Check check = {0, malloc(BIG_SIZE)};
    assert_non_null(check.want);
    assert_int_equal(store_scan(txn, TABLE_HISTORY, text(""), text(""), check_big, &check),
                     STORE_OK);
    assert_int_equal(check.next, BIG_COUNT);
    store_abort(txn);
    free(check.want);
    put_text(store, TABLE_META, "engine_time", "1");
    expect_stored(store, TABLE_META, "engine_time", "1");
    store_close(store);
}

typedef struct Reader {
    Store *store;
    int ready[2];       /* the reader says it holds its transaction */
    volatile int ended; /* set just before it ends it */
} Reader;

static void *hold_a_reader(void *context)
{
    Reader *reader = context;
    StoreTxn *txn;
    if (store_begin(reader->store, false, &txn) != STORE_OK)
        return (void *)1;
    if (write(reader->ready[1], "r", 1) != 1)
        return (void *)2;
    usleep(300 * 1000);
    reader->ended = 1;
    store_abort(txn);
    return NULL;
}

typedef struct Waiter {
    Reader *reader;
    int saw_reader_open;
} Waiter;

static int work_grow_after_reader(StoreTxn *txn, void *context)
{
    Waiter *waiter = context;
    Big big = {0, 20000, malloc(BIG_SIZE)}; /* 80 MB: more than the first map */
    if (big.value == NULL)
        return STORE_FAILED;
    if (!waiter->reader->ended)
        waiter->saw_reader_open++;
    int rc = work_big(txn, &big);
    free(big.value);
    return rc;
}

/* A resize must wait until the other threads' transactions end (it remaps the file
   under them): the reader's snapshot stays readable, and the write still succeeds. */
static void test_growth_waits_for_other_threads(void **state)
{
    Fixture *f = *state;
    Store *store = open_ok(f->db, &QUICK);
    Reader reader = {.store = store};
    assert_int_equal(pipe(reader.ready), 0);
    pthread_t thread;
    assert_int_equal(pthread_create(&thread, NULL, hold_a_reader, &reader), 0);
    assert_true(wait_byte(reader.ready[0]));
    Waiter waiter = {&reader, 0};
    assert_int_equal(store_write(store, work_grow_after_reader, &waiter), STORE_OK);
    assert_int_equal(waiter.saw_reader_open, 1); /* the first run; the second waited */
    assert_true(reader.ended);
    void *result;
    assert_int_equal(pthread_join(thread, &result), 0);
    assert_null(result);
    close(reader.ready[0]);
    close(reader.ready[1]);
    store_close(store);
}

/* ---- two processes --------------------------------------------------------------- */

static int put_child(StoreTxn *txn, void *context)
{
    (void)context;
    return store_put(txn, TABLE_SEEN, text("from-child"), text("child wrote this"));
}

/* The child: its own handle on the same folder; writes, then waits for the parent's
   write and reads it. Exits 0 when all went as expected. */
static void child_main(const char *dir, int to_parent, int from_parent)
{
    Store *store = NULL;
    StoreTxn *txn;
    StoreBytes value;
    char why[WHY];
    alarm(60);
    if (store_open(dir, &EXISTING, &store, why, sizeof why) != STORE_OK)
        _exit(10);
    if (store_begin(store, false, &txn) != STORE_OK ||
        store_get(txn, TABLE_SEEN, text("before-fork"), &value) != STORE_OK)
        _exit(11);
    store_abort(txn);
    if (store_write(store, put_child, NULL) != STORE_OK)
        _exit(12);
    if (write(to_parent, "w", 1) != 1 || !wait_byte(from_parent))
        _exit(13);
    if (store_begin(store, false, &txn) != STORE_OK ||
        store_get(txn, TABLE_SEEN, text("from-parent"), &value) != STORE_OK ||
        value.len != strlen("parent wrote this") ||
        memcmp(value.data, "parent wrote this", value.len) != 0)
        _exit(14);
    store_abort(txn);
    store_close(store);
    _exit(0);
}

static void test_two_processes_share_a_store(void **state)
{
    Fixture *f = *state;
    Store *store = open_ok(f->db, &CREATE);
    put_text(store, TABLE_SEEN, "before-fork", "yes");
    int to_parent[2], to_child[2];
    assert_int_equal(pipe(to_parent), 0);
    assert_int_equal(pipe(to_child), 0);
    fflush(NULL);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        close(to_parent[0]);
        close(to_child[1]);
        child_main(f->db, to_parent[1], to_child[0]);
    }
    close(to_parent[1]);
    close(to_child[0]);
    bool child_wrote = wait_byte(to_parent[0]);
    if (child_wrote) {
        /* both handles are open: the parent's sees the child's commit */
        expect_stored(store, TABLE_SEEN, "from-child", "child wrote this");
        put_text(store, TABLE_SEEN, "from-parent", "parent wrote this");
        assert_int_equal(write(to_child[1], "p", 1), 1);
    }
    close(to_child[1]);
    close(to_parent[0]);
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        fail_msg("the child failed: %s %d", WIFEXITED(status) ? "exit" : "signal",
                 WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
    assert_true(child_wrote);
    expect_stored(store, TABLE_SEEN, "from-child", "child wrote this");
    store_close(store);
}

/* store_txn_follows: a write transaction names the last one this Store committed when it
   begins from exactly what that one left (also when it wrote nothing, or after one that
   was aborted), and 0 when another process committed between; reads name none. */
static uint64_t begin_write(Store *store, StoreTxn **txn)
{
    assert_int_equal(store_begin(store, true, txn), STORE_OK);
    return store_txn_serial(*txn);
}

static void test_write_follows_the_last_commit(void **state)
{
    Fixture *f = *state;
    Store *store = open_ok(f->db, &QUICK);
    StoreTxn *txn, *nested, *read;
    uint64_t first = begin_write(store, &txn);
    assert_int_equal(store_put(txn, TABLE_SEEN, text("a"), text("1")), STORE_OK);
    assert_int_equal(store_commit(txn), STORE_OK);

    uint64_t second = begin_write(store, &txn);
    assert_true(second != first);
    assert_int_equal(store_txn_follows(txn), first);
    assert_int_equal(store_begin_nested(txn, &nested), STORE_OK);
    assert_int_equal(store_txn_follows(nested), first);     /* its root's */
    store_abort(nested);
    assert_int_equal(store_commit(txn), STORE_OK);          /* wrote nothing */

    assert_int_equal(store_begin(store, false, &read), STORE_OK);
    assert_int_equal(store_txn_follows(read), 0);
    store_abort(read);

    uint64_t third = begin_write(store, &txn);
    assert_int_equal(store_txn_follows(txn), second);
    assert_int_equal(store_put(txn, TABLE_SEEN, text("b"), text("2")), STORE_OK);
    store_abort(txn);                                       /* undone: the store is as second left it */
    begin_write(store, &txn);
    assert_int_equal(store_txn_follows(txn), second);
    assert_int_equal(store_put(txn, TABLE_SEEN, text("c"), text("3")), STORE_OK);
    uint64_t fourth = store_txn_serial(txn);
    assert_true(fourth != third);
    assert_int_equal(store_commit(txn), STORE_OK);

    fflush(NULL);
    pid_t pid = fork();                                     /* another process commits */
    assert_true(pid >= 0);
    if (pid == 0) {
        Store *other = NULL;
        char why[256];
        int rc = store_open(f->db, &EXISTING, &other, why, sizeof why);
        StoreTxn *t = NULL;
        if (rc == STORE_OK)
            rc = store_begin(other, true, &t);
        if (rc == STORE_OK)
            rc = store_put(t, TABLE_SEEN, text("child"), text("4"));
        if (rc == STORE_OK)
            rc = store_commit(t);
        _exit(rc == STORE_OK ? 0 : 1);
    }
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    begin_write(store, &txn);
    assert_int_equal(store_txn_follows(txn), 0);
    assert_int_equal(store_commit(txn), STORE_OK);
    begin_write(store, &txn);                               /* and from here on again */
    assert_true(store_txn_follows(txn) != 0);
    store_abort(txn);
    assert_int_equal(store_txn_follows(NULL), 0);
    store_close(store);
}

/* ---- messages ------------------------------------------------------------------ */

static void test_strerror_names_every_code(void **state)
{
    (void)state;
    static const int codes[] = {STORE_OK,      STORE_NOT_FOUND, STORE_FAILED,
                                STORE_NOT_A_STORE, STORE_FULL, STORE_BUSY,
                                STORE_DAMAGED, STORE_NO_SPACE, STORE_LOCK_LOST, STORE_STOP};
    enum { N = sizeof codes / sizeof codes[0] };
    for (size_t i = 0; i < N; i++) {
        const char *message = store_strerror(codes[i]);
        assert_non_null(message);
        assert_true(strlen(message) > 0);
        assert_string_not_equal(message, store_strerror(-1000));
        for (size_t j = 0; j < i; j++)
            assert_string_not_equal(message, store_strerror(codes[j]));
    }
    /* RUNTIME.md, "Limits and damage": a full store is refused with a sentence that says
       what to do, as a full disk's and a damaged file's do. */
    assert_non_null(strstr(store_strerror(STORE_FULL), "try again"));
    assert_non_null(strstr(store_strerror(STORE_NO_SPACE), "try again"));
    assert_non_null(strstr(store_strerror(STORE_DAMAGED), "restore it from a backup"));
}

/* ---- durability ------------------------------------------------------------------ */

static void commit_empty(Store *store)
{
    StoreTxn *txn;
    assert_int_equal(store_begin(store, true, &txn), STORE_OK);
    assert_int_equal(store_commit(txn), STORE_OK);
}

static void test_sync_root_later_counts_durable_commits(void **state)
{
    Fixture *f = *state;
    StoreOptions later = {.create = true, .sync_root_later = true};
    Store *store = open_ok(f->db, &later);
    assert_int_equal(store_sync(store), STORE_OK);
    uint64_t base = store_commits(store);
    assert_int_equal(store_durable(store), base);

    put_text(store, TABLE_PLAYBOOKS, "a", "1");   /* its root page waits */
    assert_int_equal(store_commits(store), base + 1);
    assert_int_equal(store_durable(store), base);
    commit_empty(store);                            /* writes nothing, flushes nothing */
    assert_int_equal(store_commits(store), base + 1);
    assert_int_equal(store_durable(store), base);
    StoreTxn *txn, *child;                          /* a nested write undone: nothing written */
    assert_int_equal(store_begin(store, true, &txn), STORE_OK);
    assert_int_equal(store_begin_nested(txn, &child), STORE_OK);
    assert_int_equal(store_put(child, TABLE_PLAYBOOKS, text("x"), text("9")), STORE_OK);
    store_abort(child);
    assert_int_equal(store_commit(txn), STORE_OK);
    assert_int_equal(store_commits(store), base + 1);
    assert_int_equal(store_durable(store), base);
    put_text(store, TABLE_PLAYBOOKS, "b", "2");   /* its flush carries the one before */
    assert_int_equal(store_commits(store), base + 2);
    assert_int_equal(store_durable(store), base + 1);
    StoreTxn *reader;                               /* a read transaction counts nothing */
    assert_int_equal(store_begin(store, false, &reader), STORE_OK);
    assert_int_equal(store_commit(reader), STORE_OK);
    assert_int_equal(store_commits(store), base + 2);
    assert_int_equal(store_sync(store), STORE_OK);
    assert_int_equal(store_durable(store), base + 2);
    assert_int_equal(store_sync(store), STORE_OK);  /* nothing left: no flush, same count */
    assert_int_equal(store_durable(store), base + 2);
    put_text(store, TABLE_PLAYBOOKS, "c", "3");
    store_close(store);                             /* closing flushes what waits */

    store = open_ok(f->db, &EXISTING);
    expect_stored(store, TABLE_PLAYBOOKS, "a", "1");
    expect_stored(store, TABLE_PLAYBOOKS, "b", "2");
    expect_stored(store, TABLE_PLAYBOOKS, "c", "3");
    base = store_commits(store);
    put_text(store, TABLE_PLAYBOOKS, "d", "4");   /* synced whole: durable at once */
    assert_int_equal(store_commits(store), base + 1);
    assert_int_equal(store_durable(store), base + 1);
    store_close(store);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
#define T(name) cmocka_unit_test_setup_teardown(name, testdir_setup, testdir_teardown)
        T(test_create_and_reopen),
        T(test_one_handle_per_process),
        T(test_refuses_missing_and_empty_without_create),
        T(test_refuses_folder_with_other_files),
        T(test_refuses_fake_data_mdb),
        T(test_refuses_foreign_lmdb),
        T(test_refuses_other_schema_version),
        T(test_unfinished_and_odd_folders),
        T(test_get_put_del_scan),
        T(test_scan_refuses_writes_to_its_table),
        T(test_be64_keys_sort_numerically),
        T(test_nested_abort_keeps_parent),
        T(test_reader_does_not_see_uncommitted),
        T(test_write_error_commits_nothing),
        T(test_map_grows_in_store_write),
        T(test_map_grown_by_another_process),
        T(test_growth_waits_for_other_threads),
        T(test_two_processes_share_a_store),
        T(test_sync_root_later_counts_durable_commits),
        T(test_write_follows_the_last_commit),
        cmocka_unit_test(test_strerror_names_every_code),
#undef T
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
