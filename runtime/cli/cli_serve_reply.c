/*
 * cli_serve_reply.c - serve's replies: JSON bodies, the one error body
 * {"error": {"code", "message", "field"}}, the counts /metrics shows, and the memory of
 * Idempotency-Key: the first reply to a key is given again to a repeat for 24 hours.
 *
 * The memory is a hash table in this process (SERVE_IDEM_MAX keys, oldest dropped
 * first); keys are Idempotency-Key plus the token's name, so two clients never share
 * one. A restart forgets them: an event's repeat is still a duplicate by its id, and an
 * answer's repeat is refused as answered already (docs/operations.md).
 */
#include "cli_serve.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct IdemEntry {
    char *key;
    int status;                     /* 0: the first request is under way */
    char *body;
    size_t len;
    int64_t at_ms;
    struct IdemEntry *next, *older, *newer;
} IdemEntry;

#define IDEM_SLOTS 65536
struct ServeIdem {
    pthread_mutex_t lock;
    IdemEntry *slots[IDEM_SLOTS];
    IdemEntry *oldest, *newest;
    size_t count;
};

static int64_t reply_wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

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

void serve_reply_json(Serve *serve, ServeJob *job, int status, json_t *body)
{
    char *text = body ? json_dumps(body, JSON_COMPACT | JSON_ENSURE_ASCII) : NULL;
    json_decref(body);
    if (!text) {
        status = 500;
        text = strdup("{\"error\":{\"code\":\"no_memory\",\"message\":\"out of memory\",\"field\":null}}");
    }
    size_t len = text ? strlen(text) : 0;
    if (text)
        text[len] = '\0';
    if (job->idem_key && text)
        serve_idem_keep(serve->idem, job->idem_key, status, text, len);
    reply_count(serve, job->route.id, status);
    const char *retry = status == 503 || status == 429 ? "Retry-After: 1" : NULL;
    reply_send(job->request, status, text ? text : "", len, retry);
    job->request = NULL;
    free(text);
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

/* ---- Idempotency-Key ---- */

static unsigned idem_hash(const char *key)
{
    unsigned h = 2166136261u;
    for (const unsigned char *p = (const unsigned char *)key; *p; p++)
        h = (h ^ *p) * 16777619u;
    return h & (IDEM_SLOTS - 1);
}

ServeIdem *serve_idem_new(void)
{
    ServeIdem *idem = calloc(1, sizeof *idem);
    if (idem)
        pthread_mutex_init(&idem->lock, NULL);
    return idem;
}

static void idem_unlink(ServeIdem *idem, IdemEntry *e)
{
    IdemEntry **p = &idem->slots[idem_hash(e->key)];
    while (*p != e)
        p = &(*p)->next;
    *p = e->next;
    if (e->older)
        e->older->newer = e->newer;
    else
        idem->oldest = e->newer;
    if (e->newer)
        e->newer->older = e->older;
    else
        idem->newest = e->older;
    idem->count--;
    free(e->key);
    free(e->body);
    free(e);
}

void serve_idem_free(ServeIdem *idem)
{
    if (!idem)
        return;
    while (idem->oldest)
        idem_unlink(idem, idem->oldest);
    pthread_mutex_destroy(&idem->lock);
    free(idem);
}

static IdemEntry *idem_find(ServeIdem *idem, const char *key)
{
    int64_t now = reply_wall_ms();
    while (idem->oldest && (now - idem->oldest->at_ms > SERVE_IDEM_MS || idem->count > SERVE_IDEM_MAX))
        idem_unlink(idem, idem->oldest);
    for (IdemEntry *e = idem->slots[idem_hash(key)]; e; e = e->next)
        if (!strcmp(e->key, key))
            return e;
    return NULL;
}

int serve_idem_begin(Serve *serve, HttpRequest *request, const char *key)
{
    ServeIdem *idem = serve->idem;
    pthread_mutex_lock(&idem->lock);
    IdemEntry *e = idem_find(idem, key);
    if (e && e->status) {
        char *copy = malloc(e->len + 1);
        int status = e->status;
        size_t len = e->len;
        if (copy)
            memcpy(copy, e->body, len);
        pthread_mutex_unlock(&idem->lock);
        reply_send(request, copy ? status : 500, copy ? copy : "{}", copy ? len : 2, "Idempotent-Replay: true");
        free(copy);
        return 1;
    }
    if (e) {
        pthread_mutex_unlock(&idem->lock);
        serve_refuse(serve, request, 409, "in_progress", "a request with this Idempotency-Key is still under way",
                     "Idempotency-Key", NULL);
        return -1;
    }
    e = calloc(1, sizeof *e);
    if (e && !(e->key = strdup(key))) {
        free(e);
        e = NULL;
    }
    if (e) {
        unsigned h = idem_hash(key);
        e->next = idem->slots[h];
        idem->slots[h] = e;
        e->at_ms = reply_wall_ms();
        e->older = idem->newest;
        if (idem->newest)
            idem->newest->newer = e;
        else
            idem->oldest = e;
        idem->newest = e;
        idem->count++;
    }
    pthread_mutex_unlock(&idem->lock);
    return 0;
}

void serve_idem_keep(ServeIdem *idem, const char *key, int status, const char *body, size_t len)
{
    pthread_mutex_lock(&idem->lock);
    IdemEntry *e = idem_find(idem, key);
    if (e && !e->status) {
        if (status >= 500 || status == 429) {
            idem_unlink(idem, e);   /* overload and failures are not kept: a retry runs anew */
        } else if ((e->body = malloc(len + 1))) {
            memcpy(e->body, body, len);
            e->body[len] = '\0';
            e->len = len;
            e->status = status;
        }
    }
    pthread_mutex_unlock(&idem->lock);
}
