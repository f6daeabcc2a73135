/*
 * bench_decide.c - what the gate costs per request without a server:
 * one request id, the canonical path and the policy decision, exactly
 * the core calls the post_read_request hook makes.
 *
 * Policies of 10, 1,000 and 10,000 prefix/exact rules, each with 100
 * allow regexes and a few deny rules; three requests per policy:
 *
 *   allowed   GET of a path below one prefix rule
 *   refused   GET of a path no rule allows (trie miss, every regex run)
 *   worst     a long target that takes every slow path: escapes, UTF-8,
 *             ';' parameters, dot segments, doubled slashes, a long query
 *             with escapes (decoded for the services and metadata checks,
 *             and the raw target matched against the deny regexes); it
 *             walks deep into the trie before missing, then every regex
 *             runs, unanchored ones at every '/'.
 *
 * Prints one line per case: "decide <rules> <case> <ns/decision>
 * <verdict>".  Under valgrind --tool=callgrind with --collect-atstart=no
 * it collects only the timed loops and dumps one profile per case
 * (named "<rules>-<case>"), which bench/run-micro divides by the count.
 * Prints figures only; no pass or fail.
 *
 *   bench_decide [count] [rules...]   (default 1000000; 10 1000 10000)
 *
 * BENCH_TEMPLATES=n adds n MiGateAllowTemplate rules, MI resources of
 * n / 8 APIs (/tN/orders/{id}, /tN/orders/{id}/items/{itemId}, ...), to
 * see that a refused request costs the same with many templates.
 * BENCH_REGEX=n sets the number of allow regexes (default 100), to see
 * what the regexes cost as their number grows.
 *
 * A "rules" argument that names a file (FILE.conf) times a policy file
 * instead, as migate-policy writes it (bench/mi-estate): its MiGateAllow*
 * lines, and the requests in FILE.cases ("name METHOD target" a line),
 * printed as "decide FILE <name> <ns/decision> <verdict>" (FILE without
 * its folder and ".conf").
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <apr_general.h>
#include <apr_pools.h>
#include <apr_strings.h>

#include "migate_path.h"
#include "migate_rules.h"
#include "migate_uuid.h"

#include "bench_cg.h"

/* Allow regexes in every policy: BENCH_REGEX, default 100. */
static int n_regex = 100;
/* Template rules: BENCH_TEMPLATES, default none. */
static int n_templates = 0;

static double now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static void must(const char *err, const char *what)
{
    if (err) {
        fprintf(stderr, "bench_decide: %s: %s\n", what, err);
        exit(1);
    }
}

/* Groups of services, about 100 rules per group: a realistic fan-out
 * (a few hundred API contexts, each with its resources). */
static int n_groups(int nrules)
{
    return nrules >= 200 ? nrules / 100 : 2;
}

static migate_policy *build(apr_pool_t *p, int nrules)
{
    migate_policy *pol = migate_policy_make(p);
    migate_methods_t get_head, rw;
    const char *bad;
    size_t badlen;
    int g = n_groups(nrules), k;
    char pat[160];

    must(migate_methods_parse("GET,HEAD", &get_head, &bad, &badlen),
         "methods");
    must(migate_methods_parse("GET,POST,PUT,DELETE", &rw, &bad, &badlen),
         "methods");
    for (k = 0; k < nrules; k++) {
        migate_rule_kind_e kind = MIGATE_RULE_PREFIX;
        migate_methods_t m = k % 3 == 0 ? get_head : k % 3 == 1 ? rw : 0;

        switch (k % 10) {
        case 0:
            /* exact status resources */
            snprintf(pat, sizeof(pat), "/api/g%d/svc%d/status", k % g, k);
            kind = MIGATE_RULE_EXACT;
            break;
        case 1:
            /* deep rules: the worst path walks these before missing */
            snprintf(pat, sizeof(pat), "/api/g%d/svc%d/v2/orders/items/",
                     k % g, k);
            break;
        default:
            snprintf(pat, sizeof(pat), "/api/g%d/svc%d", k % g, k);
            break;
        }
        must(migate_policy_allow(pol, kind, pat, m, NULL), pat);
    }
    for (k = 0; k < n_regex; k++) {
        /* most regexes anchored under their own context, a fifth
         * unanchored (the costly kind: tried at every '/') */
        if (k % 5 == 4) {
            snprintf(pat, sizeof(pat), "/rx%d/[0-9]+/lines$", k);
        }
        else {
            snprintf(pat, sizeof(pat),
                     "^/ctx%d/v[0-9]+/(orders|customers)/[0-9]+$", k);
        }
        must(migate_policy_allow(pol, MIGATE_RULE_REGEX, pat,
                                 k % 2 ? get_head : 0, NULL), pat);
    }
    for (k = 0; k < n_templates; k++) {
        /* eight resources per API, the shapes MI APIs have */
        static const char *const res[] = {
            "/orders", "/orders/{id}", "/orders/{id}/items",
            "/orders/{id}/items/{itemId}", "/customers/{id}",
            "/customers/{id}/orders", "/search?q={q}", "/{version}/status",
        };
        snprintf(pat, sizeof(pat), "/t%d%s", k / 8, res[k % 8]);
        must(migate_policy_allow(pol, MIGATE_RULE_TEMPLATE, pat,
                                 k % 2 ? get_head : 0, NULL), pat);
    }
    must(migate_policy_deny(pol, MIGATE_RULE_PREFIX, "/api/internal", NULL),
         "deny");
    must(migate_policy_deny(pol, MIGATE_RULE_PREFIX, "/api/g0/svc0/admin", NULL),
         "deny");
    must(migate_policy_deny(pol, MIGATE_RULE_REGEX, "/\\.git(/|$)", NULL),
         "deny re");
    must(migate_policy_deny(pol, MIGATE_RULE_REGEX, "\\.(bak|old|swp)$", NULL),
         "deny re");
    must(migate_policy_service(pol, "OrderProxy", NULL), "service");
    migate_policy_compile(pol);
    return pol;
}

typedef struct {
    const char *name;
    const char *method;
    char target[1024];
} bench_case;

/* The allow rules of a policy file, as the directives would add them. */
static migate_policy *load_policy(apr_pool_t *p, const char *file)
{
    static const struct {
        const char *directive;
        migate_rule_kind_e kind;
    } kinds[] = {
        { "MiGateAllow", MIGATE_RULE_PREFIX },
        { "MiGateAllowExact", MIGATE_RULE_EXACT },
        { "MiGateAllowMatch", MIGATE_RULE_REGEX },
        { "MiGateAllowTemplate", MIGATE_RULE_TEMPLATE },
    };
    migate_policy *pol = migate_policy_make(p);
    char line[4096];
    FILE *f = fopen(file, "r");
    int lineno = 0;

    if (!f) {
        perror(file);
        exit(1);
    }
    while (fgets(line, sizeof(line), f)) {
        char *tok[4], *save = NULL, *w;
        int n = 0, k;
        migate_methods_t m = 0;
        const char *bad;
        size_t badlen;

        lineno++;
        for (w = strtok_r(line, " \t\r\n", &save); w && n < 4;
             w = strtok_r(NULL, " \t\r\n", &save)) {
            tok[n++] = w;
        }
        if (n < 2 || tok[0][0] == '#') {
            continue;
        }
        if (!strcmp(tok[0], "MiGateAllowService")) {
            for (k = 1; k < n; k++) {
                must(migate_policy_service(pol, tok[k], NULL), tok[k]);
            }
            continue;
        }
        for (k = 0; k < (int)(sizeof(kinds) / sizeof(kinds[0])); k++) {
            if (!strcmp(tok[0], kinds[k].directive)) {
                break;
            }
        }
        if (k == (int)(sizeof(kinds) / sizeof(kinds[0]))) {
            if (!strncmp(tok[0], "MiGateAllow", 11)) {
                fprintf(stderr, "bench_decide: %s:%d: %s not known here\n",
                        file, lineno, tok[0]);
                exit(1);
            }
            continue;
        }
        if (n == 3) {
            must(migate_methods_parse(tok[1], &m, &bad, &badlen), tok[1]);
        }
        must(migate_policy_allow(pol, kinds[k].kind, tok[n - 1], m, NULL),
             tok[n - 1]);
    }
    fclose(f);
    migate_policy_compile(pol);
    return pol;
}

/* The requests of FILE.cases; returns how many (at most max). */
static int load_cases(apr_pool_t *p, const char *file, bench_case *c,
                      int max)
{
    char path[1024], name[64], method[32];
    FILE *f;
    int n = 0;

    snprintf(path, sizeof(path), "%.*s.cases",
             (int)(strlen(file) - 5), file);
    f = fopen(path, "r");
    if (!f) {
        perror(path);
        exit(1);
    }
    while (n < max && fscanf(f, "%63s %31s %1023s", name, method,
                             c[n].target) == 3) {
        c[n].name = apr_pstrdup(p, name);
        c[n].method = apr_pstrdup(p, method);
        n++;
    }
    fclose(f);
    return n;
}

static void make_cases(bench_case *c, int nrules)
{
    int g = n_groups(nrules), k = nrules / 2;
    char lng[200];

    /* rule k is a plain prefix rule for k % 10 in 2..9 */
    while (k % 10 < 2) {
        k++;
    }
    c[0].name = "allowed";
    c[0].method = "GET";
    snprintf(c[0].target, sizeof(c[0].target),
             "/api/g%d/svc%d/orders/12345", k % g, k);

    c[1].name = "refused";
    c[1].method = "GET";
    snprintf(c[1].target, sizeof(c[1].target),
             "/api/g%d/svcX%d/orders/12345", k % g, k);

    /* deep rule k1 is "/api/gG/svcK1/v2/orders/items/" */
    k = nrules / 2 + 1;
    while (k % 10 != 1) {
        k++;
    }
    if (k >= nrules) {
        k = 1;
    }
    memset(lng, 'a', sizeof(lng) - 1);
    lng[sizeof(lng) - 1] = '\0';
    c[2].name = "worst";
    c[2].method = "POST";
    snprintf(c[2].target, sizeof(c[2].target),
             "/api//g%d/./%%73vc%d;jsessionid=0123456789abcdef/v2/x/../"
             "orders//items%%E2%%82%%AC/%s/%%C3%%A9t%%C3%%A9/2024/12/31"
             "?q=%%2Fpath%%20with%%20spaces&next=%%2Fapi%%2Fg1%%2Fsvc1"
             "&filter=name%%20eq%%20%%27%s%%27&page=1&size=50&sort=id",
             k % g, k, lng, lng + 100);
}

/* Kept out of line so that a profile can be limited to it:
 * valgrind --tool=callgrind --toggle-collect=timed_loop. */
__attribute__((noinline))
static migate_reason_e timed_loop(const migate_policy *pol,
                                  const migate_request_t *rq, long count,
                                  apr_pool_t *rp, unsigned long *sink)
{
    migate_verdict_t v;
    migate_reason_e r = MIGATE_PASS;
    char id[MIGATE_UUID_LEN + 1];
    long i;

    for (i = 0; i < count; i++) {
        migate_uuid_make(4, id);
        r = migate_policy_decide(pol, rq, rp, &v);
        *sink += (unsigned char)id[35] + (unsigned)r;
        /* httpd gives every request a fresh pool; clearing one costs
         * httpd, not the gate, so it is done only now and then */
        if ((i & 255) == 255) {
            apr_pool_clear(rp);
        }
    }
    return r;
}

static double run_case(const migate_policy *pol, const bench_case *bc,
                       long count, apr_pool_t *rp, const char *label,
                       migate_reason_e *out)
{
    migate_request_t rq;
    migate_verdict_t v;
    migate_reason_e r = MIGATE_PASS;
    char id[MIGATE_UUID_LEN + 1];
    const char *q = strchr(bc->target, '?');
    unsigned long sink = 0;
    double t0, ns;
    long i;

    memset(&rq, 0, sizeof(rq));
    rq.method = bc->method;
    rq.method_len = strlen(bc->method);
    rq.path = bc->target;
    rq.path_len = q ? (size_t)(q - bc->target) : strlen(bc->target);
    rq.query = q ? q + 1 : NULL;
    rq.query_len = q ? strlen(q + 1) : 0;

    /* warm up: caches, the first getrandom, per-thread match data */
    for (i = 0; i < 1000; i++) {
        migate_uuid_make(4, id);
        migate_policy_decide(pol, &rq, rp, &v);
    }
    apr_pool_clear(rp);
    CALLGRIND_ZERO_STATS;
    CALLGRIND_TOGGLE_COLLECT;
    t0 = now_ns();
    r = timed_loop(pol, &rq, count, rp, &sink);
    ns = now_ns() - t0;
    CALLGRIND_TOGGLE_COLLECT;
    CALLGRIND_DUMP_STATS_AT(label);
    apr_pool_clear(rp);
    *out = r;
    /* sink keeps the ids observable to the compiler */
    return ns / (double)count + (sink == 1 ? 1e-9 : 0.0);
}

int main(int argc, char **argv)
{
    static const int def_rules[] = { 10, 1000, 10000 };
    long count = argc > 1 ? strtol(argv[1], NULL, 10) : 1000000;
    apr_pool_t *p, *pp, *rp;
    int a, nsets = argc > 2 ? argc - 2 : 3;
    const char *only = getenv("BENCH_CASE");    /* one case, to profile */
    const char *nre = getenv("BENCH_REGEX");
    const char *ntp = getenv("BENCH_TEMPLATES");

    if (count <= 0) {
        fprintf(stderr, "usage: bench_decide [count] [rules...]\n");
        return 2;
    }
    if (nre && atoi(nre) >= 0) {
        n_regex = atoi(nre);
    }
    if (ntp && atoi(ntp) >= 0) {
        n_templates = atoi(ntp);
    }
    apr_initialize();
    apr_pool_create(&p, NULL);
    apr_pool_create(&rp, p);
    for (a = 0; a < nsets; a++) {
        const char *arg = argc > 2 ? argv[a + 2] : NULL;
        size_t alen = arg ? strlen(arg) : 0;
        int file = alen > 5 && !strcmp(arg + alen - 5, ".conf");
        int nrules = arg ? atoi(arg) : def_rules[a];
        char set[64];
        bench_case cases[8];
        migate_policy *pol;
        int c, ncases = 3;

        if (!file && nrules < 10) {
            fprintf(stderr, "bench_decide: at least 10 rules\n");
            return 2;
        }
        apr_pool_create(&pp, p);
        if (file) {
            const char *base = strrchr(arg, '/') ? strrchr(arg, '/') + 1 : arg;

            snprintf(set, sizeof(set), "%.*s", (int)(strlen(base) - 5), base);
            pol = load_policy(pp, arg);
            ncases = load_cases(pp, arg, cases, 8);
        }
        else {
            snprintf(set, sizeof(set), "%d", nrules);
            pol = build(pp, nrules);
            make_cases(cases, nrules);
        }
        for (c = 0; c < ncases; c++) {
            char label[128];
            migate_reason_e r;
            double ns;

            if (only && strcmp(only, cases[c].name) != 0) {
                continue;
            }
            snprintf(label, sizeof(label), "%s-%s", set, cases[c].name);
            ns = run_case(pol, &cases[c], count, rp, label, &r);
            printf("decide %s %s %.1f %s\n", set, cases[c].name, ns,
                   migate_reason_name(r));
            fflush(stdout);
        }
        apr_pool_destroy(pp);
    }
    apr_pool_destroy(p);
    apr_terminate();
    return 0;
}
