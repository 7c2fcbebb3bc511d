/*
 * engine_tasks.c - an ask as a task: its seats and holders, answers and quorum, the
 * deadline, and the result the VM resumes with (LANGUAGE.md, "ask").
 *
 * Seats given as person("id") are held by that person. Teams, roles, owners,
 * managers, on-call, delegation and escalation resolve through the directory (the
 * people issue); without one those seats start with no holder, recorded `unresolved`.
 */
#include "engine_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static StoreBytes task_key(const char *id, unsigned char key[8])
{
    store_be64(instance_number(id), key);
    return store_bytes(key, 8);
}

static int task_save(Step *s, json_t *task)
{
    unsigned char key[8];
    return store_put_json(s->txn, TABLE_TASKS, task_key(json_string_value(json_object_get(task, "id")), key), task);
}

static int inbox_set(Step *s, const char *person, const char *task_id, bool add)
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

/* The holders of a seat given by a who value. */
static json_t *seat_holders(Step *s, Instance *in, json_t *who)
{
    json_t *holders = json_array();
    const char *kind = json_string_value(json_object_get(who, "who"));
    json_t *id = json_object_get(who, "id");
    if (kind && strcmp(kind, "person") == 0 && json_is_string(id)) {
        json_array_append(holders, id);
    } else {
        json_t *record = record_add(s, in, "unresolved");
        json_object_set(record, "who", who);
        json_object_set_new(record, "why", json_string("no directory is loaded"));
    }
    return holders;
}

int task_create(Step *s, Instance *in, Value ask)
{
    json_t *description = value_to_json(ask);
    uint64_t number;
    int rc = meta_next(s->txn, "next_task", &number);
    if (rc != STORE_OK) {
        json_decref(description);
        return rc;
    }
    char id[32];
    snprintf(id, sizeof id, "t%llu", (unsigned long long)number);
    const Value *within = value_map_get(ask, "within", 6);
    if (!within || within->type != VAL_DURATION) {
        json_decref(description);
        json_t *record = record_add(s, in, "stalled");
        json_object_set_new(record, "error", json_string(within && within->type == VAL_BUSINESS
            ? "business time needs the playbook's calendar from the directory"
            : "the ask has no deadline"));
        json_object_set_new(in->record, "status", json_string("stalled"));
        return STORE_OK;
    }
    int64_t deadline = s->now + within->as.ms;
    char at[40], due[40];
    time_text(s->now, at);
    time_text(deadline, due);
    json_t *seats = json_array();
    size_t i;
    json_t *who;
    json_array_foreach(json_object_get(description, "seats"), i, who) {
        json_t *holders = seat_holders(s, in, who);
        size_t k;
        json_t *holder;
        json_array_foreach(holders, k, holder)
            if (rc == STORE_OK)
                rc = inbox_set(s, json_string_value(holder), id, true);
        json_array_append_new(seats, json_pack("{s:O, s:o, s:n}", "who", who, "holders", holders, "answered_by"));
    }
    json_t *task = json_pack("{s:s, s:s, s:O, s:s, s:O, s:O, s:O, s:O, s:o, s:[], s:s, s:s, s:I, s:O, s:I}",
                             "id", id, "instance", json_string_value(json_object_get(in->record, "id")),
                             "state", json_object_get(in->record, "state"), "status", "open",
                             "question", json_object_get(description, "question"),
                             "choices", json_object_get(description, "choices"),
                             "quorum", json_object_get(description, "quorum"),
                             "needed", json_object_get(description, "needed"),
                             "seats", seats, "votes", "asked_at", at, "deadline", due,
                             "deadline_ms", (json_int_t)deadline, "show", json_object_get(description, "show"),
                             "suspension", (json_int_t)in->frame->step);
    json_t *record = record_add(s, in, "asked");
    json_object_set_new(record, "task", json_string(id));
    json_object_set(record, "question", json_object_get(task, "question"));
    json_t *choice_ids = json_array();
    json_t *choice;
    json_array_foreach(json_object_get(task, "choices"), i, choice)
        json_array_append(choice_ids, json_object_get(choice, "id"));
    json_object_set_new(record, "choices", choice_ids);
    json_object_set(record, "seats", seats);
    json_object_set_new(record, "deadline", json_string(due));
    if (rc == STORE_OK)
        rc = task_save(s, task);
    json_object_set_new(in->record, "task", json_string(id));
    if (rc == STORE_OK)
        rc = timer_set(s, in, deadline, 1, json_pack("{s:s, s:s}", "kind", "deadline", "task", id));
    json_decref(task);
    json_decref(description);
    return rc;
}

/* ---- resolving ---- */

static int task_resolve(Step *s, Instance *in, json_t *task, const char *choice, json_t *by,
                        json_t *comment)
{
    char at[40];
    time_text(s->now, at);
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
    json_t *record = record_add(s, in, "resolved");
    json_object_set_new(record, "task", json_string(id));
    json_object_set_new(record, "choice", json_string(choice));
    json_object_set(record, "votes", votes);
    int rc = task_save(s, task);
    json_t *seat;
    json_array_foreach(json_object_get(task, "seats"), i, seat) {
        size_t k;
        json_t *holder;
        json_array_foreach(json_object_get(seat, "holders"), k, holder)
            if (rc == STORE_OK)
                rc = inbox_set(s, json_string_value(holder), id, false);
    }
    json_t *result = json_pack("{s:s, s:O, s:O, s:s, s:O, s:o}", "choice", choice,
                               "by", by ? by : json_null(), "comment", comment ? comment : json_null(),
                               "at", at, "votes", votes, "deciders", deciders);
    Value value = value_from_json(result);
    /* `at` is a time in the language */
    int64_t now_ms = s->now;
    value_map_set(value, "at", 2, value_time(now_ms));
    json_decref(result);
    if (rc == STORE_OK)
        rc = step_resume(s, in, VM_INPUT_ANSWER, value);
    value_release(value);
    return rc;
}

static int task_load(Step *s, const char *id, json_t **task)
{
    unsigned char key[8];
    if (instance_number(id) == 0)
        return STORE_NOT_FOUND;
    return store_get_json(s->txn, TABLE_TASKS, task_key(id, key), task);
}

int task_timeout(Step *s, Instance *in, const char *task_id)
{
    json_t *task;
    if (!task_id || task_load(s, task_id, &task) != STORE_OK)
        return STORE_OK;
    int rc = STORE_OK;
    if (strcmp(json_string_value(json_object_get(task, "status")), "open") == 0)
        rc = task_resolve(s, in, task, "timeout", json_null(), json_null());
    json_decref(task);
    return rc;
}

/* Could `choice` still win? Its votes plus the open seats that distinct people who have
   not answered could still fill. */
static bool task_choice_possible(json_t *task, const char *choice, json_int_t needed)
{
    json_int_t votes = 0, open = 0;
    size_t i;
    json_t *vote, *seat;
    json_array_foreach(json_object_get(task, "votes"), i, vote)
        votes += strcmp(json_string_value(json_object_get(vote, "choice")), choice) == 0;
    json_t *used = json_array();
    json_array_foreach(json_object_get(task, "votes"), i, vote)
        json_array_append(used, json_object_get(vote, "by"));
    json_array_foreach(json_object_get(task, "seats"), i, seat) {
        if (!json_is_null(json_object_get(seat, "answered_by")))
            continue;
        size_t k;
        json_t *holder;
        json_array_foreach(json_object_get(seat, "holders"), k, holder) {
            bool taken = false;
            size_t u;
            json_t *person;
            json_array_foreach(used, u, person) taken |= json_equal(person, holder);
            if (!taken) {
                json_array_append(used, holder);
                open++;
                break;
            }
        }
    }
    json_decref(used);
    return votes + open >= needed;
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

static int task_check_answer(Step *s, json_t *task, const char *id, const char *by,
                             const char *choice, const char *comment, json_t **seat_out)
{
    if (strcmp(json_string_value(json_object_get(task, "status")), "open") != 0)
        return step_fail(s, -1, "task %s is already resolved (%s)", id,
                         json_string_value(json_object_get(task, "outcome")));
    json_t *c = task_choice(task, choice);
    if (!c) {
        StrBuf names = STRBUF_INIT;
        size_t i;
        json_t *each;
        json_array_foreach(json_object_get(task, "choices"), i, each)
            strbuf_printf(&names, "%s%s", i ? ", " : "", json_string_value(json_object_get(each, "id")));
        int rc = step_fail(s, -1, "task %s has no choice '%s' (its choices: %s)", id, choice, strbuf_text(&names));
        strbuf_free(&names);
        return rc;
    }
    if (json_is_true(json_object_get(c, "with_comment")) && (!comment || !*comment))
        return step_fail(s, -1, "choice '%s' needs a comment: add --comment TEXT", choice);
    size_t i;
    json_t *vote, *seat;
    json_array_foreach(json_object_get(task, "votes"), i, vote)
        if (strcmp(json_string_value(json_object_get(vote, "by")), by) == 0)
            return step_fail(s, -1, "%s already answered task %s", by, id);
    json_array_foreach(json_object_get(task, "seats"), i, seat) {
        if (!json_is_null(json_object_get(seat, "answered_by")))
            continue;
        size_t k;
        json_t *holder;
        json_array_foreach(json_object_get(seat, "holders"), k, holder)
            if (strcmp(json_string_value(holder), by) == 0) {
                *seat_out = seat;
                return STORE_OK;
            }
    }
    return step_fail(s, -1, "%s holds no open seat on task %s", by, id);
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
    if (task_load(s, id, &task) != STORE_OK)
        return step_fail(s, -1, "no task '%s'", id);
    if (task_same_answer(task, by, choice, comment)) {
        json_decref(task);
        return STORE_OK;
    }
    json_t *seat = NULL;
    int rc = task_check_answer(s, task, id, by, choice, comment, &seat);
    Instance in = {0};
    if (rc == STORE_OK && instance_load(s, instance_number(json_string_value(json_object_get(task, "instance"))), &in) != STORE_OK)
        rc = step_fail(s, -2, "task %s belongs to an instance that cannot be loaded", id);
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
    json_array_append_new(json_object_get(task, "votes"), vote);
    json_t *record = record_add(s, &in, "answered");
    json_object_set_new(record, "task", json_string(id));
    json_object_set_new(record, "by", json_string(by));
    json_object_set_new(record, "choice", json_string(choice));
    json_object_set(record, "comment", json_object_get(vote, "comment"));
    json_int_t needed = json_integer_value(json_object_get(task, "needed"));
    json_int_t count = 0;
    json_t *v;
    json_array_foreach(json_object_get(task, "votes"), i, v)
        count += strcmp(json_string_value(json_object_get(v, "choice")), choice) == 0;
    bool any_possible = false;
    json_t *c;
    json_array_foreach(json_object_get(task, "choices"), i, c)
        any_possible |= task_choice_possible(task, json_string_value(json_object_get(c, "id")), needed);
    if (count >= needed)
        rc = task_resolve(s, &in, task, choice, json_object_get(vote, "by"), json_object_get(vote, "comment"));
    else if (!any_possible)
        rc = task_resolve(s, &in, task, "no_quorum", json_null(), json_null());
    else
        rc = task_save(s, task);
    if (rc == STORE_OK)
        rc = instance_save(s, &in);
    instance_clear(&in);
    json_decref(task);
    return rc;
}

/* An instance cancelled while it asks: the task closes and everyone holding a seat on it
   is told. */
int task_cancel(Step *s, Instance *in, const char *by, const char *reason)
{
    const char *id = json_string_value(json_object_get(in->record, "task"));
    json_t *task;
    if (!id || task_load(s, id, &task) != STORE_OK)
        return STORE_OK;
    int rc = STORE_OK;
    if (strcmp(json_string_value(json_object_get(task, "status")), "open") == 0) {
        json_object_set_new(task, "status", json_string("cancelled"));
        rc = task_save(s, task);
        size_t i;
        json_t *seat;
        json_array_foreach(json_object_get(task, "seats"), i, seat) {
            size_t k;
            json_t *holder;
            json_array_foreach(json_object_get(seat, "holders"), k, holder) {
                if (rc == STORE_OK)
                    rc = inbox_set(s, json_string_value(holder), id, false);
                json_t *record = record_add(s, in, "notified");
                json_object_set(record, "person", holder);
                json_object_set_new(record, "channel", json_string("email"));
                char message[512];
                snprintf(message, sizeof message, "Task %s was cancelled by %s: %s", id, by, reason);
                json_object_set_new(record, "message", json_string(message));
            }
        }
    }
    json_decref(task);
    return rc;
}
