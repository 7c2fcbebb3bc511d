/*
 * engine_instance_record.h - an instance's record as a C struct (its number, playbook,
 * version, status, state, counters, tags, timers, task), with its own compact binary
 * encoding, and the conversions from and to the JSON object older huddles stored.
 *
 * The encoding (engine_instance_record.c and docs/internals.md describe it byte by
 * byte) begins with a version byte of its own, INSTANCE_RECORD_FORMAT_1 or _2, which
 * neither the codec's binary records (0x01 to 0x08) nor JSON text begin with: an
 * instance entry whose record begins with one is of this form; any other is the older
 * JSON record (the codec's binary form, or JSON text in a store of schema 1), read
 * through instance_record_from_json. A first byte from INSTANCE_RECORD_FORMAT + 1 to
 * INSTANCE_RECORD_NEWEST_BYTE is a record of a newer version, refused as such.
 *
 * Nothing here knows steps or the store: the engine (engine_instance.c), the conversion
 * of stores (engine_upgrade.c) and the tools that read stores (tests/crash, bench) share
 * it. It allocates with malloc; every function that may fail says so.
 */
#ifndef HUDDLE_ENGINE_INSTANCE_RECORD_H
#define HUDDLE_ENGINE_INSTANCE_RECORD_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "strbuf.h"

#define INSTANCE_RECORD_FORMAT_1 0x11
#define INSTANCE_RECORD_FORMAT_2 0x12   /* timer keys without the instance: docs/internals.md */
#define INSTANCE_RECORD_FORMAT INSTANCE_RECORD_FORMAT_2
#define INSTANCE_RECORD_NEWEST_BYTE 0x1F
#define INSTANCE_TIMER_KEY 20          /* a timer's key in the timers table */

typedef enum InstanceStatus {
    INSTANCE_RUNNING = 0, INSTANCE_STALLED, INSTANCE_DONE, INSTANCE_FAILED, INSTANCE_CANCELLED,
    INSTANCE_STATUS_COUNT
} InstanceStatus;

/* The word a status is written as ("running", "stalled", ...). */
const char *instance_status_text(InstanceStatus status);

typedef struct InstanceRecord {
    uint64_t number;                /* the id is "i<number>" */
    char id[24];                    /* "i<number>", kept filled by the functions below */
    char *playbook;                 /* owned */
    char version[65];               /* the program's hash, 64 lowercase hex digits */
    unsigned char version_hash[32]; /* the same as bytes (instance_record_set_version) */
    InstanceStatus status;
    char *state;                    /* owned; NULL before the first state is entered */
    int64_t created_ms;
    char *created_at;               /* owned; NULL: the text of created_ms (only an old
                                       record whose text differs keeps its own) */
    uint64_t step;                  /* the suspension count (a frame's step) */
    uint64_t history;               /* history records written */
    char *case_key;                 /* owned; NULL: not a case */
    uint64_t case_events;
    uint64_t mailbox_discarded;
    uint64_t outbox_step, outbox_next;  /* outbox indexes handed out at step outbox_step */
    char **tags;                    /* owned, each owned */
    size_t tag_count, tag_cap;
    unsigned char (*timers)[INSTANCE_TIMER_KEY];    /* the current suspension's timers */
    size_t timer_count, timer_cap;
    char *task;                     /* owned; the last ask's task id, NULL before any */
    /* rare: NULL when absent */
    json_t *outcome;                /* what the instance ended with */
    json_t *start_input;            /* a first step that failed: how to start it again */
    json_t *stalled_input;          /* the input a failed step is kept with */
    json_t *held_timers;            /* timers that came due while stalled */
} InstanceRecord;

/* Frees what `r` owns and zeroes it. */
void instance_record_free(InstanceRecord *r);
/* Sets `number` and the id that goes with it. */
void instance_record_set_number(InstanceRecord *r, uint64_t number);
/* Sets the version (64 lowercase hex digits) and its bytes: 0, or -1 (nothing set)
   when `hex` is not that. */
int instance_record_set_version(InstanceRecord *r, const char *hex);
/* Replaces an owned text field with a copy of `text` (NULL: none): 0, or -1 out of
   memory (the field is then unchanged). */
int instance_record_set_text(char **field, const char *text);
/* Replaces a rare field with `value` (a reference taken over; NULL: none). */
void instance_record_set_json(json_t **field, json_t *value);
/* Adds `tag` unless the record has it: 0, or -1 out of memory. */
int instance_record_add_tag(InstanceRecord *r, const char *tag);
/* Adds a timer key: 0, or -1 out of memory. */
int instance_record_add_timer(InstanceRecord *r, const unsigned char key[INSTANCE_TIMER_KEY]);
/* Takes `key` off the instance's list of timers (a timer that fired and left the table);
   a key it does not list changes nothing. */
void instance_record_drop_timer(InstanceRecord *r, const unsigned char key[INSTANCE_TIMER_KEY]);
/* The first 2n characters of `hex` (lowercase hex digits) as n bytes in out[]: false
   when they are not that. */
bool instance_record_hex(const char *hex, size_t n, unsigned char *out);
/* The text of the instance's creation time into out[40] (created_at's). */
void instance_record_created_at(const InstanceRecord *r, char out[40]);

/* Appends the record in INSTANCE_RECORD_FORMAT (its version byte first) to `out`:
   0; -1 when out of memory (the buffer is failed) or a rare field cannot be encoded
   (nests too deep: never for what the engine writes), or it has no playbook. */
int instance_record_encode(const InstanceRecord *r, StrBuf *out);

enum { INSTANCE_RECORD_OK = 0, INSTANCE_RECORD_DAMAGED = -1, INSTANCE_RECORD_NO_MEMORY = -2 };

/* Whether `data` begins with a version byte of this encoding (of a version read or
   newer): not the older JSON record. */
bool instance_record_is_typed(const void *data, size_t len);

/* Decodes a record of this encoding into *out (zeroed first; freed again on failure).
   INSTANCE_RECORD_DAMAGED with the end of a sentence about the record in `why` ("is not
   a readable instance record (cut short at byte 9)", "is an instance record of version
   3, newer than this huddle reads (versions 1 and 2)"); INSTANCE_RECORD_NO_MEMORY. Checks
   every byte and never reads outside data[0..len). */
int instance_record_decode(const void *data, size_t len, InstanceRecord *out, char *why, size_t why_len);

/* The older record (a JSON object) as a struct in *out: the same codes, DAMAGED for an
   object without the fields an instance has or with one of the wrong kind. */
int instance_record_from_json(const json_t *json, InstanceRecord *out, char *why, size_t why_len);

/* The record as the JSON object older huddles stored (every field it has, in the order
   instance_start set them): a new value, NULL when out of memory. */
json_t *instance_record_json(const InstanceRecord *r);

/* The record's tags as a new JSON list of texts: NULL when out of memory. */
json_t *instance_record_tags_json(const InstanceRecord *r);

/* Any stored form of the record (this encoding, the codec's binary form, JSON text) as a
   struct: the same codes and sentences. For the tools that read stores. */
int instance_record_load(const void *data, size_t len, InstanceRecord *out, char *why, size_t why_len);

/* Any stored form of the record as a JSON object, with no check beyond reading it (the
   JSON record as it is; this encoding through instance_record_json): INSTANCE_RECORD_OK
   with a new value in *out, or the codes above with a sentence. For the tools that
   check stores and count their records. */
int instance_record_stored_json(const void *data, size_t len, json_t **out, char *why, size_t why_len);

#endif
