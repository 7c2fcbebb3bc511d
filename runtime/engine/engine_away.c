/*
 * engine_away.c - away and back: a person's absence added to the directory, or ended
 * now (`huddle away` / `huddle back`, or a directory.away / directory.back event), and
 * the open asks whose holders it (or a directory load) leaves away, which gain their
 * substitutes.
 */
#include "engine_internal.h"

#include <string.h>

/* ---- absences while asks are open ---- */

/* A holder who is away now gets their substitute added beside them (returning removes
   nobody; a team or oncall seat's holders only once all are away), on every open ask:
   after an absence is added, and after a directory load. */
int step_cover_absences(Step *s, const AwayNews *news)
{
    json_t *tasks;
    int rc = query_open_tasks(s, NULL, &tasks);
    size_t i;
    json_t *task;
    json_array_foreach(rc == STORE_OK ? tasks : NULL, i, task)
        if (rc == STORE_OK)
            rc = task_cover_absences(s, json_string_value(json_object_get(task, "id")), news);
    json_decref(tasks);
    return rc;
}

/* Ends the absence of `person` (the parsed directory knows each absence's instants,
   whether written as dates or times) going on now, in `away`, the JSON list; later
   ones stay. One that began this very instant is removed: ending it now would leave
   it ending as it starts, which no absence may. False when none goes on now. */
static bool away_end_now(Step *s, const char *person, json_t *away)
{
    bool ended = false;
    char now[40];
    time_text(s->now, now);
    const Directory *dir = step_directory(s);
    const DirPerson *p = dir ? dir_person(dir, person) : NULL;
    for (size_t i = json_array_size(away); i-- > 0;) {
        if (!p || i >= p->absence_count || p->absences[i].from_ms > s->now || s->now >= p->absences[i].until_ms)
            continue;
        if (p->absences[i].from_ms == s->now)
            json_array_remove(away, i);
        else
            json_object_set_new(json_array_get(away, i), "to", json_string(now));
        ended = true;
    }
    return ended;
}

/* Adds the absence to `away`, the person's JSON list; false when the list holds it
   already, as given (the same away event again under another id): nothing changes. */
static bool away_add(Step *s, json_t *away, const char *from, const char *to, const char *delegate)
{
    char now[40];
    time_text(s->now, now);
    json_t *absence = json_pack("{s:s}", "from", from ? from : now);
    if (to)
        json_object_set_new(absence, "to", json_string(to));
    if (delegate)
        json_object_set_new(absence, "delegate", json_string(delegate));
    size_t i;
    json_t *kept;
    json_array_foreach(away, i, kept)
        if (json_equal(kept, absence)) {
            json_decref(absence);
            return false;
        }
    json_array_append_new(away, absence);
    return true;
}

/* A problem the directory's check found with the absence just added, said of the
   absence ("lars's absence (from 2026-06-20 to 2026-06-10): to: ends no later than it
   starts") rather than by a directory file's path to it ("people.lars.away[2].to"),
   which names no line of the trace or field of the event that brought it. */
static int away_refuse(Step *s, const char *person_id, const json_t *away, const char *problem)
{
    char prefix[400];
    snprintf(prefix, sizeof prefix, "people.%s.away[%zu].", person_id, json_array_size(away) - 1);
    if (strncmp(problem, prefix, strlen(prefix)) != 0)
        return step_fail(s, ENGINE_REFUSED, "%s", problem);
    const json_t *absence = json_array_get(away, json_array_size(away) - 1);
    const char *to = json_string_value(json_object_get(absence, "to"));
    const char *said = problem + strlen(prefix);   /* "to: ends no later than it starts" */
    char field[80] = "";
    size_t key_len = strcspn(said, ":");
    if (said[key_len] == ':' && key_len < 16)
        snprintf(field, sizeof field, "data.%.*s", (int)key_len, said);
    return step_refuse(s, ENGINE_REFUSAL_INPUT, field[0] ? field : NULL, "%s's absence (from %s%s%s): %s", person_id,
                       json_string_value(json_object_get(absence, "from")), to ? " to " : "", to ? to : "", said);
}

int step_away(Step *s, const char *person_id, const char *from, const char *to,
              const char *delegate, bool back, bool *changed)
{
    *changed = false;
    /* The stored directory, checked (a damaged one fails the step), then edited. */
    const Directory *loaded = step_directory(s);
    if (s->failed)
        return s->failed;
    if (!loaded)
        return step_fail(s, ENGINE_REFUSED, "no directory is loaded: load one with huddle directory load");
    json_t *json = NULL;
    int rc = step_directory_json(s, &json);
    if (rc != STORE_OK)
        return rc;
    json_t *person = json_object_get(json_object_get(json, "people"), person_id);
    if (!person) {
        json_decref(json);
        return step_refuse(s, ENGINE_REFUSAL_INPUT, "data.person", "no person '%s' in the directory", person_id);
    }
    json_t *away = json_object_get(person, "away");
    if (!away) {
        away = json_array();
        if (json_object_set_new(person, "away", away) != 0)
            away = NULL;   /* released: the step fails, out of memory */
    }
    *changed = back ? away_end_now(s, person_id, away) : away_add(s, away, from, to, delegate);
    if (!*changed) {
        json_decref(json);
        return STORE_OK;   /* not away, or away so already: nothing to end or add, nothing written */
    }
    json_t *problems = json_array();
    Directory *check = directory_parse(json, problems);
    const char *problem = json_string_value(json_array_get(problems, 0));
    if (!check && problem && !back && away)
        rc = away_refuse(s, person_id, away, problem);
    else if (!check)
        rc = step_fail(s, ENGINE_REFUSED, "%s", problem ? problem : "out of memory");
    else
        rc = step_directory_store(s, json);
    directory_free(check);
    json_decref(problems);
    json_decref(json);
    AwayNews news = {person_id};
    if (rc == STORE_OK && !back)
        rc = step_cover_absences(s, &news);
    return rc;
}
