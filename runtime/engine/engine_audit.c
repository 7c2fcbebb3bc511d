/*
 * engine_audit.c - the decision record checked: engine_audit_verify walks every
 * instance's chain and the store-wide chain and names each record changed, removed,
 * inserted or reordered; engine_audit_head reads meta's head. docs/audit.md says what
 * each finding means and what the chain cannot prove.
 *
 * One read transaction: the instances (how many records each says it has), then the
 * history in key order (each record's link recomputed from the stamp of the record
 * before it, so one damaged record is named alone and its neighbours stay clean), then
 * the stamps in commit order for the store-wide chain.
 *
 * Built for 1,000,000 records a second (docs/performance-log.md, bench_audit): a record's
 * canonical form is written straight from its stored bytes (engine_codec_canon.c; the
 * jansson value is built only for a record those bytes cannot place, to name what is
 * wrong), and each stamp is put in its place in the store's chain as it is read, so an
 * untouched store needs no sort.
 */
#include "engine_internal.h"
#include "grow.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct Counted {
    uint64_t instance;
    uint32_t records;               /* the instance record's "history" */
    bool seen;                      /* history of it was found */
} Counted;

typedef struct Verify {
    Step *step;
    Counted *instances;
    size_t instance_count, instance_cap;
    ChainEntry *entries;            /* placing: entry k at k - 1; else in the order found */
    size_t entry_count, entry_cap;
    bool placing;
    unsigned char *taken;           /* placing: whether entries[i] holds one (entry_cap) */
    json_t *problems;
    json_t *report;                 /* head, count, head_given */
    const unsigned char *given;     /* --head, or NULL */
    size_t records;
    CodecCanon canonical;
    /* the instance being walked */
    uint64_t instance;
    Counted *counted;               /* its instance record, NULL when there is none */
    uint32_t expected;              /* the next seq */
    bool prev_known;                /* prev is the link of record expected - 1 */
    unsigned char prev[AUDIT_HASH];
    uint32_t entry_first;           /* the seq of the first record of the entry being read */
    bool entry_kept;                /* a record of it was in its place (not named inserted or reordered) */
    bool gap_unknown;               /* an entry that cannot be read was just passed */
    bool head_unknown;              /* an entry found changed: the links before its last are */
    size_t unknown_problem;         /* not known, nor the store's head past it: that finding */
} Verify;

static void problem(Verify *v, uint64_t instance, uint32_t seq, uint32_t to, const char *kind,
                    const char *fmt, ...) __attribute__((format(printf, 6, 7)));

static void problem(Verify *v, uint64_t instance, uint32_t seq, uint32_t to, const char *kind,
                    const char *fmt, ...)
{
    char why[300], id[24];
    va_list args;
    va_start(args, fmt);
    vsnprintf(why, sizeof why, fmt, args);
    va_end(args);
    json_t *p = json_object();   /* the same members on every problem: null where they say nothing */
    snprintf(id, sizeof id, "i%llu", (unsigned long long)instance);
    json_object_set_new(p, "instance", instance ? json_string(id) : json_null());
    json_object_set_new(p, "seq", instance ? json_integer(seq) : json_null());
    json_object_set_new(p, "to", instance && to > seq ? json_integer(to) : json_null());
    json_object_set_new(p, "problem", json_string(kind));
    json_object_set_new(p, "why", json_string(why));
    json_array_append_new(v->problems, p);
}

/* ---- the instances ---- */

/* Room in *items (of *cap items of `size` bytes, `count` used) for one more, doubling
   it when full: false when out of memory (the step failed, saying so). */
static bool room_for_one(Verify *v, void **items, size_t *cap, size_t count, size_t size)
{
    void *grown = grow_for_one(*items, cap, count, size, 64, engine_realloc);
    if (!grown) {
        step_fail(v->step, ENGINE_NO_MEMORY, "out of memory");
        return false;
    }
    *items = grown;
    return true;
}

/* The instance's "history" (how many records it has) read from its record's bytes
   (instance_parse's layout: a 4-byte length, the record, the frame) with no jansson
   value built: false when those bytes are not a readable binary record (the record's
   own encoding among them), for instance_parse to read, or say what is wrong. */
static bool instance_records(Verify *v, StoreBytes value, uint32_t *records)
{
    const unsigned char *bytes = value.data;
    if (value.len < 4 || engine_get_le32(bytes) > value.len - 4)
        return false;
    long long n = 0;
    bool found;
    if (codec_member_integer(&v->canonical, bytes + 4, engine_get_le32(bytes), "history", &n,
                             &found) != CODEC_OK)
        return false;
    *records = found ? (uint32_t)n : 0;
    return true;
}

static int instances_visit(void *context, StoreBytes key, StoreBytes value)
{
    Verify *v = context;
    InstanceRecord record;
    StoreBytes frame;
    uint32_t records;
    if (!instance_records(v, value, &records)) {
        int rc = instance_parse(v->step, key, value, &record, &frame);
        if (rc != STORE_OK)
            return rc;
        records = (uint32_t)record.history;
        instance_record_free(&record);
    }
    if (!room_for_one(v, (void **)&v->instances, &v->instance_cap, v->instance_count,
                      sizeof *v->instances))
        return ENGINE_NO_MEMORY;
    Counted *c = &v->instances[v->instance_count++];
    c->instance = key.len == 8 ? store_read_be64(key.data) : 0;
    c->records = records;
    c->seen = false;
    return STORE_OK;
}

/* The instance record of `number` (instances are in key order: a binary search). */
static Counted *counted_find(Verify *v, uint64_t number)
{
    size_t low = 0, high = v->instance_count;
    while (low < high) {
        size_t mid = low + (high - low) / 2;
        if (v->instances[mid].instance == number)
            return &v->instances[mid];
        if (v->instances[mid].instance < number)
            low = mid + 1;
        else
            high = mid;
    }
    return NULL;
}

/* ---- one instance's chain ---- */

/* The records an instance says it has past the last one found: removed. */
static void instance_end(Verify *v)
{
    if (v->instance && v->counted && v->expected <= v->counted->records && !v->gap_unknown)
        problem(v, v->instance, v->expected, v->counted->records, "removed",
                "the instance has %u records and its history ends at %u",
                v->counted->records, v->expected - 1);
}

static void instance_begin(Verify *v, uint64_t number)
{
    instance_end(v);
    v->instance = number;
    v->counted = counted_find(v, number);
    if (v->counted)
        v->counted->seen = true;
    v->expected = 1;
    v->gap_unknown = false;
    v->prev_known = true;
    memset(v->prev, 0, AUDIT_HASH);
}

/* The entries placed so far moved to the front, in order (empty slots dropped): the
   placing stops. */
static void entries_compact(Verify *v)
{
    size_t kept = 0;
    for (size_t i = 0; v->placing && i < v->entry_cap; i++)
        if (v->taken[i])
            v->entries[kept++] = v->entries[i];
    v->placing = false;
}

/* Keeps a stamped record for the store's chain. While every record's place is new and
   within the records the instances count (an untouched store), it is put straight in
   its place, so the chain needs no sort; the first that is not stops that. */
static int entry_add(Verify *v, uint64_t instance, uint32_t seq, const HistoryStamp *stamp, uint32_t finding)
{
    ChainEntry *e;
    uint64_t order = stamp->order;
    if (v->placing && order >= 1 && order <= v->entry_cap && !v->taken[order - 1]) {
        e = &v->entries[order - 1];
        v->taken[order - 1] = 1;
        v->entry_count++;
    } else {
        entries_compact(v);
        if (!room_for_one(v, (void **)&v->entries, &v->entry_cap, v->entry_count, sizeof *e))
            return ENGINE_NO_MEMORY;
        e = &v->entries[v->entry_count++];
    }
    e->order = order;
    e->instance = instance;
    e->seq = seq;
    e->finding = finding;
    memcpy(e->hash, stamp->hash, AUDIT_HASH);
    return STORE_OK;
}

/* Whether the record's own instance and seq are where it is kept. */
static bool record_in_place(const json_t *record, uint64_t instance, uint32_t seq, json_int_t *its_seq)
{
    *its_seq = json_integer_value(json_object_get(record, "seq"));
    return *its_seq == (json_int_t)seq &&
           instance_number(json_string_value(json_object_get(record, "instance"))) == instance;
}

/* The links of an entry's records before its last are not known (the entry was found
   changed): the store's head cannot be worked out past them, which the finding just made
   (the first such) says, rather than a finding of its own. */
static void head_unknown(Verify *v)
{
    if (v->head_unknown || json_array_size(v->problems) == 0)
        return;
    v->head_unknown = true;
    v->unknown_problem = json_array_size(v->problems) - 1;
}

/* The record's link worked out from the one before it (v->prev, when known): compared
   with the stored one (`stored`, NULL for a record whose entry keeps only its last
   record's link), and kept in v->prev for the next record. */
static void link_check(Verify *v, uint64_t number, uint32_t seq, const unsigned char h[AUDIT_HASH],
                       const unsigned char *stored)
{
    if (!stored) {
        memcpy(v->prev, h, AUDIT_HASH);
        return;
    }
    if (memcmp(h, stored, AUDIT_HASH) == 0)
        return;
    if (v->entry_first < seq) {
        problem(v, number, v->entry_first, seq, "changed", "the content of a record of the entry of "
                "seqs %u to %u does not match the entry's hash", v->entry_first, seq);
        head_unknown(v);
    } else
        problem(v, number, seq, 0, "changed", "its content does not match its hash");
}

/* Checks a stamped, readable record against the one before it: true when it is not
   kept in its place, and named reordered (the store's chain may find it a copy, and name
   it inserted instead: place_taken_twice). */
static bool record_check(Verify *v, uint64_t number, uint32_t seq, const json_t *record,
                         const unsigned char *stored)
{
    json_int_t its_seq;
    if (!record_in_place(record, number, seq, &its_seq)) {
        problem(v, number, seq, 0, "reordered", "the record kept at seq %u is record %lld of %s",
                seq, (long long)its_seq, json_string_value(json_object_get(record, "instance")) ?
                json_string_value(json_object_get(record, "instance")) : "no instance");
        v->prev_known = false;
        return true;
    }
    unsigned char h[AUDIT_HASH];
    if (v->prev_known && audit_link_json(v->prev, record, &v->canonical.text, h) == AUDIT_OK)
        link_check(v, number, seq, h, stored);
    else
        v->prev_known = stored != NULL;
    return false;
}

/* The same check straight from the record's bytes (engine_codec_canon.c), with no
   jansson value built: true when done, false when the bytes are not a readable record
   kept in its place, for record_check to read and name. */
static bool record_check_bytes(Verify *v, uint64_t number, uint32_t seq, StoreBytes bytes,
                               const unsigned char *stored)
{
    CodecCanon *c = &v->canonical;
    if (codec_canon(c, bytes.data, bytes.len) != CODEC_OK || !history_canon_in_place(c, number, seq))
        return false;
    unsigned char h[AUDIT_HASH];
    if (v->prev_known) {
        audit_link_record(v->prev, c->text.data, c->text.len, h);
        link_check(v, number, seq, h, stored);
    } else
        v->prev_known = stored != NULL;
    return true;
}

/* The link a record takes in the store's chain: the stored one, or for a record before
   its entry's last, the one worked out (zero when it could not be). `finding` is 1 + the
   index of the finding that named it inserted or reordered, 0 for none. */
static int record_place(Verify *v, const HistoryItem *item, bool computed, uint32_t finding)
{
    HistoryStamp stamp = {.order = item->order};
    if (item->last)
        memcpy(stamp.hash, item->link, AUDIT_HASH);
    else if (computed)
        memcpy(stamp.hash, v->prev, AUDIT_HASH);
    return entry_add(v, item->instance, item->seq, &stamp, finding);
}

static int record_visit(Verify *v, const HistoryItem *item)
{
    uint64_t number = item->instance;
    uint32_t seq = item->seq;
    const unsigned char *stored = item->last ? item->link : NULL;
    v->records++;
    if (!v->counted || seq > v->counted->records) {
        if (v->counted)
            problem(v, number, seq, 0, "inserted", "past the instance's last record (%u)", v->counted->records);
        else
            problem(v, number, seq, 0, "inserted", "there is no such instance");
        v->prev_known = false;
        return item->stamped ? record_place(v, item, false, (uint32_t)json_array_size(v->problems)) : STORE_OK;
    }
    if (seq > v->expected && !v->gap_unknown)
        problem(v, number, v->expected, seq - 1, "removed", "the history goes from %u to %u",
                v->expected - 1, seq);
    if (seq > v->expected)
        v->prev_known = false;
    v->gap_unknown = false;
    v->expected = seq + 1;
    json_t *record;
    char what[200];
    if (!item->stamped) {
        problem(v, number, seq, 0, "unchained", "the record has no hash");
        v->prev_known = false;
        v->entry_kept = true;
        return STORE_OK;
    }
    bool known = v->prev_known, misplaced = false;
    if (record_check_bytes(v, number, seq, item->record, stored)) {
        /* checked from its bytes */
    } else if (codec_load(item->record.data, item->record.len, &record, what, sizeof what) != CODEC_OK) {
        problem(v, number, seq, 0, "changed", "the record cannot be read: %s", what);
        v->prev_known = false;
    } else {
        misplaced = record_check(v, number, seq, record, stored);
        json_decref(record);
    }
    v->entry_kept |= !misplaced;
    bool computed = known && v->prev_known;
    if (stored)
        memcpy(v->prev, stored, AUDIT_HASH);
    return record_place(v, item, computed, misplaced ? (uint32_t)json_array_size(v->problems) : 0);
}

/* Where the walk of an instance's chain stands between two entries. */
typedef struct WalkState {
    uint32_t expected;
    bool prev_known, gap_unknown;
    unsigned char prev[AUDIT_HASH];
} WalkState;

static void walk_save(const Verify *v, WalkState *w)
{
    w->expected = v->expected;
    w->prev_known = v->prev_known;
    w->gap_unknown = v->gap_unknown;
    memcpy(w->prev, v->prev, AUDIT_HASH);
}

static void walk_restore(Verify *v, const WalkState *w)
{
    v->expected = w->expected;
    v->prev_known = w->prev_known;
    v->gap_unknown = w->gap_unknown;
    memcpy(v->prev, w->prev, AUDIT_HASH);
}

static int history_visit(void *context, StoreBytes key, StoreBytes value)
{
    Verify *v = context;
    if (key.len != 12)
        return step_damaged(v->step, TABLE_HISTORY, key, "has a key that is not 12 bytes");
    HistoryEntry e;
    history_entry_read(key, value, &e);
    if (e.instance != v->instance || v->records == 0)
        instance_begin(v, e.instance);
    if (e.damaged) {           /* its records are not counted: how many it holds is not known */
        problem(v, e.instance, e.seq, 0, "changed", "its entry cannot be read: cut, or not the records "
                "its count says");
        if (e.seq > v->expected)
            problem(v, e.instance, v->expected, e.seq - 1, "removed", "the history goes from %u to %u",
                    v->expected - 1, e.seq);
        v->expected = e.seq + 1;
        v->gap_unknown = true;      /* how many records it held is not known */
        v->prev_known = false;
        return STORE_OK;
    }
    v->entry_first = e.seq;
    v->entry_kept = false;
    WalkState before;
    walk_save(v, &before);
    HistoryItem item;
    size_t at = 0;
    uint32_t index = 0;
    int rc = STORE_OK;
    while (rc == STORE_OK && history_entry_next(&e, &at, &index, &item))
        rc = record_visit(v, &item);
    /* An entry kept among records already walked (its key overlaps them) that holds none
       in its place is not of this history (a copy put there): the records after it are
       checked against the ones before it, as if it were not there. */
    if (e.seq < before.expected && !v->entry_kept)
        walk_restore(v, &before);
    return rc;
}

/* ---- the store-wide chain ---- */

/* The records entries[first] to entries[end - 1] take one place of the store's chain:
   one of them is the record chained there, the others copies of it (or of another).
   The one chained is the first its instance's chain found in its place (the first of
   all when none was); each other is named inserted, once: when its instance's chain
   named it already (inserted past the instance's last record, or reordered: a record
   kept at a seq not its own), that finding becomes this one, with the place it takes
   said on its line. tools/verify_export.py does the same (keep in sync). */
static void place_taken_twice(Verify *v, size_t first, size_t end)
{
    size_t chained = first;
    for (size_t i = first; i < end; i++)
        if (!v->entries[i].finding) {
            chained = i;
            break;
        }
    const ChainEntry *other = &v->entries[chained];
    for (size_t i = first; i < end; i++) {
        const ChainEntry *e = &v->entries[i];
        if (i == chained)
            continue;
        char place[160];
        snprintf(place, sizeof place, "it takes place %llu of the store's chain, as i%llu seq %u does",
                 (unsigned long long)e->order, (unsigned long long)other->instance, other->seq);
        json_t *named = e->finding ? json_array_get(v->problems, e->finding - 1) : NULL;
        if (!named) {
            problem(v, e->instance, e->seq, 0, "inserted", "%s", place);
            continue;
        }
        char why[480];
        snprintf(why, sizeof why, "%s; %s", json_string_value(json_object_get(named, "why")), place);
        json_object_set_new(named, "why", json_string(why));
        json_object_set_new(named, "problem", json_string("inserted"));
    }
}

/* Adds to the finding that left the head unknown (head_unknown) what cannot be checked. */
static void head_note(Verify *v, const char *what)
{
    json_t *named = json_array_get(v->problems, v->unknown_problem);
    char why[480];
    snprintf(why, sizeof why, "%s; %s", json_string_value(json_object_get(named, "why")), what);
    json_object_set_new(named, "why", json_string(why));
}

/* Orders that repeat or skip; then the chain against meta's head and the head given. */
static int store_chain_check(Verify *v, const unsigned char *given, json_t *report)
{
    if (v->placing)
        entries_compact(v);         /* in order already */
    else
        chain_sort(v->entries, v->entry_count);
    uint64_t expected = 1;
    for (size_t i = 0; i < v->entry_count; i++) {
        const ChainEntry *e = &v->entries[i];
        size_t end = i + 1;
        while (end < v->entry_count && v->entries[end].order == e->order)
            end++;
        if (end > i + 1)
            place_taken_twice(v, i, end);
        if (e->order != expected)
            problem(v, 0, 0, 0, "removed", "the chain goes from place %llu to %llu",
                    (unsigned long long)expected - 1, (unsigned long long)e->order);
        expected = e->order + 1;
        i = end - 1;
    }
    /* the chain's head after each record, the head given looked for as it goes */
    unsigned char computed[AUDIT_HASH] = {0}, meta_head[AUDIT_HASH];
    size_t at = given && memcmp(computed, given, AUDIT_HASH) == 0 ? 0 : SIZE_MAX;
    for (size_t i = 0; i < v->entry_count; i++) {
        chain_link_store(computed, v->entries[i].instance, v->entries[i].seq, v->entries[i].hash);
        if (given && at == SIZE_MAX && memcmp(computed, given, AUDIT_HASH) == 0)
            at = i + 1;
    }
    uint64_t meta_count;
    int rc = chain_head_read(v->step->txn, &meta_count, meta_head);
    if (rc == ENGINE_FAILED)
        problem(v, 0, 0, 0, "head", "meta's audit_head or audit_count is not of its size");
    else if (rc != STORE_OK)
        return rc;
    else if (v->head_unknown && (meta_count != v->entry_count || memcmp(meta_head, computed, AUDIT_HASH) != 0))
        head_note(v, "the store's head cannot be worked out past it");
    else if (meta_count != v->entry_count || memcmp(meta_head, computed, AUDIT_HASH) != 0)
        problem(v, 0, 0, 0, "head", "the store's head (meta audit_head, %llu records) is not the head "
                "of its records (%zu): the head was edited, or records were moved, added or removed",
                (unsigned long long)meta_count, v->entry_count);
    char hex[AUDIT_HEX];
    audit_hex(computed, hex);
    json_object_set_new(report, "head", json_string(hex));
    json_object_set_new(report, "count", json_integer((json_int_t)v->entry_count));
    json_object_set_new(report, "head_given", json_null());   /* no head given, or not in the chain */
    if (given) {
        if (at == SIZE_MAX && v->head_unknown)
            head_note(v, "nor whether the head given is in the store's chain");
        else if (at == SIZE_MAX)
            problem(v, 0, 0, 0, "cut", "the head given is not in this store's chain: records it covered "
                    "were cut off or rewritten");
        else
            json_object_set_new(report, "head_given", json_pack("{s:I, s:I}", "covers", (json_int_t)at,
                                                                "newer", (json_int_t)(v->entry_count - at)));
    }
    return STORE_OK;
}

static int verify_work(Step *s, void *context)
{
    Verify *v = context;
    v->step = s;
    int rc = engine_scan(s, TABLE_INSTANCES, store_bytes(NULL, 0), instances_visit, v);
    size_t expected = 0;
    for (size_t i = 0; i < v->instance_count; i++)
        expected += v->instances[i].records;
    if (rc == STORE_OK && expected > 0) {
        /* a slot for every record the instances say they have, for placing (a byte a
           slot says which are taken: zeroing the slots themselves cost 5% of verify) */
        v->entries = engine_realloc(NULL, expected * sizeof *v->entries);
        v->taken = engine_calloc(expected, 1);
        if (!v->entries || !v->taken)
            return step_fail(s, ENGINE_NO_MEMORY, "out of memory");
        v->entry_cap = expected;
        v->placing = true;
    }
    if (rc == STORE_OK)
        rc = engine_scan(s, TABLE_HISTORY, store_bytes(NULL, 0), history_visit, v);
    if (rc != STORE_OK)
        return rc;
    instance_end(v);
    for (size_t i = 0; i < v->instance_count; i++)
        if (!v->instances[i].seen && v->instances[i].records > 0)
            problem(v, v->instances[i].instance, 1, v->instances[i].records, "removed",
                    "the instance has %u records and no history", v->instances[i].records);
    return store_chain_check(v, v->given, v->report);
}

int engine_audit_verify(Engine *e, const char *head_hex, json_t **report, char *why, size_t why_len)
{
    unsigned char given[AUDIT_HASH];
    *report = NULL;
    if (head_hex && audit_unhex(head_hex, given) != 0) {
        snprintf(why, why_len, "--head wants 64 hex digits (the output of huddle audit head), not '%.80s'",
                 head_hex);
        engine_set_refusal(e, ENGINE_REFUSAL_INPUT, NULL);
        return ENGINE_REFUSED;
    }
    Verify v = {0};
    v.problems = json_array();
    json_t *out = json_object();
    v.report = out;
    v.given = head_hex ? given : NULL;
    int rc = engine_read(e, verify_work, &v, why, why_len);
    if (rc == ENGINE_OK) {
        json_object_set_new(out, "records", json_integer((json_int_t)v.records));
        json_object_set_new(out, "instances", json_integer((json_int_t)v.instance_count));
        json_object_set_new(out, "problems", json_incref(v.problems));
        *report = out;
    } else {
        json_decref(out);
    }
    json_decref(v.problems);
    free(v.instances);
    free(v.entries);
    free(v.taken);
    codec_canon_free(&v.canonical);
    return rc;
}

/* ---- the head ---- */

typedef struct Head {
    uint64_t count;
    unsigned char head[AUDIT_HASH];
} Head;

static int head_work(Step *s, void *context)
{
    Head *h = context;
    int rc = chain_head_read(s->txn, &h->count, h->head);
    if (rc == ENGINE_FAILED)
        return step_damaged(s, TABLE_META, store_bytes("audit_head", 10), "is not a 32-byte hash with its count");
    return rc;
}

int engine_audit_head(Engine *e, json_t **head, char *why, size_t why_len)
{
    Head h;
    *head = NULL;
    int rc = engine_read(e, head_work, &h, why, why_len);
    if (rc != ENGINE_OK)
        return rc;
    char hex[AUDIT_HEX];
    audit_hex(h.head, hex);
    *head = json_pack("{s:s, s:I}", "head", hex, "count", (json_int_t)h.count);
    return *head ? ENGINE_OK : ENGINE_NO_MEMORY;
}
