/*
 * compile_stmt.c - statements and states to code: locals in frame slots, calls with
 * their else paths, and the layout of asks and waits.
 *
 * An ask compiles to the code that evaluates its parameters, one ASK instruction, and
 * then the code of each arm, whose pcs the ask's table records; the VM resumes at the
 * arm the result chose. A wait compiles to WAIT, then a dispatch chain that matches an
 * offered event against each arm in order (MATCH_EVENT, the `when`, WHEN_FALSE) and
 * ends in WAIT_AGAIN, then the after arm's code.
 */
#include "compile_internal.h"

#include <stdio.h>
#include <string.h>

static void comp_block(Compiler *c, const AstBlock *block);

/* ---- locals ---- */

uint32_t comp_local_declare(Compiler *c, const char *name)
{
    arena_grow(c->arena, (void **)&c->locals, &c->local_cap, c->local_count + 1,
               sizeof(CompLocal));
    uint32_t slot = c->next_slot++;
    if (c->next_slot > c->max_slot)
        c->max_slot = c->next_slot;
    c->locals[c->local_count++] = (CompLocal){name, slot};
    return slot;
}

const CompLocal *comp_local_find(Compiler *c, const char *name)
{
    for (unsigned i = c->local_count; i > 0; i--)
        if (strcmp(c->locals[i - 1].name, name) == 0)
            return &c->locals[i - 1];
    return NULL;
}

typedef struct CompMark { unsigned locals; uint32_t slot; } CompMark;

static CompMark comp_scope_enter(Compiler *c)
{
    return (CompMark){c->local_count, c->next_slot};
}

static void comp_scope_leave(Compiler *c, CompMark mark)
{
    c->local_count = mark.locals;
    c->next_slot = mark.slot;
}

/* ---- statements ---- */

static uint32_t comp_state_index(Compiler *c, const AstName *name)
{
    uint32_t index = comp_lookup_index(&c->states, name->text);
    if (index == BC_NONE)
        comp_fail(c, name->span, "internal error: unknown state");
    return index == BC_NONE ? 0 : index;
}

static void comp_text(Compiler *c, const AstExpr *text)
{
    comp_expr(c, text);
}

static uint32_t comp_site(Compiler *c, const AstCall *call, bool is_send)
{
    BcSite site = {
        comp_const_string(c, call->connector.text, strlen(call->connector.text)),
        comp_const_string(c, call->operation.text, strlen(call->operation.text)),
        is_send, BC_ELSE_NONE, BC_NONE, BC_NONE,
    };
    return BC_PUSH(c->bc, sites, site);
}

/* call C.OP(arg) [else ...], leaving the reply in `result_slot` (BC_NONE: dropped). */
static void comp_call(Compiler *c, const AstCall *call, uint32_t result_slot, Span span)
{
    uint32_t index = comp_site(c, call, false);
    if (call->arg)
        comp_expr(c, call->arg);
    else
        comp_emit(c, OP_PUSH_NULL, 0, span);
    comp_emit(c, OP_CALL, index, span);
    if (result_slot == BC_NONE)
        comp_emit(c, OP_POP, 0, span);
    else
        comp_emit(c, OP_STORE_LOCAL, result_slot, span);
    BcSite *site = &c->bc->sites[index];
    if (call->else_kind == ELSE_GOTO) {
        site->else_kind = BC_ELSE_GOTO;
        site->else_target = comp_state_index(c, &call->else_state);
    } else if (call->else_kind == ELSE_BLOCK) {
        uint32_t skip = comp_emit(c, OP_JUMP, 0, span);
        CompMark mark = comp_scope_enter(c);
        uint32_t error_slot = comp_local_declare(c, "error");
        uint32_t else_pc = comp_here(c);
        comp_block(c, call->else_block);
        if (result_slot != BC_NONE) {
            comp_emit(c, OP_PUSH_NULL, 0, call->else_span);
            comp_emit(c, OP_STORE_LOCAL, result_slot, call->else_span);
        }
        comp_scope_leave(c, mark);
        comp_patch(c, skip, comp_here(c));
        site = &c->bc->sites[index];
        site->else_kind = BC_ELSE_BLOCK;
        site->else_target = else_pc;
        site->error_slot = error_slot;
    }
}

static void comp_target(Compiler *c, const AstTarget *target)
{
    switch (target->kind) {
    case TARGET_GOTO:
        comp_emit(c, OP_ENTER, comp_state_index(c, &target->state), target->span);
        break;
    case TARGET_DONE:
    case TARGET_FAIL:
        comp_text(c, target->text);
        comp_emit(c, target->kind == TARGET_DONE ? OP_DONE : OP_FAIL, 0, target->span);
        break;
    case TARGET_BLOCK: {
        CompMark mark = comp_scope_enter(c);
        comp_block(c, target->block);
        comp_scope_leave(c, mark);
        break;
    }
    }
}

static uint32_t comp_quorum_n(const AstAsk *ask)
{
    if (ask->quorum == QUORUM_N)
        return (uint32_t)ask->quorum_value;   /* folded by the checker, 1 <= N <= seats */
    return ask->quorum == QUORUM_ALL ? ask->seats.count : 1;
}

/* A parameter that the VM checks when the ask suspends (within, each level's after,
   remind, show) is followed by a NOP on its own line, so a check that fails there names
   the clause's line rather than the ask's (vm_ask_clause_pc in runtime/vm/vm.c). */
static void comp_checked_expr(Compiler *c, const AstExpr *expr)
{
    comp_expr(c, expr);
    comp_emit(c, OP_NOP, 0, expr->span);
}

/* The parameters, in the order the VM pops them: seats, question, labels, within,
   (who, after) per level, remind, show. */
static void comp_ask_params(Compiler *c, const AstAsk *ask, BcAsk *table, Span span)
{
    for (unsigned i = 0; i < ask->seats.count; i++)
        comp_who(c, ask->seats.items[i]);
    comp_text(c, ask->question);
    table->choice_first = c->bc->choices_count;
    for (unsigned i = 0; i < ask->choices.count; i++) {
        const AstChoice *choice = ask->choices.items[i];
        if (choice->label)
            comp_text(c, choice->label);
        BC_PUSH(c->bc, choices, ((BcChoice){comp_const_string(c, choice->id.text, strlen(choice->id.text)),
                                            choice->with_comment, choice->label != NULL}));
    }
    table->choice_count = ask->choices.count;
    if (ask->within) {
        comp_checked_expr(c, ask->within);
    } else {
        comp_emit(c, OP_PUSH_NULL, 0, span);
        comp_emit(c, OP_NOP, 0, span);
    }
    for (unsigned i = 0; i < ask->escalations.count; i++) {
        const AstEscalation *level = ask->escalations.items[i];
        comp_who(c, level->who);
        comp_checked_expr(c, level->after);
    }
    if (ask->remind)
        comp_checked_expr(c, ask->remind);
    if (ask->show)
        comp_checked_expr(c, ask->show);
}

static uint32_t comp_arm_choice(const AstAsk *ask, const AstArm *arm)
{
    for (unsigned i = 0; i < ask->choices.count; i++)
        if (strcmp(((AstChoice *)ask->choices.items[i])->id.text, arm->choice.text) == 0)
            return i;
    return 0;
}

static void comp_ask(Compiler *c, const AstStmt *stmt)
{
    const AstAsk *ask = stmt->as.ask;
    BcAsk table;
    memset(&table, 0, sizeof table);
    table.quorum = ask->quorum == QUORUM_ALL ? BC_QUORUM_ALL
                 : ask->quorum == QUORUM_N ? BC_QUORUM_N : BC_QUORUM_ANY;
    table.quorum_n = comp_quorum_n(ask);
    table.seat_count = ask->seats.count;
    table.escalation_count = ask->escalations.count;
    table.has_remind = ask->remind != NULL;
    table.has_show = ask->show != NULL;
    comp_ask_params(c, ask, &table, stmt->span);
    CompMark mark = comp_scope_enter(c);
    table.result_slot = comp_local_declare(c, ask->as_name.text ? ask->as_name.text : "answer");
    table.arm_first = c->bc->arms_count;
    table.arm_count = ask->arms.count;
    for (unsigned i = 0; i < ask->arms.count; i++)
        BC_PUSH(c->bc, arms, ((BcArm){0, 0, 0}));
    uint32_t index = BC_PUSH(c->bc, asks, table);
    comp_emit(c, OP_ASK, index, stmt->span);
    static const uint32_t KINDS[] = {
        [ARM_CHOICE] = BC_ARM_CHOICE, [ARM_ELSE] = BC_ARM_ELSE,
        [ARM_TIMEOUT] = BC_ARM_TIMEOUT, [ARM_NO_QUORUM] = BC_ARM_NO_QUORUM,
    };
    for (unsigned i = 0; i < ask->arms.count; i++) {
        const AstArm *arm = ask->arms.items[i];
        BcArm entry = {KINDS[arm->kind], arm->kind == ARM_CHOICE ? comp_arm_choice(ask, arm) : 0,
                       comp_here(c)};
        c->bc->arms[table.arm_first + i] = entry;
        comp_target(c, arm->target);
    }
    comp_scope_leave(c, mark);
}

static void comp_wait(Compiler *c, const AstStmt *stmt)
{
    const AstVec *arms = &stmt->as.wait.arms;
    const AstArm *after = NULL;
    BcWait table = {c->bc->wait_arms_count, 0, 0, BC_NONE};
    for (unsigned i = 0; i < arms->count; i++) {
        const AstArm *arm = arms->items[i];
        if (arm->kind == ARM_EVENT)
            table.arm_count++;
        else if (!after)
            after = arm;
    }
    if (after && after->kind == ARM_AFTER)
        comp_expr(c, after->after);
    uint32_t index = BC_PUSH(c->bc, waits, table);
    comp_emit(c, OP_WAIT, index, stmt->span);
    c->bc->waits[index].dispatch_pc = comp_here(c);
    for (unsigned i = 0; i < arms->count; i++) {
        const AstArm *arm = arms->items[i];
        if (arm->kind != ARM_EVENT)
            continue;
        CompMark mark = comp_scope_enter(c);
        BcWaitArm entry = {comp_const_string(c, arm->source.text, strlen(arm->source.text)),
                           comp_const_string(c, arm->type.text, strlen(arm->type.text)),
                           arm->as_name.text ? comp_local_declare(c, arm->as_name.text) : BC_NONE, 0};
        uint32_t this_arm = BC_PUSH(c->bc, wait_arms, entry);
        comp_emit(c, OP_MATCH_EVENT, this_arm, arm->span);
        if (arm->when) {
            comp_expr(c, arm->when);
            comp_emit(c, OP_WHEN_FALSE, this_arm, arm->when->span);
        }
        comp_target(c, arm->target);
        c->bc->wait_arms[this_arm].next_pc = comp_here(c);
        comp_scope_leave(c, mark);
    }
    comp_emit(c, OP_WAIT_AGAIN, index, stmt->span);
    if (after && after->kind == ARM_AFTER) {
        c->bc->waits[index].after_pc = comp_here(c);
        comp_target(c, after->target);
    }
}

static void comp_notify(Compiler *c, const AstStmt *stmt)
{
    const AstVec *whos = &stmt->as.notify.whos;
    for (unsigned i = 0; i < whos->count; i++)
        comp_who(c, whos->items[i]);
    comp_text(c, stmt->as.notify.message);
    comp_emit(c, OP_NOTIFY, whos->count, stmt->span);
}

static void comp_assign(Compiler *c, const AstName *name, const AstExpr *value, Span span)
{
    comp_expr(c, value);
    const CompLocal *local = comp_local_find(c, name->text);
    if (local)
        comp_emit(c, OP_STORE_LOCAL, local->slot, span);
    else
        comp_emit(c, OP_STORE_VAR, comp_lookup_index(&c->vars, name->text), span);
}

static void comp_scoped_block(Compiler *c, const AstBlock *block)
{
    CompMark mark = comp_scope_enter(c);
    comp_block(c, block);
    comp_scope_leave(c, mark);
}

/* An if and its `else if` chain, branch after branch (a loop: a chain may be long). Each
   branch's jump to the end is patched when the end is known; the code is the same as the
   nested ifs the chain stands for. */
static void comp_if(Compiler *c, const AstStmt *stmt)
{
    unsigned count = 1;
    for (const AstStmt *s = stmt; s->as.if_.else_if; s = s->as.if_.else_if)
        count++;
    uint32_t *to_end = arena_alloc(c->arena, count * sizeof *to_end);
    for (unsigned i = 0; i < count; i++, stmt = stmt->as.if_.else_if) {
        comp_expr(c, stmt->as.if_.cond);
        uint32_t to_else = comp_emit(c, OP_JUMP_IF_FALSE, 0, stmt->as.if_.cond->span);
        comp_scoped_block(c, stmt->as.if_.then_block);
        to_end[i] = comp_emit(c, OP_JUMP, 0, stmt->span);
        comp_patch(c, to_else, comp_here(c));
        if (!stmt->as.if_.else_if && stmt->as.if_.else_block)
            comp_scoped_block(c, stmt->as.if_.else_block);
        if (!stmt->as.if_.else_if)
            break;
    }
    for (unsigned i = 0; i < count; i++)
        comp_patch(c, to_end[i], comp_here(c));
}

static void comp_stmt(Compiler *c, const AstStmt *stmt)
{
    switch (stmt->kind) {
    case ST_LET:
        if (stmt->as.let.call) {
            /* The slot is reserved before the call, but the name is visible only after
               it: the else block can't see it. */
            uint32_t slot = comp_local_declare(c, "");
            comp_call(c, stmt->as.let.call, slot, stmt->span);
            c->locals[c->local_count - 1].name = stmt->as.let.name.text;
        } else {
            comp_expr(c, stmt->as.let.value);
            comp_emit(c, OP_STORE_LOCAL, comp_local_declare(c, stmt->as.let.name.text), stmt->span);
        }
        break;
    case ST_SET:
        comp_assign(c, &stmt->as.set.name, stmt->as.set.value, stmt->span);
        break;
    case ST_IF:
        comp_if(c, stmt);
        break;
    case ST_GOTO:
        comp_emit(c, OP_ENTER, comp_state_index(c, &stmt->as.go), stmt->span);
        break;
    case ST_DONE:
    case ST_FAIL:
        comp_text(c, stmt->as.text);
        comp_emit(c, stmt->kind == ST_DONE ? OP_DONE : OP_FAIL, 0, stmt->span);
        break;
    case ST_CALL:
        comp_call(c, stmt->as.call, BC_NONE, stmt->span);
        break;
    case ST_SEND: {
        uint32_t index = comp_site(c, stmt->as.call, true);
        if (stmt->as.call->arg)
            comp_expr(c, stmt->as.call->arg);
        else
            comp_emit(c, OP_PUSH_NULL, 0, stmt->span);
        comp_emit(c, OP_SEND, index, stmt->span);
        break;
    }
    case ST_NOTIFY: comp_notify(c, stmt); break;
    case ST_ASK: comp_ask(c, stmt); break;
    case ST_WAIT: comp_wait(c, stmt); break;
    case ST_TAG:
        if (stmt->as.tags.count > COMP_MAX_ITEMS) {
            comp_fail(c, stmt->span, "this tag has more than 512 values; one tag takes at most 512 "
                      "(write several tag lines)");
            break;
        }
        for (unsigned i = 0; i < stmt->as.tags.count; i++)
            comp_expr(c, stmt->as.tags.items[i]);
        comp_emit(c, OP_TAG, stmt->as.tags.count, stmt->span);
        break;
    case ST_NOTE:
        comp_text(c, stmt->as.text);
        comp_emit(c, OP_NOTE, 0, stmt->span);
        break;
    }
}

/* Statements after a goto, done or fail are never run (the checker warned): skip them,
   so no code falls out of a terminator. */
static bool comp_ends_path(const AstStmt *stmt)
{
    return stmt->kind == ST_GOTO || stmt->kind == ST_DONE || stmt->kind == ST_FAIL ||
           stmt->kind == ST_ASK || stmt->kind == ST_WAIT;
}

static void comp_block(Compiler *c, const AstBlock *block)
{
    for (unsigned i = 0; i < block->stmts.count; i++) {
        const AstStmt *stmt = block->stmts.items[i];
        comp_stmt(c, stmt);
        if (comp_ends_path(stmt))
            break;
    }
}

void comp_state(Compiler *c, uint32_t index, const AstState *state)
{
    c->local_count = 0;
    c->next_slot = 0;
    c->max_slot = 0;
    c->bc->states[index].entry = comp_here(c);
    comp_block(c, state->body);
    if (c->max_slot > BC_MAX_LOCALS) {
        char message[160];
        snprintf(message, sizeof message, "state '%s' keeps %u values in locals (let, and a call's "
                 "result) at once; a state keeps at most %d", state->name.text, c->max_slot, BC_MAX_LOCALS);
        comp_fail(c, state->name.span, message);
    }
    c->bc->states[index].locals = c->max_slot;
    if (c->max_slot > c->bc->max_locals)
        c->bc->max_locals = c->max_slot;
}
