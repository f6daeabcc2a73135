/*
 * fuzz_args.c - libFuzzer target for the parsers of directive arguments
 * and of the header values the gate judges: migate_methods_parse,
 * migate_rule_check, migate_service_name_check, migate_cidr_parse (with
 * migate_cidr_match), migate_host_ok, migate_xff_ok,
 * migate_hdr_value_ok, migate_uuid_valid, migate_log_escape and the
 * checks of forwarded headers (migate_real_ip_ok, migate_host_list_ok,
 * migate_proto_list_ok, migate_forwarded_ok, migate_port_list_ok), the
 * owned-header table (migate_owned_lookup, migate_names_owned: every
 * name of migate_owned[] is known here from the table itself) and W3C
 * trace context (migate_traceparent_ok, migate_tracestate_ok).
 *
 * Input: one selector byte (its value modulo 14 picks the parser, see
 * the switch below), then the argument bytes.  The C-string parsers see
 * the argument up to its first NUL, the (pointer, length) ones see every
 * byte.  Besides "never crash, never read out of bounds", each accepted
 * value is checked against a model written here, independently of the
 * code under test: what a valid service name, UUID, header value, host
 * or escaped log field looks like.  Where the model is the whole
 * definition (UUID, header value) the verdicts must agree both ways.
 *
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined \
 *       -fno-sanitize-recover=all \
 *       $(apr-1-config --cflags --cppflags --includes) -Imod_migate \
 *       fuzz/fuzz_args.c mod_migate/migate_core.c mod_migate/migate_path.c \
 *       mod_migate/migate_rules.c mod_migate/migate_trie.c \
 *       mod_migate/migate_regex.c mod_migate/migate_meta.c \
 *       mod_migate/migate_hdr.c mod_migate/migate_trace.c \
 *       mod_migate/migate_uuid.c $(apr-1-config --link-ld --libs) \
 *       -lpcre2-8 -lssl -lcrypto
 *   ./a.out -dict=fuzz/args.dict fuzz/corpus/args
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <apr_general.h>
#include <apr_pools.h>
#include <apr_strings.h>

#include "migate_core.h"
#include "migate_hdr.h"
#include "migate_rules.h"
#include "migate_uuid.h"

#define CHECK(c) do { if (!(c)) { __builtin_trap(); } } while (0)

enum {
    F_METHODS = 0, F_RULE_PREFIX, F_RULE_EXACT, F_RULE_REGEX, F_SERVICE,
    F_CIDR, F_HOST, F_XFF, F_HDR_VALUE, F_UUID, F_LOG_ESCAPE, F_FORWARDED,
    F_OWNED, F_TRACE, F__COUNT
};

static apr_pool_t *pool;

static int m_lc(int c)
{
    return (c >= 'A' && c <= 'Z') ? c + 32 : c;
}

static int m_hexdigit(int c)
{
    return (c >= '0' && c <= '9') || (m_lc(c) >= 'a' && m_lc(c) <= 'f');
}

static int m_alnum(int c)
{
    return (c >= '0' && c <= '9') || (m_lc(c) >= 'a' && m_lc(c) <= 'z');
}

/* The whole definition of a well-formed RFC 9562 UUID text: the shape,
 * a version 1-8, the variant 10xx. */
static int m_uuid(const unsigned char *s, size_t n)
{
    size_t i;

    if (n != 36 || s[14] < '1' || s[14] > '8'
        || !strchr("89abAB", s[19]) || !s[19]) {
        return 0;
    }
    for (i = 0; i < 36; i++) {
        if (i == 8 || i == 13 || i == 18 || i == 23) {
            if (s[i] != '-') {
                return 0;
            }
        }
        else if (!m_hexdigit(s[i])) {
            return 0;
        }
    }
    return 1;
}

/* The whole definition of an acceptable header value: no control
 * character but HTAB, no DEL, no UTF-8 U+0085, U+2028, U+2029. */
static int m_hdr_value(const unsigned char *s, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++) {
        if ((s[i] < 0x20 && s[i] != '\t') || s[i] == 0x7f) {
            return 0;
        }
        /* as code points: C1 U+0080-U+009F, U+2028-U+202E (LS, PS and
         * the bidi embeddings), U+2066-U+2069 (bidi isolates) */
        if (s[i] == 0xc2 && i + 1 < n && (s[i + 1] & 0xc0) == 0x80) {
            unsigned cp = ((s[i] & 0x1fu) << 6) | (s[i + 1] & 0x3fu);
            if (cp < 0xa0) {
                return 0;
            }
        }
        if (s[i] == 0xe2 && i + 2 < n && (s[i + 1] & 0xc0) == 0x80
            && (s[i + 2] & 0xc0) == 0x80) {
            unsigned cp = ((s[i] & 0x0fu) << 12) | ((s[i + 1] & 0x3fu) << 6)
                          | (s[i + 2] & 0x3fu);
            if ((cp >= 0x2028 && cp <= 0x202e)
                || (cp >= 0x2066 && cp <= 0x2069)) {
                return 0;
            }
        }
    }
    return 1;
}

/* What an accepted service name may be: 1-128 of [A-Za-z0-9_-], no
 * "admin" in any case. */
static int m_service(const char *s)
{
    size_t i, n = strlen(s);

    if (n == 0 || n > 128) {
        return 0;
    }
    for (i = 0; i < n; i++) {
        if (!m_alnum((unsigned char)s[i]) && s[i] != '_' && s[i] != '-') {
            return 0;
        }
        if (i + 5 <= n && m_lc(s[i]) == 'a' && m_lc(s[i + 1]) == 'd'
            && m_lc(s[i + 2]) == 'm' && m_lc(s[i + 3]) == 'i'
            && m_lc(s[i + 4]) == 'n') {
            return 0;
        }
    }
    return 1;
}

/* An accepted Host holds only name (with "_", as httpd admits), IP
 * literal and port characters. */
static int m_host_chars(const unsigned char *s, size_t n)
{
    size_t i;

    if (n == 0) {
        return 0;
    }
    for (i = 0; i < n; i++) {
        if (!m_alnum(s[i]) && (!s[i] || !strchr("._-:[]", s[i]))) {
            return 0;
        }
    }
    return 1;
}

/* An accepted X-Forwarded-For holds only address characters, separators
 * and blanks, and is bounded. */
/* What any accepted forwarded header (X-Real-IP, X-Forwarded-Host,
 * -Server, -Proto, Forwarded) may contain: never a control character,
 * '|', '\\', or more than 2048 bytes. */
static int m_forwarded_chars(const unsigned char *s, size_t n)
{
    size_t i;

    if (n == 0 || n > 2048) {
        return 0;
    }
    for (i = 0; i < n; i++) {
        if ((s[i] < 0x20 && s[i] != '\t') || s[i] >= 0x7f || s[i] == '|'
            || s[i] == '\\') {
            return 0;
        }
    }
    return 1;
}

static int m_xff_chars(const unsigned char *s, size_t n)
{
    size_t i;

    if (n == 0 || n > 2048) {
        return 0;
    }
    for (i = 0; i < n; i++) {
        if (!m_hexdigit(s[i]) && (!s[i] || !strchr(".:, \t", s[i]))) {
            return 0;
        }
    }
    return 1;
}

/* The model of an owned name: equal to a table entry (or its prefix)
 * byte by byte once both are lowercased and '_' is read as '-'. */
static int m_name_char(int c)
{
    return c == '_' ? '-' : m_lc(c);
}

static int m_owned(const unsigned char *s, size_t n, const char *id)
{
    size_t i, k;

    for (i = 0; i <= MIGATE_OWN__COUNT; i++) {
        const char *name = i < MIGATE_OWN__COUNT ? migate_owned[i].name : id;
        size_t len = name ? strlen(name) : 0;
        int prefix = i < MIGATE_OWN__COUNT
                     && (migate_owned[i].flags & MIGATE_OWN_F_PREFIX);

        if (!name || (prefix ? n < len : n != len)) {
            continue;
        }
        for (k = 0; k < len; k++) {
            if (m_name_char(s[k]) != m_name_char((unsigned char)name[k])) {
                break;
            }
        }
        if (k == len) {
            return 1;
        }
    }
    return 0;
}

/* What ends a token of Connection for mod_proxy (ap_get_token). */
static int m_sep(int c)
{
    return c == ',' || c == ';' || c == ' ' || c == '\t' || c == '\n'
        || c == '\r' || c == '\v' || c == '\f';
}

static void fz_owned(const unsigned char *s, size_t n)
{
    const migate_owned_hdr *o = migate_owned_lookup((const char *)s, n);
    const char *tok = NULL;
    size_t i, t, tok_len = 0;
    int any = 0;

    CHECK(!o == !m_owned(s, n, NULL));
    CHECK(!migate_owned_name((const char *)s, n, "X-Corr")
          == !m_owned(s, n, "X-Corr"));
    /* As a Connection value: owned exactly when some token is. */
    for (i = 0; i < n; i = t) {
        while (i < n && m_sep(s[i])) {
            i++;
        }
        for (t = i; t < n && !m_sep(s[t]); t++) {
        }
        if (t > i && m_owned(s + i, t - i, "activityid")) {
            any = 1;
        }
    }
    CHECK(!migate_names_owned((const char *)s, n, "activityid", &tok,
                              &tok_len) == !any);
    if (any) {
        CHECK(tok >= (const char *)s && tok + tok_len <= (const char *)s + n);
        CHECK(m_owned((const unsigned char *)tok, tok_len, "activityid"));
    }
}

/* W3C: traceparent is exactly 55 bytes of lowercase hex and '-';
 * tracestate keys and values are printable ASCII. */
static void fz_trace(const unsigned char *s, size_t n)
{
    size_t i;

    if (migate_traceparent_ok((const char *)s, n)) {
        CHECK(n == 55 && s[0] == '0' && s[1] == '0');
        for (i = 0; i < n; i++) {
            CHECK((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')
                  || (s[i] == '-' && (i == 2 || i == 35 || i == 52)));
        }
    }
    if (migate_tracestate_ok((const char *)s, n)) {
        CHECK(n > 0 && n <= 512 && memchr(s, '=', n));
        for (i = 0; i < n; i++) {
            CHECK(s[i] == '\t' || (s[i] >= 0x20 && s[i] <= 0x7e));
        }
    }
    if (migate_port_list_ok((const char *)s, n)) {
        CHECK(m_xff_chars(s, n));
    }
}

/* Undo migate_log_escape and compare with the input it took. */
static void m_log_escape(const unsigned char *s, size_t n, size_t max_in,
                         const char *out)
{
    size_t took = n > max_in ? max_in : n, i = 0, k = 0;
    size_t olen = strlen(out);

    CHECK(olen <= 4 * took + 3);
    for (k = 0; k < olen; k++) {
        CHECK(out[k] >= 0x20 && out[k] <= 0x7e);
    }
    if (n > took) {
        CHECK(olen >= 3 && memcmp(out + olen - 3, "...", 3) == 0);
        olen -= 3;
    }
    k = 0;
    while (k < olen) {
        unsigned char c;

        if (out[k] == '\\') {
            CHECK(k + 1 < olen);
            if (out[k + 1] == 'x') {
                static const char hx[] = "0123456789abcdef";
                CHECK(k + 3 < olen);
                c = (unsigned char)((strchr(hx, out[k + 2]) - hx) * 16
                                    + (strchr(hx, out[k + 3]) - hx));
                /* only what cannot go raw is hex-escaped */
                CHECK(c < 0x20 || c > 0x7e);
                k += 4;
            }
            else {
                c = (unsigned char)out[k + 1];
                CHECK(c == '"' || c == '\\');
                k += 2;
            }
        }
        else {
            c = (unsigned char)out[k];
            /* a quote never goes raw: the field cannot be closed early */
            CHECK(c != '"');
            k++;
        }
        CHECK(i < took && s[i] == c);
        i++;
    }
    CHECK(i == took);
}

static void fz_methods(const char *a, size_t alen)
{
    migate_methods_t set = 0xdeadbeef;
    const char *bad_at = NULL, *tok, *e;
    size_t bad_len = 0, n;
    const char *err = migate_methods_parse(a, &set, &bad_at, &bad_len);

    if (err) {
        CHECK(bad_at >= a && bad_at + bad_len <= a + alen);
        return;
    }
    CHECK(set != MIGATE_METHODS_ANY);
    /* every listed token is admitted, none of them is forbidden */
    for (tok = a;; tok = e + 1) {
        e = strchr(tok, ',');
        n = e ? (size_t)(e - tok) : strlen(tok);
        CHECK(n > 0 && !migate_method_forbidden(tok, n));
        CHECK(migate_methods_admit(set, tok, n));
        if (!e) {
            break;
        }
    }
    CHECK(!migate_methods_admit(set, "TRACE", 5));
    CHECK(!migate_methods_admit(set, "CONNECT", 7));
}

static void fz_rule(migate_rule_kind_e kind, const char *a)
{
    const char *err = migate_rule_check(pool, kind, a);

    if (kind != MIGATE_RULE_REGEX && err == NULL) {
        CHECK(a[0] == '/');
    }
    if (err == NULL) {
        /* what the check accepts, the policy takes and compiles */
        migate_policy *pol = migate_policy_make(pool);
        CHECK(migate_policy_allow(pol, kind, a, 0, NULL) == NULL);
        CHECK(migate_policy_deny(pol, kind, a, NULL) == NULL);
        migate_policy_compile(pol);
    }
}

static void fz_cidr(const char *a)
{
    migate_cidr *net = NULL;
    const char *err = migate_cidr_parse(pool, a, &net);
    const char *slash;
    char *addr;

    if (err) {
        CHECK(net == NULL && strlen(err) < 512);
        return;
    }
    CHECK(net != NULL);
    /* the network holds its own address, host bits or not */
    slash = strchr(a, '/');
    addr = slash ? apr_pstrmemdup(pool, a, (apr_size_t)(slash - a))
                 : apr_pstrdup(pool, a);
    CHECK(migate_cidr_match(&net, 1, addr));
    (void)migate_cidr_match(&net, 1, "::ffff:10.1.2.3");
    (void)migate_cidr_match(&net, 1, a);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    apr_initialize();
    apr_pool_create(&pool, NULL);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const unsigned char *arg;
    size_t alen;
    char *cstr;
    int sel;

    if (size == 0) {
        return 0;
    }
    sel = data[0] % F__COUNT;
    arg = data + 1;
    alen = size - 1;
    /* A private copy: libFuzzer's buffer has no NUL, and any over-read
     * of the copy is caught by ASan. */
    cstr = malloc(alen + 1);
    memcpy(cstr, arg, alen);
    cstr[alen] = '\0';

    switch (sel) {
    case F_METHODS:
        fz_methods(cstr, strlen(cstr));
        break;
    case F_RULE_PREFIX:
        fz_rule(MIGATE_RULE_PREFIX, cstr);
        break;
    case F_RULE_EXACT:
        fz_rule(MIGATE_RULE_EXACT, cstr);
        break;
    case F_RULE_REGEX:
        fz_rule(MIGATE_RULE_REGEX, cstr);
        break;
    case F_SERVICE:
        if (migate_service_name_check(pool, cstr) == NULL) {
            CHECK(m_service(cstr));
        }
        break;
    case F_CIDR:
        fz_cidr(cstr);
        break;
    case F_HOST:
        if (migate_host_ok((const char *)arg, alen)) {
            CHECK(m_host_chars(arg, alen));
        }
        break;
    case F_XFF:
        if (migate_xff_ok((const char *)arg, alen)) {
            CHECK(m_xff_chars(arg, alen));
        }
        break;
    case F_FORWARDED:
        if (migate_real_ip_ok((const char *)arg, alen)) {
            CHECK(m_xff_chars(arg, alen) && !memchr(arg, ',', alen));
        }
        if (migate_host_list_ok((const char *)arg, alen)
            || migate_proto_list_ok((const char *)arg, alen)
            || migate_forwarded_ok((const char *)arg, alen)) {
            CHECK(m_forwarded_chars(arg, alen));
        }
        break;
    case F_OWNED:
        fz_owned(arg, alen);
        break;
    case F_TRACE:
        fz_trace(arg, alen);
        break;
    case F_HDR_VALUE:
        CHECK(!migate_hdr_value_ok((const char *)arg, alen)
              == !m_hdr_value(arg, alen));
        break;
    case F_UUID:
        CHECK(!migate_uuid_valid((const char *)arg, alen)
              == !m_uuid(arg, alen));
        break;
    case F_LOG_ESCAPE: {
        /* the second byte picks the bound, 0-255 */
        size_t max_in = alen ? arg[0] : 512;
        const unsigned char *s = alen ? arg + 1 : arg;
        size_t n = alen ? alen - 1 : 0;
        char *buf = malloc(n ? n : 1);

        memcpy(buf, s, n);
        m_log_escape(s, n, max_in,
                     migate_log_escape(pool, buf, n, max_in));
        free(buf);
        break;
    }
    }
    free(cstr);
    apr_pool_clear(pool);
    return 0;
}
