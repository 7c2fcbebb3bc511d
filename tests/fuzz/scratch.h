/*
 * scratch.h - the scratch folder of a fuzz target that drives the CLI through files (a
 * playbook, a directory, a trace or event file, a store): made once, removed at exit
 * (tests/fuzz/scratch.c; linked into fuzz_event, fuzz_trace and fuzz_trigger_file by the
 * Makefile).
 */
#ifndef HUDDLE_FUZZ_SCRATCH_H
#define HUDDLE_FUZZ_SCRATCH_H

#include <stddef.h>

/* Makes the folder NAME-XXXXXX on /dev/shm when there is one (the door syncs every
   commit, which memory makes free), else under /tmp, and removes it with all it holds
   at exit. Returns its path (static); aborts when no folder can be made. */
const char *scratch_folder(const char *name);

/* Writes `len` bytes to `path`, replacing it; aborts when it cannot (the harness's own
   files). */
void scratch_write(const char *path, const void *bytes, size_t len);

/* Removes `path` and, for a folder, all it holds; a missing path is no error. */
void scratch_remove(const char *path);

#endif
