/*
 * migate_ssl.c - the TLS policy toward MI, through mod_ssl's optional
 * hooks, and the configuration test that refuses plain-http backends.
 *
 * Where each part runs:
 *   init_server (is_proxy)  force protocol and suites on the proxy
 *                           SSL_CTX of every strict gated server, and
 *                           put our check in front of mod_ssl's verify
 *                           callback;
 *   verify callback         judge the certificate while the handshake
 *                           is under way, so that a refusal is the same
 *                           whatever SSLProxyVerify/SSLProxyCheckPeerName
 *                           say (mod_ssl's own checks would otherwise end
 *                           some handshakes before proxy_post_handshake);
 *   proxy_post_handshake    judge the finished session (protocol, suite,
 *                           and the certificate again: a resumed session
 *                           runs no verify callback); audit mode lives
 *                           here only;
 *   check_config            refuse ProxyPass/balancer targets that are
 *                           not TLS, and https:// targets that mod_ssl
 *                           would not speak to (no SSLProxyEngine on,
 *                           or no mod_ssl), where "apache2 -t" sees it.
 * The verdicts come from the pure core (migate_tls.c).
 */
#include <string.h>

#include "httpd.h"
#include "http_config.h"
#include "http_core.h"
#include "http_log.h"
#include "http_main.h"
#include "http_request.h"
#include "util_cfgtree.h"
#include "apr_hash.h"
#include "apr_strings.h"
#include "apr_uri.h"
#include "apr_optional_hooks.h"

#include "mod_ssl.h"
#include "mod_proxy.h"

#include "migate_glue.h"
#include "migate_ssl.h"
#include "migate_tls.h"

#include <openssl/err.h>

/* Set on a backend connection whose session the gate refused. */
#define NOTE_REFUSED "migate-backend-tls-refused"

/*
 * The request being handled by this thread.  A backend connection has no
 * request of its own, but mod_proxy connects and shakes hands inside the
 * handler of the request it serves, on the same thread (the handler hook
 * below sets it before mod_proxy's handler runs, a pool cleanup of the
 * request clears it): this is how a refusal reaches that request's
 * verdict.  The invariant holds for mod_proxy_http and
 * mod_proxy_wstunnel, which connect inside the handler; a connection
 * made outside any request (mod_proxy_hcheck's probes, on the watchdog
 * thread) finds no request here and is judged on its own.
 */
static __thread request_rec *current;

/* mod_ssl's callbacks of a context we wrapped, kept with the context so
 * that ours can run them first. */
typedef int (*verify_fn)(int, X509_STORE_CTX *);
typedef void (*info_fn)(const SSL *, int, int);
typedef struct {
    verify_fn inner;
    info_fn inner_info;
} migate_verify_wrap;

static int wrap_idx = -1;

static apr_status_t forget_current(void *r)
{
    if (current == r) {
        current = NULL;
    }
    return APR_SUCCESS;
}

int migate_ssl_remember_request(request_rec *r)
{
    current = r->proxyreq ? r : NULL;
    if (current) {
        apr_pool_cleanup_register(r->pool, r, forget_current,
                                  apr_pool_cleanup_null);
    }
    return DECLINED;
}

/* The request backend connection c serves, or NULL. */
static request_rec *backend_request(const conn_rec *c)
{
    (void)c;
    /* The thread's request is the one mod_proxy is handling: it is a
     * proxy request (migate_ssl_remember_request keeps no other). */
    AP_DEBUG_ASSERT(current == NULL || current->proxyreq);
    return current;
}

/* The server whose policy applies to backend connection c. */
static server_rec *backend_server(const conn_rec *c)
{
    request_rec *r = backend_request(c);
    return r ? r->server : c->base_server;
}

/* The name MI's certificate must carry: the one mod_proxy connected to
 * for the request.  A connection that serves no request (a health-check
 * probe of mod_proxy_hcheck) has none; it is judged on everything else,
 * so that probes do not mark every member down. */
static const char *backend_host(const conn_rec *c)
{
    const char *host = apr_table_get(c->notes, "proxy-request-hostname");

    if (host == NULL && backend_request(c) == NULL) {
        return migate_tls_host_unchecked;
    }
    return host;
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
static void migate_info(const SSL *ssl, int where, int ret)
{
    SSL_CTX *ctx = SSL_get_SSL_CTX(ssl);
    migate_verify_wrap *wrap = ctx ? SSL_CTX_get_ex_data(ctx, wrap_idx)
                                   : NULL;
    conn_rec *c = SSL_get_app_data(ssl);
    unsigned long e;
    char buf[256];

    if (wrap && wrap->inner_info) {
        wrap->inner_info(ssl, where, ret);
    }
    if (c == NULL || !(where & SSL_CB_ALERT) || SSL_is_init_finished(ssl)
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
    const char *host, *why;
    char buf[256];

    if (!migate_cfg_enabled(sc) || mode == MIGATE_TLS_OFF) {
        return DECLINED;
    }
    if (apr_table_get(c->notes, NOTE_REFUSED)) {
        return mode == MIGATE_TLS_STRICT ? HTTP_BAD_GATEWAY : OK;
    }
    host = backend_host(c);
    why = migate_tls_judge(ssl, host, buf, sizeof(buf));
    if (why == NULL) {
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
 * session toward MI, the answer is the gateway's fault: 502.
 */
int migate_ssl_request_status(int *status, request_rec *r)
{
    const migate_outcome_rec *v;

    if (*status != HTTP_INTERNAL_SERVER_ERROR
        || !migate_cfg_enabled(migate_srv(r->server))) {
        return DECLINED;
    }
    v = migate_outcome(r);
    if (v->reason == MIGATE_R_BACKEND_TLS && !v->reported) {
        *status = HTTP_BAD_GATEWAY;
        r->status_line = NULL;
    }
    return DECLINED;
}

/* ------------------------------------------------------------------ */
/* The configuration test                                             */

/*
 * mod_ssl's SSLProxyEngine, SSLProxyProtocol, ... as mod_ssl reads them
 * for server s.  mod_ssl keeps them in its own server config, which it
 * does not export (its layout changes between releases), and its
 * optional functions (ssl_proxy_enable, ssl_engine_disable) act on a
 * connection rather than report a setting.  The configuration tree
 * (ap_conftree, which mod_info reads as well) holds every directive as
 * written, with <IfModule>, <IfDefine> and Include already resolved
 * (only the sections that apply are read into it): a vhost's settings
 * are the directives inside its <VirtualHost> section (found by the
 * file and line httpd recorded for it), and mod_ssl merges each of these
 * as "the vhost's own, else the main server's" (cfgMerge), which is
 * what server_directives answers.  Within one scope the last one wins.
 */
static void collect_directives(const ap_directive_t *d, const char *name,
                               apr_array_header_t *out)
{
    for (; d; d = d->next) {
        if (!strcasecmp(d->directive, name)) {
            APR_ARRAY_PUSH(out, const ap_directive_t *) = d;
        }
        else if (d->first_child && strcasecmp(d->directive,
                                              "<VirtualHost")) {
            collect_directives(d->first_child, name, out);
        }
    }
}

static const ap_directive_t *vhost_section(const ap_directive_t *d,
                                           const server_rec *s)
{
    const ap_directive_t *found;

    for (; d; d = d->next) {
        if (!strcasecmp(d->directive, "<VirtualHost")) {
            if (d->line_num == (int)s->defn_line_number && d->filename
                && s->defn_name && !strcmp(d->filename, s->defn_name)) {
                return d;
            }
        }
        else if (d->first_child
                 && (found = vhost_section(d->first_child, s)) != NULL) {
            return found;
        }
    }
    return NULL;
}

/* The directives called name that set server s's value; *inherited
 * tells whether they are the main server's. */
static apr_array_header_t *server_directives(apr_pool_t *p,
                                             const server_rec *s,
                                             const char *name,
                                             int *inherited)
{
    apr_array_header_t *out = apr_array_make(p, 2,
                                             sizeof(const ap_directive_t *));
    const ap_directive_t *vh;

    *inherited = 0;
    if (s->is_virtual) {
        vh = vhost_section(ap_conftree, s);
        if (vh) {
            collect_directives(vh->first_child, name, out);
        }
        if (out->nelts) {
            return out;
        }
        *inherited = 1;
    }
    collect_directives(ap_conftree, name, out);
    return out;
}

/* Whether mod_ssl is loaded and SSLProxyEngine is on for server s. */
static int proxy_engine_on(apr_pool_t *p, const server_rec *s)
{
    apr_array_header_t *d;
    int inherited;

    if (!ap_find_linked_module("mod_ssl.c")) {
        return 0;
    }
    d = server_directives(p, s, "SSLProxyEngine", &inherited);
    return d->nelts > 0
        && !strcasecmp(APR_ARRAY_IDX(d, d->nelts - 1,
                                     const ap_directive_t *)->args, "on");
}

apr_array_header_t *migate_ssl_dump(apr_pool_t *p, const server_rec *s)
{
    /* What init_server forces on a strict server's proxy context
     * (migate_tls_force_ctx, migate_verify). */
    static const struct {
        const char *name;
        const char *forced;
    } ds[] = {
        { "SSLProxyEngine", NULL },
        { "SSLProxyProtocol", "TLS 1.2 minimum (TLSv1.2, TLSv1.3 only)" },
        { "SSLProxyCipherSuite", "TLS 1.2 " MIGATE_TLS12_CIPHERS
                                 "; TLS 1.3 " MIGATE_TLS13_SUITES },
        { "SSLProxyVerify", "require: a verified chain (X509_V_OK)" },
        { "SSLProxyCheckPeerName", "on: the gate checks MI's host name "
                                   "(X509_check_host)" },
    };
    apr_array_header_t *lines = apr_array_make(p, 8, sizeof(char *));
    int strict = migate_cfg_backend_tls(migate_srv(s)) == MIGATE_TLS_STRICT;
    size_t i;

    if (!ap_find_linked_module("mod_ssl.c")) {
        APR_ARRAY_PUSH(lines, const char *) = "mod_ssl is not loaded";
        return lines;
    }
    for (i = 0; i < sizeof(ds) / sizeof(ds[0]); i++) {
        int inherited, k;
        apr_array_header_t *d = server_directives(p, s, ds[i].name,
                                                  &inherited);
        const char *forced = strict && ds[i].forced
            ? apr_pstrcat(p, " -> forced: ", ds[i].forced, NULL) : "";

        if (!d->nelts) {
            APR_ARRAY_PUSH(lines, const char *) =
                apr_psprintf(p, "%s not set (mod_ssl's default)%s",
                             ds[i].name, forced);
        }
        for (k = 0; k < d->nelts; k++) {
            const ap_directive_t *x = APR_ARRAY_IDX(d, k,
                                                    const ap_directive_t *);
            APR_ARRAY_PUSH(lines, const char *) =
                apr_psprintf(p, "%s %s (%s:%d%s)%s", x->directive, x->args,
                             x->filename, x->line_num,
                             inherited ? ", from the main server" : "",
                             forced);
        }
    }
    return lines;
}

static const char *worker_name(const proxy_worker *w)
{
    if (w == NULL || w->s == NULL) {
        return NULL;
    }
    /* name_ex holds names longer than name (httpd 2.4.56 and later). */
    return w->s->name_ex[0] ? w->s->name_ex : w->s->name;
}

/* One server's walk: the plain targets seen so far, so that a target
 * that is both a ProxyPass and its worker is named once, and the first
 * TLS target. */
typedef struct {
    server_rec *s;
    apr_pool_t *p;
    apr_hash_t *seen;
    int bad;
    const char *tls;            /* an https://, wss:// or h2:// target */
} backend_walk;

/* The port mod_proxy assumes for a scheme without one, so that
 * "ajp://mi:8009/x" and its worker "ajp://mi/x" are one target. */
static apr_port_t default_port(const char *scheme)
{
    static const struct {
        const char *scheme;
        apr_port_t port;
    } ports[] = {
        { "http", 80 }, { "ws", 80 }, { "h2c", 80 }, { "ajp", 8009 },
        { "fcgi", 8000 }, { "scgi", 4000 }, { "uwsgi", 3031 },
        { "ftp", 21 },
    };
    size_t i;

    for (i = 0; scheme && i < sizeof(ports) / sizeof(ports[0]); i++) {
        if (!strcasecmp(scheme, ports[i].scheme)) {
            return ports[i].port;
        }
    }
    return 0;
}

static const char *target_key(apr_pool_t *p, const char *url)
{
    apr_uri_t u;
    const char *path;
    char *scheme, *host;
    size_t len;

    if (apr_uri_parse(p, url, &u) != APR_SUCCESS || !u.scheme
        || !u.hostname) {
        return url;
    }
    path = u.path ? u.path : "";
    len = strlen(path);
    while (len > 0 && path[len - 1] == '/') {
        len--;
    }
    scheme = apr_pstrdup(p, u.scheme);
    host = apr_pstrdup(p, u.hostname);
    ap_str_tolower(scheme);
    ap_str_tolower(host);
    return apr_psprintf(p, "%s://%s:%u%.*s", scheme, host,
                        (unsigned)(u.port_str ? u.port
                                              : default_port(scheme)),
                        (int)len, path);
}

static void check_target(backend_walk *w, const char *what, const char *url)
{
    const char *key, *where;

    /* "!" (ProxyPass /x !) and an empty name are no target. */
    if (url == NULL || *url == '\0' || !strcmp(url, "!")) {
        return;
    }
    if (migate_url_is_tls(url)) {
        /* a balancer is judged by its members */
        if (!w->tls && strncasecmp(url, "balancer:", 9)) {
            w->tls = url;
        }
        return;
    }
    key = target_key(w->p, url);
    if (apr_hash_get(w->seen, key, APR_HASH_KEY_STRING)) {
        return;
    }
    apr_hash_set(w->seen, key, APR_HASH_KEY_STRING, url);
    w->bad++;
    where = migate_backend_where(w->p, w->s, url);
    ap_log_error(APLOG_MARK, APLOG_STARTUP | APLOG_CRIT, 0, NULL,
                 "MIGATE0023: %s %s%s%s%s in %s is not TLS: "
                 "MiGateBackendTLS strict requires https:// (or wss://) "
                 "toward MI", what, url, where ? " (" : "",
                 where ? where : "", where ? ")" : "",
                 migate_vhost_name(w->p, w->s));
}

int migate_check_backends(apr_pool_t *pconf, apr_pool_t *plog,
                          apr_pool_t *ptemp, server_rec *s)
{
    module *proxy = ap_find_linked_module("mod_proxy.c");
    backend_walk walk = { NULL, ptemp, NULL, 0, NULL };
    int bad = 0;

    (void)pconf;
    (void)plog;
    if (proxy == NULL) {
        return OK;
    }
    for (; s; s = s->next) {
        migate_srv_conf *sc = migate_srv(s);
        proxy_server_conf *conf;
        core_server_config *core;
        int i;

        if (!migate_cfg_enabled(sc)
            || migate_cfg_backend_tls(sc) != MIGATE_TLS_STRICT) {
            continue;
        }
        conf = ap_get_module_config(s->module_config, proxy);
        if (conf == NULL) {
            continue;
        }
        walk.s = s;
        walk.bad = 0;
        walk.tls = NULL;
        walk.seen = apr_hash_make(ptemp);
        /* ProxyPass in the server or vhost (and those it inherits). */
        for (i = 0; conf->aliases && i < conf->aliases->nelts; i++) {
            check_target(&walk, "ProxyPass target",
                         APR_ARRAY_IDX(conf->aliases, i,
                                       struct proxy_alias).real);
        }
        /* ProxyPass inside <Location>: in that section's dir config. */
        core = ap_get_core_module_config(s->module_config);
        for (i = 0; core && core->sec_url && i < core->sec_url->nelts; i++) {
            ap_conf_vector_t *sec = APR_ARRAY_IDX(core->sec_url, i,
                                                  ap_conf_vector_t *);
            proxy_dir_conf *dc = ap_get_module_config(sec, proxy);
            if (dc && dc->alias) {
                check_target(&walk, "ProxyPass target", dc->alias->real);
            }
        }
        /* Workers (ProxyPass, <Proxy>, ProxySet) and balancer members. */
        for (i = 0; conf->workers && i < conf->workers->nelts; i++) {
            check_target(&walk, "proxy worker",
                         worker_name(&APR_ARRAY_IDX(conf->workers, i,
                                                    proxy_worker)));
        }
        for (i = 0; conf->balancers && i < conf->balancers->nelts; i++) {
            proxy_balancer *b = &APR_ARRAY_IDX(conf->balancers, i,
                                               proxy_balancer);
            const char *what = apr_pstrcat(ptemp, "member of ",
                                           b->s ? b->s->name : "balancer",
                                           NULL);
            int j;
            for (j = 0; b->workers && j < b->workers->nelts; j++) {
                check_target(&walk, what,
                             worker_name(APR_ARRAY_IDX(b->workers, j,
                                                       proxy_worker *)));
            }
        }
        bad += walk.bad;
        if (walk.tls && !proxy_engine_on(ptemp, s)) {
            const char *where = migate_backend_where(ptemp, s, walk.tls);

            bad++;
            ap_log_error(APLOG_MARK, APLOG_STARTUP | APLOG_CRIT, 0, NULL,
                         "MIGATE0025: %s%s%s%s in %s is https:// but %s: "
                         "mod_ssl would refuse to connect to MI; "
                         "MiGateBackendTLS strict requires TLS toward MI",
                         walk.tls, where ? " (" : "", where ? where : "",
                         where ? ")" : "", migate_vhost_name(ptemp, s),
                         ap_find_linked_module("mod_ssl.c")
                         ? "SSLProxyEngine is not on for it"
                         : "mod_ssl is not loaded");
        }
    }
    return bad ? !OK : OK;
}
