/*
 * migate_config.c - per-server configuration: creation with unset
 * sentinels, the merge rules of SPEC "Directives", the directive setters
 * (each validates fully and names itself in its error), the getters that
 * resolve defaults, and the compilation of each gated server's policy.
 */
#include <stdarg.h>
#include <string.h>

#include "httpd.h"
#include "http_config.h"
#include "http_log.h"
#include "apr_strings.h"
#include "apr_lib.h"

#include "migate_glue.h"
#include "migate_uuid.h"

/* ------------------------------------------------------------------ */
/* Defaults                                                           */

/*
 * The defaults of SPEC "Directives", in one place (mod_h2's defconf):
 * a field no server in the chain set keeps its unset sentinel through
 * the merge, and the getters below answer the value from this table.
 * Fields that are lists (rules, trusted proxies) default to empty.
 */
static const migate_srv_conf defconf = {
    .enabled = 0,                       /* MiGate Off                   */
    .report = 0,                        /* MiGateMode enforce           */
    .deny_status = HTTP_FORBIDDEN,      /* MiGateDenyStatus 403         */
    .metadata = 0,                      /* MiGateServiceMetadata Off    */
    .request_id = 1,                    /* MiGateRequestId On           */
    .id_header = "activityid",          /* MiGateRequestIdHeader        */
    .id_version = 4,                    /* MiGateRequestIdVersion 4     */
    .resp_header = "",                  /* MiGateResponseIdHeader Off   */
    .backend_tls = MIGATE_TLS_STRICT,   /* MiGateBackendTLS strict      */
    .trace_context = 0,                 /* MiGateTraceContext Off       */
};

#define CFG_INT(sc, f) ((sc)->f != MIGATE_UNSET ? (sc)->f : defconf.f)
#define CFG_PTR(sc, f) ((sc)->f != NULL ? (sc)->f : defconf.f)

/* ------------------------------------------------------------------ */
/* Creation and merge                                                 */

void *migate_create_srv(apr_pool_t *p, server_rec *s)
{
    migate_srv_conf *sc = apr_pcalloc(p, sizeof(*sc));

    (void)s;
    sc->enabled = MIGATE_UNSET;
    sc->report = MIGATE_UNSET;
    sc->deny_status = MIGATE_UNSET;
    sc->metadata = MIGATE_UNSET;
    sc->request_id = MIGATE_UNSET;
    sc->id_version = MIGATE_UNSET;
    sc->backend_tls = MIGATE_UNSET;
    sc->trace_context = MIGATE_UNSET;
    sc->allow = apr_array_make(p, 4, sizeof(migate_rule_spec));
    sc->deny = apr_array_make(p, 4, sizeof(migate_rule_spec));
    sc->index = -1;
    return sc;
}

#define MERGE_INT(f)  (add->f != MIGATE_UNSET ? add->f : base->f)
#define MERGE_PTR(f)  (add->f != NULL ? add->f : base->f)

/* A vhost inherits every setting it does not make itself; deny rules of
 * the main server are added to the vhost's own; allow rules (and opened
 * services) are inherited only by a vhost that has none of its own. */
void *migate_merge_srv(apr_pool_t *p, void *basev, void *addv)
{
    const migate_srv_conf *base = basev, *add = addv;
    migate_srv_conf *sc = apr_pcalloc(p, sizeof(*sc));

    sc->enabled = MERGE_INT(enabled);
    sc->report = MERGE_INT(report);
    sc->deny_status = MERGE_INT(deny_status);
    sc->metadata = MERGE_INT(metadata);
    sc->request_id = MERGE_INT(request_id);
    sc->id_header = MERGE_PTR(id_header);
    sc->id_version = MERGE_INT(id_version);
    sc->resp_header = MERGE_PTR(resp_header);
    /* the list and its text travel together */
    sc->trusted = add->trusted ? add->trusted : base->trusted;
    sc->trusted_text = add->trusted ? add->trusted_text : base->trusted_text;
    sc->backend_tls = MERGE_INT(backend_tls);
    sc->trace_context = MERGE_INT(trace_context);
    sc->allow = add->allow->nelts ? add->allow : base->allow;
    sc->warn_allow_root = add->allow->nelts ? add->warn_allow_root
                                            : base->warn_allow_root;
    sc->dropped_allow = add->allow->nelts && base->allow->nelts
                        ? base->allow : NULL;
    sc->deny = apr_array_append(p, base->deny, add->deny);
    sc->index = -1;
    return sc;
}

/* ------------------------------------------------------------------ */
/* Effective values                                                   */

int migate_cfg_enabled(const migate_srv_conf *sc)
{
    return CFG_INT(sc, enabled) == 1;
}

int migate_cfg_report(const migate_srv_conf *sc)
{
    return CFG_INT(sc, report) == 1;
}

int migate_cfg_deny_status(const migate_srv_conf *sc)
{
    return CFG_INT(sc, deny_status);
}

int migate_cfg_metadata(const migate_srv_conf *sc)
{
    return CFG_INT(sc, metadata);
}

int migate_cfg_request_id(const migate_srv_conf *sc)
{
    return CFG_INT(sc, request_id) != 0;
}

const char *migate_cfg_id_header(const migate_srv_conf *sc)
{
    return CFG_PTR(sc, id_header);
}

int migate_cfg_id_version(const migate_srv_conf *sc)
{
    return CFG_INT(sc, id_version);
}

const char *migate_cfg_resp_header(const migate_srv_conf *sc)
{
    const char *h = CFG_PTR(sc, resp_header);

    return *h ? h : NULL;
}

int migate_cfg_backend_tls(const migate_srv_conf *sc)
{
    return CFG_INT(sc, backend_tls);
}

int migate_cfg_trace_context(const migate_srv_conf *sc)
{
    return CFG_INT(sc, trace_context) == 1;
}

int migate_cfg_trusted(const migate_srv_conf *sc, const char *ip)
{
    if (!sc->trusted || !ip) {
        return 0;
    }
    return migate_cidr_match((migate_cidr *const *)sc->trusted->elts,
                             sc->trusted->nelts, ip);
}

/* ------------------------------------------------------------------ */
/* Directive setters                                                  */

/* Every setter's error: httpd prefixes file and line, this names the
 * directive, the text says what is wrong with the value. */
static const char *err(cmd_parms *cmd, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static const char *err(cmd_parms *cmd, const char *fmt, ...)
{
    va_list ap;
    const char *msg;

    va_start(ap, fmt);
    msg = apr_pvsprintf(cmd->pool, fmt, ap);
    va_end(ap);
    return apr_pstrcat(cmd->pool, cmd->cmd->name, ": ", msg, NULL);
}

static const char *check_ctx(cmd_parms *cmd)
{
    return ap_check_cmd_context(cmd, NOT_IN_DIR_CONTEXT);
}

/* Directives whose argument is one of a few words set an int field of
 * the server config; the word table and the field travel in cmd->info,
 * in the manner of ap_set_int_slot. */
typedef struct {
    const char *word;
    int value;
} migate_word;

typedef struct {
    apr_size_t field;           /* APR_OFFSETOF(migate_srv_conf, ...)   */
    const migate_word *words;   /* NULL-terminated                      */
} migate_choice;

static const migate_word on_off[] = {
    { "On", 1 }, { "Off", 0 }, { NULL, 0 }
};
static const migate_word modes[] = {
    { "enforce", 0 }, { "report", 1 }, { NULL, 0 }
};
static const migate_word statuses[] = {
    { "403", HTTP_FORBIDDEN }, { "404", HTTP_NOT_FOUND }, { NULL, 0 }
};
static const migate_word versions[] = {
    { "4", 4 }, { "7", 7 }, { NULL, 0 }
};
/* The one table of MiGateBackendTLS's words: the directive, the dump,
 * the status page and the vocabulary test read it. */
static const migate_word tls_modes[] = {
    { "strict", MIGATE_TLS_STRICT }, { "audit", MIGATE_TLS_AUDIT },
    { "off", MIGATE_TLS_OFF }, { NULL, 0 }
};
_Static_assert(sizeof(tls_modes) / sizeof(tls_modes[0])
               == MIGATE_TLS__COUNT + 1,
               "tls_modes: one word for each migate_tls_mode_e");

const char *migate_tls_mode_name(int mode)
{
    const migate_word *w;

    for (w = tls_modes; w->word; w++) {
        if (w->value == mode) {
            return w->word;
        }
    }
    return "-";
}

/* The directives that write rules: the command table below and every
 * text that names a rule (the dump, the status page, configuration-test
 * messages) use these names. */
#define D_ALLOW         "MiGateAllow"
#define D_ALLOW_EXACT   "MiGateAllowExact"
#define D_ALLOW_MATCH   "MiGateAllowMatch"
#define D_ALLOW_TEMPLATE "MiGateAllowTemplate"
#define D_DENY          "MiGateDeny"
#define D_DENY_MATCH    "MiGateDenyMatch"
#define D_ALLOW_SERVICE "MiGateAllowService"

/* By rule kind: the allow directive and the deny one (NULL: none). */
static const char *const rule_directives[][2] = {
    [MIGATE_RULE_PREFIX] = { D_ALLOW, D_DENY },
    [MIGATE_RULE_EXACT] = { D_ALLOW_EXACT, NULL },
    [MIGATE_RULE_REGEX] = { D_ALLOW_MATCH, D_DENY_MATCH },
    [MIGATE_RULE_TEMPLATE] = { D_ALLOW_TEMPLATE, NULL },
};
_Static_assert(sizeof(rule_directives) / sizeof(rule_directives[0])
               == MIGATE_RULE_TEMPLATE + 1,
               "rule_directives: one row for each migate_rule_kind_e "
               "(a new kind needs its directive's name here)");

const char *migate_rule_directive(const migate_rule_spec *rs, int deny)
{
    const char *name;

    if (rs->is_service) {
        return D_ALLOW_SERVICE;
    }
    name = rule_directives[rs->kind][deny ? 1 : 0];
    return name ? name : rule_directives[rs->kind][0];
}

/* Not const: command_rec carries its data as void *. */
#define CHOICE(f, w) { APR_OFFSETOF(migate_srv_conf, f), w }
static migate_choice c_enabled = CHOICE(enabled, on_off);
static migate_choice c_request_id = CHOICE(request_id, on_off);
static migate_choice c_trace = CHOICE(trace_context, on_off);
static migate_choice c_mode = CHOICE(report, modes);
static migate_choice c_status = CHOICE(deny_status, statuses);
static migate_choice c_version = CHOICE(id_version, versions);
static migate_choice c_tls = CHOICE(backend_tls, tls_modes);

/* "strict, audit or off": a word table as an error message says it. */
static const char *words_text(apr_pool_t *p, const migate_word *words)
{
    const char *s = "";
    const migate_word *w;

    for (w = words; w->word; w++) {
        s = apr_pstrcat(p, s, w == words ? "" : w[1].word ? ", " : " or ",
                        w->word, NULL);
    }
    return s;
}

static const char *set_choice(cmd_parms *cmd, void *dc, const char *arg)
{
    const migate_choice *ch = cmd->info;
    const migate_word *w;
    const char *e = check_ctx(cmd);

    (void)dc;
    if (e) {
        return e;
    }
    for (w = ch->words; w->word; w++) {
        if (!strcasecmp(arg, w->word)) {
            *(int *)((char *)migate_srv(cmd->server) + ch->field) = w->value;
            return NULL;
        }
    }
    return err(cmd, "'%s' is not allowed: use %s", arg,
               words_text(cmd->temp_pool, ch->words));
}

/* MiGateServiceMetadata On | Off | kind [kind ...] */
static const char *set_metadata(cmd_parms *cmd, void *dc, int argc,
                                char *const argv[])
{
    migate_srv_conf *sc = migate_srv(cmd->server);
    const char *e = check_ctx(cmd);
    unsigned kinds = 0;
    int i;

    (void)dc;
    if (e) {
        return e;
    }
    if (argc == 0) {
        return err(cmd, "takes On, Off, or a list of kinds (wsdl wsdl2 "
                   "xsd info swagger policy)");
    }
    if (argc == 1 && !strcasecmp(argv[0], "On")) {
        sc->metadata = (int)MIGATE_META_ALL;
        return NULL;
    }
    if (argc == 1 && !strcasecmp(argv[0], "Off")) {
        sc->metadata = 0;
        return NULL;
    }
    for (i = 0; i < argc; i++) {
        unsigned k = migate_metadata_kind(argv[i]);
        if (!k) {
            return err(cmd, "unknown kind '%s': use On, Off, or kinds "
                       "among wsdl wsdl2 xsd info swagger policy%s",
                       argv[i],
                       (!strcasecmp(argv[i], "On")
                        || !strcasecmp(argv[i], "Off"))
                       ? " (On and Off stand alone)" : "");
        }
        kinds |= k;
    }
    sc->metadata = (int)kinds;
    return NULL;
}

/* Keep a rule as written, with the file and line that name it in
 * refusal lines and on the status page. */
static void rule_push(cmd_parms *cmd, apr_array_header_t *list,
                      migate_rule_kind_e kind, const char *pattern,
                      migate_methods_t methods, int is_service)
{
    migate_rule_spec *rs = apr_array_push(list);

    rs->kind = kind;
    rs->pattern = pattern;
    rs->methods = methods;
    rs->is_service = is_service;
    rs->where = apr_psprintf(cmd->pool, "%s:%d",
                             cmd->directive->filename,
                             cmd->directive->line_num);
}

/* [METHODS] pattern, for the three allow directives. */
static const char *add_allow(cmd_parms *cmd, void *dc, const char *a1,
                             const char *a2)
{
    migate_srv_conf *sc = migate_srv(cmd->server);
    const char *pattern = a2 ? a2 : a1;
    const char *why, *e = check_ctx(cmd);
    migate_methods_t methods = MIGATE_METHODS_ANY;
    migate_rule_kind_e kind = (migate_rule_kind_e)(long)cmd->info;

    (void)dc;
    if (e) {
        return e;
    }
    if (a2) {
        const char *bad;
        size_t bad_len;

        why = migate_methods_parse(a1, &methods, &bad, &bad_len);
        if (why) {
            return err(cmd, "method '%.*s' in '%s': %s", (int)bad_len, bad,
                       a1, why);
        }
    }
    why = migate_rule_check(cmd->pool, kind, pattern);
    if (why) {
        return err(cmd, "'%s': %s", pattern, why);
    }
    if (kind == MIGATE_RULE_PREFIX && !strcmp(pattern, "/")) {
        sc->warn_allow_root = 1;
    }
    rule_push(cmd, sc->allow, kind, pattern, methods, 0);
    return NULL;
}

static const char *add_deny(cmd_parms *cmd, void *dc, const char *arg)
{
    migate_srv_conf *sc = migate_srv(cmd->server);
    migate_rule_kind_e kind = (migate_rule_kind_e)(long)cmd->info;
    const char *why, *e = check_ctx(cmd);

    (void)dc;
    if (e) {
        return e;
    }
    why = migate_rule_check(cmd->pool, kind, arg);
    if (why) {
        return err(cmd, "'%s': %s", arg, why);
    }
    rule_push(cmd, sc->deny, kind, arg, MIGATE_METHODS_ANY, 0);
    return NULL;
}

static const char *add_service(cmd_parms *cmd, void *dc, const char *arg)
{
    migate_srv_conf *sc = migate_srv(cmd->server);
    const char *why, *e = check_ctx(cmd);

    (void)dc;
    if (e) {
        return e;
    }
    why = migate_service_name_check(cmd->pool, arg);
    if (why) {
        return err(cmd, "'%s': %s", arg, why);
    }
    rule_push(cmd, sc->allow, MIGATE_RULE_EXACT, arg, MIGATE_METHODS_ANY, 1);
    return NULL;
}

/* A header name is an HTTP token (RFC 9110 tchar). */
static int is_token(const char *s)
{
    if (!*s) {
        return 0;
    }
    for (; *s; s++) {
        if (!apr_isalnum(*s) && !strchr("!#$%&'*+-.^_`|~", *s)) {
            return 0;
        }
    }
    return 1;
}

/*
 * Header names the request id must never be written into: framing and
 * hop-by-hop headers (overwriting them desynchronises httpd, mod_proxy
 * and MI), credentials and cookies (the id would replace the client's).
 * Any case, '_' for '-'; an entry ending in '-' stands for every name
 * that starts with it.  The headers the gate owns toward MI are judged
 * by their own table (migate_owned).
 */
static const char *const reserved_headers[] = {
    "Host", "Content-Length", "Transfer-Encoding", "Connection", "Upgrade",
    "TE", "Trailer", "Keep-Alive", "Proxy-", "Set-Cookie", "Cookie",
    "Authorization",
};

/* NULL, or why arg cannot carry the request id. */
static const char *header_name_check(cmd_parms *cmd, const char *arg)
{
    const migate_owned_hdr *o;
    size_t i, len = strlen(arg);

    if (!is_token(arg)) {
        return err(cmd, "'%s' is not a valid header name", arg);
    }
    for (i = 0; i < sizeof(reserved_headers) / sizeof(*reserved_headers);
         i++) {
        const char *h = reserved_headers[i];
        size_t n = strlen(h);
        int prefix = h[n - 1] == '-';

        if (migate_hdr_name_eq(arg, len, h, n, prefix)) {
            return err(cmd, "'%s': the request id may not overwrite %s%s",
                       arg, h, prefix ? "* headers" : "");
        }
    }
    /* An owned header that says something else to MI (an address, a
     * route, another tracer's format) cannot carry a UUID; the id and
     * correlation headers can. */
    o = migate_owned_lookup(arg, len);
    if (o && !(o->flags & MIGATE_OWN_F_ID)) {
        return err(cmd, "'%s': the request id may not overwrite %s%s, a "
                   "header the gate owns toward MI for what it says",
                   arg, o->name,
                   (o->flags & MIGATE_OWN_F_PREFIX) ? "*" : "");
    }
    return NULL;
}

static const char *set_id_header(cmd_parms *cmd, void *dc, const char *arg)
{
    migate_srv_conf *sc = migate_srv(cmd->server);
    const char *e = check_ctx(cmd);

    (void)dc;
    if (e || (e = header_name_check(cmd, arg)) != NULL) {
        return e;
    }
    sc->id_header = arg;
    return NULL;
}

static const char *set_resp_header(cmd_parms *cmd, void *dc,
                                   const char *arg)
{
    migate_srv_conf *sc = migate_srv(cmd->server);
    const char *e = check_ctx(cmd);

    (void)dc;
    if (e) {
        return e;
    }
    if (!strcasecmp(arg, "Off")) {
        sc->resp_header = "";
        return NULL;
    }
    if ((e = header_name_check(cmd, arg)) != NULL) {
        return e;
    }
    sc->resp_header = arg;
    return NULL;
}

static const char *add_trusted(cmd_parms *cmd, void *dc, const char *arg)
{
    migate_srv_conf *sc = migate_srv(cmd->server);
    migate_cidr *net;
    const char *why, *e = check_ctx(cmd);

    (void)dc;
    if (e) {
        return e;
    }
    why = migate_cidr_parse(cmd->pool, arg, &net);
    if (why) {
        return err(cmd, "'%s': %s", arg, why);
    }
    if (!sc->trusted) {
        sc->trusted = apr_array_make(cmd->pool, 4, sizeof(migate_cidr *));
        sc->trusted_text = apr_array_make(cmd->pool, 4, sizeof(char *));
    }
    *(migate_cidr **)apr_array_push(sc->trusted) = net;
    *(const char **)apr_array_push(sc->trusted_text) = arg;
    return NULL;
}

const command_rec migate_cmds[] = {
    AP_INIT_TAKE1("MiGate", set_choice, &c_enabled, RSRC_CONF,
        "Turn the MI gate on or off for this server or virtual host"),
    AP_INIT_TAKE1("MiGateMode", set_choice, &c_mode, RSRC_CONF,
        "enforce (default) refuses requests no allow rule matches; report "
        "logs and passes them"),
    AP_INIT_TAKE12(D_ALLOW, add_allow, (void *)MIGATE_RULE_PREFIX,
        RSRC_CONF,
        "Allow a path prefix, segment-aware, optionally for listed methods: "
        "[GET,POST] /prefix"),
    AP_INIT_TAKE12(D_ALLOW_EXACT, add_allow, (void *)MIGATE_RULE_EXACT,
        RSRC_CONF,
        "Allow one exact path, optionally for listed methods: [GET] /path"),
    AP_INIT_TAKE12(D_ALLOW_TEMPLATE, add_allow,
        (void *)MIGATE_RULE_TEMPLATE, RSRC_CONF,
        "Allow the paths of an MI API resource's uri-template, optionally "
        "for listed methods: [GET] /orders/{id}"),
    AP_INIT_TAKE12(D_ALLOW_MATCH, add_allow, (void *)MIGATE_RULE_REGEX,
        RSRC_CONF,
        "Allow canonical paths matching a PCRE2 regex, optionally for "
        "listed methods: [GET] regex"),
    AP_INIT_TAKE1(D_DENY, add_deny, (void *)MIGATE_RULE_PREFIX,
        RSRC_CONF,
        "Deny a path prefix (case-insensitive) over every allow rule"),
    AP_INIT_TAKE1(D_DENY_MATCH, add_deny, (void *)MIGATE_RULE_REGEX,
        RSRC_CONF,
        "Deny paths matching a PCRE2 regex (case-insensitive) over every "
        "allow rule"),
    AP_INIT_ITERATE(D_ALLOW_SERVICE, add_service, NULL, RSRC_CONF,
        "Open the named MI proxy services under /services (never admin "
        "services)"),
    AP_INIT_TAKE_ARGV("MiGateServiceMetadata", set_metadata, NULL,
        RSRC_CONF,
        "Let metadata queries reach opened services: On, Off (default), or "
        "the kinds among wsdl wsdl2 xsd info swagger policy"),
    AP_INIT_TAKE1("MiGateDenyStatus", set_choice, &c_status, RSRC_CONF,
        "Status for requests the policy refuses: 403 (default) or 404"),
    AP_INIT_TAKE1("MiGateRequestId", set_choice, &c_request_id, RSRC_CONF,
        "Give each request a UUID (default On)"),
    AP_INIT_TAKE1("MiGateRequestIdHeader", set_id_header, NULL, RSRC_CONF,
        "Request header that carries the UUID to MI (default activityid)"),
    AP_INIT_TAKE1("MiGateRequestIdVersion", set_choice, &c_version,
        RSRC_CONF,
        "UUID version of request ids: 4 (random, default) or 7 "
        "(time-ordered)"),
    AP_INIT_TAKE1("MiGateResponseIdHeader", set_resp_header, NULL,
        RSRC_CONF,
        "Also return the request id to the client in this response header "
        "(default Off)"),
    AP_INIT_ITERATE("MiGateTrustedProxy", add_trusted, NULL, RSRC_CONF,
        "Peers (CIDR) whose request id, X-Forwarded-* and trace context "
        "are kept when well-formed"),
    AP_INIT_TAKE1("MiGateBackendTLS", set_choice, &c_tls, RSRC_CONF,
        "Policy for TLS toward MI: strict (default), audit or off"),
    AP_INIT_TAKE1("MiGateTraceContext", set_choice, &c_trace, RSRC_CONF,
        "Send MI a W3C traceparent made from the request id (default "
        "Off)"),
    {NULL}
};

/* ------------------------------------------------------------------ */
/* Policy compilation                                                 */

/* The rule indexes the policy named since the last call come from rs
 * (NULL: built-in ones): sc->rules maps each index to the rule as
 * written and to its name in counters and metrics.  Each add names one
 * index, in call order (migate_rules.h); this records what it named,
 * rather than assuming how many. */
static void note_rules(apr_pool_t *p, migate_srv_conf *sc,
                       const migate_policy *pol, const migate_rule_spec *rs,
                       int deny)
{
    while (sc->rules->nelts < migate_policy_rule_count(pol)) {
        migate_rule_ref *ref = apr_array_push(sc->rules);

        ref->spec = rs;
        ref->deny = deny;
        ref->name = rs ? migate_rule_text(p, rs, deny)
                  : migate_policy_rule_name(pol, sc->rules->nelts - 1);
    }
}

static const char *build_policy(apr_pool_t *p, migate_srv_conf *sc)
{
    migate_policy *pol = migate_policy_make(p);
    const char *why;
    int i;

    sc->rules = apr_array_make(p, 32, sizeof(migate_rule_ref));
    note_rules(p, sc, pol, NULL, 0);

    for (i = 0; i < sc->allow->nelts; i++) {
        migate_rule_spec *rs = &APR_ARRAY_IDX(sc->allow, i,
                                              migate_rule_spec);
        why = rs->is_service
            ? migate_policy_service(pol, rs->pattern, rs->where)
            : migate_policy_allow(pol, rs->kind, rs->pattern, rs->methods,
                                  rs->where);
        if (why) {
            return why;
        }
        note_rules(p, sc, pol, rs, 0);
    }
    for (i = 0; i < sc->deny->nelts; i++) {
        migate_rule_spec *rs = &APR_ARRAY_IDX(sc->deny, i, migate_rule_spec);
        why = migate_policy_deny(pol, rs->kind, rs->pattern, rs->where);
        if (why) {
            return why;
        }
        note_rules(p, sc, pol, rs, 1);
    }
    migate_policy_set_metadata_kinds(pol,
                                     (unsigned)migate_cfg_metadata(sc));
    migate_policy_compile(pol);
    sc->policy = pol;
    return NULL;
}

/* httpd's canonical port first (ServerName's, as ap_get_server_port
 * answers with UseCanonicalName On), else the port the vhost listens on,
 * from its first address; none for <VirtualHost *:*>. */
const char *migate_vhost_label(apr_pool_t *p, const server_rec *s)
{
    const char *name = s->server_hostname ? s->server_hostname : "*";
    unsigned port = s->port ? (unsigned)s->port
                  : s->addrs ? (unsigned)s->addrs->host_port : 0;

    return port ? apr_psprintf(p, "%s:%u", name, port) : name;
}

const char *migate_vhost_defined(apr_pool_t *p, const server_rec *s)
{
    if (!s->defn_name) {
        return "main server";
    }
    return apr_psprintf(p, "%s:%u", s->defn_name, s->defn_line_number);
}

const char *migate_vhost_name(apr_pool_t *p, const server_rec *s)
{
    return apr_psprintf(p, "%s (%s)", migate_vhost_label(p, s),
                        migate_vhost_defined(p, s));
}

int migate_compile_policies(apr_pool_t *p, server_rec *s)
{
    server_rec *vs;
    int gated = 0;

    for (vs = s; vs; vs = vs->next) {
        migate_srv_conf *sc = migate_srv(vs);
        const char *why;

        if (!migate_cfg_enabled(sc)) {
            continue;
        }
        why = build_policy(p, sc);
        if (why) {
            ap_log_error(APLOG_MARK, APLOG_STARTUP | APLOG_CRIT, 0, s,
                         "MIGATE0002: policy of %s: %s",
                         migate_vhost_name(p, vs), why);
            return !OK;
        }
        sc->index = gated++;
        if (migate_policy_allow_count(sc->policy) == 0) {
            ap_log_error(APLOG_MARK, APLOG_WARNING, 0, vs,
                         "MIGATE0003: MiGate On in %s with no allow rule: "
                         "every request will be refused%s",
                         migate_vhost_name(p, vs),
                         migate_cfg_report(sc) ? " (report mode: logged)"
                                               : "");
        }
        if (sc->warn_allow_root) {
            ap_log_error(APLOG_MARK, APLOG_WARNING, 0, vs,
                         "MIGATE0004: MiGateAllow / in %s allows every "
                         "path; only the built-in denies, MiGateDeny rules "
                         "and the /services block still apply",
                         migate_vhost_name(p, vs));
        }
    }
    return OK;
}

const char *migate_rule_text(apr_pool_t *p, const migate_rule_spec *rs,
                             int deny)
{
    const char *name = migate_rule_directive(rs, deny), *methods = "";
    int i;

    for (i = 0; rs->methods != MIGATE_METHODS_ANY && migate_method_name(i);
         i++) {
        if (rs->methods & ((migate_methods_t)1 << i)) {
            methods = apr_pstrcat(p, methods, *methods ? "," : "",
                                  migate_method_name(i), NULL);
        }
    }
    return apr_pstrcat(p, name, " ", methods, *methods ? " " : "",
                       rs->pattern, NULL);
}

const migate_rule_ref *migate_rule_ref_of(const migate_srv_conf *sc,
                                          int rule)
{
    if (!sc->rules || rule < 0 || rule >= sc->rules->nelts) {
        return NULL;
    }
    return &APR_ARRAY_IDX(sc->rules, rule, migate_rule_ref);
}
