/*
 * cli_json_dumps.c - the JSON the CLI and serve print: jansson's json_dumps layout (its
 * separators, indentation and escapes, member order as set), with each double in the
 * fewest digits that read back as the same double, as the playbook's json() and request
 * bodies write them: 19.99, not jansson's 19.989999999999998.
 *
 * Containers, integers, booleans and null are written here; text that is plain ASCII
 * (no quote, backslash or control character) is copied, and any other text goes through
 * jansson itself, so escapes cannot differ from json_dumps's. A double keeps jansson's
 * form around its digits: a ".0" when it has neither point nor exponent (1500.0), an
 * exponent without '+' or leading zeros (1e21).
 */
#include "cli.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void cli_json_real(double value, char out[CLI_JSON_REAL_MAX])
{
    int digits = 1;
    for (; digits < 17; digits++) {   /* the fewest significant digits that read back the same */
        snprintf(out, CLI_JSON_REAL_MAX, "%.*e", digits - 1, value);
        if (strtod(out, NULL) == value)
            break;
    }
    snprintf(out, CLI_JSON_REAL_MAX, "%.*e", digits - 1, value);
    int exponent = atoi(strchr(out, 'e') + 1);
    /* the notation jansson's %.17g picks: plain from 1e-4 up to 1e17, else an exponent */
    if (exponent >= -4 && exponent < 17) {
        int decimals = digits - 1 - exponent;
        snprintf(out, CLI_JSON_REAL_MAX, "%.*f", decimals > 0 ? decimals : 0, value);
        if (!strchr(out, '.'))
            strcat(out, ".0");
        return;
    }
    char *e = strchr(out, 'e'), *from = e + 1, *to = e + 1;
    if (*from == '+')
        from++;
    else if (*from == '-')
        to = ++from;
    while (*from == '0' && from[1])
        from++;
    memmove(to, from, strlen(from) + 1);
}

bool cli_json_plain(const char *text, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)text[i];
        if (c < 0x20 || c > 0x7e || c == '"' || c == '\\')
            return false;
    }
    return true;
}

bool cli_json_dump_string(StrBuf *out, const char *text, size_t len, size_t flags)
{
    if (cli_json_plain(text, len)) {
        strbuf_putc(out, '"');
        strbuf_put(out, text, len);
        strbuf_putc(out, '"');
        return true;
    }
    json_t *string = json_stringn(text, len);
    char *dumped = string ? json_dumps(string, (flags & ~JSON_MAX_INDENT) | JSON_ENCODE_ANY) : NULL;
    json_decref(string);
    if (!dumped)
        return false;
    strbuf_puts(out, dumped);
    free(dumped);
    return true;
}

/* jansson's dump_indent: a newline and depth levels of indentation, or with none a
   space between items unless compact. */
static void put_indent(StrBuf *out, size_t flags, int depth, bool space)
{
    size_t indent = flags & JSON_MAX_INDENT;
    if (indent) {
        strbuf_putc(out, '\n');
        for (size_t i = 0; i < indent * (size_t)depth; i++)
            strbuf_putc(out, ' ');
    } else if (space && !(flags & JSON_COMPACT)) {
        strbuf_putc(out, ' ');
    }
}

static bool put_value(StrBuf *out, const json_t *value, size_t flags, int depth);

static bool put_container(StrBuf *out, const json_t *value, size_t flags, int depth)
{
    bool object = json_is_object(value);
    size_t count = object ? json_object_size(value) : json_array_size(value);
    strbuf_putc(out, object ? '{' : '[');
    if (count == 0) {
        strbuf_putc(out, object ? '}' : ']');
        return true;
    }
    put_indent(out, flags, depth + 1, false);
    size_t i = 0;
    bool ok = true;
    if (object) {
        const char *key;
        json_t *member;
        json_object_foreach((json_t *)value, key, member) {
            ok = ok && cli_json_dump_string(out, key, strlen(key), flags);
            strbuf_puts(out, flags & JSON_COMPACT ? ":" : ": ");
            ok = ok && put_value(out, member, flags, depth + 1);
            if (++i < count) {
                strbuf_putc(out, ',');
                put_indent(out, flags, depth + 1, true);
            }
        }
    } else {
        for (; i < count; i++) {
            ok = ok && put_value(out, json_array_get(value, i), flags, depth + 1);
            if (i + 1 < count) {
                strbuf_putc(out, ',');
                put_indent(out, flags, depth + 1, true);
            }
        }
    }
    put_indent(out, flags, depth, false);
    strbuf_putc(out, object ? '}' : ']');
    return ok;
}

static bool put_value(StrBuf *out, const json_t *value, size_t flags, int depth)
{
    char digits[CLI_JSON_REAL_MAX];
    switch (json_typeof(value)) {
    case JSON_OBJECT:
    case JSON_ARRAY:
        return put_container(out, value, flags, depth);
    case JSON_STRING:
        return cli_json_dump_string(out, json_string_value(value), json_string_length(value), flags);
    case JSON_INTEGER:
        strbuf_printf(out, "%" JSON_INTEGER_FORMAT, json_integer_value(value));
        return true;
    case JSON_REAL:
        cli_json_real(json_real_value(value), digits);
        strbuf_puts(out, digits);
        return true;
    case JSON_TRUE:
        strbuf_puts(out, "true");
        return true;
    case JSON_FALSE:
        strbuf_puts(out, "false");
        return true;
    default:
        strbuf_puts(out, "null");
        return true;
    }
}

bool cli_json_dump(StrBuf *out, const json_t *value, size_t flags)
{
    if (!value || (!(flags & JSON_ENCODE_ANY) && !json_is_object(value) && !json_is_array(value)))
        return false;
    return put_value(out, value, flags, 0);
}

char *cli_json_dumps(const json_t *value, size_t flags)
{
    StrBuf out = STRBUF_INIT;
    if (!cli_json_dump(&out, value, flags) || strbuf_failed(&out)) {
        strbuf_free(&out);
        return NULL;
    }
    return strbuf_take(&out);
}
