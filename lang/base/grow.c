/*
 * grow.c - room for one more item in a doubling heap array (grow.h).
 */
#include "grow.h"

#include <stdint.h>

void *grow_for_one(void *items, size_t *cap, size_t count, size_t size, size_t first,
                   void *(*resize)(void *old, size_t bytes))
{
    if (count < *cap)
        return items;
    size_t grown_cap = *cap ? *cap * 2 : first;
    if (grown_cap < *cap || size == 0 || grown_cap > SIZE_MAX / size)
        return NULL;
    void *grown = resize(items, grown_cap * size);
    if (grown)
        *cap = grown_cap;
    return grown;
}
