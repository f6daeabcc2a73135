/*
 * migate_outcome.c - one outcome record per request, and the one place
 * that turns it into a "blocked" or "reported" line and a count.
 *
 * The policy's decision on a path is a verdict (migate_verdict_t, pure
 * core); the outcome is what became of the request as a whole, whichever
 * phase judged it.
 *
 * A request is judged in several phases: its request line and headers
 * and its path (post_read_request), the URL mod_proxy will send after
 * its mapping (fixups), the TLS session toward MI (mod_ssl's hooks,
 * inside mod_proxy's handler), and httpd's core may refuse it before
 * any of these (log_transaction sees that).  Each phase amends the
 * record kept in the initial request's config; when the request is
 * logged, the record is closed: one line for a refusal or a report,
 * one count under the verdict the request finally got.
 */
#include <string.h>

#include "httpd.h"
#include "http_config.h"
#include "http_log.h"
#include "http_request.h"
#include "apr_strings.h"

#include "migate_glue.h"

/* The longest raw path quoted in a log line. */
#define MIGATE_LOG_PATH_MAX 512

const request_rec *migate_initial_request(const request_rec *r)
{
    while (r->prev) {
        r = r->prev;
    }
    while (r->main) {
        r = r->main;
        while (r->prev) {
            r = r->prev;
        }
    }
    return r;
}

migate_outcome_rec *migate_outcome_find(const request_rec *r)
{
    return ap_get_module_config(migate_initial_request(r)->request_config,
                                &migate_module);
}

migate_outcome_rec *migate_outcome(const request_rec *r)
{
    const request_rec *r0 = migate_initial_request(r);
    migate_outcome_rec *v = migate_outcome_find(r0);

    if (!v) {
        v = apr_pcalloc(r0->pool, sizeof(*v));
        v->reason = MIGATE_PASS;
        v->rule = -1;
        ap_set_module_config(r0->request_config, &migate_module, v);
    }
    return v;
}

void migate_outcome_refuse(const request_rec *r, migate_reason_e reason,
                           int reported, int rule, const char *detail)
{
    migate_outcome_rec *v = migate_outcome(r);

    if (v->closed || reason == MIGATE_PASS
        || (v->reason != MIGATE_PASS && (!v->reported || reported))) {
        return;
    }
    v->reason = reason;
    v->reported = reported;
    v->rule = rule;
    v->detail = detail;
}

/* The word a line starts with: "reported" for a request (or connection)
 * the policy would refuse and that passed (MiGateMode report,
 * MiGateBackendTLS audit), so that an alert on "blocked" never fires on
 * passed traffic. */
static const char *word(int reported)
{
    return reported ? "reported" : "blocked";
}

/* The fields after the word: the same for a request and a connection. */
static const char *fields(apr_pool_t *p, migate_reason_e reason,
                          const char *id, const char *method,
                          const char *path, const char *rule,
                          const char *canon, size_t canon_len,
                          const char *detail, int reported)
{
    return apr_psprintf(p, "reason=%s id=%s method=%s path=\"%s\" "
                        "rule=\"%s\"%s%s%s%s%s%s%s",
                        migate_reason_name(reason), id ? id : "-",
                        migate_log_escape(p, method, strlen(method), 32),
                        migate_log_escape(p, path, strlen(path),
                                          MIGATE_LOG_PATH_MAX),
                        migate_log_escape(p, rule, strlen(rule), 256),
                        canon ? " canonical=\"" : "",
                        canon ? migate_log_escape(p, canon, canon_len,
                                                  MIGATE_LOG_PATH_MAX) : "",
                        canon ? "\"" : "",
                        detail ? " detail=\"" : "",
                        detail ? migate_log_escape(p, detail, strlen(detail),
                                                   MIGATE_LOG_PATH_MAX) : "",
                        detail ? "\"" : "",
                        reported ? " action=report" : "");
}

void migate_outcome_close(request_rec *r)
{
    const request_rec *r0 = migate_initial_request(r);
    migate_outcome_rec *v = migate_outcome_find(r0);
    const migate_srv_conf *sc = migate_srv(r0->server);
    const char *rule;

    if (!v || v->closed || !migate_cfg_enabled(sc) || !sc->policy) {
        return;
    }
    v->closed = 1;
    if (!v->seen && v->reason == MIGATE_PASS) {
        /* Neither judged nor refused: not a request of the gate's. */
        return;
    }
    if (v->reason != MIGATE_PASS) {
        rule = migate_policy_rule_name(sc->policy, v->rule);
        ap_log_rerror(APLOG_MARK, APLOG_WARNING, 0, r,
                      "MIGATE0010: %s %s", word(v->reported),
                      fields(r->pool, v->reason, v->id,
                             r0->method ? r0->method : "",
                             r0->unparsed_uri ? r0->unparsed_uri : "",
                             rule ? rule : "-", v->canon, v->canon_len,
                             v->detail, v->reported));
    }
    migate_count(r0->server, v->reason, v->reported, v->rule);
}

void migate_log_conn_refusal(conn_rec *c, int reported, const char *detail)
{
    ap_log_cerror(APLOG_MARK, APLOG_WARNING, 0, c, "MIGATE0010: %s %s",
                  word(reported),
                  fields(c->pool, MIGATE_R_BACKEND_TLS, NULL, "-", "-",
                         migate_builtin_name(MIGATE_B_BACKEND_TLS), NULL, 0,
                         detail, reported));
}
