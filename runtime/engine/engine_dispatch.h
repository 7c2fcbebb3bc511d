/*
 * engine_dispatch.h - what the outbox's dispatcher (engine_dispatch.c) and its
 * deliveries (engine_delivery.c) share. Engine-internal.
 */
#ifndef HUDDLE_ENGINE_DISPATCH_H
#define HUDDLE_ENGINE_DISPATCH_H

#include "connectors_file.h"
#include "engine_internal.h"
#include "http_client.h"

typedef enum DeliveryOutcome {
    DELIVERY_DONE,                  /* delivered (a call: with its reply) */
    DELIVERY_RETRY,                 /* try again after the backoff */
    DELIVERY_FAILED                 /* failed for good */
} DeliveryOutcome;

struct Claim;

/* One request of a claimed entry: a call, a send, or one recipient of a message. */
typedef struct Delivery {
    ConnRequest request;            /* first: the client hands it back */
    struct Claim *claim;
    int position;                   /* the recipient's position in `to`; -1: none */
    char key[200];                  /* the idempotency key */
    char channel[CONN_NAME_MAX * 2 + 2];   /* a recipient's: "email" or connector.operation */
    StrBuf body;                    /* the request's body or the mail (owned) */
    char *url, *mail_from, *mail_to;    /* owned */
    DeliveryOutcome outcome;
    char error[256];                /* why it did not deliver */
    json_t *reply;                  /* a call's reply (owned) */
    bool started;                   /* handed to the client */
} Delivery;

/* A message's subject and body for `person` (engine_delivery.c). */
void delivery_message_text(const json_t *message, const char *person, const char *instance, StrBuf *subject,
                           StrBuf *body);
/* Make the request of an http connector's `operation` with `body` as JSON (d->key set
   first), or of a mail to `to`. Each returns 0, 1 with a sentence in `why` when it
   cannot be made now but may be later (a secret's variable not set), or -1 when it never
   can (no such operation, no address). */
int delivery_http(Delivery *d, const Connector *c, const char *operation, const json_t *body, char *why,
                  size_t why_len);
int delivery_mail(Delivery *d, const Connector *c, const char *to, const char *to_name, const json_t *message,
                  const char *person, const char *instance, int64_t now, char *why, size_t why_len);
/* Whether connector `c` cannot be used now because a secret's environment variable
   (token_env; username_env, password_env) is not set or holds a control character: true
   with a sentence in `why` naming the variable (never a value). Its deliveries wait,
   untried and with no attempt counted, until it is set (docs/connectors.md, "Secrets"). */
bool delivery_secrets_wait(const Connector *c, char *why, size_t why_len);
/* Takes the request's secrets (bearer token, SMTP login) out of d->error, each
   occurrence and a start of one cut off at the end, in case the peer echoed one into
   what the error quotes (a reply that is not JSON): "[secret]" stands for it. */
void delivery_redact(Delivery *d);
/* A call's reply body as JSON (empty or blanks: null) in *reply (owned): 0, or -1 with
   a sentence when it is not JSON or nests too deep. */
int delivery_reply_parse(const char *text, size_t len, json_t **reply, char *why, size_t why_len);
/* The outcome of a finished request (a call's reply parsed into d->reply), with
   d->error set when it did not deliver, the request's secrets taken out of it
   (delivery_redact). */
DeliveryOutcome delivery_judge(Delivery *d, bool is_call);
void delivery_clear(Delivery *d);

#endif
