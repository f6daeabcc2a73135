/*
 * fuzz_regex.c - libFuzzer target for the compiled regex rules
 * (MiGateAllowMatch, MiGateDenyMatch): the policy must decide every
 * path as the regexes run alone with pcre2_match decide it.
 *
 * migate_rules.c merges the regexes of a method set into alternations
 * ("(?:r0)(*:0)|(?:r1)(*:1)|...") and keeps apart the ones whose meaning
 * merging would change.  A regex's syntax (a comment, a class, \Q, an
 * extended-mode '#', a verb, a reference, an option set at top level)
 * must never reach into its neighbour's alternative.  The input is a
 * rule set and paths, one a line:
 *
 *   a<regex>   MiGateAllowMatch <regex>            (any method)
 *   g<regex>   MiGateAllowMatch GET,HEAD <regex>
 *   d<regex>   MiGateDenyMatch <regex>
 *   <path>     a request path ('/' added in front if missing)
 *
 * (a byte 0x01 in a line stands for a newline, which ends an
 * extended-mode comment).  Checked, besides "never crash": a regex the
 * policy refuses is one PCRE2 refuses alone, and the other way round;
 * for GET and POST of every path, the allow verdict (pass, method,
 * not-allowed) is what the allow regexes give alone on the canonical
 * path, and the rule named is one of those that match; with the deny
 * regexes, the path is denied exactly when one matches alone
 * (caseless) the canonical path, the path as sent or the path
 * percent-decoded once, and the rule named is one of them.  A regex
 * that cannot be run alone (match limit, endless recursion) counts as
 * no match for an allow and as a match for a deny, as the policy must
 * fail closed.
 *
 *   make build/fuzz/fuzz_regex && sh fuzz/run build 600 regex
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include <apr_general.h>
#include <apr_pools.h>
#include <apr_strings.h>

#include "migate_rules.h"

#define CHECK(cond) do { if (!(cond)) { __builtin_trap(); } } while (0)

#define MAX_RE    8
#define MAX_PATHS 16
#define MAX_LINE  256

typedef struct {
    char kind;                  /* 'a', 'g' or 'd'                     */
    const char *pattern;
    pcre2_code *alone;          /* NULL: PCRE2 refuses it              */
} fz_re;

static apr_pool_t *pool;
static pcre2_match_data *md;
static migate_methods_t get_head;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    const char *bad;
    size_t badlen;

    (void)argc;
    (void)argv;
    apr_initialize();
    apr_pool_create(&pool, NULL);
    md = pcre2_match_data_create(1, NULL);
    if (migate_methods_parse("GET,HEAD", &get_head, &bad, &badlen)) {
        abort();
    }
    return 0;
}

/* 1 match, 0 no match, -1 could not be run. */
static int alone_match(const fz_re *r, const char *s, size_t len)
{
    int rc = pcre2_match(r->alone, (PCRE2_SPTR)s, len, 0, 0, md, NULL);

    return rc >= 0 ? 1 : rc == PCRE2_ERROR_NOMATCH ? 0 : -1;
}

static int rule_index(const migate_policy *pol, int rule)
{
    const char *name = migate_policy_rule_name(pol, rule);

    return name && name[0] == 'r' ? atoi(name + 1) : -1;
}

static migate_reason_e decide(const migate_policy *pol, const char *method,
                              const char *path, migate_verdict_t *v)
{
    migate_request_t rq;

    memset(&rq, 0, sizeof(rq));
    rq.method = method;
    rq.method_len = strlen(method);
    rq.path = path;
    rq.path_len = strlen(path);
    return migate_policy_decide(pol, &rq, pool, v);
}

static void check_allow(const migate_policy *pol, const fz_re *re, int n,
                        const char *path)
{
    static const char *const methods[] = { "GET", "POST" };
    size_t m;

    for (m = 0; m < 2; m++) {
        migate_verdict_t v;
        migate_reason_e got = decide(pol, methods[m], path, &v), want;
        int i, k, admit = 0, any = 0;

        if (!v.canon || (got != MIGATE_PASS && got != MIGATE_R_NOT_ALLOWED
                         && got != MIGATE_R_METHOD)) {
            return;     /* refused before the allowlist: not ours */
        }
        for (i = 0; i < n; i++) {
            if (re[i].kind != 'd' && re[i].alone
                && alone_match(&re[i], v.canon, v.canon_len) == 1) {
                any = 1;
                admit |= re[i].kind == 'a' || m == 0;
            }
        }
        want = admit ? MIGATE_PASS : any ? MIGATE_R_METHOD
                                         : MIGATE_R_NOT_ALLOWED;
        CHECK(got == want);
        if (got == MIGATE_PASS) {
            k = rule_index(pol, v.rule);
            CHECK(k >= 0 && k < n && re[k].kind != 'd' && re[k].alone
                  && (re[k].kind == 'a' || m == 0)
                  && alone_match(&re[k], v.canon, v.canon_len) == 1);
        }
    }
}

static int hexval(int c)
{
    return c >= '0' && c <= '9' ? c - '0'
         : c >= 'a' && c <= 'f' ? c - 'a' + 10
         : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* Whether a deny regex matches (or cannot be run on) one of the
 * subjects MiGateDenyMatch looks at. */
static int deny_hit(const fz_re *r, const migate_verdict_t *v,
                    const char *path, const char *dec, size_t dlen)
{
    return alone_match(r, v->canon, v->canon_len) != 0
           || alone_match(r, path, strlen(path)) != 0
           || alone_match(r, dec, dlen) != 0;
}

static void check_deny(const migate_policy *pol, const fz_re *re, int n,
                       const char *path)
{
    migate_verdict_t v;
    migate_reason_e got = decide(pol, "GET", path, &v);
    size_t plen = strlen(path), dlen = 0, j;
    char *dec = apr_palloc(pool, plen + 1);
    int i, k, hit = 0;

    for (j = 0; j < plen; j++) {
        if (path[j] == '%' && j + 2 < plen && hexval(path[j + 1]) >= 0
            && hexval(path[j + 2]) >= 0) {
            dec[dlen++] = (char)(hexval(path[j + 1]) * 16
                                 + hexval(path[j + 2]));
            j += 2;
        }
        else {
            dec[dlen++] = path[j];
        }
    }

    if (!v.canon || (got != MIGATE_PASS && got != MIGATE_R_HARD_DENY)) {
        return;
    }
    if (got == MIGATE_R_HARD_DENY && rule_index(pol, v.rule) < 0) {
        return;         /* a built-in deny (/management, ...) */
    }
    for (i = 0; i < n; i++) {
        if (re[i].kind == 'd' && re[i].alone
            && deny_hit(&re[i], &v, path, dec, dlen)) {
            hit = 1;
        }
    }
    CHECK(got == (hit ? MIGATE_R_HARD_DENY : MIGATE_PASS));
    if (hit) {
        k = rule_index(pol, v.rule);
        CHECK(k >= 0 && k < n && re[k].kind == 'd' && re[k].alone);
        /* the rule named matched, or could not be run */
        CHECK(deny_hit(&re[k], &v, path, dec, dlen));
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fz_re re[MAX_RE];
    const char *paths[MAX_PATHS];
    migate_policy *allow, *deny;
    const char *in = (const char *)data, *end = in + size;
    int n = 0, np = 0, i, j;

    while (in < end) {
        const char *nl = memchr(in, '\n', (size_t)(end - in));
        size_t len = (size_t)((nl ? nl : end) - in);
        char *line;

        if (len <= MAX_LINE) {
            line = apr_pstrmemdup(pool, in, len);
            for (j = 0; line[j]; j++) {
                if (line[j] == 1) {
                    line[j] = '\n';
                }
            }
            if ((line[0] == 'a' || line[0] == 'g' || line[0] == 'd')
                && n < MAX_RE) {
                re[n].kind = line[0];
                re[n].pattern = line + 1;
                n++;
            }
            else if (line[0] && np < MAX_PATHS) {
                paths[np++] = line[0] == '/' ? line
                              : apr_pstrcat(pool, "/", line, NULL);
            }
        }
        in = nl ? nl + 1 : end;
    }

    allow = migate_policy_make(pool);
    deny = migate_policy_make(pool);
    if (migate_policy_allow(deny, MIGATE_RULE_PREFIX, "/", 0, "root")) {
        abort();
    }
    for (i = 0; i < n; i++) {
        const char *where = apr_psprintf(pool, "r%d", i), *err;
        int ec;
        PCRE2_SIZE off;

        re[i].alone = pcre2_compile((PCRE2_SPTR)re[i].pattern,
                                    PCRE2_ZERO_TERMINATED,
                                    PCRE2_NEVER_UTF | PCRE2_NEVER_BACKSLASH_C
                                    | (re[i].kind == 'd' ? PCRE2_CASELESS
                                                         : 0),
                                    &ec, &off, NULL);
        /* run alone as the gate runs a regex alone: JIT-compiled where
         * JIT is there.  PCRE2's interpreter and its JIT disagree on a
         * few backtracking verbs ((*SKIP:NAME) with no such mark): what
         * is checked here is that merging regexes changes nothing. */
        if (re[i].alone) {
            pcre2_jit_compile(re[i].alone, PCRE2_JIT_COMPLETE);
        }
        err = re[i].kind == 'd'
              ? migate_policy_deny(deny, MIGATE_RULE_REGEX, re[i].pattern,
                                   where)
              : migate_policy_allow(allow, MIGATE_RULE_REGEX, re[i].pattern,
                                    re[i].kind == 'g' ? get_head : 0,
                                    where);
        CHECK(!err == !!re[i].alone);
        CHECK(!migate_rule_check(pool, MIGATE_RULE_REGEX, re[i].pattern)
              == !!re[i].alone);
    }
    migate_policy_compile(allow);
    migate_policy_compile(deny);
    for (j = 0; j < np; j++) {
        check_allow(allow, re, n, paths[j]);
        check_deny(deny, re, n, paths[j]);
    }
    for (i = 0; i < n; i++) {
        pcre2_code_free(re[i].alone);
    }
    /* frees the policies' compiled regexes (pool cleanups) */
    apr_pool_clear(pool);
    return 0;
}
