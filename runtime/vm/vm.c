/*
 * vm.c - the dispatch loop: runs bytecode from where a frame stopped to the next
 * suspension point, collecting effects (see vm.h).
 *
 * State-level locals live in the frame; a fn's locals live on the value stack above
 * its caller's. A runtime error stops the step with "file:line: message", except
 * inside a wait arm's `when`, where it counts as false and is recorded.
 *
 * Out of memory: a value constructor that fails returns null and counts the failure
 * (value.h); so do the VM's own allocations (effects, frames). The loop compares the
 * count with the one at the start after every instruction and stops the run; the
 * result is then VM_ERROR with no_memory set and nothing else in it, whatever the run
 * had done (vm_finish), and no `when` swallows it.
 */
#include "vm_internal.h"
#include "builtins.h"
#include "utf8.h"

#include "civil.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef __SANITIZE_ADDRESS__
#include <sanitizer/asan_interface.h>
#define VM_POISON(p, n) ASAN_POISON_MEMORY_REGION((p), (n))
#define VM_UNPOISON(p, n) ASAN_UNPOISON_MEMORY_REGION((p), (n))
#else
#define VM_POISON(p, n) ((void)(p), (void)(n))
#define VM_UNPOISON(p, n) ((void)(p), (void)(n))
#endif

/* ---- results and effects ---- */

void vm_result_init(VmResult *result)
{
    memset(result, 0, sizeof *result);
}

void vm_result_clear(VmResult *result)
{
    value_release(result->suspension);
    value_release(result->outcome);
    for (uint32_t i = 0; i < result->effect_count; i++)
        value_release(result->effects[i].value);
    free(result->effects);
    vm_result_init(result);
}

static void vm_effect(Vm *vm, EffectKind kind, Value value)
{
    VmResult *r = vm->result;
    if (!bc_try_grow((void **)&r->effects, &r->effect_cap, r->effect_count + 1, sizeof(Effect))) {
        value_release(value);
        value_oom_note();   /* the loop stops the run */
        return;
    }
    r->effects[r->effect_count++] = (Effect){kind, value};
}

static bool vm_out_of_memory(const Vm *vm)
{
    return value_oom_count() != vm->oom_mark;
}

/* The result of a run that ran out of memory: nothing of what it did is kept. */
static VmStatus vm_no_memory(VmResult *result)
{
    vm_result_clear(result);
    result->no_memory = true;
    snprintf(result->error, sizeof result->error, "out of memory");
    return result->status = VM_ERROR;
}

static const char *vm_name(const Vm *vm, uint32_t index)
{
    return value_text(vm->bc->consts[index]);
}

static const char *const VM_KEY_TEXT[VM_KEY_COUNT] = {
#define VM_KEY_TEXT_OF(name) #name,
    VM_KEYS(VM_KEY_TEXT_OF)
#undef VM_KEY_TEXT_OF
};
static HString *vm_keys[VM_KEY_COUNT];
static pthread_once_t vm_keys_once = PTHREAD_ONCE_INIT;

static void vm_keys_make(void)
{
    for (unsigned i = 0; i < VM_KEY_COUNT; i++)
        vm_keys[i] = value_key_shared_new(VM_KEY_TEXT[i]);
}

void vm_map_add(Value map, VmKey key, Value value)
{
    pthread_once(&vm_keys_once, vm_keys_make);
    if (vm_keys[key])
        value_map_add_shared(map, vm_keys[key], value);
    else
        value_map_set(map, VM_KEY_TEXT[key], strlen(VM_KEY_TEXT[key]), value);
}

static Value vm_const_string(const Vm *vm, uint32_t index)
{
    Value v = vm->bc->consts[index];
    value_retain(v);
    return v;
}

/* ---- errors ---- */

static uint32_t vm_line_at(const Vm *vm, uint32_t pc)
{
    uint32_t line = bc_line_of(vm->bc, pc);
    for (uint32_t d = vm->depth; line == 0 && d > 0; d--)
        line = bc_line_of(vm->bc, vm->calls[d - 1].return_pc - 1);
    return line;
}

/* Makes the message `text`, in a buffer of `size` bytes (at most VM_TEXT_MAX), UTF-8,
   as a record's text must be, else the record loses it: a byte that is no part of a
   character (a file name need not be UTF-8; a message cut to fit may end inside one, a
   zone name of 300 é's) becomes U+FFFD, and what no longer fits goes, whole characters
   at a time. */
#define VM_TEXT_MAX 1024
_Static_assert(sizeof ((VmResult *)0)->error <= VM_TEXT_MAX && VM_WHY + 64 <= VM_TEXT_MAX,
               "vm_text_utf8's buffer holds every message it is given");
static void vm_text_utf8(char *text, size_t size)
{
    char fixed[3 * VM_TEXT_MAX];
    const char *from = text;
    size_t left = strlen(text), at = 0;
    for (;;) {
        size_t ok = utf8_valid_prefix((const unsigned char *)from, left);
        memcpy(fixed + at, from, ok);
        at += ok;
        if (ok == left)
            break;
        memcpy(fixed + at, "\xEF\xBF\xBD", 3);
        at += 3;
        from += ok + 1;
        left -= ok + 1;
    }
    size_t keep = utf8_valid_prefix((const unsigned char *)fixed, at < size - 1 ? at : size - 1);
    memcpy(text, fixed, keep);
    text[keep] = '\0';
}

/* The error at `pc`, at its playbook line. One raised inside a stdlib module's fn, whose
   code has no lines of the playbook, is at the line of the call, and says in which fn
   ("p.play:6: text.bullets: len: argument 1 must be ..."), so the builtin it names is not
   taken for one the playbook called. */
static void vm_set_error(Vm *vm, uint32_t pc)
{
    const char *fn = NULL;
    if (bc_line_of(vm->bc, pc) == 0 && vm->depth > 0 && vm->calls[vm->depth - 1].fn < vm->bc->fns_count)
        fn = value_text(vm->bc->consts[vm->bc->fns[vm->calls[vm->depth - 1].fn].name]);
    snprintf(vm->result->error, sizeof vm->result->error, "%s:%u: %s%s%s",
             vm->bc->source_name ? vm->bc->source_name : "playbook", vm_line_at(vm, pc), fn ? fn : "",
             fn ? ": " : "", vm->why);
    vm_text_utf8(vm->result->error, sizeof vm->result->error);
}

static void vm_unwind(Vm *vm, uint32_t to_sp)
{
    while (vm->sp > to_sp)
        value_release(vm->stack[--vm->sp]);
    vm->depth = 0;
}

/* ---- suspension descriptions ---- */

static bool vm_is_duration(Value v)
{
    return v.type == VAL_DURATION || v.type == VAL_BUSINESS;
}

static bool vm_check_duration(Vm *vm, Value v, const char *what, bool optional)
{
    if (vm_is_duration(v) || (optional && v.type == VAL_NULL))
        return true;
    snprintf(vm->why, sizeof vm->why, "%s needs a duration, not %s", what, value_type_name(v.type));
    return false;
}

/* The due time of a timer set now for `d`, as the engine will set it: plain time added,
   business time counted in the playbook's calendar through the engine's hook. False,
   with the reason in vm->why, for business time the calendar cannot count (it left the
   directory, say), and for a due time not after now or (`check_end`) at or after 9000-01-01,
   in the words of the engine's own refusal (engine_step.c, timer_refuse). Found here,
   the step fails and keeps its input, so `huddle retry` enters the ask or wait again
   once the cause is mended; found by the engine after the suspension was entered, the
   instance stalled with no task or timer that a retry could bring back. */
static bool vm_check_timer_due(Vm *vm, Value d, const char *kind, bool check_end)
{
    const VmInput *input = vm->input;
    if (!input)
        return true;
    int64_t now = input->now_ms, due;
    if (d.type == VAL_BUSINESS) {
        if (!input->hooks || !input->hooks->add_business)
            return true;   /* the engine counts it as it sets the timer */
        if (input->hooks->add_business(input->hooks->context, now, d, &due, vm->why, sizeof vm->why) < 0)
            return false;
    } else if (__builtin_add_overflow(now, d.as.ms, &due)) {
        due = d.as.ms > 0 ? INT64_MAX : INT64_MIN;
    }
    if (check_end && due >= VM_TIMER_END_MS) {
        snprintf(vm->why, sizeof vm->why, "the %s timer would be due at or after 9000-01-01, where no engine time "
                 "reaches: its duration is too long; no timer is set", kind);
        return false;
    }
    if (due > now)
        return true;
    char at[CIVIL_TIME_TEXT], at_now[CIVIL_TIME_TEXT];
    if (due < VM_TIME_FIRST_MS)
        snprintf(at, sizeof at, "a time before the year 0000");
    else
        civil_time_text(due, 0, at);
    civil_time_text(now, 0, at_now);
    snprintf(vm->why, sizeof vm->why, "the %s timer would be due at %s, but a timer must be due after the engine "
             "time that sets it (%s): its duration must be positive; no timer is set", kind, at, at_now);
    return false;
}

/* A `within`, `escalate ... after` or wait `after` (`kind` names its timer): a duration,
   a positive one when it is a business count (`0 business hours` would be due at once in
   working time but at the next opening outside it, so it fails whenever it comes, as the
   checker refuses it as a constant), and one whose timer can be set now
   (vm_check_timer_due). A level's is checked only for business time the calendar can
   count: one due after the deadline is never set (so it may lie past the year 9999),
   and one not after now is refused by the engine with the task open (docs/runtime.md,
   "Timers"). */
static bool vm_check_timer_duration(Vm *vm, Value v, const char *what, const char *kind)
{
    if (!vm_check_duration(vm, v, what, false))
        return false;
    if (v.type == VAL_BUSINESS && v.as.integer < 1) {
        StrBuf text = STRBUF_INIT;
        value_write_text(v, 0, &text);
        snprintf(vm->why, sizeof vm->why, "%s needs a positive duration, not %s: no timer is set", what,
                 strbuf_failed(&text) ? "a business count of 0" : strbuf_text(&text));
        strbuf_free(&text);
        return false;
    }
    if (strcmp(kind, "level") == 0 && v.type != VAL_BUSINESS)
        return true;   /* the engine refuses it with the task open, so answers still decide */
    return vm_check_timer_due(vm, v, kind, strcmp(kind, "level") != 0);
}

/* Whether the ask has an arm of `kind`: without a no_quorum arm, an ask nobody can
   answer waits for its deadline (the engine reads this from the description). */
static bool vm_ask_has_arm(const Bytecode *bc, const BcAsk *ask, BcArmKind kind)
{
    for (uint32_t i = 0; i < ask->arm_count; i++)
        if (bc->arms[ask->arm_first + i].kind == kind)
            return true;
    return false;
}

/* `remind every D` needs D of at least one minute (a business count of at least one):
   a shorter one computed while running stalls the instance, and no timer is set
   (LANGUAGE.md, "Reminders"). A business D must be one the calendar can count now
   (vm_check_timer_due). */
static bool vm_check_remind(Vm *vm, Value remind)
{
    if (!vm_check_duration(vm, remind, "remind every", true))
        return false;
    if (remind.type == VAL_BUSINESS && remind.as.integer >= 1)
        return vm_check_timer_due(vm, remind, "reminder", false);
    if (remind.type == VAL_NULL || (remind.type != VAL_BUSINESS && remind.as.ms >= 60000))
        return true;
    static const char *const UNITS[] = {"minutes", "hours", "days"};
    StrBuf text = STRBUF_INIT;
    if (remind.type == VAL_BUSINESS)
        strbuf_printf(&text, "%lld business %s", (long long)remind.as.integer,
                      UNITS[remind.unit <= BUSINESS_DAYS ? remind.unit : 0]);
    else
        value_write_duration(remind.as.ms, &text);
    snprintf(vm->why, sizeof vm->why,
             "remind every needs at least one minute, not %s: no reminder is set", strbuf_text(&text));
    strbuf_free(&text);
    return false;
}

/* Pops an ask's parameters (see compile_stmt.c for their order) into a description.
   When a clause fails its check, *failed is that clause (and *level the level of an
   escalation's after), for the line the error names (bc_ask_clause_pc). */
static bool vm_suspend_ask(Vm *vm, uint32_t index, BcClause *failed, uint32_t *level)
{
    const BcAsk *ask = &vm->bc->asks[index];
    uint32_t labels = 0;
    for (uint32_t i = 0; i < ask->choice_count; i++)
        labels += vm->bc->choices[ask->choice_first + i].has_label;
    uint32_t n = ask->seat_count + 1 + labels + 1 + 2 * ask->escalation_count + ask->has_remind + ask->has_show;
    Value *p = &vm->stack[vm->sp - n];
    uint32_t at = 0;
    Value seats = value_list_new(ask->seat_count);
    for (uint32_t i = 0; i < ask->seat_count; i++)
        value_list_push(seats, p[at++]);
    Value question = p[at++];
    Value choices = value_list_new(ask->choice_count);
    for (uint32_t i = 0; i < ask->choice_count; i++) {
        const BcChoice *c = &vm->bc->choices[ask->choice_first + i];
        Value choice = value_map_new(3);
        vm_map_add(choice, VM_KEY_id, vm_const_string(vm, c->id));
        vm_map_add(choice, VM_KEY_label, c->has_label ? p[at++] : VALUE_NULL);
        vm_map_add(choice, VM_KEY_with_comment, value_bool(c->with_comment));
        value_list_push(choices, choice);
    }
    Value within = p[at++];
    Value ladder = value_list_new(ask->escalation_count);
    bool ok = vm_check_timer_duration(vm, within, "within", "deadline");
    *failed = BC_CLAUSE_WITHIN;
    for (uint32_t i = 0; i < ask->escalation_count; i++) {
        Value level_map = value_map_new(2);
        vm_map_add(level_map, VM_KEY_who, p[at++]);
        Value after = p[at++];
        if (ok && !(ok = vm_check_timer_duration(vm, after, "escalate ... after", "level"))) {
            *failed = BC_CLAUSE_AFTER;
            *level = i + 1;
        }
        vm_map_add(level_map, VM_KEY_after, after);
        value_list_push(ladder, level_map);
    }
    Value remind = ask->has_remind ? p[at++] : VALUE_NULL;
    Value show = ask->has_show ? p[at++] : VALUE_NULL;
    if (ok && !(ok = vm_check_remind(vm, remind)))
        *failed = BC_CLAUSE_REMIND;
    if (ok && show.type != VAL_NULL && show.type != VAL_MAP) {
        snprintf(vm->why, sizeof vm->why, "show needs a map, not %s", value_type_name(show.type));
        ok = false;
        *failed = BC_CLAUSE_SHOW;
    }
    vm->sp -= n;
    Value d = value_map_new(13);
    static const char *const QUORUMS[] = {"any", "all", "n"};
    vm_map_add(d, VM_KEY_kind, value_cstring("ask"));
    vm_map_add(d, VM_KEY_ask, value_int(index));
    vm_map_add(d, VM_KEY_state, vm_const_string(vm, vm->bc->states[vm->frame->state].name));
    vm_map_add(d, VM_KEY_quorum, value_cstring(QUORUMS[ask->quorum]));
    vm_map_add(d, VM_KEY_needed, value_int(ask->quorum == BC_QUORUM_ALL ? ask->seat_count : ask->quorum_n));
    vm_map_add(d, VM_KEY_no_quorum_arm, value_bool(vm_ask_has_arm(vm->bc, ask, BC_ARM_NO_QUORUM)));
    vm_map_add(d, VM_KEY_seats, seats);
    vm_map_add(d, VM_KEY_question, question);
    vm_map_add(d, VM_KEY_choices, choices);
    vm_map_add(d, VM_KEY_within, within);
    vm_map_add(d, VM_KEY_ladder, ladder);
    vm_map_add(d, VM_KEY_remind, remind);
    vm_map_add(d, VM_KEY_show, show);
    vm->result->suspension = d;
    return ok;
}

static bool vm_suspend_wait(Vm *vm, uint32_t index)
{
    const BcWait *w = &vm->bc->waits[index];
    Value after = VALUE_NULL;
    if (w->after_pc != BC_NONE)
        after = vm->stack[--vm->sp];
    Value arms = value_list_new(w->arm_count);
    for (uint32_t i = 0; i < w->arm_count; i++) {
        const BcWaitArm *arm = &vm->bc->wait_arms[w->arm_first + i];
        Value entry = value_map_new(2);
        vm_map_add(entry, VM_KEY_source, vm_const_string(vm, arm->source));
        vm_map_add(entry, VM_KEY_type, vm_const_string(vm, arm->type));
        value_list_push(arms, entry);
    }
    Value d = value_map_new(5);
    vm_map_add(d, VM_KEY_kind, value_cstring("wait"));
    vm_map_add(d, VM_KEY_wait, value_int(index));
    vm_map_add(d, VM_KEY_state, vm_const_string(vm, vm->bc->states[vm->frame->state].name));
    vm_map_add(d, VM_KEY_arms, arms);
    vm_map_add(d, VM_KEY_after, after);
    vm->result->suspension = d;
    return w->after_pc == BC_NONE || vm_check_timer_duration(vm, after, "after", "after");
}

static void vm_suspend_call(Vm *vm, uint32_t index)
{
    const BcSite *site = &vm->bc->sites[index];
    Value d = value_map_new(5);
    vm_map_add(d, VM_KEY_kind, value_cstring("call"));
    vm_map_add(d, VM_KEY_state, vm_const_string(vm, vm->bc->states[vm->frame->state].name));
    vm_map_add(d, VM_KEY_connector, vm_const_string(vm, site->connector));
    vm_map_add(d, VM_KEY_operation, vm_const_string(vm, site->operation));
    vm_map_add(d, VM_KEY_arg, vm->stack[--vm->sp]);
    vm->result->suspension = d;
}

/* ---- the loop ---- */

typedef enum RunEnd {
    RUN_SUSPEND, RUN_DONE, RUN_FAILED, RUN_ERROR, RUN_NOT_TAKEN, RUN_RETURN, RUN_NO_MEMORY
} RunEnd;

static void vm_enter(Vm *vm, uint32_t state)
{
    Frame *f = vm->frame;
    /* Only the slots the states use need clearing; the work is charged to the step. */
    uint32_t used = vm->bc->states[f->state].locals;
    if (vm->bc->states[state].locals > used)
        used = vm->bc->states[state].locals;
    if (used > f->local_count)
        used = f->local_count;
    vm->budget = vm->budget > used / 8 ? vm->budget - used / 8 : 0;
    for (uint32_t i = 0; i < used; i++) {
        value_release(f->locals[i]);
        f->locals[i] = VALUE_NULL;
    }
    f->state = state;
    vm_effect(vm, EFFECT_ENTERED, vm_const_string(vm, vm->bc->states[state].name));
}

static Value *vm_local(Vm *vm, uint32_t slot)
{
    return vm->depth ? &vm->stack[vm->calls[vm->depth - 1].base + slot] : &vm->frame->locals[slot];
}

/* Makes a who value from the top `argc` values: false with vm->why (the arguments left on
   the stack, for the error's unwind) when its id, a role's name or an owner's kind is
   neither a string nor null, the type error `huddle check` reports for a constant one. A
   null id (a field the event lacks) is no error: it resolves to nobody, `unresolved`. */
static bool vm_make_who(Vm *vm, uint32_t kind, uint32_t argc, Value *out)
{
    static const char *const KINDS[] = {"person", "team", "oncall", "role", "owner", "manager", "lead", "manager"};
    Value *args = &vm->stack[vm->sp - argc];
    if (kind != BC_WHO_MANAGER && kind != BC_WHO_LEVEL_MANAGER && argc > 0 &&
        args[0].type != VAL_STRING && args[0].type != VAL_NULL) {
        snprintf(vm->why, sizeof vm->why, "%s() needs a string, not %s", KINDS[kind],
                 value_type_name(args[0].type));
        return false;
    }
    Value who = value_map_new(3);
    vm_map_add(who, VM_KEY_who, value_cstring(KINDS[kind]));
    switch (kind) {
    case BC_WHO_ROLE: vm_map_add(who, VM_KEY_name, args[0]); vm_map_add(who, VM_KEY_scope, args[1]); break;
    case BC_WHO_OWNER: vm_map_add(who, VM_KEY_kind, args[0]); vm_map_add(who, VM_KEY_key, args[1]); break;
    case BC_WHO_MANAGER: vm_map_add(who, VM_KEY_of, args[0]); break;
    case BC_WHO_LEVEL_MANAGER: break;
    default: vm_map_add(who, VM_KEY_id, args[0]); break;
    }
    vm->sp -= argc;
    *out = who;
    return true;
}

bool vm_const_time_text(Vm *vm, Value v, const char *builtin)
{
    if (!vm->in_const || v.type != VAL_TIME || vm->bc->calendar == BC_NONE)
        return false;
    snprintf(vm->why, sizeof vm->why,
             "%s%sa const can't write a time in the calendar's offset, which is known only while "
             "running: write the time where the const is used, or use format_time(t, pattern, \"UTC\")",
             builtin ? builtin : "", builtin ? ": " : "");
    return true;
}

static Value vm_concat(Vm *vm, uint32_t n, bool *ok)
{
    const VmHooks *hooks = vm->input ? vm->input->hooks : NULL;
    size_t size = 0;   /* the text's, counted before it is built, up to past the limit */
    for (uint32_t i = vm->sp - n; i < vm->sp; i++) {
        if (vm_const_time_text(vm, vm->stack[i], NULL)) {
            for (uint32_t j = vm->sp - n; j < vm->sp; j++)
                value_release(vm->stack[j]);
            vm->sp -= n;
            *ok = false;
            return VALUE_NULL;
        }
        if (size <= VM_STRING_LIMIT)
            size += vm_text_size(vm->stack[i], VM_FORM_TEXT, hooks, VM_STRING_LIMIT - size);
    }
    if (size > VM_STRING_LIMIT) {
        for (uint32_t i = vm->sp - n; i < vm->sp; i++)
            value_release(vm->stack[i]);
        vm->sp -= n;
        *ok = false;
        snprintf(vm->why, sizeof vm->why, "string too long (over %d bytes)", VM_STRING_LIMIT);
        return VALUE_NULL;
    }
    StrBuf text = STRBUF_INIT;
    for (uint32_t i = vm->sp - n; i < vm->sp; i++) {
        vm_write_text(vm->stack[i], hooks, &text);
        value_release(vm->stack[i]);
    }
    vm->sp -= n;
    *ok = text.len <= VM_STRING_LIMIT;
    if (!*ok)
        snprintf(vm->why, sizeof vm->why, "string too long (over %d bytes)", VM_STRING_LIMIT);
    return value_string_take(&text);
}

static bool vm_load_trigger(Vm *vm, uint32_t name_index, Value *out)
{
    uint32_t trigger = vm->frame ? vm->frame->trigger : vm->chunk_trigger;
    Value data = vm->frame ? vm->frame->data : vm->chunk_data;
    *out = vm->bc->triggers[trigger].name_index == name_index ? data : VALUE_NULL;
    value_retain(*out);
    return true;
}

/* Does wait arm `arm`, matched at `pc`, have a `when` (a WHEN_FALSE before its end)? */
/* Where wait arm `arm`'s WHEN_FALSE is, its MATCH_EVENT being at `pc`: its `when` runs
   from pc + 1 up to there. BC_NONE for an arm without a `when`. */
static uint32_t vm_arm_when_end(const Bytecode *bc, uint32_t pc, uint32_t arm)
{
    for (uint32_t at = pc + 1; at < bc->wait_arms[arm].next_pc && at < bc->code_count; at++)
        if (bc_op(bc->code[at]) == OP_WHEN_FALSE && bc_operand(bc->code[at]) == arm)
            return at;
    return BC_NONE;
}

static bool vm_arm_has_when(const Bytecode *bc, uint32_t pc, uint32_t arm)
{
    return vm_arm_when_end(bc, pc, arm) != BC_NONE;
}

/* vm_run's switch is written by hand, one case per instruction of opcodes.def (keep in
   sync). A new instruction changes the count and stops the build here until its case is
   written and the count below is raised; a removed one breaks its `case` line. */
_Static_assert(OP_COUNT_ == 56, "opcodes.def changed: give vm_run a case for each instruction");

#define PUSH(v) (vm->stack[vm->sp++] = (v))
#define POP() (vm->stack[--vm->sp])
#define TOP() (vm->stack[vm->sp - 1])
#define ERROR(...) do { snprintf(vm->why, sizeof vm->why, __VA_ARGS__); goto error; } while (0)

static RunEnd vm_run(Vm *vm, uint32_t pc)
{
    const Bytecode *bc = vm->bc;
    const uint32_t *code = bc->code;
    Value a, b, r;
    for (;;) {
        /* One test per instruction: every 256 instructions (and when the budget is
           spent), whether an allocation failed (a failed one leaves a null behind, which
           every instruction accepts; vm_finish checks again at the end) and whether the
           step ran too long. */
        if (__builtin_expect((vm->budget & 255) == 0, 0)) {
            if (vm_out_of_memory(vm))
                return RUN_NO_MEMORY;
            if (vm->budget == 0) {
                vm->fatal = true;   /* never mistaken for a failing `when` */
                ERROR("the step ran more than %d instructions", VM_STEP_LIMIT);
            }
        }
        vm->budget--;
        uint32_t insn = code[pc];
        uint32_t operand = bc_operand(insn);
        switch (bc_op(insn)) {
        case OP_NOP: pc++; break;
        case OP_PUSH_NULL: PUSH(VALUE_NULL); pc++; break;
        case OP_PUSH_TRUE: PUSH(value_bool(true)); pc++; break;
        case OP_PUSH_FALSE: PUSH(value_bool(false)); pc++; break;
        case OP_PUSH_INT: PUSH(value_int(bc_signed_operand(insn))); pc++; break;
        case OP_PUSH_CONST: a = bc->consts[operand]; value_retain(a); PUSH(a); pc++; break;
        case OP_POP: value_release(POP()); pc++; break;
        case OP_LOAD_LOCAL: a = *vm_local(vm, operand); value_retain(a); PUSH(a); pc++; break;
        case OP_STORE_LOCAL: {
            Value *slot = vm_local(vm, operand);
            value_release(*slot);
            *slot = POP();
            pc++;
            break;
        }
        case OP_LOAD_VAR: a = vm->frame->vars[operand]; value_retain(a); PUSH(a); pc++; break;
        case OP_STORE_VAR:
            value_release(vm->frame->vars[operand]);
            vm->frame->vars[operand] = POP();
            pc++;
            break;
        case OP_LOAD_TRIGGER: vm_load_trigger(vm, operand, &a); PUSH(a); pc++; break;
        case OP_LOAD_CASE:
            a = vm->input ? vm->input->case_info : VALUE_NULL;
            value_retain(a);
            PUSH(a);
            pc++;
            break;
        case OP_LOAD_CDEF:
            if (vm->program->cdefs_ready && !vm->program->cdefs_ready[operand]) {
                vm->wanted_cdef = operand;   /* program_eval_consts evaluates it first */
                vm->fatal = true;
                ERROR("const %s is used before it has a value",
                      value_text(vm->bc->consts[vm->bc->cdefs[operand].name]));
            }
            a = vm->program->cdefs[operand]; value_retain(a); PUSH(a); pc++; break;
        case OP_ADD: case OP_SUB: case OP_MUL: case OP_DIV: case OP_MOD:
            b = POP();
            a = POP();
            if (a.type == VAL_INT && b.type == VAL_INT && bc_op(insn) == OP_ADD &&
                !__builtin_add_overflow(a.as.integer, b.as.integer, &r.as.integer)) {
                /* The common case, without a call, and pushed field by field: a whole
                   Value copied from r would wait on r's two separate stores. */
                vm->stack[vm->sp].type = VAL_INT;
                vm->stack[vm->sp++].as.integer = r.as.integer;
                pc++;
                break;
            } else if (!vm_op_arith(bc_op(insn), a, b, &r, vm->input ? vm->input->hooks : NULL, vm->why)) {
                value_release(a);
                value_release(b);
                goto error;
            }
            value_release(a);
            value_release(b);
            PUSH(r);
            pc++;
            break;
        case OP_NEG:
            a = POP();
            if (!vm_op_negate(a, &r, vm->why)) {
                value_release(a);
                goto error;
            }
            PUSH(r);
            pc++;
            break;
        case OP_NOT:
            if (TOP().type != VAL_BOOL)
                ERROR("'not' needs a boolean, not %s", value_type_name(TOP().type));
            TOP().as.boolean = !TOP().as.boolean;
            pc++;
            break;
        case OP_EQ: case OP_NE:
            b = POP();
            a = POP();
            r = value_bool(value_equal(a, b) == (bc_op(insn) == OP_EQ));
            value_release(a);
            value_release(b);
            PUSH(r);
            pc++;
            break;
        case OP_LT: case OP_LE: case OP_GT: case OP_GE: case OP_IN: {
            b = POP();
            a = POP();
            bool ok = bc_op(insn) == OP_IN ? vm_op_in(a, b, &r, vm->why)
                                           : vm_op_order(bc_op(insn), a, b, &r, vm->why);
            value_release(a);
            value_release(b);
            if (!ok)
                goto error;
            PUSH(r);
            pc++;
            break;
        }
        case OP_CHECK_BOOL:
            if (TOP().type != VAL_BOOL)
                ERROR("'and' and 'or' need booleans, not %s", value_type_name(TOP().type));
            pc++;
            break;
        case OP_JUMP: pc = operand; break;
        case OP_JUMP_IF_FALSE:
            a = POP();
            if (a.type != VAL_BOOL) {
                PUSH(a);
                ERROR("a condition needs a boolean, not %s%s", value_type_name(a.type),
                      a.type == VAL_NULL ? " (write x ?? false)" : "");
            }
            pc = a.as.boolean ? pc + 1 : operand;
            break;
        case OP_AND_JUMP: case OP_OR_JUMP:
            if (TOP().type != VAL_BOOL)
                ERROR("'%s' needs booleans, not %s%s", bc_op(insn) == OP_AND_JUMP ? "and" : "or",
                      value_type_name(TOP().type), TOP().type == VAL_NULL ? " (write x ?? false)" : "");
            if (TOP().as.boolean == (bc_op(insn) == OP_OR_JUMP)) {
                pc = operand;
            } else {
                vm->sp--;
                pc++;
            }
            break;
        case OP_COALESCE_JUMP:
            if (TOP().type != VAL_NULL) {
                pc = operand;
            } else {
                vm->sp--;
                pc++;
            }
            break;
        case OP_GET_FIELD:
            a = POP();
            if (!vm_op_field(a, bc->consts[operand], &r, vm->why)) {
                value_release(a);
                goto error;
            }
            value_release(a);
            PUSH(r);
            pc++;
            break;
        case OP_GET_INDEX:
            b = POP();
            a = POP();
            if (!vm_op_index(a, b, &r, vm->why)) {
                value_release(a);
                value_release(b);
                goto error;
            }
            value_release(a);
            value_release(b);
            PUSH(r);
            pc++;
            break;
        case OP_MAKE_LIST: {
            if (operand > VM_LIST_LIMIT)
                ERROR("list too long");
            r = value_list_new(operand);
            for (uint32_t i = vm->sp - operand; i < vm->sp; i++)
                value_list_push(r, vm->stack[i]);
            vm->sp -= operand;
            PUSH(r);
            if (value_depth(r) > VM_DEPTH_LIMIT)
                ERROR("lists and maps nest more than %d deep", VM_DEPTH_LIMIT);
            pc++;
            break;
        }
        case OP_MAKE_MAP: {
            for (uint32_t i = vm->sp - 2 * operand; i < vm->sp; i += 2)
                if (vm->stack[i].type != VAL_STRING)
                    ERROR("a map key must be a string, not %s", value_type_name(vm->stack[i].type));
            r = value_map_new(operand);
            for (uint32_t i = vm->sp - 2 * operand; i < vm->sp; i += 2) {
                Value key = vm->stack[i];
                value_map_set(r, key.as.string->data, key.as.string->len, vm->stack[i + 1]);
                value_release(key);
            }
            vm->sp -= 2 * operand;
            PUSH(r);
            if (value_depth(r) > VM_DEPTH_LIMIT)
                ERROR("lists and maps nest more than %d deep", VM_DEPTH_LIMIT);
            pc++;
            break;
        }
        case OP_CONCAT: {
            bool ok;
            r = vm_concat(vm, operand, &ok);
            PUSH(r);
            if (!ok)
                goto error;
            pc++;
            break;
        }
        case OP_CALL_BUILTIN: {
            uint32_t argc = operand & 0xFF;
            bool ok = vm_builtin_call(vm, (int)(operand >> 8), argc, &r);
            for (uint32_t i = 0; i < argc; i++)
                value_release(POP());
            if (!ok)
                goto error;
            PUSH(r);
            pc++;
            break;
        }
        case OP_CALL_FN: {
            const BcFn *fn = &bc->fns[operand >> 8];
            /* the fn's locals, then up to max_stack values while it runs */
            if (vm->depth == VM_CALL_LIMIT || vm->sp + fn->locals + vm->program->max_stack > vm->stack_cap)
                ERROR("fns nest too deeply");
            vm->calls[vm->depth++] = (VmCall){pc + 1, vm->sp - fn->params, operand >> 8};
            for (uint32_t i = fn->params; i < fn->locals; i++)
                PUSH(VALUE_NULL);
            pc = fn->entry;
            break;
        }
        case OP_RETURN: {
            r = POP();
            if (vm->depth == 0) {
                PUSH(r);
                return RUN_RETURN;
            }
            VmCall call = vm->calls[--vm->depth];
            while (vm->sp > call.base)
                value_release(POP());
            PUSH(r);
            pc = call.return_pc;
            break;
        }
        case OP_MAKE_WHO:
            if (!vm_make_who(vm, operand >> 8, operand & 0xFF, &r))
                goto error;
            PUSH(r);
            pc++;
            break;
        case OP_ENTER: vm_enter(vm, operand); pc = bc->states[operand].entry; break;
        case OP_DONE: case OP_FAIL:
            vm->result->outcome = POP();
            vm->frame->pc = pc;
            return bc_op(insn) == OP_DONE ? RUN_DONE : RUN_FAILED;
        case OP_TAG: {
            for (uint32_t i = vm->sp - operand; i < vm->sp; i++)
                if (vm_text_size(vm->stack[i], VM_FORM_TEXT, vm->input ? vm->input->hooks : NULL,
                                 VM_STRING_LIMIT) > VM_STRING_LIMIT)
                    ERROR("a tag is too long (over %d bytes)", VM_STRING_LIMIT);
            r = value_list_new(operand);
            for (uint32_t i = vm->sp - operand; i < vm->sp; i++) {
                StrBuf text = STRBUF_INIT;
                vm_write_text(vm->stack[i], vm->input ? vm->input->hooks : NULL, &text);
                value_list_push(r, value_string_take(&text));
                value_release(vm->stack[i]);
            }
            vm->sp -= operand;
            vm_effect(vm, EFFECT_TAGGED, r);
            pc++;
            break;
        }
        case OP_NOTE: vm_effect(vm, EFFECT_NOTED, POP()); pc++; break;
        case OP_SEND: {
            const BcSite *site = &bc->sites[operand];
            r = value_map_new(3);
            vm_map_add(r, VM_KEY_connector, vm_const_string(vm, site->connector));
            vm_map_add(r, VM_KEY_operation, vm_const_string(vm, site->operation));
            vm_map_add(r, VM_KEY_arg, POP());
            vm_effect(vm, EFFECT_SENT, r);
            pc++;
            break;
        }
        case OP_NOTIFY: {
            Value message = POP();
            Value whos = value_list_new(operand);
            for (uint32_t i = vm->sp - operand; i < vm->sp; i++)
                value_list_push(whos, vm->stack[i]);
            vm->sp -= operand;
            r = value_map_new(2);
            vm_map_add(r, VM_KEY_who, whos);
            vm_map_add(r, VM_KEY_message, message);
            vm_effect(vm, EFFECT_NOTIFY, r);
            pc++;
            break;
        }
        case OP_CALL:
            vm_suspend_call(vm, operand);
            vm->frame->pc = pc;
            return RUN_SUSPEND;
        case OP_ASK:
            vm->frame->pc = pc;
            BcClause failed;
            uint32_t level = 0;
            if (!vm_suspend_ask(vm, operand, &failed, &level)) {
                pc = bc_ask_clause_pc(bc, pc, failed, level);   /* the error names the clause's line */
                goto error;
            }
            return RUN_SUSPEND;
        case OP_WAIT:
            vm->frame->pc = pc;
            if (!vm_suspend_wait(vm, operand))
                goto error;
            return RUN_SUSPEND;
        case OP_MATCH_EVENT: {
            if (vm->event.type != VAL_MAP)
                ERROR("bad bytecode: MATCH_EVENT outside a wait's dispatch");
            const BcWaitArm *arm = &bc->wait_arms[operand];
            const Value *source = value_map_get(vm->event, "source", 6);
            const Value *type = value_map_get(vm->event, "type", 4);
            if (!source || !type || !value_equal(*source, bc->consts[arm->source]) ||
                !value_equal(*type, bc->consts[arm->type])) {
                pc = arm->next_pc;
                break;
            }
            if (arm->slot != BC_NONE) {
                const Value *data = value_map_get(vm->event, "data", 4);
                value_release(vm->frame->locals[arm->slot]);
                vm->frame->locals[arm->slot] = data ? *data : VALUE_NULL;
                value_retain(vm->frame->locals[arm->slot]);
            }
            vm->when_arm = vm_arm_has_when(bc, pc, operand) ? operand : BC_NONE;
            pc++;
            break;
        }
        case OP_WHEN_FALSE:
            a = POP();
            vm->when_arm = BC_NONE;
            if (a.type != VAL_BOOL) {
                char message[VM_WHY + 64];
                snprintf(message, sizeof message, "%s:%u: a when needs a boolean, not %s",
                         bc->source_name, vm_line_at(vm, pc), value_type_name(a.type));
                vm_effect(vm, EFFECT_WHEN_ERROR, value_cstring(message));
                value_release(a);
                pc = bc->wait_arms[operand].next_pc;
            } else {
                pc = a.as.boolean ? pc + 1 : bc->wait_arms[operand].next_pc;
            }
            break;
        case OP_WAIT_AGAIN:
            if (vm->event.type != VAL_MAP)
                ERROR("bad bytecode: WAIT_AGAIN outside a wait's dispatch");
            vm->frame->pc = bc->waits[operand].dispatch_pc;   /* fixed below by the caller */
            return RUN_NOT_TAKEN;
        default:
            ERROR("unknown instruction %u", (unsigned)bc_op(insn));
        }
        continue;
    error:
        if (vm->when_arm != BC_NONE && !vm->fatal) {
            /* An error in a `when` counts as false, and is recorded. */
            char message[VM_WHY + 64];
            snprintf(message, sizeof message, "%s:%u: %s", bc->source_name, vm_line_at(vm, pc), vm->why);
            vm_text_utf8(message, sizeof message);
            vm_effect(vm, EFFECT_WHEN_ERROR, value_cstring(message));
            vm_unwind(vm, 0);
            pc = bc->wait_arms[vm->when_arm].next_pc;
            vm->when_arm = BC_NONE;
            continue;
        }
        vm_set_error(vm, pc);
        return RUN_ERROR;
    }
}

/* ---- entry points ---- */

static void vm_init(Vm *vm, const Program *program, Frame *frame, const VmInput *input,
                    VmResult *result)
{
    vm->program = program;
    vm->bc = &program->bc;
    vm->frame = frame;
    vm->input = input;
    vm->result = result;
    vm->sp = 0;
    vm->depth = 0;
    vm->when_arm = BC_NONE;
    vm->budget = VM_STEP_LIMIT;
    vm->fatal = false;
    vm->event = VALUE_NULL;
    vm->wanted_cdef = BC_NONE;
    vm->in_const = false;
    vm->oom_mark = value_oom_count();
}

static VmStatus vm_finish(Vm *vm, RunEnd end)
{
    VmResult *r = vm->result;
    r->instructions = VM_STEP_LIMIT - vm->budget;
    vm_unwind(vm, 0);
    if (end == RUN_NO_MEMORY || vm_out_of_memory(vm))
        return vm_no_memory(r);
    switch (end) {
    case RUN_SUSPEND: return r->status = VM_SUSPENDED;
    case RUN_DONE: return r->status = VM_DONE;
    case RUN_FAILED: return r->status = VM_FAILED;
    case RUN_NOT_TAKEN: return r->status = VM_NOT_TAKEN;
    case RUN_RETURN:
        snprintf(r->error, sizeof r->error, "internal error: a state returned");
        return r->status = VM_ERROR;
    default: return r->status = VM_ERROR;
    }
}

/* A VM for one run, its stack holding what `program` needs (its max_stack) and
   VM_STACK_LIMIT more for fn frames: the caller's parked block when it is free and large
   enough (VmScratch, vm.h), else a new one; NULL when out of memory (then counted,
   value.h). vm_free gives it back. */
static Vm *vm_new(const Program *program, Frame *frame, const VmInput *input, VmResult *result)
{
    uint32_t cap = VM_STACK_LIMIT + program->max_stack;
    size_t bytes = sizeof(Vm) + (size_t)cap * sizeof(Value);
    VmScratch *scratch = input ? input->scratch : NULL;
    Vm *vm;
    if (scratch && scratch->block && scratch->bytes >= bytes) {
        vm = scratch->block;
        bytes = scratch->bytes;
        scratch->block = NULL;
        VM_UNPOISON(vm, bytes);
    } else if (!(vm = malloc(bytes))) {
        value_oom_note();
        return NULL;
    }
    vm->stack_cap = cap;
    vm->scratch = scratch;
    vm->bytes = bytes;
    vm_init(vm, program, frame, input, result);
    return vm;
}

/* Ends a run's VM: parks its block in the caller's scratch when that holds none or a
   smaller one, else frees it. */
static void vm_free(Vm *vm)
{
    VmScratch *scratch = vm->scratch;
    if (!scratch || (scratch->block && scratch->bytes >= vm->bytes)) {
        free(vm);
        return;
    }
    vm_scratch_free(scratch);
    scratch->block = vm;
    scratch->bytes = vm->bytes;
    VM_POISON(vm, vm->bytes);
}

void vm_scratch_free(VmScratch *scratch)
{
    if (!scratch || !scratch->block)
        return;
    VM_UNPOISON(scratch->block, scratch->bytes);
    free(scratch->block);
    scratch->block = NULL;
    scratch->bytes = 0;
}

/* Runs one chunk at depth 0; the result is left in *out. */
static bool vm_run_chunk(Vm *vm, uint32_t pc, Value *out)
{
    RunEnd end = vm_run(vm, pc);
    if (end == RUN_RETURN && !vm_out_of_memory(vm)) {
        *out = vm->stack[--vm->sp];
        return true;
    }
    vm_unwind(vm, 0);
    return false;
}

VmStatus vm_start(const Program *program, uint32_t trigger, Value data, Value meta,
                  const VmInput *context, Frame **frame_out, VmResult *result)
{
    return vm_start_in(program, trigger, data, meta, 0, context, frame_out, result);
}

VmStatus vm_start_in(const Program *program, uint32_t trigger, Value data, Value meta,
                     uint32_t state, const VmInput *context, Frame **frame_out, VmResult *result)
{
    Frame *frame = frame_new(program);
    Vm *vm = frame ? vm_new(program, frame, context, result) : NULL;
    *frame_out = vm ? frame : NULL;
    if (!vm) {
        frame_free(frame);
        return vm_no_memory(result);
    }
    frame->trigger = trigger;
    frame->data = data;
    frame->meta = meta;
    value_retain(data);
    value_retain(meta);
    for (uint32_t i = 0; i < program->bc.vars_count; i++) {
        if (!vm_run_chunk(vm, program->bc.vars[i].init_pc, &frame->vars[i])) {
            VmStatus status = vm_finish(vm, RUN_ERROR);
            vm_free(vm);
            return status;
        }
    }
    vm_enter(vm, state);
    VmStatus status = vm_finish(vm, vm_run(vm, program->bc.states[state].entry));
    vm_free(vm);
    return status;
}

/* Where a resumed frame continues, given its input; false with vm->why if the input
   does not fit the suspension. */
static bool vm_resume_pc(Vm *vm, const VmInput *input, uint32_t *pc)
{
    const Bytecode *bc = vm->bc;
    Frame *f = vm->frame;
    uint32_t insn = bc->code[f->pc];
    Opcode op = bc_op(insn);
    uint32_t index = bc_operand(insn);
    if (op == OP_ASK && input->kind == VM_INPUT_ANSWER && input->value.type == VAL_MAP) {
        const BcAsk *ask = &bc->asks[index];
        const Value *choice = value_map_get(input->value, "choice", 6);
        BcArmKind want = BC_ARM_CHOICE;
        uint32_t choice_index = BC_NONE;
        if (choice && choice->type == VAL_STRING) {
            if (strcmp(value_text(*choice), "timeout") == 0)
                want = BC_ARM_TIMEOUT;
            else if (strcmp(value_text(*choice), "no_quorum") == 0)
                want = BC_ARM_NO_QUORUM;
            for (uint32_t i = 0; i < ask->choice_count && want == BC_ARM_CHOICE; i++)
                if (value_equal(*choice, bc->consts[bc->choices[ask->choice_first + i].id]))
                    choice_index = i;
        }
        const BcArm *found = NULL;
        for (uint32_t i = 0; i < ask->arm_count; i++) {
            const BcArm *arm = &bc->arms[ask->arm_first + i];
            if (arm->kind == want && (want != BC_ARM_CHOICE || arm->choice == choice_index))
                found = arm;
        }
        for (uint32_t i = 0; !found && want == BC_ARM_CHOICE && choice_index != BC_NONE && i < ask->arm_count; i++)
            if (bc->arms[ask->arm_first + i].kind == BC_ARM_ELSE)
                found = &bc->arms[ask->arm_first + i];
        if (!found) {
            snprintf(vm->why, sizeof vm->why, "the ask has no arm for this result");
            return false;
        }
        value_release(f->locals[ask->result_slot]);
        f->locals[ask->result_slot] = input->value;
        value_retain(input->value);
        *pc = found->pc;
        return true;
    }
    if (op == OP_WAIT && input->kind == VM_INPUT_EVENT && input->value.type == VAL_MAP) {
        vm->event = input->value;
        *pc = bc->waits[index].dispatch_pc;
        return true;
    }
    if (op == OP_WAIT && input->kind == VM_INPUT_TIMER && bc->waits[index].after_pc != BC_NONE) {
        *pc = bc->waits[index].after_pc;
        return true;
    }
    if (op == OP_CALL && input->kind == VM_INPUT_REPLY) {
        value_retain(input->value);
        vm->stack[vm->sp++] = input->value;
        *pc = f->pc + 1;
        return true;
    }
    if (op == OP_CALL && input->kind == VM_INPUT_FAILURE) {
        const BcSite *site = &bc->sites[index];
        if (site->else_kind == BC_ELSE_GOTO) {
            vm_enter(vm, site->else_target);
            *pc = bc->states[site->else_target].entry;
            return true;
        }
        if (site->else_kind == BC_ELSE_BLOCK) {
            value_release(f->locals[site->error_slot]);
            f->locals[site->error_slot] = input->value;
            value_retain(input->value);
            *pc = site->else_target;
            return true;
        }
        StrBuf text = STRBUF_INIT;
        value_write_text(input->value, 0, &text);
        snprintf(vm->why, sizeof vm->why, "call %s.%s failed: %s", vm_name(vm, site->connector),
                 vm_name(vm, site->operation), strbuf_text(&text));
        strbuf_free(&text);
        return false;
    }
    snprintf(vm->why, sizeof vm->why, "this input does not fit what the instance waits for");
    return false;
}

/* Whether the instruction at `insn`, inside a wait arm's `when`, may read what changes
   while the wait stands: the case's info (case.events grows as events join) or now().
   A fn cannot read either (the checker refuses both in a fn: it sees its parameters,
   consts, builtins and other fns only). */
static bool when_reads_changing(uint32_t insn)
{
    Opcode op = bc_op(insn);
    return op == OP_LOAD_CASE || (op == OP_CALL_BUILTIN && (bc_operand(insn) >> 8) == BUILTIN_NOW);
}

/* Whether the `when` of wait arm `arm`, whose MATCH_EVENT is at `match_pc`, may read
   what changes: its code runs from the instruction after MATCH_EVENT to the arm's
   WHEN_FALSE (an arm without a `when` has none before its next arm begins). */
static bool when_arm_reads_changing(const Bytecode *bc, uint32_t match_pc, uint32_t arm)
{
    uint32_t end = vm_arm_when_end(bc, match_pc, arm);
    for (uint32_t at = match_pc + 1; end != BC_NONE && at < end; at++)
        if (when_reads_changing(bc->code[at]))
            return true;
    return false;
}

bool vm_wait_reads_changing(const Program *program, const Frame *frame)
{
    const Bytecode *bc = &program->bc;
    if (vm_suspension(program, frame) != VM_AT_WAIT)
        return false;
    const BcWait *w = &bc->waits[bc_operand(bc->code[frame->pc])];
    uint32_t pc = w->dispatch_pc;
    while (pc < bc->code_count && bc_op(bc->code[pc]) == OP_MATCH_EVENT) {
        uint32_t arm = bc_operand(bc->code[pc]);
        if (arm >= bc->wait_arms_count || when_arm_reads_changing(bc, pc, arm))
            return true;                  /* (an arm it cannot read: offer everything) */
        if (bc->wait_arms[arm].next_pc <= pc)
            return true;
        pc = bc->wait_arms[arm].next_pc;   /* past the arm's body, to the next arm */
    }
    return false;
}

VmSuspension vm_suspension(const Program *program, const Frame *frame)
{
    if (!frame || frame->pc >= program->bc.code_count)
        return VM_AT_NONE;
    switch (bc_op(program->bc.code[frame->pc])) {
    case OP_ASK: return VM_AT_ASK;
    case OP_WAIT: return VM_AT_WAIT;
    case OP_CALL: return VM_AT_CALL;
    default: return VM_AT_NONE;
    }
}

VmStatus vm_resume(const Program *program, Frame *frame, const VmInput *input, VmResult *result)
{
    Vm *vm = vm_new(program, frame, input, result);
    if (!vm)
        return vm_no_memory(result);
    uint32_t wait_pc = frame->pc, pc;
    VmStatus status;
    if (frame->pc >= program->bc.code_count || !vm_resume_pc(vm, input, &pc)) {
        if (frame->pc >= program->bc.code_count)
            snprintf(vm->why, sizeof vm->why, "the frame does not point at a suspension");
        vm_set_error(vm, frame->pc < program->bc.code_count ? frame->pc : 0);
        status = vm_finish(vm, RUN_ERROR);
    } else {
        /* An event no arm takes leaves the frame as it was: keep the arm slots. */
        uint32_t slots[64], kept = 0;
        Value before[64];
        Opcode op = bc_op(program->bc.code[wait_pc]);
        if (op == OP_WAIT && input->kind == VM_INPUT_EVENT) {
            const BcWait *w = &program->bc.waits[bc_operand(program->bc.code[wait_pc])];
            for (uint32_t i = 0; i < w->arm_count && kept < 64; i++) {
                uint32_t slot = program->bc.wait_arms[w->arm_first + i].slot;
                if (slot == BC_NONE)
                    continue;
                slots[kept] = slot;
                before[kept] = frame->locals[slot];
                value_retain(before[kept++]);
            }
        }
        RunEnd end = vm_run(vm, pc);
        for (uint32_t i = 0; i < kept; i++) {
            if (end == RUN_NOT_TAKEN) {
                value_release(frame->locals[slots[i]]);
                frame->locals[slots[i]] = before[i];
            } else {
                value_release(before[i]);
            }
        }
        if (end == RUN_NOT_TAKEN)
            frame->pc = wait_pc;   /* still waiting where it was */
        status = vm_finish(vm, end);
    }
    vm_free(vm);
    return status;
}

VmStatus vm_goto(const Program *program, Frame *frame, uint32_t state, const VmInput *context,
                 VmResult *result)
{
    Vm *vm = vm_new(program, frame, context, result);
    if (!vm)
        return vm_no_memory(result);
    vm_enter(vm, state);
    VmStatus status = vm_finish(vm, vm_run(vm, program->bc.states[state].entry));
    vm_free(vm);
    return status;
}

/* Runs a chunk outside any instance (a lazy const's, or trigger `trigger`'s with its
   event `data` and `meta`): 0 with the value in *out, -1 with a message, BC_NO_MEMORY.
   *wanted: the lazy const it needed first, or BC_NONE (see vm_eval_cdef). */
static int vm_eval_chunk(const Program *program, const VmInput *context, uint32_t pc,
                         uint32_t trigger, Value data, Value meta, Value *out, uint32_t *wanted,
                         bool in_const, char *why, size_t why_len)
{
    VmResult result;
    vm_result_init(&result);
    Vm *vm = vm_new(program, NULL, context, &result);
    *wanted = BC_NONE;
    if (!vm) {
        snprintf(why, why_len, "out of memory");
        return BC_NO_MEMORY;
    }
    vm->chunk_trigger = trigger;
    vm->in_const = in_const;
    vm->chunk_data = data;
    vm->chunk_meta = meta;
    int rc = vm_run_chunk(vm, pc, out) ? 0 : vm_out_of_memory(vm) ? BC_NO_MEMORY : -1;
    if (rc == -1)
        *wanted = vm->wanted_cdef;
    if (rc < 0)
        snprintf(why, why_len, "%s", rc == BC_NO_MEMORY ? "out of memory" : result.error);
    vm_result_clear(&result);
    vm_free(vm);
    return rc;
}

int vm_eval_cdef(const Program *program, uint32_t index, bool checking, Value *out,
                 uint32_t *wanted, char *why, size_t why_len)
{
    VmInput context = {VM_INPUT_TIMER, VALUE_NULL, 0, VALUE_NULL, NULL, NULL};
    return vm_eval_chunk(program, &context, program->bc.cdefs[index].init_pc, 0, VALUE_NULL,
                         VALUE_NULL, out, wanted, checking, why, why_len);
}

int vm_eval_trigger(const Program *program, uint32_t trigger, uint32_t chunk_pc, Value data,
                    Value meta, const VmInput *context, Value *out, char *why, size_t why_len)
{
    uint32_t wanted;
    return vm_eval_chunk(program, context, chunk_pc, trigger, data, meta, out, &wanted, false,
                         why, why_len);
}

int vm_eval_trigger_when(const Program *program, uint32_t trigger, Value data, Value meta,
                         const VmInput *context, bool *matched, char *why, size_t why_len)
{
    const Bytecode *bc = &program->bc;
    uint32_t pc = bc->triggers[trigger].when_pc;
    Value v;
    *matched = false;
    int rc = vm_eval_trigger(program, trigger, pc, data, meta, context, &v, why, why_len);
    if (rc != 0)
        return rc;
    if (v.type == VAL_BOOL) {
        *matched = v.as.boolean;
        return 0;
    }
    /* as a wait arm's `when` says it (OP_WHEN_FALSE): null is not false */
    snprintf(why, why_len, "%s:%u: a when needs a boolean, not %s",
             bc->source_name ? bc->source_name : "playbook", bc_line_of(bc, pc),
             value_type_name(v.type));
    vm_text_utf8(why, why_len < VM_TEXT_MAX ? why_len : VM_TEXT_MAX);
    value_release(v);
    return -1;
}
