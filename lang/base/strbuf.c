/*
 * strbuf.c - growable text buffers (see strbuf.h).
 */
#include "strbuf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static _Thread_local unsigned long failures;   /* buffers that failed, in this thread */

unsigned long strbuf_failures(void) { return failures; }

void strbuf_fail(StrBuf *buf)
{
    failures++;
    free(buf->data);
    buf->data = NULL;
    buf->len = buf->cap = 0;
    buf->failed = true;
}

/* Room for `extra` more bytes and the NUL; false (the buffer failed) when there is none. */
static bool strbuf_reserve(StrBuf *buf, size_t extra)
{
    if (buf->failed)
        return false;
    size_t need = buf->len + extra + 1;
    if (need <= buf->cap)
        return true;
    size_t cap = buf->cap ? buf->cap * 2 : 64;
    while (cap < need)
        cap *= 2;
    char *data = need > buf->len ? realloc(buf->data, cap) : NULL;   /* NULL: size overflow */
    if (!data) {
        strbuf_fail(buf);
        return false;
    }
    buf->data = data;
    buf->cap = cap;
    return true;
}

char *strbuf_room(StrBuf *buf, size_t extra)
{
    return strbuf_reserve(buf, extra) ? buf->data + buf->len : NULL;
}

void strbuf_append(StrBuf *buf, const char *bytes, size_t len)
{
    if (!strbuf_reserve(buf, len))
        return;
    if (len)
        memcpy(buf->data + buf->len, bytes, len);
    buf->len += len;
    buf->data[buf->len] = '\0';
}

void strbuf_puts(StrBuf *buf, const char *text)
{
    strbuf_append(buf, text, strlen(text));
}

void strbuf_putc(StrBuf *buf, char c)
{
    strbuf_append(buf, &c, 1);
}

void strbuf_printf(StrBuf *buf, const char *fmt, ...)
{
    va_list args;
    va_start(args, fmt);
    int len = vsnprintf(NULL, 0, fmt, args);
    va_end(args);
    if (len <= 0 || !strbuf_reserve(buf, (size_t)len))
        return;
    va_start(args, fmt);
    vsnprintf(buf->data + buf->len, (size_t)len + 1, fmt, args);
    va_end(args);
    buf->len += (size_t)len;
}

char *strbuf_take(StrBuf *buf)
{
    if (!buf->data && strbuf_reserve(buf, 0))
        buf->data[0] = '\0';
    char *text = buf->data;
    buf->data = NULL;
    buf->len = buf->cap = 0;
    buf->failed = false;
    return text;
}

void strbuf_free(StrBuf *buf)
{
    free(buf->data);
    buf->data = NULL;
    buf->len = buf->cap = 0;
    buf->failed = false;
}

void strbuf_clear(StrBuf *buf)
{
    if (buf->data)
        buf->data[0] = '\0';
    buf->len = 0;
}

const char *strbuf_text(const StrBuf *buf)
{
    return buf->data ? buf->data : "";
}
