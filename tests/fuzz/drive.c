/*
 * drive.c - what the VM fuzz targets (fuzz_bytecode, fuzz_run) share to drive a program
 * through its suspensions: event data, the next input for what an instance waits for,
 * and the frame round trip that must come back byte for byte. See drive.h.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "drive.h"
#include "strbuf.h"

void map_put(Value map, const char *key, Value v)
{
    value_map_set(map, key, strlen(key), v);
}

Value small_data(unsigned k)
{
    Value d = value_map_new(8);
    map_put(d, "id", value_cstring("R-1"));
    map_put(d, "service", value_cstring("db"));
    map_put(d, "amount", value_int(k % 2 ? 1200 : -5));
    map_put(d, "level", k % 3 == 1 ? value_cstring("high") : value_int(3));
    map_put(d, "ratio", value_float(0.5));
    map_put(d, "ok", value_bool(k % 2 == 0));
    Value items = value_list_new(2);
    value_list_push(items, value_cstring("cam"));
    value_list_push(items, value_int(7));
    map_put(d, "items", items);
    return d;
}

static Value event_of(Value source, Value type, const char *id, Value data)
{
    Value e = value_map_new(5);
    value_retain(source);
    value_retain(type);
    map_put(e, "source", source);
    map_put(e, "type", type);
    map_put(e, "id", value_cstring(id));
    map_put(e, "time", value_time(T0));
    map_put(e, "data", data);
    return e;
}

/* A text value from the suspension `d` at d[key][index][field], or null. */
static Value pick(Value d, const char *key, uint32_t index, const char *field)
{
    const Value *list = value_map_get(d, key, strlen(key));
    if (!list || list->type != VAL_LIST || list->as.list->count == 0)
        return VALUE_NULL;
    Value item = list->as.list->items[index % list->as.list->count];
    const Value *v = item.type == VAL_MAP ? value_map_get(item, field, strlen(field)) : NULL;
    return v ? *v : VALUE_NULL;
}

/* Chooses the next input from what the instance waits for; round `k` varies it. */
VmInputKind next_input(Value suspension, unsigned k, Value *value)
{
    const Value *kind = value_map_get(suspension, "kind", 4);
    const char *what = kind && kind->type == VAL_STRING ? value_text(*kind) : "";
    *value = VALUE_NULL;
    if (strcmp(what, "ask") == 0) {
        Value result = value_map_new(6);
        Value choice = pick(suspension, "choices", k, "id");
        if (k % 4 == 2)
            choice = value_cstring("timeout");
        else if (k % 4 == 3)
            choice = value_cstring("no_quorum");
        else
            value_retain(choice);
        map_put(result, "choice", choice);
        map_put(result, "by", value_cstring("olga"));
        map_put(result, "comment", k % 2 ? value_cstring("because") : VALUE_NULL);
        map_put(result, "at", value_time(T0 + 60000 * (int64_t)k));
        map_put(result, "votes", value_list_new(0));
        Value deciders = value_list_new(1);
        value_list_push(deciders, value_cstring("olga"));
        map_put(result, "deciders", deciders);
        *value = result;
        return VM_INPUT_ANSWER;
    }
    if (strcmp(what, "wait") == 0) {
        if (k % 3 == 2)
            return VM_INPUT_TIMER;
        Value source = pick(suspension, "arms", k, "source");
        Value type = pick(suspension, "arms", k, "type");
        Value data = small_data(k);   /* k % 3 == 1: a text level makes `when`s fail */
        *value = event_of(source, type, "e-2", data);
        return VM_INPUT_EVENT;
    }
    if (k % 2 == 0) {
        *value = small_data(k);
        return VM_INPUT_REPLY;
    }
    *value = value_cstring("connector down");
    return VM_INPUT_FAILURE;
}

/* The frame as the store would keep it: it must come back, byte for byte; and kept in
   format 1, as an older huddle wrote it, it must come back as the same frame (the same
   format-2 bytes). */
Frame *round_trip(const Program *program, Frame *frame)
{
    StrBuf bytes = STRBUF_INIT, again = STRBUF_INIT, old = STRBUF_INIT;
    frame_encode(frame, &bytes);
    frame_encode_format(frame, 1, &old);
    char why[256];
    Frame *back = frame_decode(program, (const uint8_t *)bytes.data, bytes.len, why, sizeof why);
    if (!back) {
        fprintf(stderr, "the VM left a frame its own decoder refuses: %s\n", why);
        abort();
    }
    frame_encode(back, &again);
    if (again.len != bytes.len || memcmp(again.data, bytes.data, bytes.len) != 0)
        abort();
    Frame *from_old = frame_decode(program, (const uint8_t *)old.data, old.len, why, sizeof why);
    if (!from_old) {
        fprintf(stderr, "the frame in format 1 is refused: %s\n", why);
        abort();
    }
    again.len = 0;
    frame_encode(from_old, &again);
    if (again.len != bytes.len || memcmp(again.data, bytes.data, bytes.len) != 0)
        abort();
    frame_free(from_old);
    strbuf_free(&bytes);
    strbuf_free(&again);
    strbuf_free(&old);
    frame_free(frame);
    return back;
}
