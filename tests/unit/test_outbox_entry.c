/*
 * test_outbox_entry.c - an outbox entry as a struct and its own encoding
 * (runtime/engine/engine_outbox_entry.c, _json.c; docs/internals.md, "The outbox entry").
 *
 *   round trip    a call, a send, a message and a head publication, every field set or
 *                 unset, come back the same (decoded and encoded again: the same bytes)
 *   the bytes     the version byte 0x13 first, the kind, status and flags
 *   old entries   the JSON entries older huddles stored (the codec's binary form, JSON
 *                 text), exactly as engine_outbox.c and engine_head_publish.c made
 *                 them, read into the struct and render back to the same JSON text;
 *                 one with an unknown field, kind, status or recipient is refused
 *   damage        every prefix of a good entry is refused, every bit flip of it is
 *                 refused or read (the ASan build runs this too), bytes after the end
 *   newer         an entry of a newer version is refused as such
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "engine_codec.h"
#include "engine_outbox_entry.h"

/* The old entries, as the jansson code made them (members in its order). */
static const char *const OLD_CALL =
    "{\"connector\": \"kb\", \"operation\": \"lookup\", \"arg\": {\"product\": \"N9\", \"n\": [1, 2.5, null]},"
    " \"kind\": \"call\", \"instance\": 3, \"suspension\": 2, \"base\": \"S1:i3:2:\", \"index\": 0,"
    " \"status\": \"pending\", \"attempts\": 2, \"created_ms\": 1772442000000, \"next_ms\": 1772442060000,"
    " \"lease_ms\": 1772442092000, \"error\": \"HTTP 503\"}";
static const char *const OLD_SEND =
    "{\"connector\": \"chatter\", \"operation\": \"post\", \"arg\": null, \"kind\": \"send\", \"instance\": 9,"
    " \"suspension\": 1, \"base\": \"S1:i9:1:\", \"index\": 4, \"status\": \"failed\", \"attempts\": 0,"
    " \"created_ms\": 0, \"next_ms\": -5, \"lease_ms\": 0}";
static const char *const OLD_MESSAGE =
    "{\"connector\": \"\", \"operation\": \"\", \"to\": [{\"person\": \"anna\", \"state\": \"done\"},"
    " {\"person\": \"lars\", \"state\": \"pending\"}, {\"person\": \"r\\u00e9x\", \"state\": \"failed\"}],"
    " \"message\": {\"about\": \"asked\", \"playbook\": \"flow\", \"state\": null, \"task\": \"t4\","
    " \"question\": \"Broken?\", \"choices\": [{\"id\": \"yes\", \"label\": \"Yes\"}], \"deadline\": \"2026-03-02T10:00:00Z\","
    " \"similar\": []}, \"kind\": \"message\", \"instance\": 4, \"suspension\": 1, \"base\": \"S1:i4:1:\","
    " \"index\": 1, \"status\": \"pending\", \"attempts\": 1, \"created_ms\": 1772442000000,"
    " \"next_ms\": 1772442000000, \"lease_ms\": 0, \"error\": \"mail: SMTP 500\"}";
static const char *const OLD_HEAD =
    "{\"kind\": \"head\", \"connector\": \"notary\", \"operation\": \"put\", \"arg\": {\"store\": \"S1\","
    " \"head\": \"ab12\", \"count\": 40, \"at\": \"2026-03-02T09:00:00Z\"}, \"instance\": 0, \"suspension\": 0,"
    " \"base\": \"S1:head:\", \"index\": 40, \"status\": \"pending\", \"attempts\": 0, \"created_ms\": 5,"
    " \"next_ms\": 5, \"lease_ms\": 0}";

static json_t *parse(const char *text)
{
    json_error_t error;
    json_t *json = json_loads(text, 0, &error);
    assert_non_null(json);
    return json;
}

/* `text` read as an old entry (JSON text and its codec records of both formats): the
   struct renders the same JSON text, and its encoding reads back to the same bytes. */
static void old_form_reads(const char *text)
{
    json_t *json = parse(text);
    char *want = json_dumps(json, JSON_COMPACT);
    StrBuf forms[3] = {STRBUF_INIT, STRBUF_INIT, STRBUF_INIT};
    strbuf_puts(&forms[0], text);
    assert_int_equal(codec_encode_format(json, CODEC_FORMAT_1, &forms[1]), CODEC_OK);
    assert_int_equal(codec_encode_format(json, CODEC_FORMAT_2, &forms[2]), CODEC_OK);
    for (int f = 0; f < 3; f++) {
        OutboxEntry e;
        char why[240];
        assert_int_equal(outbox_entry_load(forms[f].data, forms[f].len, &e, why, sizeof why), OUTBOX_ENTRY_OK);
        json_t *back = outbox_entry_json(&e);
        char *got = json_dumps(back, JSON_COMPACT);
        assert_string_equal(got, want);
        free(got);
        json_decref(back);
        StrBuf once = STRBUF_INIT, twice = STRBUF_INIT;
        assert_int_equal(outbox_entry_encode(&e, &once), 0);
        assert_int_equal((unsigned char)once.data[0], OUTBOX_ENTRY_FORMAT_1);
        OutboxEntry again;
        assert_int_equal(outbox_entry_decode(once.data, once.len, &again, why, sizeof why), OUTBOX_ENTRY_OK);
        assert_int_equal(outbox_entry_encode(&again, &twice), 0);
        assert_int_equal(once.len, twice.len);
        assert_memory_equal(once.data, twice.data, once.len);
        outbox_entry_free(&again);
        outbox_entry_free(&e);
        strbuf_free(&once);
        strbuf_free(&twice);
        strbuf_free(&forms[f]);
    }
    free(want);
    json_decref(json);
}

static void old_entries_read_and_render_the_same(void **state)
{
    (void)state;
    old_form_reads(OLD_CALL);
    old_form_reads(OLD_SEND);
    old_form_reads(OLD_MESSAGE);
    old_form_reads(OLD_HEAD);
}

/* ---- round trip and the bytes ---- */

static void encode(const OutboxEntry *e, StrBuf *out)
{
    assert_int_equal(outbox_entry_encode(e, out), 0);
}

static void message_entry(OutboxEntry *e)
{
    memset(e, 0, sizeof *e);
    e->kind = OUTBOX_MESSAGE;
    e->has_message = true;
    assert_int_equal(outbox_entry_set_text(&e->connector, ""), 0);
    assert_int_equal(outbox_entry_set_text(&e->operation, ""), 0);
    assert_int_equal(outbox_entry_set_text(&e->base, "S1:i4:1:"), 0);
    assert_int_equal(outbox_entry_add_recipient(e, "anna", OUTBOX_PENDING), 0);
    assert_int_equal(outbox_entry_add_recipient(e, "lars", OUTBOX_DONE), 0);
    assert_int_equal(outbox_entry_set_text(&e->about, "notify"), 0);
    CodecWriter w;
    codec_write_begin(&w, &e->message);
    codec_write_object(&w);
    codec_write_key(&w, "playbook");
    codec_write_text(&w, "flow");
    codec_write_key(&w, "state");
    codec_write_text(&w, NULL);
    codec_write_key(&w, "text");
    codec_write_text(&w, "Spike on N9");
    assert_int_equal(codec_write_end(&w), CODEC_OK);
    e->instance = 4;
    e->suspension = 1;
    e->index = 7;
    e->attempts = 3;
    e->created_ms = -1;
    e->next_ms = INT64_MAX;
    e->lease_ms = INT64_MIN;
    assert_int_equal(outbox_entry_set_text(&e->error, "mail: SMTP 500 \xe2\x9c\x97"), 0);
}

/* Recipients added one by one to a decoded entry (its list exactly as long as it was
   read): each kept in order, and the bytes round-trip (the list's room doubles). */
static void recipients_added_after_decoding_are_kept(void **state)
{
    (void)state;
    OutboxEntry e, back;
    message_entry(&e);
    StrBuf bytes = STRBUF_INIT, again = STRBUF_INIT;
    encode(&e, &bytes);
    char why[240], person[16];
    assert_int_equal(outbox_entry_decode(bytes.data, bytes.len, &back, why, sizeof why), OUTBOX_ENTRY_OK);
    for (int i = 0; i < 50; i++) {
        snprintf(person, sizeof person, "p%02d", i);
        assert_int_equal(outbox_entry_add_recipient(&back, person, OUTBOX_PENDING), 0);
    }
    assert_int_equal(back.to_count, 52);
    assert_true(back.to_cap >= back.to_count);
    encode(&back, &again);
    outbox_entry_free(&back);
    assert_int_equal(outbox_entry_decode(again.data, again.len, &back, why, sizeof why), OUTBOX_ENTRY_OK);
    assert_int_equal(back.to_count, 52);
    assert_string_equal(back.to[1].person, "lars");
    assert_string_equal(back.to[51].person, "p49");
    assert_int_equal(back.to[51].state, OUTBOX_PENDING);
    outbox_entry_free(&back);
    outbox_entry_free(&e);
    strbuf_free(&bytes);
    strbuf_free(&again);
}

static void round_trip_keeps_every_field(void **state)
{
    (void)state;
    OutboxEntry e, back;
    message_entry(&e);
    StrBuf bytes = STRBUF_INIT, again = STRBUF_INIT;
    encode(&e, &bytes);
    const unsigned char *b = (const unsigned char *)bytes.data;
    assert_int_equal(b[0], 0x13);
    assert_int_equal(b[1], OUTBOX_MESSAGE);
    assert_int_equal(b[2], OUTBOX_PENDING);
    assert_int_equal(b[3], 2 | 4);   /* a message and an error; no arg */
    char why[240];
    assert_int_equal(outbox_entry_decode(bytes.data, bytes.len, &back, why, sizeof why), OUTBOX_ENTRY_OK);
    assert_int_equal(back.kind, OUTBOX_MESSAGE);
    assert_int_equal(back.to_count, 2);
    assert_string_equal(back.to[1].person, "lars");
    assert_int_equal(back.to[1].state, OUTBOX_DONE);
    assert_string_equal(back.about, "notify");
    assert_int_equal(back.created_ms, -1);
    assert_true(back.next_ms == INT64_MAX && back.lease_ms == INT64_MIN);
    assert_string_equal(back.error, e.error);
    assert_int_equal(back.arg.len, 0);
    char key[200];
    outbox_entry_key(&back, 1, key, sizeof key);
    assert_string_equal(key, "S1:i4:1:8");
    json_t *message = outbox_entry_message_json(&back);
    char *text = json_dumps(message, JSON_COMPACT);
    assert_string_equal(text, "{\"about\":\"notify\",\"playbook\":\"flow\",\"state\":null,\"text\":\"Spike on N9\"}");
    free(text);
    json_decref(message);
    encode(&back, &again);
    assert_int_equal(bytes.len, again.len);
    assert_memory_equal(bytes.data, again.data, bytes.len);
    /* a call: its argument, no message, no error */
    OutboxEntry call = {.kind = OUTBOX_CALL, .instance = 1, .index = 0};
    assert_int_equal(outbox_entry_set_text(&call.connector, "kb"), 0);
    assert_int_equal(outbox_entry_set_text(&call.operation, "lookup"), 0);
    assert_int_equal(outbox_entry_set_text(&call.base, "S:i1:1:"), 0);
    json_t *arg = json_pack("{s:s}", "q", "x");
    assert_int_equal(codec_encode(arg, &call.arg), CODEC_OK);
    StrBuf call_bytes = STRBUF_INIT;
    encode(&call, &call_bytes);
    assert_int_equal((unsigned char)call_bytes.data[3], 1);
    OutboxEntry call_back;
    assert_int_equal(outbox_entry_decode(call_bytes.data, call_bytes.len, &call_back, why, sizeof why), OUTBOX_ENTRY_OK);
    json_t *arg_back = outbox_entry_arg_json(&call_back);
    assert_true(json_equal(arg, arg_back));
    assert_null(call_back.error);
    json_decref(arg_back);
    json_decref(arg);
    outbox_entry_free(&call_back);
    outbox_entry_free(&call);
    strbuf_free(&call_bytes);
    strbuf_free(&bytes);
    strbuf_free(&again);
    outbox_entry_free(&back);
    outbox_entry_free(&e);
}

/* ---- damage and newer versions ---- */

static void damage_is_refused_with_a_sentence(void **state)
{
    (void)state;
    OutboxEntry e, got;
    message_entry(&e);
    StrBuf bytes = STRBUF_INIT;
    encode(&e, &bytes);
    char why[240];
    for (size_t len = 0; len < bytes.len; len++) {   /* every prefix */
        why[0] = '\0';
        assert_int_equal(outbox_entry_decode(bytes.data, len, &got, why, sizeof why), OUTBOX_ENTRY_DAMAGED);
        assert_true(why[0] != '\0');
    }
    unsigned char *copy = malloc(bytes.len + 1);
    memcpy(copy, bytes.data, bytes.len);
    copy[bytes.len] = 0;
    assert_int_equal(outbox_entry_decode(copy, bytes.len + 1, &got, why, sizeof why), OUTBOX_ENTRY_DAMAGED);
    assert_non_null(strstr(why, "bytes after the entry"));
    for (size_t i = 1; i < bytes.len; i++)   /* every bit flip: refused or read, never a crash */
        for (int bit = 0; bit < 8; bit++) {
            memcpy(copy, bytes.data, bytes.len);
            copy[i] ^= (unsigned char)(1 << bit);
            if (outbox_entry_decode(copy, bytes.len, &got, why, sizeof why) == OUTBOX_ENTRY_OK)
                outbox_entry_free(&got);
        }
    memcpy(copy, bytes.data, bytes.len);
    copy[1] = 9;   /* a kind past the list */
    assert_int_equal(outbox_entry_decode(copy, bytes.len, &got, why, sizeof why), OUTBOX_ENTRY_DAMAGED);
    assert_non_null(strstr(why, "an unknown kind"));
    memcpy(copy, bytes.data, bytes.len);
    copy[2] = OUTBOX_DONE;   /* an entry is pending or failed */
    assert_int_equal(outbox_entry_decode(copy, bytes.len, &got, why, sizeof why), OUTBOX_ENTRY_DAMAGED);
    assert_non_null(strstr(why, "an unknown status"));
    memcpy(copy, bytes.data, bytes.len);
    copy[3] |= 0x40;
    assert_int_equal(outbox_entry_decode(copy, bytes.len, &got, why, sizeof why), OUTBOX_ENTRY_DAMAGED);
    assert_non_null(strstr(why, "an unknown flag"));
    /* a newer version, by its byte */
    copy[0] = 0x14;
    assert_int_equal(outbox_entry_load(copy, bytes.len, &got, why, sizeof why), OUTBOX_ENTRY_DAMAGED);
    assert_string_equal(why, "is an outbox entry of version 2, newer than this huddle reads (version 1)");
    copy[0] = 0x1F;
    assert_int_equal(outbox_entry_load(copy, bytes.len, &got, why, sizeof why), OUTBOX_ENTRY_DAMAGED);
    assert_non_null(strstr(why, "version 13, newer"));
    free(copy);
    strbuf_free(&bytes);
    outbox_entry_free(&e);
}

static void old_entries_that_do_not_fit_are_refused(void **state)
{
    (void)state;
    static const char *const BAD[][2] = {
        {"{\"kind\": \"call\", \"extra\": 1}", "`extra` is not a field"},
        {"{\"kind\": \"mail\"}", "`kind` is not call"},
        {"{\"kind\": \"call\", \"status\": \"done\"}", "`status` is not pending or failed"},
        {"[1, 2]", "not a JSON object"},
    };
    OutboxEntry e;
    char why[240];
    for (size_t i = 0; i < sizeof BAD / sizeof BAD[0]; i++) {
        assert_int_equal(outbox_entry_load(BAD[i][0], strlen(BAD[i][0]), &e, why, sizeof why), OUTBOX_ENTRY_DAMAGED);
        assert_non_null(strstr(why, BAD[i][1]));
    }
    /* a recipient that is not {person, state} */
    json_t *json = parse(OLD_MESSAGE);
    json_object_set_new(json_array_get(json_object_get(json, "to"), 0), "state", json_string("lost"));
    assert_int_equal(outbox_entry_from_json(json, &e, why, sizeof why), OUTBOX_ENTRY_DAMAGED);
    assert_non_null(strstr(why, "`to` holds a recipient"));
    json_decref(json);
    /* a count where a text belongs */
    json = parse(OLD_CALL);
    json_object_set_new(json, "base", json_integer(4));
    assert_int_equal(outbox_entry_from_json(json, &e, why, sizeof why), OUTBOX_ENTRY_DAMAGED);
    assert_non_null(strstr(why, "`base` is not a text"));
    json_decref(json);
}

/* The peek (/metrics's read) gives the status and creation time of entries of every
   form, a failed one's too, and refuses bytes whose first fields do not read. */
static void the_peek_reads_status_and_creation_time(void **state)
{
    (void)state;
    OutboxEntry e;
    message_entry(&e);
    StrBuf bytes = STRBUF_INIT;
    encode(&e, &bytes);
    OutboxState status;
    int64_t created;
    assert_int_equal(outbox_entry_peek(bytes.data, bytes.len, &status, &created), OUTBOX_ENTRY_OK);
    assert_int_equal(status, OUTBOX_PENDING);
    assert_int_equal(created, -1);
    e.status = OUTBOX_FAILED;
    e.created_ms = 1764900000123;
    bytes.len = 0;
    encode(&e, &bytes);
    assert_int_equal(outbox_entry_peek(bytes.data, bytes.len, &status, &created), OUTBOX_ENTRY_OK);
    assert_int_equal(status, OUTBOX_FAILED);
    assert_int_equal(created, 1764900000123);
    /* cut inside the fields it reads, an unknown status, a newer version: refused */
    for (size_t len = 0; len < 6; len++)
        assert_int_equal(outbox_entry_peek(bytes.data, len, &status, &created), OUTBOX_ENTRY_DAMAGED);
    bytes.data[2] = 7;
    assert_int_equal(outbox_entry_peek(bytes.data, bytes.len, &status, &created), OUTBOX_ENTRY_DAMAGED);
    bytes.data[2] = OUTBOX_FAILED;
    bytes.data[0] = 0x14;
    assert_int_equal(outbox_entry_peek(bytes.data, bytes.len, &status, &created), OUTBOX_ENTRY_DAMAGED);
    /* an older huddle's JSON entry is read whole */
    json_t *json = parse(OLD_MESSAGE);
    StrBuf old = STRBUF_INIT;
    assert_int_equal(codec_encode_format(json, CODEC_FORMAT_2, &old), CODEC_OK);
    OutboxEntry whole;
    char why[240];
    assert_int_equal(outbox_entry_load(old.data, old.len, &whole, why, sizeof why), OUTBOX_ENTRY_OK);
    assert_int_equal(outbox_entry_peek(old.data, old.len, &status, &created), OUTBOX_ENTRY_OK);
    assert_int_equal(status, whole.status);
    assert_int_equal(created, whole.created_ms);
    outbox_entry_free(&whole);
    json_decref(json);
    strbuf_free(&old);
    strbuf_free(&bytes);
    outbox_entry_free(&e);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(round_trip_keeps_every_field),
        cmocka_unit_test(recipients_added_after_decoding_are_kept),
        cmocka_unit_test(old_entries_read_and_render_the_same),
        cmocka_unit_test(damage_is_refused_with_a_sentence),
        cmocka_unit_test(old_entries_that_do_not_fit_are_refused),
        cmocka_unit_test(the_peek_reads_status_and_creation_time),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
