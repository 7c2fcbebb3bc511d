/*
 * cli.c - the `huddle` command table, help and version, and shared CLI helpers.
 */
#include "cli.h"

#include <errno.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

static int cli_help(int argc, char **argv);

static const CliCommand COMMANDS[] = {
    {"check", "check playbooks and print diagnostics",
     "huddle check FILE... [--json] [--connectors FILE] [--directory FILE]",
     "Parses and checks each playbook, printing every error and warning like a compiler:\n"
     "file:line:col, the source line, a caret under the problem, and a hint where one\n"
     "helps. Exits 1 when any file has an error, 0 otherwise (warnings alone pass).\n"
     "\n"
     "  --json              print the diagnostics as one JSON object on stdout\n"
     "  --connectors FILE   also refuse connectors and operations FILE does not name\n"
     "  --directory FILE    pre-flight: also refuse literal people, teams, roles, owners\n"
     "                      and calendars the directory lacks, people nobody can tell,\n"
     "                      and escalation levels that would be empty\n",
     cli_check},
    {"graph", "draw a playbook's states as a Graphviz graph",
     "huddle graph FILE [--svg] [-o OUT]",
     "Prints the playbook as a Graphviz DOT graph: states are nodes; gotos, ask and wait\n"
     "arms, escalations and timeouts are labelled edges; done and fail are end nodes.\n"
     "\n"
     "  --svg     render SVG with Graphviz's dot instead of printing DOT\n"
     "  -o OUT    write to OUT instead of stdout\n",
     cli_graph},
    {"build", "compile a playbook to bytecode",
     "huddle build FILE [-o OUT.hbc]",
     "Checks and compiles FILE to bytecode, writes it to OUT (default: FILE with .hbc),\n"
     "and prints its version: the SHA-256 of the bytes. The same source always gives the\n"
     "same bytes.\n",
     cli_build},
    {"disasm", "list a playbook's bytecode with its source",
     "huddle disasm FILE.play|FILE.hbc",
     "Prints the bytecode of a playbook (compiling it first) or of a .hbc file (verifying\n"
     "it first): its asks and waits, then every instruction, with each source line shown\n"
     "before the instructions compiled from it.\n",
     cli_disasm},
    {"run", "simulate a playbook against a trace, on a virtual clock",
     "huddle run FILE.play --events TRACE.jsonl [--mocks F] [--json]",
     "Runs FILE on a fresh, throwaway store. Each line of TRACE is a JSON object with an\n"
     "\"at\" time and one of \"event\", \"answer\", \"ack\", \"away\", \"back\" or \"end\";\n"
     "virtual time moves to each line's \"at\", firing the timers due on the way. Calls\n"
     "are answered from the --mocks file (connector.operation -> a reply, a list of\n"
     "replies used in turn, or {\"fail\": \"message\"}). Prints the timeline, or with\n"
     "--json one history record a line and a closing {\"summary\": ...} line.\n"
     "\n"
     "  --events TRACE   the trace, one JSON object a line, in time order\n"
     "  --mocks FILE     replies for calls\n"
     "  --json           records as JSON lines\n",
     cli_run},
    {"deploy", "compile playbooks and store them as the current versions",
     "huddle deploy FILE... [--db DIR] [--now T] [--json]",
     "Checks and compiles each playbook and stores it under its version hash, making it\n"
     "the playbook's current version; instances already running keep the version they\n"
     "started with. Creates the store when DIR does not exist (default ./huddle.db).\n",
     cli_deploy},
    {"trigger", "submit one event",
     "huddle trigger SOURCE.TYPE [--db DIR] [--id ID] [--time T] [--now T] [--json] < data.json",
     "Reads the event's data (JSON) from standard input and hands it to every deployed\n"
     "playbook: it may start an instance, join an open case, be counted toward a\n"
     "threshold, or match nothing; the line printed says which, per playbook (--json:\n"
     "{\"id\", \"duplicate\", \"went\"}). An id seen before is a duplicate and changes\n"
     "nothing. --time is the event's own time (data only); --now is engine time.\n",
     cli_trigger},
    {"answer", "answer an open ask",
     "huddle answer TASK CHOICE --by PERSON [--comment TEXT] [--db DIR] [--now T]",
     "Answers TASK as PERSON, who must hold an open seat on it. An unknown choice, a\n"
     "missing required comment or a second answer by the same person is refused and\n"
     "changes nothing; repeating an identical answer is accepted once.\n",
     cli_answer},
    {"tick", "fire due timers",
     "huddle tick [--db DIR] [--now T] [--dedup-days N]",
     "Fires every timer due at or before now, each at its own due time, in order, then\n"
     "forgets event ids first seen more than N days ago (default 30): within that period\n"
     "a repeated event id is a duplicate and changes nothing. A timer, task or instance\n"
     "the store cannot read stops the tick with exit 3, naming it.\n",
     cli_tick},
    {"instances", "list instances with their versions",
     "huddle instances [--db DIR] [--playbook P] [--status S] [--json]",
     "Lists instances: id, playbook, status (running, done, failed, stalled), state,\n"
     "the version (program hash) each one runs, and its outcome. An instance the store\n"
     "cannot read is named, with exit 3.\n",
     cli_instances},
    {"tasks", "list open asks: a person's inbox",
     "huddle tasks [--db DIR] [--for PERSON] [--json]",
     "Lists open asks with their question, choices, deadline, seats and context; with\n"
     "--for, only those where PERSON holds a seat. A task the store cannot read is\n"
     "named, with exit 3.\n",
     cli_tasks},
    {"history", "an instance's timeline",
     "huddle history INSTANCE [--db DIR] [--json]",
     "Prints the instance's history records in order, or with --json one JSON record a\n"
     "line. An unknown instance is refused (exit 1); a record the store cannot read is\n"
     "named by instance and seq, with exit 3.\n",
     cli_history},
    {"undeploy", "stop new instances of a playbook",
     "huddle undeploy NAME [--db DIR] [--now T]",
     "New events no longer start instances of NAME; running instances go on with the\n"
     "version they started with.\n",
     cli_undeploy},
    {"retry", "resume a stalled instance",
     "huddle retry INSTANCE [--goto STATE] [--db DIR] [--now T]",
     "Resumes a stalled instance from the same suspension with the same input (its effects\n"
     "keep their step number), or with --goto enters STATE instead.\n",
     cli_retry},
    {"cancel", "end an instance as cancelled",
     "huddle cancel INSTANCE --by PERSON --reason TEXT [--db DIR] [--now T]",
     "Ends a running or stalled instance as cancelled, recording who and why, and tells the\n"
     "holders of its open ask.\n",
     cli_cancel},
    {"resolve", "decide an open ask as an override",
     "huddle resolve TASK CHOICE --by PERSON --reason TEXT [--db DIR] [--now T]",
     "Decides TASK with CHOICE whatever its votes say: an `overridden` record (by, reason,\n"
     "the votes so far), then `resolved`, and the instance goes on as if its quorum had\n"
     "chosen. Everyone holding a seat is told.\n",
     cli_resolve},
    {"reassign", "hand a seat of an open ask to someone else",
     "huddle reassign TASK --from HOLDER --to PERSON --by PERSON [--db DIR] [--now T]",
     "Every open seat of TASK that HOLDER holds goes to PERSON instead (a `delegated`\n"
     "record each, why: reassigned); PERSON is told and finds TASK in their inbox, HOLDER\n"
     "no longer does. PERSON must be in the directory when one is loaded.\n",
     cli_reassign},
    {"ack", "acknowledge an ask: your seats escalate no further",
     "huddle ack TASK --by PERSON [--db DIR] [--now T]",
     "Records that PERSON is on it: every open seat of TASK they hold escalates no\n"
     "further. It cannot be undone; the deadline still holds.\n",
     cli_ack},
    {"directory", "load or show the directory of people, teams and calendars",
     "huddle directory load FILE [--db DIR] | huddle directory show [ID] [--db DIR]",
     "load replaces the directory in one transaction after checking it; every problem is\n"
     "listed by its JSON path (people.ming.away[0].to: not a date ...) and nothing changes.\n"
     "show prints it, or one person, team, calendar, role or owner map by id.\n",
     cli_directory},
    {"help", "show help for a command", "huddle help [COMMAND]",
     "Without a command, lists them all; with one, shows its usage and options.\n", cli_help},
};
#define COMMAND_COUNT (sizeof COMMANDS / sizeof COMMANDS[0])

static const CliCommand *cli_find(const char *name)
{
    for (size_t i = 0; i < COMMAND_COUNT; i++)
        if (strcmp(COMMANDS[i].name, name) == 0)
            return &COMMANDS[i];
    return NULL;
}

static void cli_print_overview(FILE *out)
{
    fprintf(out,
            "huddle %s - escalation playbooks that decide on time\n"
            "\n"
            "usage: huddle COMMAND [ARGS]\n"
            "\n"
            "commands:\n", HUDDLE_VERSION);
    for (size_t i = 0; i < COMMAND_COUNT; i++)
        fprintf(out, "  %-10s %s\n", COMMANDS[i].name, COMMANDS[i].summary);
    fprintf(out,
            "\n"
            "'huddle help COMMAND' shows a command's options.\n"
            "exit status: 0 ok, 1 input refused, 2 usage error, 3 store or system error\n");
}

static int cli_help(int argc, char **argv)
{
    if (argc < 2) {
        cli_print_overview(stdout);
        return CLI_OK;
    }
    const CliCommand *command = cli_find(argv[1]);
    if (!command) {
        fprintf(stderr, "huddle: no command '%s'; 'huddle --help' lists them\n", argv[1]);
        return CLI_USAGE;
    }
    printf("usage: %s\n\n%s", command->usage, command->help);
    return CLI_OK;
}

int cli_usage_error(const char *name, const char *fmt, ...)
{
    va_list args;
    va_start(args, fmt);
    fputs("huddle: ", stderr);
    vfprintf(stderr, fmt, args);
    fputc('\n', stderr);
    va_end(args);
    const CliCommand *command = cli_find(name);
    if (command)
        fprintf(stderr, "usage: %s\n", command->usage);
    return CLI_USAGE;
}

char *cli_read_file(const char *path, size_t *len)
{
    FILE *file = fopen(path, "rb");
    if (!file) {
        fprintf(stderr, "huddle: %s: %s\n", path, strerror(errno));
        return NULL;
    }
    size_t cap = 4096, used = 0;
    char *data = malloc(cap);
    for (;;) {
        if (!data)
            break;
        used += fread(data + used, 1, cap - used - 1, file);
        if (used < cap - 1)
            break;
        char *bigger = realloc(data, cap * 2);
        if (!bigger) {
            free(data);
            data = NULL;
            break;
        }
        data = bigger;
        cap *= 2;
    }
    bool failed = ferror(file) || !data;
    fclose(file);
    if (failed) {
        fprintf(stderr, "huddle: %s: could not read the file\n", path);
        free(data);
        return NULL;
    }
    data[used] = '\0';
    *len = used;
    return data;
}

int cli_main(int argc, char **argv)
{
    if (argc < 2) {
        cli_print_overview(stderr);
        return CLI_USAGE;
    }
    const char *name = argv[1];
    if (strcmp(name, "--help") == 0 || strcmp(name, "-h") == 0) {
        cli_print_overview(stdout);
        return CLI_OK;
    }
    if (strcmp(name, "--version") == 0) {
        printf("huddle %s (playbook language v1)\n", HUDDLE_VERSION);
        return CLI_OK;
    }
    const CliCommand *command = cli_find(name);
    if (!command) {
        fprintf(stderr, "huddle: no command '%s'; 'huddle --help' lists them\n", name);
        return CLI_USAGE;
    }
    for (int i = 2; i < argc; i++)
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            printf("usage: %s\n\n%s", command->usage, command->help);
            return CLI_OK;
        }
    return command->run(argc - 1, argv + 1);
}
