/*
 * migate_counters.c - the counters of the migate-status handler: what
 * each gated server passed, reported and refused, by reason, and how
 * often each rule decided, summed over every child and thread, kept
 * across restarts.
 *
 * They live in one table of named counters (migate_tally.c) in shared
 * memory that the parent makes once, at its first start, from the
 * process pool, and finds again at every restart through
 * ap_retained_data: pconf, cleared at each restart, would unmap it, as
 * it would unload this module (its statics with it).  This is how the
 * scoreboard and mod_slotmem_shm keep mod_status's and the balancers'
 * numbers over a graceful restart.  So the counters start from zero
 * only when httpd is stopped and started.
 *
 * A counter is named by what it counts, never by a position that a new
 * configuration may give to something else: the server's label and the
 * rule's text ("api.example.com:443", "rule", "MiGateAllow GET /api").
 * At each start and restart the parent looks up (or adds) the entry of
 * every counter of the configuration it has just read, before any child
 * of it is forked; the children inherit the entry numbers.  Entries are
 * never moved or removed, so a child of the old generation, finishing
 * its last requests after a graceful restart, still counts on the
 * entries of the servers and rules of its configuration, which are the
 * new configuration's too wherever they are unchanged.  Counting is two
 * relaxed atomic adds: no lock, no allocation, no look-up.
 *
 * The table is sized at the first start for four times what that
 * configuration needs (and at least TALLY_MIN_ENTRIES).  If a later
 * configuration brings more new names than it has room left for, those
 * counters are not kept (MIGATE0042 says how many; the others go on);
 * a stop and start makes a table sized for the configuration then.
 */
#include <string.h>

#include "httpd.h"
#include "http_config.h"
#include "http_core.h"
#include "http_log.h"
#include "http_main.h"
#include "apr_strings.h"
#include "apr_shm.h"
#include "apr_time.h"

#include "migate_glue.h"
#include "migate_status.h"
#include "migate_tally.h"

#define TALLY_RETAINED      "mod_migate-status-counters"
#define TALLY_HEADROOM      4
#define TALLY_MIN_ENTRIES   4096
#define TALLY_MIN_NAMES     (256 * 1024)

/* Kept by the parent across restarts (ap_retained_data). */
typedef struct {
    migate_tally *tally;
    apr_time_t since;           /* when the table was made              */
    int failed;                 /* making it failed: do not try again   */
} migate_retained;

/* This generation's, set in the parent before any child of it is
 * forked. */
static migate_tally *tally;
static apr_time_t since;
static apr_array_header_t *servers;     /* migate_counted               */

/* ------------------------------------------------------------------ */
/* Names                                                              */

/* Every counter of a server, named: label, what, and for a reason or a
 * rule its name; the entry it is kept in goes to *at. */
typedef struct {
    const char *key;
    long *at;
} migate_key;

static void key_push(apr_array_header_t *keys, apr_pool_t *p, long *at,
                     const char *label, const char *what, const char *name)
{
    migate_key *k = apr_array_push(keys);

    k->key = apr_pstrcat(p, label, "\n", what, name ? "\n" : "", name,
                         NULL);
    k->at = at;
}

static void server_keys(apr_array_header_t *keys, apr_pool_t *p,
                        migate_counted *c)
{
    int i;

    key_push(keys, p, &c->passed, c->label, "passed", NULL);
    key_push(keys, p, &c->no_rule, c->label, "rule", "-");
    for (i = 1; i < MIGATE_R__COUNT; i++) {
        const char *reason = migate_reason_name((migate_reason_e)i);
        key_push(keys, p, &c->refused[i], c->label, "refused", reason);
        key_push(keys, p, &c->reported[i], c->label, "reported", reason);
    }
    for (i = 0; i < c->nrules; i++) {
        key_push(keys, p, &c->rule[i], c->label, "rule",
                 migate_rule_ref_of(c->sc, i)->name);
    }
}

/* The gated servers with their labels: "ServerName:port", and where
 * two share one, the later ones with where they are defined. */
static apr_array_header_t *gated_servers(apr_pool_t *p, server_rec *s)
{
    apr_array_header_t *out = apr_array_make(p, 8, sizeof(migate_counted));
    server_rec *vs;
    int k;

    for (vs = s; vs; vs = vs->next) {
        const migate_srv_conf *sc = migate_srv(vs);
        migate_counted *c;

        if (!migate_cfg_enabled(sc) || !sc->policy || sc->index < 0) {
            continue;
        }
        c = apr_array_push(out);
        memset(c, 0, sizeof(*c));
        c->s = vs;
        c->sc = sc;
        c->label = migate_vhost_label(p, vs);
        for (k = 0; k < out->nelts - 1; k++) {
            if (!strcmp(APR_ARRAY_IDX(out, k, migate_counted).label,
                        c->label)) {
                c->label = migate_vhost_name(p, vs);
                break;
            }
        }
        c->nrules = sc->rules->nelts;
        c->rule = apr_pcalloc(p, c->nrules * sizeof(*c->rule));
    }
    return out;
}

/* ------------------------------------------------------------------ */
/* The table                                                          */

static migate_retained *retained(void)
{
    migate_retained *r = ap_retained_data_get(TALLY_RETAINED);

    return r ? r : ap_retained_data_create(TALLY_RETAINED, sizeof(*r));
}

/* Shared memory from the process pool: it outlives every generation. */
static apr_status_t region_make(apr_pool_t *pconf, apr_pool_t *pproc,
                                apr_size_t size, void **base)
{
    apr_shm_t *shm;
    apr_status_t rv = apr_shm_create(&shm, size, NULL, pproc);

    if (APR_STATUS_IS_ENOTIMPL(rv)) {
        /* No anonymous shared memory here: a file in the run dir. */
        const char *fn = ap_runtime_dir_relative(pconf, "migate-status.shm");
        if (fn) {
            fn = apr_pstrdup(pproc, fn);
            apr_shm_remove(fn, pproc);
            rv = apr_shm_create(&shm, size, fn, pproc);
        }
    }
    if (rv == APR_SUCCESS) {
        *base = apr_shm_baseaddr_get(shm);
        memset(*base, 0, size);
    }
    return rv;
}

/* The table, made at the first start with headroom for the keys of that
 * configuration; NULL when it cannot be made. */
static migate_tally *table(apr_pool_t *pconf, server_rec *s,
                           const apr_array_header_t *keys)
{
    migate_retained *r = retained();
    apr_size_t names = 0, size;
    unsigned entries;
    apr_status_t rv;
    void *base;
    int i;

    if (r->tally || r->failed) {
        return r->tally;
    }
    for (i = 0; i < keys->nelts; i++) {
        names += strlen(APR_ARRAY_IDX(keys, i, migate_key).key);
    }
    entries = (unsigned)keys->nelts * TALLY_HEADROOM;
    entries = entries < TALLY_MIN_ENTRIES ? TALLY_MIN_ENTRIES : entries;
    names *= TALLY_HEADROOM;
    names = names < TALLY_MIN_NAMES ? TALLY_MIN_NAMES : names;
    size = migate_tally_size(entries, names);
    rv = region_make(pconf, s->process->pool, size, &base);
    if (rv != APR_SUCCESS) {
        /* The gate does not depend on its counters. */
        ap_log_error(APLOG_MARK, APLOG_ERR, rv, s,
                     "MIGATE0040: cannot make the shared memory of the "
                     "migate-status counters (%" APR_SIZE_T_FMT " bytes); "
                     "they stay off until httpd is stopped and started",
                     size);
        r->failed = 1;
        return NULL;
    }
    r->tally = migate_tally_init(base, size, entries);
    r->since = apr_time_now();
    return r->tally;
}

int migate_counters_post_config(apr_pool_t *pconf, server_rec *s)
{
    apr_array_header_t *keys;
    int i, lost = 0;

    tally = NULL;
    servers = gated_servers(pconf, s);
    /* The first of the two configuration reads of a start serves only
     * to check it: the table is made with the second. */
    if (!servers->nelts
        || ap_state_query(AP_SQ_MAIN_STATE) == AP_SQ_MS_CREATE_PRE_CONFIG) {
        return OK;
    }
    keys = apr_array_make(pconf, 64, sizeof(migate_key));
    for (i = 0; i < servers->nelts; i++) {
        server_keys(keys, pconf, &APR_ARRAY_IDX(servers, i, migate_counted));
    }
    tally = table(pconf, s, keys);
    if (!tally) {
        return OK;
    }
    since = retained()->since;
    for (i = 0; i < keys->nelts; i++) {
        const migate_key *k = &APR_ARRAY_IDX(keys, i, migate_key);
        *k->at = migate_tally_entry(tally, k->key, strlen(k->key));
        lost += *k->at < 0;
    }
    if (lost) {
        unsigned used, entries;
        apr_size_t nused, names;

        migate_tally_fill(tally, &used, &entries, &nused, &names);
        ap_log_error(APLOG_MARK, APLOG_WARNING, 0, s,
                     "MIGATE0042: the migate-status counters are full "
                     "(%u of %u entries, %" APR_SIZE_T_FMT " of %"
                     APR_SIZE_T_FMT " bytes of names, kept since the "
                     "start): %d counter%s of this configuration %s not "
                     "kept; the gate and its log lines are unchanged, and "
                     "a stop and start makes a table sized for the "
                     "configuration then", used, entries, nused, names,
                     lost, lost == 1 ? "" : "s", lost == 1 ? "is" : "are");
    }
    return OK;
}

void migate_count(const server_rec *s, migate_reason_e reason,
                  int reported, int rule)
{
    const migate_srv_conf *sc = s ? migate_srv(s) : NULL;
    const migate_counted *c;

    if (!tally || !sc || sc->index < 0 || sc->index >= servers->nelts
        || (int)reason < 0 || reason >= MIGATE_R__COUNT) {
        return;
    }
    c = &APR_ARRAY_IDX(servers, sc->index, migate_counted);
    migate_tally_add(tally, reason == MIGATE_PASS ? c->passed
                            : reported ? c->reported[reason]
                            : c->refused[reason]);
    migate_tally_add(tally, rule >= 0 && rule < c->nrules ? c->rule[rule]
                                                          : c->no_rule);
}

/* ------------------------------------------------------------------ */
/* For the pages                                                      */

const apr_array_header_t *migate_counted_servers(void)
{
    return servers;
}

int migate_counters_on(void)
{
    return tally != NULL;
}

apr_time_t migate_counters_since(void)
{
    return since;
}

void migate_counters_fill(unsigned *used, unsigned *entries)
{
    apr_size_t nused, names;

    migate_tally_fill(tally, used, entries, &nused, &names);
}

apr_uint64_t migate_counter(long entry)
{
    return migate_tally_get(tally, entry);
}
