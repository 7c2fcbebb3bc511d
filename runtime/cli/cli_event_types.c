/*
 * cli_event_types.c - the store's kept connectors, read once for deploy, serve and the
 * CLI's doors; and event types at those doors (RUNTIME.md v1.2, "Event types"): `huddle
 * trigger` and `huddle trigger --file` refuse an event that does not fit the type the
 * kept connectors give it, as serve's webhooks do (HTTP 422 there, exit 1 here), naming
 * the field's path. An event type not listed is accepted untyped. With connectors, an
 * event whose source is none that sends events is refused too (serve answers 404), so
 * the CLI's doors and serve's agree on which sources exist; without any, every source is
 * taken (a store fed only by the CLI).
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "connectors_events.h"
#include "engine.h"
#include "strbuf.h"

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

/* With connectors (the store's kept ones, or `run --connectors`), an event's source is
   one that sends events (not smtp), or the reserved `directory`, as serve's
   POST /v1/events/{connector} answers 404 for any other. */
static bool cli_event_source_known(const ConnFile *types, const char *source, char *why, size_t why_len)
{
    const Connector *c = conn_find(types, source);
    if (strcmp(source, "directory") == 0 || (c && c->kind != CONN_SMTP))
        return true;
    StrBuf names = STRBUF_INIT;
    for (unsigned i = 0; i < types->count; i++)
        if (types->items[i].kind != CONN_SMTP)
            strbuf_printf(&names, "%s%s", names.len ? ", " : "", types->items[i].name);
    snprintf(why, why_len, "no connector '%.64s' sends events (%s%s)", source,
             names.len ? "those that do: " : "the connectors name none that does",
             names.len ? strbuf_text(&names) : "");
    strbuf_free(&names);
    return false;
}

bool cli_event_fits(const struct ConnFile *types, const char *source, const char *type, const json_t *data,
                    char *why, size_t why_len)
{
    if (types && source && !cli_event_source_known(types, source, why, why_len))
        return false;
    const Connector *c = types && source ? conn_find(types, source) : NULL;
    char problem[400], field[300];
    if (!c || conn_event_check(c, type, data, problem, sizeof problem, field, sizeof field) == 0)
        return true;
    snprintf(why, why_len, "the event does not fit its type %s.%s: %s", source, type, problem);
    return false;
}
