/*
 * engine_instance.c - an instance as the store keeps it: its record (JSON) and its
 * frame in one entry of the instances table, loaded against its program, which the
 * Engine caches by version hash once loaded.
 */
#include "engine_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- programs ---- */

const Program *engine_program(Step *s, const char *hash)
{
    Engine *e = s->engine;
    for (unsigned i = 0; i < e->program_count; i++)
        if (strcmp(e->programs[i].hash, hash) == 0)
            return e->programs[i].program;
    StoreBytes bytes;
    if (store_get(s->txn, TABLE_PROGRAMS, store_bytes(hash, strlen(hash)), &bytes) != STORE_OK)
        return NULL;
    Program *program;
    char why[256];
    if (program_load(bytes.data, bytes.len, &program, why, sizeof why) < 0)
        return NULL;
    bc_grow((void **)&e->programs, &e->program_cap, e->program_count + 1, sizeof(ProgramCacheEntry));
    ProgramCacheEntry *entry = &e->programs[e->program_count++];
    snprintf(entry->hash, sizeof entry->hash, "%s", hash);
    entry->program = program;
    return program;
}

/* ---- instances: a record (JSON) and a frame, one store entry ---- */

static StoreBytes instance_key(uint64_t number, unsigned char key[8])
{
    store_be64(number, key);
    return store_bytes(key, 8);
}

int instance_load(Step *s, uint64_t number, Instance *out)
{
    memset(out, 0, sizeof *out);
    unsigned char key[8];
    StoreBytes value;
    int rc = store_get(s->txn, TABLE_INSTANCES, instance_key(number, key), &value);
    if (rc != STORE_OK)
        return rc;
    const unsigned char *bytes = value.data;
    if (value.len < 4)
        return STORE_FAILED;
    uint32_t json_len = (uint32_t)bytes[0] | (uint32_t)bytes[1] << 8 | (uint32_t)bytes[2] << 16 |
                        (uint32_t)bytes[3] << 24;
    if (json_len > value.len - 4)
        return STORE_FAILED;
    out->number = number;
    json_error_t error;
    out->record = json_loadb((const char *)bytes + 4, json_len, 0, &error);
    if (!out->record)
        return json_error_code(&error) == json_error_out_of_memory ? ENGINE_NO_MEMORY : STORE_FAILED;
    out->program = engine_program(s, json_string_value(json_object_get(out->record, "version")));
    if (!out->program) {
        instance_clear(out);
        return STORE_FAILED;
    }
    size_t frame_len = value.len - 4 - json_len;
    if (frame_len > 0) {
        char why[256];
        out->frame = frame_decode(out->program, bytes + 4 + json_len, frame_len, why, sizeof why);
        if (!out->frame) {
            instance_clear(out);
            return STORE_FAILED;
        }
    }
    return STORE_OK;
}

int instance_save(Step *s, Instance *in)
{
    char *json = json_dumps(in->record, JSON_COMPACT | JSON_PRESERVE_ORDER);
    if (!json)
        return ENGINE_NO_MEMORY;
    StrBuf bytes = STRBUF_INIT;
    uint32_t len = (uint32_t)strlen(json);
    char header[4] = {(char)len, (char)(len >> 8), (char)(len >> 16), (char)(len >> 24)};
    strbuf_append(&bytes, header, 4);
    strbuf_append(&bytes, json, len);
    free(json);
    if (in->frame)
        frame_encode(in->frame, &bytes);
    unsigned char key[8];
    int rc = store_put(s->txn, TABLE_INSTANCES, instance_key(in->number, key),
                       store_bytes(bytes.data, bytes.len));
    strbuf_free(&bytes);
    return rc;
}

void instance_clear(Instance *in)
{
    json_decref(in->record);
    frame_free(in->frame);
    memset(in, 0, sizeof *in);
}
