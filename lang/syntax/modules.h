/*
 * modules.h - the stdlib modules a playbook may `use`, embedded in the binary.
 *
 * The table is generated at build time from the stdlib .play files (lang/syntax/embed_stdlib.sh).
 */
#ifndef HUDDLE_MODULES_H
#define HUDDLE_MODULES_H

#include <stddef.h>

typedef struct StdlibModule {
    const char *name;       /* `use NAME` */
    const char *text;       /* the module's source */
    size_t len;
} StdlibModule;

/* Ends with an entry whose name is NULL. */
extern const StdlibModule stdlib_modules[];

/* The module called `name`, or NULL. */
const StdlibModule *stdlib_module_find(const char *name);

#endif
