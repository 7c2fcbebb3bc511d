/*
 * cli_serve_apply.c - what serve's jobs do to the engine, on the engine thread, and the
 * reply each gets. Events, answers and acks of a round go through one group commit
 * (engine_stream_*: one synced transaction, each input applied as the round takes it
 * from the queue), and none is answered before it commits (RUNTIME.md promise 1); reads
 * and operator actions then run one by one.
 *
 * An engine refusal becomes 404 (no such task or instance), 403 (not the person's seat),
 * 409 (answered or closed already) or 422 (anything else the input got wrong), by what
 * the engine says it was refused for (EngineRefusal), which also names the 422's field
 * (choice, comment, reason, goto, by, from, to, data.person, ...); a store failure is
 * 503 and nothing of it was applied.
 */
#include "cli_serve.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine.h"

/* The status of a refusal, by what the engine says it was for (EngineRefusal), never by
   its sentence, which may quote what the client sent (an unknown choice "Refund already
   issued" is 422, not 409). */
static int apply_refusal_status(EngineRefusalKind kind)
{
    switch (kind) {
    case ENGINE_REFUSAL_NOT_FOUND: return 404;
    case ENGINE_REFUSAL_NOT_YOURS: return 403;
    case ENGINE_REFUSAL_CONFLICT: return 409;
    case ENGINE_REFUSAL_INPUT: break;
    }
    return 422;
}

static const char *apply_refusal_code(int status)
{
    return status == 404 ? "not_found" : status == 403 ? "not_your_seat" : status == 409 ? "conflict" : "refused";
}

/* Replies to a job the engine refused (with what it was refused for) or failed. */
static void apply_reply_failed(Serve *serve, ServeJob *job, int rc, const char *why, const EngineRefusal *refusal)
{
    if (rc == ENGINE_REFUSED) {
        int status = apply_refusal_status(refusal->kind);
        const char *field = status == 422 && refusal->field[0] ? refusal->field : NULL;
        serve_reply_error(serve, job, status, apply_refusal_code(status), why, field);
    } else {
        serve_log("error", "engine", json_pack("{s:s, s:s}", "route", job->route.name, "why", why));
        serve_reply_error(serve, job, 503, "store_failed", why, NULL);
    }
}

/* apply_reply_failed for a job run on its own: what the engine's last call was refused for. */
static void apply_reply_engine_failed(Serve *serve, ServeJob *job, int rc, const char *why)
{
    apply_reply_failed(serve, job, rc, why, engine_refusal(serve->engine));
}

static bool apply_batchable(const ServeJob *job)
{
    ServeRouteId id = job->route.id;
    return id == ROUTE_EVENTS || id == ROUTE_TASK_ANSWER || id == ROUTE_TASK_ACK;
}

/* Who acts, as the door checked it: the body's "by" for an on-behalf service, else the
   token's person. */
static const char *apply_by(const ServeJob *job)
{
    const char *by = json_string_value(json_object_get(job->body, "by"));
    return job->token && !job->token->on_behalf ? job->token->person : by;
}

static void apply_input(const ServeJob *job, EngineInput *in, int64_t now)
{
    memset(in, 0, sizeof *in);
    if (job->route.id == ROUTE_EVENTS) {
        in->kind = ENGINE_INPUT_EVENT;
        in->source = job->route.param;
        in->type = job->type;
        in->id = job->id;
        in->data = job->data;
        in->event_time = job->has_event_time ? job->event_time : now;
        in->want_routes = true;
        return;
    }
    in->kind = job->route.id == ROUTE_TASK_ACK ? ENGINE_INPUT_ACK : ENGINE_INPUT_ANSWER;
    in->task = job->route.param;
    in->by = apply_by(job);
    in->choice = json_string_value(json_object_get(job->body, "choice"));
    in->comment = json_string_value(json_object_get(job->body, "comment"));
    in->token = job->token ? job->token->name : NULL;
}

/* `"name":"text"` after `lead` ('{' or ','); false when the text is not UTF-8. */
static bool apply_member(StrBuf *out, char lead, const char *name, const char *text)
{
    strbuf_putc(out, lead);
    strbuf_putc(out, '"');
    strbuf_puts(out, name);
    strbuf_puts(out, "\":");
    return text && serve_json_string(out, text, strlen(text));
}

/* An accepted input's reply, written as text (the commit's replies wait on it):
   {"id", "duplicate", "went"} for an event, {"task", "by", "answered"|"acknowledged"}
   for an answer or an ack, the same bytes jansson would write. */
static void apply_reply_input(Serve *serve, ServeJob *job, EngineInput *in)
{
    if (in->result != ENGINE_OK) {
        apply_reply_failed(serve, job, in->result, in->why, &in->refusal);
        return;
    }
    StrBuf text = STRBUF_INIT;
    bool ok;
    if (in->kind == ENGINE_INPUT_EVENT) {
        ok = apply_member(&text, '{', "id", in->id);
        strbuf_puts(&text, in->duplicate ? ",\"duplicate\":true,\"went\":" : ",\"duplicate\":false,\"went\":");
        if (in->routes)
            ok = ok && serve_json_value(&text, in->routes);
        else
            strbuf_puts(&text, "[]");   /* a duplicate went nowhere this time */
    } else {
        bool ack = in->kind == ENGINE_INPUT_ACK;
        ok = apply_member(&text, '{', "task", in->task) && apply_member(&text, ',', "by", in->by) &&
             apply_member(&text, ',', ack ? "acknowledged" : "answered", ack ? "yes" : in->choice);
        if (in->repeat) {   /* a repeat that changed nothing: "duplicate", as an event's */
            strbuf_puts(&text, ",\"duplicate\":true");
            ok = ok && apply_member(&text, ',', "note", in->why);
        }
    }
    strbuf_putc(&text, '}');
    if (!ok)   /* as json_pack's failure: the 500 of no memory */
        strbuf_free(&text);
    serve_reply_text(serve, job, 200, ok ? &text : NULL);
}

/* The round's events, answers and acks: one group commit, applied while they arrive. */
typedef struct ApplyRound {
    EngineInput *inputs;            /* batch_max of each (kept in serve between rounds):
                                       the round's inputs so far */
    ServeJob **mine;
    char **data_texts;
    size_t n;
    int64_t now, oldest;
    EngineStream *stream;           /* NULL: not begun (or no memory: engine_apply_batch at the end) */
} ApplyRound;

static bool apply_round_begin(Serve *serve, ApplyRound *r, int64_t now)
{
    *r = (ApplyRound){.now = now, .oldest = INT64_MAX};
    if (!serve->round_inputs || !serve->round_mine || !serve->round_texts) {   /* the first round */
        serve_apply_free(serve);
        serve->round_inputs = calloc(serve->batch_max, sizeof *serve->round_inputs);
        serve->round_mine = calloc(serve->batch_max, sizeof *serve->round_mine);
        serve->round_texts = calloc(serve->batch_max, sizeof *serve->round_texts);
    }
    r->inputs = serve->round_inputs;   /* each is set in full as it is taken (apply_input) */
    r->mine = serve->round_mine;
    r->data_texts = serve->round_texts;
    return r->inputs && r->mine && r->data_texts;
}

void serve_apply_free(Serve *serve)
{
    free(serve->round_inputs);
    free(serve->round_mine);
    free(serve->round_texts);
    serve->round_inputs = NULL;
    serve->round_mine = NULL;
    serve->round_texts = NULL;
}

/* jobs[from..to) join the round: their inputs are noted in flight and applied at once. */
static void apply_round_take(Serve *serve, ApplyRound *r, ServeJob **jobs, size_t from, size_t to)
{
    size_t first = r->n;
    for (size_t i = from; i < to; i++)
        if (apply_batchable(jobs[i])) {
            r->mine[r->n] = jobs[i];
            r->data_texts[r->n] = jobs[i]->data_text;
            apply_input(jobs[i], &r->inputs[r->n++], r->now);
            if (jobs[i]->queued_us < r->oldest)
                r->oldest = jobs[i]->queued_us;
        }
    if (r->n == first)
        return;
    serve_inflight_write(serve, r->inputs + first, r->data_texts + first, r->n - first);
    if (!r->stream && engine_stream_begin(serve->engine, r->inputs, r->now, &r->stream) != ENGINE_OK)
        r->stream = NULL;
    if (r->stream)
        engine_stream_add(r->stream, r->n);
}

/* The round's commit, then the replies. */
static void apply_round_commit(Serve *serve, ApplyRound *r)
{
    if (!r->n)
        return;
    int rc = r->stream ? engine_stream_commit(r->stream) : engine_apply_batch(serve->engine, r->inputs, r->n, r->now);
    serve_replies_release(serve);   /* the last round's, when this commit's flush made them durable */
    serve_inflight_clear(serve);
    serve_log_flush();   /* the commit's records' lines before anyone hears of it */
    if (rc != ENGINE_OK)
        atomic_fetch_add(&serve->metrics.commits_failed, 1);
    else
        serve_metrics_commit(&serve->metrics, r->n, http_now_us() - r->oldest);
    for (size_t i = 0; i < r->n; i++) {
        atomic_fetch_add(&serve->metrics.steps, r->inputs[i].result == ENGINE_OK);
        apply_reply_input(serve, r->mine[i], &r->inputs[i]);
        json_decref(r->inputs[i].routes);
    }
}


/* The round: jobs[0..count) and what the gather brings while they are applied; returns
   how many jobs the round holds in all. Without memory for it, its inputs get 503 and
   it gathers nothing more. */
static size_t apply_round(Serve *serve, ServeJob **jobs, size_t count, int64_t now)
{
    ApplyRound r;
    if (!apply_round_begin(serve, &r, now)) {
        for (size_t i = 0; i < count; i++)
            if (apply_batchable(jobs[i]))
                serve_reply_error(serve, jobs[i], 503, "no_memory", "out of memory", NULL);
        return count;
    }
    apply_round_take(serve, &r, jobs, 0, count);
    for (size_t more; (more = serve_gather_more(serve, jobs, count)) > 0; count += more)
        apply_round_take(serve, &r, jobs, count, count + more);
    apply_round_commit(serve, &r);
    return count;
}

/* GET /v1/instances/{id}: one read of it, whatever the store holds. */
static void apply_instance(Serve *serve, ServeJob *job)
{
    json_t *summary;
    char why[512];
    int rc = engine_instance(serve->engine, job->route.param, &summary, why, sizeof why);
    if (rc == ENGINE_OK)
        serve_reply_json(serve, job, 200, summary);
    else
        apply_reply_engine_failed(serve, job, rc, why);
}

/* GET /v1/instances[?playbook=P&status=S]. */
static void apply_instances(Serve *serve, ServeJob *job)
{
    json_t *all = NULL, *out = json_array();
    char why[512];
    int rc = engine_instances(serve->engine, &all, why, sizeof why);
    if (rc != ENGINE_OK || !out) {
        json_decref(out);
        apply_reply_engine_failed(serve, job, rc == ENGINE_OK ? ENGINE_NO_MEMORY : rc,
                                  rc == ENGINE_OK ? "out of memory" : why);
        return;
    }
    size_t i;
    json_t *in;
    json_array_foreach(all, i, in) {
        const char *pb = json_string_value(json_object_get(in, "playbook"));
        const char *st = json_string_value(json_object_get(in, "status"));
        if ((!job->playbook[0] || (pb && !strcmp(pb, job->playbook))) &&
            (!job->status[0] || (st && !strcmp(st, job->status))))
            json_array_append(out, in);
    }
    serve_reply_json(serve, job, 200, json_pack("{s:O}", "instances", out));
    json_decref(out);
    json_decref(all);
}

/* GET /v1/audit/export: every line `huddle audit export --format jsonl` prints, in
   order, as one JSON array. */
static int apply_export_row(void *context, const json_t *row)
{
    return json_array_append(context, (json_t *)row) == 0 ? ENGINE_OK : ENGINE_NO_MEMORY;
}

static int apply_audit(Serve *serve, ServeJob *job, json_t **got, char *why, size_t why_len)
{
    int rc;
    switch (job->route.id) {
    case ROUTE_AUDIT_HEAD:
        return engine_audit_head(serve->engine, got, why, why_len);
    case ROUTE_AUDIT_SEARCH:
        rc = engine_audit_search(serve->engine, job->filter, got, why, why_len);
        if (rc == ENGINE_OK)
            *got = json_pack("{s:o}", "decisions", *got);
        return rc;
    default:
        *got = json_array();
        if (!*got)
            return ENGINE_NO_MEMORY;
        rc = engine_audit_export(serve->engine, job->since, apply_export_row, *got, why, why_len);
        if (rc != ENGINE_OK) {
            json_decref(*got);
            *got = NULL;
            return rc;
        }
        *got = json_pack("{s:o}", "export", *got);
        return rc;
    }
}

/* Reads and operator actions, one at a time. */
static void apply_one(Serve *serve, ServeJob *job, int64_t now)
{
    char why[512] = "";
    json_t *got = NULL;
    const json_t *b = job->body;
    const char *p = job->route.param;
    EngineActor actor = {apply_by(job), json_string_value(json_object_get(b, "reason")),
                         job->token ? job->token->name : NULL};   /* an operator action's */
    int rc = ENGINE_OK;
    switch (job->route.id) {
    case ROUTE_INSTANCES:
        apply_instances(serve, job);
        return;
    case ROUTE_INSTANCE:
        apply_instance(serve, job);
        return;
    case ROUTE_TASKS:
        rc = engine_inbox(serve->engine, job->for_person[0] ? job->for_person : NULL, &got, why, sizeof why);
        if (rc == ENGINE_OK)   /* each with its similar past decisions, as huddle tasks shows them */
            rc = engine_audit_context(serve->engine, got, 3, why, sizeof why);
        if (rc == ENGINE_OK)
            got = json_pack("{s:o}", "tasks", got);
        break;
    case ROUTE_INSTANCE_HISTORY:
        rc = engine_history(serve->engine, p, &got, why, sizeof why);
        if (rc == ENGINE_OK)
            got = json_pack("{s:s, s:o}", "instance", p, "history", got);
        break;
    case ROUTE_AUDIT_HEAD:
    case ROUTE_AUDIT_SEARCH:
    case ROUTE_AUDIT_EXPORT:
        rc = apply_audit(serve, job, &got, why, sizeof why);
        break;
    case ROUTE_TASK_RESOLVE:
        rc = engine_resolve(serve->engine, p, json_string_value(json_object_get(b, "choice")), &actor, now, why,
                            sizeof why);
        break;
    case ROUTE_TASK_REASSIGN:
        rc = engine_reassign(serve->engine, p, json_string_value(json_object_get(b, "from")),
                             json_string_value(json_object_get(b, "to")), &actor, now, why, sizeof why);
        break;
    case ROUTE_INSTANCE_RETRY:
        rc = engine_retry(serve->engine, p, json_string_value(json_object_get(b, "goto")), &actor, now, why,
                          sizeof why);
        break;
    case ROUTE_INSTANCE_CANCEL:
        rc = engine_cancel(serve->engine, p, &actor, now, why, sizeof why);
        break;
    default:
        rc = ENGINE_FAILED;
        snprintf(why, sizeof why, "no engine work for route %s", job->route.name);
    }
    if (rc != ENGINE_OK) {
        json_decref(got);
        apply_reply_engine_failed(serve, job, rc, why);
        return;
    }
    if (job->route.write) {
        atomic_fetch_add(&serve->metrics.steps, 1);
        got = json_pack("{s:s, s:s, s:s?}", "route", job->route.name, "id", p, "note", why[0] ? why : NULL);
    }
    serve_reply_json(serve, job, got ? 200 : 503, got ? got : json_pack("{s:{s:s,s:s,s:n}}", "error", "code",
                                                                        "no_memory", "message", "out of memory", "field"));
}

void serve_apply(Serve *serve, ServeJob **jobs, size_t count, int64_t now)
{
    count = apply_round(serve, jobs, count, now);
    for (size_t i = 0; i < count; i++)
        if (!apply_batchable(jobs[i])) {
            apply_one(serve, jobs[i], now);
            serve_replies_release(serve);
        }
    serve_jobs_retire(serve, jobs, count);
}
