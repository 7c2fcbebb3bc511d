/*
 * fuzz_instance.c - libFuzzer target for an instance's record as the store holds it
 * (runtime/engine/engine_instance_record.c and engine_instance_record_json.c,
 * instance_record_load).
 *
 * Each input is read as an instance entry's record: of the record's own encoding when
 * its first byte is one of that encoding's version bytes (0x11 to 0x1F), else the older
 * JSON record (the codec's binary form, or JSON text). The reader must never crash, read
 * past the input (ASan), leak or hang, whatever the bytes: a record either reads or is
 * refused with a sentence. What reads is encoded again, and that must decode to a
 * record whose encoding is the same bytes, and whose JSON form (what the tools and an
 * older schema see) is the same. The record's JSON form read as an old record gives
 * that record again.
 * Seeds: tests/fuzz/seeds-fuzz_instance/ (records of each form).
 *
 * Built by `make fuzz` with -fsanitize=fuzzer,address,undefined.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "engine_instance_record.h"

static void same_json(const InstanceRecord *a, const InstanceRecord *b)
{
    json_t *x = instance_record_json(a), *y = instance_record_json(b);
    if (x && y && !json_equal(x, y))
        abort();   /* one record, two JSON forms */
    json_decref(x);
    json_decref(y);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    InstanceRecord record;
    char why[240];
    int rc = instance_record_load(data, size, &record, why, sizeof why);
    if (rc != INSTANCE_RECORD_OK) {
        if (rc == INSTANCE_RECORD_DAMAGED && !why[0])
            abort();   /* refused without a sentence */
        return 0;
    }
    StrBuf once = STRBUF_INIT, twice = STRBUF_INIT;
    if (instance_record_encode(&record, &once) == 0) {
        InstanceRecord back;
        if (instance_record_decode(once.data, once.len, &back, why, sizeof why) != INSTANCE_RECORD_OK)
            abort();   /* its own encoding does not read */
        if (instance_record_encode(&back, &twice) != 0 || once.len != twice.len ||
            memcmp(once.data, twice.data, once.len) != 0)
            abort();   /* decoded and encoded again, other bytes */
        same_json(&record, &back);
        instance_record_free(&back);
    }
    json_t *json = instance_record_json(&record);
    InstanceRecord again;
    if (json && instance_record_from_json(json, &again, why, sizeof why) == INSTANCE_RECORD_OK) {
        same_json(&record, &again);
        instance_record_free(&again);
    }
    json_decref(json);
    strbuf_free(&once);
    strbuf_free(&twice);
    instance_record_free(&record);
    return 0;
}
