/*
 * arena.c - the bump allocator behind every compilation (see arena.h).
 */
#include "arena.h"
#include "memtrap.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ARENA_BLOCK_SIZE (64 * 1024)
#define ARENA_ALIGN 16

struct ArenaBlock {
    ArenaBlock *prev;
    size_t used, size;
    _Alignas(ARENA_ALIGN) unsigned char data[];
};

void arena_init(Arena *arena)
{
    arena->head = NULL;
    arena->total = 0;
}

void arena_free(Arena *arena)
{
    ArenaBlock *block = arena->head;
    while (block) {
        ArenaBlock *prev = block->prev;
        free(block);
        block = prev;
    }
    arena->head = NULL;
    arena->total = 0;
}

static ArenaBlock *arena_block_new(Arena *arena, size_t at_least)
{
    size_t size = at_least > ARENA_BLOCK_SIZE ? at_least : ARENA_BLOCK_SIZE;
    ArenaBlock *block = malloc(sizeof *block + size);
    if (!block)
        memtrap_raise();
    block->prev = arena->head;
    block->used = 0;
    block->size = size;
    arena->head = block;
    arena->total += sizeof *block + size;
    return block;
}

void *arena_alloc(Arena *arena, size_t size)
{
    size = (size + ARENA_ALIGN - 1) & ~(size_t)(ARENA_ALIGN - 1);
    ArenaBlock *block = arena->head;
    if (!block || block->size - block->used < size)
        block = arena_block_new(arena, size);
    void *memory = block->data + block->used;
    block->used += size;
    memset(memory, 0, size);
    return memory;
}

char *arena_strndup(Arena *arena, const char *text, size_t len)
{
    char *copy = arena_alloc(arena, len + 1);
    if (len)
        memcpy(copy, text, len);
    copy[len] = '\0';
    return copy;
}

char *arena_printf(Arena *arena, const char *fmt, ...)
{
    va_list args;
    va_start(args, fmt);
    int len = vsnprintf(NULL, 0, fmt, args);
    va_end(args);
    if (len < 0)
        len = 0;
    char *text = arena_alloc(arena, (size_t)len + 1);
    va_start(args, fmt);
    vsnprintf(text, (size_t)len + 1, fmt, args);
    va_end(args);
    return text;
}

void arena_grow(Arena *arena, void **items, unsigned *cap, unsigned need, size_t elem)
{
    if (need <= *cap)
        return;
    unsigned new_cap = *cap ? *cap * 2 : 4;
    while (new_cap < need)
        new_cap *= 2;
    void *bigger = arena_alloc(arena, (size_t)new_cap * elem);
    if (*cap)
        memcpy(bigger, *items, (size_t)*cap * elem);
    *items = bigger;
    *cap = new_cap;
}
