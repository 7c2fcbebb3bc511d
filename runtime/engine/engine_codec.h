/*
 * engine_codec.h - the bytes of the engine's JSON records in the store: a compact,
 * versioned binary encoding of jansson values (format 1, described byte by byte in
 * engine_codec.c and docs/internals.md), and the JSON text that stores of schema 1 hold.
 *
 * The codec knows nothing of tables or steps: it turns a json_t into bytes and bytes
 * back into a json_t, checking every byte it reads. It is shared by the engine (every
 * record goes through engine_put_json / engine_parse_json), the conversion of old
 * stores (engine_upgrade.c), and the tools that read stores (tests/crash, bench).
 */
#ifndef HUDDLE_ENGINE_CODEC_H
#define HUDDLE_ENGINE_CODEC_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "strbuf.h"

/* The first byte of every binary record: JSON text never begins with it. */
#define CODEC_FORMAT_1 0x01
/* How deep arrays and objects may nest in a record: event data nests at most 1,000
   deep (RUNTIME.md, "Limits and damage"), and a record wraps it in a few levels of its
   own (a mailbox entry's "data", a history record's "event"). */
#define CODEC_DEPTH_MAX 1100

enum {
    CODEC_OK = 0,
    CODEC_DAMAGED = -1,     /* the bytes are not a record: see the sentence */
    CODEC_NO_MEMORY = -2,
    CODEC_TOO_DEEP = -3     /* encoding: the value nests deeper than CODEC_DEPTH_MAX */
};

/* Appends `value`, encoded in format 1 (the version byte first), to `out`. Out of
   memory fails the buffer (strbuf_failed) and returns CODEC_NO_MEMORY; a value that
   nests too deep or holds a real that is not finite is CODEC_TOO_DEEP / CODEC_DAMAGED
   (the buffer then holds a part of it). */
int codec_encode(const json_t *value, StrBuf *out);

/* Whether `data` is a binary record (its first byte is a format this codec reads). */
bool codec_is_binary(const void *data, size_t len);

/* Decodes one record of format 1 (`data` begins with the version byte) into a new
   value in *out. CODEC_DAMAGED with a sentence in `why` (what is wrong and at which
   byte) for bytes that are cut short, an overlong varint, a bad tag, text that is not
   UTF-8, a duplicate key, a count larger than the bytes left, nesting deeper than
   CODEC_DEPTH_MAX, or bytes after the value; CODEC_NO_MEMORY. Never reads outside
   data[0..len). */
int codec_decode(const void *data, size_t len, json_t **out, char *why, size_t why_len);

/* A record as the store holds it: binary (codec_decode), or JSON text as stores of
   schema 1 hold it (json_loadb). Same codes; `why` says what is wrong as the end of a
   sentence about the record: "is not a readable record (text cut short at byte 17)",
   "is not JSON (...)", or "out of memory". */
int codec_load(const void *data, size_t len, json_t **out, char *why, size_t why_len);

/* The bytes a pair `"key": "value"` takes inside a record of format 1 (its key's byte,
   then the short string), for a key of the codec's table and a value of at most 63
   bytes: written to out[], their count returned; 0 for any other pair. A record holding
   the pair holds these bytes (memmem finds them without decoding); one holding the bytes
   may still not hold the pair, so a match says "decode this one", never "it is there". */
#define CODEC_PAIR_MAX 65
size_t codec_pair_bytes(const char *key, const char *value, unsigned char out[CODEC_PAIR_MAX]);

/* ---- format 1's pieces, for the readers of its bytes (the decoder above, and the
   canonical form read straight from them, engine_codec_canon.c) ---- */

/* The tags (engine_codec.c's first comment says what each holds). */
enum {
    CODEC_TAG_NULL = 0x00, CODEC_TAG_FALSE = 0x01, CODEC_TAG_TRUE = 0x02, CODEC_TAG_INT = 0x03,
    CODEC_TAG_REAL = 0x04, CODEC_TAG_STRING = 0x05, CODEC_TAG_ARRAY = 0x06, CODEC_TAG_OBJECT = 0x07,
    CODEC_TAG_SMALL_INT = 0x20, CODEC_TAG_SHORT_STRING = 0x40, CODEC_TAG_SHORT_ARRAY = 0x80,
    CODEC_TAG_SHORT_OBJECT = 0x90
};
#define CODEC_SMALL_INT_MAX 31
#define CODEC_SHORT_STRING_MAX 63
#define CODEC_SHORT_COUNT_MAX 15
#define CODEC_VARINT_MAX 10

enum {
    CODEC_VARINT_OK = 0, CODEC_VARINT_CUT, CODEC_VARINT_PAST_64, CODEC_VARINT_NOT_SHORTEST,
    CODEC_VARINT_TOO_LONG
};
/* The varint at bytes[*at], moved past: CODEC_VARINT_OK, or what is wrong with it (*at
   then where the decoder says the damage is). */
int codec_varint(const unsigned char *bytes, size_t len, size_t *at, uint64_t *out);

/* The names key bytes stand for: byte b (1 to the count returned) is names[b - 1], of
   lengths[b - 1] bytes; 0 is a key of its own and bytes past the count are damage. */
unsigned codec_key_table(const char *const **names, const size_t **lengths);

/* ---- the canonical form straight from the bytes (engine_codec_canon.c) ---- */

/* A reusable writer of the decision record's canonical form (audit.h: RFC 8785 with
   exact integers) from a record's binary bytes, without building jansson values: the
   same bytes audit_canon writes for what codec_decode would give. Zero it to start;
   codec_canon_free releases it. */
typedef struct CodecCanon {
    StrBuf text;                    /* the canonical form of the last record */
    /* the last record's top-level "instance" (a string, borrowed from its bytes) and
       "seq" (an integer), when it is an object that has them */
    const char *instance;           /* NULL when there is none */
    size_t instance_len;
    bool has_seq;
    long long seq;
    struct CanonMember *members;    /* scratch: the members of the objects being written */
    size_t member_cap, member_top, top_count;
} CodecCanon;

/* Writes the canonical form of the record `data` (format 1, the version byte first) into
   c->text (emptied first). CODEC_OK; CODEC_DAMAGED for exactly the bytes codec_decode
   refuses (it says why: call it for the sentence); CODEC_NO_MEMORY. */
int codec_canon(CodecCanon *c, const void *data, size_t len);
void codec_canon_free(CodecCanon *c);

/* The integer member `name` of the record's top-level object, read without building
   values but with every byte checked as codec_canon checks them: CODEC_OK, and *found
   false when there is no such member or it is not an integer (jansson's
   json_integer_value gives 0 then); CODEC_DAMAGED; CODEC_NO_MEMORY. */
int codec_member_integer(CodecCanon *c, const void *data, size_t len, const char *name,
                         long long *value, bool *found);

#endif
