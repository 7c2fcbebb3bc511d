/*
 * fuzz_directory.c - libFuzzer target over the directory parser (runtime/people/directory.c and
 * the calendars and time zones it reads), and what a parsed directory answers.
 *
 * Each input is read as JSON the way `huddle directory load FILE` reads it
 * (json_loadb with JSON_REJECT_DUPLICATES); input that is not JSON is skipped. The JSON
 * goes to directory_parse with a problems array that already holds one item, and an
 * abort() below marks a broken promise of directory.h:
 *
 *   - it returns NULL exactly when it appended a problem, and it leaves what was in the
 *     array alone;
 *   - every problem is a string "JSON.PATH: what is wrong" whose path starts at a
 *     top-level key of the document, or is "(top)" when the document is not an object;
 *   - a directory it returns holds every person, team and calendar of the document,
 *     each found by its id (dir_person, dir_team, dir_calendar), and every id a person
 *     or team names (manager, calendar, delegate, lead, members, rotation) is found.
 *
 * A directory is then asked what the engine asks of it, at a few instants (a fixed one,
 * and the edges of the first absences and on-call shifts): dir_resolve on the who
 * values a playbook makes - person, team, oncall, lead, role, owner, manager of a person,
 * of a team and of a previous level - must give a list of distinct ids of people who are
 * in the directory and not away at that instant, and notes that are "delegated" or
 * "unresolved" records; dir_channel, dir_away_at and calendar_add (business minutes,
 * hours and days; an end, when there is one, is not before the start) must not crash.
 * Everything is freed: a leak is a finding too.
 *
 * Seeded with tests/fuzz/seeds-fuzz_directory/ (directory files of the people scenarios
 * and workflows), with the dictionary tests/fuzz/fuzz_directory.dict.
 */
#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "calendar.h"
#include "directory.h"

#define T0 1780390800000LL             /* 2026-06-02T09:00:00Z */
#define FIRST_MS (-62135596800000LL)    /* 0001-01-01T00:00:00Z */
#define LAST_MS 253402300799999LL       /* 9999-12-31T23:59:59.999Z */
#define MAX_INSTANTS 6

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The first key of the document's section `name`, or NULL. */
static const char *first_key(json_t *json, const char *name)
{
    void *it = json_object_iter(json_object_get(json, name));
    return it ? json_object_iter_key(it) : NULL;
}

/* The problem starts with a top-level key of the document (perhaps cut short by the
   parser's fixed-size text), or is about the whole document. */
static int problem_has_path(json_t *json, const char *text)
{
    if (!json_is_object(json))
        return strncmp(text, "(top): ", 7) == 0;
    const char *key;
    json_t *value;
    size_t len = strlen(text);
    json_object_foreach(json, key, value) {
        size_t key_len = strlen(key);
        if (key_len < len ? strncmp(text, key, key_len) == 0 && strchr(".: ", text[key_len])
                          : strncmp(text, key, len) == 0)
            return 1;
    }
    return 0;
}

static void check_problems(json_t *json, json_t *problems, size_t before)
{
    const char *first = json_string_value(json_array_get(problems, 0));
    if (json_array_size(problems) < before || !first || strcmp(first, "sentinel") != 0)
        abort();   /* it touched problems it did not make */
    for (size_t i = before; i < json_array_size(problems); i++) {
        const char *text = json_string_value(json_array_get(problems, i));
        if (!text || !problem_has_path(json, text))
            abort();   /* a problem that is not "PATH: what" */
    }
}

static void check_contents(json_t *json, const Directory *dir)
{
    if (dir->person_count != json_object_size(json_object_get(json, "people")) ||
        dir->team_count != json_object_size(json_object_get(json, "teams")) ||
        dir->calendar_count != json_object_size(json_object_get(json, "calendars")))
        abort();   /* accepted, yet something of the document is missing */
    for (unsigned i = 0; i < dir->person_count; i++) {
        const DirPerson *p = &dir->people[i];
        if (dir_person(dir, p->id) != p || (p->manager && !dir_person(dir, p->manager)) ||
            (p->calendar && !dir_calendar(dir, p->calendar)))
            abort();
        for (unsigned k = 0; k < p->absence_count; k++)
            if (p->absences[k].until_ms <= p->absences[k].from_ms ||
                (p->absences[k].delegate && !dir_person(dir, p->absences[k].delegate)))
                abort();
        if ((p->email || p->notify) && !dir_channel(dir, p->id))
            abort();   /* a person with neither is accepted (a pre-flight warning), told by nothing */
    }
    for (unsigned i = 0; i < dir->team_count; i++) {
        const DirTeam *t = &dir->teams[i];
        if (dir_team(dir, t->id) != t || (t->lead && !dir_person(dir, t->lead)))
            abort();
        for (unsigned k = 0; k < t->member_count; k++)
            if (!dir_person(dir, t->members[k]))
                abort();
        for (unsigned k = 0; k < t->rotation_count; k++)
            if (!dir_person(dir, t->rotation[k]))
                abort();
        if (t->rotation_count && t->shift_ms <= 0)
            abort();
    }
    const char *name;
    json_t *spec;
    json_object_foreach(json_object_get(json, "calendars"), name, spec) {
        const Calendar *c = dir_calendar(dir, name);
        if (!c || strcmp(c->name, name) != 0)
            abort();   /* a calendar of the document that cannot be found by its name */
    }
}

/* The people dir_resolve gives: distinct ids of people who are there at `at`. */
static void check_people(const Directory *dir, const json_t *people, int64_t at, const json_t *notes)
{
    if (!json_is_array(people))
        abort();
    for (size_t i = 0; i < json_array_size(people); i++) {
        const char *id = json_string_value(json_array_get(people, i));
        const DirPerson *p = id ? dir_person(dir, id) : NULL;
        if (!p || dir_away_at(dir, p, at))
            abort();   /* nobody, a stranger, or someone away */
        for (size_t k = 0; k < i; k++)
            if (strcmp(json_string_value(json_array_get(people, k)), id) == 0)
                abort();   /* twice */
    }
    for (size_t i = 0; i < json_array_size(notes); i++) {
        const char *kind = json_string_value(json_object_get(json_array_get(notes, i), "kind"));
        if (!kind || (strcmp(kind, "delegated") != 0 && strcmp(kind, "unresolved") != 0))
            abort();
    }
}

static void resolve(const Directory *dir, json_t *who, int64_t at)
{
    if (!who)
        return;
    json_t *notes = json_array();
    json_t *people = dir_resolve(dir, who, at, NULL, notes);
    check_people(dir, people, at, notes);
    /* A bare `manager` climbs from the level before. */
    json_t *climb = json_pack("{s:s}", "who", "manager");
    json_t *managers = dir_resolve(dir, climb, at, people, notes);
    check_people(dir, managers, at, notes);
    json_decref(managers);
    json_decref(climb);
    json_decref(people);
    json_decref(notes);
    json_decref(who);
}

/* `who` values as the VM builds them, named after the document's first entries. */
static void ask(json_t *json, const Directory *dir, int64_t at)
{
    const char *person = first_key(json, "people"), *team = first_key(json, "teams");
    const char *role = first_key(json, "roles"), *owner = first_key(json, "owners");
    const char *scope = role ? first_key(json_object_get(json, "roles"), role) : NULL;
    const char *key = owner ? first_key(json_object_get(json, "owners"), owner) : NULL;
    person = person ? person : "nobody";
    team = team ? team : "no-team";
    resolve(dir, json_pack("{s:s, s:s}", "who", "person", "id", person), at);
    resolve(dir, json_pack("{s:s, s:s}", "who", "person", "id", "nobody-at-all"), at);
    resolve(dir, json_pack("{s:s, s:s}", "who", "team", "id", team), at);
    resolve(dir, json_pack("{s:s, s:s}", "who", "oncall", "id", team), at);
    resolve(dir, json_pack("{s:s, s:s}", "who", "lead", "id", team), at);
    resolve(dir, json_pack("{s:s, s:s, s:s}", "who", "role", "name", role ? role : "approver", "scope",
                           scope ? scope : "EU"), at);
    resolve(dir, json_pack("{s:s, s:s, s:I}", "who", "role", "name", role ? role : "approver", "scope",
                           (json_int_t)7), at);
    resolve(dir, json_pack("{s:s, s:s, s:s}", "who", "owner", "kind", owner ? owner : "product", "key",
                           key ? key : "N9"), at);
    resolve(dir, json_pack("{s:s, s:{s:s, s:s}}", "who", "manager", "of", "who", "person", "id", person), at);
    resolve(dir, json_pack("{s:s, s:{s:s, s:s}}", "who", "manager", "of", "who", "team", "id", team), at);
    resolve(dir, json_pack("{s:s, s:{s:s, s:s}}", "who", "manager", "of", "who", "oncall", "id", team), at);
}

static void business_time(const Directory *dir, int64_t at)
{
    static const struct { int64_t count; BusinessUnit unit; } COUNTS[] = {
        {0, BUSINESS_MINUTES}, {90, BUSINESS_MINUTES}, {3, BUSINESS_HOURS}, {0, BUSINESS_DAYS}, {2, BUSINESS_DAYS},
    };
    for (unsigned i = 0; i < dir->calendar_count && i < 2; i++)
        for (size_t k = 0; k < sizeof COUNTS / sizeof COUNTS[0]; k++) {
            int64_t end = 0;
            char why[256];
            if (calendar_add(dir->calendars[i], at, COUNTS[k].count, COUNTS[k].unit, &end, why, sizeof why) == 0 &&
                end < at)
                abort();   /* business time that ends before it starts */
        }
}

/* Engine time is an RFC 3339 time: instants outside years 1-9999 are not asked about. */
static void add_instant(int64_t *instants, unsigned *count, int64_t at)
{
    if (*count < MAX_INSTANTS && at >= FIRST_MS && at <= LAST_MS)
        instants[(*count)++] = at;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    json_error_t error;
    json_t *json = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, &error);
    if (!json)
        return 0;
    json_t *problems = json_pack("[s]", "sentinel");
    Directory *dir = directory_parse(json, problems);
    check_problems(json, problems, 1);
    if ((dir == NULL) != (json_array_size(problems) > 1))
        abort();   /* NULL exactly when there are problems */
    json_decref(problems);
    /* A file's reading (unknown fields refused too) refuses at least what the store's does. */
    json_t *file_problems = json_pack("[s]", "sentinel");
    Directory *from_file = directory_parse_file(json, file_problems);
    check_problems(json, file_problems, 1);
    if ((from_file == NULL) != (json_array_size(file_problems) > 1) || (from_file && !dir))
        abort();
    directory_free(from_file);
    json_decref(file_problems);
    if (dir) {
        check_contents(json, dir);
        int64_t instants[MAX_INSTANTS];
        unsigned count = 0;
        add_instant(instants, &count, T0);
        for (unsigned i = 0; i < dir->person_count; i++)
            if (dir->people[i].absence_count) {
                add_instant(instants, &count, dir->people[i].absences[0].from_ms);
                add_instant(instants, &count, dir->people[i].absences[0].until_ms - 1);
                break;
            }
        for (unsigned i = 0; i < dir->team_count; i++)
            if (dir->teams[i].rotation_count) {
                add_instant(instants, &count, dir->teams[i].start_ms - 1);
                if (dir->teams[i].shift_ms <= LAST_MS)
                    add_instant(instants, &count, dir->teams[i].start_ms + dir->teams[i].shift_ms);
                break;
            }
        for (unsigned i = 0; i < count; i++) {
            ask(json, dir, instants[i]);
            business_time(dir, instants[i]);
        }
    }
    directory_free(dir);
    json_decref(json);
    return 0;
}
