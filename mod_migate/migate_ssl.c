/*
 * migate_ssl.c - the TLS policy toward MI, through mod_ssl's optional
 * hooks.
 *
 * Where each part runs:
 *   init_server (is_proxy)  force protocol and suites on the proxy
 *                           SSL_CTX of every strict gated server, and
 *                           put our check in front of mod_ssl's verify
 *                           callback;
 *   pre_handshake           on each new backend connection of a gated
 *                           request: under strict, take mod_ssl's name
 *                           check over (the gate checks the configured
 *                           backend host, IP SANs included) and watch
 *                           the handshake, so that a failure mod_ssl's
 *                           own checks cause is named;
 *   verify callback         judge the certificate while the handshake
 *                           is under way, so that a refusal is the same
 *                           whatever SSLProxyVerify says;
 *   proxy_post_handshake    judge the finished session (protocol, suite,
 *                           and the certificate again: a resumed session
 *                           runs no verify callback), and mark the
 *                           connection judged under strict for its host
 *                           (migate_route.c lets no strict request onto
 *                           a pooled connection without that mark); audit
 *                           mode lives here only;
 *   proxy request_status    a backend TLS failure is a 502 with its one
 *                           backend-tls line.
 * The request a backend connection serves is the one whose proxy handler
 * runs on the thread (migate_route.c).  The verdicts come from the pure
 * core (migate_tls.c).
 */
#include <string.h>

#include "httpd.h"
#include "http_config.h"
#include "http_core.h"
#include "http_log.h"
#include "http_main.h"
#include "http_request.h"
#include "apr_strings.h"
#include "apr_network_io.h"
#include "apr_optional_hooks.h"

#include "mod_ssl.h"
#include "mod_proxy.h"

#include "migate_glue.h"
#include "migate_ssl.h"
#include "migate_tls.h"

#include <openssl/err.h>
#include <openssl/x509v3.h>

/* Set on a backend connection whose session the gate refused. */
#define NOTE_REFUSED "migate-backend-tls-refused"
/* r->notes of the request a backend handshake serves: what mod_ssl's
 * own checks would object to in the finished handshake, or why its
 * verification failed; the cause a 500 of mod_proxy's is given.  On the
 * request, not on the backend connection: mod_proxy frees a failed
 * connection before its request_status hook runs. */
#define NOTE_CAUSE "migate-backend-tls-cause"
/* mod_proxy's note of the TLS host name (SNI and mod_ssl's name check),
 * proxy_connection_create in proxy_util.c. */
#define NOTE_PROXY_HOST "proxy-request-hostname"

/* mod_ssl's callbacks of a context we wrapped, kept with the context so
 * that ours can run them first. */
typedef int (*verify_fn)(int, X509_STORE_CTX *);
typedef void (*info_fn)(const SSL *, int, int);
typedef struct {
    verify_fn inner;
    info_fn inner_info;
} migate_verify_wrap;

static int wrap_idx = -1;

/* The request backend connection c serves, or NULL. */
static request_rec *backend_request(const conn_rec *c)
{
    (void)c;
    return migate_route_request();
}

/* The server whose policy applies to backend connection c. */
static server_rec *backend_server(const conn_rec *c)
{
    request_rec *r = backend_request(c);
    return r ? r->server : c->base_server;
}

/* The name MI's certificate must carry: the host of the URL mod_proxy
 * connects to for the request (migate_route.c), the backend the operator
 * configured, never the client's Host.  A connection that serves no
 * request (a health-check probe of mod_proxy_hcheck) has none; it is
 * judged on everything else, so that probes do not mark every member
 * down. */
static const char *backend_host(const conn_rec *c)
{
    request_rec *r = backend_request(c);
    const char *host;

    if (r == NULL) {
        return migate_tls_host_unchecked;
    }
    host = migate_route_host(r);
    return host ? host : apr_table_get(c->notes, NOTE_PROXY_HOST);
}

/* Record the refusal of a backend session, once per connection: in the
 * outcome of the request it serves, or as a line of its own. */
static void refuse_session(conn_rec *c, const char *detail, int reported)
{
    request_rec *r = backend_request(c);

    if (apr_table_get(c->notes, NOTE_REFUSED)) {
        return;
    }
    apr_table_setn(c->notes, NOTE_REFUSED, "1");
    detail = apr_pstrdup(r ? r->pool : c->pool, detail);
    if (r) {
        migate_outcome_refuse(r, MIGATE_R_BACKEND_TLS, reported,
                              MIGATE_B_BACKEND_TLS, detail);
    }
    else {
        migate_log_conn_refusal(c, reported, detail);
    }
}

/* ------------------------------------------------------------------ */
/* During the handshake                                               */

/*
 * In front of mod_ssl's verify callback on a strict context.  OpenSSL's
 * own verdict on the chain (ok) counts whatever SSLProxyVerify says, and
 * the leaf is judged once the chain is through, before mod_ssl compares
 * host names: a refused certificate ends the handshake here, with our
 * line, in every configuration.  The context runs with SSL_VERIFY_PEER,
 * so returning 0 does end it.
 */
static int migate_verify(int ok, X509_STORE_CTX *store)
{
    SSL *ssl = X509_STORE_CTX_get_ex_data(
                   store, SSL_get_ex_data_X509_STORE_CTX_idx());
    SSL_CTX *ctx = ssl ? SSL_get_SSL_CTX(ssl) : NULL;
    migate_verify_wrap *wrap = ctx ? SSL_CTX_get_ex_data(ctx, wrap_idx)
                                   : NULL;
    conn_rec *c = ssl ? SSL_get_app_data(ssl) : NULL;
    int inner_ok = ok;
    long err;
    const char *host, *why;
    char buf[256];

    if (wrap && wrap->inner) {
        inner_ok = wrap->inner(ok, store);
    }
    if (c == NULL) {
        return ok && inner_ok;
    }
    if (ok && inner_ok && X509_STORE_CTX_get_error_depth(store) > 0) {
        return 1;
    }
    err = X509_STORE_CTX_get_error(store);
    if (!(ok && inner_ok) && err == X509_V_OK) {
        /* mod_ssl refused without a chain error (its depth limit or
         * OCSP): keep OpenSSL's record non-OK, the handshake ends. */
        err = X509_V_ERR_APPLICATION_VERIFICATION;
        X509_STORE_CTX_set_error(store, err);
    }
    host = backend_host(c);
    why = migate_tls_judge_chain(X509_STORE_CTX_get0_cert(store), err, host,
                                 buf, sizeof(buf));
    if (why == NULL) {
        return 1;
    }
    refuse_session(c, why, 0);
    if (X509_STORE_CTX_get_error(store) == X509_V_OK) {
        X509_STORE_CTX_set_error(store, X509_V_ERR_APPLICATION_VERIFICATION);
    }
    return 0;
}

/*
 * OpenSSL itself ends a handshake the forced policy leaves no way
 * through (no shared suite or protocol, an alert from MI) before any
 * verdict of ours: mod_ssl logs why at level info only and mod_proxy
 * answers 500.  A fatal alert during the handshake, received from MI or
 * sent for want of a shared protocol or suite, is such a refusal: it is
 * recorded with OpenSSL's reason, so that the request gets its 502 and
 * its backend-tls line at the default level.
 */
/*
 * What mod_ssl's own checks, run once SSL_connect is through
 * (ssl_io_filter_handshake in ssl_engine_io.c: SSLProxyCheckPeerExpire,
 * SSLProxyCheckPeerName against mod_proxy's host note), would object to
 * in a finished handshake.  mod_ssl says why at level info only and
 * mod_proxy answers 500; noted here so that the request gets its 502
 * and a backend-tls line naming the cause.
 */
static void note_cause(conn_rec *c, const char *why)
{
    request_rec *r = backend_request(c);

    if (r) {
        apr_table_setn(r->notes, NOTE_CAUSE, apr_pstrdup(r->pool, why));
    }
}

static void note_modssl_cause(conn_rec *c, const SSL *ssl)
{
    X509 *leaf = SSL_get_peer_certificate(ssl);
    const char *name = apr_table_get(c->notes, NOTE_PROXY_HOST);
    const char *why = NULL;
    char buf[256];

    if (leaf == NULL) {
        why = "no peer certificate";
    }
    else if (X509_cmp_current_time(X509_get0_notBefore(leaf)) >= 0
             || X509_cmp_current_time(X509_get0_notAfter(leaf)) <= 0) {
        why = "certificate expired or not yet valid "
              "(SSLProxyCheckPeerExpire)";
    }
    else if (name && migate_tls_judge_host(leaf, name, buf, sizeof(buf))) {
        why = apr_psprintf(c->pool, "certificate not valid for host %s "
                           "(SSLProxyCheckPeerName)", name);
    }
    X509_free(leaf);
    if (why) {
        note_cause(c, why);
    }
}

/*
 * OpenSSL itself ends a handshake the forced policy leaves no way
 * through (no shared suite or protocol, an alert from MI) before any
 * verdict of ours: mod_ssl logs why at level info only and mod_proxy
 * answers 500.  A fatal alert during the handshake, received from MI or
 * sent for want of a shared protocol or suite, is such a refusal: it is
 * recorded with OpenSSL's reason, so that the request gets its 502 and
 * its backend-tls line at the default level.  An alert sent because
 * mod_ssl's verification refused the certificate, and mod_ssl's checks
 * after the handshake, are noted as the cause of the failure.
 */
static void migate_info(const SSL *ssl, int where, int ret)
{
    SSL_CTX *ctx = SSL_get_SSL_CTX(ssl);
    migate_verify_wrap *wrap = ctx ? SSL_CTX_get_ex_data(ctx, wrap_idx)
                                   : NULL;
    info_fn inner = wrap ? wrap->inner_info
                         : ctx ? SSL_CTX_get_info_callback(ctx) : NULL;
    conn_rec *c = SSL_get_app_data(ssl);
    unsigned long e;
    long verify;
    char buf[256];

    /* mod_ssl's own callback, of the context (ours may be set on the
     * context or on this connection alone, migate_ssl_pre_handshake). */
    if (inner && inner != migate_info) {
        inner(ssl, where, ret);
    }
    if (c == NULL) {
        return;
    }
    if (where & SSL_CB_HANDSHAKE_DONE) {
        note_modssl_cause(c, ssl);
        return;
    }
    if (!(where & SSL_CB_ALERT) || SSL_is_init_finished(ssl)
        || (ret >> 8) != SSL3_AL_FATAL) {
        return;
    }
    /* An alert the edge sends is a refusal only where it says the two
     * sides share no protocol or suite: a backend that goes away in the
     * middle of the handshake makes OpenSSL send decode_error ("unexpected
     * eof"), which is a broken connection, not a policy verdict. */
    if (!(where & SSL_CB_READ)) {
        switch (ret & 0xff) {
        case SSL3_AD_HANDSHAKE_FAILURE:
        case SSL3_AD_ILLEGAL_PARAMETER:
        case TLS1_AD_PROTOCOL_VERSION:
        case TLS1_AD_INSUFFICIENT_SECURITY:
            break;
        default:
            verify = SSL_get_verify_result(ssl);
            if (verify != X509_V_OK) {
                note_cause(c, apr_pstrcat(c->pool, "certificate verify "
                                          "failed: ",
                                          X509_verify_cert_error_string(
                                              verify), NULL));
            }
            return;
        }
    }
    /* "alert handshake failure from MI", or what OpenSSL found wrong
     * with MI's answer and the alert it sent: "unsupported protocol:
     * alert protocol version sent". */
    e = (where & SSL_CB_READ) ? 0 : ERR_peek_last_error();
    apr_snprintf(buf, sizeof(buf), "%s%salert %s %s",
                 e && ERR_reason_error_string(e)
                     ? ERR_reason_error_string(e) : "",
                 e && ERR_reason_error_string(e) ? ": " : "",
                 SSL_alert_desc_string_long(ret),
                 (where & SSL_CB_READ) ? "from MI" : "sent");
    refuse_session(c, buf, 0);
}

/*
 * A new backend connection of a gated request, before its handshake
 * (mod_ssl's ssl_init_ssl_connection).  Under strict the gate's name
 * check replaces mod_ssl's: mod_ssl checks the name only when
 * mod_proxy's host note is there (ssl_io_filter_handshake), and that
 * note follows the client's Host under ProxyPreserveHost On and cannot
 * match an IP SAN (modssl_X509_match_name reads DNS names and the CN).
 * The note is taken away and the SNI it would have given is set here
 * as mod_ssl would (never for an IP literal, RFC 6066); the gate checks
 * the configured backend host (migate_verify, post_handshake).  In
 * strict and audit the handshake is watched (migate_info) so that a
 * failure is named.
 */
int migate_ssl_pre_handshake(conn_rec *c, SSL *ssl, int is_proxy)
{
    request_rec *r = is_proxy ? migate_route_request() : NULL;
    migate_srv_conf *sc = r ? migate_srv(r->server) : NULL;
    const char *name;
    apr_ipsubnet_t *ip;

    if (sc == NULL || !migate_cfg_enabled(sc)
        || migate_cfg_backend_tls(sc) == MIGATE_TLS_OFF) {
        return DECLINED;
    }
    SSL_set_info_callback(ssl, migate_info);
    if (migate_cfg_backend_tls(sc) != MIGATE_TLS_STRICT) {
        return DECLINED;
    }
    name = apr_table_get(c->notes, NOTE_PROXY_HOST);
    if (name) {
        apr_table_unset(c->notes, NOTE_PROXY_HOST);
        if (apr_ipsubnet_create(&ip, name, NULL, c->pool) != APR_SUCCESS
            && !SSL_set_tlsext_host_name(ssl, name)) {
            ap_log_cerror(APLOG_MARK, APLOG_WARNING, 0, c,
                          "MIGATE0053: cannot set the TLS server name %s "
                          "toward MI", name);
        }
    }
    return DECLINED;
}

/* ------------------------------------------------------------------ */
/* Start-up: force the policy on the proxy contexts                   */

int migate_ssl_init_server(server_rec *s, apr_pool_t *p, int is_proxy,
                           SSL_CTX *ctx)
{
    migate_srv_conf *sc = migate_srv(s);
    migate_verify_wrap *wrap;
    verify_fn cb;
    const char *changed = "";

    if (!is_proxy || ctx == NULL || !migate_cfg_enabled(sc)
        || migate_cfg_backend_tls(sc) != MIGATE_TLS_STRICT) {
        return DECLINED;
    }
    if (migate_tls_force_ctx(ctx, &changed) != 0) {
        ap_log_error(APLOG_MARK, APLOG_STARTUP | APLOG_EMERG, 0, s,
                     "MIGATE0020: cannot force the backend TLS policy on "
                     "the proxy SSL context of %s", migate_vhost_name(p, s));
        return !OK;
    }
    changed = apr_pstrdup(p, changed);

    /* Put our check in front of mod_ssl's callback, once per context
     * (the hook runs on every configuration pass). */
    if (wrap_idx < 0) {
        wrap_idx = SSL_CTX_get_ex_new_index(0, NULL, NULL, NULL, NULL);
        if (wrap_idx < 0) {
            ap_log_error(APLOG_MARK, APLOG_STARTUP | APLOG_EMERG, 0, s,
                         "MIGATE0021: no OpenSSL ex_data index for the "
                         "backend TLS verify callback");
            return !OK;
        }
    }
    cb = SSL_CTX_get_verify_callback(ctx);
    if (cb != migate_verify) {
        wrap = apr_pcalloc(p, sizeof(*wrap));
        wrap->inner = cb;
        wrap->inner_info = SSL_CTX_get_info_callback(ctx);
        if (!SSL_CTX_set_ex_data(ctx, wrap_idx, wrap)) {
            ap_log_error(APLOG_MARK, APLOG_STARTUP | APLOG_EMERG, 0, s,
                         "MIGATE0024: cannot attach the backend TLS verify "
                         "callback to the proxy SSL context of %s",
                         migate_vhost_name(p, s));
            return !OK;
        }
        if (!(SSL_CTX_get_verify_mode(ctx) & SSL_VERIFY_PEER)) {
            changed = apr_pstrcat(p, changed, *changed ? ", " : "",
                                  "certificate verification none -> "
                                  "require", NULL);
        }
        SSL_CTX_set_verify(ctx, SSL_CTX_get_verify_mode(ctx)
                                | SSL_VERIFY_PEER, migate_verify);
        SSL_CTX_set_info_callback(ctx, migate_info);
    }

    /* The first pass of a start only checks the configuration; say it
     * once, for the configuration that serves. */
    if (ap_state_query(AP_SQ_MAIN_STATE) != AP_SQ_MS_CREATE_PRE_CONFIG) {
        ap_log_error(APLOG_MARK, APLOG_NOTICE, 0, s,
                     "MIGATE0022: MiGateBackendTLS strict on the proxy "
                     "context of %s: TLS 1.2+, suites %s, TLS 1.3 suites "
                     "%s, verified certificate; overridden: %s",
                     migate_vhost_name(p, s), MIGATE_TLS12_CIPHERS,
                     MIGATE_TLS13_SUITES, *changed ? changed : "nothing");
    }
    return OK;
}

/* ------------------------------------------------------------------ */
/* After the handshake                                                */

int migate_ssl_proxy_post_handshake(conn_rec *c, SSL *ssl)
{
    migate_srv_conf *sc = migate_srv(backend_server(c));
    int mode = migate_cfg_backend_tls(sc);
    request_rec *r = backend_request(c);
    const char *host, *why;
    char buf[256];

    /* mod_ssl runs this hook only once its own checks passed: nothing of
     * theirs failed the handshake. */
    if (r) {
        apr_table_unset(r->notes, NOTE_CAUSE);
    }

    if (!migate_cfg_enabled(sc) || mode == MIGATE_TLS_OFF) {
        return DECLINED;
    }
    if (apr_table_get(c->notes, NOTE_REFUSED)) {
        return mode == MIGATE_TLS_STRICT ? HTTP_BAD_GATEWAY : OK;
    }
    host = backend_host(c);
    why = migate_tls_judge(ssl, host, buf, sizeof(buf));
    if (why == NULL) {
        /* Judged under strict for this host: a pooled connection that
         * another strict request may reuse (migate_route.c). */
        if (mode == MIGATE_TLS_STRICT && host
            && host != migate_tls_host_unchecked) {
            apr_table_setn(c->notes, MIGATE_NOTE_JUDGED,
                           apr_pstrdup(c->pool, host));
        }
        return OK;
    }
    if (mode == MIGATE_TLS_AUDIT) {
        refuse_session(c, why, 1);
        return OK;
    }
    refuse_session(c, why, 0);
    /* Any value but OK/DECLINED makes mod_ssl shut the connection down
     * and fail it as a bad gateway. */
    return HTTP_BAD_GATEWAY;
}

/*
 * mod_proxy answers every failed backend handshake with 500 (it cannot
 * tell a broken gateway from a refused one).  When the gate refused the
 * session toward MI, or mod_ssl's own checks ended the handshake (a
 * cause was noted and mod_ssl never reached proxy_post_handshake), the
 * answer is the gateway's fault: 502, with the cause in the request's
 * backend-tls line.
 */
int migate_ssl_request_status(int *status, request_rec *r)
{
    const migate_outcome_rec *v;
    const char *cause;

    migate_route_done(r);
    if (*status != HTTP_INTERNAL_SERVER_ERROR
        || !migate_cfg_enabled(migate_srv(r->server))) {
        return DECLINED;
    }
    v = migate_outcome(r);
    if ((v->reason == MIGATE_PASS || v->reported)
        && (cause = apr_table_get(r->notes, NOTE_CAUSE)) != NULL) {
        migate_outcome_refuse(r, MIGATE_R_BACKEND_TLS, 0,
                              MIGATE_B_BACKEND_TLS, cause);
    }
    if (v->reason == MIGATE_R_BACKEND_TLS && !v->reported) {
        *status = HTTP_BAD_GATEWAY;
        r->status_line = NULL;
    }
    return DECLINED;
}
