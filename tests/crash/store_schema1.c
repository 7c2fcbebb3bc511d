/*
 * store_schema1.c - makes a store what schema 1 made: every record JSON text again and
 * schema_version 1, for the tests of the conversion to schema 2 (tests/e2e/upgrade.sh).
 *
 *   store_schema1 DIR          rewrites the store in DIR as schema 1 kept it
 *   store_schema1 --to 3 DIR   ... or as schema 3 kept it (no decisions index; the
 *                              table stays, empty: tests/e2e/audit_index.sh also makes
 *                              one without it)
 *   store_schema1 --show DIR   prints the schema DIR has, and how many records are in
 *                              the binary form and how many are JSON text
 *
 * The rewrite is engine_store_convert's, in one write transaction. Exit status: 0 done,
 * 2 usage, 3 the store could not be opened or written.
 */
#include <stdio.h>
#include <string.h>

#include "engine_internal.h"
#include "store.h"

typedef struct Count {
    size_t binary, text;
    StoreTable table;
} Count;

static int count_visit(void *context, StoreBytes key, StoreBytes value)
{
    (void)key;
    Count *c = context;
    const unsigned char *bytes = value.data;
    size_t skip = c->table == TABLE_INSTANCES ? 4    /* the record after its length */
                : c->table == TABLE_HISTORY && value.len > HISTORY_STAMP && bytes[0] == HISTORY_STAMP_TAG
                ? HISTORY_STAMP : 0;                  /* or after its chain stamp */
    if (value.len <= skip)
        return STORE_OK;
    if (bytes[skip] == CODEC_FORMAT_1)
        c->binary++;
    else
        c->text++;
    return STORE_OK;
}

/* schema N, binary B, text T: over the record tables (meta and programs aside). */
static int show(Store *store)
{
    static const StoreTable TABLES[] = {
        TABLE_PLAYBOOKS, TABLE_INSTANCES, TABLE_CASES, TABLE_WINDOWS, TABLE_HISTORY,
        TABLE_TASKS, TABLE_TIMERS, TABLE_MAILBOX, TABLE_OUTBOX, TABLE_SEEN, TABLE_DIRECTORY};
    StoreTxn *txn = NULL;
    unsigned version = 0;
    Count c = {0, 0, TABLE_META};
    int rc = store_begin(store, false, &txn);
    if (rc == STORE_OK)
        rc = store_schema(txn, &version);
    for (size_t i = 0; rc == STORE_OK && i < sizeof TABLES / sizeof TABLES[0]; i++) {
        c.table = TABLES[i];
        rc = store_scan(txn, TABLES[i], store_bytes(NULL, 0), store_bytes(NULL, 0), count_visit, &c);
    }
    if (txn)
        store_abort(txn);
    if (rc != STORE_OK) {
        fprintf(stderr, "store_schema1: %s\n", store_strerror(rc));
        return 3;
    }
    printf("schema %u, binary %zu, text %zu\n", version, c.binary, c.text);
    return 0;
}

int main(int argc, char **argv)
{
    bool showing = argc == 3 && strcmp(argv[1], "--show") == 0;
    bool to3 = argc == 4 && strcmp(argv[1], "--to") == 0 && strcmp(argv[2], "3") == 0;
    if (argc != 2 && !showing && !to3) {
        fprintf(stderr, "usage: store_schema1 [--show | --to 3] DIR\n");
        return 2;
    }
    const char *dir = argv[argc - 1];
    StoreOptions options = {false, false, showing};
    Store *store;
    char why[512];
    if (store_open(dir, &options, &store, why, sizeof why) != STORE_OK) {
        fprintf(stderr, "store_schema1: %s\n", why);
        return 3;
    }
    unsigned from;
    size_t count;
    int rc = showing ? show(store) : engine_store_convert(store, to3 ? 3 : 1, &from, &count);
    store_close(store);
    if (!showing && rc != STORE_OK) {
        fprintf(stderr, "store_schema1: %s: %s\n", dir, store_strerror(rc));
        return 3;
    }
    return rc == STORE_OK ? 0 : rc;
}
