/*
 * compile.c - the compiler's driver: namespaces, tables, and the order in which code is
 * laid out (states, then fns, then trigger, var and const chunks), so the same source
 * always gives the same bytes.
 */
#include "compile_internal.h"
#include "memtrap.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "modules.h"
#include "parse.h"

uint32_t comp_here(Compiler *c)
{
    return c->bc->code_count;
}

void comp_fail(Compiler *c, Span span, const char *message)
{
    if (!c->failed)
        diag_add(c->diags, DIAG_ERROR, c->scope->src, span, "%s", message);
    c->failed = true;
}

uint32_t comp_emit(Compiler *c, Opcode op, uint32_t operand, Span span)
{
    if (operand > BC_MAX_OPERAND || comp_here(c) >= BC_MAX_OPERAND) {
        /* an operand (a table index or a count) or a jump's target pc past 24 bits */
        comp_fail(c, span, "the playbook is too large for the bytecode format: an instruction "
                  "refers to more than 16,777,215 constants, names or instructions");
        operand = 0;
    }
    uint32_t line = c->scope == c->root ? source_line_of(c->scope->src, span.start) : 0;
    if (line != c->last_line) {
        BC_PUSH(c->bc, lines, ((BcLine){comp_here(c), line}));
        c->last_line = line;
    }
    return BC_PUSH(c->bc, code, bc_encode(op, operand));
}

void comp_patch(Compiler *c, uint32_t at, uint32_t target)
{
    c->bc->code[at] = bc_encode(bc_op(c->bc->code[at]), target);
}

uint32_t comp_const_string(Compiler *c, const char *text, size_t len)
{
    char *key = arena_strndup(c->arena, text, len);
    uintptr_t found = (uintptr_t)name_map_get(&c->strings, key);
    if (found)
        return (uint32_t)(found - 1);
    uint32_t index = BC_PUSH(c->bc, consts, value_string(text, len));
    name_map_put(c->arena, &c->strings, key, (void *)(uintptr_t)(index + 1));
    return index;
}

uint32_t comp_lookup_index(const NameMap *map, const char *name)
{
    uintptr_t found = (uintptr_t)name_map_get(map, name);
    return found ? (uint32_t)(found - 1) : BC_NONE;
}

static void comp_index_put(Compiler *c, NameMap *map, const char *name, uint32_t index)
{
    name_map_put(c->arena, map, name, (void *)(uintptr_t)(index + 1));
}

const char *comp_qualified(Compiler *c, CompScope *scope, const char *name)
{
    if (!scope->prefix[0])
        return name;
    return arena_printf(c->arena, "%s%s", scope->prefix, name);
}

/* ---- namespaces ---- */

static CompScope *comp_scope_new(Compiler *c, const char *prefix, const Source *src)
{
    CompScope *scope = arena_alloc(c->arena, sizeof *scope);
    scope->prefix = prefix;
    scope->src = src;
    return scope;
}

static void comp_register_fns(Compiler *c, CompScope *scope, const AstProgram *program);

/* Loads the modules `program` uses into `scope`, registering their fns. */
static void comp_load_modules(Compiler *c, CompScope *scope, const AstProgram *program)
{
    for (unsigned i = 0; i < program->uses.count; i++) {
        const AstUse *use = program->uses.items[i];
        const StdlibModule *found = stdlib_module_find(use->module.text);
        if (!found || name_map_get(&scope->modules, found->name))
            continue;
        char *file = arena_printf(c->arena, "stdlib/%s.play", found->name);
        Source *src = source_new(c->arena, file, found->text, found->len);
        const AstProgram *module = parse_program(c->arena, src, c->diags, true);
        CompScope *inner = comp_scope_new(c, arena_printf(c->arena, "%s.", found->name), src);
        inner->program = module;
        name_map_put(c->arena, &scope->modules, found->name, inner);
        CompScope *outer = c->scope;
        c->scope = inner;
        comp_load_modules(c, inner, module);
        comp_register_fns(c, inner, module);
        c->scope = outer;
    }
}

static void comp_register_fns(Compiler *c, CompScope *scope, const AstProgram *program)
{
    for (unsigned i = 0; i < program->consts.count; i++) {
        AstConst *k = program->consts.items[i];
        name_map_put(c->arena, &scope->consts, k->name.text, k);
    }
    for (unsigned i = 0; i < program->fns.count; i++) {
        AstFn *fn = program->fns.items[i];
        const char *name = comp_qualified(c, scope, fn->name.text);
        if (fn->params.count > AST_MAX_ARGS)   /* the checker said so first */
            comp_fail(c, fn->name.span, "a fn takes at most 255 parameters");
        uint32_t index = BC_PUSH(c->bc, fns, ((BcFn){comp_const_string(c, name, strlen(name)), 0,
                                                     fn->params.count, fn->params.count}));
        comp_index_put(c, &c->fns, name, index);
    }
}

/* ---- fns and chunks ---- */

typedef struct PendingFn {
    const AstFn *fn;
    CompScope *scope;
} PendingFn;

static void comp_fn_bodies(Compiler *c, CompScope *scope, const AstProgram *program)
{
    for (unsigned i = 0; i < program->fns.count; i++) {
        const AstFn *fn = program->fns.items[i];
        uint32_t index = comp_lookup_index(&c->fns, comp_qualified(c, scope, fn->name.text));
        CompScope *outer = c->scope;
        c->scope = scope;
        c->bc->fns[index].entry = comp_here(c);
        c->local_count = 0;
        c->next_slot = 0;
        for (unsigned k = 0; k < fn->params.count; k++)
            comp_local_declare(c, ((AstName *)fn->params.items[k])->text);
        comp_expr(c, fn->body);
        comp_emit(c, OP_RETURN, 0, fn->span);
        c->local_count = 0;
        c->scope = outer;
    }
}

/* Emits a chunk: the expression, then RETURN. Returns its pc, or BC_NONE. */
static uint32_t comp_chunk(Compiler *c, const AstExpr *expr)
{
    if (!expr)
        return BC_NONE;
    uint32_t pc = comp_here(c);
    c->in_chunk = true;
    comp_expr(c, expr);
    comp_emit(c, OP_RETURN, 0, expr->span);
    c->in_chunk = false;
    return pc;
}

/* Module fn bodies, in the order the modules were loaded (recursively). */
static void comp_module_bodies(Compiler *c, CompScope *scope, const AstProgram *program)
{
    for (unsigned i = 0; i < program->uses.count; i++) {
        const AstUse *use = program->uses.items[i];
        CompScope *inner = name_map_get(&scope->modules, use->module.text);
        if (!inner || inner->bodies_done)
            continue;
        inner->bodies_done = true;
        comp_module_bodies(c, inner, inner->program);
        comp_fn_bodies(c, inner, inner->program);
    }
}

static void comp_triggers(Compiler *c)
{
    const AstProgram *p = c->program;
    for (unsigned i = 0; i < p->triggers.count; i++) {
        const AstTrigger *t = p->triggers.items[i];
        uint32_t name_index = comp_lookup_index(&c->tnames, t->name.text);
        if (name_index == BC_NONE) {
            name_index = BC_PUSH(c->bc, trigger_names, comp_const_string(c, t->name.text, strlen(t->name.text)));
            comp_index_put(c, &c->tnames, t->name.text, name_index);
        }
    }
    for (unsigned i = 0; i < p->triggers.count; i++) {
        const AstTrigger *t = p->triggers.items[i];
        BcTrigger bt = {
            comp_const_string(c, t->source.text, strlen(t->source.text)),
            comp_const_string(c, t->type.text, strlen(t->type.text)),
            comp_lookup_index(&c->tnames, t->name.text), BC_NONE, BC_NONE, BC_NONE, BC_NONE, 0,
        };
        bt.at_least = t->at_least ? t->at_least_value : 0;   /* folded by the checker */
        if (t->case_key)
            c->bc->uses_case = true;
        BC_PUSH(c->bc, triggers, bt);   /* its chunks come later: comp_trigger_chunks */
    }
}

static void comp_trigger_chunks(Compiler *c)
{
    const AstProgram *p = c->program;
    for (unsigned i = 0; i < p->triggers.count; i++) {
        const AstTrigger *t = p->triggers.items[i];
        c->bc->triggers[i].when_pc = comp_chunk(c, t->when);
        c->bc->triggers[i].case_pc = comp_chunk(c, t->case_key);
        c->bc->triggers[i].for_pc = comp_chunk(c, t->case_for);
        c->bc->triggers[i].window_pc = comp_chunk(c, t->window);
    }
}

/* Consts that do not fold become chunks, evaluated when the program is loaded. */
static void comp_const_defs(Compiler *c, CompScope *scope)
{
    for (unsigned i = 0; i < scope->consts.cap; i++) {
        const AstConst *k = scope->consts.values[i];
        if (!scope->consts.keys[i])
            continue;
        const char *name = comp_qualified(c, scope, k->name.text);
        Value folded;
        if (comp_fold_const(c, scope, k, &folded)) {
            value_release(folded);
            continue;
        }
        uint32_t index = BC_PUSH(c->bc, cdefs, ((BcGlobal){comp_const_string(c, name, strlen(name)), 0}));
        comp_index_put(c, &c->cdefs, name, index);
    }
    for (unsigned i = 0; i < scope->modules.cap; i++)
        if (scope->modules.keys[i])
            comp_const_defs(c, scope->modules.values[i]);
}

static void comp_const_chunks(Compiler *c, CompScope *scope)
{
    for (unsigned i = 0; i < scope->consts.cap; i++) {
        const AstConst *k = scope->consts.values[i];
        if (!scope->consts.keys[i])
            continue;
        uint32_t index = comp_lookup_index(&c->cdefs, comp_qualified(c, scope, k->name.text));
        if (index == BC_NONE)
            continue;
        CompScope *outer = c->scope;
        c->scope = scope;
        c->bc->cdefs[index].init_pc = comp_chunk(c, k->value);
        c->scope = outer;
    }
    for (unsigned i = 0; i < scope->modules.cap; i++)
        if (scope->modules.keys[i])
            comp_const_chunks(c, scope->modules.values[i]);
}

/* The bytecode's header; false when out of memory. */
static bool comp_header(Compiler *c)
{
    const AstProgram *p = c->program;
    Bytecode *bc = c->bc;
    bc->name = comp_const_string(c, p->name.text ? p->name.text : "", p->name.text ? strlen(p->name.text) : 0);
    const char *text;
    uint32_t len;
    if (p->title && ast_string_is_plain(p->title, &text, &len))
        bc->title = comp_const_string(c, text, len);
    if (p->calendar && ast_string_is_plain(p->calendar, &text, &len))
        bc->calendar = comp_const_string(c, text, len);
    const char *slash = strrchr(p->src->name, '/');   /* the file's name alone: the same */
    bc->source_name = strdup(slash ? slash + 1 : p->src->name);   /* source, the same version */
    bc->source = malloc((size_t)p->src->len + 1);   /* the text may hold NUL bytes */
    if (!bc->source || !bc->source_name)
        return false;
    memcpy(bc->source, p->src->text, p->src->len);
    bc->source[p->src->len] = '\0';
    bc->source_len = p->src->len;
    return true;
}

/* The values the compiler holds outside the Bytecode: the consts' folds, and a folded
   value on its way to the pool. */
static void comp_release_folds(Compiler *c)
{
    for (unsigned i = 0; i < c->folded.cap; i++)
        if (c->folded.keys[i])
            value_release(((CompFolded *)c->folded.values[i])->value);
    value_release(c->pending);
    c->pending = VALUE_NULL;
}

int compile_program(const AstProgram *program, Arena *arena, DiagList *diags, Bytecode *out)
{
    static _Thread_local Compiler c;   /* not on the stack: read after a longjmp */
    memset(&c, 0, sizeof c);
    MemTrap trap;
    memtrap_push(&trap);
    if (setjmp(trap.at)) {
        comp_release_folds(&c);
        memtrap_raise();   /* front_build frees `out` and says so */
    }
    c.arena = arena;
    c.diags = diags;
    c.program = program;
    c.bc = out;
    bc_init(out);
    c.root = c.scope = comp_scope_new(&c, "", program->src);
    if (!comp_header(&c)) {
        memtrap_pop(&trap);
        bc_free(out);
        return BC_NO_MEMORY;
    }
    comp_load_modules(&c, c.root, program);
    comp_register_fns(&c, c.root, program);
    for (unsigned i = 0; i < program->states.count; i++) {
        const AstState *state = program->states.items[i];
        uint32_t index = BC_PUSH(out, states, ((BcState){comp_const_string(&c, state->name.text,
                                                         strlen(state->name.text)), 0, 0}));
        comp_index_put(&c, &c.states, state->name.text, index);
    }
    for (unsigned i = 0; i < program->vars.count; i++) {
        const AstConst *var = program->vars.items[i];
        uint32_t index = BC_PUSH(out, vars, ((BcGlobal){comp_const_string(&c, var->name.text,
                                                        strlen(var->name.text)), 0}));
        comp_index_put(&c, &c.vars, var->name.text, index);
    }
    comp_triggers(&c);
    comp_const_defs(&c, c.root);
    for (unsigned i = 0; i < program->states.count; i++)
        comp_state(&c, i, program->states.items[i]);
    comp_fn_bodies(&c, c.root, program);
    comp_module_bodies(&c, c.root, program);
    comp_trigger_chunks(&c);
    for (unsigned i = 0; i < program->vars.count; i++)
        out->vars[i].init_pc = comp_chunk(&c, ((AstConst *)program->vars.items[i])->value);
    comp_const_chunks(&c, c.root);
    memtrap_pop(&trap);
    comp_release_folds(&c);
    if (c.failed) {
        bc_free(out);
        return -1;
    }
    return 0;
}
