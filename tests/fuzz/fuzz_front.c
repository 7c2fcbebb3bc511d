/*
 * fuzz_front.c - libFuzzer target over the whole front end.
 *
 * Each input is compiled as one playbook, exactly as `huddle check` does it:
 * front_new, front_compile (source and line table, the flex lexer with its string and
 * interpolation start conditions, the bison parser and its error recovery, the AST
 * builder, `use` of the embedded stdlib modules, and, when the syntax is clean, the
 * checker: names, types, paths, quorums, state graph), diag_sort, front_free. Every
 * diagnostic is then rendered with diag_render_text into a StrBuf, so the renderer
 * (line and column lookup, UTF-8 column counting, the caret excerpt of the main span
 * and of the note span) is fuzzed on whatever spans the front end produced.
 *
 * Built by `make fuzz` with -fsanitize=fuzzer,address,undefined; run by
 * tests/fuzz/run.sh, which seeds it from every playbook in the repository and uses
 * tests/fuzz/huddle.dict. Any crash, sanitizer report, leak or hang is a bug in lang/.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "diag.h"
#include "front.h"
#include "strbuf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    Front *front = front_new();
    if (!front)
        return 0;
    unsigned errors = front_compile(front, "fuzz.play", (const char *)data, size, NULL);

    /* The counts the front end reports must agree with the list it holds. */
    const DiagList *diags = &front->diags;
    if (errors != diags->errors || diags->errors + diags->warnings != diags->count)
        abort();
    if (!front->syntax_ok && errors == 0)
        abort();

    StrBuf out = STRBUF_INIT;
    for (unsigned i = 0; i < diags->count; i++) {
        const Diag *diag = &diags->items[i];
        if (!diag->message || !diag->src)
            abort();
        diag_render_text(diag, &out);
    }
    /* Touch the rendered text so its bytes are read through ASan as well. */
    const char *text = strbuf_text(&out);
    volatile size_t sink = strlen(text);
    (void)sink;
    strbuf_free(&out);

    front_free(front);
    return 0;
}
