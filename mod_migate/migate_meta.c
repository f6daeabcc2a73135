/*
 * migate_meta.c - the metadata vocabulary of MI: the query parameters
 * that ask for a description of a service or API (WSDL, XSD, Swagger /
 * OpenAPI, policy, and the spellings no operator can open) and the
 * kinds of MiGateServiceMetadata.  Pure: no httpd headers.
 */
#include <string.h>
#include <strings.h>

#include "migate_core.h"
#include "migate_meta.h"

/* The kind names of MiGateServiceMetadata, in migate_meta_kind_e order,
 * each with a query parameter that asks for it. */
static const struct {
    const char *name;
    const char *param;
} meta_kinds[] = {
    { "wsdl", "wsdl" }, { "wsdl2", "wsdl2" }, { "xsd", "xsd" },
    { "info", "info" }, { "swagger", "swagger.json" },
    { "policy", "policy" },
};
_Static_assert(sizeof(meta_kinds) / sizeof(meta_kinds[0])
               == MIGATE_MK__COUNT, "one name per metadata kind");

/* The parameters MI answers with metadata (SPEC MiGateServiceMetadata),
 * by kind.  "xsd" stands for every name that starts with it (?xsd,
 * ?xsd=a.xsd, ?xsd1).  MI's Swagger processor answers the openapi
 * spellings too; ?tryit (the Carbon try-it page), ?wadl, ?mex
 * (WS-MetadataExchange) and bare ?swagger / ?openapi describe a service
 * as well but are of no kind an operator can open. */
static const struct {
    const char *name;
    unsigned kind;
} meta_params[] = {
    { "wsdl", MIGATE_META_WSDL }, { "wsdl2", MIGATE_META_WSDL2 },
    { "info", MIGATE_META_INFO },
    { "swagger.json", MIGATE_META_SWAGGER },
    { "swagger.yaml", MIGATE_META_SWAGGER },
    { "openapi.json", MIGATE_META_SWAGGER },
    { "openapi.yaml", MIGATE_META_SWAGGER },
    { "policy", MIGATE_META_POLICY },
    { "swagger", MIGATE_META_NEVER }, { "openapi", MIGATE_META_NEVER },
    { "tryit", MIGATE_META_NEVER }, { "wadl", MIGATE_META_NEVER },
    { "mex", MIGATE_META_NEVER },
};
#define N_PARAMS (sizeof(meta_params) / sizeof(meta_params[0]))

unsigned migate_metadata_kind(const char *name)
{
    int i;

    for (i = 0; name && i < MIGATE_MK__COUNT; i++) {
        if (!strcasecmp(name, meta_kinds[i].name)) {
            return 1u << i;
        }
    }
    return 0;
}

/* The entry of one kind bit, or -1. */
static int kind_index(unsigned kind)
{
    int i;

    for (i = 0; i < MIGATE_MK__COUNT; i++) {
        if (kind == 1u << i) {
            return i;
        }
    }
    return -1;
}

const char *migate_metadata_kind_name(unsigned kind)
{
    int i = kind_index(kind);

    return i < 0 ? NULL : meta_kinds[i].name;
}

const char *migate_metadata_kind_param(unsigned kind)
{
    int i = kind_index(kind);

    return i < 0 ? NULL : meta_kinds[i].param;
}

/* The kind of a query parameter name, or 0. */
static unsigned param_kind(const char *n, size_t len)
{
    size_t i;

    /* most parameters start with none of these letters */
    if (len < 3 || !strchr("xwispotm", (int)migate_fold((unsigned char)n[0]))) {
        return 0;
    }
    if (migate_ci_eq(n, "xsd", 3)) {
        return MIGATE_META_XSD;
    }
    for (i = 0; i < N_PARAMS; i++) {
        if (strlen(meta_params[i].name) == len
            && migate_ci_eq(n, meta_params[i].name, len)) {
            return meta_params[i].kind;
        }
    }
    return 0;
}

unsigned migate_metadata_query_kinds(const char *q, size_t len)
{
    const char *s = q, *end;
    unsigned kinds = 0;

    if (!q) {
        return 0;
    }
    end = q + len;
    while (s <= end) {
        const char *amp = memchr(s, '&', (size_t)(end - s));
        const char *pe = amp ? amp : end;
        const char *eq = memchr(s, '=', (size_t)(pe - s));
        const char *ne = eq ? eq : pe;
        kinds |= param_kind(s, (size_t)(ne - s));
        if (!amp) {
            break;
        }
        s = amp + 1;
    }
    return kinds;
}
