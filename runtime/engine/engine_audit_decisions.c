/*
 * engine_audit_decisions.c - the decisions the record holds, folded out of the history:
 * one a task, from its `asked` record through delegations, escalations, handovers,
 * answers and an override to its `resolved`, with how its instance ended. search,
 * stats, the CSV export and the similar past decisions shown with a new ask are built
 * on this list (engine_audit_query.c). docs/audit.md names every field.
 *
 * One read transaction walks the history in key order, an instance at a time: an
 * instance's decisions stay open until its last record (its outcome and tags), then go
 * to the list.
 */
#include "engine_internal.h"
#include "value_json.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct Fold {
    Step *step;
    json_t *list;                   /* finished decisions */
    uint64_t instance;
    json_t *open;                   /* task id -> decision, of the instance being walked */
    json_t *since;                  /* task id -> {person: ms they first held a seat} */
    json_t *playbook, *tags, *notes, *outcome, *status;
    json_int_t handed_at_ask;       /* `delegated` records with no task just before an
                                       `asked`: seats handed over as the ask was made */
    json_t *handed;                 /* their `from`s: who was away (never held the seat) */
    HistoryWalk walk;               /* the records, their links worked out where not kept */
} Fold;

static int64_t ms_of(const json_t *record)
{
    int64_t ms = 0;
    value_parse_time(json_string_value(json_object_get(record, "at")), &ms);
    return ms;
}

static void add_unique(json_t *list, json_t *person)
{
    size_t i;
    json_t *p;
    if (!json_is_string(person))
        return;
    json_array_foreach(list, i, p)
        if (json_equal(p, person))
            return;
    json_array_append(list, person);
}

/* `person` holds a seat of the decision from `ms` on (the first time counts). */
static void held_from(Fold *f, json_t *d, const char *task, json_t *person, int64_t ms)
{
    add_unique(json_object_get(d, "held"), person);
    json_t *since = json_object_get(f->since, task);
    if (json_is_string(person) && !json_object_get(since, json_string_value(person)))
        json_object_set_new(since, json_string_value(person), json_integer(ms));
}

static json_t *hash_json(const HistoryItem *item)
{
    char hex[AUDIT_HEX];
    if (!item->linked)
        return json_null();
    audit_hex(item->link, hex);
    return json_string(hex);
}

/* ---- the instance being walked ---- */

static void instance_flush(Fold *f)
{
    const char *task;
    json_t *d;
    json_object_foreach(f->open, task, d) {
        json_object_set(d, "playbook", f->playbook ? f->playbook : json_null());
        json_object_set(d, "tags", f->tags);
        json_object_set(d, "notes", f->notes);
        json_object_set(d, "outcome", f->outcome ? f->outcome : json_null());
        json_object_set(d, "status", f->status ? f->status : json_null());
        json_array_append(f->list, d);
    }
    json_object_clear(f->open);
    json_object_clear(f->since);
    json_decref(f->tags);
    json_decref(f->notes);
    json_decref(f->playbook);
    json_decref(f->outcome);
    json_decref(f->status);
    f->tags = json_array();
    f->notes = json_array();
    f->playbook = f->outcome = f->status = NULL;
}

/* The seats handed over as an ask is made are behind it: the count and who was away go
   to the ask's decision, and the fold starts counting again. */
static void handed_forget(Fold *f)
{
    f->handed_at_ask = 0;
    json_array_clear(f->handed);
}

static void fold_asked(Fold *f, const json_t *r, const char *task, int64_t ms, json_t *hash)
{
    json_t *d = json_pack("{s:O, s:O, s:s, s:O, s:O, s:O, s:[], s:[], s:I, s:o, s:[], s:i, s:[], s:n, s:n, s:n, "
                          "s:n, s:n, s:o, s:n}",
                          "instance", json_object_get(r, "instance"), "state", json_object_get(r, "state"),
                          "task", task, "question", json_object_get(r, "question"),
                          "choices", json_object_get(r, "choices"), "asked_at", json_object_get(r, "at"),
                          "asked", "held", "delegated", (json_int_t)f->handed_at_ask,
                          "handed_from", json_copy(f->handed), "operators", "escalated", 0, "answers",
                          "choice", "by", "comment",
                          "decided_at", "seconds", "asked_hash", hash, "decided_hash");
    if (!d)
        return;
    json_object_set_new(f->since, task, json_object());
    json_object_set_new(f->open, task, d);
    size_t i, k;
    json_t *seat, *holder;
    json_array_foreach(json_object_get(r, "seats"), i, seat)
        json_array_foreach(json_object_get(seat, "holders"), k, holder) {
            add_unique(json_object_get(d, "asked"), holder);
            held_from(f, d, task, holder, ms);
        }
}

static void fold_answered(Fold *f, json_t *d, const json_t *r, const char *task, int64_t ms)
{
    json_t *since = json_object_get(json_object_get(f->since, task), json_string_value(json_object_get(r, "by")));
    json_int_t seconds = since ? (json_int_t)((ms - json_integer_value(since)) / 1000) : 0;
    json_array_append_new(json_object_get(d, "answers"),
                          json_pack("{s:O, s:O, s:O, s:O, s:I}", "by", json_object_get(r, "by"),
                                    "choice", json_object_get(r, "choice"),
                                    "comment", json_object_get(r, "comment") ? json_object_get(r, "comment") : json_null(),
                                    "at", json_object_get(r, "at"), "seconds", seconds));
}

/* The answer that completed the quorum: the last one for the winning choice. */
static void fold_resolved(json_t *d, const json_t *r, int64_t ms, json_t *hash)
{
    json_t *choice = json_object_get(r, "choice");
    json_object_set(d, "choice", choice);
    json_object_set(d, "decided_at", json_object_get(r, "at"));
    json_object_set_new(d, "decided_hash", hash);
    int64_t asked = 0;
    value_parse_time(json_string_value(json_object_get(d, "asked_at")), &asked);
    json_object_set_new(d, "seconds", json_integer((json_int_t)((ms - asked) / 1000)));
    if (!json_is_null(json_object_get(d, "by")))
        return;                     /* an override named who decided */
    json_t *answers = json_object_get(d, "answers");
    for (size_t i = json_array_size(answers); i-- > 0;) {
        json_t *a = json_array_get(answers, i);
        if (json_equal(json_object_get(a, "choice"), choice)) {
            json_object_set(d, "by", json_object_get(a, "by"));
            json_object_set(d, "comment", json_object_get(a, "comment"));
            return;
        }
    }
}

/* A record that touches an open decision. */
static void fold_task(Fold *f, const json_t *r, const char *kind, int64_t ms, json_t *hash)
{
    const char *task = json_string_value(json_object_get(r, "task"));
    json_t *d = task ? json_object_get(f->open, task) : NULL;
    if (strcmp(kind, "asked") == 0 && task) {
        fold_asked(f, r, task, ms, json_incref(hash));
        handed_forget(f);
    } else if (!d) {
        return;
    } else if (strcmp(kind, "delegated") == 0 || strcmp(kind, "handover") == 0) {
        if (strcmp(kind, "delegated") == 0) {
            json_object_set_new(d, "delegated", json_integer(json_integer_value(json_object_get(d, "delegated")) + 1));
            add_unique(json_object_get(d, "operators"), json_object_get(r, "by"));   /* reassigned by */
        }
        held_from(f, d, task, json_object_get(r, "to"), ms);
    } else if (strcmp(kind, "escalated") == 0) {
        json_object_set_new(d, "escalated", json_integer(json_integer_value(json_object_get(d, "escalated")) + 1));
        const char *seat;
        json_t *people, *person;
        size_t i;
        json_object_foreach(json_object_get(r, "added"), seat, people)
            json_array_foreach(people, i, person)
                held_from(f, d, task, person, ms);
    } else if (strcmp(kind, "answered") == 0) {
        fold_answered(f, d, r, task, ms);
    } else if (strcmp(kind, "overridden") == 0) {
        json_object_set(d, "by", json_object_get(r, "by"));
        add_unique(json_object_get(d, "operators"), json_object_get(r, "by"));
        json_object_set(d, "comment", json_object_get(r, "reason"));
    } else if (strcmp(kind, "resolved") == 0) {
        fold_resolved(d, r, ms, json_incref(hash));
    }
}

static void fold_record(Fold *f, const json_t *r, json_t *hash)
{
    const char *kind = json_string_value(json_object_get(r, "kind"));
    int64_t ms = ms_of(r);
    size_t i;
    json_t *tag;
    /* A seat handed over as its ask is made (its holder away) is recorded before the
       `asked`, with no task: the ask about to be made counts it. Only `unresolved`
       records (of the same seats) come between. */
    if (strcmp(kind, "delegated") == 0 && !json_object_get(r, "task")) {
        f->handed_at_ask++;
        add_unique(f->handed, json_object_get(r, "from"));
        return;
    }
    if (strcmp(kind, "unresolved") != 0 && strcmp(kind, "asked") != 0)
        handed_forget(f);
    if (strcmp(kind, "started") == 0) {
        json_decref(f->playbook);
        f->playbook = json_incref(json_object_get(r, "playbook"));
    }
    else if (strcmp(kind, "tagged") == 0)
        json_array_foreach(json_object_get(r, "tags"), i, tag)
            add_unique(f->tags, tag);
    else if (strcmp(kind, "noted") == 0 && json_is_string(json_object_get(r, "text")))
        json_array_append(f->notes, json_object_get(r, "text"));
    else if (strcmp(kind, "done") == 0 || strcmp(kind, "failed") == 0 || strcmp(kind, "cancelled") == 0) {
        json_decref(f->status);
        json_decref(f->outcome);
        /* outcome: a done's outcome, a failed's reason (what `fail` said: search and
           stats group by it; status says it failed), else the kind ("cancelled") */
        json_t *reason = json_object_get(r, "reason");
        f->status = json_incref(json_object_get(r, "kind"));
        f->outcome = json_incref(strcmp(kind, "done") == 0 ? json_object_get(r, "outcome")
                                 : strcmp(kind, "failed") == 0 && json_is_string(reason) ? reason
                                 : json_object_get(r, "kind"));
    } else
        fold_task(f, r, kind, ms, hash);
}

static int fold_item(void *context, const HistoryItem *item)
{
    Fold *f = context;
    if (item->instance != f->instance) {
        instance_flush(f);
        f->instance = item->instance;
        handed_forget(f);
    }
    json_t *record;
    int rc = history_item_json(f->step, item, &record);
    if (rc != STORE_OK)
        return rc;
    json_t *hash = hash_json(item);
    fold_record(f, record, hash);
    json_decref(hash);
    json_decref(record);
    return STORE_OK;
}

static int fold_visit(void *context, StoreBytes key, StoreBytes value)
{
    Fold *f = context;
    return history_walk_entry(&f->walk, key, value);
}

/* Folds the history under `prefix` (all of it, or one instance's 8 bytes). */
static int fold_scan(Fold *f, Step *s, StoreBytes prefix)
{
    f->step = s;
    int rc = engine_scan(s, TABLE_HISTORY, prefix, fold_visit, f);
    if (rc == STORE_OK)
        instance_flush(f);
    return rc;
}

static int fold_work(Step *s, void *context)
{
    return fold_scan(context, s, store_bytes(NULL, 0));
}

static void fold_start(Fold *f)
{
    memset(f, 0, sizeof *f);
    f->list = json_array();
    f->open = json_object();
    f->since = json_object();
    f->tags = json_array();
    f->notes = json_array();
    f->handed = json_array();
    f->walk.visit = fold_item;
    f->walk.context = f;
    f->walk.links = true;
}

/* The decisions folded (NULL when `failed`, or out of memory). */
static json_t *fold_finish(Fold *f, bool failed)
{
    bool made = f->open && f->since && f->handed;
    instance_flush(f);
    json_decref(f->open);
    json_decref(f->since);
    json_decref(f->tags);
    json_decref(f->notes);
    json_decref(f->handed);
    history_walk_free(&f->walk);
    if (failed || !made) {
        json_decref(f->list);
        f->list = NULL;
    }
    return f->list;
}

int audit_fold_instance(Step *s, uint64_t instance, json_t **decisions)
{
    Fold f;
    unsigned char prefix[8];
    store_be64(instance, prefix);
    fold_start(&f);
    f.instance = instance;
    int rc = fold_scan(&f, s, store_bytes(prefix, 8));
    *decisions = fold_finish(&f, rc != STORE_OK);
    return rc != STORE_OK ? rc : *decisions ? STORE_OK : step_fail(s, ENGINE_NO_MEMORY, "out of memory");
}

int engine_audit_decisions(Engine *e, json_t **decisions, char *why, size_t why_len)
{
    Fold f;
    fold_start(&f);
    int rc = engine_read(e, fold_work, &f, why, why_len);
    *decisions = fold_finish(&f, rc != ENGINE_OK);
    return rc == ENGINE_OK && !*decisions ? ENGINE_NO_MEMORY : rc;
}
