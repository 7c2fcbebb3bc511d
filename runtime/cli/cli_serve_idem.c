/*
 * cli_serve_idem.c - the memory of Idempotency-Key (RUNTIME.md "HTTP"): the first reply
 * to a key is given again to a repeat for 24 hours, across restarts.
 *
 * In memory, a hash table (SERVE_IDEM_MAX keys, the oldest dropped first); keys are
 * Idempotency-Key plus the token's name, the route and its {id} or {connector}, so two clients
 * never share one and one key on two tasks is two requests. Each key keeps the SHA-256 of
 * its first request's body: a repeat is the same request only with the same body, byte
 * for byte; another body under the key is refused (422 idempotency_key_reused), never
 * answered with the first reply as if it had been applied.
 * On disk, DIR/idempotency.jsonl: each kept reply appended as one line {"key", "at"
 * (wall clock, ms), "status", "body", "sha256"}, written but not synced (a line without
 * "sha256", written before bodies were hashed, replays to any body as it did then; a reply lost to a power
 * cut is answered as the input now stands: an event's repeat is a duplicate by its id,
 * an answer's is refused as answered already). serve_idem_new reads it back, drops what
 * is older than 24 hours, and writes it again compacted (through a new file renamed over
 * the old, so a crash leaves one or the other); so does keeping a reply once the file
 * has twice as many lines as the memory may hold.
 */
#include "cli_serve.h"
#include "program_hash.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define IDEM_FILE "idempotency.jsonl"
#define IDEM_SLOTS 65536

typedef struct IdemEntry {
    char *key;
    char sha256[PROGRAM_HASH_HEX];  /* the first request's body's; "": not known (a line
                                       written before bodies were hashed) */
    int status;                     /* 0: the first request is under way */
    char *body;
    size_t len;
    int64_t at_ms;                  /* wall clock */
    struct IdemEntry *next, *older, *newer;
} IdemEntry;

struct ServeIdem {
    pthread_mutex_t lock;
    IdemEntry *slots[IDEM_SLOTS];
    IdemEntry *oldest, *newest;
    size_t count;
    char *path;                     /* NULL: memory only */
    int fd;                         /* the file, appended to; -1: none */
    size_t lines;                   /* lines in the file */
};

static int64_t idem_wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static unsigned idem_hash(const char *key)
{
    unsigned h = 2166136261u;
    for (const unsigned char *p = (const unsigned char *)key; *p; p++)
        h = (h ^ *p) * 16777619u;
    return h & (IDEM_SLOTS - 1);
}

static void idem_unlink(ServeIdem *idem, IdemEntry *e)
{
    IdemEntry **p = &idem->slots[idem_hash(e->key)];
    while (*p != e)
        p = &(*p)->next;
    *p = e->next;
    if (e->older)
        e->older->newer = e->newer;
    else
        idem->oldest = e->newer;
    if (e->newer)
        e->newer->older = e->older;
    else
        idem->newest = e->older;
    idem->count--;
    free(e->key);
    free(e->body);
    free(e);
}

static IdemEntry *idem_find(ServeIdem *idem, const char *key)
{
    int64_t now = idem_wall_ms();
    while (idem->oldest && (now - idem->oldest->at_ms > SERVE_IDEM_MS || idem->count > SERVE_IDEM_MAX))
        idem_unlink(idem, idem->oldest);
    for (IdemEntry *e = idem->slots[idem_hash(key)]; e; e = e->next)
        if (!strcmp(e->key, key))
            return e;
    return NULL;
}

/* A new entry for `key` (pending: status 0) of a request whose body has the hex SHA-256
   `sha256` ("" or NULL: not known), the newest; NULL: out of memory. */
static IdemEntry *idem_add(ServeIdem *idem, const char *key, const char *sha256, int64_t at_ms)
{
    IdemEntry *e = calloc(1, sizeof *e);
    if (e && !(e->key = strdup(key))) {
        free(e);
        e = NULL;
    }
    if (!e)
        return NULL;
    unsigned h = idem_hash(key);
    e->next = idem->slots[h];
    idem->slots[h] = e;
    e->at_ms = at_ms;
    snprintf(e->sha256, sizeof e->sha256, "%s", sha256 && strlen(sha256) == PROGRAM_HASH_HEX - 1 ? sha256 : "");
    e->older = idem->newest;
    if (idem->newest)
        idem->newest->newer = e;
    else
        idem->oldest = e;
    idem->newest = e;
    idem->count++;
    return e;
}

static bool idem_set_reply(IdemEntry *e, int status, const char *body, size_t len)
{
    if (!(e->body = malloc(len + 1)))
        return false;
    memcpy(e->body, body, len);
    e->body[len] = '\0';
    e->len = len;
    e->status = status;
    return true;
}

/* ---- the file ---- */

/* One kept reply as a line, newline included (malloc'd; NULL: out of memory). */
static char *idem_line(const IdemEntry *e)
{
    json_t *line = json_pack("{s:s, s:I, s:i, s:s%}", "key", e->key, "at", (json_int_t)e->at_ms, "status", e->status,
                             "body", e->body, e->len);
    if (line && e->sha256[0])
        json_object_set_new(line, "sha256", json_string(e->sha256));
    char *text = line ? json_dumps(line, JSON_COMPACT) : NULL;
    json_decref(line);
    char *out = NULL;
    if (text && asprintf(&out, "%s\n", text) < 0)
        out = NULL;
    free(text);
    return out;
}

/* Writes every kept reply to a new file and renames it over the old; the fd then
   appends to it. The file is the owner's alone (0600), as the store's files are: it
   holds replies (who answered what). A failure keeps the old file (and says so). */
static void idem_compact(ServeIdem *idem)
{
    char tmp[4200];
    snprintf(tmp, sizeof tmp, "%s.new", idem->path);
    unlink(tmp);   /* a crashed compaction's leftover is made anew, with the mode below */
    int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
    if (fd >= 0 && !f)
        close(fd);
    size_t lines = 0;
    bool ok = f != NULL;
    for (IdemEntry *e = idem->oldest; ok && e; e = e->newer) {
        if (!e->status)
            continue;
        char *line = idem_line(e);
        ok = line && fputs(line, f) >= 0;
        free(line);
        lines++;
    }
    ok = f && fclose(f) == 0 && ok && rename(tmp, idem->path) == 0;
    if (!ok) {
        unlink(tmp);
        serve_log("error", "idempotency", json_pack("{s:s, s:s}", "file", idem->path, "why", strerror(errno)));
    }
    if (idem->fd >= 0)
        close(idem->fd);
    idem->fd = open(idem->path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
    idem->lines = ok ? lines : idem->lines;
}

/* Reads the file's replies younger than 24 hours back into memory. */
static void idem_load(ServeIdem *idem)
{
    FILE *f = fopen(idem->path, "r");
    if (!f)
        return;
    int64_t now = idem_wall_ms();
    char *text = NULL;
    size_t cap = 0;
    while (getline(&text, &cap, f) > 0) {
        json_t *line = json_loads(text, 0, NULL);
        const char *key = json_string_value(json_object_get(line, "key"));
        const char *body = json_string_value(json_object_get(line, "body"));
        json_int_t at = json_integer_value(json_object_get(line, "at"));
        json_int_t status = json_integer_value(json_object_get(line, "status"));
        const char *sha256 = json_string_value(json_object_get(line, "sha256"));   /* absent before 2026-12 */
        if (key && body && status >= 100 && status < 600 && now - at <= SERVE_IDEM_MS && !idem_find(idem, key)) {
            IdemEntry *e = idem_add(idem, key, sha256, at);
            if (e && !idem_set_reply(e, (int)status, body, json_string_length(json_object_get(line, "body"))))
                idem_unlink(idem, e);
        }
        json_decref(line);
    }
    free(text);
    fclose(f);
}

/* ---- the API ---- */

ServeIdem *serve_idem_new(const char *db)
{
    ServeIdem *idem = calloc(1, sizeof *idem);
    if (!idem)
        return NULL;
    pthread_mutex_init(&idem->lock, NULL);
    idem->fd = -1;
    if (db && asprintf(&idem->path, "%s/%s", db, IDEM_FILE) < 0)
        idem->path = NULL;
    if (idem->path) {
        idem_load(idem);
        idem_compact(idem);
    }
    return idem;
}

void serve_idem_free(ServeIdem *idem)
{
    if (!idem)
        return;
    while (idem->oldest)
        idem_unlink(idem, idem->oldest);
    if (idem->fd >= 0)
        close(idem->fd);
    free(idem->path);
    pthread_mutex_destroy(&idem->lock);
    free(idem);
}

int serve_idem_begin(Serve *serve, HttpRequest *request, const char *key)
{
    ServeIdem *idem = serve->idem;
    char sha256[PROGRAM_HASH_HEX];
    program_hash((const uint8_t *)(request->body ? request->body : ""), request->body_len, sha256);
    pthread_mutex_lock(&idem->lock);
    IdemEntry *e = idem_find(idem, key);
    if (e && e->status && e->sha256[0] && strcmp(e->sha256, sha256) != 0) {
        pthread_mutex_unlock(&idem->lock);   /* not kept: the key still names its first request */
        serve_refuse(serve, request, 422, "idempotency_key_reused",
                     "this Idempotency-Key was used in the last 24 hours with another body: a repeat must send "
                     "the same body byte for byte to get the first response; send a new request under a new key",
                     "Idempotency-Key", NULL);
        return -1;
    }
    if (e && e->status) {
        char *copy = malloc(e->len + 1);
        int status = e->status;
        size_t len = e->len;
        if (copy)
            memcpy(copy, e->body, len);
        pthread_mutex_unlock(&idem->lock);
        http_reply(request, copy ? status : 500, "application/json", copy ? copy : "{}", copy ? len : 2,
                   "Idempotent-Replay: true");
        free(copy);
        return 1;
    }
    if (e) {
        pthread_mutex_unlock(&idem->lock);
        serve_refuse(serve, request, 409, "in_progress", "a request with this Idempotency-Key is still under way",
                     "Idempotency-Key", NULL);
        return -1;
    }
    idem_add(idem, key, sha256, idem_wall_ms());
    pthread_mutex_unlock(&idem->lock);
    return 0;
}

void serve_idem_keep(ServeIdem *idem, const char *key, int status, const char *body, size_t len)
{
    pthread_mutex_lock(&idem->lock);
    IdemEntry *e = idem_find(idem, key);
    if (e && !e->status) {
        if (status >= 500 || status == 429) {
            idem_unlink(idem, e);   /* overload and failures are not kept: a retry runs anew */
        } else if (idem_set_reply(e, status, body, len) && idem->fd >= 0) {
            char *line = idem_line(e);
            size_t n = line ? strlen(line) : 0;
            if (!line || write(idem->fd, line, n) != (ssize_t)n)
                serve_log("error", "idempotency", json_pack("{s:s}", "why", "a kept reply could not be written"));
            free(line);
            if (++idem->lines > 2 * SERVE_IDEM_MAX)
                idem_compact(idem);
        }
    }
    pthread_mutex_unlock(&idem->lock);
}
