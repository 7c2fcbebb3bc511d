/*
 * engine_directory.c - the directory as steps see it: parsed once and cached in the
 * Engine, keyed by the store's directory_version counter; the playbook's calendar and
 * the business-time and zone hooks the VM borrows; storing a new directory.
 */
#include "engine_internal.h"
#include "civil.h"

#include <stdio.h>
#include <string.h>

/* ---- the directory ---- */

#define DIRECTORY_KEY store_bytes("directory", 9)

int step_directory_keep(Step *s, Directory *dir)
{
    Engine *e = s->engine;
    uint64_t version;
    int rc = engine_counter(s, "directory_version", &version);
    if (rc != STORE_OK) {
        directory_free(dir);
        return rc;
    }
    directory_free(e->directory);
    e->directory = dir;
    e->directory_loaded = true;
    e->directory_version = version;
    return STORE_OK;
}

/* Parses and checks the stored directory: *out NULL when none was loaded. */
static int step_directory_read(Step *s, Directory **out)
{
    json_t *json = NULL;
    *out = NULL;
    int rc = engine_get_json(s, TABLE_DIRECTORY, DIRECTORY_KEY, &json);
    if (rc == STORE_NOT_FOUND)
        return STORE_OK;
    if (rc != STORE_OK)
        return rc;
    json_t *problems = json_array();
    *out = directory_parse(json, problems);
    if (!*out) {
        char what[300];
        snprintf(what, sizeof what, "does not check: %s",
                 json_string_value(json_array_get(problems, 0)) ? json_string_value(json_array_get(problems, 0)) : "out of memory");
        rc = step_damaged(s, TABLE_DIRECTORY, DIRECTORY_KEY, what);
    }
    json_decref(problems);
    json_decref(json);
    return rc;
}

const Directory *step_directory(Step *s)
{
    Engine *e = s->engine;
    uint64_t version;
    if (engine_counter(s, "directory_version", &version) != STORE_OK)
        return NULL;   /* the step is marked failed */
    if (e->directory_loaded && e->directory_version == version)
        return e->directory;
    directory_free(e->directory);
    e->directory = NULL;
    e->directory_loaded = false;
    Directory *dir;
    if (step_directory_read(s, &dir) != STORE_OK)
        return NULL;   /* the step is marked failed */
    e->directory = dir;
    e->directory_loaded = true;
    e->directory_version = version;
    return e->directory;
}

static const Calendar *step_calendar(Step *s, const Program *program)
{
    const Directory *dir = step_directory(s);
    if (!dir || !program || program->bc.calendar == BC_NONE)
        return NULL;
    return dir_calendar(dir, value_text(program->bc.consts[program->bc.calendar]));
}

bool step_local_time_text(Step *s, const Program *program, int64_t ms, char *out, size_t size)
{
    const Calendar *calendar = step_calendar(s, program);
    out[0] = '\0';
    if (!calendar || !calendar->tz)
        return false;
    char text[CIVIL_TIME_TEXT];
    civil_local_text(ms, tz_offset_at_ms(calendar->tz, ms), true, text);
    snprintf(out, size, "%s (%s)", text, tz_name(calendar->tz));
    return true;
}

/* from + a plain or business duration, in the program's calendar. */
int step_business_add(Step *s, const Program *program, int64_t from_ms, Value duration, int64_t *out_ms)
{
    if (duration.type == VAL_DURATION) {
        /* One past every time a timer can have (a duration computed from event data can
           be as long as 292 million years): the timer then refuses it by name, "past the
           year 9999", rather than the sum overflowing. */
        if (__builtin_add_overflow(from_ms, duration.as.ms, out_ms))
            *out_ms = duration.as.ms > 0 ? INT64_MAX : INT64_MIN;
        return STORE_OK;
    }
    const Calendar *calendar = step_calendar(s, program);
    if (!calendar)
        return step_fail(s, ENGINE_REFUSED, "business time needs calendar \"%s\" from the directory",
                         program && program->bc.calendar != BC_NONE ? value_text(program->bc.consts[program->bc.calendar]) : "?");
    char why[256];
    if (calendar_add(calendar, from_ms, duration.as.integer, (BusinessUnit)duration.unit, out_ms, why, sizeof why) < 0)
        return step_fail(s, ENGINE_REFUSED, "%s", why);
    return STORE_OK;
}

static int hook_add_business(void *context, int64_t time_ms, Value business, int64_t *out_ms,
                             char *why, size_t why_len)
{
    Step *s = context;
    if (step_business_add(s, s->hook_program, time_ms, business, out_ms) != STORE_OK) {
        snprintf(why, why_len, "%s", s->why);
        return -1;
    }
    return 0;
}

static int hook_zone_offset(void *context, const char *zone, int64_t time_ms, int32_t *seconds)
{
    Step *s = context;
    if (!zone) {
        const Calendar *calendar = step_calendar(s, s->hook_program);
        *seconds = calendar && calendar->tz ? tz_offset_at_ms(calendar->tz, time_ms) : 0;
        return 0;
    }
    char why[256];
    Tz *tz = tz_load(zone, why, sizeof why);
    if (!tz)
        return -1;
    *seconds = tz_offset_at_ms(tz, time_ms);
    tz_free(tz);
    return 0;
}

static const char *hook_zone_name(void *context)
{
    Step *s = context;
    const Calendar *calendar = step_calendar(s, s->hook_program);
    return calendar && calendar->tz ? tz_name(calendar->tz) : NULL;
}

void step_hooks_init(Step *s)
{
    s->hooks.context = s;
    s->hooks.add_business = hook_add_business;
    s->hooks.zone_offset = hook_zone_offset;
    s->hooks.zone_name = hook_zone_name;
}

int step_directory_store(Step *s, json_t *json)
{
    uint64_t version;
    int rc = engine_counter_next(s, "directory_version", &version);
    if (rc == STORE_OK)
        rc = engine_put_json(s, TABLE_DIRECTORY, DIRECTORY_KEY, json);
    return rc;
}

int step_directory_json(Step *s, json_t **out)
{
    int rc = engine_get_json(s, TABLE_DIRECTORY, DIRECTORY_KEY, out);
    return rc == STORE_NOT_FOUND ? STORE_OK : rc;
}

static int directory_json_work(Step *s, void *context)
{
    return step_directory_json(s, context);
}

int engine_directory(Engine *e, json_t **out, char *why, size_t why_len)
{
    *out = NULL;
    return engine_read(e, directory_json_work, out, why, why_len);
}
