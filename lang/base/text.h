/*
 * text.h - what a word from outside must look like before it is used: ids (event ids,
 * sources, person ids), numbered ids (t1, i1), whole numbers given as arguments; and
 * control characters made visible, so text from outside can never move a terminal's
 * cursor or forge a line of human output (RUNTIME.md, "Limits and damage"); and the
 * closest of some names, for a "did you mean" hint.
 *
 * Shared by the CLI (exit 2 for a malformed argument), the engine (every input, from
 * any door), the directory (the ids of people), the checker and the connectors file
 * (hints).
 */
#ifndef HUDDLE_TEXT_H
#define HUDDLE_TEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "strbuf.h"

/* The longest id, in bytes: longer ones are refused, never cut. */
#define TEXT_ID_MAX 256

/* What is wrong with `text` as an id, or NULL when it is one: an id is 1 to
   TEXT_ID_MAX bytes of UTF-8 without control characters (C0, DEL, C1, U+2028, U+2029).
   A person id (`person`) also neither starts nor ends with white space. The answer is
   a phrase such as "is empty" or "is 300 bytes, more than the 256 allowed",
   static or in `buf` (room for 96 bytes). */
const char *text_id_problem(const char *text, bool person, char buf[96]);

/* The bytes of the Unicode White_Space character at `p` (`left` bytes remain: ASCII's
   blanks, no-break space, the ideographic space, ...), or 0 when there is none there. */
size_t text_white_space_length(const unsigned char *p, size_t left);

/* The bytes taken by the control character at `p` (C0, DEL, C1, U+2028 or U+2029;
   `left` bytes remain), or 0 when there is none there. */
size_t text_control_length(const unsigned char *p, size_t left);

/* Appends `len` bytes of `text` with each control character written visibly: \n, \r,
   \t, \e as such, other C0 and DEL as \xHH, C1 and U+2028/U+2029 as \u0085 / \u2028;
   a byte that is not part of valid UTF-8 as \xHH too (a lone 0x9b is CSI to some
   terminals). */
void text_escape_controls(const char *text, size_t len, StrBuf *out);

/* The number of a numbered id: `prefix` then [1-9][0-9]* that fits in 64 bits ("t12"
   with 't' gives 12); 0 for anything else ("t01", "t 1", "t+1", "t", "12"). */
uint64_t text_numbered_id(const char *text, char prefix);

/* A whole number written as digits only (no sign, space, or suffix), from `min` to
   `max`; false for anything else. */
bool text_parse_count(const char *text, int64_t min, int64_t max, int64_t *out);

/* The candidate closest to `name` by edit distance, for a "did you mean" hint: one
   within 1 edit of a name of up to 3 bytes, 2 of up to 6, 3 of longer ones (names
   longer than 64 bytes match nothing); NULL when none is that close, or all are `name`
   itself. */
const char *text_closest(const char *name, const char *const *candidates, unsigned count);

/* The UTF-8 byte order mark (EF BB BF) some editors put at the start of a file: its
   length when `text` starts with one, else 0. Files and lines read from outside skip it. */
#define TEXT_BOM_LEN 3
size_t text_bom_length(const char *text, size_t len);

#endif
