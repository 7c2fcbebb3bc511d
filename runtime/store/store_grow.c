/*
 * store_grow.c - serve's data.mdb kept ahead of LMDB's use by zeros written in steps
 * (StoreOptions.grow_ahead; "growing ahead" in store_files.h).
 *
 * LMDB appends its pages with pwrite, so data.mdb grows commit by commit, and a synced
 * commit that grew the file makes fdatasync write the inode (its size) besides the data:
 * on an ext4 without a journal, one more metadata write under almost every commit of a
 * store that is filling up. A file that already reaches past the pages a commit writes
 * keeps its size, and fdatasync writes the data alone. So serve's store writes zeros
 * past LMDB's last page whenever less than half a step is left there:
 *
 *   when      at the start of a write transaction (store_begin), while this process holds
 *             LMDB's write lock and before the transaction has written a page (LMDB may
 *             spill dirty pages to the file in the middle of a transaction): no other
 *             process writes pages meanwhile (CLI writers take the same lock), and no
 *             meta page refers to a byte past LMDB's last page
 *   where     from max(the file's size, (last page + 1) * page size) only: never a byte
 *             that a committed page may hold
 *   how much  a step of 1/16 of what LMDB uses, 1 to 4 MiB, once it uses 8 MiB (so small
 *             stores keep exactly LMDB's size; HUDDLE_STORE_GROW_FROM=BYTES sets that
 *             threshold instead, a test hook); never past the map (no reader maps
 *             further), never within STORE_FULL_BYTES of RLIMIT_FSIZE (so no SIGXFSZ, and
 *             store_guard_full still means that LMDB's own writes reached the limit), and
 *             only while the disk keeps at least as much free beside the step
 *   failing   quietly: a write that fails (ENOSPC, EFBIG, EIO) is undone by cutting the
 *             file back to its size before; LMDB's own writes then meet the condition
 *             and report it as they always did (no false "disk full")
 *   written   zeros, not fallocate: ext4 keeps fallocated blocks as unwritten extents,
 *             which the first write into them converts, a metadata write again
 *
 * The zeros are flushed by the next commit's fdatasync: a step costs that one round the
 * time to write and flush it (about 1-2 ms a MiB on the development machine, see
 * docs/performance-log.md). A crash while they are written leaves zeros past the last page,
 * which nothing refers to: the store opens as it was, and mdb_copy copies only up to the
 * last page.
 */
#include <errno.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/uio.h>
#include <unistd.h>

#include "fault.h"
#include "store_files.h"

#define GROW_FROM ((uint64_t)8 << 20)       /* what LMDB uses before the file grows ahead */
#define GROW_STEP_MIN ((uint64_t)1 << 20)
#define GROW_STEP_MAX ((uint64_t)4 << 20)
#define GROW_CALL_BYTES (256 << 10)         /* zeros one pwritev writes */

static unsigned char zero_block[64 << 10];

void store_grow_init(StoreGrow *grow, bool on)
{
    const char *text = getenv("HUDDLE_STORE_GROW_FROM");
    unsigned long long from = text ? strtoull(text, NULL, 10) : 0;
    grow->look_at = !on ? UINT64_MAX : from > 0 ? from : GROW_FROM;
}

uint64_t store_grow_step(uint64_t used)
{
    uint64_t step = used / 16;
    return step < GROW_STEP_MIN ? GROW_STEP_MIN : step > GROW_STEP_MAX ? GROW_STEP_MAX : step;
}

/* Where a step from `start` may end for a store that uses `used` bytes of a `map`-byte
   map: `start` when no step fits (the map's end, the file-size limit, the disk's room). */
static uint64_t grow_end(int fd, uint64_t start, uint64_t used, uint64_t map)
{
    uint64_t end = used + store_grow_step(used);
    if (end > map)
        end = map;
    struct rlimit limit;
    if (getrlimit(RLIMIT_FSIZE, &limit) == 0 && limit.rlim_cur != RLIM_INFINITY) {
        uint64_t below = limit.rlim_cur > STORE_FULL_BYTES ? limit.rlim_cur - STORE_FULL_BYTES : 0;
        if (end > below)
            end = below;
    }
    if (end <= start)
        return start;
    struct statvfs fs;
    if (fstatvfs(fd, &fs) != 0 || store_guard_room(&fs) < 2 * (end - start) + STORE_FULL_BYTES)
        return start;
    return end;
}

/* Writes zeros over [from, to) of `fd`: 0, or -1 when a write failed or fell short. */
static int zeros_write(int fd, uint64_t from, uint64_t to)
{
    struct iovec iov[GROW_CALL_BYTES / sizeof zero_block];
    while (from < to) {
        uint64_t at = from;
        int count = 0;
        for (; count < (int)(sizeof iov / sizeof iov[0]) && from < to; count++) {
            size_t len = to - from < sizeof zero_block ? (size_t)(to - from) : sizeof zero_block;
            iov[count] = (struct iovec){zero_block, len};
            from += len;
        }
        ssize_t wrote = pwritev(fd, iov, count, (off_t)at);
        if (wrote < 0 && errno == EINTR) {
            from = at;
            continue;
        }
        if (wrote < 0 || (uint64_t)wrote != from - at)
            return -1;
        fault_pause("grow ahead");
    }
    return 0;
}

void store_grow_ahead(StoreGrow *grow, int fd, uint64_t used, uint64_t map)
{
    struct stat st;
    if (used < grow->look_at || fd < 0 || fstat(fd, &st) != 0)
        return;
    uint64_t size = (uint64_t)st.st_size, half = store_grow_step(used) / 2;
    if (size >= used + half) {
        grow->look_at = size - half;    /* another process's pages, or our last step */
        return;
    }
    uint64_t start = size > used ? size : used;
    uint64_t end = grow_end(fd, start, used, map);
    if (end > start && zeros_write(fd, start, end) == 0) {
        grow->look_at = end - half;
        return;
    }
    grow->look_at = used + half;        /* no step: look again half a step on */
    if (end > start && ftruncate(fd, (off_t)size) != 0)
        return; /* zeros past the last page stay, which nothing refers to */
}
