/*
 * memtrap.c - the front end's out-of-memory traps (see memtrap.h).
 */
#include "memtrap.h"

#include <stdio.h>
#include <stdlib.h>

static _Thread_local MemTrap *innermost;

void memtrap_push(MemTrap *trap)
{
    trap->outer = innermost;
    innermost = trap;
}

void memtrap_pop(MemTrap *trap)
{
    innermost = trap->outer;
}

_Noreturn void memtrap_raise(void)
{
    MemTrap *trap = innermost;
    if (!trap) {
        fputs("huddle: out of memory outside the front end's traps (a bug: please report it)\n", stderr);
        abort();
    }
    innermost = trap->outer;
    longjmp(trap->at, 1);
}
