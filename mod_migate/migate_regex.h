/*
 * migate_regex.h - the regex rules of a policy (MiGateAllowMatch,
 * MiGateDenyMatch): compiled, grouped by method set, merged where that
 * keeps each regex's meaning, and run under PCRE2's match and depth
 * limits.  Part of the policy (migate_rules.c).
 */
#ifndef MIGATE_REGEX_H
#define MIGATE_REGEX_H

#include <apr_pools.h>
#include "migate_core.h"

/* PCRE2's limits on one pcre2_match: about a tenth of a millisecond of
 * backtracking with JIT on a 2020s core, half a millisecond with the
 * interpreter (docs/performance.md).  A path-shaped regex needs a few
 * hundred steps at most; a catastrophic one (^(a+)+$ on a long run of
 * a's) hits the limit, and the request is refused. */
#define MIGATE_REGEX_MATCH_LIMIT 20000
#define MIGATE_REGEX_DEPTH_LIMIT 5000

typedef struct migate_regex_set migate_regex_set;

/* An empty set; caseless for deny rules. */
migate_regex_set *migate_regex_set_make(apr_pool_t *p, int caseless);

/* NULL, or PCRE2's message with the offset of the error, from p. */
const char *migate_regex_check(apr_pool_t *p, const char *pattern);

/* Add a regex (NULL, or the error text); rule names it. */
const char *migate_regex_add(migate_regex_set *rs, const char *pattern,
                             migate_methods_t methods, int rule);

/* Merge the regexes into what each request runs; once, after the last
 * add. */
void migate_regex_set_compile(migate_regex_set *rs);

/*
 * Run the regexes over s: with mbits NULL all of them, else those whose
 * method set admits the method (*mbits, as migate_method_bits; admit 1)
 * or does not (admit 0).  1 and *rule, the first that matched; 0; or -1
 * when none matched and one could not be run (PCRE2's match or depth
 * limit, JIT stack, memory): *rule names it and *error is PCRE2's code.
 * Callers fail closed.
 */
int migate_regex_match(const migate_regex_set *rs, const char *s,
                       size_t len, const migate_methods_t *mbits, int admit,
                       int *rule, int *error);

/* PCRE2's text for an error code of migate_regex_match, from p. */
const char *migate_regex_error(apr_pool_t *p, int error);

#endif /* MIGATE_REGEX_H */
