/*
 * engine_idset.c - sets of ids (person ids, mostly) for one step: O(1) membership
 * however big a team is, without a jansson object (a hashtable entry, a key copy and
 * its allocations per id) for each; a set of IDSET_FEW ids or fewer (one ask's seats
 * and people, mostly) keeps them in the struct and looks at each: no table, no hash, no
 * allocation. See IdSet in engine_internal.h.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "engine_internal.h"
#include "value.h"

/* The slot of `id` (len bytes): where it is, or the empty slot where it would go. */
static size_t idset_slot(const IdSet *set, const char *id, uint32_t len)
{
    size_t mask = set->capacity - 1, slot = (size_t)value_key_hash(id, len) & mask;
    while (set->slots[slot].id &&
           (set->slots[slot].len != len || memcmp(set->slots[slot].id, id, len) != 0))
        slot = (slot + 1) & mask;
    return slot;
}

/* Makes room for `more` ids beyond those the set has (keeping a table at most half
   full; a set of IDSET_FEW ids or fewer keeps them in `few`); false when out of memory
   (counted by engine_calloc, so the step fails). */
static bool idset_room(IdSet *set, size_t more)
{
    if (!set->capacity && set->count + more <= IDSET_FEW)
        return true;
    size_t capacity = set->capacity ? set->capacity : 16;
    while ((set->count + more) * 2 > capacity)
        capacity *= 2;
    if (capacity == set->capacity)
        return true;
    IdSetSlot *old = set->capacity ? set->slots : set->few;
    size_t old_capacity = set->capacity ? set->capacity : set->count;
    IdSetSlot *slots = engine_calloc(capacity, sizeof *slots);
    if (!slots)
        return false;
    set->slots = slots;
    set->capacity = capacity;
    for (size_t i = 0; i < old_capacity; i++)
        if (old[i].id)
            set->slots[idset_slot(set, old[i].id, old[i].len)] = old[i];
    if (old != set->few)
        free(old);
    return true;
}

/* The slot holding `id` (len bytes), NULL when it is not in the set. */
static const IdSetSlot *idset_find(const IdSet *set, const char *id, uint32_t len)
{
    if (!set->capacity) {
        for (size_t i = 0; i < set->count; i++)
            if (set->few[i].len == len && memcmp(set->few[i].id, id, len) == 0)
                return &set->few[i];
        return NULL;
    }
    const IdSetSlot *slot = &set->slots[idset_slot(set, id, len)];
    return slot->id ? slot : NULL;
}

bool idset_put(IdSet *set, const char *id, size_t value, size_t *found)
{
    size_t n = id ? strlen(id) : 0;
    if (!id || n > UINT32_MAX)
        return false;
    uint32_t len = (uint32_t)n;
    const IdSetSlot *there = idset_find(set, id, len);
    if (there) {
        if (found)
            *found = there->value;
        return false;
    }
    if (!idset_room(set, 1))
        return true;   /* not kept; the step fails (out of memory) whatever it does next */
    IdSetSlot *slot = set->capacity ? &set->slots[idset_slot(set, id, len)] : &set->few[set->count];
    *slot = (IdSetSlot){id, len, (uint32_t)value};
    set->count++;
    return true;
}

bool idset_add(IdSet *set, const char *id)
{
    return idset_put(set, id, 0, NULL);
}

bool idset_get(const IdSet *set, const char *id, size_t *value)
{
    if (!id || !set->count)
        return false;
    size_t len = strlen(id);
    if (len > UINT32_MAX)
        return false;
    const IdSetSlot *slot = idset_find(set, id, (uint32_t)len);
    if (!slot)
        return false;
    if (value)
        *value = slot->value;
    return true;
}

void idset_reserve(IdSet *set, size_t more)
{
    idset_room(set, more);
}

void idset_add_all(IdSet *set, const json_t *ids)
{
    size_t i;
    json_t *id;
    idset_room(set, json_array_size(ids));
    json_array_foreach(ids, i, id)
        idset_add(set, json_string_value(id));
}

void idset_free(IdSet *set)
{
    free(set->slots);
    *set = (IdSet)IDSET_INIT;
}
