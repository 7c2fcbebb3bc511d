/*
 * fuzz_trigger_file.c - libFuzzer target over `huddle trigger --file EVENTS.jsonl`'s
 * reader (runtime/cli/cli_trigger_file.c): each input is written to a file and submitted
 * as the command does it, on a real store with a directory and a playbook,
 *
 *   huddle trigger --file INPUT --batch B --db STORE --now T [--json]
 *
 * with B from the input's length (1, 2 or 1000 lines a commit: a batch that ends in the
 * middle of the file, and one that holds all of it), and --json for inputs of even length.
 * Lines reach the event door (source, type and id checks, the data's depth and size,
 * unknown fields, times), the directory's away and back events (the directory knows
 * ana and ben), group commit with duplicates inside a batch, and a playbook that starts,
 * joins a case and keeps the data in its frame.
 *
 * What the command owes (docs/runtime.md, "Many events at once"): exit 0 when every line
 * was accepted or a duplicate, 1 when some were refused; never 2 (the harness's
 * arguments are right) or 3 (the store is healthy and small), and never a crash, leak,
 * sanitizer report or hang. Running the same file a second time must accept nothing new
 * unless a line refused the first time is taken now (the file may be run again: an id
 * seen before is a duplicate), so its summary's "accepted" is at most the first run's
 * "refused". The store is made again every 200 inputs. stdout goes to a file the harness
 * reads (the summary); the refusals go to stderr, the fuzzer's log.
 *
 * Seeded with tests/fuzz/seeds-fuzz_trigger_file/, with the dictionary
 * tests/fuzz/fuzz_event.dict. Built by `make fuzz` with -fsanitize=fuzzer,address,undefined.
 */
#include <fcntl.h>
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "scratch.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define STORE_RUNS 200

static const char PLAYBOOK[] =
    "playbook fuzz_trigger_file\n"
    "\n"
    "on fuzz.ev as e\n"
    "  when e.go ?? false\n"
    "  case e.key ?? \"none\" for 1d\n"
    "\n"
    "state hold {\n"
    "  note \"{e.x}\"\n"
    "  wait {\n"
    "    fuzz.ev as more when more.stop ?? false -> done \"stopped\"\n"
    "    after 1d -> done \"held\"\n"
    "  }\n"
    "}\n";

static const char DIRECTORY[] =
    "{\"people\": {\"ana\": {\"email\": \"ana@example.com\", \"manager\": \"ben\"},\n"
    "            \"ben\": {\"email\": \"ben@example.com\"}}}\n";

static char playbook_path[160], directory_path[160], events_path[160], out_path[160], store_path[160];

/* A fresh store with the directory loaded and the playbook deployed. */
static void store_make(void)
{
    scratch_remove(store_path);
    char *load[] = {"huddle-directory", "load", directory_path, "--db", store_path, "--now", "2026-06-01T09:00:00Z",
                    NULL};
    char *deploy[] = {"huddle-deploy", playbook_path, "--db", store_path, "--now", "2026-06-01T09:00:00Z", NULL};
    if (cli_directory(7, load) != CLI_OK || cli_deploy(6, deploy) != CLI_OK)
        abort();
}

static void set_up(void)
{
    const char *folder = scratch_folder("fuzz_trigger_file");
    snprintf(playbook_path, sizeof playbook_path, "%s/fuzz_trigger_file.play", folder);
    snprintf(directory_path, sizeof directory_path, "%s/directory.json", folder);
    snprintf(events_path, sizeof events_path, "%s/events.jsonl", folder);
    snprintf(out_path, sizeof out_path, "%s/out", folder);
    snprintf(store_path, sizeof store_path, "%s/store", folder);
    scratch_write(playbook_path, PLAYBOOK, sizeof PLAYBOOK - 1);
    scratch_write(directory_path, DIRECTORY, sizeof DIRECTORY - 1);
    fflush(stdout);
    int null = open("/dev/null", O_WRONLY);
    if (null < 0 || dup2(null, STDOUT_FILENO) < 0)
        abort();
    close(null);
}

/* One run of the command, its stdout in out_path: the exit status, and the summary's
   `accepted` and `refused` in `counts` (read from the --json summary line, or the
   human one: "N lines: A accepted (...), D duplicates, R refused", each word singular
   for one); -1 when there is none. */
static int trigger_file(size_t size, json_int_t counts[2])
{
    const char *batch = size % 3 == 0 ? "1" : size % 3 == 1 ? "2" : "1000";
    char *argv[] = {"huddle-trigger", "--file", events_path, "--batch", (char *)batch, "--db", store_path,
                    "--now", "2026-06-01T10:00:00Z", "--json", NULL};
    int argc = size % 2 == 0 ? 10 : 9;
    fflush(stdout);
    int saved = dup(STDOUT_FILENO), out = open(out_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (saved < 0 || out < 0 || dup2(out, STDOUT_FILENO) < 0)
        abort();
    close(out);
    int status = cli_trigger(argc, argv);
    fflush(stdout);
    if (dup2(saved, STDOUT_FILENO) < 0)
        abort();
    close(saved);
    FILE *f = fopen(out_path, "r");
    char line[4096], last[4096] = "";
    while (f && fgets(line, sizeof line, f))
        memcpy(last, line, sizeof line);
    if (f)
        fclose(f);
    long long a = -1, r = -1;
    json_t *json = json_loads(last, 0, NULL), *summary = json_object_get(json, "summary");
    const char *colon = strstr(last, ": "), *refused = strstr(last, " refused");
    if (summary) {
        a = json_integer_value(json_object_get(summary, "accepted"));
        r = json_integer_value(json_object_get(summary, "refused"));
    } else if (colon && refused && strstr(colon, " accepted (")) {   /* singular or plural */
        a = strtoll(colon + 2, NULL, 10);
        while (refused > last && refused[-1] >= '0' && refused[-1] <= '9')
            refused--;
        r = strtoll(refused, NULL, 10);
    }
    json_decref(json);
    counts[0] = a;
    counts[1] = r;
    return status;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int runs;
    if (runs == 0)
        set_up();
    if (runs++ % STORE_RUNS == 0)
        store_make();
    scratch_write(events_path, data, size);
    json_int_t first[2], again[2];
    int status = trigger_file(size, first);
    if (status != CLI_OK && status != CLI_REFUSED)
        abort();   /* usage or system error: the harness or a healthy store broke */
    if (first[0] < 0 || first[1] < 0)
        abort();   /* no summary line */
    status = trigger_file(size, again);
    if ((status != CLI_OK && status != CLI_REFUSED) || again[0] < 0 || again[0] > first[1])
        abort();   /* the same file again took lines it took before */
    return 0;
}
