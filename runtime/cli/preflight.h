/*
 * preflight.h - checks of a playbook against a directory before it runs
 * (../shared/design/RUNTIME.md, "Pre-flight"): who-expressions with literal ids that
 * resolve to nobody, people with no way to be told, escalation levels that would be
 * empty, calendars that do not exist.
 */
#ifndef HUDDLE_PREFLIGHT_H
#define HUDDLE_PREFLIGHT_H

#include "ast.h"
#include "diag.h"
#include "directory.h"

/* Adds a diagnostic of `severity` for each problem found. */
void preflight_check(const AstProgram *program, const Directory *dir, DiagList *diags,
                     DiagSeverity severity);

#endif
