/*
 * fuzz_trace.c - libFuzzer target over `huddle run`'s trace reader, driven as the command
 * is: each input is written to a file and run with cli_run, as
 *
 *   huddle run PLAYBOOK --events INPUT --mocks MOCKS --directory DIRECTORY [--json]
 *
 * The playbook, mocks and directory below are fixed and written once, at the first
 * input, to a folder of their own (removed at exit). The playbook is card_fraud with
 * its seats taken from the directory: two triggers with a case key, a call answered
 * from the mocks (a reply, a VIP reply, then a failure), an ask with person, team,
 * on-call and lead seats, reminders and an escalation ladder (some in business time,
 * in the directory's calendar), notify and send, and a wait with event arms and an
 * after arm. So each trace line can reach the engine's events, answers, acks, away and
 * back changes of the directory, timers and mocked calls on a virtual clock.
 *
 * Inputs of even length run with --json (the records as JSON lines, as the people
 * scenarios do), odd ones print the timeline, so both printers see every record.
 * stdout goes to /dev/null. Exit status 0 and 1 are both fine (a trace may be refused);
 * anything else aborts: 2 (usage) and 3 (store or system) mean the harness or the run's
 * throwaway store broke. Beyond that, any crash, sanitizer report, leak or timeout is a
 * bug in runtime/ (cli/cli_run.c, engine/, people/, store/store_lmdb.c, the VM).
 * cli_run makes and removes its own store folder (/tmp/huddle-run-XXXXXX) each time.
 *
 * Seeded with tests/fuzz/seeds-fuzz_trace/ (traces for this playbook and directory).
 */
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "scratch.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char PLAYBOOK[] =
    "playbook fuzz_trace \"card fraud, with people from the directory\"\n"
    "\n"
    "calendar \"office\"\n"
    "\n"
    "on fraudwatch.alert as alert\n"
    "  when alert.score >= 0.8\n"
    "  case alert.card for 2d\n"
    "\n"
    "on fraudwatch.cleared as cleared\n"
    "  case cleared.card for 2d\n"
    "\n"
    "state triage {\n"
    "  tag alert.card, alert.merchant ?? \"unknown merchant\"\n"
    "  let account = call bank.lookup({card: alert.card}) else {\n"
    "    note \"Bank lookup failed ({error})\"\n"
    "  }\n"
    "  if account.vip ?? false {\n"
    "    goto decide_vip\n"
    "  }\n"
    "  goto decide\n"
    "}\n"
    "\n"
    "state decide {\n"
    "  ask 2 of person(\"ana\"), person(\"ben\"), team(\"crew\")\n"
    "      \"Freeze card {alert.card} ({case.events} alerts)?\"\n"
    "      choices freeze, watch, clear \"False alarm\" with comment\n"
    "      within 30m\n"
    "      escalate to manager after 10m\n"
    "      remind every 5m\n"
    "      as decision\n"
    "  {\n"
    "    freeze    -> frozen\n"
    "    watch     -> watching\n"
    "    clear     -> done \"false alarm\"\n"
    "    no_quorum -> watching\n"
    "    timeout   -> frozen\n"
    "  }\n"
    "}\n"
    "\n"
    "state decide_vip {\n"
    "  ask any of oncall(\"sre\"), lead(\"crew\") \"VIP card {alert.card}: freeze it?\"\n"
    "      choices freeze, watch\n"
    "      within 1 business hour\n"
    "      escalate to manager after 30 business minutes\n"
    "  {\n"
    "    freeze  -> frozen\n"
    "    watch   -> watching\n"
    "    timeout -> frozen\n"
    "  }\n"
    "}\n"
    "\n"
    "state frozen {\n"
    "  send bank.freeze({card: alert.card})\n"
    "  notify person(\"ana\") \"Card {alert.card} is frozen\"\n"
    "  done \"frozen\"\n"
    "}\n"
    "\n"
    "state watching {\n"
    "  wait {\n"
    "    fraudwatch.alert as more when more.score >= 0.95 -> frozen\n"
    "    fraudwatch.cleared -> done \"cleared\"\n"
    "    after 2h -> done \"nothing more happened\"\n"
    "  }\n"
    "}\n";

static const char MOCKS[] =
    "{\"bank.lookup\": [{\"card\": \"4111-XX-0042\", \"vip\": false},\n"
    "                 {\"card\": \"4111-XX-0043\", \"vip\": true},\n"
    "                 {\"fail\": \"bank down\"}]}\n";

static const char DIRECTORY[] =
    "{\n"
    "  \"people\": {\n"
    "    \"ana\": {\"email\": \"ana@example.com\", \"manager\": \"mia\", \"calendar\": \"office\"},\n"
    "    \"ben\": {\"email\": \"ben@example.com\", \"manager\": \"mia\",\n"
    "            \"away\": [{\"from\": \"2026-11-21\", \"to\": \"2026-11-22\", \"delegate\": \"cy\"}]},\n"
    "    \"cy\":  {\"email\": \"cy@example.com\", \"manager\": \"mia\"},\n"
    "    \"dan\": {\"notify\": \"chat.post\", \"manager\": \"cy\"},\n"
    "    \"mia\": {\"email\": \"mia@example.com\"}\n"
    "  },\n"
    "  \"teams\": {\n"
    "    \"crew\": {\"members\": [\"cy\", \"dan\"], \"lead\": \"mia\"},\n"
    "    \"sre\":  {\"members\": [\"ana\", \"dan\"],\n"
    "             \"oncall\": {\"rotation\": [\"dan\", \"ana\"], \"shift\": \"1d\", \"start\": \"2026-11-01T09:00:00+01:00\"}}\n"
    "  },\n"
    "  \"calendars\": {\n"
    "    \"office\": {\"zone\": \"Europe/Rome\", \"hours\": {\"mon-fri\": \"09:00-17:00\"}, \"holidays\": [\"2026-12-24\"]}\n"
    "  }\n"
    "}\n";

static char playbook_path[96], mocks_path[96], directory_path[96], trace_path[96];

static void set_up(void)
{
    const char *folder = scratch_folder("fuzz_trace");
    snprintf(playbook_path, sizeof playbook_path, "%s/fuzz_trace.play", folder);
    snprintf(mocks_path, sizeof mocks_path, "%s/mocks.json", folder);
    snprintf(directory_path, sizeof directory_path, "%s/directory.json", folder);
    snprintf(trace_path, sizeof trace_path, "%s/trace.jsonl", folder);
    scratch_write(playbook_path, PLAYBOOK, sizeof PLAYBOOK - 1);
    scratch_write(mocks_path, MOCKS, sizeof MOCKS - 1);
    scratch_write(directory_path, DIRECTORY, sizeof DIRECTORY - 1);
    /* The run prints its timeline or records: keep them out of the fuzzer's log. */
    fflush(stdout);
    int null = open("/dev/null", O_WRONLY);
    if (null < 0 || dup2(null, STDOUT_FILENO) < 0)
        abort();
    close(null);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int ready;
    if (!ready) {
        set_up();
        ready = 1;
    }
    scratch_write(trace_path, data, size);
    char *argv[] = {"huddle-run", playbook_path, "--events", trace_path, "--mocks", mocks_path,
                    "--directory", directory_path, "--json", NULL};
    int argc = size % 2 == 0 ? 9 : 8;
    int status = cli_run(argc, argv);
    fflush(stdout);
    if (status != CLI_OK && status != CLI_REFUSED)
        abort();   /* usage or system error: the harness or the throwaway store broke */
    return 0;
}
