/*
 * store_tape.c - the store's puts and deletes recorded on the way to LMDB, and played back
 * in raw LMDB (see store_tape.h). One growing buffer holds the tape: for each operation a
 * header (its kind, table and lengths) and then its key and value bytes; a commit is an
 * operation with no bytes.
 */
#include "store_tape.h"

#include "common.h"

#include <errno.h>
#include <lmdb.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

enum { TAPE_PUT, TAPE_DEL, TAPE_COMMIT };

typedef struct TapeOp {
    uint8_t kind, table;
    uint32_t key_len, value_len;
} TapeOp;

static struct {
    bool on;
    unsigned char *bytes;
    size_t len, cap, ops;
} tape;

int __real_store_put(StoreTxn *txn, StoreTable table, StoreBytes key, StoreBytes value);
int __real_store_del(StoreTxn *txn, StoreTable table, StoreBytes key);
int __wrap_store_put(StoreTxn *txn, StoreTable table, StoreBytes key, StoreBytes value);
int __wrap_store_del(StoreTxn *txn, StoreTable table, StoreBytes key);

static void tape_append(const void *bytes, size_t len)
{
    if (tape.len + len > tape.cap) {
        size_t cap = tape.cap ? tape.cap : (size_t)1 << 20;
        while (cap < tape.len + len)
            cap *= 2;
        tape.bytes = realloc(tape.bytes, cap);
        if (!tape.bytes)
            die("store tape: out of memory at %zu bytes", cap);
        tape.cap = cap;
    }
    memcpy(tape.bytes + tape.len, bytes, len);
    tape.len += len;
}

static void tape_op(unsigned kind, StoreTable table, StoreBytes key, StoreBytes value)
{
    TapeOp op = {(uint8_t)kind, (uint8_t)table, (uint32_t)key.len, (uint32_t)value.len};
    tape_append(&op, sizeof op);
    tape_append(key.data, key.len);
    tape_append(value.data, value.len);
    tape.ops += kind != TAPE_COMMIT;
}

int __wrap_store_put(StoreTxn *txn, StoreTable table, StoreBytes key, StoreBytes value)
{
    int rc = __real_store_put(txn, table, key, value);
    if (tape.on && rc == STORE_OK)
        tape_op(TAPE_PUT, table, key, value);
    return rc;
}

int __wrap_store_del(StoreTxn *txn, StoreTable table, StoreBytes key)
{
    int rc = __real_store_del(txn, table, key);
    if (tape.on && rc == STORE_OK)
        tape_op(TAPE_DEL, table, key, (StoreBytes){NULL, 0});
    return rc;
}

void store_tape_record(bool on)
{
    tape.on = on;
}

void store_tape_commit(void)
{
    tape_op(TAPE_COMMIT, TABLE_META, (StoreBytes){NULL, 0}, (StoreBytes){NULL, 0});
}

size_t store_tape_length(void)
{
    return tape.ops;
}

#define DECK_MAP ((size_t)8 << 30)

void tape_deck_open(TapeDeck *deck, const char *dir, bool no_sync)
{
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

void tape_deck_copy(TapeDeck *deck, const char *store_dir, const char *dir)
{
    MDB_env *from;
    if (mkdir(dir, 0700) != 0 && errno != EEXIST)
        die("%s: %s", dir, strerror(errno));
    raw_check(mdb_env_create(&from), "env_create");
    raw_check(mdb_env_set_mapsize(from, DECK_MAP), "set_mapsize");
    raw_check(mdb_env_set_maxdbs(from, TABLE_COUNT), "set_maxdbs");
    raw_check(mdb_env_open(from, store_dir, MDB_RDONLY | MDB_NOTLS, 0600), "env_open");
    raw_check(mdb_env_copy(from, dir), "env_copy");
    mdb_env_close(from);
    tape_deck_open(deck, dir, false);
}

void tape_deck_close(TapeDeck *deck)
{
    if (deck->env)
        mdb_env_close(deck->env);
    deck->env = NULL;
}

double store_tape_play(TapeDeck *deck)
{
    double t0 = wall_seconds();
    MDB_txn *txn = NULL;
    for (size_t at = 0; at < tape.len;) {
        TapeOp op;
        memcpy(&op, tape.bytes + at, sizeof op);
        /* a key past LMDB's 511 bytes (the store keeps it hashed) is cut: none in 1b or 7 */
        MDB_val key = {op.key_len > 511 ? 511 : op.key_len, tape.bytes + at + sizeof op};
        MDB_val value = {op.value_len, tape.bytes + at + sizeof op + op.key_len};
        at += sizeof op + op.key_len + op.value_len;
        if (!txn && op.kind != TAPE_COMMIT)
            raw_check(mdb_txn_begin(deck->env, NULL, 0, &txn), "txn_begin");
        if (op.kind == TAPE_PUT) {
            raw_check(mdb_put(txn, deck->dbi[op.table], &key, &value, 0), "put");
        } else if (op.kind == TAPE_DEL) {
            int rc = mdb_del(txn, deck->dbi[op.table], &key, NULL);
            if (rc != MDB_NOTFOUND)
                raw_check(rc, "del");
        } else if (txn) {
            raw_check(mdb_txn_commit(txn), "commit");
            txn = NULL;
        }
    }
    if (txn)
        raw_check(mdb_txn_commit(txn), "commit");
    double seconds = wall_seconds() - t0;
    tape.len = tape.ops = 0;
    return seconds;
}

void store_tape_free(void)
{
    free(tape.bytes);
    tape.bytes = NULL;
    tape.len = tape.cap = tape.ops = 0;
}
