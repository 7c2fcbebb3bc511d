/*
 * check.h - the checker: names, types, paths and every rule of "What the checker
 * refuses" in ../shared/design/LANGUAGE.md, with its warnings.
 *
 * It reads a parsed program and adds diagnostics; it changes nothing but the `type`
 * field of expressions. Modules named by `use` are parsed and checked on the way.
 */
#ifndef HUDDLE_CHECK_H
#define HUDDLE_CHECK_H

#include <stdbool.h>

#include "ast.h"
#include "diag.h"

/* Static types the checker can see. TYPE_ANY is dynamic data (events, replies). */
typedef enum CheckType {
    TYPE_ANY, TYPE_NULL, TYPE_BOOL, TYPE_INT, TYPE_FLOAT, TYPE_STRING, TYPE_DURATION,
    TYPE_BUSINESS, TYPE_TIME, TYPE_LIST, TYPE_MAP
} CheckType;

const char *check_type_name(CheckType type);

/* A connector from a connectors file, for `huddle check --connectors`. */
/* One field of an event type (RUNTIME.md v1.2, "Event types"): its dotted path from
   the event's data ("product", "geo.region") and its type word ("string", "integer?",
   ...; "map" for an object of nested fields, which are listed after it). */
typedef struct CheckEventField {
    const char *event;              /* the event type's name */
    const char *path;
    const char *type;
    bool described;                 /* a nested object: only its listed fields are read
                                       below it. A "map" without it, like "any", holds
                                       keys not described, read untyped */
} CheckEventField;

typedef struct CheckConnector {
    const char *name;
    const char *kind;               /* "webhook", "http", "smtp" */
    const char *const *operations;  /* names of its operations */
    unsigned operation_count;
    const CheckEventField *fields;  /* the fields of its typed events (serve, issue 12) */
    unsigned field_count;
} CheckConnector;

typedef struct CheckOptions {
    const CheckConnector *connectors;   /* NULL: connectors are not checked */
    unsigned connector_count;
} CheckOptions;

/* Checks `program` (parsed into `arena`), adding diagnostics to `diags`. */
void check_program(Arena *arena, const AstProgram *program, const CheckOptions *options,
                   DiagList *diags);

#endif
