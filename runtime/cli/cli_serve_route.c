/*
 * cli_serve_route.c - serve's routes (../shared/design/RUNTIME.md, "Interfaces"): the
 * method and path of a request to a route and its one parameter, and the parameters of
 * a query. Pure functions of their text, fuzzed by tests/fuzz/fuzz_serve_routes.c.
 */
#include "cli_serve.h"

#include <string.h>
#include <strings.h>

typedef struct RouteSpec {
    ServeRouteId id;
    const char *name;
    const char *method;
    const char *prefix;             /* the path up to {param}, or all of it */
    const char *suffix;             /* after {param}; NULL: no param */
    unsigned need;
} RouteSpec;

static const RouteSpec ROUTES[] = {
    {ROUTE_HEALTHZ, "healthz", "GET", "/healthz", NULL, 0},
    {ROUTE_METRICS, "metrics", "GET", "/metrics", NULL, 0},
    {ROUTE_TASKS, "tasks", "GET", "/v1/tasks", NULL, MAY_READ},
    {ROUTE_INSTANCES, "instances", "GET", "/v1/instances", NULL, MAY_READ},
    {ROUTE_EVENTS, "events", "POST", "/v1/events/", "", MAY_EVENTS},
    {ROUTE_TASK_ANSWER, "task_answer", "POST", "/v1/tasks/", "/answer", MAY_ANSWER},
    {ROUTE_TASK_ACK, "task_ack", "POST", "/v1/tasks/", "/ack", MAY_ANSWER},
    {ROUTE_TASK_RESOLVE, "task_resolve", "POST", "/v1/tasks/", "/resolve", MAY_OPERATE},
    {ROUTE_TASK_REASSIGN, "task_reassign", "POST", "/v1/tasks/", "/reassign", MAY_OPERATE},
    {ROUTE_INSTANCE_HISTORY, "instance_history", "GET", "/v1/instances/", "/history", MAY_READ},
    {ROUTE_INSTANCE_RETRY, "instance_retry", "POST", "/v1/instances/", "/retry", MAY_OPERATE},
    {ROUTE_INSTANCE_CANCEL, "instance_cancel", "POST", "/v1/instances/", "/cancel", MAY_OPERATE},
    {ROUTE_INSTANCE, "instance", "GET", "/v1/instances/", "", MAY_READ},
    {ROUTE_AUDIT_HEAD, "audit_head", "GET", "/v1/audit/head", NULL, MAY_AUDIT},
    {ROUTE_AUDIT_SEARCH, "audit_search", "GET", "/v1/audit/search", NULL, MAY_AUDIT},
    {ROUTE_AUDIT_EXPORT, "audit_export", "GET", "/v1/audit/export", NULL, MAY_AUDIT},
};
#define ROUTE_SPECS (sizeof ROUTES / sizeof ROUTES[0])

/* Whether `path` is spec's shape; its parameter (one segment, not empty) in param. */
static bool route_match(const RouteSpec *r, const char *path, char *param, size_t cap, bool *bad)
{
    size_t plen = strlen(r->prefix);
    if (strncmp(path, r->prefix, plen) != 0)
        return false;
    const char *rest = path + plen;
    if (!r->suffix)
        return *rest == '\0';
    const char *slash = strchr(rest, '/');
    size_t seg = slash ? (size_t)(slash - rest) : strlen(rest);
    if (seg == 0 || strcmp(rest + seg, r->suffix) != 0)
        return false;
    if (seg >= cap) {
        *bad = true;
        return true;
    }
    memcpy(param, rest, seg);
    param[seg] = '\0';
    char buf[96];
    if (text_id_problem(param, false, buf))
        *bad = true;
    return true;
}

int serve_route(const char *method, const char *path, ServeRoute *out, const char **allow)
{
    memset(out, 0, sizeof *out);
    *allow = NULL;
    if (!method || !path)
        return SERVE_ROUTE_UNKNOWN;
    for (size_t i = 0; i < ROUTE_SPECS; i++) {
        const RouteSpec *r = &ROUTES[i];
        char param[TEXT_ID_MAX + 1] = "";
        bool bad = false;
        if (!route_match(r, path, param, sizeof param, &bad))
            continue;
        bool head = !strcmp(method, "HEAD") && !strcmp(r->method, "GET");
        if (strcmp(method, r->method) != 0 && !head) {
            *allow = r->method;
            return SERVE_ROUTE_METHOD;
        }
        if (bad)
            return SERVE_ROUTE_BAD;
        out->id = r->id;
        out->name = r->name;
        out->write = !strcmp(r->method, "POST");
        out->need = r->need;
        memcpy(out->param, param, sizeof param);
        return SERVE_ROUTE_OK;
    }
    return SERVE_ROUTE_UNKNOWN;
}

static int route_hex(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

const char *serve_origin_path(const char *target)
{
    const char *rest = NULL;
    if (strncasecmp(target, "http://", 7) == 0)
        rest = target + 7;
    else if (strncasecmp(target, "https://", 8) == 0)
        rest = target + 8;
    if (!rest)
        return target;
    const char *slash = strchr(rest, '/');
    return slash ? slash : "/";
}

/* Decodes [p, end) into out[cap]: -1 for a bad escape, a control byte, or no room. */
static int route_decode(const char *p, const char *end, char *out, size_t cap)
{
    size_t n = 0;
    while (p < end) {
        int c = (unsigned char)*p++;
        if (c == '+') {
            c = ' ';
        } else if (c == '%') {
            if (end - p < 2 || route_hex(p[0]) < 0 || route_hex(p[1]) < 0)
                return -1;
            c = route_hex(p[0]) * 16 + route_hex(p[1]);
            p += 2;
        }
        if (c < 0x20 || c == 0x7f || n + 1 >= cap)
            return -1;
        out[n++] = (char)c;
    }
    out[n] = '\0';
    return 0;
}

/* One parameter of a raw query: its name (name_len bytes), its value (NULL without '=')
   up to `end`, where the next parameter's '&' or the query's end is. */
typedef struct QueryPart {
    const char *name, *value, *end;
    size_t name_len;
} QueryPart;

/* Reads the parameter at *at into *part and moves *at past it; false at the query's end. */
static bool query_next(const char **at, QueryPart *part)
{
    const char *p = *at;
    if (!*p)
        return false;
    const char *amp = strchr(p, '&');
    part->name = p;
    part->end = amp ? amp : p + strlen(p);
    const char *eq = memchr(p, '=', (size_t)(part->end - p));
    part->value = eq ? eq + 1 : NULL;
    part->name_len = (size_t)((eq ? eq : part->end) - p);
    *at = amp ? amp + 1 : part->end;
    return true;
}

/* Whether the parameter is named `name` (len bytes), its name percent-decoded as its
   value is (RFC 3986: `st%61tus` is `status`); a name that does not decode is compared as
   written. */
static bool query_part_is(const QueryPart *part, const char *name, size_t len)
{
    char decoded[256];
    if (route_decode(part->name, part->name + part->name_len, decoded, sizeof decoded) != 0)
        return part->name_len == len && strncmp(part->name, name, len) == 0;
    return strlen(decoded) == len && memcmp(decoded, name, len) == 0;
}

/* A parameter's name for a refusal, decoded, at most 64 bytes ("?" when it does not decode). */
static void query_part_name(const QueryPart *part, char name[65])
{
    if (route_decode(part->name, part->name + (part->name_len > 64 ? 64 : part->name_len), name, 65) != 0)
        strcpy(name, "?");
}

int serve_query_get(const char *query, const char *name, char *out, size_t cap)
{
    const char *at = query ? query : "";
    QueryPart part;
    while (query_next(&at, &part))
        if (query_part_is(&part, name, strlen(name)))
            return route_decode(part.value ? part.value : part.end, part.end, out, cap) == 0 ? 1 : -1;
    return 0;
}

bool serve_query_only(const char *query, const char *const *allowed, char bad[65])
{
    const char *at = query ? query : "";
    QueryPart part;
    while (query_next(&at, &part)) {
        bool known = part.name_len == 0;
        for (size_t i = 0; allowed[i] && !known; i++)
            known = query_part_is(&part, allowed[i], strlen(allowed[i]));
        if (!known) {
            query_part_name(&part, bad);
            return false;
        }
    }
    return true;
}

/* Whether a parameter named as `part` comes again in the raw query from `at` on. */
static bool query_named_again(const char *at, const QueryPart *part)
{
    char decoded[256];
    const char *name = part->name;
    size_t len = part->name_len;
    if (route_decode(part->name, part->name + part->name_len, decoded, sizeof decoded) == 0) {
        name = decoded;
        len = strlen(decoded);
    }
    QueryPart later;
    while (query_next(&at, &later))
        if (query_part_is(&later, name, len))
            return true;
    return false;
}

int serve_query_once_each(const char *query, char name[65])
{
    const char *at = query ? query : "";
    QueryPart part;
    while (query_next(&at, &part)) {
        int problem = SERVE_QUERY_FINE;   /* also for an empty name: "a=1&&b=2" */
        if (part.name_len > 0 && (!part.value || part.value == part.end))
            problem = SERVE_QUERY_EMPTY;
        else if (part.name_len > 0 && query_named_again(at, &part))
            problem = SERVE_QUERY_TWICE;
        if (problem != SERVE_QUERY_FINE) {
            query_part_name(&part, name);
            return problem;
        }
    }
    return SERVE_QUERY_FINE;
}
