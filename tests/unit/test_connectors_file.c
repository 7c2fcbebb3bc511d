/*
 * test_connectors_file.c - the connectors file (runtime/connectors/connectors_file.c):
 * RUNTIME.md "Connectors" (kinds webhook, http, smtp and their fields; secrets from the
 * environment, never the file) as docs/runtime.md details it: every problem listed as
 * "connectors.NAME.field: what is wrong", typed connectors with their defaults, and
 * the kept form read back to the same connectors.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "connectors_file.h"

#define EXAMPLE                                                                               \
    "{\"radian6\": {\"kind\": \"webhook\", \"secret_env\": \"RADIAN6_SECRET\", \"id\": \"/id\","  \
    " \"type\": \"/type\", \"time\": \"/at\","                                                 \
    " \"events\": {\"spike\": {\"product\": \"string\", \"mentions\": \"integer\","            \
    " \"region\": \"string?\", \"where\": {\"lat\": \"number\"}}}},"                          \
    " \"kb\": {\"kind\": \"http\", \"base_url\": \"http://127.0.0.1:9000\","                   \
    " \"token_env\": \"KB_TOKEN\", \"timeout_ms\": 2000, \"retries\": 5,"                      \
    " \"operations\": {\"lookup\": {\"method\": \"POST\", \"path\": \"/known\"}}},"            \
    " \"chatter\": {\"kind\": \"http\", \"base_url\": \"https://chatter.example\","            \
    " \"operations\": {\"post\": {\"method\": \"POST\", \"path\": \"/feed\"},"                 \
    " \"dm\": {\"method\": \"PUT\", \"path\": \"/messages\"}}},"                               \
    " \"mail\": {\"kind\": \"smtp\", \"url\": \"smtp://127.0.0.1:2525\","                      \
    " \"from\": \"huddle@example.com\", \"password_env\": \"SMTP_PASSWORD\"}}"

/* Parses `text`; *problems gets the problem list (the caller frees it). */
static ConnFile *parse(const char *text, json_t **problems)
{
    json_error_t error;
    json_t *json = json_loads(text, JSON_REJECT_DUPLICATES, &error);
    assert_non_null(json);
    *problems = json_array();
    ConnFile *file = conn_file_parse(json, *problems);
    json_decref(json);
    return file;
}

/* `text` is refused, and `want` is one of its problems, exactly. */
static void refused_with(const char *text, const char *want)
{
    json_t *problems;
    ConnFile *file = parse(text, &problems);
    assert_null(file);
    size_t i;
    json_t *p;
    bool found = false;
    json_array_foreach(problems, i, p)
        found |= strcmp(json_string_value(p), want) == 0;
    if (!found) {
        char *all = json_dumps(problems, JSON_INDENT(2));
        print_error("wanted \"%s\" among %s\n", want, all);
        free(all);
    }
    assert_true(found);
    json_decref(problems);
}

static void test_example(void **state)
{
    (void)state;
    json_t *problems;
    ConnFile *file = parse(EXAMPLE, &problems);
    assert_non_null(file);
    assert_int_equal(json_array_size(problems), 0);
    assert_int_equal(file->count, 4);
    assert_string_equal(file->items[0].name, "radian6");   /* the file's order */
    const Connector *r6 = conn_find(file, "radian6");
    assert_int_equal(r6->kind, CONN_WEBHOOK);
    assert_string_equal(r6->secret_env, "RADIAN6_SECRET");
    assert_string_equal(r6->time_pointer, "/at");
    assert_int_equal(r6->operation_count, 0);
    assert_non_null(json_object_get(r6->events, "spike"));
    const Connector *kb = conn_find(file, "kb");
    assert_int_equal(kb->kind, CONN_HTTP);
    assert_string_equal(kb->base_url, "http://127.0.0.1:9000");
    assert_string_equal(kb->token_env, "KB_TOKEN");
    assert_int_equal(kb->timeout_ms, 2000);
    assert_int_equal(kb->retries, 5);
    assert_int_equal(kb->operation_count, 1);
    assert_string_equal(kb->operations[0].name, "lookup");
    assert_string_equal(kb->operations[0].method, "POST");
    assert_string_equal(kb->operations[0].path, "/known");
    assert_string_equal(kb->operation_names[0], "lookup");
    assert_null(kb->operation_names[1]);
    const Connector *chatter = conn_find(file, "chatter");
    assert_int_equal(chatter->timeout_ms, CONN_TIMEOUT_MS_DEFAULT);
    assert_int_equal(chatter->retries, CONN_RETRIES_DEFAULT);
    assert_null(chatter->token_env);
    assert_int_equal(chatter->operation_count, 2);
    assert_string_equal(chatter->operations[1].method, "PUT");
    const Connector *mail = conn_find(file, "mail");
    assert_int_equal(mail->kind, CONN_SMTP);
    assert_string_equal(mail->from, "huddle@example.com");
    assert_string_equal(mail->password_env, "SMTP_PASSWORD");
    assert_int_equal(mail->operation_count, 1);   /* smtp's one operation */
    assert_string_equal(mail->operation_names[0], "send");
    assert_null(conn_find(file, "nobody"));
    conn_file_free(file);
    json_decref(problems);
}

/* Defaults are written out; the kept form parses back to itself. */
static void test_kept_form(void **state)
{
    (void)state;
    json_t *problems;
    ConnFile *file = parse("{\"w\": {\"kind\": \"webhook\"}, \"h\": {\"kind\": \"http\", \"base_url\": "
                           "\"http://h\", \"operations\": {\"o\": {\"method\": \"GET\", \"path\": \"/\"}}}}",
                           &problems);
    assert_non_null(file);
    json_t *kept = conn_file_json(file);
    char *text = json_dumps(kept, JSON_COMPACT | JSON_PRESERVE_ORDER);
    assert_string_equal(text, "{\"w\":{\"kind\":\"webhook\",\"id\":\"/id\",\"type\":\"/type\",\"time\":\"/time\"},"
                              "\"h\":{\"kind\":\"http\",\"base_url\":\"http://h\",\"timeout_ms\":10000,"
                              "\"retries\":3,\"operations\":{\"o\":{\"method\":\"GET\",\"path\":\"/\"}}}}");
    free(text);
    conn_file_free(file);
    json_decref(problems);
    file = parse(EXAMPLE, &problems);
    json_t *first = conn_file_json(file);
    ConnFile *again = conn_file_parse(first, problems);
    assert_non_null(again);
    json_t *second = conn_file_json(again);
    assert_true(json_equal(first, second));
    json_decref(first);
    json_decref(second);
    json_decref(kept);
    conn_file_free(again);
    conn_file_free(file);
    json_decref(problems);
}

static void test_kinds_and_needed_fields(void **state)
{
    (void)state;
    refused_with("{\"a\": {\"kind\": \"webhok\"}}",
                 "connectors.a.kind: unknown kind (did you mean 'webhook'?): a connector's kind is webhook, http or smtp");
    refused_with("{\"a\": {}}", "connectors.a.kind: missing: a connector's kind is webhook, http or smtp");
    refused_with("{\"a\": {\"kind\": 3}}", "connectors.a.kind: is not text: a connector's kind is webhook, http or smtp");
    refused_with("{\"a\": 3}", "connectors.a: is not a connector: a JSON object with a \"kind\" and its fields");
    refused_with("[]", "connectors: a connectors file is a JSON object of connectors by name, "
                       "{\"NAME\": {\"kind\": \"http\", ...}}");
    refused_with("{\"h\": {\"kind\": \"http\", \"operations\": {\"o\": {\"method\": \"GET\", \"path\": \"/\"}}}}",
                 "connectors.h.base_url: missing: an http connector calls a base URL, http:// or https://");
    refused_with("{\"h\": {\"kind\": \"http\", \"base_url\": \"ftp://x\", \"operations\": {\"o\": {\"method\": \"GET\", \"path\": \"/\"}}}}",
                 "connectors.h.base_url: is not an http:// or https:// URL");
    refused_with("{\"h\": {\"kind\": \"http\", \"base_url\": \"http://x\"}}",
                 "connectors.h.operations: missing: an http connector names its operations, "
                 "{\"NAME\": {\"method\": \"POST\", \"path\": \"/...\"}}");
    refused_with("{\"m\": {\"kind\": \"smtp\", \"from\": \"a@b\"}}",
                 "connectors.m.url: missing: an smtp connector sends through a server's URL, smtp:// or smtps://");
    refused_with("{\"m\": {\"kind\": \"smtp\", \"url\": \"smtp://x\"}}",
                 "connectors.m.from: missing: an smtp connector's mail comes from an address");
    refused_with("{\"m\": {\"kind\": \"smtp\", \"url\": \"smtp://x\", \"from\": \"nobody\"}}",
                 "connectors.m.from: is not an e-mail address (name@domain)");
}

static void test_operations(void **state)
{
    (void)state;
    /* {the file's "operations", the problem it gets} */
    static const char *const CASES[][2] = {
        {"{\"o\": {\"path\": \"/\"}}",
         "connectors.h.operations.o.method: missing: an operation has a method (GET, POST, PUT, PATCH or DELETE)"},
        {"{\"o\": {\"method\": \"GET\"}}",
         "connectors.h.operations.o.path: missing: an operation has a path, starting with /"},
        {"{\"o\": {\"method\": \"get\", \"path\": \"/\"}}",
         "connectors.h.operations.o.method: is not GET, POST, PUT, PATCH or DELETE (in capitals)"},
        {"{\"o\": {\"method\": \"GET\", \"path\": \"x\"}}",
         "connectors.h.operations.o.path: is not a path: it starts with /"},
        {"{\"o\": {\"method\": \"GET\", \"path\": \"/a b\"}}",
         "connectors.h.operations.o.path: has a path with a character a URL cannot hold unencoded (write it "
         "%XX-encoded)"},
        {"{\"o\": {\"method\": \"GET\", \"path\": \"/find#top\"}}",
         "connectors.h.operations.o.path: has a fragment ('#'): a fragment is never sent to the server (write a "
         "'#' in a path as %23)"},
        {"{\"o\": {\"method\": \"GET\", \"path\": \"/100%\"}}",
         "connectors.h.operations.o.path: has a path with a '%' that does not start a %XX escape (two hex digits)"},
        {"{\"o\": {\"method\": \"GET\", \"path\": \"/q\\u00e9\"}}",
         "connectors.h.operations.o.path: has a path with a character a URL cannot hold unencoded (write it "
         "%XX-encoded)"},
        {"{\"o\": {\"method\": \"GET\", \"path\": \"/\", \"body\": 1}}",
         "connectors.h.operations.o.body: unknown field: an operation has a method and a path"},
        {"{\"o\": [\"GET\"]}",
         "connectors.h.operations.o: is not an operation, {\"method\": \"POST\", \"path\": \"/...\"}"},
        {"{}",
         "connectors.h.operations: is not an object of one or more operations, {\"NAME\": {\"method\": \"POST\", "
         "\"path\": \"/...\"}}"},
        {"{\"look-up\": {\"method\": \"GET\", \"path\": \"/\"}}",
         "connectors.h.operations.look-up: is not a name a playbook can write: a letter or _, then letters, digits "
         "and _"},
    };
    const char *h = "{\"h\": {\"kind\": \"http\", \"base_url\": \"http://x\", \"operations\": %s}}";
    char text[512];
    for (size_t i = 0; i < sizeof CASES / sizeof CASES[0]; i++) {
        snprintf(text, sizeof text, h, CASES[i][0]);
        refused_with(text, CASES[i][1]);
    }
}

static void test_types_and_fields(void **state)
{
    (void)state;
    const char *ops = ", \"operations\": {\"o\": {\"method\": \"GET\", \"path\": \"/\"}}}}";
    char text[512];
    snprintf(text, sizeof text, "{\"h\": {\"kind\": \"http\", \"base_url\": \"http://x\", \"timeout_ms\": 0%s", ops);
    refused_with(text, "connectors.h.timeout_ms: is not a whole number from 1 to 600000");
    snprintf(text, sizeof text, "{\"h\": {\"kind\": \"http\", \"base_url\": \"http://x\", \"retries\": 1.5%s", ops);
    refused_with(text, "connectors.h.retries: is not a whole number from 0 to 100");
    snprintf(text, sizeof text, "{\"h\": {\"kind\": \"http\", \"base_url\": 7%s", ops);
    refused_with(text, "connectors.h.base_url: is not text");
    snprintf(text, sizeof text, "{\"h\": {\"kind\": \"http\", \"base_url\": \"http://x\", \"timeout\": 5%s", ops);
    refused_with(text, "connectors.h.timeout: unknown field (did you mean 'timeout_ms'?)");
    snprintf(text, sizeof text, "{\"h\": {\"kind\": \"http\", \"base_url\": \"http://x\", \"zzzzzzzz\": 5%s", ops);
    refused_with(text, "connectors.h.zzzzzzzz: unknown field: an http connector has kind, base_url, token_env, "
                       "timeout_ms, retries, operations and events");
    refused_with("{\"w\": {\"kind\": \"webhook\", \"url\": \"http://x\"}}",
                 "connectors.w.url: a webhook connector has no url (a field of smtp connectors)");
    refused_with("{\"w\": {\"kind\": \"webhook\", \"id\": \"id\"}}",
                 "connectors.w.id: is not a JSON pointer (\"\" or text starting with /, such as \"/id\")");
    refused_with("{\"w\": {\"kind\": \"webhook\", \"events\": {\"spike\": {\"n\": \"integr\"}}}}",
                 "connectors.w.events.spike.n: is not a type: string, integer, number, boolean, time, list, map or any "
                 "(with ? when the field is optional), or an object of nested fields");
    refused_with("{\"w\": {\"kind\": \"webhook\", \"events\": {\"spike\": {\"at\": {\"x\": \"integer??\"}}}}}",
                 "connectors.w.events.spike.at.x: is not a type: string, integer, number, boolean, time, list, map or any "
                 "(with ? when the field is optional), or an object of nested fields");
    refused_with("{\"m\": {\"kind\": \"smtp\", \"url\": \"smtp://x\", \"from\": \"a@b\", \"events\": {}}}",
                 "connectors.m.events: an smtp connector has no events (a field of webhook connectors)");
    refused_with("{\"a-b\": {\"kind\": \"webhook\"}}",
                 "connectors.a-b: is not a name a playbook can write: a letter or _, then letters, digits and _");
    /* the reserved source: POST /v1/events/directory is the directory's, never a connector's */
    refused_with("{\"directory\": {\"kind\": \"webhook\"}}",
                 "connectors.directory: is the reserved source of directory events (directory.away, "
                 "directory.back): name the connector otherwise");
}

/* Secrets are never in the file, and a refusal never repeats a value. */
static void test_secrets(void **state)
{
    (void)state;
    refused_with("{\"w\": {\"kind\": \"webhook\", \"secret\": \"hunter2\"}}",
                 "connectors.w.secret: secrets come from the environment, never the file: name the environment "
                 "variable in secret_env instead");
    refused_with("{\"m\": {\"kind\": \"smtp\", \"url\": \"smtp://x\", \"from\": \"a@b\", \"password\": \"hunter2\"}}",
                 "connectors.m.password: secrets come from the environment, never the file: name the environment "
                 "variable in password_env instead");
    refused_with("{\"h\": {\"kind\": \"http\", \"base_url\": \"http://x\", \"api_key\": \"hunter2\", "
                 "\"operations\": {\"o\": {\"method\": \"GET\", \"path\": \"/\"}}}}",
                 "connectors.h.api_key: secrets come from the environment, never the file: name the environment "
                 "variable in token_env instead");
    refused_with("{\"h\": {\"kind\": \"http\", \"base_url\": \"https://me:hunter2@x/\", "
                 "\"operations\": {\"o\": {\"method\": \"GET\", \"path\": \"/\"}}}}",
                 "connectors.h.base_url: holds credentials (user:password@): secrets come from the environment, "
                 "never the file: name the variable in token_env");
    refused_with("{\"w\": {\"kind\": \"webhook\", \"secret_env\": \"hunter2 is my secret\"}}",
                 "connectors.w.secret_env: is not the name of an environment variable (letters, digits and _, not "
                 "starting with a digit): it names where the secret is, never the secret itself");
    /* No problem of any of these repeats the secret. */
    json_t *problems;
    ConnFile *file = parse("{\"w\": {\"kind\": \"webhook\", \"secret\": \"hunter2\", \"secret_env\": \"hunter2!\"},"
                           " \"h\": {\"kind\": \"http\", \"base_url\": \"http://u:hunter2@x\", \"token\": \"hunter2\"}}",
                           &problems);
    assert_null(file);
    char *all = json_dumps(problems, 0);
    assert_null(strstr(all, "hunter2"));
    free(all);
    json_decref(problems);
}

/* A URL libcurl could not request, or would read otherwise than meant, is refused when
   the file is read (audit finding F4), and a URL that can be requested is kept. */
#define HTTP_WITH(url) "{\"h\": {\"kind\": \"http\", \"base_url\": \"" url "\", " \
                       "\"operations\": {\"o\": {\"method\": \"GET\", \"path\": \"/o\"}}}}"
static void test_urls(void **state)
{
    (void)state;
    const char *port = "connectors.h.base_url: has a port that is not a number from 1 to 65535";
    refused_with(HTTP_WITH("http://127.0.0.1:99999"), port);
    refused_with(HTTP_WITH("http://127.0.0.1:0"), port);
    refused_with(HTTP_WITH("http://127.0.0.1:"), port);
    refused_with(HTTP_WITH("http://127.0.0.1:80x/"), port);
    refused_with(HTTP_WITH("http://127.0.0.1:0000080"), port);
    const char *query = "connectors.h.base_url: has a query string or fragment ('?' or '#'): an operation's path "
                        "is appended to the URL, so it can hold neither (put parameters in the operation's path)";
    refused_with(HTTP_WITH("http://127.0.0.1:9000/v1?k=1"), query);
    refused_with(HTTP_WITH("https://kb.example?x"), query);
    refused_with(HTTP_WITH("https://kb.example/v1#top"), query);
    refused_with(HTTP_WITH("http://kb^example/"), "connectors.h.base_url: has a host name with a character a host "
                 "name cannot have (letters, digits, '-', '.' and '_'; write a name that is not ASCII in its xn-- form)");
    refused_with(HTTP_WITH("http://[::1/"), "connectors.h.base_url: has an IPv6 host that is not one (hex digits, "
                 "':' and '.' in brackets)");
    refused_with(HTTP_WITH("http://kb.example/a<b>"), "connectors.h.base_url: has a path with a character a URL "
                 "cannot hold unencoded (write it %XX-encoded)");
    refused_with("{\"m\": {\"kind\": \"smtp\", \"url\": \"smtp://127.0.0.1:70000\", \"from\": \"a@b\"}}",
                 "connectors.m.url: has a port that is not a number from 1 to 65535");
    const char *good[] = {HTTP_WITH("http://127.0.0.1:65535"), HTTP_WITH("https://kb.example.com/api/v1/"),
                          HTTP_WITH("http://[::1]:8080/x"), HTTP_WITH("http://my_host-1:1/a%20b/~c"),
                          "{\"h\": {\"kind\": \"http\", \"base_url\": \"http://x\", \"operations\": "
                          "{\"o\": {\"method\": \"GET\", \"path\": \"/search?q=a%20b&limit=5\"}}}}"};
    for (size_t i = 0; i < sizeof good / sizeof *good; i++) {
        json_t *problems;
        ConnFile *file = parse(good[i], &problems);
        if (!file)
            print_error("refused: %s\n", good[i]);
        assert_non_null(file);
        conn_file_free(file);
        json_decref(problems);
    }
}

/* Every problem is listed, not only the first; a problem list that already holds
   something is added to, never cut. */
static void test_all_listed(void **state)
{
    (void)state;
    json_error_t error;
    json_t *json = json_loads("{\"a\": {\"kind\": \"http\"}, \"b\": {\"kind\": \"smtp\"}, \"c\": {\"kind\": \"x\"}}", 0, &error);
    json_t *problems = json_pack("[s]", "earlier");
    assert_null(conn_file_parse(json, problems));
    assert_int_equal(json_array_size(problems), 6);
    assert_string_equal(json_string_value(json_array_get(problems, 0)), "earlier");
    assert_string_equal(json_string_value(json_array_get(problems, 1)),
                        "connectors.a.base_url: missing: an http connector calls a base URL, http:// or https://");
    json_decref(problems);
    json_decref(json);
}

/* conn_file_load names the file on every line, and where JSON does not parse. */
static void test_load(void **state)
{
    (void)state;
    char path[] = "/tmp/test_connectors_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    FILE *f = fdopen(fd, "w");
    fputs("{\"a\": {\"kind\": \"webhook\"},\n \"a\": {\"kind\": \"webhook\"}}\n", f);
    fclose(f);
    json_t *problems = json_array();
    assert_null(conn_file_load(path, problems));
    char want[128];
    snprintf(want, sizeof want, "%s:2:4: duplicate object key near '\"a\"'", path);
    assert_string_equal(json_string_value(json_array_get(problems, 0)), want);
    json_array_clear(problems);
    f = fopen(path, "w");
    fputs("{\"a\": {\"kind\": \"smtp\"}}", f);
    fclose(f);
    assert_null(conn_file_load(path, problems));
    snprintf(want, sizeof want, "%s: connectors.a.url: missing", path);
    assert_memory_equal(json_string_value(json_array_get(problems, 0)), want, strlen(want));
    json_array_clear(problems);
    f = fopen(path, "w");
    fputs(EXAMPLE, f);
    fclose(f);
    ConnFile *file = conn_file_load(path, problems);
    assert_non_null(file);
    assert_int_equal(json_array_size(problems), 0);
    conn_file_free(file);
    unlink(path);
    assert_null(conn_file_load(path, problems));
    assert_int_equal(json_array_size(problems), 1);
    json_decref(problems);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_example),
        cmocka_unit_test(test_kept_form),
        cmocka_unit_test(test_kinds_and_needed_fields),
        cmocka_unit_test(test_operations),
        cmocka_unit_test(test_types_and_fields),
        cmocka_unit_test(test_secrets),
        cmocka_unit_test(test_urls),
        cmocka_unit_test(test_all_listed),
        cmocka_unit_test(test_load),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
