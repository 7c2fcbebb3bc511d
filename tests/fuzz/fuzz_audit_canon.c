/*
 * fuzz_audit_canon.c - libFuzzer target for the decision record's canonical form
 * (runtime/audit/audit_canon.c, audit_canon_text; docs/audit.md, "The canonical form").
 *
 * Each input is read as JSON text. Whatever the bytes, canonicalising never crashes,
 * reads past the input (ASan), leaks or hangs: it is AUDIT_OK, or AUDIT_BAD with a
 * sentence. What canonicalises is JSON that reads back (jansson; but for a real of
 * 1e19 or more, which RFC 8785 writes in whole digits and jansson then refuses as an
 * integer past 64 bits), and canonicalising that gives the same bytes again (the form
 * is a fixed point), and linking it gives the same hash both times.
 *
 * Built by `make fuzz` with -fsanitize=fuzzer,address,undefined.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    StrBuf once = STRBUF_INIT, twice = STRBUF_INIT;
    char why[256] = "";
    int rc = audit_canon_text((const char *)data, size, &once, why, sizeof why);
    if (rc == AUDIT_BAD && !why[0])
        abort();                    /* a refusal says why */
    char again[256] = "";
    if (rc == AUDIT_OK && audit_canon_text(once.data, once.len, &twice, again, sizeof again) != AUDIT_OK) {
        /* The canonical form is JSON; but a real of 1e19 or more is written in whole
           digits (RFC 8785), which jansson reads as an integer too big for it. */
        if (!strstr(again, "too big"))
            abort();
    } else if (rc == AUDIT_OK) {
        if (once.len != twice.len || memcmp(once.data, twice.data, once.len) != 0)
            abort();                /* and canonical again as it is */
        unsigned char zero[AUDIT_HASH] = {0}, a[AUDIT_HASH], b[AUDIT_HASH];
        audit_link_record(zero, once.data, once.len, a);
        audit_link_record(zero, twice.data, twice.len, b);
        if (memcmp(a, b, AUDIT_HASH) != 0)
            abort();
    }
    strbuf_free(&once);
    strbuf_free(&twice);
    return 0;
}
