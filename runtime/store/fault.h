/*
 * fault.h - crash injection for the crash-safety tests.
 *
 * With HUDDLE_CRASH_AT=N in the environment, the N-th call of fault_point in this
 * process aborts it on the spot, like a kill -9 at that line; HUDDLE_CRASH_LOG=FILE
 * appends each point's name as it is passed, so a test can count the points of a
 * clean run. Without the variables fault_point costs one branch.
 */
#ifndef HUDDLE_FAULT_H
#define HUDDLE_FAULT_H

/* Marks a place on the write path where a crash must lose nothing. */
void fault_point(const char *name);

#endif
