/*
 * grow.h - room for one more item in a heap array that doubles when it is full.
 *
 * Every list that grows one item at a time (a step's records, a round's held replies,
 * the requests in flight) keeps `items`, `count` and `cap` and asks for room before it
 * appends:
 *
 *     Thing *items = grow_for_one(list->items, &list->cap, list->count, sizeof *items,
 *                                 16, realloc);
 *     if (!items)
 *         return NO_MEMORY;          // list->items and list->cap are as they were
 *     list->items = items;
 *     list->items[list->count++] = thing;
 *
 * The caller owns the array and frees it with the allocator behind `resize` (realloc,
 * or a wrapper of it such as the engine's, which can fail on purpose in tests).
 */
#ifndef HUDDLE_GROW_H
#define HUDDLE_GROW_H

#include <stddef.h>

/* `items` with room for at least count + 1 items of `size` bytes: itself when count <
   *cap, else the array `resize` made twice as large (`first` items when *cap is 0), with
   *cap updated. NULL when the memory is not there or the size would overflow; `items`
   and *cap are then unchanged and still valid. */
void *grow_for_one(void *items, size_t *cap, size_t count, size_t size, size_t first,
                   void *(*resize)(void *old, size_t bytes));

#endif
