/*
 * audit_canon.c - the canonical form of a record: RFC 8785 (JSON Canonicalization
 * Scheme) with one change the runtime's contract makes, that integers are written
 * exactly (a jansson integer is its decimal digits, however large), where RFC 8785 would
 * round them through an IEEE double. Reals follow RFC 8785: ECMAScript's shortest form.
 *
 * The rules, as docs/audit.md states them for an auditor:
 *   - no white space; objects' members sorted by their names' UTF-16 code units;
 *   - strings: `"` and `\` escaped as \" and \\; U+0008, 09, 0A, 0C, 0D as \b \t \n \f
 *     \r; other characters below U+0020 as \u00xx (lower-case hex); everything else,
 *     non-ASCII included, as its UTF-8 bytes;
 *   - literals true, false, null; integers in decimal, a minus sign when negative;
 *   - reals: -0 and 0 are "0"; otherwise the fewest digits that read back as the same
 *     double, written as ECMAScript does (plain from 1e-6 to below 1e21, else d.ddde+N).
 */
#include "audit.h"

#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- strings ---- */

/* How many of the first bytes of `s`, eight at a time, need no escape (none below
   0x20, no '"' or '\\'), by the classic word tests "has a byte less than n" and "has a
   zero byte" (exact as a yes or no; a word that says yes is then read byte by byte). */
static size_t plain_bytes(const char *s, size_t len)
{
    const uint64_t ones = 0x0101010101010101ULL, highs = 0x8080808080808080ULL;
    size_t i = 0;
    for (uint64_t w; i + 8 <= len; i += 8) {
        memcpy(&w, s + i, 8);
        uint64_t quote = w ^ (ones * '"'), slash = w ^ (ones * '\\');
        if ((((w - ones * 0x20) & ~w) | ((quote - ones) & ~quote) | ((slash - ones) & ~slash)) & highs)
            break;
    }
    return i;
}

/* Whether the byte needs an escape: below 0x20, '"' or '\\'. */
static bool escaped(unsigned char c)
{
    return c < 0x20 || c == '"' || c == '\\';
}

void audit_canon_string(const char *s, size_t len, StrBuf *out)
{
    static const char HEX[] = "0123456789abcdef";
    if (len < 64 && out->data && out->cap - out->len > len + 2) {   /* short, and room: one pass */
        char *at = out->data + out->len;
        size_t i = plain_bytes(s, len);
        while (i < len && !escaped((unsigned char)s[i]))
            i++;
        if (i == len) {
            at[0] = '"';
            memcpy(at + 1, s, len);
            at[len + 1] = '"';
            out->len += len + 2;
            out->data[out->len] = '\0';
            return;
        }
    }
    strbuf_put(out, "\"", 1);
    size_t run = 0;   /* bytes copied as they are, written in one append */
    for (size_t i = 0; i < len; i++) {
        i += plain_bytes(s + i, len - i);
        if (i == len)
            break;
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c != '"' && c != '\\')
            continue;
        strbuf_put(out, s + run, i - run);
        run = i + 1;
        char esc[7] = {'\\', 0};
        switch (c) {
        case '"': esc[1] = '"'; break;
        case '\\': esc[1] = '\\'; break;
        case '\b': esc[1] = 'b'; break;
        case '\t': esc[1] = 't'; break;
        case '\n': esc[1] = 'n'; break;
        case '\f': esc[1] = 'f'; break;
        case '\r': esc[1] = 'r'; break;
        default:
            memcpy(esc + 1, "u00", 3);
            esc[4] = HEX[c >> 4];
            esc[5] = HEX[c & 15];
            strbuf_put(out, esc, 6);
            continue;
        }
        strbuf_put(out, esc, 2);
    }
    strbuf_put(out, s + run, len - run);
    strbuf_put(out, "\"", 1);
}

/* ---- numbers ---- */

int audit_canon_real(double v, StrBuf *out)
{
    if (!isfinite(v))
        return AUDIT_BAD;
    if (v == 0) {
        strbuf_putc(out, '0');
        return AUDIT_OK;
    }
    if (v < 0) {
        strbuf_putc(out, '-');
        v = -v;
    }
    /* The shortest digits that read back as v: %.{p-1}e for p = 1..17. */
    char text[40];
    for (int p = 1; p <= 17; p++) {
        snprintf(text, sizeof text, "%.*e", p - 1, v);
        if (strtod(text, NULL) == v)
            break;
    }
    char digits[20];
    size_t k = 0;
    const char *c = text;
    for (; *c && *c != 'e'; c++)
        if (*c >= '0' && *c <= '9')
            digits[k++] = *c;
    while (k > 1 && digits[k - 1] == '0')
        k--;
    digits[k] = '\0';
    int n = atoi(c + 1) + 1;   /* v = 0.digits x 10^n */
    if ((int)k <= n && n <= 21) {
        strbuf_append(out, digits, k);
        for (int i = (int)k; i < n; i++)
            strbuf_putc(out, '0');
    } else if (0 < n && n <= 21) {
        strbuf_append(out, digits, (size_t)n);
        strbuf_putc(out, '.');
        strbuf_append(out, digits + n, k - (size_t)n);
    } else if (-6 < n && n <= 0) {
        strbuf_puts(out, "0.");
        for (int i = 0; i < -n; i++)
            strbuf_putc(out, '0');
        strbuf_append(out, digits, k);
    } else {
        strbuf_putc(out, digits[0]);
        if (k > 1) {
            strbuf_putc(out, '.');
            strbuf_append(out, digits + 1, k - 1);
        }
        strbuf_printf(out, "e%c%d", n - 1 < 0 ? '-' : '+', abs(n - 1));
    }
    return AUDIT_OK;
}

/* By hand: printf's cost shows on every record. */
void audit_canon_integer(int64_t value, StrBuf *out)
{
    char digits[24], *at = digits + sizeof digits;
    uint64_t n = value < 0 ? (uint64_t)0 - (uint64_t)value : (uint64_t)value;
    do {
        *--at = (char)('0' + n % 10);
        n /= 10;
    } while (n);
    if (value < 0)
        *--at = '-';
    strbuf_put(out, at, (size_t)(digits + sizeof digits - at));
}

/* ---- member order: UTF-16 code units ---- */

/* The next UTF-16 code unit of `s` at *i (jansson's text is valid UTF-8); `*pending`
   holds a low surrogate still to give. */
static unsigned next_unit(const unsigned char *s, size_t len, size_t *i, unsigned *pending)
{
    if (*pending) {
        unsigned unit = *pending;
        *pending = 0;
        return unit;
    }
    unsigned c = s[(*i)++];
    int more = c >= 0xF0 ? 3 : c >= 0xE0 ? 2 : c >= 0xC0 ? 1 : 0;
    c &= more == 3 ? 0x07 : more == 2 ? 0x0F : more == 1 ? 0x1F : 0x7F;
    for (; more > 0 && *i < len; more--)
        c = c << 6 | (s[(*i)++] & 0x3F);
    if (c < 0x10000)
        return c;
    c -= 0x10000;
    *pending = 0xDC00 | (c & 0x3FF);
    return 0xD800 | (c >> 10);
}

/* UTF-8's byte order is code point order, which is UTF-16's but for U+E000-U+FFFF
   against U+10000 and up (their surrogates sort below U+E000): names without a byte of
   0xEE or more (no character of U+E000 or above) compare as bytes. */
static bool names_below_e000(const unsigned char *s, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (s[i] >= 0xEE)
            return false;
    return true;
}

int audit_name_compare(const char *a, size_t a_len, const char *b, size_t b_len)
{
    const unsigned char *p = (const unsigned char *)a, *q = (const unsigned char *)b;
    if (names_below_e000(p, a_len) && names_below_e000(q, b_len)) {
        int c = memcmp(p, q, a_len < b_len ? a_len : b_len);
        return c ? (c < 0 ? -1 : 1) : a_len == b_len ? 0 : a_len < b_len ? -1 : 1;
    }
    size_t i = 0, j = 0;
    unsigned pending_x = 0, pending_y = 0;
    while ((i < a_len || pending_x) && (j < b_len || pending_y)) {
        unsigned u = next_unit(p, a_len, &i, &pending_x), v = next_unit(q, b_len, &j, &pending_y);
        if (u != v)
            return u < v ? -1 : 1;
    }
    bool x_more = i < a_len || pending_x, y_more = j < b_len || pending_y;
    return x_more == y_more ? 0 : x_more ? 1 : -1;
}

typedef struct Member {
    const char *key;
    size_t len;
    const json_t *value;
} Member;

static int member_compare(const void *a, const void *b)
{
    const Member *x = a, *y = b;
    return audit_name_compare(x->key, x->len, y->key, y->len);
}

/* ---- values ---- */

static int canon_value(const json_t *value, StrBuf *out);

static int canon_object(const json_t *object, StrBuf *out)
{
    size_t count = json_object_size(object), n = 0;
    Member small[32];   /* a record's members fit: no allocation */
    Member *members = count <= 32 ? small : malloc(count * sizeof *members);
    if (!members)
        return AUDIT_NO_MEMORY;
    const char *key;
    size_t key_len;
    json_t *member;
    json_object_keylen_foreach((json_t *)object, key, key_len, member) {
        members[n].key = key;
        members[n].len = key_len;
        members[n++].value = member;
    }
    if (n > 1)
        qsort(members, n, sizeof *members, member_compare);
    int rc = AUDIT_OK;
    strbuf_putc(out, '{');
    for (size_t i = 0; i < n && rc == AUDIT_OK; i++) {
        if (i)
            strbuf_putc(out, ',');
        audit_canon_string(members[i].key, members[i].len, out);
        strbuf_putc(out, ':');
        rc = canon_value(members[i].value, out);
    }
    strbuf_putc(out, '}');
    if (members != small)
        free(members);
    return rc;
}

static int canon_value(const json_t *value, StrBuf *out)
{
    int rc = AUDIT_OK;
    switch (json_typeof(value)) {
    case JSON_OBJECT:
        rc = canon_object(value, out);
        break;
    case JSON_ARRAY:
        strbuf_putc(out, '[');
        for (size_t i = 0; i < json_array_size(value) && rc == AUDIT_OK; i++) {
            if (i)
                strbuf_putc(out, ',');
            rc = canon_value(json_array_get(value, i), out);
        }
        strbuf_putc(out, ']');
        break;
    case JSON_STRING:
        audit_canon_string(json_string_value(value), json_string_length(value), out);
        break;
    case JSON_INTEGER:
        audit_canon_integer((int64_t)json_integer_value(value), out);
        break;
    case JSON_REAL:
        rc = audit_canon_real(json_real_value(value), out);
        break;
    case JSON_TRUE:
        strbuf_puts(out, "true");
        break;
    case JSON_FALSE:
        strbuf_puts(out, "false");
        break;
    case JSON_NULL:
        strbuf_puts(out, "null");
        break;
    }
    return rc;
}

int audit_canon(const json_t *value, StrBuf *out)
{
    if (!value)
        return AUDIT_NO_MEMORY;
    int rc = canon_value(value, out);
    if (rc == AUDIT_OK && strbuf_failed(out))
        rc = AUDIT_NO_MEMORY;
    return rc;
}

int audit_canon_text(const char *text, size_t len, StrBuf *out, char *why, size_t why_len)
{
    json_error_t error;
    json_t *value = json_loadb(text, len, JSON_DECODE_ANY | JSON_ALLOW_NUL, &error);
    if (!value) {
        snprintf(why, why_len, "not JSON: %s (line %d, column %d)", error.text, error.line, error.column);
        return AUDIT_BAD;
    }
    int rc = audit_canon(value, out);
    if (rc == AUDIT_BAD)
        snprintf(why, why_len, "a number that is not finite");
    json_decref(value);
    return rc;
}
