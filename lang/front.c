/*
 * front.c - parse, then check, one playbook (see front.h).
 */
#include "front.h"

#include <stddef.h>
#include <string.h>

#include <setjmp.h>
#include <stdlib.h>

#include "ast_build.h"
#include "compile.h"
#include "memtrap.h"
#include "parse.h"
#include "text.h"

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

/* Memory ran out under front_compile's trap: the front end says so without needing the
   arena (whose memory is what ran out), and counts it as an error. */
static unsigned front_out_of_memory(Front *front)
{
    front->out_of_memory = true;
    front->syntax_ok = false;
    front->program = NULL;
    front->diags.errors++;
    return front->diags.errors;
}

unsigned front_compile(Front *front, const char *name, const char *text, size_t len,
                       const CheckOptions *options)
{
    MemTrap trap;
    memtrap_push(&trap);
    if (setjmp(trap.at))
        return front_out_of_memory(front);
    size_t bom = text_bom_length(text, len);   /* a UTF-8 byte order mark is no text */
    Source *src = source_new(&front->arena, name, text + bom, len - bom);
    if (!src) {
        static uint32_t no_lines[1] = {0};
        static const Source too_big = {"", "", 0, no_lines, 1};
        diag_add(&front->diags, DIAG_ERROR, &too_big, (Span){0, 0},
                 "%s is too large to compile (over 2 GiB)", name);
        memtrap_pop(&trap);
        return front->diags.errors;
    }
    front->src = src;
    if (len - bom >= sizeof BC_MAGIC && memcmp(text + bom, BC_MAGIC, sizeof BC_MAGIC) == 0) {
        /* compiled bytecode is no source: one sentence, not an error for each byte */
        const Source *none = source_new(&front->arena, name, "", 0);   /* no bytes shown */
        diag_add(&front->diags, DIAG_ERROR, none ? none : src, (Span){0, 0},
                 "%s is compiled Huddle bytecode (what huddle build writes), not a playbook: "
                 "give the .play file it was built from", name);
        memtrap_pop(&trap);
        return front->diags.errors;
    }
    unsigned before = front->diags.errors;
    front->program = parse_program(&front->arena, src, &front->diags, false);
    front->syntax_ok = front->diags.errors == before;
    if (front->syntax_ok)
        check_program(&front->arena, front->program, options, &front->diags);
    diag_sort(&front->diags);
    memtrap_pop(&trap);
    return front->diags.errors;
}

/* Compiles `program` into `out`, its compile errors going to `diags`. Returns as
   front_build does. */
static int front_build_program(Front *front, const AstProgram *program, DiagList *diags,
                               Bytecode *out)
{
    uint64_t value_failures = value_oom_count();
    unsigned long text_failures = strbuf_failures();
    MemTrap trap;
    memtrap_push(&trap);
    if (setjmp(trap.at)) {
        bc_free(out);
        front->out_of_memory = true;
        return BC_NO_MEMORY;
    }
    int rc = compile_program(program, &front->arena, diags, out);
    memtrap_pop(&trap);
    if (rc == 0 && (value_oom_count() != value_failures || strbuf_failures() != text_failures)) {
        bc_free(out);   /* a constant or a text that could not be made: not a program */
        rc = BC_NO_MEMORY;
    }
    if (rc == BC_NO_MEMORY)
        front->out_of_memory = true;
    return rc;
}

int front_build(Front *front, Bytecode *out)
{
    if (!front->program || front->diags.errors)
        return -1;
    return front_build_program(front, front->program, &front->diags, out);
}

/* Does an error lie in one of the spans of `decls` (AstConst*, AstFn* or AstUse*, each
   with its span at `offset`)? */
static bool front_error_within(const DiagList *diags, const AstVec *decls, size_t offset)
{
    for (unsigned i = 0; i < decls->count; i++) {
        const Span *span = (const Span *)((const char *)decls->items[i] + offset);
        for (unsigned k = 0; k < diags->count; k++)
            if (diags->items[k].severity == DIAG_ERROR && diags->items[k].span.start >= span->start &&
                diags->items[k].span.start < span->end)
                return true;
    }
    return false;
}

int front_build_consts(Front *front, Bytecode *out)
{
    const AstProgram *p = front->program;
    if (!p || !front->syntax_ok || front->out_of_memory || p->is_module)
        return -1;
    if (front->diags.errors == 0)
        return front_build(front, out);
    if (front_error_within(&front->diags, &p->consts, offsetof(AstConst, span)) ||
        front_error_within(&front->diags, &p->fns, offsetof(AstFn, span)) ||
        front_error_within(&front->diags, &p->uses, offsetof(AstUse, span)))
        return -1;   /* the consts themselves are wrong: already said */
    /* The consts, fns and modules alone, with one state that waits for nothing: what
       they read is all in them (a const sees only consts, fns and builtins). */
    AstProgram consts = *p;
    memset(&consts.triggers, 0, sizeof consts.triggers);
    memset(&consts.vars, 0, sizeof consts.vars);
    AstName name = {"consts", p->header_span};
    AstBlock *body = ast_block_of(&front->arena, ast_goto_new(&front->arena, name, p->header_span));
    consts.states = ast_vec_of(&front->arena, ast_state_new(&front->arena, name, body, p->header_span));
    DiagList ignored;
    diag_list_init(&ignored, &front->arena);
    int rc = front_build_program(front, &consts, &ignored, out);
    return rc == 0 && ignored.errors ? (bc_free(out), -1) : rc;
}
