/*
 * cli_serve_json.c - serve's JSON text written straight into a StrBuf, byte for byte what
 * jansson's json_dumps(v, JSON_COMPACT | JSON_ENSURE_ASCII | JSON_ENCODE_ANY) writes,
 * without building a jansson object to dump or the dump's own buffer and allocations.
 *
 * The replies to events, answers and acks are written with it on the engine thread, one
 * per input of each group commit, between the commit and the next round (docs/internals.md,
 * "huddle serve"). Plain ASCII text (no quote, backslash or control character) is copied;
 * other text goes through jansson, so the two cannot differ; a double is written in the
 * fewest digits that read back the same, as the CLI writes it (cli_json_dumps.c).
 * Members are written in the object's own order, which is jansson's (it keeps the order
 * members were set in).
 */
#include "cli.h"
#include "cli_serve.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SERVE_JSON_FLAGS (JSON_COMPACT | JSON_ENSURE_ASCII | JSON_ENCODE_ANY)

bool serve_json_plain(const char *text, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)text[i];
        if (c < 0x20 || c > 0x7e || c == '"' || c == '\\')
            return false;
    }
    return true;
}

/* A value jansson dumps, appended; false when it cannot. */
static bool json_put_dumped(StrBuf *out, const json_t *value)
{
    char *text = value ? json_dumps(value, SERVE_JSON_FLAGS) : NULL;
    if (!text)
        return false;
    strbuf_puts(out, text);
    free(text);
    return true;
}

bool serve_json_string(StrBuf *out, const char *text, size_t len)
{
    if (serve_json_plain(text, len)) {
        strbuf_putc(out, '"');
        strbuf_put(out, text, len);
        strbuf_putc(out, '"');
        return true;
    }
    json_t *string = json_stringn(text, len);   /* NULL when not UTF-8 */
    bool ok = json_put_dumped(out, string);
    json_decref(string);
    return ok;
}

static bool json_put_array(StrBuf *out, const json_t *array)
{
    strbuf_putc(out, '[');
    for (size_t i = 0; i < json_array_size(array); i++) {
        if (i)
            strbuf_putc(out, ',');
        if (!serve_json_value(out, json_array_get(array, i)))
            return false;
    }
    strbuf_putc(out, ']');
    return true;
}

static bool json_put_object(StrBuf *out, const json_t *object)
{
    const char *key;
    json_t *item;
    bool first = true;
    strbuf_putc(out, '{');
    json_object_foreach((json_t *)object, key, item) {
        if (!first)
            strbuf_putc(out, ',');
        first = false;
        if (!serve_json_string(out, key, strlen(key)))
            return false;
        strbuf_putc(out, ':');
        if (!serve_json_value(out, item))
            return false;
    }
    strbuf_putc(out, '}');
    return true;
}

bool serve_json_value(StrBuf *out, const json_t *value)
{
    char digits[CLI_JSON_REAL_MAX];
    switch (value ? json_typeof(value) : JSON_NULL) {
    case JSON_OBJECT:
        return json_put_object(out, value);
    case JSON_ARRAY:
        return json_put_array(out, value);
    case JSON_STRING:
        return serve_json_string(out, json_string_value(value), json_string_length(value));
    case JSON_INTEGER:
        snprintf(digits, sizeof digits, "%" JSON_INTEGER_FORMAT, json_integer_value(value));
        strbuf_puts(out, digits);
        return true;
    case JSON_TRUE:
        strbuf_puts(out, "true");
        return true;
    case JSON_FALSE:
        strbuf_puts(out, "false");
        return true;
    case JSON_NULL:
        strbuf_puts(out, "null");
        return true;
    default:   /* a real: the fewest digits that read back the same (cli_json_real) */
        cli_json_real(json_real_value(value), digits);
        strbuf_puts(out, digits);
        return true;
    }
}
