/*
 * engine_task_record.c - the bytes of a task record (engine_task_record.h). Version 1,
 * after its version byte 0x12 (docs/internals.md, "The task record", says the same):
 *
 *   record   varint n (1 to 27), then n members, each a byte (its TaskField + 1, each
 *            at most once) and its value; the members' order is the JSON object's
 *   values   by the member (FIELDS below):
 *              text    a varint length, then that many bytes of UTF-8 (no NUL)
 *              int     a zigzag varint (n << 1 ^ n >> 63)
 *              bool    one byte, 0 or 1
 *              json    the codec's bytes of the value (format 2, no format byte: the
 *                      record's version says it; no length: the value ends itself):
 *                      what the ask gave, kept as it was (TaskValue: the struct keeps
 *                      these bytes, read where they lie, never a jansson value)
 *              texts   a varint count, then that many texts
 *              seats   a varint count, then each seat: a flags byte (1 answered,
 *                      2 acked, 4 has "previous", 8 has "on_call", 16 "climbed": an
 *                      escalation level has added people to it; no other bit), json
 *                      who, texts holders, then text answered_by, texts previous, text
 *                      on_call when their flag is set
 *              votes   a varint count, then each vote: a flags byte (1 a comment, 2 has
 *                      "seat"; no other bit), text by, text choice, text comment when
 *                      flagged, text at, int seat when flagged
 *
 * Varints are the codec's (LEB128, the shortest form only). Nothing may follow the last
 * member. A seat's members come in the order who, holders, answered_by, acked,
 * previous, on_call, climbed (only when true) and a vote's in by, choice, comment, at, seat (as the engine adds
 * them); an object in another order or with other members has no typed form.
 */
#include "engine_task_record.h"
#include "engine_codec.h"
#include "engine_small_values.h"
#include "grow.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef enum Kind {
    KIND_TEXT, KIND_TIME, KIND_WORD, KIND_INT, KIND_BOOL, KIND_JSON, KIND_TEXTS, KIND_SEATS, KIND_VOTES
} Kind;

typedef struct Field {
    const char *name;
    size_t len;         /* of the name */
    Kind kind;
    size_t offset;      /* of the member in TaskRecord */
} Field;

#define FIELD(place, name, kind, member) [place] = {name, sizeof name - 1, kind, offsetof(TaskRecord, member)}
static const Field FIELDS[TASK_FIELD_COUNT] = {
    FIELD(TASK_ID, "id", KIND_TEXT, id),
    FIELD(TASK_INSTANCE, "instance", KIND_TEXT, instance),
    FIELD(TASK_STATE, "state", KIND_JSON, state),
    FIELD(TASK_STATUS, "status", KIND_WORD, status),
    FIELD(TASK_QUESTION, "question", KIND_JSON, question),
    FIELD(TASK_CHOICES, "choices", KIND_JSON, choices),
    FIELD(TASK_QUORUM, "quorum", KIND_JSON, quorum),
    FIELD(TASK_NEEDED, "needed", KIND_INT, needed),
    FIELD(TASK_SEATS, "seats", KIND_SEATS, seats),
    FIELD(TASK_VOTES, "votes", KIND_VOTES, votes),
    FIELD(TASK_ASKED_AT, "asked_at", KIND_TIME, asked_at),
    FIELD(TASK_DEADLINE, "deadline", KIND_TIME, deadline),
    FIELD(TASK_DEADLINE_MS, "deadline_ms", KIND_INT, deadline_ms),
    FIELD(TASK_SHOW, "show", KIND_JSON, show),
    FIELD(TASK_SUSPENSION, "suspension", KIND_INT, suspension),
    FIELD(TASK_TOLD, "told", KIND_TEXTS, told),
    FIELD(TASK_LADDER, "ladder", KIND_JSON, ladder),
    FIELD(TASK_LADDER_AFTER, "ladder_after", KIND_JSON, ladder_after),
    FIELD(TASK_REMIND_EVERY, "remind_every", KIND_JSON, remind_every),
    FIELD(TASK_LEVEL, "level", KIND_INT, level),
    FIELD(TASK_LEVEL_MS, "level_ms", KIND_INT, level_ms),
    FIELD(TASK_ASKED_MS, "asked_ms", KIND_INT, asked_ms),
    FIELD(TASK_REMINDERS, "reminders", KIND_INT, reminders),
    FIELD(TASK_NO_QUORUM_ARM, "no_quorum_arm", KIND_JSON, no_quorum_arm),
    FIELD(TASK_NEXT_LEVEL_DUE, "next_level_due", KIND_INT, next_level_due),
    FIELD(TASK_OUTCOME, "outcome", KIND_TEXT, outcome),
    FIELD(TASK_NOBODY_CAN_ANSWER, "nobody_can_answer", KIND_BOOL, nobody_can_answer),
};

enum { SEAT_ANSWERED = 1, SEAT_ACKED = 2, SEAT_PREVIOUS = 4, SEAT_ON_CALL = 8, SEAT_CLIMBED = 16 };
enum { VOTE_COMMENT = 1, VOTE_SEAT = 2 };

static void *member(const TaskRecord *r, TaskField f)
{
    return (char *)r + FIELDS[f].offset;
}

/* ---- owning ---- */

void task_texts_free(TaskTexts *t)
{
    for (size_t i = 0; i < t->count; i++)
        free(t->items[i]);
    free(t->items);
    t->items = NULL;
    t->count = t->cap = 0;
}

static void seats_free(TaskRecord *r)
{
    for (size_t i = 0; i < r->seat_count; i++) {
        TaskSeat *seat = &r->seats[i];
        task_texts_free(&seat->holders);
        free(seat->answered_by);
        task_texts_free(&seat->previous);
        free(seat->on_call);
    }
    free(r->seats);
}

static void votes_free(TaskRecord *r)
{
    for (size_t i = 0; i < r->vote_count; i++) {
        TaskVote *vote = &r->votes[i];
        free(vote->by);
        free(vote->choice);
        free(vote->comment);
        free(vote->at);
    }
    free(r->votes);
}

void task_record_free(TaskRecord *r)
{
    for (int f = 0; f < TASK_FIELD_COUNT; f++) {
        if (FIELDS[f].kind <= KIND_WORD)     /* text, time, word */
            free(*(char **)member(r, (TaskField)f));
    }
    strbuf_free(&r->values);
    task_texts_free(&r->told);
    seats_free(r);
    votes_free(r);
    memset(r, 0, sizeof *r);
}

_Static_assert(TASK_FIELD_COUNT <= 32, "TaskRecord.present has a bit per field");

bool task_record_has(const TaskRecord *r, TaskField field)
{
    return r->present >> field & 1;
}

/* ---- to the JSON object ---- */

/* A text of the record as a JSON string: UTF-8 with no NUL (the decoder checks every
   one, and a TaskRecord is only made by it), so not checked again. */
static json_t *string_json(const char *text)
{
    return json_stringn_nocheck(text, strlen(text));
}

static json_t *text_json(const char *text)
{
    return text ? string_json(text) : json_null();
}

json_t *task_texts_json(const TaskTexts *t)
{
    json_t *list = json_array();
    for (size_t i = 0; list && i < t->count; i++)
        if (json_array_append_new(list, string_json(t->items[i])) != 0) {
            json_decref(list);
            return NULL;
        }
    return list;
}

/* Sets `name` to `value` (stolen); false when either is missing (out of memory). */
static bool put(json_t *object, const char *name, json_t *value)
{
    return value && json_object_set_new_nocheck(object, name, value) == 0;
}

/* ---- the ask's values ---- */

static const unsigned char NULL_VALUE[1] = {CODEC_TAG_NULL};

void task_record_view(const TaskRecord *r, TaskValue v, CodecView *out)
{
    if (!v.len)
        codec_view_value(NULL_VALUE, 1, 0, out);
    else
        codec_view_value(r->values.data, v.at + v.len, v.at, out);
}

json_t *task_view_json(const CodecView *v)
{
    ByteReader rd;
    json_t *json;
    byte_reader_init(&rd, v->bytes, v->len, v->at, NULL, NULL, 0);
    return codec_decode_value(&rd, &json) == CODEC_OK ? json : NULL;
}

json_t *task_record_value_json(const TaskRecord *r, TaskValue v)
{
    CodecView view;
    task_record_view(r, v, &view);
    return task_view_json(&view);
}

static json_t *seat_json(const TaskRecord *r, const TaskSeat *seat)
{
    json_t *object = json_object();
    bool ok = object && put(object, "who", task_record_value_json(r, seat->who)) &&
              put(object, "holders", task_texts_json(&seat->holders)) &&
              put(object, "answered_by", text_json(seat->answered_by)) &&
              put(object, "acked", json_boolean(seat->acked)) &&
              (!seat->has_previous || put(object, "previous", task_texts_json(&seat->previous))) &&
              (!seat->on_call || put(object, "on_call", string_json(seat->on_call))) &&
              (!seat->climbed || put(object, "climbed", json_true()));
    if (!ok) {
        json_decref(object);
        return NULL;
    }
    return object;
}

static json_t *vote_json(const TaskVote *vote)
{
    json_t *object = json_object();
    bool ok = object && put(object, "by", string_json(vote->by)) && put(object, "choice", string_json(vote->choice)) &&
              put(object, "comment", text_json(vote->comment)) && put(object, "at", string_json(vote->at)) &&
              (!vote->has_seat || put(object, "seat", json_integer((json_int_t)vote->seat)));
    if (!ok) {
        json_decref(object);
        return NULL;
    }
    return object;
}

static json_t *member_json(const TaskRecord *r, TaskField f)
{
    const void *at = member(r, f);
    json_t *list;
    switch (FIELDS[f].kind) {
    case KIND_TEXT:
    case KIND_TIME:
    case KIND_WORD:
        return text_json(*(char *const *)at);
    case KIND_INT:
        return json_integer((json_int_t)*(const int64_t *)at);
    case KIND_BOOL:
        return json_boolean(*(const bool *)at);
    case KIND_JSON:
        return task_record_value_json(r, *(const TaskValue *)at);
    case KIND_TEXTS:
        return task_texts_json(at);
    case KIND_SEATS:
        list = json_array();
        for (size_t i = 0; list && i < r->seat_count; i++)
            if (json_array_append_new(list, seat_json(r, &r->seats[i])) != 0) {
                json_decref(list);
                return NULL;
            }
        return list;
    default:
        list = json_array();
        for (size_t i = 0; list && i < r->vote_count; i++)
            if (json_array_append_new(list, vote_json(&r->votes[i])) != 0) {
                json_decref(list);
                return NULL;
            }
        return list;
    }
}

json_t *task_record_json(const TaskRecord *r)
{
    json_t *task = json_object();
    for (size_t i = 0; task && i < r->field_count; i++)
        if (!put(task, FIELDS[r->order[i]].name, member_json(r, (TaskField)r->order[i]))) {
            json_decref(task);
            return NULL;
        }
    return task;
}

/* ---- encoding ---- */

static void put_text(StrBuf *out, const char *text)
{
    size_t len = strlen(text);
    strbuf_put_varint(out, len);
    strbuf_put(out, text, len);
}

static void put_texts(StrBuf *out, const TaskTexts *t)
{
    strbuf_put_varint(out, t->count);
    for (size_t i = 0; i < t->count; i++)
        put_text(out, t->items[i]);
}

static void put_int(StrBuf *out, int64_t n)
{
    strbuf_put_varint(out, (uint64_t)n << 1 ^ (uint64_t)(n >> 63));
}

/* A time as the engine writes them: its milliseconds + 1 when small_time_text gives
   the text back, else 0 and the text. */
/* The last two times put_time read, with their milliseconds: a batch's tasks are asked
   at its `now` and most fall due after the same `within`, and comparing the text costs a
   tenth of reading it again. Per thread: serve's engine thread and the CLI's each. */
static _Thread_local struct {
    char text[CODEC_TIME_LEN + 1];
    size_t len;
    int64_t ms;
} kept_times[2];
static _Thread_local unsigned kept_older;

/* small_time_parse, remembering the last two times it read. */
static bool time_parse_kept(const char *text, size_t len, int64_t *ms)
{
    for (unsigned i = 0; i < 2; i++)
        if (kept_times[i].len == len && len && memcmp(kept_times[i].text, text, len) == 0) {
            *ms = kept_times[i].ms;
            return true;
        }
    if (!small_time_parse(text, len, ms))
        return false;   /* only the 20 or 24 bytes of a time are kept */
    memcpy(kept_times[kept_older].text, text, len);
    kept_times[kept_older].len = len;
    kept_times[kept_older].ms = *ms;
    kept_older ^= 1;
    return true;
}

static void put_time(StrBuf *out, const char *text)
{
    int64_t ms;
    if (time_parse_kept(text, strlen(text), &ms)) {
        strbuf_put_varint(out, (uint64_t)ms + 1);
        return;
    }
    strbuf_putc(out, 0);
    put_text(out, text);
}

/* The words a status is: its place + 1, else 0 and the text. */
static const char *const WORDS[] = {"open", "resolved", "cancelled"};
#define WORD_COUNT (sizeof WORDS / sizeof WORDS[0])

static void put_word(StrBuf *out, const char *text)
{
    for (size_t i = 0; i < WORD_COUNT; i++)
        if (strcmp(text, WORDS[i]) == 0) {
            strbuf_putc(out, (char)(i + 1));
            return;
        }
    strbuf_putc(out, 0);
    put_text(out, text);
}

/* The codec's bytes of a value (CODEC_FORMAT, no format byte: the record's version
   says it), as they are kept; null's when there is none. */
static void put_value(StrBuf *out, const TaskRecord *r, TaskValue v)
{
    if (v.len)
        strbuf_put(out, r->values.data + v.at, v.len);
    else
        strbuf_putc(out, CODEC_TAG_NULL);
}

static void put_seat(StrBuf *out, const TaskRecord *r, const TaskSeat *seat)
{
    unsigned flags = (seat->answered_by ? SEAT_ANSWERED : 0) | (seat->acked ? SEAT_ACKED : 0) |
                     (seat->has_previous ? SEAT_PREVIOUS : 0) | (seat->on_call ? SEAT_ON_CALL : 0) |
                     (seat->climbed ? SEAT_CLIMBED : 0);
    strbuf_putc(out, (char)flags);
    put_value(out, r, seat->who);
    put_texts(out, &seat->holders);
    if (seat->answered_by)
        put_text(out, seat->answered_by);
    if (seat->has_previous)
        put_texts(out, &seat->previous);
    if (seat->on_call)
        put_text(out, seat->on_call);
}

static void put_vote(StrBuf *out, const TaskVote *vote)
{
    strbuf_putc(out, (char)((vote->comment ? VOTE_COMMENT : 0) | (vote->has_seat ? VOTE_SEAT : 0)));
    put_text(out, vote->by);
    put_text(out, vote->choice);
    if (vote->comment)
        put_text(out, vote->comment);
    put_time(out, vote->at);
    if (vote->has_seat)
        put_int(out, vote->seat);
}

static void put_member(StrBuf *out, const TaskRecord *r, TaskField f)
{
    const void *at = member(r, f);
    strbuf_putc(out, (char)(f + 1));
    switch (FIELDS[f].kind) {
    case KIND_TEXT:
        put_text(out, *(char *const *)at ? *(char *const *)at : "");
        return;
    case KIND_TIME:
        put_time(out, *(char *const *)at ? *(char *const *)at : "");
        return;
    case KIND_WORD:
        put_word(out, *(char *const *)at ? *(char *const *)at : "");
        return;
    case KIND_INT:
        put_int(out, *(const int64_t *)at);
        return;
    case KIND_BOOL:
        strbuf_putc(out, *(const bool *)at ? 1 : 0);
        return;
    case KIND_JSON:
        put_value(out, r, *(const TaskValue *)at);
        return;
    case KIND_TEXTS:
        put_texts(out, at);
        return;
    case KIND_SEATS:
        strbuf_put_varint(out, r->seat_count);
        for (size_t i = 0; i < r->seat_count; i++)
            put_seat(out, r, &r->seats[i]);
        return;
    default:
        strbuf_put_varint(out, r->vote_count);
        for (size_t i = 0; i < r->vote_count; i++)
            put_vote(out, &r->votes[i]);
        return;
    }
}

int task_record_encode(const TaskRecord *r, StrBuf *out)
{
    if (r->too_deep)
        return -1;
    strbuf_putc(out, TASK_RECORD_1);
    strbuf_put_varint(out, r->field_count);
    for (size_t i = 0; i < r->field_count; i++)
        put_member(out, r, (TaskField)r->order[i]);
    return strbuf_failed(out) ? -1 : 0;
}

/* ---- changing a record ---- */

void task_record_set(TaskRecord *r, TaskField field)
{
    if (!task_record_has(r, field)) {
        r->order[r->field_count++] = (unsigned char)field;
        r->present |= 1u << field;
    }
}

/* The text or value member `field` holds, released. */
static void member_release(TaskRecord *r, TaskField field)
{
    if (FIELDS[field].kind <= KIND_WORD) {
        free(*(char **)member(r, field));
        *(char **)member(r, field) = NULL;
    } else if (FIELDS[field].kind == KIND_JSON) {
        *(TaskValue *)member(r, field) = (TaskValue){0, 0};   /* its bytes stay in `values` */
    }
}

void task_record_unset(TaskRecord *r, TaskField field)
{
    for (size_t i = 0; i < r->field_count; i++)
        if (r->order[i] == field) {
            memmove(r->order + i, r->order + i + 1, r->field_count - i - 1);
            r->field_count--;
            r->present &= ~(1u << field);
            member_release(r, field);
            return;
        }
}

int task_record_set_text(TaskRecord *r, TaskField field, const char *text)
{
    char *copy = codec_text_copy(text, strlen(text));
    if (!copy)
        return -1;
    member_release(r, field);
    *(char **)member(r, field) = copy;
    task_record_set(r, field);
    return 0;
}

/* The value written into r->values from `mark` (the writer's code `rc`) as *v: 0, or -1
   when out of memory; too deep keeps none (null) and marks the record. */
static int value_written(TaskRecord *r, TaskValue *v, size_t mark, int rc)
{
    if (strbuf_failed(&r->values) || rc == CODEC_NO_MEMORY)
        return -1;
    if (rc != CODEC_OK) {
        r->too_deep = true;
        r->values.len = mark;
        *v = (TaskValue){0, 0};
        return 0;
    }
    *v = (TaskValue){mark, r->values.len - mark};
    return 0;
}

int task_record_set_written(TaskRecord *r, TaskField field, size_t mark, int rc)
{
    member_release(r, field);
    if (value_written(r, member(r, field), mark, rc) != 0)
        return -1;
    task_record_set(r, field);
    return 0;
}

/* `value` appended to r->values through a value writer: as task_record_set_written. */
static int value_put(TaskRecord *r, TaskValue *v, const json_t *value)
{
    size_t mark = r->values.len;
    CodecWriter w;
    codec_write_begin_value(&w, &r->values);
    codec_write_json(&w, value);
    return value_written(r, v, mark, codec_write_end(&w));
}

int task_record_set_json(TaskRecord *r, TaskField field, json_t *value)
{
    if (!value)
        return -1;
    member_release(r, field);
    int rc = value_put(r, member(r, field), value);
    json_decref(value);
    if (rc != 0)
        return -1;
    task_record_set(r, field);
    return 0;
}

int task_seat_set_who(TaskRecord *r, TaskSeat *seat, const json_t *who)
{
    return who ? value_put(r, &seat->who, who) : -1;
}

void task_record_set_int(TaskRecord *r, TaskField field, int64_t n)
{
    *(int64_t *)member(r, field) = n;
    task_record_set(r, field);
}

/* One more zeroed item of `size` at the end of *items (*count of them): NULL when out
   of memory. */
static void *list_grow(void **items, size_t *count, size_t size)
{
    char *grown = realloc(*items, (*count + 1) * size);
    if (!grown)
        return NULL;
    *items = grown;
    memset(grown + *count * size, 0, size);
    return grown + (*count)++ * size;
}

TaskSeat *task_record_add_seat(TaskRecord *r)
{
    return list_grow((void **)&r->seats, &r->seat_count, sizeof *r->seats);
}

TaskVote *task_record_add_vote(TaskRecord *r)
{
    return list_grow((void **)&r->votes, &r->vote_count, sizeof *r->votes);
}

/* Doubling, not one item at a time: a team's holders and everyone told are added one
   by one, and a realloc per text copied the list each time (quadratic in the team). */
int task_texts_add(TaskTexts *t, const char *text)
{
    char *copy = codec_text_copy(text, strlen(text));
    if (t->cap < t->count)
        t->cap = t->count;
    char **items = copy ? grow_for_one(t->items, &t->cap, t->count, sizeof *t->items, 8, realloc) : NULL;
    if (!items) {
        free(copy);
        return -1;
    }
    t->items = items;
    t->items[t->count++] = copy;
    return 0;
}

int task_texts_add_json(TaskTexts *t, const json_t *list)
{
    for (size_t i = 0; i < json_array_size(list); i++) {
        const char *text = json_string_value(json_array_get(list, i));
        if (text && task_texts_add(t, text) != 0)
            return -1;
    }
    return 0;
}

int task_seat_set_previous(TaskSeat *seat, const json_t *people)
{
    if (!json_array_size(people))
        return 0;
    task_texts_free(&seat->previous);
    seat->has_previous = true;
    return task_texts_add_json(&seat->previous, people);
}

bool task_texts_has(const TaskTexts *t, const char *text)
{
    for (size_t i = 0; i < t->count; i++)
        if (strcmp(t->items[i], text) == 0)
            return true;
    return false;
}

/* ---- written into a history record or a message, as their JSON ---- */

static void write_texts(CodecWriter *w, const TaskTexts *t)
{
    codec_write_array(w);
    for (size_t i = 0; i < t->count; i++)
        codec_write_text(w, t->items[i]);
    codec_write_close(w);
}

/* A member `key` with the text `text` (NULL: null). */
static void write_key_text(CodecWriter *w, const char *key, const char *text)
{
    codec_write_key(w, key);
    codec_write_text(w, text);
}

/* A value as its bytes are kept. */
static void write_value(CodecWriter *w, const TaskRecord *r, TaskValue v)
{
    if (v.len)
        codec_write_bytes(w, r->values.data + v.at, v.len);
    else
        codec_write_null(w);
}

static void write_seat(CodecWriter *w, const TaskRecord *r, const TaskSeat *seat)
{
    codec_write_object(w);
    codec_write_key(w, "who");
    write_value(w, r, seat->who);
    codec_write_key(w, "holders");
    write_texts(w, &seat->holders);
    write_key_text(w, "answered_by", seat->answered_by);
    codec_write_key(w, "acked");
    codec_write_bool(w, seat->acked);
    if (seat->has_previous) {
        codec_write_key(w, "previous");
        write_texts(w, &seat->previous);
    }
    if (seat->on_call)
        write_key_text(w, "on_call", seat->on_call);
    if (seat->climbed) {
        codec_write_key(w, "climbed");
        codec_write_bool(w, true);
    }
    codec_write_close(w);
}

static void write_vote(CodecWriter *w, const TaskVote *vote)
{
    codec_write_object(w);
    write_key_text(w, "by", vote->by);
    write_key_text(w, "choice", vote->choice);
    write_key_text(w, "comment", vote->comment);
    write_key_text(w, "at", vote->at);
    if (vote->has_seat) {
        codec_write_key(w, "seat");
        codec_write_integer(w, vote->seat);
    }
    codec_write_close(w);
}

void task_record_write_member(CodecWriter *w, const TaskRecord *r, TaskField field)
{
    const void *at = member(r, field);
    switch (FIELDS[field].kind) {
    case KIND_TEXT:
    case KIND_TIME:
    case KIND_WORD:
        codec_write_text(w, *(char *const *)at);
        return;
    case KIND_INT:
        codec_write_integer(w, *(const int64_t *)at);
        return;
    case KIND_BOOL:
        codec_write_bool(w, *(const bool *)at);
        return;
    case KIND_JSON:
        write_value(w, r, *(const TaskValue *)at);
        return;
    case KIND_TEXTS:
        write_texts(w, at);
        return;
    case KIND_SEATS:
        codec_write_array(w);
        for (size_t i = 0; i < r->seat_count; i++)
            write_seat(w, r, &r->seats[i]);
        codec_write_close(w);
        return;
    default:
        codec_write_array(w);
        for (size_t i = 0; i < r->vote_count; i++)
            write_vote(w, &r->votes[i]);
        codec_write_close(w);
        return;
    }
}

/* ---- straight from the JSON object (task_save's path: no struct built) ---- */

/* The place of each member of `object` in `names`, which must rise; `required` (a bit
   a place) must all be there. Returns the bits of the members there, or -1. */
static int members_in_order(const json_t *object, const char *const *names, int count, int required)
{
    if (!json_is_object(object))
        return -1;
    int seen = 0, last = -1;
    const char *key;
    size_t key_len;
    json_t *value;
    json_object_keylen_foreach((json_t *)object, key, key_len, value) {
        int place = last + 1;
        while (place < count && (strlen(names[place]) != key_len || memcmp(names[place], key, key_len) != 0))
            place++;
        if (place == count)
            return -1;
        seen |= 1 << place;
        last = place;
    }
    return (seen & required) == required ? seen : -1;
}

/* The member named key[0..len), or -1; `hint` first (the member after the last one:
   the engine writes most in FIELDS' order). */
static int field_named(const char *key, size_t len, int hint)
{
    if (hint < TASK_FIELD_COUNT && FIELDS[hint].len == len && memcmp(FIELDS[hint].name, key, len) == 0)
        return hint;
    for (int f = 0; f < TASK_FIELD_COUNT; f++)
        if (FIELDS[f].len == len && memcmp(FIELDS[f].name, key, len) == 0)
            return f;
    return -1;
}

/* A JSON string with no NUL inside, or NULL. */
static const char *json_text(const json_t *value, size_t *len)
{
    const char *text = json_string_value(value);
    *len = json_string_length(value);
    return text && strlen(text) == *len ? text : NULL;
}

static int json_put_text(StrBuf *out, const json_t *value)
{
    size_t len;
    const char *text = json_text(value, &len);
    if (!text)
        return TASK_RECORD_UNTYPED;
    strbuf_put_varint(out, len);
    strbuf_put(out, text, len);
    return TASK_RECORD_OK;
}

static int json_put_texts(StrBuf *out, const json_t *value)
{
    if (!json_is_array(value))
        return TASK_RECORD_UNTYPED;
    strbuf_put_varint(out, json_array_size(value));
    int rc = TASK_RECORD_OK;
    for (size_t i = 0; rc == TASK_RECORD_OK && i < json_array_size(value); i++)
        rc = json_put_text(out, json_array_get(value, i));
    return rc;
}

/* A time, word or text through put_time / put_word (the text must have no NUL). */
static int json_put_shaped(StrBuf *out, const json_t *value, void (*write)(StrBuf *, const char *))
{
    size_t len;
    const char *text = json_text(value, &len);
    if (!text)
        return TASK_RECORD_UNTYPED;
    write(out, text);
    return TASK_RECORD_OK;
}

static int json_put_value(StrBuf *out, const json_t *value)
{
    int rc = codec_encode_value(value, out);
    return rc == CODEC_OK ? TASK_RECORD_OK : rc == CODEC_NO_MEMORY ? TASK_RECORD_NO_MEMORY : TASK_RECORD_UNTYPED;
}

static int json_put_seat(StrBuf *out, const json_t *seat)
{
    static const char *const NAMES[] = {"who", "holders", "answered_by", "acked", "previous", "on_call", "climbed"};
    int there = members_in_order(seat, NAMES, 7, 0xF);
    const json_t *answered = json_object_get(seat, "answered_by"), *acked = json_object_get(seat, "acked");
    if (there < 0 || !json_is_boolean(acked) || !(json_is_null(answered) || json_is_string(answered)) ||
        ((there & 64) && !json_is_true(json_object_get(seat, "climbed"))))   /* written only when true */
        return TASK_RECORD_UNTYPED;
    strbuf_putc(out, (char)((json_is_string(answered) ? SEAT_ANSWERED : 0) | (json_is_true(acked) ? SEAT_ACKED : 0) |
                            (there & 16 ? SEAT_PREVIOUS : 0) | (there & 32 ? SEAT_ON_CALL : 0) |
                            (there & 64 ? SEAT_CLIMBED : 0)));
    int rc = json_put_value(out, json_object_get(seat, "who"));
    if (rc == TASK_RECORD_OK)
        rc = json_put_texts(out, json_object_get(seat, "holders"));
    if (rc == TASK_RECORD_OK && json_is_string(answered))
        rc = json_put_text(out, answered);
    if (rc == TASK_RECORD_OK && (there & 16))
        rc = json_put_texts(out, json_object_get(seat, "previous"));
    if (rc == TASK_RECORD_OK && (there & 32))
        rc = json_put_text(out, json_object_get(seat, "on_call"));
    return rc;
}

static int json_put_vote(StrBuf *out, const json_t *vote)
{
    static const char *const NAMES[] = {"by", "choice", "comment", "at", "seat"};
    int there = members_in_order(vote, NAMES, 5, 0xF);
    const json_t *comment = json_object_get(vote, "comment"), *seat = json_object_get(vote, "seat");
    if (there < 0 || ((there & 16) && !json_is_integer(seat)) || !(json_is_null(comment) || json_is_string(comment)))
        return TASK_RECORD_UNTYPED;
    strbuf_putc(out, (char)((json_is_string(comment) ? VOTE_COMMENT : 0) | (there & 16 ? VOTE_SEAT : 0)));
    int rc = json_put_text(out, json_object_get(vote, "by"));
    if (rc == TASK_RECORD_OK)
        rc = json_put_text(out, json_object_get(vote, "choice"));
    if (rc == TASK_RECORD_OK && json_is_string(comment))
        rc = json_put_text(out, comment);
    if (rc == TASK_RECORD_OK)
        rc = json_put_shaped(out, json_object_get(vote, "at"), put_time);
    if (rc == TASK_RECORD_OK && (there & 16))
        put_int(out, (int64_t)json_integer_value(seat));
    return rc;
}

static int json_put_list(StrBuf *out, const json_t *value, int (*one)(StrBuf *, const json_t *))
{
    if (!json_is_array(value))
        return TASK_RECORD_UNTYPED;
    strbuf_put_varint(out, json_array_size(value));
    int rc = TASK_RECORD_OK;
    for (size_t i = 0; rc == TASK_RECORD_OK && i < json_array_size(value); i++)
        rc = one(out, json_array_get(value, i));
    return rc;
}

static int json_put_member(StrBuf *out, TaskField f, const json_t *value)
{
    strbuf_putc(out, (char)(f + 1));
    switch (FIELDS[f].kind) {
    case KIND_TEXT:
        return json_put_text(out, value);
    case KIND_TIME:
        return json_put_shaped(out, value, put_time);
    case KIND_WORD:
        return json_put_shaped(out, value, put_word);
    case KIND_INT:
        if (!json_is_integer(value))
            return TASK_RECORD_UNTYPED;
        put_int(out, (int64_t)json_integer_value(value));
        return TASK_RECORD_OK;
    case KIND_BOOL:
        if (!json_is_boolean(value))
            return TASK_RECORD_UNTYPED;
        strbuf_putc(out, json_is_true(value) ? 1 : 0);
        return TASK_RECORD_OK;
    case KIND_JSON:
        return json_put_value(out, value);
    case KIND_TEXTS:
        return json_put_texts(out, value);
    case KIND_SEATS:
        return json_put_list(out, value, json_put_seat);
    default:
        return json_put_list(out, value, json_put_vote);
    }
}

int task_record_encode_json(const json_t *task, StrBuf *out)
{
    if (!json_is_object(task) || json_object_size(task) == 0 || json_object_size(task) > TASK_FIELD_COUNT)
        return TASK_RECORD_UNTYPED;     /* a record has one member at least */
    size_t mark = out->len;
    strbuf_putc(out, TASK_RECORD_1);
    strbuf_put_varint(out, json_object_size(task));
    int rc = TASK_RECORD_OK;
    const char *key;
    size_t key_len;
    json_t *value;
    int f = -1;
    json_object_keylen_foreach((json_t *)task, key, key_len, value) {
        f = field_named(key, key_len, f + 1);
        rc = f < 0 ? TASK_RECORD_UNTYPED : json_put_member(out, (TaskField)f, value);
        if (rc != TASK_RECORD_OK)
            break;
    }
    if (strbuf_failed(out))
        return TASK_RECORD_NO_MEMORY;
    if (rc != TASK_RECORD_OK)
        out->len = mark;        /* nothing appended */
    return rc;
}

/* ---- decoding ---- */

static bool get_texts(ByteReader *rd, TaskTexts *out)
{
    uint64_t count;
    if (!byte_reader_count(rd, &count, 1))      /* a text takes a byte at least */
        return false;
    if (count && !(out->items = calloc((size_t)count, sizeof *out->items)))
        return byte_reader_no_memory(rd);
    out->cap = (size_t)count;
    for (; out->count < count; out->count++)
        if (!byte_reader_text_copy(rd, &out->items[out->count]))
            return false;
    return true;
}

static bool get_int(ByteReader *rd, int64_t *out)
{
    uint64_t n;
    if (!byte_reader_varint(rd, &n))
        return false;
    *out = (int64_t)(n >> 1 ^ (0 - (n & 1)));
    return true;
}

/* A value the ask gave: checked where it lies as the codec's decoder checks it (no
   value built), kept as where it lies (the record's bytes are copied whole into
   `values`). Damage is told by the decoder, which says why. */
static bool get_value(ByteReader *rd, CodecCanon *check, TaskValue *out)
{
    size_t start = rd->at, end = start;
    int rc = codec_canon_check_value(check, rd->bytes, rd->len, &end);
    if (rc == CODEC_NO_MEMORY)
        return byte_reader_no_memory(rd);
    if (rc != CODEC_OK) {
        json_t *json;
        if (codec_decode_value(rd, &json) != CODEC_OK)
            return false;
        json_decref(json);   /* the two refuse the same bytes; were they not to, the decoder decides */
        end = rd->at;
    }
    *out = (TaskValue){start, end - start};
    rd->at = end;
    return true;
}

static bool get_time(ByteReader *rd, char **out)
{
    uint64_t n;
    if (!byte_reader_varint(rd, &n))
        return false;
    if (n == 0)
        return byte_reader_text_copy(rd, out);
    if (n - 1 > CODEC_TIME_MAX) {
        return byte_reader_damaged(rd, "a time past the year 9999");
    }
    char text[SMALL_TIME_TEXT];
    size_t len = small_time_text((int64_t)(n - 1), text);
    return (*out = codec_text_copy(text, len)) ? true : byte_reader_no_memory(rd);
}

static bool get_word(ByteReader *rd, char **out)
{
    const unsigned char *byte;
    if (!byte_reader_bytes(rd, 1, &byte))
        return false;
    if (*byte == 0)
        return byte_reader_text_copy(rd, out);
    if (*byte > WORD_COUNT) {
        rd->at--;
        return byte_reader_damaged(rd, "a word this version does not have");
    }
    return (*out = codec_text_copy(WORDS[*byte - 1], strlen(WORDS[*byte - 1]))) ? true : byte_reader_no_memory(rd);
}

static bool get_flags(ByteReader *rd, unsigned known, unsigned *flags)
{
    const unsigned char *byte;
    if (!byte_reader_bytes(rd, 1, &byte))
        return false;
    if (*byte & ~known) {
        rd->at--;
        return byte_reader_damaged(rd, "flags this version does not have");
    }
    *flags = *byte;
    return true;
}

static bool get_seat(ByteReader *rd, CodecCanon *check, TaskSeat *seat)
{
    unsigned flags = 0;
    if (!get_flags(rd, SEAT_ANSWERED | SEAT_ACKED | SEAT_PREVIOUS | SEAT_ON_CALL | SEAT_CLIMBED, &flags) ||
        !get_value(rd, check, &seat->who) || !get_texts(rd, &seat->holders))
        return false;
    seat->acked = flags & SEAT_ACKED;
    seat->has_previous = flags & SEAT_PREVIOUS;
    seat->climbed = flags & SEAT_CLIMBED;
    return (!(flags & SEAT_ANSWERED) || byte_reader_text_copy(rd, &seat->answered_by)) &&
           (!(flags & SEAT_PREVIOUS) || get_texts(rd, &seat->previous)) &&
           (!(flags & SEAT_ON_CALL) || byte_reader_text_copy(rd, &seat->on_call));
}

static bool get_vote(ByteReader *rd, TaskVote *vote)
{
    unsigned flags = 0;
    if (!get_flags(rd, VOTE_COMMENT | VOTE_SEAT, &flags) || !byte_reader_text_copy(rd, &vote->by) ||
        !byte_reader_text_copy(rd, &vote->choice))
        return false;
    if ((flags & VOTE_COMMENT) && !byte_reader_text_copy(rd, &vote->comment))
        return false;
    vote->has_seat = flags & VOTE_SEAT;
    return get_time(rd, &vote->at) && (!vote->has_seat || get_int(rd, &vote->seat));
}

static bool get_list(ByteReader *rd, void **items, size_t *count, size_t size, size_t least)
{
    uint64_t n;
    if (!byte_reader_count(rd, &n, least))
        return false;
    if (n && !(*items = calloc((size_t)n, size)))
        return byte_reader_no_memory(rd);
    *count = (size_t)n;     /* freed whole, even half read: calloc zeroed them */
    return true;
}

static bool get_member(ByteReader *rd, CodecCanon *check, TaskRecord *r, TaskField f)
{
    void *at = member(r, f);
    const unsigned char *byte;
    switch (FIELDS[f].kind) {
    case KIND_TEXT:
        return byte_reader_text_copy(rd, at);
    case KIND_TIME:
        return get_time(rd, at);
    case KIND_WORD:
        return get_word(rd, at);
    case KIND_INT:
        return get_int(rd, at);
    case KIND_BOOL:
        if (!byte_reader_bytes(rd, 1, &byte))
            return false;
        if (*byte > 1) {
            rd->at--;
            return byte_reader_damaged(rd, "a truth value that is neither 0 nor 1");
        }
        *(bool *)at = *byte;
        return true;
    case KIND_JSON:
        return get_value(rd, check, at);
    case KIND_TEXTS:
        return get_texts(rd, at);
    case KIND_SEATS:   /* a seat takes 3 bytes at least: flags, who, holders */
        if (!get_list(rd, (void **)&r->seats, &r->seat_count, sizeof *r->seats, 3))
            return false;
        for (size_t i = 0; i < r->seat_count; i++)
            if (!get_seat(rd, check, &r->seats[i]))
                return false;
        return true;
    default:           /* a vote: flags, by, choice, at */
        if (!get_list(rd, (void **)&r->votes, &r->vote_count, sizeof *r->votes, 4))
            return false;
        for (size_t i = 0; i < r->vote_count; i++)
            if (!get_vote(rd, &r->votes[i]))
                return false;
        return true;
    }
}

static bool get_record(ByteReader *rd, CodecCanon *check, TaskRecord *r)
{
    uint64_t count;
    if (!byte_reader_varint(rd, &count))
        return false;
    if (count == 0 || count > TASK_FIELD_COUNT)
        return byte_reader_damaged(rd, "a count of members that is not from 1 to 27");
    bool seen[TASK_FIELD_COUNT] = {false};
    for (uint64_t i = 0; i < count; i++) {
        const unsigned char *byte;
        if (!byte_reader_bytes(rd, 1, &byte))
            return false;
        if (*byte == 0 || *byte > TASK_FIELD_COUNT || seen[*byte - 1]) {
            rd->at--;
            bool unknown = *byte == 0 || *byte > TASK_FIELD_COUNT;
            return byte_reader_damaged(rd, unknown ? "a member this version does not have" : "a member written twice");
        }
        TaskField f = (TaskField)(*byte - 1);
        seen[f] = true;
        r->order[r->field_count++] = (unsigned char)f;
        r->present |= 1u << f;
        if (!get_member(rd, check, r, f))
            return false;
    }
    return byte_reader_end(rd, "bytes after the record");
}

bool task_record_is_typed(const void *data, size_t len)
{
    return byte_version_in(data, len, TASK_RECORD_1, TASK_RECORD_NEWEST_BYTE);
}

int task_record_decode(const void *data, size_t len, TaskRecord *out, char *why, size_t why_len)
{
    memset(out, 0, sizeof *out);
    ByteReader rd;
    if (!byte_reader_open(&rd, data, len, TASK_RECORD_1, TASK_RECORD_1, TASK_RECORD_NEWEST_BYTE, "task record", why,
                          why_len))
        return TASK_RECORD_DAMAGED;
    CodecCanon check = {0};
    strbuf_put(&out->values, data, len);   /* the values are read where they lie */
    bool ok = !strbuf_failed(&out->values) ? get_record(&rd, &check, out) : byte_reader_no_memory(&rd);
    codec_canon_free(&check);
    if (ok)
        return TASK_RECORD_OK;
    task_record_free(out);
    if (rd.no_memory) {
        snprintf(rd.why, rd.why_len, "out of memory");
        return TASK_RECORD_NO_MEMORY;
    }
    return TASK_RECORD_DAMAGED;
}

int task_record_load(const void *data, size_t len, json_t **out, char *why, size_t why_len)
{
    if (!task_record_is_typed(data, len))
        return codec_load(data, len, out, why, why_len);
    TaskRecord r;
    *out = NULL;
    int rc = task_record_decode(data, len, &r, why, why_len);
    if (rc != TASK_RECORD_OK)
        return rc == TASK_RECORD_NO_MEMORY ? CODEC_NO_MEMORY : CODEC_DAMAGED;
    *out = task_record_json(&r);
    task_record_free(&r);
    if (!*out) {
        snprintf(why, why_len, "out of memory");
        return CODEC_NO_MEMORY;
    }
    return CODEC_OK;
}

int task_record_from_json(const json_t *task, TaskRecord *out)
{
    memset(out, 0, sizeof *out);
    StrBuf bytes = STRBUF_INIT;
    int rc = task_record_encode_json(task, &bytes);
    if (rc == TASK_RECORD_OK) {
        char why[200];
        rc = task_record_decode(bytes.data, bytes.len, out, why, sizeof why);
        if (rc == TASK_RECORD_DAMAGED)
            rc = TASK_RECORD_UNTYPED;   /* not one this huddle writes: cannot be, but say so */
    }
    strbuf_free(&bytes);
    return rc;
}
