/*
 * engine_connectors.c - the connectors the store keeps (RUNTIME.md, "Connectors"):
 * `deploy --connectors F` stores them in the same transaction as its playbooks, so
 * `tick` and `serve` can deliver without the file; engine_connectors reads them back.
 *
 * They are kept in meta under "connectors", in the form conn_file_json writes
 * (runtime/connectors/connectors_file.h): kinds, URLs, operations and the *names* of
 * the environment variables that hold secrets, never a secret. Both ways they pass
 * conn_file_parse: what does not check is refused on the way in and is damage on the
 * way out.
 */
#include "engine_internal.h"

#include <stdio.h>
#include <string.h>

#include "connectors_file.h"

#define CONNECTORS_KEY store_bytes("connectors", 10)

/* The canonical form of `json` in *out (a new reference), or a refusal naming its first
   problem and how many more there are. */
static int connectors_checked(Step *s, const json_t *json, json_t **out)
{
    json_t *problems = json_array();
    ConnFile *file = problems ? conn_file_parse((json_t *)json, problems) : NULL;
    *out = file ? conn_file_json(file) : NULL;
    size_t count = json_array_size(problems);
    int rc = STORE_OK;
    if (!file && count)
        rc = step_fail(s, ENGINE_REFUSED, "the connectors do not check: %s%s", json_string_value(json_array_get(problems, 0)),
                       count > 1 ? " (and more)" : "");
    else if (!*out)
        rc = step_fail(s, ENGINE_NO_MEMORY, "out of memory");
    conn_file_free(file);
    json_decref(problems);
    return rc;
}

typedef struct DeploySetWork {
    EngineDeployItem *items;
    size_t count;
    const json_t *connectors;
} DeploySetWork;

static int deploy_set_work(Step *s, void *context)
{
    DeploySetWork *d = context;
    int rc = STORE_OK;
    for (size_t i = 0; rc == STORE_OK && i < d->count; i++)
        rc = step_deploy(s, d->items[i].bytecode, d->items[i].len, d->items[i].hash);
    if (rc != STORE_OK || !d->connectors)
        return rc;
    json_t *kept;
    rc = connectors_checked(s, d->connectors, &kept);
    if (rc == STORE_OK)
        rc = engine_put_json(s, TABLE_META, CONNECTORS_KEY, kept);
    json_decref(kept);
    return rc;
}

int engine_deploy_set(Engine *e, EngineDeployItem *items, size_t count, const json_t *connectors,
                      int64_t now, char *why, size_t why_len)
{
    DeploySetWork d = {items, count, connectors};
    return engine_run_input(e, now, deploy_set_work, &d, why, why_len);
}

static int connectors_work(Step *s, void *context)
{
    json_t **out = context, *json;
    int rc = engine_get_json(s, TABLE_META, CONNECTORS_KEY, &json);
    if (rc == STORE_NOT_FOUND)
        return STORE_OK;   /* none kept */
    if (rc != STORE_OK)
        return rc;
    rc = connectors_checked(s, json, out);
    json_decref(json);
    if (rc == ENGINE_REFUSED) {
        char what[300];
        snprintf(what, sizeof what, "does not check (%s)", s->why);
        rc = step_damaged(s, TABLE_META, CONNECTORS_KEY, what);
    }
    return rc;
}

int engine_connectors(Engine *e, json_t **connectors, char *why, size_t why_len)
{
    *connectors = NULL;
    int rc = engine_read(e, connectors_work, connectors, why, why_len);
    if (rc != ENGINE_OK) {
        json_decref(*connectors);
        *connectors = NULL;
    }
    return rc;
}
