/*
 * strbuf.c - growable text buffers (see strbuf.h).
 */
#include "strbuf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void strbuf_reserve(StrBuf *buf, size_t extra)
{
    size_t need = buf->len + extra + 1;
    if (need <= buf->cap)
        return;
    size_t cap = buf->cap ? buf->cap * 2 : 64;
    while (cap < need)
        cap *= 2;
    char *data = realloc(buf->data, cap);
    if (!data) {
        fputs("huddle: out of memory\n", stderr);
        abort();
    }
    buf->data = data;
    buf->cap = cap;
}

void strbuf_append(StrBuf *buf, const char *bytes, size_t len)
{
    strbuf_reserve(buf, len);
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
    if (len <= 0)
        return;
    strbuf_reserve(buf, (size_t)len);
    va_start(args, fmt);
    vsnprintf(buf->data + buf->len, (size_t)len + 1, fmt, args);
    va_end(args);
    buf->len += (size_t)len;
}

char *strbuf_take(StrBuf *buf)
{
    if (!buf->data)
        strbuf_reserve(buf, 0), buf->data[0] = '\0';
    char *text = buf->data;
    buf->data = NULL;
    buf->len = buf->cap = 0;
    return text;
}

void strbuf_free(StrBuf *buf)
{
    free(buf->data);
    buf->data = NULL;
    buf->len = buf->cap = 0;
}

const char *strbuf_text(const StrBuf *buf)
{
    return buf->data ? buf->data : "";
}
