/*
 * engine_small_values.c - the bytes of the typed seen entries and case owners
 * (engine_small_values.h). Version 1 of each, after its version byte 0x10:
 *
 *   seen entry   varint at (ms since 1970, at most 9999-12-31T23:59:59.999Z; it stands
 *                for the engine's text of it, small_time_text)
 *                varint poison (0: none; else the attempts + 1)
 *                varint routes, then each route: a byte for its kind and its fields
 *                  1 started, 2 joined   string playbook, varint instance number
 *                  3 counted             string playbook
 *                  4 error               string playbook, string error
 *                  5 directory away, 6 directory back   (nothing)
 *   case owner   varint instance (at most 2^63 - 1), varint until (ms, 0: none, at
 *                most 2^63 - 1), then the version's 32 bytes, or nothing for an owner
 *                written before versions were kept
 *   event entry  string source, string type, string id, varint time (ms, as `at`),
 *   (mailbox,    then the event's data as the codec's record of format 2 (its format
 *   window)      byte first) to the end
 *
 * A string is a varint length and that many bytes of UTF-8 (an event's source, type
 * and id without a NUL: they are C strings of the engine's). Varints are the codec's
 * (LEB128, the shortest form only). Nothing may follow the value.
 */
#include "engine_small_values.h"
#include "engine_codec.h"
#include "engine_task_record.h"

#include "engine_outbox_entry.h"
#include "civil.h"
#include "utf8.h"

#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

enum { ROUTE_STARTED = 1, ROUTE_JOINED, ROUTE_COUNTED, ROUTE_ERROR, ROUTE_AWAY, ROUTE_BACK };
#define HASH_BYTES 32

bool small_value_table(StoreTable table)
{
    return table == TABLE_SEEN || table == TABLE_CASES || table == TABLE_MAILBOX || table == TABLE_WINDOWS;
}

/* What a value of `table` is called in a sentence. */
static const char *kind_name(StoreTable table)
{
    return table == TABLE_SEEN ? "seen entry" : table == TABLE_CASES ? "case owner"
         : table == TABLE_MAILBOX ? "mailbox entry" : "threshold window entry";
}

bool small_value_typed(StoreTable table, const void *data, size_t len)
{
    if (table == TABLE_TASKS)       /* the task record's own (engine_task_record.h) */
        return task_record_is_typed(data, len);

    if (table == TABLE_OUTBOX)   /* an outbox entry of its own encoding (engine_outbox_entry.h) */
        return outbox_entry_is_typed(data, len);
    return small_value_table(table) && byte_version_in(data, len, SMALL_VALUE_1, SMALL_VALUE_NEWEST_BYTE);
}

size_t small_time_text(int64_t ms, char out[SMALL_TIME_TEXT])
{
    char text[CIVIL_TIME_TEXT];
    size_t len = civil_time_text(ms, 0, text);     /* 20 or 24 bytes up to CODEC_TIME_MAX */
    memcpy(out, text, len + 1);
    return len;
}

/* ---- reading ---- */

typedef ByteReader Reader;    /* engine_codec.h: its sentences name the value's kind */

static int damaged(Reader *r, const char *problem)
{
    byte_reader_damaged(r, problem);
    return CODEC_DAMAGED;
}

/* The version byte: CODEC_OK for version 1. */
static int read_version(Reader *r)
{
    if (r->len == 0 || r->bytes[0] < SMALL_VALUE_1 || r->bytes[0] > SMALL_VALUE_NEWEST_BYTE)
        return damaged(r, "no version byte");
    if (r->bytes[0] != SMALL_VALUE_1) {
        snprintf(r->why, r->why_len, "is a %s of version %d, newer than this huddle reads (version 1)", r->kind,
                 r->bytes[0] - SMALL_VALUE_1 + 1);
        return CODEC_DAMAGED;
    }
    r->at = 1;
    return CODEC_OK;
}

static int read_varint(Reader *r, uint64_t max, uint64_t *out)
{
    if (!byte_reader_varint(r, out))
        return CODEC_DAMAGED;
    if (*out > max)
        return damaged(r, "a number out of range");
    return CODEC_OK;
}

static int read_bytes(Reader *r, size_t count, const unsigned char **out)
{
    return byte_reader_bytes(r, count, out) ? CODEC_OK : CODEC_DAMAGED;
}

static int read_string(Reader *r, const char **text, size_t *text_len)
{
    return byte_reader_string(r, text, text_len) ? CODEC_OK : CODEC_DAMAGED;
}

/* A string that is a C string of the engine's (an event's source, type, id): no NUL. */
static int read_cstring(Reader *r, const char **text, size_t *text_len)
{
    int rc = read_string(r, text, text_len);
    if (rc == CODEC_OK && memchr(*text, '\0', *text_len)) {
        r->at -= *text_len;
        return damaged(r, "text with a NUL byte");
    }
    return rc;
}

static int read_end(Reader *r)
{
    return byte_reader_end(r, "bytes after the value") ? CODEC_OK : CODEC_DAMAGED;
}

/* ---- seen entries ---- */

/* One route read from r into `went` (NULL: only checked). */
static int seen_route(Reader *r, json_t *went)
{
    const unsigned char *kind;
    const char *playbook = NULL, *error = NULL;
    size_t playbook_len = 0, error_len = 0;
    uint64_t instance = 0;
    int rc = read_bytes(r, 1, &kind);
    if (rc == CODEC_OK && (*kind < ROUTE_STARTED || *kind > ROUTE_BACK)) {
        r->at--;
        return damaged(r, "a route of no known kind");
    }
    if (rc == CODEC_OK && *kind <= ROUTE_ERROR)
        rc = read_string(r, &playbook, &playbook_len);
    if (rc == CODEC_OK && *kind <= ROUTE_JOINED)
        rc = read_varint(r, UINT64_MAX, &instance);
    if (rc == CODEC_OK && *kind <= ROUTE_JOINED && instance == 0)
        return damaged(r, "an instance number 0");
    if (rc == CODEC_OK && *kind == ROUTE_ERROR)
        rc = read_string(r, &error, &error_len);
    if (rc != CODEC_OK || !went)
        return rc;
    json_t *route = json_object();
    int failed = !route;
    if (*kind >= ROUTE_AWAY) {
        failed |= json_object_set_new(route, "directory", json_string(*kind == ROUTE_AWAY ? "away" : "back"));
    } else {
        failed |= json_object_set_new(route, "playbook", json_stringn(playbook, playbook_len));
        if (*kind <= ROUTE_JOINED) {
            char id[32];
            snprintf(id, sizeof id, "i%" PRIu64, instance);
            failed |= json_object_set_new(route, "instance", json_string(id));
        }
        if (*kind == ROUTE_ERROR)
            failed |= json_object_set_new(route, "error", json_stringn(error, error_len));
        else
            failed |= json_object_set_new(route, "as", json_string(*kind == ROUTE_STARTED ? "started"
                                                                   : *kind == ROUTE_JOINED ? "joined" : "counted"));
    }
    failed |= json_array_append_new(went, route);
    return failed ? CODEC_NO_MEMORY : CODEC_OK;
}

/* Reads a typed seen entry whole: its time, and (when entry is not NULL) its fields
   into the object `entry`. */
static int seen_read(Reader *r, int64_t *at_ms, json_t *entry)
{
    uint64_t at, poison, count;
    int rc = read_version(r);
    if (rc == CODEC_OK)
        rc = read_varint(r, CODEC_TIME_MAX, &at);
    if (rc == CODEC_OK)
        rc = read_varint(r, (uint64_t)INT64_MAX, &poison);
    if (rc == CODEC_OK)
        rc = read_varint(r, r->len - r->at, &count);   /* each route takes a byte at least */
    if (rc != CODEC_OK)
        return rc;
    *at_ms = (int64_t)at;
    json_t *went = NULL;
    if (entry) {
        char text[SMALL_TIME_TEXT];
        small_time_text((int64_t)at, text);
        went = json_array();
        if (json_object_set_new(entry, "at", json_string(text)) ||
            json_object_set_new(entry, "went", went))
            return CODEC_NO_MEMORY;
    }
    for (uint64_t i = 0; rc == CODEC_OK && i < count; i++)
        rc = seen_route(r, went);
    if (rc == CODEC_OK)
        rc = read_end(r);
    if (rc == CODEC_OK && entry && poison &&
        json_object_set_new(entry, "poison_attempts", json_integer((json_int_t)(poison - 1))))
        rc = CODEC_NO_MEMORY;
    return rc;
}

int seen_value_at(const void *data, size_t len, int64_t *at_ms, char *why, size_t why_len)
{
    Reader r;
    byte_reader_init(&r, data, len, 0, "seen entry", why, why_len);
    return seen_read(&r, at_ms, NULL);
}

/* ---- case owners ---- */

static int case_read(Reader *r, CaseOwner *out)
{
    uint64_t instance, until;
    memset(out, 0, sizeof *out);
    int rc = read_version(r);
    if (rc == CODEC_OK)
        rc = read_varint(r, (uint64_t)INT64_MAX, &instance);
    if (rc == CODEC_OK)
        rc = read_varint(r, (uint64_t)INT64_MAX, &until);
    if (rc != CODEC_OK)
        return rc;
    out->instance = instance;
    out->until = (int64_t)until;
    if (r->len - r->at == HASH_BYTES) {
        codec_hex_text(r->bytes + r->at, HASH_BYTES, out->version);
        out->version[2 * HASH_BYTES] = '\0';
        out->has_version = true;
        r->at += HASH_BYTES;
    }
    return r->at == r->len ? CODEC_OK : damaged(r, "a version that is not 32 bytes");
}

int case_owner_decode(const void *data, size_t len, CaseOwner *out, char *why, size_t why_len)
{
    Reader r;
    byte_reader_init(&r, data, len, 0, "case owner", why, why_len);
    return case_read(&r, out);
}

static int case_json(Reader *r, json_t *entry)
{
    CaseOwner owner;
    int rc = case_read(r, &owner);
    if (rc != CODEC_OK)
        return rc;
    int failed = json_object_set_new(entry, "instance", json_integer((json_int_t)owner.instance));
    failed |= json_object_set_new(entry, "until", json_integer((json_int_t)owner.until));
    if (owner.has_version)
        failed |= json_object_set_new(entry, "version", json_string(owner.version));
    return failed ? CODEC_NO_MEMORY : CODEC_OK;
}

/* ---- events kept ---- */

static int event_read(Reader *r, EventEntry *out)
{
    uint64_t time;
    memset(out, 0, sizeof *out);
    int rc = read_version(r);
    if (rc == CODEC_OK)
        rc = read_cstring(r, &out->source, &out->source_len);
    if (rc == CODEC_OK)
        rc = read_cstring(r, &out->type, &out->type_len);
    if (rc == CODEC_OK)
        rc = read_cstring(r, &out->id, &out->id_len);
    if (rc == CODEC_OK)
        rc = read_varint(r, CODEC_TIME_MAX, &time);
    if (rc != CODEC_OK)
        return rc;
    out->time_ms = (int64_t)time;
    if (r->at == r->len || r->bytes[r->at] != CODEC_FORMAT)
        return damaged(r, "data that is not a record of format 2");
    char what[160];
    rc = codec_decode(r->bytes + r->at, r->len - r->at, &out->data, what, sizeof what);
    if (rc == CODEC_DAMAGED)
        snprintf(r->why, r->why_len, "is not a readable %s (its data after byte %zu: %s)", r->kind, r->at, what);
    else if (rc != CODEC_OK)
        snprintf(r->why, r->why_len, "out of memory");
    return rc;
}

int event_entry_decode(StoreTable table, const void *data, size_t len, EventEntry *out, char *why,
                       size_t why_len)
{
    Reader r;
    byte_reader_init(&r, data, len, 0, kind_name(table), why, why_len);
    return event_read(&r, out);
}

static int event_json(Reader *r, json_t *entry)
{
    EventEntry event;
    int rc = event_read(r, &event);
    if (rc != CODEC_OK)
        return rc;
    char time[SMALL_TIME_TEXT];
    small_time_text(event.time_ms, time);
    int failed = json_object_set_new(entry, "source", json_stringn(event.source, event.source_len));
    failed |= json_object_set_new(entry, "type", json_stringn(event.type, event.type_len));
    failed |= json_object_set_new(entry, "id", json_stringn(event.id, event.id_len));
    failed |= json_object_set_new(entry, "time", json_string(time));
    failed |= json_object_set_new(entry, "data", event.data);
    return failed ? CODEC_NO_MEMORY : CODEC_OK;
}

/* ---- any value of the tables, as JSON ---- */

int small_value_load(StoreTable table, const void *data, size_t len, json_t **out, char *why,
                     size_t why_len)
{
    if (table == TABLE_TASKS)
        return task_record_load(data, len, out, why, why_len);
    if (!small_value_typed(table, data, len))
        return codec_load(data, len, out, why, why_len);
    if (table == TABLE_OUTBOX)
        return outbox_entry_load_json(data, len, out, why, why_len);
    Reader r;
    byte_reader_init(&r, data, len, 0, kind_name(table), why, why_len);
    int64_t at;
    *out = json_object();
    int rc = !*out ? CODEC_NO_MEMORY : table == TABLE_SEEN ? seen_read(&r, &at, *out)
           : table == TABLE_CASES ? case_json(&r, *out) : event_json(&r, *out);
    if (rc == CODEC_NO_MEMORY)
        snprintf(why, why_len, "out of memory");
    if (rc != CODEC_OK) {
        json_decref(*out);
        *out = NULL;
    }
    return rc;
}

/* ---- writing ---- */

static void put_string(StrBuf *out, const char *text, size_t len)
{
    strbuf_put_varint(out, len);
    strbuf_append(out, text, len);
}

/* The text of member `name` of `object`, or NULL. */
static const char *text_of(const json_t *object, const char *name, size_t *len)
{
    const json_t *value = json_object_get(object, name);
    *len = json_string_length(value);
    return json_string_value(value);
}

/* The number of an instance id "iN" as huddle writes it (N from 1, no leading zero,
   below 2^64), or 0. */
static uint64_t instance_number(const char *id, size_t len)
{
    if (!id || len < 2 || len > 21 || id[0] != 'i' || id[1] < '1' || id[1] > '9')
        return 0;
    uint64_t n = 0;
    for (size_t i = 1; i < len; i++) {
        unsigned digit = (unsigned)(id[i] - '0');
        if (digit > 9 || n > (UINT64_MAX - digit) / 10)
            return 0;
        n = n * 10 + digit;
    }
    return n;
}

/* A route's members by name (each a string, or NULL when absent or not a string);
   false for a member of another name. */
typedef struct RouteMembers {
    const json_t *playbook, *instance, *as, *error, *directory;
} RouteMembers;

static bool route_members(const json_t *route, RouteMembers *m)
{
    memset(m, 0, sizeof *m);
    const char *name;
    json_t *value;
    json_object_foreach((json_t *)route, name, value) {
        const json_t **slot = strcmp(name, "playbook") == 0 ? &m->playbook
                            : strcmp(name, "instance") == 0 ? &m->instance
                            : strcmp(name, "as") == 0 ? &m->as
                            : strcmp(name, "error") == 0 ? &m->error
                            : strcmp(name, "directory") == 0 ? &m->directory : NULL;
        if (!slot || !json_is_string(value))
            return false;
        *slot = value;
    }
    return json_is_object(route);
}

static bool text_is(const json_t *text, const char *word)
{
    return text && strcmp(json_string_value(text), word) == 0;
}

/* Appends one route of engine_event_routes' form: false for any other shape. */
static bool seen_route_put(const json_t *route, StrBuf *out)
{
    RouteMembers m;
    if (!route_members(route, &m))
        return false;
    if (m.directory && !m.playbook && !m.instance && !m.as && !m.error &&
        (text_is(m.directory, "away") || text_is(m.directory, "back"))) {
        strbuf_putc(out, text_is(m.directory, "away") ? ROUTE_AWAY : ROUTE_BACK);
        return true;
    }
    if (!m.playbook || m.directory)
        return false;
    uint64_t instance = m.instance ? instance_number(json_string_value(m.instance), json_string_length(m.instance)) : 0;
    unsigned kind = m.error && !m.as && !m.instance ? ROUTE_ERROR
                  : m.error || !m.as ? 0
                  : !m.instance ? (text_is(m.as, "counted") ? ROUTE_COUNTED : 0)
                  : !instance ? 0
                  : text_is(m.as, "started") ? ROUTE_STARTED : text_is(m.as, "joined") ? ROUTE_JOINED : 0;
    if (!kind)
        return false;
    strbuf_putc(out, (char)kind);
    put_string(out, json_string_value(m.playbook), json_string_length(m.playbook));
    if (kind <= ROUTE_JOINED)
        strbuf_put_varint(out, instance);
    if (kind == ROUTE_ERROR)
        put_string(out, json_string_value(m.error), json_string_length(m.error));
    return true;
}

bool seen_value_encode(int64_t at_ms, const json_t *went, long long poison_attempts, StrBuf *out)
{
    if (at_ms < 0 || (uint64_t)at_ms > CODEC_TIME_MAX || !json_is_array(went) || poison_attempts == LLONG_MAX)
        return false;
    size_t mark = out->len;
    strbuf_putc(out, SMALL_VALUE_1);
    strbuf_put_varint(out, (uint64_t)at_ms);
    strbuf_put_varint(out, poison_attempts < 0 ? 0 : (uint64_t)poison_attempts + 1);
    strbuf_put_varint(out, json_array_size(went));
    for (size_t i = 0; i < json_array_size(went); i++)
        if (!seen_route_put(json_array_get(went, i), out)) {
            out->len = mark;
            return false;
        }
    return true;
}

static int hex_digit(char c)
{
    return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

bool case_owner_encode(const CaseOwner *owner, StrBuf *out)
{
    unsigned char hash[HASH_BYTES];
    if (owner->instance > (uint64_t)INT64_MAX || owner->until < 0)
        return false;
    if (owner->has_version) {
        if (strlen(owner->version) != 2 * HASH_BYTES)
            return false;
        for (size_t i = 0; i < HASH_BYTES; i++) {
            int high = hex_digit(owner->version[2 * i]), low = hex_digit(owner->version[2 * i + 1]);
            if (high < 0 || low < 0)
                return false;
            hash[i] = (unsigned char)(high << 4 | low);
        }
    }
    strbuf_putc(out, SMALL_VALUE_1);
    strbuf_put_varint(out, owner->instance);
    strbuf_put_varint(out, (uint64_t)owner->until);
    if (owner->has_version)
        strbuf_append(out, (const char *)hash, HASH_BYTES);
    return true;
}

static bool utf8_text(const char *text)
{
    size_t len = strlen(text);
    return utf8_valid_prefix((const unsigned char *)text, len) == len;
}

bool event_entry_encode(const char *source, const char *type, const char *id, int64_t time_ms,
                        const json_t *data, StrBuf *out)
{
    if (time_ms < 0 || (uint64_t)time_ms > CODEC_TIME_MAX || !data || !utf8_text(source) || !utf8_text(type) ||
        !utf8_text(id))
        return false;
    size_t mark = out->len;
    strbuf_putc(out, SMALL_VALUE_1);
    put_string(out, source, strlen(source));
    put_string(out, type, strlen(type));
    put_string(out, id, strlen(id));
    strbuf_put_varint(out, (uint64_t)time_ms);
    if (codec_encode(data, out) != CODEC_OK && !strbuf_failed(out)) {
        out->len = mark;   /* too deep for a record: the caller writes it as before */
        return false;
    }
    return true;
}

/* ---- from the JSON form ---- */

/* The milliseconds of a time written as small_time_text writes it: true when `text` is
   exactly that text of them. */
static bool time_of_text(const char *text, size_t len, int64_t *ms)
{
    static const char SHAPE[] = "dddd-dd-ddTdd:dd:dd.dddZ", WHOLE[] = "dddd-dd-ddTdd:dd:ddZ";
    if (!text || (len != CODEC_TIME_LEN && len != CODEC_TIME_LEN - 4))
        return false;
    const char *shape = len == CODEC_TIME_LEN ? SHAPE : WHOLE;
    long long field[7] = {0};
    int which = 0;
    for (size_t i = 0; i < len; i++) {
        if (shape[i] != 'd' && text[i] != shape[i])
            return false;
        if (shape[i] != 'd') {
            which++;
            continue;
        }
        if (text[i] < '0' || text[i] > '9')
            return false;
        field[which] = field[which] * 10 + (text[i] - '0');
    }
    /* days from 1970-01-01 of the civil date (the proleptic Gregorian calendar) */
    long long y = field[0] - (field[1] <= 2), m = field[1], d = field[2];
    long long era = y / 400, yoe = y - era * 400;
    long long doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    long long days = era * 146097 + yoe * 365 + yoe / 4 - yoe / 100 + doy - 719468;
    long long total = (((days * 24 + field[3]) * 60 + field[4]) * 60 + field[5]) * 1000 + field[6];
    if (total < 0 || (uint64_t)total > CODEC_TIME_MAX)
        return false;
    char again[SMALL_TIME_TEXT];
    *ms = total;
    return small_time_text(total, again) == len && memcmp(again, text, len) == 0;   /* no 02-30, no .000 */
}

bool small_time_parse(const char *text, size_t len, int64_t *ms)
{
    return text && time_of_text(text, len, ms);
}

static bool seen_encode_json(const json_t *entry, StrBuf *out)
{
    const json_t *poison = json_object_get(entry, "poison_attempts");
    size_t at_len;
    const char *at = text_of(entry, "at", &at_len);
    int64_t ms;
    if (json_object_size(entry) != 2u + (poison != NULL) || (poison && (!json_is_integer(poison) ||
        json_integer_value(poison) < 0)) || !time_of_text(at, at_len, &ms))
        return false;
    return seen_value_encode(ms, json_object_get(entry, "went"), poison ? json_integer_value(poison) : -1, out);
}

static bool case_encode_json(const json_t *entry, StrBuf *out)
{
    const json_t *instance = json_object_get(entry, "instance"), *until = json_object_get(entry, "until");
    size_t version_len = 0;
    const char *version = text_of(entry, "version", &version_len);
    if (!json_is_integer(instance) || !json_is_integer(until) || json_integer_value(instance) < 0 ||
        json_object_size(entry) != 2u + (version != NULL) || (json_object_get(entry, "version") && !version) ||
        version_len > 64)
        return false;
    CaseOwner owner = {(uint64_t)json_integer_value(instance), json_integer_value(until), version != NULL, ""};
    if (version)
        memcpy(owner.version, version, version_len + 1);
    return case_owner_encode(&owner, out);
}

static bool event_encode_json(const json_t *entry, StrBuf *out)
{
    size_t len[4];
    const char *source = text_of(entry, "source", &len[0]), *type = text_of(entry, "type", &len[1]);
    const char *id = text_of(entry, "id", &len[2]), *time = text_of(entry, "time", &len[3]);
    int64_t ms;
    if (json_object_size(entry) != 5 || !json_object_get(entry, "data") || !source || !type || !id ||
        strlen(source) != len[0] || strlen(type) != len[1] || strlen(id) != len[2] || !time_of_text(time, len[3], &ms))
        return false;   /* a NUL inside: not as the engine writes them */
    return event_entry_encode(source, type, id, ms, json_object_get(entry, "data"), out);
}

bool small_value_encode_json(StoreTable table, const json_t *value, StrBuf *out)
{
    if (table == TABLE_TASKS)
        return task_record_encode_json(value, out) == TASK_RECORD_OK;

    if (json_is_object(value) && table == TABLE_OUTBOX)
        return outbox_entry_encode_json(value, out);
    if (!json_is_object(value) || !small_value_table(table))
        return false;
    return table == TABLE_SEEN ? seen_encode_json(value, out)
         : table == TABLE_CASES ? case_encode_json(value, out) : event_encode_json(value, out);
}
