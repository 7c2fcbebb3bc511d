/*
 * bytecode.h - the compiled form of a playbook (.hbc) and its on-disk format.
 *
 * A Bytecode is what the compiler produces and the VM runs: a constant pool, one code
 * array of 32-bit instructions (8-bit opcode, 24-bit operand), and tables that say
 * where each state, fn, trigger clause, var, ask, wait and call site is. Trigger
 * clauses, var initialisers and lazy consts are "chunks": code that ends in RETURN.
 *
 * On disk: "HBC\0", the format version, then sections (tag, length, payload), all
 * little-endian, written in a fixed order so the same source gives the same bytes.
 * A program's identity is the SHA-256 of those bytes (runtime/vm/program_hash.c, the
 * one user of OpenSSL).
 *
 * Files that depend on this format: bytecode.c (write/read), bytecode_verify.c,
 * lang/compile/compile*.c, disasm.c, and runtime/vm/ (program.c, frame.c, vm*.c). Bump
 * BC_FORMAT_VERSION with any change.
 */
#ifndef HUDDLE_BYTECODE_H
#define HUDDLE_BYTECODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "strbuf.h"
#include "value.h"

#define BC_MAGIC "HBC"
#define BC_FORMAT_VERSION 1
#define BC_NONE 0xFFFFFFFFu          /* "absent" in any index or pc field */
#define BC_MAX_OPERAND 0xFFFFFFu
#define BC_MAX_LOCALS 65536          /* local slots one state may use (bc_verify, the compiler) */

typedef enum Opcode {
#define OP(name, operand, pops, pushes, doc) OP_##name,
#include "opcodes.def"
#undef OP
    OP_COUNT_
} Opcode;

typedef enum OperandKind {
    OPND_NONE, OPND_SINT, OPND_CONST, OPND_LOCAL, OPND_VAR, OPND_TNAME, OPND_CDEF,
    OPND_JUMP, OPND_COUNT, OPND_BUILTIN, OPND_FN, OPND_WHO, OPND_STATE, OPND_SITE,
    OPND_ASK, OPND_WAIT, OPND_WARM
} OperandKind;

static inline uint32_t bc_encode(Opcode op, uint32_t operand)
{
    return (uint32_t)op | (operand << 8);
}
static inline Opcode bc_op(uint32_t insn) { return (Opcode)(insn & 0xFF); }
static inline uint32_t bc_operand(uint32_t insn) { return insn >> 8; }
static inline int32_t bc_signed_operand(uint32_t insn) { return (int32_t)insn >> 8; }

const char *bc_op_name(Opcode op);
OperandKind bc_op_operand(Opcode op);

/* Who-expression kinds, as MAKE_WHO encodes them (the order of AstWhoKind). */
typedef enum BcWhoKind {
    BC_WHO_PERSON, BC_WHO_TEAM, BC_WHO_ONCALL, BC_WHO_ROLE, BC_WHO_OWNER, BC_WHO_MANAGER,
    BC_WHO_LEAD, BC_WHO_LEVEL_MANAGER, BC_WHO_COUNT
} BcWhoKind;

typedef struct BcState { uint32_t name, entry, locals; } BcState;
typedef struct BcFn { uint32_t name, entry, params, locals; } BcFn;
typedef struct BcTrigger {
    uint32_t source, type, name_index;  /* consts; index into trigger_names */
    uint32_t when_pc, case_pc, for_pc, window_pc;   /* chunks, BC_NONE when absent */
    int64_t at_least;                   /* 0 when absent */
} BcTrigger;
typedef struct BcGlobal { uint32_t name, init_pc; } BcGlobal;   /* vars, lazy consts */

typedef enum BcElse { BC_ELSE_NONE, BC_ELSE_GOTO, BC_ELSE_BLOCK } BcElse;
typedef struct BcSite {
    uint32_t connector, operation;      /* consts */
    uint32_t is_send;                   /* 1: send (no reply), 0: call */
    uint32_t else_kind;                 /* BcElse */
    uint32_t else_target;               /* state for GOTO, pc for BLOCK */
    uint32_t error_slot;                /* local holding `error` in an else block */
} BcSite;

typedef enum BcQuorum { BC_QUORUM_ANY, BC_QUORUM_ALL, BC_QUORUM_N } BcQuorum;
typedef enum BcArmKind { BC_ARM_CHOICE, BC_ARM_ELSE, BC_ARM_TIMEOUT, BC_ARM_NO_QUORUM } BcArmKind;
typedef struct BcChoice { uint32_t id, with_comment, has_label; } BcChoice;
typedef struct BcArm { uint32_t kind, choice, pc; } BcArm;     /* choice: index in the ask */
typedef struct BcAsk {
    uint32_t quorum, quorum_n;          /* BcQuorum; N for BC_QUORUM_N */
    uint32_t seat_count;
    uint32_t choice_first, choice_count;
    uint32_t escalation_count;
    uint32_t has_remind, has_show;
    uint32_t result_slot;               /* local receiving the result */
    uint32_t arm_first, arm_count;
} BcAsk;

typedef struct BcWaitArm { uint32_t source, type, slot, next_pc; } BcWaitArm;
typedef struct BcWait {
    uint32_t arm_first, arm_count;      /* event arms */
    uint32_t dispatch_pc;               /* where an offered event is matched */
    uint32_t after_pc;                  /* the after arm's target, BC_NONE when forever */
} BcWait;

typedef struct BcLine { uint32_t pc, line; } BcLine;

/* Growable arrays, malloc'd; bc_free releases them all. */
#define BC_ARRAY(type, name) type *name; uint32_t name##_count, name##_cap

typedef struct Bytecode {
    uint32_t name, title, calendar;     /* consts (title, calendar may be BC_NONE) */
    char *source_name;                  /* the file's name, without its folders */
    char *source;                       /* the playbook's text, for listings */
    uint32_t source_len;
    uint32_t max_locals;                /* state-level local slots */
    BC_ARRAY(Value, consts);
    BC_ARRAY(uint32_t, code);
    BC_ARRAY(BcLine, lines);
    BC_ARRAY(BcState, states);
    BC_ARRAY(BcFn, fns);
    BC_ARRAY(BcTrigger, triggers);
    BC_ARRAY(uint32_t, trigger_names);  /* consts: the distinct trigger NAMEs */
    BC_ARRAY(BcGlobal, vars);
    BC_ARRAY(BcGlobal, cdefs);
    BC_ARRAY(BcSite, sites);
    BC_ARRAY(BcAsk, asks);
    BC_ARRAY(BcChoice, choices);
    BC_ARRAY(BcArm, arms);
    BC_ARRAY(BcWait, waits);
    BC_ARRAY(BcWaitArm, wait_arms);
    bool uses_case;                     /* some trigger has `case` */
} Bytecode;

void bc_init(Bytecode *bc);
void bc_free(Bytecode *bc);

/* Appends to a BC_ARRAY field; returns the new element's index. */
#define BC_PUSH(bc, field, value)                                                      \
    (bc_grow((void **)&(bc)->field, &(bc)->field##_cap, (bc)->field##_count + 1,        \
             sizeof *(bc)->field),                                                     \
     (bc)->field[(bc)->field##_count] = (value), (bc)->field##_count++)
void bc_grow(void **items, uint32_t *cap, uint32_t need, size_t elem);
/* bc_grow, returning false when out of memory (bc_grow raises the memtrap then, see
   memtrap.h: the compiler's, which runs under front_build's trap). */
bool bc_try_grow(void **items, uint32_t *cap, uint32_t need, size_t elem);

/* Adds a constant (strings and scalars; an equal one is reused). Takes over `value`. */
uint32_t bc_add_const(Bytecode *bc, Value value);
/* The 1-based source line of `pc`, or 0. */
uint32_t bc_line_of(const Bytecode *bc, uint32_t pc);

/* The clauses of an ask checked when it suspends. The compiler follows each with a NOP
   on the clause's line (compile_stmt.c), in this order: within, each level's after,
   remind, show. */
typedef enum BcClause { BC_CLAUSE_WITHIN, BC_CLAUSE_AFTER, BC_CLAUSE_REMIND, BC_CLAUSE_SHOW } BcClause;
/* The pc whose line names `clause` (BC_CLAUSE_AFTER: of level `level`, from 1) of the ask
   at `ask_pc` (an ASK instruction): its NOP, found by walking back from the ask. A
   program compiled before the NOPs has none, and `ask_pc` is returned, as it is for a
   pc that is no ASK. */
uint32_t bc_ask_clause_pc(const Bytecode *bc, uint32_t ask_pc, BcClause clause, uint32_t level);

/* Serializes to the .hbc format. */
void bc_write(const Bytecode *bc, StrBuf *out);

/* Reads a .hbc image into *bc (initialized by the call); program_from_bytecode (and
   huddle disasm) verify it before use. On failure returns -1, frees what was read, and
   writes a reason a person can act on into `why`; BC_NO_MEMORY when an allocation failed. */
#define BC_NO_MEMORY (-2)
int bc_read(const uint8_t *bytes, size_t len, Bytecode *bc, char *why, size_t why_len);

/* Checks every index, jump and the stack depth of every reachable instruction; called
   by bc_read, and by the compiler's tests. Returns -1 with a reason when invalid,
   BC_NO_MEMORY when out of memory. *max_stack (may be NULL) is the most values any
   state, fn or chunk keeps on the stack: the VM's stack is sized by it. */
int bc_verify(const Bytecode *bc, uint32_t *max_stack, char *why, size_t why_len);

#endif
