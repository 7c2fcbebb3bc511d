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
#include "drive.h"
#include "front.h"
#include "strbuf.h"
#include "value.h"
#include "vm.h"

#define MAX_RESUMES 4

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void run(const Program *program)
{
    Value ev = small_data(0);
    Value meta = value_map_new(4);
    map_put(meta, "source", value_cstring("shop"));
    map_put(meta, "type", value_cstring("order"));
    map_put(meta, "id", value_cstring("e-1"));
    map_put(meta, "time", value_time(T0));
    Value case_info = value_map_new(3);
    map_put(case_info, "key", value_cstring("R-1"));
    map_put(case_info, "events", value_int(1));
    map_put(case_info, "started", value_time(T0));
    VmInput context = {VM_INPUT_EVENT, ev, T0, case_info, NULL, NULL};

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
        VmInput input = {kind, value, T0 + 3600000LL * (k + 1), case_info, NULL, NULL};
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
