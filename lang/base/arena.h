/*
 * arena.h - a bump allocator: one per compilation, freed all at once.
 *
 * Everything the front end builds (AST nodes, names, strings, diagnostics) lives in
 * one arena and dies with it, so no AST node is ever freed on its own.
 */
#ifndef HUDDLE_ARENA_H
#define HUDDLE_ARENA_H

#include <stddef.h>

typedef struct ArenaBlock ArenaBlock;

typedef struct Arena {
    ArenaBlock *head;   /* newest block; older blocks hang off it */
    size_t total;       /* bytes obtained from malloc, for the benchmarks */
} Arena;

void arena_init(Arena *arena);
void arena_free(Arena *arena);

/* Returns `size` bytes aligned for any type, zero-filled; never NULL: when memory runs
   out it raises the innermost memtrap (memtrap.h). */
void *arena_alloc(Arena *arena, size_t size);

/* Copies `len` bytes of `text` and adds a terminating NUL. */
char *arena_strndup(Arena *arena, const char *text, size_t len);

/* printf into the arena. */
char *arena_printf(Arena *arena, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Grows an arena array of `elem` bytes to hold at least `need` elements.
   `*items` and `*cap` are updated; the old storage is simply left in the arena. */
void arena_grow(Arena *arena, void **items, unsigned *cap, unsigned need, size_t elem);

#endif
