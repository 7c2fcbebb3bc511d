/*
 * source.c - line tables for playbook text (see source.h).
 */
#include "source.h"

#include <string.h>

Source *source_new(Arena *arena, const char *name, const char *text, size_t len)
{
    if (len >= UINT32_MAX / 2)
        return NULL;
    Source *src = arena_alloc(arena, sizeof *src);
    src->name = arena_strndup(arena, name, strlen(name));
    src->text = arena_strndup(arena, text, len);
    src->len = (uint32_t)len;

    uint32_t lines = 1;
    const char *end = src->text + src->len;
    for (const char *p = src->text; source_line_break(p, end, &p), p; )
        lines++;
    src->line_starts = arena_alloc(arena, sizeof(uint32_t) * lines);
    src->line_starts[0] = 0;
    uint32_t at = 1;
    for (const char *p = src->text; source_line_break(p, end, &p), p; )
        src->line_starts[at++] = (uint32_t)(p - src->text);
    src->line_count = lines;
    return src;
}

const char *source_line_break(const char *at, const char *end, const char **next)
{
    for (const char *p = at; p < end; p++) {
        if (*p == '\n' || *p == '\r') {
            *next = p + (*p == '\r' && p + 1 < end && p[1] == '\n' ? 2 : 1);
            return p;
        }
    }
    *next = NULL;
    return end;
}

uint32_t source_line_of(const Source *src, uint32_t offset)
{
    uint32_t lo = 0, hi = src->line_count;  /* answer index in [lo, hi) */
    while (hi - lo > 1) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (src->line_starts[mid] <= offset)
            lo = mid;
        else
            hi = mid;
    }
    return lo + 1;
}

uint32_t source_column_of(const Source *src, uint32_t offset)
{
    uint32_t line = source_line_of(src, offset);
    uint32_t column = 1;
    if (offset > src->len)
        offset = src->len;
    for (uint32_t i = src->line_starts[line - 1]; i < offset; i++)
        column += ((unsigned char)src->text[i] & 0xC0) != 0x80;
    return column;
}

const char *source_line_text(const Source *src, uint32_t line, uint32_t *len)
{
    uint32_t start = src->line_starts[line - 1];
    const char *next;
    *len = (uint32_t)(source_line_break(src->text + start, src->text + src->len, &next) -
                      (src->text + start));
    return src->text + start;
}
