/*
 * cli_event_types.c - the store's kept connectors, read once for deploy, serve and the
 * CLI's doors; and event types at those doors (RUNTIME.md v1.2, "Event types"): `huddle
 * trigger` and `huddle trigger --file` refuse an event that does not fit the type the
 * kept connectors give it, as serve's webhooks do (HTTP 422 there, exit 1 here), naming
 * the field's path. An event type not listed is accepted untyped.
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "connectors_events.h"
#include "engine.h"

int cli_connectors_kept(struct Engine *engine, struct ConnFile **out)
{
    json_t *kept = NULL;
    char why[1024];
    *out = NULL;
    if (engine_connectors(engine, &kept, why, sizeof why) != ENGINE_OK) {
        fprintf(stderr, "huddle: %s\n", cli_clean(why));
        return CLI_SYSTEM;
    }
    if (!kept)
        return CLI_OK;
    json_t *problems = json_array();
    *out = problems ? conn_file_parse(kept, problems) : NULL;
    json_decref(problems);
    json_decref(kept);
    if (!*out) {
        fprintf(stderr, "huddle: out of memory reading the store's kept connectors\n");
        return CLI_SYSTEM;
    }
    return CLI_OK;
}

bool cli_event_fits(const struct ConnFile *types, const char *source, const char *type, const json_t *data,
                    char *why, size_t why_len)
{
    const Connector *c = types && source ? conn_find(types, source) : NULL;
    char problem[400], field[300];
    if (!c || conn_event_check(c, type, data, problem, sizeof problem, field, sizeof field) == 0)
        return true;
    snprintf(why, why_len, "the event does not fit its type %s.%s: %s", source, type, problem);
    return false;
}
