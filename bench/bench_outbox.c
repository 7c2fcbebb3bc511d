/*
 * bench_outbox.c - the outbox's delivery (issue 13), through engine.h against a local
 * HTTP peer that this program runs itself (a small epoll server on 127.0.0.1 in a
 * thread, keep-alive, answering 200 at once and noting when each request arrived).
 *
 *   1  deliveries/s: N instances each `send probe.post(...)` (made by group commit), then
 *      engine_dispatch_round until the outbox is empty; deliveries/s from the first
 *      round to the last.
 *   2  latency at a steady rate: one event a millisecond (1,000/s), each step sending
 *      once, with engine_dispatch_round called between events; for each, the time
 *      from its step's commit (engine_event returned) to its request reaching the peer;
 *      median and p99.
 *
 * Both run without fsync (no_sync stores): the claim and the settle of each delivery
 * are write transactions of their own, and the figures are of the dispatcher, not of
 * the disk. Options: --count N (section 1, default 5000), --rate-count N (section 2,
 * default 2000), --keep.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common.h"

static const char OUTBOX_PLAY[] =
    "playbook bench_outbox\n"
    "\n"
    "on bench.go as e\n"
    "\n"
    "state start {\n"
    "  send probe.post({n: e.n})\n"
    "  done \"sent\"\n"
    "}\n";

/* ---- the peer ---- */

#define PEER_MAX 200000
static double arrived[PEER_MAX + 1];     /* by instance number: when its request came */
static volatile unsigned long requests;
static int peer_port;

typedef struct Conn {
    int fd;
    char buf[16384];
    size_t len;
} Conn;

/* The instance number in the request's Idempotency-Key (STORE:iN:STEP:INDEX), 0: none. */
static unsigned long key_instance(const char *head, size_t len)
{
    const char *k = memmem(head, len, "dempotency-Key: ", 16);
    const char *i = k ? memchr(k + 16, ':', (size_t)(head + len - k - 16)) : NULL;
    return i && i[1] == 'i' ? strtoul(i + 2, NULL, 10) : 0;
}

/* Answers every whole request in the buffer. */
static void conn_serve(Conn *c)
{
    static const char OK[] = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n";
    for (;;) {
        char *end = memmem(c->buf, c->len, "\r\n\r\n", 4);
        if (!end)
            return;
        size_t head = (size_t)(end - c->buf) + 4;
        const char *cl = memmem(c->buf, head, "Content-Length: ", 16);
        size_t body = cl ? strtoul(cl + 16, NULL, 10) : 0;
        if (c->len < head + body)
            return;
        unsigned long n = key_instance(c->buf, head);
        if (n && n <= PEER_MAX && arrived[n] == 0)
            arrived[n] = wall_seconds();
        requests++;
        if (write(c->fd, OK, sizeof OK - 1) < 0)
            return;
        memmove(c->buf, c->buf + head + body, c->len - head - body);
        c->len -= head + body;
    }
}

static void *peer_main(void *arg)
{
    int listener = *(int *)arg, ep = epoll_create1(0);
    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = NULL};
    epoll_ctl(ep, EPOLL_CTL_ADD, listener, &ev);
    for (;;) {
        struct epoll_event events[64];
        int n = epoll_wait(ep, events, 64, -1);
        for (int i = 0; i < n; i++) {
            Conn *c = events[i].data.ptr;
            if (!c) {
                int fd = accept(listener, NULL, NULL);
                if (fd < 0)
                    continue;
                c = calloc(1, sizeof *c);
                c->fd = fd;
                struct epoll_event cev = {.events = EPOLLIN, .data.ptr = c};
                epoll_ctl(ep, EPOLL_CTL_ADD, fd, &cev);
                continue;
            }
            ssize_t got = read(c->fd, c->buf + c->len, sizeof c->buf - c->len);
            if (got <= 0) {
                epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
                close(c->fd);
                free(c);
                continue;
            }
            c->len += (size_t)got;
            conn_serve(c);
        }
    }
    return NULL;
}

static void peer_start(void)
{
    static int listener;
    listener = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = 0};
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    if (listener < 0 || bind(listener, (struct sockaddr *)&addr, sizeof addr) != 0 || listen(listener, 1024) != 0 ||
        getsockname(listener, (struct sockaddr *)&addr, &len) != 0)
        die("the peer cannot listen: %s", strerror(errno));
    peer_port = ntohs(addr.sin_port);
    pthread_t thread;
    if (pthread_create(&thread, NULL, peer_main, &listener) != 0)
        die("the peer's thread did not start");
    pthread_detach(thread);
}

/* ---- the store ---- */

static int64_t now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_REALTIME, &t);
    return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

static void outbox_store(Bench *b, const char *name)
{
    char dir[256], why[512];
    path_in(dir, sizeof dir, name);
    bench_open(b, dir, true);
    StrBuf bytes = STRBUF_INIT;
    compile_play("bench_outbox.play", OUTBOX_PLAY, &bytes);
    json_t *connectors = json_pack("{s:{s:s}, s:{s:s, s:s, s:{s:{s:s, s:s}}}}", "bench", "kind", "webhook", "probe",
                                   "kind", "http", "base_url", "http://127.0.0.1:0", "operations", "post", "method",
                                   "POST", "path", "/post");
    char url[64];
    snprintf(url, sizeof url, "http://127.0.0.1:%d", peer_port);
    json_object_set_new(json_object_get(connectors, "probe"), "base_url", json_string(url));
    EngineDeployItem item = {(const uint8_t *)bytes.data, bytes.len, ""};
    if (engine_deploy_set(b->engine, &item, 1, connectors, now_ms(), why, sizeof why) != ENGINE_OK)
        die("deploy: %s", why);
    json_decref(connectors);
    strbuf_free(&bytes);
}

static void event(Bench *b, size_t n)
{
    char id[32], why[512];
    snprintf(id, sizeof id, "e%zu", n);
    json_t *data = json_pack("{s:I}", "n", (json_int_t)n);
    bool duplicate;
    int64_t now = now_ms();
    if (engine_event(b->engine, "bench", "go", id, data, now, now, &duplicate, why, sizeof why) != ENGINE_OK)
        die("event: %s", why);
    json_decref(data);
}

static uint64_t outbox_pending(Bench *b)
{
    EngineOutboxStats stats;
    char why[512];
    if (engine_dispatch_stats(b->engine, now_ms(), &stats, why, sizeof why) != ENGINE_OK)
        die("stats: %s", why);
    return stats.pending + stats.in_flight;
}

static void round_once(Bench *b, int wait_ms)
{
    char why[512];
    int64_t next;
    if (engine_dispatch_round(b->engine, now_ms(), wait_ms, &next, why, sizeof why) != ENGINE_OK)
        die("dispatch: %s", why);
}

/* ---- 1: throughput ---- */

static void section_throughput(size_t count)
{
    Bench b;
    outbox_store(&b, "throughput");
    EngineInput *inputs = calloc(1000, sizeof *inputs);
    char (*ids)[32] = calloc(1000, sizeof *ids);
    json_t **data = calloc(1000, sizeof *data);
    for (size_t done = 0; done < count;) {
        size_t n = count - done < 1000 ? count - done : 1000;
        for (size_t i = 0; i < n; i++) {
            snprintf(ids[i], sizeof ids[i], "t%zu", done + i);
            data[i] = json_pack("{s:I}", "n", (json_int_t)(done + i));
            inputs[i] = (EngineInput){.kind = ENGINE_INPUT_EVENT, .source = "bench", .type = "go", .id = ids[i],
                                      .data = data[i], .event_time = now_ms()};
        }
        bench_batch(&b, inputs, n, now_ms());
        for (size_t i = 0; i < n; i++)
            json_decref(data[i]);
        done += n;
    }
    unsigned long before = requests;
    double t0 = wall_seconds();
    while (outbox_pending(&b) > 0)
        round_once(&b, 50);
    double seconds = wall_seconds() - t0;
    char value[32], metric[72];
    snprintf(metric, sizeof metric, "1  deliveries/s to a local HTTP peer (%zu sends)", count);
    group(value, sizeof value, (double)count / seconds);
    row_goal(row_add(metric, value), ">= 10,000/s", (double)count / seconds >= 10000);
    note("section 1: the peer saw %lu requests for %zu sends in %.2f s", requests - before, count, seconds);
    free(inputs);
    free(ids);
    free(data);
    bench_close(&b);
}

/* ---- 2: latency at 1,000/s ---- */

static void section_latency(size_t count)
{
    Bench b;
    outbox_store(&b, "latency");
    memset(arrived, 0, sizeof arrived);
    double *committed = calloc(count + 1, sizeof *committed);
    double start = wall_seconds();
    for (size_t n = 1; n <= count; n++) {
        double due = start + (double)(n - 1) / 1000.0;
        while (wall_seconds() < due)
            round_once(&b, 0);
        event(&b, n);   /* instance n: the store is new, so ids follow the events */
        committed[n] = wall_seconds();
        round_once(&b, 0);
    }
    double until = wall_seconds() + 10;
    while (outbox_pending(&b) > 0 && wall_seconds() < until)
        round_once(&b, 20);
    double *latency = calloc(count, sizeof *latency);
    size_t seen = 0;
    for (size_t n = 1; n <= count; n++)
        if (arrived[n] > 0)
            latency[seen++] = (arrived[n] - committed[n]) * 1000.0;
    double rate = (double)count / (wall_seconds() - start);
    char value[32], metric[72];
    snprintf(metric, sizeof metric, "2  commit -> request at the peer, p99 at 1,000/s, ms");
    double p50 = seen ? quantile(latency, seen, 0.5) : 0, p99 = seen ? quantile(latency, seen, 0.99) : 0;
    snprintf(value, sizeof value, "%.2f", p99);
    row_goal(row_add(metric, value), "< 10 ms", seen == count && p99 < 10);
    snprintf(value, sizeof value, "%.2f", p50);
    row_add("2  the same, median, ms", value);
    note("section 2: %zu of %zu requests reached the peer; %.0f events/s offered", seen, count, rate);
    free(latency);
    free(committed);
    bench_close(&b);
}

int main(int argc, char **argv)
{
    bench_name = "bench_outbox";
    size_t count = 5000, rate_count = 2000;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--keep") == 0)
            keep_tmp = true;
        else if (strcmp(argv[i], "--count") == 0 && i + 1 < argc)
            count = size_arg(argv[++i]);
        else if (strcmp(argv[i], "--rate-count") == 0 && i + 1 < argc && (rate_count = size_arg(argv[++i])) <= PEER_MAX)
            ;
        else {
            fprintf(stderr, "usage: %s [--count N] [--rate-count N (at most %d)] [--keep]\n", argv[0], PEER_MAX);
            return 2;
        }
    }
    tmp_root_make("/tmp/huddle-bench-outbox-XXXXXX");
    peer_start();
    double t0 = wall_seconds();
    section_throughput(count);
    section_latency(rate_count);
    printf("outbox: delivery through libcurl to a local HTTP peer (no fsync: the dispatcher's cost)\n");
    printf("  %-56s %12s  %-18s %s\n", "metric", "value", "goal", "");
    for (unsigned i = 0; i < row_count; i++)
        printf("  %-56s %12s  %-18s %s\n", rows[i].metric, rows[i].value, rows[i].goal, rows[i].verdict);
    print_tail(t0);
    return 0;
}
