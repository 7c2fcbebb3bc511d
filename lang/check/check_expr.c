/*
 * check_expr.c - names and static types of expressions.
 *
 * Event data is dynamic, so most values are TYPE_ANY and pass; an error is given only
 * where the types are known and the operation can never work (a string plus a number,
 * a business duration compared, `not` on an integer), or where a name is unknown or
 * not visible from here (a var inside a fn, `now()` in a const).
 */
#include "check_internal.h"
#include "modules.h"
#include "text.h"

#include <string.h>

static const struct {
    const char *name;
    int min_args, max_args;
    CheckType result;
    int flags;
} BUILTINS[] = {
#define X(id, name, min, max, type, flags) {name, min, max, type, flags},
    HUDDLE_BUILTINS(X)
#undef X
};

int check_builtin_find(const char *name)
{
    for (int i = 0; i < BUILTIN_COUNT; i++)
        if (strcmp(BUILTINS[i].name, name) == 0)
            return i;
    return -1;
}

static bool type_known(CheckType t)
{
    return t != TYPE_ANY;
}

static bool type_is_number(CheckType t)
{
    return t == TYPE_INT || t == TYPE_FLOAT;
}

static bool type_ordered(CheckType t)
{
    return type_is_number(t) || t == TYPE_STRING || t == TYPE_TIME || t == TYPE_DURATION;
}

/* ---- constant folding (for quorum counts, thresholds and ladder warnings) ---- */

static const AstExpr *check_const_expr(CheckCtx *c, const AstExpr *expr)
{
    if (expr->kind == EX_FIELD && expr->as.field.object->kind == EX_NAME) {
        /* a module's const (`severity.first_answer`), when it is a literal: its names would
           be the module's, which these folds do not look in */
        Symbol *sym = name_map_get(&c->globals, expr->as.field.object->as.name.text);
        if (!sym || sym->kind != SYM_MODULE)
            return NULL;
        Symbol *member = name_map_get(&((const CheckModule *)sym->decl)->members, expr->as.field.field.text);
        const AstExpr *value = member && member->kind == SYM_CONST ? ((const AstConst *)member->decl)->value : NULL;
        return value && (value->kind == EX_DURATION || value->kind == EX_INT) ? value : NULL;
    }
    if (expr->kind != EX_NAME)
        return NULL;
    Symbol *sym = name_map_get(&c->globals, expr->as.name.text);
    if (!sym || sym->kind != SYM_CONST)
        return NULL;
    return ((const AstConst *)sym->decl)->value;
}

/* Folding goes through consts as well as operators: it gives up AST_MAX_DEPTH deep
   (and says so in fold_gave_up, for the messages that would otherwise blame the value). */
static bool check_fold_too_deep(CheckCtx *c)
{
    if (c->fold_depth < AST_MAX_DEPTH)
        return false;
    c->fold_gave_up = true;
    return true;
}

bool check_fold_int(CheckCtx *c, const AstExpr *expr, int64_t *value)
{
    if (!expr || check_fold_too_deep(c))
        return false;
    bool ok = false;
    int64_t a, b;
    c->fold_depth++;
    switch (expr->kind) {
    case EX_INT:
        ok = expr->as.integer.value <= INT64_MAX;
        *value = (int64_t)expr->as.integer.value;
        break;
    case EX_NEG:
        if (expr->as.operand->kind == EX_INT &&
            expr->as.operand->as.integer.value == (uint64_t)INT64_MAX + 1) {
            *value = INT64_MIN;
            ok = true;
        } else if (check_fold_int(c, expr->as.operand, &a) && a != INT64_MIN) {
            *value = -a;
            ok = true;
        }
        break;
    case EX_NAME:
    case EX_FIELD:
        ok = check_fold_int(c, check_const_expr(c, expr), value);
        break;
    case EX_BINARY:
        if (!check_fold_int(c, expr->as.binary.left, &a) ||
            !check_fold_int(c, expr->as.binary.right, &b))
            break;
        switch (expr->as.binary.op) {
        case BIN_ADD: ok = !__builtin_add_overflow(a, b, value); break;
        case BIN_SUB: ok = !__builtin_sub_overflow(a, b, value); break;
        case BIN_MUL: ok = !__builtin_mul_overflow(a, b, value); break;
        case BIN_DIV:   /* as the VM: toward zero, the remainder signed as the left */
        case BIN_MOD:
            ok = b != 0 && !(a == INT64_MIN && b == -1);
            if (ok)
                *value = expr->as.binary.op == BIN_DIV ? a / b : a % b;
            break;
        default: break;
        }
        break;
    default:
        break;
    }
    c->fold_depth--;
    return ok;
}

bool check_fold_count(CheckCtx *c, const AstExpr *expr, int64_t *value, const char *needs)
{
    c->fold_gave_up = false;
    if (check_fold_int(c, expr, value))
        return true;
    if (c->fold_gave_up) {
        check_error(c, expr->span, "%s: this one nests more than %d,%03d operators and consts deep, "
                    "too deep to work out before running", needs, AST_MAX_DEPTH / 1000, AST_MAX_DEPTH % 1000);
        return false;
    }
    Diag *d = check_error(c, expr->span, "%s", needs);
    Symbol *sym = expr->kind == EX_NAME ? check_lookup(c, expr->as.name.text) : NULL;
    if (sym && sym->kind == SYM_CONST && (sym->type == TYPE_INT || sym->type == TYPE_ANY))
        diag_hint(c->diags, d, "the checker works the count out before running, from integer "
                  "literals and consts with + - * / %%: a builtin or fn call is not counted there");
    return false;
}

bool check_fold_string(CheckCtx *c, const AstExpr *expr, const char **text, uint32_t *len)
{
    if (!expr || check_fold_too_deep(c))
        return false;
    if (ast_string_is_plain(expr, text, len))
        return true;
    c->fold_depth++;
    bool ok = expr->kind == EX_NAME && check_fold_string(c, check_const_expr(c, expr), text, len);
    c->fold_depth--;
    return ok;
}

/* A constant condition: true, false, a const holding one, or `not` of one. */
static bool check_fold_bool(CheckCtx *c, const AstExpr *expr, bool *value)
{
    if (!expr || check_fold_too_deep(c))
        return false;
    bool ok = false;
    c->fold_depth++;
    switch (expr->kind) {
    case EX_BOOL:
        *value = expr->as.boolean;
        ok = true;
        break;
    case EX_NAME:
        ok = check_fold_bool(c, check_const_expr(c, expr), value);
        break;
    case EX_NOT:
        ok = check_fold_bool(c, expr->as.operand, value);
        *value = !*value;
        break;
    default:
        break;
    }
    c->fold_depth--;
    return ok;
}

/* d / n, or d * n, as the VM computes them on milliseconds; false when it fails there. */
static bool check_fold_scale(AstBinOp op, int64_t ms, int64_t n, int64_t *out)
{
    if (op == BIN_MUL)
        return !__builtin_mul_overflow(ms, n, out);
    if (n == 0 || (ms == INT64_MIN && n == -1))
        return false;
    *out = ms / n;   /* toward zero: 61s / 2 is 30s500ms, 1ms / 2 is 0s */
    return true;
}

/* d + e, d - e, d * n, n * d or d / n of plain durations, in milliseconds. */
static bool check_fold_duration_binary(CheckCtx *c, const AstExpr *expr, int64_t *ms)
{
    const AstExpr *left = expr->as.binary.left, *right = expr->as.binary.right;
    AstBinOp op = expr->as.binary.op;
    CheckDuration a, b;
    int64_t n;
    switch (op) {
    case BIN_ADD:
    case BIN_SUB:
        return check_fold_duration_exact(c, left, &a) && check_fold_duration_exact(c, right, &b) &&
               !a.lit.business && !b.lit.business &&
               !(op == BIN_ADD ? __builtin_add_overflow(a.ms, b.ms, ms) : __builtin_sub_overflow(a.ms, b.ms, ms));
    case BIN_MUL:   /* a duration times an integer, in either order */
        if (check_fold_int(c, left, &n))
            return check_fold_duration_exact(c, right, &a) && !a.lit.business && check_fold_scale(op, a.ms, n, ms);
        /* fall through */
    case BIN_DIV:   /* a duration by an integer */
        return check_fold_duration_exact(c, left, &a) && check_fold_int(c, right, &n) && !a.lit.business &&
               check_fold_scale(op, a.ms, n, ms);
    default:
        return false;
    }
}

/* A plain duration of `ms` milliseconds, as a fold gives it. */
static CheckDuration check_plain_duration(int64_t ms)
{
    int64_t seconds = ms / 1000;
    return (CheckDuration){{false, seconds, UNIT_SECONDS, seconds}, ms};
}

bool check_fold_duration_exact(CheckCtx *c, const AstExpr *expr, CheckDuration *value)
{
    if (!expr || check_fold_too_deep(c))
        return false;
    bool ok = false;
    int64_t ms;
    CheckDuration a;
    c->fold_depth++;
    switch (expr->kind) {
    case EX_DURATION:
        value->lit = expr->as.duration;
        ok = value->lit.business || !__builtin_mul_overflow(value->lit.seconds, 1000, &value->ms);
        break;
    case EX_NAME:
    case EX_FIELD:
        ok = check_fold_duration_exact(c, check_const_expr(c, expr), value);
        break;
    case EX_IF: {   /* `if true then 30s else 2m`, through consts too */
        bool cond;
        if (check_fold_bool(c, expr->as.cond.cond, &cond))
            ok = check_fold_duration_exact(c, cond ? expr->as.cond.then_expr : expr->as.cond.else_expr, value);
        break;
    }
    case EX_NEG:
        if ((ok = check_fold_duration_exact(c, expr->as.operand, &a) && !a.lit.business && a.ms != INT64_MIN))
            *value = check_plain_duration(-a.ms);
        break;
    case EX_BINARY:
        if ((ok = check_fold_duration_binary(c, expr, &ms)))
            *value = check_plain_duration(ms);
        break;
    default:
        break;
    }
    c->fold_depth--;
    return ok;
}

bool check_fold_duration(CheckCtx *c, const AstExpr *expr, DurationLit *value)
{
    CheckDuration d;
    if (!check_fold_duration_exact(c, expr, &d) || (!d.lit.business && d.ms % 1000 != 0))
        return false;
    *value = d.lit;
    return true;
}

/* ---- names ---- */

/* Hints the closest visible name; returns whether there was one. */
static bool check_suggest_visible(CheckCtx *c, Diag *diag, const char *name)
{
    unsigned n = c->local_count + c->globals.count;
    const char **names = arena_alloc(c->arena, sizeof(char *) * (n + 1));
    unsigned k = 0;
    for (unsigned i = 0; i < c->local_count; i++)
        names[k++] = c->locals[i]->name;
    for (unsigned i = 0; i < c->globals.cap; i++)
        if (c->globals.keys[i])
            names[k++] = c->globals.keys[i];
    const char *best = text_closest(name, names, k);
    if (best)
        diag_hint(c->diags, diag, "did you mean '%s'?", best);
    return best != NULL;
}

static const char *check_place_rule(CheckPlace place)
{
    switch (place) {
    case PLACE_FN: return "a fn sees only its parameters, consts, builtins and other fns";
    case PLACE_CONST: return "a const sees only consts, fns and builtins";
    case PLACE_TRIGGER: return "a trigger sees its own name, consts, fns and builtins";
    default: return "";
    }
}

/* Is a global symbol visible from the current place? Reports when it is not. */
static bool check_visible(CheckCtx *c, Symbol *sym, Span at)
{
    switch (sym->kind) {
    case SYM_VAR:
        if (c->place == PLACE_STATE)
            return true;
        if (c->place == PLACE_VAR) {
            if (sym->progress == 2)
                return true;
            check_error(c, at, "var '%s' is used before it is set (vars are set in order)",
                        sym->name);
            return false;
        }
        break;
    case SYM_TRIGGER:
        if (c->place == PLACE_STATE || c->place == PLACE_VAR)
            return true;
        if (c->place == PLACE_TRIGGER && c->current_trigger &&
            strcmp(c->current_trigger->name.text, sym->name) == 0)
            return true;
        break;
    default:
        return true;
    }
    Diag *d = check_error(c, at, "'%s' is not visible here", sym->name);
    diag_hint(c->diags, d, "%s", check_place_rule(c->place));
    return false;
}

/* An unknown name: a stdlib module not brought in with `use` says so, anything else
   gets the closest visible name, else `otherwise` as a hint (NULL: none). */
static void check_unknown_name(CheckCtx *c, const AstName *name, const char *otherwise)
{
    Diag *d = check_error(c, name->span, "unknown name '%s'", name->text);
    if (stdlib_module_find(name->text))
        diag_hint(c->diags, d, "'%s' is a stdlib module: write 'use %s' at the top to use its fns and consts",
                  name->text, name->text);
    else if (!check_suggest_visible(c, d, name->text) && otherwise)
        diag_hint(c->diags, d, "%s", otherwise);
}

static CheckType check_name(CheckCtx *c, AstExpr *expr)
{
    const AstName *name = &expr->as.name;
    Symbol *sym = check_lookup(c, name->text);
    if (!sym) {
        if (check_builtin_find(name->text) >= 0) {
            check_error(c, name->span, "'%s' is a builtin function: call it as %s(...)",
                        name->text, name->text);
            return TYPE_ANY;
        }
        check_unknown_name(c, name, NULL);
        return TYPE_ANY;
    }
    if (!check_visible(c, sym, name->span))
        return TYPE_ANY;
    sym->used = true;
    switch (sym->kind) {
    case SYM_CONST:
        check_const_value(c, sym);
        return sym->type;
    case SYM_FN:
        check_error(c, name->span, "fn '%s' must be called: %s(...)", name->text, name->text);
        return TYPE_ANY;
    case SYM_MODULE:
        check_error(c, name->span, "module '%s' is not a value: write %s.NAME", name->text,
                    name->text);
        return TYPE_ANY;
    case SYM_ASK_RESULT:
    case SYM_TRIGGER:
        return sym->kind == SYM_ASK_RESULT ? TYPE_MAP : TYPE_ANY;
    default:
        return sym->type;
    }
}

/* `module.member`, `answer.choice`, `case.key`: fields the checker knows. */
static bool check_known_field(CheckCtx *c, AstExpr *expr, CheckType *type)
{
    AstExpr *object = expr->as.field.object;
    const char *field = expr->as.field.field.text;
    Span at = expr->as.field.field.span;
    if (object->kind == EX_CASE) {
        check_expr(c, object);
        static const char *const FIELDS[] = {"key", "events", "started"};
        static const CheckType TYPES[] = {TYPE_STRING, TYPE_INT, TYPE_TIME};
        for (int i = 0; i < 3; i++)
            if (strcmp(field, FIELDS[i]) == 0)
                return *type = TYPES[i], true;
        Diag *d = check_error(c, at, "'case' has no field '%s'", field);
        diag_hint(c->diags, d, "a case has key, events and started");
        return *type = TYPE_ANY, true;
    }
    if (object->kind != EX_NAME)
        return false;
    Symbol *sym = check_lookup(c, object->as.name.text);
    if (!sym || (sym->kind != SYM_MODULE && sym->kind != SYM_ASK_RESULT))
        return false;
    sym->used = true;
    object->type = TYPE_MAP;
    if (sym->kind == SYM_ASK_RESULT) {
        static const char *const FIELDS[] = {"choice", "by", "comment", "at", "votes", "deciders"};
        static const CheckType TYPES[] = {TYPE_STRING, TYPE_ANY, TYPE_ANY, TYPE_TIME,
                                          TYPE_LIST, TYPE_LIST};
        for (int i = 0; i < 6; i++)
            if (strcmp(field, FIELDS[i]) == 0)
                return *type = TYPES[i], true;
        Diag *d = check_error(c, at, "an ask's result has no field '%s'", field);
        check_suggest(c, d, field, FIELDS, 6);
        if (!d->hint)
            diag_hint(c->diags, d, "it has choice, by, comment, at, votes and deciders");
        return *type = TYPE_ANY, true;
    }
    const CheckModule *module = sym->decl;
    Symbol *member = name_map_get(&module->members, field);
    if (!member) {
        Diag *d = check_error(c, at, "module '%s' has no const or fn '%s'", module->name, field);
        check_suggest_map(c, d, field, &module->members);
        return *type = TYPE_ANY, true;
    }
    if (member->kind == SYM_FN) {
        check_error(c, at, "fn '%s.%s' must be called", module->name, field);
        return *type = TYPE_ANY, true;
    }
    return *type = member->type, true;
}

/* ---- calls ---- */

static void check_args(CheckCtx *c, AstVec *args, CheckType *types, unsigned max)
{
    for (unsigned i = 0; i < args->count; i++) {
        CheckType t = check_expr(c, args->items[i]);
        if (i < max)
            types[i] = t;
    }
}

static void check_arity(CheckCtx *c, AstExpr *call, const char *name, int min, int max)
{
    int n = (int)call->as.call.args.count;
    if (n >= min && n <= max)
        return;
    if (min == max)
        check_error(c, call->span, "%s takes %d argument%s, not %d", name, min,
                    min == 1 ? "" : "s", n);
    else
        check_error(c, call->span, "%s takes %d to %d arguments, not %d", name, min, max, n);
}

static void check_arg_type(CheckCtx *c, AstExpr *call, unsigned index, CheckType got,
                           CheckType want, const char *name)
{
    if (index >= call->as.call.args.count || !type_known(got) || got == want)
        return;
    if (want == TYPE_FLOAT && type_is_number(got))
        return;
    AstExpr *arg = call->as.call.args.items[index];
    check_error(c, arg->span, "%s needs %s here, not %s", name, check_type_name(want),
                check_type_name(got));
}

/* min and max order their arguments as '<' does: the checker refuses what it can see
   '<' would (a business duration; with two or more arguments, one that is never ordered,
   such as a list or null, or two of kinds that do not order together). One argument
   written as a list (`max([a, b])`) is looked at item by item the same way. */
static void check_min_max_args(CheckCtx *c, AstExpr *call, const char *name)
{
    const AstVec *args = &call->as.call.args;
    if (args->count == 1 && ((const AstExpr *)args->items[0])->kind == EX_LIST)
        args = &((const AstExpr *)args->items[0])->as.items;
    const AstExpr *first = NULL;
    CheckType first_type = TYPE_ANY;
    for (unsigned i = 0; i < args->count; i++) {
        const AstExpr *arg = args->items[i];
        CheckType t = (CheckType)arg->type;
        if (t == TYPE_BUSINESS) {
            check_error(c, arg->span, "business durations can't be compared, so %s can't take one", name);
            return;
        }
        if (args->count < 2 || !type_known(t))
            continue;
        if (!type_ordered(t)) {
            check_error(c, arg->span, "%s can't order %s: it takes numbers, strings, times or plain durations",
                        name, check_type_name(t));
            return;
        }
        if (first && !(first_type == t || (type_is_number(first_type) && type_is_number(t)))) {
            check_error(c, arg->span, "%s can't order %s and %s", name, check_type_name(first_type),
                        check_type_name(t));
            return;
        }
        if (!first)
            first = arg, first_type = t;
    }
}

/* format_time's pattern, when written as a plain string: a directive it does not know
   is refused here, as running it would be. */
static void check_format_pattern(CheckCtx *c, const AstExpr *pattern)
{
    const char *text;
    uint32_t len;
    if (!ast_string_is_plain(pattern, &text, &len))
        return;
    for (uint32_t i = 0; i < len; i++) {
        if (text[i] != '%')
            continue;
        if (i + 1 == len) {
            Diag *d = check_error(c, pattern->span, "format_time: the pattern ends with a lone '%%'");
            diag_hint(c->diags, d, "write %%%% for a %%");
            return;
        }
        if (strchr(FORMAT_TIME_DIRECTIVES, text[++i]))
            continue;
        unsigned char lead = (unsigned char)text[i];    /* the whole character */
        int bytes = lead < 0x80 ? 1 : lead < 0xE0 ? 2 : lead < 0xF0 ? 3 : 4;
        Diag *d = check_error(c, pattern->span, "format_time: unknown directive '%%%.*s'", bytes, text + i);
        diag_hint(c->diags, d, "the directives are %%Y %%y %%m %%d %%H %%M %%S %%b %%B %%a %%A %%z %%Z, "
                  "and %%%% for a %%");
        return;
    }
}

/* round's digits, when the checker can count them: 0 to ROUND_DIGITS_MAX, as running
   it would insist. */
static void check_round_digits(CheckCtx *c, AstExpr *call)
{
    int64_t digits;
    AstExpr *arg = call->as.call.args.count == 2 ? call->as.call.args.items[1] : NULL;
    if (arg && check_fold_int(c, arg, &digits) && (digits < 0 || digits > ROUND_DIGITS_MAX))
        check_error(c, arg->span, "round: digits must be between 0 and %d, not %lld",
                    ROUND_DIGITS_MAX, (long long)digits);
}

static CheckType check_builtin_call(CheckCtx *c, AstExpr *call, int id)
{
    const char *name = BUILTINS[id].name;
    CheckType args[4] = {TYPE_ANY, TYPE_ANY, TYPE_ANY, TYPE_ANY};
    if (BUILTINS[id].flags & BUILTIN_INSTANCE && c->place != PLACE_STATE &&
        c->place != PLACE_VAR && c->place != PLACE_TRIGGER) {
        check_error(c, call->span, "%s() needs a running instance: it is refused in fn and const",
                    name);
        return BUILTINS[id].result;
    }
    check_arity(c, call, name, BUILTINS[id].min_args, BUILTINS[id].max_args);
    if (id == BUILTIN_META) {
        AstExpr *arg = call->as.call.args.count ? call->as.call.args.items[0] : NULL;
        Symbol *sym = arg && arg->kind == EX_NAME ? check_lookup(c, arg->as.name.text) : NULL;
        if (sym)
            sym->used = true;
        if (arg && (!sym || sym->kind != SYM_TRIGGER)) {
            Diag *d = check_error(c, arg->span, "meta() takes a trigger's name");
            unsigned n = c->program->triggers.count;
            const char **names = arena_alloc(c->arena, sizeof(char *) * (n + 1));
            for (unsigned i = 0; i < n; i++)
                names[i] = ((AstTrigger *)c->program->triggers.items[i])->name.text;
            if (arg->kind == EX_NAME)
                check_suggest(c, d, arg->as.name.text, names, n);
        }
        return TYPE_MAP;
    }
    check_args(c, &call->as.call.args, args, 4);
    if (id == BUILTIN_MIN || id == BUILTIN_MAX)
        check_min_max_args(c, call, name);
    switch (id) {
    case BUILTIN_LEN:
        if (type_known(args[0]) && args[0] != TYPE_STRING && args[0] != TYPE_LIST &&
            args[0] != TYPE_MAP && args[0] != TYPE_NULL)
            check_error(c, ((AstExpr *)call->as.call.args.items[0])->span,
                        "len needs a string, a list or a map here, not %s", check_type_name(args[0]));
        break;
    case BUILTIN_CONTAINS: {   /* y in x: what 'in' refuses (check_compare) */
        AstExpr *x = call->as.call.args.count > 0 ? call->as.call.args.items[0] : NULL;
        AstExpr *y = call->as.call.args.count > 1 ? call->as.call.args.items[1] : NULL;
        if (x && type_known(args[0]) && args[0] != TYPE_LIST && args[0] != TYPE_MAP && args[0] != TYPE_STRING)
            check_error(c, x->span, "contains needs a list, a map or a string here, not %s",
                        check_type_name(args[0]));
        else if (y && args[0] == TYPE_STRING && type_known(args[1]) && args[1] != TYPE_STRING)
            check_error(c, y->span, "only a string can be in a string, not %s", check_type_name(args[1]));
        break;
    }
    case BUILTIN_LOWER: case BUILTIN_UPPER: case BUILTIN_TRIM:
        check_arg_type(c, call, 0, args[0], TYPE_STRING, name);
        break;
    case BUILTIN_STARTS_WITH: case BUILTIN_SPLIT:
        check_arg_type(c, call, 0, args[0], TYPE_STRING, name);
        check_arg_type(c, call, 1, args[1], TYPE_STRING, name);
        break;
    case BUILTIN_JOIN:
        check_arg_type(c, call, 0, args[0], TYPE_LIST, name);
        check_arg_type(c, call, 1, args[1], TYPE_STRING, name);
        break;
    case BUILTIN_KEYS:
        check_arg_type(c, call, 0, args[0], TYPE_MAP, name);
        break;
    case BUILTIN_ROUND:
        check_arg_type(c, call, 0, args[0], TYPE_FLOAT, name);
        check_arg_type(c, call, 1, args[1], TYPE_INT, name);
        check_round_digits(c, call);
        return call->as.call.args.count == 2 ? TYPE_FLOAT : TYPE_INT;
    case BUILTIN_FORMAT_TIME:
        check_arg_type(c, call, 0, args[0], TYPE_TIME, name);
        check_arg_type(c, call, 1, args[1], TYPE_STRING, name);
        check_arg_type(c, call, 2, args[2], TYPE_STRING, name);
        if (call->as.call.args.count >= 2)
            check_format_pattern(c, call->as.call.args.items[1]);
        break;
    default:
        break;
    }
    return BUILTINS[id].result;
}

/* Records an edge for the recursion check. Only fns of the program being checked are
   edges: a module's fn has an index into its module's own list, not this one, and
   can't call back into a playbook (modules see no playbook; `use` cycles are refused),
   so the callee is compared as a function, never by its index alone. */
static void check_record_fn_call(CheckCtx *c, const Symbol *fn)
{
    if (c->current_fn < 0 || fn->fn_index < 0 || (unsigned)fn->fn_index >= c->fn_count ||
        c->fn_infos[fn->fn_index].fn != fn->decl)
        return;
    FnInfo *info = &c->fn_infos[c->current_fn];
    arena_grow(c->arena, (void **)&info->calls, &info->call_cap, info->call_count + 1,
               sizeof(int));
    info->calls[info->call_count++] = fn->fn_index;
}

static CheckType check_call(CheckCtx *c, AstExpr *expr)
{
    AstExpr *callee = expr->as.call.callee;
    Symbol *fn = NULL;
    const char *shown = NULL;
    if (callee->kind == EX_NAME) {
        shown = callee->as.name.text;
        fn = check_lookup(c, shown);
        if (fn && fn->kind != SYM_FN && check_builtin_find(shown) >= 0)
            fn = NULL;   /* a value named like a builtin (`let max = 3`) leaves max(...) the builtin */
        if (!fn) {
            int id = check_builtin_find(shown);
            if (id >= 0)
                return check_builtin_call(c, expr, id);
            Diag *d = check_error(c, callee->span, "unknown function '%s'", shown);
            const char **names = arena_alloc(c->arena, sizeof(char *) * (BUILTIN_COUNT + c->fn_count));
            unsigned n = 0;
            for (int i = 0; i < BUILTIN_COUNT; i++)
                names[n++] = BUILTINS[i].name;
            for (unsigned i = 0; i < c->fn_count; i++)
                names[n++] = c->fn_infos[i].fn->name.text;
            check_suggest(c, d, shown, names, n);
        }
    } else if (callee->kind == EX_FIELD && callee->as.field.object->kind == EX_NAME) {
        Symbol *module = check_lookup(c, callee->as.field.object->as.name.text);
        if (module && module->kind == SYM_MODULE) {
            module->used = true;
            const CheckModule *m = module->decl;
            shown = callee->as.field.field.text;
            fn = name_map_get(&m->members, shown);
            if (!fn) {
                Diag *d = check_error(c, callee->as.field.field.span,
                                      "module '%s' has no fn '%s'", m->name, shown);
                check_suggest_map(c, d, shown, &m->members);
            }
        } else if (!module) {
            /* `severity.level(x)` without `use severity`, or `kb.lookup(x)` as a value */
            const AstName *object = &callee->as.field.object->as.name;
            char *hint = arena_printf(c->arena, "a connector's operation is a statement: let x = call %s.%s(...)",
                                      object->text, callee->as.field.field.text);
            check_unknown_name(c, object, hint);
        } else {
            check_error(c, callee->span, "only fns and builtins can be called");
        }
    } else {
        check_error(c, callee->span, "only fns and builtins can be called");
    }
    if (fn && fn->kind != SYM_FN) {
        check_error(c, callee->span, "'%s' is a %s, not a function", shown,
                    fn->kind == SYM_CONST ? "const" : "value");
        fn = NULL;
    }
    CheckType result = TYPE_ANY;
    if (fn) {
        const AstFn *decl = fn->decl;
        fn->used = true;
        if (expr->as.call.args.count > AST_MAX_ARGS) {
            Diag *d = check_error(c, expr->span, "this call passes %u arguments; a call takes at most %d",
                                  expr->as.call.args.count, AST_MAX_ARGS);
            diag_hint(c->diags, d, "pass the values in a list or a map instead");
        } else {
            check_arity(c, expr, shown, (int)decl->params.count, (int)decl->params.count);
        }
        check_record_fn_call(c, fn);
        /* What its body gives whatever the arguments (they were any value when it was
           checked); a fn not checked yet (a const's, or one declared later) gives any. */
        if (decl->body)
            result = (CheckType)decl->body->type;
    }
    CheckType ignored[1];
    check_args(c, &expr->as.call.args, ignored, 0);
    return result;
}

/* ---- operators ---- */

static CheckType check_arith_error(CheckCtx *c, AstExpr *expr, CheckType l, CheckType r)
{
    static const char *const VERBS[] = {"add", "subtract", "multiply", "divide", "take the remainder of"};
    AstBinOp op = expr->as.binary.op;
    Diag *d = check_error(c, expr->span, "can't %s %s and %s", VERBS[op], check_type_name(l),
                          check_type_name(r));
    bool timeish = l == TYPE_TIME || l == TYPE_DURATION || r == TYPE_TIME || r == TYPE_DURATION;
    bool durations = l == TYPE_DURATION || r == TYPE_DURATION;
    if (timeish && (l == TYPE_STRING || r == TYPE_STRING))
        diag_hint(c->diags, d, "write a duration such as 1h without quotes");
    else if (durations && (op == BIN_MUL || op == BIN_DIV || op == BIN_MOD) && l != TYPE_TIME && r != TYPE_TIME)
        diag_hint(c->diags, d, "a duration is multiplied or divided by an integer only (2h * 3, "
                  "2h / 4; 90m rather than 1h * 1.5), and compared with another (d >= 30m)");
    else if (durations && (op == BIN_ADD || op == BIN_SUB) && type_is_number(l == TYPE_DURATION ? r : l))
        diag_hint(c->diags, d, "give the number a unit: + 1h, + 30m");
    else if (op == BIN_ADD && (l == TYPE_STRING || r == TYPE_STRING))
        diag_hint(c->diags, d, "convert with string(...), or write \"{...}\" to interpolate");
    return TYPE_ANY;
}

/* Integer arithmetic the checker can do itself: refuse overflow now, not at run time. */
static void check_constant_overflow(CheckCtx *c, AstExpr *expr)
{
    int64_t a, b, r;
    AstBinOp op = expr->as.binary.op;
    if ((op != BIN_ADD && op != BIN_SUB && op != BIN_MUL && op != BIN_DIV) ||
        !check_fold_int(c, expr->as.binary.left, &a) || !check_fold_int(c, expr->as.binary.right, &b))
        return;
    bool overflow = op == BIN_ADD ? __builtin_add_overflow(a, b, &r)
                  : op == BIN_SUB ? __builtin_sub_overflow(a, b, &r)
                  : op == BIN_MUL ? __builtin_mul_overflow(a, b, &r) : a == INT64_MIN && b == -1;
    if (overflow)
        check_error(c, expr->span, "integer overflow: %lld %s %lld does not fit in 64 bits",
                    (long long)a, ast_binop_text(op), (long long)b);
}

/* Is `expr` a zero the checker can see: an integer it folds to 0, or 0.0 written as a
   literal (maybe negated) or held by a const? */
static bool check_fold_zero(CheckCtx *c, const AstExpr *expr)
{
    int64_t n;
    if (!expr || check_fold_too_deep(c))
        return false;
    if (check_fold_int(c, expr, &n))
        return n == 0;
    c->fold_depth++;
    bool zero = expr->kind == EX_FLOAT ? expr->as.number == 0.0
              : expr->kind == EX_NEG ? check_fold_zero(c, expr->as.operand)
              : expr->kind == EX_NAME && check_fold_zero(c, check_const_expr(c, expr));
    c->fold_depth--;
    return zero;
}

static CheckType check_arith(CheckCtx *c, AstExpr *expr, CheckType l, CheckType r)
{
    AstBinOp op = expr->as.binary.op;
    if ((op == BIN_DIV || op == BIN_MOD) && check_fold_zero(c, expr->as.binary.right)) {
        check_error(c, expr->as.binary.right->span, "division by zero");
        return TYPE_ANY;
    }
    if (l == TYPE_INT && r == TYPE_INT)
        check_constant_overflow(c, expr);
    if (l == TYPE_BUSINESS || r == TYPE_BUSINESS) {
        CheckType other = l == TYPE_BUSINESS ? r : l;
        if (op == BIN_ADD && l != r && (other == TYPE_TIME || other == TYPE_ANY))
            return TYPE_TIME;
        Diag *d = check_error(c, expr->span,
                              "a business duration can't be added, subtracted, multiplied or divided");
        diag_hint(c->diags, d, "only time + business duration is allowed");
        return TYPE_ANY;
    }
    if (l == TYPE_NULL || r == TYPE_NULL) {
        Diag *d = check_error(c, expr->span, "arithmetic on null");
        diag_hint(c->diags, d, "give a default with ??");
        return TYPE_ANY;
    }
    if (!type_known(l) || !type_known(r)) {
        CheckType known = type_known(l) ? l : r;
        if (known == TYPE_MAP || known == TYPE_BOOL)
            return check_arith_error(c, expr, l, r);
        return TYPE_ANY;
    }
    if (type_is_number(l) && type_is_number(r))
        return l == TYPE_INT && r == TYPE_INT ? TYPE_INT : TYPE_FLOAT;
    switch (op) {
    case BIN_ADD:
        if (l == r && (l == TYPE_STRING || l == TYPE_LIST || l == TYPE_DURATION))
            return l;
        if ((l == TYPE_TIME && r == TYPE_DURATION) || (l == TYPE_DURATION && r == TYPE_TIME))
            return TYPE_TIME;
        break;
    case BIN_SUB:
        if (l == TYPE_TIME && r == TYPE_TIME)
            return TYPE_DURATION;
        if (l == TYPE_TIME && r == TYPE_DURATION)
            return TYPE_TIME;
        if (l == TYPE_DURATION && r == TYPE_DURATION)
            return TYPE_DURATION;
        break;
    case BIN_MUL:
        if ((l == TYPE_DURATION && r == TYPE_INT) || (l == TYPE_INT && r == TYPE_DURATION))
            return TYPE_DURATION;
        break;
    case BIN_DIV:
        if (l == TYPE_DURATION && r == TYPE_INT)
            return TYPE_DURATION;
        break;
    default:
        break;
    }
    return check_arith_error(c, expr, l, r);
}

static CheckType check_compare(CheckCtx *c, AstExpr *expr, CheckType l, CheckType r)
{
    AstBinOp op = expr->as.binary.op;
    if (l == TYPE_BUSINESS || r == TYPE_BUSINESS) {
        check_error(c, expr->span, "business durations can't be compared");
        return TYPE_BOOL;
    }
    if (op == BIN_IN) {
        if (type_known(r) && r != TYPE_LIST && r != TYPE_MAP && r != TYPE_STRING)
            check_error(c, expr->as.binary.right->span,
                        "'in' needs a list, a map or a string on its right, not %s",
                        check_type_name(r));
        else if (r == TYPE_STRING && type_known(l) && l != TYPE_STRING)
            check_error(c, expr->as.binary.left->span,
                        "only a string can be in a string, not %s", check_type_name(l));
        return TYPE_BOOL;
    }
    if (!type_known(l) || !type_known(r))
        return TYPE_BOOL;
    bool same = l == r || (type_is_number(l) && type_is_number(r));
    if (op == BIN_EQ || op == BIN_NE) {
        if (!same && l != TYPE_NULL && r != TYPE_NULL)
            check_warning(c, expr->span, "comparing %s with %s is always %s",
                          check_type_name(l), check_type_name(r),
                          op == BIN_EQ ? "false" : "true");
        return TYPE_BOOL;
    }
    if (!same || !type_ordered(l))
        check_error(c, expr->span, "can't order %s and %s with '%s'", check_type_name(l),
                    check_type_name(r), ast_binop_text(op));
    return TYPE_BOOL;
}

static CheckType check_binary(CheckCtx *c, AstExpr *expr)
{
    AstBinOp op = expr->as.binary.op;
    if (op == BIN_AND || op == BIN_OR) {
        check_condition(c, expr->as.binary.left, op == BIN_AND ? "'and'" : "'or'");
        check_condition(c, expr->as.binary.right, op == BIN_AND ? "'and'" : "'or'");
        return TYPE_BOOL;
    }
    const AstExpr *outer = c->coalesce_left;
    if (op == BIN_COALESCE)
        c->coalesce_left = expr->as.binary.left;   /* an optional event field read here is fine */
    CheckType l = check_expr(c, expr->as.binary.left);
    c->coalesce_left = outer;
    CheckType r = check_expr(c, expr->as.binary.right);
    switch (op) {
    case BIN_COALESCE:
        if (l == TYPE_NULL)
            return r;
        return l == r ? l : TYPE_ANY;
    case BIN_EQ: case BIN_NE: case BIN_LT: case BIN_LE: case BIN_GT: case BIN_GE: case BIN_IN:
        return check_compare(c, expr, l, r);
    default:
        return check_arith(c, expr, l, r);
    }
}

/* ---- expressions ---- */

static CheckType check_map(CheckCtx *c, AstExpr *expr)
{
    AstVec *entries = &expr->as.entries;
    for (unsigned i = 0; i < entries->count; i++) {
        AstMapEntry *entry = entries->items[i];
        if (!entry->key.text) {
            check_error(c, entry->key.span, "a map key is a name or a plain string");
        } else {
            for (unsigned k = 0; k < i; k++) {
                AstMapEntry *earlier = entries->items[k];
                if (earlier->key.text && strcmp(earlier->key.text, entry->key.text) == 0) {
                    check_error(c, entry->key.span, "key '%s' appears twice in this map",
                                entry->key.text);
                    break;
                }
            }
        }
        check_expr(c, entry->value);
    }
    return TYPE_MAP;
}

static CheckType check_duration_literal(CheckCtx *c, AstExpr *expr)
{
    if (!expr->as.duration.business)
        return TYPE_DURATION;
    if (!c->program->calendar && !c->program->is_module && !c->reported_no_calendar) {
        c->reported_no_calendar = true;
        Diag *d = check_error(c, expr->span, "business time needs a calendar");
        diag_hint(c->diags, d, "declare one at the top: calendar \"fi-office\"");
    }
    return TYPE_BUSINESS;
}

static CheckType check_expr_kind(CheckCtx *c, AstExpr *expr)
{
    switch (expr->kind) {
    case EX_NULL: return TYPE_NULL;
    case EX_BOOL: return TYPE_BOOL;
    case EX_FLOAT: return TYPE_FLOAT;
    case EX_TIME: return TYPE_TIME;
    case EX_INT:
        if (expr->as.integer.value > (uint64_t)INT64_MAX && !c->in_negation) {
            Diag *d = check_error(c, expr->span, "integer literal too large");
            diag_hint(c->diags, d, "9223372036854775808 fits only as -9223372036854775808");
        }
        return TYPE_INT;
    case EX_DURATION:
        return check_duration_literal(c, expr);
    case EX_STRING:
        for (unsigned i = 0; i < expr->as.parts.count; i++) {
            AstStrPart *part = expr->as.parts.items[i];
            if (part->expr)
                check_expr(c, part->expr);
        }
        return TYPE_STRING;
    case EX_LIST:
        for (unsigned i = 0; i < expr->as.items.count; i++)
            check_expr(c, expr->as.items.items[i]);
        return TYPE_LIST;
    case EX_MAP:
        return check_map(c, expr);
    case EX_NAME:
        return check_name(c, expr);
    case EX_CASE:
        if (c->place != PLACE_STATE) {
            Diag *d = check_error(c, expr->span, "'case' is only known inside states");
            diag_hint(c->diags, d, "%s", c->place == PLACE_VAR
                      ? "a var is set before the case exists" : check_place_rule(c->place));
        } else if (!c->has_case_trigger) {
            check_error(c, expr->span,
                        "'case' is only known in playbooks with a trigger that has 'case'");
        }
        return TYPE_MAP;
    case EX_FIELD: {
        CheckType type;
        if (check_event_field(c, expr, &type) || check_known_field(c, expr, &type))
            return type;
        CheckType object = check_expr(c, expr->as.field.object);
        if (type_known(object) && object != TYPE_MAP && object != TYPE_NULL)
            check_error(c, expr->as.field.field.span, "%s has no fields (reading '.%s')",
                        check_type_name(object), expr->as.field.field.text);
        return TYPE_ANY;
    }
    case EX_INDEX: {
        CheckType object = check_expr(c, expr->as.index.object);
        CheckType index = check_expr(c, expr->as.index.index);
        if (object == TYPE_LIST && type_known(index) && index != TYPE_INT)
            check_error(c, expr->as.index.index->span, "a list index must be an integer, not %s",
                        check_type_name(index));
        else if (object == TYPE_MAP && type_known(index) && index != TYPE_STRING)
            check_error(c, expr->as.index.index->span, "a map key must be a string, not %s",
                        check_type_name(index));
        else if (type_known(object) && object != TYPE_LIST && object != TYPE_MAP &&
                 object != TYPE_NULL)
            check_error(c, expr->span, "%s can't be indexed", check_type_name(object));
        return TYPE_ANY;
    }
    case EX_CALL:
        return check_call(c, expr);
    case EX_NEG: {
        bool was = c->in_negation;
        c->in_negation = expr->as.operand->kind == EX_INT;
        CheckType t = check_expr(c, expr->as.operand);
        c->in_negation = was;
        if (t == TYPE_BUSINESS || (type_known(t) && !type_is_number(t) && t != TYPE_DURATION)) {
            check_error(c, expr->span, "can't negate %s", check_type_name(t));
            return TYPE_ANY;
        }
        int64_t folded;   /* -(-9223372036854775807 - 1), or -M of such a const */
        if (t == TYPE_INT && check_fold_int(c, expr->as.operand, &folded) && folded == INT64_MIN)
            check_error(c, expr->span, "integer overflow: -(-9223372036854775808) does not fit in 64 bits");
        return t;
    }
    case EX_NOT:
        check_condition(c, expr->as.operand, "'not'");
        return TYPE_BOOL;
    case EX_BINARY:
        return check_binary(c, expr);
    case EX_IF: {
        check_condition(c, expr->as.cond.cond, "'if'");
        CheckType a = check_expr(c, expr->as.cond.then_expr);
        CheckType b = check_expr(c, expr->as.cond.else_expr);
        if (a == b)
            return a;
        if ((a == TYPE_BUSINESS && b == TYPE_DURATION) || (a == TYPE_DURATION && b == TYPE_BUSINESS))
            return TYPE_BUSINESS;
        if (type_is_number(a) && type_is_number(b))
            return TYPE_FLOAT;
        return TYPE_ANY;
    }
    }
    return TYPE_ANY;
}

CheckType check_expr(CheckCtx *c, AstExpr *expr)
{
    CheckType type = check_expr_kind(c, expr);
    expr->type = (int)type;
    return type;
}

void check_condition(CheckCtx *c, AstExpr *expr, const char *what)
{
    CheckType t = check_expr(c, expr);
    if (!type_known(t) || t == TYPE_BOOL)
        return;
    Diag *d = check_error(c, expr->span, "%s needs a boolean, not %s", what, check_type_name(t));
    if (t == TYPE_NULL)
        diag_hint(c->diags, d, "null is not false: write x ?? false");
}

void check_duration(CheckCtx *c, AstExpr *expr, const char *what, bool business_ok)
{
    CheckType t = check_expr(c, expr);
    if (t == TYPE_BUSINESS && !business_ok) {
        Diag *d = check_error(c, expr->span, "business time is not allowed in %s", what);
        diag_hint(c->diags, d, "use elapsed time such as 7d or 12h here");
    } else if (type_known(t) && t != TYPE_DURATION && t != TYPE_BUSINESS) {
        check_error(c, expr->span, "%s needs a duration, not %s", what, check_type_name(t));
    }
}

void check_string_expr(CheckCtx *c, AstExpr *expr, const char *what)
{
    CheckType t = check_expr(c, expr);
    if (type_known(t) && t != TYPE_STRING)
        check_error(c, expr->span, "%s needs a string, not %s", what, check_type_name(t));
}
