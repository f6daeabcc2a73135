/*
 * migate_hdr.h - checks on header values and peers, and escaping for log
 * lines.  Pure: no httpd headers.
 */
#ifndef MIGATE_HDR_H
#define MIGATE_HDR_H

#include <stddef.h>
#include <apr_pools.h>
#include <apr_network_io.h>

/* 1 when a header value holds no control character other than HTAB
 * (and no DEL), and no UTF-8 encoded C1 control (U+0080-U+009F), line
 * separator (U+2028, U+2029) or bidi control (U+202A-U+202E,
 * U+2066-U+2069). */
int migate_hdr_value_ok(const char *v, size_t len);

/* 1 when a Host value is a valid host name (RFC 1123 labels, one
 * trailing dot allowed), an IPv4 literal or a bracketed IPv6 literal,
 * with an optional :port (1-65535).  A name whose last label is all
 * digits must be a dotted quad. */
int migate_host_ok(const char *v, size_t len);

/* 1 when v is a comma-separated list of IPv4/IPv6 addresses, optional
 * spaces/tabs around each element, no empty element; at most 64
 * elements and 2048 bytes. */
int migate_xff_ok(const char *v, size_t len);

/* What a trusted proxy may forward (each at most 2048 bytes and 64
 * comma-separated elements, blanks around elements allowed):
 *   migate_real_ip_ok      one IPv4/IPv6 address (X-Real-IP);
 *   migate_host_list_ok    host names or IP literals with an optional
 *                          port, as migate_host_ok (X-Forwarded-Host,
 *                          X-Forwarded-Server);
 *   migate_proto_list_ok   "http" or "https", any case
 *                          (X-Forwarded-Proto);
 *   migate_forwarded_ok    RFC 7239 elements of ';'-separated
 *                          token=value pairs, the value a token of
 *                          address characters or such a quoted string
 *                          ("[2001:db8::1]:443"), never an escape, '|'
 *                          or a space (Forwarded). */
int migate_real_ip_ok(const char *v, size_t len);
int migate_host_list_ok(const char *v, size_t len);
int migate_proto_list_ok(const char *v, size_t len);
int migate_forwarded_ok(const char *v, size_t len);

/* 1 when v is a comma-separated list of port numbers (1-65535), blanks
 * around elements allowed (X-Forwarded-Port). */
int migate_port_list_ok(const char *v, size_t len);

/* 1 when v is a W3C Trace Context traceparent of version 00:
 * "00-<32 lowercase hex>-<16 lowercase hex>-<2 lowercase hex>", neither
 * id all zeros.  A later version is not accepted (none is defined, and
 * what MI's tracer makes of one is not known). */
int migate_traceparent_ok(const char *v, size_t len);

/* 1 when v is a W3C Trace Context tracestate: at most 32 comma-separated
 * key=value list members (empty members and blanks around them
 * allowed), keys and values as the recommendation defines them, at most
 * 512 bytes. */
int migate_tracestate_ok(const char *v, size_t len);

/* Write "00-<trace id>-<parent id>-01" into out[56]: the trace id is the
 * 32 hex digits of the UUID id (lowercase, without its hyphens), the
 * parent id the 16 hex digits of rnd[8] (a zero parent id, which W3C
 * forbids, becomes ...01).  Returns 0, or -1 when id is no UUID. */
#define MIGATE_TRACEPARENT_LEN 55
int migate_traceparent_make(const char *id, const unsigned char rnd[8],
                            char out[MIGATE_TRACEPARENT_LEN + 1]);

/*
 * The headers the edge owns toward MI (SPEC "Headers the edge owns
 * toward MI"): one table, read by every use -- the request phase
 * (removed from untrusted peers, validated from trusted ones, refused
 * when Connection or Trailer names them, never kept in trailers), the
 * directives (which names may carry the request id), the trace context,
 * the unit tests that hold the documentation and the fuzz dictionary to
 * it, and the fuzzer.  Besides the table, the header named by
 * MiGateRequestIdHeader is owned too.
 *
 * Names match without regard to case and with '_' standing for '-'
 * (X_Forwarded_For is X-Forwarded-For: some backends read them alike).
 */
typedef enum {
    MIGATE_OWN_X_FORWARDED_FOR,
    MIGATE_OWN_X_FORWARDED_HOST,
    MIGATE_OWN_X_FORWARDED_SERVER,
    MIGATE_OWN_X_FORWARDED_PROTO,
    MIGATE_OWN_X_FORWARDED_PORT,
    MIGATE_OWN_X_FORWARDED_ANY,         /* the prefix X-Forwarded-     */
    MIGATE_OWN_FORWARDED,
    MIGATE_OWN_X_REAL_IP,
    MIGATE_OWN_X_CLIENT_IP,
    MIGATE_OWN_TRUE_CLIENT_IP,
    MIGATE_OWN_X_CLUSTER_CLIENT_IP,
    MIGATE_OWN_X_FORWARDED,
    MIGATE_OWN_FORWARDED_FOR,
    MIGATE_OWN_CLIENT_IP,
    MIGATE_OWN_X_ORIGINATING_IP,
    MIGATE_OWN_X_REMOTE_IP,
    MIGATE_OWN_X_REMOTE_ADDR,
    MIGATE_OWN_X_HOST,
    MIGATE_OWN_X_ORIGINAL_HOST,
    MIGATE_OWN_CF_CONNECTING_IP,
    MIGATE_OWN_FASTLY_CLIENT_IP,
    MIGATE_OWN_FRONT_END_HTTPS,
    MIGATE_OWN_X_ORIGINAL_URL,
    MIGATE_OWN_X_REWRITE_URL,
    MIGATE_OWN_X_HTTP_METHOD_OVERRIDE,
    MIGATE_OWN_X_HTTP_METHOD,
    MIGATE_OWN_X_METHOD_OVERRIDE,
    MIGATE_OWN_ACTIVITYID,
    MIGATE_OWN_TRACEPARENT,
    MIGATE_OWN_TRACESTATE,
    MIGATE_OWN_B3,
    MIGATE_OWN_X_B3_ANY,                /* the prefix X-B3-            */
    MIGATE_OWN_UBER_TRACE_ID,
    MIGATE_OWN_X_REQUEST_ID,
    MIGATE_OWN_X_CORRELATION_ID,
    MIGATE_OWN__COUNT
} migate_owned_e;

/* What each use makes of an owned header (flags of migate_owned_hdr). */
#define MIGATE_OWN_F_PREFIX   0x01  /* every name that starts with it     */
#define MIGATE_OWN_F_ROUTE    0x02  /* says who sent the request, from
                                       where, by which route or method    */
#define MIGATE_OWN_F_TRACE    0x04  /* says which trace or correlation it
                                       belongs to                         */
#define MIGATE_OWN_F_TRUSTED  0x08  /* from a MiGateTrustedProxy peer: kept
                                       when valid() accepts it, else 400;
                                       without the flag it is removed from
                                       trusted peers as from anyone       */
#define MIGATE_OWN_F_ID       0x10  /* may be MiGateRequestIdHeader (or
                                       MiGateResponseIdHeader)            */
#define MIGATE_OWN_F_TRACECTX 0x20  /* W3C trace context: written by
                                       MiGateTraceContext On (traceparent)
                                       or kept only beside a trusted
                                       peer's traceparent (tracestate)    */

typedef struct {
    migate_owned_e which;       /* its own index, checked by the tests */
    const char *name;           /* as documented; a prefix ends in '-' */
    size_t len;                 /* strlen(name)                        */
    unsigned int flags;         /* MIGATE_OWN_F_*                      */
    /* With MIGATE_OWN_F_TRUSTED: what a proxy writes there. */
    int (*valid)(const char *v, size_t len);
} migate_owned_hdr;

extern const migate_owned_hdr migate_owned[MIGATE_OWN__COUNT];

/* 1 when the names a[0..alen) and b[0..blen) are one header name to a
 * backend: equal without regard to case, '_' matching '-'.  With
 * prefix, when a starts with b. */
int migate_hdr_name_eq(const char *a, size_t alen, const char *b,
                       size_t blen, int prefix);

/* The table entry name[0..len) is, or NULL.  An exact entry wins over a
 * prefix (X-Forwarded-For over X-Forwarded-). */
const migate_owned_hdr *migate_owned_lookup(const char *name, size_t len);

/* 1 when name[0..len) is owned: a table entry or id_header (may be
 * NULL). */
int migate_owned_name(const char *name, size_t len, const char *id_header);

/* 1 when a header that names other headers (Connection, Trailer) names
 * an owned one.  Its tokens are read at least as finely as mod_proxy
 * reads Connection (proxy_util.c, find_conn_headers and ap_get_token:
 * tokens end at any white space, ',' or ';'), so that no header mod_proxy
 * would drop on the way to MI escapes the check.  *tok and *tok_len (when
 * not NULL) get the token. */
int migate_names_owned(const char *v, size_t len, const char *id_header,
                       const char **tok, size_t *tok_len);

/* A CIDR list.  migate_cidr_parse takes "a.b.c.d/n", "v6/n" or a bare
 * address (/32, /128); host bits beyond the prefix are dropped, as in
 * Require ip.  Returns NULL, or an error text from p (*out is NULL). */
typedef struct migate_cidr migate_cidr;
const char *migate_cidr_parse(apr_pool_t *p, const char *text,
                              migate_cidr **out);
/* 1 when the textual IP address (IPv4, IPv6 or v4-mapped IPv6; a %zone
 * is ignored) lies in any of the n networks.  A v4-mapped address
 * matches IPv4 networks and IPv6 networks alike. */
int migate_cidr_match(migate_cidr *const *nets, int n, const char *ip);

/* Escape s[0..len) for a log line: printable ASCII stays, '"' and '\\'
 * get a backslash, everything else becomes \xHH.  At most max_in bytes
 * of input are taken; a cut is marked with "...".  Result from p. */
char *migate_log_escape(apr_pool_t *p, const char *s, size_t len,
                        size_t max_in);

#endif /* MIGATE_HDR_H */
