/*
 * fold.c - text case-folded for matching without regard to case (see fold.h).
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

/* The code points whose simple case folding (CaseFolding.txt, C and S) is not their
   lower case (towlower in C.UTF-8), with their folding, by code point: made from
   Unicode 14's CaseFolding.txt, each code point compared (tests/unit/test_fold.c checks
   a few). The others fold to their lower case, or differ from it only where lowering
   alone already makes the same classes (Cherokee folds to its capitals, lowering to its
   small letters); U+0130 (I with dot above), which has no simple folding, is lowered to
   i, as before. */
static const struct {
    uint32_t from, to;
} FOLD_NOT_LOWER[] = {
    {0x00B5, 0x03BC}, {0x017F, 0x0073}, {0x0345, 0x03B9}, {0x03C2, 0x03C3},
    {0x03D0, 0x03B2}, {0x03D1, 0x03B8}, {0x03D5, 0x03C6}, {0x03D6, 0x03C0},
    {0x03F0, 0x03BA}, {0x03F1, 0x03C1}, {0x03F5, 0x03B5}, {0x1C80, 0x0432},
    {0x1C81, 0x0434}, {0x1C82, 0x043E}, {0x1C83, 0x0441}, {0x1C84, 0x0442},
    {0x1C85, 0x0442}, {0x1C86, 0x044A}, {0x1C87, 0x0463}, {0x1C88, 0xA64B},
    {0x1E9B, 0x1E61}, {0x1FBE, 0x03B9},
};

/* c (lowered) folded where its simple folding is not its lower case. */
static uint32_t fold_special(uint32_t c)
{
    size_t low = 0, high = sizeof FOLD_NOT_LOWER / sizeof FOLD_NOT_LOWER[0];
    while (low < high) {
        size_t mid = low + (high - low) / 2;
        if (FOLD_NOT_LOWER[mid].from == c)
            return FOLD_NOT_LOWER[mid].to;
        if (FOLD_NOT_LOWER[mid].from < c)
            low = mid + 1;
        else
            high = mid;
    }
    return c;
}

void fold_case(const char *text, size_t len, StrBuf *out)
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
        c = c < 0x80 ? c + 32 : fold_special(utf8 ? (uint32_t)towlower_l((wint_t)c, utf8) : c);
        char bytes[4];
        int k = utf8_encode(c, bytes);
        strbuf_append(out, k ? bytes : (const char *)p + i, k ? (size_t)k : n);
        i += n;
    }
}
