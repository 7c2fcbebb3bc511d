/*
 * cli_serve_log.c - serve's JSON log lines on stderr (docs/operations.md, "Logs"): one
 * per request, one per notable engine event, a few of serve's own. None ever holds a
 * token, a secret or a body.
 *
 * A line is {"at", "level", "event", ...fields}, compact, ASCII only. The lines made
 * for every request and every record (serve_log_line) are built as text, without a
 * jansson object and dump each: the head is printed, and each field is copied when it
 * is plain ASCII (no quote, backslash or control character) and goes through jansson
 * otherwise, so the text is the same as serve_log's for the same fields.
 */
#include "cli_serve.h"

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "strbuf.h"

#define LOG_DUMP_FLAGS (JSON_COMPACT | JSON_ENSURE_ASCII | JSON_REAL_PRECISION(6))
/* Appends a string literal (its length known when compiled). */
#define LOG_PUT_LITERAL(line, literal) strbuf_put((line), (literal), sizeof(literal) - 1)

/* The log: lines go to stderr at once, or, while the engine thread gathers them
   (serve_log_gather), into `log_held` until its next serve_log_flush (after each group
   commit and at each round's end), or sooner past LOG_HELD_MAX bytes. Either way in the
   order they were made. */
#define LOG_HELD_MAX (64 * 1024)
static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;
static StrBuf log_held = STRBUF_INIT;
static bool log_gathering;
static void (*log_wake)(void *);   /* serve_log_on_first_held's (set before other threads start) */
static void *log_wake_context;

/* Writes the held lines (the lock held). A line that cannot be written is dropped: the
   log is not worth stopping serve for. */
static void log_write_held(void)
{
    size_t done = 0;
    while (done < log_held.len) {
        ssize_t n = write(STDERR_FILENO, log_held.data + done, log_held.len - done);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        done += (size_t)n;
    }
    log_held.len = 0;
}

/* Holds or writes one whole line (`line` without its newline). */
static void log_put(const StrBuf *line)
{
    if (strbuf_failed(line))
        return;
    pthread_mutex_lock(&log_lock);
    bool first = log_held.len == 0;
    strbuf_put(&log_held, line->data, line->len);
    strbuf_put(&log_held, "\n", 1);
    if (strbuf_failed(&log_held)) {   /* out of memory: what is held is lost, this line goes alone */
        strbuf_free(&log_held);
        log_held = (StrBuf)STRBUF_INIT;
        fprintf(stderr, "%.*s\n", (int)line->len, line->data);
    } else if (!log_gathering || log_held.len >= LOG_HELD_MAX) {
        log_write_held();
    }
    bool held = first && log_held.len > 0;
    pthread_mutex_unlock(&log_lock);
    if (held && log_wake)
        log_wake(log_wake_context);
}

void serve_log_on_first_held(void (*wake)(void *), void *context)
{
    log_wake = wake;
    log_wake_context = context;
}

/* `{"at":"YYYY-MM-DDTHH:MM:SS.mmmZ"` for now: the date and time to the second are made
   once a second per thread, not for every line. */
static void log_at(StrBuf *line)
{
    static _Thread_local time_t made_for = -1;
    static _Thread_local char second[32];
    static _Thread_local size_t second_len;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    if (ts.tv_sec != made_for) {
        struct tm tm;
        gmtime_r(&ts.tv_sec, &tm);
        int n = snprintf(second, sizeof second, "%04d-%02d-%02dT%02d:%02d:%02d", tm.tm_year + 1900, tm.tm_mon + 1,
                         tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
        second_len = n > 0 && (size_t)n < sizeof second ? (size_t)n : strlen(second);
        made_for = ts.tv_sec;
    }
    unsigned ms = (unsigned)(ts.tv_nsec / 1000000);
    char fraction[6] = {'.', (char)('0' + ms / 100), (char)('0' + ms / 10 % 10), (char)('0' + ms % 10), 'Z', '"'};
    LOG_PUT_LITERAL(line, "{\"at\":\"");
    strbuf_put(line, second, second_len);
    strbuf_put(line, fraction, sizeof fraction);
}

/* Appends `,"name":` (a name of serve's own: plain ASCII). */
static void log_name(StrBuf *line, const char *name)
{
    LOG_PUT_LITERAL(line, ",\"");
    strbuf_put(line, name, strlen(name));
    LOG_PUT_LITERAL(line, "\":");
}

/* Appends `,"name":"text"` for text of serve's own (plain ASCII). */
static void log_plain(StrBuf *line, const char *name, const char *text, size_t len)
{
    log_name(line, name);
    LOG_PUT_LITERAL(line, "\"");
    strbuf_put(line, text, len);
    LOG_PUT_LITERAL(line, "\"");
}

void serve_log_begin(StrBuf *line, const char *level, const char *event)
{
    log_at(line);
    log_plain(line, "level", level, strlen(level));
    log_plain(line, "event", event, strlen(event));
}

/* Appends `,"name":` and `value` as jansson writes it (NULL: null). */
static void log_put_json(StrBuf *line, const char *name, const json_t *value)
{
    char *text = value ? json_dumps(value, LOG_DUMP_FLAGS | JSON_ENCODE_ANY) : NULL;
    log_name(line, name);
    strbuf_puts(line, text ? text : "null");
    free(text);
}

void serve_log_text(StrBuf *line, const char *name, const char *text, size_t len)
{
    if (!text) {
        log_put_json(line, name, NULL);
    } else if (serve_json_plain(text, len)) {
        log_plain(line, name, text, len);
    } else {
        json_t *string = json_stringn(text, len);   /* NULL when not UTF-8: null */
        log_put_json(line, name, string);
        json_decref(string);
    }
}

void serve_log_string(StrBuf *line, const char *name, const char *value)
{
    serve_log_text(line, name, value, value ? strlen(value) : 0);
}

void serve_log_json(StrBuf *line, const char *name, const json_t *value)
{
    if (json_is_string(value) && strlen(json_string_value(value)) == json_string_length(value))
        serve_log_string(line, name, json_string_value(value));
    else
        log_put_json(line, name, value);
}

void serve_put_decimal(StrBuf *out, long long n)
{
    char digits[24], *p = digits + sizeof digits;
    unsigned long long magnitude = n < 0 ? 0ULL - (unsigned long long)n : (unsigned long long)n;
    do
        *--p = (char)('0' + magnitude % 10);
    while ((magnitude /= 10) > 0);
    if (n < 0)
        *--p = '-';
    strbuf_put(out, p, (size_t)(digits + sizeof digits - p));
}

void serve_log_integer(StrBuf *line, const char *name, long long value)
{
    log_name(line, name);
    serve_put_decimal(line, value);
}

/* A real as jansson writes it with JSON_REAL_PRECISION(6): %.6g, with ".0" when it would
   read as an integer, and the exponent without '+' or leading zeros. */
void serve_log_real(StrBuf *line, const char *name, double value)
{
    if (!isfinite(value)) {
        log_put_json(line, name, NULL);
        return;
    }
    char text[40];
    int n = snprintf(text, sizeof text - 2, "%.6g", value);
    if (!strchr(text, '.') && !strchr(text, 'e'))
        memcpy(text + n, ".0", 3);
    char *exponent = strchr(text, 'e');
    if (exponent) {
        char *start = exponent + 1, *end = start + 1;
        if (*start == '-')
            start++;
        while (*end == '0')
            end++;
        memmove(start, end, strlen(end) + 1);
    }
    log_name(line, name);
    strbuf_puts(line, text);
}

/* Each thread's own line, kept between its lines (see serve_log_own); freed when the
   thread ends. */
static pthread_key_t log_own_key;
static pthread_once_t log_own_once = PTHREAD_ONCE_INIT;

static void log_own_free(void *own)
{
    strbuf_free(own);
    free(own);
}

static void log_own_make_key(void)
{
    if (pthread_key_create(&log_own_key, log_own_free) != 0)
        log_own_key = (pthread_key_t)-1;
}

StrBuf *serve_log_own(void)
{
    pthread_once(&log_own_once, log_own_make_key);
    if (log_own_key == (pthread_key_t)-1)
        return NULL;
    StrBuf *own = pthread_getspecific(log_own_key);
    if (!own && (own = calloc(1, sizeof *own)) && pthread_setspecific(log_own_key, own) != 0) {
        free(own);
        own = NULL;
    }
    return own;
}

/* `micros` / 1000 as serve_log_real writes it: for 0 <= micros < 1,000,000 the
   quotient has at most six significant digits, so %.6g writes it exactly, as
   digits, a point and the fraction without its trailing zeros (".0" when it has none);
   anything else goes through serve_log_real. */
void serve_log_millis(StrBuf *line, const char *name, int64_t micros)
{
    if (micros < 0 || micros >= 1000000) {
        serve_log_real(line, name, (double)micros / 1000.0);
        return;
    }
    char text[16], *p = text + sizeof text;
    unsigned whole = (unsigned)(micros / 1000), fraction = (unsigned)(micros % 1000);
    int digits = 3;
    for (; digits > 1 && fraction % 10 == 0; digits--)
        fraction /= 10;
    for (int i = 0; i < digits; i++, fraction /= 10)
        *--p = (char)('0' + fraction % 10);
    *--p = '.';
    do
        *--p = (char)('0' + whole % 10);
    while ((whole /= 10) > 0);
    log_name(line, name);
    strbuf_put(line, p, (size_t)(text + sizeof text - p));
}

void serve_log_end(StrBuf *line)
{
    LOG_PUT_LITERAL(line, "}");
    log_put(line);
    pthread_once(&log_own_once, log_own_make_key);
    bool own = log_own_key != (pthread_key_t)-1 && line == pthread_getspecific(log_own_key);
    if (own && !strbuf_failed(line)) {   /* kept for the thread's next line */
        line->len = 0;
        line->data[0] = '\0';
    } else {
        strbuf_free(line);
    }
}

void serve_log(const char *level, const char *event, json_t *fields)
{
    StrBuf line = STRBUF_INIT;
    serve_log_begin(&line, level, event);
    char *text = fields ? json_dumps(fields, LOG_DUMP_FLAGS) : NULL;
    json_decref(fields);
    size_t len = text ? strlen(text) : 0;
    if (len > 2) {   /* "{...}": its members after the head */
        strbuf_putc(&line, ',');
        strbuf_put(&line, text + 1, len - 2);
    }
    free(text);
    serve_log_end(&line);
}

void serve_log_gather(bool on)
{
    pthread_mutex_lock(&log_lock);
    log_gathering = on;
    if (!on) {
        log_write_held();
        strbuf_free(&log_held);
        log_held = (StrBuf)STRBUF_INIT;
    }
    pthread_mutex_unlock(&log_lock);
}

void serve_log_flush(void)
{
    pthread_mutex_lock(&log_lock);
    log_write_held();
    pthread_mutex_unlock(&log_lock);
}

bool serve_log_held(void)
{
    pthread_mutex_lock(&log_lock);
    bool held = log_held.len > 0;
    pthread_mutex_unlock(&log_lock);
    return held;
}
