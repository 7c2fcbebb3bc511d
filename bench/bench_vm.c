/*
 * bench_vm.c - how fast the compiler and the VM are: instructions per second, frame
 * round trips per second, and compile time per 1,000 lines.
 *
 * Three generated playbooks, all compiled with zero errors and zero warnings (else the
 * diagnostics are printed and the exit status is 1):
 *
 *   - VM: one state whose body is CHAIN_STMTS statements `set x = x + 1 + 2 + ... - K`
 *     (LOAD_LOCAL, PUSH_INT, ADD ... STORE_LOCAL: simple integer instructions), then
 *     `wait { after forever }`; and a second state doing the same through a fn call
 *     (`set x = chain(x) - K`, CALL_FN and RETURN on top). Each vm_start runs one step
 *     of about 400,000 instructions, counted by VmResult.instructions. A third row times
 *     tiny steps (a timer resuming a wait that goes straight back to waiting), which is
 *     the VM's fixed cost per step.
 *   - Frame: a suspended frame with 10 locals (integers, short and interpolated strings,
 *     two small maps, a list), its trigger data and meta; timed are frame_encode alone,
 *     frame_decode + frame_free alone, and the round trip (both): frame_measure in
 *     common.c, which bench_engine also runs for its table of issue 11's goals.
 *   - Compiler: a playbook of COMPILE_LINES+ lines built from a template (triggers with
 *     when and case, consts, fns, vars, states with lets, if / else if chains, tags,
 *     notes, calls with `else goto`, notifies, asks with escalation, `show` and `as`, and
 *     waits with when and after arms). Timed are front_compile (lex, parse, check),
 *     front_build (code generation), and both: the average of COMPILE_RUNS runs, scaled
 *     to 1,000 lines; then program_load of the .hbc (read, verify, hash, consts).
 *
 * Each figure is the best of BENCH_ROUNDS rounds, each round at least BENCH_MIN_SECONDS
 * of the thread's CPU time. Goals: 100 M instructions/s, 1 M frame round trips/s, 1,000
 * lines in 2 ms.
 *
 *   build/bench/bench_vm              the table
 *   build/bench/bench_vm --dump DIR   writes the three playbooks to DIR
 *   build/bench/bench_vm --only vm|frame|compile --seconds S   one part, for profiling
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bytecode.h"
#include "common.h"
#include "diag.h"
#include "front.h"
#include "strbuf.h"
#include "value.h"
#include "vm.h"

#define CHAIN_TERMS 60          /* additions per statement */
#define CHAIN_STMTS 3000        /* statements per state: about 370,000 instructions */
#define FN_TERMS 100            /* additions inside the fn */
#define FN_CALLS 1800
#define COMPILE_LINES 1000
#define COMPILE_RUNS 200
#define BENCH_ROUNDS 5
#define BENCH_MIN_SECONDS 0.25
#define T0 1781935200000LL

static double min_seconds = BENCH_MIN_SECONDS;

/* ---- the generated playbooks ------------------------------------------------------ */

static int triangle(int n)
{
    return n * (n + 1) / 2;
}

/* One state of CHAIN_STMTS `set x = x + 1 + ... + CHAIN_TERMS - K`, then a wait. */
static void gen_vm_inline(StrBuf *b)
{
    strbuf_puts(b, "playbook vm_inline \"long integer chains\"\n\non bench.run as ev\n\n"
                   "state inline {\n  let x = ev.n\n");
    for (int s = 0; s < CHAIN_STMTS; s++) {
        strbuf_puts(b, "  set x = x");
        for (int i = 1; i <= CHAIN_TERMS; i++)
            strbuf_printf(b, " + %d", i);
        strbuf_printf(b, " - %d\n", triangle(CHAIN_TERMS));
    }
    strbuf_puts(b, "  wait {\n    after 1d -> done \"x is {x}\"\n  }\n}\n");
}

/* The same additions inside a fn, called FN_CALLS times. */
static void gen_vm_fn(StrBuf *b)
{
    strbuf_puts(b, "playbook vm_fn \"integer chains in a fn\"\n\non bench.run as ev\n\nfn chain(a) = a");
    for (int i = 1; i <= FN_TERMS; i++)
        strbuf_printf(b, " + %d", i);
    strbuf_puts(b, "\n\nstate through_fn {\n  let y = ev.n\n");
    for (int s = 0; s < FN_CALLS; s++)
        strbuf_printf(b, "  set y = chain(y) - %d\n", triangle(FN_TERMS));
    strbuf_puts(b, "  wait {\n    after 1d -> done \"y is {y}\"\n  }\n}\n");
}

/* A wait whose timer comes straight back to the same wait: the cost of a step. */
static void gen_vm_tiny(StrBuf *b)
{
    strbuf_puts(b, "playbook vm_tiny \"tiny steps\"\n\non bench.run as ev\n\n"
                   "state tiny {\n  wait {\n    after 1h -> {\n"
                   "      if ev.stop ?? false {\n        done \"stopped\"\n      }\n"
                   "      goto tiny\n    }\n  }\n}\n");
}

/* A realistic playbook of at least `min_lines` lines. */
static void gen_compile(StrBuf *b, int min_lines)
{
    strbuf_puts(b,
        "playbook compile_bench \"Refund desk, long form\"\n"
        "\n"
        "on shop.refund as req\n"
        "  when req.amount > 0 and req.status == \"pending\"\n"
        "  case req.id for 14d\n"
        "on shop.update as upd\n"
        "  case upd.id\n"
        "\n"
        "const limit = 5000\n"
        "const window = 4h\n"
        "fn fee(amount, rate) = amount * rate / 100 + 2\n"
        "fn tier(amount) = if amount >= limit then \"large\" else if amount >= limit / 10 then \"medium\" else \"small\"\n"
        "fn label(r) = \"{r.customer ?? \"anonymous\"} ({r.region ?? \"none\"})\"\n"
        "\n"
        "var handled = 0\n"
        "var total = 0\n"
        "\n");
    int lines = 17;
    int states = 0;
    while (lines < min_lines - 10) {
        int i = states++;
        strbuf_printf(b,
            "# step %d: look the refund up, weigh it, ask, then wait for changes\n"
            "state step%d {\n"
            "  set handled = handled + 1\n"
            "  let amount = req.amount ?? 0\n"
            "  let share = amount * %d / 100 + fee(amount, %d)\n"
            "  let name = label(req)\n"
            "  set total = total + share\n"
            "  tag req.region ?? \"none\", tier(amount), \"step-%d\"\n"
            "  if share > limit {\n"
            "    note \"step %d: {share} is over {limit} for {name}\"\n"
            "  } else if share > limit / 2 and not (req.vip ?? false) {\n"
            "    note \"step %d: half way at {share}\"\n"
            "  } else {\n"
            "    note \"step %d: small share {share} ({handled} handled)\"\n"
            "  }\n"
            "  let found = call crm.lookup({id: req.id, step: %d, amount: amount}) else goto hold%d\n"
            "  notify team(\"ops-%d\"), person(\"olga\") \"Step %d for {req.id}: {found.status ?? \"unknown\"}\"\n"
            "  ask 2 of person(\"olga\"), team(\"finance\"), role(\"approver\", req.region ?? \"EU\")\n"
            "      \"Approve step %d of refund {req.id} ({share} of {amount})?\"\n"
            "      choices yes \"Yes\", no \"No\" with comment, later\n"
            "      within window\n"
            "      escalate to manager after 2h\n"
            "      show {share: share, name: name, found: found.id ?? null}\n"
            "      as decision\n"
            "  {\n"
            "    yes -> hold%d\n"
            "    else -> {\n"
            "      note \"{decision.choice} by {decision.by}: {decision.comment ?? \"no comment\"}\"\n"
            "      goto hold%d\n"
            "    }\n"
            "    no_quorum -> fail \"split at step %d\"\n"
            "    timeout -> fail \"timeout at step %d\"\n"
            "  }\n"
            "}\n"
            "\n"
            "state hold%d {\n"
            "  wait {\n"
            "    shop.update as u when (u.amount ?? 0) > %d and u.id == req.id -> next%d\n"
            "    after 1d -> next%d\n"
            "  }\n"
            "}\n"
            "\n"
            "state next%d {\n"
            "  send ledger.post({id: req.id, step: %d, total: total})\n"
            "  goto %s%d\n"
            "}\n"
            "\n",
            i, i, i % 50 + 1, i % 7 + 1, i, i, i, i, i, i, i % 5, i, i, i, i, i, i, i, i, i, i, i, i,
            "step", i + 1);
        lines += 48;
    }
    strbuf_printf(b, "state step%d {\n  done \"all {handled} steps, total {total}\"\n}\n", states);
}

static int count_lines(const char *text)
{
    int n = 0;
    for (; *text; text++)
        n += *text == '\n';
    return n;
}

/* ---- the VM ----------------------------------------------------------------------- */

typedef struct VmFigures {
    double inline_ips, fn_ips, steps_per_s;
    uint64_t inline_insns, fn_insns, tiny_insns;
} VmFigures;

static double vm_rate(const Program *program, Value data, uint64_t *per_step)
{
    VmInput context = {VM_INPUT_EVENT, data, T0, VALUE_NULL, NULL, NULL};
    double best = 0;
    for (int round = 0; round < BENCH_ROUNDS; round++) {
        uint64_t instructions = 0;
        double start = cpu_seconds(), elapsed;
        do {
            Frame *frame = NULL;
            VmResult result;
            vm_result_init(&result);
            VmStatus status = vm_start(program, 0, data, VALUE_NULL, &context, &frame, &result);
            if (status != VM_SUSPENDED)
                die("the VM benchmark stopped: %s", result.error);
            instructions += result.instructions;
            *per_step = result.instructions;
            vm_result_clear(&result);
            frame_free(frame);
            elapsed = cpu_seconds() - start;
        } while (elapsed < min_seconds);
        double rate = (double)instructions / elapsed;
        if (rate > best)
            best = rate;
    }
    return best;
}

static void bench_vm(VmFigures *out)
{
    StrBuf inline_pb = STRBUF_INIT, fn_pb = STRBUF_INIT, tiny_pb = STRBUF_INIT;
    gen_vm_inline(&inline_pb);
    gen_vm_fn(&fn_pb);
    gen_vm_tiny(&tiny_pb);
    Value data = value_map_new(1);
    value_map_set(data, "n", 1, value_int(7));
    Program *p_inline = program_of("vm_inline.play", strbuf_text(&inline_pb));
    Program *p_fn = program_of("vm_fn.play", strbuf_text(&fn_pb));
    Program *p_tiny = program_of("vm_tiny.play", strbuf_text(&tiny_pb));
    out->inline_ips = vm_rate(p_inline, data, &out->inline_insns);
    out->fn_ips = vm_rate(p_fn, data, &out->fn_insns);

/* Tiny steps: resume one frame with a timer again and again. */
    VmInput context = {VM_INPUT_EVENT, data, T0, VALUE_NULL, NULL, NULL};
    Frame *frame = NULL;
    VmResult result;
    vm_result_init(&result);
    if (vm_start(p_tiny, 0, data, VALUE_NULL, &context, &frame, &result) != VM_SUSPENDED)
        die("tiny: %s", result.error);
    vm_result_clear(&result);
    VmInput timer = {VM_INPUT_TIMER, VALUE_NULL, T0 + 3600000, VALUE_NULL, NULL, NULL};
    double best = 0;
    for (int round = 0; round < BENCH_ROUNDS; round++) {
        uint64_t steps = 0;
        double start = cpu_seconds(), elapsed;
        do {
            for (int i = 0; i < 1000; i++) {
                vm_result_init(&result);
                if (vm_resume(p_tiny, frame, &timer, &result) != VM_SUSPENDED)
                    die("tiny: %s", result.error);
                out->tiny_insns = result.instructions;
                vm_result_clear(&result);
            }
            steps += 1000;
            elapsed = cpu_seconds() - start;
        } while (elapsed < min_seconds);
        if ((double)steps / elapsed > best)
            best = (double)steps / elapsed;
    }
    out->steps_per_s = best;
    frame_free(frame);
    value_release(data);
    program_free(p_inline);
    program_free(p_fn);
    program_free(p_tiny);
    strbuf_free(&inline_pb);
    strbuf_free(&fn_pb);
    strbuf_free(&tiny_pb);
}

/* ---- the compiler ------------------------------------------------------------------ */

typedef struct CompileFigures {
    int lines;
    size_t bytes, hbc_bytes;
    uint32_t instructions;
    double check_ms, build_ms, both_ms, load_ms;   /* per run, for the whole playbook */
} CompileFigures;

static void bench_compile(CompileFigures *out)
{
    StrBuf text = STRBUF_INIT;
    gen_compile(&text, COMPILE_LINES);
    const char *src = strbuf_text(&text);
    out->lines = count_lines(src);
    out->bytes = text.len;
    Bytecode bc;
    compile_clean("compile.play", src, &bc);   /* dies unless clean */
    out->instructions = bc.code_count;
    StrBuf hbc = STRBUF_INIT;
    bc_write(&bc, &hbc);
    out->hbc_bytes = hbc.len;
    bc_free(&bc);

    double best_check = 1e9, best_build = 1e9, best_both = 1e9, best_load = 1e9;
    for (int round = 0; round < BENCH_ROUNDS; round++) {
        double check = 0, build = 0, load = 0;
        int runs = 0;
        double round_start = cpu_seconds();
        do {
            for (int i = 0; i < COMPILE_RUNS / 10; i++) {
                double t0 = cpu_seconds();
                Front *front = front_new();
                front_compile(front, "compile.play", src, text.len, NULL);
                double t1 = cpu_seconds();
                if (front_build(front, &bc) < 0)
                    die("front_build failed");
                double t2 = cpu_seconds();
                front_free(front);
                bc_free(&bc);
                Program *program = NULL;
                char why[256];
                double t3 = cpu_seconds();
                if (program_load((const uint8_t *)hbc.data, hbc.len, &program, why, sizeof why) < 0)
                    die("program_load: %s", why);
                double t4 = cpu_seconds();
                program_free(program);
                check += t1 - t0;
                build += t2 - t1;
                load += t4 - t3;
                runs++;
            }
        } while (runs < COMPILE_RUNS || cpu_seconds() - round_start < min_seconds);
        if (check / runs < best_check)
            best_check = check / runs;
        if (build / runs < best_build)
            best_build = build / runs;
        if ((check + build) / runs < best_both)
            best_both = (check + build) / runs;
        if (load / runs < best_load)
            best_load = load / runs;
    }
    out->check_ms = best_check * 1e3;
    out->build_ms = best_build * 1e3;
    out->both_ms = best_both * 1e3;
    out->load_ms = best_load * 1e3;
    strbuf_free(&hbc);
    strbuf_free(&text);
}

/* ---- output ------------------------------------------------------------------------ */

static void gen_compile_default(StrBuf *b)
{
    gen_compile(b, COMPILE_LINES);
}

static void dump(const char *dir)
{
    static const struct { const char *name; void (*gen)(StrBuf *); } files[] = {
        {"vm_inline.play", gen_vm_inline},
        {"vm_fn.play", gen_vm_fn},
        {"vm_tiny.play", gen_vm_tiny},
        {"frame_bench.play", frame_play},
        {"compile_bench.play", gen_compile_default},
    };
    for (size_t i = 0; i < sizeof files / sizeof *files; i++) {
        StrBuf text = STRBUF_INIT;
        files[i].gen(&text);
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", dir, files[i].name);
        FILE *f = fopen(path, "w");
        if (!f || fwrite(text.data, 1, text.len, f) != text.len || fclose(f) != 0)
            die("can't write %s", path);
        printf("%s: %d lines\n", path, count_lines(strbuf_text(&text)));
        strbuf_free(&text);
    }
}

static const char *verdict(double value, double goal, bool lower_is_better)
{
    bool met = lower_is_better ? value <= goal : value >= goal;
    return met ? "met" : "BELOW GOAL";
}

int main(int argc, char **argv)
{
    bench_name = "bench_vm";
    const char *only = NULL;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--dump") == 0 && i + 1 < argc) {
            dump(argv[i + 1]);
            return 0;
        } else if (strcmp(argv[i], "--only") == 0 && i + 1 < argc) {
            only = argv[++i];
        } else if (strcmp(argv[i], "--seconds") == 0 && i + 1 < argc) {
            min_seconds = atof(argv[++i]);
        } else {
            fprintf(stderr, "usage: bench_vm [--dump DIR] [--only vm|frame|compile] [--seconds S]\n");
            return 2;
        }
    }
    char a[32], b[32], c[32];
    printf("compiler and VM (best of %d rounds of at least %.2f s of thread CPU time each)\n\n",
           BENCH_ROUNDS, min_seconds);
    printf("| metric | value | goal |\n| --- | ---: | --- |\n");
    if (!only || strcmp(only, "vm") == 0) {
        VmFigures vm;
        bench_vm(&vm);
        printf("| VM, integer chains in a state (%s instructions a step) | **%s instructions/s** | 100,000,000: %s |\n",
               group(a, sizeof a, (double)vm.inline_insns), group(b, sizeof b, vm.inline_ips),
               verdict(vm.inline_ips, 1e8, false));
        printf("| VM, the same through a fn call (%s instructions a step) | %s instructions/s | |\n",
               group(a, sizeof a, (double)vm.fn_insns), group(b, sizeof b, vm.fn_ips));
        printf("| VM, tiny steps (a timer resuming a wait, %llu instructions) | %s steps/s | |\n",
               (unsigned long long)vm.tiny_insns, group(c, sizeof c, vm.steps_per_s));
    }
    if (!only || strcmp(only, "frame") == 0) {
        FrameFigures fr;
        frame_measure(&fr, false, BENCH_ROUNDS, min_seconds);
        printf("| frame with %u locals (%zu bytes): encode | %s frames/s | |\n", fr.locals, fr.bytes,
               group(a, sizeof a, fr.encode_per_s));
        printf("| same frame: decode + free | %s frames/s | |\n", group(a, sizeof a, fr.decode_per_s));
        printf("| same frame: **round trip** (encode, decode, free) | **%s round trips/s** | 1,000,000: %s |\n",
               group(a, sizeof a, fr.round_trips_per_s), verdict(fr.round_trips_per_s, 1e6, false));
    }
    if (!only || strcmp(only, "compile") == 0) {
        CompileFigures cf;
        bench_compile(&cf);
        double per_k = 1000.0 / cf.lines;
        printf("| compile: playbook of %d lines, %zu bytes -> %u instructions, %zu-byte .hbc | | |\n",
               cf.lines, cf.bytes, cf.instructions, cf.hbc_bytes);
        printf("| compile: front_compile (lex, parse, check) per 1,000 lines | %.3f ms | |\n", cf.check_ms * per_k);
        printf("| compile: front_build (code generation) per 1,000 lines | %.3f ms | |\n", cf.build_ms * per_k);
        printf("| compile: **both, per 1,000 lines** | **%.3f ms** | 2 ms: %s |\n", cf.both_ms * per_k,
               verdict(cf.both_ms * per_k, 2.0, true));
        printf("| load: program_load of its .hbc (read, verify, hash, consts) | %.3f ms | |\n", cf.load_ms);
    }
    return 0;
}
