/*
 * engine_override.c - what an operator may do to an open ask
 * (../shared/design/RUNTIME.md, Interfaces):
 *
 *   huddle resolve TASK CHOICE --by P --reason T   decides it, whatever the votes say: an
 *       `overridden` record (by, reason, choice, the votes so far), then the ask resolves
 *       with CHOICE and the instance carries on as if its quorum had chosen it;
 *   huddle reassign TASK --from H --to P --by O     hands H's open seats to P: a
 *       `delegated` record per seat (why: reassigned), P told and given the task in their
 *       inbox, H's inbox entry gone. Without --from (over HTTP, no "from" or null), P is
 *       given every open seat that has no holder (an ask whose WHO resolved to nobody).
 *       The quorum is re-checked after.
 *
 * Both are steps (engine.c runs them in a write transaction) and refuse with a sentence
 * and no change: an unknown or closed task, an unknown choice, an empty reason, a
 * holder with no open seat, a malformed person id, a person (--to, --by) the loaded
 * directory does not know.
 */
#include "engine_internal.h"

#include <stdlib.h>
#include <string.h>

/* Loads the task and its instance for an operator's change; refuses a closed task.
   *task is the caller's to task_record_free, whatever the result. */
static int override_load(Step *s, const char *task_id, const char *choice, TaskRecord *task, Instance *in)
{
    int rc = task_load_named(s, task_id, task);
    if (rc == STORE_OK)
        rc = task_check_open_choice(s, task, task_id, choice);
    if (rc == STORE_OK)
        rc = task_instance_load(s, task, in);
    return rc;
}

int task_override(Step *s, const char *task_id, const char *choice, const char *by,
                  const char *reason)
{
    if (text_is_blank(reason))
        return step_refuse(s, ENGINE_REFUSAL_INPUT, "reason", "an override needs a reason, in words (--reason TEXT to huddle "
                         "resolve, \"reason\" over HTTP)");
    int checked = door_check_person(s, "by", by);
    if (checked != STORE_OK)
        return checked;
    TaskRecord task;
    Instance in = {0};
    int rc = override_load(s, task_id, choice, &task, &in);
    if (rc == STORE_OK) {
        CodecWriter *record = record_begin(s, &in, "overridden");
        record_text(record, "task", task_id);
        record_text(record, "choice", choice);
        record_text(record, "by", by);
        record_text(record, "token", s->token);
        record_text(record, "reason", reason);
        if (record) {
            codec_write_key(record, "votes");
            task_record_write_member(record, &task, TASK_VOTES);
        }
        /* no answer completed a quorum: the arm's NAME.by and NAME.comment are null
           (LANGUAGE.md, "The result"); the `overridden` record names the operator */
        rc = task_resolve(s, &in, &task, choice, NULL, NULL);
    }
    if (rc == STORE_OK)
        rc = instance_save(s, &in);
    instance_clear(&in);
    task_record_free(&task);
    return rc;
}

/* Replaces `from` by `to` among the holders of `seat` (once, where `from` was): false
   when out of memory. */
static bool seat_swap_holder(TaskSeat *seat, const char *from, const char *to)
{
    TaskTexts *holders = &seat->holders;
    bool to_there = task_texts_has(holders, to);
    for (size_t k = 0; k < holders->count; k++) {
        if (strcmp(holders->items[k], from) != 0)
            continue;
        char *copy = to_there ? NULL : codec_text_copy(to, strlen(to));
        if (!to_there && !copy)
            return false;
        free(holders->items[k]);
        if (to_there) {
            memmove(holders->items + k, holders->items + k + 1, (holders->count - k - 1) * sizeof *holders->items);
            holders->count--;
        } else {
            holders->items[k] = copy;
        }
        return true;
    }
    return true;
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
        rc = step_refuse(s, ENGINE_REFUSAL_INPUT, "to", "--from and --to name the same person (%s)", to);
    return rc;
}

/* Gives `to` the open seats `from` holds (in place of `from`), or with no `from` the
   open seats that have no holder; a `delegated` record each. Returns how many. */
static size_t reassign_seats(Step *s, Instance *in, TaskRecord *task, const char *from,
                             const char *to, const char *by)
{
    size_t moved = 0;
    for (size_t i = 0; i < task->seat_count; i++) {
        TaskSeat *seat = &task->seats[i];
        if (seat->answered_by || (from ? !task_texts_has(&seat->holders, from) : seat->holders.count > 0))
            continue;
        bool ok = from ? seat_swap_holder(seat, from, to) : task_texts_add(&seat->holders, to) == 0;
        /* At rung 0, `to` is the seat's holder after substitution: `manager` climbs from
           them (not from `from`, who may no longer hold it). Once a level has added
           people, the ladder climbs from those. */
        json_t *latest = seat->climbed ? NULL : json_pack("[s]", to);
        if (!ok || (!seat->climbed && (!latest || task_seat_set_previous(seat, latest) != 0)))
            step_fail(s, ENGINE_NO_MEMORY, "out of memory");
        json_decref(latest);
        CodecWriter *record = record_begin(s, in, "delegated");
        record_text(record, "task", task->id);
        record_integer(record, "seat", (int64_t)i);
        record_text_or_null(record, "from", from);
        record_text(record, "to", to);
        record_text(record, "why", "reassigned");
        record_text(record, "by", by);
        record_text(record, "token", s->token);
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
    TaskRecord task;
    Instance in = {0};
    rc = override_load(s, task_id, NULL, &task, &in);
    size_t moved = rc == STORE_OK ? reassign_seats(s, &in, &task, from, to, by) : 0;
    if (rc == STORE_OK && moved == 0)
        rc = from ? step_refuse(s, ENGINE_REFUSAL_INPUT, "from", "%s holds no open seat on task %s", from, task_id)
                  : step_refuse(s, ENGINE_REFUSAL_INPUT, "from",
                              "task %s has no open seat without a holder: name the holder to replace with "
                              "--from (\"from\" over HTTP)",
                              task_id);
    bool still_holds = false;
    for (size_t i = 0; i < task.seat_count; i++)
        still_holds |= from && task_texts_has(&task.seats[i].holders, from);
    if (rc == STORE_OK && from && !still_holds)
        rc = inbox_set(s, from, task_id, false);
    if (rc == STORE_OK)
        rc = inbox_set(s, to, task_id, true);
    bool resolved = false;
    if (rc == STORE_OK) {
        task_tell(s, &in, &task, &to, 1, "asked", NULL);
        rc = task_recheck(s, &in, &task, &resolved);
    }
    /* `to` away now gets their stand-in beside them, as a holder whose absence starts
       later does when its watch fires; then the next watch (the absences of the person
       it gave seats) is set and the task saved */
    if (rc == STORE_OK && !resolved)
        rc = task_refresh_now(s, &in, &task);
    if (rc == STORE_OK)
        rc = instance_save(s, &in);
    instance_clear(&in);
    task_record_free(&task);
    return rc;
}
