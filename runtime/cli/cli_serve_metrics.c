/*
 * cli_serve_metrics.c - what serve counts and how it says it: the /metrics page in
 * Prometheus text format (the log lines are cli_serve_log.c's). It never holds a token,
 * a secret or a body.
 */
#include "cli_serve.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "strbuf.h"

/* Commit latency buckets, in ms (the last one is +Inf). */
static const double LATENCY_MS[SERVE_LATENCY_BUCKETS] = {0.5, 1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 5000};
static const unsigned BATCH_SIZE[SERVE_BATCH_BUCKETS] = {1, 2, 4, 8, 16, 64, 256, 1024};
/* One name a route, in ServeRouteId's order: a route added there without its name here
   does not compile (it printed route="(null)", a series repeated, which Prometheus refuses). */
static const char *const ROUTE_NAMES[] = {
    "none", "healthz", "metrics", "events", "tasks", "task_answer", "task_ack", "task_resolve",
    "task_reassign", "instances", "instance", "instance_history", "instance_retry", "instance_cancel",
    "audit_head", "audit_search", "audit_export"};
_Static_assert(sizeof ROUTE_NAMES / sizeof ROUTE_NAMES[0] == ROUTE_COUNT, "a name for every route");

void serve_metrics_init(ServeMetrics *m)
{
    memset(m, 0, sizeof *m);
    atomic_store(&m->open_tasks, -1);
    atomic_store(&m->stalled, -1);
    atomic_store(&m->running, -1);
    atomic_llong *outbox[] = {&m->outbox_pending, &m->outbox_failed, &m->outbox_oldest_ms, &m->outbox_in_flight,
                              &m->deliveries_ok, &m->deliveries_retried, &m->deliveries_failed};
    for (size_t i = 0; i < sizeof outbox / sizeof outbox[0]; i++)
        atomic_store(outbox[i], -1);
}

void serve_metrics_commit(ServeMetrics *m, size_t batch, int64_t micros)
{
    unsigned i = 0;
    while (i < SERVE_LATENCY_BUCKETS && (double)micros / 1000.0 > LATENCY_MS[i])
        i++;
    atomic_fetch_add(&m->latency[i], 1);
    atomic_fetch_add(&m->latency_sum_us, (unsigned long long)micros);
    atomic_fetch_add(&m->latency_count, 1);
    unsigned b = 0;
    while (b < SERVE_BATCH_BUCKETS && batch > BATCH_SIZE[b])
        b++;
    atomic_fetch_add(&m->batch_sizes[b], 1);
    atomic_fetch_add(&m->batch_inputs, batch);
    atomic_fetch_add(&m->batches, 1);
}

static void metrics_histogram(StrBuf *out, const char *name, const char *help, atomic_ullong *buckets,
                              unsigned n, const double *bounds, double sum, unsigned long long count)
{
    strbuf_printf(out, "# HELP %s %s\n# TYPE %s histogram\n", name, help, name);
    unsigned long long cumulative = 0;
    for (unsigned i = 0; i < n; i++) {
        cumulative += atomic_load(&buckets[i]);
        strbuf_printf(out, "%s_bucket{le=\"%g\"} %llu\n", name, bounds[i], cumulative);
    }
    cumulative += atomic_load(&buckets[n]);
    /* %.15g: every count up to 10^15 and every ms sum to the microsecond exactly (%g kept
       6 digits: a sum of 1,234,567 read 1.23457e+06) */
    strbuf_printf(out, "%s_bucket{le=\"+Inf\"} %llu\n%s_sum %.15g\n%s_count %llu\n", name, cumulative, name, sum,
                  name, count);
}

static void metrics_gauge(StrBuf *out, const char *name, const char *help, long long value)
{
    if (value >= 0)
        strbuf_printf(out, "# HELP %s %s\n# TYPE %s gauge\n%s %lld\n", name, help, name, name, value);
}

static void metrics_counter(StrBuf *out, const char *name, const char *help, unsigned long long value)
{
    strbuf_printf(out, "# HELP %s %s\n# TYPE %s counter\n%s %llu\n", name, help, name, name, value);
}

/* Delivery attempts since serve started, by outcome: one counter with an outcome label,
   as Prometheus names a count that only grows (they were three gauges, which rate()
   and increase() are not meant for); absent until the first round that counts them. */
static void metrics_deliveries(StrBuf *out, ServeMetrics *m)
{
    long long ok = atomic_load(&m->deliveries_ok), retried = atomic_load(&m->deliveries_retried),
              failed = atomic_load(&m->deliveries_failed);
    if (ok < 0 || retried < 0 || failed < 0)
        return;
    strbuf_printf(out,
                  "# HELP huddle_deliveries_total Delivery attempts since serve started, by outcome (ok; retried: "
                  "failed, to be tried again; failed: failed for good).\n"
                  "# TYPE huddle_deliveries_total counter\n"
                  "huddle_deliveries_total{outcome=\"ok\"} %lld\n"
                  "huddle_deliveries_total{outcome=\"retried\"} %lld\n"
                  "huddle_deliveries_total{outcome=\"failed\"} %lld\n",
                  ok, retried, failed);
}

char *serve_metrics_text(ServeMetrics *m)
{
    StrBuf out = STRBUF_INIT;
    strbuf_printf(&out, "# HELP huddle_requests_accepted_total Requests answered 2xx, by route.\n"
                        "# TYPE huddle_requests_accepted_total counter\n");
    for (int r = 1; r < ROUTE_COUNT; r++)
        strbuf_printf(&out, "huddle_requests_accepted_total{route=\"%s\"} %llu\n", ROUTE_NAMES[r],
                      atomic_load(&m->accepted[r]));
    strbuf_printf(&out, "# HELP huddle_requests_refused_total Requests refused, by status.\n"
                        "# TYPE huddle_requests_refused_total counter\n");
    for (int s = 300; s < 600; s++)
        if (atomic_load(&m->refused[s]))
            strbuf_printf(&out, "huddle_requests_refused_total{status=\"%d\"} %llu\n", s, atomic_load(&m->refused[s]));
    metrics_counter(&out, "huddle_steps_total", "Inputs applied (events, answers, acks, operator actions).",
                    atomic_load(&m->steps));
    metrics_counter(&out, "huddle_commits_failed_total", "Group commits the store refused.",
                    atomic_load(&m->commits_failed));
    metrics_counter(&out, "huddle_inputs_recovered_total",
                    "Inputs the last run died with, applied alone when serve started.",
                    atomic_load(&m->inputs_recovered));
    metrics_counter(&out, "huddle_inputs_poisoned_total",
                    "Inputs set aside unapplied after killing the process each time they were tried.",
                    atomic_load(&m->inputs_poisoned));
    metrics_counter(&out, "huddle_timers_fired_total", "Due timers fired.", atomic_load(&m->timers_fired));
    metrics_counter(&out, "huddle_timers_late_total", "Timer rounds that fired more than 1 s after the due time.",
                    atomic_load(&m->timers_late));
    double bsizes[SERVE_BATCH_BUCKETS];
    for (int i = 0; i < SERVE_BATCH_BUCKETS; i++)
        bsizes[i] = BATCH_SIZE[i];
    metrics_histogram(&out, "huddle_commit_latency_ms", "Group commit latency in ms (queue to commit).",
                      m->latency, SERVE_LATENCY_BUCKETS, LATENCY_MS, (double)atomic_load(&m->latency_sum_us) / 1000.0,
                      atomic_load(&m->latency_count));
    metrics_histogram(&out, "huddle_batch_size", "Inputs per group commit.", m->batch_sizes, SERVE_BATCH_BUCKETS,
                      bsizes, (double)atomic_load(&m->batch_inputs), atomic_load(&m->batches));
    metrics_gauge(&out, "huddle_queue_depth", "Requests waiting for the engine.", (long long)atomic_load(&m->queue_depth));
    metrics_gauge(&out, "huddle_open_tasks", "Open asks.", atomic_load(&m->open_tasks));
    metrics_gauge(&out, "huddle_instances_running", "Running instances.", atomic_load(&m->running));
    metrics_gauge(&out, "huddle_instances_stalled", "Stalled instances (need an operator).", atomic_load(&m->stalled));
    metrics_gauge(&out, "huddle_outbox_pending", "Outbox entries waiting to be delivered.",
                  atomic_load(&m->outbox_pending));
    metrics_gauge(&out, "huddle_outbox_failed", "Outbox entries failed for good (huddle outbox retry KEY).",
                  atomic_load(&m->outbox_failed));
    metrics_gauge(&out, "huddle_outbox_oldest_age_ms", "Age of the oldest pending outbox entry, in ms (0: none).",
                  atomic_load(&m->outbox_oldest_ms));
    metrics_gauge(&out, "huddle_outbox_in_flight", "Outbox entries being delivered now.",
                  atomic_load(&m->outbox_in_flight));
    metrics_deliveries(&out, m);
    metrics_counter(&out, "huddle_outbox_errors_total", "Dispatcher rounds the store refused.",
                    atomic_load(&m->outbox_errors));
    if (strbuf_failed(&out)) {
        strbuf_free(&out);
        return NULL;
    }
    char *text = strdup(strbuf_text(&out));
    strbuf_free(&out);
    return text;
}
