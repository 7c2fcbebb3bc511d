/*
 * vm_builtins.c - the builtin functions (stdlib/builtins.md documents each).
 *
 * Arguments are the top `argc` values of the stack, borrowed; the result is owned.
 * Text is UTF-8: len counts code points, lower and upper map code points with the
 * C.UTF-8 locale's case tables, split with "" splits into code points.
 */
#include "vm_internal.h"

#include <errno.h>
#include <float.h>
#include <limits.h>
#include <locale.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wctype.h>

#include "builtins.h"
#include "utf8.h"

static bool type_error(Vm *vm, const char *name, int index, Value got, const char *want)
{
    snprintf(vm->why, sizeof vm->why, "%s: argument %d must be %s, not %s", name, index + 1,
             want, value_type_name(got.type));
    return false;
}

/* Decodes one code point of valid UTF-8 at s[*i]. */
static uint32_t utf8_next(const char *s, uint32_t *i)
{
    const unsigned char *u = (const unsigned char *)s;
    uint32_t c = u[*i];
    int extra = c < 0x80 ? 0 : c < 0xE0 ? 1 : c < 0xF0 ? 2 : 3;
    c &= extra == 0 ? 0x7F : extra == 1 ? 0x1F : extra == 2 ? 0x0F : 0x07;
    for (int k = 0; k < extra; k++)
        c = (c << 6) | (u[*i + 1 + (uint32_t)k] & 0x3F);
    *i += 1 + (uint32_t)extra;
    return c;
}

/* `text` as the builtin `name`'s result, or, past VM_STRING_LIMIT bytes, the error a
   text a playbook builds gets there (docs/runtime.md, "Limits"). Takes `text`. */
static bool text_result(Vm *vm, const char *name, StrBuf *text, Value *out)
{
    if (text->len > VM_STRING_LIMIT) {
        strbuf_free(text);
        snprintf(vm->why, sizeof vm->why, "%s: the text would be over %d bytes", name, VM_STRING_LIMIT);
        return false;
    }
    *out = value_string_take(text);
    return true;
}

static bool change_case(Vm *vm, const char *name, Value s, bool upper, Value *result)
{
    static locale_t utf8;
    if (!utf8)
        utf8 = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t)0);
    StrBuf out = STRBUF_INIT;
    for (uint32_t i = 0; i < s.as.string->len;) {
        uint32_t c = utf8_next(s.as.string->data, &i);
        if (utf8)
            c = (uint32_t)(upper ? towupper_l((wint_t)c, utf8) : towlower_l((wint_t)c, utf8));
        else if (c < 128)
            c = (uint32_t)(upper ? (c >= 'a' && c <= 'z' ? c - 32 : c) : (c >= 'A' && c <= 'Z' ? c + 32 : c));
        char bytes[4];
        int n = utf8_encode(c, bytes);
        strbuf_append(&out, bytes, (size_t)n);
    }
    return text_result(vm, name, &out, result);
}

static bool is_blank(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

static Value trim(Value s)
{
    const char *start = s.as.string->data, *end = start + s.as.string->len;
    while (start < end && is_blank(*start))
        start++;
    while (end > start && is_blank(end[-1]))
        end--;
    return value_string(start, (size_t)(end - start));
}

static bool split(Vm *vm, Value s, Value sep, Value *out)
{
    Value list = value_list_new(4);
    const char *at = s.as.string->data, *end = at + s.as.string->len;
    if (list.type != VAL_LIST)
        return *out = list, true;   /* out of memory: the VM stops (value.h) */
    if (sep.as.string->len == 0) {
        for (uint32_t i = 0; i < s.as.string->len;) {
            if (list.as.list->count >= VM_LIST_LIMIT) {
                value_release(list);
                snprintf(vm->why, sizeof vm->why, "split: more than %d pieces", VM_LIST_LIMIT);
                return false;
            }
            uint32_t from = i;
            utf8_next(s.as.string->data, &i);
            value_list_push(list, value_string(s.as.string->data + from, i - from));
        }
    } else {
        for (;;) {
            const char *hit = memmem(at, (size_t)(end - at), sep.as.string->data, sep.as.string->len);
            if (list.as.list->count >= VM_LIST_LIMIT) {
                value_release(list);
                snprintf(vm->why, sizeof vm->why, "split: more than %d pieces", VM_LIST_LIMIT);
                return false;
            }
            value_list_push(list, value_string(at, (size_t)((hit ? hit : end) - at)));
            if (!hit)
                break;
            at = hit + sep.as.string->len;
        }
    }
    *out = list;
    return true;
}

static bool join(Vm *vm, Value list, Value sep, Value *out)
{
    const VmHooks *hooks = vm->input ? vm->input->hooks : NULL;
    size_t size = 0;   /* the result's, counted before it is built, up to past the limit */
    for (uint32_t i = 0; i < list.as.list->count && size <= VM_STRING_LIMIT; i++) {
        size += i ? sep.as.string->len : 0;
        if (size <= VM_STRING_LIMIT)
            size += vm_text_size(list.as.list->items[i], VM_FORM_TEXT, hooks, VM_STRING_LIMIT - size);
    }
    if (size > VM_STRING_LIMIT) {
        snprintf(vm->why, sizeof vm->why, "join: string too long (over %d bytes)", VM_STRING_LIMIT);
        return false;
    }
    StrBuf text = STRBUF_INIT;
    for (uint32_t i = 0; i < list.as.list->count; i++) {
        if (vm_const_time_text(vm, list.as.list->items[i], "join")) {
            strbuf_free(&text);
            return false;
        }
        if (i)
            strbuf_append(&text, sep.as.string->data, sep.as.string->len);
        vm_write_text(list.as.list->items[i], hooks, &text);
        if (text.len > VM_STRING_LIMIT) {
            strbuf_free(&text);
            snprintf(vm->why, sizeof vm->why, "join: string too long (over %d bytes)", VM_STRING_LIMIT);
            return false;
        }
    }
    *out = value_string_take(&text);
    return true;
}

static bool round_number(Vm *vm, Value x, Value digits, bool has_digits, Value *out)
{
    if (x.type == VAL_INT && !has_digits)
        return *out = x, true;
    double d = x.type == VAL_INT ? (double)x.as.integer : x.as.number;
    if (!has_digits) {
        double r = round(d);
        if (!(r >= -9223372036854775808.0 && r < 9223372036854775808.0)) {
            StrBuf text = STRBUF_INIT;   /* the double as interpolation writes it */
            value_write_text(x, 0, &text);
            snprintf(vm->why, sizeof vm->why, "round: %s does not fit in an integer",
                     strbuf_failed(&text) ? "the number" : strbuf_text(&text));
            strbuf_free(&text);
            return false;
        }
        return *out = value_int((int64_t)r), true;
    }
    if (digits.as.integer < 0 || digits.as.integer > ROUND_DIGITS_MAX) {
        snprintf(vm->why, sizeof vm->why, "round: digits must be between 0 and %d", ROUND_DIGITS_MAX);
        return false;
    }
    double scale = pow(10.0, (double)digits.as.integer);
    double scaled = d * scale;
    if (!isfinite(scaled))      /* too large to have decimals worth rounding */
        return *out = value_float(d), true;
    return *out = value_float(round(scaled) / scale), true;
}

/* min and max: of several arguments, or of one list; of equal values the first. Two
   values '<' can't order are an error named by the builtin, in the order given. */
static bool extreme(Vm *vm, Value *args, uint32_t argc, bool want_max, Value *out)
{
    Value *items = args;
    uint32_t count = argc;
    if (argc == 1 && args[0].type == VAL_LIST) {
        items = args[0].as.list->items;
        count = args[0].as.list->count;
    }
    if (count == 0)
        return *out = VALUE_NULL, true;
    Value best = items[0];
    for (uint32_t i = 1; i < count; i++) {
        int order;
        char why[VM_WHY];
        if (!vm_op_compare3(best, items[i], &order, why)) {
            snprintf(vm->why, sizeof vm->why, "%s: %s", want_max ? "max" : "min", why);
            return false;
        }
        if (want_max ? order < 0 : order > 0)
            best = items[i];
    }
    value_retain(best);
    return *out = best, true;
}

/* Is `text` a JSON number: -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)? */
static bool is_json_number(const char *text, bool *integral)
{
    const char *p = text;
    *integral = true;
    if (*p == '-')
        p++;
    if (*p == '0')
        p++;
    else if (*p >= '1' && *p <= '9')
        while (*p >= '0' && *p <= '9')
            p++;
    else
        return false;
    if (*p == '.') {
        *integral = false;
        if (!(*++p >= '0' && *p <= '9'))
            return false;
        while (*p >= '0' && *p <= '9')
            p++;
    }
    if (*p == 'e' || *p == 'E') {
        *integral = false;
        p++;
        if (*p == '+' || *p == '-')
            p++;
        if (!(*p >= '0' && *p <= '9'))
            return false;
        while (*p >= '0' && *p <= '9')
            p++;
    }
    return *p == '\0';
}

/* number(x): numbers pass; text that is a JSON number is read as one (an integer when it
   has no fraction or exponent and fits 64 bits), as event data is: one past the doubles
   (1e400) is the nearest finite double, one too small for them (1e-400) 0.0; anything
   else is null. */
static Value to_number(Value v)
{
    if (v.type == VAL_INT || v.type == VAL_FLOAT)
        return v;
    bool integral;
    if (v.type != VAL_STRING || !is_json_number(value_text(v), &integral))
        return VALUE_NULL;
    if (integral) {
        errno = 0;
        long long n = strtoll(value_text(v), NULL, 10);
        if (errno != ERANGE)
            return value_int(n);
    }
    double d = strtod(value_text(v), NULL);
    return value_float(isfinite(d) ? d : copysign(DBL_MAX, d));
}

/* format_time's %z: +HHMM, or +HHMMSS when the offset has seconds (ISO 8601's basic
   form, as the tz database writes such an offset). */
static void offset_basic(StrBuf *text, int32_t offset)
{
    int32_t away = abs(offset);
    strbuf_printf(text, "%c%02d%02d", offset < 0 ? '-' : '+', away / 3600, away / 60 % 60);
    if (away % 60)
        strbuf_printf(text, "%02d", away % 60);
}

static bool format_time(Vm *vm, Value t, Value fmt, Value zone, Value *out)
{
    int32_t offset = 0;
    const VmHooks *hooks = vm->input ? vm->input->hooks : NULL;
    const char *zone_name = zone.type == VAL_STRING ? value_text(zone) : NULL;
    if (zone_name && strcmp(zone_name, "UTC") != 0 && vm->in_const) {
        snprintf(vm->why, sizeof vm->why, "format_time: a const can't read the time-zone database "
                 "(zone '%s'): call format_time where the const is used", zone_name);
        return false;
    }
    if (!zone_name && vm_const_time_text(vm, t, "format_time"))
        return false;
    if (zone_name && strcmp(zone_name, "UTC") != 0) {
        if (!hooks || !hooks->zone_offset || hooks->zone_offset(hooks->context, zone_name, t.as.ms, &offset) < 0) {
            if (strncmp(zone_name, "right/", 6) == 0)   /* tz_load refuses it: leap seconds */
                snprintf(vm->why, sizeof vm->why, "format_time: time zone '%s' counts leap seconds, "
                         "which huddle's clock does not: use '%s'", zone_name, zone_name + 6);
            else
                snprintf(vm->why, sizeof vm->why, "format_time: unknown time zone '%s'", zone_name);
            return false;
        }
    } else if (!zone_name && hooks && hooks->zone_offset) {
        hooks->zone_offset(hooks->context, NULL, t.as.ms, &offset);
        zone_name = hooks->zone_name ? hooks->zone_name(hooks->context) : NULL;   /* %Z: the calendar's */
    }
    /* The clock it shows must fall in the years 0000-9999, the four-digit forms the
       directives promise (a time is in them in UTC, but a zone may move it past either
       end: 9999-12-31T23:00:00Z in Asia/Tokyo). */
    int64_t local_ms = t.as.ms + (int64_t)offset * 1000;
    if (local_ms < VM_TIME_FIRST_MS || local_ms >= VM_TIME_END_MS) {
        snprintf(vm->why, sizeof vm->why, "format_time: the time in %s falls %s the year %s, which %%Y cannot write",
                 zone_name ? zone_name : "UTC", local_ms < VM_TIME_FIRST_MS ? "before" : "after",
                 local_ms < VM_TIME_FIRST_MS ? "0000" : "9999");
        return false;
    }
    StrBuf iso = STRBUF_INIT, text = STRBUF_INIT;
    value_write_time(t.as.ms, offset, &iso);     /* YYYY-MM-DDTHH:MM:SS[.mmm](Z|+HH:MM[:SS]) */
    if (strbuf_failed(&iso))
        return *out = value_string_take(&iso), true;   /* null: the VM stops (value.h) */
    const char *s = strbuf_text(&iso);
    static const char *const MONTHS[] = {"January", "February", "March", "April", "May", "June", "July",
                                         "August", "September", "October", "November", "December"};
    static const char *const DAYS[] = {"Thursday", "Friday", "Saturday", "Sunday", "Monday", "Tuesday", "Wednesday"};
    int64_t local_days = local_ms / 86400000 - (local_ms % 86400000 < 0);
    const char *weekday = DAYS[((local_days % 7) + 7) % 7];
    int month = atoi(s + 5);
    for (const char *f = value_text(fmt); *f; f++) {
        if (*f != '%') {
            strbuf_putc(&text, *f);
            continue;
        }
        if (!f[1]) {
            strbuf_free(&iso);
            strbuf_free(&text);
            snprintf(vm->why, sizeof vm->why, "format_time: the pattern ends with a lone '%%' (write %%%% for a %%)");
            return false;
        }
        switch (*++f) {
        case 'Y': strbuf_append(&text, s, 4); break;
        case 'y': strbuf_append(&text, s + 2, 2); break;
        case 'm': strbuf_append(&text, s + 5, 2); break;
        case 'd': strbuf_append(&text, s + 8, 2); break;
        case 'H': strbuf_append(&text, s + 11, 2); break;
        case 'M': strbuf_append(&text, s + 14, 2); break;
        case 'S': strbuf_append(&text, s + 17, 2); break;
        case 'B': strbuf_puts(&text, MONTHS[month - 1]); break;
        case 'b': strbuf_append(&text, MONTHS[month - 1], 3); break;
        case 'A': strbuf_puts(&text, weekday); break;
        case 'a': strbuf_append(&text, weekday, 3); break;
        case 'z': offset_basic(&text, offset); break;
        case 'Z': strbuf_puts(&text, zone_name ? zone_name : "UTC"); break;
        case '%': strbuf_putc(&text, '%'); break;
        default:
            strbuf_free(&iso);
            strbuf_free(&text);
            unsigned char lead = (unsigned char)*f;    /* the whole character, valid UTF-8 */
            int bytes = lead < 0x80 ? 1 : lead < 0xE0 ? 2 : lead < 0xF0 ? 3 : 4;
            snprintf(vm->why, sizeof vm->why, "format_time: unknown directive '%%%.*s'", bytes, f);
            return false;
        }
    }
    strbuf_free(&iso);
    return text_result(vm, "format_time", &text, out);
}

bool vm_builtin_call(Vm *vm, int id, uint32_t argc, Value *out)
{
    Value *a = &vm->stack[vm->sp - argc];
    const char *const NAMES[] = {
#define X(bid, name, min, max, type, flags) name,
        HUDDLE_BUILTINS(X)
#undef X
    };
    const char *name = NAMES[id];
    switch (id) {
    case BUILTIN_LEN:
        if (a[0].type == VAL_STRING) return *out = value_int((int64_t)value_utf8_length(a[0].as.string->data, a[0].as.string->len)), true;
        if (a[0].type == VAL_LIST) return *out = value_int(a[0].as.list->count), true;
        if (a[0].type == VAL_MAP) return *out = value_int(a[0].as.map->count), true;
        if (a[0].type == VAL_NULL) return *out = value_int(0), true;
        return type_error(vm, name, 0, a[0], "a string, a list or a map");
    case BUILTIN_LOWER: case BUILTIN_UPPER:
        if (a[0].type != VAL_STRING) return type_error(vm, name, 0, a[0], "a string");
        return change_case(vm, name, a[0], id == BUILTIN_UPPER, out);
    case BUILTIN_TRIM:
        if (a[0].type != VAL_STRING) return type_error(vm, name, 0, a[0], "a string");
        return *out = trim(a[0]), true;
    case BUILTIN_CONTAINS:
        return vm_op_in(a[1], a[0], out, vm->why);
    case BUILTIN_STARTS_WITH:
        if (a[0].type != VAL_STRING) return type_error(vm, name, 0, a[0], "a string");
        if (a[1].type != VAL_STRING) return type_error(vm, name, 1, a[1], "a string");
        return *out = value_bool(a[1].as.string->len <= a[0].as.string->len &&
                                 memcmp(a[0].as.string->data, a[1].as.string->data, a[1].as.string->len) == 0), true;
    case BUILTIN_SPLIT:
        if (a[0].type != VAL_STRING) return type_error(vm, name, 0, a[0], "a string");
        if (a[1].type != VAL_STRING) return type_error(vm, name, 1, a[1], "a string");
        return split(vm, a[0], a[1], out);
    case BUILTIN_JOIN:
        if (a[0].type != VAL_LIST) return type_error(vm, name, 0, a[0], "a list");
        if (a[1].type != VAL_STRING) return type_error(vm, name, 1, a[1], "a string");
        return join(vm, a[0], a[1], out);
    case BUILTIN_KEYS: {
        if (a[0].type != VAL_MAP) return type_error(vm, name, 0, a[0], "a map");
        Value list = value_list_new(a[0].as.map->count);
        for (uint32_t i = 0; i < a[0].as.map->count; i++)
            value_list_push(list, value_string(a[0].as.map->keys[i]->data, a[0].as.map->keys[i]->len));
        return *out = list, true;
    }
    case BUILTIN_ROUND:
        if (a[0].type != VAL_INT && a[0].type != VAL_FLOAT) return type_error(vm, name, 0, a[0], "a number");
        if (argc == 2 && a[1].type == VAL_FLOAT) {   /* "not a number" would read as a contradiction */
            StrBuf shown = STRBUF_INIT;
            value_write_double(a[1].as.number, &shown);
            snprintf(vm->why, sizeof vm->why, "%s: argument 2 must be an integer, not a double (%.40s)", name,
                     strbuf_text(&shown));
            strbuf_free(&shown);
            return false;
        }
        if (argc == 2 && a[1].type != VAL_INT) return type_error(vm, name, 1, a[1], "an integer");
        return round_number(vm, a[0], argc == 2 ? a[1] : VALUE_NULL, argc == 2, out);
    case BUILTIN_MIN: case BUILTIN_MAX:
        return extreme(vm, a, argc, id == BUILTIN_MAX, out);
    case BUILTIN_STRING: {
        if (vm_text_size(a[0], VM_FORM_TEXT, vm->input ? vm->input->hooks : NULL, VM_STRING_LIMIT)
            > VM_STRING_LIMIT) {
            snprintf(vm->why, sizeof vm->why, "string: the text would be over %d bytes", VM_STRING_LIMIT);
            return false;
        }
        if (vm_const_time_text(vm, a[0], "string"))
            return false;
        StrBuf text = STRBUF_INIT;
        vm_write_text(a[0], vm->input ? vm->input->hooks : NULL, &text);
        *out = value_string_take(&text);
        return true;
    }
    case BUILTIN_NUMBER:
        *out = to_number(a[0]);
        return true;
    case BUILTIN_JSON: {
        if (vm_text_size(a[0], VM_FORM_JSON, NULL, VM_STRING_LIMIT) > VM_STRING_LIMIT) {
            snprintf(vm->why, sizeof vm->why, "json: the text would be over %d bytes", VM_STRING_LIMIT);
            return false;
        }
        StrBuf text = STRBUF_INIT;
        value_write_json(a[0], &text);
        *out = value_string_take(&text);
        return true;
    }
    case BUILTIN_FORMAT_TIME:
        if (a[0].type != VAL_TIME) return type_error(vm, name, 0, a[0], "a time");
        if (a[1].type != VAL_STRING) return type_error(vm, name, 1, a[1], "a string");
        if (argc == 3 && a[2].type != VAL_STRING) return type_error(vm, name, 2, a[2], "a zone name");
        return format_time(vm, a[0], a[1], argc == 3 ? a[2] : VALUE_NULL, out);
    case BUILTIN_NOW:
        return *out = value_time(vm->input ? vm->input->now_ms : 0), true;
    case BUILTIN_META: {
        uint32_t trigger = vm->frame ? vm->frame->trigger : vm->chunk_trigger;
        Value meta = vm->frame ? vm->frame->meta : vm->chunk_meta;
        bool mine = a[0].type == VAL_INT && vm->bc->triggers[trigger].name_index == (uint32_t)a[0].as.integer;
        *out = mine ? meta : VALUE_NULL;
        value_retain(*out);
        return true;
    }
    default:
        snprintf(vm->why, sizeof vm->why, "unknown builtin %d", id);
        return false;
    }
}
