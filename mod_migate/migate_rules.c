/*
 * migate_rules.c - the compiled policy of one gated server and the
 * decision it makes on one request.  Pure: no httpd headers.
 *
 * The decision runs on every request, so its cost must not grow with the
 * number of rules: prefix and exact rules live in a segment trie (one
 * open-addressing table probe per path segment, with the segment's hash
 * computed once), and regexes are merged into one JIT-compiled
 * alternation per method set.  Regexes that begin with a literal segment
 * ("^/orders/...", or "/orders/..." anywhere) are filed under that
 * segment, so a request runs only the few whose literal its path
 * contains; the rest form one general alternation per method set.
 * Everything is built at configuration time from the policy pool and only
 * read afterwards, so all threads of all children share it without locks.
 */
#include <pthread.h>
#include <string.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include <apr_hash.h>
#include <apr_strings.h>
#include <apr_tables.h>

#include "migate_path.h"
#include "migate_rules.h"

/* Trie node marks: which rules end here. */
#define MARK_EXACT  0x01    /* an exact rule names this path           */
#define MARK_PREFIX 0x02    /* "/a/b": this path and everything below  */
#define MARK_BELOW  0x04    /* "/a/b/": only what lies below           */

/* An open-addressing hash table keyed by byte strings: the per-segment
 * look-up of the trie and of the regex prefilter.  apr_hash_t costs an
 * indirect hash call, a chained walk and a key copy per look-up; this
 * table keeps the full hash next to the key, so a probe is one compare
 * of two integers before any memcmp.  Case-insensitive tables (the deny
 * trie) store lowercase keys and hash and compare the request's bytes
 * folded to lowercase, so the path needs no lowercase copy. */
typedef struct {
    const char *key;            /* NULL: empty slot                    */
    uint32_t hash;
    uint32_t len;
    void *val;
} mg_slot;

typedef struct {
    mg_slot *slots;             /* NULL while empty                    */
    uint32_t mask;              /* size - 1, size a power of two       */
    uint32_t count;
    uint32_t maxlen;            /* longest key: longer segments are not
                                   hashed at all (a long segment would
                                   cost more to hash than to skip)     */
} mg_tab;

typedef struct mg_node mg_node;
struct mg_node {
    mg_tab kids;                /* segment bytes -> mg_node*           */
    unsigned marks;
    migate_methods_t exact_m;   /* union of the rules' method sets     */
    migate_methods_t prefix_m;
    migate_methods_t below_m;
    int exact_r;                /* the first rule of each mark, as an  */
    int prefix_r;               /* index into the policy's rule names  */
    int below_r;
};

/* One regex rule as written, compiled on its own. */
typedef struct {
    const char *pattern;
    migate_methods_t methods;
    pcre2_code *code;
    int combinable;
    int rule;                   /* index into the policy's rule names */
} mg_regex;

/* Regexes that share a method set: the combinable ones merged into one
 * alternation, the others (back references, verbs, recursion) kept
 * apart because merging would change what they mean. */
typedef struct {
    migate_methods_t methods;
    pcre2_code *combined;           /* NULL when nothing combinable */
    apr_array_header_t *alone;      /* of pcre2_code *              */
    /* Required bytes: when every regex of the group names a byte that
     * any match must contain (PCRE2's first or last code unit, in
     * either case), a subject with none of them cannot match, and the
     * group is not run (a call into PCRE2 costs more than the scan). */
    int filtered;
    unsigned char need[256];
} mg_regex_group;

/* The regexes filed under one literal segment, grouped by method set. */
typedef struct {
    apr_array_header_t *rules;      /* of mg_regex, while building  */
    apr_array_header_t *groups;     /* of mg_regex_group, compiled  */
} mg_re_bucket;

struct migate_policy {
    apr_pool_t *pool;
    mg_node *allow;             /* case-sensitive keys                 */
    mg_node *deny;              /* lowercase keys                      */
    apr_array_header_t *allow_re;   /* of mg_regex                     */
    apr_array_header_t *deny_re;    /* of mg_regex                     */
    apr_array_header_t *allow_groups;   /* of mg_regex_group, compiled:
                                           the regexes no prefilter
                                           covers                     */
    mg_tab re_first;            /* first segment -> mg_re_bucket*:
                                   "^/seg/..." regexes                */
    mg_tab re_any;              /* any segment -> mg_re_bucket*:
                                   "/seg/..." regexes, unanchored     */
    mg_regex_group deny_group;
    apr_hash_t *services;       /* opened names, exact case            */
    apr_array_header_t *names;  /* of const char *: what decided, by
                                   rule index (the built-in checks
                                   first, in migate_builtin_e order)  */
    int n_allow;                /* prefix, exact and regex allow rules */
    unsigned metadata;          /* MIGATE_META_* kinds allowed         */
    int compiled;
};

#define SVC_DIR     "/services/"
#define SVC_DIR_LEN 10

/* PCRE2 options for every rule: \C could split a character, and (*UTF)
 * would make matching fail (not just miss) on a non-UTF-8 raw target. */
#define RE_OPTS (PCRE2_NEVER_BACKSLASH_C | PCRE2_NEVER_UTF)

static const char *const builtin_deny[] = {
    "/management", "/dashboard", "/carbon", "/fileupload",
};

/* Names of the built-in checks, in migate_builtin_e order; the built-in
 * denies follow them as "builtin:/management", ... */
static const char *const builtin_names[MIGATE_B__COUNT] = {
    "builtin:method", "builtin:canonical-path", "builtin:services",
    "builtin:service-metadata", "builtin:default-deny", "builtin:header",
    "builtin:protocol", "builtin:backend-plain", "builtin:backend-tls",
};

/* ---------------------------------------------------------------- */
/* Small helpers                                                     */

static int lc(int c)
{
    return (c >= 'A' && c <= 'Z') ? c + ('a' - 'A') : c;
}

static int ci_eq(const char *a, const char *b, size_t n)
{
    size_t i;
    for (i = 0; i < n; i++) {
        if (lc((unsigned char)a[i]) != lc((unsigned char)b[i])) {
            return 0;
        }
    }
    return 1;
}

/* Branch-free ASCII lowercase: request bytes are folded while hashing
 * and comparing, never copied. */
static inline unsigned fold(unsigned c)
{
    return c | ((c - 'A' < 26u) << 5);
}

/* Offset of the first "/services/" (any case) at or after from, or -1.
 * Runs up to four times per request over path and query: memchr jumps
 * from '/' to '/' (one SIMD pass), and only the bytes after a '/' are
 * compared.  fold() changes only 'A'-'Z', so fold(c) == 's' exactly when
 * c is 's' or 'S'. */
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
            if (fold((unsigned char)p[i]) != (unsigned char)SVC_DIR[i]) {
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
            if (fold((unsigned char)p[i]) != (unsigned char)SVC_DIR[i]) {
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

/* A set that names no method admits all of them, so the union of two
 * sets is "any" as soon as one of them is. */
static migate_methods_t methods_union(migate_methods_t a, migate_methods_t b)
{
    if (a == MIGATE_METHODS_ANY || b == MIGATE_METHODS_ANY) {
        return MIGATE_METHODS_ANY;
    }
    return a | b;
}

/* ---------------------------------------------------------------- */
/* The open-addressing table                                         */

#define FNV_BASIS 2166136261u
#define FNV_PRIME 16777619u

/* FNV-1a; ci folds ASCII letters first. */
static inline uint32_t tab_hash(const char *s, size_t len, int ci)
{
    const unsigned char *p = (const unsigned char *)s;
    uint32_t h = FNV_BASIS;
    size_t i;

    if (ci) {
        for (i = 0; i < len; i++) {
            h = (h ^ fold(p[i])) * FNV_PRIME;
        }
    }
    else {
        for (i = 0; i < len; i++) {
            h = (h ^ p[i]) * FNV_PRIME;
        }
    }
    return h;
}

static inline int key_eq(const char *a, const char *b, size_t n, int ci)
{
    size_t i;

    if (!ci) {
        return memcmp(a, b, n) == 0;
    }
    /* a is the stored, already lowercase key */
    for (i = 0; i < n; i++) {
        if ((unsigned char)a[i] != fold((unsigned char)b[i])) {
            return 0;
        }
    }
    return 1;
}

/* Look up a key whose hash the caller computed (tab_hash or the same
 * steps inline). */
static inline void *tab_get_h(const mg_tab *t, const char *s, size_t len,
                              uint32_t h, int ci)
{
    uint32_t i;

    if (len > t->maxlen || !t->count) {
        return NULL;
    }
    for (i = h & t->mask; t->slots[i].key; i = (i + 1) & t->mask) {
        const mg_slot *sl = &t->slots[i];
        if (sl->hash == h && sl->len == len && key_eq(sl->key, s, len, ci)) {
            return sl->val;
        }
    }
    return NULL;
}

static void *tab_get(const mg_tab *t, const char *s, size_t len, int ci)
{
    if (len > t->maxlen || !t->count) {
        return NULL;
    }
    return tab_get_h(t, s, len, tab_hash(s, len, ci), ci);
}

static void tab_put_slot(mg_slot *slots, uint32_t mask, const mg_slot *in)
{
    uint32_t i;

    for (i = in->hash & mask; slots[i].key; i = (i + 1) & mask) {
        ;
    }
    slots[i] = *in;
}

/* Insert a key that is not in the table yet (stored lowercase when ci).
 * The table is kept at most half full, so probes stay short; tables
 * grow only at configuration time. */
static void tab_put(apr_pool_t *p, mg_tab *t, const char *key, size_t len,
                    void *val, int ci)
{
    mg_slot in;

    if (!t->slots || (t->count + 1) * 2 > t->mask + 1) {
        uint32_t size = t->slots ? (t->mask + 1) * 2 : 4, i;
        mg_slot *ns = apr_pcalloc(p, sizeof(mg_slot) * size);
        for (i = 0; t->slots && i <= t->mask; i++) {
            if (t->slots[i].key) {
                tab_put_slot(ns, size - 1, &t->slots[i]);
            }
        }
        t->slots = ns;
        t->mask = size - 1;
    }
    in.key = apr_pstrmemdup(p, key, len);
    if (ci) {
        char *k = (char *)in.key;
        size_t i;
        for (i = 0; i < len; i++) {
            k[i] = (char)fold((unsigned char)k[i]);
        }
    }
    in.hash = tab_hash(in.key, len, 0);
    in.len = (uint32_t)len;
    in.val = val;
    tab_put_slot(t->slots, t->mask, &in);
    t->count++;
    if (len > t->maxlen) {
        t->maxlen = (uint32_t)len;
    }
}

/* ---------------------------------------------------------------- */
/* Pattern checks                                                    */

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

/* Compile a regex; on failure return NULL and an error text in *err.
 * The code is freed with the pool. */
static pcre2_code *re_compile(apr_pool_t *p, const char *pattern,
                              size_t len, uint32_t opts, const char **err)
{
    int ec = 0;
    PCRE2_SIZE off = 0;
    pcre2_code *code;

    code = pcre2_compile((PCRE2_SPTR)pattern, len, opts | RE_OPTS, &ec,
                         &off, NULL);
    if (!code) {
        *err = re_error(p, ec, off);
        return NULL;
    }
    /* JIT is an optimisation: where it is not available the
     * interpreter gives the same answers. */
    (void)pcre2_jit_compile(code, PCRE2_JIT_COMPLETE);
    apr_pool_cleanup_register(p, code, code_cleanup, apr_pool_cleanup_null);
    *err = NULL;
    return code;
}

const char *migate_rule_check(apr_pool_t *p, migate_rule_kind_e kind,
                              const char *pattern)
{
    const char *s;

    if (!pattern) {
        return "missing pattern";
    }
    if (kind == MIGATE_RULE_REGEX) {
        int ec = 0;
        PCRE2_SIZE off = 0;
        pcre2_code *code = pcre2_compile((PCRE2_SPTR)pattern,
                                         PCRE2_ZERO_TERMINATED, RE_OPTS,
                                         &ec, &off, NULL);
        if (!code) {
            return re_error(p, ec, off);
        }
        pcre2_code_free(code);
        return NULL;
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
        if (ci_eq(name + i, "admin", 5)) {
            return apr_psprintf(p, "service name '%s': service names "
                                "containing 'admin' are MI admin services "
                                "and are never opened", name);
        }
    }
    return NULL;
}

/* ---------------------------------------------------------------- */
/* The segment trie                                                  */

static mg_node *node_make(apr_pool_t *p)
{
    return apr_pcalloc(p, sizeof(mg_node));
}

/* The deny trie gets lowercase patterns, so one table kind serves both
 * tries at build time; only the look-up differs. */
static mg_node *node_child(apr_pool_t *p, mg_node *n, const char *seg,
                           size_t len)
{
    mg_node *c = tab_get(&n->kids, seg, len, 0);

    if (!c) {
        c = node_make(p);
        tab_put(p, &n->kids, seg, len, c, 0);
    }
    return c;
}

static void node_mark(mg_node *n, unsigned mark, migate_methods_t m,
                      int rule)
{
    migate_methods_t *slot = mark == MARK_EXACT ? &n->exact_m
                           : mark == MARK_PREFIX ? &n->prefix_m
                           : &n->below_m;
    int *r = mark == MARK_EXACT ? &n->exact_r
           : mark == MARK_PREFIX ? &n->prefix_r
           : &n->below_r;

    if (!(n->marks & mark)) {
        *r = rule;
    }
    *slot = (n->marks & mark) ? methods_union(*slot, m) : m;
    n->marks |= mark;
}

/* Insert a checked pattern.  A trailing '/' is an empty last segment:
 * for an exact rule it is a child "" (the canonical path keeps it), for
 * a prefix rule it means "below this node" only. */
static void trie_insert(apr_pool_t *p, mg_node *root, const char *pat,
                        int exact, migate_methods_t m, int rule)
{
    mg_node *n = root;
    const char *s = pat + 1;

    if (!*s) {
        if (exact) {
            node_mark(node_child(p, root, "", 0), MARK_EXACT, m, rule);
        }
        else {
            node_mark(root, MARK_BELOW, m, rule);
        }
        return;
    }
    for (;;) {
        const char *e = strchr(s, '/');
        size_t len = e ? (size_t)(e - s) : strlen(s);

        n = node_child(p, n, s, len);
        if (!e) {
            node_mark(n, exact ? MARK_EXACT : MARK_PREFIX, m, rule);
            return;
        }
        if (!e[1]) {
            if (exact) {
                node_mark(node_child(p, n, "", 0), MARK_EXACT, m, rule);
            }
            else {
                node_mark(n, MARK_BELOW, m, rule);
            }
            return;
        }
        s = e + 1;
    }
}

/* Walk a canonical path.  Returns 1 when a rule matches and admits the
 * method (method NULL: any match counts); *matched says whether any rule
 * matched the path at all.  ci: the trie holds lowercase keys and the
 * path is compared folded to lowercase. */
static int trie_match(const mg_node *root, const char *path, size_t len,
                      const char *method, size_t mlen, int *matched, int ci,
                      int *rule)
{
    const mg_node *n = root;
    const char *s = path + 1;
    const char *end = path + len;

#define HIT(set, r) do {                                                \
        *matched = 1;                                                   \
        if (!method || migate_methods_admit((set), method, mlen)) {     \
            *rule = (r);                                                \
            return 1;                                                   \
        }                                                               \
    } while (0)

    if (len == 0 || path[0] != '/') {
        return 0;
    }
    for (;;) {
        const char *e;
        const mg_node *c;
        uint32_t h;

        /* more of the path follows this node */
        if (n->marks & MARK_BELOW) {
            HIT(n->below_m, n->below_r);
        }
        if (n != root && (n->marks & MARK_PREFIX)) {
            HIT(n->prefix_m, n->prefix_r);
        }
        if (!n->kids.count) {
            return 0;
        }
        /* find the segment's end and hash it in the same pass */
        h = FNV_BASIS;
        if (ci) {
            for (e = s; e < end && *e != '/'; e++) {
                h = (h ^ fold((unsigned char)*e)) * FNV_PRIME;
            }
        }
        else {
            for (e = s; e < end && *e != '/'; e++) {
                h = (h ^ (unsigned char)*e) * FNV_PRIME;
            }
        }
        c = tab_get_h(&n->kids, s, (size_t)(e - s), h, ci);
        if (!c) {
            return 0;
        }
        n = c;
        if (e == end) {
            if (n->marks & MARK_PREFIX) {
                HIT(n->prefix_m, n->prefix_r);
            }
            if (n->marks & MARK_EXACT) {
                HIT(n->exact_m, n->exact_r);
            }
            return 0;
        }
        s = e + 1;
    }
#undef HIT
}

/* ---------------------------------------------------------------- */
/* Regexes                                                           */

/* Whether a regex may be wrapped as "(?:r)" and joined with others by
 * '|' without changing its meaning.  Numbered or named references,
 * recursion, backtracking verbs (a (*COMMIT) would cut off the other
 * alternatives), \Q (would quote the ')' that closes the wrapper) and
 * \K are kept apart; the scan errs on the side of "no". */
static int regex_combinable(const char *s, const pcre2_code *code)
{
    uint32_t br = 0, names = 0;

    if (pcre2_pattern_info(code, PCRE2_INFO_BACKREFMAX, &br) != 0
        || pcre2_pattern_info(code, PCRE2_INFO_NAMECOUNT, &names) != 0
        || br != 0 || names != 0) {
        return 0;
    }
    for (; *s; s++) {
        if (*s == '\\') {
            char n = s[1];
            if (n == 'Q' || n == 'K' || n == 'g' || n == 'k'
                || (n >= '0' && n <= '9')) {
                return 0;
            }
            if (n) {
                s++;
            }
            continue;
        }
        if (*s == '(' && s[1] == '*') {
            return 0;
        }
        if (*s == '(' && s[1] == '?') {
            const char *t = s + 2;
            if (*t == ':' || *t == '=' || *t == '!' || *t == '>') {
                continue;
            }
            if (*t == '<' && (t[1] == '=' || t[1] == '!')) {
                continue;
            }
            /* option settings, but not x (comments would run on) */
            while (*t == 'i' || *t == 'm' || *t == 's' || *t == 'n'
                   || *t == '-') {
                t++;
            }
            if (t > s + 2 && (*t == ')' || *t == ':')) {
                continue;
            }
            return 0;
        }
    }
    return 1;
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

/* 1 match, 0 no match, -1 the match could not be run (out of memory,
 * match limit): callers fail closed. */
static int re_match(const pcre2_code *code, const char *s, size_t len)
{
    int rc;

    if (!tls_md) {
        pthread_once(&md_once, md_key_make);
        tls_md = pcre2_match_data_create(1, NULL);
        if (!tls_md) {
            return -1;
        }
        if (md_key_ok) {
            pthread_setspecific(md_key, tls_md);
        }
    }
    rc = pcre2_match(code, (PCRE2_SPTR)(s ? s : ""), len, 0, 0, tls_md,
                     NULL);
    if (rc >= 0) {
        return 1;
    }
    return rc == PCRE2_ERROR_NOMATCH ? 0 : -1;
}

/* Match a group: 1, 0, or -1 as re_match (a -1 only if nothing matched). */
static int group_match(const mg_regex_group *g, const char *s, size_t len)
{
    int i, rc, err = 0;

    if (g->filtered) {
        const unsigned char *u = (const unsigned char *)s;
        size_t k;
        for (k = 0; k < len && !g->need[u[k]]; k++) {
            ;
        }
        if (k == len) {
            return 0;
        }
    }

    if (g->combined) {
        rc = re_match(g->combined, s, len);
        if (rc == 1) {
            return 1;
        }
        err |= rc < 0;
    }
    if (g->alone) {
        for (i = 0; i < g->alone->nelts; i++) {
            rc = re_match(APR_ARRAY_IDX(g->alone, i, pcre2_code *), s, len);
            if (rc == 1) {
                return 1;
            }
            err |= rc < 0;
        }
    }
    return err ? -1 : 0;
}

/* Add a regex's required byte to the group's filter, or turn the filter
 * off when the regex has none.  Both cases are added: the deny regexes
 * are caseless, and an allow regex may set (?i) itself. */
static void need_add(mg_regex_group *g, const pcre2_code *code)
{
    uint32_t type = 0, cu = 0;

    if (pcre2_pattern_info(code, PCRE2_INFO_LASTCODETYPE, &type) != 0
        || type != 1
        || pcre2_pattern_info(code, PCRE2_INFO_LASTCODEUNIT, &cu) != 0) {
        if (pcre2_pattern_info(code, PCRE2_INFO_FIRSTCODETYPE, &type) != 0
            || type != 1
            || pcre2_pattern_info(code, PCRE2_INFO_FIRSTCODEUNIT, &cu) != 0) {
            g->filtered = 0;
            return;
        }
    }
    if (cu > 0xff) {
        g->filtered = 0;
        return;
    }
    g->need[cu] = 1;
    g->need[fold(cu)] = 1;
    if (cu >= 'a' && cu <= 'z') {
        g->need[cu - ('a' - 'A')] = 1;
    }
}

/* Build one group from the regexes of list that have this method set
 * (all of them when all is set). */
static void group_build(migate_policy *pol, mg_regex_group *g,
                        const apr_array_header_t *list,
                        migate_methods_t methods, int all, uint32_t opts)
{
    apr_pool_t *p = pol->pool;
    struct iovec *parts;
    int i, nparts = 0, ncomb = 0;
    const char *err;

    g->methods = methods;
    g->combined = NULL;
    g->alone = apr_array_make(p, 2, sizeof(pcre2_code *));
    g->filtered = 1;
    memset(g->need, 0, sizeof(g->need));
    parts = apr_palloc(p, sizeof(struct iovec) * (list->nelts * 3 + 1));
    for (i = 0; i < list->nelts; i++) {
        const mg_regex *r = &APR_ARRAY_IDX(list, i, mg_regex);
        if (!all && r->methods != methods) {
            continue;
        }
        need_add(g, r->code);
        if (!r->combinable) {
            APR_ARRAY_PUSH(g->alone, pcre2_code *) = r->code;
            continue;
        }
        parts[nparts].iov_base = (void *)(ncomb ? "|(?:" : "(?:");
        parts[nparts].iov_len = ncomb ? 4 : 3;
        nparts++;
        parts[nparts].iov_base = (void *)r->pattern;
        parts[nparts].iov_len = strlen(r->pattern);
        nparts++;
        parts[nparts].iov_base = (void *)")";
        parts[nparts].iov_len = 1;
        nparts++;
        ncomb++;
    }
    if (ncomb == 1) {
        /* nothing to merge: use the rule's own code */
        for (i = 0; i < list->nelts; i++) {
            const mg_regex *r = &APR_ARRAY_IDX(list, i, mg_regex);
            if ((all || r->methods == methods) && r->combinable) {
                g->combined = r->code;
            }
        }
    }
    else if (ncomb > 1) {
        apr_size_t len;
        char *pat = apr_pstrcatv(p, parts, nparts, &len);
        g->combined = re_compile(p, pat, len, opts, &err);
        if (!g->combined) {
            /* should not happen; keep every regex apart instead */
            for (i = 0; i < list->nelts; i++) {
                const mg_regex *r = &APR_ARRAY_IDX(list, i, mg_regex);
                if ((all || r->methods == methods) && r->combinable) {
                    APR_ARRAY_PUSH(g->alone, pcre2_code *) = r->code;
                }
            }
        }
    }
}

/* The groups (one per method set) of a list of regexes. */
static apr_array_header_t *groups_build(migate_policy *pol,
                                        const apr_array_header_t *list)
{
    apr_array_header_t *gs = apr_array_make(pol->pool, 2,
                                            sizeof(mg_regex_group));
    int i, j;

    for (i = 0; i < list->nelts; i++) {
        migate_methods_t m = APR_ARRAY_IDX(list, i, mg_regex).methods;
        int seen = 0;
        for (j = 0; j < i; j++) {
            if (APR_ARRAY_IDX(list, j, mg_regex).methods == m) {
                seen = 1;
                break;
            }
        }
        if (!seen) {
            group_build(pol, apr_array_push(gs), list, m, 0, 0);
        }
    }
    return gs;
}

/*
 * The literal prefilter.  A regex can only match a canonical path at a
 * place where its leading literal occurs.  When that literal is "/seg/"
 * (a whole segment between two slashes), the match needs a path segment
 * equal to seg followed by '/': the first segment for a regex anchored
 * with '^', any segment otherwise.  Such regexes are filed in a table
 * under seg, and a request looks up its own segments instead of running
 * them all.  Returns seg's length (0: no usable literal, the regex goes
 * to the general groups), sets *seg and *anchored.
 *
 * The scan errs on the side of 0: a top-level '|' (the literal would
 * bind only one alternative), \Q, and extended mode (whose comments
 * hide structure from this scan) are not filtered.
 */
static size_t regex_key(const char *pat, const char **seg, int *anchored)
{
    const char *s, *lit;
    size_t n, k;
    int depth = 0;

    for (s = pat; *s; s++) {
        if (*s == '\\') {
            if (s[1] == 'Q') {
                return 0;
            }
            if (s[1]) {
                s++;
            }
        }
        else if (*s == '[') {
            /* a class: ']' first (or after '^') is literal */
            s++;
            if (*s == '^') {
                s++;
            }
            if (*s == ']') {
                s++;
            }
            for (; *s && *s != ']'; s++) {
                if (*s == '\\' && s[1]) {
                    s++;
                }
                else if (*s == '[' && s[1] == ':') {
                    const char *e = strstr(s + 2, ":]");
                    if (!e) {
                        return 0;
                    }
                    s = e + 1;
                }
            }
            if (!*s) {
                return 0;
            }
        }
        else if (*s == '(') {
            depth++;
            if (s[1] == '?') {
                const char *t = s + 2;
                while ((*t >= 'a' && *t <= 'z') || (*t >= 'A' && *t <= 'Z')
                       || *t == '-' || *t == '^') {
                    if (*t == 'x') {
                        return 0;
                    }
                    t++;
                }
            }
        }
        else if (*s == ')') {
            depth--;
        }
        else if (*s == '|' && depth == 0) {
            return 0;
        }
    }
    lit = pat;
    *anchored = *lit == '^';
    if (*anchored) {
        lit++;
    }
    for (n = 0; lit[n] > 0x20 && lit[n] < 0x7f
                && !strchr("\\^$.[|()?*+{", lit[n]); n++) {
        ;
    }
    if (n && lit[n] && strchr("?*+{", lit[n])) {
        n--;    /* the quantifier binds the last literal byte */
    }
    if (n < 3 || lit[0] != '/') {
        return 0;
    }
    for (k = 1; k < n && lit[k] != '/'; k++) {
        ;
    }
    if (k == n || k == 1) {
        return 0;
    }
    *seg = lit + 1;
    return k - 1;
}

/* File the allow regexes: under a segment where regex_key finds one,
 * else in the general list. */
static void regex_file(migate_policy *pol, apr_array_header_t *general)
{
    int i;

    for (i = 0; i < pol->allow_re->nelts; i++) {
        const mg_regex *r = &APR_ARRAY_IDX(pol->allow_re, i, mg_regex);
        const char *seg = NULL;
        int anchored = 0;
        size_t n = regex_key(r->pattern, &seg, &anchored);
        mg_tab *t = anchored ? &pol->re_first : &pol->re_any;
        mg_re_bucket *b;

        if (!n) {
            *(mg_regex *)apr_array_push(general) = *r;
            continue;
        }
        b = tab_get(t, seg, n, 0);
        if (!b) {
            b = apr_pcalloc(pol->pool, sizeof(*b));
            b->rules = apr_array_make(pol->pool, 2, sizeof(mg_regex));
            tab_put(pol->pool, t, seg, n, b, 0);
        }
        *(mg_regex *)apr_array_push(b->rules) = *r;
    }
}

static void buckets_build(migate_policy *pol, mg_tab *t)
{
    uint32_t i;

    for (i = 0; t->slots && i <= t->mask; i++) {
        if (t->slots[i].key) {
            mg_re_bucket *b = t->slots[i].val;
            b->groups = groups_build(pol, b->rules);
        }
    }
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
    pol->allow = node_make(p);
    pol->deny = node_make(p);
    pol->allow_re = apr_array_make(p, 4, sizeof(mg_regex));
    pol->deny_re = apr_array_make(p, 4, sizeof(mg_regex));
    pol->services = apr_hash_make(p);
    pol->names = apr_array_make(p, 16, sizeof(const char *));
    for (i = 0; i < MIGATE_B__COUNT; i++) {
        APR_ARRAY_PUSH(pol->names, const char *) = builtin_names[i];
    }
    for (i = 0; i < sizeof(builtin_deny) / sizeof(builtin_deny[0]); i++) {
        trie_insert(p, pol->deny, builtin_deny[i], 0, MIGATE_METHODS_ANY,
                    rule_name(pol, apr_pstrcat(p, "builtin:",
                                               builtin_deny[i], NULL)));
    }
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
    (void)pol;
    return MIGATE_B__COUNT
           + (int)(sizeof(builtin_deny) / sizeof(builtin_deny[0]));
}

const char *migate_builtin_deny_path(int i)
{
    size_t n = sizeof(builtin_deny) / sizeof(builtin_deny[0]);

    if (i == 0) {
        return "/services";
    }
    return i > 0 && (size_t)i <= n ? builtin_deny[i - 1] : NULL;
}

static const char *add_regex(migate_policy *pol, apr_array_header_t *list,
                             const char *pattern, migate_methods_t methods,
                             uint32_t opts, const char *where)
{
    mg_regex *r;
    const char *err;
    pcre2_code *code;

    code = re_compile(pol->pool, pattern, PCRE2_ZERO_TERMINATED, opts,
                      &err);
    if (!code) {
        return err;
    }
    r = apr_array_push(list);
    r->pattern = apr_pstrdup(pol->pool, pattern);
    r->methods = methods;
    r->code = code;
    r->combinable = regex_combinable(pattern, code);
    r->rule = rule_name(pol, where);
    return NULL;
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
        err = add_regex(pol, pol->allow_re, pattern, methods, 0, where);
    }
    else {
        err = migate_rule_check(pol->pool, kind, pattern);
        if (!err) {
            trie_insert(pol->pool, pol->allow, pattern,
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
        return add_regex(pol, pol->deny_re, pattern, MIGATE_METHODS_ANY,
                         PCRE2_CASELESS, where);
    }
    err = migate_rule_check(pol->pool, kind, pattern);
    if (err) {
        return err;
    }
    low = apr_pstrdup(pol->pool, pattern);
    for (i = 0; low[i]; i++) {
        low[i] = (char)lc((unsigned char)low[i]);
    }
    trie_insert(pol->pool, pol->deny, low, kind == MIGATE_RULE_EXACT,
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

void migate_policy_set_metadata(migate_policy *pol, int on)
{
    pol->metadata = on ? MIGATE_META_ALL : 0;
}

void migate_policy_set_metadata_kinds(migate_policy *pol, unsigned kinds)
{
    pol->metadata = kinds & MIGATE_META_ALL;
}

const char *migate_policy_compile(migate_policy *pol)
{
    apr_array_header_t *general;

    if (pol->compiled) {
        return NULL;
    }
    general = apr_array_make(pol->pool, 4, sizeof(mg_regex));
    regex_file(pol, general);
    pol->allow_groups = groups_build(pol, general);
    buckets_build(pol, &pol->re_first);
    buckets_build(pol, &pol->re_any);
    group_build(pol, &pol->deny_group, pol->deny_re, MIGATE_METHODS_ANY, 1,
                PCRE2_CASELESS);
    pol->compiled = 1;
    return NULL;
}

int migate_policy_allow_count(const migate_policy *pol)
{
    return pol->n_allow + (int)apr_hash_count(pol->services);
}

/* ---------------------------------------------------------------- */
/* Deciding                                                          */

/* The metadata parameters MI's GET processors answer, by kind.  "xsd"
 * stands for every name that starts with it (?xsd, ?xsd=a.xsd, ?xsd1). */
static const struct {
    const char *name;
    unsigned kind;
} meta_params[] = {
    { "wsdl", MIGATE_META_WSDL }, { "wsdl2", MIGATE_META_WSDL2 },
    { "info", MIGATE_META_INFO }, { "swagger.json", MIGATE_META_SWAGGER },
    { "swagger.yaml", MIGATE_META_SWAGGER },
    { "policy", MIGATE_META_POLICY },
};

/* The kind names of MiGateServiceMetadata, in bit order, each with a
 * query parameter that asks for it. */
static const struct {
    const char *name;
    const char *param;
} meta_kinds[] = {
    { "wsdl", "wsdl" }, { "wsdl2", "wsdl2" }, { "xsd", "xsd" },
    { "info", "info" }, { "swagger", "swagger.json" },
    { "policy", "policy" },
};
#define N_META_KINDS (sizeof(meta_kinds) / sizeof(meta_kinds[0]))

unsigned migate_metadata_kind(const char *name)
{
    size_t i;

    for (i = 0; name && i < N_META_KINDS; i++) {
        if (strlen(name) == strlen(meta_kinds[i].name)
            && ci_eq(name, meta_kinds[i].name, strlen(name))) {
            return 1u << i;
        }
    }
    return 0;
}

/* The entry of one kind bit, or -1. */
static int meta_kind_index(unsigned kind)
{
    size_t i;

    for (i = 0; i < N_META_KINDS; i++) {
        if (kind == 1u << i) {
            return (int)i;
        }
    }
    return -1;
}

const char *migate_metadata_kind_name(unsigned kind)
{
    int i = meta_kind_index(kind);

    return i < 0 ? NULL : meta_kinds[i].name;
}

const char *migate_metadata_kind_param(unsigned kind)
{
    int i = meta_kind_index(kind);

    return i < 0 ? NULL : meta_kinds[i].param;
}

/* The kind of a query parameter name, or 0. */
static unsigned meta_kind(const char *n, size_t len)
{
    size_t i;

    /* most parameters start with none of x, w, i, s, p */
    if (len < 3 || !strchr("xwisp", (int)fold((unsigned char)n[0]))) {
        return 0;
    }
    if (ci_eq(n, "xsd", 3)) {
        return MIGATE_META_XSD;
    }
    for (i = 0; i < sizeof(meta_params) / sizeof(meta_params[0]); i++) {
        if (strlen(meta_params[i].name) == len
            && ci_eq(n, meta_params[i].name, len)) {
            return meta_params[i].kind;
        }
    }
    return 0;
}

/* The metadata kinds a query asks for (parameter names before '=',
 * split on '&'), as MI's GET processors look for them: every one, so
 * that a kind that is not allowed cannot hide behind one that is. */
static unsigned meta_query_kinds(const char *q, size_t len)
{
    const char *s = q, *end;
    unsigned kinds = 0;

    if (!q) {
        return 0;
    }
    end = q + len;
    while (s <= end) {
        const char *amp = memchr(s, '&', (size_t)(end - s));
        const char *pe = amp ? amp : end;
        const char *eq = memchr(s, '=', (size_t)(pe - s));
        const char *ne = eq ? eq : pe;
        kinds |= meta_kind(s, (size_t)(ne - s));
        if (!amp) {
            break;
        }
        s = amp + 1;
    }
    return kinds;
}

static int is_meta_method(const char *m, size_t len)
{
    return (len == 3 && memcmp(m, "GET", 3) == 0)
        || (len == 4 && memcmp(m, "HEAD", 4) == 0)
        || (len == 7 && memcmp(m, "OPTIONS", 7) == 0);
}

/* The deny regex that matches one of the subjects, for the refusal
 * line (only run once the combined group has matched): its rule index,
 * or that of the first deny regex when none matches alone (a regex that
 * could not be run, which denies). */
static int deny_re_rule(const migate_policy *pol, const char *const *subj,
                        const size_t *len, int nsubj)
{
    int k, i;

    for (k = 0; k < pol->deny_re->nelts; k++) {
        const mg_regex *re = &APR_ARRAY_IDX(pol->deny_re, k, mg_regex);
        for (i = 0; i < nsubj; i++) {
            if (subj[i] && re_match(re->code, subj[i], len[i]) != 0) {
                return re->rule;
            }
        }
    }
    return APR_ARRAY_IDX(pol->deny_re, 0, mg_regex).rule;
}

/* MiGateDenyMatch: the canonical path, the raw target (path '?' query as
 * sent) and the target with path and query percent-decoded once.  A
 * regex that cannot be run denies: fail closed. */
static int deny_regex(const migate_policy *pol, const char *rp, size_t rlen,
                      const char *q, size_t qlen, const char *canon,
                      size_t clen, int same, apr_pool_t *p, int *rule)
{
    const char *subj[3];
    size_t len[3];
    char *t;
    int i;

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
        if (subj[i] && group_match(&pol->deny_group, subj[i], len[i]) != 0) {
            *rule = deny_re_rule(pol, subj, len, 3);
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
    v->reason = MIGATE_PASS;
    v->reportable = 0;
    v->canon = NULL;
    v->canon_len = 0;
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
    if ((clen >= 9 && ci_eq(canon, "/services", 9)
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
    kinds = meta_query_kinds(q, qlen) | meta_query_kinds(dq, dqlen);
    if (kinds) {
        if ((kinds & ~pol->metadata) || !svc_exact
            || !is_meta_method(method, mlen)) {
            v->rule = MIGATE_B_SERVICE_METADATA;
            return MIGATE_R_SERVICE_METADATA;
        }
    }

    /* 5. hard denies, any case */
    if (trie_match(pol->deny, canon, clen, NULL, 0, &matched, 1, &v->rule)) {
        return MIGATE_R_HARD_DENY;
    }
    if (pol->deny_re->nelts
        && deny_regex(pol, rp, rlen, q, qlen, canon, clen, same, p,
                      &v->rule)) {
        return MIGATE_R_HARD_DENY;
    }
    if (!*svc_ok) {
        v->rule = -1;
    }
    return MIGATE_PASS;
}

/* Run the groups whose method set admits the method (admit 1) or does
 * not (admit 0); 1 as soon as one matches. */
static int groups_run(const apr_array_header_t *gs, const char *method,
                      size_t mlen, const char *canon, size_t clen, int admit)
{
    int i;

    for (i = 0; i < gs->nelts; i++) {
        const mg_regex_group *g = &APR_ARRAY_IDX(gs, i, mg_regex_group);
        if (!migate_methods_admit(g->methods, method, mlen) == !admit
            && group_match(g, canon, clen) == 1) {
            return 1;
        }
    }
    return 0;
}

/* The compiled allow regexes: the general groups, the bucket of the
 * first segment, and the buckets of every segment followed by '/'. */
static int regex_allow(const migate_policy *pol, const char *method,
                       size_t mlen, const char *canon, size_t clen,
                       int admit)
{
    const mg_re_bucket *b, *seen[8];
    const char *s = canon + 1, *end = canon + clen, *e;
    int nseen = 0, i;

    if (groups_run(pol->allow_groups, method, mlen, canon, clen, admit)) {
        return 1;
    }
    if (clen < 3) {
        return 0;
    }
    e = memchr(s, '/', (size_t)(end - s));
    if (e && pol->re_first.count) {
        b = tab_get(&pol->re_first, s, (size_t)(e - s), 0);
        if (b && groups_run(b->groups, method, mlen, canon, clen, admit)) {
            return 1;
        }
    }
    if (!pol->re_any.count) {
        return 0;
    }
    while (e) {
        b = tab_get(&pol->re_any, s, (size_t)(e - s), 0);
        if (b) {
            /* a segment that repeats would run its bucket again */
            for (i = 0; i < nseen && seen[i] != b; i++) {
                ;
            }
            if (i == nseen) {
                if (groups_run(b->groups, method, mlen, canon, clen,
                               admit)) {
                    return 1;
                }
                if (nseen < 8) {
                    seen[nseen++] = b;
                }
            }
        }
        s = e + 1;
        e = memchr(s, '/', (size_t)(end - s));
    }
    return 0;
}

/* Step 6: the allowlist.  A regex that cannot be run does not allow.
 * *rule is the prefix or exact rule that allowed, or -1 (a regex). */
static migate_reason_e allowlist(const migate_policy *pol,
                                 const char *method, size_t mlen,
                                 const char *canon, size_t clen, int *rule)
{
    int matched = 0;

    if (trie_match(pol->allow, canon, clen, method, mlen, &matched, 0,
                   rule)) {
        return MIGATE_PASS;
    }
    if (regex_allow(pol, method, mlen, canon, clen, 1)) {
        *rule = -1;
        return MIGATE_PASS;
    }
    *rule = MIGATE_B_DEFAULT_DENY;
    if (!matched && regex_allow(pol, method, mlen, canon, clen, 0)) {
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
                      rq->method ? rq->method_len : 0, v->canon,
                      v->canon_len, &v->rule);
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
