/*
 * bench_values.c - why the VM computes on its own tagged Value rather than on jansson's
 * json_t: the same small workload on both, timed in one run.
 *
 * The workload is what a `when` or an interpolation does all day: read two fields of an
 * event, add them, compare the sum, and build a small map. jansson stays at the edges
 * (events in, records out); see docs/internals.md.
 */
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "common.h"
#include "value.h"

#define ROUNDS 2000000

static double bench_jansson(long *checksum)
{
    json_t *event = json_pack("{s:I, s:I, s:s, s:s}", "mentions", (json_int_t)120, "previous",
                              (json_int_t)40, "product", "Lumia 920", "feature", "camera");
    double start = wall_seconds();
    for (long i = 0; i < ROUNDS; i++) {
        json_int_t a = json_integer_value(json_object_get(event, "mentions"));
        json_int_t b = json_integer_value(json_object_get(event, "previous"));
        json_t *sum = json_integer(a + b + i % 3);
        json_t *out = json_object();
        json_object_set_new(out, "total", sum);
        json_object_set(out, "product", json_object_get(event, "product"));
        *checksum += json_integer_value(json_object_get(out, "total")) > 150;
        json_decref(out);
    }
    double elapsed = wall_seconds() - start;
    json_decref(event);
    return elapsed;
}

static double bench_values(long *checksum)
{
    Value event = value_map_new(4);
    value_map_set(event, "mentions", 8, value_int(120));
    value_map_set(event, "previous", 8, value_int(40));
    value_map_set(event, "product", 7, value_cstring("Lumia 920"));
    value_map_set(event, "feature", 7, value_cstring("camera"));
    double start = wall_seconds();
    for (long i = 0; i < ROUNDS; i++) {
        int64_t a = value_map_get(event, "mentions", 8)->as.integer;
        int64_t b = value_map_get(event, "previous", 8)->as.integer;
        Value out = value_map_new(2);
        value_map_set(out, "total", 5, value_int(a + b + i % 3));
        Value product = *value_map_get(event, "product", 7);
        value_retain(product);
        value_map_set(out, "product", 7, product);
        *checksum += value_map_get(out, "total", 5)->as.integer > 150;
        value_release(out);
    }
    double elapsed = wall_seconds() - start;
    value_release(event);
    return elapsed;
}

int main(void)
{
    long check_a = 0, check_b = 0;
    double best_json = 1e9, best_value = 1e9;
    for (int run = 0; run < 3; run++) {
        double j = bench_jansson(&check_a), v = bench_values(&check_b);
        best_json = j < best_json ? j : best_json;
        best_value = v < best_value ? v : best_value;
    }
    if (check_a != check_b) {
        fprintf(stderr, "bench_values: the two workloads disagree\n");
        return 1;
    }
    printf("values (read 2 fields, add, build a 2-key map; %d rounds, best of 3)\n", ROUNDS);
    printf("  %-28s %12.0f ops/s\n", "jansson json_t", ROUNDS / best_json);
    printf("  %-28s %12.0f ops/s\n", "tagged Value", ROUNDS / best_value);
    printf("  %-28s %12.1fx\n", "Value speed-up", best_json / best_value);
    return 0;
}
