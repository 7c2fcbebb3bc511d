/*
 * json_file.c - a JSON file, with a UTF-8 byte order mark skipped (see json_file.h).
 */
#include "json_file.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "text.h"

/* Why a load failed, in words a person can act on: a file with nothing but blanks is said
   to be empty (jansson: "'[' or '{' expected near end of file"), and one that ran out of
   memory says so (jansson leaves its text empty or names a token), with no place in it.
   jansson's own error code, which json_error_code reads from the text's last byte, is
   kept. Returns NULL, as the load did. */
static json_t *json_file_failed(json_error_t *error)
{
    /* jansson 2.14, short of memory while it builds the values, may also leave no text
       and no code at all: a failed load always has a reason, so that is this one */
    if (json_error_code(error) == json_error_out_of_memory || !error->text[0]) {
        error->line = error->column = -1;
        snprintf(error->text, sizeof error->text - 1, "out of memory reading it");
        error->text[sizeof error->text - 1] = (char)json_error_out_of_memory;   /* json_error_code's byte */
    } else if (strcmp(error->text, "'[' or '{' expected near end of file") == 0) {
        error->line = error->column = -1;
        snprintf(error->text, sizeof error->text - 1, "the file is empty: a JSON object was expected");
    }
    return NULL;
}

json_t *json_file_load(const char *path, size_t flags, json_error_t *error)
{
    FILE *file = fopen(path, "rb");
    struct stat st;
    if (file && fstat(fileno(file), &st) == 0 && S_ISDIR(st.st_mode)) {   /* opens, but reads nothing */
        fclose(file);
        file = NULL;
        errno = EISDIR;
    }
    if (!file) {   /* "PATH: No such file or directory", not jansson's "unable to open PATH: ..." */
        memset(error, 0, sizeof *error);
        error->line = error->column = -1;
        snprintf(error->source, sizeof error->source, "%s", path);
        snprintf(error->text, sizeof error->text, "%s", strerror(errno));
        return NULL;
    }
    unsigned char head[TEXT_BOM_LEN];
    size_t got = fread(head, 1, sizeof head, file);
    if (text_bom_length((const char *)head, got) == 0) {
        fclose(file);
        json_t *json = json_load_file(path, flags, error);
        return json ? json : json_file_failed(error);
    }
    json_t *json = json_loadf(file, flags, error);
    fclose(file);
    if (!json)
        snprintf(error->source, sizeof error->source, "%s", path);
    return json ? json : json_file_failed(error);
}
