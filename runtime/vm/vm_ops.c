/*
 * vm_ops.c - arithmetic, ordering, membership and access on Values (see vm_ops.h).
 */
#include "vm_ops.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

static bool fail(char *why, const char *fmt, const char *a, const char *b)
{
    snprintf(why, VM_WHY, fmt, a, b);
    return false;
}

static bool is_number(Value v)
{
    return v.type == VAL_INT || v.type == VAL_FLOAT;
}

static double as_double(Value v)
{
    return v.type == VAL_INT ? (double)v.as.integer : v.as.number;
}

/* A double result, or an error naming the operation: "number overflow: 1e+308 * 10 is
   beyond the largest double". */
static bool finite_or_fail(double d, Opcode op, Value a, Value b, Value *out, char *why)
{
    if (isfinite(d)) {
        *out = value_float(d);
        return true;
    }
    StrBuf left = STRBUF_INIT, right = STRBUF_INIT;
    value_write_text(a, 0, &left);
    value_write_text(b, 0, &right);
    const char *sign = op == OP_ADD ? "+" : op == OP_SUB ? "-" : op == OP_MUL ? "*" : op == OP_DIV ? "/" : "%";
    if (strbuf_failed(&left) || strbuf_failed(&right))
        snprintf(why, VM_WHY, isnan(d) ? "the result is not a number" : "number overflow");
    else if (isnan(d))
        snprintf(why, VM_WHY, "the result of %s %s %s is not a number", strbuf_text(&left), sign, strbuf_text(&right));
    else
        snprintf(why, VM_WHY, "number overflow: %s %s %s is beyond the largest double", strbuf_text(&left), sign,
                 strbuf_text(&right));
    strbuf_free(&left);
    strbuf_free(&right);
    return false;
}

static bool int_arith(Opcode op, int64_t a, int64_t b, Value *out, char *why)
{
    int64_t r = 0;
    bool overflow = false;
    switch (op) {
    case OP_ADD: overflow = __builtin_add_overflow(a, b, &r); break;
    case OP_SUB: overflow = __builtin_sub_overflow(a, b, &r); break;
    case OP_MUL: overflow = __builtin_mul_overflow(a, b, &r); break;
    case OP_DIV:
    case OP_MOD:
        if (b == 0) {
            snprintf(why, VM_WHY, "division by zero");
            return false;
        }
        if (a == INT64_MIN && b == -1) {
            overflow = op == OP_DIV;
            r = 0;
        } else {
            r = op == OP_DIV ? a / b : a % b;
        }
        break;
    default: break;
    }
    if (overflow) {
        snprintf(why, VM_WHY, "integer overflow: %lld %s %lld does not fit in 64 bits",
                 (long long)a, op == OP_ADD ? "+" : op == OP_SUB ? "-" : op == OP_MUL ? "*" : "/",
                 (long long)b);
        return false;
    }
    *out = value_int(r);
    return true;
}

static bool float_arith(Opcode op, Value x, Value y, Value *out, char *why)
{
    double a = as_double(x), b = as_double(y);
    switch (op) {
    case OP_ADD: return finite_or_fail(a + b, op, x, y, out, why);
    case OP_SUB: return finite_or_fail(a - b, op, x, y, out, why);
    case OP_MUL: return finite_or_fail(a * b, op, x, y, out, why);
    case OP_DIV:
    case OP_MOD:
        if (b == 0) {
            snprintf(why, VM_WHY, "division by zero");
            return false;
        }
        return finite_or_fail(op == OP_DIV ? a / b : fmod(a, b), op, x, y, out, why);
    default: return false;
    }
}

static bool join(Value a, Value b, Value *out, char *why)
{
    if (a.type == VAL_STRING) {
        size_t len = (size_t)a.as.string->len + b.as.string->len;
        if (len > VM_STRING_LIMIT) {
            snprintf(why, VM_WHY, "string too long (over %d bytes)", VM_STRING_LIMIT);
            return false;
        }
        StrBuf buf = STRBUF_INIT;
        strbuf_append(&buf, a.as.string->data, a.as.string->len);
        strbuf_append(&buf, b.as.string->data, b.as.string->len);
        *out = value_string_take(&buf);
        return true;
    }
    uint32_t count = a.as.list->count + b.as.list->count;
    if (count > VM_LIST_LIMIT) {
        snprintf(why, VM_WHY, "list too long (over %d items)", VM_LIST_LIMIT);
        return false;
    }
    Value list = value_list_new(count);
    for (uint32_t i = 0; i < a.as.list->count; i++) {
        value_retain(a.as.list->items[i]);
        value_list_push(list, a.as.list->items[i]);
    }
    for (uint32_t i = 0; i < b.as.list->count; i++) {
        value_retain(b.as.list->items[i]);
        value_list_push(list, b.as.list->items[i]);
    }
    *out = list;
    return true;
}

/* The instants RFC 3339 can write: 0000-01-01T00:00:00Z up to 10000-01-01 (excluded). */
#define TIME_FIRST_MS VM_TIME_FIRST_MS
#define TIME_END_MS VM_TIME_END_MS

static bool time_arith(Opcode op, Value a, Value b, Value *out, const VmHooks *hooks, char *why)
{
    int64_t r;
    if (op == OP_ADD && a.type == VAL_BUSINESS && b.type == VAL_TIME) {
        Value time = b;             /* business + time is time + business, as the checker */
        b = a;                      /* types it and as plain durations add either way */
        a = time;
    }
    if (op == OP_ADD && a.type == VAL_TIME && b.type == VAL_BUSINESS) {
        if (!hooks || !hooks->add_business) {
            snprintf(why, VM_WHY, "business time needs the playbook's calendar from the directory");
            return false;
        }
        if (hooks->add_business(hooks->context, a.as.ms, b, &r, why, VM_WHY) < 0)
            return false;
        if (r < TIME_FIRST_MS || r >= TIME_END_MS)
            return fail(why, "the time is outside the years 0000 to 9999, which RFC 3339 writes%s%s", "", "");
        *out = value_time(r);
        return true;
    }
    bool ok = false;
    ValueType type = VAL_DURATION;
    if (op == OP_ADD && ((a.type == VAL_TIME && b.type == VAL_DURATION) ||
                         (a.type == VAL_DURATION && b.type == VAL_TIME))) {
        ok = !__builtin_add_overflow(a.as.ms, b.as.ms, &r);
        type = VAL_TIME;
    } else if (op == OP_ADD && a.type == VAL_DURATION && b.type == VAL_DURATION) {
        ok = !__builtin_add_overflow(a.as.ms, b.as.ms, &r);
    } else if (op == OP_SUB && a.type == VAL_TIME && b.type == VAL_DURATION) {
        ok = !__builtin_sub_overflow(a.as.ms, b.as.ms, &r);
        type = VAL_TIME;
    } else if (op == OP_SUB && a.type == b.type && (a.type == VAL_TIME || a.type == VAL_DURATION)) {
        ok = !__builtin_sub_overflow(a.as.ms, b.as.ms, &r);
    } else if (op == OP_MUL && (a.type == VAL_DURATION || b.type == VAL_DURATION) &&
               (a.type == VAL_INT || b.type == VAL_INT)) {
        ok = !__builtin_mul_overflow(a.type == VAL_INT ? a.as.integer : a.as.ms,
                                     b.type == VAL_INT ? b.as.integer : b.as.ms, &r);
    } else if (op == OP_DIV && a.type == VAL_DURATION && b.type == VAL_INT) {
        if (b.as.integer == 0)
            return fail(why, "division by zero%s%s", "", "");
        ok = !(a.as.ms == INT64_MIN && b.as.integer == -1);
        r = ok ? a.as.ms / b.as.integer : 0;
    } else {
        return false;   /* not a time operation: the caller reports the types */
    }
    if (!ok && type == VAL_TIME)
        return fail(why, "the time is outside the years 0000 to 9999, which RFC 3339 writes%s%s", "", "");
    if (!ok)
        return fail(why, "duration overflow: the result is longer than a duration can be "
                    "(about 292 million years)%s%s", "", "");
    if (type == VAL_TIME && (r < TIME_FIRST_MS || r >= TIME_END_MS))
        return fail(why, "the time is outside the years 0000 to 9999, which RFC 3339 writes%s%s", "", "");
    *out = type == VAL_TIME ? value_time(r) : value_duration(r);
    return true;
}

bool vm_op_arith(Opcode op, Value a, Value b, Value *out, const VmHooks *hooks, char *why)
{
    static const char *const VERBS[] = {"add", "subtract", "multiply", "divide", "take the remainder of"};
    if (a.type == VAL_INT && b.type == VAL_INT)
        return int_arith(op, a.as.integer, b.as.integer, out, why);
    if (is_number(a) && is_number(b))
        return float_arith(op, a, b, out, why);
    if (op == OP_ADD && a.type == b.type && (a.type == VAL_STRING || a.type == VAL_LIST))
        return join(a, b, out, why);
    why[0] = '\0';
    if (time_arith(op, a, b, out, hooks, why))
        return true;
    if (why[0])
        return false;
    snprintf(why, VM_WHY, "can't %s %s and %s", VERBS[op - OP_ADD], value_type_name(a.type),
             value_type_name(b.type));
    return false;
}

bool vm_op_negate(Value a, Value *out, char *why)
{
    if (a.type == VAL_INT && a.as.integer != INT64_MIN)
        return *out = value_int(-a.as.integer), true;
    if (a.type == VAL_FLOAT)
        return *out = value_float(-a.as.number), true;
    if (a.type == VAL_DURATION && a.as.ms != INT64_MIN)
        return *out = value_duration(-a.as.ms), true;
    if (a.type == VAL_INT)
        return fail(why, "integer overflow: -(%s%s) does not fit in 64 bits", "-9223372036854775808", "");
    if (a.type == VAL_DURATION)
        return fail(why, "duration overflow: the negative of the shortest duration does not fit%s%s", "", "");
    return fail(why, "can't negate %s%s", value_type_name(a.type), "");
}

bool vm_op_compare3(Value a, Value b, int *order, char *why)
{
    if (a.type == VAL_INT && b.type == VAL_INT) {
        *order = (a.as.integer > b.as.integer) - (a.as.integer < b.as.integer);
        return true;
    }
    if (is_number(a) && is_number(b)) {
        long double x = a.type == VAL_INT ? (long double)a.as.integer : a.as.number;
        long double y = b.type == VAL_INT ? (long double)b.as.integer : b.as.number;
        if (isnan(x) || isnan(y))
            return fail(why, "can't order NaN%s%s", "", "");
        *order = (x > y) - (x < y);
        return true;
    }
    if (a.type == b.type && (a.type == VAL_TIME || a.type == VAL_DURATION)) {
        *order = (a.as.ms > b.as.ms) - (a.as.ms < b.as.ms);
        return true;
    }
    if (a.type == VAL_STRING && b.type == VAL_STRING) {
        uint32_t n = a.as.string->len < b.as.string->len ? a.as.string->len : b.as.string->len;
        int c = memcmp(a.as.string->data, b.as.string->data, n);
        *order = c ? (c > 0) - (c < 0)
                   : (a.as.string->len > b.as.string->len) - (a.as.string->len < b.as.string->len);
        return true;
    }
    return fail(why, "can't order %s and %s", value_type_name(a.type), value_type_name(b.type));
}

bool vm_op_order(Opcode op, Value a, Value b, Value *out, char *why)
{
    int order;
    if (!vm_op_compare3(a, b, &order, why))
        return false;
    bool result = op == OP_LT ? order < 0 : op == OP_LE ? order <= 0 : op == OP_GT ? order > 0 : order >= 0;
    *out = value_bool(result);
    return true;
}

bool vm_op_in(Value a, Value b, Value *out, char *why)
{
    switch (b.type) {
    case VAL_LIST:
        for (uint32_t i = 0; i < b.as.list->count; i++)
            if (value_equal(a, b.as.list->items[i]))
                return *out = value_bool(true), true;
        return *out = value_bool(false), true;
    case VAL_MAP:
        if (a.type != VAL_STRING)
            return *out = value_bool(false), true;
        return *out = value_bool(value_map_get(b, a.as.string->data, a.as.string->len) != NULL), true;
    case VAL_STRING:
        if (a.type != VAL_STRING)
            return fail(why, "only a string can be in a string, not %s%s", value_type_name(a.type), "");
        return *out = value_bool(memmem(b.as.string->data, b.as.string->len, a.as.string->data,
                                        a.as.string->len) != NULL), true;
    default:
        return fail(why, "'in' needs a list, a map or a string on its right, not %s%s",
                    value_type_name(b.type), "");
    }
}

bool vm_op_field(Value a, Value name, Value *out, char *why)
{
    if (a.type == VAL_NULL)
        return *out = VALUE_NULL, true;
    if (a.type != VAL_MAP) {
        snprintf(why, VM_WHY, "can't read field '%s' of %s", value_text(name), value_type_name(a.type));
        return false;
    }
    const Value *found = value_map_get(a, name.as.string->data, name.as.string->len);
    *out = found ? *found : VALUE_NULL;
    value_retain(*out);
    return true;
}

bool vm_op_index(Value a, Value index, Value *out, char *why)
{
    if (a.type == VAL_NULL)
        return *out = VALUE_NULL, true;
    if (a.type == VAL_LIST) {
        if (index.type != VAL_INT)
            return fail(why, "a list index must be an integer, not %s%s", value_type_name(index.type), "");
        int64_t i = index.as.integer;
        *out = i >= 0 && i < (int64_t)a.as.list->count ? a.as.list->items[i] : VALUE_NULL;
        value_retain(*out);
        return true;
    }
    if (a.type == VAL_MAP) {
        if (index.type != VAL_STRING)
            return fail(why, "a map key must be a string, not %s%s", value_type_name(index.type), "");
        return vm_op_field(a, index, out, why);
    }
    return fail(why, "can't index %s%s", value_type_name(a.type), "");
}

void vm_write_text(Value v, const VmHooks *hooks, StrBuf *out)
{
    int32_t offset = 0;
    if (v.type == VAL_TIME && hooks && hooks->zone_offset)
        hooks->zone_offset(hooks->context, NULL, v.as.ms, &offset);
    /* a time whose local clock would leave the years 0000-9999 (the first or last hours
       of the range) is written in UTC, which RFC 3339 can write */
    int64_t local_ms = v.type == VAL_TIME ? v.as.ms + (int64_t)offset * 1000 : 0;
    if (local_ms < TIME_FIRST_MS || local_ms >= TIME_END_MS)
        offset = 0;
    value_write_text(v, offset, out);
}

/* More bytes than a value other than a string, list or map takes in either form (the
   longest, a time as JSON, is CIVIL_TIME_TEXT - 1 and its quotes): what one counts for
   when `scratch` could not be written (out of memory, which the step sees). */
#define SCALAR_TEXT_MAX 64

/* The bytes of a value that is not a string, list or map, written in `form`: counted
   for null, a boolean and an integer (the common ones), written into `scratch` (reused)
   and measured for the others, a few bytes each. */
static size_t scalar_size(Value v, VmTextForm form, const VmHooks *hooks, StrBuf *scratch)
{
    switch (v.type) {
    case VAL_NULL: return form == VM_FORM_JSON ? 4 : 0;
    case VAL_BOOL: return v.as.boolean ? 4 : 5;
    case VAL_INT: {
        uint64_t left = v.as.integer < 0 ? 0 - (uint64_t)v.as.integer : (uint64_t)v.as.integer;
        size_t size = v.as.integer < 0 ? 2 : 1;
        for (; left >= 10; left /= 10)
            size++;
        return size;
    }
    default:
        strbuf_clear(scratch);
        if (form == VM_FORM_JSON)
            value_write_json(v, scratch);
        else
            vm_write_text(v, hooks, scratch);
        return strbuf_failed(scratch) ? SCALAR_TEXT_MAX : scratch->len;
    }
}

/* The bytes value_write_json writes for `v`, counted without building the text. Once
   the count is past `limit` it stops and returns it. */
static size_t json_size(Value v, size_t limit, StrBuf *scratch)
{
    switch (v.type) {
    case VAL_STRING: return value_json_string_size(v.as.string->data, v.as.string->len, limit);
    case VAL_LIST: {
        const HList *list = v.as.list;
        size_t total = 2 + (list->count ? list->count - 1 : 0);   /* [ ] and the commas */
        for (uint32_t i = 0; i < list->count && total <= limit; i++)
            total += json_size(list->items[i], limit - total, scratch);
        return total;
    }
    case VAL_MAP: {
        const HMap *map = v.as.map;
        size_t total = 2 + (map->count ? map->count - 1 : 0);     /* { } and the commas */
        for (uint32_t i = 0; i < map->count && total <= limit; i++) {
            total += value_json_string_size(map->keys[i]->data, map->keys[i]->len, limit - total) + 1;
            if (total <= limit)
                total += json_size(map->values[i], limit - total, scratch);
        }
        return total;
    }
    default: return scalar_size(v, VM_FORM_JSON, NULL, scratch);
    }
}

size_t vm_text_size(Value v, VmTextForm form, const VmHooks *hooks, size_t limit)
{
    if (v.type == VAL_STRING && form == VM_FORM_TEXT)
        return v.as.string->len;
    StrBuf scratch = STRBUF_INIT;
    size_t size = v.type == VAL_STRING || v.type == VAL_LIST || v.type == VAL_MAP
                      ? json_size(v, limit, &scratch)
                      : scalar_size(v, form, hooks, &scratch);
    strbuf_free(&scratch);
    return size;
}
