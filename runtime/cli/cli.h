/*
 * cli.h - the `huddle` command line: parses arguments, runs one command, and returns
 * the exit status (0 ok, 1 input refused, 2 usage, 3 store or system error).
 */
#ifndef HUDDLE_CLI_H
#define HUDDLE_CLI_H

#include <stdio.h>

#define HUDDLE_VERSION "0.1.0"

enum { CLI_OK = 0, CLI_REFUSED = 1, CLI_USAGE = 2, CLI_SYSTEM = 3 };

int cli_main(int argc, char **argv);

/* One command: its name, a one-line summary, its usage and help text, and its code. */
typedef struct CliCommand {
    const char *name;
    const char *summary;
    const char *usage;
    const char *help;
    int (*run)(int argc, char **argv);
} CliCommand;

/* Commands live in their own files (cli_check.c, ...). */
int cli_check(int argc, char **argv);
int cli_graph(int argc, char **argv);
int cli_build(int argc, char **argv);
int cli_disasm(int argc, char **argv);
int cli_run(int argc, char **argv);
int cli_deploy(int argc, char **argv);
int cli_trigger(int argc, char **argv);
int cli_answer(int argc, char **argv);
int cli_tick(int argc, char **argv);
int cli_instances(int argc, char **argv);
int cli_tasks(int argc, char **argv);
int cli_history(int argc, char **argv);
int cli_retry(int argc, char **argv);
int cli_cancel(int argc, char **argv);
int cli_resolve(int argc, char **argv);
int cli_reassign(int argc, char **argv);
int cli_undeploy(int argc, char **argv);
int cli_ack(int argc, char **argv);
int cli_directory(int argc, char **argv);

struct Bytecode;
struct Directory;
/* Compiles a playbook file to bytecode, printing its diagnostics; returns an exit status.
   With a directory, its pre-flight findings are printed as warnings. */
int cli_compile_to_bytecode(const char *path, struct Bytecode *bc);
int cli_compile_checked(const char *path, struct Bytecode *bc, const struct Directory *directory);

/* Shared helpers. Reads a whole file into a malloc'd, NUL-terminated buffer; on error
   prints "huddle: PATH: reason" and returns NULL. */
char *cli_read_file(const char *path, size_t *len);
/* Prints the usage of `command` to stderr and returns CLI_USAGE. */
int cli_usage_error(const char *command, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#endif
