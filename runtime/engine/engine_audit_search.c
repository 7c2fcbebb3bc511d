/*
 * engine_audit_search.c - past decisions found, summed up and offered: search (every
 * filter given must match; newest first), stats (per playbook and state), and the
 * similar past decisions shown with a new ask (LANGUAGE.md, "Context"). All work on the
 * list engine_audit_decisions folds out of the history; docs/audit.md says how each
 * figure is worked out.
 */
#include "engine_internal.h"
#include "fold.h"
#include "value_json.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- matching ---- */

static bool text_is(const json_t *value, const char *want)
{
    return json_is_string(value) && strcmp(json_string_value(value), want) == 0;
}

static bool list_has(const json_t *list, const char *want)
{
    size_t i;
    json_t *item;
    json_array_foreach(list, i, item)
        if (text_is(item, want))
            return true;
    return false;
}

static bool answered_by(const json_t *d, const char *person)
{
    size_t i;
    json_t *a;
    json_array_foreach(json_object_get(d, "answers"), i, a)
        if (text_is(json_object_get(a, "by"), person))
            return true;
    return false;
}

/* Whether `person` took part in the decision: held a seat, answered, had their seat
   handed to someone else as it was asked (away), or acted on it as an operator (an
   override, a reassigned seat). */
static bool involved(const json_t *d, const char *person)
{
    return list_has(json_object_get(d, "held"), person) || answered_by(d, person) ||
           list_has(json_object_get(d, "handed_from"), person) || list_has(json_object_get(d, "operators"), person);
}

/* Appends `text` folded (fold.h) and a NUL, so that `all` holds one folded text after
   another. */
static void folded_add(StrBuf *all, const char *text)
{
    if (text) {
        fold_case(text, strlen(text), all);
        strbuf_append(all, "", 1);
    }
}

/* Whether `word` (folded) is in one of the folded texts in all. */
static bool folded_has(const StrBuf *all, const char *word)
{
    for (size_t at = 0; at < all->len; at += strlen(all->data + at) + 1)
        if (strstr(all->data + at, word))
            return true;
    return false;
}

/* Whether every word (split at spaces) is in the question, a comment or a note, case
   aside: each code point folded, so "MÄKINEN" finds "Mäkinen". */
static bool words_match(const json_t *d, const char *words)
{
    StrBuf all = STRBUF_INIT, word = STRBUF_INIT;
    size_t i;
    json_t *item;
    folded_add(&all, json_string_value(json_object_get(d, "question")));
    folded_add(&all, json_string_value(json_object_get(d, "comment")));
    json_array_foreach(json_object_get(d, "answers"), i, item)
        folded_add(&all, json_string_value(json_object_get(item, "comment")));
    json_array_foreach(json_object_get(d, "notes"), i, item)
        folded_add(&all, json_string_value(item));
    bool every = true;
    while (every && words && *words) {
        while (*words == ' ')
            words++;
        size_t len = strcspn(words, " ");
        if (len) {
            word.len = 0;
            fold_case(words, len, &word);
            every = folded_has(&all, strbuf_text(&word));
        }
        words += len;
    }
    strbuf_free(&all);
    strbuf_free(&word);
    return every;
}

/* Whether the decision's instance ended with `outcome`: a done's outcome, a failed's
   reason, "cancelled"; "failed" matches every failed instance whatever its reason, as
   it did when a failed decision's outcome was "failed". */
static bool outcome_is(const json_t *d, const char *outcome)
{
    return text_is(json_object_get(d, "outcome"), outcome) ||
           (strcmp(outcome, "failed") == 0 && text_is(json_object_get(d, "status"), "failed"));
}

json_t *engine_audit_outcome_words(const json_t *d)
{
    const json_t *outcome = json_object_get(d, "outcome");
    if (!json_is_string(outcome))
        return NULL;
    if (text_is(json_object_get(d, "status"), "failed"))
        return json_sprintf("failed: %s", json_string_value(outcome));
    return json_incref((json_t *)outcome);
}

bool engine_audit_words_none(const char *words)
{
    return words[strspn(words, " ")] == '\0';
}

bool audit_decision_matches(const json_t *d, const json_t *filter)
{
    const char *v;
#define FILTER(name) ((v = json_string_value(json_object_get(filter, name))) != NULL)
    if ((FILTER("playbook") && !text_is(json_object_get(d, "playbook"), v)) ||
        (FILTER("state") && !text_is(json_object_get(d, "state"), v)) ||
        (FILTER("choice") && !text_is(json_object_get(d, "choice"), v)) ||
        (FILTER("outcome") && !outcome_is(d, v)) ||
        (FILTER("tag") && !list_has(json_object_get(d, "tags"), v)) ||
        (FILTER("asked") && !list_has(json_object_get(d, "asked"), v)) ||
        (FILTER("held") && !list_has(json_object_get(d, "held"), v)) ||
        (FILTER("answered") && !answered_by(d, v)) ||
        (FILTER("person") && !involved(d, v)) ||
        (FILTER("words") && !words_match(d, v)))
        return false;
#undef FILTER
    int64_t asked = 0;
    value_parse_time(json_string_value(json_object_get(d, "asked_at")), &asked);
    json_t *since = json_object_get(filter, "since"), *until = json_object_get(filter, "until");
    return !(since && asked < json_integer_value(since)) && !(until && asked > json_integer_value(until));
}

/* Newest first: by when asked, then instance and task number, both descending. */
static int newest_first(const void *a, const void *b)
{
    const json_t *x = *(json_t *const *)a, *y = *(json_t *const *)b;
    int64_t tx = 0, ty = 0;
    value_parse_time(json_string_value(json_object_get(x, "asked_at")), &tx);
    value_parse_time(json_string_value(json_object_get(y, "asked_at")), &ty);
    if (tx != ty)
        return tx > ty ? -1 : 1;
    uint64_t ix = instance_number(json_string_value(json_object_get(x, "instance"))),
             iy = instance_number(json_string_value(json_object_get(y, "instance")));
    if (ix != iy)
        return ix > iy ? -1 : 1;
    uint64_t kx = instance_number(json_string_value(json_object_get(x, "task"))),
             ky = instance_number(json_string_value(json_object_get(y, "task")));
    return kx > ky ? -1 : kx < ky;
}

/* A new array of the items of `list` in the order `compare` gives. */
static json_t *sorted(const json_t *list, int (*compare)(const void *, const void *))
{
    size_t n = json_array_size(list);
    json_t **items = engine_calloc(n ? n : 1, sizeof *items), *out = json_array();
    for (size_t i = 0; items && i < n; i++)
        items[i] = json_array_get(list, i);
    if (items && n > 1)
        qsort(items, n, sizeof *items, compare);
    for (size_t i = 0; items && i < n; i++)
        json_array_append(out, items[i]);
    free(items);
    return out;
}

static json_t *filtered(const json_t *decisions, const json_t *filter)
{
    json_t *kept = json_array();
    size_t i;
    json_t *d;
    json_array_foreach(decisions, i, d)
        if (!filter || audit_decision_matches(d, filter))
            json_array_append(kept, d);
    return kept;
}

int engine_audit_search(Engine *e, const json_t *filter, json_t **out, char *why, size_t why_len)
{
    json_t *all;
    bool indexed;
    int rc = audit_index_search(e, filter, out, &indexed, why, why_len);
    if (indexed)
        return rc;                  /* else a store without the index: the history folded */
    rc = engine_audit_decisions(e, &all, why, why_len);
    if (rc != ENGINE_OK)
        return rc;
    json_t *kept = filtered(all, filter), *newest = sorted(kept, newest_first);
    json_int_t limit = json_integer_value(json_object_get(filter, "limit"));
    while (limit > 0 && (json_int_t)json_array_size(newest) > limit)
        json_array_remove(newest, json_array_size(newest) - 1);
    json_decref(kept);
    json_decref(all);
    *out = newest;
    return newest ? ENGINE_OK : ENGINE_NO_MEMORY;
}

/* ---- stats ---- */

static int compare_int(const void *a, const void *b)
{
    json_int_t x = *(const json_int_t *)a, y = *(const json_int_t *)b;
    return x < y ? -1 : x > y;
}

/* The median (the mean of the two middle values when there are two, rounded down) or
   the 90th percentile (nearest rank: the value at ceil(0.9 n)) of seconds; null for
   none. */
static json_t *percentile(const json_t *seconds, bool p90)
{
    size_t n = json_array_size(seconds);
    json_int_t *v = n ? engine_calloc(n, sizeof *v) : NULL;
    if (!v)
        return json_null();
    for (size_t i = 0; i < n; i++)
        v[i] = json_integer_value(json_array_get(seconds, i));
    qsort(v, n, sizeof *v, compare_int);
    json_int_t at = p90 ? v[(9 * n + 9) / 10 - 1] : n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
    free(v);
    return json_integer(at);
}

static void count_up(json_t *counts, const json_t *key)
{
    if (!json_is_string(key))
        return;
    const char *k = json_string_value(key);
    json_object_set_new(counts, k, json_integer(json_integer_value(json_object_get(counts, k)) + 1));
}

static int most_asked(const void *a, const void *b)
{
    const json_t *x = *(json_t *const *)a, *y = *(json_t *const *)b;
    json_int_t nx = json_integer_value(json_object_get(x, "asked")), ny = json_integer_value(json_object_get(y, "asked"));
    if (nx != ny)
        return nx > ny ? -1 : 1;
    return strcmp(json_string_value(json_object_get(x, "person")), json_string_value(json_object_get(y, "person")));
}

static int slowest_first(const void *a, const void *b)
{
    const json_t *x = *(json_t *const *)a, *y = *(json_t *const *)b;
    json_int_t nx = json_integer_value(json_object_get(x, "median_seconds")),
               ny = json_integer_value(json_object_get(y, "median_seconds"));
    if (nx != ny)
        return nx > ny ? -1 : 1;
    return strcmp(json_string_value(json_object_get(x, "person")), json_string_value(json_object_get(y, "person")));
}

/* The people lists of one group: asked (decisions they held a seat of), and their
   answers' seconds. */
static void group_people(json_t *group, json_t *asked, json_t *answers)
{
    json_t *list = json_array(), *value;
    const char *person;
    json_object_foreach(asked, person, value)
        json_array_append_new(list, json_pack("{s:s, s:O}", "person", person, "asked", value));
    json_object_set_new(group, "asked_most", sorted(list, most_asked));
    json_decref(list);
    list = json_array();
    json_object_foreach(answers, person, value)
        json_array_append_new(list, json_pack("{s:s, s:I, s:o}", "person", person, "answers",
                                              (json_int_t)json_array_size(value), "median_seconds",
                                              percentile(value, false)));
    json_object_set_new(group, "slowest", sorted(list, slowest_first));
    json_decref(list);
}

/* The figures of the decisions of one playbook and state. */
static json_t *group_stats(const json_t *decisions, const json_t *playbook, const json_t *state)
{
    json_t *seconds = json_array(), *choices = json_object(), *outcomes = json_object();
    json_t *asked = json_object(), *answers = json_object();
    json_int_t count = 0, decided = 0, closed = 0, delegated = 0, escalated = 0;
    size_t i, k;
    json_t *d, *item;
    json_array_foreach(decisions, i, d) {
        if (!json_equal(json_object_get(d, "playbook"), playbook) || !json_equal(json_object_get(d, "state"), state))
            continue;
        count++;
        delegated += json_integer_value(json_object_get(d, "delegated")) > 0;
        escalated += json_integer_value(json_object_get(d, "escalated")) > 0;
        if (!json_is_null(json_object_get(d, "choice"))) {
            decided++;
            json_array_append(seconds, json_object_get(d, "seconds"));
            count_up(choices, json_object_get(d, "choice"));
        } else if (!json_is_null(json_object_get(d, "status"))) {
            closed++;   /* its instance ended (cancelled) with the ask undecided: not open */
        }
        json_t *ended = engine_audit_outcome_words(d);   /* "failed: REASON" apart from "REASON" done */
        count_up(outcomes, ended);
        json_decref(ended);
        json_array_foreach(json_object_get(d, "held"), k, item)
            count_up(asked, item);
        json_array_foreach(json_object_get(d, "answers"), k, item) {
            const char *by = json_string_value(json_object_get(item, "by"));
            if (by && !json_object_get(answers, by))
                json_object_set_new(answers, by, json_array());
            if (by)
                json_array_append(json_object_get(answers, by), json_object_get(item, "seconds"));
        }
    }
    json_t *group = json_pack("{s:O, s:O, s:I, s:I, s:I, s:I, s:o, s:o, s:I, s:I, s:o, s:o}", "playbook", playbook,
                              "state", state, "decisions", count, "decided", decided, "open", count - decided - closed,
                              "closed", closed,
                              "median_seconds", percentile(seconds, false), "p90_seconds", percentile(seconds, true),
                              "delegated", delegated, "escalated", escalated, "choices", choices, "outcomes", outcomes);
    if (group)
        group_people(group, asked, answers);
    json_decref(seconds);
    json_decref(asked);
    json_decref(answers);
    return group;
}

static int by_playbook_state(const void *a, const void *b)
{
    const json_t *x = *(json_t *const *)a, *y = *(json_t *const *)b;
    const char *px = json_string_value(json_object_get(x, "playbook")), *py = json_string_value(json_object_get(y, "playbook"));
    int c = strcmp(px ? px : "", py ? py : "");
    if (c)
        return c;
    const char *sx = json_string_value(json_object_get(x, "state")), *sy = json_string_value(json_object_get(y, "state"));
    return strcmp(sx ? sx : "", sy ? sy : "");
}

int engine_audit_stats(Engine *e, const json_t *filter, json_t **out, char *why, size_t why_len)
{
    json_t *all;
    *out = NULL;
    int rc = engine_audit_decisions(e, &all, why, why_len);
    if (rc != ENGINE_OK)
        return rc;
    json_t *kept = filtered(all, filter), *groups = json_array(), *seen = json_object();
    size_t i;
    json_t *d;
    json_array_foreach(kept, i, d) {
        char key[600];
        const char *playbook = json_string_value(json_object_get(d, "playbook")),
                   *state = json_string_value(json_object_get(d, "state"));
        snprintf(key, sizeof key, "%s\n%s", playbook ? playbook : "", state ? state : "");
        if (json_object_get(seen, key))
            continue;
        json_object_set_new(seen, key, json_true());
        json_array_append_new(groups, group_stats(kept, json_object_get(d, "playbook"), json_object_get(d, "state")));
    }
    *out = sorted(groups, by_playbook_state);
    json_decref(groups);
    json_decref(seen);
    json_decref(kept);
    json_decref(all);
    return *out ? ENGINE_OK : ENGINE_NO_MEMORY;
}

/* ---- similar past decisions ---- */

static size_t shared_tags(const json_t *d, const json_t *tags)
{
    size_t n = 0, i;
    json_t *tag;
    json_array_foreach(tags, i, tag)
        n += list_has(json_object_get(d, "tags"), json_string_value(tag));
    return n;
}

/* A decision that may be shown as similar, with what it is ranked by. */
typedef struct Like {
    const json_t *decision;
    size_t shared;                  /* tags it shares with the ask's instance */
    int64_t decided_ms;
    const char *task;
} Like;

/* Most shared tags first, then newest decided, then task id (as text) descending. */
static int most_shared(const void *a, const void *b)
{
    const Like *x = a, *y = b;
    if (x->shared != y->shared)
        return x->shared > y->shared ? -1 : 1;
    if (x->decided_ms != y->decided_ms)
        return x->decided_ms > y->decided_ms ? -1 : 1;
    return strcmp(y->task, x->task);
}

static json_t *similar_item(const Like *like)
{
    const json_t *d = like->decision;
    return json_pack("{s:O, s:O, s:O, s:O, s:O, s:O, s:O, s:O, s:I}", "instance", json_object_get(d, "instance"),
                     "task", json_object_get(d, "task"), "choice", json_object_get(d, "choice"),
                     "by", json_object_get(d, "by"), "comment", json_object_get(d, "comment"),
                     "decided_at", json_object_get(d, "decided_at"), "outcome", json_object_get(d, "outcome"),
                     "status", json_object_get(d, "status"),
                     "shared_tags", (json_int_t)like->shared);
}

int engine_audit_similar(const json_t *decisions, const char *playbook, const char *state,
                         const json_t *tags, const char *except, size_t limit, json_t **out)
{
    size_t count = 0, i;
    Like *likes = engine_calloc(json_array_size(decisions) + 1, sizeof *likes);
    *out = likes ? json_array() : NULL;
    if (!*out) {
        free(likes);
        return ENGINE_NO_MEMORY;
    }
    json_t *d;
    json_array_foreach(decisions, i, d) {
        const char *task = json_string_value(json_object_get(d, "task"));
        if (!text_is(json_object_get(d, "playbook"), playbook ? playbook : "") ||
            !text_is(json_object_get(d, "state"), state ? state : "") || json_is_null(json_object_get(d, "choice")) ||
            (except && task && strcmp(task, except) == 0))
            continue;
        Like *like = &likes[count++];
        *like = (Like){d, shared_tags(d, tags), 0, task ? task : ""};
        value_parse_time(json_string_value(json_object_get(d, "decided_at")), &like->decided_ms);
    }
    if (count > 1)
        qsort(likes, count, sizeof *likes, most_shared);
    for (i = 0; *out && i < count && i < limit; i++)
        if (json_array_append_new(*out, similar_item(&likes[i])) != 0) {
            json_decref(*out);
            *out = NULL;
        }
    free(likes);
    return *out ? ENGINE_OK : ENGINE_NO_MEMORY;
}

/* The decision of `task` in the list (its playbook, state and tags), or NULL. */
static const json_t *decision_of(const json_t *decisions, const char *task)
{
    size_t i;
    json_t *d;
    json_array_foreach(decisions, i, d)
        if (text_is(json_object_get(d, "task"), task ? task : ""))
            return d;
    return NULL;
}

int engine_audit_context(Engine *e, json_t *tasks, size_t limit, char *why, size_t why_len)
{
    json_t *decisions;
    bool indexed;
    if (json_array_size(tasks) == 0)
        return ENGINE_OK;           /* no ask open: the record is not read */
    int rc = audit_index_context(e, tasks, limit, &indexed, why, why_len);
    if (indexed)
        return rc;                  /* else a store without the index: the history folded */
    rc = engine_audit_decisions(e, &decisions, why, why_len);
    if (rc != ENGINE_OK)
        return rc;
    size_t i;
    json_t *t;
    json_array_foreach(tasks, i, t) {
        const char *id = json_string_value(json_object_get(t, "id"));
        const json_t *d = decision_of(decisions, id);
        json_t *similar = NULL;
        if (d)
            engine_audit_similar(decisions, json_string_value(json_object_get(d, "playbook")),
                                 json_string_value(json_object_get(d, "state")), json_object_get(d, "tags"), id,
                                 limit, &similar);
        json_object_set_new(t, "similar", similar ? similar : json_array());
    }
    json_decref(decisions);
    return ENGINE_OK;
}
