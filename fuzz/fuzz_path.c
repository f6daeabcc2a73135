/*
 * fuzz_path.c - libFuzzer target for migate_canon().
 *
 * The input is a raw request target, split at the first '?'.  Whatever
 * the bytes, the canonicaliser must not crash or read out of bounds, must
 * answer one of its four verdicts, and an accepted path must be in
 * canonical form: starts with '/', no empty or dot segment, no '%', ';',
 * '\', control character (C0, C1, line separators, bidi controls),
 * valid UTF-8, no longer than the raw path, a fixed point of
 * migate_canon(), and canonical to migate_sent_path_check() as well.
 *
 *   clang -fsanitize=fuzzer,address,undefined -Imod_migate \
 *       $(apr-1-config --cflags --cppflags --includes) fuzz/fuzz_path.c \
 *       mod_migate/migate_path.c mod_migate/migate_core.c \
 *       $(apr-1-config --link-ld --libs)
 *   ./a.out fuzz/corpus/path
 */
#include <stdlib.h>
#include <string.h>

#include "migate_path.h"

#define CHECK(c) do { if (!(c)) { __builtin_trap(); } } while (0)

/* 1 when s[0..n) is valid UTF-8 without C1 controls, U+2028, U+2029 or
 * bidi controls, written
 * plainly here so that it does not share code with what it checks. */
static int plain_utf8(const unsigned char *s, size_t n)
{
    size_t i = 0;

    while (i < n) {
        uint32_t cp;
        size_t k, len;

        if (s[i] < 0x80) {
            i++;
            continue;
        }
        if ((s[i] & 0xe0) == 0xc0) {
            len = 2;
            cp = s[i] & 0x1f;
        }
        else if ((s[i] & 0xf0) == 0xe0) {
            len = 3;
            cp = s[i] & 0x0f;
        }
        else if ((s[i] & 0xf8) == 0xf0) {
            len = 4;
            cp = s[i] & 0x07;
        }
        else {
            return 0;
        }
        if (n - i < len) {
            return 0;
        }
        for (k = 1; k < len; k++) {
            if ((s[i + k] & 0xc0) != 0x80) {
                return 0;
            }
            cp = (cp << 6) | (s[i + k] & 0x3f);
        }
        if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800)
            || (len == 4 && cp < 0x10000) || cp > 0x10ffff
            || (cp >= 0xd800 && cp <= 0xdfff)
            || cp <= 0x9f                          /* C1 controls */
            || cp == 0x2028 || cp == 0x2029
            || (cp >= 0x202a && cp <= 0x202e)      /* bidi controls */
            || (cp >= 0x2066 && cp <= 0x2069)) {
            return 0;
        }
        i += len;
    }
    return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *q = memchr(data, '?', size);
    size_t path_len = q ? (size_t)(q - data) : size;
    size_t query_len = q ? size - path_len - 1 : 0;
    char *path, *query, *out, *again, *dec;
    size_t out_len = 12345, again_len, i;
    migate_reason_e rv;

    /* exact-size copies: ASan sees any read past the lengths */
    path = malloc(path_len ? path_len : 1);
    query = malloc(query_len ? query_len : 1);
    out = malloc(path_len + 1);
    memcpy(path, data, path_len);
    if (q) {
        memcpy(query, q + 1, query_len);
    }

    rv = migate_canon(path, path_len, q ? query : NULL, query_len, out,
                      &out_len);
    CHECK(rv == MIGATE_PASS || rv == MIGATE_R_ENCODING
          || rv == MIGATE_R_CONTROL_CHAR || rv == MIGATE_R_DOT_SEGMENT);

    if (rv != MIGATE_PASS) {
        CHECK(out[0] == '\0' && out_len == 0);
        goto done;
    }

    CHECK(out_len >= 1 && out_len <= path_len);
    CHECK(strlen(out) == out_len);
    CHECK(out[0] == '/');
    for (i = 0; i < out_len; i++) {
        unsigned char c = (unsigned char)out[i];
        CHECK(c >= 0x20 && c != 0x7f);
        CHECK(c != '%' && c != ';' && c != '\\' && c != '#' && c != '?');
        if (c == '/' && i + 1 < out_len) {
            /* no empty, "." or ".." segment */
            CHECK(out[i + 1] != '/');
            if (out[i + 1] == '.') {
                size_t d = (i + 2 < out_len && out[i + 2] == '.') ? 3 : 2;
                CHECK(i + d < out_len && out[i + d] != '/');
            }
        }
    }
    CHECK(plain_utf8((const unsigned char *)out, out_len));
    CHECK(strstr(out, "//") == NULL);
    CHECK(strstr(out, "/./") == NULL && strstr(out, "/../") == NULL);

    /* idempotent: nothing left to decode, drop, merge or resolve */
    again = malloc(out_len + 1);
    rv = migate_canon(out, out_len, NULL, 0, again, &again_len);
    CHECK(rv == MIGATE_PASS);
    CHECK(again_len == out_len && memcmp(again, out, out_len + 1) == 0);
    /* the canonical path is what the gate would send: canonical there */
    CHECK(migate_sent_path_check(out, out_len) == MIGATE_PASS);
    free(again);

    /* the query of an accepted target decodes without trouble */
    dec = malloc(query_len + 1);
    CHECK(migate_query_decode(query, q ? query_len : 0, dec) <= query_len);
    free(dec);

done:
    free(path);
    free(query);
    free(out);
    return 0;
}
