/*
 * fuzz_connectors.c - libFuzzer target over the connectors file's reader
 * (runtime/connectors/connectors_file.c), the one that `huddle check --connectors`,
 * `huddle deploy --connectors` and the store's kept connectors go through.
 *
 * Each input is read as JSON the way conn_file_load reads a file (json_loadb with
 * JSON_REJECT_DUPLICATES); input that is not JSON is skipped. The JSON goes to
 * conn_file_parse with a problems array that already holds one item, and an abort()
 * below marks a broken promise of connectors_file.h:
 *
 *   - it returns NULL exactly when it appended a problem, and it leaves what was in the
 *     array alone;
 *   - every problem is a string "connectors: ..." or "connectors.NAME...: ..." whose
 *     NAME is a top-level key of the document;
 *   - a file it returns holds every connector of the document, in order, each found by
 *     its name (conn_find), of a kind there is; an http connector has at least one
 *     operation, each with a method and a path starting with /, a base_url, a timeout
 *     and retries within their limits; an smtp connector has one operation, send, a url
 *     and a from; a webhook has its three pointers; operation_names lists the
 *     operations, NULL-ended;
 *   - the kept form (conn_file_json) parses back without a problem to the same kept
 *     form.
 *
 * Everything is freed: a leak is a finding too. Seeded with
 * tests/fuzz/seeds-fuzz_connectors/, with the dictionary tests/fuzz/fuzz_connectors.dict.
 */
#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "connectors_file.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* "connectors: ..." or "connectors.KEY" then ".", ":" for a top-level KEY. */
static int problem_has_path(json_t *json, const char *text)
{
    if (strncmp(text, "connectors: ", 12) == 0)
        return 1;
    if (strncmp(text, "connectors.", 11) != 0 || !json_is_object(json))
        return 0;
    text += 11;
    const char *key;
    json_t *value;
    json_object_foreach(json, key, value) {
        size_t len = strlen(key);
        if (strncmp(text, key, len) == 0 && (text[len] == '.' || text[len] == ':'))
            return 1;
    }
    return 0;
}

static void check_problems(json_t *json, json_t *problems)
{
    const char *first = json_string_value(json_array_get(problems, 0));
    if (json_array_size(problems) < 1 || !first || strcmp(first, "sentinel") != 0)
        abort();   /* it touched problems it did not make */
    for (size_t i = 1; i < json_array_size(problems); i++) {
        const char *text = json_string_value(json_array_get(problems, i));
        if (!text || !problem_has_path(json, text))
            abort();   /* a problem that is not "connectors.NAME.field: what" */
    }
}

static void check_connector(const ConnFile *file, const Connector *c)
{
    if (conn_find(file, c->name) != c || !c->operation_names || c->operation_names[c->operation_count])
        abort();
    for (unsigned i = 0; i < c->operation_count; i++)
        if (strcmp(c->operation_names[i], c->operations[i].name) != 0)
            abort();
    switch (c->kind) {
    case CONN_WEBHOOK:
        if (!c->id_pointer || !c->type_pointer || !c->time_pointer || c->operation_count)
            abort();
        break;
    case CONN_HTTP:
        if (!c->base_url || c->operation_count < 1 || c->timeout_ms < 1 || c->timeout_ms > CONN_TIMEOUT_MS_MAX ||
            c->retries < 0 || c->retries > CONN_RETRIES_MAX)
            abort();
        for (unsigned i = 0; i < c->operation_count; i++)
            if (!c->operations[i].method || !c->operations[i].path || c->operations[i].path[0] != '/')
                abort();
        break;
    case CONN_SMTP:
        if (!c->url || !c->from || c->operation_count != 1 || strcmp(c->operations[0].name, "send") != 0)
            abort();
        break;
    default:
        abort();
    }
}

/* The kept form reads back to itself. */
static void check_kept(const ConnFile *file)
{
    json_t *kept = conn_file_json(file);
    json_t *problems = json_array();
    if (!kept || !problems)
        abort();
    ConnFile *again = conn_file_parse(kept, problems);
    json_t *twice = again ? conn_file_json(again) : NULL;
    if (!again || json_array_size(problems) || !json_equal(kept, twice) || again->count != file->count)
        abort();
    json_decref(twice);
    conn_file_free(again);
    json_decref(problems);
    json_decref(kept);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    json_error_t error;
    json_t *json = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, &error);
    if (!json)
        return 0;
    json_t *problems = json_pack("[s]", "sentinel");
    ConnFile *file = conn_file_parse(json, problems);
    check_problems(json, problems);
    if ((file == NULL) != (json_array_size(problems) > 1))
        abort();   /* NULL exactly when there are problems */
    json_decref(problems);
    if (file) {
        if (file->count != json_object_size(json))
            abort();   /* accepted, yet a connector of the document is missing */
        const char *key;
        json_t *value;
        unsigned i = 0;
        json_object_foreach(json, key, value)
            if (strcmp(file->items[i++].name, key) != 0)
                abort();   /* not in the file's order */
        for (i = 0; i < file->count; i++)
            check_connector(file, &file->items[i]);
        check_kept(file);
    }
    conn_file_free(file);
    json_decref(json);
    return 0;
}
