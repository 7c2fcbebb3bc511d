/*
 * cli_serve_tokens.c - serve's tokens file (../shared/design/RUNTIME.md, "Interfaces"):
 *
 *   {"anna-laptop": {"sha256": "<hex SHA-256 of the token>", "person": "anna"},
 *    "crm-bot":     {"sha256": "<hex>", "on_behalf": true, "may": ["answer"]}}
 *
 * Only hashes are kept; a bearer token is hashed (with SHA-256's own functions, which
 * OpenSSL 3 marks deprecated, hence OPENSSL_SUPPRESS_DEPRECATED: its EVP layer costs as
 * much again per request) and compared with every entry in constant time. A person's
 * token may read and answer unless `may` says otherwise; a service's may only what
 * `may` lists. Problems name entries and fields, never a hash.
 */
#define OPENSSL_SUPPRESS_DEPRECATED
#include "cli_serve.h"
#include "json_file.h"

#include <openssl/crypto.h>
#include <openssl/sha.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const MAY_NAMES[] = {"read", "answer", "events", "operate", "audit", NULL};
static const char *const TOKEN_FIELDS[] = {"sha256", "person", "on_behalf", "may", NULL};

static void token_problem(json_t *problems, const char *name, const char *field, const char *what)
{
    json_array_append_new(problems, json_sprintf("tokens.%s%s%s: %s", name, field ? "." : "", field ? field : "",
                                                 what));
}

static bool token_hex(const char *text, unsigned char out[32])
{
    if (!text || strlen(text) != 64)
        return false;
    for (int i = 0; i < 32; i++) {
        unsigned v;
        if (sscanf(text + 2 * i, "%2x", &v) != 1 || !strchr("0123456789abcdefABCDEF", text[2 * i]) ||
            !strchr("0123456789abcdefABCDEF", text[2 * i + 1]))
            return false;
        out[i] = (unsigned char)v;
    }
    return true;
}

static unsigned token_may(const json_t *may, const char *name, json_t *problems)
{
    unsigned bits = 0;
    if (!json_is_array(may)) {
        token_problem(problems, name, "may", "is not a list of rights (read, answer, events, operate, audit)");
        return 0;
    }
    size_t i;
    json_t *each;
    json_array_foreach(may, i, each) {
        unsigned k = 0;
        while (MAY_NAMES[k] && !(json_is_string(each) && !strcmp(json_string_value(each), MAY_NAMES[k])))
            k++;
        if (!MAY_NAMES[k]) {
            char buf[96], what[400];
            const char *text = json_string_value(each);
            if (text && !text_id_problem(text, false, buf))
                snprintf(what, sizeof what, "'%.64s' is not a right (read, answer, events, operate or audit)", text);
            else
                snprintf(what, sizeof what, "lists something that is not a right: read, answer, events, operate "
                                            "or audit");
            token_problem(problems, name, "may", what);
            return 0;
        }
        bits |= 1u << k;
    }
    return bits;
}

/* One entry; false when it has a problem (appended). */
static bool token_one(const char *name, const json_t *spec, ServeToken *t, json_t *problems)
{
    char buf[96];
    const char *problem = text_id_problem(name, false, buf);
    if (problem) {
        json_array_append_new(problems, json_sprintf("tokens: a token's name %s", problem));
        return false;
    }
    if (!json_is_object(spec)) {
        token_problem(problems, name, NULL, "is not an object {\"sha256\", \"person\" or \"on_behalf\", \"may\"}");
        return false;
    }
    size_t before = json_array_size(problems);
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)spec, key, v) {
        bool known = false;
        for (int i = 0; TOKEN_FIELDS[i]; i++)
            known = known || !strcmp(key, TOKEN_FIELDS[i]);
        char where[96];
        snprintf(where, sizeof where, "%.64s", key);   /* named when it is printable */
        if (!known && !text_id_problem(key, false, buf) && strlen(key) <= 64)
            token_problem(problems, name, where, "unknown field (a token has sha256, person, on_behalf and may)");
        else if (!known)
            token_problem(problems, name, NULL, "has a field that is not sha256, person, on_behalf or may");
    }
    if (!token_hex(json_string_value(json_object_get(spec, "sha256")), t->sha256))
        token_problem(problems, name, "sha256", "is not 64 hex digits (the SHA-256 of the token: "
                                                "printf %s TOKEN | sha256sum)");
    const json_t *person = json_object_get(spec, "person");
    const json_t *behalf = json_object_get(spec, "on_behalf");
    if (behalf && !json_is_boolean(behalf))
        token_problem(problems, name, "on_behalf", "is not true or false");
    t->on_behalf = json_is_true(behalf);
    if (person && (!json_is_string(person) || text_id_problem(json_string_value(person), true, buf)))
        token_problem(problems, name, "person", "is not a person id");
    else if (!person == !t->on_behalf)
        token_problem(problems, name, NULL, "names a person, or is a service with \"on_behalf\": true (one of the two)");
    const json_t *may = json_object_get(spec, "may");
    t->may = may ? token_may(may, name, problems) : person ? MAY_READ | MAY_ANSWER : 0;
    if (json_array_size(problems) > before)
        return false;
    t->name = strdup(name);
    t->person = person ? strdup(json_string_value(person)) : NULL;
    return t->name && (!person || t->person);
}

int serve_tokens_parse(const json_t *json, ServeTokens *out, json_t *problems)
{
    memset(out, 0, sizeof *out);
    if (!json_is_object(json)) {
        json_array_append_new(problems, json_string("tokens: the file is not a JSON object of tokens by name"));
        return -1;
    }
    out->items = calloc(json_object_size(json) + 1, sizeof *out->items);
    if (!out->items) {
        json_array_append_new(problems, json_string("tokens: out of memory"));
        return -1;
    }
    const char *name;
    json_t *spec;
    bool ok = true;
    json_object_foreach((json_t *)json, name, spec) {
        ServeToken *t = &out->items[out->count];
        if (token_one(name, spec, t, problems))
            out->count++;
        else {
            free(t->name);
            free(t->person);
            memset(t, 0, sizeof *t);
            ok = false;
        }
    }
    /* One token names one person or service: a hash listed twice would make whose it is
       depend on the file's order. */
    for (size_t i = 0; i < out->count; i++)
        for (size_t j = 0; j < i; j++)
            if (memcmp(out->items[i].sha256, out->items[j].sha256, sizeof out->items[i].sha256) == 0) {
                char what[400];
                snprintf(what, sizeof what, "is the same token as tokens.%s's: give each its own token",
                         out->items[j].name);
                token_problem(problems, out->items[i].name, "sha256", what);
                ok = false;
                break;
            }
    if (!ok)
        serve_tokens_free(out);
    return ok ? 0 : -1;
}

int serve_tokens_load(const char *path, ServeTokens *out, json_t *problems)
{
    json_error_t error;
    json_t *json = json_file_load(path, JSON_REJECT_DUPLICATES, &error);
    memset(out, 0, sizeof *out);
    if (!json) {
        json_array_append_new(problems, error.line > 0 ? json_sprintf("%s:%d:%d: %s", path, error.line, error.column,
                                                                      error.text)
                                                       : json_sprintf("%s: %s", path, error.text));
        return -1;
    }
    json_t *mine = json_array();
    int rc = mine ? serve_tokens_parse(json, out, mine) : -1;
    size_t i;
    json_t *p;
    json_array_foreach(mine, i, p)
        json_array_append_new(problems, json_sprintf("%s: %s", path, json_string_value(p)));
    json_decref(mine);
    json_decref(json);
    return rc;
}

void serve_tokens_free(ServeTokens *tokens)
{
    for (size_t i = 0; i < tokens->count; i++) {
        free(tokens->items[i].name);
        free(tokens->items[i].person);
    }
    free(tokens->items);
    memset(tokens, 0, sizeof *tokens);
}

const ServeToken *serve_tokens_find(const ServeTokens *tokens, const char *authorization)
{
    if (!authorization || strncasecmp(authorization, "Bearer ", 7) != 0)
        return NULL;
    const char *token = authorization + 7;
    token += strspn(token, " \t");
    size_t len = strlen(token);
    while (len > 0 && (token[len - 1] == ' ' || token[len - 1] == '\t'))
        len--;      /* a header value's surrounding white space is not part of it (RFC 9110) */
    if (len == 0)
        return NULL;
    unsigned char digest[SHA256_DIGEST_LENGTH];
    SHA256_CTX ctx;
    if (!SHA256_Init(&ctx) || !SHA256_Update(&ctx, token, len) || !SHA256_Final(digest, &ctx))
        SHA256((const unsigned char *)token, len, digest);
    OPENSSL_cleanse(&ctx, sizeof ctx);
    const ServeToken *found = NULL;
    for (size_t i = 0; i < tokens->count; i++)
        if (CRYPTO_memcmp(digest, tokens->items[i].sha256, sizeof digest) == 0)
            found = &tokens->items[i];
    return found;
}
