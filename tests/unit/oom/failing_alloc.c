/*
 * failing_alloc.c - the failing allocator of the out-of-memory tests: see
 * failing_alloc.h. Linked only into binaries built with --wrap (the Makefile).
 */
#include "failing_alloc.h"

void *__real_malloc(size_t size);
void *__real_calloc(size_t n, size_t size);
void *__real_realloc(void *p, size_t size);
char *__real_strdup(const char *s);
char *__real_strndup(const char *s, size_t n);

static bool counting;           /* count (and maybe fail) allocations */
static long alloc_count;        /* allocations counted since oom_arm */
static long fail_at;            /* fail the allocation with this count */
static bool failed;             /* the failure happened */

void oom_arm(long at)
{
    alloc_count = 0;
    fail_at = at;
    failed = false;
    counting = true;
}

void oom_disarm(void) { counting = false; }
long oom_made(void) { return alloc_count; }
long oom_armed(void) { return fail_at; }
bool oom_failed(void) { return failed; }

/* Counts one allocation; true when it is the one to fail. */
static bool oom_now(void)
{
    if (!counting || ++alloc_count != fail_at)
        return false;
    failed = true;
    return true;
}

void *__wrap_malloc(size_t size) { return oom_now() ? NULL : __real_malloc(size); }
void *__wrap_calloc(size_t n, size_t size) { return oom_now() ? NULL : __real_calloc(n, size); }
void *__wrap_realloc(void *p, size_t size) { return oom_now() ? NULL : __real_realloc(p, size); }
char *__wrap_strdup(const char *s) { return oom_now() ? NULL : __real_strdup(s); }
char *__wrap_strndup(const char *s, size_t n) { return oom_now() ? NULL : __real_strndup(s, n); }
