/*
 * testplay.h - a playbook's source compiled for a unit test (tests/unit/support/, linked
 * into every test_*.c by the Makefile): the bytes engine_deploy and engine_deploy_set
 * take. Any diagnostic fails the test, naming the first.
 */
#ifndef HUDDLE_TESTPLAY_H
#define HUDDLE_TESTPLAY_H

#include "strbuf.h"

/* Compiles `source` (named `name` in messages) into *bytes, which the caller frees with
   strbuf_free. */
void testplay_compile(const char *name, const char *source, StrBuf *bytes);

#endif
