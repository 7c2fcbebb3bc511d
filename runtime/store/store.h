/*
 * store.h - the durable store: ordered key-value tables in one transaction space.
 *
 * This is the one interface the engine uses to keep anything. It is written so that
 * nothing above it depends on LMDB (store_lmdb.c, the only file that includes lmdb.h,
 * implements it on one LMDB environment per --db folder); a PostgreSQL backend can
 * implement the same calls. Keys are bytes compared in order (use big-endian integers
 * where order matters); values are bytes. A key may be of any length above zero (keys too
 * long for the backend are kept under a hash of themselves, see docs/runtime.md), but
 * among keys that share their first 479 bytes, those of 511 bytes or more are visited by
 * store_scan in an order of their own rather than in byte order.
 *
 * Ownership: a StoreBytes handed out by store_get or store_scan is borrowed and valid
 * only until the transaction ends or the same key is written. Every call returns
 * STORE_OK (0) or a negative code; store_strerror says what it means.
 */
#ifndef HUDDLE_STORE_H
#define HUDDLE_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The schema this huddle writes (7: the engine's records in its binary form, history
   records stamped with their hash chain, see engine_chain.c, the decisions index,
   engine_audit_index.c, whose rows also name who was handed away from a seat as it was
   asked and the operators who overrode or reassigned, seen keys that carry the id's
   length, engine_seen_key.c, and the gauges kept in meta, engine_gauges.c), and the
   oldest it opens (1: the same tables holding JSON text; 2: binary, no chain; 3: no
   decisions table; 4: the seen key without the length; 5: no gauges; 6: the index's
   rows without those two roles). A store of a version in between is opened, and the
   engine converts it at its first writer (engine_open); a newer store is refused. */
#define STORE_SCHEMA_VERSION 7
#define STORE_SCHEMA_OLDEST 1

typedef enum StoreTable {
    TABLE_META,         /* name -> schema version, store id, engine time, counters, audit head */
    TABLE_PROGRAMS,     /* content hash -> bytecode */
    TABLE_PLAYBOOKS,    /* name -> current hash, deploy log, undeployed flag */
    TABLE_INPUTS,       /* seq -> accepted input not yet applied */
    TABLE_INSTANCES,    /* instance id -> instance record and frame */
    TABLE_CASES,        /* playbook + case key -> owning instance, owned-until */
    TABLE_WINDOWS,      /* playbook + trigger + key + accepted_at -> event id */
    TABLE_HISTORY,      /* instance id + seq -> one history record */
    TABLE_TASKS,        /* task id -> an ask's seats, holders, votes, acks */
    TABLE_INBOX,        /* person + task id -> (index) */
    TABLE_TIMERS,       /* due time + instance + seq -> what fires */
    TABLE_MAILBOX,      /* instance id + seq -> a joined event not yet consumed */
    TABLE_OUTBOX,       /* seq -> an effect to deliver */
    TABLE_SEEN,         /* connector + event id -> where it went, first seen */
    TABLE_DIRECTORY,    /* kind + id -> people, teams, roles, owners, calendars */
    TABLE_DECISIONS,    /* the decisions index (engine_audit_index.c; schema 4 on) */
    TABLE_COUNT
} StoreTable;

enum {
    STORE_OK = 0,
    STORE_NOT_FOUND = -1,   /* no such key */
    STORE_FAILED = -2,      /* the database said no (I/O, corruption): see the message */
    STORE_NOT_A_STORE = -3, /* the folder holds something else, or a store of another version */
    STORE_FULL = -4,        /* the map is full: store_write grows it and runs again */
    STORE_BUSY = -5,        /* another process holds what was asked for */
    STORE_DAMAGED = -6,     /* data.mdb is cut short or its header is damaged */
    STORE_NO_SPACE = -7,    /* the disk (or the file-size limit) has no room: nothing written */
    STORE_LOCK_LOST = -8,   /* lock.mdb was removed under open processes: reopen the store */
    STORE_NO_MEMORY = -9,   /* an allocation failed: nothing was written */
    STORE_NO_ACCESS = -10,  /* this process may not write the store's folder or files */
    STORE_STOP = 1          /* returned by a scan visitor to stop early (not an error) */
};

typedef struct Store Store;
typedef struct StoreTxn StoreTxn;

typedef struct StoreBytes {
    const void *data;
    size_t len;
} StoreBytes;

static inline StoreBytes store_bytes(const void *data, size_t len)
{
    StoreBytes b = {data, len};
    return b;
}

typedef struct StoreOptions {
    bool create;        /* make the folder and a new store when there is none */
    bool no_sync;       /* skip fsync at commit: only for throwaway stores (huddle run) */
    bool read_only;
    /* A commit flushes its pages but not the root page that makes them current: that
       page reaches the disk with the next commit's flush, or at store_sync
       (store_durable). For a caller that tells nobody of a commit before it is durable
       (serve), so that a commit costs one flush of the disk, not two. */
    bool sync_root_later;
    bool grow_ahead;    /* keep data.mdb ahead of LMDB's use by zeros written in steps, so
                           a synced commit does not change the file's size: serve's store
                           (store_grow.c); other stores keep exactly the size LMDB gives */
} StoreOptions;

/* Opens the store in `dir`. A folder that is not a Huddle store, or a store of an
   unknown schema version, is refused (STORE_NOT_A_STORE) and left untouched; `why`
   receives a sentence a person can act on. */
int store_open(const char *dir, const StoreOptions *options, Store **out, char *why,
               size_t why_len);
void store_close(Store *store);

/* The store's random 128-bit id as 32 hex digits (made when the store was created). */
const char *store_id(const Store *store);

/* Transactions. A write transaction is exclusive (other writers wait); readers never
   block it. A nested transaction can be aborted without undoing its parent. */
int store_begin(Store *store, bool write, StoreTxn **txn);
int store_begin_nested(StoreTxn *parent, StoreTxn **child);
int store_commit(StoreTxn *txn);
void store_abort(StoreTxn *txn);

/* Runs `work` in a write transaction and commits it. When the map fills (STORE_FULL,
   from a put or the commit), it aborts, grows the map and runs `work` again, so work
   must do nothing outside the transaction it is given. Returns work's code, or the
   commit's. */
int store_write(Store *store, int (*work)(StoreTxn *txn, void *context), void *context);

/* Ends a write transaction begun with store_begin as store_write ends its own (with the
   same fault points): commits it, or, when a put found the map full, aborts it and
   returns STORE_FULL, after which the work is to be run again through store_write,
   which grows the map. For work that cannot be one call: serve's round, applied while
   its inputs arrive. */
int store_write_end(StoreTxn *txn);

/* Durability under StoreOptions.sync_root_later. store_commits counts the write
   transactions this Store committed that wrote something (LMDB writes nothing for one
   that changed nothing); store_durable says how many of the first of them
   are on disk whatever happens to the machine (without sync_root_later: all of them). A
   commit that wrote something flushes the ones before it; store_sync flushes them all
   (STORE_FAILED when the disk says no: then nothing more is known durable). */
uint64_t store_commits(const Store *store);
uint64_t store_durable(const Store *store);
int store_sync(Store *store);

/* How many puts and deletes `txn`'s tree has tried so far (whether they succeeded or
   not; a delete that found nothing is not counted): a caller that compares two readings
   knows whether the work between them may have changed the transaction. */
uint64_t store_changes(const StoreTxn *txn);
/* A number no other top-level transaction of this process had (nested ones give their
   root's; 0 for NULL): what a cache kept for the length of one transaction checks. */
uint64_t store_txn_serial(const StoreTxn *txn);
/* For a write transaction that begins from exactly what this Store's last top-level
   write transaction committed (no commit by another process or Store between, and that
   transaction not aborted), that transaction's serial; else 0 (also for reads and
   NULL). A cache kept for one write transaction may so be kept for the next. */
uint64_t store_txn_follows(const StoreTxn *txn);
/* Whether the map filled somewhere in `txn`'s tree: store_write will grow the map and
   run its work again, whatever the work returns. */
bool store_full(const StoreTxn *txn);

int store_get(StoreTxn *txn, StoreTable table, StoreBytes key, StoreBytes *value);
/* The entry with the greatest key not after `key` (shorter than STORE_KEY_HASHED, as
   every key looked up so is): its key in *found, its value in *value (both valid as
   store_get's); STORE_NOT_FOUND when every key is after it. A history entry holding
   record `seq` is found so by the key of that seq (engine_history.c). */
int store_floor(StoreTxn *txn, StoreTable table, StoreBytes key, StoreBytes *found, StoreBytes *value);
int store_put(StoreTxn *txn, StoreTable table, StoreBytes key, StoreBytes value);
int store_del(StoreTxn *txn, StoreTable table, StoreBytes key);

/* Visits, in key order, the entries whose key starts with `prefix` and is >= `from`
   (from.len == 0: from the first). `visit` returns STORE_OK to go on, STORE_STOP to
   stop, or an error code, which store_scan returns. Writing to the table being scanned
   is not allowed inside `visit`; collect keys and change them afterwards. */
typedef int (*StoreVisit)(void *context, StoreBytes key, StoreBytes value);

/* LMDB keeps no checksums: a page of data.mdb overwritten with other bytes can trip one
   of LMDB's own assertions, which then aborts the process. `hook`, when set, is called
   first with the store's folder and LMDB's sentence (`mdb.c:5645: Assertion 'root > 1'
   failed ...`); the binary's main sets one that refuses the store (exit 3) and does not
   return. NULL: LMDB aborts. (Reading such a page can also fault; main tells those by
   the address: docs/runtime.md, "Limits and damage".) */
typedef void StoreDamageHook(const char *dir, const char *what);
void store_on_damage(StoreDamageHook *hook);
/* The folder of the store when the calling thread is inside one of LMDB's calls that
   read or write its pages, else NULL: for the binary's fault handler, which takes a
   fault or an abort there for a damaged page (async-signal-safe: two thread-local
   reads). */
const char *store_in_lmdb(void);
/* The folder of the store while the calling thread has an LMDB transaction open, else
   NULL (async-signal-safe): a page LMDB changed can have damaged the heap before the
   abort that glibc's checks make later, outside LMDB. */
const char *store_in_txn(void);
int store_scan(StoreTxn *txn, StoreTable table, StoreBytes prefix, StoreBytes from,
               StoreVisit visit, void *context);

/* The schema version `txn` sees (meta/schema_version), and its change: store_schema_set
   writes `version` (from STORE_SCHEMA_OLDEST to STORE_SCHEMA_VERSION) in a write
   transaction, for the engine's conversion of an older store, which commits it with the
   records it converted. What the records hold is the engine's business, not the
   store's. */
int store_schema(StoreTxn *txn, unsigned *version);
/* Whether the store has `table`: a store of an older schema opened read-only may lack
   the tables added since (TABLE_DECISIONS), which then read as empty; a writer adds them
   when it opens the store. */
bool store_has(const StoreTxn *txn, StoreTable table);
int store_schema_set(StoreTxn *txn, unsigned version);

const char *store_strerror(int code);

/* The LMDB database `table` is kept in, as `mdb_stat -s` and `mdb_dump -s` take it. */
const char *store_table_name(StoreTable table);

/* Big-endian integers for keys that must sort by number. */
void store_be64(uint64_t value, unsigned char out[8]);
uint64_t store_read_be64(const unsigned char in[8]);

#endif
