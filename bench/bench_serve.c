/*
 * bench_serve.c - `huddle serve` measured from outside, the way its users reach it:
 * a load generator on loopback drives the real binary over HTTP/1.1 keep-alive
 * connections and prints issue 12's table.
 *
 *   1. events accepted/s: signed webhooks from 64 connections, each sending its next
 *      event when the last one's reply came (a reply comes only after the commit);
 *   2. latency: webhooks at a steady 1,000/s, each timed from the moment it was due to
 *      be sent to its reply (the step it starts is committed by then): p50 and p99;
 *   3. answers/s: the asks those events opened, answered over 64 connections with a
 *      person's bearer token;
 *   4. idle CPU: serve's own CPU time over 3 s with nothing to do.
 * Sections 1 and 3 also say serve's CPU time per request (all its threads), which a
 * busy machine disturbs less than the rates. Beside section 1's, the step alone: the
 * CPU per event of `huddle trigger --file` applying the same events (same playbook,
 * data and directory) to a new store, STEP_BATCH a synced commit (about a round of
 * serve's under this load), before serve starts: what the engine thread's share would
 * be without HTTP, the door, replies and log lines (bench_engine's 1b is another
 * playbook, without an ask: a third of this step's instructions).
 * The raw rows are this machine's limits in the same run, without Huddle:
 *   - HTTP alone: a minimal server on the same HTTP layer as serve (runtime/connectors/
 *     http_server.c: libmicrohttpd, one epoll thread, the same flags and options) in a
 *     process of its own, answering each POST with a small 200 JSON body and no store,
 *     driven by the same load generator over the same 64 connections: at once on its
 *     HTTP thread, and handed to a second thread that answers it (suspend and resume,
 *     as serve's requests wait for their group commit);
 *   - HTTP + LMDB group commit: the handed server whose second thread first commits
 *     what came while it last committed, one synced LMDB transaction with one 64-byte put
 *     a request, then answers it: the least any server that answers after its commit
 *     does on this machine. It is driven closed-loop for the rate rows' raw column, and
 *     at 1,000/s right after serve's steady section (the disk's same minute) for the
 *     latency rows' raw column;
 *   - LMDB alone on the same disk: synced commits of one small put each (a server that
 *     committed every request on its own), and of 64 puts each (group commit as serve
 *     does, 64 connections at most 64 inputs a commit), in puts/s.
 * Each rate and latency row gives the ratio Huddle/raw beside it.
 *
 *   build/bench/bench_serve [--keep] [--trace] [--events N] [--answers N]
 *
 * --trace says on stderr serve's pid and when each section starts (to profile serve
 * under one load: perf record -p PID).
 */
#include "common.h"
#include "http_load.h"
#include "cli.h"
#include "http_server.h"

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/sha.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#define SECRET "bench-secret"
#define TOKEN "bench-anna-token"
#define STEADY_RATE 1000        /* events/s in the latency section */
#define STEADY_SECONDS 5
#define STEP_EVENTS 20000       /* the step alone: events through trigger --file */
#define STEP_BATCH "32"         /* a commit's events there: about a round of serve's */

static const char SERVE_PLAY[] =
    "playbook bench_serve\n"
    "\n"
    "on bench.spike as e\n"
    "\n"
    "state decide {\n"
    "  ask person(\"anna\") \"Is {e.product} affected?\"\n"
    "      choices yes \"Yes\", no \"No\"\n"
    "      within 30d\n"
    "  {\n"
    "    yes     -> done \"yes\"\n"
    "    no      -> done \"no\"\n"
    "    timeout -> fail \"nobody answered\"\n"
    "  }\n"
    "}\n";

static const char DIRECTORY[] =
    "{\"people\": {\"anna\": {\"name\": \"Anna Virtanen\", \"email\": \"anna@example.com\"}}}\n";

/* ---- the requests ------------------------------------------------------------------- */

static size_t event_serial;     /* distinct event ids across sections */

/* HMAC-SHA256 of `body` with SECRET, as a sender keeps its key: keyed once, started
   again for each body (OpenSSL's one-shot HMAC() fetches the digest and makes a context
   each time: a third of this load generator's CPU per event). */
static void event_mac(const char *body, size_t len, unsigned char mac[SHA256_DIGEST_LENGTH])
{
    static EVP_MAC_CTX *ctx;
    if (!ctx) {
        EVP_MAC *hmac = EVP_MAC_fetch(NULL, "HMAC", NULL);
        OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)"SHA256", 0),
                               OSSL_PARAM_construct_end()};
        ctx = hmac ? EVP_MAC_CTX_new(hmac) : NULL;
        EVP_MAC_free(hmac);
        if (!ctx || !EVP_MAC_init(ctx, (const unsigned char *)SECRET, strlen(SECRET), params))
            die("HMAC-SHA256 is not available from OpenSSL");
    }
    size_t mac_len = 0;
    if (!EVP_MAC_init(ctx, NULL, 0, NULL) || !EVP_MAC_update(ctx, (const unsigned char *)body, len) ||
        !EVP_MAC_final(ctx, mac, &mac_len, SHA256_DIGEST_LENGTH) || mac_len != SHA256_DIGEST_LENGTH)
        die("HMAC-SHA256 failed");
}

static size_t make_event(char *out, size_t size, size_t k)
{
    (void)k;
    char body[256], hex[2 * SHA256_DIGEST_LENGTH + 1];
    unsigned char mac[SHA256_DIGEST_LENGTH];
    int body_len = snprintf(body, sizeof body, "{\"id\": \"ev-%zu\", \"type\": \"spike\", \"product\": \"N9\"}",
                            ++event_serial);
    event_mac(body, (size_t)body_len, mac);
    hex_of(mac, SHA256_DIGEST_LENGTH, hex);
    int n = snprintf(out, size,
                     "POST /v1/events/bench HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                     "Content-Type: application/json\r\nX-Huddle-Signature: sha256=%s\r\n"
                     "Content-Length: %d\r\n\r\n%s", hex, body_len, body);
    return (size_t)n;
}

static size_t make_answer(char *out, size_t size, size_t k)
{
    const char *body = "{\"choice\": \"yes\"}";
    int n = snprintf(out, size,
                     "POST /v1/tasks/t%zu/answer HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                     "Content-Type: application/json\r\nAuthorization: Bearer " TOKEN "\r\n"
                     "Content-Length: %zu\r\n\r\n%s", k + 1, strlen(body), body);
    return (size_t)n;
}

/* ---- the sections ------------------------------------------------------------------- */

static bool trace;

static void run_load(int port, MakeRequest make, size_t total, double rate, Load *out)
{
    if (trace)
        fprintf(stderr, "bench_serve: section %s starts\n", make == make_answer ? "answers" : rate ? "steady" : "events");
    *out = (Load){.port = port, .make = make, .total = total, .rate = rate};
    load_run(out);
    if (out->failed)
        die("%zu of %zu requests failed (the first with HTTP %d)", out->failed, total, out->first_bad_status);
}

static Row *rate_row(const char *metric, const Load *load, double goal)
{
    char value[32], goal_text[40];
    double per_s = (double)load->ok / load->seconds;
    group(value, sizeof value, per_s);
    char g[32];
    snprintf(goal_text, sizeof goal_text, ">= %s/s", group(g, sizeof g, goal));
    Row *r = row_add(metric, value);
    row_goal(r, goal_text, per_s >= goal);
    return r;
}

/* serve's own CPU time per request of a section: steadier than a rate on a busy machine
   (what other processes take of the CPUs and the disk slows the rate, not this). */
static void cpu_row(const char *metric, double cpu_seconds, size_t requests)
{
    char value[32];
    snprintf(value, sizeof value, "%.1f us", requests ? cpu_seconds * 1e6 / (double)requests : 0.0);
    row_add(metric, value);
}

/* CPU seconds so far of serve (all threads), of its HTTP thread (libmicrohttpd's, named
   MHD-single; the rest is the engine thread, the main one sleeps) and of this process,
   whose one thread is the load generator while a section runs. */
typedef struct CpuNow {
    double serve, http, load;
} CpuNow;

static CpuNow cpu_now(pid_t serve)
{
    return (CpuNow){process_cpu_seconds(serve), threads_cpu_seconds(serve, "MHD-single"),
                    process_cpu_seconds(getpid())};
}

/* A section's CPU per request: serve's, then split by its threads, and the load
   generator's own (it shares the machine's CPUs with serve). */
static void cpu_rows(const char *what, CpuNow before, pid_t serve, size_t requests)
{
    CpuNow after = cpu_now(serve);
    char metric[80];
    snprintf(metric, sizeof metric, "serve's CPU per %s (all threads)", what);
    cpu_row(metric, after.serve - before.serve, requests);
    snprintf(metric, sizeof metric, "  of it the engine thread (and main)");
    cpu_row(metric, (after.serve - after.http) - (before.serve - before.http), requests);
    snprintf(metric, sizeof metric, "  of it the HTTP thread");
    cpu_row(metric, after.http - before.http, requests);
    snprintf(metric, sizeof metric, "load generator's own CPU per %s", what);
    cpu_row(metric, after.load - before.load, requests);
}

/* Synced puts/s of raw LMDB on the same disk, `per_commit` puts of 64 bytes a commit. */
static double raw_puts_per_second(size_t count, size_t per_commit)
{
    char dir[512];
    path_in(dir, sizeof dir, "raw");
    Raw raw;
    raw_open(&raw, dir, false, (size_t)64 << 20);
    double seconds = raw_puts(&raw, 1, count, per_commit, 64);
    raw_close(&raw);
    path_remove(dir);
    return (double)count / seconds;
}

/* ---- the step alone: the same events through `huddle trigger --file` ---------------- */

/* CPU seconds (user and system) of the children waited for so far. */
static double children_cpu_seconds(void)
{
    struct rusage u;
    if (getrusage(RUSAGE_CHILDREN, &u) != 0)
        die("getrusage: the children's CPU");
    return (double)u.ru_utime.tv_sec + (double)u.ru_utime.tv_usec / 1e6 + (double)u.ru_stime.tv_sec +
           (double)u.ru_stime.tv_usec / 1e6;
}

/* CPU seconds an event of `huddle trigger --file` applying STEP_EVENTS events like the
   webhooks' (source bench, type spike, the body as data) to a new store with the same
   playbook and directory, STEP_BATCH a synced commit: the engine's own cost of serve's
   step, with no HTTP, door, reply or log line. */
static double step_alone_cpu(const char *bin, const char *play, const char *directory)
{
    char db[512], events[512];
    path_in(db, sizeof db, "step-store");
    path_in(events, sizeof events, "step-events.jsonl");
    FILE *f = fopen(events, "w");
    if (!f)
        die("cannot write %s", events);
    for (size_t i = 1; i <= STEP_EVENTS; i++)
        fprintf(f, "{\"source\": \"bench\", \"type\": \"spike\", \"id\": \"step-%zu\", \"data\": "
                   "{\"id\": \"step-%zu\", \"type\": \"spike\", \"product\": \"N9\"}}\n", i, i);
    if (fclose(f) != 0)
        die("cannot write %s", events);
    huddle_must(bin, (char *[]){"directory", "load", (char *)directory, "--db", db, NULL});
    huddle_must(bin, (char *[]){"deploy", (char *)play, "--db", db, NULL});
    double before = children_cpu_seconds();
    huddle_must(bin, (char *[]){"trigger", "--file", events, "--batch", STEP_BATCH, "--db", db, NULL});
    double cpu = children_cpu_seconds() - before;
    path_remove(db);
    path_remove(events);
    return cpu / STEP_EVENTS;
}

/* ---- HTTP alone: the same HTTP layer as serve, answering at once, no store ---------- */

#define RAW_REPLY "{\"accepted\": true}\n"
#define RAW_QUEUE 1024              /* more than the load's connections ever have waiting */

/* How the raw server answers a request. */
typedef enum RawMode {
    RAW_AT_ONCE,        /* on its HTTP thread, as it comes */
    RAW_HANDED,         /* handed to a second thread, which answers it */
    RAW_COMMITTED,      /* handed to a second thread, which answers it after a synced commit */
} RawMode;

/* Requests handed from the HTTP thread to the answering thread (the handed modes), and
   in RAW_COMMITTED the store that thread commits to. */
typedef struct RawQueue {
    pthread_mutex_t lock;
    pthread_cond_t ready;
    HttpRequest *items[RAW_QUEUE];
    size_t head, count;
    Raw store;
    bool commits;
    uint64_t serial;
} RawQueue;

static void raw_reply(HttpRequest *request)
{
    http_reply(request, 200, "application/json", RAW_REPLY, strlen(RAW_REPLY), NULL);
}

/* The raw server's handler: answers at once (context NULL), or queues the request for
   the answering thread, so that it is suspended and resumed as serve's requests are. */
static void raw_on_request(void *context, HttpRequest *request)
{
    RawQueue *q = context;
    if (!q) {
        raw_reply(request);
        return;
    }
    pthread_mutex_lock(&q->lock);
    if (q->count == RAW_QUEUE) {
        pthread_mutex_unlock(&q->lock);
        http_reply(request, 503, "application/json", "{}", 2, NULL);
        return;
    }
    q->items[(q->head + q->count++) % RAW_QUEUE] = request;
    pthread_cond_signal(&q->ready);
    pthread_mutex_unlock(&q->lock);
}

/* A round's group commit in RAW_COMMITTED: one synced LMDB transaction with one put of
   64 bytes a request, the least any server that answers after its commit must write. */
static void raw_commit_round(RawQueue *q, size_t n)
{
    MDB_txn *txn;
    raw_check(mdb_txn_begin(q->store.env, NULL, 0, &txn), "txn_begin");
    for (size_t i = 0; i < n; i++)
        raw_put(txn, q->store.a, ++q->serial, 64);
    raw_check(mdb_txn_commit(txn), "commit");
}

/* The answering thread: takes what is queued, a round at a time (no gather: whatever
   came while the last round was committed), commits it if it commits, and answers it. */
static void *raw_answerer(void *context)
{
    RawQueue *q = context;
    HttpRequest *round[RAW_QUEUE];
    for (;;) {
        pthread_mutex_lock(&q->lock);
        while (q->count == 0)
            pthread_cond_wait(&q->ready, &q->lock);
        size_t n = q->count;
        for (size_t i = 0; i < n; i++)
            round[i] = q->items[(q->head + i) % RAW_QUEUE];
        q->head = (q->head + n) % RAW_QUEUE;
        q->count = 0;
        pthread_mutex_unlock(&q->lock);
        if (q->commits)
            raw_commit_round(q, n);
        for (size_t i = 0; i < n; i++)
            raw_reply(round[i]);
    }
    return NULL;
}

/* The raw server's process: listens on `port` with serve's HTTP options until SIGTERM;
   in RAW_COMMITTED it commits to a new LMDB store in `store_dir` (synced, as serve's).
   A child of the bench: it leaves with _exit, never through the bench's exit handlers. */
static void raw_http_child(int port, RawMode mode, const char *store_dir)
{
    bool handed = mode != RAW_AT_ONCE;
    sigset_t term;
    sigemptyset(&term);
    sigaddset(&term, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &term, NULL);
    static RawQueue queue = {.lock = PTHREAD_MUTEX_INITIALIZER, .ready = PTHREAD_COND_INITIALIZER};
    if (mode == RAW_COMMITTED) {
        raw_open(&queue.store, store_dir, false, (size_t)256 << 20);
        queue.commits = true;
    }
    HttpServerOptions o = {
        .host = "127.0.0.1", .port = (unsigned)port, .max_body = CLI_MAX_BODY_DEFAULT, .idle_timeout_s = 30,
        .max_connections = 4000, .handler = raw_on_request, .context = handed ? &queue : NULL,
    };
    char why[512];
    HttpServer *server;
    pthread_t answerer;
    if (http_server_start(&o, &server, why, sizeof why) != 0 ||
        (handed && pthread_create(&answerer, NULL, raw_answerer, &queue) != 0)) {
        fprintf(stderr, "bench_serve: the raw HTTP server did not start: %s\n", why);
        _exit(1);
    }
    int signal_number;
    sigwait(&term, &signal_number);
    _exit(0);
}

typedef struct RawHttp {
    Load load;
    double cpu_per_request;     /* seconds of the raw server's CPU (all threads) */
} RawHttp;

/* Starts the raw server, drives it with `total` requests of `make` as serve was
   driven (closed loop, or at `rate` a second), and stops it. */
static void raw_http_run(RawMode mode, MakeRequest make, size_t total, double rate, RawHttp *out)
{
    static const char *const mode_names[] = {"at once", "handed", "committed"};
    static unsigned stores;
    char store_dir[512], name[32];
    snprintf(name, sizeof name, "raw-serve-%u", ++stores);
    path_in(store_dir, sizeof store_dir, name);
    int port = free_port();
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0)
        die("fork: the raw HTTP server");
    if (pid == 0)
        raw_http_child(port, mode, store_dir);
    wait_http_ok(port, "/healthz", pid);
    if (trace)
        fprintf(stderr, "bench_serve: raw HTTP server (%s) pid %d\n", mode_names[mode], (int)pid);
    double cpu_before = process_cpu_seconds(pid);
    out->load = (Load){.port = port, .make = make, .total = total, .rate = rate};
    load_run(&out->load);
    out->cpu_per_request = (process_cpu_seconds(pid) - cpu_before) / (double)(out->load.ok ? out->load.ok : 1);
    kill(pid, SIGTERM);
    int status;
    waitpid(pid, &status, 0);
    if (mode == RAW_COMMITTED)
        path_remove(store_dir);
    if (out->load.failed)
        die("raw HTTP: %zu of %zu requests failed (the first with HTTP %d)", out->load.failed, total,
            out->load.first_bad_status);
}

static double load_rate(const Load *load)
{
    return (double)load->ok / load->seconds;
}

/* Fills a row's raw column with `raw` requests/s and its ratio Huddle/raw. */
static void raw_columns(Row *r, const Load *huddle, double raw)
{
    group(r->raw, sizeof r->raw, raw);
    snprintf(r->ratio, sizeof r->ratio, "%.3f", load_rate(huddle) / raw);
}

/* A latency row: serve's quantile q of the steady section, beside the raw server's at
   the same rate; `goal_ms` 0: no goal. */
static void latency_row(const char *metric, const Load *huddle, const Load *raw, double q, double goal_ms)
{
    char value[32], goal[32];
    double ms = quantile(huddle->latency_ms, huddle->ok, q);
    double raw_ms = quantile(raw->latency_ms, raw->ok, q);
    snprintf(value, sizeof value, "%.2f ms", ms);
    Row *r = row_add(metric, value);
    snprintf(r->raw, sizeof r->raw, "%.2f ms", raw_ms);
    snprintf(r->ratio, sizeof r->ratio, "%.3f", ms / raw_ms);
    if (goal_ms > 0) {
        snprintf(goal, sizeof goal, "< %g ms", goal_ms);
        row_goal(r, goal, ms < goal_ms);
    }
}

/* A row of the machine's limits: a rate. */
static void limit_row(const char *metric, double per_s)
{
    char value[32];
    row_add(metric, group(value, sizeof value, per_s));
}

int main(int argc, char **argv)
{
    bench_name = "bench_serve";
    size_t events = 40000, answers = 20000;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--keep") == 0)
            keep_tmp = true;
        else if (strcmp(argv[i], "--trace") == 0)
            trace = true;
        else if (strcmp(argv[i], "--events") == 0 && i + 1 < argc)
            events = size_arg(argv[++i]);
        else if (strcmp(argv[i], "--answers") == 0 && i + 1 < argc)
            answers = size_arg(argv[++i]);
        else {
            fprintf(stderr, "usage: %s [--keep] [--trace] [--events N] [--answers N]\n", argv[0]);
            return 2;
        }
    }
    if (answers > events)
        answers = events;
    char bin_buf[4096];
    const char *bin = huddle_bin(bin_buf, sizeof bin_buf);
    if (!bin)
        die("no huddle binary (set HUDDLE_BIN or run from the repository)");
    tmp_root_make("/tmp/huddle-bench-serve-XXXXXX");
    double t0 = wall_seconds();

    char play[512], directory[512], connectors[512], tokens[512], db[512], log[512];
    path_in(play, sizeof play, "bench_serve.play");
    path_in(directory, sizeof directory, "directory.json");
    path_in(connectors, sizeof connectors, "connectors.json");
    path_in(tokens, sizeof tokens, "tokens.json");
    path_in(db, sizeof db, "store");
    path_in(log, sizeof log, "serve.log");
    write_file(play, SERVE_PLAY);
    write_file(directory, DIRECTORY);
    write_file(connectors, "{\"bench\": {\"kind\": \"webhook\", \"secret_env\": \"BENCH_SECRET\","
                           " \"id\": \"/id\", \"type\": \"/type\"}}\n");
    unsigned char digest[SHA256_DIGEST_LENGTH];
    char hex[2 * SHA256_DIGEST_LENGTH + 1], text[256];
    SHA256((const unsigned char *)TOKEN, strlen(TOKEN), digest);
    hex_of(digest, sizeof digest, hex);
    snprintf(text, sizeof text, "{\"anna-bench\": {\"sha256\": \"%s\", \"person\": \"anna\"}}\n", hex);
    write_file(tokens, text);
    huddle_must(bin, (char *[]){"directory", "load", directory, "--db", db, NULL});
    huddle_must(bin, (char *[]){"deploy", play, "--db", db, NULL});
    if (trace)
        fprintf(stderr, "bench_serve: section step alone starts\n");
    double step_cpu = step_alone_cpu(bin, play, directory);

    int port = free_port();
    char listen[32];
    snprintf(listen, sizeof listen, "127.0.0.1:%d", port);
    pid_t pid = spawn_logged(bin, (char *[]){"serve", "--db", db, "--listen", listen, "--connectors",
                                             connectors, "--tokens", tokens, NULL},
                             log, "BENCH_SECRET", SECRET);
    wait_http_ok(port, "/healthz", pid);
    if (trace)
        fprintf(stderr, "bench_serve: serve pid %d\n", (int)pid);

    Load burst, steady, answering;
    CpuNow cpu_before = cpu_now(pid);
    run_load(port, make_event, events, 0, &burst);
    Row *events_row = rate_row("events accepted/s, 64 connections, synced", &burst, 20000);
    cpu_rows("event accepted", cpu_before, pid, burst.ok);
    cpu_row("the step alone (trigger --file, " STEP_BATCH " a commit)", step_cpu, 1);

    /* The steady section, then at once (the disk's same minute) the raw server that
       commits each round to LMDB, at the same rate: the floor of the latency rows. */
    run_load(port, make_event, (size_t)STEADY_RATE * STEADY_SECONDS, STEADY_RATE, &steady);
    RawHttp floor_steady;
    raw_http_run(RAW_COMMITTED, make_event, (size_t)STEADY_RATE * STEADY_SECONDS, STEADY_RATE, &floor_steady);
    char value[32];
    latency_row("webhook POST -> committed, p50 at 1,000/s", &steady, &floor_steady.load, 0.50, 0);
    latency_row("webhook POST -> committed, p99 at 1,000/s", &steady, &floor_steady.load, 0.99, 10.0);

    cpu_before = cpu_now(pid);
    run_load(port, make_answer, answers, 0, &answering);
    Row *answers_row = rate_row("answers/s over HTTP with tokens", &answering, 10000);
    cpu_rows("answer", cpu_before, pid, answering.ok);

    if (trace)
        fprintf(stderr, "bench_serve: section idle starts\n");
    sleep(1);
    double cpu0 = process_cpu_seconds(pid), w0 = wall_seconds();
    sleep(3);
    double idle = (process_cpu_seconds(pid) - cpu0) / (wall_seconds() - w0) * 100.0;
    snprintf(value, sizeof value, "%.1f %%", idle);
    row_goal(row_add("idle serve CPU", value), "~0 (< 1 %)", idle < 1.0);

    kill(pid, SIGTERM);
    int status;
    waitpid(pid, &status, 0);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        note("serve did not exit 0 at SIGTERM (status %d): see %s", status, log);

    /* The machine's limits, with the same load generator and connections. */
    RawHttp http_events, http_answers, http_handed, floor_events, floor_answers;
    raw_http_run(RAW_COMMITTED, make_event, events, 0, &floor_events);
    raw_http_run(RAW_COMMITTED, make_answer, answers, 0, &floor_answers);
    raw_http_run(RAW_AT_ONCE, make_event, events, 0, &http_events);
    raw_http_run(RAW_AT_ONCE, make_answer, answers, 0, &http_answers);
    raw_http_run(RAW_HANDED, make_event, events, 0, &http_handed);
    raw_columns(events_row, &burst, load_rate(&floor_events.load));
    raw_columns(answers_row, &answering, load_rate(&floor_answers.load));
    limit_row("raw: HTTP + LMDB group commit, webhooks", load_rate(&floor_events.load));
    cpu_row("raw: its CPU per request", floor_events.cpu_per_request, 1);
    limit_row("raw: HTTP + LMDB group commit, answers", load_rate(&floor_answers.load));
    cpu_row("raw: its CPU per request", floor_answers.cpu_per_request, 1);
    limit_row("raw: HTTP alone, webhooks answered at once", load_rate(&http_events.load));
    cpu_row("raw: its CPU per request", http_events.cpu_per_request, 1);
    limit_row("raw: HTTP alone, answers answered at once", load_rate(&http_answers.load));
    cpu_row("raw: its CPU per request", http_answers.cpu_per_request, 1);
    limit_row("raw: HTTP alone, webhooks answered by a thread", load_rate(&http_handed.load));
    cpu_row("raw: its CPU per request", http_handed.cpu_per_request, 1);
    limit_row("raw: LMDB synced commits/s, one put each", raw_puts_per_second(500, 1));
    limit_row("raw: LMDB synced puts/s, 64 a commit", raw_puts_per_second(64 * 500, 64));
    note("raw: the same HTTP layer as serve (libmicrohttpd, its flags and options) answering "
         "a small 200 body in a process of its own; \"by a thread\": suspended and answered "
         "from a second thread, as serve's requests are; \"HTTP + LMDB group commit\": that "
         "thread first commits what came while it last committed, one 64-byte put a request, "
         "synced (the raw column: the least any server answering after its commit does; its "
         "latency measured right after serve's, at the same rate)");
    printf("serve: huddle serve driven over loopback HTTP/1.1 keep-alive (wall clock, full sync)\n");
    printf("  %zu signed webhooks closed-loop, %d/s for %d s, %zu answers; each reply after its commit\n",
           events, STEADY_RATE, STEADY_SECONDS, answers);
    printf("  %-48s %12s %10s %11s  %-14s %s\n", "metric", "value", "raw", "Huddle/raw", "goal", "");
    for (unsigned i = 0; i < row_count; i++)
        printf("  %-48s %12s %10s %11s  %-14s %s\n", rows[i].metric, rows[i].value, rows[i].raw, rows[i].ratio,
               rows[i].goal, rows[i].verdict);
    load_free(&http_events.load);
    load_free(&http_answers.load);
    load_free(&http_handed.load);
    load_free(&floor_events.load);
    load_free(&floor_answers.load);
    load_free(&floor_steady.load);
    print_tail(t0);
    load_free(&burst);
    load_free(&steady);
    load_free(&answering);
    return 0;
}
