/*
 * test_fold.c - fold_case (lang/base/fold.c): every letter case-folded, ASCII or not, as
 * `audit search --words` matches them (Unicode's simple case folding where it is not the
 * lower case: final sigma, micro sign, long s); bytes that are not UTF-8 kept as they are.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "fold.h"
#include "strbuf.h"

static void test_fold_case(void **state)
{
    (void)state;
    static const struct {
        const char *in, *out;
    } CASES[] = {{"POLICY 42", "policy 42"}, {"MÄKINEN", "mäkinen"}, {"ÄLÄ Ö1", "älä ö1"},
                 {"ΣΟΦΊΑ", "σοφία"}, {"ЖУК", "жук"}, {"already lower", "already lower"},
                 {"bad \xff byte \xc3", "bad \xff byte \xc3"}, {"", ""},
                 /* simple case folding where it is not the lower case (CaseFolding.txt, C and S) */
                 {"ΟΔΟΣ", "οδοσ"}, {"οδος", "οδοσ"}, {"ας ΑΣ Ας", "ασ ασ ασ"},
                 {"\u00b5s \u03bcs \u039cS", "\u03bcs \u03bcs \u03bcs"},   /* micro sign, mu, Mu */
                 {"\u017Ftop", "stop"}, {"\u03d1 \u03b8 \u0398", "\u03b8 \u03b8 \u03b8"},
                 {"\u1c80", "\u0432"}, {"\u1fbe", "\u03b9"},
                 /* and where lowering already folds: capital sharp s, Kelvin sign, I with dot */
                 {"STRA\u1E9EE", "stra\u00dfe"}, {"5 \u212A", "5 k"}, {"\u0130STANBUL", "istanbul"}};
    for (size_t i = 0; i < sizeof CASES / sizeof CASES[0]; i++) {
        StrBuf out = STRBUF_INIT;
        fold_case(CASES[i].in, strlen(CASES[i].in), &out);
        assert_string_equal(strbuf_text(&out), CASES[i].out);
        strbuf_free(&out);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fold_case),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
