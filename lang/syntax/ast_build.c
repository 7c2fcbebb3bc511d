/*
 * ast_build.c - AST constructors for the grammar actions (see ast_build.h) and the
 * few helpers on finished trees (ast.h).
 */
#include "ast_build.h"

#include <string.h>

void ast_vec_push(Arena *arena, AstVec *vec, void *item)
{
    arena_grow(arena, (void **)&vec->items, &vec->cap, vec->count + 1, sizeof(void *));
    vec->items[vec->count++] = item;
}

AstVec ast_vec_of(Arena *a, void *item)
{
    AstVec vec = {0};
    ast_vec_push(a, &vec, item);
    return vec;
}

AstName *ast_name_box(Arena *a, AstName name)
{
    AstName *box = arena_alloc(a, sizeof *box);
    *box = name;
    return box;
}

AstName ast_name_at(Arena *a, const Source *src, Span span)
{
    AstName name = {arena_strndup(a, src->text + span.start, span.end - span.start), span};
    return name;
}

#define NEW(type) ((type *)arena_alloc(a, sizeof(type)))

/* ---- declarations ---- */

void ast_program_set_header(Arena *a, AstProgram *p, AstName name, AstExpr *title, Span span)
{
    (void)a;
    if (p->playbook_decls++ == 0) {
        p->name = name;
        p->title = title;
        p->header_span = span;
        p->header_late = p->calendar || p->triggers.count || p->consts.count || p->fns.count || p->vars.count ||
                         p->uses.count || p->states.count;
    } else if (p->playbook_decls == 2) {
        p->playbook_dup_span = span;
    }
}

void ast_program_set_calendar(AstProgram *p, AstExpr *name, Span span)
{
    if (!p->calendar) {
        p->calendar = name;
        p->calendar_span = span;
    } else {
        /* A second calendar line: keep its span so the checker can point at it. */
        p->calendar_dup_span = span;
        p->calendar_dups++;
    }
}

AstConst *ast_const_new(Arena *a, AstName name, AstExpr *value, Span span)
{
    AstConst *c = NEW(AstConst);
    c->name = name;
    c->value = value;
    c->span = span;
    return c;
}

AstFn *ast_fn_new(Arena *a, AstName name, AstVec params, AstExpr *body, Span span)
{
    AstFn *fn = NEW(AstFn);
    fn->name = name;
    fn->params = params;
    fn->body = body;
    fn->span = span;
    return fn;
}

AstUse *ast_use_new(Arena *a, AstName module, Span span)
{
    AstUse *use = NEW(AstUse);
    use->module = module;
    use->span = span;
    return use;
}

AstState *ast_state_new(Arena *a, AstName name, AstBlock *body, Span span)
{
    AstState *state = NEW(AstState);
    state->name = name;
    state->body = body;
    state->span = span;
    return state;
}

AstTrigger *ast_trigger_new(Arena *a, AstName source, AstName type, AstName name,
                            AstExpr *when, Span span)
{
    AstTrigger *t = NEW(AstTrigger);
    t->source = source;
    t->type = type;
    t->name = name;
    t->when = when;
    t->span = span;
    return t;
}

AstTrigger *ast_trigger_case(AstTrigger *t, AstExpr *key, AstExpr *for_duration, Span span)
{
    t->case_key = key;
    t->case_for = for_duration;
    t->span = span;
    return t;
}

AstTrigger *ast_trigger_threshold(AstTrigger *t, AstExpr *count, AstExpr *window, Span span)
{
    t->at_least = count;
    t->window = window;
    t->span = span;
    return t;
}

/* ---- statements ---- */

AstBlock *ast_block_new(Arena *a, AstVec stmts, Span span)
{
    AstBlock *block = NEW(AstBlock);
    block->stmts = stmts;
    block->span = span;
    return block;
}

AstBlock *ast_block_of(Arena *a, AstStmt *stmt)
{
    return ast_block_new(a, ast_vec_of(a, stmt), stmt->span);
}

static AstStmt *ast_stmt_new(Arena *a, AstStmtKind kind, Span span)
{
    AstStmt *stmt = NEW(AstStmt);
    stmt->kind = kind;
    stmt->span = span;
    return stmt;
}

AstStmt *ast_let_new(Arena *a, AstName name, AstExpr *value, AstCall *call, Span span)
{
    AstStmt *stmt = ast_stmt_new(a, ST_LET, span);
    stmt->as.let.name = name;
    stmt->as.let.value = value;
    stmt->as.let.call = call;
    return stmt;
}

AstStmt *ast_set_new(Arena *a, AstName name, AstExpr *value, Span span)
{
    AstStmt *stmt = ast_stmt_new(a, ST_SET, span);
    stmt->as.set.name = name;
    stmt->as.set.value = value;
    return stmt;
}

AstStmt *ast_if_new(Arena *a, AstExpr *cond, AstBlock *then_block, AstBlock *else_block,
                    Span span)
{
    AstStmt *stmt = ast_stmt_new(a, ST_IF, span);
    stmt->as.if_.cond = cond;
    stmt->as.if_.then_block = then_block;
    stmt->as.if_.else_block = else_block;
    return stmt;
}

void ast_if_chain(Arena *a, AstStmt *prev, AstStmt *next)
{
    prev->as.if_.else_block = ast_block_of(a, next);
    prev->as.if_.else_if = next;
}

AstStmt *ast_if_chain_end(AstStmt *first, uint32_t end)
{
    for (AstStmt *s = first; s; s = s->as.if_.else_if) {
        s->span.end = end;
        if (s->as.if_.else_if)
            s->as.if_.else_block->span.end = end;
    }
    return first;
}

AstStmt *ast_goto_new(Arena *a, AstName state, Span span)
{
    AstStmt *stmt = ast_stmt_new(a, ST_GOTO, span);
    stmt->as.go = state;
    return stmt;
}

AstStmt *ast_text_stmt_new(Arena *a, AstStmtKind kind, AstExpr *text, Span span)
{
    AstStmt *stmt = ast_stmt_new(a, kind, span);
    stmt->as.text = text;
    return stmt;
}

AstStmt *ast_call_stmt_new(Arena *a, AstStmtKind kind, AstCall *call, Span span)
{
    AstStmt *stmt = ast_stmt_new(a, kind, span);
    stmt->as.call = call;
    return stmt;
}

AstStmt *ast_notify_new(Arena *a, AstVec whos, AstExpr *message, Span span)
{
    AstStmt *stmt = ast_stmt_new(a, ST_NOTIFY, span);
    stmt->as.notify.whos = whos;
    stmt->as.notify.message = message;
    return stmt;
}

AstStmt *ast_wait_new(Arena *a, AstVec arms, Span arms_span, Span span)
{
    AstStmt *stmt = ast_stmt_new(a, ST_WAIT, span);
    stmt->as.wait.arms = arms;
    stmt->as.wait.arms_span = arms_span;
    return stmt;
}

AstStmt *ast_tag_new(Arena *a, AstVec tags, Span span)
{
    AstStmt *stmt = ast_stmt_new(a, ST_TAG, span);
    stmt->as.tags = tags;
    return stmt;
}

AstCall *ast_call_new(Arena *a, AstName connector, AstName operation, AstExpr *arg)
{
    AstCall *call = NEW(AstCall);
    call->connector = connector;
    call->operation = operation;
    call->arg = arg;
    return call;
}

AstCall *ast_call_else_goto(AstCall *call, AstName state, Span span)
{
    call->else_kind = ELSE_GOTO;
    call->else_state = state;
    call->else_span = span;
    return call;
}

AstCall *ast_call_else_block(AstCall *call, AstBlock *block, Span span)
{
    call->else_kind = ELSE_BLOCK;
    call->else_block = block;
    call->else_span = span;
    return call;
}

/* ---- who, ask, wait ---- */

AstWho *ast_who_new(Arena *a, AstWhoKind kind, AstExpr *arg, AstExpr *arg2, AstWho *inner,
                    Span span)
{
    AstWho *who = NEW(AstWho);
    who->kind = kind;
    who->arg = arg;
    who->arg2 = arg2;
    who->inner = inner;
    who->span = span;
    return who;
}

AstAsk *ast_ask_new(Arena *a, AstQuorumKind quorum, AstExpr *count, AstVec seats,
                    AstExpr *question)
{
    AstAsk *ask = NEW(AstAsk);
    ask->quorum = quorum;
    ask->quorum_n = count;
    ask->seats = seats;
    ask->question = question;
    return ask;
}

AstAsk *ast_ask_set_choices(AstAsk *ask, AstVec choices, Span keyword)
{
    ask->choices = choices;
    ask->has_choices = true;
    ask->choices_span = keyword;
    return ask;
}

AstChoice *ast_choice_new(Arena *a, AstName id, AstExpr *label, bool with_comment, Span span)
{
    AstChoice *choice = NEW(AstChoice);
    choice->id = id;
    choice->label = label;
    choice->with_comment = with_comment;
    choice->span = span;
    return choice;
}

AstAsk *ast_ask_add_escalation(Arena *a, AstAsk *ask, AstWho *who, AstExpr *after,
                               Span first, Span last)
{
    AstEscalation *level = NEW(AstEscalation);
    level->who = who;
    level->after = after;
    level->span = (Span){first.start, last.end};
    ast_vec_push(a, &ask->escalations, level);
    return ask;
}

AstStmt *ast_ask_stmt_new(Arena *a, AstAsk *ask, AstVec arms, Span arms_span, Span span)
{
    AstStmt *stmt = ast_stmt_new(a, ST_ASK, span);
    ask->arms = arms;
    ask->arms_span = arms_span;
    stmt->as.ask = ask;
    return stmt;
}

AstArm *ast_arm_new(Arena *a, AstArmKind kind, AstTarget *target, Span head)
{
    AstArm *arm = NEW(AstArm);
    arm->kind = kind;
    arm->target = target;
    arm->span = head;
    return arm;
}

AstArm *ast_choice_arm_new(Arena *a, AstName choice, AstTarget *target)
{
    AstArm *arm = ast_arm_new(a, ARM_CHOICE, target, choice.span);
    arm->choice = choice;
    return arm;
}

AstArm *ast_event_arm_new(Arena *a, AstName source, AstName type, const AstName *as_name,
                          AstExpr *when, AstTarget *target, Span first, Span last)
{
    AstArm *arm = ast_arm_new(a, ARM_EVENT, target, (Span){first.start, last.end});
    arm->source = source;
    arm->type = type;
    if (as_name)
        arm->as_name = *as_name;
    arm->when = when;
    return arm;
}

AstArm *ast_after_arm_new(Arena *a, AstExpr *after, AstTarget *target, Span first, Span last)
{
    AstArm *arm = ast_arm_new(a, ARM_AFTER, target, (Span){first.start, last.end});
    arm->after = after;
    return arm;
}

AstTarget *ast_target_goto(Arena *a, AstName state)
{
    AstTarget *target = NEW(AstTarget);
    target->kind = TARGET_GOTO;
    target->state = state;
    target->span = state.span;
    return target;
}

AstTarget *ast_target_text(Arena *a, AstTargetKind kind, AstExpr *text, Span span)
{
    AstTarget *target = NEW(AstTarget);
    target->kind = kind;
    target->text = text;
    target->span = span;
    return target;
}

AstTarget *ast_target_block(Arena *a, AstBlock *block)
{
    AstTarget *target = NEW(AstTarget);
    target->kind = TARGET_BLOCK;
    target->block = block;
    target->span = block->span;
    return target;
}

/* ---- expressions ---- */

/* Sets expr's depth to one more than the deepest of `count` operands (NULL ones
   skipped) and its parens to the most any of them has. */
static void ast_depth_over(AstExpr *expr, AstExpr *const *operands, unsigned count)
{
    uint32_t deepest = 0, parens = 0;
    for (unsigned i = 0; i < count; i++) {
        if (operands[i] && operands[i]->depth > deepest)
            deepest = operands[i]->depth;
        if (operands[i] && operands[i]->parens > parens)
            parens = operands[i]->parens;
    }
    expr->depth = deepest + 1;
    expr->parens = parens;
}

static void ast_depth_of_vec(AstExpr *expr, const AstVec *exprs)
{
    ast_depth_over(expr, (AstExpr *const *)exprs->items, exprs->count);
}

AstExpr *ast_expr_new(Arena *a, AstExprKind kind, Span span)
{
    AstExpr *expr = NEW(AstExpr);
    expr->kind = kind;
    expr->span = span;
    return expr;
}

AstExpr *ast_bool_new(Arena *a, bool value, Span span)
{
    AstExpr *expr = ast_expr_new(a, EX_BOOL, span);
    expr->as.boolean = value;
    return expr;
}

AstExpr *ast_int_new(Arena *a, uint64_t value, Span span)
{
    AstExpr *expr = ast_expr_new(a, EX_INT, span);
    expr->as.integer.value = value;
    return expr;
}

AstExpr *ast_float_new(Arena *a, double value, Span span)
{
    AstExpr *expr = ast_expr_new(a, EX_FLOAT, span);
    expr->as.number = value;
    return expr;
}

AstExpr *ast_duration_new(Arena *a, DurationLit value, Span span)
{
    AstExpr *expr = ast_expr_new(a, EX_DURATION, span);
    expr->as.duration = value;
    return expr;
}

AstExpr *ast_time_new(Arena *a, TimeLit value, Span span)
{
    AstExpr *expr = ast_expr_new(a, EX_TIME, span);
    expr->as.time = value;
    return expr;
}

AstExpr *ast_name_expr_new(Arena *a, AstName name)
{
    AstExpr *expr = ast_expr_new(a, EX_NAME, name.span);
    expr->as.name = name;
    return expr;
}

AstExpr *ast_string_add_text(Arena *a, AstExpr *string, const char *text, uint32_t len)
{
    AstVec *parts = &string->as.parts;
    AstStrPart *last = parts->count ? parts->items[parts->count - 1] : NULL;
    if (last && !last->expr) {
        /* Join neighbouring text pieces so a string is text, expr, text, ... */
        char *joined = arena_alloc(a, last->len + len + 1);
        memcpy(joined, last->text, last->len);
        memcpy(joined + last->len, text, len);
        last->text = joined;
        last->len += len;
        return string;
    }
    AstStrPart *part = NEW(AstStrPart);
    part->text = text;
    part->len = len;
    ast_vec_push(a, parts, part);
    return string;
}

AstExpr *ast_string_add_expr(Arena *a, AstExpr *string, AstExpr *expr)
{
    AstStrPart *part = NEW(AstStrPart);
    part->expr = expr;
    ast_vec_push(a, &string->as.parts, part);
    if (expr->depth + 1 > string->depth)
        string->depth = expr->depth + 1;
    if (expr->parens > string->parens)
        string->parens = expr->parens;
    return string;
}

AstExpr *ast_list_new(Arena *a, AstVec items, Span span)
{
    AstExpr *expr = ast_expr_new(a, EX_LIST, span);
    expr->as.items = items;
    ast_depth_of_vec(expr, &items);
    return expr;
}

AstExpr *ast_map_new(Arena *a, AstVec entries, Span span)
{
    AstExpr *expr = ast_expr_new(a, EX_MAP, span);
    expr->as.entries = entries;
    expr->depth = 1;
    for (unsigned i = 0; i < entries.count; i++) {
        const AstExpr *value = ((AstMapEntry *)entries.items[i])->value;
        if (value && value->depth + 1 > expr->depth)
            expr->depth = value->depth + 1;
        if (value && value->parens > expr->parens)
            expr->parens = value->parens;
    }
    return expr;
}

AstMapEntry *ast_map_entry_new(Arena *a, AstName key, AstExpr *value)
{
    AstMapEntry *entry = NEW(AstMapEntry);
    entry->key = key;
    entry->value = value;
    return entry;
}

AstMapEntry *ast_map_entry_string(Arena *a, AstExpr *key, AstExpr *value)
{
    AstMapEntry *entry = NEW(AstMapEntry);
    const char *text;
    uint32_t len;
    entry->key.span = key->span;
    entry->key_expr = key;
    if (ast_string_is_plain(key, &text, &len))
        entry->key.text = text;
    entry->value = value;
    return entry;
}

AstExpr *ast_if_expr_new(Arena *a, AstExpr *cond, AstExpr *then_expr, AstExpr *else_expr,
                         Span span)
{
    AstExpr *expr = ast_expr_new(a, EX_IF, span);
    expr->as.cond.cond = cond;
    expr->as.cond.then_expr = then_expr;
    expr->as.cond.else_expr = else_expr;
    ast_depth_over(expr, (AstExpr *const[]){cond, then_expr, else_expr}, 3);
    return expr;
}

AstExpr *ast_binary_new(Arena *a, AstBinOp op, AstExpr *left, AstExpr *right, Span span)
{
    AstExpr *expr = ast_expr_new(a, EX_BINARY, span);
    expr->as.binary.op = op;
    expr->as.binary.left = left;
    expr->as.binary.right = right;
    ast_depth_over(expr, (AstExpr *const[]){left, right}, 2);
    return expr;
}

AstExpr *ast_unary_new(Arena *a, AstExprKind kind, AstExpr *operand, Span span)
{
    AstExpr *expr = ast_expr_new(a, kind, span);
    expr->as.operand = operand;
    ast_depth_over(expr, &operand, 1);
    return expr;
}

AstExpr *ast_field_new(Arena *a, AstExpr *object, AstName field, Span span)
{
    AstExpr *expr = ast_expr_new(a, EX_FIELD, span);
    expr->as.field.object = object;
    expr->as.field.field = field;
    ast_depth_over(expr, &object, 1);
    return expr;
}

AstExpr *ast_index_new(Arena *a, AstExpr *object, AstExpr *index, Span span)
{
    AstExpr *expr = ast_expr_new(a, EX_INDEX, span);
    expr->as.index.object = object;
    expr->as.index.index = index;
    ast_depth_over(expr, (AstExpr *const[]){object, index}, 2);
    return expr;
}

AstExpr *ast_call_expr_new(Arena *a, AstExpr *callee, AstVec args, Span span)
{
    AstExpr *expr = ast_expr_new(a, EX_CALL, span);
    expr->as.call.callee = callee;
    expr->as.call.args = args;
    ast_depth_of_vec(expr, &args);
    if (callee && callee->depth + 1 > expr->depth)
        expr->depth = callee->depth + 1;
    if (callee && callee->parens > expr->parens)
        expr->parens = callee->parens;
    return expr;
}

/* ---- helpers on finished trees ---- */

const char *ast_binop_text(AstBinOp op)
{
    static const char *const TEXT[] = {
        "+", "-", "*", "/", "%", "==", "!=", "<", "<=", ">", ">=", "in", "and", "or", "??",
    };
    return TEXT[op];
}

bool ast_string_is_plain(const AstExpr *expr, const char **text, uint32_t *len)
{
    if (!expr || expr->kind != EX_STRING)
        return false;
    if (expr->as.parts.count == 0) {
        *text = "";
        *len = 0;
        return true;
    }
    const AstStrPart *part = expr->as.parts.items[0];
    if (expr->as.parts.count != 1 || part->expr)
        return false;
    *text = part->text;
    *len = part->len;
    return true;
}
