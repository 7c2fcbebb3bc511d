/*
 * engine_internal.h - what the engine's files share.
 *
 *   engine.c         the Engine, store helpers, deploy, instance load/save, listing
 *   engine_events.c  triggers: matching, cases, thresholds, starting and joining
 *   engine_step.c    applying a VM result: records, suspensions, ends, the mailbox
 *   engine_tasks.c   asks as tasks: seats, answers, quorum, deadlines
 *   engine_door.c    the checks every input passes first: ids, depth, people, times
 */
#ifndef HUDDLE_ENGINE_INTERNAL_H
#define HUDDLE_ENGINE_INTERNAL_H

#include <jansson.h>

#include "directory.h"
#include "engine.h"
#include "store.h"
#include "value_json.h"
#include "vm.h"

/* Events kept in one instance's mailbox; beyond, the oldest is discarded and counted. */
#define MAILBOX_LIMIT 1000

typedef struct ProgramCacheEntry {
    char hash[65];
    Program *program;
} ProgramCacheEntry;

struct Engine {
    Store *store;
    bool owns_store;                /* opened by engine_open: engine_close closes it */
    Directory *directory;           /* cached: the store's, at directory_version */
    uint64_t directory_version;
    bool directory_loaded;
    json_t *playbook_names;         /* cached: the deployed playbooks and their current */
    json_t *playbook_hashes;        /* hashes, at playbooks_version (NULL: not loaded) */
    uint64_t playbooks_version;
    json_t *event_routes;           /* where the last accepted event went, or NULL */
    EngineOptions options;
    ProgramCacheEntry *programs;
    unsigned program_count, program_cap;
    json_t *mock_cursor;            /* per connector.operation: how many replies used */
};

/* One write transaction's worth of work. */
typedef struct Step {
    Engine *engine;
    StoreTxn *txn;
    int64_t now;                    /* engine time of this step */
    json_t *records;                /* written in this transaction, shown after commit */
    char *why;
    size_t why_len;
    bool offering;                  /* inside mailbox_offer: a new wait is offered there */
    size_t written;                 /* records already put in the store */
    VmHooks hooks;                  /* business time and zones, for the VM */
    const Program *hook_program;    /* whose calendar the hooks use */
} Step;

/* A loaded instance: its record (JSON) and its frame. */
typedef struct Instance {
    uint64_t number;
    json_t *record;                 /* owned: id, playbook, version, status, state, ... */
    Frame *frame;                   /* owned; NULL once the instance ended */
    const Program *program;         /* borrowed from the cache */
} Instance;

/* engine.c */
/* An engine over an open `store` (borrowed for the engine's life): for tests and
   benchmarks that hold the store themselves; everyone else calls engine_open. */
Engine *engine_new(Store *store, const EngineOptions *options);
void engine_free(Engine *engine);
/* The engine code for a transaction's result (see engine_result in engine.c). */
int engine_result(int rc, char *why, size_t why_len);
int directory_change(Step *s, const char *person, const char *from, const char *to,
                     const char *delegate, bool back);
const Directory *step_directory(Step *s);
void step_hooks_init(Step *s);
const Calendar *step_calendar(Step *s, const Program *program);
int step_business_add(Step *s, const Program *program, int64_t from_ms, Value duration,
                      int64_t *out_ms);
int step_fail(Step *s, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
int store_get_json(StoreTxn *txn, StoreTable table, StoreBytes key, json_t **out);
int store_put_json(StoreTxn *txn, StoreTable table, StoreBytes key, const json_t *value);
int meta_next(StoreTxn *txn, const char *counter, uint64_t *value);
/* A counter's value in meta, 0 when it was never raised. */
uint64_t meta_counter(StoreTxn *txn, const char *counter);
const Program *engine_program(Step *s, const char *hash);
int instance_load(Step *s, uint64_t number, Instance *out);
int instance_save(Step *s, Instance *in);
void instance_clear(Instance *in);
/* The number of an instance or task id ("i12", "t12": the letter, then [1-9][0-9]*);
   0 for anything else ("t01", "t 1", "t+1"). */
uint64_t instance_number(const char *id);
void time_text(int64_t ms, char out[40]);
/* Drops what the engine caches from the store (directory, deployed playbooks): called
   when a transaction that may have filled a cache did not commit, since a cache is keyed
   by a counter such a transaction may have raised. */
void engine_forget_caches(Engine *e);
/* The deployed (not undeployed) playbooks: names and current hashes, borrowed. */
int step_playbooks(Step *s, const json_t **names, const json_t **hashes);
/* Raises the counter that step_playbooks' cache is keyed by (deploy, undeploy). */
int step_playbooks_changed(Step *s);
/* Decodes hex digits into at most `cap` bytes, stopping at the first non-pair; returns
   how many bytes. */
size_t hex_to_bytes(const char *hex, unsigned char *out, size_t cap);

/* engine_step.c */
json_t *record_add(Step *s, Instance *in, const char *kind);
int step_write_records(Step *s);
void record_notes(Step *s, Instance *in, json_t *notes, int seat);
int step_apply(Step *s, Instance *in, VmStatus status, VmResult *result);
int step_resume(Step *s, Instance *in, VmInputKind kind, Value value);
int step_retry(Step *s, Instance *in, int goto_state);
VmInput step_input(Step *s, Instance *in, VmInputKind kind, Value value);
/* Whether a timer due at `due` may be set: only after the step's engine time, and not
   on a stalled instance. A due at or before it stalls the instance with the reason
   (so nothing can fire in a loop under the write lock); false then. */
bool timer_due_ok(Step *s, Instance *in, int64_t due, const char *kind);
/* Sets a timer (takes over `what`) when timer_due_ok allows it; else sets none. */
int timer_set(Step *s, Instance *in, int64_t due, int priority, json_t *what);
int timers_clear(Step *s, Instance *in);
int mailbox_offer(Step *s, Instance *in);
/* The same, starting after mailbox sequence number `after`: a wait that has already
   seen the older events (its locals unchanged since) is offered only the new one. */
int mailbox_offer_after(Step *s, Instance *in, uint64_t after);
/* Deletes the oldest events of the instance's mailbox until at most `keep` remain,
   adding how many to its "mailbox_discarded" count. */
int mailbox_trim(Step *s, Instance *in, size_t keep);
int case_release(Step *s, Instance *in);

/* engine_tasks.c */
int task_load(Step *s, const char *id, json_t **task);
/* Whether the person id `person` is among a seat's `holders`. */
bool holders_include(const json_t *holders, const char *person);
int task_save(Step *s, json_t *task);
json_t *task_choice(json_t *task, const char *choice);
/* STORE_OK when the task is open and has `choice` (NULL: any), else a refusal naming
   the outcome or the choices there are. */
int task_check_open_choice(Step *s, json_t *task, const char *id, const char *choice);
int inbox_set(Step *s, const char *person, const char *task_id, bool add);
void task_tell(Step *s, Instance *in, json_t *task, json_t *people, const char *kind);
int task_resolve(Step *s, Instance *in, json_t *task, const char *choice, json_t *by,
                 json_t *comment);
int task_create(Step *s, Instance *in, Value ask);
/* The quorum re-check (after an answer, an escalation, the last level, a reassignment):
   when no choice can still win, `no_quorum` runs at once if the ask has an arm for it
   (*resolved is then true and the task saved); an ask without one (N = 1) stays open
   until its deadline runs `timeout`, with one `unresolved` record saying why. */
int task_recheck(Step *s, Instance *in, json_t *task, bool *resolved);
int task_timeout(Step *s, Instance *in, const char *task_id);
int task_cancel(Step *s, Instance *in, const char *by, const char *reason);
int task_escalate(Step *s, Instance *in, const char *task_id, json_int_t level);
int task_remind(Step *s, Instance *in, const char *task_id);
int task_ack(Step *s, const char *task_id, const char *by);
int task_cover_absences(Step *s, const char *task_id);

/* engine_override.c: an operator decides an ask, or hands a seat to someone else. */
int task_override(Step *s, const char *task_id, const char *choice, const char *by,
                  const char *reason);
int task_reassign(Step *s, const char *task_id, const char *from, const char *to,
                  const char *by);
int task_watch(Step *s, Instance *in, const char *task_id);
int task_answer(Step *s, const char *task_id, const char *by, const char *choice,
                const char *comment);

/* engine_door.c: each returns STORE_OK, or ENGINE_REFUSED with a sentence in s->why. */
/* The event's source, type and id are ids (at most 256 bytes, never cut) and its data
   nests at most 1,000 deep. */
int door_check_event(Step *s, const char *source, const char *type, const char *id,
                     const json_t *data);
/* `id` is a well-formed person id (`role` names it in the sentence: "by", "to"). */
int door_check_person_id(Step *s, const char *role, const char *id);
/* The same, and a person the directory knows when the store has a directory. */
int door_check_person(Step *s, const char *role, const char *id);

/* engine_events.c */
int events_accept(Step *s, const char *source, const char *type, const char *id,
                  const json_t *data, int64_t event_time, bool *duplicate);

#endif
