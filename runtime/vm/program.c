/*
 * program.c - a loaded program: verified bytecode, its hash, and its lazy consts
 * evaluated once (see vm.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "program_hash.h"
#include "vm.h"

/* Evaluates the lazy consts, each after the lazy consts it reads (directly or through
   fns): the compiler lays them out in no particular order, so a const that reads one
   without a value yet is put back, that one evaluated first, and it is tried again.
   Explicit stacks, no recursion, however long a chain of consts. A const that fails is
   passed to `report` (name and reason) and the others are still evaluated; one that
   reads a failed const fails quietly, its cause already reported. Returns 0, -1 after
   a report, or BC_NO_MEMORY (with the reason in why). `checking`: see vm_eval_cdef. */
static int program_eval_consts(Program *program, bool checking, ProgramConstReport report,
                               void *ctx, char *why, size_t why_len)
{
    uint32_t count = program->bc.cdefs_count;
    program->cdefs = calloc(count + 1, sizeof(Value));
    bool *ready = calloc(count + 1, sizeof(bool)), *pending = calloc(count + 1, sizeof(bool));
    bool *failed = calloc(count + 1, sizeof(bool));
    uint32_t *stack = malloc((count + 1) * sizeof(uint32_t));
    if (!program->cdefs || !ready || !pending || !failed || !stack) {
        free(ready);
        free(pending);
        free(failed);
        free(stack);
        snprintf(why, why_len, "out of memory loading a program");
        return BC_NO_MEMORY;
    }
    program->cdefs_ready = ready;
    uint64_t failures = value_oom_count();
    int rc = 0;
    for (uint32_t first = 0; first < count && rc != BC_NO_MEMORY; first++) {
        uint32_t sp = 0;
        if (!ready[first] && !failed[first])
            stack[sp++] = first, pending[first] = true;
        while (sp > 0 && rc != BC_NO_MEMORY) {
            uint32_t i = stack[sp - 1], wanted;
            char error[512];
            const char *name = value_text(program->bc.consts[program->bc.cdefs[i].name]);
            if (vm_eval_cdef(program, i, checking, &program->cdefs[i], &wanted, error, sizeof error) == 0) {
                ready[i] = true;
            } else if (wanted == BC_NONE && value_oom_count() != failures) {
                snprintf(why, why_len, "out of memory loading a program");
                rc = BC_NO_MEMORY;
                break;
            } else if (wanted != BC_NONE && !pending[wanted] && !failed[wanted]) {
                stack[sp++] = wanted;   /* at most `count` on the stack: each once */
                pending[wanted] = true;
                continue;
            } else {
                failed[i] = true;
                rc = -1;
                if (wanted == BC_NONE)
                    report(ctx, name, error);
                else if (!failed[wanted])
                    report(ctx, name, "it depends on itself");
            }
            pending[i] = false;
            sp--;
        }
    }
    program->cdefs_ready = NULL;
    free(ready);
    free(pending);
    free(failed);
    free(stack);
    return rc;
}

/* The load's report: the first failing const, as a reason. */
typedef struct ProgramWhy {
    char *why;
    size_t why_len;
    bool said;
} ProgramWhy;

static void program_why(void *ctx, const char *name, const char *error)
{
    ProgramWhy *w = ctx;
    if (!w->said)
        snprintf(w->why, w->why_len, "const %s: %s", name, error);
    w->said = true;
}

int program_check_consts(const Bytecode *bc, ProgramConstReport report, void *ctx)
{
    char why[256];
    uint32_t max_stack = 0;
    int rc = bc_verify(bc, &max_stack, why, sizeof why);
    if (rc == -1)
        report(ctx, NULL, why);   /* the compiler made what the loader refuses: say so */
    if (rc < 0)
        return rc;
    Program program = {.bc = *bc, .max_stack = max_stack};   /* bc borrowed, not freed */
    rc = program_eval_consts(&program, true, report, ctx, why, sizeof why);
    if (program.cdefs)
        for (uint32_t i = 0; i < bc->cdefs_count; i++)
            value_release(program.cdefs[i]);
    free(program.cdefs);
    return rc;
}

int program_from_bytecode(Bytecode *bc, Program **out, char *why, size_t why_len)
{
    uint32_t max_stack = 0;
    int rc = bc_verify(bc, &max_stack, why, why_len);
    Program *program = rc < 0 ? NULL : calloc(1, sizeof *program);
    if (!program) {
        bc_free(bc);
        if (rc == 0)
            snprintf(why, why_len, "out of memory loading a program");
        return rc < 0 ? rc : BC_NO_MEMORY;
    }
    program->bc = *bc;
    program->max_stack = max_stack;
    bc_init(bc);
    StrBuf bytes = STRBUF_INIT;
    bc_write(&program->bc, &bytes);
    if (strbuf_failed(&bytes)) {
        snprintf(why, why_len, "out of memory loading a program");
        program_free(program);
        return BC_NO_MEMORY;
    }
    program_hash((const uint8_t *)bytes.data, bytes.len, program->hash);
    strbuf_free(&bytes);
    ProgramWhy first = {why, why_len, false};
    rc = program_eval_consts(program, false, program_why, &first, why, why_len);
    if (rc < 0) {
        program_free(program);
        return rc;
    }
    *out = program;
    return 0;
}

int program_load(const uint8_t *bytes, size_t len, Program **out, char *why, size_t why_len)
{
    Bytecode bc;
    int rc = bc_read(bytes, len, &bc, why, why_len);
    if (rc < 0)
        return rc;
    return program_from_bytecode(&bc, out, why, why_len);
}

void program_free(Program *program)
{
    if (!program)
        return;
    if (program->cdefs)
        for (uint32_t i = 0; i < program->bc.cdefs_count; i++)
            value_release(program->cdefs[i]);
    free(program->cdefs);
    bc_free(&program->bc);
    free(program);
}

int program_state_index(const Program *program, const char *name)
{
    for (uint32_t i = 0; i < program->bc.states_count; i++)
        if (strcmp(value_text(program->bc.consts[program->bc.states[i].name]), name) == 0)
            return (int)i;
    return -1;
}

const char *program_state_name(const Program *program, uint32_t state)
{
    return state < program->bc.states_count ? value_text(program->bc.consts[program->bc.states[state].name])
                                            : NULL;
}
