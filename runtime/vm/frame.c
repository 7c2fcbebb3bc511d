/*
 * frame.c - frames: allocation, and a compact binary form that survives a restart.
 *
 * Layout (little-endian): "HFR" 0, format version, state, pc, step, trigger, the data
 * and meta values, then the vars, locals and stack, each a count and values. A value is
 * a type byte and its payload: zigzag varints for integers, times and durations, eight
 * bytes for doubles, a varint length and bytes for strings, a count and items for lists
 * and maps. Decoding checks everything against the program it resumes.
 *
 * Format 2 (written since 2026-12-04 late; format 1 is still read) differs in one thing:
 * a map's key is a varint k; an odd k is word k >> 1 of FRAME_WORDS (the event meta's
 * four keys and common event fields), an even k a key of k >> 1 bytes that follow. A key
 * that is a word is always written as the word (a frame has one encoding: the decoder
 * refuses the word spelled out), so an event's meta map, {source, type, id, time}, takes
 * 4 bytes of keys instead of 20. FRAME_WORDS only ever grows at its end.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "utf8.h"
#include "vm.h"

#define FRAME_MAGIC "HFR"
#define FRAME_VERSION 2             /* written; 1 is read too */
#define FRAME_MAX_DEPTH 2048        /* jansson reads JSON at most this deep too */

/* The reason frame_decode gives when an allocation failed (compared by address). */
static const char FRAME_NO_MEMORY[] = "out of memory reading a frame";

Frame *frame_new(const Program *program)
{
    Frame *frame = calloc(1, sizeof *frame);
    if (!frame)
        return NULL;
    frame->vars = calloc(program->bc.vars_count + 1, sizeof(Value));
    frame->locals = calloc(program->bc.max_locals + 1, sizeof(Value));
    if (!frame->vars || !frame->locals) {
        frame_free(frame);   /* the counts are 0 still: nothing to release */
        return NULL;
    }
    frame->var_count = program->bc.vars_count;
    frame->local_count = program->bc.max_locals;
    return frame;
}

void frame_free(Frame *frame)
{
    if (!frame)
        return;
    value_release(frame->data);
    value_release(frame->meta);
    for (uint32_t i = 0; i < frame->var_count; i++)
        value_release(frame->vars[i]);
    for (uint32_t i = 0; i < frame->local_count; i++)
        value_release(frame->locals[i]);
    for (uint32_t i = 0; i < frame->stack_count; i++)
        value_release(frame->stack[i]);
    free(frame->vars);
    free(frame->locals);
    free(frame->stack);
    free(frame);
}

/* Map keys format 2 writes as a number: the event meta's four keys, then event fields
   common in playbooks (the repository's workflows and docs). Append only: a word's
   number is in every frame written with it. */
static const char *const FRAME_WORDS[] = {
    "source", "type", "id", "time", "host", "service", "level", "severity", "message",
    "status", "name", "user", "team", "key", "value", "url", "error", "reason", "summary",
    "title", "priority", "env", "region", "incident", "product", "order", "amount", "count",
    "currency", "account_id", "comment", "score"};
#define FRAME_WORD_COUNT (sizeof FRAME_WORDS / sizeof FRAME_WORDS[0])

/* Where frame_word looks a key up: FRAME_WORD_SLOTS[frame_word_hash(key)] is its word's
   number + 1, or 0. Only a lookup aid, not part of the format: a word appended to
   FRAME_WORDS needs a slot of its own, and if its hash takes a used one, new constants
   in frame_word_hash and this table (test_frame's test_format_2_words checks every word). */
static const uint8_t FRAME_WORD_SLOTS[128] = {
    0, 11, 0, 22, 0, 0, 0, 0, 0, 0, 0, 0, 0, 17, 0, 0,
    0, 0, 32, 0, 0, 0, 19, 26, 1, 0, 10, 0, 0, 13, 8, 6,
    0, 0, 14, 27, 0, 0, 0, 0, 30, 4, 0, 0, 2, 0, 0, 0,
    0, 0, 0, 20, 0, 0, 0, 0, 0, 25, 0, 0, 0, 12, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 16, 0, 0, 21, 0, 0, 0, 0, 0,
    0, 29, 0, 0, 0, 7, 31, 0, 28, 0, 0, 0, 0, 0, 0, 5,
    0, 0, 0, 15, 0, 0, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 23, 9, 0, 0, 0, 24, 0, 0, 0, 0, 18, 0, 0,
};

static unsigned frame_word_hash(const char *key, size_t len)
{
    return (unsigned)(len * 3 + (unsigned char)key[0] * 28u + (unsigned char)key[len / 2]) & 127u;
}

/* The word `key` (len bytes, maybe with NULs) is, or FRAME_WORD_COUNT. */
static size_t frame_word(const char *key, size_t len)
{
    if (len < 2 || len > 10)        /* the words' lengths */
        return FRAME_WORD_COUNT;
    unsigned slot = FRAME_WORD_SLOTS[frame_word_hash(key, len)];
    if (slot == 0)
        return FRAME_WORD_COUNT;
    const char *word = FRAME_WORDS[slot - 1];
    return strlen(word) == len && memcmp(word, key, len) == 0 ? slot - 1 : FRAME_WORD_COUNT;
}

/* ---- encoding ---- */

static inline void put_bytes(StrBuf *out, const void *bytes, size_t len)
{
    strbuf_put(out, bytes, len);
}

static inline void put_byte(StrBuf *out, uint8_t byte)
{
    strbuf_put(out, &byte, 1);
}

static inline void put_varint(StrBuf *out, uint64_t v)
{
    strbuf_put_varint(out, v);
}

static void put_signed(StrBuf *out, int64_t v)
{
    put_varint(out, ((uint64_t)v << 1) ^ (uint64_t)(v >> 63));
}

static void put_value(StrBuf *out, Value v, unsigned format)
{
    put_byte(out, (uint8_t)v.type);
    switch (v.type) {
    case VAL_BOOL: put_byte(out, (uint8_t)v.as.boolean); break;
    case VAL_INT: put_signed(out, v.as.integer); break;
    case VAL_FLOAT: put_bytes(out, (const char *)&v.as.number, 8); break;
    case VAL_TIME: case VAL_DURATION: put_signed(out, v.as.ms); break;
    case VAL_BUSINESS: put_signed(out, v.as.integer); put_byte(out, (uint8_t)v.unit); break;
    case VAL_STRING:
        put_varint(out, v.as.string->len);
        put_bytes(out, v.as.string->data, v.as.string->len);
        break;
    case VAL_LIST:
        put_varint(out, v.as.list->count);
        for (uint32_t i = 0; i < v.as.list->count; i++)
            put_value(out, v.as.list->items[i], format);
        break;
    case VAL_MAP:
        put_varint(out, v.as.map->count);
        for (uint32_t i = 0; i < v.as.map->count; i++) {
            const HString *key = v.as.map->keys[i];
            size_t word = format == 1 ? FRAME_WORD_COUNT : frame_word(key->data, key->len);
            if (format == 1) {
                put_varint(out, key->len);
                put_bytes(out, key->data, key->len);
            } else if (word < FRAME_WORD_COUNT) {
                put_varint(out, (uint64_t)word << 1 | 1);
            } else {
                put_varint(out, (uint64_t)key->len << 1);
                put_bytes(out, key->data, key->len);
            }
            put_value(out, v.as.map->values[i], format);
        }
        break;
    default: break;
    }
}

static void put_values(StrBuf *out, const Value *values, uint32_t count, unsigned format)
{
    put_varint(out, count);
    for (uint32_t i = 0; i < count; i++)
        put_value(out, values[i], format);
}

void frame_encode(const Frame *frame, StrBuf *out)
{
    frame_encode_format(frame, FRAME_VERSION, out);
}

void frame_encode_format(const Frame *frame, unsigned format, StrBuf *out)
{
    put_bytes(out, FRAME_MAGIC, 4);
    put_varint(out, format);
    put_varint(out, frame->state);
    put_varint(out, frame->pc);
    put_varint(out, frame->step);
    put_varint(out, frame->trigger);
    put_value(out, frame->data, format);
    put_value(out, frame->meta, format);
    put_values(out, frame->vars, frame->var_count, format);
    put_values(out, frame->locals, frame->local_count, format);
    put_values(out, frame->stack, frame->stack_count, format);
}

/* ---- decoding ---- */

typedef struct FrameReader {
    const uint8_t *at, *end;
    const char *why;
    uint64_t format;
} FrameReader;

static bool get_varint(FrameReader *r, uint64_t *v)
{
    *v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
        if (r->at >= r->end)
            return r->why = "the frame ends early", false;
        uint8_t byte = *r->at++;
        *v |= (uint64_t)(byte & 0x7F) << shift;
        if (!(byte & 0x80))
            return true;
    }
    return r->why = "a number in the frame is too long", false;
}

static bool get_signed(FrameReader *r, int64_t *v)
{
    uint64_t u;
    if (!get_varint(r, &u))
        return false;
    *v = (int64_t)(u >> 1) ^ -(int64_t)(u & 1);
    return true;
}

/* Whether the bytes are all ASCII (then valid UTF-8), checked 8 at a time. */
static bool ascii_only(const uint8_t *bytes, uint64_t len)
{
    uint64_t i = 0, high = 0;
    for (; i + 8 <= len; i += 8) {
        uint64_t word;
        memcpy(&word, bytes + i, 8);
        high |= word;
    }
    for (; i < len; i++)
        high |= bytes[i];
    return (high & 0x8080808080808080ull) == 0;
}

/* `len` bytes of UTF-8 text at the reader's place. */
static bool get_text_bytes(FrameReader *r, const char **bytes, uint64_t *len)
{
    if (*len > (uint64_t)(r->end - r->at))
        return r->why = "a string runs past the end of the frame", false;
    *bytes = (const char *)r->at;
    if (!ascii_only(r->at, *len) && utf8_valid_prefix(r->at, *len) != *len)
        return r->why = "a string in the frame is not UTF-8", false;
    r->at += *len;
    return true;
}

static bool get_text(FrameReader *r, const char **bytes, uint64_t *len)
{
    return get_varint(r, len) && get_text_bytes(r, bytes, len);
}

/* A map's key: text (format 1), or a word or text (format 2). */
static bool get_key(FrameReader *r, const char **bytes, uint64_t *len)
{
    if (r->format == 1)
        return get_text(r, bytes, len);
    uint64_t k;
    if (!get_varint(r, &k))
        return false;
    if (k & 1) {
        if ((k >> 1) >= FRAME_WORD_COUNT)
            return r->why = "a map key is a word the frame format does not have", false;
        *bytes = FRAME_WORDS[k >> 1];
        *len = strlen(*bytes);
        return true;
    }
    *len = k >> 1;
    if (!get_text_bytes(r, bytes, len))
        return false;
    if (frame_word(*bytes, *len) < FRAME_WORD_COUNT)
        return r->why = "a map key is spelled out where the frame format has its word", false;
    return true;
}

static bool get_value(FrameReader *r, Value *out, int depth)
{
    *out = VALUE_NULL;
    if (depth > FRAME_MAX_DEPTH)
        return r->why = "values nest too deeply", false;
    if (r->at >= r->end)
        return r->why = "the frame ends early", false;
    uint8_t type = *r->at++;
    int64_t n;
    uint64_t count;
    const char *bytes;
    switch (type) {
    case VAL_NULL: return true;
    case VAL_BOOL:
        if (r->at >= r->end || *r->at > 1)
            return r->why = "a bad boolean", false;
        *out = value_bool(*r->at++);
        return true;
    case VAL_INT: if (!get_signed(r, &n)) return false; *out = value_int(n); return true;
    case VAL_TIME: if (!get_signed(r, &n)) return false; *out = value_time(n); return true;
    case VAL_DURATION: if (!get_signed(r, &n)) return false; *out = value_duration(n); return true;
    case VAL_BUSINESS:
        if (!get_signed(r, &n) || r->at >= r->end || *r->at > BUSINESS_DAYS)
            return r->why = r->why ? r->why : "a bad business duration", false;
        *out = value_business(n, (BusinessUnit)*r->at++);
        return true;
    case VAL_FLOAT: {
        if (r->end - r->at < 8)
            return r->why = "the frame ends early", false;
        double d;
        memcpy(&d, r->at, 8);
        r->at += 8;
        *out = value_float(d);
        return true;
    }
    case VAL_STRING:
        if (!get_text(r, &bytes, &count))
            return false;
        *out = value_string(bytes, count);
        return out->type == VAL_STRING || (r->why = FRAME_NO_MEMORY, false);
    case VAL_LIST:
        if (!get_varint(r, &count) || count > UINT32_MAX || count > (uint64_t)(r->end - r->at))
            return r->why = r->why ? r->why : "a list is too long", false;
        *out = value_list_new((uint32_t)count);
        if (out->type != VAL_LIST)
            return r->why = FRAME_NO_MEMORY, false;
        for (uint64_t i = 0; i < count; i++) {
            Value item;
            if (!get_value(r, &item, depth + 1)) {
                value_release(item);   /* a list or map cut short */
                return false;
            }
            if (!value_list_push(*out, item))
                return r->why = FRAME_NO_MEMORY, false;
        }
        return true;
    case VAL_MAP:
        if (!get_varint(r, &count) || count > UINT32_MAX || count > (uint64_t)(r->end - r->at))
            return r->why = r->why ? r->why : "a map is too long", false;
        *out = value_map_new((uint32_t)count);
        if (out->type != VAL_MAP)
            return r->why = FRAME_NO_MEMORY, false;
        for (uint64_t i = 0; i < count; i++) {
            uint64_t key_len;
            Value item = VALUE_NULL;
            if (!get_key(r, &bytes, &key_len) || !get_value(r, &item, depth + 1)) {
                value_release(item);
                return false;
            }
            if (!value_map_set(*out, bytes, key_len, item))
                return r->why = FRAME_NO_MEMORY, false;
        }
        return true;
    default:
        return r->why = "a value of unknown type", false;
    }
}

static bool get_values(FrameReader *r, Value *values, uint32_t want)
{
    uint64_t count;
    if (!get_varint(r, &count))
        return false;
    if (count != want)
        return r->why = "the frame does not match the program's vars or locals", false;
    for (uint32_t i = 0; i < want; i++)
        if (!get_value(r, &values[i], 0))
            return false;
    return true;
}

Frame *frame_decode(const Program *program, const uint8_t *bytes, size_t len, char *why,
                    size_t why_len)
{
    FrameReader r = {bytes, bytes + len, NULL, 1};
    Frame *frame = frame_new(program);
    if (!frame) {
        value_oom_note();
        snprintf(why, why_len, "%s", FRAME_NO_MEMORY);
        return NULL;
    }
    uint64_t version = 0, state, pc, step, trigger, stack_count;
    bool ok = len >= 4 && memcmp(bytes, FRAME_MAGIC, 4) == 0;
    if (!ok)
        r.why = "not a frame";
    r.at += ok ? 4 : 0;
    ok = ok && get_varint(&r, &version) &&
         ((version >= 1 && version <= FRAME_VERSION) || (r.why = "an unknown frame format", false));
    r.format = version;
    ok = ok && get_varint(&r, &state) && get_varint(&r, &pc) && get_varint(&r, &step) &&
         get_varint(&r, &trigger);
    if (ok && (state >= program->bc.states_count || pc >= program->bc.code_count ||
               trigger >= program->bc.triggers_count)) {
        r.why = "the frame points outside its program";
        ok = false;
    }
    if (ok) {
        frame->state = (uint32_t)state;
        frame->pc = (uint32_t)pc;
        frame->step = step;
        frame->trigger = (uint32_t)trigger;
        Opcode op = bc_op(program->bc.code[pc]);
        if (op != OP_ASK && op != OP_WAIT && op != OP_CALL && op != OP_DONE && op != OP_FAIL) {
            r.why = "the frame is not at a suspension point";
            ok = false;
        }
    }
    ok = ok && get_value(&r, &frame->data, 0) && get_value(&r, &frame->meta, 0) &&
         get_values(&r, frame->vars, frame->var_count) &&
         get_values(&r, frame->locals, frame->local_count) && get_varint(&r, &stack_count);
    if (ok && stack_count > 0) {
        r.why = "a suspended frame has an empty stack";
        ok = false;
    }
    if (ok && r.at != r.end) {
        r.why = "stray bytes after the frame";
        ok = false;
    }
    if (!ok) {
        if (r.why == FRAME_NO_MEMORY)
            snprintf(why, why_len, "%s", FRAME_NO_MEMORY);
        else
            snprintf(why, why_len, "corrupt frame: %s", r.why ? r.why : "unreadable");
        frame_free(frame);
        return NULL;
    }
    return frame;
}
