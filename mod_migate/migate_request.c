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
#include "apr_strings.h"
#include "apr_lib.h"

#include "migate_glue.h"
#include "migate_uuid.h"

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
    migate_verdict_rec *st;

    (void)c;
    if (!r) {
        return DECLINED;
    }
    st = migate_verdict_find(r);
    if (st && st->id) {
        *id = st->id;
        return OK;
    }
    sc = r->server ? migate_srv(r->server) : NULL;
    if (!sc || !migate_cfg_enabled(sc) || !migate_cfg_request_id(sc)
        || (st && st->seen)) {
        return DECLINED;
    }
    st = migate_verdict(r);
    st->id = new_id(r, sc);
    if (!st->id) {
        return DECLINED;
    }
    *id = st->id;
    return OK;
}

/* ------------------------------------------------------------------ */
/* Headers                                                            */

/* apr_table_do callback: stops at the first bad value, its name in
 * *(const char **)ctx. */
static int scan_header(void *ctx, const char *key, const char *val)
{
    if (!migate_hdr_value_ok(val, strlen(val))) {
        *(const char **)ctx = key;
        return 0;
    }
    return 1;
}

/* Headers MI logs or builds URLs from; the edge vouches for them. */
static const char *const forwarded[] = {
    "X-Forwarded-For", "X-Forwarded-Host", "X-Forwarded-Server",
    "X-Forwarded-Proto", "Forwarded", "X-Real-IP", NULL
};

/* What a trusted proxy may tell MI about the original request: each
 * forwarded header must be what a proxy writes, or the request is
 * refused (MI logs and builds URLs from these as they stand).  Returns
 * the name of the first bad header, or NULL. */
static const char *trusted_forwarded_bad(request_rec *r)
{
    static const struct {
        const char *name;
        int (*ok)(const char *, size_t);
    } checks[] = {
        { "X-Forwarded-For", migate_xff_ok },
        { "X-Real-IP", migate_real_ip_ok },
        { "X-Forwarded-Host", migate_host_list_ok },
        { "X-Forwarded-Server", migate_host_list_ok },
        { "X-Forwarded-Proto", migate_proto_list_ok },
        { "Forwarded", migate_forwarded_ok },
    };
    size_t i;

    for (i = 0; i < sizeof(checks) / sizeof(checks[0]); i++) {
        const char *v = apr_table_get(r->headers_in, checks[i].name);
        if (v && !checks[i].ok(v, strlen(v))) {
            return checks[i].name;
        }
    }
    return NULL;
}

/* From a peer outside MiGateTrustedProxy the forwarded headers are
 * removed, so that MI sees only what mod_proxy adds.  Returns 1 when the
 * peer is trusted (and nothing was removed). */
static int strip_forwarded(request_rec *r, const migate_srv_conf *sc)
{
    int i;

    if (migate_cfg_trusted(sc, r->connection->client_ip)) {
        return 1;
    }
    for (i = 0; forwarded[i]; i++) {
        apr_table_unset(r->headers_in, forwarded[i]);
    }
    return 0;
}

static migate_reason_e check_headers(request_rec *r,
                                     const migate_srv_conf *sc,
                                     const char **detail)
{
    const char *bad = NULL;
    const char *host, *conn;
    int trusted;

    apr_table_do(scan_header, &bad, r->headers_in, NULL);
    if (bad) {
        *detail = apr_pstrcat(r->pool, "header ", bad, NULL);
        return MIGATE_R_CONTROL_CHAR;
    }
    host = apr_table_get(r->headers_in, "Host");
    if (host && !migate_host_ok(host, strlen(host))) {
        *detail = "Host";
        return MIGATE_R_HEADER;
    }
    /* mod_proxy drops what Connection names: MI would get the request
     * without the id or the forwarded headers the edge vouches for. */
    conn = apr_table_get(r->headers_in, "Connection");
    if (conn && migate_connection_names_owned(conn, strlen(conn),
                                              migate_cfg_id_header(sc))) {
        *detail = "Connection names a header the gate owns";
        return MIGATE_R_HEADER;
    }
    trusted = strip_forwarded(r, sc);
    if (trusted) {
        /* A trusted proxy's values are kept only when they are what a
         * proxy writes (X-Forwarded-For: addresses only): anything else
         * would be written into MI's access log as it stands. */
        bad = trusted_forwarded_bad(r);
        if (bad) {
            *detail = bad;
            return MIGATE_R_HEADER;
        }
    }
    return MIGATE_PASS;
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
    migate_verdict_refuse(r, reason, 0, rule, detail);
    return refusal_status(sc, reason);
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
    migate_verdict_rec *st;
    migate_request_t rq;
    migate_verdict_t v;
    migate_reason_e why;
    const char *detail = NULL;
    const char *id;

    if (!migate_cfg_enabled(sc) || r->main) {
        return DECLINED;
    }
    st = migate_verdict(r);
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
            strip_forwarded(r, sc);
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
    why = check_headers(r, sc, &detail);
    own_id_header(r, sc, st->id ? st->id : trusted_inbound_id(r, sc));
    if (why != MIGATE_PASS) {
        return refuse(r, sc, why, MIGATE_B_HEADER, detail);
    }

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
        migate_verdict_refuse(r, why, 1, v.rule, v.detail);
        return DECLINED;
    }
    return refuse(r, sc, why, v.rule, v.detail);
}

/*
 * Close the request's verdict before mod_log_config writes the access
 * line: its one "blocked" line and its one count.  httpd's core refuses
 * some requests before post_read_request runs (a malformed request
 * line, 414, 431, a control character in a header, a bad Host): those
 * are refusals in a gated server too, with an id and reason "protocol"
 * and httpd's status, or "method" for the methods the gate never passes.
 */
int migate_log_transaction(request_rec *r)
{
    migate_srv_conf *sc = migate_srv(r->server);
    migate_verdict_rec *st;
    const char *notes;

    if (!migate_cfg_enabled(sc) || r->main || r->prev) {
        return DECLINED;
    }
    st = migate_verdict(r);
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
        notes = apr_table_get(r->notes, "error-notes");
        if (r->method && migate_method_forbidden(r->method,
                                                 strlen(r->method))) {
            migate_verdict_refuse(r, MIGATE_R_METHOD, 0, MIGATE_B_METHOD,
                                  apr_psprintf(r->pool, "status %d",
                                               r->status));
        }
        else {
            migate_verdict_refuse(r, MIGATE_R_PROTOCOL, 0,
                                  MIGATE_B_PROTOCOL,
                                  apr_psprintf(r->pool, "status %d%s%s",
                                               r->status,
                                               notes ? ": " : "",
                                               notes ? notes : ""));
        }
    }
    migate_verdict_close(r);
    return DECLINED;
}

/*
 * After mod_proxy's fixup r->filename holds the exact URL it will send
 * to MI ("proxy:https://mi:8253/path?query"), whatever mapped it:
 * ProxyPass with or without nocanon, ProxyPassMatch, mapping=,
 * RewriteRule [P], MergeSlashes.  The last place to make sure MI acts on
 * the path the gate decided on: the scheme must be TLS, the path
 * canonical as it will be sent, and the always-enforced checks must
 * pass on it.
 */
int migate_fixups(request_rec *r)
{
    migate_srv_conf *sc = migate_srv(r->server);
    migate_request_t rq;
    migate_verdict_t v;
    migate_reason_e why;
    const char *url, *p;
    int tls_mode;

    if (!migate_cfg_enabled(sc) || !r->proxyreq || !r->filename
        || strncmp(r->filename, "proxy:", 6) != 0) {
        return DECLINED;
    }
    url = r->filename + 6;
    tls_mode = migate_cfg_backend_tls(sc);
    if (tls_mode != MIGATE_TLS_OFF && !migate_url_is_tls(url)) {
        if (tls_mode == MIGATE_TLS_AUDIT) {
            migate_verdict_refuse(r, MIGATE_R_BACKEND_PLAIN, 1,
                                  MIGATE_B_BACKEND_PLAIN, url);
        }
        else {
            return refuse(r, sc, MIGATE_R_BACKEND_PLAIN,
                          MIGATE_B_BACKEND_PLAIN, url);
        }
    }
    if (!strncasecmp(url, "unix:", 5) && (p = strchr(url, '|')) != NULL) {
        url = p + 1;
    }
    p = strstr(url, "://");
    if (!p) {
        return refuse(r, sc, MIGATE_R_ENCODING, MIGATE_B_CANONICAL_PATH,
                      apr_pstrcat(r->pool, "backend target ", url, NULL));
    }
    p += 3;
    p += strcspn(p, "/?");
    split_target(*p == '/' ? p : apr_pstrcat(r->pool, "/", p, NULL),
                 r->method, &rq);
    why = migate_policy_check_sent(sc->policy, &rq, r->pool, &v);
    if (why != MIGATE_PASS) {
        return refuse(r, sc, why, v.rule,
                      apr_pstrcat(r->pool, "backend target ", url,
                                  v.detail ? "; " : "", v.detail, NULL));
    }
    return DECLINED;
}
