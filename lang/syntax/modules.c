/*
 * modules.c - finding an embedded stdlib module by name (see modules.h).
 */
#include "modules.h"

#include <string.h>

const StdlibModule *stdlib_module_find(const char *name)
{
    for (const StdlibModule *m = stdlib_modules; m->name; m++)
        if (strcmp(m->name, name) == 0)
            return m;
    return NULL;
}
