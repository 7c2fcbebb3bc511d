/*
 * engine_ask_context.c - the similar past decisions an `asked` message carries to the
 * people asked (LANGUAGE.md, "Context"; docs/audit.md): decided asks of the same
 * playbook and state, most tags shared with the asking instance first, then newest,
 * each with what was chosen, by whom, with which comment, and how its instance ended
 * (engine_audit_similar's list).
 *
 * A message says what it said when its step committed (the outbox entry is written in
 * the step's transaction and every attempt sends it again), so the list is made in the
 * step, from what the store holds then. To keep an ask's step cheap however long the
 * record grows, it looks at the latest ASK_CONTEXT_INSTANCES instances only (`huddle
 * tasks` and GET /v1/tasks look at the whole record).
 */
#include "engine_internal.h"

#include <string.h>

/* How many of the latest instances (by number) an ask's step looks at. */
#define ASK_CONTEXT_INSTANCES 64

json_t *ask_context_similar(Step *s, const Instance *in, const json_t *task)
{
    uint64_t last;
    int rc = engine_counter(s, "next_instance", &last);
    if (rc != STORE_OK)
        return NULL;
    uint64_t first = last > ASK_CONTEXT_INSTANCES ? last - ASK_CONTEXT_INSTANCES + 1 : 0;
    json_t *decisions, *similar = NULL;
    if (audit_decisions_from(s, first, &decisions) != STORE_OK)
        return NULL;
    rc = engine_audit_similar(decisions, json_string_value(json_object_get(in->record, "playbook")),
                              json_string_value(json_object_get(in->record, "state")),
                              json_object_get(in->record, "tags"), json_string_value(json_object_get(task, "id")),
                              ASK_CONTEXT_LIMIT, &similar);
    json_decref(decisions);
    if (rc != ENGINE_OK)
        step_fail(s, ENGINE_NO_MEMORY, "out of memory");
    return similar;
}
