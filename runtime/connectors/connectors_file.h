/*
 * connectors_file.h - the connectors file (../shared/design/RUNTIME.md, "Connectors"):
 * the one reader of it, for `huddle check --connectors`, `huddle deploy --connectors`
 * and the connectors the engine keeps in the store.
 *
 * A connectors file is a JSON object of connectors by name; each has a `kind` and the
 * fields of that kind, checked strictly (docs/runtime.md, "Connectors"):
 *
 *   webhook  secret_env, id, type, time (JSON pointers), events
 *   http     base_url (needed), token_env, timeout_ms, retries, operations (needed:
 *            {NAME: {method, path}}), events
 *   smtp     url, from (both needed), username_env, password_env; one operation, send
 *
 * Secrets are never in the file: a field that would hold one (secret, token,
 * password, ...) or a URL with a user:password@ in it is refused, and the *_env fields
 * hold names of environment variables. Nothing here reads the environment, and no
 * problem sentence repeats a value of the file, only its names.
 *
 * This folder sees lang/base/ and jansson only (the Makefile's INC_runtime/connectors).
 */
#ifndef HUDDLE_CONNECTORS_FILE_H
#define HUDDLE_CONNECTORS_FILE_H

#include <jansson.h>
#include <stdint.h>

typedef enum ConnKind { CONN_WEBHOOK, CONN_HTTP, CONN_SMTP } ConnKind;

/* What an http connector waits for one attempt, and how often it tries again, when the
   file does not say. */
#define CONN_TIMEOUT_MS_DEFAULT 10000
#define CONN_TIMEOUT_MS_MAX 600000
#define CONN_RETRIES_DEFAULT 3
#define CONN_RETRIES_MAX 100
/* The longest connector, operation or event type name, in bytes (an event's source is
   an id: text.h's TEXT_ID_MAX). */
#define CONN_NAME_MAX 256

typedef struct ConnOperation {
    const char *name, *method, *path;
} ConnOperation;

/* One connector. Strings point into the ConnFile's JSON; a field the file leaves out
   is NULL (or its default). */
typedef struct Connector {
    const char *name;
    ConnKind kind;
    /* webhook */
    const char *secret_env;
    const char *id_pointer, *type_pointer, *time_pointer;  /* default "/id", "/type", "/time" */
    /* http */
    const char *base_url, *token_env;
    int64_t timeout_ms, retries;
    /* the operations a playbook may call or send: http's from the file, smtp's "send" */
    ConnOperation *operations;
    unsigned operation_count;
    const char **operation_names;   /* the same names, as a list (for the checker) */
    /* smtp */
    const char *url, *from, *username_env, *password_env;
    /* webhook and http: {TYPE: {FIELD: "string" | "integer?" | ... | {nested}}}, or NULL */
    const json_t *events;
} Connector;

typedef struct ConnFile {
    json_t *json;                   /* owned; the strings above point into it */
    Connector *items;               /* in the file's order */
    unsigned count;
} ConnFile;

/* "webhook", "http", "smtp". */
const char *conn_kind_name(ConnKind kind);

/* Parses and checks a connectors file's JSON. Every problem is appended to `problems`
   as "connectors.NAME.field: what is wrong" (or "connectors: ..." for the whole) and
   NULL is returned when there is any, or when memory ran out (then the last problem
   says so). Takes a reference to `json`; the caller owns the result. */
ConnFile *conn_file_parse(json_t *json, json_t *problems);

/* Reads the file at `path` and parses it: each problem is appended as a whole line,
   "PATH: connectors.NAME.field: what is wrong", or "PATH:LINE:COLUMN: ..." for JSON
   that does not parse (duplicate names included). */
ConnFile *conn_file_load(const char *path, json_t *problems);

void conn_file_free(ConnFile *file);

/* The connector called `name`, or NULL. */
const Connector *conn_find(const ConnFile *file, const char *name);

/* Connector `c`'s operation called `name`, or NULL. */
const ConnOperation *conn_operation(const Connector *c, const char *name);

/* The http connector a channel "connector.operation" (a directory person's `notify`)
   goes through: the one of that name that has that operation (*operation points at the
   operation's name in `channel`), or NULL when the file has none. */
const Connector *conn_channel(const ConnFile *file, const char *channel, const char **operation);

/* The file as it is kept: every connector with its kind and fields, defaults written
   out (pointers, timeout_ms, retries), in the file's order; conn_file_parse reads it
   back to the same connectors. A new reference (NULL: out of memory). */
json_t *conn_file_json(const ConnFile *file);

/* What is wrong with `pointer` as a webhook's id, type or time pointer, or NULL: not ""
   or "/...", a '~' not starting ~0 or ~1, a key of more than CONN_NAME_MAX bytes
   (conn_json_pointer would never find it). */
const char *conn_pointer_problem(const char *pointer);

#endif
