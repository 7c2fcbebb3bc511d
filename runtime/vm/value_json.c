/*
 * value_json.c - converting between Values and jansson (see value_json.h).
 */
#include "value_json.h"

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "civil.h"

/* ---- reading JSON from outside ---- */

/* Whether the integer literal text[0..len) (an optional '-', then digits) fits 64 bits. */
static bool json_integer_fits(const char *text, size_t len)
{
    bool negative = text[0] == '-';
    const char *digits = text + negative;
    size_t count = len - negative;
    const char *limit = negative ? "9223372036854775808" : "9223372036854775807";
    if (count != 19)
        return count < 19;
    return memcmp(digits, limit, 19) <= 0;
}

/* Skips a string starting at text[i] == '"'; returns the index after its closing quote
   (or len when it has none: jansson reports that). */
static size_t json_skip_string(const char *text, size_t len, size_t i)
{
    for (i++; i < len && text[i] != '"'; i++)
        if (text[i] == '\\')
            i++;
    return i < len ? i + 1 : len;
}

/* A number token that needs rewriting before jansson reads it: an integer 64 bits can't
   hold gets ".0" after it (jansson reads it as a double); a number beyond the doubles
   (|x| > DBL_MAX, such as 1e400, which jansson refuses as "real number overflow") is
   replaced by the nearest finite double, +-DBL_MAX (docs/language.md, "Numbers"). */
typedef struct JsonFix {
    size_t start, end;
    bool saturate;
    bool big;                       /* an integer 64 bits can't hold (value_json_load_exact: its text) */
} JsonFix;

/* Whether the number token text[start..end) is beyond the doubles. Only tokens with an
   exponent or over 300 digits can be, so only they are converted. */
static bool json_number_overflows(const char *text, size_t start, size_t end)
{
    if (end - start <= 300 && !memchr(text + start, 'e', end - start) && !memchr(text + start, 'E', end - start))
        return false;
    char *copy = malloc(end - start + 1);
    if (!copy) {
        value_oom_note();   /* counted: the caller's step fails for want of memory */
        return false;
    }
    memcpy(copy, text + start, end - start);
    copy[end - start] = '\0';
    bool overflows = isinf(strtod(copy, NULL));
    free(copy);
    return overflows;
}

/* One pass over the text's tokens: refuses nesting past max_depth, and notes in `fixes`
   (JsonFix entries) the numbers jansson would not take as they are. It validates
   nothing else: jansson does. */
static bool json_scan(const char *text, size_t len, int wrapper, StrBuf *fixes, char *why,
                      size_t why_len)
{
    int max_depth = VALUE_JSON_MAX_DEPTH + wrapper;
    int depth = 0;
    for (size_t i = 0; i < len;) {
        char ch = text[i];
        if (ch == '"') {
            i = json_skip_string(text, len, i);
        } else if (ch == '[' || ch == '{') {
            if (++depth > max_depth) {
                snprintf(why, why_len, VALUE_JSON_TOO_DEEP "%d,%03d levels of arrays and objects "
                         "(at byte %zu)", VALUE_JSON_MAX_DEPTH / 1000, VALUE_JSON_MAX_DEPTH % 1000, i + 1);
                return false;
            }
            i++;
        } else if (ch == ']' || ch == '}') {
            depth--;
            i++;
        } else if (ch == '-' || (ch >= '0' && ch <= '9')) {
            size_t start = i++;
            while (i < len && text[i] >= '0' && text[i] <= '9')
                i++;
            bool integer = i >= len || (text[i] != '.' && text[i] != 'e' && text[i] != 'E');
            size_t sign = ch == '-';   /* "-", "0123": not JSON, left for jansson to refuse */
            bool big = integer && i - start > sign && text[start + sign] != '0' &&
                       !json_integer_fits(text + start, i - start);
            while (i < len && (text[i] == '.' || text[i] == 'e' || text[i] == 'E' || text[i] == '+' ||
                               text[i] == '-' || (text[i] >= '0' && text[i] <= '9')))
                i++;
            JsonFix fix = {start, i, json_number_overflows(text, start, i), big};
            if (big || fix.saturate)
                strbuf_append(fixes, (const char *)&fix, sizeof fix);
        } else {
            i++;
        }
    }
    return true;
}

/* Texts longer than this are parsed only when JSON_PROBE_TIMES their length could be
   allocated (jansson's string buffer doubles as it grows, then the value is copied). */
#define JSON_PROBE_FROM ((size_t)1 << 20)
#define JSON_PROBE_TIMES 4

/* value_json_load, and with `exact` value_json_load_exact. */
static json_t *json_load_fixed(const char *text, size_t len, size_t flags, int wrapper, bool exact,
                               char *why, size_t why_len)
{
    StrBuf fixes = STRBUF_INIT, copy = STRBUF_INIT;
    json_t *json = NULL;
    if (!json_scan(text, len, wrapper, &fixes, why, why_len))
        goto done;
    if (fixes.len) {   /* the numbers rewritten (JsonFix) */
        size_t from = 0;
        for (size_t k = 0; k < fixes.len; k += sizeof(JsonFix)) {
            JsonFix fix;
            memcpy(&fix, fixes.data + k, sizeof fix);
            if (exact && fix.big) {   /* its digits, as a string */
                strbuf_append(&copy, text + from, fix.start - from);
                strbuf_putc(&copy, '"');
                strbuf_append(&copy, text + fix.start, fix.end - fix.start);
                strbuf_putc(&copy, '"');
            } else if (fix.saturate) {
                char max[40];
                snprintf(max, sizeof max, "%s%.17g", text[fix.start] == '-' ? "-" : "", DBL_MAX);
                strbuf_append(&copy, text + from, fix.start - from);
                strbuf_puts(&copy, max);
            } else {
                strbuf_append(&copy, text + from, fix.end - from);
                strbuf_puts(&copy, ".0");
            }
            from = fix.end;
        }
        strbuf_append(&copy, text + from, len - from);
        text = strbuf_text(&copy);
        len = copy.len;
    }
    if (strbuf_failed(&fixes) || strbuf_failed(&copy)) {
        snprintf(why, why_len, VALUE_JSON_NO_MEMORY);
        goto done;
    }
    /* jansson copies a long string while it reads it and, short of memory there, can read
       a NULL (a crash, seen with 40 MB under ulimit -v): room for the copies is made sure
       of first, for texts where it matters */
    if (len > JSON_PROBE_FROM) {
        void *room = malloc(JSON_PROBE_TIMES * len);
        if (!room) {
            snprintf(why, why_len, VALUE_JSON_NO_MEMORY);
            goto done;
        }
        free(room);
    }
    json_error_t error;
    json = json_loadb(text, len, flags, &error);
    if (!json && json_error_code(&error) == json_error_out_of_memory)
        snprintf(why, why_len, VALUE_JSON_NO_MEMORY);   /* not the text's fault */
    else if (!json)   /* jansson names its own flag for a NUL: say what the sender can change */
        snprintf(why, why_len, "%s (line %d, column %d)",
                 strstr(error.text, "JSON_ALLOW_NUL") ? "\\u0000 (a NUL character) is not allowed in a string"
                                                      : error.text, error.line, error.column);
done:
    strbuf_free(&fixes);
    strbuf_free(&copy);
    return json;
}

json_t *value_json_load(const char *text, size_t len, size_t flags, int wrapper, char *why,
                        size_t why_len)
{
    return json_load_fixed(text, len, flags, wrapper, false, why, why_len);
}

json_t *value_json_load_exact(const char *text, size_t len, size_t flags, int wrapper, char *why,
                              size_t why_len)
{
    return json_load_fixed(text, len, flags, wrapper, true, why, why_len);
}

int value_json_depth(const json_t *json, int stop)
{
    if (!json_is_array(json) && !json_is_object(json))
        return 0;
    int deepest = 0;
    if (stop > 0) {
        size_t i;
        const char *key;
        json_t *item;
        if (json_is_array(json)) {
            json_array_foreach(json, i, item) {
                int d = value_json_depth(item, stop - 1);
                deepest = d > deepest ? d : deepest;
            }
        } else {
            json_object_foreach((json_t *)json, key, item) {
                int d = value_json_depth(item, stop - 1);
                deepest = d > deepest ? d : deepest;
            }
        }
    }
    return deepest + 1;
}

/* value_from_json, which may leave a list or map short when out of memory. */
static Value value_from_json_any(const json_t *json)
{
    if (!json)
        return VALUE_NULL;
    switch (json_typeof(json)) {
    case JSON_OBJECT: {
        Value map = value_map_new((uint32_t)json_object_size(json));
        const char *key;
        json_t *item;
        json_object_foreach((json_t *)json, key, item)
            value_map_set(map, key, strlen(key), value_from_json_any(item));
        return map;
    }
    case JSON_ARRAY: {
        Value list = value_list_new((uint32_t)json_array_size(json));
        size_t i;
        json_t *item;
        json_array_foreach(json, i, item)
            value_list_push(list, value_from_json_any(item));
        return list;
    }
    case JSON_STRING: return value_string(json_string_value(json), json_string_length(json));
    case JSON_INTEGER: return value_int(json_integer_value(json));
    case JSON_REAL: return value_float(json_real_value(json));
    case JSON_TRUE: return value_bool(true);
    case JSON_FALSE: return value_bool(false);
    default: return VALUE_NULL;
    }
}

Value value_from_json(const json_t *json)
{
    uint64_t failures = value_oom_count();
    Value v = value_from_json_any(json);
    if (value_oom_count() == failures)
        return v;
    value_release(v);
    return VALUE_NULL;
}

json_t *value_to_json(Value v)
{
    switch (v.type) {
    case VAL_NULL: return json_null();
    case VAL_BOOL: return json_boolean(v.as.boolean);
    case VAL_INT: return json_integer(v.as.integer);
    case VAL_FLOAT: return json_real(v.as.number);
    case VAL_DURATION: return json_integer(v.as.ms / 1000);
    case VAL_STRING: return json_stringn(v.as.string->data, v.as.string->len);
    case VAL_TIME:
    case VAL_BUSINESS: {
        StrBuf text = STRBUF_INIT;
        value_write_text(v, 0, &text);
        json_t *s = strbuf_failed(&text) ? NULL : json_string(strbuf_text(&text));
        strbuf_free(&text);
        return s;
    }
    case VAL_LIST: {
        json_t *array = json_array();
        for (uint32_t i = 0; i < v.as.list->count; i++)
            json_array_append_new(array, value_to_json(v.as.list->items[i]));
        return array;
    }
    case VAL_MAP: {
        json_t *object = json_object();
        for (uint32_t i = 0; i < v.as.map->count; i++)
            json_object_setn_new(object, v.as.map->keys[i]->data, v.as.map->keys[i]->len,
                                 value_to_json(v.as.map->values[i]));
        return object;
    }
    }
    return json_null();
}

bool value_time_parse(const char *text, int64_t *ms, int32_t *offset_out, char *why, size_t why_len)
{
    return civil_parse_time(text, ms, offset_out, why, why_len);
}

bool value_parse_time(const char *text, int64_t *ms)
{
    return value_time_parse(text, ms, NULL, NULL, 0);
}
