/*
 * ast_build.h - the constructors the grammar actions call, one per construct.
 *
 * Each takes the compilation's arena and the node's span and returns a node that lives
 * in the arena. They only build: no lookups, no checks (the checker does those).
 */
#ifndef HUDDLE_AST_BUILD_H
#define HUDDLE_AST_BUILD_H

#include "ast.h"

AstVec ast_vec_of(Arena *a, void *item);
AstName *ast_name_box(Arena *a, AstName name);
AstName ast_name_at(Arena *a, const Source *src, Span span);

/* declarations */
void ast_program_set_header(Arena *a, AstProgram *p, AstName name, AstExpr *title, Span span);
void ast_program_set_calendar(AstProgram *p, AstExpr *name, Span span);
AstConst *ast_const_new(Arena *a, AstName name, AstExpr *value, Span span);
AstFn *ast_fn_new(Arena *a, AstName name, AstVec params, AstExpr *body, Span span);
AstUse *ast_use_new(Arena *a, AstName module, Span span);
AstState *ast_state_new(Arena *a, AstName name, AstBlock *body, Span span);
AstTrigger *ast_trigger_new(Arena *a, AstName source, AstName type, AstName name,
                            AstExpr *when, Span span);
AstTrigger *ast_trigger_case(AstTrigger *t, AstExpr *key, AstExpr *for_duration, Span span);
AstTrigger *ast_trigger_threshold(AstTrigger *t, AstExpr *count, AstExpr *window, Span span);

/* statements */
AstBlock *ast_block_new(Arena *a, AstVec stmts, Span span);
AstBlock *ast_block_of(Arena *a, AstStmt *stmt);
AstStmt *ast_let_new(Arena *a, AstName name, AstExpr *value, AstCall *call, Span span);
AstStmt *ast_set_new(Arena *a, AstName name, AstExpr *value, Span span);
/* `if` chains: ast_if_chain hangs `next` on `prev` as its `else if`; ast_if_chain_end
   stretches the span of every if of the chain from `first` to `end` (the chain's end,
   as a right-recursive grammar would have given them) and returns `first`. */
void ast_if_chain(Arena *a, AstStmt *prev, AstStmt *next);
AstStmt *ast_if_chain_end(AstStmt *first, uint32_t end);
AstStmt *ast_if_new(Arena *a, AstExpr *cond, AstBlock *then_block, AstBlock *else_block,
                    Span span);
AstStmt *ast_goto_new(Arena *a, AstName state, Span span);
AstStmt *ast_text_stmt_new(Arena *a, AstStmtKind kind, AstExpr *text, Span span);
AstStmt *ast_call_stmt_new(Arena *a, AstStmtKind kind, AstCall *call, Span span);
AstStmt *ast_notify_new(Arena *a, AstVec whos, AstExpr *message, Span span);
AstStmt *ast_wait_new(Arena *a, AstVec arms, Span arms_span, Span span);
AstStmt *ast_tag_new(Arena *a, AstVec tags, Span span);
AstCall *ast_call_new(Arena *a, AstName connector, AstName operation, AstExpr *arg);
AstCall *ast_call_else_goto(AstCall *call, AstName state, Span span);
AstCall *ast_call_else_block(AstCall *call, AstBlock *block, Span span);

/* who, ask, wait */
AstWho *ast_who_new(Arena *a, AstWhoKind kind, AstExpr *arg, AstExpr *arg2, AstWho *inner,
                    Span span);
AstAsk *ast_ask_new(Arena *a, AstQuorumKind quorum, AstExpr *count, AstVec seats,
                    AstExpr *question);
AstAsk *ast_ask_set_choices(AstAsk *ask, AstVec choices, Span keyword);
AstChoice *ast_choice_new(Arena *a, AstName id, AstExpr *label, bool with_comment, Span span);
AstAsk *ast_ask_add_escalation(Arena *a, AstAsk *ask, AstWho *who, AstExpr *after,
                               Span first, Span last);
AstStmt *ast_ask_stmt_new(Arena *a, AstAsk *ask, AstVec arms, Span arms_span, Span span);
AstArm *ast_choice_arm_new(Arena *a, AstName choice, AstTarget *target);
AstArm *ast_arm_new(Arena *a, AstArmKind kind, AstTarget *target, Span head);
AstArm *ast_event_arm_new(Arena *a, AstName source, AstName type, const AstName *as_name,
                          AstExpr *when, AstTarget *target, Span first, Span last);
AstArm *ast_after_arm_new(Arena *a, AstExpr *after, AstTarget *target, Span first, Span last);
AstTarget *ast_target_goto(Arena *a, AstName state);
AstTarget *ast_target_text(Arena *a, AstTargetKind kind, AstExpr *text, Span span);
AstTarget *ast_target_block(Arena *a, AstBlock *block);

/* expressions */
AstExpr *ast_expr_new(Arena *a, AstExprKind kind, Span span);
AstExpr *ast_bool_new(Arena *a, bool value, Span span);
AstExpr *ast_int_new(Arena *a, uint64_t value, Span span);
AstExpr *ast_float_new(Arena *a, double value, Span span);
AstExpr *ast_duration_new(Arena *a, DurationLit value, Span span);
AstExpr *ast_time_new(Arena *a, TimeLit value, Span span);
AstExpr *ast_name_expr_new(Arena *a, AstName name);
AstExpr *ast_string_add_text(Arena *a, AstExpr *string, const char *text, uint32_t len);
AstExpr *ast_string_add_expr(Arena *a, AstExpr *string, AstExpr *expr);
AstExpr *ast_list_new(Arena *a, AstVec items, Span span);
AstExpr *ast_map_new(Arena *a, AstVec entries, Span span);
AstMapEntry *ast_map_entry_new(Arena *a, AstName key, AstExpr *value);
AstMapEntry *ast_map_entry_string(Arena *a, AstExpr *key, AstExpr *value);
AstExpr *ast_if_expr_new(Arena *a, AstExpr *cond, AstExpr *then_expr, AstExpr *else_expr,
                         Span span);
AstExpr *ast_binary_new(Arena *a, AstBinOp op, AstExpr *left, AstExpr *right, Span span);
AstExpr *ast_unary_new(Arena *a, AstExprKind kind, AstExpr *operand, Span span);
AstExpr *ast_field_new(Arena *a, AstExpr *object, AstName field, Span span);
AstExpr *ast_index_new(Arena *a, AstExpr *object, AstExpr *index, Span span);
AstExpr *ast_call_expr_new(Arena *a, AstExpr *callee, AstVec args, Span span);

#endif
