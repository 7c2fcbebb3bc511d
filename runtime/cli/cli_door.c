/*
 * cli_door.c - what the command line checks of everything that comes in from outside,
 * and how it shows text from outside (RUNTIME.md, "Limits and damage"; see cli.h):
 * bounded reads of event data and trace lines, strict arguments (person ids, task and
 * instance ids, times), and control characters made visible in human output.
 *
 * A malformed argument is a usage error (exit 2) naming the argument; a well-formed one
 * the store refuses is exit 1 (the engine says why).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "engine.h"
#include "text.h"
#include "value_json.h"

const char *cli_clean(const char *text)
{
    static StrBuf slots[CLI_CLEAN_SLOTS];
    static unsigned next;
    StrBuf *slot = &slots[next++ % CLI_CLEAN_SLOTS];
    slot->len = 0;
    if (slot->data)
        slot->data[0] = '\0';
    if (text)
        text_escape_controls(text, strlen(text), slot);
    return strbuf_text(slot);
}

void cli_print_lines(FILE *out, const char *text)
{
    StrBuf line = STRBUF_INIT;
    for (const char *at = text; at && *at;) {
        size_t len = strcspn(at, "\n");
        line.len = 0;
        text_escape_controls(at, len, &line);
        fprintf(out, "%s\n", strbuf_text(&line));
        at += len + (at[len] == '\n');
    }
    strbuf_free(&line);
}

int cli_max_body(const char *command, const char *option, size_t *max)
{
    const char *from_env = getenv("HUDDLE_MAX_BODY");
    const char *text = option ? option : from_env;
    int64_t bytes;
    *max = CLI_MAX_BODY_DEFAULT;
    if (!text)
        return CLI_OK;
    if (!text_parse_count(text, 1, (int64_t)CLI_MAX_BODY_LIMIT, &bytes))
        return cli_usage_error(command, "%s '%s' is not a whole number of bytes from 1 to %zu",
                               option ? "--max-body" : "HUDDLE_MAX_BODY", cli_clean(text), CLI_MAX_BODY_LIMIT);
    *max = (size_t)bytes;
    return CLI_OK;
}

char *cli_read_bounded(FILE *in, size_t max, size_t *len, CliReadEnd *end)
{
    size_t cap = 4096, used = 0;
    char *data = malloc(cap);
    bool over = false;
    while (data) {
        if (used == cap - 1) {
            char *bigger = cap - 1 > max ? NULL : realloc(data, cap * 2);
            if (!bigger)
                break;
            data = bigger;
            cap *= 2;
        }
        size_t want = cap - 1 - used, got = fread(data + used, 1, want, in);
        used += got;
        if (used > max) {
            over = true;
            break;
        }
        if (got < want)
            break;
    }
    *end = over ? CLI_READ_OVER : !data || used == cap - 1 ? CLI_READ_NO_MEMORY
         : ferror(in) ? CLI_READ_FAILED : CLI_READ_WHOLE;
    if (*end != CLI_READ_WHOLE) {
        int read_errno = errno;
        free(data);
        errno = read_errno;   /* the caller says why the read failed */
        return NULL;
    }
    data[used] = '\0';
    *len = used;
    return data;
}

bool cli_read_line(FILE *in, size_t max, StrBuf *line, bool *over)
{
    line->len = 0;
    if (line->data)
        line->data[0] = '\0';
    *over = false;
    flockfile(in);   /* one lock a line, not one a byte (getc) */
    int c = getc_unlocked(in);
    for (; c != EOF && c != '\n'; c = getc_unlocked(in)) {
        if (line->len < max)
            strbuf_putc(line, (char)c);
        else
            *over = true;
    }
    bool read = c != EOF || line->len > 0 || *over;
    funlockfile(in);
    return read;
}

const char *cli_line_text(long number, const StrBuf *line)
{
    return strbuf_text(line) + (number == 1 ? text_bom_length(strbuf_text(line), line->len) : 0);
}

size_t cli_line_len(long number, const StrBuf *line)
{
    return line->len - (size_t)(cli_line_text(number, line) - strbuf_text(line));
}

bool cli_line_blank(long number, const StrBuf *line)
{
    return strspn(cli_line_text(number, line), " \t\r") == cli_line_len(number, line);
}

int cli_check_db(const char *command, const char *db)
{
    if (db && !*db)
        return cli_usage_error(command, "--db needs a folder: it is empty (leave it out for $HUDDLE_DB, "
                               "else ./huddle.db)");
    return CLI_OK;
}

int cli_check_person(const char *command, const char *flag, const char *value)
{
    char buf[96];
    const char *problem = value ? text_id_problem(value, true, buf) : NULL;
    if (problem)
        return cli_usage_error(command, "%s '%s' is not a person id: it %s", flag, cli_clean(value), problem);
    return CLI_OK;
}

bool cli_instance_status_known(const char *status)
{
    static const char *const STATUSES[] = {"running", "done", "failed", "cancelled", "stalled"};
    for (size_t i = 0; i < sizeof STATUSES / sizeof *STATUSES; i++)
        if (!strcmp(status, STATUSES[i]))
            return true;
    return false;
}

int cli_check_numbered(const char *command, const char *value, char prefix)
{
    if (text_numbered_id(value, prefix))
        return CLI_OK;
    return cli_usage_error(command, "%s '%s' is not %s id (%c1, %c2, ...: the letter, then a number without leading zeros)",
                           prefix == 't' ? "TASK" : "INSTANCE", cli_clean(value),
                           prefix == 't' ? "a task" : "an instance", prefix, prefix);
}

int cli_parse_time(const char *command, const char *flag, const char *text, int64_t *ms,
                   int32_t *offset)
{
    char why[256];
    if (!value_time_parse(text, ms, offset, why, sizeof why))
        return cli_usage_error(command, "%s: %s", flag, cli_clean(why));
    char name[320];
    snprintf(name, sizeof name, "%s %s", flag, text);
    if (engine_check_time(name, *ms, why, sizeof why) != ENGINE_OK) {
        fprintf(stderr, "huddle: %s\n", why);
        return CLI_REFUSED;
    }
    return CLI_OK;
}

int cli_parse_filter_time(const char *command, const char *flag, const char *text, int64_t *ms)
{
    char why[256];
    if (!value_time_parse(text, ms, NULL, why, sizeof why))
        return cli_usage_error(command, "%s: %s", flag, cli_clean(why));
    if (engine_check_time(flag, *ms, why, sizeof why) != ENGINE_OK)
        return cli_usage_error(command, "%s %s is outside the times a store holds (from 1970-01-01 to before "
                               "9000-01-01, UTC): no instance or decision lies there; give a time in that range, or leave "
                               "%s out", flag, cli_clean(text), flag);
    return CLI_OK;
}

bool cli_json_fields(const json_t *object, const char *name, const char *const *allowed, char *why,
                     size_t why_len)
{
    if (!json_is_object(object)) {
        snprintf(why, why_len, "\"%s\" is an object", name);
        return false;
    }
    const char *key;
    json_t *value;
    json_object_foreach((json_t *)object, key, value) {
        bool known = false;
        for (size_t i = 0; allowed[i] && !known; i++)
            known = strcmp(key, allowed[i]) == 0;
        if (known)
            continue;
        StrBuf list = STRBUF_INIT;
        for (size_t i = 0; allowed[i]; i++)
            strbuf_printf(&list, "%s%s", i ? ", " : "", allowed[i]);
        snprintf(why, why_len, "\"%s\" has no field \"%.64s\" (its fields: %s)", name, key, strbuf_text(&list));
        strbuf_free(&list);
        return false;
    }
    return true;
}

bool cli_json_text(const json_t *object, const char *field, const char *what, bool required,
                   const char **out, char *why, size_t why_len)
{
    json_t *value = json_object_get(object, field);
    *out = json_string_value(value);
    if (*out || (!required && (!value || json_is_null(value))))
        return true;
    snprintf(why, why_len, value ? "\"%s\" is %s, in quotes" : "\"%s\" is missing: it is %s, in quotes",
             field, what);
    return false;
}

bool cli_json_time(const char *field, const char *text, int64_t *ms, int32_t *offset, char *why,
                   size_t why_len)
{
    char problem[256], name[128];
    if (!value_time_parse(text, ms, offset, problem, sizeof problem)) {
        snprintf(why, why_len, "\"%s\": %s", field, problem);
        return false;
    }
    snprintf(name, sizeof name, "\"%s\" %.40s", field, text);   /* "time" 9999-01-01T00:00:00Z is outside ... */
    return engine_check_time(name, *ms, why, why_len) == ENGINE_OK;
}

bool cli_event_read(const json_t *event, const char *name, int64_t default_time, CliEvent *ev, char *why,
                    size_t why_len)
{
    static const char *const FIELDS[] = {"source", "type", "id", "time", "data", NULL};
    const char *time_text = NULL;
    memset(ev, 0, sizeof *ev);
    ev->time = default_time;
    bool ok = cli_json_fields(event, name, FIELDS, why, why_len) &&
              cli_json_text(event, "source", "a source", true, &ev->source, why, why_len) &&
              cli_json_text(event, "type", "an event type", true, &ev->type, why, why_len) &&
              cli_json_text(event, "id", "an event id", true, &ev->id, why, why_len) &&
              cli_json_text(event, "time", "an RFC 3339 time", false, &time_text, why, why_len) &&
              (!time_text || cli_json_time("time", time_text, &ev->time, NULL, why, why_len));
    if (!ok)
        return false;
    ev->data = json_object_get(event, "data");
    if (!ev->data && !(ev->data = ev->empty = json_object())) {
        snprintf(why, why_len, "out of memory");
        return false;
    }
    return true;
}

void cli_event_clear(CliEvent *ev)
{
    json_decref(ev->empty);
    ev->empty = NULL;
}

/* ---- an event's line: its data measured as `trigger` measures a body ---- */

/* The index of the first byte at or after `i` that is no JSON whitespace. */
static size_t door_skip_space(const char *text, size_t len, size_t i)
{
    while (i < len && memchr(" \t\r\n", text[i], 4))
        i++;
    return i;
}

/* The end of the string, array, object or scalar starting at text[i] (at most len), by
   counting brackets outside strings, never recursing. It reads JSON as far as it is
   JSON; jansson judges the rest. */
static size_t door_skip_value(const char *text, size_t len, size_t i)
{
    size_t depth = 0;
    for (; i < len; i++) {
        char c = text[i];
        if (c == '"') {
            for (i++; i < len && text[i] != '"'; i++)
                i += text[i] == '\\';
            if (depth == 0)
                return i < len ? i + 1 : len;
        } else if (c == '[' || c == '{') {
            depth++;
        } else if (c == ']' || c == '}') {
            if (depth == 0)
                return i;   /* a scalar ended by its container's close */
            if (--depth == 0)
                return i + 1;
        } else if (depth == 0 && (c == ',' || c == ':' || memchr(" \t\r\n", c, 4))) {
            return i;       /* a scalar's end */
        }
    }
    return len;
}

/* Whether the key text[start..end) (a string, its quotes included) is `name`; a key
   with escapes ("d\u0061ta") is decoded first. */
static bool door_key_is(const char *text, size_t start, size_t end, const char *name)
{
    size_t n = strlen(name);
    if (!memchr(text + start, '\\', end - start))
        return end - start == n + 2 && memcmp(text + start + 1, name, n) == 0;
    json_t *key = json_loadb(text + start, end - start, JSON_DECODE_ANY, NULL);
    bool is = json_is_string(key) && strcmp(json_string_value(key), name) == 0;
    json_decref(key);
    return is;
}

/* Finds the value of member `name` of the object starting at text[*at]: true with its
   span in [*at, *end), false when the text is no such object or has no such member. */
static bool door_member(const char *text, size_t len, const char *name, size_t *at, size_t *end)
{
    size_t i = door_skip_space(text, len, *at);
    if (i >= len || text[i] != '{')
        return false;
    for (i = door_skip_space(text, len, i + 1); i < len && text[i] == '"';) {
        size_t key = i, key_end = door_skip_value(text, len, i);
        i = door_skip_space(text, len, key_end);
        if (i >= len || text[i] != ':')
            return false;
        size_t value = door_skip_space(text, len, i + 1);
        if (value >= len)
            return false;
        size_t value_end = door_skip_value(text, len, value);
        if (door_key_is(text, key, key_end, name)) {
            *at = value;
            *end = value_end;
            return true;
        }
        i = door_skip_space(text, len, value_end);
        if (i >= len || text[i] != ',')
            return false;
        i = door_skip_space(text, len, i + 1);
    }
    return false;
}

json_t *cli_event_line_load(const char *text, size_t len, bool in_event, size_t max_body, bool *refused,
                            char *why, size_t why_len)
{
    size_t at = 0, end = 0;
    int wrapper = in_event ? 2 : 1;
    *refused = false;
    bool found = (!in_event || door_member(text, len, "event", &at, &end)) && door_member(text, len, "data", &at, &end);
    if (!found)
        return value_json_load(text, len, JSON_REJECT_DUPLICATES, wrapper, why, why_len);
    StrBuf envelope = STRBUF_INIT;   /* the line with its data read apart: "data": null */
    strbuf_append(&envelope, text, at);
    strbuf_puts(&envelope, "null");
    strbuf_append(&envelope, text + end, len - end);
    json_t *line = strbuf_failed(&envelope) ? NULL
        : value_json_load(strbuf_text(&envelope), envelope.len, JSON_REJECT_DUPLICATES, wrapper, why, why_len);
    strbuf_free(&envelope);
    if (!line)
        return NULL;
    json_t *event = in_event ? json_object_get(line, "event") : line, *data = NULL;
    char problem[256];
    if (end - at > max_body) {
        snprintf(why, why_len, "the event's data is more than %zu bytes, the most an event may have (--max-body BYTES "
                 "or HUDDLE_MAX_BODY sets another limit)", max_body);
        *refused = true;
    } else if (!(data = value_json_load(text + at, end - at, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, 0, problem,
                                        sizeof problem))) {
        snprintf(why, why_len, "the event's data is not JSON: %s", problem);
        *refused = strncmp(problem, VALUE_JSON_TOO_DEEP, strlen(VALUE_JSON_TOO_DEEP)) == 0;
        if (!*refused) {   /* no JSON there: the line cannot be read */
            json_decref(line);
            return NULL;
        }
    }
    if (data)
        json_object_set_new(event, "data", data);
    return line;
}
