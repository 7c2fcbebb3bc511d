/*
 * fault.c - crash injection (see fault.h).
 */
#include "fault.h"

#include <stdio.h>
#include <stdlib.h>

void fault_point(const char *name)
{
    static int initialised, crash_at;
    static long passed;
    static const char *log;
    if (!initialised) {
        const char *at = getenv("HUDDLE_CRASH_AT");
        crash_at = at ? atoi(at) : 0;
        log = getenv("HUDDLE_CRASH_LOG");
        initialised = 1;
    }
    if (!crash_at && !log)
        return;
    passed++;
    if (log) {
        FILE *file = fopen(log, "a");
        if (file) {
            fprintf(file, "%ld %s\n", passed, name);
            fclose(file);
        }
    }
    if (crash_at && passed == crash_at)
        abort();
}
