/*
 * check_event.c - a trigger's name typed by its event type (RUNTIME.md v1.2, "Event
 * types"): with a connectors file whose connector lists the trigger's event type,
 * `alert.produt` is an error with a suggestion, `alert.product` has the field's type (so
 * a string used as a number is an error where it is used), and an optional field read
 * without `??` is a warning. Without one, or for a type not listed, the name is data of
 * any shape, as before.
 */
#include <stdio.h>
#include <string.h>

#include "check_internal.h"

#define EVENT_PATH_MAX 16   /* fields deep: deeper chains are left untyped */

/* The trigger named `name` when its connector types its event, with that connector. */
static const AstTrigger *event_trigger(CheckCtx *c, const char *name, const CheckConnector **conn)
{
    if (!c->options || !c->options->connectors)
        return NULL;
    Symbol *sym = check_lookup(c, name);
    if (!sym || sym->kind != SYM_TRIGGER || !sym->decl)
        return NULL;
    const AstTrigger *t = sym->decl;
    for (unsigned i = 0; i < c->options->connector_count; i++) {
        const CheckConnector *k = &c->options->connectors[i];
        if (strcmp(k->name, t->source.text) != 0)
            continue;
        for (unsigned f = 0; f < k->field_count; f++)
            if (strcmp(k->fields[f].event, t->type.text) == 0)
                return *conn = k, t;
    }
    return NULL;
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
    static const char *const WORDS[] = {"string", "integer", "boolean", "list", "map"};
    static const CheckType TYPES[] = {TYPE_STRING, TYPE_INT, TYPE_BOOL, TYPE_LIST, TYPE_MAP};
    for (int i = 0; i < 5; i++)
        if (strlen(WORDS[i]) == n && strncmp(word, WORDS[i], n) == 0)
            return TYPES[i];
    return TYPE_ANY;   /* number (an integer or not), time (text), any */
}

/* The names of the fields right under `parent` ("" for the top), for a suggestion. */
static void event_siblings(CheckCtx *c, const CheckConnector *k, const char *event, const char *parent,
                           Diag *d, const char *name)
{
    const char **names = arena_alloc(c->arena, sizeof(char *) * (k->field_count + 1));
    unsigned n = 0;
    size_t plen = strlen(parent);
    for (unsigned f = 0; f < k->field_count; f++) {
        const char *p = k->fields[f].path;
        if (strcmp(k->fields[f].event, event) != 0 || strncmp(p, parent, plen) != 0)
            continue;
        const char *rest = p + plen + (plen ? 1 : 0);
        if ((!plen || p[plen] == '.') && !strchr(rest, '.'))
            names[n++] = rest;
    }
    check_suggest(c, d, name, names, n);
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
    const CheckConnector *k;
    const AstTrigger *t = at->kind == EX_NAME ? event_trigger(c, at->as.name.text, &k) : NULL;
    if (!t || at->kind != EX_NAME)
        return false;
    check_expr(c, at);
    char path[512] = "";
    *type = TYPE_MAP;
    for (unsigned i = depth; i-- > 0;) {
        AstExpr *f = chain[i];
        char parent[512];
        snprintf(parent, sizeof parent, "%s", path);
        snprintf(path, sizeof path, "%s%s%s", parent, parent[0] ? "." : "", f->as.field.field.text);
        const CheckEventField *field = event_field(k, t->type.text, path);
        if (!field || *type != TYPE_MAP) {
            Diag *d = check_error(c, f->as.field.field.span, "%s.%s events have no field '%s'",
                                  t->source.text, t->type.text, path);
            if (*type == TYPE_MAP)
                event_siblings(c, k, t->type.text, parent, d, f->as.field.field.text);
            for (unsigned j = i + 1; j-- > 0;)
                chain[j]->type = TYPE_ANY;
            return *type = TYPE_ANY, true;
        }
        bool optional;
        *type = event_type_of(field->type, &optional);
        f->type = (int)*type;
        if (optional && i == 0 && c->coalesce_left != expr)
            diag_hint(c->diags, check_warning(c, f->as.field.field.span, "'%s' is optional in %s.%s events (%s)",
                                              path, t->source.text, t->type.text, field->type),
                      "give a default with ??");
    }
    return true;
}
