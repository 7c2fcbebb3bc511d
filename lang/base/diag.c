/*
 * diag.c - collecting, ordering and rendering diagnostics (see diag.h).
 */
#include "diag.h"
#include "utf8.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void diag_list_init(DiagList *list, Arena *arena)
{
    memset(list, 0, sizeof *list);
    list->arena = arena;
}

static char *diag_vformat(Arena *arena, const char *fmt, va_list args)
{
    va_list copy;
    va_copy(copy, args);
    int len = vsnprintf(NULL, 0, fmt, copy);
    va_end(copy);
    if (len < 0)
        len = 0;
    char *text = arena_alloc(arena, (size_t)len + 1);
    vsnprintf(text, (size_t)len + 1, fmt, args);
    return text;
}

Diag *diag_add(DiagList *list, DiagSeverity severity, const Source *src, Span span,
               const char *fmt, ...)
{
    va_list args;
    va_start(args, fmt);
    Diag *diag = diag_vadd(list, severity, src, span, fmt, args);
    va_end(args);
    return diag;
}

Diag *diag_vadd(DiagList *list, DiagSeverity severity, const Source *src, Span span,
                const char *fmt, va_list args)
{
    arena_grow(list->arena, (void **)&list->items, &list->cap, list->count + 1,
               sizeof(Diag));
    Diag *diag = &list->items[list->count++];
    memset(diag, 0, sizeof *diag);
    diag->severity = severity;
    diag->src = src;
    diag->span = span;
    diag->message = diag_vformat(list->arena, fmt, args);
    if (severity == DIAG_ERROR)
        list->errors++;
    else
        list->warnings++;
    return diag;
}

void diag_hint(DiagList *list, Diag *diag, const char *fmt, ...)
{
    va_list args;
    va_start(args, fmt);
    diag->hint = diag_vformat(list->arena, fmt, args);
    va_end(args);
}

void diag_note(DiagList *list, Diag *diag, Span span, const char *fmt, ...)
{
    va_list args;
    va_start(args, fmt);
    diag->note = diag_vformat(list->arena, fmt, args);
    va_end(args);
    diag->note_span = span;
}

static int diag_compare(const Diag *a, const Diag *b)
{
    int names = strcmp(a->src->name, b->src->name);
    if (names)
        return names;
    if (a->span.start != b->span.start)
        return a->span.start < b->span.start ? -1 : 1;
    return 0;
}

void diag_sort(DiagList *list)
{
    /* Insertion sort: stable, and lists are short and nearly ordered already. */
    for (unsigned i = 1; i < list->count; i++) {
        Diag moving = list->items[i];
        unsigned j = i;
        while (j > 0 && diag_compare(&list->items[j - 1], &moving) > 0) {
            list->items[j] = list->items[j - 1];
            j--;
        }
        list->items[j] = moving;
    }
}

const char *diag_severity_name(DiagSeverity severity)
{
    return severity == DIAG_ERROR ? "error" : "warning";
}

/* Counts the code points in bytes [from, to) of `text`. */
static uint32_t diag_code_points(const char *text, uint32_t from, uint32_t to)
{
    uint32_t count = 0;
    for (uint32_t i = from; i < to; i++)
        count += ((unsigned char)text[i] & 0xC0) != 0x80;
    return count;
}

/* The source line of `span` with a gutter, and `^~~~` under the span. */
static void diag_render_excerpt(const Source *src, Span span, StrBuf *out)
{
    uint32_t line = source_line_of(src, span.start);
    uint32_t len;
    const char *text = source_line_text(src, line, &len);
    uint32_t line_start = (uint32_t)(text - src->text);
    uint32_t line_end = line_start + len;

    char gutter[16];
    int width = snprintf(gutter, sizeof gutter, "%u", line);
    strbuf_printf(out, " %s | ", gutter);
    for (uint32_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)text[i];
        uint32_t bytes = c < 0x80 ? 1 : c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : 2;
        if (c == '\t') {
            strbuf_putc(out, ' ');
        } else if (c < 0x20 || c == 0x7F || (c >= 0x80 && (bytes > len - i ||
                   utf8_valid_prefix((const unsigned char *)text + i, bytes) != bytes))) {
            strbuf_puts(out, "\xEF\xBF\xBD");   /* U+FFFD for a control character or a byte that is no
                                                  UTF-8: never raw to the terminal */
        } else {
            strbuf_append(out, text + i, bytes);
            i += bytes - 1;
        }
    }
    strbuf_printf(out, "\n %*s | ", width, "");

    uint32_t start = span.start > line_end ? line_end : span.start;
    uint32_t end = span.end > line_end ? line_end : span.end;
    uint32_t pad = diag_code_points(src->text, line_start, start);
    uint32_t marks = end > start ? diag_code_points(src->text, start, end) : 1;
    for (uint32_t i = 0; i < pad; i++)
        strbuf_putc(out, ' ');
    strbuf_putc(out, '^');
    for (uint32_t i = 1; i < marks; i++)
        strbuf_putc(out, '~');
    strbuf_putc(out, '\n');
}

void diag_render_text(const Diag *diag, StrBuf *out)
{
    const Source *src = diag->src;
    strbuf_printf(out, "%s:%u:%u: %s: %s\n", src->name, source_line_of(src, diag->span.start),
                  source_column_of(src, diag->span.start),
                  diag_severity_name(diag->severity), diag->message);
    diag_render_excerpt(src, diag->span, out);
    if (diag->hint)
        strbuf_printf(out, "hint: %s\n", diag->hint);
    if (diag->note) {
        strbuf_printf(out, "%s:%u:%u: note: %s\n", src->name,
                      source_line_of(src, diag->note_span.start),
                      source_column_of(src, diag->note_span.start), diag->note);
        diag_render_excerpt(src, diag->note_span, out);
    }
}
