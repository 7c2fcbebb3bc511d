/*
 * cli_audit_search.c - `huddle audit search`, `stats` and `export --format csv`: the
 * decisions the record holds (engine_audit_decisions), filtered, summed up, or one a
 * CSV row.
 */
#include "cli_audit.h"

#include <stdio.h>

int cli_audit_search(CliAuditArgs *a, Engine *engine)
{
    (void)a;
    (void)engine;
    fprintf(stderr, "huddle: audit: this subcommand is not built yet\n");
    return CLI_USAGE;
}

int cli_audit_stats(CliAuditArgs *a, Engine *engine)
{
    (void)a;
    (void)engine;
    fprintf(stderr, "huddle: audit: this subcommand is not built yet\n");
    return CLI_USAGE;
}

int cli_audit_csv(CliAuditArgs *a, Engine *engine)
{
    (void)a;
    (void)engine;
    fprintf(stderr, "huddle: audit: this subcommand is not built yet\n");
    return CLI_USAGE;
}
