/*
 * engine_ask_context.c - the similar past decisions an `asked` message carries to the
 * people asked (LANGUAGE.md, "Context"; docs/audit.md): decided asks of the same
 * playbook and state, most tags shared with the asking instance first, then newest,
 * each with what was chosen, by whom, with which comment, and how its instance ended
 * (engine_audit_similar's list).
 *
 * A message says what it said when its step committed (the outbox entry is written in
 * the step's transaction and every attempt sends it again), so the list is made in the
 * step, from what the store holds then. To keep an ask's step cheap however long the
 * record grows, it looks at the latest ASK_CONTEXT_INSTANCES instances only (`huddle
 * tasks` and GET /v1/tasks look at the whole record), in two passes: the first reads
 * their history's bytes without decoding them and keeps the instances that hold a
 * `resolved` record (codec_pair_bytes, in the record's format); only those are decoded
 * and folded.
 *
 * Many asks share a write transaction (a group commit of events that each start an
 * instance that asks), and serve's rounds follow one another: the first pass's findings
 * are kept for the transaction (Engine.ask_window) and for the next one when it begins
 * from what this one committed (store_txn_follows: no other writer between, nothing
 * aborted), and the next ask reads only the instances begun since,
 * while every `resolved` record the transaction writes in between is noted there
 * (ask_window_note, from record_put). An instance kept that has no decision after all
 * (a nested transaction that wrote its `resolved` record was undone) is folded and
 * yields nothing, as an instance the byte pattern matched by chance does. An instance
 * begun in the transaction right after the window's last has no history to read: the
 * window takes it in as it starts (ask_window_begun), so an event that starts an
 * instance that asks reads no history at all.
 *
 * The instances found are folded once and kept (AskWindow.folded) for the next asks
 * while the window holds: a record written for an instance lets its fold go
 * (ask_window_written, from record_index), and so does reading the window again and
 * the engine forgetting its caches (an aborted step or run may have written records a
 * fold saw). An ask whose window has not moved so folds nothing; before, each ask of a
 * group commit folded every decided instance of the window again (half of an ask's
 * step in bench_people).
 */
#include "engine_internal.h"

#include <string.h>

typedef struct Decided {
    unsigned char pattern[2][CODEC_PAIR_MAX];   /* "kind": "resolved", in formats 1 and 2 */
    size_t pattern_len[2];
    uint64_t *found;                /* the instances with a decision, in order */
    size_t count;
} Decided;

static int decided_item(void *context, const HistoryItem *item)
{
    Decided *d = context;
    uint64_t instance = item->instance;
    if (d->count && d->found[d->count - 1] == instance)
        return STORE_OK;   /* known already: its other records need no look */
    StoreBytes record = item->record;
    size_t f = record.len && ((const unsigned char *)record.data)[0] == CODEC_FORMAT_1 ? 0 : 1;
    bool may = !codec_is_binary(record.data, record.len) ||   /* JSON text: decode it */
               memmem(record.data, record.len, d->pattern[f], d->pattern_len[f]) != NULL;
    if (may && d->count < ASK_CONTEXT_INSTANCES)
        d->found[d->count++] = instance;
    return STORE_OK;
}

static int decided_visit(void *context, StoreBytes key, StoreBytes value)
{
    Decided *d = context;
    uint64_t instance = key.len == 12 ? store_read_be64(key.data) : 0;
    if (d->count && d->found[d->count - 1] == instance)
        return STORE_OK;   /* known already: its other entries need no look */
    HistoryWalk walk = {.visit = decided_item, .context = d};
    return history_walk_entry(&walk, key, value);
}

/* ---- the folds kept for the instances found ---- */

static void folded_clear(AskWindow *w)
{
    for (size_t i = 0; i < w->folded_count; i++)
        json_decref(w->folded[i].decisions);
    w->folded_count = 0;
}

static void folded_drop(AskWindow *w, size_t at)
{
    json_decref(w->folded[at].decisions);
    w->folded[at] = w->folded[--w->folded_count];
}

static bool window_found(const AskWindow *w, uint64_t instance)
{
    for (size_t i = 0; i < w->count; i++)
        if (w->found[i] == instance)
            return true;
    return false;
}

/* Keeps the folds of the instances the window still holds. */
static void folded_keep_found(AskWindow *w)
{
    for (size_t i = w->folded_count; i-- > 0;)
        if (!window_found(w, w->folded[i].instance))
            folded_drop(w, i);
}

void ask_window_written(Engine *e, uint64_t instance)
{
    AskWindow *w = &e->ask_window;
    for (size_t i = 0; i < w->folded_count; i++)
        if (w->folded[i].instance == instance) {
            folded_drop(w, i);
            return;
        }
}

void ask_window_forget(Engine *e)
{
    folded_clear(&e->ask_window);
    e->ask_window.serial = 0;
}

/* The decisions of instance found[i], folded now or kept from an earlier ask (borrowed:
   the window owns them). NULL with the step failed. */
static json_t *window_decisions(Step *s, uint64_t instance)
{
    AskWindow *w = &s->engine->ask_window;
    for (size_t i = 0; i < w->folded_count; i++)
        if (w->folded[i].instance == instance)
            return w->folded[i].decisions;
    json_t *decisions;
    if (audit_fold_instance(s, instance, &decisions) != STORE_OK)
        return NULL;
    if (w->folded_count == ASK_CONTEXT_INSTANCES)
        folded_drop(w, 0);   /* cannot be while folds follow found; kept bounded anyway */
    w->folded[w->folded_count++] = (AskFolded){instance, decisions};
    return decisions;
}

/* The decisions of every instance the window found, in its order: a new array. */
static json_t *window_all_decisions(Step *s)
{
    const AskWindow *w = &s->engine->ask_window;
    json_t *all = json_array();
    for (size_t i = 0; all && i < w->count; i++) {
        json_t *decisions = window_decisions(s, w->found[i]);
        if (!decisions || json_array_extend(all, decisions) != 0) {
            json_decref(all);
            return NULL;
        }
    }
    if (!all)
        step_fail(s, ENGINE_NO_MEMORY, "out of memory");
    return all;
}

/* Whether the window describes the store as the step's transaction sees it: it was kept
   in this transaction, or in the one this transaction begins from, whose window it then
   becomes. */
static bool ask_window_current(Step *s)
{
    AskWindow *w = &s->engine->ask_window;
    uint64_t serial = store_txn_serial(s->txn);
    if (w->serial != 0 && w->serial != serial && w->serial == store_txn_follows(s->txn))
        w->serial = serial;
    return w->serial != 0 && w->serial == serial;
}

/* Fills the window kept for the step's transaction with the instances from `first`
   to `last` that may hold a decision, reading only those the window does not know. */
static int ask_window_fill(Step *s, uint64_t first, uint64_t last)
{
    AskWindow *w = &s->engine->ask_window;
    uint64_t serial = store_txn_serial(s->txn);
    uint64_t from = first;
    if (ask_window_current(s) && last >= w->last && first >= w->first) {
        size_t keep = 0;   /* those still in the window */
        for (size_t i = 0; i < w->count; i++)
            if (w->found[i] >= first)
                w->found[keep++] = w->found[i];
        w->count = keep;
        folded_keep_found(w);
        from = w->last + 1 > first ? w->last + 1 : first;
    } else {
        w->count = 0;
        folded_clear(w);
    }
    w->serial = 0;   /* kept again only once the read below went through */
    Decided decided = {.found = w->found, .count = w->count};
    if (from <= last) {
        decided.pattern_len[0] = codec_pair_bytes("kind", "resolved", CODEC_FORMAT_1, decided.pattern[0]);
        decided.pattern_len[1] = codec_pair_bytes("kind", "resolved", CODEC_FORMAT_2, decided.pattern[1]);
        unsigned char key[8];
        store_be64(from, key);
        int rc = engine_scan_from(s, TABLE_HISTORY, store_bytes(NULL, 0), store_bytes(key, 8), decided_visit,
                                  &decided);
        if (rc != STORE_OK)
            return rc;
    }
    w->serial = serial;   /* decided.found is w->found */
    w->first = first;
    w->last = last;
    w->count = decided.count;
    return STORE_OK;
}

void ask_window_note(Step *s, uint64_t instance)
{
    AskWindow *w = &s->engine->ask_window;
    if (!ask_window_current(s) || instance < w->first || instance > w->last)
        return;   /* none kept, or the instance is read when the window reaches it */
    size_t at = w->count;
    while (at > 0 && w->found[at - 1] >= instance) {
        if (w->found[at - 1] == instance)
            return;
        at--;
    }
    if (w->count == ASK_CONTEXT_INSTANCES) {
        w->serial = 0;   /* cannot be: read the window again at the next ask */
        return;
    }
    memmove(w->found + at + 1, w->found + at, (w->count - at) * sizeof *w->found);
    w->found[at] = instance;
    w->count++;
}

void ask_window_begun(Step *s, uint64_t instance)
{
    AskWindow *w = &s->engine->ask_window;
    if (ask_window_current(s) && instance == w->last + 1)
        w->last = instance;
}

json_t *ask_context_similar(Step *s, const Instance *in, const char *task_id)
{
    uint64_t last;
    int rc = engine_counter(s, "next_instance", &last);
    if (rc != STORE_OK)
        return NULL;
    uint64_t first = last > ASK_CONTEXT_INSTANCES ? last - ASK_CONTEXT_INSTANCES + 1 : 0;
    if (ask_window_fill(s, first, last) != STORE_OK)
        return NULL;
    const AskWindow *decided = &s->engine->ask_window;
    json_t *decisions, *similar = NULL;
    if (decided->count == 0) {
        similar = json_array();
        if (!similar)
            step_fail(s, ENGINE_NO_MEMORY, "out of memory");
        return similar;
    }
    if (!(decisions = window_all_decisions(s)))
        return NULL;
    json_t *tags = instance_record_tags_json(&in->record);
    rc = tags ? engine_audit_similar(decisions, in->record.playbook, in->record.state, tags,
                                     task_id, ASK_CONTEXT_LIMIT, &similar)
              : ENGINE_NO_MEMORY;
    json_decref(tags);
    json_decref(decisions);
    if (rc != ENGINE_OK)
        step_fail(s, ENGINE_NO_MEMORY, "out of memory");
    return similar;
}
