/*
 * bench_serve.c - `huddle serve` under load on loopback (issue 12's performance table):
 *
 *   1  events accepted/s: 64 keep-alive connections send signed webhooks as fast as
 *      they are answered (each a 2xx after its synced group commit); each event starts
 *      an instance that asks one person. Goal: >= 20,000/s.
 *   2  answers/s: the same 64 connections answer those asks with a person's bearer
 *      token. Goal: >= 10,000/s.
 *   3  p99 webhook POST -> its step committed (the reply comes after the commit), at
 *      1,000 events/s paced over 8 connections for 3 s. Goal: < 10 ms.
 *   4  idle serve CPU over 5 s (utime + stime of the process). Goal: ~0.
 *
 * It makes a store (deploy, directory load), starts `huddle serve` on a free port,
 * drives it with its own client (raw sockets, HTTP/1.1 keep-alive, HMAC-SHA256 from
 * OpenSSL), stops it with SIGTERM and checks it exits 0.
 * Options: --events N (default 20000), --keep.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common.h"

#define CONNS 64
#define PACED_CONNS 8
#define SECRET "bench-secret"

static const char PLAY[] =
    "playbook bench_serve\n\non mon.hit as h\n\nstate decide {\n"
    "  ask person(\"pat\") \"go {h.n}?\"\n      choices ok\n      within 1h\n"
    "  {\n    ok      -> done \"ok\"\n    timeout -> done \"late\"\n  }\n}\n";

static unsigned port;
static size_t events_total = 20000;

typedef struct Conn {
    int fd;
    char buf[65536];
} Conn;

static void conn_open(Conn *c)
{
    c->fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int one = 1;
    setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (c->fd < 0 || connect(c->fd, (struct sockaddr *)&sa, sizeof sa) != 0)
        die("connect to serve: %s", strerror(errno));
}

/* Sends one request and reads its reply; returns the status. */
static int conn_call(Conn *c, const char *method, const char *path, const char *headers, const char *body)
{
    char req[2048];
    int n = snprintf(req, sizeof req, "%s %s HTTP/1.1\r\nHost: b\r\nContent-Type: application/json\r\n%s"
                     "Content-Length: %zu\r\n\r\n%s", method, path, headers, strlen(body), body);
    if (write(c->fd, req, (size_t)n) != n)
        die("write: %s", strerror(errno));
    size_t got = 0;
    char *end = NULL;
    while (!end) {
        ssize_t r = read(c->fd, c->buf + got, sizeof c->buf - 1 - got);
        if (r <= 0)
            die("serve closed the connection");
        got += (size_t)r;
        c->buf[got] = '\0';
        end = strstr(c->buf, "\r\n\r\n");
    }
    char *cl = strcasestr(c->buf, "Content-Length:");
    size_t want = (size_t)(end + 4 - c->buf) + (cl ? strtoul(cl + 15, NULL, 10) : 0);
    while (got < want) {
        ssize_t r = read(c->fd, c->buf + got, sizeof c->buf - 1 - got);
        if (r <= 0)
            die("serve closed the connection");
        got += (size_t)r;
    }
    return atoi(c->buf + 9);
}

static int post_event(Conn *c, size_t k)
{
    char body[128], sig[160], hex[65];
    snprintf(body, sizeof body, "{\"id\": \"b-%zu\", \"type\": \"hit\", \"n\": %zu}", k, k);
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned len = 0;
    HMAC(EVP_sha256(), SECRET, (int)strlen(SECRET), (const unsigned char *)body, strlen(body), mac, &len);
    for (unsigned i = 0; i < 32; i++)
        snprintf(hex + 2 * i, 3, "%02x", mac[i]);
    snprintf(sig, sizeof sig, "X-Huddle-Signature: sha256=%s\r\n", hex);
    return conn_call(c, "POST", "/v1/events/mon", sig, body);
}

typedef struct Worker {
    pthread_t thread;
    size_t first, count;
    int mode;                       /* 0 events, 1 answers, 2 paced events */
    double *latencies;
    size_t failures;
} Worker;

static void *worker_main(void *arg)
{
    Worker *w = arg;
    Conn *c = malloc(sizeof *c);
    conn_open(c);
    double next = wall_seconds();
    for (size_t i = 0; i < w->count; i++) {
        size_t k = w->first + i;
        int status;
        if (w->mode == 1) {
            char path[64];
            snprintf(path, sizeof path, "/v1/tasks/t%zu/answer", k);
            status = conn_call(c, "POST", path, "Authorization: Bearer pat-token\r\n", "{\"choice\": \"ok\"}");
        } else if (w->mode == 2) {
            while (wall_seconds() < next)
                usleep(100);
            double t = wall_seconds();
            status = post_event(c, k);
            w->latencies[i] = (wall_seconds() - t) * 1000;
            next += PACED_CONNS / 1000.0;
        } else {
            status = post_event(c, k);
        }
        w->failures += status != 200;
    }
    close(c->fd);
    free(c);
    return NULL;
}

/* Runs `conns` workers over [first, first + total); returns the wall seconds. */
static double run_workers(int mode, size_t first, size_t total, unsigned conns, double *latencies, size_t *failures)
{
    Worker w[CONNS];
    double t0 = wall_seconds();
    for (unsigned i = 0; i < conns; i++) {
        w[i] = (Worker){.first = first + total * i / conns, .count = total * (i + 1) / conns - total * i / conns,
                        .mode = mode, .latencies = latencies ? latencies + total * i / conns : NULL};
        pthread_create(&w[i].thread, NULL, worker_main, &w[i]);
    }
    *failures = 0;
    for (unsigned i = 0; i < conns; i++) {
        pthread_join(w[i].thread, NULL);
        *failures += w[i].failures;
    }
    return wall_seconds() - t0;
}

static void write_file(const char *name, const char *text)
{
    char path[256];
    path_in(path, sizeof path, name);
    FILE *f = fopen(path, "w");
    if (!f || fputs(text, f) < 0 || fclose(f) != 0)
        die("cannot write %s", path);
}

static void run_huddle(const char *huddle, char *const argv[])
{
    int status;
    run_timed(argv, "", &status);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        die("%s %s failed (exit %d)", huddle, argv[1], WIFEXITED(status) ? WEXITSTATUS(status) : -1);
}

/* Makes the store: the playbook, pat in the directory, the connectors, pat's token. */
static void setup(const char *huddle, char *db)
{
    char play[256], people[256], conn[256];
    write_file("bench_serve.play", PLAY);
    write_file("people.json", "{\"people\": {\"pat\": {\"email\": \"pat@x\"}}}\n");
    write_file("connectors.json", "{\"mon\": {\"kind\": \"webhook\", \"secret_env\": \"BENCH_SECRET\"}}\n");
    /* printf %s pat-token | sha256sum */
    write_file("tokens.json", "{\"pat\": {\"sha256\": \"20d81c05a012d2b7933861d49130a3cb40d21c2d171e1220aeadf53a84b9596e\","
                              " \"person\": \"pat\"}}\n");
    path_in(play, sizeof play, "bench_serve.play");
    path_in(people, sizeof people, "people.json");
    path_in(conn, sizeof conn, "connectors.json");
    path_in(db, 256, "store");
    char *deploy[] = {(char *)huddle, "deploy", play, "--db", db, "--connectors", conn, NULL};
    run_huddle(huddle, deploy);
    char *load[] = {(char *)huddle, "directory", "load", people, "--db", db, NULL};
    run_huddle(huddle, load);
}

/* Starts serve on a free port; its stderr goes to serve.log. */
static pid_t serve_start(const char *huddle, const char *db)
{
    char log[256], tokens[256];
    path_in(log, sizeof log, "serve.log");
    path_in(tokens, sizeof tokens, "tokens.json");
    pid_t pid = fork();
    if (pid == 0) {
        setenv("BENCH_SECRET", SECRET, 1);
        if (!freopen(log, "w", stderr))
            _exit(127);
        execl(huddle, huddle, "serve", "--db", db, "--listen", "127.0.0.1:0", "--tokens", tokens, (char *)NULL);
        _exit(127);
    }
    for (int i = 0; i < 100 && !port; i++) {
        usleep(50000);
        FILE *f = fopen(log, "r");
        char line[512];
        while (f && fgets(line, sizeof line, f)) {
            char *at = strstr(line, "\"address\":\"127.0.0.1:");
            if (at)
                port = (unsigned)atoi(at + 21);
        }
        if (f)
            fclose(f);
    }
    if (!port)
        die("serve did not start (see %s)", log);
    return pid;
}

static double cpu_of(pid_t pid)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    FILE *f = fopen(path, "r");
    unsigned long utime = 0, stime = 0;
    if (f) {
        int fields = fscanf(f, "%*d %*s %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &utime, &stime);
        (void)fields;
        fclose(f);
    }
    return (double)(utime + stime) / (double)sysconf(_SC_CLK_TCK);
}

static void measure(pid_t pid)
{
    char value[32];
    size_t failures;
    double s = run_workers(0, 0, events_total, CONNS, NULL, &failures);
    double rate = (double)events_total / s;
    snprintf(value, sizeof value, "%s", group((char[32]){0}, 32, rate));
    row_goal(row_add("1  events accepted/s, synced group commit, 64 connections", value), ">= 20,000/s", rate >= 20000);
    if (failures)
        note("%zu events were not answered 200", failures);
    s = run_workers(1, 1, events_total, CONNS, NULL, &failures);
    rate = (double)events_total / s;
    snprintf(value, sizeof value, "%s", group((char[32]){0}, 32, rate));
    row_goal(row_add("2  answers/s over HTTP with tokens, 64 connections", value), ">= 10,000/s", rate >= 10000);
    if (failures)
        note("%zu answers were not answered 200", failures);
    size_t paced = 3000;
    double *lat = calloc(paced, sizeof *lat);
    run_workers(2, events_total, paced, PACED_CONNS, lat, &failures);
    double p99 = quantile(lat, paced, 0.99), p50 = quantile(lat, paced, 0.5);
    snprintf(value, sizeof value, "%.2f", p99);
    row_goal(row_add("3  p99 webhook POST -> committed, at 1,000/s, ms", value), "< 10 ms", p99 < 10);
    note("at 1,000 events/s: p50 %.2f ms, p99 %.2f ms (the reply is sent after the commit)", p50, p99);
    free(lat);
    sleep(1);
    double c0 = cpu_of(pid), w0 = wall_seconds();
    sleep(5);
    double idle = (cpu_of(pid) - c0) / (wall_seconds() - w0) * 100;
    snprintf(value, sizeof value, "%.2f%%", idle);
    row_goal(row_add("4  idle serve CPU (of one core, 5 s)", value), "~0 (< 1%)", idle < 1);
}

int main(int argc, char **argv)
{
    bench_name = "bench_serve";
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--keep"))
            keep_tmp = true;
        else if (!strcmp(argv[i], "--events") && i + 1 < argc)
            events_total = size_arg(argv[++i]);
        else
            die("usage: bench_serve [--events N] [--keep]");
    }
    signal(SIGPIPE, SIG_IGN);
    char buf[512], db[256];
    const char *huddle = huddle_bin(buf, sizeof buf);
    if (!huddle)
        die("no huddle binary (make, or set HUDDLE_BIN)");
    tmp_root_make("/tmp/huddle-bench-serve-XXXXXX");
    setup(huddle, db);
    double t0 = wall_seconds();
    pid_t pid = serve_start(huddle, db);
    measure(pid);
    kill(pid, SIGTERM);
    int status;
    waitpid(pid, &status, 0);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        note("serve did not exit 0 at SIGTERM (status %d)", status);
    printf("serve: huddle serve on loopback, its own client (raw HTTP/1.1 keep-alive), %zu events, full sync\n",
           events_total);
    printf("  %-60s %12s  %-14s %s\n", "metric", "value", "goal", "");
    for (unsigned i = 0; i < row_count; i++)
        printf("  %-60s %12s  %-14s %s\n", rows[i].metric, rows[i].value, rows[i].goal, rows[i].verdict);
    print_tail(t0);
    return 0;
}
