/*
 * mail_message.c - builds the RFC 5322 message of one mail (see mail_message.h).
 *
 * Header values are made safe here, one way for all: control characters become spaces
 * (no CR or LF reaches a header), and text that is not plain printable ASCII is written
 * as RFC 2047 encoded words, each under 76 characters, split between UTF-8 sequences,
 * on folded lines. The body goes as 8bit UTF-8, or quoted-printable when one of its
 * lines is longer than a message's line may be.
 */
#include "mail_message.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

/* The longest subject kept, in bytes of UTF-8: a longer one is shortened (at a
   character) and ends in "...": it is a summary, the body says everything. */
#define SUBJECT_MAX 200
/* Bytes of text per encoded word: 45 bytes are 60 base64 characters, and with
   "=?UTF-8?B?" and "?=" the word stays under RFC 2047's 75. */
#define WORD_BYTES 45
/* The longest line of a message, CRLF aside (RFC 5322 2.1.1), and of a quoted-printable
   one (RFC 2045 6.7). */
#define MAIL_LINE_MAX 998
#define QP_LINE_MAX 76

bool mail_address_ok(const char *address)
{
    if (!address)
        return false;
    size_t len = strlen(address);
    const char *at = strrchr(address, '@');
    if (len == 0 || len > 254 || !at || at == address || at[1] == '\0')
        return false;
    for (const unsigned char *p = (const unsigned char *)address; *p; p++)
        if (*p <= ' ' || *p >= 0x7f || strchr("<>\"(),;:[]\\", *p))
            return false;
    return true;
}

/* Whether `text` (n bytes) is printable ASCII (controls count: they become spaces). */
static bool plain_ascii(const char *text, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)text[i] >= 0x7f)
            return false;
    return true;
}

/* `text` with every control character as a space, at most `max` bytes, cut before a
   UTF-8 continuation byte and then marked "...". */
static void header_clean(const char *text, size_t max, StrBuf *out)
{
    size_t n = strlen(text);
    bool cut = n > max;
    if (cut)
        while (max > 0 && ((unsigned char)text[max] & 0xC0) == 0x80)
            max--;
    for (size_t i = 0; i < (cut ? max : n); i++) {
        unsigned char c = (unsigned char)text[i];
        strbuf_putc(out, c < ' ' || c == 0x7f ? ' ' : (char)c);
    }
    if (cut)
        strbuf_puts(out, "...");
}

static void base64(const unsigned char *in, size_t n, StrBuf *out)
{
    static const char A[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    for (size_t i = 0; i < n; i += 3) {
        unsigned v = (unsigned)in[i] << 16 | (i + 1 < n ? (unsigned)in[i + 1] << 8 : 0) | (i + 2 < n ? in[i + 2] : 0);
        strbuf_putc(out, A[v >> 18 & 63]);
        strbuf_putc(out, A[v >> 12 & 63]);
        strbuf_putc(out, i + 1 < n ? A[v >> 6 & 63] : '=');
        strbuf_putc(out, i + 2 < n ? A[v & 63] : '=');
    }
}

/* `text` (already cleaned) as encoded words, folded: "=?UTF-8?B?...?=\r\n =?UTF-8?B?...?=". */
static void encoded_words(const char *text, size_t n, StrBuf *out)
{
    size_t at = 0;
    while (at < n) {
        size_t take = n - at < WORD_BYTES ? n - at : WORD_BYTES;
        while (take > 1 && at + take < n && ((unsigned char)text[at + take] & 0xC0) == 0x80)
            take--;   /* never split a UTF-8 sequence */
        if (at > 0)
            strbuf_puts(out, "\r\n ");
        strbuf_puts(out, "=?UTF-8?B?");
        base64((const unsigned char *)text + at, take, out);
        strbuf_puts(out, "?=");
        at += take;
    }
}

/* A header value made of outside text: as it is when plain ASCII, else encoded words. */
static void header_text(const char *text, size_t max, StrBuf *out)
{
    StrBuf clean = STRBUF_INIT;
    header_clean(text ? text : "", max, &clean);
    const char *t = clean.data ? clean.data : "";
    if (plain_ascii(t, clean.len))
        strbuf_append(out, t, clean.len);
    else
        encoded_words(t, clean.len, out);
    if (strbuf_failed(&clean))
        strbuf_fail(out);
    strbuf_free(&clean);
}

/* A display name: a quoted string when plain ASCII, else encoded words. */
static void display_name(const char *name, StrBuf *out)
{
    StrBuf clean = STRBUF_INIT;
    header_clean(name, SUBJECT_MAX, &clean);
    const char *t = clean.data ? clean.data : "";
    if (plain_ascii(t, clean.len)) {
        strbuf_putc(out, '"');
        for (size_t i = 0; i < clean.len; i++) {
            if (t[i] == '"' || t[i] == '\\')
                strbuf_putc(out, '\\');
            strbuf_putc(out, t[i]);
        }
        strbuf_putc(out, '"');
    } else {
        encoded_words(t, clean.len, out);
    }
    if (strbuf_failed(&clean))
        strbuf_fail(out);
    strbuf_free(&clean);
}

/* The body with every line ending as CRLF (a lone CR or LF included) and NUL-free. */
static void body_crlf(const char *body, StrBuf *out)
{
    for (const char *p = body ? body : ""; *p; p++) {
        if (*p == '\r') {
            strbuf_puts(out, "\r\n");
            if (p[1] == '\n')
                p++;
        } else if (*p == '\n') {
            strbuf_puts(out, "\r\n");
        } else {
            strbuf_putc(out, *p);
        }
    }
    if (out->len < 2 || memcmp(out->data + out->len - 2, "\r\n", 2) != 0)
        strbuf_puts(out, "\r\n");
}

/* Whether a line of the body (CR, LF or CRLF ending it) is longer than the 998 bytes
   RFC 5322 (2.1.1) lets a line of a message have: sent as 8bit, an SMTP server may refuse
   the mail for it ("500 Line too long"), so the body goes quoted-printable instead. */
static bool body_has_long_line(const char *body)
{
    size_t run = 0;
    for (const char *p = body ? body : ""; *p; p++) {
        run = *p == '\r' || *p == '\n' ? 0 : run + 1;
        if (run > MAIL_LINE_MAX)
            return true;
    }
    return false;
}

/* One byte of a quoted-printable line: itself when it is printable ASCII other than '='
   (a space or tab too, unless it ends the line), else =XX; a soft line break ("=" and
   CRLF) first when it would take the line past 76 characters (RFC 2045 6.7). */
static void qp_byte(unsigned char c, bool ends_line, size_t *column, StrBuf *out)
{
    bool plain = (c >= 33 && c <= 126 && c != '=') || ((c == ' ' || c == '\t') && !ends_line);
    size_t width = plain ? 1 : 3;
    if (*column + width > QP_LINE_MAX - 1) {
        strbuf_puts(out, "=\r\n");
        *column = 0;
    }
    if (plain)
        strbuf_putc(out, (char)c);
    else
        strbuf_printf(out, "=%02X", c);
    *column += width;
}

/* The body as quoted-printable: its own line breaks as CRLF, long lines softly broken. */
static void body_quoted_printable(const char *body, StrBuf *out)
{
    size_t column = 0;
    for (const char *p = body ? body : ""; *p; p++) {
        if (*p == '\r' || *p == '\n') {
            if (*p == '\r' && p[1] == '\n')
                p++;
            strbuf_puts(out, "\r\n");
            column = 0;
            continue;
        }
        qp_byte((unsigned char)*p, p[1] == '\0' || p[1] == '\r' || p[1] == '\n', &column, out);
    }
    if (out->len < 2 || memcmp(out->data + out->len - 2, "\r\n", 2) != 0)
        strbuf_puts(out, "\r\n");
}

int mail_message_build(const MailMessage *m, StrBuf *out, char *why, size_t why_len)
{
    if (!mail_address_ok(m->from) || !mail_address_ok(m->to)) {
        snprintf(why, why_len, "the %s address is not one mail can be sent %s", mail_address_ok(m->from) ? "to" : "from",
                 mail_address_ok(m->from) ? "to" : "from");
        return -1;
    }
    char date[64];
    time_t seconds = (time_t)(m->date_ms / 1000);
    struct tm tm;
    gmtime_r(&seconds, &tm);
    strftime(date, sizeof date, "%a, %d %b %Y %H:%M:%S +0000", &tm);
    strbuf_printf(out, "From: <%s>\r\nTo: ", m->from);
    if (m->to_name && *m->to_name) {
        display_name(m->to_name, out);
        strbuf_putc(out, ' ');
    }
    strbuf_printf(out, "<%s>\r\nSubject: ", m->to);
    header_text(m->subject, SUBJECT_MAX, out);
    strbuf_printf(out, "\r\nDate: %s\r\nMessage-ID: <", date);
    header_clean(m->message_id ? m->message_id : "", 512, out);
    strbuf_puts(out, ">\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=UTF-8\r\n");
    if (body_has_long_line(m->body)) {
        strbuf_puts(out, "Content-Transfer-Encoding: quoted-printable\r\n\r\n");
        body_quoted_printable(m->body, out);
    } else {
        strbuf_puts(out, "Content-Transfer-Encoding: 8bit\r\n\r\n");
        body_crlf(m->body, out);
    }
    if (strbuf_failed(out)) {
        snprintf(why, why_len, "out of memory");
        return -1;
    }
    return 0;
}
