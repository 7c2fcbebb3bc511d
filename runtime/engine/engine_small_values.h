/*
 * engine_small_values.h - the typed values of four small tables: a seen entry (the
 * dedup table: when an event was accepted and where it went), a case's owner (the cases
 * table: the instance that owns a case key, until when, its program's hash), and an
 * event kept for later (a mailbox entry, a threshold window's entry). Each is a
 * compact binary value with a version byte of its own, written and read without jansson
 * (issue 11, "Typed records"; the bytes are in docs/internals.md, "Typed values").
 *
 * Values of the older forms (the codec's binary records, JSON text in stores of schema
 * 1) are still read: small_value_load gives any value of these tables as the JSON object
 * it stands for, for the tools that read stores and the conversion of old stores. Like
 * the codec, this file knows nothing of steps: every byte it reads is checked, and a
 * value is either read whole or refused with the end of a sentence saying why.
 */
#ifndef HUDDLE_ENGINE_SMALL_VALUES_H
#define HUDDLE_ENGINE_SMALL_VALUES_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store.h"
#include "strbuf.h"

/* The first byte of a typed value: its version. Version 1 is 0x10, the one written now;
   0x11 to SMALL_VALUE_NEWEST_BYTE are newer versions, refused as such. The codec's
   formats (0x01-0x08) and JSON text ('{', whitespace) never begin with these. */
#define SMALL_VALUE_1 0x10
#define SMALL_VALUE_NEWEST_BYTE 0x1F

/* The text a typed value's time stands for, as the engine writes times (time_text):
   YYYY-MM-DDTHH:MM:SS.mmmZ, without the .mmm when it is .000; `ms` at most
   CODEC_TIME_MAX. Returns its length (20 or 24); out is NUL-ended. */
#define SMALL_TIME_TEXT 25
size_t small_time_text(int64_t ms, char out[SMALL_TIME_TEXT]);
/* The time `text` (len bytes) stands for when it is exactly what small_time_text writes
   for it (no 02-30, no .000): true with *ms. */
bool small_time_parse(const char *text, size_t len, int64_t *ms);

/* Whether `table` keeps typed values (TABLE_SEEN, TABLE_CASES, TABLE_MAILBOX,
   TABLE_WINDOWS). */
bool small_value_table(StoreTable table);

/* Whether `data` is a typed value of `table` (its first byte is a version, known or
   newer): false for the codec's records and JSON text. For TABLE_TASKS, whether it is a
   task record (engine_task_record.h): the three calls here answer for the tasks table
   too, so the tools and the conversion read and write tasks as they do these values. */
bool small_value_typed(StoreTable table, const void *data, size_t len);

/* Any value of `table` as the store holds it, as a new JSON object in *out: a typed
   value rendered as the object it stands for (the same one the codec would give for the
   record it replaces), anything else as codec_load reads it. Codes and `why` as
   codec_load's: "is a seen entry of version 2, newer than this huddle reads (version
   1)", "is not a readable seen entry (cut short at byte 9)". */
int small_value_load(StoreTable table, const void *data, size_t len, json_t **out, char *why,
                     size_t why_len);

/* Appends the typed value of `value`, an object of `table` in its JSON form (as
   small_value_load gives it): true; false, with nothing appended, when the table keeps
   no typed values or the object has no typed form that reads back as the same object
   (the conversion of old stores then writes the codec's record). */
bool small_value_encode_json(StoreTable table, const json_t *value, StrBuf *out);

/* ---- seen entries: {"at": time, "went": [route...], "poison_attempts"?: n} ---- */

/* Appends the typed seen entry for an event accepted at `at_ms` whose routes are `went`
   (engine_event_routes' form) and, when `poison_attempts` >= 0, set aside as poison after
   that many attempts: true. False, with nothing appended, when the entry has no typed
   form (a time before 1970 or after 9999, a route of another shape): the codec writes it. */
bool seen_value_encode(int64_t at_ms, const json_t *went, long long poison_attempts, StrBuf *out);

/* A typed seen entry's time (ms), every byte checked: CODEC_OK or CODEC_DAMAGED (why). */
int seen_value_at(const void *data, size_t len, int64_t *at_ms, char *why, size_t why_len);

/* ---- case owners: {"instance": n, "until": ms or 0, "version"?: hash} ---- */

typedef struct CaseOwner {
    uint64_t instance;              /* the owning instance's number */
    int64_t until;                  /* ms when the case closes; 0: while the instance lives */
    bool has_version;               /* entries older than 2026-10 have no version */
    char version[65];               /* the program's hash, 64 lowercase hex digits */
} CaseOwner;

/* Appends the typed value of `owner`: true; false (nothing appended) when it has no
   typed form (a number past 2^63, an `until` below 0, a version that is not 64
   lowercase hex digits). */
bool case_owner_encode(const CaseOwner *owner, StrBuf *out);

/* Reads a typed case owner, every byte checked: CODEC_OK or CODEC_DAMAGED (why). */
int case_owner_decode(const void *data, size_t len, CaseOwner *out, char *why, size_t why_len);

/* ---- events kept: mailbox entries and threshold windows' entries,
   {"source", "type", "id", "time": time, "data": the event's data} ---- */

typedef struct EventEntry {
    const char *source, *type, *id;     /* borrowed from the value's bytes; not NUL-ended */
    size_t source_len, type_len, id_len;
    int64_t time_ms;                    /* when the event happened */
    json_t *data;                       /* a new reference: the caller releases it */
} EventEntry;

/* Appends the typed value of an event (its data a JSON value): true; false (nothing
   appended) when it has no typed form (a time before 1970 or after 9999, text that is
   not UTF-8, data nested deeper than a record may be). */
bool event_entry_encode(const char *source, const char *type, const char *id, int64_t time_ms,
                        const json_t *data, StrBuf *out);

/* Reads a typed event entry of `table` (TABLE_MAILBOX or TABLE_WINDOWS), every byte
   checked: CODEC_OK, CODEC_DAMAGED (why), CODEC_NO_MEMORY. */
int event_entry_decode(StoreTable table, const void *data, size_t len, EventEntry *out, char *why,
                       size_t why_len);

#endif
