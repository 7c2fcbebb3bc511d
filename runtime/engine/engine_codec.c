/*
 * engine_codec.c - the binary form of the engine's records (engine_codec.h).
 *
 * Format 1, byte by byte (docs/internals.md, "Store records", says the same):
 *
 *   record   0x01 (the format; JSON text never begins with it), then one value
 *   value    a tag byte, then what the tag says:
 *              0x00 null          0x01 false          0x02 true
 *              0x03 integer: a zigzag varint (n << 1 ^ n >> 63), 1 to 10 bytes
 *              0x04 real: 8 bytes, IEEE 754 binary64, little-endian, finite
 *              0x05 string: a varint length, then that many bytes of UTF-8
 *              0x06 array: a varint count, then that many values
 *              0x07 object: a varint count, then that many (key, value) pairs
 *              0x20-0x3F the integer tag - 0x20 (0 to 31)
 *              0x40-0x7F a string of tag - 0x40 bytes (0 to 63), then the bytes
 *              0x80-0x8F an array of tag - 0x80 values (0 to 15), then the values
 *              0x90-0x9F an object of tag - 0x90 pairs (0 to 15), then the pairs
 *            any other tag is damage
 *   key      one byte: 0x01-0xFF is entry (byte - 1) of CODEC_KEYS below; 0x00 is a
 *            key of its own: a varint length, then that many bytes of UTF-8
 *   varint   unsigned LEB128: 7 bits a byte, low first, the high bit set on every byte
 *            but the last; at most 10 bytes, the shortest form only (no final 0x00)
 *
 * Format 2 (0x02, what the encoder writes since 2026-12-04) is format 1 with two more
 * tags, for the strings that made most of a waiting instance's bytes:
 *              0x08 a time: a varint of milliseconds since 1970-01-01T00:00:00.000Z (at
 *                   most CODEC_TIME_MAX), standing for the 24-byte string
 *                   "YYYY-MM-DDTHH:MM:SS.mmmZ" the engine writes every time as
 *              0x09 hex: a byte n (8 to 127), then n bytes, standing for the string of
 *                   their 2n lowercase hex digits (version hashes, timer keys)
 *              0xA0-0xFF the string CODEC_VALUES[tag - 0xA0] ("started", "running",
 *                   "after", ...: the words the engine writes most); a tag past the
 *                   list is damage
 *            The encoder writes every string of those shapes so (and no other), so a
 *            value still has one encoding; the decoder also reads them as plain
 *            strings. The value read is the same string: nothing above the codec, nor
 *            the canonical form of the chain, can tell the formats apart. In a record
 *            of format 1 the two tags are damage, as they always were.
 *
 * Objects keep their keys in the order they were written (jansson iterates in insertion
 * order), so history reads back in the order it was made. The decoder checks every
 * byte against the end before it reads it, so no input makes it read past the record.
 */
#include "engine_codec.h"
#include "civil.h"
#include "utf8.h"

#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>


/* The field names the engine writes (record_begin, task_create, instance_save, timer_set,
   case_join, events_accept, deploy_work, the directory and connectors files), each
   written as one byte. PART OF FORMAT 1: append only. Never reorder, remove or rename an
   entry (a stored record names it by its place); a new name goes at the end, and the
   list holds at most 255. */
static const char *const CODEC_KEYS[] = {
    "id", "instance", "kind", "seq", "at", "ms", "state", "status", "playbook", "version",
    "history", "step", "task", "who", "choice", "outcome", "person", "channel", "previous",
    "holders", "answered_by", "acked", "comment", "by", "with_comment", "seat", "label",
    "votes", "seats", "question", "deadline", "choices", "what", "due", "went", "type",
    "source", "tags", "level", "event", "as", "told", "suspension", "show", "reminders",
    "remind_every", "quorum", "no_quorum_arm", "needed", "level_ms", "ladder_after",
    "ladder", "deadline_ms", "asked_ms", "asked_at", "created_ms", "created_at", "case",
    "discarded", "text", "case_key", "case_events", "hash", "message", "undeployed", "log",
    "data", "until", "trigger", "time_ms", "time", "start_input", "mailbox_discarded",
    "error", "to", "why", "reason", "operation", "connector", "on_call", "from", "timers",
    "threshold", "reply", "name", "goto", "delegate", "away", "arg", "added", "cancelled",
    "connectors", "count", "current", "deciders", "directory", "key", "no_quorum",
    "nobody_can_answer", "people", "record", "timeout", "unit", "value", "versions",
    "stalled_input", "held_timers", "next_level_due", "answer", "reminder", "watch",
    "email", "manager", "calendar", "notify", "members", "lead", "oncall", "rotation",
    "shift", "start", "teams", "roles", "owners", "calendars", "zone", "hours", "holidays",
    "delegated", "url", "method", "auth", "token_env", "password_env", "secret_env",
    "base_url", "operations", "path", "retries", "timeout_ms", "send", "unresolved",
    "team", "role", "owner", "list", "map", "events", "headers", "body", "subject",
};
#define CODEC_KEY_COUNT (sizeof CODEC_KEYS / sizeof CODEC_KEYS[0])
_Static_assert(CODEC_KEY_COUNT <= 255, "a key's byte holds at most 255 names");

/* The string values the engine writes most (history kinds, statuses, timer kinds, how
   an event went), each written in format 2 as the one byte 0xA0 + its place. PART OF
   FORMAT 2: append only, as CODEC_KEYS; the list holds at most 96. */
static const char *const CODEC_VALUES[] = {
    "started", "entered", "timer", "after", "running", "joined", "counted", "told", "asked",
    "answered", "resolved", "reminded", "sent", "called", "notified", "delivered", "done",
    "failed", "cancelled", "stalled", "tagged", "noted", "skipped", "retried", "delegated",
    "acknowledged", "overridden", "handover", "unresolved", "call_failed", "when_failed",
    "deadline", "reminder", "level", "watch", "answer", "head", "open", "event", "reply",
    "failure", "ok", "pending",
};
#define CODEC_VALUE_COUNT (sizeof CODEC_VALUES / sizeof CODEC_VALUES[0])
_Static_assert(CODEC_VALUE_COUNT <= 0x100 - CODEC_TAG_VALUE, "a value's tag holds at most 96");

/* ---- the two dictionaries: text -> byte (place + 1), built once ---- */

/* Every key and most strings of every record are looked up here (6-7 % of a group
   commit's CPU under perf with a hash over every byte), so a lookup first asks whether
   any entry has the text's length and first byte (most strings that are not entries stop
   there), and hashes only the length and three bytes: the final compare decides. */
#define DICT_SLOTS 1024   /* a power of two, at least twice the longer dictionary */
#define DICT_FILTERS 32   /* lengths with a filter of their own; longer ones share the last */
typedef struct Dict {
    const char *const *names;
    size_t count;
    unsigned char slots[DICT_SLOTS];    /* 0: empty; else the entry's place + 1 */
    size_t lengths[255];
    size_t longest;                     /* no longer text is looked up */
    uint64_t firsts[DICT_FILTERS + 1];  /* by length: bit (first byte & 63) of each entry */
} Dict;
static Dict keys = {CODEC_KEYS, CODEC_KEY_COUNT, {0}, {0}, 0, {0}};
static Dict values = {CODEC_VALUES, CODEC_VALUE_COUNT, {0}, {0}, 0, {0}};
static pthread_once_t key_once = PTHREAD_ONCE_INIT;

/* Of a text of at least one byte (the lists hold no empty text). */
static uint32_t key_hash(const char *key, size_t len)
{
    const unsigned char *k = (const unsigned char *)key;
    uint32_t h = (uint32_t)len * 0x9E3779B1u;
    h ^= k[0] * 0x85EBCA77u;
    h ^= k[len / 2] * 0xC2B2AE3Du;
    h ^= k[len - 1] * 0x27D4EB2Fu;
    return h ^ h >> 15;
}

static size_t dict_filter(size_t len)
{
    return len < DICT_FILTERS ? len : DICT_FILTERS;
}

static void dict_build(Dict *d)
{
    for (size_t i = 0; i < d->count; i++) {
        d->lengths[i] = strlen(d->names[i]);
        if (d->lengths[i] > d->longest)
            d->longest = d->lengths[i];
        d->firsts[dict_filter(d->lengths[i])] |= 1ull << ((unsigned char)d->names[i][0] & 63);
        uint32_t at = key_hash(d->names[i], d->lengths[i]) & (DICT_SLOTS - 1);
        while (d->slots[at])
            at = (at + 1) & (DICT_SLOTS - 1);
        d->slots[at] = (unsigned char)(i + 1);
    }
}

static void keys_build(void)
{
    dict_build(&keys);
    dict_build(&values);
}

/* Whether the `len` bytes at a and b are the same (short texts: no call to memcmp). */
static bool same_bytes(const char *a, const char *b, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (a[i] != b[i])
            return false;
    return true;
}

/* The place + 1 of `text` in the dictionary, 0 when it is not there. */
static unsigned dict_byte(const Dict *d, const char *text, size_t len)
{
    if (len == 0 || len > d->longest || !(d->firsts[dict_filter(len)] >> ((unsigned char)text[0] & 63) & 1))
        return 0;
    for (uint32_t at = key_hash(text, len) & (DICT_SLOTS - 1); d->slots[at];
         at = (at + 1) & (DICT_SLOTS - 1)) {
        unsigned place = d->slots[at] - 1u;
        if (d->lengths[place] == len && same_bytes(d->names[place], text, len))
            return place + 1;
    }
    return 0;
}

/* The byte of `key` in CODEC_KEYS, 0 when it is not there. */
static unsigned key_byte(const char *key, size_t len)
{
    return dict_byte(&keys, key, len);
}

const char *codec_value_text(unsigned tag, size_t *len)
{
    pthread_once(&key_once, keys_build);
    if (tag < CODEC_TAG_VALUE || tag - CODEC_TAG_VALUE >= CODEC_VALUE_COUNT)
        return NULL;
    *len = values.lengths[tag - CODEC_TAG_VALUE];
    return CODEC_VALUES[tag - CODEC_TAG_VALUE];
}

static bool time_parse(const char *text, size_t len, uint64_t *ms);
static bool hex_shaped(const char *text, size_t len);

size_t codec_pair_bytes(const char *key, const char *value, unsigned format,
                        unsigned char out[CODEC_PAIR_MAX])
{
    pthread_once(&key_once, keys_build);
    unsigned byte = key_byte(key, strlen(key));
    size_t len = strlen(value);
    uint64_t ms;
    unsigned known = dict_byte(&values, value, len);
    if (byte && format >= CODEC_FORMAT_2 && known) {
        out[0] = (unsigned char)byte;
        out[1] = (unsigned char)(CODEC_TAG_VALUE + known - 1);
        return 2;
    }
    if (!byte || len > CODEC_SHORT_STRING_MAX ||
        (format >= CODEC_FORMAT_2 && (time_parse(value, len, &ms) || hex_shaped(value, len))))
        return 0;
    out[0] = (unsigned char)byte;
    out[1] = (unsigned char)(CODEC_TAG_SHORT_STRING + len);
    memcpy(out + 2, value, len);
    return len + 2;
}

unsigned codec_key_table(const char *const **names, const size_t **lengths)
{
    pthread_once(&key_once, keys_build);
    *names = CODEC_KEYS;
    *lengths = keys.lengths;
    return (unsigned)CODEC_KEY_COUNT;
}

/* ---- encoding ---- */

static void put(StrBuf *out, const void *bytes, size_t n)
{
    strbuf_put(out, bytes, n);
}

static void put_byte(StrBuf *out, unsigned char byte)
{
    strbuf_put(out, &byte, 1);
}

static void put_varint(StrBuf *out, uint64_t n)
{
    strbuf_put_varint(out, n);
}

/* A tag with a count or length: folded into the tag when it is small enough. */
static void put_counted(StrBuf *out, unsigned char tag, unsigned char short_tag, size_t max,
                        size_t n)
{
    if (n <= max) {
        put_byte(out, (unsigned char)(short_tag + n));
        return;
    }
    put_byte(out, tag);
    put_varint(out, n);
}

/* ---- format 2's times and hex strings ---- */

#define DAY_MS 86400000ULL

static bool digits(const char *text, size_t at, size_t n, unsigned *out)
{
    unsigned v = 0;
    for (size_t i = at; i < at + n; i++) {
        if (text[i] < '0' || text[i] > '9')
            return false;
        v = v * 10 + (unsigned)(text[i] - '0');
    }
    *out = v;
    return true;
}

/* Whether `text` is a time as codec_time_text writes it, and its milliseconds. */
static bool time_parse(const char *text, size_t len, uint64_t *ms)
{
    unsigned year, month, day, hour, minute, second, milli;
    if (len != CODEC_TIME_LEN || text[4] != '-' || text[7] != '-' || text[10] != 'T' || text[13] != ':' ||
        text[16] != ':' || text[19] != '.' || text[23] != 'Z' || !digits(text, 0, 4, &year) ||
        !digits(text, 5, 2, &month) || !digits(text, 8, 2, &day) || !digits(text, 11, 2, &hour) ||
        !digits(text, 14, 2, &minute) || !digits(text, 17, 2, &second) || !digits(text, 20, 3, &milli))
        return false;
    if (year < 1970 || day < 1 || day > civil_days_in_month(year, month) || hour > 23 || minute > 59 ||
        second > 59)
        return false;
    uint64_t days = (uint64_t)civil_days_from_date(year, month, day);
    *ms = days * DAY_MS + ((hour * 60 + minute) * 60 + second) * 1000ULL + milli;
    return true;
}

static void put_digits(char *out, unsigned v, int n)
{
    for (int i = n - 1; i >= 0; i--, v /= 10)
        out[i] = (char)('0' + v % 10);
}

void codec_time_text(uint64_t ms, char out[CODEC_TIME_LEN])
{
    int64_t year;
    unsigned month, day, in_day = (unsigned)(ms % DAY_MS);
    civil_date_from_days((int64_t)(ms / DAY_MS), &year, &month, &day);
    put_digits(out, (unsigned)year, 4);
    put_digits(out + 5, month, 2);
    put_digits(out + 8, day, 2);
    put_digits(out + 11, in_day / 3600000, 2);
    put_digits(out + 14, in_day / 60000 % 60, 2);
    put_digits(out + 17, in_day / 1000 % 60, 2);
    put_digits(out + 20, in_day % 1000, 3);
    out[4] = out[7] = '-';
    out[10] = 'T';
    out[13] = out[16] = ':';
    out[19] = '.';
    out[23] = 'Z';
}

static int hex_digit(char c)
{
    return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* Whether format 2 keeps `text` as hex bytes: 16 to 254 lowercase hex digits, even. */
static bool hex_shaped(const char *text, size_t len)
{
    if (len % 2 || len < 2 * CODEC_HEX_MIN || len > 2 * CODEC_HEX_MAX)
        return false;
    for (size_t i = 0; i < len; i++)
        if (hex_digit(text[i]) < 0)
            return false;
    return true;
}

void codec_hex_text(const unsigned char *bytes, size_t len, char *out)
{
    static const char DIGITS[] = "0123456789abcdef";
    for (size_t i = 0; i < len; i++) {
        out[2 * i] = DIGITS[bytes[i] >> 4];
        out[2 * i + 1] = DIGITS[bytes[i] & 15];
    }
}

size_t codec_number_text(const char *prefix, uint64_t n, char *out)
{
    size_t at = 0;
    while (prefix[at])
        out[at] = prefix[at], at++;
    char digits[20];
    size_t k = 0;
    do {
        digits[k++] = (char)('0' + n % 10);
        n /= 10;
    } while (n);
    while (k)
        out[at++] = digits[--k];
    out[at] = '\0';
    return at;
}

static void put_string(StrBuf *out, const char *text, size_t len, unsigned format)
{
    uint64_t ms;
    unsigned known = format >= CODEC_FORMAT_2 ? dict_byte(&values, text, len) : 0;
    if (known) {
        put_byte(out, (unsigned char)(CODEC_TAG_VALUE + known - 1));
        return;
    }
    if (format >= CODEC_FORMAT_2 && time_parse(text, len, &ms)) {
        put_byte(out, CODEC_TAG_TIME);
        put_varint(out, ms);
        return;
    }
    if (format >= CODEC_FORMAT_2 && hex_shaped(text, len)) {
        unsigned char bytes[1 + CODEC_HEX_MAX] = {(unsigned char)(len / 2)};
        for (size_t i = 0; i < len / 2; i++)
            bytes[1 + i] = (unsigned char)(hex_digit(text[2 * i]) << 4 | hex_digit(text[2 * i + 1]));
        put_byte(out, CODEC_TAG_HEX);
        put(out, bytes, 1 + len / 2);
        return;
    }
    put_counted(out, CODEC_TAG_STRING, CODEC_TAG_SHORT_STRING, CODEC_SHORT_STRING_MAX, len);
    put(out, text, len);
}

/* A member's key: its byte in CODEC_KEYS, or 0 and the key itself. */
static void put_key(StrBuf *out, const char *key, size_t len)
{
    unsigned byte = key_byte(key, len);
    put_byte(out, (unsigned char)byte);
    if (!byte) {
        put_varint(out, len);
        put(out, key, len);
    }
}

static void put_integer(StrBuf *out, int64_t n)
{
    if (n >= 0 && n <= CODEC_SMALL_INT_MAX) {
        put_byte(out, (unsigned char)(CODEC_TAG_SMALL_INT + n));
        return;
    }
    put_byte(out, CODEC_TAG_INT);
    put_varint(out, (uint64_t)n << 1 ^ (uint64_t)(n >> 63));
}

static int encode_value(const json_t *value, StrBuf *out, int depth, unsigned format);

static int encode_object(const json_t *object, StrBuf *out, int depth, unsigned format)
{
    put_counted(out, CODEC_TAG_OBJECT, CODEC_TAG_SHORT_OBJECT, CODEC_SHORT_COUNT_MAX, json_object_size(object));
    for (void *it = json_object_iter((json_t *)object); it;
         it = json_object_iter_next((json_t *)object, it)) {
        put_key(out, json_object_iter_key(it), json_object_iter_key_len(it));
        int rc = encode_value(json_object_iter_value(it), out, depth + 1, format);
        if (rc != CODEC_OK)
            return rc;
    }
    return CODEC_OK;
}

static int encode_value(const json_t *value, StrBuf *out, int depth, unsigned format)
{
    switch (json_typeof(value)) {
    case JSON_OBJECT:
        return depth >= CODEC_DEPTH_MAX ? CODEC_TOO_DEEP : encode_object(value, out, depth, format);
    case JSON_ARRAY: {
        if (depth >= CODEC_DEPTH_MAX)
            return CODEC_TOO_DEEP;
        size_t count = json_array_size(value);
        put_counted(out, CODEC_TAG_ARRAY, CODEC_TAG_SHORT_ARRAY, CODEC_SHORT_COUNT_MAX, count);
        for (size_t i = 0; i < count; i++) {
            int rc = encode_value(json_array_get(value, i), out, depth + 1, format);
            if (rc != CODEC_OK)
                return rc;
        }
        return CODEC_OK;
    }
    case JSON_STRING:
        put_string(out, json_string_value(value), json_string_length(value), format);
        return CODEC_OK;
    case JSON_INTEGER:
        put_integer(out, (int64_t)json_integer_value(value));
        return CODEC_OK;
    case JSON_REAL: {
        double d = json_real_value(value);
        if (!isfinite(d))
            return CODEC_DAMAGED;   /* jansson makes none; JSON has none */
        uint64_t bits;
        memcpy(&bits, &d, sizeof bits);
        unsigned char bytes[9] = {CODEC_TAG_REAL};
        for (int i = 0; i < 8; i++)
            bytes[1 + i] = (unsigned char)(bits >> (8 * i));
        put(out, bytes, sizeof bytes);
        return CODEC_OK;
    }
    case JSON_TRUE:
        put_byte(out, CODEC_TAG_TRUE);
        return CODEC_OK;
    case JSON_FALSE:
        put_byte(out, CODEC_TAG_FALSE);
        return CODEC_OK;
    default:
        put_byte(out, CODEC_TAG_NULL);
        return CODEC_OK;
    }
}

int codec_encode(const json_t *value, StrBuf *out)
{
    return codec_encode_format(value, CODEC_FORMAT, out);
}

int codec_encode_value(const json_t *value, StrBuf *out)
{
    pthread_once(&key_once, keys_build);
    int rc = value ? encode_value(value, out, 0, CODEC_FORMAT) : CODEC_DAMAGED;
    return strbuf_failed(out) ? CODEC_NO_MEMORY : rc;
}

int codec_encode_format(const json_t *value, unsigned format, StrBuf *out)
{
    pthread_once(&key_once, keys_build);
    put_byte(out, (unsigned char)format);
    int rc = value ? encode_value(value, out, 0, format) : CODEC_DAMAGED;
    if (strbuf_failed(out))
        return CODEC_NO_MEMORY;
    return rc;
}

/* ---- a record written member by member, with the emitters above ---- */

void codec_write_begin(CodecWriter *w, StrBuf *out)
{
    pthread_once(&key_once, keys_build);
    *w = (CodecWriter){.out = out, .rc = CODEC_OK};
    put_byte(out, CODEC_FORMAT);
}

/* A value starts: an item more of the array it is in (an object's are counted by key). */
static void write_item(CodecWriter *w)
{
    if (w->depth && !w->object[w->depth - 1])
        w->count[w->depth - 1]++;
}

static void write_open(CodecWriter *w, bool object)
{
    write_item(w);
    if (w->depth == CODEC_WRITER_DEPTH) {
        w->rc = CODEC_TOO_DEEP;   /* the engine's records nest less: a caller's mistake */
        return;
    }
    w->at[w->depth] = w->out->len;
    w->object[w->depth] = object;
    w->count[w->depth++] = 0;
    put_byte(w->out, 0);   /* the tag, set when it closes (its count is known then) */
}

void codec_write_object(CodecWriter *w)
{
    write_open(w, true);
}

void codec_write_array(CodecWriter *w)
{
    write_open(w, false);
}

/* Closes the innermost object or array: its tag (and count) as put_counted writes them,
   the members moved up when the count takes bytes of its own. */
void codec_write_close(CodecWriter *w)
{
    if (!w->depth)
        return;
    size_t at = w->at[--w->depth], n = w->count[w->depth];
    bool object = w->object[w->depth];
    StrBuf *out = w->out;
    if (strbuf_failed(out))
        return;
    if (n <= CODEC_SHORT_COUNT_MAX) {
        out->data[at] = (char)((object ? CODEC_TAG_SHORT_OBJECT : CODEC_TAG_SHORT_ARRAY) + n);
        return;
    }
    unsigned char count[CODEC_VARINT_MAX];
    size_t k = 0;
    for (uint64_t v = n; v > 0x7F; v >>= 7)
        count[k++] = (unsigned char)(v | 0x80);
    count[k] = (unsigned char)(n >> 7 * k);
    k++;
    size_t members = out->len - at - 1;
    put(out, count, k);   /* room: the bytes are put in place below */
    if (strbuf_failed(out))
        return;
    memmove(out->data + at + 1 + k, out->data + at + 1, members);
    out->data[at] = (char)(object ? CODEC_TAG_OBJECT : CODEC_TAG_ARRAY);
    memcpy(out->data + at + 1, count, k);
}

/* codec_write_key's keys by where their text lies: the engine writes nearly every key
   from a string literal, the same few hundred addresses, so a key met before is known
   by comparing its text with its entry's, the NUL too (no strlen, no hash). An address
   that holds other text now (a buffer used again) compares unequal and is looked up. */
#define KEY_CACHE_SLOTS 256   /* a power of two */
static _Thread_local struct {
    const char *key;
    unsigned byte;
} key_cache[KEY_CACHE_SLOTS];

void codec_write_key(CodecWriter *w, const char *key)
{
    if (w->depth)
        w->count[w->depth - 1]++;
    uintptr_t at = (uintptr_t)key;
    size_t slot = (at ^ at >> 9) & (KEY_CACHE_SLOTS - 1);
    unsigned byte = key_cache[slot].key == key ? key_cache[slot].byte : 0;
    /* The linker merges equal string literals, so most keys are the entry's own text. */
    if (byte && (key == CODEC_KEYS[byte - 1] || same_bytes(CODEC_KEYS[byte - 1], key, keys.lengths[byte - 1] + 1))) {
        put_byte(w->out, (unsigned char)byte);   /* same_bytes stops at the first byte that differs */
        return;
    }
    size_t len = strlen(key);
    byte = key_byte(key, len);
    if (byte) {
        key_cache[slot].key = key;
        key_cache[slot].byte = byte;
    }
    put_byte(w->out, (unsigned char)byte);
    if (!byte) {
        put_varint(w->out, len);
        put(w->out, key, len);
    }
}

unsigned codec_key_of(const char *key)
{
    pthread_once(&key_once, keys_build);
    return key_byte(key, strlen(key));
}

void codec_write_key_byte(CodecWriter *w, unsigned byte, const char *key)
{
    if (!byte) {
        codec_write_key(w, key);
        return;
    }
    if (w->depth)
        w->count[w->depth - 1]++;
    put_byte(w->out, (unsigned char)byte);
}

void codec_write_string(CodecWriter *w, const char *text, size_t len)
{
    write_item(w);
    put_string(w->out, text, len, CODEC_FORMAT);
}

void codec_write_text(CodecWriter *w, const char *text)
{
    if (!text) {
        codec_write_null(w);
        return;
    }
    codec_write_string(w, text, strlen(text));
}

void codec_write_integer(CodecWriter *w, int64_t n)
{
    write_item(w);
    put_integer(w->out, n);
}

void codec_write_bool(CodecWriter *w, bool value)
{
    write_item(w);
    put_byte(w->out, value ? CODEC_TAG_TRUE : CODEC_TAG_FALSE);
}

void codec_write_null(CodecWriter *w)
{
    write_item(w);
    put_byte(w->out, CODEC_TAG_NULL);
}

void codec_write_json(CodecWriter *w, const json_t *value)
{
    if (!value) {
        codec_write_null(w);
        return;
    }
    write_item(w);
    int rc = encode_value(value, w->out, (int)w->depth, CODEC_FORMAT);
    if (rc != CODEC_OK && w->rc == CODEC_OK)
        w->rc = rc;
}

void codec_write_bytes(CodecWriter *w, const void *bytes, size_t len)
{
    write_item(w);
    put(w->out, bytes, len);
}

void codec_write_begin_value(CodecWriter *w, StrBuf *out)
{
    pthread_once(&key_once, keys_build);
    *w = (CodecWriter){.out = out, .rc = CODEC_OK};
}

int codec_write_end(CodecWriter *w)
{
    while (w->depth)
        codec_write_close(w);
    if (strbuf_failed(w->out))
        return CODEC_NO_MEMORY;
    return w->rc;
}

/* ---- the bounded reader (engine_codec.h) ---- */

void byte_reader_init(ByteReader *r, const void *data, size_t len, size_t at, const char *kind, char *why,
                      size_t why_len)
{
    *r = (ByteReader){data, len, at, kind, why_len ? why : NULL, why_len, false, false};
    if (r->why)
        r->why[0] = '\0';
}

bool byte_version_in(const void *data, size_t len, unsigned first, unsigned newest)
{
    const unsigned char *bytes = data;
    return len > 0 && bytes[0] >= first && bytes[0] <= newest;
}

bool byte_reader_open(ByteReader *r, const void *data, size_t len, unsigned first, unsigned reads,
                      unsigned newest, const char *kind, char *why, size_t why_len)
{
    const unsigned char *bytes = data;
    byte_reader_init(r, data, len, 1, kind, why, why_len);
    if (len > 0 && bytes[0] >= first && bytes[0] <= reads)
        return true;
    r->failed = true;
    if (!r->why)
        return false;
    char known[40];
    unsigned last = reads - first + 1;
    if (last == 1)
        snprintf(known, sizeof known, "version 1");
    else
        snprintf(known, sizeof known, "versions 1 %s %u", last == 2 ? "and" : "to", last);
    if (len == 0 || bytes[0] < first || bytes[0] > newest)
        snprintf(why, why_len, "is not a readable %s (no version byte)", kind);
    else
        snprintf(why, why_len, "is %s %s of version %u, newer than this huddle reads (%s)",
                 strchr("aeiou", kind[0]) ? "an" : "a", kind, bytes[0] - first + 1, known);
    return false;
}

bool byte_reader_damaged(ByteReader *r, const char *what)
{
    if (!r->failed && !r->no_memory && r->why) {
        if (r->kind)
            snprintf(r->why, r->why_len, "is not a readable %s (%s at byte %zu)", r->kind, what, r->at);
        else
            snprintf(r->why, r->why_len, "%s at byte %zu", what, r->at);
    }
    r->failed = true;
    return false;
}

bool byte_reader_no_memory(ByteReader *r)
{
    r->no_memory = true;
    return false;
}

int codec_varint(const unsigned char *bytes, size_t len, size_t *at, uint64_t *out)
{
    uint64_t n = 0;
    for (unsigned i = 0; i < CODEC_VARINT_MAX; i++) {
        if (*at >= len)
            return CODEC_VARINT_CUT;
        unsigned char byte = bytes[(*at)++];
        if (i == CODEC_VARINT_MAX - 1 && byte > 1)
            return CODEC_VARINT_PAST_64;
        n |= (uint64_t)(byte & 0x7F) << (7 * i);
        if (!(byte & 0x80)) {
            if (byte == 0 && i > 0)
                return CODEC_VARINT_NOT_SHORTEST;
            *out = n;
            return CODEC_VARINT_OK;
        }
    }
    return CODEC_VARINT_TOO_LONG;
}

bool byte_reader_varint(ByteReader *r, uint64_t *out)
{
    static const char *const WRONG[] = {
        [CODEC_VARINT_CUT] = "a number cut short",
        [CODEC_VARINT_PAST_64] = "a number past 64 bits",
        [CODEC_VARINT_NOT_SHORTEST] = "a number not in its shortest form",
        [CODEC_VARINT_TOO_LONG] = "a number longer than 10 bytes",
    };
    int rc = codec_varint(r->bytes, r->len, &r->at, out);
    if (rc == CODEC_VARINT_OK)
        return true;
    if (!r->kind)
        return byte_reader_damaged(r, WRONG[rc]);
    return byte_reader_damaged(r, rc == CODEC_VARINT_CUT ? "cut short"
                                  : "a number not in its shortest form or past 64 bits");
}

bool byte_reader_count(ByteReader *r, uint64_t *out, size_t each)
{
    if (!byte_reader_varint(r, out))
        return false;
    if (*out > byte_reader_left(r) / each)
        return byte_reader_damaged(r, "a count larger than the bytes left");
    return true;
}

bool byte_reader_bytes(ByteReader *r, size_t n, const unsigned char **out)
{
    if (n > byte_reader_left(r))
        return byte_reader_damaged(r, r->kind ? "cut short" : "bytes cut short");
    *out = r->bytes + r->at;
    r->at += n;
    return true;
}

bool byte_reader_text(ByteReader *r, size_t n, const char **out)
{
    if (n > byte_reader_left(r))
        return byte_reader_damaged(r, r->kind ? "cut short" : "text cut short");
    const unsigned char *text = r->bytes + r->at;
    if (utf8_valid_prefix(text, n) != n)
        return byte_reader_damaged(r, "text that is not UTF-8");
    r->at += n;
    *out = (const char *)text;
    return true;
}

bool byte_reader_string(ByteReader *r, const char **out, size_t *len)
{
    uint64_t n;
    if (!byte_reader_varint(r, &n) || !byte_reader_text(r, n > SIZE_MAX ? SIZE_MAX : (size_t)n, out))
        return false;
    *len = (size_t)n;
    return true;
}

bool byte_reader_sized(ByteReader *r, const unsigned char **bytes, size_t *len)
{
    uint64_t n;
    if (!byte_reader_varint(r, &n) || !byte_reader_bytes(r, n > SIZE_MAX ? SIZE_MAX : (size_t)n, bytes))
        return false;
    *len = (size_t)n;
    return true;
}

char *codec_text_copy(const char *text, size_t len)
{
    char *copy = malloc(len + 1);
    if (copy) {
        memcpy(copy, text, len);
        copy[len] = '\0';
    }
    return copy;
}

bool byte_reader_text_copy(ByteReader *r, char **out)
{
    const char *text;
    size_t len;
    if (!byte_reader_string(r, &text, &len))
        return false;
    if (memchr(text, '\0', len)) {
        r->at -= len;
        return byte_reader_damaged(r, "text with a NUL byte");
    }
    return (*out = codec_text_copy(text, len)) ? true : byte_reader_no_memory(r);
}

bool byte_reader_end(ByteReader *r, const char *what)
{
    return r->at == r->len || byte_reader_damaged(r, what);
}

/* ---- decoding ---- */

typedef struct Reader {
    ByteReader in;
    unsigned format;        /* the record's first byte */
} Reader;

/* Marks the record damaged (the first damage found is the one told) and returns NULL. */
static json_t *damaged(Reader *r, const char *what)
{
    byte_reader_damaged(&r->in, what);
    return NULL;
}

static json_t *no_memory(Reader *r)
{
    r->in.no_memory = true;
    return NULL;
}

static size_t left(const Reader *r)
{
    return byte_reader_left(&r->in);
}

static bool get_varint(Reader *r, uint64_t *out)
{
    return byte_reader_varint(&r->in, out);
}

static bool get_count(Reader *r, uint64_t *out, size_t each)
{
    return byte_reader_count(&r->in, out, each);
}

/* `len` bytes of UTF-8 at the reader, moved past: borrowed from the record. */
static const char *get_text(Reader *r, size_t len)
{
    const char *text;
    return byte_reader_text(&r->in, len, &text) ? text : NULL;
}

static json_t *decode_value(Reader *r, int depth);

static json_t *decode_object(Reader *r, uint64_t count, int depth)
{
    json_t *object = json_object();
    if (!object)
        return no_memory(r);
    for (uint64_t i = 0; i < count; i++) {
        if (r->in.at >= r->in.len)
            goto fail_cut;
        unsigned byte = r->in.bytes[r->in.at++];
        const char *key;
        uint64_t len;
        if (byte > CODEC_KEY_COUNT) {
            r->in.at--;
            damaged(r, "a key past the names format 1 knows");
            goto fail;
        }
        if (byte) {
            key = CODEC_KEYS[byte - 1];
            len = strlen(key);
        } else if (!get_count(r, &len, 1) || !(key = get_text(r, (size_t)len))) {
            goto fail;
        }
        if (json_object_getn(object, key, (size_t)len)) {
            damaged(r, "a key written twice");
            goto fail;
        }
        json_t *value = decode_value(r, depth + 1);
        if (!value || json_object_setn_new_nocheck(object, key, (size_t)len, value) != 0)
            goto fail_value;
    }
    return object;
fail_cut:
    damaged(r, "an object cut short");
    goto fail;
fail_value:
    if (!r->in.failed)
        r->in.no_memory = true;
fail:
    json_decref(object);
    return NULL;
}

static json_t *decode_array(Reader *r, uint64_t count, int depth)
{
    json_t *array = json_array();
    if (!array)
        return no_memory(r);
    for (uint64_t i = 0; i < count; i++) {
        json_t *item = decode_value(r, depth + 1);
        if (!item || json_array_append_new(array, item) != 0) {
            if (!r->in.failed)
                r->in.no_memory = true;
            json_decref(array);
            return NULL;
        }
    }
    return array;
}

static json_t *decode_string(Reader *r, uint64_t len)
{
    const char *text = get_text(r, (size_t)len);
    if (!text)
        return NULL;
    json_t *string = json_stringn_nocheck(text, (size_t)len);
    return string ? string : no_memory(r);
}

/* A time or a hex string of format 2, as the string it stands for. */
static json_t *decode_shaped(Reader *r, unsigned tag)
{
    char text[2 * CODEC_HEX_MAX];
    size_t len;
    if (tag == CODEC_TAG_TIME) {
        uint64_t ms;
        if (!get_varint(r, &ms))
            return NULL;
        if (ms > CODEC_TIME_MAX)
            return damaged(r, "a time past the year 9999");
        codec_time_text(ms, text);
        len = CODEC_TIME_LEN;
    } else {
        if (left(r) < 1 || r->in.bytes[r->in.at] < CODEC_HEX_MIN || r->in.bytes[r->in.at] > CODEC_HEX_MAX)
            return damaged(r, left(r) < 1 ? "hex cut short" : "a hex length not from 8 to 127");
        size_t n = r->in.bytes[r->in.at];
        if (n > left(r) - 1)
            return damaged(r, "hex cut short");
        codec_hex_text(r->in.bytes + r->in.at + 1, n, text);
        r->in.at += 1 + n;
        len = 2 * n;
    }
    json_t *string = json_stringn_nocheck(text, len);
    return string ? string : no_memory(r);
}

static json_t *decode_scalar(Reader *r, unsigned tag)
{
    uint64_t n;
    json_t *value;
    switch (tag) {
    case CODEC_TAG_NULL: value = json_null(); break;
    case CODEC_TAG_FALSE: value = json_false(); break;
    case CODEC_TAG_TRUE: value = json_true(); break;
    case CODEC_TAG_INT:
        if (!get_varint(r, &n))
            return NULL;
        value = json_integer((json_int_t)(int64_t)(n >> 1 ^ (0 - (n & 1))));
        break;
    case CODEC_TAG_REAL: {
        if (left(r) < 8)
            return damaged(r, "a real cut short");
        uint64_t bits = 0;
        for (int i = 0; i < 8; i++)
            bits |= (uint64_t)r->in.bytes[r->in.at + i] << (8 * i);
        double d;
        memcpy(&d, &bits, sizeof d);
        if (!isfinite(d))
            return damaged(r, "a real that is not a finite number");
        r->in.at += 8;
        value = json_real(d);
        break;
    }
    case CODEC_TAG_TIME:
    case CODEC_TAG_HEX:
        if (r->format >= CODEC_FORMAT_2)
            return decode_shaped(r, tag);
        /* fall through */
    default:
        r->in.at--;
        return damaged(r, r->format >= CODEC_FORMAT_2 ? "a tag format 2 does not have"
                                                      : "a tag format 1 does not have");
    }
    return value ? value : no_memory(r);
}

static json_t *decode_value(Reader *r, int depth)
{
    if (r->in.at >= r->in.len)
        return damaged(r, "a value cut short");
    unsigned tag = r->in.bytes[r->in.at++];
    uint64_t n;
    bool nests = tag == CODEC_TAG_ARRAY || tag == CODEC_TAG_OBJECT || (tag >= CODEC_TAG_SHORT_ARRAY &&
                                                          tag < CODEC_TAG_SHORT_OBJECT + 16);
    if (nests && depth >= CODEC_DEPTH_MAX)
        return damaged(r, "arrays and objects nested deeper than 1,100");
    if (tag >= CODEC_TAG_SHORT_OBJECT && tag <= CODEC_TAG_SHORT_OBJECT + CODEC_SHORT_COUNT_MAX)
        return tag - CODEC_TAG_SHORT_OBJECT > left(r) / 2 ? damaged(r, "an object cut short")
                                                     : decode_object(r, tag - CODEC_TAG_SHORT_OBJECT, depth);
    if (tag >= CODEC_TAG_SHORT_ARRAY && tag <= CODEC_TAG_SHORT_ARRAY + CODEC_SHORT_COUNT_MAX)
        return decode_array(r, tag - CODEC_TAG_SHORT_ARRAY, depth);
    if (tag >= CODEC_TAG_SHORT_STRING && tag <= CODEC_TAG_SHORT_STRING + CODEC_SHORT_STRING_MAX)
        return decode_string(r, tag - CODEC_TAG_SHORT_STRING);
    if (tag >= CODEC_TAG_SMALL_INT && tag <= CODEC_TAG_SMALL_INT + CODEC_SMALL_INT_MAX) {
        json_t *value = json_integer(tag - CODEC_TAG_SMALL_INT);
        return value ? value : no_memory(r);
    }
    if (tag >= CODEC_TAG_VALUE && r->format >= CODEC_FORMAT_2) {
        size_t len;
        const char *text = codec_value_text(tag, &len);
        if (!text) {
            r->in.at--;
            return damaged(r, "a value past the strings format 2 knows");
        }
        json_t *value = json_stringn_nocheck(text, len);
        return value ? value : no_memory(r);
    }
    switch (tag) {
    case CODEC_TAG_OBJECT:
        return get_count(r, &n, 2) ? decode_object(r, n, depth) : NULL;
    case CODEC_TAG_ARRAY:
        return get_count(r, &n, 1) ? decode_array(r, n, depth) : NULL;
    case CODEC_TAG_STRING:
        return get_count(r, &n, 1) ? decode_string(r, n) : NULL;
    default:
        return decode_scalar(r, tag);
    }
}

bool codec_is_binary(const void *data, size_t len)
{
    return len > 0 && (((const unsigned char *)data)[0] == CODEC_FORMAT_1 ||
                       ((const unsigned char *)data)[0] == CODEC_FORMAT_2);
}

/* A first byte no JSON text begins with, of a format newer than this codec reads. */
static bool codec_is_newer(const void *data, size_t len)
{
    return len > 0 && ((const unsigned char *)data)[0] > CODEC_FORMAT &&
           ((const unsigned char *)data)[0] <= CODEC_FORMAT_NEWEST_BYTE;
}

int codec_decode(const void *data, size_t len, json_t **out, char *why, size_t why_len)
{
    pthread_once(&key_once, keys_build);
    Reader r;
    byte_reader_init(&r.in, data, len, 1, NULL, why, why_len);
    *out = NULL;
    if (!codec_is_binary(data, len)) {
        r.in.at = 0;
        damaged(&r, "not a record of format 1 or 2");
        return CODEC_DAMAGED;
    }
    r.format = ((const unsigned char *)data)[0];
    json_t *value = decode_value(&r, 0);
    if (value && r.in.at != r.in.len) {
        json_decref(value);
        value = damaged(&r, "bytes after the record's end");
    }
    if (!value) {
        if (r.in.no_memory && !r.in.failed && r.in.why)
            snprintf(r.in.why, r.in.why_len, "out of memory");
        return r.in.failed ? CODEC_DAMAGED : CODEC_NO_MEMORY;
    }
    *out = value;
    return CODEC_OK;
}

int codec_decode_value(ByteReader *in, json_t **out)
{
    pthread_once(&key_once, keys_build);
    char what[160];
    Reader r;
    byte_reader_init(&r.in, in->bytes, in->len, in->at, NULL, what, sizeof what);
    r.format = CODEC_FORMAT;
    *out = decode_value(&r, 0);
    if (*out) {
        in->at = r.in.at;
        return CODEC_OK;
    }
    if (!r.in.failed) {
        byte_reader_no_memory(in);
        return CODEC_NO_MEMORY;
    }
    char *where = strstr(what, " at byte ");
    if (where)
        *where = '\0';     /* said again by the outer reader, which stands where it is */
    in->at = r.in.at;
    byte_reader_damaged(in, what);
    return CODEC_DAMAGED;
}

int codec_load(const void *data, size_t len, json_t **out, char *why, size_t why_len)
{
    if (codec_is_binary(data, len)) {
        char what[160];
        int rc = codec_decode(data, len, out, what, sizeof what);
        if (rc == CODEC_DAMAGED)
            snprintf(why, why_len, "is not a readable record (%s)", what);
        else if (rc != CODEC_OK)
            snprintf(why, why_len, "%s", what);
        return rc;
    }
    if (codec_is_newer(data, len)) {
        snprintf(why, why_len, "is a record of format %u, newer than this huddle reads (formats 1 "
                 "and 2)", ((const unsigned char *)data)[0]);
        *out = NULL;
        return CODEC_DAMAGED;
    }
    json_error_t error;
    *out = json_loadb(data, len, 0, &error);
    if (*out)
        return CODEC_OK;
    if (json_error_code(&error) == json_error_out_of_memory) {
        snprintf(why, why_len, "out of memory");
        return CODEC_NO_MEMORY;
    }
    snprintf(why, why_len, "is not JSON (%s)", error.text);
    return CODEC_DAMAGED;
}
