/*
 * store_tape.h - the store's puts and deletes of a stretch of engine work, recorded and
 * played back in raw LMDB: the floor LMDB itself sets for the engine's write pattern
 * (the same keys, values, tables and commits, with no engine work between them).
 *
 * Linked only into bench_engine, which is linked with -Wl,--wrap=store_put and
 * -Wl,--wrap=store_del (Makefile), so every put and delete the engine's objects make goes
 * through the recorder first. Each TapeDeck keeps its own tape; the recorder writes to
 * one deck at a time. Play a tape outside the engine's timed stretches, and often
 * enough that it stays small (a tape that grows by realloc while the engine is timed
 * costs the engine its copies).
 */
#ifndef HUDDLE_BENCH_STORE_TAPE_H
#define HUDDLE_BENCH_STORE_TAPE_H

#include <lmdb.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store.h"

/* A raw LMDB environment and the tape to play into it: the store's tables by their
   names, the store's environment flags, synced commits unless no_sync. */
typedef struct TapeDeck {
    MDB_env *env;
    MDB_dbi dbi[TABLE_COUNT];
    unsigned char *tape;        /* operations, each a header and its key and value bytes */
    size_t len, cap, played;    /* bytes kept, allocated, and played so far */
    size_t ops, commits;        /* puts and deletes, and commits, recorded in all */
    uint64_t journal_next;      /* tape_deck_journal: the next journal key */
} TapeDeck;

/* Opens (making them when missing) the environment and tables in `dir`. */
void tape_deck_open(TapeDeck *deck, const char *dir, bool no_sync);
/* Copies the closed store in `store_dir` to `dir` (its data.mdb, as a file) and opens it
   there: the tape then plays onto the same pages the engine's store had. */
void tape_deck_copy(TapeDeck *deck, const char *store_dir, const char *dir);
/* Closes the environment and lets go of the tape. */
void tape_deck_close(TapeDeck *deck);

/* Records every put and delete from now on onto `deck`'s tape (NULL: stops recording). */
void store_tape_record(TapeDeck *deck);
/* Ends a commit on `deck`'s tape: what play replays as one transaction. */
void store_tape_commit(TapeDeck *deck);

/* Copies the next commit of `from`'s tape (the one tape_deck_play plays next) onto `to`'s
   tape as issue 11's journal would write it: each history put appended under the next
   8-byte big-endian key of one sequence (one append a step, history read from it), and
   of every other key only the last put or delete of the commit (instance state, cases,
   counters written once a batch per touched key). `from` is not played or changed. */
void tape_deck_journal(const TapeDeck *from, TapeDeck *to);

/* Plays the next `commits` commits of `deck`'s tape (fewer when it has fewer), each one
   synced transaction; once all of it is played, its buffer is used again from the start.
   Returns the seconds it took. */
double tape_deck_play(TapeDeck *deck, size_t commits);

#endif
