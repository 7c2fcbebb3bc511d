/*
 * engine_away.c - away and back: a person's absence added to the directory, or ended
 * now (`huddle away` / `huddle back`, or a directory.away / directory.back event), and
 * the open asks whose holders it (or a directory load) leaves away, which gain their
 * substitutes.
 */
#include "engine_internal.h"

#include <string.h>

/* ---- absences while asks are open ---- */

typedef struct OpenTasks {
    json_t *ids;
} OpenTasks;

static int open_tasks_visit(void *context, StoreBytes key, StoreBytes value)
{
    (void)key;
    OpenTasks *o = context;
    json_t *task = json_loadb(value.data, value.len, 0, NULL);
    if (task && strcmp(json_string_value(json_object_get(task, "status")), "open") == 0)
        json_array_append(o->ids, json_object_get(task, "id"));
    json_decref(task);
    return STORE_OK;
}

/* A holder who is away now gets their substitute added beside them (returning removes
   nobody), on every open ask: after an absence is added, and after a directory load. */
int step_cover_absences(Step *s)
{
    OpenTasks o = {json_array()};
    int rc = store_scan(s->txn, TABLE_TASKS, store_bytes(NULL, 0), store_bytes(NULL, 0), open_tasks_visit, &o);
    size_t i;
    json_t *id;
    json_array_foreach(o.ids, i, id)
        if (rc == STORE_OK)
            rc = task_cover_absences(s, json_string_value(id));
    json_decref(o.ids);
    return rc;
}

int step_away(Step *s, const char *person_id, const char *from, const char *to,
                     const char *delegate, bool back)
{
    json_t *json = NULL;
    if (engine_get_json(s->txn, TABLE_DIRECTORY, store_bytes("directory", 9), &json) != STORE_OK)
        return step_fail(s, ENGINE_REFUSED, "no directory is loaded: load one with huddle directory load");
    json_t *person = json_object_get(json_object_get(json, "people"), person_id);
    if (!person) {
        json_decref(json);
        return step_fail(s, ENGINE_REFUSED, "no person '%s' in the directory", person_id);
    }
    json_t *away = json_object_get(person, "away");
    if (!away) {
        away = json_array();
        json_object_set_new(person, "away", away);
    }
    char now[40];
    time_text(s->now, now);
    if (back) {
        /* An absence going on now ends now; later ones stay. The parsed directory knows
           each absence's instants, whether written as dates or times. */
        const Directory *dir = step_directory(s);
        const DirPerson *p = dir ? dir_person(dir, person_id) : NULL;
        size_t i;
        json_t *a;
        json_array_foreach(away, i, a)
            if (p && i < p->absence_count && p->absences[i].from_ms <= s->now && s->now < p->absences[i].until_ms)
                json_object_set_new(a, "to", json_string(now));
    } else {
        json_t *absence = json_pack("{s:s}", "from", from ? from : now);
        if (to)
            json_object_set_new(absence, "to", json_string(to));
        if (delegate)
            json_object_set_new(absence, "delegate", json_string(delegate));
        json_array_append_new(away, absence);
    }
    json_t *problems = json_array();
    Directory *check = directory_parse(json, problems);
    int rc = STORE_OK;
    if (!check)
        rc = step_fail(s, ENGINE_REFUSED, "%s", json_string_value(json_array_get(problems, 0)));
    else
        rc = step_directory_store(s, json);
    directory_free(check);
    json_decref(problems);
    json_decref(json);
    if (rc == STORE_OK && !back)
        rc = step_cover_absences(s);
    return rc;
}
