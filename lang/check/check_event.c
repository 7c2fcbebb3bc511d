/*
 * check_event.c - a trigger's name typed by its event type (RUNTIME.md v1.2, "Event
 * types"): with a connectors file whose connector lists the trigger's event type,
 * `alert.produt` is an error with a suggestion, `alert.product` has the field's type (so
 * a string used as a number is an error where it is used), and an optional field read
 * without `??` is a warning. Without one, or for a type not listed, the name is data of
 * any shape, as before. Triggers may share a NAME: when every one of them is typed, a
 * field must be in at least one of their event types (and one that some lack may be null,
 * a warning as for an optional one); when any of them is untyped, the name is untyped.
 * Below a field typed `map` (its keys not described) or `any`, reads are untyped, as
 * `[..]` reads are: `alert.extra.channel` is any; a nested object's fields are checked.
 */
#include <stdio.h>
#include <string.h>

#include "check_internal.h"

#define EVENT_PATH_MAX 16   /* fields deep: deeper chains are left untyped */

/* One typed trigger of the name, and how far down the field path its event type goes. */
typedef struct Typed {
    const AstTrigger *trigger;
    const CheckConnector *conn;
    CheckType type;         /* the type at the path so far */
    bool live;              /* its type has every field of the path so far */
    bool parent_map;        /* live with a map at the parent of the field looked at */
    const char *word;       /* the type word of the field looked at ("string?") */
    bool open;              /* live with a field whose keys are not described */
} Typed;

/* The connector that types trigger t's event, or NULL when its event type is not listed. */
static const CheckConnector *trigger_connector(CheckCtx *c, const AstTrigger *t)
{
    for (unsigned i = 0; i < c->options->connector_count; i++) {
        const CheckConnector *k = &c->options->connectors[i];
        if (strcmp(k->name, t->source.text) != 0)
            continue;
        for (unsigned f = 0; f < k->field_count; f++)
            if (strcmp(k->fields[f].event, t->type.text) == 0)
                return k;
    }
    return NULL;
}

/* The triggers named `name` (triggers may share a NAME), each into (*typed)[i], when every
   one of them is typed: their count. 0 when the name is no trigger, there is no
   connectors file, or any trigger of the name is untyped: its events may hold any field,
   so the name is left untyped (RUNTIME.md, "Event types"). */
static unsigned event_triggers(CheckCtx *c, const char *name, Typed **typed)
{
    if (!c->options || !c->options->connectors)
        return 0;
    Symbol *sym = check_lookup(c, name);
    if (!sym || sym->kind != SYM_TRIGGER || !sym->decl)
        return 0;
    const AstVec *all = &c->program->triggers;
    Typed *out = arena_alloc(c->arena, sizeof *out * (all->count + 1));
    unsigned n = 0;
    for (unsigned i = 0; i < all->count; i++) {
        const AstTrigger *t = all->items[i];
        if (strcmp(t->name.text, name) == 0)
            out[n++] = (Typed){.trigger = t};
    }
    if (n == 0)
        out[n++] = (Typed){.trigger = sym->decl};
    for (unsigned i = 0; i < n; i++) {
        out[i].conn = trigger_connector(c, out[i].trigger);
        if (!out[i].conn)
            return 0;
        out[i].type = TYPE_MAP;
        out[i].live = true;
    }
    *typed = out;
    return n;
}

static const CheckEventField *event_field(const CheckConnector *k, const char *event, const char *path)
{
    for (unsigned f = 0; f < k->field_count; f++)
        if (strcmp(k->fields[f].event, event) == 0 && strcmp(k->fields[f].path, path) == 0)
            return &k->fields[f];
    return NULL;
}

static CheckType event_type_of(const char *word, bool *optional)
{
    size_t n = strlen(word);
    *optional = n && word[n - 1] == '?';
    n -= *optional;
    /* a time field is RFC 3339 text, checked at the door: the playbook gets a string */
    static const char *const WORDS[] = {"string", "time", "integer", "boolean", "list", "map"};
    static const CheckType TYPES[] = {TYPE_STRING, TYPE_STRING, TYPE_INT, TYPE_BOOL, TYPE_LIST, TYPE_MAP};
    for (int i = 0; i < 6; i++)
        if (strlen(WORDS[i]) == n && strncmp(word, WORDS[i], n) == 0)
            return TYPES[i];
    return TYPE_ANY;   /* number (an integer or not), any */
}

/* Whether `field` holds keys its type does not describe: `any`, `any?`, or a `map` that
   is not a nested object. Reads below it are untyped. */
static bool event_field_open(const CheckEventField *field)
{
    bool optional;
    CheckType type = event_type_of(field->type, &optional);
    size_t len = strlen(field->type) - optional;
    bool any = type == TYPE_ANY && len == 3 && strncmp(field->type, "any", 3) == 0;
    return any || (type == TYPE_MAP && !field->described);
}

/* Whether a live typed trigger of the name is at an open field: then the name's reads
   below it are untyped, as when one of its triggers is untyped. */
static bool event_open(const Typed *typed, unsigned n)
{
    for (unsigned i = 0; i < n; i++)
        if (typed[i].live && typed[i].open)
            return true;
    return false;
}

/* The names of the fields right under `parent` ("" for the top) in the event types that
   have a map there, for a suggestion. */
static void event_siblings(CheckCtx *c, const Typed *typed, unsigned n, const char *parent, Diag *d,
                           const char *name)
{
    unsigned total = 0;
    for (unsigned i = 0; i < n; i++)
        total += typed[i].conn->field_count;
    const char **names = arena_alloc(c->arena, sizeof(char *) * (total + 1));
    unsigned count = 0;
    size_t plen = strlen(parent);
    for (unsigned i = 0; i < n; i++) {
        const CheckConnector *k = typed[i].conn;
        for (unsigned f = 0; typed[i].parent_map && f < k->field_count; f++) {
            const char *p = k->fields[f].path;
            if (strcmp(k->fields[f].event, typed[i].trigger->type.text) != 0 || strncmp(p, parent, plen) != 0)
                continue;
            const char *rest = p + plen + (plen ? 1 : 0);
            if ((!plen || p[plen] == '.') && !strchr(rest, '.'))
                names[count++] = rest;
        }
    }
    check_suggest(c, d, name, names, count);
}

static bool same_event(const AstTrigger *a, const AstTrigger *b)
{
    return strcmp(a->source.text, b->source.text) == 0 && strcmp(a->type.text, b->type.text) == 0;
}

/* "shop.order" or "shop.order and shop.other": the event types of the name, each once. */
static void event_types_text(CheckCtx *c, const Typed *typed, unsigned n, char *out, size_t len)
{
    const AstTrigger **once = arena_alloc(c->arena, sizeof *once * (n + 1));
    unsigned count = 0;
    for (unsigned i = 0; i < n; i++) {
        bool seen = false;
        for (unsigned j = 0; j < count; j++)
            seen |= same_event(once[j], typed[i].trigger);
        if (!seen)
            once[count++] = typed[i].trigger;
    }
    size_t at = 0;
    out[0] = '\0';
    for (unsigned i = 0; i < count && at < len; i++)
        at += (size_t)snprintf(out + at, len - at, "%s%s.%s", i == 0 ? "" : i + 1 < count ? ", " : " and ",
                               once[i]->source.text, once[i]->type.text);
}

/* Takes each typed trigger down to `path`: those whose type has it stay live. Returns how
   many do, and *type, the field's type when they agree on it (else any). */
static unsigned event_step(Typed *typed, unsigned n, const char *path, CheckType *type)
{
    unsigned live = 0;
    for (unsigned i = 0; i < n; i++) {
        Typed *t = &typed[i];
        t->parent_map = t->live && t->type == TYPE_MAP;
        const CheckEventField *field = t->parent_map ? event_field(t->conn, t->trigger->type.text, path) : NULL;
        t->live = field != NULL;
        t->open = field && event_field_open(field);
        if (!field)
            continue;
        bool optional;
        t->word = field->type;
        t->type = event_type_of(field->type, &optional);
        *type = live++ == 0 || *type == t->type ? t->type : TYPE_ANY;
    }
    return live;
}

/* The last field of a chain, read without ??: a warning when it may be null, because it
   is optional in an event type, or missing from one the name shares. */
static void event_warn_null(CheckCtx *c, const AstExpr *f, const Typed *typed, unsigned n, const char *path)
{
    for (unsigned i = 0; i < n; i++) {
        const AstTrigger *t = typed[i].trigger;
        size_t len = typed[i].live ? strlen(typed[i].word) : 0;
        if (len && typed[i].word[len - 1] == '?') {
            diag_hint(c->diags, check_warning(c, f->as.field.field.span, "'%s' is optional in %s.%s events (%s)",
                                              path, t->source.text, t->type.text, typed[i].word),
                      "give a default with ??");
            return;
        }
    }
    for (unsigned i = 0; i < n; i++)
        if (!typed[i].live) {
            const AstTrigger *t = typed[i].trigger;
            diag_hint(c->diags, check_warning(c, f->as.field.field.span, "'%s' is not in %s.%s events: it is null there",
                                              path, t->source.text, t->type.text),
                      "give a default with ??");
            return;
        }
}

/* The reads chain[0..i] (the last of the chain first) are of any type. */
static void event_untyped(AstExpr **chain, unsigned i)
{
    for (unsigned j = i + 1; j-- > 0;)
        chain[j]->type = TYPE_ANY;
}

bool check_event_field(CheckCtx *c, AstExpr *expr, CheckType *type)
{
    AstExpr *chain[EVENT_PATH_MAX];
    unsigned depth = 0;
    AstExpr *at = expr;
    while (at->kind == EX_FIELD && depth < EVENT_PATH_MAX) {
        chain[depth++] = at;
        at = at->as.field.object;
    }
    Typed *typed;
    unsigned n = at->kind == EX_NAME ? event_triggers(c, at->as.name.text, &typed) : 0;
    if (!n)
        return false;
    check_expr(c, at);
    char path[512] = "", types[512];
    *type = TYPE_MAP;
    for (unsigned i = depth; i-- > 0;) {
        AstExpr *f = chain[i];
        char parent[512];
        snprintf(parent, sizeof parent, "%s", path);
        snprintf(path, sizeof path, "%s%s%s", parent, parent[0] ? "." : "", f->as.field.field.text);
        if (event_open(typed, n))
            return event_untyped(chain, i), *type = TYPE_ANY, true;
        if (!event_step(typed, n, path, type)) {
            event_types_text(c, typed, n, types, sizeof types);
            Diag *d = check_error(c, f->as.field.field.span, "%s events have no field '%s'", types, path);
            event_siblings(c, typed, n, parent, d, f->as.field.field.text);
            return event_untyped(chain, i), *type = TYPE_ANY, true;
        }
        f->type = (int)*type;
        if (i == 0 && c->coalesce_left != expr)
            event_warn_null(c, f, typed, n, path);
    }
    return true;
}
