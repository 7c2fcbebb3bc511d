/*
 * cli_serve_json.c - serve's JSON text written straight into a StrBuf: what
 * cli_json_dumps(v, JSON_COMPACT | JSON_ENSURE_ASCII | JSON_ENCODE_ANY) writes (jansson's
 * json_dumps, but for doubles in their fewest digits), without a buffer of its own.
 *
 * The replies to events, answers and acks are written with it on the engine thread, one
 * per input of each group commit, between the commit and the next round (docs/internals.md,
 * "huddle serve"). The writing is cli_json_dumps.c's: plain ASCII text is copied, other
 * text goes through jansson; this file names serve's layout.
 */
#include "cli.h"
#include "cli_serve.h"

#define SERVE_JSON_FLAGS (JSON_COMPACT | JSON_ENSURE_ASCII | JSON_ENCODE_ANY)

bool serve_json_plain(const char *text, size_t len)
{
    return cli_json_plain(text, len);
}

bool serve_json_string(StrBuf *out, const char *text, size_t len)
{
    return cli_json_dump_string(out, text, len, SERVE_JSON_FLAGS);
}

bool serve_json_value(StrBuf *out, const json_t *value)
{
    if (!value) {
        strbuf_puts(out, "null");
        return true;
    }
    return cli_json_dump(out, value, SERVE_JSON_FLAGS);
}
