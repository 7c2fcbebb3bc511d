/*
 * directory.h - people, teams, roles, owners and calendars (../shared/design/RUNTIME.md,
 * "The directory"), and how a who-expression resolves to people at a moment: away people
 * are replaced by their substitute (the delegate of their absence, else their manager,
 * repeated upward at most 8 steps, stopping at a repeat).
 *
 * A Directory is parsed from its JSON and owns everything in it.
 */
#ifndef HUDDLE_DIRECTORY_H
#define HUDDLE_DIRECTORY_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "calendar.h"

#define DIR_SUBSTITUTE_STEPS 8

typedef struct DirAbsence {
    int64_t from_ms, until_ms;      /* [from, until) */
    const char *delegate;           /* NULL: the manager stands in */
} DirAbsence;

typedef struct DirPerson {
    const char *id, *name, *email, *manager, *calendar, *notify;
    DirAbsence *absences;
    unsigned absence_count;
} DirPerson;

typedef struct DirTeam {
    const char *id, *lead;
    const char **members;
    unsigned member_count;          /* as listed (a person listed twice counts twice) */
    unsigned distinct_members;      /* the people they name: what a seat may reach */
    const char **rotation;          /* on-call, in order */
    unsigned rotation_count;
    int64_t shift_ms, start_ms;
} DirTeam;

typedef struct Directory {
    json_t *json;                   /* owned; the strings above point into it */
    DirPerson *people;
    unsigned person_count;
    DirTeam *teams;
    unsigned team_count;
    Calendar **calendars;
    unsigned calendar_count;
    json_t *person_index;           /* id -> index into people (a hashed lookup) */
    json_t *team_index;             /* id -> index into teams */
} Directory;

/* Parses and checks a directory. Every problem is appended to `problems` as
   "JSON.PATH: what is wrong" and NULL is returned when there is any. Takes a reference
   to `json`. */
Directory *directory_parse(json_t *json, json_t *problems);
/* directory_parse for a directory file being loaded (directory load, check --directory,
   run --directory): also refuses a field no part of a directory has, by its path and
   with the closest known one (directory_fields.c). */
Directory *directory_parse_file(json_t *json, json_t *problems);
void directory_free(Directory *dir);

const DirPerson *dir_person(const Directory *dir, const char *id);
const DirTeam *dir_team(const Directory *dir, const char *id);
const Calendar *dir_calendar(const Directory *dir, const char *name);

/* The absence of `person` at `at_ms`, or NULL when they are there. Of absences that
   overlap then, the one that began last (its delegate stands in: the newest word, such
   as a directory.away event beside the directory's own absence). */
const DirAbsence *dir_away_at(const Directory *dir, const DirPerson *person, int64_t at_ms);

/* When `person`, away at `at_ms`, is back: the end of the stretch that absences which
   overlap or meet make from then on (INT64_MAX: no end). at_ms when they are there. */
int64_t dir_away_until(const DirPerson *person, int64_t at_ms);

/* Who is on call for `team` at `at_ms` by its rotation (before any substitution), or
   NULL when it has no rotation. */
const char *dir_oncall_at(const DirTeam *team, int64_t at_ms);

/* The most members a team may have for a `team(...)` seat or `notify` to reach them:
   a bigger team resolves to nobody, with an `unresolved` record saying so, so that no
   single ask or notify holds the store's write lock for long (issue 10's 100 ms; an
   ask to 5,000 takes about 30 ms). Broadcasts to more people belong to a connector
   (a chat channel, a mailing list). docs/runtime.md, "Limits and damage". */
#define DIR_TEAM_REACH_MAX 5000

/* Resolves a who value ({"who": "team", "id": ...}, as the VM builds them) at `at_ms`
   into an array of person ids, distinct, in order, with away people replaced. Each
   substitution appends {"kind": "delegated", "from", "to", "why"} and each name that
   resolves to nobody a dir_unresolved record to `notes`. The caller owns
   the result. `previous` (may be NULL) is the people a ladder's previous level added:
   the bare `manager` of an escalation climbs from them. */
json_t *dir_resolve(const Directory *dir, const json_t *who, int64_t at_ms,
                    const json_t *previous, json_t *notes);

/* Adds the id `id` to `set`, a jansson object used as a set of ids (hashed: O(1) however
   many there are); false when it was there already (or `id` is NULL). */
bool dir_set_add(json_t *set, const char *id);
/* Adds the pair `from` -> `to` to `set` (as dir_set_add); false when it was there already.
   Out of memory counts as added. */
bool dir_pair_add(json_t *set, const char *from, const char *to);
/* Whether a note of dir_resolve is new to `recorded` (a set of steps, as dir_pair_add
   keeps them): false for a `delegated` note whose step from -> to is there already, which
   it adds otherwise; true for any other note. So a caller that resolves several WHOs for
   one purpose (a refresh of a seat, a `notify` statement) records each step once. */
bool dir_note_is_new(json_t *recorded, const json_t *note);

/* A new {"kind": "unresolved", "who", "id", "why"} record for the who value `who`:
   "who" is its kind (person, team, oncall, lead, role, owner, manager), "id" what names
   it (a person or team id, a role's name, an owner's kind), plus the role's "scope" or
   the owner's "key" when it has one. The caller owns the result. */
json_t *dir_unresolved(const json_t *who, const char *why);

/* How `person` is told: their `notify` connector operation, else "email". */
const char *dir_channel(const Directory *dir, const char *person);

#endif
