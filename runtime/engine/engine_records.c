/*
 * engine_records.c - a step's history records as their codec bytes (engine_internal.h,
 * StepRecords): the list, record_begin's writer (the record written straight from C
 * values with the codec's own emitters, engine_codec.h's CodecWriter), and JSON made
 * only where a record is read: step_record_json, the on_record hook (only the kinds it
 * asks for), the decisions index (records_put, engine_txn.c, only the kinds it indexes).
 *
 * The bytes are exactly those codec_encode writes for the jansson record older huddles
 * built with the same fields in the same order (tests/unit/test_records.c checks every
 * kind): the history and the audit chain do not change.
 */
#include "engine_internal.h"
#include "grow.h"
#include "utf8.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

/* A record list's buffer that grew past this is let go when the list is cleared. */
#define RECORDS_BYTES_KEEP (1u << 20)

static const unsigned char NO_STAMP[HISTORY_STAMP_MAX];

/* A new item at the end of the list (NULL when out of memory: counted, the step fails). */
static StepRecord *records_push(StepRecords *r, uint64_t instance, json_int_t seq, const char *kind)
{
    StepRecord *items = grow_for_one(r->items, &r->cap, r->count, sizeof *items, 16, engine_realloc);
    if (!items)
        return NULL;
    r->items = items;
    StepRecord *item = &r->items[r->count++];
    item->instance = instance;
    item->seq = (uint32_t)seq;
    size_t len = strlen(kind);
    if (len >= STEP_RECORD_KIND_MAX)
        len = STEP_RECORD_KIND_MAX - 1;
    memcpy(item->kind, kind, len);
    item->kind[len] = '\0';
    item->at = item->len = 0;
    return item;
}

/* Item's length: its bytes end where the buffer ends now (none once the buffer failed:
   the step fails, strbuf_failures counts it). */
static void record_ends(StepRecords *r, StepRecord *item)
{
    item->len = strbuf_failed(&r->bytes) || r->bytes.len < item->at ? 0 : r->bytes.len - item->at;
}

/* Closes the record being written, if any. */
static void records_close(StepRecords *r)
{
    if (!r->open)
        return;
    r->open = false;
    StepRecord *item = &r->items[r->count - 1];
    int rc = codec_write_end(&r->writer);
    if (rc != CODEC_OK && !r->failed)
        r->failed = rc;
    record_ends(r, item);
}

int records_settle(StepRecords *r, size_t from)
{
    (void)from;   /* every record has its bytes once the last one is closed */
    records_close(r);
    if (strbuf_failed(&r->bytes) && !r->failed)
        r->failed = CODEC_NO_MEMORY;
    return r->failed ? r->failed : CODEC_OK;
}

StoreBytes step_record_bytes(const StepRecords *r, size_t i)
{
    if (strbuf_failed(&r->bytes) || !r->items[i].len)
        return store_bytes("", 0);   /* lost with the buffer: the step fails */
    return store_bytes(r->bytes.data + r->items[i].at, r->items[i].len);
}

void step_records_clear(StepRecords *r)
{
    r->count = 0;
    r->open = false;
    r->failed = CODEC_OK;
    if (strbuf_failed(&r->bytes) || r->bytes.cap > RECORDS_BYTES_KEEP)
        strbuf_free(&r->bytes);
    r->bytes.len = 0;
}

void step_records_free(StepRecords *r)
{
    step_records_clear(r);
    strbuf_free(&r->bytes);
    free(r->items);
    *r = (StepRecords){0};
}

/* ---- what every record starts with ---- */

/* The instance's id, history count and state, read together (and the count moved on). */
void record_head(Instance *in, RecordHead *head)
{
    head->instance = in->record.id;
    head->seq = (json_int_t)++in->record.history;
    head->state = in->record.state;
}

/* ---- the writer ---- */

/* The members every record starts with, their key bytes looked up once. */
enum { HEAD_AT, HEAD_INSTANCE, HEAD_SEQ, HEAD_KIND, HEAD_STATE, HEAD_KEYS };
static const char *const HEAD_NAMES[HEAD_KEYS] = {"at", "instance", "seq", "kind", "state"};
static unsigned head_bytes[HEAD_KEYS];
static pthread_once_t head_once = PTHREAD_ONCE_INIT;

static void head_bytes_find(void)
{
    for (int k = 0; k < HEAD_KEYS; k++)
        head_bytes[k] = codec_key_of(HEAD_NAMES[k]);
}

static void head_key(CodecWriter *w, int k)
{
    codec_write_key_byte(w, head_bytes[k], HEAD_NAMES[k]);
}

CodecWriter *record_begin(Step *s, Instance *in, const char *kind)
{
    RecordHead head;
    StepRecords *r = s->records;
    records_close(r);
    if (!kind)
        return NULL;   /* nothing recorded */
    record_head(in, &head);
    if (!records_push(r, in->number, head.seq, kind))
        return NULL;   /* counted: the step fails, out of memory */
    strbuf_put(&r->bytes, NO_STAMP, HISTORY_STAMP_MAX);
    r->items[r->count - 1].at = r->bytes.len;
    r->open = true;
    CodecWriter *w = &r->writer;
    codec_write_begin(w, &r->bytes);
    codec_write_object(w);
    pthread_once(&head_once, head_bytes_find);
    char at[40];
    time_text(s->now, at);   /* the engine's text (whole seconds without ".000"), as a string */
    head_key(w, HEAD_AT);
    codec_write_string(w, at, strlen(at));
    if (head.instance) {     /* as record_text: no member for none */
        head_key(w, HEAD_INSTANCE);
        codec_write_text(w, head.instance);
    }
    head_key(w, HEAD_SEQ);
    codec_write_integer(w, head.seq);
    head_key(w, HEAD_KIND);
    codec_write_text(w, kind);
    head_key(w, HEAD_STATE);
    codec_write_text(w, head.state);   /* null before the first state */
    return w;
}

void record_text(CodecWriter *w, const char *key, const char *text)
{
    if (!w || !text)
        return;
    codec_write_key(w, key);
    codec_write_string(w, text, strlen(text));
}

void record_json(CodecWriter *w, const char *key, const json_t *value)
{
    if (!w || !value)
        return;
    codec_write_key(w, key);
    codec_write_json(w, value);
}

/* Whether the writer writes `v` as value_to_json gives it (room: how many more lists and
   maps the writer may open): no real (jansson gives none for one that is not finite), every
   text UTF-8 (jansson gives none for one that is not), no key holding a NUL, nested no
   deeper than the writer goes. Anything else goes through jansson, as before. */
static bool value_plain(Value v, unsigned room)
{
    switch (v.type) {
    case VAL_FLOAT:
        return false;
    case VAL_STRING:
        return utf8_valid_prefix((const unsigned char *)v.as.string->data, v.as.string->len) == v.as.string->len;
    case VAL_LIST:
        for (uint32_t i = 0; room > 0 && i < v.as.list->count; i++)
            if (!value_plain(v.as.list->items[i], room - 1))
                return false;
        return room > 0;
    case VAL_MAP:
        for (uint32_t i = 0; room > 0 && i < v.as.map->count; i++)
            if (memchr(v.as.map->keys[i]->data, '\0', v.as.map->keys[i]->len) ||
                utf8_valid_prefix((const unsigned char *)v.as.map->keys[i]->data, v.as.map->keys[i]->len) !=
                    v.as.map->keys[i]->len ||
                !value_plain(v.as.map->values[i], room - 1))
                return false;
        return room > 0;
    default:
        return true;
    }
}

/* `v` as value_to_json's JSON, written straight into the record (value_plain said so). */
static void write_value(CodecWriter *w, Value v)
{
    switch (v.type) {
    case VAL_BOOL: codec_write_bool(w, v.as.boolean); return;
    case VAL_INT: codec_write_integer(w, v.as.integer); return;
    case VAL_DURATION: codec_write_integer(w, v.as.ms / 1000); return;
    case VAL_STRING: codec_write_string(w, v.as.string->data, v.as.string->len); return;
    case VAL_TIME:
    case VAL_BUSINESS: {
        StrBuf text = STRBUF_INIT;
        value_write_text(v, 0, &text);
        codec_write_string(w, strbuf_failed(&text) ? "" : strbuf_text(&text), strbuf_failed(&text) ? 0 : text.len);
        if (strbuf_failed(&text) && w->rc == CODEC_OK)
            w->rc = CODEC_NO_MEMORY;   /* the step fails, as jansson's NULL made it */
        strbuf_free(&text);
        return;
    }
    case VAL_LIST:
        codec_write_array(w);
        for (uint32_t i = 0; i < v.as.list->count; i++)
            write_value(w, v.as.list->items[i]);
        codec_write_close(w);
        return;
    case VAL_MAP:
        codec_write_object(w);
        for (uint32_t i = 0; i < v.as.map->count; i++) {
            codec_write_key(w, v.as.map->keys[i]->data);
            write_value(w, v.as.map->values[i]);
        }
        codec_write_close(w);
        return;
    default:
        codec_write_null(w);
        return;
    }
}

void record_value(CodecWriter *w, const char *key, Value value)
{
    if (!w)
        return;
    if (value_plain(value, CODEC_WRITER_DEPTH - w->depth)) {   /* no jansson: tags, texts, people */
        codec_write_key(w, key);
        write_value(w, value);
        return;
    }
    json_t *json = value_to_json(value);
    record_json(w, key, json);   /* none when out of memory: the step fails, as it counts it */
    json_decref(json);
}

bool engine_write_value(CodecWriter *w, Value value)
{
    if (value_plain(value, CODEC_WRITER_DEPTH - w->depth)) {
        write_value(w, value);
        return true;
    }
    json_t *json = value_to_json(value);
    if (json)
        codec_write_json(w, json);
    json_decref(json);
    return json != NULL;
}

void record_integer(CodecWriter *w, const char *key, int64_t value)
{
    if (!w)
        return;
    codec_write_key(w, key);
    codec_write_integer(w, value);
}

void record_bool(CodecWriter *w, const char *key, bool value)
{
    if (!w)
        return;
    codec_write_key(w, key);
    codec_write_bool(w, value);
}

void record_null(CodecWriter *w, const char *key)
{
    if (!w)
        return;
    codec_write_key(w, key);
    codec_write_null(w);
}

void record_text_or_null(CodecWriter *w, const char *key, const char *text)
{
    if (text)
        record_text(w, key, text);
    else
        record_null(w, key);
}

void record_time(CodecWriter *w, const char *key, int64_t ms)
{
    if (!w)
        return;
    char text[40];
    time_text(ms, text);   /* the engine's text (whole seconds without ".000"), as a string */
    codec_write_key(w, key);
    codec_write_string(w, text, strlen(text));
}

void record_object(CodecWriter *w, const char *key)
{
    if (!w)
        return;
    codec_write_key(w, key);
    codec_write_object(w);
}

void record_close(CodecWriter *w)
{
    if (w)
        codec_write_close(w);
}

/* ---- a call's and a send's ---- */

CodecWriter *record_effect_begin(Step *s, Instance *in, const char *kind, const char *connector,
                                 const char *operation, const json_t *arg)
{
    CodecWriter *w = record_begin(s, in, kind);
    record_text(w, "connector", connector);
    record_text(w, "operation", operation);
    record_json(w, "arg", arg);
    return w;
}

/* ---- where records are read ---- */

json_t *step_record_json(Step *s, size_t i)
{
    StepRecords *r = s->records;
    records_close(r);
    if (i >= r->count || r->items[i].len == 0)
        return NULL;
    json_t *record;
    char why[160];
    StoreBytes bytes = step_record_bytes(r, i);
    return codec_decode(bytes.data, bytes.len, &record, why, sizeof why) == CODEC_OK ? record : NULL;
}

bool engine_hears_records(const Engine *e)
{
    return e->options.on_record || e->options.on_record_brief;
}

bool engine_wants_record(const Engine *e, const char *kind)
{
    if (!engine_hears_records(e))
        return false;
    const char *const *kinds = e->options.record_kinds;
    if (!kinds)
        return true;
    for (; *kinds; kinds++)
        if (strcmp(*kinds, kind) == 0)
            return true;
    return false;
}

int records_keep(const Engine *e, StepRecords *to, const StepRecords *from)
{
    for (size_t i = 0; i < from->count; i++) {
        const StepRecord *item = &from->items[i];
        if (!engine_wants_record(e, item->kind))
            continue;
        StepRecord *kept = records_push(to, item->instance, item->seq, item->kind);
        if (!kept)
            return ENGINE_NO_MEMORY;
        StoreBytes bytes = step_record_bytes(from, i);
        kept->at = to->bytes.len;
        strbuf_put(&to->bytes, bytes.data, bytes.len);
        kept->len = bytes.len;
    }
    return strbuf_failed(&to->bytes) ? ENGINE_NO_MEMORY : STORE_OK;
}

/* A member's string, read where it lies (or into `buf`); text NULL for anything else
   (len 0: the record has no such member). */
static EngineText brief_text(const CodecView *member, char buf[CODEC_VIEW_TEXT])
{
    EngineText text = {NULL, 0};
    if (member->len == 0 || !codec_view_string(member, buf, &text.text, &text.len))
        text = (EngineText){NULL, 0};
    return text;
}

/* The brief of a record's bytes, in one walk of its members; false when they are not a
   binary record. */
static bool record_brief(StoreBytes bytes, const char *kind, EngineRecordBrief *brief,
                         char bufs[3][CODEC_VIEW_TEXT])
{
    static const char *const NAMES[] = {"instance", "state", "task"};
    CodecView record, members[3];
    if (!codec_view_open(bytes.data, bytes.len, &record))
        return false;
    codec_view_members(&record, NAMES, 3, members);
    brief->kind = kind;
    brief->instance = brief_text(&members[0], bufs[0]);
    brief->state = brief_text(&members[1], bufs[1]);
    brief->task = brief_text(&members[2], bufs[2]);
    return true;
}

void engine_report_records(Engine *e, const StepRecords *records)
{
    for (size_t i = 0; i < records->count; i++) {
        const StepRecord *item = &records->items[i];
        if (!engine_wants_record(e, item->kind))
            continue;
        if (e->options.on_record_brief) {
            EngineRecordBrief brief;
            char bufs[3][CODEC_VIEW_TEXT];
            if (record_brief(step_record_bytes(records, i), item->kind, &brief, bufs))
                e->options.on_record_brief(e->options.record_context, &brief);
            continue;
        }
        json_t *record;
        char why[160];
        StoreBytes bytes = step_record_bytes(records, i);
        if (codec_decode(bytes.data, bytes.len, &record, why, sizeof why) != CODEC_OK)
            continue;   /* out of memory: the hook misses it (it was committed) */
        e->options.on_record(e->options.record_context, record);
        json_decref(record);
    }
}
