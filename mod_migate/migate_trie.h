/*
 * migate_trie.h - the segment trie of a policy: prefix, exact and
 * template rules, looked up one path segment at a time.  Part of the
 * policy (migate_rules.c), not used on its own.
 *
 * A look-up costs one table probe per segment of the path, whatever the
 * number of rules.  Templates add one wildcard edge per node (any
 * non-empty segment); a walk tries a node's literal child before its
 * wildcard child and never tries a node twice (a node's depth fixes the
 * segment it is tried against), so what it costs depends on the path's
 * depth and on how many templates could match that one path, not on how
 * many templates there are.
 */
#ifndef MIGATE_TRIE_H
#define MIGATE_TRIE_H

#include <apr_pools.h>
#include "migate_core.h"

typedef struct migate_trie migate_trie;

migate_trie *migate_trie_make(apr_pool_t *p);

/* Add a checked path rule (migate_rule_check): exact, or a segment-aware
 * prefix ("/a" covers "/a" and "/a/...", "/a/" only what lies below).
 * rule names it; of several rules that end on one node each keeps its
 * own method set and name, and the first that admits a method decides.
 * A case-insensitive trie is given lowercase patterns. */
void migate_trie_add(apr_pool_t *p, migate_trie *t, const char *pattern,
                     int exact, migate_methods_t methods, int rule);

/* Add a template that migate_template_check accepted (SPEC
 * MiGateAllowTemplate): the exact paths it stands for, with a wildcard
 * edge for each {name}. */
void migate_trie_add_template(apr_pool_t *p, migate_trie *t,
                              const char *tmpl, migate_methods_t methods,
                              int rule);

/* NULL, or why a MiGateAllowTemplate argument is refused (from p). */
const char *migate_template_check(apr_pool_t *p, const char *tmpl);

/*
 * Walk a canonical path.  1 when a rule matches it and admits the method
 * (*mbits, migate_method_bits of a method that is not forbidden; mbits
 * NULL: any rule that matches counts), with *rule its name; *matched is
 * set when any rule matched the path at all (whatever the method).  ci:
 * the trie holds lowercase keys and the path is compared folded to
 * lowercase, without a copy.
 */
int migate_trie_match(const migate_trie *t, const char *path, size_t len,
                      const migate_methods_t *mbits, int ci, int *matched,
                      int *rule);

#endif /* MIGATE_TRIE_H */
