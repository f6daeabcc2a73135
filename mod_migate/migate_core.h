/*
 * migate_core.h - vocabulary shared by the pure core of mod_migate.
 *
 * Everything declared under mod_migate/migate_*.h is plain C over APR,
 * PCRE2 and OpenSSL values: no httpd headers, no logging.  Functions
 * return a verdict (a migate_reason_e) and the glue in mod_migate.c /
 * migate_request.c turns it into a status and one log line.
 */
#ifndef MIGATE_CORE_H
#define MIGATE_CORE_H

#include <stddef.h>
#include <stdint.h>

/* Reason codes, as printed in "blocked reason=<code>" (SPEC, "Request IDs
 * and logs").  MIGATE_PASS is the only verdict that lets a request on. */
typedef enum {
    MIGATE_PASS = 0,
    MIGATE_R_NOT_ALLOWED,      /* no allow rule matched              */
    MIGATE_R_METHOD,           /* method refused (TRACE, or not listed) */
    MIGATE_R_HARD_DENY,        /* built-in or MiGateDeny* rule         */
    MIGATE_R_SERVICES,         /* MI would dispatch to a service       */
    MIGATE_R_SERVICE_METADATA, /* ?wsdl, ?swagger.json, ...            */
    MIGATE_R_ENCODING,         /* ambiguous or invalid encoding: 400   */
    MIGATE_R_CONTROL_CHAR,     /* log-forging characters: 400          */
    MIGATE_R_DOT_SEGMENT,      /* dot segment above root or hidden: 400 */
    MIGATE_R_HEADER,           /* bad header value: 400                */
    MIGATE_R_BACKEND_PLAIN,    /* proxy target is plain http           */
    MIGATE_R_BACKEND_TLS,      /* backend TLS session refused          */
    MIGATE_R_PROTOCOL,         /* httpd's core refused it first        */
    MIGATE_R__COUNT
} migate_reason_e;

/* "not-allowed", "method", ... ; "pass" for MIGATE_PASS. */
const char *migate_reason_name(migate_reason_e r);

/* 1 when the reason means the request itself is malformed or ambiguous
 * (answered 400 whatever MiGateDenyStatus says). */
int migate_reason_is_bad_request(migate_reason_e r);

/* Method tokens the rule language knows.  A method list in a rule is a
 * bit set over this table; an unknown token is a configuration error. */
typedef uint32_t migate_methods_t;
#define MIGATE_METHODS_ANY ((migate_methods_t)0)   /* no list given */

/* Index of a method token in the table (exact, case-sensitive, as HTTP
 * methods are), or -1. */
int migate_method_index(const char *token, size_t len);

/* The token at an index of the table (bit index of a method set), or
 * NULL past its end. */
const char *migate_method_name(int index);

/* 1 for TRACE, TRACK and CONNECT in any case: never passed, never
 * listable. */
int migate_method_forbidden(const char *token, size_t len);

/* Parse "GET,HEAD,POST" into a set.  Returns NULL on success or a static
 * error text ("unknown method", "TRACE is never allowed", ...); *bad_at
 * and *bad_len point at the offending token. */
const char *migate_methods_parse(const char *list, migate_methods_t *out,
                                 const char **bad_at, size_t *bad_len);

/* 1 when the method may pass under a rule with this method set.  A set
 * that names GET also admits HEAD, as <Limit GET> does in httpd. */
int migate_methods_admit(migate_methods_t set, const char *method,
                         size_t len);

/* What migate_methods_admit asks of a set, computed once per request:
 * the method's own bit, and GET's for HEAD; 0 for a method the table
 * does not know (only a set that names no method admits it). */
migate_methods_t migate_method_bits(const char *method, size_t len);

/* migate_methods_admit for a method that is not forbidden, by its
 * migate_method_bits. */
static inline int migate_methods_admit_bits(migate_methods_t set,
                                            migate_methods_t bits)
{
    return set == MIGATE_METHODS_ANY || (set & bits) != 0;
}

/*
 * Whether a mod_proxy target URL reaches MI over TLS: https://, wss://,
 * h2://, and balancer:// (judged by its members), also after
 * "unix:/path|".  Every other scheme is not: the plain ones mod_proxy
 * speaks (http, ws, h2c, ajp, fcgi, scgi, uwsgi, ftp) and any unknown
 * one.  One list for the configuration test and the run-time check.
 */
int migate_url_is_tls(const char *url);

/* Branch-free ASCII lowercase of one byte, for request bytes that are
 * compared or hashed folded rather than copied lowercase: only 'A'-'Z'
 * change, so fold(c) == 's' exactly when c is 's' or 'S'. */
static inline unsigned migate_fold(unsigned c)
{
    return c | ((c - 'A' < 26u) << 5);
}

/* Whether n bytes of s equal the lowercase ASCII text low, in any case
 * (inline: it runs on every request, where strncasecmp's locale tables
 * cost more than the compare). */
static inline int migate_ci_eq(const char *s, const char *low, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++) {
        if (migate_fold((unsigned char)s[i]) != (unsigned char)low[i]) {
            return 0;
        }
    }
    return 1;
}

#endif /* MIGATE_CORE_H */
