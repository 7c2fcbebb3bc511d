/*
 * directory.c - parsing the directory and resolving who-expressions (see directory.h).
 */
#include "directory.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "civil.h"
#include "text.h"
#include "value_json.h"

static void problem(json_t *problems, const char *path, const char *message)
{
    char text[600];
    snprintf(text, sizeof text, "%s: %s", path, message);
    json_array_append_new(problems, json_string(text));
}

static const char *opt_string(json_t *object, const char *key, const char *path, json_t *problems)
{
    json_t *v = json_object_get(object, key);
    if (v && !json_is_string(v)) {
        char at[300];
        snprintf(at, sizeof at, "%s.%s", path, key);
        problem(problems, at, "not a string");
        return NULL;
    }
    return json_string_value(v);
}

/* "2026-06-13" as local midnight in `zone` (UTC when NULL), or an RFC 3339 time. A
   date that does not exist (2026-02-30) is refused by name in `why`. */
static bool parse_day_or_time(const char *text, const Calendar *zone, bool end_of_day, int64_t *ms,
                              char *why, size_t why_len)
{
    int64_t days;
    if (strlen(text) == 10) {
        if (!civil_parse_date(text, &days, why, why_len))
            return false;
        int64_t local = (days + (end_of_day ? 1 : 0)) * 86400;
        int64_t utc = local;
        if (zone && zone->tz)
            tz_local_to_utc(zone->tz, local, &utc);
        *ms = utc * 1000;
        return true;
    }
    if (value_time_parse(text, ms, NULL, why, why_len))
        return true;
    if (strlen(text) < 11 || (text[10] != 'T' && text[10] != 't'))   /* not even meant as a time */
        snprintf(why, why_len, "'%.40s' is not a date (2026-06-13) or an RFC 3339 time", text);
    return false;
}

/* How many different ids `ids` holds (a team may list someone twice). Counted with a
   hashed set; on a failed allocation, the listed count (the larger). */
static unsigned distinct_count(const char **ids, unsigned count)
{
    json_t *seen = json_object();
    unsigned distinct = 0;
    for (unsigned i = 0; seen && i < count; i++)
        distinct += dir_set_add(seen, ids[i]);
    if (!seen)
        distinct = count;
    json_decref(seen);
    return distinct;
}

static const char **string_list(json_t *list, unsigned *count, const char *path, json_t *problems)
{
    *count = 0;
    if (!json_is_array(list)) {
        problem(problems, path, "not a list of people");
        return NULL;
    }
    const char **items = calloc(json_array_size(list) + 1, sizeof(char *));
    size_t i;
    json_t *item;
    json_array_foreach(list, i, item) {
        if (!json_is_string(item)) {
            char at[300];
            snprintf(at, sizeof at, "%s[%zu]", path, i);
            problem(problems, at, "not a person's id");
            continue;
        }
        items[(*count)++] = json_string_value(item);
    }
    return items;
}

/* The position of `id` in an index made by parse_people or parse_teams, or -1. */
static long index_of(const json_t *index, const char *id)
{
    const json_t *at = id ? json_object_get(index, id) : NULL;
    return at ? (long)json_integer_value(at) : -1;
}

const DirPerson *dir_person(const Directory *dir, const char *id)
{
    long i = index_of(dir->person_index, id);
    return i >= 0 ? &dir->people[i] : NULL;
}

const DirTeam *dir_team(const Directory *dir, const char *id)
{
    long i = index_of(dir->team_index, id);
    return i >= 0 ? &dir->teams[i] : NULL;
}

const Calendar *dir_calendar(const Directory *dir, const char *name)
{
    for (unsigned i = 0; name && i < dir->calendar_count; i++)
        if (strcmp(dir->calendars[i]->name, name) == 0)
            return dir->calendars[i];
    return NULL;
}

/* ---- parsing ---- */

static void parse_calendars(Directory *dir, json_t *problems)
{
    json_t *calendars = json_object_get(dir->json, "calendars");
    dir->calendars = calloc(json_object_size(calendars) + 1, sizeof(Calendar *));
    if (!dir->calendars)
        return;   /* directory_parse says out of memory */
    const char *name;
    json_t *spec;
    json_object_foreach(calendars, name, spec) {
        char at[300];
        snprintf(at, sizeof at, "calendars.%s", name);
        Calendar *c = calendar_from_json(name, spec, at, problems);
        if (c)
            dir->calendars[dir->calendar_count++] = c;
    }
}

static void parse_absences(Directory *dir, DirPerson *p, json_t *away, const char *path, json_t *problems)
{
    if (!away)
        return;
    if (!json_is_array(away)) {
        problem(problems, path, "not a list of absences");
        return;
    }
    p->absences = calloc(json_array_size(away) + 1, sizeof(DirAbsence));
    if (!p->absences) {
        problem(problems, path, "out of memory reading the directory");
        return;
    }
    const Calendar *zone = dir_calendar(dir, p->calendar);
    size_t i;
    json_t *a;
    json_array_foreach(away, i, a) {
        char at[300];
        DirAbsence *absence = &p->absences[p->absence_count];
        const char *from = json_string_value(json_object_get(a, "from"));
        const char *to = json_string_value(json_object_get(a, "to"));
        snprintf(at, sizeof at, "%s[%zu].from", path, i);
        bool ok = true;
        char why[256];
        if (!from || !parse_day_or_time(from, zone, false, &absence->from_ms, why, sizeof why)) {
            problem(problems, at, from ? why : "not a date (2026-06-13) or a time");
            ok = false;
        }
        snprintf(at, sizeof at, "%s[%zu].to", path, i);
        if (to && !parse_day_or_time(to, zone, strlen(to) == 10, &absence->until_ms, why, sizeof why)) {
            problem(problems, at, why);
            ok = false;
        } else if (!to) {
            absence->until_ms = INT64_MAX;
        }
        if (ok && absence->until_ms <= absence->from_ms) {
            problem(problems, at, "ends no later than it starts");
            ok = false;
        }
        absence->delegate = json_string_value(json_object_get(a, "delegate"));
        if (ok)
            p->absence_count++;
    }
}

static void parse_people(Directory *dir, json_t *problems)
{
    json_t *people = json_object_get(dir->json, "people");
    if (people && !json_is_object(people))
        problem(problems, "people", "not an object of people by id");
    dir->people = calloc(json_object_size(people) + 1, sizeof(DirPerson));
    if (!dir->people)
        return;   /* directory_parse says out of memory */
    const char *id;
    json_t *spec;
    json_object_foreach(people, id, spec) {
        char path[300];
        snprintf(path, sizeof path, "people.%s", id);
        char buf[96], why[160];
        const char *bad = text_id_problem(id, true, buf);
        if (bad) {   /* answers and operators name people by these ids */
            snprintf(why, sizeof why, "not a person id: it %s", bad);
            problem(problems, path, why);
            continue;
        }
        if (!json_is_object(spec)) {
            problem(problems, path, "not an object");
            continue;
        }
        json_object_set_new(dir->person_index, id, json_integer(dir->person_count));
        DirPerson *p = &dir->people[dir->person_count++];
        p->id = id;
        p->name = opt_string(spec, "name", path, problems);
        p->email = opt_string(spec, "email", path, problems);
        p->manager = opt_string(spec, "manager", path, problems);
        p->calendar = opt_string(spec, "calendar", path, problems);
        p->notify = opt_string(spec, "notify", path, problems);
        char at[320];
        snprintf(at, sizeof at, "%s.away", path);
        parse_absences(dir, p, json_object_get(spec, "away"), at, problems);
    }
}

#define ONCALL_SHIFT_MAX_SECONDS (3650LL * 86400)

static void parse_teams(Directory *dir, json_t *problems)
{
    json_t *teams = json_object_get(dir->json, "teams");
    dir->teams = calloc(json_object_size(teams) + 1, sizeof(DirTeam));
    if (!dir->teams)
        return;   /* directory_parse says out of memory */
    const char *id;
    json_t *spec;
    json_object_foreach(teams, id, spec) {
        char path[300], at[340];
        snprintf(path, sizeof path, "teams.%s", id);
        json_object_set_new(dir->team_index, id, json_integer(dir->team_count));
        DirTeam *t = &dir->teams[dir->team_count++];
        t->id = id;
        t->lead = opt_string(spec, "lead", path, problems);
        snprintf(at, sizeof at, "%s.members", path);
        t->members = string_list(json_object_get(spec, "members"), &t->member_count, at, problems);
        t->distinct_members = distinct_count(t->members, t->member_count);
        json_t *oncall = json_object_get(spec, "oncall");
        if (!oncall)
            continue;
        snprintf(at, sizeof at, "%s.oncall.rotation", path);
        t->rotation = string_list(json_object_get(oncall, "rotation"), &t->rotation_count, at, problems);
        const char *shift = json_string_value(json_object_get(oncall, "shift"));
        const char *start = json_string_value(json_object_get(oncall, "start"));
        int64_t shift_seconds = 0;
        snprintf(at, sizeof at, "%s.oncall.shift", path);
        if (!shift || !civil_parse_elapsed(shift, &shift_seconds) || shift_seconds <= 0)
            problem(problems, at, "not a duration such as 1w or 12h");
        else if (shift_seconds > ONCALL_SHIFT_MAX_SECONDS)   /* the next shift's time stays in reach */
            problem(problems, at, "a shift is at most 3650d (ten years)");
        else if (shift_seconds < 60)   /* each shift change of an open seat is a step of its own */
            problem(problems, at, "a shift is at least 1m, as a reminder's interval is");
        else
            t->shift_ms = shift_seconds * 1000;
        snprintf(at, sizeof at, "%s.oncall.start", path);
        char why[256] = "not a time (2026-06-01T09:00:00+03:00)";
        if (!start || !value_time_parse(start, &t->start_ms, NULL, why, sizeof why))
            problem(problems, at, why);
    }
}

/* Every id that names a person must name one. */
static void check_references(Directory *dir, json_t *problems)
{
    char at[400];
    for (unsigned i = 0; i < dir->person_count; i++) {
        DirPerson *p = &dir->people[i];
        if (p->manager && !dir_person(dir, p->manager)) {
            snprintf(at, sizeof at, "people.%s.manager", p->id);
            problem(problems, at, "no such person");
        }
        if (p->calendar && !dir_calendar(dir, p->calendar) && !json_object_get(json_object_get(dir->json, "calendars"), p->calendar)) {
            snprintf(at, sizeof at, "people.%s.calendar", p->id);
            problem(problems, at, "no such calendar");
        }
        /* every absence's delegate, a kept one's or not (bad dates are another problem),
           at its place in the file's list */
        json_t *away = json_object_get(json_object_get(json_object_get(dir->json, "people"), p->id), "away");
        size_t k;
        json_t *absence;
        json_array_foreach(away, k, absence) {
            const char *delegate = json_string_value(json_object_get(absence, "delegate"));
            if (delegate && !dir_person(dir, delegate)) {
                snprintf(at, sizeof at, "people.%s.away[%zu].delegate", p->id, k);
                problem(problems, at, "no such person");
            }
        }
    }
    for (unsigned i = 0; i < dir->team_count; i++) {
        DirTeam *t = &dir->teams[i];
        if (t->lead && !dir_person(dir, t->lead)) {
            snprintf(at, sizeof at, "teams.%s.lead", t->id);
            problem(problems, at, "no such person");
        }
        for (unsigned k = 0; k < t->member_count; k++)
            if (!dir_person(dir, t->members[k])) {
                snprintf(at, sizeof at, "teams.%s.members[%u]", t->id, k);
                problem(problems, at, "no such person");
            }
        for (unsigned k = 0; k < t->rotation_count; k++)
            if (!dir_person(dir, t->rotation[k])) {
                snprintf(at, sizeof at, "teams.%s.oncall.rotation[%u]", t->id, k);
                problem(problems, at, "no such person");
            }
    }
    static const char *const MAPS[] = {"roles", "owners"};
    for (int m = 0; m < 2; m++) {
        const char *name;
        json_t *scopes;
        json_object_foreach(json_object_get(dir->json, MAPS[m]), name, scopes) {
            const char *scope;
            json_t *person;
            if (!json_is_object(scopes)) {
                snprintf(at, sizeof at, "%s.%s", MAPS[m], name);
                problem(problems, at, "not an object of scope: person id");
            }
            json_object_foreach(scopes, scope, person)
                if (!json_is_string(person) || !dir_person(dir, json_string_value(person))) {
                    snprintf(at, sizeof at, "%s.%s.%s", MAPS[m], name, scope);
                    problem(problems, at, "no such person");
                }
        }
    }
}

Directory *directory_parse(json_t *json, json_t *problems)
{
    size_t before = json_array_size(problems);
    if (!json_is_object(json)) {
        problem(problems, "(top)", "a directory is a JSON object with people, teams, roles, owners and calendars");
        return NULL;
    }
    static const char *const KNOWN[] = {"people", "teams", "roles", "owners", "calendars"};
    const char *key;
    json_t *value;
    json_object_foreach(json, key, value) {
        bool known = false;
        for (int i = 0; i < 5; i++)
            known |= strcmp(key, KNOWN[i]) == 0;
        if (!known)
            problem(problems, key, "unknown section (expected people, teams, roles, owners, calendars)");
        else if (!json_is_object(value))
            problem(problems, key, "not an object");
    }
    Directory *dir = calloc(1, sizeof *dir);
    if (dir) {
        dir->json = json_incref(json);
        dir->person_index = json_object();
        dir->team_index = json_object();
    }
    if (!dir || !dir->person_index || !dir->team_index) {
        problem(problems, "(top)", "out of memory reading the directory");
        directory_free(dir);
        return NULL;
    }
    parse_calendars(dir, problems);
    if (dir->calendars)
        parse_people(dir, problems);
    if (dir->people)
        parse_teams(dir, problems);
    bool whole = dir->calendars && dir->people && dir->teams;
    if (whole)
        check_references(dir, problems);
    else
        problem(problems, "(top)", "out of memory reading the directory");
    if (!whole || json_array_size(problems) > before) {
        directory_free(dir);
        return NULL;
    }
    return dir;
}

void directory_free(Directory *dir)
{
    if (!dir)
        return;
    for (unsigned i = 0; i < dir->person_count; i++)
        free(dir->people[i].absences);
    for (unsigned i = 0; i < dir->team_count; i++) {
        free(dir->teams[i].members);
        free(dir->teams[i].rotation);
    }
    for (unsigned i = 0; i < dir->calendar_count; i++)
        calendar_free(dir->calendars[i]);
    free(dir->people);
    free(dir->teams);
    free(dir->calendars);
    json_decref(dir->person_index);
    json_decref(dir->team_index);
    json_decref(dir->json);
    free(dir);
}

/* ---- resolving ---- */

const DirAbsence *dir_away_at(const Directory *dir, const DirPerson *person, int64_t at_ms)
{
    (void)dir;
    const DirAbsence *current = NULL;
    for (unsigned i = 0; person && i < person->absence_count; i++) {
        const DirAbsence *a = &person->absences[i];
        if (at_ms >= a->from_ms && at_ms < a->until_ms && (!current || a->from_ms >= current->from_ms))
            current = a;   /* of overlapping absences, the one that began last (a later listed on a tie) */
    }
    return current;
}

int64_t dir_away_until(const DirPerson *person, int64_t at_ms)
{
    int64_t until = at_ms;
    for (bool longer = true; longer;) {   /* absences that meet or overlap make one stretch */
        longer = false;
        for (unsigned i = 0; person && i < person->absence_count; i++) {
            const DirAbsence *a = &person->absences[i];
            if (a->from_ms <= until && a->until_ms > until) {
                until = a->until_ms;
                longer = true;
            }
        }
    }
    return until;
}

const char *dir_channel(const Directory *dir, const char *person)
{
    const DirPerson *p = dir_person(dir, person);
    return p && p->notify ? p->notify : "email";
}

static void note(json_t *notes, json_t *record)
{
    if (notes)
        json_array_append_new(notes, record);
    else
        json_decref(record);
}

json_t *dir_unresolved(const json_t *who, const char *why)
{
    const char *kind = json_string_value(json_object_get(who, "who"));
    json_t *record = json_pack("{s:s, s:s}", "kind", "unresolved", "who", kind ? kind : "unknown");
    const char *id_field = "id", *extra_field = NULL;
    if (kind && strcmp(kind, "role") == 0)
        id_field = "name", extra_field = "scope";
    else if (kind && strcmp(kind, "owner") == 0)
        id_field = "kind", extra_field = "key";
    json_t *id = json_object_get(who, id_field);
    json_object_set_new(record, "id", id ? json_deep_copy(id) : json_null());
    if (extra_field && json_object_get(who, extra_field))
        json_object_set_new(record, extra_field, json_deep_copy(json_object_get(who, extra_field)));
    json_object_set_new(record, "why", json_string(why));
    return record;
}

/* An unresolved record for the person `id`. */
static void note_unresolved_person(json_t *notes, const char *kind, const char *id, const char *why)
{
    json_t *who = json_pack("{s:s, s:s}", "who", kind, "id", id);
    note(notes, dir_unresolved(who, why));
    json_decref(who);
}

bool dir_set_add(json_t *set, const char *id)
{
    if (!id || json_object_get(set, id))
        return false;
    json_object_set_new(set, id, json_true());
    return true;
}

bool dir_pair_add(json_t *set, const char *from, const char *to)
{
    size_t size = strlen(from) + strlen(to) + 2;
    char *key = malloc(size);
    if (!key)
        return true;   /* out of memory: taken as new, so a note is at worst written twice */
    snprintf(key, size, "%s%c%s", from, '\x1f', to);
    bool added = dir_set_add(set, key);
    free(key);
    return added;
}

bool dir_note_is_new(json_t *recorded, const json_t *note)
{
    const char *kind = json_string_value(json_object_get(note, "kind"));
    const char *from = json_string_value(json_object_get(note, "from"));
    const char *to = json_string_value(json_object_get(note, "to"));
    return !(kind && strcmp(kind, "delegated") == 0 && from && to) || dir_pair_add(recorded, from, to);
}

/* The people a resolution finds: in order, and as a set, so each is added once in
   O(1) however big a team is; and the substitutions noted (from, to), so chains that
   meet (a team whose away members' delegates are away too) note a step once. */
typedef struct Found {
    json_t *people, *seen, *substituted;
    bool as_given;      /* the people WHO names, none replaced: whose managers manager(WHO) takes */
} Found;

/* Notes the substitution `from` -> `to` unless this resolution already did, with the
   end of `from`'s absence ("until", RFC 3339 UTC) when it has one. */
static void note_delegated(json_t *notes, Found *found, const char *from, const char *to, int64_t until_ms)
{
    if (!dir_pair_add(found->substituted, from, to))
        return;
    json_t *record = json_pack("{s:s, s:s, s:s, s:s}", "kind", "delegated", "from", from, "to", to, "why", "away");
    if (record && until_ms != INT64_MAX) {
        char until[CIVIL_TIME_TEXT];
        civil_time_text(until_ms, 0, until);
        json_object_set_new(record, "until", json_string(until));
    }
    note(notes, record);
}

/* Adds `id`, or its substitute when away, to the people found (once). The chain's
   steps are noted as `delegated` only when it ends in someone: one that finds nobody
   substituted no one, and is one `unresolved` note for `id` instead. */
static void add_person(const Directory *dir, const char *id, int64_t at, Found *found, json_t *notes)
{
    if (found->as_given) {
        if (!dir_person(dir, id))
            note_unresolved_person(notes, "person", id, "no such person");
        else if (dir_set_add(found->seen, id))
            json_array_append_new(found->people, json_string(id));
        return;
    }
    const char *current = id;
    const char *seen[DIR_SUBSTITUTE_STEPS + 1];
    int64_t until[DIR_SUBSTITUTE_STEPS + 1];
    int steps = 0;
    const DirPerson *p = dir_person(dir, current);
    while (p) {
        const DirAbsence *absence = dir_away_at(dir, p, at);
        if (!absence)
            break;
        const char *next = absence->delegate ? absence->delegate : p->manager;
        until[steps] = dir_away_until(p, at);
        seen[steps++] = current;   /* a delegate of themselves is a loop of one */
        bool repeat = false;
        for (int i = 0; i < steps; i++)
            repeat |= next && strcmp(seen[i], next) == 0;
        if (!next || repeat || steps > DIR_SUBSTITUTE_STEPS) {
            note_unresolved_person(notes, "person", id, "away, with nobody to stand in");
            return;
        }
        current = next;
        p = dir_person(dir, current);
    }
    if (!p) {   /* only `id` itself: a directory's delegates and managers are its people */
        note_unresolved_person(notes, "person", current, "no such person");
        return;
    }
    for (int i = 0; i < steps; i++)
        note_delegated(notes, found, seen[i], i + 1 < steps ? seen[i + 1] : current, until[i]);
    if (dir_set_add(found->seen, current))
        json_array_append_new(found->people, json_string(current));
}

static const char *scoped(const Directory *dir, const char *map, const json_t *name, const json_t *key)
{
    if (!json_is_string(name))
        return NULL;
    json_t *scopes = json_object_get(json_object_get(dir->json, map), json_string_value(name));
    char text[128];
    if (json_is_string(key))
        snprintf(text, sizeof text, "%s", json_string_value(key));
    else if (json_is_integer(key))
        snprintf(text, sizeof text, "%lld", (long long)json_integer_value(key));
    else
        return NULL;
    return json_string_value(json_object_get(scopes, text));
}

const char *dir_oncall_at(const DirTeam *team, int64_t at_ms)
{
    if (!team || !team->rotation_count || !team->shift_ms)
        return NULL;
    int64_t shifts = at_ms >= team->start_ms ? (at_ms - team->start_ms) / team->shift_ms : 0;
    return team->rotation[shifts % team->rotation_count];
}

static void add_team(const Directory *dir, const json_t *who, const DirTeam *team, int64_t at,
                     Found *found, json_t *notes)
{
    if (team->member_count == 0) {   /* resolves to nobody: the history says why */
        note(notes, dir_unresolved(who, "the team has no members"));
        return;
    }
    if (team->distinct_members > DIR_TEAM_REACH_MAX) {
        char why[160];
        snprintf(why, sizeof why, "the team has %u members, more than the %d one seat or notify may reach: "
                 "name its lead, a role or a smaller team", team->distinct_members, DIR_TEAM_REACH_MAX);
        note(notes, dir_unresolved(who, why));
        return;
    }
    unsigned present = 0;
    for (unsigned i = 0; i < team->member_count; i++)
        if (found->as_given || !dir_away_at(dir, dir_person(dir, team->members[i]), at)) {
            add_person(dir, team->members[i], at, found, notes);
            present++;
        }
    /* A team seat substitutes only when every member is away. */
    for (unsigned i = 0; present == 0 && i < team->member_count; i++)
        add_person(dir, team->members[i], at, found, notes);
}

static void resolve_into(const Directory *dir, const json_t *who, int64_t at, const json_t *previous,
                         Found *found, json_t *notes);

/* The people `who` finds at `at`: each away one replaced by their substitute, or, when
   `as_given`, as named (the people whose managers manager(WHO) takes). */
static json_t *resolve_people(const Directory *dir, const json_t *who, int64_t at, const json_t *previous,
                              bool as_given, json_t *notes)
{
    Found found = {json_array(), json_object(), json_object(), as_given};
    resolve_into(dir, who, at, previous, &found, notes);
    json_decref(found.seen);
    json_decref(found.substituted);
    return found.people;
}

json_t *dir_resolve(const Directory *dir, const json_t *who, int64_t at, const json_t *previous,
                    json_t *notes)
{
    return resolve_people(dir, who, at, previous, false, notes);
}

static void resolve_into(const Directory *dir, const json_t *who, int64_t at, const json_t *previous,
                         Found *found, json_t *notes)
{
    const char *kind = json_string_value(json_object_get(who, "who"));
    const char *id = json_string_value(json_object_get(who, "id"));
    if (!kind)
        return;
    if (strcmp(kind, "person") == 0) {
        if (id)
            add_person(dir, id, at, found, notes);
        else   /* person(alert.owner) with no owner, or a number: nobody, and it says so */
            note(notes, dir_unresolved(who, "no such person"));
    } else if (strcmp(kind, "team") == 0 || strcmp(kind, "oncall") == 0 || strcmp(kind, "lead") == 0) {
        const DirTeam *team = dir_team(dir, id);
        if (!team)
            note(notes, dir_unresolved(who, "no such team"));
        else if (strcmp(kind, "team") == 0)
            add_team(dir, who, team, at, found, notes);
        else if (strcmp(kind, "lead") == 0 && team->lead)
            add_person(dir, team->lead, at, found, notes);
        else if (strcmp(kind, "oncall") == 0 && dir_oncall_at(team, at))
            add_person(dir, dir_oncall_at(team, at), at, found, notes);
        else {
            note(notes, dir_unresolved(who, strcmp(kind, "lead") == 0 ? "the team has no lead"
                                                                      : "the team has no on-call rotation"));
        }
    } else if (strcmp(kind, "role") == 0 || strcmp(kind, "owner") == 0) {
        const char *holder = strcmp(kind, "role") == 0
            ? scoped(dir, "roles", json_object_get(who, "name"), json_object_get(who, "scope"))
            : scoped(dir, "owners", json_object_get(who, "kind"), json_object_get(who, "key"));
        if (holder)
            add_person(dir, holder, at, found, notes);
        else
            note(notes, dir_unresolved(who, "nobody holds it"));
    } else if (strcmp(kind, "manager") == 0) {
        const json_t *of = json_object_get(who, "of");
        json_t *base;
        if (of && strcmp(json_string_value(json_object_get(of, "who")) ? json_string_value(json_object_get(of, "who")) : "", "team") == 0) {
            json_t *lead = json_pack("{s:s, s:O}", "who", "lead", "id", json_object_get(of, "id"));
            resolve_into(dir, lead, at, NULL, found, notes);
            json_decref(lead);
            return;
        }
        /* WHO's own people, away or not: an away one's stand-in is not WHO (people.md,
           "How a seat gets its holders": step 2 replaces the managers found). */
        base = of ? resolve_people(dir, of, at, NULL, true, notes)
                  : previous ? json_deep_copy(previous) : json_array();
        size_t i;
        json_t *person;
        json_array_foreach(base, i, person) {
            const DirPerson *p = dir_person(dir, json_string_value(person));
            if (p && p->manager)
                add_person(dir, p->manager, at, found, notes);
            else
                note_unresolved_person(notes, "manager", json_string_value(person), "no manager");
        }
        json_decref(base);
    }
}
