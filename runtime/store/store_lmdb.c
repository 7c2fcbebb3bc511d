/*
 * store_lmdb.c - the store (store.h) on LMDB: one environment per --db folder, one named
 * database per StoreTable, a map that grows when it fills.
 *
 * This is the only file that includes lmdb.h. What it adds to LMDB:
 *
 *   identity   TABLE_META holds "schema_version" (decimal text: a store of any version
 *              from STORE_SCHEMA_OLDEST is opened, store_schema tells which, and the
 *              engine converts an old one) and "store_id" (32 hex
 *              digits from the kernel's random source). store_open checks data.mdb's
 *              header by pread (store_header.c: a file cut short is refused, not
 *              SIGBUS), then inspects the folder through a read-only environment that it
 *              closes again before opening the real one, so a folder that is not a store
 *              of this version is refused without a byte of it changing (when it has no
 *              lock.mdb, or no other process has it open, the inspection runs with
 *              MDB_NOLOCK so not even a lock file appears).
 *   the guard  (store_guard.c) OFD locks on data.mdb and flock on lock.mdb keep a process
 *              from writing on a stale view when lock.mdb is removed under it: every
 *              transaction first checks that lock.mdb is the file it opened (and a write,
 *              that LMDB's commit number is the newest), and reopens the environment
 *              when it is not (store_reopen). write.lock serialises writers.
 *   long keys  a key of 511 bytes or more is kept as a prefix plus SHA-256, the whole
 *              key in front of its value (store_keys.c); get, put, del and scans take
 *              and give whole keys.
 *   space      a full disk is STORE_NO_SPACE, also when LMDB reports a short write as
 *              EIO; a new store's lock file and first pages are allocated before LMDB
 *              maps or writes them.
 *   growth     the map starts at 64 MiB (HUDDLE_STORE_MAP_START=BYTES in the environment
 *              opens a writable store with that map instead: a test hook, so that the map
 *              fills on demand). A put or commit that meets MDB_MAP_FULL returns
 *              STORE_FULL and marks the transaction tree; store_write then aborts,
 *              doubles the map and runs its work again. Changing the map size needs every
 *              transaction of this process to be closed, so top-level transactions pass a
 *              gate (a count under a mutex) that a resize closes and waits on.
 *   durable  with sync_root_later, a commit flushes its pages, and its root (meta)
 *              page, written without a flush (MDB_NOMETASYNC), reaches the disk with the
 *              next commit's flush or store_sync; store_commits and store_durable count
 *              which commits are durable, so a caller can answer only for those.
 *   ahead      with StoreOptions.grow_ahead (serve), each write transaction first keeps
 *              data.mdb a step ahead of LMDB's last page with written zeros
 *              (store_grow.c), so a synced commit does not change the file's size.
 *   one handle a process must not open one LMDB environment twice (closing the second
 *              drops the first one's fcntl locks), so open stores are kept in a list and
 *              a second store_open of the same folder in one process is STORE_BUSY.
 *
 * Environments use MDB_NOTLS, so a read transaction may be handed between threads. A
 * write transaction holds LMDB's write mutex, which belongs to the thread that began it:
 * begin, commit and abort a write transaction on one thread.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <lmdb.h>

#include "fault.h"
#include "store.h"
#include "store_files.h"

#define STORE_MAP_START ((size_t)64 << 20) /* the first map size of a store */
#define STORE_GROW_LIMIT 30                /* doublings one store_write may ask for */
#define STORE_GATE_SECONDS 30              /* how long a resize waits for open txns */
#define STORE_BEGIN_RETRIES 3              /* MDB_MAP_RESIZED adoptions per begin */

/* ---- LMDB's calls that read or write pages, marked ------------------------------
   LMDB keeps no checksums and trusts its pages: a page of data.mdb overwritten with
   other bytes can send one of these calls to a wild address (SIGSEGV) or make it write
   past a buffer of its own (glibc then aborts). While a thread is inside one, in_lmdb
   says so and lmdb_dir names the store (the folder of the transaction it last began),
   so that the binary's fault handler (main.c, through store_in_lmdb) refuses the store
   with exit 3 instead of dying by the signal. Nothing of the call's transaction was
   committed: the store stays as the last commit left it. */
static _Thread_local volatile sig_atomic_t in_lmdb;
static _Thread_local volatile sig_atomic_t txns_open;   /* LMDB transactions this thread began */
static _Thread_local const char *volatile lmdb_dir;

const char *store_in_lmdb(void)
{
    return in_lmdb > 0 ? lmdb_dir : NULL;
}

const char *store_in_txn(void)
{
    return txns_open > 0 ? lmdb_dir : NULL;
}

#define LMDB_ENTER() (in_lmdb++)
#define LMDB_LEAVE() (in_lmdb--)

static int lmdb_get(MDB_txn *txn, MDB_dbi dbi, MDB_val *key, MDB_val *value)
{
    LMDB_ENTER();
    int rc = mdb_get(txn, dbi, key, value);
    LMDB_LEAVE();
    return rc;
}

static int lmdb_put(MDB_txn *txn, MDB_dbi dbi, MDB_val *key, MDB_val *value, unsigned flags)
{
    LMDB_ENTER();
    int rc = mdb_put(txn, dbi, key, value, flags);
    LMDB_LEAVE();
    return rc;
}

static int lmdb_cursor_get(MDB_cursor *cursor, MDB_val *key, MDB_val *value, MDB_cursor_op op)
{
    LMDB_ENTER();
    int rc = mdb_cursor_get(cursor, key, value, op);
    LMDB_LEAVE();
    return rc;
}

static int lmdb_cursor_put(MDB_cursor *cursor, MDB_val *key, MDB_val *value, unsigned flags)
{
    LMDB_ENTER();
    int rc = mdb_cursor_put(cursor, key, value, flags);
    LMDB_LEAVE();
    return rc;
}

static int lmdb_cursor_del(MDB_cursor *cursor, unsigned flags)
{
    LMDB_ENTER();
    int rc = mdb_cursor_del(cursor, flags);
    LMDB_LEAVE();
    return rc;
}

static int lmdb_txn_begin(MDB_env *env, MDB_txn *parent, unsigned flags, MDB_txn **txn)
{
    lmdb_dir = mdb_env_get_userctx(env);
    LMDB_ENTER();
    int rc = mdb_txn_begin(env, parent, flags, txn);
    txns_open += rc == MDB_SUCCESS && !parent;
    LMDB_LEAVE();
    return rc;
}

/* `root`: `txn` has no parent (only those are counted in txns_open). */
static int lmdb_txn_commit(MDB_txn *txn, bool root)
{
    LMDB_ENTER();
    int rc = mdb_txn_commit(txn);   /* the transaction is gone whatever it returns */
    txns_open -= root;
    LMDB_LEAVE();
    return rc;
}

static void lmdb_txn_abort(MDB_txn *txn, bool root)
{
    LMDB_ENTER();
    mdb_txn_abort(txn);
    txns_open -= root;
    LMDB_LEAVE();
}

static int lmdb_dbi_open(MDB_txn *txn, const char *name, unsigned flags, MDB_dbi *dbi)
{
    LMDB_ENTER();
    int rc = mdb_dbi_open(txn, name, flags, dbi);
    LMDB_LEAVE();
    return rc;
}

/* Keep in sync with StoreTable in store.h: these names are the on-disk schema. */
static const char *const TABLE_NAMES[] = {
    "meta",   "programs", "playbooks", "inputs", "instances", "cases",  "windows",  "history",
    "tasks",  "inbox",    "timers",    "mailbox", "outbox",   "seen",   "directory", "decisions",
};
/* The first table a store of an older schema may lack (schema 4 added it): such a store
   still opens; a writer adds the table when it opens the store, a reader reads it as empty. */
#define TABLE_FIRST_ADDED TABLE_DECISIONS
_Static_assert(sizeof TABLE_NAMES / sizeof TABLE_NAMES[0] == TABLE_COUNT,
               "one LMDB database name per StoreTable");

const char *store_table_name(StoreTable table)
{
    return table < TABLE_COUNT ? TABLE_NAMES[table] : "?";
}

struct Store {
    MDB_env *env;            /* NULL while `lost` and not yet reopened */
    MDB_dbi dbi[TABLE_COUNT];
    unsigned absent;         /* bit per table an older store lacks (read-only opens) */
    char *dir;
    unsigned env_flags;      /* what mdb_env_open was given, for a reopen */
    bool read_only;
    bool broken;             /* a failed remap left the environment unusable */
    bool lost;               /* lock.mdb was removed or replaced: reopen before using it */
    char id[33];
    dev_t dev;               /* the folder, for the list of open stores */
    ino_t ino;
    pid_t pid;
    Store *next_open;
    pthread_mutex_t gate_lock; /* the gate: top-level txns in, resizes wait for none */
    pthread_cond_t gate_cond;
    unsigned active;
    bool resizing;
    StoreGuard guard;        /* data.mdb's locks, lock.mdb as opened, write.lock */
    /* store_commits and store_durable: counted while the transaction's write.lock is
       still held (store_commit), so commits of two threads count in their order */
    _Atomic uint64_t commits, durable;
    /* The last top-level write transaction this Store committed: its serial, and the
       LMDB transaction number the store stood at right after (store_txn_follows);
       under gate_lock */
    uint64_t last_write_serial, last_write_txnid;
    StoreGrow grow;          /* serve's data.mdb kept ahead of LMDB's use (store_grow.c) */
};

struct StoreTxn {
    Store *store;
    MDB_txn *txn;
    StoreTxn *parent;
    StoreTxn *child;        /* the open nested transaction, if any */
    bool write;
    bool full;              /* on the root: MDB_MAP_FULL met somewhere in the tree */
    uint64_t changes;       /* on the root: puts and deletes tried in the tree (store_changes) */
    unsigned scanning;      /* bit per table being scanned by store_scan */
    uint64_t serial;        /* on the root: store_txn_serial */
    uint64_t follows;       /* on a root write: store_txn_follows */
    /* In a write transaction, a cursor per table for its gets, puts and deletes, opened
       at the first and kept until the transaction ends (LMDB closes a write
       transaction's cursors then): a key near the last one (the next record of an
       instance, a new instance's) is found on the cursor's page, without a search of
       the tree from its root. */
    MDB_cursor *cursors[TABLE_COUNT];
};

static pthread_mutex_t open_lock = PTHREAD_MUTEX_INITIALIZER;
static Store *open_stores;

/* ---- errors ------------------------------------------------------------------ */

void store_say(char *why, size_t why_len, const char *format, ...)
{
    if (why == NULL || why_len == 0)
        return;
    va_list ap;
    va_start(ap, format);
    vsnprintf(why, why_len, format, ap);
    va_end(ap);
}

/* The root of `txn`'s tree. */
static StoreTxn *txn_root(StoreTxn *txn)
{
    while (txn->parent != NULL)
        txn = txn->parent;
    return txn;
}

/* Maps an LMDB (or errno) code to a store code. MDB_MAP_FULL also marks the root of
   `txn`'s tree, so store_write knows to grow the map whatever its work returns. */
static int store_code(StoreTxn *txn, int rc)
{
    switch (rc) {
    case MDB_SUCCESS:
        return STORE_OK;
    case MDB_NOTFOUND:
        return STORE_NOT_FOUND;
    case MDB_MAP_FULL:
        if (txn != NULL)
            txn_root(txn)->full = true;
        return STORE_FULL;
    case MDB_READERS_FULL:
    case EAGAIN:
    case EBUSY:
        return STORE_BUSY;
    case ENOSPC:
    case EDQUOT:
    case EFBIG:
        return STORE_NO_SPACE;
    case ENOMEM:
        return STORE_NO_MEMORY;
    case EIO: /* also what LMDB says for a short write: a full disk, most often */
        return txn != NULL && store_guard_full(&txn->store->guard, txn->store->dir)
                   ? STORE_NO_SPACE : STORE_FAILED;
    default:
        return STORE_FAILED;
    }
}

const char *store_strerror(int code)
{
    switch (code) {
    case STORE_OK:
        return "ok";
    case STORE_NOT_FOUND:
        return "no such key";
    case STORE_FAILED:
        return "the store failed (an I/O error, a damaged file, or a call it does not allow); if it "
               "happens again, check the disk and restore the store from a backup made with mdb_copy "
               "(docs/operations.md, Backups)";
    case STORE_NOT_A_STORE:
        return "not a Huddle store, or a store of another schema version";
    case STORE_FULL:
        return "the store's map is full and could not be grown: free some disk space or memory, then "
               "try again (nothing was written)";
    case STORE_BUSY:
        return "the store is busy: another process or transaction holds it";
    case STORE_DAMAGED:
        return "the store's data.mdb is damaged or cut short; restore it from a backup "
               "(mdb_copy)";
    case STORE_NO_SPACE:
        return "no space left on device (or the file-size limit was reached): nothing was "
               "written; free some space, then try again";
    case STORE_LOCK_LOST:
        return "the store's lock file was removed while it was open; reopen the store";
    case STORE_NO_MEMORY:
        return "out of memory";
    case STORE_NO_ACCESS:
        return "huddle may not write to the store's folder or its files (write.lock cannot be made or "
               "opened): check their owner and permissions, or that the file system is not mounted "
               "read-only (nothing was written)";
    case STORE_STOP:
        return "the scan was stopped by its visitor";
    default:
        return "unknown store error";
    }
}

/* ---- big-endian keys ------------------------------------------------------------ */

void store_be64(uint64_t value, unsigned char out[8])
{
    for (int i = 7; i >= 0; i--) {
        out[i] = (unsigned char)(value & 0xff);
        value >>= 8;
    }
}

uint64_t store_read_be64(const unsigned char in[8])
{
    uint64_t value = 0;
    for (int i = 0; i < 8; i++)
        value = value << 8 | in[i];
    return value;
}

/* ---- the gate: map resizes wait until no transaction of this process is open ----- */

static int gate_init(Store *store)
{
    pthread_condattr_t attr;
    if (pthread_mutex_init(&store->gate_lock, NULL) != 0)
        return -1;
    if (pthread_condattr_init(&attr) != 0)
        goto fail;
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    int rc = pthread_cond_init(&store->gate_cond, &attr);
    pthread_condattr_destroy(&attr);
    if (rc != 0)
        goto fail;
    return 0;
fail:
    pthread_mutex_destroy(&store->gate_lock);
    return -1;
}

static void gate_enter(Store *store)
{
    pthread_mutex_lock(&store->gate_lock);
    while (store->resizing)
        pthread_cond_wait(&store->gate_cond, &store->gate_lock);
    store->active++;
    pthread_mutex_unlock(&store->gate_lock);
}

static void gate_leave(Store *store)
{
    pthread_mutex_lock(&store->gate_lock);
    if (--store->active == 0)
        pthread_cond_broadcast(&store->gate_cond);
    pthread_mutex_unlock(&store->gate_lock);
}

/* Closes the gate and waits for the open transactions to end: STORE_OK, or STORE_BUSY
   when some stay open for STORE_GATE_SECONDS (one held by the caller's own thread,
   say). */
static int gate_close(Store *store)
{
    struct timespec deadline;
    clock_gettime(CLOCK_MONOTONIC, &deadline);
    deadline.tv_sec += STORE_GATE_SECONDS;
    pthread_mutex_lock(&store->gate_lock);
    while (store->resizing)
        pthread_cond_wait(&store->gate_cond, &store->gate_lock);
    store->resizing = true;
    while (store->active > 0) {
        if (pthread_cond_timedwait(&store->gate_cond, &store->gate_lock, &deadline) ==
            ETIMEDOUT && store->active > 0) {
            store->resizing = false;
            pthread_cond_broadcast(&store->gate_cond);
            pthread_mutex_unlock(&store->gate_lock);
            return STORE_BUSY;
        }
    }
    pthread_mutex_unlock(&store->gate_lock);
    return STORE_OK;
}

static void gate_open(Store *store)
{
    pthread_mutex_lock(&store->gate_lock);
    store->resizing = false;
    pthread_cond_broadcast(&store->gate_cond);
    pthread_mutex_unlock(&store->gate_lock);
}

/* ---- opening: LMDB's errors and assertions on a damaged store ---- */

/* What to do when LMDB's error at opening a store says the file is damaged (a root or a
   page number past the file, a header asking for an impossible map); others (a
   permission, a lock) speak for themselves. */
static const char *open_advice(int rc)
{
    switch (rc) {
    case MDB_PAGE_NOTFOUND:
    case MDB_CORRUPTED:
    case MDB_BAD_TXN:
    case MDB_BAD_DBI:
    case MDB_INCOMPATIBLE:
        return "; the store is damaged: restore it from a backup made with mdb_copy (docs/operations.md, "
               "Backups)";
    case ENOMEM:
    case EINVAL:
        return " (with memory to spare, the map size its header asks for is damaged: restore the store "
               "from a backup made with mdb_copy, docs/operations.md, Backups)";
    default:
        return "";
    }
}

/* "cannot open the store in DIR: LMDB's words", and the advice when there is one. */
static void open_failed(char *why, size_t why_len, const char *dir, int rc)
{
    store_say(why, why_len, "cannot open the store in %s: %s%s", dir, mdb_strerror(rc), open_advice(rc));
}

static StoreDamageHook *_Atomic damage_hook;

void store_on_damage(StoreDamageHook *hook)
{
    atomic_store(&damage_hook, hook);
}

/* LMDB's assertion callback: the folder is the environment's user context. */
static void lmdb_assert(MDB_env *env, const char *what)
{
    StoreDamageHook *hook = atomic_load(&damage_hook);
    const char *dir = mdb_env_get_userctx(env);
    if (hook)
        hook(dir ? dir : "(unknown)", what);
}

/* Creates an environment that tells store_on_damage's hook when LMDB's assertions fail
   on the store in `dir` (which outlives the environment). */
static int env_create(MDB_env **env, const char *dir)
{
    int rc = mdb_env_create(env);
    if (rc == MDB_SUCCESS) {
        mdb_env_set_userctx(*env, (void *)dir);
        mdb_env_set_assert(*env, lmdb_assert);
    }
    return rc;
}

/* ---- the map ------------------------------------------------------------------ */

/* Whether the address space has room for a map of `size` bytes: LMDB unmaps before it
   maps again, so a failed remap would leave the environment without a map. */
static bool map_fits(size_t size)
{
    void *probe = mmap(NULL, size, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
                       -1, 0);
    if (probe == MAP_FAILED)
        return false;
    munmap(probe, size);
    return true;
}

/* Sets the map to `size` (0: the size another process recorded) with the gate closed. */
static int map_set(Store *store, size_t size)
{
    int rc = mdb_env_set_mapsize(store->env, size);
    if (rc != MDB_SUCCESS) {
        store->broken = true;
        return STORE_FAILED;
    }
    return STORE_OK;
}

/* Adopts the map size another process grew the store to (after MDB_MAP_RESIZED). */
static int map_adopt(Store *store)
{
    int rc = gate_close(store);
    if (rc != STORE_OK)
        return rc;
    rc = map_set(store, 0);
    gate_open(store);
    return rc;
}

/* Doubles the map, or takes the size another process recorded if that is larger. */
static int map_grow(Store *store)
{
    MDB_envinfo info;
    int rc = gate_close(store);
    if (rc != STORE_OK)
        return rc;
    mdb_env_info(store->env, &info);
    size_t want = info.me_mapsize * 2;
    if (want / 2 != info.me_mapsize || !map_fits(want)) {
        rc = STORE_FULL;
        goto done;
    }
    rc = map_set(store, 0);
    if (rc != STORE_OK)
        goto done;
    mdb_env_info(store->env, &info);
    if (info.me_mapsize < want)
        rc = map_set(store, want);
done:
    gate_open(store);
    return rc;
}

/* ---- transactions -------------------------------------------------------------- */

static int store_reopen(Store *store);

/* Whether `txn` (just begun) sees the store as it is: lock.mdb is still the file this
   process opened, and a write transaction builds on the newest commit in data.mdb's meta
   pages, not on the one a removed lock file still remembers. */
static bool view_current(Store *store, MDB_txn *txn, bool write)
{
    if (!store_guard_current(&store->guard, store->dir))
        return false;
    if (!write)
        return true;
    MDB_envinfo info;
    mdb_env_info(store->env, &info);
    return mdb_txn_id(txn) == info.me_last_txnid + 1;
}

/* Begins the LMDB transaction of `txn`, adopting a map another process grew; marks the
   store lost (and returns STORE_LOCK_LOST) when its view is stale. */
static int txn_open(Store *store, StoreTxn *txn)
{
    for (int attempt = 0;; attempt++) {
        gate_enter(store);
        int rc = lmdb_txn_begin(store->env, NULL, txn->write ? 0 : MDB_RDONLY, &txn->txn);
        if (rc == MDB_SUCCESS && view_current(store, txn->txn, txn->write))
            return STORE_OK;
        if (rc == MDB_SUCCESS) {
            lmdb_txn_abort(txn->txn, true);
            gate_leave(store);
            store->lost = true;
            return STORE_LOCK_LOST;
        }
        gate_leave(store);
        int code = store_code(NULL, rc);
        if (rc == MDB_MAP_RESIZED && attempt < STORE_BEGIN_RETRIES)
            code = map_adopt(store);
        else if (rc == MDB_MAP_RESIZED)
            code = STORE_FAILED;
        if (code != STORE_OK)
            return code;
    }
}

/* In a write transaction just begun, before it writes a page: the file a step ahead of
   LMDB's last page, for a store that grows ahead (store_grow.c). */
static void txn_grow_ahead(Store *store)
{
    MDB_envinfo info;
    MDB_stat stat;
    mdb_env_info(store->env, &info);
    mdb_env_stat(store->env, &stat);
    store_grow_ahead(&store->grow, store->guard.data_fd,
                     ((uint64_t)info.me_last_pgno + 1) * stat.ms_psize, info.me_mapsize);
}

int store_begin(Store *store, bool write, StoreTxn **out)
{
    if (out != NULL)
        *out = NULL;
    if (store == NULL || out == NULL || store->broken || (write && store->read_only))
        return STORE_FAILED;
    StoreTxn *txn = calloc(1, sizeof *txn);
    if (txn == NULL)
        return STORE_NO_MEMORY;
    txn->store = store;
    txn->write = write;
    if (write)
        fault_pause("write begin");
    int code = STORE_LOCK_LOST;
    /* One reopen when the view turns out stale; a second stale view is refused. */
    for (int attempt = 0; attempt < 2 && code == STORE_LOCK_LOST; attempt++) {
        code = store->lost ? store_reopen(store) : STORE_OK;
        if (code != STORE_OK)
            break;
        /* The kernel hands flock on, also when a waiter or holder is killed; LMDB's robust
           pthread write mutex can lose a wake-up then (a waiter sleeps on a free mutex). */
        if (write)
            code = store_guard_write_lock(&store->guard, store->dir);
        if (code == STORE_OK)
            code = txn_open(store, txn);
        if (code != STORE_OK && write)
            store_guard_write_unlock(&store->guard);
    }
    if (code != STORE_OK) {
        free(txn);
        return code;
    }
    if (write)
        txn_grow_ahead(store);
    static _Atomic uint64_t serials;
    txn->serial = ++serials;
    if (write) {   /* under the gate's lock: another thread's commit may be recording them */
        pthread_mutex_lock(&store->gate_lock);
        txn->follows = mdb_txn_id(txn->txn) == store->last_write_txnid + 1 ? store->last_write_serial : 0;
        pthread_mutex_unlock(&store->gate_lock);
    }
    *out = txn;
    return STORE_OK;
}

int store_begin_nested(StoreTxn *parent, StoreTxn **out)
{
    if (out != NULL)
        *out = NULL;
    if (parent == NULL || out == NULL || !parent->write || parent->child != NULL)
        return STORE_FAILED;
    StoreTxn *txn = calloc(1, sizeof *txn);
    if (txn == NULL)
        return STORE_NO_MEMORY;
    int rc = lmdb_txn_begin(parent->store->env, parent->txn, 0, &txn->txn);
    if (rc != MDB_SUCCESS) {
        free(txn);
        return store_code(parent, rc);
    }
    txn->store = parent->store;
    txn->parent = parent;
    txn->write = true;
    parent->child = txn;
    *out = txn;
    return STORE_OK;
}

/* Frees the wrappers of `txn` and of its open descendants (LMDB has ended them). */
static void txn_free(StoreTxn *txn)
{
    if (txn->child != NULL)
        txn_free(txn->child);
    if (txn->parent != NULL) {
        txn->parent->child = NULL;
    } else {
        gate_leave(txn->store);
        if (txn->write)
            store_guard_write_unlock(&txn->store->guard);
    }
    free(txn);
}

void store_abort(StoreTxn *txn)
{
    if (txn == NULL)
        return;
    lmdb_txn_abort(txn->txn, txn->parent == NULL); /* LMDB aborts the open children first */
    txn_free(txn);
}

/* store_durable rises to `count` (never falls: a slower thread's lower reading). */
static void durable_raise(Store *store, uint64_t count)
{
    uint64_t was = atomic_load(&store->durable);
    while (was < count && !atomic_compare_exchange_weak(&store->durable, &was, count))
        ;
}

/* A root write transaction committed. One that wrote nothing (LMDB then writes and
   flushes nothing) is not counted. Under sync_root_later its root page waits for the
   next flush, and its own flush of its pages made the commits before it durable;
   otherwise it is durable itself. */
static void durable_count(Store *store, bool wrote)
{
    if (!wrote)
        return;
    uint64_t made = atomic_fetch_add(&store->commits, 1) + 1;
    if (!(store->env_flags & MDB_NOMETASYNC) || (store->env_flags & MDB_NOSYNC))
        durable_raise(store, made);   /* synced whole (or never: no_sync stores are throwaway) */
    else
        durable_raise(store, made - 1);
}

/* Ends `txn` either way. Committing a transaction that still has an open nested one is
   a mistake in the caller: everything is aborted and STORE_FAILED returned. */
int store_commit(StoreTxn *txn)
{
    if (txn == NULL)
        return STORE_FAILED;
    if (txn->child != NULL) {
        store_abort(txn);
        return STORE_FAILED;
    }
    Store *store = txn->store;
    bool root_write = txn->write && txn->parent == NULL;
    size_t id = mdb_txn_id(txn->txn);   /* a write transaction's: the number it commits as */
    int code = store_code(txn, lmdb_txn_commit(txn->txn, txn->parent == NULL));
    MDB_envinfo info;   /* LMDB moves its last commit's number only when it wrote (write.lock still held) */
    if (code == STORE_OK && root_write && mdb_env_info(store->env, &info) == MDB_SUCCESS) {
        durable_count(store, info.me_last_txnid >= id);
        pthread_mutex_lock(&store->gate_lock);
        store->last_write_serial = txn->serial;
        store->last_write_txnid = info.me_last_txnid;
        pthread_mutex_unlock(&store->gate_lock);
    }
    txn_free(txn);
    return code;
}

uint64_t store_commits(const Store *store)
{
    return atomic_load(&store->commits);
}

uint64_t store_durable(const Store *store)
{
    return atomic_load(&store->durable);
}

int store_sync(Store *store)
{
    uint64_t made = atomic_load(&store->commits);
    if (atomic_load(&store->durable) >= made)
        return STORE_OK;
    int rc = store->env ? mdb_env_sync(store->env, 1) : EINVAL;
    if (rc != MDB_SUCCESS)
        return store_code(NULL, rc);
    durable_raise(store, made);
    return STORE_OK;
}

int store_write_end(StoreTxn *txn)
{
    if (txn->full) {
        store_abort(txn);
        return STORE_FULL;
    }
    fault_point("before commit");
    int code = store_commit(txn);
    if (code == STORE_OK)
        fault_point("after commit");
    return code;
}

int store_write(Store *store, int (*work)(StoreTxn *txn, void *context), void *context)
{
    if (work == NULL)
        return STORE_FAILED;
    for (int grown = 0;; grown++) {
        StoreTxn *txn;
        int code = store_begin(store, true, &txn);
        if (code != STORE_OK)
            return code;
        code = work(txn, context);
        bool full = txn->full;
        if (code == STORE_OK) {
            code = store_write_end(txn);
            if (code != STORE_FULL)
                return code;
        } else {
            store_abort(txn);
            if (code != STORE_FULL && !full)
                return code;
        }
        if (grown == STORE_GROW_LIMIT)
            return STORE_FULL;
        code = map_grow(store);
        if (code != STORE_OK)
            return code;
    }
}

/* ---- reading and writing ------------------------------------------------------- */

static bool table_ok(const StoreTxn *txn, StoreTable table)
{
    return txn != NULL && (unsigned)table < TABLE_COUNT;
}

bool store_has(const StoreTxn *txn, StoreTable table)
{
    return table_ok(txn, table) && !(txn->store->absent & 1u << table);
}

static MDB_val val_of(StoreBytes bytes)
{
    MDB_val val = {bytes.len, (void *)bytes.data};
    return val;
}

/* Whether `table` is being scanned by `txn` or one of its parents. */
static bool table_scanned(const StoreTxn *txn, StoreTable table)
{
    for (; txn != NULL; txn = txn->parent)
        if (txn->scanning & 1u << table)
            return true;
    return false;
}

/* The key LMDB keeps for `key`: itself, or (STORE_KEY_HASHED bytes or more) its kept
   prefix and hash, written to `buf`. */
static MDB_val key_stored(StoreBytes key, unsigned char buf[STORE_KEY_HASHED])
{
    if (key.len < STORE_KEY_HASHED)
        return val_of(key);
    store_key_hash(key, buf);
    return (MDB_val){STORE_KEY_HASHED, buf};
}

/* The whole key and value of an entry as LMDB holds it. */
static void entry_of(const MDB_val *k, const MDB_val *v, StoreBytes *key, StoreBytes *value)
{
    StoreBytes stored_key = store_bytes(k->mv_data, k->mv_size);
    StoreBytes stored_value = store_bytes(v->mv_data, v->mv_size);
    if (!store_key_unpack(stored_key, stored_value, key, value)) {
        *key = stored_key;
        *value = stored_value;
    }
}

static bool bytes_equal(StoreBytes a, StoreBytes b)
{
    return a.len == b.len && (a.len == 0 || memcmp(a.data, b.data, a.len) == 0);
}

/* The table's kept cursor of a write transaction (opened at its first use), or NULL
   with *rc set when it cannot be opened. A transaction with an open nested one gets
   none (LMDB lends its cursors to the child then): MDB_BAD_TXN, as mdb_get says. */
static MDB_cursor *txn_cursor(StoreTxn *txn, StoreTable table, int *rc)
{
    if (txn->child != NULL) {
        *rc = MDB_BAD_TXN;
        return NULL;
    }
    MDB_cursor **cursor = &txn->cursors[table];
    *rc = *cursor ? MDB_SUCCESS : mdb_cursor_open(txn->txn, txn->store->dbi[table], cursor);
    if (*rc != MDB_SUCCESS)
        *cursor = NULL;
    return *cursor;
}

static int bytes_cmp(StoreBytes a, StoreBytes b);

int store_get(StoreTxn *txn, StoreTable table, StoreBytes key, StoreBytes *value)
{
    if (!table_ok(txn, table) || value == NULL)
        return STORE_FAILED;
    if (key.len == 0 || !store_has(txn, table))
        return STORE_NOT_FOUND; /* store_put makes no such keys */
    unsigned char buf[STORE_KEY_HASHED];
    MDB_val k = key_stored(key, buf), v;
    int rc = MDB_SUCCESS;
    MDB_cursor *cursor = txn->write ? txn_cursor(txn, table, &rc) : NULL;
    if (rc == MDB_SUCCESS)
        rc = cursor ? lmdb_cursor_get(cursor, &k, &v, MDB_SET) : lmdb_get(txn->txn, txn->store->dbi[table], &k, &v);
    if (rc != MDB_SUCCESS)
        return store_code(txn, rc);
    StoreBytes whole;
    entry_of(&k, &v, &whole, value);
    return bytes_equal(whole, key) ? STORE_OK : STORE_NOT_FOUND; /* a hash collision */
}

int store_floor(StoreTxn *txn, StoreTable table, StoreBytes key, StoreBytes *found, StoreBytes *value)
{
    if (!table_ok(txn, table) || found == NULL || value == NULL || key.len >= STORE_KEY_HASHED)
        return STORE_FAILED;
    if (key.len == 0 || !store_has(txn, table))
        return STORE_NOT_FOUND;
    int rc = MDB_SUCCESS;
    MDB_cursor *cursor = txn->write ? txn_cursor(txn, table, &rc) : NULL, *own = NULL;
    if (rc == MDB_SUCCESS && !cursor && (rc = mdb_cursor_open(txn->txn, txn->store->dbi[table], &own)) == MDB_SUCCESS)
        cursor = own;
    MDB_val k = val_of(key), v;
    if (rc == MDB_SUCCESS) {
        rc = lmdb_cursor_get(cursor, &k, &v, MDB_SET_RANGE);
        if (rc == MDB_NOTFOUND)
            rc = lmdb_cursor_get(cursor, &k, &v, MDB_LAST);
        else if (rc == MDB_SUCCESS && bytes_cmp(store_bytes(k.mv_data, k.mv_size), key) > 0)
            rc = lmdb_cursor_get(cursor, &k, &v, MDB_PREV);
    }
    if (own)
        mdb_cursor_close(own);
    if (rc != MDB_SUCCESS)
        return store_code(txn, rc);
    entry_of(&k, &v, found, value);
    return STORE_OK;
}

uint64_t store_changes(const StoreTxn *txn)
{
    return txn == NULL ? 0 : txn_root((StoreTxn *)txn)->changes;
}

uint64_t store_txn_serial(const StoreTxn *txn)
{
    return txn == NULL ? 0 : txn_root((StoreTxn *)txn)->serial;
}

uint64_t store_txn_follows(const StoreTxn *txn)
{
    return txn == NULL ? 0 : txn_root((StoreTxn *)txn)->follows;
}

bool store_full(const StoreTxn *txn)
{
    return txn != NULL && txn_root((StoreTxn *)txn)->full;
}

int store_put(StoreTxn *txn, StoreTable table, StoreBytes key, StoreBytes value)
{
    if (!store_has(txn, table) || !txn->write || key.len == 0 || key.len > UINT32_MAX ||
        table_scanned(txn, table))
        return STORE_FAILED;
    txn_root(txn)->changes++;
    int rc;
    MDB_cursor *cursor = txn_cursor(txn, table, &rc);
    if (!cursor)
        return store_code(txn, rc);
    unsigned char buf[STORE_KEY_HASHED];
    MDB_val k = key_stored(key, buf), v = val_of(value);
    if (key.len < STORE_KEY_HASHED)
        return store_code(txn, lmdb_cursor_put(cursor, &k, &v, 0));
    /* A hashed key's value carries the whole key: written in place by MDB_RESERVE. */
    v = (MDB_val){4 + key.len + value.len, NULL};
    rc = lmdb_cursor_put(cursor, &k, &v, MDB_RESERVE);
    if (rc == MDB_SUCCESS)
        store_key_pack(key, value, v.mv_data);
    return store_code(txn, rc);
}

int store_del(StoreTxn *txn, StoreTable table, StoreBytes key)
{
    if (!store_has(txn, table) || !txn->write || table_scanned(txn, table))
        return STORE_FAILED;
    if (key.len == 0)
        return STORE_NOT_FOUND;
    int rc;
    unsigned char buf[STORE_KEY_HASHED];
    MDB_val k = key_stored(key, buf), v;
    MDB_cursor *cursor = txn_cursor(txn, table, &rc);
    if (cursor)
        rc = lmdb_cursor_get(cursor, &k, &v, MDB_SET);
    if (rc == MDB_SUCCESS)
        rc = lmdb_cursor_del(cursor, 0);
    if (rc != MDB_NOTFOUND)
        txn_root(txn)->changes++;   /* a delete that found nothing changed nothing */
    return store_code(txn, rc);
}

/* Compares as LMDB's default order does: bytes, then the shorter first. */
static int bytes_cmp(StoreBytes a, StoreBytes b)
{
    size_t n = a.len < b.len ? a.len : b.len;
    int c = n > 0 ? memcmp(a.data, b.data, n) : 0;
    if (c != 0)
        return c;
    return a.len < b.len ? -1 : a.len > b.len;
}

static bool has_prefix(StoreBytes key, StoreBytes prefix)
{
    return key.len >= prefix.len &&
           (prefix.len == 0 || memcmp(key.data, prefix.data, prefix.len) == 0);
}

/* At most the bytes of `b` that a stored key keeps. */
static StoreBytes kept_part(StoreBytes b)
{
    return store_bytes(b.data, b.len < STORE_KEY_KEPT ? b.len : STORE_KEY_KEPT);
}

/* The scan walks LMDB's keys from the kept part of its start while they begin with the
   kept part of the prefix; a whole key is visited when it has the prefix and is not
   before the start (which can fail only for the longer keys and prefixes). */
int store_scan(StoreTxn *txn, StoreTable table, StoreBytes prefix, StoreBytes from,
               StoreVisit visit, void *context)
{
    if (!table_ok(txn, table) || visit == NULL)
        return STORE_FAILED;
    if (!store_has(txn, table))
        return STORE_OK;    /* an older store's missing table reads as empty */
    StoreBytes start = bytes_cmp(from, prefix) > 0 ? from : prefix;
    StoreBytes walk = kept_part(prefix);
    MDB_cursor *cursor;
    int rc = mdb_cursor_open(txn->txn, txn->store->dbi[table], &cursor);
    if (rc != MDB_SUCCESS)
        return store_code(txn, rc);
    unsigned bit = 1u << table, was = txn->scanning & bit;
    txn->scanning |= bit;
    MDB_val k = val_of(kept_part(start)), v;
    int code = STORE_OK;
    rc = lmdb_cursor_get(cursor, &k, &v, start.len > 0 ? MDB_SET_RANGE : MDB_FIRST);
    while (rc == MDB_SUCCESS && has_prefix(store_bytes(k.mv_data, k.mv_size), walk)) {
        StoreBytes key, value;
        entry_of(&k, &v, &key, &value);
        if (has_prefix(key, prefix) && bytes_cmp(key, start) >= 0)
            code = visit(context, key, value);
        if (code != STORE_OK)
            break;
        rc = lmdb_cursor_get(cursor, &k, &v, MDB_NEXT);
    }
    if (code == STORE_STOP)
        code = STORE_OK;
    else if (code == STORE_OK && rc != MDB_SUCCESS && rc != MDB_NOTFOUND)
        code = store_code(txn, rc);
    txn->scanning = (txn->scanning & ~bit) | was;
    mdb_cursor_close(cursor);
    return code;
}

/* ---- identity: meta/schema_version and meta/store_id --------------------------- */

static int random_id(char out[33])
{
    unsigned char raw[16];
    size_t got = 0;
    while (got < sizeof raw) {
        ssize_t n = getrandom(raw + got, sizeof raw - got, 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        got += (size_t)n;
    }
    if (got < sizeof raw) {
        int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
        if (fd < 0)
            return -1;
        got = 0;
        while (got < sizeof raw) {
            ssize_t n = read(fd, raw + got, sizeof raw - got);
            if (n < 0 && errno == EINTR)
                continue;
            if (n <= 0)
                break;
            got += (size_t)n;
        }
        close(fd);
        if (got < sizeof raw)
            return -1;
    }
    for (size_t i = 0; i < sizeof raw; i++)
        snprintf(out + 2 * i, 3, "%02x", raw[i]);
    return 0;
}

static bool id_ok(const MDB_val *val)
{
    if (val->mv_size != 32)
        return false;
    for (size_t i = 0; i < 32; i++) {
        char c = ((const char *)val->mv_data)[i];
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
            return false;
    }
    return true;
}

/* meta/schema_version's decimal text as a number; false when it is not one. */
static bool schema_parse(const MDB_val *v, unsigned long long *version)
{
    const char *text = v->mv_data;
    bool digits = v->mv_size > 0 && v->mv_size <= 18;
    *version = 0;
    for (size_t i = 0; digits && i < v->mv_size; i++) {
        digits = text[i] >= '0' && text[i] <= '9';
        *version = *version * 10 + (unsigned)(text[i] - '0');
    }
    return digits;
}

int store_schema(StoreTxn *txn, unsigned *version)
{
    StoreBytes value;
    *version = 0;
    int rc = store_get(txn, TABLE_META, store_bytes("schema_version", 14), &value);
    if (rc != STORE_OK)
        return rc;
    MDB_val v = {value.len, (void *)value.data};
    unsigned long long number;
    if (!schema_parse(&v, &number) || number > UINT_MAX)
        return STORE_NOT_A_STORE;
    *version = (unsigned)number;
    return STORE_OK;
}

int store_schema_set(StoreTxn *txn, unsigned version)
{
    char text[24];
    if (version < STORE_SCHEMA_OLDEST || version > STORE_SCHEMA_VERSION)
        return STORE_FAILED;
    int n = snprintf(text, sizeof text, "%u", version);
    return store_put(txn, TABLE_META, store_bytes("schema_version", 14), store_bytes(text, (size_t)n));
}

/* The refusal of a store that lacks table `t` (one every schema has). */
static int table_missing(char *why, size_t why_len, const char *dir, int t)
{
    store_say(why, why_len, "%s is a damaged Huddle store: its %s table is missing; restore it from "
        "a backup made with mdb_copy (docs/operations.md, Backups)", dir, TABLE_NAMES[t]);
    return STORE_NOT_A_STORE;
}

/* Whether `txn` holds every table a store of any schema has: STORE_OK, or the refusal. */
static int tables_check(MDB_txn *txn, const char *dir, char *why, size_t why_len)
{
    for (int t = 0; t < TABLE_FIRST_ADDED; t++) {
        MDB_dbi dbi;
        int rc = lmdb_dbi_open(txn, TABLE_NAMES[t], 0, &dbi);
        if (rc == MDB_NOTFOUND)
            return table_missing(why, why_len, dir, t);
        if (rc != MDB_SUCCESS) {
            open_failed(why, why_len, dir, rc);
            return store_code(NULL, rc);
        }
    }
    return STORE_OK;
}

/* Checks meta/schema_version and meta/store_id in `txn`; copies the id to `id` when it
   is not NULL. STORE_NOT_FOUND when there is no schema_version at all. */
static int meta_check(MDB_txn *txn, MDB_dbi meta, const char *dir, char *id, char *why,
                      size_t why_len)
{
    MDB_val k = {strlen("schema_version"), (void *)"schema_version"}, v;
    int rc = lmdb_get(txn, meta, &k, &v);
    if (rc != MDB_SUCCESS) {
        store_say(why, why_len, "cannot read %s: %s", dir, mdb_strerror(rc));
        return rc == MDB_NOTFOUND ? STORE_NOT_FOUND : STORE_FAILED;
    }
    unsigned long long version = 0;
    if (!schema_parse(&v, &version)) {
        store_say(why, why_len, "%s is a damaged Huddle store: its schema version is not a number; "
            "restore it from a backup made with mdb_copy (docs/operations.md, Backups)", dir);
        return STORE_NOT_A_STORE;
    }
    if (version < STORE_SCHEMA_OLDEST || version > STORE_SCHEMA_VERSION) {
        store_say(why, why_len, "%s is a Huddle store this huddle cannot open: store schema "
            "version %llu; this huddle reads versions %d to %d%s", dir, version, STORE_SCHEMA_OLDEST,
            STORE_SCHEMA_VERSION, version > STORE_SCHEMA_VERSION
                ? ": a newer huddle wrote it; run that huddle, or a newer one, on this store"
                : ": no huddle writes that version, so the store is damaged; restore it from a backup "
                  "made with mdb_copy (docs/operations.md, Backups)");
        return STORE_NOT_A_STORE;
    }
    k = (MDB_val){strlen("store_id"), (void *)"store_id"};
    rc = lmdb_get(txn, meta, &k, &v);
    if (rc != MDB_SUCCESS || !id_ok(&v)) {
        store_say(why, why_len, "%s is a damaged Huddle store: its store id is %s; restore it from a "
            "backup made with mdb_copy (docs/operations.md, Backups)", dir,
            rc == MDB_SUCCESS ? "not 32 hex digits" : "missing");
        return rc == MDB_SUCCESS || rc == MDB_NOTFOUND ? STORE_NOT_A_STORE : STORE_FAILED;
    }
    if (id != NULL) {
        memcpy(id, v.mv_data, 32);
        id[32] = '\0';
    }
    return STORE_OK;
}

/* In a new store's first write transaction: writes the schema version and a new id,
   unless a process that created the store at the same moment already did. */
static int meta_create(Store *store, MDB_txn *txn, const char *dir, char *why,
                       size_t why_len)
{
    MDB_dbi meta = store->dbi[TABLE_META];
    int code = meta_check(txn, meta, dir, store->id, why, why_len);
    if (code != STORE_NOT_FOUND)
        return code;
    char version[24];
    int n = snprintf(version, sizeof version, "%d", STORE_SCHEMA_VERSION);
    if (random_id(store->id) != 0) {
        store_say(why, why_len, "cannot make a store id: no random source (%s)", strerror(errno));
        return STORE_FAILED;
    }
    MDB_val k = {strlen("schema_version"), (void *)"schema_version"};
    MDB_val v = {(size_t)n, version};
    int rc = lmdb_put(txn, meta, &k, &v, 0);
    if (rc == MDB_SUCCESS) {
        k = (MDB_val){strlen("store_id"), (void *)"store_id"};
        v = (MDB_val){32, store->id};
        rc = lmdb_put(txn, meta, &k, &v, 0);
    }
    if (rc != MDB_SUCCESS) {
        store_say(why, why_len, "cannot create a store in %s: %s", dir, mdb_strerror(rc));
        return store_code(NULL, rc);
    }
    return STORE_OK;
}

/* ---- opening ------------------------------------------------------------------ */

/* What a folder holds: data.mdb, lock.mdb, and the first other name (or ""); and the
   first of the lock files (lock.mdb, write.lock) that is there but is no regular file
   (a folder, a link to nothing), or "". */
typedef struct Folder {
    bool has_data;
    bool has_lock;
    off_t data_size;
    char other[256];
    char bad_lock[16];
} Folder;

/* Whether DIR/NAME, which the folder listed, is a regular file (following a link), or has
   gone since: a lock file another process removed after the listing is no obstacle, as
   huddle makes it again. A link to nothing is still there, and is not regular. */
static bool folder_regular_or_gone(const char *dir, const char *name)
{
    char path[4096];
    struct stat st;
    snprintf(path, sizeof path, "%s/%s", dir, name);
    if (stat(path, &st) == 0)
        return S_ISREG(st.st_mode);
    return errno == ENOENT && lstat(path, &st) != 0 && errno == ENOENT;
}

static int folder_read(const char *dir, Folder *folder, char *why, size_t why_len)
{
    memset(folder, 0, sizeof *folder);
    DIR *d = opendir(dir);
    if (d == NULL) {
        store_say(why, why_len, "cannot read the folder %s: %s", dir, strerror(errno));
        return STORE_FAILED;
    }
    struct dirent *entry;
    while ((entry = readdir(d)) != NULL) {
        const char *name = entry->d_name;
        if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
            continue;
        if (strcmp(name, "data.mdb") == 0)
            folder->has_data = true;
        else if (strcmp(name, "lock.mdb") == 0)
            folder->has_lock = true;
        else if (strcmp(name, "write.lock") == 0)
            ;   /* the store's own, as lock.mdb: made by the first writer, never in the way */
        else if (folder->other[0] == '\0')
            snprintf(folder->other, sizeof folder->other, "%s", name);
        if ((strcmp(name, "lock.mdb") == 0 || strcmp(name, "write.lock") == 0) && folder->bad_lock[0] == '\0' &&
            !folder_regular_or_gone(dir, name))
            snprintf(folder->bad_lock, sizeof folder->bad_lock, "%s", name);
    }
    closedir(d);
    if (folder->has_data) {
        char path[4096];
        struct stat st;
        snprintf(path, sizeof path, "%s/data.mdb", dir);
        if (stat(path, &st) != 0 || !S_ISREG(st.st_mode)) {
            store_say(why, why_len, "%s/data.mdb is not a regular file: it is where a store keeps its data; "
                      "check that --db (or HUDDLE_DB) names the folder of a Huddle store, or restore the store "
                      "from a backup made with mdb_copy", dir);
            return STORE_NOT_A_STORE;
        }
        folder->data_size = st.st_size;
    }
    return STORE_OK;
}

/* A lock file that is no regular file is refused with the way out: it holds no data, and
   nothing can have such a file open as its lock, so it may go. write.lock is a writer's
   only (a reader never opens it), so it stops only writers. */
static int folder_locks_check(const char *dir, const Folder *folder, bool read_only, char *why, size_t why_len)
{
    if (folder->bad_lock[0] == '\0' || (read_only && strcmp(folder->bad_lock, "write.lock") == 0))
        return STORE_OK;
    store_say(why, why_len, "%s/%s is not a regular file (a folder, or a link to nothing?): it is one of the "
              "store's lock files, which hold no data and which no process can be using as they are; remove it, "
              "and huddle makes it again", dir, folder->bad_lock);
    return STORE_FAILED;
}

/* Makes sure `dir` is a folder, creating it (mode 0700) when `create`; fills `st`. */
static int folder_make(const char *dir, bool create, struct stat *st, char *why,
                       size_t why_len)
{
    if (stat(dir, st) != 0) {
        if (errno != ENOENT) {
            store_say(why, why_len, "cannot open %s: %s", dir, strerror(errno));
            return STORE_FAILED;
        }
        if (!create) {
            store_say(why, why_len, "%s is not a Huddle store (no such folder, no data.mdb); "
                "run huddle deploy to create one", dir);
            return STORE_NOT_A_STORE;
        }
        if ((mkdir(dir, 0700) != 0 && errno != EEXIST) || stat(dir, st) != 0) {
            store_say(why, why_len, "cannot create the folder %s: %s", dir, strerror(errno));
            return STORE_FAILED;
        }
    }
    if (!S_ISDIR(st->st_mode)) {
        store_say(why, why_len, "%s is not a Huddle store (not a folder): check that --db (or HUDDLE_DB) names "
                  "the folder of a Huddle store", dir);
        return STORE_NOT_A_STORE;
    }
    return STORE_OK;
}

/* store_header_check through `fd`, or through a descriptor of its own when `fd` is -1. */
static int header_check(const char *dir, int fd, char *why, size_t why_len)
{
    char path[4096];
    int own = -1;
    if (fd < 0) {
        snprintf(path, sizeof path, "%s/data.mdb", dir);
        fd = own = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0) {
            store_say(why, why_len, "cannot read %s: %s", path, strerror(errno));
            return STORE_FAILED;
        }
    }
    int code = store_header_check(fd, dir, why, why_len);
    if (own >= 0)
        close(own);
    return code;
}

/* Looks at an existing data.mdb: its header through `fd` (or a descriptor of its own when
   `fd` is -1), then through a read-only environment, closed before returning; with
   MDB_NOLOCK when `no_lock` (no other process has the store open, or there is no lock
   file), so a folder that is refused keeps every byte. STORE_OK for a store of this
   version; *unfinished when the file holds no commit at all (a store whose creation was
   interrupted). */
static int inspect(const char *dir, const Folder *folder, int fd, bool no_lock,
                   bool *unfinished, char *why, size_t why_len)
{
    MDB_env *env = NULL;
    MDB_txn *txn = NULL;
    MDB_dbi meta;
    MDB_envinfo info;
    *unfinished = folder->data_size == 0;
    if (*unfinished)
        return STORE_OK;
    int code = header_check(dir, fd, why, why_len);
    if (code != STORE_OK)
        return code;
    code = STORE_FAILED;
    int rc = env_create(&env, dir);
    if (rc == MDB_SUCCESS)
        rc = mdb_env_set_maxdbs(env, TABLE_COUNT);
    if (rc == MDB_SUCCESS)
        rc = mdb_env_open(env, dir, MDB_RDONLY | MDB_NOTLS | (no_lock ? MDB_NOLOCK : 0), 0600);
    if (rc == MDB_INVALID || rc == MDB_VERSION_MISMATCH) {
        store_say(why, why_len, "%s is not a Huddle store (data.mdb is not an LMDB file this "
            "huddle reads: %s); it was left as it is: check that --db (or HUDDLE_DB) names the "
            "folder of a Huddle store", dir, mdb_strerror(rc));
        code = STORE_NOT_A_STORE;
        goto done;
    }
    if (rc != MDB_SUCCESS)
        goto fail;
    mdb_env_info(env, &info);
    if (info.me_last_txnid == 0) {
        *unfinished = true;
        code = STORE_OK;
        goto done;
    }
    if ((rc = lmdb_txn_begin(env, NULL, MDB_RDONLY, &txn)) != MDB_SUCCESS)
        goto fail;
    rc = lmdb_dbi_open(txn, TABLE_NAMES[TABLE_META], 0, &meta);
    if (rc == MDB_NOTFOUND || rc == MDB_INCOMPATIBLE) {
        store_say(why, why_len, "%s is not a Huddle store (an LMDB database without a meta "
            "table); it was left as it is: check that --db (or HUDDLE_DB) names the folder of a "
            "Huddle store", dir);
        code = STORE_NOT_A_STORE;
        goto done;
    }
    if (rc != MDB_SUCCESS)
        goto fail;
    code = meta_check(txn, meta, dir, NULL, why, why_len);
    if (code == STORE_OK)   /* before the real open makes its lock file: refused, untouched */
        code = tables_check(txn, dir, why, why_len);
    if (code == STORE_NOT_FOUND) {
        store_say(why, why_len, "%s is not a Huddle store (no schema_version in its meta "
            "table); it was left as it is: check that --db (or HUDDLE_DB) names the folder of a "
            "Huddle store", dir);
        code = STORE_NOT_A_STORE;
    }
    goto done;
fail:
    open_failed(why, why_len, dir, rc);
    code = store_code(NULL, rc);
done:
    if (txn != NULL)
        lmdb_txn_abort(txn, true);
    if (env != NULL)
        mdb_env_close(env);
    return code;
}

/* The map size a writable store is opened with: at least STORE_MAP_START, or exactly
   HUDDLE_STORE_MAP_START bytes when that is set (a test hook: a tiny map makes STORE_FULL
   and the growth in store_write happen on demand; LMDB keeps it at least as large as the
   data already there). `force` says the variable is set. */
static size_t map_start(bool *force)
{
    const char *text = getenv("HUDDLE_STORE_MAP_START");
    unsigned long long size = text ? strtoull(text, NULL, 10) : 0;
    *force = size > 0;
    return size > 0 ? (size_t)size : STORE_MAP_START;
}

/* Creates and opens store->env on store->dir with store->env_flags, the map at least
   `mapsize` when writable (exactly `mapsize` when `exact`). On failure the environment
   is closed again. */
static int env_start(Store *store, size_t mapsize, bool exact, char *why, size_t why_len)
{
    int rc = env_create(&store->env, store->dir);
    if (rc != MDB_SUCCESS) {
        store->env = NULL;
        open_failed(why, why_len, store->dir, rc);
        return STORE_FAILED;
    }
    rc = mdb_env_set_maxdbs(store->env, TABLE_COUNT);
    if (rc == MDB_SUCCESS)
        rc = mdb_env_open(store->env, store->dir, store->env_flags, 0600);
    if (rc == MDB_SUCCESS && mdb_env_get_maxkeysize(store->env) < STORE_KEY_HASHED)
        rc = MDB_BAD_VALSIZE; /* an LMDB built with shorter keys than the store hashes at */
    if (rc == MDB_SUCCESS && !store->read_only) {
        MDB_envinfo info;
        mdb_env_info(store->env, &info);
        if (info.me_mapsize < mapsize || exact)
            rc = mdb_env_set_mapsize(store->env, mapsize);
    }
    if (rc == MDB_SUCCESS)
        return STORE_OK;
    int code = store_code(NULL, rc);
    if (code == STORE_NO_SPACE)
        store_say(why, why_len, "no space left on device: cannot open the store in %s (free some "
            "space, then try again)", store->dir);
    else
        open_failed(why, why_len, store->dir, rc);
    mdb_env_close(store->env);
    store->env = NULL;
    return code;
}

/* Opens the real environment, with the map at least STORE_MAP_START when writable. */
static int env_open(Store *store, const StoreOptions *options, char *why, size_t why_len)
{
    store->env_flags = MDB_NOTLS | MDB_NOMEMINIT; /* pages are written whole: no need to zero them */
    if (options->read_only)
        store->env_flags |= MDB_RDONLY;
    if (options->no_sync)
        store->env_flags |= MDB_NOSYNC | MDB_NOMETASYNC;
    else if (options->sync_root_later && !options->read_only)
        store->env_flags |= MDB_NOMETASYNC;
    bool exact;
    size_t start = map_start(&exact);
    return env_start(store, start, exact, why, why_len);
}

/* A writer on a store of an older schema: a write transaction adds the tables the store
   lacks (empty; the engine fills them when it converts the store, engine_upgrade.c). */
static int tables_add(Store *store, const char *dir, char *why, size_t why_len)
{
    MDB_txn *txn;
    int rc = lmdb_txn_begin(store->env, NULL, 0, &txn);
    if (rc != MDB_SUCCESS) {
        open_failed(why, why_len, dir, rc);
        return store_code(NULL, rc);
    }
    for (int t = TABLE_FIRST_ADDED; rc == MDB_SUCCESS && t < TABLE_COUNT; t++)
        if (store->absent & 1u << t)
            rc = lmdb_dbi_open(txn, TABLE_NAMES[t], MDB_CREATE, &store->dbi[t]);
    if (rc == MDB_SUCCESS)
        rc = lmdb_txn_commit(txn, true);
    else
        lmdb_txn_abort(txn, true);
    if (rc == MDB_SUCCESS) {
        store->absent = 0;
        return STORE_OK;
    }
    store_say(why, why_len, "cannot add the decisions table to the store in %s: %s", dir, mdb_strerror(rc));
    return store_code(NULL, rc);
}

/* Opens every table once, for the life of the store. A new store gets its tables and
   its identity in its first write transaction; an existing one is read in a read
   transaction, so opening never waits for a writer. */
static int tables_open(Store *store, bool create, const char *dir, char *why,
                       size_t why_len)
{
    MDB_txn *txn;
    int rc = lmdb_txn_begin(store->env, NULL, create ? 0 : MDB_RDONLY, &txn);
    if (rc != MDB_SUCCESS) {
        open_failed(why, why_len, dir, rc);
        return store_code(NULL, rc);
    }
    int code = STORE_OK;
    store->absent = 0;
    for (int t = 0; t < TABLE_COUNT && code == STORE_OK; t++) {
        rc = lmdb_dbi_open(txn, TABLE_NAMES[t], create ? MDB_CREATE : 0, &store->dbi[t]);
        if (rc == MDB_NOTFOUND && t >= TABLE_FIRST_ADDED) {
            store->absent |= 1u << t;
            rc = MDB_SUCCESS;
        } else if (rc == MDB_NOTFOUND) {
            code = table_missing(why, why_len, dir, t);
        } else if (rc != MDB_SUCCESS) {
            open_failed(why, why_len, dir, rc);
            code = store_code(NULL, rc);
        }
    }
    if (code == STORE_OK && create)
        code = meta_create(store, txn, dir, why, why_len);
    else if (code == STORE_OK)
        code = meta_check(txn, store->dbi[TABLE_META], dir, store->id, why, why_len);
    if (code != STORE_OK) {
        lmdb_txn_abort(txn, true);
        return code == STORE_NOT_FOUND ? STORE_NOT_A_STORE : code;
    }
    rc = lmdb_txn_commit(txn, true); /* also for the read txn: it keeps the table handles */
    if (rc != MDB_SUCCESS) {
        int failed = store_code(NULL, rc);
        if (rc == EIO && store_guard_full(&store->guard, dir))
            failed = STORE_NO_SPACE;
        if (failed == STORE_NO_SPACE)
            store_say(why, why_len, "no space left on device: cannot create the store in %s "
                "(free some space, then try again)", dir);
        else
            open_failed(why, why_len, dir, rc);
        return failed;
    }
    return store->absent && !store->read_only ? tables_add(store, dir, why, why_len) : STORE_OK;
}

/* After lock.mdb was removed or replaced: closes the environment and opens it again
   through the guard, with every transaction of this process ended (the gate), so no
   reader of the old view is left. STORE_LOCK_LOST while other processes still hold the
   removed lock file; the store stays lost and the next transaction tries again. */
static int store_reopen(Store *store)
{
    int code = gate_close(store);
    if (code != STORE_OK)
        return code;
    code = store_guard_hold(&store->guard);
    if (code != STORE_OK) {
        gate_open(store);
        return code;
    }
    size_t mapsize = STORE_MAP_START;
    if (store->env != NULL) {
        MDB_envinfo info;
        mdb_env_info(store->env, &info);
        mapsize = info.me_mapsize;
        mdb_env_close(store->env);
        store->env = NULL;
    }
    store_guard_close(&store->guard, true);
    pthread_mutex_lock(&store->gate_lock);
    store->last_write_serial = store->last_write_txnid = 0;   /* no write follows one before */
    pthread_mutex_unlock(&store->gate_lock);
    char id[sizeof store->id];
    memcpy(id, store->id, sizeof id);
    code = store_guard_enter(&store->guard, store->dir, false, store->read_only, NULL, 0);
    if (code == STORE_OK)
        code = store_guard_prepare(&store->guard, store->dir, false, NULL, 0);
    if (code == STORE_OK)
        code = env_start(store, mapsize, false, NULL, 0);
    if (code == STORE_OK)
        code = store_guard_opened(&store->guard, store->dir, NULL, 0);
    if (code == STORE_OK)
        code = tables_open(store, false, store->dir, NULL, 0);
    if (code == STORE_OK && strcmp(id, store->id) != 0)
        code = STORE_NOT_A_STORE; /* data.mdb is another store's now */
    if (code == STORE_NOT_A_STORE)
        store->broken = true;
    if (code != STORE_OK && store->env != NULL) {
        mdb_env_close(store->env);
        store->env = NULL;
    }
    if (code != STORE_OK)
        store_guard_close(&store->guard, true);
    store_guard_release(&store->guard);
    store->lost = code != STORE_OK;
    gate_open(store);
    return code;
}

/* Adds `store` to this process's open stores: STORE_BUSY if its folder is open already. */
static int registry_add(Store *store, const char *dir, char *why, size_t why_len)
{
    int code = STORE_OK;
    pthread_mutex_lock(&open_lock);
    for (Store *s = open_stores; s != NULL; s = s->next_open)
        if (s->pid == store->pid && s->dev == store->dev && s->ino == store->ino)
            code = STORE_BUSY;
    if (code == STORE_OK) {
        store->next_open = open_stores;
        open_stores = store;
    }
    pthread_mutex_unlock(&open_lock);
    if (code != STORE_OK)
        store_say(why, why_len, "%s is already open in this process", dir);
    return code;
}

static void registry_remove(Store *store)
{
    pthread_mutex_lock(&open_lock);
    for (Store **p = &open_stores; *p != NULL; p = &(*p)->next_open)
        if (*p == store) {
            *p = store->next_open;
            break;
        }
    pthread_mutex_unlock(&open_lock);
}

/* Decides, from what the folder holds, whether to create a store in it (*create), open
   the one it holds, or refuse it; marks the store open in the guard on the way (a folder
   that is refused is left as it was, but for an empty data.mdb that a new store starts). */
static int store_classify(Store *store, const StoreOptions *options, bool *create,
                          char *why, size_t why_len)
{
    const char *dir = store->dir;
    Folder folder;
    bool unfinished = false;
    int code = folder_read(dir, &folder, why, why_len);
    if (code == STORE_OK)
        code = folder_locks_check(dir, &folder, options->read_only, why, why_len);
    if (code != STORE_OK)
        return code;
    if (folder.has_data) {
        code = store_guard_enter(&store->guard, dir, false, options->read_only, why, why_len);
        if (code == STORE_OK)
            code = inspect(dir, &folder, store->guard.data_fd,
                           !folder.has_lock || store->guard.alone, &unfinished, why, why_len);
        if (code != STORE_OK)
            return code;
    }
    *create = !folder.has_data || unfinished;
    if (!*create)
        return STORE_OK;
    if (!options->create) {
        store_say(why, why_len, folder.has_data
                              ? "%s holds no Huddle store yet: its data.mdb holds no commit (a "
                                "store whose first write never finished, or a file cut to "
                                "nothing); run huddle deploy to make a new store there, or "
                                "restore the store from a backup made with mdb_copy if it held one"
                              : "%s is not a Huddle store (no data.mdb); run huddle deploy "
                                "to create one",
            dir);
        return STORE_NOT_A_STORE;
    }
    if (folder.other[0] != '\0') {
        store_say(why, why_len, "%s is not a Huddle store and holds other files (%s); a new "
            "store is made only in an empty or new folder", dir, folder.other);
        return STORE_NOT_A_STORE;
    }
    if (!folder.has_data)
        code = store_guard_enter(&store->guard, dir, true, false, why, why_len);
    return code;
}

/* Allocates a store for `dir` and enters it in this process's list of open stores. */
static int store_new(const char *dir, const struct stat *st, const StoreOptions *options,
                     Store **out, char *why, size_t why_len)
{
    static const StoreGuard no_guard = STORE_GUARD_INIT;
    Store *store = calloc(1, sizeof *store);
    char *copy = strdup(dir);
    if (store == NULL || copy == NULL || gate_init(store) != 0) {
        free(store);
        free(copy);
        store_say(why, why_len, "out of memory opening %s", dir);
        return STORE_FAILED;
    }
    store->dir = copy;
    store->dev = st->st_dev;
    store->ino = st->st_ino;
    store->pid = getpid();
    store->read_only = options->read_only;
    store->guard = no_guard;
    store_grow_init(&store->grow, options->grow_ahead && !options->read_only);
    int code = registry_add(store, dir, why, why_len);
    if (code != STORE_OK) {
        pthread_cond_destroy(&store->gate_cond);
        pthread_mutex_destroy(&store->gate_lock);
        free(store->dir);
        free(store);
        return code;
    }
    *out = store;
    return STORE_OK;
}

int store_open(const char *dir, const StoreOptions *options, Store **out, char *why,
               size_t why_len)
{
    static const StoreOptions defaults = {0};
    struct stat st;
    bool create = false;
    Store *store;
    store_say(why, why_len, "%s", "");
    if (out != NULL)
        *out = NULL;
    if (dir == NULL || out == NULL) {
        store_say(why, why_len, "store_open needs a folder and somewhere to put the store");
        return STORE_FAILED;
    }
    if (options == NULL)
        options = &defaults;
    if (options->create && options->read_only) {
        store_say(why, why_len, "cannot create a store read-only (%s)", dir);
        return STORE_FAILED;
    }
    int code = folder_make(dir, options->create, &st, why, why_len);
    if (code == STORE_OK)
        code = store_new(dir, &st, options, &store, why, why_len);
    if (code != STORE_OK)
        return code;
    code = store_classify(store, options, &create, why, why_len);
    if (code == STORE_OK)
        code = store_guard_prepare(&store->guard, dir, create, why, why_len);
    if (code == STORE_OK)
        code = env_open(store, options, why, why_len);
    if (code == STORE_OK)
        code = store_guard_opened(&store->guard, dir, why, why_len);
    if (code == STORE_OK)
        code = tables_open(store, create, dir, why, why_len);
    if (code != STORE_OK) {
        store_close(store);
        return code;
    }
    *out = store;
    return STORE_OK;
}

void store_close(Store *store)
{
    if (store == NULL)
        return;
    registry_remove(store);
    if (store->env != NULL) {
        store_sync(store);   /* LMDB's close does not flush a root page left for later */
        mdb_env_close(store->env);
    }
    store_guard_close(&store->guard, false); /* after LMDB: see store_files.h */
    pthread_cond_destroy(&store->gate_cond);
    pthread_mutex_destroy(&store->gate_lock);
    free(store->dir);
    free(store);
}

const char *store_id(const Store *store)
{
    return store->id;
}
