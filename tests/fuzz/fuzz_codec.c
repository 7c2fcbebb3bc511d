/*
 * fuzz_codec.c - libFuzzer target for the decoder of the store's binary records
 * (runtime/engine/engine_codec.c, codec_load).
 *
 * Each input is read as a record as the store holds it: binary when its first byte is
 * 0x01 or 0x02 (formats 1 and 2), else JSON text. The decoder must never crash, read past the input (ASan), leak
 * or hang, whatever the bytes: a record either decodes or is CODEC_DAMAGED with a
 * sentence. What decodes is encoded again, and must decode to a value whose encoding is
 * the same bytes (format 1 lets a value be written more than one way, a small integer
 * in its long form say, but the encoder always writes the same one). The bytes are
 * compared rather than the values: json_equal finds no key that holds a NUL.
 *
 * And the decision record's canonical form read straight from the bytes (codec_canon,
 * engine_codec_canon.c) agrees with the decoder on every binary input: it refuses
 * exactly what codec_decode refuses, and what both read gives the bytes audit_canon
 * writes for the decoded value; codec_member_integer, which verify reads instances with,
 * refuses the same and finds the same "seq". And what decodes, encoded in format 1 and
 * in format 2, has one canonical form. codec_canon_check refuses what codec_canon refuses.
 * codec_canon_members, from codec_canon's walk, finds the members codec_view_members finds.
 * And the record read where it lies (engine_codec_view.c, the decisions index's
 * reader): on any bytes, walking every member, item and string never reads past them;
 * on bytes that decode, each is the decoded value's, in its order.
 * And the same bytes as a value of the seen, cases and mailbox tables
 * (engine_small_values.c): read or refused with a sentence, never a crash, alike through
 * the typed readers; what reads as a typed seen entry or case owner encodes from its
 * JSON form to exactly the same bytes, a mailbox entry to bytes that read as the same
 * object (its data is the codec's, which reads some values written more than one way).
 * Seeds: tests/fuzz/seeds-fuzz_codec/, records of a store of the crash workload.
 *
 * Built by `make fuzz` with -fsanitize=fuzzer,address,undefined.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "engine_codec.h"
#include "engine_small_values.h"

/* The view `v` holds what `j` holds (j NULL: the bytes did not decode, only walked):
   false when they differ. */
static bool view_agrees(const CodecView *v, const json_t *j, int depth)
{
    char buf[CODEC_VIEW_TEXT];
    const char *text, *name;
    size_t len, name_len, i = 0;
    if (codec_view_string(v, buf, &text, &len))
        return !j || (json_is_string(j) && json_string_length(j) == len &&
                      memcmp(json_string_value(j), text, len) == 0);
    if (j && json_is_string(j))
        return false;
    CodecViewItems items;
    CodecView item;
    codec_view_items(v, &items);
    if (j && (items.object != json_is_object(j) ||
              items.left != (json_is_object(j) ? json_object_size(j) : json_array_size(j))))
        return false;
    void *at = j && json_is_object(j) ? json_object_iter((json_t *)j) : NULL;
    while (depth < 2000 && codec_view_next(&items, &item, &name, &name_len)) {
        const json_t *inside = NULL;
        if (j && items.object) {
            if (!at || json_object_iter_key_len(at) != name_len || memcmp(json_object_iter_key(at), name, name_len))
                return false;
            inside = json_object_iter_value(at);
            at = json_object_iter_next((json_t *)j, at);
        } else if (j)
            inside = json_array_get(j, i++);
        if (!view_agrees(&item, inside, depth + 1))
            return false;
    }
    return true;
}

/* codec_canon and codec_decode + audit_canon agree on `data` (binary or not). */
static void canon_agrees(const uint8_t *data, size_t size, int decoded, const json_t *value)
{
    if (!codec_is_binary(data, size))
        return;
    CodecCanon fast = {0};
    int rc = codec_canon(&fast, data, size);
    if (rc != CODEC_NO_MEMORY && (rc == CODEC_OK) != (decoded == CODEC_OK))
        abort();   /* refused one way and not the other */
    int checked = codec_canon_check(&fast, data, size);
    if (checked != CODEC_NO_MEMORY && rc != CODEC_NO_MEMORY && checked != rc)
        abort();   /* the check alone refuses the same */
    CodecView root;
    if (!codec_view_open(data, size, &root) || !view_agrees(&root, decoded == CODEC_OK ? value : NULL, 0))
        abort();   /* the view reads something else than the decoder */
    long long seq;
    bool found;
    int member = codec_member_integer(&fast, data, size, "seq", &seq, &found);
    if (member != CODEC_NO_MEMORY && (member == CODEC_OK) != (decoded == CODEC_OK))
        abort();   /* and reading one member alone checks the same */
    if (member == CODEC_OK && decoded == CODEC_OK) {
        const json_t *its = json_object_get(value, "seq");
        if (found != json_is_integer(its) || (found && seq != json_integer_value(its)))
            abort();
    }
    if (rc == CODEC_OK)
        rc = codec_canon(&fast, data, size);
    if (rc == CODEC_OK) {
        /* the members the canonical writer's walk kept are the view's (the index reads a
           step's records so) */
        static const char *const NAMES[] = {"kind", "instance", "task", "at", "state", "seats", "tags",
                                            "outcome", "to", "by", "added", "choice", "seq", "id"};
        enum { N = sizeof NAMES / sizeof NAMES[0] };
        CodecView viewed[N], walked[N];
        if (codec_view_members(&root, NAMES, N, viewed) != codec_canon_members(&fast, &root, NAMES, N, walked))
            abort();
        for (size_t i = 0; i < N; i++)
            if (viewed[i].len != walked[i].len || (viewed[i].len && viewed[i].at != walked[i].at))
                abort();
    }
    if (rc == CODEC_OK && decoded == CODEC_OK) {
        StrBuf slow = STRBUF_INIT;
        if (audit_canon(value, &slow) != AUDIT_OK || slow.len != fast.text.len ||
            memcmp(slow.data, fast.text.data, slow.len) != 0)
            abort();   /* two canonical forms of one record */
        strbuf_free(&slow);
    }
    codec_canon_free(&fast);
}

/* The value's bytes of format 1 have the canonical form its bytes of format 2 (`two`)
   have: a store written before format 2 verifies as it did. */
static void formats_agree(const json_t *value, const StrBuf *two)
{
    StrBuf one = STRBUF_INIT;
    CodecCanon a = {0}, b = {0};
    if (codec_encode_format(value, CODEC_FORMAT_1, &one) == CODEC_OK &&
        codec_canon(&a, one.data, one.len) == CODEC_OK && codec_canon(&b, two->data, two->len) == CODEC_OK &&
        (a.text.len != b.text.len || memcmp(a.text.data, b.text.data, a.text.len) != 0))
        abort();   /* one value, two canonical forms */
    codec_canon_free(&a);
    codec_canon_free(&b);
    strbuf_free(&one);
}

/* `data` as a value of `table` (seen, cases): read whole or refused, and a typed one
   written again from what it reads as is the same bytes. */
static void small_value_agrees(StoreTable table, const uint8_t *data, size_t size)
{
    json_t *value;
    char why[256] = "";
    int rc = small_value_load(table, data, size, &value, why, sizeof why);
    bool typed = small_value_typed(table, data, size);
    int64_t at;
    CaseOwner owner;
    EventEntry event = {0};
    int direct = !typed ? rc
               : table == TABLE_SEEN ? seen_value_at(data, size, &at, why, sizeof why)
               : table == TABLE_CASES ? case_owner_decode(data, size, &owner, why, sizeof why)
                                      : event_entry_decode(table, data, size, &event, why, sizeof why);
    json_decref(event.data);
    if (direct != rc || (rc != CODEC_OK && (value || !why[0])))
        abort();   /* the readers disagree, or a refusal says nothing */
    if (rc != CODEC_OK || !typed) {
        json_decref(value);
        return;
    }
    StrBuf again = STRBUF_INIT;
    if (!small_value_encode_json(table, value, &again))
        abort();   /* what a typed value reads as has a typed form */
    if (table != TABLE_MAILBOX && (again.len != size || memcmp(again.data, data, size) != 0))
        abort();   /* a seen entry or case owner has one form */
    json_t *back;
    if (table == TABLE_MAILBOX) {   /* an event's data is the codec's: the same object */
        if (small_value_load(table, again.data, again.len, &back, why, sizeof why) != CODEC_OK)
            abort();
        char *a = json_dumps(value, JSON_COMPACT | JSON_ENCODE_ANY | JSON_PRESERVE_ORDER);
        char *b = json_dumps(back, JSON_COMPACT | JSON_ENCODE_ANY | JSON_PRESERVE_ORDER);
        if (!a || !b || strcmp(a, b) != 0)
            abort();
        free(a);
        free(b);
        json_decref(back);
    }
    strbuf_free(&again);
    json_decref(value);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    small_value_agrees(TABLE_SEEN, data, size);
    small_value_agrees(TABLE_CASES, data, size);
    small_value_agrees(TABLE_MAILBOX, data, size);   /* threshold windows' entries alike */
    json_t *value;
    char why[256];
    int rc = codec_load(data, size, &value, why, sizeof why);
    canon_agrees(data, size, rc, value);
    if (rc != CODEC_OK) {
        if (value || !why[0])
            abort();   /* a refusal hands nothing back and says why */
        return 0;
    }
    StrBuf bytes = STRBUF_INIT;
    rc = codec_encode(value, &bytes);
    if (rc == CODEC_OK) {
        json_t *again;
        if (codec_decode(bytes.data, bytes.len, &again, why, sizeof why) != CODEC_OK)
            abort();
        StrBuf twice = STRBUF_INIT;
        if (codec_encode(again, &twice) != CODEC_OK || twice.len != bytes.len ||
            memcmp(twice.data, bytes.data, bytes.len) != 0)
            abort();
        strbuf_free(&twice);
        json_decref(again);
        formats_agree(value, &bytes);
    } else if (rc != CODEC_TOO_DEEP && rc != CODEC_NO_MEMORY) {
        abort();   /* only JSON text deeper than a record may be is refused */
    }
    strbuf_free(&bytes);
    json_decref(value);
    return 0;
}
