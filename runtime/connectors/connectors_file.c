/*
 * connectors_file.c - reads and checks a connectors file into Connectors, and writes
 * the form the store keeps (see connectors_file.h).
 *
 * Checking goes on past the first problem so that a person sees every one at once;
 * each is "connectors.NAME.field: what is wrong", naming fields, never their values.
 */
#include "connectors_file.h"
#include "json_file.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "text.h"

/* One parse: where problems go, and whether memory ran out on the way. */
typedef struct ConnParse {
    json_t *problems;
    bool no_memory;
} ConnParse;

static const char *const KIND_NAMES[] = {"webhook", "http", "smtp"};
static const char *const KIND_A[] = {"a webhook", "an http", "an smtp"};
#define KIND_COUNT 3

/* The fields of each kind, and the one that names its secret's variable. */
static const char *const KIND_FIELDS[KIND_COUNT][8] = {
    {"kind", "secret_env", "id", "type", "time", "events", NULL},
    {"kind", "base_url", "token_env", "timeout_ms", "retries", "operations", "events", NULL},
    {"kind", "url", "from", "username_env", "password_env", NULL},
};
static const char *const SECRET_FIELD[KIND_COUNT] = {"secret_env", "token_env", "password_env"};
/* Words that make a field name one that would hold a secret inline. */
static const char *const SECRET_WORDS[] = {"secret", "token", "password", "passwd", "api_key",
                                           "apikey", "credential", "auth", NULL};
static const char *const METHODS[] = {"GET", "POST", "PUT", "PATCH", "DELETE", NULL};
static const char *const EVENT_TYPES[] = {"string", "integer", "number", "boolean", "time",
                                          "list", "map", "any", NULL};
/* How deep event types may nest maps in maps. */
#define EVENTS_DEPTH_MAX 32

const char *conn_kind_name(ConnKind kind)
{
    return (unsigned)kind < KIND_COUNT ? KIND_NAMES[kind] : "?";
}

/* ---- problems ---- */

/* Appends "PATH[.FIELD]: message"; a failed allocation is remembered instead. */
static void conn_problem(ConnParse *p, const char *path, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void conn_problem(ConnParse *p, const char *path, const char *field, const char *fmt, ...)
{
    va_list args;
    va_start(args, fmt);
    json_t *message = json_vsprintf(fmt, args);
    va_end(args);
    json_t *line = message ? json_sprintf("%s%s%s: %s", path, field ? "." : "", field ? field : "",
                                          json_string_value(message)) : NULL;
    json_decref(message);
    if (!line || json_array_append_new(p->problems, line) != 0)
        p->no_memory = true;
}

/* "PATH.NAME", owned by the caller (NULL: out of memory, remembered). */
static char *conn_path(ConnParse *p, const char *path, const char *name)
{
    size_t a = strlen(path), b = strlen(name);
    char *out = malloc(a + b + 2);
    if (!out) {
        p->no_memory = true;
        return NULL;
    }
    memcpy(out, path, a);
    out[a] = '.';
    memcpy(out + a + 1, name, b + 1);
    return out;
}

static bool conn_in(const char *const *list, const char *word)
{
    for (; *list; list++)
        if (strcmp(*list, word) == 0)
            return true;
    return false;
}

/* What is wrong with `name` as a connector, operation or event type name, or NULL:
   playbooks write it as a name (a letter or _, then letters, digits and _). */
static const char *conn_name_problem(const char *name, char buf[96])
{
    size_t len = strlen(name);
    if (len == 0)
        return "is an empty name";
    if (len > CONN_NAME_MAX) {
        snprintf(buf, 96, "is a name of %zu bytes, more than the %d a name may have", len, CONN_NAME_MAX);
        return buf;
    }
    for (size_t i = 0; i < len; i++) {
        char c = name[i];
        bool letter = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
        if (!letter && !(i > 0 && c >= '0' && c <= '9'))
            return "is not a name a playbook can write: a letter or _, then letters, digits and _";
    }
    return NULL;
}

/* ---- fields ---- */

/* An optional text field: NULL when absent; a problem when it is not non-empty text
   without control characters. */
static const char *conn_text(ConnParse *p, const json_t *spec, const char *path, const char *key)
{
    const json_t *value = json_object_get(spec, key);
    if (!value)
        return NULL;
    const char *text = json_string_value(value);
    if (!text) {
        conn_problem(p, path, key, "is not text");
        return NULL;
    }
    size_t len = json_string_length(value);
    if (len == 0 || strlen(text) != len) {
        conn_problem(p, path, key, len == 0 ? "is empty" : "holds a NUL character");
        return NULL;
    }
    for (size_t i = 0; i < len; i++)
        if (text_control_length((const unsigned char *)text + i, len - i)) {
            conn_problem(p, path, key, "holds a control character");
            return NULL;
        }
    return text;
}

static const char *conn_needed(ConnParse *p, const json_t *spec, const char *path, const char *key,
                               const char *what)
{
    if (!json_object_get(spec, key)) {
        conn_problem(p, path, key, "missing: %s", what);
        return NULL;
    }
    return conn_text(p, spec, path, key);
}

/* A *_env field: the name of an environment variable, never the secret itself. */
static const char *conn_env(ConnParse *p, const json_t *spec, const char *path, const char *key)
{
    const char *name = conn_text(p, spec, path, key);
    if (!name)
        return NULL;
    for (const char *c = name; *c; c++) {
        bool letter = (*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || *c == '_';
        if (!letter && !(c > name && *c >= '0' && *c <= '9')) {
            conn_problem(p, path, key, "is not the name of an environment variable (letters, digits and _, "
                         "not starting with a digit): it names where the secret is, never the secret itself");
            return NULL;
        }
    }
    return name;
}

const char *conn_pointer_problem(const char *pointer)
{
    if (*pointer && *pointer != '/')
        return "is not a JSON pointer (\"\" or text starting with /, such as \"/id\")";
    size_t key = 0;
    for (const char *p = pointer; *p; p++) {
        if (*p == '/') {
            key = 0;
            continue;
        }
        if (*p == '~' && p[1] != '0' && p[1] != '1')
            return "has a '~' that is not ~0 or ~1 (RFC 6901: ~0 stands for '~' and ~1 for '/' in a key)";
        p += *p == '~';
        if (++key > CONN_NAME_MAX)
            return "has a key longer than 256 bytes, which no event is looked up by";
    }
    return NULL;
}

/* A JSON pointer into an event's body ("" or "/a/b"), `fallback` when absent. */
static const char *conn_pointer(ConnParse *p, const json_t *spec, const char *path, const char *key,
                                const char *fallback)
{
    if (!json_object_get(spec, key))
        return fallback;
    const json_t *value = json_object_get(spec, key);
    const char *text = json_string_value(value);
    const char *problem = !text || strlen(text) != json_string_length(value)
                              ? "is not a JSON pointer (\"\" or text starting with /, such as \"/id\")"
                              : conn_pointer_problem(text);
    if (problem) {
        conn_problem(p, path, key, "%s", problem);
        return NULL;
    }
    return text;
}

static int64_t conn_integer(ConnParse *p, const json_t *spec, const char *path, const char *key,
                            int64_t min, int64_t max, int64_t fallback)
{
    const json_t *value = json_object_get(spec, key);
    if (!value)
        return fallback;
    if (!json_is_integer(value) || json_integer_value(value) < min || json_integer_value(value) > max) {
        conn_problem(p, path, key, "is not a whole number from %lld to %lld", (long long)min, (long long)max);
        return fallback;
    }
    return (int64_t)json_integer_value(value);
}

/* What is wrong with a URL's path (and, when `query_allowed`, its query), or NULL: the
   characters RFC 3986 allows there, each other byte %XX-encoded; never a fragment. */
static const char *conn_uri_path_problem(const char *at, bool query_allowed)
{
    for (; *at; at++) {
        if (*at == '%' && !(isxdigit((unsigned char)at[1]) && isxdigit((unsigned char)at[2])))
            return "has a path with a '%' that does not start a %XX escape (two hex digits)";
        if (*at == '?' && query_allowed)
            continue;
        if (*at == '#')
            return "has a fragment ('#'): a fragment is never sent to the server (write a '#' in a path as %23)";
        if (!isalnum((unsigned char)*at) && !strchr("/-._~%!$&'()*+,;=:@", *at))
            return "has a path with a character a URL cannot hold unencoded (write it %XX-encoded)";
    }
    return NULL;
}

/* What is wrong with a URL past its scheme (host, port, path), or NULL: what libcurl
   would refuse or read otherwise than meant is refused when the file is checked, not
   tried again and again at delivery. A host is a name or IPv4 address (letters, digits,
   '-', '.', '_') or an IPv6 one in brackets; a port 1 to 65535; a path the characters
   RFC 3986 allows in one. A query or fragment is refused: an operation's path is
   appended to the URL, and would land inside it. No sentence repeats the value. */
static const char *conn_url_problem(const char *rest)
{
    size_t host = rest[0] == '[' ? strcspn(rest, "]") + 1 : strcspn(rest, ":/?#");
    if (rest[0] == '[' && (rest[host - 1] != ']' || host < 3 || strspn(rest + 1, "0123456789abcdefABCDEF:.") != host - 2))
        return "has an IPv6 host that is not one (hex digits, ':' and '.' in brackets)";
    if (rest[0] != '[' && (host == 0 || strspn(rest, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._") != host))
        return "has a host name with a character a host name cannot have (letters, digits, '-', '.' and '_'; "
               "write a name that is not ASCII in its xn-- form)";
    const char *at = rest + host;
    if (*at == ':') {
        size_t digits = strspn(at + 1, "0123456789");
        long port = digits && digits <= 5 ? strtol(at + 1, NULL, 10) : 0;
        if (port < 1 || port > 65535 || (at[1 + digits] && at[1 + digits] != '/' && at[1 + digits] != '?' && at[1 + digits] != '#'))
            return "has a port that is not a number from 1 to 65535";
        at += 1 + digits;
    }
    if (strpbrk(at, "?#"))
        return "has a query string or fragment ('?' or '#'): an operation's path is appended to the URL, so it can "
               "hold neither (put parameters in the operation's path)";
    return conn_uri_path_problem(at, false);
}

/* A URL of one of `schemes` ("http://"), with a host, and without a user:password@ (a
   secret written inline). */
static const char *conn_url(ConnParse *p, const json_t *spec, const char *path, const char *key,
                            const char *const *schemes, const char *needed, const char *what,
                            const char *secret_field)
{
    const char *url = conn_needed(p, spec, path, key, needed);
    if (!url)
        return NULL;
    size_t scheme = 0;
    for (const char *const *s = schemes; *s && !scheme; s++)
        if (strncmp(url, *s, strlen(*s)) == 0)
            scheme = strlen(*s);
    if (!scheme) {
        conn_problem(p, path, key, "is not %s", what);
        return NULL;
    }
    const char *host = url + scheme;
    size_t host_len = strcspn(host, "/?#");
    if (memchr(host, '@', host_len)) {
        conn_problem(p, path, key, "holds credentials (user:password@): secrets come from the environment, "
                     "never the file: name the variable in %s", secret_field);
        return NULL;
    }
    if (host_len == 0 || strchr(url, ' ')) {
        conn_problem(p, path, key, "is not %s", what);
        return NULL;
    }
    const char *problem = conn_url_problem(host);
    if (problem) {
        conn_problem(p, path, key, "%s", problem);
        return NULL;
    }
    return url;
}

/* "a, b and c" for a NULL-ended list of short names. */
static const char *conn_list(const char *const *names, char out[160])
{
    out[0] = '\0';
    for (size_t i = 0; names[i]; i++) {
        size_t used = strlen(out);
        snprintf(out + used, 160 - used, "%s%s", i == 0 ? "" : names[i + 1] ? ", " : " and ", names[i]);
    }
    return out;
}

/* Each field of `spec` is one its kind has; a field that would hold a secret gets the
   sentence that says where secrets come from. */
static void conn_check_fields(ConnParse *p, const json_t *spec, const char *path, ConnKind kind)
{
    const char *key;
    json_t *value;
    char list[160];
    json_object_foreach((json_t *)spec, key, value) {
        if (conn_in(KIND_FIELDS[kind], key))
            continue;
        int other = -1;
        for (int k = 0; k < KIND_COUNT && other < 0; k++)
            if (conn_in(KIND_FIELDS[k], key))
                other = k;
        bool secret = false;
        for (const char *const *w = SECRET_WORDS; *w && !secret; w++)
            secret = strcasestr(key, *w) != NULL;
        unsigned count = 0;
        while (KIND_FIELDS[kind][count])
            count++;
        const char *hint = text_closest(key, KIND_FIELDS[kind], count);
        if (other >= 0)
            conn_problem(p, path, key, "%s connector has no %s (a field of %s connectors)", KIND_A[kind],
                         key, KIND_NAMES[other]);
        else if (secret)
            conn_problem(p, path, key, "secrets come from the environment, never the file: name the "
                         "environment variable in %s instead", SECRET_FIELD[kind]);
        else if (hint)
            conn_problem(p, path, key, "unknown field (did you mean '%s'?)", hint);
        else
            conn_problem(p, path, key, "unknown field: %s connector has %s", KIND_A[kind],
                         conn_list(KIND_FIELDS[kind], list));
    }
}

/* ---- operations and event types ---- */

/* http's operations: {NAME: {"method", "path"}}, at least one. */
static void conn_operations(ConnParse *p, Connector *c, const json_t *spec, const char *path)
{
    const json_t *ops = json_object_get(spec, "operations");
    if (!ops) {
        conn_problem(p, path, "operations", "missing: an http connector names its operations, "
                     "{\"NAME\": {\"method\": \"POST\", \"path\": \"/...\"}}");
        return;
    }
    if (!json_is_object(ops) || json_object_size(ops) == 0) {
        conn_problem(p, path, "operations", "is not an object of one or more operations, "
                     "{\"NAME\": {\"method\": \"POST\", \"path\": \"/...\"}}");
        return;
    }
    char *ops_path = conn_path(p, path, "operations");
    c->operations = calloc(json_object_size(ops), sizeof *c->operations);
    if (!ops_path || !c->operations) {
        p->no_memory = true;
        free(ops_path);
        return;
    }
    const char *name, *key;
    json_t *op, *ignored;
    char buf[96];
    json_object_foreach((json_t *)ops, name, op) {
        const char *problem = conn_name_problem(name, buf);
        if (problem)
            conn_problem(p, ops_path, name, "%s", problem);
        char *op_path = conn_path(p, ops_path, name);
        if (!op_path)
            break;
        if (!json_is_object(op)) {
            conn_problem(p, op_path, NULL, "is not an operation, {\"method\": \"POST\", \"path\": \"/...\"}");
            free(op_path);
            continue;
        }
        json_object_foreach(op, key, ignored)
            if (strcmp(key, "method") != 0 && strcmp(key, "path") != 0)
                conn_problem(p, op_path, key, "unknown field: an operation has a method and a path");
        ConnOperation *o = &c->operations[c->operation_count++];
        o->name = name;
        o->method = conn_needed(p, op, op_path, "method", "an operation has a method (GET, POST, PUT, PATCH or DELETE)");
        if (o->method && !conn_in(METHODS, o->method))
            conn_problem(p, op_path, "method", "is not GET, POST, PUT, PATCH or DELETE (in capitals)");
        o->path = conn_needed(p, op, op_path, "path", "an operation has a path, starting with /");
        const char *path_problem = !o->path ? NULL
                              : o->path[0] != '/' ? "is not a path: it starts with /"
                                                  : conn_uri_path_problem(o->path, true);
        if (path_problem)
            conn_problem(p, op_path, "path", "%s", path_problem);
        free(op_path);
    }
    free(ops_path);
}

/* One event type's fields: {FIELD: "string" | "integer?" | ... | {nested fields}}. */
static void conn_event_fields(ConnParse *p, const json_t *fields, const char *path, int depth)
{
    if (!json_is_object(fields)) {
        conn_problem(p, path, NULL, "is not an object of fields and their types");
        return;
    }
    const char *field;
    json_t *type;
    json_object_foreach((json_t *)fields, field, type) {
        char *field_path = conn_path(p, path, field);
        if (!field_path)
            return;
        const char *text = json_string_value(type);
        size_t len = text ? strlen(text) : 0;
        char base[16] = "";   /* the type without its ? */
        if (text && len > 0 && len < sizeof base) {
            len -= text[len - 1] == '?';
            memcpy(base, text, len);
            base[len] = '\0';
        }
        if (json_is_object(type) && depth < EVENTS_DEPTH_MAX)
            conn_event_fields(p, type, field_path, depth + 1);
        else if (json_is_object(type))
            conn_problem(p, field_path, NULL, "nests maps more than %d deep", EVENTS_DEPTH_MAX);
        else if (!text || !conn_in(EVENT_TYPES, base))
            conn_problem(p, field_path, NULL, "is not a type: string, integer, number, boolean, time, list, "
                         "map or any (with ? when the field is optional), or an object of nested fields");
        free(field_path);
    }
}

/* "events": {TYPE: {FIELD: TYPE}}, for the connectors that send events. */
static void conn_events(ConnParse *p, Connector *c, const json_t *spec, const char *path)
{
    const json_t *events = json_object_get(spec, "events");
    if (!events)
        return;
    if (!json_is_object(events)) {
        conn_problem(p, path, "events", "is not an object of event types, {\"TYPE\": {\"FIELD\": \"string\"}}");
        return;
    }
    char *events_path = conn_path(p, path, "events");
    if (!events_path)
        return;
    const char *type;
    json_t *fields;
    char buf[96];
    json_object_foreach((json_t *)events, type, fields) {
        const char *problem = conn_name_problem(type, buf);
        char *type_path = conn_path(p, events_path, type);
        if (problem)
            conn_problem(p, events_path, type, "%s", problem);
        if (type_path)
            conn_event_fields(p, fields, type_path, 1);
        free(type_path);
    }
    free(events_path);
    c->events = events;
}

/* ---- one connector ---- */

static void conn_kind_fields(ConnParse *p, Connector *c, const json_t *spec, const char *path)
{
    static const char *const HTTP[] = {"http://", "https://", NULL};
    static const char *const SMTP[] = {"smtp://", "smtps://", NULL};
    switch (c->kind) {
    case CONN_WEBHOOK:
        c->secret_env = conn_env(p, spec, path, "secret_env");
        c->id_pointer = conn_pointer(p, spec, path, "id", "/id");
        c->type_pointer = conn_pointer(p, spec, path, "type", "/type");
        c->time_pointer = conn_pointer(p, spec, path, "time", "/time");
        conn_events(p, c, spec, path);
        break;
    case CONN_HTTP:
        c->base_url = conn_url(p, spec, path, "base_url", HTTP, "an http connector calls a base URL, http:// or https://",
                               "an http:// or https:// URL", "token_env");
        c->token_env = conn_env(p, spec, path, "token_env");
        c->timeout_ms = conn_integer(p, spec, path, "timeout_ms", 1, CONN_TIMEOUT_MS_MAX, CONN_TIMEOUT_MS_DEFAULT);
        c->retries = conn_integer(p, spec, path, "retries", 0, CONN_RETRIES_MAX, CONN_RETRIES_DEFAULT);
        conn_operations(p, c, spec, path);
        conn_events(p, c, spec, path);
        break;
    case CONN_SMTP:
        c->url = conn_url(p, spec, path, "url", SMTP, "an smtp connector sends through a server's URL, smtp:// or smtps://",
                          "an smtp:// or smtps:// URL", "username_env and password_env");
        c->from = conn_needed(p, spec, path, "from", "an smtp connector's mail comes from an address");
        if (c->from && (!strchr(c->from, '@') || strchr(c->from, '@') == c->from || !strchr(c->from, '@')[1] ||
                        strchr(strchr(c->from, '@') + 1, '@') || strchr(c->from, ' ')))
            conn_problem(p, path, "from", "is not an e-mail address (name@domain)");
        c->username_env = conn_env(p, spec, path, "username_env");
        c->password_env = conn_env(p, spec, path, "password_env");
        c->operations = calloc(1, sizeof *c->operations);
        if (!c->operations) {
            p->no_memory = true;
            break;
        }
        c->operations[0].name = "send";
        c->operation_count = 1;
        break;
    }
}

static void conn_parse_one(ConnParse *p, Connector *c, const char *name, const json_t *spec)
{
    char buf[96];
    c->name = name;
    const char *problem = conn_name_problem(name, buf);
    if (problem)
        conn_problem(p, "connectors", name, "%s", problem);
    else if (strcmp(name, "directory") == 0)
        conn_problem(p, "connectors", name, "is the reserved source of directory events (directory.away, "
                     "directory.back): name the connector otherwise");
    char *path = conn_path(p, "connectors", name);
    if (!path)
        return;
    const json_t *kind = json_object_get(spec, "kind");
    int k = -1;
    for (int i = 0; i < KIND_COUNT && json_is_string(kind); i++)
        if (strcmp(json_string_value(kind), KIND_NAMES[i]) == 0)
            k = i;
    if (!json_is_object(spec))
        conn_problem(p, path, NULL, "is not a connector: a JSON object with a \"kind\" and its fields");
    else if (!kind)
        conn_problem(p, path, "kind", "missing: a connector's kind is webhook, http or smtp");
    else if (k < 0 && !json_is_string(kind))
        conn_problem(p, path, "kind", "is not text: a connector's kind is webhook, http or smtp");
    else if (k < 0) {
        const char *hint = text_closest(json_string_value(kind), KIND_NAMES, KIND_COUNT);
        conn_problem(p, path, "kind", "unknown kind%s%s%s: a connector's kind is webhook, http or smtp",
                     hint ? " (did you mean '" : "", hint ? hint : "", hint ? "'?)" : "");
    } else {
        c->kind = (ConnKind)k;
        conn_check_fields(p, spec, path, c->kind);
        conn_kind_fields(p, c, spec, path);
    }
    c->operation_names = calloc(c->operation_count + 1, sizeof *c->operation_names);
    if (!c->operation_names)
        p->no_memory = true;
    for (unsigned i = 0; c->operation_names && i < c->operation_count; i++)
        c->operation_names[i] = c->operations[i].name;
    free(path);
}

/* ---- the file ---- */

ConnFile *conn_file_parse(json_t *json, json_t *problems)
{
    ConnParse p = {problems, false};
    size_t before = json_array_size(problems);
    ConnFile *file = calloc(1, sizeof *file);
    if (!file) {
        conn_problem(&p, "connectors", NULL, "out of memory");
        return NULL;
    }
    file->json = json_incref(json);
    if (!json_is_object(json)) {
        conn_problem(&p, "connectors", NULL, "a connectors file is a JSON object of connectors by name, "
                     "{\"NAME\": {\"kind\": \"http\", ...}}");
    } else if (!(file->items = calloc(json_object_size(json) + 1, sizeof *file->items))) {
        p.no_memory = true;
    } else {
        const char *name;
        json_t *spec;
        json_object_foreach(json, name, spec)
            conn_parse_one(&p, &file->items[file->count++], name, spec);
    }
    if (p.no_memory) {
        p.no_memory = false;
        conn_problem(&p, "connectors", NULL, "out of memory");
    }
    if (json_array_size(problems) > before || p.no_memory) {
        conn_file_free(file);
        return NULL;
    }
    return file;
}

ConnFile *conn_file_load(const char *path, json_t *problems)
{
    json_error_t error;
    json_t *json = json_file_load(path, JSON_REJECT_DUPLICATES, &error);
    json_t *line;
    if (!json) {
        line = error.line > 0 ? json_sprintf("%s:%d:%d: %s", path, error.line, error.column, error.text)
                              : json_sprintf("%s: %s", path, error.text);
        if (line)
            json_array_append_new(problems, line);
        return NULL;
    }
    json_t *own = json_array();
    ConnFile *file = own ? conn_file_parse(json, own) : NULL;
    json_decref(json);
    size_t i;
    json_t *problem;
    json_array_foreach(own, i, problem)
        if ((line = json_sprintf("%s: %s", path, json_string_value(problem))))
            json_array_append_new(problems, line);
    if (!own && (line = json_sprintf("%s: out of memory", path)))
        json_array_append_new(problems, line);
    json_decref(own);
    return file;
}

void conn_file_free(ConnFile *file)
{
    if (!file)
        return;
    for (unsigned i = 0; i < file->count; i++) {
        free(file->items[i].operations);
        free(file->items[i].operation_names);
    }
    free(file->items);
    json_decref(file->json);
    free(file);
}

const Connector *conn_find(const ConnFile *file, const char *name)
{
    for (unsigned i = 0; file && i < file->count; i++)
        if (strcmp(file->items[i].name, name) == 0)
            return &file->items[i];
    return NULL;
}

const ConnOperation *conn_operation(const Connector *c, const char *name)
{
    for (unsigned i = 0; i < c->operation_count; i++)
        if (strcmp(c->operations[i].name, name) == 0)
            return &c->operations[i];
    return NULL;
}

const Connector *conn_channel(const ConnFile *file, const char *channel, const char **operation)
{
    const char *dot = strrchr(channel, '.');
    size_t len = dot ? (size_t)(dot - channel) : 0;
    if (!file || !dot || len > CONN_NAME_MAX)
        return NULL;
    char name[CONN_NAME_MAX + 1];
    memcpy(name, channel, len);
    name[len] = '\0';
    const Connector *c = conn_find(file, name);
    *operation = dot + 1;
    return c && c->kind == CONN_HTTP && conn_operation(c, *operation) ? c : NULL;
}

/* ---- the kept form ---- */

/* Sets `key` to `value` (taken over; NULL for a field that is absent); false when
   memory ran out. */
static bool conn_set(json_t *object, const char *key, const char *text, json_t *value)
{
    if (text)
        value = json_string(text);
    else if (!value)
        return true;
    return value && json_object_set_new(object, key, value) == 0;
}

static json_t *conn_connector_json(const Connector *c)
{
    json_t *o = json_object();
    bool ok = o && conn_set(o, "kind", conn_kind_name(c->kind), NULL);
    if (c->kind == CONN_WEBHOOK)
        ok = ok && conn_set(o, "secret_env", c->secret_env, NULL) && conn_set(o, "id", c->id_pointer, NULL) &&
             conn_set(o, "type", c->type_pointer, NULL) && conn_set(o, "time", c->time_pointer, NULL);
    if (c->kind == CONN_HTTP) {
        json_t *ops = json_object();
        ok = ok && conn_set(o, "base_url", c->base_url, NULL) && conn_set(o, "token_env", c->token_env, NULL) &&
             conn_set(o, "timeout_ms", NULL, json_integer(c->timeout_ms)) &&
             conn_set(o, "retries", NULL, json_integer(c->retries)) && ops && conn_set(o, "operations", NULL, json_incref(ops));
        for (unsigned i = 0; ok && i < c->operation_count; i++)
            ok = conn_set(ops, c->operations[i].name, NULL,
                          json_pack("{s:s, s:s}", "method", c->operations[i].method, "path", c->operations[i].path));
        json_decref(ops);
    }
    if (c->kind == CONN_SMTP)
        ok = ok && conn_set(o, "url", c->url, NULL) && conn_set(o, "from", c->from, NULL) &&
             conn_set(o, "username_env", c->username_env, NULL) && conn_set(o, "password_env", c->password_env, NULL);
    ok = ok && (!c->events || conn_set(o, "events", NULL, json_deep_copy(c->events)));
    if (!ok) {
        json_decref(o);
        return NULL;
    }
    return o;
}

json_t *conn_file_json(const ConnFile *file)
{
    json_t *out = json_object();
    for (unsigned i = 0; out && i < file->count; i++)
        if (!conn_set(out, file->items[i].name, NULL, conn_connector_json(&file->items[i]))) {
            json_decref(out);
            return NULL;
        }
    return out;
}
