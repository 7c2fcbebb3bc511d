/*
 * test_fold.c - fold_lower (lang/base/fold.c): every letter lowered, ASCII or not, as
 * `audit search --words` matches them; bytes that are not UTF-8 kept as they are.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "fold.h"
#include "strbuf.h"

static void test_fold_lower(void **state)
{
    (void)state;
    static const struct {
        const char *in, *out;
    } CASES[] = {{"POLICY 42", "policy 42"}, {"MÄKINEN", "mäkinen"}, {"ÄLÄ Ö1", "älä ö1"},
                 {"ΣΟΦΊΑ", "σοφία"}, {"ЖУК", "жук"}, {"already lower", "already lower"},
                 {"bad \xff byte \xc3", "bad \xff byte \xc3"}, {"", ""}};
    for (size_t i = 0; i < sizeof CASES / sizeof CASES[0]; i++) {
        StrBuf out = STRBUF_INIT;
        fold_lower(CASES[i].in, strlen(CASES[i].in), &out);
        assert_string_equal(strbuf_text(&out), CASES[i].out);
        strbuf_free(&out);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fold_lower),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
