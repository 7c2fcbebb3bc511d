/*
 * engine_outbox_entry.c - an outbox entry (engine_outbox_entry.h): the struct's fields,
 * its binary encoding, and the conversions from and to the older JSON entry.
 *
 * The encoding, OUTBOX_ENTRY_FORMAT_1 (varints are LEB128, shortest form; a signed one
 * is zigzag; a text is a varint length and that many bytes of UTF-8 with no NUL; a
 * record is a varint length and a record of the codec's binary form):
 *
 *   0x13                       the version byte
 *   byte kind                  0 call, 1 send, 2 message, 3 head
 *   byte status                0 pending, 2 failed
 *   byte flags                 1 arg, 2 message, 4 error (which parts follow)
 *   varint instance, suspension
 *   varint index, attempts, created_ms, next_ms, lease_ms     (zigzag)
 *   text connector, operation, base
 *   [record arg]
 *   [varint recipients, each a text and a byte state (0 pending, 1 done, 2 failed);
 *    text about; record of the message's other members (an object)]
 *   [text error]
 *
 * and nothing after. A flag this version does not define is damage.
 */
#include "engine_outbox_entry.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine_codec.h"
#include "grow.h"

enum { FLAG_ARG = 1 << 0, FLAG_MESSAGE = 1 << 1, FLAG_ERROR = 1 << 2, FLAGS_KNOWN = 7 };

static const char *const KIND_TEXT[OUTBOX_KIND_COUNT] = {"call", "send", "message", "head"};
static const char *const STATE_TEXT[OUTBOX_STATE_COUNT] = {"pending", "done", "failed"};

const char *outbox_kind_text(OutboxKind kind)
{
    return kind < OUTBOX_KIND_COUNT ? KIND_TEXT[kind] : "?";
}

const char *outbox_state_text(OutboxState state)
{
    return state < OUTBOX_STATE_COUNT ? STATE_TEXT[state] : "?";
}

void outbox_entry_free(OutboxEntry *e)
{
    free(e->connector);
    free(e->operation);
    free(e->base);
    strbuf_free(&e->arg);
    for (size_t i = 0; i < e->to_count; i++)
        free(e->to[i].person);
    free(e->to);
    free(e->about);
    strbuf_free(&e->message);
    free(e->error);
    memset(e, 0, sizeof *e);
}

int outbox_entry_set_text(char **field, const char *text)
{
    char *copy = NULL;
    if (text && !(copy = codec_text_copy(text, strlen(text))))
        return -1;
    free(*field);
    *field = copy;
    return 0;
}

int outbox_entry_add_recipient(OutboxEntry *e, const char *person, OutboxState state)
{
    if (e->to_cap < e->to_count)
        e->to_cap = e->to_count;
    OutboxRecipient *grown = grow_for_one(e->to, &e->to_cap, e->to_count, sizeof *grown, 8, realloc);
    if (!grown)
        return -1;
    e->to = grown;
    char *copy = codec_text_copy(person, strlen(person));
    if (!copy)
        return -1;
    e->to[e->to_count++] = (OutboxRecipient){copy, state};
    return 0;
}

void outbox_entry_key(const OutboxEntry *e, size_t position, char *out, size_t len)
{
    snprintf(out, len, "%s%lld", e->base ? e->base : "", (long long)(e->index + (int64_t)position));
}

/* ---- encoding ---- */

static void put_text(StrBuf *out, const char *text)
{
    size_t len = strlen(text);
    strbuf_put_varint(out, len);
    strbuf_put(out, text, len);
}

static void put_signed(StrBuf *out, int64_t n)
{
    strbuf_put_varint(out, (uint64_t)n << 1 ^ (uint64_t)(n >> 63));
}

static void put_record(StrBuf *out, const StrBuf *record)
{
    strbuf_put_varint(out, record->len);
    strbuf_put(out, record->data, record->len);
}

int outbox_entry_encode(const OutboxEntry *e, StrBuf *out)
{
    if (!e->connector || !e->operation || !e->base || (e->has_message && !e->about) ||
        e->kind >= OUTBOX_KIND_COUNT || e->status >= OUTBOX_STATE_COUNT)
        return -1;   /* never for an entry the engine made */
    unsigned flags = (e->arg.len ? FLAG_ARG : 0) | (e->has_message ? FLAG_MESSAGE : 0) | (e->error ? FLAG_ERROR : 0);
    unsigned char head[4] = {OUTBOX_ENTRY_FORMAT_1, (unsigned char)e->kind, (unsigned char)e->status,
                             (unsigned char)flags};
    strbuf_put(out, head, 4);
    strbuf_put_varint(out, e->instance);
    strbuf_put_varint(out, e->suspension);
    put_signed(out, e->index);
    put_signed(out, e->attempts);
    put_signed(out, e->created_ms);
    put_signed(out, e->next_ms);
    put_signed(out, e->lease_ms);
    put_text(out, e->connector);
    put_text(out, e->operation);
    put_text(out, e->base);
    if (flags & FLAG_ARG)
        put_record(out, &e->arg);
    if (flags & FLAG_MESSAGE) {
        strbuf_put_varint(out, e->to_count);
        for (size_t i = 0; i < e->to_count; i++) {
            put_text(out, e->to[i].person);
            strbuf_putc(out, (char)e->to[i].state);
        }
        put_text(out, e->about);
        put_record(out, &e->message);
    }
    if (flags & FLAG_ERROR)
        put_text(out, e->error);
    return strbuf_failed(out) ? -1 : 0;
}

/* ---- decoding ---- */

typedef ByteReader Reader;    /* engine_codec.h: its sentences say "outbox entry" */

static bool damaged(Reader *rd, const char *what)
{
    return byte_reader_damaged(rd, what);
}

static bool get_varint(Reader *rd, uint64_t *out)
{
    return byte_reader_varint(rd, out);
}

static bool get_signed(Reader *rd, int64_t *out)
{
    uint64_t n;
    if (!get_varint(rd, &n))
        return false;
    *out = (int64_t)(n >> 1 ^ -(n & 1));
    return true;
}

static bool get_bytes(Reader *rd, size_t n, const unsigned char **out)
{
    return byte_reader_bytes(rd, n, out);
}

/* A codec record, checked whole (it must decode, to `object` when asked) and kept. */
static bool get_record(Reader *rd, StrBuf *out, bool object)
{
    size_t len;
    const unsigned char *bytes;
    if (!byte_reader_sized(rd, &bytes, &len))
        return false;
    json_t *value = NULL;
    char why[200];
    int rc = codec_decode(bytes, len, &value, why, sizeof why);
    bool fits = rc == CODEC_OK && (!object || json_is_object(value));
    if (rc == CODEC_OK)
        json_decref(value);
    if (rc == CODEC_NO_MEMORY)
        return byte_reader_no_memory(rd);
    if (!fits)
        return damaged(rd, object ? "a message that is not an object record" : "an argument that is not a record");
    strbuf_put(out, bytes, len);
    if (strbuf_failed(out))
        return byte_reader_no_memory(rd);
    return true;
}

static bool get_recipients(Reader *rd, OutboxEntry *e)
{
    uint64_t count;
    if (!get_varint(rd, &count))
        return false;
    if (count > (rd->len - rd->at) / 2)     /* a recipient takes two bytes at least */
        return damaged(rd, "a count larger than the bytes left");
    if (count && !(e->to = calloc((size_t)count, sizeof *e->to)))
        return byte_reader_no_memory(rd);
    e->to_cap = (size_t)count;
    for (uint64_t i = 0; i < count; i++) {
        const unsigned char *state;
        if (!byte_reader_text_copy(rd, &e->to[i].person))
            return false;
        e->to_count++;
        if (!get_bytes(rd, 1, &state))
            return false;
        if (*state >= OUTBOX_STATE_COUNT)
            return damaged(rd, "an unknown recipient state");
        e->to[i].state = (OutboxState)*state;
    }
    return true;
}

static bool get_entry(Reader *rd, OutboxEntry *e)
{
    const unsigned char *head;
    if (!get_bytes(rd, 3, &head))
        return false;
    if (head[0] >= OUTBOX_KIND_COUNT)
        return damaged(rd, "an unknown kind");
    if (head[1] != OUTBOX_PENDING && head[1] != OUTBOX_FAILED)
        return damaged(rd, "an unknown status");
    if (head[2] & ~FLAGS_KNOWN)
        return damaged(rd, "an unknown flag");
    e->kind = (OutboxKind)head[0];
    e->status = (OutboxState)head[1];
    unsigned flags = head[2];
    if (!get_varint(rd, &e->instance) || !get_varint(rd, &e->suspension) || !get_signed(rd, &e->index) ||
        !get_signed(rd, &e->attempts) || !get_signed(rd, &e->created_ms) || !get_signed(rd, &e->next_ms) ||
        !get_signed(rd, &e->lease_ms))
        return false;
    if (!byte_reader_text_copy(rd, &e->connector) || !byte_reader_text_copy(rd, &e->operation) ||
        !byte_reader_text_copy(rd, &e->base))
        return false;
    if ((flags & FLAG_ARG) && !get_record(rd, &e->arg, false))
        return false;
    if (flags & FLAG_MESSAGE) {
        e->has_message = true;
        if (!get_recipients(rd, e) || !byte_reader_text_copy(rd, &e->about) || !get_record(rd, &e->message, true))
            return false;
    }
    if ((flags & FLAG_ERROR) && !byte_reader_text_copy(rd, &e->error))
        return false;
    return byte_reader_end(rd, "bytes after the entry");
}

bool outbox_entry_is_typed(const void *data, size_t len)
{
    return byte_version_in(data, len, OUTBOX_ENTRY_FORMAT_1, OUTBOX_ENTRY_NEWEST_BYTE);
}

int outbox_entry_decode(const void *data, size_t len, OutboxEntry *out, char *why, size_t why_len)
{
    memset(out, 0, sizeof *out);
    Reader rd;
    if (!byte_reader_open(&rd, data, len, OUTBOX_ENTRY_FORMAT_1, OUTBOX_ENTRY_FORMAT_1, OUTBOX_ENTRY_NEWEST_BYTE,
                          "outbox entry", why, why_len))
        return OUTBOX_ENTRY_DAMAGED;
    if (get_entry(&rd, out))
        return OUTBOX_ENTRY_OK;
    outbox_entry_free(out);
    if (rd.no_memory) {
        if (why_len)
            snprintf(why, why_len, "out of memory");
        return OUTBOX_ENTRY_NO_MEMORY;
    }
    return OUTBOX_ENTRY_DAMAGED;
}

int outbox_entry_peek(const void *data, size_t len, OutboxState *status, int64_t *created_ms)
{
    if (!outbox_entry_is_typed(data, len)) {
        OutboxEntry e;
        char why[200];
        int rc = outbox_entry_load(data, len, &e, why, sizeof why);
        *status = e.status;
        *created_ms = e.created_ms;
        outbox_entry_free(&e);
        return rc;
    }
    Reader rd;
    const unsigned char *head;
    uint64_t skip;
    int64_t index, attempts;
    if (!byte_reader_open(&rd, data, len, OUTBOX_ENTRY_FORMAT_1, OUTBOX_ENTRY_FORMAT_1, OUTBOX_ENTRY_NEWEST_BYTE,
                          "outbox entry", NULL, 0) ||
        !get_bytes(&rd, 3, &head) || (head[1] != OUTBOX_PENDING && head[1] != OUTBOX_FAILED) ||
        !get_varint(&rd, &skip) || !get_varint(&rd, &skip) || !get_signed(&rd, &index) ||
        !get_signed(&rd, &attempts) || !get_signed(&rd, created_ms))
        return OUTBOX_ENTRY_DAMAGED;
    *status = (OutboxState)head[1];
    return OUTBOX_ENTRY_OK;
}

int outbox_entry_load(const void *data, size_t len, OutboxEntry *out, char *why, size_t why_len)
{
    if (outbox_entry_is_typed(data, len))
        return outbox_entry_decode(data, len, out, why, why_len);
    memset(out, 0, sizeof *out);
    json_t *json;
    int rc = codec_load(data, len, &json, why, why_len);
    if (rc != CODEC_OK)
        return rc == CODEC_NO_MEMORY ? OUTBOX_ENTRY_NO_MEMORY : OUTBOX_ENTRY_DAMAGED;
    rc = outbox_entry_from_json(json, out, why, why_len);
    json_decref(json);
    return rc;
}
