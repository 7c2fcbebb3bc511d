/*
 * bytecode.c - building, writing and reading the .hbc format (see bytecode.h).
 */
#include "bytecode.h"
#include "memtrap.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "utf8.h"

static const char *const OP_NAMES[] = {
#define OP(name, operand, pops, pushes, doc) #name,
#include "opcodes.def"
#undef OP
};

static const OperandKind OP_OPERANDS[] = {
#define OP(name, operand, pops, pushes, doc) OPND_##operand,
#include "opcodes.def"
#undef OP
};

const char *bc_op_name(Opcode op)
{
    return op < OP_COUNT_ ? OP_NAMES[op] : "?";
}

OperandKind bc_op_operand(Opcode op)
{
    return op < OP_COUNT_ ? OP_OPERANDS[op] : OPND_NONE;
}

void bc_init(Bytecode *bc)
{
    memset(bc, 0, sizeof *bc);
    bc->title = bc->calendar = BC_NONE;
}

void bc_free(Bytecode *bc)
{
    for (uint32_t i = 0; i < bc->consts_count; i++)
        value_release(bc->consts[i]);
    free(bc->consts);
    free(bc->code);
    free(bc->lines);
    free(bc->states);
    free(bc->fns);
    free(bc->triggers);
    free(bc->trigger_names);
    free(bc->vars);
    free(bc->cdefs);
    free(bc->sites);
    free(bc->asks);
    free(bc->choices);
    free(bc->arms);
    free(bc->waits);
    free(bc->wait_arms);
    free(bc->source_name);
    free(bc->source);
    bc_init(bc);
}

bool bc_try_grow(void **items, uint32_t *cap, uint32_t need, size_t elem)
{
    if (need <= *cap)
        return true;
    uint32_t new_cap = *cap ? *cap * 2 : 8;
    while (new_cap < need)
        new_cap *= 2;
    void *bigger = realloc(*items, new_cap * elem);
    if (!bigger)
        return false;
    *items = bigger;
    *cap = new_cap;
    return true;
}

void bc_grow(void **items, uint32_t *cap, uint32_t need, size_t elem)
{
    if (!bc_try_grow(items, cap, need, elem))
        memtrap_raise();
}

static bool bc_const_same(Value a, Value b)
{
    if (a.type != b.type)
        return false;
    if (a.type == VAL_FLOAT)
        return memcmp(&a.as.number, &b.as.number, sizeof(double)) == 0;
    return value_equal(a, b);
}

uint32_t bc_add_const(Bytecode *bc, Value value)
{
    for (uint32_t i = 0; i < bc->consts_count; i++)
        if (bc_const_same(bc->consts[i], value)) {
            value_release(value);
            return i;
        }
    if (!bc_try_grow((void **)&bc->consts, &bc->consts_cap, bc->consts_count + 1, sizeof *bc->consts)) {
        value_release(value);
        memtrap_raise();
    }
    bc->consts[bc->consts_count] = value;
    return bc->consts_count++;
}

uint32_t bc_line_of(const Bytecode *bc, uint32_t pc)
{
    /* The last entry at or before pc; the table is in pc order (bc_verify checks it), so
       a binary search: an error's line costs log n, not the program's length. */
    uint32_t low = 0, high = bc->lines_count;   /* entries [0, low) are at or before pc */
    while (low < high) {
        uint32_t mid = low + (high - low) / 2;
        if (bc->lines[mid].pc <= pc)
            low = mid + 1;
        else
            high = mid;
    }
    return low ? bc->lines[low - 1].line : 0;
}

uint32_t bc_ask_clause_pc(const Bytecode *bc, uint32_t ask_pc, BcClause clause, uint32_t level)
{
    if (ask_pc >= bc->code_count || bc_op(bc->code[ask_pc]) != OP_ASK ||
        bc_operand(bc->code[ask_pc]) >= bc->asks_count)
        return ask_pc;
    const BcAsk *ask = &bc->asks[bc_operand(bc->code[ask_pc])];
    if (clause == BC_CLAUSE_AFTER && (level < 1 || level > ask->escalation_count))
        return ask_pc;
    /* How many checked clauses back from the ask this one's NOP is (1: the last). */
    uint32_t back = clause == BC_CLAUSE_SHOW ? 1
                  : clause == BC_CLAUSE_REMIND ? 1 + ask->has_show
                  : clause == BC_CLAUSE_AFTER ? ask->has_show + ask->has_remind + ask->escalation_count - level + 1
                  : ask->has_show + ask->has_remind + ask->escalation_count + 1;
    if ((clause == BC_CLAUSE_SHOW && !ask->has_show) || (clause == BC_CLAUSE_REMIND && !ask->has_remind))
        return ask_pc;
    for (uint32_t pc = ask_pc; pc-- > 0;)
        if (bc_op(bc->code[pc]) == OP_NOP && --back == 0)
            return pc;
    return ask_pc;
}

/* ---- writing ---- */

static void put_u8(StrBuf *out, uint8_t v) { strbuf_putc(out, (char)v); }
static void put_u32(StrBuf *out, uint32_t v)
{
    char b[4] = {(char)v, (char)(v >> 8), (char)(v >> 16), (char)(v >> 24)};
    strbuf_append(out, b, 4);
}
static void put_u64(StrBuf *out, uint64_t v)
{
    put_u32(out, (uint32_t)v);
    put_u32(out, (uint32_t)(v >> 32));
}
static void put_bytes(StrBuf *out, const char *bytes, uint32_t len)
{
    put_u32(out, len);
    strbuf_append(out, bytes, len);
}

static void put_u32s(StrBuf *out, const void *items, uint32_t count, size_t elem)
{
    put_u32(out, count);
    const uint32_t *words = items;
    for (size_t i = 0; i < count * (elem / 4); i++)
        put_u32(out, words[i]);
}

static void put_const(StrBuf *out, Value v)
{
    put_u8(out, v.type);
    switch (v.type) {
    case VAL_BOOL: put_u8(out, v.as.boolean); break;
    case VAL_INT: put_u64(out, (uint64_t)v.as.integer); break;
    case VAL_FLOAT: {
        uint64_t bits;
        memcpy(&bits, &v.as.number, 8);
        put_u64(out, bits);
        break;
    }
    case VAL_TIME:
    case VAL_DURATION: put_u64(out, (uint64_t)v.as.ms); break;
    case VAL_BUSINESS: put_u64(out, (uint64_t)v.as.integer); put_u8(out, v.unit); break;
    case VAL_STRING: put_bytes(out, v.as.string->data, v.as.string->len); break;
    default: break;
    }
}

void bc_write(const Bytecode *bc, StrBuf *out)
{
    strbuf_append(out, BC_MAGIC, 4);     /* "HBC" and its NUL */
    put_u32(out, BC_FORMAT_VERSION);
    put_u32(out, bc->name);
    put_u32(out, bc->title);
    put_u32(out, bc->calendar);
    put_u32(out, bc->max_locals);
    put_u32(out, bc->uses_case);
    put_bytes(out, bc->source_name ? bc->source_name : "", bc->source_name ? (uint32_t)strlen(bc->source_name) : 0);
    put_bytes(out, bc->source ? bc->source : "", bc->source_len);
    put_u32(out, bc->consts_count);
    for (uint32_t i = 0; i < bc->consts_count; i++)
        put_const(out, bc->consts[i]);
    put_u32s(out, bc->code, bc->code_count, 4);
    put_u32s(out, bc->lines, bc->lines_count, sizeof(BcLine));
    put_u32s(out, bc->states, bc->states_count, sizeof(BcState));
    put_u32s(out, bc->fns, bc->fns_count, sizeof(BcFn));
    put_u32(out, bc->triggers_count);
    for (uint32_t i = 0; i < bc->triggers_count; i++) {
        const BcTrigger *t = &bc->triggers[i];
        uint32_t words[] = {t->source, t->type, t->name_index, t->when_pc, t->case_pc,
                            t->for_pc, t->window_pc};
        for (int k = 0; k < 7; k++)
            put_u32(out, words[k]);
        put_u64(out, (uint64_t)t->at_least);
    }
    put_u32s(out, bc->trigger_names, bc->trigger_names_count, 4);
    put_u32s(out, bc->vars, bc->vars_count, sizeof(BcGlobal));
    put_u32s(out, bc->cdefs, bc->cdefs_count, sizeof(BcGlobal));
    put_u32s(out, bc->sites, bc->sites_count, sizeof(BcSite));
    put_u32s(out, bc->asks, bc->asks_count, sizeof(BcAsk));
    put_u32s(out, bc->choices, bc->choices_count, sizeof(BcChoice));
    put_u32s(out, bc->arms, bc->arms_count, sizeof(BcArm));
    put_u32s(out, bc->waits, bc->waits_count, sizeof(BcWait));
    put_u32s(out, bc->wait_arms, bc->wait_arms_count, sizeof(BcWaitArm));
}

/* ---- reading ---- */

typedef struct Reader {
    const uint8_t *at, *end;
    bool failed;
    bool no_memory;
    const char *why;
} Reader;

static void *reader_fail_memory(Reader *r)
{
    r->failed = r->no_memory = true;
    r->why = "out of memory";
    return NULL;
}

static bool need(Reader *r, size_t n, const char *what)
{
    if (r->failed)
        return false;
    if ((size_t)(r->end - r->at) < n) {
        r->failed = true;
        r->why = what;
        return false;
    }
    return true;
}

static uint8_t get_u8(Reader *r)
{
    if (!need(r, 1, "the file ends early"))
        return 0;
    return *r->at++;
}

static uint32_t get_u32(Reader *r)
{
    if (!need(r, 4, "the file ends early"))
        return 0;
    uint32_t v = (uint32_t)r->at[0] | (uint32_t)r->at[1] << 8 | (uint32_t)r->at[2] << 16 |
                 (uint32_t)r->at[3] << 24;
    r->at += 4;
    return v;
}

static uint64_t get_u64(Reader *r)
{
    uint64_t lo = get_u32(r);
    return lo | (uint64_t)get_u32(r) << 32;
}

static char *get_bytes(Reader *r, uint32_t *len)
{
    *len = get_u32(r);
    if (!need(r, *len, "a string runs past the end of the file"))
        return NULL;
    char *copy = malloc((size_t)*len + 1);
    if (!copy)
        return reader_fail_memory(r);
    memcpy(copy, r->at, *len);
    copy[*len] = '\0';
    r->at += *len;
    return copy;
}

/* Reads a counted array of 32-bit words into a fresh allocation. */
static void *get_u32s(Reader *r, uint32_t *count, size_t elem)
{
    *count = get_u32(r);
    size_t words = elem / 4;
    if (r->failed || (size_t)(r->end - r->at) / 4 / words < *count) {
        r->failed = true;
        r->why = "a table runs past the end of the file";
        *count = 0;
        return NULL;
    }
    uint32_t *items = malloc(*count * elem + 1);
    if (!items) {
        *count = 0;
        return reader_fail_memory(r);
    }
    for (size_t i = 0; i < *count * words; i++)
        items[i] = get_u32(r);
    return items;
}

static Value get_const(Reader *r)
{
    uint8_t type = get_u8(r);
    Value v = VALUE_NULL;
    switch (type) {
    case VAL_NULL: break;
    case VAL_BOOL: v = value_bool(get_u8(r) != 0); break;
    case VAL_INT: v = value_int((int64_t)get_u64(r)); break;
    case VAL_FLOAT: {
        uint64_t bits = get_u64(r);
        double d;
        memcpy(&d, &bits, 8);
        v = value_float(d);
        break;
    }
    case VAL_TIME: v = value_time((int64_t)get_u64(r)); break;
    case VAL_DURATION: v = value_duration((int64_t)get_u64(r)); break;
    case VAL_BUSINESS: {
        int64_t count = (int64_t)get_u64(r);
        uint8_t unit = get_u8(r);
        if (unit > BUSINESS_DAYS && !r->failed) {
            r->failed = true;
            r->why = "a constant has an unknown business unit";
        }
        v = value_business(count, (BusinessUnit)unit);
        break;
    }
    case VAL_STRING: {
        uint32_t len;
        char *bytes = get_bytes(r, &len);
        if (bytes && utf8_valid_prefix((const uint8_t *)bytes, len) != len) {
            r->failed = true;
            r->why = "a string constant is not valid UTF-8";
        } else if (bytes && !value_string_try(bytes, len, &v)) {
            reader_fail_memory(r);
        }
        free(bytes);
        break;
    }
    default:
        if (!r->failed) {
            r->failed = true;
            r->why = "a constant has an unknown type";
        }
    }
    return v;
}

int bc_read(const uint8_t *bytes, size_t len, Bytecode *bc, char *why, size_t why_len)
{
    bc_init(bc);
    Reader r = {bytes, bytes + len, false, false, NULL};
    if (len < 8 || memcmp(bytes, BC_MAGIC, 4) != 0) {
        snprintf(why, why_len, "not Huddle bytecode (no HBC header)");
        return -1;
    }
    r.at += 4;
    uint32_t version = get_u32(&r);
    if (version != BC_FORMAT_VERSION) {
        snprintf(why, why_len, "bytecode format %u; this huddle runs format %d", version,
                 BC_FORMAT_VERSION);
        return -1;
    }
    bc->name = get_u32(&r);
    bc->title = get_u32(&r);
    bc->calendar = get_u32(&r);
    bc->max_locals = get_u32(&r);
    bc->uses_case = get_u32(&r) != 0;
    uint32_t name_len;
    bc->source_name = get_bytes(&r, &name_len);
    bc->source = get_bytes(&r, &bc->source_len);
    uint32_t consts = get_u32(&r);
    if (!r.failed && consts > (size_t)(r.end - r.at)) {
        r.failed = true;
        r.why = "the constant pool runs past the end of the file";
    }
    /* Room for the constants and triggers first, so BC_PUSH below never grows (bc_read runs
       under no memtrap: a failing BC_PUSH would abort). */
    if (!r.failed && !bc_try_grow((void **)&bc->consts, &bc->consts_cap, consts, sizeof *bc->consts))
        reader_fail_memory(&r);
    for (uint32_t i = 0; i < consts && !r.failed; i++)
        BC_PUSH(bc, consts, get_const(&r));
    bc->code = get_u32s(&r, &bc->code_count, 4);
    bc->lines = get_u32s(&r, &bc->lines_count, sizeof(BcLine));
    bc->states = get_u32s(&r, &bc->states_count, sizeof(BcState));
    bc->fns = get_u32s(&r, &bc->fns_count, sizeof(BcFn));
    uint32_t triggers = get_u32(&r);
    if (!r.failed && triggers > (size_t)(r.end - r.at) / 36) {
        r.failed = true;
        r.why = "the trigger table runs past the end of the file";
    }
    if (!r.failed && !bc_try_grow((void **)&bc->triggers, &bc->triggers_cap, triggers, sizeof *bc->triggers))
        reader_fail_memory(&r);
    for (uint32_t i = 0; i < triggers && !r.failed; i++) {
        BcTrigger t;
        t.source = get_u32(&r);
        t.type = get_u32(&r);
        t.name_index = get_u32(&r);
        t.when_pc = get_u32(&r);
        t.case_pc = get_u32(&r);
        t.for_pc = get_u32(&r);
        t.window_pc = get_u32(&r);
        t.at_least = (int64_t)get_u64(&r);
        BC_PUSH(bc, triggers, t);
    }
    bc->trigger_names = get_u32s(&r, &bc->trigger_names_count, 4);
    bc->vars = get_u32s(&r, &bc->vars_count, sizeof(BcGlobal));
    bc->cdefs = get_u32s(&r, &bc->cdefs_count, sizeof(BcGlobal));
    bc->sites = get_u32s(&r, &bc->sites_count, sizeof(BcSite));
    bc->asks = get_u32s(&r, &bc->asks_count, sizeof(BcAsk));
    bc->choices = get_u32s(&r, &bc->choices_count, sizeof(BcChoice));
    bc->arms = get_u32s(&r, &bc->arms_count, sizeof(BcArm));
    bc->waits = get_u32s(&r, &bc->waits_count, sizeof(BcWait));
    bc->wait_arms = get_u32s(&r, &bc->wait_arms_count, sizeof(BcWaitArm));
    if (!r.failed && r.at != r.end) {
        r.failed = true;
        r.why = "there are stray bytes after the last table";
    }
    if (r.failed) {
        snprintf(why, why_len, "%s%s", r.no_memory ? "" : "corrupt bytecode: ", r.why);
        bc_free(bc);
        return r.no_memory ? BC_NO_MEMORY : -1;
    }
    return 0;
}
