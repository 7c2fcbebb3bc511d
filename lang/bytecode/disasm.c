/*
 * disasm.c - the bytecode listing (see disasm.h).
 */
#include "disasm.h"

#include <inttypes.h>
#include <string.h>

#include "builtins.h"
#include "source.h"

static const char *const BUILTIN_NAMES[] = {
#define X(id, name, min, max, type, flags) name,
    HUDDLE_BUILTINS(X)
#undef X
};

static const char *const WHO_NAMES[] = {
    "person", "team", "oncall", "role", "owner", "manager", "lead", "manager-of-level",
};

static void disasm_const(const Bytecode *bc, uint32_t index, StrBuf *out)
{
    if (index >= bc->consts_count) {
        strbuf_puts(out, "?");
        return;
    }
    Value v = bc->consts[index];
    if (v.type == VAL_STRING || v.type == VAL_TIME || v.type == VAL_BUSINESS)
        value_write_json(v, out);
    else
        value_write_text(v, 0, out);
}

static const char *disasm_name(const Bytecode *bc, uint32_t index)
{
    return index < bc->consts_count && bc->consts[index].type == VAL_STRING
               ? value_text(bc->consts[index]) : "?";
}

/* The source line's text, or NULL. */
static const char *disasm_source_line(const Bytecode *bc, uint32_t line, uint32_t *len)
{
    if (!bc->source || line == 0)
        return NULL;
    const char *at = bc->source, *end = bc->source + bc->source_len, *next;
    for (uint32_t n = 1; n < line; n++) {
        source_line_break(at, end, &next);
        if (!next)
            return NULL;
        at = next;
    }
    *len = (uint32_t)(source_line_break(at, end, &next) - at);
    return at;
}

static void disasm_operand(const Bytecode *bc, uint32_t insn, StrBuf *out)
{
    Opcode op = bc_op(insn);
    uint32_t a = bc_operand(insn);
    switch (bc_op_operand(op)) {
    case OPND_NONE: break;
    case OPND_SINT: strbuf_printf(out, "%d", bc_signed_operand(insn)); break;
    case OPND_CONST: strbuf_printf(out, "#%u ", a); disasm_const(bc, a, out); break;
    case OPND_LOCAL: strbuf_printf(out, "slot %u", a); break;
    case OPND_VAR: strbuf_printf(out, "%u (%s)", a, a < bc->vars_count ? disasm_name(bc, bc->vars[a].name) : "?"); break;
    case OPND_TNAME: strbuf_printf(out, "%u (%s)", a, a < bc->trigger_names_count ? disasm_name(bc, bc->trigger_names[a]) : "?"); break;
    case OPND_CDEF: strbuf_printf(out, "%u (%s)", a, a < bc->cdefs_count ? disasm_name(bc, bc->cdefs[a].name) : "?"); break;
    case OPND_JUMP: strbuf_printf(out, "-> %u", a); break;
    case OPND_COUNT: strbuf_printf(out, "%u", a); break;
    case OPND_BUILTIN: strbuf_printf(out, "%s/%u", (a >> 8) < BUILTIN_COUNT ? BUILTIN_NAMES[a >> 8] : "?", a & 0xFF); break;
    case OPND_FN: strbuf_printf(out, "%s/%u", (a >> 8) < bc->fns_count ? disasm_name(bc, bc->fns[a >> 8].name) : "?", a & 0xFF); break;
    case OPND_WHO: strbuf_printf(out, "%s/%u", (a >> 8) < BC_WHO_COUNT ? WHO_NAMES[a >> 8] : "?", a & 0xFF); break;
    case OPND_STATE: strbuf_printf(out, "%s", a < bc->states_count ? disasm_name(bc, bc->states[a].name) : "?"); break;
    case OPND_SITE:
        if (a < bc->sites_count)
            strbuf_printf(out, "%s.%s", disasm_name(bc, bc->sites[a].connector), disasm_name(bc, bc->sites[a].operation));
        break;
    case OPND_ASK: strbuf_printf(out, "ask %u", a); break;
    case OPND_WAIT: strbuf_printf(out, "wait %u", a); break;
    case OPND_WARM:
        if (a < bc->wait_arms_count)
            strbuf_printf(out, "%s.%s, else -> %u", disasm_name(bc, bc->wait_arms[a].source),
                          disasm_name(bc, bc->wait_arms[a].type), bc->wait_arms[a].next_pc);
        break;
    }
}

/* Labels the pcs where states, fns and chunks begin. */
static void disasm_label(const Bytecode *bc, uint32_t pc, StrBuf *out)
{
    for (uint32_t i = 0; i < bc->states_count; i++)
        if (bc->states[i].entry == pc)
            strbuf_printf(out, "\nstate %s:  (%u locals)\n", disasm_name(bc, bc->states[i].name), bc->states[i].locals);
    for (uint32_t i = 0; i < bc->fns_count; i++)
        if (bc->fns[i].entry == pc)
            strbuf_printf(out, "\nfn %s/%u:\n", disasm_name(bc, bc->fns[i].name), bc->fns[i].params);
    for (uint32_t i = 0; i < bc->triggers_count; i++) {
        const BcTrigger *t = &bc->triggers[i];
        const char *what = t->when_pc == pc ? "when" : t->case_pc == pc ? "case"
                         : t->for_pc == pc ? "for" : t->window_pc == pc ? "window" : NULL;
        if (what)
            strbuf_printf(out, "\ntrigger %u (%s.%s) %s:\n", i, disasm_name(bc, t->source), disasm_name(bc, t->type), what);
    }
    for (uint32_t i = 0; i < bc->vars_count; i++)
        if (bc->vars[i].init_pc == pc)
            strbuf_printf(out, "\nvar %s:\n", disasm_name(bc, bc->vars[i].name));
    for (uint32_t i = 0; i < bc->cdefs_count; i++)
        if (bc->cdefs[i].init_pc == pc)
            strbuf_printf(out, "\nconst %s:\n", disasm_name(bc, bc->cdefs[i].name));
}

static void disasm_tables(const Bytecode *bc, StrBuf *out)
{
    strbuf_printf(out, "playbook %s", disasm_name(bc, bc->name));
    if (bc->title != BC_NONE)
        strbuf_printf(out, " \"%s\"", disasm_name(bc, bc->title));
    strbuf_printf(out, "\nformat %d, %u instructions, %u constants, %u states, %u fns, %u triggers\n",
                  BC_FORMAT_VERSION, bc->code_count, bc->consts_count, bc->states_count, bc->fns_count,
                  bc->triggers_count);
    if (bc->calendar != BC_NONE)
        strbuf_printf(out, "calendar %s\n", disasm_name(bc, bc->calendar));
    for (uint32_t i = 0; i < bc->asks_count; i++) {
        const BcAsk *ask = &bc->asks[i];
        strbuf_printf(out, "ask %u: %u seat(s), quorum %s%u, choices", i, ask->seat_count,
                      ask->quorum == BC_QUORUM_ALL ? "all " : "", ask->quorum_n);
        for (uint32_t k = 0; k < ask->choice_count; k++)
            strbuf_printf(out, " %s", disasm_name(bc, bc->choices[ask->choice_first + k].id));
        strbuf_printf(out, "; result in slot %u; arms", ask->result_slot);
        static const char *const KINDS[] = {"", "else", "timeout", "no_quorum"};
        for (uint32_t k = 0; k < ask->arm_count; k++) {
            const BcArm *arm = &bc->arms[ask->arm_first + k];
            const char *name = arm->kind == BC_ARM_CHOICE
                ? disasm_name(bc, bc->choices[ask->choice_first + arm->choice].id) : KINDS[arm->kind];
            strbuf_printf(out, " %s->%u", name, arm->pc);
        }
        strbuf_putc(out, '\n');
    }
    for (uint32_t i = 0; i < bc->waits_count; i++) {
        const BcWait *w = &bc->waits[i];
        strbuf_printf(out, "wait %u: %u event arm(s), dispatch at %u, ", i, w->arm_count, w->dispatch_pc);
        if (w->after_pc == BC_NONE)
            strbuf_puts(out, "after forever\n");
        else
            strbuf_printf(out, "after -> %u\n", w->after_pc);
    }
}

void disasm_write(const Bytecode *bc, StrBuf *out)
{
    disasm_tables(bc, out);
    uint32_t shown_line = 0;
    for (uint32_t pc = 0; pc < bc->code_count; pc++) {
        disasm_label(bc, pc, out);
        uint32_t line = bc_line_of(bc, pc);
        uint32_t len;
        const char *text = line != shown_line ? disasm_source_line(bc, line, &len) : NULL;
        if (text) {
            while (len && (*text == ' ' || *text == '\t'))
                text++, len--;
            strbuf_printf(out, "        ; %u: %.*s\n", line, (int)len, text);
            shown_line = line;
        }
        uint32_t insn = bc->code[pc];
        strbuf_printf(out, "  %5u  %-14s ", pc, bc_op_name(bc_op(insn)));
        disasm_operand(bc, insn, out);
        while (out->len && out->data[out->len - 1] == ' ')
            out->data[--out->len] = '\0';
        strbuf_putc(out, '\n');
    }
}
