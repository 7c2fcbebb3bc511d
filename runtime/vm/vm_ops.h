/*
 * vm_ops.h - the operators of the language on Values, with the rules and errors of
 * ../shared/design/LANGUAGE.md: exact integers (overflow is an error), doubles, strings,
 * lists, times and durations. Operands are borrowed; a result is owned by the caller. On
 * an error they return false and write a message for the person reading the stalled
 * instance.
 */
#ifndef HUDDLE_VM_OPS_H
#define HUDDLE_VM_OPS_H

#include <stdbool.h>

#include "bytecode.h"
#include "value.h"
#include "vm.h"

/* The instants RFC 3339 can write: 0000-01-01T00:00:00Z up to, not including,
   10000-01-01T00:00:00Z, in milliseconds since the epoch. */
#define VM_TIME_FIRST_MS (-62167219200000LL)
#define VM_TIME_END_MS 253402300800000LL
/* 9000-01-01T00:00:00Z: an engine keeps times before it (ENGINE_TIME_MAX_MS), so no timer is set
   due at or after it, where it could never fire. */
#define VM_TIMER_END_MS 221845392000000LL

#define VM_WHY 256

bool vm_op_arith(Opcode op, Value a, Value b, Value *out, const VmHooks *hooks, char *why);
bool vm_op_negate(Value a, Value *out, char *why);
bool vm_op_order(Opcode op, Value a, Value b, Value *out, char *why);
/* -1, 0, 1 for values `<` can order; false (with why) for others. */
bool vm_op_compare3(Value a, Value b, int *order, char *why);
bool vm_op_in(Value a, Value b, Value *out, char *why);
bool vm_op_field(Value a, Value name, Value *out, char *why);
bool vm_op_index(Value a, Value index, Value *out, char *why);

#endif
