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
 * busy machine disturbs less than the rates.
 * The raw row is LMDB alone on the same disk in the same run: synced commits of one
 * small put each, the ceiling for a server that committed every request on its own.
 *
 *   build/bench/bench_serve [--keep] [--trace] [--events N] [--answers N]
 *
 * --trace says on stderr serve's pid and when each section starts (to profile serve
 * under one load: perf record -p PID).
 */
#include "common.h"
#include "http_load.h"

#include <openssl/hmac.h>
#include <openssl/sha.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define SECRET "bench-secret"
#define TOKEN "bench-anna-token"
#define STEADY_RATE 1000        /* events/s in the latency section */
#define STEADY_SECONDS 5

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

static size_t make_event(char *out, size_t size, size_t k)
{
    (void)k;
    char body[256], hex[2 * SHA256_DIGEST_LENGTH + 1];
    unsigned char mac[SHA256_DIGEST_LENGTH];
    unsigned int mac_len = 0;
    int body_len = snprintf(body, sizeof body, "{\"id\": \"ev-%zu\", \"type\": \"spike\", \"product\": \"N9\"}",
                            ++event_serial);
    HMAC(EVP_sha256(), SECRET, (int)strlen(SECRET), (const unsigned char *)body, (size_t)body_len, mac, &mac_len);
    hex_of(mac, mac_len, hex);
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

static void rate_row(const char *metric, const Load *load, double goal)
{
    char value[32], goal_text[40];
    double per_s = (double)load->ok / load->seconds;
    group(value, sizeof value, per_s);
    char g[32];
    snprintf(goal_text, sizeof goal_text, ">= %s/s", group(g, sizeof g, goal));
    Row *r = row_add(metric, value);
    row_goal(r, goal_text, per_s >= goal);
}

/* serve's own CPU time per request of a section: steadier than a rate on a busy machine
   (what other processes take of the CPUs and the disk slows the rate, not this). */
static void cpu_row(const char *metric, double cpu_seconds, size_t requests)
{
    char value[32];
    snprintf(value, sizeof value, "%.1f us", requests ? cpu_seconds * 1e6 / (double)requests : 0.0);
    row_add(metric, value);
}

static double raw_commits_per_second(void)
{
    char dir[512];
    path_in(dir, sizeof dir, "raw");
    Raw raw;
    raw_open(&raw, dir, false, (size_t)64 << 20);
    size_t count = 500;
    double seconds = raw_puts(&raw, 1, count, 1, 64);
    raw_close(&raw);
    path_remove(dir);
    return (double)count / seconds;
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
    double cpu_before = process_cpu_seconds(pid);
    run_load(port, make_event, events, 0, &burst);
    rate_row("events accepted/s, 64 connections, synced", &burst, 20000);
    cpu_row("serve's CPU per event accepted (all threads)", process_cpu_seconds(pid) - cpu_before, burst.ok);

    run_load(port, make_event, (size_t)STEADY_RATE * STEADY_SECONDS, STEADY_RATE, &steady);
    size_t n = steady.ok;
    double p50 = quantile(steady.latency_ms, n, 0.50), p99 = quantile(steady.latency_ms, n, 0.99);
    char value[32];
    snprintf(value, sizeof value, "%.2f ms", p50);
    row_add("webhook POST -> committed, p50 at 1,000/s", value);
    snprintf(value, sizeof value, "%.2f ms", p99);
    row_goal(row_add("webhook POST -> committed, p99 at 1,000/s", value), "< 10 ms", p99 < 10.0);

    cpu_before = process_cpu_seconds(pid);
    run_load(port, make_answer, answers, 0, &answering);
    rate_row("answers/s over HTTP with tokens", &answering, 10000);
    cpu_row("serve's CPU per answer (all threads)", process_cpu_seconds(pid) - cpu_before, answering.ok);

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

    double raw = raw_commits_per_second();
    char raw_text[32];
    group(raw_text, sizeof raw_text, raw);
    note("raw LMDB on the same disk: %s synced commits/s of one put each: above that, "
         "serve's figure is group commit at work", raw_text);

    printf("serve: huddle serve driven over loopback HTTP/1.1 keep-alive (wall clock, full sync)\n");
    printf("  %zu signed webhooks closed-loop, %d/s for %d s, %zu answers; each reply after its commit\n",
           events, STEADY_RATE, STEADY_SECONDS, answers);
    printf("  %-48s %12s  %-14s %s\n", "metric", "value", "goal", "");
    for (unsigned i = 0; i < row_count; i++)
        printf("  %-48s %12s  %-14s %s\n", rows[i].metric, rows[i].value, rows[i].goal, rows[i].verdict);
    print_tail(t0);
    load_free(&burst);
    load_free(&steady);
    load_free(&answering);
    return 0;
}
