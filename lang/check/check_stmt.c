/*
 * check_stmt.c - statements, blocks and scopes; the rules of `ask` and `wait`.
 *
 * A block is checked statement by statement. Each check reports whether the statement
 * ends its path (goto, done, fail, an ask or wait whose arms all do), so a path that
 * falls off the end of a state or arm block is found; and whether an ask, wait or call
 * has happened on the way (`waited`), which the flow pass needs to find loops that
 * would spin.
 */
#include "check_internal.h"

#include <stdio.h>
#include <string.h>

/* ---- scopes ---- */

unsigned check_scope_enter(CheckCtx *c)
{
    return c->local_count;
}

void check_scope_leave(CheckCtx *c, unsigned mark)
{
    for (unsigned i = mark; i < c->local_count; i++) {
        Symbol *sym = c->locals[i];
        if (sym->kind == SYM_LOCAL && !sym->used) {
            Diag *d = check_warning(c, sym->span, "unused local '%s'", sym->name);
            const AstStmt *let = sym->decl;
            if (let && let->as.let.call)
                diag_hint(c->diags, d, "to ignore a call's reply, write the call without 'let'");
        }
    }
    c->local_count = mark;
}

/* Is a global visible from here, for the "redeclaring a visible name" rule? */
static bool check_global_visible(CheckCtx *c, const Symbol *sym)
{
    switch (c->place) {
    case PLACE_FN:
    case PLACE_CONST:
        return sym->kind == SYM_CONST || sym->kind == SYM_FN || sym->kind == SYM_MODULE;
    default:
        return true;
    }
}

static const char *const KIND_WORDS[] = {
    "a const", "a fn", "a var", "a trigger name", "a module", "a local", "a parameter",
    "an ask's result", "an event name", "an error message", "a builtin",
};

/* Names a block declares for itself may shadow the same kind from an enclosing block:
   `error` in a nested else block, `answer` in an ask inside an ask's arm. */
static bool check_may_shadow(const Symbol *old, SymKind kind, bool implicit)
{
    return implicit && old->kind == kind && (kind == SYM_ERROR || kind == SYM_ASK_RESULT);
}

static Symbol *check_declare(CheckCtx *c, const AstName *name, SymKind kind, CheckType type,
                             bool implicit)
{
    /* A builtin's name may name a local: calls still go to the builtin (check_call). */
    Symbol *old = check_lookup(c, name->text);
    bool is_local = false;
    for (unsigned i = 0; i < c->local_count; i++)
        is_local |= c->locals[i] == old;
    if (old && (is_local || check_global_visible(c, old)) && !check_may_shadow(old, kind, implicit)) {
        Diag *d = check_error(c, name->span, "'%s' is already declared as %s", name->text,
                              KIND_WORDS[old->kind]);
        diag_note(c->diags, d, old->span, "declared here");
        if (kind == SYM_ASK_RESULT)   /* the default name clashes, or the one written does */
            diag_hint(c->diags, d, implicit ? "name this ask's result with 'as NAME'"
                                            : "choose another name after 'as' for this ask's result");
        old->used = true;   /* one complaint is enough */
    }
    Symbol *sym = check_symbol_new(c, name->text, kind, name->span, type, NULL);
    arena_grow(c->arena, (void **)&c->locals, &c->local_cap, c->local_count + 1,
               sizeof(Symbol *));
    c->locals[c->local_count++] = sym;
    return sym;
}

Symbol *check_declare_local(CheckCtx *c, const AstName *name, SymKind kind, CheckType type)
{
    return check_declare(c, name, kind, type, false);
}

/* ---- statements ---- */

static bool check_block(CheckCtx *c, const AstBlock *block, bool *waited);

static void check_text(CheckCtx *c, AstExpr *text)
{
    if (text)
        check_expr(c, text);
}

static void check_who(CheckCtx *c, AstWho *who)
{
    static const char *const CALLS[] = {
        "person()", "team()", "oncall()", "role()", "owner()", "manager()", "lead()", "manager",
    };
    if (who->arg)
        check_string_expr(c, who->arg, CALLS[who->kind]);
    if (who->arg2)
        check_expr(c, who->arg2);
    if (who->inner)
        check_who(c, who->inner);
}

/* Do `a` and `b`, two arguments of a WHO, give the same value? Both constant strings that
   are equal, or the same text: an expression has no side effects, and both are
   evaluated by one step with the same names. */
static bool check_same_arg(CheckCtx *c, const AstExpr *a, const AstExpr *b)
{
    if (!a || !b)
        return a == b;
    const char *ta, *tb;
    uint32_t la, lb;
    if (check_fold_string(c, a, &ta, &la) && check_fold_string(c, b, &tb, &lb))
        return la == lb && memcmp(ta, tb, la) == 0;
    uint32_t na = a->span.end - a->span.start, nb = b->span.end - b->span.start;
    return na == nb && memcmp(c->src->text + a->span.start, c->src->text + b->span.start, na) == 0;
}

/* Do two seats name the same people, as far as the checker can tell without the
   directory? (`manager(team(x))` and `lead(x)` are not matched.) */
static bool check_same_who(CheckCtx *c, const AstWho *a, const AstWho *b)
{
    if (a->kind != b->kind || !check_same_arg(c, a->arg, b->arg) || !check_same_arg(c, a->arg2, b->arg2))
        return false;
    return !a->inner || !b->inner ? a->inner == b->inner : check_same_who(c, a->inner, b->inner);
}

/* Refuses a seat that repeats an earlier seat of the same ask: one person fills one
   seat, so the repeat can never be filled by anyone the first could not (LANGUAGE.md:
   a quorum is always of distinct people). */
static void check_seats_distinct(CheckCtx *c, const AstAsk *ask)
{
    for (unsigned i = 1; i < ask->seats.count; i++)
        for (unsigned k = 0; k < i; k++) {
            const AstWho *seat = ask->seats.items[i], *first = ask->seats.items[k];
            if (!check_same_who(c, seat, first))
                continue;
            Diag *d = check_error(c, seat->span, "seat %u is seat %u again: %.*s", i + 1, k + 1,
                                  (int)(seat->span.end - seat->span.start), c->src->text + seat->span.start);
            diag_hint(c->diags, d, "a person answers an ask once and fills one seat, so a repeated "
                      "seat adds nobody: list each once, and count the seats in N of");
            diag_note(c->diags, d, first->span, "seat %u", k + 1);
            break;
        }
}

/* A target ends its path unless it is a block that can fall off its end. */
static void check_target(CheckCtx *c, AstTarget *target)
{
    switch (target->kind) {
    case TARGET_GOTO:
        check_state_add_edge(c, c->current_state, &target->state, true);
        break;
    case TARGET_DONE:
    case TARGET_FAIL:
        check_text(c, target->text);
        c->state_infos[c->current_state].ends = true;
        break;
    case TARGET_BLOCK: {
        unsigned mark = check_scope_enter(c);
        bool waited = true;
        if (!check_block(c, target->block, &waited)) {
            Span end = {target->block->span.end - 1, target->block->span.end};
            Diag *d = check_error(c, end, "this arm's block can end without goto, done or fail");
            diag_hint(c->diags, d, "every path must end in goto, done, fail, or an ask or wait");
        }
        check_scope_leave(c, mark);
        break;
    }
    }
}

static void check_call(CheckCtx *c, AstCall *call, bool *waited)
{
    check_connector_operation(c, &call->connector, &call->operation);
    if (call->arg)
        check_expr(c, call->arg);
    *waited = true;
    if (call->else_kind == ELSE_GOTO) {
        check_state_add_edge(c, c->current_state, &call->else_state, true);
    } else if (call->else_kind == ELSE_BLOCK) {
        unsigned mark = check_scope_enter(c);
        AstName error_name = {"error", call->else_span};
        Symbol *error = check_declare(c, &error_name, SYM_ERROR, TYPE_STRING, true);
        error->used = true;
        bool inner_waited = true;
        check_block(c, call->else_block, &inner_waited);
        check_scope_leave(c, mark);
    }
}

/* `set X = EXPR`: X must be a visible local or var. A local set to a value of another
   type holds either from here on, so it is typed no further (vars: check_var_sets). */
static void check_set(CheckCtx *c, AstStmt *stmt)
{
    const AstName *name = &stmt->as.set.name;
    Symbol *sym = check_lookup(c, name->text);
    check_expr(c, stmt->as.set.value);
    if (!sym && check_name_is_reserved(name->text)) {
        check_error(c, name->span, "'%s' is a builtin function and can't be set", name->text);
    } else if (!sym) {
        Diag *d = check_error(c, name->span, "unknown name '%s'", name->text);
        diag_hint(c->diags, d, "declare it first with 'let' (or 'var' at the top)");
    } else if (sym->kind != SYM_LOCAL && sym->kind != SYM_VAR) {
        check_error(c, name->span, "'%s' is %s and can't be set", name->text,
                    KIND_WORDS[sym->kind]);
    } else if (sym->kind == SYM_LOCAL && (CheckType)stmt->as.set.value->type != sym->type) {
        sym->type = TYPE_ANY;   /* from here on it may hold either (see check_var_sets) */
    }
}

/* Checks one block of an if in a scope of its own; true when it ends its path, and
   *all_waited is cleared when a path through it can reach its end without waiting. */
static bool check_if_block(CheckCtx *c, const AstBlock *block, bool waited, bool *all_waited)
{
    unsigned mark = check_scope_enter(c);
    bool ends = check_block(c, block, &waited);
    check_scope_leave(c, mark);
    *all_waited = *all_waited && waited;
    return ends;
}

/* An if and its `else if` chain, branch after branch (a loop: a chain may be long).
   Ends its path when every branch does and there is an else. */
static bool check_if(CheckCtx *c, AstStmt *stmt, bool *waited)
{
    bool all_waited = true, all_end = true;
    for (;;) {
        check_condition(c, stmt->as.if_.cond, "'if'");
        all_end = check_if_block(c, stmt->as.if_.then_block, *waited, &all_waited) && all_end;
        if (stmt->as.if_.else_if) {
            stmt = stmt->as.if_.else_if;
        } else if (stmt->as.if_.else_block) {
            all_end = check_if_block(c, stmt->as.if_.else_block, *waited, &all_waited) && all_end;
            break;
        } else {
            all_end = false;   /* no else: a path goes past the if, as it came */
            all_waited = all_waited && *waited;
            break;
        }
    }
    *waited = all_waited;
    return all_end;
}

static bool check_ask(CheckCtx *c, AstStmt *stmt);
static bool check_wait(CheckCtx *c, AstStmt *stmt);

/* Checks one statement; returns true when it ends its path. */
static bool check_stmt(CheckCtx *c, AstStmt *stmt, bool *waited)
{
    switch (stmt->kind) {
    case ST_LET: {
        if (stmt->as.let.call)
            check_call(c, stmt->as.let.call, waited);
        else
            check_expr(c, stmt->as.let.value);
        CheckType type = stmt->as.let.value ? (CheckType)stmt->as.let.value->type : TYPE_ANY;
        Symbol *sym = check_declare_local(c, &stmt->as.let.name, SYM_LOCAL,
                                          type == TYPE_NULL ? TYPE_ANY : type);
        sym->decl = stmt;
        return false;
    }
    case ST_SET:
        check_set(c, stmt);
        return false;
    case ST_IF:
        return check_if(c, stmt, waited);
    case ST_GOTO:
        check_state_add_edge(c, c->current_state, &stmt->as.go, *waited);
        return true;
    case ST_DONE:
    case ST_FAIL:
        check_text(c, stmt->as.text);
        c->state_infos[c->current_state].ends = true;
        return true;
    case ST_CALL:
        check_call(c, stmt->as.call, waited);
        return false;
    case ST_SEND:
        check_connector_operation(c, &stmt->as.call->connector, &stmt->as.call->operation);
        if (stmt->as.call->arg)
            check_expr(c, stmt->as.call->arg);
        return false;
    case ST_NOTIFY:
        for (unsigned i = 0; i < stmt->as.notify.whos.count; i++)
            check_who(c, stmt->as.notify.whos.items[i]);
        check_text(c, stmt->as.notify.message);
        return false;
    case ST_ASK:
        return check_ask(c, stmt);
    case ST_WAIT:
        return check_wait(c, stmt);
    case ST_TAG:
        for (unsigned i = 0; i < stmt->as.tags.count; i++)
            check_expr(c, stmt->as.tags.items[i]);
        return false;
    case ST_NOTE:
        check_text(c, stmt->as.text);
        return false;
    }
    return false;
}

static bool check_block(CheckCtx *c, const AstBlock *block, bool *waited)
{
    bool ended = false, reported = false;
    AstStmtKind ender = ST_GOTO;
    for (unsigned i = 0; i < block->stmts.count; i++) {
        AstStmt *stmt = block->stmts.items[i];
        if (ended && !reported) {
            reported = true;
            if (ender == ST_ASK || ender == ST_WAIT) {
                Diag *d = check_error(c, stmt->span, "nothing may follow %s",
                                      ender == ST_ASK ? "an ask" : "a wait");
                diag_hint(c->diags, d, "its arms decide where the instance goes next");
            } else {
                check_warning(c, stmt->span, "this statement is never run");
            }
        }
        if (check_stmt(c, stmt, waited) && !ended) {
            ended = true;
            ender = stmt->kind;
        }
    }
    return ended;
}

void check_state_body(CheckCtx *c, int state_index)
{
    const AstState *state = c->state_infos[state_index].state;
    unsigned mark = check_scope_enter(c);
    bool waited = false;
    if (!check_block(c, state->body, &waited)) {
        Span end = {state->body->span.end - 1, state->body->span.end};
        Diag *d = check_error(c, end, "state '%s' can reach its end without goto, done or fail",
                              state->name.text);
        diag_hint(c->diags, d, "every path must end in goto, done, fail, or an ask or wait");
    }
    check_scope_leave(c, mark);
}

/* ---- ask ---- */

/* Works out N for the quorum and checks 1 <= N <= seats. Returns N, or 0 if unknown. */
static int64_t check_quorum(CheckCtx *c, AstStmt *stmt)
{
    AstAsk *ask = stmt->as.ask;
    int64_t seats = ask->seats.count, n;
    switch (ask->quorum) {
    case QUORUM_DEFAULT:
    case QUORUM_ANY:
        return 1;
    case QUORUM_ALL:
        return seats;
    case QUORUM_N:
        break;
    }
    if (!check_fold_count(c, ask->quorum_n, &n, "a quorum is an integer literal or an integer const")) {
        if (ask->quorum_n->kind != EX_INT)   /* a const, or a module's: known, and used */
            check_expr(c, ask->quorum_n);
        return 0;
    }
    if (ask->quorum_n->kind != EX_INT)
        check_expr(c, ask->quorum_n);
    ask->quorum_value = n;   /* what the compiler uses: one fold for both */
    if (n < 1 || n > seats) {
        Diag *d = n < 1 ? check_error(c, ask->quorum_n->span, "a quorum of %lld asks nobody: it takes one answer "
                                      "at least", (long long)n)
                        : check_error(c, ask->quorum_n->span, "a quorum of %lld can't be met by %lld seat%s",
                                      (long long)n, (long long)seats, seats == 1 ? "" : "s");
        diag_hint(c->diags, d, "N must be between 1 and the number of seats");
        return 0;
    }
    return n;
}

static void check_choices(CheckCtx *c, AstStmt *stmt)
{
    AstAsk *ask = stmt->as.ask;
    if (!ask->has_choices) {
        Diag *d = check_error(c, (Span){stmt->span.start, stmt->span.start + 3},
                              "an ask needs 'choices'");
        diag_hint(c->diags, d, "after the question, write: choices approve, reject");
        return;
    }
    for (unsigned i = 0; i < ask->choices.count; i++) {
        AstChoice *choice = ask->choices.items[i];
        if (choice->label)
            check_expr(c, choice->label);
        for (unsigned k = 0; k < i; k++) {
            AstChoice *earlier = ask->choices.items[k];
            if (strcmp(earlier->id.text, choice->id.text) == 0) {
                Diag *d = check_error(c, choice->id.span, "choice '%s' is listed twice",
                                      choice->id.text);
                diag_note(c->diags, d, earlier->id.span, "first listed here");
                break;
            }
        }
    }
}

/* Converts a folded duration to comparable units: seconds, or working minutes for
   business minutes and hours; business days only compare with business days. */
static bool check_ladder_units(const DurationLit *d, int *family, int64_t *amount)
{
    if (!d->business) {
        *family = 0;
        *amount = d->seconds;
    } else if (d->unit == UNIT_DAYS) {
        *family = 2;
        *amount = d->count;
    } else {
        *family = 1;
        *amount = d->unit == UNIT_HOURS ? d->count * 60 : d->count;
    }
    return true;
}

/* A folded duration as text converts it (`-1h`, `1d4h30m`, `30s500ms`, `0s`,
   `4 business hours`), in the arena. */
static const char *check_duration_text(CheckCtx *c, const CheckDuration *d)
{
    if (d->lit.business)
        return arena_printf(c->arena, "%lld business %s", (long long)d->lit.count,
                            d->lit.unit == UNIT_DAYS ? "days" : d->lit.unit == UNIT_HOURS ? "hours" : "minutes");
    static const struct { const char *unit; int64_t ms; } UNITS[] = {
        {"w", 604800000}, {"d", 86400000}, {"h", 3600000}, {"m", 60000}, {"s", 1000}, {"ms", 1}};
    uint64_t left = d->ms < 0 ? 0 - (uint64_t)d->ms : (uint64_t)d->ms;
    char text[64] = "0s";
    int len = d->ms < 0 ? snprintf(text, sizeof text, "-") : 0;
    for (unsigned i = 0; i < sizeof UNITS / sizeof UNITS[0] && left; i++)
        if (left >= (uint64_t)UNITS[i].ms) {
            len += snprintf(text + len, sizeof text - (size_t)len, "%llu%s",
                            (unsigned long long)(left / (uint64_t)UNITS[i].ms), UNITS[i].unit);
            left %= (uint64_t)UNITS[i].ms;
        }
    return arena_printf(c->arena, "%s", text);
}

/* A duration that folds to a constant of zero or less is refused: its timer would be
   due at or before the moment that sets it, and the instance would stall there. */
void check_positive_duration(CheckCtx *c, const AstExpr *expr, const char *what, bool timer,
                             const char *example)
{
    CheckDuration d;
    if (!expr || !check_fold_duration_exact(c, expr, &d) || (d.lit.business ? d.lit.count >= 1 : d.ms >= 1))
        return;
    Diag *diag = check_error(c, expr->span, "%s needs a positive duration, not %s", what,
                             check_duration_text(c, &d));
    diag_hint(c->diags, diag, "%s, such as: %s",
              timer ? "a timer is due some time after the moment it is set" : "it must span some time to hold any event",
              example);
}

static void check_ladder(CheckCtx *c, AstAsk *ask)
{
    for (unsigned i = 0; i < ask->escalations.count; i++) {
        AstEscalation *level = ask->escalations.items[i];
        check_who(c, level->who);
        check_duration(c, level->after, "'escalate ... after'", true);
        check_positive_duration(c, level->after, "'escalate ... after'", true, "escalate to manager after 30m");
    }
    DurationLit within, after;
    int within_family, family;
    int64_t deadline, due = 0, amount;
    if (!ask->within || !check_fold_duration(c, ask->within, &within))
        return;
    check_ladder_units(&within, &within_family, &deadline);
    for (unsigned i = 0; i < ask->escalations.count; i++) {
        AstEscalation *level = ask->escalations.items[i];
        if (!check_fold_duration(c, level->after, &after))
            return;
        check_ladder_units(&after, &family, &amount);
        if (family != within_family || deadline <= 0 || amount <= 0   /* refused above */
            || __builtin_add_overflow(due, amount, &due))
            return;
        if (due >= deadline) {   /* a skipped level brings the next one forward (LANGUAGE.md) */
            Diag *d = check_warning(c, level->span,
                                    i == 0 ? "escalation level %u is due at or after the deadline and will never be "
                                             "reached"
                                           : "escalation level %u is due at or after the deadline: it is reached "
                                             "only if an earlier level adds nobody and is skipped",
                                    i + 1);
            diag_hint(c->diags, d, "levels count from the previous one; 'within' counts from the ask");
        }
    }
}

static const AstArm *check_find_arm(const AstAsk *ask, AstArmKind kind, const char *choice)
{
    for (unsigned i = 0; i < ask->arms.count; i++) {
        const AstArm *arm = ask->arms.items[i];
        if (arm->kind == kind && (!choice || strcmp(arm->choice.text, choice) == 0))
            return arm;
    }
    return NULL;
}

/* `remind every D` needs D of at least one minute (a business count of at least one);
   a constant below it is refused here, a computed one stalls the instance. */
static void check_remind(CheckCtx *c, AstExpr *remind)
{
    check_duration(c, remind, "'remind every'", true);
    CheckDuration d;
    if (!check_fold_duration_exact(c, remind, &d))
        return;
    if (d.lit.business ? d.lit.count >= 1 : d.ms >= 60000)
        return;
    Diag *diag = check_error(c, remind->span, "'remind every' needs at least one minute, not %s",
                             check_duration_text(c, &d));
    diag_hint(c->diags, diag, "remind no more often than every minute, such as: remind every 30m");
}

static void check_ask_arms(CheckCtx *c, AstStmt *stmt, int64_t quorum)
{
    AstAsk *ask = stmt->as.ask;
    const char **ids = arena_alloc(c->arena, sizeof(char *) * (ask->choices.count + 1));
    for (unsigned i = 0; i < ask->choices.count; i++)
        ids[i] = ((AstChoice *)ask->choices.items[i])->id.text;
    for (unsigned i = 0; i < ask->arms.count; i++) {
        AstArm *arm = ask->arms.items[i];
        for (unsigned k = 0; k < i; k++) {
            AstArm *earlier = ask->arms.items[k];
            if (earlier->kind == arm->kind &&
                (arm->kind != ARM_CHOICE || strcmp(earlier->choice.text, arm->choice.text) == 0)) {
                Diag *d = check_error(c, arm->span, "this ask already has an arm for that");
                diag_note(c->diags, d, earlier->span, "first arm here");
                break;
            }
        }
        if (arm->kind == ARM_CHOICE && ask->has_choices) {
            bool known = false;
            for (unsigned k = 0; k < ask->choices.count; k++)
                known |= strcmp(ids[k], arm->choice.text) == 0;
            if (!known) {
                Diag *d = check_error(c, arm->span, "unknown choice '%s'", arm->choice.text);
                check_suggest(c, d, arm->choice.text, ids, ask->choices.count);
            }
        }
        check_target(c, arm->target);
    }
    Span at = {stmt->span.start, stmt->span.start + 3};
    if (!check_find_arm(ask, ARM_TIMEOUT, NULL)) {
        Diag *d = check_error(c, at, "this ask has no 'timeout' arm");
        diag_hint(c->diags, d, "say where to go when nobody decides in time: timeout -> STATE");
    }
    if (quorum >= 2 && !check_find_arm(ask, ARM_NO_QUORUM, NULL)) {
        Diag *d = check_error(c, at, "this ask needs %lld answers, so it needs a 'no_quorum' arm",
                              (long long)quorum);
        diag_hint(c->diags, d, "say where to go when no choice can win: no_quorum -> STATE");
    }
    if (ask->has_choices && !check_find_arm(ask, ARM_ELSE, NULL)) {
        for (unsigned k = 0; k < ask->choices.count; k++)
            if (!check_find_arm(ask, ARM_CHOICE, ids[k])) {
                AstChoice *choice = ask->choices.items[k];
                Diag *d = check_error(c, choice->id.span, "choice '%s' has no arm", ids[k]);
                diag_hint(c->diags, d, "add '%s -> STATE', or an 'else ->' arm", ids[k]);
            }
    }
}

static bool check_ask(CheckCtx *c, AstStmt *stmt)
{
    AstAsk *ask = stmt->as.ask;
    for (unsigned i = 0; i < ask->seats.count; i++)
        check_who(c, ask->seats.items[i]);
    check_seats_distinct(c, ask);
    int64_t quorum = check_quorum(c, stmt);
    check_text(c, ask->question);
    check_choices(c, stmt);
    if (!ask->within) {
        Diag *d = check_error(c, (Span){stmt->span.start, stmt->span.start + 3},
                              "an ask needs 'within DURATION'");
        diag_hint(c->diags, d, "say how long people have: within 4 business hours");
    } else {
        check_duration(c, ask->within, "'within'", true);
        check_positive_duration(c, ask->within, "'within'", true, "within 4h");
    }
    check_ladder(c, ask);
    if (ask->remind)
        check_remind(c, ask->remind);
    if (ask->show) {
        CheckType t = check_expr(c, ask->show);
        if (t != TYPE_ANY && t != TYPE_MAP)
            check_error(c, ask->show->span, "'show' needs a map, not %s", check_type_name(t));
    }
    unsigned mark = check_scope_enter(c);
    AstName result = ask->as_name.text ? ask->as_name
                                       : (AstName){"answer", {stmt->span.start, stmt->span.start + 3}};
    Symbol *sym = check_declare(c, &result, SYM_ASK_RESULT, TYPE_MAP, !ask->as_name.text);
    sym->used = true;
    check_ask_arms(c, stmt, quorum);
    check_scope_leave(c, mark);
    return true;
}

/* ---- wait ---- */

static bool check_has_case_trigger(CheckCtx *c, const AstArm *arm)
{
    for (unsigned i = 0; i < c->program->triggers.count; i++) {
        const AstTrigger *t = c->program->triggers.items[i];
        if (t->case_key && strcmp(t->source.text, arm->source.text) == 0 &&
            strcmp(t->type.text, arm->type.text) == 0)
            return true;
    }
    return false;
}

static const AstTrigger *check_find_trigger(CheckCtx *c, const AstArm *arm)
{
    for (unsigned i = 0; i < c->program->triggers.count; i++) {
        const AstTrigger *t = c->program->triggers.items[i];
        if (strcmp(t->source.text, arm->source.text) == 0 && strcmp(t->type.text, arm->type.text) == 0)
            return t;
    }
    return NULL;
}

static void check_event_arm(CheckCtx *c, AstArm *arm)
{
    if (strcmp(arm->source.text, "directory") == 0)   /* no trigger may name it, so no hint to add one */
        check_error(c, arm->span,
                    "the 'directory' source is reserved: its events change the directory and reach no playbook");
    else if (!check_has_case_trigger(c, arm)) {
        Diag *d = check_error(c, arm->span, "no trigger with 'case' listens for %s.%s",
                              arm->source.text, arm->type.text);
        const AstTrigger *plain = check_find_trigger(c, arm);
        if (plain)
            diag_hint(c->diags, d, "only events that join the case reach a wait: add 'case KEY' to the trigger on line %u",
                      source_line_of(c->src, plain->span.start));
        else
            diag_hint(c->diags, d, "only events that join the case reach a wait: add 'on %s.%s as NAME case KEY'",
                      arm->source.text, arm->type.text);
    }
    unsigned mark = check_scope_enter(c);
    if (arm->as_name.text) {
        Symbol *sym = check_declare_local(c, &arm->as_name, SYM_EVENT, TYPE_ANY);
        sym->used = true;
    }
    if (arm->when)
        check_condition(c, arm->when, "'when'");
    check_target(c, arm->target);
    check_scope_leave(c, mark);
}

static bool check_wait(CheckCtx *c, AstStmt *stmt)
{
    const AstArm *first_after = NULL;
    for (unsigned i = 0; i < stmt->as.wait.arms.count; i++) {
        AstArm *arm = stmt->as.wait.arms.items[i];
        if (arm->kind == ARM_EVENT) {
            check_event_arm(c, arm);
            continue;
        }
        if (first_after) {
            Diag *d = check_error(c, arm->span, "a wait has one 'after' arm");
            diag_note(c->diags, d, first_after->span, "the first one is here");
        } else {
            first_after = arm;
        }
        if (arm->kind == ARM_AFTER) {
            check_duration(c, arm->after, "'after'", true);
            check_positive_duration(c, arm->after, "'after'", true, "after 1h -> STATE");
            check_target(c, arm->target);
        }
    }
    if (!first_after) {
        Diag *d = check_error(c, (Span){stmt->span.start, stmt->span.start + 4},
                              "a wait needs an 'after' arm");
        diag_hint(c->diags, d, "say how long to wait (after 3d -> STATE), or write 'after forever' on purpose");
    }
    return true;
}
