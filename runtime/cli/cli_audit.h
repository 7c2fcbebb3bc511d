/*
 * cli_audit.h - what the files of `huddle audit` share (cli_audit.c: the command,
 * verify, head, export as JSON Lines; cli_audit_search.c: search, stats, export as CSV).
 */
#ifndef HUDDLE_CLI_AUDIT_H
#define HUDDLE_CLI_AUDIT_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "cli.h"
#include "engine.h"
#include "value_json.h"

/* The options, in this order (CliAuditArgs.values). */
enum { AUDIT_DB, AUDIT_HEAD, AUDIT_FORMAT, AUDIT_SINCE, AUDIT_UNTIL, AUDIT_PLAYBOOK, AUDIT_STATE,
       AUDIT_CHOICE, AUDIT_PERSON, AUDIT_ASKED, AUDIT_HELD, AUDIT_ANSWERED, AUDIT_OUTCOME, AUDIT_TAG,
       AUDIT_WORDS, AUDIT_LIMIT, AUDIT_OPTIONS };

typedef struct CliAuditArgs {
    const char *db;
    const char *values[AUDIT_OPTIONS];   /* borrowed from argv; NULL: not given */
    bool json;
    int64_t since_ms, until_ms;          /* INT64_MIN / INT64_MAX when not given */
} CliAuditArgs;

/* Parses argv[2...] of `huddle audit SUB`: CLI_OK or CLI_USAGE (said). */
int cli_audit_args(const char *sub, int argc, char **argv, CliAuditArgs *a);
/* Opens the store read-only: CLI_OK or CLI_SYSTEM (said). */
int cli_audit_open(const CliAuditArgs *a, Engine **engine);
/* Says why an engine call failed; the exit status for it. */
int cli_audit_failed(const char *sub, int rc, const char *why);
/* One JSON value a line (ASCII, compact). */
void cli_audit_print_json(const json_t *json);

int cli_audit_search(CliAuditArgs *a, Engine *engine);
int cli_audit_stats(CliAuditArgs *a, Engine *engine);
int cli_audit_csv(CliAuditArgs *a, Engine *engine);

#endif
