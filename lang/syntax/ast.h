/*
 * ast.h - the syntax tree of a playbook, as the parser builds it.
 *
 * Nodes live in the compilation's arena and carry the Span of source they came from.
 * Sequences are AstVec arrays. The parser only builds; names are resolved and types
 * inferred by the checker, which fills the `resolved` fields noted below.
 */
#ifndef HUDDLE_AST_H
#define HUDDLE_AST_H

#include <stdbool.h>
#include <stdint.h>

#include "arena.h"
#include "source.h"

typedef struct AstVec {
    void **items;
    unsigned count, cap;
} AstVec;

void ast_vec_push(Arena *arena, AstVec *vec, void *item);

/* A name as written: identifier or a keyword used as a name. */
typedef struct AstName {
    const char *text;       /* NUL-terminated, in the arena */
    Span span;
} AstName;

/* ---- durations and times, as the lexer reads them ---- */

typedef enum DurationUnit {
    UNIT_SECONDS, UNIT_MINUTES, UNIT_HOURS, UNIT_DAYS, UNIT_WEEKS
} DurationUnit;

typedef struct DurationLit {
    bool business;          /* `N business minutes|hours|days` */
    int64_t count;          /* N as written */
    DurationUnit unit;
    int64_t seconds;        /* elapsed seconds (plain durations only) */
} DurationLit;

typedef struct TimeLit {
    int64_t epoch_seconds;  /* the instant, UTC */
    int32_t offset_seconds; /* the offset as written (0 for Z; +HH:MM:SS may have seconds) */
} TimeLit;

/* ---- expressions ---- */

typedef enum AstExprKind {
    EX_NULL, EX_BOOL, EX_INT, EX_FLOAT, EX_STRING, EX_DURATION, EX_TIME,
    EX_LIST, EX_MAP, EX_NAME, EX_CASE, EX_FIELD, EX_INDEX, EX_CALL,
    EX_NEG, EX_NOT, EX_BINARY, EX_IF
} AstExprKind;

typedef enum AstBinOp {
    BIN_ADD, BIN_SUB, BIN_MUL, BIN_DIV, BIN_MOD,
    BIN_EQ, BIN_NE, BIN_LT, BIN_LE, BIN_GT, BIN_GE, BIN_IN,
    BIN_AND, BIN_OR, BIN_COALESCE
} AstBinOp;

typedef struct AstExpr AstExpr;

/* How deep operators may nest in one expression (RUNTIME.md, "Limits and damage"). The
   builders count it (AstExpr.depth) and the parser refuses an expression past it, so
   every recursive walk over a checked tree (checker, compiler, graph, folding) recurses
   at most this deep. */
#define AST_MAX_DEPTH 1000
/* How deep pairs of parentheses may nest in one expression, counted apart from the
   operators (docs/language.md, Limits): a pair builds no node, so it adds nothing to the
   recursion above, but each open pair holds the parser's stack. Together the two bound
   that stack: a level holds at most 5 entries of it (`if c then x else`, `{a: 1, b:`),
   a pair 1, so 1,000 of each (`1 + (1 + (...))`) fit bison's YYMAXDEPTH (parser.y). */
#define AST_MAX_PARENS 1000

/* How many arguments one call may pass, and so how many parameters a fn may have: the
   CALL_FN and CALL_BUILTIN operands keep the count in 8 bits (bytecode.h). The checker
   refuses more (check_expr.c, check.c); keep in sync with bytecode_verify.c. */
#define AST_MAX_ARGS 255

/* How deep fn calls may nest, a fn counting itself: the VM's VM_CALL_LIMIT (vm.h). fns
   cannot recurse, so the checker knows every chain and refuses a longer one (check.c). */
#define AST_MAX_FN_NESTING 64

/* One piece of a string literal: literal text, or an interpolated expression. */
typedef struct AstStrPart {
    const char *text;       /* decoded UTF-8 (escapes applied); NULL for an expression */
    uint32_t len;
    AstExpr *expr;
} AstStrPart;

typedef struct AstMapEntry {
    AstName key;            /* a name or a plain string literal, as text; text NULL when
                               the key is a string with interpolation (an error) */
    AstExpr *key_expr;      /* the string literal when the key was written as one */
    AstExpr *value;
} AstMapEntry;

struct AstExpr {
    AstExprKind kind;
    Span span;
    uint32_t depth;         /* operators nested here, itself included: 0 for a leaf; an
                               interpolation, a list or a map counts as one */
    uint32_t parens;        /* pairs of parentheses nested here, those around it included */
    union {
        bool boolean;
        struct { uint64_t value; } integer;   /* up to 2^63; folded under unary minus */
        double number;
        AstVec parts;                         /* EX_STRING: AstStrPart* */
        DurationLit duration;
        TimeLit time;
        AstVec items;                         /* EX_LIST: AstExpr* */
        AstVec entries;                       /* EX_MAP: AstMapEntry* */
        AstName name;                         /* EX_NAME */
        struct { AstExpr *object; AstName field; } field;
        struct { AstExpr *object, *index; } index;
        struct { AstExpr *callee; AstVec args; } call;
        AstExpr *operand;                     /* EX_NEG, EX_NOT */
        struct { AstBinOp op; AstExpr *left, *right; } binary;
        struct { AstExpr *cond, *then_expr, *else_expr; } cond;
    } as;
    /* filled by the checker */
    int type;               /* a CheckType, see check.h */
};

/* ---- who-expressions ---- */

typedef enum AstWhoKind {
    WHO_PERSON, WHO_TEAM, WHO_ONCALL, WHO_ROLE, WHO_OWNER, WHO_MANAGER, WHO_LEAD,
    WHO_MANAGER_OF_LEVEL    /* bare `manager` in `escalate to manager` */
} AstWhoKind;

typedef struct AstWho AstWho;
struct AstWho {
    AstWhoKind kind;
    Span span;
    AstExpr *arg, *arg2;    /* role(name, scope), owner(kind, key) use both */
    AstWho *inner;          /* manager(WHO) */
};

/* ---- statements ---- */

typedef struct AstBlock {
    AstVec stmts;           /* AstStmt* */
    Span span;
} AstBlock;

typedef enum AstTargetKind { TARGET_GOTO, TARGET_DONE, TARGET_FAIL, TARGET_BLOCK } AstTargetKind;

typedef struct AstTarget {
    AstTargetKind kind;
    Span span;
    AstName state;          /* TARGET_GOTO */
    AstExpr *text;          /* TARGET_DONE / TARGET_FAIL: a string literal */
    AstBlock *block;        /* TARGET_BLOCK */
} AstTarget;

typedef enum AstQuorumKind { QUORUM_DEFAULT, QUORUM_ANY, QUORUM_ALL, QUORUM_N } AstQuorumKind;

typedef struct AstChoice {
    AstName id;
    AstExpr *label;         /* NULL when absent */
    bool with_comment;
    Span span;
} AstChoice;

typedef struct AstEscalation {
    AstWho *who;            /* kind WHO_MANAGER_OF_LEVEL for bare `manager` */
    AstExpr *after;
    Span span;
} AstEscalation;

typedef enum AstArmKind {
    ARM_CHOICE, ARM_ELSE, ARM_TIMEOUT, ARM_NO_QUORUM,   /* ask */
    ARM_EVENT, ARM_AFTER, ARM_FOREVER                   /* wait */
} AstArmKind;

typedef struct AstArm {
    AstArmKind kind;
    Span span;              /* the arm's head: choice id, `timeout`, `SOURCE.TYPE`, `after D` */
    AstName choice;         /* ARM_CHOICE */
    AstName source, type;   /* ARM_EVENT */
    AstName as_name;        /* ARM_EVENT, optional: text NULL when absent */
    AstExpr *when;          /* ARM_EVENT, optional */
    AstExpr *after;         /* ARM_AFTER */
    AstTarget *target;      /* NULL for ARM_FOREVER */
} AstArm;

typedef struct AstAsk {
    AstQuorumKind quorum;
    AstExpr *quorum_n;      /* QUORUM_N: integer literal or const name */
    int64_t quorum_value;   /* QUORUM_N: N as the checker folded it (it fills this) */
    AstVec seats;           /* AstWho* */
    AstExpr *question;
    AstVec choices;         /* AstChoice* */
    bool has_choices;
    Span choices_span;
    AstExpr *within;        /* NULL when missing (the checker says so) */
    AstVec escalations;     /* AstEscalation* */
    AstExpr *remind;
    AstExpr *show;
    AstName as_name;        /* text NULL when absent: the result is `answer` */
    AstVec arms;            /* AstArm* */
    Span arms_span;
} AstAsk;

typedef enum AstElseKind { ELSE_NONE, ELSE_GOTO, ELSE_BLOCK } AstElseKind;

typedef struct AstCall {
    AstName connector, operation;
    AstExpr *arg;           /* NULL for `C.OP()` */
    AstElseKind else_kind;
    AstName else_state;
    AstBlock *else_block;
    Span else_span;
} AstCall;

typedef enum AstStmtKind {
    ST_LET, ST_SET, ST_IF, ST_GOTO, ST_DONE, ST_FAIL, ST_CALL, ST_SEND,
    ST_NOTIFY, ST_ASK, ST_WAIT, ST_TAG, ST_NOTE
} AstStmtKind;

typedef struct AstStmt AstStmt;
struct AstStmt {
    AstStmtKind kind;
    Span span;
    union {
        struct { AstName name; AstExpr *value; AstCall *call; } let;   /* value or call */
        struct { AstName name; AstExpr *value; } set;
        struct {
            AstExpr *cond;
            AstBlock *then_block;
            AstBlock *else_block;   /* NULL when there is no else */
            AstStmt *else_if;       /* `else if`: the next if of the chain, also the one
                                       statement of else_block. Walkers follow a chain
                                       with a loop (it may be 100,000 long), not recursion */
        } if_;
        AstName go;                             /* ST_GOTO */
        AstExpr *text;                          /* ST_DONE, ST_FAIL, ST_NOTE */
        AstCall *call;                          /* ST_CALL, ST_SEND */
        struct { AstVec whos; AstExpr *message; } notify;
        AstAsk *ask;
        struct { AstVec arms; Span arms_span; } wait;
        AstVec tags;                            /* ST_TAG: AstExpr* */
    } as;
};

/* ---- declarations ---- */

typedef struct AstTrigger {
    AstName source, type, name;
    AstExpr *when;          /* optional */
    AstExpr *case_key;      /* optional */
    AstExpr *case_for;      /* optional, needs case_key */
    AstExpr *at_least;      /* optional threshold count (literal or const) */
    int64_t at_least_value; /* that count as the checker folded it (it fills this) */
    AstExpr *window;        /* with at_least */
    Span span;
} AstTrigger;

typedef struct AstConst {
    AstName name;
    AstExpr *value;
    Span span;
} AstConst;

typedef struct AstFn {
    AstName name;
    AstVec params;          /* AstName* */
    AstExpr *body;
    Span span;
} AstFn;

typedef struct AstUse {
    AstName module;
    Span span;
} AstUse;

typedef struct AstState {
    AstName name;
    AstBlock *body;
    Span span;
} AstState;

typedef struct AstProgram {
    const Source *src;
    bool is_module;         /* a stdlib module: only const, fn and use */
    AstName name;           /* `playbook NAME`; text NULL when missing */
    AstExpr *title;         /* optional string */
    Span header_span;
    AstExpr *calendar;      /* `calendar "NAME"`, optional */
    Span calendar_span;
    AstVec triggers;        /* AstTrigger* */
    AstVec consts;          /* AstConst* */
    AstVec fns;             /* AstFn* */
    AstVec vars;            /* AstConst* (same shape) */
    AstVec uses;            /* AstUse* */
    AstVec states;          /* AstState*, in source order: the first is the start */
    unsigned playbook_decls;/* how many `playbook` lines were seen */
    bool header_late;       /* the first `playbook` line came after another declaration */
    unsigned calendar_dups; /* `calendar` lines after the first */
    Span playbook_dup_span; /* the second `playbook` line, when there is one */
    Span calendar_dup_span;
} AstProgram;

const char *ast_binop_text(AstBinOp op);

/* True when `expr` is a string literal without interpolation; sets the text. */
bool ast_string_is_plain(const AstExpr *expr, const char **text, uint32_t *len);

#endif
