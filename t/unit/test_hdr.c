/*
 * test_hdr.c - unit tests of migate_hdr.c: header values, Host,
 * X-Forwarded-For, the owned-header table (held against the docs and the
 * fuzz dictionary), W3C trace context, CIDR lists and log escaping.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <apr_general.h>
#include <apr_pools.h>

#include "tap.h"
#include "migate_core.h"
#include "migate_hdr.h"

/* A test input: bytes with an explicit length, so NULs can be tested. */
struct bytes_case {
    const char *s;
    size_t len;                 /* 0: strlen(s) */
    int want;
    const char *what;
};

#define S(lit) lit, sizeof(lit) - 1     /* literal with its exact length */

static size_t case_len(const struct bytes_case *c)
{
    return c->len ? c->len : strlen(c->s);
}

static void test_value_ok(void)
{
    static const struct bytes_case cases[] = {
        { S("text/html; charset=utf-8"), 1, "plain value" },
        { S(""), 1, "empty value" },
        { S("a\tb"), 1, "HTAB" },
        { S("\t"), 1, "HTAB alone" },
        { S(" spaced "), 1, "spaces" },
        { S("~!@#$%^&*()_+{}|:\"<>?`-=[]\\;',./"), 1, "punctuation" },
        { S("caf\xc3\xa9"), 1, "UTF-8 e-acute" },
        { S("\xe2\x82\xac"), 1, "UTF-8 euro sign" },
        { S("\xe2\x80\xa7"), 1, "U+2027 (next to LS)" },
        { S("\xe2\x80\xaf"), 1, "U+202F (after the bidi controls)" },
        { S("\xe2\x81\xa5"), 1, "U+2065" },
        { S("\xe2\x81\xaa"), 1, "U+206A" },
        { S("\xc2\x7f"), 0, "stray c2, then DEL" },
        { S("\xc2\xa0"), 1, "U+00A0 NBSP" },
        { S("\x80\xff\xfe"), 1, "obs-text bytes" },
        { S("\xc2"), 1, "lone c2 at end" },
        { S("\xe2\x80"), 1, "truncated e2 80 at end" },
        { S("a\rb"), 0, "CR" },
        { S("a\nb"), 0, "LF" },
        { S("a\r\nX-Evil: 1"), 0, "CRLF injection" },
        { S("a\0b"), 0, "NUL" },
        { S("\x01"), 0, "0x01" },
        { S("\x08"), 0, "0x08 (BS)" },
        { S("\x0b"), 0, "VT" },
        { S("\x0c"), 0, "FF" },
        { S("\x1b[31m"), 0, "ESC" },
        { S("\x1f"), 0, "0x1f" },
        { S("a\x7f"), 0, "DEL" },
        { S("x\xc2\x85y"), 0, "U+0085 NEL" },
        { S("x\xe2\x80\xa8y"), 0, "U+2028 LS" },
        { S("x\xe2\x80\xa9y"), 0, "U+2029 PS" },
        { S("\xe2\x80\xa9"), 0, "U+2029 alone" },
        { S("\xc2\xc2\x85"), 0, "NEL after a stray c2" },
        { S("\xc2\x80"), 0, "U+0080" },
        { S("\xc2\x84"), 0, "U+0084" },
        { S("a\xc2\x9b[31m"), 0, "U+009B CSI" },
        { S("\xc2\x9f"), 0, "U+009F" },
        { S("\xe2\x80\xaa"), 0, "U+202A LRE" },
        { S("x\xe2\x80\xaey"), 0, "U+202E RLO" },
        { S("\xe2\x81\xa6"), 0, "U+2066 LRI" },
        { S("\xe2\x81\xa9"), 0, "U+2069 PDI" },
    };
    size_t i;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        is_int(migate_hdr_value_ok(cases[i].s, case_len(&cases[i])),
               cases[i].want, "value_ok: %s", cases[i].what);
    }
    is_int(migate_hdr_value_ok("ab\ncd", 2), 1,
           "value_ok: looks only at len bytes");
}

static void test_host_ok(void)
{
    static char long_label[70], long_name[300], max_name[260];
    static const struct bytes_case cases[] = {
        { S("example.com"), 1, "host name" },
        { S("Example.COM"), 1, "mixed case" },
        { S("localhost"), 1, "single label" },
        { S("mi-edge-01.dmz.example.org"), 1, "hyphens inside" },
        { S("example.com."), 1, "trailing dot" },
        { S("example.com:8443"), 1, "name with port" },
        { S("example.com.:443"), 1, "trailing dot with port" },
        { S("a"), 1, "one letter" },
        { S("3com.net"), 1, "label starting with a digit" },
        { S("host.123abc"), 1, "last label mixed digits/letters" },
        { S("xn--bcher-kva.example"), 1, "punycode" },
        { S("127.0.0.1"), 1, "IPv4" },
        { S("10.1.2.3:80"), 1, "IPv4 with port" },
        { S("[::1]"), 1, "IPv6 loopback" },
        { S("[2001:db8::1]:8443"), 1, "IPv6 with port" },
        { S("[::ffff:192.0.2.1]"), 1, "v4-mapped IPv6" },
        { S("example.com:1"), 1, "port 1" },
        { S("example.com:65535"), 1, "port 65535" },
        { S(""), 0, "empty" },
        { S(":80"), 0, "port only" },
        { S("example.com:"), 0, "empty port" },
        { S("example.com:0"), 0, "port 0" },
        { S("example.com:65536"), 0, "port 65536" },
        { S("example.com:123456"), 0, "six-digit port" },
        { S("example.com:8a"), 0, "port not digits" },
        { S("example.com:+80"), 0, "signed port" },
        { S("example.com:80:81"), 0, "two ports" },
        { S("-example.com"), 0, "label starts with -" },
        { S("example-.com"), 0, "label ends with -" },
        { S("ex_ample.com"), 1, "underscore, as httpd admits" },
        { S("foo_bar.example.com:8080"), 1, "underscore with port" },
        { S("example..com"), 0, "empty label" },
        { S(".example.com"), 0, "leading dot" },
        { S("."), 0, "dot alone" },
        { S("example.com.."), 0, "two trailing dots" },
        { S("user@example.com"), 0, "userinfo" },
        { S("exa mple.com"), 0, "space" },
        { S("example.com "), 0, "trailing space" },
        { S("example.com/x"), 0, "slash" },
        { S("example.com%2f"), 0, "percent" },
        { S("example.com\r\nX: y"), 0, "CRLF" },
        { S("exa\0mple.com"), 0, "NUL" },
        { S("ex\xc3\xa4mple.com"), 0, "raw UTF-8" },
        { S("256.1.1.1"), 0, "IPv4 octet 256" },
        { S("1.2.3"), 0, "three-part IPv4" },
        { S("1.2.3.4.5"), 0, "five-part IPv4" },
        { S("01.2.3.4"), 0, "IPv4 leading zero" },
        { S("1.2.3.4."), 0, "IPv4 trailing dot" },
        { S("example.123"), 0, "numeric last label" },
        { S("0x7f.0.0.1"), 0, "hex IPv4 form (URL parsers: 127.0.0.1)" },
        { S("0x7f.example"), 1, "hex-looking label in a name" },
        { S("::1"), 0, "bare IPv6" },
        { S("[::1"), 0, "unclosed bracket" },
        { S("[::1]x"), 0, "junk after bracket" },
        { S("[::1\0]"), 0, "NUL in brackets" },
        { S("1.2.3.4\0"), 0, "NUL after IPv4" },
        { S("[::1]:"), 0, "bracket, empty port" },
        { S("[fe80::1%eth0]"), 0, "zone id" },
        { S("[127.0.0.1]"), 0, "IPv4 in brackets" },
        { S("[example.com]"), 0, "name in brackets" },
        { S("[]"), 0, "empty brackets" },
    };
    size_t i;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        is_int(migate_host_ok(cases[i].s, case_len(&cases[i])),
               cases[i].want, "host_ok: %s", cases[i].what);
    }
    is_int(migate_host_ok(NULL, 0), 0, "host_ok: NULL");

    /* Label and name length limits. */
    memset(long_label, 'a', 63);
    long_label[63] = '\0';
    is_int(migate_host_ok(long_label, 63), 1, "host_ok: 63-char label");
    long_label[63] = 'a';
    long_label[64] = '\0';
    is_int(migate_host_ok(long_label, 64), 0, "host_ok: 64-char label");

    /* 4 x 63 + 3 dots = 255 chars: too long; trimmed to 253: fine. */
    for (i = 0; i < 4; i++) {
        memset(long_name + i * 64, 'b', 63);
        long_name[i * 64 + 63] = '.';
    }
    long_name[255] = '\0';
    is_int(migate_host_ok(long_name, 255), 0, "host_ok: 255-char name");
    memcpy(max_name, long_name, 253);
    max_name[253] = '\0';
    is_int(migate_host_ok(max_name, 253), 1, "host_ok: 253-char name");
    max_name[253] = '.';
    max_name[254] = '\0';
    is_int(migate_host_ok(max_name, 254), 1,
           "host_ok: 253-char name and a trailing dot");
    is_int(migate_host_ok("example.com:80", 11), 1,
           "host_ok: looks only at len bytes");
}

static void test_xff_ok(void)
{
    static char big[2100];
    static const struct bytes_case cases[] = {
        { S("192.0.2.1"), 1, "one IPv4" },
        { S("2001:db8::1"), 1, "one IPv6" },
        { S("192.0.2.1, 198.51.100.7"), 1, "two with space" },
        { S("192.0.2.1,198.51.100.7"), 1, "two without space" },
        { S(" 192.0.2.1 ,\t2001:db8::2\t"), 1, "spaces and tabs" },
        { S("::ffff:192.0.2.1"), 1, "v4-mapped" },
        { S("::"), 1, "unspecified v6" },
        { S(""), 0, "empty" },
        { S(" "), 0, "blank" },
        { S("192.0.2.1,"), 0, "trailing comma" },
        { S(",192.0.2.1"), 0, "leading comma" },
        { S("192.0.2.1,,198.51.100.7"), 0, "empty element" },
        { S("192.0.2.1, ,198.51.100.7"), 0, "blank element" },
        { S("unknown"), 0, "unknown" },
        { S("192.0.2.1, unknown"), 0, "unknown second" },
        { S("192.0.2.1:8080"), 0, "port" },
        { S("[2001:db8::1]"), 0, "brackets" },
        { S("[2001:db8::1]:443"), 0, "brackets and port" },
        { S("\"192.0.2.1\""), 0, "quotes" },
        { S("a\" \"GET /forged"), 0, "log forging" },
        { S("192.0.2.1\r\n"), 0, "CRLF" },
        { S("192.0.2.1 198.51.100.7"), 0, "space separated" },
        { S("192.0.2.1;198.51.100.7"), 0, "semicolon" },
        { S("192.0.2.256"), 0, "bad octet" },
        { S("fe80::1%eth0"), 0, "zone id" },
        { S("example.com"), 0, "host name" },
        { S("192.0.2.1\0"), 0, "NUL" },
        { S("for=192.0.2.1"), 0, "Forwarded syntax" },
    };
    size_t i, len;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        is_int(migate_xff_ok(cases[i].s, case_len(&cases[i])),
               cases[i].want, "xff_ok: %s", cases[i].what);
    }
    is_int(migate_xff_ok(NULL, 0), 0, "xff_ok: NULL");

    /* 64 elements pass, 65 do not. */
    big[0] = '\0';
    for (i = 0; i < 64; i++) {
        strcat(big, i ? ",10.0.0.1" : "10.0.0.1");
    }
    is_int(migate_xff_ok(big, strlen(big)), 1, "xff_ok: 64 elements");
    strcat(big, ",10.0.0.1");
    is_int(migate_xff_ok(big, strlen(big)), 0, "xff_ok: 65 elements");

    /* Length: 2048 bytes pass (padding with blanks), 2049 do not. */
    memset(big, ' ', sizeof(big));
    memcpy(big, "10.0.0.1", 8);
    is_int(migate_xff_ok(big, 2048), 1, "xff_ok: 2048 bytes");
    is_int(migate_xff_ok(big, 2049), 0, "xff_ok: 2049 bytes");
    len = strlen("10.0.0.1, 10.0.0.2");
    is_int(migate_xff_ok("10.0.0.1, 10.0.0.2junk", len), 1,
           "xff_ok: looks only at len bytes");
}

struct cidr_case {
    const char *net;
    const char *ip;
    int want;
};

/* The other forwarded headers a trusted proxy may send. */
static void test_forwarded(void)
{
    static const struct {
        int (*fn)(const char *, size_t);
        const char *name;
        struct bytes_case c;
    } cases[] = {
        { migate_real_ip_ok, "real_ip", { S("192.0.2.1"), 1, "address" } },
        { migate_real_ip_ok, "real_ip", { S(" 2001:db8::1 "), 1, "v6" } },
        { migate_real_ip_ok, "real_ip", { S("192.0.2.1, 192.0.2.2"), 0,
                                          "a list" } },
        { migate_real_ip_ok, "real_ip", { S("unknown"), 0, "a word" } },
        { migate_real_ip_ok, "real_ip", { S(""), 0, "empty" } },
        { migate_host_list_ok, "host_list", { S("mi.example.com"), 1,
                                              "one name" } },
        { migate_host_list_ok, "host_list",
          { S("edge.example.com:443, 192.0.2.1"), 1, "name:port, IP" } },
        { migate_host_list_ok, "host_list", { S("[2001:db8::1]:8443"), 1,
                                              "IPv6 literal" } },
        { migate_host_list_ok, "host_list", { S("evil.com/x"), 0,
                                              "a path" } },
        { migate_host_list_ok, "host_list", { S("a\" \"b"), 0,
                                              "quotes" } },
        { migate_host_list_ok, "host_list", { S("a|b"), 0, "pipe" } },
        { migate_host_list_ok, "host_list", { S("a.example,"), 0,
                                              "empty element" } },
        { migate_host_list_ok, "host_list", { S("user@host"), 0,
                                              "userinfo" } },
        { migate_proto_list_ok, "proto", { S("https"), 1, "https" } },
        { migate_proto_list_ok, "proto", { S("HTTP, https"), 1,
                                           "a list, any case" } },
        { migate_proto_list_ok, "proto", { S("ftp"), 0, "ftp" } },
        { migate_proto_list_ok, "proto", { S("https x"), 0,
                                           "two words" } },
        { migate_forwarded_ok, "forwarded", { S("for=192.0.2.60"), 1,
                                              "for=" } },
        { migate_forwarded_ok, "forwarded",
          { S("for=192.0.2.60;proto=https;by=203.0.113.43"), 1,
            "three pairs" } },
        { migate_forwarded_ok, "forwarded",
          { S("for=\"[2001:db8::1]:4711\", for=192.0.2.43"), 1,
            "quoted IPv6, two elements" } },
        { migate_forwarded_ok, "forwarded", { S("for=_hidden"), 1,
                                              "obfuscated node" } },
        { migate_forwarded_ok, "forwarded", { S("for=\"a b\""), 0,
                                              "space in quotes" } },
        { migate_forwarded_ok, "forwarded", { S("for=\"a\\\"b\""), 0,
                                              "escape in quotes" } },
        { migate_forwarded_ok, "forwarded", { S("for=a|b"), 0, "pipe" } },
        { migate_forwarded_ok, "forwarded", { S("for"), 0, "no value" } },
        { migate_forwarded_ok, "forwarded", { S("=1.2.3.4"), 0,
                                              "no name" } },
        { migate_forwarded_ok, "forwarded", { S("for=1.2.3.4;"), 0,
                                              "empty pair" } },
        { migate_forwarded_ok, "forwarded", { S("for=\"\""), 0,
                                              "empty quotes" } },
        { migate_forwarded_ok, "forwarded", { S("for=1.2.3.4\0"), 0,
                                              "NUL" } },
    };
    size_t i;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        is_int(cases[i].fn(cases[i].c.s, case_len(&cases[i].c)),
               cases[i].c.want, "%s: %s", cases[i].name, cases[i].c.what);
    }
    ok(!migate_forwarded_ok(NULL, 0) && !migate_host_list_ok(NULL, 0)
       && !migate_proto_list_ok(NULL, 0) && !migate_real_ip_ok(NULL, 0),
       "forwarded checks: NULL");
}

static void test_cidr(apr_pool_t *p)
{
    static const struct cidr_case match[] = {
        { "10.0.0.0/8", "10.1.2.3", 1 },
        { "10.0.0.0/8", "10.255.255.255", 1 },
        { "10.0.0.0/8", "11.0.0.0", 0 },
        { "10.0.0.0/8", "9.255.255.255", 0 },
        { "192.168.1.0/24", "192.168.1.77", 1 },
        { "192.168.1.0/24", "192.168.2.1", 0 },
        { "172.16.0.0/12", "172.31.255.1", 1 },
        { "172.16.0.0/12", "172.32.0.1", 0 },
        { "192.0.2.128/25", "192.0.2.129", 1 },
        { "192.0.2.128/25", "192.0.2.127", 0 },
        { "127.0.0.1", "127.0.0.1", 1 },
        { "127.0.0.1", "127.0.0.2", 0 },
        { "0.0.0.0/0", "203.0.113.9", 1 },
        { "0.0.0.0/0", "2001:db8::1", 0 },
        { "10.0.0.1/8", "10.9.9.9", 1 },            /* host bits masked */
        { "10.0.0.0/8", "::ffff:10.1.2.3", 1 },     /* v4-mapped peer */
        { "10.0.0.0/8", "::ffff:11.1.2.3", 0 },
        { "127.0.0.1/32", "::ffff:127.0.0.1", 1 },
        { "::ffff:0:0/96", "::ffff:10.1.2.3", 1 },
        { "::/0", "::ffff:10.1.2.3", 1 },
        { "::/0", "10.1.2.3", 0 },
        { "::1", "::1", 1 },
        { "::1", "::2", 0 },
        { "::1/128", "0:0:0:0:0:0:0:1", 1 },
        { "2001:db8::/32", "2001:db8:ffff::1", 1 },
        { "2001:db8::/32", "2001:db9::1", 0 },
        { "2001:db8:abcd::/49", "2001:db8:abcd:7fff::1", 1 },
        { "2001:db8:abcd::/49", "2001:db8:abcd:8000::1", 0 },
        { "fe80::/10", "fe80::1%eth0", 1 },         /* zone from APR */
        { "fe80::/10", "febf::1", 1 },
        { "fe80::/10", "fec0::1", 0 },
        { "2001:db8::1/32", "2001:db8::dead", 1 },  /* host bits masked */
        { "10.0.0.0/8", "garbage", 0 },
        { "10.0.0.0/8", "", 0 },
        { "10.0.0.0/8", "10.1.2.3 ", 0 },
    };
    static const struct {
        const char *text;
        const char *err_has;
    } bad[] = {
        { "", "not an IP address or CIDR: ''" },
        { "x", "not an IP address or CIDR: 'x'" },
        { "example.com", "not an IP address or CIDR" },
        { "10.0.0.0/", "prefix length" },
        { "10.0.0.0/33", "from 0 to 32" },
        { "10.0.0.0/-1", "prefix length" },
        { "10.0.0.0/+8", "prefix length" },
        { "10.0.0.0/ 8", "prefix length" },
        { "10.0.0.0/8 ", "prefix length" },
        { "10.0.0.0/8/8", "prefix length" },
        { "10.0.0.0/255.0.0.0", "prefix length" },
        { "10.0.0.0/0008", "prefix length" },
        { "::/129", "from 0 to 128" },
        { "::1/1000", "prefix length" },
        { "10/8", "not an IP address or CIDR" },
        { "10.0.0/24", "not an IP address or CIDR" },
        { " 10.0.0.0/8", "not an IP address or CIDR" },
        { "10.0.0.256/24", "not an IP address or CIDR" },
        { "[::1]/128", "not an IP address or CIDR" },
        { "fe80::1%eth0/64", "not an IP address or CIDR" },
        { "/8", "not an IP address or CIDR" },
        { "1.2.3.4\n", "'1.2.3.4\\x0a'" },         /* error text escaped */
    };
    migate_cidr *nets[3];
    const char *err;
    size_t i;

    for (i = 0; i < sizeof(match) / sizeof(match[0]); i++) {
        migate_cidr *c = NULL;

        err = migate_cidr_parse(p, match[i].net, &c);
        ok(err == NULL && c != NULL, "cidr_parse('%s')", match[i].net);
        if (err == NULL) {
            is_int(migate_cidr_match(&c, 1, match[i].ip), match[i].want,
                   "cidr_match('%s', '%s') = %d", match[i].net,
                   match[i].ip, match[i].want);
        }
    }
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        migate_cidr *c = (migate_cidr *)&c;

        err = migate_cidr_parse(p, bad[i].text, &c);
        ok(err != NULL && strstr(err, bad[i].err_has) != NULL
           && c == NULL, "cidr_parse refuses '%s' (%s)",
           migate_log_escape(p, bad[i].text, strlen(bad[i].text), 80),
           err ? err : "no error");
    }

    /* A list: any member matches. */
    ok(migate_cidr_parse(p, "10.0.0.0/8", &nets[0]) == NULL
       && migate_cidr_parse(p, "2001:db8::/32", &nets[1]) == NULL
       && migate_cidr_parse(p, "192.0.2.7", &nets[2]) == NULL,
       "cidr_parse: a list of three");
    is_int(migate_cidr_match(nets, 3, "192.0.2.7"), 1, "list: third");
    is_int(migate_cidr_match(nets, 3, "2001:db8::7"), 1, "list: second");
    is_int(migate_cidr_match(nets, 3, "10.0.0.7"), 1, "list: first");
    is_int(migate_cidr_match(nets, 3, "192.0.2.8"), 0, "list: none");
    is_int(migate_cidr_match(nets, 2, "192.0.2.7"), 0, "list: n bounds");
    is_int(migate_cidr_match(nets, 0, "10.0.0.7"), 0, "list: empty");
    is_int(migate_cidr_match(NULL, 0, "10.0.0.7"), 0, "list: NULL");
    is_int(migate_cidr_match(nets, 3, NULL), 0, "list: NULL ip");
}

static void escape_is(apr_pool_t *p, const char *s, size_t len,
                      size_t max_in, const char *want, const char *what)
{
    is_str(migate_log_escape(p, s, len, max_in), want, "escape: %s", what);
}

static void test_escape(apr_pool_t *p)
{
    char all[256], *out;
    size_t i;
    int clean = 1;

    escape_is(p, S("/api/orders"), 100, "/api/orders", "plain path");
    escape_is(p, S(""), 100, "", "empty");
    escape_is(p, S("a\"b"), 100, "a\\\"b", "double quote");
    escape_is(p, S("a\\b"), 100, "a\\\\b", "backslash");
    escape_is(p, S("a'b|c"), 100, "a'b|c", "quote and bar stay");
    escape_is(p, S("a\r\nb"), 100, "a\\x0d\\x0ab", "CR LF");
    escape_is(p, S("\0"), 100, "\\x00", "NUL");
    escape_is(p, S("\t"), 100, "\\x09", "HTAB");
    escape_is(p, S("\x1b[2J"), 100, "\\x1b[2J", "ESC");
    escape_is(p, S("\x7f"), 100, "\\x7f", "DEL");
    escape_is(p, S("\xe2\x80\xa8"), 100, "\\xe2\\x80\\xa8", "U+2028");
    escape_is(p, S("\xff\xAB"), 100, "\\xff\\xab", "lowercase hex");
    escape_is(p, S(" ~"), 100, " ~", "printable bounds");
    escape_is(p, S("abcdef"), 3, "abc...", "cut at max_in");
    escape_is(p, S("abc"), 3, "abc", "exactly max_in: no mark");
    escape_is(p, S("abcd"), 0, "...", "max_in 0");
    escape_is(p, S("\n\n\n\n"), 2, "\\x0a\\x0a...", "cut escaped");
    escape_is(p, NULL, 0, 100, "", "NULL, 0");

    for (i = 0; i < 256; i++) {
        all[i] = (char)i;
    }
    out = migate_log_escape(p, all, 256, 256);
    for (i = 0; out[i]; i++) {
        unsigned char c = (unsigned char)out[i];
        if (c < 0x20 || c > 0x7e) {
            clean = 0;
        }
    }
    ok(clean, "escape: no byte outside 0x20-0x7e in the output");
    is_int(strlen(out), 4 * (32 + 1 + 128) + 2 * 2 + (95 - 2),
           "escape: all 256 bytes give the expected length");
}

/* A header that names headers (Connection, Trailer), read at least as
 * finely as mod_proxy reads Connection: white space, ',' and ';' end a
 * token. */
static void test_names_owned(void)
{
    static const struct bytes_case cases[] = {
        { S("close"), 0, "close" },
        { S("keep-alive, Upgrade"), 0, "ordinary tokens" },
        { S("X-Note"), 0, "another header" },
        { S("activityid"), 1, "activityid" },
        { S("close, ActivityID"), 1, "activityid, any case, in a list" },
        { S("close ,\tactivityid\t"), 1, "blanks around it" },
        { S("keep-alive activityid"), 1, "separated by a space" },
        { S("keep-alive\tactivityid"), 1, "separated by a tab" },
        { S("keep-alive\r\n activityid"), 1, "an obs-fold kept raw" },
        { S("keep-alive\vactivityid"), 1, "a VT (apr_isspace)" },
        { S("keep-alive\factivityid"), 1, "a FF (apr_isspace)" },
        { S("keep-alive;activityid"), 1, "separated by ';'" },
        { S(";activityid"), 1, "after a leading ';'" },
        { S("close,,activityid,"), 1, "among empty elements" },
        { S("x-forwarded-for"), 1, "X-Forwarded-For, lower case" },
        { S("X_Forwarded_For"), 1, "X-Forwarded-For with '_'" },
        { S("X-FORWARDED-PREFIX"), 1, "any X-Forwarded-*" },
        { S("X-Forwarded-"), 1, "the bare prefix" },
        { S("Forwarded"), 1, "Forwarded" },
        { S("x-real-ip, close"), 1, "X-Real-IP" },
        { S("traceparent"), 1, "traceparent" },
        { S("X-B3-TraceId"), 1, "X-B3-*" },
        { S("X-Request-ID"), 1, "X-Request-ID" },
        { S("\"x activityid\""), 0, "quoted: no header has that name" },
        { S("activityidx"), 0, "a longer name" },
        { S("xactivityid"), 0, "a name that ends like it" },
        { S("X-ForwardedX"), 0, "X-ForwardedX" },
        { S("Forwarded-Fo"), 0, "a shorter name" },
        { S("X-B3"), 0, "X-B3 without a dash" },
        { S(""), 0, "empty" },
        { S(",, ;\t"), 0, "separators only" },
    };
    const char *tok = NULL;
    size_t i, tok_len = 0;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        is_int(migate_names_owned(cases[i].s, case_len(&cases[i]),
                                  "activityid", NULL, NULL),
               cases[i].want, "names_owned: %s", cases[i].what);
    }
    is_int(migate_names_owned("X-Corr", 6, "X-Corr", NULL, NULL), 1,
           "names_owned: a configured id header");
    is_int(migate_names_owned("x_corr", 6, "X-Corr", NULL, NULL), 1,
           "names_owned: a configured id header, '_' and any case");
    is_int(migate_names_owned("close activityid", 16, "X-Corr", NULL, NULL),
           1, "names_owned: activityid with another id header");
    is_int(migate_names_owned(NULL, 0, "activityid", NULL, NULL), 0,
           "names_owned: NULL");
    is_int(migate_names_owned("close, x-real-ip ", 17, NULL, &tok, &tok_len),
           1, "names_owned: no id header");
    ok(tok_len == 9 && tok && !strncmp(tok, "x-real-ip", 9),
       "names_owned: the token is returned");
}

/* The table: one entry per enum value, in order, each flag coherent. */
static void test_owned_table(void)
{
    size_t i;
    int bad = 0;

    for (i = 0; i < MIGATE_OWN__COUNT; i++) {
        const migate_owned_hdr *o = &migate_owned[i];
        size_t n = o->name ? strlen(o->name) : 0;

        if (o->which != (migate_owned_e)i || n == 0 || o->len != n
            /* exactly one group */
            || !(o->flags & MIGATE_OWN_F_ROUTE) == !(o->flags
                                                     & MIGATE_OWN_F_TRACE)
            /* a validator exactly where a trusted peer's value is kept */
            || !(o->flags & MIGATE_OWN_F_TRUSTED) != !o->valid
            /* a prefix ends in '-', a name does not */
            || !(o->flags & MIGATE_OWN_F_PREFIX) != (o->name[n - 1] != '-')
            /* a name looks itself up */
            || migate_owned_lookup(o->name, n) != o) {
            diag("bad entry %u: %s", (unsigned)i, o->name ? o->name : "-");
            bad++;
        }
    }
    is_int(bad, 0, "owned: %d entries, each coherent", MIGATE_OWN__COUNT);
}

static void test_owned_lookup(void)
{
    static const struct {
        const char *name;
        int which;              /* -1: not owned */
    } cases[] = {
        { "X-Forwarded-For", MIGATE_OWN_X_FORWARDED_FOR },
        { "x-forwarded-for", MIGATE_OWN_X_FORWARDED_FOR },
        { "X_FORWARDED_FOR", MIGATE_OWN_X_FORWARDED_FOR },
        { "x_Forwarded-for", MIGATE_OWN_X_FORWARDED_FOR },
        { "X-Forwarded-Port", MIGATE_OWN_X_FORWARDED_PORT },
        { "X-Forwarded-Prefix", MIGATE_OWN_X_FORWARDED_ANY },
        { "X-Forwarded-Ssl", MIGATE_OWN_X_FORWARDED_ANY },
        { "X_Forwarded_Client_Cert", MIGATE_OWN_X_FORWARDED_ANY },
        { "X-Forwarded-", MIGATE_OWN_X_FORWARDED_ANY },
        { "X-Forwarded", MIGATE_OWN_X_FORWARDED },
        { "X_Forwarded", MIGATE_OWN_X_FORWARDED },
        { "Forwarded", MIGATE_OWN_FORWARDED },
        { "Forwarded-For", MIGATE_OWN_FORWARDED_FOR },
        { "X-Real-Ip", MIGATE_OWN_X_REAL_IP },
        { "true-client-ip", MIGATE_OWN_TRUE_CLIENT_IP },
        { "CF_CONNECTING_IP", MIGATE_OWN_CF_CONNECTING_IP },
        { "front-end-https", MIGATE_OWN_FRONT_END_HTTPS },
        { "x-http-method-override", MIGATE_OWN_X_HTTP_METHOD_OVERRIDE },
        { "ActivityId", MIGATE_OWN_ACTIVITYID },
        { "TRACEPARENT", MIGATE_OWN_TRACEPARENT },
        { "x-b3-traceid", MIGATE_OWN_X_B3_ANY },
        { "X_B3_SpanId", MIGATE_OWN_X_B3_ANY },
        { "B3", MIGATE_OWN_B3 },
        { "Uber_Trace_Id", MIGATE_OWN_UBER_TRACE_ID },
        { "x-correlation-id", MIGATE_OWN_X_CORRELATION_ID },
        { "X-Forwarde", -1 },
        { "X-Forwarded-For ", MIGATE_OWN_X_FORWARDED_ANY },
        { "XForwarded-For", -1 },
        { "Activity-Id", -1 },
        { "activityid2", -1 },
        { "traceparent-x", -1 },
        { "b3x", -1 },
        { "X-B3", -1 },
        { "Host", -1 },
        { "Via", -1 },
        { "X-Note", -1 },
        { "", -1 },
    };
    size_t i;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const migate_owned_hdr *o =
            migate_owned_lookup(cases[i].name, strlen(cases[i].name));
        is_int(o ? (int)o->which : -1, cases[i].which, "lookup: '%s'",
               cases[i].name);
    }
    is_int(migate_owned_name("X-Corr", 6, "x-corr"), 1,
           "owned_name: the id header");
    is_int(migate_owned_name("X_Corr", 6, "X-Corr"), 1,
           "owned_name: the id header with '_'");
    is_int(migate_owned_name("X-Corr", 6, NULL), 0,
           "owned_name: no id header");
    is_int(migate_owned_name("activityid", 10, "X-Corr"), 1,
           "owned_name: activityid whatever the id header");
    is_int(migate_hdr_name_eq("abc", 3, "ab", 2, 1), 1, "name_eq: prefix");
    is_int(migate_hdr_name_eq("abc", 3, "ab", 2, 0), 0, "name_eq: exact");
    is_int(migate_hdr_name_eq("a", 1, "ab", 2, 1), 0, "name_eq: shorter");
    is_int(migate_hdr_name_eq(NULL, 0, "", 0, 1), 0, "name_eq: NULL");
}

/* The model of the look-up: the whole table in order, bytes compared
 * ASCII-case-folded and '_' as '-', an exact entry over a prefix. */
static int m_fold(unsigned char c)
{
    return c == '_' ? '-' : (c >= 'A' && c <= 'Z') ? c + 32 : c;
}

static const migate_owned_hdr *m_lookup(const char *s, size_t n)
{
    const migate_owned_hdr *hit = NULL;
    size_t i, k;

    for (i = 0; i < MIGATE_OWN__COUNT; i++) {
        const migate_owned_hdr *o = &migate_owned[i];
        size_t on = strlen(o->name);
        int prefix = o->name[on - 1] == '-';

        if (prefix ? n < on : n != on) {
            continue;
        }
        for (k = 0; k < on && m_fold((unsigned char)s[k])
                                  == m_fold((unsigned char)o->name[k]); k++) {
        }
        if (k == on) {
            if (!prefix) {
                return o;
            }
            hit = o;
        }
    }
    return hit;
}

/* The indexed look-up answers as the model on every table name in
 * every spelling, each cut short, extended and with a byte changed, and
 * on random names over the bytes that matter (and some above 0x7f). */
static void test_owned_lookup_model(void)
{
    static const char alpha[] = "xX-_aAbBfFtT3\xc0\xe0";
    char buf[64];
    unsigned long seed = 12345;
    size_t i, n, k;
    int bad = 0, tried = 0;

#define TRY(s, len) do {                                                 \
        tried++;                                                         \
        if (migate_owned_lookup((s), (len)) != m_lookup((s), (len))) {   \
            if (bad++ < 5) diag("lookup differs on '%.*s'", (int)(len), (s)); \
        }                                                                \
    } while (0)

    for (i = 0; i < MIGATE_OWN__COUNT; i++) {
        const char *name = migate_owned[i].name;

        n = strlen(name);
        for (k = 0; k < n; k++) {
            buf[k] = name[k] == '-' ? '_' : (char)(name[k] ^ 0x20 * (name[k] >= 'A'));
        }
        TRY(name, n);
        TRY(buf, n);
        for (k = 0; k <= n; k++) {
            TRY(name, k);
        }
        memcpy(buf, name, n);
        memcpy(buf + n, "For", 3);
        TRY(buf, n + 3);
        for (k = 0; k < n; k++) {
            memcpy(buf, name, n);
            buf[k] = (char)(buf[k] + 1);
            TRY(buf, n);
            buf[k] = (char)0xc0;
            TRY(buf, n);
        }
    }
    for (i = 0; i < 200000; i++) {
        seed = seed * 6364136223846793005UL + 1442695040888963407UL;
        n = (seed >> 33) % 20;
        for (k = 0; k < n; k++) {
            seed = seed * 6364136223846793005UL + 1442695040888963407UL;
            buf[k] = alpha[(seed >> 33) % (sizeof(alpha) - 1)];
        }
        /* half of them start like an owned name */
        if (i & 1) {
            const char *name = migate_owned[(seed >> 40) % MIGATE_OWN__COUNT].name;
            size_t m = strlen(name);

            m = m < n ? m : n;
            memcpy(buf, name, m);
        }
        TRY(buf, n);
    }
#undef TRY
    is_int(bad, 0, "lookup: the index answers as the whole table, %d names",
           tried);
}

static void test_port_list(void)
{
    static const struct bytes_case cases[] = {
        { S("443"), 1, "one port" },
        { S("443, 8443"), 1, "two" },
        { S("1"), 1, "1" },
        { S("65535"), 1, "65535" },
        { S("0"), 0, "0" },
        { S("65536"), 0, "65536" },
        { S("443,"), 0, "empty element" },
        { S("443 8443"), 0, "space inside" },
        { S("-1"), 0, "sign" },
        { S("https"), 0, "a word" },
        { S("443|x"), 0, "pipe" },
        { S(""), 0, "empty" },
    };
    size_t i;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        is_int(migate_port_list_ok(cases[i].s, case_len(&cases[i])),
               cases[i].want, "port_list: %s", cases[i].what);
    }
}

/* The W3C Trace Context recommendation's own examples and the rules of
 * its section 3.2 (traceparent) and 3.3 (tracestate). */
static void test_trace_context(void)
{
    static const struct bytes_case tp[] = {
        { S("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"), 1,
          "the spec's example, sampled" },
        { S("00-0af7651916cd43dd8448eb211c80319c-b9c7c989f97918e1-00"), 1,
          "the spec's example, not sampled" },
        { S("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"), 1,
          "OpenTelemetry's example" },
        { S("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-ff"), 1,
          "all flags" },
        { S("00-00000000000000000000000000000000-b7ad6b7169203331-01"), 0,
          "zero trace id" },
        { S("00-0af7651916cd43dd8448eb211c80319c-0000000000000000-01"), 0,
          "zero parent id" },
        { S("00-0AF7651916CD43DD8448EB211C80319C-B7AD6B7169203331-01"), 0,
          "upper case" },
        { S("ff-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"), 0,
          "version ff" },
        { S("01-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"), 0,
          "a later version" },
        { S("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01-x"), 0,
          "version 00 with more" },
        { S("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-1"), 0,
          "short flags" },
        { S("00-0af7651916cd43dd8448eb211c80319-cb7ad6b7169203331-01"), 0,
          "dash moved" },
        { S("00_0af7651916cd43dd8448eb211c80319c_b7ad6b7169203331_01"), 0,
          "underscores" },
        { S("00-0af7651916cd43dd8448eb211c80319g-b7ad6b7169203331-01"), 0,
          "not hex" },
        { S(" 00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-0"), 0,
          "leading space" },
        { S("00-0af7651916cd43dd8448eb211c80319c-b7ad6b716920333|-01"), 0,
          "pipe" },
        { S(""), 0, "empty" },
    };
    static const struct bytes_case ts[] = {
        { S("congo=t61rcWkgMzE"), 1, "the spec's example" },
        { S("rojo=00f067aa0ba902b7,congo=t61rcWkgMzE"), 1,
          "the spec's two vendors" },
        { S("rojo=00f067aa0ba902b7 , congo=t61rcWkgMzE"), 1,
          "blanks around members" },
        { S("rojo=1,,congo=2"), 1, "an empty member" },
        { S("fw529a3039@dt=ZmY0"), 1, "multi-tenant key" },
        { S("1tenant@sys=x"), 1, "tenant starting with a digit" },
        { S("a-b_c*d/e=v a l"), 1, "key characters, spaces in a value" },
        { S("Congo=x"), 0, "upper case key" },
        { S("1congo=x"), 0, "simple key starting with a digit" },
        { S("congo"), 0, "no value" },
        { S("congo="), 0, "empty value" },
        { S("congo=a,b=c=d"), 0, "'=' in a value" },
        { S("congo=x "), 1, "trailing blank is list OWS" },
        { S("a@=x"), 0, "empty system id" },
        { S("@b=x"), 0, "empty tenant id" },
        { S("a@b1234567890123=x"), 1, "system id of 14" },
        { S("a@b12345678901234=x"), 0, "system id too long" },
        { S("congo=\x7f"), 0, "DEL in a value" },
        { S("congo=caf\xc3\xa9"), 0, "UTF-8 in a value" },
        { S(","), 0, "no member" },
        { S(""), 0, "empty" },
    };
    char many[33 * 4 + 1];
    char out[MIGATE_TRACEPARENT_LEN + 1];
    static const unsigned char rnd[8] = { 0xb7, 0xad, 0x6b, 0x71, 0x69,
                                          0x20, 0x33, 0x31 };
    static const unsigned char zero[8] = { 0 };
    size_t i;

    for (i = 0; i < sizeof(tp) / sizeof(tp[0]); i++) {
        is_int(migate_traceparent_ok(tp[i].s, case_len(&tp[i])), tp[i].want,
               "traceparent: %s", tp[i].what);
    }
    for (i = 0; i < sizeof(ts) / sizeof(ts[0]); i++) {
        is_int(migate_tracestate_ok(ts[i].s, case_len(&ts[i])), ts[i].want,
               "tracestate: %s", ts[i].what);
    }
    /* 32 members pass, 33 do not. */
    for (i = 0; i < 33; i++) {
        memcpy(many + 4 * i, "a=1,", 4);
    }
    is_int(migate_tracestate_ok(many, 32 * 4 - 1), 1, "tracestate: 32");
    is_int(migate_tracestate_ok(many, 33 * 4 - 1), 0, "tracestate: 33");

    is_int(migate_traceparent_make("0AF76519-16CD-43DD-8448-EB211C80319C",
                                   rnd, out), 0, "make: from an id");
    is_str(out, "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
           "make: the id's hex digits, lowercase, and the random parent");
    ok(migate_traceparent_ok(out, strlen(out)), "make: what it makes is ok");
    is_int(migate_traceparent_make("0af76519-16cd-43dd-8448-eb211c80319c",
                                   zero, out), 0, "make: zero random");
    is_str(out + 36, "0000000000000001-01", "make: never a zero parent id");
    is_int(migate_traceparent_make("not-a-uuid", rnd, out), -1,
           "make: refuses what is no UUID");
}

/* The line of a file that starts a table row naming an owned header:
 * "| `X-Forwarded-For` | ..." (a prefix written "X-Forwarded-*"). */
static int row_names(const char *line, const migate_owned_hdr *o)
{
    size_t n = strlen(o->name);
    int prefix = (o->flags & MIGATE_OWN_F_PREFIX) != 0;

    return !strncmp(line, "| `", 3) && !strncmp(line + 3, o->name, n)
        && !strncmp(line + 3 + n, prefix ? "*`" : "`", prefix ? 2 : 1);
}

/* docs/owned-headers.md has one row per entry, saying what the table
 * does with it, and no other; fuzz/migate.dict has every name. */
static void test_owned_docs(void)
{
    char line[1024];
    FILE *f;
    size_t i;
    int rows = 0, found[MIGATE_OWN__COUNT] = { 0 }, wrong = 0;

    f = fopen("docs/owned-headers.md", "r");
    ok(f != NULL, "docs/owned-headers.md can be read (run from the top)");
    /* The first run of rows that start with a header name. */
    while (f && fgets(line, sizeof(line), f)) {
        if (strncmp(line, "| `", 3) != 0) {
            if (rows > 0) {
                break;
            }
            continue;
        }
        rows++;
        for (i = 0; i < MIGATE_OWN__COUNT; i++) {
            const migate_owned_hdr *o = &migate_owned[i];

            if (!row_names(line, o)) {
                continue;
            }
            found[i]++;
            /* the trusted column says "kept" exactly when it is */
            if (!(o->flags & MIGATE_OWN_F_TRUSTED)
                != !strstr(line, "| kept")) {
                diag("docs row of %s: trusted column disagrees", o->name);
                wrong++;
            }
        }
    }
    if (f) {
        fclose(f);
    }
    for (i = 0; i < MIGATE_OWN__COUNT; i++) {
        if (found[i] != 1) {
            diag("docs: %s in %d rows", migate_owned[i].name, found[i]);
            wrong++;
        }
    }
    is_int(wrong, 0, "docs: one row per owned header, as the table says");
    is_int(rows, MIGATE_OWN__COUNT, "docs: no row of a header not owned");

    memset(found, 0, sizeof(found));
    f = fopen("fuzz/migate.dict", "r");
    ok(f != NULL, "fuzz/migate.dict can be read");
    while (f && fgets(line, sizeof(line), f)) {
        for (i = 0; i < MIGATE_OWN__COUNT; i++) {
            size_t n = strlen(migate_owned[i].name);

            if (line[0] == '"' && !strncmp(line + 1, migate_owned[i].name, n)
                && line[n + 1] == '"') {
                found[i] = 1;
            }
        }
    }
    if (f) {
        fclose(f);
    }
    wrong = 0;
    for (i = 0; i < MIGATE_OWN__COUNT; i++) {
        if (!found[i]) {
            diag("fuzz/migate.dict lacks \"%s\"", migate_owned[i].name);
            wrong++;
        }
    }
    is_int(wrong, 0, "fuzz dictionary: every owned name");
}

/* One list of schemes for the configuration test and the run time. */
static void test_url_is_tls(void)
{
    static const struct {
        const char *url;
        int tls;
    } cases[] = {
        { "https://mi:8253/", 1 }, { "HTTPS://mi/", 1 }, { "wss://mi/", 1 },
        { "h2://mi/", 1 }, { "balancer://mi/", 1 },
        { "unix:/run/mi.sock|https://mi/", 1 },
        { "http://mi:8290/", 0 }, { "ws://mi/", 0 }, { "h2c://mi/", 0 },
        { "ajp://mi:8009/", 0 }, { "fcgi://mi/", 0 }, { "scgi://mi/", 0 },
        { "uwsgi://mi/", 0 }, { "ftp://mi/", 0 },
        { "unix:/run/mi.sock|http://mi/", 0 }, { "gopher://mi/", 0 },
        { "https:/mi", 0 }, { "", 0 }, { "unix:/run/mi.sock", 0 },
    };
    size_t i;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        is_int(migate_url_is_tls(cases[i].url), cases[i].tls,
               "url_is_tls: %s", cases[i].url);
    }
    is_int(migate_url_is_tls(NULL), 0, "url_is_tls: NULL");

    /* The same table: plain, TLS or unknown, and the default ports. */
    is_int(migate_url_kind("fcgi://mi/"), MIGATE_URL_PLAIN, "kind: fcgi");
    is_int(migate_url_kind("unix:/run/mi.sock"), MIGATE_URL_PLAIN,
           "kind: unix socket alone");
    is_int(migate_url_kind("unix:/run/mi.sock|http://mi/"), MIGATE_URL_PLAIN,
           "kind: unix|http");
    is_int(migate_url_kind("H2://mi/"), MIGATE_URL_TLS, "kind: h2, any case");
    is_int(migate_url_kind("gopher://mi/"), MIGATE_URL_UNKNOWN,
           "kind: unknown scheme");
    is_int(migate_url_kind("$1://mi/"), MIGATE_URL_UNKNOWN,
           "kind: a scheme made at run time");
    is_int(migate_url_kind(NULL), MIGATE_URL_UNKNOWN, "kind: NULL");
    is_int((int)migate_url_default_port("ajp://mi/x"), 8009, "port: ajp");
    is_int((int)migate_url_default_port("https://mi/"), 443, "port: https");
    is_int((int)migate_url_default_port("uwsgi://mi/"), 3031, "port: uwsgi");
    is_int((int)migate_url_default_port("balancer://mi/"), 0,
           "port: balancer");
    is_int((int)migate_url_default_port("gopher://mi/"), 0, "port: unknown");
}

int main(void)
{
    apr_pool_t *p;

    apr_initialize();
    apr_pool_create(&p, NULL);
    test_value_ok();
    test_host_ok();
    test_xff_ok();
    test_forwarded();
    test_cidr(p);
    test_escape(p);
    test_names_owned();
    test_owned_table();
    test_owned_lookup();
    test_owned_lookup_model();
    test_port_list();
    test_trace_context();
    test_owned_docs();
    test_url_is_tls();
    apr_pool_destroy(p);
    apr_terminate();
    return done_testing();
}
