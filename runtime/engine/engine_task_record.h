/*
 * engine_task_record.h - an ask's task (the tasks table) as a C struct, with a compact
 * encoding and a version byte of its own (issue 11, "Typed records"; the bytes are in
 * docs/internals.md, "The task record").
 *
 * A task is the object task_create writes (engine_tasks.c): its id and instance, the
 * question, choices and quorum, the seats with their holders, the votes, the deadline
 * and the escalation ladder's state. The struct keeps each member typed, and the order
 * the members were added in (the engine adds some late: "told", "outcome",
 * "next_level_due"), so the JSON rendered from it is byte for byte the object the engine
 * built: `huddle tasks --json` and GET /v1/tasks print it.
 *
 * Older forms (the codec's binary record, JSON text of stores of schema 1) are still
 * read (task_record_load); a task whose object has no typed form (a member the struct
 * does not know, a member of another shape) is kept as the codec's record of it, as
 * the small values are. Like the codec, this file knows nothing of steps: every byte it
 * reads is checked, and a record either reads whole or is refused with a sentence.
 */
#ifndef HUDDLE_ENGINE_TASK_RECORD_H
#define HUDDLE_ENGINE_TASK_RECORD_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine_codec.h"
#include "strbuf.h"

/* The first byte of a task record: its version. Version 1 is 0x12 (0x10 is the small
   values', 0x11 the instance record's; each table reads only its own); 0x13 to
   TASK_RECORD_NEWEST_BYTE are newer versions, refused as such. The codec's formats
   (0x01-0x08) and JSON text never begin with these. */
#define TASK_RECORD_1 0x12
#define TASK_RECORD_NEWEST_BYTE 0x1F

enum {
    TASK_RECORD_OK = 0,
    TASK_RECORD_DAMAGED = -1,
    TASK_RECORD_NO_MEMORY = -2,
    TASK_RECORD_UNTYPED = 1     /* the object has no typed form: keep the codec's record */
};

/* A list of texts (holders, "told"), owned. */
typedef struct TaskTexts {
    char **items;
    size_t count;
    size_t cap;                 /* room in items (doubled as it fills: grow.h); a list
                                   whose cap is below count is taken as full */
} TaskTexts;

/* A value the ask gave, kept as the codec's bytes (CODEC_FORMAT, no format byte, as
   codec_encode_value writes them): the record's `values` from byte `at`, `len` bytes.
   len 0: none (rendered null). Read with task_record_view, turned into JSON only where
   a person or a program reads it (task_record_value_json). */
typedef struct TaskValue {
    size_t at, len;
} TaskValue;

/* One seat: {"who", "holders", "answered_by", "acked", "previous"?, "on_call"?}. */
typedef struct TaskSeat {
    TaskValue who;              /* the seat as the ask gave it */
    TaskTexts holders;
    char *answered_by;          /* NULL: null */
    bool acked;
    bool has_previous;          /* seats stored before "previous" lack it */
    TaskTexts previous;
    char *on_call;              /* NULL: no "on_call" member */
    bool climbed;               /* an escalation level added people to it: `manager` climbs
                                   from `previous`, no longer from the seat's own rung 0 */
} TaskSeat;

/* One vote: {"by", "choice", "comment", "at", "seat"?}. */
typedef struct TaskVote {
    char *by, *choice;
    char *comment;              /* NULL: null */
    char *at;
    bool has_seat;              /* votes stored before "seat" lack it */
    int64_t seat;
} TaskVote;

/* The members, by their place in the encoding (PART OF VERSION 1: append only). */
typedef enum TaskField {
    TASK_ID, TASK_INSTANCE, TASK_STATE, TASK_STATUS, TASK_QUESTION, TASK_CHOICES, TASK_QUORUM,
    TASK_NEEDED, TASK_SEATS, TASK_VOTES, TASK_ASKED_AT, TASK_DEADLINE, TASK_DEADLINE_MS, TASK_SHOW,
    TASK_SUSPENSION, TASK_TOLD, TASK_LADDER, TASK_LADDER_AFTER, TASK_REMIND_EVERY, TASK_LEVEL,
    TASK_LEVEL_MS, TASK_ASKED_MS, TASK_REMINDERS, TASK_NO_QUORUM_ARM, TASK_NEXT_LEVEL_DUE,
    TASK_OUTCOME, TASK_NOBODY_CAN_ANSWER,
    TASK_FIELD_COUNT
} TaskField;

/* A task. Zero it to start (= {0}); task_record_free releases what it owns. Its texts
   are UTF-8 with no NUL (task_record_json renders them unchecked).
   A member is there when it is in order[0..field_count). */
typedef struct TaskRecord {
    unsigned char order[TASK_FIELD_COUNT];
    size_t field_count;
    uint32_t present;           /* bit `field` set when order[] holds it: task_record_has */
    char *id, *instance, *status, *outcome;
    char *asked_at, *deadline;     /* as the engine writes times (time_text) */
    /* members kept as the ask gave them (value_to_json's JSON), as the codec's bytes in
       `values`: a decoded record's are where they lie in its bytes (copied whole into
       `values`), a new one's are appended as they are set */
    TaskValue state, question, choices, quorum, show, ladder, ladder_after, remind_every, no_quorum_arm;
    StrBuf values;
    bool too_deep;              /* a value set nests deeper than the codec writes */
    int64_t needed, deadline_ms, suspension, level, level_ms, asked_ms, reminders, next_level_due;
    bool nobody_can_answer;
    TaskTexts told;
    TaskSeat *seats;
    size_t seat_count;
    TaskVote *votes;
    size_t vote_count;
    bool open_in_store;         /* not encoded: the store's copy is open (task_parse sets it,
                                   task_save keeps it; engine_gauges.c) */
} TaskRecord;
void task_record_free(TaskRecord *r);

/* Whether member `field` is there. */
bool task_record_has(const TaskRecord *r, TaskField field);

/* The record of the task object `task` (as the engine builds it): TASK_RECORD_OK,
   TASK_RECORD_UNTYPED (a member the struct does not know, or of another shape: *out
   is empty), TASK_RECORD_NO_MEMORY. */
int task_record_from_json(const json_t *task, TaskRecord *out);

/* The object the record stands for, its members in the record's order: a new value,
   NULL when out of memory. */
json_t *task_record_json(const TaskRecord *r);

/* Appends the record's bytes (TASK_RECORD_1 first) to `out`: 0, or -1 when out of
   memory (the buffer failed) or a member nests deeper than the codec writes. */
int task_record_encode(const TaskRecord *r, StrBuf *out);

/* Appends the typed bytes of the task object `task`: TASK_RECORD_OK,
   TASK_RECORD_UNTYPED (nothing appended), TASK_RECORD_NO_MEMORY. */
int task_record_encode_json(const json_t *task, StrBuf *out);

/* ---- changing a record (the engine's task paths, engine_tasks.c) ----
   Each returns 0, or -1 when out of memory (the record as it was). */

/* Member `field` is there from now on: at the end of the order when it was not. */
void task_record_set(TaskRecord *r, TaskField field);
/* Member `field` is gone (its text or value released); set again, it goes last. */
void task_record_unset(TaskRecord *r, TaskField field);
/* A text member (id, instance, status, outcome, asked_at, deadline) set to a copy of
   `text`, which must be UTF-8 with no NUL. */
int task_record_set_text(TaskRecord *r, TaskField field, const char *text);
/* A member kept as the ask gave it, set to `value` (stolen; NULL: out of memory). A
   value nesting deeper than the codec writes is kept as null and marks the record
   too_deep (task_record_encode then fails). */
int task_record_set_json(TaskRecord *r, TaskField field, json_t *value);
/* The same for bytes already written: the value appended to r->values from `mark` on
   (a writer from codec_write_begin_value, its end's code `rc`): 0, or -1 when out of
   memory (CODEC_TOO_DEEP marks the record too_deep and keeps null). */
int task_record_set_written(TaskRecord *r, TaskField field, size_t mark, int rc);
/* A seat's who, set to the bytes of `who` (borrowed; NULL: out of memory): 0 or -1. */
int task_seat_set_who(TaskRecord *r, TaskSeat *seat, const json_t *who);
/* Value `v` of the record as a view of its bytes (a null's when it has none), valid until
   the record's values are added to. */
void task_record_view(const TaskRecord *r, TaskValue v, CodecView *out);
/* Value `v` (or what the view `v` of a record's value points at) as a new JSON value;
   NULL when out of memory. */
json_t *task_record_value_json(const TaskRecord *r, TaskValue v);
json_t *task_view_json(const CodecView *v);
/* An integer member set to `n`. */
void task_record_set_int(TaskRecord *r, TaskField field, int64_t n);
/* A new seat or vote at the end, zeroed; NULL when out of memory. */
TaskSeat *task_record_add_seat(TaskRecord *r);
TaskVote *task_record_add_vote(TaskRecord *r);

/* A copy of `text` added at the end of `t`. */
int task_texts_add(TaskTexts *t, const char *text);
/* The texts of the JSON list `list` (its strings) added at the end of `t`. */
int task_texts_add_json(TaskTexts *t, const json_t *list);
bool task_texts_has(const TaskTexts *t, const char *text);
void task_texts_free(TaskTexts *t);
/* The texts as a new JSON list; NULL when out of memory. */
json_t *task_texts_json(const TaskTexts *t);
/* The seat's `previous` (the people most recently added to it, from whom a bare
   `manager` level climbs) becomes the strings of `people`, when it names any; a list
   with none leaves it as it was. 0, or -1 when out of memory. */
int task_seat_set_previous(TaskSeat *seat, const json_t *people);

/* Member `field` written by `w` as its JSON (task_record_json's), the value of the key
   just written: a history record's "seats" or "votes", a message's task fields. */
void task_record_write_member(CodecWriter *w, const TaskRecord *r, TaskField field);

/* Whether `data` begins with a task record's version byte (known or newer). */
bool task_record_is_typed(const void *data, size_t len);

/* Decodes a record of version 1 into *out: TASK_RECORD_OK, TASK_RECORD_DAMAGED with the
   end of a sentence in `why` ("is not a readable task record (cut short at byte 9)",
   "is a task record of version 2, newer than this huddle reads (version 1)"),
   TASK_RECORD_NO_MEMORY. Never reads outside data[0..len). */
int task_record_decode(const void *data, size_t len, TaskRecord *out, char *why, size_t why_len);

/* A task as the store holds it, in any form (its own encoding, the codec's record, JSON
   text), as a new JSON object in *out. Codes and `why` as codec_load's (CODEC_OK,
   CODEC_DAMAGED, CODEC_NO_MEMORY). */
int task_record_load(const void *data, size_t len, json_t **out, char *why, size_t why_len);

#endif
