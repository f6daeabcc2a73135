/*
 * migate_glue.h - what the httpd-facing files of mod_migate share: the
 * per-server configuration, the per-request state, and the entry points
 * that mod_migate.c registers as hooks.
 */
#ifndef MIGATE_GLUE_H
#define MIGATE_GLUE_H

#include "httpd.h"
#include "http_config.h"
#include "http_log.h"
#include "util_filter.h"
#include "apr_tables.h"

#include "migate_core.h"
#include "migate_rules.h"
#include "migate_hdr.h"

/* mod_migate.c defines the module with AP_DECLARE_MODULE, which does
 * this itself; every other glue file logs as module "migate". */
#if defined(APLOG_USE_MODULE) && !defined(MIGATE_MODULE_FILE)
APLOG_USE_MODULE(migate);
#endif

extern module AP_MODULE_DECLARE_DATA migate_module;

#define MIGATE_UNSET (-1)

/* MiGateBackendTLS */
#define MIGATE_TLS_OFF    0
#define MIGATE_TLS_AUDIT  1
#define MIGATE_TLS_STRICT 2

/* One rule as written in the configuration, kept so that a vhost can be
 * merged with the main server before the policy is compiled. */
typedef struct {
    migate_rule_kind_e kind;
    const char *pattern;        /* path, regex or service name          */
    migate_methods_t methods;
    int is_service;             /* MiGateAllowService                   */
    const char *where;          /* "file:line" of its directive         */
} migate_rule_spec;

typedef struct {
    int enabled;                /* MiGate                               */
    int report;                 /* MiGateMode report                    */
    int deny_status;            /* MiGateDenyStatus                     */
    int metadata;               /* MiGateServiceMetadata: MIGATE_META_*
                                   kinds (0 Off, MIGATE_META_ALL On)    */
    int request_id;             /* MiGateRequestId                      */
    const char *id_header;      /* MiGateRequestIdHeader                */
    int id_version;             /* MiGateRequestIdVersion               */
    const char *resp_header;    /* MiGateResponseIdHeader ("" = Off)    */
    apr_array_header_t *trusted;/* MiGateTrustedProxy: migate_cidr *    */
    apr_array_header_t *trusted_text; /* the same, as written: char *   */
    int backend_tls;            /* MiGateBackendTLS                     */
    int trace_context;          /* MiGateTraceContext                   */
    apr_array_header_t *allow;  /* migate_rule_spec, allow + services   */
    apr_array_header_t *deny;   /* migate_rule_spec                     */
    int warn_allow_root;        /* "MiGateAllow /" seen                 */
    apr_array_header_t *dropped_allow; /* the main server's allow rules a
                                   vhost with its own does not get, or
                                   NULL (configuration test notice)     */

    /* Resolved at post_config, read-only afterwards. */
    migate_policy *policy;
    int index;                  /* position among the gated servers:
                                   its block of status counters        */
} migate_srv_conf;

/* Effective values: defaults resolved in one place (mod_h2 style). */
int migate_cfg_enabled(const migate_srv_conf *sc);
int migate_cfg_report(const migate_srv_conf *sc);
int migate_cfg_deny_status(const migate_srv_conf *sc);
int migate_cfg_metadata(const migate_srv_conf *sc);
int migate_cfg_request_id(const migate_srv_conf *sc);
const char *migate_cfg_id_header(const migate_srv_conf *sc);
int migate_cfg_id_version(const migate_srv_conf *sc);
const char *migate_cfg_resp_header(const migate_srv_conf *sc);
int migate_cfg_backend_tls(const migate_srv_conf *sc);
int migate_cfg_trusted(const migate_srv_conf *sc, const char *ip);
int migate_cfg_trace_context(const migate_srv_conf *sc);

#define migate_srv(s) \
    ((migate_srv_conf *)ap_get_module_config((s)->module_config, \
                                             &migate_module))

/* migate_config.c */
void *migate_create_srv(apr_pool_t *p, server_rec *s);
void *migate_merge_srv(apr_pool_t *p, void *basev, void *addv);
extern const command_rec migate_cmds[];
/* "host:port (file:line)" naming a server in start-up messages. */
const char *migate_vhost_name(apr_pool_t *p, const server_rec *s);
/* Compile every gated server's policy; log start-up warnings. */
int migate_compile_policies(apr_pool_t *p, server_rec *s);
/* How a rule reads in the configuration: "MiGateAllow GET,HEAD /api". */
const char *migate_rule_text(apr_pool_t *p, const migate_rule_spec *rs,
                             int deny);

/* migate_configtest.c: what "apache2 -t" adds to the directives' own
 * checks.  Warnings where the policy cannot mean what it says (deny
 * rules that shadow allow rules or opened services, dropped main-server
 * allow rules, ungated vhosts sharing a gated vhost's address); and,
 * with -D MIGATE_DUMP, each gated vhost's effective policy on stdout. */
void migate_configtest_warn(apr_pool_t *p, server_rec *s);
void migate_configtest_dump(apr_pool_t *p, server_rec *s);

/* migate_verdict.c: one verdict record per request, amended by each
 * phase that judges it; the one "blocked" line and the one count are
 * written from there, when the request is logged. */
typedef struct {
    const char *id;             /* the request id, or NULL              */
    int seen;                   /* post_read_request judged it          */
    migate_reason_e reason;     /* MIGATE_PASS or the refusal           */
    int reported;               /* report or audit mode: logged, passed */
    int rule;                   /* what decided: an index of the
                                   server's policy (rule names), or -1  */
    const char *detail;         /* what the line adds, or NULL          */
    int closed;                 /* its line written and counted         */
} migate_verdict_rec;

/* The request a redirect or subrequest started from: where the verdict
 * record lives. */
const request_rec *migate_initial_request(const request_rec *r);
/* r's verdict record, made on first use (never NULL). */
migate_verdict_rec *migate_verdict(const request_rec *r);
/* r's verdict record (following internal redirects and subrequests), or
 * NULL when none was made. */
migate_verdict_rec *migate_verdict_find(const request_rec *r);
/* Record a refusal (reported 0) or a report (reported 1).  The first
 * refusal stands; a refusal replaces a report. */
void migate_verdict_refuse(const request_rec *r, migate_reason_e reason,
                           int reported, int rule, const char *detail);
/* Write r's one "blocked" line, if any, and count it, once. */
void migate_verdict_close(request_rec *r);
/* The "blocked reason=backend-tls" line of a backend connection that
 * serves no request (a health-check probe): no id, not counted. */
void migate_log_conn_refusal(conn_rec *c, int reported, const char *detail);

/* migate_request.c */
int migate_post_read_request(request_rec *r);
int migate_generate_log_id(const conn_rec *c, const request_rec *r,
                           const char **id);
int migate_fixups(request_rec *r);
int migate_log_transaction(request_rec *r);
/* Removes owned headers from a gated request's trailers. */
#define MIGATE_TRAILERS_FILTER "MIGATE_TRAILERS"
apr_status_t migate_trailers_filter(ap_filter_t *f, apr_bucket_brigade *bb,
                                    ap_input_mode_t mode,
                                    apr_read_type_e block,
                                    apr_off_t readbytes);

/* migate_ssl.c: the backend TLS policy (its mod_ssl hooks are declared
 * in migate_ssl.h). */
int migate_check_backends(apr_pool_t *pconf, apr_pool_t *plog,
                          apr_pool_t *ptemp, server_rec *s);
/* The SSLProxy* settings of server s as mod_ssl reads them and what the
 * strict policy forces instead, as lines for -D MIGATE_DUMP. */
apr_array_header_t *migate_ssl_dump(apr_pool_t *p, const server_rec *s);

/* migate_status.c: counters and the migate-status handler. */
int migate_status_post_config(apr_pool_t *pconf, server_rec *s);
/* Count one request of server s under its final verdict, and under the
 * rule that decided it (an index of its policy, or -1: none named). */
void migate_count(const server_rec *s, migate_reason_e reason,
                  int reported, int rule);
int migate_status_handler(request_rec *r);

#endif /* MIGATE_GLUE_H */
