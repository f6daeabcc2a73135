/*
 * migate_configtest_backend.c - what "apache2 -t" says about the way a
 * gated server reaches MI: the backends it names (ProxyPass, workers,
 * balancer members, literal RewriteRule [P] targets) must be TLS under
 * MiGateBackendTLS strict, mod_ssl must be there to speak it, and the
 * mappings the gate cannot judge alone are named (an ErrorDocument that
 * would be proxied, a worker whose pool another policy shares, an
 * IP-literal backend).  It also prints, for -D MIGATE_DUMP, the
 * SSLProxy* settings the strict policy overrides.
 *
 * mod_ssl and mod_rewrite keep their settings in server configs they do
 * not export, so this file reads them where mod_info does: the
 * configuration tree (ap_conftree), with <IfModule>, <IfDefine>, Define
 * and Include already resolved.  mod_proxy's own configuration is read
 * directly (mod_proxy.h exports it).  Runs in check_config
 * (mod_migate.c), where "apache2 -t" sees it.
 */
#include <string.h>

#include "httpd.h"
#include "http_config.h"
#include "http_core.h"
#include "http_log.h"
#include "util_cfgtree.h"
#include "apr_hash.h"
#include "apr_strings.h"
#include "apr_uri.h"

#include "mod_proxy.h"

#include "migate_glue.h"
#include "migate_tls.h"

#include <arpa/inet.h>

/* ------------------------------------------------------------------ */
/* The configuration tree                                             */

/*
 * A vhost's settings are the directives inside its <VirtualHost>
 * section (found by the file and line httpd recorded for it); mod_ssl
 * merges each SSLProxy* setting as "the vhost's own, else the main
 * server's" (cfgMerge), which is what server_directives answers.
 * Within one scope the last one wins.
 */
static void collect_directives(const ap_directive_t *d, const char *name,
                               apr_array_header_t *out)
{
    for (; d; d = d->next) {
        if (!strcasecmp(d->directive, name)) {
            APR_ARRAY_PUSH(out, const ap_directive_t *) = d;
        }
        else if (d->first_child && strcasecmp(d->directive,
                                              "<VirtualHost")) {
            collect_directives(d->first_child, name, out);
        }
    }
}

static const ap_directive_t *vhost_section(const ap_directive_t *d,
                                           const server_rec *s)
{
    const ap_directive_t *found;

    for (; d; d = d->next) {
        if (!strcasecmp(d->directive, "<VirtualHost")) {
            if (d->line_num == (int)s->defn_line_number && d->filename
                && s->defn_name && !strcmp(d->filename, s->defn_name)) {
                return d;
            }
        }
        else if (d->first_child
                 && (found = vhost_section(d->first_child, s)) != NULL) {
            return found;
        }
    }
    return NULL;
}

/* The directives called name that set server s's value; *inherited
 * tells whether they are the main server's. */
static apr_array_header_t *server_directives(apr_pool_t *p,
                                             const server_rec *s,
                                             const char *name,
                                             int *inherited)
{
    apr_array_header_t *out = apr_array_make(p, 2,
                                             sizeof(const ap_directive_t *));
    const ap_directive_t *vh;

    *inherited = 0;
    if (s->is_virtual) {
        vh = vhost_section(ap_conftree, s);
        if (vh) {
            collect_directives(vh->first_child, name, out);
        }
        if (out->nelts) {
            return out;
        }
        *inherited = 1;
    }
    collect_directives(ap_conftree, name, out);
    return out;
}

/* The directives called name that act on server s's requests from a
 * directory context (<Directory>, <Location>, <Files>, <If>, ...) or
 * from the server itself: those of its own section, and the main
 * server's sections (a vhost's directory configuration is merged with
 * the main server's).  With top set, also the main server's own
 * top-level ones (RewriteOptions Inherit). */
apr_array_header_t *migate_request_directives(apr_pool_t *p,
                                              const server_rec *s,
                                              const char *name, int top)
{
    apr_array_header_t *out = apr_array_make(p, 4,
                                             sizeof(const ap_directive_t *));
    const ap_directive_t *d;

    if (s->is_virtual) {
        const ap_directive_t *vh = vhost_section(ap_conftree, s);
        if (vh) {
            collect_directives(vh->first_child, name, out);
        }
    }
    for (d = ap_conftree; d; d = d->next) {
        if (!strcasecmp(d->directive, name)) {
            if (top || !s->is_virtual) {
                APR_ARRAY_PUSH(out, const ap_directive_t *) = d;
            }
        }
        else if (d->first_child && strcasecmp(d->directive,
                                              "<VirtualHost")) {
            collect_directives(d->first_child, name, out);
        }
    }
    return out;
}

/* Whether mod_ssl is loaded and SSLProxyEngine is on for server s. */
static int proxy_engine_on(apr_pool_t *p, const server_rec *s)
{
    apr_array_header_t *d;
    int inherited;

    if (!ap_find_linked_module("mod_ssl.c")) {
        return 0;
    }
    d = server_directives(p, s, "SSLProxyEngine", &inherited);
    return d->nelts > 0
        && !strcasecmp(APR_ARRAY_IDX(d, d->nelts - 1,
                                     const ap_directive_t *)->args, "on");
}

apr_array_header_t *migate_ssl_dump(apr_pool_t *p, const server_rec *s)
{
    /* What the strict policy forces on a proxy connection (migate_ssl.c:
     * migate_tls_force_ctx, migate_verify, the gate's own name check). */
    static const struct {
        const char *name;
        const char *forced;
    } ds[] = {
        { "SSLProxyEngine", NULL },
        { "SSLProxyProtocol", "TLS 1.2 minimum (TLSv1.2, TLSv1.3 only)" },
        { "SSLProxyCipherSuite", "TLS 1.2 " MIGATE_TLS12_CIPHERS
                                 "; TLS 1.3 " MIGATE_TLS13_SUITES },
        { "SSLProxyVerify", "require: a verified chain (X509_V_OK)" },
        { "SSLProxyCheckPeerName", "replaced: the gate checks the "
                                   "configured backend host "
                                   "(X509_check_host, X509_check_ip_asc)" },
    };
    apr_array_header_t *lines = apr_array_make(p, 8, sizeof(char *));
    int strict = migate_cfg_backend_tls(migate_srv(s)) == MIGATE_TLS_STRICT;
    size_t i;

    if (!ap_find_linked_module("mod_ssl.c")) {
        APR_ARRAY_PUSH(lines, const char *) = "mod_ssl is not loaded";
        return lines;
    }
    for (i = 0; i < sizeof(ds) / sizeof(ds[0]); i++) {
        int inherited, k;
        apr_array_header_t *d = server_directives(p, s, ds[i].name,
                                                  &inherited);
        const char *forced = strict && ds[i].forced
            ? apr_pstrcat(p, " -> forced: ", ds[i].forced, NULL) : "";

        if (!d->nelts) {
            APR_ARRAY_PUSH(lines, const char *) =
                apr_psprintf(p, "%s not set (mod_ssl's default)%s",
                             ds[i].name, forced);
        }
        for (k = 0; k < d->nelts; k++) {
            const ap_directive_t *x = APR_ARRAY_IDX(d, k,
                                                    const ap_directive_t *);
            APR_ARRAY_PUSH(lines, const char *) =
                apr_psprintf(p, "%s %s (%s:%d%s)%s", x->directive, x->args,
                             x->filename, x->line_num,
                             inherited ? ", from the main server" : "",
                             forced);
        }
    }
    return lines;
}

/* ------------------------------------------------------------------ */
/* The backends of a gated server                                     */

static const char *worker_name(const proxy_worker *w)
{
    if (w == NULL || w->s == NULL) {
        return NULL;
    }
    /* name_ex holds names longer than name (httpd 2.4.56 and later). */
    return w->s->name_ex[0] ? w->s->name_ex : w->s->name;
}

/* One server's walk: the plain targets seen so far, so that a target
 * that is both a ProxyPass and its worker is named once, and the first
 * TLS target. */
typedef struct {
    server_rec *s;
    apr_pool_t *p;
    apr_hash_t *seen;
    int bad;
    const char *tls;            /* an https://, wss:// or h2:// target */
} backend_walk;

static const char *target_key(apr_pool_t *p, const char *url)
{
    apr_uri_t u;
    const char *path;
    char *scheme, *host;
    size_t len;

    if (apr_uri_parse(p, url, &u) != APR_SUCCESS || !u.scheme
        || !u.hostname) {
        return url;
    }
    path = u.path ? u.path : "";
    len = strlen(path);
    while (len > 0 && path[len - 1] == '/') {
        len--;
    }
    scheme = apr_pstrdup(p, u.scheme);
    host = apr_pstrdup(p, u.hostname);
    ap_str_tolower(scheme);
    ap_str_tolower(host);
    return apr_psprintf(p, "%s://%s:%u%.*s", scheme, host,
                        u.port_str ? (unsigned)u.port
                                   : migate_url_default_port(url),
                        (int)len, path);
}

/* Whether host is an IPv4 or IPv6 literal (bracketed or not). */
static int is_ip_literal(const char *host)
{
    unsigned char addr[16];
    char buf[64];
    size_t len = host ? strlen(host) : 0;

    if (len >= sizeof(buf)) {
        return 0;
    }
    if (len > 2 && host[0] == '[' && host[len - 1] == ']') {
        memcpy(buf, host + 1, len - 2);
        buf[len - 2] = '\0';
        host = buf;
    }
    return inet_pton(AF_INET, host, addr) == 1
        || inet_pton(AF_INET6, host, addr) == 1;
}

/* The host of url when it is an IP literal, else NULL. */
static const char *ip_literal_host(apr_pool_t *p, const char *url)
{
    apr_uri_t u;

    if (apr_uri_parse(p, url, &u) != APR_SUCCESS || !u.hostname
        || !is_ip_literal(u.hostname)) {
        return NULL;
    }
    return u.hostname;
}

/* An IP-literal TLS backend: say what the gate does with its name. */
static void note_ip_backend(backend_walk *w, const char *url)
{
    const char *host = ip_literal_host(w->p, url);

    if (!host) {
        return;
    }
    ap_log_error(APLOG_MARK, APLOG_STARTUP | APLOG_NOTICE, 0, NULL,
                 "MIGATE0052: %s in %s is an IP address: the gate checks "
                 "MI's certificate for an iPAddress SAN %s "
                 "(X509_check_ip_asc) in place of mod_ssl's name check, "
                 "which cannot match IP SANs; a certificate without one is "
                 "refused with 502 backend-tls", url,
                 migate_vhost_name(w->p, w->s), host);
}

/* In audit mod_ssl keeps its own name check, which reads DNS names and
 * the CN only (modssl_X509_match_name): an IP-literal ProxyPass target
 * fails every handshake unless SSLProxyCheckPeerName is off. */
static void note_ip_backends_audit(apr_pool_t *p, server_rec *s,
                                   const proxy_server_conf *conf)
{
    int i;

    for (i = 0; conf->aliases && i < conf->aliases->nelts; i++) {
        const char *real = APR_ARRAY_IDX(conf->aliases, i,
                                         struct proxy_alias).real;

        if (!migate_url_is_tls(real) || !strncasecmp(real, "balancer:", 9)
            || !ip_literal_host(p, real)) {
            continue;
        }
        ap_log_error(APLOG_MARK, APLOG_STARTUP | APLOG_NOTICE, 0, NULL,
                     "MIGATE0052: %s in %s is an IP address: under "
                     "MiGateBackendTLS audit mod_ssl's SSLProxyCheckPeerName "
                     "checks it, and cannot match an iPAddress SAN; each "
                     "request is a 502 backend-tls unless it is off "
                     "(MiGateBackendTLS strict checks IP SANs itself)",
                     real, migate_vhost_name(p, s));
    }
}

/* where: the directive's "file:line", or NULL.  A worker only defined
 * (by <Proxy>, or inherited from the main server) is no target of its
 * own when it is TLS: only what the server sends to needs mod_ssl. */
static void check_target(backend_walk *w, const char *what, const char *url,
                         const char *where)
{
    int defined_only = !strcmp(what, "proxy worker");

    const char *key;

    /* "!" (ProxyPass /x !) and an empty name are no target. */
    if (url == NULL || *url == '\0' || !strcmp(url, "!")) {
        return;
    }
    key = target_key(w->p, url);
    if (apr_hash_get(w->seen, key, APR_HASH_KEY_STRING)) {
        return;
    }
    apr_hash_set(w->seen, key, APR_HASH_KEY_STRING, url);
    if (migate_url_is_tls(url)) {
        /* a balancer is judged by its members */
        if (strncasecmp(url, "balancer:", 9) && !defined_only) {
            if (!w->tls) {
                w->tls = url;
            }
            note_ip_backend(w, url);
        }
        return;
    }
    w->bad++;
    if (!where) {
        where = migate_backend_where(w->p, w->s, url);
    }
    ap_log_error(APLOG_MARK, APLOG_STARTUP | APLOG_CRIT, 0, NULL,
                 "MIGATE0023: %s %s%s%s%s in %s is not TLS: "
                 "MiGateBackendTLS strict requires https:// (or wss://) "
                 "toward MI", what, url, where ? " (" : "",
                 where ? where : "", where ? ")" : "",
                 migate_vhost_name(w->p, w->s));
}

/* Whether RewriteRule d carries the flag named a or b (any case), as
 * mod_rewrite reads its "[...]" list. */
int migate_rewrite_flag(apr_pool_t *p, const ap_directive_t *d,
                        const char *a, const char *b)
{
    const char *args = d->args;
    char *flags, *f, *last;

    ap_getword_conf(p, &args);          /* pattern */
    if (!*ap_getword_conf(p, &args)) {  /* substitution */
        return 0;
    }
    flags = ap_getword_conf(p, &args);
    if (*flags != '[') {
        return 0;
    }
    for (f = apr_strtok(flags + 1, ",]", &last); f;
         f = apr_strtok(NULL, ",]", &last)) {
        while (*f == ' ') {
            f++;
        }
        if (!strcasecmp(f, a) || (b && !strcasecmp(f, b))) {
            return 1;
        }
    }
    return 0;
}

const char *migate_rewrite_proxy_target(apr_pool_t *p,
                                        const ap_directive_t *d)
{
    const char *args = d->args;

    if (!migate_rewrite_flag(p, d, "P", "proxy")) {
        return NULL;
    }
    ap_getword_conf(p, &args);
    return ap_getword_conf(p, &args);
}

/* RewriteRule ... [P] whose target starts with a plain scheme written
 * out: the configuration test can see it, so it fails there; a scheme
 * made at run time ($1, %{ENV:x}) is refused per request. */
static void check_rewrites(backend_walk *w)
{
    apr_array_header_t *opts = migate_request_directives(w->p, w->s,
                                                  "RewriteOptions", 0);
    int inherit = 0, i;
    apr_array_header_t *rules;

    for (i = 0; i < opts->nelts; i++) {
        const char *a = APR_ARRAY_IDX(opts, i, const ap_directive_t *)->args;
        inherit |= ap_strcasestr(a, "inherit") != NULL;
    }
    rules = migate_request_directives(w->p, w->s, "RewriteRule", inherit);
    for (i = 0; i < rules->nelts; i++) {
        const ap_directive_t *d = APR_ARRAY_IDX(rules, i,
                                                const ap_directive_t *);
        const char *url = migate_rewrite_proxy_target(w->p, d);

        if (url && migate_url_kind(url) == MIGATE_URL_PLAIN) {
            w->bad++;
            ap_log_error(APLOG_MARK, APLOG_STARTUP | APLOG_CRIT, 0, NULL,
                         "MIGATE0023: RewriteRule [P] target %s at %s:%d "
                         "in %s is not TLS: MiGateBackendTLS strict "
                         "requires https:// (or wss://) toward MI", url,
                         d->filename, d->line_num,
                         migate_vhost_name(w->p, w->s));
        }
        else if (url && migate_url_is_tls(url)) {
            note_ip_backend(w, url);
        }
    }
}

/* How strictly server s judges a backend connection: 2 strict, 1 audit,
 * 0 no policy (off or no gate). */
static int policy_rank(server_rec *s)
{
    migate_srv_conf *sc = migate_srv(s);

    if (!migate_cfg_enabled(sc)) {
        return 0;
    }
    return migate_cfg_backend_tls(sc) == MIGATE_TLS_STRICT ? 2
         : migate_cfg_backend_tls(sc) == MIGATE_TLS_AUDIT ? 1 : 0;
}

/* The worker mod_proxy gives url among conf's workers: the longest name
 * that begins url, at least its whole scheme://host[:port], compared
 * with that part in lower case (ap_proxy_get_worker_ex in
 * modules/proxy/proxy_util.c). */
static const proxy_worker *target_worker(apr_pool_t *p,
                                         const proxy_server_conf *conf,
                                         const char *url)
{
    const proxy_worker *best = NULL;
    const char *c = url ? strstr(url, "://") : NULL;
    char *u;
    size_t min, max = 0, n;
    int i;

    if (c == NULL || !c[3]) {
        return NULL;
    }
    u = apr_pstrdup(p, url);
    c = strchr(c + 3, '/');
    min = c ? (size_t)(c - url) : strlen(u);
    for (n = 0; n < min; n++) {
        u[n] = (char)apr_tolower(u[n]);
    }
    for (i = 0; conf->workers && i < conf->workers->nelts; i++) {
        const proxy_worker *w = &APR_ARRAY_IDX(conf->workers, i,
                                               proxy_worker);
        const char *name = worker_name(w);

        n = name ? strlen(name) : 0;
        if (n >= min && n > max && !strncmp(u, name, n)) {
            best = w;
            max = n;
        }
    }
    return best;
}

/* Whether server s sends requests to worker w: the worker mod_proxy
 * gives one of its ProxyPass or RewriteRule [P] targets is w. */
static int server_uses(apr_pool_t *p, server_rec *s,
                       const proxy_server_conf *conf, const proxy_worker *w)
{
    const proxy_worker *t;
    apr_array_header_t *rules;
    int i;

    for (i = 0; conf->aliases && i < conf->aliases->nelts; i++) {
        t = target_worker(p, conf, APR_ARRAY_IDX(conf->aliases, i,
                                                 struct proxy_alias).real);
        if (t && t->s == w->s) {
            return 1;
        }
    }
    rules = migate_request_directives(p, s, "RewriteRule", 0);
    for (i = 0; i < rules->nelts; i++) {
        t = target_worker(p, conf, migate_rewrite_proxy_target(
                                       p, APR_ARRAY_IDX(rules, i,
                                               const ap_directive_t *)));
        if (t && t->s == w->s) {
            return 1;
        }
    }
    return 0;
}

/*
 * What a backend connection's session was verified and authenticated
 * with: mod_ssl makes it from the proxy settings of the server whose
 * request opened it (ap_proxy_connection_create_ex passes r->server;
 * a <Proxy> section's own SSLProxy* apply to every server that uses its
 * worker, and server_directives finds them for each).
 */
static const char *const trust_directives[] = {
    "SSLProxyCACertificateFile", "SSLProxyCACertificatePath",
    "SSLProxyCARevocationFile", "SSLProxyCARevocationPath",
    "SSLProxyCARevocationCheck", "SSLProxyVerifyDepth",
    "SSLProxyMachineCertificateFile", "SSLProxyMachineCertificatePath",
    "SSLProxyMachineCertificateChainFile",
};

/* Server s's value of directive name, as written ("not set" without
 * one); the last one of a scope wins. */
static const char *trust_setting(apr_pool_t *p, const server_rec *s,
                                 const char *name)
{
    int inherited;
    apr_array_header_t *d = server_directives(p, s, name, &inherited);

    return d->nelts ? APR_ARRAY_IDX(d, d->nelts - 1,
                                    const ap_directive_t *)->args
                    : "not set";
}

/* The first trust setting on which servers a and b differ, as
 * "<directive> <a's> / <b's>", or NULL. */
static const char *trust_differs(apr_pool_t *p, const server_rec *a,
                                 const server_rec *b)
{
    size_t i;

    for (i = 0; i < sizeof(trust_directives) / sizeof(*trust_directives);
         i++) {
        const char *x = trust_setting(p, a, trust_directives[i]);
        const char *y = trust_setting(p, b, trust_directives[i]);

        if (strcmp(x, y)) {
            return apr_psprintf(p, "%s %s / %s", trust_directives[i], x, y);
        }
    }
    return NULL;
}

/* Whether server o of worker w shares its pool with the strict server s
 * to s's harm: o judges less (a weaker policy), or o is strict too but
 * verifies or authenticates with other settings.  NULL, or why. */
static const char *shared_harm(apr_pool_t *p, server_rec *s, server_rec *o)
{
    const char *diff;

    if (policy_rank(o) != 2) {
        return apr_psprintf(p, "%s (%s): a pooled connection opened for "
                            "%s is never given to a request of %s (502 "
                            "backend-tls, the connection is closed)",
                            migate_vhost_name(p, o),
                            policy_rank(o) == 1 ? "MiGateBackendTLS audit"
                                                : "no backend TLS policy",
                            migate_vhost_name(p, o),
                            migate_vhost_name(p, s));
    }
    if ((diff = trust_differs(p, s, o)) == NULL) {
        return NULL;
    }
    return apr_psprintf(p, "%s (MiGateBackendTLS strict too, but %s): a "
                        "connection verified under one's settings may "
                        "carry the other's requests",
                        migate_vhost_name(p, o), diff);
}

/*
 * A worker defined once (in the main server, say) and used by several
 * servers shares one pool of connections.  At run time a connection
 * opened under a weaker policy is never handed to a strict server's
 * request (migate_route.c refuses and closes it); one verified by
 * another strict server is, whatever CA that server trusts.  Say so
 * here, with the way to keep the pools apart.
 */
static void warn_shared_workers(apr_pool_t *p, server_rec *main_s,
                                module *proxy)
{
    apr_hash_t *users = apr_hash_make(p);   /* proxy_worker_shared * ->
                                               first strict user      */
    server_rec *s, *o;

    for (s = main_s; s; s = s->next) {
        proxy_server_conf *conf = ap_get_module_config(s->module_config,
                                                       proxy);
        int i;

        if (policy_rank(s) != 2 || conf == NULL) {
            continue;
        }
        for (i = 0; conf->workers && i < conf->workers->nelts; i++) {
            proxy_worker *w = &APR_ARRAY_IDX(conf->workers, i, proxy_worker);
            if (!w->s || !server_uses(p, s, conf, w)
                || apr_hash_get(users, &w->s, sizeof(w->s))) {
                continue;
            }
            apr_hash_set(users, apr_pmemdup(p, &w->s, sizeof(w->s)),
                         sizeof(w->s), s);
            for (o = main_s; o; o = o->next) {
                proxy_server_conf *oc;
                const char *harm;
                int k;

                if (o == s || (oc = ap_get_module_config(o->module_config,
                                                         proxy)) == NULL) {
                    continue;
                }
                for (k = 0; oc->workers && k < oc->workers->nelts; k++) {
                    proxy_worker *ow = &APR_ARRAY_IDX(oc->workers, k,
                                                      proxy_worker);
                    if (ow->s != w->s || !server_uses(p, o, oc, ow)) {
                        continue;
                    }
                    if ((harm = shared_harm(p, s, o)) != NULL) {
                        ap_log_error(APLOG_MARK,
                                     APLOG_STARTUP | APLOG_WARNING, 0, NULL,
                                     "MIGATE0051: proxy worker %s is "
                                     "shared by %s (MiGateBackendTLS "
                                     "strict) and %s; define the worker "
                                     "in each vhost to keep their pools "
                                     "apart", worker_name(w),
                                     migate_vhost_name(p, s), harm);
                    }
                    break;
                }
            }
        }
    }
}

int migate_check_backends(apr_pool_t *pconf, apr_pool_t *plog,
                          apr_pool_t *ptemp, server_rec *s)
{
    module *proxy = ap_find_linked_module("mod_proxy.c");
    backend_walk walk = { NULL, ptemp, NULL, 0, NULL };
    server_rec *main_s = s;
    int bad = 0;

    (void)pconf;
    (void)plog;
    if (proxy == NULL) {
        return OK;
    }
    for (; s; s = s->next) {
        migate_srv_conf *sc = migate_srv(s);
        proxy_server_conf *conf;
        core_server_config *core;
        int i;

        if (!migate_cfg_enabled(sc)) {
            continue;
        }
        conf = ap_get_module_config(s->module_config, proxy);
        if (conf == NULL) {
            continue;
        }
        migate_warn_error_documents(ptemp, s, proxy, conf->aliases);
        if (migate_cfg_backend_tls(sc) == MIGATE_TLS_AUDIT) {
            note_ip_backends_audit(ptemp, s, conf);
        }
        if (migate_cfg_backend_tls(sc) != MIGATE_TLS_STRICT) {
            continue;
        }
        walk.s = s;
        walk.bad = 0;
        walk.tls = NULL;
        walk.seen = apr_hash_make(ptemp);
        /* ProxyPass in the server or vhost (and those it inherits). */
        for (i = 0; conf->aliases && i < conf->aliases->nelts; i++) {
            check_target(&walk, "ProxyPass target",
                         APR_ARRAY_IDX(conf->aliases, i,
                                       struct proxy_alias).real, NULL);
        }
        /* ProxyPass inside <Location>: in that section's dir config. */
        core = ap_get_core_module_config(s->module_config);
        for (i = 0; core && core->sec_url && i < core->sec_url->nelts; i++) {
            ap_conf_vector_t *sec = APR_ARRAY_IDX(core->sec_url, i,
                                                  ap_conf_vector_t *);
            proxy_dir_conf *dc = ap_get_module_config(sec, proxy);
            if (dc && dc->alias) {
                check_target(&walk, "ProxyPass target", dc->alias->real,
                             NULL);
            }
        }
        /* Workers (ProxyPass, <Proxy>, ProxySet) and balancer members. */
        for (i = 0; conf->workers && i < conf->workers->nelts; i++) {
            check_target(&walk, "proxy worker",
                         worker_name(&APR_ARRAY_IDX(conf->workers, i,
                                                    proxy_worker)), NULL);
        }
        for (i = 0; conf->balancers && i < conf->balancers->nelts; i++) {
            proxy_balancer *b = &APR_ARRAY_IDX(conf->balancers, i,
                                               proxy_balancer);
            const char *what = apr_pstrcat(ptemp, "member of ",
                                           b->s ? b->s->name : "balancer",
                                           NULL);
            int j;
            for (j = 0; b->workers && j < b->workers->nelts; j++) {
                check_target(&walk, what,
                             worker_name(APR_ARRAY_IDX(b->workers, j,
                                                       proxy_worker *)),
                             NULL);
            }
        }
        check_rewrites(&walk);
        bad += walk.bad;
        if (walk.tls && !proxy_engine_on(ptemp, s)) {
            const char *where = migate_backend_where(ptemp, s, walk.tls);

            bad++;
            ap_log_error(APLOG_MARK, APLOG_STARTUP | APLOG_CRIT, 0, NULL,
                         "MIGATE0025: %s%s%s%s in %s is https:// but %s: "
                         "mod_ssl would refuse to connect to MI; "
                         "MiGateBackendTLS strict requires TLS toward MI",
                         walk.tls, where ? " (" : "", where ? where : "",
                         where ? ")" : "", migate_vhost_name(ptemp, s),
                         ap_find_linked_module("mod_ssl.c")
                         ? "SSLProxyEngine is not on for it"
                         : "mod_ssl is not loaded");
        }
    }
    if (!bad) {
        warn_shared_workers(ptemp, main_s, proxy);
    }
    return bad ? !OK : OK;
}
