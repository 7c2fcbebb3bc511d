/*
 * text.c - ids, numbers and control characters of text from outside (see text.h).
 */
#include "text.h"

#include <stdio.h>
#include <string.h>

#include "utf8.h"

size_t text_control_length(const unsigned char *p, size_t left)
{
    if (left == 0)
        return 0;
    if (p[0] < 0x20 || p[0] == 0x7F)
        return 1;
    if (left >= 2 && p[0] == 0xC2 && p[1] >= 0x80 && p[1] <= 0x9F)
        return 2;   /* C1: U+0080 to U+009F */
    if (left >= 3 && p[0] == 0xE2 && p[1] == 0x80 && (p[2] == 0xA8 || p[2] == 0xA9))
        return 3;   /* the line and paragraph separators */
    return 0;
}

/* Unicode's White_Space characters (PropList.txt): ASCII's, NEL, no-break space, Ogham
   space mark, the spaces of U+2000..U+200A, the line and paragraph separators, narrow
   no-break, medium mathematical and ideographic space. */
static bool text_is_white_space(uint32_t c)
{
    return (c >= 0x09 && c <= 0x0D) || c == 0x20 || c == 0x85 || c == 0xA0 || c == 0x1680 ||
           (c >= 0x2000 && c <= 0x200A) || c == 0x2028 || c == 0x2029 || c == 0x202F || c == 0x205F || c == 0x3000;
}

size_t text_white_space_length(const unsigned char *p, size_t left)
{
    if (left == 0)
        return 0;
    size_t n = p[0] < 0x80 ? 1 : p[0] >= 0xF0 ? 4 : p[0] >= 0xE0 ? 3 : p[0] >= 0xC0 ? 2 : 0;
    if (n == 0 || n > left || utf8_valid_prefix(p, n) != n)
        return 0;   /* not a character of UTF-8: no white space */
    uint32_t c = n == 1 ? p[0] : p[0] & (0x7Fu >> n);
    for (size_t k = 1; k < n; k++)
        c = (c << 6) | (p[k] & 0x3F);
    return text_is_white_space(c) ? n : 0;
}

/* Whether the UTF-8 text of `len` bytes begins or ends with white space. */
static bool text_white_space_at_an_end(const unsigned char *text, size_t len)
{
    size_t last = len;
    while (last > 0 && len - last < 4 && (text[last - 1] & 0xC0) == 0x80)
        last--;   /* back over the last character's continuation bytes */
    last = last > 0 ? last - 1 : 0;
    return text_white_space_length(text, len) > 0 || text_white_space_length(text + last, len - last) == len - last;
}

const char *text_id_problem(const char *text, bool person, char buf[96])
{
    size_t len = text ? strlen(text) : 0;
    if (len == 0)
        return "is empty";
    if (len > TEXT_ID_MAX) {
        snprintf(buf, 96, "is %zu bytes, more than the %d allowed", len, TEXT_ID_MAX);
        return buf;
    }
    const unsigned char *bytes = (const unsigned char *)text;
    if (utf8_valid_prefix(bytes, len) != len)
        return "is not UTF-8";
    for (size_t i = 0; i < len; i++)
        if (text_control_length(bytes + i, len - i))
            return "has a control character (a line break, an escape, ...)";
    if (person && text_white_space_at_an_end(bytes, len))
        return "starts or ends with a space";   /* Unicode's too: "anna" + U+00A0 is not anna */
    return NULL;
}

/* The bytes of the valid UTF-8 character at `p`, or 0 when the byte there starts none. */
static size_t text_char_length(const unsigned char *p, size_t left)
{
    size_t n = p[0] < 0x80 ? 1 : p[0] >= 0xF0 ? 4 : p[0] >= 0xE0 ? 3 : 2;
    return n <= left && utf8_valid_prefix(p, n) == n ? n : 0;
}

void text_escape_controls(const char *text, size_t len, StrBuf *out)
{
    const unsigned char *p = (const unsigned char *)text;
    size_t plain = 0;   /* start of the run of ordinary bytes not yet appended */
    for (size_t i = 0; i < len;) {
        size_t n = text_control_length(p + i, len - i), size = n ? 0 : text_char_length(p + i, len - i);
        if (size) {
            i += size;
            continue;
        }
        strbuf_append(out, text + plain, i - plain);
        if (n == 0) {
            strbuf_printf(out, "\\x%02x", p[i]);   /* a byte that is no UTF-8 */
            n = 1;
        } else if (n == 1) {
            const char *named = p[i] == '\n' ? "\\n" : p[i] == '\r' ? "\\r" : p[i] == '\t' ? "\\t"
                              : p[i] == 0x1B ? "\\e" : NULL;
            if (named)
                strbuf_puts(out, named);
            else
                strbuf_printf(out, "\\x%02x", p[i]);
        } else {
            unsigned code = n == 2 ? p[i + 1] : 0x2000u | (p[i + 2] - 0x80u);
            strbuf_printf(out, "\\u%04x", code);
        }
        i += n;
        plain = i;
    }
    strbuf_append(out, text + plain, len - plain);
}

uint64_t text_numbered_id(const char *text, char prefix)
{
    if (!text || text[0] != prefix || text[1] < '1' || text[1] > '9')
        return 0;
    uint64_t n = 0;
    for (const char *at = text + 1; *at; at++) {
        if (*at < '0' || *at > '9' || n > (UINT64_C(1) << 62) / 5)
            return 0;   /* a non-digit, or too many digits for 64 bits */
        n = n * 10 + (uint64_t)(*at - '0');
    }
    return n;
}

bool text_parse_count(const char *text, int64_t min, int64_t max, int64_t *out)
{
    if (!text || !*text || strspn(text, "0123456789") != strlen(text) || strlen(text) > 18)
        return false;
    int64_t n = 0;
    for (const char *at = text; *at; at++)
        n = n * 10 + (*at - '0');
    if (n < min || n > max)
        return false;
    *out = n;
    return true;
}

/* Edit distance, giving up past `limit`. */
static unsigned text_distance(const char *a, const char *b, unsigned limit)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la > 64 || lb > 64)
        return limit + 1;
    unsigned row[65];
    for (size_t j = 0; j <= lb; j++)
        row[j] = (unsigned)j;
    for (size_t i = 1; i <= la; i++) {
        unsigned diagonal = row[0], best = row[0] = (unsigned)i;
        for (size_t j = 1; j <= lb; j++) {
            unsigned above = row[j];
            unsigned cost = diagonal + (a[i - 1] != b[j - 1]);
            unsigned value = above + 1 < row[j - 1] + 1 ? above + 1 : row[j - 1] + 1;
            row[j] = cost < value ? cost : value;
            diagonal = above;
            if (row[j] < best)
                best = row[j];
        }
        if (best > limit)
            return limit + 1;
    }
    return row[lb];
}

const char *text_closest(const char *name, const char *const *candidates, unsigned count)
{
    unsigned limit = strlen(name) <= 3 ? 1 : strlen(name) <= 6 ? 2 : 3;
    const char *best = NULL;
    unsigned best_distance = limit + 1;
    for (unsigned i = 0; i < count; i++) {
        unsigned d = text_distance(name, candidates[i], limit);
        if (d < best_distance && strcmp(name, candidates[i]) != 0) {
            best = candidates[i];
            best_distance = d;
        }
    }
    return best;
}

size_t text_bom_length(const char *text, size_t len)
{
    return len >= TEXT_BOM_LEN && memcmp(text, "\xEF\xBB\xBF", TEXT_BOM_LEN) == 0 ? TEXT_BOM_LEN : 0;
}
