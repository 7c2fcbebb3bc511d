/*
 * cli_check.c - `huddle check` and `huddle graph`: the front end on the command line.
 *
 * Diagnostics are rendered as compiler-style text on stderr, or with --json as one
 * JSON object on stdout: {"diagnostics": [...], "errors": N, "warnings": N}.
 */
#include <jansson.h>
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli.h"
#include "bytecode.h"
#include "front.h"
#include "graph.h"
#include "json_file.h"
#include "preflight.h"
#include "program_hash.h"
#include "utf8.h"

/* Reads and checks a directory file; prints its problems. */
static int cli_directory_read(const char *path, Directory **out)
{
    json_error_t error;
    json_t *json = json_file_load(path, JSON_REJECT_DUPLICATES, &error);
    if (!json) {
        return cli_json_file_refused(path, &error);
    }
    json_t *problems = json_array();
    *out = directory_parse_file(json, problems);
    size_t i;
    json_t *problem;
    json_array_foreach(problems, i, problem)
        fprintf(stderr, "%s: %s\n", path, json_string_value(problem));
    json_decref(problems);
    json_decref(json);
    return *out ? CLI_OK : CLI_REFUSED;
}

/* ---- rendering ---- */

/* `text` (a name) as a JSON string: a byte that is no part of valid UTF-8 becomes U+FFFD (a file
   name is bytes, not always UTF-8, and JSON holds only text). */
static json_t *cli_json_name(const char *text)
{
    StrBuf out = STRBUF_INIT;
    size_t len = strlen(text);
    for (;;) {
        size_t ok = utf8_valid_prefix((const unsigned char *)text, len);
        strbuf_append(&out, text, ok);
        if (ok == len)
            break;
        strbuf_puts(&out, "\xEF\xBF\xBD");
        text += ok + 1;
        len -= ok + 1;
    }
    json_t *string = strbuf_failed(&out) ? NULL : json_string(strbuf_text(&out));
    strbuf_free(&out);
    return string;
}

static json_t *cli_diag_json(const Diag *diag)
{
    const Source *src = diag->src;
    json_t *object = json_pack("{s:o, s:s, s:I, s:I, s:I, s:I, s:s}",
                               "file", cli_json_name(src->name),
                               "severity", diag_severity_name(diag->severity),
                               "line", (json_int_t)source_line_of(src, diag->span.start),
                               "column", (json_int_t)source_column_of(src, diag->span.start),
                               "end_line", (json_int_t)source_line_of(src, diag->span.end),
                               "end_column", (json_int_t)source_column_of(src, diag->span.end),
                               "message", diag->message);
    if (diag->hint)
        json_object_set_new(object, "hint", json_string(diag->hint));
    if (diag->note) {
        json_object_set_new(object, "note", json_pack("{s:s, s:I, s:I}", "message", diag->note,
                            "line", (json_int_t)source_line_of(src, diag->note_span.start),
                            "column", (json_int_t)source_column_of(src, diag->note_span.start)));
    }
    return object;
}

/* A playbook that could not be read, as --json's diagnostic: an error at line 0 saying
   why (the same sentence as on stderr). */
static void cli_unreadable_json(json_t *list, const char *path)
{
    struct stat st;
    const char *why = access(path, R_OK) != 0 ? strerror(errno)
                    : stat(path, &st) == 0 && S_ISDIR(st.st_mode) ? strerror(EISDIR) : "it cannot be read";
    json_array_append_new(list, json_pack("{s:o, s:s, s:i, s:i, s:i, s:i, s:s}", "file", cli_json_name(path),
                                          "severity", "error", "line", 0, "column", 0, "end_line", 0,
                                          "end_column", 0, "message", why));
}

static void cli_print_diags(const DiagList *diags, json_t *json_out)
{
    StrBuf text = STRBUF_INIT;
    for (unsigned i = 0; i < diags->count; i++) {
        if (json_out)
            json_array_append_new(json_out, cli_diag_json(&diags->items[i]));
        else
            diag_render_text(&diags->items[i], &text);
    }
    fputs(strbuf_text(&text), stderr);
    strbuf_free(&text);
}

/* Compiles one file; NULL (with the reason printed, and *status CLI_REFUSED when it can't
   be read or CLI_SYSTEM when memory ran out) when there is nothing to show. */
static Front *cli_compile_file(const char *path, const CheckOptions *options, int *status)
{
    size_t len;
    char *text = cli_read_file(path, &len);
    if (!text) {
        *status = CLI_REFUSED;
        return NULL;
    }
    Front *front = front_new();
    if (front)
        front_compile(front, path, text, len, options);
    free(text);
    if (!front || front->out_of_memory) {
        fprintf(stderr, "huddle: %s: out of memory\n", path);
        front_free(front);
        *status = CLI_SYSTEM;
        return NULL;
    }
    return front;
}

/* --json when the --connectors or --directory file `path` is refused (its problems went
   to stderr): stdout still holds the JSON object, with one error of that file at line 0,
   so it agrees with the exit status. */
static void cli_refused_option_json(const char *path, const char *what)
{
    char message[128];
    snprintf(message, sizeof message, "this %s file is refused: its problems are on standard error", what);
    json_t *out = json_pack("{s:[{s:o, s:s, s:i, s:i, s:i, s:i, s:s}], s:i, s:i}", "diagnostics",
                            "file", cli_json_name(path), "severity", "error", "line", 0, "column", 0,
                            "end_line", 0, "end_column", 0, "message", message, "errors", 1, "warnings", 0);
    json_dumpf(out, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    fputc('\n', stdout);
    json_decref(out);
}

int cli_check(int argc, char **argv)
{
    bool json = false;
    const char *connectors_path = NULL, *directory_path = NULL;
    const char **files = calloc((size_t)argc + 1, sizeof(char *));
    int file_count = 0;
    CliSeen seen = {.count = 0};
    bool rest = false;
    for (int i = 1; i < argc; i++) {
        if (cli_options_end(argv[i], &rest))
            continue;
        if (rest) {
            files[file_count++] = argv[i];
            continue;
        }
        const char **slot = strcmp(argv[i], "--connectors") == 0 ? &connectors_path
                          : strcmp(argv[i], "--directory") == 0 ? &directory_path : NULL;
        if (slot && i + 1 < argc && cli_option_once("check", argv[i], slot, &seen) != CLI_OK) {
            free(files);
            return CLI_USAGE;
        }
        if (strcmp(argv[i], "--json") == 0)
            json = true;
        else if (slot && i + 1 < argc)
            *slot = argv[++i];
        else if (cli_is_option(argv[i])) {
            bool last = strcmp(argv[i], "--connectors") == 0 || strcmp(argv[i], "--directory") == 0;
            free(files);
            return cli_usage_error("check", last ? "%s needs a value (a file)" : "unknown option '%s'",
                                   cli_clean(argv[i]));
        } else
            files[file_count++] = argv[i];
    }
    if (file_count == 0) {
        free(files);
        return cli_usage_error("check", "no playbook given");
    }
    CliConnectors connectors = {0};
    CheckOptions options = {0};
    if (connectors_path) {
        int loaded = cli_connectors_load(connectors_path, &connectors);
        if (loaded != CLI_OK) {
            if (json && loaded == CLI_REFUSED)
                cli_refused_option_json(connectors_path, "connectors");
            free(files);
            return loaded;
        }
        cli_connectors_options(&connectors, &options);
    }
    int status = CLI_OK;
    Directory *directory = NULL;
    if (directory_path && cli_directory_read(directory_path, &directory) != CLI_OK) {
        if (json)
            cli_refused_option_json(directory_path, "directory");
        cli_connectors_free(&connectors);
        free(files);
        return CLI_REFUSED;
    }
    cli_connectors_warn_directory(&connectors, directory);   /* people no connector can tell, as deploy says */
    unsigned errors = 0, warnings = 0;
    json_t *list = json ? json_array() : NULL;
    for (int i = 0; i < file_count; i++) {
        int failed = CLI_OK;
        Front *front = cli_compile_file(files[i], &options, &failed);
        if (!front) {
            if (status != CLI_SYSTEM)
                status = failed;
            if (failed == CLI_REFUSED) {   /* unreadable: an error of the file, of no line, in --json too */
                errors++;
                if (list)
                    cli_unreadable_json(list, files[i]);
            }
            continue;
        }
        if (cli_check_front_consts(front) == BC_NO_MEMORY) {
            fprintf(stderr, "huddle: %s: out of memory\n", files[i]);
            status = CLI_SYSTEM;
        }
        if (directory && front->diags.errors == 0) {
            preflight_check(front->program, directory, &front->diags, DIAG_WARNING);
            diag_sort(&front->diags);
        }
        cli_print_diags(&front->diags, list);
        errors += front->diags.errors;
        warnings += front->diags.warnings;
        front_free(front);
    }
    if (errors)
        status = CLI_REFUSED;
    if (json) {
        json_t *out = json_pack("{s:o, s:I, s:I}", "diagnostics", list, "errors",
                                (json_int_t)errors, "warnings", (json_int_t)warnings);
        json_dumpf(out, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
        fputc('\n', stdout);
        json_decref(out);
    }
    cli_connectors_free(&connectors);
    directory_free(directory);
    free(files);
    return status;
}

/* ---- graph ---- */

/* Why Graphviz's dot, run through the shell as `dot -Tsvg`, did not render (pclose's
   status): not there (the shell's 127), or its own error, which it printed above. */
static int graph_dot_failed(int rc)
{
    if (rc != -1 && WIFEXITED(rc) && WEXITSTATUS(rc) == 127)
        fprintf(stderr, "huddle: graph: Graphviz's dot was not found: install graphviz (apt-get install "
                "graphviz), or leave out --svg for the DOT text\n");
    else
        fprintf(stderr, "huddle: graph: Graphviz's dot could not render the graph (its message, if any, is "
                "above)\n");
    return CLI_SYSTEM;
}

/* Runs `dot -Tsvg` on TEXT with its standard output on `fd` (-1: ours). Returns
   pclose's status, or -1 when dot could not be started. */
static int graph_dot_run(int fd, const char *text)
{
    fflush(stdout);
    int saved = fd >= 0 ? dup(STDOUT_FILENO) : -1, rc = -1;
    if (fd < 0 || (saved >= 0 && dup2(fd, STDOUT_FILENO) >= 0)) {
        void (*pipe_was)(int) = signal(SIGPIPE, SIG_IGN);   /* a dot that is not there: rc tells it */
        FILE *dot = popen("dot -Tsvg", "w");
        if (dot) {
            fputs(text, dot);
            rc = pclose(dot);
        }
        signal(SIGPIPE, pipe_was);
    }
    if (saved >= 0) {
        dup2(saved, STDOUT_FILENO);
        close(saved);
    }
    return rc;
}

/* Renders TEXT with `dot -Tsvg` into OUT_PATH (stdout when NULL). The picture is made
   in a new file beside OUT_PATH (so a path that cannot be written is named as such, and
   no path goes through the shell) and takes OUT_PATH's name only once dot succeeded: a
   failing dot leaves OUT_PATH as it was. */
static int graph_svg(const char *out_path, const char *text)
{
    if (!out_path) {
        int rc = graph_dot_run(-1, text);
        return rc == 0 ? CLI_OK : graph_dot_failed(rc);
    }
    size_t len = strlen(out_path);
    char *made = malloc(len + sizeof ".XXXXXX");
    if (!made) {
        fprintf(stderr, "huddle: graph: out of memory\n");
        return CLI_SYSTEM;
    }
    memcpy(made, out_path, len);
    memcpy(made + len, ".XXXXXX", sizeof ".XXXXXX");
    int fd = mkstemp(made);
    if (fd < 0) {
        fprintf(stderr, "huddle: can't write %s: %s\n", cli_clean(out_path), strerror(errno));
        free(made);
        return CLI_SYSTEM;
    }
    mode_t mask = umask(0);   /* the picture gets the mode a new file gets, not mkstemp's 0600 */
    umask(mask);
    int rc = fchmod(fd, 0666 & ~mask) == 0 ? graph_dot_run(fd, text) : -2;
    int err = rc == -2 ? errno : 0;
    if (close(fd) != 0 && rc == 0) {
        rc = -2;
        err = errno;
    }
    if (rc == 0 && rename(made, out_path) != 0) {
        rc = -2;
        err = errno;
    }
    if (rc != 0)
        unlink(made);
    free(made);
    if (rc == -2)
        fprintf(stderr, "huddle: can't write %s: %s\n", cli_clean(out_path), strerror(err));
    return rc == 0 ? CLI_OK : rc == -2 ? CLI_SYSTEM : graph_dot_failed(rc);
}

static int cli_write_output(const char *out_path, const char *text, bool svg)
{
    if (svg)
        return graph_svg(out_path, text);
    FILE *out = out_path ? fopen(out_path, "w") : stdout;
    bool written = out && fputs(text, out) >= 0;
    if (out && out_path && fclose(out) != 0)
        written = false;
    if (!written) {
        fprintf(stderr, "huddle: can't write %s: %s\n", out_path ? out_path : "the graph", strerror(errno));
        return CLI_SYSTEM;
    }
    return CLI_OK;
}

/* The version (program hash, hex) `file` compiles to, as deploy would store it. */
static int graph_file_version(const char *file, char version[PROGRAM_HASH_HEX])
{
    Bytecode bc;
    StrBuf bytes = STRBUF_INIT;
    int status = cli_compile_versioned(file, &bc, &bytes, version);
    if (status == CLI_OK) {
        strbuf_free(&bytes);
        bc_free(&bc);
    }
    return status;
}

int cli_graph(int argc, char **argv)
{
    bool svg = false;
    const char *file = NULL, *out_path = NULL, *db = NULL, *instance = NULL;
    CliSeen seen = {.count = 0};
    bool rest = false;
    for (int i = 1; i < argc; i++) {
        if (cli_options_end(argv[i], &rest))
            continue;
        const char **slot = rest ? NULL : strcmp(argv[i], "-o") == 0 ? &out_path : strcmp(argv[i], "--db") == 0 ? &db
                          : strcmp(argv[i], "--instance") == 0 ? &instance : NULL;
        if (slot && i + 1 < argc && cli_option_once("graph", argv[i], slot, &seen) != CLI_OK)
            return CLI_USAGE;
        if (!rest && strcmp(argv[i], "--svg") == 0)
            svg = true;
        else if (slot && i + 1 < argc)
            *slot = argv[++i];
        else if (!rest && (strcmp(argv[i], "-o") == 0 || strcmp(argv[i], "--db") == 0
                           || strcmp(argv[i], "--instance") == 0))
            return cli_usage_error("graph", "%s needs a value (%s)", argv[i], argv[i][1] == 'o' ? "a file"
                                   : strcmp(argv[i], "--db") == 0 ? "a store directory" : "an instance id");
        else if (!rest && argv[i][0] == '-')
            return cli_usage_error("graph", "unknown option '%s'", cli_clean(argv[i]));
        else if (file)
            return cli_usage_error("graph", "unexpected argument '%s'", cli_clean(argv[i]));
        else
            file = argv[i];
    }
    if (!file)
        return cli_usage_error("graph", "no playbook given");
    if (out_path && cli_same_file(file, out_path))
        return cli_usage_error("graph", "-o %s is the playbook itself: name another file for the graph",
                               cli_clean(out_path));
    if (cli_check_db("graph", db) != CLI_OK)
        return CLI_USAGE;
    if (instance && cli_check_numbered("graph", instance, 'i') != CLI_OK)
        return CLI_USAGE;
    if (db && !instance)
        return cli_usage_error("graph", "--db goes with --instance I: the instance whose path to draw");
    int status = CLI_OK;
    Front *front = cli_compile_file(file, NULL, &status);
    if (!front)
        return status;
    /* what check says besides the checker (a const that cannot be evaluated, a limit of
       the compiler): a playbook check refuses is not drawn */
    if (cli_check_front_consts(front) == BC_NO_MEMORY) {
        fprintf(stderr, "huddle: %s: out of memory\n", file);
        front_free(front);
        return CLI_SYSTEM;
    }
    cli_print_diags(&front->diags, NULL);
    if (front->diags.errors) {
        front_free(front);
        return CLI_REFUSED;
    }
    StrBuf dot = STRBUF_INIT;
    graph_dot(front->program, &dot);
    if (instance) {
        const char *env = getenv("HUDDLE_DB");
        char version[PROGRAM_HASH_HEX];
        status = graph_file_version(file, version);
        if (status == CLI_OK)
            status = cli_audit_graph_path(db ? db : env && *env ? env : "huddle.db", instance,
                                          front->program, version, &dot);
    }
    if (status == CLI_OK)
        status = cli_write_output(out_path, strbuf_text(&dot), svg);
    strbuf_free(&dot);
    front_free(front);
    return status;
}
