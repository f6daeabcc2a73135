/*
 * test_rules.c - unit tests of the compiled policy (migate_rules.c):
 * a table of requests against a few fixed policies, rule and service
 * name checks, and comparisons against plain matchers written here: of
 * the segment trie against a linear matcher, and of the merged regex
 * alternations against running every regex alone (PCRE2 syntax corner
 * cases, thousands of regexes, random regexes).
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include <apr_general.h>
#include <apr_pools.h>
#include <apr_strings.h>

#include "tap.h"
#include "migate_rules.h"

enum { P_MAIN, P_META, P_ROOT, P_SVC, P_EMPTY, P_KINDS, P__N };

static const char *const pol_names[P__N] = {
    "main", "meta", "root", "svc", "empty", "kinds"
};

#define PASS MIGATE_PASS
#define NA   MIGATE_R_NOT_ALLOWED
#define ME   MIGATE_R_METHOD
#define HD   MIGATE_R_HARD_DENY
#define SV   MIGATE_R_SERVICES
#define SM   MIGATE_R_SERVICE_METADATA
#define EN   MIGATE_R_ENCODING
#define CC   MIGATE_R_CONTROL_CHAR
#define DS   MIGATE_R_DOT_SEGMENT

typedef struct {
    int pol;
    const char *method;
    const char *target;     /* "path" or "path?query" */
    migate_reason_e want;
    int reportable;
} req_case;

static const req_case cases[] = {
    /* segment-aware prefixes, case-sensitive */
    { P_MAIN, "GET", "/api", PASS, 0 },
    { P_MAIN, "GET", "/api/", PASS, 0 },
    { P_MAIN, "GET", "/api/x/y", PASS, 0 },
    { P_MAIN, "POST", "/api/x", PASS, 0 },
    { P_MAIN, "DELETE", "/api", PASS, 0 },
    { P_MAIN, "FOO", "/api", PASS, 0 },
    { P_MAIN, "GET", "/apix", NA, 1 },
    { P_MAIN, "GET", "/ap", NA, 1 },
    { P_MAIN, "GET", "/API", NA, 1 },
    { P_MAIN, "GET", "/Api/x", NA, 1 },
    { P_MAIN, "GET", "/", NA, 1 },
    { P_MAIN, "GET", "/api//x", PASS, 0 },
    { P_MAIN, "GET", "/x/../api/y", PASS, 0 },
    { P_MAIN, "GET", "/api;v=1/x", PASS, 0 },
    { P_MAIN, "GET", "/%61pi/x", PASS, 0 },
    /* trailing-slash prefix with a method list */
    { P_MAIN, "GET", "/v1/", PASS, 0 },
    { P_MAIN, "GET", "/v1/x", PASS, 0 },
    { P_MAIN, "HEAD", "/v1/x", PASS, 0 },
    { P_MAIN, "GET", "/v1", NA, 1 },
    { P_MAIN, "GET", "/v1x", NA, 1 },
    { P_MAIN, "POST", "/v1/x", ME, 1 },
    { P_MAIN, "OPTIONS", "/v1/x", ME, 1 },
    { P_MAIN, "POST", "/v1", NA, 1 },
    /* exact rules */
    { P_MAIN, "GET", "/health", PASS, 0 },
    { P_MAIN, "HEAD", "/health", PASS, 0 },
    { P_MAIN, "POST", "/health", ME, 1 },
    { P_MAIN, "GET", "/health/", NA, 1 },
    { P_MAIN, "GET", "/health/x", NA, 1 },
    { P_MAIN, "GET", "/healthz", NA, 1 },
    { P_MAIN, "GET", "/x/", PASS, 0 },
    { P_MAIN, "GET", "/x", NA, 1 },
    { P_MAIN, "GET", "/x/y", NA, 1 },
    /* prefix with POST only */
    { P_MAIN, "POST", "/post/a", PASS, 0 },
    { P_MAIN, "POST", "/post", PASS, 0 },
    { P_MAIN, "GET", "/post/a", ME, 1 },
    { P_MAIN, "HEAD", "/post/a", ME, 1 },
    { P_MAIN, "PUT", "/post", ME, 1 },
    /* regexes: case-sensitive, per method set */
    { P_MAIN, "POST", "/re/abc", PASS, 0 },
    { P_MAIN, "GET", "/re/abc", ME, 1 },
    { P_MAIN, "POST", "/re/ABC", NA, 1 },
    { P_MAIN, "POST", "/re/abc/", NA, 1 },
    { P_MAIN, "GET", "/data/file.json", PASS, 0 },
    { P_MAIN, "HEAD", "/data/file.json", PASS, 0 },
    { P_MAIN, "POST", "/data/file.json", ME, 1 },
    { P_MAIN, "GET", "/data/file.JSON", NA, 1 },
    { P_MAIN, "GET", "/aa", PASS, 0 },
    { P_MAIN, "PUT", "/aa", PASS, 0 },
    { P_MAIN, "GET", "/ab", NA, 1 },
    { P_MAIN, "GET", "/Cs/x", PASS, 0 },
    { P_MAIN, "GET", "/cs/x", NA, 1 },
    { P_MAIN, "GET", "/CS/x", NA, 1 },
    { P_MAIN, "GET", "/ci/x", PASS, 0 },
    { P_MAIN, "GET", "/CI/x", PASS, 0 },
    { P_MAIN, "GET", "/q.x", PASS, 0 },
    { P_MAIN, "GET", "/qax", NA, 1 },
    { P_MAIN, "DELETE", "/del/1", PASS, 0 },
    { P_MAIN, "GET", "/del/1", ME, 1 },
    /* deny over allow, any case */
    { P_MAIN, "GET", "/api/internal", HD, 0 },
    { P_MAIN, "GET", "/api/internal/x", HD, 0 },
    { P_MAIN, "GET", "/API/INTERNAL/x", HD, 0 },
    { P_MAIN, "GET", "/api/Internal/", HD, 0 },
    { P_MAIN, "GET", "/api/internalx", PASS, 0 },
    { P_MAIN, "GET", "/api/x/internal", PASS, 0 },
    { P_MAIN, "GET", "/api/%49nternal", HD, 0 },
    { P_MAIN, "GET", "/api/secret", HD, 0 },
    { P_MAIN, "GET", "/api/SeCrEt/x", HD, 0 },
    { P_MAIN, "GET", "/api/x?token=SECRET", HD, 0 },
    { P_MAIN, "GET", "/api/%73ecret", HD, 0 },
    { P_MAIN, "GET", "/api/evil", HD, 0 },
    { P_MAIN, "GET", "/api/evil?x=1", HD, 0 },
    { P_MAIN, "GET", "/api/evil/x", PASS, 0 },
    { P_MAIN, "GET", "/api/deep/1/x", HD, 0 },
    { P_MAIN, "GET", "/api/deep/1", PASS, 0 },
    { P_MAIN, "GET", "/zzz", HD, 0 },
    { P_MAIN, "GET", "/ZZ/x", HD, 0 },
    /* built-in hard denies */
    { P_MAIN, "GET", "/management", HD, 0 },
    { P_MAIN, "GET", "/management/x", HD, 0 },
    { P_MAIN, "GET", "/Management/x", HD, 0 },
    { P_MAIN, "GET", "/DASHBOARD", HD, 0 },
    { P_MAIN, "GET", "/carbon/admin", HD, 0 },
    { P_MAIN, "GET", "/fileupload/x", HD, 0 },
    { P_MAIN, "GET", "/managementx", NA, 1 },
    { P_MAIN, "GET", "/api/management", PASS, 0 },
    /* methods never passed */
    { P_MAIN, "TRACE", "/api", ME, 0 },
    { P_MAIN, "TRACK", "/api", ME, 0 },
    { P_MAIN, "CONNECT", "/api", ME, 0 },
    { P_MAIN, "TRACE", "/services/Foo", ME, 0 },
    /* services, as MI sees them */
    { P_MAIN, "GET", "/services", SV, 0 },
    { P_MAIN, "GET", "/services?x", SV, 0 },
    { P_MAIN, "GET", "/services/", SV, 0 },
    { P_MAIN, "GET", "/Services", SV, 0 },
    { P_MAIN, "GET", "/Services/Foo", SV, 0 },
    { P_MAIN, "GET", "/SERVICES/Foo", SV, 0 },
    { P_MAIN, "GET", "/api/services/Bar", SV, 0 },
    { P_MAIN, "GET", "/api/Services/Bar", SV, 0 },
    { P_MAIN, "GET", "/api/services/Foo", SV, 0 },
    { P_MAIN, "GET", "/x?y=/services/Bar", SV, 0 },
    { P_MAIN, "GET", "/api?y=/services/Foo", SV, 0 },
    { P_MAIN, "GET", "/x?y=%2Fservices%2FBar", SV, 0 },
    { P_MAIN, "GET", "/x?y=%2fSERVICES%2fBar", SV, 0 },
    { P_MAIN, "GET", "//services//Foo", SV, 0 },
    { P_MAIN, "GET", "//services/Foo", SV, 0 },
    { P_MAIN, "GET", "/services//Foo", SV, 0 },
    { P_MAIN, "GET", "/services/Foo/../Bar", SV, 0 },
    { P_MAIN, "GET", "/services/Bar/../Foo", SV, 0 },
    { P_MAIN, "GET", "/services/./Foo", SV, 0 },
    { P_MAIN, "GET", "/x/../services/Foo", SV, 0 },
    { P_MAIN, "GET", "/api/x/../../services/Foo", SV, 0 },
    { P_MAIN, "GET", "/services/%46oo", SV, 0 },
    { P_MAIN, "GET", "/%73ervices/Foo", SV, 0 },
    { P_MAIN, "GET", "/services/Foo;x", SV, 0 },
    { P_MAIN, "GET", "/services/Foo;x/op", SV, 0 },
    { P_MAIN, "GET", "/services;x/Foo", SV, 0 },
    { P_MAIN, "GET", "/services/Foo/services/Bar", SV, 0 },
    { P_MAIN, "GET", "/services/Foo/Services/Foo", SV, 0 },
    { P_MAIN, "GET", "/services/Foo.Ep/services/x", SV, 0 },
    { P_MAIN, "GET", "/services/Foo?a=/services/Bar", SV, 0 },
    { P_MAIN, "GET", "/services/Foo?a=%2Fservices%2FBar", SV, 0 },
    { P_MAIN, "GET", "/services/FooBar", SV, 0 },
    /* Axis2 takes the name after the last "/services" + one byte */
    { P_MAIN, "GET", "/services/Foo?x=/servicesXSecret", SV, 0 },
    { P_MAIN, "GET", "/services/Foo?x=/SERVICES.Bar", SV, 0 },
    { P_MAIN, "GET", "/services/Foo?x=%2FservicesXBar", SV, 0 },
    { P_MAIN, "GET", "/services/Foo/servicesXBar", SV, 0 },
    { P_MAIN, "GET", "/services/Foo/op/sErViCeS-Bar", SV, 0 },
    { P_MAIN, "GET", "/services/Foo.Ep/servicesX", SV, 0 },
    { P_MAIN, "POST", "/services/Foo?/services_", SV, 0 },
    { P_MAIN, "GET", "/services/Foo/op/services", PASS, 0 },
    { P_MAIN, "GET", "/services/Foo?next=servicesX", PASS, 0 },
    { P_MAIN, "GET", "/services/foo", SV, 0 },
    { P_MAIN, "GET", "/services/FOO", SV, 0 },
    { P_MAIN, "GET", "/services/Fo", SV, 0 },
    { P_MAIN, "GET", "/services/.Foo", SV, 0 },
    { P_MAIN, "GET", "/services/Bar", SV, 0 },
    { P_MAIN, "GET", "/services/Foo", PASS, 0 },
    { P_MAIN, "GET", "/services/Foo/", PASS, 0 },
    { P_MAIN, "GET", "/services/Foo/op", PASS, 0 },
    { P_MAIN, "POST", "/services/Foo/op", PASS, 0 },
    { P_MAIN, "POST", "/services/Foo.SOAP11Endpoint", PASS, 0 },
    { P_MAIN, "GET", "/services/Foo.SOAP11Endpoint/op", PASS, 0 },
    { P_MAIN, "GET", "/services/Foo/x/../y", PASS, 0 },
    { P_MAIN, "GET", "/services/Foo/./op", PASS, 0 },
    { P_MAIN, "GET", "/services/Foo?x=1", PASS, 0 },
    { P_MAIN, "PUT", "/services/Baz_2", PASS, 0 },
    { P_MAIN, "GET", "/services/Foo/admin", HD, 0 },
    { P_MAIN, "GET", "/services/Foo/ADMIN/x", HD, 0 },
    { P_MAIN, "GET", "/servicesx", NA, 1 },
    { P_MAIN, "GET", "/api/services", PASS, 0 },
    { P_MAIN, "GET", "/api/servicesx/y", PASS, 0 },
    { P_MAIN, "GET", "/api/x?services=1", PASS, 0 },
    { P_MAIN, "GET", "/api/x?a=services/Foo", PASS, 0 },
    /* metadata queries, Off */
    { P_MAIN, "GET", "/api/x?wsdl", SM, 0 },
    { P_MAIN, "GET", "/api/x?WSDL", SM, 0 },
    { P_MAIN, "GET", "/api/x?wsdl2", SM, 0 },
    { P_MAIN, "GET", "/api/x?xsd=1", SM, 0 },
    { P_MAIN, "GET", "/api/x?xsd", SM, 0 },
    { P_MAIN, "GET", "/api/x?XSD=a.xsd", SM, 0 },
    { P_MAIN, "GET", "/api/x?xsdfoo", SM, 0 },
    { P_MAIN, "GET", "/api/x?info", SM, 0 },
    { P_MAIN, "GET", "/api/x?swagger.json", SM, 0 },
    { P_MAIN, "GET", "/api/x?Swagger.YAML", SM, 0 },
    { P_MAIN, "GET", "/api/x?policy", SM, 0 },
    { P_MAIN, "GET", "/api/x?a=1&wsdl", SM, 0 },
    { P_MAIN, "GET", "/api/x?a=1&wsdl=1&b", SM, 0 },
    { P_MAIN, "GET", "/api/x?wsdl=1", SM, 0 },
    { P_MAIN, "GET", "/api/x?%77sdl", SM, 0 },
    { P_MAIN, "GET", "/api/x?a=1%26wsdl", SM, 0 },
    { P_MAIN, "POST", "/api/x?wsdl", SM, 0 },
    { P_MAIN, "GET", "/services/Foo?wsdl", SM, 0 },
    { P_MAIN, "GET", "/api/x?wsdlx=1", PASS, 0 },
    { P_MAIN, "GET", "/api/x?a=wsdl", PASS, 0 },
    { P_MAIN, "GET", "/api/x?infox", PASS, 0 },
    /* the spellings of no kind: metadata all the same (SPEC
     * MiGateServiceMetadata), refused whatever the kinds */
    { P_MAIN, "GET", "/api/x?swagger", SM, 0 },
    { P_MAIN, "GET", "/api/x?OpenAPI", SM, 0 },
    { P_MAIN, "GET", "/api/x?openapi.json", SM, 0 },
    { P_MAIN, "GET", "/api/x?openapi.yaml", SM, 0 },
    { P_MAIN, "GET", "/api/x?tryit", SM, 0 },
    { P_MAIN, "GET", "/api/x?TryIt", SM, 0 },
    { P_MAIN, "GET", "/api/x?wadl", SM, 0 },
    { P_MAIN, "GET", "/api/x?WADL=1", SM, 0 },
    { P_MAIN, "GET", "/api/x?mex", SM, 0 },
    { P_MAIN, "GET", "/api/x?a=1&MEX", SM, 0 },
    { P_MAIN, "GET", "/api/x?%74ryit", SM, 0 },
    { P_MAIN, "GET", "/api/x?swaggerx", PASS, 0 },
    { P_MAIN, "GET", "/api/x?mexico=1", PASS, 0 },
    { P_MAIN, "GET", "/api/x?a=tryit", PASS, 0 },
    { P_MAIN, "GET", "/api/x?openapi.jsonx", PASS, 0 },
    { P_MAIN, "GET", "/api/x?xs=1", PASS, 0 },
    { P_MAIN, "GET", "/api/x?", PASS, 0 },
    /* metadata queries, On */
    { P_META, "GET", "/services/Foo?wsdl", PASS, 0 },
    { P_META, "HEAD", "/services/Foo?wsdl", PASS, 0 },
    { P_META, "OPTIONS", "/services/Foo?xsd=1", PASS, 0 },
    { P_META, "GET", "/services/Foo?wsdl2", PASS, 0 },
    { P_META, "GET", "/services/Foo?swagger.json", PASS, 0 },
    { P_META, "GET", "/services/Foo?OpenAPI.json", PASS, 0 },
    { P_META, "GET", "/services/Foo?openapi.yaml", PASS, 0 },
    { P_META, "GET", "/services/Foo?swagger", SM, 0 },
    { P_META, "GET", "/services/Foo?openapi", SM, 0 },
    { P_META, "GET", "/services/Foo?tryit", SM, 0 },
    { P_META, "GET", "/services/Foo?wadl", SM, 0 },
    { P_META, "GET", "/services/Foo?mex", SM, 0 },
    { P_META, "GET", "/services/Foo?wsdl&tryit", SM, 0 },
    { P_META, "GET", "/services/Baz_2?WSDL", PASS, 0 },
    { P_META, "POST", "/services/Foo?wsdl", SM, 0 },
    { P_META, "PUT", "/services/Foo?wsdl", SM, 0 },
    { P_META, "GET", "/services/Foo/op?wsdl", SM, 0 },
    { P_META, "GET", "/services/Foo/?wsdl", SM, 0 },
    { P_META, "GET", "/services/Foo.SOAP11Endpoint?wsdl", SM, 0 },
    { P_META, "GET", "/services/Foo/x/..?wsdl", SM, 0 },
    { P_META, "GET", "/services/Bar?wsdl", SV, 0 },
    { P_META, "GET", "/services/foo?wsdl", SV, 0 },
    { P_META, "GET", "/api/x?wsdl", SM, 0 },
    { P_META, "GET", "/services/Foo", PASS, 0 },
    /* metadata queries, only some kinds ("wsdl xsd") */
    { P_KINDS, "GET", "/services/Foo?wsdl", PASS, 0 },
    { P_KINDS, "GET", "/services/Foo?WSDL", PASS, 0 },
    { P_KINDS, "HEAD", "/services/Foo?xsd=a.xsd", PASS, 0 },
    { P_KINDS, "GET", "/services/Foo?XSD1", PASS, 0 },
    { P_KINDS, "GET", "/services/Foo?wsdl&xsd=1", PASS, 0 },
    { P_KINDS, "GET", "/services/Foo?%77sdl", PASS, 0 },
    { P_KINDS, "GET", "/services/Foo?wsdl2", SM, 0 },
    { P_KINDS, "GET", "/services/Foo?info", SM, 0 },
    { P_KINDS, "GET", "/services/Foo?%69nfo", SM, 0 },
    { P_KINDS, "GET", "/services/Foo?INFO", SM, 0 },
    { P_KINDS, "GET", "/services/Foo?a=1&info", SM, 0 },
    { P_KINDS, "GET", "/services/Foo?wsdl&info", SM, 0 },
    { P_KINDS, "GET", "/services/Foo?info&wsdl", SM, 0 },
    { P_KINDS, "GET", "/services/Foo?swagger.json", SM, 0 },
    { P_KINDS, "GET", "/services/Foo?Swagger.yaml", SM, 0 },
    { P_KINDS, "GET", "/services/Foo?openapi.json", SM, 0 },
    { P_KINDS, "GET", "/services/Foo?wsdl&mex", SM, 0 },
    { P_KINDS, "GET", "/services/Foo?policy", SM, 0 },
    { P_KINDS, "POST", "/services/Foo?wsdl", SM, 0 },
    { P_KINDS, "GET", "/services/Foo/op?wsdl", SM, 0 },
    { P_KINDS, "GET", "/api/x?wsdl", SM, 0 },
    { P_KINDS, "GET", "/services/Foo?a=info", PASS, 0 },
    /* allow "/": the always-enforced part still holds */
    { P_ROOT, "GET", "/", PASS, 0 },
    { P_ROOT, "GET", "/anything/x", PASS, 0 },
    { P_ROOT, "POST", "/a", PASS, 0 },
    { P_ROOT, "GET", "/management", HD, 0 },
    { P_ROOT, "GET", "/Management/x", HD, 0 },
    { P_ROOT, "GET", "/DASHBOARD", HD, 0 },
    { P_ROOT, "GET", "/dashboard/", HD, 0 },
    { P_ROOT, "GET", "/carbon/admin", HD, 0 },
    { P_ROOT, "GET", "/Carbon", HD, 0 },
    { P_ROOT, "GET", "/fileupload/x", HD, 0 },
    { P_ROOT, "GET", "/FileUpload", HD, 0 },
    { P_ROOT, "GET", "/%6danagement", HD, 0 },
    { P_ROOT, "GET", "/x/../management", HD, 0 },
    { P_ROOT, "GET", "//management", HD, 0 },
    { P_ROOT, "GET", "/management;x", HD, 0 },
    { P_ROOT, "GET", "/managementx", PASS, 0 },
    { P_ROOT, "GET", "/a/management", PASS, 0 },
    { P_ROOT, "TRACE", "/", ME, 0 },
    { P_ROOT, "TRACK", "/a", ME, 0 },
    { P_ROOT, "CONNECT", "/", ME, 0 },
    { P_ROOT, "GET", "/services", SV, 0 },
    { P_ROOT, "GET", "/services/Foo", SV, 0 },
    { P_ROOT, "GET", "/a?q=/services/", SV, 0 },
    { P_ROOT, "GET", "/a?wsdl", SM, 0 },
    { P_ROOT, "GET", "/a%2Fb", EN, 0 },
    { P_ROOT, "GET", "/a%zz", EN, 0 },
    { P_ROOT, "GET", "/a\\b", EN, 0 },
    { P_ROOT, "GET", "/a%00", CC, 0 },
    { P_ROOT, "GET", "/a%0d", CC, 0 },
    { P_ROOT, "GET", "/a?x=%0a", CC, 0 },
    { P_ROOT, "GET", "/a/../../b", DS, 0 },
    { P_ROOT, "GET", "/..;/x", DS, 0 },
    { P_ROOT, "GET", "a/b", EN, 0 },
    /* only a service opened: it is an allow rule of its own */
    { P_SVC, "GET", "/services/Foo", PASS, 0 },
    { P_SVC, "POST", "/services/Foo/op", PASS, 0 },
    { P_SVC, "POST", "/services/Foo.SOAP11Endpoint", PASS, 0 },
    { P_SVC, "GET", "/services/Bar", SV, 0 },
    { P_SVC, "GET", "/", NA, 1 },
    { P_SVC, "GET", "/api", NA, 1 },
    /* nothing configured */
    { P_EMPTY, "GET", "/", NA, 1 },
    { P_EMPTY, "GET", "/api/x", NA, 1 },
    { P_EMPTY, "TRACE", "/", ME, 0 },
    { P_EMPTY, "GET", "/management", HD, 0 },
    { P_EMPTY, "GET", "/services/Foo", SV, 0 },
};

static void must(const char *err, const char *what)
{
    if (err) {
        printf("Bail out! %s: %s\n", what, err);
        exit(1);
    }
}

static migate_methods_t mset(const char *list)
{
    migate_methods_t m = 0;
    const char *bad;
    size_t bad_len;

    must(migate_methods_parse(list, &m, &bad, &bad_len), list);
    return m;
}

static migate_policy *build_main(apr_pool_t *p, unsigned metadata)
{
    migate_policy *pol = migate_policy_make(p);

    must(migate_policy_allow(pol, MIGATE_RULE_PREFIX, "/api", 0, NULL), "api");
    must(migate_policy_allow(pol, MIGATE_RULE_PREFIX, "/v1/", mset("GET"), NULL),
         "v1");
    must(migate_policy_allow(pol, MIGATE_RULE_EXACT, "/health",
                             mset("GET"), NULL), "health");
    must(migate_policy_allow(pol, MIGATE_RULE_EXACT, "/x/", 0, NULL), "x/");
    must(migate_policy_allow(pol, MIGATE_RULE_PREFIX, "/post",
                             mset("POST"), NULL), "post");
    must(migate_policy_allow(pol, MIGATE_RULE_REGEX, "^/re/[a-z]+$",
                             mset("POST"), NULL), "re");
    must(migate_policy_allow(pol, MIGATE_RULE_REGEX, "\\.json$",
                             mset("GET"), NULL), "json");
    /* a back reference: kept apart from the merged alternation */
    must(migate_policy_allow(pol, MIGATE_RULE_REGEX, "^/(a)\\1$", 0, NULL), "aa");
    /* an inline option must not leak into the next alternative */
    must(migate_policy_allow(pol, MIGATE_RULE_REGEX, "(?i)^/ci/", 0, NULL), "ci");
    must(migate_policy_allow(pol, MIGATE_RULE_REGEX, "^/Cs/", 0, NULL), "Cs");
    must(migate_policy_allow(pol, MIGATE_RULE_REGEX, "^\\Q/q.x", 0, NULL), "Q");
    must(migate_policy_allow(pol, MIGATE_RULE_REGEX, "^/del/[0-9]+$",
                             mset("DELETE,PUT"), NULL), "del");
    must(migate_policy_deny(pol, MIGATE_RULE_PREFIX, "/API/Internal", NULL),
         "deny internal");
    must(migate_policy_deny(pol, MIGATE_RULE_PREFIX, "/services/Foo/Admin", NULL),
         "deny svc admin");
    must(migate_policy_deny(pol, MIGATE_RULE_PREFIX, "/api/deep/1/", NULL),
         "deny deep");
    must(migate_policy_deny(pol, MIGATE_RULE_REGEX, "secret", NULL), "secret");
    must(migate_policy_deny(pol, MIGATE_RULE_REGEX, "^/api/evil$", NULL), "evil");
    must(migate_policy_deny(pol, MIGATE_RULE_REGEX, "(*COMMIT)^/zz", NULL), "zz");
    must(migate_policy_service(pol, "Foo", NULL), "Foo");
    must(migate_policy_service(pol, "Baz_2", NULL), "Baz_2");
    must(migate_policy_service(pol, "Foo", NULL), "Foo again");
    migate_policy_set_metadata_kinds(pol, metadata);
    migate_policy_compile(pol);
    return pol;
}

static migate_reason_e decide_target(const migate_policy *pol,
                                     const char *method, const char *target,
                                     apr_pool_t *p, migate_verdict_t *v)
{
    migate_request_t rq;
    const char *q = strchr(target, '?');

    rq.method = method;
    rq.method_len = strlen(method);
    rq.path = target;
    rq.path_len = q ? (size_t)(q - target) : strlen(target);
    rq.query = q ? q + 1 : NULL;
    rq.query_len = q ? strlen(q + 1) : 0;
    return migate_policy_decide(pol, &rq, p, v);
}

static void test_table(migate_policy **pols, apr_pool_t *p)
{
    size_t i;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const req_case *c = &cases[i];
        migate_verdict_t v;
        migate_reason_e r = decide_target(pols[c->pol], c->method,
                                          c->target, p, &v);
        int good = r == c->want && v.reason == r
                   && v.reportable == c->reportable;
        ok(good, "%s: %s %s -> %s%s", pol_names[c->pol], c->method,
           c->target, migate_reason_name(c->want),
           c->reportable ? " (reportable)" : "");
        if (!good) {
            diag("got %s reportable=%d canon=%s", migate_reason_name(r),
                 v.reportable, v.canon ? v.canon : "(null)");
        }
        apr_pool_clear(p);
    }
}

static void test_verdict_fields(migate_policy **pols, apr_pool_t *p)
{
    migate_verdict_t v;

    decide_target(pols[P_MAIN], "GET", "/api/x/./y/../z;p", p, &v);
    is_str(v.canon, "/api/x/z", "canon is set on pass");
    is_int(v.canon_len, 8, "canon_len");
    decide_target(pols[P_MAIN], "TRACE", "/api", p, &v);
    ok(v.canon == NULL, "no canon when refused before canonicalising");
    decide_target(pols[P_MAIN], "GET", "/a%2Fb", p, &v);
    ok(v.canon == NULL, "no canon when the path is ambiguous");
    decide_target(pols[P_MAIN], "GET", "/services/Bar", p, &v);
    is_str(v.canon, "/services/Bar", "canon set on a services refusal");
    apr_pool_clear(p);
}

static void test_backend(migate_policy **pols, apr_pool_t *p)
{
    static const struct {
        const char *method, *target;
        migate_reason_e want;
    } bc[] = {
        { "GET", "/api/x", PASS },
        { "GET", "/not/allowed/but/fine", PASS },
        { "POST", "/v1/x", PASS },
        { "GET", "/services/Bar", SV },
        { "GET", "/services/Foo/op", PASS },
        { "GET", "/api/services/Foo", SV },
        { "GET", "/x?y=/services/Bar", SV },
        { "GET", "/management/x", HD },
        { "GET", "/api/Internal", HD },
        { "GET", "/x?wsdl", SM },
        { "TRACE", "/api", ME },
        { "GET", "/a%2Fb", EN },
        /* what mod_proxy sends must be canonical as it stands */
        { "GET", "/internal/../api/x", DS },
        { "GET", "/management/%2e%2e/api/x", DS },
        { "GET", "/api/admin/./../x", DS },
        { "GET", "/internal//api/x", DS },
        { "GET", "/api/x/..;/y", DS },
        { "GET", "/api/%2e/x", DS },
        { "GET", "/api/x%3b/y", EN },
        { "GET", "/api/x%25y", EN },
        { "GET", "/api/x%2f", EN },
        { "GET", "/api/x%0d", CC },
        { "GET", "/api/x?a=%0a", CC },
        { "GET", "/api/x;jsessionid=1", PASS },
        { "GET", "/services/Foo?x=/servicesXSecret", SV },
    };
    size_t i;
    migate_verdict_t v;

    for (i = 0; i < sizeof(bc) / sizeof(bc[0]); i++) {
        migate_request_t rq;
        const char *q = strchr(bc[i].target, '?');
        migate_reason_e r;

        rq.method = bc[i].method;
        rq.method_len = strlen(bc[i].method);
        rq.path = bc[i].target;
        rq.path_len = q ? (size_t)(q - bc[i].target)
                        : strlen(bc[i].target);
        rq.query = q ? q + 1 : NULL;
        rq.query_len = q ? strlen(q + 1) : 0;
        r = migate_policy_check_sent(pols[P_MAIN], &rq, p, &v);
        is_int(r, bc[i].want, "backend: %s %s -> %s", bc[i].method,
               bc[i].target, migate_reason_name(bc[i].want));
    }
    apr_pool_clear(p);
}

/* What decided: each refusal and each allow names its rule. */
static void test_rule_names(apr_pool_t *p)
{
    static const struct {
        const char *method, *target, *rule;
    } rc[] = {
        { "GET", "/api/x", "a.conf:1" },
        { "GET", "/api/private/x", "a.conf:4" },
        { "GET", "/api/x.BAK", "a.conf:5" },
        { "GET", "/api/x%2ebak", "a.conf:5" },
        { "GET", "/api/y.old", "a.conf:6" },
        { "GET", "/exact", "a.conf:2" },
        { "POST", "/exact", "builtin:default-deny" },
        { "GET", "/other", "builtin:default-deny" },
        { "GET", "/re/x", "a.conf:3" },
        { "POST", "/re/x", "a.conf:3" },
        { "GET", "/re2/x", "a.conf:8" },
        { "GET", "/x/re3/", "a.conf:9" },
        { "PUT", "/re3/re3/", "builtin:default-deny" },
        { "GET", "/re/x.old", "a.conf:6" },
        { "GET", "/services/Svc/op", "a.conf:7" },
        { "GET", "/services/Other", "builtin:services" },
        { "GET", "/api?wsdl", "builtin:service-metadata" },
        { "GET", "/MANAGEMENT/x", "builtin:/management" },
        { "GET", "/carbon", "builtin:/carbon" },
        { "TRACE", "/api", "builtin:method" },
        { "GET", "/a/;/../api", "builtin:canonical-path" },
    };
    migate_policy *pol = migate_policy_make(p);
    migate_verdict_t v;
    size_t i;

    must(migate_policy_allow(pol, MIGATE_RULE_PREFIX, "/api", 0, "a.conf:1"),
         "api");
    must(migate_policy_allow(pol, MIGATE_RULE_EXACT, "/exact", mset("GET"),
                             "a.conf:2"), "exact");
    must(migate_policy_allow(pol, MIGATE_RULE_REGEX, "^/re/", 0, "a.conf:3"),
         "re");
    must(migate_policy_deny(pol, MIGATE_RULE_PREFIX, "/api/private",
                            "a.conf:4"), "deny");
    must(migate_policy_deny(pol, MIGATE_RULE_REGEX, "\\.bak$", "a.conf:5"),
         "deny bak");
    must(migate_policy_deny(pol, MIGATE_RULE_REGEX, "\\.old$", "a.conf:6"),
         "deny old");
    must(migate_policy_service(pol, "Svc", "a.conf:7"), "svc");
    must(migate_policy_allow(pol, MIGATE_RULE_REGEX, "^/(re2)\\1?/", 0,
                             "a.conf:8"), "re2");
    must(migate_policy_allow(pol, MIGATE_RULE_REGEX, "/re3/$", mset("GET"),
                             "a.conf:9"), "re3");
    migate_policy_compile(pol);
    for (i = 0; i < sizeof(rc) / sizeof(rc[0]); i++) {
        decide_target(pol, rc[i].method, rc[i].target, p, &v);
        is_str(migate_policy_rule_name(pol, v.rule), rc[i].rule,
               "rule of %s %s", rc[i].method, rc[i].target);
    }
    ok(migate_policy_rule_count(pol) == MIGATE_B__COUNT + 4 + 9,
       "rule count: built-in checks, built-in denies, rules");
    ok(migate_policy_rule_name(pol, -1) == NULL
       && migate_policy_rule_name(pol, 1000) == NULL, "out of range");
    /* The operator's rules follow the built-ins, one index per call. */
    is_int(migate_policy_first_rule(pol), MIGATE_B__COUNT + 4,
           "first operator's rule");
    is_str(migate_policy_rule_name(pol, migate_policy_first_rule(pol)),
           "a.conf:1", "named by its first call");
    apr_pool_clear(p);

    /* A service opened twice: both have an index, the first decides. */
    pol = migate_policy_make(p);
    must(migate_policy_service(pol, "Svc", "b.conf:1"), "svc");
    must(migate_policy_service(pol, "Svc", "b.conf:2"), "svc again");
    migate_policy_compile(pol);
    is_int(migate_policy_rule_count(pol), migate_policy_first_rule(pol) + 2,
           "a repeated service has its own index");
    decide_target(pol, "GET", "/services/Svc", p, &v);
    is_str(migate_policy_rule_name(pol, v.rule), "b.conf:1",
           "the first opening decides");
    apr_pool_clear(p);
}

/* The always-enforced paths, as the status page lists them. */
static void test_builtin_deny_paths(void)
{
    static const char *const want[] = {
        "/services", "/management", "/dashboard", "/carbon", "/fileupload",
    };
    size_t i;

    for (i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
        is_str(migate_builtin_deny_path((int)i), want[i],
               "built-in deny %d", (int)i);
    }
    ok(migate_builtin_deny_path((int)i) == NULL
       && migate_builtin_deny_path(-1) == NULL, "built-in denies: the end");
    ok(!strcmp(migate_method_name(0), "GET")
       && migate_method_name(-1) == NULL
       && migate_method_name(100) == NULL, "method names by index");
}

static void test_checks(apr_pool_t *p)
{
    static const struct {
        migate_rule_kind_e kind;
        const char *pat;
        const char *want;     /* NULL: accepted; else a substring */
    } rc[] = {
        { MIGATE_RULE_PREFIX, "/", NULL },
        { MIGATE_RULE_PREFIX, "/api", NULL },
        { MIGATE_RULE_PREFIX, "/api/", NULL },
        { MIGATE_RULE_EXACT, "/a.b/c-d_e~", NULL },
        { MIGATE_RULE_EXACT, "/...", NULL },
        { MIGATE_RULE_EXACT, "/caf\xc3\xa9", NULL },
        { MIGATE_RULE_PREFIX, "api", "start with '/'" },
        { MIGATE_RULE_EXACT, "", "start with '/'" },
        { MIGATE_RULE_PREFIX, "/a%20b", "'%'" },
        { MIGATE_RULE_PREFIX, "/a?b", "'?'" },
        { MIGATE_RULE_PREFIX, "/a#b", "'#'" },
        { MIGATE_RULE_PREFIX, "/a;b", "';'" },
        { MIGATE_RULE_PREFIX, "/a\\b", "'\\'" },
        { MIGATE_RULE_EXACT, "/a\x01", "control" },
        { MIGATE_RULE_EXACT, "/a\x7f", "control" },
        { MIGATE_RULE_PREFIX, "/a//b", "'//'" },
        { MIGATE_RULE_PREFIX, "/api/*", "MiGateAllowMatch" },
        { MIGATE_RULE_EXACT, "/a*b", "literal '*'" },
        { MIGATE_RULE_PREFIX, "//", "'//'" },
        { MIGATE_RULE_PREFIX, "/a/./b", "segment" },
        { MIGATE_RULE_PREFIX, "/a/..", "segment" },
        { MIGATE_RULE_PREFIX, "/./", "segment" },
        { MIGATE_RULE_REGEX, "^/x$", NULL },
        { MIGATE_RULE_REGEX, "", NULL },
        { MIGATE_RULE_REGEX, "(", "regex error at offset 1: missing closing" },
        { MIGATE_RULE_REGEX, "/a[", "regex error at offset 3: " },
        { MIGATE_RULE_REGEX, "a**", "regex error at offset 2: " },
        { MIGATE_RULE_REGEX, "(*UTF)x", "regex error at offset " },
        { MIGATE_RULE_REGEX, "a\\C", "regex error at offset " },
    };
    static const struct {
        const char *name;
        const char *want;
    } sc[] = {
        { "Foo", NULL },
        { "Foo_bar-1", NULL },
        { "0", NULL },
        { "", "empty" },
        { "a.b", "letters, digits" },
        { "a/b", "letters, digits" },
        { "a b", "letters, digits" },
        { "a%62", "letters, digits" },
        { "MyAdminSvc", "never opened" },
        { "ADMIN", "never opened" },
        { "xadmin", "never opened" },
        { "adm_in", NULL },
    };
    size_t i;
    char longname[130];

    for (i = 0; i < sizeof(rc) / sizeof(rc[0]); i++) {
        const char *e = migate_rule_check(p, rc[i].kind, rc[i].pat);
        int good = rc[i].want ? (e && strstr(e, rc[i].want) != NULL)
                              : e == NULL;
        ok(good, "rule check kind %d '%s' -> %s", (int)rc[i].kind,
           rc[i].pat, rc[i].want ? rc[i].want : "accepted");
        if (!good) {
            diag("got %s", e ? e : "(null)");
        }
    }
    for (i = 0; i < sizeof(sc) / sizeof(sc[0]); i++) {
        const char *e = migate_service_name_check(p, sc[i].name);
        int good = sc[i].want ? (e && strstr(e, sc[i].want) != NULL)
                              : e == NULL;
        ok(good, "service name '%s' -> %s", sc[i].name,
           sc[i].want ? sc[i].want : "accepted");
        if (!good) {
            diag("got %s", e ? e : "(null)");
        }
    }
    memset(longname, 'a', 128);
    longname[128] = '\0';
    ok(migate_service_name_check(p, longname) == NULL, "128 chars ok");
    longname[128] = 'a';
    longname[129] = '\0';
    ok(migate_service_name_check(p, longname) != NULL, "129 chars refused");
}

/* MiGateServiceMetadata kind names: one bit each, any case, and back. */
static void test_metadata_kinds(apr_pool_t *p)
{
    static const struct {
        const char *name;
        unsigned kind;
    } k[] = {
        { "wsdl", MIGATE_META_WSDL }, { "WSDL2", MIGATE_META_WSDL2 },
        { "xsd", MIGATE_META_XSD }, { "Info", MIGATE_META_INFO },
        { "swagger", MIGATE_META_SWAGGER }, { "policy", MIGATE_META_POLICY },
        { "swagger.json", 0 }, { "wsd", 0 }, { "On", 0 }, { "", 0 },
        { "xsd1", 0 },
    };
    unsigned all = 0;
    size_t i;

    for (i = 0; i < sizeof(k) / sizeof(k[0]); i++) {
        unsigned got = migate_metadata_kind(k[i].name);
        is_int((int)got, (int)k[i].kind, "metadata kind '%s'", k[i].name);
        if (got) {
            const char *n = migate_metadata_kind_name(got);
            ok(n && !strcasecmp(n, k[i].name), "kind name of '%s'",
               k[i].name);
            all |= got;
        }
    }
    is_int((int)all, (int)MIGATE_META_ALL, "six kinds make up all");
    ok(!strcmp(migate_metadata_kind_param(MIGATE_META_SWAGGER),
               "swagger.json"), "swagger is asked as swagger.json");
    ok(migate_metadata_kind_param(0) == NULL, "no parameter for none");

    /* each kind's parameter is that kind, and only that kind, to the
     * decision: allowed alone, it passes; every other kind is refused */
    for (i = 0; i < 6; i++) {
        unsigned kind = 1u << i, other;
        migate_policy *pol = migate_policy_make(p);
        migate_verdict_t v;

        must(migate_policy_service(pol, "Foo", NULL), "Foo");
        migate_policy_set_metadata_kinds(pol, kind);
        migate_policy_compile(pol);
        for (other = 1; other & MIGATE_META_ALL; other <<= 1) {
            const char *t = apr_pstrcat(p, "/services/Foo?",
                                        migate_metadata_kind_param(other),
                                        NULL);
            is_int(decide_target(pol, "GET", t, p, &v),
                   other == kind ? PASS : SM, "only %s allowed: %s",
                   migate_metadata_kind_name(kind), t);
        }
    }
    ok(migate_metadata_kind_name(MIGATE_META_ALL) == NULL,
       "no name for a set");
}

static void test_build(apr_pool_t *p, migate_policy **pols)
{
    migate_policy *pol = migate_policy_make(p);
    migate_verdict_t v;

    is_int(migate_policy_allow_count(pols[P_MAIN]), 12 + 2,
           "allow count: rules plus distinct services");
    is_int(migate_policy_allow_count(pols[P_EMPTY]), 0, "empty count");
    is_int(migate_policy_allow_count(pols[P_SVC]), 1, "service count");
    ok(migate_policy_allow(pol, MIGATE_RULE_PREFIX, "api", 0, NULL) != NULL,
       "bad allow refused");
    ok(migate_policy_allow(pol, MIGATE_RULE_REGEX, "(", 0, NULL) != NULL,
       "bad allow regex refused");
    ok(migate_policy_deny(pol, MIGATE_RULE_REGEX, "[", NULL) != NULL,
       "bad deny regex refused");
    ok(migate_policy_service(pol, "SvcAdmin", NULL) != NULL,
       "admin service refused");
    is_int(migate_policy_allow_count(pol), 0, "refused rules not counted");
    ok(migate_policy_allow(pol, MIGATE_RULE_REGEX, "^/r", 0, NULL) == NULL,
       "regex added");
    /* deciding before compile fails closed */
    is_int(decide_target(pol, "GET", "/r/x", p, &v), NA,
           "uncompiled policy refuses");
    migate_policy_compile(pol);
    migate_policy_compile(pol);         /* twice is harmless */
    ok(migate_policy_allow(pol, MIGATE_RULE_PREFIX, "/x", 0, NULL) != NULL,
       "no add after compile");
    is_int(decide_target(pol, "GET", "/r/x", p, &v), PASS,
           "compiled policy decides");
}

/* ---------------------------------------------------------------- */
/* Randomised comparison with a linear matcher                       */

typedef struct {
    int exact;
    char pat[64];
    migate_methods_t m;
} ref_rule;

static unsigned long long rng_state = 0x9e3779b97f4a7c15ULL;

static unsigned rnd(unsigned n)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (unsigned)((rng_state >> 11) % n);
}

static const char *const req_methods[] = {
    "GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "PATCH", "FOO",
};

static void rand_seg(char *buf, size_t size, unsigned alpha)
{
    /* upper case variants check that allow rules are case-sensitive */
    unsigned k = rnd(alpha);
    snprintf(buf, size, "%c%u", rnd(4) ? 's' : 'S', k);
}

static void rand_path(char *buf, size_t size, unsigned alpha,
                      unsigned mindepth, unsigned depth)
{
    unsigned i, d = mindepth + rnd(depth - mindepth + 1);
    size_t n = 0;

    buf[0] = '\0';
    for (i = 0; i < d; i++) {
        char seg[16];
        rand_seg(seg, sizeof(seg), alpha);
        n += (size_t)snprintf(buf + n, size - n, "/%s", seg);
    }
    if (d == 0 || rnd(4) == 0) {
        snprintf(buf + n, size - n, "/");
    }
}

static int ref_match(const ref_rule *r, const char *path)
{
    size_t n = strlen(r->pat);

    if (r->exact) {
        return strcmp(r->pat, path) == 0;
    }
    if (strncmp(r->pat, path, n) != 0) {
        return 0;
    }
    return r->pat[n - 1] == '/' || path[n] == '\0' || path[n] == '/';
}

static void test_random(apr_pool_t *p, int nrules, int npaths,
                        unsigned alpha)
{
    apr_pool_t *pp, *rp;
    ref_rule *rules = calloc((size_t)nrules, sizeof(ref_rule));
    migate_policy *pol;
    int i, j, bad = 0, pass = 0, method = 0, na = 0;

    apr_pool_create(&pp, p);
    apr_pool_create(&rp, p);
    pol = migate_policy_make(pp);
    for (i = 0; i < nrules; i++) {
        ref_rule *r = &rules[i];
        const char *err;

        r->exact = rnd(3) == 0;
        rand_path(r->pat, sizeof(r->pat), alpha, 1, 4);
        if (rnd(50) == 0 && nrules <= 10) {
            strcpy(r->pat, "/");
        }
        /* half the rules take any method, the others a few */
        r->m = rnd(2) ? 0 : (migate_methods_t)(rnd(0x7f) + 1);
        err = migate_policy_allow(pol, r->exact ? MIGATE_RULE_EXACT
                                                : MIGATE_RULE_PREFIX,
                                  r->pat, r->m, NULL);
        if (err) {
            diag("random rule %s: %s", r->pat, err);
            bad++;
        }
    }
    migate_policy_compile(pol);
    for (j = 0; j < npaths; j++) {
        char path[128];
        const char *m = req_methods[rnd(8)];
        migate_verdict_t v;
        migate_reason_e got, want;
        int matched = 0, admitted = 0;

        if (rnd(2)) {
            /* near a rule: the rule itself, extended, or cut */
            const ref_rule *r = &rules[rnd((unsigned)nrules)];
            size_t n;
            strcpy(path, r->pat);
            n = strlen(path);
            switch (rnd(4)) {
            case 0:
                break;
            case 1:
                snprintf(path + n, sizeof(path) - n, "%s%c",
                         path[n - 1] == '/' ? "" : "/", 's');
                break;
            case 2:
                if (n > 1) {
                    path[n - 1] = '\0';
                }
                break;
            default:
                snprintf(path + n, sizeof(path) - n, "x");
                break;
            }
        }
        else {
            rand_path(path, sizeof(path), alpha, 0, 5);
        }
        for (i = 0; i < nrules && !admitted; i++) {
            if (ref_match(&rules[i], path)) {
                matched = 1;
                if (migate_methods_admit(rules[i].m, m, strlen(m))) {
                    admitted = 1;
                }
            }
        }
        want = admitted ? PASS : matched ? ME : NA;
        got = decide_target(pol, m, path, rp, &v);
        if (got != want) {
            if (bad < 10) {
                diag("random %d rules: %s %s got %s want %s", nrules, m,
                     path, migate_reason_name(got),
                     migate_reason_name(want));
            }
            bad++;
        }
        pass += want == PASS;
        method += want == ME;
        na += want == NA;
        apr_pool_clear(rp);
    }
    ok(bad == 0, "random: %d rules, %d paths agree with the linear "
       "matcher (%d pass, %d method, %d not-allowed)", nrules, npaths,
       pass, method, na);
    ok(pass > 0 && na > 0 && (nrules < 100 || method > 0),
       "random: %d rules exercise every outcome", nrules);
    apr_pool_destroy(pp);
    apr_pool_destroy(rp);
    free(rules);
}

/* ---------------------------------------------------------------- */
/* Regex syntax corner cases: the policy against each regex alone    */

/* Regexes whose syntax a hand-written scanner gets wrong: comments,
 * classes with ']', '|', '(' and '\' inside, escapes, \Q...\E (closed
 * and not), extended mode, inline options at top level (which reach
 * the alternatives after them), verbs, back references, named groups,
 * recursion, conditionals.  Every one is a valid PCRE2 regex. */
static const char *const corner_re[] = {
    "^/api/x(?#()|^/other",         "^/c[)(]|^/d",
    "^/e[]|]x|^/f",                 "^/g[^]|]|^/h",
    "^/i\\(|^/j",                   "^/k\\Q(|\\E|^/l",
    "^/m\\Q|^/n",                   "(?x)^/o # comment ( | ^/p",
    "(?i)^/s/T",                    "^/u(?i)v|^/W",
    "^/x(?i:y)|^/Z",                "[[:digit:]]{3}/z$",
    "^/aa/(?=b)b",                  "(?<=/bb)/cc$",
    "^/dd(?:/|$)",                  "^/ee\\/ff",
    "^/gg(*COMMIT)x|^/gg",          "^/hh(a)\\1",
    "^/(?<n>ii)\\k<n>",             "^/jj(?:/(?R))?$",
    "\\bkk\\b",                     "^/ll$|^/mm$",
    "^/nn\\x2fo",                   "^/pp[\\]]q",
    "^/ss\\E|^/tt",                 "^/uu{2}",
    "^/vv?/ww",                     "^\\/xx|(?#|)^/yy",
    "(?n)^/zz(a|b)\\z",             "(?|^/b1(x)|^/b2(y))",
    "(?(?=/c1)/c1|/c2)$",           "^/d1(?>a+)b",
    "\\A/f1\\z",                    "(?m)^/h1$",
    "(?s)^/i1.j",                   "(?x)^/k1\\ [ ]x",
    "^/m1\\K/n1",                   "(?C1)^/o1",
    "^/p1(?#comment)/q1",           "(?i:^/R1)|^/s1",
    "^/t1\\d+$",                    "(*NO_START_OPT)^/e1",
    "^/q2(?1)?(a)",                 "^/q3(*SKIP)(*FAIL)|^/q3x",
    "(?x)^/q4 # \\Q ) ( |",         "^/q5[[:alpha:]-]+$",
    "(?-i)^/q6",                    "^/q7(?(DEFINE)(?<d>a))(?&d)",
    "^/q8\\g<1>?(b)",               "^/q9(*:m)z",
};
#define N_CORNER (int)(sizeof(corner_re) / sizeof(corner_re[0]))

static const char *const corner_paths[] = {
    "/api/x", "/api/xy", "/other", "/c)", "/c(", "/d", "/e]x", "/e|x",
    "/f", "/g]", "/g|", "/h", "/i(", "/j", "/k(|", "/l", "/m|^/n", "/m",
    "/n", "/o", "/p", "/s/t", "/S/T", "/uv", "/uV", "/w", "/W", "/xy",
    "/xY", "/Z", "/z", "/123/z", "/aa/b", "/bb/cc", "/dd", "/dd/", "/ddx",
    "/ee/ff", "/gg", "/ggx", "/hhaa", "/hha", "/iiii", "/jj", "/jj/jj",
    "/x/kk/y", "/kkk", "/ll", "/mm", "/nn/o", "/pp]q", "/ss", "/tt",
    "/uuu", "/uu", "/v/ww", "/vv/ww", "/xx", "/yy", "/zza", "/zzab",
    "/b1x", "/b2y", "/b2x", "/c1", "/c2", "/d1aab", "/f1", "/h1", "/i1xj",
    "/k1 x", "/k1x", "/m1/n1", "/o1", "/p1/q1", "/r1", "/R1", "/s1",
    "/t1123", "/t1", "/e1", "/q2a", "/q2aa", "/q3", "/q3x", "/q4", "/q5a-b",
    "/Q6", "/q6", "/q7a", "/q8b", "/q8bb", "/q9z", "/nothing", "/", "/a",
};
#define N_CPATHS (int)(sizeof(corner_paths) / sizeof(corner_paths[0]))

/* The policy of the regexes first..first+n-1 of corner_re (named
 * "re:<i>"), as allow rules (deny 0, any method) or deny rules; codes
 * gets each regex compiled alone, as its directive would run it. */
static migate_policy *corner_policy(apr_pool_t *p, int first, int n,
                                    int deny, pcre2_code **codes)
{
    migate_policy *pol = migate_policy_make(p);
    uint32_t opts = PCRE2_NEVER_UTF | PCRE2_NEVER_BACKSLASH_C
                    | (deny ? PCRE2_CASELESS : 0);
    int i, ec;
    PCRE2_SIZE off;

    if (deny) {
        must(migate_policy_allow(pol, MIGATE_RULE_PREFIX, "/", 0, "root"),
             "root");
    }
    for (i = first; i < first + n; i++) {
        const char *where = apr_psprintf(p, "re:%d", i);
        codes[i] = pcre2_compile((PCRE2_SPTR)corner_re[i],
                                 PCRE2_ZERO_TERMINATED, opts, &ec, &off,
                                 NULL);
        must(deny ? migate_policy_deny(pol, MIGATE_RULE_REGEX,
                                       corner_re[i], where)
                  : migate_policy_allow(pol, MIGATE_RULE_REGEX,
                                        corner_re[i], 0, where),
             corner_re[i]);
        if (!codes[i]) {
            diag("corner regex %s does not compile alone", corner_re[i]);
        }
    }
    migate_policy_compile(pol);
    return pol;
}

/* Decide every corner path; the verdict must be what running the
 * regexes first..first+n-1 alone gives, and the rule named must be one
 * of those that match alone.  Returns the number of disagreements. */
static int corner_check(migate_policy *pol, apr_pool_t *p, int first, int n,
                        int deny, pcre2_code **codes, const char *what)
{
    pcre2_match_data *md = pcre2_match_data_create(1, NULL);
    int j, i, bad = 0;

    for (j = 0; j < N_CPATHS; j++) {
        const char *path = corner_paths[j];
        migate_verdict_t v;
        migate_reason_e got, want;
        const char *name;
        int any = 0, named = 0;

        for (i = first; i < first + n; i++) {
            if (codes[i] && pcre2_match(codes[i], (PCRE2_SPTR)path,
                                        strlen(path), 0, 0, md, NULL) >= 0) {
                any = 1;
                name = apr_psprintf(p, "re:%d", i);
                named |= 1;
            }
        }
        want = any ? (deny ? HD : PASS) : (deny ? PASS : NA);
        got = decide_target(pol, "GET", path, p, &v);
        name = migate_policy_rule_name(pol, v.rule);
        if (got == want && any && name && strncmp(name, "re:", 3) == 0) {
            i = atoi(name + 3);
            named = i >= first && i < first + n && codes[i]
                    && pcre2_match(codes[i], (PCRE2_SPTR)path, strlen(path),
                                   0, 0, md, NULL) >= 0;
        }
        else {
            named = !any;
        }
        if (got != want || !named) {
            if (bad < 10) {
                diag("%s: GET %s got %s (rule %s) want %s", what, path,
                     migate_reason_name(got), name ? name : "-",
                     migate_reason_name(want));
            }
            bad++;
        }
    }
    pcre2_match_data_free(md);
    return bad;
}

static void test_regex_corners(apr_pool_t *p)
{
    pcre2_code *codes[N_CORNER];
    apr_pool_t *pp;
    migate_policy *pol;
    migate_verdict_t v;
    int i, bad, deny;

    /* the issue's case: "(?#(" must not hide the second alternative */
    apr_pool_create(&pp, p);
    pol = corner_policy(pp, 0, 1, 0, codes);
    is_int(decide_target(pol, "GET", "/other", pp, &v), PASS,
           "^/api/x(?#()|^/other allows /other, as PCRE2 alone does");
    is_str(migate_policy_rule_name(pol, v.rule), "re:0",
           "and names the regex");
    is_int(decide_target(pol, "GET", "/api/x/y", pp, &v), PASS,
           "^/api/x(?#()|^/other allows /api/x/y");
    is_int(decide_target(pol, "GET", "/otherwise", pp, &v), PASS,
           "^/api/x(?#()|^/other allows /otherwise (no '$')");
    is_int(decide_target(pol, "GET", "/api", pp, &v), NA,
           "^/api/x(?#()|^/other refuses /api");
    pcre2_code_free(codes[0]);
    apr_pool_destroy(pp);

    /* a deny regex that cannot be run (recursion that never ends)
     * denies, and is named */
    apr_pool_create(&pp, p);
    pol = migate_policy_make(pp);
    must(migate_policy_allow(pol, MIGATE_RULE_PREFIX, "/", 0, "root"), "/");
    must(migate_policy_deny(pol, MIGATE_RULE_REGEX, "j", "d:1"), "j");
    must(migate_policy_deny(pol, MIGATE_RULE_REGEX, "(?0)", "d:2"), "(?0)");
    migate_policy_compile(pol);
    is_int(decide_target(pol, "GET", "/x", pp, &v), HD,
           "a deny regex that cannot be run denies");
    is_str(migate_policy_rule_name(pol, v.rule), "d:2",
           "and names the regex that could not be run");
    apr_pool_destroy(pp);

    for (deny = 0; deny < 2; deny++) {
        /* all of them in one policy: merged where they can be */
        apr_pool_create(&pp, p);
        pol = corner_policy(pp, 0, N_CORNER, deny, codes);
        bad = corner_check(pol, pp, 0, N_CORNER, deny, codes,
                           deny ? "corner deny" : "corner allow");
        ok(bad == 0, "%d corner-case %s regexes in one policy: %d paths "
           "agree with each regex alone", N_CORNER, deny ? "deny" : "allow",
           N_CPATHS);
        for (i = 0; i < N_CORNER; i++) {
            pcre2_code_free(codes[i]);
        }
        apr_pool_destroy(pp);

        /* each one next to its neighbour: what one regex's syntax does
         * to the alternative after it */
        bad = 0;
        for (i = 0; i + 1 < N_CORNER; i++) {
            apr_pool_create(&pp, p);
            pol = corner_policy(pp, i, 2, deny, codes);
            bad += corner_check(pol, pp, i, 2, deny, codes,
                                deny ? "pair deny" : "pair allow");
            pcre2_code_free(codes[i]);
            pcre2_code_free(codes[i + 1]);
            apr_pool_destroy(pp);
        }
        ok(bad == 0, "corner-case %s regexes in pairs agree with each "
           "regex alone", deny ? "deny" : "allow");
    }
}

/* More regexes than one PCRE2 alternation takes (64 KiB of compiled
 * code with Debian's LINK_SIZE=2): split in chunks, each regex still
 * allows its own path and is named for it. */
static void test_regex_many(apr_pool_t *p, int n)
{
    apr_pool_t *pp;
    migate_policy *pol;
    migate_verdict_t v;
    int i, bad = 0;

    apr_pool_create(&pp, p);
    pol = migate_policy_make(pp);
    for (i = 0; i < n; i++) {
        must(migate_policy_allow(pol, MIGATE_RULE_REGEX,
                                 apr_psprintf(pp, i % 3 ? "^/m%d/[0-9]+$"
                                              : "/u%d/(a|b)+$", i),
                                 i % 2 ? mset("GET") : 0,
                                 apr_psprintf(pp, "re:%d", i)), "many");
    }
    migate_policy_compile(pol);
    for (i = 0; i < n; i++) {
        const char *path = apr_psprintf(pp, i % 3 ? "/m%d/42" : "/x/u%d/ab",
                                        i);
        const char *want = apr_psprintf(pp, "re:%d", i);
        const char *name;

        if (decide_target(pol, "GET", path, pp, &v) != PASS
            || !(name = migate_policy_rule_name(pol, v.rule))
            || strcmp(name, want) != 0
            || decide_target(pol, "POST", path, pp, &v)
               != (i % 2 ? ME : PASS)
            || decide_target(pol, "GET", apr_pstrcat(pp, path, "x", NULL),
                             pp, &v) != NA) {
            if (bad++ < 5) {
                diag("many regexes: %s", path);
            }
        }
    }
    ok(bad == 0, "%d regexes: each allows its path and is named", n);
    apr_pool_destroy(pp);
}

/* ---------------------------------------------------------------- */
/* Randomised regexes against running each one alone                 */

/* Shapes of regexes: literal segments anchored and floating,
 * quantifiers that cut a literal, top-level alternations, classes,
 * inline options, comments, quoting, and regexes with no literal.  %d
 * is replaced by small numbers so that paths hit them often. */
static const char *const re_shapes[] = {
    "^/s%d/s%d",            "^/s%d/s%d$",          "^/s%d/",
    "^/s%d/[a-z0-9]+$",     "^/s%d/s%d(/.*)?$",    "/s%d/s%d$",
    "/s%d/",                "/s%d/[0-9]+$",        "^/s%d/|^/S%d$",
    "/s%d/|s%d$",           "^/s%d?/s%d",          "^/s%d/s%d*",
    "^/s%d/s%d{1,2}",       "^/s%d/s%d+/",         "(?i)^/s%d/s%d",
    "^/s%d/(?i)s%d",        "^/s(%d|%d)/",         "^(/s%d)+/s%d",
    "s%d$",                 "^/S%d/[^/]*$",        "[/]s%d/s%d",
    "^/s%d/[]/]s%d",        "^/s%d/[[:digit:]]|s%d", "/s%d/s%d\\b",
    "^/s%d/(?x) s%d # | x", "^/s%d/(a|b)|/s%d/",   "\\.json$",
    "^/s%d\\/s%d/",       "^/s%d/.s%d",          "^/(?:s%d|s%d)/",
    "^/s%d(?#()|^/s%d",     "^/s%d[)(|]|/s%d$",    "^/s%d\\Q(|\\E|^/s%d",
    "(?x)^/s%d # ( |\n|/s%d$", "^/s%d(?i)/S|^/S%d$", "^/s%d\\Q|/s%d",
};
#define N_SHAPES (int)(sizeof(re_shapes) / sizeof(re_shapes[0]))

static void test_random_regex(apr_pool_t *p, int nrules, int npaths,
                              unsigned alpha)
{
    apr_pool_t *pp, *rp;
    pcre2_code **codes = calloc((size_t)nrules, sizeof(pcre2_code *));
    migate_methods_t *ms = calloc((size_t)nrules, sizeof(*ms));
    pcre2_code *deny[2];
    pcre2_match_data *md = pcre2_match_data_create(1, NULL);
    migate_policy *pol;
    int i, j, bad = 0, pass = 0, method = 0, na = 0, hd = 0;

    apr_pool_create(&pp, p);
    apr_pool_create(&rp, p);
    pol = migate_policy_make(pp);
    for (i = 0; i < nrules; i++) {
        char pat[96];
        int ec;
        PCRE2_SIZE off;
        const char *err;

        snprintf(pat, sizeof(pat), re_shapes[rnd(N_SHAPES)], rnd(alpha),
                 rnd(alpha));
        ms[i] = rnd(2) ? 0 : (migate_methods_t)(rnd(0x7f) + 1);
        codes[i] = pcre2_compile((PCRE2_SPTR)pat, PCRE2_ZERO_TERMINATED,
                                 PCRE2_NEVER_UTF | PCRE2_NEVER_BACKSLASH_C,
                                 &ec, &off, NULL);
        err = migate_policy_allow(pol, MIGATE_RULE_REGEX, pat, ms[i],
                                  apr_psprintf(pp, "r%d", i));
        if (err || !codes[i]) {
            diag("random regex %s: %s", pat, err ? err : "reference");
            bad++;
        }
    }
    /* deny regexes with and without a required byte */
    deny[0] = pcre2_compile((PCRE2_SPTR)"/s1/s2/", PCRE2_ZERO_TERMINATED,
                            PCRE2_CASELESS, &i, &(PCRE2_SIZE){0}, NULL);
    deny[1] = pcre2_compile((PCRE2_SPTR)"\\.(bak|old)$",
                            PCRE2_ZERO_TERMINATED, PCRE2_CASELESS, &i,
                            &(PCRE2_SIZE){0}, NULL);
    must(migate_policy_deny(pol, MIGATE_RULE_REGEX, "/s1/s2/", NULL), "deny");
    must(migate_policy_deny(pol, MIGATE_RULE_REGEX, "\\.(bak|old)$", NULL),
         "deny");
    migate_policy_compile(pol);
    for (j = 0; j < npaths; j++) {
        char path[128];
        const char *m = req_methods[rnd(8)];
        migate_verdict_t v;
        migate_reason_e got, want;
        int matched = 0, admitted = 0;
        size_t n;

        rand_path(path, sizeof(path), alpha, 0, 5);
        n = strlen(path);
        if (n > 1 && path[n - 1] == '/') {
            /* keep the path canonical: what is appended starts a
             * segment or extends the last one */
            path[--n] = '\0';
        }
        switch (rnd(8)) {
        case 0:
            snprintf(path + n, sizeof(path) - n, "%s", ".json");
            break;
        case 1:
            snprintf(path + n, sizeof(path) - n, "%s", ".BAK");
            break;
        case 2:
            snprintf(path + n, sizeof(path) - n, "/a");
            break;
        default:
            break;
        }
        n = strlen(path);
        if (pcre2_match(deny[0], (PCRE2_SPTR)path, n, 0, 0, md, NULL) >= 0
            || pcre2_match(deny[1], (PCRE2_SPTR)path, n, 0, 0, md,
                           NULL) >= 0) {
            want = HD;
        }
        else {
            for (i = 0; i < nrules && !admitted; i++) {
                if (codes[i] && pcre2_match(codes[i], (PCRE2_SPTR)path, n,
                                            0, 0, md, NULL) >= 0) {
                    matched = 1;
                    admitted = migate_methods_admit(ms[i], m, strlen(m));
                }
            }
            want = admitted ? PASS : matched ? ME : NA;
        }
        got = decide_target(pol, m, path, rp, &v);
        if (got == PASS && want == PASS) {
            /* the rule named is a regex that matches and admits */
            const char *name = migate_policy_rule_name(pol, v.rule);
            i = name && name[0] == 'r' ? atoi(name + 1) : -1;
            if (i < 0 || i >= nrules || !codes[i]
                || pcre2_match(codes[i], (PCRE2_SPTR)path, n, 0, 0, md,
                               NULL) < 0
                || !migate_methods_admit(ms[i], m, strlen(m))) {
                got = NA;
            }
        }
        if (got != want) {
            if (bad < 10) {
                diag("random regex %d rules: %s %s got %s want %s", nrules,
                     m, path, migate_reason_name(got),
                     migate_reason_name(want));
            }
            bad++;
        }
        pass += want == PASS;
        method += want == ME;
        na += want == NA;
        hd += want == HD;
        apr_pool_clear(rp);
    }
    ok(bad == 0, "random regex: %d rules, %d paths agree with running "
       "each regex alone (%d pass, %d method, %d not-allowed, %d deny)",
       nrules, npaths, pass, method, na, hd);
    if (nrules >= 100) {
        ok(pass > 0 && na > 0 && method > 0 && hd > 0,
           "random regex: %d rules exercise every outcome", nrules);
    }
    for (i = 0; i < nrules; i++) {
        pcre2_code_free(codes[i]);
    }
    pcre2_code_free(deny[0]);
    pcre2_code_free(deny[1]);
    pcre2_match_data_free(md);
    apr_pool_destroy(pp);
    apr_pool_destroy(rp);
    free(codes);
    free(ms);
}

int main(void)
{
    apr_pool_t *p, *scratch;
    migate_policy *pols[P__N];
    int i;

    apr_initialize();
    apr_pool_create(&p, NULL);
    apr_pool_create(&scratch, p);

    pols[P_MAIN] = build_main(p, 0);
    pols[P_META] = build_main(p, MIGATE_META_ALL);
    pols[P_KINDS] = build_main(p, MIGATE_META_WSDL | MIGATE_META_XSD);
    pols[P_ROOT] = migate_policy_make(p);
    must(migate_policy_allow(pols[P_ROOT], MIGATE_RULE_PREFIX, "/", 0, NULL),
         "root");
    migate_policy_compile(pols[P_ROOT]);
    pols[P_SVC] = migate_policy_make(p);
    must(migate_policy_service(pols[P_SVC], "Foo", NULL), "svc Foo");
    migate_policy_compile(pols[P_SVC]);
    pols[P_EMPTY] = migate_policy_make(p);
    migate_policy_compile(pols[P_EMPTY]);

    test_table(pols, scratch);
    test_verdict_fields(pols, scratch);
    test_backend(pols, scratch);
    test_rule_names(scratch);
    test_builtin_deny_paths();
    test_regex_corners(scratch);
    test_regex_many(scratch, 3000);
    test_checks(scratch);
    test_metadata_kinds(scratch);
    test_build(scratch, pols);
    test_random(p, 10, 5000, 3);
    test_random(p, 1000, 5000, 40);
    test_random(p, 10000, 5000, 300);
    for (i = 0; i < 20; i++) {
        test_random_regex(p, 1 + (int)rnd(12), 400, 4);
    }
    test_random_regex(p, 100, 3000, 6);
    test_random_regex(p, 400, 3000, 30);

    apr_pool_destroy(p);
    apr_terminate();
    return done_testing();
}
