/*
 * store_tape.h - the store's puts and deletes of a stretch of engine work, recorded and
 * played back in raw LMDB: the floor LMDB itself sets for the engine's write pattern
 * (the same keys, values, tables and commits, with no engine work between them).
 *
 * Linked only into bench_engine, which is linked with -Wl,--wrap=store_put and
 * -Wl,--wrap=store_del (Makefile), so every put and delete the engine's objects make goes
 * through the tape first. Recording is off until store_tape_record(true).
 */
#ifndef HUDDLE_BENCH_STORE_TAPE_H
#define HUDDLE_BENCH_STORE_TAPE_H

#include <lmdb.h>
#include <stdbool.h>
#include <stddef.h>

#include "store.h"

/* Starts (true) or stops (false) recording; what was recorded stays until played. */
void store_tape_record(bool on);

/* Ends the current commit on the tape: what play replays as one transaction. */
void store_tape_commit(void);

/* Puts and deletes recorded since the last play (a count, for the table). */
size_t store_tape_length(void);

/* A raw LMDB environment the tape is played into: the store's tables by their names, the
   store's environment flags, synced commits unless no_sync. */
typedef struct TapeDeck {
    MDB_env *env;
    MDB_dbi dbi[TABLE_COUNT];
} TapeDeck;

/* Opens (making them when missing) the environment and tables in `dir`. */
void tape_deck_open(TapeDeck *deck, const char *dir, bool no_sync);
/* Copies the closed store in `store_dir` to `dir` (mdb_env_copy) and opens it there: the
   tape then plays onto the same pages the engine's store had. */
void tape_deck_copy(TapeDeck *deck, const char *store_dir, const char *dir);
void tape_deck_close(TapeDeck *deck);

/* Plays the tape into `deck`, one transaction per store_tape_commit, and empties it.
   Returns the seconds it took. */
double store_tape_play(TapeDeck *deck);

/* Lets go of the tape's memory. */
void store_tape_free(void);

#endif
