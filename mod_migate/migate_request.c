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

/* Per-request state, kept in r->request_config of the initial request. */
typedef struct {
    const char *id;             /* the request id, or NULL              */
    int logged;                 /* the one "blocked" line is written    */
    int seen;                   /* post_read_request ran for it         */
} migate_req_state;

/* The longest raw path we quote in a log line. */
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

static migate_req_state *state(const request_rec *r, int create)
{
    const request_rec *r0 = migate_initial_request(r);
    migate_req_state *st = ap_get_module_config(r0->request_config,
                                                &migate_module);
    if (!st && create) {
        st = apr_pcalloc(r0->pool, sizeof(*st));
        ap_set_module_config(r0->request_config, &migate_module, st);
    }
    return st;
}

const char *migate_request_id(const request_rec *r)
{
    migate_req_state *st = state(r, 0);
    return st ? st->id : NULL;
}

void migate_log_block(request_rec *r, migate_reason_e reason, int reported,
                      const char *detail)
{
    migate_req_state *st = state(r, 1);
    const char *raw = r->unparsed_uri ? r->unparsed_uri : "";
    const char *method = r->method ? r->method : "";

    if (st->logged) {
        return;
    }
    st->logged = 1;
    ap_log_rerror(APLOG_MARK, APLOG_WARNING, 0, r,
                  "MIGATE0010: blocked reason=%s id=%s method=%s "
                  "path=\"%s\"%s%s%s%s",
                  migate_reason_name(reason),
                  st->id ? st->id : "-",
                  migate_log_escape(r->pool, method, strlen(method), 32),
                  migate_log_escape(r->pool, raw, strlen(raw),
                                    MIGATE_LOG_PATH_MAX),
                  detail ? " detail=\"" : "",
                  detail ? migate_log_escape(r->pool, detail, strlen(detail),
                                             MIGATE_LOG_PATH_MAX) : "",
                  detail ? "\"" : "",
                  reported ? " action=report" : "");
    migate_count(r, reason, reported);
}

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
    migate_req_state *st;

    (void)c;
    if (!r) {
        return DECLINED;
    }
    st = state(r, 0);
    if (st && st->id) {
        *id = st->id;
        return OK;
    }
    sc = r->server ? migate_srv(r->server) : NULL;
    if (!sc || !migate_cfg_enabled(sc) || !migate_cfg_request_id(sc)
        || (st && st->seen)) {
        return DECLINED;
    }
    st = state(r, 1);
    st->id = new_id(r, sc);
    if (!st->id) {
        return DECLINED;
    }
    *id = st->id;
    return OK;
}

void migate_child_init(apr_pool_t *p, server_rec *s)
{
    (void)p;
    (void)s;
    migate_uuid_child_init();
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
    const char *host;
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

static int refuse(request_rec *r, const migate_srv_conf *sc,
                  migate_reason_e reason, const char *detail)
{
    migate_log_block(r, reason, 0, detail);
    if (migate_reason_is_bad_request(reason)) {
        return HTTP_BAD_REQUEST;
    }
    if (reason == MIGATE_R_BACKEND_PLAIN || reason == MIGATE_R_BACKEND_TLS) {
        return HTTP_BAD_GATEWAY;
    }
    return migate_cfg_deny_status(sc);
}

/* Split the raw request target into path and query.  An absolute-form
 * target ("GET https://host/path") is reduced to its path. */
static void raw_target(const request_rec *r, migate_request_t *rq)
{
    const char *t = r->unparsed_uri ? r->unparsed_uri : "";
    const char *q;

    if (*t != '/' && strstr(t, "://")) {
        const char *p = strstr(t, "://") + 3;
        p += strcspn(p, "/?#");
        t = *p ? p : "/";
    }
    rq->method = r->method;
    rq->method_len = strlen(r->method);
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
    migate_req_state *st;
    migate_request_t rq;
    migate_verdict_t v;
    migate_reason_e why;
    const char *detail = NULL;
    const char *id;

    if (!migate_cfg_enabled(sc) || r->main) {
        return DECLINED;
    }
    st = state(r, 1);
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
        return refuse(r, sc, why, detail);
    }

    raw_target(r, &rq);
    why = migate_policy_decide(sc->policy, &rq, r->pool, &v);
    if (why == MIGATE_PASS) {
        migate_count(r, MIGATE_PASS, 0);
        return DECLINED;
    }
    if (v.reportable && migate_cfg_report(sc)) {
        migate_log_block(r, why, 1, NULL);
        return DECLINED;
    }
    return refuse(r, sc, why, NULL);
}

/* httpd's core refuses some malformed requests (a control character in
 * a header or the request line, a bad Host) before post_read_request
 * runs.  Those are refusals in a gated server too: give them their id
 * and their one "blocked" line before mod_log_config writes the access
 * line. */
int migate_log_transaction(request_rec *r)
{
    migate_srv_conf *sc = migate_srv(r->server);
    migate_req_state *st;
    migate_reason_e why;
    const char *notes;

    /* 408: the client sent no complete request in time (an idle
     * connection, a slow client): nothing was refused. */
    if (!migate_cfg_enabled(sc) || r->main || r->prev
        || r->status < 400 || r->status >= 500
        || r->status == HTTP_REQUEST_TIME_OUT) {
        return DECLINED;
    }
    st = state(r, 1);
    if (st->seen) {
        return DECLINED;
    }
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
    if (!r->method || !r->the_request) {
        why = MIGATE_R_ENCODING;
    }
    else if (migate_method_forbidden(r->method, strlen(r->method))) {
        why = MIGATE_R_METHOD;
    }
    else if (!migate_hdr_value_ok(r->the_request, strlen(r->the_request))) {
        why = MIGATE_R_CONTROL_CHAR;
    }
    else {
        why = MIGATE_R_HEADER;
    }
    notes = apr_table_get(r->notes, "error-notes");
    migate_log_block(r, why, 0, apr_psprintf(r->pool, "refused by httpd "
                                             "(status %d)%s%s", r->status,
                                             notes ? ": " : "",
                                             notes ? notes : ""));
    return DECLINED;
}

/* After mod_proxy's fixup r->filename holds the exact URL it will send
 * to MI ("proxy:https://mi:8253/path?query"): the last place to check it. */
int migate_fixups(request_rec *r)
{
    migate_srv_conf *sc = migate_srv(r->server);
    migate_request_t rq;
    migate_reason_e why;
    const char *url, *p, *q;

    if (!migate_cfg_enabled(sc) || !r->proxyreq || !r->filename
        || strncmp(r->filename, "proxy:", 6) != 0) {
        return DECLINED;
    }
    url = r->filename + 6;
    if (!strncasecmp(url, "http://", 7)
        && migate_cfg_backend_tls(sc) != MIGATE_TLS_OFF) {
        if (migate_cfg_backend_tls(sc) == MIGATE_TLS_AUDIT) {
            migate_log_block(r, MIGATE_R_BACKEND_PLAIN, 1, url);
        }
        else {
            return refuse(r, sc, MIGATE_R_BACKEND_PLAIN, url);
        }
    }
    p = strstr(url, "://");
    if (!p) {
        return DECLINED;
    }
    p += 3;
    p += strcspn(p, "/?");
    if (*p != '/') {
        p = "/";
    }
    memset(&rq, 0, sizeof(rq));
    rq.method = r->method;
    rq.method_len = strlen(r->method);
    rq.path = p;
    q = strchr(p, '?');
    rq.path_len = q ? (size_t)(q - p) : strlen(p);
    rq.query = q ? q + 1 : NULL;
    rq.query_len = q ? strlen(q + 1) : 0;
    why = migate_policy_check_backend(sc->policy, &rq, r->pool);
    if (why != MIGATE_PASS) {
        return refuse(r, sc, why, apr_pstrcat(r->pool, "backend target ",
                                              url, NULL));
    }
    return DECLINED;
}
