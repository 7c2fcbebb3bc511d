/*
 * http_client.h - outbound requests through libcurl's multi interface, for the outbox's
 * dispatcher: HTTP requests of http connectors and mail through smtp connectors
 * (../shared/design/RUNTIME.md, "Connectors"). The one file that includes <curl/curl.h>.
 *
 * A ConnClient runs many requests at once on one thread: at most `per_group` of one
 * group (a connector) in flight, the rest queued in order; connections are kept and
 * reused between requests and rounds. Each request has its own timeout. Secrets (a
 * bearer token, an SMTP password) are handed to libcurl and never appear in a
 * request's error text.
 */
#ifndef HUDDLE_HTTP_CLIENT_H
#define HUDDLE_HTTP_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "strbuf.h"

/* The largest reply body kept; a longer reply is a failure. */
#define CONN_REPLY_MAX ((size_t)1 << 20)
/* Requests of one connector in flight at once, by default. */
#define CONN_PER_GROUP_DEFAULT 64

typedef enum ConnRequestKind { CONN_REQUEST_HTTP, CONN_REQUEST_SMTP } ConnRequestKind;

/* One request. The caller fills the fields marked in, keeps every string and the
   request itself alive until it comes back from conn_client_run, then reads the out
   fields and calls conn_request_clear. */
typedef struct ConnRequest {
    /* in */
    ConnRequestKind kind;
    const char *group;              /* the connector: concurrency is bounded per group */
    const char *url;                /* http(s)://host/path, or smtp://host:port */
    const char *method;             /* HTTP: GET, POST, PUT, PATCH, DELETE */
    const char *idempotency_key;    /* HTTP: the Idempotency-Key header, or NULL */
    const char *bearer;             /* HTTP: a token for Authorization: Bearer, or NULL */
    const char *body;               /* HTTP: the JSON body (NULL: none); SMTP: the message */
    size_t body_len;
    const char *mail_from, *mail_to;    /* SMTP: the envelope's addresses */
    const char *username, *password;    /* SMTP: login, or NULL */
    long timeout_ms;
    bool reply_unused;              /* HTTP: the reply body is read and dropped (a send's,
                                       a message's: only a call uses it), so none is too long */
    void *context;                  /* the caller's */
    /* out */
    long status;                    /* the HTTP status, or SMTP's last reply code; 0: none */
    bool transport_failed;          /* no complete exchange (refused, timed out, ...) */
    char error[256];                /* what went wrong, when transport_failed */
    StrBuf reply;                   /* HTTP: the reply body (at most CONN_REPLY_MAX) */
    bool reply_too_long;
    int64_t retry_after_ms;         /* HTTP: a 429's or 503's Retry-After in seconds, as a
                                       delay in ms; 0: none */
    int64_t retry_after_at_ms;      /* HTTP: a 429's or 503's Retry-After as an HTTP date,
                                       that time in Unix ms (the caller measures it against
                                       its own clock); 0: none */
    /* the client's */
    void *easy, *headers, *rcpt;
    size_t sent;
    struct ConnRequest *next;
} ConnRequest;

typedef struct ConnClient ConnClient;

/* A client with at most `per_group` requests of one group in flight (0: the default);
   NULL when libcurl cannot be set up. The caller owns it: conn_client_free. */
ConnClient *conn_client_new(unsigned per_group);
/* Ends every request still in flight or queued (they are not handed back) and frees. */
void conn_client_free(ConnClient *client);

/* Starts `request` (or queues it behind its group's). 0, or -1 when memory ran out (the
   request is then not the client's). */
int conn_client_add(ConnClient *client, ConnRequest *request);

/* Runs the transfers for at most `max_wait_ms` (0: only what is ready now), returning
   sooner, at most 2 ms after the first request finished (or at once when none is left
   running): the finished ones, linked by `next`, in *done (NULL: none yet). */
void conn_client_run(ConnClient *client, int max_wait_ms, ConnRequest **done);

/* Requests in flight or queued. */
unsigned conn_client_pending(const ConnClient *client);

/* Releases what the client attached to a finished request (its reply buffer too). */
void conn_request_clear(ConnRequest *request);

#endif
