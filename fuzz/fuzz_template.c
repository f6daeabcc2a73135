/*
 * fuzz_template.c - libFuzzer target for MiGateAllowTemplate
 * (migate_template_check and the template rules of the segment trie).
 *
 * Input: lines.  The first two are templates (an empty one is left
 * out), the others paths, matched as they are (any bytes but control
 * characters, which no canonical path holds).
 * Besides "never crash": a template the check accepts starts with '/',
 * and its rule matches a path exactly when the regex tools/migate-policy
 * wrote for the same uri-template matches it (t/unit/policy_regex.h),
 * compiled with PCRE2; with two templates, exactly when either does, and
 * the rule named is one whose regex matches.  The walk that tries a
 * literal child before a wildcard child is what two templates test.
 *
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined \
 *       $(apr-1-config --cflags --cppflags --includes) -Imod_migate \
 *       fuzz/fuzz_template.c mod_migate/migate_*.c (the core) \
 *       $(apr-1-config --link-ld --libs) -lpcre2-8
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include <apr_general.h>
#include <apr_pools.h>

#include "migate_trie.h"
#include "../t/unit/policy_regex.h"

#define CHECK(cond) do { if (!(cond)) { __builtin_trap(); } } while (0)

static apr_pool_t *pool;
static pcre2_match_data *md;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    apr_initialize();
    apr_pool_create(&pool, NULL);
    md = pcre2_match_data_create(1, NULL);
    return 0;
}

/* The canonical path never holds a control character (migate_path.h);
 * a regex's '$' would match before a final newline. */
static int has_control(const char *s, size_t len)
{
    size_t i;

    for (i = 0; i < len; i++) {
        if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f) {
            return 1;
        }
    }
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    apr_pool_t *p;
    char *in, *line[34];
    int n = 0, i, k, nt = 0, rule, matched;
    const char *tmpl[2];
    pcre2_code *re[2];
    migate_trie *t;

    if (size > 4096) {
        return 0;
    }
    apr_pool_create(&p, pool);
    in = apr_pstrmemdup(p, (const char *)data, size);
    line[n++] = in;
    for (i = 0; i < (int)size && n < 34; i++) {
        if (in[i] == '\n') {
            in[i] = '\0';
            line[n++] = in + i + 1;
        }
    }
    t = migate_trie_make(p);
    for (k = 0; k < 2 && k < n; k++) {
        /* a NUL inside a line ends it, as it ends a directive argument */
        if (!*line[k] || migate_template_check(p, line[k])) {
            continue;
        }
        CHECK(line[k][0] == '/');
        tmpl[nt] = line[k];
        {
            int ec;
            PCRE2_SIZE off;
            re[nt] = pcre2_compile((PCRE2_SPTR)policy_regex(p, line[k]),
                                   PCRE2_ZERO_TERMINATED, PCRE2_NEVER_UTF,
                                   &ec, &off, NULL);
            CHECK(re[nt] != NULL);
        }
        migate_trie_add_template(p, t, tmpl[nt], 0, nt);
        nt++;
    }
    for (i = 2; nt && i < n; i++) {
        size_t len = strlen(line[i]);
        int want = 0, got;

        if (len == 0 || line[i][0] != '/' || has_control(line[i], len)) {
            continue;
        }
        for (k = 0; k < nt; k++) {
            want |= pcre2_match(re[k], (PCRE2_SPTR)line[i], len, 0, 0, md,
                                NULL) >= 0;
        }
        matched = 0;
        rule = -1;
        got = migate_trie_match(t, line[i], len, NULL, 0, &matched, &rule);
        CHECK(got == want);
        if (got) {
            CHECK(rule >= 0 && rule < nt
                  && pcre2_match(re[rule], (PCRE2_SPTR)line[i], len, 0, 0,
                                 md, NULL) >= 0);
        }
    }
    for (k = 0; k < nt; k++) {
        pcre2_code_free(re[k]);
    }
    apr_pool_destroy(p);
    return 0;
}
