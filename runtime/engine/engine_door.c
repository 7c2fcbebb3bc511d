/*
 * engine_door.c - what the engine checks of an input before anything of it is used,
 * whichever door it came through (the CLI, a `huddle run` trace, a group-committed
 * batch): RUNTIME.md, "Limits and damage".
 *
 *   - an event's source, type and id are ids (lang/base/text.h): at most 256 bytes,
 *     refused over it, never cut, so two ids that share a prefix stay two events;
 *   - event data nests at most DOOR_JSON_DEPTH deep;
 *   - a person named by an operator or an answer is a well-formed person id, and one
 *     the directory knows when the store has a directory;
 *   - engine time stays within [1970, 9000): a later one would put deadlines where
 *     nothing can reach them.
 *
 * Each check refuses with ENGINE_REFUSED and a sentence, before anything is written.
 */
#include "engine_internal.h"

#include <stdio.h>
#include <string.h>

#include "text.h"

/* JSON nests at most this deep (RUNTIME.md): [[1]] is 2 deep, a scalar 0. */
#define DOOR_JSON_DEPTH 1000

int engine_check_time(const char *name, int64_t ms, char *why, size_t why_len)
{
    if (ms >= ENGINE_TIME_MIN_MS && ms < ENGINE_TIME_MAX_MS)
        return ENGINE_OK;
    snprintf(why, why_len, "%s is outside the times an engine keeps (from 1970-01-01 to before "
             "9000-01-01, UTC): a deadline there could never fire", name);
    return ENGINE_REFUSED;
}

/* Whether `json` nests deeper than `limit`; stops looking as soon as it does. */
static bool door_too_deep(const json_t *json, int limit)
{
    if (!json_is_object(json) && !json_is_array(json))
        return false;
    if (limit == 0)
        return true;
    size_t i;
    const char *key;
    json_t *item;
    if (json_is_array(json)) {
        json_array_foreach(json, i, item)
            if (door_too_deep(item, limit - 1))
                return true;
        return false;
    }
    json_object_foreach((json_t *)json, key, item)
        if (door_too_deep(item, limit - 1))
            return true;
    return false;
}

int door_check_event(Step *s, const char *source, const char *type, const char *id,
                     const json_t *data)
{
    static const char *const NAMES[] = {"source", "type", "id"};
    const char *const texts[] = {source, type, id};
    char buf[96];
    for (int i = 0; i < 3; i++) {
        const char *problem = text_id_problem(texts[i], false, buf);
        if (problem)
            return step_fail(s, ENGINE_REFUSED, "the event's %s %s (a source, type or id is 1 to %d bytes of UTF-8 "
                             "without control characters)", NAMES[i], problem, TEXT_ID_MAX);
    }
    if (door_too_deep(data, DOOR_JSON_DEPTH))
        return step_fail(s, ENGINE_REFUSED, "the event's data nests more than %d deep", DOOR_JSON_DEPTH);
    return STORE_OK;
}

int door_check_directory_event(Step *s, const char *type, const json_t *data)
{
    static const char *const AWAY[] = {"person", "from", "to", "delegate"};
    bool back = strcmp(type, "back") == 0;
    unsigned count = back ? 1 : 4;
    if (!json_is_object(data))
        return step_fail(s, ENGINE_REFUSED, "a directory.%s event's data is an object with \"person\"%s", type,
                         back ? "" : " and optional \"from\", \"to\" and \"delegate\"");
    const char *key;
    json_t *value;
    json_object_foreach((json_t *)data, key, value) {
        bool known = false;
        for (unsigned i = 0; i < count && !known; i++)
            known = strcmp(key, AWAY[i]) == 0;
        const char *hint = known ? NULL : text_closest(key, AWAY, count);
        char field[80];
        snprintf(field, sizeof field, "data.%.64s", key);
        if (!known && hint)
            return step_refuse(s, ENGINE_REFUSAL_INPUT, field,
                               "a directory.%s event has no field \"%.64s\" (did you mean \"%s\"?)", type, key, hint);
        if (!known)
            return step_refuse(s, ENGINE_REFUSAL_INPUT, field, "a directory.%s event has no field \"%.64s\" (it has %s)",
                               type, key, back ? "\"person\"" : "\"person\", \"from\", \"to\" and \"delegate\"");
        if (!json_is_string(value) && !(json_is_null(value) && strcmp(key, "person") != 0))
            return step_refuse(s, ENGINE_REFUSAL_INPUT, field, "a directory.%s event's \"%s\" is %s: text is expected",
                               type, key, json_is_null(value) ? "null" : json_is_number(value) ? "a number" : "not text");
    }
    if (!json_is_string(json_object_get(data, "person")))
        return step_refuse(s, ENGINE_REFUSAL_INPUT, "data.person", "a directory.%s event needs \"person\" in its data",
                           type);
    return STORE_OK;
}

int door_check_person_id(Step *s, const char *role, const char *id)
{
    char buf[96];
    const char *problem = text_id_problem(id, true, buf);
    if (problem)
        return step_refuse(s, ENGINE_REFUSAL_INPUT, role, "%s: not a person id: it %s", role, problem);
    return STORE_OK;
}

int door_check_person(Step *s, const char *role, const char *id)
{
    int rc = door_check_person_id(s, role, id);
    const Directory *dir = rc == STORE_OK ? step_directory(s) : NULL;
    if (dir && !dir_person(dir, id))
        rc = step_refuse(s, ENGINE_REFUSAL_INPUT, role, "%s: no person '%s' in the directory", role, id);
    return rc;
}

int door_check_holder(Step *s, const char *by, const char *task)
{
    const Directory *dir = step_directory(s);
    if (dir && !dir_person(dir, by))
        return step_refuse(s, ENGINE_REFUSAL_INPUT, "by",
                         "by: %s holds a seat on %s but is no longer in the directory; an operator may hand it on "
                         "(huddle reassign %s --from %s --to PERSON)", by, task, task, by);
    return STORE_OK;
}
