/*
 * lexer_support.h - the helpers the flex actions call: numbers, durations, times,
 * string escapes and UTF-8 checks. Kept out of lexer.l so they read as plain C and can
 * be unit tested through the lexer.
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

/* Days since 1970-01-01 of a proleptic Gregorian date. */
int64_t lex_days_from_civil(int64_t year, unsigned month, unsigned day);

/* Length of the valid UTF-8 prefix of bytes; equals len when all is valid. */
size_t lex_utf8_valid_prefix(const unsigned char *bytes, size_t len);

/* Encodes a code point as UTF-8 into out (4 bytes room); returns the length, or 0 for
   a surrogate or a value past U+10FFFF. */
int lex_utf8_encode(uint32_t code_point, char *out);

/* Does the interpolation whose '{' ends just before text[from] close with its '}' on
   the same line? Nested strings are skipped whole. */
bool lex_interpolation_closes(const char *text, uint32_t from, uint32_t len);

#endif
