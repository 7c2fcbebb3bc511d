/*
 * cli_serve_reply.c - serve's replies: JSON bodies, the one error body
 * {"error": {"code", "message", "field"}}, and the counts /metrics shows. Each reply to
 * a request with an Idempotency-Key is also kept (cli_serve_idem.c).
 *
 * A reply the engine thread makes waits for the disk: serve's commits leave their root
 * page to the next commit's flush (EngineOptions.sync_root_later, one flush a commit
 * instead of two), so a reply made while a commit is not yet durable is held, in order,
 * with the number of commits it reports on, and sent once they are durable (cli_serve.h,
 * serve_replies_release and serve_replies_settle). RUNTIME.md promise 1 (no 2xx before
 * the input is durable) holds for a machine that loses power, not only for a process
 * that dies.
 */
#include "cli.h"
#include "cli_serve.h"
#include "grow.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine.h"

static void reply_count(Serve *serve, int route, int status)
{
    if (status >= 200 && status < 300 && route > 0 && route < ROUTE_COUNT)
        atomic_fetch_add(&serve->metrics.accepted[route], 1);
    else if (status >= 300 && status < 600)
        atomic_fetch_add(&serve->metrics.refused[status], 1);
}

static json_t *reply_error_body(const char *code, const char *message, const char *field)
{
    return json_pack("{s:{s:s, s:s, s:o}}", "error", "code", code, "message", message, "field",
                     field ? json_string(field) : json_null());
}

static void reply_send(HttpRequest *request, int status, const char *text, size_t len, const char *header)
{
    http_reply(request, status, "application/json", text, len, header);
}

#define REPLY_NO_MEMORY "{\"error\":{\"code\":\"no_memory\",\"message\":\"out of memory\",\"field\":null}}"
#define REPLY_NOT_FLUSHED "{\"error\":{\"code\":\"store_failed\",\"message\":\"the store could not be " \
    "flushed to disk, so this request may or may not have been applied: send it again (a repeated event " \
    "is answered as a duplicate)\",\"field\":null}}"

/* A reply made while a commit it reports on is not yet durable. */
typedef struct ServeHeld {
    HttpRequest *request;
    int route, status;
    char *idem_key;     /* owned, or NULL */
    char *text;         /* owned: the body */
    size_t len;
    uint64_t after;     /* sent once engine_durable reaches this many commits */
    uint64_t round;     /* serve->rounds when it was made */
} ServeHeld;

static _Thread_local bool replies_wait;

void serve_replies_wait_for_disk(bool on)
{
    replies_wait = on;
}

/* Keeps the reply under its Idempotency-Key, counts it and answers. */
static void reply_now(Serve *serve, HttpRequest *request, int route, const char *idem_key, int status,
                      const char *text, size_t len)
{
    if (idem_key)
        serve_idem_keep(serve->idem, idem_key, status, text, len);
    reply_count(serve, route, status);
    const char *retry = status == 503 || status == 429 ? "Retry-After: 1" : NULL;
    reply_send(request, status, text, len, retry);
}

/* Holds a reply; false without the memory for it. */
static bool reply_hold(Serve *serve, HttpRequest *request, int route, const char *idem_key, int status,
                       const char *text, size_t len)
{
    ServeHeld *grown = grow_for_one(serve->held, &serve->held_cap, serve->held_count, sizeof *grown, 64, realloc);
    if (!grown)
        return false;
    serve->held = grown;
    ServeHeld h = {.request = request, .route = route, .status = status, .len = len,
                   .after = engine_commits(serve->engine), .round = serve->rounds};
    h.text = malloc(len + 1);
    h.idem_key = idem_key ? strdup(idem_key) : NULL;
    if (!h.text || (idem_key && !h.idem_key)) {
        free(h.text);
        free(h.idem_key);
        return false;
    }
    memcpy(h.text, text, len);
    h.text[len] = '\0';
    serve->held[serve->held_count++] = h;
    return true;
}

/* Sends held[0..count) (each as it was made, or `failed`: the 503 of a flush that
   failed) and drops them from the list. */
static void held_send(Serve *serve, size_t count, bool failed)
{
    for (size_t i = 0; i < count; i++) {
        ServeHeld *h = &serve->held[i];
        if (failed)
            reply_now(serve, h->request, h->route, h->idem_key, 503, REPLY_NOT_FLUSHED, strlen(REPLY_NOT_FLUSHED));
        else
            reply_now(serve, h->request, h->route, h->idem_key, h->status, h->text, h->len);
        free(h->text);
        free(h->idem_key);
    }
    serve->held_count -= count;
    memmove(serve->held, serve->held + count, serve->held_count * sizeof *serve->held);
}

void serve_replies_release(Serve *serve)
{
    uint64_t durable = engine_durable(serve->engine);
    size_t count = 0;
    while (count < serve->held_count && serve->held[count].after <= durable)
        count++;
    if (count)
        held_send(serve, count, false);
}

/* Flushes the store and sends every held reply (as 503 when the flush fails). */
static void replies_flush(Serve *serve)
{
    char why[512];
    if (engine_sync(serve->engine, why, sizeof why) != ENGINE_OK) {
        serve_log("error", "engine", json_pack("{s:s}", "why", why));
        held_send(serve, serve->held_count, true);
        return;
    }
    serve_replies_release(serve);
}

void serve_replies_settle(Serve *serve, bool carry)
{
    serve_replies_release(serve);
    if (serve->held_count && !(carry && serve->held[0].round == serve->rounds))
        replies_flush(serve);
}

void serve_replies_end(Serve *serve)
{
    serve_replies_settle(serve, false);
    free(serve->held);
    serve->held = NULL;
    serve->held_cap = 0;
}

/* Answers with `len` bytes of `text` (NULL: the 500 of no memory); on the engine thread,
   once what it reports on is durable. */
static void reply_with(Serve *serve, ServeJob *job, int status, const char *text, size_t len)
{
    if (!text) {
        status = 500;
        text = REPLY_NO_MEMORY;
        len = strlen(text);
    }
    HttpRequest *request = job->request;
    job->request = NULL;
    if (replies_wait && engine_durable(serve->engine) < engine_commits(serve->engine)) {
        if (reply_hold(serve, request, job->route.id, job->idem_key, status, text, len))
            return;
        replies_flush(serve);   /* no memory to hold it: the disk first, then the reply */
    }
    reply_now(serve, request, job->route.id, job->idem_key, status, text, len);
}

void serve_reply_json(Serve *serve, ServeJob *job, int status, json_t *body)
{
    char *text = body ? cli_json_dumps(body, JSON_COMPACT | JSON_ENSURE_ASCII) : NULL;
    json_decref(body);
    reply_with(serve, job, status, text, text ? strlen(text) : 0);
    free(text);
}

void serve_reply_text(Serve *serve, ServeJob *job, int status, StrBuf *text)
{
    bool ok = text && !strbuf_failed(text);
    reply_with(serve, job, status, ok ? strbuf_text(text) : NULL, ok ? text->len : 0);
    if (text)
        strbuf_free(text);
}

void serve_reply_error(Serve *serve, ServeJob *job, int status, const char *code, const char *message,
                       const char *field)
{
    serve_reply_json(serve, job, status, reply_error_body(code, message, field));
}

void serve_refuse(Serve *serve, HttpRequest *request, int status, const char *code, const char *message,
                  const char *field, const char *header)
{
    json_t *body = reply_error_body(code, message, field);
    char *text = body ? cli_json_dumps(body, JSON_COMPACT | JSON_ENSURE_ASCII) : NULL;
    json_decref(body);
    reply_count(serve, 0, status);
    if (!text)
        reply_send(request, 500, "{}", 2, NULL);
    else
        reply_send(request, status, text, strlen(text), header);
    free(text);
}
