/*
 * front.h - the front end in one call: parse a playbook, check it, keep the results.
 *
 * A Front owns one arena holding the source, the AST and the diagnostics; front_free
 * releases all of it at once.
 */
#ifndef HUDDLE_FRONT_H
#define HUDDLE_FRONT_H

#include <stdbool.h>
#include <stddef.h>

#include "ast.h"
#include "bytecode.h"
#include "check.h"
#include "diag.h"

typedef struct Front {
    Arena arena;
    DiagList diags;
    const Source *src;
    AstProgram *program;    /* NULL until parsed */
    bool syntax_ok;         /* false: the program was not checked */
    bool out_of_memory;     /* front_compile or front_build ran out: say so, exit 3 */
} Front;

/* Returns a new, empty front end; NULL when out of memory. */
Front *front_new(void);
void front_free(Front *front);

/* Parses `text` (named `name` in diagnostics) and, when it has no syntax errors, checks
   it with `options` (may be NULL). Diagnostics end up sorted in front->diags.
   Returns the number of errors. When memory runs out, out_of_memory is set, the error
   count is one more (with no diagnostic: there was no memory for one) and program is
   NULL. */
unsigned front_compile(Front *front, const char *name, const char *text, size_t len,
                       const CheckOptions *options);

/* Compiles the checked program into bytecode (after front_compile found no errors).
   Returns 0, or -1 with a diagnostic added, or BC_NO_MEMORY (then out_of_memory is set
   and `out` is freed already). The caller frees `out` with bc_free. */
int front_build(Front *front, Bytecode *out);

/* Compiles what the consts need (the consts, fns and modules, and one placeholder
   state), so that they can be evaluated even when the checker found errors elsewhere.
   Without errors it is front_build. Returns -1 (nothing built) when the program was not
   checked or when an error lies in a const, fn or use, else as front_build. */
int front_build_consts(Front *front, Bytecode *out);

#endif
