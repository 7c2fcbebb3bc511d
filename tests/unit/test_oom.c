/*
 * test_oom.c - out of memory is an error value, never a crash (issue 8), tested the way
 * SQLite tests it: fail the Nth allocation, for each N, along one engine call.
 *
 * The binary is linked with -Wl,--wrap=malloc,calloc,realloc,strdup,strndup (the
 * Makefile's unit rules, for this test only), so every allocation our code makes goes
 * through the counting allocator below, and jansson's go there too through
 * json_set_alloc_funcs. LMDB's own allocations, OpenSSL's and libc's inside its
 * functions (stdio, qsort, ...) are not wrapped: a failure there is not tested here.
 *
 * The operations, each from its own template store (a folder copied before every run):
 *
 *   deploy    engine_deploy of a compiled playbook into a store holding a directory
 *   trigger   an event that starts an instance, which opens an ask
 *   answer    the answer that decides the ask and ends the instance
 *   tick      engine_fire_due at the ask's first escalation level: a timer fires and
 *             adds a person to the seats
 *
 * For each: one run with counting only gives A, the allocations it makes, and the store
 * it leaves (the "done" dump). Then for N = 1..A (all N up to 200 and the last 50, and
 * between them every 7th; under ASan, where a run costs far more, the first 40, the
 * last 10 and every 25th between), on a fresh
 * copy: the Nth allocation fails (that one only), the call runs, and it must return
 * ENGINE_NO_MEMORY or ENGINE_FAILED with every table exactly as before, or ENGINE_OK
 * with every table exactly as the done dump (a failure it could absorb). Then the same
 * engine runs the call again without failure: it must succeed and leave the done dump,
 * so nothing was left half-done, cached wrong or locked. Each N runs in a child process
 * (a crash, an abort or, under ASan, a leak is that N going wrong, and the others still
 * run); OOM_BACKTRACE=1 makes a crashing child print its stack for addr2line.
 *
 * jansson 2.14's lexer (load.c) drops the result of appending to its token buffer
 * (lex_save), so when that allocation fails inside json_loadb it reads past what it
 * saved and crashes or asserts. Records were JSON text until schema 2; now they are the
 * codec's binary form (runtime/engine/engine_codec.c), decoded without json_loadb, and
 * no run goes wrong (every N of every operation was tried once, 2026-12-03, STRIDE 1).
 * Each operation keeps a ceiling, KNOWN_WRONG, of runs that may go wrong: 0, and more
 * fails the test (a regression).
 * tick fires timers in batches, each its own transaction: a failure after its last
 * batch committed may leave that batch (judge).
 */
#include <dirent.h>
#include <execinfo.h>
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
#ifdef __SANITIZE_ADDRESS__
#include <sanitizer/lsan_interface.h>
#endif
#include <jansson.h>

#include "engine_internal.h"
#include "failing_alloc.h"
#include "front.h"
#include "strbuf.h"
#include "testdir.h"

#define WHY 512
#ifndef __SANITIZE_ADDRESS__
#define HEAD 200        /* every N up to here */
#define TAIL 50         /* and every N of the last ones */
#define STRIDE 7        /* between them, every STRIDE-th */
#else                   /* ASan: a child costs far more (fork, leak check) */
#define HEAD 40
#define TAIL 10
#define STRIDE 25
#endif

/* jansson allocates through the failing allocator (tests/unit/oom/failing_alloc.h) too. */
static void *json_counting_malloc(size_t size) { return __wrap_malloc(size); }

/* ---- folders and dumps ------------------------------------------------------------ */

static bool in_child;           /* in a run's child process: no cmocka (its longjmp would
                                   run the other tests there) */

/* assert_true, also in a child: there it prints and exits. */
#define CHECK(cond) check((cond), #cond, __LINE__)
static void check(bool ok, const char *text, int line)
{
    if (ok)
        return;
    if (!in_child)
        fail_msg("line %d: %s", line, text);
    printf("# line %d: %s\n", line, text);
    fflush(stdout);
    _exit(2);
}

/* Copies the store in folder `from` (data.mdb) to the folder `to`, made anew. */
static void store_copy(const char *from, const char *to)
{
    testdir_remove(to);
    CHECK(testdir_copy_store(from, to) == 0);
}

static int dump_entry(void *context, StoreBytes key, StoreBytes value)
{
    StrBuf *out = context;
    const unsigned char *k = key.data, *v = value.data;
    for (size_t i = 0; i < key.len; i++)
        strbuf_printf(out, "%02x", k[i]);
    strbuf_putc(out, '=');
    for (size_t i = 0; i < value.len; i++)
        strbuf_printf(out, "%02x", v[i]);
    strbuf_putc(out, '\n');
    return STORE_OK;
}

/* Every entry of every table, read in one read transaction; the caller frees it. */
static char *store_dump(Engine *e)
{
    StrBuf out = STRBUF_INIT;
    StoreTxn *txn;
    CHECK(store_begin(e->store, false, &txn) == STORE_OK);
    for (int t = 0; t < TABLE_COUNT; t++) {
        strbuf_printf(&out, "table %d\n", t);
        CHECK(store_scan(txn, (StoreTable)t, store_bytes(NULL, 0), store_bytes(NULL, 0),
                         dump_entry, &out) == STORE_OK);
    }
    store_abort(txn);
    return strbuf_take(&out);
}

/* ---- the scenario ------------------------------------------------------------------ */

static const char PLAY[] =
    "playbook oom \"an ask with an escalation level\"\n"
    "\n"
    "on ops.case as c\n"
    "\n"
    "state decide {\n"
    "  ask any of person(\"ann\"), person(\"bob\") \"Approve {c.ref}?\"\n"
    "      choices yes, no\n"
    "      within 2h\n"
    "      escalate to person(\"boss\") after 1h\n"
    "  {\n"
    "    yes     -> done \"approved\"\n"
    "    no      -> done \"rejected\"\n"
    "    timeout -> fail \"no answer\"\n"
    "  }\n"
    "}\n";

static const char DIRECTORY[] =
    "{\"people\": {\"ann\": {\"email\": \"ann@example.com\"},"
    " \"bob\": {\"email\": \"bob@example.com\", \"notify\": \"chat.dm\"},"
    " \"boss\": {\"email\": \"boss@example.com\"}}}";

/* 2026-06-02T08:00:00Z and hours after it, in ms. */
#define T0 1780387200000LL
#define HOUR 3600000LL

typedef struct Oom {
    char base[64];
    char dir[96];               /* the folder each run works in */
    StrBuf bytecode;
} Oom;

typedef int (*OomCall)(Oom *o, Engine *e, char *why);

static int op_deploy(Oom *o, Engine *e, char *why)
{
    char hash[65];
    return engine_deploy(e, (const uint8_t *)o->bytecode.data, o->bytecode.len, T0, hash, why, WHY);
}

static int op_trigger(Oom *o, Engine *e, char *why)
{
    (void)o;
    bool duplicate = false;
    json_t *data = json_pack("{s:s}", "ref", "CHG-1");
    int rc = data ? engine_event(e, "ops", "case", "c1", data, T0 + HOUR, T0 + HOUR, &duplicate, why, WHY)
                  : ENGINE_NO_MEMORY;
    json_decref(data);
    return rc;
}

static int op_answer(Oom *o, Engine *e, char *why)
{
    (void)o;
    return engine_answer(e, "t1", "ann", "yes", NULL, T0 + HOUR + HOUR / 2, why, WHY);
}

static int op_tick(Oom *o, Engine *e, char *why)
{
    (void)o;
    return engine_fire_due(e, T0 + 2 * HOUR, why, WHY);
}

static Engine *open_in(const char *dir, bool create)
{
    EngineOptions options = {.create = create, .no_sync = true};
    Engine *e = NULL;
    char why[WHY];
    int rc = engine_open(dir, &options, &e, why, sizeof why);
    if (rc != ENGINE_OK)
        printf("# engine_open %s: %s\n", dir, why);
    CHECK(rc == ENGINE_OK);
    return e;
}

static void must(int rc, const char *what, const char *why)
{
    if (rc != ENGINE_OK)
        fail_msg("%s: %s (%s)", what, engine_strerror(rc), why);
}

/* Makes base/NAME: the store after `count` of the calls, each without failure. */
static void template_make(Oom *o, const char *name, const OomCall *calls, int count)
{
    char path[128], why[WHY] = "";
    snprintf(path, sizeof path, "%s/%s", o->base, name);
    Engine *e = open_in(path, true);
    json_t *directory = json_loads(DIRECTORY, 0, NULL);
    assert_non_null(directory);
    must(engine_directory_load(e, directory, T0 - HOUR, why, sizeof why), "directory load", why);
    json_decref(directory);
    for (int i = 0; i < count; i++)
        must(calls[i](o, e, why), name, why);
    engine_close(e);
}

static int setup(void **state)
{
    Oom *o = calloc(1, sizeof *o);
    assert_non_null(o);
    assert_int_equal(testdir_make(o->base, sizeof o->base), 0);
    snprintf(o->dir, sizeof o->dir, "%s/run", o->base);
    Front *front = front_new();
    front_compile(front, "oom.play", PLAY, strlen(PLAY), NULL);
    assert_int_equal(front->diags.count, 0);
    Bytecode bc;
    assert_int_equal(front_build(front, &bc), 0);
    bc_write(&bc, &o->bytecode);
    bc_free(&bc);
    front_free(front);
    static const OomCall path[] = {op_deploy, op_trigger};
    template_make(o, "directory", path, 0);
    template_make(o, "deployed", path, 1);
    template_make(o, "asked", path, 2);
    *state = o;
    return 0;
}

static int teardown(void **state)
{
    Oom *o = *state;
    testdir_remove(o->base);
    strbuf_free(&o->bytecode);
    free(o);
    return 0;
}

/* Why the run failed, or NULL. */
static char verdict[WHY + 256];

#define BAD(...) (snprintf(verdict, sizeof verdict, __VA_ARGS__), verdict)

/* Checks a run's result with allocation `at` failing against `before` and `done`, then
   runs the call again without failure. */
static const char *judge(Oom *o, Engine *e, OomCall call, long at, int rc, const char *why,
                         char *after, const char *before, const char *done)
{
    char again[WHY] = "";
    if (!oom_failed())
        return BAD("allocation %ld was never made (%ld made)", at, oom_made());
    if (rc == ENGINE_OK)
        return strcmp(after, done) ? BAD("allocation %ld failed, the call said ok, and the store "
                                         "differs from a clean run", at) : NULL;
    if (rc != ENGINE_NO_MEMORY && rc != ENGINE_FAILED)
        return BAD("allocation %ld failed and the call returned %s (%s)", at, engine_strerror(rc), why);
    /* tick fires due timers in batches, each its own transaction, and then looks for
       more: a failure after the last batch committed leaves that batch, as a crash
       there would, and says so. Every other call is one transaction. */
    if (call == op_tick && strcmp(after, done) == 0)
        return NULL;
    if (strcmp(after, before) != 0)
        return BAD("allocation %ld failed (%s: %s) and the store changed", at, engine_strerror(rc), why);
    rc = call(o, e, again);
    if (rc != ENGINE_OK)
        return BAD("after allocation %ld failed, the call again without failure: %s (%s)", at,
                   engine_strerror(rc), again);
    char *redone = store_dump(e);
    bool same = strcmp(redone, done) == 0;
    free(redone);
    return same ? NULL : BAD("after allocation %ld failed, the call again left another store", at);
}

/* One run on a fresh copy of `from`: the call with allocation `at` failing (0: none, and
   *before and *done are set from it). Returns NULL or why it went wrong; *made: A. */
static const char *run_once(Oom *o, const char *from, OomCall call, long at, char **before,
                            char **done, long *made)
{
    char path[128], why[WHY] = "";
    snprintf(path, sizeof path, "%s/%s", o->base, from);
    store_copy(path, o->dir);
    Engine *e = open_in(o->dir, false);
    char *start = store_dump(e);
    oom_arm(at);
    int rc = call(o, e, why);
    oom_disarm();
    *made = oom_made();
    char *after = store_dump(e);
    const char *bad = NULL;
    if (!at) {
        if (rc != ENGINE_OK)
            bad = BAD("without failure: %s (%s)", engine_strerror(rc), why);
        *before = start;
        *done = after;
    } else {
        bad = strcmp(start, *before) ? BAD("the template changed") :
              judge(o, e, call, at, rc, why, after, *before, *done);
        free(start);
        free(after);
    }
    engine_close(e);
    return bad;
}

/* OOM_BACKTRACE=1: a crashing child prints its stack (for addr2line) before it dies. */
static void crash_trace(int sig)
{
    void *frames[32];
    int n = backtrace(frames, 32);
    backtrace_symbols_fd(frames, n, 1);
    signal(sig, SIG_DFL);
    raise(sig);
}

/* Runs allocation `at` failing in a child process, so that a crash is one failure among
   others; returns whether it went right (a crash, an abort or a leak under ASan: no). */
static bool run_child(Oom *o, const char *from, OomCall call, long at, char **before, char **done,
                      const char *name)
{
    fflush(stdout);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        in_child = true;
        int signals[] = {SIGSEGV, SIGABRT, SIGBUS, SIGILL, SIGFPE};
        for (size_t i = 0; i < sizeof signals / sizeof *signals; i++)
            signal(signals[i], getenv("OOM_BACKTRACE") ? crash_trace : SIG_DFL);
        long made;
        const char *bad = run_once(o, from, call, at, before, done, &made);
        if (bad)
            printf("# %s: %s\n", name, bad);
#ifdef __SANITIZE_ADDRESS__
        if (!bad && __lsan_do_recoverable_leak_check())
            bad = "leak";
#endif
        fflush(stdout);
        _exit(bad ? 1 : 0);
    }
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    if (WIFSIGNALED(status))
        printf("# %s: allocation %ld failed and the process died of signal %d\n", name, at,
               WTERMSIG(status));
    return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

static void oom_each(Oom *o, const char *from, OomCall call, const char *name, long known_wrong)
{
    char *before = NULL, *done = NULL;
    long total;
    /* Twice: the first run in this process may fill a process-wide cache once. */
    const char *bad = run_once(o, from, call, 0, &before, &done, &total);
    free(before);
    free(done);
    before = done = NULL;
    if (!bad)
        bad = run_once(o, from, call, 0, &before, &done, &total);
    if (bad)
        fail_msg("%s: %s", name, bad);
    long tried = 0, wrong = 0;
    for (long n = 1; n <= total; n++) {
        if (n > HEAD && n <= total - TAIL && n % STRIDE != 0)
            continue;
        wrong += !run_child(o, from, call, n, &before, &done, name);
        tried++;
    }
    printf("# %s: %ld allocations, %ld of them failed in turn, %ld went wrong\n", name, total,
           tried, wrong);
    free(before);
    free(done);
    assert_true(total > 0);
    if (wrong > known_wrong)
        fail_msg("%s: %ld runs went wrong, more than the %ld known", name, wrong, known_wrong);
}

/* Runs that may go wrong: none since records left JSON text (see the top). */
#define KNOWN_WRONG_DEPLOY 0
#define KNOWN_WRONG_TRIGGER 0
#define KNOWN_WRONG_ANSWER 0
#define KNOWN_WRONG_TICK 0

static void test_deploy(void **state) { oom_each(*state, "directory", op_deploy, "deploy", KNOWN_WRONG_DEPLOY); }
static void test_trigger(void **state) { oom_each(*state, "deployed", op_trigger, "trigger", KNOWN_WRONG_TRIGGER); }
static void test_answer(void **state) { oom_each(*state, "asked", op_answer, "answer", KNOWN_WRONG_ANSWER); }
static void test_tick(void **state) { oom_each(*state, "asked", op_tick, "tick", KNOWN_WRONG_TICK); }

int main(void)
{
    json_set_alloc_funcs(json_counting_malloc, free);
    engine_alloc_keep_blocks(false);   /* every allocation a malloc: the same count each run */
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_deploy),
        cmocka_unit_test(test_trigger),
        cmocka_unit_test(test_answer),
        cmocka_unit_test(test_tick),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
