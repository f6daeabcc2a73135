/*
 * policy_regex.h - the regex tools/migate-policy wrote for a uri-template
 * before it wrote MiGateAllowTemplate rules (its template_alternatives,
 * canonical_atoms and resource_rules), for the templates a template rule
 * accepts: the reference that t/unit/test_template.c and
 * fuzz/fuzz_template.c hold the trie to.
 *
 * Each {name} is "[^/]+", or "[^/]*" as the last node; without a '?'
 * part one trailing '/' is dropped and "/?" added (unless the path part
 * is "/" alone); with one, the path part stands as it is.  Literal bytes
 * are written as the tool's re_quote writes them: [A-Za-z0-9_/~,=@:!&-]
 * as they are, '.' as "\.", every other byte as "\xNN".
 */
#ifndef MIGATE_POLICY_REGEX_H
#define MIGATE_POLICY_REGEX_H

#include <stdio.h>
#include <string.h>

#include <apr_pools.h>
#include <apr_strings.h>

static const char *policy_regex(apr_pool_t *p, const char *t)
{
    const char *q = strchr(t, '?'), *s, *e, *l;
    size_t plen = q ? (size_t)(q - t) : strlen(t);
    char *out = apr_pstrdup(p, "^");
    int slash;

    if (!q && plen > 1 && t[plen - 1] == '/') {
        plen--;
    }
    slash = !q && plen > 1;
    for (s = t; s < t + plen; s = e) {
        e = memchr(s + 1, '/', (size_t)(t + plen - s - 1));
        e = e ? e : t + plen;
        if (s[1] == '{') {
            out = apr_pstrcat(p, out, e == t + plen ? "/[^/]*" : "/[^/]+",
                              NULL);
            continue;
        }
        for (l = s; l < e; l++) {
            unsigned char c = (unsigned char)*l;
            char buf[8];

            if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')
                || (c >= '0' && c <= '9') || strchr("_/~,=@:!&-", c)) {
                buf[0] = (char)c;
                buf[1] = '\0';
            }
            else if (c == '.') {
                strcpy(buf, "\\.");
            }
            else {
                snprintf(buf, sizeof(buf), "\\x%02x", c);
            }
            out = apr_pstrcat(p, out, buf, NULL);
        }
    }
    return apr_pstrcat(p, out, slash ? "/?$" : "$", NULL);
}

#endif /* MIGATE_POLICY_REGEX_H */
