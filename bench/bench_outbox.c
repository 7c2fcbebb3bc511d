/*
 * bench_outbox.c - the outbox measured from outside: `huddle` delivers `send`s to a
 * local HTTP peer (libmicrohttpd, in this process, answering 200 at once and noting
 * when each request arrived), and this prints issue 13's table.
 *
 *   1. deliveries/s: a backlog of sends made by `huddle trigger --file` (one `send` a
 *      step), delivered by one `huddle tick` (timed from start to exit);
 *   2. latency: signed webhooks to `huddle serve` at a steady 1,000/s, each starting a
 *      step that sends; timed from the moment the webhook was due to be sent to the
 *      moment its request reached the peer (an upper bound of commit -> peer, since the
 *      webhook's reply comes after the commit): p50 and p99.
 * The raw row is LMDB alone on the same disk in the same run (synced commits/s).
 *
 *   build/bench/bench_outbox [--keep] [--sends N]
 */
#include "common.h"
#include "http_load.h"

#include <errno.h>
#include <microhttpd.h>
#include <openssl/hmac.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define SECRET "bench-secret"
#define STEADY_RATE 1000
#define STEADY_SECONDS 5

static const char OUTBOX_PLAY[] =
    "playbook bench_outbox\n"
    "\n"
    "on bench.go as e\n"
    "\n"
    "state tell {\n"
    "  send peer.post({n: e.n})\n"
    "  done \"sent\"\n"
    "}\n";

/* ---- the peer --------------------------------------------------------------------- */

/* What the peer saw: arrival[n] is when the request carrying {"n": n} arrived (0: not yet). */
static double *arrival;
static size_t arrival_size;
static atomic_size_t received, strays;

typedef struct Upload {
    char body[256];
    size_t len;
} Upload;

static void note_arrival(const Upload *u)
{
    const char *n = strstr(u->body, "\"n\"");
    const char *colon = n ? strchr(n, ':') : NULL;
    size_t k = colon ? strtoul(colon + 1, NULL, 10) : 0;
    if (k >= 1 && k < arrival_size && arrival[k] == 0) {
        arrival[k] = wall_seconds();
        atomic_fetch_add(&received, 1);
    } else {
        atomic_fetch_add(&strays, 1);
    }
}

static enum MHD_Result peer_request(void *cls, struct MHD_Connection *connection, const char *url,
                                    const char *method, const char *version, const char *data,
                                    size_t *data_size, void **state)
{
    (void)cls, (void)url, (void)method, (void)version;
    Upload *u = *state;
    if (!u) {
        if (!(u = calloc(1, sizeof *u)))
            return MHD_NO;
        *state = u;
        return MHD_YES;
    }
    if (*data_size) {
        size_t take = *data_size < sizeof u->body - 1 - u->len ? *data_size : sizeof u->body - 1 - u->len;
        memcpy(u->body + u->len, data, take);
        u->len += take;
        *data_size = 0;
        return MHD_YES;
    }
    note_arrival(u);
    static const char reply[] = "{}";
    struct MHD_Response *response =
        MHD_create_response_from_buffer(sizeof reply - 1, (void *)reply, MHD_RESPMEM_PERSISTENT);
    MHD_add_response_header(response, "Content-Type", "application/json");
    enum MHD_Result rc = MHD_queue_response(connection, MHD_HTTP_OK, response);
    MHD_destroy_response(response);
    return rc;
}

static void peer_done(void *cls, struct MHD_Connection *connection, void **state,
                      enum MHD_RequestTerminationCode why)
{
    (void)cls, (void)connection, (void)why;
    free(*state);
    *state = NULL;
}

static struct MHD_Daemon *peer_start(int port)
{
    struct MHD_Daemon *d = MHD_start_daemon(
        MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL, (uint16_t)port, NULL, NULL, peer_request, NULL,
        MHD_OPTION_NOTIFY_COMPLETED, peer_done, NULL, MHD_OPTION_CONNECTION_LIMIT, (unsigned)1000,
        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)30, MHD_OPTION_END);
    if (!d)
        die("the HTTP peer could not listen on 127.0.0.1:%d", port);
    return d;
}

/* Waits up to 30 s until the peer has `count` requests. */
static bool wait_received(size_t count)
{
    for (int i = 0; i < 3000 && atomic_load(&received) < count; i++)
        usleep(10 * 1000);
    return atomic_load(&received) >= count;
}

/* ---- the sections --------------------------------------------------------------- */

typedef struct Paths {
    char play[512], connectors[512], db[512], events[512], log[512];
} Paths;

static void make_files(Paths *p, int peer_port, size_t sends)
{
    path_in(p->play, sizeof p->play, "bench_outbox.play");
    path_in(p->connectors, sizeof p->connectors, "connectors.json");
    path_in(p->db, sizeof p->db, "store");
    path_in(p->events, sizeof p->events, "events.jsonl");
    path_in(p->log, sizeof p->log, "serve.log");
    write_file(p->play, OUTBOX_PLAY);
    char text[1024];
    snprintf(text, sizeof text,
             "{\"bench\": {\"kind\": \"webhook\", \"secret_env\": \"BENCH_SECRET\", \"id\": \"/id\", \"type\": \"/type\"},\n"
             " \"peer\": {\"kind\": \"http\", \"base_url\": \"http://127.0.0.1:%d\", \"timeout_ms\": 5000,\n"
             "          \"operations\": {\"post\": {\"method\": \"POST\", \"path\": \"/in\"}}}}\n",
             peer_port);
    write_file(p->connectors, text);
    FILE *f = fopen(p->events, "w");
    if (!f)
        die("%s: %s", p->events, strerror(errno));
    for (size_t k = 1; k <= sends; k++)
        fprintf(f, "{\"source\": \"bench\", \"type\": \"go\", \"id\": \"file-%zu\", \"data\": {\"n\": %zu}}\n", k, k);
    if (fclose(f) != 0)
        die("%s: %s", p->events, strerror(errno));
}

/* Section 1: `sends` sends queued by trigger --file, then one tick that delivers them. */
static void section_backlog(const char *bin, const Paths *p, size_t sends)
{
    huddle_must(bin, (char *[]){"deploy", (char *)p->play, "--db", (char *)p->db, "--connectors",
                                (char *)p->connectors, NULL});
    huddle_must(bin, (char *[]){"trigger", "--db", (char *)p->db, "--file", (char *)p->events, NULL});
    char *tick[] = {(char *)bin, "tick", "--db", (char *)p->db, NULL};
    int status;
    double seconds = run_timed(tick, "", &status);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        die("huddle tick failed (status %d)", status);
    if (!wait_received(sends))
        die("the peer got %zu of %zu sends after tick", atomic_load(&received), sends);
    char value[32];
    double per_s = (double)sends / seconds;
    group(value, sizeof value, per_s);
    row_goal(row_add("deliveries/s to a local HTTP peer (one tick)", value), ">= 10,000/s", per_s >= 10000);
}

static size_t steady_first;     /* the n of the steady section's first event */

static size_t make_event(char *out, size_t size, size_t k)
{
    char body[256], hex[65];
    unsigned char mac[32];
    unsigned int mac_len = 0;
    size_t n = steady_first + k;
    int body_len = snprintf(body, sizeof body, "{\"id\": \"live-%zu\", \"type\": \"go\", \"n\": %zu}", n, n);
    HMAC(EVP_sha256(), SECRET, (int)strlen(SECRET), (const unsigned char *)body, (size_t)body_len, mac, &mac_len);
    hex_of(mac, mac_len, hex);
    return (size_t)snprintf(out, size,
                            "POST /v1/events/bench HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                            "Content-Type: application/json\r\nX-Huddle-Signature: sha256=%s\r\n"
                            "Content-Length: %d\r\n\r\n%s", hex, body_len, body);
}

/* Section 2: webhooks at a steady rate through serve; due time -> request at the peer. */
static void section_latency(const char *bin, const Paths *p, size_t first)
{
    int port = free_port();
    char listen[32];
    snprintf(listen, sizeof listen, "127.0.0.1:%d", port);
    pid_t pid = spawn_logged(bin, (char *[]){"serve", "--db", (char *)p->db, "--listen", listen,
                                             "--connectors", (char *)p->connectors, NULL},
                             p->log, "BENCH_SECRET", SECRET);
    wait_http_ok(port, "/healthz", pid);
    size_t count = (size_t)STEADY_RATE * STEADY_SECONDS, before = atomic_load(&received);
    steady_first = first;
    Load load = {.port = port, .make = make_event, .total = count, .rate = STEADY_RATE};
    load_run(&load);
    if (load.failed)
        die("%zu of %zu webhooks failed (the first with HTTP %d)", load.failed, count, load.first_bad_status);
    bool all = wait_received(before + count);
    kill(pid, SIGTERM);
    waitpid(pid, NULL, 0);
    if (!all)
        die("the peer got %zu of %zu sends from serve (its log: %s, --keep keeps it)",
            atomic_load(&received) - before, count, p->log);
    double *ms = malloc(count * sizeof *ms);
    if (!ms)
        die("out of memory");
    for (size_t k = 0; k < count; k++)
        ms[k] = (arrival[first + k] - load.sent_at[k]) * 1000.0;
    char value[32];
    double p50 = quantile(ms, count, 0.50), p99 = quantile(ms, count, 0.99);
    snprintf(value, sizeof value, "%.2f ms", p50);
    row_add("webhook -> request at the peer, p50 at 1,000/s", value);
    snprintf(value, sizeof value, "%.2f ms", p99);
    row_goal(row_add("webhook -> request at the peer, p99 at 1,000/s", value), "< 10 ms", p99 < 10.0);
    free(ms);
    load_free(&load);
}

int main(int argc, char **argv)
{
    bench_name = "bench_outbox";
    size_t sends = 20000;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--keep") == 0)
            keep_tmp = true;
        else if (strcmp(argv[i], "--sends") == 0 && i + 1 < argc)
            sends = size_arg(argv[++i]);
        else {
            fprintf(stderr, "usage: %s [--keep] [--sends N]\n", argv[0]);
            return 2;
        }
    }
    char bin_buf[4096];
    const char *bin = huddle_bin(bin_buf, sizeof bin_buf);
    if (!bin)
        die("no huddle binary (set HUDDLE_BIN or run from the repository)");
    tmp_root_make("/tmp/huddle-bench-outbox-XXXXXX");
    double t0 = wall_seconds();
    arrival_size = sends + (size_t)STEADY_RATE * STEADY_SECONDS + 1;
    if (!(arrival = calloc(arrival_size, sizeof *arrival)))
        die("out of memory");
    int peer_port = free_port();
    struct MHD_Daemon *peer = peer_start(peer_port);
    Paths p;
    make_files(&p, peer_port, sends);

    section_backlog(bin, &p, sends);
    section_latency(bin, &p, sends + 1);
    MHD_stop_daemon(peer);
    if (atomic_load(&strays))
        note("the peer got %zu requests more than once or without a known n (at-least-once delivery)",
             atomic_load(&strays));

    Raw raw;
    char dir[512], raw_text[32];
    path_in(dir, sizeof dir, "raw");
    raw_open(&raw, dir, false, (size_t)64 << 20);
    double raw_per_s = 500.0 / raw_puts(&raw, 1, 500, 1, 64);
    raw_close(&raw);
    note("raw LMDB on the same disk: %s synced commits/s of one put each", group(raw_text, sizeof raw_text, raw_per_s));

    printf("outbox: sends delivered to a local HTTP peer (wall clock, full sync)\n");
    printf("  %zu sends queued by trigger --file and delivered by one tick; %d webhooks/s for %d s through serve\n",
           sends, STEADY_RATE, STEADY_SECONDS);
    printf("  %-48s %12s  %-14s %s\n", "metric", "value", "goal", "");
    for (unsigned i = 0; i < row_count; i++)
        printf("  %-48s %12s  %-14s %s\n", rows[i].metric, rows[i].value, rows[i].goal, rows[i].verdict);
    print_tail(t0);
    free(arrival);
    return 0;
}
