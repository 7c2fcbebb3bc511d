/*
 * http_load.c - files, child processes and an HTTP/1.1 load generator for the benchmarks
 * that drive `huddle serve` over loopback; see http_load.h.
 */
#include "http_load.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common.h"

/* ---- files and processes ------------------------------------------------------------ */

void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    if (!f || fputs(text, f) < 0 || fclose(f) != 0)
        die("%s: %s", path, strerror(errno));
}

void hex_of(const unsigned char *bytes, size_t n, char *out)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = digits[bytes[i] >> 4];
        out[2 * i + 1] = digits[bytes[i] & 15];
    }
    out[2 * n] = '\0';
}

/* argv[32] = BIN ARGS... NULL (the first 30 of ARGS). */
static void argv_of(char *argv[32], const char *bin, char *const args[])
{
    size_t n = 0;
    argv[n++] = (char *)bin;
    while (args[n - 1] && n < 31) {
        argv[n] = args[n - 1];
        n++;
    }
    argv[n] = NULL;
}

void huddle_must(const char *bin, char *const args[])
{
    char *argv[32];
    argv_of(argv, bin, args);
    int status;
    run_timed(argv, "", &status);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        die("%s %s failed (status %d)", bin, args[0], status);
}

int free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof a;
    if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof a) != 0 ||
        getsockname(fd, (struct sockaddr *)&a, &len) != 0)
        die("finding a free port: %s", strerror(errno));
    close(fd);
    return ntohs(a.sin_port);
}

pid_t spawn_logged(const char *bin, char *const args[], const char *log, const char *env_name,
                   const char *env_value)
{
    char *argv[32];
    argv_of(argv, bin, args);
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0)
        die("fork: %s", strerror(errno));
    if (pid == 0) {
        int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (fd >= 0) {
            dup2(fd, 1);
            dup2(fd, 2);
        }
        if (env_name)
            setenv(env_name, env_value, 1);
        execv(bin, argv);
        _exit(127);
    }
    return pid;
}

/* utime + stime in seconds from a /proc/.../stat file (-1: it cannot be read). */
static double stat_cpu_seconds(const char *path)
{
    char text[1024];
    FILE *f = fopen(path, "r");
    size_t n = f ? fread(text, 1, sizeof text - 1, f) : 0;
    if (f)
        fclose(f);
    text[n] = '\0';
    const char *p = strrchr(text, ')');
    unsigned long utime = 0, stime = 0;
    /* after "(comm) ": state, fields 4 to 13, then utime (14) and stime (15) */
    if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &utime, &stime) != 2)
        return -1.0;
    return (double)(utime + stime) / (double)sysconf(_SC_CLK_TCK);
}

double process_cpu_seconds(pid_t pid)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    double seconds = stat_cpu_seconds(path);
    if (seconds < 0)
        die("cannot read %s", path);
    return seconds;
}

double threads_cpu_seconds(pid_t pid, const char *comm)
{
    char path[128];
    snprintf(path, sizeof path, "/proc/%d/task", (int)pid);
    DIR *dir = opendir(path);
    double sum = 0.0;
    struct dirent *e;
    while (dir && (e = readdir(dir))) {
        if (e->d_name[0] == '.')
            continue;
        char name[64] = "", file[300];
        snprintf(file, sizeof file, "%s/%s/comm", path, e->d_name);
        FILE *f = fopen(file, "r");
        if (f) {
            if (!fgets(name, sizeof name, f))
                name[0] = '\0';
            fclose(f);
        }
        name[strcspn(name, "\n")] = '\0';
        if (strcmp(name, comm) != 0)
            continue;
        snprintf(file, sizeof file, "%s/%s/stat", path, e->d_name);
        double seconds = stat_cpu_seconds(file);
        sum += seconds > 0 ? seconds : 0.0;
    }
    if (dir)
        closedir(dir);
    return sum;
}

/* ---- one keep-alive connection ------------------------------------------------------ */

typedef struct Conn {
    int fd;
    bool busy;                  /* a request is out and its reply not yet whole */
    double due;                 /* when that request was due (latency counts from it) */
    char in[16384];
    size_t in_len;
} Conn;

static int conn_open(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    int one = 1;
    if (fd < 0)
        return -1;
    if (connect(fd, (struct sockaddr *)&a, sizeof a) != 0) {
        close(fd);
        return -1;
    }
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    return fd;
}

static void send_all(int fd, const char *data, size_t len)
{
    while (len > 0) {
        ssize_t n = send(fd, data, len, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            die("send: %s", n < 0 ? strerror(errno) : "connection closed");
        data += n;
        len -= (size_t)n;
    }
}

/* Reads what the socket has. Returns the reply's HTTP status once a whole reply is in
   (and drops it from the buffer), 0 while it is not; dies when the server hung up. */
static int conn_read(Conn *c)
{
    ssize_t n = recv(c->fd, c->in + c->in_len, sizeof c->in - 1 - c->in_len, 0);
    if (n <= 0)
        die("the server closed a connection (%s)", n < 0 ? strerror(errno) : "end of stream");
    c->in_len += (size_t)n;
    c->in[c->in_len] = '\0';
    char *end = strstr(c->in, "\r\n\r\n");
    if (!end)
        return 0;
    size_t head = (size_t)(end + 4 - c->in), body = 0;
    char *length = strcasestr(c->in, "\r\nContent-Length:");
    if (length && length < end)
        body = strtoul(length + 17, NULL, 10);
    if (head + body >= sizeof c->in)
        die("a reply of %zu bytes is more than this load generator reads", head + body);
    if (c->in_len < head + body)
        return 0;
    int status = atoi(c->in + 9);       /* "HTTP/1.1 200 OK" */
    memmove(c->in, c->in + head + body, c->in_len - head - body);
    c->in_len -= head + body;
    return status;
}

/* ---- the load ----------------------------------------------------------------------- */

static double *doubles(size_t n)
{
    double *p = calloc(n ? n : 1, sizeof *p);
    if (!p)
        die("out of memory");
    return p;
}

/* Sends the next requests that are due on idle connections; returns how many were sent. */
static size_t send_due(Load *load, Conn *conns, size_t sent, double t0)
{
    char request[4096];
    double now = wall_seconds();
    for (int i = 0; i < LOAD_CONNECTIONS && sent < load->total; i++) {
        if (conns[i].busy)
            continue;
        double due = load->rate > 0 ? t0 + (double)sent / load->rate : now;
        if (due > now)
            break;
        size_t len = load->make(request, sizeof request, sent);
        send_all(conns[i].fd, request, len);
        conns[i].busy = true;
        conns[i].due = due;
        load->sent_at[sent++] = due;
    }
    return sent;
}

void load_run(Load *load)
{
    Conn *conns = calloc(LOAD_CONNECTIONS, sizeof *conns);
    struct pollfd fds[LOAD_CONNECTIONS];
    if (!conns)
        die("out of memory");
    for (int i = 0; i < LOAD_CONNECTIONS; i++)
        if ((conns[i].fd = conn_open(load->port)) < 0)
            die("connect to 127.0.0.1:%d: %s", load->port, strerror(errno));
    load->latency_ms = doubles(load->total);
    load->sent_at = doubles(load->total);
    size_t sent = 0, done = 0;
    double t0 = wall_seconds();
    while (done < load->total) {
        sent = send_due(load, conns, sent, t0);
        for (int i = 0; i < LOAD_CONNECTIONS; i++)
            fds[i] = (struct pollfd){.fd = conns[i].busy ? conns[i].fd : -1, .events = POLLIN};
        if (poll(fds, LOAD_CONNECTIONS, load->rate > 0 ? 1 : 1000) < 0 && errno != EINTR)
            die("poll: %s", strerror(errno));
        for (int i = 0; i < LOAD_CONNECTIONS; i++) {
            if (!(fds[i].revents & (POLLIN | POLLHUP | POLLERR)))
                continue;
            int status = conn_read(&conns[i]);
            if (!status)
                continue;
            load->latency_ms[done++] = (wall_seconds() - conns[i].due) * 1000.0;
            conns[i].busy = false;
            if (status >= 200 && status < 300) {
                load->ok++;
            } else {
                load->failed++;
                if (!load->first_bad_status)
                    load->first_bad_status = status;
            }
        }
    }
    load->seconds = wall_seconds() - t0;
    for (int i = 0; i < LOAD_CONNECTIONS; i++)
        close(conns[i].fd);
    free(conns);
}

void load_free(Load *load)
{
    free(load->latency_ms);
    free(load->sent_at);
    load->latency_ms = load->sent_at = NULL;
}

void wait_http_ok(int port, const char *path, pid_t pid)
{
    char request[512];
    int len = snprintf(request, sizeof request, "GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", path);
    for (int tries = 0; tries < 200; tries++) {
        Conn c = {.fd = conn_open(port)};
        if (c.fd >= 0) {
            send_all(c.fd, request, (size_t)len);
            int status = 0;
            while (!status)
                status = conn_read(&c);
            close(c.fd);
            if (status == 200)
                return;
        }
        if (waitpid(pid, NULL, WNOHANG) == pid)
            die("the server exited at start (its log is under %s; --keep keeps it)", tmp_root);
        usleep(50 * 1000);
    }
    die("nothing answered GET %s on 127.0.0.1:%d within 10 s", path, port);
}
