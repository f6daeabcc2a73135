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

/* 1 when a Connection header value names (as one of its comma-separated
 * tokens, any case, blanks around them allowed) a header the gate owns
 * toward MI: the request-id header id_header, any X-Forwarded-*,
 * Forwarded or X-Real-IP.  mod_proxy drops the headers Connection names
 * (RFC 9110 7.6.1), so MI would receive the request without them. */
int migate_connection_names_owned(const char *v, size_t len,
                                  const char *id_header);

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
