/*
 * failing_alloc.h - the failing allocator of the out-of-memory tests (test_oom,
 * test_vm_oom): the Nth allocation made after oom_arm(N) returns NULL, that one only.
 *
 * A test binary that uses it is linked with -Wl,--wrap=malloc,--wrap=calloc,
 * --wrap=realloc,--wrap=strdup,--wrap=strndup (the Makefile's rule for those two
 * binaries), so every allocation our code makes goes through the counter; LMDB's,
 * OpenSSL's and libc's internal ones do not. jansson's go through it when the test
 * gives json_set_alloc_funcs a function that calls __wrap_malloc.
 */
#ifndef HUDDLE_FAILING_ALLOC_H
#define HUDDLE_FAILING_ALLOC_H

#include <stdbool.h>
#include <stddef.h>

/* Starts counting allocations from 0; allocation number `at` fails (0 or -1: none, the
   run only counts). oom_disarm stops counting (and failing). */
void oom_arm(long at);
void oom_disarm(void);

/* The allocations counted since oom_arm, the one armed to fail, and whether it failed. */
long oom_made(void);
long oom_armed(void);
bool oom_failed(void);

void *__wrap_malloc(size_t size);
void *__wrap_calloc(size_t n, size_t size);
void *__wrap_realloc(void *p, size_t size);
char *__wrap_strdup(const char *s);
char *__wrap_strndup(const char *s, size_t n);

#endif
