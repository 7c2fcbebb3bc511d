/*
 * engine_instance.c - an instance as the store keeps it: its record's length (4 bytes,
 * little-endian), its record (engine_instance_record.c's encoding; an older entry's is
 * the codec's binary form, or JSON text in a store of schema 1, read into the same
 * struct) and its frame, in one entry of the instances table, loaded against its program,
 * which the Engine caches by version hash once loaded.
 */
#include "engine_internal.h"
#include "grow.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- programs ---- */

/* Whether `bytes` are bytecode of a format after this huddle's: a newer huddle
   deployed it (RUNTIME.md, promise 5), which no backup of this store would cure. */
static bool program_is_newer(const void *bytes, size_t len)
{
    const unsigned char *b = bytes;
    if (len < 8 || memcmp(b, BC_MAGIC, 4) != 0)
        return false;
    uint32_t format = (uint32_t)b[4] | (uint32_t)b[5] << 8 | (uint32_t)b[6] << 16 | (uint32_t)b[7] << 24;
    return format > BC_FORMAT_VERSION;
}

int engine_program(Step *s, const char *hash, const Program **out)
{
    Engine *e = s->engine;
    *out = NULL;
    for (unsigned i = 0; i < e->program_count; i++)
        if (strcmp(e->programs[i].hash, hash) == 0) {
            *out = e->programs[i].program;
            return STORE_OK;
        }
    StoreBytes key = store_bytes(hash, strlen(hash)), bytes;
    int rc = store_get(s->txn, TABLE_PROGRAMS, key, &bytes);
    if (rc == STORE_NOT_FOUND)
        return rc;
    if (rc != STORE_OK)
        return step_fail(s, rc, "store error reading program %s: %s", hash, store_strerror(rc));
    Program *program;
    char why[256];
    int loaded = program_load(bytes.data, bytes.len, &program, why, sizeof why);
    if (loaded == BC_NO_MEMORY)
        return step_fail(s, ENGINE_NO_MEMORY, "out of memory loading program %.64s", hash);
    if (loaded < 0 && program_is_newer(bytes.data, bytes.len))
        return step_fail(s, ENGINE_FAILED, "program %.64s was deployed by a newer huddle (%s): run that "
                         "huddle, or a newer one, on this store", hash, why);
    if (loaded < 0) {
        char what[300];
        snprintf(what, sizeof what, "does not load: %s", why);
        return step_damaged(s, TABLE_PROGRAMS, key, what);
    }
    ProgramCacheEntry *grown = grow_for_one(e->programs, &e->program_cap, e->program_count, sizeof *grown, 8,
                                            engine_realloc);
    if (!grown) {
        program_free(program);
        return step_fail(s, ENGINE_NO_MEMORY, "out of memory");
    }
    e->programs = grown;
    ProgramCacheEntry *entry = &e->programs[e->program_count++];
    snprintf(entry->hash, sizeof entry->hash, "%s", hash);
    entry->program = program;
    *out = program;
    return STORE_OK;
}

/* ---- instances: a record and a frame, one store entry ---- */

static StoreBytes instance_key(uint64_t number, unsigned char key[8])
{
    store_be64(number, key);
    return store_bytes(key, 8);
}

/* The record's bytes as a struct: its own encoding, or the older JSON record (the
   codec's binary form, JSON text in a store of schema 1), converted. */
static int instance_record_read(Step *s, StoreBytes key, StoreBytes bytes, InstanceRecord *record)
{
    char why[240];
    int rc;
    if (instance_record_is_typed(bytes.data, bytes.len)) {
        rc = instance_record_decode(bytes.data, bytes.len, record, why, sizeof why);
    } else {
        json_t *json;
        memset(record, 0, sizeof *record);
        if ((rc = engine_parse_json(s, TABLE_INSTANCES, key, bytes, &json)) != STORE_OK)
            return rc;
        rc = instance_record_from_json(json, record, why, sizeof why);
        json_decref(json);
    }
    if (rc == INSTANCE_RECORD_NO_MEMORY)
        return step_fail(s, ENGINE_NO_MEMORY, "out of memory");
    return rc == INSTANCE_RECORD_OK ? STORE_OK : step_damaged(s, TABLE_INSTANCES, key, why);
}

int instance_parse(Step *s, StoreBytes key, StoreBytes value, InstanceRecord *record, StoreBytes *frame)
{
    const unsigned char *bytes = value.data;
    memset(record, 0, sizeof *record);
    if (value.len < 4)
        return step_damaged(s, TABLE_INSTANCES, key, "is shorter than its length prefix");
    uint32_t record_len = engine_get_le32(bytes);
    if (record_len > value.len - 4)
        return step_damaged(s, TABLE_INSTANCES, key, "is shorter than its record's length says");
    int rc = instance_record_read(s, key, store_bytes(bytes + 4, record_len), record);
    if (rc != STORE_OK)
        return rc;
    *frame = store_bytes(bytes + 4 + record_len, value.len - 4 - record_len);
    return STORE_OK;
}

typedef struct InstanceScan {
    Step *step;
    InstanceVisit visit;
    void *context;
} InstanceScan;

static int instance_scan_visit(void *context, StoreBytes key, StoreBytes value)
{
    InstanceScan *scan = context;
    InstanceRecord record;
    StoreBytes frame;
    int rc = instance_parse(scan->step, key, value, &record, &frame);
    if (rc != STORE_OK)
        return rc;
    rc = scan->visit(scan->context, &record);
    instance_record_free(&record);
    return rc;
}

int instance_scan(Step *s, InstanceVisit visit, void *context)
{
    InstanceScan scan = {s, visit, context};
    return engine_scan(s, TABLE_INSTANCES, store_bytes(NULL, 0), instance_scan_visit, &scan);
}

/* The instance's program and frame, once its record is read. */
static int instance_load_frame(Step *s, StoreBytes key, StoreBytes frame, Instance *out)
{
    const char *version = out->record.version;
    int rc = engine_program(s, version, &out->program);
    if (rc == STORE_NOT_FOUND) {
        char what[160];
        snprintf(what, sizeof what, "names program %.64s, which is not in the store", version);
        return step_damaged(s, TABLE_INSTANCES, key, what);
    }
    if (rc != STORE_OK || frame.len == 0)
        return rc;
    char why[256];
    out->frame = frame_decode(out->program, frame.data, frame.len, why, sizeof why);
    if (!out->frame) {
        char what[300];
        snprintf(what, sizeof what, "has a frame its program cannot use: %s", why);
        return step_damaged(s, TABLE_INSTANCES, key, what);
    }
    return STORE_OK;
}

int instance_get(Step *s, uint64_t number, InstanceRecord *record, StoreBytes *frame)
{
    memset(record, 0, sizeof *record);
    unsigned char bytes[8];
    StoreBytes key = instance_key(number, bytes), value;
    int rc = store_get(s->txn, TABLE_INSTANCES, key, &value);
    if (rc == STORE_NOT_FOUND)
        return rc;
    if (rc != STORE_OK)
        return step_fail(s, rc, "store error reading instance i%llu: %s", (unsigned long long)number,
                         store_strerror(rc));
    return instance_parse(s, key, value, record, frame);
}

int instance_load(Step *s, uint64_t number, Instance *out)
{
    memset(out, 0, sizeof *out);
    unsigned char bytes[8];
    StoreBytes key = instance_key(number, bytes), frame;
    int rc = instance_get(s, number, &out->record, &frame);
    if (rc == STORE_NOT_FOUND)
        return rc;
    out->number = number;
    if (rc == STORE_OK)
        rc = instance_load_frame(s, key, frame, out);
    if (rc == STORE_OK) {
        out->loaded = out->stored = true;
        out->stored_status = out->record.status;
    }
    else
        instance_clear(out);
    return rc;
}

int instance_save(Step *s, Instance *in)
{
    int moved = gauges_instance_saved(s, in);
    if (moved != STORE_OK)
        return moved;
    StrBuf *bytes = &s->engine->record_bytes;
    bytes->len = 0;
    strbuf_put(bytes, "\0\0\0\0", 4);
    if (instance_record_encode(&in->record, bytes) != 0 && !strbuf_failed(bytes)) {
        engine_record_bytes_done(s);
        return step_fail(s, ENGINE_FAILED, "instance %s cannot be stored: a field of it nests deeper than %d levels",
                         in->record.id, CODEC_DEPTH_MAX);
    }
    if (!strbuf_failed(bytes)) {
        engine_set_le32(bytes->data, (uint32_t)(bytes->len - 4));
        if (in->frame)
            frame_encode(in->frame, bytes);
    }
    if (strbuf_failed(bytes)) {
        engine_record_bytes_done(s);
        return step_fail(s, ENGINE_NO_MEMORY, "out of memory");
    }
    unsigned char key[8];
    int rc = store_put(s->txn, TABLE_INSTANCES, instance_key(in->number, key),
                       store_bytes(bytes->data, bytes->len));
    engine_record_bytes_done(s);
    return rc;
}

int instance_set_text(Step *s, char **field, const char *text)
{
    if (instance_record_set_text(field, text) != 0)
        return step_fail(s, ENGINE_NO_MEMORY, "out of memory");
    return STORE_OK;
}

void instance_clear(Instance *in)
{
    instance_record_free(&in->record);
    frame_free(in->frame);
    memset(in, 0, sizeof *in);
}
