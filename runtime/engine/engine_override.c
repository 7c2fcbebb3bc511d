/*
 * engine_override.c - what an operator may do to an open ask
 * (../shared/design/RUNTIME.md, Interfaces):
 *
 *   huddle resolve TASK CHOICE --by P --reason T   decides it, whatever the votes say: an
 *       `overridden` record (by, reason, choice, the votes so far), then the ask resolves
 *       with CHOICE and the instance carries on as if its quorum had chosen it;
 *   huddle reassign TASK --from H --to P --by O     hands H's open seats to P: a
 *       `delegated` record per seat (why: reassigned), P told and given the task in their
 *       inbox, H's inbox entry gone. Without --from, P is given every open seat that has
 *       no holder (an ask whose WHO resolved to nobody). The quorum is re-checked after.
 *
 * Both are steps (engine.c runs them in a write transaction) and refuse with a sentence
 * and no change: an unknown or closed task, an unknown choice, an empty reason, a
 * holder with no open seat, a malformed person id, a person (--to, --by) the loaded
 * directory does not know.
 */
#include "engine_internal.h"

#include <string.h>

/* Loads the task and its instance for an operator's change; refuses a closed task. */
static int override_load(Step *s, const char *task_id, const char *choice, json_t **task,
                         Instance *in)
{
    int rc = task_load_named(s, task_id, task);
    if (rc != STORE_OK)
        return rc;
    rc = task_check_open_choice(s, *task, task_id, choice);
    if (rc == STORE_OK)
        rc = task_instance_load(s, *task, in);
    if (rc != STORE_OK) {
        json_decref(*task);
        *task = NULL;
    }
    return rc;
}

int task_override(Step *s, const char *task_id, const char *choice, const char *by,
                  const char *reason)
{
    if (!reason || !*reason)
        return step_fail(s, ENGINE_REFUSED, "an override needs a reason: add --reason TEXT");
    int checked = door_check_person(s, "by", by);
    if (checked != STORE_OK)
        return checked;
    json_t *task;
    Instance in = {0};
    int rc = override_load(s, task_id, choice, &task, &in);
    if (rc != STORE_OK)
        return rc;
    CodecWriter *record = record_begin(s, &in, "overridden");
    record_text(record, "task", task_id);
    record_text(record, "choice", choice);
    record_text(record, "by", by);
    record_text(record, "reason", reason);
    record_json(record, "votes", json_object_get(task, "votes"));
    json_t *by_json = json_string(by), *reason_json = json_string(reason);
    rc = task_resolve(s, &in, task, choice, by_json, reason_json);
    json_decref(by_json);
    json_decref(reason_json);
    if (rc == STORE_OK)
        rc = instance_save(s, &in);
    instance_clear(&in);
    json_decref(task);
    return rc;
}

/* Replaces `from` by `to` among the holders of `seat` (once, where `from` was). */
static void seat_swap_holder(json_t *seat, const char *from, const char *to)
{
    json_t *holders = json_object_get(seat, "holders");
    bool to_there = holders_include(json_object_get(seat, "holders"), to);
    for (size_t k = 0; k < json_array_size(holders); k++) {
        if (strcmp(json_string_value(json_array_get(holders, k)), from) != 0)
            continue;
        if (to_there)
            json_array_remove(holders, k);
        else
            json_array_set_new(holders, k, json_string(to));
        return;
    }
}

/* `to` and `by` must be people the directory knows (when there is one); `from` need
   only be a well-formed id, since a holder the directory has lost can still be
   replaced (their seat is checked below). */
static int reassign_check(Step *s, const char *from, const char *to, const char *by)
{
    int rc = from ? door_check_person_id(s, "from", from) : STORE_OK;
    if (rc == STORE_OK)
        rc = door_check_person(s, "to", to);
    if (rc == STORE_OK)
        rc = door_check_person(s, "by", by);
    if (rc == STORE_OK && from && strcmp(from, to) == 0)
        rc = step_fail(s, ENGINE_REFUSED, "--from and --to name the same person (%s)", to);
    return rc;
}

/* Gives `to` the open seats `from` holds (in place of `from`), or with no `from` the
   open seats that have no holder; a `delegated` record each. Returns how many. */
static size_t reassign_seats(Step *s, Instance *in, json_t *task, const char *from,
                             const char *to, const char *by)
{
    size_t moved = 0, i;
    json_t *seat;
    json_array_foreach(json_object_get(task, "seats"), i, seat) {
        json_t *holders = json_object_get(seat, "holders");
        if (!json_is_null(json_object_get(seat, "answered_by")) ||
            (from ? !holders_include(holders, from) : json_array_size(holders) > 0))
            continue;
        if (from)
            seat_swap_holder(seat, from, to);
        else
            json_array_append_new(holders, json_string(to));
        CodecWriter *record = record_begin(s, in, "delegated");
        record_json(record, "task", json_object_get(task, "id"));
        record_integer(record, "seat", (int64_t)i);
        if (from)
            record_text(record, "from", from);
        else
            record_null(record, "from");
        record_text(record, "to", to);
        record_text(record, "why", "reassigned");
        record_text(record, "by", by);
        moved++;
    }
    return moved;
}

int task_reassign(Step *s, const char *task_id, const char *from, const char *to,
                  const char *by)
{
    int rc = reassign_check(s, from, to, by);
    if (rc != STORE_OK)
        return rc;
    json_t *task;
    Instance in = {0};
    rc = override_load(s, task_id, NULL, &task, &in);
    if (rc != STORE_OK)
        return rc;
    size_t moved = reassign_seats(s, &in, task, from, to, by), i;
    json_t *seat;
    if (moved == 0)
        rc = from ? step_fail(s, ENGINE_REFUSED, "%s holds no open seat on task %s", from, task_id)
                  : step_fail(s, ENGINE_REFUSED, "task %s has no open seat without a holder: name the holder to replace with --from", task_id);
    bool still_holds = false;
    json_array_foreach(json_object_get(task, "seats"), i, seat)
        still_holds |= from && holders_include(json_object_get(seat, "holders"), from);
    if (rc == STORE_OK && from && !still_holds)
        rc = inbox_set(s, from, task_id, false);
    if (rc == STORE_OK)
        rc = inbox_set(s, to, task_id, true);
    bool resolved = false;
    if (rc == STORE_OK) {
        json_t *told = json_pack("[s]", to);
        task_tell(s, &in, task, told, "asked", NULL);
        json_decref(told);
        rc = task_recheck(s, &in, task, &resolved);
    }
    if (rc == STORE_OK && !resolved)
        rc = task_save(s, task);
    if (rc == STORE_OK)
        rc = instance_save(s, &in);
    instance_clear(&in);
    json_decref(task);
    return rc;
}
