/*
 * migate_owned.c - the headers the edge owns toward MI, applied to a
 * gated request: header values checked, owned headers removed (or, from
 * a trusted peer, kept when well-formed), Connection and Trailer read as
 * mod_proxy reads them, trailers cleaned, the traceparent of
 * MiGateTraceContext.  The table and the checks of values are the pure
 * core's (migate_hdr.c, migate_trace.c).
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

/* The owned headers of a request (migate_owned and the id header): what
 * goes, and the first a trusted peer may not send as it stands. */
typedef struct {
    const char *id_header;
    int trusted;
    apr_array_header_t *drop;   /* names to remove                      */
    const char *bad;            /* NULL, or the first refused name      */
} owned_scan;

/* apr_table_do callback: judge one inbound header. */
static int scan_owned(void *ctx, const char *key, const char *val)
{
    owned_scan *os = ctx;
    size_t klen = strlen(key);
    const migate_owned_hdr *o = migate_owned_lookup(key, klen);
    int (*valid)(const char *, size_t) = NULL;

    if (migate_hdr_name_eq(key, klen, os->id_header, strlen(os->id_header),
                           0)) {
        valid = migate_uuid_valid;
    }
    else if (o == NULL) {
        return 1;
    }
    else if (o->flags & MIGATE_OWN_F_TRUSTED) {
        valid = o->valid;
    }
    /* A trusted proxy's value is kept under the name proxies write; an
     * '_' spelling, which none writes, goes like everything no proxy in
     * front of the edge needs to tell MI. */
    if (os->trusted && valid && !strchr(key, '_')) {
        if (!os->bad && !valid(val, strlen(val))) {
            os->bad = key;
        }
        return 1;
    }
    *(const char **)apr_array_push(os->drop) = key;
    return 1;
}

/* Remove from t the owned headers that go; returns the first a trusted
 * peer may not send as it stands, or NULL. */
static const char *drop_owned(request_rec *r, const migate_srv_conf *sc,
                              apr_table_t *t, int trusted)
{
    owned_scan os;
    int i;

    os.id_header = migate_cfg_id_header(sc);
    os.trusted = trusted;
    os.drop = apr_array_make(r->pool, 4, sizeof(const char *));
    os.bad = NULL;
    apr_table_do(scan_owned, &os, t, NULL);
    for (i = 0; i < os.drop->nelts; i++) {
        apr_table_unset(t, APR_ARRAY_IDX(os.drop, i, const char *));
    }
    return os.bad;
}

/* Make the owned headers the edge's.  From a peer outside
 * MiGateTrustedProxy every one goes, so that MI sees only what the edge
 * and mod_proxy add.  From a trusted peer those a proxy writes stay when
 * their values are what a proxy writes (anything else would reach MI's
 * access log, URLs or traces as it stands): returns the name of the
 * first that is not, else NULL. */
const char *migate_own_inbound(request_rec *r, const migate_srv_conf *sc,
                               int trusted)
{
    const char *bad = drop_owned(r, sc, r->headers_in, trusted);

    /* tracestate belongs to the traceparent beside it, or to none. */
    if (!apr_table_get(r->headers_in,
                       migate_owned[MIGATE_OWN_TRACEPARENT].name)) {
        apr_table_unset(r->headers_in,
                        migate_owned[MIGATE_OWN_TRACESTATE].name);
    }
    return bad;
}

/* A header that names other headers (Connection, Trailer): the first
 * owned name it holds, over all its lines. */
typedef struct {
    apr_pool_t *pool;
    const char *id_header;
    const char *named;
} names_scan;

static int scan_names(void *ctx, const char *key, const char *val)
{
    names_scan *ns = ctx;
    const char *tok;
    size_t tok_len;

    (void)key;
    if (migate_names_owned(val, strlen(val), ns->id_header, &tok,
                           &tok_len)) {
        ns->named = apr_pstrmemdup(ns->pool, tok, tok_len);
        return 0;
    }
    return 1;
}

/* NULL, or "Connection names X" when Connection or Trailer names a
 * header the gate owns.  mod_proxy drops what Connection names
 * (ap_proxy_clear_connection, over every Connection line): MI would get
 * the request without the edge's id or forwarded headers.  Trailer
 * announces fields that would come after the body, past every check
 * made here. */
static const char *names_owned(request_rec *r, const migate_srv_conf *sc)
{
    static const char *const lists[] = { "Connection", "Trailer" };
    names_scan ns;
    size_t i;

    ns.pool = r->pool;
    ns.id_header = migate_cfg_id_header(sc);
    for (i = 0; i < sizeof(lists) / sizeof(lists[0]); i++) {
        ns.named = NULL;
        apr_table_do(scan_names, &ns, r->headers_in, lists[i], NULL);
        if (ns.named) {
            return apr_psprintf(r->pool, "%s names %.64s", lists[i],
                                ns.named);
        }
    }
    return NULL;
}

migate_reason_e migate_check_headers(request_rec *r,
                                     const migate_srv_conf *sc,
                                     const char **detail)
{
    const char *bad = NULL;
    const char *host;

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
    if ((bad = names_owned(r, sc)) != NULL) {
        *detail = bad;
        return MIGATE_R_HEADER;
    }
    if ((bad = migate_own_inbound(r, sc, migate_cfg_trusted(
                               sc, r->connection->client_ip))) != NULL) {
        *detail = bad;
        return MIGATE_R_HEADER;
    }
    return MIGATE_PASS;
}

/* MiGateTraceContext On: MI's traces carry the request id.  A trusted
 * peer's traceparent, kept by migate_own_inbound only when well-formed, stays
 * (the request is part of its trace); otherwise the edge starts the
 * trace: "00-<the id's 32 hex digits>-<16 random hex digits>-01". */
void migate_own_traceparent(request_rec *r, const migate_srv_conf *sc,
                            const char *id)
{
    const char *name = migate_owned[MIGATE_OWN_TRACEPARENT].name;
    char tp[MIGATE_TRACEPARENT_LEN + 1];
    char fresh[MIGATE_UUID_LEN + 1];
    unsigned char rnd[8];

    if (!migate_cfg_trace_context(sc) || apr_table_get(r->headers_in, name)) {
        return;
    }
    /* MiGateRequestId Off: a trace id of its own. */
    if (!id && migate_uuid_make(4, fresh) == 0) {
        id = fresh;
    }
    if (!id || migate_uuid_random(rnd, sizeof(rnd)) != 0
        || migate_traceparent_make(id, rnd, tp) != 0) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r,
                      "MIGATE0016: no traceparent: the kernel random "
                      "generator failed");
        return;
    }
    apr_table_setn(r->headers_in, name, apr_pstrdup(r->pool, tp));
}

/* An input filter on every gated request: trailers come after the body,
 * after every check made on the headers, and mod_proxy_http2 forwards
 * them to MI (r->trailers_in).  Owned headers never come that way: once
 * the body is read, they are removed from the trailers.  With
 * MergeTrailers On, HTTP_IN (and mod_http2's request filter) also
 * replace r->headers_in by the headers overlaid with the trailers, when
 * they read the last chunk: a module that reads the body before
 * mod_proxy builds the request to MI (mod_security does) would have
 * mod_proxy send them as headers.  That merge is made again, from the
 * headers as they were and the trailers without owned names. */
apr_status_t migate_trailers_filter(ap_filter_t *f, apr_bucket_brigade *bb,
                                    ap_input_mode_t mode,
                                    apr_read_type_e block,
                                    apr_off_t readbytes)
{
    request_rec *r = f->r;
    apr_table_t *headers = r ? r->headers_in : NULL;
    apr_status_t rv = ap_get_brigade(f->next, bb, mode, block, readbytes);
    apr_bucket *b;

    if (rv != APR_SUCCESS || r == NULL) {
        return rv;
    }
    for (b = APR_BRIGADE_FIRST(bb); b != APR_BRIGADE_SENTINEL(bb);
         b = APR_BUCKET_NEXT(b)) {
        if (APR_BUCKET_IS_EOS(b)) {
            if (r->trailers_in) {
                drop_owned(r, migate_srv(r->server), r->trailers_in, 0);
                if (r->headers_in != headers && headers) {
                    r->headers_in = apr_table_overlay(r->pool, headers,
                                                      r->trailers_in);
                }
            }
            ap_remove_input_filter(f);
            break;
        }
    }
    return rv;
}

