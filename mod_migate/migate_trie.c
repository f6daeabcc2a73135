/*
 * migate_trie.c - the segment trie of a policy (prefix, exact and
 * template rules), and the template syntax of MiGateAllowTemplate.
 * Pure: no httpd headers.
 *
 * Each node holds its children in an open-addressing table keyed by the
 * segment's bytes, so a look-up costs one probe per path segment with
 * the segment hashed in the same pass that finds its end; the number of
 * rules does not enter.  A template's {name} is the node's wildcard
 * edge.  Built at configuration time, read-only afterwards.
 */
#include <string.h>

#include <apr_strings.h>
#include <apr_tables.h>

#include "migate_trie.h"

/* ---------------------------------------------------------------- */
/* The open-addressing table                                         */

/* An open-addressing hash table keyed by byte strings: the per-segment
 * look-up of the trie.  apr_hash_t costs an indirect hash call, a
 * chained walk and a key copy per look-up; this table keeps the full
 * hash next to the key, so a probe is one compare of two integers
 * before any memcmp (docs/performance.md has the two side by side).
 * Case-insensitive tables (the deny trie) store lowercase keys and hash
 * and compare the request's bytes folded to lowercase, so the path
 * needs no lowercase copy. */
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

#define FNV_BASIS 2166136261u
#define FNV_PRIME 16777619u

/* FNV-1a of a key as stored. */
static uint32_t tab_hash(const char *s, size_t len)
{
    const unsigned char *p = (const unsigned char *)s;
    uint32_t h = FNV_BASIS;
    size_t i;

    for (i = 0; i < len; i++) {
        h = (h ^ p[i]) * FNV_PRIME;
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
        if ((unsigned char)a[i] != migate_fold((unsigned char)b[i])) {
            return 0;
        }
    }
    return 1;
}

/* Look up a key whose FNV-1a hash (of its bytes folded when ci) the
 * caller computed while finding the segment's end. */
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

static void tab_put_slot(mg_slot *slots, uint32_t mask, const mg_slot *in)
{
    uint32_t i;

    for (i = in->hash & mask; slots[i].key; i = (i + 1) & mask) {
        ;
    }
    slots[i] = *in;
}

/* Insert a key that is not in the table yet.  The table is kept at most
 * half full, so probes stay short; tables grow only at configuration
 * time. */
static void tab_put(apr_pool_t *p, mg_tab *t, const char *key, size_t len,
                    void *val)
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
    in.hash = tab_hash(in.key, len);
    in.len = (uint32_t)len;
    in.val = val;
    tab_put_slot(t->slots, t->mask, &in);
    t->count++;
    if (len > t->maxlen) {
        t->maxlen = (uint32_t)len;
    }
}

/* ---------------------------------------------------------------- */
/* Nodes                                                             */

/* The rules that end on a node in one way, in the order they were
 * added: each keeps its own method set, so the rule named for a request
 * is one that admits its method. */
typedef struct {
    int n;
    struct {
        migate_methods_t methods;
        int rule;
    } *v;
} mg_hits;

/* Which of a node's fields are in use, tested in one load on the way
 * down. */
#define F_ABOVE  0x01           /* prefix or below: a rule for more    */
#define F_VAR    0x02           /* a wildcard child                    */

typedef struct mg_node mg_node;
struct mg_node {
    mg_tab kids;                /* segment bytes -> mg_node*           */
    mg_node *var;               /* any non-empty segment ({name})      */
    unsigned flags;             /* F_*                                 */
    mg_hits exact;              /* this path exactly                   */
    mg_hits prefix;             /* "/a/b": this path and all below     */
    mg_hits below;              /* "/a/b/": only what lies below       */
};

struct migate_trie {
    mg_node root;
};

migate_trie *migate_trie_make(apr_pool_t *p)
{
    return apr_pcalloc(p, sizeof(migate_trie));
}

static mg_node *node_child(apr_pool_t *p, mg_node *n, const char *seg,
                           size_t len)
{
    mg_node *c = tab_get_h(&n->kids, seg, len, tab_hash(seg, len), 0);

    if (!c) {
        c = apr_pcalloc(p, sizeof(mg_node));
        tab_put(p, &n->kids, seg, len, c);
    }
    return c;
}

static void hits_add(apr_pool_t *p, mg_hits *h, migate_methods_t m,
                     int rule)
{
    void *v = apr_palloc(p, sizeof(*h->v) * (size_t)(h->n + 1));

    if (h->n) {
        memcpy(v, h->v, sizeof(*h->v) * (size_t)h->n);
    }
    h->v = v;
    h->v[h->n].methods = m;
    h->v[h->n].rule = rule;
    h->n++;
}

/* ---------------------------------------------------------------- */
/* Prefix and exact rules                                            */

/* A trailing '/' is an empty last segment: for an exact rule it is a
 * child "" (the canonical path keeps it), for a prefix rule it means
 * "below this node" only. */
void migate_trie_add(apr_pool_t *p, migate_trie *t, const char *pat,
                     int exact, migate_methods_t m, int rule)
{
    mg_node *n = &t->root;
    const char *s = pat + 1;

    for (;;) {
        const char *e = strchr(s, '/');
        size_t len = e ? (size_t)(e - s) : strlen(s);

        if (!*s && !exact) {
            hits_add(p, &n->below, m, rule);
            n->flags |= F_ABOVE;
            return;
        }
        n = node_child(p, n, s, len);
        if (!e) {
            hits_add(p, exact ? &n->exact : &n->prefix, m, rule);
            n->flags |= exact ? 0 : F_ABOVE;
            return;
        }
        s = e + 1;
    }
}

/* ---------------------------------------------------------------- */
/* Templates                                                         */

/* One segment of a template: a literal or a {name}. */
typedef struct {
    const char *s;
    size_t len;
    int var;
} mg_seg;

/* NULL, or why a literal segment cannot be part of a template. */
static const char *literal_check(apr_pool_t *p, const char *t,
                                 const char *s, size_t len)
{
    size_t i;

    for (i = 0; i < len; i++) {
        if (s[i] == '*') {
            return apr_psprintf(p, "template '%s' contains '*': Synapse's "
                                "'*' has no template rule, write the "
                                "paths as a regex (MiGateAllowMatch)", t);
        }
        if (s[i] == '%' || s[i] == '#' || s[i] == ';' || s[i] == '\\') {
            return apr_psprintf(p, "template '%s' contains '%c': rules "
                                "match the decoded canonical path, write "
                                "it without escapes or parameters", t,
                                s[i]);
        }
        if (s[i] == '{' || s[i] == '}') {
            return apr_psprintf(p, "template '%s': segment '%.*s' is "
                                "neither a literal nor exactly {name}; "
                                "a literal and a variable in one segment "
                                "need a regex (MiGateAllowMatch)", t,
                                (int)len, s);
        }
    }
    if ((len == 1 && s[0] == '.') || (len == 2 && s[0] == '.'
                                      && s[1] == '.')) {
        return apr_psprintf(p, "template '%s' contains a '.' or '..' "
                            "segment: the canonical path never does", t);
    }
    return NULL;
}

/* NULL, or why "{...}" is not a {name} a template rule can hold. */
static const char *var_check(apr_pool_t *p, const char *t, const char *s,
                             size_t len)
{
    size_t i;

    if (len == 0) {
        return apr_psprintf(p, "template '%s' contains an empty {}", t);
    }
    if (strchr("+#./;?&", s[0])) {
        return apr_psprintf(p, "template '%s': {%.*s} is Synapse's '%c' "
                            "expansion, which a template rule does not "
                            "take (it spans or adds to segments): use a "
                            "regex (MiGateAllowMatch)", t, (int)len, s,
                            s[0]);
    }
    for (i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == ',' || c == ':') {
            return apr_psprintf(p, "template '%s': {%.*s} is not one "
                                "plain variable (a list or a prefix "
                                "modifier): use {name}, or a regex "
                                "(MiGateAllowMatch)", t, (int)len, s);
        }
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')
              || (c >= '0' && c <= '9') || c == '_' || c == '-'
              || c == '.')) {
            return apr_psprintf(p, "template '%s': variable name '%.*s' "
                                "may contain only letters, digits, '_', "
                                "'-' and '.'", t, (int)len, s);
        }
    }
    return NULL;
}

/*
 * Split a template into segments.  The path part ends at the first '?'
 * outside braces; without one, a single trailing '/' is dropped (Synapse
 * drops it too, and accepts it back on any request: Node.matchAll takes
 * one '/' left over at the end).  *query says whether there was a '?'.
 * NULL, or why the template is refused.
 */
static const char *tmpl_parse(apr_pool_t *p, const char *t,
                              apr_array_header_t *segs, int *query)
{
    const char *s, *end, *err;
    int depth = 0;

    if (!t || t[0] != '/') {
        return apr_psprintf(p, "template '%s' does not start with '/'",
                            t ? t : "");
    }
    for (end = t; *end; end++) {
        unsigned char c = (unsigned char)*end;
        if (c < 0x20 || c == 0x7f) {
            return "template contains a control character";
        }
        depth = c == '{' ? 1 : c == '}' ? 0 : depth;
        if (c == '?' && !depth) {
            break;
        }
    }
    *query = *end == '?';
    for (s = end; *s; s++) {
        if ((unsigned char)*s < 0x20 || *s == 0x7f) {
            return "template contains a control character";
        }
    }
    if (!*query && end - t > 1 && end[-1] == '/') {
        end--;
    }
    for (s = t + 1; ; ) {
        const char *e = memchr(s, '/', (size_t)(end - s));
        const char *se = e ? e : end;
        size_t len = (size_t)(se - s);
        mg_seg *g = apr_array_push(segs);

        g->s = s;
        g->len = len;
        g->var = len >= 2 && s[0] == '{' && s[len - 1] == '}'
                 && !memchr(s + 1, '{', len - 2)
                 && !memchr(s + 1, '}', len - 2);
        err = g->var ? var_check(p, t, s + 1, len - 2)
                     : literal_check(p, t, s, len);
        if (err) {
            return err;
        }
        if (len == 0 && (e || (end - t > 1 && !*query))) {
            return apr_psprintf(p, "template '%s' contains '//': the "
                                "canonical path never does", t);
        }
        if (!e) {
            return NULL;
        }
        s = e + 1;
    }
}

const char *migate_template_check(apr_pool_t *p, const char *tmpl)
{
    int query;

    return tmpl_parse(p, tmpl, apr_array_make(p, 8, sizeof(mg_seg)),
                      &query);
}

/* Add one exact path of segments ending in an extra "" when slash. */
static void tmpl_insert(apr_pool_t *p, mg_node *n, const mg_seg *g, int k,
                        int slash, migate_methods_t m, int rule)
{
    int i;

    for (i = 0; i < k; i++) {
        if (!g[i].var) {
            n = node_child(p, n, g[i].s, g[i].len);
        }
        else {
            if (!n->var) {
                n->var = apr_pcalloc(p, sizeof(mg_node));
                n->flags |= F_VAR;
            }
            n = n->var;
        }
    }
    if (slash) {
        n = node_child(p, n, "", 0);
    }
    hits_add(p, &n->exact, m, rule);
}

/*
 * The exact paths a template stands for, as migate-policy's regex for
 * the same uri-template matches them (its template_alternatives): each
 * {name} one non-empty segment, a last {name} also an empty one ("[^/]*"
 * where the regex has "[^/]+" before a '/'), and, without a query part,
 * the path with one more '/' (".../?").  A template that ends in '/'
 * before its '?' ("/a/?x") already names its last, empty segment.
 */
void migate_trie_add_template(apr_pool_t *p, migate_trie *t,
                              const char *tmpl, migate_methods_t m,
                              int rule)
{
    apr_array_header_t *segs = apr_array_make(p, 8, sizeof(mg_seg));
    mg_seg *g, empty = { "", 0, 0 };
    int query, n, slash;

    if (tmpl_parse(p, tmpl, segs, &query)) {
        return;
    }
    g = (mg_seg *)segs->elts;
    n = segs->nelts;
    /* "/" alone names the empty segment already: no "//" */
    for (slash = 0; slash <= (!query && g[n - 1].len > 0); slash++) {
        tmpl_insert(p, &t->root, g, n, slash, m, rule);
        if (g[n - 1].var) {
            mg_seg last = g[n - 1];
            g[n - 1] = empty;
            tmpl_insert(p, &t->root, g, n, slash, m, rule);
            g[n - 1] = last;
        }
    }
}

/* ---------------------------------------------------------------- */
/* Matching                                                          */

typedef struct {
    const char *end;            /* of the path                         */
    const migate_methods_t *mbits;  /* NULL: any rule that matches
                                   counts                              */
    int *matched;
    int *rule;
} mg_walk;

/* 1 (and *rule) if one of the rules admits the method. */
static inline __attribute__((always_inline)) int take(const mg_hits *h, const mg_walk *w)
{
    int i;

    for (i = 0; i < h->n; i++) {
        *w->matched = 1;
        if (!w->mbits
            || migate_methods_admit_bits(h->v[i].methods, *w->mbits)) {
            *w->rule = h->v[i].rule;
            return 1;
        }
    }
    return 0;
}

/* Walk from node n with s at the start of the next segment.  Where a
 * node has both a literal child and a wildcard child for a segment, the
 * literal one is tried first (the more specific rule names the request)
 * by a recursive call, then the walk goes on in the wildcard child: each
 * node is visited at most once.  Inlined into one walker per case
 * sense, so that ci is a constant in the per-byte loop. */
static inline __attribute__((always_inline))
int walk(const mg_node *n, const char *s, const mg_walk *w, int ci,
         int (*self)(const mg_node *, const char *, const mg_walk *))
{
    const char *end = w->end;

    for (;;) {
        const char *e;
        const mg_node *c, *v;
        uint32_t h;

        /* more of the path follows this node */
        if ((n->flags & F_ABOVE)
            && ((n->below.n && take(&n->below, w))
                || (n->prefix.n && take(&n->prefix, w)))) {
            return 1;
        }
        if (!n->kids.count && !(n->flags & F_VAR)) {
            return 0;
        }
        /* find the segment's end and hash it in the same pass */
        h = FNV_BASIS;
        if (ci) {
            for (e = s; e < end && *e != '/'; e++) {
                h = (h ^ migate_fold((unsigned char)*e)) * FNV_PRIME;
            }
        }
        else {
            for (e = s; e < end && *e != '/'; e++) {
                h = (h ^ (unsigned char)*e) * FNV_PRIME;
            }
        }
        c = tab_get_h(&n->kids, s, (size_t)(e - s), h, ci);
        if (!(n->flags & F_VAR)) {
            /* literal edges only: no choice to make */
            if (!c) {
                return 0;
            }
            if (e == end) {
                return (c->prefix.n && take(&c->prefix, w))
                    || (c->exact.n && take(&c->exact, w));
            }
            n = c;
            s = e + 1;
            continue;
        }
        v = e > s ? n->var : NULL;
        if (e == end) {
            return (c && ((c->prefix.n && take(&c->prefix, w))
                          || (c->exact.n && take(&c->exact, w))))
                || (v && v->exact.n && take(&v->exact, w));
        }
        if (c && v && self(c, e + 1, w)) {
            return 1;
        }
        n = v ? v : c;
        if (!n) {
            return 0;
        }
        s = e + 1;
    }
}

static int walk_cs(const mg_node *n, const char *s, const mg_walk *w)
{
    return walk(n, s, w, 0, walk_cs);
}

static int walk_ci(const mg_node *n, const char *s, const mg_walk *w)
{
    return walk(n, s, w, 1, walk_ci);
}

int migate_trie_match(const migate_trie *t, const char *path, size_t len,
                      const migate_methods_t *mbits, int ci, int *matched,
                      int *rule)
{
    mg_walk w;

    if (len == 0 || path[0] != '/') {
        return 0;
    }
    w.end = path + len;
    w.mbits = mbits;
    w.matched = matched;
    w.rule = rule;
    return ci ? walk_ci(&t->root, path + 1, &w)
              : walk_cs(&t->root, path + 1, &w);
}
