/*
 * test_dispatch_batch.c - serve's outbox work inside a group commit (engine_dispatch.c,
 * "settles and claims in a batch's transaction"; docs/internals.md): over a real store
 * in a temporary folder, with an http connector whose port refuses connections (a
 * socket bound on 127.0.0.1 that never listens), so every request comes back at once as
 * a transport failure, to be tried again.
 *
 *   claimed by the commit   once the engine has a dispatcher, the batch that writes an
 *                           entry also claims it: right after engine_apply_batch the
 *                           entry is in flight with its attempt counted, before any round
 *   settled by the next     a round told to settle later (engine_dispatch_round's
 *   batch                   settle_later) leaves the refused request unsettled: the entry
 *                           keeps its lease and has no error yet; the next batch settles
 *                           it in its own transaction (its error and next try are in the
 *                           store once that batch commits) and claims the entry it
 *                           wrote; a plain round settles at once
 *   a duplicate's batch     a batch that applies nothing new (its event is a duplicate)
 *                           still commits, and settles what a round left for it
 *   a message with no way   a batch whose only entry is a message to someone whose
 *                           channel has no connector kept leaves it unclaimed (it reads
 *                           no entry back: dispatch_may_claim); a message whose
 *                           recipient has a way, and a send written after, are claimed
 *                           by their batch's commit
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "engine_internal.h"
#include "store.h"
#include "testdir.h"
#include "testplay.h"

#define T0 ((int64_t)1781510400000)   /* 2026-06-15T08:00:00Z */

static const char TELL_PLAY[] =
    "playbook tell\n"
    "\n"
    "on shop.spike as s\n"
    "\n"
    "state start {\n"
    "  send crm.note({about: s.what})\n"
    "  done \"told\"\n"
    "}\n";

static const char NOTE_PLAY[] =
    "playbook remark\n"
    "\n"
    "on shop.anna as s\n"
    "\n"
    "state start {\n"
    "  notify person(\"anna\") \"Note {s.what}\"\n"
    "  done \"noted\"\n"
    "}\n";

static const char NOTE_BOB_PLAY[] =
    "playbook remark_bob\n"
    "\n"
    "on shop.bob as s\n"
    "\n"
    "state start {\n"
    "  notify person(\"bob\") \"Note {s.what}\"\n"
    "  done \"noted\"\n"
    "}\n";

typedef struct Env {
    TestDir *dir;
    Store *store;
    Engine *engine;
    int refusing;               /* a socket bound to the connector's port, never listening */
} Env;

/* A port on 127.0.0.1 that refuses connections while `*fd` stays open. */
static int refusing_port(int *fd)
{
    *fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(*fd >= 0);
    struct sockaddr_in address = {.sin_family = AF_INET, .sin_port = 0};
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(bind(*fd, (struct sockaddr *)&address, sizeof address), 0);
    socklen_t len = sizeof address;
    assert_int_equal(getsockname(*fd, (struct sockaddr *)&address, &len), 0);
    return ntohs(address.sin_port);
}

static void deploy_tell(Env *env, int port)
{
    StrBuf bytes, note, note_bob;
    testplay_compile("tell.play", TELL_PLAY, &bytes);
    testplay_compile("note.play", NOTE_PLAY, &note);
    testplay_compile("note_bob.play", NOTE_BOB_PLAY, &note_bob);
    json_t *connectors = json_pack("{s:{s:s}, s:{s:s, s:s, s:i, s:i, s:{s:{s:s, s:s}}}}", "shop", "kind", "webhook",
                                   "crm", "kind", "http", "base_url", "", "timeout_ms", 2000, "retries", 3,
                                   "operations", "note", "method", "POST", "path", "/notes");
    char url[64];
    snprintf(url, sizeof url, "http://127.0.0.1:%d", port);
    json_object_set_new(json_object_get(connectors, "crm"), "base_url", json_string(url));
    EngineDeployItem items[] = {{(const uint8_t *)bytes.data, bytes.len, ""},
                                {(const uint8_t *)note.data, note.len, ""},
                                {(const uint8_t *)note_bob.data, note_bob.len, ""}};
    char why[512] = "";
    int rc = engine_deploy_set(env->engine, items, 3, connectors, T0, why, sizeof why);
    if (rc != ENGINE_OK)
        fail_msg("deploy: %s", why);
    json_decref(connectors);
    strbuf_free(&bytes);
    strbuf_free(&note);
    strbuf_free(&note_bob);
    /* anna is told through the crm connector; bob by email, and no smtp connector is kept */
    json_t *directory = json_pack("{s:{s:{s:s, s:s}, s:{s:s, s:s}}}", "people", "anna", "email", "anna@example.com",
                                  "notify", "crm.note", "bob", "name", "Bob", "email", "bob@example.com");
    if (engine_directory_load(env->engine, directory, T0, why, sizeof why) != ENGINE_OK)
        fail_msg("directory: %s", why);
    json_decref(directory);
}

static int setup(void **state)
{
    if (testdir_setup(state) != 0)
        return -1;
    Env *env = calloc(1, sizeof *env);
    env->dir = *state;
    StoreOptions options = {.create = true, .no_sync = true};
    char why[512] = "";
    if (store_open(env->dir->db, &options, &env->store, why, sizeof why) != STORE_OK)
        return -1;
    env->engine = engine_new(env->store, NULL);
    int port = refusing_port(&env->refusing);
    deploy_tell(env, port);
    *state = env;
    return 0;
}

static int teardown(void **state)
{
    Env *env = *state;
    engine_free(env->engine);
    store_close(env->store);
    close(env->refusing);
    void *dir = env->dir;
    free(env);
    return testdir_teardown(&dir);
}

/* ---- helpers ---- */

static void event_of(Env *env, const char *type, const char *id, int64_t now)
{
    json_t *data = json_pack("{s:s}", "what", id);
    EngineInput in = {.kind = ENGINE_INPUT_EVENT, .source = "shop", .type = type, .id = id, .data = data,
                      .event_time = now};
    assert_int_equal(engine_apply_batch(env->engine, &in, 1, now), ENGINE_OK);
    if (in.result != ENGINE_OK)
        fail_msg("the event %s: %s", id, in.why);
    assert_int_equal(in.started, 1);
    json_decref(data);
}

static void spike(Env *env, const char *id, int64_t now)
{
    event_of(env, "spike", id, now);
}

static void round_of(Env *env, int64_t now, bool settle_later)
{
    char why[512] = "";
    int64_t next;
    int rc = engine_dispatch_round(env->engine, now, 2000, settle_later, &next, why, sizeof why);
    if (rc != ENGINE_OK)
        fail_msg("round: %s", why);
}

static EngineOutboxStats stats_of(Env *env, int64_t now)
{
    EngineOutboxStats stats;
    char why[512] = "";
    assert_int_equal(engine_dispatch_stats(env->engine, now, &stats, why, sizeof why), ENGINE_OK);
    return stats;
}

/* The outbox entry of instance `id` as `huddle outbox --json` shows it (the caller's). */
static json_t *entry_of(Env *env, const char *id)
{
    json_t *entries = NULL, *found = NULL;
    char why[512] = "";
    assert_int_equal(engine_outbox_list(env->engine, NULL, 0, &entries, why, sizeof why), ENGINE_OK);
    size_t i;
    json_t *entry;
    json_array_foreach(entries, i, entry)
        if (strcmp(json_string_value(json_object_get(entry, "instance")), id) == 0)
            found = json_incref(entry);
    json_decref(entries);
    if (!found)
        fail_msg("no outbox entry of %s", id);
    return found;
}

static void assert_attempts(json_t *entry, json_int_t attempts, bool has_error)
{
    assert_int_equal(json_integer_value(json_object_get(entry, "attempts")), attempts);
    assert_int_equal(json_is_string(json_object_get(entry, "error")), has_error);
    json_decref(entry);
}

/* ---- the tests ---- */

static void the_commit_that_writes_an_entry_claims_it(void **state)
{
    Env *env = *state;
    spike(env, "before", T0);   /* no dispatcher yet: written, not claimed */
    assert_attempts(entry_of(env, "i1"), 0, false);
    round_of(env, T0, false);   /* the first round makes the dispatcher, claims, tries, settles */
    assert_attempts(entry_of(env, "i1"), 1, true);
    EngineOutboxStats stats = stats_of(env, T0);
    assert_int_equal(stats.in_flight, 0);
    assert_int_equal(stats.retried, 1);

    spike(env, "after", T0);    /* now the batch's own commit claims its entry */
    assert_attempts(entry_of(env, "i2"), 1, false);
    stats = stats_of(env, T0);
    assert_int_equal(stats.in_flight, 1);
    assert_int_equal(stats.retried, 1);
}

static void a_round_told_to_settle_later_leaves_it_to_the_next_batch(void **state)
{
    Env *env = *state;
    round_of(env, T0, false);
    spike(env, "one", T0);
    assert_int_equal(stats_of(env, T0).in_flight, 1);

    round_of(env, T0, true);    /* the request is refused; nothing is settled */
    EngineOutboxStats stats = stats_of(env, T0);
    assert_int_equal(stats.in_flight, 1);
    assert_int_equal(stats.retried, 0);
    assert_attempts(entry_of(env, "i1"), 1, false);

    spike(env, "two", T0);      /* settles i1's in its transaction, claims i2's */
    stats = stats_of(env, T0);
    assert_int_equal(stats.retried, 1);
    assert_int_equal(stats.in_flight, 1);
    assert_attempts(entry_of(env, "i1"), 1, true);
    assert_attempts(entry_of(env, "i2"), 1, false);

    round_of(env, T0, false);   /* a plain round settles at once */
    stats = stats_of(env, T0);
    assert_int_equal(stats.retried, 2);
    assert_int_equal(stats.in_flight, 0);
    assert_attempts(entry_of(env, "i2"), 1, true);
}

static void a_batch_of_a_duplicate_still_settles_what_waited(void **state)
{
    Env *env = *state;
    round_of(env, T0, false);
    spike(env, "one", T0);
    round_of(env, T0, true);
    assert_attempts(entry_of(env, "i1"), 1, false);

    json_t *data = json_pack("{s:s}", "what", "one");
    EngineInput again = {.kind = ENGINE_INPUT_EVENT, .source = "shop", .type = "spike", .id = "one", .data = data,
                         .event_time = T0};
    assert_int_equal(engine_apply_batch(env->engine, &again, 1, T0), ENGINE_OK);
    assert_true(again.duplicate);
    json_decref(data);
    EngineOutboxStats stats = stats_of(env, T0);
    assert_int_equal(stats.retried, 1);
    assert_int_equal(stats.in_flight, 0);
    assert_attempts(entry_of(env, "i1"), 1, true);
}

static void a_message_with_no_way_is_left_unclaimed_by_its_commit(void **state)
{
    Env *env = *state;
    round_of(env, T0, false);   /* the dispatcher, with the connectors */
    event_of(env, "bob", "b1", T0);
    assert_attempts(entry_of(env, "i1"), 0, false);
    assert_int_equal(stats_of(env, T0).in_flight, 0);

    event_of(env, "anna", "a1", T0);   /* anna's channel has a way: claimed by the commit */
    assert_attempts(entry_of(env, "i2"), 1, false);
    assert_int_equal(stats_of(env, T0).in_flight, 1);

    round_of(env, T0, false);
    event_of(env, "bob", "b2", T0);
    spike(env, "s1", T0);               /* a send after an unclaimable batch: claimed */
    assert_attempts(entry_of(env, "i3"), 0, false);
    assert_attempts(entry_of(env, "i4"), 1, false);
    assert_int_equal(stats_of(env, T0).in_flight, 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(the_commit_that_writes_an_entry_claims_it, setup, teardown),
        cmocka_unit_test_setup_teardown(a_round_told_to_settle_later_leaves_it_to_the_next_batch, setup, teardown),
        cmocka_unit_test_setup_teardown(a_batch_of_a_duplicate_still_settles_what_waited, setup, teardown),
        cmocka_unit_test_setup_teardown(a_message_with_no_way_is_left_unclaimed_by_its_commit, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
