/*
 * fuzz_serve_routes.c - libFuzzer target over what `huddle serve` reads of a request
 * before the engine sees it: the route of a method and path and the parameters of a
 * query (runtime/cli/cli_serve_route.c), the tokens file (cli_serve_tokens.c), and a
 * webhook body's mapping to an event and its check against the event's type
 * (runtime/connectors/connectors_events.c).
 *
 * The input is split at its first two newlines: METHOD \n PATH?QUERY \n BODY. An abort()
 * marks a broken promise:
 *
 *   - serve_route: SERVE_ROUTE_OK gives a route with a name whose parameter (when the
 *     route has one) is a well-formed id; SERVE_ROUTE_METHOD names GET or POST;
 *   - serve_query_get: a value found fits its buffer and holds no control character;
 *   - the door's quick reading of a body (serve_body_quick, cli_serve_body.c): whenever
 *     it reads one, value_json_load reads the same tree (json_equal, and the same
 *     compact dump in the same member order), and its compact text is that dump;
 *   - the body, when it is JSON (read as serve reads it, an id past 64 bits again
 *     exactly): conn_webhook_map succeeds only with an id (a text, or
 *     a whole number as its text) of 1 to 256 bytes and a type, and otherwise names a field that is one of the connector's
 *     pointers; conn_event_check refuses only with a field that starts with "data";
 *     serve_tokens_parse returns 0 exactly when it appended no problem, and every
 *     problem starts with "tokens".
 *
 * Everything is freed: a leak is a finding too.
 */
#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cli_serve.h"
#include "connectors_events.h"
#include "value_json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static ConnFile *connectors;

static void fuzz_setup(void)
{
    if (connectors)
        return;
    json_t *problems = json_array();
    json_t *json = json_loads("{\"r6\": {\"kind\": \"webhook\", \"id\": \"/meta/id\", \"type\": \"/kind\","
                              " \"time\": \"/at\", \"events\": {\"spike\": {\"product\": \"string\","
                              " \"mentions\": \"integer\", \"share\": \"number?\", \"at\": \"time?\","
                              " \"tags\": \"list?\", \"geo\": {\"region\": \"string\", \"deep\": {\"x\": \"boolean\"}},"
                              " \"x\": \"any\", \"m\": \"map?\"}}}}", 0, NULL);
    connectors = conn_file_parse(json, problems);
    json_decref(json);
    json_decref(problems);
    if (!connectors)
        abort();
}

static void fuzz_route(const char *method, const char *target)
{
    char path[1024];
    const char *q = strchr(target, '?');
    size_t n = q ? (size_t)(q - target) : strlen(target);
    if (n >= sizeof path)
        return;
    memcpy(path, target, n);
    path[n] = '\0';
    ServeRoute r;
    const char *allow;
    int rc = serve_route(method, path, &r, &allow);
    char buf[96];
    if (rc == SERVE_ROUTE_OK && (!r.name || (r.param[0] && text_id_problem(r.param, false, buf))))
        abort();
    if (rc == SERVE_ROUTE_METHOD && (!allow || (strcmp(allow, "GET") && strcmp(allow, "POST"))))
        abort();
    char value[64], bad[65];
    const char *query = q ? q + 1 : "";
    if (serve_query_get(query, "for", value, sizeof value) == 1)
        for (size_t i = 0; value[i]; i++)
            if ((unsigned char)value[i] < 0x20 || value[i] == 0x7f || i >= sizeof value - 1)
                abort();
    static const char *const ALLOWED[] = {"playbook", "status", NULL};
    if (!serve_query_only(query, ALLOWED, bad) && strlen(bad) > 64)
        abort();
    int problem = serve_query_once_each(query, bad);
    if (problem != SERVE_QUERY_FINE && strlen(bad) > 64)
        abort();   /* a refusal names the parameter, at most 64 bytes */
}

static void fuzz_quick(const char *body, size_t len)
{
    StrBuf compact = STRBUF_INIT;
    json_t *quick = serve_body_quick(body, len, &compact);
    if (quick) {
        char why[300];
        json_t *slow = value_json_load(body, len, JSON_REJECT_DUPLICATES, 0, why, sizeof why);
        char *a = json_dumps(quick, JSON_COMPACT | JSON_ENCODE_ANY);
        char *b = slow ? json_dumps(slow, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
        if (!slow || !json_equal(quick, slow) || !a || !b || strcmp(a, b) != 0 || strcmp(strbuf_text(&compact), b) != 0)
            abort();
        free(a);
        free(b);
        json_decref(slow);
    } else if (compact.len) {
        abort();
    }
    json_decref(quick);
    strbuf_free(&compact);
}

static void fuzz_body(const char *body, size_t len)
{
    fuzz_quick(body, len);
    char why[512], field[300];
    json_t *json = value_json_load(body, len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, 0, why, sizeof why);
    if (!json)
        return;
    const Connector *c = conn_find(connectors, "r6");
    ConnEvent ev;
    json_t *exact = conn_webhook_id_inexact(c, json) ? value_json_load_exact(body, len, JSON_REJECT_DUPLICATES |
                                                                             JSON_DECODE_ANY, 0, why, sizeof why)
                                                     : NULL;
    int mapped = conn_webhook_map(c, json, exact, &ev, why, sizeof why, field, sizeof field);
    json_decref(exact);
    if (mapped == 0) {
        if (!ev.id || !*ev.id || strlen(ev.id) > TEXT_ID_MAX || !ev.type)
            abort();
    } else if (strcmp(field, "/meta/id") && strcmp(field, "/kind") && strcmp(field, "/at")) {
        abort();
    }
    if (conn_event_check(c, "spike", json, why, sizeof why, field, sizeof field) != 0 && strncmp(field, "data", 4))
        abort();
    json_t *problems = json_array();
    ServeTokens tokens;
    int rc = serve_tokens_parse(json, &tokens, problems);
    if ((rc == 0) != (json_array_size(problems) == 0))
        abort();
    size_t i;
    json_t *p;
    json_array_foreach(problems, i, p)
        if (strncmp(json_string_value(p), "tokens", 6) != 0)
            abort();
    serve_tokens_free(&tokens);
    json_decref(problems);
    json_decref(json);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_setup();
    char *text = malloc(size + 1);
    if (!text)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    char *nl1 = memchr(text, '\n', size);
    char *nl2 = nl1 ? memchr(nl1 + 1, '\n', size - (size_t)(nl1 + 1 - text)) : NULL;
    if (nl1 && nl2 && !memchr(text, '\0', (size_t)(nl2 - text))) {
        *nl1 = *nl2 = '\0';
        fuzz_route(text, nl1 + 1);
        fuzz_body(nl2 + 1, size - (size_t)(nl2 + 1 - text));
    }
    free(text);
    return 0;
}
