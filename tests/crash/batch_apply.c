/*
 * batch_apply.c - feeds a store batches of inputs through group commit
 * (engine_apply_batch), for the crash tests of tests/crash/run_batch_crash.sh: no
 * command of the CLI batches yet, so this is the client that does.
 *
 *   batch_apply DIR BATCHES [FROM]
 *
 * BATCHES holds one input a line ('#' lines and blank lines are skipped):
 *
 *   BATCH|TIME|event|SOURCE.TYPE|ID|DATA|WANT
 *   BATCH|TIME|answer|TASK|CHOICE|PERSON|COMMENT|WANT     (COMMENT may be empty)
 *
 * Lines with the same BATCH number (consecutive, numbers rising) are one
 * engine_apply_batch at engine time TIME (HH:MM on 2026-06-15, UTC; the event time too).
 * WANT (ok, dup, refused or failed) is what the input should give; this program only
 * prints it. An event whose data has "crash_fail_after_write": true runs in full (it
 * writes) and then fails (events_accept is wrapped, GNU ld --wrap: see the Makefile),
 * so the batch's runs without a nested transaction per step (runtime/engine/engine.c,
 * "Group commit") are aborted and run again under the crash points too.
 * Batches numbered below FROM (default 1) are skipped: a client that restarts sends
 * again what was not acknowledged.
 *
 * After each batch commits it prints, and flushes, one line per input and then the
 * acknowledgement:
 *
 *   BATCH INDEX WANT GOT event SOURCE/ID
 *   BATCH INDEX WANT GOT answer TASK/PERSON/CHOICE
 *   ack BATCH
 *
 * where GOT is ok, dup, refused or failed. A line is printed only once its batch has
 * committed, so a crash (HUDDLE_CRASH_AT, runtime/store/fault.h) loses only what was
 * never acknowledged. With HUDDLE_CRASH_LOG set, "ack BATCH" is also appended to that
 * log, among the crash points' lines, so a test can tell which batch passes each point.
 * Exit status: 0 every batch committed, 2 usage or a bad BATCHES line, 3 the store could
 * not be opened or a batch failed as a whole.
 */
#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine.h"
#include "engine_internal.h"

#define DAY_MS ((int64_t)1781481600000)   /* 2026-06-15T00:00:00Z */
#define BATCH_MAX 64
#define FIELDS 9

int __real_events_accept(Step *s, const char *source, const char *type, const char *id, const json_t *data,
                         int64_t event_time, bool *duplicate);
int __wrap_events_accept(Step *s, const char *source, const char *type, const char *id, const json_t *data,
                         int64_t event_time, bool *duplicate);

int __wrap_events_accept(Step *s, const char *source, const char *type, const char *id, const json_t *data,
                         int64_t event_time, bool *duplicate)
{
    int rc = __real_events_accept(s, source, type, id, data, event_time, duplicate);
    if (rc != STORE_OK || !json_is_true(json_object_get(data, "crash_fail_after_write")))
        return rc;
    return step_fail(s, ENGINE_FAILED, "batch_apply: %s failed after writing (a test)", id);
}

/* One batch being read: its inputs, and the line text and JSON they borrow. */
typedef struct Batch {
    int number;
    int64_t now;
    size_t count;
    EngineInput in[BATCH_MAX];
    char *line[BATCH_MAX];
    char *want[BATCH_MAX];
    json_t *data[BATCH_MAX];
} Batch;

static void batch_clear(Batch *b)
{
    for (size_t i = 0; i < b->count; i++) {
        free(b->line[i]);
        json_decref(b->data[i]);
    }
    memset(b, 0, sizeof *b);
}

/* Splits `line` at '|' in place into at most FIELDS fields; returns how many. */
static int split(char *line, char *field[FIELDS])
{
    int n = 0;
    char *rest = line;
    while (rest && n < FIELDS)
        field[n++] = strsep(&rest, "|");
    return n;
}

static bool parse_time(const char *text, int64_t *ms)
{
    int h, m;
    char end;
    if (sscanf(text, "%d:%d%c", &h, &m, &end) != 2 || h < 0 || h > 23 || m < 0 || m > 59)
        return false;
    *ms = DAY_MS + ((int64_t)h * 60 + m) * 60000;
    return true;
}

/* Fills input `i` of `b` from the fields of one line; false when the line is wrong. */
static bool parse_input(Batch *b, size_t i, char *field[FIELDS], int n)
{
    EngineInput *in = &b->in[i];
    if (strcmp(field[2], "event") == 0 && n == 7) {
        char *dot = strchr(field[3], '.');
        b->data[i] = json_loads(field[5], 0, NULL);
        if (!dot || !b->data[i])
            return false;
        *dot = '\0';
        *in = (EngineInput){.kind = ENGINE_INPUT_EVENT, .source = field[3], .type = dot + 1,
                            .id = field[4], .data = b->data[i], .event_time = b->now};
        b->want[i] = field[6];
        return true;
    }
    if (strcmp(field[2], "answer") == 0 && n == 8) {
        *in = (EngineInput){.kind = ENGINE_INPUT_ANSWER, .task = field[3], .choice = field[4],
                            .by = field[5], .comment = field[6][0] ? field[6] : NULL};
        b->want[i] = field[7];
        return true;
    }
    return false;
}

/* Reads the next batch from `file` into `b`; `pending` holds a line read ahead (the
   first of the next batch). Returns 1, 0 at the end, -1 on a bad line. */
static int batch_read(FILE *file, Batch *b, char **pending, int *line_no)
{
    char buf[4096];
    for (;;) {
        char *text = *pending;
        *pending = NULL;
        if (!text) {
            if (!fgets(buf, sizeof buf, file))
                return b->count > 0;
            (*line_no)++;
            buf[strcspn(buf, "\n")] = '\0';
            if (buf[0] == '#' || buf[strspn(buf, " \t")] == '\0')
                continue;
            text = strdup(buf);
            if (!text)
                return -1;
        }
        char *copy = strdup(text), *field[FIELDS];
        int n = copy ? split(copy, field) : 0;
        int number = n >= 3 ? atoi(field[0]) : 0;
        int64_t now = 0;
        bool good = n >= 3 && number > 0 && parse_time(field[1], &now);
        free(copy);
        if (good && b->count && number != b->number) {
            *pending = text;
            return 1;
        }
        if (!good || (b->count && now != b->now) || b->count == BATCH_MAX) {
            free(text);
            return -1;
        }
        b->number = number;
        b->now = now;
        size_t i = b->count++;
        b->line[i] = text;
        n = split(text, field);
        if (!parse_input(b, i, field, n))
            return -1;
    }
}

static const char *got_word(const EngineInput *in)
{
    if (in->result == ENGINE_OK)
        return in->duplicate ? "dup" : "ok";
    return in->result == ENGINE_REFUSED ? "refused" : "failed";
}

/* Applies one batch and acknowledges it; false when the batch failed as a whole. */
static bool batch_apply(Engine *engine, Batch *b)
{
    if (engine_apply_batch(engine, b->in, b->count, b->now) != ENGINE_OK) {
        fprintf(stderr, "batch_apply: batch %d failed: %s\n", b->number, b->in[0].why);
        return false;
    }
    for (size_t i = 0; i < b->count; i++) {
        const EngineInput *in = &b->in[i];
        printf("%d %zu %s %s ", b->number, i + 1, b->want[i], got_word(in));
        if (in->kind == ENGINE_INPUT_EVENT)
            printf("event %s/%s\n", in->source, in->id);
        else
            printf("answer %s/%s/%s\n", in->task, in->by, in->choice);
    }
    printf("ack %d\n", b->number);
    fflush(stdout);
    const char *log = getenv("HUDDLE_CRASH_LOG");
    FILE *file = log ? fopen(log, "a") : NULL;
    if (file) {
        fprintf(file, "ack %d\n", b->number);
        fclose(file);
    }
    return true;
}

int main(int argc, char **argv)
{
    if (argc < 3 || argc > 4) {
        fprintf(stderr, "usage: batch_apply DIR BATCHES [FROM]\n");
        return 2;
    }
    int from = argc == 4 ? atoi(argv[3]) : 1;
    FILE *file = fopen(argv[2], "r");
    if (!file) {
        perror(argv[2]);
        return 2;
    }
    Engine *engine;
    char why[512];
    EngineOptions options = {0};
    if (engine_open(argv[1], &options, &engine, why, sizeof why) != ENGINE_OK) {
        fprintf(stderr, "batch_apply: %s\n", why);
        fclose(file);
        return 3;
    }
    Batch b = {0};
    char *pending = NULL;
    int line_no = 0, status = 0, rc;
    while (status == 0 && (rc = batch_read(file, &b, &pending, &line_no)) != 0) {
        if (rc < 0) {
            fprintf(stderr, "batch_apply: %s:%d: not a batch line\n", argv[2], line_no);
            status = 2;
        } else if (b.number >= from && !batch_apply(engine, &b)) {
            status = 3;
        }
        batch_clear(&b);
    }
    batch_clear(&b);
    free(pending);
    engine_close(engine);
    fclose(file);
    return status;
}
