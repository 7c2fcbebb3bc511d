/*
 * engine_query.c - the read-only calls: instances, an instance's history, open tasks
 * (and a person's inbox: those they can still answer),
 * and the one open task where a person holds a seat (the gauges /metrics shows are in
 * engine_gauges.c). Each reads in one read transaction (engine_read) and changes nothing; a record it cannot read is an error
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

/* A task of its own encoding: read as a struct, made JSON only when it is kept. */
static int open_typed_task(OpenTasks *o, StoreBytes key, StoreBytes value)
{
    TaskRecord record;
    int rc = task_parse(o->step, key, value, &record);
    if (rc != STORE_OK)
        return rc;
    bool held = !o->person;        /* every open task, or those with a seat `person` holds */
    for (size_t i = 0; !held && i < record.seat_count; i++)
        held = task_texts_has(&record.seats[i].holders, o->person);
    bool keep = task_is_open(&record) && held;
    json_t *task = keep ? task_record_json(&record) : NULL;
    task_record_free(&record);
    if (keep && !task)
        return step_fail(o->step, ENGINE_NO_MEMORY, "out of memory");
    if (task)
        json_array_append_new(o->tasks, task);
    return STORE_OK;
}

static int open_task_visit(void *context, StoreBytes key, StoreBytes value)
{
    OpenTasks *o = context;
    if (task_record_is_typed(value.data, value.len))
        return open_typed_task(o, key, value);
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

/* An inbox entry (person, NUL, the task's number: engine_tasks.c's inbox_set) names an
   open task where the person holds a seat: that task, as the tasks table holds it. */
static int inbox_visit(void *context, StoreBytes key, StoreBytes value)
{
    (void)value;
    OpenTasks *o = context;
    if (key.len < 8)
        return step_damaged(o->step, TABLE_INBOX, key, "is shorter than a task's number");
    StoreBytes number = store_bytes((const char *)key.data + key.len - 8, 8), task;
    int rc = store_get(o->step->txn, TABLE_TASKS, number, &task);
    if (rc == STORE_NOT_FOUND)
        return step_damaged(o->step, TABLE_INBOX, key, "names a task that is not in the store");
    if (rc != STORE_OK)
        return step_fail(o->step, rc, "store error reading a task: %s", store_strerror(rc));
    return open_task_visit(o, number, task);
}

/* A person's open tasks are those their inbox names (every holder of an open task has
   an inbox entry, and only those: store_invariants checks both), read in task order as
   the whole table would be, in time that grows with their inbox, not with every task
   the store ever held. open_task_visit still checks each one. */
int query_open_tasks(Step *s, const char *person, json_t **tasks)
{
    OpenTasks o = {s, person, json_array()};
    StrBuf prefix = STRBUF_INIT;
    if (person) {
        strbuf_puts(&prefix, person);
        strbuf_putc(&prefix, '\0');
    }
    int rc = !o.tasks || strbuf_failed(&prefix) ? step_fail(s, ENGINE_NO_MEMORY, "out of memory")
           : person ? engine_scan(s, TABLE_INBOX, store_bytes(prefix.data, prefix.len), inbox_visit, &o)
                    : engine_scan(s, TABLE_TASKS, store_bytes(NULL, 0), open_task_visit, &o);
    strbuf_free(&prefix);
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

/* Whether `person` may still answer `task` (engine_open_tasks' form; LANGUAGE.md
   "Answers"): they hold a seat nobody has answered yet, and have not answered the task
   themselves. An acknowledgement does not answer: an acked ask stays. */
static bool task_answerable_by(const json_t *task, const char *person)
{
    const json_t *vote, *seat, *holder;
    bool open_seat = false;
    size_t k, m;
    json_array_foreach(json_object_get(task, "votes"), k, vote) {
        const char *by = json_string_value(json_object_get(vote, "by"));
        if (by && strcmp(by, person) == 0)
            return false;
    }
    json_array_foreach(json_object_get(task, "seats"), k, seat) {
        if (!json_is_null(json_object_get(seat, "answered_by")))
            continue;
        json_array_foreach(json_object_get(seat, "holders"), m, holder)
            open_seat |= json_is_string(holder) && strcmp(json_string_value(holder), person) == 0;
    }
    return open_seat;
}

int engine_inbox(Engine *e, const char *person, json_t **tasks, char *why, size_t why_len)
{
    int rc = engine_open_tasks(e, person, tasks, why, why_len);
    for (size_t i = json_array_size(*tasks); rc == ENGINE_OK && person && i-- > 0;)
        if (!task_answerable_by(json_array_get(*tasks, i), person))
            json_array_remove(*tasks, i);
    return rc;
}

/* ---- the task for a person ---- */

/* Open tasks found for a person: how many, the first's id, and all their ids. */
typedef struct TaskFound {
    int count;
    char task[32];
    char ids[256];
} TaskFound;

typedef struct TaskSearch {
    const char *person;
    TaskFound held;         /* where they hold a seat */
    TaskFound answerable;   /* of those, the ones they can still answer: their inbox */
} TaskSearch;

static void task_found_add(TaskFound *f, const char *id)
{
    if (f->count++ == 0)
        snprintf(f->task, sizeof f->task, "%s", id);
    size_t used = strlen(f->ids);
    snprintf(f->ids + used, sizeof f->ids - used, "%s%s", used ? ", " : "", id);
}

static int task_search_work(Step *s, void *context)
{
    TaskSearch *t = context;
    json_t *tasks;
    int rc = query_open_tasks(s, t->person, &tasks);
    size_t i;
    json_t *task;
    json_array_foreach(rc == STORE_OK ? tasks : NULL, i, task) {
        const char *id = json_string_value(json_object_get(task, "id"));
        task_found_add(&t->held, id);
        if (task_answerable_by(task, t->person))
            task_found_add(&t->answerable, id);
    }
    json_decref(tasks);
    return rc;
}

/* The ask is the one the person can still answer (the inbox huddle tasks --for shows),
   so someone who answered t1 and holds a seat on t2 goes to t2. With none, the one
   where they hold a seat, so a second answer is refused as one ("already answered"). */
int engine_find_task_for(Engine *e, const char *person, char task[32], char *why, size_t why_len)
{
    TaskSearch t = {.person = person};
    int rc = engine_read(e, task_search_work, &t, why, why_len);
    if (rc != ENGINE_OK)
        return rc;
    const TaskFound *f = t.answerable.count ? &t.answerable : &t.held;
    if (f->count == 1) {
        snprintf(task, 32, "%s", f->task);
        return ENGINE_OK;
    }
    if (f->count == 0)
        snprintf(why, why_len, "%s holds no seat on an open ask (an ask that has closed, at its deadline or "
                 "decided by others, takes no more answers; name its task to be told how it ended)", person);
    else
        snprintf(why, why_len, "%s holds seats on several open asks (%s): name the task", person, f->ids);
    return ENGINE_REFUSED;
}

/* ---- lists: one table's records, read through a visitor ---- */

typedef struct ListRead {
    Step *step;
    StoreTable table;
    StoreBytes prefix;          /* only keys that start with it */
    StoreVisit visit;           /* adds a record to `list` (its context is the ListRead) */
    json_t *list;
    InstanceVisit each;         /* instead of visit: adds an instance's record (instance_scan) */
} ListRead;

static int list_work(Step *s, void *context)
{
    ListRead *r = context;
    r->step = s;
    r->list = json_array();
    if (!r->list)
        return step_fail(s, ENGINE_NO_MEMORY, "out of memory");
    return r->each ? instance_scan(s, r->each, r) : engine_scan(s, r->table, r->prefix, r->visit, r);
}

/* read_list's work, its result in *out. */
static int list_read(Engine *e, ListRead *r, json_t **out, char *why, size_t why_len)
{
    int rc = engine_read(e, list_work, r, why, why_len);
    if (rc != ENGINE_OK) {
        json_decref(r->list);
        r->list = NULL;
    }
    *out = r->list;
    return rc;
}

/* The JSON array `visit` makes of `table`'s records under `prefix`, in *out (the caller
   owns it; NULL when the read fails). */
static int read_list(Engine *e, StoreTable table, StoreBytes prefix, StoreVisit visit, json_t **out,
                     char *why, size_t why_len)
{
    ListRead r = {NULL, table, prefix, visit, NULL, NULL};
    return list_read(e, &r, out, why, why_len);
}

/* ---- instances ---- */

static json_t *text_or_null(const char *text)
{
    return text ? json_string(text) : json_null();
}

/* What `huddle instances` and the HTTP API show of an instance: a new object, NULL
   when out of memory. */
static json_t *instance_summary(const InstanceRecord *r)
{
    char started[40];
    instance_record_created_at(r, started);
    json_t *summary = json_object();
    int unset = !summary;
    unset |= json_object_set_new(summary, "id", json_string(r->id));
    unset |= json_object_set_new(summary, "playbook", json_string(r->playbook));
    unset |= json_object_set_new(summary, "version", json_string(r->version));
    unset |= json_object_set_new(summary, "status", json_string(instance_status_text(r->status)));
    unset |= json_object_set_new(summary, "state", text_or_null(r->state));
    unset |= json_object_set(summary, "outcome", r->outcome ? r->outcome : json_null());
    unset |= json_object_set_new(summary, "tags", instance_record_tags_json(r));
    unset |= json_object_set_new(summary, "case", text_or_null(r->case_key));
    unset |= json_object_set_new(summary, "started", json_string(started));
    if (unset) {
        json_decref(summary);
        return NULL;
    }
    return summary;
}

static int instances_visit(void *context, const InstanceRecord *r)
{
    ListRead *l = context;
    json_t *summary = instance_summary(r);
    if (!summary || json_array_append_new(l->list, summary) != 0)
        return step_fail(l->step, ENGINE_NO_MEMORY, "out of memory");
    return STORE_OK;
}

int engine_instances(Engine *e, json_t **instances, char *why, size_t why_len)
{
    ListRead r = {.table = TABLE_INSTANCES, .each = instances_visit};
    return list_read(e, &r, instances, why, why_len);
}

/* ---- named instances: one read each, whatever the store holds ---- */

typedef struct NamedInstances {
    uint64_t *numbers;          /* ascending, each once */
    size_t count;
    bool with_task;             /* each summary gains "task": its open ask's id, or null */
    json_t *list;
} NamedInstances;

/* The id of the open ask instance `record` waits on, or null. An open task is always
   the one its instance's record names (store_invariants checks it), so one read says. */
static int open_ask_of(Step *s, const InstanceRecord *record, json_t **task_id)
{
    *task_id = json_null();
    if (!record->task)
        return STORE_OK;
    TaskRecord task;
    int rc = task_load(s, record->task, &task);
    if (rc == STORE_OK && task_is_open(&task))
        *task_id = json_string(record->task);
    task_record_free(&task);
    return rc == STORE_NOT_FOUND ? STORE_OK : rc;
}

static int named_instance(Step *s, NamedInstances *n, uint64_t number)
{
    InstanceRecord record;
    StoreBytes frame;
    int rc = instance_get(s, number, &record, &frame);
    if (rc == STORE_NOT_FOUND)
        return STORE_OK;                /* no such instance: left out */
    json_t *summary = rc == STORE_OK ? instance_summary(&record) : NULL, *task = NULL;
    if (summary && n->with_task)
        rc = open_ask_of(s, &record, &task);
    instance_record_free(&record);
    if (rc != STORE_OK) {
        json_decref(summary);
        return rc;
    }
    if (!summary || (task && json_object_set_new(summary, "task", task) != 0) ||
        json_array_append_new(n->list, summary) != 0)
        return step_fail(s, ENGINE_NO_MEMORY, "out of memory");
    return STORE_OK;
}

static int named_work(Step *s, void *context)
{
    NamedInstances *n = context;
    n->list = json_array();
    if (!n->list)
        return step_fail(s, ENGINE_NO_MEMORY, "out of memory");
    int rc = STORE_OK;
    for (size_t i = 0; rc == STORE_OK && i < n->count; i++)
        rc = named_instance(s, n, n->numbers[i]);
    return rc;
}

static int number_order(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

/* Reads the instances `n->numbers` names into n->list (NULL when the read fails). */
static int named_read(Engine *e, NamedInstances *n, char *why, size_t why_len)
{
    qsort(n->numbers, n->count, sizeof *n->numbers, number_order);
    size_t kept = 0;
    for (size_t i = 0; i < n->count; i++)
        if (n->numbers[i] && (kept == 0 || n->numbers[kept - 1] != n->numbers[i]))
            n->numbers[kept++] = n->numbers[i];
    n->count = kept;
    int rc = engine_read(e, named_work, n, why, why_len);
    if (rc != ENGINE_OK) {
        json_decref(n->list);
        n->list = NULL;
    }
    return rc;
}

/* An instance id as its number: 0 for anything but "i<number>". */
static uint64_t instance_id_number(const char *id)
{
    return id && id[0] == 'i' ? instance_number(id) : 0;
}

int engine_instance(Engine *e, const char *id, json_t **summary, char *why, size_t why_len)
{
    uint64_t number = instance_id_number(id);
    NamedInstances n = {&number, 1, false, NULL};
    int rc = named_read(e, &n, why, why_len);
    *summary = rc == ENGINE_OK ? json_incref(json_array_get(n.list, 0)) : NULL;
    json_decref(n.list);
    if (rc == ENGINE_OK && !*summary) {
        snprintf(why, why_len, "no instance '%s'", id);
        engine_set_refusal(e, ENGINE_REFUSAL_NOT_FOUND, NULL);
        rc = ENGINE_REFUSED;
    }
    return rc;
}

int engine_instances_now(Engine *e, const json_t *ids, json_t **instances, char *why, size_t why_len)
{
    *instances = NULL;
    NamedInstances n = {engine_alloc(json_array_size(ids) * sizeof *n.numbers + 1), 0, true, NULL};
    if (!n.numbers) {
        snprintf(why, why_len, "out of memory");
        return ENGINE_NO_MEMORY;
    }
    size_t i;
    json_t *id;
    json_array_foreach(ids, i, id)
        n.numbers[n.count++] = instance_id_number(json_string_value(id));
    int rc = named_read(e, &n, why, why_len);
    free(n.numbers);
    *instances = n.list;
    return rc;
}

/* ---- history ---- */

static int history_record_visit(void *context, const HistoryItem *item)
{
    ListRead *h = context;
    json_t *record;
    int rc = history_item_json(h->step, item, &record);
    if (rc == STORE_OK && json_array_append_new(h->list, record))
        rc = step_fail(h->step, ENGINE_NO_MEMORY, "out of memory");
    return rc;
}

/* Each record of one entry of the instance's history (engine_history.c). */
static int history_visit(void *context, StoreBytes key, StoreBytes value)
{
    HistoryWalk w = {.visit = history_record_visit, .context = context};
    return history_walk_entry(&w, key, value);
}

int engine_history(Engine *e, const char *id, json_t **records, char *why, size_t why_len)
{
    uint64_t number = instance_number(id);
    unsigned char prefix[8];
    store_be64(number, prefix);
    int rc = number && id[0] == 'i'
        ? read_list(e, TABLE_HISTORY, store_bytes(prefix, 8), history_visit, records, why, why_len)
        : ENGINE_REFUSED;
    if (rc == ENGINE_OK && json_array_size(*records) == 0) {
        json_decref(*records);
        rc = ENGINE_REFUSED;
    }
    if (rc == ENGINE_REFUSED) {
        *records = NULL;
        snprintf(why, why_len, "no instance '%s'", id);
        engine_set_refusal(e, ENGINE_REFUSAL_NOT_FOUND, NULL);
    }
    return rc;
}

/* The time of the last `acknowledged` record of `task` by `by` in the history of
   instance `number` (query_acknowledged_at). */
typedef struct AckedAt {
    Step *step;
    const char *task, *by;
    char *at;
    char *other_by, *other_at;      /* the last ack of the task by someone else */
} AckedAt;

static int acked_record_visit(void *context, const HistoryItem *item)
{
    AckedAt *a = context;
    json_t *record;
    int rc = history_item_json(a->step, item, &record);
    const char *kind = json_string_value(json_object_get(record, "kind"));
    const char *task = json_string_value(json_object_get(record, "task"));
    const char *by = json_string_value(json_object_get(record, "by"));
    const char *at = json_string_value(json_object_get(record, "at"));
    bool ack = rc == STORE_OK && kind && strcmp(kind, "acknowledged") == 0 && task && strcmp(task, a->task) == 0 &&
               by && at;
    if (ack && strcmp(by, a->by) == 0)
        snprintf(a->at, 40, "%s", at);
    else if (ack) {
        snprintf(a->other_by, TEXT_ID_MAX + 1, "%s", by);
        snprintf(a->other_at, 40, "%s", at);
    }
    json_decref(record);
    return rc;
}

static int acked_visit(void *context, StoreBytes key, StoreBytes value)
{
    HistoryWalk w = {.visit = acked_record_visit, .context = context};
    return history_walk_entry(&w, key, value);
}

int query_acknowledged_at(Step *s, uint64_t number, const char *task, const char *by, char at[40],
                          char other_by[TEXT_ID_MAX + 1], char other_at[40])
{
    at[0] = other_by[0] = other_at[0] = '\0';
    unsigned char prefix[8];
    store_be64(number, prefix);
    AckedAt a = {s, task, by, at, other_by, other_at};
    return engine_scan(s, TABLE_HISTORY, store_bytes(prefix, 8), acked_visit, &a);
}

/* ---- playbooks ---- */

static int playbooks_visit(void *context, StoreBytes key, StoreBytes value)
{
    ListRead *r = context;
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

int engine_playbooks(Engine *e, json_t **playbooks, char *why, size_t why_len)
{
    return read_list(e, TABLE_PLAYBOOKS, store_bytes(NULL, 0), playbooks_visit, playbooks, why, why_len);
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
        return step_fail_damaged(s, "program %.64s is not in the store", c->hash);
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
