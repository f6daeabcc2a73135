/*
 * test_template.c - unit tests of MiGateAllowTemplate (migate_trie.c)
 * and of the regex limits (migate_regex.c).
 *
 * The contract (SPEC MiGateAllowTemplate): for every template it accepts,
 * a template rule matches exactly the paths that the regex migate-policy
 * writes for the same uri-template matches.  The regexes below under
 * "golden" are what tools/migate-policy wrote for these templates before
 * it wrote template rules (its resource_rules over template_alternatives:
 * MiGateAllowMatch, or a pair of MiGateAllowExact lines, here written as
 * one regex).  tool_regex() writes the same regex for any accepted
 * template, checked against every golden one; then random templates and
 * random paths are matched both ways, the regex compiled with PCRE2 -
 * on the trie alone (any bytes, doubled slashes too) and through the
 * whole decision (canonical paths, method sets, the rule named).
 */
#include <stdlib.h>
#include <string.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include <apr_general.h>
#include <apr_pools.h>
#include <apr_strings.h>

#include "tap.h"
#include "migate_rules.h"
#include "migate_trie.h"

static void must(const char *err, const char *what)
{
    if (err) {
        printf("Bail out! %s: %s\n", what, err);
        exit(1);
    }
}

static pcre2_code *re(const char *pattern)
{
    int ec;
    PCRE2_SIZE off;
    pcre2_code *c = pcre2_compile((PCRE2_SPTR)pattern, PCRE2_ZERO_TERMINATED,
                                  PCRE2_NEVER_UTF, &ec, &off, NULL);

    if (!c) {
        printf("Bail out! regex %s does not compile\n", pattern);
        exit(1);
    }
    return c;
}

static int re_matches(const pcre2_code *c, const char *s, size_t len)
{
    pcre2_match_data *md = pcre2_match_data_create(1, NULL);
    int rc = pcre2_match(c, (PCRE2_SPTR)s, len, 0, 0, md, NULL);

    pcre2_match_data_free(md);
    return rc >= 0;
}

/*
 * The regex migate-policy writes for an accepted template (context and
 * uri-template as one path): each {name} "[^/]+", or "[^/]*" as the last
 * node; without a '?' part one trailing '/' dropped and "/?" added
 * (unless the path part is "/" alone); with one, the path part as it
 * stands.  Literals here are drawn from [A-Za-z0-9_~.,@:!-], which the
 * tool writes as they are, '.' escaped.
 */
static const char *tool_regex(apr_pool_t *p, const char *t)
{
    const char *q = strchr(t, '?'), *s, *e;
    size_t plen = q ? (size_t)(q - t) : strlen(t);
    char *out = apr_pstrdup(p, "^"), *lit;
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
        lit = apr_pstrmemdup(p, s, (size_t)(e - s));
        for (; *lit; lit++) {
            out = apr_pstrcat(p, out, *lit == '.' ? "\\." :
                              apr_pstrmemdup(p, lit, 1), NULL);
        }
    }
    return apr_pstrcat(p, out, slash ? "/?$" : "$", NULL);
}

/* What tools/migate-policy wrote (see the top of this file). */
static const struct {
    const char *tmpl;
    const char *regex;
} golden[] = {
    { "/shop/orders/{id}", "^/shop/orders/[^/]*/?$" },
    { "/shop/orders/{id}/items/{itemId}",
      "^/shop/orders/[^/]+/items/[^/]*/?$" },
    { "/shop/orders", "^/shop/orders/?$" },     /* two exact rules */
    { "/shop/orders/", "^/shop/orders/?$" },
    { "/shop/", "^/shop/?$" },
    { "/shop/{id}", "^/shop/[^/]*/?$" },
    { "/shop/{a}/{b}", "^/shop/[^/]+/[^/]*/?$" },
    { "/shop/orders/{id}?x={y}", "^/shop/orders/[^/]*$" },
    { "/shop/orders/{id}/?x={y}", "^/shop/orders/[^/]+/$" },
    { "/shop/orders/?q={x}", "^/shop/orders/$" },
    { "/shop/orders?q={x}", "^/shop/orders$" },
    { "/shop/orders/{id}/", "^/shop/orders/[^/]*/?$" },
    { "/shop/{id}/items", "^/shop/[^/]+/items/?$" },
    { "/shop/v1/a/{b}/c/{d}/e", "^/shop/v1/a/[^/]+/c/[^/]+/e/?$" },
    { "/x/{id}?", "^/x/[^/]*$" },
    { "/{id}", "^/[^/]*/?$" },
    { "/api/{v}", "^/api/[^/]*/?$" },
    { "/shop/orders/{order-id}", "^/shop/orders/[^/]*/?$" },
    { "/shop/orders/{id.x}", "^/shop/orders/[^/]*/?$" },
    { "/s/{a}/{b}/{c}/", "^/s/[^/]+/[^/]+/[^/]*/?$" },
    { "/caf/~a_b/{x}", "^/caf/~a_b/[^/]*/?$" },
    { "/shop/a,b/{x}", "^/shop/a,b/[^/]*/?$" },
    { "/shop/a@b:c!/{x}", "^/shop/a@b:c!/[^/]*/?$" },
    { "/", "^/$" },
};
#define N_GOLDEN (sizeof(golden) / sizeof(golden[0]))

/* Edge-case paths for every golden template. */
static const char *const edge_paths[] = {
    "/", "//", "/shop", "/shop/", "/shop//", "/shop/orders", "/shop/orders/",
    "/shop/orders//", "/shop/orders/1", "/shop/orders/1/", "/shop/orders/1//",
    "/shop/orders/1/items", "/shop/orders/1/items/", "/shop/orders/1/items/2",
    "/shop/orders/1/items/2/", "/shop/orders//items/2", "/shop/orders/1/2",
    "/shop/1/items", "/shop/1/items/", "/shop//items", "/shop/x/y",
    "/shop/x/y/", "/shop/x/y/z", "/x/", "/x/1", "/x/1/", "/api/v", "/api/",
    "/api", "/s/a/b/", "/s/a/b/c", "/s/a//", "/caf/~a_b/", "/shop/a,b/x",
    "/shop/a@b:c!/x/", "/shop/v1/a/b/c/d/e", "/shop/v1/a/b/c/d/e/",
    "/shop/v1/a//c/d/e", "/Shop/orders/1", "/shop/orders/1?x",
    "/shop/orders/1/items/2/3",
};

static int trie_has(const migate_trie *t, const char *path, size_t len,
                    int *rule)
{
    int matched = 0;

    return migate_trie_match(t, path, len, NULL, 0, &matched, rule);
}

static void test_golden(apr_pool_t *p)
{
    size_t i, j;
    int bad_port = 0, bad_match = 0;

    for (i = 0; i < N_GOLDEN; i++) {
        if (strcmp(tool_regex(p, golden[i].tmpl), golden[i].regex)) {
            diag("tool_regex(%s) = %s, migate-policy wrote %s",
                 golden[i].tmpl, tool_regex(p, golden[i].tmpl),
                 golden[i].regex);
            bad_port++;
        }
    }
    is_int(bad_port, 0, "tool_regex writes what migate-policy wrote, "
           "for all %d golden templates", (int)N_GOLDEN);

    for (i = 0; i < N_GOLDEN; i++) {
        migate_trie *t = migate_trie_make(p);
        pcre2_code *c = re(golden[i].regex);
        int rule;

        must(migate_template_check(p, golden[i].tmpl), golden[i].tmpl);
        migate_trie_add_template(p, t, golden[i].tmpl, 0, 7);
        for (j = 0; j < sizeof(edge_paths) / sizeof(edge_paths[0]); j++) {
            const char *s = edge_paths[j];
            if (trie_has(t, s, strlen(s), &rule)
                != re_matches(c, s, strlen(s))) {
                diag("%s on %s: template %d, regex %d", golden[i].tmpl, s,
                     trie_has(t, s, strlen(s), &rule),
                     re_matches(c, s, strlen(s)));
                bad_match++;
            }
        }
        pcre2_code_free(c);
    }
    is_int(bad_match, 0, "golden templates and their regexes agree on "
           "every edge-case path");
}

/* ---------------------------------------------------------------- */
/* Random templates and paths                                        */

static const char *const lits[] = { "a", "b", "ab", "x.y", "A", "a-b" };
#define N_LITS (sizeof(lits) / sizeof(lits[0]))

static const char *random_template(apr_pool_t *p)
{
    int n = 1 + rand() % 5, i;
    const char *t = "";

    for (i = 0; i < n; i++) {
        t = apr_pstrcat(p, t, "/", rand() % 3 == 0 ? "{v}"
                        : lits[rand() % N_LITS], NULL);
    }
    switch (rand() % 6) {
    case 0:
        return apr_pstrcat(p, t, "/", NULL);
    case 1:
        return apr_pstrcat(p, t, "?q={x}", NULL);
    case 2:
        return apr_pstrcat(p, t, "/?q", NULL);
    default:
        return t;
    }
}

/* Paths near the templates: their literals, other segments, empty
 * segments, a trailing '/', and now and then arbitrary bytes. */
static char *random_path(apr_pool_t *p, size_t *len)
{
    static const char *const segs[] = {
        "a", "b", "ab", "x.y", "A", "a-b", "", "zz", "a b", "%41", "{v}"
    };
    int n = 1 + rand() % 6, i;
    char *s = apr_pstrdup(p, "");

    if (rand() % 8 == 0) {
        char *r = apr_palloc(p, 12);
        *len = 1 + (size_t)(rand() % 11);
        r[0] = '/';
        for (i = 1; i < (int)*len; i++) {
            r[i] = "/ab\0\xff."[rand() % 6];
        }
        return r;
    }
    for (i = 0; i < n; i++) {
        s = apr_pstrcat(p, s, "/", segs[rand() % (sizeof(segs)
                                                   / sizeof(segs[0]))],
                        NULL);
    }
    if (rand() % 4 == 0) {
        s = apr_pstrcat(p, s, "/", NULL);
    }
    *len = strlen(s);
    return s;
}

/* One template per trie, any bytes: the trie and the regex agree. */
static void test_random_single(apr_pool_t *pp)
{
    int i, j, bad = 0, hits = 0, n = 0;

    for (i = 0; i < 400; i++) {
        apr_pool_t *p;
        const char *tmpl;
        migate_trie *t;
        pcre2_code *c;

        apr_pool_create(&p, pp);
        tmpl = random_template(p);
        must(migate_template_check(p, tmpl), tmpl);
        t = migate_trie_make(p);
        migate_trie_add_template(p, t, tmpl, 0, 1);
        c = re(tool_regex(p, tmpl));
        for (j = 0; j < 200; j++) {
            size_t len;
            char *s = random_path(p, &len);
            int rule, a = trie_has(t, s, len, &rule);
            int b = re_matches(c, s, len);
            n++;
            hits += b;
            if (a != b && bad++ < 5) {
                diag("%s on %.*s: template %d, regex %s %d", tmpl, (int)len,
                     s, a, tool_regex(p, tmpl), b);
            }
        }
        pcre2_code_free(c);
        apr_pool_destroy(p);
    }
    is_int(bad, 0, "400 random templates x 200 paths: trie and regex "
           "agree (%d of %d paths matched)", hits, n);
    ok(hits > n / 50, "the random paths match often enough to mean it");
}

/*
 * Many templates in one policy, each with a method set, through the
 * whole decision on canonical paths: allowed exactly when a template
 * whose method set admits the method has a regex that matches; refused
 * "method" when only others match; the rule named is one that matches
 * and admits the method.
 */
static void test_random_policy(apr_pool_t *pp)
{
    static const char *const msets[] = { NULL, "GET", "POST,PUT", "DELETE" };
    static const char *const methods[] = { "GET", "HEAD", "POST", "DELETE" };
    enum { N_T = 40 };
    int round, bad = 0, passed = 0, n = 0;

    for (round = 0; round < 30; round++) {
        apr_pool_t *p;
        migate_policy *pol;
        pcre2_code *c[N_T];
        migate_methods_t ms[N_T];
        const char *where[N_T];
        int i, j;

        apr_pool_create(&p, pp);
        pol = migate_policy_make(p);
        for (i = 0; i < N_T; i++) {
            const char *tmpl = random_template(p);
            const char *bad_at;
            size_t bad_len;
            int k = rand() % 4;

            ms[i] = MIGATE_METHODS_ANY;
            if (msets[k]) {
                must(migate_methods_parse(msets[k], &ms[i], &bad_at,
                                          &bad_len), msets[k]);
            }
            where[i] = apr_psprintf(p, "t:%d", i);
            must(migate_policy_allow(pol, MIGATE_RULE_TEMPLATE, tmpl, ms[i],
                                     where[i]), tmpl);
            c[i] = re(tool_regex(p, tmpl));
        }
        migate_policy_compile(pol);
        for (j = 0; j < 300; j++) {
            const char *m = methods[rand() % 4];
            size_t len;
            char *s = random_path(p, &len), *canon;
            migate_request_t rq;
            migate_verdict_t v;
            migate_reason_e r;
            int any = 0, admit = 0, named = -1;

            if (memchr(s, '\0', len) || memchr(s, ' ', len)
                || memchr(s, '%', len) || memchr(s, '{', len)) {
                continue;
            }
            rq.method = m;
            rq.method_len = strlen(m);
            rq.path = s;
            rq.path_len = len;
            rq.query = NULL;
            rq.query_len = 0;
            r = migate_policy_decide(pol, &rq, p, &v);
            if (!v.canon) {
                continue;
            }
            canon = apr_pstrmemdup(p, v.canon, v.canon_len);
            for (i = 0; i < N_T; i++) {
                if (re_matches(c[i], canon, v.canon_len)) {
                    any = 1;
                    if (migate_methods_admit(ms[i], m, strlen(m))) {
                        admit = 1;
                    }
                    if (r == MIGATE_PASS
                        && !strcmp(migate_policy_rule_name(pol, v.rule),
                                   where[i])) {
                        named = i;
                    }
                }
            }
            n++;
            passed += r == MIGATE_PASS;
            if ((r == MIGATE_PASS) != admit
                || (r == MIGATE_PASS && (named < 0
                    || !migate_methods_admit(ms[named], m, strlen(m))))
                || (r != MIGATE_PASS
                    && r != (any ? MIGATE_R_METHOD : MIGATE_R_NOT_ALLOWED))) {
                if (bad++ < 5) {
                    diag("%s %s (canon %s): %s, regex any %d admit %d",
                         m, s, canon, migate_reason_name(r), any, admit);
                }
            }
        }
        for (i = 0; i < N_T; i++) {
            pcre2_code_free(c[i]);
        }
        apr_pool_destroy(p);
    }
    is_int(bad, 0, "30 policies of 40 templates with method sets: the "
           "decision is the regexes' (%d of %d passed)", passed, n);
    ok(passed > n / 20 && passed < n, "both verdicts occur");
}

/* ---------------------------------------------------------------- */
/* What a template rule refuses, and what it names                   */

static void test_check(apr_pool_t *p)
{
    static const struct {
        const char *tmpl;
        const char *err;        /* part of the error, or NULL */
    } tc[] = {
        { "/orders/{id}", NULL },
        { "/orders/{id}/items/{item_id}", NULL },
        { "/{a}/{b-c}/{d.e}", NULL },
        { "/orders", NULL },
        { "/", NULL },
        { "/orders/{id}?expand={x}&y={+z}", NULL },
        { "/orders/?x", NULL },
        { "/caf\xc3\xa9/{x}", NULL },
        { "orders/{id}", "start with '/'" },
        { "{id}", "start with '/'" },
        { "", "start with '/'" },
        { "/orders/{+path}", "MiGateAllowMatch" },
        { "/orders/{.ext}", "MiGateAllowMatch" },
        { "/orders/{/seg}", "MiGateAllowMatch" },
        { "/orders/{#frag}", "MiGateAllowMatch" },
        { "/orders/{;p}", "MiGateAllowMatch" },
        { "/orders{?q}", "MiGateAllowMatch" },
        { "/orders/{&q}", "MiGateAllowMatch" },
        { "/orders/*", "MiGateAllowMatch" },
        { "/orders/a*", "MiGateAllowMatch" },
        { "/*", "MiGateAllowMatch" },
        { "/orders/id-{id}", "MiGateAllowMatch" },
        { "/orders/{id}.json", "MiGateAllowMatch" },
        { "/orders/{a}{b}", "MiGateAllowMatch" },
        { "/orders/{id", "MiGateAllowMatch" },
        { "/orders/id}", "MiGateAllowMatch" },
        { "/orders/{a,b}", "MiGateAllowMatch" },
        { "/orders/{a:3}", "MiGateAllowMatch" },
        { "/orders/{}", "empty" },
        { "/orders/{a b}", "variable name" },
        { "/orders//{id}", "'//'" },
        { "/orders/{id}//", "'//'" },
        { "/a/./{id}", "segment" },
        { "/a/../{id}", "segment" },
        { "/a%20b/{id}", "'%'" },
        { "/a;x/{id}", "';'" },
        { "/a#x/{id}", "'#'" },
        { "/a\\b/{id}", "'\\'" },
        { "/a\x01/{id}", "control" },
        { "/a/{id}?x=\x7f", "control" },
    };
    size_t i;

    for (i = 0; i < sizeof(tc) / sizeof(tc[0]); i++) {
        const char *e = migate_rule_check(p, MIGATE_RULE_TEMPLATE,
                                          tc[i].tmpl);
        if (!tc[i].err) {
            ok(e == NULL, "template '%s' accepted%s%s", tc[i].tmpl,
               e ? ": " : "", e ? e : "");
        }
        else {
            ok(e && strstr(e, tc[i].err), "template '%s' refused, naming "
               "%s (%s)", tc[i].tmpl, tc[i].err, e ? e : "accepted");
        }
    }
}

/* Templates among prefix and exact rules: the more specific rule (a
 * literal before a wildcard) names the request; each rule keeps its own
 * method set on a shared node. */
static void test_naming(apr_pool_t *p)
{
    migate_policy *pol = migate_policy_make(p);
    migate_verdict_t v;
    migate_request_t rq;
    static const struct {
        const char *method, *path;
        migate_reason_e r;
        const char *rule;
    } rc[] = {
        { "GET", "/orders/1", MIGATE_PASS, "t:1" },
        { "PUT", "/orders/1", MIGATE_PASS, "t:2" },
        { "DELETE", "/orders/1", MIGATE_R_METHOD, "builtin:default-deny" },
        { "GET", "/orders/new", MIGATE_PASS, "t:3" },
        { "PUT", "/orders/new", MIGATE_PASS, "t:2" },
        { "GET", "/orders/", MIGATE_PASS, "t:1" },
        { "GET", "/orders/1/", MIGATE_PASS, "t:1" },
        { "GET", "/orders", MIGATE_R_NOT_ALLOWED, "builtin:default-deny" },
        { "GET", "/orders/1/items/2", MIGATE_PASS, "t:4" },
        { "GET", "/orders/1/items/", MIGATE_PASS, "t:4" },
        { "GET", "/orders/1/items", MIGATE_R_NOT_ALLOWED,
          "builtin:default-deny" },
        { "GET", "/orders/1/lines", MIGATE_R_NOT_ALLOWED,
          "builtin:default-deny" },
        { "GET", "/api/x/y", MIGATE_PASS, "p:5" },
        { "GET", "/v1/a/b", MIGATE_PASS, "t:7" },
        { "GET", "/v1/a/c", MIGATE_PASS, "t:6" },
        { "GET", "/Orders/1", MIGATE_R_NOT_ALLOWED, "builtin:default-deny" },
        { "GET", "/orders/1?expand=all", MIGATE_PASS, "t:1" },
    };
    size_t i;

    must(migate_policy_allow(pol, MIGATE_RULE_TEMPLATE, "/orders/{id}",
                             (migate_methods_t)1 << 0, "t:1"), "t1");
    {
        migate_methods_t m;
        const char *bad;
        size_t bl;
        must(migate_methods_parse("PUT", &m, &bad, &bl), "PUT");
        must(migate_policy_allow(pol, MIGATE_RULE_TEMPLATE, "/orders/{x}", m,
                                 "t:2"), "t2");
        must(migate_methods_parse("GET", &m, &bad, &bl), "GET");
        /* the first template names GET: index 0 must be GET for t:1 */
        is_str(migate_method_name(0), "GET", "method bit 0 is GET");
        must(migate_policy_allow(pol, MIGATE_RULE_TEMPLATE, "/orders/new", m,
                                 "t:3"), "t3");
    }
    must(migate_policy_allow(pol, MIGATE_RULE_TEMPLATE,
                             "/orders/{id}/items/{item}", 0, "t:4"), "t4");
    must(migate_policy_allow(pol, MIGATE_RULE_PREFIX, "/api", 0, "p:5"),
         "p5");
    must(migate_policy_allow(pol, MIGATE_RULE_TEMPLATE, "/{v}/a/{x}", 0,
                             "t:6"), "t6");
    must(migate_policy_allow(pol, MIGATE_RULE_TEMPLATE, "/v1/{a}/b", 0,
                             "t:7"), "t7");
    ok(migate_policy_deny(pol, MIGATE_RULE_TEMPLATE, "/x/{y}", "d") != NULL,
       "a template is no deny rule");
    is_int(migate_policy_allow_count(pol), 7, "templates count as allow "
           "rules");
    migate_policy_compile(pol);
    for (i = 0; i < sizeof(rc) / sizeof(rc[0]); i++) {
        const char *q = strchr(rc[i].path, '?');
        rq.method = rc[i].method;
        rq.method_len = strlen(rc[i].method);
        rq.path = rc[i].path;
        rq.path_len = q ? (size_t)(q - rc[i].path) : strlen(rc[i].path);
        rq.query = q ? q + 1 : NULL;
        rq.query_len = q ? strlen(q + 1) : 0;
        migate_policy_decide(pol, &rq, p, &v);
        ok(v.reason == rc[i].r
           && !strcmp(migate_policy_rule_name(pol, v.rule), rc[i].rule),
           "%s %s -> %s rule=%s", rc[i].method, rc[i].path,
           migate_reason_name(rc[i].r), rc[i].rule);
        if (v.reason != rc[i].r
            || strcmp(migate_policy_rule_name(pol, v.rule), rc[i].rule)) {
            diag("got %s rule=%s", migate_reason_name(v.reason),
                 migate_policy_rule_name(pol, v.rule));
        }
    }
}

/* A wildcard at every level under literals that also match: the walk
 * still ends (each node once) and finds the one template that matches. */
static void test_depth(apr_pool_t *p)
{
    migate_policy *pol = migate_policy_make(p);
    migate_verdict_t v;
    migate_request_t rq;
    char path[64], *t;
    int i, k;

    /* templates /a/a/.../{x}/... : the literal "a" and {x} at each level */
    for (k = 0; k < 20; k++) {
        t = apr_pstrdup(p, "");
        for (i = 0; i < 20; i++) {
            t = apr_pstrcat(p, t, i == k ? "/{x}" : "/a", NULL);
        }
        must(migate_policy_allow(pol, MIGATE_RULE_TEMPLATE,
                                 apr_pstrcat(p, t, "/end", NULL), 0,
                                 apr_psprintf(p, "d:%d", k)), t);
    }
    migate_policy_compile(pol);
    for (i = 0; i < 20; i++) {
        memcpy(path + 2 * i, "/a", 2);
    }
    memcpy(path + 40, "/end", 5);
    rq.method = "GET";
    rq.method_len = 3;
    rq.path = path;
    rq.path_len = strlen(path);
    rq.query = NULL;
    rq.query_len = 0;
    for (k = 0; k < 20; k += 5) {
        path[2 * k + 1] = 'b';      /* only d:k takes "b" at level k */
        migate_policy_decide(pol, &rq, p, &v);
        ok(v.reason == MIGATE_PASS
           && !strcmp(migate_policy_rule_name(pol, v.rule),
                      apr_psprintf(p, "d:%d", k)),
           "20 wildcard levels: the one template that matches decides "
           "(d:%d)", k);
        path[2 * k + 1] = 'a';
    }
    migate_policy_decide(pol, &rq, p, &v);
    ok(v.reason == MIGATE_PASS
       && !strcmp(migate_policy_rule_name(pol, v.rule), "d:19"),
       "a path every template matches: the one with the most literals "
       "first");
    memcpy(path + 40, "/xx", 4);
    rq.path_len = strlen(path);
    migate_policy_decide(pol, &rq, p, &v);
    is_int(v.reason, MIGATE_R_NOT_ALLOWED, "a miss at the end of 20 levels");
}

/* ---------------------------------------------------------------- */
/* Regex limits                                                      */

static void test_limits(apr_pool_t *p)
{
    migate_policy *allow = migate_policy_make(p), *deny;
    migate_verdict_t v;
    migate_request_t rq;
    char *aa = apr_palloc(p, 8002), *words = apr_palloc(p, 8002);
    int i;

    aa[0] = '/';
    for (i = 1; i < 8000; i++) {
        aa[i] = 'a';
        words[i] = i % 4 ? 'w' : '_';
    }
    aa[8000] = '!';
    aa[8001] = '\0';
    words[0] = '/';
    words[8000] = '!';
    words[8001] = '\0';

    must(migate_policy_allow(allow, MIGATE_RULE_REGEX, "^/(a+)+$", 0,
                             "a:1"), "a+");
    must(migate_policy_allow(allow, MIGATE_RULE_REGEX, "^/(\\w+\\s?)*$", 0,
                             "a:2"), "w+");
    must(migate_policy_allow(allow, MIGATE_RULE_PREFIX, "/ok", 0, "a:3"),
         "ok");
    migate_policy_compile(allow);
    deny = migate_policy_make(p);
    must(migate_policy_allow(deny, MIGATE_RULE_PREFIX, "/", 0, "d:0"), "/");
    must(migate_policy_deny(deny, MIGATE_RULE_REGEX, "^/(a+)+$", "d:1"),
         "a+");
    migate_policy_compile(deny);

    rq.method = "GET";
    rq.method_len = 3;
    rq.query = NULL;
    rq.query_len = 0;
    for (i = 0; i < 4; i++) {
        /* short and long runs, ending in a byte that fails the match */
        const char *s = i % 2 ? aa : words;
        size_t len = i < 2 ? 40 : 8001;
        char *subj = apr_pstrmemdup(p, s, len);

        subj[len - 1] = '!';
        rq.path = subj;
        rq.path_len = len;
        migate_policy_decide(allow, &rq, p, &v);
        ok(v.reason == MIGATE_R_NOT_ALLOWED && v.detail
           && strstr(v.detail, "not run") && strstr(v.detail, "a:")
           && strstr(v.detail, "allows nothing"),
           "allow regex over its limit, %s of %d bytes: not allowed, "
           "said so (%s)", i % 2 ? "a's" : "words", (int)len,
           v.detail ? v.detail : "no detail");
        rq.path = aa;
        rq.path_len = len;
        if (i % 2) {
            subj = apr_pstrmemdup(p, aa, len);
            subj[len - 1] = '!';
            rq.path = subj;
            migate_policy_decide(deny, &rq, p, &v);
            ok(v.reason == MIGATE_R_HARD_DENY && v.detail
               && strstr(v.detail, "d:1") && strstr(v.detail, "refused"),
               "deny regex over its limit on %d bytes: denied, said so "
               "(%s)", (int)len, v.detail ? v.detail : "no detail");
        }
    }
    /* the limit costs nothing where a regex behaves */
    rq.path = "/aaaa";
    rq.path_len = 5;
    migate_policy_decide(allow, &rq, p, &v);
    ok(v.reason == MIGATE_PASS && v.detail == NULL, "a short match passes");
    rq.path = "/ok/x";
    migate_policy_decide(allow, &rq, p, &v);
    ok(v.reason == MIGATE_PASS && v.detail == NULL, "a prefix rule passes");
}

int main(void)
{
    apr_pool_t *p;

    apr_initialize();
    apr_pool_create(&p, NULL);
    srand(20);
    test_golden(p);
    test_check(p);
    test_random_single(p);
    test_random_policy(p);
    test_naming(p);
    test_depth(p);
    test_limits(p);
    apr_pool_destroy(p);
    apr_terminate();
    return done_testing();
}
