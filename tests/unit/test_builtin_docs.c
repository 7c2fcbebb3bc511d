/*
 * test_builtin_docs.c - runs every example of stdlib/builtins.md, so the builtins'
 * specification cannot drift from the VM.
 *
 * The examples are the lines of the ```examples blocks, `EXPRESSION => RESULT`, where
 * RESULT is a compact JSON value, `text: T`, `error: M` (a runtime error containing M)
 * or `refused: M` (a compile error containing M); lines starting with `#` are comments.
 * Each example is evaluated by test_expr.c's evaluator (included below), with the same
 * event data, meta and engine time that builtins.md describes, and is its own cmocka
 * test, named `builtins.md:LINE: EXPRESSION`. One more test checks that every builtin in
 * lang/base/builtins.h has a `## name(...)` section with at least two examples that call it.
 *
 * The file is found at $HUDDLE_TOP/stdlib/builtins.md when HUDDLE_TOP is set, else at
 * stdlib/builtins.md from the current directory (tests/run.sh runs the unit tests from
 * the repository root).
 */
#define TEST_EXPR_EVALUATOR_ONLY
#include "test_expr.c"

#include "builtins.h"

#define MAX_EXAMPLES 400

typedef struct Example {
    char name[160];         /* "builtins.md:LINE: EXPRESSION" */
    const char *section;    /* the builtin of the `## name(...)` heading above it */
    ExprCase c;
} Example;

static char *doc;                       /* the file, cut up in place by parse_doc */
static Example examples[MAX_EXAMPLES];
static int example_count;

static char *read_doc(char *path, size_t path_len)
{
    const char *top = getenv("HUDDLE_TOP");
    snprintf(path, path_len, "%s%sstdlib/builtins.md", top && *top ? top : "",
             top && *top ? "/" : "");
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    StrBuf text = STRBUF_INIT;
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0)
        strbuf_append(&text, buf, n);
    fclose(f);
    return strbuf_take(&text);
}

/* Reads one example line into `e`; false when it is not `EXPRESSION => RESULT`. */
static bool parse_example(char *line, Example *e)
{
    char *arrow = strstr(line, " => ");
    if (!arrow)
        return false;
    *arrow = '\0';
    char *result = arrow + 4;
    static const struct { const char *prefix; Want kind; } KINDS[] = {
        {"text: ", TEXT}, {"error: ", ERROR}, {"refused: ", REFUSED},
    };
    e->c = (ExprCase){line, VALUE, result};
    for (size_t k = 0; k < countof(KINDS); k++)
        if (strncmp(result, KINDS[k].prefix, strlen(KINDS[k].prefix)) == 0)
            e->c = (ExprCase){line, KINDS[k].kind, result + strlen(KINDS[k].prefix)};
    return true;
}

/* Cuts the file into lines and collects the examples. Returns the number of lines in
   examples blocks that are not examples (each is a mistake in the file). */
static int parse_doc(char *text)
{
    int bad = 0, number = 0;
    bool inside = false;
    const char *section = "";
    for (char *line = text; line; number++) {
        char *next = strchr(line, '\n');
        if (next)
            *next++ = '\0';
        if (!inside && strncmp(line, "## ", 3) == 0) {
            section = line + 3;
            line[3 + strcspn(line + 3, "( ")] = '\0';
        } else if (!inside && strcmp(line, "```examples") == 0) {
            inside = true;
        } else if (inside && strncmp(line, "```", 3) == 0) {
            inside = false;
        } else if (inside && *line && *line != '#') {
            Example *e = &examples[example_count];
            if (example_count == MAX_EXAMPLES || !parse_example(line, e)) {
                print_error("builtins.md:%d: not an example: %s\n", number + 1, line);
                bad++;
            } else {
                e->section = section;
                snprintf(e->name, sizeof e->name, "builtins.md:%d: %s", number + 1, line);
                example_count++;
            }
        }
        line = next;
    }
    return bad + (inside ? 1 : 0);
}

static void run_example(void **state)
{
    const Example *e = *state;
    assert_true(check_case(NULL, &e->c));
}

/* Every builtin has its section, and at least two of the section's examples call it. */
static void test_every_builtin_documented(void **state)
{
    (void)state;
    static const char *const NAMES[] = {
#define X(id, name, min, max, type, flags) name,
        HUDDLE_BUILTINS(X)
#undef X
    };
    bool ok = true;
    for (size_t i = 0; i < countof(NAMES); i++) {
        char call[32];
        snprintf(call, sizeof call, "%s(", NAMES[i]);
        int found = 0;
        for (int k = 0; k < example_count; k++)
            if (strcmp(examples[k].section, NAMES[i]) == 0 && strstr(examples[k].c.expr, call))
                found++;
        if (found < 2) {
            print_error("builtin %s: %d examples in a `## %s(...)` section of builtins.md, "
                        "want 2 or more\n", NAMES[i], found, NAMES[i]);
            ok = false;
        }
    }
    assert_true(ok);
}

static void test_doc_parses(void **state)
{
    int *bad = *state;
    assert_int_equal(*bad, 0);
}

int main(void)
{
    char path[4096];
    doc = read_doc(path, sizeof path);
    if (!doc) {
        fprintf(stderr, "test_builtin_docs: can't read %s (set HUDDLE_TOP to the repository "
                "root, or run from it)\n", path);
        printf("1..1\nnot ok 1 - read %s\n", path);
        return 1;
    }
    static int bad;
    bad = parse_doc(doc);
    static struct CMUnitTest tests[MAX_EXAMPLES + 2];
    int n = 0;
    tests[n++] = (struct CMUnitTest){"builtins.md has only well-formed examples", test_doc_parses,
                                     NULL, NULL, &bad};
    tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_every_builtin_documented);
    for (int i = 0; i < example_count; i++)
        tests[n++] = (struct CMUnitTest){examples[i].name, run_example, NULL, NULL, &examples[i]};
    int failed = _cmocka_run_group_tests("builtin_docs", tests, (size_t)n, NULL, NULL);
    free(doc);
    return failed;
}
