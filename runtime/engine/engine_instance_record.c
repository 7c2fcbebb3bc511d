/*
 * engine_instance_record.c - an instance's record (engine_instance_record.h): the struct's
 * fields, its binary encoding, and the conversions from and to the older JSON record.
 *
 * The encoding (varints are LEB128, shortest form; a text is a varint length and that
 * many bytes of UTF-8 with no NUL; a JSON value is a varint length and a record of the
 * codec's binary form):
 *
 *   0x12 or 0x11               the version byte (version 2 or 1)
 *   varint number              the id is "i<number>"
 *   byte status                0 running, 1 stalled, 2 done, 3 failed, 4 cancelled
 *   byte flags                 which optional fields follow (FLAG_* below)
 *   32 bytes                   the version hash
 *   varint created_ms          zigzag (a time before 1970 is negative)
 *   varint step, history, mailbox_discarded, outbox_step, outbox_next
 *   text playbook
 *   [text state] [text case_key, varint case_events] [text task] [text created_at]
 *   varint tag count, that many texts (no two the same)
 *   varint timer count, then each timer: version 1, its 20-byte key; version 2, a
 *     zigzag varint of its due time less created_ms and a varint of its order (the
 *     key's last 4 bytes), the key's instance being this record's number
 *   [json outcome] [json start_input] [json stalled_input] [json held_timers]
 *
 * and nothing after. A flag this version does not define is damage. The encoder writes
 * version 2 (a timer in 4 to 10 bytes instead of 20) unless a timer's key names another
 * instance, which only a damaged old record can hold: that record is written as version 1.
 */
#include "engine_instance_record.h"
#include "grow.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine_codec.h"
#include "utf8.h"
#include "value.h"

enum {
    FLAG_STATE = 1 << 0, FLAG_CASE = 1 << 1, FLAG_TASK = 1 << 2, FLAG_CREATED_AT = 1 << 3,
    FLAG_OUTCOME = 1 << 4, FLAG_START_INPUT = 1 << 5, FLAG_STALLED_INPUT = 1 << 6,
    FLAG_HELD_TIMERS = 1 << 7
};
#define HASH_BYTES 32

static const char *const STATUS_TEXT[INSTANCE_STATUS_COUNT] = {"running", "stalled", "done", "failed",
                                                               "cancelled"};

const char *instance_status_text(InstanceStatus status)
{
    return (unsigned)status < INSTANCE_STATUS_COUNT ? STATUS_TEXT[status] : "unknown";
}

/* ---- the struct's fields ---- */

void instance_record_free(InstanceRecord *r)
{
    free(r->playbook);
    free(r->state);
    free(r->created_at);
    free(r->case_key);
    for (size_t i = 0; i < r->tag_count; i++)
        free(r->tags[i]);
    free(r->tags);
    free(r->timers);
    free(r->task);
    json_decref(r->outcome);
    json_decref(r->start_input);
    json_decref(r->stalled_input);
    json_decref(r->held_timers);
    memset(r, 0, sizeof *r);
}

void instance_record_set_number(InstanceRecord *r, uint64_t number)
{
    r->number = number;
    codec_number_text("i", number, r->id);   /* at most 21 bytes: r->id has 24 */
}

int instance_record_set_text(char **field, const char *text)
{
    char *copy = NULL;
    if (text && !(copy = codec_text_copy(text, strlen(text))))
        return -1;
    free(*field);
    *field = copy;
    return 0;
}

void instance_record_set_json(json_t **field, json_t *value)
{
    json_decref(*field);
    *field = value;
}

/* Room for one more item of `size` bytes in *items (count used of *cap). */
static bool room_for_one(void **items, size_t *cap, size_t count, size_t size)
{
    void *grown = grow_for_one(*items, cap, count, size, 4, realloc);
    if (grown)
        *items = grown;
    return grown != NULL;
}

int instance_record_add_tag(InstanceRecord *r, const char *tag)
{
    for (size_t i = 0; i < r->tag_count; i++)
        if (strcmp(r->tags[i], tag) == 0)
            return 0;
    char *copy = codec_text_copy(tag, strlen(tag));
    if (!copy || !room_for_one((void **)&r->tags, &r->tag_cap, r->tag_count, sizeof *r->tags)) {
        free(copy);
        return -1;
    }
    r->tags[r->tag_count++] = copy;
    return 0;
}

void instance_record_drop_timer(InstanceRecord *r, const unsigned char key[INSTANCE_TIMER_KEY])
{
    for (size_t i = 0; i < r->timer_count; i++)
        if (memcmp(r->timers[i], key, INSTANCE_TIMER_KEY) == 0) {
            memmove(r->timers + i, r->timers + i + 1, (r->timer_count - i - 1) * sizeof *r->timers);
            r->timer_count--;
            return;
        }
}

int instance_record_add_timer(InstanceRecord *r, const unsigned char key[INSTANCE_TIMER_KEY])
{
    if (!room_for_one((void **)&r->timers, &r->timer_cap, r->timer_count, sizeof *r->timers))
        return -1;
    memcpy(r->timers[r->timer_count++], key, INSTANCE_TIMER_KEY);
    return 0;
}

void instance_record_created_at(const InstanceRecord *r, char out[40])
{
    if (r->created_at) {
        snprintf(out, 40, "%s", r->created_at);
        return;
    }
    StrBuf text = STRBUF_INIT;
    value_write_time(r->created_ms, 0, &text);
    snprintf(out, 40, "%s", strbuf_failed(&text) ? "" : strbuf_text(&text));
    strbuf_free(&text);
}

/* ---- encoding ---- */

static void put_text(StrBuf *out, const char *text)
{
    size_t len = strlen(text);
    strbuf_put_varint(out, len);
    strbuf_put(out, text, len);
}

/* A rare field: its codec bytes after their length. */
static int put_json(StrBuf *out, const json_t *value)
{
    StrBuf bytes = STRBUF_INIT;
    int rc = codec_encode(value, &bytes);
    if (rc == CODEC_OK) {
        strbuf_put_varint(out, bytes.len);
        strbuf_put(out, bytes.data, bytes.len);
    } else if (rc == CODEC_NO_MEMORY) {
        strbuf_fail(out);
    }
    strbuf_free(&bytes);
    return rc == CODEC_OK ? 0 : -1;
}

static unsigned hex_digit(char c)
{
    return c >= '0' && c <= '9' ? (unsigned)(c - '0') : c >= 'a' && c <= 'f' ? (unsigned)(c - 'a' + 10) : 16;
}

bool instance_record_hex(const char *hex, size_t n, unsigned char *out)
{
    for (size_t i = 0; i < n; i++) {
        unsigned high = hex_digit(hex[2 * i]), low = high < 16 ? hex_digit(hex[2 * i + 1]) : 16;
        if (low >= 16)
            return false;
        out[i] = (unsigned char)(high << 4 | low);
    }
    return true;
}

int instance_record_set_version(InstanceRecord *r, const char *hex)
{
    unsigned char bytes[HASH_BYTES];
    if (!instance_record_hex(hex, HASH_BYTES, bytes) || hex[2 * HASH_BYTES] != '\0')
        return -1;
    memcpy(r->version_hash, bytes, HASH_BYTES);
    memcpy(r->version, hex, sizeof r->version);
    return 0;
}

static unsigned record_flags(const InstanceRecord *r)
{
    return (r->state ? FLAG_STATE : 0) | (r->case_key ? FLAG_CASE : 0) | (r->task ? FLAG_TASK : 0) |
           (r->created_at ? FLAG_CREATED_AT : 0) | (r->outcome ? FLAG_OUTCOME : 0) |
           (r->start_input ? FLAG_START_INPUT : 0) | (r->stalled_input ? FLAG_STALLED_INPUT : 0) |
           (r->held_timers ? FLAG_HELD_TIMERS : 0);
}

/* ---- timer keys: due time (8 bytes), instance (8), order (4), all big-endian ---- */

static uint64_t key_be64(const unsigned char *b)
{
    uint64_t n = 0;
    for (int i = 0; i < 8; i++)
        n = n << 8 | b[i];
    return n;
}

static void key_put_be(unsigned char *b, uint64_t n, int bytes)
{
    for (int i = bytes - 1; i >= 0; i--, n >>= 8)
        b[i] = (unsigned char)n;
}

/* Whether every timer's key names this instance (version 2 leaves the instance out). */
static bool timers_compact(const InstanceRecord *r)
{
    for (size_t i = 0; i < r->timer_count; i++)
        if (key_be64(r->timers[i] + 8) != r->number)
            return false;
    return true;
}

/* The due time as its distance from created_ms, modulo 2^64 so that any key reads back. */
static uint64_t due_offset(const InstanceRecord *r, const unsigned char key[INSTANCE_TIMER_KEY])
{
    uint64_t d = key_be64(key) - (uint64_t)r->created_ms;
    return d << 1 ^ (0 - (d >> 63));
}

static void put_timers(StrBuf *out, const InstanceRecord *r, bool compact)
{
    strbuf_put_varint(out, r->timer_count);
    if (!compact) {
        if (r->timer_count)
            strbuf_put(out, r->timers, r->timer_count * INSTANCE_TIMER_KEY);
        return;
    }
    for (size_t i = 0; i < r->timer_count; i++) {
        const unsigned char *key = r->timers[i];
        strbuf_put_varint(out, due_offset(r, key));
        strbuf_put_varint(out, (uint64_t)key[16] << 24 | (uint64_t)key[17] << 16 | (uint64_t)key[18] << 8 | key[19]);
    }
}

int instance_record_encode(const InstanceRecord *r, StrBuf *out)
{
    unsigned char head[2];
    unsigned flags = record_flags(r);
    if (!r->playbook)
        return -1;   /* never for a record the engine made */
    bool compact = timers_compact(r);
    strbuf_putc(out, compact ? INSTANCE_RECORD_FORMAT_2 : INSTANCE_RECORD_FORMAT_1);
    strbuf_put_varint(out, r->number);
    head[0] = (unsigned char)r->status;
    head[1] = (unsigned char)flags;
    strbuf_put(out, (const char *)head, 2);
    strbuf_put(out, r->version_hash, HASH_BYTES);
    strbuf_put_varint(out, (uint64_t)r->created_ms << 1 ^ (uint64_t)(r->created_ms >> 63));
    strbuf_put_varint(out, r->step);
    strbuf_put_varint(out, r->history);
    strbuf_put_varint(out, r->mailbox_discarded);
    strbuf_put_varint(out, r->outbox_step);
    strbuf_put_varint(out, r->outbox_next);
    put_text(out, r->playbook);
    if (r->state)
        put_text(out, r->state);
    if (r->case_key) {
        put_text(out, r->case_key);
        strbuf_put_varint(out, r->case_events);
    }
    if (r->task)
        put_text(out, r->task);
    if (r->created_at)
        put_text(out, r->created_at);
    strbuf_put_varint(out, r->tag_count);
    for (size_t i = 0; i < r->tag_count; i++)
        put_text(out, r->tags[i]);
    put_timers(out, r, compact);
    const json_t *rare[] = {r->outcome, r->start_input, r->stalled_input, r->held_timers};
    for (size_t i = 0; i < 4; i++)
        if (rare[i] && put_json(out, rare[i]) != 0)
            return -1;
    return strbuf_failed(out) ? -1 : 0;
}

/* ---- decoding ---- */

typedef ByteReader Reader;    /* engine_codec.h: its sentences say "instance record" */

static bool damaged(Reader *rd, const char *what)
{
    return byte_reader_damaged(rd, what);
}

static bool get_varint(Reader *rd, uint64_t *out)
{
    return byte_reader_varint(rd, out);
}

static bool get_bytes(Reader *rd, size_t n, const unsigned char **out)
{
    return byte_reader_bytes(rd, n, out);
}

static bool get_json(Reader *rd, json_t **out)
{
    size_t len;
    const unsigned char *bytes;
    if (!byte_reader_sized(rd, &bytes, &len))
        return false;
    char why[200];
    int rc = codec_decode(bytes, len, out, why, sizeof why);
    if (rc == CODEC_NO_MEMORY)
        rd->no_memory = true;
    else if (rc != CODEC_OK)
        return damaged(rd, "a field that is not a record");
    return rc == CODEC_OK;
}

/* The fixed part: number, status, flags, hash, the numbers. */
static bool get_head(Reader *rd, InstanceRecord *r, unsigned *flags)
{
    uint64_t number, created;
    const unsigned char *head, *hash;
    if (!get_varint(rd, &number) || !get_bytes(rd, 2, &head) || !get_bytes(rd, HASH_BYTES, &hash))
        return false;
    if (head[0] >= INSTANCE_STATUS_COUNT)
        return damaged(rd, "an unknown status");
    instance_record_set_number(r, number);
    r->status = (InstanceStatus)head[0];
    *flags = head[1];
    memcpy(r->version_hash, hash, HASH_BYTES);
    codec_hex_text(hash, HASH_BYTES, r->version);
    r->version[2 * HASH_BYTES] = '\0';
    if (!get_varint(rd, &created))
        return false;
    r->created_ms = (int64_t)(created >> 1 ^ -(created & 1));
    return get_varint(rd, &r->step) && get_varint(rd, &r->history) && get_varint(rd, &r->mailbox_discarded) &&
           get_varint(rd, &r->outbox_step) && get_varint(rd, &r->outbox_next);
}

static bool get_lists(Reader *rd, InstanceRecord *r)
{
    uint64_t count;
    if (!get_varint(rd, &count))
        return false;
    if (count > rd->len - rd->at)       /* a tag takes a byte at least */
        return damaged(rd, "a count larger than the bytes left");
    for (uint64_t i = 0; i < count; i++) {
        char *tag;
        if (!byte_reader_text_copy(rd, &tag))
            return false;
        for (size_t k = 0; k < r->tag_count; k++)
            if (strcmp(r->tags[k], tag) == 0) {
                free(tag);
                return damaged(rd, "a tag written twice");
            }
        if (!room_for_one((void **)&r->tags, &r->tag_cap, r->tag_count, sizeof *r->tags)) {
            free(tag);
            rd->no_memory = true;
            return false;
        }
        r->tags[r->tag_count++] = tag;
    }
    return true;
}

/* Version 2's timer: its due time's offset and its order; the instance is the record's. */
static bool get_compact_timer(Reader *rd, const InstanceRecord *r, unsigned char key[INSTANCE_TIMER_KEY])
{
    uint64_t offset, order;
    if (!get_varint(rd, &offset) || !get_varint(rd, &order))
        return false;
    if (order > UINT32_MAX)
        return damaged(rd, "a timer's order past 32 bits");
    key_put_be(key, (uint64_t)r->created_ms + (offset >> 1 ^ (0 - (offset & 1))), 8);
    key_put_be(key + 8, r->number, 8);
    key_put_be(key + 16, order, 4);
    return true;
}

static bool get_timers(Reader *rd, InstanceRecord *r, bool compact)
{
    uint64_t count;
    size_t least = compact ? 2 : INSTANCE_TIMER_KEY;    /* the bytes a timer takes at least */
    if (!get_varint(rd, &count))
        return false;
    if (count > (rd->len - rd->at) / least)
        return damaged(rd, "a count larger than the bytes left");
    if (count && !(r->timers = malloc((size_t)count * INSTANCE_TIMER_KEY))) {
        rd->no_memory = true;
        return false;
    }
    r->timer_count = r->timer_cap = (size_t)count;
    for (size_t i = 0; i < r->timer_count; i++) {
        const unsigned char *key;
        if (compact ? !get_compact_timer(rd, r, r->timers[i]) : !get_bytes(rd, INSTANCE_TIMER_KEY, &key))
            return false;
        if (!compact)
            memcpy(r->timers[i], key, INSTANCE_TIMER_KEY);
    }
    return true;
}

static bool get_record(Reader *rd, InstanceRecord *r, bool compact)
{
    unsigned flags = 0;
    if (!get_head(rd, r, &flags) || !byte_reader_text_copy(rd, &r->playbook))
        return false;
    if ((flags & FLAG_STATE) && !byte_reader_text_copy(rd, &r->state))
        return false;
    if ((flags & FLAG_CASE) && (!byte_reader_text_copy(rd, &r->case_key) || !get_varint(rd, &r->case_events)))
        return false;
    if ((flags & FLAG_TASK) && !byte_reader_text_copy(rd, &r->task))
        return false;
    if ((flags & FLAG_CREATED_AT) && !byte_reader_text_copy(rd, &r->created_at))
        return false;
    if (!get_lists(rd, r) || !get_timers(rd, r, compact))
        return false;
    if ((flags & FLAG_OUTCOME) && !get_json(rd, &r->outcome))
        return false;
    if ((flags & FLAG_START_INPUT) && !get_json(rd, &r->start_input))
        return false;
    if ((flags & FLAG_STALLED_INPUT) && !get_json(rd, &r->stalled_input))
        return false;
    if ((flags & FLAG_HELD_TIMERS) && !get_json(rd, &r->held_timers))
        return false;
    return byte_reader_end(rd, "bytes after the record");
}

bool instance_record_is_typed(const void *data, size_t len)
{
    return byte_version_in(data, len, INSTANCE_RECORD_FORMAT_1, INSTANCE_RECORD_NEWEST_BYTE);
}

int instance_record_decode(const void *data, size_t len, InstanceRecord *out, char *why, size_t why_len)
{
    memset(out, 0, sizeof *out);
    Reader rd;
    if (!byte_reader_open(&rd, data, len, INSTANCE_RECORD_FORMAT_1, INSTANCE_RECORD_FORMAT, INSTANCE_RECORD_NEWEST_BYTE,
                          "instance record", why, why_len))
        return INSTANCE_RECORD_DAMAGED;
    if (get_record(&rd, out, ((const unsigned char *)data)[0] == INSTANCE_RECORD_FORMAT_2))
        return INSTANCE_RECORD_OK;
    instance_record_free(out);
    if (rd.no_memory) {
        snprintf(rd.why, rd.why_len, "out of memory");
        return INSTANCE_RECORD_NO_MEMORY;
    }
    return INSTANCE_RECORD_DAMAGED;
}
