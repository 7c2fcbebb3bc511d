/*
 * compile_expr.c - expressions to stack code, and compile-time folding of constants.
 *
 * Every expression leaves exactly one value on the stack. `and`, `or` and `??` jump
 * over their right side; `if ... then ... else` is two jumps.
 */
#include "compile_internal.h"

#include <stdio.h>
#include <string.h>

#include "builtins.h"

static const char *const BUILTIN_NAMES[] = {
#define X(id, name, min, max, type, flags) name,
    HUDDLE_BUILTINS(X)
#undef X
};

static int comp_builtin_find(const char *name)
{
    for (int i = 0; i < BUILTIN_COUNT; i++)
        if (strcmp(BUILTIN_NAMES[i], name) == 0)
            return i;
    return -1;
}

/* ---- folding ---- */

static Value comp_duration_value(const DurationLit *d)
{
    if (!d->business)
        return value_duration(d->seconds * 1000);
    BusinessUnit unit = d->unit == UNIT_MINUTES ? BUSINESS_MINUTES
                      : d->unit == UNIT_HOURS ? BUSINESS_HOURS : BUSINESS_DAYS;
    return value_business(d->count, unit);
}

static const AstConst *comp_find_const(Compiler *c, const char *name, CompScope **where)
{
    for (unsigned i = c->local_count; i > 0; i--)
        if (strcmp(c->locals[i - 1].name, name) == 0)
            return NULL;
    *where = c->scope;
    return name_map_get(&c->scope->consts, name);
}

static bool comp_fold_in(Compiler *c, const AstExpr *expr, Value *out);

/* The memo of const `k` of scope `where`, made (FOLD_UNKNOWN) if it has none. */
static CompFolded *comp_fold_memo(Compiler *c, CompScope *where, const AstConst *k)
{
    const char *name = comp_qualified(c, where, k->name.text);
    CompFolded *memo = name_map_get(&c->folded, name);
    if (!memo) {
        memo = arena_alloc(c->arena, sizeof *memo);
        memo->state = FOLD_UNKNOWN;
        memo->value = VALUE_NULL;
        name_map_put(c->arena, &c->folded, name, memo);
    }
    return memo;
}

/* Folds const `k` of scope `where`. A const that is only another const's name is
   followed in a loop, not by recursion, and every const met on the way remembers the
   result, so a chain of 100,000 `const b = a` costs each const one step. A fold that
   stopped at AST_MAX_DEPTH is not remembered (from elsewhere it may fold). */
bool comp_fold_const(Compiler *c, CompScope *where, const AstConst *k, Value *out)
{
    AstVec path = {0};            /* the memos of the consts met, filled in at the end */
    bool ok = false;
    unsigned gave_up = c->fold_gave_up;
    CompScope *outer = c->scope;
    *out = VALUE_NULL;
    for (;;) {
        CompFolded *memo = comp_fold_memo(c, where, k);
        if (memo->state == FOLD_DONE) {
            ok = memo->ok;
            *out = memo->value;
            value_retain(*out);
            break;
        }
        if (memo->state == FOLD_PENDING)
            break;                /* a cycle the checker did not see: the load reports it */
        memo->state = FOLD_PENDING;
        ast_vec_push(c->arena, &path, memo);
        c->scope = where;
        const AstExpr *value = k->value;
        if (value->kind != EX_NAME) {
            ok = comp_fold(c, value, out);
            break;
        }
        CompScope *next;
        k = comp_find_const(c, value->as.name.text, &next);
        where = next;
        if (!k)
            break;
    }
    c->scope = outer;
    bool known = c->fold_gave_up == gave_up;
    for (unsigned i = 0; i < path.count; i++) {
        CompFolded *memo = path.items[i];
        memo->state = known ? FOLD_DONE : FOLD_UNKNOWN;
        memo->ok = ok;
        if (known && ok) {
            memo->value = *out;
            value_retain(*out);
        }
    }
    if (!ok) {
        value_release(*out);
        *out = VALUE_NULL;
    }
    return ok;
}

/* Folds literals, consts of literals, and unary minus; false for anything else. Unary
   minus through consts (`const b = -a`, `const c = -b`, ...) folds to AST_MAX_DEPTH
   deep; a longer chain is left to the program's load, which evaluates consts without
   recursion. */
bool comp_fold(Compiler *c, const AstExpr *expr, Value *out)
{
    if (c->fold_depth >= AST_MAX_DEPTH) {
        c->fold_gave_up++;
        return false;
    }
    c->fold_depth++;
    bool ok = comp_fold_in(c, expr, out);
    c->fold_depth--;
    return ok;
}

static bool comp_fold_in(Compiler *c, const AstExpr *expr, Value *out)
{
    const char *text;
    uint32_t len;
    switch (expr->kind) {
    case EX_NULL: *out = VALUE_NULL; return true;
    case EX_BOOL: *out = value_bool(expr->as.boolean); return true;
    case EX_INT:
        if (expr->as.integer.value > (uint64_t)INT64_MAX)
            return false;
        *out = value_int((int64_t)expr->as.integer.value);
        return true;
    case EX_FLOAT: *out = value_float(expr->as.number); return true;
    case EX_DURATION: *out = comp_duration_value(&expr->as.duration); return true;
    case EX_TIME: *out = value_time(expr->as.time.epoch_seconds * 1000); return true;
    case EX_STRING:
        if (!ast_string_is_plain(expr, &text, &len))
            return false;
        *out = value_string(text, len);
        return true;
    case EX_NEG: {
        const AstExpr *inner = expr->as.operand;
        if (inner->kind == EX_INT && inner->as.integer.value == (uint64_t)INT64_MAX + 1) {
            *out = value_int(INT64_MIN);
            return true;
        }
        Value v;
        if (!comp_fold(c, inner, &v))
            return false;
        if (v.type == VAL_INT && v.as.integer != INT64_MIN)
            return *out = value_int(-v.as.integer), true;
        if (v.type == VAL_FLOAT)
            return *out = value_float(-v.as.number), true;
        if (v.type == VAL_DURATION && v.as.ms != INT64_MIN)
            return *out = value_duration(-v.as.ms), true;
        value_release(v);
        return false;
    }
    case EX_NAME: {
        CompScope *where;
        const AstConst *k = comp_find_const(c, expr->as.name.text, &where);
        return k && comp_fold_const(c, where, k, out);
    }
    default:
        return false;
    }
}

/* ---- names ---- */

static void comp_push_value(Compiler *c, Value v, Span span)
{
    c->pending = v;   /* until it is in the pool or released (memtrap.h) */
    if (v.type == VAL_NULL)
        comp_emit(c, OP_PUSH_NULL, 0, span);
    else if (v.type == VAL_BOOL)
        comp_emit(c, v.as.boolean ? OP_PUSH_TRUE : OP_PUSH_FALSE, 0, span);
    else if (v.type == VAL_INT && v.as.integer >= -(1 << 23) && v.as.integer < (1 << 23))
        comp_emit(c, OP_PUSH_INT, (uint32_t)v.as.integer & BC_MAX_OPERAND, span);
    else if (v.type == VAL_STRING) {
        comp_emit(c, OP_PUSH_CONST, comp_const_string(c, v.as.string->data, v.as.string->len), span);
    } else {
        c->pending = VALUE_NULL;   /* bc_add_const takes it, even when it raises */
        comp_emit(c, OP_PUSH_CONST, bc_add_const(c->bc, v), span);
        return;
    }
    c->pending = VALUE_NULL;
    value_release(v);
}

/* A const: folded into the pool, or loaded from its chunk's value. */
static void comp_const_ref(Compiler *c, CompScope *scope, const AstConst *k, Span span)
{
    Value v;
    if (comp_fold_const(c, scope, k, &v)) {
        comp_push_value(c, v, span);
        return;
    }
    uint32_t index = comp_lookup_index(&c->cdefs, comp_qualified(c, scope, k->name.text));
    comp_emit(c, OP_LOAD_CDEF, index == BC_NONE ? 0 : index, span);
}

static void comp_name(Compiler *c, const AstExpr *expr)
{
    const char *name = expr->as.name.text;
    const CompLocal *local = comp_local_find(c, name);
    if (local) {
        comp_emit(c, OP_LOAD_LOCAL, local->slot, expr->span);
        return;
    }
    const AstConst *k = name_map_get(&c->scope->consts, name);
    if (k) {
        comp_const_ref(c, c->scope, k, expr->span);
        return;
    }
    uint32_t index = comp_lookup_index(&c->vars, name);
    if (index != BC_NONE && c->scope == c->root) {
        comp_emit(c, OP_LOAD_VAR, index, expr->span);
        return;
    }
    index = comp_lookup_index(&c->tnames, name);
    if (index != BC_NONE && c->scope == c->root) {
        comp_emit(c, OP_LOAD_TRIGGER, index, expr->span);
        return;
    }
    comp_fail(c, expr->span, "internal error: a name the checker accepted has no home");
}

/* ---- calls ---- */

static void comp_args(Compiler *c, const AstVec *args)
{
    for (unsigned i = 0; i < args->count; i++)
        comp_expr(c, args->items[i]);
}

static void comp_call(Compiler *c, const AstExpr *expr)
{
    const AstExpr *callee = expr->as.call.callee;
    const AstVec *args = &expr->as.call.args;
    const char *fn_name = NULL;
    if (callee->kind == EX_NAME) {
        int id = comp_builtin_find(callee->as.name.text);   /* a value of a builtin's name is no fn */
        if (id == BUILTIN_META) {
            const AstExpr *arg = args->items[0];
            uint32_t tname = comp_lookup_index(&c->tnames, arg->as.name.text);
            comp_emit(c, OP_PUSH_INT, tname == BC_NONE ? 0 : tname, arg->span);
            comp_emit(c, OP_CALL_BUILTIN, (uint32_t)id << 8 | 1, expr->span);
            return;
        }
        if (id >= 0 && !name_map_get(&c->fns, comp_qualified(c, c->scope, callee->as.name.text))) {
            comp_args(c, args);
            comp_emit(c, OP_CALL_BUILTIN, (uint32_t)id << 8 | args->count, expr->span);
            return;
        }
        fn_name = comp_qualified(c, c->scope, callee->as.name.text);
    } else if (callee->kind == EX_FIELD && callee->as.field.object->kind == EX_NAME) {
        CompScope *module = name_map_get(&c->scope->modules, callee->as.field.object->as.name.text);
        if (module)
            fn_name = comp_qualified(c, module, callee->as.field.field.text);
    }
    uint32_t index = fn_name ? comp_lookup_index(&c->fns, fn_name) : BC_NONE;
    if (index == BC_NONE) {
        comp_fail(c, expr->span, "internal error: a call the checker accepted has no fn");
        return;
    }
    if (args->count > AST_MAX_ARGS) {   /* the checker said so first */
        comp_fail(c, expr->span, "a call takes at most 255 arguments");
        return;
    }
    comp_args(c, args);
    comp_emit(c, OP_CALL_FN, index << 8 | args->count, expr->span);
}

/* `module.member` for a const, or an ordinary field read. */
static void comp_field(Compiler *c, const AstExpr *expr)
{
    const AstExpr *object = expr->as.field.object;
    const char *field = expr->as.field.field.text;
    if (object->kind == EX_NAME && !comp_local_find(c, object->as.name.text)) {
        CompScope *module = name_map_get(&c->scope->modules, object->as.name.text);
        if (module) {
            const AstConst *k = name_map_get(&module->consts, field);
            if (k) {
                comp_const_ref(c, module, k, expr->span);
                return;
            }
        }
    }
    comp_expr(c, object);
    comp_emit(c, OP_GET_FIELD, comp_const_string(c, field, strlen(field)), expr->as.field.field.span);
}

/* ---- operators ---- */

static const Opcode BINARY_OPS[] = {
    [BIN_ADD] = OP_ADD, [BIN_SUB] = OP_SUB, [BIN_MUL] = OP_MUL, [BIN_DIV] = OP_DIV,
    [BIN_MOD] = OP_MOD, [BIN_EQ] = OP_EQ, [BIN_NE] = OP_NE, [BIN_LT] = OP_LT, [BIN_LE] = OP_LE,
    [BIN_GT] = OP_GT, [BIN_GE] = OP_GE, [BIN_IN] = OP_IN,
};

static void comp_binary(Compiler *c, const AstExpr *expr)
{
    AstBinOp op = expr->as.binary.op;
    comp_expr(c, expr->as.binary.left);
    if (op == BIN_AND || op == BIN_OR || op == BIN_COALESCE) {
        Opcode jump = op == BIN_AND ? OP_AND_JUMP : op == BIN_OR ? OP_OR_JUMP : OP_COALESCE_JUMP;
        uint32_t at = comp_emit(c, jump, 0, expr->span);
        comp_expr(c, expr->as.binary.right);
        if (op != BIN_COALESCE)
            comp_emit(c, OP_CHECK_BOOL, 0, expr->as.binary.right->span);
        comp_patch(c, at, comp_here(c));
        return;
    }
    comp_expr(c, expr->as.binary.right);
    comp_emit(c, BINARY_OPS[op], 0, expr->span);
}

static void comp_string(Compiler *c, const AstExpr *expr)
{
    const AstVec *parts = &expr->as.parts;
    for (unsigned i = 0; i < parts->count; i++) {
        const AstStrPart *part = parts->items[i];
        if (part->expr)
            comp_expr(c, part->expr);
        else
            comp_emit(c, OP_PUSH_CONST, comp_const_string(c, part->text, part->len), expr->span);
    }
    comp_emit(c, OP_CONCAT, parts->count, expr->span);
}

void comp_who(Compiler *c, const AstWho *who)
{
    static const uint32_t ARGS[] = {1, 1, 1, 2, 2, 1, 1, 0};
    if (who->kind == WHO_MANAGER)
        comp_who(c, who->inner);
    if (who->arg)
        comp_expr(c, who->arg);
    if (who->arg2)
        comp_expr(c, who->arg2);
    comp_emit(c, OP_MAKE_WHO, (uint32_t)who->kind << 8 | ARGS[who->kind], who->span);
}

static bool comp_literal_fits(Compiler *c, const AstExpr *expr, unsigned count, const char *what)
{
    if (count <= COMP_MAX_ITEMS)
        return true;
    char message[160];
    snprintf(message, sizeof message, "%s has %u items; one literal holds at most %d (join lists with +)",
             what, count, COMP_MAX_ITEMS);
    comp_fail(c, expr->span, message);
    return false;
}

void comp_expr(Compiler *c, const AstExpr *expr)
{
    Value folded;
    if (expr->kind != EX_NAME && comp_fold(c, expr, &folded)) {
        comp_push_value(c, folded, expr->span);
        return;
    }
    switch (expr->kind) {
    case EX_STRING:
        if (comp_literal_fits(c, expr, expr->as.parts.count, "this string"))
            comp_string(c, expr);
        break;
    case EX_LIST:
        if (!comp_literal_fits(c, expr, expr->as.items.count, "this list"))
            break;
        comp_args(c, &expr->as.items);
        comp_emit(c, OP_MAKE_LIST, expr->as.items.count, expr->span);
        break;
    case EX_MAP:
        if (!comp_literal_fits(c, expr, expr->as.entries.count, "this map"))
            break;
        for (unsigned i = 0; i < expr->as.entries.count; i++) {
            const AstMapEntry *entry = expr->as.entries.items[i];
            comp_emit(c, OP_PUSH_CONST, comp_const_string(c, entry->key.text, strlen(entry->key.text)),
                      entry->key.span);
            comp_expr(c, entry->value);
        }
        comp_emit(c, OP_MAKE_MAP, expr->as.entries.count, expr->span);
        break;
    case EX_NAME: comp_name(c, expr); break;
    case EX_CASE: comp_emit(c, OP_LOAD_CASE, 0, expr->span); break;
    case EX_FIELD: comp_field(c, expr); break;
    case EX_INDEX:
        comp_expr(c, expr->as.index.object);
        comp_expr(c, expr->as.index.index);
        comp_emit(c, OP_GET_INDEX, 0, expr->span);
        break;
    case EX_CALL: comp_call(c, expr); break;
    case EX_NEG:
        comp_expr(c, expr->as.operand);
        comp_emit(c, OP_NEG, 0, expr->span);
        break;
    case EX_NOT:
        comp_expr(c, expr->as.operand);
        comp_emit(c, OP_NOT, 0, expr->span);
        break;
    case EX_BINARY: comp_binary(c, expr); break;
    case EX_IF: {
        comp_expr(c, expr->as.cond.cond);
        uint32_t to_else = comp_emit(c, OP_JUMP_IF_FALSE, 0, expr->as.cond.cond->span);
        comp_expr(c, expr->as.cond.then_expr);
        uint32_t to_end = comp_emit(c, OP_JUMP, 0, expr->span);
        comp_patch(c, to_else, comp_here(c));
        comp_expr(c, expr->as.cond.else_expr);
        comp_patch(c, to_end, comp_here(c));
        break;
    }
    default:
        comp_fail(c, expr->span, "internal error: an expression the compiler does not know");
    }
}
