/*
 * fold.h - text lowered code point by code point, with the C.UTF-8 locale's case tables
 * (as the language's lower() does), so that words match whatever their case: `audit
 * search --words MÄKINEN` finds "Mäkinen" as `--words policy` finds "POLICY".
 */
#ifndef HUDDLE_FOLD_H
#define HUDDLE_FOLD_H

#include <stddef.h>

#include "strbuf.h"

/* Appends the len bytes at text to out, each code point lowered; a byte that does not
   start a whole UTF-8 sequence is copied as it is. Appends no NUL of its own (out
   stays NUL-terminated, as a StrBuf is). */
void fold_lower(const char *text, size_t len, StrBuf *out);

#endif
