/*
 * fuzz_event.c - libFuzzer target over the door events come through: `huddle trigger`
 * (cli_trigger, so the bounded read of standard input, the JSON parser, the engine's
 * checks of ids and depth, and a playbook that keeps the data in its frame), on a real
 * store, with the sizes, depths and key counts RUNTIME.md's "Limits and damage" is about.
 *
 * An input is one byte of shape, one byte of id length, the id, then the event's data:
 *
 *   shape bits 0-1   wrap the data in 0, 998, 999 or 1,000 lists (the 1,000-deep limit
 *                    falls inside what the data itself adds)
 *   shape bits 2-3   put it in an object beside 0, 100, 10,000 or 120,000 more keys (the
 *                    last passes the 1 MiB limit)
 *   shape bits 4-5   beside a string that brings the body to 0, limit - 64, limit + 1 or
 *                    64 bytes (the limit is 1 MiB)
 *   shape bit 6      that object says "go": true (else false)
 *   id length        0 to 253: that many bytes of id from the input; 254 and 255: ids of
 *                    256 and 257 bytes (the longest kept, the shortest refused)
 *
 * Since -max_len is 8192, the shape bits are how an input reaches a megabyte. The
 * harness knows what the door must do, and an abort() marks a broken promise:
 *
 *   - a body over the limit, one that is not JSON (json_loadb as trigger reads it: any
 *     value, a bare number or string too), data
 *     nesting more than 1,000 deep, or an id that is empty, over 256 bytes, or holds a
 *     control character, is refused: exit 1 (2 when the id is not UTF-8: a malformed
 *     argument); anything else is accepted: exit 0;
 *   - never exit 3 (the store failed) or a crash, leak or sanitizer report.
 *
 * The playbook starts when the data says "go": true (so most inputs cost no frame) and
 * keeps the data in its frame; the store is made again every 500 inputs, or once 64 MiB
 * of bodies went in, to stay small. stdout goes to /dev/null; the door's refusals go
 * to stderr, the fuzzer's log. Seeded with tests/fuzz/seeds-fuzz_event/, with the
 * dictionary tests/fuzz/fuzz_event.dict.
 */
#include <fcntl.h>
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "strbuf.h"
#include "text.h"
#include "utf8.h"
#include "scratch.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define LIMIT (1 << 20)
#define STORE_RUNS 500
#define STORE_BYTES (64 << 20)

static const char PLAYBOOK[] =
    "playbook fuzz_event\n"
    "\n"
    "on fuzz.ev as e\n"
    "  when e.go ?? false\n"
    "\n"
    "state hold {\n"
    "  note \"{e.x}\"\n"
    "  wait {\n"
    "    after 1d -> done \"held\"\n"
    "  }\n"
    "}\n";

static char playbook_path[160], body_path[160], store_path[160];

/* A fresh store with the playbook deployed. */
static void store_make(void)
{
    scratch_remove(store_path);
    char *argv[] = {"huddle-deploy", playbook_path, "--db", store_path, "--now", "2026-06-01T09:00:00Z", NULL};
    if (cli_deploy(6, argv) != CLI_OK)
        abort();
}

static void set_up(void)
{
    const char *folder = scratch_folder("fuzz_event");
    snprintf(playbook_path, sizeof playbook_path, "%s/fuzz_event.play", folder);
    snprintf(body_path, sizeof body_path, "%s/body.json", folder);
    snprintf(store_path, sizeof store_path, "%s/store", folder);
    scratch_write(playbook_path, PLAYBOOK, sizeof PLAYBOOK - 1);
    fflush(stdout);
    int null = open("/dev/null", O_WRONLY);
    if (null < 0 || dup2(null, STDOUT_FILENO) < 0)
        abort();
    close(null);
}

/* The body the shape byte makes of `data`. */
static void body_build(unsigned shape, const char *data, size_t len, StrBuf *body)
{
    static const int WRAPS[4] = {0, 998, 999, 1000}, KEYS[4] = {0, 100, 10000, 120000};
    int wraps = WRAPS[shape & 3], keys = KEYS[(shape >> 2) & 3], pad = (shape >> 4) & 3;
    StrBuf inner = STRBUF_INIT;
    for (int i = 0; i < wraps; i++)
        strbuf_putc(&inner, '[');
    strbuf_append(&inner, data, len);
    for (int i = 0; i < wraps; i++)
        strbuf_putc(&inner, ']');
    if (keys == 0 && pad == 0) {
        strbuf_append(body, inner.data ? inner.data : "", inner.len);
        strbuf_free(&inner);
        return;
    }
    strbuf_puts(body, shape & 64 ? "{\"go\": true" : "{\"go\": false");
    for (int i = 0; i < keys; i++)
        strbuf_printf(body, ", \"k%d\": %d", i, i);
    if (pad) {
        size_t want = pad == 1 ? LIMIT - 64 : pad == 2 ? LIMIT + 1 : 64;
        size_t used = body->len + inner.len + 19, fill = want > used ? want - used : 0;
        static char *ys;   /* LIMIT + 1 bytes of padding, made once */
        if (!ys) {
            if ((ys = malloc(LIMIT + 1)) == NULL)
                abort();
            memset(ys, 'y', LIMIT + 1);
        }
        strbuf_puts(body, ", \"pad\": \"");
        strbuf_append(body, ys, fill > LIMIT + 1 ? LIMIT + 1 : fill);
        strbuf_putc(body, '"');
    }
    strbuf_puts(body, ", \"x\": ");
    strbuf_append(body, inner.data ? inner.data : "", inner.len);
    strbuf_putc(body, '}');
    strbuf_free(&inner);
}

/* How deeply `json` nests (a scalar 0), counting no further than `limit` + 1. */
static int depth_of(const json_t *json, int limit)
{
    int deepest = 0;
    size_t i;
    const char *key;
    json_t *item;
    if (limit < 0 || (!json_is_array(json) && !json_is_object(json)))
        return 0;
    if (json_is_array(json)) {
        json_array_foreach(json, i, item) {
            int d = depth_of(item, limit - 1);
            deepest = d > deepest ? d : deepest;
        }
    } else {
        json_object_foreach((json_t *)json, key, item) {
            int d = depth_of(item, limit - 1);
            deepest = d > deepest ? d : deepest;
        }
    }
    return deepest + 1;
}

/* The exit status the door owes this body and id: 0 accepted, 1 refused, 2 malformed. */
static int door_expects(const StrBuf *body, const char *id)
{
    char buf[96];
    size_t id_len = strlen(id);
    if (utf8_valid_prefix((const unsigned char *)id, id_len) != id_len)
        return CLI_USAGE;
    if (body->len > LIMIT)
        return CLI_REFUSED;
    json_t *json = json_loadb(body->data ? body->data : "", body->len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, NULL);
    int depth = json ? depth_of(json, 1000) : 0;
    json_decref(json);
    if (!json || depth > 1000 || text_id_problem(id, false, buf))
        return CLI_REFUSED;
    return CLI_OK;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int runs;
    static size_t stored;
    if (runs == 0)
        set_up();
    if (runs++ % STORE_RUNS == 0 || stored > STORE_BYTES) {
        store_make();
        stored = 0;
    }
    if (size < 2)
        return 0;
    size_t id_code = data[1], id_len = id_code == 254 ? 256 : id_code == 255 ? 257 : id_code;
    if (id_code < 254 && 2 + id_len > size)
        return 0;
    char id[260];
    if (id_code >= 254)
        memset(id, 'a', id_len);
    else
        memcpy(id, data + 2, id_len);
    id[id_len] = '\0';
    if (strlen(id) != id_len)
        return 0;   /* an argument cannot hold a NUL */
    size_t skip = 2 + (id_code < 254 ? id_len : 0);
    StrBuf body = STRBUF_INIT;
    body_build(data[0], (const char *)data + skip, size - skip, &body);
    scratch_write(body_path, body.data ? body.data : "", body.len);
    stored += body.len;
    int want = door_expects(&body, id);
    strbuf_free(&body);
    if (!freopen(body_path, "rb", stdin))
        abort();
    char *argv[] = {"huddle-trigger", "fuzz.ev", "--id", id, "--db", store_path, "--now", "2026-06-01T10:00:00Z", NULL};
    int status = cli_trigger(8, argv);
    fflush(stdout);
    if (status != want)
        abort();   /* the door let through what it must refuse, or refused what it must take */
    return 0;
}
