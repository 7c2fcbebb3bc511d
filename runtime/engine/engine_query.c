/*
 * engine_query.c - the read-only calls: instances, an instance's history, open tasks,
 * and the one open task where a person holds a seat. Each reads in one read
 * transaction (engine_read) and changes nothing; a record it cannot read is an error
 * naming the record, never skipped.
 */
#include "engine_internal.h"

#include <stdio.h>
#include <string.h>

/* ---- open tasks ---- */

typedef struct OpenTasks {
    Step *step;
    const char *person;     /* NULL: every open task */
    json_t *tasks;
} OpenTasks;

static int open_task_visit(void *context, StoreBytes key, StoreBytes value)
{
    OpenTasks *o = context;
    json_t *task;
    int rc = engine_parse_json(o->step, TABLE_TASKS, key, value, &task);
    if (rc != STORE_OK)
        return rc;
    bool keep = strcmp(json_string_value(json_object_get(task, "status")), "open") == 0;
    if (keep && o->person) {
        keep = false;
        size_t i;
        json_t *seat;
        json_array_foreach(json_object_get(task, "seats"), i, seat)
            keep |= holders_include(json_object_get(seat, "holders"), o->person);
    }
    if (keep)
        json_array_append(o->tasks, task);
    json_decref(task);
    return STORE_OK;
}

int query_open_tasks(Step *s, const char *person, json_t **tasks)
{
    OpenTasks o = {s, person, json_array()};
    int rc = engine_scan(s, TABLE_TASKS, store_bytes(NULL, 0), open_task_visit, &o);
    if (rc != STORE_OK) {
        json_decref(o.tasks);
        o.tasks = NULL;
    }
    *tasks = o.tasks;
    return rc;
}

typedef struct OpenTasksCall {
    const char *person;
    json_t **tasks;
} OpenTasksCall;

static int open_tasks_work(Step *s, void *context)
{
    OpenTasksCall *call = context;
    return query_open_tasks(s, call->person, call->tasks);
}

int engine_open_tasks(Engine *e, const char *person, json_t **tasks, char *why, size_t why_len)
{
    OpenTasksCall call = {person, tasks};
    *tasks = NULL;
    return engine_read(e, open_tasks_work, &call, why, why_len);
}

/* ---- the task for a person ---- */

typedef struct TaskSearch {
    const char *person;
    int found;
    char task[32];
    char others[256];
} TaskSearch;

static int task_search_work(Step *s, void *context)
{
    TaskSearch *t = context;
    json_t *tasks;
    int rc = query_open_tasks(s, t->person, &tasks);
    size_t i;
    json_t *task;
    json_array_foreach(rc == STORE_OK ? tasks : NULL, i, task) {
        const char *id = json_string_value(json_object_get(task, "id"));
        if (t->found++ == 0)
            snprintf(t->task, sizeof t->task, "%s", id);
        size_t used = strlen(t->others);
        snprintf(t->others + used, sizeof t->others - used, "%s%s", used ? ", " : "", id);
    }
    json_decref(tasks);
    return rc;
}

int engine_find_task_for(Engine *e, const char *person, char task[32], char *why, size_t why_len)
{
    TaskSearch t = {person, 0, "", ""};
    int rc = engine_read(e, task_search_work, &t, why, why_len);
    if (rc != ENGINE_OK)
        return rc;
    if (t.found == 1) {
        snprintf(task, 32, "%s", t.task);
        return ENGINE_OK;
    }
    if (t.found == 0)
        snprintf(why, why_len, "%s holds no seat on an open ask", person);
    else
        snprintf(why, why_len, "%s holds seats on several open asks (%s): name the task", person, t.others);
    return ENGINE_REFUSED;
}

/* ---- instances ---- */

typedef struct InstanceList {
    Step *step;
    json_t *list;
} InstanceList;

static int instances_visit(void *context, StoreBytes key, StoreBytes value)
{
    InstanceList *l = context;
    json_t *record;
    StoreBytes frame;
    int rc = instance_parse(l->step, key, value, &record, &frame);
    if (rc != STORE_OK)
        return rc;
    json_t *summary = json_object();
    static const char *const FIELDS[] = {"id", "playbook", "version", "status", "state", "outcome", "tags",
                                         "case_key", "created_at"};
    static const char *const NAMES[] = {"id", "playbook", "version", "status", "state", "outcome", "tags",
                                        "case", "started"};
    for (size_t i = 0; i < sizeof FIELDS / sizeof FIELDS[0]; i++) {
        json_t *field = json_object_get(record, FIELDS[i]);
        json_object_set(summary, NAMES[i], field ? field : json_null());
    }
    json_array_append_new(l->list, summary);
    json_decref(record);
    return STORE_OK;
}

static int instances_work(Step *s, void *context)
{
    json_t **out = context;
    InstanceList l = {s, json_array()};
    int rc = engine_scan(s, TABLE_INSTANCES, store_bytes(NULL, 0), instances_visit, &l);
    if (rc == STORE_OK)
        *out = l.list;
    else
        json_decref(l.list);
    return rc;
}

int engine_instances(Engine *e, json_t **instances, char *why, size_t why_len)
{
    *instances = NULL;
    return engine_read(e, instances_work, instances, why, why_len);
}

/* ---- history ---- */

typedef struct HistoryList {
    Step *step;
    const char *id;
    json_t *records;
} HistoryList;

static int history_visit(void *context, StoreBytes key, StoreBytes value)
{
    HistoryList *h = context;
    json_t *record;
    int rc = engine_parse_json(h->step, TABLE_HISTORY, key, value, &record);
    if (rc == STORE_OK)
        json_array_append_new(h->records, record);
    return rc;
}

static int history_work(Step *s, void *context)
{
    HistoryList *h = context;
    uint64_t number = instance_number(h->id);
    if (number == 0 || h->id[0] != 'i')
        return step_fail(s, ENGINE_REFUSED, "no instance '%s'", h->id);
    unsigned char prefix[8];
    store_be64(number, prefix);
    h->step = s;
    h->records = json_array();
    int rc = engine_scan(s, TABLE_HISTORY, store_bytes(prefix, 8), history_visit, h);
    if (rc == STORE_OK && json_array_size(h->records) == 0)
        rc = step_fail(s, ENGINE_REFUSED, "no instance '%s'", h->id);
    return rc;
}

int engine_history(Engine *e, const char *id, json_t **records, char *why, size_t why_len)
{
    HistoryList h = {NULL, id, NULL};
    int rc = engine_read(e, history_work, &h, why, why_len);
    if (rc != ENGINE_OK) {
        json_decref(h.records);
        h.records = NULL;
    }
    *records = h.records;
    return rc;
}

/* ---- playbooks ---- */

typedef struct PlaybookRead {
    Step *step;
    json_t *list;
} PlaybookRead;

static int playbooks_visit(void *context, StoreBytes key, StoreBytes value)
{
    PlaybookRead *r = context;
    json_t *playbook;
    int rc = engine_parse_json(r->step, TABLE_PLAYBOOKS, key, value, &playbook);
    if (rc != STORE_OK)
        return rc;
    if (json_object_set_new(playbook, "name", json_stringn(key.data, key.len)) ||
        json_array_append(r->list, playbook))
        rc = step_fail(r->step, ENGINE_NO_MEMORY, "out of memory");
    json_decref(playbook);
    return rc;
}

static int playbooks_work(Step *s, void *context)
{
    PlaybookRead *r = context;
    r->step = s;
    r->list = json_array();
    if (!r->list)
        return step_fail(s, ENGINE_NO_MEMORY, "out of memory");
    return engine_scan(s, TABLE_PLAYBOOKS, store_bytes(NULL, 0), playbooks_visit, r);
}

int engine_playbooks(Engine *e, json_t **playbooks, char *why, size_t why_len)
{
    PlaybookRead r = {NULL, NULL};
    int rc = engine_read(e, playbooks_work, &r, why, why_len);
    if (rc != ENGINE_OK) {
        json_decref(r.list);
        r.list = NULL;
    }
    *playbooks = r.list;
    return rc;
}

typedef struct CalendarRead {
    const char *hash;
    char *name;
    size_t len;
} CalendarRead;

static int calendar_work(Step *s, void *context)
{
    CalendarRead *c = context;
    const Program *program;
    int rc = engine_program(s, c->hash, &program);
    if (rc == STORE_NOT_FOUND)
        return step_fail(s, ENGINE_FAILED, "the store is damaged: program %.64s is not in the store", c->hash);
    if (rc == STORE_OK && program->bc.calendar != BC_NONE)
        snprintf(c->name, c->len, "%s", value_text(program->bc.consts[program->bc.calendar]));
    return rc;
}

int engine_program_calendar(Engine *e, const char *hash, char *name, size_t len, char *why,
                            size_t why_len)
{
    CalendarRead c = {hash, name, len};
    name[0] = '\0';
    return engine_read(e, calendar_work, &c, why, why_len);
}
