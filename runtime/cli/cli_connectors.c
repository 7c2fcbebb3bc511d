/*
 * cli_connectors.c - connectors for the commands that use them: a connectors file
 * read and checked by runtime/connectors/ (its problems printed, all of them), or the
 * connectors a store keeps, made into the checker's list of connectors and operations
 * (`huddle check --connectors`, `huddle deploy`). One loader serves both commands, so
 * they agree on what is an error.
 */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "check.h"
#include "cli.h"
#include "connectors_file.h"
#include "directory.h"

/* Appends the fields of `fields` (an event type's, or a nested map's) under `prefix`. */
static void cli_event_fields(Arena *arena, const char *event, const char *prefix, const json_t *fields,
                             CheckEventField **items, unsigned *count, unsigned *cap)
{
    const char *name;
    json_t *type;
    json_object_foreach((json_t *)fields, name, type) {
        arena_grow(arena, (void **)items, cap, *count + 1, sizeof **items);
        char *path = prefix[0] ? arena_printf(arena, "%s.%s", prefix, name) : arena_printf(arena, "%s", name);
        bool described = json_is_object(type);
        (*items)[(*count)++] = (CheckEventField){event, path, described ? "map" : json_string_value(type), described};
        if (described)
            cli_event_fields(arena, event, path, type, items, count, cap);
    }
}

/* The checker's view of connector c's typed events. */
static void cli_connector_events(Arena *arena, const Connector *c, CheckConnector *item)
{
    CheckEventField *items = NULL;
    unsigned count = 0, cap = 0;
    const char *type;
    json_t *fields;
    json_object_foreach((json_t *)c->events, type, fields)
        cli_event_fields(arena, type, "", fields, &items, &count, &cap);
    item->fields = items;
    item->field_count = count;
}

int cli_connectors_adopt(CliConnectors *out, ConnFile *file)
{
    memset(out, 0, sizeof *out);
    out->file = file;
    out->items = calloc(file->count + 1, sizeof *out->items);
    out->arena = malloc(sizeof *out->arena);
    if (!out->items || !out->arena) {
        fprintf(stderr, "huddle: out of memory\n");
        return CLI_SYSTEM;
    }
    arena_init(out->arena);
    for (unsigned i = 0; i < file->count; i++) {
        const Connector *c = &file->items[i];
        out->items[i] = (CheckConnector){c->name, conn_kind_name(c->kind), c->operation_names, c->operation_count,
                                         NULL, 0};
        cli_connector_events(out->arena, c, &out->items[i]);
    }
    out->count = file->count;
    return CLI_OK;
}

int cli_connectors_load(const char *path, CliConnectors *out)
{
    memset(out, 0, sizeof *out);
    json_t *problems = json_array();
    ConnFile *file = problems ? conn_file_load(path, problems) : NULL;
    size_t i;
    json_t *problem;
    json_array_foreach(problems, i, problem)
        fprintf(stderr, "%s\n", cli_clean(json_string_value(problem)));
    if (!problems)
        fprintf(stderr, "huddle: out of memory\n");
    json_decref(problems);
    if (!file)
        return problems ? CLI_REFUSED : CLI_SYSTEM;
    return cli_connectors_adopt(out, file);
}

void cli_connectors_options(const CliConnectors *connectors, CheckOptions *options)
{
    options->connectors = connectors->file ? connectors->items : NULL;
    options->connector_count = connectors->count;
}

void cli_connectors_free(CliConnectors *connectors)
{
    if (connectors->arena)
        arena_free(connectors->arena);
    free(connectors->arena);
    free(connectors->items);
    conn_file_free(connectors->file);
    memset(connectors, 0, sizeof *connectors);
}

/* ---- showing them ---- */

static void cli_connector_print(const Connector *c)
{
    printf("%s (%s): ", cli_clean(c->name), conn_kind_name(c->kind));
    switch (c->kind) {
    case CONN_WEBHOOK:
        if (c->secret_env)
            printf("signed with the secret in $%s; ", cli_clean(c->secret_env));
        else
            printf("unsigned; ");
        printf("id %s, type %s, time %s\n", cli_clean(c->id_pointer), cli_clean(c->type_pointer),
               cli_clean(c->time_pointer));
        break;
    case CONN_HTTP:
        printf("%s", cli_clean(c->base_url));
        if (c->token_env)
            printf(", token in $%s", cli_clean(c->token_env));
        printf(", timeout %lld ms, %lld retries\n", (long long)c->timeout_ms, (long long)c->retries);
        for (unsigned i = 0; i < c->operation_count; i++)
            printf("  %s: %s %s\n", cli_clean(c->operations[i].name), cli_clean(c->operations[i].method),
                   cli_clean(c->operations[i].path));
        break;
    case CONN_SMTP:
        printf("%s from %s", cli_clean(c->url), cli_clean(c->from));
        if (c->username_env)
            printf(", user in $%s", cli_clean(c->username_env));
        if (c->password_env)
            printf(", password in $%s", cli_clean(c->password_env));
        printf("\n");
        break;
    }
    const char *type;
    json_t *fields;
    json_object_foreach((json_t *)c->events, type, fields)
        printf("  event %s: %zu field%s\n", cli_clean(type), json_object_size(fields),
               json_object_size(fields) == 1 ? "" : "s");
}

int cli_connectors_print(const json_t *kept, bool as_json)
{
    if (as_json) {
        json_t *out = json_pack("{s:O}", "connectors", kept ? (json_t *)kept : json_null());
        char *text = out ? cli_json_dumps(out, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
        if (text)
            printf("%s\n", text);
        free(text);
        json_decref(out);
        return text ? CLI_OK : CLI_SYSTEM;
    }
    if (!kept) {
        printf("no connectors are kept (huddle deploy --connectors FILE keeps them)\n");
        return CLI_OK;
    }
    json_t *problems = json_array();
    ConnFile *file = problems ? conn_file_parse((json_t *)kept, problems) : NULL;
    json_decref(problems);
    if (!file) {
        fprintf(stderr, "huddle: connectors: the kept connectors cannot be shown (out of memory)\n");
        return CLI_SYSTEM;
    }
    if (file->count == 0)
        printf("the kept connectors file names no connectors\n");
    for (unsigned i = 0; i < file->count; i++)
        cli_connector_print(&file->items[i]);
    conn_file_free(file);
    return CLI_OK;
}

void cli_connectors_warn_directory(const CliConnectors *connectors, const Directory *dir)
{
    if (!connectors->file || !dir)
        return;
    bool smtp = false;
    for (unsigned i = 0; i < connectors->file->count; i++)
        smtp |= connectors->file->items[i].kind == CONN_SMTP;
    unsigned by_mail = 0;
    const char *first = NULL, *operation;
    for (unsigned i = 0; i < dir->person_count; i++) {
        const DirPerson *p = &dir->people[i];
        if (p->notify && !conn_channel(connectors->file, p->notify, &operation))
            fprintf(stderr, "huddle: warning: directory: %s is told through %s, which no http connector has: "
                    "messages to %s will wait in the outbox\n", cli_clean(p->id), cli_clean(p->notify), cli_clean(p->id));
        if (!p->notify && p->email && !by_mail++)
            first = p->id;
    }
    if (by_mail && !smtp)
        fprintf(stderr, "huddle: warning: directory: %u %s told by e-mail (%s%s), but the connectors have no smtp "
                "connector: mail will wait in the outbox\n", by_mail, by_mail == 1 ? "person is" : "people are",
                cli_clean(first), by_mail > 1 ? ", ..." : "");
}
