/*
 * compile_internal.h - what compile.c, compile_expr.c and compile_stmt.c share.
 */
#ifndef HUDDLE_COMPILE_INTERNAL_H
#define HUDDLE_COMPILE_INTERNAL_H

#include "check_internal.h"
#include "compile.h"

/* A namespace: the playbook's own globals, or a module's. */
typedef struct CompScope {
    const char *prefix;             /* "" for the playbook, "severity." for a module */
    NameMap consts;                 /* name -> AstConst* */
    NameMap modules;                /* module name -> CompScope* */
    const Source *src;
    const AstProgram *program;      /* the module's syntax tree (NULL for the playbook) */
    bool bodies_done;               /* its fn bodies are emitted */
} CompScope;

typedef struct CompLocal {
    const char *name;
    uint32_t slot;
} CompLocal;

/* A const's fold, worked out once (Compiler.folded). */
typedef struct CompFolded {
    enum { FOLD_UNKNOWN, FOLD_PENDING, FOLD_DONE } state;
    bool ok;                /* FOLD_DONE: it folds, to `value` */
    Value value;            /* held by the compiler until compile_program ends */
} CompFolded;

typedef struct Compiler {
    Arena *arena;
    DiagList *diags;
    const AstProgram *program;
    Bytecode *bc;
    CompScope *scope;               /* the namespace being compiled */
    CompScope *root;
    NameMap states;                 /* name -> index + 1 */
    NameMap fns;                    /* qualified name -> index + 1 */
    NameMap vars;                   /* name -> index + 1 */
    NameMap tnames;                 /* trigger NAME -> index + 1 */
    NameMap cdefs;                  /* qualified const name -> cdef index + 1 */
    NameMap folded;                 /* qualified const name -> CompFolded* (comp_fold) */
    NameMap strings;                /* string constant -> pool index + 1 (no linear search) */
    CompLocal *locals;
    unsigned local_count, local_cap;
    uint32_t next_slot, max_slot;
    uint32_t last_line;
    bool in_chunk;                  /* trigger/var/const chunk: no locals, no statements */
    unsigned fold_depth;            /* comp_fold's nesting, through consts too */
    unsigned fold_gave_up;          /* how often comp_fold stopped at AST_MAX_DEPTH */
    bool failed;
    Value pending;                  /* a folded value between comp_fold and the pool: */
} Compiler;                         /* released by compile_program if memory runs out */

/* The most values one literal, tag or notify puts on the stack at once: the verifier's
   stack bound (bytecode_verify.c) counts on every level of an expression holding at most
   1,024 values, so a literal (512 items, or 512 key-value pairs) stays under it. */
#define COMP_MAX_ITEMS 512

/* compile.c */
uint32_t comp_emit(Compiler *c, Opcode op, uint32_t operand, Span span);
void comp_patch(Compiler *c, uint32_t at, uint32_t target);
uint32_t comp_here(Compiler *c);
uint32_t comp_const_string(Compiler *c, const char *text, size_t len);
void comp_fail(Compiler *c, Span span, const char *message);
uint32_t comp_lookup_index(const NameMap *map, const char *name);   /* BC_NONE if absent */
const char *comp_qualified(Compiler *c, CompScope *scope, const char *name);

/* compile_expr.c */
void comp_expr(Compiler *c, const AstExpr *expr);
void comp_who(Compiler *c, const AstWho *who);
bool comp_fold(Compiler *c, const AstExpr *expr, Value *out);
/* Folds const `k` of scope `where` (false when it does not fold), once: the result is
   remembered, and a chain of consts naming consts is followed without recursion. */
bool comp_fold_const(Compiler *c, CompScope *where, const AstConst *k, Value *out);

/* compile_stmt.c */
uint32_t comp_local_declare(Compiler *c, const char *name);
const CompLocal *comp_local_find(Compiler *c, const char *name);
void comp_state(Compiler *c, uint32_t index, const AstState *state);

#endif
