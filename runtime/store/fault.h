/*
 * fault.h - crash injection for the crash-safety tests.
 *
 * With HUDDLE_CRASH_AT=N in the environment, the N-th call of fault_point in this
 * process aborts it on the spot, like a kill -9 at that line; HUDDLE_CRASH_LOG=FILE
 * appends each point's name as it is passed, so a test can count the points of a
 * clean run. Without the variables fault_point costs one branch.
 *
 * With HUDDLE_PAUSE_AT=NAME and HUDDLE_PAUSE_FILE=PATH, the first fault_pause(NAME) of the
 * process creates PATH and waits (up to a minute) until someone removes it, so a test
 * can act at a known moment while the process has the store open.
 */
#ifndef HUDDLE_FAULT_H
#define HUDDLE_FAULT_H

/* Marks a place on the write path where a crash must lose nothing. */
void fault_point(const char *name);

/* Marks a place where a test may hold the process (see above); not a crash point. */
void fault_pause(const char *name);

/* With HUDDLE_CRASH_ON_INPUT=ID, applying the input whose event id or task id is ID
   aborts the process, every time it is tried: a "poison input" for serve's tests
   (tests/e2e/serve_poison.sh). */
void fault_input(const char *id);

#endif
