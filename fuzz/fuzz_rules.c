/*
 * fuzz_rules.c - libFuzzer target for the policy decision
 * (migate_policy_decide and migate_policy_check_sent).
 *
 * Input: "METHOD path?query" (no space: the whole input is the target of
 * a GET).  Besides "never crash", every passed request is checked
 * against a model of how MI dispatches the raw target, written here
 * independently of migate_rules.c: MI treats the raw target as a service
 * request when it contains "/services/" anywhere and takes the name from
 * what follows; it answers metadata queries on GET/HEAD/OPTIONS.  A pass
 * that MI would turn into an unopened service or a metadata answer the
 * policy does not allow is a bug.
 *
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined \
 *       -fno-sanitize-recover=all \
 *       $(apr-1-config --cflags --cppflags --includes) -Imod_migate \
 *       fuzz/fuzz_rules.c mod_migate/migate_core.c mod_migate/migate_path.c \
 *       mod_migate/migate_rules.c $(apr-1-config --link-ld --libs) -lpcre2-8
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <apr_general.h>
#include <apr_pools.h>

#include "migate_path.h"
#include "migate_rules.h"

#define CHECK(cond) do { if (!(cond)) { __builtin_trap(); } } while (0)

static const char *const opened[] = { "Foo", "Bar_1" };
#define N_OPENED (sizeof(opened) / sizeof(opened[0]))

typedef struct {
    migate_policy *pol;
    int metadata;
} fz_policy;

static apr_pool_t *conf_pool, *req_pool;
static fz_policy pols[2];

static void must(const char *err)
{
    if (err) {
        abort();
    }
}

static void build(void)
{
    migate_policy *a, *b;
    size_t i;

    apr_initialize();
    apr_pool_create(&conf_pool, NULL);
    apr_pool_create(&req_pool, NULL);

    /* everything allowed: only the always-enforced part stands between
     * the input and MI */
    a = migate_policy_make(conf_pool);
    must(migate_policy_allow(a, MIGATE_RULE_PREFIX, "/", 0, NULL));
    must(migate_policy_deny(a, MIGATE_RULE_PREFIX, "/private", NULL));
    must(migate_policy_deny(a, MIGATE_RULE_REGEX, "evil|\\.\\./", NULL));
    for (i = 0; i < N_OPENED; i++) {
        must(migate_policy_service(a, opened[i], NULL));
    }
    migate_policy_compile(a);
    pols[0].pol = a;
    pols[0].metadata = 0;

    /* a narrow allowlist with metadata on */
    b = migate_policy_make(conf_pool);
    must(migate_policy_allow(b, MIGATE_RULE_PREFIX, "/api", 0, NULL));
    must(migate_policy_allow(b, MIGATE_RULE_PREFIX, "/v1/", 1, NULL));
    must(migate_policy_allow(b, MIGATE_RULE_EXACT, "/health", 0, NULL));
    must(migate_policy_allow(b, MIGATE_RULE_REGEX, "^/r/[a-z]+$", 0, NULL));
    must(migate_policy_allow(b, MIGATE_RULE_REGEX, "^/(x)\\1", 0, NULL));
    for (i = 0; i < N_OPENED; i++) {
        must(migate_policy_service(b, opened[i], NULL));
    }
    migate_policy_set_metadata_kinds(b, MIGATE_META_ALL);
    migate_policy_compile(b);
    pols[1].pol = b;
    pols[1].metadata = 1;
}

/* ---------------------------------------------------------------- */
/* The model of MI                                                   */

static int m_lc(int c)
{
    return (c >= 'A' && c <= 'Z') ? c + 32 : c;
}

static int m_ci_prefix(const char *s, size_t len, const char *lit)
{
    size_t i, n = strlen(lit);

    if (len < n) {
        return 0;
    }
    for (i = 0; i < n; i++) {
        if (m_lc((unsigned char)s[i]) != m_lc((unsigned char)lit[i])) {
            return 0;
        }
    }
    return 1;
}

static int m_opened(const char *name, size_t len)
{
    size_t i;

    for (i = 0; i < N_OPENED; i++) {
        if (strlen(opened[i]) == len && memcmp(opened[i], name, len) == 0) {
            return 1;
        }
    }
    return 0;
}

static int m_hex(int c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    c = m_lc(c);
    return (c >= 'a' && c <= 'f') ? c - 'a' + 10 : -1;
}

static size_t m_decode(const char *s, size_t len, char *out)
{
    size_t i, n = 0;

    for (i = 0; i < len; i++) {
        if (s[i] == '%' && i + 2 < len && m_hex(s[i + 1]) >= 0
            && m_hex(s[i + 2]) >= 0) {
            out[n++] = (char)(m_hex(s[i + 1]) * 16 + m_hex(s[i + 2]));
            i += 2;
        }
        else {
            out[n++] = s[i];
        }
    }
    return n;
}

static int m_meta_name(const char *s, size_t len)
{
    static const char *const names[] = {
        "wsdl", "wsdl2", "info", "swagger.json", "swagger.yaml", "policy",
    };
    size_t i;

    if (m_ci_prefix(s, len, "xsd")) {
        return 1;
    }
    for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        if (strlen(names[i]) == len && m_ci_prefix(s, len, names[i])) {
            return 1;
        }
    }
    return 0;
}

static int m_meta_query(const char *q, size_t len)
{
    size_t i = 0;

    while (i <= len) {
        size_t j = i, k;
        while (j < len && q[j] != '&') {
            j++;
        }
        k = i;
        while (k < j && q[k] != '=') {
            k++;
        }
        if (m_meta_name(q + i, k - i)) {
            return 1;
        }
        i = j + 1;
    }
    return 0;
}

/* What MI would do with a target the gate passed. */
static void model_check(const fz_policy *fp, const char *method, size_t mlen,
                        const char *path, size_t plen, const char *q,
                        size_t qlen)
{
    size_t tlen = plen + (q ? qlen + 1 : 0), i;
    char *t = malloc(tlen + 1), *dq;

    memcpy(t, path, plen);
    if (q) {
        t[plen] = '?';
        memcpy(t + plen + 1, q, qlen);
    }
    t[tlen] = '\0';

    /* service dispatch: the first "/services/" of the raw target */
    for (i = 0; i + 10 <= tlen; i++) {
        if (m_ci_prefix(t + i, tlen - i, "/services/")) {
            size_t s = i + 10, e = s;
            while (e < tlen && t[e] != '/' && t[e] != '.' && t[e] != '?'
                   && t[e] != ';') {
                e++;
            }
            CHECK(m_opened(t + s, e - s));
            break;
        }
    }

    /* metadata answers */
    dq = malloc(qlen + 1);
    if ((mlen == 3 && memcmp(method, "GET", 3) == 0)
        || (mlen == 4 && memcmp(method, "HEAD", 4) == 0)
        || (mlen == 7 && memcmp(method, "OPTIONS", 7) == 0)) {
        if (q && (m_meta_query(q, qlen)
                  || m_meta_query(dq, m_decode(q, qlen, dq)))) {
            CHECK(fp->metadata);
            CHECK(plen > 10 && memcmp(path, "/services/", 10) == 0
                  && m_opened(path + 10, plen - 10));
        }
    }
    free(dq);
    free(t);
}

/* The compiled regexes are referenced only from pool cleanups, in
 * memory APR maps itself where the leak checker does not look: free
 * them through the pool before it runs. */
static void teardown(void)
{
    apr_pool_destroy(conf_pool);
    apr_pool_destroy(req_pool);
    apr_terminate();
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    build();
    atexit(teardown);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *in = (const char *)data;
    const char *sp = memchr(in, ' ', size);
    migate_request_t rq;
    const char *qm;
    size_t i;

    if (sp) {
        rq.method = in;
        rq.method_len = (size_t)(sp - in);
        rq.path = sp + 1;
        rq.path_len = size - rq.method_len - 1;
    }
    else {
        rq.method = "GET";
        rq.method_len = 3;
        rq.path = in;
        rq.path_len = size;
    }
    qm = memchr(rq.path, '?', rq.path_len);
    rq.query = NULL;
    rq.query_len = 0;
    if (qm) {
        rq.query = qm + 1;
        rq.query_len = rq.path_len - (size_t)(qm - rq.path) - 1;
        rq.path_len = (size_t)(qm - rq.path);
    }

    for (i = 0; i < 2; i++) {
        migate_verdict_t v, vb;
        migate_reason_e r = migate_policy_decide(pols[i].pol, &rq, req_pool,
                                                 &v);
        migate_reason_e b = migate_policy_check_sent(pols[i].pol, &rq,
                                                     req_pool, &vb);
        /* sent as it is, the target must also be canonical */
        migate_reason_e sent = migate_sent_path_check(rq.path, rq.path_len);

        CHECK(r == v.reason && r < MIGATE_R__COUNT);
        CHECK(!v.reportable || r == MIGATE_R_NOT_ALLOWED
              || r == MIGATE_R_METHOD);
        CHECK(b == vb.reason);
        /* every verdict names what decided it, a regex allow too */
        CHECK(migate_policy_rule_name(pols[i].pol, v.rule) != NULL);
        if (r == MIGATE_PASS) {
            CHECK(b == sent);
            CHECK(v.canon && v.canon[0] == '/'
                  && strlen(v.canon) == v.canon_len);
            CHECK(!migate_method_forbidden(rq.method, rq.method_len));
            CHECK(!m_ci_prefix(v.canon, v.canon_len, "/management")
                  || (v.canon_len > 11 && v.canon[11] != '/'));
            model_check(&pols[i], rq.method, rq.method_len, rq.path,
                        rq.path_len, rq.query, rq.query_len);
        }
        else if (!v.reportable) {
            /* what the gate refuses outright, the check of the target
             * sent refuses too, if not already for its form */
            CHECK(b == r || (sent != MIGATE_PASS && b == sent));
        }
        else {
            /* an allowlist miss: the check of what is sent has none */
            CHECK(b == sent);
        }
        apr_pool_clear(req_pool);
    }
    return 0;
}
