/*
 * connectors_events.c - webhook signatures, the mapping of a webhook body to an event,
 * and the check of an event's data against its type (see connectors_events.h).
 *
 * A signer keeps SHA-256's state after each half of the HMAC key (SHA256_CTX, which
 * OpenSSL 3 marks deprecated, hence OPENSSL_SUPPRESS_DEPRECATED): a check then costs
 * two copies of that state and the hashes, with none of the EVP layer's work per call.
 */
#define OPENSSL_SUPPRESS_DEPRECATED
#include "connectors_events.h"

#include <ctype.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "civil.h"
#include "text.h"

/* ---- JSON pointers ---- */

/* One reference token of a pointer, unescaped into buf; the rest after it in *rest. */
static bool conn_pointer_token(const char *p, char *buf, size_t cap, const char **rest)
{
    size_t n = 0;
    while (*p && *p != '/') {
        char ch = *p++;
        if (ch == '~') {
            if (*p == '0')
                ch = '~';
            else if (*p == '1')
                ch = '/';
            else
                return false;
            p++;
        }
        if (n + 1 >= cap)
            return false;
        buf[n++] = ch;
    }
    buf[n] = '\0';
    *rest = p;
    return true;
}

/* An array index: "0" or [1-9][0-9]*, within the array. */
static const json_t *conn_pointer_index(const json_t *array, const char *token)
{
    if (!*token || (token[0] == '0' && token[1]) || strspn(token, "0123456789") != strlen(token) ||
        strlen(token) > 18)
        return NULL;
    return json_array_get(array, (size_t)strtoull(token, NULL, 10));
}

const json_t *conn_json_pointer(const json_t *doc, const char *pointer)
{
    if (!doc || !pointer)
        return NULL;
    if (*pointer && *pointer != '/')
        return NULL;
    char token[CONN_NAME_MAX + 1];
    const json_t *at = doc;
    const char *p = pointer;
    while (at && *p == '/') {
        if (!conn_pointer_token(p + 1, token, sizeof token, &p))
            return NULL;
        if (json_is_object(at))
            at = json_object_get(at, token);
        else if (json_is_array(at))
            at = conn_pointer_index(at, token);
        else
            return NULL;
    }
    return at;
}

/* ---- signatures ---- */

void conn_signature_make(const char *secret, size_t secret_len, const char *body, size_t len,
                         char out[72])
{
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned mac_len = 0;
    HMAC(EVP_sha256(), secret, (int)secret_len, (const unsigned char *)body, len, mac, &mac_len);
    strcpy(out, "sha256=");
    for (unsigned i = 0; i < mac_len && i < 32; i++)
        snprintf(out + 7 + 2 * i, 3, "%02x", mac[i]);
}

static int conn_hex(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* HMAC-SHA256 (RFC 2104) with its key taken once: SHA-256's state after the key's
   inner block (key XOR 0x36...) and after its outer block (key XOR 0x5c...). Each check
   starts from copies of them, so checks may run at once on any threads. */
struct ConnSigner {
    SHA256_CTX inner, outer;
};

void conn_signer_free(ConnSigner *signer)
{
    if (!signer)
        return;
    OPENSSL_cleanse(signer, sizeof *signer);
    free(signer);
}

ConnSigner *conn_signer_new(const char *secret, size_t secret_len)
{
    ConnSigner *signer = calloc(1, sizeof *signer);
    if (!signer)
        return NULL;
    unsigned char key[SHA256_CBLOCK] = {0}, pad[SHA256_CBLOCK];
    if (secret_len > sizeof key)   /* a key longer than a block is its hash */
        SHA256((const unsigned char *)secret, secret_len, key);
    else
        memcpy(key, secret, secret_len);
    bool ok = true;
    for (int half = 0; half < 2; half++) {
        SHA256_CTX *ctx = half ? &signer->outer : &signer->inner;
        for (size_t i = 0; i < sizeof pad; i++)
            pad[i] = key[i] ^ (half ? 0x5c : 0x36);
        ok = ok && SHA256_Init(ctx) && SHA256_Update(ctx, pad, sizeof pad);
    }
    OPENSSL_cleanse(key, sizeof key);
    OPENSSL_cleanse(pad, sizeof pad);
    if (!ok) {
        conn_signer_free(signer);
        return NULL;
    }
    return signer;
}

bool conn_signature_well_formed(const char *header)
{
    if (!header || strncmp(header, "sha256=", 7) != 0)
        return false;
    size_t hex = strspn(header + 7, "0123456789abcdefABCDEF");
    return hex == 64 && strspn(header + 7 + hex, " \t") == strlen(header + 7 + hex);
}

bool conn_signer_ok(ConnSigner *signer, const char *header, const char *body, size_t len)
{
    if (!conn_signature_well_formed(header))
        return false;
    unsigned char given[32], inner[SHA256_DIGEST_LENGTH], mac[SHA256_DIGEST_LENGTH];
    for (int i = 0; i < 32; i++) {
        int hi = conn_hex(header[7 + 2 * i]), lo = conn_hex(header[8 + 2 * i]);
        if (hi < 0 || lo < 0)
            return false;
        given[i] = (unsigned char)(hi * 16 + lo);
    }
    SHA256_CTX ctx = signer->inner;
    bool made = SHA256_Update(&ctx, body, len) && SHA256_Final(inner, &ctx);
    ctx = signer->outer;
    made = made && SHA256_Update(&ctx, inner, sizeof inner) && SHA256_Final(mac, &ctx);
    OPENSSL_cleanse(&ctx, sizeof ctx);
    OPENSSL_cleanse(inner, sizeof inner);
    return made && CRYPTO_memcmp(given, mac, 32) == 0;
}

bool conn_signature_ok(const char *secret, size_t secret_len, const char *header, const char *body,
                       size_t len)
{
    ConnSigner *signer = conn_signer_new(secret, secret_len);
    bool ok = signer && conn_signer_ok(signer, header, body, len);
    conn_signer_free(signer);
    return ok;
}

/* ---- the webhook's mapping ---- */

static int conn_refuse(char *why, size_t why_len, char *field, size_t field_len, const char *path,
                       const char *fmt, const char *a)
{
    snprintf(field, field_len, "%s", path);
    snprintf(why, why_len, fmt, *path ? path : "\"\" (the whole body)", a);
    return -1;
}

static const char *conn_type_name(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT: return "a map";
    case JSON_ARRAY: return "a list";
    case JSON_STRING: return "a string";
    case JSON_INTEGER: return "an integer";
    case JSON_REAL: return "a number";
    case JSON_TRUE:
    case JSON_FALSE: return "a boolean";
    default: return "null";
    }
}

static const char *conn_id_pointer(const Connector *c)
{
    return c->id_pointer ? c->id_pointer : "/id";
}

bool conn_webhook_id_inexact(const Connector *c, const json_t *body)
{
    return json_is_real(conn_json_pointer(body, conn_id_pointer(c)));
}

int conn_webhook_map(const Connector *c, const json_t *body, const json_t *exact, ConnEvent *out, char *why,
                     size_t why_len, char *field, size_t field_len)
{
    const char *idp = conn_id_pointer(c);
    const char *typep = c->type_pointer ? c->type_pointer : "/type";
    const char *timep = c->time_pointer ? c->time_pointer : "/time";
    memset(out, 0, sizeof *out);
    const json_t *id = conn_json_pointer(body, idp);
    if (!id)
        return conn_refuse(why, why_len, field, field_len, idp, "the body has no event id at %s%s", "");
    const json_t *digits = json_is_real(id) && exact ? conn_json_pointer(exact, idp) : NULL;
    if (json_is_real(id) && !json_is_string(digits))
        return conn_refuse(why, why_len, field, field_len, idp, "the event id at %s is a number with a fraction "
                           "or an exponent%s; send a whole number or a string", "");
    if (!json_is_string(id) && !json_is_number(id))
        return conn_refuse(why, why_len, field, field_len, idp, "the event id at %s is %s, not a string or a "
                           "whole number", conn_type_name(id));
    out->id = json_string_value(digits ? digits : id);
    char buf[96];
    const char *problem = out->id ? text_id_problem(out->id, false, buf) : NULL;
    if (problem)
        return conn_refuse(why, why_len, field, field_len, idp, "the event id at %s %s", problem);
    if (json_is_integer(id))
        snprintf(out->id_text, sizeof out->id_text, "%" JSON_INTEGER_FORMAT, json_integer_value(id));
    else if (digits)   /* past 64 bits: its digits, from `exact`, which the caller may free */
        snprintf(out->id_text, sizeof out->id_text, "%s", out->id);
    if (!json_is_string(id))
        out->id = out->id_text;
    const json_t *type = conn_json_pointer(body, typep);
    if (!type)
        return conn_refuse(why, why_len, field, field_len, typep, "the body has no event type at %s%s", "");
    if (!json_is_string(type))
        return conn_refuse(why, why_len, field, field_len, typep, "the event type at %s is %s, not a string",
                           conn_type_name(type));
    problem = text_id_problem(json_string_value(type), false, buf);
    if (problem)
        return conn_refuse(why, why_len, field, field_len, typep, "the event type at %s %s", problem);
    const json_t *time = conn_json_pointer(body, timep);
    int64_t time_ms;
    char time_why[160];
    if (json_is_string(time) && !civil_parse_time(json_string_value(time), &time_ms, NULL, time_why, sizeof time_why))
        return conn_refuse(why, why_len, field, field_len, timep, "the event time at %s: %s", time_why);
    if (time && !json_is_null(time) && !json_is_string(time))
        return conn_refuse(why, why_len, field, field_len, timep,
                           "the event time at %s is %s, not an RFC 3339 time (2026-06-15T08:10:00Z)",
                           conn_type_name(time));
    out->type = json_string_value(type);
    out->time = json_is_string(time) ? json_string_value(time) : NULL;
    return 0;
}

/* ---- times ---- */

bool conn_is_time(const char *t)
{
    int64_t ms;
    return t && civil_parse_time(t, &ms, NULL, NULL, 0);
}

/* ---- event types ---- */

/* Whether value fits the type word `type` (no '?'). */
static bool conn_fits(const char *type, const json_t *v)
{
    if (!strcmp(type, "any"))
        return true;
    if (!strcmp(type, "string"))
        return json_is_string(v);
    if (!strcmp(type, "integer"))
        return json_is_integer(v);
    if (!strcmp(type, "number"))
        return json_is_number(v);
    if (!strcmp(type, "boolean"))
        return json_is_boolean(v);
    if (!strcmp(type, "time"))
        return json_is_string(v) && conn_is_time(json_string_value(v));
    if (!strcmp(type, "list"))
        return json_is_array(v);
    if (!strcmp(type, "map"))
        return json_is_object(v);
    return false;
}

static int conn_check_fields(const json_t *fields, const json_t *data, const char *path, char *why,
                             size_t why_len, char *field, size_t field_len)
{
    const char *name;
    json_t *spec;
    json_object_foreach((json_t *)fields, name, spec) {
        char here[512];
        snprintf(here, sizeof here, "%s.%s", path, name);
        const json_t *v = json_object_get(data, name);
        if (json_is_object(spec)) {
            if (!json_is_object(v)) {
                snprintf(field, field_len, "%s", here);
                snprintf(why, why_len, "%s is %s, expected a map of its fields", here,
                         v ? conn_type_name(v) : "missing");
                return -1;
            }
            if (conn_check_fields(spec, v, here, why, why_len, field, field_len) != 0)
                return -1;
            continue;
        }
        const char *type = json_string_value(spec);
        if (!type)
            continue;
        char base[16];
        size_t len = strlen(type);
        bool optional = len && type[len - 1] == '?';
        snprintf(base, sizeof base, "%.*s", (int)(len - optional), type);
        if ((!v && optional) || (json_is_null(v) && (optional || !strcmp(base, "any"))))
            continue;
        if (!v || !conn_fits(base, v)) {
            snprintf(field, field_len, "%s", here);
            snprintf(why, why_len, "%s is %s, expected %s %s", here, v ? conn_type_name(v) : "missing",
                     strchr("aeiou", base[0]) ? "an" : "a", !strcmp(base, "time") ? "time (RFC 3339 text)" : base);
            return -1;
        }
    }
    return 0;
}

int conn_event_check(const Connector *c, const char *type, const json_t *data, char *why, size_t why_len,
                     char *field, size_t field_len)
{
    const json_t *fields = c && c->events && type ? json_object_get(c->events, type) : NULL;
    if (!json_is_object(fields))
        return 0;
    if (!json_is_object(data)) {
        snprintf(field, field_len, "data");
        snprintf(why, why_len, "data is %s, expected a map of the fields of %s", conn_type_name(data), type);
        return -1;
    }
    return conn_check_fields(fields, data, "data", why, why_len, field, field_len);
}
