/*
 * migate_ssl.h - mod_ssl's optional hooks, as httpd 2.4's
 * mod_ssl_openssl.h declares them (older Debian releases do not ship that
 * header), the functions of migate_ssl.c that mod_migate.c registers on
 * them, and those of migate_route.c (mod_proxy's side of the backend
 * connection), which migate_ssl.c asks for the request a connection
 * serves.
 */
#ifndef MIGATE_SSL_H
#define MIGATE_SSL_H

#include "httpd.h"
#include "apr_optional_hooks.h"
#include "mod_ssl.h"            /* SSL_DECLARE, first */

#include <openssl/ssl.h>

#include "mod_proxy.h"          /* the request_status hook */
#include "util_filter.h"

APR_DECLARE_EXTERNAL_HOOK(ssl, SSL, int, init_server,
                          (server_rec *s, apr_pool_t *p, int is_proxy,
                           SSL_CTX *ctx))
APR_DECLARE_EXTERNAL_HOOK(ssl, SSL, int, pre_handshake,
                          (conn_rec *c, SSL *ssl, int is_proxy))
APR_DECLARE_EXTERNAL_HOOK(ssl, SSL, int, proxy_post_handshake,
                          (conn_rec *c, SSL *ssl))

/* ssl init_server: force the policy on a strict proxy context. */
int migate_ssl_init_server(server_rec *s, apr_pool_t *p, int is_proxy,
                           SSL_CTX *ctx);
/* ssl pre_handshake: the gate's name check in place of mod_ssl's. */
int migate_ssl_pre_handshake(conn_rec *c, SSL *ssl, int is_proxy);
/* ssl proxy_post_handshake: judge the session toward MI. */
int migate_ssl_proxy_post_handshake(conn_rec *c, SSL *ssl);
/* proxy request_status: a refused session toward MI answers 502. */
int migate_ssl_request_status(int *status, request_rec *r);

/* migate_route.c: the route mod_proxy takes (see there). */
/* proxy scheme_handler, first: judge the URL of the connection. */
int migate_route_scheme(request_rec *r, proxy_worker *worker,
                        proxy_server_conf *conf, char *url,
                        const char *proxyhost, apr_port_t proxyport);
/* pre_config: register migate_route_scheme with mod_proxy. */
int migate_route_pre_config(apr_pool_t *pconf, apr_pool_t *plog,
                            apr_pool_t *ptemp);
/* pre_connection: the MIGATE_BACKEND filter on backend connections. */
int migate_route_pre_connection(conn_rec *c, void *csd);
apr_status_t migate_route_backend_filter(ap_filter_t *f,
                                         apr_bucket_brigade *bb);
extern ap_filter_rec_t *migate_backend_filter;
/* The gated request whose proxy handler runs on this thread, or NULL;
 * forget it (mod_proxy's request_status: its handler is done); the
 * backend host it connects to (the configured one), or NULL. */
request_rec *migate_route_request(void);
void migate_route_done(request_rec *r);
const char *migate_route_host(const request_rec *r);

#endif /* MIGATE_SSL_H */
