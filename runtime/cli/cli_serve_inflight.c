/*
 * cli_serve_inflight.c - serve's inputs in flight, and the poison inputs they reveal
 * (docs/operations.md, "Inputs in flight and poison inputs").
 *
 * Before a round's events, answers and acks go into their group commit, they are written
 * to DIR/inputs.inflight, one JSON line each with how many times it has been tried; once
 * the commit is over (applied or refused, every input has its reply) the file is emptied.
 * The round's inputs are applied as they arrive (engine_stream_add), so each batch of
 * them taken from the queue is appended to the file before it is applied.
 * The write is not synced: it must survive the process dying inside a step (a crash, a
 * kill -9), which the page cache does, not the machine losing power, when no reply was
 * sent and nothing is lost. The lines end at the first NUL byte (or the file's end): each
 * write puts one after its lines, and emptying the file is a NUL written at its start,
 * so a round costs one pwrite per batch taken and one more, and the file is never
 * truncated (an ftruncate frees blocks and changes the inode: dearer than a write). What
 * lies past the NUL is an earlier round's and is never read.
 *
 * When serve starts and the file is not empty, the last run died with those inputs in a
 * step. None was acknowledged, so the senders will send them again; serve applies each
 * one alone first (counting the attempt in the file before it does), so an input that
 * kills the process is found alone and the others go through. An input tried
 * SERVE_POISON_ATTEMPTS times is set aside unapplied (engine_poison_input): its
 * instance stalls with "poison input", and serve goes on instead of dying forever.
 */
#include "cli_serve.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "audit.h"
#include "cli.h"
#include "engine.h"

#define INFLIGHT_FILE "inputs.inflight"

static const char *const KINDS[] = {[ENGINE_INPUT_EVENT] = "event", [ENGINE_INPUT_ANSWER] = "answer",
                                    [ENGINE_INPUT_ACK] = "ack"};

int serve_inflight_open(Serve *serve, const char *db)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", db, INFLIGHT_FILE);
    serve->inflight_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (serve->inflight_fd < 0) {
        fprintf(stderr, "huddle: serve: cannot open %s: %s%s\n", path, strerror(errno), SERVE_FILE_ADVICE);
        return CLI_SYSTEM;
    }
    return CLI_OK;
}

void serve_inflight_close(Serve *serve)
{
    if (serve->inflight_fd >= 0)
        close(serve->inflight_fd);
    serve->inflight_fd = -1;
    strbuf_free(&serve->inflight_text);
}

/* Appends `name` and then `n` in decimal (no printf: a line per input). */
static void inflight_number(StrBuf *out, const char *name, long long n)
{
    strbuf_puts(out, name);
    serve_put_decimal(out, n);
}

/* Appends `,"name":` and `text` as a JSON string (NULL: null). */
static void inflight_string(StrBuf *out, const char *name, const char *text)
{
    strbuf_puts(out, ",\"");
    strbuf_puts(out, name);
    strbuf_puts(out, "\":");
    if (text)
        audit_canon_string(text, strlen(text), out);
    else
        strbuf_puts(out, "null");
}

char *serve_inflight_data(const json_t *data)
{
    return data ? json_dumps(data, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
}

/* One input as a line of the file (its JSON text and a newline), built as text: the
   event's data alone goes through jansson, at the door when `data_text` is given. */
static void inflight_line(StrBuf *out, const EngineInput *in, const char *data_text, unsigned attempts)
{
    inflight_number(out, "{\"attempts\":", attempts);
    strbuf_puts(out, ",\"kind\":\"");
    strbuf_puts(out, KINDS[in->kind]);
    strbuf_putc(out, '"');
    if (in->kind == ENGINE_INPUT_EVENT) {
        inflight_string(out, "source", in->source);
        inflight_string(out, "type", in->type);
        inflight_string(out, "id", in->id);
        char *made = data_text ? NULL : serve_inflight_data(in->data);
        strbuf_puts(out, ",\"data\":");
        strbuf_puts(out, data_text ? data_text : made ? made : "null");
        inflight_number(out, ",\"time\":", (long long)in->event_time);
        free(made);
    } else {
        inflight_string(out, "task", in->task);
        inflight_string(out, "by", in->by);
        inflight_string(out, "choice", in->choice);
        inflight_string(out, "comment", in->comment);
        inflight_string(out, "token", in->token);
    }
    strbuf_puts(out, "}\n");
}

/* Writes `text` at `at`, and the NUL that ends the lines after it. */
static void inflight_put_at(Serve *serve, StrBuf *text, size_t at)
{
    strbuf_putc(text, '\0');
    bool ok = !strbuf_failed(text) && serve->inflight_fd >= 0 &&
              pwrite(serve->inflight_fd, text->data, text->len, (off_t)at) == (ssize_t)text->len;
    if (ok)
        text->len--;   /* the next batch's lines go where the NUL is */
    serve->inflight_len = ok ? at + text->len : serve->inflight_len;
    if (!ok)
        serve_log("error", "inputs_inflight", json_pack("{s:s}", "why", "cannot write inputs.inflight: a crash in "
                                                                         "this round would not be counted"));
}

/* Replaces the file's lines with `text`. */
static void inflight_put(Serve *serve, StrBuf *text)
{
    inflight_put_at(serve, text, 0);
}

void serve_inflight_write(Serve *serve, const EngineInput *inputs, char *const *data_texts, size_t count)
{
    StrBuf *text = &serve->inflight_text;   /* kept: its room is there for the next round */
    text->len = 0;
    for (size_t i = 0; i < count; i++)
        inflight_line(text, &inputs[i], data_texts ? data_texts[i] : NULL, 1);
    inflight_put_at(serve, text, serve->inflight_len);
    if (strbuf_failed(text))
        strbuf_free(text);
}

void serve_inflight_clear(Serve *serve)
{
    serve->inflight_len = 0;
    if (serve->inflight_fd >= 0 && pwrite(serve->inflight_fd, "", 1, 0) != 1)
        serve_log("error", "inputs_inflight", json_pack("{s:s}", "why", strerror(errno)));
}

/* ---- after a crash ---- */

/* The input a line holds, its strings borrowed from the line; false: not an input. */
static bool inflight_input(const json_t *line, EngineInput *in)
{
    memset(in, 0, sizeof *in);
    const char *kind = json_string_value(json_object_get(line, "kind"));
    const char *field[] = {"source", "type", "id", "task", "by", "choice", "comment", "token"};
    const char **slot[] = {&in->source, &in->type, &in->id, &in->task, &in->by, &in->choice, &in->comment, &in->token};
    for (size_t i = 0; i < sizeof field / sizeof *field; i++)
        *slot[i] = json_string_value(json_object_get(line, field[i]));
    in->data = json_object_get(line, "data");
    in->event_time = json_integer_value(json_object_get(line, "time"));
    if (kind && !strcmp(kind, "event") && in->source && in->type && in->id && in->data)
        in->kind = ENGINE_INPUT_EVENT;
    else if (kind && (!strcmp(kind, "answer") || !strcmp(kind, "ack")) && in->task && in->by)
        in->kind = !strcmp(kind, "ack") ? ENGINE_INPUT_ACK : ENGINE_INPUT_ANSWER;
    else
        return false;
    return in->kind != ENGINE_INPUT_ANSWER || in->choice;
}

/* The file's lines that hold inputs, in order (NULL: none, or it cannot be read). */
static json_t *inflight_read(Serve *serve)
{
    FILE *f = serve->inflight_fd >= 0 ? fdopen(dup(serve->inflight_fd), "r") : NULL;
    if (!f)
        return NULL;
    json_t *lines = json_array();
    char *text = NULL;
    size_t cap = 0;
    ssize_t got;
    bool ended = false;
    while (lines && !ended && (got = getline(&text, &cap, f)) > 0) {
        ended = memchr(text, '\0', (size_t)got) != NULL;   /* the lines end there */
        json_t *line = json_loads(text, 0, NULL);
        EngineInput in;
        if (line && inflight_input(line, &in))
            json_array_append(lines, line);
        else if (strspn(text, " \t\r\n") != strlen(text))
            serve_log("warning", "input_unreadable", json_pack("{s:s}", "why", "a line of inputs.inflight is not an "
                                                                            "input (cut by a crash?): skipped"));
        json_decref(line);
    }
    free(text);
    fclose(f);
    if (lines && json_array_size(lines) == 0) {
        json_decref(lines);
        lines = NULL;
    }
    return lines;
}

/* The log line's fields that say which input it was. */
static json_t *inflight_which(const EngineInput *in, unsigned attempts)
{
    return in->kind == ENGINE_INPUT_EVENT
        ? json_pack("{s:s, s:s, s:s, s:I}", "kind", "event", "source", in->source, "id", in->id, "attempts",
                    (json_int_t)attempts)
        : json_pack("{s:s, s:s, s:s, s:I}", "kind", KINDS[in->kind], "task", in->task, "by", in->by, "attempts",
                    (json_int_t)attempts);
}

/* Line i of `lines` (lines i.. still to do): set aside, or applied alone. */
static void inflight_recover_one(Serve *serve, json_t *lines, size_t i, int64_t now)
{
    json_t *line = json_array_get(lines, i);
    EngineInput in;
    inflight_input(line, &in);
    json_int_t tried = json_integer_value(json_object_get(line, "attempts"));
    unsigned attempts = tried < 1 ? 1 : tried > 1000 ? 1000 : (unsigned)tried;
    char why[512] = "";
    if (attempts >= SERVE_POISON_ATTEMPTS) {
        int rc = engine_poison_input(serve->engine, &in, attempts, now, why, sizeof why);
        atomic_fetch_add(&serve->metrics.inputs_poisoned, rc == ENGINE_OK);
        json_t *fields = inflight_which(&in, attempts);
        json_object_set_new(fields, "result", json_string(rc == ENGINE_OK ? "set aside" : why));
        serve_log("error", "poison_input", fields);
        return;
    }
    json_object_set_new(line, "attempts", json_integer((json_int_t)attempts + 1));
    StrBuf rest = STRBUF_INIT;   /* lines i.. as they were read, this one counted once more */
    for (size_t k = i; k < json_array_size(lines); k++) {
        char *one = json_dumps(json_array_get(lines, k), JSON_COMPACT);
        if (one)
            strbuf_puts(&rest, one);
        strbuf_putc(&rest, '\n');
        free(one);
    }
    inflight_put(serve, &rest);   /* counted before it is tried: a crash now is remembered */
    strbuf_free(&rest);
    int rc = engine_apply_batch(serve->engine, &in, 1, now);
    atomic_fetch_add(&serve->metrics.inputs_recovered, 1);
    json_t *fields = inflight_which(&in, attempts + 1);
    json_object_set_new(fields, "result", json_string(rc != ENGINE_OK ? "the store failed"
                                                      : in.result == ENGINE_OK ? "applied" : in.why));
    serve_log("warning", "input_recovered", fields);
    json_decref(in.routes);
}

void serve_inflight_recover(Serve *serve, int64_t now)
{
    json_t *lines = inflight_read(serve);
    for (size_t i = 0; i < json_array_size(lines); i++)
        inflight_recover_one(serve, lines, i, now);
    json_decref(lines);
    serve_inflight_clear(serve);
}
