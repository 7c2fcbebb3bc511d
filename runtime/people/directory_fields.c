/*
 * directory_fields.c - the fields a directory file may give (RUNTIME.md, "The directory"):
 * a person's name, email, manager, calendar, notify and away; an absence's from, to and
 * delegate; a team's members, lead and oncall; an on-call rotation, shift and start; a
 * calendar's zone, hours and holidays. Any other is refused by its path, with the field
 * it is closest to (`people.ming.calender: unknown field (did you mean 'calendar'?)`),
 * so a misspelling is never silently ignored (a `calender` would leave the person's
 * absences in UTC and their seats without working hours).
 *
 * Only files being loaded are held to this (directory_parse_file); a directory already
 * kept in a store is read by directory_parse alone, so one an older huddle kept with such
 * a field still opens.
 */
#include "directory.h"

#include <stdio.h>
#include <string.h>

#include "text.h"

typedef struct FieldSet {
    const char *what;                /* "a person", for the message */
    const char *const *names;
    unsigned count;
} FieldSet;

static const char *const PERSON[] = {"name", "email", "manager", "calendar", "notify", "away"};
static const char *const ABSENCE[] = {"from", "to", "delegate"};
static const char *const TEAM[] = {"members", "lead", "oncall"};
static const char *const ONCALL[] = {"rotation", "shift", "start"};
static const char *const CALENDAR[] = {"zone", "hours", "holidays"};

#define FIELD_SET(what, names) {what, names, sizeof names / sizeof *names}

/* Each key of `object` (when it is one) that `set` lacks, refused at PATH.KEY. */
static void refuse_unknown(const json_t *object, const char *path, const FieldSet *set, json_t *problems)
{
    const char *key;
    json_t *value;
    json_object_foreach((json_t *)object, key, value) {
        bool known = false;
        for (unsigned i = 0; i < set->count && !known; i++)
            known = strcmp(key, set->names[i]) == 0;
        if (known)
            continue;
        char text[900], list[200] = "";
        for (unsigned i = 0; i < set->count; i++)
            snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s", i ? ", " : "", set->names[i]);
        const char *hint = text_closest(key, set->names, set->count);
        if (hint)
            snprintf(text, sizeof text, "%.300s.%.200s: unknown field (did you mean '%s'?)", path, key, hint);
        else
            snprintf(text, sizeof text, "%.300s.%.200s: unknown field (%s has %s)", path, key, set->what, list);
        json_array_append_new(problems, json_string(text));
    }
}

static void refuse_unknown_in_people(const json_t *people, json_t *problems)
{
    static const FieldSet PERSON_SET = FIELD_SET("a person", PERSON), ABSENCE_SET = FIELD_SET("an absence", ABSENCE);
    const char *id;
    json_t *person;
    json_object_foreach((json_t *)people, id, person) {
        char path[300], at[340];
        snprintf(path, sizeof path, "people.%s", id);
        refuse_unknown(person, path, &PERSON_SET, problems);
        size_t i;
        json_t *absence;
        json_array_foreach(json_object_get(person, "away"), i, absence) {
            snprintf(at, sizeof at, "%s.away[%zu]", path, i);
            refuse_unknown(absence, at, &ABSENCE_SET, problems);
        }
    }
}

static void refuse_unknown_in_teams(const json_t *teams, json_t *problems)
{
    static const FieldSet TEAM_SET = FIELD_SET("a team", TEAM), ONCALL_SET = FIELD_SET("an oncall", ONCALL);
    const char *id;
    json_t *team;
    json_object_foreach((json_t *)teams, id, team) {
        char path[300], at[340];
        snprintf(path, sizeof path, "teams.%s", id);
        refuse_unknown(team, path, &TEAM_SET, problems);
        snprintf(at, sizeof at, "%s.oncall", path);
        refuse_unknown(json_object_get(team, "oncall"), at, &ONCALL_SET, problems);
    }
}

static void refuse_unknown_in_calendars(const json_t *calendars, json_t *problems)
{
    static const FieldSet CALENDAR_SET = FIELD_SET("a calendar", CALENDAR);
    const char *name;
    json_t *calendar;
    json_object_foreach((json_t *)calendars, name, calendar) {
        char path[300];
        snprintf(path, sizeof path, "calendars.%s", name);
        refuse_unknown(calendar, path, &CALENDAR_SET, problems);
    }
}

Directory *directory_parse_file(json_t *json, json_t *problems)
{
    size_t before = json_array_size(problems);
    Directory *dir = directory_parse(json, problems);
    if (json_is_object(json)) {
        refuse_unknown_in_people(json_object_get(json, "people"), problems);
        refuse_unknown_in_teams(json_object_get(json, "teams"), problems);
        refuse_unknown_in_calendars(json_object_get(json, "calendars"), problems);
    }
    if (dir && json_array_size(problems) > before) {
        directory_free(dir);
        dir = NULL;
    }
    return dir;
}
