/*
 * vm_internal.h - the running VM's state, shared by vm.c and vm_builtins.c.
 */
#ifndef HUDDLE_VM_INTERNAL_H
#define HUDDLE_VM_INTERNAL_H

#include "vm.h"
#include "vm_ops.h"

typedef struct VmCall {
    uint32_t return_pc;
    uint32_t base;                  /* the fn's first local on the stack */
    uint32_t fn;                    /* the fn called: its index in bc->fns */
} VmCall;

typedef struct Vm {
    const Program *program;
    const Bytecode *bc;
    Frame *frame;                   /* NULL while evaluating a chunk */
    const VmInput *input;
    VmResult *result;
    uint32_t sp;
    uint32_t stack_cap;             /* VM_STACK_LIMIT + the program's max_stack */
    VmScratch *scratch;             /* where vm_free parks this block, or NULL */
    size_t bytes;                   /* this block's size */
    VmCall calls[VM_CALL_LIMIT];
    uint32_t depth;                 /* fn calls open */
    uint32_t when_arm;              /* evaluating a wait arm's `when`, else BC_NONE */
    uint64_t budget;
    bool fatal;                     /* an error a `when` may not swallow (the step limit) */
    Value event;                    /* the event offered to a wait (borrowed) */
    uint32_t chunk_trigger;         /* evaluating a trigger chunk for this trigger */
    Value chunk_data, chunk_meta;   /* its event (borrowed) */
    uint32_t wanted_cdef;           /* a lazy const read before it had a value, else BC_NONE */
    bool in_const;                  /* checking a lazy const: no directory, no time zones
                                       (vm_eval_cdef's `checking`) */
    uint64_t oom_mark;              /* value_oom_count() when the run began: any change
                                       is an allocation that failed (value.h) */
    char why[VM_WHY];
    Value stack[];                  /* stack_cap values (vm_new) */
} Vm;

/* Whether `v` is a time that a const may not write as text: the playbook has a
   calendar, whose offset comes from the directory while running, and the VM is
   evaluating a lazy const (true with vm->why set, after "BUILTIN: " unless NULL). */
bool vm_const_time_text(Vm *vm, Value v, const char *builtin);

/* Calls builtin `id` on the top `argc` values; false with vm->why on error. */
bool vm_builtin_call(Vm *vm, int id, uint32_t argc, Value *out);

#endif
