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
    const char *name = migate_policy_rule_name(sc->policy, rule);
    int i;

    if (name == NULL) {
        return "a deny rule";
    }
    if (!strncmp(name, "builtin:", 8)) {
        return apr_psprintf(p, "the built-in deny of %s", name + 8);
    }
    for (i = 0; i < sc->deny->nelts; i++) {
        const migate_rule_spec *rs = &APR_ARRAY_IDX(sc->deny, i,
                                                    migate_rule_spec);
        if (!strcmp(rs->where, name)) {
            return apr_psprintf(p, "%s at %s", migate_rule_text(p, rs, 1),
                                rs->where);
        }
    }
    return name;
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

void migate_configtest_warn(apr_pool_t *p, server_rec *s)
{
    server_rec *vs;

    for (vs = s; vs; vs = vs->next) {
        const migate_srv_conf *sc = migate_srv(vs);

        if (!migate_cfg_enabled(sc) || !sc->policy) {
            continue;
        }
        warn_shadows(p, vs, sc);
        if (vs != s) {
            notice_dropped(p, vs, sc);
            warn_ungated_neighbours(p, s, vs);
        }
    }
}

/* ------------------------------------------------------------------ */
/* -D MIGATE_DUMP                                                     */

static void dump_rules(apr_file_t *out, apr_pool_t *p, const char *what,
                       const apr_array_header_t *rules, int deny,
                       const char *from)
{
    int i;

    for (i = 0; rules && i < rules->nelts; i++) {
        const migate_rule_spec *rs = &APR_ARRAY_IDX(rules, i,
                                                    migate_rule_spec);
        apr_file_printf(out, "    %-9s %s (%s)%s\n", what,
                        migate_rule_text(p, rs, deny), rs->where,
                        from ? from : "");
    }
}

static const char *metadata_text(apr_pool_t *p, unsigned kinds)
{
    const char *t = "";
    unsigned k;

    if (kinds == 0) {
        return "Off (every metadata query refused)";
    }
    for (k = 1; k & MIGATE_META_ALL; k <<= 1) {
        if (kinds & k) {
            t = apr_pstrcat(p, t, *t ? " " : "",
                            migate_metadata_kind_name(k), NULL);
        }
    }
    return apr_pstrcat(p, kinds == MIGATE_META_ALL ? "On: " : "", t,
                       ", on exactly /services/<opened name>, GET HEAD "
                       "OPTIONS", NULL);
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

static void dump_server(apr_file_t *out, apr_pool_t *p, server_rec *main_s,
                        server_rec *vs)
{
    const migate_srv_conf *sc = migate_srv(vs);
    const migate_srv_conf *msc = migate_srv(main_s);
    const apr_array_header_t *lines;
    const char *resp = migate_cfg_resp_header(sc);
    const char *trusted = "none";
    int i, n_main_deny;

    apr_file_printf(out, "MiGate policy of %s:\n", migate_vhost_name(p, vs));
    apr_file_printf(out, "    mode:     %s, refusals answered %d\n",
                    migate_cfg_report(sc) ? "report" : "enforce",
                    migate_cfg_deny_status(sc));
    if (!sc->allow->nelts) {
        apr_file_printf(out, "    allow:    nothing (every request is "
                        "refused)\n");
    }
    for (i = 0; i < sc->allow->nelts; i++) {
        const migate_rule_spec *rs = &APR_ARRAY_IDX(sc->allow, i,
                                                    migate_rule_spec);
        apr_file_printf(out, "    %-9s %s (%s)%s\n",
                        rs->is_service ? "service:" : "allow:",
                        rs->is_service ? rs->pattern
                                       : migate_rule_text(p, rs, 0),
                        rs->where,
                        vs != main_s && sc->allow == msc->allow
                        ? ", from the main server" : "");
    }
    if (sc->dropped_allow) {
        dump_rules(out, p, "dropped:", sc->dropped_allow, 0,
                   ", the main server's: not applied here");
    }
    apr_file_printf(out, "    metadata: %s\n",
                    metadata_text(p, (unsigned)migate_cfg_metadata(sc)));
    apr_file_printf(out, "    deny:     built-in: /services (every "
                    "spelling, except opened services), /management, "
                    "/dashboard, /carbon, /fileupload (any case); methods "
                    "TRACE, TRACK, CONNECT\n");
    /* the main server's deny rules come first in a vhost's list */
    n_main_deny = vs != main_s ? msc->deny->nelts : 0;
    for (i = 0; i < sc->deny->nelts; i++) {
        const migate_rule_spec *rs = &APR_ARRAY_IDX(sc->deny, i,
                                                    migate_rule_spec);
        apr_file_printf(out, "    deny:     %s (%s)%s\n",
                        migate_rule_text(p, rs, 1), rs->where,
                        i < n_main_deny ? ", from the main server" : "");
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
    apr_file_printf(out, "    backend TLS: %s\n",
                    migate_cfg_backend_tls(sc) == MIGATE_TLS_STRICT
                    ? "strict"
                    : migate_cfg_backend_tls(sc) == MIGATE_TLS_AUDIT
                    ? "audit (violations logged, passed; nothing forced)"
                    : "off (nothing judged, nothing forced)");
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
