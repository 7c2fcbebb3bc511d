/*
 * engine_audit_index.c - the decisions index (TABLE_DECISIONS, schema 4): what `audit
 * search` filters on, kept as history records are written, in the step's transaction
 * (step_write_records), so it is never behind the history, also after a crash. The
 * upgrade builds it from the history of an older store (engine_upgrade.c).
 *
 * Keys, by their first byte (ORDER is 24 bytes: the time asked, the instance number and
 * the task number, each big-endian and complemented, so that key order is newest first,
 * the order search returns):
 *
 *   'd' ORDER                      -> a decision row (below)
 *   'k' task (8)                   -> its ORDER (to find the row from a later record)
 *   'i' instance (8)               -> an instance row: playbook, outcome, tags (only for an
 *                                     instance with decisions or tags: index_instance)
 *   'p' playbook 0 ORDER           -> (empty) the decisions of a playbook
 *   's' playbook 0 state 0 ORDER   -> (empty) of a playbook and state
 *   'h' person 0 ORDER             -> (empty) those a person took part in: asked, held,
 *                                     answered, was handed away from as it was asked, or
 *                                     acted on as an operator (schema 7: the last two)
 *
 * Names longer than INDEX_NAME_MAX bytes get no 'p', 's' or 'h' key (a search for one
 * reads the 'd' rows instead). Rows are little-endian: a decision row is version (1),
 * flags (1: decided), asked ms (8), decided ms (8), instance (8), task (8), then the
 * strings playbook, state and choice (u32 length, bytes), then u32 people, each roles
 * (1: asked, 2: held, 4: answered, 8: handed away as it was asked, 16: an operator who
 * overrode it or reassigned a seat; schema 6 and older have the first three) and a string; an instance row is version, flags (1: ended with an
 * outcome; 2: failed, the outcome its reason), playbook, outcome, u32 tags and the tags.
 * Outcome and tags change after the decisions are made, so they stay in the instance
 * row and a search joins them. A row written before 2026-12-06's late evening keeps
 * "failed" without flag 2 as a failed instance's outcome: a search by outcome reads the
 * history of such a row's instance whatever the outcome it looks for (row_may_match).
 */
#include "engine_internal.h"
#include "grow.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ROW_VERSION 1
#define ORDER_LEN 24
#define INDEX_NAME_MAX 200
#define ROLE_ASKED 1
#define ROLE_HELD 2
#define ROLE_ANSWERED 4
#define ROLE_HANDED 8       /* their seat went to someone else as the ask was made (away) */
#define ROLE_OPERATOR 16    /* decided it by an override, or reassigned a seat (`by`) */
#define ROLES_SCHEMA_6 (ROLE_ASKED | ROLE_HELD | ROLE_ANSWERED)
#define ROLES_ALL (ROLES_SCHEMA_6 | ROLE_HANDED | ROLE_OPERATOR)
#define PEOPLE_MAX 64       /* people a decision row names; more get only their 'h' key */

/* ---- bytes ---- */

static void put_u64(StrBuf *out, uint64_t v)
{
    unsigned char b[8];
    for (int i = 0; i < 8; i++)
        b[i] = (unsigned char)(v >> (8 * i));
    strbuf_put(out, b, 8);
}

static void put_text(StrBuf *out, const char *text)
{
    size_t len = text ? strlen(text) : 0;
    char b[4];
    engine_set_le32(b, (uint32_t)len);
    strbuf_put(out, b, 4);
    strbuf_put(out, text ? text : "", len);
}

typedef struct Reader {
    const unsigned char *at, *end;
    bool bad;
} Reader;

static uint64_t get_u64(Reader *r)
{
    if (r->end - r->at < 8) {
        r->bad = true;
        return 0;
    }
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = v << 8 | r->at[i];
    r->at += 8;
    return v;
}

static unsigned get_u8(Reader *r)
{
    if (r->at >= r->end) {
        r->bad = true;
        return 0;
    }
    return *r->at++;
}

static uint32_t get_u32(Reader *r)
{
    if (r->end - r->at < 4) {
        r->bad = true;
        return 0;
    }
    uint32_t v = engine_get_le32(r->at);
    r->at += 4;
    return v;
}

/* A string of the row: its bytes (not terminated) and length. */
static StoreBytes get_text(Reader *r)
{
    uint32_t len = get_u32(r);
    if (r->bad || (size_t)(r->end - r->at) < len) {
        r->bad = true;
        return store_bytes("", 0);
    }
    StoreBytes b = store_bytes(r->at, len);
    r->at += len;
    return b;
}

/* ---- keys ---- */

static void order_key(int64_t asked_ms, uint64_t instance, uint64_t task, unsigned char out[ORDER_LEN])
{
    store_be64(~((uint64_t)asked_ms ^ UINT64_C(0x8000000000000000)), out);
    store_be64(~instance, out + 8);
    store_be64(~task, out + 16);
}

static int64_t order_asked(const unsigned char *order)
{
    return (int64_t)(~store_read_be64(order) ^ UINT64_C(0x8000000000000000));
}

/* `tag` then the names (each followed by a 0 byte), then `order` when not NULL. */
static void name_key(StrBuf *key, char tag, const char *a, const char *b, const unsigned char *order)
{
    key->len = 0;
    strbuf_put(key, &tag, 1);
    strbuf_put(key, a, strlen(a) + 1);
    if (b)
        strbuf_put(key, b, strlen(b) + 1);
    if (order)
        strbuf_put(key, order, ORDER_LEN);
}

static bool name_indexed(const char *name)
{
    return name && strlen(name) <= INDEX_NAME_MAX;
}

static void number_key(char tag, uint64_t n, unsigned char out[9])
{
    out[0] = (unsigned char)tag;
    store_be64(n, out + 1);
}

/* ---- the rows in memory ---- */

typedef struct Person {
    char *name;
    unsigned roles;
} Person;

typedef struct DecisionRow {
    bool decided;
    int64_t asked_ms, decided_ms;
    uint64_t instance, task;
    char *playbook, *state, *choice;
    Person people[PEOPLE_MAX];
    size_t people_count;
} DecisionRow;

static char *text_dup(StoreBytes b)
{
    char *s = engine_alloc(b.len + 1);
    if (s) {
        memcpy(s, b.data, b.len);
        s[b.len] = 0;
    }
    return s;
}

static void row_free(DecisionRow *row)
{
    engine_release(row->playbook);
    engine_release(row->state);
    engine_release(row->choice);
    for (size_t i = 0; i < row->people_count; i++)
        engine_release(row->people[i].name);
    memset(row, 0, sizeof *row);
}

static void row_encode(const DecisionRow *row, StrBuf *out)
{
    out->len = 0;
    char head[2] = {ROW_VERSION, row->decided};
    strbuf_put(out, head, 2);
    put_u64(out, (uint64_t)row->asked_ms);
    put_u64(out, (uint64_t)row->decided_ms);
    put_u64(out, row->instance);
    put_u64(out, row->task);
    put_text(out, row->playbook);
    put_text(out, row->state);
    put_text(out, row->choice);
    char n[4];
    engine_set_le32(n, (uint32_t)row->people_count);
    strbuf_put(out, n, 4);
    for (size_t i = 0; i < row->people_count; i++) {
        char roles = (char)row->people[i].roles;
        strbuf_put(out, &roles, 1);
        put_text(out, row->people[i].name);
    }
}

static bool row_decode(StoreBytes value, DecisionRow *row)
{
    Reader r = {value.data, (const unsigned char *)value.data + value.len, false};
    memset(row, 0, sizeof *row);
    if (get_u8(&r) != ROW_VERSION)
        return false;
    row->decided = get_u8(&r) & 1;
    row->asked_ms = (int64_t)get_u64(&r);
    row->decided_ms = (int64_t)get_u64(&r);
    row->instance = get_u64(&r);
    row->task = get_u64(&r);
    row->playbook = text_dup(get_text(&r));
    row->state = text_dup(get_text(&r));
    row->choice = text_dup(get_text(&r));
    uint32_t n = get_u32(&r);
    for (uint32_t i = 0; i < n && i < PEOPLE_MAX && !r.bad; i++) {
        row->people[i].roles = get_u8(&r);
        row->people[i].name = text_dup(get_text(&r));
        row->people_count = i + 1;
    }
    bool ok = !r.bad && n <= PEOPLE_MAX && row->playbook && row->state && row->choice;
    for (size_t i = 0; i < row->people_count; i++)
        ok = ok && row->people[i].name;
    if (!ok)
        row_free(row);
    return ok;
}

/* ---- writing ---- */

typedef struct Writer {
    StoreTxn *txn;
    StrBuf key, value;
    CodecCanon check;       /* a stored record checked before it is read (record_open) */
    StrBuf encoded;         /* a stored record of JSON text, encoded to be read */
    const StepRecords *linked;  /* the step's records the chain has checked (NULL: none) */
    size_t linked_count;
    const CodecCanon *walked;   /* the chain's walk of the record indexed (NULL: none) */
    unsigned roles_kept;        /* the roles the schema written to keeps (ROLES_ALL) */
    StrBuf handed;              /* building: the `from`s (each with its NUL) of the seats
                                   handed over just before the next `asked` */
} Writer;

static void writer_free(Writer *w)
{
    strbuf_free(&w->key);
    strbuf_free(&w->value);
    strbuf_free(&w->encoded);
    strbuf_free(&w->handed);
    codec_canon_free(&w->check);
}

/* ---- the fields of a record, read from its bytes (engine_codec_view.c) ---- */

/* The string `v` holds as json_string_value gives it (up to a NUL it holds), copied
   into *out: NULL when `v` is not a string. STORE_OK or STORE_NO_MEMORY. */
static int view_text(const CodecView *v, char **out)
{
    char buf[CODEC_VIEW_TEXT];
    const char *text;
    size_t len;
    *out = NULL;
    if (!codec_view_string(v, buf, &text, &len))
        return STORE_OK;
    const char *nul = memchr(text, 0, len);
    *out = text_dup(store_bytes(text, nul ? (size_t)(nul - text) : len));
    return *out ? STORE_OK : STORE_NO_MEMORY;
}

/* The members of a record the index reads, found in one walk of it (index_record). */
enum { F_KIND, F_INSTANCE, F_TASK, F_AT, F_STATE, F_SEATS, F_TAGS, F_OUTCOME, F_TO, F_BY, F_ADDED, F_CHOICE,
       F_FROM, F_REASON, F_COUNT };
static const char *const FIELD_NAMES[F_COUNT] = {"kind", "instance", "task", "at", "state", "seats", "tags",
                                                 "outcome", "to", "by", "added", "choice", "from", "reason"};

/* view_text of a field (NULL when the record has none: its len is 0). */
static int member_text(const CodecView *field, char **out)
{
    *out = NULL;
    return field->len ? view_text(field, out) : STORE_OK;
}

/* A field's text as member_text gives it, read without a malloc when it is short (a
   kind, an id, a time, a name: nearly all): `text` points into `own`, or into `heap`
   for a longer one (field_text_free releases it). */
typedef struct FieldText {
    const char *text;       /* NULL: no field, or not a string */
    char *heap;
    char own[64];
} FieldText;

static int field_text(const CodecView *field, FieldText *t)
{
    char buf[CODEC_VIEW_TEXT];
    const char *text;
    size_t len;
    t->text = t->heap = NULL;
    if (!field->len || !codec_view_string(field, buf, &text, &len))
        return STORE_OK;
    const char *nul = memchr(text, 0, len);
    if (nul)
        len = (size_t)(nul - text);
    char *to = t->own;
    if (len >= sizeof t->own && !(to = t->heap = engine_alloc(len + 1)))
        return STORE_NO_MEMORY;
    memcpy(to, text, len);
    to[len] = '\0';
    t->text = to;
    return STORE_OK;
}

static void field_text_free(FieldText *t)
{
    engine_release(t->heap);
    t->heap = NULL;
}

/* A record read from the store, as codec_load would take it: *view on its bytes (or on
   the binary form of a record of JSON text), or *readable false for one codec_load
   refuses (damaged: verify names it). STORE_OK or STORE_NO_MEMORY. */
static int record_open(Writer *w, StoreBytes record, CodecView *view, bool *readable)
{
    *readable = false;
    if (codec_is_binary(record.data, record.len)) {
        int rc = codec_canon_check(&w->check, record.data, record.len);
        if (rc == CODEC_NO_MEMORY)
            return STORE_NO_MEMORY;
        *readable = rc == CODEC_OK && codec_view_open(record.data, record.len, view);
        return STORE_OK;
    }
    json_t *value;
    char why[240];
    int rc = codec_load(record.data, record.len, &value, why, sizeof why);
    if (rc == CODEC_NO_MEMORY)
        return STORE_NO_MEMORY;
    if (rc != CODEC_OK)
        return STORE_OK;
    w->encoded.len = 0;
    rc = codec_encode(value, &w->encoded);
    json_decref(value);
    if (rc == CODEC_NO_MEMORY)
        return STORE_NO_MEMORY;
    *readable = rc == CODEC_OK && codec_view_open(w->encoded.data, w->encoded.len, view);
    return STORE_OK;
}

static int put_empty(Writer *w)
{
    if (strbuf_failed(&w->key))
        return STORE_NO_MEMORY;
    return store_put(w->txn, TABLE_DECISIONS, store_bytes(w->key.data, w->key.len), store_bytes("", 0));
}

/* The instance row of `instance`: its playbook, outcome (NULL: none; a failed's reason)
   and tags. */
typedef struct InstanceRow {
    char *playbook, *outcome;
    bool failed;            /* ended failed: `outcome` is its reason */
    json_t *tags;           /* strings */
} InstanceRow;

static void instance_row_free(InstanceRow *in)
{
    engine_release(in->playbook);
    engine_release(in->outcome);
    json_decref(in->tags);
    memset(in, 0, sizeof *in);
}

static bool instance_row_decode(StoreBytes value, InstanceRow *in)
{
    Reader r = {value.data, (const unsigned char *)value.data + value.len, false};
    memset(in, 0, sizeof *in);
    in->tags = json_array();
    if (get_u8(&r) != ROW_VERSION)
        return false;
    unsigned flags = get_u8(&r);
    bool ended = flags & 1;
    in->failed = ended && (flags & 2);
    in->playbook = text_dup(get_text(&r));
    StoreBytes outcome = get_text(&r);
    in->outcome = ended ? text_dup(outcome) : NULL;
    uint32_t n = get_u32(&r);
    for (uint32_t i = 0; i < n && !r.bad; i++) {
        StoreBytes tag = get_text(&r);
        json_array_append_new(in->tags, json_stringn((const char *)tag.data, tag.len));
    }
    return !r.bad && in->playbook && in->tags && (!ended || in->outcome);
}

/* `unwritten`: the caller knows there is no row (row_unwritten), nothing read. */
static int instance_row_get(StoreTxn *txn, uint64_t instance, bool unwritten, InstanceRow *in)
{
    unsigned char key[9];
    number_key('i', instance, key);
    StoreBytes value;
    int rc = unwritten ? STORE_NOT_FOUND : store_get(txn, TABLE_DECISIONS, store_bytes(key, 9), &value);
    if (rc == STORE_OK && !instance_row_decode(value, in))
        rc = STORE_NOT_FOUND;       /* not a row this huddle wrote: started again */
    if (rc == STORE_NOT_FOUND) {
        instance_row_free(in);
        in->playbook = text_dup(store_bytes("", 0));
        in->tags = json_array();
    }
    return rc;
}

static int instance_row_put(Writer *w, uint64_t instance, const InstanceRow *in)
{
    unsigned char key[9];
    number_key('i', instance, key);
    StrBuf *out = &w->value;
    out->len = 0;
    char head[2] = {ROW_VERSION, (char)((in->outcome != NULL) | (in->outcome && in->failed) << 1)};
    strbuf_put(out, head, 2);
    put_text(out, in->playbook);
    put_text(out, in->outcome);
    char n[4];
    engine_set_le32(n, (uint32_t)json_array_size(in->tags));
    strbuf_put(out, n, 4);
    size_t i;
    json_t *tag;
    json_array_foreach(in->tags, i, tag)
        put_text(out, json_string_value(tag));
    if (strbuf_failed(out))
        return STORE_NO_MEMORY;
    return store_put(w->txn, TABLE_DECISIONS, store_bytes(key, 9), store_bytes(out->data, out->len));
}

/* The instance's record 1 among the step's records the chain has checked (and stored
   in this transaction): read as it is, no read of the store or check again. */
static bool started_linked(const Writer *w, uint64_t instance, CodecView *record)
{
    for (size_t i = 0; w->linked && i < w->linked_count; i++) {
        const StepRecord *item = &w->linked->items[i];
        if (item->instance == instance && item->seq == 1) {
            StoreBytes bytes = step_record_bytes(w->linked, i);
            return codec_view_open(bytes.data, bytes.len, record);
        }
    }
    return false;
}

/* The members started_playbook reads of the last `started` record the chain linked in
   this thread (audit_index_started), found in the chain's walk of it: for that record,
   no second walk. The views point into the step's record bytes, which `record` names. */
static const char *const STARTED_NAMES[] = {"kind", "playbook"};
typedef struct StartedNote {
    const void *record;             /* NULL: none */
    size_t len;
    uint64_t instance;
    CodecView field[2];
} StartedNote;
static _Thread_local StartedNote started_note;

void audit_index_started(uint64_t instance, const void *record, size_t len, const CodecCanon *walked)
{
    StartedNote *n = &started_note;
    CodecView view;
    n->record = NULL;
    if (!walked || !codec_view_open(record, len, &view))
        return;
    codec_canon_members(walked, &view, STARTED_NAMES, 2, n->field);
    *n = (StartedNote){record, len, instance, {n->field[0], n->field[1]}};
}

/* The playbook of `instance` as its `started` record (history record 1) names it, for
   the instance row made when the instance first has something to index: "" when that
   record is missing or says none (the row then joins no playbook, as before). */
static int started_playbook(Writer *w, uint64_t instance, char **playbook)
{
    HistoryItem item;
    CodecView record, field[2] = {{.len = 0}, {.len = 0}};
    bool readable = started_linked(w, instance, &record);
    const StartedNote *note = &started_note;
    bool noted = readable && note->record == record.bytes && note->len == record.len && note->instance == instance;
    FieldText kind = {.text = NULL}, text = {.text = NULL};
    int rc = readable ? STORE_OK : history_get(w->txn, instance, 1, &item);
    if (rc != STORE_OK && rc != STORE_NOT_FOUND)
        return rc;
    if (!readable)
        rc = rc == STORE_OK ? record_open(w, item.record, &record, &readable) : STORE_OK;
    if (rc == STORE_OK && readable) {
        if (noted) {
            field[0] = note->field[0];
            field[1] = note->field[1];
        } else
            codec_view_members(&record, STARTED_NAMES, 2, field);
        rc = field_text(&field[0], &kind);
    }
    if (rc == STORE_OK && kind.text && strcmp(kind.text, "started") == 0)
        rc = field_text(&field[1], &text);
    engine_release(*playbook);
    *playbook = rc == STORE_OK ? text_dup(store_bytes(text.text ? text.text : "", text.text ? strlen(text.text) : 0))
              : NULL;
    field_text_free(&kind);
    field_text_free(&text);
    return *playbook ? STORE_OK : rc == STORE_OK ? STORE_NO_MEMORY : rc;
}

/* Whether `instance` has no instance row for certain: it started in this transaction
   (its record 1 is among the records linked before this one) and none of those records
   is of a kind that makes the row (index_instance's `tagged`, index_asked's `asked`), so
   the store need not be asked. */
static bool row_unwritten(const Writer *w, uint64_t instance)
{
    bool started = false;
    for (size_t i = 0; w->linked && i < w->linked_count; i++) {
        const StepRecord *item = &w->linked->items[i];
        if (item->instance != instance)
            continue;
        if (strcmp(item->kind, "tagged") == 0 || strcmp(item->kind, "asked") == 0)
            return false;
        started = started || item->seq == 1;
    }
    return started;
}

/* The instance row of `instance`; when it has none yet (`*made`), one made from its
   `started` record if `make`, else STORE_NOT_FOUND (nothing read past the index). */
static int instance_row_load(Writer *w, uint64_t instance, bool make, InstanceRow *in, bool *made)
{
    int rc = instance_row_get(w->txn, instance, row_unwritten(w, instance), in);
    *made = rc == STORE_NOT_FOUND;
    if (rc == STORE_NOT_FOUND && make)
        rc = started_playbook(w, instance, &in->playbook);
    return rc;
}

/* Adds the record's tags (its strings, whole) the row does not have yet. */
static int instance_row_tag(InstanceRow *in, const CodecView *tags)
{
    CodecView tag;
    CodecViewItems items;
    char buf[CODEC_VIEW_TEXT];
    const char *text;
    size_t len, k;
    json_t *have;
    if (!tags->len)
        return STORE_OK;
    codec_view_items(tags, &items);
    if (items.object)
        return STORE_OK;            /* json_array_foreach of an object: no items */
    while (codec_view_next(&items, &tag, NULL, NULL)) {
        if (!codec_view_string(&tag, buf, &text, &len))
            continue;
        bool found = false;
        json_array_foreach(in->tags, k, have)
            found = found || (json_string_length(have) == len && memcmp(json_string_value(have), text, len) == 0);
        if (!found && json_array_append_new(in->tags, json_stringn_nocheck(text, len)) != 0)
            return STORE_NO_MEMORY;
    }
    return STORE_OK;
}

/* tagged, done, failed, cancelled: the instance row. Only an instance with something
   to index has one: tags, an outcome, decisions (index_asked makes it then). `started`
   writes none, and an instance that ends with neither tags nor decisions gets none:
   a search reaches instance rows only through decision rows, so the rows left out are
   never read (docs/internals.md, "The decisions index"). */
static int index_instance(Writer *w, const CodecView *f, const char *kind, uint64_t instance)
{
    if (strcmp(kind, "started") == 0)
        return STORE_OK;
    InstanceRow in = {0};
    bool made;
    int rc = instance_row_load(w, instance, strcmp(kind, "tagged") == 0, &in, &made);
    if (rc != STORE_OK) {
        instance_row_free(&in);     /* STORE_NOT_FOUND: ended with nothing indexed, no row */
        return rc == STORE_NOT_FOUND ? STORE_OK : rc;
    }
    if (strcmp(kind, "tagged") == 0)
        rc = instance_row_tag(&in, &f[F_TAGS]);
    else {
        engine_release(in.outcome);
        in.outcome = NULL;
        in.failed = strcmp(kind, "failed") == 0;
        if (strcmp(kind, "done") == 0)
            rc = member_text(&f[F_OUTCOME], &in.outcome);
        else if (in.failed)         /* its reason, as engine_audit_decisions' outcome */
            rc = member_text(&f[F_REASON], &in.outcome);
        if (rc == STORE_OK && !in.outcome && strcmp(kind, "done") != 0) {
            in.failed = false;      /* cancelled, or a failed with no reason: the kind */
            in.outcome = text_dup(store_bytes(kind, strlen(kind)));
        }
    }
    if (rc == STORE_OK)
        rc = in.playbook && in.tags ? instance_row_put(w, instance, &in) : STORE_NO_MEMORY;
    instance_row_free(&in);
    return rc;
}

/* Adds `roles` to `person` in the row; a person new to the row gets an 'h' key (also
   one the row, naming PEOPLE_MAX already, leaves out: search then cannot tell their
   roles from the row and reads the records). */
static int row_person(Writer *w, DecisionRow *row, const unsigned char *order, const char *name,
                      unsigned roles)
{
    roles &= w->roles_kept;
    if (!name || !roles)
        return STORE_OK;
    for (size_t i = 0; i < row->people_count; i++)
        if (strcmp(row->people[i].name, name) == 0) {
            row->people[i].roles |= roles;
            return STORE_OK;
        }
    if (row->people_count < PEOPLE_MAX) {   /* past that the row stops naming people */
        char *copy = text_dup(store_bytes(name, strlen(name)));
        if (!copy)
            return STORE_NO_MEMORY;
        row->people[row->people_count++] = (Person){copy, roles};
    }
    if (!name_indexed(name))
        return STORE_OK;
    name_key(&w->key, 'h', name, NULL, order);
    return put_empty(w);
}

/* row_person for the string `person` holds (none for another value). */
static int row_person_view(Writer *w, DecisionRow *row, const unsigned char *order, const CodecView *person,
                           unsigned roles)
{
    FieldText name;
    int rc = field_text(person, &name);
    if (rc == STORE_OK)
        rc = row_person(w, row, order, name.text, roles);
    field_text_free(&name);
    return rc;
}

/* row_person for each string of the array `people` (of the member `name` of `object`
   when `name` is not NULL). */
static int row_people(Writer *w, DecisionRow *row, const unsigned char *order, const CodecView *object,
                      const char *name, unsigned roles)
{
    CodecView people, person;
    CodecViewItems items;
    if (name && !codec_view_member(object, name, &people))
        return STORE_OK;
    codec_view_items(name ? &people : object, &items);
    if (items.object)
        return STORE_OK;
    int rc = STORE_OK;
    while (rc == STORE_OK && codec_view_next(&items, &person, NULL, NULL))
        rc = row_person_view(w, row, order, &person, roles);
    return rc;
}

/* The people whose seats were handed to someone else as the ask was made (away): the
   `from` of each `delegated` record with no task just before the `asked`, with only
   `unresolved` records between. In a step they are read back among the step's records;
   while building, index_kind noted them as the history was walked. */
static int row_handed(Writer *w, DecisionRow *row, const unsigned char *order, uint64_t instance)
{
    static const char *const NAMES[] = {"task", "from"};
    int rc = STORE_OK;
    if (!w->linked) {
        for (const char *at = w->handed.data, *end = at + w->handed.len; rc == STORE_OK && at && at < end;
             at += strlen(at) + 1)
            rc = row_person(w, row, order, at, ROLE_HANDED);
        return rc;
    }
    for (size_t j = w->linked_count; rc == STORE_OK && j-- > 0;) {
        const StepRecord *item = &w->linked->items[j];
        if (item->instance != instance || strcmp(item->kind, "delegated") != 0) {
            if (item->instance == instance && strcmp(item->kind, "unresolved") == 0)
                continue;
            break;
        }
        StoreBytes bytes = step_record_bytes(w->linked, j);
        CodecView record, field[2];
        if (!codec_view_open(bytes.data, bytes.len, &record))
            break;
        codec_view_members(&record, NAMES, 2, field);
        if (field[0].len)           /* a seat reassigned: it names its task */
            break;
        rc = row_person_view(w, row, order, &field[1], ROLE_HANDED);
    }
    return rc;
}

/* While building (no step's records at hand): notes the `from` of a `delegated` record
   with no task for the `asked` that follows; any record but an `unresolved` between
   lets them go (index_asked lets them go once read). */
static int note_handed(Writer *w, const CodecView *f, const char *kind, uint64_t task)
{
    if (strcmp(kind, "delegated") == 0 && !task) {
        FieldText from;
        int rc = field_text(&f[F_FROM], &from);
        if (rc == STORE_OK && from.text)
            strbuf_append(&w->handed, from.text, strlen(from.text) + 1);
        field_text_free(&from);
        return rc != STORE_OK ? rc : strbuf_failed(&w->handed) ? STORE_NO_MEMORY : STORE_OK;
    }
    if (strcmp(kind, "unresolved") != 0 && strcmp(kind, "asked") != 0)
        w->handed.len = 0;
    return STORE_OK;
}

static int row_put(Writer *w, const unsigned char *order, const DecisionRow *row)
{
    unsigned char key[1 + ORDER_LEN] = {'d'};
    memcpy(key + 1, order, ORDER_LEN);
    row_encode(row, &w->value);
    if (strbuf_failed(&w->value))
        return STORE_NO_MEMORY;
    return store_put(w->txn, TABLE_DECISIONS, store_bytes(key, sizeof key), store_bytes(w->value.data, w->value.len));
}

/* An asked record: a new row, its keys, the people asked. */
static int index_asked(Writer *w, const CodecView *f, uint64_t instance, uint64_t task, int64_t ms)
{
    InstanceRow in = {0};
    bool made;
    char *state = NULL;
    int rc = instance_row_load(w, instance, true, &in, &made);
    if (rc == STORE_OK && made)     /* its first decision: the row outcome and tags join */
        rc = in.playbook && in.tags ? instance_row_put(w, instance, &in) : STORE_NO_MEMORY;
    if (rc == STORE_OK)
        rc = member_text(&f[F_STATE], &state);
    if (rc != STORE_OK) {
        instance_row_free(&in);
        return rc;
    }
    DecisionRow row = {.asked_ms = ms, .instance = instance, .task = task, .playbook = in.playbook,
                       .state = state ? state : text_dup(store_bytes("", 0)),
                       .choice = text_dup(store_bytes("", 0))};
    in.playbook = NULL;
    instance_row_free(&in);
    unsigned char order[ORDER_LEN], kkey[9];
    order_key(ms, instance, task, order);
    number_key('k', task, kkey);
    rc = row.playbook && row.state && row.choice ? STORE_OK : STORE_NO_MEMORY;
    if (rc == STORE_OK)
        rc = store_put(w->txn, TABLE_DECISIONS, store_bytes(kkey, 9), store_bytes(order, ORDER_LEN));
    if (rc == STORE_OK && name_indexed(row.playbook)) {
        name_key(&w->key, 'p', row.playbook, NULL, order);
        rc = put_empty(w);
        if (rc == STORE_OK && name_indexed(row.state)) {
            name_key(&w->key, 's', row.playbook, row.state, order);
            rc = put_empty(w);
        }
    }
    CodecView seat;
    CodecViewItems items = {.left = 0};
    if (f[F_SEATS].len)
        codec_view_items(&f[F_SEATS], &items);
    while (rc == STORE_OK && !items.object && codec_view_next(&items, &seat, NULL, NULL))
        rc = row_people(w, &row, order, &seat, "holders", ROLE_ASKED | ROLE_HELD);
    if (rc == STORE_OK)
        rc = row_handed(w, &row, order, instance);
    w->handed.len = 0;
    if (rc == STORE_OK)
        rc = row_put(w, order, &row);
    row_free(&row);
    return rc;
}

/* A record about an asked task: its row changed. */
static int index_task(Writer *w, const CodecView *f, const char *kind, uint64_t task)
{
    unsigned char kkey[9], dkey[1 + ORDER_LEN] = {'d'};
    number_key('k', task, kkey);
    StoreBytes value;
    int rc = store_get(w->txn, TABLE_DECISIONS, store_bytes(kkey, 9), &value);
    if (rc == STORE_NOT_FOUND || (rc == STORE_OK && value.len != ORDER_LEN))
        return STORE_OK;            /* not a task this index knows: nothing to change */
    if (rc != STORE_OK)
        return rc;
    memcpy(dkey + 1, value.data, ORDER_LEN);
    const unsigned char *order = dkey + 1;
    rc = store_get(w->txn, TABLE_DECISIONS, store_bytes(dkey, sizeof dkey), &value);
    DecisionRow row;
    if (rc == STORE_NOT_FOUND || (rc == STORE_OK && !row_decode(value, &row)))
        return STORE_OK;
    if (rc != STORE_OK)
        return rc;
    if (strcmp(kind, "delegated") == 0 || strcmp(kind, "handover") == 0 || strcmp(kind, "answered") == 0) {
        bool by = kind[0] == 'a';
        if (f[by ? F_BY : F_TO].len)
            rc = row_person_view(w, &row, order, &f[by ? F_BY : F_TO], by ? ROLE_ANSWERED : ROLE_HELD);
        if (rc == STORE_OK && kind[0] == 'd' && f[F_BY].len)   /* reassigned by an operator */
            rc = row_person_view(w, &row, order, &f[F_BY], ROLE_OPERATOR);
    } else if (strcmp(kind, "overridden") == 0) {
        if (f[F_BY].len)
            rc = row_person_view(w, &row, order, &f[F_BY], ROLE_OPERATOR);
    } else if (strcmp(kind, "escalated") == 0) {
        CodecView people;
        CodecViewItems seats = {.left = 0};
        if (f[F_ADDED].len)
            codec_view_items(&f[F_ADDED], &seats);
        while (rc == STORE_OK && seats.object && codec_view_next(&seats, &people, NULL, NULL))
            rc = row_people(w, &row, order, &people, NULL, ROLE_HELD);
    } else if (strcmp(kind, "resolved") == 0) {
        FieldText choice = {.text = NULL}, at = {.text = NULL};
        rc = field_text(&f[F_CHOICE], &choice);
        if (rc == STORE_OK)
            rc = field_text(&f[F_AT], &at);
        engine_release(row.choice);
        row.choice = rc == STORE_OK
                   ? text_dup(store_bytes(choice.text ? choice.text : "", choice.text ? strlen(choice.text) : 0)) : NULL;
        row.decided = choice.text != NULL;
        if (at.text)
            value_parse_time(at.text, &row.decided_ms);
        field_text_free(&choice);
        field_text_free(&at);
        rc = row.choice ? STORE_OK : rc == STORE_OK ? STORE_NO_MEMORY : rc;
    } else {
        row_free(&row);
        return STORE_OK;
    }
    if (rc == STORE_OK)
        rc = row_put(w, order, &row);
    row_free(&row);
    return rc;
}

/* The instance or task number a field names (instance_number's: 0 for none). */
static int member_number(const CodecView *field, uint64_t *n)
{
    FieldText id;
    int rc = field_text(field, &id);
    *n = instance_number(id.text);
    field_text_free(&id);
    return rc;
}

static int index_kind(Writer *w, const CodecView *f, const char *kind)
{
    uint64_t instance, task;
    int rc = member_number(&f[F_INSTANCE], &instance);
    if (rc == STORE_OK)
        rc = member_number(&f[F_TASK], &task);
    if (rc != STORE_OK || !instance)
        return rc;
    if (!w->linked && (rc = note_handed(w, f, kind, task)) != STORE_OK)
        return rc;
    if (strcmp(kind, "started") == 0 || strcmp(kind, "tagged") == 0 || strcmp(kind, "done") == 0 ||
        strcmp(kind, "failed") == 0 || strcmp(kind, "cancelled") == 0)
        return index_instance(w, f, kind, instance);
    if (!task)
        return STORE_OK;
    if (strcmp(kind, "asked") == 0) {
        int64_t ms = 0;
        FieldText at;
        rc = field_text(&f[F_AT], &at);
        if (at.text)
            value_parse_time(at.text, &ms);
        field_text_free(&at);
        return rc == STORE_OK ? index_asked(w, f, instance, task, ms) : rc;
    }
    return index_task(w, f, kind, task);
}

static int index_record(Writer *w, const CodecView *record)
{
    CodecView field[F_COUNT];
    FieldText kind;
    if (w->walked)
        codec_canon_members(w->walked, record, FIELD_NAMES, F_COUNT, field);
    else
        codec_view_members(record, FIELD_NAMES, F_COUNT, field);
    int rc = field_text(&field[F_KIND], &kind);
    if (rc == STORE_OK && kind.text)
        rc = index_kind(w, field, kind.text);
    field_text_free(&kind);
    return rc;
}

int audit_index_needs(StoreTxn *txn, const char *kind, uint64_t instance, bool *needed)
{
    /* index_record's kinds that change a row: the instance's (index_instance; `started`
       writes none), the ask's (index_asked) and those index_task changes a row for */
    static const char *const KINDS[] = {"tagged", "asked", "delegated", "handover", "escalated", "answered",
                                        "overridden", "resolved", "done", "failed", "cancelled"};
    static const size_t ENDS = 8;   /* from here: an end, which changes only a row there is */
    *needed = false;
    switch (kind[0]) {      /* the first bytes of KINDS; most records start otherwise */
    case 't': case 'a': case 'd': case 'h': case 'e': case 'o': case 'r': case 'c': case 'f':
        break;
    default:
        return STORE_OK;
    }
    for (size_t i = 0; i < sizeof KINDS / sizeof KINDS[0]; i++) {
        if (kind[0] != KINDS[i][0] || strcmp(kind, KINDS[i]) != 0)
            continue;       /* the first byte first */
        if (i < ENDS) {
            *needed = true;
            return STORE_OK;
        }
        unsigned char key[9];
        StoreBytes value;
        number_key('i', instance, key);
        int rc = store_get(txn, TABLE_DECISIONS, store_bytes(key, 9), &value);
        *needed = rc == STORE_OK;   /* none: index_instance would find no row and write none */
        return rc == STORE_NOT_FOUND ? STORE_OK : rc;
    }
    return STORE_OK;
}

int audit_index_record(StoreTxn *txn, const void *record, size_t len, const StepRecords *linked,
                       size_t linked_count, const CodecCanon *walked, StrBuf scratch[2])
{
    Writer w = {.txn = txn, .key = STRBUF_INIT, .value = STRBUF_INIT, .check = {.text = STRBUF_INIT},
                .encoded = STRBUF_INIT, .linked = linked, .linked_count = linked_count, .walked = walked,
                .roles_kept = ROLES_ALL, .handed = STRBUF_INIT};
    if (scratch) {
        w.key = scratch[0];
        w.value = scratch[1];
    }
    CodecView view;
    int rc = codec_view_open(record, len, &view) ? index_record(&w, &view) : STORE_OK;
    if (scratch) {                  /* handed back, kept for the next record */
        scratch[0] = w.key;
        scratch[1] = w.value;
        w.key = w.value = (StrBuf)STRBUF_INIT;
    }
    writer_free(&w);
    return rc;
}

/* ---- building it from the history (the upgrade) ---- */

typedef struct Build {
    Writer w;
} Build;

static int build_visit(void *context, const HistoryItem *item)
{
    Build *b = context;
    CodecView record;
    bool readable;
    int rc = record_open(&b->w, item->record, &record, &readable);
    if (rc != STORE_OK || !readable)
        return rc;                  /* damaged: verify names it; the index leaves it out */
    return index_record(&b->w, &record);
}

/* Deletes every key of the table, a chunk at a time (a table is not written while it
   is scanned). */
typedef struct Clear {
    StrBuf keys;                    /* (u32 length, key)... */
    size_t count;
} Clear;

static int clear_visit(void *context, StoreBytes key, StoreBytes value)
{
    (void)value;
    Clear *c = context;
    char n[4];
    engine_set_le32(n, (uint32_t)key.len);
    strbuf_append(&c->keys, n, 4);
    strbuf_append(&c->keys, key.data, key.len);
    if (strbuf_failed(&c->keys))
        return STORE_NO_MEMORY;
    return ++c->count < 10000 ? STORE_OK : STORE_STOP;
}

int audit_index_clear(StoreTxn *txn)
{
    Clear c = {STRBUF_INIT, 0};
    int rc;
    do {
        c.keys.len = 0;
        c.count = 0;
        rc = store_scan(txn, TABLE_DECISIONS, store_bytes(NULL, 0), store_bytes(NULL, 0), clear_visit, &c);
        for (const char *at = c.keys.data, *end = at + c.keys.len; rc == STORE_OK && at && at < end;) {
            uint32_t len = engine_get_le32(at);
            rc = store_del(txn, TABLE_DECISIONS, store_bytes(at + 4, len));
            at += 4 + len;
        }
    } while (rc == STORE_OK && c.count > 0);
    strbuf_free(&c.keys);
    return rc;
}

int audit_index_build(StoreTxn *txn, unsigned schema)
{
    unsigned long failures = engine_alloc_failures();   /* a row missing a name is no row */
    int rc = audit_index_clear(txn);
    Build b = {{.txn = txn, .key = STRBUF_INIT, .value = STRBUF_INIT, .check = {.text = STRBUF_INIT},
                .encoded = STRBUF_INIT, .roles_kept = schema >= 7 ? ROLES_ALL : ROLES_SCHEMA_6,
                .handed = STRBUF_INIT}};
    HistoryWalk walk = {.visit = build_visit, .context = &b};
    if (rc == STORE_OK)
        rc = history_walk(txn, &walk);
    writer_free(&b.w);
    return rc == STORE_OK && engine_alloc_failures() != failures ? STORE_NO_MEMORY : rc;
}

/* ---- searching ---- */

typedef struct Search {
    Step *step;
    const json_t *filter;
    const char *playbook, *state, *choice, *outcome, *tag, *person;
    unsigned person_roles;          /* the roles `person` must have one of */
    int64_t since;
    json_int_t limit;
    bool rows;                      /* scanning 'd' rows (else keys naming them) */
    json_t *found;                  /* the decisions, newest first */
    json_t *folded;                 /* instance id -> {task id -> decision} */
    uint64_t instance;              /* the instance row in `in` (0: none) */
    InstanceRow in;
    bool in_found;
    int failed;
} Search;

static bool row_has_person(const DecisionRow *row, const char *name, unsigned roles)
{
    for (size_t i = 0; i < row->people_count; i++)
        if (strcmp(row->people[i].name, name) == 0)
            return (row->people[i].roles & roles) != 0;
    return row->people_count == PEOPLE_MAX;  /* not all named: cannot tell */
}

static const char *filter_text(const json_t *filter, const char *field)
{
    return json_string_value(json_object_get(filter, field));
}

/* The instance row of `instance` in q->in (kept while the rows visited share it). */
static int search_instance(Search *q, uint64_t instance)
{
    if (q->instance == instance)
        return STORE_OK;
    instance_row_free(&q->in);
    int rc = instance_row_get(q->step->txn, instance, false, &q->in);
    if (rc != STORE_OK && rc != STORE_NOT_FOUND)
        return rc;
    q->instance = instance;
    q->in_found = rc == STORE_OK;
    return STORE_OK;
}

/* The decision row a visited key names: its value for a 'd' key (q->rows), else the 'd'
   row of the ORDER the key ends with. STORE_OK, or a code for the visitor to return
   (q->failed set: ENGINE_FAILED for an index it cannot read). */
static int visited_bytes(Search *q, StoreBytes key, StoreBytes *value)
{
    if (key.len < 1 + ORDER_LEN)
        return q->failed = ENGINE_FAILED;
    if (!q->rows) {
        unsigned char dkey[1 + ORDER_LEN] = {'d'};
        memcpy(dkey + 1, (const char *)key.data + key.len - ORDER_LEN, ORDER_LEN);
        int rc = store_get(q->step->txn, TABLE_DECISIONS, store_bytes(dkey, sizeof dkey), value);
        if (rc != STORE_OK)
            return q->failed = rc == STORE_NOT_FOUND ? ENGINE_FAILED : rc;
    }
    return STORE_OK;
}

static int visited_row(Search *q, StoreBytes key, StoreBytes value, DecisionRow *row)
{
    int rc = visited_bytes(q, key, &value);
    if (rc != STORE_OK)
        return rc;
    return row_decode(value, row) ? STORE_OK : (q->failed = ENGINE_FAILED);
}

/* Whether a decision row's bytes say it was decided (its flags byte), without decoding
   it: an ask still open is never a similar decision. A row of another version is left
   to row_decode to refuse. */
static bool row_bytes_undecided(StoreBytes value)
{
    const unsigned char *b = value.data;
    return value.len >= 2 && b[0] == ROW_VERSION && !(b[1] & 1);
}

/* Whether an instance row may have ended with `outcome` (a search's --outcome, matched
   as audit_decision_matches does): its outcome is it, or it failed and `outcome` is
   "failed". A row that says "failed" without its failed flag was written before a
   failed's outcome became its reason (or is a done "failed"): its reason is not in it,
   so it may be anything and the history says. */
static bool row_outcome_may_be(const InstanceRow *in, const char *outcome)
{
    if (!in->outcome)
        return false;
    return strcmp(in->outcome, outcome) == 0 || (in->failed && strcmp(outcome, "failed") == 0) ||
           (!in->failed && strcmp(in->outcome, "failed") == 0);
}

/* Whether the row may match the filter: false only when it cannot. */
static int row_may_match(Search *q, const DecisionRow *row, bool *may)
{
    *may = false;
    if ((q->playbook && strcmp(row->playbook, q->playbook) != 0) ||
        (q->state && strcmp(row->state, q->state) != 0) ||
        (q->choice && (!row->decided || strcmp(row->choice, q->choice) != 0)))
        return STORE_OK;
    const char *person;
    static const struct { const char *field; unsigned roles; } PEOPLE[] = {
        {"asked", ROLE_ASKED}, {"held", ROLE_HELD}, {"answered", ROLE_ANSWERED},
        {"person", ROLE_HELD | ROLE_ANSWERED | ROLE_HANDED | ROLE_OPERATOR}};
    for (size_t i = 0; i < sizeof PEOPLE / sizeof PEOPLE[0]; i++)
        if ((person = filter_text(q->filter, PEOPLE[i].field)) && !row_has_person(row, person, PEOPLE[i].roles))
            return STORE_OK;
    if (q->outcome || q->tag) {
        int rc = search_instance(q, row->instance);
        if (rc != STORE_OK)
            return rc;
        if (q->in_found && q->outcome && !row_outcome_may_be(&q->in, q->outcome))
            return STORE_OK;
        if (q->in_found && q->tag) {
            bool has = false;
            size_t i;
            json_t *tag;
            json_array_foreach(q->in.tags, i, tag)
                has = has || strcmp(json_string_value(tag), q->tag) == 0;
            if (!has)
                return STORE_OK;
        }
    }
    *may = true;
    return STORE_OK;
}

/* The decisions of `instance` as engine_audit_decisions makes them, by task id
   (borrowed from q->folded). */
static int instance_decisions(Search *q, uint64_t instance, json_t **out)
{
    char id[24];
    snprintf(id, sizeof id, "i%llu", (unsigned long long)instance);
    *out = json_object_get(q->folded, id);
    if (*out)
        return STORE_OK;
    json_t *list;
    int rc = audit_fold_instance(q->step, instance, &list);
    if (rc != STORE_OK)
        return rc;
    json_t *by_task = json_object();
    size_t i;
    json_t *d;
    json_array_foreach(list, i, d)
        json_object_set(by_task, json_string_value(json_object_get(d, "task")), d);
    json_decref(list);
    json_object_set_new(q->folded, id, by_task);
    *out = by_task;
    return STORE_OK;
}

/* A row that may match: its decision, folded from its instance's records, checked
   against the whole filter (words too) and kept. */
static int search_row(Search *q, const DecisionRow *row)
{
    bool may;
    int rc = row_may_match(q, row, &may);
    if (rc != STORE_OK || !may)
        return rc;
    json_t *decisions;
    rc = instance_decisions(q, row->instance, &decisions);
    if (rc != STORE_OK)
        return rc;
    char task[24];
    snprintf(task, sizeof task, "t%llu", (unsigned long long)row->task);
    json_t *d = json_object_get(decisions, task);
    if (!d || !audit_decision_matches(d, q->filter))
        return STORE_OK;
    json_array_append(q->found, d);
    return q->limit > 0 && (json_int_t)json_array_size(q->found) >= q->limit ? STORE_STOP : STORE_OK;
}

static int search_visit(void *context, StoreBytes key, StoreBytes value)
{
    Search *q = context;
    if (key.len >= 1 + ORDER_LEN && order_asked((const unsigned char *)key.data + key.len - ORDER_LEN) < q->since)
        return STORE_STOP;          /* newest first: the rest are older */
    DecisionRow row;
    int rc = visited_row(q, key, value, &row);
    if (rc != STORE_OK)
        return rc;                  /* q->failed: the search falls back to the history */
    rc = search_row(q, &row);
    row_free(&row);
    return rc;
}

/* The keys to scan: a person's, a playbook and state's, a playbook's, or every row. */
static void search_prefix(Search *q, StrBuf *prefix)
{
    static const char *const PEOPLE[] = {"answered", "asked", "held", "person"};
    for (size_t i = 0; i < sizeof PEOPLE / sizeof PEOPLE[0]; i++) {
        const char *person = filter_text(q->filter, PEOPLE[i]);
        if (name_indexed(person)) {
            name_key(prefix, 'h', person, NULL, NULL);
            return;
        }
    }
    if (name_indexed(q->playbook) && name_indexed(q->state))
        name_key(prefix, 's', q->playbook, q->state, NULL);
    else if (name_indexed(q->playbook))
        name_key(prefix, 'p', q->playbook, NULL, NULL);
    else
        strbuf_append(prefix, "d", 1);
    q->rows = prefix->data && prefix->data[0] == 'd';
}

static int search_work(Step *s, void *context)
{
    Search *q = context;
    q->step = s;
    unsigned version = 0;
    int rc = store_schema(s->txn, &version);
    if (rc != STORE_OK || version < 4 || !store_has(s->txn, TABLE_DECISIONS) ||
        (version < 7 && filter_text(q->filter, "person"))) {
        q->failed = STORE_NOT_FOUND;        /* no index (or, before schema 7, one whose rows
                                               lack roles --person finds): the caller folds */
        return STORE_OK;
    }
    StrBuf prefix = STRBUF_INIT, from = STRBUF_INIT;
    search_prefix(q, &prefix);
    strbuf_append(&from, prefix.data, prefix.len);
    json_t *until = json_object_get(q->filter, "until");
    if (until) {
        unsigned char order[ORDER_LEN];
        order_key(json_integer_value(until), UINT64_MAX, UINT64_MAX, order);
        strbuf_append(&from, (const char *)order, ORDER_LEN);
    }
    rc = strbuf_failed(&prefix) || strbuf_failed(&from) ? STORE_NO_MEMORY
       : store_scan(s->txn, TABLE_DECISIONS, store_bytes(prefix.data, prefix.len),
                    store_bytes(from.data, from.len), search_visit, q);
    strbuf_free(&prefix);
    strbuf_free(&from);
    if (q->failed == ENGINE_FAILED)
        return STORE_OK;                    /* a row it cannot read: engine_audit_search folds */
    return rc == STORE_NO_MEMORY ? step_fail(s, ENGINE_NO_MEMORY, "out of memory")
         : rc != STORE_OK ? step_fail(s, rc, "store error reading the decisions index: %s", store_strerror(rc))
         : STORE_OK;
}

int audit_index_search(Engine *e, const json_t *filter, json_t **out, bool *used, char *why, size_t why_len)
{
    Search q = {0};
    q.filter = filter;
    q.playbook = filter_text(filter, "playbook");
    q.state = filter_text(filter, "state");
    q.choice = filter_text(filter, "choice");
    q.outcome = filter_text(filter, "outcome");
    q.tag = filter_text(filter, "tag");
    json_t *since = json_object_get(filter, "since");
    q.since = since ? json_integer_value(since) : INT64_MIN;
    q.limit = json_integer_value(json_object_get(filter, "limit"));
    q.found = json_array();
    q.folded = json_object();
    *out = NULL;
    *used = false;
    int rc = engine_read(e, search_work, &q, why, why_len);
    instance_row_free(&q.in);
    json_decref(q.folded);
    if (q.failed == STORE_NOT_FOUND || q.failed == ENGINE_FAILED || rc != ENGINE_OK) {
        json_decref(q.found);
        *used = q.failed != STORE_NOT_FOUND && q.failed != ENGINE_FAILED;
        return *used ? rc : ENGINE_OK;
    }
    *used = true;
    *out = q.found;
    return q.found ? ENGINE_OK : ENGINE_NO_MEMORY;
}

/* ---- the similar past decisions of open asks ---- */

#define SIMILAR_MAX 16      /* more than `huddle tasks` shows (3) */

typedef struct Like {
    size_t shared;
    int64_t decided_ms;
    uint64_t task, instance;
    char task_id[24];
} Like;

/* A decided ask of the playbook and state being listed, with its instance's tags. */
typedef struct PastDecision {
    Like like;                      /* shared 0; the task's id as text made once */
    json_t *tags;                   /* a reference; NULL: none */
} PastDecision;

/* The decided asks of one playbook and state, read from the index once for every open
   ask of that state a listing shows (the open asks of a state share them). */
typedef struct PastDecisions {
    char *playbook, *state;         /* owned; NULL: nothing read yet */
    PastDecision *items;
    size_t count, cap;
} PastDecisions;

typedef struct Similar {
    Search q;                       /* its step, instance row cache and folds */
    const char *playbook, *state;
    uint64_t except;                /* the open ask's task */
    const json_t *tags;             /* its instance's */
    Like best[SIMILAR_MAX];
    size_t count, limit;
    PastDecisions past;
} Similar;

static void past_clear(PastDecisions *p)
{
    for (size_t i = 0; i < p->count; i++)
        json_decref(p->items[i].tags);
    free(p->items);
    free(p->playbook);
    free(p->state);
    memset(p, 0, sizeof *p);
}

/* Whether `a` comes before `b` as engine_audit_similar sorts: most shared tags, then
   newest decided, then task id (as text) descending. */
static bool like_before(const Like *a, const Like *b)
{
    if (a->shared != b->shared)
        return a->shared > b->shared;
    if (a->decided_ms != b->decided_ms)
        return a->decided_ms > b->decided_ms;
    return strcmp(a->task_id, b->task_id) > 0;
}

static void like_keep(Similar *m, const Like *like)
{
    size_t at = m->count < m->limit ? m->count++ : m->limit;
    if (at == m->limit && !like_before(like, &m->best[m->limit - 1]))
        return;
    if (at == m->limit)
        at = m->limit - 1;
    while (at > 0 && like_before(like, &m->best[at - 1])) {
        m->best[at] = m->best[at - 1];
        at--;
    }
    m->best[at] = *like;
}

/* Keeps a decided row of the playbook and state in m->past, with its instance's tags. */
static int past_keep(Similar *m, const DecisionRow *row)
{
    if (!row->decided || strcmp(row->playbook, m->playbook) != 0 || strcmp(row->state, m->state) != 0)
        return STORE_OK;
    int rc = search_instance(&m->q, row->instance);
    if (rc != STORE_OK)
        return rc;
    PastDecisions *p = &m->past;
    PastDecision *items = grow_for_one(p->items, &p->cap, p->count, sizeof *items, 64, realloc);
    if (!items)
        return STORE_NO_MEMORY;
    p->items = items;
    PastDecision *d = &p->items[p->count++];
    d->like = (Like){0, row->decided_ms, row->task, row->instance, ""};
    snprintf(d->like.task_id, sizeof d->like.task_id, "t%llu", (unsigned long long)row->task);
    d->tags = json_incref(m->q.in.tags);
    return STORE_OK;
}

static int past_visit(void *context, StoreBytes key, StoreBytes value)
{
    Similar *m = context;
    int rc = visited_bytes(&m->q, key, &value);
    if (rc != STORE_OK || row_bytes_undecided(value))
        return rc;
    DecisionRow row;
    if (!row_decode(value, &row))
        return m->q.failed = ENGINE_FAILED;
    rc = past_keep(m, &row);
    row_free(&row);
    return rc;
}

/* m->past holds the decided asks of m->playbook and m->state: read from the index
   unless they were read for the ask before. */
static int past_read(Similar *m)
{
    PastDecisions *p = &m->past;
    if (p->playbook && strcmp(p->playbook, m->playbook) == 0 && strcmp(p->state, m->state) == 0)
        return STORE_OK;
    past_clear(p);
    p->playbook = strdup(m->playbook);
    p->state = strdup(m->state);
    StrBuf prefix = STRBUF_INIT;
    if (name_indexed(m->playbook) && name_indexed(m->state))
        name_key(&prefix, 's', m->playbook, m->state, NULL);
    else
        strbuf_append(&prefix, "d", 1);
    m->q.rows = prefix.data && prefix.data[0] == 'd';
    int rc = !p->playbook || !p->state || strbuf_failed(&prefix)
           ? STORE_NO_MEMORY
           : store_scan(m->q.step->txn, TABLE_DECISIONS, store_bytes(prefix.data, prefix.len), store_bytes(NULL, 0),
                        past_visit, m);
    strbuf_free(&prefix);
    if (rc != STORE_OK || m->q.failed)
        past_clear(p);      /* read again, or not at all, for the next ask */
    return rc;
}

/* The open ask's likes among m->past: its own task aside, each ranked by the tags its
   instance shares with the ask's (engine_audit_similar sorts the same way). */
static void past_rank(Similar *m)
{
    m->count = 0;
    for (size_t i = 0; i < m->past.count; i++) {
        const PastDecision *d = &m->past.items[i];
        if (d->like.task == m->except)
            continue;
        Like like = d->like;
        size_t k, j;
        json_t *tag, *have;
        json_array_foreach(m->tags, k, tag) {
            json_array_foreach(d->tags, j, have)
                if (json_equal(tag, have)) {
                    like.shared++;
                    break;
                }
        }
        like_keep(m, &like);
    }
}

/* The decisions kept in m->best, folded, for engine_audit_similar to sort and shape. */
static int similar_list(Similar *m, json_t **list)
{
    *list = json_array();
    for (size_t i = 0; i < m->count; i++) {
        json_t *decisions;
        int rc = instance_decisions(&m->q, m->best[i].instance, &decisions);
        if (rc != STORE_OK)
            return rc;
        json_t *d = json_object_get(decisions, m->best[i].task_id);
        if (d)
            json_array_append(*list, d);
    }
    return *list ? STORE_OK : STORE_NO_MEMORY;
}

/* One open ask's similar decisions (`*out`: NULL when its ask is not in the index). */
static int similar_task(Similar *m, const char *id, json_t **out)
{
    *out = NULL;
    unsigned char kkey[9], dkey[1 + ORDER_LEN] = {'d'};
    number_key('k', instance_number(id), kkey);
    StoreBytes value;
    int rc = store_get(m->q.step->txn, TABLE_DECISIONS, store_bytes(kkey, 9), &value);
    if (rc == STORE_OK && value.len == ORDER_LEN) {
        memcpy(dkey + 1, value.data, ORDER_LEN);
        rc = store_get(m->q.step->txn, TABLE_DECISIONS, store_bytes(dkey, sizeof dkey), &value);
    }
    if (rc == STORE_NOT_FOUND || (rc == STORE_OK && value.len == ORDER_LEN))
        return STORE_OK;
    DecisionRow own;
    if (rc != STORE_OK || !row_decode(value, &own))
        return rc != STORE_OK ? rc : (m->q.failed = ENGINE_FAILED);
    InstanceRow in = {0};
    rc = instance_row_get(m->q.step->txn, own.instance, false, &in);
    m->playbook = own.playbook;
    m->state = own.state;
    m->except = own.task;
    m->tags = in.tags;
    m->count = 0;
    if (rc == STORE_OK || rc == STORE_NOT_FOUND)
        rc = past_read(m);
    if (rc == STORE_OK && !m->q.failed)
        past_rank(m);
    json_t *list = NULL;
    if (rc == STORE_OK && !m->q.failed)
        rc = similar_list(m, &list);
    if (rc == STORE_OK && !m->q.failed)
        rc = engine_audit_similar(list, own.playbook, own.state, in.tags, id, m->limit, out) == ENGINE_OK
           ? STORE_OK : STORE_NO_MEMORY;
    json_decref(list);
    instance_row_free(&in);
    row_free(&own);
    return rc;
}

typedef struct Context {
    Similar m;
    json_t *tasks;
} Context;

static int context_work(Step *s, void *context)
{
    Context *c = context;
    c->m.q.step = s;
    unsigned version = 0;
    int rc = store_schema(s->txn, &version);
    if (rc != STORE_OK || version < 4 || !store_has(s->txn, TABLE_DECISIONS)) {
        c->m.q.failed = STORE_NOT_FOUND;    /* no index: engine_audit_context folds */
        return STORE_OK;
    }
    size_t i;
    json_t *t;
    json_array_foreach(c->tasks, i, t) {
        json_t *similar;
        rc = similar_task(&c->m, json_string_value(json_object_get(t, "id")), &similar);
        if (rc != STORE_OK || c->m.q.failed)
            break;
        json_object_set_new(t, "similar", similar ? similar : json_array());
    }
    if (c->m.q.failed == ENGINE_FAILED)
        return STORE_OK;                    /* a row it cannot read: engine_audit_context folds */
    return rc == STORE_NO_MEMORY ? step_fail(s, ENGINE_NO_MEMORY, "out of memory")
         : rc != STORE_OK && rc > ENGINE_REFUSED
         ? step_fail(s, rc, "store error reading the decisions index: %s", store_strerror(rc)) : rc;
}

int audit_index_context(Engine *e, json_t *tasks, size_t limit, bool *used, char *why, size_t why_len)
{
    Context c = {0};
    c.tasks = tasks;
    c.m.limit = limit < SIMILAR_MAX ? limit : SIMILAR_MAX;
    c.m.q.folded = json_object();
    *used = false;
    if (limit == 0 || limit > SIMILAR_MAX) {
        json_decref(c.m.q.folded);
        return ENGINE_OK;           /* not what the index keeps a list for: the fold does it */
    }
    int rc = engine_read(e, context_work, &c, why, why_len);
    past_clear(&c.m.past);
    instance_row_free(&c.m.q.in);
    json_decref(c.m.q.folded);
    *used = c.m.q.failed != STORE_NOT_FOUND && c.m.q.failed != ENGINE_FAILED;
    return *used ? rc : ENGINE_OK;
}
