/*
 * check_flow.c - the graph of states: edges from goto and arm targets, states never
 * reached, states from which no done or fail can be reached, and loops of states that
 * never pass an ask, wait or call (an instance there would spin forever).
 */
#include "check_internal.h"

#include <string.h>

void check_state_add_edge(CheckCtx *c, int from, const AstName *target, bool waits)
{
    StateInfo *to = name_map_get(&c->states, target->text);
    if (!to) {
        Diag *d = check_error(c, target->span, "unknown state '%s'", target->text);
        check_suggest_map(c, d, target->text, &c->states);
        return;
    }
    if (from < 0)
        return;
    StateInfo *info = &c->state_infos[from];
    arena_grow(c->arena, (void **)&info->edges, &info->edge_cap, info->edge_count + 1,
               sizeof(StateEdge));
    info->edges[info->edge_count++] = (StateEdge){(int)(to - c->state_infos), waits, target->span};
}

/* Marks every state reachable from `start` (iteratively, so deep graphs are fine). */
static void check_reach(CheckCtx *c, int start, bool *seen)
{
    int *stack = arena_alloc(c->arena, sizeof(int) * (c->state_count + 1));
    unsigned top = 0;
    seen[start] = true;
    stack[top++] = start;
    while (top > 0) {
        StateInfo *info = &c->state_infos[stack[--top]];
        for (unsigned i = 0; i < info->edge_count; i++)
            if (!seen[info->edges[i].to]) {
                seen[info->edges[i].to] = true;
                stack[top++] = info->edges[i].to;
            }
    }
}

/* States that can reach a done or fail: from those that end, backwards along the edges
   (a worklist over the reversed graph, so a long chain of states costs no more than its
   edges). */
static void check_can_end(CheckCtx *c, bool *ends)
{
    unsigned n = c->state_count, edges = 0;
    for (unsigned i = 0; i < n; i++)
        edges += c->state_infos[i].edge_count;
    unsigned *first = arena_alloc(c->arena, sizeof(unsigned) * (n + 1));   /* into `from` */
    int *from = arena_alloc(c->arena, sizeof(int) * (edges + 1));
    int *work = arena_alloc(c->arena, sizeof(int) * (n + 1));
    memset(first, 0, sizeof(unsigned) * (n + 1));
    for (unsigned i = 0; i < n; i++)
        for (unsigned k = 0; k < c->state_infos[i].edge_count; k++)
            first[c->state_infos[i].edges[k].to + 1]++;
    for (unsigned i = 0; i < n; i++)
        first[i + 1] += first[i];
    unsigned *fill = arena_alloc(c->arena, sizeof(unsigned) * (n + 1));
    memcpy(fill, first, sizeof(unsigned) * (n + 1));
    for (unsigned i = 0; i < n; i++)
        for (unsigned k = 0; k < c->state_infos[i].edge_count; k++)
            from[fill[c->state_infos[i].edges[k].to]++] = (int)i;
    unsigned top = 0;
    for (unsigned i = 0; i < n; i++)
        if ((ends[i] = c->state_infos[i].ends))
            work[top++] = (int)i;
    while (top > 0) {
        int to = work[--top];
        for (unsigned k = first[to]; k < first[to + 1]; k++)
            if (!ends[from[k]]) {
                ends[from[k]] = true;
                work[top++] = from[k];
            }
    }
}

/* Tarjan's strongly connected components over the edges that do not wait. */
typedef struct SpinSearch {
    CheckCtx *c;
    int *index, *low, *stack;
    bool *on_stack;
    int next_index;
    unsigned top;
} SpinSearch;

static void check_report_spin(SpinSearch *s, unsigned from_top, int root)
{
    CheckCtx *c = s->c;
    unsigned size = s->top - from_top;
    bool self_loop = false;
    const StateInfo *info = &c->state_infos[root];
    for (unsigned i = 0; i < info->edge_count; i++)
        self_loop |= !info->edges[i].waits && info->edges[i].to == root;
    if (size == 1 && !self_loop)
        return;
    StrBuf names = STRBUF_INIT;
    int first = root;
    for (unsigned i = from_top; i < s->top; i++) {
        if (s->stack[i] < first)
            first = s->stack[i];
    }
    for (unsigned i = 0; i < c->state_count; i++) {
        bool member = false;
        for (unsigned k = from_top; k < s->top; k++)
            member |= s->stack[k] == (int)i;
        if (member)
            strbuf_printf(&names, "%s'%s'", names.len ? " -> " : "", c->state_infos[i].state->name.text);
    }
    strbuf_printf(&names, " -> '%s'", c->state_infos[first].state->name.text);
    Diag *d = check_error(c, c->state_infos[first].state->name.span,
                          "states loop without waiting: %s", strbuf_text(&names));
    diag_hint(c->diags, d, "an instance here would spin forever; put an ask, wait or call on the way");
    strbuf_free(&names);
}

/* The strongly connected component rooted at `v` is complete: report it if it spins. */
static void check_spin_close(SpinSearch *s, int v)
{
    unsigned from = s->top;
    do {
        from--;
    } while (s->stack[from] != v);
    check_report_spin(s, from, v);
    for (unsigned i = from; i < s->top; i++)
        s->on_stack[s->stack[i]] = false;
    s->top = from;
}

/* Tarjan's search from `root`, with an explicit stack of (state, next edge) so that a
   chain of states as long as the file needs no recursion. */
static void check_spin_visit(SpinSearch *s, int root)
{
    typedef struct { int v; unsigned next; } Visit;
    CheckCtx *c = s->c;
    Visit *calls = arena_alloc(c->arena, sizeof(Visit) * (c->state_count + 1));
    unsigned depth = 0;
    calls[depth++] = (Visit){root, 0};
    s->index[root] = s->low[root] = s->next_index++;
    s->stack[s->top++] = root;
    s->on_stack[root] = true;
    while (depth > 0) {
        Visit *call = &calls[depth - 1];
        int v = call->v;
        const StateInfo *info = &c->state_infos[v];
        if (call->next < info->edge_count) {
            const StateEdge *edge = &info->edges[call->next++];
            int w = edge->to;
            if (edge->waits)
                continue;
            if (s->index[w] < 0) {
                s->index[w] = s->low[w] = s->next_index++;
                s->stack[s->top++] = w;
                s->on_stack[w] = true;
                calls[depth++] = (Visit){w, 0};
            } else if (s->on_stack[w] && s->index[w] < s->low[v]) {
                s->low[v] = s->index[w];
            }
            continue;
        }
        depth--;   /* v is done: close its component, then tell its caller its low */
        if (s->low[v] == s->index[v])
            check_spin_close(s, v);
        if (depth > 0 && s->low[v] < s->low[calls[depth - 1].v])
            s->low[calls[depth - 1].v] = s->low[v];
    }
}

void check_flow(CheckCtx *c, bool warn)
{
    unsigned n = c->state_count;
    if (n == 0)
        return;
    SpinSearch s = {c, NULL, NULL, NULL, NULL, 0, 0};
    s.index = arena_alloc(c->arena, sizeof(int) * n);
    s.low = arena_alloc(c->arena, sizeof(int) * n);
    s.stack = arena_alloc(c->arena, sizeof(int) * n);
    s.on_stack = arena_alloc(c->arena, sizeof(bool) * n);
    for (unsigned i = 0; i < n; i++)
        s.index[i] = -1;
    for (unsigned i = 0; i < n; i++)
        if (s.index[i] < 0)
            check_spin_visit(&s, (int)i);

    if (!warn)
        return;
    bool *seen = arena_alloc(c->arena, sizeof(bool) * n);
    bool *ends = arena_alloc(c->arena, sizeof(bool) * n);
    check_reach(c, 0, seen);
    check_can_end(c, ends);
    for (unsigned i = 0; i < n; i++) {
        const AstState *state = c->state_infos[i].state;
        if (!seen[i])
            check_warning(c, state->name.span, "state '%s' is never reached", state->name.text);
        else if (!ends[i])
            check_warning(c, state->name.span,
                          "no done or fail can be reached from state '%s'", state->name.text);
    }
}
