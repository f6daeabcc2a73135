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
    migate_reason_e reported;   /* reason passed in report mode         */
    int logged;                 /* the one "blocked" line is written    */
} migate_req_state;

/* The longest raw path we quote in a log line. */
#define MIGATE_LOG_PATH_MAX 512

static const request_rec *initial(const request_rec *r)
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
    const request_rec *r0 = initial(r);
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

static const char *assign_id(request_rec *r, const migate_srv_conf *sc)
{
    const char *hdr = migate_cfg_id_header(sc);
    const char *in = apr_table_get(r->headers_in, hdr);
    char *id = NULL;

    /* An inbound id is kept only from a trusted peer (the TCP peer, not
     * what any header claims) and only when it is a well-formed UUID. */
    if (in && migate_cfg_trusted(sc, r->connection->client_ip)
        && migate_uuid_valid(in, strlen(in))) {
        char *c;
        id = apr_pstrdup(r->pool, in);
        for (c = id; *c; c++) {
            *c = apr_tolower(*c);
        }
    }
    if (!id) {
        id = apr_palloc(r->pool, MIGATE_UUID_LEN + 1);
        if (migate_uuid_make(migate_cfg_id_version(sc), id) != 0) {
            ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r,
                          "MIGATE0011: the kernel random generator failed; "
                          "no request id");
            return NULL;
        }
    }
    /* The gate owns the header toward MI: whatever came in is replaced. */
    apr_table_setn(r->headers_in, hdr, id);
    return id;
}

int migate_generate_log_id(const conn_rec *c, const request_rec *r,
                           const char **id)
{
    const char *mine;

    (void)c;
    if (!r) {
        return DECLINED;
    }
    mine = migate_request_id(r);
    if (!mine) {
        return DECLINED;
    }
    *id = mine;
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

typedef struct {
    request_rec *r;
    const char *bad;            /* name of the first bad header         */
} hdr_scan;

static int scan_header(void *ctx, const char *key, const char *val)
{
    hdr_scan *hs = ctx;

    if (!migate_hdr_value_ok(val, strlen(val))) {
        hs->bad = key;
        return 0;
    }
    return 1;
}

/* Headers MI logs or builds URLs from; the edge vouches for them. */
static const char *const forwarded[] = {
    "X-Forwarded-For", "X-Forwarded-Host", "X-Forwarded-Server",
    "X-Forwarded-Proto", "Forwarded", "X-Real-IP", NULL
};

static migate_reason_e check_headers(request_rec *r,
                                     const migate_srv_conf *sc,
                                     const char **detail)
{
    hdr_scan hs = { r, NULL };
    const char *host;
    int trusted;
    int i;

    apr_table_do(scan_header, &hs, r->headers_in, NULL);
    if (hs.bad) {
        *detail = apr_pstrcat(r->pool, "header ", hs.bad, NULL);
        return MIGATE_R_CONTROL_CHAR;
    }
    host = apr_table_get(r->headers_in, "Host");
    if (host && !migate_host_ok(host, strlen(host))) {
        *detail = "Host";
        return MIGATE_R_HEADER;
    }
    trusted = migate_cfg_trusted(sc, r->connection->client_ip);
    if (!trusted) {
        for (i = 0; forwarded[i]; i++) {
            apr_table_unset(r->headers_in, forwarded[i]);
        }
    }
    else {
        /* A trusted proxy's list is kept only when every element is an
         * address: anything else would be written into MI's access log
         * as it stands. */
        const char *xff = apr_table_get(r->headers_in, "X-Forwarded-For");
        if (xff && !migate_xff_ok(xff, strlen(xff))) {
            *detail = "X-Forwarded-For";
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
    const char *resp;

    if (!migate_cfg_enabled(sc) || r->main || r->prev) {
        return DECLINED;
    }
    st = state(r, 1);

    /* The id comes first so that a refused request has one too. */
    if (migate_cfg_request_id(sc)) {
        st->id = assign_id(r, sc);
        if (st->id) {
            r->log_id = st->id;
            apr_table_setn(r->subprocess_env, "MIGATE_REQUEST_ID", st->id);
            resp = migate_cfg_resp_header(sc);
            if (resp) {
                apr_table_setn(r->err_headers_out, resp, st->id);
            }
        }
    }

    why = check_headers(r, sc, &detail);
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
        st->reported = why;
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

    if (!migate_cfg_enabled(sc) || r->main || r->prev
        || state(r, 0) != NULL || r->status < 400 || r->status >= 500) {
        return DECLINED;
    }
    st = state(r, 1);
    if (migate_cfg_request_id(sc)) {
        char *id = apr_palloc(r->pool, MIGATE_UUID_LEN + 1);
        if (migate_uuid_make(migate_cfg_id_version(sc), id) == 0) {
            st->id = id;
            r->log_id = id;
        }
    }
    if (!r->method || !r->the_request) {
        why = MIGATE_R_ENCODING;
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
