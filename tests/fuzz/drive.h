/*
 * drive.h - driving a compiled program through the VM for the fuzz targets
 * (tests/fuzz/drive.c; linked into fuzz_bytecode and fuzz_run by the Makefile).
 */
#ifndef HUDDLE_FUZZ_DRIVE_H
#define HUDDLE_FUZZ_DRIVE_H

#include "bytecode.h"
#include "value.h"
#include "vm.h"

/* Engine time of the fuzzed instances: 2026-06-20T06:00:00Z. */
#define T0 1781935200000LL

/* Sets map[key] = v (taking v). */
void map_put(Value map, const char *key, Value v);

/* A small event data map; round `k` varies its values (k % 3 == 1: a text `level`). */
Value small_data(unsigned k);

/* Chooses the next input from what the suspension waits for (an answer, an event for
   one of its arms, a timer, a call's reply or failure); round `k` varies it. */
VmInputKind next_input(Value suspension, unsigned k, Value *value);

/* Encodes and decodes `frame` (freed), aborting unless it comes back byte for byte;
   returns the decoded frame. */
Frame *round_trip(const Program *program, Frame *frame);

#endif
