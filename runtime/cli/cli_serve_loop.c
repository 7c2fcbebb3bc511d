/*
 * cli_serve_loop.c - serve's engine thread and the bounded queue that feeds it.
 *
 * The HTTP thread pushes jobs; a full queue refuses (503, Retry-After), so memory stays
 * bounded however fast requests come. The one engine thread owns the Engine: each round
 * it takes what is queued, fires the timers that are due, and applies the round's jobs:
 * its inputs go into one synced group commit, each applied as soon as it is taken, while
 * the round gathers more (serve_gather_more: while more keeps coming, one at least every
 * SERVE_GATHER_US, SERVE_GATHER_MAX_US at most: clients that got their replies together
 * send again together, and one commit for all of them costs less than two; and no more
 * once every open connection has a request in the round). So the engine thread applies
 * while the HTTP thread reads the rest, instead of waiting for them all first. Nothing
 * is answered before the commit is durable: a commit flushes its pages, and its root
 * page goes to disk with the next round's commit when SERVE_CARRY_MIN requests wait for
 * one, else with a flush at the round's end (serve_replies_settle); so under load a
 * round costs one flush of the disk, not two, and its replies go out after the next
 * round's commit. Then the thread sleeps until new input, the next due timer, or
 * SERVE_RESCAN_MS, whichever is first (RUNTIME.md: timers and the outbox are rescanned
 * at least every second). Nothing polls: an idle serve wakes once a second.
 * Log lines are held and written together (serve_log_gather): after the round's group
 * commit (cli_serve_apply.c) and at the round's end; lines logged between rounds (the
 * HTTP thread's request lines: /healthz, refusals at the door) wake the sleeping
 * engine thread (loop_log_held), which writes them SERVE_LOG_WAIT_MS later at most,
 * with whatever else came meanwhile.
 *
 * A round's work besides the jobs is a table (ROUND_WORK, run before them: timers due by
 * now fire before later input) and the outbox's delivery (after them, so what a round's
 * steps send goes out in the same round): each piece says when it next wants to run.
 * While deliveries are in flight the round waits for them at most SERVE_DELIVERY_WAIT_MS,
 * then looks at the queue again.
 */
#include "cli_serve.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine.h"

#define SERVE_GATHER_US 300
#define SERVE_GATHER_MAX_US 3000
#define SERVE_RESCAN_MS 1000
#define SERVE_LOG_WAIT_MS 50
#define SERVE_DELIVERY_WAIT_MS 1
/* A round's replies wait for the next round's commit to make theirs durable, instead of
   a flush of their own, only when at least this many requests wait for that round: a
   round of one or two (at low rates) gathers for a quiet spell first, which would cost
   the held replies more than the flush it saves. */
#define SERVE_CARRY_MIN 8

int serve_queue_init(ServeQueue *q, size_t cap)
{
    memset(q, 0, sizeof *q);
    q->items = calloc(cap, sizeof *q->items);
    if (!q->items)
        return -1;
    q->cap = cap;
    pthread_condattr_t attr;
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_mutex_init(&q->lock, NULL);
    pthread_cond_init(&q->wake, &attr);
    pthread_condattr_destroy(&attr);
    return 0;
}

void serve_queue_destroy(ServeQueue *q)
{
    if (!q->items)
        return;
    pthread_mutex_destroy(&q->lock);
    pthread_cond_destroy(&q->wake);
    free(q->items);
    q->items = NULL;
}

bool serve_queue_push(ServeQueue *q, ServeJob *job)
{
    pthread_mutex_lock(&q->lock);
    bool ok = !q->closed && !q->stopping && q->count < q->cap;
    if (ok) {
        q->items[(q->head + q->count) % q->cap] = job;
        q->count++;
        if (q->count == 1)   /* the engine thread waits only on an empty queue */
            pthread_cond_signal(&q->wake);
    }
    pthread_mutex_unlock(&q->lock);
    return ok;
}

/* Takes up to `max` jobs (the lock held). */
static size_t queue_take(ServeQueue *q, ServeJob **out, size_t max)
{
    size_t n = 0;
    while (n < max && q->count) {
        out[n++] = q->items[q->head];
        q->head = (q->head + 1) % q->cap;
        q->count--;
    }
    return n;
}

static struct timespec timespec_plus_us(struct timespec t, int64_t micros)
{
    int64_t ns = t.tv_nsec + micros * 1000;
    t.tv_sec += (time_t)(ns / 1000000000);
    t.tv_nsec = (long)(ns % 1000000000);
    return t;
}

/* CLOCK_MONOTONIC's now, `micros` later. */
static struct timespec loop_deadline(int64_t micros)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return timespec_plus_us(ts, micros);
}

int64_t serve_clock(const Serve *serve)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    int64_t now = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000 + serve->clock_offset_ms;
    return now > serve->engine_time ? now : serve->engine_time;
}

int64_t serve_now(Serve *serve)
{
    int64_t kept;
    char why[256];
    if (engine_time(serve->engine, &kept, why, sizeof why) == ENGINE_OK && kept > serve->engine_time)
        serve->engine_time = kept;
    return serve_clock(serve);
}

/* ---- one round's work besides the jobs ---- */

/* A piece of a round: does its work at `now` and sets *next_ms (engine time) to when it
   next wants to run (INT64_MAX: not before new input). */
typedef void (*RoundWorkFn)(Serve *serve, int64_t now, int64_t *next_ms);

/* Fires the timers due by now; its next time is the next timer's due time. */
static void round_timers(Serve *serve, int64_t now, int64_t *next_ms)
{
    bool found;
    int64_t due;
    char why[512];
    *next_ms = INT64_MAX;
    if (engine_next_due(serve->engine, &found, &due, why, sizeof why) != ENGINE_OK) {
        serve_log("error", "timers", json_pack("{s:s}", "why", why));
        return;
    }
    if (found && due <= now) {
        uint64_t before = engine_timers_fired(serve->engine);
        int rc = engine_fire_due(serve->engine, now, why, sizeof why);
        uint64_t fired = engine_timers_fired(serve->engine) - before;
        atomic_fetch_add(&serve->metrics.timers_fired, fired);
        if (now - due > 1000)
            atomic_fetch_add(&serve->metrics.timers_late, 1);
        if (rc != ENGINE_OK)
            serve_log("error", "timers", json_pack("{s:s}", "why", why));
        else
            serve_log("info", "timers_fired",
                      json_pack("{s:I,s:I}", "timers", (json_int_t)fired, "late_ms", (json_int_t)(now - due)));
        if (engine_next_due(serve->engine, &found, &due, why, sizeof why) != ENGINE_OK)
            found = false;
    }
    if (found)
        *next_ms = due;
}

/* Publishes the store-wide audit head when it is due (--publish-head): an outbox entry
   that round_outbox delivers in the same round. Its next time is the next
   publication's, which the store keeps, so a restart publishes at once only when one is
   overdue. A failure is logged and tried again a minute later. */
static void round_publish(Serve *serve, int64_t now, int64_t *next_ms)
{
    *next_ms = INT64_MAX;
    if (!serve->publish_every_ms)
        return;
    if (now < serve->publish_next_ms) {
        *next_ms = serve->publish_next_ms;
        return;
    }
    char why[512];
    if (engine_head_publish(serve->engine, serve->publish_connector, serve->publish_operation,
                            serve->publish_every_ms, now, &serve->publish_next_ms, why, sizeof why) != ENGINE_OK) {
        serve_log("error", "publish_head", json_pack("{s:s}", "why", why));
        serve->publish_next_ms = now + 60000;
    }
    *next_ms = serve->publish_next_ms;
}

/* Deletes the seen entries of event ids older than the store's dedup period, at the first
   round and then once a day (`huddle tick` does the same, but is refused while serve runs):
   such ids are new events again anyway (engine_purge_seen), this gives their space back.
   One scan of the seen table, in one step: about a second for a million ids. */
static void round_forget(Serve *serve, int64_t now, int64_t *next_ms)
{
    if (now >= serve->forget_next_ms) {
        char why[256];
        if (engine_purge_seen(serve->engine, now, 0, why, sizeof why) != ENGINE_OK)
            serve_log("error", "forget_ids", json_pack("{s:s}", "why", why));
        serve->forget_next_ms = now + 86400000;
    }
    *next_ms = serve->forget_next_ms;
}

/* Open tasks and instances by status, for /metrics: read after /metrics was read, once
   a round at most (three lookups in meta, whatever the store's size: engine_gauges.c),
   with the outbox's depth and oldest age (one read of the outbox: what waits in it). */
static void round_gauges(Serve *serve, int64_t now, int64_t *next_ms)
{
    *next_ms = INT64_MAX;
    if (!atomic_exchange(&serve->metrics.gauges_wanted, false))
        return;
    char why[256];
    EngineGauges g;
    if (engine_gauges(serve->engine, &g, why, sizeof why) == ENGINE_OK) {
        atomic_store(&serve->metrics.open_tasks, (long long)g.open_tasks);
        atomic_store(&serve->metrics.running, (long long)g.running);
        atomic_store(&serve->metrics.stalled, (long long)g.stalled);
    }
    EngineOutboxStats o;
    if (engine_dispatch_stats(serve->engine, now, &o, why, sizeof why) == ENGINE_OK) {
        ServeMetrics *m = &serve->metrics;
        atomic_store(&m->outbox_pending, (long long)o.pending);
        atomic_store(&m->outbox_failed, (long long)o.failed_entries);
        atomic_store(&m->outbox_oldest_ms, (long long)o.oldest_ms);
        atomic_store(&m->outbox_in_flight, (long long)o.in_flight);
        atomic_store(&m->deliveries_ok, (long long)o.delivered);
        atomic_store(&m->deliveries_retried, (long long)o.retried);
        atomic_store(&m->deliveries_failed, (long long)o.failed);
    }
}

/* Whether inputs wait in the queue. */
static size_t queue_waiting_count(ServeQueue *q)
{
    pthread_mutex_lock(&q->lock);
    size_t waiting = q->count;
    pthread_mutex_unlock(&q->lock);
    return waiting;
}

static bool queue_waiting(ServeQueue *q)
{
    return queue_waiting_count(q) > 0;
}

/* Delivers the outbox (engine_dispatch_round): claims what is due, waits for requests
   in flight at most SERVE_DELIVERY_WAIT_MS, settles what came back: at once when no
   input waits, else in the next round's group commit (one synced commit less before
   the inputs that wait). */
static void round_outbox(Serve *serve, int64_t now, int64_t *next_ms)
{
    char why[512];
    bool settle_later = queue_waiting(&serve->queue);
    if (engine_dispatch_round(serve->engine, now, SERVE_DELIVERY_WAIT_MS, settle_later, next_ms, why, sizeof why) !=
        ENGINE_OK) {
        atomic_fetch_add(&serve->metrics.outbox_errors, 1);
        serve_log("error", "outbox", json_pack("{s:s}", "why", why));
        *next_ms = now + SERVE_RESCAN_MS;
    }
    uint64_t waiting = engine_dispatch_noted(serve->engine, why, sizeof why);
    if (waiting)   /* serve reads its environment once: the variable needs a restart */
        serve_log("warn", "outbox_waiting",
                  json_pack("{s:I, s:s, s:s}", "entries", (json_int_t)waiting, "why", why, "what",
                            "not tried (no attempt counted) until the variable is set: set it and restart "
                            "serve; huddle outbox --pending lists them"));
}

static const RoundWorkFn ROUND_WORK[] = {round_timers, round_publish, round_gauges, round_forget};
#define ROUND_WORK_COUNT (sizeof ROUND_WORK / sizeof ROUND_WORK[0])

/* ---- the thread ---- */

static bool loop_before(const struct timespec *a, const struct timespec *b)
{
    return a->tv_sec < b->tv_sec || (a->tv_sec == b->tv_sec && a->tv_nsec < b->tv_nsec);
}

/* Whether the round that has taken `taken` jobs may take more: not once it has one for
   each open connection (q->expect: no more can come then, the last round's requests
   were all answered before this round began), nor past batch_max, nor once serve stops. */
static bool gather_goes_on(const Serve *serve, size_t taken)
{
    const ServeQueue *q = &serve->queue;
    return !q->stopping && taken < serve->batch_max && !(q->expect && taken >= q->expect);
}

struct timespec serve_quiet_end(long long replies_sent_ns, struct timespec last_gathered)
{
    struct timespec from = {.tv_sec = (time_t)(replies_sent_ns / 1000000000),
                            .tv_nsec = (long)(replies_sent_ns % 1000000000)};
    if (loop_before(&from, &last_gathered))
        from = last_gathered;
    return timespec_plus_us(from, SERVE_GATHER_US);
}

/* The gather, while the round's inputs are applied: takes what is queued at once; with
   nothing queued, waits for more while more keeps coming (one at least every
   SERVE_GATHER_US), until the round's gather_limit (SERVE_GATHER_MAX_US after it
   began), so that a round takes what its clients send together, and one commit serves
   them all. While replies of the last round are still being handed out (libmicrohttpd's
   thread sends them one by one, and nobody sends again before their reply came), the
   wait goes on; then the quiet spell is serve_quiet_end's. A push into the empty queue
   wakes the wait. */
size_t serve_gather_more(Serve *serve, ServeJob **jobs, size_t taken)
{
    ServeQueue *q = &serve->queue;
    size_t n = 0;
    pthread_mutex_lock(&q->lock);
    for (;;) {
        struct timespec now = loop_deadline(0);
        if (!gather_goes_on(serve, taken) || !loop_before(&now, &q->gather_limit))
            break;
        if (q->count) {
            n = queue_take(q, jobs + taken, serve->batch_max - taken);
            q->last_gathered = now;
            break;
        }
        /* While the last replies still go out, look again after a spell. */
        struct timespec quiet = timespec_plus_us(now, SERVE_GATHER_US);
        if (atomic_load(&serve->replies_unsent) <= 0) {
            quiet = serve_quiet_end(atomic_load(&serve->replies_sent_ns), q->last_gathered);
            if (!loop_before(&now, &quiet))
                break;
        }
        if (loop_before(&q->gather_limit, &quiet))
            quiet = q->gather_limit;
        bool quiet_over = false;
        while (!q->count && !q->stopping && !quiet_over)
            quiet_over = pthread_cond_timedwait(&q->wake, &q->lock, &quiet) == ETIMEDOUT;
    }
    atomic_store(&serve->metrics.queue_depth, q->count);
    pthread_mutex_unlock(&q->lock);
    return n;
}

/* Waits for jobs, or `wait_ms`; takes what is queued, and starts the round's gather
   (serve_gather_more brings the rest while they are applied). The lock is held on entry
   and exit (and nothing slower than the queue is done under it: engine time is read
   before). */
static size_t loop_wait(Serve *serve, ServeJob **jobs, int64_t wait_ms, bool *stop)
{
    ServeQueue *q = &serve->queue;
    struct timespec until = loop_deadline(wait_ms > 0 ? wait_ms * 1000 : 0);
    while (!q->count && !q->stopping && !q->log_due && wait_ms > 0)
        if (pthread_cond_timedwait(&q->wake, &q->lock, &until) == ETIMEDOUT)
            break;
    q->log_due = false;
    /* connections whose reply waits for the disk send nothing before it comes */
    int open = atomic_load(&serve->connections) - (int)serve->held_count;
    q->expect = open > 0 ? (size_t)open : 0;
    q->gather_limit = loop_deadline(SERVE_GATHER_MAX_US);
    q->last_gathered = (struct timespec){0};
    size_t n = queue_take(q, jobs, serve->batch_max);
    atomic_store(&serve->metrics.queue_depth, q->count);
    *stop = q->stopping && !q->count && !n;
    return n;
}

/* A line was held where none was (serve_log_on_first_held): the engine thread, asleep
   for up to SERVE_RESCAN_MS, wakes to write it within SERVE_LOG_WAIT_MS. Lines it holds
   itself go out at its round's end. */
static void loop_log_held(void *context)
{
    Serve *serve = context;
    if (serve->engine_started && pthread_equal(pthread_self(), serve->engine_thread))
        return;
    ServeQueue *q = &serve->queue;
    pthread_mutex_lock(&q->lock);
    q->log_due = true;
    pthread_cond_signal(&q->wake);
    pthread_mutex_unlock(&q->lock);
}

static void *loop_main(void *context)
{
    Serve *serve = context;
    ServeQueue *q = &serve->queue;
    ServeJob **jobs = serve->round_jobs;
    int64_t wake_ms = 0;
    serve_replies_wait_for_disk(true);
    for (;;) {
        bool stop = false;
        int64_t wait_ms = wake_ms - serve_clock(serve);
        bool for_log = serve_log_held() && wait_ms > SERVE_LOG_WAIT_MS;
        if (for_log)   /* lines the HTTP thread logged since the round's write */
            wait_ms = SERVE_LOG_WAIT_MS;
        pthread_mutex_lock(&q->lock);
        size_t n = loop_wait(serve, jobs, wait_ms, &stop);
        if (stop)
            q->closed = true;
        pthread_mutex_unlock(&q->lock);
        if (stop)
            break;
        if (!n && for_log) {
            serve_log_flush();
            continue;
        }
        int64_t now = serve_now(serve);
        wake_ms = now + SERVE_RESCAN_MS;
        serve->rounds++;
        for (size_t i = 0; i < ROUND_WORK_COUNT; i++) {
            int64_t next;
            ROUND_WORK[i](serve, now, &next);
            if (next < wake_ms)
                wake_ms = next;
        }
        if (n)
            serve_apply(serve, jobs, n, now);
        int64_t next;
        round_outbox(serve, n ? serve_clock(serve) : now, &next);
        if (next < wake_ms)
            wake_ms = next;
        serve_log_flush();
        serve_replies_settle(serve, queue_waiting_count(q) >= SERVE_CARRY_MIN);
    }
    serve_replies_end(serve);
    return NULL;
}

int serve_loop_start(Serve *serve)
{
    serve_log_gather(true);
    serve_log_on_first_held(loop_log_held, serve);
    serve->round_jobs = calloc(serve->batch_max, sizeof *serve->round_jobs);
    if (!serve->round_jobs || pthread_create(&serve->engine_thread, NULL, loop_main, serve) != 0) {
        free(serve->round_jobs);
        serve->round_jobs = NULL;
        serve_log_on_first_held(NULL, NULL);
        serve_log_gather(false);
        return -1;
    }
    serve->engine_started = true;
    return 0;
}

void serve_loop_stop(Serve *serve)
{
    if (!serve->engine_started)
        return;
    pthread_mutex_lock(&serve->queue.lock);
    serve->queue.stopping = true;
    pthread_cond_signal(&serve->queue.wake);
    pthread_mutex_unlock(&serve->queue.lock);
    pthread_join(serve->engine_thread, NULL);
    serve_log_on_first_held(NULL, NULL);
    serve_log_gather(false);
    serve->engine_started = false;
    free(serve->round_jobs);
    serve->round_jobs = NULL;
    serve_apply_free(serve);
}
