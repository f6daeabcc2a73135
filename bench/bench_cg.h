/*
 * bench_cg.h - callgrind's client requests where valgrind's header is
 * installed, nothing where it is not: a bench runs the same either way,
 * and under valgrind --tool=callgrind --collect-atstart=no it collects
 * only what it brackets with CALLGRIND_TOGGLE_COLLECT.
 */
#ifndef BENCH_CG_H
#define BENCH_CG_H

#if defined(__has_include) && !defined(BENCH_NO_CALLGRIND)
#if __has_include(<valgrind/callgrind.h>)
#include <valgrind/callgrind.h>
#define HAVE_CALLGRIND 1
#endif
#endif
#ifndef HAVE_CALLGRIND
#define CALLGRIND_ZERO_STATS
#define CALLGRIND_TOGGLE_COLLECT
#define CALLGRIND_DUMP_STATS_AT(s) ((void)(s))
#endif

#endif
