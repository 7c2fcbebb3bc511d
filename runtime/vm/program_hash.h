/*
 * program_hash.h - a program's identity: the SHA-256 of its bytecode, as hex.
 */
#ifndef HUDDLE_PROGRAM_HASH_H
#define HUDDLE_PROGRAM_HASH_H

#include <stddef.h>
#include <stdint.h>

#define PROGRAM_HASH_HEX 65     /* 64 hex digits and a NUL */

/* Writes the lowercase hex SHA-256 of `bytes` into `hex`. */
void program_hash(const uint8_t *bytes, size_t len, char hex[PROGRAM_HASH_HEX]);

#endif
