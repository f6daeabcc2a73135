/*
 * test_path.c - table-driven tests of migate_canon(): every spelling of a
 * path the gate must see through, and every ambiguity it must refuse.
 *
 * Each row is a raw request target as a client sends it (split at the
 * first '?'), the expected verdict and, for a pass, the canonical path.
 * Inputs are copied to buffers of their exact size so that ASan catches
 * any read past path_len / query_len.
 */
#include <stdlib.h>

#include "tap.h"
#include "migate_path.h"

#define P  MIGATE_PASS
#define EN MIGATE_R_ENCODING
#define CC MIGATE_R_CONTROL_CHAR
#define DS MIGATE_R_DOT_SEGMENT

typedef struct {
    const char *target;     /* raw target, path '?' query             */
    size_t len;             /* 0: strlen(target); else holds NULs      */
    migate_reason_e want;
    const char *canon;      /* for P                                   */
} path_case;

static const path_case cases[] = {
    /* plain paths, case preserved */
    { "/", 0, P, "/" },
    { "/api", 0, P, "/api" },
    { "/api/", 0, P, "/api/" },
    { "/API/Orders", 0, P, "/API/Orders" },
    { "/a/b/c", 0, P, "/a/b/c" },
    { "/Services/Foo", 0, P, "/Services/Foo" },
    { "/sErViCeS", 0, P, "/sErViCeS" },
    { "/-_.~!$&'()*+,=:@", 0, P, "/-_.~!$&'()*+,=:@" },
    { "/a+b", 0, P, "/a+b" },
    { "/a b", 0, P, "/a b" },
    { "/a/.../b", 0, P, "/a/.../b" },
    { "/a/.b/c", 0, P, "/a/.b/c" },
    { "/a/b./c", 0, P, "/a/b./c" },
    { "/a/..b", 0, P, "/a/..b" },
    { "/a..b", 0, P, "/a..b" },
    { "/.well-known/x", 0, P, "/.well-known/x" },

    /* /services/ elsewhere canonicalises fine: the policy is elsewhere */
    { "/services", 0, P, "/services" },
    { "/services/Foo", 0, P, "/services/Foo" },
    { "/services/Foo.SOAP11Endpoint", 0, P, "/services/Foo.SOAP11Endpoint" },
    { "/api/services/Bar", 0, P, "/api/services/Bar" },
    { "/x?y=/services/Bar", 0, P, "/x" },
    { "/services?wsdl", 0, P, "/services" },

    /* query forms that are fine */
    { "/api?x=1", 0, P, "/api" },
    { "/api?", 0, P, "/api" },
    { "/api?a=b&c=d", 0, P, "/api" },
    { "/x?q=%2F%5C%3F%23%25", 0, P, "/x" },
    { "/x?q=100%25", 0, P, "/x" },
    { "/x?q=50%25off", 0, P, "/x" },
    { "/x?a=%252e", 0, P, "/x" },
    { "/x?a=%252f", 0, P, "/x" },
    { "/x?a=%2541", 0, P, "/x" },
    { "/x?a=%25%25", 0, P, "/x" },
    { "/x?a;b", 0, P, "/x" },
    { "/x?a\\b", 0, P, "/x" },
    { "/x?a?b", 0, P, "/x" },
    { "/x?q=caf%C3%A9", 0, P, "/x" },
    { "/x?q=caf\xc3\xa9", 0, P, "/x" },
    { "/x?q=%e2%80%a7", 0, P, "/x" },
    { "/x?q=%2525", 0, P, "/x" },
    { "/x?wsdl", 0, P, "/x" },
    { "/a/b?c/../d", 0, P, "/a/b" },
    { "/a?..;/", 0, P, "/a" },
    { "/x?q=%2525%30a", 0, P, "/x" },

    /* percent-decoding once */
    { "/%61pi", 0, P, "/api" },
    { "/%41PI", 0, P, "/API" },
    { "/%61%70%69", 0, P, "/api" },
    { "/a%20b", 0, P, "/a b" },
    { "/%7euser", 0, P, "/~user" },
    { "/a%2db", 0, P, "/a-b" },
    { "/a%3ab", 0, P, "/a:b" },
    { "/a%40b", 0, P, "/a@b" },
    { "/%5bx%5d", 0, P, "/[x]" },
    { "/%73ervices/Foo", 0, P, "/services/Foo" },
    { "/%53ERVICES", 0, P, "/SERVICES" },

    /* UTF-8, raw and encoded */
    { "/caf%c3%a9", 0, P, "/caf\xc3\xa9" },
    { "/caf\xc3\xa9", 0, P, "/caf\xc3\xa9" },
    { "/%e2%82%ac", 0, P, "/\xe2\x82\xac" },
    { "/%f0%9f%98%80", 0, P, "/\xf0\x9f\x98\x80" },
    { "/%ef%bf%bf", 0, P, "/\xef\xbf\xbf" },
    { "/%f4%8f%bf%bf", 0, P, "/\xf4\x8f\xbf\xbf" },
    { "/%ed%9f%bf", 0, P, "/\xed\x9f\xbf" },
    { "/%ee%80%80", 0, P, "/\xee\x80\x80" },
    { "/%c2%a0", 0, P, "/\xc2\xa0" },
    { "/%c2%a0", 0, P, "/\xc2\xa0" },
    { "/%e0%a0%80", 0, P, "/\xe0\xa0\x80" },
    { "/%f0%90%80%80", 0, P, "/\xf0\x90\x80\x80" },
    { "/\xe2\x80\xa7", 0, P, "/\xe2\x80\xa7" },

    /* dot segments resolved */
    { "/.", 0, P, "/" },
    { "/./", 0, P, "/" },
    { "/a/.", 0, P, "/a/" },
    { "/a/./", 0, P, "/a/" },
    { "/a/./b", 0, P, "/a/b" },
    { "/a/../b", 0, P, "/b" },
    { "/a/b/..", 0, P, "/a/" },
    { "/a/b/../", 0, P, "/a/" },
    { "/a/b/../../c", 0, P, "/c" },
    { "/a/b/./../c", 0, P, "/a/c" },
    { "/a/.//b", 0, P, "/a/b" },
    { "/a/.//b", 0, P, "/a/b" },
    { "/a/./;x/b", 0, P, "/a/b" },
    { "/a/..", 0, P, "/" },
    { "/%2e", 0, P, "/" },
    { "/a/%2e/b", 0, P, "/a/b" },
    { "/a/%2E%2E/b", 0, P, "/b" },
    { "/a/.%2e/b", 0, P, "/b" },
    { "/a/%2e./b", 0, P, "/b" },
    { "/a/b/%2e%2e", 0, P, "/a/" },
    { "/api/../services/x", 0, P, "/services/x" },
    { "/api/%2e%2e/services/x", 0, P, "/services/x" },

    /* repeated slashes merged */
    { "//", 0, P, "/" },
    { "///", 0, P, "/" },
    { "//services//x", 0, P, "/services/x" },
    { "/api//", 0, P, "/api/" },
    { "/a//b", 0, P, "/a/b" },
    { "/a///b//", 0, P, "/a/b/" },
    { "//a", 0, P, "/a" },

    /* ';' parameters removed */
    { "/a;x=1/b", 0, P, "/a/b" },
    { "/a;/b", 0, P, "/a/b" },
    { "/a;b/c", 0, P, "/a/c" },
    { "/;/x", 0, P, "/x" },
    { "/;", 0, P, "/" },
    { "/;x", 0, P, "/" },
    { "/a;jsessionid=ABC", 0, P, "/a" },
    { "/a;x;y/b", 0, P, "/a/b" },
    { "/services;x/Foo", 0, P, "/services/Foo" },
    { "/a/;x", 0, P, "/a/" },
    { "/a;x/../b", 0, DS, NULL },
    { "/a/...;x/b", 0, P, "/a/.../b" },
    { "/a;.././b", 0, DS, NULL },
    { "/a/.x;y", 0, P, "/a/.x" },

    /* encoding: not a path */
    { "", 0, EN, NULL },
    { "api", 0, EN, NULL },
    { "*", 0, EN, NULL },
    { "a/b", 0, EN, NULL },
    { "?x", 0, EN, NULL },
    { "%2fapi", 0, EN, NULL },

    /* encoding: invalid escapes, path and query */
    { "/%", 0, EN, NULL },
    { "/a%", 0, EN, NULL },
    { "/%4", 0, EN, NULL },
    { "/%4g", 0, EN, NULL },
    { "/%g4", 0, EN, NULL },
    { "/%zz", 0, EN, NULL },
    { "/%%41", 0, EN, NULL },
    { "/%u0041", 0, EN, NULL },
    { "/%U0041", 0, EN, NULL },
    { "/x?q=%", 0, EN, NULL },
    { "/x?q=%4", 0, EN, NULL },
    { "/x?q=%zz", 0, EN, NULL },
    { "/x?q=%u2028", 0, EN, NULL },
    { "/x?q=%G0", 0, EN, NULL },

    /* encoding: encoded delimiters in the path */
    { "/a%2fb", 0, EN, NULL },
    { "/a%2Fb", 0, EN, NULL },
    { "/a%5cb", 0, EN, NULL },
    { "/a%5Cb", 0, EN, NULL },
    { "/a%3fb", 0, EN, NULL },
    { "/a%3Fb", 0, EN, NULL },
    { "/a%23b", 0, EN, NULL },
    { "/a%3bb", 0, EN, NULL },
    { "/a%3Bb", 0, EN, NULL },
    { "/..%2f", 0, EN, NULL },
    { "/..%5c", 0, EN, NULL },
    { "/%2e%2e%2f", 0, EN, NULL },
    { "/..%3b/x", 0, EN, NULL },
    { "/services%2fFoo", 0, EN, NULL },

    /* encoding: raw delimiters */
    { "/a\\b", 0, EN, NULL },
    { "/a\\..\\b", 0, EN, NULL },
    { "/..\\x", 0, EN, NULL },
    { "/a#b", 0, EN, NULL },
    { "/a#", 0, EN, NULL },
    { "/a?b#c", 0, EN, NULL },

    /* encoding: double encoding in the path */
    { "/a%25", 0, EN, NULL },
    { "/%252e", 0, EN, NULL },
    { "/%252e%252e/x", 0, EN, NULL },
    { "/%252f", 0, EN, NULL },
    { "/%2573ervices", 0, EN, NULL },
    { "/%25%32%65", 0, EN, NULL },
    { "/100%25", 0, EN, NULL },

    /* encoding: invalid or overlong UTF-8 after decoding */
    { "/%c0%af", 0, EN, NULL },
    { "/%c0%ae", 0, EN, NULL },
    { "/%c0%ae%c0%ae/x", 0, EN, NULL },
    { "/%C0%AE%C0%AE%C0%AF", 0, EN, NULL },
    { "/%c1%9c", 0, EN, NULL },
    { "/%c1%bf", 0, EN, NULL },
    { "/%e0%80%af", 0, EN, NULL },
    { "/%e0%9f%bf", 0, EN, NULL },
    { "/%f0%80%80%af", 0, EN, NULL },
    { "/%f0%8f%bf%bf", 0, EN, NULL },
    { "/%ed%a0%80", 0, EN, NULL },
    { "/%ed%bf%bf", 0, EN, NULL },
    { "/%f4%90%80%80", 0, EN, NULL },
    { "/%f5%80%80%80", 0, EN, NULL },
    { "/%f8%88%80%80%80", 0, EN, NULL },
    { "/%ff", 0, EN, NULL },
    { "/%fe", 0, EN, NULL },
    { "/%80", 0, EN, NULL },
    { "/%bf", 0, EN, NULL },
    { "/%e9", 0, EN, NULL },
    { "/%c3", 0, EN, NULL },
    { "/%c3/", 0, EN, NULL },
    { "/%e2%82", 0, EN, NULL },
    { "/%e2%82x", 0, EN, NULL },
    { "/%f0%9f%98", 0, EN, NULL },
    { "/%c3%a9%a9", 0, EN, NULL },
    { "/\xc0\xaf", 0, EN, NULL },
    { "/\xc0\xae\xc0\xae/", 0, EN, NULL },
    { "/\xff", 0, EN, NULL },
    { "/\x80", 0, EN, NULL },
    { "/\xc3", 0, EN, NULL },
    { "/\xe9t\xe9", 0, EN, NULL },
    { "/\xed\xa0\x80", 0, EN, NULL },
    { "/%c3\xa9x%a9", 0, EN, NULL },
    { "/x?q=%c0%ae", 0, EN, NULL },
    { "/x?q=%c0%af", 0, EN, NULL },
    { "/x?q=\xff", 0, EN, NULL },
    { "/x?q=%e9", 0, EN, NULL },
    { "/x?q=%f0%9f", 0, EN, NULL },
    { "/x?q=%ed%a0%80", 0, EN, NULL },
    { "/%c3?%a9", 0, EN, NULL },

    /* control characters: raw and encoded in the path */
    { "/a\nb", 0, CC, NULL },
    { "/a\rb", 0, CC, NULL },
    { "/a\tb", 0, CC, NULL },
    { "/a\x01", 0, CC, NULL },
    { "/a\x1f", 0, CC, NULL },
    { "/a\x7f", 0, CC, NULL },
    { "/a\0b", 4, CC, NULL },
    { "/\0", 2, CC, NULL },
    { "\0", 1, CC, NULL },
    { "/a%0a", 0, CC, NULL },
    { "/a%0A", 0, CC, NULL },
    { "/a%0d", 0, CC, NULL },
    { "/a%0D", 0, CC, NULL },
    { "/a%0d%0aSet-Cookie:x", 0, CC, NULL },
    { "/a%00", 0, CC, NULL },
    { "/a%00.html", 0, CC, NULL },
    { "/a%01", 0, CC, NULL },
    { "/a%09", 0, CC, NULL },
    { "/a%1b[31m", 0, CC, NULL },
    { "/a%1f", 0, CC, NULL },
    { "/a%7f", 0, CC, NULL },
    { "/a%7F", 0, CC, NULL },

    /* control characters: raw, encoded, double-encoded in the query */
    { "/x?q=\n", 0, CC, NULL },
    { "/x?q=\r\n", 0, CC, NULL },
    { "/x?q=\0", 7, CC, NULL },
    { "/x?\0", 4, CC, NULL },
    { "/x?q=\x7f", 0, CC, NULL },
    { "/x?q=%0a", 0, CC, NULL },
    { "/x?q=%0A", 0, CC, NULL },
    { "/x?q=%0d", 0, CC, NULL },
    { "/x?q=%00", 0, CC, NULL },
    { "/x?q=%7f", 0, CC, NULL },
    { "/x?q=%250d%250a", 0, CC, NULL },
    { "/x?q=%250D%250A", 0, CC, NULL },
    { "/x?q=%250d", 0, CC, NULL },
    { "/x?q=%250a", 0, CC, NULL },
    { "/x?q=%2500", 0, CC, NULL },
    { "/x?q=%257f", 0, CC, NULL },
    { "/x?q=%257F", 0, CC, NULL },
    { "/x?q=%251f", 0, CC, NULL },
    { "/x?q=%2509", 0, CC, NULL },
    { "/x?q=%25%30%61", 0, CC, NULL },
    { "/x?q=%25%30a", 0, CC, NULL },
    { "/x?q=%%250a", 0, CC, NULL },
    { "/x?q=100%%0a", 0, CC, NULL },

    /* Unicode line breaks: raw, encoded, double-encoded */
    { "/a%c2%85", 0, CC, NULL },
    { "/a%C2%85", 0, CC, NULL },
    { "/a\xc2\x85", 0, CC, NULL },
    { "/a%e2%80%a8", 0, CC, NULL },
    /* the bidi marks LRM, RLM and ALM, escaped and raw, path and query */
    { "/a%e2%80%8e", 0, CC, NULL },
    { "/a%E2%80%8F/b", 0, CC, NULL },
    { "/a%d8%9c", 0, CC, NULL },
    { "/a\xe2\x80\x8e", 0, CC, NULL },
    { "/a\xd8\x9c", 0, CC, NULL },
    { "/x?q=%e2%80%8e", 0, CC, NULL },
    { "/x?q=%e2%80%8f", 0, CC, NULL },
    { "/x?q=%d8%9c", 0, CC, NULL },
    { "/x?q=\xe2\x80\x8f", 0, CC, NULL },
    /* their neighbours are ordinary text */
    { "/a%e2%80%8d", 0, P, "/a\xe2\x80\x8d" },
    { "/a%e2%80%90", 0, P, "/a\xe2\x80\x90" },
    { "/a%d8%9b", 0, P, "/a\xd8\x9b" },
    { "/a%E2%80%A9", 0, CC, NULL },
    { "/a\xe2\x80\xa8", 0, CC, NULL },
    { "/a\xe2\x80\xa9", 0, CC, NULL },
    { "/a\xe2%80%a8", 0, CC, NULL },
    { "/x?q=%c2%85", 0, CC, NULL },
    /* C1 controls, line separators, bidi controls */
    { "/%c2%80", 0, CC, NULL },
    { "/%c2%9f", 0, CC, NULL },
    { "/a\xc2\x9b[31m", 0, CC, NULL },
    { "/x?q=%c2%9b", 0, CC, NULL },
    { "/%e2%80%aa", 0, CC, NULL },
    { "/%e2%80%ae", 0, CC, NULL },
    { "/x?q=%E2%80%AE", 0, CC, NULL },
    { "/%e2%81%a6", 0, CC, NULL },
    { "/%e2%81%a9", 0, CC, NULL },
    { "/\xe2\x81\xa7", 0, CC, NULL },
    { "/x?q=\xe2\x80\xad", 0, CC, NULL },
    { "/x?q=%25e2%2580%25ae", 0, CC, NULL },
    { "/x%25e2%2581%25a8", 0, CC, NULL },
    /* their neighbours are fine */
    { "/%e2%80%af", 0, P, "/\xe2\x80\xaf" },
    { "/%e2%81%a5", 0, P, "/\xe2\x81\xa5" },
    { "/%e2%81%aa", 0, P, "/\xe2\x81\xaa" },
    { "/x?q=%c2%a0", 0, P, "/x" },
    { "/x?q=\xc2\x85", 0, CC, NULL },
    { "/x?q=%e2%80%a8", 0, CC, NULL },
    { "/x?q=%E2%80%A9", 0, CC, NULL },
    { "/x?q=\xe2\x80\xa8", 0, CC, NULL },
    { "/x?q=%25c2%2585", 0, CC, NULL },
    { "/x?q=%25C2%2585", 0, CC, NULL },
    { "/x?q=%25e2%2580%25a8", 0, CC, NULL },
    { "/x?q=%25E2%2580%25A9", 0, CC, NULL },

    /* double-encoded control characters in the path: control wins over
     * the '%25' encoding error */
    { "/a%250a", 0, CC, NULL },
    { "/a%250d%250a", 0, CC, NULL },
    { "/a%25e2%2580%25a8", 0, CC, NULL },

    /* precedence: control anywhere > encoding > dot segment */
    { "api\n", 0, CC, NULL },
    { "/%zz%0a", 0, CC, NULL },
    { "/%c0%af%0d", 0, CC, NULL },
    { "/..%0a", 0, CC, NULL },
    { "/..;/%0a", 0, CC, NULL },
    { "/%2e%2e/x?%0a", 0, CC, NULL },
    { "/a#b%0a", 0, CC, NULL },
    { "/a%2f%0a", 0, CC, NULL },
    { "/a%5c?q=%250a", 0, CC, NULL },
    { "/x?%c0%e2%80%a8", 0, CC, NULL },
    { "/x?%e2%e2%80%a8", 0, CC, NULL },
    { "/%c0\xe2\x80\xa8", 0, CC, NULL },
    { "/%e2%80\xe2\x80\xa9", 0, CC, NULL },
    { "/../%zz", 0, EN, NULL },
    { "/..;/%2f", 0, EN, NULL },
    { "/../x?q=%", 0, EN, NULL },
    { "/..;/x?q=#", 0, EN, NULL },

    /* dot segments that climb above the root */
    { "/..", 0, DS, NULL },
    { "/../", 0, DS, NULL },
    { "/../x", 0, DS, NULL },
    { "/..?x=1", 0, DS, NULL },
    { "/a/../..", 0, DS, NULL },
    { "/a/../../b", 0, DS, NULL },
    { "/a/b/../../..", 0, DS, NULL },
    { "/a/./../..", 0, DS, NULL },
    { "/%2e%2e/x", 0, DS, NULL },
    { "/%2E%2E", 0, DS, NULL },
    { "/.%2e", 0, DS, NULL },
    { "/%2e.", 0, DS, NULL },
    { "//../x", 0, DS, NULL },
    { "/./../x", 0, DS, NULL },

    /* dot segments after a ';' or an empty segment: httpd drops that
     * segment, a servlet container the one before it */
    { "/a//../b", 0, DS, NULL },
    { "/a/;/../b", 0, DS, NULL },
    { "/a/;x/../b", 0, DS, NULL },
    { "/a;x=1/../b", 0, DS, NULL },
    { "/internal/;/../api/x", 0, DS, NULL },
    { "/x/y/;/;/../../api/x", 0, DS, NULL },
    { "/internal//../api/x", 0, DS, NULL },
    { "/a//./b", 0, DS, NULL },
    { "/a/;/./b", 0, DS, NULL },
    { "/a;/b/c/%2e%2e/d", 0, DS, NULL },
    { "//a/../b", 0, DS, NULL },
    { "/a/;/b/./c", 0, DS, NULL },

    /* dot segments hidden by ';' parameters */
    { "/..;/x", 0, DS, NULL },
    { "/.;x/", 0, DS, NULL },
    { "/.;/", 0, DS, NULL },
    { "/a/..;jsessionid=1/b", 0, DS, NULL },
    { "/%2e%2e;/", 0, DS, NULL },
    { "/%2e;x", 0, DS, NULL },
    { "/a/.;", 0, DS, NULL },
    { "/a/..;", 0, DS, NULL },
    { "/a/b/..;x=1", 0, DS, NULL },
    { "/services/..;/x", 0, DS, NULL },
    { "/api/..;/services/x", 0, DS, NULL },
    { "/api/.%2e;/services/x", 0, DS, NULL },
    { "/a/b/c/..;;/d", 0, DS, NULL },
};
#define N_CASES (sizeof(cases) / sizeof(cases[0]))

/* Printable form of a raw target for test names. */
static const char *show(const char *s, size_t n)
{
    static char buf[512];
    size_t i, w = 0;

    for (i = 0; i < n && w + 5 < sizeof(buf); i++) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x20 || c >= 0x7f || c == '\\') {
            w += (size_t)snprintf(buf + w, sizeof(buf) - w, "\\x%02x", c);
        }
        else {
            buf[w++] = (char)c;
        }
    }
    buf[w] = '\0';
    return buf;
}

/* Run migate_canon on a raw target with exact-size copies. */
static migate_reason_e run(const char *target, size_t len, char **canon,
                           size_t *canon_len, size_t *path_len_out)
{
    const char *q = memchr(target, '?', len);
    size_t path_len = q ? (size_t)(q - target) : len;
    size_t query_len = q ? len - path_len - 1 : 0;
    char *p = malloc(path_len ? path_len : 1);
    char *qq = q ? malloc(query_len ? query_len : 1) : NULL;
    char *out = malloc(path_len + 1);
    migate_reason_e rv;

    memcpy(p, target, path_len);
    if (qq) {
        memcpy(qq, q + 1, query_len);
    }
    rv = migate_canon(p, path_len, qq, query_len, out, canon_len);
    free(p);
    free(qq);
    *canon = out;
    *path_len_out = path_len;
    return rv;
}

static void test_table(void)
{
    size_t i;

    for (i = 0; i < N_CASES; i++) {
        const path_case *c = &cases[i];
        size_t len = c->len ? c->len : strlen(c->target);
        char *canon, *again;
        size_t canon_len, again_len, path_len, dummy;
        const char *name = show(c->target, len);
        migate_reason_e rv;

        rv = run(c->target, len, &canon, &canon_len, &path_len);
        if (c->want == MIGATE_PASS) {
            ok(rv == MIGATE_PASS && strcmp(canon, c->canon) == 0
               && canon_len == strlen(c->canon) && canon_len <= path_len,
               "%s -> %s", name, show(c->canon, strlen(c->canon)));
            if (rv != MIGATE_PASS || strcmp(canon, c->canon) != 0) {
                diag("got %s \"%s\"", migate_reason_name(rv),
                     show(canon, strlen(canon)));
            }
            /* the canonical form is a fixed point */
            rv = run(canon, canon_len, &again, &again_len, &dummy);
            ok(rv == MIGATE_PASS && strcmp(again, canon) == 0,
               "  idempotent");
            /* and canonical as a path sent to MI */
            is_int(migate_sent_path_check(canon, canon_len), MIGATE_PASS,
                   "  canonical to send");
            free(again);
        }
        else {
            ok(rv == c->want && canon[0] == '\0' && canon_len == 0,
               "%s -> %s", name, migate_reason_name(c->want));
            if (rv != c->want) {
                diag("got %s \"%s\"", migate_reason_name(rv),
                     show(canon, strlen(canon)));
            }
        }
        free(canon);
    }
    diag("%u table cases", (unsigned)N_CASES);
}

/* Paths as mod_proxy would send them to MI: canonical or refused. */
static const struct {
    const char *path;
    migate_reason_e want;
} sent_cases[] = {
    { "/", P }, { "/api/x", P }, { "/api/x/", P }, { "/a;x=1/b", P },
    { "/a/.b/c", P }, { "/a/b./c", P }, { "/a/.../b", P },
    { "/%61pi", P }, { "/a%20b", P }, { "/services/X.Endpoint", P },
    { "/%2e%2e%2e/x", P }, { "/a%2ex", P },
    { "/a/./b", DS }, { "/a/../b", DS }, { "/a/.", DS }, { "/a/..", DS },
    { "/.", DS }, { "/..", DS }, { "/a/%2e/b", DS }, { "/a/%2E%2e/b", DS },
    { "/a/.%2E/b", DS }, { "/a/%2e./b", DS }, { "/a/..;x/b", DS },
    { "/a/.;/b", DS }, { "/a/%2e;/b", DS }, { "//a", DS }, { "/a//b", DS },
    { "/a/b//", DS }, { "/internal/../api/x", DS },
    { "/management/%2e%2e/api/x", DS }, { "/api/admin/./../x", DS },
    { "/a%2fb", EN }, { "/a%2Fb", EN }, { "/a%5cb", EN }, { "/a%3bb", EN },
    { "/a%3Bb", EN }, { "/a%25b", EN }, { "/a%3fb", EN }, { "/a%23b", EN },
    { "a/b", EN }, { "", EN },
};

/* check(text) on an exact-size heap copy with no NUL after it, so that
 * a read past the length is ASan's to see. */
static migate_reason_e unterminated(migate_reason_e (*check)(const char *,
                                                             size_t),
                                    const char *text)
{
    size_t n = strlen(text);
    char *p = malloc(n ? n : 1);
    migate_reason_e why;

    memcpy(p, text, n);
    why = check(p, n);
    free(p);
    return why;
}

static void test_sent(void)
{
    size_t i;

    for (i = 0; i < sizeof(sent_cases) / sizeof(sent_cases[0]); i++) {
        is_int(unterminated(migate_sent_path_check, sent_cases[i].path),
               sent_cases[i].want, "sent %s -> %s", sent_cases[i].path,
               migate_reason_name(sent_cases[i].want));
    }
}

/* What a request-target may hold as sent to MI. */
static const struct {
    const char *target;
    migate_reason_e want;
} target_cases[] = {
    { "/api/x?a=1&b=%22", P }, { "/", P }, { "/a;b=c/d", P },
    { "/-._~!$&'()*+,;=:@?/x%7C", P }, { "/a%20b", P },
    { "/a b", EN }, { "/a\"b", EN }, { "/a<b", EN }, { "/a>b", EN },
    { "/a|b", EN }, { "/a\\b", EN }, { "/a^b", EN }, { "/a`b", EN },
    { "/a{b", EN }, { "/a}b", EN }, { "/caf\xc3\xa9", EN },
    { "/x?q=a|b", EN }, { "/x?q=\"", EN }, { "/x?q=\xe2\x80\x8e", EN },
    { "/x?q=a b", EN }, { "/a\rb", CC }, { "/x?\x7f", CC },
    { "/x\tb", CC },
};

static void test_target(void)
{
    size_t i;

    for (i = 0; i < sizeof(target_cases) / sizeof(target_cases[0]); i++) {
        is_int(unterminated(migate_sent_target_check,
                            target_cases[i].target),
               target_cases[i].want, "target %zu -> %s", i,
               migate_reason_name(target_cases[i].want));
    }
    is_int(migate_sent_target_check("/a|b", 2), MIGATE_PASS,
           "target length bounds the input");
}

static void test_args(void)
{
    char out[8];
    size_t out_len = 99;
    migate_reason_e rv;

    /* a NULL query is allowed */
    rv = migate_canon("/a", 2, NULL, 0, out, &out_len);
    ok(rv == MIGATE_PASS && strcmp(out, "/a") == 0 && out_len == 2,
       "NULL query");
    rv = migate_canon("/a", 2, NULL, 5, out, &out_len);
    ok(rv == MIGATE_PASS && out_len == 2, "NULL query with a length");
    rv = migate_canon(NULL, 0, NULL, 0, out, &out_len);
    is_int(rv, MIGATE_R_ENCODING, "NULL path");
    /* only path_len bytes are read */
    rv = migate_canon("/a/b\n", 4, "x=1\r", 3, out, &out_len);
    ok(rv == MIGATE_PASS && strcmp(out, "/a/b") == 0,
       "lengths bound the input");
}

static void test_query_decode(void)
{
    char out[64];
    size_t n;

    n = migate_query_decode("wsdl", 4, out);
    ok(n == 4 && strcmp(out, "wsdl") == 0, "query_decode plain");
    n = migate_query_decode("%77SDL&a=%2Fservices%2fX", 24, out);
    ok(n == 18 && strcmp(out, "wSDL&a=/services/X") == 0,
       "query_decode escapes");
    n = migate_query_decode("a=%252f+b", 9, out);
    ok(n == 7 && strcmp(out, "a=%2f+b") == 0, "query_decode decodes once");
    n = migate_query_decode("50%", 3, out);
    ok(n == 3 && strcmp(out, "50%") == 0, "query_decode keeps a bare %%");
    n = migate_query_decode("", 0, out);
    ok(n == 0 && out[0] == '\0', "query_decode empty");
    n = migate_query_decode("a%2", 3, out);
    ok(n == 3 && strcmp(out, "a%2") == 0, "query_decode short escape");
}

/* migate_utf8_len: the status page's quoting reads UTF-8 with it. */
static void test_utf8_len(void)
{
    static const struct {
        const char *s;
        size_t want;
        const char *name;
    } cases[] = {
        { "a", 1, "ASCII" },
        { "\xc3\xa9x", 2, "two bytes" },
        { "\xe2\x82\xac", 3, "three bytes" },
        { "\xf0\x9f\x98\x80", 4, "four bytes" },
        { "\xc2\x85", 2, "a C1 control is well-formed" },
        { "\xc0\xaf", 0, "overlong" },
        { "\xed\xa0\x80", 0, "surrogate" },
        { "\xf4\x90\x80\x80", 0, "above U+10FFFF" },
        { "\x80", 0, "stray continuation byte" },
        { "\xe2\x82", 0, "cut short" },
        { "\xe2\x82x", 0, "broken" },
    };
    size_t i;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        is_int(migate_utf8_len((const unsigned char *)cases[i].s,
                               strlen(cases[i].s)), cases[i].want,
               "utf8_len: %s", cases[i].name);
    }
}

int main(void)
{
    test_table();
    test_args();
    test_sent();
    test_target();
    test_query_decode();
    test_utf8_len();
    return done_testing();
}
