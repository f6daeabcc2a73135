/*
 * migate_core.c - reason codes and the method vocabulary of the rule
 * language.  Pure: no httpd headers.
 */
#include <string.h>
#include <strings.h>

#include "migate_core.h"

static const char *const reason_names[MIGATE_R__COUNT] = {
    "pass",
    "not-allowed",
    "method",
    "hard-deny",
    "services",
    "service-metadata",
    "encoding",
    "control-char",
    "dot-segment",
    "header",
    "backend-plain",
    "backend-tls",
    "protocol",
};

const char *migate_reason_name(migate_reason_e r)
{
    if ((int)r < 0 || r >= MIGATE_R__COUNT) {
        return "unknown";
    }
    return reason_names[r];
}

int migate_reason_is_bad_request(migate_reason_e r)
{
    return r == MIGATE_R_ENCODING || r == MIGATE_R_CONTROL_CHAR
        || r == MIGATE_R_DOT_SEGMENT || r == MIGATE_R_HEADER;
}

/* The methods a rule may list: RFC 9110, PATCH (RFC 5789) and the
 * WebDAV methods httpd itself knows.  TRACE, TRACK and CONNECT are known
 * so that a list naming them gets a precise error. */
static const char *const methods[] = {
    "GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS",
    "PROPFIND", "PROPPATCH", "MKCOL", "COPY", "MOVE", "LOCK", "UNLOCK",
    "TRACE", "TRACK", "CONNECT",
};
#define N_METHODS (sizeof(methods) / sizeof(methods[0]))
#define M_IDX_GET  0
#define M_IDX_HEAD 1

int migate_method_index(const char *token, size_t len)
{
    size_t i, k;

    /* runs once per request: most tokens differ at the first byte */
    for (i = 0; i < N_METHODS; i++) {
        for (k = 0; k < len && methods[i][k] == token[k]; k++) {
            ;
        }
        if (k == len && methods[i][k] == '\0') {
            return (int)i;
        }
    }
    return -1;
}

const char *migate_method_name(int index)
{
    return index >= 0 && (size_t)index < N_METHODS ? methods[index] : NULL;
}

/* Any case: methods are case-sensitive, so "trace" is not TRACE to
 * httpd, but a backend or a proxy in between may think otherwise. */
int migate_method_forbidden(const char *token, size_t len)
{
    return (len == 5 && (strncasecmp(token, "TRACE", 5) == 0
                         || strncasecmp(token, "TRACK", 5) == 0))
        || (len == 7 && strncasecmp(token, "CONNECT", 7) == 0);
}

const char *migate_methods_parse(const char *list, migate_methods_t *out,
                                 const char **bad_at, size_t *bad_len)
{
    const char *s = list;
    migate_methods_t set = 0;

    *bad_at = list;
    *bad_len = 0;
    for (;;) {
        const char *e = strchr(s, ',');
        size_t len = e ? (size_t)(e - s) : strlen(s);
        int idx;

        *bad_at = s;
        *bad_len = len;
        if (len == 0) {
            return "empty method in list";
        }
        if (migate_method_forbidden(s, len)) {
            return "method is never allowed by mod_migate";
        }
        idx = migate_method_index(s, len);
        if (idx < 0) {
            return "unknown method (methods are case-sensitive: GET, POST, "
                   "...)";
        }
        set |= (migate_methods_t)1 << idx;
        if (!e) {
            break;
        }
        s = e + 1;
    }
    *out = set;
    return NULL;
}

migate_methods_t migate_method_bits(const char *method, size_t len)
{
    int idx = migate_method_index(method, len);

    if (idx < 0) {
        return 0;
    }
    return ((migate_methods_t)1 << idx)
           | (idx == M_IDX_HEAD ? (migate_methods_t)1 << M_IDX_GET : 0);
}

int migate_methods_admit(migate_methods_t set, const char *method,
                         size_t len)
{
    return !migate_method_forbidden(method, len)
        && migate_methods_admit_bits(set, migate_method_bits(method, len));
}

int migate_url_is_tls(const char *url)
{
    static const struct {
        const char *scheme;     /* with "://"                          */
        int tls;
    } schemes[] = {
        { "https://", 1 }, { "wss://", 1 }, { "h2://", 1 },
        { "balancer://", 1 },
        { "http://", 0 }, { "ws://", 0 }, { "h2c://", 0 }, { "ajp://", 0 },
        { "fcgi://", 0 }, { "scgi://", 0 }, { "uwsgi://", 0 },
        { "ftp://", 0 },
    };
    const char *bar;
    size_t i;

    if (url == NULL) {
        return 0;
    }
    if (!strncasecmp(url, "unix:", 5) && (bar = strchr(url, '|')) != NULL) {
        url = bar + 1;
    }
    for (i = 0; i < sizeof(schemes) / sizeof(schemes[0]); i++) {
        if (!strncasecmp(url, schemes[i].scheme, strlen(schemes[i].scheme))) {
            return schemes[i].tls;
        }
    }
    return 0;
}
