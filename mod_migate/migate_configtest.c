/*
 * migate_configtest.c - what "apache2 -t" says about a configuration
 * beyond each directive's own check: where the policy cannot mean what
 * it says (warnings and notices, naming file and line; the start goes
 * on), and with -D MIGATE_DUMP each gated vhost's effective policy.
 *
 * Both run in the check_config hook (mod_migate.c), after the policies
 * are compiled: "apache2 -t" runs that hook and exits, post_config never
 * runs there.
 */
#include <string.h>

#include "httpd.h"
#include "http_config.h"
#include "http_core.h"
#include "http_log.h"
#include "http_main.h"
#include "http_vhost.h"
#include "apr_file_io.h"
#include "apr_network_io.h"
#include "apr_strings.h"

#include "migate_glue.h"
#include "migate_describe.h"

/* ------------------------------------------------------------------ */
/* Deny rules that shadow allow rules                                 */

/* The verdict of the compiled policy on "GET target". */
static migate_reason_e judge(apr_pool_t *p, const migate_policy *pol,
                             const char *target, int *rule)
{
    migate_request_t rq;
    migate_verdict_t v;
    const char *q = strchr(target, '?');

    rq.method = "GET";
    rq.method_len = 3;
    rq.path = target;
    rq.path_len = q ? (size_t)(q - target) : strlen(target);
    rq.query = q ? q + 1 : NULL;
    rq.query_len = q ? strlen(q + 1) : 0;
    migate_policy_decide(pol, &rq, p, &v);
    *rule = v.rule;
    return v.reason;
}

/* The deny rule a rule index of sc's policy names, as written. */
static const char *deny_text(apr_pool_t *p, const migate_srv_conf *sc,
                             int rule)
{
    const migate_rule_ref *ref = migate_rule_ref_of(sc, rule);

    if (ref == NULL) {
        return "a deny rule";
    }
    if (ref->spec == NULL) {
        return apr_psprintf(p, "the built-in deny of %s",
                            ref->name + strlen("builtin:"));
    }
    return apr_psprintf(p, "%s at %s", ref->name, ref->spec->where);
}

/*
 * The policy is asked about the paths the rule itself names, so the
 * answer is the gate's own: for a prefix or exact allow rule its path,
 * for an opened service /services/<name> and, for each metadata kind
 * allowed, /services/<name>?<kind>.  Exact for MiGateDeny (a prefix that
 * covers the rule's path covers everything below it) and for the
 * built-in denies; for a MiGateDenyMatch regex it is an approximation:
 * a regex that matches the rule's path is reported even if it spares
 * some paths below it, one that matches only paths below it is not.
 * MiGateAllowMatch rules are not judged (no single path stands for
 * them).
 */
static void warn_shadows(apr_pool_t *p, server_rec *vs,
                         const migate_srv_conf *sc)
{
    const char *vname = migate_vhost_name(p, vs);
    unsigned kinds = (unsigned)migate_cfg_metadata(sc), k;
    int i, rule;

    for (i = 0; i < sc->allow->nelts; i++) {
        const migate_rule_spec *rs = &APR_ARRAY_IDX(sc->allow, i,
                                                    migate_rule_spec);
        const char *target;
        migate_reason_e r;

        if (rs->kind == MIGATE_RULE_REGEX) {
            continue;
        }
        target = rs->is_service ? apr_pstrcat(p, "/services/", rs->pattern,
                                              NULL)
                                : rs->pattern;
        r = judge(p, sc->policy, target, &rule);
        if (r == MIGATE_R_HARD_DENY) {
            ap_log_error(APLOG_MARK, APLOG_WARNING, 0, vs,
                         "MIGATE0005: %s shadows %s at %s in %s: %s is "
                         "always refused", deny_text(p, sc, rule),
                         rs->is_service
                         ? apr_pstrcat(p, "opened service ", rs->pattern,
                                       NULL)
                         : migate_rule_text(p, rs, 0),
                         rs->where, vname, target);
            continue;
        }
        if (r == MIGATE_R_SERVICES) {
            ap_log_error(APLOG_MARK, APLOG_WARNING, 0, vs,
                         "MIGATE0005: %s at %s in %s lies under /services, "
                         "which the gate always closes: open a service "
                         "with MiGateAllowService", migate_rule_text(p, rs, 0),
                         rs->where, vname);
            continue;
        }
        for (k = 1; rs->is_service && (k & MIGATE_META_ALL); k <<= 1) {
            if (!(kinds & k)) {
                continue;
            }
            target = apr_pstrcat(p, "/services/", rs->pattern, "?",
                                 migate_metadata_kind_param(k), NULL);
            if (judge(p, sc->policy, target, &rule) == MIGATE_R_HARD_DENY) {
                ap_log_error(APLOG_MARK, APLOG_WARNING, 0, vs,
                             "MIGATE0005: %s shadows the %s metadata of "
                             "opened service %s at %s in %s: %s is always "
                             "refused", deny_text(p, sc, rule),
                             migate_metadata_kind_name(k),
                             rs->pattern, rs->where, vname, target);
            }
        }
    }
}

/* ------------------------------------------------------------------ */
/* Scope and addresses                                                */

/* A vhost with allow rules of its own does not get the main server's
 * (SPEC "Directives"): say so, naming both places. */
static void notice_dropped(apr_pool_t *p, server_rec *vs,
                           const migate_srv_conf *sc)
{
    const migate_rule_spec *own, *main;

    if (!sc->dropped_allow || !sc->dropped_allow->nelts
        || !sc->allow->nelts) {
        return;
    }
    own = &APR_ARRAY_IDX(sc->allow, 0, migate_rule_spec);
    main = &APR_ARRAY_IDX(sc->dropped_allow, 0, migate_rule_spec);
    ap_log_error(APLOG_MARK, APLOG_NOTICE, 0, vs,
                 "MIGATE0006: %s has allow rules of its own (first: %s at "
                 "%s), so the %d allow rule%s of the main server (first: "
                 "%s at %s) %s not apply to it",
                 migate_vhost_name(p, vs), migate_rule_text(p, own, 0),
                 own->where, sc->dropped_allow->nelts,
                 sc->dropped_allow->nelts == 1 ? "" : "s",
                 migate_rule_text(p, main, 0), main->where,
                 sc->dropped_allow->nelts == 1 ? "does" : "do");
}

/* Whether two vhosts are chosen among by Host on one address: the same
 * IP address (or both the same wildcard) and the same port ('*' as a
 * port matches every port). */
static const server_addr_rec *shared_addr(const server_rec *a,
                                          const server_rec *b)
{
    const server_addr_rec *x, *y;

    for (x = a->addrs; x; x = x->next) {
        for (y = b->addrs; y; y = y->next) {
            if (x->host_addr && y->host_addr
                && apr_sockaddr_equal(x->host_addr, y->host_addr)
                && (x->host_port == y->host_port || !x->host_port
                    || !y->host_port)) {
                return x;
            }
        }
    }
    return NULL;
}

/* An ungated name-based vhost on a gated vhost's address and port: any
 * client reaches it by sending its name in Host. */
static void warn_ungated_neighbours(apr_pool_t *p, server_rec *s,
                                    server_rec *gated)
{
    server_rec *vs;

    for (vs = s->next; vs; vs = vs->next) {
        const server_addr_rec *a;
        char *ip = NULL;

        if (vs == gated || migate_cfg_enabled(migate_srv(vs))
            || (a = shared_addr(gated, vs)) == NULL) {
            continue;
        }
        apr_sockaddr_ip_get(&ip, a->host_addr);
        ap_log_error(APLOG_MARK, APLOG_WARNING, 0, vs,
                     "MIGATE0007: %s has no MiGate On but shares %s:%u "
                     "with gated %s: a client reaches it by naming it in "
                     "Host, past the gate", migate_vhost_name(p, vs),
                     ip ? ip : "*", (unsigned)a->host_port,
                     migate_vhost_name(p, gated));
    }
}

/* ------------------------------------------------------------------ */
/* mod_proxy mappings as written                                      */

/*
 * mod_proxy keeps a ProxyPass as its path and URL (struct proxy_alias)
 * and a worker by its name, not where they were written: the file and
 * line are in the configuration tree (ap_conftree), which holds every
 * directive with <IfModule>, <IfDefine>, Include and mod_macro's Use
 * already resolved.  A server's mappings are those in its <VirtualHost>
 * section (found by the file and line httpd recorded for it) and, as
 * mod_proxy merges them, the main server's.
 */
typedef struct {
    const char *path;           /* the ProxyPass path, or its <Location> */
    const char *url;            /* the target URL                        */
    const ap_directive_t *d;
} proxy_pass;

/* The argument of a section ("<Location /app>" -> "/app"). */
static const char *section_arg(apr_pool_t *p, const ap_directive_t *d)
{
    char *a = apr_pstrdup(p, d->args ? d->args : "");
    char *end = strrchr(a, '>');
    const char *w;

    if (end) {
        *end = '\0';
    }
    w = a;
    return ap_getword_conf(p, &w);
}

/* The directives of one scope (a <VirtualHost>'s, or the main server's
 * without its <VirtualHost> sections), in order: ProxyPass as path and
 * URL (in a <Location>, the path is the section's; in a <LocationMatch>
 * it is a regex, left out), and every directive that names a backend
 * (BalancerMember, ProxySet, <Proxy>) in *named. */
static void collect_mappings(apr_pool_t *p, const ap_directive_t *d,
                             const char *loc, int in_match,
                             apr_array_header_t *passes,
                             apr_array_header_t *named)
{
    for (; d; d = d->next) {
        if (!strcasecmp(d->directive, "<VirtualHost")) {
            continue;
        }
        if (!strcasecmp(d->directive, "ProxyPass") && !in_match) {
            const char *a = d->args ? d->args : "";
            proxy_pass *pp = apr_array_push(passes);

            pp->d = d;
            pp->path = loc ? loc : ap_getword_conf(p, &a);
            pp->url = ap_getword_conf(p, &a);
        }
        if (!strcasecmp(d->directive, "ProxyPass")
            || !strcasecmp(d->directive, "ProxyPassMatch")
            || !strcasecmp(d->directive, "BalancerMember")
            || !strcasecmp(d->directive, "ProxySet")
            || !strcasecmp(d->directive, "<Proxy")) {
            APR_ARRAY_PUSH(named, const ap_directive_t *) = d;
        }
        if (d->first_child) {
            int match = in_match
                || !strcasecmp(d->directive, "<LocationMatch");
            collect_mappings(p, d->first_child,
                             !strcasecmp(d->directive, "<Location")
                             ? section_arg(p, d) : loc,
                             match, passes, named);
        }
    }
}

static const ap_directive_t *find_vhost(const ap_directive_t *d,
                                        const server_rec *s)
{
    const ap_directive_t *found;

    for (; d; d = d->next) {
        if (!strcasecmp(d->directive, "<VirtualHost")
            && d->line_num == (int)s->defn_line_number && d->filename
            && s->defn_name && !strcmp(d->filename, s->defn_name)) {
            return d;
        }
        if (d->first_child
            && (found = find_vhost(d->first_child, s)) != NULL) {
            return found;
        }
    }
    return NULL;
}

/* Server s's ProxyPass mappings and backend-naming directives: its
 * own, then the main server's it inherits. */
static void server_mappings(apr_pool_t *p, const server_rec *s,
                            apr_array_header_t **passes,
                            apr_array_header_t **named)
{
    const ap_directive_t *vh = s->is_virtual
        ? find_vhost(ap_conftree, s) : NULL;

    *passes = apr_array_make(p, 4, sizeof(proxy_pass));
    *named = apr_array_make(p, 4, sizeof(const ap_directive_t *));
    if (vh) {
        collect_mappings(p, vh->first_child, NULL, 0, *passes, *named);
    }
    collect_mappings(p, ap_conftree, NULL, 0, *passes, *named);
}

/* Whether a URL's path ends in "/" (after "unix:/path|"; no path: no). */
static int url_slash(const char *url)
{
    const char *bar = strchr(url, '|');
    const char *p;

    if (!strncasecmp(url, "unix:", 5) && bar) {
        url = bar + 1;
    }
    p = strstr(url, "://");
    if (!p) {
        return 0;
    }
    p += 3;
    p += strcspn(p, "/?#");
    return *p == '/' && p[strcspn(p, "?#") - 1] == '/';
}

static int same_url(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);

    while (la > 0 && a[la - 1] == '/') {
        la--;
    }
    while (lb > 0 && b[lb - 1] == '/') {
        lb--;
    }
    return la == lb && !strncasecmp(a, b, la);
}

const char *migate_backend_where(apr_pool_t *p, const server_rec *s,
                                 const char *url)
{
    apr_array_header_t *passes, *named;
    int i;

    if (!url) {
        return NULL;
    }
    server_mappings(p, s, &passes, &named);
    for (i = 0; i < named->nelts; i++) {
        const ap_directive_t *d = APR_ARRAY_IDX(named, i,
                                                const ap_directive_t *);
        const char *a = d->args ? d->args : "";
        const char *w;

        while (*(w = ap_getword_conf(p, &a))) {
            if (*w == '>' || (strchr(w, '=') && !strstr(w, "://"))) {
                break;
            }
            if (same_url(w, url)
                || (*w && w[strlen(w) - 1] == '>'
                    && same_url(apr_pstrndup(p, w, strlen(w) - 1), url))) {
                return apr_psprintf(p, "%s:%d", d->filename, d->line_num);
            }
        }
    }
    return NULL;
}

/* A ProxyPass whose path and URL disagree on the trailing "/": with
 * "ProxyPass /app https://mi/", /app/x reaches MI as //x (which the gate
 * then refuses as a dot segment, for every request); with
 * "ProxyPass /app/ https://mi/app", as /appx. */
static void warn_slash_mappings(apr_pool_t *p, server_rec *vs)
{
    apr_array_header_t *passes, *named;
    int i;

    server_mappings(p, vs, &passes, &named);
    for (i = 0; i < passes->nelts; i++) {
        const proxy_pass *pp = &APR_ARRAY_IDX(passes, i, proxy_pass);
        size_t len = strlen(pp->path);
        int path_slash = len > 0 && pp->path[len - 1] == '/';

        if (!*pp->url || !strcmp(pp->url, "!") || *pp->path != '/'
            || path_slash == url_slash(pp->url)) {
            continue;
        }
        ap_log_error(APLOG_MARK, APLOG_WARNING, 0, vs,
                     "MIGATE0030: ProxyPass %s %s (%s:%d) in gated %s: "
                     "its path and URL disagree on the trailing \"/\": "
                     "%s%s reaches MI as %s%s; end both with \"/\" or "
                     "neither", pp->path, pp->url, pp->d->filename,
                     pp->d->line_num, migate_vhost_name(p, vs),
                     pp->path, path_slash ? "x" : "/x",
                     pp->url, path_slash ? "x" : "/x");
    }
}

void migate_configtest_warn(apr_pool_t *p, server_rec *s)
{
    server_rec *vs;

    for (vs = s; vs; vs = vs->next) {
        const migate_srv_conf *sc = migate_srv(vs);

        if (!migate_cfg_enabled(sc) || !sc->policy) {
            continue;
        }
        warn_shadows(p, vs, sc);
        warn_slash_mappings(p, vs);
        if (vs != s) {
            notice_dropped(p, vs, sc);
            warn_ungated_neighbours(p, s, vs);
        }
    }
}

/* ------------------------------------------------------------------ */
/* -D MIGATE_DUMP                                                     */

static const char *metadata_text(apr_pool_t *p, const migate_srv_conf *sc)
{
    unsigned kinds = (unsigned)migate_cfg_metadata(sc);
    const char *t, *m;
    int i;

    if (kinds == 0) {
        return "Off (every metadata query refused)";
    }
    t = apr_pstrcat(p, kinds == MIGATE_META_ALL ? "On: " : "",
                    migate_describe_metadata(p, sc, " ", "", ""),
                    ", on exactly /services/<opened name>,", NULL);
    for (i = 0; (m = migate_metadata_method_name(i)) != NULL; i++) {
        t = apr_pstrcat(p, t, " ", m, NULL);
    }
    return t;
}

/* The headers the edge owns toward MI, from their table, and the trace
 * context. */
static void dump_owned(apr_file_t *out, apr_pool_t *p,
                       const migate_srv_conf *sc)
{
    const char *id = migate_cfg_id_header(sc), *names = id;
    size_t i;

    for (i = 0; i < MIGATE_OWN__COUNT; i++) {
        const migate_owned_hdr *o = &migate_owned[i];

        if (!migate_hdr_name_eq(o->name, strlen(o->name), id, strlen(id),
                                0)) {
            names = apr_pstrcat(p, names, ", ", o->name,
                                (o->flags & MIGATE_OWN_F_PREFIX) ? "*" : "",
                                NULL);
        }
    }
    apr_file_printf(out, "    owned headers: %s (any case, _ for -)\n",
                    names);
    apr_file_printf(out, "    trace context: %s\n",
                    migate_cfg_trace_context(sc) ? "On (traceparent from "
                    "the request id)" : "Off");
}

/* The policy as the status page lists it (migate_describe.h), one rule
 * a line with its file and line. */
static void dump_server(apr_file_t *out, apr_pool_t *p, server_rec *main_s,
                        server_rec *vs)
{
    const migate_srv_conf *sc = migate_srv(vs);
    const apr_array_header_t *rules = migate_describe_rules(p, main_s, vs);
    const apr_array_header_t *lines;
    const char *resp = migate_cfg_resp_header(sc);
    const char *trusted = "none";
    int i;

    apr_file_printf(out, "MiGate policy of %s:\n", migate_vhost_name(p, vs));
    apr_file_printf(out, "    mode:     %s, refusals answered %d\n",
                    migate_describe_mode(sc), migate_cfg_deny_status(sc));
    if (!sc->allow->nelts) {
        apr_file_printf(out, "    allow:    nothing (every request is "
                        "refused)\n");
    }
    for (i = 0; i < rules->nelts; i++) {
        const migate_rule_line *l = &APR_ARRAY_IDX(rules, i,
                                                   migate_rule_line);
        if (l->deny) {
            break;
        }
        apr_file_printf(out, "    %-9s %s (%s)%s\n",
                        l->spec->is_service ? "service:" : "allow:",
                        l->spec->is_service ? l->spec->pattern : l->text,
                        l->spec->where,
                        l->from_main ? ", from the main server" : "");
    }
    for (i = 0; sc->dropped_allow && i < sc->dropped_allow->nelts; i++) {
        const migate_rule_spec *rs = &APR_ARRAY_IDX(sc->dropped_allow, i,
                                                    migate_rule_spec);
        apr_file_printf(out, "    dropped:  %s (%s), the main server's: "
                        "not applied here\n", migate_rule_text(p, rs, 0),
                        rs->where);
    }
    apr_file_printf(out, "    metadata: %s\n", metadata_text(p, sc));
    apr_file_printf(out, "    deny:     built-in: %s (any case; /services "
                    "as MI reads it, except opened services); methods "
                    "%s\n", migate_describe_builtin_denies(p, ", ", "", ""),
                    migate_describe_never_methods(p, ", ", "", ""));
    for (; i < rules->nelts; i++) {
        const migate_rule_line *l = &APR_ARRAY_IDX(rules, i,
                                                   migate_rule_line);
        apr_file_printf(out, "    deny:     %s (%s)%s\n", l->text,
                        l->spec->where,
                        l->from_main ? ", from the main server" : "");
    }
    for (i = 0; sc->trusted_text && i < sc->trusted_text->nelts; i++) {
        trusted = apr_pstrcat(p, i ? trusted : "", i ? " " : "",
                              APR_ARRAY_IDX(sc->trusted_text, i,
                                            const char *), NULL);
    }
    if (migate_cfg_request_id(sc)) {
        apr_file_printf(out, "    request id: On, UUID version %d, request "
                        "header %s, response header %s, trusted proxies: "
                        "%s\n", migate_cfg_id_version(sc),
                        migate_cfg_id_header(sc), resp ? resp : "Off",
                        trusted);
    }
    else {
        apr_file_printf(out, "    request id: Off\n");
    }
    dump_owned(out, p, sc);
    apr_file_printf(out, "    backend TLS: %s%s\n", migate_describe_tls(sc),
                    migate_cfg_backend_tls(sc) == MIGATE_TLS_AUDIT
                    ? " (violations logged, passed; nothing forced)"
                    : migate_cfg_backend_tls(sc) == MIGATE_TLS_OFF
                    ? " (nothing judged, nothing forced)" : "");
    lines = migate_ssl_dump(p, vs);
    for (i = 0; i < lines->nelts; i++) {
        apr_file_printf(out, "        %s\n",
                        APR_ARRAY_IDX(lines, i, const char *));
    }
}

/* In the spirit of "-D DUMP_VHOSTS": on stdout, only in a configuration
 * test ("apache2 -t -D MIGATE_DUMP"), which then ends as -t does. */
void migate_configtest_dump(apr_pool_t *p, server_rec *s)
{
    apr_file_t *out;
    server_rec *vs;

    if (!ap_exists_config_define("MIGATE_DUMP")
        || ap_state_query(AP_SQ_RUN_MODE) != AP_SQ_RM_CONFIG_TEST
        || apr_file_open_stdout(&out, p) != APR_SUCCESS) {
        return;
    }
    for (vs = s; vs; vs = vs->next) {
        if (migate_cfg_enabled(migate_srv(vs)) && migate_srv(vs)->policy) {
            dump_server(out, p, s, vs);
        }
    }
    apr_file_flush(out);
}
