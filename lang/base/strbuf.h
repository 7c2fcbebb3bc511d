/*
 * strbuf.h - a growable, always NUL-terminated byte buffer on the heap.
 *
 * Used wherever text is built up: rendered diagnostics, DOT graphs, messages.
 * The caller owns the buffer; strbuf_free releases it, strbuf_take hands it over.
 */
#ifndef HUDDLE_STRBUF_H
#define HUDDLE_STRBUF_H

#include <stddef.h>

typedef struct StrBuf {
    char *data;     /* NUL-terminated; NULL until the first append */
    size_t len, cap;
} StrBuf;

#define STRBUF_INIT {NULL, 0, 0}

void strbuf_append(StrBuf *buf, const char *bytes, size_t len);
void strbuf_puts(StrBuf *buf, const char *text);
void strbuf_putc(StrBuf *buf, char c);
void strbuf_printf(StrBuf *buf, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Returns the text (never NULL, "" when empty); the caller frees it. */
char *strbuf_take(StrBuf *buf);
void strbuf_free(StrBuf *buf);
/* The text so far, "" when empty; borrowed until the next change. */
const char *strbuf_text(const StrBuf *buf);

#endif
