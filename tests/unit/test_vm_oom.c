/*
 * test_vm_oom.c - out of memory in the value layer and the VM is an error value, never a
 * crash (issue 8): the Nth allocation fails, for each N, along one VM call, and the call
 * must end with the VM's out-of-memory result (VM_ERROR with no_memory, nothing else in
 * the result) and free everything (the ASan build of this test checks the leaks).
 *
 * Linked with -Wl,--wrap=malloc,calloc,realloc,strdup,strndup like test_oom (the
 * Makefile's unit rules), so every allocation of our code goes through the failing
 * allocator, tests/unit/oom/failing_alloc.h.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "bytecode.h"
#include "failing_alloc.h"
#include "front.h"
#include "strbuf.h"
#include "value.h"
#include "vm.h"

/* ---- the playbook ---------------------------------------------------------------------- */

/* Strings, lists, maps, concatenation, builtins and every kind of effect, then an ask. */
static const char PLAY[] =
    "playbook vm_oom \"values on the heap at every step\"\n"
    "\n"
    "on ops.case as c\n"
    "\n"
    "const prefix = upper(\"case-\")\n"
    "var seen = []\n"
    "\n"
    "state open {\n"
    "  let parts = split(c.ref, \"-\")\n"
    "  let info = {ref: c.ref, parts: parts, n: len(parts), big: keys(c)}\n"
    "  set seen = seen + [join(parts, \"+\"), string(info)]\n"
    "  tag \"{prefix}{c.ref}\", json(info)\n"
    "  note \"opened {c.ref} with {len(seen)} seen\"\n"
    "  send chat.post({text: \"case {c.ref}\", parts: parts})\n"
    "  notify person(\"ann\") \"case {c.ref}: {format_time(now(), \"%Y-%m-%d\")}\"\n"
    "  ask any of person(\"ann\"), person(\"bob\") \"Close {c.ref}?\"\n"
    "      choices yes, no\n"
    "      within 2h\n"
    "  {\n"
    "    yes -> done \"closed {c.ref} after {seen}\"\n"
    "    no  -> fail \"kept {c.ref}\"\n"
    "    timeout -> fail \"no answer\"\n"
    "  }\n"
    "}\n";

#define T0 1780387200000LL

typedef struct Fixture {
    Program *program;
    StrBuf hbc;
    Value data, meta, answer;
} Fixture;

static Value map_of(const char *const *pairs, unsigned n)
{
    Value map = value_map_new(n);
    for (unsigned i = 0; i < n; i++)
        assert_true(value_map_set(map, pairs[2 * i], strlen(pairs[2 * i]), value_cstring(pairs[2 * i + 1])));
    return map;
}

static int setup(void **state)
{
    Fixture *f = calloc(1, sizeof *f);
    Front *front = front_new();
    assert_non_null(front);
    front_compile(front, "vm_oom.play", PLAY, strlen(PLAY), NULL);
    assert_int_equal(front->diags.errors, 0);
    Bytecode bc;
    assert_int_equal(front_build(front, &bc), 0);
    front_free(front);
    bc_write(&bc, &f->hbc);
    char why[256] = "";
    assert_int_equal(program_from_bytecode(&bc, &f->program, why, sizeof why), 0);
    static const char *const DATA[] = {"ref", "CHG-7-B", "title", "disk full"};
    static const char *const META[] = {"source", "ops", "type", "case", "id", "e1"};
    static const char *const ANSWER[] = {"choice", "yes", "by", "ann"};
    f->data = map_of(DATA, 2);
    f->meta = map_of(META, 3);
    f->answer = map_of(ANSWER, 2);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    Fixture *f = *state;
    program_free(f->program);
    strbuf_free(&f->hbc);
    value_release(f->data);
    value_release(f->meta);
    value_release(f->answer);
    free(f);
    return 0;
}

/* ---- the runs ------------------------------------------------------------------------ */

static VmStatus start(Fixture *f, Frame **frame, VmResult *result)
{
    VmInput context = {VM_INPUT_EVENT, f->data, T0, VALUE_NULL, NULL, NULL};
    return vm_start(f->program, 0, f->data, f->meta, &context, frame, result);
}

/* A run that ran out of memory: the out-of-memory result and nothing else in it. */
static void assert_no_memory(VmStatus status, const VmResult *r, long at)
{
    if (status != VM_ERROR || !r->no_memory)
        fail_msg("allocation %ld failed and the VM said status %d (%s)", at, (int)status, r->error);
    assert_string_equal(r->error, "out of memory");
    assert_int_equal(r->effect_count, 0);
    assert_int_equal(r->suspension.type, VAL_NULL);
    assert_int_equal(r->outcome.type, VAL_NULL);
}

/* What a run left: its status, effects, suspension and outcome, as text. */
static char *run_text(VmStatus status, const VmResult *r)
{
    StrBuf out = STRBUF_INIT;
    strbuf_printf(&out, "status %d, effects", (int)status);
    for (uint32_t i = 0; i < r->effect_count; i++) {
        strbuf_printf(&out, " %d:", (int)r->effects[i].kind);
        value_write_json(r->effects[i].value, &out);
    }
    strbuf_puts(&out, ", suspension ");
    value_write_json(r->suspension, &out);
    strbuf_puts(&out, ", outcome ");
    value_write_json(r->outcome, &out);
    return strbuf_take(&out);
}

typedef VmStatus (*Run)(Fixture *f, VmResult *result, Frame **frame);

/* Runs `run` with allocation `at` failing (-1: none, counting only); returns what it
   left as text (run_text), or NULL for the out-of-memory result. *made: allocations. */
static char *run_failing(Fixture *f, Run run, long at, long *made)
{
    Frame *frame = NULL;
    VmResult r;
    vm_result_init(&r);
    oom_arm(at);
    VmStatus status = run(f, &r, &frame);
    *made = oom_made();
    oom_disarm();
    char *text = NULL;
    if (status == VM_ERROR && r.no_memory)
        assert_no_memory(status, &r, at);
    else
        text = run_text(status, &r);
    vm_result_clear(&r);
    frame_free(frame);
    return text;
}

/* Fails allocation 1, 2, ... of `run` in turn. Each run must end with the out-of-memory
   result, or (a failure the value layer absorbs: a big map's index, value.c) exactly as a
   clean run. */
static void fail_each(Fixture *f, Run run, VmStatus want)
{
    long made, again;
    free(run_failing(f, run, -1, &made));   /* what a process makes once (the VM's shared
                                               keys, vm.c) is made before counting */
    char *clean = run_failing(f, run, -1, &made);
    assert_non_null(clean);
    char prefix[32];
    snprintf(prefix, sizeof prefix, "status %d,", (int)want);
    assert_memory_equal(clean, prefix, strlen(prefix));
    assert_true(made >= 2);
    for (long at = 1; at <= made; at++) {
        char *text = run_failing(f, run, at, &again);
        assert_true(oom_failed());
        if (text && strcmp(text, clean) != 0)
            fail_msg("allocation %ld failed and the run went on wrong: %s", at, text);
        free(text);
    }
    char *after = run_failing(f, run, -1, &again);   /* nothing left behind */
    assert_string_equal(after, clean);
    assert_int_equal(again, made);
    free(after);
    free(clean);
}

static VmStatus run_start(Fixture *f, VmResult *result, Frame **frame)
{
    return start(f, frame, result);
}

/* Starts without failure, then resumes with the answer: only the resume is counted. */
static VmStatus run_answer(Fixture *f, VmResult *result, Frame **frame)
{
    long armed = oom_armed();
    oom_disarm();
    VmResult first;
    vm_result_init(&first);
    assert_int_equal(start(f, frame, &first), VM_SUSPENDED);
    vm_result_clear(&first);
    oom_arm(armed);
    VmInput input = {VM_INPUT_ANSWER, f->answer, T0 + 60000, VALUE_NULL, NULL, NULL};
    return vm_resume(f->program, *frame, &input, result);
}

static void test_start_each_allocation(void **state) { fail_each(*state, run_start, VM_SUSPENDED); }
static void test_resume_each_allocation(void **state) { fail_each(*state, run_answer, VM_DONE); }

/* A suspended frame's bytes, decoded with each allocation failing: refused as out of
   memory, never as a corrupt frame, and nothing leaks. */
static void test_frame_decode_each_allocation(void **state)
{
    Fixture *f = *state;
    Frame *frame = NULL;
    VmResult r;
    vm_result_init(&r);
    assert_int_equal(start(f, &frame, &r), VM_SUSPENDED);
    vm_result_clear(&r);
    StrBuf bytes = STRBUF_INIT;
    frame_encode(frame, &bytes);
    frame_free(frame);
    assert_false(strbuf_failed(&bytes));
    char why[256];
    for (long at = 1;; at++) {
        oom_arm(at);
        Frame *back = frame_decode(f->program, (const uint8_t *)bytes.data, bytes.len, why, sizeof why);
        oom_disarm();
        if (!oom_failed()) {
            assert_non_null(back);
            frame_free(back);
            break;
        }
        assert_null(back);
        assert_string_equal(why, "out of memory reading a frame");
    }
    strbuf_free(&bytes);
}

/* program_load with each allocation failing: BC_NO_MEMORY, never a refusal. */
static void test_program_load_each_allocation(void **state)
{
    Fixture *f = *state;
    char why[256];
    for (long at = 1;; at++) {
        Program *program = NULL;
        oom_arm(at);
        int rc = program_load((const uint8_t *)f->hbc.data, f->hbc.len, &program, why, sizeof why);
        oom_disarm();
        if (!oom_failed()) {
            assert_int_equal(rc, 0);
            program_free(program);
            break;
        }
        if (rc != BC_NO_MEMORY)
            fail_msg("allocation %ld failed and program_load said %d (%s)", at, rc, why);
    }
}

/* The value layer on its own: a failed constructor gives null and counts; pushing or
   setting into null releases the item; a failed buffer holds nothing. */
static void test_values_and_buffers(void **state)
{
    (void)state;
    uint64_t before = value_oom_count();
    oom_arm(1);
    Value list = value_list_new(2);
    oom_disarm();
    assert_int_equal(list.type, VAL_NULL);
    assert_int_equal(value_oom_count(), before + 1);
    assert_false(value_list_push(list, value_cstring("released, not leaked")));
    assert_false(value_map_set(VALUE_NULL, "k", 1, value_cstring("released too")));

    Value map = value_map_new(0);
    oom_arm(2);   /* the keys array grows (1), the values array (2) fails */
    assert_false(value_map_set(map, "k", 1, value_cstring("x")));
    oom_disarm();
    assert_int_equal(map.as.map->count, 0);
    assert_true(value_map_set(map, "k", 1, value_cstring("x")));
    assert_int_equal(map.as.map->count, 1);
    value_release(map);

    StrBuf text = STRBUF_INIT;
    strbuf_puts(&text, "before");
    oom_arm(1);
    strbuf_printf(&text, "%0200d", 7);   /* must grow: fails */
    oom_disarm();
    assert_true(strbuf_failed(&text));
    strbuf_puts(&text, "after: a no-op");
    assert_string_equal(strbuf_text(&text), "");
    before = value_oom_count();
    assert_int_equal(value_string_take(&text).type, VAL_NULL);
    assert_int_equal(value_oom_count(), before + 1);
    assert_false(strbuf_failed(&text));   /* taken: empty and usable again */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_values_and_buffers),
        cmocka_unit_test(test_start_each_allocation),
        cmocka_unit_test(test_resume_each_allocation),
        cmocka_unit_test(test_frame_decode_each_allocation),
        cmocka_unit_test(test_program_load_each_allocation),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
