/*
 * fuzz_run.c - libFuzzer target from playbook text to running it: the compiler and the VM
 * on whatever the front end accepts.
 *
 * Each input is compiled as one playbook (front_compile). When it has no errors:
 *
 *   - front_build must succeed (the checker accepted it, so the compiler must too), and
 *     its .hbc bytes (bc_write) must load with program_load: the verifier must accept
 *     everything the compiler makes, and the loaded program must have the same hash;
 *   - the program is listed (disasm_write), started on trigger 0 with a small event, and
 *     resumed up to MAX_RESUMES times with inputs chosen from what it waits for;
 *   - between steps the frame goes through frame_encode / frame_decode and must come back
 *     byte for byte.
 *
 * Seeded by tests/fuzz/run.sh with every playbook of the repository and its dictionary
 * (add fuzz_run to PLAYBOOK_TARGETS there). An abort() below marks a broken promise
 * between the front end, the compiler, the verifier, the frame codec and the VM.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bytecode.h"
#include "disasm.h"
#include "front.h"
#include "strbuf.h"
#include "value.h"
#include "vm.h"

#define MAX_RESUMES 4
#define T0 1781935200000LL

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void put(Value map, const char *key, Value v)
{
    value_map_set(map, key, strlen(key), v);
}

static Value small_data(unsigned k)
{
    Value d = value_map_new(8);
    put(d, "id", value_cstring("R-1"));
    put(d, "service", value_cstring("db"));
    put(d, "amount", value_int(k % 2 ? 1200 : -5));
    put(d, "level", k % 3 == 1 ? value_cstring("high") : value_int(3));
    put(d, "ratio", value_float(0.5));
    put(d, "ok", value_bool(k % 2 == 0));
    Value items = value_list_new(2);
    value_list_push(items, value_cstring("cam"));
    value_list_push(items, value_int(7));
    put(d, "items", items);
    return d;
}

static Value pick(Value d, const char *key, uint32_t index, const char *field)
{
    const Value *list = value_map_get(d, key, strlen(key));
    if (!list || list->type != VAL_LIST || list->as.list->count == 0)
        return VALUE_NULL;
    Value item = list->as.list->items[index % list->as.list->count];
    const Value *v = item.type == VAL_MAP ? value_map_get(item, field, strlen(field)) : NULL;
    return v ? *v : VALUE_NULL;
}

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
        put(result, "deciders", value_list_new(0));
        *value = result;
        return VM_INPUT_ANSWER;
    }
    if (strcmp(what, "wait") == 0) {
        if (k % 3 == 2)
            return VM_INPUT_TIMER;
        Value source = pick(suspension, "arms", k, "source");
        Value type = pick(suspension, "arms", k, "type");
        value_retain(source);
        value_retain(type);
        Value e = value_map_new(5);
        put(e, "source", source);
        put(e, "type", type);
        put(e, "id", value_cstring("e-2"));
        put(e, "time", value_time(T0));
        put(e, "data", small_data(k));
        *value = e;
        return VM_INPUT_EVENT;
    }
    if (k % 2 == 0) {
        *value = small_data(k);
        return VM_INPUT_REPLY;
    }
    *value = value_cstring("connector down");
    return VM_INPUT_FAILURE;
}

static Frame *round_trip(const Program *program, Frame *frame)
{
    StrBuf bytes = STRBUF_INIT, again = STRBUF_INIT;
    frame_encode(frame, &bytes);
    char why[256];
    Frame *back = frame_decode(program, (const uint8_t *)bytes.data, bytes.len, why, sizeof why);
    if (!back)
        abort();   /* the VM left a frame its own decoder refuses */
    frame_encode(back, &again);
    if (again.len != bytes.len || memcmp(again.data, bytes.data, bytes.len) != 0)
        abort();
    strbuf_free(&bytes);
    strbuf_free(&again);
    frame_free(frame);
    return back;
}

static void run(const Program *program)
{
    Value ev = small_data(0);
    Value meta = value_map_new(4);
    put(meta, "source", value_cstring("shop"));
    put(meta, "type", value_cstring("order"));
    put(meta, "id", value_cstring("e-1"));
    put(meta, "time", value_time(T0));
    Value case_info = value_map_new(3);
    put(case_info, "key", value_cstring("R-1"));
    put(case_info, "events", value_int(1));
    put(case_info, "started", value_time(T0));
    VmInput context = {VM_INPUT_EVENT, ev, T0, case_info, NULL};

    const BcTrigger *t = &program->bc.triggers[0];
    uint32_t chunks[] = {t->when_pc, t->case_pc, t->for_pc, t->window_pc};
    for (int i = 0; i < 4; i++) {
        Value out = VALUE_NULL;
        char why[512];
        if (chunks[i] != BC_NONE &&
            vm_eval_trigger(program, 0, chunks[i], ev, meta, &context, &out, why, sizeof why) == 0)
            value_release(out);
    }

    Frame *frame = NULL;
    VmResult result;
    vm_result_init(&result);
    VmStatus status = vm_start(program, 0, ev, meta, &context, &frame, &result);
    Value suspension = VALUE_NULL;
    for (unsigned k = 0; k < MAX_RESUMES && (status == VM_SUSPENDED || status == VM_NOT_TAKEN); k++) {
        if (status == VM_SUSPENDED) {
            value_release(suspension);
            suspension = result.suspension;
            value_retain(suspension);
        }
        vm_result_clear(&result);
        frame = round_trip(program, frame);
        Value value;
        VmInputKind kind = next_input(suspension, k, &value);
        VmInput input = {kind, value, T0 + 3600000LL * (k + 1), case_info, NULL};
        vm_result_init(&result);
        status = vm_resume(program, frame, &input, &result);
        value_release(value);
    }
    value_release(suspension);
    vm_result_clear(&result);
    frame_free(frame);
    value_release(ev);
    value_release(meta);
    value_release(case_info);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    Front *front = front_new();
    if (!front)
        return 0;
    if (front_compile(front, "fuzz.play", (const char *)data, size, NULL) > 0) {
        front_free(front);
        return 0;
    }
    Bytecode bc;
    if (front_build(front, &bc) < 0)
        abort();   /* checked clean, yet the compiler gave up */
    front_free(front);

    StrBuf bytes = STRBUF_INIT;
    bc_write(&bc, &bytes);
    Program *compiled = NULL, *loaded = NULL;
    char why[512];
    if (program_from_bytecode(&bc, &compiled, why, sizeof why) < 0) {
        /* Only a const that fails when evaluated may stop a checked program loading. */
        if (strncmp(why, "const ", 6) != 0)
            abort();
        strbuf_free(&bytes);
        return 0;
    }
    if (program_load((const uint8_t *)bytes.data, bytes.len, &loaded, why, sizeof why) < 0)
        abort();   /* the verifier refused the compiler's own output */
    if (strcmp(compiled->hash, loaded->hash) != 0)
        abort();
    strbuf_free(&bytes);

    StrBuf listing = STRBUF_INIT;
    disasm_write(&loaded->bc, &listing);
    strbuf_free(&listing);

    if (loaded->bc.triggers_count > 0)
        run(loaded);
    program_free(compiled);
    program_free(loaded);
    return 0;
}
