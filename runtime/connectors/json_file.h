/*
 * json_file.h - reading a JSON file a person or another program wrote (a connectors,
 * directory or tokens file): jansson's json_load_file, except that a UTF-8 byte order
 * mark at the start (EF BB BF, which some editors and Windows tools write) is skipped
 * rather than refused as "'[' or '{' expected". Errors are jansson's, as json_load_file
 * gives them (a file that cannot be opened: "unable to open PATH: why"), but a file of
 * nothing but blanks, whose error is "the file is empty: a JSON object was expected",
 * and one that ran out of memory, "out of memory reading it" (json_error_code gives
 * json_error_out_of_memory), both with no line (-1).
 */
#ifndef HUDDLE_JSON_FILE_H
#define HUDDLE_JSON_FILE_H

#include <jansson.h>

json_t *json_file_load(const char *path, size_t flags, json_error_t *error);

#endif
