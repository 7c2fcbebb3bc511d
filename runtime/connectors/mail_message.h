/*
 * mail_message.h - an RFC 5322 message for the mail the outbox sends through an smtp
 * connector (../shared/design/RUNTIME.md, "Connectors"): From, To, Subject, Date,
 * Message-ID, MIME-Version and a UTF-8 text/plain body.
 *
 * Everything in it may come from outside (a playbook's text, an event's data, a person's
 * name in the directory), so nothing can add a header: control characters in header
 * values (CR and LF above all) become spaces, a subject that is not plain ASCII is
 * encoded (RFC 2047, UTF-8, base64), an address with anything but the characters of
 * an address in it is refused, and the body's line ends are written as CRLF. A body
 * line that starts with a dot is left as it is: libcurl's SMTP upload escapes it. A body
 * with a line over 998 bytes is sent quoted-printable (RFC 2045: lines of at most 76
 * characters), since SMTP servers refuse such a line sent as 8bit (RFC 5322 2.1.1).
 */
#ifndef HUDDLE_MAIL_MESSAGE_H
#define HUDDLE_MAIL_MESSAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "strbuf.h"

typedef struct MailMessage {
    const char *from;           /* an address: huddle@example.com */
    const char *to;             /* an address */
    const char *to_name;        /* the person's name, or NULL */
    const char *subject;        /* any UTF-8 text */
    int64_t date_ms;            /* engine time, ms since 1970 UTC */
    const char *message_id;     /* without the angle brackets: STORE.INSTANCE.STEP.INDEX@huddle */
    const char *body;           /* any UTF-8 text */
} MailMessage;

/* Whether `address` may be put in a header and an SMTP envelope as it is: local@domain,
   printable ASCII without spaces, angle brackets, quotes, commas or semicolons, at most
   254 bytes. */
bool mail_address_ok(const char *address);

/* Appends the whole message to `out`. Returns 0, or -1 with a sentence in `why` when
   the from or to address is not one mail_address_ok accepts (nothing is appended) or
   memory ran out. */
int mail_message_build(const MailMessage *message, StrBuf *out, char *why, size_t why_len);

#endif
