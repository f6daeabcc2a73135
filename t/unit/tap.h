/*
 * tap.h - minimal TAP output for the C unit tests, read by prove(1).
 */
#ifndef MIGATE_TAP_H
#define MIGATE_TAP_H

#include <stdio.h>
#include <string.h>

static int tap_n, tap_failed;

#define ok(cond, ...) tap_ok(!!(cond), __FILE__, __LINE__, __VA_ARGS__)

static void tap_ok(int pass, const char *file, int line, const char *fmt,
                   ...) __attribute__((format(printf, 4, 5)));

#include <stdarg.h>
static void tap_ok(int pass, const char *file, int line, const char *fmt,
                   ...)
{
    va_list ap;
    tap_n++;
    printf("%sok %d - ", pass ? "" : "not ", tap_n);
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    printf("\n");
    if (!pass) {
        tap_failed++;
        printf("#   Failed test at %s line %d\n", file, line);
    }
}

#define is_int(got, want, ...) do {                                     \
        long long g_ = (long long)(got), w_ = (long long)(want);        \
        ok(g_ == w_, __VA_ARGS__);                                      \
        if (g_ != w_) printf("#   got %lld, want %lld\n", g_, w_);      \
    } while (0)

#define is_str(got, want, ...) do {                                     \
        const char *g_ = (got), *w_ = (want);                           \
        int same_ = (g_ && w_) ? strcmp(g_, w_) == 0 : g_ == w_;        \
        ok(same_, __VA_ARGS__);                                         \
        if (!same_) printf("#   got \"%s\", want \"%s\"\n",             \
                           g_ ? g_ : "(null)", w_ ? w_ : "(null)");     \
    } while (0)

#define diag(...) do { printf("# "); printf(__VA_ARGS__); printf("\n"); } while (0)

static int done_testing(void)
{
    printf("1..%d\n", tap_n);
    return tap_failed ? 1 : 0;
}

#endif /* MIGATE_TAP_H */
