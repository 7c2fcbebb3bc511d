/*
 * utf8.h - UTF-8 checks and encoding, shared by the lexer, the bytecode loader, frames
 * and the VM's builtins.
 */
#ifndef HUDDLE_UTF8_H
#define HUDDLE_UTF8_H

#include <stddef.h>
#include <stdint.h>

/* Length of the valid UTF-8 prefix of bytes; equals len when all is valid. */
size_t utf8_valid_prefix(const unsigned char *bytes, size_t len);

/* Encodes a code point as UTF-8 into out (4 bytes room); returns the length, or 0 for
   a surrogate or a value past U+10FFFF. */
int utf8_encode(uint32_t code_point, char *out);

#endif
