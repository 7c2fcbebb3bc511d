/*
 * preflight.c - a playbook's literal names checked against the directory (see
 * preflight.h). Only literal ids can be checked: a who-expression computed from event
 * data resolves when the seat is given.
 */
#include "preflight.h"

#include <stdio.h>
#include <string.h>

typedef struct Preflight {
    const AstProgram *program;
    const Directory *dir;
    DiagList *diags;
    DiagSeverity severity;
} Preflight;

static const char *literal(const AstExpr *expr)
{
    const char *text;
    uint32_t len;
    return expr && ast_string_is_plain(expr, &text, &len) ? text : NULL;
}

static void report(Preflight *p, Span span, const char *fmt, const char *a, const char *b)
{
    diag_add(p->diags, p->severity, p->program->src, span, fmt, a, b);
}

static void check_person(Preflight *p, const char *id, Span span)
{
    const DirPerson *person = dir_person(p->dir, id);
    if (!person)
        report(p, span, "no person '%s' in the directory%s", id, "");
    else if (!person->email && !person->notify)
        report(p, span, "%s has no way to be told: no email and no notify operation%s", id, "");
}

/* Checks one who-expression; returns whether it is known to have someone with a manager
   (for `escalate to manager`). */
static void check_who(Preflight *p, const AstWho *who)
{
    const char *a = literal(who->arg), *b = literal(who->arg2);
    switch (who->kind) {
    case WHO_PERSON:
        if (a)
            check_person(p, a, who->span);
        break;
    case WHO_TEAM:
    case WHO_ONCALL:
    case WHO_LEAD: {
        const DirTeam *team = a ? dir_team(p->dir, a) : NULL;
        if (a && !team)
            report(p, who->span, "no team '%s' in the directory%s", a, "");
        else if (team && who->kind == WHO_TEAM && team->member_count == 0)
            report(p, who->span, "team '%s' has no members%s", a, "");
        else if (team && who->kind == WHO_TEAM && team->distinct_members > DIR_TEAM_REACH_MAX) {
            char size[96];
            snprintf(size, sizeof size, "has %u members, more than the %d a seat or notify may reach",
                     team->distinct_members, DIR_TEAM_REACH_MAX);
            report(p, who->span, "team '%s' %s: it resolves to nobody", a, size);
        }
        else if (team && who->kind == WHO_LEAD && !team->lead)
            report(p, who->span, "team '%s' has no lead%s", a, "");
        else if (team && who->kind == WHO_ONCALL && team->rotation_count == 0)
            report(p, who->span, "team '%s' has no on-call rotation%s", a, "");
        break;
    }
    case WHO_ROLE:
    case WHO_OWNER: {
        const char *map = who->kind == WHO_ROLE ? "roles" : "owners";
        json_t *scopes = a ? json_object_get(json_object_get(p->dir->json, map), a) : NULL;
        if (a && !scopes)
            report(p, who->span, who->kind == WHO_ROLE ? "no role '%s' in the directory%s"
                                                       : "nothing of kind '%s' has an owner in the directory%s", a, "");
        else if (scopes && b && !json_object_get(scopes, b))
            report(p, who->span, "nobody holds '%s' for '%s'", a, b);
        break;
    }
    case WHO_MANAGER:
        check_who(p, who->inner);
        if (who->inner->kind == WHO_PERSON && literal(who->inner->arg)) {
            const DirPerson *person = dir_person(p->dir, literal(who->inner->arg));
            if (person && !person->manager)
                report(p, who->span, "%s has no manager%s", person->id, "");
        }
        break;
    default:
        break;
    }
}

static void check_block(Preflight *p, const AstBlock *block);

static void check_target(Preflight *p, const AstTarget *target)
{
    if (target && target->kind == TARGET_BLOCK)
        check_block(p, target->block);
}

/* Whether seat `seat` is known to reach nobody at a first `manager` level: a literal
   person without a manager, or a literal team or oncall seat whose team has no lead
   (LANGUAGE.md "ask": at level 0 its rung above is the lead). Sets *known false when
   the seat is not literal or names nobody the directory has; counts the team seats. */
static bool seat_rung_empty(Preflight *p, const AstWho *seat, bool *known, unsigned *teams,
                            const char **team_id)
{
    const char *id = literal(seat->arg);
    if (id && seat->kind == WHO_PERSON && dir_person(p->dir, id))
        return !dir_person(p->dir, id)->manager;
    const DirTeam *team = id && (seat->kind == WHO_TEAM || seat->kind == WHO_ONCALL) ? dir_team(p->dir, id) : NULL;
    if (!team) {
        *known = false;
        return false;
    }
    (*teams)++;
    *team_id = id;
    return !team->lead;
}

/* A first `escalate to manager` whose seats are all literal people without managers, or
   teams without a lead, adds nobody. */
static void check_ladder(Preflight *p, const AstAsk *ask)
{
    for (unsigned i = 0; i < ask->escalations.count; i++) {
        const AstEscalation *level = ask->escalations.items[i];
        if (level->who->kind != WHO_MANAGER_OF_LEVEL || i > 0) {
            if (level->who->kind != WHO_MANAGER_OF_LEVEL)
                check_who(p, level->who);
            continue;
        }
        bool known = true, empty = true;
        unsigned teams = 0;
        const char *team_id = NULL;
        for (unsigned k = 0; k < ask->seats.count; k++)
            empty = seat_rung_empty(p, ask->seats.items[k], &known, &teams, &team_id) && empty;
        if (!known || !empty)
            continue;
        if (teams == 0)
            report(p, level->span, "this escalation level would be empty: no seat holder has a manager%s%s", "", "");
        else if (teams == ask->seats.count && teams == 1)
            report(p, level->span, "this escalation level would be empty: team '%s' has no lead%s", team_id, "");
        else if (teams == ask->seats.count)
            report(p, level->span, "this escalation level would be empty: no seat's team has a lead%s%s", "", "");
        else
            report(p, level->span, "this escalation level would be empty: no person seat's holder has a manager"
                   " and no team seat's team has a lead%s%s", "", "");
    }
}

/* Adds to `people` (a JSON object used as a set) whom a literal person or team seat
   holds; false when the seat is of another kind or not literal, or its team unknown. */
static bool seat_people(Preflight *p, const AstWho *seat, json_t *people)
{
    const char *id = literal(seat->arg);
    if (id && seat->kind == WHO_PERSON && dir_person(p->dir, id))
        return json_object_set_new(people, id, json_true()) == 0;
    const DirTeam *team = id && seat->kind == WHO_TEAM ? dir_team(p->dir, id) : NULL;
    for (unsigned i = 0; team && i < team->member_count; i++)
        json_object_set_new(people, team->members[i], json_true());
    return team != NULL;
}

/* An ask with no escalation whose seats are all literal people and teams that hold
   fewer distinct people than its quorum (a team and its own members, say: `all of
   team("security"), person("ana"), person("ben")` with security = ana and ben) runs
   no_quorum at once. */
static void check_quorum_people(Preflight *p, const AstAsk *ask)
{
    int64_t quorum = ask->quorum == QUORUM_N ? ask->quorum_value
                   : ask->quorum == QUORUM_ALL ? (int64_t)ask->seats.count : 1;
    json_t *people = json_object();
    bool known = people != NULL && quorum >= 2 && ask->escalations.count == 0;
    for (unsigned i = 0; known && i < ask->seats.count; i++)
        known = seat_people(p, ask->seats.items[i], people);
    if (known && (int64_t)json_object_size(people) < quorum) {
        char counts[96];
        snprintf(counts, sizeof counts, "%zu distinct %s, fewer than its quorum of %lld",
                 json_object_size(people), json_object_size(people) == 1 ? "person" : "people",
                 (long long)quorum);
        const AstWho *first = ask->seats.items[0], *last = ask->seats.items[ask->seats.count - 1];
        report(p, (Span){first->span.start, last->span.end},
               "the seats of this ask hold %s: it runs no_quorum at once%s",
               counts, "");
    }
    json_decref(people);
}

static void check_stmt(Preflight *p, const AstStmt *stmt)
{
    switch (stmt->kind) {
    case ST_NOTIFY:
        for (unsigned i = 0; i < stmt->as.notify.whos.count; i++)
            check_who(p, stmt->as.notify.whos.items[i]);
        break;
    case ST_ASK: {
        const AstAsk *ask = stmt->as.ask;
        for (unsigned i = 0; i < ask->seats.count; i++)
            check_who(p, ask->seats.items[i]);
        check_ladder(p, ask);
        check_quorum_people(p, ask);
        for (unsigned i = 0; i < ask->arms.count; i++)
            check_target(p, ((AstArm *)ask->arms.items[i])->target);
        break;
    }
    case ST_WAIT:
        for (unsigned i = 0; i < stmt->as.wait.arms.count; i++)
            check_target(p, ((AstArm *)stmt->as.wait.arms.items[i])->target);
        break;
    case ST_IF:   /* an `else if` chain, in a loop */
        for (; stmt->as.if_.else_if; stmt = stmt->as.if_.else_if)
            check_block(p, stmt->as.if_.then_block);
        check_block(p, stmt->as.if_.then_block);
        if (stmt->as.if_.else_block)
            check_block(p, stmt->as.if_.else_block);
        break;
    case ST_LET:
        if (stmt->as.let.call && stmt->as.let.call->else_block)
            check_block(p, stmt->as.let.call->else_block);
        break;
    case ST_CALL:
        if (stmt->as.call->else_block)
            check_block(p, stmt->as.call->else_block);
        break;
    default:
        break;
    }
}

static void check_block(Preflight *p, const AstBlock *block)
{
    for (unsigned i = 0; i < block->stmts.count; i++)
        check_stmt(p, block->stmts.items[i]);
}

void preflight_check(const AstProgram *program, const Directory *dir, DiagList *diags,
                     DiagSeverity severity)
{
    Preflight p = {program, dir, diags, severity};
    const char *calendar = literal(program->calendar);
    if (calendar && !dir_calendar(dir, calendar))
        report(&p, program->calendar->span, "no calendar '%s' in the directory%s", calendar, "");
    for (unsigned i = 0; i < program->states.count; i++)
        check_block(&p, ((AstState *)program->states.items[i])->body);
}
