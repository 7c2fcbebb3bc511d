/*
 * http_load.h - what the benchmarks that drive `huddle serve` from outside share: files
 * and child processes (the server itself), and a load generator of HTTP/1.1 keep-alive
 * connections on loopback, closed-loop or at a steady rate, timing every reply.
 *
 * Linked into every benchmark beside common.c; like it, it dies (common.h's die()) on
 * anything that would make a figure meaningless.
 */
#ifndef HUDDLE_BENCH_HTTP_LOAD_H
#define HUDDLE_BENCH_HTTP_LOAD_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* ---- files and processes ------------------------------------------------------------ */

/* Writes text to path (replacing it); dies on failure. */
void write_file(const char *path, const char *text);

/* Writes n bytes as 2n lower-case hex digits and a NUL into out. */
void hex_of(const unsigned char *bytes, size_t n, char *out);

/* Runs `BIN ARGS...` (NULL-terminated) to completion, stdout to /dev/null; dies unless it exits 0. */
void huddle_must(const char *bin, char *const args[]);

/* A loopback port nobody listens on now (the kernel's pick for port 0). */
int free_port(void);

/* Starts `BIN ARGS...` in the background with stdout and stderr into `log`, and the
   environment variable env_name set to env_value (env_name NULL: none). */
pid_t spawn_logged(const char *bin, char *const args[], const char *log, const char *env_name,
                   const char *env_value);

/* A process's user + system CPU seconds so far (/proc/PID/stat). */
double process_cpu_seconds(pid_t pid);
/* The same for those of its threads named `comm` (/proc/PID/task/TID/comm). */
double threads_cpu_seconds(pid_t pid, const char *comm);

/* ---- HTTP/1.1 keep-alive load -------------------------------------------------------- */

#define LOAD_CONNECTIONS 64

/* Writes request number k (0, 1, ...) into out and returns its length. */
typedef size_t (*MakeRequest)(char *out, size_t size, size_t k);

typedef struct Load {
    int port;
    MakeRequest make;
    size_t total;               /* requests to send */
    double rate;                /* 0: closed loop (each connection sends on its reply); else requests/s */
    /* results */
    size_t ok, failed;          /* 2xx replies, others */
    int first_bad_status;
    double seconds;             /* first send to last reply */
    double *latency_ms;         /* total entries, in reply order: due time -> whole reply */
    double *sent_at;            /* total entries, by request number: when each was due (wall_seconds) */
} Load;

/* Sends load->total requests over LOAD_CONNECTIONS connections to 127.0.0.1:port and
   waits for every reply; allocates the latency and sent_at arrays (load_free frees them). */
void load_run(Load *load);
void load_free(Load *load);

/* Waits up to 10 s for `GET path` to answer 200 on 127.0.0.1:port; dies sooner if the
   process `pid` exits. */
void wait_http_ok(int port, const char *path, pid_t pid);

#endif
