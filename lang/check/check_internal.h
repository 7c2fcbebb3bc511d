/*
 * check_internal.h - what the checker's files share: the context, symbols and scopes.
 *
 * check.c runs the passes and checks declarations; check_expr.c types expressions;
 * check_stmt.c checks statements, asks and waits; check_flow.c reasons about the graph
 * of states (reachability, loops that never wait).
 */
#ifndef HUDDLE_CHECK_INTERNAL_H
#define HUDDLE_CHECK_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include "ast.h"
#include "builtins.h"
#include "check.h"
#include "diag.h"

/* ---- a string-keyed hash map in the arena ---- */

typedef struct NameMap {
    const char **keys;
    void **values;
    unsigned cap, count;
} NameMap;

void *name_map_get(const NameMap *map, const char *key);
void name_map_put(Arena *arena, NameMap *map, const char *key, void *value);

/* ---- symbols ---- */

typedef enum SymKind {
    SYM_CONST, SYM_FN, SYM_VAR, SYM_TRIGGER, SYM_MODULE, SYM_LOCAL, SYM_PARAM,
    SYM_ASK_RESULT, SYM_EVENT, SYM_ERROR, SYM_BUILTIN
} SymKind;

typedef struct CheckModule CheckModule;

typedef struct Symbol {
    const char *name;
    SymKind kind;
    Span span;              /* where it was declared */
    CheckType type;
    bool used;
    const void *decl;       /* AstConst*, AstFn*, AstTrigger*, CheckModule* ... */
    int fn_index;           /* SYM_FN: index into CheckCtx.fn_infos */
    int progress;           /* consts and vars: 0 unchecked, 1 being checked, 2 done */
    int builtin;            /* SYM_BUILTIN */
} Symbol;

/* What is allowed where: the checker is in one of these places. */
typedef enum CheckPlace {
    PLACE_STATE,            /* a state body: everything */
    PLACE_FN,               /* fn body: params, consts, fns, builtins (no now/meta/case) */
    PLACE_CONST,            /* const value: consts, fns, builtins */
    PLACE_VAR,              /* var value: plus triggers, now, meta */
    PLACE_TRIGGER           /* trigger clauses: its own name, now, meta */
} CheckPlace;

/* A loaded module: its program and its members. */
struct CheckModule {
    const char *name;
    const AstProgram *program;
    NameMap members;        /* name -> Symbol* (consts and fns) */
    bool checking;          /* for `use` cycles */
};

/* Per-fn facts for the recursion check. */
typedef struct FnInfo {
    const AstFn *fn;
    const Source *src;
    int *calls;             /* indexes of fns its body calls */
    unsigned call_count, call_cap;
    int mark;               /* recursion search: 0 unseen, 1 on the path, 2 done */
    bool recursive;         /* reported as calling itself */
} FnInfo;

/* Per-state facts for the flow pass. */
typedef struct StateEdge {
    int to;                 /* state index */
    bool waits;             /* an ask, wait or call lies before it on every path */
    Span span;
} StateEdge;

typedef struct StateInfo {
    const AstState *state;
    StateEdge *edges;
    unsigned edge_count, edge_cap;
    bool ends;              /* has a done or fail */
} StateInfo;

typedef struct CheckCtx {
    Arena *arena;
    DiagList *diags;
    const CheckOptions *options;
    const AstProgram *program;      /* the playbook or module being checked */
    const Source *src;

    NameMap globals;                /* name -> Symbol* */
    NameMap states;                 /* name -> StateInfo* */
    StateInfo *state_infos;
    unsigned state_count;
    NameMap *modules;               /* shared across modules: name -> CheckModule* */

    FnInfo *fn_infos;
    unsigned fn_count, fn_cap;
    int current_fn;                 /* index while checking a fn body, else -1 */

    Symbol **locals;                /* the scope stack, innermost last */
    unsigned local_count, local_cap;

    CheckPlace place;
    const AstTrigger *current_trigger;
    int current_state;              /* index while checking a state, else -1 */
    bool has_case_trigger;
    bool reported_no_calendar;
    bool in_negation;               /* checking the operand of unary minus */
    const AstExpr *coalesce_left;   /* the left operand of the `??` being checked */
    unsigned fold_depth;            /* guards const folding through consts */
    bool fold_gave_up;              /* a fold went deeper than AST_MAX_DEPTH */
    unsigned const_depth;           /* consts being checked, one inside the next */
} CheckCtx;

/* check.c */
Symbol *check_symbol_new(CheckCtx *c, const char *name, SymKind kind, Span span,
                         CheckType type, const void *decl);
Symbol *check_lookup(CheckCtx *c, const char *name);
/* check_event.c: `NAME.field...` of a trigger whose event type its connector lists:
   true with the field's type (errors and warnings added), false when not such a read. */
bool check_event_field(CheckCtx *c, AstExpr *expr, CheckType *type);
void check_suggest(CheckCtx *c, Diag *diag, const char *name, const char *const *candidates,
                   unsigned count);
void check_suggest_map(CheckCtx *c, Diag *diag, const char *name, const NameMap *map);
Diag *check_error(CheckCtx *c, Span span, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
Diag *check_warning(CheckCtx *c, Span span, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void check_connector_operation(CheckCtx *c, const AstName *connector,
                               const AstName *operation);
void check_const_value(CheckCtx *c, Symbol *sym);
bool check_name_is_reserved(const char *name);

/* check_expr.c */
CheckType check_expr(CheckCtx *c, AstExpr *expr);
void check_condition(CheckCtx *c, AstExpr *expr, const char *what);
void check_duration(CheckCtx *c, AstExpr *expr, const char *what, bool business_ok);
/* A duration that folds to a constant of zero or less is refused (what: "'within'";
   timer: it sets a timer, else it is a window that must hold events). */
void check_positive_duration(CheckCtx *c, const AstExpr *expr, const char *what, bool timer,
                             const char *example);
void check_string_expr(CheckCtx *c, AstExpr *expr, const char *what);
/* Folds an integer or plain/business duration constant; false when not constant. */
bool check_fold_int(CheckCtx *c, const AstExpr *expr, int64_t *value);
/* A constant duration folded as the VM computes it: a business one as written, a plain
   one in milliseconds, for the VM divides them (`61s / 2` is 30s500ms there). */
typedef struct CheckDuration {
    DurationLit lit;    /* business: as written; plain: its whole seconds, toward zero */
    int64_t ms;         /* plain: the elapsed milliseconds */
} CheckDuration;
bool check_fold_duration_exact(CheckCtx *c, const AstExpr *expr, CheckDuration *value);
/* The same, for a plain duration of whole seconds only (else false). */
bool check_fold_duration(CheckCtx *c, const AstExpr *expr, DurationLit *value);
/* Folds a string without interpolation, or a const holding one; false when not constant. */
bool check_fold_string(CheckCtx *c, const AstExpr *expr, const char **text, uint32_t *len);
/* Folds a count (a quorum, `at least`); when it does not fold, reports `needs` (what the
   position takes), or that it nests too deeply to work out, and returns false. */
bool check_fold_count(CheckCtx *c, const AstExpr *expr, int64_t *value, const char *needs);
int check_builtin_find(const char *name);

/* scopes (check_stmt.c) */
unsigned check_scope_enter(CheckCtx *c);
void check_scope_leave(CheckCtx *c, unsigned mark);
Symbol *check_declare_local(CheckCtx *c, const AstName *name, SymKind kind, CheckType type);

/* check_stmt.c */
void check_state_body(CheckCtx *c, int state_index);

/* check_flow.c */
void check_state_add_edge(CheckCtx *c, int from, const AstName *target, bool waits);
/* Refuses loops that never wait; with `warn`, also warns of states never reached or
   that can never end (skipped after errors, whose broken gotos would mislead). */
void check_flow(CheckCtx *c, bool warn);

#endif
