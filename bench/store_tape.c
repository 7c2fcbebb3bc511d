/*
 * store_tape.c - the store's puts and deletes recorded on the way to LMDB, and played back
 * in raw LMDB (see store_tape.h). A deck's tape is one growing buffer: for each operation
 * a header (its kind, table and lengths) and then its key and value bytes; a commit is an
 * operation with no bytes.
 */
#include "store_tape.h"

#include "common.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

enum { TAPE_PUT, TAPE_DEL, TAPE_COMMIT };

typedef struct TapeOp {
    uint8_t kind, table;
    uint32_t key_len, value_len;
} TapeOp;

#define DECK_MAP ((size_t)8 << 30)

static TapeDeck *recording;     /* the deck the wrappers record onto, or NULL */

int __real_store_put(StoreTxn *txn, StoreTable table, StoreBytes key, StoreBytes value);
int __real_store_del(StoreTxn *txn, StoreTable table, StoreBytes key);
int __wrap_store_put(StoreTxn *txn, StoreTable table, StoreBytes key, StoreBytes value);
int __wrap_store_del(StoreTxn *txn, StoreTable table, StoreBytes key);

static void tape_append(TapeDeck *deck, const void *bytes, size_t len)
{
    if (deck->len + len > deck->cap) {
        size_t cap = deck->cap ? deck->cap : (size_t)1 << 20;
        while (cap < deck->len + len)
            cap *= 2;
        deck->tape = realloc(deck->tape, cap);
        if (!deck->tape)
            die("store tape: out of memory at %zu bytes", cap);
        deck->cap = cap;
    }
    if (len)
        memcpy(deck->tape + deck->len, bytes, len);
    deck->len += len;
}

static void tape_op(TapeDeck *deck, unsigned kind, StoreTable table, StoreBytes key, StoreBytes value)
{
    TapeOp op = {(uint8_t)kind, (uint8_t)table, (uint32_t)key.len, (uint32_t)value.len};
    tape_append(deck, &op, sizeof op);
    tape_append(deck, key.data, key.len);
    tape_append(deck, value.data, value.len);
    if (kind == TAPE_COMMIT)
        deck->commits++;
    else
        deck->ops++;
}

int __wrap_store_put(StoreTxn *txn, StoreTable table, StoreBytes key, StoreBytes value)
{
    int rc = __real_store_put(txn, table, key, value);
    if (recording && rc == STORE_OK)
        tape_op(recording, TAPE_PUT, table, key, value);
    return rc;
}

int __wrap_store_del(StoreTxn *txn, StoreTable table, StoreBytes key)
{
    int rc = __real_store_del(txn, table, key);
    if (recording && rc == STORE_OK)
        tape_op(recording, TAPE_DEL, table, key, (StoreBytes){NULL, 0});
    return rc;
}

void store_tape_record(TapeDeck *deck)
{
    recording = deck;
}

void store_tape_commit(TapeDeck *deck)
{
    tape_op(deck, TAPE_COMMIT, TABLE_META, (StoreBytes){NULL, 0}, (StoreBytes){NULL, 0});
}

void tape_deck_open(TapeDeck *deck, const char *dir, bool no_sync)
{
    *deck = (TapeDeck){.journal_next = 1};
    if (mkdir(dir, 0700) != 0 && errno != EEXIST)
        die("%s: %s", dir, strerror(errno));
    raw_check(mdb_env_create(&deck->env), "env_create");
    raw_check(mdb_env_set_mapsize(deck->env, DECK_MAP), "set_mapsize");
    raw_check(mdb_env_set_maxdbs(deck->env, TABLE_COUNT), "set_maxdbs");
    /* store_lmdb.c's flags, but for the lock file: one process here */
    unsigned flags = MDB_NOTLS | MDB_NOMEMINIT | (no_sync ? MDB_NOSYNC | MDB_NOMETASYNC : 0);
    raw_check(mdb_env_open(deck->env, dir, flags, 0600), "env_open");
    MDB_txn *txn;
    raw_check(mdb_txn_begin(deck->env, NULL, 0, &txn), "txn_begin");
    for (unsigned t = 0; t < TABLE_COUNT; t++)
        raw_check(mdb_dbi_open(txn, store_table_name((StoreTable)t), MDB_CREATE, &deck->dbi[t]), "dbi_open");
    raw_check(mdb_txn_commit(txn), "commit");
}

/* Copies `from` to `to` byte for byte. */
static void file_copy(const char *from, const char *to)
{
    int in = open(from, O_RDONLY), out = open(to, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (in < 0 || out < 0)
        die("copying %s to %s: %s", from, to, strerror(errno));
    static char buf[1 << 20];
    ssize_t n;
    while ((n = read(in, buf, sizeof buf)) > 0)
        if (write(out, buf, (size_t)n) != n)
            die("writing %s: %s", to, strerror(errno));
    if (n < 0 || fsync(out) != 0)
        die("copying %s: %s", from, strerror(errno));
    close(in);
    close(out);
}

/* data.mdb copied as a file, not through LMDB: opening the store's environment in this
   process, even read-only and closed again, slowed the engine's commits on it after. */
void tape_deck_copy(TapeDeck *deck, const char *store_dir, const char *dir)
{
    char from[512], to[512];
    if (mkdir(dir, 0700) != 0 && errno != EEXIST)
        die("%s: %s", dir, strerror(errno));
    snprintf(from, sizeof from, "%s/data.mdb", store_dir);
    snprintf(to, sizeof to, "%s/data.mdb", dir);
    file_copy(from, to);
    tape_deck_open(deck, dir, false);
}

void tape_deck_close(TapeDeck *deck)
{
    if (recording == deck)
        recording = NULL;
    if (deck->env)
        mdb_env_close(deck->env);
    free(deck->tape);
    *deck = (TapeDeck){0};
}

/* One operation of a commit being copied: where it lies on the tape, and its place. */
typedef struct TapeRef {
    const unsigned char *at;
    TapeOp op;
    size_t place;
    bool last;                  /* the last operation on its table and key in the commit */
} TapeRef;

/* Orders by table and key, then by place. */
static int ref_key_compare(const TapeRef *x, const TapeRef *y)
{
    if (x->op.table != y->op.table)
        return x->op.table < y->op.table ? -1 : 1;
    size_t n = x->op.key_len < y->op.key_len ? x->op.key_len : y->op.key_len;
    int c = memcmp(x->at + sizeof x->op, y->at + sizeof y->op, n);
    if (c || x->op.key_len != y->op.key_len)
        return c ? c : x->op.key_len < y->op.key_len ? -1 : 1;
    return 0;
}

static int ref_by_key(const void *a, const void *b)
{
    const TapeRef *x = a, *y = b;
    int c = ref_key_compare(x, y);
    return c ? c : x->place < y->place ? -1 : x->place > y->place;
}

static int ref_by_place(const void *a, const void *b)
{
    const TapeRef *x = a, *y = b;
    return x->place < y->place ? -1 : x->place > y->place;
}

void tape_deck_journal(const TapeDeck *from, TapeDeck *to)
{
    size_t count = 0, cap = 1024;
    TapeRef *refs = malloc(cap * sizeof *refs);
    for (size_t at = from->played; at < from->len;) {
        TapeRef r = {.at = from->tape + at, .place = count};
        memcpy(&r.op, r.at, sizeof r.op);
        at += sizeof r.op + r.op.key_len + r.op.value_len;
        if (r.op.kind == TAPE_COMMIT)
            break;
        if (count == cap)
            refs = realloc(refs, (cap *= 2) * sizeof *refs);
        if (!refs)
            die("store tape: out of memory");
        refs[count++] = r;
    }
    qsort(refs, count, sizeof *refs, ref_by_key);
    for (size_t i = 0; i < count; i++)
        refs[i].last = i + 1 == count || ref_key_compare(&refs[i], &refs[i + 1]) != 0;
    qsort(refs, count, sizeof *refs, ref_by_place);
    for (size_t i = 0; i < count; i++) {
        const TapeRef *r = &refs[i];
        StoreBytes key = {r->at + sizeof r->op, r->op.key_len};
        StoreBytes value = {r->at + sizeof r->op + r->op.key_len, r->op.value_len};
        if (r->op.table == TABLE_HISTORY && r->op.kind == TAPE_PUT) {
            unsigned char seq[8];
            uint64_t n = to->journal_next++;
            for (int b = 7; b >= 0; b--, n >>= 8)
                seq[b] = (unsigned char)n;
            tape_op(to, TAPE_PUT, TABLE_HISTORY, (StoreBytes){seq, 8}, value);
        } else if (r->last) {
            tape_op(to, r->op.kind, (StoreTable)r->op.table, key, value);
        }
    }
    free(refs);
    store_tape_commit(to);
}

double tape_deck_play(TapeDeck *deck, size_t commits)
{
    double t0 = wall_seconds();
    MDB_txn *txn = NULL;
    while (deck->played < deck->len && commits > 0) {
        TapeOp op;
        const unsigned char *at = deck->tape + deck->played;
        memcpy(&op, at, sizeof op);
        /* a key past LMDB's 511 bytes (the store keeps it hashed) is cut: none in 1b or 7 */
        MDB_val key = {op.key_len > 511 ? 511 : op.key_len, (void *)(at + sizeof op)};
        MDB_val value = {op.value_len, (void *)(at + sizeof op + op.key_len)};
        deck->played += sizeof op + op.key_len + op.value_len;
        if (!txn)
            raw_check(mdb_txn_begin(deck->env, NULL, 0, &txn), "txn_begin");
        if (op.kind == TAPE_PUT) {
            raw_check(mdb_put(txn, deck->dbi[op.table], &key, &value, 0), "put");
        } else if (op.kind == TAPE_DEL) {
            int rc = mdb_del(txn, deck->dbi[op.table], &key, NULL);
            if (rc != MDB_NOTFOUND)
                raw_check(rc, "del");
        } else {
            raw_check(mdb_txn_commit(txn), "commit");
            txn = NULL;
            commits--;
        }
    }
    if (txn)
        raw_check(mdb_txn_commit(txn), "commit");
    if (deck->played == deck->len)
        deck->played = deck->len = 0;   /* all played: the buffer is used again */
    return wall_seconds() - t0;
}
