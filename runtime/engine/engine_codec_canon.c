/*
 * engine_codec_canon.c - the decision record's canonical form (audit.h, docs/audit.md:
 * RFC 8785 with exact integers) written straight from a record's binary bytes (formats
 * 1 and 2, engine_codec.c; format 2's times and hex strings are written as the strings
 * they stand for, so a record has one canonical form whichever format holds it), for the hash chain as records are written (engine_chain.c) and as
 * they are verified (engine_audit.c).
 *
 * It gives the bytes audit_canon gives for the value codec_decode would build, without
 * building it: jansson's objects, strings and their frees were most of the chain's time
 * (perf, 2026-12-04). Strings, integers, reals and the order of member names are written
 * by audit.h's own pieces (value words, small integers and key names from tables those
 * pieces wrote once, ranks_build), so the two writers cannot differ there; tests/unit/
 * test_codec_canon.c and tests/fuzz/fuzz_codec.c hold them to the same bytes.
 *
 * An object's members are collected (name, where the value starts, where its canonical
 * text starts) while each value is checked and written, one after another, then their
 * places sorted by their names' UTF-16 code units (a duplicate name is damage, as for the
 * decoder; an order of key bytes already sorted is kept per thread, members_order), and
 * the object is put together in that order in a second buffer and copied back. The record's own members stay in c->members for the decisions index
 * (codec_canon_members). A string of printable ASCII is checked and written in one pass. So
 * every byte is walked once, and each value's text copied twice more for each object it
 * is inside: O(size x depth) in memcpy for a value that nests objects far down.
 * Every byte is checked as codec_decode checks it, so the bytes it refuses are exactly
 * the bytes the decoder refuses; the decoder says why.
 */
#include "engine_codec.h"
#include "audit.h"
#include "utf8.h"

#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

typedef struct CanonMember {
    const char *name;
    size_t name_len;
    unsigned byte;                  /* its key byte; 0: a name of its own */
    unsigned rank;                  /* the key byte's place in canonical order; 0: own name */
    size_t value_at;                /* where its value starts in the record */
    size_t text_at, text_len;       /* its value's canonical text, in c->text (walk_object) */
} CanonMember;

/* ---- the key bytes' names in canonical order, worked out once ---- */

static const char *const *key_names;
static const size_t *key_lengths;
static unsigned key_count;
static unsigned key_rank[256];      /* key byte -> 1 + its place among the names sorted */
static StrBuf key_texts;            /* each key's canonical name and ':', one after another */
static unsigned instance_byte, seq_byte;   /* the key bytes of "instance" and "seq" (0: none) */
static size_t key_text_at[256], key_text_len[256];
#define TEXT_PAD 32                 /* bytes past a text that may be read or written over
                                       (copy_short): key_texts and the two buffers keep them */
static StrBuf value_texts;          /* each value word's canonical text (format 2's 0xA0-0xFF) */
static size_t value_text_at[96], value_text_len[96];
static unsigned value_count;       /* 0 until built (or when out of memory) */
static bool texts_ready;            /* key_texts and value_texts were built whole */
static pthread_once_t rank_once = PTHREAD_ONCE_INIT;
static atomic_bool ranks_ready;     /* set once ranks_build has run: no pthread_once a record */

/* Key bytes by their names' canonical order (qsort's comparison: the table, built once). */
static int byte_order(const void *a, const void *b)
{
    unsigned x = *(const unsigned *)a, y = *(const unsigned *)b;
    return audit_name_compare(key_names[x - 1], key_lengths[x - 1], key_names[y - 1], key_lengths[y - 1]);
}

/* Each key byte's rank (1 + how many names sort before its own: equal names share one),
   from the bytes sorted once: n log n comparisons, not n x n (151 names: ~1,100, not
   22,801; 3 M instructions the first record of a process paid). */
static void ranks_build(void)
{
    static unsigned sorted[256];
    key_count = codec_key_table(&key_names, &key_lengths);
    for (unsigned b = 1; b <= key_count; b++)
        sorted[b - 1] = b;
    qsort(sorted, key_count, sizeof sorted[0], byte_order);
    for (unsigned i = 0; i < key_count; i++)
        key_rank[sorted[i]] = i > 0 && byte_order(&sorted[i - 1], &sorted[i]) == 0 ? key_rank[sorted[i - 1]] : 1 + i;
    for (unsigned b = 1; b <= key_count; b++) {
        if (key_lengths[b - 1] == 8 && memcmp(key_names[b - 1], "instance", 8) == 0)
            instance_byte = b;
        if (key_lengths[b - 1] == 3 && memcmp(key_names[b - 1], "seq", 3) == 0)
            seq_byte = b;
        key_text_at[b] = key_texts.len;
        audit_canon_string(key_names[b - 1], key_lengths[b - 1], &key_texts);
        strbuf_put(&key_texts, ":", 1);
        key_text_len[b] = key_texts.len - key_text_at[b];
    }
    for (unsigned tag = CODEC_TAG_VALUE; tag <= 0xFF; tag++) {
        size_t len;
        const char *text = codec_value_text(tag, &len);
        if (!text)
            break;
        value_text_at[value_count] = value_texts.len;
        audit_canon_string(text, len, &value_texts);
        value_text_len[value_count] = value_texts.len - value_text_at[value_count];
        value_count++;
    }
    strbuf_room(&key_texts, TEXT_PAD);
    texts_ready = !strbuf_failed(&key_texts) && !strbuf_failed(&value_texts);
    if (!texts_ready)
        value_count = 0;            /* out of memory: each text written as it comes */
    atomic_store_explicit(&ranks_ready, true, memory_order_release);
}

static int member_order(const CanonMember *a, const CanonMember *b)
{
    if (a->rank && b->rank)
        return a->rank < b->rank ? -1 : a->rank > b->rank;
    return audit_name_compare(a->name, a->name_len, b->name, b->name_len);
}

enum { WALK_CHECK = 1, WALK_WRITE = 2 };  /* check the bytes; write the canonical form */

typedef struct Walk {
    CodecCanon *c;
    const unsigned char *bytes;
    size_t len, at;
    bool no_memory;
    unsigned format;                /* the record's first byte */
} Walk;

static bool walk_value(Walk *w, int depth, int how);

static size_t walk_left(const Walk *w)
{
    return w->len - w->at;
}

static bool walk_count(Walk *w, uint64_t *n, size_t each)
{
    return codec_varint(w->bytes, w->len, &w->at, n) == CODEC_VARINT_OK && *n <= walk_left(w) / each;
}

/* Whether `len` bytes are UTF-8: ASCII eight bytes at a time, the rest as utf8.h does. */
static bool text_is_utf8(const unsigned char *text, size_t len)
{
    size_t i = 0;
    for (uint64_t word; i + 8 <= len; i += 8) {
        memcpy(&word, text + i, 8);
        if (word & 0x8080808080808080ULL)
            break;
    }
    while (i < len && text[i] < 0x80)
        i++;
    return i == len || utf8_valid_prefix(text + i, len - i) == len - i;
}

/* `len` bytes of text at the reader (UTF-8 when checked), moved past. */
static const char *walk_text(Walk *w, uint64_t len, int how)
{
    if (len > walk_left(w))
        return NULL;
    const unsigned char *text = w->bytes + w->at;
    if ((how & WALK_CHECK) && !text_is_utf8(text, (size_t)len))
        return NULL;
    w->at += (size_t)len;
    return (const char *)text;
}

static bool members_reserve(Walk *w, uint64_t more)
{
    CodecCanon *c = w->c;
    if (more <= c->member_cap - c->member_top)
        return true;
    size_t cap = c->member_cap ? c->member_cap : 16;   /* 16 x 56 bytes: a size malloc keeps at hand */
    while (cap - c->member_top < more)
        cap *= 2;
    CanonMember *grown = realloc(c->members, cap * sizeof *grown);
    if (grown)
        c->members = grown;
    size_t *places = grown ? realloc(c->places, cap * sizeof *places) : NULL;
    if (!places) {
        w->no_memory = true;
        return false;
    }
    c->places = places;
    c->member_cap = cap;
    return true;
}

/* The members' canonical order, as places in `m` (insertion sort of the places, not of
   the members: a record's objects hold a few members): duplicates are damage. */
static bool members_sort(const CanonMember *m, size_t *place, size_t n)
{
    place[0] = 0;
    for (size_t i = 1; i < n; i++) {
        size_t j = i;
        int order = 1;
        while (j > 0 && (order = member_order(&m[place[j - 1]], &m[i])) > 0) {
            place[j] = place[j - 1];
            j--;
        }
        if (order == 0)
            return false;
        place[j] = i;
    }
    return true;
}

/* The canonical orders of the last objects sorted whose names are all key bytes, by
   those bytes in the record's order: the same kinds of records hold objects of the same
   shape, sorted once. Per thread, a slot per hash of the bytes, the last shape wins. */
#define SHAPE_SLOTS 64
#define SHAPE_MAX 16
typedef struct Shape {
    unsigned char count;            /* 0: an empty slot */
    unsigned char bytes[SHAPE_MAX];
    unsigned char place[SHAPE_MAX];
} Shape;
static _Thread_local Shape shapes[SHAPE_SLOTS];

/* members_sort, through the shapes seen: `bytes` the members' key bytes (`keyed`: all
   are; then `hash` is of them). */
static bool members_order(const CanonMember *m, size_t *place, size_t n, bool keyed, uint64_t hash,
                          const unsigned char *bytes)
{
    if (!keyed || n > SHAPE_MAX)
        return members_sort(m, place, n);
    Shape *shape = &shapes[hash % SHAPE_SLOTS];
    if (shape->count == n && memcmp(shape->bytes, bytes, n) == 0) {
        for (size_t i = 0; i < n; i++)
            place[i] = shape->place[i];
        return true;
    }
    if (!members_sort(m, place, n))
        return false;               /* a duplicate: no shape kept */
    shape->count = (unsigned char)n;
    memcpy(shape->bytes, bytes, n);
    for (size_t i = 0; i < n; i++)
        shape->place[i] = (unsigned char)place[i];
    return true;
}

/* The name of the next member: a key byte, or 0 and a name of its own. */
static bool walk_name(Walk *w, CanonMember *m, int how)
{
    if (w->at >= w->len)
        return false;
    unsigned byte = w->bytes[w->at++];
    m->byte = byte;
    m->rank = byte <= key_count ? key_rank[byte] : 0;
    if (byte) {
        if (byte > key_count)
            return false;
        m->name = key_names[byte - 1];
        m->name_len = key_lengths[byte - 1];
        return true;
    }
    uint64_t len;
    if (!walk_count(w, &len, 1) || !(m->name = walk_text(w, len, how)))
        return false;
    m->name_len = (size_t)len;
    return true;
}

/* The record's "instance" (a short string) and "seq" (an integer), from the top-level
   object's checked members. */
/* The integer a checked member holds: false when it holds another type. */
static bool member_integer(const Walk *w, const CanonMember *m, long long *value)
{
    unsigned tag = w->bytes[m->value_at];
    size_t at = m->value_at + 1;
    uint64_t n;
    if (tag >= CODEC_TAG_SMALL_INT && tag <= CODEC_TAG_SMALL_INT + CODEC_SMALL_INT_MAX) {
        *value = tag - CODEC_TAG_SMALL_INT;
        return true;
    }
    if (tag != CODEC_TAG_INT || codec_varint(w->bytes, w->len, &at, &n) != CODEC_VARINT_OK)
        return false;
    *value = (long long)(int64_t)(n >> 1 ^ (0 - (n & 1)));
    return true;
}

/* The top-level object's members (kept at the front of c->members until the next
   record), and its "instance" (a short string) and "seq" (an integer). */
static void top_fields(Walk *w, const CanonMember *m, size_t count)
{
    CodecCanon *c = w->c;
    c->top_count = count;
    for (size_t i = 0; i < count; i++) {
        if (m[i].byte && m[i].byte != instance_byte && m[i].byte != seq_byte)
            continue;               /* a name of the table, neither of the two */
        const unsigned char *value = w->bytes + m[i].value_at;
        unsigned tag = value[0];
        if (m[i].name_len == 8 && memcmp(m[i].name, "instance", 8) == 0 &&
            tag >= CODEC_TAG_SHORT_STRING && tag <= CODEC_TAG_SHORT_STRING + CODEC_SHORT_STRING_MAX) {
            c->instance = (const char *)value + 1;
            c->instance_len = tag - CODEC_TAG_SHORT_STRING;
        } else if (m[i].name_len == 3 && memcmp(m[i].name, "seq", 3) == 0) {
            c->has_seq = member_integer(w, &m[i], &c->seq);
        }
    }
}

/* The object whose members' values were written one after another from `start` in
   c->text (members[0..count) say where each is, place[0..count) their canonical
   order), made canonical: braces, names and values in order, assembled in c->order and
   put back from `start` (or, for the record's own object, at 0, by swapping the two
   buffers). */
/* Copies `len` bytes 16 at a time: up to 15 bytes past them are read and written over
   (both sides keep TEXT_PAD bytes past their text for it). */
static void copy_short(char *to, const char *from, size_t len)
{
    if (len > 4 * 16) {
        memcpy(to, from, len);
        return;
    }
    for (size_t k = 0; k < len; k += 16)
        memcpy(to + k, from + k, 16);
}

static void object_write(CodecCanon *c, const CanonMember *members, const size_t *place, size_t count,
                         size_t start)
{
    StrBuf *out = &c->order;
    if (!strbuf_room(&c->text, TEXT_PAD))
        return;                     /* out of memory: walk_record says so */
    size_t total = 1 + count + (c->text.len - start);   /* braces, commas, the values */
    for (size_t i = 0; i < count; i++)
        total += members[i].byte && texts_ready ? key_text_len[members[i].byte] : 0;
    out->len = 0;
    char *at = strbuf_room(out, total + TEXT_PAD);
    if (!at) {
        strbuf_fail(&c->text);
        return;
    }
    *at++ = '{';
    for (size_t i = 0; i < count; i++) {
        const CanonMember *m = &members[place[i]];
        if (i)
            *at++ = ',';
        if (m->byte && texts_ready) {
            copy_short(at, key_texts.data + key_text_at[m->byte], key_text_len[m->byte]);
            at += key_text_len[m->byte];
        } else {                    /* a name of its own, written as it is escaped: then room
                                       again for at most all `total` counted */
            out->len = (size_t)(at - out->data);
            audit_canon_string(m->name, m->name_len, out);
            strbuf_put(out, ":", 1);
            if (!(at = strbuf_room(out, total + TEXT_PAD))) {
                strbuf_fail(&c->text);
                return;
            }
        }
        copy_short(at, c->text.data + m->text_at, m->text_len);
        at += m->text_len;
    }
    *at++ = '}';
    out->len = (size_t)(at - out->data);
    out->data[out->len] = '\0';
    if (start == 0) {
        StrBuf text = c->text;
        c->text = *out;
        *out = text;
        return;
    }
    c->text.len = start;
    strbuf_put(&c->text, out->data, out->len);
}

/* The members of an object: with WALK_WRITE each value's canonical text is written as
   the value is checked, one walk of it, and the object put in order after. */
static bool walk_object(Walk *w, uint64_t count, int depth, int how)
{
    CodecCanon *c = w->c;
    if (count == 0) {
        if (how & WALK_WRITE)
            strbuf_put(&c->text, "{}", 2);
        return true;
    }
    if (count > walk_left(w) / 2 || !members_reserve(w, count))
        return false;
    size_t base = c->member_top, start = c->text.len;
    c->member_top += (size_t)count;
    bool ok = true, keyed = true;
    uint64_t hash = 0;              /* of the key bytes, for members_order */
    unsigned char bytes[SHAPE_MAX];
    for (size_t i = 0; ok && i < count; i++) {
        CanonMember *m = &c->members[base + i];   /* again after the value: a nested
                                                     object may move c->members */
        ok = walk_name(w, m, how);
        keyed &= m->byte != 0;
        hash = hash * 33 + m->byte;
        if (i < SHAPE_MAX)
            bytes[i] = (unsigned char)m->byte;
        size_t text_at = c->text.len;
        m->value_at = w->at;
        m->text_at = text_at;
        ok = ok && walk_value(w, depth + 1, how);
        c->members[base + i].text_len = c->text.len - text_at;
    }
    if (ok && how)
        ok = members_order(c->members + base, c->places + base, (size_t)count, keyed, hash, bytes);
    if (ok && depth == 0)
        top_fields(w, c->members + base, (size_t)count);
    if (ok && (how & WALK_WRITE))
        object_write(c, c->members + base, c->places + base, (size_t)count, start);
    c->member_top = base;
    return ok;
}

static bool walk_array(Walk *w, uint64_t count, int depth, int how)
{
    if (how & WALK_WRITE)
        strbuf_put(&w->c->text, "[", 1);
    for (uint64_t i = 0; i < count; i++) {
        if (i && (how & WALK_WRITE))
            strbuf_put(&w->c->text, ",", 1);
        if (!walk_value(w, depth + 1, how))
            return false;
    }
    if (how & WALK_WRITE)
        strbuf_put(&w->c->text, "]", 1);
    return true;
}

/* Whether the eight bytes of `w` are all printable ASCII with nothing to escape (0x20
   to 0x7F but '"' and '\\'), by audit_canon.c's word tests (plain_bytes: "a byte below
   0x20", "a zero byte" after xor with '"' and with '\\') plus "no byte of 0x80 or more". */
static bool word_plain(uint64_t w)
{
    const uint64_t ones = 0x0101010101010101ULL, highs = 0x8080808080808080ULL;
    uint64_t quote = w ^ (ones * '"'), slash = w ^ (ones * '\\');
    return !((w | ((w - ones * 0x20) & ~w) | ((quote - ones) & ~quote) | ((slash - ones) & ~slash)) & highs);
}

/* Whether the `len` bytes at `s` are such bytes: bytes that are UTF-8 and that
   audit_canon_string writes as they are. `readable` bytes may be read from `s` (at least
   `len`): a string shorter than a word is read as one word when there is room, the bytes
   past it made 'A' (plain); a longer one's last word overlaps the one before. */
static bool ascii_plain(const unsigned char *s, size_t len, size_t readable)
{
    uint64_t w;
    size_t i = 0;
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    if (len < 8 && readable >= 8) {
        const uint64_t fill = 0x4141414141414141ULL, keep = len ? ~0ULL >> (8 * (8 - len)) : 0;
        memcpy(&w, s, 8);
        return word_plain((w & keep) | (fill & ~keep));
    }
#else
    (void)readable;
#endif
    for (; i + 8 <= len; i += 8) {
        memcpy(&w, s + i, 8);
        if (!word_plain(w))
            return false;
    }
    if (i < len && len >= 8) {
        memcpy(&w, s + len - 8, 8);
        return word_plain(w);
    }
    for (; i < len; i++)
        if (s[i] - 0x20u >= 0x60u || s[i] == '"' || s[i] == '\\')
            return false;
    return true;
}

/* A string of `len` bytes: checked and written. One of printable ASCII with nothing to
   escape (nearly every string a record holds) is checked and copied between its quotes
   in one pass, the bytes text_is_utf8 and audit_canon_string would each have read. */
static bool walk_string(Walk *w, uint64_t len, int how)
{
    StrBuf *out = &w->c->text;
    if (how == (WALK_CHECK | WALK_WRITE) && len <= walk_left(w) && out->data && out->cap - out->len > len + 2 &&
        ascii_plain(w->bytes + w->at, (size_t)len, walk_left(w))) {
        char *at = out->data + out->len;
        at[0] = '"';
        memcpy(at + 1, w->bytes + w->at, (size_t)len);
        at[len + 1] = '"';
        out->len += (size_t)len + 2;
        out->data[out->len] = '\0';
        w->at += (size_t)len;
        return true;
    }
    const char *text = walk_text(w, len, how);
    if (text && (how & WALK_WRITE))
        audit_canon_string(text, (size_t)len, out);
    return text != NULL;
}

/* Format 2's time or hex string, checked as the decoder checks it, written as the
   string it stands for. */
static bool walk_shaped(Walk *w, unsigned tag, int how)
{
    if (w->format < CODEC_FORMAT_2)
        return false;
    if (tag == CODEC_TAG_TIME) {
        uint64_t ms;
        if (codec_varint(w->bytes, w->len, &w->at, &ms) != CODEC_VARINT_OK || ms > CODEC_TIME_MAX)
            return false;
        if (!(how & WALK_WRITE))
            return true;
        CodecCanon *c = w->c;
        if (!c->time_known || c->time_ms != ms) {
            c->time_text[0] = c->time_text[CODEC_TIME_LEN + 1] = '"';
            codec_time_text(ms, c->time_text + 1);   /* digits and -:.TZ: nothing to escape */
            c->time_ms = ms;
            c->time_known = true;
        }
        strbuf_put(&c->text, c->time_text, sizeof c->time_text);
        return true;
    } else {
        if (walk_left(w) < 1)
            return false;
        size_t n = w->bytes[w->at];
        if (n < CODEC_HEX_MIN || n > CODEC_HEX_MAX || n > walk_left(w) - 1)
            return false;
        char *at = (how & WALK_WRITE) ? strbuf_room(&w->c->text, 2 * n + 2) : NULL;
        if (at) {                   /* lowercase hex digits: nothing to escape */
            at[0] = '"';
            codec_hex_text(w->bytes + w->at + 1, n, at + 1);
            at[2 * n + 1] = '"';
            w->c->text.len += 2 * n + 2;
            at[2 * n + 2] = '\0';
        }
        w->at += 1 + n;
    }
    return true;
}

static bool walk_scalar(Walk *w, unsigned tag, int how)
{
    StrBuf *out = (how & WALK_WRITE) ? &w->c->text : NULL;
    uint64_t n;
    switch (tag) {
    case CODEC_TAG_NULL:
    case CODEC_TAG_FALSE:
    case CODEC_TAG_TRUE: {
        static const char *const WORDS[] = {"null", "false", "true"};
        static const size_t LENGTHS[] = {4, 5, 4};
        if (out)
            strbuf_put(out, WORDS[tag], LENGTHS[tag]);
        return true;
    }
    case CODEC_TAG_INT:
        if (codec_varint(w->bytes, w->len, &w->at, &n) != CODEC_VARINT_OK)
            return false;
        if (out)
            audit_canon_integer((int64_t)(n >> 1 ^ (0 - (n & 1))), out);
        return true;
    case CODEC_TAG_REAL: {
        if (walk_left(w) < 8)
            return false;
        uint64_t bits = 0;
        for (int i = 0; i < 8; i++)
            bits |= (uint64_t)w->bytes[w->at + i] << (8 * i);
        double d;
        memcpy(&d, &bits, sizeof d);
        w->at += 8;
        return isfinite(d) && (!out || audit_canon_real(d, out) == AUDIT_OK);
    }
    case CODEC_TAG_TIME:
    case CODEC_TAG_HEX:
        return walk_shaped(w, tag, how);
    default:
        return false;
    }
}

_Static_assert(CODEC_TAG_SMALL_INT == 0x20 && CODEC_SMALL_INT_MAX == 31 && CODEC_TAG_SHORT_STRING == 0x40 &&
               CODEC_SHORT_STRING_MAX == 63 && CODEC_TAG_SHORT_ARRAY == 0x80 && CODEC_TAG_SHORT_OBJECT == 0x90 &&
               CODEC_SHORT_COUNT_MAX == 15 && CODEC_TAG_VALUE == 0xA0,
               "walk_value reads a tag's kind from its top three bits");

static bool walk_value(Walk *w, int depth, int how)
{
    if (w->at >= w->len)
        return false;
    unsigned tag = w->bytes[w->at++];
    uint64_t n;
    switch (tag >> 5) {
    case 0:                                             /* 0x00-0x1F: the tags of their own */
        switch (tag) {
        case CODEC_TAG_OBJECT:
            return depth < CODEC_DEPTH_MAX && walk_count(w, &n, 2) && walk_object(w, n, depth, how);
        case CODEC_TAG_ARRAY:
            return depth < CODEC_DEPTH_MAX && walk_count(w, &n, 1) && walk_array(w, n, depth, how);
        case CODEC_TAG_STRING:
            return walk_count(w, &n, 1) && walk_string(w, n, how);
        default:
            return walk_scalar(w, tag, how);
        }
    case 1:                                             /* 0x20-0x3F: a small integer */
        if (how & WALK_WRITE) {
            unsigned v = tag - CODEC_TAG_SMALL_INT;
            char digits[2] = {(char)('0' + v / 10), (char)('0' + v % 10)};
            strbuf_put(&w->c->text, digits + (v < 10), v < 10 ? 1 : 2);
        }
        return true;
    case 2:
    case 3:                                             /* 0x40-0x7F: a short string */
        return walk_string(w, tag - CODEC_TAG_SHORT_STRING, how);
    case 4:                                             /* 0x80-0x9F: a short array or object */
        if (depth >= CODEC_DEPTH_MAX)
            return false;
        if (tag >= CODEC_TAG_SHORT_OBJECT)
            return walk_object(w, tag - CODEC_TAG_SHORT_OBJECT, depth, how);
        return walk_array(w, tag - CODEC_TAG_SHORT_ARRAY, depth, how);
    default: {                                          /* 0xA0-0xFF: a value word (format 2) */
        size_t len, word = tag - CODEC_TAG_VALUE;
        if (w->format >= CODEC_FORMAT_2 && word < value_count) {
            if (how & WALK_WRITE)
                strbuf_put(&w->c->text, value_texts.data + value_text_at[word], value_text_len[word]);
            return true;
        }
        const char *text = w->format >= CODEC_FORMAT_2 ? codec_value_text(tag, &len) : NULL;
        if (text && (how & WALK_WRITE))
            audit_canon_string(text, len, &w->c->text);
        return text != NULL;
    }
    }
}

/* Walks the record `data` as `how` says, from a clean state. */
static int walk_record(CodecCanon *c, const void *data, size_t len, int how, Walk *w)
{
    c->text.len = 0;
    c->member_top = c->top_count = 0;
    c->instance = NULL;
    c->has_seq = false;
    *w = (Walk){c, data, len, 1, false, 0};
    if (!atomic_load_explicit(&ranks_ready, memory_order_acquire))
        pthread_once(&rank_once, ranks_build);
    if (!codec_is_binary(data, len))
        return CODEC_DAMAGED;
    w->format = ((const unsigned char *)data)[0];
    bool ok = walk_value(w, 0, how) && w->at == len;
    if (w->no_memory || strbuf_failed(&c->text)) {
        strbuf_free(&c->text);
        strbuf_free(&c->order);
        return CODEC_NO_MEMORY;
    }
    if (!ok) {
        c->instance = NULL;
        c->has_seq = false;
        c->top_count = 0;
        return CODEC_DAMAGED;
    }
    return CODEC_OK;
}

int codec_canon(CodecCanon *c, const void *data, size_t len)
{
    Walk w;
    return walk_record(c, data, len, WALK_CHECK | WALK_WRITE, &w);
}

int codec_canon_check(CodecCanon *c, const void *data, size_t len)
{
    Walk w;
    return walk_record(c, data, len, WALK_CHECK, &w);
}

int codec_member_integer(CodecCanon *c, const void *data, size_t len, const char *name,
                         long long *value, bool *found)
{
    Walk w;
    *found = false;
    int rc = walk_record(c, data, len, WALK_CHECK, &w);
    size_t name_len = strlen(name);
    for (size_t i = 0; rc == CODEC_OK && !*found && i < c->top_count; i++) {
        const CanonMember *m = &c->members[i];
        if (m->name_len == name_len && memcmp(m->name, name, name_len) == 0)
            *found = member_integer(&w, m, value);
    }
    return rc;
}

/* The names a caller asks codec_canon_members for, looked up once per table (per thread,
   the last NAME_TABLES tables asked): their lengths, and for each key byte the name it
   stands for. A table is known by its address: callers pass tables that live as long
   as the process (static arrays). */
#define NAME_TABLES 4
typedef struct NameSlots {
    const char *const *names;
    size_t count;
    size_t lengths[CODEC_CANON_NAMES_MAX];
    unsigned char slot[256];        /* key byte -> 1 + the index of its name; 0: none */
} NameSlots;
static _Thread_local NameSlots name_slots[NAME_TABLES];
static _Thread_local unsigned name_slots_next;

static const NameSlots *names_slotted(const char *const *names, size_t count)
{
    for (unsigned k = 0; k < NAME_TABLES; k++)
        if (name_slots[k].names == names && name_slots[k].count == count)
            return &name_slots[k];
    NameSlots *t = &name_slots[name_slots_next++ % NAME_TABLES];
    memset(t->slot, 0, sizeof t->slot);
    for (size_t i = 0; i < count; i++) {
        t->lengths[i] = strlen(names[i]);
        for (unsigned b = key_count; b >= 1; b--)   /* the first name wins, as before */
            if (key_lengths[b - 1] == t->lengths[i] && memcmp(key_names[b - 1], names[i], t->lengths[i]) == 0 &&
                !t->slot[b])
                t->slot[b] = (unsigned char)(i + 1);
    }
    t->names = names;
    t->count = count;
    return t;
}

size_t codec_canon_members(const CodecCanon *c, const CodecView *record, const char *const *names, size_t count,
                           CodecView *values)
{
    size_t found = 0;
    if (count > CODEC_CANON_NAMES_MAX || !atomic_load_explicit(&ranks_ready, memory_order_acquire))
        return codec_view_members(record, names, count, values);
    const NameSlots *t = names_slotted(names, count);
    for (size_t i = 0; i < count; i++)
        values[i].len = 0;
    for (size_t k = 0; k < c->top_count && found < count; k++) {
        const CanonMember *m = &c->members[k];
        size_t i;
        if (m->byte) {
            if (!t->slot[m->byte] || values[i = t->slot[m->byte] - 1].len)
                continue;
        } else {
            for (i = 0; i < count; i++)
                if (t->lengths[i] == m->name_len && !values[i].len && memcmp(names[i], m->name, m->name_len) == 0)
                    break;
            if (i == count)
                continue;
        }
        values[i] = *record;
        values[i].at = m->value_at;
        found++;
    }
    return found;
}

int codec_canon_check_value(CodecCanon *c, const void *data, size_t len, size_t *at)
{
    c->member_top = c->top_count = 0;
    c->instance = NULL;
    c->has_seq = false;
    if (!atomic_load_explicit(&ranks_ready, memory_order_acquire))
        pthread_once(&rank_once, ranks_build);
    Walk w = {c, data, len, *at, false, CODEC_FORMAT};
    bool ok = walk_value(&w, 0, WALK_CHECK);
    c->instance = NULL;
    c->has_seq = false;
    c->top_count = 0;
    if (w.no_memory)
        return CODEC_NO_MEMORY;
    if (!ok)
        return CODEC_DAMAGED;
    *at = w.at;
    return CODEC_OK;
}

void codec_canon_free(CodecCanon *c)
{
    strbuf_free(&c->text);
    strbuf_free(&c->order);
    free(c->members);
    free(c->places);
    c->members = NULL;
    c->places = NULL;
    c->member_cap = c->member_top = 0;
}
