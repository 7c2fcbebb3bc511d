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

#endif
