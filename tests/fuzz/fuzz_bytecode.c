/*
 * fuzz_bytecode.c - libFuzzer target over the loader, the verifier and the VM.
 *
 * Each input is the bytes of a .hbc file, mutated from real `huddle build` outputs
 * (tests/fuzz/make_seeds.sh). program_load must refuse it with a reason, or accept it;
 * ../shared/design/RUNTIME.md promises that bad input never crashes the runtime, and a
 * program the verifier accepted must not be able to crash the VM either. So an accepted
 * program is:
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
 * (bc_read, bc_verify, disasm) or runtime/vm/ (program.c, frame.c, vm*.c).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bytecode.h"
#include "disasm.h"
#include "drive.h"
#include "strbuf.h"
#include "value.h"
#include "vm.h"

#define MAX_RESUMES 5

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

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
    Value ev_data = small_data(0);
    Value meta = value_map_new(4);
    map_put(meta, "source", value_cstring("shop"));
    map_put(meta, "type", value_cstring("refund"));
    map_put(meta, "id", value_cstring("e-1"));
    map_put(meta, "time", value_time(T0));
    Value case_info = value_map_new(3);
    map_put(case_info, "key", value_cstring("R-1"));
    map_put(case_info, "events", value_int(1));
    map_put(case_info, "started", value_time(T0));
    VmInput context = {VM_INPUT_EVENT, ev_data, T0, case_info, NULL, NULL};

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
        VmInput input = {kind, value, T0 + 3600000LL * (k + 1), case_info, NULL, NULL};
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
