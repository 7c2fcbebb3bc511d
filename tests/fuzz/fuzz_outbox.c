/*
 * fuzz_outbox.c - libFuzzer target over what the outbox builds from outside text and
 * reads from outside (issue 13): the mail a message becomes (runtime/connectors/
 * mail_message.c, with the text of the runtime's messages from engine_delivery.c) and
 * a call's reply (delivery_reply_parse).
 *
 * The first byte picks the half; the rest is split at NUL bytes into fields.
 *
 *   mail   from, to, name, subject, body, then the message's about/question/choice/text:
 *          when mail_message_build accepts the addresses, the headers must be exactly
 *          the eight it writes, each on its own line or folded with a leading space, no
 *          bare CR or LF anywhere, no line over 998 bytes, and nothing that came in can
 *          start a header line of its own (no header injection); when it refuses, it
 *          wrote nothing.
 *   reply  the bytes as a reply body: JSON nesting at most 1,000 deep is a reply (blank
 *          is null); anything else a failure with a sentence; never a crash.
 *
 * Everything is freed: a leak is a finding too.
 */
#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "engine_dispatch.h"
#include "mail_message.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FIELDS 9

static const char *const HEADERS[] = {"From: ", "To: ", "Subject: ", "Date: ", "Message-ID: ",
                                      "MIME-Version: ", "Content-Type: ", "Content-Transfer-Encoding: ", NULL};

/* Checks the headers (up to the blank line) of a built message. */
static void check_headers(const char *text, size_t len)
{
    const char *end = strstr(text, "\r\n\r\n");
    if (!end)
        abort();
    unsigned seen = 0;
    for (const char *line = text; line < end + 2;) {
        const char *eol = strstr(line, "\r\n");
        if (!eol || eol - line > 998)
            abort();
        for (const char *p = line; p < eol; p++)
            if (*p == '\r' || *p == '\n')
                abort();   /* a bare CR or LF in a header */
        if (*line == ' ') {
            if (seen == 0)
                abort();   /* a fold before any header */
        } else {
            size_t i = 0;
            while (HEADERS[i] && strncmp(line, HEADERS[i], strlen(HEADERS[i])) != 0)
                i++;
            if (!HEADERS[i] || i != seen)
                abort();   /* an unknown header, or one out of order: injected */
            seen++;
        }
        line = eol + 2;
    }
    if (seen != 8)
        abort();
    for (const char *p = end + 4; p < text + len; p++)
        if ((*p == '\n' && p[-1] != '\r') || (*p == '\r' && p[1] != '\n'))
            abort();   /* the body's line ends are CRLF */
}

static void fuzz_mail(const char *f[FIELDS])
{
    json_t *message = json_pack("{s:s, s:s, s:[{s:s, s:s}], s:s, s:s, s:s}", "about", f[5], "question", f[6], "choices",
                                "id", f[7], "label", f[7], "text", f[8], "task", "t1", "playbook", "p");
    StrBuf subject = STRBUF_INIT, body = STRBUF_INIT, out = STRBUF_INIT;
    if (message)
        delivery_message_text(message, f[2], "i1", &subject, &body);
    MailMessage m = {f[0], f[1], f[2], subject.data ? subject.data : f[3], 1772445600000, "S.i1.1.0@huddle",
                     body.data ? body.data : f[4]};
    char why[200];
    if (mail_message_build(&m, &out, why, sizeof why) == 0) {
        if (!mail_address_ok(f[0]) || !mail_address_ok(f[1]))
            abort();
        check_headers(out.data, out.len);
    } else if (out.len != 0 && !strbuf_failed(&out)) {
        abort();   /* refused, yet wrote */
    }
    strbuf_free(&out);
    strbuf_free(&subject);
    strbuf_free(&body);
    json_decref(message);
}

static void fuzz_reply(const uint8_t *data, size_t size)
{
    json_t *reply;
    char why[200];
    why[0] = '\0';
    int rc = delivery_reply_parse((const char *)data, size, &reply, why, sizeof why);
    if (rc == 0 && !reply)
        abort();
    if (rc != 0 && (reply || !why[0]))
        abort();
    if (reply && value_json_depth(reply, VALUE_JSON_MAX_DEPTH) > VALUE_JSON_MAX_DEPTH)
        abort();
    json_decref(reply);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1 || size > 1 << 16)
        return 0;
    if (data[0] & 1) {
        fuzz_reply(data + 1, size - 1);
        return 0;
    }
    char *copy = malloc(size);
    if (!copy)
        return 0;
    memcpy(copy, data + 1, size - 1);
    copy[size - 1] = '\0';
    const char *f[FIELDS];
    char *at = copy;
    for (int i = 0; i < FIELDS; i++) {
        f[i] = at < copy + size - 1 ? at : "";
        at += strlen(at) + 1;
        if (at > copy + size - 1)
            at = copy + size - 1;
    }
    fuzz_mail(f);
    free(copy);
    return 0;
}
