/*
 * testdir.h - scratch folders for the unit tests (tests/unit/support/, linked into every
 * test_*.c by the Makefile): a fresh folder under /tmp named after the test binary, a
 * folder removed with all it holds, and a store's data file copied into a new folder.
 *
 * testdir_make, testdir_remove and testdir_copy_store return 0, or -1 with errno set;
 * they never assert and call no allocator themselves, so a test can call them in a
 * forked child too (test_oom does) and check the result its own way.
 */
#ifndef HUDDLE_TESTDIR_H
#define HUDDLE_TESTDIR_H

#include <stddef.h>

/* One test's folder: cmocka's state between testdir_setup and testdir_teardown. */
typedef struct TestDir {
    char base[64];      /* the mkdtemp folder, /tmp/huddle-PROGRAM-XXXXXX */
    char db[96];        /* base/db: where a test keeps its store (not made) */
} TestDir;

/* cmocka setup and teardown: *state becomes a new TestDir whose base exists; teardown
   removes base with all it holds and frees the TestDir. */
int testdir_setup(void **state);
int testdir_teardown(void **state);

/* Makes a new folder /tmp/huddle-PROGRAM-XXXXXX and writes its path into path[size]. */
int testdir_make(char *path, size_t size);

/* Removes the folder `dir` with everything in it (links are removed, not followed). */
int testdir_remove(const char *dir);

/* Makes the folder `to` (which must not exist) and copies from/data.mdb into it: a
   closed store copied this way is the same store, id and all. */
int testdir_copy_store(const char *from, const char *to);

#endif
