/*
 * engine.h - the durable engine: events start and join instances, the VM runs one step
 * at a time, and everything a step does is written in the same store transaction.
 *
 * A step takes one input (an event, an answer, a timer, a call's reply or failure),
 * resumes the instance's VM to its next suspension, and writes the new frame, history
 * records, tasks, timers, mailbox and outbox changes together
 * (../shared/design/RUNTIME.md, "What it promises"). Engine time is passed in by the
 * caller: the wall clock, or a virtual clock for `huddle run` and `--now`.
 *
 * Records a step writes are also handed to `on_record` after the transaction commits,
 * so a driver (the run timeline) can show them as they happen.
 */
#ifndef HUDDLE_ENGINE_H
#define HUDDLE_ENGINE_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

typedef struct Engine Engine;

/* What every engine call returns: ENGINE_OK, or one of these, with a sentence in the
   call's `why` buffer. The numbers are the engine's own, never a store's code. */
enum {
    ENGINE_OK = 0,
    ENGINE_REFUSED = -100,      /* the input was refused: nothing of it changed */
    ENGINE_FAILED = -101,       /* the store or the system failed: see why */
    ENGINE_NO_MEMORY = -102,    /* an allocation failed: nothing was committed */
    ENGINE_NOT_A_STORE = -103,  /* the folder is not a store this binary can open */
    ENGINE_BUSY = -104          /* another process holds the store */
};

/* What a refusal is about, beside its sentence: the kind of wrong the input did, and the
   input's field it names. serve answers with the status and "field" these give
   (docs/operations.md's status table), never by reading the sentence, which may quote
   the client's own text. */
typedef enum EngineRefusalKind {
    ENGINE_REFUSAL_INPUT = 0,   /* the input does not fit what it names (422) */
    ENGINE_REFUSAL_NOT_FOUND,   /* it names no task or instance the store has (404) */
    ENGINE_REFUSAL_NOT_YOURS,   /* the person holds no open seat on the task (403) */
    ENGINE_REFUSAL_CONFLICT     /* answered, closed or ended already, or not stalled (409) */
} EngineRefusalKind;

typedef struct EngineRefusal {
    EngineRefusalKind kind;
    char field[80];             /* the field of the input it is about ("choice", "by",
                                   "data.to"), or "" */
} EngineRefusal;

/* What the last engine call that returned ENGINE_REFUSED was refused for (a group
   commit's inputs each keep their own, EngineInput.refusal). Borrowed; valid until the
   engine's next call. */
const EngineRefusal *engine_refusal(const Engine *engine);

/* Engine time runs from 1970-01-01T00:00:00Z to before 9000-01-01T00:00:00Z (in ms):
   a `--now` or trace time outside is refused, so no deadline falls where no clock can
   reach it. engine_check_time returns ENGINE_OK, or ENGINE_REFUSED with a sentence
   naming `name` (the argument, as the caller shows it) in `why`. */
#define ENGINE_TIME_MIN_MS INT64_C(0)
#define ENGINE_TIME_MAX_MS INT64_C(221845392000000)
int engine_check_time(const char *name, int64_t ms, char *why, size_t why_len);

/* A short name for a code ("refused", "store failed", ...); never NULL. */
const char *engine_strerror(int code);

/* Called with each history record (borrowed) after its step committed. The record is
   made from the stored bytes for the hook alone (nothing in the engine holds it), so a
   hook may keep it with json_incref rather than copy it. */
typedef void (*EngineRecordFn)(void *context, const json_t *record);

/* A string a record holds, borrowed for the call: `len` bytes (it may hold a NUL), not
   NUL-terminated; text NULL when the record has no such member, or it is no string. */
typedef struct EngineText {
    const char *text;
    size_t len;
} EngineText;
/* The few members of a record a log line names, read where they lie in its stored
   bytes: no JSON is made (serve's log). */
typedef struct EngineRecordBrief {
    const char *kind;
    EngineText instance, state, task;
} EngineRecordBrief;
typedef void (*EngineRecordBriefFn)(void *context, const EngineRecordBrief *record);

typedef struct EngineOptions {
    EngineRecordFn on_record;
    /* Instead of on_record (set one of them): each record's brief. */
    EngineRecordBriefFn on_record_brief;
    void *record_context;
    /* The kinds of record the hook is given ("started", ...; a NULL-terminated list),
       or NULL for every kind: records of other kinds are never made into JSON. */
    const char *const *record_kinds;
    const json_t *mocks;        /* `huddle run --mocks`: connector.operation -> reply */
    bool create;                /* make a new store when DIR holds none (deploy, run) */
    bool no_sync;               /* skip fsync at commit: throwaway stores only (run) */
    bool read_only;             /* the caller only reads: an older store is read as it is,
                                   not converted */
    bool sync_root_later;       /* a commit costs one flush, not two: its root page reaches
                                   the disk with the next commit's flush or engine_sync
                                   (engine_durable); for serve, which answers only what is
                                   durable */
    bool grow_ahead;            /* keep the store's file ahead of its use (serve: see
                                   StoreOptions) */
} EngineOptions;

/* Opens the store in `dir` and an engine over it; the caller owns *out and releases
   it with engine_close. A store of an older schema (1: JSON records) is converted to
   the current one in one write transaction unless options->read_only (engine_notice
   then says so). ENGINE_NOT_A_STORE (a folder that is no store, or of an unknown
   version), ENGINE_BUSY or ENGINE_FAILED, with a sentence a person can act on. */
/* Calls `hook(dir, what)` when LMDB's own checks find a store's pages inconsistent (a
   damaged data.mdb; LMDB would abort next). Set once by the binary's main, whose hook
   refuses the store and does not return (store.h, store_on_damage). */
void engine_on_store_damage(void (*hook)(const char *dir, const char *what));
/* The store's folder when the calling thread is inside LMDB's reading or writing of its
   pages, else NULL (store.h, store_in_lmdb): async-signal-safe, for main's fault handler. */
const char *engine_in_store_pages(void);
/* The store's folder while the calling thread has a store transaction open, else NULL
   (store.h, store_in_txn): async-signal-safe, for main's handler of an abort. */
const char *engine_in_store_txn(void);

int engine_open(const char *dir, const EngineOptions *options, Engine **out, char *why,
                size_t why_len);
void engine_close(Engine *engine);
/* Durability under EngineOptions.sync_root_later: engine_commits counts this engine's
   commits; the first engine_durable of them are on disk whatever happens to the machine
   (without sync_root_later, all of them). A later commit that wrote anything makes those
   before it durable; engine_sync makes them all durable (ENGINE_FAILED with a sentence
   when the disk refuses). */
uint64_t engine_commits(const Engine *engine);
uint64_t engine_durable(const Engine *engine);
int engine_sync(Engine *engine, char *why, size_t why_len);

/* A sentence to tell once about what opening the store did ("converted the store in DIR
   from schema 1 to 2 (N records)"), or NULL; borrowed for the engine's life. */
const char *engine_notice(const Engine *engine);

/* Every call below returns ENGINE_OK, or ENGINE_REFUSED with a sentence in `why` (the
   input was refused and nothing changed), or ENGINE_FAILED / ENGINE_NO_MEMORY for a
   store or system error (also in `why`). A record the store should hold and does not,
   or holds but cannot be read, is ENGINE_FAILED with a sentence naming it ("the store
   is damaged: task t3 is not JSON (...)"): never a refusal, and never skipped; a
   refusal is for an input that names something that is not there. */

/* Stores a compiled program under its hash and makes it the playbook's current version. */
int engine_deploy(Engine *engine, const uint8_t *bytecode, size_t len, int64_t now,
                  char hash[65], char *why, size_t why_len);

/* One playbook of engine_deploy_set: its compiled bytes in, its version out. */
typedef struct EngineDeployItem {
    const uint8_t *bytecode;
    size_t len;
    char hash[65];              /* out: the version */
} EngineDeployItem;

/* Deploys `count` programs as engine_deploy does and, when `connectors` is not NULL,
   keeps it as the store's connectors (replacing those kept before; NULL keeps them),
   all in one transaction: when any part is refused or fails, nothing is deployed and
   nothing kept. `connectors` is a connectors file's JSON, checked here again by
   runtime/connectors/ (a refusal names its first problem) and kept in the form
   conn_file_json writes: names of environment variables, never a secret. */
int engine_deploy_set(Engine *engine, EngineDeployItem *items, size_t count,
                      const json_t *connectors, int64_t now, char *why, size_t why_len);

/* The connectors the store keeps (conn_file_json's form) in *connectors, which the
   caller owns; NULL when none were ever kept. Kept connectors that do not check are
   damage (ENGINE_FAILED, naming them). */
int engine_connectors(Engine *engine, json_t **connectors, char *why, size_t why_len);

/* Accepts an event. `duplicate` is set when its id was seen before (nothing changes). */
int engine_event(Engine *engine, const char *source, const char *type, const char *id,
                 const json_t *data, int64_t event_time, int64_t now, bool *duplicate,
                 char *why, size_t why_len);

/* Where the event engine_event last accepted went, one object per playbook it met:
   {"playbook", "instance", "as": "started" | "joined"}, {"playbook", "as": "counted"}
   (a threshold not reached yet), {"playbook", "error"} (its `when` or `case` failed), or
   {"directory": "away" | "back"}. An empty array: no trigger matched. NULL after a
   duplicate or a refusal. Borrowed: valid until the next engine_event or engine_free. */
const json_t *engine_event_routes(const Engine *engine);

/* One input of a group commit. */
typedef enum EngineInputKind { ENGINE_INPUT_EVENT, ENGINE_INPUT_ANSWER, ENGINE_INPUT_ACK } EngineInputKind;
typedef struct EngineInput {
    EngineInputKind kind;
    const char *source, *type, *id;         /* events */
    const json_t *data;
    int64_t event_time;
    const char *task, *by, *choice, *comment;   /* answers (acks: task and by) */
    /* serve (issue 12): the name of the token an answer or ack came with, recorded
       beside `by` in its history record (NULL: none); and whether to keep where an
       accepted event went in `routes` (engine_event_routes' form, a new reference the
       caller releases; NULL otherwise) */
    const char *token;
    bool want_routes;
    json_t *routes;
    int result;                             /* out: ENGINE_OK, _REFUSED or _FAILED */
    bool duplicate;                         /* out: an event id seen before */
    bool repeat;                            /* out: an answer or ack that repeats one
                                               applied before, which changed nothing
                                               (why says so: "ben had acknowledged t1
                                               already, at T; nothing changed") */
    unsigned started, joined, counted;      /* out: where an accepted event went (the
                                               routes of engine_event_routes: instances
                                               it started, cases it joined, thresholds
                                               it counted toward but did not reach) */
    char why[256];                          /* out: why it was refused */
    EngineRefusal refusal;                  /* out: what it was refused for */
} EngineInput;

/* Group commit: applies `count` inputs in one write transaction, with no nested
   transaction per input; a refused or failing one still undoes only itself (one
   refused after it wrote, or failing, makes the batch run again without it: see
   docs/internals.md, "Group commit"). Nothing is acknowledged (results set) before the
   whole transaction commits, and every out field describes the run that committed.
   Returns ENGINE_OK, or ENGINE_FAILED when the transaction itself failed (then no input
   was applied). */
int engine_apply_batch(Engine *engine, EngineInput *inputs, size_t count, int64_t now);

/* The same group commit, applied while its inputs arrive (serve's round: each input is
   applied as the HTTP thread hands it over, and the round commits once): begin it, add
   inputs as they come, commit. The caller's `inputs` array stays put and grows in place
   until engine_stream_commit: engine_stream_add(stream, count) says inputs[0..count) are
   in and applies the new ones at once, in the batch's transaction, which stays open
   (other writers wait) until the commit. engine_stream_commit commits, or, when an input
   ended that first run (one refused after it wrote, or failing, or the map full), runs
   the batch again as engine_apply_batch does; then every out field is set, its result is
   engine_apply_batch's, and the stream is freed. engine_stream_begin fails only for
   memory (ENGINE_NO_MEMORY, *stream NULL). */
typedef struct EngineStream EngineStream;
int engine_stream_begin(Engine *engine, EngineInput *inputs, int64_t now, EngineStream **stream);
void engine_stream_add(EngineStream *stream, size_t count);
int engine_stream_commit(EngineStream *stream);

/* Sets aside an input that stopped the process each of the `attempts` times it was
   applied (engine_poison.c): an answer or ack stalls its task's instance ("poison
   input: ..."), an event is marked seen without running anything. ENGINE_REFUSED when
   the task is not there. */
int engine_poison_input(Engine *engine, const EngineInput *input, unsigned attempts, int64_t now, char *why,
                        size_t why_len);

/* Answers an open ask as `by`. The repeat of an answer `by` gave (same choice and
   comment) changes nothing and is not committed: ENGINE_OK with "ana had answered t1
   already (yes), at T; nothing changed" in why (empty after any other success). */
int engine_answer(Engine *engine, const char *task, const char *by, const char *choice,
                  const char *comment, int64_t now, char *why, size_t why_len);

/* Fires every timer due at or before `now`, each at its own due time, in order. When
   one fails, the timers due before it are committed, it and the later ones are not
   fired, and its failure is returned. */
int engine_fire_due(Engine *engine, int64_t now, char *why, size_t why_len);
/* How many due timers this engine has fired (committed) since it opened. */
uint64_t engine_timers_fired(const Engine *engine);

/* The due time of the earliest timer, if there is one (*found says). */
int engine_next_due(Engine *engine, bool *found, int64_t *due_ms, char *why, size_t why_len);

/* Delivers the outbox's calls due at `now` from `mocks` (connector.operation -> a
   reply, a list of replies used in turn, or {"fail": "message"}): each reply or failure
   is its own step at `now`. A call with no mock fails with a message saying so. A
   failing mock of a connector the store keeps (`huddle run --connectors`) is a failed
   attempt: the call is tried again after its backoff (engine_outbox_next_try says
   when), taking the next mock, until its connector's retries are spent. */
#define ENGINE_MOCK_CHAIN 1000     /* answers in one engine_deliver_mocks before it refuses */
int engine_deliver_mocks(Engine *engine, const json_t *mocks, int64_t now, char *why,
                         size_t why_len);

/* The dedup period of a store that was never given one (RUNTIME.md: --dedup-days,
   default 30). */
#define ENGINE_DEDUP_DAYS 30

/* Deletes the seen entries of event ids first seen more than the store's dedup period
   before `now`: such an id is a new event again whether or not it was deleted (the
   lookup forgets it too), so this only gives the space back. `days` > 0 first makes it
   the store's period (meta `dedup_days`, `huddle tick --dedup-days N`); 0 keeps the
   store's (default ENGINE_DEDUP_DAYS). */
int engine_purge_seen(Engine *engine, int64_t now, int days, char *why, size_t why_len);

/* The one open task `person` can still answer (engine_inbox's list), else, when there
   is none, the one open task where they hold a seat: its id, or -1 when there are none
   or several (why says which). */
int engine_find_task_for(Engine *engine, const char *person, char task[32], char *why,
                         size_t why_len);

/* The latest engine time kept in the store (0 for a new store). */
int engine_time(Engine *engine, int64_t *now, char *why, size_t why_len);

/* A JSON array of every instance (id, playbook, version, status, state, outcome, tags,
   case: its case key or null, started: when it started, RFC 3339 UTC) in *instances,
   which the caller owns. */
int engine_instances(Engine *engine, json_t **instances, char *why, size_t why_len);
/* Instance `id`'s summary (as engine_instances gives it) in *summary, which the caller
   owns; ENGINE_REFUSED "no instance 'ID'" when there is none. One read of it. */
int engine_instance(Engine *engine, const char *id, json_t **summary, char *why, size_t why_len);
/* The summaries of the instances `ids` (a JSON array of ids) names, in id order, each
   with "task": the id of the ask it waits on, open, or null. An id with no instance is
   left out. One read of each instance and of its ask, whatever the store holds:
   what a write command prints of the instances it moved. */
int engine_instances_now(Engine *engine, const json_t *ids, json_t **instances, char *why,
                         size_t why_len);

/* A JSON array of every playbook ever deployed, by name: {"name", "hash" (the current
   version), "undeployed", "log": [{"at", "hash"}] (each deploy, oldest first)} in
   *playbooks, which the caller owns. */
int engine_playbooks(Engine *engine, json_t **playbooks, char *why, size_t why_len);

/* The calendar named by the program of version `hash` (`calendar "office"`) in name[],
   empty when it names none; a version the store lacks is damage (ENGINE_FAILED). */
int engine_program_calendar(Engine *engine, const char *hash, char *name, size_t len, char *why,
                            size_t why_len);

/* Acknowledges: `by` is on it; their open seats escalate no further. When every seat
   `by` holds is acknowledged already, nothing changes (not committed): ENGINE_OK with
   "ben had acknowledged t1 already, at T; nothing changed" in why (T from the
   `acknowledged` record; empty why after any other success). */
int engine_ack(Engine *engine, const char *task, const char *by, int64_t now, char *why,
               size_t why_len);

/* Who takes an operator action (resolve, reassign, retry, cancel): `by`, a person id (a
   retry may leave it NULL), the `reason` given (NULL: none), and for serve the name of
   the token it came with (NULL from the CLI). The records it makes carry all three. */
typedef struct EngineActor {
    const char *by, *reason, *token;
} EngineActor;

/* Decides an open ask as an override: `overridden` (by, token, reason, the votes so far),
   then resolved with `choice`; the instance goes on. */
int engine_resolve(Engine *engine, const char *task, const char *choice, const EngineActor *actor, int64_t now,
                   char *why, size_t why_len);

/* Hands `from`'s open seats on the task to `to` (a `delegated` record each, why:
   reassigned, with by and token); `to` is told. The actor's reason is not used. */
int engine_reassign(Engine *engine, const char *task, const char *from, const char *to,
                    const EngineActor *actor, int64_t now, char *why, size_t why_len);

/* Replaces the directory (checked first: every problem is listed in `why`, one a line,
   as "json.path: what is wrong", and nothing changes), after the timers due by `now`
   have fired. engine_directory puts the stored
   directory JSON (caller owns it) in *directory, NULL when none was loaded. */
int engine_directory_load(Engine *engine, json_t *directory, int64_t now, char *why,
                          size_t why_len);
int engine_directory(Engine *engine, json_t **directory, char *why, size_t why_len);

/* A directory change: `person` is away from..to (dates or times; NULL from: now) with an
   optional delegate, or (back) is back now. Holders of open asks who are away now get
   their substitutes added. A `back` of someone not away now changes nothing (nothing is
   committed): ENGINE_OK with "PERSON was not away (nothing changed)" in why (empty
   otherwise). */
int engine_away(Engine *engine, const char *person, const char *from, const char *to,
                const char *delegate, bool back, int64_t now, char *why, size_t why_len);

/* Operators. retry resumes a stalled instance from the same suspension with the same
   input (or, with `state`, enters that state instead); cancel ends a running or stalled
   instance, closing its open ask and telling its holders; undeploy stops new instances
   of a playbook (running ones go on). */
/* A retry that stalls again is committed and returns ENGINE_OK with "ID stalled again:
   ERROR" in `why` (empty when it did not stall). Its `retried` record has goto, and by,
   token and reason when the actor gives them; a cancel needs by and a reason. */
int engine_retry(Engine *engine, const char *instance, const char *state, const EngineActor *actor,
                 int64_t now, char *why, size_t why_len);
int engine_cancel(Engine *engine, const char *instance, const EngineActor *actor, int64_t now, char *why,
                  size_t why_len);
int engine_undeploy(Engine *engine, const char *playbook, int64_t now, char *why,
                    size_t why_len);

/* The history of instance `id` ("i3") in order, in *records (the caller owns it);
   ENGINE_REFUSED when there is no such instance. */
int engine_history(Engine *engine, const char *id, json_t **records, char *why, size_t why_len);

/* What /metrics shows of the store: open tasks, running and stalled instances, as meta
   keeps them (engine_gauges.c: three reads, whatever the store's size; a store of a
   schema before 6, opened read-only, is counted instead). engine_gauges_counted counts
   them from the records themselves, one read of both tables (for tests and checks). */
typedef struct EngineGauges {
    uint64_t open_tasks, running, stalled;
} EngineGauges;
int engine_gauges(Engine *engine, EngineGauges *out, char *why, size_t why_len);
int engine_gauges_counted(Engine *engine, EngineGauges *out, char *why, size_t why_len);

/* Open tasks, all or those where `person` holds a seat (NULL: all), in *tasks (the
   caller owns it). */
int engine_open_tasks(Engine *engine, const char *person, json_t **tasks, char *why,
                      size_t why_len);

/* A person's inbox: the open tasks `person` can still answer (LANGUAGE.md "Answers":
   they hold a seat nobody has answered and have not answered the task; an ask they
   acknowledged stays), or every open task when `person` is NULL, in *tasks (the caller
   owns it). What `huddle tasks [--for P]` and GET /v1/tasks[?for=P] both list. */
int engine_inbox(Engine *engine, const char *person, json_t **tasks, char *why, size_t why_len);

/* ---- the decision record (engine_audit.c, engine_audit_query.c; docs/audit.md) ----
   Every call reads in one transaction and returns JSON the caller owns, so the CLI and
   an HTTP route print the same thing. */

/* Checks every instance's chain and the store-wide chain. *report: {"records",
   "instances", "head" (hex, of the records found), "count", "problems": [{"instance",
   "seq", "to" (each null where it says nothing: a store-wide problem, a finding of one
   record), "problem": changed|removed|inserted|reordered|unchained|head|cut, "why"}],
   "head_given": {"covers", "newer"} when `head_hex` (a head kept elsewhere) is in the
   store's chain, else null}. ENGINE_OK whatever it found (problems
   may be empty or not); ENGINE_REFUSED for a head that is not 64 hex digits. */
int engine_audit_verify(Engine *engine, const char *head_hex, json_t **report, char *why,
                        size_t why_len);
/* The store-wide head as meta keeps it: {"head": hex, "count": records}. */
int engine_audit_head(Engine *engine, json_t **head, char *why, size_t why_len);

/* The export: calls `row` with each line (borrowed for the call; a non-zero return
   stops the export and is returned): a first {"export": "huddle audit", "version": 1,
   "store", "store_prev", "since", "from"}, then each history record from the first at
   or after `since` (INT64_MIN: all) in commit order, {"order", "instance", "seq",
   "prev", "hash", "chain", "record"}, and a last {"head", "count"}. docs/audit.md
   says how each hash is made. */
typedef int (*EngineAuditRow)(void *context, const json_t *row);
int engine_audit_export(Engine *engine, int64_t since, EngineAuditRow row, void *context,
                        char *why, size_t why_len);

/* The decisions the record holds, one a task, in instance and ask order: {"instance",
   "playbook", "state", "task", "question", "choices", "asked_at", "asked" (holders when
   asked), "held" (everyone who held a seat), "delegated", "escalated" (counts),
   "handed_from" (whose seats went to someone else as it was asked: away), "operators"
   (who overrode it or reassigned a seat),
   "answers": [{"by", "choice", "comment", "at", "seconds" (after they got a seat)}],
   "choice", "by", "comment", "decided_at", "seconds" (null while open), "outcome" (how
   the instance ended: a done's outcome, a failed's reason, "cancelled"; null while
   running), "status" (of the instance: "done", "failed", "cancelled"; null while
   running), "tags", "notes", "asked_hash", "decided_hash"}. */
int engine_audit_decisions(Engine *engine, json_t **decisions, char *why, size_t why_len);
/* How a decision (or a similar one) says its instance ended, for people and for stats'
   counts: "failed: REASON" for a failed instance, else its outcome; a new reference, or
   NULL while it runs (or for a similar decision kept before it had a status: its
   outcome as it is). */
json_t *engine_audit_outcome_words(const json_t *decision);
/* Those that match every field of `filter` (may be NULL): "playbook", "state",
   "choice", "outcome" (the outcome, or "failed" for every failed instance), "tag", "person" (held, answered, handed away from as it was
   asked, or an operator of it), "asked", "held",
   "answered" (texts), "words" (each, case-insensitive, in the question, comments or
   notes), "since" / "until" (ms, when asked), "limit"; newest first. */
int engine_audit_search(Engine *engine, const json_t *filter, json_t **decisions, char *why,
                        size_t why_len);
/* Whether `words` (a "words" filter) holds no word: empty, or spaces only. Such a
   filter would match every decision; the doors refuse it as they refuse an empty one. */
bool engine_audit_words_none(const char *words);
/* Per playbook and state, over the decisions `filter` keeps: [{"playbook", "state",
   "decisions", "decided", "open", "median_seconds", "p90_seconds", "delegated",
   "escalated", "choices": {C: n}, "outcomes": {O: n}, "asked_most": [{"person",
   "asked"}], "slowest": [{"person", "answers", "median_seconds"}]}]. */
int engine_audit_stats(Engine *engine, const json_t *filter, json_t **stats, char *why,
                       size_t why_len);
/* Past decisions like an open ask of `playbook` in `state` (LANGUAGE.md, "Context"):
   decided ones of the same playbook and state, most tags shared with `tags` first, then
   newest; at most `limit`, each {"instance", "task", "choice", "by", "comment",
   "decided_at", "outcome", "status", "shared_tags"}, from `decisions` (engine_audit_decisions').
   `except` (a task id, may be NULL) is left out. */
int engine_audit_similar(const json_t *decisions, const char *playbook,
                         const char *state, const json_t *tags, const char *except, size_t limit,
                         json_t **similar);

/* Adds "similar" (engine_audit_similar's list, at most `limit`) to each open task of
   `tasks` (engine_open_tasks' form): what `huddle tasks` and the HTTP task view show
   beside the question. */
int engine_audit_context(Engine *engine, json_t *tasks, size_t limit, char *why, size_t why_len);
/* ---- the outbox: delivery through connectors (issue 13; docs/connectors.md) ---- */

/* What the outbox holds and what its dispatcher did since the engine opened. */
typedef struct EngineOutboxStats {
    uint64_t pending;               /* entries waiting to be delivered */
    uint64_t failed_entries;        /* entries failed for good, kept for outbox retry */
    int64_t oldest_ms;              /* age of the oldest pending entry; 0: none */
    uint64_t in_flight;             /* entries being delivered now */
    uint64_t delivered, retried, failed;    /* deliveries by outcome (attempts) */
    uint64_t waiting;               /* entries not tried for want of a secret's variable
                                       (engine_outbox_deliver: at its last full scan) */
    char waiting_why[256];          /* the first one's reason, when waiting */
    bool chain_cut;                 /* engine_outbox_deliver stopped a chain of
                                       OUTBOX_TICK_CHAIN rounds of new entries */
} EngineOutboxStats;

/* One round of the dispatcher at engine time `now` (engine_dispatch.c): claims the due
   entries (with a lease, so a crash re-delivers them with the same key), runs their
   requests for at most `max_wait_ms` (requests still running carry over to the next
   round), and settles the entries whose requests are back (in one transaction, each
   alone if that fails): a call's reply or final failure resumes its instance. With
   `settle_later`, those are left for the next engine_apply_batch, which settles them in
   its own transaction (serve, when inputs wait: one synced commit less before them).
   *next_wake_ms: when the next round has work (`now` while requests are in flight or
   wait to be settled; INT64_MAX: nothing waits). Cheap when nothing is due. Call it from
   one thread, again and again. */
int engine_dispatch_round(Engine *engine, int64_t now, int max_wait_ms, bool settle_later, int64_t *next_wake_ms,
                          char *why, size_t why_len);
/* The entries the dispatcher found waiting for a secret's environment variable and
   noted as such (their error says why) since the last call, with the first one's
   reason in `why`: what serve logs. */
uint64_t engine_dispatch_noted(Engine *engine, char *why, size_t why_len);
/* The outbox's depth and age at `now`, with the dispatcher's counts, for metrics. */
int engine_dispatch_stats(Engine *engine, int64_t now, EngineOutboxStats *stats, char *why, size_t why_len);
/* What `huddle tick` does: delivers every due entry once at `now`, waiting for the
   replies (each bounded by its connector's timeout) and applying them, until nothing is
   due or in flight. *done (may be NULL): the deliveries it made, by outcome. A reply
   that makes a new call has it delivered in the same tick, up to OUTBOX_TICK_CHAIN
   rounds that each began with entries written since the last (a loop that calls again
   on every reply spins while its peer answers at once): then the tick ends once
   nothing is in flight, the new entries left for the next tick (done->chain_cut). */
#define OUTBOX_TICK_ROUNDS 10000
#define OUTBOX_TICK_CHAIN 100
int engine_outbox_deliver(Engine *engine, int64_t now, EngineOutboxStats *done, char *why, size_t why_len);
/* How the error of an entry that waits for a secret's environment variable begins. */
#define OUTBOX_WAITING "waiting: "
/* The outbox's entries (status NULL: all; "pending" or "failed") as a JSON array the
   caller owns: {key, seq, kind, instance, status, attempts, created, next, error, and
   connector + operation, or to + about}. `next` is when the entry will be tried: for one
   claimed by a tick or serve (in flight, or left by one that died) the end of its lease
   when that is after `now` (engine time), also in `leased_until`. One that waits for a
   secret's environment variable has `waiting`, the sentence why (its error is
   OUTBOX_WAITING and that sentence). */
int engine_outbox_list(Engine *engine, const char *status, int64_t now, json_t **entries, char *why,
                       size_t why_len);
/* Makes the failed entry holding idempotency key `key` pending again (its failed
   recipients too), to be delivered with the same keys: refused when no entry has the
   key or it has not failed. */
int engine_outbox_retry(Engine *engine, const char *key, int64_t now, char *why, size_t why_len);
/* The delay before attempt `attempt` + 1 of the delivery with idempotency key `key`:
   1 s doubling per attempt up to 1 h, times a jitter factor from 0.5 to 1 that the key
   (past its STORE part) and the attempt decide, so it is the same on every run. */
/* The earliest next try of a call waiting in the outbox after a failed attempt
   (`huddle run --connectors`, whose failing mocks are retried in virtual time):
   *found says whether one waits. */
int engine_outbox_next_try(Engine *engine, bool *found, int64_t *next_ms, char *why, size_t why_len);
/* serve --publish-head (engine_head_publish.c; docs/audit.md): when no head was
   published yet or the last publication (kept in meta) is `every_ms` old at `now`, puts
   the store-wide head in the outbox for `connector`.`operation` (an entry of kind
   "head" and key STORE:head:COUNT, body {"store", "head", "count", "at"}; not again
   while one with that key waits there) and notes the time. *next_ms: when the next one
   is due. Reads only, when nothing is due. */
int engine_head_publish(Engine *engine, const char *connector, const char *operation, int64_t every_ms,
                        int64_t now, int64_t *next_ms, char *why, size_t why_len);
#define OUTBOX_BACKOFF_FIRST_MS INT64_C(1000)
#define OUTBOX_BACKOFF_MAX_MS INT64_C(3600000)
int64_t outbox_backoff_ms(const char *key, unsigned attempt);

#endif
