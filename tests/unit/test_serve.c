/*
 * test_serve.c - the pure parts of `huddle serve`: its routes and queries
 * (runtime/cli/cli_serve_route.c), the tokens file (cli_serve_tokens.c), and the
 * webhook side of the connectors (runtime/connectors/connectors_events.c): JSON
 * pointers, signatures, the mapping of a body to an event, event types, times; the
 * /metrics text; and when a round's gather stops waiting (cli_serve_loop.c's quiet
 * spell). The server itself is tested end to end (tests/e2e/serve*.sh).
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
#include "connectors_events.h"
#include "value_json.h"

static void test_routes(void **state)
{
    (void)state;
    ServeRoute r;
    const char *allow;
    assert_int_equal(serve_route("POST", "/v1/events/radian6", &r, &allow), SERVE_ROUTE_OK);
    assert_int_equal(r.id, ROUTE_EVENTS);
    assert_string_equal(r.param, "radian6");
    assert_true(r.write);
    assert_int_equal(r.need, MAY_EVENTS);
    assert_int_equal(serve_route("POST", "/v1/tasks/t12/answer", &r, &allow), SERVE_ROUTE_OK);
    assert_int_equal(r.id, ROUTE_TASK_ANSWER);
    assert_string_equal(r.param, "t12");
    assert_int_equal(serve_route("POST", "/v1/tasks/t1/ack", &r, &allow), SERVE_ROUTE_OK);
    assert_int_equal(r.id, ROUTE_TASK_ACK);
    assert_int_equal(serve_route("POST", "/v1/tasks/t1/resolve", &r, &allow), SERVE_ROUTE_OK);
    assert_int_equal(r.need, MAY_OPERATE);
    assert_int_equal(serve_route("POST", "/v1/tasks/t1/reassign", &r, &allow), SERVE_ROUTE_OK);
    assert_int_equal(serve_route("GET", "/v1/instances/i3", &r, &allow), SERVE_ROUTE_OK);
    assert_int_equal(r.id, ROUTE_INSTANCE);
    assert_false(r.write);
    assert_int_equal(serve_route("GET", "/v1/instances/i3/history", &r, &allow), SERVE_ROUTE_OK);
    assert_int_equal(r.id, ROUTE_INSTANCE_HISTORY);
    assert_int_equal(serve_route("POST", "/v1/instances/i3/retry", &r, &allow), SERVE_ROUTE_OK);
    assert_int_equal(serve_route("POST", "/v1/instances/i3/cancel", &r, &allow), SERVE_ROUTE_OK);
    assert_int_equal(serve_route("GET", "/v1/tasks", &r, &allow), SERVE_ROUTE_OK);
    assert_int_equal(r.need, MAY_READ);
    assert_int_equal(serve_route("HEAD", "/healthz", &r, &allow), SERVE_ROUTE_OK);
    assert_int_equal(r.need, 0);
    assert_int_equal(serve_route("GET", "/metrics", &r, &allow), SERVE_ROUTE_OK);
    /* the wrong method names the right one */
    assert_int_equal(serve_route("GET", "/v1/events/x", &r, &allow), SERVE_ROUTE_METHOD);
    assert_string_equal(allow, "POST");
    assert_int_equal(serve_route("DELETE", "/v1/tasks", &r, &allow), SERVE_ROUTE_METHOD);
    assert_string_equal(allow, "GET");
    /* unknown shapes, empty and malformed parameters */
    assert_int_equal(serve_route("GET", "/v1/tasks/t1", &r, &allow), SERVE_ROUTE_UNKNOWN);
    assert_int_equal(serve_route("POST", "/v1/events/", &r, &allow), SERVE_ROUTE_UNKNOWN);
    assert_int_equal(serve_route("POST", "/v1/tasks//answer", &r, &allow), SERVE_ROUTE_UNKNOWN);
    assert_int_equal(serve_route("POST", "/v1/tasks/t1/answer/", &r, &allow), SERVE_ROUTE_UNKNOWN);
    assert_int_equal(serve_route("GET", "/healthz/", &r, &allow), SERVE_ROUTE_UNKNOWN);
    assert_int_equal(serve_route("GET", "", &r, &allow), SERVE_ROUTE_UNKNOWN);
    assert_int_equal(serve_route(NULL, "/healthz", &r, &allow), SERVE_ROUTE_UNKNOWN);
    assert_int_equal(serve_route("POST", "/v1/tasks/\x01/answer", &r, &allow), SERVE_ROUTE_BAD);
    char longpath[400];
    snprintf(longpath, sizeof longpath, "/v1/events/%0300d", 7);
    assert_int_equal(serve_route("POST", longpath, &r, &allow), SERVE_ROUTE_BAD);
}

static void test_queries(void **state)
{
    (void)state;
    char out[32], bad[65];
    assert_int_equal(serve_query_get("for=pat&x=1", "for", out, sizeof out), 1);
    assert_string_equal(out, "pat");
    assert_int_equal(serve_query_get("a=1&for=ann%20lee+x", "for", out, sizeof out), 1);
    assert_string_equal(out, "ann lee x");
    assert_int_equal(serve_query_get("format=1", "for", out, sizeof out), 0);
    assert_int_equal(serve_query_get("", "for", out, sizeof out), 0);
    assert_int_equal(serve_query_get("for", "for", out, sizeof out), 1);
    assert_string_equal(out, "");
    assert_int_equal(serve_query_get("for=%ZZ", "for", out, sizeof out), -1);
    assert_int_equal(serve_query_get("for=%0a", "for", out, sizeof out), -1);
    assert_int_equal(serve_query_get("for=%4", "for", out, sizeof out), -1);
    assert_int_equal(serve_query_get("for=0123456789012345678901234567890123", "for", out, sizeof out), -1);
    static const char *const ALLOWED[] = {"playbook", "status", NULL};
    assert_true(serve_query_only("playbook=a&status=done", ALLOWED, bad));
    assert_true(serve_query_only("", ALLOWED, bad));
    assert_false(serve_query_only("playbook=a&sort=up", ALLOWED, bad));
    assert_string_equal(bad, "sort");
    /* each parameter once and with a value */
    assert_int_equal(serve_query_once_each("playbook=a&status=done", bad), SERVE_QUERY_FINE);
    assert_int_equal(serve_query_once_each("", bad), SERVE_QUERY_FINE);
    assert_int_equal(serve_query_once_each("a=1&&b=2&", bad), SERVE_QUERY_FINE);
    assert_int_equal(serve_query_once_each("status=", bad), SERVE_QUERY_EMPTY);
    assert_string_equal(bad, "status");
    assert_int_equal(serve_query_once_each("playbook=a&for", bad), SERVE_QUERY_EMPTY);
    assert_string_equal(bad, "for");
    assert_int_equal(serve_query_once_each("limit=1&x=2&limit=2", bad), SERVE_QUERY_TWICE);
    assert_string_equal(bad, "limit");
    assert_int_equal(serve_query_once_each("lim=1&limit=2", bad), SERVE_QUERY_FINE);   /* a prefix is another name */
}

#define ZEROS "0000000000000000000000000000000000000000000000000000000000000000"
#define ONES "1111111111111111111111111111111111111111111111111111111111111111"
#define HASH_OF_SECRET "2bb80d537b1da3e38bd30361aa855686bde0eacd7162fef6a25fe97bf527a25b" /* "secret" */

static void test_tokens(void **state)
{
    (void)state;
    json_t *problems = json_array();
    json_t *file = json_pack("{s:{s:s, s:s}, s:{s:s, s:b, s:[s]}, s:{s:s, s:s, s:[s,s]}}",
                             "anna", "sha256", HASH_OF_SECRET, "person", "anna",
                             "bot", "sha256", ZEROS, "on_behalf", 1, "may", "answer",
                             "ops", "sha256", ONES, "person", "craig", "may", "read", "operate");
    ServeTokens tokens;
    assert_int_equal(serve_tokens_parse(file, &tokens, problems), 0);
    assert_int_equal(json_array_size(problems), 0);
    assert_int_equal(tokens.count, 3);
    const ServeToken *t = serve_tokens_find(&tokens, "Bearer secret");
    assert_non_null(t);
    assert_string_equal(t->name, "anna");
    assert_string_equal(t->person, "anna");
    assert_int_equal(t->may, MAY_READ | MAY_ANSWER);
    assert_null(serve_tokens_find(&tokens, "Bearer secreT"));
    assert_null(serve_tokens_find(&tokens, "Basic secret"));
    assert_null(serve_tokens_find(&tokens, "Bearer "));
    assert_null(serve_tokens_find(&tokens, NULL));
    assert_true(tokens.items[1].on_behalf);
    assert_int_equal(tokens.items[1].may, MAY_ANSWER);
    assert_int_equal(tokens.items[2].may, MAY_READ | MAY_OPERATE);
    serve_tokens_free(&tokens);
    json_decref(file);

    /* each problem names its entry and field, never a hash */
    file = json_pack("{s:{s:s, s:s}, s:{s:s}, s:{s:s, s:s, s:b}, s:{s:s, s:s, s:[s]}, s:i}",
                     "short", "sha256", "abc", "person", "p",
                     "nobody", "sha256", HASH_OF_SECRET,
                     "both", "sha256", HASH_OF_SECRET, "person", "p", "on_behalf", 1,
                     "rights", "sha256", HASH_OF_SECRET, "person", "p", "may", "everything",
                     "number", 5);
    assert_int_equal(serve_tokens_parse(file, &tokens, problems), -1);
    assert_int_equal(tokens.count, 0);
    char *all = json_dumps(problems, 0);
    assert_non_null(strstr(all, "tokens.short.sha256: is not 64 hex digits"));
    assert_non_null(strstr(all, "tokens.nobody: names a person, or is a service"));
    assert_non_null(strstr(all, "tokens.both: names a person, or is a service"));
    assert_non_null(strstr(all, "tokens.rights.may: 'everything' is not a right (read, answer, events, operate or audit)"));
    assert_non_null(strstr(all, "tokens.number: is not an object"));
    assert_null(strstr(all, HASH_OF_SECRET));
    free(all);
    json_decref(file);

    /* a misspelt field is named; one token listed twice (two people, one hash) is refused */
    json_array_clear(problems);
    file = json_pack("{s:{s:s, s:s, s:[]}, s:{s:s, s:s}, s:{s:s, s:s}}",
                     "typo", "sha256", ZEROS, "person", "p", "mayy",
                     "anna", "sha256", HASH_OF_SECRET, "person", "anna",
                     "mei", "sha256", HASH_OF_SECRET, "person", "mei");
    assert_int_equal(serve_tokens_parse(file, &tokens, problems), -1);
    all = json_dumps(problems, 0);
    assert_non_null(strstr(all, "tokens.typo.mayy: unknown field (a token has sha256, person, on_behalf and may)"));
    assert_non_null(strstr(all, "tokens.mei.sha256: is the same token as tokens.anna's: give each its own token"));
    assert_null(strstr(all, HASH_OF_SECRET));
    free(all);
    json_decref(file);
    json_decref(problems);
}

static void test_pointers(void **state)
{
    (void)state;
    /* RFC 6901's own examples */
    json_t *doc = json_loads("{\"foo\": [\"bar\", \"baz\"], \"\": 0, \"a/b\": 1, \"c%d\": 2, \"m~n\": 8}", 0, NULL);
    assert_ptr_equal(conn_json_pointer(doc, ""), doc);
    assert_string_equal(json_string_value(conn_json_pointer(doc, "/foo/0")), "bar");
    assert_string_equal(json_string_value(conn_json_pointer(doc, "/foo/1")), "baz");
    assert_int_equal(json_integer_value(conn_json_pointer(doc, "/")), 0);
    assert_int_equal(json_integer_value(conn_json_pointer(doc, "/a~1b")), 1);
    assert_int_equal(json_integer_value(conn_json_pointer(doc, "/c%d")), 2);
    assert_int_equal(json_integer_value(conn_json_pointer(doc, "/m~0n")), 8);
    assert_null(conn_json_pointer(doc, "/foo/2"));
    assert_null(conn_json_pointer(doc, "/foo/01"));
    assert_null(conn_json_pointer(doc, "/foo/-"));
    assert_null(conn_json_pointer(doc, "/m~2n"));
    assert_null(conn_json_pointer(doc, "foo"));
    assert_null(conn_json_pointer(doc, "/foo/0/deeper"));
    json_decref(doc);
}

static void test_signatures(void **state)
{
    (void)state;
    const char *body = "{\"id\": \"e1\"}";
    char sig[72];
    conn_signature_make("key", 3, body, strlen(body), sig);
    assert_int_equal(strlen(sig), 71);
    assert_true(conn_signature_ok("key", 3, sig, body, strlen(body)));
    assert_false(conn_signature_ok("kez", 3, sig, body, strlen(body)));
    assert_false(conn_signature_ok("key", 3, sig, body, strlen(body) - 1));
    char upper[72];
    for (size_t i = 0; i <= strlen(sig); i++)
        upper[i] = i >= 7 && sig[i] >= 'a' && sig[i] <= 'f' ? (char)(sig[i] - 32) : sig[i];
    assert_true(conn_signature_ok("key", 3, upper, body, strlen(body)));
    sig[70] = sig[70] == '0' ? '1' : '0';
    assert_false(conn_signature_ok("key", 3, sig, body, strlen(body)));
    sig[70] = '\0';
    assert_false(conn_signature_ok("key", 3, sig, body, strlen(body)));
    assert_false(conn_signature_ok("key", 3, NULL, body, strlen(body)));
    assert_false(conn_signature_ok("key", 3, "sha1=abc", body, strlen(body)));
}

/* A signer keeps its key between checks: each check answers as conn_signature_ok would,
   whatever the check before it was. */
static void test_signer_reused(void **state)
{
    (void)state;
    const char *bodies[] = {"{\"id\": \"e1\"}", "{\"id\": \"e2\", \"more\": [1, 2, 3]}", ""};
    char sig[3][72];
    for (int i = 0; i < 3; i++)
        conn_signature_make("key", 3, bodies[i], strlen(bodies[i]), sig[i]);
    ConnSigner *signer = conn_signer_new("key", 3);
    assert_non_null(signer);
    for (int round = 0; round < 2; round++)
        for (int i = 0; i < 3; i++)
            for (int j = 0; j < 3; j++)
                assert_int_equal(conn_signer_ok(signer, sig[j], bodies[i], strlen(bodies[i])), i == j);
    assert_false(conn_signer_ok(signer, NULL, bodies[0], strlen(bodies[0])));
    assert_true(conn_signer_ok(signer, sig[0], bodies[0], strlen(bodies[0])));
    conn_signer_free(signer);
    ConnSigner *other = conn_signer_new("kez", 3);
    assert_false(conn_signer_ok(other, sig[0], bodies[0], strlen(bodies[0])));
    conn_signer_free(other);
}

/* The signer's HMAC against OpenSSL's HMAC(): keys shorter than, as long as and longer
   than SHA-256's block (a longer key is hashed first), bodies of none to several blocks. */
static void test_signer_keys(void **state)
{
    (void)state;
    char key[200], body[300];
    for (size_t i = 0; i < sizeof key; i++)
        key[i] = (char)('a' + i % 26);
    for (size_t i = 0; i < sizeof body; i++)
        body[i] = (char)(' ' + i % 90);
    static const size_t KEYS[] = {1, 3, 32, 63, 64, 65, 128, 200};
    static const size_t BODIES[] = {0, 1, 55, 56, 63, 64, 65, 119, 120, 300};
    for (size_t k = 0; k < sizeof KEYS / sizeof KEYS[0]; k++) {
        ConnSigner *signer = conn_signer_new(key, KEYS[k]);
        assert_non_null(signer);
        for (size_t b = 0; b < sizeof BODIES / sizeof BODIES[0]; b++) {
            char sig[72];
            conn_signature_make(key, KEYS[k], body, BODIES[b], sig);
            assert_true(conn_signer_ok(signer, sig, body, BODIES[b]));
            sig[7] = sig[7] == 'a' ? 'b' : 'a';
            assert_false(conn_signer_ok(signer, sig, body, BODIES[b]));
        }
        conn_signer_free(signer);
    }
}

/* Jobs handed back by the engine thread wait on serve's list, in rounds, until the HTTP
   thread frees them all (ASan's leak check holds the freeing to account). */
static void test_jobs_retired(void **state)
{
    (void)state;
    Serve serve = {0};
    ServeJob *jobs[5];
    for (int i = 0; i < 5; i++) {
        jobs[i] = calloc(1, sizeof *jobs[i]);
        assert_non_null(jobs[i]);
        jobs[i]->body = json_pack("{s:i}", "n", i);
    }
    serve_jobs_reap(&serve);   /* nothing yet */
    serve_jobs_retire(&serve, jobs, 2);
    serve_jobs_retire(&serve, jobs + 2, 3);
    serve_jobs_retire(&serve, jobs, 0);
    int count = 0;
    for (ServeJob *j = atomic_load(&serve.retired); j; j = j->retired_next)
        count++;
    assert_int_equal(count, 5);
    serve_jobs_reap(&serve);
    assert_null(atomic_load(&serve.retired));
}

static ConnFile *serve_connectors(void)
{
    json_t *problems = json_array();
    json_t *json = json_loads("{\"r6\": {\"kind\": \"webhook\", \"id\": \"/meta/id\", \"type\": \"/kind\","
                              " \"time\": \"/at\", \"events\": {\"spike\": {\"product\": \"string\","
                              " \"mentions\": \"integer\", \"share\": \"number?\", \"at\": \"time?\","
                              " \"tags\": \"list?\", \"geo\": {\"region\": \"string\"}, \"x\": \"any\"}}}}",
                              0, NULL);
    ConnFile *file = conn_file_parse(json, problems);
    assert_non_null(file);
    json_decref(json);
    json_decref(problems);
    return file;
}

/* Maps a body as serve's door does: read by value_json_load, and again exactly when the
   id is a double there (a fraction, or a whole number past 64 bits). */
static int map(const Connector *c, const char *text, ConnEvent *ev, char *why, char *field)
{
    json_t *body = value_json_load(text, strlen(text), JSON_REJECT_DUPLICATES, 0, why, 256);
    assert_non_null(body);
    json_t *exact = conn_webhook_id_inexact(c, body) ? value_json_load_exact(text, strlen(text), 0, 0, why, 256) : NULL;
    int rc = conn_webhook_map(c, body, exact, ev, why, 256, field, 64);
    json_decref(exact);
    if (rc == 0) {   /* borrowed strings: compare before the body goes */
        assert_non_null(ev->id);
        assert_string_equal(ev->type, "spike");
    }
    json_decref(body);
    return rc;
}

static void test_webhook_map(void **state)
{
    (void)state;
    ConnFile *file = serve_connectors();
    const Connector *c = conn_find(file, "r6");
    ConnEvent ev;
    char why[256], field[64];
    assert_int_equal(map(c, "{\"meta\": {\"id\": \"e1\"}, \"kind\": \"spike\", \"at\": \"2026-06-15T08:10:00+03:00\"}",
                         &ev, why, field), 0);
    assert_int_equal(map(c, "{\"kind\": \"spike\"}", &ev, why, field), -1);
    assert_string_equal(field, "/meta/id");
    assert_non_null(strstr(why, "no event id"));
    assert_int_equal(map(c, "{\"meta\": {\"id\": 17}, \"kind\": \"spike\"}", &ev, why, field), 0);
    assert_string_equal(ev.id, "17");         /* a whole number is its decimal text */
    assert_int_equal(map(c, "{\"meta\": {\"id\": -9223372036854775808}, \"kind\": \"spike\"}", &ev, why, field), 0);
    assert_string_equal(ev.id, "-9223372036854775808");
    /* past 64 bits, exactly its digits (it was refused as "a number with a fraction") */
    assert_int_equal(map(c, "{\"meta\": {\"id\": 9223372036854775808}, \"kind\": \"spike\"}", &ev, why, field), 0);
    assert_string_equal(ev.id, "9223372036854775808");
    assert_int_equal(map(c, "{\"meta\": {\"id\": -9223372036854775809}, \"kind\": \"spike\"}", &ev, why, field), 0);
    assert_string_equal(ev.id, "-9223372036854775809");
    assert_int_equal(map(c, "{\"meta\": {\"id\": 123456789012345678901234567890123456789}, \"kind\": \"spike\"}",
                         &ev, why, field), 0);
    assert_string_equal(ev.id, "123456789012345678901234567890123456789");
    char hugeid[400];   /* 257 digits: past the 256 bytes an id may have, said so */
    snprintf(hugeid, sizeof hugeid, "{\"meta\": {\"id\": 1%0256d}, \"kind\": \"spike\"}", 0);
    assert_int_equal(map(c, hugeid, &ev, why, field), -1);
    assert_string_equal(field, "/meta/id");
    assert_non_null(strstr(why, "257 bytes"));
    assert_int_equal(map(c, "{\"meta\": {\"id\": 1e3}, \"kind\": \"spike\"}", &ev, why, field), -1);
    assert_non_null(strstr(why, "a number with a fraction or an exponent"));
    assert_int_equal(map(c, "{\"meta\": {\"id\": 17.0}, \"kind\": \"spike\"}", &ev, why, field), -1);
    assert_string_equal(field, "/meta/id");
    assert_non_null(strstr(why, "a number with a fraction or an exponent"));
    assert_int_equal(map(c, "{\"meta\": {\"id\": true}, \"kind\": \"spike\"}", &ev, why, field), -1);
    assert_non_null(strstr(why, "a boolean, not a string or a whole number"));
    char longid[400];
    snprintf(longid, sizeof longid, "{\"meta\": {\"id\": \"%0257d\"}, \"kind\": \"spike\"}", 1);
    assert_int_equal(map(c, longid, &ev, why, field), -1);
    assert_non_null(strstr(why, "257 bytes"));
    assert_int_equal(map(c, "{\"meta\": {\"id\": \"e1\"}, \"kind\": 3}", &ev, why, field), -1);
    assert_string_equal(field, "/kind");
    assert_int_equal(map(c, "{\"meta\": {\"id\": \"e1\"}, \"kind\": \"spike\", \"at\": \"2026-02-30T00:00:00Z\"}",
                         &ev, why, field), -1);
    assert_string_equal(field, "/at");
    assert_non_null(strstr(why, "2026-02-30 is not a date: February 2026 has 28 days"));
    assert_null(strstr(why, "is a string"));
    assert_int_equal(map(c, "{\"meta\": {\"id\": \"e1\"}}", &ev, why, field), -1);
    assert_string_equal(field, "/kind");
    assert_string_equal(why, "the body has no event type at /kind");
    conn_file_free(file);
}

static int check(const Connector *c, const char *type, const char *text, char *why, char *field)
{
    json_t *data = json_loads(text, JSON_DECODE_ANY, NULL);
    assert_non_null(data);
    int rc = conn_event_check(c, type, data, why, 256, field, 64);
    json_decref(data);
    return rc;
}

static void test_event_types(void **state)
{
    (void)state;
    ConnFile *file = serve_connectors();
    const Connector *c = conn_find(file, "r6");
    char why[256] = "", field[64];
    const char *good = "{\"product\": \"P1\", \"mentions\": 50, \"geo\": {\"region\": \"eu\"}, \"x\": null}";
    assert_int_equal(check(c, "spike", good, why, field), 0);
    assert_string_equal(why, "");
    assert_int_equal(check(c, "other", "5", why, field), 0);   /* not listed: untyped */
    assert_int_equal(check(c, "spike", "{\"product\": \"P1\", \"mentions\": 50, \"share\": 0.5, \"at\": "
                                       "\"2026-06-15T08:10:00.5Z\", \"tags\": [], \"geo\": {\"region\": \"eu\"}, "
                                       "\"x\": [1], \"extra\": true}", why, field), 0);
    assert_int_equal(check(c, "spike", "{\"product\": \"P1\", \"mentions\": \"50\", \"geo\": {\"region\": \"eu\"}, "
                                       "\"x\": 1}", why, field), -1);
    assert_string_equal(field, "data.mentions");
    assert_string_equal(why, "data.mentions is a string, expected an integer");
    assert_int_equal(check(c, "spike", "{\"product\": \"P1\", \"mentions\": 5.5, \"geo\": {\"region\": \"eu\"}, "
                                       "\"x\": 1}", why, field), -1);
    assert_int_equal(check(c, "spike", "{\"mentions\": 5, \"geo\": {\"region\": \"eu\"}, \"x\": 1}", why, field), -1);
    assert_string_equal(why, "data.product is missing, expected a string");
    assert_int_equal(check(c, "spike", "{\"product\": \"P\", \"mentions\": 5, \"geo\": {\"region\": 1}, \"x\": 1}",
                           why, field), -1);
    assert_string_equal(field, "data.geo.region");
    assert_int_equal(check(c, "spike", "{\"product\": \"P\", \"mentions\": 5, \"geo\": 1, \"x\": 1}", why, field), -1);
    assert_string_equal(field, "data.geo");
    assert_int_equal(check(c, "spike", "{\"product\": \"P\", \"mentions\": 5, \"geo\": {\"region\": \"r\"}, \"x\": 1,"
                                       " \"at\": \"soon\"}", why, field), -1);
    assert_string_equal(field, "data.at");
    assert_int_equal(check(c, "spike", "{\"product\": \"P\", \"mentions\": 5, \"geo\": {\"region\": \"r\"}}", why,
                           field), -1);
    assert_string_equal(field, "data.x");   /* any, but needed */
    assert_int_equal(check(c, "spike", "[1]", why, field), -1);
    assert_string_equal(field, "data");
    conn_file_free(file);
}

static void test_times(void **state)
{
    (void)state;
    assert_true(conn_is_time("2026-06-15T08:10:00Z"));
    assert_true(conn_is_time("2026-06-15T08:10:00.123+03:00"));
    assert_true(conn_is_time("2024-02-29T23:59:60-12:00"));
    assert_false(conn_is_time("2026-02-29T00:00:00Z"));
    assert_true(conn_is_time("2026-06-15 08:10:00Z"));   /* as every door reads times: civil_parse_time */
    assert_true(conn_is_time("2026-06-15T08:10:00.1234567891Z"));
    assert_true(conn_is_time("1970-01-01T00:00:00Z"));
    assert_false(conn_is_time("2026-06-15T08:10:00 Z"));
    assert_false(conn_is_time("2026-06-15T08:10:00"));
    assert_false(conn_is_time("2026-06-15T24:00:00Z"));
    assert_false(conn_is_time("2026-06-15T08:10:00.Z"));
    assert_false(conn_is_time("2026-06-15T08:10:00+0300"));
    assert_false(conn_is_time(""));
    assert_false(conn_is_time(NULL));
}

static long long ns_of(struct timespec t)
{
    return (long long)t.tv_sec * 1000000000LL + t.tv_nsec;
}

/* The quiet spell runs 300 us from the later of the last reply's going and the gather's
   last take; a round's first take does not count. */
static void test_quiet_spell(void **state)
{
    (void)state;
    struct timespec none = {0};
    /* Replies went at 5.000 s, nothing gathered since: the spell ends at 5.0003 s, so a
       lone request taken at 7 s (its replies long gone) ends the gather at once. */
    long long sent = 5000000000LL;
    assert_int_equal(ns_of(serve_quiet_end(sent, none)), 5000300000LL);
    /* A take at 5.0002 s, after the replies: the spell runs from it. */
    struct timespec took = {.tv_sec = 5, .tv_nsec = 200000};
    assert_int_equal(ns_of(serve_quiet_end(sent, took)), 5000500000LL);
    /* A take before the replies went: the replies count. */
    struct timespec earlier = {.tv_sec = 4, .tv_nsec = 999999000};
    assert_int_equal(ns_of(serve_quiet_end(sent, earlier)), 5000300000LL);
    /* Across a second's edge. */
    assert_int_equal(ns_of(serve_quiet_end(5999900000LL, none)), 6000200000LL);
    /* serve just started: no replies yet, no take: the spell is long over. */
    assert_int_equal(ns_of(serve_quiet_end(0, none)), 300000LL);
}

static void test_metrics(void **state)
{
    (void)state;
    ServeMetrics m;
    serve_metrics_init(&m);
    serve_metrics_commit(&m, 3, 1500);
    serve_metrics_commit(&m, 100, 70000);
    atomic_store(&m.refused[422], 2);
    char *text = serve_metrics_text(&m);
    assert_non_null(text);
    assert_non_null(strstr(text, "huddle_commit_latency_ms_bucket{le=\"1\"} 0\n"));
    assert_non_null(strstr(text, "huddle_commit_latency_ms_bucket{le=\"2\"} 1\n"));
    assert_non_null(strstr(text, "huddle_commit_latency_ms_bucket{le=\"+Inf\"} 2\n"));
    assert_non_null(strstr(text, "huddle_batch_size_bucket{le=\"4\"} 1\n"));
    assert_non_null(strstr(text, "huddle_batch_size_bucket{le=\"256\"} 2\n"));
    assert_non_null(strstr(text, "huddle_requests_refused_total{status=\"422\"} 2\n"));
    assert_null(strstr(text, "huddle_open_tasks "));   /* not known yet: not shown */
    free(text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_routes),
        cmocka_unit_test(test_queries),
        cmocka_unit_test(test_tokens),
        cmocka_unit_test(test_pointers),
        cmocka_unit_test(test_signatures),
        cmocka_unit_test(test_signer_reused),
        cmocka_unit_test(test_signer_keys),
        cmocka_unit_test(test_jobs_retired),
        cmocka_unit_test(test_webhook_map),
        cmocka_unit_test(test_event_types),
        cmocka_unit_test(test_times),
        cmocka_unit_test(test_quiet_spell),
        cmocka_unit_test(test_metrics),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
