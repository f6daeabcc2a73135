/*
 * migate_describe.c - the words for a gated server's effective policy
 * that the -D MIGATE_DUMP output and the migate-status page share
 * (migate_describe.h), taken from the tables the gate decides with.
 */
#include <string.h>

#include "httpd.h"
#include "http_config.h"
#include "apr_strings.h"

#include "migate_glue.h"
#include "migate_describe.h"

const char *migate_describe_mode(const migate_srv_conf *sc)
{
    return migate_cfg_report(sc) ? "report" : "enforce";
}

const char *migate_describe_tls(const migate_srv_conf *sc)
{
    return migate_tls_mode_name(migate_cfg_backend_tls(sc));
}

static const char *item(apr_pool_t *p, const char *list, const char *sep,
                        const char *pre, const char *name,
                        const char *post)
{
    return apr_pstrcat(p, list, *list ? sep : "", pre, name, post, NULL);
}

const char *migate_describe_metadata(apr_pool_t *p,
                                     const migate_srv_conf *sc,
                                     const char *sep, const char *pre,
                                     const char *post)
{
    unsigned kinds = (unsigned)migate_cfg_metadata(sc), k;
    const char *t = "";

    for (k = 1; k & MIGATE_META_ALL; k <<= 1) {
        if (kinds & k) {
            t = item(p, t, sep, pre, migate_metadata_kind_name(k), post);
        }
    }
    return t;
}

const char *migate_describe_builtin_denies(apr_pool_t *p, const char *sep,
                                           const char *pre,
                                           const char *post)
{
    const char *t = "", *path;
    int i;

    for (i = 0; (path = migate_builtin_deny_path(i)) != NULL; i++) {
        t = item(p, t, sep, pre, path, post);
    }
    return t;
}

const char *migate_describe_never_methods(apr_pool_t *p, const char *sep,
                                          const char *pre,
                                          const char *post)
{
    const char *t = "", *name;
    int i;

    for (i = 0; (name = migate_method_name(i)) != NULL; i++) {
        if (migate_method_forbidden(name, strlen(name))) {
            t = item(p, t, sep, pre, name, post);
        }
    }
    return t;
}

static void push_rules(apr_pool_t *p, apr_array_header_t *out,
                       const apr_array_header_t *rules, int deny,
                       int n_main)
{
    int i;

    for (i = 0; i < rules->nelts; i++) {
        migate_rule_line *l = apr_array_push(out);

        l->spec = &APR_ARRAY_IDX(rules, i, migate_rule_spec);
        l->deny = deny;
        l->text = migate_rule_text(p, l->spec, deny);
        l->from_main = i < n_main;
    }
}

apr_array_header_t *migate_describe_rules(apr_pool_t *p,
                                          const server_rec *main_s,
                                          const server_rec *vs)
{
    const migate_srv_conf *sc = migate_srv(vs), *msc = migate_srv(main_s);
    apr_array_header_t *out = apr_array_make(p, 16,
                                             sizeof(migate_rule_line));
    int vhost = vs != main_s;

    /* A vhost with no allow rule of its own has the main server's; the
     * main server's deny rules come first in a vhost's list. */
    push_rules(p, out, sc->allow, 0,
               vhost && sc->allow == msc->allow ? sc->allow->nelts : 0);
    push_rules(p, out, sc->deny, 1, vhost ? msc->deny->nelts : 0);
    return out;
}

const char *migate_describe_kind(const migate_rule_spec *rs)
{
    switch (rs->kind) {
    case MIGATE_RULE_EXACT:
        return "exact";
    case MIGATE_RULE_REGEX:
        return "regex";
    case MIGATE_RULE_TEMPLATE:
        return "template";
    default:
        return "prefix";
    }
}

const char *migate_describe_directive(apr_pool_t *p,
                                      const migate_rule_spec *rs, int deny)
{
    const char *text = migate_rule_text(p, rs, deny);

    return apr_pstrmemdup(p, text, strcspn(text, " "));
}
