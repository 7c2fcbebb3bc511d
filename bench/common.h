/*
 * common.h - the helpers the benchmark programs (bench/bench_*.c) share: clocks, dying
 * with the program's name, thousands separators, a temporary folder removed at exit, the
 * table of rows and notes, finding and running the huddle binary, a store with its
 * engine opened for a run, raw LMDB (the baseline a figure is compared with), and the
 * frame round trip (timed by bench_vm, and again for bench_engine's goals table).
 *
 * Not a benchmark itself (the Makefile builds every bench/bench_*.c as one, and links
 * this file into each). A program sets bench_name first thing in main.
 */
#ifndef HUDDLE_BENCH_COMMON_H
#define HUDDLE_BENCH_COMMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <lmdb.h>

#include "engine_internal.h"
#include "store.h"
#include "strbuf.h"

/* The program's name, the prefix of die()'s messages ("bench" until main sets it). */
extern const char *bench_name;

/* ---- clocks, errors, numbers ---------------------------------------------------- */

/* Monotonic wall-clock time in seconds. */
double wall_seconds(void);

/* This thread's CPU time in seconds (on a shared machine it moves far less with load). */
double cpu_seconds(void);

/* Prints "bench_name: " and the message to stderr, and exits 1. */
__attribute__((noreturn, format(printf, 1, 2)))
void die(const char *format, ...);

/* Writes `value` rounded with thousands separators (1234567 -> "1,234,567") into out. */
const char *group(char *out, size_t size, double value);

/* The q-quantile (nearest rank) of `n` values, sorted in place. */
double quantile(double *values, size_t n, double q);

/* A command-line count: a whole number above 0, else die(). */
size_t size_arg(const char *text);

/* ---- the temporary folder ---------------------------------------------------------- */

extern char tmp_root[64];       /* the run's temporary folder, made by tmp_root_make */
extern bool keep_tmp;           /* --keep: leave it in place at exit */

/* Makes tmp_root from a mkdtemp pattern ("/tmp/...-XXXXXX"); removed at exit unless keep_tmp. */
void tmp_root_make(const char *pattern);

/* out = tmp_root/name. */
void path_in(char *out, size_t size, const char *name);

/* Removes a file or a folder and all it holds (a store that is no longer needed). */
void path_remove(const char *path);

/* ---- the table ---------------------------------------------------------------------- */

/* One row of a program's table; raw and ratio are bench_engine's raw-LMDB columns. */
typedef struct Row {
    char metric[72], value[32], raw[24], ratio[12], goal[40], verdict[8];
} Row;

#define ROWS_MAX 64
extern Row rows[ROWS_MAX];            /* the rows so far, printed by each program its own way */
extern unsigned row_count;

/* Appends a row with its metric and value (goal, verdict and raw columns empty). */
Row *row_add(const char *metric, const char *value);

/* Sets a row's goal and its verdict, "met" or "MISSED". */
void row_goal(Row *r, const char *goal, bool met);

/* Adds a note, printed under the table by print_tail. */
__attribute__((format(printf, 1, 2)))
void note(const char *format, ...);

/* Prints the notes, then the run's seconds since `started` and whether tmp_root was kept. */
void print_tail(double started);

/* ---- the huddle binary -------------------------------------------------------------- */

/* HUDDLE_BIN, else ./bin/huddle, else bin/huddle beside this binary's build/ (in buf); or NULL. */
const char *huddle_bin(char *buf, size_t size);

/* Runs argv, `input` on stdin, stdout to /dev/null: wall seconds fork to exit; wait status in *status. */
double run_timed(char *const argv[], const char *input, int *status);

/* Playbook bench_steps: start, wait for a second bench.go of the same case, done. */
extern const char STEPS_PLAY[];

/* Compiles playbook source into *bc; prints up to 10 diagnostics and dies unless it has none. */
void compile_clean(const char *name, const char *text, Bytecode *bc);

/* The same, loaded as a Program (program_free frees it). */
Program *program_of(const char *name, const char *text);

/* Compiles playbook source in memory into .hbc bytes; dies unless it checks clean. */
void compile_play(const char *name, const char *text, StrBuf *bytes);

/* `huddle check` of bench_steps.play and `name` (written to tmp_root): dies on problems; no binary: a note. */
void huddle_check(const char *name, const char *text);

/* ---- a store and its engine --------------------------------------------------------- */

typedef struct Bench {
    Store *store;
    Engine *engine;
} Bench;

/* Opens (creating) the store in `dir` and an engine on it; dies on failure. */
void bench_open(Bench *b, const char *dir, bool no_sync);

/* Frees the engine and closes the store. */
void bench_close(Bench *b);

/* Deploys compiled playbook bytes at engine time `now`; dies on failure. */
void bench_deploy(Bench *b, const StrBuf *bytes, int64_t now);

/* engine_apply_batch of `count` inputs; dies unless each one applied and none was a duplicate. */
void bench_batch(Bench *b, EngineInput *inputs, size_t count, int64_t now);

typedef struct Census {
    const char *needle;         /* counted in `matching` */
    StoreTable table;
    size_t entries, matching;
} Census;

/* Counts a table's entries (the history's: its records, however many an entry holds),
   and those whose record, read through the codec and written as compact JSON text,
   holds `needle` (NULL: none; not for the history). */
Census census(Bench *b, StoreTable table, const char *needle);

/* ---- raw LMDB, the baseline a figure is compared with ------------------------------ */

#define RAW_VALUE_MAX 256       /* the largest value raw_put writes */

typedef struct Raw {
    MDB_env *env;
    MDB_dbi a, b;
} Raw;

/* Dies with the LMDB error unless rc is MDB_SUCCESS. */
void raw_check(int rc, const char *what);

/* Opens (creating) an LMDB environment in `dir` with tables a and b; full sync unless no_sync. */
void raw_open(Raw *r, const char *dir, bool no_sync, size_t map);
void raw_close(Raw *r);

/* Puts key `number` (8 bytes, big-endian) with `value_len` bytes (<= RAW_VALUE_MAX) into dbi. */
void raw_put(MDB_txn *txn, MDB_dbi dbi, uint64_t number, size_t value_len);

/* `count` puts of `value_len` bytes into table a, `per_txn` to a commit; the seconds taken. */
double raw_puts(Raw *r, uint64_t first, size_t count, size_t per_txn, size_t value_len);

/* ---- frame round trips (bench_vm's row, and bench_engine's goals table) ---------- */

/* The frame_bench playbook: one state with 10 locals (integers, short and interpolated
   strings, two small maps, a list), then a wait. */
void frame_play(StrBuf *b);

typedef struct FrameFigures {
    double encode_per_s, decode_per_s, round_trips_per_s;
    size_t bytes;               /* the encoded frame */
    uint32_t locals;
} FrameFigures;

/* Suspends a frame_bench frame (with its trigger data and meta) and times frame_encode
   alone, frame_decode + frame_free alone, and the round trip (both; only this one when
   round_trip_only): each the best of `rounds` rounds of at least `min_seconds` of this
   thread's CPU time. */
void frame_measure(FrameFigures *out, bool round_trip_only, int rounds, double min_seconds);

#endif
