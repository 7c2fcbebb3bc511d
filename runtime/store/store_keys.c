/*
 * store_keys.c - keys longer than LMDB takes, kept as a prefix plus SHA-256 (see "long
 * keys" in store_files.h).
 *
 * The stored key keeps the first STORE_KEY_KEPT bytes of the whole key, so a scan by a
 * prefix of up to that length finds it where the whole key would sort; among keys that
 * share those bytes, hashed ones sort by their hash. The stored value starts with the
 * whole key (a 4-byte big-endian length, then the bytes), which is how a scan hands the
 * whole key to its visitor and how store_get tells a hash collision from a hit.
 */
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/sha.h>

#include "store_files.h"

_Static_assert(STORE_KEY_KEPT + SHA256_DIGEST_LENGTH == STORE_KEY_HASHED,
               "a hashed key is the kept prefix and one SHA-256");

void store_key_hash(StoreBytes key, unsigned char out[STORE_KEY_HASHED])
{
    static int initialised; /* as program_hash: skip reading openssl.cnf */
    if (!initialised) {
        OPENSSL_init_crypto(OPENSSL_INIT_NO_LOAD_CONFIG, NULL);
        initialised = 1;
    }
    memcpy(out, key.data, STORE_KEY_KEPT);
    SHA256(key.data, key.len, out + STORE_KEY_KEPT);
}

void store_key_pack(StoreBytes key, StoreBytes value, unsigned char *out)
{
    for (int i = 0; i < 4; i++)
        out[i] = (unsigned char)(key.len >> (24 - 8 * i));
    memcpy(out + 4, key.data, key.len);
    if (value.len > 0)
        memcpy(out + 4 + key.len, value.data, value.len);
}

bool store_key_unpack(StoreBytes stored_key, StoreBytes stored_value, StoreBytes *key,
                      StoreBytes *value)
{
    const unsigned char *v = stored_value.data;
    if (stored_key.len != STORE_KEY_HASHED || stored_value.len < 4)
        return false;
    size_t len = (size_t)v[0] << 24 | (size_t)v[1] << 16 | (size_t)v[2] << 8 | v[3];
    if (len < STORE_KEY_HASHED || len > stored_value.len - 4 ||
        memcmp(v + 4, stored_key.data, STORE_KEY_KEPT) != 0)
        return false;
    *key = store_bytes(v + 4, len);
    *value = store_bytes(v + 4 + len, stored_value.len - 4 - len);
    return true;
}
