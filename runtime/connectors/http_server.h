/*
 * http_server.h - HTTP in, for `huddle serve`: the one user of libmicrohttpd.
 *
 * The server listens on one address, collects each request's body (refusing one larger
 * than the limit with 413, early when Content-Length says so) and hands the request to
 * the owner's callback on the server's own thread. The callback answers at once with
 * http_reply, or keeps the request and answers later from any thread: until then the
 * request is suspended and holds no thread (libmicrohttpd's suspend and resume), so a
 * request that waits for a group commit costs a little memory and nothing more.
 *
 * Nothing here knows Huddle's routes or JSON: a request is its method, path, query,
 * the few headers serve reads, and its body.
 */
#ifndef HUDDLE_HTTP_SERVER_H
#define HUDDLE_HTTP_SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct HttpServer HttpServer;

/* One request. Every field is owned by the server and valid until http_reply is called
   for it (a request that is never answered is answered 503 when the server stops). */
typedef struct HttpRequest {
    const char *method, *path;
    const char *query;              /* the raw query after '?', or "" */
    const char *content_type;       /* header values, NULL when absent */
    const char *authorization;
    const char *signature;          /* X-Huddle-Signature */
    const char *idempotency_key;    /* Idempotency-Key */
    const char *repeated_header;    /* the first of Authorization, Content-Type,
                                       Idempotency-Key and X-Huddle-Signature the request
                                       gave twice (the values above are the first), or NULL */
    const char *body;               /* NUL-terminated; body_len bytes before the NUL */
    size_t body_len;
    int64_t started_us;             /* monotonic, when the request's headers arrived */
} HttpRequest;

/* Called for each whole request on the server's thread; must not block. The request
   stays valid until http_reply. */
typedef void (*HttpHandlerFn)(void *context, HttpRequest *request);
/* Called when a request's reply was sent (or its connection went), for the request log:
   `status` is what was answered (0: none). Borrowed strings. */
typedef void (*HttpDoneFn)(void *context, const char *method, const char *path, int status,
                           int64_t micros);
/* Called with libmicrohttpd's own complaints (a sentence). */
typedef void (*HttpLogFn)(void *context, const char *message);
/* Counts: called with +1 and -1 as a connection opens and closes (on_connection, on the
   server's thread), and as a suspended request is given its reply (http_reply's thread)
   and that reply is queued for sending (the server's thread) (on_resumed). */
typedef void (*HttpCountFn)(void *context, int delta);

typedef struct HttpServerOptions {
    const char *host;               /* numeric IPv4 or IPv6 address */
    unsigned port;                  /* 0: any free port (http_server_port says which) */
    size_t max_body;                /* bytes */
    unsigned idle_timeout_s;        /* a connection silent this long is closed */
    unsigned max_connections;
    HttpHandlerFn handler;
    HttpDoneFn on_done;             /* may be NULL */
    HttpLogFn on_log;               /* may be NULL */
    HttpCountFn on_connection;      /* may be NULL */
    HttpCountFn on_resumed;         /* may be NULL */
    void *context;
} HttpServerOptions;

/* Starts listening; 0 and *out (the caller owns it, http_server_stop releases it), or
   -1 with a sentence in why. */
int http_server_start(const HttpServerOptions *options, HttpServer **out, char *why, size_t why_len);
/* The port listened on. */
unsigned http_server_port(const HttpServer *server);
/* Stops accepting connections; requests under way go on. */
void http_server_quiesce(HttpServer *server);
/* Waits (max_ms at most) until every request handed to the owner has been sent its
   reply (or lost its connection): a reply queued on a connection that
   http_server_stop closes would never be sent. False when some were still out. */
bool http_server_drain(HttpServer *server, unsigned max_ms);
/* Stops the server: every request must have been answered (its connections are closed)
   and releases it. */
void http_server_stop(HttpServer *server);

/* Answers `request` with `status` and a body (copied); `content_type` and one extra
   header (`header`: "Name: value", may be NULL) are set. May be called from any thread,
   exactly once per request; `request` is not to be touched after. */
void http_reply(HttpRequest *request, int status, const char *content_type, const char *body,
                size_t len, const char *header);

/* Microseconds on the monotonic clock. */
int64_t http_now_us(void);

#endif
