/*
 * migate_trace.c - W3C Trace Context (https://www.w3.org/TR/trace-context/)
 * as the edge reads and writes it: a trusted peer's traceparent and
 * tracestate checked before they are kept, and the traceparent that
 * MiGateTraceContext On makes from the request id.  Pure core: no httpd
 * header; the owned-header table (migate_hdr.c) names these checks.
 */
#include <string.h>
#include <apr_lib.h>
#include "migate_hdr.h"
#include "migate_uuid.h"

static int is_digit(unsigned char c)
{
    return c >= '0' && c <= '9';
}


static int lc_hex(unsigned char c)
{
    return is_digit(c) || (c >= 'a' && c <= 'f');
}

/* n lowercase hex digits, not all zeros. */
static int hex_id_ok(const char *s, size_t n)
{
    size_t i;
    int nonzero = 0;

    for (i = 0; i < n; i++) {
        if (!lc_hex((unsigned char)s[i])) {
            return 0;
        }
        nonzero |= s[i] != '0';
    }
    return nonzero;
}

int migate_traceparent_ok(const char *v, size_t len)
{
    /* 00-<trace-id 32>-<parent-id 16>-<flags 2> (section 3.2) */
    if (v == NULL || len != MIGATE_TRACEPARENT_LEN
        || v[0] != '0' || v[1] != '0' || v[2] != '-' || v[35] != '-'
        || v[52] != '-') {
        return 0;
    }
    return hex_id_ok(v + 3, 32) && hex_id_ok(v + 36, 16)
        && lc_hex((unsigned char)v[53]) && lc_hex((unsigned char)v[54]);
}

static int is_lcalpha(unsigned char c)
{
    return c >= 'a' && c <= 'z';
}

static int key_char(unsigned char c)
{
    return is_lcalpha(c) || is_digit(c) || c == '_' || c == '-' || c == '*'
        || c == '/';
}

/* k[1..n) are key characters, k[0] one of first (is_lcalpha, or also a
 * digit). */
static int key_part_ok(const char *k, size_t n, int digit_first)
{
    size_t i;

    if (n == 0 || !(is_lcalpha((unsigned char)k[0])
                    || (digit_first && is_digit((unsigned char)k[0])))) {
        return 0;
    }
    for (i = 1; i < n; i++) {
        if (!key_char((unsigned char)k[i])) {
            return 0;
        }
    }
    return 1;
}

/* simple-key = lcalpha 0*255( lcalpha / DIGIT / "_" / "-"/ "*" / "/" )
 * multi-tenant-key = tenant-id "@" system-id, tenant-id starting with
 * lcalpha or a digit (at most 241), system-id with lcalpha (at most
 * 14).  (section 3.3.1.3.1) */
static int ts_key_ok(const char *k, size_t n)
{
    const char *at = memchr(k, '@', n);
    size_t tn = at ? (size_t)(at - k) : n;

    if (!at) {
        return n <= 256 && key_part_ok(k, n, 0);
    }
    return tn <= 241 && n - tn - 1 <= 14 && key_part_ok(k, tn, 1)
        && key_part_ok(at + 1, n - tn - 1, 0);
}

/* value = 0*255(chr) nblk-chr; nblk-chr = %x21-2B / %x2D-3C / %x3E-7E;
 * chr = %x20 / nblk-chr  (section 3.3.1.3.2) */
static int ts_value_ok(const char *v, size_t n)
{
    size_t i;

    if (n == 0 || n > 256 || v[n - 1] == ' ') {
        return 0;
    }
    for (i = 0; i < n; i++) {
        unsigned char c = (unsigned char)v[i];

        if (c < 0x20 || c > 0x7e || c == ',' || c == '=') {
            return 0;
        }
    }
    return 1;
}

int migate_tracestate_ok(const char *v, size_t len)
{
    const char *p = v, *end = v + len, *next, *e, *eq;
    int members = 0;

    if (v == NULL || len == 0 || len > 512) {
        return 0;
    }
    for (;;) {
        next = memchr(p, ',', (size_t)(end - p));
        e = next ? next : end;
        while (p < e && (*p == ' ' || *p == '\t')) {
            p++;
        }
        while (e > p && (e[-1] == ' ' || e[-1] == '\t')) {
            e--;
        }
        /* Empty list members are allowed (section 3.3.1.1). */
        if (e > p) {
            eq = memchr(p, '=', (size_t)(e - p));
            if (eq == NULL || ++members > 32
                || !ts_key_ok(p, (size_t)(eq - p))
                || !ts_value_ok(eq + 1, (size_t)(e - eq - 1))) {
                return 0;
            }
        }
        if (next == NULL) {
            return members > 0;
        }
        p = next + 1;
    }
}

int migate_traceparent_make(const char *id, const unsigned char rnd[8],
                            char out[MIGATE_TRACEPARENT_LEN + 1])
{
    static const char hex[] = "0123456789abcdef";
    size_t i, k = 3;
    int nonzero = 0;

    if (!migate_uuid_valid(id, id ? strlen(id) : 0)) {
        return -1;
    }
    memcpy(out, "00-", 3);
    for (i = 0; i < MIGATE_UUID_LEN; i++) {
        if (id[i] != '-') {
            out[k++] = (char)apr_tolower(id[i]);
        }
    }
    out[k++] = '-';
    for (i = 0; i < 8; i++) {
        out[k++] = hex[rnd[i] >> 4];
        out[k++] = hex[rnd[i] & 0x0f];
        nonzero |= rnd[i];
    }
    if (!nonzero) {
        out[k - 1] = '1';
    }
    memcpy(out + k, "-01", 4);
    return 0;
}
