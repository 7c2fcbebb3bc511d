/*
 * cli_serve_http.c - serve's door: each request, on the HTTP server's thread, is routed,
 * its token or signature checked, its body read and checked field by field, and either
 * refused at once (with its status and error body) or made a job for the engine thread.
 * Nothing here touches the store; nothing here blocks.
 */
#include "cli_serve.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cli.h"
#include "connectors_events.h"
#include "engine.h"
#include "text.h"
#include "value_json.h"

/* A refusal on its way: status, code, message and field. */
typedef struct Door {
    Serve *serve;
    HttpRequest *request;
    ServeJob *job;
    const Connector *connector;     /* the events route's, once found */
    int status;
    const char *code;
    char message[512];
    char field[300];
    StrBuf compact;                 /* a webhook's body as compact text (serve_body_quick) */
} Door;

static bool door_refuse(Door *d, int status, const char *code, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
static bool door_refuse(Door *d, int status, const char *code, const char *field, const char *fmt, ...)
{
    d->status = status;
    d->code = code;
    snprintf(d->field, sizeof d->field, "%s", field ? field : "");
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(d->message, sizeof d->message, fmt, ap);
    va_end(ap);
    return false;
}

void serve_jobs_retire(Serve *serve, ServeJob **jobs, size_t count)
{
    if (!count)
        return;
    for (size_t i = 0; i + 1 < count; i++)
        jobs[i]->retired_next = jobs[i + 1];
    ServeJob *head = atomic_load(&serve->retired);
    do
        jobs[count - 1]->retired_next = head;
    while (!atomic_compare_exchange_weak(&serve->retired, &head, jobs[0]));
}

void serve_jobs_reap(Serve *serve)
{
    if (!atomic_load_explicit(&serve->retired, memory_order_relaxed))
        return;
    for (ServeJob *job = atomic_exchange(&serve->retired, NULL), *next; job; job = next) {
        next = job->retired_next;
        serve_job_free(job);
    }
}

void serve_job_free(ServeJob *job)
{
    if (!job)
        return;
    json_decref(job->body);
    json_decref(job->filter);
    free(job->data_text);
    free(job->idem_key);
    free(job);
}

/* ---- fields of a body ---- */

/* A text field: *out NULL when absent (or null) and not required. */
static bool door_text(Door *d, const char *field, bool required, const char **out)
{
    json_t *v = json_object_get(d->job->body, field);
    *out = json_string_value(v);
    if (*out)
        return true;
    if (!required && (!v || json_is_null(v)))
        return true;
    return door_refuse(d, 422, "invalid", field, v ? "\"%s\" is not text" : "\"%s\" is missing", field);
}

static bool door_fields(Door *d, const char *const *allowed)
{
    const char *key;
    json_t *v;
    json_object_foreach(d->job->body, key, v) {
        bool known = false;
        for (size_t i = 0; allowed[i] && !known; i++)
            known = !strcmp(key, allowed[i]);
        if (!known)
            return door_refuse(d, 422, "invalid", key, "the body has no field \"%.64s\" on this route", key);
    }
    return true;
}

/* Who acts: a person's token acts as its person (a "by" naming another is refused); an
   on-behalf service names the person in "by". */
static bool door_by(Door *d, const char **by)
{
    const ServeToken *t = d->job->token;
    if (!door_text(d, "by", t->on_behalf, by))
        return false;
    if (t->on_behalf) {
        char buf[96];
        const char *problem = text_id_problem(*by, true, buf);
        return problem ? door_refuse(d, 422, "invalid", "by", "\"by\" %s", problem) : true;
    }
    if (*by && strcmp(*by, t->person) != 0)
        return door_refuse(d, 403, "forbidden", "by", "this token acts as its own person only, not as another");
    *by = t->person;
    return true;
}

/* ---- routes' bodies ---- */

static bool door_event_fits(Door *d, const Connector *c)
{
    ServeJob *job = d->job;
    char why[400], field[300];
    if (conn_event_check(c, job->type, job->data, why, sizeof why, field, sizeof field) != 0)
        return door_refuse(d, 422, "event_type", field, "%s", why);
    return true;
}

static bool door_event_time(Door *d, const char *text, const char *field)
{
    char why[400];
    if (text && !cli_json_time(field, text, &d->job->event_time, NULL, why, sizeof why))
        return door_refuse(d, 422, "invalid", field, "%s", why);
    d->job->has_event_time = text != NULL;
    return true;
}

/* A webhook's body is the event's data; its id, type and time are where the connector
   says. Another connector's body, and the directory's (c NULL), is {"type", "id", "time",
   "data"}; the engine checks a directory event's type and person. */
static bool door_event(Door *d, const Connector *c)
{
    ServeJob *job = d->job;
    if (c && c->kind == CONN_WEBHOOK) {
        ConnEvent ev;
        char why[400], field[300];
        /* an id past 64 bits is a double in the body: its digits are read again, exactly */
        json_t *exact = conn_webhook_id_inexact(c, job->body)
                            ? value_json_load_exact(d->request->body, d->request->body_len, JSON_REJECT_DUPLICATES,
                                                    0, why, sizeof why)
                            : NULL;
        int mapped = conn_webhook_map(c, job->body, exact, &ev, why, sizeof why, field, sizeof field);
        json_decref(exact);
        if (mapped != 0)
            return door_refuse(d, 422, "invalid", field, "%s", why);
        job->type = ev.type;
        job->id = ev.id;
        if (ev.id == ev.id_text)
            job->id = memcpy(job->id_text, ev.id_text, sizeof job->id_text);
        job->data = job->body;
        return door_event_time(d, ev.time, c->time_pointer ? c->time_pointer : "/time") && door_event_fits(d, c);
    }
    static const char *const FIELDS[] = {"type", "id", "time", "data", NULL};
    const char *time_text;
    char buf[96];
    if (!door_fields(d, FIELDS) || !door_text(d, "type", true, &job->type) || !door_text(d, "id", true, &job->id) ||
        !door_text(d, "time", false, &time_text) || !door_event_time(d, time_text, "time"))
        return false;
    /* type and id are ids, refused here naming their field as a webhook's mapping names
       its pointer (the engine would refuse them too, but with no field) */
    const char *const names[] = {"type", "id"}, *const texts[] = {job->type, job->id};
    for (int i = 0; i < 2; i++) {
        const char *problem = text_id_problem(texts[i], false, buf);
        if (problem)
            return door_refuse(d, 422, "invalid", names[i], "the event %s %s", names[i], problem);
    }
    job->data = json_object_get(job->body, "data");
    if (!job->data)
        job->data = json_object_set_new(job->body, "data", json_object()) == 0 ? json_object_get(job->body, "data")
                                                                             : NULL;
    if (!job->data)
        return door_refuse(d, 500, "no_memory", NULL, "out of memory");
    return !c || door_event_fits(d, c);
}

/* A reassignment hands a seat to another person: "to" naming the "from" is refused
   here in the body's words (the engine's own sentence names huddle reassign's --from
   and --to). */
static bool door_reassign_to(Door *d, const char *from, const char *to)
{
    char buf[96];
    if (from && strcmp(from, to) == 0 && !text_id_problem(to, true, buf))   /* not an id: the engine says so */
        return door_refuse(d, 422, "refused", "to", "\"from\" and \"to\" name the same person (%s): \"to\" "
                           "names who takes the seat over", to);
    return true;
}

static bool door_body_fields(Door *d)
{
    static const char *const ANSWER[] = {"choice", "comment", "by", NULL};
    static const char *const ACK[] = {"by", NULL};
    static const char *const RESOLVE[] = {"choice", "reason", "by", NULL};
    static const char *const REASSIGN[] = {"from", "to", "by", NULL};
    static const char *const RETRY[] = {"goto", "reason", "by", NULL};
    static const char *const CANCEL[] = {"reason", "by", NULL};
    const char *x, *by, *from;
    switch (d->job->route.id) {
    case ROUTE_TASK_ANSWER:
        return door_fields(d, ANSWER) && door_text(d, "choice", true, &x) && door_text(d, "comment", false, &x) &&
               door_by(d, &by);
    case ROUTE_TASK_ACK:
        return door_fields(d, ACK) && door_by(d, &by);
    case ROUTE_TASK_RESOLVE:
        return door_fields(d, RESOLVE) && door_text(d, "choice", true, &x) && door_text(d, "reason", true, &x) &&
               door_by(d, &by);
    case ROUTE_TASK_REASSIGN:
        return door_fields(d, REASSIGN) && door_text(d, "from", false, &from) && door_text(d, "to", true, &x) &&
               door_by(d, &by) && door_reassign_to(d, from, x);
    case ROUTE_INSTANCE_RETRY:
        return door_fields(d, RETRY) && door_text(d, "goto", false, &x) && door_text(d, "reason", false, &x) &&
               door_by(d, &by);
    case ROUTE_INSTANCE_CANCEL:
        return door_fields(d, CANCEL) && door_text(d, "reason", true, &x) && door_by(d, &by);
    default:
        return true;
    }
}

/* The body of a write: JSON (Content-Type application/json), an object, 1,000 deep at
   most. An empty body is {} for an ack (docs/operations.md: "or empty"); every other
   write needs its object, {} at least. */
static bool door_body(Door *d)
{
    HttpRequest *r = d->request;
    if (!r->body_len && d->job->route.id != ROUTE_TASK_ACK)
        return door_refuse(d, 400, "malformed", NULL, "the body is empty: this route needs a JSON object");
    const char *ct = r->content_type;
    size_t n = ct ? strcspn(ct, ";") : 0;
    while (n && ct[n - 1] == ' ')
        n--;
    if (r->body_len && (!ct || n != 16 || strncasecmp(ct, "application/json", 16) != 0))
        return door_refuse(d, 415, "content_type", "Content-Type", "the body must be JSON, sent as "
                                                                  "Content-Type: application/json");
    char why[300];
    /* a webhook's body is its event's data: its compact text, for inputs.inflight, as it is read */
    const Connector *c = d->connector;
    StrBuf *compact = c && c->kind == CONN_WEBHOOK && d->job->route.id == ROUTE_EVENTS ? &d->compact : NULL;
    d->job->body = !r->body_len ? json_object() : serve_body_quick(r->body, r->body_len, compact);
    if (!d->job->body && r->body_len)
        d->job->body = value_json_load(r->body, r->body_len, JSON_REJECT_DUPLICATES, 0, why, sizeof why);
    if (!d->job->body)
        return door_refuse(d, 400, "malformed", NULL, "the body is not JSON: %s", why);
    if (!json_is_object(d->job->body))
        return door_refuse(d, 400, "malformed", NULL, "the body is JSON, but not an object");
    return true;
}

/* ---- who may ---- */

/* Whether an Authorization value is "Bearer TOKEN" in form (the scheme in any case). */
static bool door_bearer_form(const char *authorization)
{
    if (strncasecmp(authorization, "Bearer ", 7) != 0)
        return false;
    const char *token = authorization + 7;
    return token[strspn(token, " \t")] != '\0';
}

static bool door_token(Door *d)
{
    Serve *s = d->serve;
    const char *authorization = d->request->authorization;
    d->job->token = serve_tokens_find(&s->tokens, authorization);
    if (!d->job->token)
        return door_refuse(d, 401, "unauthorized", "Authorization",
                           !authorization ? "this route needs Authorization: Bearer TOKEN"
                           : !door_bearer_form(authorization)
                               ? "Authorization is not of the form Bearer TOKEN (the token from the tokens file)"
                               : "the bearer token is not one of the tokens file's");
    if (!(d->job->token->may & d->job->route.need))
        return door_refuse(d, 403, "forbidden", NULL, "this token may not use this route (its \"may\" in the tokens file)");
    return true;
}

/* Events: a webhook with a secret needs its signature (and no token); any other
   connector, and the reserved source `directory` (*out NULL: directory.away and
   directory.back, from HR or calendar systems), a token that may send events. */
static bool door_connector(Door *d, const Connector **out)
{
    Serve *s = d->serve;
    *out = NULL;
    if (strcmp(d->job->route.param, "directory") == 0)
        return door_token(d);
    const Connector *c = s->connectors ? conn_find(s->connectors, d->job->route.param) : NULL;
    if (!c || c->kind == CONN_SMTP)
        return door_refuse(d, 404, "unknown_connector", NULL, "no connector '%.64s' sends events here",
                           d->job->route.param);
    *out = c;
    if (c->kind == CONN_WEBHOOK && c->secret_env) {
        ConnSigner *signer = s->signers ? s->signers[c - s->connectors->items] : NULL;
        if (!signer)
            return door_refuse(d, 503, "no_secret", NULL, "the connector's secret is not set in serve's environment");
        const char *signature = d->request->signature;
        if (!conn_signer_ok(signer, signature, d->request->body, d->request->body_len))
            return door_refuse(d, 401, "bad_signature", "X-Huddle-Signature", "%s",
                               !signature ? "this webhook needs X-Huddle-Signature: sha256=<hex HMAC of the body>"
                               : !conn_signature_well_formed(signature)
                                   ? "X-Huddle-Signature is not sha256= and 64 hex digits (the HMAC-SHA256 of the "
                                     "body under the connector's secret)"
                                   : "the signature does not match the body");
        return true;
    }
    return door_token(d);
}

/* ---- queries ---- */

/* The text fields of an audit search, as engine_audit_search names them. */
static const char *const AUDIT_TEXT[] = {"playbook", "state", "choice", "person", "asked", "held",
                                         "answered", "outcome", "tag", "words", NULL};

/* A time parameter (RFC 3339) into *ms; absent leaves it. */
static bool door_query_time(Door *d, const char *name, int64_t *ms)
{
    char text[64], why[160];
    int got = serve_query_get(d->request->query, name, text, sizeof text);
    if (got == 0)
        return true;
    int32_t offset;
    if (got < 0 || !value_time_parse(text, ms, &offset, why, sizeof why))   /* '+' decodes to a space */
        return door_refuse(d, 400, "bad_query", name, "?%s= is an RFC 3339 time (2026-06-15T08:10:00+03:00)%s", name,
                           got > 0 && strchr(text, ' ') ? ": a '+' in a query is a space, write it %2B" : "");
    if (engine_check_time(name, *ms, why, sizeof why) != ENGINE_OK)   /* as the CLI's --since and --until */
        return door_refuse(d, 400, "bad_query", name, "?%s= is outside the times a store holds (from 1970-01-01 "
                           "to before 9000-01-01, UTC): no instance or decision lies there; give a time in that "
                           "range, or leave ?%s= out", name, name);
    return true;
}

/* GET /v1/audit/search's filter, from the same names as `huddle audit search`'s options. */
static bool door_audit_filter(Door *d)
{
    ServeJob *job = d->job;
    char value[1024];
    if (!(job->filter = json_object()))
        return door_refuse(d, 500, "no_memory", NULL, "out of memory");
    for (const char *const *name = AUDIT_TEXT; *name; name++) {
        int got = serve_query_get(d->request->query, *name, value, sizeof value);
        if (got < 0)
            return door_refuse(d, 400, "bad_query", *name, "?%s= is malformed or longer than 1,023 bytes", *name);
        if (got > 0 && strcmp(*name, "words") == 0 && engine_audit_words_none(value))
            return door_refuse(d, 400, "bad_query", *name, "?words= holds blanks only: give it a word to "
                               "find (words are separated by spaces), or leave it out for no filter");
        if (got > 0)
            json_object_set_new(job->filter, *name, json_string(value));
    }
    int64_t since = INT64_MIN, until = INT64_MAX;
    if (!door_query_time(d, "since", &since) || !door_query_time(d, "until", &until))
        return false;
    if (since != INT64_MIN)
        json_object_set_new(job->filter, "since", json_integer(since));
    if (until != INT64_MAX)
        json_object_set_new(job->filter, "until", json_integer(until));
    if (serve_query_get(d->request->query, "limit", value, sizeof value) > 0) {
        int64_t limit;
        if (!text_parse_count(value, 1, 1000000, &limit))   /* digits only: no ' 5', '+5' */
            return door_refuse(d, 400, "bad_query", "limit", "?limit= is a whole number from 1 to 1000000");
        json_object_set_new(job->filter, "limit", json_integer(limit));
    }
    return true;
}

/* An id parameter (?for= a person, ?playbook=) into out; absent leaves "" (door_query
   refused an empty one). */
static bool door_query_id(Door *d, const char *name, char *out, size_t cap, bool person)
{
    char buf[96];
    const char *problem = serve_query_get(d->request->query, name, out, cap) < 0 ? "is malformed or too long"
                          : out[0] ? text_id_problem(out, person, buf) : NULL;
    if (problem)
        return door_refuse(d, 400, "bad_query", name, "?%s= is not %s: it %s", name,
                           person ? "a person id" : "a playbook name", problem);
    return true;
}

static bool door_query(Door *d)
{
    static const char *const TASKS[] = {"for", NULL};
    static const char *const INSTANCES[] = {"playbook", "status", NULL};
    static const char *const SEARCH[] = {"playbook", "state", "choice", "person", "asked", "held", "answered",
                                         "outcome", "tag", "words", "since", "until", "limit", NULL};
    static const char *const EXPORT[] = {"since", NULL};
    static const char *const NONE[] = {NULL};
    ServeJob *job = d->job;
    const char *q = d->request->query;
    ServeRouteId id = job->route.id;
    const char *const *allowed = id == ROUTE_TASKS ? TASKS : id == ROUTE_INSTANCES ? INSTANCES
                                 : id == ROUTE_AUDIT_SEARCH ? SEARCH : id == ROUTE_AUDIT_EXPORT ? EXPORT : NONE;
    char bad[65];
    if (!serve_query_only(q, allowed, bad))
        return door_refuse(d, 400, "bad_query", bad, "this route takes no query parameter '%s'", bad);
    int once = serve_query_once_each(q, bad);
    if (once == SERVE_QUERY_EMPTY)
        return door_refuse(d, 400, "bad_query", bad, "?%s= is empty: give it a value, or leave it out for no filter", bad);
    if (once == SERVE_QUERY_TWICE)
        return door_refuse(d, 400, "bad_query", bad, "?%s= is given twice: give each parameter once", bad);
    job->since = INT64_MIN;
    if (id == ROUTE_AUDIT_SEARCH)
        return door_audit_filter(d);
    if (id == ROUTE_AUDIT_EXPORT)
        return door_query_time(d, "since", &job->since);
    if (!door_query_id(d, "for", job->for_person, sizeof job->for_person, true) ||
        !door_query_id(d, "playbook", job->playbook, sizeof job->playbook, false))
        return false;
    if (serve_query_get(q, "status", job->status, sizeof job->status) < 0 ||
        (job->status[0] && !cli_instance_status_known(job->status)))
        return door_refuse(d, 400, "bad_query", "status", "?status= is not a status (" CLI_INSTANCE_STATUSES ")");
    return true;
}

/* ---- the whole door ---- */

static bool door_idempotency(Door *d, bool *done)
{
    const char *key = d->request->idempotency_key;
    *done = false;
    if (!key || !d->job->route.write)
        return true;
    char buf[96];
    const char *why = text_id_problem(key, false, buf);
    if (why)   /* why, not buf: buf holds only the words of a key too long */
        return door_refuse(d, 400, "bad_idempotency_key", "Idempotency-Key",
                           "Idempotency-Key %s (a key is 1 to 256 bytes of UTF-8 text without control characters)", why);
    const ServeToken *t = d->job->token;
    /* Per token (or webhook connector), route and resource: the same key sent to
       /v1/tasks/t2/answer after /v1/tasks/t1/answer is another request, not a repeat. */
    if (asprintf(&d->job->idem_key, "%s\n%s\n%s\n%s", t ? t->name : d->job->route.param, d->job->route.name,
                 d->job->route.param, key) < 0) {
        d->job->idem_key = NULL;
        return door_refuse(d, 500, "no_memory", NULL, "out of memory");
    }
    *done = serve_idem_begin(d->serve, d->request, d->job->idem_key) != 0;
    return true;
}

/* A write takes no query parameter: `?dry_run=1` is refused, never ignored while the
   write is applied. */
static bool door_no_query(Door *d)
{
    static const char *const NONE[] = {NULL};
    char bad[65];
    if (!serve_query_only(d->request->query, NONE, bad))
        return door_refuse(d, 400, "bad_query", bad, "this route takes no query parameter '%s': its input is "
                           "the body", bad);
    return true;
}

static bool door_check(Door *d)
{
    ServeJob *job = d->job;
    const Connector *c = NULL;
    bool ok = job->route.id == ROUTE_EVENTS ? door_connector(d, &c) : door_token(d);
    d->connector = c;
    if (ok && job->route.write)
        ok = door_no_query(d) && door_body(d) && (job->route.id == ROUTE_EVENTS ? door_event(d, c) : door_body_fields(d));
    else if (ok)
        ok = door_query(d);
    return ok;
}

static void door_plain(Serve *s, HttpRequest *r, const ServeRoute *route)
{
    if (route->id == ROUTE_HEALTHZ) {
        const char *body = atomic_load(&s->ready) ? "{\"status\":\"ok\"}" : "{\"status\":\"stopping\"}";
        http_reply(r, atomic_load(&s->ready) ? 200 : 503, "application/json", body, strlen(body), NULL);
    } else {
        atomic_store(&s->metrics.gauges_wanted, true);
        char *text = serve_metrics_text(&s->metrics);
        http_reply(r, text ? 200 : 500, "text/plain; version=0.0.4", text ? text : "", text ? strlen(text) : 0, NULL);
        free(text);
    }
    atomic_fetch_add(&s->metrics.accepted[route->id], 1);
}

/* The header a door refusal carries: a 401 says how to authenticate (RFC 9110 15.5.2
   wants WWW-Authenticate on every 401; RFC 6750 its Bearer form), a 503 when to try again. */
static const char *door_header(const Door *d)
{
    if (d->status == 503)
        return "Retry-After: 1";
    if (d->status != 401)
        return NULL;
    if (strcmp(d->code, "bad_signature") == 0)
        return "WWW-Authenticate: Huddle-Signature realm=\"huddle\", header=\"X-Huddle-Signature\"";
    const char *authorization = d->request->authorization;
    if (!authorization)
        return "WWW-Authenticate: Bearer realm=\"huddle\"";
    return door_bearer_form(authorization) ? "WWW-Authenticate: Bearer realm=\"huddle\", error=\"invalid_token\""
                                           : "WWW-Authenticate: Bearer realm=\"huddle\", error=\"invalid_request\"";
}

void serve_on_request(void *context, HttpRequest *request)
{
    Serve *s = context;
    ServeRoute route;
    const char *allow;
    serve_jobs_reap(s);   /* the last rounds' jobs, freed where they were made */
    if (request->repeated_header) {
        char message[96];
        snprintf(message, sizeof message, "the request gives %s twice: send it once", request->repeated_header);
        serve_refuse(s, request, 400, "bad_header", message, request->repeated_header, NULL);
        return;
    }
    int found = serve_route(request->method, serve_origin_path(request->path), &route, &allow);
    if (found == SERVE_ROUTE_METHOD) {
        char header[32];
        snprintf(header, sizeof header, "Allow: %s", allow);
        serve_refuse(s, request, 405, "method", "this path takes another method (see Allow)", NULL, header);
        return;
    }
    if (found != SERVE_ROUTE_OK) {
        serve_refuse(s, request, 404, "not_found", "no such route (see docs/operations.md, \"Routes\")", NULL, NULL);
        return;
    }
    if (route.id == ROUTE_HEALTHZ || route.id == ROUTE_METRICS) {
        static const char *const NONE[] = {NULL};
        char bad[65], message[128];
        if (serve_query_only(request->query, NONE, bad)) {
            door_plain(s, request, &route);
            return;
        }
        snprintf(message, sizeof message, "this route takes no query parameter '%s'", bad);
        serve_refuse(s, request, 400, "bad_query", message, bad, NULL);
        return;
    }
    ServeJob *job = calloc(1, sizeof *job);
    if (!job) {
        serve_refuse(s, request, 503, "no_memory", "out of memory", NULL, "Retry-After: 1");
        return;
    }
    job->request = request;
    job->route = route;
    Door d = {.serve = s, .request = request, .job = job, .compact = STRBUF_INIT};
    bool done = false;
    if (!door_check(&d) || !door_idempotency(&d, &done)) {
        serve_refuse(s, request, d.status, d.code, d.message, d.field[0] ? d.field : NULL, door_header(&d));
        serve_job_free(job);
        strbuf_free(&d.compact);
        return;
    }
    if (done) {
        serve_job_free(job);
        strbuf_free(&d.compact);
        return;
    }
    /* its line in inputs.inflight, here rather than on the engine thread: a webhook's
       body as it was read, else its data dumped */
    if (route.id == ROUTE_EVENTS && d.compact.len && job->data == job->body)
        job->data_text = strbuf_take(&d.compact);
    else if (route.id == ROUTE_EVENTS)
        job->data_text = serve_inflight_data(job->data);
    strbuf_free(&d.compact);
    job->queued_us = http_now_us();
    if (!serve_queue_push(&s->queue, job)) {
        serve_reply_error(s, job, 503, "overloaded", "serve is busy or stopping: try again", NULL);
        serve_job_free(job);
    }
}
