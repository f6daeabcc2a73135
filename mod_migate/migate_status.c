/*
 * migate_status.c - the migate-status handler: the effective policy of
 * each gated server and its counters (migate_counters.c), as an HTML
 * page in the manner of mod_status, as JSON (?json) and as Prometheus
 * or OpenMetrics text (?metrics); and a short section on mod_status's
 * own server-status page (its status_hook, as mod_md has).
 *
 * Each answer renders one snapshot of the counters.  A rule is named by
 * what it says (migate_rule_ref), so that its series and its entry in
 * rule_hits stay the same across reloads and regenerated policies; its
 * file and line stand beside the name where there is room.
 */
#include <string.h>

#include "httpd.h"
#include "http_config.h"
#include "http_core.h"
#include "http_log.h"
#include "http_main.h"
#include "http_protocol.h"
#include "http_request.h"
#include "util_script.h"
#include "apr_hash.h"
#include "apr_strings.h"
#include "apr_time.h"
#include "mod_status.h"

#include "migate_glue.h"
#include "migate_describe.h"
#include "migate_path.h"
#include "migate_status.h"

#define MIGATE_STATUS_HANDLER "migate-status"
#define MIGATE_TIME_FORMAT    "%A, %d-%b-%Y %H:%M:%S %Z"

/* A count, or NOT_KEPT where the counters' table had no room for it. */
#define NOT_KEPT (-1)

/* ------------------------------------------------------------------ */
/* The snapshot                                                       */

/* The rules of one name (a name written twice is one rule to count). */
typedef struct {
    const char *name;           /* what it says, or "builtin:..."       */
    const char *where;          /* file:line of each, NULL if built-in  */
    const migate_rule_ref *ref; /* the first of them                    */
    apr_int64_t hits;
} migate_rule_row;

typedef struct {
    const migate_counted *c;
    apr_int64_t passed, no_rule;
    apr_int64_t refused[MIGATE_R__COUNT], reported[MIGATE_R__COUNT];
    apr_int64_t refused_sum, reported_sum;
    apr_array_header_t *rows;   /* migate_rule_row, in rule order       */
} migate_snap;

static apr_int64_t value(long entry)
{
    return entry < 0 ? NOT_KEPT : (apr_int64_t)migate_counter(entry);
}

static void snap_rules(apr_pool_t *p, migate_snap *sn)
{
    const migate_counted *c = sn->c;
    apr_hash_t *seen = apr_hash_make(p);    /* name -> row index + 1   */
    int i;

    sn->rows = apr_array_make(p, c->nrules, sizeof(migate_rule_row));
    for (i = 0; i < c->nrules; i++) {
        const migate_rule_ref *ref = migate_rule_ref_of(c->sc, i);
        apr_size_t at = (apr_size_t)apr_hash_get(seen, ref->name,
                                                 APR_HASH_KEY_STRING);
        migate_rule_row *row;

        if (at) {
            row = &APR_ARRAY_IDX(sn->rows, at - 1, migate_rule_row);
            if (ref->spec && row->where) {
                row->where = apr_pstrcat(p, row->where, ", ",
                                         ref->spec->where, NULL);
            }
            continue;
        }
        row = apr_array_push(sn->rows);
        row->name = ref->name;
        row->where = ref->spec ? ref->spec->where : NULL;
        row->ref = ref;
        row->hits = value(c->rule[i]);
        apr_hash_set(seen, ref->name, APR_HASH_KEY_STRING,
                     (void *)(apr_size_t)sn->rows->nelts);
    }
}

static apr_array_header_t *snapshot(apr_pool_t *p)
{
    const apr_array_header_t *servers = migate_counted_servers();
    apr_array_header_t *out = apr_array_make(p, 8, sizeof(migate_snap));
    int i, k;

    for (i = 0; servers && i < servers->nelts; i++) {
        migate_snap *sn = apr_array_push(out);
        const migate_counted *c = &APR_ARRAY_IDX(servers, i,
                                                 migate_counted);

        memset(sn, 0, sizeof(*sn));
        sn->c = c;
        sn->passed = value(c->passed);
        sn->no_rule = value(c->no_rule);
        for (k = 1; k < MIGATE_R__COUNT; k++) {
            sn->refused[k] = value(c->refused[k]);
            sn->reported[k] = value(c->reported[k]);
            sn->refused_sum += sn->refused[k] > 0 ? sn->refused[k] : 0;
            sn->reported_sum += sn->reported[k] > 0 ? sn->reported[k] : 0;
        }
        snap_rules(p, sn);
    }
    return out;
}

/* ------------------------------------------------------------------ */
/* Words                                                              */

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

static const char *rfc3339(apr_pool_t *p, apr_time_t t)
{
    apr_time_exp_t x;

    apr_time_exp_gmt(&x, t);
    return apr_psprintf(p, "%04d-%02d-%02dT%02d:%02d:%02dZ",
                        x.tm_year + 1900, x.tm_mon + 1, x.tm_mday,
                        x.tm_hour, x.tm_min, x.tm_sec);
}

/* s as a quoted JSON string (json 1) or Prometheus label value (json
 * 0).  Both formats read \\, \" and \n alike.  JSON has \u00XX for the
 * other control characters, used for <, > and & too so that the
 * document is safe to embed in a page; a label value has no other
 * escape, so there they become U+FFFD, as does, in both, a byte that
 * does not start well-formed UTF-8 (both formats are UTF-8; the path
 * check's decoder decides). */
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
        else if (c >= 0x80 && (len = migate_utf8_len(u + i, n - i)) != 0) {
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

/* A count in JSON: null where it is not kept. */
static const char *jcount(apr_pool_t *p, apr_int64_t v)
{
    return v == NOT_KEPT ? "null" : apr_psprintf(p, "%" APR_INT64_T_FMT, v);
}

/* ------------------------------------------------------------------ */
/* JSON                                                               */

static void json_rule(request_rec *r, const migate_rule_line *l)
{
    apr_pool_t *p = r->pool;

    if (l->spec->is_service) {
        ap_rputs(js(p, l->spec->pattern), r);
        return;
    }
    ap_rprintf(r, "{\"rule\":%s,\"where\":%s,\"directive\":%s,"
               "\"kind\":%s,\"pattern\":%s", js(p, l->text),
               js(p, l->spec->where),
               js(p, migate_describe_directive(p, l->spec, l->deny)),
               js(p, migate_describe_kind(l->spec)),
               js(p, l->spec->pattern));
    if (!l->deny) {
        const apr_array_header_t *m = methods_list(p, l->spec->methods);
        int k;

        ap_rputs(",\"methods\":", r);
        if (!m->nelts) {
            ap_rputs("\"any\"", r);
        }
        else {
            ap_rputs("[", r);
            for (k = 0; k < m->nelts; k++) {
                ap_rprintf(r, "%s%s", k ? "," : "",
                           js(p, APR_ARRAY_IDX(m, k, const char *)));
            }
            ap_rputs("]", r);
        }
    }
    ap_rputs("}", r);
}

/* "allow", "services" and "deny": the lines of the description. */
static void json_rules(request_rec *r, const apr_array_header_t *lines)
{
    static const char *const key[] = { "allow", "services", "deny" };
    int part, i, first;

    for (part = 0; part < 3; part++) {
        ap_rprintf(r, ",\"%s\":[", key[part]);
        for (i = 0, first = 1; i < lines->nelts; i++) {
            const migate_rule_line *l = &APR_ARRAY_IDX(lines, i,
                                                       migate_rule_line);
            if ((l->deny ? 2 : l->spec->is_service ? 1 : 0) == part) {
                ap_rputs(first ? "" : ",", r);
                first = 0;
                json_rule(r, l);
            }
        }
        ap_rputs("]", r);
    }
}

static void json_counts(request_rec *r, const apr_int64_t *c)
{
    int i;

    ap_rputs("{", r);
    for (i = 1; i < MIGATE_R__COUNT; i++) {
        ap_rprintf(r, "%s%s:%s", i > 1 ? "," : "",
                   js(r->pool, migate_reason_name((migate_reason_e)i)),
                   jcount(r->pool, c[i]));
    }
    ap_rputs("}", r);
}

/* Every rule by name with its hits, and "-" for what no rule decided. */
static void json_rule_hits(request_rec *r, const migate_snap *sn)
{
    apr_pool_t *p = r->pool;
    int i;

    ap_rputs(",\"rule_hits\":[", r);
    for (i = 0; i < sn->rows->nelts; i++) {
        const migate_rule_row *row = &APR_ARRAY_IDX(sn->rows, i,
                                                    migate_rule_row);
        const migate_rule_spec *rs = row->ref->spec;

        ap_rprintf(r, "{\"rule\":%s,", js(p, row->name));
        if (rs) {
            ap_rprintf(r, "\"where\":%s,\"directive\":%s,\"pattern\":%s,",
                       js(p, row->where),
                       js(p, migate_describe_directive(p, rs,
                                                       row->ref->deny)),
                       js(p, rs->pattern));
        }
        ap_rprintf(r, "\"hits\":%s},", jcount(p, row->hits));
    }
    ap_rprintf(r, "{\"rule\":\"-\",\"hits\":%s}]", jcount(p, sn->no_rule));
}

static void render_json(request_rec *r, const apr_array_header_t *snaps)
{
    apr_pool_t *p = r->pool;
    int i;

    ap_set_content_type(r, "application/json");
    ap_rprintf(r, "{\"module\":\"mod_migate\",\"current_time\":%s,",
               js(p, rfc3339(p, apr_time_now())));
    if (migate_counters_on()) {
        unsigned used, entries;

        migate_counters_fill(&used, &entries);
        ap_rprintf(r, "\"counters_since\":%s,"
                   "\"counters_since_epoch\":%" APR_TIME_T_FMT ","
                   "\"counters_table\":{\"used\":%u,\"entries\":%u},",
                   js(p, rfc3339(p, migate_counters_since())),
                   apr_time_sec(migate_counters_since()), used, entries);
    }
    else {
        ap_rputs("\"counters_since\":null,\"counters_since_epoch\":null,"
                 "\"counters_table\":null,", r);
    }
    ap_rprintf(r, "\"generation\":%d,\"builtin_deny\":[%s],"
               "\"never_methods\":[%s],\"servers\":[",
               ap_state_query(AP_SQ_CONFIG_GEN),
               migate_describe_builtin_denies(p, ",", "\"", "\""),
               migate_describe_never_methods(p, ",", "\"", "\""));
    for (i = 0; i < snaps->nelts; i++) {
        const migate_snap *sn = &APR_ARRAY_IDX(snaps, i, migate_snap);
        const migate_srv_conf *sc = sn->c->sc;
        const char *resp = migate_cfg_resp_header(sc);

        ap_rprintf(r, "%s{\"name\":%s,\"addresses\":%s,\"defined\":%s,"
                   "\"mode\":%s,\"deny_status\":%d,"
                   "\"service_metadata\":%s,\"service_metadata_kinds\":[%s],"
                   "\"backend_tls\":%s,",
                   i ? "," : "", js(p, sn->c->label),
                   js(p, addr_text(p, sn->c->s)),
                   js(p, migate_vhost_defined(p, sn->c->s)),
                   js(p, migate_describe_mode(sc)),
                   migate_cfg_deny_status(sc),
                   migate_cfg_metadata(sc) ? "true" : "false",
                   migate_describe_metadata(p, sc, ",", "\"", "\""),
                   js(p, migate_describe_tls(sc)));
        ap_rprintf(r, "\"request_id\":{\"enabled\":%s,\"header\":%s,"
                   "\"version\":%d,\"response_header\":%s,"
                   "\"trusted_proxies\":%d}",
                   migate_cfg_request_id(sc) ? "true" : "false",
                   js(p, migate_cfg_id_header(sc)),
                   migate_cfg_id_version(sc),
                   resp ? js(p, resp) : "null",
                   sc->trusted ? sc->trusted->nelts : 0);
        json_rules(r, migate_describe_rules(p, ap_server_conf, sn->c->s));
        if (!migate_counters_on()) {
            ap_rputs(",\"counters\":null}", r);
            continue;
        }
        ap_rprintf(r, ",\"counters\":{\"passed\":%s,\"reported\":%"
                   APR_INT64_T_FMT ",\"refused\":%" APR_INT64_T_FMT
                   ",\"refused_by_reason\":", jcount(p, sn->passed),
                   sn->reported_sum, sn->refused_sum);
        json_counts(r, sn->refused);
        ap_rputs(",\"reported_by_reason\":", r);
        json_counts(r, sn->reported);
        json_rule_hits(r, sn);
        ap_rputs("}}", r);
    }
    ap_rputs("]}\n", r);
}

/* ------------------------------------------------------------------ */
/* Prometheus text exposition                                         */

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

/* One sample, unless its counter is not kept. */
static void sample(request_rec *r, const char *name, const char *labels,
                   apr_int64_t v)
{
    if (v != NOT_KEPT) {
        ap_rprintf(r, "%s{%s} %" APR_INT64_T_FMT "\n", name, labels, v);
    }
}

static void render_metrics(request_rec *r, const apr_array_header_t *snaps,
                           int om)
{
    apr_pool_t *p = r->pool;
    int on = migate_counters_on(), i, k;

    ap_set_content_type(r, om ? "application/openmetrics-text; "
                                "version=1.0.0; charset=utf-8"
                              : "text/plain; version=0.0.4; charset=utf-8");
    metric_head(r, om, "migate_requests_total", "counter",
                "Requests the gate judged, by the verdict they finally "
                "got (passed, refused, reported) and its reason code.");
    for (i = 0; on && i < snaps->nelts; i++) {
        const migate_snap *sn = &APR_ARRAY_IDX(snaps, i, migate_snap);
        const char *v = quote(p, sn->c->label, 0);

        sample(r, "migate_requests_total", apr_psprintf(p,
               "vhost=%s,verdict=\"passed\",reason=\"pass\"", v),
               sn->passed);
        for (k = 1; k < MIGATE_R__COUNT; k++) {
            const char *reason = migate_reason_name((migate_reason_e)k);
            sample(r, "migate_requests_total", apr_psprintf(p,
                   "vhost=%s,verdict=\"refused\",reason=\"%s\"", v, reason),
                   sn->refused[k]);
            sample(r, "migate_requests_total", apr_psprintf(p,
                   "vhost=%s,verdict=\"reported\",reason=\"%s\"", v,
                   reason), sn->reported[k]);
        }
    }
    metric_head(r, om, "migate_rule_hits_total", "counter",
                "Requests decided by each rule, named by what it says "
                "(MiGateAllow GET /api, builtin:<check> for the built-in "
                "checks), - for a pass that names no rule.");
    for (i = 0; on && i < snaps->nelts; i++) {
        const migate_snap *sn = &APR_ARRAY_IDX(snaps, i, migate_snap);
        const char *v = quote(p, sn->c->label, 0);

        for (k = 0; k < sn->rows->nelts; k++) {
            const migate_rule_row *row = &APR_ARRAY_IDX(sn->rows, k,
                                                        migate_rule_row);
            sample(r, "migate_rule_hits_total", apr_psprintf(p,
                   "vhost=%s,rule=%s", v, quote(p, row->name, 0)),
                   row->hits);
        }
        sample(r, "migate_rule_hits_total", apr_psprintf(p,
               "vhost=%s,rule=\"-\"", v), sn->no_rule);
    }
    metric_head(r, om, "migate_counters_start_time_seconds", "gauge",
                "When the counters started: the start of httpd that made "
                "them; restarts keep them (Unix time).");
    if (on) {
        ap_rprintf(r, "migate_counters_start_time_seconds %"
                   APR_TIME_T_FMT "\n",
                   apr_time_sec(migate_counters_since()));
    }
    if (om) {
        ap_rputs("# EOF\n", r);
    }
}

/* ------------------------------------------------------------------ */
/* HTML, in the manner of mod_status                                  */

static const char *h(apr_pool_t *p, const char *s)
{
    return ap_escape_html2(p, s ? s : "", 1);
}

static const char *hn(apr_pool_t *p, apr_int64_t v)
{
    return v == NOT_KEPT ? "not kept" : apr_psprintf(p, "%" APR_INT64_T_FMT,
                                                     v);
}

static void html_rules(request_rec *r, const apr_array_header_t *lines,
                       int deny)
{
    apr_pool_t *p = r->pool;
    int i, any = 0;

    for (i = 0; i < lines->nelts; i++) {
        const migate_rule_line *l = &APR_ARRAY_IDX(lines, i,
                                                   migate_rule_line);
        const apr_array_header_t *m;
        const char *ml;

        if (l->deny != deny || l->spec->is_service) {
            continue;
        }
        if (!any) {
            ap_rputs("<table border=\"0\"><tr><th>Directive</th>"
                     "<th>Methods</th><th>Pattern</th><th>Defined at</th>"
                     "</tr>\n", r);
            any = 1;
        }
        m = methods_list(p, l->spec->methods);
        ml = deny ? "all" : m->nelts ? apr_array_pstrcat(p, m, ',')
           : apr_pstrcat(p, "any but ",
                         migate_describe_never_methods(p, ", ", "", ""),
                         NULL);
        ap_rprintf(r, "<tr><td>%s</td><td>%s</td><td><code>%s</code>"
                   "</td><td>%s%s</td></tr>\n",
                   migate_describe_directive(p, l->spec, deny), h(p, ml),
                   h(p, l->spec->pattern), h(p, l->spec->where),
                   l->from_main ? ", from the main server" : "");
    }
    ap_rputs(any ? "</table>\n" : "<p>none</p>\n", r);
}

static void html_rule_hits(request_rec *r, const migate_snap *sn)
{
    apr_pool_t *p = r->pool;
    int i;

    ap_rputs("<table border=\"0\"><tr><th>Rule</th><th>Defined at</th>"
             "<th>Hits</th></tr>\n", r);
    for (i = 0; i < sn->rows->nelts; i++) {
        const migate_rule_row *row = &APR_ARRAY_IDX(sn->rows, i,
                                                    migate_rule_row);
        ap_rprintf(r, "<tr><td><code>%s</code></td><td>%s</td><td>%s</td>"
                   "</tr>\n", h(p, row->name),
                   row->where ? h(p, row->where) : "built-in",
                   hn(p, row->hits));
    }
    ap_rprintf(r, "<tr><td>-</td><td>passed, no rule named (OPTIONS *, "
               "which httpd answers itself)</td><td>%s</td></tr>\n"
               "</table>\n", hn(p, sn->no_rule));
}

static void html_server(request_rec *r, const migate_snap *sn)
{
    apr_pool_t *p = r->pool;
    const migate_srv_conf *sc = sn->c->sc;
    const apr_array_header_t *lines = migate_describe_rules(
        p, ap_server_conf, sn->c->s);
    const char *resp = migate_cfg_resp_header(sc), *opened = "";
    int k;

    ap_rprintf(r, "<hr />\n<h2>%s</h2>\n<dl>\n<dt>Addresses: %s</dt>\n"
               "<dt>Defined at: %s</dt>\n", h(p, sn->c->label),
               h(p, addr_text(p, sn->c->s)),
               h(p, migate_vhost_defined(p, sn->c->s)));
    ap_rprintf(r, "<dt>Mode: %s</dt>\n<dt>Deny status: %d</dt>\n"
               "<dt>Service metadata: %s</dt>\n"
               "<dt>Backend TLS: %s</dt>\n", migate_describe_mode(sc),
               migate_cfg_deny_status(sc),
               !migate_cfg_metadata(sc) ? "Off"
               : (unsigned)migate_cfg_metadata(sc) == MIGATE_META_ALL ? "On"
               : migate_describe_metadata(p, sc, " ", "", ""),
               migate_describe_tls(sc));
    if (migate_cfg_request_id(sc)) {
        ap_rprintf(r, "<dt>Request id: UUIDv%d in <code>%s</code>, "
                   "response header %s%s%s, %d trusted network%s</dt>\n",
                   migate_cfg_id_version(sc),
                   h(p, migate_cfg_id_header(sc)),
                   resp ? "<code>" : "", resp ? h(p, resp) : "Off",
                   resp ? "</code>" : "",
                   sc->trusted ? sc->trusted->nelts : 0,
                   sc->trusted && sc->trusted->nelts == 1 ? "" : "s");
    }
    else {
        ap_rputs("<dt>Request id: Off</dt>\n", r);
    }
    for (k = 0; k < lines->nelts; k++) {
        const migate_rule_line *l = &APR_ARRAY_IDX(lines, k,
                                                   migate_rule_line);
        if (l->spec->is_service) {
            opened = apr_pstrcat(p, opened, *opened ? ", " : "", "<code>",
                                 h(p, l->spec->pattern), "</code> (",
                                 h(p, l->spec->where), ")", NULL);
        }
    }
    ap_rprintf(r, "<dt>Opened services: %s</dt>\n</dl>\n",
               *opened ? opened : "none");
    ap_rputs("<h3>Allow</h3>\n", r);
    html_rules(r, lines, 0);
    ap_rputs("<h3>Deny (besides the built-in denies)</h3>\n", r);
    html_rules(r, lines, 1);

    ap_rputs("<h3>Counters</h3>\n", r);
    if (!migate_counters_on()) {
        ap_rputs("<p>off</p>\n", r);
        return;
    }
    ap_rprintf(r, "<dl><dt>Passed: %s</dt>\n"
               "<dt>Reported (passed in report or audit mode): %"
               APR_INT64_T_FMT "</dt>\n<dt>Refused: %" APR_INT64_T_FMT
               "</dt></dl>\n", hn(p, sn->passed), sn->reported_sum,
               sn->refused_sum);
    ap_rputs("<table border=\"0\"><tr><th>Reason</th><th>Refused</th>"
             "<th>Reported</th></tr>\n", r);
    for (k = 1; k < MIGATE_R__COUNT; k++) {
        ap_rprintf(r, "<tr><td>%s</td><td>%s</td><td>%s</td></tr>\n",
                   migate_reason_name((migate_reason_e)k),
                   hn(p, sn->refused[k]), hn(p, sn->reported[k]));
    }
    ap_rputs("</table>\n<h3>Rule hits</h3>\n", r);
    html_rule_hits(r, sn);
}

static void render_html(request_rec *r, const apr_array_header_t *snaps)
{
    apr_pool_t *p = r->pool;
    int i;

    ap_set_content_type(r, "text/html; charset=ISO-8859-1");
    ap_rputs(DOCTYPE_HTML_3_2
             "<html><head>\n<title>mod_migate status</title>\n"
             "</head><body>\n<h1>MI gate status for ", r);
    ap_rputs(h(p, ap_get_server_name(r)), r);
    ap_rputs("</h1>\n\n<dl><dt>Current Time: ", r);
    ap_rputs(ap_ht_time(p, apr_time_now(), MIGATE_TIME_FORMAT, 0), r);
    ap_rputs("</dt>\n", r);
    if (migate_counters_on()) {
        unsigned used, entries;

        migate_counters_fill(&used, &entries);
        ap_rprintf(r, "<dt>Counters since: %s (the start of httpd; "
                   "restarts keep them; configuration generation %d)</dt>\n"
                   "<dt>Counters table: %u of %u entries used</dt>\n",
                   ap_ht_time(p, migate_counters_since(), MIGATE_TIME_FORMAT,
                              0), ap_state_query(AP_SQ_CONFIG_GEN),
                   used, entries);
    }
    else {
        ap_rputs("<dt>Counters: off</dt>\n", r);
    }
    ap_rprintf(r, "<dt>%d gated server%s</dt>\n", snaps->nelts,
               snaps->nelts == 1 ? "" : "s");
    ap_rprintf(r, "<dt>Always enforced: %s (any case; <code>/services"
               "</code> as MI sees it); methods %s; ambiguous encodings "
               "and control characters (400)</dt>\n</dl>\n",
               migate_describe_builtin_denies(p, ", ", "<code>", "</code>"),
               migate_describe_never_methods(p, ", ", "", ""));
    for (i = 0; i < snaps->nelts; i++) {
        html_server(r, &APR_ARRAY_IDX(snaps, i, migate_snap));
    }
    ap_rputs("<hr />\n", r);
    ap_rputs(ap_psignature("", r), r);
    ap_rputs("</body></html>\n", r);
}

/* ------------------------------------------------------------------ */
/* The handler, and mod_status's page                                 */

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

/* mod_status's server-status: the totals of each gated server, with no
 * policy (that page may be served where the policy must not be read);
 * "?auto" gets them as "MiGate..." lines. */
int migate_status_hook(request_rec *r, int flags)
{
    apr_array_header_t *snaps = snapshot(r->pool);
    int i;

    if (!snaps->nelts || !migate_counters_on()) {
        return OK;
    }
    if (!(flags & AP_STATUS_SHORT)) {
        ap_rputs("<hr />\n<h2>MI gate (mod_migate)</h2>\n"
                 "<table border=\"0\"><tr><th>Server</th><th>Passed</th>"
                 "<th>Reported</th><th>Refused</th></tr>\n", r);
    }
    for (i = 0; i < snaps->nelts; i++) {
        const migate_snap *sn = &APR_ARRAY_IDX(snaps, i, migate_snap);
        if (flags & AP_STATUS_SHORT) {
            ap_rprintf(r, "MiGateServer%d: %s\nMiGatePassed%d: %s\n"
                       "MiGateReported%d: %" APR_INT64_T_FMT "\n"
                       "MiGateRefused%d: %" APR_INT64_T_FMT "\n", i,
                       sn->c->label, i, hn(r->pool, sn->passed), i,
                       sn->reported_sum, i, sn->refused_sum);
            continue;
        }
        ap_rprintf(r, "<tr><td>%s</td><td>%s</td><td>%" APR_INT64_T_FMT
                   "</td><td>%" APR_INT64_T_FMT "</td></tr>\n",
                   h(r->pool, sn->c->label), hn(r->pool, sn->passed),
                   sn->reported_sum, sn->refused_sum);
    }
    if (!(flags & AP_STATUS_SHORT)) {
        ap_rputs("</table>\n", r);
    }
    return OK;
}
