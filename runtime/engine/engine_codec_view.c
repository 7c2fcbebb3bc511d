/*
 * engine_codec_view.c - members, items and strings of a binary record (formats 1 and
 * 2, engine_codec.c) read where they lie in its bytes, without building jansson values:
 * for a reader that wants a few fields of a record codec_canon or codec_decode has
 * already accepted (the decisions index, engine_audit_index.c), or of a value a record of
 * its own encoding keeps (the task's ask values, engine_task_values.c).
 *
 * It checks no UTF-8 and no duplicate name (the record was checked before), but it
 * never reads outside the record's bytes: a tag it does not know, a count past the bytes
 * or a value cut short ends the walk (no member, no more items), so bytes the decoder
 * refuses are read as a value with less in it, never past their end. What it finds in a
 * record the decoder accepts is what the decoded value holds (tests/unit/
 * test_codec_view.c, tests/fuzz/fuzz_codec.c): a member is json_object_get's, items
 * and members come in json_array_foreach's and json_object_foreach's order (jansson
 * keeps insertion order, the bytes' order), a string is json_string_value's bytes.
 */
#include "engine_codec.h"

#include <string.h>

static bool view_varint(const CodecView *v, size_t *at, uint64_t *n)
{
    return codec_varint(v->bytes, v->len, at, n) == CODEC_VARINT_OK;
}

/* The count of the container whose tag is at `at`, and where its first member or item
   is: false for other tags. */
static bool view_container(const CodecView *v, size_t at, bool *object, uint64_t *count, size_t *first)
{
    if (at >= v->len)
        return false;
    unsigned tag = v->bytes[at++];
    if (tag >= CODEC_TAG_SHORT_ARRAY && tag <= CODEC_TAG_SHORT_OBJECT + CODEC_SHORT_COUNT_MAX) {
        *object = tag >= CODEC_TAG_SHORT_OBJECT;
        *count = tag - (*object ? CODEC_TAG_SHORT_OBJECT : CODEC_TAG_SHORT_ARRAY);
    } else if (tag == CODEC_TAG_ARRAY || tag == CODEC_TAG_OBJECT) {
        *object = tag == CODEC_TAG_OBJECT;
        if (!view_varint(v, &at, count))
            return false;
    } else
        return false;
    *first = at;
    return true;
}

/* Moves *at past the name at it: false when cut short or not a name. */
static bool skip_name(const CodecView *v, size_t *at, const char **name, size_t *name_len)
{
    if (*at >= v->len)
        return false;
    unsigned byte = v->bytes[(*at)++];
    if (byte) {
        if (byte > v->name_count)
            return false;
        *name = v->names[byte - 1];
        *name_len = v->name_lengths[byte - 1];
        return true;
    }
    uint64_t len;
    if (!view_varint(v, at, &len) || len > v->len - *at)
        return false;
    *name = (const char *)v->bytes + *at;
    *name_len = (size_t)len;
    *at += (size_t)len;
    return true;
}

_Static_assert(CODEC_TAG_SMALL_INT == 0x20 && CODEC_TAG_SHORT_STRING == 0x40 && CODEC_SHORT_STRING_MAX == 63 &&
               CODEC_TAG_SHORT_ARRAY == 0x80 && CODEC_TAG_SHORT_OBJECT == 0x90 && CODEC_SHORT_COUNT_MAX == 15 &&
               CODEC_TAG_VALUE == 0xA0, "skip_value reads a tag's kind from its top three bits");

static bool skip_value(const CodecView *v, size_t *at, int depth);

/* Moves *at past the `n` members (`object`) or items of a container that start at
   `next`: false when cut short, too deep or not members. */
static bool skip_items(const CodecView *v, size_t next, uint64_t n, bool object, int depth, size_t *at)
{
    for (uint64_t i = 0; i < n; i++) {
        const char *name;
        size_t name_len;
        if ((object && !skip_name(v, &next, &name, &name_len)) || !skip_value(v, &next, depth + 1))
            return false;
    }
    *at = next;
    return true;
}

/* Moves *at past the value at it: false when cut short, too deep or not a value. A
   tag's kind is its top three bits (engine_codec_canon.c's walk_value reads them so);
   scalars are stepped over in place, only containers recurse. */
static bool skip_value(const CodecView *v, size_t *at, int depth)
{
    if (*at >= v->len || depth > CODEC_DEPTH_MAX)
        return false;
    unsigned tag = v->bytes[*at];
    uint64_t n;
    switch (tag >> 5) {
    case 1:                                     /* a small integer */
    case 5:
    case 6:
    case 7:                                     /* a value word */
        (*at)++;
        return true;
    case 2:
    case 3:                                     /* a short string */
        n = tag - CODEC_TAG_SHORT_STRING;
        if (n >= v->len - *at)
            return false;
        *at += 1 + (size_t)n;
        return true;
    case 4: {                                   /* a short array or object */
        bool object = tag >= CODEC_TAG_SHORT_OBJECT;
        n = tag - (object ? CODEC_TAG_SHORT_OBJECT : CODEC_TAG_SHORT_ARRAY);
        return skip_items(v, *at + 1, n, object, depth, at);
    }
    default:
        break;
    }
    bool object;
    size_t next;
    if (view_container(v, *at, &object, &n, &next))
        return skip_items(v, next, n, object, depth, at);
    (*at)++;
    if (tag == CODEC_TAG_STRING) {
        if (!view_varint(v, at, &n))
            return false;
    } else if (tag == CODEC_TAG_INT || tag == CODEC_TAG_TIME)
        return view_varint(v, at, &n);
    else if (tag == CODEC_TAG_REAL)
        n = 8;
    else if (tag == CODEC_TAG_HEX) {
        if (*at >= v->len)
            return false;
        n = v->bytes[(*at)++];
    } else
        return tag <= CODEC_TAG_TRUE;
    if (n > v->len - *at)
        return false;
    *at += (size_t)n;
    return true;
}

bool codec_view_open(const void *data, size_t len, CodecView *root)
{
    *root = (CodecView){.bytes = data, .len = len, .at = 1};
    if (!codec_is_binary(data, len))
        return false;
    root->format = root->bytes[0];
    root->name_count = codec_key_table(&root->names, &root->name_lengths);
    return true;
}

void codec_view_items(const CodecView *container, CodecViewItems *items)
{
    bool object = false;
    uint64_t count = 0;
    size_t first = 0;
    if (!view_container(container, container->at, &object, &count, &first))
        count = 0;
    *items = (CodecViewItems){*container, count, object};
    items->at.at = first;
}

bool codec_view_next(CodecViewItems *items, CodecView *value, const char **name, size_t *name_len)
{
    CodecView *at = &items->at;
    const char *own_name = NULL;
    size_t own_len = 0;
    if (items->left == 0 || (items->object && !skip_name(at, &at->at, &own_name, &own_len))) {
        items->left = 0;
        return false;
    }
    *value = *at;
    if (!skip_value(at, &at->at, 0)) {
        items->left = 0;
        return false;
    }
    items->left--;
    if (name) {
        *name = own_name;
        *name_len = own_len;
    }
    return true;
}

/* The members of `object` one by one, as codec_view_next gives them, read in place (no
   view copied a member): false when there are no more or one cannot be read. */
typedef struct MemberWalk {
    uint64_t left;
    size_t at;
} MemberWalk;

static bool members_begin(const CodecView *object, MemberWalk *m)
{
    bool is_object;
    return view_container(object, object->at, &is_object, &m->left, &m->at) && is_object;
}

static bool members_next(const CodecView *object, MemberWalk *m, const char **name, size_t *name_len,
                         size_t *value_at)
{
    if (m->left == 0 || !skip_name(object, &m->at, name, name_len))
        return false;
    *value_at = m->at;
    if (!skip_value(object, &m->at, 0))
        return false;
    m->left--;
    return true;
}

bool codec_view_member(const CodecView *object, const char *name, CodecView *value)
{
    MemberWalk m;
    const char *have;
    size_t have_len, at, len = strlen(name);
    if (!members_begin(object, &m))
        return false;
    while (members_next(object, &m, &have, &have_len, &at))
        if (have_len == len && memcmp(have, name, len) == 0) {
            *value = *object;
            value->at = at;
            return true;
        }
    return false;
}

size_t codec_view_members(const CodecView *object, const char *const *names, size_t count, CodecView *values)
{
    MemberWalk m;
    const char *have;
    size_t have_len, at, found = 0;
    for (size_t i = 0; i < count; i++)
        values[i] = (CodecView){.len = 0};
    if (!members_begin(object, &m))
        return 0;
    while (found < count && members_next(object, &m, &have, &have_len, &at)) {
        char first = have_len ? have[0] : '\0';
        for (size_t i = 0; i < count; i++)
            if (names[i][0] == first && !values[i].len && strlen(names[i]) == have_len &&
                memcmp(names[i], have, have_len) == 0) {
                values[i] = *object;
                values[i].at = at;
                found++;
                break;
            }
    }
    return found;
}

bool codec_view_string(const CodecView *v, char buf[CODEC_VIEW_TEXT], const char **text, size_t *len)
{
    if (v->at >= v->len)
        return false;
    unsigned tag = v->bytes[v->at];
    size_t at = v->at + 1;
    uint64_t n;
    if (tag >= CODEC_TAG_SHORT_STRING && tag <= CODEC_TAG_SHORT_STRING + CODEC_SHORT_STRING_MAX)
        n = tag - CODEC_TAG_SHORT_STRING;
    else if (tag == CODEC_TAG_STRING) {
        if (!view_varint(v, &at, &n))
            return false;
    } else if (v->format >= CODEC_FORMAT_2 && tag >= CODEC_TAG_VALUE)
        return (*text = codec_value_text(tag, len)) != NULL;
    else if (v->format >= CODEC_FORMAT_2 && tag == CODEC_TAG_TIME) {
        if (!view_varint(v, &at, &n) || n > CODEC_TIME_MAX)
            return false;
        codec_time_text(n, buf);
        *text = buf;
        *len = CODEC_TIME_LEN;
        return true;
    } else if (v->format >= CODEC_FORMAT_2 && tag == CODEC_TAG_HEX) {
        if (at >= v->len)
            return false;
        n = v->bytes[at++];
        if (n < CODEC_HEX_MIN || n > CODEC_HEX_MAX || n > v->len - at)
            return false;
        codec_hex_text(v->bytes + at, (size_t)n, buf);
        *text = buf;
        *len = 2 * (size_t)n;
        return true;
    } else
        return false;
    if (n > v->len - at)
        return false;
    *text = (const char *)v->bytes + at;
    *len = (size_t)n;
    return true;
}

/* A string as json_string_value gives it: its bytes up to a NUL it holds. */
static bool view_c_string(const CodecView *v, char buf[CODEC_VIEW_TEXT], const char **text, size_t *len)
{
    if (!codec_view_string(v, buf, text, len))
        return false;
    const char *nul = memchr(*text, 0, *len);
    if (nul)
        *len = (size_t)(nul - *text);
    return true;
}

bool codec_view_text_copy(const CodecView *v, char **out)
{
    char buf[CODEC_VIEW_TEXT];
    const char *text;
    size_t len;
    *out = NULL;
    if (!view_c_string(v, buf, &text, &len))
        return true;
    *out = codec_text_copy(text, len);
    return *out != NULL;
}

/* ---- a value kept inside a record of its own encoding (engine_task_record.h) ---- */

void codec_view_value(const void *data, size_t len, size_t at, CodecView *v)
{
    *v = (CodecView){.bytes = data, .len = len, .at = at, .format = CODEC_FORMAT};
    v->name_count = codec_key_table(&v->names, &v->name_lengths);
}

CodecKind codec_view_kind(const CodecView *v)
{
    if (v->at >= v->len)
        return CODEC_KIND_NONE;
    unsigned tag = v->bytes[v->at];
    bool format_2 = v->format >= CODEC_FORMAT_2;
    if (tag >= CODEC_TAG_SHORT_OBJECT && tag <= CODEC_TAG_SHORT_OBJECT + CODEC_SHORT_COUNT_MAX)
        return CODEC_KIND_OBJECT;
    if (tag >= CODEC_TAG_SHORT_ARRAY && tag <= CODEC_TAG_SHORT_ARRAY + CODEC_SHORT_COUNT_MAX)
        return CODEC_KIND_ARRAY;
    if ((tag >= CODEC_TAG_SHORT_STRING && tag <= CODEC_TAG_SHORT_STRING + CODEC_SHORT_STRING_MAX) ||
        tag == CODEC_TAG_STRING || (format_2 && (tag == CODEC_TAG_TIME || tag == CODEC_TAG_HEX)) ||
        (format_2 && tag >= CODEC_TAG_VALUE))
        return CODEC_KIND_STRING;
    if ((tag >= CODEC_TAG_SMALL_INT && tag <= CODEC_TAG_SMALL_INT + CODEC_SMALL_INT_MAX) || tag == CODEC_TAG_INT)
        return CODEC_KIND_INTEGER;
    switch (tag) {
    case CODEC_TAG_NULL: return CODEC_KIND_NULL;
    case CODEC_TAG_FALSE: return CODEC_KIND_FALSE;
    case CODEC_TAG_TRUE: return CODEC_KIND_TRUE;
    case CODEC_TAG_REAL: return CODEC_KIND_REAL;
    case CODEC_TAG_ARRAY: return CODEC_KIND_ARRAY;
    case CODEC_TAG_OBJECT: return CODEC_KIND_OBJECT;
    default: return CODEC_KIND_NONE;
    }
}

bool codec_view_integer(const CodecView *v, int64_t *n)
{
    if (v->at >= v->len)
        return false;
    unsigned tag = v->bytes[v->at];
    if (tag >= CODEC_TAG_SMALL_INT && tag <= CODEC_TAG_SMALL_INT + CODEC_SMALL_INT_MAX) {
        *n = tag - CODEC_TAG_SMALL_INT;
        return true;
    }
    size_t at = v->at + 1;
    uint64_t zigzag;
    if (tag != CODEC_TAG_INT || !view_varint(v, &at, &zigzag))
        return false;
    *n = (int64_t)(zigzag >> 1 ^ (0 - (zigzag & 1)));
    return true;
}

bool codec_view_item(const CodecView *array, size_t index, CodecView *item)
{
    CodecViewItems items;
    codec_view_items(array, &items);
    if (items.object)
        return false;
    for (size_t i = 0; codec_view_next(&items, item, NULL, NULL); i++)
        if (i == index)
            return true;
    return false;
}

size_t codec_view_array_size(const CodecView *v)
{
    CodecViewItems items;
    codec_view_items(v, &items);
    return items.object ? 0 : (size_t)items.left;
}

bool codec_view_bytes(const CodecView *v, const unsigned char **bytes, size_t *len)
{
    size_t end = v->at;
    if (!skip_value(v, &end, 0))
        return false;
    *bytes = v->bytes + v->at;
    *len = end - v->at;
    return true;
}

bool codec_view_text_is(const CodecView *v, const char *text)
{
    char buf[CODEC_VIEW_TEXT];
    const char *have;
    size_t len;
    return view_c_string(v, buf, &have, &len) && strlen(text) == len && memcmp(have, text, len) == 0;
}
