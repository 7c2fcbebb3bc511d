/*
 * bench_front.c - how fast the front end reads playbooks: lex, parse and check.
 *
 * Generates in memory a corpus of valid, warning-free playbooks (at least
 * BENCH_MIN_LINES lines) from six templates with different mixes of constructs:
 * triggers with when / case ... for / at least ... within, consts, fns, vars, `use`,
 * states with asks (quorums, escalation ladders, reminders, show, as, labelled choices
 * with comment, else arms), waits with event and after arms, calls with `else goto` and
 * `else { }`, send, notify, tag, note, if / else if / else chains, interpolated strings
 * with escapes and nested strings, and long arithmetic and boolean expressions. Every
 * template is varied by its index so names, numbers, durations and the number of
 * states differ from one playbook to the next.
 *
 * Then it measures, best of BENCH_RUNS runs:
 *   - lex+parse+check: each playbook compiled on its own with front_new,
 *     front_compile, front_free, as `huddle check` does;
 *   - lex only: source_new and lexer_next to the end of each playbook, so the share of
 *     the scanner is visible.
 * and reports lines, bytes, seconds, lines/s, MB/s and peak memory (ru_maxrss and the
 * largest single Front arena). The corpus must compile with zero errors and zero
 * warnings; otherwise the first diagnostics are printed and the exit status is 1.
 *
 *   build/bench/bench_front            the table
 *   build/bench/bench_front --dump DIR writes one playbook per template to DIR, for
 *                                      checking the templates with `huddle check`
 */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "common.h"
#include "diag.h"
#include "front.h"
#include "lexer.h"
#include "source.h"
#include "strbuf.h"

#define BENCH_MIN_LINES 120000
#define BENCH_RUNS 5
#define BENCH_TEMPLATES 6

/* ---- a growable text buffer for the generator ---------------------------------- */

typedef struct Buf {
    char *data;
    size_t len, cap;
} Buf;

static void put(Buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(Buf *b, const char *fmt, ...)
{
    for (;;) {
        va_list args;
        va_start(args, fmt);
        size_t room = b->cap - b->len;
        int n = vsnprintf(b->data ? b->data + b->len : NULL, room, fmt, args);
        va_end(args);
        if (n < 0) {
            fputs("bench_front: vsnprintf failed\n", stderr);
            exit(1);
        }
        if ((size_t)n < room) {
            b->len += (size_t)n;
            return;
        }
        size_t cap = b->cap ? b->cap * 2 : 4096;
        while (cap - b->len <= (size_t)n)
            cap *= 2;
        b->data = realloc(b->data, cap);
        if (!b->data) {
            fputs("bench_front: out of memory\n", stderr);
            exit(1);
        }
        b->cap = cap;
    }
}

/* ---- the templates --------------------------------------------------------------- */

/* 1. A product complaint: calendar, case for, business durations, a call with
   `else goto`, an if / else if chain, a 2-of quorum with show and as, a wait. */
static void gen_complaint(Buf *b, unsigned i)
{
    unsigned extra = i % 4;
    put(b, "playbook complaint_%u \"Consumers complain about feature %u of a product\"\n\n", i, i);
    put(b, "calendar \"office-%u\"          # business time is counted in this calendar\n\n", i % 7);
    put(b, "on radian6.spike as alert\n"
           "  when alert.sentiment <= -0.%u and alert.mentions >= %u\n"
           "  case \"{alert.product}/{alert.feature}\" for %ud\n\n",
        i % 9 + 1, 50 + i % 200, i % 14 + 1);
    put(b, "const first_answer = %u business hours\n", 2 + i % 6);
    put(b, "const big_%u = %u\n", i, 1000 + i);
    put(b, "const medium_%u = %u\n\n", i, 100 + i % 50);
    put(b, "fn severity(a) = if a.mentions >= big_%u then \"high\"\n"
           "                 else if a.mentions >= medium_%u then \"normal\" else \"low\"\n\n", i, i);
    put(b, "state triage {\n"
           "  tag alert.product, alert.feature, severity(alert)\n"
           "  notify team(\"digital-marketing-%u\")\n"
           "    \"Complaints spiking: {alert.mentions} mentions of {alert.feature} on {alert.product}\"\n"
           "  let known = call kb.lookup({product: alert.product, feature: alert.feature, batch: %u})\n"
           "    else goto is_it_known\n"
           "  if known.found ?? false {\n"
           "    note \"Known issue {known.id}: {known.summary}\"\n"
           "    goto known_issue\n"
           "  } else if (known.score ?? 0) > %u {\n"
           "    note \"Maybe known ({known.score}): {known.summary ?? \"no summary\"}\"\n"
           "    goto is_it_known\n"
           "  }\n"
           "  goto is_it_known\n"
           "}\n\n",
        i % 5, i, i % 10 + 1);
    put(b, "state is_it_known {\n"
           "  ask owner(\"product\", alert.product)\n"
           "      \"Is the {alert.feature} problem on {alert.product} a known issue? (case %u)\"\n"
           "      choices known \"Yes, known\", new_defect \"New defect\" with comment, not_a_defect \"Not a defect\"\n"
           "      within first_answer\n"
           "      escalate to manager after 1 business hour\n"
           "      escalate to team(\"product-leads-%u\") after 30 business minutes\n"
           "  {\n"
           "    known        -> known_issue\n"
           "    new_defect   -> %s\n"
           "    not_a_defect -> done \"not a defect\"\n"
           "    timeout      -> unanswered\n"
           "  }\n"
           "}\n\n",
        i, i % 3, extra ? "review_0" : "recall_or_return");
    for (unsigned k = 0; k < extra; k++) {
        char next[32];
        if (k + 1 < extra)
            snprintf(next, sizeof next, "review_%u", k + 1);
        else
            snprintf(next, sizeof next, "recall_or_return");
        put(b, "state review_%u {\n"
               "  let weight_%u = (alert.mentions ?? 0) * %u + len(alert.feature ?? \"\") - %u\n"
               "  tag \"review-%u-{weight_%u}\"\n"
               "  let reply_%u = call qa.review({step: %u, weight: weight_%u, product: alert.product})\n"
               "    else { note \"Review step %u failed: {error}\" goto recall_or_return }\n"
               "  if reply_%u.stop ?? false { goto recall_or_return }\n"
               "  goto %s\n"
               "}\n\n",
            k, k, k + 2, i % 17, k, k, k, k, k, k, k, next);
    }
    put(b, "state recall_or_return {\n"
           "  ask 2 of role(\"regional-director\", alert.market), person(\"craig-%u\"), person(\"ming\")\n"
           "      \"Recall {alert.product}, take returns in stores, or fix in firmware?\"\n"
           "      choices recall, returns, firmware\n"
           "      within %u business day\n"
           "      escalate to manager after %u business hours\n"
           "      show {mentions: alert.mentions, market: alert.market, batch: %u}\n"
           "      as decision\n"
           "  {\n"
           "    recall    -> { note \"Recall decided by {decision.deciders}\" goto recall }\n"
           "    returns   -> returns\n"
           "    firmware  -> known_issue\n"
           "    no_quorum -> unanswered\n"
           "    timeout   -> unanswered\n"
           "  }\n"
           "}\n\n",
        i % 11, 1 + i % 2, 2 + i % 4, i);
    put(b, "state known_issue {\n"
           "  send spredfast.reply({case: case.key, template: \"known-issue-%u\"})\n"
           "  wait {\n"
           "    radian6.spike as more when more.mentions >= %u * alert.mentions -> recall_or_return\n"
           "    after %ud -> done \"answered with known-issue reply\"\n"
           "  }\n"
           "}\n\n",
        i % 4, 2 + i % 10, 1 + i % 5);
    put(b, "state recall   { send chatter.post({group: \"product\", text: \"Recall: {alert.product}\"}) done \"recall\" }\n"
           "state returns  { notify team(\"retail-%u\") \"Accept returns of {alert.product}\" done \"returns\" }\n"
           "state unanswered {\n"
           "  notify person(\"craig-%u\") \"Nobody decided on {alert.product}/{alert.feature} in time\"\n"
           "  fail \"no decision\"\n"
           "}\n",
        i % 6, i % 11);
}

/* 2. A service outage: two case triggers and a threshold trigger, vars, set, a call
   with `else { }`, an oncall ask with a three-level ladder, remind and a wide show,
   blocks in arms, a wait on recovery, a re-check loop through the wait. */
static void gen_outage(Buf *b, unsigned i)
{
    put(b, "playbook outage_%u \"A production service is down: page on-call and climb the ladder\"\n\n", i);
    put(b, "# Outages run around the clock: plain durations only, no calendar.\n");
    put(b, "on pagerduty.incident as incident\n"
           "  when incident.urgency == \"high\" and incident.status == \"triggered\"\n"
           "  case incident.service for %ud\n"
           "on grafana.resolved as cleared\n"
           "  case cleared.labels.service for %ud\n"
           "on monitor.flap as flap\n"
           "  when flap.region != \"lab-%u\"\n"
           "  at least %u within %um\n\n",
        1 + i % 3, 1 + i % 3, i % 9, 3 + i % 5, 10 + i % 50);
    put(b, "const ack_window = %uh\n"
           "const recheck_after = %um\n"
           "const max_rechecks = %u\n"
           "const regions = [\"eu-%u\", \"us-%u\", \"ap-south\"]\n\n",
        1 + i % 3, 30 + i % 90, 2 + i % 4, i % 4, i % 3);
    put(b, "fn sev(x) = if x.priority == \"P1\" then \"SEV-1\" else if x.priority == \"P2\" then \"SEV-2\" else \"SEV-3\"\n"
           "fn score(x, w) = (x.errors ?? 0) * w + (x.latency_ms ?? 0) / %u - (x.healthy ?? 0) %% %u\n\n",
        10 + i % 7, 2 + i % 5);
    put(b, "var status_page_id = null      # the status page incident, when one was opened\n"
           "var rechecks = 0\n\n");
    put(b, "state start {\n"
           "  if incident == null and flap == null {\n"
           "    note \"Recovery of {cleared.labels.service} reported with no incident open\"\n"
           "    done \"no incident\"\n"
           "  } else if incident == null {\n"
           "    goto flapping\n"
           "  } else {\n"
           "    tag sev(incident), incident.region ?? \"global\", \"batch-%u\"\n"
           "  }\n"
           "  goto page\n"
           "}\n\n", i);
    put(b, "state flapping {\n"
           "  notify oncall(\"sre-%u\") \"{flap.service} flapped {flap.count ?? 0} times in {regions}\"\n"
           "  done \"flap noted\"\n"
           "}\n\n", i % 4);
    put(b, "state page {\n"
           "  notify team(\"support-leads\"), lead(\"support-%u\")\n"
           "    \"{sev(incident)} on {incident.service}: {incident.title}. Score {score(incident, %u)}.\"\n"
           "  let posted = call statuspage.create_incident({\n"
           "      component: incident.service,\n"
           "      status: \"investigating\",\n"
           "      title: \"Degraded service: {incident.service}\",\n"
           "      body: \"We are investigating errors on {incident.service} (ref %u).\"})\n"
           "    else {\n"
           "      note \"Status page not updated: {error}\"\n"
           "      goto decide\n"
           "    }\n"
           "  set status_page_id = posted.id\n"
           "  goto decide\n"
           "}\n\n", i % 3, 1 + i % 9, i);
    put(b, "state decide {\n"
           "  ask oncall(\"sre-%u\")\n"
           "      \"{sev(incident)}: {incident.service} is down ({incident.title}). Pick the first move.\"\n"
           "      choices mitigate \"Mitigate in place\",\n"
           "              rollback \"Roll back the last deploy\",\n"
           "              escalate_vendor \"Escalate to the vendor\" with comment\n"
           "      within ack_window\n"
           "      escalate to lead(\"sre-%u\") after %um\n"
           "      escalate to manager after %um\n"
           "      escalate to role(\"incident-commander\", incident.region ?? \"global\") after %um\n"
           "      remind every %um\n"
           "      show {service: incident.service, priority: incident.priority ?? \"P2\",\n"
           "            paged_at: meta(incident).time, last_deploy: incident.last_deploy ?? \"unknown\",\n"
           "            runbook: incident.runbook ?? \"none\", status_page: status_page_id}\n"
           "      as move\n"
           "  {\n"
           "    mitigate -> {\n"
           "      note \"{move.by} mitigates {incident.service} in place\"\n"
           "      goto mitigating\n"
           "    }\n"
           "    rollback -> {\n"
           "      send deploybot.rollback({service: incident.service,\n"
           "                               to_before: incident.last_deploy,\n"
           "                               requested_by: move.by})\n"
           "      goto mitigating\n"
           "    }\n"
           "    escalate_vendor -> {\n"
           "      send vendor.open_ticket({service: incident.service, priority: sev(incident),\n"
           "                               summary: incident.title, details: move.comment})\n"
           "      note \"Vendor ticket opened by {move.by}: {move.comment}\"\n"
           "      goto mitigating\n"
           "    }\n"
           "    timeout -> unanswered\n"
           "  }\n"
           "}\n\n",
        i % 4, i % 4, 10 + i % 5, 10 + i % 5, 10 + i % 5, 5 + i % 10);
    put(b, "state mitigating {\n"
           "  wait {\n"
           "    grafana.resolved as fixed when fixed.labels.ok ?? true -> {\n"
           "      note \"Grafana reports {fixed.labels.service} healthy ({fixed.labels.alertname ?? \"alert\"})\"\n"
           "      goto recovered\n"
           "    }\n"
           "    after recheck_after -> still_down\n"
           "  }\n"
           "}\n\n");
    put(b, "state still_down {\n"
           "  set rechecks = rechecks + 1\n"
           "  if rechecks >= max_rechecks {\n"
           "    notify lead(\"sre-%u\"), role(\"incident-commander\", incident.region ?? \"global\")\n"
           "      \"{incident.service} is still down after {rechecks} checks\"\n"
           "    fail \"not recovered\"\n"
           "  }\n"
           "  notify oncall(\"sre-%u\") \"{incident.service} is still down, check {rechecks} of {max_rechecks}\"\n"
           "  goto mitigating\n"
           "}\n\n", i % 4, i % 4);
    put(b, "state recovered {\n"
           "  if status_page_id != null {\n"
           "    send statuspage.resolve_incident({id: status_page_id, status: \"resolved\",\n"
           "                                      body: \"{incident.service} is operating normally.\"})\n"
           "  }\n"
           "  send slack.post({channel: \"#incidents-%u\",\n"
           "                   text: \"{sev(incident)} {incident.service} resolved; opened {meta(incident).time}\"})\n"
           "  done \"resolved\"\n"
           "}\n\n", i % 8);
    put(b, "state unanswered {\n"
           "  notify lead(\"sre-%u\"), role(\"incident-commander\", incident.region ?? \"global\")\n"
           "    \"Nobody acknowledged the {incident.service} outage within {ack_window}\"\n"
           "  fail \"no acknowledgement\"\n"
           "}\n", i % 4);
}

/* 3. A refund approval: business-time consts, fns of several parameters, a CRM call,
   a 2-of-3 quorum with labelled choices, nested ifs in arms, lists in maps, a wait
   for a revised request, a tie-break ask. */
static void gen_refund(Buf *b, unsigned i)
{
    put(b, "playbook refund_%u \"Large refunds need two approvers before the CRM pays\"\n\n", i);
    put(b, "calendar \"finance-%u\"\n\n", i % 5);
    put(b, "const auto_limit = %u\n"
           "const large_refund = %u\n"
           "const approval_window = %u business days\n"
           "const info_window = %u business days\n"
           "const max_rounds = %u\n"
           "const fee_rate = 0.0%u\n\n",
        500 + i % 1000, 10000 + i, 2 + i % 3, 3 + i % 2, 2 + i % 3, 1 + i % 9);
    put(b, "fn tier(value) = if value >= large_refund then \"large\" else if value >= auto_limit * 2 then \"medium\" else \"standard\"\n"
           "fn money(value, currency) = \"{currency} {value}\"\n"
           "fn net(value, fee, cap) = if value * fee > cap then value - cap else value - value * fee\n\n");
    put(b, "on salesforce.refund_requested as req\n"
           "  when req.amount >= auto_limit and req.status == \"pending\" and not (req.test ?? false)\n"
           "  case req.refund_id for %ud\n\n", 10 + i % 30);
    put(b, "var amount = 0\n"
           "var rounds = 0\n"
           "var lifetime_value = null\n\n");
    put(b, "state intake {\n"
           "  set amount = req.amount\n"
           "  tag req.region, tier(req.amount), req.reason ?? \"unspecified\"\n"
           "  note \"Refund {req.refund_id}: {money(req.amount, req.currency)} to {req.account_id}, net {net(req.amount, fee_rate, %u)}\"\n"
           "  let account = call crm.account({id: req.account_id, fields: [\"ltv\", \"tier\", \"region\"]})\n"
           "    else {\n"
           "      note \"No account details from the CRM: {error}\"\n"
           "      goto approve\n"
           "    }\n"
           "  set lifetime_value = account.lifetime_value\n"
           "  goto approve\n"
           "}\n\n", 50 + i % 200);
    put(b, "state approve {\n"
           "  set rounds = rounds + 1\n"
           "  ask 2 of role(\"finance-approver\", req.region), person(\"olga-%u\"), owner(\"account\", req.account_id)\n"
           "      \"Refund {money(amount, req.currency)} to {req.customer_name ?? req.account_id} for \\\n"
           "       \\\"{req.reason ?? \"no reason given\"}\\\"?\"\n"
           "      choices approve \"Approve\",\n"
           "              reject \"Reject\" with comment,\n"
           "              need_info \"Ask the agent for more\" with comment\n"
           "      within approval_window\n"
           "      escalate to manager after 1 business day\n"
           "      remind every %u business hours\n"
           "      show {refund: req.refund_id, account: req.account_id, amount: amount,\n"
           "            currency: req.currency, tier: tier(amount), order: req.order_id,\n"
           "            lifetime_value: lifetime_value, round: rounds, batch: %u}\n"
           "      as decision\n"
           "  {\n"
           "    approve -> {\n"
           "      send crm.approve_refund({refund: req.refund_id, amount: amount,\n"
           "                               approvers: decision.deciders})\n"
           "      notify owner(\"account\", req.account_id)\n"
           "        \"Refund {req.refund_id} approved by {join(decision.deciders, \" and \")}\"\n"
           "      done \"approved\"\n"
           "    }\n"
           "    reject -> {\n"
           "      send crm.reject_refund({refund: req.refund_id, reason: decision.comment})\n"
           "      done \"rejected\"\n"
           "    }\n"
           "    need_info -> {\n"
           "      if rounds >= max_rounds {\n"
           "        note \"Still unclear after {rounds} rounds: {decision.comment}\"\n"
           "        fail \"too many rounds\"\n"
           "      } else if rounds == 1 and amount > large_refund {\n"
           "        note \"First round of a large refund: asking for more\"\n"
           "      }\n"
           "      send crm.request_info({refund: req.refund_id, question: decision.comment,\n"
           "                             asked_by: decision.deciders})\n"
           "      goto more_info\n"
           "    }\n"
           "    no_quorum -> split\n"
           "    timeout   -> unanswered\n"
           "  }\n"
           "}\n\n", i % 13, 2 + i % 6, i);
    put(b, "state more_info {\n"
           "  wait {\n"
           "    salesforce.refund_requested as revised when revised.amount > 0 -> {\n"
           "      note \"Revised refund {revised.refund_id}: {money(revised.amount, revised.currency)}\"\n"
           "      set amount = revised.amount\n"
           "      goto approve\n"
           "    }\n"
           "    after info_window -> {\n"
           "      send crm.reject_refund({refund: req.refund_id, reason: \"No reply to the approvers\"})\n"
           "      done \"expired\"\n"
           "    }\n"
           "  }\n"
           "}\n\n");
    put(b, "state split {\n"
           "  ask person(\"sofia-%u\")\n"
           "      \"Approvers disagree on refund {req.refund_id} of {money(amount, req.currency)}: pay it?\"\n"
           "      choices approve \"Pay the refund\", reject \"Refuse it\" with comment\n"
           "      within %u business hours\n"
           "      escalate to manager after %u business hours\n"
           "      as tiebreak\n"
           "  {\n"
           "    approve -> {\n"
           "      send crm.approve_refund({refund: req.refund_id, amount: amount, approvers: [tiebreak.by]})\n"
           "      done \"approved\"\n"
           "    }\n"
           "    else    -> done \"rejected\"\n"
           "    timeout -> unanswered\n"
           "  }\n"
           "}\n\n", i % 3, 8 + i % 8, 2 + i % 5);
    put(b, "state unanswered {\n"
           "  notify person(\"sofia-%u\"), owner(\"account\", req.account_id)\n"
           "    \"Nobody decided on refund {req.refund_id} in time; the customer is waiting\"\n"
           "  fail \"no decision\"\n"
           "}\n", i % 3);
}

/* 4. A ticket pipeline: a chain of 4..15 states, each with arithmetic lets, an
   if / else if / else chain, a call with `else { }`, tag and note; one ask at the end. */
static void gen_pipeline(Buf *b, unsigned i)
{
    unsigned steps = 4 + i % 12;
    put(b, "playbook pipeline_%u \"Route a support ticket through %u checks\"\n\n", i, steps);
    put(b, "on zendesk.ticket as ticket when ticket.plan in [\"enterprise\", \"pro\"] or (ticket.seats ?? 0) > %u\n"
           "on zendesk.ticket_reopened as ticket when ticket.reopen_count ?? 0 < %u\n\n",
        100 + i % 400, 3 + i % 4);
    put(b, "const limit = %u\nconst weights = {a: %u, b: %u, c: %u}\n\n", 10 + i % 90, 1 + i % 3, 2 + i % 4, 3 + i % 5);
    for (unsigned k = 0; k < steps; k++) {
        put(b, "state step_%u {\n", k);
        put(b, "  let v%u = (ticket.priority_score ?? 0) * %u + len(ticket.title ?? \"\") - %u * 2 + (ticket.age_h ?? 0) / %u\n",
            k, k + 1, (i + k) % 13, k + 2);
        put(b, "  let label%u = if v%u > %u then \"high-%u\" else if v%u > %u then \"mid-%u\" else \"low\"\n",
            k, k, 10 * (k + 1), k, k, 5 * (k + 1), k);
        put(b, "  tag label%u\n", k);
        put(b, "  if v%u > limit and label%u != \"low\" and not (ticket.vip ?? false) {\n"
               "    note \"Step %u: {ticket.id} scored {v%u} ({label%u}), over {limit}\"\n"
               "  } else if v%u < 0 or (ticket.flags ?? []) == [] {\n"
               "    note \"Step %u: {ticket.id} low or unflagged\"\n"
               "  } else {\n"
               "    tag \"step-%u-{label%u}\"\n"
               "  }\n",
            k, k, k, k, k, k, k, k, k);
        if (k % 2 == 0) {
            put(b, "  let r%u = call tracker_%u.update({id: ticket.id, step: %u, value: v%u, label: label%u})\n"
                   "    else {\n"
                   "      note \"Update %u failed for {ticket.id}: {error}\"\n"
                   "      goto %s%u\n"
                   "    }\n"
                   "  if r%u.stop ?? false { done \"stopped at step %u\" }\n",
                k, i % 5, k, k, k, k, k + 1 < steps ? "step_" : "assign_", k + 1 < steps ? k + 1 : 0, k, k);
        }
        if (k + 1 < steps)
            put(b, "  goto step_%u\n}\n\n", k + 1);
        else
            put(b, "  goto assign_0\n}\n\n");
    }
    put(b, "state assign_0 {\n"
           "  ask any of team(\"support-tier2-%u\"), lead(\"support\")\n"
           "      \"Take ticket {ticket.id}: {ticket.subject ?? \"(no subject)\"}\"\n"
           "      choices take \"I'll take it\", transfer \"Needs tier 3\", spam\n"
           "      within %uh\n"
           "      escalate to manager after %um\n"
           "  {\n"
           "    take     -> { send zendesk.assign({ticket: ticket.id, to: answer.by}) done \"assigned\" }\n"
           "    transfer -> { notify team(\"support-tier3\") \"Ticket {ticket.id} needs tier 3\" done \"transferred\" }\n"
           "    else     -> done \"closed as {answer.choice}\"\n"
           "    timeout  -> fail \"nobody took it\"\n"
           "  }\n"
           "}\n", i % 3, 4 + i % 4, 30 + i % 60);
}

/* 5. A security incident: `use` of both stdlib modules, time literals, long-form durations,
   lists and maps, `in`, string escapes (\u{...}, {{ }}, \"), all of / any of asks,
   a wait with an event arm and after forever. */
static void gen_security(Buf *b, unsigned i)
{
    put(b, "playbook security_%u \"Phishing and intrusion reports go to the security desk\"\n\n", i);
    put(b, "use severity\nuse text\n\n");
    put(b, "on mailgate.phish_report as report\n"
           "  when report.confidence >= 0.%u and not (report.sender in allowlist)\n"
           "  case report.campaign_id for %u days\n\n", 5 + i % 4, 2 + i % 5);
    put(b, "const allowlist = [\"security@example.com\", \"it-%u@example.com\"]\n"
           "const freeze_starts = @2026-0%u-1%uT09:00:00Z\n"
           "const freeze_ends = @2026-0%u-2%uT17:30:00+02:00\n"
           "const triage_time = %u minutes\n"
           "const sensitive = {finance: %u, hr: %u, legal: %u}\n\n",
        i % 10, 1 + i % 5, i % 9, 6 + i % 3, i % 8, 20 + i % 40, 3 + i % 3, 2 + i % 3, 1 + i % 3);
    put(b, "fn weight(dept) = sensitive[dept] ?? 1\n"
           "fn risk(r) = (r.clicks ?? 0) * weight(r.department ?? \"none\") + (r.recipients ?? 1) / %u\n\n", 2 + i % 6);
    put(b, "state screen {\n"
           "  let grade = severity.level(report.recipients ?? 0)\n"
           "  let frozen = now() >= freeze_starts and now() < freeze_ends\n"
           "  tag grade, report.department ?? \"unknown\", if frozen then \"freeze\" else \"normal\"\n"
           "  note \"\\u{1F6A8} {text.plural(report.recipients ?? 0, \"recipient\")} got it; \\\"{report.subject ?? \"\"}\\\" {{risk {risk(report)}}}\"\n"
           "  if severity.is_urgent(grade) or risk(report) > %u or frozen {\n"
           "    goto contain\n"
           "  }\n"
           "  goto review\n"
           "}\n\n", 10 + i % 30);
    put(b, "state review {\n"
           "  ask any of oncall(\"secops-%u\"), team(\"it-desk\")\n"
           "      \"Review phishing report {report.id}: {text.or_default(report.subject, \"(no subject)\")}\"\n"
           "      choices benign \"Benign\", contain \"Contain it\", unsure with comment\n"
           "      within triage_time\n"
           "      escalate to lead(\"secops\") after %u minutes\n"
           "      remind every %u minutes\n"
           "      show {sender: report.sender, links: report.links ?? [], clicks: report.clicks ?? 0}\n"
           "  {\n"
           "    benign  -> done \"benign\"\n"
           "    contain -> contain\n"
           "    unsure  -> { note \"Unsure: {answer.comment}\" goto contain }\n"
           "    timeout -> contain\n"
           "  }\n"
           "}\n\n", i % 3, 5 + i % 10, 5 + i % 10);
    put(b, "state contain {\n"
           "  send mailgate.quarantine({campaign: report.campaign_id, sender: report.sender,\n"
           "                           reason: \"phishing %u\", hours: %u})\n"
           "  let block = call firewall.block({domains: report.domains ?? [], ttl: 24h})\n"
           "    else goto approve_block\n"
           "  note \"Blocked {len(block.rules ?? [])} rules:\\n{text.bullets(block.rules ?? [])}\"\n"
           "  goto approve_block\n"
           "}\n\n", i, 1 + i % 72);
    put(b, "state approve_block {\n"
           "  ask all of lead(\"secops\"), person(\"ciso-%u\"), role(\"data-protection\", report.department ?? \"all\")\n"
           "      \"Keep the block for campaign {report.campaign_id} and notify {report.recipients ?? 0} people?\"\n"
           "      choices keep, lift \"Lift the block\" with comment\n"
           "      within %u hours\n"
           "      escalate to manager after %u hour\n"
           "      as verdict\n"
           "  {\n"
           "    keep      -> watch\n"
           "    lift      -> { send firewall.unblock({campaign: report.campaign_id, why: verdict.comment}) done \"lifted\" }\n"
           "    no_quorum -> watch\n"
           "    timeout   -> watch\n"
           "  }\n"
           "}\n\n", i % 2, 4 + i % 4, 1 + i % 3);
    put(b, "state watch {\n"
           "  wait {\n"
           "    mailgate.phish_report as again when (again.clicks ?? 0) > %u -> contain\n"
           "    after forever\n"
           "  }\n"
           "}\n", i % 7);
}

/* 6. Rules heavy on expressions: chains of consts and fns with long arithmetic,
   comparison and boolean expressions, nested if-then-else and interpolation, and a
   classifier state with a long if / else if chain. */
static void gen_rules(Buf *b, unsigned i)
{
    unsigned rules = 3 + i % 6;
    put(b, "playbook rules_%u \"Classify order anomalies with %u scoring rules\"\n\n", i, rules);
    put(b, "on shop.order_flagged as order\n"
           "  when (order.total ?? 0) * %u > %u and order.currency in [\"EUR\", \"USD\", \"GBP\"]\n"
           "  case order.customer_id\n\n", 1 + i % 4, 1000 + i % 5000);
    put(b, "const base = %u\nconst step = %u\nconst ratio = %u.%u\n", 10 + i % 40, 1 + i % 9, i % 3, 25 + i % 70);
    for (unsigned k = 0; k < rules; k++) {
        put(b, "const bound_%u = base + step * %u - (base %% %u) + %u * (step + 1)\n", k, k + 1, k + 2, k);
        put(b, "fn rule_%u(o) = if (o.total ?? 0) * ratio + (o.items ?? 0) * %u - (o.discount ?? 0) / %u > bound_%u\n"
               "                 and ((o.country ?? \"\") != \"FI\" or (o.express ?? false))\n"
               "               then %u + (o.items ?? 0) %% %u else 0\n",
            k, k + 1, k + 2, k, k + 1, k + 3);
    }
    put(b, "fn total_score(o) = ");
    for (unsigned k = 0; k < rules; k++)
        put(b, "%srule_%u(o)", k ? " + " : "", k);
    put(b, "\n\nvar verdict = \"unknown\"\n\n");
    put(b, "state classify {\n"
           "  let s = total_score(order)\n"
           "  let ratio_text = \"{round(s * 100 / max(bound_0, 1))}%% of bound_0 ({bound_0}), rules {[");
    for (unsigned k = 0; k < rules; k++)
        put(b, "%srule_%u(order)", k ? ", " : "", k);
    put(b, "]}\"\n");
    for (unsigned k = 0; k < rules; k++)
        put(b, "%sif s >= %u * step and rule_%u(order) > 0 {\n"
               "    set verdict = \"rule-%u\"\n"
               "    tag \"rule-%u\", \"{order.customer_id}-{s}\"\n"
               "  }",
            k ? " else " : "  ", rules - k, k, k, k);
    put(b, " else {\n    set verdict = \"clean\"\n  }\n"
           "  note \"Order {order.id}: score {s}, {ratio_text}, verdict {verdict}\"\n"
           "  if verdict == \"clean\" { done \"clean\" }\n"
           "  goto hold\n"
           "}\n\n");
    put(b, "state hold {\n"
           "  let held = call shop.hold_order({order: order.id, reason: verdict, score: total_score(order)})\n"
           "    else { note \"Could not hold {order.id}: {error}\" goto decide }\n"
           "  note \"Held until {held.until ?? \"further notice\"}\"\n"
           "  goto decide\n"
           "}\n\n");
    put(b, "state decide {\n"
           "  ask team(\"fraud-%u\")\n"
           "      \"Order {order.id} ({order.total} {order.currency}) flagged by {verdict}: release?\"\n"
           "      choices release, cancel \"Cancel and refund\" with comment\n"
           "      within %uh\n"
           "      remind every %um\n"
           "  {\n"
           "    release -> { send shop.release_order({order: order.id}) done \"released\" }\n"
           "    cancel  -> { send shop.cancel_order({order: order.id, note: answer.comment}) done \"cancelled\" }\n"
           "    timeout -> watch\n"
           "  }\n"
           "}\n\n", i % 5, 2 + i % 6, 20 + i % 40);
    put(b, "state watch {\n"
           "  wait {\n"
           "    shop.order_flagged as next when next.id != order.id -> decide\n"
           "    after %ud -> done \"expired\"\n"
           "  }\n"
           "}\n", 1 + i % 3);
}

typedef void (*GenFn)(Buf *, unsigned);
static const GenFn generators[BENCH_TEMPLATES] = {
    gen_complaint, gen_outage, gen_refund, gen_pipeline, gen_security, gen_rules,
};
static const char *const template_names[BENCH_TEMPLATES] = {
    "complaint", "outage", "refund", "pipeline", "security", "rules",
};

/* ---- the corpus ------------------------------------------------------------------- */

typedef struct Playbook {
    char name[32];
    char *text;
    size_t len;
} Playbook;

typedef struct Corpus {
    Playbook *items;
    unsigned count, cap;
    size_t lines, bytes;
} Corpus;

static size_t count_lines(const char *text, size_t len)
{
    size_t lines = 0;
    for (size_t k = 0; k < len; k++)
        lines += text[k] == '\n';
    if (len > 0 && text[len - 1] != '\n')
        lines++;
    return lines;
}

static void corpus_add(Corpus *corpus, unsigned index)
{
    if (corpus->count == corpus->cap) {
        corpus->cap = corpus->cap ? corpus->cap * 2 : 256;
        corpus->items = realloc(corpus->items, corpus->cap * sizeof *corpus->items);
        if (!corpus->items) {
            fputs("bench_front: out of memory\n", stderr);
            exit(1);
        }
    }
    Buf buf = {NULL, 0, 0};
    unsigned template = index % BENCH_TEMPLATES;
    generators[template](&buf, index);
    Playbook *p = &corpus->items[corpus->count++];
    snprintf(p->name, sizeof p->name, "%s_%u.play", template_names[template], index);
    p->text = buf.data;
    p->len = buf.len;
    corpus->lines += count_lines(buf.data, buf.len);
    corpus->bytes += buf.len;
}

static void corpus_free(Corpus *corpus)
{
    for (unsigned k = 0; k < corpus->count; k++)
        free(corpus->items[k].text);
    free(corpus->items);
}

/* ---- measuring -------------------------------------------------------------------- */

typedef struct FrontRun {
    unsigned errors, warnings;
    size_t max_arena;
    const Playbook *first_bad;
} FrontRun;

/* Compiles every playbook on its own, as `huddle check` would. */
static void run_front(const Corpus *corpus, FrontRun *run)
{
    memset(run, 0, sizeof *run);
    for (unsigned k = 0; k < corpus->count; k++) {
        const Playbook *p = &corpus->items[k];
        Front *front = front_new();
        if (!front) {
            fputs("bench_front: out of memory\n", stderr);
            exit(1);
        }
        front_compile(front, p->name, p->text, p->len, NULL);
        if ((front->diags.errors || front->diags.warnings) && !run->first_bad)
            run->first_bad = p;
        run->errors += front->diags.errors;
        run->warnings += front->diags.warnings;
        if (front->arena.total > run->max_arena)
            run->max_arena = front->arena.total;
        front_free(front);
    }
}

/* Scans every playbook to the end: the source copy and line table, then the tokens. */
static size_t run_lex(const Corpus *corpus, unsigned *errors)
{
    size_t tokens = 0;
    *errors = 0;
    for (unsigned k = 0; k < corpus->count; k++) {
        const Playbook *p = &corpus->items[k];
        Arena arena;
        arena_init(&arena);
        DiagList diags;
        diag_list_init(&diags, &arena);
        const Source *src = source_new(&arena, p->name, p->text, p->len);
        Lexer *lexer = src ? lexer_new(&arena, src, &diags) : NULL;
        if (!lexer) {
            fputs("bench_front: cannot start the lexer\n", stderr);
            exit(1);
        }
        LexToken token;
        while (lexer_next(lexer, &token) != 0)
            tokens++;
        *errors += diags.errors;
        lexer_free(lexer);
        arena_free(&arena);
    }
    return tokens;
}

/* Prints the diagnostics of one playbook, for a template that went wrong. */
static void show_diagnostics(const Playbook *p)
{
    Front *front = front_new();
    front_compile(front, p->name, p->text, p->len, NULL);
    StrBuf out = STRBUF_INIT;
    for (unsigned k = 0; k < front->diags.count && k < 10; k++)
        diag_render_text(&front->diags.items[k], &out);
    fprintf(stderr, "%s", strbuf_text(&out));
    strbuf_free(&out);
    front_free(front);
}

static void row(const char *metric, const char *value, const char *unit)
{
    if (*unit)
        printf("  %-28s %14s  %s\n", metric, value, unit);
    else
        printf("  %-28s %14s\n", metric, value);
}

static int dump(const char *dir)
{
    for (unsigned t = 0; t < BENCH_TEMPLATES * 4; t++) {
        Buf buf = {NULL, 0, 0};
        generators[t % BENCH_TEMPLATES](&buf, t * 7 + t / BENCH_TEMPLATES);
        char path[4096];
        snprintf(path, sizeof path, "%s/%s_%u.play", dir, template_names[t % BENCH_TEMPLATES],
                 t * 7 + t / BENCH_TEMPLATES);
        FILE *f = fopen(path, "w");
        if (!f) {
            fprintf(stderr, "bench_front: %s: %s\n", path, strerror(errno));
            return 1;
        }
        fwrite(buf.data, 1, buf.len, f);
        fclose(f);
        free(buf.data);
    }
    return 0;
}

int main(int argc, char **argv)
{
    if (argc == 3 && strcmp(argv[1], "--dump") == 0)
        return dump(argv[2]);
    if (argc != 1) {
        fprintf(stderr, "usage: %s [--dump DIR]\n", argv[0]);
        return 2;
    }

    Corpus corpus = {NULL, 0, 0, 0, 0};
    for (unsigned index = 0; corpus.lines < BENCH_MIN_LINES; index++)
        corpus_add(&corpus, index);

    /* Check the corpus once before timing anything. */
    FrontRun run;
    run_front(&corpus, &run);
    if (run.errors || run.warnings) {
        fprintf(stderr, "bench_front: the corpus is not clean: %u errors, %u warnings; first in %s:\n",
                run.errors, run.warnings, run.first_bad->name);
        show_diagnostics(run.first_bad);
        corpus_free(&corpus);
        return 1;
    }

    double best_front = 1e30, best_lex = 1e30;
    size_t max_arena = 0, tokens = 0;
    for (int r = 0; r < BENCH_RUNS; r++) {
        double t0 = wall_seconds();
        run_front(&corpus, &run);
        double t1 = wall_seconds();
        if (run.errors || run.warnings) {
            fprintf(stderr, "bench_front: run %d: %u errors, %u warnings\n", r, run.errors,
                    run.warnings);
            corpus_free(&corpus);
            return 1;
        }
        if (t1 - t0 < best_front)
            best_front = t1 - t0;
        if (run.max_arena > max_arena)
            max_arena = run.max_arena;

        unsigned lex_errors;
        t0 = wall_seconds();
        tokens = run_lex(&corpus, &lex_errors);
        t1 = wall_seconds();
        if (lex_errors) {
            fprintf(stderr, "bench_front: the lexer reported %u errors\n", lex_errors);
            corpus_free(&corpus);
            return 1;
        }
        if (t1 - t0 < best_lex)
            best_lex = t1 - t0;
    }

    struct rusage usage;
    getrusage(RUSAGE_SELF, &usage);

    char a[64];
    double lines = (double)corpus.lines, mb = (double)corpus.bytes / 1e6;
    printf("front end (lex+parse+check, each playbook compiled on its own, best of %d)\n",
           BENCH_RUNS);
    row("playbooks", group(a, sizeof a, corpus.count), "");
    row("templates", group(a, sizeof a, BENCH_TEMPLATES), "");
    row("lines", group(a, sizeof a, lines), "");
    row("bytes", group(a, sizeof a, (double)corpus.bytes), "");
    row("tokens", group(a, sizeof a, (double)tokens), "");
    row("errors + warnings", "0", "");
    snprintf(a, sizeof a, "%.4f", best_front);
    row("lex+parse+check time", a, "s");
    row("lex+parse+check lines/s", group(a, sizeof a, lines / best_front), "lines/s");
    snprintf(a, sizeof a, "%.1f", mb / best_front);
    row("lex+parse+check MB/s", a, "MB/s");
    snprintf(a, sizeof a, "%.2f", best_front * 1e6 / corpus.count);
    row("per playbook", a, "us");
    snprintf(a, sizeof a, "%.4f", best_lex);
    row("lex only time", a, "s");
    row("lex only lines/s", group(a, sizeof a, lines / best_lex), "lines/s");
    snprintf(a, sizeof a, "%.1f", mb / best_lex);
    row("lex only MB/s", a, "MB/s");
    snprintf(a, sizeof a, "%.0f%%", 100.0 * best_lex / best_front);
    row("lex share of the front end", a, "");
    snprintf(a, sizeof a, "%.1f", (double)usage.ru_maxrss / 1024.0);
    row("peak RSS (ru_maxrss)", a, "MiB");
    snprintf(a, sizeof a, "%.1f", (double)max_arena / 1024.0);
    row("largest Front arena", a, "KiB");

    corpus_free(&corpus);
    return 0;
}
