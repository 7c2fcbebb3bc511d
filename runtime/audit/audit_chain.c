/*
 * audit_chain.c - the SHA-256 links of the decision record (see audit.h for the two
 * formulas; docs/audit.md for why they are what they are), and hashes as hex.
 *
 * libcrypto's SHA-256 through its low-level calls (SHA256_Init, _Update, _Final): they
 * run the CPU's SHA extensions where it has them, and cost no provider look-up or
 * context allocation, which EVP_Digest did on every call (a third of the chain's time
 * on a 250-byte record, perf, 2026-12-04). OpenSSL 3 marks them deprecated, not gone.
 */
#define OPENSSL_SUPPRESS_DEPRECATED
#include "audit.h"

#include <openssl/sha.h>
#include <stdio.h>
#include <string.h>

void audit_link_record(const unsigned char prev[AUDIT_HASH], const void *canonical, size_t len,
                       unsigned char out[AUDIT_HASH])
{
    SHA256_CTX sha;
    SHA256_Init(&sha);
    SHA256_Update(&sha, prev, AUDIT_HASH);
    SHA256_Update(&sha, canonical, len);
    SHA256_Final(out, &sha);
}

void audit_link_store(const unsigned char prev[AUDIT_HASH], const char *instance, uint64_t seq,
                      const unsigned char record_hash[AUDIT_HASH], unsigned char out[AUDIT_HASH])
{
    /* prev || "<instance> <seq>\n" || record_hash, written by hand (printf's cost
       showed): the instance's name cut at 200 bytes, as it always was. */
    unsigned char buf[AUDIT_HASH + 200 + 24 + AUDIT_HASH];
    size_t at = AUDIT_HASH, len = strnlen(instance, 200);
    memcpy(buf, prev, AUDIT_HASH);
    memcpy(buf + at, instance, len);
    at += len;
    buf[at++] = ' ';
    char digits[24], *d = digits + sizeof digits;
    do {
        *--d = (char)('0' + seq % 10);
        seq /= 10;
    } while (seq);
    size_t n = (size_t)(digits + sizeof digits - d);
    memcpy(buf + at, d, n);
    at += n;
    buf[at++] = '\n';
    memcpy(buf + at, record_hash, AUDIT_HASH);
    SHA256_CTX sha;
    SHA256_Init(&sha);
    SHA256_Update(&sha, buf, at + AUDIT_HASH);
    SHA256_Final(out, &sha);
}

int audit_link_json(const unsigned char prev[AUDIT_HASH], const json_t *record, StrBuf *scratch,
                    unsigned char out[AUDIT_HASH])
{
    scratch->len = 0;
    int rc = audit_canon(record, scratch);
    if (rc != AUDIT_OK)
        return rc;
    audit_link_record(prev, scratch->data, scratch->len, out);
    return AUDIT_OK;
}

void audit_hex(const unsigned char hash[AUDIT_HASH], char out[AUDIT_HEX])
{
    static const char HEX[] = "0123456789abcdef";
    for (int i = 0; i < AUDIT_HASH; i++) {
        out[2 * i] = HEX[hash[i] >> 4];
        out[2 * i + 1] = HEX[hash[i] & 15];
    }
    out[2 * AUDIT_HASH] = '\0';
}

static int hex_value(char c)
{
    return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10
         : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

int audit_unhex(const char *hex, unsigned char out[AUDIT_HASH])
{
    if (!hex || strlen(hex) != 2 * AUDIT_HASH)
        return -1;
    for (int i = 0; i < AUDIT_HASH; i++) {
        int high = hex_value(hex[2 * i]), low = hex_value(hex[2 * i + 1]);
        if (high < 0 || low < 0)
            return -1;
        out[i] = (unsigned char)(high << 4 | low);
    }
    return 0;
}
