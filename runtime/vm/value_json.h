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
   into milliseconds; false when it is not one. */
bool value_parse_time(const char *text, int64_t *ms);

#endif
