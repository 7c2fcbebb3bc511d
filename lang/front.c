/*
 * front.c - parse, then check, one playbook (see front.h).
 */
#include "front.h"

#include <stdlib.h>

#include "compile.h"
#include "parse.h"

Front *front_new(void)
{
    Front *front = calloc(1, sizeof *front);
    if (!front)
        return NULL;
    arena_init(&front->arena);
    diag_list_init(&front->diags, &front->arena);
    return front;
}

void front_free(Front *front)
{
    if (!front)
        return;
    arena_free(&front->arena);
    free(front);
}

unsigned front_compile(Front *front, const char *name, const char *text, size_t len,
                       const CheckOptions *options)
{
    Source *src = source_new(&front->arena, name, text, len);
    if (!src) {
        static uint32_t no_lines[1] = {0};
        static const Source too_big = {"", "", 0, no_lines, 1};
        diag_add(&front->diags, DIAG_ERROR, &too_big, (Span){0, 0},
                 "%s is too large to compile (over 2 GiB)", name);
        return front->diags.errors;
    }
    front->src = src;
    unsigned before = front->diags.errors;
    front->program = parse_program(&front->arena, src, &front->diags, false);
    front->syntax_ok = front->diags.errors == before;
    if (front->syntax_ok)
        check_program(&front->arena, front->program, options, &front->diags);
    diag_sort(&front->diags);
    return front->diags.errors;
}

int front_build(Front *front, Bytecode *out)
{
    if (!front->program || front->diags.errors)
        return -1;
    return compile_program(front->program, &front->arena, &front->diags, out);
}
