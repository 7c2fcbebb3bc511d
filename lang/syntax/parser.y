/*
 * parser.y - the playbook grammar (../shared/design/LANGUAGE.md), LALR(1), no conflicts.
 *
 * A pure bison parser with locations. Every action is one call into the AST builders
 * (ast_build.c); names are resolved and types checked later by the checker. Syntax
 * errors are reported by parse_report_syntax_error (parse.c) and recovered from at the
 * next statement or declaration, as the recovery notes in parse.c explain.
 *
 * Keep the keyword tokens in sync with lexer.l and the `keyword_name` rule below.
 */
%code requires {
#include "ast.h"
#include "ast_build.h"
typedef struct ParseCtx ParseCtx;
typedef Span HUDDLE_YYLTYPE;
#define HUDDLE_YYLTYPE_IS_DECLARED 1
#define YYLLOC_DEFAULT(Cur, Rhs, N)                                  \
    do {                                                             \
        if (N) {                                                     \
            (Cur).start = YYRHSLOC(Rhs, 1).start;                    \
            (Cur).end = YYRHSLOC(Rhs, N).end;                        \
        } else {                                                     \
            (Cur).start = (Cur).end = YYRHSLOC(Rhs, 0).end;          \
        }                                                            \
    } while (0)
}

%code provides {
int parse_next_token(HUDDLE_YYSTYPE *value, HUDDLE_YYLTYPE *location, ParseCtx *ctx);
}

%code {
#include "parse.h"
#define A (ctx->arena)
#define P (ctx->program)
/* After an error rule: drop the bad lookahead when recovery will skip or replay it, and
   report errors again from the next statement on (but never loop at the end of file). */
#define PARSE_RECOVERED()                                  \
    do {                                                   \
        if (parse_discards_lookahead(ctx))                 \
            yyclearin;                                     \
        if (yychar != END)                                 \
            yyerrok;                                       \
    } while (0)
/* Every expression node built passes through parse_expr_depth (parse.c), which refuses
   one that nests operators deeper than AST_MAX_DEPTH. */
#define D(expr) parse_expr_depth(ctx, (expr))
/* The most entries the parser's stack grows to (bison's default, said here): an
   expression at both limits, AST_MAX_DEPTH operators and AST_MAX_PARENS pairs of
   parentheses, holds at most 5 entries a level and 1 a pair (ast.h), about 6,000, inside
   the few a state and a statement hold (tests/e2e/lang_limits.sh, "both limits"). */
#define YYMAXDEPTH 10000
static int yylex(HUDDLE_YYSTYPE *value, HUDDLE_YYLTYPE *location, ParseCtx *ctx)
{
    return parse_next_token(value, location, ctx);
}
static void yyerror(HUDDLE_YYLTYPE *location, ParseCtx *ctx, const char *message)
{
    parse_report_error(ctx, *location, message);
}
}

%define api.pure full
%define api.prefix {huddle_yy}
%define parse.error custom
%define parse.lac full
%locations
%expect 0
%parse-param {ParseCtx *ctx}
%lex-param {ParseCtx *ctx}

%union {
    AstName name;
    struct { const char *text; uint32_t len; } text;
    uint64_t integer;
    double number;
    DurationLit duration;
    TimeLit time;
    AstExpr *expr;
    AstStmt *stmt;
    AstBlock *block;
    AstVec vec;
    AstWho *who;
    AstTarget *target;
    AstArm *arm;
    AstAsk *ask;
    AstCall *call;
    AstChoice *choice;
    AstTrigger *trigger;
    AstMapEntry *entry;
    struct { AstStmt *first, *last; } chain;
    bool flag;
}

%token END 0 "end of file"
%token LEX_ERROR "an invalid token"
%token <name> IDENT "a name"
%token <integer> INT "an integer"
%token <number> FLOAT "a number"
%token <duration> DURATION "a duration"
%token <time> TIME "a time"
%token QQSTRING_START "a string"
%token <text> QQSTRING_TEXT "a piece of string"
%token QQSTRING_END "the end of a string"
%token QQINTERP_START "an interpolation"
%token QQINTERP_END "the end of an interpolation"
%token ARROW "->" COALESCE "??" EQ "==" NE "!=" LE "<=" GE ">="

%token KW_PLAYBOOK "playbook" KW_CALENDAR "calendar" KW_ON "on" KW_AS "as"
%token KW_WHEN "when" KW_CASE "case" KW_FOR "for" KW_AT "at" KW_LEAST "least"
%token KW_WITHIN "within" KW_CONST "const" KW_FN "fn" KW_USE "use" KW_VAR "var"
%token KW_STATE "state" KW_LET "let" KW_SET "set" KW_IF "if" KW_THEN "then"
%token KW_ELSE "else" KW_GOTO "goto" KW_DONE "done" KW_FAIL "fail" KW_CALL "call"
%token KW_SEND "send" KW_NOTIFY "notify" KW_ASK "ask" KW_WAIT "wait" KW_TAG "tag"
%token KW_NOTE "note" KW_ANY "any" KW_ALL "all" KW_OF "of" KW_CHOICES "choices"
%token KW_WITH "with" KW_COMMENT "comment" KW_ESCALATE "escalate" KW_TO "to"
%token KW_MANAGER "manager" KW_AFTER "after" KW_REMIND "remind" KW_EVERY "every"
%token KW_SHOW "show" KW_TIMEOUT "timeout" KW_NO_QUORUM "no_quorum"
%token KW_FOREVER "forever" KW_BUSINESS "business" KW_AND "and" KW_OR "or"
%token KW_NOT "not" KW_IN "in" KW_NULL "null" KW_TRUE "true" KW_FALSE "false"
%token KW_PERSON "person" KW_TEAM "team" KW_ONCALL "oncall" KW_ROLE "role"
%token KW_OWNER "owner" KW_LEAD "lead"

/* Loosest first (../shared/design/LANGUAGE.md, Expressions). */
%precedence IF_ELSE
%right COALESCE
%left KW_OR
%left KW_AND
%precedence KW_NOT
%nonassoc EQ NE '<' LE '>' GE KW_IN
%left '+' '-'
%left '*' '/' '%'
%precedence UMINUS
%precedence '.' '[' '('

%type <name> name keyword_name
%type <expr> expr primary string string_parts opt_title opt_when call_arg list map
%type <expr> quorum_count
%type <vec> exprs opt_exprs map_entries opt_map_entries who_list params opt_params
%type <vec> stmts choice_list ask_arms wait_arms
%type <stmt> stmt if_stmt ask_stmt
%type <block> block
%type <chain> if_chain
%type <who> who escalation_who
%type <target> target
%type <arm> ask_arm wait_arm
%type <ask> ask_head ask_choices ask_within ask_ladder ask_remind ask_show ask_as
%type <call> call call_head
%type <choice> choice
%type <trigger> trigger trigger_when trigger_case trigger_threshold
%type <entry> map_entry
%type <flag> opt_with_comment

%%

program
    : %empty
    | program decl
    ;

decl
    : "playbook" IDENT opt_title            { ast_program_set_header(A, P, $2, $3, @$); }
    | "calendar" string                     { ast_program_set_calendar(P, $2, @$); }
    | trigger                               { ast_vec_push(A, &P->triggers, $1); }
    | "const" IDENT '=' expr                { ast_vec_push(A, &P->consts, ast_const_new(A, $2, $4, @$)); }
    | "fn" IDENT '(' opt_params ')' '=' expr
                                            { ast_vec_push(A, &P->fns, ast_fn_new(A, $2, $4, $7, @$)); }
    | "var" IDENT '=' expr                  { ast_vec_push(A, &P->vars, ast_const_new(A, $2, $4, @$)); }
    | "use" IDENT                           { ast_vec_push(A, &P->uses, ast_use_new(A, $2, @$)); }
    | "state" name block                    { ast_vec_push(A, &P->states, ast_state_new(A, $2, $3, @$)); }
    | error                                 { PARSE_RECOVERED(); }
    ;

opt_title
    : %empty                                { $$ = NULL; }
    | string
    ;

opt_params
    : %empty                                { $$ = (AstVec){0}; }
    | params
    ;

params
    : IDENT                                 { $$ = ast_vec_of(A, ast_name_box(A, $1)); }
    | params ',' IDENT                      { $$ = $1; ast_vec_push(A, &$$, ast_name_box(A, $3)); }
    ;

/* on SOURCE.TYPE as NAME [when EXPR] [case EXPR [for DURATION]] [at least N within D] */
trigger
    : trigger_threshold
    ;

trigger_threshold
    : trigger_case
    | trigger_case "at" "least" expr "within" expr
                                            { $$ = ast_trigger_threshold($1, $4, $6, @$); }
    ;

trigger_case
    : trigger_when
    | trigger_when "case" expr              { $$ = ast_trigger_case($1, $3, NULL, @$); }
    | trigger_when "case" expr "for" expr   { $$ = ast_trigger_case($1, $3, $5, @$); }
    ;

trigger_when
    : "on" name '.' name "as" IDENT opt_when
                                            { $$ = ast_trigger_new(A, $2, $4, $6, $7, @$); }
    ;

opt_when
    : %empty                                { $$ = NULL; }
    | "when" expr                           { $$ = $2; }
    ;

block
    : '{' stmts '}'                         { $$ = ast_block_new(A, $2, @$); }
    ;

stmts
    : %empty                                { $$ = (AstVec){0}; }
    | stmts stmt                            { $$ = $1; if ($2) ast_vec_push(A, &$$, $2); }
    ;

stmt
    : "let" IDENT '=' expr                  { $$ = ast_let_new(A, $2, $4, NULL, @$); }
    | "let" IDENT '=' call                  { $$ = ast_let_new(A, $2, NULL, $4, @$); }
    | "set" IDENT '=' expr                  { $$ = ast_set_new(A, $2, $4, @$); }
    | if_stmt
    | "goto" name                           { $$ = ast_goto_new(A, $2, @$); }
    | "done" string                         { $$ = ast_text_stmt_new(A, ST_DONE, $2, @$); }
    | "fail" string                         { $$ = ast_text_stmt_new(A, ST_FAIL, $2, @$); }
    | call                                  { $$ = ast_call_stmt_new(A, ST_CALL, $1, @$); }
    | "send" name '.' name '(' call_arg ')' { $$ = ast_call_stmt_new(A, ST_SEND, ast_call_new(A, $2, $4, $6), @$); }
    | "notify" who_list string              { $$ = ast_notify_new(A, $2, $3, @$); }
    | ask_stmt
    | "wait" '{' wait_arms '}'              { $$ = ast_wait_new(A, $3, @3, @$); }
    | "tag" exprs                           { $$ = ast_tag_new(A, $2, @$); }
    | "note" string                         { $$ = ast_text_stmt_new(A, ST_NOTE, $2, @$); }
    | error                                 { $$ = NULL; PARSE_RECOVERED(); }
    ;

/* An `else if` chain is left-recursive, so the parser's stack stays flat however long
   the chain is (a right-recursive one ran out of stack at about 2,500 branches). */
if_stmt
    : if_chain                              { $$ = ast_if_chain_end($1.first, @$.end); }
    | if_chain "else" block                 { $1.last->as.if_.else_block = $3;
                                              $$ = ast_if_chain_end($1.first, @$.end); }
    ;

if_chain
    : "if" expr block                       { $$.first = $$.last = ast_if_new(A, $2, $3, NULL, @$); }
    | if_chain "else" "if" expr block       { $$.first = $1.first;
                                              $$.last = ast_if_new(A, $4, $5, NULL, (Span){@3.start, @5.end});
                                              ast_if_chain(A, $1.last, $$.last); }
    ;

call
    : call_head
    | call_head "else" "goto" name          { $$ = ast_call_else_goto($1, $4, @2); }
    | call_head "else" block                { $$ = ast_call_else_block($1, $3, @2); }
    ;

call_head
    : "call" name '.' name '(' call_arg ')' { $$ = ast_call_new(A, $2, $4, $6); }
    ;

call_arg
    : %empty                                { $$ = NULL; }
    | expr
    ;

who_list
    : who                                   { $$ = ast_vec_of(A, $1); }
    | who_list ',' who                      { $$ = $1; ast_vec_push(A, &$$, $3); }
    ;

who
    : "person" '(' expr ')'                 { $$ = ast_who_new(A, WHO_PERSON, $3, NULL, NULL, @$); }
    | "team" '(' expr ')'                   { $$ = ast_who_new(A, WHO_TEAM, $3, NULL, NULL, @$); }
    | "oncall" '(' expr ')'                 { $$ = ast_who_new(A, WHO_ONCALL, $3, NULL, NULL, @$); }
    | "role" '(' expr ',' expr ')'          { $$ = ast_who_new(A, WHO_ROLE, $3, $5, NULL, @$); }
    | "owner" '(' expr ',' expr ')'         { $$ = ast_who_new(A, WHO_OWNER, $3, $5, NULL, @$); }
    | "manager" '(' who ')'                 { $$ = ast_who_new(A, WHO_MANAGER, NULL, NULL, $3, @$); }
    | "lead" '(' expr ')'                   { $$ = ast_who_new(A, WHO_LEAD, $3, NULL, NULL, @$); }
    ;

/* ask [any of | all of | N of] WHO, ... "question" choices ... within D
       [escalate to WHO after D]... [remind every D] [show EXPR] [as NAME] { ARMS } */
ask_stmt
    : ask_as '{' ask_arms '}'               { $$ = ast_ask_stmt_new(A, $1, $3, @3, @$); }
    ;

ask_head
    : "ask" who_list string                 { $$ = ast_ask_new(A, QUORUM_DEFAULT, NULL, $2, $3); }
    | "ask" "any" "of" who_list string      { $$ = ast_ask_new(A, QUORUM_ANY, NULL, $4, $5); }
    | "ask" "all" "of" who_list string      { $$ = ast_ask_new(A, QUORUM_ALL, NULL, $4, $5); }
    | "ask" quorum_count "of" who_list string
                                            { $$ = ast_ask_new(A, QUORUM_N, $2, $4, $5); }
    ;

/* N: an integer literal, a const, or a used module's const (`severity.high_mentions`) */
quorum_count
    : INT                                   { $$ = ast_int_new(A, $1, @$); }
    | IDENT                                 { $$ = ast_name_expr_new(A, $1); }
    | IDENT '.' name                        { $$ = ast_field_new(A, ast_name_expr_new(A, $1), $3, @$); }
    ;

ask_choices
    : ask_head
    | ask_head "choices" choice_list        { $$ = ast_ask_set_choices($1, $3, @2); }
    ;

choice_list
    : choice                                { $$ = ast_vec_of(A, $1); }
    | choice_list ',' choice                { $$ = $1; ast_vec_push(A, &$$, $3); }
    ;

choice
    : IDENT opt_with_comment                { $$ = ast_choice_new(A, $1, NULL, $2, @$); }
    | IDENT string opt_with_comment         { $$ = ast_choice_new(A, $1, $2, $3, @$); }
    ;

opt_with_comment
    : %empty                                { $$ = false; }
    | "with" "comment"                      { $$ = true; }
    ;

ask_within
    : ask_choices
    | ask_choices "within" expr             { $$ = $1; $$->within = $3; }
    ;

ask_ladder
    : ask_within
    | ask_ladder "escalate" "to" escalation_who "after" expr
                                            { $$ = ast_ask_add_escalation(A, $1, $4, $6, @2, @6); }
    ;

escalation_who
    : who
    | "manager"                             { $$ = ast_who_new(A, WHO_MANAGER_OF_LEVEL, NULL, NULL, NULL, @$); }
    ;

ask_remind
    : ask_ladder
    | ask_ladder "remind" "every" expr      { $$ = $1; $$->remind = $4; }
    ;

ask_show
    : ask_remind
    | ask_remind "show" expr                { $$ = $1; $$->show = $3; }
    ;

ask_as
    : ask_show
    | ask_show "as" IDENT                   { $$ = $1; $$->as_name = $3; }
    ;

ask_arms
    : %empty                                { $$ = (AstVec){0}; }
    | ask_arms ask_arm                      { $$ = $1; ast_vec_push(A, &$$, $2); }
    | ask_arms error                        { $$ = $1; PARSE_RECOVERED(); }
    ;

ask_arm
    : IDENT "->" target                     { $$ = ast_choice_arm_new(A, $1, $3); }
    | "else" "->" target                    { $$ = ast_arm_new(A, ARM_ELSE, $3, @1); }
    | "timeout" "->" target                 { $$ = ast_arm_new(A, ARM_TIMEOUT, $3, @1); }
    | "no_quorum" "->" target               { $$ = ast_arm_new(A, ARM_NO_QUORUM, $3, @1); }
    ;

wait_arms
    : %empty                                { $$ = (AstVec){0}; }
    | wait_arms wait_arm                    { $$ = $1; ast_vec_push(A, &$$, $2); }
    | wait_arms error                       { $$ = $1; PARSE_RECOVERED(); }
    ;

wait_arm
    : name '.' name opt_when "->" target    { $$ = ast_event_arm_new(A, $1, $3, NULL, $4, $6, @1, @3); }
    | name '.' name "as" IDENT opt_when "->" target
                                            { $$ = ast_event_arm_new(A, $1, $3, &$5, $6, $8, @1, @3); }
    | "after" expr "->" target              { $$ = ast_after_arm_new(A, $2, $4, @1, @2); }
    | "after" "forever"                     { $$ = ast_arm_new(A, ARM_FOREVER, NULL, @$); }
    ;

target
    : name                                  { $$ = ast_target_goto(A, $1); }
    | "done" string                         { $$ = ast_target_text(A, TARGET_DONE, $2, @$); }
    | "fail" string                         { $$ = ast_target_text(A, TARGET_FAIL, $2, @$); }
    | block                                 { $$ = ast_target_block(A, $1); }
    ;

/* ---- expressions ---- */

expr
    : primary
    | "if" expr "then" expr "else" expr %prec IF_ELSE
                                            { $$ = D(ast_if_expr_new(A, $2, $4, $6, @$)); }
    | expr "??" expr                        { $$ = D(ast_binary_new(A, BIN_COALESCE, $1, $3, @$)); }
    | expr "or" expr                        { $$ = D(ast_binary_new(A, BIN_OR, $1, $3, @$)); }
    | expr "and" expr                       { $$ = D(ast_binary_new(A, BIN_AND, $1, $3, @$)); }
    | "not" expr                            { $$ = D(ast_unary_new(A, EX_NOT, $2, @$)); }
    | expr "==" expr                        { $$ = D(ast_binary_new(A, BIN_EQ, $1, $3, @$)); }
    | expr "!=" expr                        { $$ = D(ast_binary_new(A, BIN_NE, $1, $3, @$)); }
    | expr '<' expr                         { $$ = D(ast_binary_new(A, BIN_LT, $1, $3, @$)); }
    | expr "<=" expr                        { $$ = D(ast_binary_new(A, BIN_LE, $1, $3, @$)); }
    | expr '>' expr                         { $$ = D(ast_binary_new(A, BIN_GT, $1, $3, @$)); }
    | expr ">=" expr                        { $$ = D(ast_binary_new(A, BIN_GE, $1, $3, @$)); }
    | expr "in" expr                        { $$ = D(ast_binary_new(A, BIN_IN, $1, $3, @$)); }
    | expr '+' expr                         { $$ = D(ast_binary_new(A, BIN_ADD, $1, $3, @$)); }
    | expr '-' expr                         { $$ = D(ast_binary_new(A, BIN_SUB, $1, $3, @$)); }
    | expr '*' expr                         { $$ = D(ast_binary_new(A, BIN_MUL, $1, $3, @$)); }
    | expr '/' expr                         { $$ = D(ast_binary_new(A, BIN_DIV, $1, $3, @$)); }
    | expr '%' expr                         { $$ = D(ast_binary_new(A, BIN_MOD, $1, $3, @$)); }
    | '-' expr %prec UMINUS                 { $$ = D(ast_unary_new(A, EX_NEG, $2, @$)); }
    | expr '.' name                         { $$ = D(ast_field_new(A, $1, $3, @$)); }
    | expr '[' expr ']'                     { $$ = D(ast_index_new(A, $1, $3, @$)); }
    | expr '(' opt_exprs ')'                { $$ = D(ast_call_expr_new(A, $1, $3, @$)); }
    ;

primary
    : INT                                   { $$ = ast_int_new(A, $1, @$); }
    | FLOAT                                 { $$ = ast_float_new(A, $1, @$); }
    | DURATION                              { $$ = ast_duration_new(A, $1, @$); }
    | TIME                                  { $$ = ast_time_new(A, $1, @$); }
    | string
    | "null"                                { $$ = ast_expr_new(A, EX_NULL, @$); }
    | "true"                                { $$ = ast_bool_new(A, true, @$); }
    | "false"                               { $$ = ast_bool_new(A, false, @$); }
    | IDENT                                 { $$ = ast_name_expr_new(A, $1); }
    | "case"                                { $$ = ast_expr_new(A, EX_CASE, @$); }
    | '(' expr ')'                          { $$ = parse_paren_depth(ctx, $2, @$); }
    | list
    | map
    ;

string
    : QQSTRING_START string_parts QQSTRING_END
                                            { $$ = $2; $$->span = @$; }
    ;

string_parts
    : %empty                                { $$ = ast_expr_new(A, EX_STRING, @$); }
    | string_parts QQSTRING_TEXT            { $$ = ast_string_add_text(A, $1, $2.text, $2.len); }
    | string_parts QQINTERP_START expr QQINTERP_END
                                            { $$ = D(ast_string_add_expr(A, $1, $3)); }
    ;

list
    : '[' opt_exprs ']'                     { $$ = D(ast_list_new(A, $2, @$)); }
    | '[' exprs ',' ']'                     { $$ = D(ast_list_new(A, $2, @$)); }
    ;

opt_exprs
    : %empty                                { $$ = (AstVec){0}; }
    | exprs
    ;

exprs
    : expr                                  { $$ = ast_vec_of(A, $1); }
    | exprs ',' expr                        { $$ = $1; ast_vec_push(A, &$$, $3); }
    ;

map
    : '{' opt_map_entries '}'               { $$ = D(ast_map_new(A, $2, @$)); }
    | '{' map_entries ',' '}'               { $$ = D(ast_map_new(A, $2, @$)); }
    ;

opt_map_entries
    : %empty                                { $$ = (AstVec){0}; }
    | map_entries
    ;

map_entries
    : map_entry                             { $$ = ast_vec_of(A, $1); }
    | map_entries ',' map_entry             { $$ = $1; ast_vec_push(A, &$$, $3); }
    ;

map_entry
    : name ':' expr                         { $$ = ast_map_entry_new(A, $1, $3); }
    | string ':' expr                       { $$ = ast_map_entry_string(A, $1, $3); }
    ;

/* After '.', before ':' in a map, as a connector, event type, operation or state name,
   any word but `done` and `fail` is a name. */
name
    : IDENT
    | keyword_name                          { $$ = $1; }
    ;

keyword_name
    : "playbook"  { $$ = ast_name_at(A, ctx->src, @$); } | "calendar" { $$ = ast_name_at(A, ctx->src, @$); }
    | "on"        { $$ = ast_name_at(A, ctx->src, @$); } | "as"       { $$ = ast_name_at(A, ctx->src, @$); }
    | "when"      { $$ = ast_name_at(A, ctx->src, @$); } | "case"     { $$ = ast_name_at(A, ctx->src, @$); }
    | "for"       { $$ = ast_name_at(A, ctx->src, @$); } | "at"       { $$ = ast_name_at(A, ctx->src, @$); }
    | "least"     { $$ = ast_name_at(A, ctx->src, @$); } | "within"   { $$ = ast_name_at(A, ctx->src, @$); }
    | "const"     { $$ = ast_name_at(A, ctx->src, @$); } | "fn"       { $$ = ast_name_at(A, ctx->src, @$); }
    | "use"       { $$ = ast_name_at(A, ctx->src, @$); } | "var"      { $$ = ast_name_at(A, ctx->src, @$); }
    | "state"     { $$ = ast_name_at(A, ctx->src, @$); } | "let"      { $$ = ast_name_at(A, ctx->src, @$); }
    | "set"       { $$ = ast_name_at(A, ctx->src, @$); } | "if"       { $$ = ast_name_at(A, ctx->src, @$); }
    | "then"      { $$ = ast_name_at(A, ctx->src, @$); } | "else"     { $$ = ast_name_at(A, ctx->src, @$); }
    | "goto"      { $$ = ast_name_at(A, ctx->src, @$); } | "call"     { $$ = ast_name_at(A, ctx->src, @$); }
    | "send"      { $$ = ast_name_at(A, ctx->src, @$); } | "notify"   { $$ = ast_name_at(A, ctx->src, @$); }
    | "ask"       { $$ = ast_name_at(A, ctx->src, @$); } | "wait"     { $$ = ast_name_at(A, ctx->src, @$); }
    | "tag"       { $$ = ast_name_at(A, ctx->src, @$); } | "note"     { $$ = ast_name_at(A, ctx->src, @$); }
    | "any"       { $$ = ast_name_at(A, ctx->src, @$); } | "all"      { $$ = ast_name_at(A, ctx->src, @$); }
    | "of"        { $$ = ast_name_at(A, ctx->src, @$); } | "choices"  { $$ = ast_name_at(A, ctx->src, @$); }
    | "with"      { $$ = ast_name_at(A, ctx->src, @$); } | "comment"  { $$ = ast_name_at(A, ctx->src, @$); }
    | "escalate"  { $$ = ast_name_at(A, ctx->src, @$); } | "to"       { $$ = ast_name_at(A, ctx->src, @$); }
    | "manager"   { $$ = ast_name_at(A, ctx->src, @$); } | "after"    { $$ = ast_name_at(A, ctx->src, @$); }
    | "remind"    { $$ = ast_name_at(A, ctx->src, @$); } | "every"    { $$ = ast_name_at(A, ctx->src, @$); }
    | "show"      { $$ = ast_name_at(A, ctx->src, @$); } | "timeout"  { $$ = ast_name_at(A, ctx->src, @$); }
    | "no_quorum" { $$ = ast_name_at(A, ctx->src, @$); } | "forever"  { $$ = ast_name_at(A, ctx->src, @$); }
    | "business"  { $$ = ast_name_at(A, ctx->src, @$); } | "and"      { $$ = ast_name_at(A, ctx->src, @$); }
    | "or"        { $$ = ast_name_at(A, ctx->src, @$); } | "not"      { $$ = ast_name_at(A, ctx->src, @$); }
    | "in"        { $$ = ast_name_at(A, ctx->src, @$); } | "null"     { $$ = ast_name_at(A, ctx->src, @$); }
    | "true"      { $$ = ast_name_at(A, ctx->src, @$); } | "false"    { $$ = ast_name_at(A, ctx->src, @$); }
    | "person"    { $$ = ast_name_at(A, ctx->src, @$); } | "team"     { $$ = ast_name_at(A, ctx->src, @$); }
    | "oncall"    { $$ = ast_name_at(A, ctx->src, @$); } | "role"     { $$ = ast_name_at(A, ctx->src, @$); }
    | "owner"     { $$ = ast_name_at(A, ctx->src, @$); } | "lead"     { $$ = ast_name_at(A, ctx->src, @$); }
    ;

%%

static int yyreport_syntax_error(const yypcontext_t *yyctx, ParseCtx *ctx)
{
    enum { MAX_EXPECTED = 96 };
    yysymbol_kind_t expected[MAX_EXPECTED];
    int count = yypcontext_expected_tokens(yyctx, expected, MAX_EXPECTED);
    const char *names[MAX_EXPECTED];
    if (count < 0)
        count = 0;
    for (int i = 0; i < count; i++)
        names[i] = yysymbol_name(expected[i]);
    yysymbol_kind_t got = yypcontext_token(yyctx);
    parse_report_syntax_error(ctx, *yypcontext_location(yyctx), yysymbol_name(got),
                              names, count);
    return 0;
}
