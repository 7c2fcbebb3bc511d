/*
 * strbuf.h - a growable, always NUL-terminated byte buffer on the heap.
 *
 * Used wherever text is built up: rendered diagnostics, DOT graphs, messages.
 * The caller owns the buffer; strbuf_free releases it, strbuf_take hands it over.
 *
 * Out of memory: a grow that fails makes the buffer "failed" for good. A failed buffer
 * holds nothing (its text is "", its length 0) and every append to it is a no-op, so a
 * caller builds its text without checking each append and asks strbuf_failed once, at
 * the end, before using it.
 */
#ifndef HUDDLE_STRBUF_H
#define HUDDLE_STRBUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

typedef struct StrBuf {
    char *data;     /* NUL-terminated; NULL until the first append, and once failed */
    size_t len, cap;
    bool failed;    /* an allocation failed: the text is lost (see the top) */
} StrBuf;

#define STRBUF_INIT {NULL, 0, 0, false}

void strbuf_append(StrBuf *buf, const char *bytes, size_t len);
void strbuf_puts(StrBuf *buf, const char *text);
void strbuf_putc(StrBuf *buf, char c);
void strbuf_printf(StrBuf *buf, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* strbuf_append with the common case inline, for binary encoders writing many small
   pieces into a reused buffer that nearly always has room already (frames, records). */
static inline void strbuf_put(StrBuf *buf, const void *bytes, size_t len)
{
    if (buf->data && buf->cap - buf->len > len) {
        memcpy(buf->data + buf->len, bytes, len);
        buf->len += len;
        buf->data[buf->len] = '\0';
    } else {
        strbuf_append(buf, bytes, len);
    }
}
/* An unsigned LEB128 varint: 7 bits a byte, low first, the top bit set on every byte but
   the last; 1 to 10 bytes, always the shortest. Inline, like strbuf_put: frames and
   records write one per value. */
static inline void strbuf_put_varint(StrBuf *buf, uint64_t n)
{
    char bytes[10];
    /* written in place when the buffer has room for the longest, else staged */
    char *at = buf->data && buf->cap - buf->len > sizeof bytes ? buf->data + buf->len : bytes;
    char *p = at;
    for (; n > 0x7F; n >>= 7)
        *p++ = (char)(n | 0x80);
    *p++ = (char)n;
    if (at == bytes) {
        strbuf_append(buf, bytes, (size_t)(p - bytes));
        return;
    }
    buf->len = (size_t)(p - buf->data);
    buf->data[buf->len] = '\0';
}
/* Room for `extra` more bytes (and the NUL) past the text: where to write them, NULL
   when the buffer failed. The writer then adds what it wrote to buf->len and puts the
   NUL (a writer of many small pieces whose total it knows: one check, not one a piece). */
char *strbuf_room(StrBuf *buf, size_t extra);
/* Whether an allocation failed since the buffer was made (or last freed). */
static inline bool strbuf_failed(const StrBuf *buf) { return buf->failed; }
/* Makes the buffer failed: for a writer whose own allocation failed mid-text. */
void strbuf_fail(StrBuf *buf);
/* How many buffers have failed in this thread: a caller that builds text in many
   buffers compares it before and after instead of asking each one (the engine's step). */
unsigned long strbuf_failures(void);
/* Returns the text ("" when empty) and empties the buffer; the caller frees it. NULL
   when the buffer failed or the empty text could not be allocated. */
char *strbuf_take(StrBuf *buf);
/* Releases the text; the buffer is empty and not failed again. */
void strbuf_free(StrBuf *buf);
/* Empties the buffer and keeps its room, for a writer that reuses one; a failed buffer
   stays failed. */
void strbuf_clear(StrBuf *buf);
/* The text so far, "" when empty or failed; borrowed until the next change. */
const char *strbuf_text(const StrBuf *buf);

#endif
