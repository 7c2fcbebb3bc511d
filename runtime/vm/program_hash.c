/*
 * program_hash.c - SHA-256 through OpenSSL's libcrypto (see program_hash.h).
 */
#include "program_hash.h"

#include <openssl/crypto.h>
#include <openssl/sha.h>
#include <stdio.h>

void program_hash(const uint8_t *bytes, size_t len, char hex[PROGRAM_HASH_HEX])
{
    /* Skip reading openssl.cnf: a one-shot `huddle trigger` would spend a millisecond on it. */
    static int initialised;
    if (!initialised) {
        OPENSSL_init_crypto(OPENSSL_INIT_NO_LOAD_CONFIG, NULL);
        initialised = 1;
    }
    unsigned char digest[SHA256_DIGEST_LENGTH];
    SHA256(bytes, len, digest);
    for (int i = 0; i < SHA256_DIGEST_LENGTH; i++)
        snprintf(hex + 2 * i, 3, "%02x", digest[i]);
}
