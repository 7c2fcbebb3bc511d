/*
 * testplay.c - a playbook's source compiled for a unit test (see testplay.h).
 */
#include "testplay.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "bytecode.h"
#include "front.h"

void testplay_compile(const char *name, const char *source, StrBuf *bytes)
{
    Front *front = front_new();
    assert_non_null(front);
    front_compile(front, name, source, strlen(source), NULL);
    if (front->diags.count)
        fail_msg("%s does not compile: %s", name, front->diags.items[0].message);
    Bytecode bc;
    assert_int_equal(front_build(front, &bc), 0);
    *bytes = (StrBuf)STRBUF_INIT;
    bc_write(&bc, bytes);
    bc_free(&bc);
    front_free(front);
}
