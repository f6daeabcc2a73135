/*
 * bench_uuid.c - how long migate_uuid_make takes per id, version 4 and
 * version 7, in one thread.  Prints figures only; no pass or fail.
 *
 *   bench_uuid [count]      (default 2000000 ids per version)
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "migate_uuid.h"

static double now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static void run(int version, long count)
{
    char id[MIGATE_UUID_LEN + 1];
    unsigned long sink = 0;
    double t0, ns;
    long i;

    /* Warm up: first getrandom, page faults, atfork registration. */
    for (i = 0; i < 1000; i++) {
        migate_uuid_make(version, id);
    }
    t0 = now_ns();
    for (i = 0; i < count; i++) {
        if (migate_uuid_make(version, id) != 0) {
            fprintf(stderr, "bench_uuid: migate_uuid_make(%d) failed\n",
                    version);
            exit(1);
        }
        sink += (unsigned char)id[35];  /* keep the work observable */
    }
    ns = now_ns() - t0;
    printf("uuid v%d: %ld ids in %.1f ms: %.1f ns/id, %.0f ids/s "
           "(last %s, sink %lu)\n", version, count, ns / 1e6,
           ns / (double)count, (double)count * 1e9 / ns, id, sink % 10);
}

int main(int argc, char **argv)
{
    long count = argc > 1 ? strtol(argv[1], NULL, 10) : 2000000;

    if (count <= 0) {
        fprintf(stderr, "usage: bench_uuid [count]\n");
        return 2;
    }
    run(4, count);
    run(7, count);
    return 0;
}
