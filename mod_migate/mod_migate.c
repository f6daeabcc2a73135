/*
 * mod_migate.c - mod_migate's table of contents: the hooks it runs and
 * why each runs where it does.  The work is done elsewhere:
 *
 *   migate_config.c   directives, merge rules, policy compilation
 *   migate_configtest.c  what "apache2 -t" warns about; -D MIGATE_DUMP
 *   migate_request.c  request ids, header checks, the gate's decision
 *   migate_verdict.c  each request's verdict: its one line, its count
 *   migate_ssl.c      the TLS policy toward MI, through mod_ssl's hooks
 *   migate_status.c   shared counters and the migate-status handler
 *   migate_{core,path,rules,uuid,hdr,tls}.c  the pure core (no httpd)
 */
#define MIGATE_MODULE_FILE
#include "httpd.h"
#include "http_config.h"
#include "http_core.h"
#include "http_log.h"
#include "http_protocol.h"
#include "http_request.h"

#include "migate_glue.h"
#include "migate_ssl.h"
#include "migate_uuid.h"

static int migate_check_config(apr_pool_t *pconf, apr_pool_t *plog,
                               apr_pool_t *ptemp, server_rec *s)
{
    int rv = migate_compile_policies(pconf, s);

    if (rv == OK) {
        rv = migate_check_backends(pconf, plog, ptemp, s);
    }
    if (rv == OK) {
        migate_configtest_warn(ptemp, s);
        migate_configtest_dump(ptemp, s);
    }
    return rv;
}

static int migate_post_config(apr_pool_t *pconf, apr_pool_t *plog,
                              apr_pool_t *ptemp, server_rec *s)
{
    (void)plog;
    (void)ptemp;
    return migate_status_post_config(pconf, s);
}

static void migate_child(apr_pool_t *p, server_rec *s)
{
    (void)p;
    (void)s;
    migate_uuid_child_init();
}

static void migate_register_hooks(apr_pool_t *p)
{
    static const char *const after_proxy[] = { "mod_proxy.c", NULL };
    static const char *const before_unique_id[] = { "mod_unique_id.c",
                                                    NULL };

    (void)p;

    /* Compile policies, refuse backends the TLS policy cannot reach,
     * warn where the policy cannot mean what it says, and print it for
     * -D MIGATE_DUMP, where "apache2 -t" sees it: check_config runs
     * there, post_config does not. */
    ap_hook_check_config(migate_check_config, NULL, NULL, APR_HOOK_MIDDLE);
    /* Shared counters for migate-status, made once per (re)start. */
    ap_hook_post_config(migate_post_config, NULL, NULL, APR_HOOK_MIDDLE);
    /* Per-process state: a fresh random batch in every child. */
    ap_hook_child_init(migate_child, NULL, NULL, APR_HOOK_MIDDLE);
    /* Before anything else sees the request: give it its id (so that a
     * refused request has one too, and %L is set for the access log),
     * check its headers and decide its raw target.  Ahead of
     * mod_unique_id even where another module (mod_security) pulls it
     * forward, so that UNIQUE_ID is our id too. */
    ap_hook_post_read_request(migate_post_read_request, NULL,
                              before_unique_id, APR_HOOK_REALLY_FIRST);
    /* Serve our id to %L in ErrorLogFormat for internal redirects and
     * subrequests, ahead of mod_unique_id. */
    ap_hook_generate_log_id(migate_generate_log_id, NULL, NULL,
                            APR_HOOK_FIRST);
    /* After mod_proxy's fixup has written the backend URL: the last look
     * at what MI will receive. */
    ap_hook_fixups(migate_fixups, after_proxy, NULL, APR_HOOK_LAST);
    /* Close each request's verdict before the access log is written:
     * its one "blocked" line and its one count, whichever phase refused
     * it, and an id and a line for requests httpd's core refused before
     * post_read_request. */
    ap_hook_log_transaction(migate_log_transaction, NULL, NULL,
                            APR_HOOK_REALLY_FIRST);
    /* Owned headers never reach MI as trailers: above the protocol
     * filters (HTTP_IN, mod_http2's), which fill r->trailers_in. */
    ap_register_input_filter(MIGATE_TRAILERS_FILTER, migate_trailers_filter,
                             NULL, AP_FTYPE_CONTENT_SET);
    /* SetHandler migate-status. */
    ap_hook_handler(migate_status_handler, NULL, NULL, APR_HOOK_MIDDLE);
    /* Before mod_proxy's handler (APR_HOOK_FIRST) connects to MI: note
     * the request, so that a refusal in mod_ssl's hooks carries its id. */
    ap_hook_handler(migate_ssl_remember_request, NULL, NULL,
                    APR_HOOK_REALLY_FIRST);
    /* mod_ssl: force the policy on each proxy SSL context it makes... */
    APR_OPTIONAL_HOOK(ssl, init_server, migate_ssl_init_server, NULL, NULL,
                      APR_HOOK_MIDDLE);
    /* ... and judge every finished handshake toward MI. */
    APR_OPTIONAL_HOOK(ssl, proxy_post_handshake,
                      migate_ssl_proxy_post_handshake, NULL, NULL,
                      APR_HOOK_MIDDLE);
    /* mod_proxy: a session the gate refused is a bad gateway (502), not
     * the 500 mod_proxy gives every failed handshake. */
    APR_OPTIONAL_HOOK(proxy, request_status, migate_ssl_request_status,
                      NULL, NULL, APR_HOOK_MIDDLE);
}

/*
 * AP_MODULE_FLAG_ALWAYS_MERGE is load-bearing.  Without it httpd
 * (merge_server_configs) gives a vhost that holds no MiGate directive
 * no config of its own: its slot points at the main server's struct,
 * and migate_merge_srv never runs for it.  Everything the module
 * writes into the per-server config after reading it would then be
 * shared: migate_compile_policies, walking every server, would compile
 * the main server's policy once per such vhost into the same struct and
 * overwrite its index, so the main server and those vhosts would count
 * into one status slot under the last one's name, leaving the main
 * server's own slot without a server (migate_status.c); and the start-up
 * warnings and configuration-test messages, which name the server whose
 * config they judge, would name one struct many times.  With the flag
 * every vhost gets its own struct from migate_create_srv, merged with
 * the main server's by migate_merge_srv (SPEC "Directives" scope rules),
 * and its own compiled policy.  httpd before 2.4.30 (MMN 20120211.70)
 * lacks the flag; there a gated main server with vhosts that set
 * nothing of ours shares as described.
 */
AP_DECLARE_MODULE(migate) = {
    STANDARD20_MODULE_STUFF,
    NULL,                       /* per-directory config creator */
    NULL,                       /* per-directory config merger  */
    migate_create_srv,          /* server config creator        */
    migate_merge_srv,           /* server config merger         */
    migate_cmds,                /* command table                */
    migate_register_hooks,      /* hook registration            */
#ifdef AP_MODULE_FLAG_ALWAYS_MERGE
    AP_MODULE_FLAG_ALWAYS_MERGE
#endif
};
