/*
 * migate_regex.c - the regex rules of a policy.  Pure: no httpd headers.
 *
 * Regexes that share a method set are merged into one JIT-compiled
 * alternation (split in chunks where PCRE2's size limit requires it), so
 * a request runs one pcre2_match per chunk rather than one per regex.
 * Nothing here parses PCRE2 syntax by hand: whether a regex can be
 * merged and which one matched are asked of PCRE2 itself, so the merged
 * alternation answers as each regex does alone.  Every match runs under
 * PCRE2's match and depth limits (migate_regex.h), so no regex an
 * operator writes can make one request expensive.
 */
#include <pthread.h>
#include <string.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include <apr_strings.h>
#include <apr_tables.h>

#include "migate_regex.h"

/* PCRE2 options for every rule: \C could split a character, and (*UTF)
 * would make matching fail (not just miss) on a non-UTF-8 raw target. */
#define RE_OPTS (PCRE2_NEVER_BACKSLASH_C | PCRE2_NEVER_UTF)

/* One regex rule as written, compiled on its own. */
typedef struct {
    const char *pattern;
    migate_methods_t methods;
    pcre2_code *code;
    int combinable;             /* may be one alternative among others */
    size_t size;                /* compiled bytes                      */
    int rule;                   /* index into the policy's rule names */
} mg_regex;

/* What one pcre2_match runs: several regexes combined into
 * "(?:r0)(*:0)|(?:r1)(*:1)|...", where the mark names the one that
 * matched, or a single regex with its own code (n == 1). */
typedef struct {
    pcre2_code *code;
    int n;
    struct {
        pcre2_code *code;       /* the regex alone                     */
        int rule;
    } *members;
} mg_chunk;

/* Regexes that share a method set: the combinable ones merged into as
 * few chunks as PCRE2 takes, each of the others (verbs, recursion,
 * named groups) in a chunk of its own because merging would change what
 * they mean. */
typedef struct {
    migate_methods_t methods;
    apr_array_header_t *chunks;     /* of mg_chunk                  */
} mg_regex_group;

struct migate_regex_set {
    apr_pool_t *pool;
    uint32_t opts;                  /* PCRE2_CASELESS for deny rules */
    apr_array_header_t *list;       /* of mg_regex, as added         */
    apr_array_header_t *groups;     /* of mg_regex_group, compiled   */
    pcre2_match_context *limits;    /* the limits its matches run under,
                                     * read-only once made, freed with
                                     * the set's pool                */
};

/* ---------------------------------------------------------------- */
/* Compiling                                                         */

static apr_status_t code_cleanup(void *data)
{
    pcre2_code_free((pcre2_code *)data);
    return APR_SUCCESS;
}

/* The one text of a PCRE2 compile error: its message and the offset in
 * the pattern where PCRE2 stopped. */
static const char *re_error(apr_pool_t *p, int ec, PCRE2_SIZE off)
{
    PCRE2_UCHAR msg[256];

    if (pcre2_get_error_message(ec, msg, sizeof(msg)) < 0) {
        apr_cpystrn((char *)msg, "unknown error", sizeof(msg));
    }
    return apr_psprintf(p, "regex error at offset %lu: %s",
                        (unsigned long)off, (const char *)msg);
}

/* Compile a regex with the options of every rule; on failure return
 * NULL and, when p is given, an error text in *err. */
static pcre2_code *re_code(apr_pool_t *p, const char *pattern, size_t len,
                           uint32_t opts, const char **err)
{
    int ec = 0;
    PCRE2_SIZE off = 0;
    pcre2_code *code;

    code = pcre2_compile((PCRE2_SPTR)pattern, len, opts | RE_OPTS, &ec,
                         &off, NULL);
    if (!code && p) {
        *err = re_error(p, ec, off);
    }
    return code;
}

/* Whether PCRE2 compiles a pattern (and nothing kept). */
static int re_compiles(const char *pattern, size_t len, uint32_t opts)
{
    pcre2_code *code = re_code(NULL, pattern, len, opts, NULL);

    pcre2_code_free(code);
    return code != NULL;
}

/* Compile a regex for use, JIT included; the code is freed with the
 * pool.  NULL and an error text in *err on failure. */
static pcre2_code *re_compile(apr_pool_t *p, const char *pattern,
                              size_t len, uint32_t opts, const char **err)
{
    pcre2_code *code = re_code(p, pattern, len, opts, err);

    if (!code) {
        return NULL;
    }
    /* JIT is an optimisation: where it is not available the
     * interpreter gives the same answers. */
    (void)pcre2_jit_compile(code, PCRE2_JIT_COMPLETE);
    apr_pool_cleanup_register(p, code, code_cleanup, apr_pool_cleanup_null);
    *err = NULL;
    return code;
}

const char *migate_regex_check(apr_pool_t *p, const char *pattern)
{
    const char *err = NULL;

    pcre2_code_free(re_code(p, pattern, PCRE2_ZERO_TERMINATED, 0, &err));
    return err;
}

/* ---------------------------------------------------------------- */
/* Merging and matching                                              */

/*
 * Whether a regex may be one alternative of a combined regex,
 * "(?:r)(*:k)|...", and still match exactly what it matches alone.
 * PCRE2 decides what it can: the alternation is compiled with
 * PCRE2_NO_AUTO_CAPTURE, so one rule's groups never shift another's
 * numbers, and then a numbered reference, subroutine call or condition
 * no longer compiles; nor does a wrapper whose ')' the regex swallows
 * (an unterminated \Q, an extended-mode '#' comment).  So the wrapper
 * is compiled here the way the alternation will compile it, and named
 * groups (two rules may use one name) are kept apart.  What PCRE2 would
 * accept and run differently is left: backtracking verbs ((*COMMIT) in
 * one alternative cuts off the others; (*MARK) would hide the rule's
 * mark) and recursion into the whole pattern ((?R), (?0), \g<0>,
 * \g'0'), which would recurse into every rule.  Their syntax always
 * contains one of the strings below, whitespace never allowed inside,
 * so a regex without them has neither; one that has them (perhaps only
 * escaped, or in a class) merely runs on its own.
 */
static int regex_combinable(apr_pool_t *p, const char *pattern,
                            const pcre2_code *code, uint32_t opts)
{
    static const char *const alone[] = { "(*", "(?R", "(?0", "\\g<", "\\g'" };
    const char *wrapped;
    uint32_t names = 1;
    size_t i;

    if (pcre2_pattern_info(code, PCRE2_INFO_NAMECOUNT, &names) != 0
        || names != 0) {
        return 0;
    }
    for (i = 0; i < sizeof(alone) / sizeof(alone[0]); i++) {
        if (strstr(pattern, alone[i])) {
            return 0;
        }
    }
    wrapped = apr_pstrcat(p, "(?:", pattern, ")", NULL);
    return re_compiles(wrapped, strlen(wrapped),
                       opts | PCRE2_NO_AUTO_CAPTURE);
}

/* One match block per thread, made on first use; the thread-specific
 * key frees it when the thread ends (httpd's workers end at every
 * graceful restart), the __thread copy keeps the lookup cheap. */
static __thread pcre2_match_data *tls_md;
static pthread_key_t md_key;
static pthread_once_t md_once = PTHREAD_ONCE_INIT;
static int md_key_ok;

static void md_free(void *md)
{
    pcre2_match_data_free(md);
}

static void md_key_make(void)
{
    md_key_ok = pthread_key_create(&md_key, md_free) == 0;
}

/* 1 match, 0 no match, -1 the match could not be run (the match or
 * depth limit, the JIT stack, memory) and *error PCRE2's code: callers
 * fail closed.  After a match the thread's match block holds the mark
 * of the alternative that matched. */
static inline __attribute__((always_inline))
int re_match(const pcre2_code *code, const pcre2_match_context *limits,
             const char *s, size_t len, int *error)
{
    int rc;

    if (!limits) {
        *error = PCRE2_ERROR_NOMEMORY;
        return -1;
    }
    if (!tls_md) {
        pthread_once(&md_once, md_key_make);
        tls_md = pcre2_match_data_create(1, NULL);
        if (!tls_md) {
            *error = PCRE2_ERROR_NOMEMORY;
            return -1;
        }
        if (md_key_ok) {
            pthread_setspecific(md_key, tls_md);
        }
    }
    rc = pcre2_match(code, (PCRE2_SPTR)(s ? s : ""), len, 0, 0, tls_md,
                     (pcre2_match_context *)limits);
    if (rc >= 0) {
        return 1;
    }
    if (rc == PCRE2_ERROR_NOMATCH) {
        return 0;
    }
    *error = rc;
    return -1;
}

/* After a merged chunk's pcre2_match answered rc (1 or -1): which
 * regex matched, by the mark of its alternative, or, where the match
 * could not be run (the match limit counts the backtracking of every
 * alternative together), each regex run alone, so that the chunk
 * answers exactly as they do alone.  1 and *rule; 0; or -1, *rule the
 * first regex that could not be run and *error PCRE2's code. */
static int chunk_resolve(const mg_chunk *c,
                         const pcre2_match_context *limits,
                         const char *s, size_t len,
                         int rc, int *rule, int *error)
{
    PCRE2_SPTR mark;
    int i, k, failed = -1, e1 = 0;

    if (rc == 1 && (mark = pcre2_get_mark(tls_md)) != NULL) {
        for (k = 0; *mark >= '0' && *mark <= '9' && k < c->n; mark++) {
            k = k * 10 + (*mark - '0');
        }
        if (!*mark && k < c->n) {
            *rule = c->members[k].rule;
            return 1;
        }
    }
    for (i = 0; i < c->n; i++) {
        rc = re_match(c->members[i].code, limits, s, len, &e1);
        if (rc == 1) {
            *rule = c->members[i].rule;
            return 1;
        }
        if (rc < 0 && failed < 0) {
            failed = c->members[i].rule;
            *error = e1;
        }
    }
    if (failed >= 0) {
        *rule = failed;
        return -1;
    }
    return 0;
}

/* How many compiled bytes of regexes (each compiled alone, less the
 * header every compiled pattern has) go into one chunk: PCRE2 built
 * with LINK_SIZE=2 (Debian's) refuses a compiled pattern over 64 KiB.
 * The wrapper and mark of each alternative add to that, so a chunk of
 * many small regexes comes out too large at first and is split in two,
 * down to single regexes if need be.  Fewer chunks mean fewer
 * pcre2_match calls per request. */
#define CHUNK_BYTES 65536

/* Add the regexes rs[0..n-1] to the group as one chunk, or as several
 * if PCRE2 refuses them as one.  tp: a scratch pool. */
static void chunk_add(migate_regex_set *set, apr_pool_t *tp,
                      mg_regex_group *g, const mg_regex *const *rs, int n)
{
    mg_chunk *c;
    pcre2_code *code = NULL;
    const char *err;
    char *pat, *w;
    size_t len = 0;
    int i;

    if (n > 1) {
        for (i = 0; i < n; i++) {
            len += strlen(rs[i]->pattern) + 24;
        }
        w = pat = apr_palloc(tp, len);
        for (i = 0; i < n; i++) {
            w += apr_snprintf(w, len - (size_t)(w - pat), "%s(?:%s)(*:%d)",
                              i ? "|" : "", rs[i]->pattern, i);
        }
        code = re_compile(set->pool, pat, (size_t)(w - pat),
                          set->opts | PCRE2_NO_AUTO_CAPTURE, &err);
        if (!code) {
            chunk_add(set, tp, g, rs, n / 2);
            chunk_add(set, tp, g, rs + n / 2, n - n / 2);
            return;
        }
    }
    c = apr_array_push(g->chunks);
    c->code = n > 1 ? code : rs[0]->code;
    c->n = n;
    c->members = apr_palloc(set->pool, sizeof(*c->members) * (size_t)n);
    for (i = 0; i < n; i++) {
        c->members[i].code = rs[i]->code;
        c->members[i].rule = rs[i]->rule;
    }
}

/* Build one group from the regexes that have this method set: the
 * combinable ones in as few chunks as they fill, then each of the
 * others alone.  (Anchored regexes in chunks of their own, which PCRE2
 * would run at offset 0 only, cost more: one pcre2_match more per
 * request, while a '^' alternative fails at once at any other
 * offset.) */
static void group_build(migate_regex_set *set, mg_regex_group *g,
                        migate_methods_t methods)
{
    const apr_array_header_t *list = set->list;
    apr_pool_t *tp;
    const mg_regex **rs;
    pcre2_code *empty = re_code(NULL, "", 0, set->opts, NULL);
    int i, n = 0, start = 0;
    size_t bytes = 0, header = 0, net;

    if (!empty || pcre2_pattern_info(empty, PCRE2_INFO_SIZE, &header)) {
        header = 0;
    }
    pcre2_code_free(empty);
    apr_pool_create(&tp, set->pool);
    g->methods = methods;
    g->chunks = apr_array_make(set->pool, 2, sizeof(mg_chunk));
    rs = apr_palloc(tp, sizeof(*rs) * (size_t)(list->nelts + 1));
    for (i = 0; i < list->nelts; i++) {
        const mg_regex *r = &APR_ARRAY_IDX(list, i, mg_regex);
        if (r->methods == methods && r->combinable) {
            net = r->size > header ? r->size - header : 0;
            if (n > start && bytes + net > CHUNK_BYTES) {
                chunk_add(set, tp, g, rs + start, n - start);
                start = n;
                bytes = 0;
            }
            bytes += net;
            rs[n++] = r;
        }
    }
    if (n > start) {
        chunk_add(set, tp, g, rs + start, n - start);
    }
    for (i = 0; i < list->nelts; i++) {
        const mg_regex *r = &APR_ARRAY_IDX(list, i, mg_regex);
        if (r->methods == methods && !r->combinable) {
            chunk_add(set, tp, g, &r, 1);
        }
    }
    apr_pool_destroy(tp);
}

/* ---------------------------------------------------------------- */
/* The set                                                           */

static apr_status_t limits_cleanup(void *data)
{
    pcre2_match_context_free(data);
    return APR_SUCCESS;
}

migate_regex_set *migate_regex_set_make(apr_pool_t *p, int caseless)
{
    migate_regex_set *set = apr_pcalloc(p, sizeof(*set));

    set->pool = p;
    set->opts = caseless ? PCRE2_CASELESS : 0;
    set->list = apr_array_make(p, 4, sizeof(mg_regex));
    set->groups = apr_array_make(p, 1, sizeof(mg_regex_group));
    set->limits = pcre2_match_context_create(NULL);
    if (set->limits) {
        pcre2_set_match_limit(set->limits, MIGATE_REGEX_MATCH_LIMIT);
        pcre2_set_depth_limit(set->limits, MIGATE_REGEX_DEPTH_LIMIT);
        apr_pool_cleanup_register(p, set->limits, limits_cleanup,
                                  apr_pool_cleanup_null);
    }
    return set;
}

const char *migate_regex_add(migate_regex_set *set, const char *pattern,
                             migate_methods_t methods, int rule)
{
    mg_regex *r;
    const char *err;
    pcre2_code *code;

    code = re_compile(set->pool, pattern, PCRE2_ZERO_TERMINATED, set->opts,
                      &err);
    if (!code) {
        return err;
    }
    r = apr_array_push(set->list);
    r->pattern = apr_pstrdup(set->pool, pattern);
    r->methods = methods;
    r->code = code;
    r->combinable = regex_combinable(set->pool, pattern, code, set->opts);
#ifdef MIGATE_BENCH_NO_MERGE
    /* bench/ only: one pcre2_match per regex, to measure the merging */
    r->combinable = 0;
#endif
    if (pcre2_pattern_info(code, PCRE2_INFO_SIZE, &r->size) != 0) {
        r->size = CHUNK_BYTES;
    }
    r->rule = rule;
    return NULL;
}

/* One group per method set, in the order the sets first appear. */
void migate_regex_set_compile(migate_regex_set *set)
{
    const apr_array_header_t *list = set->list;
    int i, j;

    for (i = 0; i < list->nelts; i++) {
        migate_methods_t m = APR_ARRAY_IDX(list, i, mg_regex).methods;
        for (j = 0; j < i; j++) {
            if (APR_ARRAY_IDX(list, j, mg_regex).methods == m) {
                break;
            }
        }
        if (j == i) {
            group_build(set, apr_array_push(set->groups), m);
        }
    }
}

int migate_regex_match(const migate_regex_set *set, const char *s,
                       size_t len, const migate_methods_t *mbits, int admit,
                       int *rule, int *error)
{
    const mg_regex_group *g = (const mg_regex_group *)set->groups->elts;
    int i, j, rc, r = -1, e1 = 0, failed = 0;

    for (i = 0; i < set->groups->nelts; i++, g++) {
        const mg_chunk *c = (const mg_chunk *)g->chunks->elts;

        if (mbits
            && !migate_methods_admit_bits(g->methods, *mbits) != !admit) {
            continue;
        }
        for (j = 0; j < g->chunks->nelts; j++, c++) {
            rc = re_match(c->code, set->limits, s, len, &e1);
            if (rc == 0) {
                continue;
            }
            r = c->members[0].rule;
            if (c->n > 1) {
                rc = chunk_resolve(c, set->limits, s, len, rc, &r, &e1);
            }
            if (rc == 1) {
                *rule = r;
                return 1;
            }
            if (rc < 0 && !failed) {
                failed = 1;
                *rule = r;
                *error = e1;
            }
        }
    }
    return failed ? -1 : 0;
}

const char *migate_regex_error(apr_pool_t *p, int error)
{
    PCRE2_UCHAR msg[128];

    if (pcre2_get_error_message(error, msg, sizeof(msg)) < 0) {
        return apr_psprintf(p, "PCRE2 error %d", error);
    }
    return apr_pstrdup(p, (const char *)msg);
}
