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

#endif
