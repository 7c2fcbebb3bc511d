/*
 * check.c - the checker's driver: declarations, modules, and the order of the passes.
 *
 * Passes, in order: the header and what a module may hold; every global name (use,
 * const, fn, var, trigger) and every state, with duplicates refused; const values
 * (cycles refused); fn bodies (recursion refused); var values; trigger clauses; state
 * bodies (check_stmt.c); and the flow of states (check_flow.c).
 */
#include "check_internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "modules.h"
#include "parse.h"
#include "text.h"

/* ---- name maps ---- */

static uint32_t name_hash(const char *key)
{
    uint32_t hash = 2166136261u;
    for (; *key; key++)
        hash = (hash ^ (unsigned char)*key) * 16777619u;
    return hash;
}

void *name_map_get(const NameMap *map, const char *key)
{
    if (map->cap == 0)
        return NULL;
    for (uint32_t i = name_hash(key) & (map->cap - 1);; i = (i + 1) & (map->cap - 1)) {
        if (!map->keys[i])
            return NULL;
        if (strcmp(map->keys[i], key) == 0)
            return map->values[i];
    }
}

void name_map_put(Arena *arena, NameMap *map, const char *key, void *value)
{
    if ((map->count + 1) * 2 > map->cap) {
        NameMap bigger = {0};
        bigger.cap = map->cap ? map->cap * 2 : 16;
        bigger.keys = arena_alloc(arena, sizeof(char *) * bigger.cap);
        bigger.values = arena_alloc(arena, sizeof(void *) * bigger.cap);
        for (unsigned i = 0; i < map->cap; i++)
            if (map->keys[i])
                name_map_put(arena, &bigger, map->keys[i], map->values[i]);
        *map = bigger;
    }
    uint32_t i = name_hash(key) & (map->cap - 1);
    while (map->keys[i] && strcmp(map->keys[i], key) != 0)
        i = (i + 1) & (map->cap - 1);
    if (!map->keys[i])
        map->count++;
    map->keys[i] = key;
    map->values[i] = value;
}

/* ---- diagnostics ---- */

Diag *check_error(CheckCtx *c, Span span, const char *fmt, ...)
{
    char message[512];
    va_list args;
    va_start(args, fmt);
    vsnprintf(message, sizeof message, fmt, args);
    va_end(args);
    return diag_add(c->diags, DIAG_ERROR, c->src, span, "%s", message);
}

Diag *check_warning(CheckCtx *c, Span span, const char *fmt, ...)
{
    char message[512];
    va_list args;
    va_start(args, fmt);
    vsnprintf(message, sizeof message, fmt, args);
    va_end(args);
    return diag_add(c->diags, DIAG_WARNING, c->src, span, "%s", message);
}

void check_suggest(CheckCtx *c, Diag *diag, const char *name, const char *const *candidates,
                   unsigned count)
{
    const char *best = text_closest(name, candidates, count);
    if (best)
        diag_hint(c->diags, diag, "did you mean '%s'?", best);
}

void check_suggest_map(CheckCtx *c, Diag *diag, const char *name, const NameMap *map)
{
    const char **keys = arena_alloc(c->arena, sizeof(char *) * (map->count + 1));
    unsigned n = 0;
    for (unsigned i = 0; i < map->cap; i++)
        if (map->keys[i])
            keys[n++] = map->keys[i];
    check_suggest(c, diag, name, keys, n);
}

/* ---- symbols ---- */

Symbol *check_symbol_new(CheckCtx *c, const char *name, SymKind kind, Span span,
                         CheckType type, const void *decl)
{
    Symbol *sym = arena_alloc(c->arena, sizeof *sym);
    sym->name = name;
    sym->kind = kind;
    sym->span = span;
    sym->type = type;
    sym->decl = decl;
    sym->fn_index = -1;
    sym->builtin = -1;
    return sym;
}

bool check_name_is_reserved(const char *name)
{
    return check_builtin_find(name) >= 0;
}

/* Innermost first: locals, then globals. */
Symbol *check_lookup(CheckCtx *c, const char *name)
{
    for (unsigned i = c->local_count; i > 0; i--)
        if (strcmp(c->locals[i - 1]->name, name) == 0)
            return c->locals[i - 1];
    return name_map_get(&c->globals, name);
}

static const char *const SYM_KIND_NAMES[] = {
    "a const", "a fn", "a var", "a trigger name", "a module", "a local", "a parameter",
    "an ask's result", "an event name", "an error message", "a builtin",
};

/* Declares a global; a second declaration of the name is an error (triggers may share
   a name with each other). A builtin's name may name a value (`const max = 3`: calls
   still go to the builtin, check_call), not a fn. */
static Symbol *check_declare_global(CheckCtx *c, const AstName *name, SymKind kind,
                                    CheckType type, const void *decl)
{
    if (kind == SYM_FN && check_name_is_reserved(name->text)) {
        check_error(c, name->span, "'%s' is a builtin function and can't be redeclared",
                    name->text);
        return NULL;
    }
    Symbol *old = name_map_get(&c->globals, name->text);
    if (old) {
        if (old->kind == SYM_TRIGGER && kind == SYM_TRIGGER)
            return old;
        Diag *d = check_error(c, name->span, "'%s' is already declared as %s", name->text,
                              SYM_KIND_NAMES[old->kind]);
        diag_note(c->diags, d, old->span, "first declared here");
        return NULL;
    }
    Symbol *sym = check_symbol_new(c, name->text, kind, name->span, type, decl);
    name_map_put(c->arena, &c->globals, name->text, sym);
    return sym;
}

/* ---- modules ---- */

static void check_program_in(CheckCtx *c);

static CheckModule *check_load_module(CheckCtx *c, const AstName *name)
{
    CheckModule *module = name_map_get(c->modules, name->text);
    if (module) {
        if (module->checking) {
            check_error(c, name->span, "module '%s' uses itself", name->text);
            return NULL;
        }
        return module;
    }
    const StdlibModule *found = stdlib_module_find(name->text);
    if (!found) {
        Diag *d = check_error(c, name->span, "unknown module '%s'", name->text);
        const char *names[64];
        unsigned n = 0;
        StrBuf all = STRBUF_INIT;
        for (const StdlibModule *m = stdlib_modules; m->name && n < 64; m++) {
            strbuf_printf(&all, "%s%s", n ? ", " : "", m->name);
            names[n++] = m->name;
        }
        check_suggest(c, d, name->text, names, n);
        if (d && !d->hint)  /* nothing close: say which there are */
            diag_hint(c->diags, d, "the stdlib modules are %s (stdlib/*.play)", strbuf_text(&all));
        strbuf_free(&all);
        return NULL;
    }
    module = arena_alloc(c->arena, sizeof *module);
    module->name = found->name;
    module->checking = true;
    name_map_put(c->arena, c->modules, found->name, module);

    char *file = arena_printf(c->arena, "stdlib/%s.play", found->name);
    Source *src = source_new(c->arena, file, found->text, found->len);
    unsigned errors_before = c->diags->errors;
    AstProgram *program = parse_program(c->arena, src, c->diags, true);
    module->program = program;
    if (c->diags->errors == errors_before) {
        CheckCtx sub = {0};
        sub.arena = c->arena;
        sub.diags = c->diags;
        sub.options = c->options;
        sub.program = program;
        sub.src = src;
        sub.modules = c->modules;
        check_program_in(&sub);
        for (unsigned i = 0; i < sub.globals.cap; i++) {
            Symbol *sym = sub.globals.values[i];
            if (sub.globals.keys[i] && (sym->kind == SYM_CONST || sym->kind == SYM_FN))
                name_map_put(c->arena, &module->members, sym->name, sym);
        }
    }
    module->checking = false;
    return module;
}

/* ---- declarations ---- */

static void check_header(CheckCtx *c)
{
    const AstProgram *p = c->program;
    if (p->is_module) {
        if (p->playbook_decls || p->calendar || p->triggers.count || p->vars.count ||
            p->states.count) {
            Span at = p->playbook_decls ? p->header_span
                    : p->states.count ? ((AstState *)p->states.items[0])->name.span
                    : p->triggers.count ? ((AstTrigger *)p->triggers.items[0])->span
                    : p->vars.count ? ((AstConst *)p->vars.items[0])->span : p->calendar_span;
            check_error(c, at, "a module holds only const, fn and use declarations");
        }
        return;
    }
    if (p->playbook_decls == 0) {
        Diag *d = check_error(c, (Span){0, 0}, "a playbook starts with 'playbook NAME'");
        diag_hint(c->diags, d, "add a first line such as: playbook product_complaint \"title\"");
    } else if (p->playbook_decls > 1) {
        Diag *d = check_error(c, p->playbook_dup_span, "only one 'playbook' line is allowed per file");
        diag_note(c->diags, d, p->header_span, "the first one is here");
    }
    if (p->header_late) {
        Diag *d = check_error(c, p->header_span, "the 'playbook' line comes first, before every other declaration");
        diag_hint(c->diags, d, "move it to the top of the file (only comments may come before it)");
    }
    if (p->title && p->title->as.parts.count > 0) {
        const char *text;
        uint32_t len;
        if (!ast_string_is_plain(p->title, &text, &len))
            check_error(c, p->title->span, "the playbook's title can't interpolate");
    }
    if (p->calendar) {
        const char *text;
        uint32_t len;
        if (!ast_string_is_plain(p->calendar, &text, &len) || len == 0)
            check_error(c, p->calendar->span, "a calendar is named by a plain string");
    }
    if (p->calendar_dups)
        check_error(c, p->calendar_dup_span, "only one 'calendar' line is allowed");
    if (p->states.count == 0) {
        Diag *d = check_error(c, p->header_span, "a playbook needs at least one state");
        diag_hint(c->diags, d, "the first state declared is where an instance starts");
    }
    if (p->triggers.count == 0 && p->playbook_decls)
        check_warning(c, p->header_span,
                      "this playbook has no trigger ('on SOURCE.TYPE as NAME'): nothing starts it");
}

static void check_declare_all(CheckCtx *c)
{
    const AstProgram *p = c->program;
    for (unsigned i = 0; i < p->uses.count; i++) {
        AstUse *use = p->uses.items[i];
        CheckModule *module = check_load_module(c, &use->module);
        if (module)
            check_declare_global(c, &use->module, SYM_MODULE, TYPE_ANY, module);
    }
    for (unsigned i = 0; i < p->consts.count; i++) {
        AstConst *k = p->consts.items[i];
        check_declare_global(c, &k->name, SYM_CONST, TYPE_ANY, k);
    }
    for (unsigned i = 0; i < p->fns.count; i++) {
        AstFn *fn = p->fns.items[i];
        Symbol *sym = check_declare_global(c, &fn->name, SYM_FN, TYPE_ANY, fn);
        arena_grow(c->arena, (void **)&c->fn_infos, &c->fn_cap, c->fn_count + 1,
                   sizeof(FnInfo));
        FnInfo *info = &c->fn_infos[c->fn_count];
        memset(info, 0, sizeof *info);
        info->fn = fn;
        info->src = c->src;
        if (sym)
            sym->fn_index = (int)c->fn_count;
        c->fn_count++;
    }
    for (unsigned i = 0; i < p->vars.count; i++) {
        AstConst *var = p->vars.items[i];
        check_declare_global(c, &var->name, SYM_VAR, TYPE_ANY, var);
    }
    for (unsigned i = 0; i < p->triggers.count; i++) {
        AstTrigger *t = p->triggers.items[i];
        check_declare_global(c, &t->name, SYM_TRIGGER, TYPE_ANY, t);
        if (t->case_key)
            c->has_case_trigger = true;
    }
    c->state_infos = arena_alloc(c->arena, sizeof(StateInfo) * (p->states.count + 1));
    for (unsigned i = 0; i < p->states.count; i++) {
        AstState *state = p->states.items[i];
        StateInfo *old = name_map_get(&c->states, state->name.text);
        if (old) {
            Diag *d = check_error(c, state->name.span, "state '%s' is declared twice",
                                  state->name.text);
            diag_note(c->diags, d, old->state->name.span, "first declared here");
            continue;
        }
        StateInfo *info = &c->state_infos[c->state_count++];
        info->state = state;
        name_map_put(c->arena, &c->states, state->name.text, info);
    }
}

/* Checks a const's value once, whoever asks first; a const reached again while it is
   being checked depends on itself. Consts that use consts declared after them are
   checked one inside the next, at most AST_MAX_DEPTH deep: past that the use sees any
   value, and the const is checked in its own turn (a cycle longer than that is found
   when the program loads). */
void check_const_value(CheckCtx *c, Symbol *sym)
{
    if (sym->progress == 2)
        return;
    if (sym->progress == 1) {
        check_error(c, sym->span, "const '%s' depends on itself", sym->name);
        sym->type = TYPE_ANY;
        return;
    }
    if (c->const_depth >= AST_MAX_DEPTH)
        return;
    const AstConst *k = sym->decl;
    CheckPlace place = c->place;
    unsigned locals = c->local_count;
    c->local_count = 0;     /* a const sees no locals */
    c->place = PLACE_CONST;
    sym->progress = 1;
    c->const_depth++;
    CheckType type = check_expr(c, k->value);
    c->const_depth--;
    sym->progress = 2;
    sym->type = type;
    c->place = place;
    c->local_count = locals;
}

static void check_consts(CheckCtx *c)
{
    for (unsigned i = 0; i < c->program->consts.count; i++) {
        AstConst *k = c->program->consts.items[i];
        Symbol *sym = name_map_get(&c->globals, k->name.text);
        if (sym && sym->decl == k)
            check_const_value(c, sym);
    }
}

/* Depth-first over fn calls from fn `root`, with an explicit stack (a chain of fns may
   be as long as the file): a grey fn reached again is recursion, reported once at that fn,
   and the search goes on so that every cycle is reported. Each stack entry is a fn and
   how many of its calls were followed; `stack` has room for every fn (one for all the
   roots: a stack a root would cost the square of the fns in all). */
typedef struct { int fn; unsigned next; } FnVisit;

static void check_fn_recursion_from(CheckCtx *c, int root, FnVisit *stack)
{
    if (c->fn_infos[root].mark == 2)
        return;
    unsigned top = 0;
    stack[top++] = (FnVisit){root, 0};
    c->fn_infos[root].mark = 1;
    while (top > 0) {
        FnVisit *v = &stack[top - 1];
        FnInfo *info = &c->fn_infos[v->fn];
        if (v->next == info->call_count) {
            info->mark = 2;
            top--;
            continue;
        }
        FnInfo *callee = &c->fn_infos[info->calls[v->next++]];
        if (callee->mark == 1 && !callee->recursive) {
            callee->recursive = true;
            check_error(c, callee->fn->name.span,
                        "fn '%s' calls itself, directly or through other fns: recursion is not allowed",
                        callee->fn->name.text);
        }
        if (callee->mark == 0) {
            callee->mark = 1;
            stack[top++] = (FnVisit){(int)(callee - c->fn_infos), 0};
        }
    }
}

/* The depth of the longest chain of fn calls from each fn, itself counted, into `depth`
   (by the same explicit stack as the recursion search; only when no fn recursed, so
   every chain ends). */
static void check_fn_depths(CheckCtx *c, FnVisit *stack, unsigned *depth)
{
    for (unsigned root = 0; root < c->fn_count; root++) {
        if (depth[root])
            continue;
        unsigned top = 0;
        stack[top++] = (FnVisit){(int)root, 0};
        while (top > 0) {
            FnVisit *v = &stack[top - 1];
            FnInfo *info = &c->fn_infos[v->fn];
            if (v->next < info->call_count) {
                int callee = info->calls[v->next++];
                if (!depth[callee])
                    stack[top++] = (FnVisit){callee, 0};
                continue;
            }
            unsigned deepest = 0;
            for (unsigned k = 0; k < info->call_count; k++)
                if (depth[info->calls[k]] > deepest)
                    deepest = depth[info->calls[k]];
            depth[v->fn] = deepest + 1;
            top--;
        }
    }
}

/* fns nest at most AST_MAX_FN_NESTING deep (the VM stops deeper, "fns nest too
   deeply"): a fn whose chain of calls is longer is an error, once, at the outermost fn
   of it (one that no fn too deep calls). */
static void check_fn_nesting(CheckCtx *c, FnVisit *stack)
{
    for (unsigned i = 0; i < c->fn_count; i++)
        if (c->fn_infos[i].recursive)
            return;
    unsigned *depth = arena_alloc(c->arena, sizeof *depth * (c->fn_count + 1));
    bool *inner = arena_alloc(c->arena, sizeof *inner * (c->fn_count + 1));
    memset(depth, 0, sizeof *depth * (c->fn_count + 1));
    memset(inner, 0, sizeof *inner * (c->fn_count + 1));
    check_fn_depths(c, stack, depth);
    for (unsigned i = 0; i < c->fn_count; i++)
        for (unsigned k = 0; depth[i] > AST_MAX_FN_NESTING && k < c->fn_infos[i].call_count; k++)
            inner[c->fn_infos[i].calls[k]] = true;
    for (unsigned i = 0; i < c->fn_count; i++) {
        if (depth[i] <= AST_MAX_FN_NESTING || inner[i])
            continue;
        Diag *d = check_error(c, c->fn_infos[i].fn->name.span,
                              "fn '%s' nests fn calls %u deep; fns nest at most %d deep",
                              c->fn_infos[i].fn->name.text, depth[i], AST_MAX_FN_NESTING);
        diag_hint(c->diags, d, "compute part of the chain in the state (a let), and pass it on");
    }
}

static void check_fns(CheckCtx *c)
{
    for (unsigned i = 0; i < c->fn_count; i++) {
        const AstFn *fn = c->fn_infos[i].fn;
        c->place = PLACE_FN;
        c->current_fn = (int)i;
        if (fn->params.count > AST_MAX_ARGS) {
            Diag *d = check_error(c, fn->name.span, "fn '%s' has %u parameters; a fn takes at most %d",
                                  fn->name.text, fn->params.count, AST_MAX_ARGS);
            diag_hint(c->diags, d, "take the values in a list or a map instead");
        }
        unsigned mark = check_scope_enter(c);
        for (unsigned k = 0; k < fn->params.count; k++) {
            AstName *param = fn->params.items[k];
            Symbol *sym = check_declare_local(c, param, SYM_PARAM, TYPE_ANY);
            if (sym)
                sym->used = true;   /* unused parameters are not worth a warning */
        }
        check_expr(c, fn->body);
        check_scope_leave(c, mark);
        c->current_fn = -1;
    }
    FnVisit *stack = arena_alloc(c->arena, sizeof *stack * (c->fn_count + 1));
    for (unsigned i = 0; i < c->fn_count; i++)
        check_fn_recursion_from(c, (int)i, stack);
    check_fn_nesting(c, stack);
}

/* ---- vars that states set ---- */

/* The type a `set` gives var `var`, as far as the checker can tell before it knows the
   set's scope: a literal's own type, or the var itself combined with a literal of that
   type (`attempts + 1`); TYPE_ANY for anything else (it may be any value). */
static CheckType check_set_type(const Symbol *var, const AstExpr *value)
{
    static const CheckType LITERALS[] = {
        [EX_NULL] = TYPE_NULL, [EX_BOOL] = TYPE_BOOL, [EX_INT] = TYPE_INT,
        [EX_FLOAT] = TYPE_FLOAT, [EX_STRING] = TYPE_STRING, [EX_TIME] = TYPE_TIME,
        [EX_LIST] = TYPE_LIST, [EX_MAP] = TYPE_MAP,
    };
    switch (value->kind) {
    case EX_DURATION:
        return value->as.duration.business ? TYPE_BUSINESS : TYPE_DURATION;
    case EX_NAME:
        return strcmp(value->as.name.text, var->name) == 0 ? var->type : TYPE_ANY;
    case EX_NEG: {   /* -1: a number or a plain duration stays one */
        CheckType t = check_set_type(var, value->as.operand);
        return t == TYPE_INT || t == TYPE_FLOAT || t == TYPE_DURATION ? t : TYPE_ANY;
    }
    case EX_BINARY: {
        AstBinOp op = value->as.binary.op;
        if (op != BIN_ADD && op != BIN_SUB && op != BIN_MUL)
            return TYPE_ANY;
        CheckType l = check_set_type(var, value->as.binary.left);
        CheckType r = check_set_type(var, value->as.binary.right);
        return l == r && l != TYPE_BUSINESS ? l : TYPE_ANY;
    }
    default:
        return value->kind < sizeof LITERALS / sizeof *LITERALS && LITERALS[value->kind]
               ? LITERALS[value->kind] : TYPE_ANY;
    }
}

static void check_sets_in_block(CheckCtx *c, const AstBlock *block);

static void check_sets_in_target(CheckCtx *c, const AstVec *arms)
{
    for (unsigned i = 0; i < arms->count; i++) {
        const AstArm *arm = arms->items[i];
        if (arm->target && arm->target->kind == TARGET_BLOCK)
            check_sets_in_block(c, arm->target->block);
    }
}

/* Widens to TYPE_ANY each var that a `set` in `block` (or in a block inside it) may give
   a value of another type than its `var` line did. */
static void check_sets_in_block(CheckCtx *c, const AstBlock *block)
{
    for (unsigned i = 0; block && i < block->stmts.count; i++) {
        const AstStmt *stmt = block->stmts.items[i];
        const AstCall *call = stmt->kind == ST_LET ? stmt->as.let.call
                            : stmt->kind == ST_CALL ? stmt->as.call : NULL;
        if (stmt->kind == ST_SET) {
            Symbol *var = name_map_get(&c->globals, stmt->as.set.name.text);
            if (var && var->kind == SYM_VAR && check_set_type(var, stmt->as.set.value) != var->type)
                var->type = TYPE_ANY;
        } else if (stmt->kind == ST_IF) {
            const AstStmt *branch = stmt;   /* an `else if` chain, in a loop */
            for (; branch->as.if_.else_if; branch = branch->as.if_.else_if)
                check_sets_in_block(c, branch->as.if_.then_block);
            check_sets_in_block(c, branch->as.if_.then_block);
            check_sets_in_block(c, branch->as.if_.else_block);
        } else if (stmt->kind == ST_ASK) {
            check_sets_in_target(c, &stmt->as.ask->arms);
        } else if (stmt->kind == ST_WAIT) {
            check_sets_in_target(c, &stmt->as.wait.arms);
        } else if (call && call->else_kind == ELSE_BLOCK) {
            check_sets_in_block(c, call->else_block);
        }
    }
}

/* A var is typed by its `var` line only while no state may set it to something else:
   states run in any order, so a use anywhere may see any value a `set` gave it. */
static void check_var_sets(CheckCtx *c)
{
    for (unsigned i = 0; i < c->program->states.count; i++) {
        const AstState *state = c->program->states.items[i];
        check_sets_in_block(c, state->body);
    }
}

static void check_vars(CheckCtx *c)
{
    for (unsigned i = 0; i < c->program->vars.count; i++) {
        AstConst *var = c->program->vars.items[i];
        c->place = PLACE_VAR;
        CheckType type = check_expr(c, var->value);
        Symbol *sym = name_map_get(&c->globals, var->name.text);
        if (sym && sym->decl == var) {
            sym->type = type == TYPE_NULL ? TYPE_ANY : type;
            sym->progress = 2;  /* now visible to later vars */
        }
    }
}

static const CheckConnector *check_find_connector(CheckCtx *c, const AstName *name)
{
    for (unsigned i = 0; i < c->options->connector_count; i++)
        if (strcmp(c->options->connectors[i].name, name->text) == 0)
            return &c->options->connectors[i];
    Diag *d = check_error(c, name->span, "unknown connector '%s'", name->text);
    const char **names = arena_alloc(c->arena, sizeof(char *) * (c->options->connector_count + 1));
    for (unsigned i = 0; i < c->options->connector_count; i++)
        names[i] = c->options->connectors[i].name;
    check_suggest(c, d, name->text, names, c->options->connector_count);
    return NULL;
}

/* Connectors and operations exist when a connectors file was given. */
void check_connector_operation(CheckCtx *c, const AstName *connector, const AstName *operation)
{
    if (!c->options->connectors)
        return;
    const CheckConnector *found = check_find_connector(c, connector);
    if (!found || !operation)
        return;
    for (unsigned i = 0; i < found->operation_count; i++)
        if (strcmp(found->operations[i], operation->text) == 0)
            return;
    Diag *d = check_error(c, operation->span, "connector '%s' has no operation '%s'",
                          connector->text, operation->text);
    check_suggest(c, d, operation->text, found->operations, found->operation_count);
}

static void check_triggers(CheckCtx *c)
{
    for (unsigned i = 0; i < c->program->triggers.count; i++) {
        AstTrigger *t = c->program->triggers.items[i];
        c->place = PLACE_TRIGGER;
        c->current_trigger = t;
        if (strcmp(t->source.text, "directory") == 0)
            check_error(c, t->source.span,
                        "the 'directory' source is reserved: its events change the directory and reach no playbook");
        else
            check_connector_operation(c, &t->source, NULL);
        if (t->when)
            check_condition(c, t->when, "'when'");
        if (t->case_key && check_expr(c, t->case_key) == TYPE_NULL) {
            Diag *d = check_error(c, t->case_key->span, "this case key is always null, and an event "
                                  "whose key is null matches no trigger");
            diag_hint(c->diags, d, "key the case by the event's data, such as: case %s.id", t->name.text);
        }
        if (t->case_for) {
            check_duration(c, t->case_for, "'for'", false);
            check_positive_duration(c, t->case_for, "'for'", false, "case KEY for 7d");
        }
        if (t->at_least) {
            int64_t n;
            if (check_fold_count(c, t->at_least, &n,
                                 "'at least' takes an integer literal or an integer const")) {
                if (n < 1)
                    check_error(c, t->at_least->span, "'at least' needs a count of 1 or more");
                else
                    t->at_least_value = n;   /* what the compiler uses: one fold for both */
            }
            check_duration(c, t->window, "the threshold window", false);
            check_positive_duration(c, t->window, "the threshold window", false, "at least 50 within 1h");
        }
        c->current_trigger = NULL;
    }
}

static void check_program_in(CheckCtx *c)
{
    c->current_fn = -1;
    c->current_state = -1;
    unsigned errors_before = c->diags->errors;
    check_header(c);
    check_declare_all(c);
    check_consts(c);
    check_fns(c);
    check_vars(c);
    check_var_sets(c);
    check_triggers(c);
    for (unsigned i = 0; i < c->state_count; i++) {
        c->place = PLACE_STATE;
        c->current_state = (int)i;
        check_state_body(c, (int)i);
    }
    c->current_state = -1;
    if (!c->program->is_module)
        check_flow(c, c->diags->errors == errors_before);
}

void check_program(Arena *arena, const AstProgram *program, const CheckOptions *options,
                   DiagList *diags)
{
    static const CheckOptions no_options = {0};
    CheckCtx c = {0};
    c.arena = arena;
    c.diags = diags;
    c.options = options ? options : &no_options;
    c.program = program;
    c.src = program->src;
    c.modules = arena_alloc(arena, sizeof(NameMap));
    check_program_in(&c);
}

const char *check_type_name(CheckType type)
{
    static const char *const NAMES[] = {
        "any value", "null", "a boolean", "an integer", "a number", "a string",
        "a duration", "a business duration", "a time", "a list", "a map",
    };
    return NAMES[type];
}
