/*
 * engine_codec.h - the bytes of the engine's JSON records in the store: a compact,
 * versioned binary encoding of jansson values (formats 1 and 2, described byte by byte in
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

/* The first byte of every binary record: JSON text never begins with it. Format 2 is
   format 1 and two tags more (a time, a hex string: engine_codec.c); the encoder
   writes CODEC_FORMAT, the decoders read both. A first byte from CODEC_FORMAT + 1 to
   CODEC_FORMAT_NEWEST_BYTE is a record of a newer format, refused as such. */
#define CODEC_FORMAT_1 0x01
#define CODEC_FORMAT_2 0x02
#define CODEC_FORMAT CODEC_FORMAT_2
#define CODEC_FORMAT_NEWEST_BYTE 0x08
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

/* Appends `value`, encoded in CODEC_FORMAT (the version byte first), to `out`. Out of
   memory fails the buffer (strbuf_failed) and returns CODEC_NO_MEMORY; a value that
   nests too deep or holds a real that is not finite is CODEC_TOO_DEEP / CODEC_DAMAGED
   (the buffer then holds a part of it). */
int codec_encode(const json_t *value, StrBuf *out);

/* The same in `format` (CODEC_FORMAT_1 or CODEC_FORMAT_2): format 1 for the tests that
   make a store as an older huddle wrote it (tests/crash/store_schema1.c). */
int codec_encode_format(const json_t *value, unsigned format, StrBuf *out);

/* A record written straight into its bytes from C values, member by member, with the
   emitters codec_encode uses: the bytes are those codec_encode writes for the jansson
   value with the same members in the same order (jansson keeps insertion order). The
   writer does not check what it is given: a key written twice in an object makes a
   record the decoder refuses, so each caller writes each key once. An object's or
   array's count is written when it closes (one byte for at most 15 members; more moves
   its members up by the bytes the count takes).

       CodecWriter w;
       codec_write_begin(&w, out);        the format byte
       codec_write_object(&w);
       codec_write_key(&w, "kind");  codec_write_text(&w, "started");
       ...
       rc = codec_write_end(&w);          closes what is open; CODEC_OK, CODEC_NO_MEMORY
                                          (the buffer failed), CODEC_TOO_DEEP */
#define CODEC_WRITER_DEPTH 8
typedef struct CodecWriter {
    StrBuf *out;
    unsigned depth;                             /* objects and arrays open */
    size_t at[CODEC_WRITER_DEPTH];              /* where each one's tag is */
    size_t count[CODEC_WRITER_DEPTH];           /* its members or items so far */
    bool object[CODEC_WRITER_DEPTH];
    int rc;
} CodecWriter;
void codec_write_begin(CodecWriter *w, StrBuf *out);
void codec_write_object(CodecWriter *w);
void codec_write_array(CodecWriter *w);
void codec_write_close(CodecWriter *w);
void codec_write_key(CodecWriter *w, const char *key);
/* The byte that stands for `key` in the codec's key table, 0 when none: for a writer that
   writes the same keys again and again, looked up once and written by
   codec_write_key_byte(w, byte, key), which writes what codec_write_key(w, key) writes. */
unsigned codec_key_of(const char *key);
void codec_write_key_byte(CodecWriter *w, unsigned byte, const char *key);
void codec_write_string(CodecWriter *w, const char *text, size_t len);
/* A NUL-terminated string; NULL writes null. */
void codec_write_text(CodecWriter *w, const char *text);
void codec_write_integer(CodecWriter *w, int64_t n);
void codec_write_bool(CodecWriter *w, bool value);
void codec_write_null(CodecWriter *w);
/* A jansson value, encoded as codec_encode encodes it (NULL writes null). */
void codec_write_json(CodecWriter *w, const json_t *value);
/* A value already in CODEC_FORMAT's bytes (as codec_encode_value writes it), copied as it
   is: bytes[0..len) must be one whole value. */
void codec_write_bytes(CodecWriter *w, const void *bytes, size_t len);
int codec_write_end(CodecWriter *w);
/* A writer of one value with no format byte before it (codec_encode_value's bytes): for
   records of their own encoding that keep a value inside (engine_task_record.c). */
void codec_write_begin_value(CodecWriter *w, StrBuf *out);

/* A value's bytes in CODEC_FORMAT without the format byte before them: for records of
   their own encoding that hold a JSON value inside (engine_task_record.c), whose own
   version says the format. Codes as codec_encode's. */
int codec_encode_value(const json_t *value, StrBuf *out);

/* Whether `data` is a binary record (its first byte is a format this codec reads). */
bool codec_is_binary(const void *data, size_t len);

/* Decodes one record of format 1 or 2 (`data` begins with the version byte) into a new
   value in *out. CODEC_DAMAGED with a sentence in `why` (what is wrong and at which
   byte) for bytes that are cut short, an overlong varint, a bad tag, text that is not
   UTF-8, a duplicate key, a count larger than the bytes left, nesting deeper than
   CODEC_DEPTH_MAX, or bytes after the value; CODEC_NO_MEMORY. Never reads outside
   data[0..len). */
int codec_decode(const void *data, size_t len, json_t **out, char *why, size_t why_len);

/* A record as the store holds it: binary (codec_decode), or JSON text as stores of
   schema 1 hold it (json_loadb). Same codes; `why` says what is wrong as the end of a
   sentence about the record: "is not a readable record (text cut short at byte 17)",
   "is not JSON (...)", "is a record of format 3, newer than this huddle reads (formats
   1 and 2)", or "out of memory". */
int codec_load(const void *data, size_t len, json_t **out, char *why, size_t why_len);

/* The bytes a pair `"key": "value"` takes inside a record of `format` (its key's byte,
   then the short string, or in format 2 the value's one byte when it is a word of the
   value list), for a key of the codec's table and a value of at most 63 bytes: written
   to out[], their count returned; 0 for any other pair. A record holding
   the pair holds these bytes (memmem finds them without decoding); one holding the bytes
   may still not hold the pair, so a match says "decode this one", never "it is there".
   0 too for a value format 2 writes in a form of its own (a time, a long hex string). */
#define CODEC_PAIR_MAX 65
size_t codec_pair_bytes(const char *key, const char *value, unsigned format,
                        unsigned char out[CODEC_PAIR_MAX]);

/* ---- format 1's pieces, for the readers of its bytes (the decoder above, and the
   canonical form read straight from them, engine_codec_canon.c) ---- */

/* The tags (engine_codec.c's first comment says what each holds). */
enum {
    CODEC_TAG_NULL = 0x00, CODEC_TAG_FALSE = 0x01, CODEC_TAG_TRUE = 0x02, CODEC_TAG_INT = 0x03,
    CODEC_TAG_REAL = 0x04, CODEC_TAG_STRING = 0x05, CODEC_TAG_ARRAY = 0x06, CODEC_TAG_OBJECT = 0x07,
    CODEC_TAG_SMALL_INT = 0x20, CODEC_TAG_SHORT_STRING = 0x40, CODEC_TAG_SHORT_ARRAY = 0x80,
    CODEC_TAG_SHORT_OBJECT = 0x90,
    CODEC_TAG_TIME = 0x08, CODEC_TAG_HEX = 0x09, CODEC_TAG_VALUE = 0xA0    /* format 2 only */
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

/* ---- a bounded reader of bytes, shared by every reader of the store's binary records
   (the codec's decoder, the instance record, the typed small values, the task record) ----

   It never reads outside bytes[0..len), and says the first damage it finds as a
   sentence in `why`: "WHAT at byte N", or with a `kind` (the record readers)
   "is not a readable KIND (WHAT at byte N)". The codec's sentences name what was cut
   ("a number cut short", "text cut short"); a record reader's say "cut short". */
typedef struct ByteReader {
    const unsigned char *bytes;
    size_t len, at;
    const char *kind;           /* NULL: the codec's sentences */
    char *why;
    size_t why_len;
    bool failed;                /* damaged: `why` says how */
    bool no_memory;
} ByteReader;

/* A reader of data[0..len) from byte `at`. `why` may be NULL or why_len 0 (nothing is
   said then). */
void byte_reader_init(ByteReader *r, const void *data, size_t len, size_t at, const char *kind, char *why,
                      size_t why_len);
/* A reader of a record whose first byte is its version, at byte 1: `first` is version 1,
   versions `first` to `reads` are the ones this huddle reads (data[0] says which), and
   bytes after it up to `newest` are newer versions. false when data[0] is none it reads,
   with `why` saying "is not a readable KIND (no version byte)" or "is a KIND of version
   2, newer than this huddle reads (version 1)" ("versions 1 and 2", "versions 1 to 3"
   when it reads more; "an" before a vowel). */
bool byte_reader_open(ByteReader *r, const void *data, size_t len, unsigned first, unsigned reads,
                      unsigned newest, const char *kind, char *why, size_t why_len);
/* Whether data[0..len) starts with a version byte from `first` to `newest`: a record of
   that kind's own encoding (one byte_reader_open reads or refuses as newer). */
bool byte_version_in(const void *data, size_t len, unsigned first, unsigned newest);
/* Marks the bytes damaged at r->at (only the first damage is told) and returns false. */
bool byte_reader_damaged(ByteReader *r, const char *what);
/* Marks the read out of memory and returns false. */
bool byte_reader_no_memory(ByteReader *r);
static inline size_t byte_reader_left(const ByteReader *r)
{
    return r->len - r->at;
}
/* A varint (codec_varint), moved past. */
bool byte_reader_varint(ByteReader *r, uint64_t *out);
/* A varint that must fit in the bytes left, each item taking `each` bytes at least. */
bool byte_reader_count(ByteReader *r, uint64_t *out, size_t each);
/* `n` bytes, borrowed, moved past. */
bool byte_reader_bytes(ByteReader *r, size_t n, const unsigned char **out);
/* `n` bytes of UTF-8, borrowed, moved past (damage is told at the text's first byte). */
bool byte_reader_text(ByteReader *r, size_t n, const char **out);
/* A varint length, then that many bytes of UTF-8. */
bool byte_reader_string(ByteReader *r, const char **out, size_t *len);
/* A varint length and that many bytes, moved past. */
bool byte_reader_sized(ByteReader *r, const unsigned char **bytes, size_t *len);
/* A varint length and that many bytes of UTF-8 with no NUL ("text with a NUL byte" is
   damage), copied into *out with a NUL after it: the caller frees it. */
bool byte_reader_text_copy(ByteReader *r, char **out);
/* A copy of text[0..len) with a NUL after it (malloc: the caller frees), or NULL. */
char *codec_text_copy(const char *text, size_t len);
/* Whether every byte was read; damaged with `what` ("bytes after the record") when not. */
bool byte_reader_end(ByteReader *r, const char *what);
/* One value of CODEC_FORMAT (as codec_encode_value writes it) read at the reader and
   moved past: CODEC_OK with a new value in *out; CODEC_DAMAGED (the reader damaged where
   the value is, saying what the codec found: "... (a value cut short at byte 9)");
   CODEC_NO_MEMORY (the reader out of memory). */
int codec_decode_value(ByteReader *in, json_t **out);

/* Format 2's strings of a form of their own. A time is the text YYYY-MM-DDTHH:MM:SS.mmmZ
   (CODEC_TIME_LEN bytes, UTC, 1970 to 9999) kept as its milliseconds since 1970; a hex
   string is CODEC_HEX_MIN to CODEC_HEX_MAX bytes kept as twice as many lowercase hex
   digits. */
#define CODEC_TIME_LEN 24
#define CODEC_TIME_MAX 253402300799999ULL   /* 9999-12-31T23:59:59.999Z */
#define CODEC_HEX_MIN 8
#define CODEC_HEX_MAX 127
/* The text of time `ms` (at most CODEC_TIME_MAX) into out[0..CODEC_TIME_LEN). */
void codec_time_text(uint64_t ms, char out[CODEC_TIME_LEN]);
/* The text of hex bytes into out[0..2 * len). */
void codec_hex_text(const unsigned char *bytes, size_t len, char *out);
/* `prefix` (a short text: "i", "t") and n in decimal, as snprintf's "%s%llu" writes
   them, into out (room for CODEC_NUMBER_TEXT_MAX bytes with a prefix of up to 2), with
   its NUL; returns the length. */
#define CODEC_NUMBER_TEXT_MAX 24
size_t codec_number_text(const char *prefix, uint64_t n, char *out);
/* The string a value tag of format 2 (CODEC_TAG_VALUE and up) stands for, and its
   length; NULL for a tag past the list. */
const char *codec_value_text(unsigned tag, size_t *len);

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
    StrBuf order;                   /* scratch: an object's members put in order */
    /* the last record's top-level "instance" (a string, borrowed from its bytes) and
       "seq" (an integer), when it is an object that has them */
    const char *instance;           /* NULL when there is none */
    size_t instance_len;
    bool has_seq;
    long long seq;
    struct CanonMember *members;    /* scratch: the members of the objects being written */
    size_t *places;                 /* scratch, beside members: their canonical order */
    size_t member_cap, member_top, top_count;
    /* the last time written, and its canonical text (the quoted string): a batch's records
       share their "at" */
    bool time_known;
    uint64_t time_ms;
    char time_text[CODEC_TIME_LEN + 2];
} CodecCanon;

/* Writes the canonical form of the record `data` (format 1 or 2, the version byte first) into
   c->text (emptied first). CODEC_OK; CODEC_DAMAGED for exactly the bytes codec_decode
   refuses (it says why: call it for the sentence); CODEC_NO_MEMORY. */
int codec_canon(CodecCanon *c, const void *data, size_t len);
void codec_canon_free(CodecCanon *c);
/* codec_canon's check alone, nothing written: CODEC_OK for exactly the bytes
   codec_decode accepts, CODEC_DAMAGED, CODEC_NO_MEMORY. */
int codec_canon_check(CodecCanon *c, const void *data, size_t len);

/* The integer member `name` of the record's top-level object, read without building
   values but with every byte checked as codec_canon checks them: CODEC_OK, and *found
   false when there is no such member or it is not an integer (jansson's
   json_integer_value gives 0 then); CODEC_DAMAGED; CODEC_NO_MEMORY. */
int codec_member_integer(CodecCanon *c, const void *data, size_t len, const char *name,
                         long long *value, bool *found);

/* One value of CODEC_FORMAT at data[*at] (as codec_encode_value writes it: no format byte
   before it) checked as codec_decode_value checks it, nothing built and nothing written:
   CODEC_OK with *at moved past it; CODEC_DAMAGED for exactly the bytes codec_decode_value
   refuses (it says why); CODEC_NO_MEMORY. Never reads outside data[0..len). */
int codec_canon_check_value(CodecCanon *c, const void *data, size_t len, size_t *at);

/* ---- a few fields read where they lie (engine_codec_view.c) ---- */

/* A value inside a binary record, for reading the members, items and strings of a
   record codec_canon or codec_decode accepted, without building jansson values: what
   it finds there is what the decoded value holds. On other bytes it never reads past
   them (a value it cannot walk reads as missing, or ends the items). */
typedef struct CodecView {
    const unsigned char *bytes;     /* the whole record, its format byte first */
    size_t len, at;                 /* `at`: the value's tag */
    unsigned format;
    const char *const *names;       /* the codec's key table (codec_key_table) */
    const size_t *name_lengths;
    unsigned name_count;
} CodecView;

typedef struct CodecViewItems {
    CodecView at;                   /* the next member's name or item */
    uint64_t left;
    bool object;
} CodecViewItems;

/* Room for a string format 2 keeps in a form of its own (a time, a hex string). */
#define CODEC_VIEW_TEXT (2 * CODEC_HEX_MAX + 1)

/* The record's value: false when `data` is not a binary record. */
bool codec_view_open(const void *data, size_t len, CodecView *root);
/* The member `name` of an object (json_object_get's): false when there is none or
   `object` is not an object. */
bool codec_view_member(const CodecView *object, const char *name, CodecView *value);
/* Members `names[0..count)` of an object in one walk: values[i] is names[i]'s, or has
   len 0 when there is none (all when `object` is not an object). How many were found. */
size_t codec_view_members(const CodecView *object, const char *const *names, size_t count, CodecView *values);
/* The members of an object or the items of an array, in order: codec_view_next gives
   each (and for an object its name, not NUL-terminated, when `name` is not NULL) until
   false. Anything else has none. */
void codec_view_items(const CodecView *container, CodecViewItems *items);
bool codec_view_next(CodecViewItems *items, CodecView *value, const char **name, size_t *name_len);
/* A string's bytes (json_string_value's, json_string_length long): borrowed from the
   record, or written into `buf` (a time, a hex string); false for any other value. */
bool codec_view_string(const CodecView *v, char buf[CODEC_VIEW_TEXT], const char **text, size_t *len);
/* A string as json_string_value gives it (up to a NUL it holds), copied with a NUL after
   it into *out (malloc: the caller frees); *out NULL when `v` is not a string. false only
   when out of memory. */
bool codec_view_text_copy(const CodecView *v, char **out);

/* codec_view_members of the top-level object of the record `c` last wrote or checked
   with success (`record`: codec_view_open of those same bytes), found among the members
   its walk kept (engine_codec_canon.c) instead of walking the record again: the values
   codec_view_members gives (the walk refused duplicate names, so the order the members
   are met in changes nothing). At most CODEC_CANON_NAMES_MAX names. How many found.
   `names` must live as long as the process, unchanged (a static table): it is looked up
   once per thread and known again by its address and `count`. */
#define CODEC_CANON_NAMES_MAX 16
size_t codec_canon_members(const CodecCanon *c, const CodecView *record, const char *const *names, size_t count,
                           CodecView *values);
/* A value of CODEC_FORMAT at data[at] with no format byte before it (a value a record of
   its own encoding keeps, engine_task_record.h), as a view. */
void codec_view_value(const void *data, size_t len, size_t at, CodecView *v);
/* What kind of value `v` is (json_typeof's, true and false as one): CODEC_KIND_NONE when
   it is none this view reads. */
typedef enum CodecKind {
    CODEC_KIND_NONE, CODEC_KIND_NULL, CODEC_KIND_FALSE, CODEC_KIND_TRUE, CODEC_KIND_INTEGER,
    CODEC_KIND_REAL, CODEC_KIND_STRING, CODEC_KIND_ARRAY, CODEC_KIND_OBJECT
} CodecKind;
CodecKind codec_view_kind(const CodecView *v);
/* An integer's value (json_integer_value's): false for any other value. */
bool codec_view_integer(const CodecView *v, int64_t *n);
/* Item `index` of an array (json_array_get's): false when there is none. */
bool codec_view_item(const CodecView *array, size_t index, CodecView *item);
/* How many items an array has (json_array_size's: 0 for anything else). */
size_t codec_view_array_size(const CodecView *v);
/* The bytes the value takes (borrowed): false when it cannot be walked. */
bool codec_view_bytes(const CodecView *v, const unsigned char **bytes, size_t *len);
/* Whether `v` is a string whose C string (json_string_value's, up to a NUL it holds) is
   `text`. */
bool codec_view_text_is(const CodecView *v, const char *text);

#endif
