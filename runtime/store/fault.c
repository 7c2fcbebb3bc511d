/*
 * fault.c - crash injection (see fault.h).
 */
#include "fault.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* The injected crash: SIGABRT under its default action, so that the binary's handler of
   an abort during a store transaction (main.c: a damaged page may be the cause) does not
   take it for damage. It ends the process as a kill there would. */
static _Noreturn void fault_crash(void)
{
    signal(SIGABRT, SIG_DFL);
    abort();
}

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
        fault_crash();
}

void fault_pause(const char *name)
{
    static int done;
    const char *at = getenv("HUDDLE_PAUSE_AT"), *path = getenv("HUDDLE_PAUSE_FILE");
    if (done || !at || !path || strcmp(at, name) != 0)
        return;
    done = 1;
    FILE *file = fopen(path, "w");
    if (!file)
        return;
    fprintf(file, "%ld %s\n", (long)getpid(), name);
    fclose(file);
    struct timespec tick = {0, 10 * 1000 * 1000};
    for (int i = 0; i < 6000 && access(path, F_OK) == 0; i++)
        nanosleep(&tick, NULL);
}

void fault_input(const char *id)
{
    static int initialised;
    static const char *poison;
    if (!initialised) {
        poison = getenv("HUDDLE_CRASH_ON_INPUT");
        initialised = 1;
    }
    if (poison && id && strcmp(poison, id) == 0)
        fault_crash();
}
