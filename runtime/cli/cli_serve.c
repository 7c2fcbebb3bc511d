/*
 * cli_serve.c - `huddle serve`: the runtime as a service (docs/operations.md).
 *
 * Opens the store, takes its lock (a flock on the store folder and on DIR/serve.lock:
 * one serve per store; `huddle tick` refuses beside it), reads the tokens and connectors
 * files, starts the engine thread (cli_serve_loop.c) and the HTTP server
 * (runtime/connectors/http_server.c), and waits for SIGTERM or SIGINT. Then it stops
 * accepting, lets the engine thread finish and answer every queued request, stops the
 * HTTP server, closes the store, and exits 0. Signals are blocked in every thread and
 * taken by sigwait here, so no handler runs inside the engine or the HTTP server.
 */
#include "cli_serve.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "civil.h"
#include "cli.h"
#include "engine.h"

#define SERVE_QUEUE_DEFAULT 10000
#define SERVE_BATCH_MAX 1024

typedef struct ServeArgs {
    const char *db, *listen, *connectors, *tokens, *max_body, *queue, *clock_offset, *idle_timeout;
    const char *now;                            /* --now T: engine time as serve starts */
    const char *publish_head, *publish_every;   /* --publish-head C.OP every DURATION */
} ServeArgs;

/* --publish-head CONNECTOR.OPERATION every DURATION: the three words after it. */
static int serve_publish_args(int argc, char **argv, int *i, ServeArgs *a)
{
    if (*i + 3 >= argc || strcmp(argv[*i + 2], "every") != 0)
        return cli_usage_error("serve", "--publish-head needs CONNECTOR.OPERATION every DURATION "
                               "(such as --publish-head notary.record every 1h)");
    a->publish_head = argv[*i + 1];
    a->publish_every = argv[*i + 3];
    *i += 3;
    return CLI_OK;
}

static int serve_args(int argc, char **argv, ServeArgs *a)
{
    memset(a, 0, sizeof *a);
    a->db = getenv("HUDDLE_DB") && *getenv("HUDDLE_DB") ? getenv("HUDDLE_DB") : "huddle.db";
    a->listen = "127.0.0.1:8080";
    CliSeen seen = {.count = 0};
    for (int i = 1; i < argc; i++) {
        const char *opt = argv[i];
        if (!strcmp(opt, "--publish-head")) {
            if (serve_publish_args(argc, argv, &i, a) != CLI_OK)
                return CLI_USAGE;
            continue;
        }
        const char **slot = !strcmp(opt, "--db") ? &a->db : !strcmp(opt, "--listen") ? &a->listen
                          : !strcmp(opt, "--connectors") ? &a->connectors : !strcmp(opt, "--tokens") ? &a->tokens
                          : !strcmp(opt, "--max-body") ? &a->max_body : !strcmp(opt, "--queue") ? &a->queue
                          : !strcmp(opt, "--clock-offset") ? &a->clock_offset : !strcmp(opt, "--now") ? &a->now
                          : !strcmp(opt, "--idle-timeout") ? &a->idle_timeout : NULL;
        if (!slot || !cli_takes_option("serve", opt))
            return cli_usage_error("serve", "unknown argument '%s'", cli_clean(opt));
        if (cli_option_value("serve", argc, argv, &i, slot, &seen) != CLI_OK)
            return CLI_USAGE;
    }
    if (a->now && a->clock_offset)
        return cli_usage_error("serve", "--now and --clock-offset both set serve's clock: give one of them");
    return cli_check_db("serve", a->db) == CLI_OK ? CLI_OK : CLI_USAGE;
}

/* --now T: the clock offset that makes the wall clock read T now (in *offset), T itself
   in *now_ms for the check against the store's time once it is open. */
static int serve_now_offset(const ServeArgs *a, int64_t *now_ms, int32_t *zone, int64_t *offset)
{
    int rc = cli_parse_time("serve", "--now", a->now, now_ms, zone);
    if (rc != CLI_OK)
        return rc;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    *offset = *now_ms - ((int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000);
    return CLI_OK;
}

/* HOST:PORT, [V6]:PORT, HOST a numeric address: one that is not (localhost, a name, an
   empty one) is a usage error here, before the store is opened, as a bad port is. */
static int serve_listen(const char *text, char *host, size_t cap, unsigned *port)
{
    const char *colon = strrchr(text, ':');
    int64_t p;
    if (!colon || !text_parse_count(colon + 1, 0, 65535, &p))
        return cli_usage_error("serve", "--listen '%s' is not HOST:PORT (127.0.0.1:8080; port 0: any free one)",
                               cli_clean(text));
    const char *start = text, *end = colon;
    if (*start == '[' && end > start && end[-1] == ']') {
        start++;
        end--;
    }
    snprintf(host, cap, "%.*s", (int)(end - start), start);
    unsigned char address[sizeof(struct in6_addr)];
    if ((size_t)(end - start) >= cap ||
        (inet_pton(AF_INET, host, address) != 1 && inet_pton(AF_INET6, host, address) != 1))
        return cli_usage_error("serve", "--listen '%s': the host is not a numeric IPv4 or IPv6 address: give "
                               "127.0.0.1:PORT, 0.0.0.0:PORT or [::1]:PORT (names such as localhost are not "
                               "looked up)", cli_clean(text));
    *port = (unsigned)p;
    return CLI_OK;
}

/* A whole number option, or its default. */
static int serve_number(const char *flag, const char *text, int64_t min, int64_t max, int64_t dflt, int64_t *out)
{
    *out = dflt;
    bool negative = text && text[0] == '-' && min < 0;
    int64_t low = negative ? 0 : min > 0 ? min : 0;   /* --max-body 0, --queue 0: below the range */
    if (text && !text_parse_count(text + negative, low, negative ? -min : max, out))
        return cli_usage_error("serve", "%s '%s' is not a whole number from %lld to %lld", flag, cli_clean(text),
                               (long long)min, (long long)max);
    if (text && negative)
        *out = -*out;
    return CLI_OK;
}

/* ---- --publish-head ---- */

/* The period: at least a minute (a head sent more often says no more, and fills the
   outbox). */
static int serve_publish_every(Serve *s, const ServeArgs *a)
{
    int64_t seconds;
    if (!a->publish_head)
        return CLI_OK;
    if (!civil_parse_elapsed(a->publish_every, &seconds) || seconds > INT64_MAX / 1000)
        return cli_usage_error("serve", "--publish-head ... every '%s' is not a duration (write digits and one of "
                               "s m h d w, such as 1h)", cli_clean(a->publish_every));
    if (seconds < 60)
        return cli_usage_error("serve", "--publish-head ... every %s is too often: publish the head at most once a "
                               "minute", cli_clean(a->publish_every));
    s->publish_every_ms = seconds * 1000;
    return CLI_OK;
}

/* CONNECTOR.OPERATION: an operation of an http connector serve delivers through. */
static int serve_publish_connector(Serve *s, const ServeArgs *a)
{
    if (!a->publish_head)
        return CLI_OK;
    const char *spec = a->publish_head, *dot = strrchr(spec, '.');
    size_t len = dot ? (size_t)(dot - spec) : 0;
    if (!dot || len == 0 || len > CONN_NAME_MAX || !dot[1])
        return cli_usage_error("serve", "--publish-head '%s' is not CONNECTOR.OPERATION (such as notary.record)",
                               cli_clean(spec));
    snprintf(s->publish_connector, sizeof s->publish_connector, "%.*s", (int)len, spec);
    s->publish_operation = dot + 1;
    const Connector *c = s->connectors ? conn_find(s->connectors, s->publish_connector) : NULL;
    if (!c)
        return cli_usage_error("serve", "--publish-head: no connector '%s' in the connectors serve uses",
                               cli_clean(s->publish_connector));
    if (c->kind != CONN_HTTP)
        return cli_usage_error("serve", "--publish-head: the connector '%s' is not an http connector (the head is "
                               "sent as a JSON body)", cli_clean(s->publish_connector));
    if (conn_operation(c, s->publish_operation))
        return CLI_OK;
    return cli_usage_error("serve", "--publish-head: the connector '%s' has no operation '%s'",
                           cli_clean(s->publish_connector), cli_clean(s->publish_operation));
}

/* ---- the lock ---- */

/* Whether `path` (opened with `flags`) is flocked by another open file. */
static bool serve_flocked(const char *path, int flags)
{
    int fd = open(path, flags | O_CLOEXEC);
    if (fd < 0)
        return false;
    bool held = flock(fd, LOCK_EX | LOCK_NB) != 0 && errno == EWOULDBLOCK;
    close(fd);
    return held;
}

/* Whether the folder `db` is flocked by shared holders only (ticks), none exclusive. */
static bool serve_shared_only(const char *db)
{
    int fd = open(db, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    bool shared = fd >= 0 && flock(fd, LOCK_SH | LOCK_NB) == 0;
    if (fd >= 0)
        close(fd);
    return shared;
}

/* One serve per store: an exclusive flock on the store folder itself, which cannot be
   removed while the store is in it, and on DIR/serve.lock, the file people see (and
   that an older huddle tick tests). A serve.lock removed under a running serve leaves
   the folder's lock in place, so a second serve and tick are still refused. A running
   tick holds a shared flock on the folder (cli_tick_lock), so serve does not start
   beside it either: the two would fire the same timers and send the same outbox. */
static int serve_lock(const char *db, int fds[2])
{
    char path[4096];
    snprintf(path, sizeof path, "%s/serve.lock", db);
    fds[0] = open(db, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    fds[1] = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fds[0] < 0 || fds[1] < 0) {
        fprintf(stderr, "huddle: cannot %s %s: %s%s\n", fds[0] < 0 ? "open" : "make", fds[0] < 0 ? db : path,
                strerror(errno), fds[0] < 0 ? "" : SERVE_FILE_ADVICE);
        goto fail;
    }
    bool folder_taken = flock(fds[0], LOCK_EX | LOCK_NB) != 0;
    if (folder_taken && serve_shared_only(db)) {
        fprintf(stderr, "huddle: a huddle tick is running on the store %s: start serve when it has ended "
                "(serve fires the timers and sends the outbox itself, so no tick is needed beside it)\n", db);
        goto fail;
    }
    if (folder_taken || flock(fds[1], LOCK_EX | LOCK_NB) != 0) {
        fprintf(stderr, "huddle: another huddle serve holds the store %s (%s): one serve per store\n", db, path);
        goto fail;
    }
    return CLI_OK;
fail:
    for (int i = 0; i < 2; i++) {
        if (fds[i] >= 0)
            close(fds[i]);
        fds[i] = -1;
    }
    return CLI_SYSTEM;
}

int cli_tick_lock(const char *db, int *fd)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/serve.lock", db);
    *fd = open(db, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    bool serving = *fd >= 0 && flock(*fd, LOCK_SH | LOCK_NB) != 0;
    if (!serving && !serve_flocked(path, O_RDWR))
        return CLI_OK;              /* no folder: opening the store says what is wrong */
    if (*fd >= 0)
        close(*fd);
    *fd = -1;
    fprintf(stderr, "huddle: huddle serve holds the store %s and fires its timers itself: tick refuses "
            "beside it (stop serve first, or let it work)\n", db);
    return CLI_SYSTEM;
}

/* ---- files ---- */

static void serve_print_problems(json_t *problems)
{
    size_t i;
    json_t *p;
    json_array_foreach(problems, i, p)
        fprintf(stderr, "huddle: %s\n", cli_clean(json_string_value(p)));
}

/* Each signed webhook's secret, made ready once for the door (the environment was
   checked: every secret is set). */
static int serve_signers(Serve *s)
{
    unsigned count = s->connectors ? s->connectors->count : 0;
    if (!count)
        return CLI_OK;
    if (!(s->signers = calloc(count, sizeof *s->signers))) {
        fprintf(stderr, "huddle: out of memory\n");
        return CLI_SYSTEM;
    }
    for (unsigned i = 0; i < count; i++) {
        const Connector *c = &s->connectors->items[i];
        if (c->kind != CONN_WEBHOOK || !c->secret_env)
            continue;
        const char *secret = getenv(c->secret_env);
        if (!(s->signers[i] = conn_signer_new(secret, strlen(secret)))) {
            fprintf(stderr, "huddle: cannot make the HMAC-SHA256 of the webhook connector %s (OpenSSL)\n",
                    cli_clean(c->name));
            return CLI_SYSTEM;
        }
    }
    return CLI_OK;
}

static void serve_signers_free(Serve *s)
{
    for (unsigned i = 0; s->signers && i < s->connectors->count; i++)
        conn_signer_free(s->signers[i]);
    free(s->signers);
    s->signers = NULL;
}

/* The connectors: --connectors F replaces those the store keeps; without it, the kept
   ones. Every webhook's secret must be in the environment. */
static int serve_connectors(Serve *s, const ServeArgs *a)
{
    json_t *problems = json_array();
    char why[1024];
    int status = CLI_OK;
    if (a->connectors) {
        s->connectors = conn_file_load(a->connectors, problems);
        if (s->connectors)
            status = serve_publish_connector(s, a);   /* refused before the store keeps the file */
        if (s->connectors && status == CLI_OK && engine_deploy_set(s->engine, NULL, 0, s->connectors->json, serve_now(s), why,
                                               sizeof why) != ENGINE_OK) {
            fprintf(stderr, "huddle: %s\n", why);
            status = CLI_SYSTEM;
        }
    } else {
        status = cli_connectors_kept(s->engine, &s->connectors);
        if (status == CLI_OK)
            status = serve_publish_connector(s, a);
    }
    if (json_array_size(problems)) {
        serve_print_problems(problems);
        status = CLI_REFUSED;
    }
    json_decref(problems);
    for (unsigned i = 0; status == CLI_OK && s->connectors && i < s->connectors->count; i++) {
        const Connector *c = &s->connectors->items[i];
        if (c->kind == CONN_WEBHOOK && c->secret_env && !(getenv(c->secret_env) && *getenv(c->secret_env))) {
            fprintf(stderr, "huddle: the webhook connector %s needs its secret in the environment variable %s, "
                    "which is %s\n", cli_clean(c->name), cli_clean(c->secret_env),
                    getenv(c->secret_env) ? "empty (an empty secret signs nothing)" : "not set");
            status = CLI_REFUSED;
        }
    }
    return status == CLI_OK ? serve_signers(s) : status;
}

static int serve_tokens(Serve *s, const ServeArgs *a)
{
    if (!a->tokens)
        return CLI_OK;
    json_t *problems = json_array();
    int rc = serve_tokens_load(a->tokens, &s->tokens, problems);
    serve_print_problems(problems);
    json_decref(problems);
    return rc == 0 ? CLI_OK : CLI_REFUSED;
}

/* ---- logs ---- */

static void serve_on_done(void *context, const char *method, const char *path, int status, int64_t micros)
{
    (void)context;
    StrBuf mine = STRBUF_INIT, *line = serve_log_own();
    line = line ? line : &mine;
    serve_log_begin(line, status >= 500 || status == 0 ? "warn" : "info", "request");
    serve_log_string(line, "method", method);
    serve_log_text(line, "path", path, strnlen(path, 199));   /* cut at 199 bytes */
    serve_log_integer(line, "status", status);
    serve_log_millis(line, "ms", micros);
    serve_log_end(line);
}

/* Open connections, which the engine thread's gather waits for (cli_serve_loop.c). */
static void serve_on_connection(void *context, int delta)
{
    Serve *s = context;
    atomic_fetch_add(&s->connections, delta);
}

/* Replies given and not yet on their way, which the gather's quiet spell waits for, and
   when the last of them went. */
static void serve_on_resumed(void *context, int delta)
{
    Serve *s = context;
    if (atomic_fetch_add(&s->replies_unsent, delta) + delta <= 0 && delta < 0) {
        struct timespec now;
        clock_gettime(CLOCK_MONOTONIC, &now);
        atomic_store(&s->replies_sent_ns, (long long)now.tv_sec * 1000000000LL + now.tv_nsec);
    }
}

static void serve_on_http_log(void *context, const char *message)
{
    (void)context;
    serve_log("warn", "http", json_pack("{s:s}", "message", message));
}

/* Notable engine records (after their commit): instances starting and ending,
   stalls, resolutions, escalations, timers. */
static const char *const SERVE_NOTABLE[] = {"started", "stalled", "done", "failed", "cancelled", "resolved",
                                            "escalated", "timer", "overridden", "retried", NULL};

/* The engine hands this only records of the kinds above (EngineOptions.record_kinds),
   read where they lie in the store's bytes (no JSON is made for them). */
static void serve_on_record(void *context, const EngineRecordBrief *record)
{
    (void)context;
    StrBuf mine = STRBUF_INIT, *line = serve_log_own();
    line = line ? line : &mine;
    serve_log_begin(line, !strcmp(record->kind, "stalled") ? "warn" : "info", record->kind);
    serve_log_text(line, "instance", record->instance.text, record->instance.len);
    serve_log_text(line, "state", record->state.text, record->state.len);
    serve_log_text(line, "task", record->task.text, record->task.len);
    serve_log_end(line);
}

/* ---- start and stop ---- */

static int serve_open(Serve *s, const ServeArgs *a)
{
    EngineOptions options = {0};
    options.sync_root_later = true;   /* replies wait for the disk: cli_serve_reply.c */
    options.on_record_brief = serve_on_record;
    options.record_kinds = SERVE_NOTABLE;
    options.grow_ahead = true;  /* a synced commit then does not change data.mdb's size */
    char why[1024];
    if (engine_open(a->db, &options, &s->engine, why, sizeof why) != ENGINE_OK) {
        fprintf(stderr, "huddle: %s\n", why);
        return CLI_SYSTEM;
    }
    if (engine_notice(s->engine))
        serve_log("info", "store", json_pack("{s:s}", "notice", engine_notice(s->engine)));
    return CLI_OK;
}

/* --idle-timeout: seconds from 1 to an hour (default 30). */
static int serve_idle_timeout(const ServeArgs *a, int64_t *idle)
{
    return serve_number("--idle-timeout", a->idle_timeout, 1, 3600, 30, idle);
}

static int serve_start_http(Serve *s, const ServeArgs *a, const char *host, unsigned port)
{
    int64_t idle;
    if (serve_idle_timeout(a, &idle) != CLI_OK)
        return CLI_USAGE;
    HttpServerOptions o = {
        .host = host, .port = port, .max_body = s->max_body, .idle_timeout_s = (unsigned)idle,
        .max_connections = 4000, .handler = serve_on_request, .on_done = serve_on_done,
        .on_log = serve_on_http_log, .on_connection = serve_on_connection, .on_resumed = serve_on_resumed,
        .context = s,
    };
    char why[512];
    if (http_server_start(&o, &s->http, why, sizeof why) != 0) {
        fprintf(stderr, "huddle: %s\n", why);
        return CLI_SYSTEM;
    }
    return CLI_OK;
}

/* Waits for SIGTERM or SIGINT (blocked in every thread since before they started). */
static void serve_wait(const sigset_t *signals)
{
    int sig = 0;
    while (sigwait(signals, &sig) != 0)
        ;
    serve_log("info", "stopping", json_pack("{s:s}", "signal", sig == SIGINT ? "SIGINT" : "SIGTERM"));
}

static void serve_close(Serve *s, int lock_fds[2])
{
    atomic_store(&s->ready, false);
    if (s->http)
        http_server_quiesce(s->http);
    serve_loop_stop(s);          /* every queued job answered; later ones get 503 */
    if (s->http && !http_server_drain(s->http, SERVE_DRAIN_MS))   /* the answers on their way */
        serve_log("warn", "stopping", json_pack("{s:s}", "why", "some replies were not sent within 5 s"));
    http_server_stop(s->http);   /* no request is suspended any more */
    s->http = NULL;
    serve_jobs_reap(s);          /* what the engine thread handed back last */
    if (s->engine)
        engine_close(s->engine);
    s->engine = NULL;
    serve_inflight_close(s);
    serve_signers_free(s);
    conn_file_free(s->connectors);
    serve_tokens_free(&s->tokens);
    serve_idem_free(s->idem);
    serve_queue_destroy(&s->queue);
    for (int i = 0; i < 2; i++)
        if (lock_fds[i] >= 0)
            close(lock_fds[i]);
}

static int serve_setup(Serve *s, const ServeArgs *a, char *host, size_t cap, unsigned *port)
{
    int64_t max_body, queue, offset, idle;
    int rc = serve_listen(a->listen, host, cap, port);
    if (rc == CLI_OK)
        rc = serve_number("--max-body", a->max_body, 1, (int64_t)CLI_MAX_BODY_LIMIT, (int64_t)CLI_MAX_BODY_DEFAULT,
                          &max_body);
    if (rc == CLI_OK)
        rc = serve_number("--queue", a->queue, 1, 1000000, SERVE_QUEUE_DEFAULT, &queue);
    if (rc == CLI_OK)
        rc = a->now ? serve_now_offset(a, &s->start_ms, &s->start_zone, &offset)
                    : serve_number("--clock-offset", a->clock_offset, -(INT64_C(1) << 50), INT64_C(1) << 50, 0, &offset);
    if (rc == CLI_OK)   /* checked here too, so a bad one is refused before the store is opened */
        rc = serve_idle_timeout(a, &idle);
    if (rc != CLI_OK)
        return rc;
    s->max_body = (size_t)max_body;
    s->clock_offset_ms = offset;
    s->batch_max = SERVE_BATCH_MAX;
    serve_metrics_init(&s->metrics);
    if (serve_queue_init(&s->queue, (size_t)queue) != 0) {
        fprintf(stderr, "huddle: out of memory\n");
        return CLI_SYSTEM;
    }
    return CLI_OK;
}

int cli_serve(int argc, char **argv)
{
    ServeArgs a;
    int rc = serve_args(argc, argv, &a);
    if (rc != CLI_OK)
        return rc;
    Serve s = {0};
    s.inflight_fd = -1;
    char host[256];
    unsigned port = 0;
    int lock_fds[2] = {-1, -1};   /* the store folder, DIR/serve.lock */
    sigset_t signals;
    sigemptyset(&signals);
    sigaddset(&signals, SIGTERM);
    sigaddset(&signals, SIGINT);
    sigaddset(&signals, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &signals, NULL);
    sigdelset(&signals, SIGPIPE);
    rc = serve_setup(&s, &a, host, sizeof host, &port);
    if (rc == CLI_OK)
        rc = serve_publish_every(&s, &a);
    if (rc == CLI_OK)
        rc = serve_open(&s, &a);
    int64_t started;
    if (rc == CLI_OK && a.now)   /* never earlier than the store's time: refused as every --now is */
        rc = cli_engine_now(s.engine, &s.start_ms, s.start_zone, &started);
    if (rc == CLI_OK)
        rc = serve_lock(a.db, lock_fds);
    if (rc == CLI_OK && !(s.idem = serve_idem_new(a.db))) {   /* after the lock: the file is this serve's */
        fprintf(stderr, "huddle: out of memory\n");
        rc = CLI_SYSTEM;
    }
    if (rc == CLI_OK)
        rc = serve_tokens(&s, &a);
    if (rc == CLI_OK)
        rc = serve_connectors(&s, &a);
    if (rc == CLI_OK)
        rc = serve_inflight_open(&s, a.db);
    if (rc == CLI_OK)
        serve_inflight_recover(&s, serve_now(&s));
    if (rc == CLI_OK && serve_loop_start(&s) != 0) {
        fprintf(stderr, "huddle: cannot start the engine thread\n");
        rc = CLI_SYSTEM;
    }
    if (rc == CLI_OK)
        rc = serve_start_http(&s, &a, host, port);
    if (rc == CLI_OK) {
        atomic_store(&s.ready, true);
        char address[300];
        snprintf(address, sizeof address, strchr(host, ':') ? "[%s]:%u" : "%s:%u", host, http_server_port(s.http));
        serve_log("info", "listening", json_pack("{s:s, s:s, s:I}", "address", address, "db", a.db, "tokens",
                                                 (json_int_t)s.tokens.count));
        serve_log_flush();   /* at once: who starts serve waits for this line */
        serve_wait(&signals);
    }
    serve_close(&s, lock_fds);
    if (rc == CLI_OK)
        serve_log("info", "stopped", NULL);
    return rc;
}
