/*
 * value.h - the language's values: a compact tagged union, 16 bytes, with
 * reference-counted strings, lists and maps on the heap.
 *
 * Integers are exact 64-bit; times are milliseconds since the Unix epoch (UTC);
 * plain durations are milliseconds; business durations keep their count and unit as
 * written. The compiler uses values for its constant pool, the VM for everything it
 * computes. Ownership: a Value holds one reference to its heap object; value_retain
 * adds one, value_release drops one. Functions that return a Value return an owned one
 * unless they say "borrowed".
 *
 * Out of memory: no constructor aborts. One that cannot allocate returns null (a string,
 * list or map constructor) or false (push, set) and counts the failure in a per-thread
 * counter, value_oom_count. Pushing onto or setting in a null (a container whose
 * constructor failed) releases the item and returns false, so a caller may build a
 * whole value without checking each step and compare the counter once at the end: the
 * VM compares it after every instruction (docs/internals.md, "Out of memory").
 */
#ifndef HUDDLE_VALUE_H
#define HUDDLE_VALUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "strbuf.h"

typedef enum ValueType {
    VAL_NULL, VAL_BOOL, VAL_INT, VAL_FLOAT, VAL_DURATION, VAL_BUSINESS, VAL_TIME,
    VAL_STRING, VAL_LIST, VAL_MAP      /* from VAL_STRING on: on the heap */
} ValueType;

/* Units of a business duration (../shared/design/LANGUAGE.md: minutes, hours or days). */
typedef enum BusinessUnit { BUSINESS_MINUTES, BUSINESS_HOURS, BUSINESS_DAYS } BusinessUnit;

typedef struct HString HString;
typedef struct HList HList;
typedef struct HMap HMap;

typedef struct Value {
    uint8_t type;           /* ValueType */
    uint8_t unit;           /* BusinessUnit, for VAL_BUSINESS */
    union {
        bool boolean;
        int64_t integer;    /* VAL_INT; VAL_BUSINESS count */
        double number;
        int64_t ms;         /* VAL_TIME, VAL_DURATION */
        HString *string;
        HList *list;
        HMap *map;
    } as;
} Value;

struct HString {
    uint32_t refs;
    uint32_t len;           /* bytes, not counting the NUL */
    char data[];            /* UTF-8, NUL-terminated */
};

struct HList {
    uint32_t refs;
    uint32_t count, cap;
    uint32_t depth;         /* 1 + the deepest item's depth: kept as items are added */
    Value *items;
};

struct HMap {               /* keys keep their insertion order, like JSON objects */
    uint32_t refs;
    uint32_t count, cap;
    uint32_t depth;
    HString **keys;
    Value *values;
    uint32_t *index;        /* from VALUE_MAP_INDEXED keys on: a hash table of positions
                               + 1 (0: empty), so a key is found in O(1) however many
                               there are (RUNTIME.md, "Limits and damage"); NULL below */
    uint32_t index_mask;    /* its size - 1 (a power of two, at least twice count) */
};

/* Maps with this many keys or more keep a hash index beside their arrays. */
#define VALUE_MAP_INDEXED 16

/* SipHash-1-3 of `len` bytes under a per-process random key (the maps' index uses it;
   so do sets of ids elsewhere), so that text sent from outside cannot be chosen to
   collide. */
uint64_t value_key_hash(const char *key, size_t len);

/* How deeply lists and maps nest in `v` (0 for a scalar or a string). */
static inline uint32_t value_depth(Value v)
{
    return v.type == VAL_LIST ? v.as.list->depth : v.type == VAL_MAP ? v.as.map->depth : 0;
}

#define VALUE_NULL ((Value){.type = VAL_NULL})

static inline Value value_bool(bool b) { Value v = {.type = VAL_BOOL}; v.as.boolean = b; return v; }
static inline Value value_int(int64_t i) { Value v = {.type = VAL_INT}; v.as.integer = i; return v; }
static inline Value value_float(double f) { Value v = {.type = VAL_FLOAT}; v.as.number = f; return v; }
static inline Value value_time(int64_t ms) { Value v = {.type = VAL_TIME}; v.as.ms = ms; return v; }
static inline Value value_duration(int64_t ms) { Value v = {.type = VAL_DURATION}; v.as.ms = ms; return v; }
static inline Value value_business(int64_t count, BusinessUnit unit)
{
    Value v = {.type = VAL_BUSINESS, .unit = (uint8_t)unit};
    v.as.integer = count;
    return v;
}

static inline bool value_is_heap(Value v) { return v.type >= VAL_STRING; }

static inline void value_retain(Value v)
{
    if (v.type >= VAL_STRING)
        v.as.string->refs++;   /* refs is the first field of every heap object */
}
void value_release_heap(Value v);
static inline void value_release(Value v)
{
    if (v.type >= VAL_STRING && --v.as.string->refs == 0)
        value_release_heap(v);
}

/* Failed value allocations in this thread so far: compare two readings to learn whether
   anything between them ran out of memory. value_oom_note counts one more (for a caller
   whose own allocation failed while it built values). */
extern _Thread_local uint64_t value_oom_counter;
static inline uint64_t value_oom_count(void) { return value_oom_counter; }
void value_oom_note(void);

/* Strings. value_string copies `len` bytes (which must be valid UTF-8); null when out
   of memory. */
Value value_string(const char *bytes, size_t len);
/* value_string into *out, or false when out of memory (not counted: the caller
   reports it). */
bool value_string_try(const char *bytes, size_t len, Value *out);
Value value_cstring(const char *text);
/* The text of `buf` as a string, and frees the buffer; null when out of memory, also
   when the buffer failed (strbuf.h). */
Value value_string_take(StrBuf *buf);
static inline const char *value_text(Value v) { return v.as.string->data; }

/* Lists. value_list_push takes over `item`; false (the item released, the list as it
   was) when out of memory or `list` is null. */
Value value_list_new(uint32_t capacity);
bool value_list_push(Value list, Value item);

/* Maps. value_map_set takes over `value` (the key is copied); an existing key is
   replaced; false as value_list_push. value_map_get returns a borrowed value, or NULL
   when the key is absent. */
Value value_map_new(uint32_t capacity);
bool value_map_set(Value map, const char *key, size_t key_len, Value value);
/* A shared key: made once (value_key_shared_new, NULL when out of memory), never freed,
   and held by every map it is added to without a copy. Its refs stay VALUE_KEY_SHARED
   and are never written, so maps of any thread may hold it. value_map_add_shared adds a
   key the map does not have yet (the caller knows it: no lookup), taking over `value`;
   false as value_map_set. The VM's descriptions: no malloc, free or lookup per key. */
#define VALUE_KEY_SHARED UINT32_MAX
HString *value_key_shared_new(const char *text);
bool value_map_add_shared(Value map, HString *key, Value value);
const Value *value_map_get(Value map, const char *key, size_t key_len);

/* ../shared/design/LANGUAGE.md semantics. */
bool value_equal(Value a, Value b);             /* ==: numbers by value, deep for lists/maps */
const char *value_type_name(ValueType type);    /* "an integer", "a string", ... */

/* Appends the value as interpolation writes it: strings as they are, integers in decimal,
   doubles in shortest round-trip form, null as nothing, times as RFC 3339 seen
   `offset_seconds` east of UTC (civil_time_text), durations as 1d4h30m, lists and maps as compact JSON (map keys in
   code-point order). Out of memory makes `out` failed (strbuf.h). */
void value_write_text(Value v, int32_t offset_seconds, StrBuf *out);
/* Appends the value as JSON (times as RFC 3339 UTC, durations as integer seconds, map
   keys in code-point order, so equal maps always give the same text). */
void value_write_json(Value v, StrBuf *out);
/* Appends a double as value_write_json writes one: the shortest digits that read back to
   the same double, as Python's repr writes them (1500.0, 19.99, 1e+16). */
void value_write_double(double d, StrBuf *out);
/* Appends `len` bytes as a JSON string, quoted and escaped as value_write_json does. */
void value_write_json_string(const char *s, size_t len, StrBuf *out);
/* How many bytes value_write_json_string writes for `len` bytes (quotes and escapes
   included), counted without writing them. Once the count is past `limit` it stops
   and returns it (some number over `limit`), so a long string costs no more than
   `limit` bytes' reading. */
size_t value_json_string_size(const char *s, size_t len, size_t limit);
/* Appends a time as RFC 3339 seen `offset_seconds` east of UTC (milliseconds only when
   not zero; civil_time_text). */
void value_write_time(int64_t ms, int32_t offset_seconds, StrBuf *out);
/* Appends a plain duration as 1d4h30m (and s / ms as needed; "0s" for zero). */
void value_write_duration(int64_t ms, StrBuf *out);

/* Counts the code points of a UTF-8 string. */
size_t value_utf8_length(const char *bytes, size_t len);

#endif
