/*
 * migate_path.c - turns the raw request target into the one path the gate
 * decides on, or refuses it as ambiguous.  Pure: no httpd headers.
 *
 * Two stages, no allocation:
 *
 *  1. scan: one pass over the raw path (decoding it once into the caller's
 *     buffer) and one over the raw query, each byte pushed through small
 *     state machines that catch control characters in every form, bad
 *     escapes and invalid UTF-8.  Runs of plain ASCII with every machine
 *     idle take a fast path: a table look-up a byte, then one memcpy.
 *  2. resolve: in place over the decoded path, segment by segment: drop
 *     ';parameters', merge empty segments, resolve '.' and '..'.
 *
 * Stage 2 may trust '/' and ';' in the decoded bytes to be the client's
 * raw ones, because stage 1 refuses %2F and %3B.
 */
#include <string.h>

#include "migate_path.h"

/* Classes of raw bytes.  Everything that is not C_PLAIN leaves the fast
 * path; C_PLAIN bytes are ASCII and neither '%' nor control. */
enum {
    C_PLAIN = 0,
    C_PCT,      /* '%': an escape, or an invalid one                   */
    C_CTRL,     /* 0x00-0x1F, 0x7F                                     */
    C_BAD,      /* never valid here: '\', '#', '?' in the path          */
    C_HIGH      /* 0x80-0xFF: must be part of valid UTF-8               */
};

/* Range initialisers are a GNU C extension; the build is -std=gnu11. */
#define CLASS_COMMON                    \
    [0x00 ... 0x1f] = C_CTRL,           \
    [0x7f] = C_CTRL,                    \
    [0x80 ... 0xff] = C_HIGH,           \
    ['%'] = C_PCT,                      \
    ['#'] = C_BAD

static const unsigned char path_class[256] = {
    CLASS_COMMON,
    ['\\'] = C_BAD,
    /* The caller split at the first '?', so one here means the split was
     * done differently from ours: ambiguous. */
    ['?'] = C_BAD,
};

static const unsigned char query_class[256] = {
    CLASS_COMMON,
};

/* Hex digits: 0x10 | value, so that 0 means "not a hex digit" and no
 * initialiser has to overwrite another. */
#define H(v) (0x10 | (v))
static const unsigned char hexval[256] = {
    ['0'] = H(0), ['1'] = H(1), ['2'] = H(2), ['3'] = H(3), ['4'] = H(4),
    ['5'] = H(5), ['6'] = H(6), ['7'] = H(7), ['8'] = H(8), ['9'] = H(9),
    ['a'] = H(10), ['b'] = H(11), ['c'] = H(12), ['d'] = H(13),
    ['e'] = H(14), ['f'] = H(15),
    ['A'] = H(10), ['B'] = H(11), ['C'] = H(12), ['D'] = H(13),
    ['E'] = H(14), ['F'] = H(15),
};
#define IS_HEX(c)  (hexval[c] != 0)
#define HEX_OF(c)  (hexval[c] & 0x0fu)

/* Bytes that must not arrive percent-encoded in the path: each would
 * mean a different path to httpd, mod_proxy and a servlet container
 * ('/' splits segments or not, '\' is a separator on some, '?' and '#'
 * end the path or not, '%' is decoded a second time or not, ';' starts
 * parameters or not). */
static const unsigned char path_esc_bad[256] = {
    ['/'] = 1, ['\\'] = 1, ['?'] = 1, ['#'] = 1, ['%'] = 1, [';'] = 1,
};

/* Incremental UTF-8 check.  On a malformed sequence it reports U8_BAD and
 * restarts at the offending byte, so a line break right after garbage is
 * still seen. */
typedef struct {
    uint32_t cp;
    unsigned char need;     /* continuation bytes still expected */
    unsigned char lo, hi;   /* allowed range of the next one     */
} u8_state;

enum { U8_OK = 0, U8_BAD = 1, U8_CTRL = 2 };

/* Code points that can forge or disguise a log line once decoded: the
 * C1 controls (U+0085 NEL among them), LINE and PARAGRAPH SEPARATOR,
 * where some log viewers break lines, the bidirectional controls
 * (U+202A-U+202E, U+2066-U+2069), which reorder what a reader sees, and
 * the bidi marks (U+200E LRM, U+200F RLM, U+061C ALM), which move a
 * neutral character such as '/' or '"' to the other side of its
 * neighbours on screen. */
static int cp_is_ctrl(uint32_t cp)
{
    return (cp >= 0x80 && cp <= 0x9f)
        || cp == 0x061c || cp == 0x200e || cp == 0x200f
        || (cp >= 0x2028 && cp <= 0x202e)
        || (cp >= 0x2066 && cp <= 0x2069);
}

static int u8_step(u8_state *u, unsigned b)
{
    int bad = U8_OK;

    if (u->need) {
        if (b >= u->lo && b <= u->hi) {
            u->cp = (u->cp << 6) | (b & 0x3f);
            u->lo = 0x80;
            u->hi = 0xbf;
            if (--u->need == 0 && cp_is_ctrl(u->cp)) {
                return U8_CTRL;
            }
            return U8_OK;
        }
        bad = U8_BAD;
        u->need = 0;
    }
    if (b < 0x80) {
        return bad;
    }
    /* The lead byte fixes the length and the range of the first
     * continuation byte, which is what rules out overlong forms (C0, C1,
     * E0 80-9F, F0 80-8F), surrogates (ED A0-BF) and code points above
     * U+10FFFF (F4 90-BF, F5-FF). */
    u->lo = 0x80;
    u->hi = 0xbf;
    if (b < 0xc2) {
        return U8_BAD;
    }
    else if (b < 0xe0) {
        u->need = 1;
        u->cp = b & 0x1f;
    }
    else if (b < 0xf0) {
        u->need = 2;
        u->cp = b & 0x0f;
        if (b == 0xe0) {
            u->lo = 0xa0;
        }
        else if (b == 0xed) {
            u->hi = 0x9f;
        }
    }
    else if (b < 0xf5) {
        u->need = 3;
        u->cp = b & 0x07;
        if (b == 0xf0) {
            u->lo = 0x90;
        }
        else if (b == 0xf4) {
            u->hi = 0x8f;
        }
    }
    else {
        return U8_BAD;
    }
    return bad;
}

size_t migate_utf8_len(const unsigned char *s, size_t n)
{
    u8_state u = { 0, 0, 0, 0 };
    size_t i = 0;

    if (n == 0) {
        return 0;
    }
    do {
        if (u8_step(&u, s[i]) == U8_BAD) {
            return 0;
        }
        i++;
    } while (u.need && i < n);
    return u.need ? 0 : i;
}

/* What one scan found, and the machines it carries across bytes. */
typedef struct {
    u8_state u1;            /* UTF-8 of the once-decoded bytes         */
    u8_state u2;            /* ... of the twice-decoded bytes          */
    unsigned char d2;       /* second decoding: 0, saw '%', saw '%X'   */
    unsigned char d2_hi;    /* value of the X in '%X'                  */
    unsigned char enc;      /* an encoding problem was seen            */
} scan_state;

#define IS_CTRL(b) ((b) < 0x20 || (b) == 0x7f)

/* Feed one byte of the twice-decoded stream.  Returns 1 on a control
 * character in any of its forms there. */
static int d2_emit(scan_state *s, unsigned b)
{
    return IS_CTRL(b) || u8_step(&s->u2, b) == U8_CTRL;
}

/* Feed one once-decoded byte to the second decoding, which exists only
 * to find control characters and line breaks hidden under '%25'.  It is
 * lenient: "%" not followed by two hex digits stays literal, as a query
 * like "?off=50%" is legitimate. */
static int d2_step(scan_state *s, unsigned b)
{
    for (;;) {
        if (s->d2 == 0) {
            if (b == '%') {
                s->d2 = 1;
                return 0;
            }
            return d2_emit(s, b);
        }
        if (IS_HEX(b)) {
            if (s->d2 == 1) {
                s->d2_hi = (unsigned char)HEX_OF(b);
                s->d2 = 2;
                return 0;
            }
            s->d2 = 0;
            return d2_emit(s, (unsigned)(s->d2_hi << 4) | HEX_OF(b));
        }
        /* Not an escape after all: the pending "%" or "%X" are plain
         * ASCII, which ends any UTF-8 sequence; then b starts afresh. */
        s->d2 = 0;
        s->u2.need = 0;
    }
}

/*
 * Scan a raw path (out != NULL: decode into out) or a raw query
 * (out == NULL).  Returns 1 as soon as a control character turns up in
 * any form; otherwise 0, with s->enc set when an encoding problem was
 * seen and *out_len the decoded length.
 */
static inline int scan(const unsigned char *p, size_t n,
                       const unsigned char *cls, unsigned char *out,
                       size_t *out_len, scan_state *s)
{
    size_t i = 0, w = 0;

    while (i < n) {
        unsigned c, b;

        if (!(s->u1.need | s->u2.need | s->d2)) {
            /* No machine can change state on plain ASCII when all are
             * idle: the common case is a run of bytes to copy. */
            size_t j = i;

            while (j < n && cls[p[j]] == C_PLAIN) {
                j++;
            }
            if (out && j > i) {
                memcpy(out + w, p + i, j - i);
                w += j - i;
            }
            i = j;
            if (i == n) {
                break;
            }
        }
        c = p[i];
        switch (cls[c]) {
        case C_PCT:
            if (n - i > 2 && IS_HEX(p[i + 1]) && IS_HEX(p[i + 2])) {
                b = (HEX_OF(p[i + 1]) << 4) | HEX_OF(p[i + 2]);
                i += 3;
                if (out && path_esc_bad[b]) {
                    s->enc = 1;
                }
                if (IS_CTRL(b)) {
                    return 1;
                }
            }
            else {
                /* "%", "%4", "%zz", "%u0041": go on as if the '%' were
                 * literal, so that a control character further on still
                 * takes precedence. */
                s->enc = 1;
                b = c;
                i++;
            }
            break;
        case C_CTRL:
            return 1;
        case C_BAD:
            s->enc = 1;
            b = c;
            i++;
            break;
        default:
            b = c;
            i++;
            break;
        }
        switch (u8_step(&s->u1, b)) {
        case U8_BAD:
            s->enc = 1;
            break;
        case U8_CTRL:
            return 1;
        }
        if (d2_step(s, b)) {
            return 1;
        }
        if (out) {
            out[w++] = (unsigned char)b;
        }
    }
    if (s->u1.need) {
        /* truncated sequence at the end */
        s->enc = 1;
    }
    if (out_len) {
        *out_len = w;
    }
    return 0;
}

/*
 * Resolve the decoded path in place: buf[0] is '/', n >= 1.  Invariant:
 * buf[0..w) ends with '/' before each segment is looked at.
 *
 * A dot segment is refused where httpd and a servlet container resolve
 * it differently.  httpd's ap_normalize_path (server/util.c) and
 * mod_proxy treat ';' as an ordinary byte and, with MergeSlashes On,
 * drop an empty segment before resolving: "/a/;/../b" and "/a//../b"
 * are "/a/b" to them.  A servlet container (and MI's PassThrough
 * transport behind it) first cuts ";params" from each segment and keeps
 * empty segments, so ".." removes the segment before it: "/b".  Hence
 * every dot segment hidden by ';' ("/..;/"), and every dot segment after
 * a segment with ';' parameters or an empty segment, is ambiguous.
 */
static migate_reason_e resolve(unsigned char *buf, size_t n, size_t *len)
{
    size_t r = 1, w = 1;
    int odd = 0;        /* an empty or ';' segment came before */

    while (r < n) {
        size_t s = r, e, name_len;
        int params = 0;

        /* the name runs to the first ';' or '/', the segment to '/' */
        while (r < n && buf[r] != '/' && buf[r] != ';') {
            r++;
        }
        name_len = r - s;
        if (r < n && buf[r] == ';') {
            const unsigned char *slash = memchr(buf + r, '/', n - r);

            params = 1;
            r = slash ? (size_t)(slash - buf) : n;
        }
        e = r;

        if (buf[s] == '.' && name_len >= 1 && name_len <= 2
            && (name_len == 1 || buf[s + 1] == '.')) {
            if (params || odd) {
                return MIGATE_R_DOT_SEGMENT;
            }
            if (name_len == 2) {
                if (w == 1) {
                    return MIGATE_R_DOT_SEGMENT;
                }
                /* drop the last segment and its '/' */
                w--;
                while (buf[w - 1] != '/') {
                    w--;
                }
            }
        }
        else if (name_len > 0) {
            if (w != s) {
                memmove(buf + w, buf + s, name_len);
            }
            w += name_len;
            if (e < n) {
                buf[w++] = '/';
            }
        }
        /* "//" or a segment of parameters only contributes nothing */
        odd |= params || name_len == 0;
        r = e + 1;
    }
    buf[w] = '\0';
    *len = w;
    return MIGATE_PASS;
}

migate_reason_e migate_canon(const char *path, size_t path_len,
                             const char *query, size_t query_len,
                             char *out, size_t *out_len)
{
    scan_state s;
    size_t n = 0;
    migate_reason_e rv;

    if (!path) {
        path_len = 0;
    }
    if (!query) {
        query_len = 0;
    }
    memset(&s, 0, sizeof(s));

    /* Precedence: a control character anywhere wins (log forging is the
     * headline concern), then encoding, then dot segments. */
    if (scan((const unsigned char *)path, path_len, path_class,
             (unsigned char *)out, &n, &s)) {
        rv = MIGATE_R_CONTROL_CHAR;
        goto refuse;
    }
    /* The query is a separate stream: a sequence left open at the end of
     * the path does not continue into it. */
    s.u1.need = s.u2.need = 0;
    s.d2 = 0;
    if (scan((const unsigned char *)query, query_len, query_class, NULL,
             NULL, &s)) {
        rv = MIGATE_R_CONTROL_CHAR;
        goto refuse;
    }
    if (s.enc || path_len == 0 || path[0] != '/') {
        rv = MIGATE_R_ENCODING;
        goto refuse;
    }
    rv = resolve((unsigned char *)out, n, out_len);
    if (rv == MIGATE_PASS) {
        return MIGATE_PASS;
    }

refuse:
    out[0] = '\0';
    *out_len = 0;
    return rv;
}

/* Whether bytes p[0..n) spell "." or ".." with '.' raw or as %2e. */
static int is_dot_name(const unsigned char *p, size_t n)
{
    size_t i = 0, dots = 0;

    while (i < n) {
        if (p[i] == '.') {
            i++;
        }
        else if (n - i >= 3 && p[i] == '%' && p[i + 1] == '2'
                 && (p[i + 2] | 0x20) == 'e') {
            i += 3;
        }
        else {
            return 0;
        }
        dots++;
    }
    return dots == 1 || dots == 2;
}

migate_reason_e migate_sent_path_check(const char *path, size_t path_len)
{
    const unsigned char *p = (const unsigned char *)path;
    size_t i = 1;

    if (!path || path_len == 0 || p[0] != '/') {
        return MIGATE_R_ENCODING;
    }
    /* An escape that means a separator, a parameter or another escape
     * would be read differently by whoever decodes after mod_proxy. */
    for (i = 0; i + 2 < path_len; i++) {
        if (p[i] == '%' && IS_HEX(p[i + 1]) && IS_HEX(p[i + 2])
            && path_esc_bad[(HEX_OF(p[i + 1]) << 4) | HEX_OF(p[i + 2])]) {
            return MIGATE_R_ENCODING;
        }
    }
    i = 1;
    while (i <= path_len) {
        const unsigned char *slash = memchr(p + i, '/', path_len - i);
        size_t e = slash ? (size_t)(slash - p) : path_len;
        const unsigned char *semi = memchr(p + i, ';', e - i);
        size_t name_end = semi ? (size_t)(semi - p) : e;

        if (e == i && slash) {
            /* "//": an empty segment (a final '/' is not one) */
            return MIGATE_R_DOT_SEGMENT;
        }
        if (is_dot_name(p + i, name_end - i)) {
            return MIGATE_R_DOT_SEGMENT;
        }
        if (!slash) {
            break;
        }
        i = e + 1;
    }
    return MIGATE_PASS;
}

/* The bytes a request-target may not hold raw (RFC 3986 section 2,
 * RFC 9112 section 3.2): mod_proxy sends the target as it stands, so
 * a raw '"', '|' or '<' that mod_rewrite's [NE] left in it would reach
 * MI's request line and its logs ('|' separates the fields of MI's
 * correlation log).  '%' is not here: its escapes are the path and
 * query checks' to judge. */
static const unsigned char target_bad[256] = {
    [' '] = 1, ['"'] = 1, ['<'] = 1, ['>'] = 1, ['|'] = 1, ['\\'] = 1,
    ['^'] = 1, ['`'] = 1, ['{'] = 1, ['}'] = 1,
};

migate_reason_e migate_sent_target_check(const char *target,
                                         size_t target_len)
{
    const unsigned char *t = (const unsigned char *)target;
    size_t i;

    for (i = 0; t && i < target_len; i++) {
        if (t[i] < 0x20 || t[i] == 0x7f) {
            return MIGATE_R_CONTROL_CHAR;
        }
        if (t[i] > 0x7f || target_bad[t[i]]) {
            return MIGATE_R_ENCODING;
        }
    }
    return MIGATE_PASS;
}

size_t migate_query_decode(const char *query, size_t query_len, char *out)
{
    const unsigned char *q = (const unsigned char *)query;
    size_t i = 0, w = 0;

    while (i < query_len) {
        /* copy the run up to the next '%' in one go */
        const unsigned char *pct = memchr(q + i, '%', query_len - i);
        size_t run = pct ? (size_t)(pct - q) - i : query_len - i;

        memcpy(out + w, q + i, run);
        w += run;
        i += run;
        if (i == query_len) {
            break;
        }
        if (query_len - i > 2 && IS_HEX(q[i + 1])
            && IS_HEX(q[i + 2])) {
            out[w++] = (char)((HEX_OF(q[i + 1]) << 4) | HEX_OF(q[i + 2]));
            i += 3;
        }
        else {
            out[w++] = (char)q[i++];
        }
    }
    out[w] = '\0';
    return w;
}
