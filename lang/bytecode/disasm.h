/*
 * disasm.h - a readable listing of bytecode, with the playbook's source lines
 * interleaved, for `huddle disasm`.
 */
#ifndef HUDDLE_DISASM_H
#define HUDDLE_DISASM_H

#include "bytecode.h"
#include "strbuf.h"

/* Appends the listing of `bc` to `out`: the tables, then the code with each source line
   printed before the first instruction compiled from it. */
void disasm_write(const Bytecode *bc, StrBuf *out);

#endif
