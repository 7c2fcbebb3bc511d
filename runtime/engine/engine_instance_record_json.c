/*
 * engine_instance_record_json.c - an instance's record between its struct and the JSON
 * object older huddles stored (the codec's binary form, or JSON text in a store of
 * schema 1): read from it when an old entry is loaded, written as it for the tools
 * that make old stores (tests/crash/store_schema1) and read any store.
 */
#include "engine_instance_record.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine_codec.h"

/* ---- from the JSON object ---- */

static int refuse(char *why, size_t why_len, const char *field, const char *kind)
{
    snprintf(why, why_len, "has a \"%s\" that is not %s", field, kind);
    return INSTANCE_RECORD_DAMAGED;
}

/* "i<digits>" as its number: 0 for anything else. */
static uint64_t id_number(const char *id)
{
    if (!id || id[0] != 'i' || id[1] < '1' || id[1] > '9')
        return 0;
    uint64_t n = 0;
    for (const char *p = id + 1; *p; p++) {
        if (*p < '0' || *p > '9' || n > (UINT64_MAX - 9) / 10)
            return 0;
        n = n * 10 + (uint64_t)(*p - '0');
    }
    return n;
}

/* An integer member that is absent (0) or a count (not negative). */
static bool get_count(const json_t *json, const char *field, uint64_t *out)
{
    const json_t *value = json_object_get(json, field);
    *out = 0;
    if (!value)
        return true;
    if (!json_is_integer(value) || json_integer_value(value) < 0)
        return false;
    *out = (uint64_t)json_integer_value(value);
    return true;
}

/* A text member that is absent or null (NULL) or a text (copied). */
static int get_text(const json_t *json, const char *field, char **out, char *why, size_t why_len)
{
    const json_t *value = json_object_get(json, field);
    if (!value || json_is_null(value))
        return INSTANCE_RECORD_OK;
    if (!json_is_string(value))
        return refuse(why, why_len, field, "a text");
    return instance_record_set_text(out, json_string_value(value)) == 0 ? INSTANCE_RECORD_OK
                                                                         : INSTANCE_RECORD_NO_MEMORY;
}

static int get_head(const json_t *json, InstanceRecord *r, char *why, size_t why_len)
{
    uint64_t number = id_number(json_string_value(json_object_get(json, "id")));
    if (!number)
        return refuse(why, why_len, "id", "an instance id");
    instance_record_set_number(r, number);
    const char *version = json_string_value(json_object_get(json, "version"));
    if (!version || instance_record_set_version(r, version) != 0)
        return refuse(why, why_len, "version", "a program's hash");
    const char *status = json_string_value(json_object_get(json, "status"));
    r->status = INSTANCE_STATUS_COUNT;
    for (int i = 0; status && i < INSTANCE_STATUS_COUNT; i++)
        if (strcmp(status, instance_status_text((InstanceStatus)i)) == 0)
            r->status = (InstanceStatus)i;
    if (r->status == INSTANCE_STATUS_COUNT)
        return refuse(why, why_len, "status", "an instance's status");
    const json_t *created = json_object_get(json, "created_ms");
    if (created && !json_is_integer(created))
        return refuse(why, why_len, "created_ms", "an integer");
    r->created_ms = (int64_t)json_integer_value(created);
    static const char *const COUNTS[] = {"step", "history", "case_events", "mailbox_discarded",
                                         "outbox_step", "outbox_next"};
    uint64_t *fields[] = {&r->step, &r->history, &r->case_events, &r->mailbox_discarded,
                          &r->outbox_step, &r->outbox_next};
    for (size_t i = 0; i < sizeof COUNTS / sizeof COUNTS[0]; i++)
        if (!get_count(json, COUNTS[i], fields[i]))
            return refuse(why, why_len, COUNTS[i], "a count");
    return INSTANCE_RECORD_OK;
}

static int get_texts(const json_t *json, InstanceRecord *r, char *why, size_t why_len)
{
    int rc = json_is_string(json_object_get(json, "playbook")) ? INSTANCE_RECORD_OK
                                                                : refuse(why, why_len, "playbook", "a text");
    static const char *const TEXTS[] = {"playbook", "state", "case_key", "task", "created_at"};
    char **fields[] = {&r->playbook, &r->state, &r->case_key, &r->task, &r->created_at};
    for (size_t i = 0; rc == INSTANCE_RECORD_OK && i < sizeof TEXTS / sizeof TEXTS[0]; i++)
        rc = get_text(json, TEXTS[i], fields[i], why, why_len);
    if (rc != INSTANCE_RECORD_OK || !r->created_at)
        return rc;
    char derived[40];
    char *kept = r->created_at;
    r->created_at = NULL;
    instance_record_created_at(r, derived);
    if (strcmp(kept, derived) == 0)
        free(kept);         /* the text of created_ms, as every record the engine made has */
    else
        r->created_at = kept;
    return INSTANCE_RECORD_OK;
}

static int get_lists(const json_t *json, InstanceRecord *r, char *why, size_t why_len)
{
    const json_t *tags = json_object_get(json, "tags"), *timers = json_object_get(json, "timers"), *item;
    size_t i;
    if (tags && !json_is_array(tags))
        return refuse(why, why_len, "tags", "a list of texts");
    json_array_foreach(tags, i, item) {
        if (!json_is_string(item))
            return refuse(why, why_len, "tags", "a list of texts");
        if (instance_record_add_tag(r, json_string_value(item)) != 0)
            return INSTANCE_RECORD_NO_MEMORY;
    }
    if (timers && !json_is_array(timers))
        return refuse(why, why_len, "timers", "a list of timer keys");
    json_array_foreach(timers, i, item) {
        const char *hex = json_string_value(item);
        unsigned char key[INSTANCE_TIMER_KEY];
        if (hex && instance_record_hex(hex, INSTANCE_TIMER_KEY, key) && instance_record_add_timer(r, key) != 0)
            return INSTANCE_RECORD_NO_MEMORY;   /* one that is not a key named no timer */
    }
    return INSTANCE_RECORD_OK;
}

int instance_record_from_json(const json_t *json, InstanceRecord *out, char *why, size_t why_len)
{
    memset(out, 0, sizeof *out);
    int rc = json_is_object(json) ? get_head(json, out, why, why_len)
                                  : (snprintf(why, why_len, "is not a JSON object"), INSTANCE_RECORD_DAMAGED);
    if (rc == INSTANCE_RECORD_OK)
        rc = get_texts(json, out, why, why_len);
    if (rc == INSTANCE_RECORD_OK)
        rc = get_lists(json, out, why, why_len);
    static const char *const RARE[] = {"outcome", "start_input", "stalled_input", "held_timers"};
    json_t **fields[] = {&out->outcome, &out->start_input, &out->stalled_input, &out->held_timers};
    for (size_t i = 0; rc == INSTANCE_RECORD_OK && i < 4; i++) {
        json_t *value = json_object_get(json, RARE[i]);
        if (value && !json_is_null(value))
            *fields[i] = json_deep_copy(value);
        if (value && !json_is_null(value) && !*fields[i])
            rc = INSTANCE_RECORD_NO_MEMORY;
    }
    if (rc == INSTANCE_RECORD_NO_MEMORY)
        snprintf(why, why_len, "out of memory");
    if (rc != INSTANCE_RECORD_OK)
        instance_record_free(out);
    return rc;
}

/* ---- to the JSON object ---- */

static json_t *texts_json(char *const *texts, size_t count)
{
    json_t *list = json_array();
    for (size_t i = 0; list && i < count; i++)
        if (json_array_append_new(list, json_string(texts[i])) != 0) {
            json_decref(list);
            return NULL;
        }
    return list;
}

json_t *instance_record_tags_json(const InstanceRecord *r)
{
    return texts_json(r->tags, r->tag_count);
}

static json_t *timers_json(const InstanceRecord *r)
{
    json_t *list = json_array();
    for (size_t i = 0; list && i < r->timer_count; i++) {
        char hex[2 * INSTANCE_TIMER_KEY + 1];
        codec_hex_text(r->timers[i], INSTANCE_TIMER_KEY, hex);
        hex[2 * INSTANCE_TIMER_KEY] = '\0';
        if (json_array_append_new(list, json_string(hex)) != 0) {
            json_decref(list);
            return NULL;
        }
    }
    return list;
}

static json_t *text_or_null(const char *text)
{
    return text ? json_string(text) : json_null();
}

json_t *instance_record_json(const InstanceRecord *r)
{
    json_t *json = json_object();
    char at[40];
    instance_record_created_at(r, at);
    int unset = !json;
    unset |= json_object_set_new(json, "id", json_string(r->id));
    unset |= json_object_set_new(json, "playbook", json_string(r->playbook ? r->playbook : ""));
    unset |= json_object_set_new(json, "version", json_string(r->version));
    unset |= json_object_set_new(json, "status", json_string(instance_status_text(r->status)));
    unset |= json_object_set_new(json, "created_at", json_string(at));
    unset |= json_object_set_new(json, "created_ms", json_integer(r->created_ms));
    unset |= json_object_set_new(json, "tags", texts_json(r->tags, r->tag_count));
    unset |= json_object_set_new(json, "step", json_integer((json_int_t)r->step));
    unset |= json_object_set_new(json, "history", json_integer((json_int_t)r->history));
    unset |= json_object_set_new(json, "state", text_or_null(r->state));
    if (r->case_key) {
        unset |= json_object_set_new(json, "case_key", json_string(r->case_key));
        unset |= json_object_set_new(json, "case_events", json_integer((json_int_t)r->case_events));
    }
    if (r->task)
        unset |= json_object_set_new(json, "task", json_string(r->task));
    if (r->timer_count)
        unset |= json_object_set_new(json, "timers", timers_json(r));
    if (r->mailbox_discarded)
        unset |= json_object_set_new(json, "mailbox_discarded", json_integer((json_int_t)r->mailbox_discarded));
    if (r->outbox_step) {
        unset |= json_object_set_new(json, "outbox_step", json_integer((json_int_t)r->outbox_step));
        unset |= json_object_set_new(json, "outbox_next", json_integer((json_int_t)r->outbox_next));
    }
    static const char *const RARE[] = {"outcome", "start_input", "stalled_input", "held_timers"};
    json_t *const fields[] = {r->outcome, r->start_input, r->stalled_input, r->held_timers};
    for (size_t i = 0; i < 4; i++)
        if (fields[i])
            unset |= json_object_set(json, RARE[i], fields[i]);
    if (unset) {
        json_decref(json);
        return NULL;
    }
    return json;
}

/* ---- any stored form ---- */

int instance_record_stored_json(const void *data, size_t len, json_t **out, char *why, size_t why_len)
{
    *out = NULL;
    if (!instance_record_is_typed(data, len)) {
        int rc = codec_load(data, len, out, why, why_len);
        return rc == CODEC_OK ? INSTANCE_RECORD_OK
             : rc == CODEC_NO_MEMORY ? INSTANCE_RECORD_NO_MEMORY : INSTANCE_RECORD_DAMAGED;
    }
    InstanceRecord r;
    int rc = instance_record_decode(data, len, &r, why, why_len);
    if (rc != INSTANCE_RECORD_OK)
        return rc;
    *out = instance_record_json(&r);
    instance_record_free(&r);
    if (!*out)
        snprintf(why, why_len, "out of memory");
    return *out ? INSTANCE_RECORD_OK : INSTANCE_RECORD_NO_MEMORY;
}

int instance_record_load(const void *data, size_t len, InstanceRecord *out, char *why, size_t why_len)
{
    if (instance_record_is_typed(data, len))
        return instance_record_decode(data, len, out, why, why_len);
    memset(out, 0, sizeof *out);
    json_t *json;
    int rc = codec_load(data, len, &json, why, why_len);
    if (rc != CODEC_OK)
        return rc == CODEC_NO_MEMORY ? INSTANCE_RECORD_NO_MEMORY : INSTANCE_RECORD_DAMAGED;
    rc = instance_record_from_json(json, out, why, why_len);
    json_decref(json);
    return rc;
}
