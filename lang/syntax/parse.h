/*
 * parse.h - running the parser over one Source, and what the grammar actions and the
 * syntax-error reporter share (ParseCtx).
 */
#ifndef HUDDLE_PARSE_H
#define HUDDLE_PARSE_H

#include <stdbool.h>

#include "ast.h"
#include "diag.h"
#include "lexer.h"

/* One open '{': where it is, and whether it opened a block or a map. */
typedef struct ParseBrace {
    Span span;
    bool block;
} ParseBrace;

struct ParseCtx {
    Arena *arena;
    DiagList *diags;
    const Source *src;
    Lexer *lexer;
    AstProgram *program;

    /* what the token stream looked like, for recovery */
    ParseBrace *braces;
    unsigned brace_count, brace_cap;
    int prev_kind, prev_prev_kind;   /* the last token read, and the one before */
    int prev3_kind, prev4_kind;      /* and the two before that */
    LexToken last;                   /* the token last handed to bison */
    bool last_pushed, last_popped;   /* its effect on `braces` */
    ParseBrace last_popped_brace;
    unsigned open_parens;            /* '(' read and not yet closed, calls' included */

    /* recovery after a syntax error (see parse.c) */
    bool recovering;
    unsigned recover_depth;
    unsigned queued_closers;         /* virtual '}' still to hand out */
    bool replay_last;                /* then hand `last` out again */
    unsigned syntax_errors;
    bool map_before;                 /* the bad token follows a map's '{' */
    uint32_t unclosed_brace;         /* line of a '{' left open at the error, 0: none */
    uint32_t last_error_at;          /* offset of the last token reported, +1 (0: none) */
};

/* Parses `src` into a program (never NULL; possibly partial). Syntax errors are added
   to `diags`; the caller knows the parse failed when diags->errors grew. */
AstProgram *parse_program(Arena *arena, const Source *src, DiagList *diags, bool is_module);

/* After an error rule: must bison drop its lookahead (recovery skips or replays it)? */
bool parse_discards_lookahead(const ParseCtx *ctx);

/* Called by the grammar's error hooks. */
void parse_report_syntax_error(ParseCtx *ctx, Span at, const char *got,
                               const char **expected, int expected_count);
void parse_report_error(ParseCtx *ctx, Span at, const char *message);
/* Refuses (with a diagnostic) an expression whose operators nest deeper than
   AST_MAX_DEPTH; returns it either way. The grammar calls it on every node it builds. */
AstExpr *parse_expr_depth(ParseCtx *ctx, AstExpr *expr);
/* `( expr )`: parentheses build no node; they count apart from operators, at most
   AST_MAX_PARENS pairs deep (docs/language.md, Limits): expr's parens grows by one, and
   the pair is refused (at `parens`, "parentheses nest deeper than 1,000") when that
   crosses the limit. Returns expr. */
AstExpr *parse_paren_depth(ParseCtx *ctx, AstExpr *expr, Span parens);

#endif
