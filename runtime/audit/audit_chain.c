/*
 * audit_chain.c - the SHA-256 links of the decision record (see audit.h for the two
 * formulas; docs/audit.md for why they are what they are), and hashes as hex.
 * libcrypto's SHA-256 (fetched once) over one buffer: one hash per record link.
 */
#include "audit.h"

#include <openssl/evp.h>
#include <openssl/sha.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

/* SHA-256 fetched once: OpenSSL 3's one-shot SHA256() looks the algorithm up on every
   call, which cost three times the hashing itself on a 200-byte record. */
static EVP_MD *sha256_md;
static pthread_once_t sha256_once = PTHREAD_ONCE_INIT;

static void sha256_fetch(void)
{
    sha256_md = EVP_MD_fetch(NULL, "SHA256", NULL);
}

static void sha256(const unsigned char *data, size_t len, unsigned char out[AUDIT_HASH])
{
    pthread_once(&sha256_once, sha256_fetch);
    unsigned int size = AUDIT_HASH;
    if (!sha256_md || !EVP_Digest(data, len, out, &size, sha256_md, NULL))
        SHA256(data, len, out);   /* not expected: the same digest, the slower way */
}

void audit_link_record(const unsigned char prev[AUDIT_HASH], const void *canonical, size_t len,
                       unsigned char out[AUDIT_HASH])
{
    /* One buffer, one call: prev and the text are hashed as one message. */
    unsigned char small[AUDIT_HASH + 4096];
    if (len <= sizeof small - AUDIT_HASH) {
        memcpy(small, prev, AUDIT_HASH);
        memcpy(small + AUDIT_HASH, canonical, len);
        sha256(small, AUDIT_HASH + len, out);
        return;
    }
    StrBuf buf = STRBUF_INIT;
    strbuf_append(&buf, (const char *)prev, AUDIT_HASH);
    strbuf_append(&buf, canonical, len);
    if (strbuf_failed(&buf))
        memset(out, 0, AUDIT_HASH);   /* cannot happen silently: see audit_link_json */
    else
        sha256((const unsigned char *)buf.data, buf.len, out);
    strbuf_free(&buf);
}

void audit_link_store(const unsigned char prev[AUDIT_HASH], const char *instance, uint64_t seq,
                      const unsigned char record_hash[AUDIT_HASH], unsigned char out[AUDIT_HASH])
{
    unsigned char buf[AUDIT_HASH * 2 + 300];
    memcpy(buf, prev, AUDIT_HASH);
    int n = snprintf((char *)buf + AUDIT_HASH, 260, "%.200s %llu\n", instance, (unsigned long long)seq);
    memcpy(buf + AUDIT_HASH + n, record_hash, AUDIT_HASH);
    sha256(buf, (size_t)(AUDIT_HASH + n + AUDIT_HASH), out);
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
