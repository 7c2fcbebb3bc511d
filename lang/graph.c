/*
 * graph.c - DOT export of a playbook's states (see graph.h).
 */
#include "graph.h"

#include <stdio.h>
#include <string.h>

typedef struct GraphCtx {
    const AstProgram *program;
    StrBuf *out;
    const char *state;      /* the state whose edges are being written */
    /* graph_end_node's search instead of edges: the end it looks for, and what it found */
    const char *find_text;
    bool find_done;
    StrBuf found;           /* the best end so far: one written exactly beats a pattern */
    bool hit, exact;
} GraphCtx;

/* The start node's id: no state's name, as a state is named by an identifier. */
#define GRAPH_START "\"(start)\""

/* Appends `len` bytes as the inside of a DOT string. */
static void graph_escape(StrBuf *out, const char *text, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        char c = text[i];
        if (c == '"' || c == '\\')
            strbuf_putc(out, '\\');
        if (c == '\n') {
            strbuf_puts(out, "\\n");
            continue;
        }
        strbuf_putc(out, c);
    }
}

static void graph_quote(StrBuf *out, const char *text)
{
    strbuf_putc(out, '"');
    graph_escape(out, text, strlen(text));
    strbuf_putc(out, '"');
}

/* The source text of a span, squeezed onto one line. */
static void graph_source(GraphCtx *g, StrBuf *out, Span span)
{
    const char *text = g->program->src->text;
    bool blank = false;
    for (uint32_t i = span.start; i < span.end; i++) {
        char c = text[i];
        if (c == '\n' || c == '\t' || c == ' ' || c == '\r') {
            blank = true;
            continue;
        }
        if (blank && out->len)
            strbuf_putc(out, ' ');
        blank = false;
        strbuf_putc(out, c);
    }
}

static void graph_edge(GraphCtx *g, const char *to, const char *label, const char *style)
{
    strbuf_puts(g->out, "  ");
    graph_quote(g->out, g->state);
    strbuf_puts(g->out, " -> ");
    graph_quote(g->out, to);
    strbuf_puts(g->out, " [label=");
    graph_quote(g->out, label);
    if (style)
        strbuf_printf(g->out, ", %s", style);
    strbuf_puts(g->out, "];\n");
}

/* Could the string literal `literal` write `text`: its literal parts as they are, each
   interpolation any text? A glob match, each interpolation a `*` (written as a NUL byte,
   which neither a literal nor a value holds), backtracking to the last one. */
static bool graph_text_matches(const AstExpr *literal, const char *text)
{
    StrBuf pattern = STRBUF_INIT;
    for (unsigned i = 0; i < literal->as.parts.count; i++) {
        const AstStrPart *part = literal->as.parts.items[i];
        if (part->expr)
            strbuf_putc(&pattern, '\0');
        else
            strbuf_append(&pattern, part->text, part->len);
    }
    const char *pat = pattern.data;
    size_t p = 0, t = 0, plen = pattern.len, tlen = strlen(text), star = (size_t)-1, mark = 0;
    bool matched = true;
    while (t < tlen && matched) {
        if (p < plen && pat[p] != '\0' && pat[p] == text[t]) {
            p++;
            t++;
        } else if (p < plen && pat[p] == '\0') {
            star = p++;
            mark = t;
        } else if (star != (size_t)-1) {
            p = star + 1;
            t = ++mark;
        } else {
            matched = false;
        }
    }
    while (matched && p < plen && pat[p] == '\0')
        p++;
    matched = matched && p == plen;
    strbuf_free(&pattern);
    return matched;
}

/* An edge to the end node of a done or fail, named by its text; in graph_end_node's
   search, the node is noted instead if it can end with the text looked for: the first
   written exactly so, else the first whose interpolations can make it. */
static void graph_end_edge(GraphCtx *g, bool done, const AstExpr *text, const char *label)
{
    StrBuf node = STRBUF_INIT;
    strbuf_puts(&node, done ? "done " : "fail ");
    graph_source(g, &node, text->span);
    const char *plain;
    uint32_t len;
    if (!g->find_text) {
        graph_edge(g, strbuf_text(&node), label, NULL);
    } else if (!g->exact && done == g->find_done && graph_text_matches(text, g->find_text)) {
        bool exact = ast_string_is_plain(text, &plain, &len);
        if (exact || !g->hit) {
            g->found.len = 0;
            strbuf_puts(&g->found, strbuf_text(&node));
            g->hit = true;
            g->exact = exact;
        }
    }
    strbuf_free(&node);
}

static void graph_block(GraphCtx *g, const AstBlock *block, const char *label);

static void graph_target(GraphCtx *g, const AstTarget *target, const char *label,
                         const char *style)
{
    switch (target->kind) {
    case TARGET_GOTO:
        graph_edge(g, target->state.text, label, style);
        break;
    case TARGET_DONE:
    case TARGET_FAIL:
        graph_end_edge(g, target->kind == TARGET_DONE, target->text, label);
        break;
    case TARGET_BLOCK:
        graph_block(g, target->block, label);
        break;
    }
}

static void graph_ask(GraphCtx *g, const AstAsk *ask)
{
    for (unsigned i = 0; i < ask->escalations.count; i++) {
        const AstEscalation *level = ask->escalations.items[i];
        StrBuf label = STRBUF_INIT;
        graph_source(g, &label, level->span);
        graph_edge(g, g->state, strbuf_text(&label), "style=dotted, color=\"#b06000\"");
        strbuf_free(&label);
    }
    for (unsigned i = 0; i < ask->arms.count; i++) {
        const AstArm *arm = ask->arms.items[i];
        StrBuf label = STRBUF_INIT;
        const char *style = NULL;
        if (arm->kind == ARM_TIMEOUT && ask->within) {
            strbuf_puts(&label, "timeout (within ");
            graph_source(g, &label, ask->within->span);
            strbuf_puts(&label, ")");
            style = "style=dashed, color=\"#a00000\"";
        } else {
            graph_source(g, &label, arm->span);
            if (arm->kind == ARM_NO_QUORUM)
                style = "style=dashed";
        }
        graph_target(g, arm->target, strbuf_text(&label), style);
        strbuf_free(&label);
    }
}

static void graph_wait(GraphCtx *g, const AstStmt *stmt)
{
    for (unsigned i = 0; i < stmt->as.wait.arms.count; i++) {
        const AstArm *arm = stmt->as.wait.arms.items[i];
        if (arm->kind == ARM_FOREVER)
            continue;
        StrBuf label = STRBUF_INIT;
        graph_source(g, &label, arm->span);
        graph_target(g, arm->target, strbuf_text(&label),
                     arm->kind == ARM_AFTER ? "style=dashed" : NULL);
        strbuf_free(&label);
    }
}

static void graph_call(GraphCtx *g, const AstCall *call)
{
    if (call->else_kind == ELSE_NONE)
        return;
    char label[256];
    snprintf(label, sizeof label, "%s.%s failed", call->connector.text, call->operation.text);
    if (call->else_kind == ELSE_GOTO)
        graph_edge(g, call->else_state.text, label, "style=dashed");
    else
        graph_block(g, call->else_block, label);
}

static void graph_stmt(GraphCtx *g, const AstStmt *stmt, const char *label)
{
    switch (stmt->kind) {
    case ST_GOTO:
        graph_edge(g, stmt->as.go.text, label, NULL);
        break;
    case ST_DONE:
    case ST_FAIL:
        graph_end_edge(g, stmt->kind == ST_DONE, stmt->as.text, label);
        break;
    case ST_IF:   /* an `else if` chain, in a loop */
        for (; stmt->as.if_.else_if; stmt = stmt->as.if_.else_if)
            graph_block(g, stmt->as.if_.then_block, label);
        graph_block(g, stmt->as.if_.then_block, label);
        if (stmt->as.if_.else_block)
            graph_block(g, stmt->as.if_.else_block, label);
        break;
    case ST_LET:
        if (stmt->as.let.call)
            graph_call(g, stmt->as.let.call);
        break;
    case ST_CALL:
        graph_call(g, stmt->as.call);
        break;
    case ST_ASK:
        graph_ask(g, stmt->as.ask);
        break;
    case ST_WAIT:
        graph_wait(g, stmt);
        break;
    default:
        break;
    }
}

static void graph_block(GraphCtx *g, const AstBlock *block, const char *label)
{
    for (unsigned i = 0; i < block->stmts.count; i++)
        graph_stmt(g, block->stmts.items[i], label);
}

/* End nodes, one per distinct done/fail text, styled by kind. */
static void graph_end_nodes(GraphCtx *g)
{
    strbuf_puts(g->out,
                "  node [shape=box, style=\"rounded,filled\", fillcolor=\"#e4f4e4\"];\n");
}

void graph_dot(const AstProgram *program, StrBuf *out)
{
    GraphCtx g = {program, out, NULL, NULL, false, STRBUF_INIT, false, false};
    strbuf_puts(out, "digraph ");
    graph_quote(out, program->name.text ? program->name.text : "playbook");
    strbuf_puts(out, " {\n  rankdir=LR;\n  labelloc=t;\n  label=");
    StrBuf title = STRBUF_INIT;
    strbuf_puts(&title, program->name.text ? program->name.text : "playbook");
    if (program->title) {
        strbuf_puts(&title, ": ");
        graph_source(&g, &title, program->title->span);
    }
    graph_quote(out, strbuf_text(&title));
    strbuf_free(&title);
    strbuf_puts(out, ";\n  fontname=\"Helvetica\";\n"
                     "  node [fontname=\"Helvetica\", shape=box, style=\"rounded,filled\", "
                     "fillcolor=\"#eef3fb\"];\n"
                     "  edge [fontname=\"Helvetica\", fontsize=10];\n"
                     "  " GRAPH_START " [shape=circle, label=\"\", width=0.25, style=filled, fillcolor=black];\n");
    if (program->states.count) {
        const AstState *first = program->states.items[0];
        for (unsigned i = 0; i < program->triggers.count; i++) {
            const AstTrigger *t = program->triggers.items[i];
            StrBuf label = STRBUF_INIT;
            strbuf_printf(&label, "on %s.%s", t->source.text, t->type.text);
            strbuf_puts(out, "  " GRAPH_START " -> ");
            graph_quote(out, first->name.text);
            strbuf_puts(out, " [label=");
            graph_quote(out, strbuf_text(&label));
            strbuf_puts(out, "];\n");
            strbuf_free(&label);
        }
    }
    for (unsigned i = 0; i < program->states.count; i++) {
        const AstState *state = program->states.items[i];
        strbuf_puts(out, "  ");
        graph_quote(out, state->name.text);
        strbuf_puts(out, ";\n");
    }
    graph_end_nodes(&g);
    for (unsigned i = 0; i < program->states.count; i++) {
        const AstState *state = program->states.items[i];
        g.state = state->name.text;
        graph_block(&g, state->body, "goto");
    }
    strbuf_puts(out, "}\n");
}

bool graph_end_node(const AstProgram *program, const char *state, bool done,
                    const char *text, StrBuf *id)
{
    StrBuf edges = STRBUF_INIT;     /* the edges the walk writes, unwanted here */
    GraphCtx g = {program, &edges, state, text, done, STRBUF_INIT, false, false};
    for (unsigned i = 0; i < program->states.count; i++) {
        const AstState *s = program->states.items[i];
        if (strcmp(s->name.text, state) == 0)
            graph_block(&g, s->body, "goto");
    }
    if (g.hit)
        strbuf_puts(id, strbuf_text(&g.found));
    strbuf_free(&g.found);
    strbuf_free(&edges);
    return g.hit;
}
