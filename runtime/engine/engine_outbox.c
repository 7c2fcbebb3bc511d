/*
 * engine_outbox.c - the outbox's entries (RUNTIME.md, promise 3): what `call`, `send`,
 * `notify` and the runtime's own messages (asked, reminded, escalated, outcome,
 * cancelled) put in it inside the step's transaction, their idempotency keys, the
 * backoff between attempts, and the operator's view (huddle outbox, outbox retry).
 * Delivering them is engine_dispatch.c's.
 *
 * An entry (TABLE_OUTBOX, key: a big-endian sequence number) is an OutboxEntry
 * (engine_outbox_entry.h), stored in its own encoding (version byte 0x13; the JSON
 * object older huddles stored is still read):
 *
 *   kind        call, send, message (notify and the runtime's messages) or head
 *               (serve --publish-head, engine_head_publish.c: delivered like a send, of
 *               no instance, its key STORE:head:COUNT)
 *   connector, operation   a call's, send's or head's; "" for a message
 *   instance, suspension   the instance's number (0: none) and its step when the entry
 *               was made
 *   base, index the key of the entry's first delivery is BASE + INDEX
 *               ("STORE:i3:5:" + 0); a message's recipient at position P has INDEX + P
 *   arg         a call's or send's argument (the HTTP body), a codec record
 *   to          a message's recipients in key order (a notify's in execution order, the
 *               runtime's messages by seat, then person id), each pending, done or failed
 *   about, message   what a message says: about, and a codec record of {"task",
 *               "question", "choices", "text", "outcome", "playbook", "state"}, and an
 *               ask's "similar" past decisions (engine_ask_context.c), made with the entry
 *   status      pending or failed (a send or message that failed for good, kept for
 *               `huddle outbox retry`)
 *   attempts, created_ms, next_ms, lease_ms, error
 *
 * Keys: STEP is the instance's step count, INDEX counts the entries made at that step in
 * execution order, kept in the instance record ("outbox_step", "outbox_next") so that a
 * reminder or an escalation fired later at the same step takes the next indexes, and a
 * step that fails (its effects discarded) leaves them for the retry, which then reuses
 * the same keys.
 */
#include "engine_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- keys and backoff ---- */

/* `huddle run` records sends and messages and delivers only calls (from its mocks). */
static bool outbox_simulated(const Step *s)
{
    return s->engine->options.mocks != NULL;
}

/* The next `count` indexes of the instance at its current step: the first in *index,
   the key's base ("STORE:i3:5:") in base[]. */
static void outbox_indexes(Step *s, Instance *in, size_t count, int64_t *index, char base[160])
{
    InstanceRecord *r = &in->record;
    uint64_t next = r->outbox_step == r->step ? r->outbox_next : 0;
    *index = (int64_t)next;
    r->outbox_step = r->step;
    r->outbox_next = next + count;
    /* "%s:%s:%lld:" without printf: the store id (32 hex digits), "i<n>", the step; in
       `huddle run`, whose store is new each time and delivers nothing, "run", so that the
       same trace gives the same records */
    const char *store = outbox_simulated(s) ? "run" : store_id(s->engine->store);
    size_t store_len = strnlen(store, 64), id_len = strnlen(r->id, sizeof r->id);
    memcpy(base, store, store_len);
    base[store_len] = ':';
    memcpy(base + store_len + 1, r->id, id_len);
    base[store_len + 1 + id_len] = ':';
    char *step = base + store_len + id_len + 2;
    int64_t number = (int64_t)r->step;
    step += codec_number_text(number < 0 ? "-" : "", number < 0 ? 0 - (uint64_t)number : (uint64_t)number, step);
    step[0] = ':';
    step[1] = '\0';
}

/* FNV-1a, 64 bits. */
static uint64_t fnv1a(const char *text, uint64_t seed)
{
    uint64_t h = 1469598103934665603ULL ^ seed;
    for (const unsigned char *p = (const unsigned char *)text; *p; p++) {
        h ^= *p;
        h *= 1099511628211ULL;
    }
    return h;
}

int64_t outbox_backoff_ms(const char *key, unsigned attempt)
{
    int64_t delay = OUTBOX_BACKOFF_FIRST_MS;
    for (unsigned i = 1; i < attempt && delay < OUTBOX_BACKOFF_MAX_MS; i++)
        delay *= 2;
    if (delay > OUTBOX_BACKOFF_MAX_MS)
        delay = OUTBOX_BACKOFF_MAX_MS;
    /* Jitter: a factor from 0.5 to 1, the same for the same key and attempt; seeded
       from the key past its STORE part, so a simulation (huddle run, a new store each
       time) repeats. */
    const char *tail = key ? strchr(key, ':') : NULL;
    uint64_t h = fnv1a(tail ? tail + 1 : key ? key : "", attempt);
    h ^= h >> 33;
    double factor = 0.5 + 0.5 * (double)(h % 1000000) / 1000000.0;
    return (int64_t)((double)delay * factor);
}

/* ---- entries in the store ---- */

static void outbox_note_written(Engine *e, uint64_t seq, bool claimable);

int outbox_put(Step *s, uint64_t seq, const OutboxEntry *entry)
{
    unsigned char key[8];
    store_be64(seq, key);
    StrBuf bytes = STRBUF_INIT;
    int rc = outbox_entry_encode(entry, &bytes) == 0 ? STORE_OK : STORE_NO_MEMORY;
    if (rc == STORE_OK)
        rc = store_put(s->txn, TABLE_OUTBOX, store_bytes(key, 8), store_bytes(bytes.data, bytes.len));
    strbuf_free(&bytes);
    return rc;
}

/* An outbox value read into *entry: STORE_OK, or the step failed naming the entry. */
static int outbox_read(Step *s, StoreBytes key, StoreBytes value, OutboxEntry *entry)
{
    char why[240];
    int rc = outbox_entry_load(value.data, value.len, entry, why, sizeof why);
    if (rc == OUTBOX_ENTRY_NO_MEMORY)
        return step_fail(s, ENGINE_NO_MEMORY, "out of memory");
    return rc == OUTBOX_ENTRY_OK ? STORE_OK : step_damaged(s, TABLE_OUTBOX, key, why);
}

int outbox_get(Step *s, uint64_t seq, OutboxEntry *entry)
{
    unsigned char key[8];
    store_be64(seq, key);
    StoreBytes value;
    memset(entry, 0, sizeof *entry);
    int rc = store_get(s->txn, TABLE_OUTBOX, store_bytes(key, 8), &value);
    return rc == STORE_OK ? outbox_read(s, store_bytes(key, 8), value, entry) : rc;
}

/* ---- entries, made in the step ---- */

int outbox_write(Step *s, OutboxEntry *entry)
{
    entry->status = OUTBOX_PENDING;
    entry->attempts = 0;
    entry->created_ms = entry->next_ms = s->now;
    const OutboxEntry *failed = s->failed_call;
    if (failed && entry->connector && failed->connector && entry->operation && failed->operation &&
        !strcmp(entry->connector, failed->connector) && !strcmp(entry->operation, failed->operation))
        entry->next_ms += OUTBOX_AFTER_FAILURE_MS;   /* `call ... else goto` back to it: paced, not a spin */
    entry->lease_ms = 0;
    uint64_t seq;
    int rc = engine_counter_next_fresh(s, "next_outbox", TABLE_OUTBOX, "outbox entry ", &seq);
    if (rc == STORE_OK) {
        rc = outbox_put(s, seq, entry);
        outbox_note_written(s->engine, seq, dispatch_may_claim(s, entry));
    }
    outbox_entry_free(entry);
    if (rc == STORE_NO_MEMORY && !s->failed)
        return step_fail(s, ENGINE_NO_MEMORY, "out of memory");
    if (rc != STORE_OK && !s->failed && rc != ENGINE_REFUSED)
        step_fail(s, rc < -99 ? rc : ENGINE_FAILED, "store error writing the outbox: %s", store_strerror(rc));
    return rc;
}

/* Puts a new entry of the instance (its fields taken over) in the outbox, with its
   keys; `count` indexes are taken (a call or send: 1). */
static int outbox_put_new(Step *s, Instance *in, OutboxEntry *entry, OutboxKind kind, size_t count)
{
    char base[160];
    outbox_indexes(s, in, count, &entry->index, base);
    entry->kind = kind;
    entry->instance = in->number;
    entry->suspension = in->record.step;
    if (outbox_entry_set_text(&entry->base, base) != 0) {
        outbox_entry_free(entry);
        return step_fail(s, ENGINE_NO_MEMORY, "out of memory");
    }
    return outbox_write(s, entry);
}


/* A call's or send's entry; its key goes in `record`, in `huddle run` as in a store
   (there with "run" for the store id: outbox_indexes), so both give records of one shape. */
static int outbox_effect(Step *s, Instance *in, OutboxKind kind, const char *connector, const char *operation,
                         const json_t *arg, CodecWriter *record)
{
    OutboxEntry entry = {0};
    if (outbox_entry_set_text(&entry.connector, connector ? connector : "") != 0 ||
        outbox_entry_set_text(&entry.operation, operation ? operation : "") != 0 ||
        codec_encode(arg ? arg : json_null(), &entry.arg) != CODEC_OK) {
        outbox_entry_free(&entry);
        return step_fail(s, ENGINE_NO_MEMORY, "out of memory");
    }
    if (record) {
        int64_t index;
        char base[160], key[200];
        outbox_indexes(s, in, 0, &index, base);
        snprintf(key, sizeof key, "%s%lld", base, (long long)index);
        record_text(record, "key", key);
    }
    return outbox_put_new(s, in, &entry, kind, 1);
}

int outbox_call(Step *s, Instance *in, const char *connector, const char *operation, const json_t *arg,
                CodecWriter *record)
{
    return outbox_effect(s, in, OUTBOX_CALL, connector, operation, arg, record);
}

void outbox_send(Step *s, Instance *in, const char *connector, const char *operation, const json_t *arg,
                 CodecWriter *record)
{
    if (!outbox_simulated(s)) {
        outbox_effect(s, in, OUTBOX_SEND, connector, operation, arg, record);
        return;
    }
    /* `huddle run` records a send, and delivers none: it takes its key as a store would,
       so the record has one and a call after it in the step gets the store's key */
    int64_t index;
    char base[160], key[200];
    outbox_indexes(s, in, 1, &index, base);
    snprintf(key, sizeof key, "%s%lld", base, (long long)index);
    if (record)
        record_text(record, "key", key);
}

/* The entry's recipients: `people` in the order given (the caller's: a notify's in
   execution order, the runtime's messages by seat then id), each pending. */
static int tell_recipients(OutboxEntry *entry, const char *const *people, size_t count)
{
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < count; i++)
        rc = outbox_entry_add_recipient(entry, people[i], OUTBOX_PENDING);
    return rc;
}

/* The task's fields a message carries, those it has: "task" (its id), "question",
   "choices", "deadline", "outcome", in that order. */
static void tell_task_fields(CodecWriter *w, const TaskRecord *task)
{
    static const struct {
        TaskField field;
        const char *key;
    } FIELDS[] = {{TASK_ID, "task"}, {TASK_QUESTION, "question"}, {TASK_CHOICES, "choices"},
                  {TASK_DEADLINE, "deadline"}, {TASK_OUTCOME, "outcome"}};
    for (size_t i = 0; i < sizeof FIELDS / sizeof FIELDS[0]; i++)
        if (task_record_has(task, FIELDS[i].field)) {
            codec_write_key(w, FIELDS[i].key);
            task_record_write_member(w, task, FIELDS[i].field);
        }
}

/* For a decision's message: who completed it and their comment, "decided_by" and
   "comment" (the last vote for the winning choice, as the decision record reads it);
   nothing for a timeout, no quorum or an override, which no vote decided. */
static void tell_decider(CodecWriter *w, const TaskRecord *task)
{
    for (size_t i = task->vote_count; task->outcome && i-- > 0;) {
        const TaskVote *vote = &task->votes[i];
        if (!vote->choice || !vote->by || strcmp(vote->choice, task->outcome) != 0)
            continue;
        codec_write_key(w, "decided_by");
        codec_write_text(w, vote->by);
        if (vote->comment) {
            codec_write_key(w, "comment");
            codec_write_text(w, vote->comment);
        }
        return;
    }
}

/* What the message says, but `about`: {"playbook", "state", the task's fields,
   "deadline_local" (the deadline in the playbook calendar's zone, when it has one),
   "decided_by" and "comment" (a decision's), "text", "similar"} in that order. NULL: the
   step failed. */
static int tell_message(Step *s, Instance *in, OutboxEntry *entry, const char *about, const TaskRecord *task,
                        const char *text)
{
    CodecWriter w;
    codec_write_begin(&w, &entry->message);
    codec_write_object(&w);
    codec_write_key(&w, "playbook");
    codec_write_text(&w, in->record.playbook);
    codec_write_key(&w, "state");
    codec_write_text(&w, in->record.state);   /* NULL: null */
    if (task)
        tell_task_fields(&w, task);
    char local[128];
    if (task && task_record_has(task, TASK_DEADLINE) &&
        step_local_time_text(s, in->program, task->deadline_ms, local, sizeof local)) {
        codec_write_key(&w, "deadline_local");   /* the message says it this way */
        codec_write_text(&w, local);
    }
    if (task && strcmp(about, "outcome") == 0)
        tell_decider(&w, task);
    if (text) {
        codec_write_key(&w, "text");
        codec_write_text(&w, text);
    }
    if (task && strcmp(about, "asked") == 0) {   /* decided now, like the rest */
        json_t *similar = ask_context_similar(s, in, task->id);
        if (!similar) {
            codec_write_end(&w);
            return STORE_FAILED;   /* the step failed */
        }
        codec_write_key(&w, "similar");
        codec_write_json(&w, similar);
        json_decref(similar);
    }
    return codec_write_end(&w) == CODEC_OK ? STORE_OK : step_fail(s, ENGINE_NO_MEMORY, "out of memory");
}

void outbox_tell(Step *s, Instance *in, const char *const *people, size_t count, const char *about,
                 const TaskRecord *task, const char *text)
{
    if (count == 0)
        return;
    if (outbox_simulated(s)) {   /* `huddle run` delivers no message, but takes its keys as a
                                    store does, so a call after it gets the store's key */
        int64_t index;
        char base[160];
        outbox_indexes(s, in, count, &index, base);
        return;
    }
    OutboxEntry entry = {0};
    entry.has_message = true;
    if (tell_recipients(&entry, people, count) != 0 || outbox_entry_set_text(&entry.about, about) != 0 ||
        outbox_entry_set_text(&entry.connector, "") != 0 || outbox_entry_set_text(&entry.operation, "") != 0) {
        outbox_entry_free(&entry);
        step_fail(s, ENGINE_NO_MEMORY, "out of memory");
        return;
    }
    if (tell_message(s, in, &entry, about, task, text) != STORE_OK) {
        outbox_entry_free(&entry);
        return;
    }
    outbox_put_new(s, in, &entry, OUTBOX_MESSAGE, count);
}

/* ---- the operator's view ---- */

static json_t *recipients_view(const OutboxEntry *entry)
{
    json_t *to = json_array();
    for (size_t i = 0; to && i < entry->to_count; i++)
        json_array_append_new(to, json_pack("{s:s, s:s}", "person", entry->to[i].person, "state",
                                            outbox_state_text(entry->to[i].state)));
    return to;
}

/* An entry as `huddle outbox` shows it. Its `next` is when it will really be tried: a
   claimed entry (a tick or serve delivering it, or one that died doing so) is not tried
   before its lease ends, so while the lease runs at `now`, `next` is its end, also given
   as `leased_until`; once it has ended, the entry is due as if never claimed.
   An entry that waits for a secret's variable (OUTBOX_WAITING) has `waiting`: why. */
static json_t *entry_view(const OutboxEntry *entry, uint64_t seq, int64_t now)
{
    char key[200], at[40], next[40];
    outbox_entry_key(entry, 0, key, sizeof key);
    time_text(entry->created_ms, at);
    bool leased = entry->status == OUTBOX_PENDING && entry->lease_ms > entry->next_ms && entry->lease_ms > now;
    time_text(leased ? entry->lease_ms : entry->next_ms, next);
    char id[32] = "";   /* a head publication has no instance */
    if (entry->instance > 0)
        snprintf(id, sizeof id, "i%llu", (unsigned long long)entry->instance);
    json_t *view = json_pack("{s:s, s:I, s:s, s:s, s:s, s:I, s:I, s:s, s:s, s:o}", "key", key, "seq", (json_int_t)seq,
                             "kind", outbox_kind_text(entry->kind), "instance", id,
                             "status", outbox_state_text(entry->status), "attempts", (json_int_t)entry->attempts,
                             "created_ms", (json_int_t)entry->created_ms, "created", at, "next", next,
                             "error", entry->error ? json_string(entry->error) : json_null());
    if (!view)
        return NULL;
    if (leased)
        json_object_set_new(view, "leased_until", json_string(next));
    size_t waiting = strlen(OUTBOX_WAITING);
    if (entry->error && strncmp(entry->error, OUTBOX_WAITING, waiting) == 0)
        json_object_set_new(view, "waiting", json_string(entry->error + waiting));
    if (entry->kind == OUTBOX_MESSAGE) {
        json_object_set_new(view, "to", recipients_view(entry));
        json_object_set_new(view, "about", json_string(entry->about));
    } else {
        json_object_set_new(view, "connector", json_string(entry->connector));
        json_object_set_new(view, "operation", json_string(entry->operation));
    }
    return view;
}

typedef struct OutboxEach {
    Step *step;
    OutboxVisit visit;
    void *context;
} OutboxEach;

static int each_visit(void *context, StoreBytes key, StoreBytes value)
{
    OutboxEach *o = context;
    OutboxEntry entry;
    if (key.len != 8)
        return step_fail_damaged(o->step, "an outbox key is %zu bytes, not 8", key.len);
    int rc = outbox_read(o->step, key, value, &entry);
    if (rc == STORE_OK)
        rc = o->visit(o->step, store_read_be64(key.data), &entry, o->context);
    outbox_entry_free(&entry);
    return rc;
}

int outbox_each_from(Step *s, uint64_t from, OutboxVisit visit, void *context)
{
    OutboxEach o = {s, visit, context};
    unsigned char key[8];
    store_be64(from, key);
    int rc = engine_scan_from(s, TABLE_OUTBOX, store_bytes(NULL, 0), store_bytes(key, from ? 8 : 0), each_visit, &o);
    return rc == STORE_STOP ? STORE_OK : rc;
}

int outbox_each(Step *s, OutboxVisit visit, void *context)
{
    return outbox_each_from(s, 0, visit, context);
}

static void outbox_note_written(Engine *e, uint64_t seq, bool claimable)
{
    if (!e->outbox_dirty || seq < e->outbox_dirty_from)
        e->outbox_dirty_from = seq;
    e->outbox_dirty = true;
    e->outbox_claimable |= claimable;
}

void outbox_mark_written(Engine *e, uint64_t seq)
{
    outbox_note_written(e, seq, true);
}

typedef struct OutboxList {
    int status;                     /* -1: every entry */
    int64_t now;                    /* engine time: which leases still run */
    json_t *list;
} OutboxList;

/* Whether one of a message's recipients failed for good while others still wait. */
static bool entry_partly_failed(const OutboxEntry *entry)
{
    for (size_t i = 0; entry->status == OUTBOX_PENDING && i < entry->to_count; i++)
        if (entry->to[i].state == OUTBOX_FAILED)
            return true;
    return false;
}

static int list_visit(Step *s, uint64_t seq, OutboxEntry *entry, void *context)
{
    (void)s;
    OutboxList *o = context;
    /* --failed lists a message one of whose recipients failed for good also while
       another still waits: that failure is the operator's to act on now */
    if (o->status < 0 || (int)entry->status == o->status ||
        (o->status == OUTBOX_FAILED && entry_partly_failed(entry)))
        json_array_append_new(o->list, entry_view(entry, seq, o->now));
    return STORE_OK;
}

static int list_work(Step *s, void *context)
{
    return outbox_each(s, list_visit, context);
}

int engine_outbox_list(Engine *e, const char *status, int64_t now, json_t **entries, char *why, size_t why_len)
{
    OutboxList o = {-1, now, json_array()};
    for (int i = 0; status && i < OUTBOX_STATE_COUNT; i++)
        if (strcmp(status, outbox_state_text((OutboxState)i)) == 0)
            o.status = i;
    if (status && o.status < 0)
        o.status = OUTBOX_STATE_COUNT;   /* no entry has it */
    int rc = o.list ? engine_read(e, list_work, &o, why, why_len) : ENGINE_NO_MEMORY;
    if (rc != ENGINE_OK) {
        json_decref(o.list);
        o.list = NULL;
    }
    *entries = o.list;
    return rc;
}

typedef struct OutboxFind {
    const char *key;
    uint64_t seq;
    bool found;
    OutboxEntry entry;              /* found: taken over */
} OutboxFind;

/* Whether `key` is one of the entry's keys: BASE + INDEX .. INDEX + recipients - 1. */
static bool entry_has_key(const OutboxEntry *entry, const char *key)
{
    size_t base_len = strlen(entry->base);
    if (strncmp(key, entry->base, base_len) != 0)
        return false;
    char *end;
    long long index = strtoll(key + base_len, &end, 10);
    size_t span = entry->to_count;
    return *end == '\0' && key[base_len] >= '0' && key[base_len] <= '9' && index >= entry->index &&
           index < entry->index + (int64_t)(span ? span : 1);
}

static int find_visit(Step *s, uint64_t seq, OutboxEntry *entry, void *context)
{
    (void)s;
    OutboxFind *f = context;
    if (!entry_has_key(entry, f->key))
        return STORE_OK;
    f->seq = seq;
    f->found = true;
    outbox_entry_free(&f->entry);   /* the step's earlier run's (a full map runs it again) */
    f->entry = *entry;
    memset(entry, 0, sizeof *entry);
    return STORE_STOP;
}

static int retry_work(Step *s, void *context)
{
    OutboxFind *f = context;
    int rc = outbox_each(s, find_visit, f);
    if (rc != STORE_OK)
        return rc;
    if (!f->found)
        return step_fail(s, ENGINE_REFUSED, "no outbox entry has the key %s (huddle outbox --failed lists them)", f->key);
    OutboxEntry *entry = &f->entry;
    bool partly = entry_partly_failed(entry);
    if (entry->status != OUTBOX_FAILED && !partly)
        return step_fail(s, ENGINE_REFUSED, "the outbox entry %s has not failed: it is %s", f->key,
                         outbox_state_text(entry->status));
    for (size_t i = 0; i < entry->to_count; i++)
        if (entry->to[i].state == OUTBOX_FAILED)
            entry->to[i].state = OUTBOX_PENDING;
    entry->status = OUTBOX_PENDING;
    entry->attempts = 0;
    entry->created_ms = entry->next_ms = s->now;
    if (!partly)
        entry->lease_ms = 0;   /* a message still being delivered keeps its claim */
    outbox_mark_written(s->engine, f->seq);
    uint64_t version;   /* raised so that a serve beside this process looks again */
    rc = engine_counter_next(s, "next_outbox", &version);
    return rc == STORE_OK ? outbox_put(s, f->seq, entry) : rc;
}

int engine_outbox_retry(Engine *e, const char *key, int64_t now, char *why, size_t why_len)
{
    OutboxFind f = {key, 0, false, {0}};
    int rc = engine_run_input(e, now, retry_work, &f, why, why_len);
    outbox_entry_free(&f.entry);
    return rc;
}

/* ---- results ---- */

/* The entry's instance in *in (STORE_NOT_FOUND: it is gone), and whether it still
   waits at the suspension the entry was made for. */
static int entry_instance(Step *s, const OutboxEntry *entry, Instance *in, bool *waits)
{
    *waits = false;
    int rc = instance_load(s, entry->instance, in);
    if (rc == STORE_OK)
        *waits = in->frame && entry->suspension == in->frame->step;
    return rc;
}

int outbox_call_waits(Step *s, const OutboxEntry *entry, bool *waits)
{
    Instance in;
    int rc = entry_instance(s, entry, &in, waits);
    if (rc == STORE_OK)
        instance_clear(&in);
    return rc == STORE_NOT_FOUND ? STORE_OK : rc;
}

void outbox_call_failure(char *buf, size_t len, const char *error, int64_t attempts)
{
    if (attempts > 1)
        snprintf(buf, len, "%s (after %lld attempts)", error, (long long)attempts);
    else
        snprintf(buf, len, "%s", error);
}

/* A call that failed with no `else` stalled its instance: the call is kept with the
   failure (stalled_input's "call": connector, operation, arg), so that `huddle retry`
   makes it again (step_retry) rather than applying the failure once more. */
static int outbox_call_keep_for_retry(Step *s, Instance *in, const OutboxEntry *entry)
{
    json_t *kept = in->record.stalled_input;
    const char *kind = json_string_value(json_object_get(kept, "kind"));
    if (in->record.status != INSTANCE_STALLED || !kind || strcmp(kind, "failure") != 0)
        return STORE_OK;
    json_t *arg = outbox_entry_arg_json(entry);
    json_t *call = arg ? json_pack("{s:s, s:s, s:o}", "connector", entry->connector, "operation", entry->operation,
                                   "arg", arg) : NULL;
    if (!call || json_object_set_new(kept, "call", call) != 0)
        return step_fail(s, ENGINE_NO_MEMORY, "out of memory");
    return STORE_OK;
}

int outbox_call_result(Step *s, const OutboxEntry *entry, const json_t *reply, const char *failure)
{
    Instance in;
    bool waits;
    int rc = entry_instance(s, entry, &in, &waits);
    if (rc == STORE_NOT_FOUND)
        return STORE_OK;   /* the instance is gone: its call goes too */
    if (rc != STORE_OK)
        return rc;
    if (!waits) {
        instance_clear(&in);
        return STORE_OK;   /* stale: the instance moved on */
    }
    if (!reply && !failure)
        reply = json_null();   /* a mail sent (jansson's null needs no release) */
    CodecWriter *record = record_begin(s, &in, failure ? "call_failed" : "replied");
    record_text(record, "connector", entry->connector);
    record_text(record, "operation", entry->operation);
    char key[200];
    outbox_entry_key(entry, 0, key, sizeof key);
    record_text(record, "key", key);
    if (failure)
        record_text(record, "error", failure);
    else
        record_json(record, "reply", reply);
    Value value = failure ? value_cstring(failure) : value_from_json(reply);
    /* the same call made again by the failure's `else` waits a little: a `call ... else
       goto` back to it is a retry loop that would otherwise spin against a failing peer */
    s->failed_call = failure ? entry : NULL;
    rc = step_resume(s, &in, failure ? VM_INPUT_FAILURE : VM_INPUT_REPLY, value);
    s->failed_call = NULL;
    value_release(value);
    if (rc == STORE_OK && failure)
        rc = outbox_call_keep_for_retry(s, &in, entry);
    if (rc == STORE_OK)
        rc = instance_save(s, &in);
    instance_clear(&in);
    return rc;
}

int outbox_record_delivery(Step *s, const OutboxEntry *entry, const char *person, const char *channel,
                           const char *error)
{
    Instance in;
    if (entry->instance == 0)
        return STORE_OK;   /* a head publication: no instance, no history; a failure stays in the outbox */
    int rc = instance_load(s, entry->instance, &in);
    if (rc == STORE_NOT_FOUND)
        return STORE_OK;
    if (rc != STORE_OK)
        return rc;
    size_t position = 0;
    for (size_t i = 0; person && i < entry->to_count; i++)
        if (strcmp(entry->to[i].person, person) == 0)
            position = i;
    char key[200];
    outbox_entry_key(entry, position, key, sizeof key);
    CodecWriter *record = record_begin(s, &in, error ? "send_failed" : "delivered");
    if (person) {
        record_text(record, "person", person);
        record_text(record, "channel", channel);
        record_text(record, "about", entry->about);
    } else {
        record_text(record, "connector", entry->connector);
        record_text(record, "operation", entry->operation);
    }
    record_text(record, "key", key);
    record_integer(record, "attempts", entry->attempts);
    record_text(record, "error", error);
    rc = instance_save(s, &in);
    instance_clear(&in);
    return rc;
}
