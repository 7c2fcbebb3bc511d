/*
 * memtrap.h - where the front end goes when memory runs out.
 *
 * The parser, the checker and the compiler allocate from an arena, and the compiler grows
 * bytecode arrays, in hundreds of places; checking each would bury what they say. As Lua
 * does (luaD_throw), an allocation that fails there jumps instead to the innermost trap,
 * set by front_compile and front_build, which report the failure as a value
 * (Front.out_of_memory, BC_NO_MEMORY). Whatever runs under a trap must leave nothing that
 * only it would free: it lives in the arena, or in the Bytecode the caller frees, or the
 * code that made it sets a trap of its own to free it and raise again (parse_program does,
 * for its lexer).
 *
 *     MemTrap trap;
 *     memtrap_push(&trap);
 *     if (setjmp(trap.at)) {          // memory ran out below: the trap is popped already
 *         ...
 *     }
 *     ... work ...
 *     memtrap_pop(&trap);
 *
 * Traps belong to the thread that set them. An allocation failing with no trap set is a
 * programming error (every front-end entry point sets one): it is reported and aborts.
 */
#ifndef HUDDLE_MEMTRAP_H
#define HUDDLE_MEMTRAP_H

#include <setjmp.h>

typedef struct MemTrap {
    jmp_buf at;
    struct MemTrap *outer;
} MemTrap;

void memtrap_push(MemTrap *trap);
void memtrap_pop(MemTrap *trap);

/* Memory ran out: pops the innermost trap and jumps to it. */
_Noreturn void memtrap_raise(void);

#endif
