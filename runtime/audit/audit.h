/*
 * audit.h - the decision record's two pure pieces: the canonical form of a record
 * (RFC 8785, JSON Canonicalization Scheme, with integers written exactly) and the
 * SHA-256 links that chain records per instance and across the store.
 *
 * Nothing here touches the store or the clock; the engine calls it where history
 * records are written (step_write_records) and where they are verified
 * (engine_audit.c). docs/audit.md states the forms exactly, for an auditor who checks
 * an export without Huddle (tools/verify_export.py does).
 *
 * Links (all hashes SHA-256, 32 bytes; genesis is 32 zero bytes):
 *   record link   h(i, n) = SHA-256(h(i, n-1) || canonical(record n of instance i))
 *   store link    H(k)    = SHA-256(H(k-1) || "<instance> <seq>\n" || h)   k-th in commit order
 * The store's head is H(count); `huddle audit head` prints it.
 */
#ifndef HUDDLE_AUDIT_H
#define HUDDLE_AUDIT_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "strbuf.h"

#define AUDIT_HASH 32
#define AUDIT_HEX (2 * AUDIT_HASH + 1)

enum {
    AUDIT_OK = 0,
    AUDIT_BAD = -1,        /* not canonicalisable: a real that is not finite, bad text */
    AUDIT_NO_MEMORY = -2,
};

/* Appends the canonical form of `value` to `out` (RFC 8785: keys sorted by their UTF-16
   code units, no white space, strings with the minimal escapes, reals in ECMAScript's
   shortest form; jansson integers exactly, in decimal). AUDIT_OK, AUDIT_BAD (a real
   that is NaN or infinite) or AUDIT_NO_MEMORY; on failure `out` may hold part of it. */
int audit_canon(const json_t *value, StrBuf *out);

/* The same from JSON text (`len` bytes): AUDIT_BAD with a sentence in `why` when it is
   not JSON. */
int audit_canon_text(const char *text, size_t len, StrBuf *out, char *why, size_t why_len);

/* The pieces both canonical writers share (this one over jansson values, and the
   engine's over its binary records, engine_codec_canon.c), so the two cannot differ:
   a string (`len` bytes of UTF-8) with its quotes and minimal escapes; an integer in
   decimal; and the order of two member names by their UTF-16 code units (<0, 0, >0). */
void audit_canon_string(const char *text, size_t len, StrBuf *out);
void audit_canon_integer(int64_t value, StrBuf *out);
int audit_name_compare(const char *a, size_t a_len, const char *b, size_t b_len);

/* Appends one real in ECMAScript's Number.prototype.toString form (RFC 8785 3.2.2.3). */
int audit_canon_real(double value, StrBuf *out);

/* h = SHA-256(prev || canonical). */
void audit_link_record(const unsigned char prev[AUDIT_HASH], const void *canonical, size_t len,
                       unsigned char out[AUDIT_HASH]);

/* H = SHA-256(prev || "<instance> <seq>\n" || record_hash). */
void audit_link_store(const unsigned char prev[AUDIT_HASH], const char *instance, uint64_t seq,
                      const unsigned char record_hash[AUDIT_HASH], unsigned char out[AUDIT_HASH]);

/* Canonicalises `record` into `scratch` (emptied first) and links it to `prev`. */
int audit_link_json(const unsigned char prev[AUDIT_HASH], const json_t *record, StrBuf *scratch,
                    unsigned char out[AUDIT_HASH]);

/* Lower-case hex of a hash (64 digits and a NUL), and back: 0, or -1 when `hex` is not
   64 hex digits. */
void audit_hex(const unsigned char hash[AUDIT_HASH], char out[AUDIT_HEX]);
int audit_unhex(const char *hex, unsigned char out[AUDIT_HASH]);

#endif
