/*
 * builtins.h - the builtin functions of the language, defined once.
 *
 * HUDDLE_BUILTINS(X) expands X(ID, "name", min_args, max_args, result_type, flags) for
 * each builtin; the checker uses it for arity and types, and the compiler and VM will
 * use the same order for their builtin indexes. stdlib/builtins.md documents each.
 * Keep in sync with stdlib/builtins.md.
 */
#ifndef HUDDLE_BUILTINS_H
#define HUDDLE_BUILTINS_H

/* flags */
#define BUILTIN_PURE     0   /* may be used anywhere */
#define BUILTIN_INSTANCE 1   /* needs a running instance: refused in fn and const */

#define HUDDLE_BUILTINS(X)                                          \
    X(LEN,         "len",         1, 1, TYPE_INT,    BUILTIN_PURE)     \
    X(LOWER,       "lower",       1, 1, TYPE_STRING, BUILTIN_PURE)     \
    X(UPPER,       "upper",       1, 1, TYPE_STRING, BUILTIN_PURE)     \
    X(TRIM,        "trim",        1, 1, TYPE_STRING, BUILTIN_PURE)     \
    X(CONTAINS,    "contains",    2, 2, TYPE_BOOL,   BUILTIN_PURE)     \
    X(STARTS_WITH, "starts_with", 2, 2, TYPE_BOOL,   BUILTIN_PURE)     \
    X(SPLIT,       "split",       2, 2, TYPE_LIST,   BUILTIN_PURE)     \
    X(JOIN,        "join",        2, 2, TYPE_STRING, BUILTIN_PURE)     \
    X(KEYS,        "keys",        1, 1, TYPE_LIST,   BUILTIN_PURE)     \
    X(ROUND,       "round",       1, 2, TYPE_ANY,    BUILTIN_PURE)     \
    X(MIN,         "min",         1, 16, TYPE_ANY,   BUILTIN_PURE)     \
    X(MAX,         "max",         1, 16, TYPE_ANY,   BUILTIN_PURE)     \
    X(STRING,      "string",      1, 1, TYPE_STRING, BUILTIN_PURE)     \
    X(NUMBER,      "number",      1, 1, TYPE_ANY,    BUILTIN_PURE)     \
    X(JSON,        "json",        1, 1, TYPE_STRING, BUILTIN_PURE)     \
    X(FORMAT_TIME, "format_time", 2, 3, TYPE_STRING, BUILTIN_PURE)     \
    X(NOW,         "now",         0, 0, TYPE_TIME,   BUILTIN_INSTANCE) \
    X(META,        "meta",        1, 1, TYPE_MAP,    BUILTIN_INSTANCE)

/* The letters format_time knows after a `%` (stdlib/builtins.md's table): the checker
   refuses any other in a pattern it can read, and the VM's format_time writes each.
   Keep in sync with format_time in runtime/vm/vm_builtins.c. */
#define FORMAT_TIME_DIRECTIVES "YymdHMSbBaAzZ%"

/* round(x, digits): digits runs from 0 to this. */
#define ROUND_DIGITS_MAX 15

typedef enum BuiltinId {
#define X(id, name, min, max, type, flags) BUILTIN_##id,
    HUDDLE_BUILTINS(X)
#undef X
    BUILTIN_COUNT
} BuiltinId;

#endif
