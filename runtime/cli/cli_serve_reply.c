/*
 * cli_serve_reply.c - serve's replies: JSON bodies, the one error body
 * {"error": {"code", "message", "field"}}, and the counts /metrics shows. Each reply to
 * a request with an Idempotency-Key is also kept (cli_serve_idem.c).
 */
#include "cli_serve.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

/* Answers with `len` bytes of `text` (NULL: the 500 of no memory). */
static void reply_with(Serve *serve, ServeJob *job, int status, const char *text, size_t len)
{
    if (!text) {
        status = 500;
        text = REPLY_NO_MEMORY;
        len = strlen(text);
    }
    if (job->idem_key)
        serve_idem_keep(serve->idem, job->idem_key, status, text, len);
    reply_count(serve, job->route.id, status);
    const char *retry = status == 503 || status == 429 ? "Retry-After: 1" : NULL;
    reply_send(job->request, status, text, len, retry);
    job->request = NULL;
}

void serve_reply_json(Serve *serve, ServeJob *job, int status, json_t *body)
{
    char *text = body ? json_dumps(body, JSON_COMPACT | JSON_ENSURE_ASCII) : NULL;
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
    char *text = body ? json_dumps(body, JSON_COMPACT | JSON_ENSURE_ASCII) : NULL;
    json_decref(body);
    reply_count(serve, 0, status);
    if (!text)
        reply_send(request, 500, "{}", 2, NULL);
    else
        reply_send(request, status, text, strlen(text), header);
    free(text);
}
