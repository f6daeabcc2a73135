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
#include "http_core.h"
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

/* r->notes: the host of the backend URL a gated request connects to
 * (migate_route.c); c->notes of a backend connection: the host its
 * session was judged for under MiGateBackendTLS strict (migate_ssl.c). */
#define MIGATE_NOTE_BACKEND_HOST "migate-backend-host"
#define MIGATE_NOTE_JUDGED "migate-backend-judged-strict"
/* r->notes: the backend URL the gate judged for r (fixups, then the
 * proxy scheme hook looks again only at a different one). */
#define MIGATE_NOTE_ROUTE_JUDGED "migate-route-judged"

/* MiGateBackendTLS: its words are in one table (migate_config.c). */
typedef enum {
    MIGATE_TLS_OFF = 0,
    MIGATE_TLS_AUDIT,
    MIGATE_TLS_STRICT,
    MIGATE_TLS__COUNT
} migate_tls_mode_e;

/* One rule as written in the configuration, kept so that a vhost can be
 * merged with the main server before the policy is compiled. */
typedef struct {
    migate_rule_kind_e kind;
    const char *pattern;        /* path, regex or service name          */
    migate_methods_t methods;
    int is_service;             /* MiGateAllowService                   */
    const char *where;          /* "file:line" of its directive         */
} migate_rule_spec;

/* What a rule index of a server's policy stands for, recorded as the
 * policy is built (migate_config.c). */
typedef struct {
    const migate_rule_spec *spec;   /* as written, NULL for a built-in  */
    int deny;                       /* a deny rule                      */
    const char *name;               /* what it says: migate_rule_text,
                                       or "builtin:..." (stable across
                                       reloads: counters and metrics)   */
} migate_rule_ref;

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
    apr_array_header_t *rules;  /* migate_rule_ref by rule index        */
    int index;                  /* position among the gated servers:
                                   its counters (migate_counters.c)    */
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
/* How the module names a server, in log lines and on the status page:
 * "ServerName:port" (label), where it is defined ("file:line" or "main
 * server"), and both, "host:port (file:line)" (name). */
const char *migate_vhost_label(apr_pool_t *p, const server_rec *s);
const char *migate_vhost_defined(apr_pool_t *p, const server_rec *s);
const char *migate_vhost_name(apr_pool_t *p, const server_rec *s);
/* Compile every gated server's policy; log start-up warnings. */
int migate_compile_policies(apr_pool_t *p, server_rec *s);
/* The word of a MiGateBackendTLS mode: "strict", "audit", "off". */
const char *migate_tls_mode_name(int mode);
/* The directive that writes a rule: "MiGateAllowExact", "MiGateDeny"... */
const char *migate_rule_directive(const migate_rule_spec *rs, int deny);
/* How a rule reads in the configuration: "MiGateAllow GET,HEAD /api". */
const char *migate_rule_text(apr_pool_t *p, const migate_rule_spec *rs,
                             int deny);
/* What rule index `rule` of sc's compiled policy stands for, or NULL. */
const migate_rule_ref *migate_rule_ref_of(const migate_srv_conf *sc,
                                          int rule);

/* migate_configtest.c: what "apache2 -t" adds to the directives' own
 * checks.  Warnings where the policy cannot mean what it says (deny
 * rules that shadow allow rules or opened services, dropped main-server
 * allow rules, ungated vhosts sharing a gated vhost's address); and,
 * with -D MIGATE_DUMP, each gated vhost's effective policy on stdout. */
void migate_configtest_warn(apr_pool_t *p, server_rec *s);
void migate_configtest_dump(apr_pool_t *p, server_rec *s);
/* "file:line" of the directive in server s's scope (its own or the
 * main server's) that names backend url: ProxyPass, ProxyPassMatch,
 * BalancerMember, ProxySet or <Proxy>; NULL when none does. */
const char *migate_backend_where(apr_pool_t *p, const server_rec *s,
                                 const char *url);

/* migate_outcome.c: one outcome record per request, amended by each
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
    const char *canon;          /* the canonical path the policy judged
                                   (its "canonical" field), or NULL     */
    size_t canon_len;
    int closed;                 /* its line written and counted         */
    int reading;                /* httpd reads it: core logs at debug   */
    const struct ap_logconf *log_before; /* its r->log before that      */
    const char *httpd_said;     /* core's first line for it meanwhile   */
    int httpd_said_numbered;    /* ... that carries an AH number        */
} migate_outcome_rec;

/* The request a redirect or subrequest started from: where the outcome
 * record lives. */
const request_rec *migate_initial_request(const request_rec *r);
/* r's outcome record, made on first use (never NULL). */
migate_outcome_rec *migate_outcome(const request_rec *r);
/* r's outcome record (following internal redirects and subrequests), or
 * NULL when none was made. */
migate_outcome_rec *migate_outcome_find(const request_rec *r);
/* Record a refusal (reported 0) or a report (reported 1).  The first
 * refusal stands; a refusal replaces a report. */
void migate_outcome_refuse(const request_rec *r, migate_reason_e reason,
                           int reported, int rule, const char *detail);
/* Write r's one "blocked" or "reported" line, if any, and count it,
 * once. */
void migate_outcome_close(request_rec *r);
/* The "blocked" (or "reported") reason=backend-tls line of a backend
 * connection that serves no request (a health-check probe): no id, not
 * counted. */
void migate_log_conn_refusal(conn_rec *c, int reported, const char *detail);

/* migate_protocol.c: httpd's own words for a request its core refuses
 * before the gate decides.  pre_read_request: a gated connection's
 * request is read with core logging at level debug for it alone;
 * read_done (post_read_request, or an error response) ends that;
 * heard (error_log) keeps core's first line meanwhile. */
void migate_protocol_pre_read(request_rec *r, conn_rec *c);
int migate_protocol_read_done(request_rec *r);
void migate_protocol_heard(const ap_errorlog_info *info,
                           const char *errstr);
/* What httpd said about r's refusal: its first line, or its
 * "error-notes"; NULL when it said nothing. */
const char *migate_protocol_cause(const request_rec *r);

/* migate_request.c */
int migate_post_read_request(request_rec *r);
/* insert_error_filter: an error response of httpd's core (a refusal
 * before post_read_request) carries the request id too. */
void migate_error_response(request_rec *r);
int migate_generate_log_id(const conn_rec *c, const request_rec *r,
                           const char **id);
int migate_fixups(request_rec *r);
/* Judge the URL mod_proxy will connect to for r ("https://mi/path?q",
 * no "proxy:"): TLS scheme, a valid and canonical target, the
 * always-enforced checks on it (with whole set, the whole policy: no
 * mapping of the operator's ties the client's path to it); an internal
 * redirect's own path.  OK or the refusal's status (the refusal
 * recorded in r's verdict). */
int migate_judge_route(request_rec *r, const char *url, int whole);
int migate_log_transaction(request_rec *r);
/* migate_owned.c: the headers the edge owns toward MI.  Header values
 * and the owned headers of r checked (MIGATE_PASS, or the refusal with
 * the header's name in *detail); r's owned headers removed, or from a
 * trusted peer kept when well-formed (NULL, or the name of the first
 * that is not); MiGateTraceContext's traceparent made from id. */
migate_reason_e migate_check_headers(request_rec *r,
                                     const migate_srv_conf *sc,
                                     const char **detail);
const char *migate_own_inbound(request_rec *r, const migate_srv_conf *sc,
                               int trusted);
void migate_own_traceparent(request_rec *r, const migate_srv_conf *sc,
                            const char *id);
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

/* migate_configtest_backend.c, read by migate_configtest_errdoc.c: the
 * directives called name that act on server s's requests (its section
 * and the main server's directory sections; with top, the main server's
 * own too), as the configuration tree holds them. */
apr_array_header_t *migate_request_directives(apr_pool_t *p,
                                              const server_rec *s,
                                              const char *name, int top);
/* Whether RewriteRule d carries the flag a (or b), any case. */
int migate_rewrite_flag(apr_pool_t *p, const ap_directive_t *d,
                        const char *a, const char *b);
/* The substitution of a RewriteRule with the [P] flag, or NULL. */
const char *migate_rewrite_proxy_target(apr_pool_t *p,
                                        const ap_directive_t *d);

/* migate_configtest_errdoc.c: MIGATE0050, an ErrorDocument of gated
 * server s that would be proxied to MI.  proxy: mod_proxy's module,
 * aliases: s's ProxyPass rules (struct proxy_alias, mod_proxy.h). */
void migate_warn_error_documents(apr_pool_t *p, server_rec *s,
                                 module *proxy,
                                 const apr_array_header_t *aliases);

/* migate_counters.c: the status counters, kept across restarts. */
int migate_counters_post_config(apr_pool_t *pconf, server_rec *s);
/* Count one request of server s under its final verdict, and under the
 * rule that decided it (an index of its policy, or -1: none named). */
void migate_count(const server_rec *s, migate_reason_e reason,
                  int reported, int rule);

/* migate_status.c: the migate-status handler, and mod_status's page. */
int migate_status_handler(request_rec *r);
int migate_status_hook(request_rec *r, int flags);

#endif /* MIGATE_GLUE_H */
