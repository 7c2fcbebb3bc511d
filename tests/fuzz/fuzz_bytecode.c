/*
 * fuzz_bytecode.c - libFuzzer target over the loader, the verifier and the VM.
 *
 * Each input is the bytes of a .hbc file, mutated from real `huddle build` outputs
 * (tests/fuzz/make_seeds.sh). program_load must refuse it with a reason, or accept it;
 * RUNTIME.md promises that bad input never crashes the runtime, and a program the
 * verifier accepted must not be able to crash the VM either. So an accepted program is:
 *
 *   - listed with disasm_write (the listing reads every table);
 *   - asked for each chunk of trigger 0 (when, case, for, window) with vm_eval_trigger;
 *   - started on trigger 0 with a small event, and then resumed up to MAX_RESUMES times
 *     with inputs chosen from what it waits for (an answer naming one of the ask's
 *     choices, timeout or no_quorum; an event of a type a wait arm names, or the timer;
 *     a call's reply or failure), each step under the VM's own instruction limit.
 *
 * Between steps the frame goes through frame_encode and frame_decode, as the store
 * would keep it: a frame the VM left suspended must decode, and encode to the same
 * bytes again. Any crash, sanitizer report, leak, abort or timeout is a bug in lang/
 * (bc_read, bc_verify, disasm) or runtime/ (program.c, frame.c, vm*.c).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bytecode.h"
#include "disasm.h"
#include "strbuf.h"
#include "value.h"
#include "vm.h"

#define MAX_RESUMES 5
#define T0 1781935200000LL

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void put(Value map, const char *key, Value v)
{
    value_map_set(map, key, strlen(key), v);
}

static Value small_data(void)
{
    Value d = value_map_new(8);
    put(d, "id", value_cstring("R-1"));
    put(d, "service", value_cstring("db"));
    put(d, "amount", value_int(1200));
    put(d, "level", value_int(3));
    put(d, "ratio", value_float(0.5));
    put(d, "ok", value_bool(true));
    Value items = value_list_new(2);
    value_list_push(items, value_cstring("cam"));
    value_list_push(items, value_int(-1));
    put(d, "items", items);
    return d;
}

static Value event_of(Value source, Value type, const char *id, Value data)
{
    Value e = value_map_new(5);
    value_retain(source);
    value_retain(type);
    put(e, "source", source);
    put(e, "type", type);
    put(e, "id", value_cstring(id));
    put(e, "time", value_time(T0));
    put(e, "data", data);
    return e;
}

/* A text value from the suspension `d` at d[key][index][field], or null. */
static Value pick(Value d, const char *key, uint32_t index, const char *field)
{
    const Value *list = value_map_get(d, key, strlen(key));
    if (!list || list->type != VAL_LIST || list->as.list->count == 0)
        return VALUE_NULL;
    Value item = list->as.list->items[index % list->as.list->count];
    const Value *v = item.type == VAL_MAP ? value_map_get(item, field, strlen(field)) : NULL;
    return v ? *v : VALUE_NULL;
}

/* Chooses the next input from what the instance waits for; round `k` varies it. */
static VmInputKind next_input(Value suspension, unsigned k, Value *value)
{
    const Value *kind = value_map_get(suspension, "kind", 4);
    const char *what = kind && kind->type == VAL_STRING ? value_text(*kind) : "";
    *value = VALUE_NULL;
    if (strcmp(what, "ask") == 0) {
        Value result = value_map_new(6);
        Value choice = pick(suspension, "choices", k, "id");
        if (k % 4 == 2)
            choice = value_cstring("timeout");
        else if (k % 4 == 3)
            choice = value_cstring("no_quorum");
        else
            value_retain(choice);
        put(result, "choice", choice);
        put(result, "by", value_cstring("olga"));
        put(result, "comment", k % 2 ? value_cstring("because") : VALUE_NULL);
        put(result, "at", value_time(T0 + 60000 * (int64_t)k));
        put(result, "votes", value_list_new(0));
        Value deciders = value_list_new(1);
        value_list_push(deciders, value_cstring("olga"));
        put(result, "deciders", deciders);
        *value = result;
        return VM_INPUT_ANSWER;
    }
    if (strcmp(what, "wait") == 0) {
        if (k % 3 == 2)
            return VM_INPUT_TIMER;
        Value source = pick(suspension, "arms", k, "source");
        Value type = pick(suspension, "arms", k, "type");
        Value data = small_data();
        if (k % 3 == 1)
            put(data, "level", value_cstring("high"));   /* makes `when`s fail */
        *value = event_of(source, type, "e-2", data);
        return VM_INPUT_EVENT;
    }
    if (k % 2 == 0) {
        *value = small_data();
        return VM_INPUT_REPLY;
    }
    *value = value_cstring("connector down");
    return VM_INPUT_FAILURE;
}

/* The frame as the store would keep it: it must come back, byte for byte. */
static Frame *round_trip(const Program *program, Frame *frame)
{
    StrBuf bytes = STRBUF_INIT, again = STRBUF_INIT;
    frame_encode(frame, &bytes);
    char why[256];
    Frame *back = frame_decode(program, (const uint8_t *)bytes.data, bytes.len, why, sizeof why);
    if (!back) {
        fprintf(stderr, "the VM left a frame its own decoder refuses: %s\n", why);
        abort();
    }
    frame_encode(back, &again);
    if (again.len != bytes.len || memcmp(again.data, bytes.data, bytes.len) != 0)
        abort();
    strbuf_free(&bytes);
    strbuf_free(&again);
    frame_free(frame);
    return back;
}

static void run_chunks(const Program *program, Value data, Value meta, const VmInput *context)
{
    const BcTrigger *t = &program->bc.triggers[0];
    uint32_t chunks[] = {t->when_pc, t->case_pc, t->for_pc, t->window_pc};
    for (int i = 0; i < 4; i++) {
        if (chunks[i] == BC_NONE)
            continue;
        Value out = VALUE_NULL;
        char why[512];
        if (vm_eval_trigger(program, 0, chunks[i], data, meta, context, &out, why, sizeof why) == 0)
            value_release(out);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    Program *program = NULL;
    char why[512];
    why[0] = '\0';
    if (program_load(data, size, &program, why, sizeof why) < 0) {
        if (why[0] == '\0')
            abort();   /* refused without a reason */
        return 0;
    }

    StrBuf listing = STRBUF_INIT;
    disasm_write(&program->bc, &listing);
    strbuf_free(&listing);

    /* The engine only starts instances from a trigger that matched. */
    if (program->bc.triggers_count == 0) {
        program_free(program);
        return 0;
    }
    Value ev_data = small_data();
    Value meta = value_map_new(4);
    put(meta, "source", value_cstring("shop"));
    put(meta, "type", value_cstring("refund"));
    put(meta, "id", value_cstring("e-1"));
    put(meta, "time", value_time(T0));
    Value case_info = value_map_new(3);
    put(case_info, "key", value_cstring("R-1"));
    put(case_info, "events", value_int(1));
    put(case_info, "started", value_time(T0));
    VmInput context = {VM_INPUT_EVENT, ev_data, T0, case_info, NULL};

    run_chunks(program, ev_data, meta, &context);

    Frame *frame = NULL;
    VmResult result;
    vm_result_init(&result);
    VmStatus status = vm_start(program, 0, ev_data, meta, &context, &frame, &result);
    for (unsigned k = 0; k < MAX_RESUMES && (status == VM_SUSPENDED || status == VM_NOT_TAKEN); k++) {
        Value suspension = result.suspension;
        value_retain(suspension);
        vm_result_clear(&result);
        frame = round_trip(program, frame);
        Value value;
        VmInputKind kind = next_input(suspension, k + (unsigned)size, &value);
        VmInput input = {kind, value, T0 + 3600000LL * (k + 1), case_info, NULL};
        vm_result_init(&result);
        status = vm_resume(program, frame, &input, &result);
        /* NOT_TAKEN keeps the old suspension: describe it again from the last one. */
        if (status == VM_NOT_TAKEN) {
            value_release(result.suspension);
            result.suspension = suspension;
        } else {
            value_release(suspension);
        }
        value_release(value);
    }
    vm_result_clear(&result);
    frame_free(frame);
    value_release(ev_data);
    value_release(meta);
    value_release(case_info);
    program_free(program);
    return 0;
}
