/*
 * engine_outbox_entry.h - an outbox entry as a C struct (what a call, send, message or
 * head publication is to deliver, its keys, status and attempts), with its own compact
 * binary encoding, and the conversions from and to the JSON object older huddles stored.
 *
 * The encoding (engine_outbox_entry.c and docs/internals.md, "The outbox entry",
 * describe it byte by byte) begins with a version byte of its own,
 * OUTBOX_ENTRY_FORMAT_1 (0x13), which neither the codec's binary records (0x01 to 0x08)
 * nor JSON text begin with: an outbox value that begins with it is of this form; any
 * other is the older JSON entry (the codec's binary form, or JSON text in a store of
 * schema 1), read through outbox_entry_from_json. A first byte from
 * OUTBOX_ENTRY_FORMAT_1 + 1 to OUTBOX_ENTRY_NEWEST_BYTE is an entry of a newer version,
 * refused as such.
 *
 * The parts a person or a peer reads as JSON (a call's or send's argument, a message's
 * text, task and similar decisions) are kept as codec records, rendered only where they
 * are read (`huddle outbox`, the delivery's bodies, the tools).
 *
 * Nothing here knows steps or the store: the engine (engine_outbox.c, engine_dispatch.c),
 * the typed values' hooks (engine_small_values.c: conversion of stores, the tools) and
 * the tests share it. It allocates with malloc; every function that may fail says so.
 */
#ifndef HUDDLE_ENGINE_OUTBOX_ENTRY_H
#define HUDDLE_ENGINE_OUTBOX_ENTRY_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "strbuf.h"

#define OUTBOX_ENTRY_FORMAT_1 0x13
#define OUTBOX_ENTRY_NEWEST_BYTE 0x1F

typedef enum OutboxKind { OUTBOX_CALL = 0, OUTBOX_SEND, OUTBOX_MESSAGE, OUTBOX_HEAD, OUTBOX_KIND_COUNT } OutboxKind;

/* An entry's status (pending or failed) and a recipient's state (pending, done, failed). */
typedef enum OutboxState { OUTBOX_PENDING = 0, OUTBOX_DONE, OUTBOX_FAILED, OUTBOX_STATE_COUNT } OutboxState;

const char *outbox_kind_text(OutboxKind kind);     /* "call", "send", "message", "head" */
const char *outbox_state_text(OutboxState state);  /* "pending", "done", "failed" */

typedef struct OutboxRecipient {
    char *person;                   /* owned */
    OutboxState state;
} OutboxRecipient;

typedef struct OutboxEntry {
    OutboxKind kind;
    OutboxState status;             /* OUTBOX_PENDING or OUTBOX_FAILED */
    char *connector, *operation;    /* owned; "" for a message */
    uint64_t instance, suspension;  /* 0: none (a head publication) */
    char *base;                     /* owned: the first key is base + index */
    int64_t index;
    StrBuf arg;                     /* the argument as a codec record; len 0: none (a message) */
    bool has_message;               /* a message's recipients and what it says follow */
    OutboxRecipient *to;            /* owned, sorted by person as made */
    size_t to_count;
    size_t to_cap;                  /* room in `to` (doubled as it fills: grow.h); below
                                       to_count: taken as full */
    char *about;                    /* owned: "asked", "notify", ... */
    StrBuf message;                 /* what it says but `about`: a codec record of an object */
    int64_t attempts, created_ms, next_ms, lease_ms;
    char *error;                    /* owned; NULL: none */
} OutboxEntry;

#define OUTBOX_ENTRY_OK 0
#define OUTBOX_ENTRY_DAMAGED (-1)
#define OUTBOX_ENTRY_NO_MEMORY (-2)

/* Frees what `e` owns and zeroes it. */
void outbox_entry_free(OutboxEntry *e);
/* Replaces an owned text field with a copy of `text` (NULL: none): 0, or -1 out of memory. */
int outbox_entry_set_text(char **field, const char *text);
/* Appends a recipient (a copy of `person`): 0, or -1 out of memory. */
int outbox_entry_add_recipient(OutboxEntry *e, const char *person, OutboxState state);
/* The key of the delivery at `position` (a message's recipient; 0 otherwise):
   base + index + position. */
void outbox_entry_key(const OutboxEntry *e, size_t position, char *out, size_t len);

/* Appends the entry's encoding: 0, or -1 (out of memory, or no base or connector). */
int outbox_entry_encode(const OutboxEntry *e, StrBuf *out);
/* Whether `data` begins with one of this encoding's version bytes (known or newer). */
bool outbox_entry_is_typed(const void *data, size_t len);
/* Reads an entry of this encoding, every byte checked: OUTBOX_ENTRY_OK, or _DAMAGED
   with the end of a sentence in why ("is an outbox entry of version 2, newer than this
   huddle reads (version 1)", "is not a readable outbox entry (cut short at byte 9)"),
   or _NO_MEMORY. *out is zeroed when it fails. */
int outbox_entry_decode(const void *data, size_t len, OutboxEntry *out, char *why, size_t why_len);
/* Any outbox value as the store holds it: this encoding, or the older JSON entry
   (codec or JSON text). Codes as outbox_entry_decode's. */
int outbox_entry_load(const void *data, size_t len, OutboxEntry *out, char *why, size_t why_len);
/* Only an entry's status and creation time (what /metrics counts), read from the first
   bytes of this encoding without the rest (an older JSON entry is loaded whole):
   OUTBOX_ENTRY_OK, _DAMAGED (those bytes do not read) or _NO_MEMORY. Nothing is
   allocated for an entry of this encoding, and the bytes after those are not checked:
   the paths that deliver an entry read it with outbox_entry_load. */
int outbox_entry_peek(const void *data, size_t len, OutboxState *status, int64_t *created_ms);

/* The entry from the JSON object older huddles stored: OUTBOX_ENTRY_OK, or _DAMAGED
   ("is not a readable outbox entry (its `status` is not pending or failed)"), or
   _NO_MEMORY. */
int outbox_entry_from_json(const json_t *json, OutboxEntry *out, char *why, size_t why_len);
/* The JSON object older huddles stored for the entry, members in the order they set
   them (new; NULL out of memory or when a codec part does not decode). */
json_t *outbox_entry_json(const OutboxEntry *e);
/* The argument as JSON (new; JSON null when there is none; NULL out of memory). */
json_t *outbox_entry_arg_json(const OutboxEntry *e);
/* A message's `message` object: {"about", then the rest as made} (new; NULL out of
   memory or not a message). */
json_t *outbox_entry_message_json(const OutboxEntry *e);

/* For the typed values' hooks (engine_small_values.c: small_value_load and
   small_value_encode_json give and take the outbox's values as JSON, for the tools and
   the conversion of stores): an entry of this encoding as its JSON object in *out
   (codec codes: CODEC_OK, CODEC_DAMAGED with why, CODEC_NO_MEMORY); and the encoding of
   an older entry given as JSON appended to `out` (false, nothing appended, when it has
   none that renders the same object). */
int outbox_entry_load_json(const void *data, size_t len, json_t **out, char *why, size_t why_len);
bool outbox_entry_encode_json(const json_t *value, StrBuf *out);

#endif
