/*
 * engine_tasks.c - an ask as a task: its seats and holders, answers and quorum, the
 * deadline, and the result the VM resumes with (../shared/design/LANGUAGE.md, "ask").
 *
 * Seats given as person("id") are held by that person. Teams, roles, owners,
 * managers, on-call, delegation and escalation resolve through the directory (the
 * people issue); without one those seats start with no holder, recorded `unresolved`.
 *
 * A task is worked on as its TaskRecord (engine_task_record.h): task_create fills one
 * from the VM's ask and the directory's answers, the other paths load one, change it
 * and save it; no JSON object is built for the task itself. The values the ask gave
 * (question, choices, quorum, show, ladder, a seat's who) are kept as the codec's bytes:
 * written straight from the VM's values, read where they lie (codec views), and turned
 * into JSON only where the directory resolves a seat or a level.
 */
#include "engine_internal.h"
#include "engine_task_record.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "utf8.h"

static bool task_decidable(const TaskRecord *task);
static bool task_has_no_quorum_arm(const TaskRecord *task);
static void task_note_undecidable(Step *s, Instance *in, TaskRecord *task);
static void task_tell_outcome(Step *s, Instance *in, TaskRecord *task, const char *const *people, size_t count,
                              const char *about, const char *text, const char *outcome);

static StoreBytes task_key(const char *id, unsigned char key[8])
{
    store_be64(instance_number(id), key);
    return store_bytes(key, 8);
}

static int no_memory(Step *s)
{
    return step_fail(s, ENGINE_NO_MEMORY, "out of memory");
}



/* The task record of its own encoding (engine_task_record.h). */
int task_save(Step *s, TaskRecord *task)
{
    int moved = gauges_task_saved(s, task);
    if (moved != STORE_OK)
        return moved;
    unsigned char number[8];
    StoreBytes key = task_key(task->id, number);
    StrBuf *bytes = &s->engine->record_bytes;
    bytes->len = 0;
    bool encoded = task_record_encode(task, bytes) == 0, failed = strbuf_failed(bytes);
    int rc = encoded ? store_put(s->txn, TABLE_TASKS, key, store_bytes(bytes->data, bytes->len)) : STORE_OK;
    engine_record_bytes_done(s);
    if (!encoded)
        return failed ? no_memory(s)
                      : step_fail(s, ENGINE_FAILED, "a record to store nests deeper than %d levels", CODEC_DEPTH_MAX);
    return rc;
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

/* ---- loading ---- */

/* The members every path relies on (engine_txn.c's check_fields says the same of the
   JSON object): a task without one is damaged. */
static int task_check_members(Step *s, StoreBytes key, const TaskRecord *task)
{
    static const struct {
        TaskField field;
        const char *what;
    } REQUIRED[] = {{TASK_ID, "has no \"id\" text"}, {TASK_INSTANCE, "has no \"instance\" text"},
                    {TASK_STATUS, "has no \"status\" text"}, {TASK_SEATS, "has no \"seats\" list"},
                    {TASK_VOTES, "has no \"votes\" list"}, {TASK_CHOICES, "has no \"choices\" list"}};
    for (size_t i = 0; i < sizeof REQUIRED / sizeof REQUIRED[0]; i++)
        if (!task_record_has(task, REQUIRED[i].field) ||
            (REQUIRED[i].field == TASK_CHOICES && task_value_kind(task, task->choices) != CODEC_KIND_ARRAY))
            return step_damaged(s, TABLE_TASKS, key, REQUIRED[i].what);
    return STORE_OK;
}

/* A task in an older form (the codec's record, JSON text of schema 1) as its struct. */
static int task_read_old(Step *s, StoreBytes key, StoreBytes value, TaskRecord *task)
{
    json_t *json;
    int rc = engine_parse_json(s, TABLE_TASKS, key, value, &json);
    if (rc != STORE_OK)
        return rc;
    int typed = task_record_from_json(json, task);
    json_decref(json);
    if (typed == TASK_RECORD_NO_MEMORY)
        return no_memory(s);
    if (typed != TASK_RECORD_OK)
        return step_damaged(s, TABLE_TASKS, key,
                            "has a member this huddle does not know, or one of another shape, so it cannot work on it");
    return STORE_OK;
}

int task_load(Step *s, const char *id, TaskRecord *task)
{
    unsigned char number[8];
    memset(task, 0, sizeof *task);
    if (!id || id[0] != 't' || instance_number(id) == 0)
        return STORE_NOT_FOUND;
    StoreBytes key = task_key(id, number), value;
    int rc = store_get(s->txn, TABLE_TASKS, key, &value);
    if (rc == STORE_NOT_FOUND)
        return rc;
    if (rc != STORE_OK)
        return step_fail(s, rc, "store error reading task %s: %s", id, store_strerror(rc));
    return task_parse(s, key, value, task);
}

int task_parse(Step *s, StoreBytes key, StoreBytes value, TaskRecord *task)
{
    int rc;
    memset(task, 0, sizeof *task);
    if (!task_record_is_typed(value.data, value.len))
        rc = task_read_old(s, key, value, task);
    else {
        char why[240];
        int decoded = task_record_decode(value.data, value.len, task, why, sizeof why);
        rc = decoded == TASK_RECORD_OK          ? STORE_OK
             : decoded == TASK_RECORD_NO_MEMORY ? no_memory(s)
                                                : step_damaged(s, TABLE_TASKS, key, why);
    }
    if (rc == STORE_OK)
        rc = task_check_members(s, key, task);
    if (rc != STORE_OK)
        task_record_free(task);
    else
        task->open_in_store = task_is_open(task);
    return rc;
}

int task_load_named(Step *s, const char *id, TaskRecord *task)
{
    int rc = task_load(s, id, task);
    if (rc == STORE_NOT_FOUND)
        return step_refuse(s, ENGINE_REFUSAL_NOT_FOUND, NULL, "no task '%s'", id);
    return rc;
}

int task_instance_load(Step *s, const TaskRecord *task, Instance *in)
{
    int rc = instance_load(s, instance_number(task->instance), in);
    if (rc == STORE_NOT_FOUND)
        rc = step_fail_damaged(s, "task %s names instance %s, which is not in the store",
                       task->id, task->instance);
    return rc;
}

/* task_load for a task that may be gone (or `id` NULL): *found false and STORE_OK
   then; another failure (out of memory, the store) is returned, never taken for
   "gone". */
static int task_load_if(Step *s, const char *id, TaskRecord *task, bool *found)
{
    memset(task, 0, sizeof *task);
    int rc = id ? task_load(s, id, task) : STORE_NOT_FOUND;
    *found = rc == STORE_OK;
    return rc == STORE_NOT_FOUND ? STORE_OK : rc;
}

bool task_is_open(const TaskRecord *task)
{
    return task->status && strcmp(task->status, "open") == 0;
}

/* ---- holders ---- */

/* The holders of seat `index`, given by a who value: through the directory when there
   is one (with substitution for people away), else person("id") only. */
static json_t *seat_holders(Step *s, Instance *in, const json_t *who, int index)
{
    const Directory *dir = step_directory(s);
    if (dir) {
        json_t *notes = json_array();
        json_t *holders = dir_resolve(dir, who, s->now, NULL, notes);
        record_notes(s, in, notes, NULL, index);   /* before `asked`: its seats say who holds them */
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
        record_notes(s, in, notes, NULL, index);
        json_decref(notes);
    }
    return holders;
}


/* Whether a later escalation level can still be reached (its timer is set, before the
   deadline). */
static bool task_levels_remain(const TaskRecord *task)
{
    return task_record_has(task, TASK_NEXT_LEVEL_DUE);
}

/* Adds `person` to a seat's holders (whose ids `held` has as a set), and the task to
   their inbox, unless they hold it already. Returns whether they were added. */
static bool seat_add_holder(Step *s, TaskSeat *seat, IdSet *held, const char *person, const char *task_id)
{
    if (!person || !idset_add(held, person))
        return false;
    if (task_texts_add(&seat->holders, person) != 0) {
        no_memory(s);
        return false;
    }
    int rc = inbox_set(s, person, task_id, true);
    if (rc != STORE_OK)
        step_fail(s, rc, "store error adding task %s to %s's inbox: %s", task_id, person, store_strerror(rc));
    return true;
}

/* Adds each of `people` (a JSON array of ids) to a seat's holders as seat_add_holder
   does, and appends to `added` those who were not holding it yet. */
static void seat_add_holders(Step *s, TaskSeat *seat, json_t *people, const char *task_id, json_t *added)
{
    IdSet held = IDSET_INIT;
    for (size_t k = 0; k < seat->holders.count; k++)
        idset_add(&held, seat->holders.items[k]);
    size_t k;
    json_t *person;
    json_array_foreach(people, k, person)
        if (seat_add_holder(s, seat, &held, json_string_value(person), task_id))
            json_array_append(added, person);
    idset_free(&held);
}

/* The holders of every seat (`open_only`: of the seats neither answered nor
   acknowledged), borrowed from the task, in order, repeats kept: *count of them; NULL
   when there are none or out of memory (counted: the step fails). */
static const char **task_holders(const TaskRecord *task, bool open_only, size_t *count)
{
    size_t all = 0;
    *count = 0;
    for (size_t i = 0; i < task->seat_count; i++)
        all += task->seats[i].holders.count;
    const char **people = all ? engine_calloc(all, sizeof *people) : NULL;
    for (size_t i = 0; people && i < task->seat_count; i++) {
        const TaskSeat *seat = &task->seats[i];
        if (open_only && (seat->answered_by || seat->acked))
            continue;
        for (size_t k = 0; k < seat->holders.count; k++)
            people[(*count)++] = seat->holders.items[k];
    }
    return people;
}

/* The person ids of the JSON list `list`, borrowed from it: *count of them. */
static const char **people_of(const json_t *list, size_t *count)
{
    *count = json_array_size(list);
    const char **people = engine_calloc(*count + 1, sizeof *people);
    for (size_t i = 0; people && i < *count; i++)
        people[i] = json_string_value(json_array_get(list, i));
    if (!people)
        *count = 0;
    return people;
}

/* ---- the ladder and reminders ---- */


/* The members of the VM's description of an ask (vm.c, vm_suspend_ask), found in one
   pass over it; NULL for one it lacks. */
typedef struct AskParts {
    const Value *question, *choices, *quorum, *needed, *seats, *within, *ladder, *remind, *show, *no_quorum_arm;
} AskParts;

static void ask_parts(Value ask, AskParts *parts)
{
#define PART(name) {#name, sizeof #name - 1, offsetof(AskParts, name)}
    static const struct {
        const char *name;
        size_t len, offset;
    } NAMES[] = {PART(question), PART(choices), PART(quorum), PART(needed), PART(seats),
                 PART(within),   PART(ladder),  PART(remind), PART(show),   PART(no_quorum_arm)};
#undef PART
    memset(parts, 0, sizeof *parts);
    for (uint32_t i = 0; ask.type == VAL_MAP && i < ask.as.map->count; i++)
        for (size_t k = 0; k < sizeof NAMES / sizeof NAMES[0]; k++)
            if (ask.as.map->keys[i]->len == NAMES[k].len &&
                memcmp(ask.as.map->keys[i]->data, NAMES[k].name, NAMES[k].len) == 0) {
                *(const Value **)((char *)parts + NAMES[k].offset) = &ask.as.map->values[i];
                break;
            }
}


/* Business time a level's or a reminder's timer cannot count as it is set (the
   playbook's calendar has left the directory since the ask began, say; the VM checked
   each clause against the directory when the ask began): the instance stalls naming the
   clause and why, with its task open, as for a level the engine refuses (docs/runtime.md,
   "Timers"), rather than the ladder or the reminders ending without a word. */
static void task_stall_uncounted(Step *s, Instance *in, const char *kind, int64_t level)
{
    if (in->record.status != INSTANCE_STALLED)
        step_stall_at_clause(s, in, kind, level, s->why);
}

/* When the next level is due, counted from when the current one was reached, kept in
   the task as "next_level_due"; false (and none kept) when there is no further level or
   it is due at or after the deadline, so never reached, or when its business time
   cannot be counted (the instance stalls). */
static bool task_next_level(Step *s, Instance *in, TaskRecord *task, int64_t *due)
{
    task_record_unset(task, TASK_NEXT_LEVEL_DUE);
    int64_t next = task->level + 1;
    Value d;
    CodecView afters, after;
    task_record_view(task, task->ladder_after, &afters);
    if (!codec_view_item(&afters, (size_t)next - 1, &after) || !task_duration(&after, 1, &d))
        return false;
    if (step_business_add(s, in->program, task->level_ms, d, due) != STORE_OK) {
        task_stall_uncounted(s, in, "level", next);
        return false;
    }
    if (*due >= task->deadline_ms)
        return false;
    task_record_set_int(task, TASK_NEXT_LEVEL_DUE, *due);
    return true;
}

/* Sets the timer of the next level, if one can be reached. */
static int task_schedule_level(Step *s, Instance *in, TaskRecord *task)
{
    int64_t due;
    if (!task_next_level(s, in, task, &due))
        return STORE_OK;
    return timer_set(s, in, due, 2, "level", task->id, task->level + 1);
}

/* When reminder k falls: start + k * D, in business time if D is. False when k * D
   overflows, or when business time cannot be counted (the instance stalls). */
static bool task_reminder_due(Step *s, Instance *in, const TaskRecord *task, const CodecView *every, int64_t k,
                              int64_t *due)
{
    Value d;
    if (!task_duration(every, k, &d))
        return false;
    if (step_business_add(s, in->program, task->asked_ms, d, due) != STORE_OK) {
        task_stall_uncounted(s, in, "reminder", -1);
        return false;
    }
    return true;
}

/* Reminders fall at start + k * D (in business time if D is), before the deadline. A
   calendar that gained working time while the ask was open (a holiday taken back, longer
   hours) may put the next ones at or before now: those are skipped, and the first
   still to come is found by doubling k, then halving the step (the k-th falls no earlier
   than the one before). */
static int task_schedule_reminder(Step *s, Instance *in, TaskRecord *task)
{
    CodecView every;
    task_record_view(task, task->remind_every, &every);
    int64_t k = task->reminders + 1, due;
    if (!task_reminder_due(s, in, task, &every, k, &due))
        return STORE_OK;
    if (due <= s->now) {
        int64_t past = k, step = 1, later = k, later_due = due;   /* reminder `past` is at or before now */
        while (later_due <= s->now && step < ((int64_t)1 << 40)) {
            later = past + step;
            if (!task_reminder_due(s, in, task, &every, later, &later_due))
                return STORE_OK;
            if (later_due <= s->now)
                past = later;
            else
                break;
            step *= 2;
        }
        if (later_due <= s->now)
            return STORE_OK;
        while (later - past > 1) {   /* reminder `later` is after now */
            int64_t mid = past + (later - past) / 2, mid_due;
            if (!task_reminder_due(s, in, task, &every, mid, &mid_due))
                return STORE_OK;
            if (mid_due <= s->now)
                past = mid;
            else
                later = mid, later_due = mid_due;
        }
        k = later;
        due = later_due;
        task_record_set_int(task, TASK_REMINDERS, k - 1);
    }
    if (due >= task->deadline_ms)
        return STORE_OK;
    return timer_set(s, in, due, 4, "reminder", task->id, -1);
}

/* ---- making the task ---- */

/* The seats of the ask, each with its holders (given the task in their inbox). A
   failure of the store is kept in *rc, as the seats go on being given. */
static int task_give_seats(Step *s, Instance *in, TaskRecord *task, const Value *seats, int *rc)
{
    task_record_set(task, TASK_SEATS);
    for (uint32_t i = 0; seats && seats->type == VAL_LIST && i < seats->as.list->count; i++) {
        json_t *who = value_to_json(seats->as.list->items[i]);   /* the directory resolves JSON */
        TaskSeat *seat = who ? task_record_add_seat(task) : NULL;
        if (!seat || task_seat_set_who(task, seat, who) != 0) {
            json_decref(who);
            return -1;
        }
        json_t *holders = seat_holders(s, in, who, (int)i);
        json_decref(who);
        for (size_t k = 0; k < json_array_size(holders); k++)
            if (*rc == STORE_OK)
                *rc = inbox_set(s, json_string_value(json_array_get(holders, k)), task->id, true);
        seat->has_previous = true;
        const char *on_call = task_seat_on_call(s, task, seat->who);
        bool ok = task_texts_add_json(&seat->holders, holders) == 0 &&
                  task_texts_add_json(&seat->previous, holders) == 0 &&
                  (!on_call || (seat->on_call = codec_text_copy(on_call, strlen(on_call))));
        json_decref(holders);
        if (!ok)
            return -1;
    }
    return 0;
}


/* The members of a new task before its `asked` record: id, instance, state, status,
   question, choices, quorum, needed, seats (given), votes, asked_at, deadline,
   deadline_ms, show, suspension, in that order. 0, or -1 when out of memory. */
static int task_fill(Step *s, Instance *in, TaskRecord *task, const AskParts *ask, int64_t deadline, int *rc)
{
    char at[40], due[40];
    time_text(s->now, at);
    time_text(deadline, due);
    const Value *needed = ask->needed;
    if (task_record_set_text(task, TASK_INSTANCE, in->record.id) != 0 ||
        task_keep_state(task, in->record.state) != 0 ||
        task_record_set_text(task, TASK_STATUS, "open") != 0 || task_keep(task, TASK_QUESTION, ask->question) != 0 ||
        task_keep(task, TASK_CHOICES, ask->choices) != 0 || task_keep(task, TASK_QUORUM, ask->quorum) != 0)
        return -1;
    task_record_set_int(task, TASK_NEEDED, needed && needed->type == VAL_INT ? needed->as.integer : 0);
    if (task_give_seats(s, in, task, ask->seats, rc) != 0)
        return -1;
    task_record_set(task, TASK_VOTES);
    if (task_record_set_text(task, TASK_ASKED_AT, at) != 0 || task_record_set_text(task, TASK_DEADLINE, due) != 0)
        return -1;
    task_record_set_int(task, TASK_DEADLINE_MS, deadline);
    if (task_keep(task, TASK_SHOW, ask->show) != 0)
        return -1;
    task_record_set_int(task, TASK_SUSPENSION, (int64_t)in->frame->step);
    return 0;
}

/* The members after the `asked` record: the ladder, its durations and where it
   stands, the reminders, whether there is a `no_quorum` arm. */
static int task_fill_ladder(Step *s, TaskRecord *task, const AskParts *ask)
{
    if (task_keep(task, TASK_LADDER, ask->ladder) != 0 || task_keep_durations(task, ask->ladder, ask->remind) != 0)
        return -1;
    task_record_set_int(task, TASK_LEVEL, 0);
    task_record_set_int(task, TASK_LEVEL_MS, s->now);
    task_record_set_int(task, TASK_ASKED_MS, s->now);
    task_record_set_int(task, TASK_REMINDERS, 0);
    return task_keep(task, TASK_NO_QUORUM_ARM, ask->no_quorum_arm);
}

/* The `asked` record, and level 0: the holders are told at the start. */
static void task_record_asked(Step *s, Instance *in, TaskRecord *task)
{
    CodecWriter *record = record_begin(s, in, "asked");
    record_text(record, "task", task->id);
    if (record) {
        codec_write_key(record, "question");
        task_record_write_member(record, task, TASK_QUESTION);
        codec_write_key(record, "choices");
        task_write_choice_ids(record, task);
        codec_write_key(record, "seats");
        task_record_write_member(record, task, TASK_SEATS);
    }
    record_text(record, "deadline", task->deadline);
    size_t count;
    const char **told = task_holders(task, false, &count);
    task_tell(s, in, task, told, count, "asked", NULL);
    free(told);
}

/* The task's timers (deadline, next level, reminder, watch), unless no choice can win
   from the start and a `no_quorum` arm is there to run at once (*undecidable). An ask
   without that arm gets its timers and an `unresolved` record saying why. */
static int task_schedule(Step *s, Instance *in, TaskRecord *task, bool *undecidable)
{
    int64_t level_due;
    task_next_level(s, in, task, &level_due);   /* whether a level remains, for task_decidable */
    bool decidable = task_decidable(task);
    *undecidable = !decidable && task_has_no_quorum_arm(task);
    if (*undecidable)
        return STORE_OK;
    int rc = timer_set(s, in, task->deadline_ms, 1, "deadline", task->id, -1);
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
    uint64_t number;
    int rc = engine_counter_next_fresh(s, "next_task", TABLE_TASKS, "t", &number);
    if (rc != STORE_OK)
        return rc;
    char id[CODEC_NUMBER_TEXT_MAX];
    codec_number_text("t", number, id);
    AskParts parts;
    ask_parts(ask, &parts);
    const Value *within = parts.within;
    int64_t deadline = 0;
    if (!within || step_business_add(s, in->program, s->now, *within, &deadline) != STORE_OK) {
        step_stall_at_clause(s, in, "deadline", -1, within ? s->why : "the ask has no deadline");
        return STORE_OK;
    }
    if (!timer_due_ok(s, in, deadline, "deadline", -1))   /* stalled, before any seat is given */
        return STORE_OK;
    TaskRecord task = {0};
    if (task_record_set_text(&task, TASK_ID, id) != 0 || task_fill(s, in, &task, &parts, deadline, &rc) != 0) {
        task_record_free(&task);
        return no_memory(s);
    }
    task_record_asked(s, in, &task);
    if (task_fill_ladder(s, &task, &parts) != 0 && rc == STORE_OK)
        rc = no_memory(s);
    instance_set_text(s, &in->record.task, id);
    if (rc == STORE_OK)
        rc = task_schedule(s, in, &task, undecidable);
    if (rc == STORE_OK)
        rc = task_save(s, &task);
    task_record_free(&task);
    return rc;
}

/* ---- resolving ---- */

/* Everyone who was told of the ask (its "told" list: holders at any time, people
   reassigned off a seat included) is told how it ended, once each, on their own
   channel; `message` (may be NULL) is added to each record. */
static void task_tell_everyone(Step *s, Instance *in, TaskRecord *task, const char *outcome, const char *message)
{
    size_t seated;
    const char **holders = task_holders(task, false, &seated);   /* tasks stored before "told" */
    size_t count = task->told.count + seated;
    const char **people = engine_calloc(count + 1, sizeof *people);
    if (people) {
        for (size_t i = 0; i < task->told.count; i++)
            people[i] = task->told.items[i];
        for (size_t i = 0; i < seated; i++)
            people[task->told.count + i] = holders[i];
        task_tell_outcome(s, in, task, people, count, message ? "cancelled" : "outcome", message, outcome);
    }
    free(people);
    free(holders);
}

/* A text as a string Value, or null. */
static Value text_value(const char *text)
{
    return text ? value_cstring(text) : VALUE_NULL;
}

/* A vote as the VM sees it: {"by", "choice", "comment", "at", "seat"?} ("at" a text). */
static Value vote_value(const TaskVote *vote)
{
    Value map = value_map_new(5);
    vm_map_add(map, VM_KEY_by, value_cstring(vote->by));
    vm_map_add(map, VM_KEY_choice, value_cstring(vote->choice));
    vm_map_add(map, VM_KEY_comment, text_value(vote->comment));
    vm_map_add(map, VM_KEY_at, value_cstring(vote->at));
    if (vote->has_seat)
        vm_map_add(map, VM_KEY_seat, value_int(vote->seat));
    return map;
}

/* What the VM resumes with: {"choice", "by", "comment", "at" (a time), "votes",
   "deciders" (who voted for the choice)}; false when out of memory. */
static bool task_result(Step *s, const TaskRecord *task, const char *choice, const char *by, const char *comment,
                        Value *result)
{
    uint64_t failures = value_oom_count();
    Value votes = value_list_new((uint32_t)task->vote_count), deciders = value_list_new(0);
    for (size_t i = 0; i < task->vote_count; i++) {
        value_list_push(votes, vote_value(&task->votes[i]));
        if (strcmp(task->votes[i].choice, choice) == 0)
            value_list_push(deciders, value_cstring(task->votes[i].by));
    }
    *result = value_map_new(6);
    vm_map_add(*result, VM_KEY_choice, value_cstring(choice));
    vm_map_add(*result, VM_KEY_by, text_value(by));
    vm_map_add(*result, VM_KEY_comment, text_value(comment));
    vm_map_add(*result, VM_KEY_at, value_time(s->now));   /* `at` is a time in the language */
    vm_map_add(*result, VM_KEY_votes, votes);
    vm_map_add(*result, VM_KEY_deciders, deciders);
    if (value_oom_count() == failures)
        return true;
    value_release(*result);
    *result = VALUE_NULL;
    return false;
}

/* Closes the task with `choice`: the `resolved` record, everyone told, the holders'
   inboxes emptied. *result is what the VM resumes with (the caller releases it). */
static int task_close(Step *s, Instance *in, TaskRecord *task, const char *choice, const char *by,
                      const char *comment, Value *result)
{
    *result = VALUE_NULL;
    if (task_record_set_text(task, TASK_STATUS, "resolved") != 0 || task_record_set_text(task, TASK_OUTCOME, choice) != 0)
        return no_memory(s);
    CodecWriter *record = record_begin(s, in, "resolved");
    record_text(record, "task", task->id);
    record_text(record, "choice", choice);
    if (record) {
        codec_write_key(record, "votes");
        task_record_write_member(record, task, TASK_VOTES);
    }
    task_tell_everyone(s, in, task, choice, NULL);
    int rc = task_save(s, task);
    for (size_t i = 0; i < task->seat_count; i++)
        for (size_t k = 0; k < task->seats[i].holders.count; k++)
            if (rc == STORE_OK)
                rc = inbox_set(s, task->seats[i].holders.items[k], task->id, false);
    if (!task_result(s, task, choice, by, comment, result))
        return no_memory(s);
    return rc;
}

int task_resolve(Step *s, Instance *in, TaskRecord *task, const char *choice, const char *by, const char *comment)
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

int task_timeout(Step *s, Instance *in, const char *task_id)
{
    TaskRecord task;
    bool found;
    int rc = task_load_if(s, task_id, &task, &found);
    if (found && task_is_open(&task))
        rc = task_resolve(s, in, &task, "timeout", NULL, NULL);
    task_record_free(&task);
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
static size_t task_open_people(const TaskRecord *task, const TaskSeat *const *open, size_t seats, IdSet *index,
                               const char *voting)
{
    IdSet voters = IDSET_INIT;
    size_t count = 0;
    for (size_t i = 0; i < task->vote_count; i++)
        idset_add(&voters, task->votes[i].by);
    if (voting)
        idset_add(&voters, voting);
    for (size_t i = 0; i < seats; i++)
        for (size_t k = 0; k < open[i]->holders.count; k++) {
            const char *holder = open[i]->holders.items[k];
            if (!idset_get(&voters, holder, NULL) && idset_put(index, holder, count, NULL))
                count++;
        }
    idset_free(&voters);
    return count;
}

/* Marks in `can` (seat by person) who of `index` may fill the open seat `i`; false when
   nobody may. */
static bool seat_candidates(const TaskSeat *seat, const IdSet *index, size_t i, size_t count, bool *can)
{
    bool has_someone = false;
    for (size_t k = 0; k < seat->holders.count; k++) {
        size_t at;
        if (idset_get(index, seat->holders.items[k], &at) && at < count) {
            can[i * count + at] = true;
            has_someone = true;
        }
    }
    return has_someone;
}

/* How many open seats distinct people who have not answered could still fill: a
   maximum matching of seats to people, plus (in *by_levels, counted apart) seats with
   nobody yet while a later level remains. With `voting` (a person) and `filling` (a
   seat), as if that person's answer had filled that seat (filling is the seat count
   otherwise). */
static int64_t task_fillable_after(const TaskRecord *task, const char *voting, size_t filling, int64_t *by_levels)
{
    const TaskSeat **open = engine_calloc(task->seat_count + 1, sizeof *open);
    size_t seats = 0;
    for (size_t i = 0; open && i < task->seat_count; i++)
        if (!task->seats[i].answered_by && i != filling)
            open[seats++] = &task->seats[i];
    IdSet index = IDSET_INIT;
    int count = (int)task_open_people(task, open, seats, &index, voting);
    bool *can = engine_calloc(seats * (size_t)count + 1, 1), *seen = engine_calloc((size_t)count + 1, 1);
    int *owner_of = engine_calloc((size_t)count + 1, sizeof(int));
    int64_t fillable = 0;
    *by_levels = 0;
    for (int p = 0; owner_of && p < count; p++)
        owner_of[p] = -1;
    /* Out of memory: counted by engine_calloc, so the step fails; none is fillable. */
    for (size_t i = 0; can && seen && owner_of && i < seats; i++) {
        if (!seat_candidates(open[i], &index, i, (size_t)count, can)) {
            *by_levels += task_levels_remain(task);   /* a later level may add someone */
            continue;
        }
        memset(seen, 0, (size_t)count + 1);
        fillable += match_seat((int)i, (int)seats, count, can, owner_of, seen);
    }
    free(can);
    free(seen);
    free(owner_of);
    free(open);
    idset_free(&index);
    return fillable;
}

static int64_t task_fillable_seats(const TaskRecord *task)
{
    int64_t by_levels;
    return task_fillable_after(task, NULL, task->seat_count, &by_levels) + by_levels;
}

/* The open seat `by` fills with an answer: of those they hold, the first in listed
   order that leaves the most seats fillable by the others, so that a person who holds
   a team's seat and their own (`2 of team("security"), person("ana")`) fills their own
   and leaves the team's to a colleague. Seats people there now can fill count first,
   those only a later level might fill after them: a level to come does not make ana's
   own seat, which nobody else holds, as good as the team's, which ben holds. The seat
   count when they hold none. */
static size_t task_seat_to_fill(const TaskRecord *task, const char *by)
{
    size_t chosen = task->seat_count, held = 0;
    for (size_t i = 0; i < task->seat_count; i++)
        if (!task->seats[i].answered_by && task_texts_has(&task->seats[i].holders, by) && held++ == 0)
            chosen = i;
    if (held < 2)   /* no choice to make: no matching to run (an ask to a team of 100,000) */
        return chosen;
    int64_t best = -1, best_later = -1;
    for (size_t i = 0; i < task->seat_count; i++)
        if (!task->seats[i].answered_by && task_texts_has(&task->seats[i].holders, by)) {
            int64_t later, now = task_fillable_after(task, by, i, &later);
            if (now > best || (now == best && later > best_later))
                best = now, best_later = later, chosen = i;
        }
    return chosen;
}

/* Whether task_fillable_seats would give at least one, for a task nobody has voted on
   yet, without its matching: an open seat with a holder (each is a candidate then), or
   one with nobody while a later level remains. */
static bool task_one_seat_fillable(const TaskRecord *task)
{
    for (size_t i = 0; i < task->seat_count; i++)
        if (!task->seats[i].answered_by && (task->seats[i].holders.count > 0 || task_levels_remain(task)))
            return true;
    return false;
}

/* Could any choice still win? Its votes plus the seats that can still be filled. */
static bool task_decidable(const TaskRecord *task)
{
    CodecView c, id;
    CodecViewItems each;
    task_choices(task, &each);
    if (task->vote_count == 0 && task->needed <= 1)   /* a new ask of one seat: no matching */
        return each.left > 0 && (task->needed <= 0 || task_one_seat_fillable(task));
    int64_t fillable = task_fillable_seats(task);
    if (task->vote_count == 0)   /* every choice at 0 votes: whether there is one is enough */
        return each.left > 0 && fillable >= task->needed;
    while (codec_view_next(&each, &c, NULL, NULL)) {
        int64_t votes = 0;
        if (codec_view_member(&c, "id", &id))
            for (size_t k = 0; k < task->vote_count; k++)
                votes += codec_view_text_is(&id, task->votes[k].choice);
        if (votes + fillable >= task->needed)
            return true;
    }
    return false;
}


int task_check_open_choice(Step *s, const TaskRecord *task, const char *id, const char *choice)
{
    if (!task_is_open(task) && !task->outcome)   /* cancelled: closed without an outcome */
        return step_refuse(s, ENGINE_REFUSAL_CONFLICT, NULL, "task %s is already closed: its instance was %s", id,
                         task->status ? task->status : "ended");
    if (!task_is_open(task))
        return step_refuse(s, ENGINE_REFUSAL_CONFLICT, NULL, "task %s is already resolved (%s)", id, task->outcome);
    CodecView found;
    if (choice && !task_choice(task, choice, &found)) {
        StrBuf names = STRBUF_INIT;
        task_choice_names(task, &names);
        int rc = step_refuse(s, ENGINE_REFUSAL_INPUT, "choice", "task %s has no choice '%s' (its choices: %s)", id, choice, strbuf_text(&names));
        strbuf_free(&names);
        return rc;
    }
    return STORE_OK;
}

bool text_is_blank(const char *text)
{
    const unsigned char *u = (const unsigned char *)text;
    size_t len = text ? strlen(text) : 0;
    for (size_t i = 0, n; i < len; i += n)
        if ((n = text_white_space_length(u + i, len - i)) == 0)
            return false;   /* a character that is not white space, or not UTF-8 */
    return true;
}

/* `by` holds no open seat on task `id`: a person the directory lacks is said to be
   that (door_check_person's "by: no person 'zed' in the directory", the operator
   actions' refusal), anyone else to hold no seat. */
static int task_refuse_no_seat(Step *s, const char *by, const char *id)
{
    int rc = door_check_person(s, "by", by);
    return rc != STORE_OK ? rc : step_refuse(s, ENGINE_REFUSAL_NOT_YOURS, NULL, "%s holds no open seat on task %s", by, id);
}

static int task_check_answer(Step *s, const TaskRecord *task, const char *id, const char *by,
                             const char *choice, const char *comment, size_t *seat_out)
{
    int checked = task_check_open_choice(s, task, id, choice);
    if (checked != STORE_OK)
        return checked;
    CodecView c, with_comment;
    bool needs_comment = task_choice(task, choice, &c) && codec_view_member(&c, "with_comment", &with_comment) &&
                         codec_view_kind(&with_comment) == CODEC_KIND_TRUE;
    if (needs_comment && text_is_blank(comment))
        return step_refuse(s, ENGINE_REFUSAL_INPUT, "comment", "choice '%s' needs a comment (--comment TEXT to huddle answer; \"comment\" in a trace line or an answer's JSON body)", choice);
    if (comment && utf8_valid_prefix((const unsigned char *)comment, strlen(comment)) != strlen(comment))
        return step_refuse(s, ENGINE_REFUSAL_INPUT, "comment", "the comment is not UTF-8 text");
    for (size_t i = 0; i < task->vote_count; i++)
        if (strcmp(task->votes[i].by, by) == 0)
            return step_refuse(s, ENGINE_REFUSAL_CONFLICT, NULL, "%s already answered task %s", by, id);
    *seat_out = task_seat_to_fill(task, by);
    if (*seat_out < task->seat_count)
        return STORE_OK;
    return task_refuse_no_seat(s, by, id);
}

/* An answer identical to one already applied returns the first result. */
static const TaskVote *task_same_answer(const TaskRecord *task, const char *by, const char *choice,
                                        const char *comment)
{
    for (size_t i = 0; i < task->vote_count; i++) {
        const TaskVote *vote = &task->votes[i];
        if (strcmp(vote->by, by) == 0 && strcmp(vote->choice, choice) == 0 &&
            (!vote->comment ? !comment : comment && strcmp(vote->comment, comment) == 0))
            return vote;
    }
    return NULL;
}

/* The vote of `by` on seat `seat`, and the seat answered: false when out of memory. */
static bool task_add_vote(Step *s, TaskRecord *task, size_t seat, const char *by, const char *choice,
                          const char *comment)
{
    char at[40];
    time_text(s->now, at);
    TaskVote *vote = task_record_add_vote(task);
    if (!vote)
        return false;
    vote->has_seat = true;
    vote->seat = (int64_t)seat;
    return (vote->by = codec_text_copy(by, strlen(by))) && (vote->choice = codec_text_copy(choice, strlen(choice))) &&
           (!comment || (vote->comment = codec_text_copy(comment, strlen(comment)))) &&
           (vote->at = codec_text_copy(at, strlen(at))) &&
           (task->seats[seat].answered_by = codec_text_copy(by, strlen(by)));
}

/* The answer applied to the loaded task and its instance: the `answered` record, then
   the task resolved when its quorum is met, else re-checked and saved. */
static int task_apply_answer(Step *s, Instance *in, TaskRecord *task, const char *by, const char *choice,
                             const char *comment)
{
    CodecWriter *record = record_begin(s, in, "answered");
    record_text(record, "task", task->id);
    record_text(record, "by", by);
    record_text(record, "token", s->token);
    record_text(record, "choice", choice);
    record_text_or_null(record, "comment", comment);
    int64_t count = 0;
    for (size_t i = 0; i < task->vote_count; i++)
        count += strcmp(task->votes[i].choice, choice) == 0;
    if (count >= task->needed)
        return task_resolve(s, in, task, choice, by, comment);
    bool resolved;
    int rc = task_recheck(s, in, task, &resolved);
    if (rc == STORE_OK && !resolved)
        rc = task_save(s, task);
    return rc;
}

int task_answer(Step *s, const char *id, const char *by, const char *choice, const char *comment)
{
    TaskRecord task;
    int rc = task_load_named(s, id, &task);
    const TaskVote *same = rc == STORE_OK ? task_same_answer(&task, by, choice, comment) : NULL;
    if (rc != STORE_OK || same) {
        s->unchanged = s->repeated = rc == STORE_OK;   /* the repeat of an applied answer changes nothing */
        if (same)
            snprintf(s->why, s->why_len, "%s had answered %s already (%s), at %s; nothing changed", by, id, choice,
                     same->at ? same->at : "?");
        task_record_free(&task);
        return rc;
    }
    size_t seat = 0;
    rc = door_check_person_id(s, "by", by);
    if (rc == STORE_OK)
        rc = task_check_answer(s, &task, id, by, choice, comment, &seat);
    if (rc == STORE_OK)
        rc = door_check_holder(s, by, id);   /* a holder the directory has since lost */
    Instance in = {0};
    if (rc == STORE_OK)
        rc = task_instance_load(s, &task, &in);
    if (rc == STORE_OK && !task_add_vote(s, &task, seat, by, choice, comment))
        rc = no_memory(s);
    if (rc == STORE_OK)
        rc = task_apply_answer(s, &in, &task, by, choice, comment);
    if (rc == STORE_OK)
        rc = instance_save(s, &in);
    instance_clear(&in);
    task_record_free(&task);
    return rc;
}

/* An instance cancelled while it asks: the task closes, leaves its holders' inboxes, and
   everyone who was told of it is told, on their own channel. */
int task_cancel(Step *s, Instance *in, const char *by, const char *reason)
{
    const char *id = in->record.task;
    TaskRecord task;
    bool found;
    int rc = task_load_if(s, id, &task, &found);
    if (found && task_is_open(&task)) {
        if (task_record_set_text(&task, TASK_STATUS, "cancelled") != 0)
            rc = no_memory(s);
        for (size_t i = 0; i < task.seat_count; i++)
            for (size_t k = 0; k < task.seats[i].holders.count; k++)
                if (rc == STORE_OK)
                    rc = inbox_set(s, task.seats[i].holders.items[k], id, false);
        char message[512];
        snprintf(message, sizeof message, "Task %s was cancelled by %s: %s", id, by, reason);
        task_tell_everyone(s, in, &task, "cancelled", message);
        if (rc == STORE_OK)
            rc = task_save(s, &task);
    }
    task_record_free(&task);
    return rc;
}

/* ---- escalation, reminders, acknowledgements ---- */

static bool seat_open(const TaskSeat *seat)
{
    return !seat->answered_by && !seat->acked;
}

/* The people level `level` gives seat `i`: its `who` resolved. A bare `manager` climbs
   one rung from the people most recently added to the seat (`previous`); while no level
   has added anyone to it (rung 0: not `climbed`, however many levels added nobody), a
   team or oncall seat's rung above is the team's lead (LANGUAGE.md, v1.2). */
static json_t *level_people(Step *s, Instance *in, const TaskRecord *task, const TaskSeat *seat, size_t i,
                            const json_t *who, bool bare_manager)
{
    const Directory *dir = step_directory(s);
    json_t *notes = json_array(), *people;
    CodecView seat_who, kind, id;
    task_record_view(task, seat->who, &seat_who);
    bool team_seat = codec_view_member(&seat_who, "who", &kind) &&
                     (codec_view_text_is(&kind, "team") || codec_view_text_is(&kind, "oncall"));
    if (bare_manager && !seat->climbed && team_seat) {
        json_t *team = codec_view_member(&seat_who, "id", &id) ? task_view_json(&id) : NULL;
        json_t *lead = team ? json_pack("{s:s, s:o}", "who", "lead", "id", team) : NULL;
        people = dir_resolve(dir, lead, s->now, NULL, notes);
        json_decref(lead);
    } else {
        json_t *previous = bare_manager && seat->has_previous ? task_texts_json(&seat->previous) : NULL;
        people = dir_resolve(dir, who, s->now, previous, notes);
        json_decref(previous);
    }
    record_notes(s, in, notes, task->id, (int)i);
    json_decref(notes);
    return people;
}

/* Adds the people of level `level` to every unanswered, unacknowledged seat. Returns
   how many people were added in all. */
static size_t task_add_level(Step *s, Instance *in, TaskRecord *task, int64_t level, json_t *added)
{
    const Directory *dir = step_directory(s);
    CodecView ladder, rung, rung_who;
    task_record_view(task, task->ladder, &ladder);
    json_t *who = codec_view_item(&ladder, (size_t)level - 1, &rung) && codec_view_member(&rung, "who", &rung_who)
                      ? task_view_json(&rung_who) : NULL;
    bool bare_manager = !json_object_get(who, "of") && json_string_value(json_object_get(who, "who")) &&
                        strcmp(json_string_value(json_object_get(who, "who")), "manager") == 0;
    size_t total = 0;
    for (size_t i = 0; dir && i < task->seat_count; i++) {
        TaskSeat *seat = &task->seats[i];
        if (!seat_open(seat))
            continue;
        json_t *people = level_people(s, in, task, seat, i, who, bare_manager), *fresh = json_array();
        for (size_t k = json_array_size(people); k-- > 0;)   /* who answered cannot answer again */
            for (size_t v = 0; v < task->vote_count; v++)
                if (json_is_string(json_array_get(people, k)) &&
                    strcmp(json_string_value(json_array_get(people, k)), task->votes[v].by) == 0) {
                    json_array_remove(people, k);
                    break;
                }
        seat_add_holders(s, seat, people, task->id, fresh);
        if (json_array_size(fresh)) {   /* a level that added nobody leaves the rung where it was */
            seat->climbed = true;
            if (task_seat_set_previous(seat, fresh) != 0)
                no_memory(s);
            char key[16];
            snprintf(key, sizeof key, "%zu", i);
            json_object_set(added, key, fresh);
            total += json_array_size(fresh);
        }
        json_decref(fresh);
        json_decref(people);
    }
    json_decref(who);
    return total;
}

void task_tell(Step *s, Instance *in, TaskRecord *task, const char *const *people, size_t count, const char *about,
               const char *text)
{
    task_tell_outcome(s, in, task, people, count, about, text, NULL);
}

/* task_tell with the people of the JSON list `people`. */
static void task_tell_json(Step *s, Instance *in, TaskRecord *task, const json_t *people, const char *about)
{
    size_t count;
    const char **each = people_of(people, &count);
    task_tell(s, in, task, each, count, about, NULL);
    free(each);
}

/* A person to tell and the first seat they hold (the task's seat_count when none). */
typedef struct SeatedPerson {
    size_t seat;
    const char *person;
} SeatedPerson;

static int seated_order(const void *a, const void *b)
{
    const SeatedPerson *x = a, *y = b;
    if (x->seat != y->seat)
        return x->seat < y->seat ? -1 : 1;
    return strcmp(x->person, y->person);
}

/* Sorts `people` (distinct, none NULL) as the runtime's own messages are keyed
   (RUNTIME.md promise 3: by seat, then person id): by the first seat each holds, then
   by id; anyone who holds none (reassigned off the ask) after them, by id. Each
   person's first seat is found in a map of every holder to theirs (an IdSet, filled
   seat by seat: the first put of a holder stays), not by scanning the seats' holders
   per person, which was quadratic in a team's size. Returns 0, or -1 when out of
   memory. */
static int task_people_order(const TaskRecord *task, const char **people, size_t count)
{
    SeatedPerson *order = engine_calloc(count + 1, sizeof *order);
    if (!order)
        return -1;
    IdSet first_seat = IDSET_INIT;
    for (size_t seat = 0; seat < task->seat_count; seat++) {
        const TaskTexts *holders = &task->seats[seat].holders;
        idset_reserve(&first_seat, holders->count);
        for (size_t k = 0; k < holders->count; k++)
            idset_put(&first_seat, holders->items[k], seat, NULL);
    }
    for (size_t i = 0; i < count; i++) {
        size_t seat = task->seat_count;
        idset_get(&first_seat, people[i], &seat);
        order[i] = (SeatedPerson){seat, people[i]};
    }
    idset_free(&first_seat);
    qsort(order, count, sizeof *order, seated_order);
    for (size_t i = 0; i < count; i++)
        people[i] = order[i].person;
    free(order);
    return 0;
}

/* task_tell, each `notified` record also saying how the ask ended (`outcome`, and the
   `message` when there is `text`), when outcome is not NULL. */
static void task_tell_outcome(Step *s, Instance *in, TaskRecord *task, const char *const *people, size_t count,
                              const char *about, const char *text, const char *outcome)
{
    const Directory *dir = step_directory(s);
    if (count == 0)
        return;
    task_record_set(task, TASK_TOLD);
    /* Each once, whatever seats they hold (`told`), in the messages' order; the task's
       "told" list as a set (`known`). */
    IdSet told = IDSET_INIT, known = IDSET_INIT;
    const char **now_told = engine_calloc(count, sizeof *now_told);   /* for the outbox: one message to them all */
    size_t told_count = 0;
    idset_reserve(&told, count);
    for (size_t i = 0; now_told && i < count; i++)
        if (people[i] && idset_add(&told, people[i]))
            now_told[told_count++] = people[i];
    idset_free(&told);
    if (!now_told || task_people_order(task, now_told, told_count) != 0) {
        no_memory(s);
        free(now_told);
        return;
    }
    idset_reserve(&known, task->told.count + told_count);
    for (size_t i = 0; i < task->told.count; i++)
        idset_add(&known, task->told.items[i]);
    for (size_t i = 0; i < told_count; i++) {
        const char *person = now_told[i];
        CodecWriter *record = record_begin(s, in, "notified");
        record_text(record, "task", task->id);
        record_text(record, "person", person);
        record_text(record, "channel", dir ? dir_channel(dir, person) : "email");
        if (outcome) {
            record_text(record, "outcome", outcome);
            record_text(record, "message", text);
        }
        if (idset_add(&known, person) && task_texts_add(&task->told, person) != 0)
            no_memory(s);
    }
    idset_free(&known);
    outbox_tell(s, in, now_told, told_count, about, task, text);
    free(now_told);
}

/* Whether the ask has a `no_quorum` arm. Tasks written before the description said so
   had one exactly when N >= 2 (the checker refused it for N = 1 then). */
static bool task_has_no_quorum_arm(const TaskRecord *task)
{
    CodecKind arm = task_value_kind(task, task->no_quorum_arm);
    if (arm == CODEC_KIND_TRUE || arm == CODEC_KIND_FALSE)
        return arm == CODEC_KIND_TRUE;
    return task->needed >= 2;
}

/* No choice can win and the ask has no `no_quorum` arm: one `unresolved` record says
   so, once while it stays so. */
static void task_note_undecidable(Step *s, Instance *in, TaskRecord *task)
{
    if (task_record_has(task, TASK_NOBODY_CAN_ANSWER) && task->nobody_can_answer)
        return;   /* said once; still so */
    task->nobody_can_answer = true;
    task_record_set(task, TASK_NOBODY_CAN_ANSWER);
    CodecWriter *record = record_begin(s, in, "unresolved");
    record_text(record, "task", task->id);
    record_text(record, "why", (
        "nobody can answer: no open seat has a holder and no escalation level remains; with no "
        "'no_quorum' arm the ask stays open until its deadline (an operator may huddle reassign a seat)"));
}

int task_recheck(Step *s, Instance *in, TaskRecord *task, bool *resolved)
{
    *resolved = false;
    if (task_decidable(task)) {
        task_record_unset(task, TASK_NOBODY_CAN_ANSWER);
        task->nobody_can_answer = false;
        return STORE_OK;
    }
    if (task_has_no_quorum_arm(task)) {
        *resolved = true;
        return task_resolve(s, in, task, "no_quorum", NULL, NULL);
    }
    task_note_undecidable(s, in, task);
    return STORE_OK;
}

/* The limit of task_decide_at_once is reached: the task resolves, but the instance
   stalls with its result kept, as a failed step keeps its input for `huddle retry`. */
static int task_stall_at_once(Step *s, Instance *in, TaskRecord *task)
{
    Value result;
    int rc = task_close(s, in, task, "no_quorum", NULL, NULL, &result);
    if (rc != STORE_OK) {
        value_release(result);
        return rc;
    }
    CodecView kept;
    char *state = NULL;   /* none when out of memory too: "(null)" */
    task_record_view(task, task->state, &kept);
    codec_view_text_copy(&kept, &state);
    char message[512];
    snprintf(message, sizeof message,
             "no_quorum ran at once %d times in one step: the ask in state %s has nobody who "
             "could answer, and its no_quorum arm leads to such an ask again; the instance "
             "stalls rather than spin (give the seats people in the directory, then huddle "
             "retry, or huddle retry --goto STATE)",
             TASK_AT_ONCE_LIMIT, state ? state : "(null)");
    free(state);
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
        TaskRecord task;
        bool found;
        rc = task_load_if(s, in->record.task, &task, &found);
        if (!found)
            break;
        if (++s->decided_at_once < TASK_AT_ONCE_LIMIT)
            rc = task_resolve(s, in, &task, "no_quorum", NULL, NULL);
        else
            rc = task_stall_at_once(s, in, &task);
        task_record_free(&task);
    } while (rc == STORE_OK && s->undecidable);
    s->deciding = false;
    s->undecidable = false;
    return rc;
}

/* The `escalated` (or `skipped`) record of level `level`, and the people it added told. */
static void task_note_level(Step *s, Instance *in, TaskRecord *task, int64_t level, size_t count, json_t *added)
{
    CodecWriter *record = record_begin(s, in, count ? "escalated" : "skipped");
    record_text(record, "task", task->id);
    record_integer(record, "level", level);
    if (!count) {
        record_text(record, "why", "nobody to add to an open seat");
        return;
    }
    record_json(record, "added", added);
    json_t *everyone = json_array();
    const char *seat;
    json_t *people;
    json_object_foreach(added, seat, people)
        json_array_extend(everyone, people);
    task_tell_json(s, in, task, everyone, "escalated");
    json_decref(everyone);
}

int task_escalate(Step *s, Instance *in, const char *task_id, json_int_t level)
{
    TaskRecord task;
    bool found, resolved = false;
    int rc = task_load_if(s, task_id, &task, &found);
    if (!found)
        return rc;
    CodecView ladder;
    task_record_view(&task, task.ladder, &ladder);
    int64_t levels = (int64_t)codec_view_array_size(&ladder);
    while (rc == STORE_OK && !resolved && task_is_open(&task) && level <= levels && level == task.level + 1 &&
           s->now < task.deadline_ms) {
        json_t *added = json_object();
        size_t count = task_add_level(s, in, &task, level, added);
        task_record_set_int(&task, TASK_LEVEL, level);
        task_record_set_int(&task, TASK_LEVEL_MS, s->now);
        task_note_level(s, in, &task, level, count, added);
        json_decref(added);
        if (count || level == levels) {
            rc = task_schedule_level(s, in, &task);   /* the next level, if any, is due later */
            if (rc == STORE_OK)
                rc = task_recheck(s, in, &task, &resolved);
            if (rc == STORE_OK && !resolved && count)
                rc = task_schedule_watch(s, in, &task);   /* the absences of the people it added */
            break;
        }
        level++;   /* a level that adds nobody: the next is reached at this same moment */
    }
    if (rc == STORE_OK && !resolved)
        rc = task_save(s, &task);
    task_record_free(&task);
    return rc;
}

/* A reminder of the task: its holders of unanswered, unacknowledged seats are told
   again, and the next reminder is set while such a seat remains (an acknowledgement
   is never undone, so once every seat is answered or acknowledged none could be
   reminded again). */
int task_remind(Step *s, Instance *in, const char *task_id)
{
    TaskRecord task;
    bool found;
    int rc = task_load_if(s, task_id, &task, &found);
    if (found && task_is_open(&task)) {
        size_t count, distinct = 0;
        const char **people = task_holders(&task, true, &count);
        IdSet seen = IDSET_INIT;
        /* who answered already cannot answer again (a person answers a task once): not
           reminded, though they hold another open seat (a team's and their own) */
        for (size_t k = 0; k < task.vote_count; k++)
            idset_add(&seen, task.votes[k].by);
        for (size_t i = 0; i < count; i++)
            if (idset_add(&seen, people[i]))
                people[distinct++] = people[i];
        idset_free(&seen);
        if (distinct) {   /* nobody left to remind: nothing to record */
            CodecWriter *record = record_begin(s, in, "reminded");
            record_text(record, "task", task_id);
            if (record) {
                codec_write_key(record, "people");
                codec_write_array(record);
                for (size_t i = 0; i < distinct; i++)
                    codec_write_text(record, people[i]);
                codec_write_close(record);
            }
            task_tell(s, in, &task, people, distinct, "reminded", NULL);
        }
        free(people);
        task_record_set_int(&task, TASK_REMINDERS, task.reminders + 1);
        bool any_open = false;   /* every seat answered or acknowledged: the reminders stop */
        for (size_t i = 0; i < task.seat_count && !any_open; i++)
            any_open = seat_open(&task.seats[i]);
        rc = any_open ? task_schedule_reminder(s, in, &task) : STORE_OK;
        if (rc == STORE_OK)
            rc = task_save(s, &task);
    }
    task_record_free(&task);
    return rc;
}

/* Acknowledges every open seat `by` holds that is not yet: their indexes added to
   `seats`; whether `by` holds an unanswered seat at all. */
static bool task_ack_seats(TaskRecord *task, const char *by, json_t *seats)
{
    bool holds = false;
    for (size_t i = 0; i < task->seat_count; i++) {
        TaskSeat *seat = &task->seats[i];
        if (seat->answered_by || !task_texts_has(&seat->holders, by))
            continue;
        holds = true;
        if (!seat->acked) {
            seat->acked = true;
            json_array_append_new(seats, json_integer((json_int_t)i));
        }
    }
    return holds;
}

/* A repeated ack changes nothing, and says so in why: "ben had acknowledged t1 already,
   at T; nothing changed" (T from its `acknowledged` record). */
static int task_ack_repeat(Step *s, const TaskRecord *task, const char *by)
{
    char at[40], other_by[TEXT_ID_MAX + 1], other_at[40];
    int rc = query_acknowledged_at(s, instance_number(task->instance), task->id, by, at, other_by, other_at);
    if (rc == STORE_OK && !at[0] && other_by[0])   /* a seat shared with who acknowledged it */
        snprintf(s->why, s->why_len, "the seats %s holds on %s are acknowledged already, by %s at %s; nothing "
                 "changed", by, task->id, other_by, other_at);
    else if (rc == STORE_OK)
        snprintf(s->why, s->why_len, "%s had acknowledged %s already%s%s; nothing changed", by, task->id,
                 at[0] ? ", at " : "", at);
    return rc;
}

int task_ack(Step *s, const char *id, const char *by)
{
    TaskRecord task;
    int rc = task_load_named(s, id, &task);
    if (rc != STORE_OK) {
        task_record_free(&task);
        return rc;
    }
    json_t *seats = json_array();
    bool holds = task_ack_seats(&task, by, seats);
    if (!task_is_open(&task))
        rc = task_check_open_choice(s, &task, id, NULL);   /* closed by a cancel, or resolved */
    else if ((rc = door_check_person_id(s, "by", by)) != STORE_OK)
        ;
    else if (!holds)
        rc = task_refuse_no_seat(s, by, id);
    else
        rc = door_check_holder(s, by, id);   /* a holder the directory has since lost */
    Instance in = {0};
    if (rc == STORE_OK && json_array_size(seats) > 0)
        rc = task_instance_load(s, &task, &in);
    if (rc == STORE_OK && in.loaded) {
        CodecWriter *record = record_begin(s, &in, "acknowledged");
        record_text(record, "task", id);
        record_json(record, "seats", seats);
        record_text(record, "by", by);
        record_text(record, "token", s->token);
        rc = task_save(s, &task);
        if (rc == STORE_OK)
            rc = instance_save(s, &in);
        instance_clear(&in);
    }
    s->unchanged = s->repeated = rc == STORE_OK && json_array_size(seats) == 0;   /* acked already */
    if (s->unchanged)
        rc = task_ack_repeat(s, &task, by);
    json_decref(seats);
    task_record_free(&task);
    return rc;
}

/* An open `oncall` seat at a shift change: a `handover` record (task, seat, from, to),
   and the incoming person, substituted like anyone else (`delegated` records), added to
   `wanted`. */
static void seat_handover(Step *s, Instance *in, TaskRecord *task, TaskSeat *seat, int index, json_t *wanted)
{
    const char *on_call = task_seat_on_call(s, task, seat->who);
    if (!on_call || (seat->on_call && strcmp(seat->on_call, on_call) == 0))
        return;
    if (seat->on_call) {   /* a seat stored before seats kept "on_call" gains the person unrecorded */
        CodecWriter *record = record_begin(s, in, "handover");
        record_text(record, "task", task->id);
        record_integer(record, "seat", index);
        record_text(record, "from", seat->on_call);
        record_text(record, "to", on_call);
    }
    char *copy = codec_text_copy(on_call, strlen(on_call));
    if (!copy) {
        no_memory(s);
        return;
    }
    free(seat->on_call);
    seat->on_call = copy;
    json_t *notes = json_array(), *who = task_record_value_json(task, seat->who);
    json_t *people = who ? dir_resolve(step_directory(s), who, s->now, NULL, notes) : NULL;
    if (!who)
        no_memory(s);
    record_notes(s, in, notes, task->id, index);
    json_array_extend(wanted, people);
    json_decref(people);
    json_decref(notes);
    json_decref(who);
}

/* The seat's holders as a set (`held`, borrowed from the seat; made at the first
   call): seat_substitutes asks whether the seat holds someone for each away holder's
   substitutes, which a scan of the holders made quadratic in a team's size. */
static bool seat_holds(const TaskSeat *seat, IdSet *held, const char *person)
{
    if (!held->count)
        for (size_t k = 0; k < seat->holders.count; k++)
            idset_add(held, seat->holders.items[k]);
    return idset_get(held, person, NULL);
}

/* Whether a holder's absence is news to this step: one that starts now (a watch), or
   the person an away event names. */
static bool away_is_news(const AwayNews *news, const char *holder, const DirAbsence *absence, int64_t now)
{
    return absence->from_ms == now || (news->person && strcmp(news->person, holder) == 0);
}

/* The notes of one holder's chain worth recording on the seat: a `delegated` step this
   refresh has not recorded already (two holders' chains that meet share it: anna -> mei
   -> craig and mei -> craig), and, unless the holder's own absence is news, not one that
   brings someone the seat already holds (anna -> mei, recorded when mei came). */
static json_t *seat_new_notes(const TaskSeat *seat, IdSet *held, const json_t *notes, bool holder_news,
                              json_t *recorded)
{
    json_t *kept = json_array();
    size_t i;
    json_t *note;
    json_array_foreach(notes, i, note) {
        const char *kind = json_string_value(json_object_get(note, "kind"));
        const char *to = json_string_value(json_object_get(note, "to"));
        if (!dir_note_is_new(recorded, note) ||
            (kind && strcmp(kind, "delegated") == 0 && to && !holder_news && seat_holds(seat, held, to)))
            continue;
        json_array_append(kept, note);
    }
    return kept;
}

/* Whether seat `seat` is a team seat (its WHO is `team(...)`). An `oncall` seat is not:
   its people are substituted like anyone else (LANGUAGE.md, "Away and delegation"). */
static bool seat_is_team(const TaskRecord *task, const TaskSeat *seat)
{
    CodecView who, kind;
    task_record_view(task, seat->who, &who);
    return codec_view_member(&who, "who", &kind) && codec_view_text_is(&kind, "team");
}

/* Whether every holder of the seat is away now (false for a seat with no holder). */
static bool seat_all_away(const Directory *dir, const TaskSeat *seat, int64_t now)
{
    for (size_t k = 0; k < seat->holders.count; k++)
        if (!dir_away_at(dir, dir_person(dir, seat->holders.items[k]), now))
            return false;
    return seat->holders.count > 0;
}

/* The substitutes of the seat's holders who are away now, added to `wanted`. Every
   refresh looks at every away holder, but records why (delegated, unresolved) only
   when it is news: the absence is new to this step, or it brings the seat someone it
   lacked; a holder covered before is not recorded again at each later change. A team
   seat, as when it is given, substitutes only once all its holders are away
   (LANGUAGE.md, "Away and delegation"): while one is in, the seat has someone. An
   on-call seat's holders (the person on call, and those shifts before left on it) are
   each substituted as a person seat's holder is: "substituted like anyone else". */
static void seat_substitutes(Step *s, Instance *in, const TaskRecord *task, const TaskSeat *seat, int index,
                             const AwayNews *news, json_t *wanted)
{
    const Directory *dir = step_directory(s);
    if (seat_is_team(task, seat) && !seat_all_away(dir, seat, s->now))
        return;
    size_t count = seat->holders.count;   /* the holders before any is added */
    json_t *recorded = json_object();
    IdSet held = IDSET_INIT;              /* the seat's holders, once one is away */
    for (size_t k = 0; k < count; k++) {
        const char *holder = seat->holders.items[k];
        const DirAbsence *absence = dir_away_at(dir, dir_person(dir, holder), s->now);
        if (!absence)
            continue;
        json_t *who = json_pack("{s:s, s:s}", "who", "person", "id", holder);
        json_t *notes = json_array();
        json_t *people = dir_resolve(dir, who, s->now, NULL, notes);
        bool holder_news = away_is_news(news, holder, absence, s->now), news_here = holder_news;
        size_t p;
        json_t *person;
        json_array_foreach(people, p, person)
            news_here |= json_is_string(person) && !seat_holds(seat, &held, json_string_value(person));
        if (news_here) {
            json_t *kept = seat_new_notes(seat, &held, notes, holder_news, recorded);
            if (!kept || !recorded)
                no_memory(s);
            record_notes(s, in, kept, task->id, index);
            json_decref(kept);
        }
        json_array_extend(wanted, people);
        json_decref(people);
        json_decref(notes);
        json_decref(who);
    }
    idset_free(&held);
    json_decref(recorded);
}

/* Holders of unanswered seats who are away now get their substitutes beside them; an
   open on-call seat gains whoever is on call now. Returns whether anything changed. */
static bool task_refresh_holders(Step *s, Instance *in, TaskRecord *task, const AwayNews *news)
{
    const Directory *dir = step_directory(s);
    /* One message for every seat: a substitute added to several is told once. */
    json_t *added = json_array();
    for (size_t i = 0; dir && i < task->seat_count; i++) {
        TaskSeat *seat = &task->seats[i];
        if (seat->answered_by)
            continue;   /* an acknowledged seat still gains a substitute */
        json_t *wanted = json_array(), *fresh = json_array();
        seat_substitutes(s, in, task, seat, (int)i, news, wanted);
        seat_handover(s, in, task, seat, (int)i, wanted);
        seat_add_holders(s, seat, wanted, task->id, fresh);
        /* At rung 0 (no level has added anyone to the seat), a substitute or the person now
           on call is among its holders after substitution: `manager` climbs from them.
           Once a level has, the ladder climbs from the people levels added. */
        if ((!seat->climbed && task_seat_set_previous(seat, fresh) != 0) || json_array_extend(added, fresh) != 0)
            no_memory(s);
        json_decref(fresh);
        json_decref(wanted);
    }
    bool changed = json_array_size(added) > 0;
    task_tell_json(s, in, task, added, "asked");   /* once for all: "told" read as a set once */
    json_decref(added);
    return changed;
}

/* The first absence of one of the seat's holders that starts after now and before
   `next`, or `next`. */
static int64_t seat_next_absence(const Directory *dir, const TaskSeat *seat, int64_t now, int64_t next)
{
    for (size_t k = 0; k < seat->holders.count; k++) {
        const DirPerson *person = dir_person(dir, seat->holders.items[k]);
        for (unsigned a = 0; person && a < person->absence_count; a++)
            if (person->absences[a].from_ms > now && person->absences[a].from_ms < next)
                next = person->absences[a].from_ms;
    }
    return next;
}

/* The next moment the holders may change by themselves before the deadline: an
   absence of a holder starting, or an on-call shift ending. A "watch" timer wakes the
   task then (../shared/design/LANGUAGE.md: "an absence's start, for which a timer is
   set"), unless one is set for that moment already (a directory change refreshes the
   holders between two watches: it adds no second timer, nor its record). Called
   wherever holders are added: the ask, a level, a refresh (delegation, handover), a
   reassignment. */
int task_schedule_watch(Step *s, Instance *in, TaskRecord *task)
{
    const Directory *dir = step_directory(s);
    int64_t deadline = task->deadline_ms, next = deadline;
    for (size_t i = 0; dir && i < task->seat_count; i++) {
        const TaskSeat *seat = &task->seats[i];
        if (seat->answered_by)
            continue;
        next = seat_next_absence(dir, seat, s->now, next);
        const DirTeam *team;
        task_seat_oncall_team(s, task, seat->who, &team);
        if (team && team->shift_ms > 0) {
            int64_t shifts = s->now >= team->start_ms ? (s->now - team->start_ms) / team->shift_ms + 1 : 0;
            int64_t boundary = team->start_ms + shifts * team->shift_ms;
            if (boundary > s->now && boundary < next)
                next = boundary;
        }
    }
    /* priority 3: of an ask's timers, only its watch has it */
    if (next >= deadline || next <= s->now || timer_is_set(in, next, 3))
        return STORE_OK;
    return timer_set(s, in, next, 3, "watch", task->id, -1);
}

/* The holders refreshed (task_refresh_holders), the quorum re-checked when that changed
   them (a delegation or a handover), the next watch set, and the task saved, unless
   the re-check resolved it (it has saved it then). */
static int task_refresh(Step *s, Instance *in, TaskRecord *task, const AwayNews *news)
{
    bool resolved = false;
    int rc = STORE_OK;
    if (task_refresh_holders(s, in, task, news))
        rc = task_recheck(s, in, task, &resolved);
    if (rc == STORE_OK && !resolved)
        rc = task_schedule_watch(s, in, task);
    if (rc == STORE_OK && !resolved)
        rc = task_save(s, task);
    return rc;
}

int task_refresh_now(Step *s, Instance *in, TaskRecord *task)
{
    AwayNews none = {NULL};   /* only absences that start now are news */
    return task_refresh(s, in, task, &none);
}

int task_watch(Step *s, Instance *in, const char *task_id)
{
    TaskRecord task;
    bool found;
    int rc = task_load_if(s, task_id, &task, &found);
    AwayNews none = {NULL};   /* only absences that start now are news */
    if (found && task_is_open(&task))
        rc = task_refresh(s, in, &task, &none);
    task_record_free(&task);
    return rc;
}

/* What a retry finds missing (task_resume): the level whose timer was refused (0: none),
   and the next reminder's due time when no timer holds it (0: none). */
typedef struct TaskMissing {
    int64_t level, reminder_due;
} TaskMissing;

/* Reads what the stall kept from being set. A reminder whose business time cannot be
   counted (the calendar still missing) is not missing: the ask goes on without it, as
   docs/runtime.md says. */
static void task_missing(Step *s, Instance *in, const TaskRecord *task, TaskMissing *m)
{
    m->level = m->reminder_due = 0;
    if (task_record_has(task, TASK_NEXT_LEVEL_DUE) && task->next_level_due <= s->now &&
        !timer_is_set(in, task->next_level_due, 2))
        m->level = task->level + 1;
    CodecView every;
    Value d;
    int64_t due;
    task_record_view(task, task->remind_every, &every);
    if (task_duration(&every, task->reminders + 1, &d) &&
        step_business_add(s, in->program, task->asked_ms, d, &due) == STORE_OK && due < task->deadline_ms &&
        !timer_is_set(in, due, 4))
        m->reminder_due = due;
}

int task_resume(Step *s, Instance *in)
{
    const char *id = in->record.task;
    TaskRecord task;
    bool found;
    if (!id || !in->frame || in->record.status != INSTANCE_RUNNING)
        return STORE_OK;
    int rc = task_load_if(s, id, &task, &found);
    bool current = found && task_is_open(&task) && task.suspension == (int64_t)in->frame->step;
    TaskMissing missing = {0, 0};
    if (current)
        task_missing(s, in, &task, &missing);
    task_record_free(&task);
    if (rc != STORE_OK || !current)
        return rc;
    if (missing.level)
        rc = task_escalate(s, in, id, missing.level);
    if (rc == STORE_OK && missing.reminder_due && missing.reminder_due <= s->now)
        rc = task_remind(s, in, id);
    else if (rc == STORE_OK && missing.reminder_due)
        rc = timer_set(s, in, missing.reminder_due, 4, "reminder", id, -1);
    if (rc == STORE_OK && in->record.status == INSTANCE_RUNNING)
        rc = task_watch(s, in, id);
    return rc;
}

/* A directory change while the ask is open. */
int task_cover_absences(Step *s, const char *id, const AwayNews *news)
{
    TaskRecord task = {0};
    bool found = false;
    int rc = step_directory(s) ? task_load_if(s, id, &task, &found) : s->failed;
    if (rc != STORE_OK || !found) {
        task_record_free(&task);
        return rc;
    }
    Instance in = {0};
    rc = task_instance_load(s, &task, &in);
    if (rc == STORE_OK)
        rc = task_refresh(s, &in, &task, news);
    if (rc == STORE_OK)
        rc = instance_save(s, &in);
    instance_clear(&in);
    task_record_free(&task);
    return rc;
}
