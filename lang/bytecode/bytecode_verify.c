/*
 * bytecode_verify.c - the loader's guard: a program is run only if every table index,
 * every operand, every jump and the stack depth of every reachable instruction check
 * out (see bc_verify in bytecode.h).
 *
 * The tables are checked first; then the code is walked from every entry point (state
 * entries, fn entries, trigger/var/const chunks) the way a JVM verifier does, giving
 * each instruction one stack depth that must agree on every path to it.
 */
#include "bytecode.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "builtins.h"

/* The most values one state, fn or chunk may keep on the stack. Expressions the checker
   accepts nest at most AST_MAX_DEPTH (1,000) operators deep, and each level may hold a
   literal's items while the next is evaluated (at most 512 pairs: 1,024 values), so
   every accepted expression fits 1,000 x 1,024 plus a little; the VM sizes its stack to
   what a program needs (bc_verify's *max_stack), not to this bound. */
#define VERIFY_MAX_STACK (1 << 20)

static const struct { int min, max; } BUILTIN_ARITY[] = {
#define X(id, name, min, max, type, flags) {min, max},
    HUDDLE_BUILTINS(X)
#undef X
};

static const int OP_POPS[] = {
#define OP(name, operand, pops, pushes, doc) pops,
#include "opcodes.def"
#undef OP
};
static const int OP_PUSHES[] = {
#define OP(name, operand, pops, pushes, doc) pushes,
#include "opcodes.def"
#undef OP
};

typedef enum Region { REGION_NONE, REGION_STATE, REGION_FN, REGION_CHUNK } Region;

typedef struct Verify {
    const Bytecode *bc;
    int32_t *depth;         /* per pc, -1 until reached */
    uint8_t *region;        /* per pc */
    uint32_t *limit;        /* per pc: local slots allowed */
    uint32_t *work;
    uint32_t work_count;
    char *why;
    size_t why_len;
    bool failed;
    int32_t max_depth;      /* the most values on the stack at any pc */
} Verify;

static int verify_fail(Verify *v, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int verify_fail(Verify *v, const char *fmt, ...)
{
    if (v->failed)
        return -1;
    v->failed = true;
    int n = snprintf(v->why, v->why_len, "invalid bytecode: ");
    va_list args;
    va_start(args, fmt);
    vsnprintf(v->why + n, v->why_len > (size_t)n ? v->why_len - (size_t)n : 0, fmt, args);
    va_end(args);
    return -1;
}

static bool is_string_const(const Bytecode *bc, uint32_t index)
{
    return index < bc->consts_count && bc->consts[index].type == VAL_STRING;
}

static bool is_pc(const Bytecode *bc, uint32_t pc)
{
    return pc < bc->code_count;
}

/* ---- tables ---- */

static int verify_asks(Verify *v)
{
    const Bytecode *bc = v->bc;
    for (uint32_t i = 0; i < bc->asks_count; i++) {
        const BcAsk *ask = &bc->asks[i];
        if (ask->quorum > BC_QUORUM_N || ask->choice_first > bc->choices_count ||
            ask->choice_count > bc->choices_count - ask->choice_first ||
            ask->arm_first > bc->arms_count || ask->arm_count > bc->arms_count - ask->arm_first ||
            ask->result_slot >= bc->max_locals || ask->has_remind > 1 || ask->has_show > 1 ||
            ask->seat_count == 0 || ask->seat_count > 4096 || ask->escalation_count > 4096)
            return verify_fail(v, "ask %u has a bad table entry", i);
        for (uint32_t k = 0; k < ask->arm_count; k++) {
            const BcArm *arm = &bc->arms[ask->arm_first + k];
            if (arm->kind > BC_ARM_NO_QUORUM || !is_pc(bc, arm->pc) ||
                (arm->kind == BC_ARM_CHOICE && arm->choice >= ask->choice_count))
                return verify_fail(v, "ask %u has a bad arm", i);
        }
    }
    for (uint32_t i = 0; i < bc->choices_count; i++)
        if (!is_string_const(bc, bc->choices[i].id) || bc->choices[i].with_comment > 1 ||
            bc->choices[i].has_label > 1)
            return verify_fail(v, "choice %u is bad", i);
    return 0;
}

static int verify_waits_and_sites(Verify *v)
{
    const Bytecode *bc = v->bc;
    for (uint32_t i = 0; i < bc->waits_count; i++) {
        const BcWait *w = &bc->waits[i];
        if (w->arm_first > bc->wait_arms_count || w->arm_count > bc->wait_arms_count - w->arm_first ||
            !is_pc(bc, w->dispatch_pc) || (w->after_pc != BC_NONE && !is_pc(bc, w->after_pc)))
            return verify_fail(v, "wait %u has a bad table entry", i);
    }
    for (uint32_t i = 0; i < bc->wait_arms_count; i++) {
        const BcWaitArm *a = &bc->wait_arms[i];
        if (!is_string_const(bc, a->source) || !is_string_const(bc, a->type) ||
            (a->slot != BC_NONE && a->slot >= bc->max_locals) || !is_pc(bc, a->next_pc))
            return verify_fail(v, "wait arm %u is bad", i);
    }
    for (uint32_t i = 0; i < bc->sites_count; i++) {
        const BcSite *s = &bc->sites[i];
        bool bad_else = (s->else_kind == BC_ELSE_GOTO && s->else_target >= bc->states_count) ||
                        (s->else_kind == BC_ELSE_BLOCK && !is_pc(bc, s->else_target)) ||
                        s->else_kind > BC_ELSE_BLOCK;
        if (!is_string_const(bc, s->connector) || !is_string_const(bc, s->operation) ||
            s->is_send > 1 || bad_else || (s->error_slot != BC_NONE && s->error_slot >= bc->max_locals))
            return verify_fail(v, "call site %u is bad", i);
    }
    return 0;
}

static int verify_chunk_pc(Verify *v, uint32_t pc, const char *what)
{
    if (pc != BC_NONE && !is_pc(v->bc, pc))
        return verify_fail(v, "%s starts outside the code", what);
    return 0;
}

static int verify_tables(Verify *v)
{
    const Bytecode *bc = v->bc;
    if (!is_string_const(bc, bc->name))
        return verify_fail(v, "the playbook has no name");
    if ((bc->title != BC_NONE && !is_string_const(bc, bc->title)) ||
        (bc->calendar != BC_NONE && !is_string_const(bc, bc->calendar)))
        return verify_fail(v, "the title or calendar is not a string");
    if (bc->max_locals > BC_MAX_LOCALS)
        return verify_fail(v, "too many locals (%u)", bc->max_locals);
    for (uint32_t i = 1; i < bc->lines_count; i++)
        if (bc->lines[i].pc < bc->lines[i - 1].pc)
            return verify_fail(v, "the line table is out of order");
    for (uint32_t i = 0; i < bc->states_count; i++)
        if (!is_string_const(bc, bc->states[i].name) || !is_pc(bc, bc->states[i].entry) ||
            bc->states[i].locals > bc->max_locals)
            return verify_fail(v, "state %u is bad", i);
    for (uint32_t i = 0; i < bc->fns_count; i++) {
        const BcFn *fn = &bc->fns[i];
        if (!is_string_const(bc, fn->name) || !is_pc(bc, fn->entry) || fn->params > fn->locals ||
            fn->locals > 256)
            return verify_fail(v, "fn %u is bad", i);
    }
    for (uint32_t i = 0; i < bc->trigger_names_count; i++)
        if (!is_string_const(bc, bc->trigger_names[i]))
            return verify_fail(v, "trigger name %u is bad", i);
    for (uint32_t i = 0; i < bc->triggers_count; i++) {
        const BcTrigger *t = &bc->triggers[i];
        if (!is_string_const(bc, t->source) || !is_string_const(bc, t->type) ||
            t->name_index >= bc->trigger_names_count || t->at_least < 0 ||
            verify_chunk_pc(v, t->when_pc, "a when") < 0 ||
            verify_chunk_pc(v, t->case_pc, "a case") < 0 ||
            verify_chunk_pc(v, t->for_pc, "a for") < 0 ||
            verify_chunk_pc(v, t->window_pc, "a window") < 0)
            return verify_fail(v, "trigger %u is bad", i);
    }
    for (uint32_t i = 0; i < bc->vars_count; i++)
        if (!is_string_const(bc, bc->vars[i].name) || !is_pc(bc, bc->vars[i].init_pc))
            return verify_fail(v, "var %u is bad", i);
    for (uint32_t i = 0; i < bc->cdefs_count; i++)
        if (!is_string_const(bc, bc->cdefs[i].name) || !is_pc(bc, bc->cdefs[i].init_pc))
            return verify_fail(v, "const %u is bad", i);
    if (bc->states_count == 0)
        return verify_fail(v, "the program has no state");
    if (verify_asks(v) < 0 || verify_waits_and_sites(v) < 0)
        return -1;
    return 0;
}

/* ---- code ---- */

static void verify_push(Verify *v, uint32_t pc, int32_t depth, Region region, uint32_t limit)
{
    if (v->failed)
        return;
    if (!is_pc(v->bc, pc)) {
        verify_fail(v, "a jump or fall-through leaves the code (pc %u)", pc);
        return;
    }
    if (v->depth[pc] < 0) {
        v->depth[pc] = depth;
        v->region[pc] = (uint8_t)region;
        v->limit[pc] = limit;
        v->work[v->work_count++] = pc;
        return;
    }
    if (v->depth[pc] != depth)
        verify_fail(v, "pc %u is reached with stack depths %d and %d", pc, v->depth[pc], depth);
    else if (v->region[pc] != region || v->limit[pc] != limit)
        verify_fail(v, "pc %u is shared between a state, a fn or a chunk", pc);
}

static int verify_pops(const Bytecode *bc, Opcode op, uint32_t operand)
{
    switch (op) {
    case OP_MAKE_LIST: case OP_CONCAT: case OP_TAG: return (int)operand;
    case OP_MAKE_MAP: return 2 * (int)operand;
    case OP_NOTIFY: return (int)operand + 1;
    case OP_CALL_BUILTIN: case OP_CALL_FN: case OP_MAKE_WHO: return (int)(operand & 0xFF);
    case OP_WAIT: return bc->waits[operand].after_pc != BC_NONE;
    case OP_ASK: {
        const BcAsk *ask = &bc->asks[operand];
        int labels = 0;
        for (uint32_t i = 0; i < ask->choice_count; i++)
            labels += (int)bc->choices[ask->choice_first + i].has_label;
        return (int)ask->seat_count + 1 + labels + 1 + 2 * (int)ask->escalation_count +
               (int)ask->has_remind + (int)ask->has_show;
    }
    default: return OP_POPS[op];
    }
}

/* Checks the operand of one instruction against the tables. */
static int verify_operand(Verify *v, uint32_t pc, Opcode op, uint32_t operand)
{
    const Bytecode *bc = v->bc;
    static const int WHO_ARGS[] = {1, 1, 1, 2, 2, 1, 1, 0};
    bool ok = true;
    switch (bc_op_operand(op)) {
    case OPND_CONST: ok = operand < bc->consts_count &&
                          (op != OP_GET_FIELD || bc->consts[operand].type == VAL_STRING); break;
    case OPND_LOCAL: ok = operand < v->limit[pc]; break;
    case OPND_VAR: ok = operand < bc->vars_count; break;
    case OPND_TNAME: ok = operand < bc->trigger_names_count; break;
    case OPND_CDEF: ok = operand < bc->cdefs_count; break;
    case OPND_JUMP: ok = is_pc(bc, operand); break;
    case OPND_BUILTIN: {
        uint32_t id = operand >> 8, argc = operand & 0xFF;
        ok = id < BUILTIN_COUNT && (int)argc >= BUILTIN_ARITY[id].min && (int)argc <= BUILTIN_ARITY[id].max;
        break;
    }
    case OPND_FN: ok = (operand >> 8) < bc->fns_count && (operand & 0xFF) == bc->fns[operand >> 8].params; break;
    case OPND_WHO: ok = (operand >> 8) < BC_WHO_COUNT && (int)(operand & 0xFF) == WHO_ARGS[operand >> 8]; break;
    case OPND_STATE: ok = operand < bc->states_count; break;
    case OPND_SITE: ok = operand < bc->sites_count && bc->sites[operand].is_send == (op == OP_SEND); break;
    case OPND_ASK: ok = operand < bc->asks_count; break;
    case OPND_WAIT: ok = operand < bc->waits_count; break;
    case OPND_WARM: ok = operand < bc->wait_arms_count; break;
    default: break;
    }
    if (!ok)
        return verify_fail(v, "pc %u: %s has a bad operand %u", pc, bc_op_name(op), operand);
    return 0;
}

static bool op_needs_state(Opcode op)
{
    switch (op) {
    case OP_ENTER: case OP_DONE: case OP_FAIL: case OP_TAG: case OP_NOTE: case OP_SEND:
    case OP_NOTIFY: case OP_CALL: case OP_ASK: case OP_WAIT: case OP_MATCH_EVENT:
    case OP_WHEN_FALSE: case OP_WAIT_AGAIN: case OP_STORE_VAR:
        return true;
    default:
        return false;
    }
}

/* Follows one instruction to the instructions that can run after it. */
static void verify_step(Verify *v, uint32_t pc)
{
    const Bytecode *bc = v->bc;
    uint32_t insn = bc->code[pc];
    Opcode op = bc_op(insn);
    uint32_t operand = bc_operand(insn);
    int32_t depth = v->depth[pc];
    Region region = (Region)v->region[pc];
    uint32_t limit = v->limit[pc];
    if (op >= OP_COUNT_) {
        verify_fail(v, "pc %u: unknown opcode %u", pc, (unsigned)op);
        return;
    }
    if (verify_operand(v, pc, op, operand) < 0)
        return;
    if (op_needs_state(op) && region != REGION_STATE) {
        verify_fail(v, "pc %u: %s outside a state", pc, bc_op_name(op));
        return;
    }
    int pops = verify_pops(bc, op, operand);
    if (depth < pops) {
        verify_fail(v, "pc %u: %s needs %d values on a stack of %d", pc, bc_op_name(op), pops, depth);
        return;
    }
    int32_t after = depth - pops + OP_PUSHES[op];
    if (after > VERIFY_MAX_STACK) {
        verify_fail(v, "pc %u: the stack grows past %d", pc, VERIFY_MAX_STACK);
        return;
    }
    if (after > v->max_depth)
        v->max_depth = after;
    switch (op) {
    case OP_JUMP:
        verify_push(v, operand, after, region, limit);
        return;
    case OP_JUMP_IF_FALSE:
        verify_push(v, operand, after, region, limit);
        break;
    case OP_AND_JUMP: case OP_OR_JUMP: case OP_COALESCE_JUMP:
        verify_push(v, operand, depth, region, limit);
        after = depth - 1;
        break;
    case OP_RETURN:
        if (region == REGION_STATE || after != 0)
            verify_fail(v, "pc %u: RETURN outside a fn or chunk, or with a stack left", pc);
        return;
    case OP_ENTER: case OP_DONE: case OP_FAIL: case OP_WAIT_AGAIN:
        if (after != 0)
            verify_fail(v, "pc %u: %s leaves values on the stack", pc, bc_op_name(op));
        return;
    case OP_ASK: {
        const BcAsk *ask = &bc->asks[operand];
        if (after != 0)
            verify_fail(v, "pc %u: ASK with values left on the stack", pc);
        for (uint32_t i = 0; i < ask->arm_count; i++)
            verify_push(v, bc->arms[ask->arm_first + i].pc, 0, region, limit);
        return;
    }
    case OP_WAIT: {
        const BcWait *w = &bc->waits[operand];
        if (after != 0)
            verify_fail(v, "pc %u: WAIT with values left on the stack", pc);
        verify_push(v, w->dispatch_pc, 0, region, limit);
        if (w->after_pc != BC_NONE)
            verify_push(v, w->after_pc, 0, region, limit);
        return;
    }
    case OP_CALL: {
        const BcSite *site = &bc->sites[operand];
        if (after != 1)
            verify_fail(v, "pc %u: CALL with values left on the stack", pc);
        if (site->else_kind == BC_ELSE_BLOCK)
            verify_push(v, site->else_target, 0, region, limit);
        break;
    }
    case OP_MATCH_EVENT: case OP_WHEN_FALSE:
        verify_push(v, bc->wait_arms[operand].next_pc, after, region, limit);
        break;
    default:
        break;
    }
    verify_push(v, pc + 1, after, region, limit);
}

static void verify_walk(Verify *v, uint32_t entry, Region region, uint32_t limit)
{
    if (entry == BC_NONE)
        return;
    verify_push(v, entry, 0, region, limit);
    while (v->work_count > 0 && !v->failed)
        verify_step(v, v->work[--v->work_count]);
}

int bc_verify(const Bytecode *bc, uint32_t *max_stack, char *why, size_t why_len)
{
    Verify v = {bc, NULL, NULL, NULL, NULL, 0, why, why_len, false, 0};
    if (verify_tables(&v) < 0)
        return -1;
    size_t n = bc->code_count ? bc->code_count : 1;
    v.depth = malloc(n * sizeof(int32_t));
    v.region = calloc(n, 1);
    v.limit = calloc(n, sizeof(uint32_t));
    v.work = malloc(n * sizeof(uint32_t) * 2);
    if (!v.depth || !v.region || !v.limit || !v.work) {
        free(v.depth);
        free(v.region);
        free(v.limit);
        free(v.work);
        snprintf(why, why_len, "out of memory verifying bytecode");
        return BC_NO_MEMORY;
    }
    for (size_t i = 0; i < n; i++)
        v.depth[i] = -1;
    for (uint32_t i = 0; i < bc->states_count; i++)
        verify_walk(&v, bc->states[i].entry, REGION_STATE, bc->max_locals);
    for (uint32_t i = 0; i < bc->fns_count; i++)
        verify_walk(&v, bc->fns[i].entry, REGION_FN, bc->fns[i].locals);
    for (uint32_t i = 0; i < bc->triggers_count; i++) {
        const BcTrigger *t = &bc->triggers[i];
        verify_walk(&v, t->when_pc, REGION_CHUNK, 0);
        verify_walk(&v, t->case_pc, REGION_CHUNK, 0);
        verify_walk(&v, t->for_pc, REGION_CHUNK, 0);
        verify_walk(&v, t->window_pc, REGION_CHUNK, 0);
    }
    for (uint32_t i = 0; i < bc->vars_count; i++)
        verify_walk(&v, bc->vars[i].init_pc, REGION_CHUNK, 0);
    for (uint32_t i = 0; i < bc->cdefs_count; i++)
        verify_walk(&v, bc->cdefs[i].init_pc, REGION_CHUNK, 0);
    free(v.depth);
    free(v.region);
    free(v.limit);
    free(v.work);
    if (max_stack)
        *max_stack = (uint32_t)v.max_depth;
    return v.failed ? -1 : 0;
}
