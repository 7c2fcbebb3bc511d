/*
 * engine_head_publish.c - the store-wide audit head sent through a connector on a
 * schedule (`huddle serve --publish-head CONNECTOR.OPERATION every DURATION`;
 * docs/audit.md, "Keeping the head elsewhere"), so that a copy of it lives where the
 * store's owner cannot rewrite it.
 *
 * A publication is an outbox entry of kind "head", belonging to no instance: its body is
 * {"store", "head", "count", "at"} (what `huddle audit head --json` prints, the store's
 * id and the engine time it was made), its key STORE:head:COUNT, so the same head
 * published again carries the same Idempotency-Key. The dispatcher delivers it like a
 * `send` (retries with backoff for 24 h, then kept as failed for `huddle outbox retry`);
 * its failure goes into no history. Meta keeps when the last one was made
 * ("head_published_ms", engine time), so the schedule survives restarts.
 */
#include "engine_internal.h"

#include <stdio.h>
#include <string.h>

#define PUBLISHED_KEY "head_published_ms"

typedef struct Publish {
    const char *connector, *operation;
    int64_t every_ms;
    int64_t next_ms;                /* out: when the next publication is due */
    char key[200];                  /* the new entry's key */
    bool waiting;                   /* an entry with that key is in the outbox already */
} Publish;

static int same_key_visit(Step *s, uint64_t seq, OutboxEntry *entry, void *context)
{
    (void)s;
    (void)seq;
    Publish *p = context;
    char key[200];
    outbox_entry_key(entry, 0, key, sizeof key);
    if (strcmp(key, p->key) != 0)
        return STORE_OK;
    p->waiting = true;
    return STORE_STOP;
}

/* Writes the entry publishing `count` records' head `hex`. */
static int head_write(Step *s, const Publish *p, uint64_t count, const char *hex)
{
    char at[40], base[160];
    time_text(s->now, at);
    snprintf(base, sizeof base, "%s:head:", store_id(s->engine->store));
    OutboxEntry entry = {.kind = OUTBOX_HEAD, .index = (int64_t)count};
    CodecWriter w;
    codec_write_begin(&w, &entry.arg);
    codec_write_object(&w);
    codec_write_key(&w, "store");
    codec_write_text(&w, store_id(s->engine->store));
    codec_write_key(&w, "head");
    codec_write_text(&w, hex);
    codec_write_key(&w, "count");
    codec_write_integer(&w, (int64_t)count);
    codec_write_key(&w, "at");
    codec_write_text(&w, at);
    if (codec_write_end(&w) != CODEC_OK || outbox_entry_set_text(&entry.connector, p->connector) != 0 ||
        outbox_entry_set_text(&entry.operation, p->operation) != 0 || outbox_entry_set_text(&entry.base, base) != 0) {
        outbox_entry_free(&entry);
        return step_fail(s, ENGINE_NO_MEMORY, "out of memory");
    }
    return outbox_write(s, &entry);
}

static int publish_work(Step *s, void *context)
{
    Publish *p = context;
    p->waiting = false;
    uint64_t last;
    int rc = engine_counter(s, PUBLISHED_KEY, &last);
    if (rc != STORE_OK)
        return rc;
    if (last != 0 && s->now < (int64_t)last + p->every_ms) {
        p->next_ms = (int64_t)last + p->every_ms;
        return STORE_OK;   /* not due: nothing written */
    }
    uint64_t count;
    unsigned char head[AUDIT_HASH];
    rc = chain_head_read(s->txn, &count, head);
    if (rc == ENGINE_FAILED)
        return step_damaged(s, TABLE_META, store_bytes("audit_head", 10), "is not a 32-byte hash with its count");
    if (rc != STORE_OK)
        return rc;
    char hex[AUDIT_HEX];
    audit_hex(head, hex);
    snprintf(p->key, sizeof p->key, "%s:head:%llu", store_id(s->engine->store), (unsigned long long)count);
    rc = outbox_each(s, same_key_visit, p);
    if (rc == STORE_OK && !p->waiting)   /* the same head still on its way: once is enough */
        rc = head_write(s, p, count, hex);
    if (rc != STORE_OK)
        return rc;
    p->next_ms = s->now + p->every_ms;
    return engine_counter_put(s, PUBLISHED_KEY, (uint64_t)s->now);
}

static int published_work(Step *s, void *context)
{
    return engine_counter(s, PUBLISHED_KEY, context);
}

int engine_head_publish(Engine *e, const char *connector, const char *operation, int64_t every_ms, int64_t now,
                        int64_t *next_ms, char *why, size_t why_len)
{
    Publish p = {connector, operation, every_ms, INT64_MAX, "", false};
    *next_ms = INT64_MAX;
    uint64_t last;
    int rc = engine_read(e, published_work, &last, why, why_len);
    if (rc == ENGINE_OK && last != 0 && now < (int64_t)last + every_ms)
        p.next_ms = (int64_t)last + every_ms;   /* not due: no write transaction */
    else if (rc == ENGINE_OK)
        rc = engine_run_step(e, now, publish_work, &p, why, why_len);
    if (rc == ENGINE_OK)
        *next_ms = p.next_ms;
    return rc;
}
