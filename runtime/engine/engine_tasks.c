/*
 * engine_tasks.c - an ask as a task: its seats and holders, answers and quorum, the
 * deadline, and the result the VM resumes with (../shared/design/LANGUAGE.md, "ask").
 *
 * Seats given as person("id") are held by that person. Teams, roles, owners,
 * managers, on-call, delegation and escalation resolve through the directory (the
 * people issue); without one those seats start with no holder, recorded `unresolved`.
 */
#include "engine_internal.h"
#include "engine_task_record.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int task_schedule_watch(Step *s, Instance *in, json_t *task);
static bool task_decidable(json_t *task);
static bool task_has_no_quorum_arm(json_t *task);
static void task_note_undecidable(Step *s, Instance *in, json_t *task);

static StoreBytes task_key(const char *id, unsigned char key[8])
{
    store_be64(instance_number(id), key);
    return store_bytes(key, 8);
}

/* The task record of its own encoding (engine_task_record.h); a task whose object has
   no typed form is kept as the codec's record of it. */
int task_save(Step *s, json_t *task)
{
    unsigned char number[8];
    StoreBytes key = task_key(json_string_value(json_object_get(task, "id")), number);
    StrBuf *bytes = &s->engine->record_bytes;
    bytes->len = 0;
    int typed = task_record_encode_json(task, bytes);
    int rc = typed == TASK_RECORD_OK ? store_put(s->txn, TABLE_TASKS, key, store_bytes(bytes->data, bytes->len))
                                     : STORE_OK;
    engine_record_bytes_done(s);
    if (typed == TASK_RECORD_UNTYPED)
        return engine_put_json(s, TABLE_TASKS, key, task);
    return typed == TASK_RECORD_NO_MEMORY ? step_fail(s, ENGINE_NO_MEMORY, "out of memory") : rc;
}

int inbox_set(Step *s, const char *person, const char *task_id, bool add)
{
    StrBuf key = STRBUF_INIT;
    unsigned char number[8];
    strbuf_puts(&key, person);
    strbuf_putc(&key, '\0');
    store_be64(instance_number(task_id), number);
    strbuf_append(&key, (const char *)number, 8);
    int rc = add ? store_put(s->txn, TABLE_INBOX, store_bytes(key.data, key.len), store_bytes("", 0))
                 : store_del(s->txn, TABLE_INBOX, store_bytes(key.data, key.len));
    strbuf_free(&key);
    return rc == STORE_NOT_FOUND ? STORE_OK : rc;
}

/* The holders of seat `index`, given by a who value: through the directory when there
   is one (with substitution for people away), else person("id") only. */
static json_t *seat_holders(Step *s, Instance *in, json_t *who, int index)
{
    const Directory *dir = step_directory(s);
    if (dir) {
        json_t *notes = json_array();
        json_t *holders = dir_resolve(dir, who, s->now, NULL, notes);
        record_notes(s, in, notes, index);
        json_decref(notes);
        return holders;
    }
    json_t *holders = json_array();
    const char *kind = json_string_value(json_object_get(who, "who"));
    json_t *id = json_object_get(who, "id");
    if (kind && strcmp(kind, "person") == 0 && json_is_string(id)) {
        json_array_append(holders, id);
    } else {
        json_t *notes = json_pack("[o]", dir_unresolved(who, "no directory is loaded"));
        record_notes(s, in, notes, index);
        json_decref(notes);
    }
    return holders;
}

/* For an `oncall` seat, who is on call now by the rotation (before substitution). */
static const char *seat_on_call(Step *s, const json_t *who)
{
    const Directory *dir = step_directory(s);
    const char *kind = json_string_value(json_object_get(who, "who"));
    if (!dir || !kind || strcmp(kind, "oncall") != 0)
        return NULL;
    return dir_oncall_at(dir_team(dir, json_string_value(json_object_get(who, "id"))), s->now);
}

/* Whether a later escalation level can still be reached (its timer is set, before the
   deadline). */
static bool task_levels_remain(json_t *task)
{
    return json_is_integer(json_object_get(task, "next_level_due"));
}

/* ---- the ladder and reminders ---- */

/* Durations kept on a task: {"ms": N} for elapsed time, {"count": N, "unit": U} for
   business time, so they come back as the same Values. */
static json_t *duration_json(const Value *d)
{
    if (!d || (d->type != VAL_DURATION && d->type != VAL_BUSINESS))
        return json_null();
    if (d->type == VAL_DURATION)
        return json_pack("{s:I}", "ms", (json_int_t)d->as.ms);
    return json_pack("{s:I, s:i}", "count", (json_int_t)d->as.integer, "unit", (int)d->unit);
}

static bool duration_value(const json_t *json, json_int_t times, Value *out)
{
    if (json_object_get(json, "ms")) {
        *out = value_duration(json_integer_value(json_object_get(json, "ms")) * times);
        return true;
    }
    if (json_object_get(json, "count")) {
        *out = value_business(json_integer_value(json_object_get(json, "count")) * times,
                              (BusinessUnit)json_integer_value(json_object_get(json, "unit")));
        return true;
    }
    return false;
}

static void task_keep_durations(json_t *task, Value ask)
{
    json_t *afters = json_array();
    const Value *ladder = value_map_get(ask, "ladder", 6);
    for (uint32_t i = 0; ladder && i < ladder->as.list->count; i++)
        json_array_append_new(afters, duration_json(value_map_get(ladder->as.list->items[i], "after", 5)));
    json_object_set_new(task, "ladder_after", afters);
    json_object_set_new(task, "remind_every", duration_json(value_map_get(ask, "remind", 6)));
}

/* When the next level is due, counted from when the current one was reached, kept in
   the task as "next_level_due"; false (and none kept) when there is no further level or
   it is due at or after the deadline, so never reached. */
static bool task_next_level(Step *s, Instance *in, json_t *task, int64_t *due)
{
    json_object_del(task, "next_level_due");
    json_int_t next = json_integer_value(json_object_get(task, "level")) + 1;
    Value d;
    if (!duration_value(json_array_get(json_object_get(task, "ladder_after"), (size_t)next - 1), 1, &d) ||
        step_business_add(s, in->program, json_integer_value(json_object_get(task, "level_ms")), d, due) != STORE_OK ||
        *due >= json_integer_value(json_object_get(task, "deadline_ms")))
        return false;
    json_object_set_new(task, "next_level_due", json_integer((json_int_t)*due));
    return true;
}

/* Sets the timer of the next level, if one can be reached. */
static int task_schedule_level(Step *s, Instance *in, json_t *task)
{
    int64_t due;
    if (!task_next_level(s, in, task, &due))
        return STORE_OK;
    json_int_t next = json_integer_value(json_object_get(task, "level")) + 1;
    return timer_set(s, in, due, 2, json_pack("{s:s, s:O, s:I}", "kind", "level", "task",
                                              json_object_get(task, "id"), "level", next));
}

/* Reminders fall at start + k * D (in business time if D is), before the deadline. */
static int task_schedule_reminder(Step *s, Instance *in, json_t *task)
{
    json_int_t k = json_integer_value(json_object_get(task, "reminders")) + 1;
    Value d;
    int64_t due;
    if (!duration_value(json_object_get(task, "remind_every"), k, &d) ||
        step_business_add(s, in->program, json_integer_value(json_object_get(task, "asked_ms")), d, &due) != STORE_OK ||
        due >= json_integer_value(json_object_get(task, "deadline_ms")))
        return STORE_OK;
    return timer_set(s, in, due, 4, json_pack("{s:s, s:O}", "kind", "reminder", "task", json_object_get(task, "id")));
}

/* The seats of the ask, each with its holders (given the task in their inbox). */
static json_t *task_give_seats(Step *s, Instance *in, json_t *description, const char *id, int *rc)
{
    json_t *seats = json_array();
    size_t i;
    json_t *who;
    json_array_foreach(json_object_get(description, "seats"), i, who) {
        json_t *holders = seat_holders(s, in, who, (int)i);
        size_t k;
        json_t *holder;
        json_array_foreach(holders, k, holder)
            if (*rc == STORE_OK)
                *rc = inbox_set(s, json_string_value(holder), id, true);
        /* holders twice, so both by reference (O) and ours released after: were the first
           stolen (o), a failure to set it would free it before the second took its own */
        json_t *seat = json_pack("{s:O, s:O, s:n, s:b, s:O}", "who", who, "holders", holders,
                                 "answered_by", "acked", 0, "previous", holders);
        json_decref(holders);
        const char *on_call = seat_on_call(s, who);
        if (on_call)
            json_object_set_new(seat, "on_call", json_string(on_call));
        json_array_append_new(seats, seat);
    }
    return seats;
}

/* The `asked` record, and level 0: the holders are told at the start. */
static void task_record_asked(Step *s, Instance *in, json_t *task)
{
    CodecWriter *record = record_begin(s, in, "asked");
    record_json(record, "task", json_object_get(task, "id"));
    record_json(record, "question", json_object_get(task, "question"));
    size_t i;
    json_t *choice;
    if (record) {
        codec_write_key(record, "choices");
        codec_write_array(record);
        json_array_foreach(json_object_get(task, "choices"), i, choice) {
            const json_t *id = json_object_get(choice, "id");
            if (id)   /* as json_array_append of NULL adds nothing */
                codec_write_json(record, id);
        }
        codec_write_close(record);
    }
    record_json(record, "seats", json_object_get(task, "seats"));
    record_json(record, "deadline", json_object_get(task, "deadline"));
    json_t *told = json_array();
    json_t *each;
    json_array_foreach(json_object_get(task, "seats"), i, each) {
        size_t k;
        json_t *holder;
        json_array_foreach(json_object_get(each, "holders"), k, holder)
            json_array_append(told, holder);
    }
    task_tell(s, in, task, told, "asked", NULL);
    json_decref(told);
}

/* The task's timers (deadline, next level, reminder, watch), unless no choice can win
   from the start and a `no_quorum` arm is there to run at once (*undecidable). An ask
   without that arm gets its timers and an `unresolved` record saying why. */
static int task_schedule(Step *s, Instance *in, json_t *task, bool *undecidable)
{
    int64_t level_due;
    task_next_level(s, in, task, &level_due);   /* whether a level remains, for task_decidable */
    bool decidable = task_decidable(task);
    *undecidable = !decidable && task_has_no_quorum_arm(task);
    if (*undecidable)
        return STORE_OK;
    int rc = timer_set(s, in, json_integer_value(json_object_get(task, "deadline_ms")), 1,
                       json_pack("{s:s, s:O}", "kind", "deadline", "task", json_object_get(task, "id")));
    if (rc == STORE_OK)
        rc = task_schedule_level(s, in, task);
    if (rc == STORE_OK)
        rc = task_schedule_reminder(s, in, task);
    if (rc == STORE_OK)
        rc = task_schedule_watch(s, in, task);
    if (!decidable)
        task_note_undecidable(s, in, task);
    return rc;
}

int task_create(Step *s, Instance *in, Value ask, bool *undecidable)
{
    *undecidable = false;
    json_t *description = value_to_json(ask);
    uint64_t number;
    int rc = engine_counter_next(s, "next_task", &number);
    if (rc != STORE_OK) {
        json_decref(description);
        return rc;
    }
    char id[32];
    snprintf(id, sizeof id, "t%llu", (unsigned long long)number);
    const Value *within = value_map_get(ask, "within", 6);
    int64_t deadline = 0;
    if (!within || step_business_add(s, in->program, s->now, *within, &deadline) != STORE_OK) {
        json_decref(description);
        record_text(record_begin(s, in, "stalled"), "error", within ? s->why : "the ask has no deadline");
        in->record.status = INSTANCE_STALLED;
        return STORE_OK;
    }
    if (!timer_due_ok(s, in, deadline, "deadline")) {   /* stalled, before any seat is given */
        json_decref(description);
        return STORE_OK;
    }
    char at[40], due[40];
    time_text(s->now, at);
    time_text(deadline, due);
    json_t *seats = task_give_seats(s, in, description, id, &rc);
    json_t *task = json_pack("{s:s, s:s, s:o, s:s, s:O, s:O, s:O, s:O, s:o, s:[], s:s, s:s, s:I, s:O, s:I}",
                             "id", id, "instance", in->record.id,
                             "state", in->record.state ? json_string(in->record.state) : json_null(), "status", "open",
                             "question", json_object_get(description, "question"),
                             "choices", json_object_get(description, "choices"),
                             "quorum", json_object_get(description, "quorum"),
                             "needed", json_object_get(description, "needed"),
                             "seats", seats, "votes", "asked_at", at, "deadline", due,
                             "deadline_ms", (json_int_t)deadline, "show", json_object_get(description, "show"),
                             "suspension", (json_int_t)in->frame->step);
    if (!task) {        /* out of memory; json_pack released `seats` (s:o) */
        json_decref(description);
        return ENGINE_NO_MEMORY;
    }
    task_record_asked(s, in, task);
    json_object_set(task, "ladder", json_object_get(description, "ladder"));
    task_keep_durations(task, ask);
    json_object_set_new(task, "level", json_integer(0));
    json_object_set_new(task, "level_ms", json_integer((json_int_t)s->now));
    json_object_set_new(task, "asked_ms", json_integer((json_int_t)s->now));
    json_object_set_new(task, "reminders", json_integer(0));
    json_object_set(task, "no_quorum_arm", json_object_get(description, "no_quorum_arm"));
    instance_set_text(s, &in->record.task, id);
    if (rc == STORE_OK)
        rc = task_schedule(s, in, task, undecidable);
    if (rc == STORE_OK)
        rc = task_save(s, task);
    json_decref(task);
    json_decref(description);
    return rc;
}

/* ---- resolving ---- */

static void task_tell_outcome(Step *s, Instance *in, json_t *task, json_t *people, const char *about,
                              const char *text, const char *outcome);

/* Everyone who was told of the ask (its "told" list: holders at any time, people
   reassigned off a seat included) is told how it ended, once each, on their own
   channel; `message` (may be NULL) is added to each record. */
static void task_tell_everyone(Step *s, Instance *in, json_t *task, const char *outcome,
                               const char *message)
{
    json_t *people = json_copy(json_object_get(task, "told"));   /* shallow: the same strings */
    if (!people)
        people = json_array();
    size_t i, k;
    json_t *seat, *holder;
    json_array_foreach(json_object_get(task, "seats"), i, seat)   /* tasks stored before "told" */
        json_array_foreach(json_object_get(seat, "holders"), k, holder)
            json_array_append(people, holder);
    task_tell_outcome(s, in, task, people, message ? "cancelled" : "outcome", message, outcome);
    json_decref(people);
}

/* Closes the task with `choice`: the `resolved` record, everyone told, the holders'
   inboxes emptied. *result is what the VM resumes with (the caller releases it). */
static int task_close(Step *s, Instance *in, json_t *task, const char *choice, json_t *by,
                      json_t *comment, Value *result)
{
    char at[40];
    time_text(s->now, at);
    *result = VALUE_NULL;
    const char *id = json_string_value(json_object_get(task, "id"));
    json_object_set_new(task, "status", json_string("resolved"));
    json_object_set_new(task, "outcome", json_string(choice));
    json_t *deciders = json_array();
    json_t *votes = json_object_get(task, "votes");
    size_t i;
    json_t *vote;
    json_array_foreach(votes, i, vote)
        if (strcmp(json_string_value(json_object_get(vote, "choice")), choice) == 0)
            json_array_append(deciders, json_object_get(vote, "by"));
    CodecWriter *record = record_begin(s, in, "resolved");
    record_text(record, "task", id);
    record_text(record, "choice", choice);
    record_json(record, "votes", votes);
    task_tell_everyone(s, in, task, choice, NULL);
    int rc = task_save(s, task);
    json_t *seat;
    json_array_foreach(json_object_get(task, "seats"), i, seat) {
        size_t k;
        json_t *holder;
        json_array_foreach(json_object_get(seat, "holders"), k, holder)
            if (rc == STORE_OK)
                rc = inbox_set(s, json_string_value(holder), id, false);
    }
    json_t *json = json_pack("{s:s, s:O, s:O, s:s, s:O, s:o}", "choice", choice,
                             "by", by ? by : json_null(), "comment", comment ? comment : json_null(),
                             "at", at, "votes", votes, "deciders", deciders);
    if (!json)
        return step_fail(s, ENGINE_NO_MEMORY, "out of memory");
    *result = value_from_json(json);
    value_map_set(*result, "at", 2, value_time(s->now));   /* `at` is a time in the language */
    json_decref(json);
    return rc;
}

int task_resolve(Step *s, Instance *in, json_t *task, const char *choice, json_t *by,
                 json_t *comment)
{
    Value result;
    int rc = task_close(s, in, task, choice, by, comment, &result);
    if (rc == STORE_OK)
        rc = step_resume(s, in, VM_INPUT_ANSWER, result);
    value_release(result);
    return rc;
}

bool holders_include(const json_t *holders, const char *person)
{
    size_t k;
    json_t *holder;
    json_array_foreach(holders, k, holder)
        if (json_string_value(holder) && strcmp(json_string_value(holder), person) == 0)
            return true;
    return false;
}

/* Adds `person` to a seat's `holders` (whose ids `held` has as a set), and the task to
   their inbox, unless they hold it already. Returns whether they were added. */
static bool seat_add_holder(Step *s, json_t *holders, IdSet *held, json_t *person, const char *task_id)
{
    const char *id = json_string_value(person);
    if (!idset_add(held, id))
        return false;
    json_array_append(holders, person);
    int rc = inbox_set(s, id, task_id, true);
    if (rc != STORE_OK)
        step_fail(s, rc, "store error adding task %s to %s's inbox: %s", task_id, id, store_strerror(rc));
    return true;
}

/* Task `id` ("t3"): STORE_OK, STORE_NOT_FOUND, or a failure naming it. */
static int task_load(Step *s, const char *id, json_t **task)
{
    unsigned char key[8];
    *task = NULL;
    if (!id || id[0] != 't' || instance_number(id) == 0)
        return STORE_NOT_FOUND;
    return engine_get_json(s, TABLE_TASKS, task_key(id, key), task);
}

int task_load_named(Step *s, const char *id, json_t **task)
{
    int rc = task_load(s, id, task);
    if (rc == STORE_NOT_FOUND)
        return step_fail(s, ENGINE_REFUSED, "no task '%s'", id);
    return rc;
}

int task_instance_load(Step *s, json_t *task, Instance *in)
{
    const char *id = json_string_value(json_object_get(task, "instance"));
    int rc = instance_load(s, instance_number(id), in);
    if (rc == STORE_NOT_FOUND)
        rc = step_fail(s, ENGINE_FAILED, "the store is damaged: task %s names instance %s, which is not in the store",
                       json_string_value(json_object_get(task, "id")), id);
    return rc;
}

/* task_load for a task that may be gone (or `id` NULL): *task NULL and STORE_OK then;
   another failure (out of memory, the store) is returned, never taken for "gone". */
static int task_load_if(Step *s, const char *id, json_t **task)
{
    *task = NULL;
    int rc = id ? task_load(s, id, task) : STORE_NOT_FOUND;
    if (rc != STORE_OK)
        *task = NULL;
    return rc == STORE_NOT_FOUND ? STORE_OK : rc;
}

int task_timeout(Step *s, Instance *in, const char *task_id)
{
    json_t *task;
    int rc = task_load_if(s, task_id, &task);
    if (!task)
        return rc;
    if (strcmp(json_string_value(json_object_get(task, "status")), "open") == 0)
        rc = task_resolve(s, in, task, "timeout", json_null(), json_null());
    json_decref(task);
    return rc;
}

/* Could `choice` still win? Its votes plus the open seats that distinct people who have
   not answered could still fill. */
/* Kuhn's augmenting paths: can seat `seat` take a person, possibly moving others? */
static bool match_seat(int seat, int seats, int people, const bool *can, int *owner_of, bool *seen)
{
    for (int p = 0; p < people; p++) {
        if (!can[seat * people + p] || seen[p])
            continue;
        seen[p] = true;
        if (owner_of[p] < 0 || match_seat(owner_of[p], seats, people, can, owner_of, seen)) {
            owner_of[p] = seat;
            return true;
        }
    }
    return false;
}

/* The holders of the open seats who have not voted, each once, numbered from 0 in
   `index` (id -> number); returns how many. */
static size_t task_open_people(json_t *task, json_t *open, IdSet *index)
{
    IdSet voters = IDSET_INIT;
    json_t *vote, *seat, *holder;
    size_t i, k, count = 0;
    json_array_foreach(json_object_get(task, "votes"), i, vote)
        idset_add(&voters, json_string_value(json_object_get(vote, "by")));
    json_array_foreach(open, i, seat)
        json_array_foreach(json_object_get(seat, "holders"), k, holder)
            if (!idset_get(&voters, json_string_value(holder), NULL) &&
                idset_put(index, json_string_value(holder), count, NULL))
                count++;
    idset_free(&voters);
    return count;
}

/* How many open seats distinct people who have not answered could still fill: a
   maximum matching of seats to people, plus seats with nobody yet while a later level
   remains. */
static json_int_t task_fillable_seats(json_t *task)
{
    json_t *open = json_array(), *seat, *holder;
    size_t i, k;
    json_array_foreach(json_object_get(task, "seats"), i, seat)
        if (json_is_null(json_object_get(seat, "answered_by")))
            json_array_append(open, seat);
    IdSet index = IDSET_INIT;
    int seats = (int)json_array_size(open), count = (int)task_open_people(task, open, &index);
    bool *can = engine_calloc((size_t)seats * (size_t)count + 1, 1), *seen = engine_calloc((size_t)count + 1, 1);
    int *owner_of = engine_calloc((size_t)count + 1, sizeof(int));
    json_int_t fillable = 0;
    for (int p = 0; owner_of && p < count; p++)
        owner_of[p] = -1;
    /* Out of memory: counted by engine_calloc, so the step fails; none is fillable. */
    json_array_foreach(can && seen && owner_of ? open : NULL, i, seat) {
        bool has_someone = false;
        json_array_foreach(json_object_get(seat, "holders"), k, holder) {
            size_t at;
            if (idset_get(&index, json_string_value(holder), &at) && at < (size_t)count) {
                can[i * (size_t)count + at] = true;
                has_someone = true;
            }
        }
        if (!has_someone) {
            fillable += task_levels_remain(task);   /* a later level may add someone */
            continue;
        }
        memset(seen, 0, (size_t)count + 1);
        fillable += match_seat((int)i, seats, count, can, owner_of, seen);
    }
    free(can);
    free(seen);
    free(owner_of);
    idset_free(&index);
    json_decref(open);
    return fillable;
}

/* Could any choice still win? Its votes plus the seats that can still be filled. */
static bool task_decidable(json_t *task)
{
    json_int_t needed = json_integer_value(json_object_get(task, "needed"));
    json_int_t fillable = task_fillable_seats(task);
    size_t i, k;
    json_t *c, *vote;
    json_array_foreach(json_object_get(task, "choices"), i, c) {
        json_int_t votes = 0;
        json_array_foreach(json_object_get(task, "votes"), k, vote)
            votes += strcmp(json_string_value(json_object_get(vote, "choice")),
                            json_string_value(json_object_get(c, "id"))) == 0;
        if (votes + fillable >= needed)
            return true;
    }
    return false;
}

static json_t *task_choice(json_t *task, const char *choice)
{
    size_t i;
    json_t *c;
    json_array_foreach(json_object_get(task, "choices"), i, c)
        if (strcmp(json_string_value(json_object_get(c, "id")), choice) == 0)
            return c;
    return NULL;
}

int task_check_open_choice(Step *s, json_t *task, const char *id, const char *choice)
{
    if (strcmp(json_string_value(json_object_get(task, "status")), "open") != 0)
        return step_fail(s, ENGINE_REFUSED, "task %s is already resolved (%s)", id,
                         json_string_value(json_object_get(task, "outcome")));
    if (choice && !task_choice(task, choice)) {
        StrBuf names = STRBUF_INIT;
        size_t i;
        json_t *each;
        json_array_foreach(json_object_get(task, "choices"), i, each)
            strbuf_printf(&names, "%s%s", i ? ", " : "", json_string_value(json_object_get(each, "id")));
        int rc = step_fail(s, ENGINE_REFUSED, "task %s has no choice '%s' (its choices: %s)", id, choice, strbuf_text(&names));
        strbuf_free(&names);
        return rc;
    }
    return STORE_OK;
}

static int task_check_answer(Step *s, json_t *task, const char *id, const char *by,
                             const char *choice, const char *comment, json_t **seat_out)
{
    int checked = task_check_open_choice(s, task, id, choice);
    if (checked != STORE_OK)
        return checked;
    json_t *c = task_choice(task, choice);
    if (json_is_true(json_object_get(c, "with_comment")) && (!comment || !*comment))
        return step_fail(s, ENGINE_REFUSED, "choice '%s' needs a comment (--comment TEXT to huddle answer, \"comment\" in a trace)", choice);
    size_t i;
    json_t *vote, *seat;
    json_array_foreach(json_object_get(task, "votes"), i, vote)
        if (strcmp(json_string_value(json_object_get(vote, "by")), by) == 0)
            return step_fail(s, ENGINE_REFUSED, "%s already answered task %s", by, id);
    json_array_foreach(json_object_get(task, "seats"), i, seat) {
        if (!json_is_null(json_object_get(seat, "answered_by")))
            continue;
        if (holders_include(json_object_get(seat, "holders"), by)) {
            *seat_out = seat;
            return STORE_OK;
        }
    }
    return step_fail(s, ENGINE_REFUSED, "%s holds no open seat on task %s", by, id);
}

/* An answer identical to one already applied returns the first result. */
static bool task_same_answer(json_t *task, const char *by, const char *choice, const char *comment)
{
    size_t i;
    json_t *vote;
    json_array_foreach(json_object_get(task, "votes"), i, vote) {
        json_t *old_comment = json_object_get(vote, "comment");
        if (strcmp(json_string_value(json_object_get(vote, "by")), by) == 0 &&
            strcmp(json_string_value(json_object_get(vote, "choice")), choice) == 0 &&
            (json_is_null(old_comment) ? !comment : comment && strcmp(json_string_value(old_comment), comment) == 0))
            return true;
    }
    return false;
}

int task_answer(Step *s, const char *id, const char *by, const char *choice, const char *comment)
{
    json_t *task;
    int loaded = task_load_named(s, id, &task);
    if (loaded != STORE_OK)
        return loaded;
    if (task_same_answer(task, by, choice, comment)) {
        json_decref(task);
        return STORE_OK;
    }
    json_t *seat = NULL;
    int rc = door_check_person_id(s, "by", by);
    if (rc == STORE_OK)
        rc = task_check_answer(s, task, id, by, choice, comment, &seat);
    if (rc == STORE_OK)
        rc = door_check_person(s, "by", by);   /* a holder the directory has since lost */
    Instance in = {0};
    if (rc == STORE_OK)
        rc = task_instance_load(s, task, &in);
    if (rc != STORE_OK) {
        json_decref(task);
        return rc;
    }
    char at[40];
    time_text(s->now, at);
    json_object_set_new(seat, "answered_by", json_string(by));
    size_t seat_index = json_array_size(json_object_get(task, "seats"));
    size_t i;
    json_t *each;
    json_array_foreach(json_object_get(task, "seats"), i, each)
        if (each == seat)
            seat_index = i;
    json_t *vote = json_pack("{s:s, s:s, s:o, s:s, s:I}", "by", by, "choice", choice, "comment",
                             comment ? json_string(comment) : json_null(), "at", at,
                             "seat", (json_int_t)seat_index);
    if (json_array_append_new(json_object_get(task, "votes"), vote) != 0) {   /* vote is released */
        instance_clear(&in);
        json_decref(task);
        return step_fail(s, ENGINE_NO_MEMORY, "out of memory");
    }
    CodecWriter *record = record_begin(s, &in, "answered");
    record_text(record, "task", id);
    record_text(record, "by", by);
    record_text(record, "token", s->token);
    record_text(record, "choice", choice);
    record_json(record, "comment", json_object_get(vote, "comment"));
    json_int_t needed = json_integer_value(json_object_get(task, "needed"));
    json_int_t count = 0;
    json_t *v;
    json_array_foreach(json_object_get(task, "votes"), i, v)
        count += strcmp(json_string_value(json_object_get(v, "choice")), choice) == 0;
    if (count >= needed) {
        rc = task_resolve(s, &in, task, choice, json_object_get(vote, "by"), json_object_get(vote, "comment"));
    } else {
        bool resolved;
        rc = task_recheck(s, &in, task, &resolved);
        if (rc == STORE_OK && !resolved)
            rc = task_save(s, task);
    }
    if (rc == STORE_OK)
        rc = instance_save(s, &in);
    instance_clear(&in);
    json_decref(task);
    return rc;
}

/* An instance cancelled while it asks: the task closes, leaves its holders' inboxes, and
   everyone who was told of it is told, on their own channel. */
int task_cancel(Step *s, Instance *in, const char *by, const char *reason)
{
    const char *id = in->record.task;
    json_t *task;
    int rc = task_load_if(s, id, &task);
    if (!task)
        return rc;
    if (strcmp(json_string_value(json_object_get(task, "status")), "open") == 0) {
        json_object_set_new(task, "status", json_string("cancelled"));
        size_t i;
        json_t *seat;
        json_array_foreach(json_object_get(task, "seats"), i, seat) {
            size_t k;
            json_t *holder;
            json_array_foreach(json_object_get(seat, "holders"), k, holder)
                if (rc == STORE_OK)
                    rc = inbox_set(s, json_string_value(holder), id, false);
        }
        char message[512];
        snprintf(message, sizeof message, "Task %s was cancelled by %s: %s", id, by, reason);
        task_tell_everyone(s, in, task, "cancelled", message);
        if (rc == STORE_OK)
            rc = task_save(s, task);
    }
    json_decref(task);
    return rc;
}

/* ---- escalation, reminders, acknowledgements ---- */

static bool seat_open(json_t *seat)
{
    return json_is_null(json_object_get(seat, "answered_by")) && !json_is_true(json_object_get(seat, "acked"));
}

/* Adds the people of level `level` to every unanswered, unacknowledged seat. Returns
   how many people were added in all. */
static size_t task_add_level(Step *s, Instance *in, json_t *task, json_int_t level, json_t *added)
{
    const Directory *dir = step_directory(s);
    json_t *who = json_object_get(json_array_get(json_object_get(task, "ladder"), (size_t)level - 1), "who");
    bool bare_manager = !json_object_get(who, "of") && json_string_value(json_object_get(who, "who")) &&
                        strcmp(json_string_value(json_object_get(who, "who")), "manager") == 0;
    const char *id = json_string_value(json_object_get(task, "id"));
    size_t total = 0, i;
    json_t *seat;
    json_array_foreach(json_object_get(task, "seats"), i, seat) {
        if (!seat_open(seat) || !dir)
            continue;
        json_t *notes = json_array(), *people;
        const char *kind = json_string_value(json_object_get(json_object_get(seat, "who"), "who"));
        bool team_seat = kind && (strcmp(kind, "team") == 0 || strcmp(kind, "oncall") == 0);
        if (bare_manager && level == 1 && team_seat) {
            json_t *lead = json_pack("{s:s, s:O}", "who", "lead", "id", json_object_get(json_object_get(seat, "who"), "id"));
            people = dir_resolve(dir, lead, s->now, NULL, notes);
            json_decref(lead);
        } else {
            people = dir_resolve(dir, who, s->now, bare_manager ? json_object_get(seat, "previous") : NULL, notes);
        }
        record_notes(s, in, notes, (int)i);
        json_t *holders = json_object_get(seat, "holders"), *fresh = json_array();
        IdSet held = IDSET_INIT;
        idset_add_all(&held, holders);
        size_t k;
        json_t *person;
        json_array_foreach(people, k, person)
            if (seat_add_holder(s, holders, &held, person, id))
                json_array_append(fresh, person);
        idset_free(&held);
        if (json_array_size(fresh))   /* a level that added nobody leaves the rung where it was */
            json_object_set(seat, "previous", fresh);
        if (json_array_size(fresh)) {
            char key[16];
            snprintf(key, sizeof key, "%zu", i);
            json_object_set(added, key, fresh);
            total += json_array_size(fresh);
        }
        json_decref(fresh);
        json_decref(people);
        json_decref(notes);
    }
    return total;
}

void task_tell(Step *s, Instance *in, json_t *task, json_t *people, const char *about,
               const char *text)
{
    task_tell_outcome(s, in, task, people, about, text, NULL);
}

/* task_tell, each `notified` record also saying how the ask ended (`outcome`, and the
   `message` when there is `text`), when outcome is not NULL. */
static void task_tell_outcome(Step *s, Instance *in, json_t *task, json_t *people, const char *about,
                              const char *text, const char *outcome)
{
    const Directory *dir = step_directory(s);
    size_t i;
    json_t *person;
    if (json_array_size(people) == 0)
        return;
    json_t *everyone = json_object_get(task, "told");
    if (!everyone) {
        everyone = json_array();
        json_object_set_new(task, "told", everyone);
    }
    /* Each once, whatever seats they hold (`told`); the task's "told" list as a set (`known`). */
    IdSet told = IDSET_INIT, known = IDSET_INIT;
    json_t *now_told = json_array();   /* for the outbox: one message to them all */
    idset_reserve(&told, json_array_size(people));
    idset_reserve(&known, json_array_size(everyone) + json_array_size(people));
    idset_add_all(&known, everyone);
    json_array_foreach(people, i, person) {
        if (!idset_add(&told, json_string_value(person)))
            continue;
        json_array_append(now_told, person);
        CodecWriter *record = record_begin(s, in, "notified");
        record_json(record, "task", json_object_get(task, "id"));
        record_json(record, "person", person);
        record_text(record, "channel", dir ? dir_channel(dir, json_string_value(person)) : "email");
        if (outcome) {
            record_text(record, "outcome", outcome);
            record_text(record, "message", text);
        }
        if (idset_add(&known, json_string_value(person)))
            json_array_append(everyone, person);
    }
    idset_free(&known);
    idset_free(&told);
    outbox_tell(s, in, now_told, about, task, text);
    json_decref(now_told);
}

/* Whether the ask has a `no_quorum` arm. Tasks written before the description said so
   had one exactly when N >= 2 (the checker refused it for N = 1 then). */
static bool task_has_no_quorum_arm(json_t *task)
{
    json_t *arm = json_object_get(task, "no_quorum_arm");
    if (json_is_boolean(arm))
        return json_is_true(arm);
    return json_integer_value(json_object_get(task, "needed")) >= 2;
}

/* No choice can win and the ask has no `no_quorum` arm: one `unresolved` record says
   so, once while it stays so. */
static void task_note_undecidable(Step *s, Instance *in, json_t *task)
{
    if (json_is_true(json_object_get(task, "nobody_can_answer")))
        return;   /* said once; still so */
    json_object_set_new(task, "nobody_can_answer", json_true());
    CodecWriter *record = record_begin(s, in, "unresolved");
    record_json(record, "task", json_object_get(task, "id"));
    record_text(record, "why", (
        "nobody can answer: no open seat has a holder and no escalation level remains; with no "
        "'no_quorum' arm the ask stays open until its deadline (an operator may huddle reassign a seat)"));
}

int task_recheck(Step *s, Instance *in, json_t *task, bool *resolved)
{
    *resolved = false;
    if (task_decidable(task)) {
        json_object_del(task, "nobody_can_answer");
        return STORE_OK;
    }
    if (task_has_no_quorum_arm(task)) {
        *resolved = true;
        return task_resolve(s, in, task, "no_quorum", json_null(), json_null());
    }
    task_note_undecidable(s, in, task);
    return STORE_OK;
}

/* The limit of task_decide_at_once is reached: the task resolves, but the instance
   stalls with its result kept, as a failed step keeps its input for `huddle retry`. */
static int task_stall_at_once(Step *s, Instance *in, json_t *task)
{
    Value result;
    int rc = task_close(s, in, task, "no_quorum", json_null(), json_null(), &result);
    if (rc != STORE_OK) {
        value_release(result);
        return rc;
    }
    char message[512];
    snprintf(message, sizeof message,
             "no_quorum ran at once %d times in one step: the ask in state %s has nobody who "
             "could answer, and its no_quorum arm leads to such an ask again; the instance "
             "stalls rather than spin (give the seats people in the directory, then huddle "
             "retry, or huddle retry --goto STATE)",
             TASK_AT_ONCE_LIMIT, json_string_value(json_object_get(task, "state")));
    record_text(record_begin(s, in, "stalled"), "error", message);
    in->record.status = INSTANCE_STALLED;
    instance_record_set_json(&in->record.stalled_input,
                             json_pack("{s:s, s:o}", "kind", "answer", "value", value_to_json(result)));
    value_release(result);
    return STORE_OK;
}

int task_decide_at_once(Step *s, Instance *in)
{
    if (s->deciding) {   /* reached from the loop below: it resolves this one next */
        s->undecidable = true;
        return STORE_OK;
    }
    s->deciding = true;
    int rc = STORE_OK;
    do {
        s->undecidable = false;
        json_t *task;
        rc = task_load_if(s, in->record.task, &task);
        if (!task)
            break;
        if (++s->decided_at_once < TASK_AT_ONCE_LIMIT)
            rc = task_resolve(s, in, task, "no_quorum", json_null(), json_null());
        else
            rc = task_stall_at_once(s, in, task);
        json_decref(task);
    } while (rc == STORE_OK && s->undecidable);
    s->deciding = false;
    s->undecidable = false;
    return rc;
}

int task_escalate(Step *s, Instance *in, const char *task_id, json_int_t level)
{
    json_t *task;
    int rc = task_load_if(s, task_id, &task);
    if (!task)
        return rc;
    bool resolved = false;
    json_int_t levels = (json_int_t)json_array_size(json_object_get(task, "ladder"));
    while (rc == STORE_OK && !resolved && strcmp(json_string_value(json_object_get(task, "status")), "open") == 0 &&
           level <= levels && level == json_integer_value(json_object_get(task, "level")) + 1 &&
           s->now < json_integer_value(json_object_get(task, "deadline_ms"))) {
        json_t *added = json_object();
        size_t count = task_add_level(s, in, task, level, added);
        json_object_set_new(task, "level", json_integer(level));
        json_object_set_new(task, "level_ms", json_integer((json_int_t)s->now));
        CodecWriter *record = record_begin(s, in, count ? "escalated" : "skipped");
        record_text(record, "task", task_id);
        record_integer(record, "level", level);
        if (!count)
            record_text(record, "why", "nobody to add to an open seat");
        if (count) {
            record_json(record, "added", added);
            json_t *everyone = json_array();
            const char *seat;
            json_t *people;
            json_object_foreach(added, seat, people)
                json_array_extend(everyone, people);
            task_tell(s, in, task, everyone, "escalated", NULL);
            json_decref(everyone);
        }
        json_decref(added);
        if (count || level == levels) {
            rc = task_schedule_level(s, in, task);   /* the next level, if any, is due later */
            if (rc == STORE_OK)
                rc = task_recheck(s, in, task, &resolved);
            break;
        }
        level++;   /* a level that adds nobody: the next is reached at this same moment */
    }
    if (rc == STORE_OK && !resolved)
        rc = task_save(s, task);
    json_decref(task);
    return rc;
}

int task_remind(Step *s, Instance *in, const char *task_id)
{
    json_t *task;
    int rc = task_load_if(s, task_id, &task);
    if (!task)
        return rc;
    if (strcmp(json_string_value(json_object_get(task, "status")), "open") == 0) {
        json_t *people = json_array();
        size_t i;
        json_t *seat;
        json_array_foreach(json_object_get(task, "seats"), i, seat)
            if (seat_open(seat)) {
                size_t k;
                json_t *holder;
                json_array_foreach(json_object_get(seat, "holders"), k, holder)
                    json_array_append(people, holder);
            }
        json_t *distinct = json_array(), *seen = json_object();
        json_t *person;
        json_array_foreach(people, i, person)
            if (dir_set_add(seen, json_string_value(person)))
                json_array_append(distinct, person);
        json_decref(seen);
        json_decref(people);
        people = distinct;
        if (json_array_size(people)) {   /* nobody left to remind: nothing to record */
            CodecWriter *record = record_begin(s, in, "reminded");
            record_text(record, "task", task_id);
            record_json(record, "people", people);
            task_tell(s, in, task, people, "reminded", NULL);
        }
        json_decref(people);
        json_object_set_new(task, "reminders", json_integer(json_integer_value(json_object_get(task, "reminders")) + 1));
        rc = task_schedule_reminder(s, in, task);
        if (rc == STORE_OK)
            rc = task_save(s, task);
    }
    json_decref(task);
    return rc;
}

int task_ack(Step *s, const char *id, const char *by)
{
    json_t *task;
    int loaded = task_load_named(s, id, &task);
    if (loaded != STORE_OK)
        return loaded;
    int rc = STORE_OK;
    json_t *seats = json_array();
    bool holds = false;
    size_t i;
    json_t *seat;
    json_array_foreach(json_object_get(task, "seats"), i, seat) {
        bool mine = holders_include(json_object_get(seat, "holders"), by);
        if (!mine || !json_is_null(json_object_get(seat, "answered_by")))
            continue;
        holds = true;
        if (!json_is_true(json_object_get(seat, "acked"))) {
            json_object_set_new(seat, "acked", json_true());
            json_array_append_new(seats, json_integer((json_int_t)i));
        }
    }
    if (strcmp(json_string_value(json_object_get(task, "status")), "open") != 0)
        rc = step_fail(s, ENGINE_REFUSED, "task %s is no longer open", id);
    else if ((rc = door_check_person_id(s, "by", by)) != STORE_OK)
        ;
    else if (!holds)
        rc = step_fail(s, ENGINE_REFUSED, "%s holds no open seat on task %s", by, id);
    else
        rc = door_check_person(s, "by", by);   /* a holder the directory has since lost */
    Instance in = {0};
    if (rc == STORE_OK && json_array_size(seats) > 0)
        rc = task_instance_load(s, task, &in);
    if (rc == STORE_OK && in.loaded) {
        CodecWriter *record = record_begin(s, &in, "acknowledged");
        record_text(record, "task", id);
        record_json(record, "seats", seats);
        record_text(record, "by", by);
        record_text(record, "token", s->token);
        rc = task_save(s, task);
        if (rc == STORE_OK)
            rc = instance_save(s, &in);
        instance_clear(&in);
    }
    json_decref(seats);
    json_decref(task);
    return rc;
}

/* An open `oncall` seat at a shift change: a `handover` record (task, seat, from, to),
   and the incoming person, substituted like anyone else (`delegated` records), added to
   `wanted`. */
static void seat_handover(Step *s, Instance *in, json_t *task, json_t *seat, int index, json_t *wanted)
{
    const char *on_call = seat_on_call(s, json_object_get(seat, "who"));
    json_t *before = json_object_get(seat, "on_call");
    if (!on_call || (json_is_string(before) && strcmp(json_string_value(before), on_call) == 0))
        return;
    if (before) {   /* a seat stored before seats kept "on_call" gains the person unrecorded */
        CodecWriter *record = record_begin(s, in, "handover");
        record_json(record, "task", json_object_get(task, "id"));
        record_integer(record, "seat", index);
        record_json(record, "from", before);
        record_text(record, "to", on_call);
    }
    json_object_set_new(seat, "on_call", json_string(on_call));
    json_t *notes = json_array();
    json_t *people = dir_resolve(step_directory(s), json_object_get(seat, "who"), s->now, NULL, notes);
    record_notes(s, in, notes, index);
    json_array_extend(wanted, people);
    json_decref(people);
    json_decref(notes);
}

/* Holders of unanswered seats who are away now get their substitutes beside them; an
   open on-call seat gains whoever is on call now. Returns whether anything changed. */
static bool task_refresh_holders(Step *s, Instance *in, json_t *task)
{
    const Directory *dir = step_directory(s);
    const char *id = json_string_value(json_object_get(task, "id"));
    bool changed = false;
    size_t i;
    json_t *seat;
    json_array_foreach(dir ? json_object_get(task, "seats") : NULL, i, seat) {
        if (!json_is_null(json_object_get(seat, "answered_by")))
            continue;   /* an acknowledged seat still gains a substitute */
        json_t *holders = json_object_get(seat, "holders"), *wanted = json_array();
        size_t count = json_array_size(holders);
        for (size_t k = 0; k < count; k++) {
            const char *holder = json_string_value(json_array_get(holders, k));
            if (!dir_away_at(dir, dir_person(dir, holder), s->now))
                continue;
            json_t *who = json_pack("{s:s, s:s}", "who", "person", "id", holder);
            json_t *notes = json_array();
            json_t *people = dir_resolve(dir, who, s->now, NULL, notes);
            record_notes(s, in, notes, (int)i);
            json_array_extend(wanted, people);
            json_decref(people);
            json_decref(notes);
            json_decref(who);
        }
        seat_handover(s, in, task, seat, (int)i, wanted);
        size_t p;
        json_t *person, *added = json_array();
        IdSet held = IDSET_INIT;
        idset_add_all(&held, holders);
        json_array_foreach(wanted, p, person)
            if (seat_add_holder(s, holders, &held, person, id))
                json_array_append(added, person);
        task_tell(s, in, task, added, "asked", NULL);   /* once for all: "told" read as a set once */
        changed |= json_array_size(added) > 0;
        json_decref(added);
        idset_free(&held);
        json_decref(wanted);
    }
    return changed;
}

/* The next moment the holders may change by themselves before the deadline: an
   absence of a holder starting, or an on-call shift ending. A "watch" timer wakes the
   task then (../shared/design/LANGUAGE.md: "an absence's start, for which a timer is
   set"). */
static int task_schedule_watch(Step *s, Instance *in, json_t *task)
{
    const Directory *dir = step_directory(s);
    int64_t deadline = json_integer_value(json_object_get(task, "deadline_ms")), next = deadline;
    size_t i;
    json_t *seat;
    json_array_foreach(dir ? json_object_get(task, "seats") : NULL, i, seat) {
        if (!json_is_null(json_object_get(seat, "answered_by")))
            continue;
        size_t k;
        json_t *holder;
        json_array_foreach(json_object_get(seat, "holders"), k, holder) {
            const DirPerson *person = dir_person(dir, json_string_value(holder));
            for (unsigned a = 0; person && a < person->absence_count; a++)
                if (person->absences[a].from_ms > s->now && person->absences[a].from_ms < next)
                    next = person->absences[a].from_ms;
        }
        json_t *who = json_object_get(seat, "who");
        const char *kind = json_string_value(json_object_get(who, "who"));
        const DirTeam *team = kind && strcmp(kind, "oncall") == 0
            ? dir_team(dir, json_string_value(json_object_get(who, "id"))) : NULL;
        if (team && team->shift_ms > 0) {
            int64_t shifts = s->now >= team->start_ms ? (s->now - team->start_ms) / team->shift_ms + 1 : 0;
            int64_t boundary = team->start_ms + shifts * team->shift_ms;
            if (boundary > s->now && boundary < next)
                next = boundary;
        }
    }
    if (next >= deadline || next <= s->now)
        return STORE_OK;
    return timer_set(s, in, next, 3, json_pack("{s:s, s:O}", "kind", "watch", "task", json_object_get(task, "id")));
}

/* The holders refreshed (task_refresh_holders), the quorum re-checked when that changed
   them (a delegation or a handover), the next watch set, and the task saved, unless
   the re-check resolved it (it has saved it then). */
static int task_refresh(Step *s, Instance *in, json_t *task)
{
    bool resolved = false;
    int rc = STORE_OK;
    if (task_refresh_holders(s, in, task))
        rc = task_recheck(s, in, task, &resolved);
    if (rc == STORE_OK && !resolved)
        rc = task_schedule_watch(s, in, task);
    if (rc == STORE_OK && !resolved)
        rc = task_save(s, task);
    return rc;
}

int task_watch(Step *s, Instance *in, const char *task_id)
{
    json_t *task;
    int rc = task_load_if(s, task_id, &task);
    if (!task)
        return rc;
    if (strcmp(json_string_value(json_object_get(task, "status")), "open") == 0)
        rc = task_refresh(s, in, task);
    json_decref(task);
    return rc;
}

/* A directory change while the ask is open. */
int task_cover_absences(Step *s, const char *id)
{
    json_t *task = NULL;
    int rc = step_directory(s) ? task_load_if(s, id, &task) : s->failed;
    if (rc != STORE_OK || !task)
        return rc;
    Instance in = {0};
    rc = task_instance_load(s, task, &in);
    if (rc != STORE_OK) {
        json_decref(task);
        return rc;
    }
    rc = task_refresh(s, &in, task);
    if (rc == STORE_OK)
        rc = instance_save(s, &in);
    instance_clear(&in);
    json_decref(task);
    return rc;
}
