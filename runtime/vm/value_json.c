/*
 * value_json.c - converting between Values and jansson (see value_json.h).
 */
#include "value_json.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "civil.h"

Value value_from_json(const json_t *json)
{
    if (!json)
        return VALUE_NULL;
    switch (json_typeof(json)) {
    case JSON_OBJECT: {
        Value map = value_map_new((uint32_t)json_object_size(json));
        const char *key;
        json_t *item;
        json_object_foreach((json_t *)json, key, item)
            value_map_set(map, key, strlen(key), value_from_json(item));
        return map;
    }
    case JSON_ARRAY: {
        Value list = value_list_new((uint32_t)json_array_size(json));
        size_t i;
        json_t *item;
        json_array_foreach(json, i, item)
            value_list_push(list, value_from_json(item));
        return list;
    }
    case JSON_STRING: return value_string(json_string_value(json), json_string_length(json));
    case JSON_INTEGER: return value_int(json_integer_value(json));
    case JSON_REAL: return value_float(json_real_value(json));
    case JSON_TRUE: return value_bool(true);
    case JSON_FALSE: return value_bool(false);
    default: return VALUE_NULL;
    }
}

json_t *value_to_json(Value v)
{
    switch (v.type) {
    case VAL_NULL: return json_null();
    case VAL_BOOL: return json_boolean(v.as.boolean);
    case VAL_INT: return json_integer(v.as.integer);
    case VAL_FLOAT: return json_real(v.as.number);
    case VAL_DURATION: return json_integer(v.as.ms / 1000);
    case VAL_STRING: return json_stringn(v.as.string->data, v.as.string->len);
    case VAL_TIME:
    case VAL_BUSINESS: {
        StrBuf text = STRBUF_INIT;
        value_write_text(v, 0, &text);
        json_t *s = json_string(strbuf_text(&text));
        strbuf_free(&text);
        return s;
    }
    case VAL_LIST: {
        json_t *array = json_array();
        for (uint32_t i = 0; i < v.as.list->count; i++)
            json_array_append_new(array, value_to_json(v.as.list->items[i]));
        return array;
    }
    case VAL_MAP: {
        json_t *object = json_object();
        for (uint32_t i = 0; i < v.as.map->count; i++)
            json_object_setn_new(object, v.as.map->keys[i]->data, v.as.map->keys[i]->len,
                                 value_to_json(v.as.map->values[i]));
        return object;
    }
    }
    return json_null();
}

static bool digits(const char *s, int n, int *out)
{
    *out = 0;
    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        *out = *out * 10 + (s[i] - '0');
    }
    return true;
}

bool value_parse_time(const char *text, int64_t *ms)
{
    int year, month, day, hour, minute, second, oh = 0, om = 0, millis = 0;
    size_t len = strlen(text);
    if (len < 20 || !digits(text, 4, &year) || text[4] != '-' || !digits(text + 5, 2, &month) ||
        text[7] != '-' || !digits(text + 8, 2, &day) || (text[10] != 'T' && text[10] != ' ') ||
        !digits(text + 11, 2, &hour) || text[13] != ':' || !digits(text + 14, 2, &minute) ||
        text[16] != ':' || !digits(text + 17, 2, &second))
        return false;
    const char *at = text + 19;
    if (*at == '.') {
        int scale = 100;
        for (at++; *at >= '0' && *at <= '9'; at++, scale /= 10)
            millis += scale > 0 ? (*at - '0') * scale : 0;
    }
    int sign = 0;
    if (*at == 'Z' || *at == 'z') {
        at++;
    } else if (*at == '+' || *at == '-') {
        sign = *at == '+' ? 1 : -1;
        if (!digits(at + 1, 2, &oh) || at[3] != ':' || !digits(at + 4, 2, &om))
            return false;
        at += 6;
    } else {
        return false;
    }
    if (*at || month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 ||
        second > 60 || oh > 23 || om > 59)
        return false;
    int64_t days = civil_days_from_date(year, (unsigned)month, (unsigned)day);
    *ms = ((days * 86400 + hour * 3600 + minute * 60 + (second == 60 ? 59 : second)) -
           (int64_t)sign * (oh * 3600 + om * 60)) * 1000 + millis;
    return true;
}
