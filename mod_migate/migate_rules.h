/*
 * migate_rules.h - the compiled policy of one gated server and the
 * decision it makes on one request.
 *
 * A policy is built once at configuration time (migate_policy_make, the
 * _allow, _deny and _service calls, then migate_policy_compile) and is
 * read-only afterwards, so every thread of every child shares it.
 * Deciding allocates nothing but small per-request buffers (canonical
 * path, decoded query, the raw target for deny regexes when it is not
 * one string already) from the pool it is given.
 */
#ifndef MIGATE_RULES_H
#define MIGATE_RULES_H

#include <apr_pools.h>
#include "migate_core.h"
#include "migate_meta.h"

typedef enum {
    MIGATE_RULE_PREFIX = 0,   /* segment-aware prefix ("/api", "/api/")  */
    MIGATE_RULE_EXACT,        /* one exact path                          */
    MIGATE_RULE_REGEX,        /* PCRE2 regex over the canonical path     */
    MIGATE_RULE_TEMPLATE      /* MI's uri-template: /orders/{id} (allow) */
} migate_rule_kind_e;

typedef struct migate_policy migate_policy;

/* An empty policy: nothing allowed, only the built-in denies. */
migate_policy *migate_policy_make(apr_pool_t *p);

/*
 * Check one rule's pattern without adding it (used by the directive
 * setters so that "apache2 -t" names the directive and the reason).
 * Returns NULL or an error text allocated from p: a path that does not
 * start with '/', PCRE2's message with the offset of the error, or what
 * a template holds that a template rule does not take (SPEC
 * MiGateAllowTemplate).
 */
const char *migate_rule_check(apr_pool_t *p, migate_rule_kind_e kind,
                              const char *pattern);

/* Service names: 1 to 128 of [A-Za-z0-9_-] (no '.': MI reads it as the
 * start of an endpoint name); a name that contains "admin" in any case is
 * refused.  NULL or an error text. */
const char *migate_service_name_check(apr_pool_t *p, const char *name);

/* Add rules.  Each returns NULL or an error text from the policy pool.
 * Allow rules match case-sensitively, deny rules case-insensitively;
 * a template is an allow rule only.
 * where names the rule in refusal lines and counters: "file:line" of
 * its directive. */
const char *migate_policy_allow(migate_policy *pol, migate_rule_kind_e kind,
                                const char *pattern,
                                migate_methods_t methods, const char *where);
const char *migate_policy_deny(migate_policy *pol, migate_rule_kind_e kind,
                               const char *pattern, const char *where);
const char *migate_policy_service(migate_policy *pol, const char *name,
                                  const char *where);

/* What decides a request, as a rule index: the built-in checks come
 * first, in this order, then the built-in denies ("builtin:/management",
 * ...) and the operator's rules in the order they were added. */
typedef enum {
    MIGATE_B_METHOD = 0,        /* "builtin:method": TRACE, TRACK, CONNECT */
    MIGATE_B_CANONICAL_PATH,    /* "builtin:canonical-path": the 400s      */
    MIGATE_B_SERVICES,          /* "builtin:services"                      */
    MIGATE_B_SERVICE_METADATA,  /* "builtin:service-metadata"              */
    MIGATE_B_DEFAULT_DENY,      /* "builtin:default-deny": no rule allows  */
    MIGATE_B_HEADER,            /* "builtin:header": header checks         */
    MIGATE_B_PROTOCOL,          /* "builtin:protocol": httpd's core refused */
    MIGATE_B_BACKEND_PLAIN,     /* "builtin:backend-plain"                 */
    MIGATE_B_BACKEND_TLS,       /* "builtin:backend-tls"                   */
    MIGATE_B__COUNT
} migate_builtin_e;

/* "builtin:..." of a migate_builtin_e. */
const char *migate_builtin_name(migate_builtin_e b);

/* How many rule indexes the policy has, and the name of one ("file:line"
 * or "builtin:..."), NULL when out of range. */
int migate_policy_rule_count(const migate_policy *pol);
const char *migate_policy_rule_name(const migate_policy *pol, int rule);

/* The index of the first operator's rule (after the built-in checks
 * and denies): each migate_policy_allow, _deny and _service call that
 * succeeds names one index, in call order (a service named twice too,
 * though only the first can decide). */
int migate_policy_first_rule(const migate_policy *pol);

/* The paths denied whatever the configuration, any case (SPEC "Always
 * enforced"): "/services" (judged as MI sees it, builtin:services), then
 * the hard denies of "builtin:/management", ...  NULL past the end. */
const char *migate_builtin_deny_path(int i);

/* Metadata queries of the given kinds (migate_meta.h; MIGATE_META_ALL
 * for On, 0 for Off) pass on exactly /services/<opened name> (GET,
 * HEAD, OPTIONS); every other metadata query is refused. */
void migate_policy_set_metadata_kinds(migate_policy *pol, unsigned kinds);

/* Merge the regexes (the trie is built as rules are added).  Call once,
 * after the last add and before deciding (an uncompiled policy refuses
 * everything); a second call does nothing.  Every rule was checked when
 * it was added, so this cannot fail. */
void migate_policy_compile(migate_policy *pol);

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
    int rule;                 /* what decided (migate_policy_rule_name):
                                 the refusing check or rule (a deny
                                 regex that matched or could not be
                                 run), or the prefix, exact, template,
                                 regex or service rule that allowed     */
    const char *detail;       /* NULL, or what the refusal line adds: a
                                 regex rule that PCRE2 could not run
                                 within its limits                      */
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
 * The target mod_proxy will send to MI (the URL in r->filename after
 * mod_proxy's fixup): its path must be canonical as sent
 * (migate_sent_path_check; control characters and bad escapes as for a
 * request), and the always-enforced checks (services, metadata, hard
 * denies) must pass on it.  The allowlist is not run: it judged the
 * client's path, which mod_proxy may have mapped.
 */
migate_reason_e migate_policy_check_sent(const migate_policy *pol,
                                         const migate_request_t *rq,
                                         apr_pool_t *p, migate_verdict_t *v);

#endif /* MIGATE_RULES_H */
