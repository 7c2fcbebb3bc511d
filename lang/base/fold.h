/*
 * fold.h - text case-folded code point by code point for matching without regard to
 * case: each code point lowered with the C.UTF-8 locale's case tables (as the
 * language's lower() does), then the few that Unicode's simple case folding (the C and S
 * mappings of CaseFolding.txt) maps elsewhere than their lower case put there (final
 * sigma to sigma, micro sign to mu, long s to s, ...), so that words match whatever
 * their case: `audit search --words MÄKINEN` finds "Mäkinen", `ΟΔΟΣ` finds "οδος".
 */
#ifndef HUDDLE_FOLD_H
#define HUDDLE_FOLD_H

#include <stddef.h>

#include "strbuf.h"

/* Appends the len bytes at text to out, each code point folded; a byte that does not
   start a whole UTF-8 sequence is copied as it is. Appends no NUL of its own (out
   stays NUL-terminated, as a StrBuf is). */
void fold_case(const char *text, size_t len, StrBuf *out);

#endif
