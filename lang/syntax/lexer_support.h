/*
 * lexer_support.h - the helpers the flex actions call: numbers, durations, times,
 * and interpolation. Kept out of lexer.l so they read as plain C and can be unit tested
 * through the lexer. Calendar arithmetic is in lang/base/civil.h, UTF-8 in
 * lang/base/utf8.h.
 */
#ifndef HUDDLE_LEXER_SUPPORT_H
#define HUDDLE_LEXER_SUPPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ast.h"

/* Parses decimal digits; false when the value exceeds 2^63 (the most a literal may be,
   and only under unary minus). */
bool lex_parse_integer(const char *digits, size_t len, uint64_t *value);

/* Reads a unit word (`h`, `hours`, `minute`...); `short_form` accepts s m h d w only,
   otherwise the long words. False for anything else. */
bool lex_unit_from_word(const char *word, size_t len, bool short_form, DurationUnit *unit);

/* Fills a duration; false when its seconds overflow 64 bits. */
bool lex_make_duration(uint64_t count, DurationUnit unit, bool business, DurationLit *out);

/* Parses `@YYYY-MM-DDTHH:MM:SS(Z|+HH:MM|-HH:MM)`. On failure returns false and points
   *why at a short reason ("month 13 does not exist"). */
bool lex_parse_time(const char *text, size_t len, TimeLit *out, const char **why);

/* Does the interpolation whose '{' ends just before text[from] close with its '}' on
   the same line? Nested strings are skipped whole. */
bool lex_interpolation_closes(const char *text, uint32_t from, uint32_t len);

#endif
