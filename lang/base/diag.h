/*
 * diag.h - diagnostics: what the front end found wrong, as values.
 *
 * lang/ never prints. Every stage appends to a DiagList; the CLI renders the list as
 * compiler-style text (diag_render_text) or reads the fields to write JSON.
 */
#ifndef HUDDLE_DIAG_H
#define HUDDLE_DIAG_H

#include <stdarg.h>

#include "arena.h"
#include "source.h"
#include "strbuf.h"

typedef enum DiagSeverity { DIAG_ERROR, DIAG_WARNING } DiagSeverity;

typedef struct Diag {
    DiagSeverity severity;
    const Source *src;
    Span span;
    const char *message;
    const char *hint;          /* NULL when there is none */
    const char *note;          /* a second place worth showing, e.g. "first declared here" */
    Span note_span;
} Diag;

typedef struct DiagList {
    Arena *arena;              /* borrowed: messages live here */
    Diag *items;
    unsigned count, cap;
    unsigned errors, warnings;
} DiagList;

void diag_list_init(DiagList *list, Arena *arena);

/* Appends a diagnostic and returns it so a hint or note can be attached. */
Diag *diag_add(DiagList *list, DiagSeverity severity, const Source *src, Span span,
               const char *fmt, ...) __attribute__((format(printf, 5, 6)));
/* diag_add with the arguments as a va_list (for wrappers such as the lexer's). */
Diag *diag_vadd(DiagList *list, DiagSeverity severity, const Source *src, Span span,
                const char *fmt, va_list args) __attribute__((format(printf, 5, 0)));

void diag_hint(DiagList *list, Diag *diag, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void diag_note(DiagList *list, Diag *diag, Span span, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Orders the list by file, then position (stable), as a reader expects. */
void diag_sort(DiagList *list);

/* Appends `file:line:col: error: message`, the source line, a caret under the span,
   and the hint and note, for one diagnostic. */
void diag_render_text(const Diag *diag, StrBuf *out);

const char *diag_severity_name(DiagSeverity severity);

#endif
