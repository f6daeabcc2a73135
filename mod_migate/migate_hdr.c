/*
 * migate_hdr.c - checks on what clients and peers send besides the path:
 * header values (log forging), Host, the table of the headers the edge
 * owns toward MI with the checks of what a trusted proxy may write there
 * (X-Forwarded-*, W3C trace context, ...), the CIDR lists of
 * MiGateTrustedProxy, and the escaping of any such text for a log line.
 * Pure: no httpd headers.
 */
#include <arpa/inet.h>
#include <pthread.h>
#include <netinet/in.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>

#include <apr_strings.h>

#include <apr_lib.h>

#include "migate_hdr.h"
#include "migate_uuid.h"

/* Longest textual IPv6 address (with an embedded IPv4 tail), no NUL. */
#define IP_TEXT_MAX 45

#define XFF_MAX_LEN   2048
#define XFF_MAX_ELTS  64

struct migate_cidr {
    int family;                 /* AF_INET or AF_INET6 */
    unsigned char addr[16];     /* network order, host bits cleared */
    unsigned int prefix;        /* 0..32 or 0..128 */
};

int migate_hdr_value_ok(const char *v, size_t len)
{
    const unsigned char *s = (const unsigned char *)v;
    size_t i;

    for (i = 0; i < len; i++) {
        unsigned char c = s[i];

        if (c < 0x20) {
            if (c != '\t') {
                return 0;
            }
        }
        else if (c == 0x7f) {
            return 0;
        }
        /* The C1 controls (NEL among them), LS and PS, and the bidi
         * controls, as UTF-8: line breaks or reordering to anything that
         * reads the log as Unicode text (the same set the path check
         * refuses). */
        else if (c == 0xc2) {
            if (i + 1 < len && s[i + 1] >= 0x80 && s[i + 1] <= 0x9f) {
                return 0;
            }
        }
        else if (c == 0xe2 && i + 2 < len) {
            if ((s[i + 1] == 0x80 && s[i + 2] >= 0xa8 && s[i + 2] <= 0xae)
                || (s[i + 1] == 0x81 && s[i + 2] >= 0xa6
                    && s[i + 2] <= 0xa9)) {
                return 0;
            }
        }
    }
    return 1;
}

/* Copy an address of at most IP_TEXT_MAX bytes into buf and convert it;
 * returns AF_INET, AF_INET6 or 0.  inet_pton takes neither zone ids nor
 * brackets nor ports, and in glibc no leading zeros in IPv4 octets. */
static int parse_ip(const char *s, size_t len, unsigned char addr[16])
{
    char buf[IP_TEXT_MAX + 1];

    /* A NUL inside would end the text early for inet_pton. */
    if (len == 0 || len > IP_TEXT_MAX || memchr(s, '\0', len) != NULL) {
        return 0;
    }
    memcpy(buf, s, len);
    buf[len] = '\0';
    if (inet_pton(AF_INET, buf, addr) == 1) {
        return AF_INET;
    }
    if (inet_pton(AF_INET6, buf, addr) == 1) {
        return AF_INET6;
    }
    return 0;
}

static int is_digit(unsigned char c)
{
    return c >= '0' && c <= '9';
}

/* Letters, digits, '-' and '_': httpd's own host name check
 * (server/vhost.c, fix_hostname) admits '_', common in internal names,
 * also under HttpProtocolOptions Strict. */
static int is_host_char(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || is_digit(c)
        || c == '-' || c == '_';
}

/* RFC 1123 host name (with '_', as httpd admits), one trailing dot
 * allowed.  A name whose last label is all digits would be read as an
 * IPv4 address by URL parsers (WHATWG), so it must then be a dotted quad
 * and nothing else. */
static int host_name_ok(const char *s, size_t len)
{
    size_t i, label = 0;
    int last_numeric = 1, trailing_dot = 0;
    unsigned char a[16];

    if (len > 0 && s[len - 1] == '.') {
        trailing_dot = 1;
        len--;
    }
    if (len == 0 || len > 253) {
        return 0;
    }
    for (i = 0; i <= len; i++) {
        if (i == len || s[i] == '.') {
            if (label == 0 || label > 63 || s[i - 1] == '-') {
                return 0;
            }
            if (i == len) {
                break;
            }
            label = 0;
            last_numeric = 1;
            continue;
        }
        if (!is_host_char((unsigned char)s[i])) {
            return 0;
        }
        if (label == 0 && s[i] == '-') {
            return 0;
        }
        if (!is_digit((unsigned char)s[i])) {
            last_numeric = 0;
        }
        label++;
    }
    if (last_numeric) {
        return !trailing_dot && parse_ip(s, len, a) == AF_INET;
    }
    return 1;
}

static int port_ok(const char *s, size_t len)
{
    unsigned long port = 0;
    size_t i;

    if (len == 0 || len > 5) {
        return 0;
    }
    for (i = 0; i < len; i++) {
        if (!is_digit((unsigned char)s[i])) {
            return 0;
        }
        port = port * 10 + (unsigned long)(s[i] - '0');
    }
    return port >= 1 && port <= 65535;
}

int migate_host_ok(const char *v, size_t len)
{
    const char *colon, *end;
    unsigned char a[16];

    if (v == NULL || len == 0) {
        return 0;
    }
    if (v[0] == '[') {
        end = memchr(v, ']', len);
        if (end == NULL || parse_ip(v + 1, (size_t)(end - v - 1), a)
                           != AF_INET6) {
            return 0;
        }
        end++;
        if (end == v + len) {
            return 1;
        }
        return *end == ':' && port_ok(end + 1, (size_t)(v + len - end - 1));
    }
    colon = memchr(v, ':', len);
    if (colon == NULL) {
        return host_name_ok(v, len);
    }
    return host_name_ok(v, (size_t)(colon - v))
        && port_ok(colon + 1, (size_t)(v + len - colon - 1));
}

/* Each element of a list separated by sep, blanks around it cut, passes
 * ok(); at least one element, none empty, at most max_elts. */
static int each_element(const char *v, size_t len, char sep, int max_elts,
                        int (*ok)(const char *, size_t))
{
    const char *p = v, *end = v + len, *next, *e;
    int n = 0;

    for (;;) {
        next = memchr(p, sep, (size_t)(end - p));
        e = next ? next : end;
        while (p < e && (*p == ' ' || *p == '\t')) {
            p++;
        }
        while (e > p && (e[-1] == ' ' || e[-1] == '\t')) {
            e--;
        }
        if (++n > max_elts || e == p || !ok(p, (size_t)(e - p))) {
            return 0;
        }
        if (next == NULL) {
            return 1;
        }
        p = next + 1;
    }
}

static int ip_ok(const char *s, size_t len)
{
    unsigned char a[16];
    return parse_ip(s, len, a);
}

int migate_xff_ok(const char *v, size_t len)
{
    if (v == NULL || len == 0 || len > XFF_MAX_LEN) {
        return 0;
    }
    return each_element(v, len, ',', XFF_MAX_ELTS, ip_ok);
}

int migate_real_ip_ok(const char *v, size_t len)
{
    return v != NULL && memchr(v, ',', len) == NULL && migate_xff_ok(v, len);
}

int migate_host_list_ok(const char *v, size_t len)
{
    if (v == NULL || len == 0 || len > XFF_MAX_LEN) {
        return 0;
    }
    return each_element(v, len, ',', XFF_MAX_ELTS, migate_host_ok);
}

static int proto_ok(const char *v, size_t n)
{
    return (n == 4 && !strncasecmp(v, "http", 4))
        || (n == 5 && !strncasecmp(v, "https", 5));
}

int migate_port_list_ok(const char *v, size_t len)
{
    if (v == NULL || len == 0 || len > XFF_MAX_LEN) {
        return 0;
    }
    return each_element(v, len, ',', XFF_MAX_ELTS, port_ok);
}

int migate_proto_list_ok(const char *v, size_t len)
{
    if (v == NULL || len == 0 || len > XFF_MAX_LEN) {
        return 0;
    }
    return each_element(v, len, ',', XFF_MAX_ELTS, proto_ok);
}

/* One forwarded-pair of RFC 7239 (token=value), held to what a proxy
 * really writes: the value a token of address characters, or a quoted
 * string of them ("[2001:db8::1]:443"), never an escape, '|' or a
 * space. */
static int fwd_pair_ok(const char *v, size_t n)
{
    static const char tchar[] = "!#$%&'*+-.^_`~";
    static const char qchar[] = "._:-[]";
    size_t i = 0, k;

    while (i < n && (apr_isalnum(v[i]) || (v[i] && strchr(tchar, v[i])))) {
        i++;
    }
    if (i == 0 || i >= n || v[i] != '=') {
        return 0;
    }
    i++;
    if (i < n && v[i] == '"') {
        for (k = i + 1; k < n && v[k] != '"'; k++) {
            if (!apr_isalnum(v[k]) && (!v[k] || !strchr(qchar, v[k]))) {
                return 0;
            }
        }
        return k == n - 1 && k > i + 1;
    }
    if (i == n) {
        return 0;
    }
    for (; i < n; i++) {
        if (!apr_isalnum(v[i]) && (!v[i] || !strchr("._:-", v[i]))) {
            return 0;
        }
    }
    return 1;
}

/* One forwarded-element: pairs separated by ';'. */
static int fwd_element_ok(const char *v, size_t n)
{
    return each_element(v, n, ';', 16, fwd_pair_ok);
}

int migate_forwarded_ok(const char *v, size_t len)
{
    if (v == NULL || len == 0 || len > XFF_MAX_LEN) {
        return 0;
    }
    return each_element(v, len, ',', XFF_MAX_ELTS, fwd_element_ok);
}

/* Clear the bits of addr beyond prefix. */
static void mask_host_bits(unsigned char *addr, size_t bytes,
                           unsigned int prefix)
{
    size_t i;

    for (i = 0; i < bytes; i++) {
        if (prefix >= 8) {
            prefix -= 8;
        }
        else {
            addr[i] &= (unsigned char)(0xff00u >> prefix);
            prefix = 0;
        }
    }
}

const char *migate_cidr_parse(apr_pool_t *p, const char *text,
                              migate_cidr **out)
{
    const char *slash;
    size_t alen, i;
    unsigned int max, prefix = 0;
    migate_cidr c;

    *out = NULL;
    if (text == NULL) {
        return "not an IP address or CIDR: (none)";
    }
    slash = strchr(text, '/');
    alen = slash ? (size_t)(slash - text) : strlen(text);
    c.family = parse_ip(text, alen, c.addr);
    if (c.family == 0) {
        return apr_psprintf(p, "not an IP address or CIDR: '%s'",
                            migate_log_escape(p, text, strlen(text), 80));
    }
    max = c.family == AF_INET ? 32 : 128;
    if (slash == NULL) {
        prefix = max;
    }
    else {
        const char *d = slash + 1;
        size_t dlen = strlen(d);

        /* Digits only: no sign, no spaces, no dotted netmask. */
        if (dlen == 0 || dlen > 3) {
            goto bad_prefix;
        }
        for (i = 0; i < dlen; i++) {
            if (!is_digit((unsigned char)d[i])) {
                goto bad_prefix;
            }
            prefix = prefix * 10 + (unsigned int)(d[i] - '0');
        }
        if (prefix > max) {
            goto bad_prefix;
        }
    }
    /* Host bits beyond the prefix are dropped, as Require ip does. */
    c.prefix = prefix;
    mask_host_bits(c.addr, max / 8, prefix);
    *out = apr_pmemdup(p, &c, sizeof(c));
    return NULL;

bad_prefix:
    return apr_psprintf(p, "prefix length must be a number from 0 to %u: "
                        "'%s'", max,
                        migate_log_escape(p, text, strlen(text), 80));
}

static int prefix_match(const unsigned char *net, const unsigned char *a,
                        unsigned int prefix)
{
    size_t whole = prefix / 8;
    unsigned int rest = prefix % 8;

    if (memcmp(net, a, whole) != 0) {
        return 0;
    }
    if (rest == 0) {
        return 1;
    }
    return ((net[whole] ^ a[whole]) & (0xff00u >> rest)) == 0;
}

int migate_cidr_match(migate_cidr *const *nets, int n, const char *ip)
{
    static const unsigned char v4_mapped[12] = {
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff
    };
    unsigned char a[16];
    const unsigned char *v4 = NULL, *v6 = NULL;
    const char *zone;
    size_t len;
    int i;

    if (nets == NULL || n <= 0 || ip == NULL) {
        return 0;
    }
    /* APR may print a link-local peer with its zone ("fe80::1%eth0"). */
    zone = strchr(ip, '%');
    len = zone ? (size_t)(zone - ip) : strlen(ip);
    switch (parse_ip(ip, len, a)) {
    case AF_INET:
        v4 = a;
        break;
    case AF_INET6:
        v6 = a;
        /* A dual-stack listener shows IPv4 peers as ::ffff:a.b.c.d. */
        if (memcmp(a, v4_mapped, sizeof(v4_mapped)) == 0) {
            v4 = a + 12;
        }
        break;
    default:
        return 0;
    }
    for (i = 0; i < n; i++) {
        const migate_cidr *c = nets[i];

        if (c == NULL) {
            continue;
        }
        if (c->family == AF_INET && v4
            && prefix_match(c->addr, v4, c->prefix)) {
            return 1;
        }
        if (c->family == AF_INET6 && v6
            && prefix_match(c->addr, v6, c->prefix)) {
            return 1;
        }
    }
    return 0;
}

char *migate_log_escape(apr_pool_t *p, const char *s, size_t len,
                        size_t max_in)
{
    static const char hex[] = "0123456789abcdef";
    size_t n = len > max_in ? max_in : len, i;
    char *out, *o;

    if (s == NULL) {
        n = len = 0;
    }
    /* Worst case: four bytes out per byte in, "..." and the NUL. */
    if (n > (SIZE_MAX - 4) / 4) {
        n = (SIZE_MAX - 4) / 4;
    }
    o = out = apr_palloc(p, 4 * n + 4);
    for (i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];

        if (c == '"' || c == '\\') {
            *o++ = '\\';
            *o++ = (char)c;
        }
        else if (c >= 0x20 && c <= 0x7e) {
            *o++ = (char)c;
        }
        else {
            *o++ = '\\';
            *o++ = 'x';
            *o++ = hex[c >> 4];
            *o++ = hex[c & 0x0f];
        }
    }
    if (len > n) {
        memcpy(o, "...", 3);
        o += 3;
    }
    *o = '\0';
    return out;
}

/* ------------------------------------------------------------------ */
/* The headers the edge owns toward MI                                 */

static int uuid_ok(const char *v, size_t len)
{
    return migate_uuid_valid(v, len);
}

#define ROUTE MIGATE_OWN_F_ROUTE
#define TRACE MIGATE_OWN_F_TRACE
#define PREFIX MIGATE_OWN_F_PREFIX
#define KEEP MIGATE_OWN_F_TRUSTED
#define ID MIGATE_OWN_F_ID
#define TRACECTX MIGATE_OWN_F_TRACECTX
#define OWN(e, name, flags, valid) \
    [MIGATE_OWN_##e] = { MIGATE_OWN_##e, name, sizeof(name) - 1, flags, \
                         valid }

/*
 * What a trusted proxy may write (KEEP, with the check of its value) is
 * what proxies, load balancers and CDNs in front of an edge really send:
 * the de-facto X-Forwarded-* four and -Port, RFC 7239 Forwarded, one
 * client address in X-Real-IP (nginx), True-Client-IP (Akamai,
 * Cloudflare), CF-Connecting-IP, Fastly-Client-IP, a request id in
 * activityid, W3C trace context.  The rest -- URL and method overrides,
 * rarer client-address spellings, other tracers' formats -- no proxy in
 * front of this edge needs to tell MI: removed from every peer.
 */
const migate_owned_hdr migate_owned[MIGATE_OWN__COUNT] = {
    OWN(X_FORWARDED_FOR, "X-Forwarded-For", ROUTE | KEEP, migate_xff_ok),
    OWN(X_FORWARDED_HOST, "X-Forwarded-Host", ROUTE | KEEP,
        migate_host_list_ok),
    OWN(X_FORWARDED_SERVER, "X-Forwarded-Server", ROUTE | KEEP,
        migate_host_list_ok),
    OWN(X_FORWARDED_PROTO, "X-Forwarded-Proto", ROUTE | KEEP,
        migate_proto_list_ok),
    OWN(X_FORWARDED_PORT, "X-Forwarded-Port", ROUTE | KEEP,
        migate_port_list_ok),
    OWN(X_FORWARDED_ANY, "X-Forwarded-", ROUTE | PREFIX, NULL),
    OWN(FORWARDED, "Forwarded", ROUTE | KEEP, migate_forwarded_ok),
    OWN(X_REAL_IP, "X-Real-IP", ROUTE | KEEP, migate_real_ip_ok),
    OWN(X_CLIENT_IP, "X-Client-IP", ROUTE, NULL),
    OWN(TRUE_CLIENT_IP, "True-Client-IP", ROUTE | KEEP, migate_real_ip_ok),
    OWN(X_CLUSTER_CLIENT_IP, "X-Cluster-Client-IP", ROUTE, NULL),
    OWN(X_FORWARDED, "X-Forwarded", ROUTE, NULL),
    OWN(FORWARDED_FOR, "Forwarded-For", ROUTE, NULL),
    OWN(CLIENT_IP, "Client-IP", ROUTE, NULL),
    OWN(X_ORIGINATING_IP, "X-Originating-IP", ROUTE, NULL),
    OWN(X_REMOTE_IP, "X-Remote-IP", ROUTE, NULL),
    OWN(X_REMOTE_ADDR, "X-Remote-Addr", ROUTE, NULL),
    OWN(X_HOST, "X-Host", ROUTE, NULL),
    OWN(X_ORIGINAL_HOST, "X-Original-Host", ROUTE, NULL),
    OWN(CF_CONNECTING_IP, "CF-Connecting-IP", ROUTE | KEEP,
        migate_real_ip_ok),
    OWN(FASTLY_CLIENT_IP, "Fastly-Client-IP", ROUTE | KEEP,
        migate_real_ip_ok),
    OWN(FRONT_END_HTTPS, "Front-End-Https", ROUTE, NULL),
    OWN(X_ORIGINAL_URL, "X-Original-URL", ROUTE, NULL),
    OWN(X_REWRITE_URL, "X-Rewrite-URL", ROUTE, NULL),
    OWN(X_HTTP_METHOD_OVERRIDE, "X-HTTP-Method-Override", ROUTE, NULL),
    OWN(X_HTTP_METHOD, "X-HTTP-Method", ROUTE, NULL),
    OWN(X_METHOD_OVERRIDE, "X-Method-Override", ROUTE, NULL),
    /* MI takes activityid as its correlation id whatever
     * MiGateRequestIdHeader names. */
    OWN(ACTIVITYID, "activityid", TRACE | KEEP | ID, uuid_ok),
    OWN(TRACEPARENT, "traceparent", TRACE | KEEP | TRACECTX,
        migate_traceparent_ok),
    OWN(TRACESTATE, "tracestate", TRACE | KEEP | TRACECTX,
        migate_tracestate_ok),
    OWN(B3, "b3", TRACE, NULL),
    OWN(X_B3_ANY, "X-B3-", TRACE | PREFIX, NULL),
    OWN(UBER_TRACE_ID, "uber-trace-id", TRACE, NULL),
    OWN(X_REQUEST_ID, "X-Request-ID", TRACE | ID, NULL),
    OWN(X_CORRELATION_ID, "X-Correlation-ID", TRACE | ID, NULL),
};

/* One entry per enum value, in its order (the tests check .which). */
_Static_assert(sizeof(migate_owned) / sizeof(migate_owned[0])
               == MIGATE_OWN__COUNT, "one migate_owned entry per name");

/* A header name's byte as a backend compares it: ASCII case folded
 * (field names are tokens, RFC 9110 section 5.1: never the locale's
 * tolower, which may fold bytes above 0x7f), '_' as '-' (what CGI-style
 * servers and mod_proxy_fcgi/ajp make of it). */
static inline unsigned char name_char(unsigned char c)
{
    return c == '_' ? '-' : (c >= 'A' && c <= 'Z') ? (unsigned char)(c | 0x20)
                                                   : c;
}

int migate_hdr_name_eq(const char *a, size_t alen, const char *b,
                       size_t blen, int prefix)
{
    size_t i;

    if (a == NULL || b == NULL || (prefix ? alen < blen : alen != blen)) {
        return 0;
    }
    for (i = 0; i < blen; i++) {
        if (name_char((unsigned char)a[i]) != name_char((unsigned char)b[i])) {
            return 0;
        }
    }
    return 1;
}

/*
 * The look-up runs for every header of every request, so the table is
 * searched through an index made once from it: the entries grouped by
 * the key of their name, in table order within a group.  The key is the
 * name's first byte, or for "x-" names the byte after it (half the
 * table starts with "X-").  An entry equal to a name, or a prefix of it,
 * has the name's key as long as a prefix entry is at least 3 bytes long
 * ("X-B3-", "X-Forwarded-"); index_make checks that, and without it (or
 * before it is made) the look-up walks the whole table.
 */
#define KEYS 512
/* group k is key_order[key_first[k] .. key_first[k + 1]) */
static unsigned char key_first[KEYS + 1];
static unsigned char key_order[MIGATE_OWN__COUNT];
static int index_ok;
static pthread_once_t index_once = PTHREAD_ONCE_INIT;

_Static_assert(MIGATE_OWN__COUNT < 256, "indices fit an unsigned char");

static unsigned int name_key(const char *name, size_t len)
{
    unsigned int c0 = len ? name_char((unsigned char)name[0]) : 0;

    if (c0 == 'x' && len >= 3 && name_char((unsigned char)name[1]) == '-') {
        return 256 + name_char((unsigned char)name[2]);
    }
    return c0;
}

static void index_make(void)
{
    unsigned int count[KEYS] = { 0 }, k, i, at = 0;

    for (i = 0; i < MIGATE_OWN__COUNT; i++) {
        const migate_owned_hdr *o = &migate_owned[i];

        if ((o->flags & MIGATE_OWN_F_PREFIX) && o->len < 3) {
            return;
        }
        count[name_key(o->name, o->len)]++;
    }
    for (k = 0; k < KEYS; k++) {
        key_first[k] = (unsigned char)at;
        at += count[k];
        count[k] = key_first[k];
    }
    key_first[KEYS] = (unsigned char)at;
    for (i = 0; i < MIGATE_OWN__COUNT; i++) {
        key_order[count[name_key(migate_owned[i].name,
                                 migate_owned[i].len)]++] = (unsigned char)i;
    }
    __atomic_store_n(&index_ok, 1, __ATOMIC_RELEASE);
}

const migate_owned_hdr *migate_owned_lookup(const char *name, size_t len)
{
    const migate_owned_hdr *hit = NULL;
    unsigned int i, end, k;
    int indexed;

    if (name == NULL) {
        return NULL;
    }
    if (!(indexed = __atomic_load_n(&index_ok, __ATOMIC_ACQUIRE))) {
        pthread_once(&index_once, index_make);
        indexed = __atomic_load_n(&index_ok, __ATOMIC_ACQUIRE);
    }
    if (indexed) {
        k = name_key(name, len);
        i = key_first[k];
        end = key_first[k + 1];
    }
    else {
        i = 0;
        end = MIGATE_OWN__COUNT;
    }
    for (; i < end; i++) {
        const migate_owned_hdr *o =
            &migate_owned[indexed ? key_order[i] : i];
        int prefix = (o->flags & MIGATE_OWN_F_PREFIX) != 0;

        if (migate_hdr_name_eq(name, len, o->name, o->len, prefix)) {
            if (!prefix) {
                return o;
            }
            hit = o;
        }
    }
    return hit;
}

int migate_owned_name(const char *name, size_t len, const char *id_header)
{
    return migate_owned_lookup(name, len) != NULL
        || (id_header != NULL
            && migate_hdr_name_eq(name, len, id_header, strlen(id_header),
                                  0));
}

/* What ends a token for mod_proxy: apr_isspace, ',' and ';'. */
static int list_sep(unsigned char c)
{
    return c == ',' || c == ';' || c == ' ' || (c >= '\t' && c <= '\r');
}

int migate_names_owned(const char *v, size_t len, const char *id_header,
                       const char **tok, size_t *tok_len)
{
    const char *p = v, *end = v + len, *t;

    if (v == NULL) {
        return 0;
    }
    /* Quotes are not skipped as ap_get_token skips them: a quoted token
     * can name no header, and the finer split only finds more names. */
    while (p < end) {
        while (p < end && list_sep((unsigned char)*p)) {
            p++;
        }
        t = p;
        while (p < end && !list_sep((unsigned char)*p)) {
            p++;
        }
        if (p > t && migate_owned_name(t, (size_t)(p - t), id_header)) {
            if (tok) {
                *tok = t;
                *tok_len = (size_t)(p - t);
            }
            return 1;
        }
    }
    return 0;
}
