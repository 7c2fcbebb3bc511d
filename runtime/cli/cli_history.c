/*
 * cli_history.c - `huddle history`'s timeline, for people: one line a record, at local
 * time in the playbook calendar's zone with the offset shown, who did what in words:
 * who was asked what, who held each seat and why (delegated from whom, escalated at
 * which level, handed over at a shift change), who answered what with which comment and
 * how long after being asked, what was sent where. `--json` prints the records as
 * stored instead (cli_history in cli_store.c). A kind without words of its own (one a
 * newer version writes) is its name and its fields as compact JSON.
 */
#include "civil.h"
#include "cli.h"
#include "tz.h"
#include "value_json.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A string field for people: "" when absent, control characters made visible. */
static const char *field(const json_t *object, const char *name)
{
    return cli_clean(json_string_value(json_object_get(object, name)));
}

void cli_local_time_print(const char *at, const Tz *tz)
{
    int64_t ms;
    if (!value_parse_time(at, &ms)) {
        printf("%-23s", cli_clean(at));
        return;
    }
    char text[CIVIL_TIME_TEXT];
    civil_local_text(ms, tz ? tz_offset_at_ms(tz, ms) : 0, false, text);
    printf("%s", text);
}

/* The people of a list, "anna, ming" (each once; "nobody" for none). */
static void people_print(const json_t *people, json_t *seen)
{
    size_t i;
    json_t *person;
    json_array_foreach(people, i, person) {
        const char *id = json_string_value(person);
        if (id && !json_object_get(seen, id)) {
            printf("%s%s", json_object_size(seen) ? ", " : "", cli_clean(id));
            json_object_set_new(seen, id, json_true());
        }
    }
}

/* The holders of an ask's seats, "anna, ming" (each once). */
static void history_holders(const json_t *seats)
{
    json_t *seen = json_object();
    size_t i;
    json_t *seat;
    json_array_foreach(seats, i, seat)
        people_print(json_object_get(seat, "holders"), seen);
    if (json_object_size(seen) == 0)
        printf("nobody");
    json_decref(seen);
}

void cli_duration_print(int64_t ms)
{
    int64_t seconds = ms / 1000, minutes = seconds / 60, hours = minutes / 60, days = hours / 24;
    if (seconds < 60) {
        printf("%llds", (long long)seconds);
        return;
    }
    if (days)
        printf("%lldd", (long long)days);
    if (hours % 24)
        printf("%lldh", (long long)(hours % 24));
    if (minutes % 60 && !days)
        printf("%lldm", (long long)(minutes % 60));
}

/* ---- who holds a seat since when (for "how long after being asked") ---- */

static int64_t record_ms(const json_t *r)
{
    int64_t ms = 0;
    value_parse_time(json_string_value(json_object_get(r, "at")), &ms);
    return ms;
}

/* Notes that `person` holds a seat of `task` from the record's time (the first time). */
static void since_note(json_t *since, const json_t *r, const json_t *person)
{
    const char *task = json_string_value(json_object_get(r, "task")), *id = json_string_value(person);
    if (!task || !id)
        return;
    json_t *of = json_object_get(since, task);
    if (!of) {
        of = json_object();
        json_object_set_new(since, task, of);
    }
    if (!json_object_get(of, id))
        json_object_set_new(of, id, json_integer(record_ms(r)));
}

static void since_track(json_t *since, const json_t *r, const char *kind)
{
    size_t i, k;
    json_t *item, *person;
    const char *seat;
    if (strcmp(kind, "asked") == 0)
        json_array_foreach(json_object_get(r, "seats"), i, item)
            json_array_foreach(json_object_get(item, "holders"), k, person)
                since_note(since, r, person);
    else if (strcmp(kind, "delegated") == 0 || strcmp(kind, "handover") == 0)
        since_note(since, r, json_object_get(r, "to"));
    else if (strcmp(kind, "escalated") == 0)
        json_object_foreach(json_object_get(r, "added"), seat, item)
            json_array_foreach(item, k, person)
                since_note(since, r, person);
}

/* ", 30m after being asked" for an answer or an acknowledgement. */
static void since_print(const json_t *since, const json_t *r)
{
    json_t *from = json_object_get(json_object_get(since, field(r, "task")), field(r, "by"));
    if (!json_is_integer(from))
        return;
    printf(", ");
    cli_duration_print(record_ms(r) - json_integer_value(from));
    printf(" after being asked");
}

/* ---- the kinds in words ---- */

void cli_seat_words(const json_t *r, const char *kind, CliTimePrint time_print, void *context)
{
    const char *why = field(r, "why");
    bool task = json_is_string(json_object_get(r, "task")), seat = json_is_integer(json_object_get(r, "seat"));
    if (task)
        printf("%s%s", field(r, "task"), seat ? " " : ": ");   /* no task: as the ask was made */
    if (seat)
        printf("seat %lld: ", (long long)json_integer_value(json_object_get(r, "seat")) + 1);
    if (strcmp(kind, "handover") == 0) {
        printf("%s takes over from %s (on-call shift change)", field(r, "to"), field(r, "from"));
        return;
    }
    /* A `notify`'s substitution names neither task nor seat: nobody was asked anything,
       the substitute was told instead (record_notes, engine_step.c). */
    const char *verb = task || seat ? "asked" : "told";
    if (json_is_string(json_object_get(r, "from")))
        printf("%s %s in %s's place (", field(r, "to"), verb, field(r, "from"));
    else
        printf("%s %s in an empty seat (", field(r, "to"), verb);
    if (strcmp(why, "reassigned") == 0) {
        printf("reassigned by %s)", field(r, "by"));
    } else if (strcmp(why, "away") == 0) {
        printf("%s is away", field(r, "from"));
        if (json_is_string(json_object_get(r, "until"))) {
            printf(" until ");
            time_print(context, json_string_value(json_object_get(r, "until")));
        }
        printf(")");
    } else if (strcmp(why, "unresolved") == 0) {
        printf("%s could not be found)", field(r, "from"));
    } else {
        printf("%s)", why);
    }
}

/* cli_local_time_print as a CliTimePrint, `context` the zone. */
static void history_time_print(void *context, const char *at)
{
    cli_local_time_print(at, context);
}

static void escalated_words(const json_t *r)
{
    printf("%s escalated to level %lld: ", field(r, "task"), (long long)json_integer_value(json_object_get(r, "level")));
    json_t *seen = json_object();
    const char *seat;
    json_t *people;
    json_object_foreach(json_object_get(r, "added"), seat, people)
        people_print(people, seen);
    printf("%s added", json_object_size(seen) ? "" : "nobody");
    json_decref(seen);
}

static void timer_words(const json_t *r, const Tz *tz)
{
    const char *what = field(r, "what");
    printf("timer: ");
    if (strcmp(what, "level") == 0)
        printf("level %lld of %s", (long long)json_integer_value(json_object_get(r, "level")), field(r, "task"));
    else if (json_is_string(json_object_get(r, "task")))
        printf("%s of %s", what, field(r, "task"));
    else
        printf("%s", what);
    printf(" due ");
    cli_local_time_print(json_string_value(json_object_get(r, "due")), tz);
}

static void list_words(const char *verb, const json_t *list)
{
    json_t *seen = json_object();
    printf("%s ", verb);
    people_print(list, seen);
    json_decref(seen);
}

/* What a message to a person was about, in words ("the ask"), from its record's
   `about`; NULL for a kind of message this version does not know. */
static const char *message_about(const json_t *r)
{
    static const struct {
        const char *about, *words;
    } ABOUT[] = {{"notify", "the message"}, {"asked", "the ask"}, {"reminded", "the reminder"},
                 {"escalated", "the escalation"}, {"outcome", "the decision"}, {"cancelled", "the cancellation"}};
    const char *about = json_string_value(json_object_get(r, "about"));
    for (size_t i = 0; about && i < sizeof ABOUT / sizeof ABOUT[0]; i++)
        if (strcmp(about, ABOUT[i].about) == 0)
            return ABOUT[i].words;
    return NULL;
}

/* A send's or message's delivery: what went where ("delivered the ask to anna (email)",
   "delivered chatter.post"), after how many attempts, and why not. */
static void delivery_words(const json_t *r, const char *kind)
{
    bool ok = strcmp(kind, "delivered") == 0;
    if (json_is_string(json_object_get(r, "person"))) {
        const char *about = message_about(r);
        printf("%s%s%s to %s (%s)", ok ? "delivered" : "could not deliver", about ? " " : "", about ? about : "",
               field(r, "person"), field(r, "channel"));
    } else {
        printf("%s %s.%s", ok ? "delivered" : "could not deliver", field(r, "connector"), field(r, "operation"));
    }
    json_int_t attempts = json_integer_value(json_object_get(r, "attempts"));
    printf(" after %lld attempt%s", (long long)attempts, attempts == 1 ? "" : "s");
    if (!ok)
        printf(": %s", field(r, "error"));
}

/* "retried in STATE by P: REASON", each part only when the record has it (a CLI retry
   may name nobody: then not "retried by "). */
static void operator_words(const json_t *r, const char *kind)
{
    printf("%s", kind);
    if (json_is_string(json_object_get(r, "goto")))
        printf(" in %s", field(r, "goto"));
    if (json_is_string(json_object_get(r, "by")))
        printf(" by %s", field(r, "by"));
    if (json_is_string(json_object_get(r, "reason")))
        printf(": %s", field(r, "reason"));
}

/* The kinds beyond the first few, in words; false for a kind it has no words for. */
static bool more_words(const json_t *r, const char *kind, const Tz *tz)
{
    if (strcmp(kind, "delegated") == 0 || strcmp(kind, "handover") == 0)
        cli_seat_words(r, kind, history_time_print, (void *)tz);
    else if (strcmp(kind, "escalated") == 0)
        escalated_words(r);
    else if (strcmp(kind, "timer") == 0)
        timer_words(r, tz);
    else if (strcmp(kind, "tagged") == 0)
        list_words("tagged", json_object_get(r, "tags"));
    else if (strcmp(kind, "noted") == 0)
        printf("noted: %s", field(r, "text"));
    else if (strcmp(kind, "overridden") == 0)
        printf("%s overrode %s: %s (\"%s\")", field(r, "by"), field(r, "task"), field(r, "choice"), field(r, "reason"));
    else if (strcmp(kind, "cancelled") == 0 || strcmp(kind, "retried") == 0)
        operator_words(r, kind);
    else if (strcmp(kind, "sent") == 0 || strcmp(kind, "called") == 0)
        printf("%s %s.%s", kind, field(r, "connector"), field(r, "operation"));
    else if (strcmp(kind, "delivered") == 0 || strcmp(kind, "send_failed") == 0)
        delivery_words(r, kind);
    else
        return false;
    return true;
}

/* A value as compact JSON, control characters made visible. */
static void json_words(const json_t *value)
{
    char *text = value ? cli_json_dumps(value, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_ENCODE_ANY) : NULL;
    printf("%s", cli_clean(text ? text : "null"));
    free(text);
}

bool cli_record_words(const json_t *r, const char *kind)
{
    if (strcmp(kind, "joined") == 0) {
        json_t *e = json_object_get(r, "event");
        printf("joined by %s.%s %s", field(e, "source"), field(e, "type"), field(e, "id"));
    } else if (strcmp(kind, "unresolved") == 0 && !json_object_get(r, "who")) {
        printf("%s: %s", field(r, "task"), field(r, "why"));   /* the whole ask */
    } else if (strcmp(kind, "unresolved") == 0) {
        if (json_is_string(json_object_get(r, "task")))
            printf("%s: ", field(r, "task"));
        printf("could not resolve %s ", field(r, "who"));
        json_words(json_object_get(r, "id"));
        if (json_object_get(r, "scope")) {   /* role(NAME, SCOPE) */
            printf(" for ");
            json_words(json_object_get(r, "scope"));
        } else if (json_object_get(r, "key")) {   /* owner(KIND, KEY) */
            printf(" for ");
            json_words(json_object_get(r, "key"));
        }
        printf(" (%s)", field(r, "why"));
    } else if (strcmp(kind, "skipped") == 0) {
        printf("%s level %lld skipped: %s", field(r, "task"), (long long)json_integer_value(json_object_get(r, "level")),
               field(r, "why"));
    } else if (strcmp(kind, "reminded") == 0) {
        printf("%s: ", field(r, "task"));
        list_words("reminded", json_object_get(r, "people"));
    } else if (strcmp(kind, "replied") == 0) {
        printf("%s.%s replied ", field(r, "connector"), field(r, "operation"));
        json_words(json_object_get(r, "reply"));
    } else if (strcmp(kind, "call_failed") == 0) {
        printf("%s.%s failed: %s", field(r, "connector"), field(r, "operation"), field(r, "error"));
    } else if (strcmp(kind, "when_failed") == 0) {
        printf("a wait arm's when failed, taken as false: %s", field(r, "error"));
    } else {
        return false;
    }
    return true;
}

/* Who did what, in words; any other kind is its name and its own fields as JSON. */
static void history_what(const json_t *r, const json_t *since, const Tz *tz)
{
    const char *kind = field(r, "kind");
    if (strcmp(kind, "started") == 0) {
        json_t *e = json_object_get(r, "event");
        printf("started %s by %s.%s %s", field(r, "playbook"), field(e, "source"), field(e, "type"), field(e, "id"));
        if (json_is_string(json_object_get(r, "case")))
            printf(" (case %s)", field(r, "case"));
    } else if (strcmp(kind, "entered") == 0) {
        printf("entered %s", field(r, "state"));
    } else if (strcmp(kind, "asked") == 0) {
        printf("asked ");
        history_holders(json_object_get(r, "seats"));
        printf(" (%s): %s", field(r, "task"), field(r, "question"));
    } else if (strcmp(kind, "answered") == 0) {
        printf("%s answered %s: %s", field(r, "by"), field(r, "task"), field(r, "choice"));
        if (json_is_string(json_object_get(r, "comment")))
            printf(" (\"%s\")", field(r, "comment"));
        since_print(since, r);
    } else if (strcmp(kind, "acknowledged") == 0) {
        printf("%s acknowledged %s", field(r, "by"), field(r, "task"));
        since_print(since, r);
    } else if (strcmp(kind, "resolved") == 0) {
        printf("%s decided: %s", field(r, "task"), field(r, "choice"));
    } else if (strcmp(kind, "notified") == 0) {
        printf("told %s (%s)%s%s", field(r, "person"), field(r, "channel"), json_object_get(r, "task") ? " about " : "",
               field(r, "task"));
        if (json_is_string(json_object_get(r, "message")))   /* a notify's text, as huddle run shows it */
            printf(": %s", field(r, "message"));
    } else if (strcmp(kind, "done") == 0 || strcmp(kind, "failed") == 0 || strcmp(kind, "stalled") == 0) {
        printf("%s: %s", kind, field(r, strcmp(kind, "done") == 0 ? "outcome" : strcmp(kind, "failed") == 0 ? "reason" : "error"));
    } else if (!more_words(r, kind, tz) && !cli_record_words(r, kind)) {
        printf("%s ", kind);
        json_t *copy = json_deep_copy(r);
        static const char *const COMMON[] = {"at", "instance", "seq", "kind", "state"};
        for (size_t k = 0; k < 5; k++)
            json_object_del(copy, COMMON[k]);
        json_words(copy);
        json_decref(copy);
    }
}

void cli_history_print(const json_t *records, const Tz *tz)
{
    json_t *since = json_object();
    size_t i;
    json_t *r;
    json_array_foreach(records, i, r) {
        since_track(since, r, json_string_value(json_object_get(r, "kind")) ? json_string_value(json_object_get(r, "kind")) : "");
        cli_local_time_print(json_string_value(json_object_get(r, "at")), tz);
        printf("  ");
        history_what(r, since, tz);
        putchar('\n');
    }
    json_decref(since);
}

void cli_history_print_line(const json_t *r, const Tz *tz)
{
    json_t *since = json_object();
    printf("  ");
    cli_local_time_print(json_string_value(json_object_get(r, "at")), tz);
    printf("  %s  ", field(r, "instance"));
    history_what(r, since, tz);
    putchar('\n');
    json_decref(since);
}
