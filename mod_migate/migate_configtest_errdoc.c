/*
 * migate_configtest_errdoc.c - what "apache2 -t" says of a gated
 * server's ErrorDocument that would be proxied to MI (MIGATE0050): the
 * gate judges such a page as a request of its own (an internal
 * redirect, migate_request.c), so a refused request would get httpd's
 * own error text instead of the branded page.  The routes it looks at
 * are those an operator writes for error pages: ProxyPass (at server
 * level or in a <Location>), a RewriteRule [P] whose pattern matches
 * the page's path (its RewriteConds aside), and SetHandler "proxy:..."
 * in a <Location> that covers it.  A warning only: the gate's judgement
 * at run time does not depend on it.  Read from mod_proxy's own
 * configuration and, for mod_rewrite and core's SetHandler, the
 * configuration tree (migate_configtest_backend.c says why).
 */
#include <string.h>

#include "httpd.h"
#include "http_config.h"
#include "http_core.h"
#include "http_log.h"
#include "util_cfgtree.h"
#include "apr_strings.h"

#include "mod_proxy.h"

#include "migate_glue.h"

/* Whether a local URL path is proxied by one of the server's ProxyPass
 * rules: a <Location> with a ProxyPass of its own that covers the path
 * (its dir config wins), else the first server-level one that matches
 * ("!" excludes).  The rule's target, or NULL. */
static const char *proxied_by(server_rec *s, module *proxy,
                              const apr_array_header_t *aliases,
                              const char *path)
{
    core_server_config *core = ap_get_core_module_config(s->module_config);
    const char *to = NULL;
    int i;

    for (i = 0; core && core->sec_url && i < core->sec_url->nelts; i++) {
        ap_conf_vector_t *sec = APR_ARRAY_IDX(core->sec_url, i,
                                              ap_conf_vector_t *);
        core_dir_config *cd = ap_get_core_module_config(sec);
        proxy_dir_conf *dc = ap_get_module_config(sec, proxy);
        size_t n = cd && cd->d ? strlen(cd->d) : 0;

        if (dc && dc->alias && n && !cd->r && !strncmp(path, cd->d, n)) {
            to = strcmp(dc->alias->real, "!") ? dc->alias->real : NULL;
        }
    }
    if (to) {
        return to;
    }

    for (i = 0; aliases && i < aliases->nelts; i++) {
        const struct proxy_alias *a = &APR_ARRAY_IDX(aliases, i,
                                                     struct proxy_alias);
        size_t n = strlen(a->fake);
        int hit = a->regex ? ap_regexec(a->regex, path, 0, NULL, 0) == 0
                           : !strncmp(path, a->fake, n)
                             && (n == 0 || a->fake[n - 1] == '/'
                                 || path[n] == '\0' || path[n] == '/');
        if (hit) {
            return strcmp(a->real, "!") ? a->real : NULL;
        }
    }
    return NULL;
}

/* Whether the section directive d sits in covers path: at server level
 * always; a <Location> by its argument as a prefix of the path (core's
 * location walk, not segment-aware); a <Location ~> or <LocationMatch>
 * as a regex; any other section (a <Directory>, <If>, ...) as other
 * says. */
static int section_covers(apr_pool_t *p, const ap_directive_t *d,
                          const char *path, int other)
{
    const ap_directive_t *sec = d->parent;
    const char *args;
    char *a, *end, *w;
    ap_regex_t *re;
    int hit;

    if (sec == NULL || !strcasecmp(sec->directive, "<VirtualHost")) {
        return 1;
    }
    if (strcasecmp(sec->directive, "<Location")
        && strcasecmp(sec->directive, "<LocationMatch")) {
        return other;
    }
    a = apr_pstrdup(p, sec->args ? sec->args : "");
    if ((end = strrchr(a, '>')) != NULL) {
        *end = '\0';
    }
    args = a;
    w = ap_getword_conf(p, &args);
    if (!strcasecmp(sec->directive, "<Location") && strcmp(w, "~")) {
        return !strncmp(path, w, strlen(w));
    }
    if (!strcmp(w, "~")) {
        w = ap_getword_conf(p, &args);
    }
    if ((re = ap_pregcomp(p, w, AP_REG_EXTENDED)) == NULL) {
        return 1;
    }
    hit = ap_regexec(re, path, 0, NULL, 0) == 0;
    ap_pregfree(p, re);
    return hit;
}

/* A SetHandler "proxy:..." whose <Location> covers path: its target. */
static const char *set_handler_for(apr_pool_t *p, server_rec *s,
                                   const char *path,
                                   const ap_directive_t **via)
{
    apr_array_header_t *hs = migate_request_directives(p, s,
                                                       "SetHandler", 0);
    const char *to = NULL;
    int i;

    for (i = 0; i < hs->nelts; i++) {
        const ap_directive_t *d = APR_ARRAY_IDX(hs, i,
                                                const ap_directive_t *);
        const char *args = d->args;
        char *h = ap_getword_conf(p, &args);

        if (!section_covers(p, d, path, 1)) {
            continue;
        }
        /* the last one that covers the path wins, as in the merge */
        if (!strncasecmp(h, "proxy:", 6)) {
            to = h + 6;
            *via = d;
        }
        else {
            to = NULL;
        }
    }
    return to;
}

/* A RewriteRule [P] whose pattern matches path (conditions aside), at
 * server level or in a <Location> that covers it: its target. */
static const char *rewrite_for(apr_pool_t *p, server_rec *s, const char *path,
                               const ap_directive_t **via)
{
    apr_array_header_t *rules = migate_request_directives(p, s,
                                                          "RewriteRule", 0);
    int i;

    for (i = 0; i < rules->nelts; i++) {
        const ap_directive_t *d = APR_ARRAY_IDX(rules, i,
                                                const ap_directive_t *);
        const char *args = d->args, *to = migate_rewrite_proxy_target(p, d);
        char *pattern = ap_getword_conf(p, &args);
        ap_regex_t *re;
        int hit;

        if (to == NULL || *pattern == '!' || !section_covers(p, d, path, 0)) {
            continue;
        }
        if ((re = ap_pregcomp(p, pattern, AP_REG_EXTENDED
                              | (migate_rewrite_flag(p, d, "NC", "nocase")
                                 ? AP_REG_ICASE : 0))) == NULL) {
            continue;
        }
        hit = ap_regexec(re, path, 0, NULL, 0) == 0;
        ap_pregfree(p, re);
        if (hit) {
            *via = d;
            return to;
        }
    }
    return NULL;
}

/*
 * An ErrorDocument of a gated server that mod_proxy would fetch from MI
 * is a request of its own: the gate judges it on its path, and a request
 * it refused gets httpd's own error text (migate_request.c).  Say so,
 * so that the operator serves the page locally.  The routes looked at:
 * ProxyPass (server level or in a <Location>), a RewriteRule [P] whose
 * pattern matches the page's path, a SetHandler "proxy:..." of a
 * <Location> that covers it.
 */
void migate_warn_error_documents(apr_pool_t *p, server_rec *s,
                                 module *proxy,
                                 const apr_array_header_t *aliases)
{
    apr_array_header_t *docs = migate_request_directives(p, s,
                                                         "ErrorDocument", 1);
    int i;

    for (i = 0; i < docs->nelts; i++) {
        const ap_directive_t *d = APR_ARRAY_IDX(docs, i,
                                                const ap_directive_t *);
        const ap_directive_t *via = NULL;
        const char *args = d->args;
        char *code = ap_getword_conf(p, &args);
        char *doc = ap_getword_conf(p, &args);
        const char *to, *how;

        if (*doc != '/') {
            continue;
        }
        if ((to = proxied_by(s, proxy, aliases, doc)) == NULL
            && (to = rewrite_for(p, s, doc, &via)) == NULL
            && (to = set_handler_for(p, s, doc, &via)) == NULL) {
            continue;
        }
        how = via ? apr_psprintf(p, "by the %s at %s:%d", via->directive,
                                 via->filename, via->line_num)
                  : "by ProxyPass";
        ap_log_error(APLOG_MARK, APLOG_STARTUP | APLOG_WARNING, 0, NULL,
                     "MIGATE0050: ErrorDocument %s %s at %s:%d in %s would "
                     "be proxied to MI (%s) %s: the gate judges it as a "
                     "request of its own, and a request it refused gets "
                     "httpd's own error text instead; serve the page "
                     "locally (%s)", code, doc, d->filename, d->line_num,
                     migate_vhost_name(p, s), to, how,
                     via ? "from a path that directive does not proxy"
                         : apr_pstrcat(p, "ProxyPass ", doc, " !", NULL));
    }
}
