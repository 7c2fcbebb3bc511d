/*
 * program.c - a loaded program: verified bytecode, its hash, and its lazy consts
 * evaluated once (see vm.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "program_hash.h"
#include "vm.h"

static int program_eval_consts(Program *program, char *why, size_t why_len)
{
    program->cdefs = calloc(program->bc.cdefs_count + 1, sizeof(Value));
    if (!program->cdefs) {
        snprintf(why, why_len, "out of memory loading a program");
        return BC_NO_MEMORY;
    }
    VmInput context = {VM_INPUT_TIMER, VALUE_NULL, 0, VALUE_NULL, NULL};
    /* In declaration order: a lazy const uses only folded consts and fns. */
    for (uint32_t i = 0; i < program->bc.cdefs_count; i++) {
        Value v;
        char error[512];
        if (vm_eval_trigger(program, 0, program->bc.cdefs[i].init_pc, VALUE_NULL, VALUE_NULL,
                            &context, &v, error, sizeof error) < 0) {
            snprintf(why, why_len, "const %s: %s", value_text(program->bc.consts[program->bc.cdefs[i].name]), error);
            return -1;
        }
        program->cdefs[i] = v;
    }
    return 0;
}

int program_from_bytecode(Bytecode *bc, Program **out, char *why, size_t why_len)
{
    int rc = bc_verify(bc, why, why_len);
    Program *program = rc < 0 ? NULL : calloc(1, sizeof *program);
    if (!program) {
        bc_free(bc);
        if (rc == 0)
            snprintf(why, why_len, "out of memory loading a program");
        return rc < 0 ? rc : BC_NO_MEMORY;
    }
    program->bc = *bc;
    bc_init(bc);
    StrBuf bytes = STRBUF_INIT;
    bc_write(&program->bc, &bytes);
    program_hash((const uint8_t *)bytes.data, bytes.len, program->hash);
    strbuf_free(&bytes);
    rc = program_eval_consts(program, why, why_len);
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
