/*
 * test_outbox.c - the outbox's pure parts (issue 13): the backoff between attempts and
 * its jitter (engine_outbox.c), idempotency keys, the mail a message becomes
 * (runtime/connectors/mail_message.c: headers, encoding, no header injection), the
 * text of the runtime's messages, how a finished request is judged (the 4xx rules,
 * non-JSON replies) and the HTTP client's transport failure (engine_delivery.c,
 * runtime/connectors/http_client.c).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "engine.h"
#include "engine_dispatch.h"
#include "http_client.h"
#include "mail_message.h"

#define KEY "0123456789abcdef0123456789abcdef:i3:5:0"

/* ---- backoff ---- */

static void backoff_doubles_from_1s_with_jitter_from_half_to_one(void **state)
{
    (void)state;
    for (unsigned attempt = 1; attempt <= 12; attempt++) {
        int64_t full = INT64_C(1000) << (attempt - 1);
        if (full > OUTBOX_BACKOFF_MAX_MS)
            full = OUTBOX_BACKOFF_MAX_MS;
        int64_t d = outbox_backoff_ms(KEY, attempt);
        assert_true(d >= full / 2);
        assert_true(d < full);
    }
}

static void backoff_is_capped_at_one_hour(void **state)
{
    (void)state;
    for (unsigned attempt = 13; attempt < 200; attempt += 17) {
        int64_t d = outbox_backoff_ms(KEY, attempt);
        assert_true(d >= OUTBOX_BACKOFF_MAX_MS / 2 && d < OUTBOX_BACKOFF_MAX_MS);
    }
    assert_true(outbox_backoff_ms(KEY, UINT32_MAX) <= OUTBOX_BACKOFF_MAX_MS);
}

static void backoff_jitter_is_the_same_for_a_key_and_differs_between_keys(void **state)
{
    (void)state;
    assert_int_equal(outbox_backoff_ms(KEY, 4), outbox_backoff_ms(KEY, 4));
    unsigned differ = 0;
    char key[64];
    for (int i = 0; i < 20; i++) {
        snprintf(key, sizeof key, "store:i%d:1:0", i);
        differ += outbox_backoff_ms(key, 4) != outbox_backoff_ms("store:i0:1:0", 4);
    }
    assert_true(differ >= 15);   /* spread, not one value for all */
}

/* ---- keys ---- */

static void keys_are_base_plus_index_plus_position(void **state)
{
    (void)state;
    OutboxEntry entry = {.index = 2};
    assert_int_equal(outbox_entry_set_text(&entry.base, "S:i3:5:"), 0);
    char key[200];
    outbox_entry_key(&entry, 0, key, sizeof key);
    assert_string_equal(key, "S:i3:5:2");
    outbox_entry_key(&entry, 3, key, sizeof key);
    assert_string_equal(key, "S:i3:5:5");
    outbox_entry_free(&entry);
}

/* ---- mail ---- */

static char *build(const MailMessage *m)
{
    StrBuf out = STRBUF_INIT;
    char why[200];
    assert_int_equal(mail_message_build(m, &out, why, sizeof why), 0);
    return strbuf_take(&out);
}

static void mail_has_every_header_and_a_crlf_body(void **state)
{
    (void)state;
    MailMessage m = {"huddle@example.com", "anna@example.com", "Anna Virtanen", "Is N9 broken?",
                     INT64_C(1772445600000), "S.i1.2.1@huddle", "line one\nline two\r\nthree"};
    char *text = build(&m);
    assert_non_null(strstr(text, "From: <huddle@example.com>\r\n"));
    assert_non_null(strstr(text, "To: \"Anna Virtanen\" <anna@example.com>\r\n"));
    assert_non_null(strstr(text, "Subject: Is N9 broken?\r\n"));
    assert_non_null(strstr(text, "Date: Mon, 02 Mar 2026 10:00:00 +0000\r\n"));
    assert_non_null(strstr(text, "Message-ID: <S.i1.2.1@huddle>\r\n"));
    assert_non_null(strstr(text, "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=UTF-8\r\n"));
    assert_non_null(strstr(text, "\r\n\r\nline one\r\nline two\r\nthree\r\n"));
    free(text);
}

static void mail_headers_take_no_line_breaks_from_outside_text(void **state)
{
    (void)state;
    MailMessage m = {"huddle@example.com", "anna@example.com", "Anna\r\nBcc: evil@example.com",
                     "Hi\r\nBcc: evil@example.com\nX-Evil: 1", 0, "k@huddle", "body"};
    char *text = build(&m);
    char *body = strstr(text, "\r\n\r\n");
    assert_non_null(body);
    *body = '\0';   /* the headers only */
    assert_null(strstr(text, "\r\nBcc:"));
    assert_null(strstr(text, "\nX-Evil"));
    assert_non_null(strstr(text, "Subject: Hi  Bcc: evil@example.com X-Evil: 1\r\n"));
    free(text);
}

static void mail_encodes_a_subject_that_is_not_ascii(void **state)
{
    (void)state;
    MailMessage m = {"huddle@example.com", "jukka@example.com", "Jukka Mäkinen", "Lumia 920: kamera ei toimi ✓", 0,
                     "k@huddle", "Hyvä"};
    char *text = build(&m);
    assert_non_null(strstr(text, "Subject: =?UTF-8?B?"));
    assert_non_null(strstr(text, "To: =?UTF-8?B?SnVra2EgTcOka2luZW4=?= <jukka@example.com>"));
    assert_non_null(strstr(text, "\r\n\r\nHyvä\r\n"));
    free(text);
}

static void mail_folds_long_encoded_subjects_between_characters(void **state)
{
    (void)state;
    char subject[400] = "";
    for (int i = 0; i < 60; i++)
        strcat(subject, "ä");   /* 120 bytes: three encoded words */
    MailMessage m = {"a@example.com", "b@example.com", NULL, subject, 0, "k@huddle", ""};
    char *text = build(&m);
    const char *s = strstr(text, "Subject: ");
    const char *end = strstr(s, "\r\nDate:");
    unsigned words = 0;
    for (const char *p = s; p < end; p++)
        words += strncmp(p, "=?UTF-8?B?", 10) == 0;
    assert_int_equal(words, 3);
    /* each word is whole characters: 44 bytes of ä (22 of them) in base64 is 60 chars */
    assert_non_null(strstr(s, "\r\n =?UTF-8?B?"));
    free(text);
}

static void mail_sends_a_body_with_a_long_line_quoted_printable(void **state)
{
    (void)state;
    char body[1200] = "";
    strcat(body, "a=b ");
    for (int i = 0; i < 1000; i++)
        strcat(body, "x");
    strcat(body, "\xC3\xA4 \nshort ");   /* ä, a space before the line break and at the end */
    MailMessage m = {"a@example.com", "b@example.com", NULL, "s", 0, "k@huddle", body};
    char *text = build(&m);
    assert_non_null(strstr(text, "Content-Transfer-Encoding: quoted-printable\r\n\r\na=3Db xxx"));
    assert_non_null(strstr(text, "x=C3=A4=20\r\nshort=20\r\n"));
    for (const char *line = strstr(text, "\r\n\r\n") + 4, *eol; (eol = strstr(line, "\r\n")); line = eol + 2)
        assert_true(eol - line <= 76);
    free(text);
    body[998] = '\0';   /* a line of 998 bytes is one a message may have: 8bit, as it is */
    m.body = body;
    text = build(&m);
    assert_non_null(strstr(text, "Content-Transfer-Encoding: 8bit\r\n\r\na=b xxx"));
    free(text);
}

static void mail_refuses_addresses_that_could_inject(void **state)
{
    (void)state;
    assert_true(mail_address_ok("anna@example.com"));
    assert_false(mail_address_ok("anna@example.com>\r\nRCPT TO:<x@y"));
    assert_false(mail_address_ok("anna example@x"));
    assert_false(mail_address_ok("noatsign"));
    assert_false(mail_address_ok("@example.com"));
    assert_false(mail_address_ok(""));
    assert_false(mail_address_ok(NULL));
    MailMessage m = {"huddle@example.com", "bad\n@x", NULL, "s", 0, "k@huddle", ""};
    StrBuf out = STRBUF_INIT;
    char why[200];
    assert_int_equal(mail_message_build(&m, &out, why, sizeof why), -1);
    assert_int_equal(out.len, 0);
    assert_non_null(strstr(why, "the to address"));
    strbuf_free(&out);
}

/* ---- messages ---- */

static void an_ask_message_says_the_question_the_choices_and_how_to_answer(void **state)
{
    (void)state;
    json_t *message = json_pack("{s:s, s:s, s:s, s:[{s:s, s:s}, {s:s}], s:s, s:s}", "about", "asked", "task", "t4",
                                "question", "Recall?", "choices", "id", "recall", "label", "Recall it", "id", "returns",
                                "deadline", "2026-03-02T12:00:00Z", "playbook", "pc");
    StrBuf subject = STRBUF_INIT, body = STRBUF_INIT;
    delivery_message_text(message, "lars", "i2", &subject, &body);
    assert_string_equal(strbuf_text(&subject), "Recall?");
    assert_non_null(strstr(strbuf_text(&body), "  recall: Recall it\n  returns\n"));
    assert_non_null(strstr(strbuf_text(&body), "huddle answer t4 CHOICE --by lars"));
    assert_non_null(strstr(strbuf_text(&body), "Answer by 2026-03-02T12:00:00Z."));
    strbuf_free(&subject);
    strbuf_free(&body);
    json_decref(message);
}

/* ---- judging results ---- */

static DeliveryOutcome judge_http(long status, const char *reply, bool call, Delivery *d)
{
    memset(d, 0, sizeof *d);
    d->request.kind = CONN_REQUEST_HTTP;
    d->request.status = status;
    if (reply)
        strbuf_puts(&d->request.reply, reply);
    return delivery_judge(d, call);
}

static void the_4xx_rules(void **state)
{
    (void)state;
    Delivery d;
    static const long RETRY[] = {408, 429, 500, 502, 503, 504, 301, 0};
    static const long FAIL[] = {400, 401, 403, 404, 409, 410, 422, 0};
    for (int i = 0; RETRY[i]; i++) {
        assert_int_equal(judge_http(RETRY[i], NULL, false, &d), DELIVERY_RETRY);
        delivery_clear(&d);
    }
    for (int i = 0; FAIL[i]; i++) {
        assert_int_equal(judge_http(FAIL[i], NULL, true, &d), DELIVERY_FAILED);
        delivery_clear(&d);
    }
    assert_int_equal(judge_http(204, NULL, false, &d), DELIVERY_DONE);
    delivery_clear(&d);
}

static void a_call_reply_must_be_json_and_empty_is_null(void **state)
{
    (void)state;
    Delivery d;
    assert_int_equal(judge_http(200, "{\"found\": true}", true, &d), DELIVERY_DONE);
    assert_true(json_is_true(json_object_get(d.reply, "found")));
    delivery_clear(&d);
    assert_int_equal(judge_http(200, "  \r\n", true, &d), DELIVERY_DONE);
    assert_true(json_is_null(d.reply));
    delivery_clear(&d);
    assert_int_equal(judge_http(200, "<html>oops</html>", true, &d), DELIVERY_FAILED);
    assert_non_null(strstr(d.error, "not JSON"));
    delivery_clear(&d);
    assert_int_equal(judge_http(200, "<html>oops</html>", false, &d), DELIVERY_DONE);   /* a send's reply is not read */
    delivery_clear(&d);
    char deep[2100];
    memset(deep, '[', 1001);
    memset(deep + 1001, ']', 1001);
    deep[2002] = '\0';
    assert_int_equal(judge_http(200, deep, true, &d), DELIVERY_FAILED);
    delivery_clear(&d);
}

static void a_refused_connection_is_a_transport_failure_to_retry(void **state)
{
    (void)state;
    ConnClient *client = conn_client_new(2);
    assert_non_null(client);
    Delivery d;
    memset(&d, 0, sizeof d);
    d.request.kind = CONN_REQUEST_HTTP;
    d.request.group = "kb";
    d.request.url = "http://127.0.0.1:1/nothing";
    d.request.method = "POST";
    d.request.body = "{}";
    d.request.body_len = 2;
    d.request.timeout_ms = 2000;
    assert_int_equal(conn_client_add(client, &d.request), 0);
    ConnRequest *done = NULL;
    for (int i = 0; i < 50 && !done; i++)
        conn_client_run(client, 100, &done);
    assert_ptr_equal(done, &d.request);
    assert_true(d.request.transport_failed);
    assert_int_equal(delivery_judge(&d, true), DELIVERY_RETRY);
    assert_int_equal(conn_client_pending(client), 0);
    delivery_clear(&d);
    conn_client_free(client);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(backoff_doubles_from_1s_with_jitter_from_half_to_one),
        cmocka_unit_test(backoff_is_capped_at_one_hour),
        cmocka_unit_test(backoff_jitter_is_the_same_for_a_key_and_differs_between_keys),
        cmocka_unit_test(keys_are_base_plus_index_plus_position),
        cmocka_unit_test(mail_has_every_header_and_a_crlf_body),
        cmocka_unit_test(mail_headers_take_no_line_breaks_from_outside_text),
        cmocka_unit_test(mail_encodes_a_subject_that_is_not_ascii),
        cmocka_unit_test(mail_folds_long_encoded_subjects_between_characters),
        cmocka_unit_test(mail_sends_a_body_with_a_long_line_quoted_printable),
        cmocka_unit_test(mail_refuses_addresses_that_could_inject),
        cmocka_unit_test(an_ask_message_says_the_question_the_choices_and_how_to_answer),
        cmocka_unit_test(the_4xx_rules),
        cmocka_unit_test(a_call_reply_must_be_json_and_empty_is_null),
        cmocka_unit_test(a_refused_connection_is_a_transport_failure_to_retry),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
