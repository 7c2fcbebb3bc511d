/*
 * fold.c - text lowered for matching without regard to case (see fold.h).
 */
#include "fold.h"

#include <locale.h>
#include <stdint.h>
#include <wctype.h>

#include "utf8.h"

/* The length of the UTF-8 sequence at p (left bytes there) and its code point in *c,
   or 0 when p does not start a whole, valid sequence. */
static size_t fold_decode(const unsigned char *p, size_t left, uint32_t *c)
{
    size_t n = p[0] < 0x80 ? 1 : p[0] >= 0xC2 && p[0] < 0xE0 ? 2 : p[0] >= 0xE0 && p[0] < 0xF0 ? 3
                             : p[0] >= 0xF0 && p[0] < 0xF5 ? 4 : 0;
    if (n == 0 || n > left || utf8_valid_prefix(p, n) != n)
        return 0;
    *c = n == 1 ? p[0] : (uint32_t)(p[0] & (0xFF >> (n + 1)));
    for (size_t k = 1; k < n; k++)
        *c = (*c << 6) | (p[k] & 0x3F);
    return n;
}

void fold_lower(const char *text, size_t len, StrBuf *out)
{
    static locale_t utf8;
    if (!utf8)
        utf8 = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t)0);
    const unsigned char *p = (const unsigned char *)text;
    for (size_t i = 0; i < len;) {
        uint32_t c;
        size_t n = fold_decode(p + i, len - i, &c);
        if (n == 0 || (c < 0x80 && !(c >= 'A' && c <= 'Z'))) {   /* not UTF-8, or ASCII that stays */
            strbuf_putc(out, (char)p[i]);
            i += 1;
            continue;
        }
        c = c < 0x80 ? c + 32 : utf8 ? (uint32_t)towlower_l((wint_t)c, utf8) : c;
        char bytes[4];
        int k = utf8_encode(c, bytes);
        strbuf_append(out, k ? bytes : (const char *)p + i, k ? (size_t)k : n);
        i += n;
    }
}
