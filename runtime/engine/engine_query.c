/*
 * engine_query.c - the read-only calls: instances, an instance's history, open tasks,
 * and the one open task where a person holds a seat. Each reads in one read
 * transaction and changes nothing.
 */
#include "engine_internal.h"

#include <stdio.h>
#include <string.h>

/* ---- reading ---- */

typedef struct TaskSearch {
    const char *person;
    int found;
    char task[32];
    char others[256];
} TaskSearch;

static int task_search_visit(void *context, StoreBytes key, StoreBytes value)
{
    (void)key;
    TaskSearch *t = context;
    json_t *task = json_loadb(value.data, value.len, 0, NULL);
    if (!task)
        return STORE_OK;
    if (strcmp(json_string_value(json_object_get(task, "status")), "open") == 0) {
        size_t i;
        json_t *seat;
        bool holds = false;
        json_array_foreach(json_object_get(task, "seats"), i, seat) {
            size_t k;
            json_t *holder;
            json_array_foreach(json_object_get(seat, "holders"), k, holder)
                holds |= strcmp(json_string_value(holder), t->person) == 0;
        }
        if (holds) {
            const char *id = json_string_value(json_object_get(task, "id"));
            if (t->found++ == 0)
                snprintf(t->task, sizeof t->task, "%s", id);
            size_t used = strlen(t->others);
            snprintf(t->others + used, sizeof t->others - used, "%s%s", used ? ", " : "", id);
        }
    }
    json_decref(task);
    return STORE_OK;
}

int engine_find_task_for(Engine *e, const char *person, char task[32], char *why, size_t why_len)
{
    TaskSearch t = {person, 0, "", ""};
    StoreTxn *txn;
    why[0] = '\0';
    int rc = store_begin(e->store, false, &txn);
    if (rc == STORE_OK) {
        rc = store_scan(txn, TABLE_TASKS, store_bytes(NULL, 0), store_bytes(NULL, 0), task_search_visit, &t);
        store_abort(txn);
    }
    if (rc != STORE_OK)
        return engine_result(rc, why, why_len);
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

static int instances_visit(void *context, StoreBytes key, StoreBytes value)
{
    (void)key;
    json_t *list = context;
    const unsigned char *bytes = value.data;
    if (value.len < 4)
        return STORE_OK;
    uint32_t len = (uint32_t)bytes[0] | (uint32_t)bytes[1] << 8 | (uint32_t)bytes[2] << 16 | (uint32_t)bytes[3] << 24;
    json_t *record = len <= value.len - 4 ? json_loadb((const char *)bytes + 4, len, 0, NULL) : NULL;
    if (!record)
        return STORE_OK;
    json_t *summary = json_object();
    static const char *const FIELDS[] = {"id", "playbook", "version", "status", "state", "outcome", "tags",
                                         "case_key", "created_at"};
    static const char *const NAMES[] = {"id", "playbook", "version", "status", "state", "outcome", "tags",
                                        "case", "started"};
    for (size_t i = 0; i < sizeof FIELDS / sizeof FIELDS[0]; i++) {
        json_t *field = json_object_get(record, FIELDS[i]);
        json_object_set(summary, NAMES[i], field ? field : json_null());
    }
    json_array_append_new(list, summary);
    json_decref(record);
    return STORE_OK;
}

json_t *engine_instances(Engine *e)
{
    json_t *list = json_array();
    StoreTxn *txn;
    if (store_begin(e->store, false, &txn) != STORE_OK)
        return list;
    store_scan(txn, TABLE_INSTANCES, store_bytes(NULL, 0), store_bytes(NULL, 0), instances_visit, list);
    store_abort(txn);
    return list;
}

/* ---- history and tasks ---- */

static int collect_visit(void *context, StoreBytes key, StoreBytes value)
{
    (void)key;
    json_t *record = json_loadb(value.data, value.len, 0, NULL);
    if (record)
        json_array_append_new(context, record);
    return STORE_OK;
}

json_t *engine_history(Engine *e, const char *instance)
{
    uint64_t number = instance_number(instance);
    if (number == 0 || instance[0] != 'i')
        return NULL;
    json_t *records = json_array();
    StoreTxn *txn;
    unsigned char prefix[8];
    store_be64(number, prefix);
    if (store_begin(e->store, false, &txn) == STORE_OK) {
        store_scan(txn, TABLE_HISTORY, store_bytes(prefix, 8), store_bytes(NULL, 0), collect_visit, records);
        store_abort(txn);
    }
    if (json_array_size(records) == 0) {
        json_decref(records);
        return NULL;
    }
    return records;
}

typedef struct TaskFilter {
    const char *person;
    json_t *tasks;
} TaskFilter;

static int open_task_visit(void *context, StoreBytes key, StoreBytes value)
{
    (void)key;
    TaskFilter *f = context;
    json_t *task = json_loadb(value.data, value.len, 0, NULL);
    if (!task)
        return STORE_OK;
    bool keep = strcmp(json_string_value(json_object_get(task, "status")), "open") == 0;
    if (keep && f->person) {
        keep = false;
        size_t i;
        json_t *seat;
        json_array_foreach(json_object_get(task, "seats"), i, seat) {
            size_t k;
            json_t *holder;
            json_array_foreach(json_object_get(seat, "holders"), k, holder)
                keep |= strcmp(json_string_value(holder), f->person) == 0;
        }
    }
    if (keep)
        json_array_append(f->tasks, task);
    json_decref(task);
    return STORE_OK;
}

json_t *engine_open_tasks(Engine *e, const char *person)
{
    TaskFilter f = {person, json_array()};
    StoreTxn *txn;
    if (store_begin(e->store, false, &txn) == STORE_OK) {
        store_scan(txn, TABLE_TASKS, store_bytes(NULL, 0), store_bytes(NULL, 0), open_task_visit, &f);
        store_abort(txn);
    }
    return f.tasks;
}

/* ---- playbooks ---- */

static int playbooks_visit(void *context, StoreBytes key, StoreBytes value)
{
    json_t *playbook = json_loadb(value.data, value.len, 0, NULL);
    if (json_is_object(playbook)) {
        json_object_set_new(playbook, "name", json_stringn(key.data, key.len));
        json_array_append(context, playbook);
    }
    json_decref(playbook);
    return STORE_OK;
}

bool engine_program_calendar(Engine *e, const char *hash, char *name, size_t len)
{
    StoreTxn *txn;
    StoreBytes bytes;
    bool found = false;
    name[0] = '\0';
    if (store_begin(e->store, false, &txn) != STORE_OK)
        return false;
    Program *program;
    char why[256];
    if (store_get(txn, TABLE_PROGRAMS, store_bytes(hash, strlen(hash)), &bytes) == STORE_OK &&
        program_load(bytes.data, bytes.len, &program, why, sizeof why) >= 0) {
        found = program->bc.calendar != BC_NONE;
        if (found)
            snprintf(name, len, "%s", value_text(program->bc.consts[program->bc.calendar]));
        program_free(program);
    }
    store_abort(txn);
    return found;
}

json_t *engine_playbooks(Engine *e)
{
    json_t *list = json_array();
    StoreTxn *txn;
    if (!list || store_begin(e->store, false, &txn) != STORE_OK)
        return list;
    store_scan(txn, TABLE_PLAYBOOKS, store_bytes(NULL, 0), store_bytes(NULL, 0), playbooks_visit, list);
    store_abort(txn);
    return list;
}
