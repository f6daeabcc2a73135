/*
 * migate_rules.h - the compiled policy of one gated server and the
 * decision it makes on one request.
 *
 * A policy is built once at configuration time (migate_policy_make, the
 * _add calls, then migate_policy_compile) and is read-only afterwards, so
 * every thread of every child shares it.  Deciding allocates nothing but
 * small per-request buffers (canonical path, decoded query, lowercase
 * path, raw target for deny regexes) from the pool it is given.
 */
#ifndef MIGATE_RULES_H
#define MIGATE_RULES_H

#include <apr_pools.h>
#include "migate_core.h"

typedef enum {
    MIGATE_RULE_PREFIX = 0,   /* segment-aware prefix ("/api", "/api/")  */
    MIGATE_RULE_EXACT,        /* one exact path                          */
    MIGATE_RULE_REGEX         /* PCRE2 regex over the canonical path     */
} migate_rule_kind_e;

typedef struct migate_policy migate_policy;

/* An empty policy: nothing allowed, only the built-in denies. */
migate_policy *migate_policy_make(apr_pool_t *p);

/*
 * Check one rule's pattern without adding it (used by the directive
 * setters so that "apache2 -t" names the directive and the reason).
 * Returns NULL or an error text allocated from p: a path that does not
 * start with '/', or PCRE2's message with the offset of the error.
 */
const char *migate_rule_check(apr_pool_t *p, migate_rule_kind_e kind,
                              const char *pattern);

/* Service names: 1 to 128 of [A-Za-z0-9_-] (no '.': MI reads it as the
 * start of an endpoint name); a name that contains "admin" in any case is
 * refused.  NULL or an error text. */
const char *migate_service_name_check(apr_pool_t *p, const char *name);

/* Add rules.  Each returns NULL or an error text from the policy pool.
 * Allow rules match case-sensitively, deny rules case-insensitively. */
const char *migate_policy_allow(migate_policy *pol, migate_rule_kind_e kind,
                                const char *pattern,
                                migate_methods_t methods);
const char *migate_policy_deny(migate_policy *pol, migate_rule_kind_e kind,
                               const char *pattern);
const char *migate_policy_service(migate_policy *pol, const char *name);

/* MiGateServiceMetadata On: metadata queries pass on exactly
 * /services/<opened name> (GET, HEAD, OPTIONS). */
void migate_policy_set_metadata(migate_policy *pol, int on);

/* Build the lookup structures (trie, combined JIT regexes).  Call once,
 * after the last add.  NULL or an error text. */
const char *migate_policy_compile(migate_policy *pol);

/* Counts, for start-up warnings and the status page. */
int migate_policy_allow_count(const migate_policy *pol);

/* The request as the gate sees it: raw, undecoded. */
typedef struct {
    const char *method;  size_t method_len;
    const char *path;    size_t path_len;    /* raw path, no query        */
    const char *query;   size_t query_len;   /* raw query w/o '?', or NULL */
} migate_request_t;

typedef struct {
    migate_reason_e reason;   /* MIGATE_PASS or why it is refused        */
    int reportable;           /* 1 if report mode may pass it (an allow
                                 rule miss: not-allowed / method)       */
    const char *canon;        /* canonical path, or NULL if refused
                                 before canonicalising                  */
    size_t canon_len;
} migate_verdict_t;

/*
 * Decide one request (SPEC "Always enforced" and the directive table):
 * forbidden methods, canonical path, services as MI sees them, metadata
 * queries, built-in and configured denies, then the allowlist.
 */
migate_reason_e migate_policy_decide(const migate_policy *pol,
                                     const migate_request_t *rq,
                                     apr_pool_t *p, migate_verdict_t *v);

/*
 * The always-enforced part alone (services, metadata, hard denies) for
 * the exact target mod_proxy will send to MI, taken from r->filename
 * after mod_proxy's fixup: the last place to see what MI receives.
 */
migate_reason_e migate_policy_check_backend(const migate_policy *pol,
                                            const migate_request_t *rq,
                                            apr_pool_t *p);

#endif /* MIGATE_RULES_H */
