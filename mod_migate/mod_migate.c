/*
 * mod_migate.c - mod_migate's table of contents: the hooks it runs and
 * why each runs where it does.  The work is done elsewhere:
 *
 *   migate_config.c   directives, merge rules, policy compilation
 *   migate_configtest.c  what "apache2 -t" warns about; -D MIGATE_DUMP
 *   migate_request.c  request ids, the gate's decision, the route's URL
 *   migate_owned.c    the headers the edge owns toward MI, applied
 *   migate_outcome.c  each request's outcome: its one line, its count
 *   migate_protocol.c httpd's own words for a request its core refused
 *   migate_route.c    the route mod_proxy takes: its URL, its connection
 *   migate_ssl.c      the TLS policy toward MI, through mod_ssl's hooks
 *   migate_configtest_backend.c  what "apache2 -t" says about backends
 *   migate_configtest_errdoc.c   ... and about error pages from MI
 *   migate_counters.c the status counters, kept across restarts
 *   migate_status.c   the migate-status handler; mod_status's section
 *   migate_describe.c the words for a policy, for the dump and the page
 *   migate_{core,path,rules,trie,regex,meta,uuid,hdr,trace,tls,
 *          tally}.c  the pure core (no httpd)
 */
#define MIGATE_MODULE_FILE
#include "httpd.h"
#include "http_config.h"
#include "http_core.h"
#include "http_log.h"
#include "http_protocol.h"
#include "http_request.h"
#include "mod_status.h"

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
    return migate_counters_post_config(pconf, s);
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
    /* The counters of migate-status: their table is made at the first
     * start and kept across restarts; each (re)start names the entries
     * of its configuration before its children are forked. */
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
    /* While httpd's core reads a gated connection's request, it logs at
     * level debug for that request, and the gate keeps its first line:
     * httpd's own cause when the core refuses the request.  Reading
     * ends at post_read_request (first, before any other module logs)
     * or at the error response. */
    ap_hook_pre_read_request(migate_protocol_pre_read, NULL, NULL,
                             APR_HOOK_MIDDLE);
    ap_hook_error_log(migate_protocol_heard, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_post_read_request(migate_protocol_read_done, NULL, NULL,
                              APR_HOOK_REALLY_FIRST - 1);
    /* An error response of httpd's core carries the request id like
     * every refusal of the gate's. */
    ap_hook_insert_error_filter(migate_error_response, NULL, NULL,
                                APR_HOOK_REALLY_FIRST);
    /* Serve our id to %L in ErrorLogFormat for internal redirects and
     * subrequests, ahead of mod_unique_id. */
    ap_hook_generate_log_id(migate_generate_log_id, NULL, NULL,
                            APR_HOOK_FIRST);
    /* After mod_proxy's fixup has written the backend URL: the first
     * look at what MI will receive, before its handler reads the body
     * (the scheme hook below looks at the connection's URL). */
    ap_hook_fixups(migate_fixups, after_proxy, NULL, APR_HOOK_LAST);
    /* Close each request's outcome before the access log is written:
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
    /* mod_status's server-status: a section with each gated server's
     * totals, where mod_status is loaded. */
    APR_OPTIONAL_HOOK(ap, status_hook, migate_status_hook, NULL, NULL,
                      APR_HOOK_MIDDLE);
    /* mod_proxy: first of all scheme handlers, declining, judge the URL
     * of the connection mod_proxy opens (after the balancer chose its
     * member; SetHandler "proxy:..." too) and note the request for
     * mod_ssl's hooks.  Registered from pre_config, once mod_proxy is
     * loaded (migate_route.c says why). */
    ap_hook_pre_config(migate_route_pre_config, NULL, NULL,
                       APR_HOOK_MIDDLE);
    /* Every backend connection mod_proxy makes gets the MIGATE_BACKEND
     * filter: no strict request on a connection the gate did not judge
     * for it (a pooled one opened under a weaker policy). */
    ap_hook_pre_connection(migate_route_pre_connection, NULL, NULL,
                           APR_HOOK_MIDDLE);
    /* Above mod_ssl's filters (AP_FTYPE_CONNECTION + 5): the request's
     * bytes before they are encrypted. */
    migate_backend_filter =
        ap_register_output_filter("MIGATE_BACKEND",
                                  migate_route_backend_filter, NULL,
                                  AP_FTYPE_CONNECTION);
    /* mod_ssl: force the policy on each proxy SSL context it makes... */
    APR_OPTIONAL_HOOK(ssl, init_server, migate_ssl_init_server, NULL, NULL,
                      APR_HOOK_MIDDLE);
    /* ... take mod_ssl's name check over on each new connection of a
     * strict request, and watch its handshake ... */
    APR_OPTIONAL_HOOK(ssl, pre_handshake, migate_ssl_pre_handshake, NULL,
                      NULL, APR_HOOK_MIDDLE);
    /* ... and judge every finished handshake toward MI. */
    APR_OPTIONAL_HOOK(ssl, proxy_post_handshake,
                      migate_ssl_proxy_post_handshake, NULL, NULL,
                      APR_HOOK_MIDDLE);
    /* mod_proxy: a session the gate or mod_ssl's own checks refused is
     * a bad gateway (502), not the 500 mod_proxy gives every failed
     * handshake. */
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
 * server's own slot without a server (migate_counters.c); and the start-up
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
