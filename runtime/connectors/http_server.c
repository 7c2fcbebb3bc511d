/*
 * http_server.c - HTTP in through libmicrohttpd (see http_server.h): one epoll thread,
 * bodies collected up to a limit, requests suspended while their owner works on them.
 *
 * A request's life: libmicrohttpd's URI callback makes its HttpReq (with the raw query,
 * which libmicrohttpd would otherwise take apart), the access callback copies the
 * headers, collects the body, hands the request over and suspends the connection; the
 * owner's http_reply (any thread) keeps the reply and resumes it; the access callback,
 * called again, queues the reply; the completed callback logs and frees the request.
 *
 * A reply is kept in the request itself when it is short (the busy routes' replies),
 * so the thread that answers allocates nothing, and libmicrohttpd copies it
 * on its own thread, where it frees it: nothing goes from one thread's malloc caches
 * to the other's. The connection is resumed after the request's lock is let go, so the
 * server's thread, woken by the resume, does not find that lock held.
 */
#include "http_server.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

struct HttpServer {
    struct MHD_Daemon *daemon;
    HttpServerOptions options;
    unsigned port;
    bool quiesced;
    atomic_int handed_open;   /* requests handed to the owner, not yet completed */
};

/* A body whose Content-Length is at most this gets its buffer at that size when its
   first bytes come; a longer one grows with what comes (a client that announces much
   and sends little holds no more than it sent). */
#define HTTP_BODY_SIZED (64 * 1024)

/* The request line and headers serve takes, in all (each header counted as its line,
   "Name: value" and CRLF): more is our own 431 with a JSON body. Keep in sync with
   docs/operations.md and `huddle help serve`. */
#define HTTP_HEADERS_MAX (10 * 1024)

/* Each connection's memory in libmicrohttpd (MHD_OPTION_CONNECTION_MEMORY_LIMIT; its
   default is 32 KiB): it holds the request line, the headers and the reply's headers,
   and libmicrohttpd zeroes all of it after each request (and half of it once more as it
   shrinks the read buffer), so a smaller one costs less a request. Past what it holds
   libmicrohttpd answers 431 itself, with its own HTML page, or closes the connection;
   so it is sized well over HTTP_HEADERS_MAX, for headers over that to reach the access
   callback and get serve's JSON 431: 32 KiB takes about 18 KiB of headers in all (one
   line of up to about 32 KiB). Bodies are serve's (collected here, --max-body), not
   this memory's. */
#define HTTP_CONNECTION_MEMORY (32 * 1024)

/* A reply (body, its NUL, content type, extra header) at most this long is kept in the
   request (HttpReq.reply_kept); a longer one gets an allocation of its own. */
#define HTTP_REPLY_KEPT 480

typedef struct HttpReq {
    HttpRequest pub;
    HttpServer *server;
    struct MHD_Connection *connection;
    pthread_mutex_t lock;
    char *uri_query;                /* in the same allocation as the request, after it */
    char *texts;                    /* one allocation: method, path and the headers read */
    char *body;
    size_t len, cap;
    bool started, over, handed, suspended, replied, resumed;
    int status;                     /* the reply, once replied */
    char *reply;                    /* the body, its NUL, the type, the header: reply_kept,
                                       or an allocation of its own */
    const char *reply_type, *reply_header;
    size_t reply_len;
    int sent;                       /* the status queued, 0 before */
    char reply_kept[HTTP_REPLY_KEPT];   /* not zeroed at the start; the raw query follows */
} HttpReq;

int64_t http_now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void http_req_free(HttpReq *r)
{
    if (!r)
        return;
    free(r->texts);
    free(r->body);
    if (r->reply != r->reply_kept)
        free(r->reply);
    pthread_mutex_destroy(&r->lock);
    free(r);
}

/* libmicrohttpd's URI callback: a new request begins; keep its raw query (in the
   request's own allocation), which serve parses itself (the route's own parser).
   Then the query is emptied where it lies, in libmicrohttpd's buffer (not const there:
   the URI is a piece of the connection's read buffer, given as const): libmicrohttpd
   found the '?' before this call and splits what follows it after, one record per
   parameter in the connection's memory, and a few hundred of them (`?&&&...`, a 600
   byte request line) filled that memory, so the request got no answer at all, or
   libmicrohttpd's own HTML 431, instead of serve's JSON one. Emptied, it has none
   to split. */
static void *http_on_uri(void *cls, const char *uri, struct MHD_Connection *connection)
{
    char *mark = uri ? strchr(uri, '?') : NULL;
    const char *q = mark ? mark + 1 : "";
    size_t qlen = strlen(q);
    HttpReq *r = malloc(sizeof *r + qlen + 1);
    if (!r)
        return NULL;
    memset(r, 0, offsetof(HttpReq, reply_kept));
    pthread_mutex_init(&r->lock, NULL);
    r->server = cls;
    r->connection = connection;
    r->uri_query = memcpy((char *)(r + 1), q, qlen + 1);
    r->pub.started_us = http_now_us();
    if (mark)
        mark[1] = '\0';
    return r;
}

/* The texts a request keeps: the method, the path and the headers the owner reads. */
enum { TEXT_METHOD, TEXT_PATH, TEXT_CONTENT_TYPE, TEXT_AUTHORIZATION, TEXT_SIGNATURE, TEXT_IDEMPOTENCY_KEY,
       TEXT_COUNT };

/* Copies the texts into one allocation (r->texts); out[i] NULL where in[i] is. */
static bool http_req_copy(HttpReq *r, const char *const in[TEXT_COUNT], const char *out[TEXT_COUNT])
{
    size_t lens[TEXT_COUNT], total = 0;
    for (int i = 0; i < TEXT_COUNT; i++)
        total += in[i] ? (lens[i] = strlen(in[i])) + 1 : 0;
    char *at = r->texts = malloc(total ? total : 1);
    if (!at)
        return false;
    for (int i = 0; i < TEXT_COUNT; i++) {
        out[i] = in[i] ? memcpy(at, in[i], lens[i] + 1) : NULL;
        at += in[i] ? lens[i] + 1 : 0;
    }
    return true;
}

/* The headers a request may give once (RFC 9110 5.3: a field that is no list): the
   owner reads the first, so a second is refused rather than read one way or the other. */
static const char *const HTTP_SINGLE_HEADERS[] = {"Authorization", "Content-Type", "Idempotency-Key",
                                                   "X-Huddle-Signature"};
#define HTTP_SINGLE_COUNT (sizeof HTTP_SINGLE_HEADERS / sizeof *HTTP_SINGLE_HEADERS)

/* What one pass over the headers counts: their bytes, and each single header's lines. */
typedef struct HeaderCount {
    size_t total;
    unsigned single[HTTP_SINGLE_COUNT];
} HeaderCount;

/* Adds one header's line ("Name: value" and CRLF) to the count at cls. */
static enum MHD_Result http_count_header(void *cls, enum MHD_ValueKind kind, const char *key, size_t key_size,
                                         const char *value, size_t value_size)
{
    (void)kind;
    (void)value;
    HeaderCount *count = cls;
    count->total += key_size + 2 + value_size + 2;
    for (size_t i = 0; i < HTTP_SINGLE_COUNT; i++)
        if (key && strcasecmp(key, HTTP_SINGLE_HEADERS[i]) == 0)
            count->single[i]++;
    return MHD_YES;
}

/* Whether the request line and headers are over HTTP_HEADERS_MAX; notes in the request
   the first header that may come once and came again. */
static bool http_headers_over(HttpReq *r, const char *method, const char *url, const char *version)
{
    size_t query = strlen(r->uri_query);
    HeaderCount count = {0};
    count.total = strlen(method) + 1 + strlen(url) + (query ? 1 + query : 0) + 1 + strlen(version) + 2;
    MHD_get_connection_values_n(r->connection, MHD_HEADER_KIND, http_count_header, &count);
    for (size_t i = 0; i < HTTP_SINGLE_COUNT && !r->pub.repeated_header; i++)
        if (count.single[i] > 1)
            r->pub.repeated_header = HTTP_SINGLE_HEADERS[i];
    return count.total > HTTP_HEADERS_MAX;
}

/* Copies what the owner reads of the request; false when memory ran out. */
static bool http_req_begin(HttpReq *r, const char *method, const char *url)
{
    struct MHD_Connection *c = r->connection;
    const char *in[TEXT_COUNT] = {
        [TEXT_METHOD] = method, [TEXT_PATH] = url,
        [TEXT_CONTENT_TYPE] = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Type"),
        [TEXT_AUTHORIZATION] = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Authorization"),
        [TEXT_SIGNATURE] = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "X-Huddle-Signature"),
        [TEXT_IDEMPOTENCY_KEY] = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Idempotency-Key"),
    };
    const char *out[TEXT_COUNT];
    r->started = true;
    if (!method || !url || !http_req_copy(r, in, out))
        return false;
    const char *length = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Length");
    if (length) {
        char *end;
        unsigned long long n = strtoull(length, &end, 10);
        if (*end == '\0' && n > r->server->options.max_body)
            r->over = true;
        else if (*end == '\0' && n > 0 && n <= HTTP_BODY_SIZED)   /* its buffer made once, at its size */
            r->cap = (size_t)n + 1;
    }
    HttpRequest *p = &r->pub;
    p->method = out[TEXT_METHOD];
    p->path = out[TEXT_PATH];
    p->query = r->uri_query;
    p->content_type = out[TEXT_CONTENT_TYPE];
    p->authorization = out[TEXT_AUTHORIZATION];
    p->signature = out[TEXT_SIGNATURE];
    p->idempotency_key = out[TEXT_IDEMPOTENCY_KEY];
    return true;
}

/* Appends a piece of the body; past the limit the rest is read and dropped. */
static bool http_req_append(HttpReq *r, const char *data, size_t size)
{
    if (r->over || size > r->server->options.max_body - r->len) {
        r->over = true;
        return true;
    }
    if (!r->body || r->len + size + 1 > r->cap) {
        size_t cap = r->cap ? r->cap : 1024;   /* Content-Length's, or grown */
        while (cap < r->len + size + 1)
            cap *= 2;
        char *grown = realloc(r->body, cap);
        if (!grown)
            return false;
        r->body = grown;
        r->cap = cap;
    }
    memcpy(r->body + r->len, data, size);
    r->len += size;
    r->body[r->len] = '\0';
    return true;
}

/* Queues the reply. A kept one is copied by libmicrohttpd (on this thread, which frees
   it once sent); one of its own is handed over (libmicrohttpd frees it); the headers
   are copied by MHD_add_response_header. */
static enum MHD_Result http_send(HttpReq *r)
{
    enum MHD_ResponseMemoryMode mode = r->reply == r->reply_kept ? MHD_RESPMEM_MUST_COPY : MHD_RESPMEM_MUST_FREE;
    struct MHD_Response *response = r->reply ? MHD_create_response_from_buffer(r->reply_len, r->reply, mode)
                                             : MHD_create_response_from_buffer(0, (char *)"", MHD_RESPMEM_PERSISTENT);
    if (!response)
        return MHD_NO;
    if (r->reply_type)
        MHD_add_response_header(response, "Content-Type", r->reply_type);
    const char *colon = r->reply_header ? strchr(r->reply_header, ':') : NULL;
    if (colon) {   /* the name before the colon, on the stack when it is short */
        char short_name[128];
        size_t n = (size_t)(colon - r->reply_header);
        char *name = n < sizeof short_name ? short_name : malloc(n + 1);
        if (name) {
            memcpy(name, r->reply_header, n);
            name[n] = '\0';
            MHD_add_response_header(response, name, colon + 1 + strspn(colon + 1, " "));
        }
        if (name != short_name)
            free(name);
    }
    if (r->reply != r->reply_kept)
        r->reply = NULL;   /* the response's now */
    enum MHD_Result ok = MHD_queue_response(r->connection, (unsigned)r->status, response);
    MHD_destroy_response(response);
    r->sent = r->status;
    return ok;
}

/* Keeps the reply; resumes the connection when it waits for it (after letting go of
   the request's lock: until the resume, the suspended request is nobody else's). */
void http_reply(HttpRequest *request, int status, const char *content_type, const char *body,
                size_t len, const char *header)
{
    HttpReq *r = (HttpReq *)request;
    size_t type_len = content_type ? strlen(content_type) + 1 : 0, header_len = header ? strlen(header) + 1 : 0;
    size_t need = len + 1 + type_len + header_len;   /* the body, then the texts */
    char *reply = need <= sizeof r->reply_kept ? r->reply_kept : malloc(need);
    pthread_mutex_lock(&r->lock);
    r->status = status;
    r->reply = reply;
    if (reply) {
        memcpy(reply, body, len);
        reply[len] = '\0';
        r->reply_len = len;
        r->reply_type = type_len ? memcpy(reply + len + 1, content_type, type_len) : NULL;
        r->reply_header = header_len ? memcpy(reply + len + 1 + type_len, header, header_len) : NULL;
    } else {
        r->status = 500;
    }
    r->replied = true;
    bool resume = r->suspended;
    r->suspended = false;
    r->resumed = resume;
    struct MHD_Connection *connection = r->connection;
    if (resume && r->server->options.on_resumed)
        r->server->options.on_resumed(r->server->options.context, 1);
    pthread_mutex_unlock(&r->lock);
    if (resume)   /* r is the server thread's again from here on */
        MHD_resume_connection(connection);
}

static void http_reply_text(HttpReq *r, int status, const char *json)
{
    http_reply(&r->pub, status, "application/json", json, strlen(json), NULL);
}

/* 413, saying the limit the body passed: the sender learns how much it may send. */
static void http_reply_too_large(HttpReq *r)
{
    char json[200];
    snprintf(json, sizeof json, "{\"error\":{\"code\":\"too_large\",\"message\":\"the body is larger than "
             "the %zu bytes the server takes (--max-body)\",\"field\":null}}\n", r->server->options.max_body);
    http_reply_text(r, 413, json);
}

/* The whole request is here: hand it over, and wait (suspended) for the reply unless
   it came at once. */
static enum MHD_Result http_hand_over(HttpReq *r)
{
    r->handed = true;
    atomic_fetch_add(&r->server->handed_open, 1);
    r->pub.body = r->body ? r->body : "";
    r->pub.body_len = r->len;
    HttpServer *s = r->server;
    s->options.handler(s->options.context, &r->pub);
    pthread_mutex_lock(&r->lock);
    bool replied = r->replied;
    if (!replied) {
        r->suspended = true;
        MHD_suspend_connection(r->connection);
    }
    pthread_mutex_unlock(&r->lock);
    return replied ? http_send(r) : MHD_YES;
}

static enum MHD_Result http_on_access(void *cls, struct MHD_Connection *connection, const char *url,
                                      const char *method, const char *version, const char *upload_data,
                                      size_t *upload_data_size, void **con_cls)
{
    (void)cls;
    (void)connection;
    HttpReq *r = *con_cls;
    if (!r)
        return MHD_NO;
    if (!r->started) {
        if (!http_req_begin(r, method, url))
            return MHD_NO;
        if (http_headers_over(r, method, url, version ? version : "")) {
            r->over = true;   /* the body, if any, is read and dropped */
            http_reply_text(r, 431, "{\"error\":{\"code\":\"headers_too_large\",\"message\":\"the request "
                                    "line and headers are larger than the server takes (10 KiB in all)\","
                                    "\"field\":null}}\n");
            return http_send(r);
        }
        if (r->over) {
            http_reply_too_large(r);
            return http_send(r);
        }
        return MHD_YES;
    }
    if (*upload_data_size) {
        bool ok = http_req_append(r, upload_data, *upload_data_size);
        *upload_data_size = 0;
        return ok ? MHD_YES : MHD_NO;
    }
    if (r->sent)
        return MHD_YES;
    if (r->over) {
        http_reply_too_large(r);
        return http_send(r);
    }
    if (!r->handed)
        return http_hand_over(r);
    pthread_mutex_lock(&r->lock);
    bool replied = r->replied, resumed = r->resumed;
    r->resumed = false;
    pthread_mutex_unlock(&r->lock);
    if (resumed && r->server->options.on_resumed)
        r->server->options.on_resumed(r->server->options.context, -1);
    return replied ? http_send(r) : MHD_YES;
}

static void http_on_completed(void *cls, struct MHD_Connection *connection, void **con_cls,
                              enum MHD_RequestTerminationCode code)
{
    (void)connection;
    (void)code;
    HttpServer *s = cls;
    HttpReq *r = *con_cls;
    if (!r)
        return;
    pthread_mutex_lock(&r->lock);
    bool resumed = r->resumed;   /* its connection went before the reply was queued */
    r->resumed = false;
    pthread_mutex_unlock(&r->lock);
    if (resumed && s->options.on_resumed)
        s->options.on_resumed(s->options.context, -1);
    if (s->options.on_done && r->pub.method)
        s->options.on_done(s->options.context, r->pub.method, r->pub.path ? r->pub.path : "", r->sent,
                           http_now_us() - r->pub.started_us);
    if (r->handed)
        atomic_fetch_sub(&s->handed_open, 1);
    http_req_free(r);
    *con_cls = NULL;
}

/* A connection opened or closed: the owner counts them (on_connection). */
static void http_on_connection(void *cls, struct MHD_Connection *connection, void **socket_context,
                               enum MHD_ConnectionNotificationCode code)
{
    (void)connection;
    (void)socket_context;
    HttpServer *s = cls;
    if (s->options.on_connection)
        s->options.on_connection(s->options.context, code == MHD_CONNECTION_NOTIFY_STARTED ? 1 : -1);
}

static void http_on_log(void *cls, const char *fmt, va_list ap)
{
    HttpServer *s = cls;
    char message[512];
    vsnprintf(message, sizeof message, fmt, ap);
    size_t n = strlen(message);
    while (n && (message[n - 1] == '\n' || message[n - 1] == '\r'))
        message[--n] = '\0';
    if (s->options.on_log)
        s->options.on_log(s->options.context, message);
}

/* The address to bind: IPv4 or IPv6, numeric. */
static bool http_address(const HttpServerOptions *o, struct sockaddr_storage *sa, bool *v6)
{
    memset(sa, 0, sizeof *sa);
    struct sockaddr_in *in4 = (struct sockaddr_in *)sa;
    struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)sa;
    if (inet_pton(AF_INET, o->host, &in4->sin_addr) == 1) {
        in4->sin_family = AF_INET;
        in4->sin_port = htons((uint16_t)o->port);
        *v6 = false;
        return true;
    }
    if (inet_pton(AF_INET6, o->host, &in6->sin6_addr) == 1) {
        in6->sin6_family = AF_INET6;
        in6->sin6_port = htons((uint16_t)o->port);
        *v6 = true;
        return true;
    }
    return false;
}

int http_server_start(const HttpServerOptions *options, HttpServer **out, char *why, size_t why_len)
{
    struct sockaddr_storage sa;
    bool v6;
    if (!http_address(options, &sa, &v6)) {
        snprintf(why, why_len, "'%s' is not a numeric IPv4 or IPv6 address", options->host);
        return -1;
    }
    HttpServer *s = calloc(1, sizeof *s);
    if (!s) {
        snprintf(why, why_len, "out of memory");
        return -1;
    }
    s->options = *options;
    unsigned flags = MHD_USE_EPOLL_INTERNAL_THREAD | MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG |
                     (v6 ? MHD_USE_IPv6 : 0);
    s->daemon = MHD_start_daemon(flags, (uint16_t)options->port, NULL, NULL, http_on_access, s,
                                 MHD_OPTION_EXTERNAL_LOGGER, http_on_log, s,
                                 MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa,
                                 MHD_OPTION_URI_LOG_CALLBACK, http_on_uri, s,
                                 MHD_OPTION_NOTIFY_COMPLETED, http_on_completed, s,
                                 MHD_OPTION_NOTIFY_CONNECTION, http_on_connection, s,
                                 MHD_OPTION_CONNECTION_TIMEOUT, options->idle_timeout_s,
                                 MHD_OPTION_CONNECTION_LIMIT, options->max_connections,
                                 MHD_OPTION_LISTEN_BACKLOG_SIZE, 1024,
                                 MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)HTTP_CONNECTION_MEMORY,
                                 MHD_OPTION_END);
    if (!s->daemon) {
        snprintf(why, why_len, "cannot listen on %s port %u (in use, or not an address of this machine?)",
                 options->host, options->port);
        free(s);
        return -1;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(s->daemon, MHD_DAEMON_INFO_BIND_PORT);
    s->port = info ? info->port : options->port;
    *out = s;
    return 0;
}

unsigned http_server_port(const HttpServer *server)
{
    return server->port;
}

void http_server_quiesce(HttpServer *server)
{
    if (server->quiesced)
        return;
    server->quiesced = true;
    MHD_socket fd = MHD_quiesce_daemon(server->daemon);
    if (fd != MHD_INVALID_SOCKET)
        close(fd);
}

bool http_server_drain(HttpServer *server, unsigned max_ms)
{
    for (unsigned waited = 0; atomic_load(&server->handed_open) > 0; waited += 10) {
        if (waited >= max_ms)
            return false;
        nanosleep(&(struct timespec){.tv_nsec = 10 * 1000000L}, NULL);
    }
    return true;
}

void http_server_stop(HttpServer *server)
{
    if (!server)
        return;
    MHD_stop_daemon(server->daemon);
    free(server);
}
