/*
 * cli_serve.h - what the files of `huddle serve` share (internal to runtime/cli/):
 *
 *   cli_serve.c          the command: options, the store's serve.lock, signals, start, stop
 *   cli_serve_route.c    routes and queries: method + path -> a route (pure; fuzzed)
 *   cli_serve_tokens.c   the tokens file and bearer tokens
 *   cli_serve_http.c     a request's door: route, token, signature, body -> a job, or a refusal
 *   cli_serve_loop.c     the bounded queue and the one engine thread (group commit, timers)
 *   cli_serve_apply.c    what each job does to the engine, and its reply
 *   cli_serve_reply.c    JSON replies, error bodies, the Idempotency-Key memory
 *   cli_serve_json.c     JSON text written without a jansson dump (the replies of a commit)
 *   cli_serve_body.c     request bodies of plain JSON read in one pass (the door's quick way)
 *   cli_serve_metrics.c  counters and the /metrics text; the JSON log lines
 *
 * The picture and the decisions are in docs/operations.md.
 */
#ifndef HUDDLE_CLI_SERVE_H
#define HUDDLE_CLI_SERVE_H

#include <jansson.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "connectors_events.h"
#include "connectors_file.h"
#include "http_server.h"
#include "strbuf.h"
#include "text.h"

struct Engine;

/* ---- routes (cli_serve_route.c) ---- */

typedef enum ServeRouteId {
    ROUTE_NONE, ROUTE_HEALTHZ, ROUTE_METRICS, ROUTE_EVENTS, ROUTE_TASKS, ROUTE_TASK_ANSWER,
    ROUTE_TASK_ACK, ROUTE_TASK_RESOLVE, ROUTE_TASK_REASSIGN, ROUTE_INSTANCES, ROUTE_INSTANCE,
    ROUTE_INSTANCE_HISTORY, ROUTE_INSTANCE_RETRY, ROUTE_INSTANCE_CANCEL, ROUTE_AUDIT_HEAD,
    ROUTE_AUDIT_SEARCH, ROUTE_AUDIT_EXPORT, ROUTE_COUNT
} ServeRouteId;

/* What a token may do (the tokens file's "may"). */
enum { MAY_READ = 1, MAY_ANSWER = 2, MAY_EVENTS = 4, MAY_OPERATE = 8, MAY_AUDIT = 16 };

typedef struct ServeRoute {
    ServeRouteId id;
    const char *name;               /* "events", "task_answer", ... (logs, metrics) */
    bool write;                     /* POST: a body, Idempotency-Key */
    unsigned need;                  /* the right it needs (MAY_*), 0: no token */
    char param[TEXT_ID_MAX + 1];    /* {connector} or {id}, percent-decoded */
} ServeRoute;

enum { SERVE_ROUTE_OK = 0, SERVE_ROUTE_UNKNOWN = -1, SERVE_ROUTE_METHOD = -2, SERVE_ROUTE_BAD = -3 };
/* Finds the route of `method` and `path`: SERVE_ROUTE_OK with *out set, or
   SERVE_ROUTE_UNKNOWN (404), SERVE_ROUTE_METHOD (405; *allow names the method that
   is, "GET" or "POST"), SERVE_ROUTE_BAD (a {param} that is no id: 404 too). */
int serve_route(const char *method, const char *path, ServeRoute *out, const char **allow);

/* A request target's path: the target itself (origin form, "/v1/tasks"), or the path of
   an absolute-form one ("http://host:8080/v1/tasks", which RFC 9112 3.2.2 says a server
   must accept), "/" when it has none. Points into `target`. */
const char *serve_origin_path(const char *target);

/* The value of query parameter `name` in the raw query `query` (a=1&b=x%20y),
   percent-decoded ('+' is a space) into out[cap]: 1 found, 0 absent, -1 malformed
   (a bad escape, a NUL, a control character, or longer than cap - 1). */
int serve_query_get(const char *query, const char *name, char *out, size_t cap);

/* Whether the raw query names only parameters from `allowed` (NULL-ended); the first
   other name (cut at 64 bytes) in bad[65]. */
bool serve_query_only(const char *query, const char *const *allowed, char bad[65]);

/* Whether each parameter of the raw query is given once and with a value:
   SERVE_QUERY_FINE, or SERVE_QUERY_EMPTY (`?status=`, `?for`) or SERVE_QUERY_TWICE
   (`?limit=1&limit=2`) with the first such name (cut at 64 bytes) in name[65]. A
   filter given empty or twice is refused (400), never read as no filter or as one of
   the two. */
enum { SERVE_QUERY_FINE, SERVE_QUERY_EMPTY, SERVE_QUERY_TWICE };
int serve_query_once_each(const char *query, char name[65]);

/* ---- tokens (cli_serve_tokens.c) ---- */

typedef struct ServeToken {
    char *name;
    unsigned char sha256[32];
    char *person;                   /* NULL for an on-behalf service */
    bool on_behalf;
    unsigned may;                   /* MAY_* */
} ServeToken;

typedef struct ServeTokens {
    ServeToken *items;
    size_t count;
} ServeTokens;

/* Parses a tokens file's JSON ({NAME: {"sha256", "person" | "on_behalf": true, "may"}}),
   appending each problem to `problems` as "tokens.NAME.field: what is wrong". 0, or -1
   (out zeroed). serve_tokens_load reads the file first ("PATH: ..." problems). */
int serve_tokens_parse(const json_t *json, ServeTokens *out, json_t *problems);
int serve_tokens_load(const char *path, ServeTokens *out, json_t *problems);
void serve_tokens_free(ServeTokens *tokens);
/* The token an Authorization header ("Bearer TOKEN") presents, or NULL (no header, not
   Bearer, or no token with that hash). Every token's hash is compared, in constant time. */
const ServeToken *serve_tokens_find(const ServeTokens *tokens, const char *authorization);

/* What to do when serve cannot make one of its own files beside the store (serve.lock,
   inputs.inflight): said after the system's reason. */
#define SERVE_FILE_ADVICE                                                                          \
    " (serve keeps this file in the store's folder: check the folder's owner and permissions, "   \
    "or move away what is in its way, such as a folder of that name)"

/* ---- metrics (cli_serve_metrics.c) and logs (cli_serve_log.c) ---- */

#define SERVE_LATENCY_BUCKETS 12
#define SERVE_BATCH_BUCKETS 8
typedef struct ServeMetrics {
    atomic_ullong accepted[ROUTE_COUNT];        /* 2xx by route */
    atomic_ullong refused[600];                 /* by status */
    atomic_ullong steps, batches, batch_inputs, timers_fired, timers_late, commits_failed;
    atomic_ullong inputs_recovered, inputs_poisoned;   /* inputs in flight when the last run died */
    atomic_ullong latency[SERVE_LATENCY_BUCKETS + 1];   /* commit latency, ms buckets */
    atomic_ullong latency_sum_us, latency_count;
    atomic_ullong batch_sizes[SERVE_BATCH_BUCKETS + 1];
    atomic_ullong queue_depth;
    atomic_llong open_tasks, stalled, running;  /* -1: not known yet */
    /* the outbox (engine_dispatch_stats), counted with the gauges; -1: not known yet */
    atomic_llong outbox_pending, outbox_failed, outbox_oldest_ms, outbox_in_flight;
    atomic_llong deliveries_ok, deliveries_retried, deliveries_failed;
    atomic_ullong outbox_errors;                /* dispatcher rounds that failed */
    atomic_bool gauges_wanted;                  /* /metrics was read: count them again */
} ServeMetrics;

void serve_metrics_init(ServeMetrics *m);
void serve_metrics_commit(ServeMetrics *m, size_t batch, int64_t micros);
/* The Prometheus text (a malloc'd string the caller frees; NULL: out of memory). */
char *serve_metrics_text(ServeMetrics *m);

/* One JSON log line on stderr: {"at", "level", "event", ...fields}. `fields` is
   stolen (may be NULL). Safe from any thread. While the engine thread runs, lines are
   gathered (serve_log_gather(true)) and written together by serve_log_flush, after
   each group commit and at each round's end: one write for many lines instead of one
   each. serve_log_gather(false)
   writes what is held and writes each line at once again. */
void serve_log(const char *level, const char *event, json_t *fields);
/* The same line built as text, for the lines made per request and per record (no
   jansson object and dump each; the same text as serve_log for the same fields):
   serve_log_begin puts the head into `line` (STRBUF_INIT), each serve_log_<type> adds
   one field (a string or JSON value NULL: null), serve_log_end writes or holds the line
   and frees `line`. (cli_serve_log.c) */
void serve_log_begin(StrBuf *line, const char *level, const char *event);
void serve_log_string(StrBuf *line, const char *name, const char *value);
/* A string of `len` bytes (it may hold a NUL); text NULL: null. */
void serve_log_text(StrBuf *line, const char *name, const char *text, size_t len);
void serve_log_json(StrBuf *line, const char *name, const json_t *value);
void serve_log_integer(StrBuf *line, const char *name, long long value);
/* Appends `n` in decimal, as printf's %lld writes it (no printf: lines per request). */
void serve_put_decimal(StrBuf *out, long long n);
void serve_log_real(StrBuf *line, const char *name, double value);
/* `micros` / 1000.0 as serve_log_real writes it (the request lines' "ms"), made
   without printf for the times a request takes. */
void serve_log_millis(StrBuf *line, const char *name, int64_t micros);
void serve_log_end(StrBuf *line);
/* The calling thread's own line (empty), for lines made per request and per record:
   serve_log_end empties it instead of freeing it, so such a line allocates nothing
   once the thread has made its first. NULL when none could be made: use a StrBuf of
   the caller's own. */
StrBuf *serve_log_own(void);
void serve_log_gather(bool on);
void serve_log_flush(void);
/* Whether lines wait for serve_log_flush. */
bool serve_log_held(void);
/* Calls `wake(context)` whenever a line is held where none was (outside the log's
   lock), so that whoever flushes knows to do it soon (NULL: no one). */
void serve_log_on_first_held(void (*wake)(void *), void *context);

/* ---- the server (cli_serve_loop.c, cli_serve_http.c, cli_serve_apply.c) ---- */

typedef struct ServeJob ServeJob;

typedef struct ServeQueue {
    pthread_mutex_t lock;
    pthread_cond_t wake;
    ServeJob **items;               /* a ring of cap */
    size_t cap, head, count;
    size_t expect;                  /* the round takes no more than this (0: no bound) */
    struct timespec gather_limit;   /* the round's gather ends by then (CLOCK_MONOTONIC) */
    struct timespec last_gathered;  /* when the gather last took jobs ({0}: not yet this round) */
    bool closed;                    /* the engine thread has gone: pushes fail */
    bool stopping;                  /* SIGTERM: drain, then go */
    bool log_due;                   /* another thread held a log line while the engine thread slept */
} ServeQueue;

typedef struct ServeIdem ServeIdem;

typedef struct Serve {
    struct Engine *engine;
    HttpServer *http;
    ConnFile *connectors;           /* owned; NULL: none */
    ConnSigner **signers;           /* owned; by connector: a signed webhook's secret, else NULL */
    ServeTokens tokens;
    ServeQueue queue;
    ServeMetrics metrics;
    ServeIdem *idem;
    pthread_t engine_thread;
    bool engine_started;
    ServeJob **round_jobs;          /* the engine thread's round, batch_max long */
    /* the round's batchable inputs, their jobs and their data texts, batch_max long,
       made at the engine thread's first round and kept (cli_serve_apply.c) */
    struct EngineInput *round_inputs;
    ServeJob **round_mine;
    char **round_texts;
    atomic_int connections;         /* open HTTP connections (serve_on_connection) */
    /* jobs the engine thread is done with, freed by the HTTP thread that made them
       (serve_jobs_retire, serve_jobs_reap): a list linked by ServeJob.retired_next */
    _Atomic(ServeJob *) retired;
    atomic_int replies_unsent;      /* replies given, not yet queued for sending (serve_on_resumed) */
    atomic_llong replies_sent_ns;   /* when replies_unsent last fell to 0 (CLOCK_MONOTONIC, ns) */
    /* replies the engine thread made while a commit they report on was not yet durable,
       in the order made (cli_serve_reply.c; the engine thread's own) */
    struct ServeHeld *held;
    size_t held_count, held_cap;
    uint64_t rounds;                /* the engine thread's rounds so far: a held reply's age */
    int64_t clock_offset_ms;        /* added to the wall clock (--clock-offset; --now's) */
    int64_t start_ms;               /* --now T: T (checked against the store's time) */
    int32_t start_zone;             /*   and the offset it was written in */
    int64_t engine_time;            /* the store's latest engine time seen */
    /* --publish-head: the connector and operation (publish_every_ms 0: none), and when
       the next publication is due (engine time; 0: ask the store) */
    char publish_connector[CONN_NAME_MAX + 1];
    const char *publish_operation;  /* borrowed from argv */
    int64_t publish_every_ms, publish_next_ms;
    int64_t forget_next_ms;         /* when round_forget next deletes expired event ids (0: now) */
    size_t max_body;
    unsigned batch_max;
    int inflight_fd;                /* DIR/inputs.inflight; -1: not open */
    size_t inflight_len;            /* bytes the round wrote to it so far */
    StrBuf inflight_text;           /* the lines being written, kept between rounds */
    atomic_bool ready;
} Serve;

/* One request on its way to the engine. */
struct ServeJob {
    HttpRequest *request;           /* answered exactly once, then NULL */
    ServeRoute route;
    const ServeToken *token;        /* borrowed from serve->tokens; NULL for a signed webhook */
    json_t *body;                   /* owned: the parsed body (writes), or NULL */
    char *idem_key;                 /* owned: Idempotency-Key + token, or NULL */
    /* events */
    const char *type, *id;          /* borrowed from body, or id from id_text */
    char id_text[TEXT_ID_MAX + 1];  /* a webhook's whole-number id as text */
    const json_t *data;
    char *data_text;                /* owned: data as inputs.inflight holds it, or NULL */
    int64_t event_time;             /* with has_event_time; else the engine's time */
    bool has_event_time;            /* the body gave a time (1970-01-01T00:00:00Z is one) */
    /* queries: ?for=, ?playbook=, ?status= */
    char for_person[TEXT_ID_MAX + 1], playbook[TEXT_ID_MAX + 1], status[16];
    /* the audit routes: the search's filter (owned; engine_audit_search's form), the
       export's ?since= (INT64_MIN: all) */
    json_t *filter;
    int64_t since;
    int64_t queued_us;
    ServeJob *retired_next;         /* in Serve.retired */
};

void serve_job_free(ServeJob *job);
/* The engine thread hands back jobs[0..count) once it is done with them (each request
   answered): the HTTP thread frees them at its next request (serve_jobs_reap), so what
   it allocated goes back to its own caches of small blocks, not the engine thread's.
   serve_jobs_reap frees every job handed back so far (any thread; at the end, the main
   one). */
void serve_jobs_retire(Serve *serve, ServeJob **jobs, size_t count);
void serve_jobs_reap(Serve *serve);

/* The request handler given to the HTTP server (cli_serve_http.c). */
void serve_on_request(void *context, HttpRequest *request);

/* The queue: init, push (false when full or closed: the caller refuses), and the engine
   thread (cli_serve_loop.c). serve_loop_stop asks the thread to drain and go, and joins
   it. */
int serve_queue_init(ServeQueue *q, size_t cap);
void serve_queue_destroy(ServeQueue *q);
bool serve_queue_push(ServeQueue *q, ServeJob *job);
int serve_loop_start(Serve *serve);
void serve_loop_stop(Serve *serve);
/* Engine time now: the wall clock plus the offset, never before the store's (read
   from the store; serve_clock: never before the store's time last read). */
int64_t serve_now(Serve *serve);
int64_t serve_clock(const Serve *serve);

/* Applies one round of jobs on the engine thread, answering each (cli_serve_apply.c):
   jobs[0..count) and those serve_gather_more brings while the round's inputs are being
   applied (jobs is batch_max long). */
void serve_apply(Serve *serve, ServeJob **jobs, size_t count, int64_t now);
/* Frees what the rounds kept (after the engine thread has ended). */
void serve_apply_free(Serve *serve);
/* The round's gather (cli_serve_loop.c): waits while more jobs may come for the round
   that has taken `taken` so far, and takes them into jobs[taken..batch_max). Returns how
   many it took; 0: the gather is over, the round commits. */
size_t serve_gather_more(Serve *serve, ServeJob **jobs, size_t taken);
/* When the gather's quiet spell ends (CLOCK_MONOTONIC), once every reply of the last
   round is on its way: SERVE_GATHER_US (300 us) after the later of the last reply's going
   (`replies_sent_ns`) and the gather's last take (`last_gathered`; {0}: none yet). The
   round's first jobs do not count: a lone request that finds serve idle, its last
   replies long gone, is committed at once (nobody is about to send again). */
struct timespec serve_quiet_end(long long replies_sent_ns, struct timespec last_gathered);

/* ---- replies (cli_serve_reply.c) ---- */

/* Answers the job's request with `status` and `body` (stolen), remembers it under the
   job's Idempotency-Key, counts it, and frees nothing else. */
void serve_reply_json(Serve *serve, ServeJob *job, int status, json_t *body);
/* The same with the body's text already made: `text` (consumed; failed or NULL: 500). */
void serve_reply_text(Serve *serve, ServeJob *job, int status, StrBuf *text);
/* Answers with {"error": {"code", "message", "field"}} (field NULL: null). */
void serve_reply_error(Serve *serve, ServeJob *job, int status, const char *code, const char *message,
                       const char *field);
/* Replies wait for the disk (cli_serve_reply.c). serve's store commits with one flush:
   a commit's root page reaches the disk with the next commit's flush or engine_sync
   (EngineOptions.sync_root_later). So on the engine thread (serve_replies_wait_for_disk
   on), a reply made while a commit is not yet durable is held, and sent once every
   commit made before it is: serve_replies_release sends those (after any commit);
   serve_replies_settle, at a round's end, flushes the rest unless `carry` (enough input
   waits: SERVE_CARRY_MIN) and they are from this round (the next round's commit will
   carry them). Replies made on
   the HTTP thread (refusals at the door) never wait. serve_replies_end, as the engine
   thread ends, flushes and sends what is held and frees the list. */
void serve_replies_wait_for_disk(bool on);
void serve_replies_release(Serve *serve);
void serve_replies_settle(Serve *serve, bool carry);
void serve_replies_end(Serve *serve);
/* The same for a request that never became a job. */
void serve_refuse(Serve *serve, HttpRequest *request, int status, const char *code, const char *message,
                  const char *field, const char *header);

/* JSON text as json_dumps(v, JSON_COMPACT | JSON_ENSURE_ASCII | JSON_ENCODE_ANY) writes it,
   appended to `out` (cli_serve_json.c). serve_json_plain: whether `len` bytes need no
   escape in such a string. serve_json_string and serve_json_value return false (and
   may have appended part) when jansson would refuse: text that is not UTF-8. */
bool serve_json_plain(const char *text, size_t len);
bool serve_json_string(StrBuf *out, const char *text, size_t len);
bool serve_json_value(StrBuf *out, const json_t *value);

/* Idempotency-Key memory (cli_serve_idem.c): the first reply to each key for 24 h (at
   most SERVE_IDEM_MAX keys; the oldest go first), kept in DIR/idempotency.jsonl across
   restarts (db NULL: in memory only), each with the SHA-256 of its request's body.
   serve_idem_begin: 1 a stored reply was sent (the job is done), 0 the key is new (now
   pending), -1 refused: the first request with this key is still under way (409 sent),
   or was made with another body (422 idempotency_key_reused sent, and not kept). */
#define SERVE_IDEM_MAX 100000
#define SERVE_IDEM_MS (24 * 3600 * INT64_C(1000))
ServeIdem *serve_idem_new(const char *db);
void serve_idem_free(ServeIdem *idem);
int serve_idem_begin(Serve *serve, HttpRequest *request, const char *key);
void serve_idem_keep(ServeIdem *idem, const char *key, int status, const char *body, size_t len);

/* ---- request bodies (cli_serve_body.c) ---- */

/* The tree value_json_load(text, len, JSON_REJECT_DUPLICATES, 0, ...) makes of a body
   whose top level is an object and whose every token is plain (ASCII strings without
   escapes, integers of at most 18 digits, true, false, null; see the file), read in one
   pass; NULL (and nothing said) for any other body: the caller reads it with
   value_json_load. With `compact`, the body's text as json_dumps(tree, JSON_COMPACT |
   JSON_ENCODE_ANY) writes it is appended there (only when the tree is returned). */
json_t *serve_body_quick(const char *text, size_t len, StrBuf *compact);

/* ---- inputs in flight (cli_serve_inflight.c) ---- */

struct EngineInput;

/* Tries after which an input that kills the process is set aside (poison input). */
#define SERVE_POISON_ATTEMPTS 3

/* How long a stopping serve waits for the replies it gave to go out before it closes
   their connections (cli_serve.c, serve_close). */
#define SERVE_DRAIN_MS 5000

int serve_inflight_open(Serve *serve, const char *db);
void serve_inflight_close(Serve *serve);
/* Notes the round's inputs before they are applied (not synced), each batch of them
   after those the round noted before, and forgets them all once the round's commit is
   over.
   data_texts[i] (data_texts or it NULL: made here) is event i's data as the line holds
   it, made at the door (serve_inflight_data), off the engine thread. */
void serve_inflight_write(Serve *serve, const struct EngineInput *inputs, char *const *data_texts, size_t count);
/* An event's data as its line in the file holds it (malloc'd; NULL: out of memory). */
char *serve_inflight_data(const json_t *data);
void serve_inflight_clear(Serve *serve);
/* At start, before any request: each input the last run died with is applied alone,
   or set aside once it was tried SERVE_POISON_ATTEMPTS times. */
void serve_inflight_recover(Serve *serve, int64_t now);

#endif
