/*
 * source.h - a playbook's text with its name and line table.
 *
 * Every position in the front end is a Span of byte offsets into one Source; the
 * line table turns an offset into the 1-based line and column that people read.
 */
#ifndef HUDDLE_SOURCE_H
#define HUDDLE_SOURCE_H

#include <stddef.h>
#include <stdint.h>

#include "arena.h"

/* A half-open byte range [start, end) in a Source. */
typedef struct Span {
    uint32_t start, end;
} Span;

typedef struct Source {
    const char *name;       /* file name as given by the user */
    const char *text;       /* the bytes, NUL-terminated (the arena's copy) */
    uint32_t len;
    uint32_t *line_starts;  /* offset of the first byte of each line */
    uint32_t line_count;
} Source;

/* Copies `text` into `arena` and builds the line table. Returns NULL when the text is
   too large to address with 32-bit offsets (over 2 GiB). */
Source *source_new(Arena *arena, const char *name, const char *text, size_t len);

/* Where the line that starts at `at` ends (its line break, or `end`), a line break
   being LF, CRLF or a lone CR, as in the language (docs/language.md, Lexical
   structure). Sets *next to where the next line starts, or NULL at `end`. */
const char *source_line_break(const char *at, const char *end, const char **next);

/* 1-based line of `offset`. */
uint32_t source_line_of(const Source *src, uint32_t offset);

/* 1-based column of `offset`, counted in UTF-8 code points from the line start. */
uint32_t source_column_of(const Source *src, uint32_t offset);

/* The bytes of 1-based `line` without its newline: sets *len. */
const char *source_line_text(const Source *src, uint32_t line, uint32_t *len);

#endif
