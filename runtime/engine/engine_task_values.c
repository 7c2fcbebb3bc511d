/*
 * engine_task_values.c - the values an ask gave, as a task keeps them (engine_task_record.h,
 * TaskValue): the codec's bytes of their JSON, written straight from the VM's values when
 * the task is made, and read where they lie with codec views (engine_codec_view.c) on the
 * paths that need one (a choice, a duration, whether a seat is on call), so no jansson
 * value is built for them on the step path. JSON is made of them only where the directory
 * resolves a seat or a level, and where a person or a program reads the task.
 */
#include "engine_internal.h"
#include "engine_task_record.h"

#include <stdlib.h>
#include <string.h>

static int no_memory(Step *s)
{
    return step_fail(s, ENGINE_NO_MEMORY, "out of memory");
}

/* The kind of a value the task keeps (null's when it has none). */
CodecKind task_value_kind(const TaskRecord *task, TaskValue v)
{
    CodecView view;
    task_record_view(task, v, &view);
    return codec_view_kind(&view);
}

/* For an `oncall` seat (its who `v`), with a directory: true, and its team in *team
   (NULL when the directory has none by its id). false for any other seat. */
bool task_seat_oncall_team(Step *s, const TaskRecord *task, TaskValue v, const DirTeam **team)
{
    const Directory *dir = step_directory(s);
    CodecView who, kind, id;
    *team = NULL;
    task_record_view(task, v, &who);
    if (!dir || !codec_view_member(&who, "who", &kind) || !codec_view_text_is(&kind, "oncall"))
        return false;
    char *name = NULL;
    if (codec_view_member(&who, "id", &id) && !codec_view_text_copy(&id, &name)) {
        no_memory(s);
        return false;
    }
    *team = dir_team(dir, name);
    free(name);
    return true;
}

/* For an `oncall` seat, who is on call now by the rotation (before substitution). */
const char *task_seat_on_call(Step *s, const TaskRecord *task, TaskValue v)
{
    const DirTeam *team;
    return task_seat_oncall_team(s, task, v, &team) ? dir_oncall_at(team, s->now) : NULL;
}

/* Durations kept on a task: {"ms": N} for elapsed time, {"count": N, "unit": U} for
   business time, so they come back as the same Values; null for anything else. */
static void duration_write(CodecWriter *w, const Value *d)
{
    if (!d || (d->type != VAL_DURATION && d->type != VAL_BUSINESS)) {
        codec_write_null(w);
        return;
    }
    codec_write_object(w);
    if (d->type == VAL_DURATION) {
        codec_write_key(w, "ms");
        codec_write_integer(w, d->as.ms);
    } else {
        codec_write_key(w, "count");
        codec_write_integer(w, d->as.integer);
        codec_write_key(w, "unit");
        codec_write_integer(w, (int)d->unit);
    }
    codec_write_close(w);
}

/* An integer member of a kept value, as json_integer_value reads it (0 when it is not
   one). */
static int64_t view_integer(const CodecView *object, const char *name)
{
    CodecView v;
    int64_t n = 0;
    if (codec_view_member(object, name, &v))
        codec_view_integer(&v, &n);
    return n;
}

bool task_duration(const CodecView *kept, int64_t times, Value *out)
{
    CodecView v;
    int64_t n;
    if (codec_view_member(kept, "ms", &v)) {
        if (__builtin_mul_overflow(view_integer(kept, "ms"), times, &n))
            return false;
        *out = value_duration(n);
        return true;
    }
    if (codec_view_member(kept, "count", &v)) {
        if (__builtin_mul_overflow(view_integer(kept, "count"), times, &n))
            return false;
        *out = value_business(n, (BusinessUnit)view_integer(kept, "unit"));
        return true;
    }
    return false;
}

/* "ladder_after" (each level's duration) and "remind_every": 0, or -1 when out of
   memory. */
int task_keep_durations(TaskRecord *task, const Value *ladder, const Value *remind)
{
    size_t mark = task->values.len;
    CodecWriter w;
    codec_write_begin_value(&w, &task->values);
    codec_write_array(&w);
    for (uint32_t i = 0; ladder && ladder->type == VAL_LIST && i < ladder->as.list->count; i++) {
        duration_write(&w, value_map_get(ladder->as.list->items[i], "after", 5));
    }
    if (task_record_set_written(task, TASK_LADDER_AFTER, mark, codec_write_end(&w)) != 0)
        return -1;
    mark = task->values.len;
    codec_write_begin_value(&w, &task->values);
    duration_write(&w, remind);
    return task_record_set_written(task, TASK_REMIND_EVERY, mark, codec_write_end(&w));
}

/* The ask's own `value` kept as member `field`, the bytes of its JSON written straight
   from it (null when the ask has none): 0, or -1 when out of memory. */
int task_keep(TaskRecord *task, TaskField field, const Value *value)
{
    size_t mark = task->values.len;
    CodecWriter w;
    codec_write_begin_value(&w, &task->values);
    if (!value)
        codec_write_null(&w);
    else if (!engine_write_value(&w, *value))
        return -1;
    return task_record_set_written(task, field, mark, codec_write_end(&w));
}

/* The instance's state kept as member "state": its text, or null. */
int task_keep_state(TaskRecord *task, const char *state)
{
    size_t mark = task->values.len;
    CodecWriter w;
    codec_write_begin_value(&w, &task->values);
    codec_write_text(&w, state);
    return task_record_set_written(task, TASK_STATE, mark, codec_write_end(&w));
}

void task_choices(const TaskRecord *task, CodecViewItems *each)
{
    CodecView choices;
    task_record_view(task, task->choices, &choices);
    codec_view_items(&choices, each);
    if (each->object)
        each->left = 0;   /* json_array_foreach has none of an object */
}

/* The choice whose id is `choice`, into *found: false when there is none. */
bool task_choice(const TaskRecord *task, const char *choice, CodecView *found)
{
    CodecView id;
    CodecViewItems each;
    task_choices(task, &each);
    while (codec_view_next(&each, found, NULL, NULL))
        if (codec_view_member(found, "id", &id) && codec_view_text_is(&id, choice))
            return true;
    return false;
}

/* The choices' ids, ", " between them, as the message of a refused choice prints them
   (a choice without a text id as "(null)"). */
void task_choice_names(const TaskRecord *task, StrBuf *names)
{
    CodecView c, id;
    CodecViewItems each;
    task_choices(task, &each);
    for (size_t i = 0; codec_view_next(&each, &c, NULL, NULL); i++) {
        char *text = NULL;   /* none when out of memory too: "(null)" */
        if (codec_view_member(&c, "id", &id))
            codec_view_text_copy(&id, &text);
        strbuf_printf(names, "%s%s", i ? ", " : "", text ? text : "(null)");
        free(text);
    }
}

void task_write_choice_ids(CodecWriter *w, const TaskRecord *task)
{
    CodecView choice, id;
    CodecViewItems each;
    const unsigned char *bytes;
    size_t len;
    task_choices(task, &each);
    codec_write_array(w);
    while (codec_view_next(&each, &choice, NULL, NULL))
        if (codec_view_member(&choice, "id", &id) && codec_view_bytes(&id, &bytes, &len))
            codec_write_bytes(w, bytes, len);   /* none without one, as json_array_append of NULL */
    codec_write_close(w);
}
