/*
 * http_server.c - HTTP in through libmicrohttpd (see http_server.h): one epoll thread,
 * bodies collected up to a limit, requests suspended while their owner works on them.
 *
 * A request's life: libmicrohttpd's URI callback makes its HttpReq (with the raw query,
 * which libmicrohttpd would otherwise take apart), the access callback copies the
 * headers, collects the body, hands the request over and suspends the connection; the
 * owner's http_reply (any thread) keeps the reply and resumes it; the access callback,
 * called again, queues the reply; the completed callback logs and frees the request.
 */
#include "http_server.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

struct HttpServer {
    struct MHD_Daemon *daemon;
    HttpServerOptions options;
    unsigned port;
    bool quiesced;
};

typedef struct HttpReq {
    HttpRequest pub;
    HttpServer *server;
    struct MHD_Connection *connection;
    pthread_mutex_t lock;
    char *uri_query, *method, *path, *content_type, *authorization, *signature, *idempotency_key;
    char *body;
    size_t len, cap;
    bool started, over, handed, suspended, replied, resumed;
    int status;                     /* the reply, once replied */
    char *reply, *reply_type, *reply_header;
    size_t reply_len;
    int sent;                       /* the status queued, 0 before */
} HttpReq;

int64_t http_now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static char *http_dup(const char *text)
{
    return text ? strdup(text) : NULL;
}

static void http_req_free(HttpReq *r)
{
    if (!r)
        return;
    free(r->uri_query);
    free(r->method);
    free(r->path);
    free(r->content_type);
    free(r->authorization);
    free(r->signature);
    free(r->idempotency_key);
    free(r->body);
    free(r->reply);
    free(r->reply_type);
    free(r->reply_header);
    pthread_mutex_destroy(&r->lock);
    free(r);
}

/* libmicrohttpd's URI callback: a new request begins; keep its raw query. */
static void *http_on_uri(void *cls, const char *uri, struct MHD_Connection *connection)
{
    HttpReq *r = calloc(1, sizeof *r);
    if (!r)
        return NULL;
    pthread_mutex_init(&r->lock, NULL);
    r->server = cls;
    r->connection = connection;
    const char *q = uri ? strchr(uri, '?') : NULL;
    r->uri_query = strdup(q ? q + 1 : "");
    r->pub.started_us = http_now_us();
    if (!r->uri_query) {
        http_req_free(r);
        return NULL;
    }
    return r;
}

/* Copies what the owner reads of the request; false when memory ran out. */
static bool http_req_begin(HttpReq *r, const char *method, const char *url)
{
    struct MHD_Connection *c = r->connection;
    r->method = http_dup(method);
    r->path = http_dup(url);
    r->content_type = http_dup(MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Type"));
    r->authorization = http_dup(MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Authorization"));
    r->signature = http_dup(MHD_lookup_connection_value(c, MHD_HEADER_KIND, "X-Huddle-Signature"));
    r->idempotency_key = http_dup(MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Idempotency-Key"));
    r->started = true;
    if (!r->method || !r->path)
        return false;
    const char *length = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Length");
    if (length) {
        char *end;
        unsigned long long n = strtoull(length, &end, 10);
        if (*end == '\0' && n > r->server->options.max_body)
            r->over = true;
    }
    HttpRequest *p = &r->pub;
    p->method = r->method;
    p->path = r->path;
    p->query = r->uri_query;
    p->content_type = r->content_type;
    p->authorization = r->authorization;
    p->signature = r->signature;
    p->idempotency_key = r->idempotency_key;
    return true;
}

/* Appends a piece of the body; past the limit the rest is read and dropped. */
static bool http_req_append(HttpReq *r, const char *data, size_t size)
{
    if (r->over || size > r->server->options.max_body - r->len) {
        r->over = true;
        return true;
    }
    if (r->len + size + 1 > r->cap) {
        size_t cap = r->cap ? r->cap : 1024;
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

static enum MHD_Result http_send(HttpReq *r)
{
    struct MHD_Response *response =
        MHD_create_response_from_buffer(r->reply_len, r->reply ? r->reply : (char *)"", MHD_RESPMEM_MUST_COPY);
    if (!response)
        return MHD_NO;
    if (r->reply_type)
        MHD_add_response_header(response, "Content-Type", r->reply_type);
    char *colon = r->reply_header ? strchr(r->reply_header, ':') : NULL;
    if (colon) {
        *colon = '\0';
        MHD_add_response_header(response, r->reply_header, colon + 1 + strspn(colon + 1, " "));
        *colon = ':';
    }
    enum MHD_Result ok = MHD_queue_response(r->connection, (unsigned)r->status, response);
    MHD_destroy_response(response);
    r->sent = r->status;
    return ok;
}

/* Keeps the reply; resumes the connection when it waits for it. */
void http_reply(HttpRequest *request, int status, const char *content_type, const char *body,
                size_t len, const char *header)
{
    HttpReq *r = (HttpReq *)request;
    pthread_mutex_lock(&r->lock);
    r->status = status;
    r->reply = malloc(len + 1);
    if (r->reply) {
        memcpy(r->reply, body, len);
        r->reply_len = len;
    } else {
        r->status = 500;
    }
    r->reply_type = http_dup(content_type);
    r->reply_header = http_dup(header);
    r->replied = true;
    bool resume = r->suspended;
    r->suspended = false;
    r->resumed = resume;
    if (resume && r->server->options.on_resumed)
        r->server->options.on_resumed(r->server->options.context, 1);
    if (resume)
        MHD_resume_connection(r->connection);
    pthread_mutex_unlock(&r->lock);
}

static void http_reply_text(HttpReq *r, int status, const char *json)
{
    http_reply(&r->pub, status, "application/json", json, strlen(json), NULL);
}

/* The whole request is here: hand it over, and wait (suspended) for the reply unless
   it came at once. */
static enum MHD_Result http_hand_over(HttpReq *r)
{
    r->handed = true;
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
    (void)version;
    (void)connection;
    HttpReq *r = *con_cls;
    if (!r)
        return MHD_NO;
    if (!r->started) {
        if (!http_req_begin(r, method, url))
            return MHD_NO;
        if (r->over) {
            http_reply_text(r, 413, "{\"error\":{\"code\":\"too_large\",\"message\":\"the body is larger than "
                                    "the server takes (--max-body)\",\"field\":null}}\n");
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
        http_reply_text(r, 413, "{\"error\":{\"code\":\"too_large\",\"message\":\"the body is larger than "
                                "the server takes (--max-body)\",\"field\":null}}\n");
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
    if (s->options.on_done && r->method)
        s->options.on_done(s->options.context, r->method, r->path ? r->path : "", r->sent,
                           http_now_us() - r->pub.started_us);
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

void http_server_stop(HttpServer *server)
{
    if (!server)
        return;
    MHD_stop_daemon(server->daemon);
    free(server);
}
