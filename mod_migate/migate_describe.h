/*
 * migate_describe.h - one description of a gated server's effective
 * policy, in the words both the -D MIGATE_DUMP output
 * (migate_configtest.c) and the migate-status page (migate_status.c)
 * use: each word comes from the table the gate decides with.
 */
#ifndef MIGATE_DESCRIBE_H
#define MIGATE_DESCRIBE_H

#include "migate_glue.h"

/* "enforce" or "report"; "strict", "audit" or "off". */
const char *migate_describe_mode(const migate_srv_conf *sc);
const char *migate_describe_tls(const migate_srv_conf *sc);

/* Lists from the gate's tables, each item between pre and post, items
 * separated by sep: the kinds of MiGateServiceMetadata allowed ("" when
 * Off), the always-enforced denies ("/services", "/management", ...)
 * and the methods never passed (TRACE, TRACK, CONNECT). */
const char *migate_describe_metadata(apr_pool_t *p,
                                     const migate_srv_conf *sc,
                                     const char *sep, const char *pre,
                                     const char *post);
const char *migate_describe_builtin_denies(apr_pool_t *p, const char *sep,
                                           const char *pre,
                                           const char *post);
const char *migate_describe_never_methods(apr_pool_t *p, const char *sep,
                                          const char *pre,
                                          const char *post);

/* One operator's rule of a server's policy as both list it. */
typedef struct {
    const migate_rule_spec *spec;
    int deny;
    const char *text;           /* migate_rule_text                     */
    int from_main;              /* inherited from the main server       */
} migate_rule_line;

/* The allow rules and opened services (in configuration order), then
 * the deny rules (the main server's, then the server's own), of gated
 * server vs, whose main server is main_s: migate_rule_line. */
apr_array_header_t *migate_describe_rules(apr_pool_t *p,
                                          const server_rec *main_s,
                                          const server_rec *vs);

/* A rule's kind ("prefix", "exact", "regex") and its directive
 * ("MiGateAllowExact": the first word of migate_rule_text). */
const char *migate_describe_kind(const migate_rule_spec *rs);
const char *migate_describe_directive(apr_pool_t *p,
                                      const migate_rule_spec *rs, int deny);

#endif /* MIGATE_DESCRIBE_H */
