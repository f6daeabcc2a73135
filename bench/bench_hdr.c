/*
 * bench_hdr.c - what the owned-header look-up costs a request: every
 * header name of a request looked up as the gate's glue looks it up
 * (migate_owned_lookup and the id header, migate_owned.c), for a
 * browser's request (no owned header) and an API client's behind a
 * proxy (some).  Prints "hdr <case> <ns per request> <names> <owned>";
 * under valgrind --tool=callgrind --collect-atstart=no it collects only
 * the timed loops and dumps one profile per case, named "hdr-<case>".
 *
 *   bench_hdr [count]       (default 1000000 requests per case)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "migate_hdr.h"

#include "bench_cg.h"

/* What a current browser sends for a page. */
static const char *const browser[] = {
    "Host", "User-Agent", "Accept", "Accept-Language", "Accept-Encoding",
    "Connection", "Cookie", "Referer", "Upgrade-Insecure-Requests",
    "Sec-Fetch-Dest", "Sec-Fetch-Mode", "Sec-Fetch-Site", "Sec-Fetch-User",
    "Priority", NULL
};

/* An API client behind a load balancer, with trace context. */
static const char *const api[] = {
    "Host", "User-Agent", "Accept", "Content-Type", "Content-Length",
    "Authorization", "X-Forwarded-For", "X-Forwarded-Proto",
    "X-Forwarded-Port", "X-Amzn-Trace-Id", "traceparent", "tracestate",
    "X-Api-Key", "activityid", NULL
};

static double now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

/* Out of line so that a profile can be limited to it. */
__attribute__((noinline))
static unsigned long timed_loop(const char *const *names,
                                const size_t *lens, long count)
{
    unsigned long owned = 0;
    long i;
    int k;

    for (i = 0; i < count; i++) {
        for (k = 0; names[k]; k++) {
            owned += migate_owned_name(names[k], lens[k], "activityid");
        }
    }
    return owned;
}

static void run(const char *label, const char *const *names, long count)
{
    size_t lens[32];
    unsigned long owned;
    double t0, ns;
    int n;

    for (n = 0; names[n]; n++) {
        lens[n] = strlen(names[n]);
    }
    timed_loop(names, lens, 1000);      /* warm up */
    CALLGRIND_ZERO_STATS;
    CALLGRIND_TOGGLE_COLLECT;
    t0 = now_ns();
    owned = timed_loop(names, lens, count);
    ns = now_ns() - t0;
    CALLGRIND_TOGGLE_COLLECT;
    CALLGRIND_DUMP_STATS_AT(label);
    printf("%s %.1f %d %lu\n", label, ns / (double)count, n,
           owned / (unsigned long)count);
}

int main(int argc, char **argv)
{
    long count = argc > 1 ? strtol(argv[1], NULL, 10) : 1000000;

    if (count <= 0) {
        fprintf(stderr, "usage: bench_hdr [count]\n");
        return 2;
    }
    run("hdr-browser", browser, count);
    run("hdr-api", api, count);
    return 0;
}
