/*
 * migate_rules.c - the compiled policy of one gated server and the
 * decision it makes on one request.  Pure: no httpd headers.
 *
 * The decision runs on every request, so its cost must not grow with the
 * number of rules: prefix, exact and template rules live in a segment
 * trie (migate_trie.c), regexes are merged per method set and run under
 * PCRE2's limits (migate_regex.c), metadata queries are told by one
 * vocabulary (migate_meta.c).  This file holds the rule names, the
 * built-in checks and the order in which a request meets them.
 * Everything is built at configuration time from the policy pool and only
 * read afterwards, so all threads of all children share it without locks.
 */
#include <string.h>

#include <apr_hash.h>
#include <apr_strings.h>
#include <apr_tables.h>

#include "migate_path.h"
#include "migate_regex.h"
#include "migate_rules.h"
#include "migate_trie.h"

struct migate_policy {
    apr_pool_t *pool;
    migate_trie *allow;         /* case-sensitive keys                 */
    migate_trie *deny;          /* lowercase keys                      */
    migate_regex_set *allow_re;
    migate_regex_set *deny_re;  /* caseless                            */
    apr_hash_t *services;       /* opened names, exact case            */
    apr_array_header_t *names;  /* of const char *: what decided, by
                                   rule index (the built-in checks
                                   first, in migate_builtin_e order)  */
    int n_allow;                /* prefix, exact, template and regex
                                   allow rules                         */
    unsigned metadata;          /* MIGATE_META_* kinds allowed         */
    int first_rule;             /* index of the first operator's rule  */
    int n_deny_re;              /* deny regexes: none, no deny pass    */
    int compiled;
};

#define SVC_DIR     "/services/"
#define SVC_DIR_LEN 10

/* The paths denied whatever the configuration, any case (SPEC "Always
 * enforced"), after /services, which is judged as MI sees it.  The
 * dump, the status page and the tools read this table. */
static const char *const builtin_deny[] = {
    "/management", "/dashboard", "/carbon", "/fileupload",
};
#define N_BUILTIN_DENY (sizeof(builtin_deny) / sizeof(builtin_deny[0]))

/* Names of the built-in checks, in migate_builtin_e order; the built-in
 * denies follow them as "builtin:/management", ... */
static const char *const builtin_names[MIGATE_B__COUNT] = {
    "builtin:method", "builtin:canonical-path", "builtin:services",
    "builtin:service-metadata", "builtin:default-deny", "builtin:header",
    "builtin:protocol", "builtin:backend-plain", "builtin:backend-tls",
};

/* ---------------------------------------------------------------- */
/* "/services/" in a target                                          */

/* Offset of the first "/services/" (any case) at or after from, or -1.
 * Runs up to four times per request over path and query: memchr jumps
 * from '/' to '/' (one SIMD pass), and only the bytes after a '/' are
 * compared, folded (migate_fold). */
static long find_svc(const char *s, size_t len, size_t from)
{
    const char *p, *last;
    size_t i;

    if (!s || len < SVC_DIR_LEN || from > len - SVC_DIR_LEN) {
        return -1;
    }
    p = s + from;
    last = s + len - SVC_DIR_LEN;
    while (p <= last) {
        p = memchr(p, '/', (size_t)(last - p) + 1);
        if (!p) {
            return -1;
        }
        for (i = 1; i < SVC_DIR_LEN; i++) {
            if (migate_fold((unsigned char)p[i])
                != (unsigned char)SVC_DIR[i]) {
                break;
            }
        }
        if (i == SVC_DIR_LEN) {
            return (long)(p - s);
        }
        p++;
    }
    return -1;
}

/* Whether "/services" (any case) followed by at least one more byte
 * occurs at or after from.  Axis2 dispatches on the *last* occurrence of
 * the service path in the whole target and skips one byte after it,
 * whatever it is (org.apache.axis2.util.Utils.
 * parseRequestURLForServiceAndOperation: path.lastIndexOf(servicePath),
 * then path.substring(serviceStart + 1)), so "/servicesXSecret" later in
 * the path or query names service "Secret". */
static int has_svc_again(const char *s, size_t len, size_t from)
{
    const char *p, *last;
    size_t i;

    if (!s || len < SVC_DIR_LEN || from > len - SVC_DIR_LEN) {
        return 0;
    }
    p = s + from;
    last = s + len - SVC_DIR_LEN;     /* "/services" and one more byte */
    while (p <= last) {
        p = memchr(p, '/', (size_t)(last - p) + 1);
        if (!p) {
            return 0;
        }
        for (i = 1; i < SVC_DIR_LEN - 1; i++) {
            if (migate_fold((unsigned char)p[i])
                != (unsigned char)SVC_DIR[i]) {
                break;
            }
        }
        if (i == SVC_DIR_LEN - 1) {
            return 1;
        }
        p++;
    }
    return 0;
}

/* ---------------------------------------------------------------- */
/* Pattern checks                                                    */

const char *migate_rule_check(apr_pool_t *p, migate_rule_kind_e kind,
                              const char *pattern)
{
    const char *s;

    if (!pattern) {
        return "missing pattern";
    }
    if (kind == MIGATE_RULE_REGEX) {
        return migate_regex_check(p, pattern);
    }
    if (kind == MIGATE_RULE_TEMPLATE) {
        return migate_template_check(p, pattern);
    }
    if (kind != MIGATE_RULE_PREFIX && kind != MIGATE_RULE_EXACT) {
        return "unknown rule kind";
    }
    /* Rules are matched against the canonical path, so a pattern that
     * no canonical path can equal is a mistake worth reporting. */
    if (pattern[0] != '/') {
        return apr_psprintf(p, "path '%s' does not start with '/'",
                            pattern);
    }
    for (s = pattern; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c < 0x20 || c == 0x7f) {
            return "path contains a control character";
        }
        if (c == '*') {
            /* no glob: a '*' matches itself, which no one means */
            return apr_psprintf(p, "path '%s' contains '*', which would "
                                "match only a literal '*': for a pattern "
                                "use a regex (MiGateAllowMatch, "
                                "MiGateDenyMatch)", pattern);
        }
        if (c == '%' || c == '?' || c == '#' || c == ';' || c == '\\') {
            return apr_psprintf(p, "path '%s' contains '%c': rules match "
                                "the decoded canonical path, write it "
                                "without escapes, query or parameters",
                                pattern, c);
        }
    }
    for (s = pattern; *s; ) {
        /* s is at a '/': look at the segment after it */
        const char *e = strchr(s + 1, '/');
        size_t n = e ? (size_t)(e - s - 1) : strlen(s + 1);
        if (n == 0 && e) {
            return apr_psprintf(p, "path '%s' contains '//': the "
                                "canonical path never does", pattern);
        }
        if ((n == 1 && s[1] == '.') || (n == 2 && s[1] == '.'
                                        && s[2] == '.')) {
            return apr_psprintf(p, "path '%s' contains a '.' or '..' "
                                "segment: the canonical path never does",
                                pattern);
        }
        if (!e) {
            break;
        }
        s = e;
    }
    return NULL;
}

const char *migate_service_name_check(apr_pool_t *p, const char *name)
{
    size_t i, n;

    if (!name || !*name) {
        return "empty service name";
    }
    n = strlen(name);
    if (n > 128) {
        return "service name longer than 128 characters";
    }
    for (i = 0; i < n; i++) {
        unsigned char c = (unsigned char)name[i];
        /* '.' would be read by MI as the start of an endpoint name */
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')
              || (c >= '0' && c <= '9') || c == '_' || c == '-')) {
            return apr_psprintf(p, "service name '%s' may contain only "
                                "letters, digits, '_' and '-'", name);
        }
    }
    for (i = 0; i + 5 <= n; i++) {
        if (migate_ci_eq(name + i, "admin", 5)) {
            return apr_psprintf(p, "service name '%s': service names "
                                "containing 'admin' are MI admin services "
                                "and are never opened", name);
        }
    }
    return NULL;
}

/* ---------------------------------------------------------------- */
/* Building a policy                                                 */

/* Add what names a rule ("file:line", "builtin:..."); its index. */
static int rule_name(migate_policy *pol, const char *where)
{
    APR_ARRAY_PUSH(pol->names, const char *) =
        apr_pstrdup(pol->pool, where ? where : "-");
    return pol->names->nelts - 1;
}

migate_policy *migate_policy_make(apr_pool_t *p)
{
    migate_policy *pol = apr_pcalloc(p, sizeof(*pol));
    size_t i;

    pol->pool = p;
    pol->allow = migate_trie_make(p);
    pol->deny = migate_trie_make(p);
    pol->allow_re = migate_regex_set_make(p, 0);
    pol->deny_re = migate_regex_set_make(p, 1);
    pol->services = apr_hash_make(p);
    pol->names = apr_array_make(p, 16, sizeof(const char *));
    for (i = 0; i < MIGATE_B__COUNT; i++) {
        APR_ARRAY_PUSH(pol->names, const char *) = builtin_names[i];
    }
    for (i = 0; i < N_BUILTIN_DENY; i++) {
        migate_trie_add(p, pol->deny, builtin_deny[i], 0, MIGATE_METHODS_ANY,
                        rule_name(pol, apr_pstrcat(p, "builtin:",
                                                   builtin_deny[i], NULL)));
    }
    pol->first_rule = pol->names->nelts;
    return pol;
}

const char *migate_builtin_name(migate_builtin_e b)
{
    return (int)b >= 0 && b < MIGATE_B__COUNT ? builtin_names[b] : NULL;
}

int migate_policy_rule_count(const migate_policy *pol)
{
    return pol->names->nelts;
}

const char *migate_policy_rule_name(const migate_policy *pol, int rule)
{
    if (rule < 0 || rule >= pol->names->nelts) {
        return NULL;
    }
    return APR_ARRAY_IDX(pol->names, rule, const char *);
}

int migate_policy_first_rule(const migate_policy *pol)
{
    return pol->first_rule;
}

const char *migate_builtin_deny_path(int i)
{
    if (i == 0) {
        return "/services";
    }
    return i > 0 && (size_t)i <= N_BUILTIN_DENY ? builtin_deny[i - 1] : NULL;
}

/* Add a regex rule; its name is taken only when it compiles, so that
 * a refused rule leaves no index behind. */
static const char *add_regex(migate_policy *pol, migate_regex_set *set,
                             const char *pattern, migate_methods_t methods,
                             const char *where)
{
    const char *err = migate_regex_add(set, pattern, methods,
                                       pol->names->nelts);

    if (!err) {
        rule_name(pol, where);
    }
    return err;
}

const char *migate_policy_allow(migate_policy *pol, migate_rule_kind_e kind,
                                const char *pattern,
                                migate_methods_t methods, const char *where)
{
    const char *err;

    if (pol->compiled) {
        return "policy already compiled";
    }
    if (kind == MIGATE_RULE_REGEX) {
        err = add_regex(pol, pol->allow_re, pattern, methods, where);
    }
    else {
        err = migate_rule_check(pol->pool, kind, pattern);
        if (!err && kind == MIGATE_RULE_TEMPLATE) {
            migate_trie_add_template(pol->pool, pol->allow, pattern,
                                     methods, rule_name(pol, where));
        }
        else if (!err) {
            migate_trie_add(pol->pool, pol->allow, pattern,
                            kind == MIGATE_RULE_EXACT, methods,
                            rule_name(pol, where));
        }
    }
    if (!err) {
        pol->n_allow++;
    }
    return err;
}

const char *migate_policy_deny(migate_policy *pol, migate_rule_kind_e kind,
                               const char *pattern, const char *where)
{
    const char *err;
    char *low;
    size_t i;

    if (pol->compiled) {
        return "policy already compiled";
    }
    if (kind == MIGATE_RULE_REGEX) {
        err = add_regex(pol, pol->deny_re, pattern, MIGATE_METHODS_ANY,
                        where);
        pol->n_deny_re += !err;
        return err;
    }
    if (kind == MIGATE_RULE_TEMPLATE) {
        return "a template is an allow rule";
    }
    err = migate_rule_check(pol->pool, kind, pattern);
    if (err) {
        return err;
    }
    low = apr_pstrdup(pol->pool, pattern);
    for (i = 0; low[i]; i++) {
        low[i] = (char)migate_fold((unsigned char)low[i]);
    }
    migate_trie_add(pol->pool, pol->deny, low, kind == MIGATE_RULE_EXACT,
                    MIGATE_METHODS_ANY, rule_name(pol, where));
    return NULL;
}

const char *migate_policy_service(migate_policy *pol, const char *name,
                                  const char *where)
{
    const char *err;
    int *rule;

    if (pol->compiled) {
        return "policy already compiled";
    }
    err = migate_service_name_check(pol->pool, name);
    if (err) {
        return err;
    }
    /* A name opened twice keeps its first rule; the second gets an
     * index all the same, so that every rule as written has one. */
    rule = apr_palloc(pol->pool, sizeof(*rule));
    *rule = rule_name(pol, where);
    if (!apr_hash_get(pol->services, name, APR_HASH_KEY_STRING)) {
        apr_hash_set(pol->services, apr_pstrdup(pol->pool, name),
                     APR_HASH_KEY_STRING, rule);
    }
    return NULL;
}

void migate_policy_set_metadata_kinds(migate_policy *pol, unsigned kinds)
{
    pol->metadata = kinds & MIGATE_META_ALL;
}

void migate_policy_compile(migate_policy *pol)
{
    if (pol->compiled) {
        return;
    }
    migate_regex_set_compile(pol->allow_re);
    migate_regex_set_compile(pol->deny_re);
    pol->compiled = 1;
}

int migate_policy_allow_count(const migate_policy *pol)
{
    return pol->n_allow + (int)apr_hash_count(pol->services);
}

/* ---------------------------------------------------------------- */
/* Deciding                                                          */

static int is_meta_method(const char *m, size_t len)
{
    return (len == 3 && memcmp(m, "GET", 3) == 0)
        || (len == 4 && memcmp(m, "HEAD", 4) == 0)
        || (len == 7 && memcmp(m, "OPTIONS", 7) == 0);
}

/* The detail of a refusal where a regex rule could not be run. */
static const char *not_run(apr_pool_t *p, const migate_policy *pol,
                           int rule, int error, const char *what)
{
    return apr_psprintf(p, "regex %s not run (%s): %s",
                        migate_policy_rule_name(pol, rule),
                        migate_regex_error(p, error), what);
}

/* MiGateDenyMatch: the canonical path, the raw target (path '?' query as
 * sent) and the target with path and query percent-decoded once.  A
 * regex that cannot be run denies, and is named: fail closed. */
static int deny_regex(const migate_policy *pol, const char *rp, size_t rlen,
                      const char *q, size_t qlen, const char *canon,
                      size_t clen, int same, apr_pool_t *p,
                      migate_verdict_t *v)
{
    int error = 0;

    const char *subj[3];
    size_t len[3];
    char *t;
    int i, rc;

    subj[0] = canon;
    len[0] = clen;
    subj[1] = rp;
    len[1] = rlen;
    if (q && q == rp + rlen + 1 && rp[rlen] == '?') {
        /* the usual case: path and query are still one string */
        len[1] = rlen + qlen + 1;
    }
    else if (q) {
        t = apr_palloc(p, rlen + qlen + 2);
        memcpy(t, rp, rlen);
        t[rlen] = '?';
        memcpy(t + rlen + 1, q, qlen);
        t[rlen + qlen + 1] = '\0';
        subj[1] = t;
        len[1] = rlen + qlen + 1;
    }
    subj[2] = NULL;
    len[2] = 0;
    if (memchr(subj[1], '%', len[1])) {
        t = apr_palloc(p, len[1] + 1);
        len[2] = migate_query_decode(subj[1], len[1], t);
        subj[2] = t;
    }
    else if (same && !q) {
        /* most targets are their own canonical path: match that once */
        subj[1] = NULL;
    }
    for (i = 0; i < 3; i++) {
        rc = subj[i] ? migate_regex_match(pol->deny_re, subj[i], len[i],
                                          NULL, 1, &v->rule, &error)
                     : 0;
        if (rc < 0) {
            v->detail = not_run(p, pol, v->rule, error, "refused");
        }
        if (rc != 0) {
            return 1;
        }
    }
    return 0;
}

/* Steps 1 to 5: what is enforced whatever the mode.  *svc_ok is set when
 * the request names an opened service correctly. */
static migate_reason_e gate(const migate_policy *pol,
                            const migate_request_t *rq, apr_pool_t *p,
                            migate_verdict_t *v, int *svc_ok)
{
    const char *rp = rq->path ? rq->path : "";
    size_t rlen = rq->path ? rq->path_len : 0;
    const char *q = rq->query;
    size_t qlen = q ? rq->query_len : 0;
    const char *method = rq->method ? rq->method : "";
    size_t mlen = rq->method ? rq->method_len : 0;
    char *canon, *dq = NULL;
    size_t clen = 0, dqlen = 0;
    migate_reason_e r;
    int svc_exact = 0, matched = 0, same;
    int *svc_rule;
    unsigned kinds;

    *svc_ok = 0;
    memset(v, 0, sizeof(*v));       /* MIGATE_PASS, no canon, no detail */
    v->rule = -1;

    /* 0. an uncompiled policy runs no regex: fail closed */
    if (!pol->compiled) {
        v->rule = MIGATE_B_DEFAULT_DENY;
        return MIGATE_R_NOT_ALLOWED;
    }

    /* 1. methods the gate never passes */
    if (migate_method_forbidden(method, mlen)) {
        v->rule = MIGATE_B_METHOD;
        return MIGATE_R_METHOD;
    }

    /* 2. the canonical path, or 400 */
    canon = apr_palloc(p, rlen + 1);
    r = migate_canon(rp, rlen, q, qlen, canon, &clen);
    if (r != MIGATE_PASS) {
        v->rule = MIGATE_B_CANONICAL_PATH;
        return r;
    }
    v->canon = canon;
    v->canon_len = clen;
    /* Without a '%' the decoded query is the query itself: every check
     * below that looks at dq would repeat the one on q. */
    if (q && memchr(q, '%', qlen)) {
        dq = apr_palloc(p, qlen + 1);
        dqlen = migate_query_decode(q, qlen, dq);
    }

    /* 3. services, as MI dispatches them: "/services/" anywhere in the
     * raw target (Synapse's PassThrough dispatcher looks for it before
     * any REST API), and the name is what Axis2 takes after the last
     * "/services" of the whole target */
    /* Most targets are their own canonical path: one scan serves both. */
    same = clen == rlen && memcmp(canon, rp, clen) == 0;
    v->rule = MIGATE_B_SERVICES;
    if ((clen >= 9 && migate_ci_eq(canon, "/services", 9)
         && (clen == 9 || canon[9] == '/'))
        || find_svc(rp, rlen, 0) >= 0 || find_svc(q, qlen, 0) >= 0
        || (!same && find_svc(canon, clen, 0) >= 0)
        || find_svc(dq, dqlen, 0) >= 0) {
        const char *name = canon + SVC_DIR_LEN;
        size_t nlen = 0, hl;

        if (clen <= SVC_DIR_LEN || memcmp(canon, SVC_DIR, SVC_DIR_LEN)) {
            return MIGATE_R_SERVICES;
        }
        while (SVC_DIR_LEN + nlen < clen && name[nlen] != '/'
               && name[nlen] != '.') {
            nlen++;
        }
        hl = SVC_DIR_LEN + nlen;
        svc_rule = nlen ? apr_hash_get(pol->services, name,
                                       (apr_ssize_t)nlen) : NULL;
        if (!svc_rule
            || rlen < hl || memcmp(rp, canon, hl) != 0
            || (rlen > hl && rp[hl] != '/' && rp[hl] != '.')
            || memchr(rp, ';', rlen)
            /* a second "/services" anywhere names another service */
            || has_svc_again(rp, rlen, 1) || has_svc_again(canon, clen, 1)
            || has_svc_again(q, qlen, 0) || has_svc_again(dq, dqlen, 0)) {
            return MIGATE_R_SERVICES;
        }
        *svc_ok = 1;
        v->rule = *svc_rule;
        svc_exact = clen == hl && rlen == hl;
    }

    /* 4. metadata queries: MI serves them for any service or API */
    kinds = q ? migate_metadata_query_kinds(q, qlen)
                | migate_metadata_query_kinds(dq, dqlen) : 0;
    if (kinds) {
        if ((kinds & ~pol->metadata) || !svc_exact
            || !is_meta_method(method, mlen)) {
            v->rule = MIGATE_B_SERVICE_METADATA;
            return MIGATE_R_SERVICE_METADATA;
        }
    }

    /* 5. hard denies, any case */
    if (migate_trie_match(pol->deny, canon, clen, NULL, 1, &matched,
                          &v->rule)) {
        return MIGATE_R_HARD_DENY;
    }
    if (pol->n_deny_re
        && deny_regex(pol, rp, rlen, q, qlen, canon, clen, same, p, v)) {
        return MIGATE_R_HARD_DENY;
    }
    if (!*svc_ok) {
        v->rule = -1;
    }
    return MIGATE_PASS;
}

/* Step 6: the allowlist.  *rule is the rule that allowed.  A regex
 * that cannot be run does not allow (and the refusal says so). */
static migate_reason_e allowlist(const migate_policy *pol,
                                 const char *method, size_t mlen,
                                 apr_pool_t *p, migate_verdict_t *v)
{
    /* not forbidden: step 1 refused those */
    migate_methods_t mbits = migate_method_bits(method, mlen);
    int matched = 0, other, error = 0, rc;

    if (migate_trie_match(pol->allow, v->canon, v->canon_len, &mbits, 0,
                          &matched, &v->rule)) {
        return MIGATE_PASS;
    }
    rc = migate_regex_match(pol->allow_re, v->canon, v->canon_len, &mbits,
                            1, &other, &error);
    if (rc == 1) {
        v->rule = other;
        return MIGATE_PASS;
    }
    if (rc < 0) {
        v->detail = not_run(p, pol, other, error, "it allows nothing");
    }
    v->rule = MIGATE_B_DEFAULT_DENY;
    if (!matched && migate_regex_match(pol->allow_re, v->canon, v->canon_len,
                                       &mbits, 0, &other, &error) == 1) {
        matched = 1;
    }
    return matched ? MIGATE_R_METHOD : MIGATE_R_NOT_ALLOWED;
}

migate_reason_e migate_policy_decide(const migate_policy *pol,
                                     const migate_request_t *rq,
                                     apr_pool_t *p, migate_verdict_t *v)
{
    migate_reason_e r;
    int svc_ok;

    r = gate(pol, rq, p, v, &svc_ok);
    if (r == MIGATE_PASS && !svc_ok) {
        r = allowlist(pol, rq->method ? rq->method : "",
                      rq->method ? rq->method_len : 0, p, v);
        v->reportable = r != MIGATE_PASS;
    }
    v->reason = r;
    return r;
}

migate_reason_e migate_policy_check_sent(const migate_policy *pol,
                                         const migate_request_t *rq,
                                         apr_pool_t *p, migate_verdict_t *v)
{
    migate_reason_e r;
    int svc_ok;
    char *canon;
    size_t clen;

    /* In the order the request is judged: methods, then control
     * characters and bad escapes, then the form of the path. */
    if (migate_method_forbidden(rq->method, rq->method_len)) {
        memset(v, 0, sizeof(*v));
        v->rule = MIGATE_B_METHOD;
        v->reason = MIGATE_R_METHOD;
        return MIGATE_R_METHOD;
    }
    canon = apr_palloc(p, rq->path_len + 1);
    r = migate_canon(rq->path, rq->path_len, rq->query, rq->query_len,
                     canon, &clen);
    if (r == MIGATE_PASS) {
        r = migate_sent_path_check(rq->path, rq->path_len);
    }
    if (r != MIGATE_PASS) {
        memset(v, 0, sizeof(*v));
        v->rule = MIGATE_B_CANONICAL_PATH;
        v->reason = r;
        return r;
    }
    r = gate(pol, rq, p, v, &svc_ok);
    v->reason = r;
    return r;
}
