/*
 * cli_serve_body.c - a request's JSON body read the quick way, on the HTTP thread
 * (serve's door, cli_serve_http.c): the shapes webhooks and answers send nearly always
 * (objects and arrays of plain ASCII strings, small integers, true, false and null) are
 * read in one pass into the same jansson tree value_json_load makes of them, and
 * anything else is left to value_json_load (and its error messages).
 *
 * What is "plain" here is what needs no judgement: a string of printable ASCII without
 * a quote or a backslash (no escape to decode, no UTF-8 to check), an integer of at most
 * 18 digits without a leading zero (it fits, and jansson reads it to the same value),
 * nesting of at most QUICK_DEPTH. A body with a real, an escape, a byte outside
 * printable ASCII in a string, a key twice, "-0", text after the value, or a top level
 * that is no object is not quick: serve_body_quick returns NULL without a word, and the
 * door reads it as before. tests/unit/test_serve_body.c and the fuzz target
 * fuzz_serve_routes hold the two readers to the same trees.
 *
 * The quick reader can also write the body's compact text as it reads (what
 * json_dumps(body, JSON_COMPACT | JSON_ENCODE_ANY) writes: the body without its
 * whitespace, since every token it takes is already in jansson's form), which a webhook
 * event's line in inputs.inflight holds.
 */
#include "cli_serve.h"

#include <string.h>

#define QUICK_DEPTH 32

typedef struct Quick {
    const char *p, *end;
    StrBuf *compact;                /* NULL: not wanted */
    int depth;
} Quick;

static json_t *quick_value(Quick *q);

static void quick_space(Quick *q)
{
    while (q->p < q->end && (*q->p == ' ' || *q->p == '\n' || *q->p == '\r' || *q->p == '\t'))
        q->p++;
}

/* Whether the next byte is `c` (then taken, and copied to the compact text). */
static bool quick_take(Quick *q, char c)
{
    if (q->p >= q->end || *q->p != c)
        return false;
    q->p++;
    if (q->compact)
        strbuf_put(q->compact, &c, 1);
    return true;
}

/* A plain string's bytes (between its quotes) in *start, *len; false when not plain. */
static bool quick_string(Quick *q, const char **start, size_t *len)
{
    const char *from = q->p;
    if (q->p >= q->end || *q->p != '"')
        return false;
    const char *s = ++q->p;
    while (q->p < q->end && *q->p != '"') {
        unsigned char c = (unsigned char)*q->p;
        if (c < 0x20 || c > 0x7e || c == '\\')
            return false;
        q->p++;
    }
    if (q->p >= q->end)
        return false;
    *start = s;
    *len = (size_t)(q->p - s);
    q->p++;
    if (q->compact)
        strbuf_put(q->compact, from, (size_t)(q->p - from));
    return true;
}

/* An integer of 1 to 18 digits, no leading zero, not "-0", not followed by a fraction
   or an exponent (a real: not quick). */
static json_t *quick_integer(Quick *q)
{
    const char *from = q->p;
    bool negative = q->p < q->end && *q->p == '-';
    const char *digits = from + negative, *p = digits;
    long long value = 0;
    while (p < q->end && *p >= '0' && *p <= '9' && p - digits < 18)
        value = value * 10 + (*p++ - '0');
    size_t count = (size_t)(p - digits);
    if (count == 0 || (digits[0] == '0' && (count > 1 || negative)))
        return NULL;
    if (p < q->end && (*p == '.' || *p == 'e' || *p == 'E' || (*p >= '0' && *p <= '9')))
        return NULL;
    q->p = p;
    if (q->compact)
        strbuf_put(q->compact, from, (size_t)(p - from));
    return json_integer(negative ? -value : value);
}

/* true, false or null. */
static json_t *quick_word(Quick *q)
{
    static const struct { const char *text; size_t len; } WORDS[] = {{"true", 4}, {"false", 5}, {"null", 4}};
    for (int i = 0; i < 3; i++) {
        size_t n = WORDS[i].len;
        if ((size_t)(q->end - q->p) >= n && memcmp(q->p, WORDS[i].text, n) == 0) {
            const char *after = q->p + n;
            if (after < q->end && ((*after >= 'a' && *after <= 'z') || (*after >= '0' && *after <= '9')))
                return NULL;
            if (q->compact)
                strbuf_put(q->compact, q->p, n);
            q->p = after;
            return i == 0 ? json_true() : i == 1 ? json_false() : json_null();
        }
    }
    return NULL;
}

/* The members of an object after its '{'; a key twice is not quick (jansson refuses it
   with JSON_REJECT_DUPLICATES, in its own words). */
static json_t *quick_object(Quick *q)
{
    json_t *object = json_object();
    quick_space(q);
    if (!object || quick_take(q, '}'))
        return object;
    do {
        const char *key;
        size_t key_len;
        quick_space(q);
        if (!quick_string(q, &key, &key_len))
            goto fail;
        quick_space(q);
        if (!quick_take(q, ':'))
            goto fail;
        json_t *value = quick_value(q);
        size_t before = json_object_size(object);
        if (!value || json_object_setn_new_nocheck(object, key, key_len, value) != 0 ||
            json_object_size(object) == before)
            goto fail;
        quick_space(q);
    } while (quick_take(q, ','));
    if (quick_take(q, '}'))
        return object;
fail:
    json_decref(object);
    return NULL;
}

/* The items of an array after its '['. */
static json_t *quick_array(Quick *q)
{
    json_t *array = json_array();
    quick_space(q);
    if (!array || quick_take(q, ']'))
        return array;
    do {
        json_t *item = quick_value(q);
        if (!item || json_array_append_new(array, item) != 0)
            goto fail;
        quick_space(q);
    } while (quick_take(q, ','));
    if (quick_take(q, ']'))
        return array;
fail:
    json_decref(array);
    return NULL;
}

static json_t *quick_value(Quick *q)
{
    quick_space(q);
    if (q->p >= q->end)
        return NULL;
    char c = *q->p;
    if (c == '{' || c == '[') {
        if (q->depth >= QUICK_DEPTH)
            return NULL;
        q->depth++;
        quick_take(q, c);
        json_t *v = c == '{' ? quick_object(q) : quick_array(q);
        q->depth--;
        return v;
    }
    if (c == '"') {
        const char *s;
        size_t len;
        return quick_string(q, &s, &len) ? json_stringn_nocheck(s, len) : NULL;
    }
    if (c == '-' || (c >= '0' && c <= '9'))
        return quick_integer(q);
    return quick_word(q);
}

json_t *serve_body_quick(const char *text, size_t len, StrBuf *compact)
{
    Quick q = {.p = text, .end = text + len, .compact = compact};
    size_t mark = compact ? compact->len : 0;
    if (compact && !strbuf_failed(compact) && (!compact->data || compact->cap - mark <= len)) {
        strbuf_append(compact, text, len);   /* room for it at once: the compact text is never longer */
        compact->len = mark;
        if (compact->data)
            compact->data[mark] = '\0';
    }
    quick_space(&q);
    json_t *body = q.p < q.end && *q.p == '{' ? quick_value(&q) : NULL;
    quick_space(&q);
    if (body && q.p == q.end && !(compact && strbuf_failed(compact)))
        return body;
    json_decref(body);
    if (compact && !strbuf_failed(compact)) {   /* nothing of it kept */
        compact->len = mark;
        if (compact->data)
            compact->data[mark] = '\0';
    }
    return NULL;
}
