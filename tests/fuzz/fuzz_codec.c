/*
 * fuzz_codec.c - libFuzzer target for the decoder of the store's binary records
 * (runtime/engine/engine_codec.c, codec_load).
 *
 * Each input is read as a record as the store holds it: binary when its first byte is
 * 0x01, else JSON text. The decoder must never crash, read past the input (ASan), leak
 * or hang, whatever the bytes: a record either decodes or is CODEC_DAMAGED with a
 * sentence. What decodes is encoded again, and must decode to a value whose encoding is
 * the same bytes (format 1 lets a value be written more than one way, a small integer
 * in its long form say, but the encoder always writes the same one). The bytes are
 * compared rather than the values: json_equal finds no key that holds a NUL.
 * Seeds: tests/fuzz/seeds-fuzz_codec/, records of a store of the crash workload.
 *
 * Built by `make fuzz` with -fsanitize=fuzzer,address,undefined.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "engine_codec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    json_t *value;
    char why[256];
    int rc = codec_load(data, size, &value, why, sizeof why);
    if (rc != CODEC_OK) {
        if (value || !why[0])
            abort();   /* a refusal hands nothing back and says why */
        return 0;
    }
    StrBuf bytes = STRBUF_INIT;
    rc = codec_encode(value, &bytes);
    if (rc == CODEC_OK) {
        json_t *again;
        if (codec_decode(bytes.data, bytes.len, &again, why, sizeof why) != CODEC_OK)
            abort();
        StrBuf twice = STRBUF_INIT;
        if (codec_encode(again, &twice) != CODEC_OK || twice.len != bytes.len ||
            memcmp(twice.data, bytes.data, bytes.len) != 0)
            abort();
        strbuf_free(&twice);
        json_decref(again);
    } else if (rc != CODEC_TOO_DEEP && rc != CODEC_NO_MEMORY) {
        abort();   /* only JSON text deeper than a record may be is refused */
    }
    strbuf_free(&bytes);
    json_decref(value);
    return 0;
}
