/*
 * cli_build.c - `huddle build` (a playbook to .hbc bytecode) and `huddle disasm` (a
 * listing of a playbook's or a .hbc file's bytecode).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "bytecode.h"
#include "cli.h"
#include "disasm.h"
#include "front.h"
#include "preflight.h"
#include "program_hash.h"
#include "vm.h"

static bool cli_ends_with(const char *text, const char *suffix)
{
    size_t a = strlen(text), b = strlen(suffix);
    return a >= b && strcmp(text + a - b, suffix) == 0;
}

/* ---- consts evaluated as the load would ---- */

typedef struct CliConsts {
    Front *front;
} CliConsts;

/* The const `name` of the playbook (a module's, qualified, is not there: NULL). */
static const AstConst *cli_const_named(const AstProgram *program, const char *name)
{
    for (unsigned i = 0; i < program->consts.count; i++) {
        const AstConst *k = program->consts.items[i];
        if (strcmp(k->name.text, name) == 0)
            return k;
    }
    return NULL;
}

/* Turns one failing const into an error at its name. The VM's reason starts with
   `FILE:LINE: ` (where evaluation stopped): dropped when that is the const's own line,
   otherwise kept as a note on that line. */
static void cli_const_report(void *ctx, const char *name, const char *error)
{
    Front *front = ((CliConsts *)ctx)->front;
    const Source *src = front->src;
    if (!name) {   /* the bytecode itself: a limit the checker and compiler missed */
        Diag *diag = diag_add(&front->diags, DIAG_ERROR, src, front->program->header_span,
                              "the playbook cannot be compiled: %s", error);
        diag_hint(&front->diags, diag, "this is a bug in huddle (a limit it should have named): "
                  "please report it with the playbook");
        return;
    }
    const AstConst *k = cli_const_named(front->program, name);
    Span span = k ? k->name.span : front->program->header_span;
    const char *slash = strrchr(src->name, '/');   /* the bytecode names the file alone */
    const char *file = slash ? slash + 1 : src->name;
    size_t n = strlen(file);
    uint32_t line = 0;
    const char *reason = error;
    if (strncmp(error, file, n) == 0 && error[n] == ':') {
        char *end;
        unsigned long at = strtoul(error + n + 1, &end, 10);
        if (end != error + n + 1 && end[0] == ':' && end[1] == ' ' && at >= 1 && at <= src->line_count)
            line = (uint32_t)at, reason = end + 2;
    }
    Diag *diag = diag_add(&front->diags, DIAG_ERROR, src, span,
                          "const '%s' cannot be evaluated: %s", name, line ? reason : error);
    if (line && line != source_line_of(src, span.start)) {
        uint32_t len, start = src->line_starts[line - 1];
        const char *text = source_line_text(src, line, &len);
        uint32_t skip = 0;
        while (skip < len && (text[skip] == ' ' || text[skip] == '\t'))
            skip++;
        diag_note(&front->diags, diag, (Span){start + skip, start + len}, "evaluating it stopped here");
    }
    diag_hint(&front->diags, diag, "a const is computed once, when the playbook is loaded, "
              "so its expression must succeed then");
}

int cli_check_consts(Front *front, const Bytecode *bc)
{
    CliConsts ctx = {front};
    int rc = program_check_consts(bc, cli_const_report, &ctx);
    diag_sort(&front->diags);
    return rc;
}

int cli_check_front_consts(Front *front)
{
    if (!front->program || front->program->is_module)
        return 0;
    Bytecode bc;
    int rc = front_build_consts(front, &bc);
    if (rc != 0)
        return rc == BC_NO_MEMORY ? rc : 0;
    rc = cli_check_consts(front, &bc);
    bc_free(&bc);
    return rc;
}

_Static_assert(PROGRAM_HASH_HEX == 65, "cli.h's cli_compile_versioned takes a version of 65 bytes");

int cli_compile_versioned(const char *path, Bytecode *bc, StrBuf *bytes, char version[PROGRAM_HASH_HEX])
{
    int status = cli_compile_to_bytecode(path, bc);
    if (status != CLI_OK)
        return status;
    bc_write(bc, bytes);
    if (strbuf_failed(bytes)) {
        strbuf_free(bytes);
        bc_free(bc);
        fprintf(stderr, "huddle: %s: out of memory\n", path);
        return CLI_SYSTEM;
    }
    program_hash((const uint8_t *)bytes->data, bytes->len, version);
    return CLI_OK;
}

/* Compiles FILE.play to bytecode; prints diagnostics. Returns 0 or an exit status:
   CLI_REFUSED for errors in the playbook, CLI_SYSTEM when out of memory. */
int cli_compile_to_bytecode(const char *path, Bytecode *bc)
{
    return cli_compile_checked(path, bc, NULL, NULL);
}

int cli_compile_checked(const char *path, Bytecode *bc, const Directory *directory,
                        const CheckOptions *options)
{
    size_t len;
    char *text = cli_read_file(path, &len);
    if (!text)
        return CLI_REFUSED;
    Front *front = front_new();
    if (!front) {
        free(text);
        fprintf(stderr, "huddle: %s: out of memory\n", path);
        return CLI_SYSTEM;
    }
    front_compile(front, path, text, len, options);
    free(text);
    if (front->out_of_memory) {
        fprintf(stderr, "huddle: %s: out of memory\n", path);
        front_free(front);
        return CLI_SYSTEM;
    }
    if (directory && front->diags.errors == 0) {
        preflight_check(front->program, directory, &front->diags, DIAG_WARNING);
        diag_sort(&front->diags);
    }
    int built = front->diags.errors ? cli_check_front_consts(front) : front_build(front, bc);
    if (front->diags.errors && built != BC_NO_MEMORY)
        built = -1;   /* the consts were evaluated only to report them beside the rest */
    else if (built == 0 && (built = cli_check_consts(front, bc)) != 0)
        bc_free(bc);
    int status = built == BC_NO_MEMORY ? CLI_SYSTEM : built < 0 ? CLI_REFUSED : CLI_OK;
    if (built == BC_NO_MEMORY)
        fprintf(stderr, "huddle: %s: out of memory\n", path);
    StrBuf out = STRBUF_INIT;
    for (unsigned i = 0; i < front->diags.count; i++)
        diag_render_text(&front->diags.items[i], &out);
    fputs(strbuf_text(&out), stderr);
    strbuf_free(&out);
    front_free(front);
    return status;
}

/* Loads FILE.hbc, verifying it. */
static int cli_load_bytecode(const char *path, Bytecode *bc)
{
    size_t len;
    char *bytes = cli_read_file(path, &len);
    if (!bytes)
        return CLI_REFUSED;
    char why[256];
    int rc = bc_read((const uint8_t *)bytes, len, bc, why, sizeof why);
    if (rc == 0 && bc_verify(bc, NULL, why, sizeof why) < 0) {
        bc_free(bc);
        rc = -1;
    }
    free(bytes);
    if (rc < 0) {
        fprintf(stderr, "huddle: %s: %s\n", path, why);
        return rc == BC_NO_MEMORY ? CLI_SYSTEM : CLI_REFUSED;
    }
    return CLI_OK;
}

int cli_build(int argc, char **argv)
{
    const char *file = NULL, *out_path = NULL;
    CliSeen seen = {.count = 0};
    bool rest = false;
    for (int i = 1; i < argc; i++) {
        if (cli_options_end(argv[i], &rest))
            continue;
        bool o = !rest && strcmp(argv[i], "-o") == 0;
        if (o && i + 1 < argc && cli_option_once("build", "-o", &out_path, &seen) != CLI_OK)
            return CLI_USAGE;
        if (o && i + 1 < argc)
            out_path = argv[++i];
        else if (o)
            return cli_usage_error("build", "-o needs a value (the .hbc file to write)");
        else if (!rest && argv[i][0] == '-')
            return cli_usage_error("build", "unknown option '%s'", cli_clean(argv[i]));
        else if (file)
            return cli_usage_error("build", "unexpected argument '%s'", cli_clean(argv[i]));
        else
            file = argv[i];
    }
    if (!file)
        return cli_usage_error("build", "no playbook given");
    if (out_path && cli_same_file(file, out_path))
        return cli_usage_error("build", "-o %s is the playbook itself: name another file for the "
                               "bytecode (without -o, the .play's name with .hbc)", cli_clean(out_path));
    Bytecode bc;
    StrBuf bytes = STRBUF_INIT;
    char hash[PROGRAM_HASH_HEX];
    int status = cli_compile_versioned(file, &bc, &bytes, hash);
    if (status != CLI_OK)
        return status;
    char *default_path = NULL;
    if (!out_path) {
        size_t n = strlen(file);
        default_path = malloc(n + 5);
        memcpy(default_path, file, n + 1);
        if (cli_ends_with(default_path, ".play"))
            default_path[n - 5] = '\0';
        strcat(default_path, ".hbc");
        out_path = default_path;
    }
    FILE *out = fopen(out_path, "wb");
    bool written = out && fwrite(bytes.data, 1, bytes.len, out) == bytes.len;
    if (out && fclose(out) != 0)
        written = false;
    if (!written) {
        fprintf(stderr, "huddle: can't write %s: %s\n", out_path, strerror(errno));
        status = CLI_SYSTEM;
    } else {
        printf("%s: %u instructions, %zu bytes, version %s\n", out_path, bc.code_count, bytes.len, hash);
    }
    free(default_path);
    strbuf_free(&bytes);
    bc_free(&bc);
    return status;
}

/* Does the file at `path` begin as huddle build's bytecode does (BC_MAGIC)? False too
   when it can't be read: compiling it then says why. */
static bool cli_is_bytecode(const char *path)
{
    unsigned char head[sizeof BC_MAGIC];
    FILE *file = cli_open_read(path);
    bool is = file && fread(head, 1, sizeof head, file) == sizeof head &&
              memcmp(head, BC_MAGIC, sizeof head) == 0;
    if (file)
        fclose(file);
    return is;
}

int cli_disasm(int argc, char **argv)
{
    bool rest = false;
    int first = argc > 1 && cli_options_end(argv[1], &rest) ? 2 : 1;
    if (argc != first + 1)   /* it takes no option: a name that begins with '-' is a file */
        return cli_usage_error("disasm", "give one playbook or .hbc file");
    const char *file = argv[first];
    Bytecode bc;
    int status = cli_ends_with(file, ".hbc") || cli_is_bytecode(file) ? cli_load_bytecode(file, &bc)
                                                                      : cli_compile_to_bytecode(file, &bc);
    if (status != CLI_OK)
        return status;
    StrBuf bytes = STRBUF_INIT, listing = STRBUF_INIT;
    bc_write(&bc, &bytes);
    char hash[PROGRAM_HASH_HEX];
    program_hash((const uint8_t *)bytes.data, bytes.len, hash);
    strbuf_printf(&listing, "; %s, version %s\n", bc.source_name ? bc.source_name : file, hash);
    disasm_write(&bc, &listing);
    fputs(strbuf_text(&listing), stdout);
    strbuf_free(&bytes);
    strbuf_free(&listing);
    bc_free(&bc);
    return CLI_OK;
}
