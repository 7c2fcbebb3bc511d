/*
 * vm.h - the Huddle VM: runs a program's bytecode from one suspension point to the
 * next.
 *
 * The VM never touches the store or the clock: a frame and an input go in; a new
 * frame, the effects of the step (states entered, tags, notes, sends, notifications)
 * and either a suspension (an ask, a wait or a call, as a Value map describing what is
 * awaited) or an end (done, fail, or a runtime error naming file:line) come out. Time
 * comes only from the input, so a step replays exactly.
 *
 * Ownership: vm_start returns a Frame the caller owns (frame_free). A VmResult's
 * values and effects are owned by the result; vm_result_clear releases them.
 */
#ifndef HUDDLE_VM_H
#define HUDDLE_VM_H

#include <stdbool.h>
#include <stdint.h>

#include "bytecode.h"
#include "value.h"

/* The step limit is ../shared/design/LANGUAGE.md's; the others are this VM's. */
#define VM_STEP_LIMIT 1000000        /* instructions per step */
#define VM_STRING_LIMIT (1 << 20)    /* bytes in one string */
#define VM_LIST_LIMIT 100000         /* items in one list or map */
#define VM_STACK_LIMIT 4096          /* values on the stack for fn frames, beyond the
                                        program's own max_stack (Program) */
#define VM_CALL_LIMIT 64             /* nested fn calls: the checker's AST_MAX_FN_NESTING */
#define VM_DEPTH_LIMIT 1000          /* lists and maps nested in each other */

/* A loaded program: verified bytecode, its version hash, and its consts evaluated. */
typedef struct Program {
    Bytecode bc;
    char hash[65];
    Value *cdefs;                   /* one per bc.cdefs, evaluated at load */
    const bool *cdefs_ready;        /* while loading: which cdefs have a value (NULL after) */
    uint32_t max_stack;             /* the most values any state, fn or chunk keeps on the
                                       stack (bc_verify): the VM's stack is this plus
                                       VM_STACK_LIMIT, so every expression the checker
                                       accepts runs */
} Program;

/* Reads, verifies and prepares a .hbc image. On failure returns -1 with a reason, or
   BC_NO_MEMORY when an allocation failed. */
int program_load(const uint8_t *bytes, size_t len, Program **out, char *why, size_t why_len);
/* Takes over `bc` (already verified, e.g. fresh from the compiler). */
int program_from_bytecode(Bytecode *bc, Program **out, char *why, size_t why_len);
void program_free(Program *program);

/* Called once per lazy const that cannot be evaluated: its (qualified) name and why; or
   once with name NULL when the bytecode does not verify (why: bc_verify's reason). */
typedef void (*ProgramConstReport)(void *ctx, const char *name, const char *error);
/* Evaluates every lazy const of `bc` (borrowed; verified here) as program_from_bytecode
   would, keeping no values, and reports each one that fails, not only the first: what
   `huddle check` and `build` use to refuse a const the load would. Returns 0 when all
   evaluate, -1 when some were reported (bc not verifying is reported too), BC_NO_MEMORY. */
int program_check_consts(const Bytecode *bc, ProgramConstReport report, void *ctx);
/* The index of the state called `name`, or -1. */
int program_state_index(const Program *program, const char *name);
/* The name of state `state` (borrowed from the program), or NULL. */
const char *program_state_name(const Program *program, uint32_t state);

/* Where an instance is: enough to resume it in another process, days later. */
typedef struct Frame {
    uint32_t state;                 /* current state */
    uint32_t pc;                    /* the suspending instruction (ASK, WAIT, CALL) */
    uint64_t step;                  /* the engine's step count at suspension */
    uint32_t trigger;               /* the trigger that started the instance */
    Value data;                     /* that trigger's NAME */
    Value meta;                     /* {source, type, id, time} of the starting event */
    uint32_t var_count, local_count, stack_count;
    Value *vars, *locals, *stack;
} Frame;

/* A frame for `program`, everything null; NULL when out of memory. */
Frame *frame_new(const Program *program);
void frame_free(Frame *frame);
/* Serializes a frame to bytes (appended to out: out of memory makes it failed, see
   strbuf.h) and back. frame_decode returns NULL with a reason when the bytes are not a
   frame this program can use, or when out of memory: then the reason is "out of memory
   reading a frame" and value_oom_count has grown. */
void frame_encode(const Frame *frame, StrBuf *out);
/* frame_encode in format 1 (map keys in full, as written before 2026-12-04 late) or 2
   (what frame_encode writes): for the tests that need a frame as an older huddle kept it. */
void frame_encode_format(const Frame *frame, unsigned format, StrBuf *out);
Frame *frame_decode(const Program *program, const uint8_t *bytes, size_t len, char *why,
                    size_t why_len);

typedef enum VmInputKind {
    VM_INPUT_ANSWER,                /* an ask resolved: value is the result map */
    VM_INPUT_EVENT,                 /* an event offered to a wait: value is the event */
    VM_INPUT_TIMER,                 /* a wait's after arm is due */
    VM_INPUT_REPLY,                 /* a call's reply: value is the reply */
    VM_INPUT_FAILURE                /* a call failed: value is the message (a string) */
} VmInputKind;

/* Services the engine lends the VM: business time and time zones. Any may be NULL. */
typedef struct VmHooks {
    void *context;
    /* time + business duration in the playbook's calendar; -1 with a message on error */
    int (*add_business)(void *context, int64_t time_ms, Value business, int64_t *out_ms,
                        char *why, size_t why_len);
    /* UTC offset in seconds of zone `zone` (NULL: the playbook calendar's) at `time_ms`
       (seconds: an old local mean time has them) */
    int (*zone_offset)(void *context, const char *zone, int64_t time_ms, int32_t *seconds);
    /* the playbook calendar's zone name ("Europe/Helsinki"); NULL without a calendar */
    const char *(*zone_name)(void *context);
} VmHooks;

/* Memory a VM run borrows from its caller. A run needs a block of ~66 KiB (its stack:
   VM_STACK_LIMIT values and the program's max_stack); a caller that runs many (the
   engine: two runs per event) keeps one VmScratch for its life and names it in
   VmInput.scratch, and each run takes the block the last one gave back instead of a
   fresh malloc. It matters beyond the bytes: glibc consolidates all its small free
   chunks on every request of 1 KiB or more, so a large malloc per run made every small
   one after it slow (docs/performance-log.md, "Allocation"). A run that finds the block
   lent out (a run inside a run) or too small allocates its own; the larger block is
   kept. Under ASan the parked block is poisoned, so a stale pointer into an earlier
   run's stack still trips. vm_scratch_free releases it (the struct stays usable). */
typedef struct VmScratch {
    void *block;                    /* a free block of `bytes`, or NULL */
    size_t bytes;
} VmScratch;

void vm_scratch_free(VmScratch *scratch);

/* The keys of the maps the VM builds (an ask's description, an effect) and the engine
   builds for it (an event, its meta, a vote, an answer, a case): made once for the
   process and shared by every map (value.h, "shared key"), so such a map costs no
   malloc, free or lookup per key. vm_map_add adds `key`, which `map` does not have yet
   (each of those maps names a key once), taking over `value`; a key that could not be
   made (out of memory) is copied instead. */
#define VM_KEYS(X) \
    X(after) \
    X(arg) \
    X(arms) \
    X(ask) \
    X(at) \
    X(by) \
    X(choice) \
    X(choices) \
    X(comment) \
    X(connector) \
    X(data) \
    X(deciders) \
    X(events) \
    X(id) \
    X(key) \
    X(kind) \
    X(label) \
    X(ladder) \
    X(message) \
    X(name) \
    X(needed) \
    X(no_quorum_arm) \
    X(of) \
    X(operation) \
    X(question) \
    X(quorum) \
    X(remind) \
    X(scope) \
    X(seat) \
    X(seats) \
    X(show) \
    X(source) \
    X(started) \
    X(state) \
    X(time) \
    X(type) \
    X(votes) \
    X(wait) \
    X(who) \
    X(with_comment) \
    X(within)
typedef enum VmKey {
#define VM_KEY_ENUM(name) VM_KEY_##name,
    VM_KEYS(VM_KEY_ENUM)
#undef VM_KEY_ENUM
    VM_KEY_COUNT
} VmKey;
void vm_map_add(Value map, VmKey key, Value value);

typedef struct VmInput {
    VmInputKind kind;
    Value value;                    /* borrowed */
    int64_t now_ms;                 /* engine time: the only clock the VM sees */
    Value case_info;                /* {key, events, started}, or null; borrowed */
    const VmHooks *hooks;           /* may be NULL */
    VmScratch *scratch;             /* the caller's spare VM memory, or NULL (VmScratch above) */
} VmInput;

typedef enum VmStatus {
    VM_SUSPENDED,                   /* waiting: see VmResult.suspension */
    VM_DONE,                        /* ended with an outcome */
    VM_FAILED,                      /* ended with `fail` */
    VM_ERROR,                       /* a runtime error: the instance stalls; or, with
                                       VmResult.no_memory, out of memory: the step is
                                       void and the caller gives up (no stall) */
    VM_NOT_TAKEN                    /* an offered event matched no wait arm */
} VmStatus;

typedef enum EffectKind {
    EFFECT_ENTERED,                 /* value: the state's name */
    EFFECT_TAGGED,                  /* value: list of tag texts */
    EFFECT_NOTED,                   /* value: the note */
    EFFECT_SENT,                    /* value: {connector, operation, arg} */
    EFFECT_NOTIFY,                  /* value: {who: [...], message} */
    EFFECT_WHEN_ERROR               /* value: the message of a `when` that failed */
} EffectKind;

typedef struct Effect {
    EffectKind kind;
    Value value;
} Effect;

typedef struct VmResult {
    VmStatus status;
    Value suspension;               /* VM_SUSPENDED: {kind: ask|wait|call, ...} */
    Value outcome;                  /* VM_DONE / VM_FAILED: the text */
    char error[512];                /* VM_ERROR: "file:line: message" */
    bool no_memory;                 /* VM_ERROR because an allocation failed: the
                                       playbook is not at fault, and the result holds
                                       no effects, suspension or outcome */
    Effect *effects;
    uint32_t effect_count, effect_cap;
    uint64_t instructions;          /* executed in this step */
} VmResult;

void vm_result_init(VmResult *result);
void vm_result_clear(VmResult *result);

/* Starts an instance of `program` from trigger `trigger` with its event `data` and
   `meta`: sets the vars, enters the first state and runs to the first suspension.
   *frame receives the new frame (also on VM_ERROR, for the record). */
VmStatus vm_start(const Program *program, uint32_t trigger, Value data, Value meta,
                  const VmInput *context, Frame **frame, VmResult *result);

/* vm_start, entering `state` instead of the first (an operator's `huddle retry --goto`
   for an instance whose first step failed). */
VmStatus vm_start_in(const Program *program, uint32_t trigger, Value data, Value meta,
                     uint32_t state, const VmInput *context, Frame **frame, VmResult *result);

/* What a frame is suspended at, read from the instruction it stopped on, so that a
   caller never decodes bytecode itself. */
typedef enum VmSuspension {
    VM_AT_NONE,                     /* no suspension (an ended frame, or a pc past the code) */
    VM_AT_ASK,                      /* an ask: resumed by VM_INPUT_ANSWER */
    VM_AT_WAIT,                     /* a wait: VM_INPUT_EVENT, or VM_INPUT_TIMER for its after arm */
    VM_AT_CALL                      /* a call: VM_INPUT_REPLY or VM_INPUT_FAILURE */
} VmSuspension;

VmSuspension vm_suspension(const Program *program, const Frame *frame);
/* Whether the wait `frame` stands at has an arm whose `when` may read what changes while
   it waits (case.events, now()): then an event it refused may be taken when it is
   offered again. False when the frame is not at a wait. */
bool vm_wait_reads_changing(const Program *program, const Frame *frame);

/* Resumes `frame` with `input`, updating the frame in place. */
VmStatus vm_resume(const Program *program, Frame *frame, const VmInput *input,
                   VmResult *result);

/* Moves a frame to `state` (an operator's `huddle retry --goto`): forgets the locals,
   enters the state and runs to the next suspension. */
VmStatus vm_goto(const Program *program, Frame *frame, uint32_t state, const VmInput *context,
                 VmResult *result);

/* Appends the text of `v` as interpolation writes it: a time in the offset `hooks` give
   for the program's calendar at that instant (UTC without hooks), the rest as
   value_write_text writes it. */
void vm_write_text(Value v, const VmHooks *hooks, StrBuf *out);

/* The two forms a value is written in: as interpolation writes it (vm_write_text: a
   string as it is, a list or map as compact JSON) and as JSON (value_write_json). */
typedef enum VmTextForm { VM_FORM_TEXT, VM_FORM_JSON } VmTextForm;

/* How many bytes `v` takes written in `form` (a string's escapes included, in a list or
   map or as JSON), counted without building the text, so a value too long for a limit
   is refused before it is built (docs/runtime.md, "Limits"). Once the count is past
   `limit` it stops and returns it (some number over `limit`), so counting a list of
   100,000 references to one long string costs little. `hooks` give a time's offset
   in VM_FORM_TEXT, as for vm_write_text. */
size_t vm_text_size(Value v, VmTextForm form, const VmHooks *hooks, size_t limit);

/* Evaluates a trigger's chunk (when, case, for, window) for an event: returns 0 with
   the value in *out, or -1 with a message, or BC_NO_MEMORY ("out of memory") when an
   allocation failed. */
int vm_eval_trigger(const Program *program, uint32_t trigger, uint32_t chunk_pc, Value data,
                    Value meta, const VmInput *context, Value *out, char *why, size_t why_len);

/* Evaluates trigger `trigger`'s `when` (its when_pc is not BC_NONE) for an event: 0 with
   *matched, or -1 with a message (FILE:LINE: ...) when it failed or gave no boolean (null
   is not false), or BC_NO_MEMORY. *matched is false unless it returned 0. */
int vm_eval_trigger_when(const Program *program, uint32_t trigger, Value data, Value meta,
                         const VmInput *context, bool *matched, char *why, size_t why_len);

/* Evaluates lazy const `index` while the program loads (program->cdefs_ready set):
   returns 0 with the value in *out, or -1 with a message; *wanted is then the lazy
   const it needed that has no value yet (evaluate that first and try again), or
   BC_NONE for a real error. BC_NO_MEMORY when an allocation failed. `checking` (huddle
   check, build and deploy) also refuses what a const can't know without the directory:
   a time written in the calendar's offset, a time zone (the load of a program stored
   before this rule keeps writing such a time in UTC). */
int vm_eval_cdef(const Program *program, uint32_t index, bool checking, Value *out,
                 uint32_t *wanted, char *why, size_t why_len);

#endif
