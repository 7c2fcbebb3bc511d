/*
 * compile.h - turns a checked playbook into bytecode (bytecode.h).
 *
 * The program must have passed the checker without errors: the compiler trusts names
 * and shapes and only reports what the bytecode format cannot hold (a program too
 * large). Constants that fold at compile time go into the pool; the rest become chunks
 * the VM evaluates once when it loads the program.
 */
#ifndef HUDDLE_COMPILE_H
#define HUDDLE_COMPILE_H

#include "ast.h"
#include "bytecode.h"
#include "diag.h"

/* Compiles `program` into `out` (initialized by the call; the caller frees it with
   bc_free). Returns 0, or -1 with an error added to `diags`, or BC_NO_MEMORY (nothing
   added) when an allocation of the bytecode's header failed. Its tables still grow with
   bc_grow, which aborts when out of memory (issue 8, still open there). */
int compile_program(const AstProgram *program, Arena *arena, DiagList *diags, Bytecode *out);

#endif
