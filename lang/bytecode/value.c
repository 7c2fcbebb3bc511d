/*
 * value.c - values: heap objects, equality, text and JSON forms (see value.h).
 */
#include "value.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "civil.h"

_Thread_local uint64_t value_oom_counter;

void value_oom_note(void)
{
    value_oom_counter++;
}

/* malloc, counting a failure. */
static void *value_alloc(size_t size)
{
    void *p = malloc(size);
    if (!p)
        value_oom_note();
    return p;
}

/* The array `items` of a list or map, holding `used` items of `size` bytes, made room
   for `count`, counting a failure. A list or map made with a capacity keeps its first
   array in its own allocation (at `inline_at`, see value_list_new): that one is copied
   out, never passed to realloc. */
static void *value_regrow(void *items, const void *inline_at, size_t used, size_t count,
                          size_t size)
{
    void *p;
    if (items == inline_at) {
        p = malloc(count * size);
        if (p && used)
            memcpy(p, items, used * size);
    } else {
        p = realloc(items, count * size);
    }
    if (!p)
        value_oom_note();
    return p;
}

void value_release_heap(Value v)
{
    switch (v.type) {
    case VAL_STRING:
        free(v.as.string);
        break;
    case VAL_LIST:
        for (uint32_t i = 0; i < v.as.list->count; i++)
            value_release(v.as.list->items[i]);
        if (v.as.list->items != (Value *)(v.as.list + 1))
            free(v.as.list->items);
        free(v.as.list);
        break;
    case VAL_MAP:
        for (uint32_t i = 0; i < v.as.map->count; i++) {
            if (v.as.map->keys[i]->refs != VALUE_KEY_SHARED)
                free(v.as.map->keys[i]);
            value_release(v.as.map->values[i]);
        }
        if (v.as.map->values != (Value *)(v.as.map + 1)) {
            free(v.as.map->keys);
            free(v.as.map->values);
        }
        free(v.as.map->index);
        free(v.as.map);
        break;
    default:
        break;
    }
}

bool value_string_try(const char *bytes, size_t len, Value *out)
{
    HString *s = malloc(sizeof *s + len + 1);
    if (!s)
        return false;
    s->refs = 1;
    s->len = (uint32_t)len;
    if (len)
        memcpy(s->data, bytes, len);
    s->data[len] = '\0';
    *out = (Value){.type = VAL_STRING};
    out->as.string = s;
    return true;
}

Value value_string(const char *bytes, size_t len)
{
    Value v;
    if (!value_string_try(bytes, len, &v)) {
        value_oom_note();
        return VALUE_NULL;
    }
    return v;
}

Value value_string_take(StrBuf *buf)
{
    Value v = VALUE_NULL;
    if (strbuf_failed(buf))
        value_oom_note();
    else
        v = value_string(strbuf_text(buf), buf->len);
    strbuf_free(buf);
    return v;
}

Value value_cstring(const char *text)
{
    return value_string(text, strlen(text));
}

/* A list or map made with a capacity holds its first arrays in the same allocation,
   right after itself (one malloc instead of two or three: frames decode many small
   ones); they move out to arrays of their own when they grow. */
Value value_list_new(uint32_t capacity)
{
    HList *l = value_alloc(sizeof *l + sizeof(Value) * (size_t)capacity);
    if (!l)
        return VALUE_NULL;
    *l = (HList){.refs = 1, .count = 0, .cap = capacity, .depth = 1,
                 .items = capacity ? (Value *)(l + 1) : NULL};
    Value v = {.type = VAL_LIST};
    v.as.list = l;
    return v;
}

/* Deepens a list or map of depth *depth holding `item`. */
static void value_deepen(uint32_t *depth, Value item)
{
    if (value_depth(item) + 1 > *depth)
        *depth = value_depth(item) + 1;
}

bool value_list_push(Value list, Value item)
{
    if (list.type != VAL_LIST) {
        value_release(item);
        return false;
    }
    HList *l = list.as.list;
    if (l->count == l->cap) {
        uint32_t cap = l->cap ? l->cap * 2 : 4;
        Value *items = value_regrow(l->items, l + 1, l->count, cap, sizeof(Value));
        if (!items) {
            value_release(item);
            return false;
        }
        l->items = items;
        l->cap = cap;
    }
    l->items[l->count++] = item;
    value_deepen(&l->depth, item);
    return true;
}

Value value_map_new(uint32_t capacity)
{
    HMap *m = value_alloc(sizeof *m + (sizeof(Value) + sizeof(HString *)) * (size_t)capacity);
    if (!m)
        return VALUE_NULL;
    Value *values = capacity ? (Value *)(m + 1) : NULL;   /* values first: they align to 8 */
    *m = (HMap){.refs = 1, .count = 0, .cap = capacity, .depth = 1,
                .keys = capacity ? (HString **)(values + capacity) : NULL,
                .values = values, .index = NULL, .index_mask = 0};
    Value v = {.type = VAL_MAP};
    v.as.map = m;
    return v;
}

/* ---- the key index of big maps ---- */

/* SipHash-1-3 of the key under a per-process random key, so that keys sent from outside
   cannot be chosen to collide. */
static uint64_t sip_key[2];

static uint64_t sip_rotl(uint64_t x, int b)
{
    return (x << b) | (x >> (64 - b));
}

#define SIP_ROUND(v0, v1, v2, v3) \
    (v0 += v1, v1 = sip_rotl(v1, 13), v1 ^= v0, v0 = sip_rotl(v0, 32), v2 += v3, v3 = sip_rotl(v3, 16), \
     v3 ^= v2, v0 += v3, v3 = sip_rotl(v3, 21), v3 ^= v0, v2 += v1, v1 = sip_rotl(v1, 17), v1 ^= v2, \
     v2 = sip_rotl(v2, 32))

uint64_t value_key_hash(const char *key, size_t len)
{
    if (!sip_key[0] && !sip_key[1] && getentropy(sip_key, sizeof sip_key) != 0) {
        sip_key[0] = (uint64_t)(uintptr_t)&sip_key ^ (uint64_t)time(NULL);
        sip_key[1] = sip_key[0] * 0x9E3779B97F4A7C15u;
    }
    uint64_t v0 = sip_key[0] ^ 0x736f6d6570736575u, v1 = sip_key[1] ^ 0x646f72616e646f6du;
    uint64_t v2 = sip_key[0] ^ 0x6c7967656e657261u, v3 = sip_key[1] ^ 0x7465646279746573u;
    const unsigned char *p = (const unsigned char *)key;
    size_t whole = len & ~(size_t)7;
    for (size_t i = 0; i < whole; i += 8) {
        uint64_t m;
        memcpy(&m, p + i, 8);   /* the host's byte order: only which hash, not its spread */
        v3 ^= m;
        SIP_ROUND(v0, v1, v2, v3);
        v0 ^= m;
    }
    uint64_t last = (uint64_t)len << 56;
    for (size_t i = whole; i < len; i++)
        last |= (uint64_t)p[i] << (8 * (i - whole));
    v3 ^= last;
    SIP_ROUND(v0, v1, v2, v3);
    v0 ^= last;
    v2 ^= 0xff;
    SIP_ROUND(v0, v1, v2, v3);
    SIP_ROUND(v0, v1, v2, v3);
    SIP_ROUND(v0, v1, v2, v3);
    return v0 ^ v1 ^ v2 ^ v3;
}

/* Puts position `at` into the index (which has room). */
static void value_index_put(HMap *m, uint32_t at)
{
    uint32_t slot = (uint32_t)value_key_hash(m->keys[at]->data, m->keys[at]->len) & m->index_mask;
    while (m->index[slot])
        slot = (slot + 1) & m->index_mask;
    m->index[slot] = at + 1;
}

/* Keeps the index at least twice as big as the map (built once the map is big). Out of
   memory leaves the map without an index, which is still right, only slower: a key is
   then found by a scan, until a later set builds the index. */
static void value_index_grow(HMap *m)
{
    if (m->count < VALUE_MAP_INDEXED || (m->index && m->count * 2 <= m->index_mask + 1))
        return;
    uint32_t size = 16;
    while (size < m->count * 2)
        size *= 2;
    free(m->index);
    m->index = calloc(size, sizeof *m->index);
    m->index_mask = m->index ? size - 1 : 0;
    for (uint32_t i = 0; m->index && i < m->count; i++)
        value_index_put(m, i);
}

static int64_t value_map_find(const HMap *m, const char *key, size_t key_len)
{
    if (!m->index) {
        for (uint32_t i = 0; i < m->count; i++)
            if (m->keys[i]->len == key_len && memcmp(m->keys[i]->data, key, key_len) == 0)
                return i;
        return -1;
    }
    uint32_t slot = (uint32_t)value_key_hash(key, key_len) & m->index_mask;
    for (; m->index[slot]; slot = (slot + 1) & m->index_mask) {
        const HString *k = m->keys[m->index[slot] - 1];
        if (k->len == key_len && memcmp(k->data, key, key_len) == 0)
            return m->index[slot] - 1;
    }
    return -1;
}

/* Room for one more key in `m`; false when out of memory. */
static bool value_map_room(HMap *m)
{
    if (m->count < m->cap)
        return true;
    uint32_t cap = m->cap ? m->cap * 2 : 4;
    if (m->values == (Value *)(m + 1)) {
        /* Both arrays still inside the map's own allocation: both move out at once. */
        HString **keys = value_regrow(m->keys, m->keys, m->count, cap, sizeof(HString *));
        Value *values = keys ? value_regrow(m->values, m->values, m->count, cap, sizeof(Value)) : NULL;
        if (!values) {
            free(keys);
            return false;
        }
        m->keys = keys;
        m->values = values;
        m->cap = cap;
        return true;
    }
    HString **keys = value_regrow(m->keys, NULL, m->count, cap, sizeof(HString *));
    if (keys)
        m->keys = keys;   /* bigger already: harmless if the values cannot follow */
    Value *values = keys ? value_regrow(m->values, NULL, m->count, cap, sizeof(Value)) : NULL;
    if (!values)
        return false;
    m->values = values;
    m->cap = cap;
    return true;
}

/* Appends `name` (owned by the map from now, or shared) and `value` to `m`, which has
   room and not the key yet. */
static void value_map_append(HMap *m, HString *name, Value value)
{
    m->keys[m->count] = name;
    m->values[m->count++] = value;
    value_deepen(&m->depth, value);
    if (m->index && m->count * 2 <= m->index_mask + 1)
        value_index_put(m, m->count - 1);
    else
        value_index_grow(m);
}

bool value_map_set(Value map, const char *key, size_t key_len, Value value)
{
    if (map.type != VAL_MAP) {
        value_release(value);
        return false;
    }
    HMap *m = map.as.map;
    int64_t at = value_map_find(m, key, key_len);
    if (at >= 0) {
        value_release(m->values[at]);
        m->values[at] = value;
        value_deepen(&m->depth, value);
        return true;
    }
    Value name = value_map_room(m) ? value_string(key, key_len) : VALUE_NULL;
    if (name.type != VAL_STRING) {
        value_release(value);
        return false;
    }
    value_map_append(m, name.as.string, value);
    return true;
}

HString *value_key_shared_new(const char *text)
{
    Value v;
    if (!value_string_try(text, strlen(text), &v))
        return NULL;
    v.as.string->refs = VALUE_KEY_SHARED;
    return v.as.string;
}

bool value_map_add_shared(Value map, HString *key, Value value)
{
    if (map.type != VAL_MAP || !value_map_room(map.as.map)) {
        value_release(value);
        return false;
    }
    value_map_append(map.as.map, key, value);
    return true;
}

const Value *value_map_get(Value map, const char *key, size_t key_len)
{
    int64_t at = value_map_find(map.as.map, key, key_len);
    return at < 0 ? NULL : &map.as.map->values[at];
}

bool value_equal(Value a, Value b)
{
    if ((a.type == VAL_INT || a.type == VAL_FLOAT) && (b.type == VAL_INT || b.type == VAL_FLOAT)) {
        if (a.type == VAL_INT && b.type == VAL_INT)
            return a.as.integer == b.as.integer;
        /* long double holds every int64 exactly on this platform. */
        long double x = a.type == VAL_INT ? (long double)a.as.integer : a.as.number;
        long double y = b.type == VAL_INT ? (long double)b.as.integer : b.as.number;
        return x == y;
    }
    if (a.type != b.type)
        return false;
    switch (a.type) {
    case VAL_NULL: return true;
    case VAL_BOOL: return a.as.boolean == b.as.boolean;
    case VAL_TIME:
    case VAL_DURATION: return a.as.ms == b.as.ms;
    case VAL_BUSINESS: return a.as.integer == b.as.integer && a.unit == b.unit;
    case VAL_STRING:
        return a.as.string->len == b.as.string->len &&
               memcmp(a.as.string->data, b.as.string->data, a.as.string->len) == 0;
    case VAL_LIST:
        if (a.as.list->count != b.as.list->count)
            return false;
        for (uint32_t i = 0; i < a.as.list->count; i++)
            if (!value_equal(a.as.list->items[i], b.as.list->items[i]))
                return false;
        return true;
    case VAL_MAP:
        if (a.as.map->count != b.as.map->count)
            return false;
        for (uint32_t i = 0; i < a.as.map->count; i++) {
            const HString *key = a.as.map->keys[i];
            const Value *other = value_map_get(b, key->data, key->len);
            if (!other || !value_equal(a.as.map->values[i], *other))
                return false;
        }
        return true;
    default:
        return false;
    }
}

const char *value_type_name(ValueType type)
{
    static const char *const NAMES[] = {
        "null", "a boolean", "an integer", "a number", "a duration", "a business duration",
        "a time", "a string", "a list", "a map",
    };
    return NAMES[type];
}

size_t value_utf8_length(const char *bytes, size_t len)
{
    size_t count = 0;
    for (size_t i = 0; i < len; i++)
        count += ((unsigned char)bytes[i] & 0xC0) != 0x80;
    return count;
}

/* ---- text ---- */

/* Appends a double as the shortest digits that read back to the same double, written
   as Python's repr writes them: plainly (1500.0, 0.0001, 25000000000.0) from 1e-4 up to
   below 1e16, with an exponent (1e+16, 1e-05, 1.5e+300) outside; a plain double always
   shows a decimal point. */
void value_write_double(double d, StrBuf *out)
{
    if (isnan(d)) {
        strbuf_puts(out, "NaN");
        return;
    }
    if (isinf(d)) {
        strbuf_puts(out, d > 0 ? "Infinity" : "-Infinity");
        return;
    }
    /* The shortest digits that read back to the same double... */
    char buf[40];
    int precision = 0;
    for (; precision < 17; precision++) {
        snprintf(buf, sizeof buf, "%.*e", precision, d);
        if (strtod(buf, NULL) == d)
            break;
    }
    char digits[24];
    int n = 0;
    const char *at = buf;
    bool negative = *at == '-';
    if (negative)
        at++;
    for (; *at && *at != 'e'; at++)
        if (*at != '.')
            digits[n++] = *at;
    int exponent = atoi(at + 1);
    while (n > 1 && digits[n - 1] == '0')
        n--;
    digits[n] = '\0';
    /* ...written plainly or with an exponent, by the exponent alone. */
    StrBuf plain = STRBUF_INIT, science = STRBUF_INIT;
    if (negative) {
        strbuf_putc(&plain, '-');
        strbuf_putc(&science, '-');
    }
    strbuf_putc(&science, digits[0]);
    if (n > 1) {
        strbuf_putc(&science, '.');
        strbuf_puts(&science, digits + 1);
    }
    strbuf_printf(&science, "e%c%02d", exponent < 0 ? '-' : '+', abs(exponent));
    if (exponent < 0) {
        strbuf_puts(&plain, "0.");
        for (int i = -1; i > exponent; i--)
            strbuf_putc(&plain, '0');
        strbuf_puts(&plain, digits);
    } else {
        for (int i = 0; i <= exponent; i++)
            strbuf_putc(&plain, i < n ? digits[i] : '0');
        strbuf_putc(&plain, '.');
        strbuf_puts(&plain, n > exponent + 1 ? digits + exponent + 1 : "0");
    }
    if (strbuf_failed(&plain) || strbuf_failed(&science))
        strbuf_fail(out);
    else
        strbuf_puts(out, exponent >= -4 && exponent < 16 ? plain.data : science.data);
    strbuf_free(&plain);
    strbuf_free(&science);
}

void value_write_time(int64_t ms, int32_t offset_seconds, StrBuf *out)
{
    char text[CIVIL_TIME_TEXT];
    strbuf_append(out, text, civil_time_text(ms, offset_seconds, text));
}

/* Appends a plain duration as 1d4h30m (and s / ms as needed; "0s" for zero). */
void value_write_duration(int64_t ms, StrBuf *out)
{
    if (ms == 0) {
        strbuf_puts(out, "0s");
        return;
    }
    uint64_t left = ms < 0 ? (uint64_t)0 - (uint64_t)ms : (uint64_t)ms;
    if (ms < 0)
        strbuf_putc(out, '-');
    static const struct { uint64_t ms; char unit; } PARTS[] = {
        {86400000, 'd'}, {3600000, 'h'}, {60000, 'm'}, {1000, 's'},
    };
    for (int i = 0; i < 4; i++)
        if (left >= PARTS[i].ms) {
            strbuf_printf(out, "%" PRIu64 "%c", left / PARTS[i].ms, PARTS[i].unit);
            left %= PARTS[i].ms;
        }
    if (left)
        strbuf_printf(out, "%" PRIu64 "ms", left);
}

/* The escape value_write_json_string writes for byte `c` (\" \\ \n \t \r \b \f, or
   \u00XX for another control character) in out[7], and its length; 0 when the byte is
   written as it is. The writer and value_json_string_size both read it. */
static size_t json_escape(unsigned char c, char out[7])
{
    static const char SHORT[] = {'"', '"', '\\', '\\', '\n', 'n', '\t', 't', '\r', 'r', '\b', 'b', '\f', 'f'};
    if (c >= 0x20 && c != '"' && c != '\\')
        return 0;
    for (size_t k = 0; k < sizeof SHORT; k += 2)
        if (c == (unsigned char)SHORT[k]) {
            out[0] = '\\';
            out[1] = SHORT[k + 1];
            return 2;
        }
    return (size_t)snprintf(out, 7, "\\u%04x", c);
}

void value_write_json_string(const char *s, size_t len, StrBuf *out)
{
    strbuf_putc(out, '"');
    size_t plain = 0;   /* start of the run of bytes written as they are */
    for (size_t i = 0; i < len; i++) {
        char escape[7];
        size_t n = json_escape((unsigned char)s[i], escape);
        if (n) {
            strbuf_append(out, s + plain, i - plain);
            strbuf_append(out, escape, n);
            plain = i + 1;
        }
    }
    strbuf_append(out, s + plain, len - plain);
    strbuf_putc(out, '"');
}

size_t value_json_string_size(const char *s, size_t len, size_t limit)
{
    size_t size = len + 2;
    for (size_t i = 0; i < len && size <= limit; i++) {
        char escape[7];
        size_t n = json_escape((unsigned char)s[i], escape);
        size += n ? n - 1 : 0;
    }
    return size;
}

static const char *const BUSINESS_UNITS[] = {"minutes", "hours", "days"};

static void value_write_business(Value v, StrBuf *out)
{
    const char *unit = BUSINESS_UNITS[v.unit];
    if (v.as.integer == 1)
        strbuf_printf(out, "1 business %.*s", (int)strlen(unit) - 1, unit);
    else
        strbuf_printf(out, "%" PRId64 " business %s", v.as.integer, unit);
}

/* A key and where its value is, for writing a map's keys in order. */
typedef struct KeyRef {
    const HString *key;
    uint32_t index;
} KeyRef;

/* Code-point order: UTF-8 bytes compare in the order of the code points they encode. */
static int value_key_order(const void *a, const void *b)
{
    const HString *x = ((const KeyRef *)a)->key, *y = ((const KeyRef *)b)->key;
    int c = memcmp(x->data, y->data, x->len < y->len ? x->len : y->len);
    return c ? c : (x->len > y->len) - (x->len < y->len);
}

/* A map as compact JSON with its keys in code-point order (LANGUAGE.md, "Text"): the
   same map always gives the same text, however it was built. */
static void value_write_json_map(const HMap *map, StrBuf *out)
{
    KeyRef *order = value_alloc(sizeof(KeyRef) * (map->count + 1));
    if (!order) {
        strbuf_fail(out);
        return;
    }
    for (uint32_t i = 0; i < map->count; i++)
        order[i] = (KeyRef){map->keys[i], i};
    qsort(order, map->count, sizeof(KeyRef), value_key_order);
    strbuf_putc(out, '{');
    for (uint32_t i = 0; i < map->count; i++) {
        if (i)
            strbuf_putc(out, ',');
        value_write_json_string(order[i].key->data, order[i].key->len, out);
        strbuf_putc(out, ':');
        value_write_json(map->values[order[i].index], out);
    }
    strbuf_putc(out, '}');
    free(order);
}

void value_write_json(Value v, StrBuf *out)
{
    switch (v.type) {
    case VAL_NULL: strbuf_puts(out, "null"); break;
    case VAL_BOOL: strbuf_puts(out, v.as.boolean ? "true" : "false"); break;
    case VAL_INT: strbuf_printf(out, "%" PRId64, v.as.integer); break;
    case VAL_FLOAT:
        if (isfinite(v.as.number))
            value_write_double(v.as.number, out);
        else
            strbuf_puts(out, "null");
        break;
    case VAL_DURATION: strbuf_printf(out, "%" PRId64, v.as.ms / 1000); break;
    case VAL_TIME:
        strbuf_putc(out, '"');
        value_write_time(v.as.ms, 0, out);
        strbuf_putc(out, '"');
        break;
    case VAL_BUSINESS: {
        StrBuf text = STRBUF_INIT;
        value_write_business(v, &text);
        if (strbuf_failed(&text))
            strbuf_fail(out);
        value_write_json_string(strbuf_text(&text), text.len, out);
        strbuf_free(&text);
        break;
    }
    case VAL_STRING:
        value_write_json_string(v.as.string->data, v.as.string->len, out);
        break;
    case VAL_LIST:
        strbuf_putc(out, '[');
        for (uint32_t i = 0; i < v.as.list->count; i++) {
            if (i)
                strbuf_putc(out, ',');
            value_write_json(v.as.list->items[i], out);
        }
        strbuf_putc(out, ']');
        break;
    case VAL_MAP:
        value_write_json_map(v.as.map, out);
        break;
    }
}

void value_write_text(Value v, int32_t offset_seconds, StrBuf *out)
{
    switch (v.type) {
    case VAL_NULL: break;
    case VAL_STRING: strbuf_append(out, v.as.string->data, v.as.string->len); break;
    case VAL_TIME: value_write_time(v.as.ms, offset_seconds, out); break;
    case VAL_DURATION: value_write_duration(v.as.ms, out); break;
    case VAL_BUSINESS: value_write_business(v, out); break;
    default: value_write_json(v, out); break;
    }
}
