/*
 * test_front_oom.c - out of memory in the front end (lexer, parser, checker, compiler) is
 * an error value, never an abort (issue 8): the Nth allocation fails, for every N along
 * one compilation of a playbook that uses a stdlib module, and front_compile /
 * front_build must then say so (Front.out_of_memory, BC_NO_MEMORY) and free everything
 * (the ASan build of this test checks the leaks); with no failure they compile it.
 *
 * Linked with -Wl,--wrap=malloc,calloc,realloc,strdup,strndup like test_oom (the
 * Makefile's OOM_UNITS), so every allocation of our code goes through the failing
 * allocator, tests/unit/oom/failing_alloc.h; flex's and bison's too.
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

/* A module, consts, a fn, vars, a trigger with `when`, an ask with escalation, a wait,
   a call with `else`, interpolated strings: most of what the front end builds. */
static const char PLAY[] =
    "playbook front_oom \"every stage of the front end\"\n"
    "use text\n"
    "\n"
    "on ops.case as c when c.severity >= 2\n"
    "\n"
    "const limit = 3\n"
    "fn twice(n) = n * 2 + limit\n"
    "var seen = []\n"
    "\n"
    "state open {\n"
    "  let parts = split(c.ref, \"-\")\n"
    "  set seen = seen + [join(parts, \"+\"), twice(len(parts))]\n"
    "  if len(parts) > limit { tag \"long\" } else if len(parts) == 1 { tag \"short\" }\n"
    "  note \"opened {c.ref} with {len(seen)} seen\"\n"
    "  ask 1 of person(\"ann\"), person(\"bob\") \"Close {c.ref}? {text.plural(len(parts), \"part\")}\"\n"
    "      choices yes, no \"Keep it\" with comment\n"
    "      within 2h\n"
    "      escalate to manager after 1h\n"
    "  {\n"
    "    yes -> closing\n"
    "    no  -> fail \"kept {c.ref}\"\n"
    "    timeout -> fail \"no answer\"\n"
    "  }\n"
    "}\n"
    "\n"
    "state closing {\n"
    "  wait {\n"
    "    after 1h -> done \"closed {c.ref} after {seen}\"\n"
    "  }\n"
    "}\n";

typedef enum Outcome { COMPILED, OUT_OF_MEMORY } Outcome;

/* One compilation with allocation `fail_at` failing (0: none). Nothing else may happen:
   it compiles, or it says it ran out of memory. */
static Outcome compile_once(long fail_at, long *made)
{
    oom_arm(fail_at);
    Outcome outcome = OUT_OF_MEMORY;
    Front *front = front_new();
    if (front) {
        front_compile(front, "front_oom.play", PLAY, strlen(PLAY), NULL);
        if (front->out_of_memory) {
            assert_true(front->diags.errors > 0);
            assert_null(front->program);
        } else {
            if (front->diags.errors)
                print_error("allocation %ld: %u errors, first: %s\n", fail_at, front->diags.errors,
                            front->diags.count ? front->diags.items[0].message : "(none)");
            assert_int_equal(front->diags.errors, 0);
            Bytecode bc;
            int rc = front_build(front, &bc);
            if (rc == BC_NO_MEMORY) {
                assert_true(front->out_of_memory);
            } else {
                assert_int_equal(rc, 0);
                assert_false(front->out_of_memory);
                assert_true(bc.code_count > 0);
                bc_free(&bc);
                outcome = COMPILED;
            }
        }
        front_free(front);
    }
    *made = oom_made();
    bool failed = oom_failed();
    oom_disarm();
    /* An allocation that failed can never end in a compiled program. */
    if (failed)
        assert_int_equal(outcome, OUT_OF_MEMORY);
    return outcome;
}

static void compiles_without_failures(void **state)
{
    (void)state;
    long made;
    assert_int_equal(compile_once(0, &made), COMPILED);
    assert_true(made > 20);
}

static void every_failing_allocation_is_reported(void **state)
{
    (void)state;
    long total;
    compile_once(0, &total);
    unsigned reported = 0;
    for (long n = 1; n <= total; n++) {
        long made;
        if (compile_once(n, &made) == OUT_OF_MEMORY)
            reported++;
    }
    /* Every one of them ran out for real (none was optional), so each was reported. */
    assert_true(reported > 0);
    print_message("# %ld allocations, each failed once: %u reported out of memory\n", total, reported);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(compiles_without_failures),
        cmocka_unit_test(every_failing_allocation_is_reported),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
