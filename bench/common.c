/*
 * common.c - the helpers the benchmark programs share; see common.h.
 */
#include "common.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bytecode.h"
#include "diag.h"
#include "engine_codec.h"
#include "front.h"
#include "value.h"
#include "vm.h"

const char *bench_name = "bench";

/* ---- clocks, errors, numbers ---------------------------------------------------- */

static double clock_seconds(clockid_t clock)
{
    struct timespec ts;
    clock_gettime(clock, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

double wall_seconds(void)
{
    return clock_seconds(CLOCK_MONOTONIC);
}

double cpu_seconds(void)
{
    return clock_seconds(CLOCK_THREAD_CPUTIME_ID);
}

void die(const char *format, ...)
{
    va_list ap;
    va_start(ap, format);
    fprintf(stderr, "%s: ", bench_name);
    vfprintf(stderr, format, ap);
    fputc('\n', stderr);
    va_end(ap);
    exit(1);
}

const char *group(char *out, size_t size, double value)
{
    char digits[32];
    snprintf(digits, sizeof digits, "%.0f", value);
    size_t n = strlen(digits), o = 0;
    for (size_t k = 0; k < n && o + 2 < size; k++) {
        if (k > 0 && digits[k - 1] != '-' && (n - k) % 3 == 0)
            out[o++] = ',';
        out[o++] = digits[k];
    }
    out[o] = '\0';
    return out;
}

static int compare_doubles(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

double quantile(double *values, size_t n, double q)
{
    qsort(values, n, sizeof *values, compare_doubles);
    size_t rank = (size_t)(q * (double)n + 0.999999);
    if (rank < 1)
        rank = 1;
    return values[rank > n ? n - 1 : rank - 1];
}

size_t size_arg(const char *text)
{
    char *end;
    unsigned long long v = strtoull(text, &end, 10);
    if (*end || v == 0)
        die("not a count: %s", text);
    return (size_t)v;
}

/* ---- the temporary folder ---------------------------------------------------------- */

char tmp_root[64];
bool keep_tmp;

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    remove(path);
    return 0;
}

void path_remove(const char *path)
{
    nftw(path, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static void cleanup(void)
{
    if (tmp_root[0] && !keep_tmp)
        path_remove(tmp_root);
}

void tmp_root_make(const char *pattern)
{
    snprintf(tmp_root, sizeof tmp_root, "%s", pattern);
    if (!mkdtemp(tmp_root))
        die("mkdtemp: %s", strerror(errno));
    atexit(cleanup);
}

void path_in(char *out, size_t size, const char *name)
{
    snprintf(out, size, "%s/%s", tmp_root, name);
}

/* ---- the table ---------------------------------------------------------------------- */

Row rows[ROWS_MAX];
unsigned row_count;
static char notes[32][200];
static unsigned note_count;

Row *row_add(const char *metric, const char *value)
{
    if (row_count == ROWS_MAX)
        die("more than %d rows: raise ROWS_MAX", ROWS_MAX);
    Row *r = &rows[row_count++];
    memset(r, 0, sizeof *r);
    snprintf(r->metric, sizeof r->metric, "%s", metric);
    snprintf(r->value, sizeof r->value, "%s", value);
    return r;
}

void row_goal(Row *r, const char *goal, bool met)
{
    snprintf(r->goal, sizeof r->goal, "%s", goal);
    snprintf(r->verdict, sizeof r->verdict, "%s", met ? "met" : "MISSED");
}

void note(const char *format, ...)
{
    if (note_count == sizeof notes / sizeof *notes)
        die("more than %zu notes", sizeof notes / sizeof *notes);
    va_list ap;
    va_start(ap, format);
    vsnprintf(notes[note_count++], sizeof notes[0], format, ap);
    va_end(ap);
}

void print_tail(double started)
{
    for (unsigned i = 0; i < note_count; i++)
        printf("  note: %s\n", notes[i]);
    printf("  (whole benchmark: %.0f s; temporary stores under %s%s)\n", wall_seconds() - started, tmp_root,
           keep_tmp ? ", kept" : ", removed");
}

/* ---- the huddle binary -------------------------------------------------------------- */

const char *huddle_bin(char *buf, size_t size)
{
    const char *env = getenv("HUDDLE_BIN");
    if (env && *env)
        return env;
    if (access("bin/huddle", X_OK) == 0)
        return "bin/huddle";
    ssize_t n = readlink("/proc/self/exe", buf, size - 1);
    if (n <= 0)
        return NULL;
    buf[n] = '\0';
    /* .../build/bench/bench_x -> .../bin/huddle */
    int up = 0;
    for (char *slash; up < 3 && (slash = strrchr(buf, '/')) != NULL; up++)
        *slash = '\0';
    size_t used = strlen(buf);
    if (up != 3 || used + sizeof "/bin/huddle" > size)
        return NULL;
    memcpy(buf + used, "/bin/huddle", sizeof "/bin/huddle");
    return access(buf, X_OK) == 0 ? buf : NULL;
}

double run_timed(char *const argv[], const char *input, int *status)
{
    int fds[2];
    if (pipe(fds) != 0)
        die("pipe: %s", strerror(errno));
    if (write(fds[1], input, strlen(input)) != (ssize_t)strlen(input))
        die("write: %s", strerror(errno));
    close(fds[1]);
    fflush(NULL);
    double t0 = wall_seconds();
    pid_t pid = fork();
    if (pid < 0)
        die("fork: %s", strerror(errno));
    if (pid == 0) {
        dup2(fds[0], 0);
        close(fds[0]);
        int null = open("/dev/null", O_WRONLY);
        dup2(null, 1);
        execv(argv[0], argv);
        _exit(127);
    }
    waitpid(pid, status, 0);
    double elapsed = wall_seconds() - t0;
    close(fds[0]);
    return elapsed;
}

const char STEPS_PLAY[] =
    "playbook bench_steps\n"
    "\n"
    "on bench.go as e case e.k\n"
    "\n"
    "state start {\n"
    "  goto waiting\n"
    "}\n"
    "\n"
    "state waiting {\n"
    "  wait {\n"
    "    bench.go as more -> finish\n"
    "    after forever\n"
    "  }\n"
    "}\n"
    "\n"
    "state finish {\n"
    "  done \"ok\"\n"
    "}\n";

void compile_clean(const char *name, const char *text, Bytecode *bc)
{
    Front *front = front_new();
    if (!front)
        die("out of memory");
    front_compile(front, name, text, strlen(text), NULL);
    if (front->diags.count) {
        StrBuf out = STRBUF_INIT;
        for (unsigned i = 0; i < front->diags.count && i < 10; i++)
            diag_render_text(&front->diags.items[i], &out);
        fputs(strbuf_text(&out), stderr);
        strbuf_free(&out);
        die("%s: the playbook has %u diagnostics", name, front->diags.count);
    }
    if (front_build(front, bc) < 0)
        die("%s: front_build failed", name);
    front_free(front);
}

Program *program_of(const char *name, const char *text)
{
    Bytecode bc;
    compile_clean(name, text, &bc);
    Program *program = NULL;
    char why[256];
    if (program_from_bytecode(&bc, &program, why, sizeof why) < 0)
        die("%s: %s", name, why);
    return program;
}

void compile_play(const char *name, const char *text, StrBuf *bytes)
{
    Bytecode bc;
    compile_clean(name, text, &bc);
    bc_write(&bc, bytes);
    bc_free(&bc);
}

void huddle_check(const char *name, const char *text)
{
    char bin_buf[4096], steps_path[256], other_path[256];
    const char *bin = huddle_bin(bin_buf, sizeof bin_buf);
    if (!bin) {
        note("huddle check skipped: no huddle binary (set HUDDLE_BIN or run from the repository)");
        return;
    }
    path_in(steps_path, sizeof steps_path, "bench_steps.play");
    path_in(other_path, sizeof other_path, name);
    const char *paths[2] = {steps_path, other_path}, *texts[2] = {STEPS_PLAY, text};
    for (int i = 0; i < 2; i++) {
        FILE *f = fopen(paths[i], "w");
        if (!f || fputs(texts[i], f) < 0 || fclose(f) != 0)
            die("%s: %s", paths[i], strerror(errno));
    }
    int status;
    char *check[] = {(char *)bin, "check", steps_path, other_path, NULL};
    run_timed(check, "", &status);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        die("huddle check found problems in the bench playbooks (%s %s)", steps_path, other_path);
}

/* ---- a store and its engine --------------------------------------------------------- */

void bench_open(Bench *b, const char *dir, bool no_sync)
{
    StoreOptions options = {.create = true, .no_sync = no_sync};
    char why[512];
    if (store_open(dir, &options, &b->store, why, sizeof why) != STORE_OK)
        die("store_open %s: %s", dir, why);
    b->engine = engine_new(b->store, NULL);
    if (!b->engine)
        die("engine_new failed");
}

void bench_close(Bench *b)
{
    engine_free(b->engine);
    store_close(b->store);
    b->engine = NULL;
    b->store = NULL;
}

void bench_deploy(Bench *b, const StrBuf *bytes, int64_t now)
{
    char hash[65], why[512];
    if (engine_deploy(b->engine, (const uint8_t *)bytes->data, bytes->len, now, hash, why, sizeof why) != 0)
        die("engine_deploy: %s", why);
}

void bench_batch(Bench *b, EngineInput *inputs, size_t count, int64_t now)
{
    if (engine_apply_batch(b->engine, inputs, count, now) != 0)
        die("engine_apply_batch: %s", inputs[0].why);
    for (size_t i = 0; i < count; i++)
        if (inputs[i].result != 0 || inputs[i].duplicate)
            die("engine_apply_batch: input %s: %s", inputs[i].kind == ENGINE_INPUT_EVENT ? inputs[i].id : inputs[i].task,
                inputs[i].duplicate ? "taken for a duplicate" : inputs[i].why);
}

/* Whether the record `value` holds (an instance's after its 4-byte length), read through
   the codec (binary, or JSON text in a store of schema 1; an instance's record of its own
   encoding as the JSON record it stands for) and written as compact JSON text, holds
   `needle`. */
static bool census_match(StoreTable table, StoreBytes value, const char *needle)
{
    const unsigned char *bytes = value.data;
    size_t len = value.len;
    if (table == TABLE_INSTANCES) {
        if (len < 4)
            return false;
        len = (size_t)bytes[0] | (size_t)bytes[1] << 8 | (size_t)bytes[2] << 16 | (size_t)bytes[3] << 24;
        if (len > value.len - 4)
            return false;
        bytes += 4;
    }
    json_t *record;
    char why[240];
    if (table == TABLE_INSTANCES ? instance_record_stored_json(bytes, len, &record, why, sizeof why) != INSTANCE_RECORD_OK
        : table == TABLE_TASKS   ? task_record_load(bytes, len, &record, why, sizeof why) != CODEC_OK
                                 : codec_load(bytes, len, &record, why, sizeof why) != CODEC_OK)
        return false;
    char *text = json_dumps(record, JSON_COMPACT | JSON_PRESERVE_ORDER);
    bool found = text && strstr(text, needle);
    free(text);
    json_decref(record);
    return found;
}

static int census_visit(void *context, StoreBytes key, StoreBytes value)
{
    Census *c = context;
    if (c->table == TABLE_HISTORY) {   /* a step's records share one entry: count records */
        HistoryEntry e;
        history_entry_read(key, value, &e);
        c->entries += e.count;
        return STORE_OK;
    }
    c->entries++;
    if (c->needle && census_match(c->table, value, c->needle))
        c->matching++;
    return STORE_OK;
}

Census census(Bench *b, StoreTable table, const char *needle)
{
    Census c = {needle, table, 0, 0};
    StoreTxn *txn;
    if (store_begin(b->store, false, &txn) != STORE_OK)
        die("store_begin failed");
    int rc = store_scan(txn, table, store_bytes(NULL, 0), store_bytes(NULL, 0), census_visit, &c);
    store_abort(txn);
    if (rc != STORE_OK)
        die("store_scan: %s", store_strerror(rc));
    return c;
}

/* ---- the raw LMDB side ---------------------------------------------------------- */

void raw_check(int rc, const char *what)
{
    if (rc != MDB_SUCCESS)
        die("raw LMDB %s: %s", what, mdb_strerror(rc));
}

void raw_open(Raw *r, const char *dir, bool no_sync, size_t map)
{
    if (mkdir(dir, 0700) != 0 && errno != EEXIST)
        die("%s: %s", dir, strerror(errno));
    raw_check(mdb_env_create(&r->env), "env_create");
    raw_check(mdb_env_set_mapsize(r->env, map), "set_mapsize");
    raw_check(mdb_env_set_maxdbs(r->env, 4), "set_maxdbs");
    raw_check(mdb_env_open(r->env, dir, no_sync ? MDB_NOSYNC | MDB_NOMETASYNC : 0, 0600), "env_open");
    MDB_txn *txn;
    raw_check(mdb_txn_begin(r->env, NULL, 0, &txn), "txn_begin");
    raw_check(mdb_dbi_open(txn, "a", MDB_CREATE, &r->a), "dbi_open");
    raw_check(mdb_dbi_open(txn, "b", MDB_CREATE, &r->b), "dbi_open");
    raw_check(mdb_txn_commit(txn), "commit");
}

void raw_close(Raw *r)
{
    mdb_env_close(r->env);
    r->env = NULL;
}

void raw_put(MDB_txn *txn, MDB_dbi dbi, uint64_t number, size_t value_len)
{
    unsigned char key[8], value[RAW_VALUE_MAX];
    store_be64(number, key);
    memset(value, 'v', sizeof value);
    MDB_val k = {8, key}, v = {value_len, value};
    raw_check(mdb_put(txn, dbi, &k, &v, 0), "put");
}

double raw_puts(Raw *r, uint64_t first, size_t count, size_t per_txn, size_t value_len)
{
    double t0 = wall_seconds();
    for (size_t done = 0; done < count;) {
        MDB_txn *txn;
        raw_check(mdb_txn_begin(r->env, NULL, 0, &txn), "txn_begin");
        for (size_t i = 0; i < per_txn && done < count; i++, done++)
            raw_put(txn, r->a, first + done, value_len);
        raw_check(mdb_txn_commit(txn), "commit");
    }
    return wall_seconds() - t0;
}

/* ---- frame round trips ---------------------------------------------------------- */

#define FRAME_T0 1781935200000LL        /* the engine time the frame is made at */

void frame_play(StrBuf *b)
{
    strbuf_puts(b,
        "playbook frame_bench \"a frame with 10 locals\"\n\n"
        "on shop.refund as req\n\n"
        "state holding {\n"
        "  let l0 = req.amount\n"
        "  let l1 = req.amount * 1000003\n"
        "  let l2 = \"a short string\"\n"
        "  let l3 = \"customer {req.customer} wants {req.amount} back for order {req.order}\"\n"
        "  let l4 = {id: req.id, amount: req.amount, tags: [\"camera\", \"lens\"]}\n"
        "  let l5 = -42\n"
        "  let l6 = req.id\n"
        "  let l7 = 1234567890123\n"
        "  let l8 = [1, 2, 3]\n"
        "  let l9 = {status: \"open\", count: 3}\n"
        "  note \"{l0} {l1} {l2} {l3} {l4} {l5} {l6} {l7} {l8} {l9}\"\n"
        "  wait {\n"
        "    after 1d -> done \"released\"\n"
        "  }\n"
        "}\n");
}

typedef enum FrameWork { WORK_ENCODE, WORK_DECODE, WORK_BOTH } FrameWork;

/* The best rate of `rounds`, each at least `min_seconds` of this thread's CPU time. */
static double frame_rate(const Program *program, const Frame *frame, FrameWork work, int rounds,
                         double min_seconds)
{
    StrBuf bytes = STRBUF_INIT;
    frame_encode(frame, &bytes);
    char why[256];
    double best = 0;
    for (int round = 0; round < rounds; round++) {
        uint64_t n = 0;
        double start = cpu_seconds(), elapsed;
        do {
            for (int i = 0; i < 1000; i++) {
                if (work != WORK_DECODE) {
                    bytes.len = 0;   /* the buffer is reused, as a store's write buffer is */
                    frame_encode(frame, &bytes);
                }
                if (work != WORK_ENCODE) {
                    Frame *back = frame_decode(program, (const uint8_t *)bytes.data, bytes.len, why, sizeof why);
                    if (!back)
                        die("frame_decode: %s", why);
                    frame_free(back);
                }
            }
            n += 1000;
            elapsed = cpu_seconds() - start;
        } while (elapsed < min_seconds);
        if ((double)n / elapsed > best)
            best = (double)n / elapsed;
    }
    strbuf_free(&bytes);
    return best;
}

void frame_measure(FrameFigures *out, bool round_trip_only, int rounds, double min_seconds)
{
    memset(out, 0, sizeof *out);
    StrBuf text = STRBUF_INIT;
    frame_play(&text);
    Program *program = program_of("frame.play", strbuf_text(&text));
    Value data = value_map_new(6);
    value_map_set(data, "id", 2, value_cstring("R-2026-0042"));
    value_map_set(data, "amount", 6, value_int(1250));
    value_map_set(data, "customer", 8, value_cstring("Aino Virtanen"));
    value_map_set(data, "order", 5, value_cstring("O-77812"));
    value_map_set(data, "region", 6, value_cstring("EU"));
    Value meta = value_map_new(4);
    value_map_set(meta, "source", 6, value_cstring("shop"));
    value_map_set(meta, "type", 4, value_cstring("refund"));
    value_map_set(meta, "id", 2, value_cstring("ev-991"));
    value_map_set(meta, "time", 4, value_time(FRAME_T0));
    VmInput context = {VM_INPUT_EVENT, data, FRAME_T0, VALUE_NULL, NULL, NULL};
    Frame *frame = NULL;
    VmResult result;
    vm_result_init(&result);
    if (vm_start(program, 0, data, meta, &context, &frame, &result) != VM_SUSPENDED)
        die("frame: %s", result.error);
    vm_result_clear(&result);
    StrBuf bytes = STRBUF_INIT;
    frame_encode(frame, &bytes);
    out->bytes = bytes.len;
    out->locals = frame->local_count;
    strbuf_free(&bytes);
    if (!round_trip_only) {
        out->encode_per_s = frame_rate(program, frame, WORK_ENCODE, rounds, min_seconds);
        out->decode_per_s = frame_rate(program, frame, WORK_DECODE, rounds, min_seconds);
    }
    out->round_trips_per_s = frame_rate(program, frame, WORK_BOTH, rounds, min_seconds);
    frame_free(frame);
    value_release(data);
    value_release(meta);
    program_free(program);
    strbuf_free(&text);
}
