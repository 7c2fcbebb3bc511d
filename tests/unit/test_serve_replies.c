/*
 * test_serve_replies.c - serve's replies wait for the disk (runtime/cli/cli_serve_reply.c).
 *
 * serve's store leaves each commit's root page to the next commit's flush, so a reply the
 * engine thread makes while a commit is not yet durable is held and sent once it is. The
 * HTTP layer and the engine's durability counts are replaced here (the linker's --wrap:
 * http_reply, engine_commits, engine_durable, engine_sync), so each test sets how many
 * commits exist and how many are durable, and reads which replies went out, in order.
 *
 *   at once       off the engine thread, or with every commit durable, a reply goes out
 *   held          with a commit not durable, nothing goes out until it is; then every
 *                 held reply goes out in the order made, and those of a later commit wait
 *   settle        at a round's end, the round's own replies wait for the next round's
 *                 commit when input waits; older ones, or none waiting, get a flush now
 *   flush fails   held replies become 503 store_failed, and nothing is left held
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "cli_serve.h"
#include "engine.h"

/* ---- what the wraps stand in for ---- */

static uint64_t commits, durable;
static int syncs;
static bool sync_fails;
static struct {
    HttpRequest *request;
    int status;
    char body[512];
} sent[16];
static size_t sent_count;

void __wrap_http_reply(HttpRequest *request, int status, const char *content_type, const char *body,
                       size_t len, const char *header);
uint64_t __wrap_engine_commits(const Engine *engine);
uint64_t __wrap_engine_durable(const Engine *engine);
int __wrap_engine_sync(Engine *engine, char *why, size_t why_len);

void __wrap_http_reply(HttpRequest *request, int status, const char *content_type, const char *body,
                       size_t len, const char *header)
{
    (void)content_type;
    (void)header;
    assert_true(sent_count < 16);
    sent[sent_count].request = request;
    sent[sent_count].status = status;
    snprintf(sent[sent_count].body, sizeof sent[sent_count].body, "%.*s", (int)len, body);
    sent_count++;
}

uint64_t __wrap_engine_commits(const Engine *engine)
{
    (void)engine;
    return commits;
}

uint64_t __wrap_engine_durable(const Engine *engine)
{
    (void)engine;
    return durable;
}

int __wrap_engine_sync(Engine *engine, char *why, size_t why_len)
{
    (void)engine;
    syncs++;
    if (sync_fails) {
        snprintf(why, why_len, "cannot flush the store to disk: test");
        return ENGINE_FAILED;
    }
    durable = commits;
    return ENGINE_OK;
}

/* ---- the fixture: a Serve and jobs with fake requests ---- */

static Serve serve;
static HttpRequest requests[8];
static ServeJob jobs[8];

static int setup(void **state)
{
    (void)state;
    memset(&serve, 0, sizeof serve);
    memset(jobs, 0, sizeof jobs);
    serve.engine = (Engine *)&serve;   /* never looked into: the wraps answer */
    commits = durable = 0;
    syncs = 0;
    sync_fails = false;
    sent_count = 0;
    for (int i = 0; i < 8; i++) {
        jobs[i].request = &requests[i];
        jobs[i].route.id = ROUTE_EVENTS;
    }
    serve_replies_wait_for_disk(true);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    serve_replies_end(&serve);
    serve_replies_wait_for_disk(false);
    return 0;
}

static void reply(int job, const char *body)
{
    StrBuf text = STRBUF_INIT;
    strbuf_puts(&text, body);
    serve_reply_text(&serve, &jobs[job], 200, &text);
    assert_null(jobs[job].request);   /* the job is done with it, held or sent */
}

static void expect_sent(size_t index, int job, int status, const char *body)
{
    assert_true(index < sent_count);
    assert_ptr_equal(sent[index].request, &requests[job]);
    assert_int_equal(sent[index].status, status);
    if (body)
        assert_string_equal(sent[index].body, body);
}

/* ---- the tests ---- */

static void test_at_once_when_durable_or_off_the_engine_thread(void **state)
{
    (void)state;
    commits = durable = 3;
    reply(0, "{\"a\":1}");
    assert_int_equal(sent_count, 1);
    expect_sent(0, 0, 200, "{\"a\":1}");
    commits = 4;   /* not durable, but this thread does not wait (the HTTP thread's refusals) */
    serve_replies_wait_for_disk(false);
    reply(1, "{\"b\":2}");
    assert_int_equal(sent_count, 2);
    expect_sent(1, 1, 200, "{\"b\":2}");
    assert_int_equal(syncs, 0);
}

static void test_held_until_durable_in_order(void **state)
{
    (void)state;
    commits = 1;                  /* round 1 committed, its root page not flushed */
    reply(0, "{\"n\":0}");
    reply(1, "{\"n\":1}");
    assert_int_equal(sent_count, 0);
    serve_replies_release(&serve);
    assert_int_equal(sent_count, 0);
    commits = 2;                  /* round 2's commit flushed round 1 */
    durable = 1;
    serve_replies_release(&serve);
    assert_int_equal(sent_count, 2);
    expect_sent(0, 0, 200, "{\"n\":0}");
    expect_sent(1, 1, 200, "{\"n\":1}");
    reply(2, "{\"n\":2}");        /* round 2's own reply waits for round 3 */
    serve_replies_release(&serve);
    assert_int_equal(sent_count, 2);
    durable = 2;
    serve_replies_release(&serve);
    assert_int_equal(sent_count, 3);
    expect_sent(2, 2, 200, "{\"n\":2}");
    assert_int_equal(syncs, 0);
}

static void test_settle_waits_only_for_the_next_round(void **state)
{
    (void)state;
    serve.rounds = 7;
    commits = 1;
    reply(0, "{}");
    serve_replies_settle(&serve, true);    /* input waits: round 8's commit will carry it */
    assert_int_equal(sent_count, 0);
    assert_int_equal(syncs, 0);
    serve.rounds = 8;                       /* round 8 committed nothing that flushed */
    serve_replies_settle(&serve, true);
    assert_int_equal(syncs, 1);
    assert_int_equal(sent_count, 1);
    commits = 2;
    reply(1, "{}");
    serve_replies_settle(&serve, false);   /* nothing waits: flush now */
    assert_int_equal(syncs, 2);
    assert_int_equal(sent_count, 2);
    expect_sent(1, 1, 200, "{}");
}

static void test_a_failed_flush_answers_503(void **state)
{
    (void)state;
    commits = 1;
    reply(0, "{\"id\":\"e1\"}");
    reply(1, "{\"id\":\"e2\"}");
    sync_fails = true;
    serve_replies_settle(&serve, false);
    assert_int_equal(sent_count, 2);
    expect_sent(0, 0, 503, NULL);
    expect_sent(1, 1, 503, NULL);
    assert_non_null(strstr(sent[0].body, "\"code\":\"store_failed\""));
    assert_null(strstr(sent[0].body, "e1"));
    sync_fails = false;
    serve_replies_settle(&serve, false);   /* nothing is left held */
    assert_int_equal(sent_count, 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
        T(test_at_once_when_durable_or_off_the_engine_thread),
        T(test_held_until_durable_in_order),
        T(test_settle_waits_only_for_the_next_round),
        T(test_a_failed_flush_answers_503),
#undef T
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
