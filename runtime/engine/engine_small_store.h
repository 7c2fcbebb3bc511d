/*
 * engine_small_store.h - a step's reads and writes of the typed seen entries, case
 * owners and kept events (engine_small_values.h): typed when written, any form when read (a value an
 * older huddle wrote is read through the JSON as before). Failures fail the step.
 */
#ifndef HUDDLE_ENGINE_SMALL_STORE_H
#define HUDDLE_ENGINE_SMALL_STORE_H

#include "engine_internal.h"
#include "engine_small_values.h"

/* Puts the seen entry of an event accepted now (s->now) whose routes are `went`
   (borrowed), set aside as poison after `poison_attempts` attempts when that is >= 0:
   the typed value, or the codec's record of the same object when it has no typed form. */
int seen_entry_put(Step *s, StoreBytes key, const json_t *went, long long poison_attempts);

/* The time of the seen entry (key, value) a scan visited, in any form: STORE_OK, or the
   step failed (a damaged entry, out of memory). */
int seen_entry_at(Step *s, StoreBytes key, StoreBytes value, int64_t *at_ms);

/* The seen entry under `key` while it is kept: STORE_OK with *value when its id was
   accepted no longer ago than the store's dedup period (engine_dedup_days),
   STORE_NOT_FOUND when there is none or it is older (forgotten, whether or not a purge
   has deleted it yet: its id is a new event again; RUNTIME.md, a repeat is a duplicate
   "within the dedup period"), or the store's error. */
int seen_entry_get(Step *s, StoreBytes key, StoreBytes *value);

/* The store's dedup period in days: meta's `dedup_days`, set by `huddle tick
   --dedup-days N`, else ENGINE_DEDUP_DAYS. STORE_OK, or the step failed. */
int engine_dedup_days(Step *s, int64_t *days);

/* The owner of case `key` (playbook NUL case key): STORE_OK with *out, STORE_NOT_FOUND,
   or the step failed. */
int case_owner_get(Step *s, StoreBytes key, CaseOwner *out);

/* Puts `owner` as the owner of case `key`, typed (the codec's record when it has no
   typed form). */
int case_owner_put(Step *s, StoreBytes key, const CaseOwner *owner);

/* Puts the event kept under `key` in `table` (TABLE_MAILBOX, TABLE_WINDOWS) typed:
   STORE_OK or a failure; EVENT_ENTRY_UNTYPED, nothing written, when it has no typed form
   (the caller puts its JSON form). */
#define EVENT_ENTRY_UNTYPED 1
int event_entry_put(Step *s, StoreTable table, StoreBytes key, const char *source, const char *type,
                    const char *id, int64_t time_ms, const json_t *data);

/* The event of a mailbox entry (key, value) a scan visited, in any form, as a wait
   receives it: a new map {source, type, id, time as text, data} in *out; STORE_OK, or
   the step failed. */
int event_entry_value(Step *s, StoreBytes key, StoreBytes value, Value *out);

#endif
