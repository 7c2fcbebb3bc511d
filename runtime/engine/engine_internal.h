/*
 * engine_internal.h - what the engine's files share.
 *
 * The files, from the bottom up: each calls only the ones before it in this list, but
 * for the step's own files (engine_step, engine_tasks, engine_override, engine_events),
 * which call each other because a step that suspends on an ask creates a task and an
 * answer to the task resumes the step.
 *
 *   engine_door.c       the checks every input passes first: ids, depth, people, times
 *   engine_codec.c      the binary form of records in the store (engine_codec.h)
 *   engine_instance_record.c, _json.c  an instance's record as a struct, its own
 *                       encoding, and the older JSON record (engine_instance_record.h)
 *   engine_outbox_entry.c, _json.c  an outbox entry as a struct, its own encoding, and
 *                       the older JSON entry (engine_outbox_entry.h)
 *   engine_chain.c      the decision record's hash chain as history is written
 *   engine_upgrade.c    an older store (JSON records, no chain) converted at engine_open
 *   engine_txn.c        a step's transaction: its clock and history records,
 *                       engine_run_step, JSON records and counters in the store,
 *                       engine_result and engine_strerror, engine_time
 *   engine_counters.c   (with engine_txn.c, whose engine_counter uses it) a batch's
 *                       counters in memory, written to meta once per batch
 *   engine_records.c    (with engine_txn.c, which writes them) a step's history
 *                       records as their codec bytes: the list, record_begin's
 *                       writer, the hook's records
 *   engine_idset.c      sets of ids (people) for one step's work, O(1) each
 *   engine_instance.c   instances in the store (load, save), the program cache
 *   engine_directory.c  the directory cache, calendars, the VM's business-time hooks,
 *                       storing a directory, engine_directory
 *   engine_step.c       applying a VM result: effects as records, suspensions (timers,
 *                       calls, the mailbox), ends
 *   engine_tasks.c      asks as tasks: seats, answers, quorum, deadlines, escalation
 *   engine_override.c   an operator's resolve and reassign of an open ask
 *   engine_query.c      the read-only calls: instances, history, open tasks, the task
 *                       for a person
 *   engine_away.c       away and back: the directory change and the open asks it touches
 *   engine_events.c     triggers: matching, cases, thresholds, starting and joining
 *   engine_timers.c     due timers fired in order, engine_next_due
 *   engine.c            the Engine and every call of engine.h that writes
 *   engine_connectors.c the connectors kept in the store: engine_deploy_set (playbooks
 *                       and connectors in one transaction), engine_connectors
 *   engine_audit.c      the decision record checked: engine_audit_verify, _head
 *   engine_audit_query.c the decision record's export
 *   engine_audit_decisions.c  the decisions folded out of the history
 *   engine_audit_index.c  the decisions index, kept as history is written; search on it
 *   engine_audit_search.c  search, stats and similar past decisions over them
 *   engine_outbox.c     the outbox's entries and keys (call, send, notify, the runtime's
 *                       messages), results, backoff, huddle outbox's list and retry
 *   engine_head_publish.c  the audit head put in the outbox on serve's schedule
 *   engine_ask_context.c   the similar past decisions an asked message carries
 *   engine_delivery.c   one entry's requests and how a finished one is judged
 *                       (engine_dispatch.h)
 *   engine_dispatch.c   the dispatcher's rounds: claim, deliver (runtime/connectors/
 *                       http_client.h), settle; tick's delivery; stats
 */
#ifndef HUDDLE_ENGINE_INTERNAL_H
#define HUDDLE_ENGINE_INTERNAL_H

#include <jansson.h>

#include "audit.h"
#include "directory.h"
#include "engine.h"
#include "engine_codec.h"
#include "engine_instance_record.h"
#include "engine_outbox_entry.h"
#include "engine_task_record.h"
#include "store.h"
#include "text.h"
#include "value_json.h"
#include "vm.h"

/* A 4-byte little-endian length, as an instance entry starts with (engine_instance.c)
   and the upgrade's chunks are laid out (engine_upgrade.c). */
static inline uint32_t engine_get_le32(const void *at)
{
    const unsigned char *in = at;
    return (uint32_t)in[0] | (uint32_t)in[1] << 8 | (uint32_t)in[2] << 16 | (uint32_t)in[3] << 24;
}

static inline void engine_set_le32(void *at, uint32_t n)
{
    unsigned char *out = at;
    for (int i = 0; i < 4; i++)
        out[i] = (unsigned char)(n >> (8 * i));
}

/* Appends `n` as a 4-byte little-endian length (the upgrade's chunks, the tools'). */
static inline void engine_put_le32(StrBuf *out, size_t n)
{
    char bytes[4];
    engine_set_le32(bytes, (uint32_t)n);
    strbuf_append(out, bytes, 4);
}

/* Events kept in one instance's mailbox; beyond, the oldest is discarded and counted. */
#define MAILBOX_LIMIT 1000

/* How many of the latest instances (by number) an ask's step looks at for its similar
   past decisions (engine_ask_context.c). */
#define ASK_CONTEXT_INSTANCES 64

/* What the asks of one write transaction learnt of the latest instances, so that the
   next ask in it reads only the instances begun since (engine_ask_context.c): valid
   while store_txn_serial is `serial`, and in the next write transaction when that one
   begins from what this one committed (store_txn_follows); every `resolved` record
   written after is noted in it (ask_window_note). */
typedef struct AskFolded {
    uint64_t instance;
    json_t *decisions;              /* audit_fold_instance's list, owned */
} AskFolded;

typedef struct AskWindow {
    uint64_t serial;                /* 0: nothing kept */
    uint64_t first, last;           /* the instances looked at */
    uint64_t found[ASK_CONTEXT_INSTANCES];   /* of them, those that may hold a decision, ascending */
    size_t count;
    /* Of the instances found, those folded already, as the store stands: an instance's
       fold is let go when a record of it is written (ask_window_written), when the
       window is read again, and when the engine forgets its caches (an aborted step
       may have written records the fold saw). */
    AskFolded folded[ASK_CONTEXT_INSTANCES];
    size_t folded_count;
} AskWindow;

typedef struct ProgramCacheEntry {
    char hash[65];
    Program *program;
} ProgramCacheEntry;

/* A step's history records, each as the bytes the store keeps (engine_codec.h's format)
   with what the step needs of it; JSON is made only where a record is read
   (step_record_json, the on_record hook, the decisions index). engine_records.c. */
#define STEP_RECORD_KIND_MAX 32
typedef struct StepRecord {
    uint64_t instance;              /* its instance's number */
    uint32_t seq;
    char kind[STEP_RECORD_KIND_MAX];   /* "started", ... (cut short past 31 bytes) */
    size_t at, len;                 /* its bytes in StepRecords.bytes, behind
                                       HISTORY_STAMP_MAX bytes of room for the stamp */
} StepRecord;

typedef struct StepRecords {
    StepRecord *items;
    size_t count, cap;
    StrBuf bytes;
    bool open;                      /* the last record is being written by `writer` */
    CodecWriter writer;
    int failed;                     /* a record could not be encoded (CODEC_TOO_DEEP...) */
} StepRecords;

/* A batch's counters in memory (engine_counters.c): each counter a step of the batch
   read or wrote, by name, with its value and whether meta lacks that value yet. */
#define BATCH_COUNTERS 16           /* more in one batch: the rest are read and written in meta */
#define BATCH_COUNTER_NAME 24
typedef struct BatchCounter {
    char name[BATCH_COUNTER_NAME];
    const char *asked;              /* the name as it was last asked for (counters_find) */
    uint64_t value;
    bool dirty;                     /* changed since it was read from meta */
} BatchCounter;

typedef struct BatchCounters {
    StoreTxn *txn;                  /* the transaction it serves (the batch's, or its
                                       running nested step's); NULL: closed */
    unsigned count;
    uint64_t changes;               /* counters_set calls since it was opened */
    BatchCounter items[BATCH_COUNTERS];
} BatchCounters;

struct Engine {
    Store *store;
    uint64_t timers_fired;          /* committed by engine_fire_timers since the engine opened */
    bool owns_store;                /* opened by engine_open: engine_close closes it */
    Directory *directory;           /* cached: the store's, at directory_version */
    uint64_t directory_version;
    bool directory_loaded;
    json_t *playbook_names;         /* cached: every playbook deployed and, for each, */
    json_t *playbook_hashes;        /* {current hash or null, versions}, at playbooks_version */
    uint64_t playbooks_version;
    json_t *event_routes;           /* where the last accepted event went, or NULL */
    EngineOptions options;
    ProgramCacheEntry *programs;
    unsigned program_count;
    size_t program_cap;
    json_t *mock_cursor;            /* per connector.operation: how many replies used */
    StrBuf record_bytes;            /* reused: a record's bytes on their way to the store */
    StrBuf index_scratch[2];        /* reused: the decisions index's key and row (records_put) */
    char notice[512];               /* what opening did, to tell once (engine_notice) */
    /* Memory kept between steps and batches so the hot path makes no large malloc
       (docs/internals.md, "Allocation"): the VM's block (lent to every run through
       step_input), the due-timer buffer (engine_fire_timers) and the canonical form's
       scratch (step_write_records); freed by engine_free. */
    VmScratch vm_scratch;
    struct DueTimers *due_timers;   /* NULL until the first engine_fire_timers, or lent out */
    CodecCanon canonical;           /* the history chain's scratch (step_write_records) */
    StepRecords step_records;       /* a batch's steps' records, each step's cleared after
                                       it (engine_apply_batch): the buffer stays warm */
    struct HistoryChain *batch_chain;  /* the running batch's chain, or NULL (batch_chain_open) */
    BatchCounters counters;         /* the running batch's counters (engine_counters.c) */
    bool timer_set_any;             /* a timer was set since the timer batch's run began: */
    unsigned char timer_set_first[20];  /* the earliest key set (timer_set; engine_timers.c) */
    /* The outbox's dispatcher (engine_dispatch.c), made at its first round. */
    struct Dispatcher *dispatcher;
    bool outbox_dirty;              /* an entry was written since the last scan */
    uint64_t outbox_dirty_from;     /* the lowest seq written since then (the next scan
                                       starts there unless a full one is due) */
    bool outbox_claimable;          /* one of them may be claimed now: not a message with
                                       no way for a recipient (dispatch_may_claim) */
    int64_t outbox_next_ms;         /* the earliest next try known (scans, settles) */
    int64_t outbox_scanned_ms;      /* when it last scanned every entry (engine time) */
    int64_t outbox_checked_ms;      /* when it last read meta's next_outbox (engine time) */
    int64_t outbox_scanned_mono;    /* the same two on CLOCK_MONOTONIC, in ms: engine time */
    int64_t outbox_checked_mono;    /*   stands still while a clock behind the store's is held */
    uint64_t outbox_counter_seen;   /* next_outbox as of the last scan */
    AskWindow ask_window;           /* engine_ask_context.c */
    EngineRefusal refusal;          /* the last step's refusal (engine_refusal): reset as
                                       each step begins, set by step_fail and step_refuse */
};

/* One transaction's worth of work: a write (a step), or a read (engine_read).

   Errors: every helper returns STORE_OK, STORE_NOT_FOUND where a record may be missing,
   ENGINE_REFUSED (with a sentence in why), ENGINE_FAILED (a damaged record, named in
   why), ENGINE_NO_MEMORY, or a store code. A helper that cannot return a code
   (step_directory) marks the step failed instead, and an allocation that fails inside
   jansson is counted (engine_alloc): step_end ends the step with either, whatever its
   work returned. */
typedef struct Step {
    Engine *engine;
    StoreTxn *txn;
    int64_t now;                    /* engine time of this step */
    const OutboxEntry *failed_call; /* while a failed call resumes its instance: a
                                       call or send it makes to the same operation is first
                                       tried OUTBOX_AFTER_FAILURE_MS later (outbox_write) */
    StepRecords *records;           /* written in this transaction, shown after commit */
    char *why;
    size_t why_len;
    bool offering;                  /* inside mailbox_offer_after: a new wait is offered there */
    bool deciding;                  /* inside task_decide_at_once: an ask made there that */
    bool undecidable;               /* nobody can decide is left to it (undecidable) */
    unsigned decided_at_once;       /* asks this step resolved no_quorum as they were made */
    size_t written;                 /* records already put in the store */
    VmHooks hooks;                  /* business time and zones, for the VM */
    const Program *hook_program;    /* whose calendar the hooks use */
    int failed;                     /* the first failure (not a refusal): the step ends with it */
    bool repeated;                  /* an answer or ack repeats one applied before, a back
                                       ends no absence: why says so on success */
    bool unchanged;                 /* the input changes nothing (a duplicate event): through
                                       engine_run_step the step is not committed, so not even
                                       its clock moves */
    unsigned long alloc_failures;   /* failed allocations counted when the step began */
    uint64_t value_failures;        /* and value_oom_count then (values, the VM) */
    unsigned long strbuf_failures;  /* and strbuf_failures then (text buffers) */
    const char *token;              /* the serve token an answer or ack came with, or NULL */
    const unsigned char *fired_timer;  /* the timer key this step fired (deleted), or NULL */
    /* The event case_join brings, offered before it is put in the mailbox (it is the
       newest entry) as the value a wait receives: when a wait takes it, it is never
       written; when none does, case_join puts it (mailbox_offer_after). */
    bool fresh_mail;                /* there is one */
    Value fresh_mail_value;         /* borrowed from case_join */
    unsigned char fresh_mail_key[16];
    bool fresh_mail_taken;          /* a wait took it: it is not put */
    bool mail_recheck;              /* the join offers the stored mailbox again to the wait
                                       that refused it: their `when` records are not
                                       written twice (mailbox_offer_after) */
    uint64_t started_instance;      /* the instance this step started: its mailbox is empty */
    uint64_t case_joined;           /* the instance case_join resumes, which case_claim read
                                       as its case key's owner in this step: case_release
                                       deletes the key without reading it again; or 0 */
} Step;

/* A loaded instance: its record and its frame. */
typedef struct Instance {
    uint64_t number;
    InstanceRecord record;          /* owned: id, playbook, version, status, state, ... */
    Frame *frame;                   /* owned; NULL once the instance ended */
    const Program *program;         /* borrowed from the cache */
    bool loaded;                    /* instance_load filled it */
    bool stored;                    /* the store holds it (instance_load read it, or */
    InstanceStatus stored_status;   /* instance_save wrote it), with this status: the */
                                    /* gauges move by the change (engine_gauges.c) */
} Instance;

/* engine_txn.c */
/* Allocation that counts its failures, for jansson (engine_alloc_init sets it, once per
   process, from engine_new) and the engine's own buffers. engine_fail_allocation(n)
   makes the n-th allocation from now fail (0: none), for out-of-memory tests;
   engine_alloc_failures counts the failures so far. */
void *engine_alloc(size_t size);
/* Frees what engine_alloc (or malloc) gave, keeping a small block for the next
   engine_alloc of its size (jansson's free function); free() may free either too. */
void engine_release(void *p);
/* Frees the small blocks the calling thread keeps (engine_free calls it): a new engine
   starts from the same state whatever ran before. */
void engine_alloc_flush(void);
/* Whether small blocks are kept at all (default: yes). The out-of-memory tests, which
   fail the n-th malloc, turn it off: which request a kept block serves depends on the
   heap's layout (a block grown in place comes back in a larger class), so with it on the
   count of mallocs moves from one identical run to the next. */
void engine_alloc_keep_blocks(bool keep);
void *engine_calloc(size_t count, size_t size);
void *engine_realloc(void *old, size_t size);
void engine_alloc_init(void);
void engine_fail_allocation(unsigned long n);
unsigned long engine_alloc_failures(void);
/* A new object of text fields, given as key, value, ..., then a NULL key: the step
   path's small objects set one by one rather than through json_pack, which reads its
   format and checks every key's UTF-8 on each call (keys here are the engine's own).
   The values are not checked either: every caller passes UTF-8 (an event's source, type
   and id, which door_check_event checked; playbook names and hashes, which came from
   jansson strings; times, instance ids and the engine's words). NULL, as json_pack
   gives, when a value is NULL or an allocation fails. */
json_t *json_texts(const char *key, ...);
/* Sets an integer field of an object (a key of the engine's own): 0, or -1 when out
   of memory or `object` is NULL. */
int json_set_integer(json_t *object, const char *key, json_int_t value);
/* Starts a step on `txn` at engine time `now` (records may be NULL for a read). */
void step_begin(Step *s, Engine *e, StoreTxn *txn, int64_t now, StepRecords *records, char *why,
                size_t why_len);
/* Puts a sentence in s->why and returns `code`; a failure (not a refusal) also marks the
   step failed, and once it is, its sentence stays. */
int step_fail(Step *s, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* A refusal of `kind` about the input's `field` (or NULL): step_fail's ENGINE_REFUSED,
   which says only that the input does not fit, with what it is about for serve's
   status (engine_refusal). */
int step_refuse(Step *s, EngineRefusalKind kind, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* Sets what the engine's last refusal was for, outside a step (a read that found no
   such instance). */
void engine_set_refusal(Engine *e, EngineRefusalKind kind, const char *field);
/* What the step ends with: ENGINE_NO_MEMORY when an allocation failed during it, else
   the failure it was marked with, else `rc`. */
int step_end(Step *s, int rc);
/* ENGINE_FAILED with "the store is damaged: <what fmt says>" and what to do about it
   (restore from a backup) in s->why. */
int step_fail_damaged(Step *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* step_fail_damaged's "<the record at key> <what>". */
int step_damaged(Step *s, StoreTable table, StoreBytes key, const char *what);
/* Reads a JSON object from the store, in the codec's binary form or (a store of schema
   1) JSON text: STORE_OK, STORE_NOT_FOUND (why untouched), or a failure naming the
   record (damaged: not a readable record, not JSON or not an object; or the store's
   error). engine_parse_json does the same for a value a scan visited. */
int engine_get_json(Step *s, StoreTable table, StoreBytes key, json_t **out);
int engine_parse_json(Step *s, StoreTable table, StoreBytes key, StoreBytes value, json_t **out);
/* Puts `value` (NULL: an allocation failed) in the store in the codec's binary form. */
int engine_put_json(Step *s, StoreTable table, StoreBytes key, const json_t *value);
/* The engine's reused buffer holding `value` encoded (the codec's binary form) after
   `prefix_len` bytes of `prefix`; NULL with the step failed when it cannot be made. The
   caller may append to it, and calls engine_record_bytes_done once it is stored. */
StrBuf *engine_record_bytes(Step *s, const void *prefix, size_t prefix_len, const json_t *value);
void engine_record_bytes_done(Step *s);
/* store_scan over the keys starting with `prefix`, with a sentence for a store error
   (a visitor's failure says its own). */
int engine_scan(Step *s, StoreTable table, StoreBytes prefix, StoreVisit visit, void *context);
/* The same, from the first key >= `from` (from.len == 0: the first). */
int engine_scan_from(Step *s, StoreTable table, StoreBytes prefix, StoreBytes from, StoreVisit visit,
                     void *context);
/* A counter in meta ("next_task", "directory_version", ...): its value, 0 when it was
   never raised; engine_counter_next raises it and returns the new value, from 1;
   engine_counter_put sets it (engine time, when the head was last published). In a
   batch (e->counters open on s->txn) the three go through the batch's counters in
   memory, written to meta once before it commits (engine_counters.c): every read and
   write of a counter in meta goes through them. */
int engine_counter(Step *s, const char *counter, uint64_t *value);
int engine_counter_next(Step *s, const char *counter, uint64_t *value);
int engine_counter_put(Step *s, const char *counter, uint64_t value);
/* engine_counter_next for a number that keys `table` (8 bytes, big-endian: instances,
   tasks, the outbox), which must hold no entry under it yet: one that does means meta's
   counter was lost or went back, and is the store's damage (step_fail_damaged), never an
   overwrite. `letter` names the ids in the message ("i", "t", "outbox entry "). */
int engine_counter_next_fresh(Step *s, const char *counter, StoreTable table, const char *letter, uint64_t *value);
/* engine_counter_next for the second half of a key (8 bytes, big-endian) whose first
   half is `prefix` (the mailbox: instance, then seq): the new number must come after every
   key under the prefix in `table`, else meta's counter was lost or went back, and that is
   the store's damage, as above. `what` names the entries in the message ("event in i3's
   mailbox"). */
int engine_counter_next_last(Step *s, const char *counter, StoreTable table, const unsigned char prefix[8],
                             const char *what, uint64_t *value);
void time_text(int64_t ms, char out[40]);
/* Decodes hex digits into at most `cap` bytes, stopping at the first non-pair; returns
   how many bytes. */
size_t hex_to_bytes(const char *hex, unsigned char *out, size_t cap);
/* The number in an instance or task id ("i3", "t7"), 0 when it is not one. */
/* The number of an instance or task id ("i12", "t12": the letter, then [1-9][0-9]*);
   0 for anything else ("t01", "t 1", "t+1"). */
uint64_t instance_number(const char *id);
/* Drops what the engine caches from the store (directory, deployed playbooks): called
   when a transaction that may have filled a cache did not commit, since a cache is keyed
   by a counter such a transaction may have raised. */
void engine_forget_caches(Engine *e);
/* The engine code for a transaction's result (see engine_result in engine_txn.c). */
int engine_result(int rc, char *why, size_t why_len);
/* engine_records.c */
/* What every history record starts with, read from `in` (its history count moved on). */
typedef struct RecordHead {
    const char *instance;           /* borrowed from in->record */
    json_int_t seq;
    const char *state;              /* borrowed from in->record; NULL before the first state */
} RecordHead;
void record_head(Instance *in, RecordHead *head);

/* A new history record for `in`, written straight into its bytes in the step's list:
   "at", "instance", "seq", "kind", "state" written, and the writer returned for the
   caller's fields (record_text, ...), each key once; step_write_records puts the step's
   records in the store. The record closes at the next record_begin, or when the step's
   records are written or read. NULL: nothing recorded (no kind, or out of memory: the
   step fails); the field functions take NULL. */
CodecWriter *record_begin(Step *s, Instance *in, const char *kind);
/* A field of the record being written. record_text and record_json write nothing for a
   NULL value, as jansson sets nothing for one (json_object_set_new(r, k, json_string(NULL))). */
void record_text(CodecWriter *w, const char *key, const char *text);
void record_json(CodecWriter *w, const char *key, const json_t *value);
void record_integer(CodecWriter *w, const char *key, int64_t value);
/* A VM value as its JSON (value_to_json). */
void record_value(CodecWriter *w, const char *key, Value value);
/* A VM value written by `w` as the bytes codec_encode_value writes for value_to_json's
   JSON of it: straight from the value when it is plain enough (no real, UTF-8 texts, no
   key with a NUL, shallow enough for the writer), else through jansson. false only when
   jansson is out of memory (nothing written then). */
bool engine_write_value(CodecWriter *w, Value value);
void record_bool(CodecWriter *w, const char *key, bool value);
void record_null(CodecWriter *w, const char *key);
/* record_text, or a null when `text` is NULL: a field the record always has. */
void record_text_or_null(CodecWriter *w, const char *key, const char *text);
/* A time field, as the text time_text gives. */
void record_time(CodecWriter *w, const char *key, int64_t ms);
/* An object field: its members follow (record_text, ...), then record_close. */
void record_object(CodecWriter *w, const char *key);
void record_close(CodecWriter *w);

/* A `called` or `sent` record (kind) begun with its connector, operation and arg (each
   left out when NULL, as the jansson record left them out), in the order the VM's map
   has them; the outbox entry made from the same values adds its "key" (outbox_call,
   outbox_send). */
CodecWriter *record_effect_begin(Step *s, Instance *in, const char *kind, const char *connector,
                                 const char *operation, const json_t *arg);

void step_records_clear(StepRecords *r);
void step_records_free(StepRecords *r);
/* Closes the record being written: every record from `from` on has its bytes. CODEC_OK
   or the first failure of the step's records (CODEC_NO_MEMORY, CODEC_TOO_DEEP). */
int records_settle(StepRecords *r, size_t from);
/* The bytes of record i (settled). */
StoreBytes step_record_bytes(const StepRecords *r, size_t i);
/* Record i of the step as a new jansson object (the caller releases it): NULL when out
   of memory. */
json_t *step_record_json(Step *s, size_t i);
/* Whether the engine's on_record hook is given records of `kind`. */
bool engine_wants_record(const Engine *e, const char *kind);
/* Whether the engine has a hook for records at all (on_record or on_record_brief). */
bool engine_hears_records(const Engine *e);
/* Appends to `to` the settled records of `from` the on_record hook wants: STORE_OK or
   ENGINE_NO_MEMORY. */
int records_keep(const Engine *e, StepRecords *to, const StepRecords *from);

/* engine_counters.c: a batch's counters in memory. counters_open starts an empty
   cache serving `txn` (every run of a batch opens its own), counters_close ends it
   (nothing is written). counters_find: the counter kept under `name`, NULL when the
   cache does not serve `txn` or has not read it yet; counters_add keeps `name` at
   `value` as read from meta (NULL when the cache is closed or full, or the name too
   long: the caller then uses meta), counters_set changes its value (counted in
   c->changes). counters_flush puts every counter changed since it was read in meta, on
   the batch's transaction (before it commits). counters_nest points an open cache at a
   nested transaction `child`, copying it into *mark; counters_unnest points it back,
   and when `undo` (the nested step was aborted) restores the copy. */
/* Puts counter `name` in meta: its 8 bytes, big-endian, or no entry at all for 0. */
int counter_store(StoreTxn *txn, const char *name, uint64_t value);
void counters_open(BatchCounters *c, StoreTxn *txn);
void counters_close(BatchCounters *c);
bool counters_serve(const BatchCounters *c, const StoreTxn *txn);
BatchCounter *counters_find(BatchCounters *c, const StoreTxn *txn, const char *name);
BatchCounter *counters_add(BatchCounters *c, const char *name, uint64_t value);
void counters_set(BatchCounters *c, BatchCounter *k, uint64_t value);
int counters_flush(BatchCounters *c);
void counters_nest(BatchCounters *c, StoreTxn *child, BatchCounters *mark);
void counters_unnest(BatchCounters *c, const BatchCounters *mark, bool undo);

/* engine_txn.c: links and puts the step's records not yet written (s->written on). */
int step_write_records(Step *s);
/* A batch's chain (group commit, a timer batch): meta's head and count are read once
   when its transaction begins and written once before it commits, however many steps
   link records in between; while it is open every step_write_records on the engine links
   into it. `s` is a step of the batch's own transaction. batch_chain_close writes them
   when rc is STORE_OK (returning the store's code, else rc), and closes the chain either
   way. A step run in a nested transaction that is aborted takes its links back:
   batch_chain_mark copies the chain's place before it, batch_chain_rewind puts it back. */
int batch_chain_open(Step *s, struct HistoryChain *c);
/* The start of every run of a batch's transaction (store_write runs it again after an
   aborted run): counts the run in *runs, forgets the caches an aborted run may have
   filled, and gives the run a fresh list in *records (ENGINE_NO_MEMORY without one). */
int batch_run_begin(Engine *e, unsigned *runs, StepRecords *records);
int batch_chain_close(Step *s, struct HistoryChain *c, int rc);
void batch_chain_mark(const Engine *e, struct HistoryChain *mark);
void batch_chain_rewind(Engine *e, const struct HistoryChain *mark);
/* Keeps engine time in meta (it never goes backwards), moving s->now up to it. */
int step_clock(Step *s);
/* Engine time as meta keeps it (0 for a new store), and writes it: a timer batch reads
   it once and writes it once (engine_timers.c), not at each of its steps. */
int step_engine_time(Step *s, int64_t *kept);
int step_engine_time_put(Step *s, int64_t now);
/* Runs `work` as one step in one write transaction, then shows its records: returns
   an engine code, with a sentence in `why`. */
typedef int (*StepWork)(Step *s, void *context);
int engine_run_step(Engine *e, int64_t now, StepWork work, void *context, char *why,
                    size_t why_len);
/* The same for an input from outside at `now` (an event, an answer, an operator's
   command, a deploy, a directory load): the timers due by `now` fire first, each at its
   own due time (LANGUAGE.md, "Deadline and ties"), then `work` runs (engine.c). */
int engine_run_input(Engine *e, int64_t now, StepWork work, void *context, char *why,
                     size_t why_len);
/* Hands the records a committed transaction wrote to the engine's on_record hook. */
void engine_report_records(Engine *e, const StepRecords *records);
/* Runs `work` in a read transaction (nothing it does is kept): an engine code. */
int engine_read(Engine *e, StepWork work, void *context, char *why, size_t why_len);

/* engine_audit_index.c: the decisions index (TABLE_DECISIONS). audit_index_record
   indexes one history record as it is written (its binary bytes, which codec_canon
   accepted as the chain linked them: read where they lie, engine_codec_view.c; the
   step's records linked[0..linked_count), linked in this transaction, are read for an
   instance's `started` record before the store; step_write_records; an allocation that
   fails in it fails the step, step_end). `walked`, when not NULL, is the chain's
   canonical writer just after it wrote this record: the record's members are taken
   from its walk (codec_canon_members), not found by a second walk. `scratch`, when not
   NULL, is two buffers the caller keeps from record to record (emptied here, never
   freed here), for the keys and rows written. audit_index_build
   makes the index from the whole history as schema `schema` keeps it (the upgrade to
   schema 4, and to or from 7, whose rows name two roles more), audit_index_clear
   empties it. Each returns STORE_OK or a store code. audit_index_search runs
   engine_audit_search's search on the index: *used false (and nothing else done) when
   the store has no index or a row of it cannot be read, so the caller folds the
   history instead. */
int audit_index_record(StoreTxn *txn, const void *record, size_t len, const StepRecords *linked,
                       size_t linked_count, const CodecCanon *walked, StrBuf scratch[2]);
/* Notes a `started` record of `instance` just linked (its bytes, where the step keeps
   them, and `walked`, the chain's walk of it), so that an instance row made from it
   later in the step reads its playbook from that walk (records_put). */
void audit_index_started(uint64_t instance, const void *record, size_t len, const CodecCanon *walked);
/* Whether audit_index_record would change the index for a record of `kind` of
   `instance` (in *needed): the step reads only those (records_put). STORE_OK or a
   store code. */
int audit_index_needs(StoreTxn *txn, const char *kind, uint64_t instance, bool *needed);
int audit_index_build(StoreTxn *txn, unsigned schema);
int audit_index_clear(StoreTxn *txn);
int audit_index_search(Engine *e, const json_t *filter, json_t **out, bool *used, char *why, size_t why_len);
/* engine_audit_context on the index: each task's "similar" as engine_audit_similar makes
   it, from the decided rows of its playbook and state (the best `limit` by shared tags,
   then newest, folded); *used false as for audit_index_search (a task may then already
   have its "similar": the caller sets every task's again). */
int audit_index_context(Engine *e, json_t *tasks, size_t limit, bool *used, char *why, size_t why_len);
/* engine_audit_decisions.c: the decisions of one instance, folded from its records as
   engine_audit_decisions folds them (a new array). engine_audit_search.c: whether a
   decision matches a search's filter. */
int audit_fold_instance(Step *s, uint64_t instance, json_t **decisions);
bool audit_decision_matches(const json_t *decision, const json_t *filter);

/* engine_chain.c: the hash chain (its format is in that file's first comment). */
#define HISTORY_STAMP 41           /* the fixed stamp (HISTORY_STAMP_TAG) */
#define HISTORY_STAMP_TAG 0xA7
#define HISTORY_STAMP_VARINT 0xA8   /* the stamp with its place as a varint (written now) */
#define HISTORY_STAMP_MAX (1 + CODEC_VARINT_MAX + AUDIT_HASH)
typedef struct HistoryStamp {
    uint64_t order;                 /* place in the store-wide chain, from 1 */
    unsigned char hash[AUDIT_HASH]; /* the record's link */
} HistoryStamp;
/* Splits a history value into its stamp (when stamp is not NULL) and the record's
   bytes: false, and the whole value as the record, when it has no stamp (of either
   form). The stamp's bytes are value.len - record->len. */
bool history_split(StoreBytes value, HistoryStamp *stamp, StoreBytes *record);
/* Writes `stamp` in the form the writer puts (HISTORY_STAMP_VARINT): its length. */
size_t history_stamp_put(const HistoryStamp *stamp, unsigned char out[HISTORY_STAMP_MAX]);
/* A history key: instance number and seq, big-endian (12 bytes). */
void history_key(uint64_t instance, uint32_t seq, unsigned char key[12]);
/* The store-wide chain while a transaction writes records. */
typedef struct HistoryChain {
    StoreTxn *txn;
    uint64_t count;                 /* records in the store-wide chain */
    unsigned char head[AUDIT_HASH]; /* its head */
    bool linked;                    /* a record was linked: the three below are it */
    uint64_t instance;
    uint32_t seq;
    unsigned char last[AUDIT_HASH];
    CodecCanon canonical;           /* scratch: a record's canonical form */
} HistoryChain;
/* meta's head and count (genesis and 0 when none): STORE_OK, a store code, or
   ENGINE_FAILED when they are not of their size. */
int chain_head_read(StoreTxn *txn, uint64_t *count, unsigned char head[AUDIT_HASH]);
/* Starts from meta's head; `c` is zeroed by the caller once (its scratch is kept). */
int chain_begin(HistoryChain *c, StoreTxn *txn);
/* Links record `seq` of `instance`, given as its binary bytes (format 1 or 2, as the store
   keeps it), and fills its stamp: STORE_OK, STORE_NOT_FOUND (the record before it is
   missing or unstamped), ENGINE_NO_MEMORY, ENGINE_FAILED (bytes that are not a record),
   or a store code. */
int chain_link(HistoryChain *c, uint64_t instance, uint32_t seq, StoreBytes record,
               unsigned char stamp[HISTORY_STAMP_MAX], size_t *stamp_len);
/* The store link of record `seq` of instance number `instance` (audit_link_store). */
void chain_link_store(unsigned char head[AUDIT_HASH], uint64_t instance, uint32_t seq,
                      const unsigned char record_hash[AUDIT_HASH]);
/* Writes the head and count to meta. */
int chain_end(HistoryChain *c);
void chain_free(HistoryChain *c);
/* One stamped record as the store-wide chain sees it. */
typedef struct ChainEntry {
    uint64_t order, instance;
    uint32_t seq;
    unsigned char hash[AUDIT_HASH];
    unsigned char prev[AUDIT_HASH]; /* chain_collect: the link before it (zero when unknown) */
    uint32_t entry_seq, entry_count;   /* chain_collect: the stored entry it is read from */
    uint32_t finding;               /* engine_audit.c: 1 + the index of the finding that named the
                                       record inserted or reordered in its instance, 0 for none */
} ChainEntry;
/* Sorts entries into the chain's order (then by instance and seq, for duplicates). */
void chain_sort(ChainEntry *entries, size_t n);
/* The store-wide chain over sorted entries: heads[i] (when not NULL) is the head after
   entry i. */
void chain_heads(const ChainEntry *entries, size_t n, unsigned char (*heads)[AUDIT_HASH]);
/* Every stamped history record in chain order, in *entries (the caller frees it):
   STORE_OK, ENGINE_NO_MEMORY or a store code. */
int chain_collect(StoreTxn *txn, ChainEntry **entries, size_t *count);

/* engine_history.c: the history table's layout, read (that file's first comment). */
#define HISTORY_ENTRY_TAG 0xA9      /* a step's records of one instance, one stamp */
typedef struct HistoryEntry {
    uint64_t instance;
    uint32_t seq;                   /* its first record's */
    uint32_t count;                 /* its records: 1 but for HISTORY_ENTRY_TAG */
    int form;                       /* 0 (unstamped), HISTORY_STAMP_TAG, _VARINT, HISTORY_ENTRY_TAG */
    bool stamped;
    bool damaged;                   /* an entry of HISTORY_ENTRY_TAG that cannot be read: it
                                       is read as one unstamped record of its bytes */
    uint64_t order;                 /* stamped: its first record's place in the chain */
    unsigned char link[AUDIT_HASH]; /* stamped: its last record's link */
    StoreBytes records;             /* the records' part of the value (the record, alone) */
} HistoryEntry;
/* One record as a reader sees it. */
typedef struct HistoryItem {
    uint64_t instance;
    uint32_t seq;
    StoreBytes record;              /* its bytes: the codec's, or JSON text (schema 1) */
    bool stamped;                   /* its entry is stamped: `order` is its place */
    uint64_t order;
    bool last;                      /* its entry's last record: `link` is the one stored */
    bool linked;                    /* `link` is known: stored, or worked out (HistoryWalk.links) */
    unsigned char link[AUDIT_HASH];
    bool prev_known;                /* the link before it (zero for seq 1) is `prev` */
    unsigned char prev[AUDIT_HASH];
    const HistoryEntry *entry;      /* the entry it is read from (during a visit) */
} HistoryItem;
typedef int (*HistoryVisit)(void *context, const HistoryItem *item);
/* A walk over history entries, record by record, in key order. Zero it, set visit and
   context (and links), walk, then history_walk_free. */
typedef struct HistoryWalk {
    HistoryVisit visit;
    void *context;
    bool links;                     /* work out the links the entries do not keep */
    bool known;                     /* the last record walked and its link (when known) */
    uint64_t instance;
    uint32_t seq;
    unsigned char link[AUDIT_HASH];
    CodecCanon canonical;           /* scratch for the links worked out */
} HistoryWalk;
/* The instance and seq of a history key (0, 0 when it is not 12 bytes). */
void history_key_read(StoreBytes key, uint64_t *instance, uint32_t *seq);
/* Reads one stored entry (it never fails: see `damaged`). */
void history_entry_read(StoreBytes key, StoreBytes value, HistoryEntry *e);
/* The entry's next record: *at and *index start at 0; false past the last. */
bool history_entry_next(const HistoryEntry *e, size_t *at, uint32_t *index, HistoryItem *item);
/* Whether the record just written canonically in `c` says it is record `seq` of `instance`. */
bool history_canon_in_place(const CodecCanon *c, uint64_t instance, uint32_t seq);
/* Visits the records of one stored entry (a store_scan visitor's key and value). */
int history_walk_entry(HistoryWalk *w, StoreBytes key, StoreBytes value);
/* Visits every record of the table: STORE_OK, what a visit returned, or a store code.
   (One instance's records: store_scan or engine_scan with its 8 bytes as the prefix, and
   history_walk_entry as the visitor's body.) */
int history_walk(StoreTxn *txn, HistoryWalk *w);
void history_walk_free(HistoryWalk *w);
/* Record `seq` of `instance` (item->entry NULL, its record's bytes valid as
   store_get's): STORE_OK, STORE_NOT_FOUND, or a store code. Links are the stored ones only. */
int history_get(StoreTxn *txn, uint64_t instance, uint32_t seq, HistoryItem *item);
/* The same, read from the entry stored at `entry_seq` (the one a HistoryItem of a walk came
   from): where entries overlap (a store tampered with) history_get reads the last at or
   before `seq`, this one the entry named. */
int history_get_in(StoreTxn *txn, uint64_t instance, uint32_t entry_seq, uint32_t seq, HistoryItem *item);
/* Writes an entry of HISTORY_ENTRY_TAG: its stamp (the first record's place, how many
   records, 2 or more, the last one's link), then each record in seq order. */
void history_entry_begin(StrBuf *out, uint64_t first_order, uint32_t count, const unsigned char link[AUDIT_HASH]);
void history_entry_add(StrBuf *out, StoreBytes record);
/* The record as JSON (engine_parse_json, named by its key when damaged). */
int history_item_json(Step *s, const HistoryItem *item, json_t **out);

/* engine_idset.c */
/* A set of ids (or a map of ids to positions) for one step's work: O(1) per id however
   many, cheaper than a jansson object as a set. The ids are borrowed (the JSON strings
   they come from must outlive the set); start with IDSET_INIT, end with idset_free. Out
   of memory is counted (engine_calloc), so the step fails. */
typedef struct IdSetSlot {
    const char *id;                 /* NULL: an empty slot */
    uint32_t len, value;            /* ids longer than 4 GiB are never added */
} IdSetSlot;
#define IDSET_FEW 8                 /* a set of up to this many ids needs no table */
typedef struct IdSet {
    IdSetSlot *slots;
    size_t count, capacity;         /* capacity: a power of two, at least twice count; 0: the
                                       ids are few[0..count), looked at one by one */
    IdSetSlot few[IDSET_FEW];
} IdSet;
#define IDSET_INIT {NULL, 0, 0, {{NULL, 0, 0}}}
/* Adds `id` with `value` (below 2^32) unless it is there; true when added (false for
   NULL or an id over 4 GiB, or when it was there: then *found, if given, is its value). */
bool idset_put(IdSet *set, const char *id, size_t value, size_t *found);
/* idset_put with value 0: true when `id` was not in the set before. */
bool idset_add(IdSet *set, const char *id);
/* Whether `id` is in the set; its value in *value (may be NULL). */
bool idset_get(const IdSet *set, const char *id, size_t *value);
/* Makes room for `more` ids at once (so a big set is not grown step by step). */
void idset_reserve(IdSet *set, size_t more);
/* Adds the strings of the JSON array `ids`. */
void idset_add_all(IdSet *set, const json_t *ids);
void idset_free(IdSet *set);

/* engine_instance.c */
/* The program stored under `hash`, loaded once and cached (borrowed for the engine's
   life): STORE_OK, STORE_NOT_FOUND, or a failure (a program that does not load). */
int engine_program(Step *s, const char *hash, const Program **out);
/* Instance `number` with its program and frame: STORE_OK, STORE_NOT_FOUND when there
   is none (the caller says whether that is a refusal), or a failure naming it. */
int instance_load(Step *s, uint64_t number, Instance *out);
/* Instance `number`'s record alone (and where its frame's bytes lie, valid while the
   transaction lasts): STORE_OK, STORE_NOT_FOUND, or a failure naming it. */
int instance_get(Step *s, uint64_t number, InstanceRecord *record, StoreBytes *frame);
/* Reads an instance entry's record (checked for the fields every reader relies on) and
   finds its frame's bytes; a failure names the damaged instance. */
int instance_parse(Step *s, StoreBytes key, StoreBytes value, InstanceRecord *record, StoreBytes *frame);
/* Visits every instance's record in id order (read by instance_parse, freed after the
   visit); `visit` returns STORE_OK to go on, or a code that ends the scan. */
typedef int (*InstanceVisit)(void *context, const InstanceRecord *record);
int instance_scan(Step *s, InstanceVisit visit, void *context);
int instance_save(Step *s, Instance *in);
void instance_clear(Instance *in);
/* Sets an owned text field of the instance's record (NULL: none): STORE_OK, or the step
   failed out of memory. */
int instance_set_text(Step *s, char **field, const char *text);

/* engine_directory.c */
/* The store's directory, parsed once and cached (borrowed until the next step that
   changes it), NULL when none was loaded; a directory that cannot be read or does not
   check marks the step failed (and NULL is returned). */
const Directory *step_directory(Step *s);
/* Points the step's VM hooks (business time, zones) at the step. */
void step_hooks_init(Step *s);
int step_business_add(Step *s, const Program *program, int64_t from_ms, Value duration,
                      int64_t *out_ms);
/* `ms` as a person reads it in the zone of the program's calendar: "2026-12-07 13:00
   +02:00 (Europe/Helsinki)" in `out` (seconds shown when not zero). False, `out` empty,
   when the program names no calendar or the directory gives it no zone. */
bool step_local_time_text(Step *s, const Program *program, int64_t ms, char *out, size_t size);
/* Stores `json` as the directory, raising directory_version. */
int step_directory_store(Step *s, json_t *json);
/* The engine keeps `dir` (parsed and checked; taken over) as the store's directory at
   this step, not parsed again by the steps that follow. */
int step_directory_keep(Step *s, Directory *dir);
/* The stored directory's JSON (the caller owns it), NULL when none was loaded. */
int step_directory_json(Step *s, json_t **out);

/* engine_step.c */
void record_notes(Step *s, Instance *in, json_t *notes, const char *task, int seat);
int step_apply(Step *s, Instance *in, VmStatus status, VmResult *result);
int step_resume(Step *s, Instance *in, VmInputKind kind, Value value);
int step_retry(Step *s, Instance *in, int goto_state);
VmInput step_input(Step *s, Instance *in, VmInputKind kind, Value value);
/* The instance stalls at its suspension (an ask or wait that could not be set up): a
   `stalled` record whose error is "FILE:LINE: message", as the VM's own errors are. */
void step_stall_here(Step *s, Instance *in, const char *message);
/* step_stall_here naming the line of the ask's clause that made the failing time: the
   deadline's `within`, level N's `after` ("level", N), `remind every` ("reminder"); any
   other kind, or a suspension that is no ask, names the suspension's line. */
void step_stall_at_clause(Step *s, Instance *in, const char *kind, int64_t level, const char *message);
/* Whether a timer of `kind` (and `level`, < 0: none) due at `due` may be set: only after
   the step's engine time, and not on a stalled instance. A due at or before it stalls
   the instance with the reason (so nothing can fire in a loop under the write lock),
   naming the clause that made it (step_stall_at_clause); false then. */
bool timer_due_ok(Step *s, Instance *in, int64_t due, const char *kind, int64_t level);
/* The key of a new timer of `in` due `due` with `priority` into `key`: due (8), instance
   (8), priority (1), then the low 24 bits of meta's next_timer, raised. A timer the store
   holds under that key means the counter was lost or went back (the store's damage,
   step_fail_damaged: the new timer would overwrite it), unless the counter has gone round
   its 24 bits, when the next numbers are tried (16 at most). */
int timer_key_new(Step *s, const Instance *in, int64_t due, int priority, unsigned char key[20]);
/* Sets a timer, {"kind", "task" (NULL: none), "level" (< 0: none), "suspension"}, when
   timer_due_ok allows it; else sets none. */
int timer_set(Step *s, Instance *in, int64_t due, int priority, const char *kind, const char *task, int64_t level);
/* Whether the instance's current suspension has a timer of `priority` due at `due`. */
bool timer_is_set(const Instance *in, int64_t due, int priority);
int timers_clear(Step *s, Instance *in);
/* A stalled instance whose suspension still waits (a poison input was set aside, not
   applied) runs again: the timers that came due while it was stalled (held_timers) do
   now, in order, at this step's time; each one stale by then does nothing. */
int timers_release_held(Step *s, Instance *in);
/* Offers the instance's mailbox, oldest first, to the wait it is in: the first event an
   arm takes resumes it (and may reach another wait, offered again from the start).
   Starting after mailbox sequence number `after` (0: all), a wait that has already
   seen the older events (its locals unchanged since) is offered only the new one. */
int mailbox_offer_after(Step *s, Instance *in, uint64_t after);
/* Deletes the oldest events of the instance's mailbox until at most `keep` remain,
   adding how many to its "mailbox_discarded" count. */
int mailbox_trim(Step *s, Instance *in, size_t keep);
int case_release(Step *s, Instance *in);

/* engine_tasks.c */
/* Task `id` ("t3") into *task (zeroed first; task_record_free it whatever the result):
   STORE_OK, STORE_NOT_FOUND, or a failure naming it. */
int task_load(Step *s, const char *id, TaskRecord *task);
/* Task `id` ("t3") into *task (zeroed first; task_record_free it whatever the result),
   which a person named: no such task is a refusal ("no task 't3'"). A task of a form
   the struct cannot hold is a damaged store. */
int task_load_named(Step *s, const char *id, TaskRecord *task);
/* The task a TABLE_TASKS entry holds (typed or an older store's JSON) into *task, checked
   as task_load checks it: STORE_OK, or a failure naming the entry. */
int task_parse(Step *s, StoreBytes key, StoreBytes value, TaskRecord *task);
/* The instance a task belongs to (that it is missing is a damaged store). */
int task_instance_load(Step *s, const TaskRecord *task, Instance *in);
/* Whether the person id `person` is among a seat's `holders`. */
bool holders_include(const json_t *holders, const char *person);
/* Puts the task's record (and moves the gauges by its change of status: task->
   open_in_store takes the new one). */
int task_save(Step *s, TaskRecord *task);
/* Whether the task's status is "open". */
bool task_is_open(const TaskRecord *task);
/* No text, or only white space (Unicode's: a no-break or ideographic space alone is no
   words either): a choice `with comment` needs words, and so do an override's and a
   cancel's reason. */
bool text_is_blank(const char *text);
/* STORE_OK when the task is open and has `choice` (NULL: any), else a refusal naming
   the outcome or the choices there are. */
int task_check_open_choice(Step *s, const TaskRecord *task, const char *id, const char *choice);
int inbox_set(Step *s, const char *person, const char *task_id, bool add);
/* Tells `people` (each once, by seat then person id) about the task: a `notified`
   record each and one outbox message to them all, about "asked", "escalated",
   "reminded", "outcome" or "cancelled" (with `text`, may be NULL). */
void task_tell(Step *s, Instance *in, TaskRecord *task, const char *const *people, size_t count, const char *about,
               const char *text);
/* Closes the task with `choice` (by and comment NULL: null), saves it and resumes the
   instance with the result. */
int task_resolve(Step *s, Instance *in, TaskRecord *task, const char *choice, const char *by,
                 const char *comment);
/* Makes the task of an ask the instance is suspending on: seats, holders, the `asked`
   record, its timers. When no choice can win from the start (no seat can be filled and
   no level remains to add anyone) and the ask has a `no_quorum` arm, it sets no timers
   and *undecidable is true: the caller runs task_decide_at_once. An ask without that arm
   (N = 1) stays open until its deadline, with an `unresolved` record saying why. */
int task_create(Step *s, Instance *in, Value ask, bool *undecidable);
/* Resolves the instance's new task `no_quorum` at once and resumes the instance with it
   (LANGUAGE.md: "when no choice can, no_quorum runs at once"). Its arm may reach another
   such ask: the outermost call resolves each in turn, a loop rather than a recursion,
   and after TASK_AT_ONCE_LIMIT of them in one step the instance stalls instead of
   spinning (its last task resolved, the result kept for `huddle retry`). */
#define TASK_AT_ONCE_LIMIT 100
int task_decide_at_once(Step *s, Instance *in);
/* The quorum re-check (after an answer, an escalation, the last level, a reassignment,
   a delegation or handover that added holders; task_create checks once itself):
   when no choice can still win, `no_quorum` runs at once if the ask has an arm for it
   (*resolved is then true and the task saved); an ask without one (N = 1) stays open
   until its deadline runs `timeout`, with one `unresolved` record saying why. */
int task_recheck(Step *s, Instance *in, TaskRecord *task, bool *resolved);

/* ---- the values an ask gave, as the task keeps them (engine_task_values.c) ---- */

/* The ask's own `value` kept as member `field`: the bytes of value_to_json's JSON of it,
   written straight from it (null when the ask has none). 0, or -1 when out of memory. */
int task_keep(TaskRecord *task, TaskField field, const Value *value);
/* The instance's state kept as member "state": its text, or null. */
int task_keep_state(TaskRecord *task, const char *state);
/* "ladder_after" (each rung's "after" of `ladder` as a duration) and "remind_every". */
int task_keep_durations(TaskRecord *task, const Value *ladder, const Value *remind);
/* A duration kept on a task ({"ms": N}, or {"count": N, "unit": U} for business time),
   `times` over, into *out: false for anything else, or when `times` over overflows. */
bool task_duration(const CodecView *kept, int64_t times, Value *out);
/* The kind of a value the task keeps (null's when it has none). */
CodecKind task_value_kind(const TaskRecord *task, TaskValue v);
/* For an `oncall` seat (its who `v`), with a directory: true, and its team in *team
   (NULL when the directory has none by its id). false for any other seat. */
bool task_seat_oncall_team(Step *s, const TaskRecord *task, TaskValue v, const DirTeam **team);
/* For an `oncall` seat, who is on call now by the rotation (before substitution); NULL
   for any other seat. */
const char *task_seat_on_call(Step *s, const TaskRecord *task, TaskValue v);
/* The choices, item by item (codec_view_next); none when "choices" is not a list. */
void task_choices(const TaskRecord *task, CodecViewItems *each);
/* The choice whose id is `choice`, into *found: false when there is none. */
bool task_choice(const TaskRecord *task, const char *choice, CodecView *found);
/* The choices' ids, ", " between them (a choice without a text id as "(null)"). */
void task_choice_names(const TaskRecord *task, StrBuf *names);
/* The choices' ids as an array (those that have one), as the `asked` record holds them. */
void task_write_choice_ids(CodecWriter *w, const TaskRecord *task);
int task_timeout(Step *s, Instance *in, const char *task_id);
int task_cancel(Step *s, Instance *in, const char *by, const char *reason);
int task_escalate(Step *s, Instance *in, const char *task_id, json_int_t level);
int task_remind(Step *s, Instance *in, const char *task_id);
int task_ack(Step *s, const char *task_id, const char *by);
/* What changed in the directory, for the records of a refresh: an away event's person
   (NULL after a directory load or at a watch); absences that start now are news too,
   and so is any absence that brings a seat someone it lacked. */
typedef struct AwayNews {
    const char *person;     /* NULL: nobody named */
} AwayNews;
int task_cover_absences(Step *s, const char *task_id, const AwayNews *news);
int task_watch(Step *s, Instance *in, const char *task_id);
/* Sets the task's "watch" timer at the next moment its open seats' holders may change by
   themselves before the deadline (a holder's absence starting, an on-call shift ending),
   unless one is set for then already. Whoever adds holders calls it, so that every
   holder's absence is watched however they came to the seat. */
int task_schedule_watch(Step *s, Instance *in, TaskRecord *task);
/* An open task's holders as a watch leaves them now: each unanswered seat's holder who
   is away gets their stand-in beside them (a `delegated` record, told), an on-call seat
   whoever is on call; the quorum re-checked when that changed them, the next watch set,
   and the task saved unless the re-check resolved it. For a reassignment to someone
   away. */
int task_refresh_now(Step *s, Instance *in, TaskRecord *task);
/* `huddle retry` of an instance stalled while it waits in an ask (no input kept: a
   level's timer was refused as the ask began or escalated, say): the timers the stall
   kept from being set are set as if the ask had gone on cleanly. A level whose timer was
   refused (due at or before the step that set it) is reached now, and the ladder goes
   on from it; the next reminder is set, or told now when it came due meanwhile; the
   holders' absences are watched again. Nothing when the instance's ask is not open. */
int task_resume(Step *s, Instance *in);
int task_answer(Step *s, const char *task_id, const char *by, const char *choice,
                const char *comment);

/* engine_override.c: an operator decides an ask, or hands a seat to someone else. */
int task_override(Step *s, const char *task_id, const char *choice, const char *by,
                  const char *reason);
int task_reassign(Step *s, const char *task_id, const char *from, const char *to,
                  const char *by);

/* engine_query.c */
/* The open tasks (NULL person), or those where `person` holds a seat; the caller owns
   the list. */
int query_open_tasks(Step *s, const char *person, json_t **tasks);
/* The time (RFC 3339, as the record has it) of the last `acknowledged` record of `task`
   by `by` in instance `number`'s history into at[], and who made the last one by
   someone else and when into other_by[] (an id: at most 256 bytes) and other_at[];
   each empty when there is none. */
int query_acknowledged_at(Step *s, uint64_t number, const char *task, const char *by, char at[40],
                          char other_by[TEXT_ID_MAX + 1], char other_at[40]);

/* engine_away.c */
/* `person` is away from..to (dates or times; NULL from: now) with an optional delegate,
   or (back) is back now: the directory changes, and holders of open asks who are away
   now get their substitutes. *changed is false for a `back` of someone who was not away
   now (none of their absences goes on now, future ones included), and for an absence
   the person has already, as given: the directory is then not written. */
int step_away(Step *s, const char *person, const char *from, const char *to,
              const char *delegate, bool back, bool *changed);
/* Every open ask whose holder is away now gains that holder's substitute; `news` says
   what changed (task_cover_absences). */
int step_cover_absences(Step *s, const AwayNews *news);

/* engine_door.c: each returns STORE_OK, or ENGINE_REFUSED with a sentence in s->why. */
/* The event's source, type and id are ids (at most 256 bytes, never cut) and its data
   nests at most 1,000 deep. */
int door_check_event(Step *s, const char *source, const char *type, const char *id,
                     const json_t *data);
/* A directory.away or directory.back event's data: an object with "person" (text) and,
   for away, optional "from", "to" and "delegate" (text; null is the same as leaving
   one out); any other field, or one of another type, is refused by name (with the
   closest field for a misspelling), never read as absent. */
int door_check_directory_event(Step *s, const char *type, const json_t *data);
/* `id` is a well-formed person id (`role` names it in the sentence: "by", "to"). */
int door_check_person_id(Step *s, const char *role, const char *id);
/* The same, and a person the directory knows when the store has a directory. */
int door_check_person(Step *s, const char *role, const char *id);
/* `by`, who holds a seat on `task`, is still in the store's directory (when it has one):
   else refused with the way out, `huddle reassign TASK --from BY`. */
int door_check_holder(Step *s, const char *by, const char *task);

/* engine_events.c */
/* Raises the counter that step_playbooks' cache is keyed by (deploy, undeploy). */
int step_playbooks_changed(Step *s);
int events_accept(Step *s, const char *source, const char *type, const char *id,
                  const json_t *data, int64_t event_time, bool *duplicate);

/* engine_timers.c */
/* Fires every timer due at or before `now`; with `advance`, then moves engine time to
   `now` even when none was due. */
int engine_fire_timers(Engine *e, int64_t now, bool advance, char *why, size_t why_len);

/* engine_upgrade.c */
/* Converts a store of an older schema (JSON records) to the current one in one write
   transaction, saying so in e->notice; nothing when it is current. An engine code, with
   a sentence in `why` (the store is then left as it was). */
int engine_upgrade(Engine *e, const char *dir, char *why, size_t why_len);
/* Rewrites every record of `store` in the form of schema `to` (2: binary; 1: JSON text,
   for tests) and sets that schema, in one write transaction: a store code; the schema
   it had in *from and how many records changed in *count. */
int engine_store_convert(Store *store, unsigned to, unsigned *from, size_t *count);

/* engine_gauges.c: open tasks and running and stalled instances, kept in meta (schema 6).
   task_save and instance_save call gauges_task_saved and gauges_instance_saved before
   they put the record: the counters move by the change from the status the store held
   (TaskRecord.open_in_store; Instance.stored, stored_status) to the record's, and those
   members take the new status. gauges_scan counts both tables; gauges_build (the upgrade
   to schema 6) puts the counts in meta, gauges_clear takes them out (back to schema 5):
   store codes, a failure's sentence in `why` for gauges_build. */
int gauges_task_saved(Step *s, TaskRecord *task);
int gauges_instance_saved(Step *s, Instance *in);
int gauges_scan(Step *s, EngineGauges *out);
int gauges_build(StoreTxn *txn, char *why, size_t why_len);
int gauges_clear(StoreTxn *txn);

/* engine_seen_key.c: the key of a `seen` entry (its form is in that file's first
   comment). Appends the key of event `id` from `source` to `out`: false when out of
   memory (or an id longer than 4,335 bytes, which the door refuses long before). */
bool seen_key(StrBuf *out, const char *source, const char *id);
/* The source and id of a seen key: of the old form (source NUL id, stores of schema 1
   to 4) when old_form, else of schema 5's; false when `key` is not of that form. The
   parts point into the key's bytes (the source is not NUL-terminated). */
bool seen_key_split(StoreBytes key, bool old_form, StoreBytes *source, StoreBytes *id);
/* Rewrites every key of the seen table into schema 5's form (to_length) or back to the
   old one, in the caller's write transaction; adds the keys it moved to *count. A key
   not of the form it is converted from is left as it is. */
int seen_rekey(StoreTxn *txn, bool to_length, size_t *count);

/* engine.c */
/* An engine over an open `store` (borrowed for the engine's life): for tests and
   benchmarks that hold the store themselves; everyone else calls engine_open. */
Engine *engine_new(Store *store, const EngineOptions *options);
void engine_free(Engine *engine);
/* Stores a compiled program and makes it its playbook's current version (the version
   in hash[]); deploying the current version again changes nothing. */
int step_deploy(Step *s, const uint8_t *bytes, size_t len, char hash[65]);

/* engine_outbox.c: entries, keys, results (see its header); the entry is an OutboxEntry
   (engine_outbox_entry.h) */
/* Writes a new entry (its fields taken over and `entry` zeroed, whatever happens) with
   its kind, base and index already in it, adding what every entry starts with (pending,
   no attempt, due now; OUTBOX_AFTER_FAILURE_MS later when it is the operation of the
   failed call its step resumes on, s->failed_call). */
#define OUTBOX_AFTER_FAILURE_MS 1000
int outbox_write(Step *s, OutboxEntry *entry);
/* Reads entry `seq` (STORE_NOT_FOUND: none; a damaged one fails the step, naming it) and
   puts it back (encoded). */
int outbox_get(Step *s, uint64_t seq, OutboxEntry *entry);
int outbox_put(Step *s, uint64_t seq, const OutboxEntry *entry);
/* A call's entry, CONNECTOR.OPERATION(arg) (arg NULL: null); its key is also written in
   the `called` record being written (`record`, when given). */
int outbox_call(Step *s, Instance *in, const char *connector, const char *operation, const json_t *arg,
                CodecWriter *record);
/* A send's entry; its key is written in the `sent` record being written. */
void outbox_send(Step *s, Instance *in, const char *connector, const char *operation, const json_t *arg,
                 CodecWriter *record);
/* One message to `people` (distinct ids, in the order their keys take) about `about`
   ("asked", "reminded", "escalated", "outcome", "cancelled" with the task; "notify"
   with the text). */
void outbox_tell(Step *s, Instance *in, const char *const *people, size_t count, const char *about,
                 const TaskRecord *task, const char *text);
/* Whether the call's instance still waits at the entry's suspension (*waits). */
int outbox_call_waits(Step *s, const OutboxEntry *entry, bool *waits);
/* Applies a call's reply (or failure) to its instance when it still waits at the
   entry's suspension (else nothing: stale). `failure` NULL: the call succeeded, with
   `reply` (NULL: a connector that answers nothing, as smtp: the call returns null). */
int outbox_call_result(Step *s, const OutboxEntry *entry, const json_t *reply, const char *failure);
/* The failure message of a call that failed for good after `attempts` tries, into buf:
   "ERROR", or "ERROR (after N attempts)" when it was tried more than once. The same
   words whether serve, tick or huddle run's mocks failed it: the call_failed record's
   error, `error` in an else block, and the stall's reason. */
void outbox_call_failure(char *buf, size_t len, const char *error, int64_t attempts);
/* Calls `visit` with each outbox entry in order (decoded; the visit may take its fields
   over, zeroing it; what is left is freed after the call) and its sequence number; a
   visit returning STORE_STOP ends the scan, which then returns STORE_OK. A damaged entry
   fails the step, naming it. */
typedef int (*OutboxVisit)(Step *s, uint64_t seq, OutboxEntry *entry, void *context);
int outbox_each(Step *s, OutboxVisit visit, void *context);
/* The same, from the entry numbered `from` on. */
int outbox_each_from(Step *s, uint64_t from, OutboxVisit visit, void *context);
/* Tells the dispatcher that entry `seq` was written (new, or pending again): its next
   scan starts there at the latest. */
void outbox_mark_written(Engine *e, uint64_t seq);
/* Records a send's or message's result on the entry's instance (person NULL: a send):
   `delivered`, or `send_failed` with `error` when it failed for good (error non-NULL). */
int outbox_record_delivery(Step *s, const OutboxEntry *entry, const char *person, const char *channel,
                           const char *error);

/* engine_ask_context.c: the similar past decisions an `asked` message carries (at most
   ASK_CONTEXT_LIMIT, engine_audit_similar's form), decided when the ask is made: a new
   array the caller owns (empty when none; NULL with the step failed). */
#define ASK_CONTEXT_LIMIT 3
json_t *ask_context_similar(Step *s, const Instance *in, const char *task_id);
/* A `resolved` record of `instance` is being written in the step's transaction: noted in
   the ask window kept for that transaction, if any (record_put). */
void ask_window_note(Step *s, uint64_t instance);
/* A record of `instance` is being written: its fold, if kept, is let go. */
void ask_window_written(Engine *e, uint64_t instance);
/* Lets go of everything the window keeps (engine_forget_caches). */
void ask_window_forget(Engine *e);
/* A new instance, numbered `instance` in this transaction, has no history: when it is
   next after the window kept for the transaction, the window takes it in without a read
   (its `resolved` records are noted like any other's). */
void ask_window_begun(Step *s, uint64_t instance);

/* engine_dispatch.c */
typedef struct Dispatcher Dispatcher;
void dispatcher_free(Dispatcher *dispatcher);
/* Claims, inside a batch's write transaction `txn` (at its end, in a nested one), the
   entries this engine wrote since its last scan, when it has a dispatcher (serve): they
   are started by dispatch_commit_claims(e, true) once the transaction commits, so a
   new entry needs no claim commit of its own; dispatch_commit_claims(e, false) drops
   them when it does not (they are claimed again by a later round). A claim that fails
   is dropped and changes nothing. */
void dispatch_claim_written(Engine *e, StoreTxn *txn, int64_t now);
/* Whether an entry just written may be claimed now: false only for a message one of
   whose recipients still to be told has no way (their channel's connector is not kept);
   true when there is no dispatcher yet. A batch whose entries may none be claimed reads
   none of them back (dispatch_claim_written). */
bool dispatch_may_claim(Step *s, const OutboxEntry *entry);
void dispatch_commit_claims(Engine *e, bool committed);
/* Settles, inside a batch's write transaction `txn` (in a nested one), the claims whose
   requests came back and that a round left for it (engine_dispatch_round's
   `settle_later`); their records join `records` (none: NULL). dispatch_commit_claims(e, true) frees
   them once the batch commits; (e, false), or a failure here, puts them back for a
   round to settle in a transaction of its own. */
void dispatch_settle_in_batch(Engine *e, StoreTxn *txn, int64_t now, StepRecords *records);

#endif
