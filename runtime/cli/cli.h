/*
 * cli.h - the `huddle` command line: parses arguments, runs one command, and returns
 * the exit status (0 ok, 1 input refused, 2 usage, 3 store or system error).
 */
#ifndef HUDDLE_CLI_H
#define HUDDLE_CLI_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "strbuf.h"

#define HUDDLE_VERSION "0.1.0"

enum { CLI_OK = 0, CLI_REFUSED = 1, CLI_USAGE = 2, CLI_SYSTEM = 3 };

int cli_main(int argc, char **argv);

/* One command: its name, a one-line summary, its usage and help text, and its code. */
typedef struct CliCommand {
    const char *name;
    const char *summary;
    const char *usage;
    const char *help;
    int (*run)(int argc, char **argv);
} CliCommand;

/* Commands live in their own files (cli_check.c, ...). */
int cli_check(int argc, char **argv);
int cli_graph(int argc, char **argv);
int cli_build(int argc, char **argv);
int cli_disasm(int argc, char **argv);
int cli_run(int argc, char **argv);
int cli_deploy(int argc, char **argv);
int cli_connectors(int argc, char **argv);
int cli_trigger(int argc, char **argv);
int cli_answer(int argc, char **argv);
int cli_tick(int argc, char **argv);
int cli_instances(int argc, char **argv);
int cli_tasks(int argc, char **argv);
int cli_playbooks(int argc, char **argv);
int cli_history(int argc, char **argv);
int cli_retry(int argc, char **argv);
int cli_cancel(int argc, char **argv);
int cli_resolve(int argc, char **argv);
int cli_reassign(int argc, char **argv);
int cli_undeploy(int argc, char **argv);
int cli_ack(int argc, char **argv);
int cli_directory(int argc, char **argv);
/* the decision record (cli_audit.c, cli_audit_search.c) */
int cli_audit(int argc, char **argv);
/* `huddle tasks`: the similar past decisions (engine_audit_context) of one task. */
struct json_t;
/* The JSON the CLI and serve print (cli_json_dumps.c): json_dumps's layout for `flags`
   (JSON_COMPACT, JSON_INDENT(n), JSON_ENSURE_ASCII, JSON_ENCODE_ANY; members in their
   order), each double in the fewest digits that read back the same (19.99). A new
   string the caller frees, or NULL (no memory, or not a container without
   JSON_ENCODE_ANY). cli_json_dump appends the same to `out`. */
char *cli_json_dumps(const struct json_t *value, size_t flags);
bool cli_json_dump(StrBuf *out, const struct json_t *value, size_t flags);
/* A double as cli_json_dumps writes it: "19.99", "1500.0", "1e21", "-2.5e-7". */
#define CLI_JSON_REAL_MAX 40
void cli_json_real(double value, char out[CLI_JSON_REAL_MAX]);
/* Whether text needs no escape (printable ASCII, no quote or backslash), and a string as
   cli_json_dump writes it (false: not UTF-8, or no memory). */
bool cli_json_plain(const char *text, size_t len);
bool cli_json_dump_string(StrBuf *out, const char *text, size_t len, size_t flags);
void cli_audit_similar_print(const struct json_t *task);
/* `huddle history`: the records as a timeline for people, times in `tz` (NULL: UTC)
   (cli_history.c). */
struct Tz;
struct Engine;
void cli_history_print(const struct json_t *records, const struct Tz *tz);
/* Prints the RFC 3339 time `at` as a person reads it: "2026-06-15 09:10 +03:00", local
   to `tz` (UTC without one), the offset always shown (cli_history.c). */
void cli_local_time_print(const char *at, const struct Tz *tz);
/* The zone people read times in (history, tasks, run's timeline): that of `calendar` in
   the store's directory, into *tz (the caller's, tz_free), NULL when `calendar` is NULL
   or empty, or the directory lacks it or its zone (cli_store.c). ENGINE_OK, or the
   store's error with why. */
int cli_calendar_zone(struct Engine *engine, const char *calendar, struct Tz **tz, char *why, size_t why_len);
/* One record as huddle history words it, for a command that reports the records it
   wrote (huddle tick): "  2026-03-02 14:00 +02:00  i2  t3 decided: timeout" (local to
   `tz`, the instance's calendar zone as history uses it, UTC when NULL; the instance;
   the words). */
void cli_history_print_line(const struct json_t *record, const struct Tz *tz);
/* Records about an ask's people and a step's events and calls (joined, unresolved,
   skipped, reminded, replied, call_failed, when_failed) in words, as both timelines
   (huddle history, huddle run) say them; false for another kind, nothing printed. */
bool cli_record_words(const struct json_t *record, const char *kind);
/* A `delegated` or `handover` record in words, as both timelines say it: the ask and
   its seat (counted from 1; no task when it happened as the ask was made, the `asked`
   record follows), who took it in whose place, and why ("t1 seat 1: anna asked in
   ming's place (ming is away until ...)"); a `notify`'s, with neither ask nor seat,
   says who was told in whose place ("alex told in tomas's place (...)"); `time_print`
   prints a time (the absence's end) in the timeline's zone (cli_history.c). */
typedef void (*CliTimePrint)(void *context, const char *at);
void cli_seat_words(const struct json_t *record, const char *kind, CliTimePrint time_print, void *context);
/* How long `ms` is, for people: "45s", "30m", "1h5m", "2d3h" (cli_history.c). */
void cli_duration_print(int64_t ms);
/* `huddle graph --db DIR --instance I`: marks on `dot` (graph_dot's text of `program`)
   the states the instance entered, in order, and where it is now or the end it reached
   (cli_audit.c); an instance of another playbook than `program`'s is refused, and one
   of another version than `version` (the file's, hex) whose path went through a state
   `program` has not. */
struct AstProgram;
int cli_audit_graph_path(const char *db, const char *instance, const struct AstProgram *program,
                         const char *version, StrBuf *dot);

/* ---- serve (cli_serve*.c; issue 12) ---- */
int cli_serve(int argc, char **argv);
/* Tick's side of the store's lock: a shared flock on the folder `db`, in *fd for the
   whole tick (the caller closes it; -1 when the folder cannot be opened, which opening
   the store then reports), so that serve does not start beside a tick. CLI_SYSTEM
   (said) when a `huddle serve` holds the store (its flock on the folder, or on
   DIR/serve.lock): tick refuses. */
int cli_tick_lock(const char *db, int *fd);
/* The store's kept connectors in *out (NULL: none kept; the caller frees them with
   conn_file_free): CLI_OK or CLI_SYSTEM (said). For deploy, serve and the event types
   at the CLI's doors (cli_event_types.c): whether an event fits its type there (a
   sentence naming the field's path in why when not). */
struct Engine;
struct ConnFile;
struct json_t;
int cli_connectors_kept(struct Engine *engine, struct ConnFile **out);
bool cli_event_fits(const struct ConnFile *types, const char *source, const char *type, const struct json_t *data,
                    char *why, size_t why_len);

struct Bytecode;
struct Directory;
struct CheckOptions;
/* Compiles a playbook file to bytecode, printing its diagnostics; returns an exit status.
   With a directory, its pre-flight findings are printed as warnings; with options
   (NULL: none), connectors and operations are checked against its connectors. */
int cli_compile_to_bytecode(const char *path, struct Bytecode *bc);
/* The same, and the bytecode's bytes (as build writes and deploy stores them) into
   `bytes` and its version (their SHA-256, hex: 64 digits and a NUL) into `version`; the
   caller frees bc and bytes (on CLI_OK only). */
int cli_compile_versioned(const char *path, struct Bytecode *bc, StrBuf *bytes, char version[65]);
int cli_compile_checked(const char *path, struct Bytecode *bc, const struct Directory *directory,
                        const struct CheckOptions *options);
struct Front;
/* Evaluates `bc`'s lazy consts as loading it would and adds an error to front's
   diagnostics for each one that fails. Returns 0, -1 (errors added), BC_NO_MEMORY. */
int cli_check_consts(struct Front *front, const struct Bytecode *bc);
/* The same for a checked front that has errors elsewhere: builds what its consts need
   (front_build_consts) and evaluates them, so a failing const is reported together with
   the other errors. Does nothing when an error lies in a const, fn or use. Returns 0, -1
   or BC_NO_MEMORY. */
int cli_check_front_consts(struct Front *front);

/* ---- connectors (cli_connectors.c) ---- */

struct ConnFile;
struct CheckConnector;
struct json_t;
/* Connectors as the checker sees them; all zero: none given. */
typedef struct CliConnectors {
    struct ConnFile *file;          /* owned */
    struct CheckConnector *items;   /* owned; names point into file */
    unsigned count;
    struct Arena *arena;            /* owned: the items' event type fields (serve, issue 12) */
} CliConnectors;
/* Reads and checks a connectors file (runtime/connectors/), printing every problem
   ("FILE: connectors.NAME.field: what is wrong"): CLI_OK, CLI_REFUSED, or CLI_SYSTEM
   (out of memory). */
int cli_connectors_load(const char *path, CliConnectors *out);
/* Takes over a parsed file (the store's connectors, say). */
int cli_connectors_adopt(CliConnectors *out, struct ConnFile *file);
/* Points the checker's options at the connectors (at none when none were given). */
void cli_connectors_options(const CliConnectors *connectors, struct CheckOptions *options);
void cli_connectors_free(CliConnectors *connectors);
/* Prints kept connectors (conn_file_json's form; NULL: none kept) for `huddle
   connectors`: a line each, or with as_json {"connectors": {...} | null}. */
int cli_connectors_print(const struct json_t *kept, bool as_json);

/* Whether command `name`'s usage names `option` ("--json"): the one list of the options
   a command takes, shared by `huddle help CMD` and the command's parser. */
bool cli_takes_option(const char *name, const char *option);
/* True when ARG is an option: it begins with '-' and is not "-" alone (standard input). */
bool cli_is_option(const char *arg);
/* True for the first "--" (it sets *rest: every argument after it is a file or id, even
   one that begins with '-'); the caller skips it. */
bool cli_options_end(const char *arg, bool *rest);

/* Why a JSON file did not load (json_load_file's error), in `out`, which it returns:
   "PATH:LINE:COLUMN: what" for a parse error, "PATH: No such file or directory" for a
   file that could not be opened (not jansson's line -1, column -1). */
struct json_error_t;
const char *cli_json_file_problem(char *out, size_t len, const char *path, const struct json_error_t *error);
/* Prints that problem ("huddle: PATH: ...") and gives the exit status: CLI_SYSTEM when the
   load ran out of memory (no fault of the file), else CLI_REFUSED. */
int cli_json_file_refused(const char *path, const struct json_error_t *error);

/* Shared helpers. Reads a whole file into a malloc'd, NUL-terminated buffer; on error
   prints "huddle: PATH: reason" and returns NULL. */
char *cli_read_file(const char *path, size_t *len);

/* An EngineOptions.on_record hook that appends each record a write committed to the
   JSON array `context` (a new reference), for the command's report. */
void cli_collect_record(void *context, const struct json_t *record);
/* fopen(path, "r"), with a folder refused as EISDIR (it opens, then reads as empty):
   NULL with errno set. */
FILE *cli_open_read(const char *path);
/* Do the paths `a` and `b` name one file that exists (the same device and inode)? For
   an output that would overwrite its own input. */
bool cli_same_file(const char *a, const char *b);
/* Prints the usage of `command` to stderr and returns CLI_USAGE. */
int cli_usage_error(const char *command, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* The options of one command line given so far, so that one given twice is refused
   rather than the last one silently winning (as a query parameter given twice is 400). */
typedef struct CliSeen {
    const void *slots[40];
    int count;
} CliSeen;
/* CLI_OK the first time `option` (whose value goes to `slot`) is seen; a usage error
   said on stderr (CLI_USAGE) when it was given before. */
int cli_option_once(const char *command, const char *option, const void *slot, CliSeen *seen);
/* Takes the value after the option argv[*i] into *slot and moves *i past it: CLI_OK, or
   a usage error said on stderr (CLI_USAGE) when it has no value or was given before. */
int cli_option_value(const char *command, int argc, char **argv, int *i, const char **slot, CliSeen *seen);

/* ---- the door: what comes in from outside (RUNTIME.md, "Limits and damage") ---- */

/* `text` with its control characters made visible (\e, \n, \x7f, \u2028, ...), for
   human output: text from events and people can never move the cursor or forge a
   line. NULL gives "". Borrowed: valid until CLI_CLEAN_SLOTS more calls. */
#define CLI_CLEAN_SLOTS 16
const char *cli_clean(const char *text);
/* Prints `text` line by line, each through cli_clean, each ending in a newline. */
void cli_print_lines(FILE *out, const char *text);

/* The most bytes an event's data (a trace line for `huddle run`) may have: `option`
   (--max-body BYTES) when given, else $HUDDLE_MAX_BODY, else CLI_MAX_BODY_DEFAULT.
   Returns CLI_OK, or CLI_USAGE after saying which of the two is not a whole number
   from 1 to CLI_MAX_BODY_LIMIT. */
#define CLI_MAX_BODY_DEFAULT ((size_t)1 << 20)
#define CLI_MAX_BODY_LIMIT ((size_t)1 << 30)
int cli_max_body(const char *command, const char *option, size_t *max);

/* A trace line or an events-file line may be longer than the data it carries by this
   much (its "at", "source", "type", "id", "time", an answer's comment...): the limit
   on event data applies to the data, as for `trigger` and webhooks, and a line is read
   up to --max-body plus this. */
#define CLI_LINE_ENVELOPE ((size_t)64 << 10)

/* How cli_read_bounded ended. */
typedef enum CliReadEnd {
    CLI_READ_WHOLE,         /* all of it was read */
    CLI_READ_OVER,          /* there is more than max */
    CLI_READ_FAILED,        /* the read failed (errno says why) */
    CLI_READ_NO_MEMORY
} CliReadEnd;

/* Reads all of `in` into a malloc'd, NUL-terminated buffer, but never more than `max`
   bytes; NULL when *end is not CLI_READ_WHOLE. Says nothing: the caller names what it
   read. */
char *cli_read_bounded(FILE *in, size_t max, size_t *len, CliReadEnd *end);

/* Reads one line of `in` (its newline dropped) into `line`, keeping at most `max`
   bytes of it: *over is set when the line was longer (the rest is read and dropped).
   Returns false at the end of the input. Out of memory leaves `line` failed
   (strbuf_failed), which the caller must look at before it reads the line. */
bool cli_read_line(FILE *in, size_t max, StrBuf *line, bool *over);
/* Line `number` (from 1) of a file as cli_read_line read it, without the UTF-8 byte
   order mark a first line may start with; its length; whether it is blank (spaces,
   tabs, a carriage return). */
const char *cli_line_text(long number, const StrBuf *line);
/* A --db that names no folder (`--db ""`) is a usage error (exit 2), not a store that
   cannot be opened; CLI_OK for NULL (not given). */
int cli_check_db(const char *command, const char *db);
size_t cli_line_len(long number, const StrBuf *line);
bool cli_line_blank(long number, const StrBuf *line);

/* Checks an argument, printing "huddle: --by '' is not a person id: it is empty" (or
   the like) and the command's usage when it is malformed. Each returns CLI_OK or
   CLI_USAGE. cli_check_numbered: `prefix` 't' (a TASK) or 'i' (an INSTANCE). */
int cli_check_person(const char *command, const char *flag, const char *value);
int cli_check_numbered(const char *command, const char *value, char prefix);
/* Whether `status` is an instance's status, one of CLI_INSTANCE_STATUSES (as messages
   name them): `huddle instances --status` and GET /v1/instances?status= refuse others. */
#define CLI_INSTANCE_STATUSES "running, done, failed, cancelled, stalled"
bool cli_instance_status_known(const char *status);

/* Parses the time argument `flag` (--now, --time): CLI_USAGE when it is no RFC 3339
   time or no date (2026-02-30), CLI_REFUSED when it lies outside engine time
   (engine_check_time), each with its sentence printed. `offset` (may be NULL) gets
   the time's own offset in seconds. */
int cli_parse_time(const char *command, const char *flag, const char *text, int64_t *ms,
                   int32_t *offset);
/* Parses the time of a read's filter `flag` (--since, --until): CLI_USAGE, with its
   sentence printed, when it is no RFC 3339 time, no date, or outside the times a store
   holds (no record lies there: a filter mistyped, not a deadline refused). */
int cli_parse_filter_time(const char *command, const char *flag, const char *text, int64_t *ms);

/* Readers of JSON objects from outside (trace lines, event files), each true, or false
   with a sentence in `why`. cli_json_fields: `object` (shown as `name`) is an object
   with no fields but `allowed` (NULL-ended). cli_json_text: its text field `field` in
   *out, NULL when absent or null and not `required` (another type is refused, saying it
   is `what` in quotes). cli_json_time: RFC 3339, a date that exists, within engine time. */
struct json_t;
bool cli_json_fields(const struct json_t *object, const char *name, const char *const *allowed, char *why,
                     size_t why_len);
bool cli_json_text(const struct json_t *object, const char *field, const char *what, bool required,
                   const char **out, char *why, size_t why_len);
bool cli_json_time(const char *field, const char *text, int64_t *ms, int32_t *offset, char *why,
                   size_t why_len);

/* An event as a trace line or an event file gives it: {source, type, id, time, data}
   (time optional, RFC 3339, default `default_time`; data optional, default {}).
   Borrowed from the object; cli_event_clear lets the default data go. */
typedef struct CliEvent {
    const char *source, *type, *id;
    const struct json_t *data;
    int64_t time;
    struct json_t *empty;           /* owned: the default data, when there was none */
} CliEvent;
bool cli_event_read(const struct json_t *event, const char *name, int64_t default_time, CliEvent *ev,
                    char *why, size_t why_len);
void cli_event_clear(CliEvent *ev);
/* Parses a line of a trace (`in_event`: {"at", "event": {..., "data"}}) or of an events
   file ({..., "data"}) with its event's data read apart, as `trigger` reads a body: data
   of more than `max_body` bytes as written, or nesting deeper than VALUE_JSON_MAX_DEPTH,
   sets *refused and says why, and the line comes back with "data": null, so a run can
   refuse that one line and go on. NULL (why says) when the line is no JSON, its data
   included; else a new reference. One door for `run` and `trigger --file`. */
struct json_t *cli_event_line_load(const char *text, size_t len, bool in_event, size_t max_body, bool *refused,
                                   char *why, size_t why_len);

/* ---- trigger --file (cli_trigger_file.c) ---- */

struct Engine;
typedef struct CliTriggerFile {
    const char *path;               /* "-": standard input */
    FILE *in;                       /* owned (unless stdin) */
    size_t batch;                   /* --batch: lines per commit (default 1000) */
    size_t max_body;                /* --max-body: the most bytes an event's data may have */
    bool json;
} CliTriggerFile;
/* Checks --batch and --max-body and opens the file (CLI_USAGE, or CLI_REFUSED when it
   cannot be opened, each said); cli_trigger_file_close closes it. */
int cli_trigger_file_open(const char *command, const char *path, const char *batch,
                          const char *max_body, CliTriggerFile *options);
void cli_trigger_file_close(CliTriggerFile *options);
/* Feeds the file's events through group commit at engine time `now`, reporting each
   refused line and a summary: CLI_OK (every line accepted or a duplicate), CLI_REFUSED
   (some lines refused, the others committed) or CLI_SYSTEM (the store failed: the
   batches committed before it stay, and the message says where to resume). */
int cli_trigger_file_run(struct Engine *engine, const CliTriggerFile *options, int64_t now);

/* ---- the outbox (issue 13) ---- */

/* The outbox (cli_outbox.c): huddle outbox [--pending|--failed], outbox retry KEY. */
int cli_outbox(int argc, char **argv);
/* A write's engine time (cli_store.c): *now_ms (--now, NULL: none; its offset for the
   message) when it is not earlier than the store's engine time (else CLI_REFUSED, said
   on stderr), or the wall clock, held at the store's time when it stepped back. */
int cli_engine_now(struct Engine *engine, const int64_t *now_ms, int32_t now_offset, int64_t *now);
/* Fires the timers due by `now` when there are any, and touches nothing (not even the
   store's clock) when there are none: for a refused input, which changes nothing of its
   own while the time it came at has come for the timers. An engine code. */
int cli_fire_due_only(struct Engine *engine, int64_t now, char *why, size_t why_len);
/* What a write shows of the instances its committed `records` name (cli_store.c):
   cli_touched gives where each stands now, [{"id", "status", "state", "outcome",
   "task"}] in id order, for --json's "instances" (the caller owns it; NULL with why[]
   when the store cannot be read); cli_print_touched says the same a line each
   ("  i1: now asks t2 (in confirm)", "  i1: done: refunded", "  i1: stalled: REASON",
   the reason from the `stalled` record among `records`). */
struct json_t *cli_touched(struct Engine *engine, const struct json_t *records, char *why, size_t why_len);
void cli_print_touched(const struct json_t *touched, const struct json_t *records);
struct Directory;
/* Warns (stderr, the deploy goes on) of people the connectors cannot reach: a `notify`
   operation no http connector has, or people told by e-mail without an smtp connector
   (cli_connectors.c). Nothing without connectors or a directory. */
void cli_connectors_warn_directory(const CliConnectors *connectors, const struct Directory *dir);

#endif
