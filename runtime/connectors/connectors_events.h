/*
 * connectors_events.h - events as connectors send them (../shared/design/RUNTIME.md,
 * "Connectors"): a webhook's signature, where its id, type and time are (JSON
 * pointers), and whether an event fits the type the connectors file gives it.
 *
 * Every answer that refuses names the field at fault: a JSON pointer into the body
 * ("/id") for the mapping, the path of a field of the event's data ("data.geo.region")
 * for its type. No sentence repeats a secret; values of the body are described by
 * their JSON type, never quoted.
 */
#ifndef HUDDLE_CONNECTORS_EVENTS_H
#define HUDDLE_CONNECTORS_EVENTS_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "connectors_file.h"
#include "text.h"

/* The value at RFC 6901 `pointer` ("" is the whole document, "/a/0/b~1c" with ~0 for ~
   and ~1 for /) in `doc`, or NULL when there is none. Borrowed from doc. */
const json_t *conn_json_pointer(const json_t *doc, const char *pointer);

/* Whether `header` is "sha256=" and 64 hex digits (either case), blanks after them
   allowed (a field value's trailing whitespace is not part of it: RFC 9110, 5.5). */
bool conn_signature_well_formed(const char *header);

/* Whether `header` is well formed and its hex is the HMAC-SHA256 of the body under
   `secret`, compared in constant time. A NULL header is false. */
bool conn_signature_ok(const char *secret, size_t secret_len, const char *header, const char *body,
                       size_t len);

/* A webhook's secret made ready once to check many signatures (its HMAC key schedule
   kept, which conn_signature_ok makes again each time): NULL when out of memory. The
   caller owns it (conn_signer_free); checks from several threads take turns. */
typedef struct ConnSigner ConnSigner;
ConnSigner *conn_signer_new(const char *secret, size_t secret_len);
void conn_signer_free(ConnSigner *signer);
/* conn_signature_ok under the signer's secret. */
bool conn_signer_ok(ConnSigner *signer, const char *header, const char *body, size_t len);

/* Writes "sha256=<hex>" for a body into out[72] (tests, and senders' examples). */
void conn_signature_make(const char *secret, size_t secret_len, const char *body, size_t len,
                         char out[72]);

/* Where a webhook's event is in its body: id, type and time (NULL: the body has none),
   borrowed from the body. */
typedef struct ConnEvent {
    const char *id, *type, *time;   /* borrowed from the body, or id from id_text */
    char id_text[TEXT_ID_MAX + 1];  /* a whole-number id written as text */
} ConnEvent;

/* Reads a webhook body by the connector's pointers. The id must be a text of 1 to 256
   bytes or a whole number (a JSON integer, taken as its exact decimal text: 17 and "17"
   are the same id, and so are 9223372036854775808 and "9223372036854775808"); a number
   with a fraction or an exponent is refused, since 1 and 1.0 would be different ids of
   the same event. The type must be a text, the time (optional) a text. 0, or -1 with a
   sentence in why and the pointer at fault in field.
   `exact` is NULL, or the same body read by value_json_load_exact (an integer past 64
   bits as a string of its digits). A body read by value_json_load holds such an integer
   as a double, like 1.5: when conn_webhook_id_inexact says the id is one, pass `exact`
   so that a whole number is taken as its text, not refused as a fraction. (jansson's own
   json_loadb refuses such a body outright, so its bodies need no `exact`.) */
int conn_webhook_map(const Connector *c, const json_t *body, const json_t *exact, ConnEvent *out, char *why,
                     size_t why_len, char *field, size_t field_len);
/* Whether the body's id (at the connector's pointer) is a JSON number held as a double. */
bool conn_webhook_id_inexact(const Connector *c, const json_t *body);

/* Whether an event's `data` fits the type `type` of connector `c` (the connectors
   file's "events"); an event type not listed (or a connector with none) fits untyped.
   0, or -1 with "data.FIELD is ..., expected ..." in why and "data.FIELD" in field. */
int conn_event_check(const Connector *c, const char *type, const json_t *data, char *why, size_t why_len,
                     char *field, size_t field_len);

/* Whether `text` is an RFC 3339 time with a date that exists
   (2026-06-15T08:10:00+03:00, fractions of a second allowed). */
bool conn_is_time(const char *text);

#endif
