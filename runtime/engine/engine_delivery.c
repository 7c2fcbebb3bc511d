/*
 * engine_delivery.c - one delivery of an outbox entry, made into a request and judged
 * by its result (RUNTIME.md, "Connectors"): the URL, body and headers of an http
 * connector's request, the mail of an smtp connector, the text of the runtime's own
 * messages, and the rules that say whether an attempt delivered, may be tried again, or
 * failed for good. engine_dispatch.c runs the deliveries; nothing here touches the store.
 */
#include "engine_dispatch.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mail_message.h"

/* ---- what a message says ---- */

static const char *text_of(const json_t *object, const char *field)
{
    const char *text = json_string_value(json_object_get(object, field));
    return text ? text : "";
}

/* An ask's similar past decisions (engine_ask_context.c), one a line:
     t1 (i1): yes by sam at 2026-06-15T05:12:00.000Z - "looks fine"; ended: refunded; 1 shared tag */
static void similar_text(const json_t *similar, StrBuf *body)
{
    if (!json_array_size(similar))
        return;
    strbuf_puts(body, "Similar past decisions (same playbook and state, most shared tags first):\n");
    size_t i;
    json_t *d;
    json_array_foreach(similar, i, d) {
        json_t *ended = engine_audit_outcome_words(d);   /* "failed: REASON" for a failed one */
        const char *outcome = json_string_value(ended);
        const char *comment = json_string_value(json_object_get(d, "comment"));
        json_int_t shared = json_integer_value(json_object_get(d, "shared_tags"));
        strbuf_printf(body, "  %s (%s): %s by %s at %s", text_of(d, "task"), text_of(d, "instance"), text_of(d, "choice"),
                      json_is_string(json_object_get(d, "by")) ? text_of(d, "by") : "nobody", text_of(d, "decided_at"));
        if (comment)
            strbuf_printf(body, " - \"%s\"", comment);
        strbuf_printf(body, "; %s%s", outcome ? "ended: " : "", outcome ? outcome : "still running");
        json_decref(ended);
        if (shared > 0)
            strbuf_printf(body, "; %lld shared tag%s", (long long)shared, shared == 1 ? "" : "s");
        strbuf_puts(body, "\n");
    }
    strbuf_puts(body, "\n");
}

void delivery_message_text(const json_t *message, const char *person, const char *instance, StrBuf *subject,
                           StrBuf *body)
{
    const char *about = text_of(message, "about"), *task = text_of(message, "task");
    const char *question = text_of(message, "question"), *text = text_of(message, "text");
    const char *playbook = text_of(message, "playbook");
    if (strcmp(about, "mail") == 0) {   /* send MAIL.send({to, subject, text}) */
        strbuf_printf(subject, "%s", text_of(message, "subject"));
        strbuf_printf(body, "%s\n", text);
        return;
    }
    if (strcmp(about, "notify") == 0)
        strbuf_printf(subject, "%s", text);
    else if (strcmp(about, "outcome") == 0)
        strbuf_printf(subject, "Decided (%s): %s", text_of(message, "outcome"), question);
    else if (strcmp(about, "cancelled") == 0)
        strbuf_printf(subject, "Cancelled: %s", question);
    else if (strcmp(about, "reminded") == 0)
        strbuf_printf(subject, "Reminder: %s", question);
    else if (strcmp(about, "escalated") == 0)
        strbuf_printf(subject, "Escalated to you: %s", question);
    else
        strbuf_printf(subject, "%s", question);
    if (*text)
        strbuf_printf(body, "%s\n\n", text);
    if (*question && strcmp(about, "notify") != 0)
        strbuf_printf(body, "%s\n\n", question);
    similar_text(json_object_get(message, "similar"), body);
    bool open = strcmp(about, "outcome") != 0 && strcmp(about, "cancelled") != 0 && strcmp(about, "notify") != 0;
    if (strcmp(about, "outcome") == 0) {
        strbuf_printf(body, "Decided: %s", text_of(message, "outcome"));
        if (json_is_string(json_object_get(message, "decided_by")))
            strbuf_printf(body, ", by %s", text_of(message, "decided_by"));
        if (json_is_string(json_object_get(message, "comment")))
            strbuf_printf(body, " (\"%s\")", text_of(message, "comment"));
        strbuf_puts(body, "\n\n");
    }
    json_t *choices = json_object_get(message, "choices");
    if (open && json_array_size(choices)) {
        strbuf_puts(body, "Choices:\n");
        size_t i;
        json_t *choice;
        bool comment = false;   /* some choice is `with comment` */
        json_array_foreach(choices, i, choice) {
            const char *id = json_is_string(choice) ? json_string_value(choice) : text_of(choice, "id");
            const char *label = text_of(choice, "label");
            bool with_comment = json_is_true(json_object_get(choice, "with_comment"));
            strbuf_printf(body, "  %s%s%s%s\n", id, *label ? ": " : "", label, with_comment ? " (with a comment)" : "");
            comment = comment || with_comment;
        }
        if (json_is_string(json_object_get(message, "deadline_local")))
            strbuf_printf(body, "\nAnswer by %s.\n", text_of(message, "deadline_local"));
        else if (json_is_string(json_object_get(message, "deadline")))
            strbuf_printf(body, "\nAnswer by %s.\n", text_of(message, "deadline"));
        strbuf_printf(body, "\nTo answer, run\n  huddle answer %s CHOICE --by %s%s\n"
                            "or POST /v1/tasks/%s/answer with {\"choice\": \"CHOICE\"%s}.\n\n",
                      task, person, comment ? " --comment TEXT" : "", task, comment ? ", \"comment\": \"TEXT\"" : "");
    }
    strbuf_printf(body, "-- \nHuddle: playbook %s, instance %s%s%s\n", playbook, instance, *task ? ", task " : "", task);
}

/* ---- requests ---- */

void delivery_clear(Delivery *d)
{
    conn_request_clear(&d->request);
    strbuf_free(&d->body);
    free(d->url);
    free(d->mail_from);
    free(d->mail_to);
    json_decref(d->reply);
    memset(d, 0, sizeof *d);
}

/* The value of the environment variable `name` a connector names for a secret; NULL
   with a sentence (naming the variable, never a value) when it is not set. */
static const char *secret_from_env(const char *name, const char *connector, const char *field, char *why,
                                   size_t why_len)
{
    if (!name)
        return NULL;
    const char *value = getenv(name);
    bool clean = value && *value;
    for (const char *p = value; clean && *p; p++)
        clean = (unsigned char)*p >= ' ' && *p != 0x7f;   /* no header can be added through it */
    if (!value || !*value)
        snprintf(why, why_len, "the environment variable %s (%s of connector %s) is not set", name, field, connector);
    else if (!clean)
        snprintf(why, why_len, "the environment variable %s (%s of connector %s) holds a control character", name,
                 field, connector);
    return clean ? value : NULL;
}

bool delivery_secrets_wait(const Connector *c, char *why, size_t why_len)
{
    if (!c)
        return false;
    if (c->kind == CONN_HTTP)
        return c->token_env && !secret_from_env(c->token_env, c->name, "token_env", why, why_len);
    if (c->kind != CONN_SMTP)
        return false;
    return (c->username_env && !secret_from_env(c->username_env, c->name, "username_env", why, why_len)) ||
           (c->password_env && !secret_from_env(c->password_env, c->name, "password_env", why, why_len));
}

/* The shortest start of a secret that redact() takes for the secret cut short. */
#define REDACT_PREFIX_MIN 4

/* Appends `value` as a request's JSON body: members in their order, and doubles as the
   playbook's json() writes them (value_write_double: 19.99, not jansson's
   19.989999999999998), so a receiver reads the amount the playbook had. */
static void delivery_json(const json_t *value, StrBuf *out)
{
    const char *key;
    const json_t *member;
    size_t i, n = 0;
    switch (json_typeof(value)) {
    case JSON_OBJECT:
        strbuf_putc(out, '{');
        json_object_foreach((json_t *)value, key, member) {
            if (n++)
                strbuf_putc(out, ',');
            value_write_json_string(key, strlen(key), out);
            strbuf_putc(out, ':');
            delivery_json(member, out);
        }
        strbuf_putc(out, '}');
        break;
    case JSON_ARRAY:
        strbuf_putc(out, '[');
        json_array_foreach(value, i, member) {
            if (i)
                strbuf_putc(out, ',');
            delivery_json(member, out);
        }
        strbuf_putc(out, ']');
        break;
    case JSON_STRING:
        value_write_json_string(json_string_value(value), json_string_length(value), out);
        break;
    case JSON_INTEGER:
        strbuf_printf(out, "%" JSON_INTEGER_FORMAT, json_integer_value(value));
        break;
    case JSON_REAL:
        value_write_double(json_real_value(value), out);
        break;
    case JSON_TRUE:
        strbuf_puts(out, "true");
        break;
    case JSON_FALSE:
        strbuf_puts(out, "false");
        break;
    default:
        strbuf_puts(out, "null");
    }
}

/* Replaces each occurrence of `secret` in `text` with "[secret]" (in place, within
   `len` bytes), and each start of it of REDACT_PREFIX_MIN bytes or more wherever it
   stands (a quote cut short, as a parser's "near 'abcd...' (line 1, ...)" is), so a peer
   that echoes a secret cannot bring it, or part of it, into an error, the history or
   output. */
static void redact(char *text, size_t len, const char *secret)
{
    static const char mark[] = "[secret]";
    size_t n = secret ? strlen(secret) : 0;
    for (size_t at = 0; n && text[at];) {
        size_t same = 0;
        while (same < n && text[at + same] && text[at + same] == secret[same])
            same++;
        if (same < n && same < REDACT_PREFIX_MIN) {
            at++;
            continue;
        }
        char rest[512];
        snprintf(rest, sizeof rest, "%s", text + at + same);
        snprintf(text + at, len - at, "%s%s", mark, rest);
        at += sizeof mark - 1;
        if (at >= len - 1)
            break;
    }
}

void delivery_redact(Delivery *d)
{
    const ConnRequest *r = &d->request;
    const char *secrets[] = {r->bearer, r->username, r->password};
    for (size_t i = 0; i < sizeof secrets / sizeof *secrets; i++)
        redact(d->error, sizeof d->error, secrets[i]);
}

int delivery_http(Delivery *d, const Connector *c, const char *operation, const json_t *body, char *why,
                  size_t why_len)
{
    const ConnOperation *op = conn_operation(c, operation);
    if (!op) {
        snprintf(why, why_len, "connector %s has no operation %s", c->name, operation);
        return -1;
    }
    if (c->token_env && !secret_from_env(c->token_env, c->name, "token_env", why, why_len))
        return 1;   /* may be set before the next attempt */
    size_t base_len = strlen(c->base_url);
    while (base_len && c->base_url[base_len - 1] == '/')
        base_len--;
    d->url = malloc(base_len + strlen(op->path) + 2);
    delivery_json(body, &d->body);
    if (!d->url || strbuf_failed(&d->body)) {
        snprintf(why, why_len, "out of memory");
        return 1;
    }
    sprintf(d->url, "%.*s%s%s", (int)base_len, c->base_url, op->path[0] == '/' ? "" : "/", op->path);
    ConnRequest *r = &d->request;
    r->kind = CONN_REQUEST_HTTP;
    r->group = c->name;
    r->url = d->url;
    r->method = op->method;
    r->idempotency_key = d->key;
    r->bearer = c->token_env ? secret_from_env(c->token_env, c->name, "token_env", why, why_len) : NULL;
    r->body = d->body.data ? d->body.data : "null";
    r->body_len = d->body.data ? d->body.len : 4;
    r->timeout_ms = (long)c->timeout_ms;
    return 0;
}

int delivery_mail(Delivery *d, const Connector *c, const char *to, const char *to_name, const json_t *message,
                  const char *person, const char *instance, int64_t now, char *why, size_t why_len)
{
    if (!to || !mail_address_ok(to)) {
        snprintf(why, why_len, "%s has no e-mail address mail can be sent to", person);
        return -1;
    }
    const char *username = NULL, *password = NULL;
    if (c->username_env && !(username = secret_from_env(c->username_env, c->name, "username_env", why, why_len)))
        return 1;
    if (c->password_env && !(password = secret_from_env(c->password_env, c->name, "password_env", why, why_len)))
        return 1;
    StrBuf subject = STRBUF_INIT, text = STRBUF_INIT;
    delivery_message_text(message, person, instance, &subject, &text);
    char message_id[240];
    snprintf(message_id, sizeof message_id, "%s@huddle", d->key);
    for (char *p = message_id; *p && *p != '@'; p++)
        if (*p == ':')
            *p = '.';
    MailMessage m = {c->from, to, to_name, subject.data ? subject.data : "", now, message_id, text.data ? text.data : ""};
    int rc = mail_message_build(&m, &d->body, why, why_len);
    strbuf_free(&subject);
    strbuf_free(&text);
    d->mail_from = strdup(c->from);
    d->mail_to = strdup(to);
    d->url = strdup(c->url);
    if (rc != 0 || !d->mail_from || !d->mail_to || !d->url) {
        if (rc == 0)
            snprintf(why, why_len, "out of memory");
        return rc != 0 && strcmp(why, "out of memory") != 0 ? -1 : 1;
    }
    ConnRequest *r = &d->request;
    r->kind = CONN_REQUEST_SMTP;
    r->group = c->name;
    r->url = d->url;
    r->mail_from = d->mail_from;
    r->mail_to = d->mail_to;
    r->username = username;
    r->password = password;
    r->body = d->body.data;
    r->body_len = d->body.len;
    r->timeout_ms = 30000;
    return 0;
}

/* ---- results ---- */

int delivery_reply_parse(const char *text, size_t len, json_t **reply, char *why, size_t why_len)
{
    *reply = NULL;
    size_t start = 0;
    while (start < len && (text[start] == ' ' || text[start] == '\n' || text[start] == '\r' || text[start] == '\t'))
        start++;
    if (start == len) {
        *reply = json_null();
        return 0;
    }
    char error[200];
    *reply = value_json_load(text, len, JSON_DECODE_ANY, 0, error, sizeof error);
    if (!*reply) {
        snprintf(why, why_len, "the reply is not JSON (%s)", error);
        return -1;
    }
    return 0;
}

static DeliveryOutcome judge(Delivery *d, bool is_call)
{
    ConnRequest *r = &d->request;
    if (r->kind == CONN_REQUEST_SMTP) {
        if (!r->transport_failed)
            return DELIVERY_DONE;
        /* the server's code only when it refused (4xx, 5xx): after a hang-up the last code
           libcurl has is the last one that went well (250, 354), which would mislead */
        bool refused = r->status >= 400;
        snprintf(d->error, sizeof d->error, "mail: %s%s%.0ld", r->error, refused ? ", SMTP " : "",
                 refused ? r->status : 0);
        return r->status >= 500 && r->status < 600 ? DELIVERY_FAILED : DELIVERY_RETRY;
    }
    if (r->reply_too_long) {
        snprintf(d->error, sizeof d->error, "the reply is over 1 MiB");
        return DELIVERY_FAILED;
    }
    if (r->transport_failed) {
        snprintf(d->error, sizeof d->error, "%s", r->error);
        return DELIVERY_RETRY;
    }
    if (r->status >= 200 && r->status < 300) {
        if (!is_call)
            return DELIVERY_DONE;
        const char *text = r->reply.data ? r->reply.data : "";
        return delivery_reply_parse(text, r->reply.len, &d->reply, d->error, sizeof d->error) == 0 ? DELIVERY_DONE
                                                                                                    : DELIVERY_FAILED;
    }
    snprintf(d->error, sizeof d->error, "HTTP %ld", r->status);
    if (r->status >= 400 && r->status < 500 && r->status != 408 && r->status != 429)
        return DELIVERY_FAILED;
    return DELIVERY_RETRY;
}

DeliveryOutcome delivery_judge(Delivery *d, bool is_call)
{
    DeliveryOutcome outcome = judge(d, is_call);
    delivery_redact(d);
    return outcome;
}
