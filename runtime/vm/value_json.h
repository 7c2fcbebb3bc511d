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

/* Returns an owned Value for `json` (borrowed). */
Value value_from_json(const json_t *json);
/* Returns a new json_t reference for `value` (borrowed). */
json_t *value_to_json(Value value);

/* Parses an RFC 3339 time ("2026-06-15T08:10:00+03:00", "...Z", fractions allowed)
   into milliseconds; false when it is not one, a date that does not exist included
   (2026-02-30). value_time_parse also gives the time's own offset in minutes (may be
   NULL) and, when it is no time, a sentence in `why` (may be NULL): "2026-02-30 is not
   a date: February 2026 has 28 days", "'...' is not an RFC 3339 time (...)". */
bool value_parse_time(const char *text, int64_t *ms);
bool value_time_parse(const char *text, int64_t *ms, int32_t *offset_minutes, char *why,
                      size_t why_len);

#endif
