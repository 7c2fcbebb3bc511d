/*
 * engine_outbox.c - the outbox's entries (RUNTIME.md, promise 3): what `call`, `send`,
 * `notify` and the runtime's own messages (asked, reminded, escalated, outcome,
 * cancelled) put in it inside the step's transaction, their idempotency keys, the
 * backoff between attempts, and the operator's view (huddle outbox, outbox retry).
 * Delivering them is engine_dispatch.c's.
 *
 * An entry (TABLE_OUTBOX, key: a big-endian sequence number) is a JSON object:
 *
 *   kind        "call", "send", "message" (notify and the runtime's messages) or
 *               "head" (serve --publish-head, engine_head_publish.c: delivered like a
 *               send, of no instance, its key STORE:head:COUNT)
 *   connector, operation   a call's, send's or head's; "" for a message
 *   instance, suspension   the instance's number (0: none) and its step when the entry
 *               was made
 *   base, index the key of the entry's first delivery is BASE + INDEX
 *               ("STORE:i3:5:" + 0); a message's recipient at position P has INDEX + P
 *   arg         a call's or send's argument (the HTTP body)
 *   to          a message's recipients, sorted by person id: [{"person", "state":
 *               "pending" | "done" | "failed"}]
 *   message     what a message says: {"about", "task", "question", "choices", "text",
 *               "outcome", "playbook", "state"}, and an ask's "similar" past decisions
 *               (engine_ask_context.c), made with the entry
 *   status      "pending" or "failed" (a send or message that failed for good, kept for
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

/* The next `count` indexes of the instance at its current step: the first in *index,
   the key's base ("STORE:i3:5:") in base[]. */
static void outbox_indexes(Step *s, Instance *in, size_t count, json_int_t *index, char base[160])
{
    InstanceRecord *r = &in->record;
    uint64_t next = r->outbox_step == r->step ? r->outbox_next : 0;
    *index = (json_int_t)next;
    r->outbox_step = r->step;
    r->outbox_next = next + count;
    snprintf(base, 160, "%s:%s:%lld:", store_id(s->engine->store), r->id, (long long)r->step);
}

void outbox_key_text(const json_t *entry, size_t position, char *out, size_t len)
{
    snprintf(out, len, "%s%lld", json_string_value(json_object_get(entry, "base")),
             (long long)(json_integer_value(json_object_get(entry, "index")) + (json_int_t)position));
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

/* ---- entries, made in the step ---- */

static void outbox_note_written(Engine *e, uint64_t seq, bool claimable);

int outbox_write(Step *s, json_t *entry)
{
    if (!entry)
        return step_fail(s, ENGINE_NO_MEMORY, "out of memory");
    json_object_set_new(entry, "status", json_string("pending"));
    json_object_set_new(entry, "attempts", json_integer(0));
    json_object_set_new(entry, "created_ms", json_integer((json_int_t)s->now));
    json_object_set_new(entry, "next_ms", json_integer((json_int_t)s->now));
    json_object_set_new(entry, "lease_ms", json_integer(0));
    uint64_t seq;
    int rc = engine_counter_next(s, "next_outbox", &seq);
    if (rc == STORE_OK) {
        unsigned char key[8];
        store_be64(seq, key);
        rc = engine_put_json(s, TABLE_OUTBOX, store_bytes(key, 8), entry);
        outbox_note_written(s->engine, seq, dispatch_may_claim(s, entry));
    }
    json_decref(entry);
    if (rc != STORE_OK && !s->failed && rc != ENGINE_REFUSED)
        step_fail(s, rc < -99 ? rc : ENGINE_FAILED, "store error writing the outbox: %s", store_strerror(rc));
    return rc;
}

/* Puts a new entry of the instance (taken over) in the outbox, with its keys. */
static int outbox_put(Step *s, Instance *in, json_t *entry, const char *kind, size_t count)
{
    if (!entry)
        return step_fail(s, ENGINE_NO_MEMORY, "out of memory");
    json_int_t index;
    char base[160];
    outbox_indexes(s, in, count, &index, base);
    json_object_set_new(entry, "kind", json_string(kind));
    json_object_set_new(entry, "instance", json_integer((json_int_t)in->number));
    json_object_set_new(entry, "suspension", json_integer((json_int_t)in->record.step));
    json_object_set_new(entry, "base", json_string(base));
    json_object_set_new(entry, "index", json_integer(index));
    return outbox_write(s, entry);
}

/* `huddle run` records sends and messages and delivers only calls (from its mocks). */
static bool outbox_simulated(const Step *s)
{
    return s->engine->options.mocks != NULL;
}

int outbox_call(Step *s, Instance *in, const json_t *description, json_t *record)
{
    json_t *entry = json_pack("{s:O, s:O, s:O}", "connector", json_object_get(description, "connector"),
                              "operation", json_object_get(description, "operation"),
                              "arg", json_object_get(description, "arg") ? json_object_get(description, "arg") : json_null());
    if (!outbox_simulated(s) && entry && record) {
        json_int_t index;
        char base[160], key[200];
        outbox_indexes(s, in, 0, &index, base);
        snprintf(key, sizeof key, "%s%lld", base, (long long)index);
        json_object_set_new(record, "key", json_string(key));
    }
    return outbox_put(s, in, entry, "call", 1);
}

void outbox_send(Step *s, Instance *in, json_t *record)
{
    if (outbox_simulated(s))
        return;
    json_t *entry = json_pack("{s:O, s:O, s:O}", "connector", json_object_get(record, "connector"),
                              "operation", json_object_get(record, "operation"),
                              "arg", json_object_get(record, "arg") ? json_object_get(record, "arg") : json_null());
    json_int_t index;
    char base[160], key[200];
    outbox_indexes(s, in, 0, &index, base);
    snprintf(key, sizeof key, "%s%lld", base, (long long)index);
    json_object_set_new(record, "key", json_string(key));
    outbox_put(s, in, entry, "send", 1);
}

static int person_order(const void *a, const void *b)
{
    return strcmp(json_string_value(*(json_t *const *)a), json_string_value(*(json_t *const *)b));
}

void outbox_tell(Step *s, Instance *in, const json_t *people, const char *about, const json_t *task,
                 const char *text)
{
    size_t count = json_array_size(people);
    if (outbox_simulated(s) || count == 0)
        return;
    json_t **sorted = engine_calloc(count, sizeof *sorted);
    if (!sorted)
        return;   /* counted: the step fails */
    for (size_t i = 0; i < count; i++)
        sorted[i] = json_array_get(people, i);
    qsort(sorted, count, sizeof *sorted, person_order);
    json_t *to = json_array();
    for (size_t i = 0; i < count; i++)
        json_array_append_new(to, json_pack("{s:O, s:s}", "person", sorted[i], "state", "pending"));
    free(sorted);
    json_t *message = json_pack("{s:s, s:s, s:o}", "about", about, "playbook", in->record.playbook,
                                "state", in->record.state ? json_string(in->record.state) : json_null());
    if (message && task) {
        static const char *const FIELDS[] = {"id", "question", "choices", "deadline", "outcome", NULL};
        for (size_t i = 0; FIELDS[i]; i++)
            if (json_object_get(task, FIELDS[i]))
                json_object_set(message, strcmp(FIELDS[i], "id") == 0 ? "task" : FIELDS[i], json_object_get(task, FIELDS[i]));
    }
    if (message && text)
        json_object_set_new(message, "text", json_string(text));
    if (message && task && strcmp(about, "asked") == 0) {   /* decided now, like the rest */
        json_t *similar = ask_context_similar(s, in, task);
        if (!similar) {
            json_decref(to);
            json_decref(message);
            return;   /* the step failed */
        }
        json_object_set_new(message, "similar", similar);
    }
    json_t *entry = json_pack("{s:s, s:s, s:o, s:o}", "connector", "", "operation", "", "to", to, "message", message);
    outbox_put(s, in, entry, "message", count);
}

/* ---- the operator's view ---- */

/* An entry as `huddle outbox` shows it. */
static json_t *entry_view(const json_t *entry, uint64_t seq)
{
    char key[200], at[40], next[40];
    outbox_key_text(entry, 0, key, sizeof key);
    time_text(json_integer_value(json_object_get(entry, "created_ms")), at);
    time_text(json_integer_value(json_object_get(entry, "next_ms")), next);
    const char *kind = json_string_value(json_object_get(entry, "kind"));
    json_t *view = json_pack("{s:s, s:I, s:s, s:s, s:O, s:O, s:I, s:s, s:s, s:O}", "key", key, "seq", (json_int_t)seq,
                             "kind", kind ? kind : "call", "instance", "", "status", json_object_get(entry, "status"),
                             "attempts", json_object_get(entry, "attempts"),
                             "created_ms", json_integer_value(json_object_get(entry, "created_ms")), "created", at,
                             "next", next, "error", json_object_get(entry, "error") ? json_object_get(entry, "error") : json_null());
    if (!view)
        return NULL;
    char id[32] = "";   /* a head publication has no instance */
    if (json_integer_value(json_object_get(entry, "instance")) > 0)
        snprintf(id, sizeof id, "i%lld", (long long)json_integer_value(json_object_get(entry, "instance")));
    json_object_set_new(view, "instance", json_string(id));
    if (kind && strcmp(kind, "message") == 0) {
        json_object_set(view, "to", json_object_get(entry, "to"));
        json_object_set(view, "about", json_object_get(json_object_get(entry, "message"), "about"));
    } else {
        json_object_set(view, "connector", json_object_get(entry, "connector"));
        json_object_set(view, "operation", json_object_get(entry, "operation"));
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
    json_t *entry;
    if (key.len != 8)
        return step_fail(o->step, ENGINE_FAILED, "the store is damaged: an outbox key is %zu bytes, not 8", key.len);
    int rc = engine_parse_json(o->step, TABLE_OUTBOX, key, value, &entry);
    if (rc == STORE_OK)
        rc = o->visit(o->step, store_read_be64(key.data), entry, o->context);
    json_decref(entry);
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
    const char *status;             /* NULL: every entry */
    json_t *list;
} OutboxList;

static int list_visit(Step *s, uint64_t seq, json_t *entry, void *context)
{
    (void)s;
    OutboxList *o = context;
    const char *status = json_string_value(json_object_get(entry, "status"));
    if (!o->status || (status && strcmp(status, o->status) == 0))
        json_array_append_new(o->list, entry_view(entry, seq));
    return STORE_OK;
}

static int list_work(Step *s, void *context)
{
    return outbox_each(s, list_visit, context);
}

int engine_outbox_list(Engine *e, const char *status, json_t **entries, char *why, size_t why_len)
{
    OutboxList o = {status, json_array()};
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
    json_t *entry;                  /* found: a reference of its own */
} OutboxFind;

/* Whether `key` is one of the entry's keys: BASE + INDEX .. INDEX + recipients - 1. */
static bool entry_has_key(const json_t *entry, const char *key)
{
    const char *base = json_string_value(json_object_get(entry, "base"));
    size_t base_len = base ? strlen(base) : 0;
    if (!base || strncmp(key, base, base_len) != 0)
        return false;
    char *end;
    long long index = strtoll(key + base_len, &end, 10);
    json_int_t first = json_integer_value(json_object_get(entry, "index"));
    size_t span = json_array_size(json_object_get(entry, "to"));
    return *end == '\0' && key[base_len] >= '0' && key[base_len] <= '9' && index >= first &&
           index < first + (json_int_t)(span ? span : 1);
}

static int find_visit(Step *s, uint64_t seq, json_t *entry, void *context)
{
    (void)s;
    OutboxFind *f = context;
    if (!entry_has_key(entry, f->key))
        return STORE_OK;
    f->seq = seq;
    f->entry = json_incref(entry);
    return STORE_STOP;
}

static int retry_work(Step *s, void *context)
{
    OutboxFind *f = context;
    int rc = outbox_each(s, find_visit, f);
    if (rc != STORE_OK)
        return rc;
    if (!f->entry)
        return step_fail(s, ENGINE_REFUSED, "no outbox entry has the key %s (huddle outbox --failed lists them)", f->key);
    const char *status = json_string_value(json_object_get(f->entry, "status"));
    if (!status || strcmp(status, "failed") != 0)
        return step_fail(s, ENGINE_REFUSED, "the outbox entry %s has not failed: it is %s", f->key, status ? status : "?");
    size_t i;
    json_t *to;
    json_array_foreach(json_object_get(f->entry, "to"), i, to)
        if (strcmp(json_string_value(json_object_get(to, "state")), "failed") == 0)
            json_object_set_new(to, "state", json_string("pending"));
    json_object_set_new(f->entry, "status", json_string("pending"));
    json_object_set_new(f->entry, "attempts", json_integer(0));
    json_object_set_new(f->entry, "created_ms", json_integer((json_int_t)s->now));
    json_object_set_new(f->entry, "next_ms", json_integer((json_int_t)s->now));
    json_object_set_new(f->entry, "lease_ms", json_integer(0));
    outbox_mark_written(s->engine, f->seq);
    uint64_t version;   /* raised so that a serve beside this process looks again */
    rc = engine_counter_next(s, "next_outbox", &version);
    if (rc != STORE_OK)
        return rc;
    unsigned char key[8];
    store_be64(f->seq, key);
    return engine_put_json(s, TABLE_OUTBOX, store_bytes(key, 8), f->entry);
}

int engine_outbox_retry(Engine *e, const char *key, int64_t now, char *why, size_t why_len)
{
    OutboxFind f = {key, 0, NULL};
    int rc = engine_run_step(e, now, retry_work, &f, why, why_len);
    json_decref(f.entry);
    return rc;
}

/* ---- results ---- */

/* The entry's instance in *in (STORE_NOT_FOUND: it is gone), and whether it still
   waits at the suspension the entry was made for. */
static int entry_instance(Step *s, const json_t *entry, Instance *in, bool *waits)
{
    *waits = false;
    int rc = instance_load(s, (uint64_t)json_integer_value(json_object_get(entry, "instance")), in);
    if (rc == STORE_OK)
        *waits = in->frame && (uint64_t)json_integer_value(json_object_get(entry, "suspension")) == in->frame->step;
    return rc;
}

int outbox_call_waits(Step *s, const json_t *entry, bool *waits)
{
    Instance in;
    int rc = entry_instance(s, entry, &in, waits);
    if (rc == STORE_OK)
        instance_clear(&in);
    return rc == STORE_NOT_FOUND ? STORE_OK : rc;
}

int outbox_call_result(Step *s, const json_t *entry, const json_t *reply, const char *failure)
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
    CodecWriter *record = record_begin(s, &in, reply ? "replied" : "call_failed");
    record_json(record, "connector", json_object_get(entry, "connector"));
    record_json(record, "operation", json_object_get(entry, "operation"));
    if (json_object_get(entry, "base") && !outbox_simulated(s)) {   /* run: no random store id */
        char key[200];
        outbox_key_text(entry, 0, key, sizeof key);
        record_text(record, "key", key);
    }
    if (reply)
        record_json(record, "reply", reply);
    else
        record_text(record, "error", failure);
    Value value = reply ? value_from_json(reply) : value_cstring(failure);
    rc = step_resume(s, &in, reply ? VM_INPUT_REPLY : VM_INPUT_FAILURE, value);
    value_release(value);
    if (rc == STORE_OK)
        rc = instance_save(s, &in);
    instance_clear(&in);
    return rc;
}

int outbox_record_delivery(Step *s, const json_t *entry, const char *person, const char *channel,
                           const char *error)
{
    Instance in;
    uint64_t number = (uint64_t)json_integer_value(json_object_get(entry, "instance"));
    if (number == 0)
        return STORE_OK;   /* a head publication: no instance, no history; a failure stays in the outbox */
    int rc = instance_load(s, number, &in);
    if (rc == STORE_NOT_FOUND)
        return STORE_OK;
    if (rc != STORE_OK)
        return rc;
    size_t position = 0;
    size_t i;
    json_t *to;
    json_array_foreach(json_object_get(entry, "to"), i, to)
        if (person && strcmp(json_string_value(json_object_get(to, "person")), person) == 0)
            position = i;
    char key[200];
    outbox_key_text(entry, position, key, sizeof key);
    CodecWriter *record = record_begin(s, &in, error ? "send_failed" : "delivered");
    if (person) {
        record_text(record, "person", person);
        record_text(record, "channel", channel);
        record_json(record, "about", json_object_get(json_object_get(entry, "message"), "about"));
    } else {
        record_json(record, "connector", json_object_get(entry, "connector"));
        record_json(record, "operation", json_object_get(entry, "operation"));
    }
    record_text(record, "key", key);
    record_json(record, "attempts", json_object_get(entry, "attempts"));
    record_text(record, "error", error);
    rc = instance_save(s, &in);
    instance_clear(&in);
    return rc;
}
