/*
 * migate_ssl.h - mod_ssl's optional hooks, as httpd 2.4's
 * mod_ssl_openssl.h declares them (Debian does not ship that header), and
 * the functions of migate_ssl.c that mod_migate.c registers on them.
 */
#ifndef MIGATE_SSL_H
#define MIGATE_SSL_H

#include "httpd.h"
#include "apr_optional_hooks.h"
#include "mod_ssl.h"            /* SSL_DECLARE, first */

#include <openssl/ssl.h>

#include "mod_proxy.h"          /* the request_status hook */

APR_DECLARE_EXTERNAL_HOOK(ssl, SSL, int, init_server,
                          (server_rec *s, apr_pool_t *p, int is_proxy,
                           SSL_CTX *ctx))
APR_DECLARE_EXTERNAL_HOOK(ssl, SSL, int, proxy_post_handshake,
                          (conn_rec *c, SSL *ssl))

/* handler, before mod_proxy's: note the request of this thread. */
int migate_ssl_remember_request(request_rec *r);
/* ssl init_server: force the policy on a strict proxy context. */
int migate_ssl_init_server(server_rec *s, apr_pool_t *p, int is_proxy,
                           SSL_CTX *ctx);
/* ssl proxy_post_handshake: judge the session toward MI. */
int migate_ssl_proxy_post_handshake(conn_rec *c, SSL *ssl);
/* proxy request_status: a refused session toward MI answers 502. */
int migate_ssl_request_status(int *status, request_rec *r);

#endif /* MIGATE_SSL_H */
