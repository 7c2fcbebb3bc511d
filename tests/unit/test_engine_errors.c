/*
 * test_engine_errors.c - a damaged store is an error, never a refusal, an empty answer
 * or success (RUNTIME.md: what the engine promises; CLI exit 3 is "store or system
 * error").
 *
 * Every test builds the same store in its own mkdtemp folder: the playbook `refund`
 * (an ask of pat or sam with a deadline and an escalation) deployed, a directory of
 * four people (ops, the operator, among them) loaded, and one event that started
 * instance i1, which asks task t1.
 * Then it damages one record with the store API, the way a torn disk or a hand edit
 * would (a record cut short, a value that is not JSON, a JSON value of the wrong shape,
 * a counter of the wrong size), and checks the engine call or the `huddle` command
 * that reads it:
 *
 *   answer, ack, resolve   a damaged task t1: ENGINE_FAILED naming "task t1", where a
 *                          task that does not exist (t7) stays a refusal
 *   tick                   a damaged timer, the task its deadline names, the instance it
 *                          wakes, or the engine time: ENGINE_FAILED / exit 3 naming it,
 *                          never "no timers due"
 *   history                a damaged record: exit 3 naming the instance and seq; an
 *                          unknown instance stays exit 1
 *   instances, tasks       a damaged instance or task: exit 3 naming it, not skipped
 *                          (an instance record of its own encoding cut short, or of a
 *                          newer version: refused as such)
 *   trigger                a damaged counter, playbook or case: ENGINE_FAILED
 *   away, cancel           a damaged directory or instance: ENGINE_FAILED, not "no
 *                          directory is loaded" or "no instance"
 *
 * And out of memory: an event, an answer, a tick, away, resolve, reassign, a directory
 * load, cancel, a group commit and the reads run again and again with their 1st, 2nd, 3rd, ... allocation failing (engine_fail_allocation), until
 * one run reaches none; every run that met a failed allocation must end with
 * ENGINE_NO_MEMORY (never a crash, a refusal or success) and change nothing.
 *
 * Commands run through cli_main with stdout and stderr caught in a file.
 */
#include <fcntl.h>
#include <ftw.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "cli.h"
#include "engine_internal.h"
#include "engine_task_record.h"
#include "front.h"

#define WHY 512

static const char PLAYBOOK[] =
    "playbook refund\n"
    "\n"
    "on shop.refund as refund\n"
    "  case refund.order\n"
    "\n"
    "state decide {\n"
    "  ask any of person(\"pat\"), person(\"sam\") \"Refund {refund.amount} for {refund.order}?\"\n"
    "      choices yes, no\n"
    "      within 2h\n"
    "      escalate to person(\"boss\") after 1h\n"
    "  {\n"
    "    yes     -> done \"refunded\"\n"
    "    no      -> fail \"refused\"\n"
    "    timeout -> done \"refunded by default\"\n"
    "  }\n"
    "}\n";

static const char DIRECTORY[] =
    "{\"people\": {\"pat\": {\"email\": \"pat@x\"}, \"sam\": {\"email\": \"sam@x\"},"
    " \"boss\": {\"email\": \"boss@x\"}, \"ops\": {\"email\": \"ops@x\"}}}";

typedef struct Fixture {
    char base[64];
    char db[96];
    Store *store;
    Engine *engine;
    int64_t t0;             /* the event's time: 2026-03-02T09:00:00Z */
    json_t *b2;             /* a second event's data, made before any allocation fails */
    json_t *directory;      /* a directory to load, the same way */
    char why[WHY];
    char out[8192];         /* what the last command printed */
} Fixture;

/* ---- the store and the engine ------------------------------------------------- */

static void engine_up(Fixture *f, bool create)
{
    StoreOptions options = {.create = create, .no_sync = true};
    char why[WHY] = "";
    if (store_open(f->db, &options, &f->store, why, sizeof why) != STORE_OK)
        fail_msg("store_open: %s", why);
    f->engine = engine_new(f->store, NULL);
    assert_non_null(f->engine);
}

static void engine_down(Fixture *f)
{
    engine_free(f->engine);
    store_close(f->store);
    f->engine = NULL;
    f->store = NULL;
}

static int64_t at(const char *text)
{
    int64_t ms;
    assert_true(value_parse_time(text, &ms));
    return ms;
}

static void deploy(Fixture *f)
{
    Front *front = front_new();
    assert_non_null(front);
    assert_int_equal(front_compile(front, "refund.play", PLAYBOOK, strlen(PLAYBOOK), NULL), 0);
    Bytecode bc;
    assert_int_equal(front_build(front, &bc), 0);
    front_free(front);
    StrBuf bytes = STRBUF_INIT;
    bc_write(&bc, &bytes);
    char hash[65];
    int rc = engine_deploy(f->engine, (const uint8_t *)bytes.data, bytes.len, at("2026-03-02T08:00:00Z"), hash,
                           f->why, sizeof f->why);
    if (rc != ENGINE_OK)
        fail_msg("deploy: %s", f->why);
    strbuf_free(&bytes);
    bc_free(&bc);
}

static int trigger_data(Fixture *f, const char *id, const json_t *data, int64_t now)
{
    bool duplicate;
    return engine_event(f->engine, "shop", "refund", id, data, now, now, &duplicate, f->why, sizeof f->why);
}

static int trigger(Fixture *f, const char *id, const char *order, int64_t now)
{
    json_t *data = json_pack("{s:s, s:i}", "order", order, "amount", 30);
    int rc = trigger_data(f, id, data, now);
    json_decref(data);
    return rc;
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

static int setup(void **state)
{
    Fixture *f = calloc(1, sizeof *f);
    assert_non_null(f);
    snprintf(f->base, sizeof f->base, "/tmp/huddle-errors-XXXXXX");
    assert_non_null(mkdtemp(f->base));
    snprintf(f->db, sizeof f->db, "%s/db", f->base);
    engine_up(f, true);
    deploy(f);
    json_t *directory = json_loads(DIRECTORY, 0, NULL);
    assert_non_null(directory);
    if (engine_directory_load(f->engine, directory, at("2026-03-02T08:00:00Z"), f->why, sizeof f->why) != ENGINE_OK)
        fail_msg("directory load: %s", f->why);
    json_decref(directory);
    f->t0 = at("2026-03-02T09:00:00Z");
    f->b2 = json_pack("{s:s, s:i}", "order", "B2", "amount", 30);
    assert_non_null(f->b2);
    if (trigger(f, "r-1", "A1", f->t0) != ENGINE_OK)
        fail_msg("trigger: %s", f->why);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    Fixture *f = *state;
    if (f->engine)
        engine_down(f);
    json_decref(f->b2);
    json_decref(f->directory);
    nftw(f->base, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
    free(f);
    return 0;
}

/* ---- damage ------------------------------------------------------------------- */

/* Puts `len` bytes at `key` of `table` in a store the engine has not cached anything of
   (the engine is closed and opened again around it). */
static void damage(Fixture *f, StoreTable table, const void *key, size_t key_len, const void *value,
                   size_t len)
{
    engine_down(f);
    engine_up(f, false);
    StoreTxn *txn;
    assert_int_equal(store_begin(f->store, true, &txn), STORE_OK);
    assert_int_equal(store_put(txn, table, store_bytes(key, key_len), store_bytes(value, len)), STORE_OK);
    assert_int_equal(store_commit(txn), STORE_OK);
    engine_down(f);
    engine_up(f, false);
}

static void damage_text(Fixture *f, StoreTable table, const void *key, size_t key_len, const char *text)
{
    damage(f, table, key, key_len, text, strlen(text));
}

static const unsigned char KEY_1[8] = {0, 0, 0, 0, 0, 0, 0, 1};   /* t1, i1 */

/* ---- commands ----------------------------------------------------------------- */

/* Runs `huddle ARGS... --db DB` with the engine closed; returns its exit status and
   keeps what it printed in f->out. */
static int huddle(Fixture *f, ...)
{
    char *argv[16] = {"huddle"};
    int argc = 1;
    va_list args;
    va_start(args, f);
    for (char *arg; (arg = va_arg(args, char *)) != NULL && argc < 13;)
        argv[argc++] = arg;
    va_end(args);
    argv[argc++] = "--db";
    argv[argc++] = f->db;
    argv[argc] = NULL;
    engine_down(f);
    char path[128];
    snprintf(path, sizeof path, "%s/out", f->base);
    fflush(stdout);
    fflush(stderr);
    int saved_out = dup(1), saved_err = dup(2);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    assert_true(fd >= 0 && saved_out >= 0 && saved_err >= 0);
    dup2(fd, 1);
    dup2(fd, 2);
    close(fd);
    int status = cli_main(argc, argv);
    fflush(stdout);
    fflush(stderr);
    dup2(saved_out, 1);
    dup2(saved_err, 2);
    close(saved_out);
    close(saved_err);
    FILE *file = fopen(path, "r");
    assert_non_null(file);
    size_t n = fread(f->out, 1, sizeof f->out - 1, file);
    f->out[n] = '\0';
    fclose(file);
    engine_up(f, false);
    return status;
}

#define assert_says(text, part)                                                          \
    do {                                                                                 \
        if (!strstr((text), (part)))                                                     \
            fail_msg("expected \"%s\" in: %s", (part), (text));                         \
    } while (0)

/* ---- tasks -------------------------------------------------------------------- */

static void test_answer_a_task_cut_short(void **state)
{
    Fixture *f = *state;
    damage_text(f, TABLE_TASKS, KEY_1, 8, "{\"id\": \"t1\", \"instance\": \"i1\", \"sta");
    int rc = engine_answer(f->engine, "t1", "pat", "yes", NULL, f->t0 + 60000, f->why, sizeof f->why);
    assert_int_equal(rc, ENGINE_FAILED);
    assert_says(f->why, "task t1");
    assert_says(f->why, "damaged");
}

/* The task as this huddle stores it (its own record, engine_task_record.h), cut in the
   middle of its bytes, with no member, and of a newer version: each an error naming the
   task; the codec's record an older huddle stored is still read. */
static void test_answer_a_binary_task_damaged(void **state)
{
    Fixture *f = *state;
    StoreTxn *txn;
    StoreBytes value;
    assert_int_equal(store_begin(f->store, false, &txn), STORE_OK);
    assert_int_equal(store_get(txn, TABLE_TASKS, store_bytes(KEY_1, 8), &value), STORE_OK);
    assert_int_equal(((const unsigned char *)value.data)[0], TASK_RECORD_1);
    size_t len = value.len;
    unsigned char *bytes = malloc(len);
    memcpy(bytes, value.data, len);
    store_abort(txn);
    damage(f, TABLE_TASKS, KEY_1, 8, bytes, len / 2);
    int rc = engine_answer(f->engine, "t1", "pat", "yes", NULL, f->t0 + 60000, f->why, sizeof f->why);
    assert_int_equal(rc, ENGINE_FAILED);
    assert_says(f->why, "the store is damaged: task t1 is not a readable task record (");
    unsigned char count = bytes[1];
    bytes[1] = 0x00;
    damage(f, TABLE_TASKS, KEY_1, 8, bytes, len);
    rc = engine_answer(f->engine, "t1", "pat", "yes", NULL, f->t0 + 60000, f->why, sizeof f->why);
    assert_int_equal(rc, ENGINE_FAILED);
    assert_says(f->why, "a count of members that is not from 1 to 27 at byte 2");
    bytes[1] = count;
    bytes[0] = TASK_RECORD_1 + 1;
    damage(f, TABLE_TASKS, KEY_1, 8, bytes, len);
    rc = engine_answer(f->engine, "t1", "pat", "yes", NULL, f->t0 + 60000, f->why, sizeof f->why);
    assert_int_equal(rc, ENGINE_FAILED);
    assert_says(f->why, "the store is damaged: task t1 is a task record of version 2, newer than this huddle reads (version 1)");
    /* the same task as the codec's record (as stored before 2026-12-05): read, answered,
       and written back as a task record */
    bytes[0] = TASK_RECORD_1;
    json_t *task;
    char why[200];
    assert_int_equal(task_record_load(bytes, len, &task, why, sizeof why), CODEC_OK);
    StrBuf old = STRBUF_INIT;
    assert_int_equal(codec_encode(task, &old), CODEC_OK);
    json_decref(task);
    damage(f, TABLE_TASKS, KEY_1, 8, (const unsigned char *)old.data, old.len);
    rc = engine_answer(f->engine, "t1", "pat", "yes", NULL, f->t0 + 60000, f->why, sizeof f->why);
    assert_int_equal(rc, ENGINE_OK);
    assert_int_equal(store_begin(f->store, false, &txn), STORE_OK);
    assert_int_equal(store_get(txn, TABLE_TASKS, store_bytes(KEY_1, 8), &value), STORE_OK);
    assert_int_equal(((const unsigned char *)value.data)[0], TASK_RECORD_1);
    store_abort(txn);
    strbuf_free(&old);
    free(bytes);
}

static void test_answer_a_task_that_is_not_there_is_refused(void **state)
{
    Fixture *f = *state;
    int rc = engine_answer(f->engine, "t7", "pat", "yes", NULL, f->t0 + 60000, f->why, sizeof f->why);
    assert_int_equal(rc, ENGINE_REFUSED);
    assert_says(f->why, "no task 't7'");
}

static void test_ack_and_resolve_a_task_of_the_wrong_shape(void **state)
{
    Fixture *f = *state;
    damage_text(f, TABLE_TASKS, KEY_1, 8, "[\"t1\"]");
    assert_int_equal(engine_ack(f->engine, "t1", "pat", f->t0 + 60000, f->why, sizeof f->why), ENGINE_FAILED);
    assert_says(f->why, "task t1");
    assert_int_equal(engine_resolve(f->engine, "t1", "yes", &(EngineActor){"ops", "by hand", NULL}, f->t0 + 60000, f->why, sizeof f->why),
                     ENGINE_FAILED);
    assert_says(f->why, "task t1");
}

static void test_tasks_lists_no_damaged_task(void **state)
{
    Fixture *f = *state;
    damage_text(f, TABLE_TASKS, KEY_1, 8, "not json");
    assert_int_equal(huddle(f, "tasks", NULL), CLI_SYSTEM);
    assert_says(f->out, "task t1");
}

/* ---- tick --------------------------------------------------------------------- */

static void test_tick_a_damaged_timer(void **state)
{
    Fixture *f = *state;
    unsigned char key[20] = {0};
    store_be64((uint64_t)(f->t0 + 30 * 60000), key);   /* due at 09:30, for i1 */
    store_be64(1, key + 8);
    key[19] = 0x77;
    damage_text(f, TABLE_TIMERS, key, 20, "{\"kind\": \"dead");
    int rc = engine_fire_due(f->engine, f->t0 + 3 * 3600000, f->why, sizeof f->why);
    assert_int_equal(rc, ENGINE_FAILED);
    assert_says(f->why, "timer of i1");
    assert_int_equal(huddle(f, "tick", "--now", "2026-03-02T12:00:00Z", NULL), CLI_SYSTEM);
    assert_says(f->out, "timer of i1");
}

static void test_tick_a_deadline_whose_task_is_damaged(void **state)
{
    Fixture *f = *state;
    damage_text(f, TABLE_TASKS, KEY_1, 8, "{\"id\": 1}");
    int rc = engine_fire_due(f->engine, f->t0 + 3 * 3600000, f->why, sizeof f->why);
    assert_int_equal(rc, ENGINE_FAILED);
    assert_says(f->why, "task t1");
}

static void test_tick_a_timer_whose_instance_is_damaged(void **state)
{
    Fixture *f = *state;
    damage(f, TABLE_INSTANCES, KEY_1, 8, "\x05\x00\x00\x00{\"id\"", 9);
    assert_int_equal(huddle(f, "tick", "--now", "2026-03-02T12:00:00Z", NULL), CLI_SYSTEM);
    assert_says(f->out, "instance i1");
}

static void test_tick_with_a_damaged_engine_time(void **state)
{
    Fixture *f = *state;
    damage(f, TABLE_META, "engine_time", 11, "abc", 3);
    assert_int_equal(huddle(f, "tick", "--now", "2026-03-02T12:00:00Z", NULL), CLI_SYSTEM);
    assert_says(f->out, "engine_time");
}

/* ---- history and instances ---------------------------------------------------- */

static void test_history_names_a_damaged_record(void **state)
{
    Fixture *f = *state;
    unsigned char key[12] = {0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 2};   /* i1, seq 2 */
    damage_text(f, TABLE_HISTORY, key, 12, "{\"at\": \"2026-03-02T09:00:00Z\", \"kind\": ");
    assert_int_equal(huddle(f, "history", "i1", NULL), CLI_SYSTEM);
    assert_says(f->out, "history record 2 of i1");
}

static void test_history_of_an_unknown_instance_is_refused(void **state)
{
    Fixture *f = *state;
    assert_int_equal(huddle(f, "history", "i9", NULL), CLI_REFUSED);
    assert_says(f->out, "no instance 'i9'");
}

static void test_instances_lists_no_damaged_instance(void **state)
{
    Fixture *f = *state;
    damage_text(f, TABLE_INSTANCES, KEY_1, 8, "xy");
    assert_int_equal(huddle(f, "instances", NULL), CLI_SYSTEM);
    assert_says(f->out, "instance i1");
}

static void test_cancel_a_damaged_instance(void **state)
{
    Fixture *f = *state;
    damage(f, TABLE_INSTANCES, KEY_1, 8, "\x02\x00\x00\x00{}", 6);   /* an object, but no fields */
    int rc = engine_cancel(f->engine, "i1", &(EngineActor){"ops", "test", NULL}, f->t0 + 60000, f->why, sizeof f->why);
    assert_int_equal(rc, ENGINE_FAILED);
    assert_says(f->why, "instance i1");
}

static void test_an_instance_record_of_a_newer_version(void **state)
{
    Fixture *f = *state;
    /* the record's own encoding, version 3 (0x13): refused as newer, naming the instance */
    damage(f, TABLE_INSTANCES, KEY_1, 8, "\x03\x00\x00\x00\x13\x01\x00", 7);
    int rc = engine_cancel(f->engine, "i1", &(EngineActor){"ops", "test", NULL}, f->t0 + 60000, f->why, sizeof f->why);
    assert_int_equal(rc, ENGINE_FAILED);
    assert_says(f->why, "instance i1 is an instance record of version 3, newer than this huddle reads (versions 1 and 2)");
    damage(f, TABLE_INSTANCES, KEY_1, 8, "\x03\x00\x00\x00\x11\x01\x00", 7);   /* version 1, cut short */
    assert_int_equal(huddle(f, "instances", NULL), CLI_SYSTEM);
    assert_says(f->out, "instance i1 is not a readable instance record (cut short at byte");
}

/* ---- events, the directory ---------------------------------------------------- */

static void test_trigger_with_a_damaged_counter(void **state)
{
    Fixture *f = *state;
    damage(f, TABLE_META, "next_task", 9, "\x01\x02\x03", 3);
    assert_int_equal(trigger(f, "r-2", "B2", f->t0 + 60000), ENGINE_FAILED);
    assert_says(f->why, "next_task");
}

static void test_trigger_with_a_damaged_playbook(void **state)
{
    Fixture *f = *state;
    damage_text(f, TABLE_PLAYBOOKS, "refund", 6, "{\"hash\": \"5f3a");
    assert_int_equal(trigger(f, "r-2", "B2", f->t0 + 60000), ENGINE_FAILED);
    assert_says(f->why, "playbook refund");
}

static void test_trigger_with_a_damaged_case(void **state)
{
    Fixture *f = *state;
    damage_text(f, TABLE_CASES, "refund\0A1", 9, "{\"instance\": ");
    assert_int_equal(trigger(f, "r-2", "A1", f->t0 + 60000), ENGINE_FAILED);
    assert_says(f->why, "case refund A1");
}

static void test_away_with_a_damaged_directory(void **state)
{
    Fixture *f = *state;
    damage_text(f, TABLE_DIRECTORY, "directory", 9, "{\"people\": {\"pat\"");
    int rc = engine_away(f->engine, "pat", NULL, NULL, NULL, false, f->t0 + 60000, f->why, sizeof f->why);
    assert_int_equal(rc, ENGINE_FAILED);
    assert_says(f->why, "directory");
}

/* ---- out of memory ------------------------------------------------------------ */

/* What the engine shows of the store: instances, i1's history, the open tasks, the
   directory, engine time. */
static char *store_picture(Fixture *f)
{
    json_t *instances, *history, *tasks, *directory;
    int64_t now;
    assert_int_equal(engine_instances(f->engine, &instances, f->why, sizeof f->why), ENGINE_OK);
    assert_int_equal(engine_history(f->engine, "i1", &history, f->why, sizeof f->why), ENGINE_OK);
    assert_int_equal(engine_open_tasks(f->engine, NULL, &tasks, f->why, sizeof f->why), ENGINE_OK);
    assert_int_equal(engine_directory(f->engine, &directory, f->why, sizeof f->why), ENGINE_OK);
    assert_int_equal(engine_time(f->engine, &now, f->why, sizeof f->why), ENGINE_OK);
    json_t *all = json_pack("{s:o, s:o, s:o, s:o, s:I}", "instances", instances, "history", history, "tasks", tasks,
                            "directory", directory, "time", (json_int_t)now);
    char *text = json_dumps(all, JSON_SORT_KEYS | JSON_COMPACT);
    assert_non_null(text);
    json_decref(all);
    return text;
}

typedef int (*EngineCall)(Fixture *f);

/* Copies the store's data file (the engine closed) to or from base/saved.mdb. */
static void store_copy(Fixture *f, bool save)
{
    char data[128], saved[128];
    snprintf(data, sizeof data, "%s/data.mdb", f->db);
    snprintf(saved, sizeof saved, "%s/saved.mdb", f->base);
    engine_down(f);
    FILE *from = fopen(save ? data : saved, "rb"), *to = fopen(save ? saved : data, "wb");
    assert_true(from && to);
    char buf[65536];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, from)) > 0)
        assert_int_equal(fwrite(buf, 1, n, to), n);
    fclose(from);
    assert_int_equal(fclose(to), 0);
    engine_up(f, false);
}

/* Runs `call` with its n-th allocation failing, for n = 1, 2, ... until a run meets no
   failure, each on the same store. A run that met a failed allocation must end with
   ENGINE_NO_MEMORY; with `atomic` (one transaction), having changed nothing. Every
   eighth time, the same engine then runs the call with nothing failing and must reach
   what a clean run reaches. Returns how many runs met a failure. */
static unsigned long fail_each_allocation(Fixture *f, EngineCall call, bool atomic)
{
    store_copy(f, true);
    char *before = store_picture(f);
    if (call(f) != ENGINE_OK)
        fail_msg("the call fails with no allocation failing: %s", f->why);
    char *clean = store_picture(f);
    bool changed = true;
    unsigned long n = 1;
    for (;; n++) {
        if (n > 200000)
            fail_msg("still meeting allocations after %lu runs", n);
        if (changed)
            store_copy(f, false);
        unsigned long failures = engine_alloc_failures();
        engine_fail_allocation(n);
        int rc = call(f);
        engine_fail_allocation(0);
        changed = true;
        if (engine_alloc_failures() == failures)
            break;   /* allocation n was never reached: that run went through */
        if (rc != ENGINE_NO_MEMORY)
            fail_msg("allocation %lu failed, and the call returned %s (%s), not out of memory", n,
                     engine_strerror(rc), f->why);
        char *after = store_picture(f);
        changed = strcmp(before, after) != 0;
        if (atomic && changed)
            fail_msg("allocation %lu failed, and the store changed:\n%s\n%s", n, before, after);
        free(after);
        if (n % 8 != 1)
            continue;
        if (call(f) != ENGINE_OK)
            fail_msg("after allocation %lu failed, the call fails with nothing failing: %s", n, f->why);
        after = store_picture(f);
        if (strcmp(clean, after) != 0)
            fail_msg("after allocation %lu failed, the call again reaches another store:\n%s\n%s", n, clean, after);
        free(after);
        changed = true;
    }
    char *last = store_picture(f);
    if (strcmp(clean, last) != 0)
        fail_msg("the last run reached another store:\n%s\n%s", clean, last);
    free(last);
    free(before);
    free(clean);
    return n - 1;
}

static int call_trigger(Fixture *f)
{
    return trigger_data(f, "r-2", f->b2, f->t0 + 60000);
}

static int call_answer(Fixture *f)
{
    return engine_answer(f->engine, "t1", "pat", "yes", NULL, f->t0 + 60000, f->why, sizeof f->why);
}

static int call_tick(Fixture *f)
{
    return engine_fire_due(f->engine, f->t0 + 3 * 3600000, f->why, sizeof f->why);
}

static int call_away(Fixture *f)
{
    return engine_away(f->engine, "pat", NULL, NULL, "sam", false, f->t0 + 60000, f->why, sizeof f->why);
}

static int call_resolve(Fixture *f)
{
    return engine_resolve(f->engine, "t1", "no", &(EngineActor){"ops", "by hand", NULL}, f->t0 + 60000, f->why, sizeof f->why);
}

static int call_reassign(Fixture *f)
{
    return engine_reassign(f->engine, "t1", "pat", "boss", &(EngineActor){"ops", NULL, NULL}, f->t0 + 60000, f->why, sizeof f->why);
}

static int call_directory_load(Fixture *f)
{
    return engine_directory_load(f->engine, f->directory, f->t0 + 60000, f->why, sizeof f->why);
}

static int call_cancel(Fixture *f)
{
    return engine_cancel(f->engine, "i1", &(EngineActor){"ops", "by hand", NULL}, f->t0 + 60000, f->why, sizeof f->why);
}

/* A group commit of an event and an answer: each input must be applied. */
static int call_batch(Fixture *f)
{
    EngineInput inputs[2] = {{.kind = ENGINE_INPUT_EVENT, .source = "shop", .type = "refund", .id = "r-2",
                              .data = f->b2, .event_time = f->t0 + 60000},
                             {.kind = ENGINE_INPUT_ANSWER, .task = "t1", .by = "pat", .choice = "yes"}};
    int rc = engine_apply_batch(f->engine, inputs, 2, f->t0 + 60000);
    for (int i = 0; i < 2 && rc == ENGINE_OK; i++)
        if (inputs[i].result != ENGINE_OK) {
            snprintf(f->why, sizeof f->why, "%s", inputs[i].why);
            rc = inputs[i].result;
        }
    return rc;
}

static int call_reads(Fixture *f)
{
    json_t *list = NULL;
    int rc = engine_instances(f->engine, &list, f->why, sizeof f->why);
    json_decref(list);
    list = NULL;
    if (rc == ENGINE_OK)
        rc = engine_history(f->engine, "i1", &list, f->why, sizeof f->why);
    json_decref(list);
    list = NULL;
    if (rc == ENGINE_OK)
        rc = engine_open_tasks(f->engine, "pat", &list, f->why, sizeof f->why);
    json_decref(list);
    return rc;
}

static void test_out_of_memory_in_an_event(void **state)
{
    assert_true(fail_each_allocation(*state, call_trigger, true) > 50);
}

static void test_out_of_memory_in_an_answer(void **state)
{
    assert_true(fail_each_allocation(*state, call_answer, true) > 50);
}

static void test_out_of_memory_in_a_tick(void **state)
{
    assert_true(fail_each_allocation(*state, call_tick, false) > 50);
}

static void test_out_of_memory_in_away(void **state)
{
    assert_true(fail_each_allocation(*state, call_away, true) > 50);
}

static void test_out_of_memory_in_resolve(void **state)
{
    assert_true(fail_each_allocation(*state, call_resolve, true) > 50);
}

static void test_out_of_memory_in_reassign(void **state)
{
    assert_true(fail_each_allocation(*state, call_reassign, true) > 50);
}

static void test_out_of_memory_in_a_directory_load(void **state)
{
    Fixture *f = *state;
    f->directory = json_pack("{s:{s:{s:s}, s:{s:s, s:[{s:s, s:s}]}}}", "people", "pat", "email", "pat@y", "sam",
                             "email", "sam@y", "away", "from", "2026-03-02T09:30:00Z", "to", "2026-03-03");
    assert_non_null(f->directory);
    assert_true(fail_each_allocation(f, call_directory_load, true) > 20);
}

static void test_out_of_memory_in_a_cancel(void **state)
{
    assert_true(fail_each_allocation(*state, call_cancel, true) > 50);
}

static void test_out_of_memory_in_a_group_commit(void **state)
{
    /* Each input is its own nested transaction: one may fail while the other commits. */
    assert_true(fail_each_allocation(*state, call_batch, false) > 50);
}

static void test_out_of_memory_in_the_reads(void **state)
{
    assert_true(fail_each_allocation(*state, call_reads, true) > 20);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_answer_a_task_cut_short, setup, teardown),
        cmocka_unit_test_setup_teardown(test_answer_a_task_that_is_not_there_is_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ack_and_resolve_a_task_of_the_wrong_shape, setup, teardown),
        cmocka_unit_test_setup_teardown(test_answer_a_binary_task_damaged, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tasks_lists_no_damaged_task, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tick_a_damaged_timer, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tick_a_deadline_whose_task_is_damaged, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tick_a_timer_whose_instance_is_damaged, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tick_with_a_damaged_engine_time, setup, teardown),
        cmocka_unit_test_setup_teardown(test_history_names_a_damaged_record, setup, teardown),
        cmocka_unit_test_setup_teardown(test_history_of_an_unknown_instance_is_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_instances_lists_no_damaged_instance, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cancel_a_damaged_instance, setup, teardown),
        cmocka_unit_test_setup_teardown(test_an_instance_record_of_a_newer_version, setup, teardown),
        cmocka_unit_test_setup_teardown(test_trigger_with_a_damaged_counter, setup, teardown),
        cmocka_unit_test_setup_teardown(test_trigger_with_a_damaged_playbook, setup, teardown),
        cmocka_unit_test_setup_teardown(test_trigger_with_a_damaged_case, setup, teardown),
        cmocka_unit_test_setup_teardown(test_away_with_a_damaged_directory, setup, teardown),
        cmocka_unit_test_setup_teardown(test_out_of_memory_in_an_event, setup, teardown),
        cmocka_unit_test_setup_teardown(test_out_of_memory_in_an_answer, setup, teardown),
        cmocka_unit_test_setup_teardown(test_out_of_memory_in_a_tick, setup, teardown),
        cmocka_unit_test_setup_teardown(test_out_of_memory_in_away, setup, teardown),
        cmocka_unit_test_setup_teardown(test_out_of_memory_in_resolve, setup, teardown),
        cmocka_unit_test_setup_teardown(test_out_of_memory_in_reassign, setup, teardown),
        cmocka_unit_test_setup_teardown(test_out_of_memory_in_a_directory_load, setup, teardown),
        cmocka_unit_test_setup_teardown(test_out_of_memory_in_a_cancel, setup, teardown),
        cmocka_unit_test_setup_teardown(test_out_of_memory_in_a_group_commit, setup, teardown),
        cmocka_unit_test_setup_teardown(test_out_of_memory_in_the_reads, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
