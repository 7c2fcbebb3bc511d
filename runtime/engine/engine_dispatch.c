/*
 * engine_dispatch.c - the outbox's dispatcher (RUNTIME.md, promise 3 and "Connectors"):
 * claims due entries with a lease, delivers them through libcurl (runtime/connectors/
 * http_client.h) and settles each entry with the results of its deliveries.
 *
 * One round (engine_dispatch_round):
 *   1. claim: a read transaction finds the due entries (pending, next try and lease
 *      passed, their connectors kept; a message's for at least one recipient still to
 *      be told: only those are told, the others wait in it untried), then one write
 *      transaction claims them: each
 *      one's attempts + 1 and a lease (its timeout + 30 s), so a crash re-delivers it,
 *      with the same key, once the lease runs out;
 *   2. deliver: each claimed entry becomes its requests (a call, a send, or one per
 *      recipient of a message not yet told), run through the client's multi handle,
 *      for at most max_wait_ms; requests still running carry over to the next round;
 *   3. settle: the entries whose requests are all back are settled together, in one
 *      transaction (each in its own when that one fails): done (a send's or message's
 *      recorded `delivered` on its instance, the entry deleted), tried again later
 *      (backoff), or failed for good (a call's failure resumes the instance; a send's or
 *      message's is recorded `send_failed` and kept as failed for `huddle outbox retry`). A call's reply resumes the instance in the
 *      same step that deletes the entry, and only if the instance still waits at that
 *      suspension, so no reply is applied twice.
 *
 * An entry whose connector cannot be used for want of a secret's environment variable
 * (token_env, username_env, password_env not set: delivery_secrets_wait) is not
 * claimed: no attempt is counted, so its tries are not used up; its error is set once to
 * OUTBOX_WAITING and why (`huddle outbox` shows it), and it is claimed by the first
 * round whose process has the variable (docs/connectors.md, "Secrets").
 *
 * A round is cheap when nothing is due: the earliest next try is kept in memory, and
 * the outbox is scanned again only when it passes, when this engine wrote an entry, or
 * at least every second (other processes write entries too).
 */
#include "engine_dispatch.h"
#include "fault.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Entries claimed at once, in flight at most. */
#define CLAIM_MAX 512
#define CLAIM_REFILL (CLAIM_MAX / 2)   /* claim again once fewer are in flight: claims come in chunks */
/* A lease is the connector's timeout and this much more. */
#define LEASE_EXTRA_MS 30000
/* The outbox is scanned again at least this often. */
#define CHECK_MS 1000          /* how often meta's next_outbox is read for others' writes */
#define RESCAN_MS 60000        /* a full scan at least this often all the same */
/* How long a send or a message is tried (RUNTIME.md: "default cap 24 h"). */
#define SEND_WINDOW_MS (24LL * 3600 * 1000)

typedef struct Claim {
    uint64_t seq;
    json_t *entry;                  /* as claimed, rendered as JSON for the requests; a
                                       message's `to` carries addresses */
    Delivery *deliveries;
    unsigned count, outstanding;
    const Connector *connector;     /* a call's or send's; NULL for a message */
} Claim;

struct Dispatcher {
    ConnClient *client;
    ConnFile *connectors;           /* the kept ones, reloaded when they change */
    ConnFile **retired;             /* earlier ones claims in flight may point into */
    unsigned retired_count;
    Claim **claims;                 /* in flight */
    unsigned claim_count;
    struct ClaimScan *written;      /* claimed in a batch's open transaction, or NULL */
    Claim *settling[CLAIM_MAX];     /* settled in a batch's open transaction */
    unsigned settling_count;
    uint64_t settling_counts[3];    /* delivered, retried, failed before those settles */
    uint64_t delivered, retried, failed;
    uint64_t waiting;               /* entries waiting for a secret's variable at the last
                                       full scan, and the first one's reason */
    char waiting_why[256];
    uint64_t noted;                 /* entries given that reason since engine_dispatch_noted */
    char noted_why[256];
};

static void claims_written_drop(Dispatcher *d);
static void settling_restore(Dispatcher *d);
static int settle_error(Step *s, OutboxEntry *stored, const char *error);

void dispatcher_free(Dispatcher *d)
{
    if (!d)
        return;
    claims_written_drop(d);
    settling_restore(d);
    conn_client_free(d->client);   /* ends the requests in flight */
    for (unsigned i = 0; i < d->claim_count; i++) {
        Claim *c = d->claims[i];
        for (unsigned k = 0; k < c->count; k++)
            delivery_clear(&c->deliveries[k]);
        free(c->deliveries);
        json_decref(c->entry);
        free(c);
    }
    free(d->claims);
    conn_file_free(d->connectors);
    for (unsigned i = 0; i < d->retired_count; i++)
        conn_file_free(d->retired[i]);
    free(d->retired);
    free(d);
}

static Dispatcher *dispatcher_get(Engine *e, char *why, size_t why_len)
{
    if (e->dispatcher)
        return e->dispatcher;
    Dispatcher *d = calloc(1, sizeof *d);
    if (d)
        d->claims = calloc(CLAIM_MAX, sizeof *d->claims);
    if (d && d->claims)
        d->client = conn_client_new(CONN_PER_GROUP_DEFAULT);
    if (!d || !d->client) {
        dispatcher_free(d);
        snprintf(why, why_len, "the outbox's HTTP client (libcurl) could not be set up");
        return NULL;
    }
    e->dispatcher = d;
    return d;
}

/* ---- which connector delivers what ---- */

/* The smtp connector mail goes through: the first in the file. */
static const Connector *mail_connector(const ConnFile *file)
{
    for (unsigned i = 0; file && i < file->count; i++)
        if (file->items[i].kind == CONN_SMTP)
            return &file->items[i];
    return NULL;
}

static int read_counter_work(Step *s, void *context)
{
    return engine_counter(s, "next_outbox", context);
}

/* CLOCK_MONOTONIC in milliseconds. */
static int64_t monotonic_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Whether another process wrote to the outbox since the last scan (meta's next_outbox
   moved: new entries and `huddle outbox retry` raise it). A failed read says yes. */
static bool dispatch_others_wrote(Engine *e, int64_t now, int64_t mono, char *why, size_t why_len)
{
    uint64_t counter;
    e->outbox_checked_ms = now;
    e->outbox_checked_mono = mono;
    return engine_read(e, read_counter_work, &counter, why, why_len) != ENGINE_OK ||
           counter != e->outbox_counter_seen;
}

/* An entry's next try was set to `at`: the dispatcher looks at the outbox again then. */
static void dispatch_note_next_try(Engine *e, int64_t at)
{
    if (at < e->outbox_next_ms)
        e->outbox_next_ms = at;
}

/* ---- 1. claim ---- */

typedef struct Candidate {
    uint64_t seq;
    json_t *entry;                  /* NULL for a note */
    char *waiting;                  /* a note (malloc'd, else NULL): the entry waits for a
                                       secret's variable, and its error is to say so
                                       (claim_note). A pointer, not a buffer: a scan's
                                       candidates stay small enough for malloc's arenas */
} Candidate;

/* Releases `count` candidates' entries and notes, and the array. */
static void candidates_free(Candidate *found, unsigned count)
{
    for (unsigned i = 0; found && i < count; i++) {
        json_decref(found[i].entry);
        free(found[i].waiting);
    }
    free(found);
}

typedef struct ClaimScan {
    Step *step;
    Dispatcher *d;
    int64_t now, next_ms;
    uint64_t from;                  /* the first entry to look at (0: all) */
    uint64_t stopped_at;            /* 0, or the entry the scan stopped at for want of room */
    uint64_t counter;               /* meta's next_outbox as the scan saw it */
    Candidate *found;
    unsigned count, room;
    uint64_t waiting;               /* entries seen waiting for a secret's variable */
    char waiting_why[256];          /* the first one's reason */
    uint64_t noted;                 /* of them, noted by this transaction's run (claim_note) */
    char noted_why[256];            /* the first one's reason */
} ClaimScan;

static bool in_flight(const Dispatcher *d, uint64_t seq)
{
    for (unsigned i = 0; i < d->claim_count; i++)
        if (d->claims[i]->seq == seq)
            return true;
    return false;
}

/* Whether the connector a recipient's channel goes through ("email": a mail connector)
   is kept and can be used now: its secrets' variables are set. When it is kept but one
   is not set, `why` (may be NULL) says which, unless it already holds a sentence. */
static bool channel_ready(const Dispatcher *d, const char *channel, char *why, size_t why_len)
{
    const char *operation;
    const Connector *c = strcmp(channel, "email") == 0 ? mail_connector(d->connectors)
                                                        : conn_channel(d->connectors, channel, &operation);
    char mine[256];
    if (!c || !delivery_secrets_wait(c, mine, sizeof mine))
        return c != NULL;
    if (why && !why[0])
        snprintf(why, why_len, "%s", mine);
    return false;
}

/* A recipient's channel, and their directory entry (*p, or NULL). */
static const char *recipient_channel(const Directory *dir, const char *person, const DirPerson **p)
{
    *p = dir ? dir_person(dir, person) : NULL;
    return *p && (*p)->notify ? (*p)->notify : "email";
}

static bool recipient_pending(const json_t *to)
{
    return strcmp(json_string_value(json_object_get(to, "state")), "pending") == 0;
}

/* Whether some recipient still to be told has a way: their channel's connector is
   kept, with its secrets' variables set. The message is claimed for those; the others
   wait in it, untried, until a connector that reaches them is kept and usable. When
   none has a way and one waits for a variable, `why` (may be NULL; empty first) says so. */
static bool message_has_way(const Dispatcher *d, const Directory *dir, const OutboxEntry *entry, char *why,
                            size_t why_len)
{
    const DirPerson *p;
    for (size_t i = 0; i < entry->to_count; i++)
        if (entry->to[i].state == OUTBOX_PENDING &&
            channel_ready(d, recipient_channel(dir, entry->to[i].person, &p), why, why_len))
            return true;
    return false;
}

/* Whether a claimed message's recipient (its claim copy, addressed) is told in this
   claim: still to be told, and their channel's connector is kept. */
static bool recipient_to_try(const Dispatcher *d, const json_t *to)
{
    const char *channel = json_string_value(json_object_get(to, "channel"));
    return recipient_pending(to) && channel && channel_ready(d, channel, NULL, 0);
}

/* Gives each recipient still to be told "channel", "email" and "name" from the
   directory (in the claim's copy only). */
static void message_address(const Directory *dir, json_t *entry)
{
    size_t i;
    json_t *to;
    json_array_foreach(json_object_get(entry, "to"), i, to) {
        if (!recipient_pending(to))
            continue;
        const DirPerson *p;
        const char *channel = recipient_channel(dir, json_string_value(json_object_get(to, "person")), &p);
        json_object_set_new(to, "channel", json_string(channel));
        if (p && p->email)
            json_object_set_new(to, "email", json_string(p->email));
        if (p && p->name)
            json_object_set_new(to, "name", json_string(p->name));
    }
}

/* A message that waits for a secret's variable is claimable too: the scan reads it, to
   note why it waits. */
bool dispatch_may_claim(Step *s, const OutboxEntry *entry)
{
    const Dispatcher *dp = s->engine->dispatcher;
    if (!dp || !dp->connectors || entry->kind != OUTBOX_MESSAGE)
        return true;
    char why[256] = "";
    return message_has_way(dp, step_directory(s), entry, why, sizeof why) || why[0];
}

/* An entry that waits for a secret's variable (docs/connectors.md, "Secrets"): not
   claimed, so no attempt is counted and a send's or call's tries are not used up; it is
   counted, and noted (its error says why) unless it already is. */
static int scan_waiting(ClaimScan *o, uint64_t seq, const OutboxEntry *entry, const char *why)
{
    if (o->waiting++ == 0)
        snprintf(o->waiting_why, sizeof o->waiting_why, "%s", why);
    size_t prefix = strlen(OUTBOX_WAITING);
    if (entry->error && strncmp(entry->error, OUTBOX_WAITING, prefix) == 0 && strcmp(entry->error + prefix, why) == 0)
        return STORE_OK;   /* noted already */
    char *note = strdup(why);
    if (!note)
        return step_fail(o->step, ENGINE_NO_MEMORY, "out of memory");
    o->found[o->count++] = (Candidate){seq, NULL, note};
    return STORE_OK;
}

static int claim_scan_visit(Step *s, uint64_t seq, OutboxEntry *entry, void *context)
{
    ClaimScan *o = context;
    if (o->count == o->room) {
        o->stopped_at = seq;
        return STORE_STOP;
    }
    int64_t due = entry->next_ms > entry->lease_ms ? entry->next_ms : entry->lease_ms;
    bool message = entry->kind == OUTBOX_MESSAGE;
    const Connector *c = message ? NULL : conn_find(o->d->connectors, entry->connector);
    if (entry->status != OUTBOX_PENDING || (!message && (!c || c->kind == CONN_WEBHOOK)))
        return STORE_OK;   /* failed, or waiting for its connector to be kept */
    if (due > o->now) {
        if (due < o->next_ms)
            o->next_ms = due;
        return STORE_OK;
    }
    if (in_flight(o->d, seq))   /* leased by this engine: rarely due again while in flight */
        return STORE_OK;
    char why[256] = "";
    if (message ? !message_has_way(o->d, step_directory(s), entry, why, sizeof why)
                : delivery_secrets_wait(c, why, sizeof why))
        return why[0] ? scan_waiting(o, seq, entry, why) : STORE_OK;
    json_t *copy = outbox_entry_json(entry);   /* the requests read it */
    if (message && copy)
        message_address(step_directory(s), copy);
    if (!copy)
        return step_fail(s, ENGINE_NO_MEMORY, "out of memory");
    o->found[o->count++] = (Candidate){seq, copy, NULL};
    return STORE_OK;
}

static int claim_scan_work(Step *s, void *context)
{
    ClaimScan *o = context;
    o->step = s;
    o->waiting = 0;   /* a read run again starts again */
    o->waiting_why[0] = '\0';
    int rc = engine_counter(s, "next_outbox", &o->counter);
    return rc == STORE_OK ? outbox_each_from(s, o->from, claim_scan_visit, o) : rc;
}

/* Claims one candidate if it is still due: attempts + 1 and a lease. *claimed is false
   when another process claimed or settled it since the scan, and for a call its
   instance no longer waits for (cancelled, or moved on by retry --goto): that entry is
   deleted unsent, as its reply would be. */
static int claim_one(Step *s, ClaimScan *o, Candidate *c, bool *claimed)
{
    *claimed = false;
    unsigned char key[8];
    store_be64(c->seq, key);
    OutboxEntry stored;
    int rc = outbox_get(s, c->seq, &stored);
    if (rc != STORE_OK)
        return rc == STORE_NOT_FOUND ? STORE_OK : rc;
    bool due = stored.lease_ms <= s->now && stored.next_ms <= s->now && stored.status == OUTBOX_PENDING;
    bool waits = true;
    if (due && stored.kind == OUTBOX_CALL)
        rc = outbox_call_waits(s, &stored, &waits);
    if (rc == STORE_OK && due && !waits)
        rc = store_del(s->txn, TABLE_OUTBOX, store_bytes(key, 8));
    if (rc == STORE_OK && due && waits) {
        const Connector *conn = conn_find(o->d->connectors, stored.connector);
        int64_t timeout = conn && conn->kind == CONN_HTTP ? conn->timeout_ms : 30000;
        stored.attempts++;
        stored.lease_ms = s->now + timeout + LEASE_EXTRA_MS;
        json_object_set_new(c->entry, "attempts", json_integer((json_int_t)stored.attempts));
        rc = outbox_put(s, c->seq, &stored);
        *claimed = rc == STORE_OK;
    }
    outbox_entry_free(&stored);
    return rc;
}

/* Notes why an entry waits, in its error (OUTBOX_WAITING and the sentence), so that
   `huddle outbox` shows it; its attempts, next try and status are not changed. */
static int claim_note(Step *s, ClaimScan *o, const Candidate *c)
{
    OutboxEntry stored;
    int rc = outbox_get(s, c->seq, &stored);
    if (rc != STORE_OK)
        return rc == STORE_NOT_FOUND ? STORE_OK : rc;
    char text[300];
    snprintf(text, sizeof text, "%s%s", OUTBOX_WAITING, c->waiting);
    if (stored.status == OUTBOX_PENDING && stored.lease_ms <= s->now) {
        rc = settle_error(s, &stored, text);
        if (rc == STORE_OK)
            rc = outbox_put(s, c->seq, &stored);
        if (rc == STORE_OK && o->noted++ == 0)
            snprintf(o->noted_why, sizeof o->noted_why, "%s", c->waiting);
    }
    outbox_entry_free(&stored);
    return rc;
}

/* The notes of a committed claim transaction, for engine_dispatch_noted (serve logs
   them once: a run of the transaction that was undone or run again noted nothing). */
static void claim_notes_committed(Dispatcher *d, const ClaimScan *o)
{
    if (o->noted && d->noted == 0)
        snprintf(d->noted_why, sizeof d->noted_why, "%s", o->noted_why);
    d->noted += o->noted;
}

/* Claims the candidates still due, and notes those that wait; the others' entries are
   let go (set to NULL). */
static int claim_work(Step *s, void *context)
{
    ClaimScan *o = context;
    o->noted = 0;   /* a transaction run again notes again: only the committed run counts */
    for (unsigned i = 0; i < o->count; i++) {
        if (o->found[i].waiting) {
            int rc = claim_note(s, o, &o->found[i]);
            if (rc != STORE_OK)
                return rc;
            continue;
        }
        if (!o->found[i].entry)
            continue;   /* let go by an earlier run of this transaction */
        bool claimed;
        int rc = claim_one(s, o, &o->found[i], &claimed);
        if (rc != STORE_OK)
            return rc;
        if (!claimed) {
            json_decref(o->found[i].entry);
            o->found[i].entry = NULL;
        }
    }
    return STORE_OK;
}

/* ---- 2. deliver ---- */

/* Why `arg` is no mail for `send mail.send(...)` into d->error (-1: it fails for good, as
   a bad `to` does), else 0: a map of `to`, `subject` and `text`, the last two text or
   null (empty). Nothing is changed on the way: a value the mail could not carry as
   given is refused, never sent empty or dropped. */
static int mail_send_arg_problem(Delivery *d, const json_t *arg)
{
    if (!json_is_object(arg)) {
        snprintf(d->error, sizeof d->error, "mail.send takes a map {to, subject, text}");
        return -1;
    }
    const char *key;
    const json_t *value;
    json_object_foreach((json_t *)arg, key, value) {
        bool known = !strcmp(key, "to") || !strcmp(key, "subject") || !strcmp(key, "text");
        if (!known) {
            snprintf(d->error, sizeof d->error, "mail.send takes to, subject and text; '%.64s' is not one of them",
                     key);
            return -1;
        }
        if (strcmp(key, "to") != 0 && !json_is_string(value) && !json_is_null(value)) {
            snprintf(d->error, sizeof d->error, "mail.send's %s is %s, not text: write \"{...}\" around it in the "
                     "playbook to send it as text", key, json_is_number(value) ? "a number"
                     : json_is_boolean(value) ? "a boolean" : json_is_array(value) ? "a list" : "a map");
            return -1;
        }
    }
    return 0;
}

/* `send MAIL.send({to, subject, text})` through an smtp connector. */
static int build_mail_send(Delivery *d, const Connector *c, const json_t *entry, const char *instance, int64_t now)
{
    const json_t *arg = json_object_get(entry, "arg");
    if (mail_send_arg_problem(d, arg) != 0)
        return -1;
    const char *to = json_string_value(json_object_get(arg, "to"));
    const char *subject = json_string_value(json_object_get(arg, "subject"));
    const char *text = json_string_value(json_object_get(arg, "text"));
    json_t *message = json_pack("{s:s, s:s, s:s}", "about", "mail", "subject", subject ? subject : "", "text",
                                text ? text : "");
    int rc = message ? delivery_mail(d, c, to, NULL, message, to ? to : "the mail", instance, now, d->error,
                                     sizeof d->error)
                     : 1;
    json_decref(message);
    return rc;
}

/* A message to the recipient at d->position: by mail, or through their chat operation. */
static int build_message(Delivery *d, const json_t *entry, const char *instance, int64_t now, const ConnFile *file)
{
    json_t *to = json_array_get(json_object_get(entry, "to"), (size_t)d->position);
    const json_t *message = json_object_get(entry, "message");
    const char *person = json_string_value(json_object_get(to, "person"));
    const char *channel = json_string_value(json_object_get(to, "channel")), *operation = "";
    snprintf(d->channel, sizeof d->channel, "%s", channel ? channel : "email");
    const Connector *conn = strcmp(d->channel, "email") == 0 ? mail_connector(file)
                                                              : conn_channel(file, d->channel, &operation);
    if (!conn) {
        snprintf(d->error, sizeof d->error, "no connector for %s is kept", d->channel);
        return 1;
    }
    if (conn->kind == CONN_SMTP)
        return delivery_mail(d, conn, json_string_value(json_object_get(to, "email")),
                             json_string_value(json_object_get(to, "name")), message, person, instance, now, d->error,
                             sizeof d->error);
    StrBuf subject = STRBUF_INIT, text = STRBUF_INIT;
    delivery_message_text(message, person, instance, &subject, &text);
    json_t *body = json_pack("{s:s, s:O, s:s, s:s, s:s, s:O}", "person", person,
                             "name", json_object_get(to, "name") ? json_object_get(to, "name") : json_null(),
                             "instance", instance, "subject", subject.data ? subject.data : "",
                             "text", text.data ? text.data : "", "message", message);
    strbuf_free(&subject);
    strbuf_free(&text);
    int rc = body ? delivery_http(d, conn, operation, body, d->error, sizeof d->error) : 1;
    json_decref(body);
    return rc;
}

/* The key of the claimed entry's delivery at `position`: BASE + INDEX + position. */
static void claim_key_text(const json_t *entry, size_t position, char *out, size_t len)
{
    const char *base = json_string_value(json_object_get(entry, "base"));
    snprintf(out, len, "%s%lld", base ? base : "",
             (long long)(json_integer_value(json_object_get(entry, "index")) + (json_int_t)position));
}

/* The requests of a claimed entry. One that cannot be made is decided at once: -1 from
   delivery_http/_mail fails for good, 1 is tried again later. */
static void claim_build(Claim *c, int64_t now, const ConnFile *file)
{
    const json_t *entry = c->entry;
    bool message = strcmp(json_string_value(json_object_get(entry, "kind")), "message") == 0;
    char instance[32];
    snprintf(instance, sizeof instance, "i%lld", (long long)json_integer_value(json_object_get(entry, "instance")));
    for (unsigned i = 0; i < c->count; i++) {
        Delivery *d = &c->deliveries[i];
        d->claim = c;
        if (!message)
            d->position = -1;
        claim_key_text(entry, message ? (size_t)d->position : 0, d->key, sizeof d->key);
        int rc;
        if (message)
            rc = build_message(d, entry, instance, now, file);
        else if (!c->connector)
            rc = 1;
        else if (c->connector->kind == CONN_SMTP)
            rc = build_mail_send(d, c->connector, entry, instance, now);
        else
            rc = delivery_http(d, c->connector, json_string_value(json_object_get(entry, "operation")),
                               json_object_get(entry, "arg"), d->error, sizeof d->error);
        /* only a call reads its reply: a send or a message is delivered by its 2xx, however
           long the body that came with it */
        d->request.reply_unused = strcmp(json_string_value(json_object_get(entry, "kind")), "call") != 0;
        if (rc != 0 && !d->error[0])
            snprintf(d->error, sizeof d->error, "%s", rc < 0 ? "cannot be delivered" : "not deliverable now");
        if (rc != 0)
            d->outcome = rc < 0 ? DELIVERY_FAILED : DELIVERY_RETRY;
    }
}

/* A claimed entry (candidate taken over) as a Claim with its deliveries started. */
static Claim *claim_start(Dispatcher *dp, Candidate *cand, int64_t now)
{
    Claim *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    c->seq = cand->seq;
    c->entry = cand->entry;
    cand->entry = NULL;
    const char *kind = json_string_value(json_object_get(c->entry, "kind"));
    bool message = strcmp(kind, "message") == 0;
    json_t *to = json_object_get(c->entry, "to");
    unsigned count = 0;
    size_t i;
    json_t *each;
    json_array_foreach(to, i, each) count += recipient_to_try(dp, each);
    c->count = message ? count : 1;
    c->connector = message ? NULL : conn_find(dp->connectors, json_string_value(json_object_get(c->entry, "connector")));
    c->deliveries = calloc(c->count ? c->count : 1, sizeof *c->deliveries);
    if (!c->deliveries) {
        json_decref(c->entry);
        free(c);
        return NULL;
    }
    unsigned k = 0;
    json_array_foreach(to, i, each)
        if (message && recipient_to_try(dp, each))
            c->deliveries[k++].position = (int)i;
    claim_build(c, now, dp->connectors);
    for (k = 0; k < c->count; k++) {
        Delivery *d = &c->deliveries[k];
        if (d->error[0])
            continue;   /* decided already */
        d->request.context = d;
        if (conn_client_add(dp->client, &d->request) == 0) {
            d->started = true;
            c->outstanding++;
        } else {
            d->outcome = DELIVERY_RETRY;
            snprintf(d->error, sizeof d->error, "out of memory");
        }
    }
    return c;
}

/* ---- 3. settle ---- */

typedef struct Settle {
    Claim *claim;
    Dispatcher *d;
} Settle;

/* Whether an entry that failed an attempt has run out of tries: a call after its
   connector's retries, a send or message past its window. */
static bool out_of_tries(const Claim *c, const OutboxEntry *stored, int64_t now, int64_t backoff)
{
    if (stored->kind == OUTBOX_CALL)
        return stored->attempts >= 1 + (c->connector ? c->connector->retries : CONN_RETRIES_DEFAULT);
    return now + backoff > stored->created_ms + SEND_WINDOW_MS;
}

/* The entry's error: a copy of `error` (the step fails when out of memory). */
static int settle_error(Step *s, OutboxEntry *stored, const char *error)
{
    return outbox_entry_set_text(&stored->error, error) == 0 ? STORE_OK
                                                              : step_fail(s, ENGINE_NO_MEMORY, "out of memory");
}

/* A call: its reply or its final failure resumes the instance; else it waits to retry. */
static int settle_call(Step *s, Settle *st, OutboxEntry *stored, const unsigned char key[8], int64_t backoff)
{
    Delivery *d = &st->claim->deliveries[0];
    bool waits;
    int rc = outbox_call_waits(s, stored, &waits);
    if (rc != STORE_OK || !waits)   /* nobody waits for it any more: no retry, no reply */
        return rc == STORE_OK ? store_del(s->txn, TABLE_OUTBOX, store_bytes(key, 8)) : rc;
    if (d->outcome == DELIVERY_RETRY && !out_of_tries(st->claim, stored, s->now, backoff)) {
        stored->next_ms = s->now + backoff;
        dispatch_note_next_try(s->engine, s->now + backoff);
        stored->lease_ms = 0;
        st->d->retried++;
        rc = settle_error(s, stored, d->error);
        return rc == STORE_OK ? outbox_put(s, st->claim->seq, stored) : rc;
    }
    rc = store_del(s->txn, TABLE_OUTBOX, store_bytes(key, 8));
    if (rc != STORE_OK)
        return rc;
    char failure[400];
    if (d->outcome == DELIVERY_DONE) {
        st->d->delivered++;
        return outbox_call_result(s, stored, d->reply, NULL);
    }
    st->d->failed++;
    outbox_call_failure(failure, sizeof failure, d->error, stored->attempts);
    return outbox_call_result(s, stored, NULL, failure);
}

/* A send or message: each recipient done (`delivered`), failed for good (`send_failed`), or
   waiting. */
static int settle_sends(Step *s, Settle *st, OutboxEntry *stored, const unsigned char key[8], int64_t backoff)
{
    Claim *c = st->claim;
    bool out = out_of_tries(c, stored, s->now, backoff);
    const char *last_error = NULL;
    int rc = STORE_OK;
    for (unsigned i = 0; rc == STORE_OK && i < c->count; i++) {
        Delivery *d = &c->deliveries[i];
        OutboxRecipient *person = d->position >= 0 && (size_t)d->position < stored->to_count
                                      ? &stored->to[d->position] : NULL;
        const char *who = person ? person->person : NULL;
        if (d->outcome == DELIVERY_DONE) {
            st->d->delivered++;
            if (person)
                person->state = OUTBOX_DONE;
            rc = outbox_record_delivery(s, stored, who, d->channel, NULL);
        } else if (d->outcome == DELIVERY_FAILED || out) {
            st->d->failed++;
            if (person)
                person->state = OUTBOX_FAILED;
            rc = settle_error(s, stored, d->error);
            if (rc == STORE_OK)
                rc = outbox_record_delivery(s, stored, who, d->channel, d->error);
        } else {
            st->d->retried++;
            last_error = d->error;
        }
    }
    bool pending = last_error != NULL, failed = false;
    for (size_t i = 0; i < stored->to_count; i++) {
        pending |= stored->to[i].state == OUTBOX_PENDING;
        failed |= stored->to[i].state == OUTBOX_FAILED;
    }
    if (!stored->has_message)
        failed = c->deliveries[0].outcome != DELIVERY_DONE && !pending;
    if (rc != STORE_OK)
        return rc;
    if (!pending && !failed)
        return store_del(s->txn, TABLE_OUTBOX, store_bytes(key, 8));
    stored->lease_ms = 0;
    if (pending) {
        stored->next_ms = s->now + backoff;
        dispatch_note_next_try(s->engine, s->now + backoff);
        /* a recipient that failed for good keeps its error as the entry's: it is what the
           operator acts on, not the next try's passing one */
        if (last_error && !failed)
            rc = settle_error(s, stored, last_error);
    } else {
        stored->status = OUTBOX_FAILED;
    }
    return rc == STORE_OK ? outbox_put(s, c->seq, stored) : rc;
}

/* The wait before the next try: the backoff, or longer when a peer that answered 429
   or 503 asked for it in Retry-After (the longest any of the claim's deliveries to be
   tried again was asked), but never over the backoff's own cap: a peer's header may
   slow the outbox, not park an entry for days. A Retry-After given as a date is
   measured against the engine's clock, `now` (RUNTIME.md, promise 7: a `tick --now`
   run waits the same whenever it runs). */
static int64_t settle_wait_ms(const Claim *c, int64_t backoff, int64_t now)
{
    int64_t wait = backoff;
    for (unsigned i = 0; i < c->count; i++) {
        const ConnRequest *r = &c->deliveries[i].request;
        if (c->deliveries[i].outcome != DELIVERY_RETRY)
            continue;
        int64_t asked = r->retry_after_at_ms ? r->retry_after_at_ms - now : r->retry_after_ms;
        if (asked > wait)
            wait = asked;
    }
    return wait > OUTBOX_BACKOFF_MAX_MS && backoff <= OUTBOX_BACKOFF_MAX_MS ? OUTBOX_BACKOFF_MAX_MS : wait;
}

static int settle_work(Step *s, void *context)
{
    Settle *st = context;
    unsigned char key[8];
    store_be64(st->claim->seq, key);
    OutboxEntry stored;
    int rc = outbox_get(s, st->claim->seq, &stored);
    if (rc == STORE_NOT_FOUND)
        return STORE_OK;   /* settled elsewhere */
    if (rc != STORE_OK)
        return rc;
    char first[200];
    outbox_entry_key(&stored, 0, first, sizeof first);
    int64_t backoff = settle_wait_ms(st->claim, outbox_backoff_ms(first, (unsigned)stored.attempts), s->now);
    rc = stored.kind == OUTBOX_CALL ? settle_call(s, st, &stored, key, backoff)
                                    : settle_sends(s, st, &stored, key, backoff);
    outbox_entry_free(&stored);
    return rc;
}

static void claim_free(Claim *c)
{
    for (unsigned k = 0; k < c->count; k++)
        delivery_clear(&c->deliveries[k]);
    free(c->deliveries);
    json_decref(c->entry);
    free(c);
}

/* The claims whose deliveries are all back, settled together in one step. */
typedef struct SettleAll {
    Dispatcher *d;
    Claim **ready;
    unsigned count;
} SettleAll;

static int settle_all_work(Step *s, void *context)
{
    SettleAll *all = context;
    int rc = STORE_OK;
    for (unsigned i = 0; rc == STORE_OK && i < all->count; i++) {
        Settle st = {all->ready[i], all->d};
        rc = settle_work(s, &st);
    }
    return rc;
}

/* ---- rounds ---- */

/* Reloads the kept connectors when they changed. Claims in flight point into the ones
   they started with: those are retired, and freed once no claim is in flight. */
static int dispatch_connectors(Engine *e, Dispatcher *dp, char *why, size_t why_len)
{
    if (dp->claim_count == 0) {
        for (unsigned i = 0; i < dp->retired_count; i++)
            conn_file_free(dp->retired[i]);
        dp->retired_count = 0;
    }
    json_t *json;
    int rc = engine_connectors(e, &json, why, why_len);
    if (rc != ENGINE_OK)
        return rc;
    if ((!json && !dp->connectors) || (json && dp->connectors && json_equal(json, dp->connectors->json))) {
        json_decref(json);
        return ENGINE_OK;
    }
    ConnFile *file = NULL;
    if (json) {
        json_t *problems = json_array();
        file = problems ? conn_file_parse(json, problems) : NULL;
        json_decref(problems);
        json_decref(json);
        if (!file) {
            snprintf(why, why_len, "the store's connectors do not check");
            return ENGINE_FAILED;
        }
    }
    if (dp->connectors) {
        ConnFile **grown = realloc(dp->retired, (dp->retired_count + 1) * sizeof *grown);
        if (!grown) {
            conn_file_free(file);
            return ENGINE_NO_MEMORY;
        }
        dp->retired = grown;
        dp->retired[dp->retired_count++] = dp->connectors;
    }
    dp->connectors = file;
    return ENGINE_OK;
}

/* Step 1 of a round: scan, claim, start. */
/* Claims what is due. A full scan looks at every entry: when the earliest known next try
   has come, when another process wrote to the outbox (meta's next_outbox moved; read every
   CHECK_MS), at least every RESCAN_MS, and when the clock went back. Otherwise only the
   entries this engine wrote since the last scan are new (outbox_mark_written), and the
   scan starts at the first of them, so entries that wait for a connector are not read
   again and again (an idle serve reads one counter a second). */
static int dispatch_claim(Engine *e, Dispatcher *dp, int64_t now, bool full, unsigned *claimed, char *why,
                          size_t why_len)
{
    *claimed = 0;
    uint64_t from = full ? 0 : e->outbox_dirty_from;
    e->outbox_dirty = false;
    e->outbox_claimable = false;
    int rc = dispatch_connectors(e, dp, why, why_len);
    if (rc != ENGINE_OK)
        return rc;
    ClaimScan o = {NULL, dp, now, INT64_MAX, from, 0, 0, NULL, 0, CLAIM_MAX - dp->claim_count, 0, "", 0, ""};
    o.found = calloc(o.room ? o.room : 1, sizeof *o.found);
    if (!o.found)
        return ENGINE_NO_MEMORY;
    rc = engine_read(e, claim_scan_work, &o, why, why_len);
    if (rc == ENGINE_OK && o.count)
        rc = engine_run_step(e, now, claim_work, &o, why, why_len);
    if (rc == ENGINE_OK)
        claim_notes_committed(dp, &o);
    for (unsigned i = 0; i < o.count; i++) {
        if (rc == ENGINE_OK && o.found[i].entry) {
            Claim *c = claim_start(dp, &o.found[i], now);
            if (c) {
                dp->claims[dp->claim_count++] = c;
                ++*claimed;
            }
        }
    }
    candidates_free(o.found, o.count);
    if (o.stopped_at)   /* no room for more claims: look again from there next round */
        outbox_mark_written(e, o.stopped_at);
    if (full || o.next_ms < e->outbox_next_ms)
        e->outbox_next_ms = o.next_ms;
    if (full) {
        e->outbox_scanned_ms = now;
        e->outbox_scanned_mono = monotonic_ms();
        dp->waiting = o.waiting;
        snprintf(dp->waiting_why, sizeof dp->waiting_why, "%s", o.waiting_why);
    }
    if (rc == ENGINE_OK)
        e->outbox_counter_seen = o.counter;
    return rc;
}

/* Takes the claims whose deliveries are all back out of those in flight, into ready[]. */
static unsigned claims_take_ready(Dispatcher *dp, Claim *ready[CLAIM_MAX])
{
    unsigned n = 0;
    for (unsigned i = 0; i < dp->claim_count;) {
        if (dp->claims[i]->outstanding > 0) {
            i++;
            continue;
        }
        ready[n++] = dp->claims[i];
        dp->claims[i] = dp->claims[--dp->claim_count];
    }
    return n;
}

/* ---- settles and claims in a batch's transaction (serve) ---- */

/* The claims settled in a batch's transaction that did not commit go back to those in
   flight, ready to settle again, and the counts are as before them. */
static void settling_restore(Dispatcher *d)
{
    for (unsigned i = 0; i < d->settling_count; i++)
        d->claims[d->claim_count++] = d->settling[i];
    if (d->settling_count) {
        d->delivered = d->settling_counts[0];
        d->retried = d->settling_counts[1];
        d->failed = d->settling_counts[2];
    }
    d->settling_count = 0;
}

void dispatch_settle_in_batch(Engine *e, StoreTxn *txn, int64_t now, StepRecords *records)
{
    Dispatcher *dp = e->dispatcher;
    if (!dp)
        return;
    settling_restore(dp);   /* an earlier run of the same batch's */
    dp->settling_count = claims_take_ready(dp, dp->settling);
    if (!dp->settling_count)
        return;
    dp->settling_counts[0] = dp->delivered;
    dp->settling_counts[1] = dp->retried;
    dp->settling_counts[2] = dp->failed;
    StoreTxn *child;
    StepRecords mine = {0};
    int rc = store_begin_nested(txn, &child);
    if (rc == STORE_OK) {
        char why[256];
        Step s;
        step_begin(&s, e, child, now, &mine, why, sizeof why);
        SettleAll all = {dp, dp->settling, dp->settling_count};
        rc = settle_all_work(&s, &all);
        if (rc == STORE_OK)
            rc = step_write_records(&s);
        rc = step_end(&s, rc);
        if (rc == STORE_OK && records && records_keep(e, records, &mine) != STORE_OK)
            rc = ENGINE_NO_MEMORY;
        if (rc == STORE_OK)
            rc = store_commit(child);
        else
            store_abort(child);
    }
    step_records_free(&mine);
    if (rc != STORE_OK) {
        engine_forget_caches(e);   /* they may hold what the nested transaction wrote */
        settling_restore(dp);      /* the round settles them in a transaction of its own */
    }
}

/* serve's batches (engine_apply_batch) claim the entries their steps wrote before they
   commit, so the commit that makes an entry also leases it: the dispatcher starts its
   requests right after, without a claim commit of its own (one synced commit less
   between a step and its request reaching the peer). The scan and the claims are those
   of a round's partial scan (from the first entry written since the last scan), in a
   nested transaction that is dropped, claims and all, if it fails. */

static void claims_written_drop(Dispatcher *d)
{
    ClaimScan *o = d->written;
    if (!o)
        return;
    candidates_free(o->found, o->count);
    free(o);
    d->written = NULL;
}

static int claim_written_work(Step *s, void *context)
{
    ClaimScan *o = context;
    if (!s->engine->outbox_claimable) {   /* all messages with no way now: none is read */
        o->step = s;
        return engine_counter(s, "next_outbox", &o->counter);
    }
    int rc = claim_scan_work(s, o);
    return rc == STORE_OK ? claim_work(s, o) : rc;
}

void dispatch_claim_written(Engine *e, StoreTxn *txn, int64_t now)
{
    Dispatcher *dp = e->dispatcher;
    if (!dp)
        return;
    claims_written_drop(dp);   /* an earlier run of the same batch's */
    if (!e->outbox_dirty || !dp->connectors || dp->claim_count >= CLAIM_REFILL)
        return;
    ClaimScan *o = calloc(1, sizeof *o);
    unsigned room = CLAIM_MAX - dp->claim_count;
    if (o)
        *o = (ClaimScan){NULL, dp, now, INT64_MAX, e->outbox_dirty_from, 0, 0, calloc(room, sizeof *o->found), 0, room, 0, "", 0, ""};
    StoreTxn *child;
    if (!o || !o->found || store_begin_nested(txn, &child) != STORE_OK) {
        free(o ? o->found : NULL);
        free(o);
        return;
    }
    dp->written = o;
    char why[256];
    Step s;
    step_begin(&s, e, child, now, NULL, why, sizeof why);
    int rc = step_end(&s, claim_written_work(&s, o));
    if (rc == STORE_OK && o->count)
        fault_point("outbox claim");
    if (rc == STORE_OK)
        rc = store_commit(child);
    else
        store_abort(child);
    if (rc != STORE_OK)
        claims_written_drop(dp);
}

void dispatch_commit_claims(Engine *e, bool committed)
{
    Dispatcher *dp = e->dispatcher;
    if (dp && committed) {
        for (unsigned i = 0; i < dp->settling_count; i++)
            claim_free(dp->settling[i]);
        dp->settling_count = 0;
    } else if (dp) {
        settling_restore(dp);
    }
    ClaimScan *o = dp ? dp->written : NULL;
    if (!o)
        return;
    if (!committed) {
        claims_written_drop(dp);
        return;
    }
    for (unsigned i = 0; i < o->count; i++) {
        if (o->found[i].entry) {
            Claim *c = claim_start(dp, &o->found[i], o->now);
            if (c)
                dp->claims[dp->claim_count++] = c;
        }
    }
    e->outbox_dirty = o->stopped_at != 0;   /* every entry written so far was looked at */
    e->outbox_claimable = e->outbox_dirty;
    if (o->stopped_at)
        e->outbox_dirty_from = o->stopped_at;
    if (o->next_ms < e->outbox_next_ms)
        e->outbox_next_ms = o->next_ms;
    e->outbox_counter_seen = o->counter;
    claim_notes_committed(dp, o);
    claims_written_drop(dp);
}

/* Step 3: settles every claim whose deliveries are all back, all in one transaction;
   when that fails, each in its own, so one that fails undoes only itself (it stays
   leased, and is delivered again once its lease runs out). */
static int dispatch_settle(Engine *e, Dispatcher *dp, int64_t now, char *why, size_t why_len)
{
    Claim *ready[CLAIM_MAX];
    unsigned n = claims_take_ready(dp, ready);
    if (n == 0)
        return ENGINE_OK;
    uint64_t delivered = dp->delivered, retried = dp->retried, failed = dp->failed;
    SettleAll all = {dp, ready, n};
    int rc = engine_run_step(e, now, settle_all_work, &all, why, why_len);
    if (rc != ENGINE_OK && n > 1) {
        dp->delivered = delivered;   /* counted again by the settles that commit */
        dp->retried = retried;
        dp->failed = failed;
        rc = ENGINE_OK;
        for (unsigned i = 0; i < n; i++) {
            Settle st = {ready[i], dp};
            int r = engine_run_step(e, now, settle_work, &st, why, why_len);
            rc = rc == ENGINE_OK ? r : rc;
        }
    }
    for (unsigned i = 0; i < n; i++)
        claim_free(ready[i]);
    return rc;
}

int engine_dispatch_round(Engine *e, int64_t now, int max_wait_ms, bool settle_later, int64_t *next_wake_ms,
                          char *why, size_t why_len)
{
    why[0] = '\0';
    *next_wake_ms = INT64_MAX;
    Dispatcher *dp = dispatcher_get(e, why, why_len);
    if (!dp)
        return ENGINE_FAILED;
    int rc = ENGINE_OK;
    unsigned claimed = 0;
    /* the intervals count in engine time and in real time: a clock behind the store's
       engine time is held there (serve), and another process's entries must still be
       seen within a second */
    int64_t mono = monotonic_ms();
    bool full = now >= e->outbox_next_ms || now - e->outbox_scanned_ms >= RESCAN_MS ||
                mono - e->outbox_scanned_mono >= RESCAN_MS || now < e->outbox_scanned_ms;
    if (!full && !e->outbox_dirty &&
        (now - e->outbox_checked_ms >= CHECK_MS || mono - e->outbox_checked_mono >= CHECK_MS))
        full = dispatch_others_wrote(e, now, mono, why, why_len);
    if ((full || e->outbox_dirty) && dp->claim_count < CLAIM_REFILL)
        rc = dispatch_claim(e, dp, now, full, &claimed, why, why_len);
    if (rc == ENGINE_OK && !settle_later)
        rc = dispatch_settle(e, dp, now, why, why_len);   /* claims decided without a request */
    if (rc == ENGINE_OK && conn_client_pending(dp->client)) {
        ConnRequest *done;
        conn_client_run(dp->client, max_wait_ms, &done);
        for (ConnRequest *r = done; r; r = r->next) {
            Delivery *d = r->context;
            d->outcome = delivery_judge(d, strcmp(json_string_value(json_object_get(d->claim->entry, "kind")), "call") == 0);
            d->claim->outstanding--;
        }
        if (!settle_later)
            rc = dispatch_settle(e, dp, now, why, why_len);
    }
    *next_wake_ms = dp->claim_count || e->outbox_dirty ? now : e->outbox_next_ms;
    return rc;
}

int engine_outbox_deliver(Engine *e, int64_t now, EngineOutboxStats *done, char *why, size_t why_len)
{
    Dispatcher *dp = dispatcher_get(e, why, why_len);
    if (!dp)
        return ENGINE_FAILED;
    uint64_t delivered = dp->delivered, retried = dp->retried, failed = dp->failed;
    outbox_mark_written(e, 0);
    e->outbox_next_ms = now;   /* a full scan first */
    int rc = ENGINE_OK;
    /* Each entry is claimed at most once at one engine time (a failed attempt's next try
       is later), but a reply may make a new call: a chain of them is cut, and the rounds
       are bounded all the same. */
    unsigned chain = 0;
    bool cut = false;
    for (unsigned round = 0; rc == ENGINE_OK && round < OUTBOX_TICK_ROUNDS; round++) {
        int64_t next;
        chain += round > 0 && e->outbox_dirty;
        rc = engine_dispatch_round(e, now, 200, false, &next, why, why_len);
        if (!e->outbox_dirty && dp->claim_count == 0)
            break;   /* nothing in flight, and nothing written since the last scan */
        if (chain >= OUTBOX_TICK_CHAIN && dp->claim_count == 0) {
            cut = true;   /* what the last replies wrote waits for the next tick */
            break;
        }
    }
    if (done) {
        memset(done, 0, sizeof *done);
        done->delivered = dp->delivered - delivered;
        done->retried = dp->retried - retried;
        done->failed = dp->failed - failed;
        done->waiting = dp->waiting;
        snprintf(done->waiting_why, sizeof done->waiting_why, "%s", dp->waiting_why);
        done->chain_cut = cut;
    }
    return rc;
}

/* ---- stats ---- */

typedef struct StatsScan {
    int64_t now;
    EngineOutboxStats *stats;
    Step *step;
} StatsScan;

/* An entry's status and age, from its first bytes (outbox_entry_peek): a scrape of
   /metrics reads every entry that waits, and decodes none of them whole. */
static int stats_visit(void *context, StoreBytes key, StoreBytes value)
{
    StatsScan *o = context;
    OutboxState status;
    int64_t created_ms;
    int rc = outbox_entry_peek(value.data, value.len, &status, &created_ms);
    if (rc == OUTBOX_ENTRY_NO_MEMORY)
        return step_fail(o->step, ENGINE_NO_MEMORY, "out of memory");
    if (rc != OUTBOX_ENTRY_OK)
        return step_damaged(o->step, TABLE_OUTBOX, key, "is not a readable outbox entry");
    if (status == OUTBOX_FAILED) {
        o->stats->failed_entries++;
        return STORE_OK;
    }
    o->stats->pending++;
    int64_t age = o->now - created_ms;
    if (age > o->stats->oldest_ms)
        o->stats->oldest_ms = age;
    return STORE_OK;
}

static int stats_work(Step *s, void *context)
{
    StatsScan *o = context;
    o->step = s;
    return engine_scan(s, TABLE_OUTBOX, store_bytes(NULL, 0), stats_visit, o);
}

int engine_dispatch_stats(Engine *e, int64_t now, EngineOutboxStats *stats, char *why, size_t why_len)
{
    memset(stats, 0, sizeof *stats);
    Dispatcher *dp = e->dispatcher;
    if (dp) {
        stats->delivered = dp->delivered;
        stats->retried = dp->retried;
        stats->failed = dp->failed;
        stats->in_flight = dp->claim_count;
    }
    StatsScan o = {now, stats, NULL};
    return engine_read(e, stats_work, &o, why, why_len);
}

uint64_t engine_dispatch_noted(Engine *e, char *why, size_t why_len)
{
    Dispatcher *dp = e->dispatcher;
    uint64_t noted = dp ? dp->noted : 0;
    snprintf(why, why_len, "%s", noted ? dp->noted_why : "");
    if (dp)
        dp->noted = 0;
    return noted;
}
