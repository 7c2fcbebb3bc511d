/*
 * store_files.h - what the store does with the files of its folder besides handing them
 * to LMDB; internal to runtime/store/ (the engine sees only store.h).
 *
 *   the guard      (store_guard.c) locks that let no process write on a stale view when
 *                  lock.mdb is removed under running processes, and that reserve disk space
 *                  before LMDB maps a file it has just made
 *   the header     (store_header.c) data.mdb's two meta pages, read with pread before LMDB
 *                  maps the file, so a file cut short is refused instead of raising SIGBUS
 *   long keys      (store_keys.c) keys too long for LMDB kept as a prefix plus SHA-256
 *   growing ahead  (store_grow.c) serve's data.mdb kept ahead of LMDB's use by written
 *                  zeros, so that a synced commit does not change the file's size
 *
 * None of these files includes lmdb.h: they read LMDB's on-disk layout themselves, and
 * store_lmdb.c stays the one file that calls LMDB.
 */
#ifndef HUDDLE_STORE_FILES_H
#define HUDDLE_STORE_FILES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/statvfs.h>
#include <sys/types.h>

#include "store.h"

/* Writes a sentence into why[] (nothing when why is NULL or why_len 0): the store's
   files say what went wrong this way. */
void store_say(char *why, size_t why_len, const char *format, ...) __attribute__((format(printf, 3, 4)));

/* ---- the guard ---------------------------------------------------------------------
 *
 * LMDB keeps its write mutex, its reader table and the number of the last commit in
 * lock.mdb. When that file is removed while processes have the store open, a process that
 * opens it next makes a new lock.mdb from scratch: from then on the two groups neither
 * exclude each other's writes nor see each other's readers, and a process of the old
 * group begins its next write on the commit number its own (removed) lock file remembers,
 * overwriting newer commits. The guard keeps the groups from ever coexisting:
 *
 *   data.mdb, which is never replaced under a live store, carries two open-file-description
 *   locks (fcntl F_OFD_*, which LMDB does not use on data.mdb): byte 0 is read-locked by
 *   every process while it has the store open, byte 1 is write-locked by a process while it
 *   opens the store (so openers take turns). An opener that finds byte 0 free is alone and
 *   may let LMDB make or reset lock.mdb; one that is not alone joins only a lock.mdb that
 *   the others hold (each keeps flock LOCK_SH on the lock.mdb it opened), and otherwise is
 *   refused (STORE_LOCK_LOST).
 *
 *   Before every transaction the store compares lock.mdb's path with the file it opened
 *   (device and inode): when the file was removed or replaced, the process closes its
 *   environment and opens it again through the guard, which succeeds once it is alone.
 *
 * write.lock beside them is taken with flock LOCK_EX around every write transaction;
 * store_guard_write_lock follows it when it, too, was removed and made again. */
typedef struct StoreGuard {
    int data_fd;        /* DIR/data.mdb, for the OFD locks; -1 when unguarded */
    int lock_fd;        /* DIR/lock.mdb as this process opened it, flock LOCK_SH */
    int wlock_fd;       /* DIR/write.lock */
    dev_t lock_dev;     /* lock_fd's identity */
    ino_t lock_ino;
    bool alone;         /* no other process had the store open when this one opened it */
    bool opening;       /* this process holds the opening lock (byte 1) */
} StoreGuard;

#define STORE_GUARD_INIT {-1, -1, -1, 0, 0, false, false}

/* Opens DIR/data.mdb (creating it empty when `create`), waits for the opening lock and
   marks the store open. When other processes have it open, DIR/lock.mdb must be the file
   they hold: STORE_LOCK_LOST when it is missing or held by none. A read-only handle on a
   folder this process cannot write is left unguarded (STORE_OK). */
int store_guard_enter(StoreGuard *guard, const char *dir, bool create, bool read_only,
                      char *why, size_t why_len);

/* Before LMDB opens the environment: when alone, makes DIR/lock.mdb with its space
   reserved (and, when `reserve_data`, reserves the first bytes of an empty data.mdb),
   so a full disk is an error here and not SIGBUS in LMDB's map; then holds lock.mdb
   with flock LOCK_SH. STORE_NO_SPACE with a sentence when the disk is full. */
int store_guard_prepare(StoreGuard *guard, const char *dir, bool reserve_data, char *why,
                        size_t why_len);

/* After LMDB opened the environment: checks that DIR/lock.mdb is still the file the
   guard holds and lets the next opener in. */
int store_guard_opened(StoreGuard *guard, const char *dir, char *why, size_t why_len);

/* Whether DIR/lock.mdb is still the file this process opened (true when unguarded). */
bool store_guard_current(const StoreGuard *guard, const char *dir);

/* Lets the next opener in and closes every file of the guard, data.mdb first (so the
   store stops counting as open before its lock file stops being held). Call it only
   after LMDB's environment is closed: closing lock.mdb drops this process's fcntl locks
   on it, LMDB's among them. `keep_data` (a reopen, after store_guard_hold) closes only
   lock.mdb and keeps data.mdb with its locks, the opening lock included. */
void store_guard_close(StoreGuard *guard, bool keep_data);

/* Takes the opening lock before a reopen, so that no opener finds this process marking
   the store open while it holds no lock file. */
int store_guard_hold(StoreGuard *guard);

/* Lets the next opener in, when this process holds the opening lock still. */
void store_guard_release(StoreGuard *guard);

/* flock LOCK_EX on DIR/write.lock, following a write.lock that was removed and made
   again; store_guard_write_unlock releases it. */
int store_guard_write_lock(StoreGuard *guard, const char *dir);
void store_guard_write_unlock(StoreGuard *guard);

/* Less room than this left for data.mdb (on the disk, or below RLIMIT_FSIZE after a
   failed write) means it is full. */
#define STORE_FULL_BYTES (64 << 10)

/* Whether the disk under DIR (or this process's file-size limit) has no room left for
   data.mdb to grow: how a failed write (LMDB says EIO for a short write) is told apart
   from an I/O error. The file's size is compared with the limit: LMDB's short write
   leaves it at the limit, and zeros written ahead (store_grow.c) stop STORE_FULL_BYTES
   below it, so they alone never make a store look full. */
bool store_guard_full(const StoreGuard *guard, const char *dir);

/* The bytes this process may still take on the file system `fs` describes (root may
   also take the blocks kept for it). */
uint64_t store_guard_room(const struct statvfs *fs);

/* ---- growing ahead -----------------------------------------------------------------
 *
 * LMDB appends its pages with pwrite, so a commit that writes past the file's end
 * changes its size, and fdatasync then writes the inode as well as the data. With
 * StoreOptions.grow_ahead, the start of each write transaction (while this process holds
 * LMDB's write lock, before the transaction has written a page) keeps the file a step
 * ahead of LMDB's last page with written zeros; see store_grow.c for the step and its
 * limits. */
typedef struct StoreGrow {
    uint64_t look_at;   /* the bytes LMDB uses from which the file's room is looked at
                           again (UINT64_MAX: never, the store does not grow ahead); read
                           and written under LMDB's write lock only */
} StoreGrow;

/* Sets `grow` up for a store that grows ahead (`on`) or not. */
void store_grow_init(StoreGrow *grow, bool on);

/* The step the file is grown by when LMDB uses `used` bytes. */
uint64_t store_grow_step(uint64_t used);

/* At the start of a write transaction: LMDB uses `used` bytes of data.mdb (`fd`, the
   guard's descriptor), (last page + 1) * page size, in a map of `map` bytes. Writes a
   step of zeros past max(used, the file's size) when less than half a step is left
   there. Never fails: a step that does not fit or whose write fails is not taken (the
   file keeps its size), and LMDB's own writes meet the condition as they always did. */
void store_grow_ahead(StoreGrow *grow, int fd, uint64_t used, uint64_t map);

/* ---- the header -------------------------------------------------------------------- */

/* Reads data.mdb's meta pages through `fd` and checks that the file holds every page they
   promise (pages past the end are allowed only when LMDB's free list says they are free).
   STORE_OK, or STORE_NOT_A_STORE (not an LMDB file, or one of another LMDB version) or
   STORE_DAMAGED (cut short, or a damaged header), each with a sentence naming `dir`. An
   empty file is STORE_OK. */
int store_header_check(int fd, const char *dir, char *why, size_t why_len);

/* ---- long keys ----------------------------------------------------------------------
 *
 * LMDB keys are at most 511 bytes. A key of STORE_KEY_HASHED bytes or more is kept under
 * its first STORE_KEY_KEPT bytes followed by the SHA-256 of the whole key (STORE_KEY_HASHED
 * bytes in all), and its value is stored behind a 4-byte big-endian length and the whole
 * key, so get, put, del and scans still take and hand out the whole key. */
#define STORE_KEY_HASHED 511
#define STORE_KEY_KEPT (STORE_KEY_HASHED - 32)

/* The stored form of a long `key` into `out` (STORE_KEY_HASHED bytes). */
void store_key_hash(StoreBytes key, unsigned char out[STORE_KEY_HASHED]);

/* Splits the stored value of a hashed key into the whole key and the value; false when
   the entry is not one (an ordinary key of exactly STORE_KEY_HASHED bytes). */
bool store_key_unpack(StoreBytes stored_key, StoreBytes stored_value, StoreBytes *key,
                      StoreBytes *value);

/* Writes the stored value of a hashed `key` into `out` (4 + key.len + value.len bytes). */
void store_key_pack(StoreBytes key, StoreBytes value, unsigned char *out);

#endif
