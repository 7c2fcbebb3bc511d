/*
 * store_header.c - data.mdb's meta pages, read with pread before LMDB maps the file (see
 * store_files.h).
 *
 * LMDB maps data.mdb and reads pages by address: a page that the file no longer holds
 * (a file cut short by a failed copy, a full disk during a restore, a truncate) is SIGBUS
 * in whatever command touches it. So the store reads the two meta pages itself and checks
 * that the file reaches the last page they promise. LMDB may legitimately leave the last
 * few pages unwritten when they are free (pages used and freed within one transaction are
 * never flushed), so when the file is short the free list is read as well, and the file
 * is cut only when a page past its end is not free.
 *
 * The layout is LMDB 0.9's (mdb.c, MDB_page, MDB_meta, MDB_node), on a 64-bit machine in
 * the machine's byte order, which is the only order LMDB writes:
 *
 *   page header   pgno u64 @0, pad u16 @8, flags u16 @10, lower u16 @12, upper u16 @14
 *                 (an overflow page keeps its page count, u32, @12); 16 bytes
 *   meta          magic u32 @16 (0xBEEFC0DE), version u32 @20 (1), address @24,
 *                 mapsize @32, the free DB @40 (MDB_db: pad u32 = the page size, flags
 *                 u16, depth u16, branch, leaf, overflow pages, entries, root: u64 each,
 *                 48 bytes), the main DB @88, last page u64 @136, txnid u64 @144
 *   node          lo u16, hi u16, flags u16, ksize u16, key, data; on a branch page the
 *                 child is lo | hi << 16 | flags << 32; on a leaf the data size is
 *                 lo | hi << 16, and F_BIGDATA (1) puts the data on overflow pages
 *   free list     key: a txnid; data: a count, then that many page numbers (u64 each)
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store_files.h"

#define LMDB_MAGIC 0xBEEFC0DEu
#define LMDB_DATA_VERSION 1u
#define PAGE_HEADER 16
#define META_END 152
#define P_BRANCH 0x01
#define P_LEAF 0x02
#define P_OVERFLOW 0x04
#define P_META 0x08
#define F_BIGDATA 0x01
#define NODE_HEADER 8
#define NO_PAGE UINT64_MAX
#define FREE_DEPTH_LIMIT 32
#define MISSING_LIMIT (1u << 24) /* pages past the end worth looking up in the free list */

typedef struct Meta {
    uint32_t magic, version, psize;
    uint16_t flags;
    uint64_t free_root, last_pg, txnid;
} Meta;

typedef struct FreeWalk {
    int fd;
    uint32_t psize;
    uint64_t file_pages;     /* whole pages the file holds */
    uint64_t last_pg;
    unsigned char *missing;  /* a bit per page past the end: set when it is free */
    uint64_t free_missing;   /* how many of those are free */
    unsigned char *page;     /* one page buffer per level */
    int broken;              /* the free list itself is damaged or cut */
} FreeWalk;

static uint16_t get16(const unsigned char *p)
{
    uint16_t v;
    memcpy(&v, p, sizeof v);
    return v;
}

static uint32_t get32(const unsigned char *p)
{
    uint32_t v;
    memcpy(&v, p, sizeof v);
    return v;
}

static uint64_t get64(const unsigned char *p)
{
    uint64_t v;
    memcpy(&v, p, sizeof v);
    return v;
}

static void meta_parse(const unsigned char *page, Meta *meta)
{
    meta->flags = get16(page + 10);
    meta->magic = get32(page + 16);
    meta->version = get32(page + 20);
    meta->psize = get32(page + 40);
    meta->free_root = get64(page + 40 + 40);
    meta->last_pg = get64(page + 136);
    meta->txnid = get64(page + 144);
}

static bool psize_ok(uint32_t psize)
{
    return psize >= 512 && psize <= 65536 && (psize & (psize - 1)) == 0;
}

/* ---- the free list ------------------------------------------------------------------ */

static bool walk_read(FreeWalk *w, uint64_t pgno, unsigned char *buf, size_t len)
{
    if (pgno > w->last_pg || pgno >= w->file_pages ||
        pread(w->fd, buf, len, (off_t)(pgno * w->psize)) != (ssize_t)len) {
        w->broken = 1;
        return false;
    }
    return true;
}

/* Marks the page numbers of one free-list record (count, then numbers) past the end. */
static void walk_record(FreeWalk *w, const unsigned char *data, size_t len)
{
    if (len < 8 || get64(data) > (len - 8) / 8) {
        w->broken = 1;
        return;
    }
    uint64_t count = get64(data);
    for (uint64_t i = 0; i < count; i++) {
        uint64_t pgno = get64(data + 8 + 8 * i);
        if (pgno < w->file_pages || pgno > w->last_pg)
            continue;
        uint64_t bit = pgno - w->file_pages;
        if (!(w->missing[bit / 8] & 1u << bit % 8)) {
            w->missing[bit / 8] |= (unsigned char)(1u << bit % 8);
            w->free_missing++;
        }
    }
}

/* A leaf node's data: inline, or on overflow pages read into a buffer of its own. */
static void walk_leaf_node(FreeWalk *w, const unsigned char *node, const unsigned char *end)
{
    uint32_t size = get16(node) | (uint32_t)get16(node + 2) << 16;
    uint16_t flags = get16(node + 4), ksize = get16(node + 6);
    const unsigned char *data = node + NODE_HEADER + ksize;
    if (!(flags & F_BIGDATA)) {
        if (data + size > end)
            w->broken = 1;
        else
            walk_record(w, data, size);
        return;
    }
    bool fits = data + 8 <= end && size <= (w->last_pg + 1) * w->psize;
    unsigned char *big = fits ? malloc((size_t)size + PAGE_HEADER) : NULL;
    if (big == NULL) {
        w->broken = 1;
        return;
    }
    if (walk_read(w, get64(data), big, (size_t)size + PAGE_HEADER)) {
        if (!(get16(big + 10) & P_OVERFLOW))
            w->broken = 1;
        else
            walk_record(w, big + PAGE_HEADER, size);
    }
    free(big);
}

static void walk_page(FreeWalk *w, uint64_t pgno, int depth)
{
    if (depth >= FREE_DEPTH_LIMIT) {
        w->broken = 1;
        return;
    }
    unsigned char *page = w->page + (size_t)depth * w->psize;
    if (!walk_read(w, pgno, page, w->psize))
        return;
    uint16_t flags = get16(page + 10), lower = get16(page + 12);
    if (lower < PAGE_HEADER || lower > w->psize || !(flags & (P_BRANCH | P_LEAF))) {
        w->broken = 1;
        return;
    }
    unsigned keys = (unsigned)(lower - PAGE_HEADER) / 2;
    for (unsigned i = 0; i < keys && !w->broken; i++) {
        uint16_t at = get16(page + PAGE_HEADER + 2 * i);
        if (at < lower || (size_t)at + NODE_HEADER > w->psize) {
            w->broken = 1;
            break;
        }
        const unsigned char *node = page + at;
        if (flags & P_BRANCH)
            walk_page(w, get16(node) | (uint64_t)get16(node + 2) << 16 |
                             (uint64_t)get16(node + 4) << 32, depth + 1);
        else
            walk_leaf_node(w, node, page + w->psize);
    }
}

/* Whether every page from the file's end to `meta->last_pg` is on the free list. */
static bool tail_is_free(int fd, const Meta *meta, uint64_t file_pages)
{
    uint64_t missing = meta->last_pg + 1 - file_pages;
    if (missing > MISSING_LIMIT || meta->free_root == NO_PAGE)
        return false;
    FreeWalk w = {fd, meta->psize, file_pages, meta->last_pg, NULL, 0, NULL, 0};
    w.missing = calloc((size_t)(missing + 7) / 8, 1);
    w.page = malloc((size_t)meta->psize * FREE_DEPTH_LIMIT);
    bool free_tail = false;
    if (w.missing != NULL && w.page != NULL) {
        walk_page(&w, meta->free_root, 0);
        free_tail = !w.broken && w.free_missing == missing;
    }
    free(w.missing);
    free(w.page);
    return free_tail;
}

/* ---- the check ---------------------------------------------------------------------- */

static int header_cut(const char *dir, uint64_t size, uint64_t need, char *why,
                      size_t why_len)
{
    store_say(why, why_len, "%s/data.mdb is shorter than its own header says (%llu of %llu "
               "bytes): the file was cut; restore it from a backup (mdb_copy)", dir,
               (unsigned long long)size, (unsigned long long)need);
    return STORE_DAMAGED;
}

/* Reads and checks the meta page at `offset`: STORE_OK, or a refusal with a sentence. */
static int meta_read(int fd, off_t offset, const char *dir, Meta *meta, char *why,
                     size_t why_len)
{
    unsigned char page[META_END];
    ssize_t got = pread(fd, page, sizeof page, offset);
    if (got < 0) {
        store_say(why, why_len, "cannot read %s/data.mdb: %s", dir, strerror(errno));
        return STORE_FAILED;
    }
    memset(page + got, 0, sizeof page - (size_t)got);
    meta_parse(page, meta);
    if (got < 24 || meta->magic != LMDB_MAGIC || !(meta->flags & P_META)) {
        store_say(why, why_len, "%s is not a Huddle store (data.mdb is not an LMDB file: "
                   "its %s meta page is not one); it was left as it is: check that --db (or "
                   "HUDDLE_DB) names the folder of a Huddle store", dir,
                   offset == 0 ? "first" : "second");
        return STORE_NOT_A_STORE;
    }
    if (meta->version != LMDB_DATA_VERSION) {
        store_say(why, why_len, "%s is not a store this huddle can open: data.mdb is an "
                   "LMDB file of data format %u (this huddle's LMDB reads format %u); "
                   "it was left as it is", dir, meta->version, LMDB_DATA_VERSION);
        return STORE_NOT_A_STORE;
    }
    return got < META_END ? STORE_DAMAGED : STORE_OK;
}

/* One meta page is LMDB's and the other is not: a damaged store, not another kind of file
   (LMDB writes both when it makes a file). */
static int meta_damaged(const char *dir, const char *which, char *why, size_t why_len)
{
    store_say(why, why_len, "%s/data.mdb is damaged: its %s meta page is not one, though the other "
               "is; restore it from a backup (mdb_copy)", dir, which);
    return STORE_DAMAGED;
}

int store_header_check(int fd, const char *dir, char *why, size_t why_len)
{
    struct stat st;
    Meta first, second;
    if (fstat(fd, &st) != 0) {
        store_say(why, why_len, "cannot read %s/data.mdb: %s", dir, strerror(errno));
        return STORE_FAILED;
    }
    uint64_t size = (uint64_t)st.st_size;
    if (size == 0)
        return STORE_OK;
    int code = meta_read(fd, 0, dir, &first, why, why_len);
    char quiet[16];   /* the first page says nothing of the page size: LMDB's usual one */
    if (code == STORE_NOT_A_STORE && size >= 2 * 4096 &&
        meta_read(fd, 4096, dir, &second, quiet, sizeof quiet) == STORE_OK && second.psize == 4096)
        return meta_damaged(dir, "first", why, why_len);
    if (code == STORE_DAMAGED) /* cut inside the first meta page */
        return header_cut(dir, size, 2 * (psize_ok(first.psize) ? first.psize : 4096), why,
                          why_len);
    if (code != STORE_OK)
        return code;
    if (!psize_ok(first.psize)) {
        store_say(why, why_len, "%s/data.mdb is damaged: its header gives a page size of "
                   "%u bytes; restore it from a backup (mdb_copy)", dir, first.psize);
        return STORE_DAMAGED;
    }
    uint64_t psize = first.psize;
    if (size < 2 * psize)
        return header_cut(dir, size, (first.last_pg + 1) * psize, why, why_len);
    code = meta_read(fd, (off_t)psize, dir, &second, why, why_len);
    if (code == STORE_NOT_A_STORE)
        return meta_damaged(dir, "second", why, why_len);
    if (code != STORE_OK)
        return code;
    const Meta *meta = second.txnid > first.txnid ? &second : &first; /* as LMDB picks */
    if (meta->last_pg < 1 || meta->last_pg > UINT64_MAX / psize - 1) {
        store_say(why, why_len, "%s/data.mdb is damaged: its header names page %llu as its "
                   "last; restore it from a backup (mdb_copy)", dir,
                   (unsigned long long)meta->last_pg);
        return STORE_DAMAGED;
    }
    uint64_t need = (meta->last_pg + 1) * psize;
    if (size >= need || tail_is_free(fd, meta, size / psize))
        return STORE_OK;
    return header_cut(dir, size, need, why, why_len);
}
