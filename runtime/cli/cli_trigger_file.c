/*
 * cli_trigger_file.c - `huddle trigger --file EVENTS.jsonl`: many events, one JSON object
 * {source, type, id, time, data} a line, through the engine's group commit
 * (engine_apply_batch) in batches of --batch lines (RUNTIME.md v1.2: imports and
 * backfills), in one process.
 *
 * The file is streamed: one line at a time is read (cli_read_line, at most --max-body
 * bytes), and only the current batch is held. Each line passes the same door as a single
 * `huddle trigger` and a `huddle run` trace line: value_json_load (depth, duplicate keys),
 * cli_event_read (its fields), then the engine's own checks (ids at most 256 bytes, no
 * control characters) inside the batch. A line refused at either door is reported by its
 * number ("EVENTS.jsonl:LINE: why" on stderr; {"refused": {"line", "why"}} with --json),
 * counted, and the rest go on. An id seen before (in the store, or earlier in the file)
 * is a duplicate and changes nothing, so running the same file again is safe.
 *
 * A store failure stops the run (exit 3): every line of the batches committed before it
 * is durable, nothing of the failed batch is, and the message says which line to resume
 * from (running the whole file again is the same: what was committed is a duplicate).
 */
#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "connectors_file.h"
#include "engine.h"
#include "text.h"
#include "value_json.h"

/* A batch holds at most this many bytes of lines, however many lines --batch allows,
   so a file of long lines never fills memory. */
#define TRIGGER_BATCH_BYTES ((size_t)16 << 20)

/* A line of the batch: an event (its input), or refused at the door (its why). Lines
   are reported at the batch's commit, in the file's order. */
typedef struct TriggerLine {
    long number;            /* its line in the file */
    json_t *json;           /* owned: the line's object */
    CliEvent event;         /* borrowed from json */
    EngineInput *input;     /* the event's input, or NULL: refused at the door */
    char *why;              /* owned: why it was refused at the door */
} TriggerLine;

typedef struct TriggerRun {
    Engine *engine;
    const CliTriggerFile *options;
    const char *name;       /* the file as reports name it */
    int64_t now;
    TriggerLine *lines;     /* the batch being filled */
    EngineInput *inputs;
    size_t count, inputs_count, bytes;
    long line;              /* the last line read */
    long events, accepted, duplicates, refused, started, joined, counted;
    StrBuf shown;           /* the name, control characters made visible */
    struct ConnFile *types; /* owned: the kept connectors' event types, or NULL */
} TriggerRun;

int cli_trigger_file_open(const char *command, const char *path, const char *batch,
                          const char *max_body, CliTriggerFile *options)
{
    int64_t size = 1000;
    memset(options, 0, sizeof *options);
    if (batch && !text_parse_count(batch, 1, 100000, &size))
        return cli_usage_error(command, "--batch '%s' is not a whole number of lines from 1 to 100000",
                               cli_clean(batch));
    options->batch = (size_t)size;
    int status = cli_max_body(command, max_body, &options->max_body);
    if (status != CLI_OK)
        return status;
    options->path = path;
    options->in = strcmp(path, "-") == 0 ? stdin : cli_open_read(path);
    if (!options->in) {
        fprintf(stderr, "huddle: %s: %s\n", cli_clean(path), strerror(errno));
        return CLI_REFUSED;
    }
    return CLI_OK;
}

void cli_trigger_file_close(CliTriggerFile *options)
{
    if (options->in && options->in != stdin)
        fclose(options->in);
    options->in = NULL;
}

/* A refused line: "EVENTS.jsonl:LINE: why" on stderr, or a JSON line on stdout. */
static void trigger_refuse(TriggerRun *run, long line, const char *why)
{
    run->refused++;
    if (run->options->json) {
        json_t *report = json_pack("{s:{s:I,s:s}}", "refused", "line", (json_int_t)line, "why", why);
        char *text = report ? cli_json_dumps(report, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
        printf("%s\n", text ? text : "{\"refused\":null}");
        free(text);
        json_decref(report);
        return;
    }
    fprintf(stderr, "%s:%ld: %s\n", run->name, line, cli_clean(why));
}

static void trigger_release(TriggerRun *run)
{
    for (size_t i = 0; i < run->count; i++) {
        cli_event_clear(&run->lines[i].event);
        json_decref(run->lines[i].json);
        free(run->lines[i].why);
    }
    memset(run->lines, 0, run->count * sizeof *run->lines);
    run->count = run->inputs_count = 0;
    run->bytes = 0;
}

/* The line that the run may resume from after a store failure, and what was kept. */
static int trigger_store_failed(TriggerRun *run, long resume, int rc, const char *why)
{
    fprintf(stderr, "huddle: trigger: %s:%ld: %s: %s\n", run->name, resume, engine_strerror(rc), cli_clean(why));
    fprintf(stderr, "huddle: trigger: stopped: every line before line %ld is committed (%ld accepted, %ld "
            "duplicates, %ld refused); resume from line %ld, or run the same file again (what was "
            "committed comes back as duplicates)\n", resume, run->accepted, run->duplicates, run->refused, resume);
    return CLI_SYSTEM;
}

/* Applies the batch in one write transaction and counts what each line did. */
static int trigger_flush(TriggerRun *run)
{
    if (run->count == 0)
        return CLI_OK;
    int rc = run->inputs_count ? engine_apply_batch(run->engine, run->inputs, run->inputs_count, run->now) : ENGINE_OK;
    if (rc != ENGINE_OK) {
        int status = trigger_store_failed(run, run->lines[0].number, rc, run->inputs[0].why);
        trigger_release(run);
        return status;
    }
    long failed = 0;
    int failed_rc = ENGINE_OK;
    for (size_t i = 0; i < run->count; i++) {
        EngineInput *in = run->lines[i].input;
        if (!in) {
            trigger_refuse(run, run->lines[i].number, run->lines[i].why ? run->lines[i].why : "out of memory");
        } else if (in->result == ENGINE_REFUSED) {
            trigger_refuse(run, run->lines[i].number, in->why);
        } else if (in->result != ENGINE_OK) {
            if (!failed) {
                failed = run->lines[i].number;
                failed_rc = in->result;
                fprintf(stderr, "huddle: trigger: %s:%ld: %s: %s\n", run->name, failed, engine_strerror(in->result),
                        cli_clean(in->why));
            }
        } else if (in->duplicate) {
            run->duplicates++;
        } else {
            run->accepted++;
            run->started += in->started;
            run->joined += in->joined;
            run->counted += in->counted;
        }
    }
    trigger_release(run);
    if (failed)
        return trigger_store_failed(run, failed, failed_rc, "the line's step failed; the rest of its batch committed");
    return CLI_OK;
}

/* Reads one non-blank line (`over`: longer than --max-body, unread) into the batch as
   an event, or as refused at the door. */
static int trigger_line(TriggerRun *run, const char *text, size_t len, bool over)
{
    char why[600], problem[512];
    TriggerLine *line = &run->lines[run->count++];
    line->number = run->line;
    bool refused = false;
    json_t *json = over ? NULL : cli_event_line_load(text, len, false, run->options->max_body, &refused, problem,
                                                     sizeof problem);
    if (over)
        snprintf(why, sizeof why, "the line is more than %zu bytes, the most a line may have (the event data's "
                 "limit, %zu, plus %zu for the rest of the line; --max-body BYTES or HUDDLE_MAX_BODY sets the "
                 "first)", run->options->max_body + CLI_LINE_ENVELOPE, run->options->max_body, CLI_LINE_ENVELOPE);
    else if (refused)
        snprintf(why, sizeof why, "%s", problem);
    else if (!json_is_object(json))
        snprintf(why, sizeof why, "not a JSON object%s%s", json ? "" : ": ", json ? "" : problem);
    else if (cli_event_read(json, "event", run->now, &line->event, why, sizeof why) &&
             cli_event_fits(run->types, line->event.source, line->event.type, line->event.data, why, sizeof why))
        line->input = &run->inputs[run->inputs_count++];
    if (line->input) {
        const CliEvent *ev = &line->event;
        line->json = json;
        *line->input = (EngineInput){.kind = ENGINE_INPUT_EVENT, .source = ev->source, .type = ev->type,
                                     .id = ev->id, .data = ev->data, .event_time = ev->time};
    } else {
        json_decref(json);
        line->why = strdup(why);   /* NULL: reported as out of memory */
    }
    run->bytes += len;
    if (run->count == run->options->batch || run->bytes >= TRIGGER_BATCH_BYTES)
        return trigger_flush(run);
    return CLI_OK;
}

static int trigger_read(TriggerRun *run)
{
    StrBuf text = STRBUF_INIT;
    bool over, no_memory = false;
    int status = CLI_OK;
    while (status == CLI_OK &&
           cli_read_line(run->options->in, run->options->max_body + CLI_LINE_ENVELOPE, &text, &over)) {
        run->line++;
        if ((no_memory = strbuf_failed(&text)))
            break;   /* never taken for a blank line: the event would be lost */
        if (cli_line_blank(run->line, &text) && !over)
            continue;   /* a blank line */
        run->events++;
        status = trigger_line(run, cli_line_text(run->line, &text), cli_line_len(run->line, &text), over);
    }
    strbuf_free(&text);
    if (status == CLI_OK && ferror(run->options->in)) {
        int read_errno = errno;
        fprintf(stderr, "huddle: trigger: %s: could not read line %ld: %s\n", run->name, run->line + 1,
                strerror(read_errno));
        status = read_errno == EISDIR ? CLI_REFUSED : CLI_SYSTEM;   /* a folder, as --file FOLDER */
    }
    if (status == CLI_OK)
        status = trigger_flush(run);   /* the lines before one that could not be read */
    if (no_memory) {
        fprintf(stderr, "huddle: trigger: %s: out of memory reading line %ld: neither it nor a line after it "
                "was applied\n", run->name, run->line);
        status = status == CLI_OK ? CLI_SYSTEM : status;
    }
    trigger_release(run);
    return status;
}

/* "100000 lines: 99990 accepted (N started, M joined, K counted), 8 duplicates, 2 refused" */
static void trigger_summary(const TriggerRun *run)
{
    if (run->options->json) {
        json_t *summary = json_pack("{s:{s:I,s:I,s:I,s:I,s:I,s:I,s:I}}", "summary", "lines", (json_int_t)run->events,
                                    "accepted", (json_int_t)run->accepted, "started", (json_int_t)run->started,
                                    "joined", (json_int_t)run->joined, "counted", (json_int_t)run->counted,
                                    "duplicates", (json_int_t)run->duplicates, "refused", (json_int_t)run->refused);
        char *text = summary ? cli_json_dumps(summary, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
        printf("%s\n", text ? text : "{\"summary\":null}");
        free(text);
        json_decref(summary);
        return;
    }
    printf("%ld line%s: %ld accepted (%ld started, %ld joined, %ld counted), %ld duplicate%s, %ld refused\n",
           run->events, run->events == 1 ? "" : "s", run->accepted, run->started, run->joined, run->counted,
           run->duplicates, run->duplicates == 1 ? "" : "s", run->refused);
}

int cli_trigger_file_run(Engine *engine, const CliTriggerFile *options, int64_t now)
{
    TriggerRun run = {0};
    run.shown = (StrBuf)STRBUF_INIT;
    run.engine = engine;
    run.options = options;
    const char *name = options->in == stdin ? "<stdin>" : options->path;
    text_escape_controls(name, strlen(name), &run.shown);
    run.name = strbuf_text(&run.shown);
    run.now = now;
    run.lines = calloc(options->batch, sizeof *run.lines);
    run.inputs = calloc(options->batch, sizeof *run.inputs);
    int status = cli_connectors_kept(engine, &run.types);
    if (status != CLI_OK)
        ;
    else if (!run.lines || !run.inputs) {
        fprintf(stderr, "huddle: trigger: out of memory for a batch of %zu lines\n", options->batch);
        status = CLI_SYSTEM;
    } else {
        status = trigger_read(&run);
    }
    /* Timers due by now fire even when every line was refused (a batch fired them before
       its events otherwise, and this finds none): a refusal changes nothing of its own,
       but its time has come (RUNTIME.md, "What it promises" 1). */
    char why[512];
    if (status == CLI_OK && cli_fire_due_only(engine, now, why, sizeof why) != ENGINE_OK) {
        fprintf(stderr, "huddle: trigger: the timers due by now could not fire: %s\n", why);
        status = CLI_SYSTEM;
    }
    conn_file_free(run.types);
    free(run.lines);
    free(run.inputs);
    trigger_summary(&run);
    strbuf_free(&run.shown);
    if (status != CLI_OK)
        return status;
    return run.refused ? CLI_REFUSED : CLI_OK;
}
