/*
 * engine_small_store.c - a step's reads and writes of seen entries, case owners and
 * kept events (engine_small_store.h): the typed values of engine_small_values.c on the step path,
 * with the JSON of the older forms only where a value of that form is read or a value
 * has no typed form.
 */
#include "engine_small_store.h"
#include "engine_codec.h"
#include "value_json.h"

#include <stdio.h>
#include <string.h>

/* Puts the bytes staged in the engine's record buffer under `key`. */
static int put_staged(Step *s, StoreTable table, StoreBytes key)
{
    StrBuf *bytes = &s->engine->record_bytes;
    int rc = strbuf_failed(bytes) ? step_fail(s, ENGINE_NO_MEMORY, "out of memory")
                                  : store_put(s->txn, table, key, store_bytes(bytes->data, bytes->len));
    engine_record_bytes_done(s);
    return rc;
}

/* The object a seen entry of no typed form is written as, through the codec. */
static int seen_entry_put_json(Step *s, StoreBytes key, const json_t *went, long long poison_attempts)
{
    char at[40];
    time_text(s->now, at);
    json_t *entry = json_pack("{s:s, s:O}", "at", at, "went", went);
    if (entry && poison_attempts >= 0 && json_object_set_new(entry, "poison_attempts", json_integer(poison_attempts))) {
        json_decref(entry);
        entry = NULL;
    }
    int rc = entry ? engine_put_json(s, TABLE_SEEN, key, entry) : step_fail(s, ENGINE_NO_MEMORY, "out of memory");
    json_decref(entry);
    return rc;
}

/* Whether time `ms` reads back from a typed value as the text the JSON form holds
   (time_text's): only then is a value with it typed. */
static bool time_typed(int64_t ms)
{
    static int64_t last_ms = -1;    /* the last time found to be so (a step's `now`) */
    char at[40], typed[SMALL_TIME_TEXT];
    if (ms < 0 || (uint64_t)ms > CODEC_TIME_MAX)
        return false;
    if (ms == last_ms)
        return true;
    time_text(ms, at);
    small_time_text(ms, typed);
    bool same = strcmp(at, typed) == 0;
    if (same)
        last_ms = ms;
    return same;
}

int seen_entry_put(Step *s, StoreBytes key, const json_t *went, long long poison_attempts)
{
    StrBuf *bytes = &s->engine->record_bytes;
    bytes->len = 0;
    if (!time_typed(s->now) || !seen_value_encode(s->now, went, poison_attempts, bytes))
        return seen_entry_put_json(s, key, went, poison_attempts);
    return put_staged(s, TABLE_SEEN, key);
}

int engine_dedup_days(Step *s, int64_t *days)
{
    uint64_t kept = 0;
    int rc = engine_counter(s, "dedup_days", &kept);
    *days = kept ? (int64_t)kept : ENGINE_DEDUP_DAYS;
    return rc;
}

int seen_entry_get(Step *s, StoreBytes key, StoreBytes *value)
{
    int64_t at, days;
    int rc = store_get(s->txn, TABLE_SEEN, key, value);
    if (rc == STORE_OK)
        rc = seen_entry_at(s, key, *value, &at);
    if (rc == STORE_OK)
        rc = engine_dedup_days(s, &days);
    if (rc == STORE_OK && at < s->now - days * 86400000)   /* engine_purge_seen deletes these */
        rc = STORE_NOT_FOUND;
    return rc;
}

int seen_entry_at(Step *s, StoreBytes key, StoreBytes value, int64_t *at_ms)
{
    char why[240];
    if (small_value_typed(TABLE_SEEN, value.data, value.len))
        return seen_value_at(value.data, value.len, at_ms, why, sizeof why) == CODEC_OK
                   ? STORE_OK : step_damaged(s, TABLE_SEEN, key, why);
    json_t *entry;
    int rc = engine_parse_json(s, TABLE_SEEN, key, value, &entry);
    if (rc != STORE_OK)
        return rc;
    if (!value_parse_time(json_string_value(json_object_get(entry, "at")), at_ms))
        rc = step_damaged(s, TABLE_SEEN, key, "has an \"at\" that is not a time");
    json_decref(entry);
    return rc;
}

/* A case owner of the JSON form (the codec's record, or JSON text). */
static int case_owner_get_json(Step *s, StoreBytes key, CaseOwner *out)
{
    json_t *owner;
    int rc = engine_get_json(s, TABLE_CASES, key, &owner);
    if (rc != STORE_OK)
        return rc;
    out->instance = (uint64_t)json_integer_value(json_object_get(owner, "instance"));
    out->until = json_integer_value(json_object_get(owner, "until"));
    const char *version = json_string_value(json_object_get(owner, "version"));
    out->has_version = version != NULL;
    snprintf(out->version, sizeof out->version, "%s", version ? version : "");
    json_decref(owner);
    return STORE_OK;
}

int case_owner_get(Step *s, StoreBytes key, CaseOwner *out)
{
    memset(out, 0, sizeof *out);
    StoreBytes value;
    int rc = store_get(s->txn, TABLE_CASES, key, &value);
    if (rc != STORE_OK || !small_value_typed(TABLE_CASES, value.data, value.len))
        return rc == STORE_NOT_FOUND ? rc : case_owner_get_json(s, key, out);   /* it names a failure */
    char why[240];
    return case_owner_decode(value.data, value.len, out, why, sizeof why) == CODEC_OK
               ? STORE_OK : step_damaged(s, TABLE_CASES, key, why);
}

int case_owner_put(Step *s, StoreBytes key, const CaseOwner *owner)
{
    StrBuf *bytes = &s->engine->record_bytes;
    bytes->len = 0;
    if (case_owner_encode(owner, bytes))
        return put_staged(s, TABLE_CASES, key);
    json_t *json = json_pack("{s:I, s:I}", "instance", (json_int_t)owner->instance, "until", (json_int_t)owner->until);
    if (json && owner->has_version && json_object_set_new(json, "version", json_string(owner->version))) {
        json_decref(json);
        json = NULL;
    }
    int rc = json ? engine_put_json(s, TABLE_CASES, key, json) : step_fail(s, ENGINE_NO_MEMORY, "out of memory");
    json_decref(json);
    return rc;
}

int event_entry_put(Step *s, StoreTable table, StoreBytes key, const char *source, const char *type,
                    const char *id, int64_t time_ms, const json_t *data)
{
    StrBuf *bytes = &s->engine->record_bytes;
    bytes->len = 0;
    if (!time_typed(time_ms) || !event_entry_encode(source, type, id, time_ms, data, bytes)) {
        engine_record_bytes_done(s);
        return EVENT_ENTRY_UNTYPED;
    }
    return put_staged(s, table, key);
}

int event_entry_value(Step *s, StoreBytes key, StoreBytes value, Value *out)
{
    *out = VALUE_NULL;
    if (!small_value_typed(TABLE_MAILBOX, value.data, value.len)) {
        json_t *event;
        int rc = engine_parse_json(s, TABLE_MAILBOX, key, value, &event);
        if (rc == STORE_OK)
            *out = value_from_json(event);
        json_decref(event);
        return rc;
    }
    EventEntry event;
    char why[240], time[SMALL_TIME_TEXT];
    int rc = event_entry_decode(TABLE_MAILBOX, value.data, value.len, &event, why, sizeof why);
    if (rc != CODEC_OK)
        return rc == CODEC_NO_MEMORY ? step_fail(s, ENGINE_NO_MEMORY, "out of memory")
                                     : step_damaged(s, TABLE_MAILBOX, key, why);
    size_t time_len = small_time_text(event.time_ms, time);
    Value v = value_map_new(5);   /* as event_value makes the fresh event's */
    value_map_set(v, "source", 6, value_string(event.source, event.source_len));
    value_map_set(v, "type", 4, value_string(event.type, event.type_len));
    value_map_set(v, "id", 2, value_string(event.id, event.id_len));
    value_map_set(v, "time", 4, value_string(time, time_len));
    value_map_set(v, "data", 4, value_from_json(event.data));
    json_decref(event.data);
    *out = v;
    return STORE_OK;
}
