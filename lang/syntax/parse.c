/*
 * parse.c - drives the bison parser over one playbook and recovers from syntax errors.
 *
 * Recovery, as ../shared/design/LANGUAGE.md asks: after a syntax error the parser
 * resumes at the next statement keyword at the same brace depth, or at the next
 * top-level keyword, and reports at most one error per statement. Bison's own recovery
 * pops to the nearest `error` rule (a declaration, a statement, an arm); this file
 * decides which tokens to throw away before handing bison the next one:
 *
 *  - It tracks every open '{' and whether it opened a block or a map (by the token
 *    before it), so it knows the depth of the block the error is in.
 *  - While recovering, it skips tokens until a statement keyword that begins a line at
 *    that depth, the '}' that closes the block, or a top-level keyword that begins a
 *    line. For the last, the blocks still open are closed with virtual '}' first: that
 *    is the "missing brace" case, where the next `state` must start afresh.
 */
#include "parse.h"

#include <stdlib.h>
#include <string.h>

#include "memtrap.h"
#include "parser.h"

int huddle_yyparse(ParseCtx *ctx);

static bool parse_is_statement_keyword(int kind)
{
    switch (kind) {
    case KW_LET: case KW_SET: case KW_IF: case KW_GOTO: case KW_DONE: case KW_FAIL:
    case KW_CALL: case KW_SEND: case KW_NOTIFY: case KW_ASK: case KW_WAIT: case KW_TAG:
    case KW_NOTE:
        return true;
    default:
        return false;
    }
}

static bool parse_is_toplevel_keyword(int kind)
{
    switch (kind) {
    case KW_PLAYBOOK: case KW_CALENDAR: case KW_ON: case KW_CONST: case KW_FN:
    case KW_VAR: case KW_USE: case KW_STATE:
        return true;
    default:
        return false;
    }
}

/* True when only blanks stand between the start of the line and `offset`. */
static bool parse_first_on_line(const Source *src, uint32_t offset)
{
    while (offset > 0) {
        char c = src->text[offset - 1];
        if (c == '\n' || c == '\r')   /* LF, CRLF or a lone CR ends a line */
            return true;
        if (c != ' ' && c != '\t')
            return false;
        offset--;
    }
    return true;
}

/* Does a '{' after these tokens open a map (an expression) rather than a block? */
static bool parse_brace_opens_map(int prev, int prev_prev)
{
    switch (prev) {
    case '=': case '(': case '[': case ',': case ':': case '+': case '-': case '*':
    case '/': case '%': case '<': case '>': case EQ: case NE: case LE: case GE:
    case COALESCE: case KW_AND: case KW_OR: case KW_NOT: case KW_IN: case KW_IF:
    case KW_THEN: case KW_WHEN: case KW_CASE: case KW_TAG: case KW_WITHIN:
    case KW_EVERY: case KW_AFTER: case KW_FOR: case QQINTERP_START:
        return true;
    case KW_SHOW:
        return prev_prev != KW_STATE;
    case KW_ELSE:
        return prev_prev != '}';
    default:
        return false;
    }
}

static void parse_brace_push(ParseCtx *ctx, ParseBrace brace)
{
    arena_grow(ctx->arena, (void **)&ctx->braces, &ctx->brace_cap, ctx->brace_count + 1,
               sizeof(ParseBrace));
    ctx->braces[ctx->brace_count++] = brace;
}

/* Reads one token from the lexer and records its effect on the open braces. */
static int parse_read(ParseCtx *ctx, LexToken *token)
{
    int kind = lexer_next(ctx->lexer, token);
    ctx->last_pushed = ctx->last_popped = false;
    if (kind == '{') {
        ParseBrace brace = {token->span, !parse_brace_opens_map(ctx->prev_kind,
                                                               ctx->prev_prev_kind)};
        parse_brace_push(ctx, brace);
        ctx->last_pushed = true;
    } else if (kind == '}' && ctx->brace_count > 0) {
        ctx->last_popped_brace = ctx->braces[--ctx->brace_count];
        ctx->last_popped = true;
    } else if (kind == '(') {
        ctx->open_parens++;
    } else if (kind == ')' && ctx->open_parens > 0) {
        ctx->open_parens--;
    }
    ctx->prev4_kind = ctx->prev3_kind;
    ctx->prev3_kind = ctx->prev_prev_kind;
    ctx->prev_prev_kind = ctx->prev_kind;
    ctx->prev_kind = kind;
    return kind;
}

static int parse_hand_out(const LexToken *token, HUDDLE_YYSTYPE *value,
                          HUDDLE_YYLTYPE *location)
{
    *value = token->value;
    *location = token->span;
    return token->kind;
}

/* While recovering: should this token end the skipping? */
static bool parse_recovery_stops_at(ParseCtx *ctx, const LexToken *token)
{
    int kind = token->kind;
    if (kind == END)
        return true;
    if (kind == '}' && ctx->brace_count < ctx->recover_depth)
        return true;
    if (ctx->recover_depth > 0 && ctx->brace_count == ctx->recover_depth &&
        parse_is_statement_keyword(kind) && parse_first_on_line(ctx->src, token->span.start))
        return true;
    return parse_is_toplevel_keyword(kind) && parse_first_on_line(ctx->src, token->span.start);
}

/* A top-level keyword inside open blocks: close the blocks with virtual braces first
   (maps were already dropped by bison's recovery). */
static void parse_close_blocks_before(ParseCtx *ctx)
{
    unsigned blocks = 0;
    for (unsigned i = 0; i < ctx->brace_count; i++)
        blocks += ctx->braces[i].block;
    ctx->queued_closers = blocks;
    ctx->brace_count = 0;
    ctx->replay_last = blocks > 0;
}

int parse_next_token(HUDDLE_YYSTYPE *value, HUDDLE_YYLTYPE *location, ParseCtx *ctx)
{
    if (ctx->queued_closers > 0) {
        ctx->queued_closers--;
        *location = (Span){ctx->last.span.start, ctx->last.span.start};
        memset(value, 0, sizeof *value);
        return '}';
    }
    if (ctx->replay_last) {
        ctx->replay_last = false;
        return parse_hand_out(&ctx->last, value, location);
    }
    for (;;) {
        parse_read(ctx, &ctx->last);
        if (!ctx->recovering || parse_recovery_stops_at(ctx, &ctx->last))
            break;
    }
    if (ctx->recovering) {
        ctx->recovering = false;
        if (parse_is_toplevel_keyword(ctx->last.kind) && ctx->brace_count > 0) {
            parse_close_blocks_before(ctx);
            return parse_next_token(value, location, ctx);
        }
    }
    return parse_hand_out(&ctx->last, value, location);
}

bool parse_discards_lookahead(const ParseCtx *ctx)
{
    return ctx->recovering || ctx->replay_last || ctx->queued_closers > 0;
}

/* The number of open braces up to and including the innermost block (0: none). */
static unsigned parse_block_depth(const ParseCtx *ctx)
{
    for (unsigned i = ctx->brace_count; i > 0; i--)
        if (ctx->braces[i - 1].block)
            return i;
    return 0;
}

/* Sets up recovery for an error at ctx->last (bison's lookahead). Returns false when
   the same token failed again after recovering: then it is skipped, not reported.
   Decisions are made on the braces as they were before the bad token; its own brace,
   if any, is then applied again. */
static bool parse_begin_recovery(ParseCtx *ctx)
{
    const LexToken *bad = &ctx->last;
    if (ctx->last_error_at == bad->span.start + 1 && bad->kind != END) {
        ctx->recovering = true;
        ctx->recover_depth = parse_block_depth(ctx);
        return false;
    }
    ctx->last_error_at = bad->span.start + 1;

    ParseBrace pushed = {{0, 0}, false};
    if (ctx->last_pushed)
        pushed = ctx->braces[--ctx->brace_count];
    if (ctx->last_popped)
        parse_brace_push(ctx, ctx->last_popped_brace);
    unsigned block_depth = parse_block_depth(ctx);
    bool in_map = ctx->brace_count > block_depth;
    bool line_start = parse_first_on_line(ctx->src, bad->span.start);
    ctx->unclosed_brace = 0;
    ctx->map_before = in_map && ctx->prev_prev_kind == '{' && parse_is_statement_keyword(bad->kind);
    if (block_depth > 0 && (bad->kind == END || (parse_is_toplevel_keyword(bad->kind) && line_start)))
        ctx->unclosed_brace = source_line_of(ctx->src, ctx->braces[block_depth - 1].span.start);
    if (ctx->last_pushed)
        parse_brace_push(ctx, pushed);
    if (ctx->last_popped)
        ctx->brace_count--;

    if (bad->kind == END)
        return true;
    if (bad->kind == '}' && !in_map)
        return true;    /* it closes the block bison resumes in */
    if (parse_is_toplevel_keyword(bad->kind) && line_start) {
        parse_close_blocks_before(ctx);
        return true;
    }
    if (parse_is_statement_keyword(bad->kind) && line_start && block_depth > 0 && !in_map)
        return true;
    ctx->recovering = true;
    ctx->recover_depth = block_depth;
    return true;
}

/* ---- messages ---- */

/* Writes how a token kind reads in a message: 'state', '{', a name, end of file. */
static void parse_describe(StrBuf *out, const char *symbol)
{
    size_t len = strlen(symbol);
    if (len >= 2 && symbol[0] == '\'') {
        strbuf_append(out, symbol, len);
        return;
    }
    bool phrase = strncmp(symbol, "a ", 2) == 0 || strncmp(symbol, "an ", 3) == 0 ||
                  strncmp(symbol, "the ", 4) == 0 || strncmp(symbol, "end of", 6) == 0;
    if (!phrase)
        strbuf_putc(out, '\'');
    strbuf_append(out, symbol, len);
    if (!phrase)
        strbuf_putc(out, '\'');
}

static bool parse_is_ask_clause(int kind)
{
    return kind == KW_CHOICES || kind == KW_WITHIN || kind == KW_ESCALATE || kind == KW_REMIND ||
           kind == KW_SHOW || kind == KW_AS;
}

/* After these tokens an expression must follow. */
static bool parse_wants_operand(int kind)
{
    switch (kind) {
    case '=': case '(': case '[': case ',': case ':': case '+': case '-': case '*':
    case '/': case '%': case '<': case '>': case EQ: case NE: case LE: case GE:
    case COALESCE: case KW_AND: case KW_OR: case KW_NOT: case KW_IN: case KW_IF:
    case KW_THEN: case KW_ELSE: case KW_WHEN: case KW_WITHIN: case KW_EVERY: case KW_SHOW:
    case KW_TAG: case KW_AFTER: case KW_FOR:
        return true;
    default:
        return false;
    }
}

static bool parse_is_comparison(int kind)
{
    return kind == '<' || kind == '>' || kind == EQ || kind == NE || kind == LE || kind == GE ||
           kind == KW_IN;
}

static bool parse_expects(const char *const *expected, int count, const char *symbol)
{
    for (int i = 0; i < count; i++)
        if (strcmp(expected[i], symbol) == 0)
            return true;
    return false;
}

static bool parse_is_keyword_symbol(const char *symbol)
{
    /* Keywords are the aliases made of letters and '_' alone. */
    if (!*symbol)
        return false;
    for (const char *c = symbol; *c; c++)
        if (!((*c >= 'a' && *c <= 'z') || *c == '_'))
            return false;
    return true;
}

/* `hours`, `day`, ...: a long duration unit, read as a name when its number is on the
   line before. */
static bool parse_is_unit_word(const ParseCtx *ctx, const LexToken *token)
{
    static const char *const UNITS[] = {"second", "minute", "hour", "day", "week"};
    const char *text = ctx->src->text + token->span.start;
    size_t len = token->span.end - token->span.start;
    for (size_t i = 0; i < sizeof UNITS / sizeof UNITS[0]; i++) {
        size_t n = strlen(UNITS[i]);
        if ((len == n || (len == n + 1 && text[n] == 's')) && strncmp(text, UNITS[i], n) == 0)
            return true;
    }
    return false;
}

/* The words that give a name a value with '=': const, var, let, set. */
static bool parse_is_binding_keyword(int kind)
{
    return kind == KW_CONST || kind == KW_VAR || kind == KW_LET || kind == KW_SET;
}

static const char *parse_keyword_text(int kind)
{
    return kind == KW_CONST ? "const" : kind == KW_VAR ? "var" : kind == KW_LET ? "let" : "set";
}

static bool parse_is_who_keyword(int kind)
{
    return kind == KW_PERSON || kind == KW_TEAM || kind == KW_ONCALL || kind == KW_ROLE ||
           kind == KW_OWNER || kind == KW_LEAD;
}

/* `wants_who`: a who-expression could have come where the parser stopped. */
static void parse_add_hint(ParseCtx *ctx, Diag *diag, const char *got,
                           const char *const *expected, int count, bool wants_who)
{
    const LexToken *bad = &ctx->last;
    const char *after = ctx->src->text + bad->span.end;
    while (*after == ' ' || *after == '\t')
        after++;
    bool done_or_fail = bad->kind == KW_DONE || bad->kind == KW_FAIL;
    if (ctx->unclosed_brace) {
        diag_hint(ctx->diags, diag, "the '{' on line %u is never closed", ctx->unclosed_brace);
    } else if (done_or_fail && ctx->prev_prev_kind == '.') {
        diag_hint(ctx->diags, diag, "'done' and 'fail' are never field names: write x[\"%s\"]",
                  bad->kind == KW_DONE ? "done" : "fail");
    } else if (done_or_fail && *after == ':') {
        diag_hint(ctx->diags, diag, "'done' and 'fail' are never map keys as names: write \"%s\": ...",
                  bad->kind == KW_DONE ? "done" : "fail");
    } else if (ctx->map_before) {
        diag_hint(ctx->diags, diag, "the '{' before it starts a map here: is an operand missing before '{'?");
    } else if (ctx->prev_prev_kind == KW_MANAGER && bad->kind != '(') {
        diag_hint(ctx->diags, diag, "a bare 'manager' is only for 'escalate to manager'; here say whose: "
                  "manager(person(\"id\"))");
    } else if (wants_who) {
        diag_hint(ctx->diags, diag, "name whom: person(\"id\"), team(\"id\"), oncall(\"team\"), "
                  "role(\"name\", SCOPE), owner(\"kind\", KEY), manager(WHO) or lead(\"team\")");
    } else if (parse_expects(expected, count, "'{'") && parse_is_ask_clause(bad->kind)) {
        diag_hint(ctx->diags, diag,
                  "an ask's clauses come in this order: choices, within, escalate, remind every, show, as");
    } else if (parse_expects(expected, count, "a name") && parse_is_keyword_symbol(got)) {
        diag_hint(ctx->diags, diag, "'%.*s' is a keyword; choose another name",
                  (int)(bad->span.end - bad->span.start), ctx->src->text + bad->span.start);
    } else if (parse_is_who_keyword(bad->kind)) {
        diag_hint(ctx->diags, diag, "a who-expression is not a value: write it where people are "
                  "asked or told (ask, notify, escalate to)");
    } else if (bad->kind == '=' && parse_is_binding_keyword(ctx->prev_prev_kind)) {
        /* `const = 3`: the name is missing, not a comparison */
        diag_hint(ctx->diags, diag, "the name is missing: write '%s NAME = VALUE'",
                  parse_keyword_text(ctx->prev_prev_kind));
    } else if (bad->kind == EQ && ctx->prev_prev_kind == IDENT && parse_is_binding_keyword(ctx->prev3_kind)) {
        /* `let total == 1`: meant to give a value */
        diag_hint(ctx->diags, diag, "'%s' gives the name its value with '=', not '=='",
                  parse_keyword_text(ctx->prev3_kind));
    } else if (bad->kind == '=' && ctx->prev_prev_kind == KW_FN) {
        /* `fn = 1`: the name is missing */
        diag_hint(ctx->diags, diag, "the name is missing: write 'fn NAME(PARAMS) = VALUE'");
    } else if (bad->kind == '=' && ctx->prev_prev_kind == '(' && ctx->prev3_kind == IDENT && ctx->prev4_kind == KW_FN) {
        /* `fn f( = 1`: the parameters are not closed */
        diag_hint(ctx->diags, diag, "close the parameters with ')' before '=': 'fn NAME(A, B) = VALUE'");
    } else if (bad->kind == EQ && ctx->prev_prev_kind == ')' && parse_expects(expected, count, "'='")) {
        /* `fn f(a) == a`: meant to give the value */
        diag_hint(ctx->diags, diag, "'fn' gives its value with '=', not '=='");
    } else if (bad->kind == ARROW && ctx->prev_prev_kind == KW_FOREVER && ctx->prev3_kind == KW_AFTER) {
        diag_hint(ctx->diags, diag, "'after forever' has no target: the wait ends only through its "
                  "event arms; to end it after a time, write 'after DURATION -> TARGET'");
    } else if (bad->kind == '=' && ctx->src->text[bad->span.end] == '>') {
        diag_hint(ctx->diags, diag, "arms are written with '->'");
    } else if (bad->kind == '=' && ctx->prev3_kind != KW_LET && ctx->prev3_kind != KW_SET) {
        diag_hint(ctx->diags, diag, "to compare, write '=='");
    } else if (ctx->prev4_kind == ARROW && ctx->prev3_kind == KW_GOTO) {
        /* `-> goto s`: the target was read as a state called `goto` */
        diag_hint(ctx->diags, diag, "an arm's target is the state's name alone: write '-> NAME', not '-> goto NAME'");
    } else if (parse_is_comparison(bad->kind) && !parse_wants_operand(ctx->prev_prev_kind)) {
        /* after a whole operand a comparison is refused only for following another */
        diag_hint(ctx->diags, diag, "comparisons and 'in' do not chain: join them with 'and', "
                  "such as 0 < x and x < 10");
    } else if (bad->kind == IDENT && ctx->prev_prev_kind == INT && parse_is_unit_word(ctx, bad)) {
        diag_hint(ctx->diags, diag, "a duration is written on one line: the number and its unit "
                  "together, such as 4 hours");
    } else if (bad->kind == QQINTERP_END && ctx->prev_prev_kind == QQINTERP_START) {
        diag_hint(ctx->diags, diag, "write '{{' and '}}' for literal braces");
    } else if (bad->kind == QQSTRING_START && ctx->prev_prev_kind == QQSTRING_END) {
        diag_hint(ctx->diags, diag, "join strings with '+', or put both in one string");
    }
}

/* Operators that could continue an expression: left out of "expected ..." lists, which
   then name what could come after the expression. */
static bool parse_is_operator_symbol(const char *symbol)
{
    static const char *const OPERATORS[] = {
        "'+'", "'-'", "'*'", "'/'", "'%'", "'<'", "'>'", "==", "!=", "<=", ">=", "??",
        "and", "or", "in", "'.'", "'['", "'('",
    };
    for (size_t i = 0; i < sizeof OPERATORS / sizeof OPERATORS[0]; i++)
        if (strcmp(symbol, OPERATORS[i]) == 0)
            return true;
    return false;
}

/* Keeps at most 6 expected tokens worth naming; 0 when there are too many to help. */
static int parse_useful_expected(const char **expected, int count)
{
    int kept = 0;
    for (int i = 0; i < count; i++)
        if (!parse_is_operator_symbol(expected[i]))
            expected[kept++] = expected[i];
    return kept <= 6 ? kept : 0;
}

void parse_report_syntax_error(ParseCtx *ctx, Span at, const char *got,
                               const char **expected, int count)
{
    /* where any name may come (`goto`, `state`), keywords included, no WHO is wanted */
    bool wants_name = parse_expects(expected, count, "a name");
    bool wants_who = parse_expects(expected, count, "person") && !wants_name;
    count = parse_useful_expected(expected, count);
    if (!parse_begin_recovery(ctx) || ctx->last.kind == LEX_ERROR)
        return;  /* said already, by us or by the lexer */
    ctx->syntax_errors++;

    StrBuf message = STRBUF_INIT;
    const LexToken *bad = &ctx->last;
    if (ctx->unclosed_brace) {
        if (bad->kind == END)
            strbuf_puts(&message, "missing '}' before the end of the file");
        else
            strbuf_printf(&message, "missing '}' before '%.*s'",
                          (int)(bad->span.end - bad->span.start), ctx->src->text + bad->span.start);
        count = 0;
    } else if (bad->kind == QQINTERP_END && ctx->prev_prev_kind == QQINTERP_START) {
        strbuf_puts(&message, "an interpolation needs an expression between '{' and '}'");
        count = -1;   /* nothing more to say: the hint does */
    } else if (bad->kind == QQINTERP_END) {
        strbuf_puts(&message, "unexpected '}' ending the interpolation");
    } else if (bad->kind == END) {
        strbuf_puts(&message, "unexpected end of file");
    } else if (bad->kind == IDENT || bad->kind == INT || bad->kind == FLOAT ||
               bad->kind == DURATION || bad->kind == TIME || parse_is_keyword_symbol(got) ||
               (bad->span.end - bad->span.start <= 2 && bad->kind < 256)) {
        strbuf_printf(&message, "unexpected '%.*s'", (int)(bad->span.end - bad->span.start),
                      ctx->src->text + bad->span.start);
    } else if (strncmp(got, "a ", 2) == 0 || strncmp(got, "an ", 3) == 0) {
        /* "a string" reads as "unexpected string" */
        strbuf_printf(&message, "unexpected %s", strchr(got, ' ') + 1);
    } else {
        strbuf_puts(&message, "unexpected ");
        parse_describe(&message, got);
    }
    if (ctx->unclosed_brace) {
        /* said above */
    } else if (count == 0 && parse_wants_operand(ctx->prev_prev_kind)) {
        strbuf_puts(&message, "; expected an expression");
    } else if (count == 0 && wants_name) {
        strbuf_puts(&message, "; expected a name");   /* any word may be one there: too many to list */
    } else if (count > 0) {
        strbuf_puts(&message, "; expected ");
        for (int i = 0; i < count; i++) {
            if (i > 0)
                strbuf_puts(&message, i == count - 1 ? " or " : ", ");
            parse_describe(&message, expected[i]);
        }
    }
    Diag *diag = diag_add(ctx->diags, DIAG_ERROR, ctx->src, at, "%s", strbuf_text(&message));
    strbuf_free(&message);
    parse_add_hint(ctx, diag, got, expected, count, wants_who);
}

static void parse_too_deep(ParseCtx *ctx, Span at)
{
    Diag *d = diag_add(ctx->diags, DIAG_ERROR, ctx->src, at,
                       "expression nests deeper than %d,%03d operators", AST_MAX_DEPTH / 1000,
                       AST_MAX_DEPTH % 1000);
    diag_hint(ctx->diags, d, "split it with let, const or fn into parts that each nest less");
}

AstExpr *parse_expr_depth(ParseCtx *ctx, AstExpr *expr)
{
    /* Only the node that crosses the limit is reported: those above it are deeper. */
    if (expr && expr->depth == AST_MAX_DEPTH + 1)
        parse_too_deep(ctx, expr->span);
    return expr;
}

static void parse_too_many_parens(ParseCtx *ctx, Span at)
{
    Diag *d = diag_add(ctx->diags, DIAG_ERROR, ctx->src, at, "parentheses nest deeper than %d,%03d",
                       AST_MAX_PARENS / 1000, AST_MAX_PARENS % 1000);
    diag_hint(ctx->diags, d, "drop the pairs that group nothing, or split it with let, const or fn");
}

AstExpr *parse_paren_depth(ParseCtx *ctx, AstExpr *expr, Span parens)
{
    if (!expr)
        return expr;
    expr->parens++;
    if (expr->parens == AST_MAX_PARENS + 1)
        parse_too_many_parens(ctx, parens);
    return expr;
}

/* Bison's own stack (YYMAXDEPTH, parser.y) runs out only past the limits: an expression
   that nests to the right (`- - - 1`, `((1))`, `a ?? b ?? c`, `if ... else if ...`)
   holds every level there until its end, at least one entry per operator or pair of
   parentheses. Run out, it is refused as the limit crossed: the parentheses' when more
   than AST_MAX_PARENS are open, else the operators'. */
void parse_report_error(ParseCtx *ctx, Span at, const char *message)
{
    unsigned blocks = 0;
    for (unsigned i = 0; i < ctx->brace_count; i++)
        blocks += ctx->braces[i].block;
    if (strstr(message, "exhausted") && blocks < AST_MAX_DEPTH && ctx->open_parens > AST_MAX_PARENS)
        parse_too_many_parens(ctx, at);
    else if (strstr(message, "exhausted") && blocks < AST_MAX_DEPTH)
        parse_too_deep(ctx, at);
    else if (strstr(message, "exhausted"))
        diag_add(ctx->diags, DIAG_ERROR, ctx->src, at,
                 "blocks nest too deeply to parse: %u are open here", blocks);
    else
        diag_add(ctx->diags, DIAG_ERROR, ctx->src, at, "%s", message);
    ctx->syntax_errors++;
}

AstProgram *parse_program(Arena *arena, const Source *src, DiagList *diags, bool is_module)
{
    ParseCtx ctx;
    memset(&ctx, 0, sizeof ctx);
    ctx.arena = arena;
    ctx.diags = diags;
    ctx.src = src;
    ctx.program = arena_alloc(arena, sizeof(AstProgram));
    ctx.program->src = src;
    ctx.program->is_module = is_module;
    ctx.lexer = lexer_new(arena, src, diags);
    if (!ctx.lexer)
        memtrap_raise();   /* out of memory starting the lexer */
    MemTrap trap;   /* memory running out while parsing: the lexer is freed here */
    memtrap_push(&trap);
    if (setjmp(trap.at)) {
        lexer_free(ctx.lexer);
        memtrap_raise();
    }
    huddle_yyparse(&ctx);
    lexer_finish(ctx.lexer);
    memtrap_pop(&trap);
    lexer_free(ctx.lexer);
    return ctx.program;
}
