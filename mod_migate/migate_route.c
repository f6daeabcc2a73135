/*
 * migate_route.c - the route mod_proxy really takes to MI, judged where
 * mod_proxy takes it: the URL of the connection it opens (whatever
 * mapped the request: ProxyPass, ProxyPassMatch, RewriteRule [P],
 * SetHandler "proxy:...", a balancer member chosen or added at run
 * time), and every backend connection that carries a gated request
 * (a pooled one included).
 *
 * Where each part runs:
 *   proxy scheme_handler   first of all scheme handlers, declining:
 *                          mod_proxy's proxy_handler (mod_proxy.c) calls
 *                          ap_proxy_pre_request, where mod_proxy_balancer
 *                          picks the member and rewrites the URL to it,
 *                          and then proxy_run_scheme_handler(r, worker,
 *                          conf, url, ...) with that URL: the first
 *                          hook that sees the connection's URL, also
 *                          for SetHandler "proxy:..." (made in
 *                          proxy_handler, after fixups).  It notes the
 *                          request of this thread for mod_ssl's hooks
 *                          and judges the URL (migate_request.c);
 *   pre_connection         on every backend connection mod_proxy makes
 *                          (proxy_connection_create runs it): add the
 *                          filter below;
 *   MIGATE_BACKEND filter  before mod_ssl's, on every byte toward a
 *                          backend: a gated strict request is written
 *                          only on a TLS connection whose session the
 *                          gate judged under strict for the host the
 *                          operator configured (a new connection's
 *                          handshake is judged as it happens, below
 *                          this filter); a pooled connection opened
 *                          under a weaker policy is refused and closed.
 */
#include <string.h>
#include <dlfcn.h>

#include "httpd.h"
#include "http_config.h"
#include "http_connection.h"
#include "http_log.h"
#include "http_request.h"
#include "util_filter.h"
#include "apr_strings.h"
#include "apr_uri.h"

#if AP_MODULE_MAGIC_AT_LEAST(20120211, 116)
#include "http_ssl.h"
#endif

#include "mod_proxy.h"

#include "migate_glue.h"
#include "migate_ssl.h"

/* The request whose proxy handler runs on this thread: mod_proxy
 * connects and shakes hands inside it, on the same thread.  Set by the
 * scheme hook, cleared with the request's pool. */
static __thread request_rec *current;
/* The backend connection mod_proxy made for this thread's request (its
 * handshake, below the MIGATE_BACKEND filter, is judged for it), or
 * NULL. */
static __thread conn_rec *current_backend;

ap_filter_rec_t *migate_backend_filter;

request_rec *migate_route_request(void)
{
    return current;
}

const char *migate_route_host(const request_rec *r)
{
    return apr_table_get(r->notes, MIGATE_NOTE_BACKEND_HOST);
}

static apr_status_t forget_current(void *r)
{
    if (current == r) {
        current = NULL;
        current_backend = NULL;
    }
    return APR_SUCCESS;
}

/* mod_proxy's handler is done with r (its request_status hook): the
 * thread's request is forgotten there, on the thread that set it (the
 * pool cleanup may run on another one once the response is written
 * asynchronously). */
void migate_route_done(request_rec *r)
{
    forget_current(r);
}

/* The host of the URL mod_proxy connects to: the backend the operator
 * configured (the worker's, or the balancer member's), never the
 * client's Host, which mod_proxy sends as SNI under ProxyPreserveHost
 * On.  Brackets are kept on an IPv6 literal, as mod_proxy writes it. */
static const char *url_host(apr_pool_t *p, const char *url)
{
    const char *bar = NULL;
    apr_uri_t u;

    if (!strncasecmp(url, "unix:", 5) && (bar = strchr(url, '|')) != NULL) {
        url = bar + 1;
    }
    if (apr_uri_parse(p, url, &u) != APR_SUCCESS || u.hostname == NULL) {
        return NULL;
    }
    return strchr(u.hostname, ':') ? apr_pstrcat(p, "[", u.hostname, "]",
                                                 NULL)
                                   : u.hostname;
}

/* proxy scheme_handler, APR_HOOK_REALLY_FIRST: always declines unless
 * the gate refuses the URL. */
int migate_route_scheme(request_rec *r, proxy_worker *worker,
                        proxy_server_conf *conf, char *url,
                        const char *proxyhost, apr_port_t proxyport)
{
    migate_srv_conf *sc = migate_srv(r->server);
    const char *host;
    int status;

    (void)worker;
    (void)conf;
    (void)proxyhost;
    (void)proxyport;
    if (!migate_cfg_enabled(sc)) {
        current = NULL;
        return DECLINED;
    }
    if (current != r) {
        current = r;
        apr_pool_cleanup_register(r->pool, r, forget_current,
                                  apr_pool_cleanup_null);
    }
    current_backend = NULL;
    host = url_host(r->pool, url);
    if (host) {
        apr_table_setn(r->notes, MIGATE_NOTE_BACKEND_HOST, host);
    }
    /* SetHandler "proxy:...": mod_proxy made the URL in its handler from
     * r->filename, after fixups; nothing of the operator's maps the
     * client's path onto it, so the whole policy judges what is sent. */
    status = migate_judge_route(r, url,
                                !apr_table_get(r->notes,
                                               MIGATE_NOTE_ROUTE_JUDGED)
                                && r->handler
                                && !strncmp(r->handler, "proxy:", 6));
    return status == OK ? DECLINED : status;
}

/* ------------------------------------------------------------------ */
/* Backend connections                                                */

int migate_route_pre_connection(conn_rec *c, void *csd)
{
    (void)csd;
#if AP_MODULE_MAGIC_AT_LEAST(20120211, 116)
    if (!c->outgoing) {
        return DECLINED;
    }
#else
    /* Before c->outgoing: a backend connection is made inside a proxy
     * request's handler, a client's connection never is. */
    if (current == NULL) {
        return DECLINED;
    }
#endif
    if (current) {
        current_backend = c;
    }
    ap_add_output_filter_handle(migate_backend_filter, NULL, NULL, c);
    return DECLINED;
}

static int conn_is_tls(conn_rec *c)
{
#if AP_MODULE_MAGIC_AT_LEAST(20120211, 116)
    return ap_ssl_conn_is_ssl(c);
#else
    /* Before ap_ssl_conn_is_ssl the URL's scheme is all there is to go
     * on (migate_judge_route). */
    (void)c;
    return 1;
#endif
}

/*
 * Whether the strict request r may be written on backend connection c:
 * TLS, and either made for r (its handshake happens below this filter
 * and is judged for r, migate_ssl.c) or a pooled one whose session the
 * gate judged under strict for r's backend host.  NULL or the refusal.
 */
static const char *conn_refusal(request_rec *r, conn_rec *c)
{
    const char *judged = apr_table_get(c->notes, MIGATE_NOTE_JUDGED);
    const char *host = migate_route_host(r);

    if (!conn_is_tls(c)) {
        return "backend connection is not TLS";
    }
    if (c == current_backend) {
        return NULL;
    }
    if (judged == NULL) {
        return "pooled connection opened under a weaker backend TLS "
               "policy (another vhost shares the worker)";
    }
    if (host && strcasecmp(judged, host)) {
        return apr_psprintf(r->pool, "pooled connection judged for host "
                            "%s, not %s", judged, host);
    }
    return NULL;
}

apr_status_t migate_route_backend_filter(ap_filter_t *f,
                                         apr_bucket_brigade *bb)
{
    request_rec *r = current;
    migate_srv_conf *sc;
    const char *why;

    if (r == NULL || APR_BRIGADE_EMPTY(bb)) {
        return ap_pass_brigade(f->next, bb);
    }
    sc = migate_srv(r->server);
    if (!migate_cfg_enabled(sc)
        || migate_cfg_backend_tls(sc) != MIGATE_TLS_STRICT
        || (why = conn_refusal(r, f->c)) == NULL) {
        return ap_pass_brigade(f->next, bb);
    }
    migate_outcome_refuse(r, conn_is_tls(f->c) ? MIGATE_R_BACKEND_TLS
                                               : MIGATE_R_BACKEND_PLAIN,
                          0, conn_is_tls(f->c) ? MIGATE_B_BACKEND_TLS
                                               : MIGATE_B_BACKEND_PLAIN,
                          why);
    /* Nothing of the request goes out; mod_proxy closes an aborted
     * connection instead of pooling it, and answers 502. */
    f->c->aborted = 1;
    f->c->keepalive = AP_CONN_CLOSE;
    apr_brigade_cleanup(bb);
    return APR_ECONNABORTED;
}

/* ------------------------------------------------------------------ */
/* Registration                                                       */

typedef void (*scheme_hook_fn)(proxy_HOOK_scheme_handler_t *pf,
                               const char *const *pre,
                               const char *const *succ, int order);

/*
 * mod_proxy's scheme_handler is a plain external hook
 * (APR_IMPLEMENT_EXTERNAL_HOOK_RUN_FIRST in mod_proxy.c), not an
 * optional one: a module registers by calling mod_proxy.so's
 * proxy_hook_scheme_handler.  Debian loads modules in the order of
 * mods-enabled (migate.load before proxy.load), so the symbol is looked
 * up once every LoadModule has run, in pre_config; httpd sorts the hooks
 * again after the configuration is processed (server/main.c, "Sort
 * hooks again"), before any request.  Without mod_proxy nothing is
 * proxied and there is nothing to judge.
 */
int migate_route_pre_config(apr_pool_t *pconf, apr_pool_t *plog,
                            apr_pool_t *ptemp)
{
    scheme_hook_fn hook;

    (void)pconf;
    (void)plog;
    (void)ptemp;
    hook = (scheme_hook_fn)dlsym(RTLD_DEFAULT, "proxy_hook_scheme_handler");
    if (hook) {
        hook(migate_route_scheme, NULL, NULL, APR_HOOK_REALLY_FIRST);
    }
    return OK;
}
