/*
 * engine_outbox_entry_json.c - an outbox entry (engine_outbox_entry.h) from and to the
 * JSON object older huddles stored: the entries of older stores are read through
 * outbox_entry_from_json, and where an entry is read as JSON (the dispatcher's claim,
 * the tools, the conversion of a store to an older schema) it is rendered with its
 * members in the order the jansson code set them, so the JSON is the same as before.
 */
#include "engine_outbox_entry.h"

#include <stdio.h>
#include <string.h>

#include "engine_codec.h"

/* ---- from JSON ---- */

static const char *const FIELDS[] = {"kind", "connector", "operation", "arg", "instance", "suspension",
                                     "base", "index", "to", "message", "status", "attempts", "created_ms",
                                     "next_ms", "lease_ms", "error", NULL};

static int refuse(char *why, size_t why_len, const char *field, const char *what)
{
    snprintf(why, why_len, "is not a readable outbox entry (its `%s` %s)", field, what);
    return OUTBOX_ENTRY_DAMAGED;
}

static int enum_of(const char *text, const char *(*name)(unsigned), unsigned count)
{
    for (unsigned i = 0; text && i < count; i++)
        if (strcmp(text, name(i)) == 0)
            return (int)i;
    return -1;
}

static const char *kind_name(unsigned i)
{
    return outbox_kind_text((OutboxKind)i);
}

static const char *state_name(unsigned i)
{
    return outbox_state_text((OutboxState)i);
}

static int json_integer_field(const json_t *json, const char *field, bool unsigned_only, int64_t *out, char *why,
                              size_t why_len)
{
    const json_t *value = json_object_get(json, field);
    if (!json_is_integer(value) || (unsigned_only && json_integer_value(value) < 0))
        return refuse(why, why_len, field, unsigned_only ? "is not a count" : "is not an integer");
    *out = (int64_t)json_integer_value(value);
    return OUTBOX_ENTRY_OK;
}

static int text_field(const json_t *json, const char *field, char **out, char *why, size_t why_len)
{
    const char *text = json_string_value(json_object_get(json, field));
    if (!text || memchr(text, '\0', json_string_length(json_object_get(json, field))))
        return refuse(why, why_len, field, "is not a text");
    return outbox_entry_set_text(out, text) == 0 ? OUTBOX_ENTRY_OK : OUTBOX_ENTRY_NO_MEMORY;
}

static int record_of(const json_t *value, StrBuf *out, char *why, size_t why_len, const char *field)
{
    int rc = codec_encode(value, out);
    if (rc == CODEC_NO_MEMORY)
        return OUTBOX_ENTRY_NO_MEMORY;
    return rc == CODEC_OK ? OUTBOX_ENTRY_OK : refuse(why, why_len, field, "cannot be encoded");
}

static int message_from_json(const json_t *json, OutboxEntry *e, char *why, size_t why_len)
{
    const json_t *to = json_object_get(json, "to"), *message = json_object_get(json, "message");
    if (!json_is_array(to))
        return refuse(why, why_len, "to", "is not a list");
    if (!json_is_object(message))
        return refuse(why, why_len, "message", "is not an object");
    size_t i;
    const json_t *each;
    json_array_foreach(to, i, each) {
        const char *person = json_string_value(json_object_get(each, "person"));
        int state = enum_of(json_string_value(json_object_get(each, "state")), state_name, OUTBOX_STATE_COUNT);
        if (!json_is_object(each) || json_object_size(each) != 2 || !person || state < 0 ||
            memchr(person, '\0', json_string_length(json_object_get(each, "person"))))
            return refuse(why, why_len, "to", "holds a recipient that is not {person, state}");
        if (outbox_entry_add_recipient(e, person, (OutboxState)state) != 0)
            return OUTBOX_ENTRY_NO_MEMORY;
    }
    int rc = text_field(message, "about", &e->about, why, why_len);
    if (rc != OUTBOX_ENTRY_OK)
        return rc;
    json_t *rest = json_object();
    const char *key;
    json_t *value;
    json_object_foreach((json_t *)message, key, value)
        if (rest && strcmp(key, "about") != 0 && json_object_set_nocheck(rest, key, value) != 0) {
            json_decref(rest);
            rest = NULL;
        }
    if (!rest)
        return OUTBOX_ENTRY_NO_MEMORY;
    rc = record_of(rest, &e->message, why, why_len, "message");
    json_decref(rest);
    e->has_message = true;
    return rc;
}

static int from_json(const json_t *json, OutboxEntry *e, char *why, size_t why_len)
{
    const char *key;
    json_t *value;
    json_object_foreach((json_t *)json, key, value) {
        size_t i = 0;
        while (FIELDS[i] && strcmp(FIELDS[i], key) != 0)
            i++;
        if (!FIELDS[i])
            return refuse(why, why_len, key, "is not a field of an entry");
    }
    int kind = enum_of(json_string_value(json_object_get(json, "kind")), kind_name, OUTBOX_KIND_COUNT);
    int status = enum_of(json_string_value(json_object_get(json, "status")), state_name, OUTBOX_STATE_COUNT);
    if (kind < 0)
        return refuse(why, why_len, "kind", "is not call, send, message or head");
    if (status != OUTBOX_PENDING && status != OUTBOX_FAILED)
        return refuse(why, why_len, "status", "is not pending or failed");
    e->kind = (OutboxKind)kind;
    e->status = (OutboxState)status;
    int64_t instance, suspension;
    int rc = json_integer_field(json, "instance", true, &instance, why, why_len);
    if (rc == OUTBOX_ENTRY_OK)
        rc = json_integer_field(json, "suspension", true, &suspension, why, why_len);
    static const char *const NUMBERS[] = {"index", "attempts", "created_ms", "next_ms", "lease_ms"};
    int64_t *const targets[] = {&e->index, &e->attempts, &e->created_ms, &e->next_ms, &e->lease_ms};
    for (size_t i = 0; rc == OUTBOX_ENTRY_OK && i < 5; i++)
        rc = json_integer_field(json, NUMBERS[i], false, targets[i], why, why_len);
    if (rc != OUTBOX_ENTRY_OK)
        return rc;
    e->instance = (uint64_t)instance;
    e->suspension = (uint64_t)suspension;
    if ((rc = text_field(json, "connector", &e->connector, why, why_len)) != OUTBOX_ENTRY_OK ||
        (rc = text_field(json, "operation", &e->operation, why, why_len)) != OUTBOX_ENTRY_OK ||
        (rc = text_field(json, "base", &e->base, why, why_len)) != OUTBOX_ENTRY_OK)
        return rc;
    if (json_object_get(json, "arg") &&
        (rc = record_of(json_object_get(json, "arg"), &e->arg, why, why_len, "arg")) != OUTBOX_ENTRY_OK)
        return rc;
    if ((json_object_get(json, "to") || json_object_get(json, "message")) &&
        (rc = message_from_json(json, e, why, why_len)) != OUTBOX_ENTRY_OK)
        return rc;
    if (json_object_get(json, "error"))
        return text_field(json, "error", &e->error, why, why_len);
    return OUTBOX_ENTRY_OK;
}

int outbox_entry_from_json(const json_t *json, OutboxEntry *out, char *why, size_t why_len)
{
    memset(out, 0, sizeof *out);
    if (!json_is_object(json)) {
        snprintf(why, why_len, "is not a readable outbox entry (not a JSON object)");
        return OUTBOX_ENTRY_DAMAGED;
    }
    int rc = from_json(json, out, why, why_len);
    if (rc == OUTBOX_ENTRY_NO_MEMORY)
        snprintf(why, why_len, "out of memory");
    if (rc != OUTBOX_ENTRY_OK)
        outbox_entry_free(out);
    return rc;
}

/* ---- to JSON ---- */

static json_t *record_json(const StrBuf *record)
{
    json_t *value;
    char why[200];
    return codec_decode(record->data, record->len, &value, why, sizeof why) == CODEC_OK ? value : NULL;
}

json_t *outbox_entry_arg_json(const OutboxEntry *e)
{
    return e->arg.len ? record_json(&e->arg) : json_null();
}

json_t *outbox_entry_message_json(const OutboxEntry *e)
{
    if (!e->has_message)
        return NULL;
    json_t *rest = record_json(&e->message), *message = json_object();
    bool ok = rest && message && json_object_set_new_nocheck(message, "about", json_string(e->about)) == 0;
    const char *key;
    json_t *value;
    json_object_foreach(ok ? rest : NULL, key, value)
        ok &= json_object_set_nocheck(message, key, value) == 0;
    json_decref(rest);
    if (!ok) {
        json_decref(message);
        return NULL;
    }
    return message;
}

static json_t *recipients_json(const OutboxEntry *e)
{
    json_t *to = json_array();
    for (size_t i = 0; to && i < e->to_count; i++) {
        json_t *each = json_object();
        if (!each || json_object_set_new_nocheck(each, "person", json_string(e->to[i].person)) != 0 ||
            json_object_set_new_nocheck(each, "state", json_string(outbox_state_text(e->to[i].state))) != 0 ||
            json_array_append_new(to, each) != 0) {
            json_decref(to);
            return NULL;
        }
    }
    return to;
}

static bool set(json_t *json, const char *key, json_t *value)
{
    return value && json_object_set_new_nocheck(json, key, value) == 0;
}

json_t *outbox_entry_json(const OutboxEntry *e)
{
    json_t *json = json_object();
    bool ok = json != NULL;
    const char *kind = outbox_kind_text(e->kind);
    if (e->kind == OUTBOX_HEAD)   /* engine_head_publish.c set it first */
        ok = ok && set(json, "kind", json_string(kind));
    ok = ok && set(json, "connector", json_string(e->connector)) && set(json, "operation", json_string(e->operation));
    if (ok && e->arg.len)
        ok = set(json, "arg", outbox_entry_arg_json(e));
    if (ok && e->has_message)
        ok = set(json, "to", recipients_json(e)) && set(json, "message", outbox_entry_message_json(e));
    if (ok && e->kind != OUTBOX_HEAD)
        ok = set(json, "kind", json_string(kind));
    ok = ok && set(json, "instance", json_integer((json_int_t)e->instance)) &&
         set(json, "suspension", json_integer((json_int_t)e->suspension)) && set(json, "base", json_string(e->base)) &&
         set(json, "index", json_integer(e->index)) && set(json, "status", json_string(outbox_state_text(e->status))) &&
         set(json, "attempts", json_integer(e->attempts)) && set(json, "created_ms", json_integer(e->created_ms)) &&
         set(json, "next_ms", json_integer(e->next_ms)) && set(json, "lease_ms", json_integer(e->lease_ms));
    if (ok && e->error)
        ok = set(json, "error", json_string(e->error));
    if (!ok) {
        json_decref(json);
        return NULL;
    }
    return json;
}

/* ---- for the typed values' hooks ---- */

int outbox_entry_load_json(const void *data, size_t len, json_t **out, char *why, size_t why_len)
{
    OutboxEntry e;
    *out = NULL;
    int rc = outbox_entry_decode(data, len, &e, why, why_len);
    if (rc != OUTBOX_ENTRY_OK)
        return rc == OUTBOX_ENTRY_NO_MEMORY ? CODEC_NO_MEMORY : CODEC_DAMAGED;
    *out = outbox_entry_json(&e);
    outbox_entry_free(&e);
    if (!*out)
        snprintf(why, why_len, "out of memory");
    return *out ? CODEC_OK : CODEC_NO_MEMORY;
}

bool outbox_entry_encode_json(const json_t *value, StrBuf *out)
{
    OutboxEntry e;
    char why[240];
    if (outbox_entry_from_json(value, &e, why, sizeof why) != OUTBOX_ENTRY_OK)
        return false;
    json_t *back = outbox_entry_json(&e);
    size_t mark = out->len;
    bool same = back && json_equal(back, value) && outbox_entry_encode(&e, out) == 0;
    if (!same && !strbuf_failed(out))
        out->len = mark;
    json_decref(back);
    outbox_entry_free(&e);
    return same;
}
