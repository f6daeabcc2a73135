/*
 * migate_status.c - counters of passed, reported and refused requests and
 * of the rule that decided each, shared by all children and threads, and
 * the migate-status handler that shows them with the effective policy of
 * each gated server (HTML, ?json, ?metrics for Prometheus).
 *
 * The counters belong to one configuration generation.  At each start
 * and restart the parent makes a new shared memory region from pconf,
 * sized for this configuration: one block of counters per gated server,
 * at the server's position (sc->index), with one counter per rule index
 * of its policy.  Children forked after it inherit the mapping; children
 * of an earlier generation finishing their last requests after a
 * graceful restart count into their own generation's region, which
 * nothing shows any more (the parent unmaps it when pconf is cleared).
 * So a count always lands on the server and rule that the counting
 * child's configuration means, and a restart starts from zero: the page
 * and the metrics say since when.  Counting is two relaxed atomic adds:
 * no lock, no allocation.
 */
#include <stddef.h>
#include <string.h>

#include "httpd.h"
#include "http_config.h"
#include "http_core.h"
#include "http_log.h"
#include "http_main.h"
#include "http_protocol.h"
#include "http_request.h"
#include "util_script.h"
#include "apr_strings.h"
#include "apr_shm.h"
#include "apr_time.h"

#include "migate_glue.h"

#define MIGATE_STATUS_HANDLER "migate-status"
#define MIGATE_TIME_FORMAT    "%A, %d-%b-%Y %H:%M:%S %Z"

/* A gated server's block of counters: what it passed, refused and
 * reported by reason code, and how often each rule index of its policy
 * decided a request (C_NO_RULE: passed with no named rule, as by a
 * MiGateAllowMatch regex or for "OPTIONS *"). */
enum {
    C_PASSED = 0,
    C_NO_RULE,
    C_REFUSED,                                  /* + reason, [0] unused */
    C_REPORTED = C_REFUSED + MIGATE_R__COUNT,   /* + reason, [0] unused */
    C_RULES = C_REPORTED + MIGATE_R__COUNT      /* + rule index         */
};

typedef struct {
    apr_uint64_t *c;            /* in the shared region, or NULL        */
    int nrules;                 /* migate_policy_rule_count             */
} migate_block;

/* This generation's counters, set in the parent before any child of it
 * is forked: the block of each gated server by its index. */
static migate_block *block_of;
static int nblocks;
static apr_time_t counters_since;

/* ------------------------------------------------------------------ */
/* Shared memory                                                      */

static apr_status_t region_make(apr_pool_t *pconf, apr_size_t size,
                                apr_uint64_t **base)
{
    apr_shm_t *shm;
    apr_status_t rv = apr_shm_create(&shm, size, NULL, pconf);

    if (APR_STATUS_IS_ENOTIMPL(rv)) {
        /* No anonymous shared memory here: a file in the run dir. */
        const char *fn = ap_runtime_dir_relative(pconf, "migate-status.shm");
        if (fn) {
            apr_shm_remove(fn, pconf);
            rv = apr_shm_create(&shm, size, fn, pconf);
        }
    }
    if (rv == APR_SUCCESS) {
        *base = apr_shm_baseaddr_get(shm);
        memset(*base, 0, size);
    }
    return rv;
}

int migate_status_post_config(apr_pool_t *pconf, server_rec *s)
{
    apr_uint64_t *c;
    apr_size_t n = 0;
    server_rec *vs;
    apr_status_t rv;

    block_of = NULL;
    nblocks = 0;
    for (vs = s; vs; vs = vs->next) {
        const migate_srv_conf *sc = migate_srv(vs);
        if (migate_cfg_enabled(sc) && sc->policy && sc->index >= 0) {
            nblocks = sc->index >= nblocks ? sc->index + 1 : nblocks;
            n += C_RULES + migate_policy_rule_count(sc->policy);
        }
    }
    if (nblocks == 0) {
        return OK;
    }
    rv = region_make(pconf, n * sizeof(*c), &c);
    if (rv != APR_SUCCESS) {
        /* The gate does not depend on its counters. */
        ap_log_error(APLOG_MARK, APLOG_ERR, rv, s,
                     "MIGATE0040: cannot make the shared memory of the "
                     "migate-status counters; they stay off");
        nblocks = 0;
        return OK;
    }
    block_of = apr_pcalloc(pconf, nblocks * sizeof(*block_of));
    for (vs = s; vs; vs = vs->next) {
        const migate_srv_conf *sc = migate_srv(vs);
        if (migate_cfg_enabled(sc) && sc->policy && sc->index >= 0) {
            migate_block *b = &block_of[sc->index];
            b->c = c;
            b->nrules = migate_policy_rule_count(sc->policy);
            c += C_RULES + b->nrules;
        }
    }
    counters_since = apr_time_now();
    return OK;
}

static void add(apr_uint64_t *c)
{
    __atomic_fetch_add(c, 1, __ATOMIC_RELAXED);
}

void migate_count(const server_rec *s, migate_reason_e reason,
                  int reported, int rule)
{
    const migate_srv_conf *sc = s ? migate_srv(s) : NULL;
    const migate_block *b;

    if (!sc || sc->index < 0 || sc->index >= nblocks
        || !(b = &block_of[sc->index])->c
        || (int)reason < 0 || reason >= MIGATE_R__COUNT) {
        return;
    }
    add(&b->c[reason == MIGATE_PASS ? C_PASSED
              : (reported ? C_REPORTED : C_REFUSED) + reason]);
    add(&b->c[rule >= 0 && rule < b->nrules ? C_RULES + rule : C_NO_RULE]);
}

/* ------------------------------------------------------------------ */
/* The handler: one snapshot, three renderings                        */

typedef struct {
    const server_rec *s;
    const migate_srv_conf *sc;
    const char *label;          /* unique among the gated servers       */
    apr_uint64_t *c;            /* a copy of its block, or NULL (off)   */
    int nrules;
    apr_uint64_t refused, reported;
} migate_snap;

static const char *addr_text(apr_pool_t *p, const server_rec *s)
{
    const server_addr_rec *a;
    const char *out = "";

    for (a = s->addrs; a; a = a->next) {
        char *ip = NULL;
        if (a->host_addr) {
            apr_sockaddr_ip_get(&ip, a->host_addr);
        }
        out = apr_psprintf(p, "%s%s%s:%u", out, *out ? " " : "",
                           ip ? ip : "*", (unsigned)a->host_port);
    }
    return out;
}

/* ServerName:port.  A ServerName without a port leaves s->port 0: the
 * port is then the one the vhost listens on, from its first address
 * (none for <VirtualHost *:*>, which is named without a port). */
static const char *server_name(apr_pool_t *p, const server_rec *s)
{
    const char *name = s->server_hostname ? s->server_hostname : "*";
    unsigned port = s->port ? (unsigned)s->port
                  : s->addrs ? (unsigned)s->addrs->host_port : 0;

    return port ? apr_psprintf(p, "%s:%u", name, port) : name;
}

static const char *server_defn(apr_pool_t *p, const server_rec *s)
{
    if (!s->defn_name) {
        return "main server";
    }
    return apr_psprintf(p, "%s:%u", s->defn_name, s->defn_line_number);
}

static apr_array_header_t *snapshot(apr_pool_t *p)
{
    apr_array_header_t *out = apr_array_make(p, 8, sizeof(migate_snap));
    server_rec *vs;
    int i, k;

    for (vs = ap_server_conf; vs; vs = vs->next) {
        const migate_srv_conf *sc = migate_srv(vs);
        migate_snap *sn;
        const migate_block *b;

        if (!migate_cfg_enabled(sc) || !sc->policy) {
            continue;
        }
        sn = apr_array_push(out);
        memset(sn, 0, sizeof(*sn));
        sn->s = vs;
        sn->sc = sc;
        /* Two servers of one name (name-based, on one address) are told
         * apart by where they are defined. */
        sn->label = server_name(p, vs);
        for (k = 0; k < out->nelts - 1; k++) {
            if (!strcmp(APR_ARRAY_IDX(out, k, migate_snap).label,
                        sn->label)) {
                sn->label = apr_psprintf(p, "%s (%s)", sn->label,
                                         server_defn(p, vs));
                break;
            }
        }
        if (sc->index < 0 || sc->index >= nblocks
            || !(b = &block_of[sc->index])->c) {
            continue;
        }
        sn->nrules = b->nrules;
        sn->c = apr_palloc(p, (C_RULES + b->nrules) * sizeof(*sn->c));
        for (i = 0; i < C_RULES + b->nrules; i++) {
            sn->c[i] = __atomic_load_n(&b->c[i], __ATOMIC_RELAXED);
        }
        for (i = 1; i < MIGATE_R__COUNT; i++) {
            sn->refused += sn->c[C_REFUSED + i];
            sn->reported += sn->c[C_REPORTED + i];
        }
    }
    return out;
}

/* The methods of a rule's set, by the core's own table. */
static apr_array_header_t *methods_list(apr_pool_t *p, migate_methods_t m)
{
    apr_array_header_t *out = apr_array_make(p, 4, sizeof(const char *));
    const char *name;
    int i;

    for (i = 0; (name = migate_method_name(i)) != NULL; i++) {
        if (m & ((migate_methods_t)1 << i)) {
            APR_ARRAY_PUSH(out, const char *) = name;
        }
    }
    return out;
}

/* TRACE, TRACK and CONNECT, by the core's own table. */
static const char *never_methods(apr_pool_t *p, const char *sep,
                                 const char *pre, const char *post)
{
    const char *name, *out = "";
    int i;

    for (i = 0; (name = migate_method_name(i)) != NULL; i++) {
        if (migate_method_forbidden(name, strlen(name))) {
            out = apr_pstrcat(p, out, *out ? sep : "", pre, name, post,
                              NULL);
        }
    }
    return out;
}

static const char *kind_name(const migate_rule_spec *rs, int deny)
{
    if (rs->is_service) {
        return "MiGateAllowService";
    }
    switch (rs->kind) {
    case MIGATE_RULE_EXACT:
        return "MiGateAllowExact";
    case MIGATE_RULE_TEMPLATE:
        return "MiGateAllowTemplate";
    case MIGATE_RULE_REGEX:
        return deny ? "MiGateDenyMatch" : "MiGateAllowMatch";
    default:
        return deny ? "MiGateDeny" : "MiGateAllow";
    }
}

static const char *kind_word(const migate_rule_spec *rs)
{
    switch (rs->kind) {
    case MIGATE_RULE_EXACT:
        return "exact";
    case MIGATE_RULE_TEMPLATE:
        return "template";
    case MIGATE_RULE_REGEX:
        return "regex";
    default:
        return "prefix";
    }
}

/* The rule as written behind a rule index of the policy, or NULL for a
 * built-in one.  build_policy adds sc->allow (services included), then
 * sc->deny, one index each (migate_policy_first_rule). */
static const migate_rule_spec *rule_spec(const migate_srv_conf *sc,
                                         int rule, int *deny)
{
    int j = rule - migate_policy_first_rule(sc->policy);

    if (migate_policy_rule_count(sc->policy)
        != migate_policy_first_rule(sc->policy) + sc->allow->nelts
           + sc->deny->nelts
        || j < 0) {
        return NULL;
    }
    *deny = j >= sc->allow->nelts;
    if (*deny) {
        j -= sc->allow->nelts;
    }
    return j < (*deny ? sc->deny : sc->allow)->nelts
           ? &APR_ARRAY_IDX(*deny ? sc->deny : sc->allow, j,
                            migate_rule_spec)
           : NULL;
}

static const char *tls_name(int mode)
{
    return mode == MIGATE_TLS_OFF ? "off"
         : mode == MIGATE_TLS_AUDIT ? "audit" : "strict";
}

/* MiGateServiceMetadata's kinds, separated by sep: "wsdl xsd", or ""
 * when Off. */
static const char *metadata_kinds(apr_pool_t *p, const migate_srv_conf *sc,
                                  const char *sep, int quoted)
{
    unsigned kinds = (unsigned)migate_cfg_metadata(sc), k;
    const char *t = "";

    for (k = 1; k & MIGATE_META_ALL; k <<= 1) {
        if (kinds & k) {
            const char *n = migate_metadata_kind_name(k);
            t = apr_pstrcat(p, t, *t ? sep : "",
                            quoted ? apr_pstrcat(p, "\"", n, "\"", NULL) : n,
                            NULL);
        }
    }
    return t;
}

static const char *rfc3339(apr_pool_t *p, apr_time_t t)
{
    apr_time_exp_t x;

    apr_time_exp_gmt(&x, t);
    return apr_psprintf(p, "%04d-%02d-%02dT%02d:%02d:%02dZ",
                        x.tm_year + 1900, x.tm_mon + 1, x.tm_mday,
                        x.tm_hour, x.tm_min, x.tm_sec);
}

/* The length of the valid UTF-8 sequence at u (n bytes left), or 0: no
 * overlong form, surrogate or code point above U+10FFFF. */
static size_t utf8_len(const unsigned char *u, size_t n)
{
    static const apr_uint32_t min[] = { 0, 0, 0x80, 0x800, 0x10000 };
    size_t len = u[0] >= 0xf0 ? 4 : u[0] >= 0xe0 ? 3 : 2, k;
    apr_uint32_t cp;

    if (u[0] < 0xc2 || u[0] > 0xf4 || len > n) {
        return 0;
    }
    cp = u[0] & (0x3fu >> (len - 1));
    for (k = 1; k < len; k++) {
        if ((u[k] & 0xc0) != 0x80) {
            return 0;
        }
        cp = (cp << 6) | (u[k] & 0x3f);
    }
    return cp >= min[len] && cp <= 0x10ffff
           && (cp < 0xd800 || cp > 0xdfff) ? len : 0;
}

/* s as a quoted JSON string (json 1) or Prometheus label value (json
 * 0).  Both formats read \\, \" and \n alike.  JSON has \u00XX for the
 * other control characters, used for <, > and & too so that the
 * document is safe to embed in a page; a label value has no other
 * escape, so there they become U+FFFD, as does, in both, a byte that
 * does not start valid UTF-8 (both formats are UTF-8). */
static const char *quote(apr_pool_t *p, const char *s, int json)
{
    const unsigned char *u = (const unsigned char *)(s ? s : "");
    size_t n = strlen((const char *)u), i = 0, len;
    char *out = apr_palloc(p, n * 6 + 3), *o = out;

    *o++ = '"';
    while (i < n) {
        unsigned char c = u[i];

        len = 1;
        if (c == '"' || c == '\\' || c == '\n') {
            *o++ = '\\';
            *o++ = c == '\n' ? 'n' : (char)c;
        }
        else if (json && (c < 0x20 || c == 0x7f
                          || c == '<' || c == '>' || c == '&')) {
            o += apr_snprintf(o, 7, "\\u%04x", c);
        }
        else if (c >= 0x20 && c < 0x7f) {
            *o++ = (char)c;
        }
        else if (c >= 0x80 && (len = utf8_len(u + i, n - i)) != 0) {
            memcpy(o, u + i, len);
            o += len;
        }
        else {
            len = 1;
            memcpy(o, "\xef\xbf\xbd", 3);
            o += 3;
        }
        i += len;
    }
    *o++ = '"';
    *o = '\0';
    return out;
}

static const char *js(apr_pool_t *p, const char *s)
{
    return quote(p, s, 1);
}

/* --- JSON ---------------------------------------------------------- */

static void json_rules(request_rec *r, const apr_array_header_t *rules,
                       int deny, int services)
{
    int i, first = 1;

    ap_rputs("[", r);
    for (i = 0; i < rules->nelts; i++) {
        const migate_rule_spec *rs = &APR_ARRAY_IDX(rules, i,
                                                    migate_rule_spec);
        if (rs->is_service != services) {
            continue;
        }
        ap_rputs(first ? "" : ",", r);
        first = 0;
        if (services) {
            ap_rputs(js(r->pool, rs->pattern), r);
            continue;
        }
        ap_rprintf(r, "{\"directive\":%s,\"kind\":%s,\"pattern\":%s",
                   js(r->pool, kind_name(rs, deny)),
                   js(r->pool, kind_word(rs)), js(r->pool, rs->pattern));
        if (!deny) {
            const apr_array_header_t *m = methods_list(r->pool, rs->methods);
            int k;
            ap_rputs(",\"methods\":", r);
            if (!m->nelts) {
                ap_rputs("\"any\"", r);
            }
            else {
                ap_rputs("[", r);
                for (k = 0; k < m->nelts; k++) {
                    ap_rprintf(r, "%s%s", k ? "," : "",
                               js(r->pool, APR_ARRAY_IDX(m, k,
                                                         const char *)));
                }
                ap_rputs("]", r);
            }
        }
        ap_rputs("}", r);
    }
    ap_rputs("]", r);
}

static void json_counts(request_rec *r, const apr_uint64_t *c)
{
    int i;

    ap_rputs("{", r);
    for (i = 1; i < MIGATE_R__COUNT; i++) {
        ap_rprintf(r, "%s%s:%" APR_UINT64_T_FMT, i > 1 ? "," : "",
                   js(r->pool, migate_reason_name((migate_reason_e)i)),
                   c[i]);
    }
    ap_rputs("}", r);
}

/* Every rule index with its hits, and "-" for what no rule decided. */
static void json_rule_hits(request_rec *r, const migate_snap *sn)
{
    int i, deny;

    ap_rputs(",\"rule_hits\":[", r);
    for (i = 0; i < sn->nrules; i++) {
        const migate_rule_spec *rs = rule_spec(sn->sc, i, &deny);

        ap_rprintf(r, "{\"rule\":%s,",
                   js(r->pool, migate_policy_rule_name(sn->sc->policy, i)));
        if (rs) {
            ap_rprintf(r, "\"directive\":%s,\"pattern\":%s,",
                       js(r->pool, kind_name(rs, deny)),
                       js(r->pool, rs->pattern));
        }
        ap_rprintf(r, "\"hits\":%" APR_UINT64_T_FMT "},",
                   sn->c[C_RULES + i]);
    }
    ap_rprintf(r, "{\"rule\":\"-\",\"hits\":%" APR_UINT64_T_FMT "}]",
               sn->c[C_NO_RULE]);
}

static void render_json(request_rec *r, const apr_array_header_t *snaps)
{
    const char *path;
    int i;

    ap_set_content_type(r, "application/json");
    ap_rprintf(r, "{\"module\":\"mod_migate\",\"current_time\":%s,",
               js(r->pool, rfc3339(r->pool, apr_time_now())));
    if (nblocks) {
        ap_rprintf(r, "\"counters_since\":%s,"
                   "\"counters_since_epoch\":%" APR_TIME_T_FMT ",",
                   js(r->pool, rfc3339(r->pool, counters_since)),
                   apr_time_sec(counters_since));
    }
    else {
        ap_rputs("\"counters_since\":null,\"counters_since_epoch\":null,",
                 r);
    }
    ap_rprintf(r, "\"generation\":%d,\"builtin_deny\":[",
               ap_state_query(AP_SQ_CONFIG_GEN));
    for (i = 0; (path = migate_builtin_deny_path(i)) != NULL; i++) {
        ap_rprintf(r, "%s%s", i ? "," : "", js(r->pool, path));
    }
    ap_rprintf(r, "],\"never_methods\":[%s],\"servers\":[",
               never_methods(r->pool, ",", "\"", "\""));
    for (i = 0; i < snaps->nelts; i++) {
        const migate_snap *sn = &APR_ARRAY_IDX(snaps, i, migate_snap);
        const migate_srv_conf *sc = sn->sc;
        const char *resp = migate_cfg_resp_header(sc);

        ap_rprintf(r, "%s{\"name\":%s,\"addresses\":%s,\"defined\":%s,"
                   "\"mode\":%s,\"deny_status\":%d,"
                   "\"service_metadata\":%s,\"service_metadata_kinds\":[%s],"
                   "\"backend_tls\":%s,",
                   i ? "," : "",
                   js(r->pool, server_name(r->pool, sn->s)),
                   js(r->pool, addr_text(r->pool, sn->s)),
                   js(r->pool, server_defn(r->pool, sn->s)),
                   js(r->pool, migate_cfg_report(sc) ? "report"
                                                     : "enforce"),
                   migate_cfg_deny_status(sc),
                   migate_cfg_metadata(sc) ? "true" : "false",
                   metadata_kinds(r->pool, sc, ",", 1),
                   js(r->pool, tls_name(migate_cfg_backend_tls(sc))));
        ap_rprintf(r, "\"request_id\":{\"enabled\":%s,\"header\":%s,"
                   "\"version\":%d,\"response_header\":%s,"
                   "\"trusted_proxies\":%d},",
                   migate_cfg_request_id(sc) ? "true" : "false",
                   js(r->pool, migate_cfg_id_header(sc)),
                   migate_cfg_id_version(sc),
                   resp ? js(r->pool, resp) : "null",
                   sc->trusted ? sc->trusted->nelts : 0);
        ap_rputs("\"allow\":", r);
        json_rules(r, sc->allow, 0, 0);
        ap_rputs(",\"services\":", r);
        json_rules(r, sc->allow, 0, 1);
        ap_rputs(",\"deny\":", r);
        json_rules(r, sc->deny, 1, 0);
        if (!sn->c) {
            ap_rputs(",\"counters\":null}", r);
            continue;
        }
        ap_rprintf(r, ",\"counters\":{\"passed\":%" APR_UINT64_T_FMT
                   ",\"reported\":%" APR_UINT64_T_FMT
                   ",\"refused\":%" APR_UINT64_T_FMT
                   ",\"refused_by_reason\":",
                   sn->c[C_PASSED], sn->reported, sn->refused);
        json_counts(r, sn->c + C_REFUSED);
        ap_rputs(",\"reported_by_reason\":", r);
        json_counts(r, sn->c + C_REPORTED);
        json_rule_hits(r, sn);
        ap_rputs("}}", r);
    }
    ap_rputs("]}\n", r);
}

/* --- Prometheus text exposition ------------------------------------ */

/* A metric family's HELP and TYPE lines.  OpenMetrics names a counter
 * family without the "_total" of its samples; the Prometheus format
 * names it as its samples. */
static void metric_head(request_rec *r, int om, const char *name,
                        const char *type, const char *help)
{
    apr_size_t n = strlen(name);

    if (om && !strcmp(type, "counter") && n > 6
        && !strcmp(name + n - 6, "_total")) {
        name = apr_pstrmemdup(r->pool, name, n - 6);
    }
    ap_rprintf(r, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void render_metrics(request_rec *r, const apr_array_header_t *snaps,
                           int om)
{
    int i, k, j;

    ap_set_content_type(r, om ? "application/openmetrics-text; "
                                "version=1.0.0; charset=utf-8"
                              : "text/plain; version=0.0.4; charset=utf-8");
    metric_head(r, om, "migate_requests_total", "counter",
                "Requests the gate judged, by the verdict they finally "
                "got (passed, refused, reported) and its reason code.");
    for (i = 0; i < snaps->nelts; i++) {
        const migate_snap *sn = &APR_ARRAY_IDX(snaps, i, migate_snap);
        const char *v = sn->c ? quote(r->pool, sn->label, 0) : NULL;

        if (!v) {
            continue;
        }
        ap_rprintf(r, "migate_requests_total{vhost=%s,verdict=\"passed\","
                   "reason=\"pass\"} %" APR_UINT64_T_FMT "\n", v,
                   sn->c[C_PASSED]);
        for (k = 1; k < MIGATE_R__COUNT; k++) {
            ap_rprintf(r, "migate_requests_total{vhost=%s,"
                       "verdict=\"refused\",reason=\"%s\"} %"
                       APR_UINT64_T_FMT "\n"
                       "migate_requests_total{vhost=%s,"
                       "verdict=\"reported\",reason=\"%s\"} %"
                       APR_UINT64_T_FMT "\n",
                       v, migate_reason_name((migate_reason_e)k),
                       sn->c[C_REFUSED + k],
                       v, migate_reason_name((migate_reason_e)k),
                       sn->c[C_REPORTED + k]);
        }
    }
    metric_head(r, om, "migate_rule_hits_total", "counter",
                "Requests decided by each rule: file:line of its "
                "directive, builtin:<check> for the built-in checks, "
                "- for a pass that names no rule.");
    for (i = 0; i < snaps->nelts; i++) {
        const migate_snap *sn = &APR_ARRAY_IDX(snaps, i, migate_snap);
        const char *v = sn->c ? quote(r->pool, sn->label, 0) : NULL;

        for (k = 0; v && k < sn->nrules; k++) {
            const char *name = migate_policy_rule_name(sn->sc->policy, k);
            apr_uint64_t hits = sn->c[C_RULES + k];

            /* One series per name: rules of one line (several services
             * in one directive) add up under it. */
            for (j = 0; j < k; j++) {
                if (!strcmp(name, migate_policy_rule_name(sn->sc->policy,
                                                          j))) {
                    break;
                }
            }
            if (j < k) {
                continue;
            }
            for (j = k + 1; j < sn->nrules; j++) {
                if (!strcmp(name, migate_policy_rule_name(sn->sc->policy,
                                                          j))) {
                    hits += sn->c[C_RULES + j];
                }
            }
            ap_rprintf(r, "migate_rule_hits_total{vhost=%s,rule=%s} %"
                       APR_UINT64_T_FMT "\n", v, quote(r->pool, name, 0),
                       hits);
        }
        if (v) {
            ap_rprintf(r, "migate_rule_hits_total{vhost=%s,rule=\"-\"} %"
                       APR_UINT64_T_FMT "\n", v, sn->c[C_NO_RULE]);
        }
    }
    metric_head(r, om, "migate_counters_start_time_seconds", "gauge",
                "When the counters started: the start or restart that "
                "loaded this configuration (Unix time).");
    if (nblocks) {
        ap_rprintf(r, "migate_counters_start_time_seconds %"
                   APR_TIME_T_FMT "\n", apr_time_sec(counters_since));
    }
    if (om) {
        ap_rputs("# EOF\n", r);
    }
}

/* --- HTML, in the manner of mod_status ----------------------------- */

static const char *h(apr_pool_t *p, const char *s)
{
    return ap_escape_html2(p, s ? s : "", 1);
}

static void html_rules(request_rec *r, const apr_array_header_t *rules,
                       int deny)
{
    int i, any = 0;

    for (i = 0; i < rules->nelts; i++) {
        const migate_rule_spec *rs = &APR_ARRAY_IDX(rules, i,
                                                    migate_rule_spec);
        const apr_array_header_t *m;
        const char *ml;

        if (rs->is_service) {
            continue;
        }
        if (!any) {
            ap_rputs("<table border=\"0\"><tr><th>Directive</th>"
                     "<th>Methods</th><th>Pattern</th></tr>\n", r);
            any = 1;
        }
        m = methods_list(r->pool, rs->methods);
        ml = deny ? "all" : m->nelts ? apr_array_pstrcat(r->pool, m, ',')
           : apr_pstrcat(r->pool, "any but ",
                         never_methods(r->pool, ", ", "", ""), NULL);
        ap_rprintf(r, "<tr><td>%s</td><td>%s</td><td><code>%s</code>"
                   "</td></tr>\n", kind_name(rs, deny), h(r->pool, ml),
                   h(r->pool, rs->pattern));
    }
    if (any) {
        ap_rputs("</table>\n", r);
    }
    else {
        ap_rputs("<p>none</p>\n", r);
    }
}

static void html_rule_hits(request_rec *r, const migate_snap *sn)
{
    int i, deny;

    ap_rputs("<table border=\"0\"><tr><th>Rule</th><th>Directive</th>"
             "<th>Pattern</th><th>Hits</th></tr>\n", r);
    for (i = 0; i < sn->nrules; i++) {
        const migate_rule_spec *rs = rule_spec(sn->sc, i, &deny);

        ap_rprintf(r, "<tr><td>%s</td><td>%s</td><td>%s%s%s</td>"
                   "<td>%" APR_UINT64_T_FMT "</td></tr>\n",
                   h(r->pool, migate_policy_rule_name(sn->sc->policy, i)),
                   rs ? kind_name(rs, deny) : "built-in",
                   rs ? "<code>" : "", rs ? h(r->pool, rs->pattern) : "",
                   rs ? "</code>" : "", sn->c[C_RULES + i]);
    }
    ap_rprintf(r, "<tr><td>-</td><td colspan=\"2\">passed, no rule named "
               "(a MiGateAllowMatch regex, OPTIONS *)</td><td>%"
               APR_UINT64_T_FMT "</td></tr>\n"
               "</table>\n", sn->c[C_NO_RULE]);
}

static void render_html(request_rec *r, const apr_array_header_t *snaps)
{
    const char *path;
    int i, k;

    ap_set_content_type(r, "text/html; charset=ISO-8859-1");
    ap_rputs(DOCTYPE_HTML_3_2
             "<html><head>\n<title>mod_migate status</title>\n"
             "</head><body>\n<h1>MI gate status for ", r);
    ap_rputs(h(r->pool, ap_get_server_name(r)), r);
    ap_rputs("</h1>\n\n<dl><dt>Current Time: ", r);
    ap_rputs(ap_ht_time(r->pool, apr_time_now(), MIGATE_TIME_FORMAT, 0),
             r);
    ap_rputs("</dt>\n", r);
    if (nblocks) {
        ap_rprintf(r, "<dt>Counters since: %s (the last start or restart, "
                   "configuration generation %d)</dt>\n",
                   ap_ht_time(r->pool, counters_since, MIGATE_TIME_FORMAT,
                              0), ap_state_query(AP_SQ_CONFIG_GEN));
    }
    else {
        ap_rputs("<dt>Counters: off</dt>\n", r);
    }
    ap_rprintf(r, "<dt>%d gated server%s</dt>\n", snaps->nelts,
               snaps->nelts == 1 ? "" : "s");
    ap_rputs("<dt>Always enforced: ", r);
    for (i = 0; (path = migate_builtin_deny_path(i)) != NULL; i++) {
        ap_rprintf(r, "%s<code>%s</code>", i ? ", " : "", path);
    }
    ap_rprintf(r, " (any case; <code>/services</code> as MI sees it); "
               "methods %s; ambiguous encodings and control characters "
               "(400)</dt>\n</dl>\n", never_methods(r->pool, ", ", "", ""));

    for (i = 0; i < snaps->nelts; i++) {
        const migate_snap *sn = &APR_ARRAY_IDX(snaps, i, migate_snap);
        const migate_srv_conf *sc = sn->sc;
        const char *resp = migate_cfg_resp_header(sc);
        int opened = 0;

        ap_rprintf(r, "<hr />\n<h2>%s</h2>\n<dl>\n<dt>Addresses: %s</dt>\n"
                   "<dt>Defined at: %s</dt>\n",
                   h(r->pool, server_name(r->pool, sn->s)),
                   h(r->pool, addr_text(r->pool, sn->s)),
                   h(r->pool, server_defn(r->pool, sn->s)));
        ap_rprintf(r, "<dt>Mode: %s</dt>\n<dt>Deny status: %d</dt>\n"
                   "<dt>Service metadata: %s</dt>\n"
                   "<dt>Backend TLS: %s</dt>\n",
                   migate_cfg_report(sc) ? "report" : "enforce",
                   migate_cfg_deny_status(sc),
                   !migate_cfg_metadata(sc) ? "Off"
                   : (unsigned)migate_cfg_metadata(sc) == MIGATE_META_ALL
                   ? "On" : metadata_kinds(r->pool, sc, " ", 0),
                   tls_name(migate_cfg_backend_tls(sc)));
        if (migate_cfg_request_id(sc)) {
            ap_rprintf(r, "<dt>Request id: UUIDv%d in <code>%s</code>, "
                       "response header %s%s%s, %d trusted "
                       "network%s</dt>\n",
                       migate_cfg_id_version(sc),
                       h(r->pool, migate_cfg_id_header(sc)),
                       resp ? "<code>" : "",
                       resp ? h(r->pool, resp) : "Off",
                       resp ? "</code>" : "",
                       sc->trusted ? sc->trusted->nelts : 0,
                       sc->trusted && sc->trusted->nelts == 1 ? "" : "s");
        }
        else {
            ap_rputs("<dt>Request id: Off</dt>\n", r);
        }
        ap_rputs("<dt>Opened services: ", r);
        for (k = 0; k < sc->allow->nelts; k++) {
            const migate_rule_spec *rs = &APR_ARRAY_IDX(sc->allow, k,
                                                        migate_rule_spec);
            if (rs->is_service) {
                ap_rprintf(r, "%s<code>%s</code>", opened++ ? ", " : "",
                           h(r->pool, rs->pattern));
            }
        }
        ap_rputs(opened ? "</dt>\n</dl>\n" : "none</dt>\n</dl>\n", r);

        ap_rputs("<h3>Allow</h3>\n", r);
        html_rules(r, sc->allow, 0);
        ap_rputs("<h3>Deny (besides the built-in denies)</h3>\n", r);
        html_rules(r, sc->deny, 1);

        ap_rputs("<h3>Counters</h3>\n", r);
        if (!sn->c) {
            ap_rputs("<p>off</p>\n", r);
            continue;
        }
        ap_rprintf(r, "<dl><dt>Passed: %" APR_UINT64_T_FMT "</dt>\n"
                   "<dt>Reported (passed in report or audit mode): %"
                   APR_UINT64_T_FMT "</dt>\n"
                   "<dt>Refused: %" APR_UINT64_T_FMT "</dt></dl>\n",
                   sn->c[C_PASSED], sn->reported, sn->refused);
        ap_rputs("<table border=\"0\"><tr><th>Reason</th><th>Refused</th>"
                 "<th>Reported</th></tr>\n", r);
        for (k = 1; k < MIGATE_R__COUNT; k++) {
            ap_rprintf(r, "<tr><td>%s</td><td>%" APR_UINT64_T_FMT
                       "</td><td>%" APR_UINT64_T_FMT "</td></tr>\n",
                       migate_reason_name((migate_reason_e)k),
                       sn->c[C_REFUSED + k], sn->c[C_REPORTED + k]);
        }
        ap_rputs("</table>\n<h3>Rule hits</h3>\n", r);
        html_rule_hits(r, sn);
    }
    ap_rputs("<hr />\n", r);
    ap_rputs(ap_psignature("", r), r);
    ap_rputs("</body></html>\n", r);
}

/* "?word", "?word&..." or "?word=...". */
static int arg_is(const request_rec *r, const char *word)
{
    apr_size_t n = strlen(word);

    return r->args && !strncmp(r->args, word, n)
           && (!r->args[n] || r->args[n] == '&' || r->args[n] == '=');
}

int migate_status_handler(request_rec *r)
{
    apr_array_header_t *snaps;

    if (!r->handler || strcmp(r->handler, MIGATE_STATUS_HANDLER)) {
        return DECLINED;
    }
    /* The Allow header of a 405 comes from allowed_methods. */
    r->allowed = (AP_METHOD_BIT << M_GET);
    ap_allow_standard_methods(r, REPLACE_ALLOW, M_GET, -1);
    if (r->method_number != M_GET) {
        return HTTP_METHOD_NOT_ALLOWED;
    }
    /* A snapshot of live counters: never cached by a proxy. */
    apr_table_setn(r->headers_out, "Cache-Control", "no-store");
    apr_table_setn(r->headers_out, "X-Content-Type-Options", "nosniff");
    snaps = snapshot(r->pool);
    if (arg_is(r, "json")) {
        render_json(r, snaps);
    }
    else if (arg_is(r, "metrics")) {
        /* Prometheus asks for OpenMetrics first when it can read it. */
        const char *accept = apr_table_get(r->headers_in, "Accept");
        apr_table_mergen(r->headers_out, "Vary", "Accept");
        render_metrics(r, snaps, accept && ap_strcasestr(
                           accept, "application/openmetrics-text") != NULL);
    }
    else {
        render_html(r, snaps);
    }
    return OK;
}
