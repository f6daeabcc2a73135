/*
 * migate_request.c - the request phase: give the request its id, check
 * its headers, decide its path, and make sure what mod_proxy finally
 * sends to MI is still something the gate allowed.  Verdicts come from
 * the pure core; this file turns them into statuses and log lines.
 */
#include <string.h>

#include "httpd.h"
#include "http_config.h"
#include "http_core.h"
#include "http_log.h"
#include "http_protocol.h"
#include "http_request.h"
#include "util_filter.h"
#include "apr_strings.h"
#include "apr_lib.h"

#include "migate_glue.h"
#include "migate_uuid.h"
#include "migate_path.h"

/* ------------------------------------------------------------------ */
/* Request ids                                                        */

/* A fresh id for r, from the pool of the initial request (the id lives
 * as long as the whole request, internal redirects included). */
static const char *new_id(const request_rec *r, const migate_srv_conf *sc)
{
    char *id = apr_palloc(migate_initial_request(r)->pool,
                          MIGATE_UUID_LEN + 1);

    if (migate_uuid_make(migate_cfg_id_version(sc), id) != 0) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r,
                      "MIGATE0011: the kernel random generator failed; "
                      "no request id");
        return NULL;
    }
    return id;
}

/* The inbound id header, when it may be kept: it came from a trusted
 * peer (the TCP peer, not what any header claims, not mod_remoteip's
 * rewritten address) and it is a well-formed UUID.  Lowercased, so that
 * every log line writes the id the same way. */
static const char *trusted_inbound_id(request_rec *r,
                                      const migate_srv_conf *sc)
{
    const char *in = apr_table_get(r->headers_in, migate_cfg_id_header(sc));
    char *id, *c;

    if (!in || !migate_cfg_trusted(sc, r->connection->client_ip)
        || !migate_uuid_valid(in, strlen(in))) {
        return NULL;
    }
    id = apr_pstrdup(r->pool, in);
    for (c = id; *c; c++) {
        *c = apr_tolower(*c);
    }
    return id;
}

/* The gate owns the id header toward MI, which takes it verbatim as its
 * correlation id: whatever came in is replaced by id, or removed when
 * there is none (MiGateRequestId Off and no id a trusted peer vouched
 * for). */
static void own_id_header(request_rec *r, const migate_srv_conf *sc,
                          const char *id)
{
    const char *hdr = migate_cfg_id_header(sc);

    if (id) {
        apr_table_setn(r->headers_in, hdr, id);
    }
    else {
        apr_table_unset(r->headers_in, hdr);
    }
}

/* Make id the request's id everywhere httpd looks for one: %L, the
 * environment (MIGATE_REQUEST_ID, and mod_unique_id's UNIQUE_ID, which
 * takes r->log_id when it is set first) and the response header. */
static void publish_id(request_rec *r, const migate_srv_conf *sc,
                       const char *id)
{
    const char *resp = migate_cfg_resp_header(sc);

    r->log_id = id;
    apr_table_setn(r->subprocess_env, "MIGATE_REQUEST_ID", id);
    /* mod_unique_id takes r->log_id when it runs after us.  A module that
     * must see UNIQUE_ID early (mod_security orders mod_unique_id before
     * its own REALLY_FIRST hook) can put it ahead of us: then its id is
     * replaced, so that one request has one id in every log. */
    if (apr_table_get(r->subprocess_env, "UNIQUE_ID")) {
        apr_table_setn(r->subprocess_env, "UNIQUE_ID", id);
    }
    if (resp) {
        /* err_headers_out: refusals and error documents carry it too. */
        apr_table_setn(r->err_headers_out, resp, id);
    }
}

/* %L in ErrorLogFormat asks for an id the first time a line of a request
 * is written without r->log_id.  For a gated request that is our id:
 * for subrequests and internal redirects it is the initial request's,
 * and for a line written before post_read_request (httpd's core
 * refusing a malformed request) the id is made now, so that the core's
 * own line and our "blocked" line carry the same one. */
int migate_generate_log_id(const conn_rec *c, const request_rec *r,
                           const char **id)
{
    migate_srv_conf *sc;
    migate_outcome_rec *st;

    (void)c;
    if (!r) {
        return DECLINED;
    }
    st = migate_outcome_find(r);
    if (st && st->id) {
        *id = st->id;
        return OK;
    }
    sc = r->server ? migate_srv(r->server) : NULL;
    if (!sc || !migate_cfg_enabled(sc) || !migate_cfg_request_id(sc)
        || (st && st->seen)) {
        return DECLINED;
    }
    st = migate_outcome(r);
    st->id = new_id(r, sc);
    if (!st->id) {
        return DECLINED;
    }
    *id = st->id;
    return OK;
}

/* ------------------------------------------------------------------ */
/* The decision                                                       */

/* The status of a refusal: 400 for an ambiguous or malformed request,
 * 502 for a backend the gate will not talk to, MiGateDenyStatus for
 * what the policy refuses. */
static int refusal_status(const migate_srv_conf *sc, migate_reason_e reason)
{
    if (migate_reason_is_bad_request(reason)) {
        return HTTP_BAD_REQUEST;
    }
    if (reason == MIGATE_R_BACKEND_PLAIN || reason == MIGATE_R_BACKEND_TLS) {
        return HTTP_BAD_GATEWAY;
    }
    return migate_cfg_deny_status(sc);
}

static int refuse(request_rec *r, const migate_srv_conf *sc,
                  migate_reason_e reason, int rule, const char *detail)
{
    migate_outcome_refuse(r, reason, 0, rule, detail);
    return refusal_status(sc, reason);
}

/* A refusal from post_read_request ends the connection: httpd's
 * ap_read_request (server/protocol.c) answers through ap_die and returns
 * no request, and the MPM then lingers the connection closed
 * (modules/http/http_core.c, CONN_STATE_LINGER).  Say so in the answer,
 * as ap_set_keepalive does for the statuses that drop the connection, so
 * that an HTTP/1.1 client does not send its next request into a closing
 * connection.  An HTTP/2 stream (a secondary connection) is not its
 * connection: the session goes on. */
static int refuse_read(request_rec *r, const migate_srv_conf *sc,
                       migate_reason_e reason, int rule, const char *detail)
{
    if (!r->connection->master) {
        r->connection->keepalive = AP_CONN_CLOSE;
    }
    return refuse(r, sc, reason, rule, detail);
}

/* Split a request target into path and query.  An absolute-form target
 * ("GET https://host/path") is reduced to its path. */
static void split_target(const char *t, const char *method,
                         migate_request_t *rq)
{
    const char *q;

    if (*t != '/' && strstr(t, "://")) {
        const char *p = strstr(t, "://") + 3;
        p += strcspn(p, "/?#");
        t = *p ? p : "/";
    }
    rq->method = method;
    rq->method_len = strlen(method);
    q = strchr(t, '?');
    rq->path = t;
    if (q) {
        rq->path_len = (size_t)(q - t);
        rq->query = q + 1;
        rq->query_len = strlen(q + 1);
    }
    else {
        rq->path_len = strlen(t);
        rq->query = NULL;
        rq->query_len = 0;
    }
}

int migate_post_read_request(request_rec *r)
{
    migate_srv_conf *sc = migate_srv(r->server);
    migate_outcome_rec *st;
    migate_request_t rq;
    migate_verdict_t v;
    migate_reason_e why;
    const char *detail = NULL;
    const char *id;

    if (!migate_cfg_enabled(sc) || r->main) {
        return DECLINED;
    }
    st = migate_outcome(r);
    if (r->prev) {
        /* An internal redirect (ErrorDocument, mod_rewrite in directory
         * context): the gate decided the request already and the headers
         * are shared with it.  It keeps its id; only its %L and its
         * environment are new. */
        if (!st->seen) {
            if (!st->id && migate_cfg_request_id(sc)) {
                st->id = new_id(r, sc);
            }
            /* The request the redirect comes from was refused by httpd's
             * core before the gate saw it (an ErrorDocument of a 400):
             * its headers still are what the client sent. */
            migate_own_inbound(r, sc, 0);
            own_id_header(r, sc, st->id);
        }
        if (st->id) {
            publish_id(r, sc, st->id);
        }
        return DECLINED;
    }
    st->seen = 1;

    /* The id comes first so that a refused request has one too.  A line
     * logged before this point may have made one already. */
    if (migate_cfg_request_id(sc)) {
        id = trusted_inbound_id(r, sc);
        st->id = id ? id : st->id ? st->id : new_id(r, sc);
        if (st->id) {
            publish_id(r, sc, st->id);
        }
    }
    else {
        st->id = NULL;
    }

    /* The headers are judged as they came in (the inbound id header
     * included: a line break in it is forging input, refused like any
     * other), then the id header toward MI is the gate's own. */
    why = migate_check_headers(r, sc, &detail);
    own_id_header(r, sc, st->id ? st->id : trusted_inbound_id(r, sc));
    if (why != MIGATE_PASS) {
        return refuse_read(r, sc, why, MIGATE_B_HEADER, detail);
    }
    migate_own_traceparent(r, sc, st->id);
    ap_add_input_filter(MIGATE_TRAILERS_FILTER, NULL, r, r->connection);

    /* "OPTIONS *" asks about the server, not a path: httpd answers it
     * itself (its MPM's dummy connections send it too), MI never sees
     * it. */
    if (r->method_number == M_OPTIONS && r->unparsed_uri
        && !strcmp(r->unparsed_uri, "*")) {
        return DECLINED;
    }

    split_target(r->unparsed_uri ? r->unparsed_uri : "", r->method, &rq);
    why = migate_policy_decide(sc->policy, &rq, r->pool, &v);
    if (why == MIGATE_PASS) {
        st->rule = v.rule;
        return DECLINED;
    }
    /* The refusal line carries the path as the gate saw it, so that
     * tools (migate-suggest) need not canonicalise it again. */
    st->canon = v.canon;
    st->canon_len = v.canon_len;
    if (v.reportable && migate_cfg_report(sc)) {
        migate_outcome_refuse(r, why, 1, v.rule, v.detail);
        return DECLINED;
    }
    return refuse_read(r, sc, why, v.rule, v.detail);
}

/*
 * Close the request's outcome before mod_log_config writes the access
 * line: its one "blocked" line and its one count.  httpd's core refuses
 * some requests before post_read_request runs (a malformed request
 * line, 414, 431, a control character in a header, a bad Host): those
 * are refusals in a gated server too, with an id and reason "protocol"
 * and httpd's status, or "method" for the methods the gate never passes.
 */
int migate_log_transaction(request_rec *r)
{
    migate_srv_conf *sc = migate_srv(r->server);
    migate_outcome_rec *st;
    const char *cause;

    migate_protocol_read_done(r);
    if (!migate_cfg_enabled(sc) || r->main || r->prev) {
        return DECLINED;
    }
    st = migate_outcome(r);
    /* 408: the client sent no complete request in time (an idle
     * connection, a slow client): nothing was refused. */
    if (!st->seen && r->status >= 400 && r->status < 500
        && r->status != HTTP_REQUEST_TIME_OUT) {
        if (migate_cfg_request_id(sc)) {
            if (!st->id) {
                st->id = new_id(r, sc);
            }
            if (st->id) {
                r->log_id = st->id;
            }
        }
        else {
            st->id = NULL;
        }
        cause = migate_protocol_cause(r);
        if (r->method && migate_method_forbidden(r->method,
                                                 strlen(r->method))) {
            migate_outcome_refuse(r, MIGATE_R_METHOD, 0, MIGATE_B_METHOD,
                                  apr_psprintf(r->pool, "status %d",
                                               r->status));
        }
        else {
            migate_outcome_refuse(r, MIGATE_R_PROTOCOL, 0,
                                  MIGATE_B_PROTOCOL,
                                  apr_psprintf(r->pool, "status %d%s%s",
                                               r->status,
                                               cause ? ": " : "",
                                               cause ? cause : ""));
        }
    }
    migate_outcome_close(r);
    return DECLINED;
}

/*
 * httpd's core refused the request before post_read_request (its
 * error response is being made): the answer carries the request id in
 * MiGateResponseIdHeader like every refusal of the gate's, the same id
 * its log lines and its "blocked" line carry.
 */
void migate_error_response(request_rec *r)
{
    migate_srv_conf *sc = migate_srv(r->server);
    migate_outcome_rec *st;

    migate_protocol_read_done(r);
    if (!migate_cfg_enabled(sc) || !migate_cfg_request_id(sc) || r->main
        || r->prev) {
        return;
    }
    st = migate_outcome(r);
    if (st->seen) {
        /* The gate's own refusal, or a later error: published already. */
        return;
    }
    if (!st->id) {
        st->id = new_id(r, sc);
    }
    if (st->id) {
        publish_id(r, sc, st->id);
    }
}

/* What a refusal of the sent target adds when the operator's mapping,
 * not the client, made it: a "//" in the path sent to MI that the
 * client's path does not have (a ProxyPass whose path and URL disagree
 * on the trailing "/", which the configuration test warns about). */
static const char *mapping_made(const request_rec *r, const char *url)
{
    const char *raw = r->unparsed_uri ? r->unparsed_uri : "";
    const char *path = strstr(url, "://");

    /* The sent path starts after the URL's authority. */
    path = path ? strchr(path + 3, '/') : NULL;
    if (!path || !strstr(apr_pstrmemdup(r->pool, path, strcspn(path, "?")),
                         "//")
        || strstr(apr_pstrmemdup(r->pool, raw, strcspn(raw, "?")), "//")) {
        return "";
    }
    /* No quotes: the line quotes detail, and httpd escapes again. */
    return ": the mapping made // of the client's path, not the client "
           "(a ProxyPass whose path and URL disagree on the trailing /)";
}

/*
 * An internal redirect (ErrorDocument, ProxyErrorOverride's error page,
 * mod_rewrite in directory context) that would reach MI is a request of
 * its own.  A request the gate refused never reaches MI by way of its
 * error page: refusing the redirect makes httpd fall back to its own
 * error text for the first request, with the gate's status (ap_die_r in
 * http_request.c: an error while serving an ErrorDocument reports the
 * original error, "Do NOT retry the custom thing").  Otherwise the
 * redirect's own path is judged by the policy, and the body of the
 * first request is never sent with it.  OK or the refusal's status.
 */
static int judge_redirect(request_rec *r, const migate_srv_conf *sc)
{
    const migate_outcome_rec *first = migate_outcome(r);
    migate_request_t rq;
    migate_verdict_t v;
    migate_reason_e why;
    const char *detail;

    if (first->reason != MIGATE_PASS && !first->reported) {
        return refusal_status(sc, first->reason);
    }
    split_target(r->unparsed_uri ? r->unparsed_uri : "/", r->method, &rq);
    why = migate_policy_decide(sc->policy, &rq, r->pool, &v);
    if (why != MIGATE_PASS) {
        detail = apr_pstrcat(r->pool, "internal redirect to ",
                             r->unparsed_uri, NULL);
        if (v.reportable && migate_cfg_report(sc)) {
            migate_outcome_refuse(r, why, 1, v.rule, detail);
        }
        else {
            return refuse(r, sc, why, v.rule, detail);
        }
    }
    if (ap_discard_request_body(r) != OK) {
        return HTTP_BAD_REQUEST;
    }
    apr_table_unset(r->headers_in, "Content-Length");
    apr_table_unset(r->headers_in, "Transfer-Encoding");
    return OK;
}

/*
 * The target of a backend URL ("https://mi/path?q", also after
 * "unix:/path|") as mod_proxy sends it: valid as sent (what [NE] can
 * leave in it), canonical, and through the always-enforced checks; with
 * whole set, through the whole policy.  MIGATE_PASS or the reason, *rule
 * what decided.
 */
static migate_reason_e judge_target(request_rec *r, const migate_srv_conf *sc,
                                    const char *url, int whole, int *rule,
                                    const char **detail)
{
    migate_request_t rq;
    migate_verdict_t v;
    migate_reason_e why;
    const char *p;

    *rule = MIGATE_B_CANONICAL_PATH;
    *detail = NULL;
    if (!strncasecmp(url, "unix:", 5) && (p = strchr(url, '|')) != NULL) {
        url = p + 1;
    }
    p = strstr(url, "://");
    if (!p) {
        return MIGATE_R_ENCODING;
    }
    p += 3;
    p += strcspn(p, "/?");
    why = migate_sent_target_check(p, strlen(p));
    if (why != MIGATE_PASS) {
        return why;
    }
    split_target(*p == '/' ? p : apr_pstrcat(r->pool, "/", p, NULL),
                 r->method, &rq);
    why = migate_policy_check_sent(sc->policy, &rq, r->pool, &v);
    if (why == MIGATE_PASS && whole) {
        why = migate_policy_decide(sc->policy, &rq, r->pool, &v);
    }
    *rule = v.rule;
    *detail = v.detail;
    return why;
}

/*
 * A subrequest that mod_proxy runs to MI (mod_include's "include
 * virtual", say) is a request of its own that no client sent: judged by
 * the whole policy on the URL it sends, and refused without touching
 * the verdict of the request that made it (that one is judged on its
 * own).  Lookups that never run (mod_dir, mod_negotiation, mod_rewrite's
 * -U) reach no proxy handler and are not judged.
 */
static int judge_subrequest(request_rec *r, const migate_srv_conf *sc,
                            const char *url)
{
    migate_reason_e why;
    const char *detail;
    int rule;

    if (migate_cfg_backend_tls(sc) == MIGATE_TLS_STRICT
        && !migate_url_is_tls(url)) {
        why = MIGATE_R_BACKEND_PLAIN;
    }
    else {
        why = judge_target(r, sc, url, 1, &rule, &detail);
    }
    if (why == MIGATE_PASS) {
        return OK;
    }
    ap_log_rerror(APLOG_MARK, APLOG_WARNING, 0, r,
                  "MIGATE0054: subrequest to %s refused: %s",
                  migate_log_escape(r->pool, url, strlen(url), 512),
                  migate_reason_name(why));
    return refusal_status(sc, why);
}

int migate_judge_route(request_rec *r, const char *url, int whole)
{
    migate_srv_conf *sc = migate_srv(r->server);
    migate_reason_e why;
    const char *p, *detail;
    int tls_mode, status, rule;

    /* Judged once per request and URL: fixups and the scheme hook both
     * look at a ProxyPass request. */
    p = apr_table_get(r->notes, MIGATE_NOTE_ROUTE_JUDGED);
    if (p && !strcmp(p, url)) {
        return OK;
    }
    apr_table_setn(r->notes, MIGATE_NOTE_ROUTE_JUDGED, url);
    if (r->main) {
        return judge_subrequest(r, sc, url);
    }
    if (r->prev) {
        status = judge_redirect(r, sc);
        if (status != OK) {
            return status;
        }
    }
    tls_mode = migate_cfg_backend_tls(sc);
    if (tls_mode != MIGATE_TLS_OFF && !migate_url_is_tls(url)) {
        if (tls_mode == MIGATE_TLS_AUDIT) {
            migate_outcome_refuse(r, MIGATE_R_BACKEND_PLAIN, 1,
                                  MIGATE_B_BACKEND_PLAIN, url);
        }
        else {
            return refuse(r, sc, MIGATE_R_BACKEND_PLAIN,
                          MIGATE_B_BACKEND_PLAIN, url);
        }
    }
    why = judge_target(r, sc, url, whole, &rule, &detail);
    if (why != MIGATE_PASS) {
        return refuse(r, sc, why, rule,
                      apr_pstrcat(r->pool, "backend target ", url,
                                  mapping_made(r, url),
                                  detail ? "; " : "", detail, NULL));
    }
    return OK;
}

/*
 * After mod_proxy's fixup r->filename holds the exact URL it will send
 * to MI ("proxy:https://mi:8253/path?query"), whatever mapped it:
 * ProxyPass with or without nocanon, ProxyPassMatch, mapping=,
 * RewriteRule [P], MergeSlashes.  The first look at what MI will
 * receive, before mod_proxy's handler reads a byte of the body; the
 * balancer's member and SetHandler "proxy:..." are only known in the
 * handler, where migate_route.c looks again at the URL of the
 * connection.
 */
int migate_fixups(request_rec *r)
{
    migate_srv_conf *sc = migate_srv(r->server);
    int status;

    /* A subrequest is judged when it runs (migate_route.c), not when
     * it is only looked up. */
    if (!migate_cfg_enabled(sc) || !r->proxyreq || !r->filename || r->main
        || strncmp(r->filename, "proxy:", 6) != 0) {
        return DECLINED;
    }
    status = migate_judge_route(r, r->filename + 6, 0);
    return status == OK ? DECLINED : status;
}
