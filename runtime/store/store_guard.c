/*
 * store_guard.c - the locks around LMDB's lock file, and the space a new store needs
 * (see "the guard" in store_files.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "store_files.h"

#define GUARD_OPEN_BYTE 0       /* data.mdb: read-locked while a process has the store open */
#define GUARD_OPENING_BYTE 1    /* data.mdb: write-locked while a process opens it */
/* LMDB's lock file for its default 126 readers: (126 - 1) readers of 64 bytes and a
   192-byte header. Reserved whole before LMDB maps it: a page of a shared map that the
   disk has no room for is SIGBUS when it is first written. */
#define GUARD_LOCK_BYTES 8192
/* More than the first commit of a new store writes (about 10 pages), reserved with the size
   kept at 0, so a full disk is named when the store is created. */
#define GUARD_DATA_BYTES (64 << 10)

static bool no_space(int err)
{
    return err == ENOSPC || err == EDQUOT || err == EFBIG;
}

/* An open-file-description lock on one byte of data.mdb: F_WRLCK, F_RDLCK or F_UNLCK. */
static int guard_byte(int fd, short type, off_t byte, bool wait)
{
    struct flock lock;
    memset(&lock, 0, sizeof lock);
    lock.l_type = type;
    lock.l_whence = SEEK_SET;
    lock.l_start = byte;
    lock.l_len = 1;
    int rc;
    while ((rc = fcntl(fd, wait ? F_OFD_SETLKW : F_OFD_SETLK, &lock)) != 0 && errno == EINTR)
        ;
    return rc;
}

static int guard_flock(int fd, int operation)
{
    int rc;
    while ((rc = flock(fd, operation)) != 0 && errno == EINTR)
        ;
    return rc;
}

static void guard_path(char *out, size_t len, const char *dir, const char *name)
{
    snprintf(out, len, "%s/%s", dir, name);
}

static int lost_lock(const char *dir, char *why, size_t why_len)
{
    store_say(why, why_len, "the store's lock file (%s/lock.mdb) was removed while another "
              "process had the store open; wait for that process to end (or stop it), "
              "then try again", dir);
    return STORE_LOCK_LOST;
}

/* Whether another process still marks the store open (byte 0 of data.mdb): ours is a
   read lock, which becomes a write lock only when nobody else holds one. */
static bool guard_others_open(StoreGuard *guard)
{
    if (guard_byte(guard->data_fd, F_WRLCK, GUARD_OPEN_BYTE, false) != 0)
        return true;
    guard_byte(guard->data_fd, F_RDLCK, GUARD_OPEN_BYTE, false);
    return false;
}

/* The lock file is held by none while data.mdb said others had the store open. Either
   they closed the store between the two tests (a process releases data.mdb first, then
   the lock file; a killed one's files close in the kernel's order): then this process
   is alone after all. Or they still have it open on a lock file that was removed: lost.
   Nobody can open the store meanwhile (the opening lock is ours), so a short wait tells
   a closing process from a lost lock file. */
static int guard_unheld(StoreGuard *guard, const char *dir, char *why, size_t why_len)
{
    for (int attempt = 0; attempt < 20; attempt++) {
        if (!guard_others_open(guard)) {
            close(guard->lock_fd);    /* store_guard_prepare opens it as the one alone */
            guard->lock_fd = -1;
            guard->alone = true;
            return STORE_OK;
        }
        usleep(5000);
    }
    return lost_lock(dir, why, why_len);
}

/* "cannot open PATH: why", with what to do when it is a permission: STORE_FAILED. */
static int guard_cannot_open(const char *dir, const char *path, int err, char *why, size_t why_len)
{
    if (err == EACCES || err == EROFS || err == EPERM)
        store_say(why, why_len, "cannot write to the store in %s (%s: %s): huddle writes to "
                  "its store's folder and files (a reader too makes lock.mdb when it is missing); "
                  "check their owner and permissions, or that the file system is not mounted "
                  "read-only", dir, path, strerror(err));
    else
        store_say(why, why_len, "cannot open %s: %s", path, strerror(err));
    return STORE_FAILED;
}

/* Not alone: DIR/lock.mdb must be the file the processes that have the store open hold.
   The opening lock is ours, so nobody else is testing it with LOCK_EX just now. */
static int guard_join(StoreGuard *guard, const char *dir, char *why, size_t why_len)
{
    char path[4096];
    guard_path(path, sizeof path, dir, "lock.mdb");
    guard->lock_fd = open(path, O_RDONLY | O_CLOEXEC);
    if (guard->lock_fd < 0 && errno == ENOENT)
        return lost_lock(dir, why, why_len);
    if (guard->lock_fd < 0)
        return guard_cannot_open(dir, path, errno, why, why_len);
    if (flock(guard->lock_fd, LOCK_EX | LOCK_NB) == 0)
        return guard_unheld(guard, dir, why, why_len);
    if (guard_flock(guard->lock_fd, LOCK_SH) != 0) {
        store_say(why, why_len, "cannot lock %s: %s", path, strerror(errno));
        return STORE_FAILED;
    }
    return STORE_OK;
}

static int guard_open_data(StoreGuard *guard, const char *dir, bool create, bool read_only,
                           char *why, size_t why_len)
{
    char path[4096];
    if (guard->data_fd >= 0)
        return STORE_OK; /* a reopen keeps data.mdb and its locks */
    guard_path(path, sizeof path, dir, "data.mdb");
    guard->data_fd = open(path, O_RDWR | O_CLOEXEC | (create ? O_CREAT : 0), 0600);
    if (guard->data_fd >= 0)
        return STORE_OK;
    int err = errno;
    if (read_only && (err == EACCES || err == EROFS || err == EPERM))
        return STORE_OK; /* nobody can write here either: go unguarded */
    if (no_space(err)) {
        store_say(why, why_len, "no space left on device: cannot create %s (free some "
                  "space, then try again)", path);
        return STORE_NO_SPACE;
    }
    return guard_cannot_open(dir, path, err, why, why_len);
}

int store_guard_enter(StoreGuard *guard, const char *dir, bool create, bool read_only,
                      char *why, size_t why_len)
{
    int code = guard_open_data(guard, dir, create, read_only, why, why_len);
    if (code != STORE_OK || guard->data_fd < 0)
        return code;
    if (guard_byte(guard->data_fd, F_WRLCK, GUARD_OPENING_BYTE, true) != 0)
        goto fail;
    guard->opening = true;
    guard->alone = guard_byte(guard->data_fd, F_WRLCK, GUARD_OPEN_BYTE, false) == 0;
    if (!guard->alone && errno != EAGAIN && errno != EACCES)
        goto fail;
    /* Alone: turns the write lock into a read lock; else adds ours to the others'. */
    if (guard_byte(guard->data_fd, F_RDLCK, GUARD_OPEN_BYTE, false) != 0)
        goto fail;
    return guard->alone ? STORE_OK : guard_join(guard, dir, why, why_len);
fail:
    store_say(why, why_len, "cannot lock %s/data.mdb: %s", dir, strerror(errno));
    return STORE_FAILED;
}

/* Allocates `bytes` of `fd` (keeping its size when `keep_size`). ENOTSUP and the like
   (a file system without fallocate) are not errors: there is nothing to reserve with. */
static int guard_reserve(int fd, off_t bytes, bool keep_size)
{
    int rc;
    if (keep_size)
        rc = fallocate(fd, FALLOC_FL_KEEP_SIZE, 0, bytes) == 0 ? 0 : errno;
    else
        rc = posix_fallocate(fd, 0, bytes);
    return no_space(rc) ? rc : 0;
}

int store_guard_prepare(StoreGuard *guard, const char *dir, bool reserve_data, char *why,
                        size_t why_len)
{
    char path[4096];
    struct stat st;
    if (guard->data_fd < 0 || !guard->alone)
        return STORE_OK;
    guard_path(path, sizeof path, dir, "lock.mdb");
    guard->lock_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (guard->lock_fd < 0 || fstat(guard->lock_fd, &st) != 0) {
        if (no_space(errno))
            goto full;
        return guard_cannot_open(dir, path, errno, why, why_len);
    }
    if (st.st_size < GUARD_LOCK_BYTES && guard_reserve(guard->lock_fd, GUARD_LOCK_BYTES, false))
        goto full;
    if (reserve_data && fstat(guard->data_fd, &st) == 0 && st.st_size == 0 &&
        guard_reserve(guard->data_fd, GUARD_DATA_BYTES, true))
        goto full;
    if (guard_flock(guard->lock_fd, LOCK_SH) != 0) {
        store_say(why, why_len, "cannot lock %s: %s", path, strerror(errno));
        return STORE_FAILED;
    }
    return STORE_OK;
full:
    store_say(why, why_len, "no space left on device: cannot make the store's files in %s "
              "(free some space, then try again)", dir);
    return STORE_NO_SPACE;
}

static bool same_file(const struct stat *a, dev_t dev, ino_t ino)
{
    return a->st_dev == dev && a->st_ino == ino;
}

int store_guard_opened(StoreGuard *guard, const char *dir, char *why, size_t why_len)
{
    struct stat mine, now;
    char path[4096];
    if (guard->data_fd < 0)
        return STORE_OK;
    guard_path(path, sizeof path, dir, "lock.mdb");
    if (fstat(guard->lock_fd, &mine) != 0 || stat(path, &now) != 0 ||
        !same_file(&now, mine.st_dev, mine.st_ino))
        return lost_lock(dir, why, why_len); /* removed while LMDB opened it */
    guard->lock_dev = mine.st_dev;
    guard->lock_ino = mine.st_ino;
    guard_byte(guard->data_fd, F_UNLCK, GUARD_OPENING_BYTE, false);
    guard->opening = false;
    return STORE_OK;
}

bool store_guard_current(const StoreGuard *guard, const char *dir)
{
    struct stat now;
    char path[4096];
    if (guard->data_fd < 0)
        return true;
    guard_path(path, sizeof path, dir, "lock.mdb");
    return stat(path, &now) == 0 && same_file(&now, guard->lock_dev, guard->lock_ino);
}

void store_guard_close(StoreGuard *guard, bool keep_data)
{
    if (guard->data_fd >= 0 && guard->opening && !keep_data)
        guard_byte(guard->data_fd, F_UNLCK, GUARD_OPENING_BYTE, false);
    guard->opening = guard->opening && keep_data;
    /* data.mdb first: while this process still marks the store open (byte 0), an opener
       must find the lock file held, or it would take the lock file for a removed one. */
    if (!keep_data && guard->data_fd >= 0) {
        close(guard->data_fd);
        guard->data_fd = -1;
    }
    if (guard->lock_fd >= 0)
        close(guard->lock_fd);
    guard->lock_fd = -1;
    if (!keep_data && guard->wlock_fd >= 0) {
        close(guard->wlock_fd);
        guard->wlock_fd = -1;
    }
}

void store_guard_release(StoreGuard *guard)
{
    if (guard->data_fd >= 0 && guard->opening)
        guard_byte(guard->data_fd, F_UNLCK, GUARD_OPENING_BYTE, false);
    guard->opening = false;
}

int store_guard_hold(StoreGuard *guard)
{
    if (guard->data_fd < 0 || guard->opening)
        return STORE_OK;
    if (guard_byte(guard->data_fd, F_WRLCK, GUARD_OPENING_BYTE, true) != 0)
        return STORE_FAILED;
    guard->opening = true;
    return STORE_OK;
}

int store_guard_write_lock(StoreGuard *guard, const char *dir)
{
    char path[4096];
    guard_path(path, sizeof path, dir, "write.lock");
    for (int attempt = 0; attempt < 8; attempt++) {
        if (guard->wlock_fd < 0)
            guard->wlock_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
        if (guard->wlock_fd < 0)
            return no_space(errno) ? STORE_NO_SPACE
                 : errno == EACCES || errno == EROFS || errno == EPERM ? STORE_NO_ACCESS : STORE_FAILED;
        if (guard_flock(guard->wlock_fd, LOCK_EX) != 0)
            return STORE_FAILED;
        struct stat mine, now;
        if (fstat(guard->wlock_fd, &mine) == 0 && stat(path, &now) == 0 &&
            same_file(&now, mine.st_dev, mine.st_ino))
            return STORE_OK;
        /* Removed (or replaced) while we waited: writers now meet on the new file. */
        close(guard->wlock_fd);
        guard->wlock_fd = -1;
    }
    return STORE_BUSY;
}

void store_guard_write_unlock(StoreGuard *guard)
{
    if (guard->wlock_fd >= 0)
        guard_flock(guard->wlock_fd, LOCK_UN);
}

uint64_t store_guard_room(const struct statvfs *fs)
{
    return (uint64_t)(geteuid() == 0 ? fs->f_bfree : fs->f_bavail) * fs->f_frsize;
}

bool store_guard_full(const StoreGuard *guard, const char *dir)
{
    struct statvfs fs;
    if (statvfs(dir, &fs) == 0 && store_guard_room(&fs) < STORE_FULL_BYTES)
        return true;
    struct rlimit limit;
    struct stat st;
    return guard->data_fd >= 0 && getrlimit(RLIMIT_FSIZE, &limit) == 0 &&
           limit.rlim_cur != RLIM_INFINITY && fstat(guard->data_fd, &st) == 0 &&
           (unsigned long long)st.st_size + STORE_FULL_BYTES > limit.rlim_cur;
}
