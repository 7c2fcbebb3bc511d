/*
 * cli.c - the `huddle` command table, help and version, and shared CLI helpers.
 */
#include "cli.h"
#include "bytecode.h"

#include <errno.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static int cli_help(int argc, char **argv);

/* What every write command's help says of --db and --now (RUNTIME.md, "Limits and
   damage"). */
#define HELP_DB_NOW \
    "  --db DIR         the store (default $HUDDLE_DB, else ./huddle.db)\n" \
    "  --now T          engine time for this write, RFC 3339 (2026-06-15T08:10:00+03:00),\n" \
    "                   from 1970 to before 9000; never earlier than the store's engine\n" \
    "                   time, which every write without --now moves to the wall clock\n" \
    "                   (simulate other times with another --db, or huddle run)\n"
#define HELP_WRITE HELP_DB_NOW \
    "  --json           say what happened as one JSON object: what was done, and (for\n" \
    "                   the commands that move instances) where each instance it touched\n" \
    "                   stands now and the history records it wrote\n" \
    HELP_WRITE_WORDS
#define HELP_WRITE_WORDS \
    "Without --json the command says the same in words. A refusal (exit 1) still fires\n" \
    "the timers due by its time and says what they did on stdout (--json:\n" \
    "{\"refused\": true, \"instances\", \"records\"}).\n" \
    "A store an earlier huddle wrote (schema 1) is converted by its first write, in one\n" \
    "transaction, and stderr says so once (docs/runtime.md, \"Stores of schema 1 to 6\").\n"
/* What the commands that name people say of them; HELP_PEOPLE for those that name a
   TASK too. */
#define HELP_PERSON \
    "\n" \
    "A PERSON is a person id (no white space at its ends, no control characters, at\n" \
    "most 256 bytes), and one the store's directory has when it has one.\n"
#define HELP_PEOPLE HELP_PERSON \
    "TASK is t1, t2, ...; a malformed argument is a usage error (exit 2), an unknown one\n" \
    "a refusal (exit 1).\n"
/* What the commands that read event data say of its size. */
#define HELP_MAX_BODY \
    "  --max-body BYTES\n" \
    "                   the most bytes an event's data may have: 1048576 (1 MiB)\n" \
    "                   unless this or the environment's HUDDLE_MAX_BODY says otherwise;\n" \
    "                   more is refused before it is read as JSON. A trace or events-file\n" \
    "                   line may be 65536 bytes longer than its data; an event whose data\n" \
    "                   is over the limit is a refused line, and the rest go on\n"

/* `huddle help audit` (docs/audit.md is the auditor's guide). */
#define AUDIT_HELP \
    "Every history record is hash-chained per instance (SHA-256 over the previous link and\n" \
    "the record's canonical JSON, RFC 8785 with exact integers), and every record's link\n" \
    "is chained into one store-wide head in commit order (docs/audit.md).\n" \
    "\n" \
    "  verify   checks every chain; names each record changed, removed, inserted or\n" \
    "           reordered (instance and seq) and a store head that does not match its\n" \
    "           records. --head HASH (a head kept elsewhere) also finds the newest\n" \
    "           records cut off. Exit 0 clean, 1 tampered, 2 usage, 3 store error.\n" \
    "  head     prints the store-wide head (64 hex digits; --json adds the count).\n" \
    "  export   --format jsonl (default): a header line, every record in commit order\n" \
    "           with its order, prev, hash and chain, and a {head, count} line;\n" \
    "           tools/verify_export.py checks it without Huddle. --format csv: one\n" \
    "           decision a row (columns in docs/audit.md; not with --json: exit 2).\n" \
    "           --since T: from the first record at or after T.\n" \
    "  search   past decisions, newest first, matching every filter given: playbook,\n" \
    "           state, choice, person (held a seat, answered, was away as it was asked,\n" \
    "           or overrode it or reassigned a seat), outcome (a done's outcome, a\n" \
    "           fail's reason, cancelled; failed: every failed one), tag, words\n" \
    "           in the question, comments and notes (at least one: blanks only is a\n" \
    "           usage error), time asked (--since/--until, both ends included; from\n" \
    "           1970 to before 9000, else a usage error, exit 2).\n" \
    "  stats    per playbook and state, over the decisions search's filters keep:\n" \
    "           decisions, time to decision (median, p90), how many were delegated or\n" \
    "           escalated, choices and outcomes (failed: REASON) with their counts,\n" \
    "           who is asked most (held a seat) and who answers slowest (median after\n" \
    "           getting the seat).\n" \
    "The store is opened read-only: an older store is neither converted nor chained.\n"

static const CliCommand COMMANDS[] = {
    {"check", "check playbooks and print diagnostics",
     "huddle check FILE... [--json] [--connectors FILE] [--directory FILE]",
     "Parses and checks each playbook, printing every error and warning like a compiler:\n"
     "file:line:col, the source line, a caret under the problem, and a hint where one\n"
     "helps. Exits 1 when any file has an error, 0 otherwise (warnings alone pass).\n"
     "\n"
     "  --json              print the diagnostics as one JSON object on stdout\n"
     "  --connectors FILE   read and check a connectors file (every problem listed, as\n"
     "                      FILE: connectors.NAME.field: what is wrong; secrets are\n"
     "                      refused, only *_env names of variables), then refuse\n"
     "                      connectors and operations it does not name, as deploy does\n"
     "  --directory FILE    pre-flight: also warn of literal people, teams, roles, owners\n"
     "                      and calendars the directory lacks, people nobody can tell,\n"
     "                      escalation levels that would be empty, and asks whose\n"
     "                      literal seats hold fewer people than the quorum (warnings, as\n"
     "                      huddle deploy reports them against the store's directory);\n"
     "                      with --connectors too, also people told through an operation\n"
     "                      no http connector has, or by e-mail with no smtp connector\n",
     cli_check},
    {"graph", "draw a playbook's states as a Graphviz graph",
     "huddle graph FILE [--svg] [-o OUT] [--db DIR --instance I]",
     "Prints the playbook as a Graphviz DOT graph: states are nodes; gotos, ask and wait\n"
     "arms, escalations and timeouts are labelled edges; done and fail are end nodes.\n"
     "With --instance, the path instance I of the store took is drawn on it: each state\n"
     "it entered filled, labelled with the order it was entered in (\"1, 3\"), and the\n"
     "state it is in now, or the end it reached, outlined. I must be an instance of\n"
     "FILE's playbook (exit 1 otherwise). An instance of another version is drawn with\n"
     "a note on stderr, unless its path went through a state FILE has not (exit 1:\n"
     "draw it on its own version's file). A playbook that huddle check refuses is not\n"
     "drawn: graph prints check's diagnostics and exits 1.\n"
     "\n"
     "  --svg           render SVG with Graphviz's dot instead of printing DOT\n"
     "  -o OUT          write to OUT instead of stdout (never FILE itself: exit 2); with\n"
     "                  --svg, OUT is replaced only once dot has rendered the picture\n"
     "  --db DIR        the store the instance is in (with --instance; default\n"
     "                  $HUDDLE_DB, else ./huddle.db)\n"
     "  --instance I    draw the path instance I took\n",
     cli_graph},
    {"build", "compile a playbook to bytecode",
     "huddle build FILE [-o OUT.hbc]",
     "Checks and compiles FILE to bytecode, writes it to OUT (default: FILE with .hbc),\n"
     "and prints its version: the SHA-256 of the bytes. The same source always gives the\n"
     "same bytes. OUT may not be FILE itself (a usage error, exit 2).\n"
     "\n"
     "  -o OUT.hbc   where to write the bytecode\n",
     cli_build},
    {"disasm", "list a playbook's bytecode with its source",
     "huddle disasm FILE.play|FILE.hbc",
     "Prints the bytecode of a playbook (compiling it first) or of a .hbc file (verifying\n"
     "it first; what huddle build wrote is known by its first bytes under any name):\n"
     "its asks and waits, then every instruction, with each source line shown before the\n"
     "instructions compiled from it.\n",
     cli_disasm},
    {"run", "simulate a playbook against a trace, on a virtual clock",
     "huddle run FILE.play --events TRACE.jsonl [--directory F] [--mocks F] [--connectors F] [--keep DIR] [--max-body BYTES] [--json]",
     "Runs FILE on a fresh, throwaway store (--keep DIR keeps it). Each line of TRACE\n"
     "is a JSON object with an \"at\" time and one of \"event\", \"answer\", \"ack\",\n"
     "\"away\", \"back\" or \"end\"; virtual time moves to each line's \"at\", firing\n"
     "the timers due on the way. Calls are answered from the --mocks file\n"
     "(connector.operation -> a reply, a list of replies used in turn, or {\"fail\":\n"
     "\"message\"}; a \"fail\" that is no text, an empty list or a name with no dot\n"
     "makes the mocks unreadable). Prints the timeline, or with --json one history\n"
     "record a line and a closing {\"summary\": ...} line. The timeline's times are in\n"
     "the zone of the playbook's calendar (from --directory), as huddle history says\n"
     "them; without one, at the offset of the trace's first \"at\".\n"
     "\n"
     "A line has \"at\" and exactly one of those, with only the fields RUNTIME.md names, each\n"
     "of its type (an event's \"id\" is text); anything else makes the trace unreadable:\n"
     "the run stops with the line's number (exit 1). An answer or ack\n"
     "may name \"task\", or \"instance\" (and \"state\"); else it goes to the one open ask\n"
     "its person can still answer (huddle tasks --for), else the one where they hold a\n"
     "seat. A line the runtime refuses (a late answer, someone with no seat, an unknown\n"
     "choice, an event id over 256 bytes, as trigger refuses it) is shown where it\n"
     "happened (REFUSED, or\n"
     "{\"refused\": {\"line\", \"why\"}} with --json), changes nothing, and the run goes\n"
     "on; the summary counts them (\"refused\": N). An event that started and joined\n"
     "nothing (no trigger matched, a when or case failed, a threshold still counts, a\n"
     "duplicate) is a line of its own; with --json {\"unmatched\": {\"line\", \"source\",\n"
     "\"type\", \"id\", \"duplicate\", \"went\"}}.\n"
     "\n"
     "Exit 0 when the trace ran to its end (lines refused or not), 1 when the playbook,\n"
     "the directory, the mocks or the trace could not be read, 3 when the run's own store\n"
     "failed (no room on disk, out of memory, ...): the run stops at that line and says\n"
     "\"the store failed\" or what the engine's code was, and why.\n"
     "\n"
     "  --events TRACE   the trace, one JSON object a line, in time order\n"
     "  --directory F    the directory of people, teams and calendars\n"
     "  --mocks FILE     replies for calls\n"
     "  --connectors F   check the playbook against the connectors file F, as deploy does;\n"
     "                   a failing mock of a connector F names is then a failed attempt,\n"
     "                   tried again (with the next mock) after the connector's backoff in\n"
     "                   virtual time (1 s doubling, jitter from the call's key), until its\n"
     "                   retries are spent; without F a failing mock fails the call at once.\n"
     "                   Nothing is delivered: sends and notifies are recorded only.\n"
     "                   An event that does not fit its type in F's \"events\" is refused\n"
     "                   (shown with the field's path), as serve and trigger refuse it.\n"
     "  --keep DIR       make the run's store in DIR (a new or empty folder) and keep it,\n"
     "                   so history, tasks, instances and audit (verify, search, export,\n"
     "                   stats) can read what the run recorded; its engine time is the\n"
     "                   trace's last time. Kept whatever the exit, with what ran.\n"
     HELP_MAX_BODY
     "  --json           records as JSON lines\n",
     cli_run},
    {"deploy", "compile playbooks and store them as the current versions",
     "huddle deploy FILE... [--db DIR] [--connectors F] [--now T] [--json]",
     "Checks and compiles each playbook and stores it under its version hash, making it\n"
     "the playbook's current version; instances already running keep the version they\n"
     "started with. Creates the store when DIR does not exist (default $HUDDLE_DB, else ./huddle.db).\n"
     "All or nothing: when any playbook or the connectors file is refused, nothing is\n"
     "deployed and nothing kept (exit 1); so are two files of one playbook in different\n"
     "versions (the same file twice, or a copy of it, is deployed and reported once).\n"
     "\n"
     "  --connectors F   check the connectors file F as huddle check does, refuse a call,\n"
     "                   send or trigger source it does not name, and keep its connectors\n"
     "                   in the store (the names of their secrets' variables, never a\n"
     "                   secret) in the same transaction, replacing those kept before.\n"
     "                   Without it, the store's kept connectors (if any) are checked\n"
     "                   against and kept as they are. huddle connectors shows them.\n"
     HELP_DB_NOW
     "  --json           say what was deployed as JSON Lines: {\"playbook\", \"version\"}\n"
     "                   a playbook, then {\"connectors\": N} when --connectors kept some\n"
     HELP_WRITE_WORDS,
     cli_deploy},
    {"connectors", "show the connectors the store keeps",
     "huddle connectors [--db DIR] [--json]",
     "Shows the connectors the last deploy --connectors kept: each one's kind, URL,\n"
     "operations, and the names of the environment variables its secrets come from\n"
     "(never a secret: the store holds none). With --json, {\"connectors\": {...}} in the\n"
     "form kept (the file's fields, defaults written out), or {\"connectors\": null}\n"
     "when none are kept.\n",
     cli_connectors},
    {"trigger", "submit one event",
     "huddle trigger SOURCE.TYPE [--db DIR] [--id ID] [--time T] [--now T] [--max-body BYTES] [--json] < data.json\n"
     "       huddle trigger --file EVENTS.jsonl [--batch N] [--db DIR] [--now T] [--max-body BYTES] [--json]",
     "Reads the event's data (JSON) from standard input and hands it to every deployed\n"
     "playbook: it may start an instance, join an open case, be counted toward a\n"
     "threshold, or match nothing; the line printed says which, per playbook, and a line\n"
     "per instance it touched says where it stands, as after every write (\"  i2: now asks\n"
     "t2 (in decide)\", \"  i3: stalled: f.play:6: division by zero\"); --json: {\"id\",\n"
     "\"duplicate\", \"went\", \"instances\", \"records\"}, a duplicate's lists empty.\n"
     "An id accepted within the store's dedup period (30 days unless tick --dedup-days\n"
     "set another) is a duplicate and changes nothing;\n"
     "an older one is a new event. The source, type and id are at most 256 bytes each\n"
     "(longer ones are refused, never cut), without control characters; the data nests at\n"
     "most 1,000 deep.\n"
     "When the store keeps connectors (deploy --connectors), SOURCE is one of those that\n"
     "send events, or directory (directory.away, directory.back), as for serve. A refused\n"
     "event changes nothing of its own, but the timers due by its time still fire.\n"
     "\n"
     "With --file, submits many events, one JSON object a line ({\"source\", \"type\",\n"
     "\"id\", \"time\", \"data\"}: time optional, RFC 3339, default engine time; data\n"
     "optional, default {}), in group-committed batches, for imports and backfills. Each\n"
     "line is checked as a single event is; a refused line is shown as FILE:LINE: why\n"
     "on stderr, counted, and the others go on. An id seen before (in the store or\n"
     "earlier in the file) is a duplicate, so the same file may be run again. Blank\n"
     "lines are skipped; the file is read a line at a time. The summary says\n"
     "\"N lines: A accepted (S started, J joined, C counted), D duplicates, R refused\"\n"
     "(--json: a {\"refused\": {\"line\", \"why\"}} line each, then {\"summary\": {...}}).\n"
     "Exit 0 when every line was accepted or a duplicate, 1 when some were refused, 3\n"
     "when the store failed: every batch committed before it stays, and the message\n"
     "names the line to resume from (running the same file again is the same).\n"
     "\n"
     "  --id ID          the event's id (default: one made from the time and process)\n"
     "  --time T         the event's own time (data only), RFC 3339\n"
     "  --file F         events, one JSON object a line (- reads standard input)\n"
     "  --batch N        lines per commit, 1 to 100000 (default 1000; a batch also ends\n"
     "                   at 16 MiB of lines)\n"
     HELP_MAX_BODY
     HELP_WRITE,
     cli_trigger},
    {"answer", "answer an open ask",
     "huddle answer TASK CHOICE --by PERSON [--comment TEXT] [--db DIR] [--now T] [--json]",
     "Answers TASK as PERSON, who must hold an open seat on it. An unknown choice, a\n"
     "missing required comment or a second answer by the same person is refused and\n"
     "changes nothing. Repeating an identical answer is taken and changes nothing:\n"
     "\"ana had answered t1 already (yes), at T; nothing changed\" (exit 0; --json:\n"
     "\"duplicate\": true and that \"note\"). Without --json it says what came next:\n"
     "the new task, the outcome, or \"i1: stalled: REASON\".\n"
     HELP_PEOPLE "\n"
     "  --by PERSON      who answers\n"
     "  --comment TEXT   the answer's comment, kept in its record (huddle history shows\n"
     "                   it): needed for a choice declared `with comment` (one missing,\n"
     "                   or only blanks, is refused), optional for the others\n"
     HELP_WRITE,
     cli_answer},
    {"tick", "fire due timers and deliver the outbox once",
     "huddle tick [--db DIR] [--now T] [--dedup-days N] [--json]",
     "Fires every timer due at or before now, each at its own due time, in order, then\n"
     "deletes the entries of event ids accepted longer ago than the store's dedup period\n"
     "(30 days; --dedup-days N, a whole number from 1 to 36500, makes N the store's\n"
     "period, for every later command and serve). Within the period a repeated event id\n"
     "is a duplicate and changes nothing; after it the id is a new event, deleted or not.\n"
     "A timer, task or instance the store cannot read stops the tick with\n"
     "exit 3, naming it.\n"
     "Then it delivers the outbox once, through the connectors deploy --connectors kept:\n"
     "every entry due at now (calls, sends, messages to people) is tried once, waiting\n"
     "for the replies (each within its connector's timeout_ms); a call's reply (or its\n"
     "final failure) resumes its instance at once, and a reply that makes a new call is\n"
     "delivered in the same tick, for 100 rounds of such calls at most (a loop that calls\n"
     "again on every reply spins while its peer answers at once): then the tick ends,\n"
     "saying so (--json: \"chain_cut\": true), and the next tick goes on. The same call\n"
     "made again by a failed call's else is first tried a second later. A failed attempt\n"
     "is tried again by a later tick, after its backoff (1 s doubling to 1 h, with\n"
     "jitter). Entries whose connector is not kept wait, as do messages to people whose\n"
     "notify operation no kept connector has.\n"
     "It prints \"outbox: N delivered, N to try again, N failed\" and each record\n"
     "the tick wrote but the delivered ones (huddle history INSTANCE shows those); with\n"
     "--json, \"outbox\": {delivered, retried, failed} when it delivered any, and every\n"
     "record. huddle outbox shows what waits (docs/connectors.md).\n"
     "Beside a running huddle serve (which fires timers and delivers by itself) tick\n"
     "refuses with exit 3.\n"
     "\n" HELP_WRITE,
     cli_tick},
    {"outbox", "show the outbox, or send a failed entry again",
     "huddle outbox [--db DIR] [--pending|--failed] [--json] | huddle outbox retry KEY [--db DIR] [--now T] [--json]",
     "Lists the outbox's entries, oldest first: calls and sends waiting for delivery,\n"
     "messages to people (asked, reminded, escalated, outcome, cancelled, notify) and\n"
     "what failed for good, and the audit heads serve --publish-head sends. Each line:\n"
     "the idempotency key (STORE:INSTANCE:STEP:INDEX; a message's recipients take INDEX,\n"
     "INDEX+1, ...: a notify's in the order the statement reached them, as its notified\n"
     "records list them, the runtime's own messages' by seat, then person id; a head's\n"
     "is STORE:head:COUNT), its status, instance (- for a head), what it is, attempts,\n"
     "the next try (for an entry a tick or serve claimed, in flight or left by one that\n"
     "was killed, the end of its lease: \"(leased: ...)\") and the last error, or why it\n"
     "waits untried (a secret's environment variable not set: no attempt is counted,\n"
     "and the first tick that has it set delivers it).\n"
     "  --pending        only entries waiting to be delivered\n"
     "  --failed         only entries that failed for good (a send or message past its\n"
     "                   24 h of retries, or refused with a 4xx other than 408 and 429),\n"
     "                   and messages a recipient of which did while others still wait\n"
     "  --json           the entries as a JSON array\n"
     "(--pending and --failed together are a usage error, exit 2.)\n"
     "huddle outbox retry KEY makes the failed entry holding KEY pending again (its\n"
     "failed recipients too): the next huddle tick, or serve, sends it with the same\n"
     "keys, and its 24 h start again; a message whose other recipients still wait\n"
     "gets its failed ones tried again beside them. A key no entry holds, or of an\n"
     "entry no recipient of which has failed, is refused (exit 1). The timers due by its time fire first; it says where\n"
     "each instance they touched stands, as every write does.\n"
     "  --db DIR         the store (default $HUDDLE_DB, else ./huddle.db)\n"
     "  --now T          engine time of the retry (never earlier than the store's)\n"
     "  --json           (retry) {\"retry\": KEY, \"status\": \"pending\", \"instances\",\n"
     "                   \"records\"}\n",
     cli_outbox},
    {"instances", "list instances with their versions",
     "huddle instances [--db DIR] [--playbook P] [--status S] [--tag T] [--case KEY] [--since T] [--until T] [--json]",
     "Lists instances: id, playbook, status (running, done, failed, cancelled or\n"
     "stalled), state, the version (program hash) each one runs, and its outcome; --json\n"
     "adds each one's tags, case key and when it started. An instance the store cannot\n"
     "read is named, with exit 3.\n"
     "\n"
     "  --playbook P     only instances of playbook P\n"
     "  --status S       only those with status S, one of those five (another word is a\n"
     "                   usage error, exit 2)\n"
     "  --tag T          only those tagged T\n"
     "  --case KEY       only the one of case key KEY\n"
     "  --since T        only those that started at or after T (RFC 3339, from 1970 to\n"
     "                   before 9000: another is a usage error, exit 2)\n"
     "  --until T        only those that started before T\n"
     "  --db DIR         the store (default $HUDDLE_DB, else ./huddle.db)\n"
     "  --json           a JSON array\n",
     cli_instances},
    {"tasks", "list open asks: a person's inbox",
     "huddle tasks [--db DIR] [--for PERSON] [--json]",
     "Lists open asks with their question, choices, deadline (local to the playbook's\n"
     "calendar, as history shows times; --json: UTC), seats and context; with\n"
     "--for, only those PERSON can still answer: they hold a seat nobody has answered,\n"
     "and have not answered the task themselves (an ask they acknowledged stays); a\n"
     "PERSON the store's directory lacks is refused (exit 1). Under\n"
     "each, up to three similar past decisions (same playbook and state, most shared\n"
     "tags first; --json: \"similar\"), what was chosen, by whom and how it ended. A task\n"
     "the store cannot read (its record, its instance's or its program) is named, with\n"
     "exit 3 and nothing listed, --json and --for included.\n",
     cli_tasks},
    {"playbooks", "list deployed playbooks, their versions and instances",
     "huddle playbooks [--db DIR] [--json]",
     "Lists each playbook ever deployed: whether it is undeployed (no new instances),\n"
     "its current version and each older version with instances still running or\n"
     "stalled, when each was deployed, and how many instances each has by status.\n"
     "--json prints [{\"name\", \"undeployed\", \"versions\": [{\"version\", \"current\",\n"
     "\"deployed\", \"instances\": {STATUS: N}}]}].\n",
     cli_playbooks},
    {"history", "an instance's timeline",
     "huddle history INSTANCE [--db DIR] [--json]",
     "Prints the instance's history as a timeline, one line a record: the local time in\n"
     "the zone of the playbook's calendar (UTC without one) with its offset, then who did\n"
     "what, e.g. \"2026-06-15 09:10 +03:00  asked anna, ming (t1): Is the ...?\": who\n"
     "held each seat and why (\"t1 seat 1: lars asked in anna's place (anna is away\n"
     "until 2026-06-21 00:00 +03:00)\", \"t1 escalated to level 1: craig added\"), who\n"
     "answered what with which comment and how long after they got the seat (\", 30m\n"
     "after being asked\"), what was sent where. With --json, one JSON record a line, as\n"
     "stored (times RFC 3339 in UTC, with Z). An unknown instance is refused (exit 1); a\n"
     "record the store cannot read is named by instance and seq, with exit 3. Records\n"
     "that do not run 1, 2, 3, ... (a store changed around Huddle) are printed as\n"
     "stored, with a warning on stderr naming the first out of place (exit 0): huddle\n"
     "audit verify says what was done.\n",
     cli_history},
    {"audit", "the decision record: verify, head, export, search, stats",
     "huddle audit verify [--head HASH] | head | export [--format jsonl|csv] [--since T] | "
     "search [--playbook P] [--state S] [--choice C] [--person P] [--asked P] [--held P] "
     "[--answered P] [--outcome O] [--tag T] [--words TEXT] [--since T] [--until T] [--limit N] | "
     "stats [the filters of search but --limit]; all take [--db DIR] [--json]",
     AUDIT_HELP,
     cli_audit},
    {"undeploy", "stop new instances of a playbook",
     "huddle undeploy NAME [--db DIR] [--now T] [--json]",
     "New events no longer start instances of NAME; running instances go on with the\n"
     "version they started with.\n"
     "\n" HELP_WRITE,
     cli_undeploy},
    {"retry", "resume a stalled instance",
     "huddle retry INSTANCE [--goto STATE] | huddle retry --all-stalled [--playbook P]; both take [--by PERSON] [--reason TEXT] [--db DIR] [--now T] [--json]",
     "Resumes a stalled instance from the same suspension with the same input (its effects\n"
     "keep their step number); one a failed call stalled makes the call again (a new key)\n"
     "and waits for its reply. With --goto it enters STATE instead (also for an instance\n"
     "whose first step stalled; an ask it waited in is cancelled, its holders told).\n"
     "Says \"ID stalled again: ERROR\" when the retried step failed again. INSTANCE is\n"
     "i1, i2, ... The `retried` record always has by and reason, null when --by or --reason\n"
     "is not given (over HTTP, by is the token's person and the token is named); --by\n"
     "must be a person of the directory and a --reason hold words, as for cancel (exit 1).\n"
     "With --all-stalled, retries every stalled instance (of playbook P with --playbook),\n"
     "each reported (retried, or why not), then says where each one stands; --json gives\n"
     "{\"retried\": [{\"instance\", \"retried\", \"why\"}], \"instances\", \"records\"}, why\n"
     "null for a retry that went through, \"ID stalled again: ERROR\", or why it could not\n"
     "be retried (retried false). Exit 0 when every retry went through (an instance may\n"
     "stall again: it is shown).\n"
     "\n" HELP_WRITE,
     cli_retry},
    {"cancel", "end an instance as cancelled",
     "huddle cancel INSTANCE --by PERSON --reason TEXT [--db DIR] [--now T] [--json]",
     "Ends a running or stalled instance as cancelled, recording who and why (a reason is\n"
     "needed), and tells the holders of its open ask.\n"
     HELP_PERSON
     "INSTANCE is i1, i2, ...; a malformed argument is a usage error (exit 2), an unknown\n"
     "one a refusal (exit 1).\n"
     "\n"
     "  --by PERSON      who cancels it (recorded)\n"
     "  --reason TEXT    why (recorded; blanks only are refused)\n"
     HELP_WRITE,
     cli_cancel},
    {"resolve", "decide an open ask as an override",
     "huddle resolve TASK CHOICE --by PERSON --reason TEXT [--db DIR] [--now T] [--json]",
     "Decides TASK with CHOICE whatever its votes say: an `overridden` record (by, reason,\n"
     "the votes so far), then `resolved`, and the instance goes on as if its quorum had\n"
     "chosen. Everyone holding a seat is told.\n"
     HELP_PEOPLE "\n"
     "  --by PERSON      who overrides the ask (recorded)\n"
     "  --reason TEXT    why (recorded; blanks only are refused)\n"
     HELP_WRITE,
     cli_resolve},
    {"reassign", "hand a seat of an open ask to someone else",
     "huddle reassign TASK [--from HOLDER] --to PERSON --by PERSON [--db DIR] [--now T] [--json]",
     "Every open seat of TASK that HOLDER holds goes to PERSON instead (a `delegated`\n"
     "record each, why: reassigned); PERSON is told and finds TASK in their inbox, HOLDER\n"
     "no longer does. HOLDER need only hold the seat (a holder the directory has lost can\n"
     "still be replaced). Without --from, PERSON is given every open seat that has no\n"
     "holder (a WHO that resolved to nobody). The quorum is re-checked after.\n"
     HELP_PEOPLE "\n"
     "  --from HOLDER    the holder whose seats move\n"
     "  --to PERSON      who gets them\n"
     "  --by PERSON      who reassigns them (recorded)\n"
     HELP_WRITE,
     cli_reassign},
    {"ack", "acknowledge an ask: your seats escalate no further",
     "huddle ack TASK --by PERSON [--db DIR] [--now T] [--json]",
     "Records that PERSON is on it: every open seat of TASK they hold escalates no\n"
     "further. It cannot be undone; the deadline still holds. An ack by someone whose\n"
     "seats are all acknowledged already is taken and changes nothing: \"ben had\n"
     "acknowledged t1 already, at T; nothing changed\" (exit 0; --json: \"duplicate\":\n"
     "true and that \"note\").\n"
     HELP_PEOPLE "\n"
     "  --by PERSON      who acknowledges\n"
     HELP_WRITE,
     cli_ack},
    {"directory", "load or show the directory of people, teams and calendars",
     "huddle directory load FILE [--db DIR] [--now T] [--json] | huddle directory show [ID] [--db DIR] [--json]",
     "load replaces the directory in one transaction after checking it; every problem is\n"
     "listed by its JSON path (people.ming.away[0].to: 2026-02-30 is not a date: February\n"
     "2026 has 28 days) and nothing changes (no store is made for a directory refused).\n"
     "Person ids have no white space at their ends (a no-break space included) and no\n"
     "control characters, at most 256 bytes.\n"
     "show prints it, or one person, team, calendar, role or owner map by id, as JSON\n"
     "(with --json too: its output is JSON either way). show only reads: it takes no\n"
     "--now (exit 2), and fires no timer. --now and the rest below are load's.\n"
     "\n" HELP_WRITE,
     cli_directory},
    {"serve", "run the runtime as a service: webhooks, answers over HTTP, timers",
     "huddle serve [--db DIR] [--listen HOST:PORT] [--connectors F] [--tokens F] [--max-body BYTES] [--queue N] [--idle-timeout S] [--now T | --clock-offset MS] [--publish-head CONNECTOR.OPERATION every DURATION]",
     "Serves the store over HTTP until SIGTERM or SIGINT (docs/operations.md says all of\n"
     "this with examples). One serve per store: it flocks DIR (and DIR/serve.lock), and a\n"
     "second serve or a huddle tick beside it exits 3, also when serve.lock was removed;\n"
     "serve itself exits 3 while a huddle tick runs on the store (start it once the tick\n"
     "has ended); the other write commands still work beside it.\n"
     "\n"
     "Routes: POST /v1/events/{connector} (a webhook, signed X-Huddle-Signature: sha256=HEX,\n"
     "the HMAC-SHA256 of the body under the connector's secret_env), POST\n"
     "/v1/events/directory {\"type\": \"away\"|\"back\", \"id\", \"data\"} (absences, from a\n"
     "token that may send events), GET /v1/tasks[?for=P] (P's inbox, as tasks --for),\n"
     "POST /v1/tasks/{id}/answer {\"choice\", \"comment\"}, POST /v1/tasks/{id}/ack,\n"
     "GET /v1/instances[?playbook=P&status=S], GET /v1/instances/{id}[/history], and for\n"
     "operators POST /v1/instances/{id}/retry {\"goto\", \"reason\"}, /cancel {\"reason\"},\n"
     "POST /v1/tasks/{id}/resolve {\"choice\", \"reason\"}, /reassign {\"from\"?, \"to\"};\n"
     "GET /v1/audit/head, /v1/audit/search[?...] and /v1/audit/export[?since=T] for\n"
     "tokens that may audit (the decision record, read only; docs/audit.md);\n"
     "GET /healthz and GET /metrics (Prometheus text) need no token. Every other route\n"
     "needs Authorization: Bearer TOKEN from the tokens file, and answers and acks are by\n"
     "the token's person (an \"on_behalf\" service names \"by\").\n"
     "\n"
     "Events, answers and acks are group-committed: a 2xx comes once the commit is on\n"
     "disk (under load a round's last flush rides on the next round's). A refusal is\n"
     "{\"error\": {\"code\", \"message\", \"field\"}} with 400 (not JSON; empty, but for\n"
     "an ack; a query parameter the route does not take; a header such as\n"
     "Authorization given twice), 401 (no or unknown token, bad signature; with\n"
     "WWW-Authenticate: Bearer, or Huddle-Signature for a webhook), 403 (not\n"
     "allowed, not your seat), 404, 405, 409 (answered already, closed), 413 (over\n"
     "--max-body), 415 (not application/json), 422 (does not fit: the event's type, a\n"
     "missing field, an unknown choice), 431 (request line and headers over 10 KiB) or\n"
     "503 (queue full, stopping; Retry-After: 1). Idempotency-Key on a write: a\n"
     "repeat within 24 h with the same body gets the first reply (not kept: 5xx, and\n"
     "refusals made before the engine, such as a bad token or body); the key reused with\n"
     "another body is 422 idempotency_key_reused. Timers fire by themselves, and the outbox\n"
     "is delivered after each group commit through the kept connectors\n"
     "(docs/connectors.md). One JSON log line per request on stderr, written a round at\n"
     "a time (docs/operations.md, \"Logs\").\n"
     "\n"
     "A round's inputs are noted in DIR/inputs.inflight until their commit is over. If\n"
     "serve dies inside a step, the next serve applies each of them alone before it\n"
     "listens; one that killed it 3 times is set aside (a poison input: an answer stalls\n"
     "its instance, an event is marked seen; the log says poison_input).\n"
     "\n"
     "  --db DIR            the store (default $HUDDLE_DB, else ./huddle.db)\n"
     "  --listen HOST:PORT  the address (default 127.0.0.1:8080; port 0: any free port,\n"
     "                      which the \"listening\" log line names)\n"
     "  --connectors F      the connectors file: replaces those the store keeps (without\n"
     "                      it, the kept ones); every webhook's secret_env must be set\n"
     "                      (and not empty)\n"
     "  --tokens F          the tokens file: {NAME: {\"sha256\", \"person\" | \"on_behalf\":\n"
     "                      true, \"may\": [read, answer, events, operate, audit]}}\n"
     "  --max-body BYTES    the largest request body (default 1048576; 1 to 1073741824)\n"
     "  --queue N           requests waiting for the engine before 503 (default 10000;\n"
     "                      1 to 1000000)\n"
     "  --idle-timeout S    close a connection silent this many seconds (default 30; 1\n"
     "                      to 3600)\n"
     "  --now T             engine time as serve starts (RFC 3339; never earlier than\n"
     "                      the store's); it runs on with the wall clock from there\n"
     "  --clock-offset MS   add MS to the wall clock (tests: make timers due now)\n"
     "  --publish-head CONNECTOR.OPERATION every DURATION\n"
     "                      send the store-wide audit head ({\"store\", \"head\", \"count\",\n"
     "                      \"at\"}: what huddle audit head --json prints, the store's id and\n"
     "                      the time) through that http connector's operation every\n"
     "                      DURATION (1m at least; 30m, 1h, 1d), so a copy lives where the\n"
     "                      store's owner cannot rewrite it (docs/audit.md). It goes through\n"
     "                      the outbox with the key STORE:head:COUNT, retried like a send,\n"
     "                      kept there as failed if it fails for good (huddle outbox).\n"
     "                      The last publication's time is kept in the store: a restart\n"
     "                      publishes at once only when one is overdue.\n",
     cli_serve},
    {"help", "show help for a command", "huddle help [COMMAND]",
     "Without a command, lists them all; with one, shows its usage and options (a second\n"
     "argument is a usage error, exit 2, as is one after huddle --version).\n", cli_help},
};
#define COMMAND_COUNT (sizeof COMMANDS / sizeof COMMANDS[0])

static const CliCommand *cli_find(const char *name)
{
    for (size_t i = 0; i < COMMAND_COUNT; i++)
        if (strcmp(COMMANDS[i].name, name) == 0)
            return &COMMANDS[i];
    return NULL;
}

bool cli_takes_option(const char *name, const char *option)
{
    const CliCommand *command = cli_find(name);
    size_t len = strlen(option);
    for (const char *at = command ? strstr(command->usage, option) : NULL; at; at = strstr(at + 1, option))
        if (at[-1] == '[' || at[-1] == ' ' || at[-1] == '|')
            if (at[len] == ' ' || at[len] == ']' || at[len] == '|' || at[len] == '\0')
                return true;
    return false;
}

/* True when OPTION is followed by a value in the command's usage ("--db DIR", not
   "--json]" or "--all-stalled [--playbook P]"). */
static bool cli_option_has_value(const CliCommand *command, const char *option)
{
    size_t len = strlen(option);
    for (const char *at = strstr(command->usage, option); at; at = strstr(at + 1, option))
        if (at > command->usage && (at[-1] == '[' || at[-1] == ' ' || at[-1] == '|') && at[len] == ' '
            && !strchr("[-|", at[len + 1]))
            return true;
    return false;
}

/* A copy of argv with each --OPTION=VALUE of an option the command's usage gives a value
   split in two, in place (the '=' ends the name), as --OPTION VALUE. Not after "--" nor
   in an option's value; an --OPTION=VALUE the command does not take is left for its
   parser to refuse. An option that takes a value followed by another of the command's
   options ("--playbook --json") is refused here, for every command: that option lost its
   value, and the other would be taken for it (--playbook=--json gives such a value).
   NULL, said, for a flag given a value or an option missing its value (*count -1), or
   no memory. */
static char **cli_split_values(const CliCommand *command, int argc, char **argv, int *count)
{
    char **out = calloc((size_t)argc * 2 + 1, sizeof *out);
    bool rest = false, value_next = false;
    *count = 0;
    for (int i = 0; out && i < argc; i++) {
        char *arg = argv[i], *eq = !rest && !value_next && strncmp(arg, "--", 2) == 0 ? strchr(arg, '=') : NULL;
        if (value_next && strncmp(arg, "--", 2) == 0 && cli_takes_option(command->name, arg)) {
            free(out);
            *count = -1;
            return cli_usage_error(command->name, "%s needs a value, not the option '%s' (%s=%s gives that text)",
                                   argv[i - 1], arg, argv[i - 1], arg), NULL;
        }
        out[(*count)++] = arg;
        rest |= !value_next && strcmp(arg, "--") == 0;
        value_next = !rest && !value_next && !eq && arg[0] == '-' && cli_option_has_value(command, arg);
        if (!eq)
            continue;
        *eq = '\0';
        if (!cli_takes_option(command->name, arg)) {
            *eq = '=';
        } else if (cli_option_has_value(command, arg)) {
            out[(*count)++] = eq + 1;
        } else {
            free(out);
            *count = -1;
            return cli_usage_error(command->name, "%s takes no value: give %s alone, not %s=%s", arg, arg, arg,
                                   cli_clean(eq + 1)), NULL;
        }
    }
    if (!out)
        fprintf(stderr, "huddle: out of memory\n");
    return out;
}

/* True when ARG is an option: it begins with '-' and is not "-" alone (standard input). */
bool cli_is_option(const char *arg)
{
    return arg[0] == '-' && arg[1] != '\0';
}

/* True for the first "--" (after it every argument is a file or id, even one that
   begins with '-'); it sets *rest, the caller skips it. */
bool cli_options_end(const char *arg, bool *rest)
{
    if (*rest || strcmp(arg, "--") != 0)
        return false;
    *rest = true;
    return true;
}

static void cli_print_overview(FILE *out)
{
    fprintf(out,
            "huddle %s - escalation playbooks that decide on time\n"
            "\n"
            "usage: huddle COMMAND [ARGS]\n"
            "\n"
            "commands:\n", HUDDLE_VERSION);
    for (size_t i = 0; i < COMMAND_COUNT; i++)
        fprintf(out, "  %-10s %s\n", COMMANDS[i].name, COMMANDS[i].summary);
    fprintf(out,
            "\n"
            "'huddle help COMMAND' shows a command's options. The store commands use --db DIR,\n"
            "else the environment's HUDDLE_DB, else ./huddle.db. Options follow the command, in\n"
            "any order, as --opt VALUE or --opt=VALUE; -- ends them (then a file may begin with -).\n"
            "exit status: 0 ok, 1 input refused, 2 usage error, 3 store or system error\n");
}

static int cli_help(int argc, char **argv)
{
    if (argc < 2) {
        cli_print_overview(stdout);
        return CLI_OK;
    }
    if (argc > 2)
        return cli_usage_error("help", "help shows one command: '%s' is one argument too many",
                               cli_clean(argv[2]));
    const CliCommand *command = cli_find(argv[1]);
    if (!command) {
        fprintf(stderr, "huddle: no command '%s'; 'huddle --help' lists them\n", argv[1]);
        return CLI_USAGE;
    }
    printf("usage: %s\n\n%s", command->usage, command->help);
    return CLI_OK;
}

int cli_option_once(const char *command, const char *option, const void *slot, CliSeen *seen)
{
    for (int k = 0; k < seen->count; k++)
        if (seen->slots[k] == slot)
            return cli_usage_error(command, "%s is given twice (give it once)", option);
    if (seen->count < (int)(sizeof seen->slots / sizeof seen->slots[0]))
        seen->slots[seen->count++] = slot;
    return CLI_OK;
}

int cli_option_value(const char *command, int argc, char **argv, int *i, const char **slot, CliSeen *seen)
{
    const char *option = argv[*i];
    if (*i + 1 >= argc)
        return cli_usage_error(command, "%s needs a value", option);
    if (cli_option_once(command, option, slot, seen) != CLI_OK)
        return CLI_USAGE;
    *slot = argv[++*i];
    return CLI_OK;
}

int cli_usage_error(const char *name, const char *fmt, ...)
{
    va_list args;
    va_start(args, fmt);
    fputs("huddle: ", stderr);
    vfprintf(stderr, fmt, args);
    fputc('\n', stderr);
    va_end(args);
    const CliCommand *command = cli_find(name);
    if (command)
        fprintf(stderr, "usage: %s\n", command->usage);
    return CLI_USAGE;
}

const char *cli_json_file_problem(char *out, size_t len, const char *path, const struct json_error_t *error)
{
    const char *reason = strstr(error->text, "unable to open ") == error->text ? strrchr(error->text, ':') : NULL;
    if (reason && error->line <= 0)
        snprintf(out, len, "%s: %s", path, reason + 2);
    else if (error->line <= 0)   /* json_file_load's "No such file or directory": no place in it */
        snprintf(out, len, "%s: %s", path, cli_clean(error->text));
    else
        snprintf(out, len, "%s:%d:%d: %s", path, error->line, error->column, cli_clean(error->text));
    return out;
}

int cli_json_file_refused(const char *path, const json_error_t *error)
{
    char problem[1024];
    fprintf(stderr, "huddle: %s\n", cli_json_file_problem(problem, sizeof problem, path, error));
    return json_error_code(error) == json_error_out_of_memory ? CLI_SYSTEM : CLI_REFUSED;
}

FILE *cli_open_read(const char *path)
{
    FILE *file = fopen(path, "r");
    struct stat st;
    if (file && fstat(fileno(file), &st) == 0 && S_ISDIR(st.st_mode)) {
        fclose(file);
        errno = EISDIR;
        return NULL;
    }
    return file;
}

bool cli_same_file(const char *a, const char *b)
{
    struct stat sa, sb;
    return stat(a, &sa) == 0 && stat(b, &sb) == 0 && sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

char *cli_read_file(const char *path, size_t *len)
{
    FILE *file = fopen(path, "rb");
    if (!file) {
        fprintf(stderr, "huddle: %s: %s\n", path, strerror(errno));
        return NULL;
    }
    size_t cap = 4096, used = 0;
    char *data = malloc(cap);
    for (;;) {
        if (!data)
            break;
        used += fread(data + used, 1, cap - used - 1, file);
        if (used < cap - 1)
            break;
        char *bigger = realloc(data, cap * 2);
        if (!bigger) {
            free(data);
            data = NULL;
            break;
        }
        data = bigger;
        cap *= 2;
    }
    int err = ferror(file) ? errno : 0;   /* a directory: EISDIR */
    bool failed = ferror(file) || !data;
    fclose(file);
    if (failed) {
        fprintf(stderr, "huddle: %s: %s\n", path, err ? strerror(err) : "could not read the file");
        free(data);
        return NULL;
    }
    data[used] = '\0';
    *len = used;
    return data;
}

int cli_main(int argc, char **argv)
{
    if (argc < 2) {
        cli_print_overview(stderr);
        return CLI_USAGE;
    }
    const char *name = argv[1];
    if (strcmp(name, "--help") == 0 || strcmp(name, "-h") == 0)
        return cli_help(argc - 1, argv + 1);   /* huddle --help [COMMAND] is huddle help [COMMAND] */
    if (strcmp(name, "--version") == 0) {
        if (argc > 2) {
            fprintf(stderr, "huddle: --version takes no argument: '%s' is one too many (huddle --version "
                    "alone prints the version)\n", cli_clean(argv[2]));
            return CLI_USAGE;
        }
        printf("huddle %s (LANGUAGE.md and RUNTIME.md v1.2; bytecode format %d)\n", HUDDLE_VERSION, BC_FORMAT_VERSION);
        return CLI_OK;
    }
    const CliCommand *command = cli_find(name);
    if (!command && name[0] == '-') {   /* huddle --db DIR tasks */
        fprintf(stderr, "huddle: '%s' comes before a command: give the command first, then its options "
                "(huddle COMMAND [ARGS]; 'huddle --help' lists the commands)\n", cli_clean(name));
        return CLI_USAGE;
    }
    if (!command) {
        fprintf(stderr, "huddle: no command '%s'; 'huddle --help' lists them\n", cli_clean(name));
        return CLI_USAGE;
    }
    for (int i = 2; i < argc && strcmp(argv[i], "--") != 0; i++)
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            printf("usage: %s\n\n%s", command->usage, command->help);
            return CLI_OK;
        }
    int count;
    char **args = cli_split_values(command, argc - 1, argv + 1, &count);
    if (!args)
        return count < 0 ? CLI_USAGE : CLI_SYSTEM;
    int status = command->run(count, args);
    free(args);
    return status;
}
