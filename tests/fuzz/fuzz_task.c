/*
 * fuzz_task.c - libFuzzer target for a task as the store holds it
 * (runtime/engine/engine_task_record.c, task_record_load).
 *
 * Each input is read as a value of the tasks table: a task record of its own encoding
 * when its first byte is one of that encoding's version bytes (0x12 to 0x1F), else the
 * older record (the codec's binary form, or JSON text). The reader must never crash,
 * read past the input (ASan), leak or hang, whatever the bytes: a task either reads or
 * is refused with a sentence. A record of its own encoding that reads is encoded again
 * to bytes that read as the same JSON and encode again to themselves; any object that reads and has a typed form reads back from that form as the
 * same JSON text, members in the same order (what `huddle tasks --json` prints).
 * Seeds: tests/fuzz/seeds-fuzz_task/ (tasks of each form).
 *
 * Built by `make fuzz` with -fsanitize=fuzzer,address,undefined.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "engine_codec.h"
#include "engine_task_record.h"

static char *dump(const json_t *json)
{
    return json_dumps(json, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_ENCODE_ANY);
}

/* The same JSON text, or one of them could not be made (out of memory). */
static void same_text(const json_t *a, const json_t *b)
{
    char *x = dump(a), *y = dump(b);
    if (x && y && strcmp(x, y) != 0)
        abort();   /* one task, two JSON forms */
    free(x);
    free(y);
}

/* A record of its own encoding: written again, bytes that read as the same JSON, and
   that are written again as themselves (the ask's values inside are the codec's, which
   reads some values in more than one form but writes each in one). */
static void own_bytes_agree(const uint8_t *data, size_t size, const json_t *task)
{
    TaskRecord r, back;
    char why[240] = "";
    if (task_record_decode(data, size, &r, why, sizeof why) != TASK_RECORD_OK)
        abort();   /* task_record_load read it */
    StrBuf once = STRBUF_INIT, twice = STRBUF_INIT;
    if (task_record_encode(&r, &once) == 0) {
        if (task_record_decode(once.data, once.len, &back, why, sizeof why) != TASK_RECORD_OK)
            abort();   /* its own encoding does not read */
        json_t *json = task_record_json(&back);
        if (json)
            same_text(task, json);
        json_decref(json);
        if (task_record_encode(&back, &twice) == 0 &&
            (once.len != twice.len || memcmp(once.data, twice.data, once.len) != 0))
            abort();   /* decoded and encoded again, other bytes */
        task_record_free(&back);
    }
    strbuf_free(&once);
    strbuf_free(&twice);
    task_record_free(&r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    json_t *task;
    char why[240] = "";
    int rc = task_record_load(data, size, &task, why, sizeof why);
    if (rc != CODEC_OK) {
        if (task || (rc == CODEC_DAMAGED && !why[0]))
            abort();   /* refused without a sentence, or with a value */
        return 0;
    }
    if (task_record_is_typed(data, size))
        own_bytes_agree(data, size, task);
    StrBuf bytes = STRBUF_INIT;
    if (task_record_encode_json(task, &bytes) == TASK_RECORD_OK) {
        json_t *back;
        if (task_record_load(bytes.data, bytes.len, &back, why, sizeof why) != CODEC_OK) {
            if (!strstr(why, "out of memory"))
                abort();   /* its typed form does not read */
        } else {
            same_text(task, back);
            json_decref(back);
        }
    }
    strbuf_free(&bytes);
    json_decref(task);
    return 0;
}
