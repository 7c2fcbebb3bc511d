/*
 * http_client.c - libcurl's multi interface under the outbox (see http_client.h).
 *
 * One multi handle for the client's life, so its connection cache keeps connections
 * open between requests; an easy handle per request. A request whose group has
 * `per_group` in flight waits in the client's queue, in order.
 */
#include "http_client.h"
#include "grow.h"

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct Group {
    char *name;
    unsigned active;
} Group;

struct ConnClient {
    CURLM *multi;
    unsigned per_group;
    Group *groups;
    unsigned group_count;
    size_t group_cap;
    ConnRequest *queue, *queue_tail;    /* waiting for their group */
    ConnRequest **flying;               /* in flight, `active` of them */
    unsigned active, queued;
    size_t flying_cap;
};

static long long now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (long long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

static Group *group_of(ConnClient *c, const char *name)
{
    name = name ? name : "";
    for (unsigned i = 0; i < c->group_count; i++)
        if (strcmp(c->groups[i].name, name) == 0)
            return &c->groups[i];
    Group *grown = grow_for_one(c->groups, &c->group_cap, c->group_count, sizeof *grown, 8, realloc);
    if (!grown)
        return NULL;
    c->groups = grown;
    char *copy = strdup(name);
    if (!copy)
        return NULL;
    c->groups[c->group_count] = (Group){copy, 0};
    return &c->groups[c->group_count++];
}

ConnClient *conn_client_new(unsigned per_group)
{
    static bool initialised;
    if (!initialised) {
        if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
            return NULL;
        initialised = true;
    }
    ConnClient *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    c->multi = curl_multi_init();
    if (!c->multi) {
        free(c);
        return NULL;
    }
    c->per_group = per_group ? per_group : CONN_PER_GROUP_DEFAULT;
    curl_multi_setopt(c->multi, CURLMOPT_MAXCONNECTS, (long)c->per_group * 4);
    return c;
}

void conn_request_clear(ConnRequest *r)
{
    if (r->easy)
        curl_easy_cleanup(r->easy);
    curl_slist_free_all(r->headers);
    curl_slist_free_all(r->rcpt);
    strbuf_free(&r->reply);
    r->easy = r->headers = r->rcpt = NULL;
}

void conn_client_free(ConnClient *c)
{
    if (!c)
        return;
    /* Requests still in flight: their easy handles leave the multi and are freed. */
    for (unsigned i = 0; i < c->active; i++) {
        curl_multi_remove_handle(c->multi, c->flying[i]->easy);
        conn_request_clear(c->flying[i]);
    }
    free(c->flying);
    for (ConnRequest *r = c->queue; r; r = r->next)
        conn_request_clear(r);
    curl_multi_cleanup(c->multi);
    for (unsigned i = 0; i < c->group_count; i++)
        free(c->groups[i].name);
    free(c->groups);
    free(c);
}

static size_t on_reply(char *data, size_t size, size_t count, void *context)
{
    ConnRequest *r = context;
    size_t n = size * count;
    if (r->reply_unused)
        return n;
    if (r->reply.len + n > CONN_REPLY_MAX) {
        r->reply_too_long = true;
        return 0;   /* libcurl stops the transfer */
    }
    strbuf_append(&r->reply, data, n);
    return strbuf_failed(&r->reply) ? 0 : n;
}

static size_t on_upload(char *buffer, size_t size, size_t count, void *context)
{
    ConnRequest *r = context;
    size_t n = size * count, left = r->body_len - r->sent;
    if (n > left)
        n = left;
    memcpy(buffer, r->body + r->sent, n);
    r->sent += n;
    return n;
}

/* The easy handle of an HTTP request: method, headers, body, timeouts. */
static int setup_http(ConnRequest *r, CURL *easy)
{
    struct curl_slist *h = curl_slist_append(NULL, "Content-Type: application/json");
    if (h)
        h = curl_slist_append(h, "Accept: application/json");
    char line[600];
    if (h && r->idempotency_key) {
        snprintf(line, sizeof line, "Idempotency-Key: %s", r->idempotency_key);
        h = curl_slist_append(h, line);
    }
    if (h && r->bearer) {
        char *auth = malloc(strlen(r->bearer) + 32);
        if (auth) {
            sprintf(auth, "Authorization: Bearer %s", r->bearer);
            h = curl_slist_append(h, auth);
            memset(auth, 0, strlen(auth));
            free(auth);
        } else {
            curl_slist_free_all(h);
            h = NULL;
        }
    }
    if (h)
        h = curl_slist_append(h, "Expect:");
    if (!h)
        return -1;
    r->headers = h;
    curl_easy_setopt(easy, CURLOPT_HTTPHEADER, h);
    /* Every method carries the body, GET too (RUNTIME.md: "the body is the operation's
       argument as JSON"): POSTFIELDS sends it, CUSTOMREQUEST names the method. */
    curl_easy_setopt(easy, CURLOPT_CUSTOMREQUEST, r->method ? r->method : "POST");
    if (r->body) {
        curl_easy_setopt(easy, CURLOPT_POSTFIELDS, r->body);
        curl_easy_setopt(easy, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)r->body_len);
    }
    curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, on_reply);
    curl_easy_setopt(easy, CURLOPT_WRITEDATA, r);
    return 0;
}

static int setup_smtp(ConnRequest *r, CURL *easy)
{
    char line[600];
    snprintf(line, sizeof line, "<%s>", r->mail_to ? r->mail_to : "");
    r->rcpt = curl_slist_append(NULL, line);
    if (!r->rcpt)
        return -1;
    snprintf(line, sizeof line, "<%s>", r->mail_from ? r->mail_from : "");
    curl_easy_setopt(easy, CURLOPT_MAIL_FROM, line);
    curl_easy_setopt(easy, CURLOPT_MAIL_RCPT, (struct curl_slist *)r->rcpt);
    if (r->username)
        curl_easy_setopt(easy, CURLOPT_USERNAME, r->username);
    if (r->password)
        curl_easy_setopt(easy, CURLOPT_PASSWORD, r->password);
    curl_easy_setopt(easy, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(easy, CURLOPT_READFUNCTION, on_upload);
    curl_easy_setopt(easy, CURLOPT_READDATA, r);
    curl_easy_setopt(easy, CURLOPT_INFILESIZE_LARGE, (curl_off_t)r->body_len);
    return 0;
}

/* Puts the request on the multi handle. */
static int start(ConnClient *c, ConnRequest *r, Group *g)
{
    ConnRequest **grown = grow_for_one(c->flying, &c->flying_cap, c->active, sizeof *grown, 64, realloc);
    if (!grown)
        return -1;
    c->flying = grown;
    CURL *easy = curl_easy_init();
    if (!easy)
        return -1;
    r->easy = easy;
    curl_easy_setopt(easy, CURLOPT_URL, r->url);
    curl_easy_setopt(easy, CURLOPT_PRIVATE, (char *)r);
    curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS, r->timeout_ms > 0 ? r->timeout_ms : 10000L);
    curl_easy_setopt(easy, CURLOPT_CONNECTTIMEOUT_MS, r->timeout_ms > 0 ? r->timeout_ms : 10000L);
    curl_easy_setopt(easy, CURLOPT_PROTOCOLS_STR, "http,https,smtp,smtps");
    int rc = r->kind == CONN_REQUEST_SMTP ? setup_smtp(r, easy) : setup_http(r, easy);
    if (rc == 0 && curl_multi_add_handle(c->multi, easy) != CURLM_OK)
        rc = -1;
    if (rc != 0) {
        conn_request_clear(r);
        return -1;
    }
    g->active++;
    c->flying[c->active++] = r;
    return 0;
}

int conn_client_add(ConnClient *c, ConnRequest *r)
{
    r->status = 0;
    r->transport_failed = false;
    r->reply_too_long = false;
    r->retry_after_ms = r->retry_after_at_ms = 0;
    r->error[0] = '\0';
    r->sent = 0;
    r->next = NULL;
    r->reply = (StrBuf)STRBUF_INIT;
    r->easy = r->headers = r->rcpt = NULL;
    Group *g = group_of(c, r->group);
    if (!g)
        return -1;
    if (g->active < c->per_group)
        return start(c, r, g);
    if (c->queue_tail)
        c->queue_tail->next = r;
    else
        c->queue = r;
    c->queue_tail = r;
    c->queued++;
    return 0;
}

/* Starts queued requests whose groups have room, in order. A request that cannot start
   (out of memory) finishes at once as a transport failure, onto *done. */
static void start_queued(ConnClient *c, ConnRequest **done)
{
    ConnRequest **at = &c->queue, *last = NULL;
    while (*at) {
        ConnRequest *r = *at;
        Group *g = group_of(c, r->group);
        if (g && g->active >= c->per_group) {
            last = r;
            at = &r->next;
            continue;
        }
        *at = r->next;
        c->queued--;
        if (!g || start(c, r, g) != 0) {
            r->transport_failed = true;
            snprintf(r->error, sizeof r->error, "out of memory");
            r->next = *done;
            *done = r;
        }
    }
    c->queue_tail = last;
}

/* A 429's or 503's Retry-After: seconds as a delay, an HTTP date as that time. The date
   is not turned into a delay here (libcurl's CURLINFO_RETRY_AFTER measures it against the
   wall clock): the engine measures it against its own clock (RUNTIME.md, promise 7). */
static void read_retry_after(ConnRequest *r, CURL *easy)
{
    struct curl_header *h;
    if (curl_easy_header(easy, "Retry-After", 0, CURLH_HEADER, -1, &h) != CURLHE_OK || !h->value)
        return;
    const char *v = h->value + strspn(h->value, " \t");
    size_t digits = strspn(v, "0123456789");
    if (digits && v[digits + strspn(v + digits, " \t")] == '\0') {
        long long seconds = digits > 12 ? 999999999999LL : strtoll(v, NULL, 10);
        r->retry_after_ms = (int64_t)seconds * 1000;
        return;
    }
    time_t at = curl_getdate(v, NULL);
    if (at > 0)
        r->retry_after_at_ms = (int64_t)at * 1000;
}

static void finish(ConnClient *c, CURLMsg *msg, ConnRequest **done)
{
    CURL *easy = msg->easy_handle;
    ConnRequest *r = NULL;
    curl_easy_getinfo(easy, CURLINFO_PRIVATE, (char **)&r);
    CURLcode result = msg->data.result;
    curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &r->status);
    if (r->status == 429 || r->status == 503)
        read_retry_after(r, easy);
    curl_multi_remove_handle(c->multi, easy);
    curl_easy_cleanup(easy);
    r->easy = NULL;
    if (result != CURLE_OK) {
        r->transport_failed = true;
        snprintf(r->error, sizeof r->error, "%s", r->reply_too_long ? "the reply is over 1 MiB" : curl_easy_strerror(result));
    }
    Group *g = group_of(c, r->group);
    if (g && g->active)
        g->active--;
    for (unsigned i = 0; i < c->active; i++)
        if (c->flying[i] == r) {
            c->flying[i] = c->flying[--c->active];
            break;
        }
    r->next = *done;
    *done = r;
}

/* Once a request has finished, conn_client_run keeps collecting others for this long
   (never past max_wait_ms), so the caller settles many in one commit rather than one
   commit for each that finishes first (bench_outbox: about 32 a round without it, 90
   with it, at a local peer). */
#define LINGER_MS 2

void conn_client_run(ConnClient *c, int max_wait_ms, ConnRequest **done)
{
    *done = NULL;
    start_queued(c, done);
    int running = 0;
    long long until = now_ms() + (max_wait_ms > 0 ? max_wait_ms : 0);
    bool lingering = false;
    for (;;) {
        curl_multi_perform(c->multi, &running);
        int left;
        for (CURLMsg *msg; (msg = curl_multi_info_read(c->multi, &left));)
            if (msg->msg == CURLMSG_DONE)
                finish(c, msg, done);
        if (*done)
            start_queued(c, done);
        if (*done && !lingering) {
            lingering = true;
            long long linger_until = now_ms() + LINGER_MS;
            until = linger_until < until ? linger_until : until;
        }
        long long left_ms = until - now_ms();
        if (c->active == 0 || left_ms <= 0)
            return;
        curl_multi_poll(c->multi, NULL, 0, left_ms < 50 ? (int)left_ms : 50, NULL);
    }
}

unsigned conn_client_pending(const ConnClient *c)
{
    return c->active + c->queued;
}
