/*
 * migate_rules.c - the compiled policy of one gated server and the
 * decision it makes on one request.  Pure: no httpd headers.
 *
 * The decision runs on every request, so its cost must not grow with the
 * number of rules: prefix and exact rules live in a segment trie (one
 * open-addressing table probe per path segment, with the segment's hash
 * computed once), and regexes are merged into one JIT-compiled
 * alternation per method set (split in chunks where PCRE2's size limit
 * requires it).  Nothing here parses PCRE2 syntax by hand: whether a
 * regex can be merged and which one matched are asked of PCRE2 itself,
 * so the merged alternation answers as each regex does alone.
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
 * look-up of the trie.  apr_hash_t costs an indirect hash call, a
 * chained walk and a key copy per look-up; this table keeps the full
 * hash next to the key, so a probe is one compare of two integers
 * before any memcmp.  Case-insensitive tables (the deny trie) store
 * lowercase keys and hash and compare the request's bytes folded to
 * lowercase, so the path needs no lowercase copy. */
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

struct migate_policy {
    apr_pool_t *pool;
    mg_node *allow;             /* case-sensitive keys                 */
    mg_node *deny;              /* lowercase keys                      */
    apr_array_header_t *allow_re;   /* of mg_regex                     */
    apr_array_header_t *deny_re;    /* of mg_regex                     */
    apr_array_header_t *allow_groups;   /* of mg_regex_group, compiled */
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

const char *migate_rule_check(apr_pool_t *p, migate_rule_kind_e kind,
                              const char *pattern)
{
    const char *s, *err = NULL;

    if (!pattern) {
        return "missing pattern";
    }
    if (kind == MIGATE_RULE_REGEX) {
        pcre2_code_free(re_code(p, pattern, PCRE2_ZERO_TERMINATED, 0,
                                &err));
        return err;
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

/* 1 match, 0 no match, -1 the match could not be run (out of memory,
 * match limit): callers fail closed.  After a match the thread's match
 * block holds the mark of the alternative that matched. */
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

/* Match a chunk: 1 and *rule, the regex that matched; 0; or -1 as
 * re_match, and *rule, a regex that could not be run.  A combined
 * chunk whose match could not be run (the match limit counts the
 * backtracking of every alternative together) runs its regexes one by
 * one, so it answers exactly as they do alone. */
static int chunk_match(const mg_chunk *c, const char *s, size_t len,
                       int *rule)
{
    PCRE2_SPTR mark;
    int rc = re_match(c->code, s, len), i, k, failed = -1;

    if (c->n == 1 || rc == 0) {
        if (rc != 0) {
            *rule = c->members[0].rule;
        }
        return rc;
    }
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
        rc = re_match(c->members[i].code, s, len);
        if (rc == 1) {
            *rule = c->members[i].rule;
            return 1;
        }
        if (rc < 0 && failed < 0) {
            failed = c->members[i].rule;
        }
    }
    if (failed >= 0) {
        *rule = failed;
        return -1;
    }
    return 0;
}

/* Match a group: 1 or -1 (only if nothing matched) and *rule, as
 * chunk_match, or 0. */
static int group_match(const mg_regex_group *g, const char *s, size_t len,
                       int *rule)
{
    int i, rc, r, err = 0;

    for (i = 0; i < g->chunks->nelts; i++) {
        rc = chunk_match(&APR_ARRAY_IDX(g->chunks, i, mg_chunk), s, len,
                         &r);
        if (rc == 1 || (rc < 0 && !err)) {
            *rule = r;
        }
        if (rc == 1) {
            return 1;
        }
        err |= rc < 0;
    }
    return err ? -1 : 0;
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
static void chunk_add(migate_policy *pol, apr_pool_t *tp,
                      mg_regex_group *g, const mg_regex *const *rs, int n,
                      uint32_t opts)
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
        code = re_compile(pol->pool, pat, (size_t)(w - pat),
                          opts | PCRE2_NO_AUTO_CAPTURE, &err);
        if (!code) {
            chunk_add(pol, tp, g, rs, n / 2, opts);
            chunk_add(pol, tp, g, rs + n / 2, n - n / 2, opts);
            return;
        }
    }
    c = apr_array_push(g->chunks);
    c->code = n > 1 ? code : rs[0]->code;
    c->n = n;
    c->members = apr_palloc(pol->pool, sizeof(*c->members) * (size_t)n);
    for (i = 0; i < n; i++) {
        c->members[i].code = rs[i]->code;
        c->members[i].rule = rs[i]->rule;
    }
}

/* Build one group from the regexes of list that have this method set
 * (all of them when all is set): the combinable ones in as few chunks
 * as they fill, then each of the others alone.  (Anchored regexes in
 * chunks of their own, which PCRE2 would run at offset 0 only, cost
 * more: one pcre2_match more per request, while a '^' alternative
 * fails at once at any other offset.) */
static void group_build(migate_policy *pol, mg_regex_group *g,
                        const apr_array_header_t *list,
                        migate_methods_t methods, int all, uint32_t opts)
{
    apr_pool_t *tp;
    const mg_regex **rs;
    pcre2_code *empty = re_code(NULL, "", 0, opts, NULL);
    int i, n = 0, start = 0;
    size_t bytes = 0, header = 0, net;

    if (!empty || pcre2_pattern_info(empty, PCRE2_INFO_SIZE, &header)) {
        header = 0;
    }
    pcre2_code_free(empty);
    apr_pool_create(&tp, pol->pool);
    g->methods = methods;
    g->chunks = apr_array_make(pol->pool, 2, sizeof(mg_chunk));
    rs = apr_palloc(tp, sizeof(*rs) * (size_t)(list->nelts + 1));
    for (i = 0; i < list->nelts; i++) {
        const mg_regex *r = &APR_ARRAY_IDX(list, i, mg_regex);
        if ((all || r->methods == methods) && r->combinable) {
            net = r->size > header ? r->size - header : 0;
            if (n > start && bytes + net > CHUNK_BYTES) {
                chunk_add(pol, tp, g, rs + start, n - start, opts);
                start = n;
                bytes = 0;
            }
            bytes += net;
            rs[n++] = r;
        }
    }
    if (n > start) {
        chunk_add(pol, tp, g, rs + start, n - start, opts);
    }
    for (i = 0; i < list->nelts; i++) {
        const mg_regex *r = &APR_ARRAY_IDX(list, i, mg_regex);
        if ((all || r->methods == methods) && !r->combinable) {
            chunk_add(pol, tp, g, &r, 1, opts);
        }
    }
    apr_pool_destroy(tp);
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
    r->combinable = regex_combinable(pol->pool, pattern, code, opts);
    if (pcre2_pattern_info(code, PCRE2_INFO_SIZE, &r->size) != 0) {
        r->size = CHUNK_BYTES;
    }
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
    if (pol->compiled) {
        return NULL;
    }
    pol->allow_groups = groups_build(pol, pol->allow_re);
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

/* MiGateDenyMatch: the canonical path, the raw target (path '?' query as
 * sent) and the target with path and query percent-decoded once.  A
 * regex that cannot be run denies, and is named: fail closed. */
static int deny_regex(const migate_policy *pol, const char *rp, size_t rlen,
                      const char *q, size_t qlen, const char *canon,
                      size_t clen, int same, apr_pool_t *p, int *rule)
{
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
        rc = subj[i] ? group_match(&pol->deny_group, subj[i], len[i], rule)
                     : 0;
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

/* Run the allow groups whose method set admits the method (admit 1)
 * or does not (admit 0); 1 (and *rule) as soon as one matches. */
static int regex_allow(const migate_policy *pol, const char *method,
                       size_t mlen, const char *canon, size_t clen,
                       int admit, int *rule)
{
    const apr_array_header_t *gs = pol->allow_groups;
    int i;

    for (i = 0; i < gs->nelts; i++) {
        const mg_regex_group *g = &APR_ARRAY_IDX(gs, i, mg_regex_group);
        if (!migate_methods_admit(g->methods, method, mlen) == !admit
            && group_match(g, canon, clen, rule) == 1) {
            return 1;
        }
    }
    return 0;
}

/* Step 6: the allowlist.  A regex that cannot be run does not allow.
 * *rule is the rule that allowed. */
static migate_reason_e allowlist(const migate_policy *pol,
                                 const char *method, size_t mlen,
                                 const char *canon, size_t clen, int *rule)
{
    int matched = 0, other;

    if (trie_match(pol->allow, canon, clen, method, mlen, &matched, 0,
                   rule)) {
        return MIGATE_PASS;
    }
    if (regex_allow(pol, method, mlen, canon, clen, 1, rule)) {
        return MIGATE_PASS;
    }
    *rule = MIGATE_B_DEFAULT_DENY;
    if (!matched && regex_allow(pol, method, mlen, canon, clen, 0, &other)) {
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
