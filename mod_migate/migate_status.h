/*
 * migate_status.h - what the status counters (migate_counters.c) show
 * to the pages that render them (migate_status.c).
 */
#ifndef MIGATE_STATUS_H
#define MIGATE_STATUS_H

#include "migate_glue.h"

/* A gated server of this configuration generation, as the counters know
 * it: its label and the entries of its counters in the shared table
 * (-1: not counted, the table being off or full).  Rules of one name
 * share an entry: rule[i] == rule[j] for rule indexes of one name. */
typedef struct {
    const server_rec *s;
    const migate_srv_conf *sc;
    const char *label;          /* unique among the gated servers       */
    long passed;
    long no_rule;               /* passed with no rule named            */
    long refused[MIGATE_R__COUNT];  /* by reason, [0] unused            */
    long reported[MIGATE_R__COUNT];
    long *rule;                 /* by rule index of its policy          */
    int nrules;
} migate_counted;

/* The gated servers, in configuration order. */
const apr_array_header_t *migate_counted_servers(void);
/* Whether counters are kept (the shared table exists), since when (the
 * start that made the table), and how full the table is. */
int migate_counters_on(void);
apr_time_t migate_counters_since(void);
void migate_counters_fill(unsigned *used, unsigned *entries);
/* One counter's value now; 0 for entry -1. */
apr_uint64_t migate_counter(long entry);

#endif /* MIGATE_STATUS_H */
