/*
 * graph.h - a playbook as a Graphviz DOT graph, for `huddle graph`.
 *
 * States are nodes; gotos, ask and wait arms, escalations and timeouts are labelled
 * edges; each distinct `done` and `fail` is an end node. Labels quote the source.
 */
#ifndef HUDDLE_GRAPH_H
#define HUDDLE_GRAPH_H

#include "ast.h"
#include "strbuf.h"

/* Appends the DOT text of a parsed (and checked) program to `out`. */
void graph_dot(const AstProgram *program, StrBuf *out);

/* The end node an instance reached when it ended in `state` with `text`, an outcome
   (`done`) or a reason (else `fail`): of the state's done (or fail) statements, the
   first whose string literal is `text`, else the first that can write it (its
   interpolations standing for any text). Appends that node's DOT id, as graph_dot names it, to `id` and returns true;
   returns false when none can. */
bool graph_end_node(const AstProgram *program, const char *state, bool done,
                    const char *text, StrBuf *id);

#endif
