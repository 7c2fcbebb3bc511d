/*
 * value_json.h - Values at the boundary: jansson's json_t in, json_t out.
 *
 * JSON numbers without a fraction or exponent are integers, others doubles; an RFC 3339
 * string stays a string (a playbook reads times from events with its own rules). Going
 * out, times become RFC 3339 strings and plain durations integer seconds, as
 * ../shared/design/RUNTIME.md says for connectors.
 */
#ifndef HUDDLE_VALUE_JSON_H
#define HUDDLE_VALUE_JSON_H

#include <jansson.h>

#include "value.h"

/* How deep JSON from outside may nest, arrays and objects (RUNTIME.md, "Limits and
   damage"). */
#define VALUE_JSON_MAX_DEPTH 1000
/* How value_json_load's sentence for text nested deeper than that begins, so a caller
   can tell that refusal from text that is no JSON. */
#define VALUE_JSON_TOO_DEEP "JSON nests deeper than "

/* Parses JSON text from outside (event data, trace lines, mocked replies) with jansson's
   decoding `flags`: refused (NULL, with a sentence in `why`) when arrays and objects
   nest deeper than VALUE_JSON_MAX_DEPTH below the `wrapper` levels the text puts
   around its data (2 for a trace line's {"event": {"data": ...}}); an integer that 64 bits can't hold
   (9223372036854775808, 18446744073709551616) is read as a double, while every other
   integer stays an exact integer (LANGUAGE.md, "Numbers"). Returns a new reference;
   NULL with why exactly VALUE_JSON_NO_MEMORY when memory ran out (jansson's too), which
   is no fault of the text. */
#define VALUE_JSON_NO_MEMORY "out of memory"
json_t *value_json_load(const char *text, size_t len, size_t flags, int wrapper, char *why,
                        size_t why_len);
/* The same, but an integer that 64 bits can't hold is read as a string of its exact
   text (9223372036854775808 -> "9223372036854775808"), for the one who needs that text
   rather than a number: a webhook's whole-number event id (conn_webhook_map). */
json_t *value_json_load_exact(const char *text, size_t len, size_t flags, int wrapper, char *why,
                              size_t why_len);
/* How deep arrays and objects nest in `json` (0 for a scalar), counting no further
   than `stop` + 1: a caller asks whether it is deeper than `stop`. */
int value_json_depth(const json_t *json, int stop);

/* Returns an owned Value for `json` (borrowed); null, never a part of the value, when
   out of memory (value_oom_count tells that from JSON null). */
Value value_from_json(const json_t *json);
/* Returns a new json_t reference for `value` (borrowed); NULL, or a part of the value
   (jansson drops what it cannot add), when out of memory. */
json_t *value_to_json(Value value);

/* Parses an RFC 3339 time ("2026-06-15T08:10:00+03:00", "...Z", fractions allowed)
   into milliseconds; false when it is not one, a date that does not exist included
   (2026-02-30). An offset may have seconds (+00:44:30), as huddle writes
   one that has them. value_time_parse also gives the time's own offset in seconds (may be
   NULL) and, when it is no time, a sentence in `why` (may be NULL): "2026-02-30 is not
   a date: February 2026 has 28 days", "'...' is not an RFC 3339 time (...)". Both are
   civil_parse_time (civil.h), the one reader of times every door shares. */
bool value_parse_time(const char *text, int64_t *ms);
bool value_time_parse(const char *text, int64_t *ms, int32_t *offset_seconds, char *why,
                      size_t why_len);

#endif
