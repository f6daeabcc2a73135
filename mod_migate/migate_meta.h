/*
 * migate_meta.h - the metadata vocabulary of MI (MiGateServiceMetadata):
 * which query parameters ask MI for a description of a service or API
 * instead of calling it, and the kinds an operator can open.  One table
 * in migate_meta.c; the policy, the directive, the dump and the status
 * page read it.
 */
#ifndef MIGATE_META_H
#define MIGATE_META_H

#include <stddef.h>

/* The kinds an operator can open, in the order of their names. */
typedef enum {
    MIGATE_MK_WSDL = 0,         /* ?wsdl                               */
    MIGATE_MK_WSDL2,            /* ?wsdl2                              */
    MIGATE_MK_XSD,              /* ?xsd, ?xsd=a.xsd, ?xsd1, ...        */
    MIGATE_MK_INFO,             /* ?info                               */
    MIGATE_MK_SWAGGER,          /* ?swagger.json, ?swagger.yaml,
                                   ?openapi.json, ?openapi.yaml        */
    MIGATE_MK_POLICY,           /* ?policy                             */
    MIGATE_MK__COUNT
} migate_meta_kind_e;

/* One bit per kind. */
#define MIGATE_META_WSDL    (1u << MIGATE_MK_WSDL)
#define MIGATE_META_WSDL2   (1u << MIGATE_MK_WSDL2)
#define MIGATE_META_XSD     (1u << MIGATE_MK_XSD)
#define MIGATE_META_INFO    (1u << MIGATE_MK_INFO)
#define MIGATE_META_SWAGGER (1u << MIGATE_MK_SWAGGER)
#define MIGATE_META_POLICY  (1u << MIGATE_MK_POLICY)
#define MIGATE_META_ALL     ((1u << MIGATE_MK__COUNT) - 1)
/* Metadata of no kind an operator can open (?tryit, ?wadl, ?mex, bare
 * ?swagger or ?openapi): refused whatever the configuration. */
#define MIGATE_META_NEVER   0x80000000u

/* The bit of a kind name ("wsdl", "wsdl2", "xsd", "info", "swagger",
 * "policy"; any case), or 0 for an unknown name. */
unsigned migate_metadata_kind(const char *name);
/* The name of one kind bit, or NULL. */
const char *migate_metadata_kind_name(unsigned kind);
/* A query parameter that asks for the kind ("swagger.json" for
 * swagger), or NULL. */
const char *migate_metadata_kind_param(unsigned kind);

/* The metadata a raw or decoded query asks for, as MI's GET processors
 * look for it (every parameter name, before '=' and split on '&', in
 * any case, so that a kind that is not allowed cannot hide behind one
 * that is): MIGATE_META_* bits, MIGATE_META_NEVER among them.  q may be
 * NULL. */
unsigned migate_metadata_query_kinds(const char *q, size_t len);

#endif /* MIGATE_META_H */
