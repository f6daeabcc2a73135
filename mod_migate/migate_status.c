/*
 * migate_status.c - counters of passed, reported and refused requests,
 * shared by all children and threads, and the migate-status handler that
 * shows them with the effective policy of each gated server.
 *
 * The counters live in one shared memory region that the parent makes
 * once and keeps in ap_retained_data, so a graceful or plain restart
 * (apachectl graceful, systemctl reload) keeps them: children forked
 * after the restart inherit the same mapping.  Each gated server owns a
 * slot found by a key made of its name, addresses and defining file, so
 * a server keeps its counters across restarts as long as its key does
 * not change.  Only a full stop and start, or a configuration with more
 * gated servers than free slots, starts from zero (the page says since
 * when).  Counting is one relaxed atomic add: no lock, no allocation.
 */
#include <stddef.h>
#include <string.h>

#include "httpd.h"
#include "http_config.h"
#include "http_core.h"
#include "http_log.h"
#include "http_main.h"
#include "http_protocol.h"
#include "http_request.h"
#include "util_script.h"
#include "apr_strings.h"
#include "apr_shm.h"
#include "apr_time.h"

#include "migate_glue.h"

#define MIGATE_STATUS_HANDLER "migate-status"
#define MIGATE_RETAINED_KEY   "mod_migate-status-shm"
#define MIGATE_SHM_MAGIC      0x4d494741u       /* "MIGA" */
#define MIGATE_SHM_VERSION    1u
#define MIGATE_KEY_LEN        256
#define MIGATE_MIN_SLOTS      64
#define MIGATE_TIME_FORMAT    "%A, %d-%b-%Y %H:%M:%S %Z"

typedef struct {
    char key[MIGATE_KEY_LEN];   /* which server owns the slot, "" = free */
    apr_uint64_t passed;
    apr_uint64_t refused[MIGATE_R__COUNT];      /* [0] unused           */
    apr_uint64_t reported[MIGATE_R__COUNT];     /* [0] unused           */
} migate_slot;

typedef struct {
    apr_uint32_t magic;
    apr_uint32_t version;
    apr_uint32_t nslots;
    apr_uint32_t reasons;       /* MIGATE_R__COUNT of the maker         */
    apr_time_t since;           /* when the counters started            */
    int since_gen;              /* configuration generation then        */
    migate_slot slots[1];
} migate_shm_head;

/* What survives restarts in the parent (ap_retained_data lives in the
 * process pool, not in this DSO's data, which is reloaded). */
typedef struct {
    apr_shm_t *shm;
    migate_shm_head *head;
} migate_retained;

/* This generation's view: slot of each gated server by its index. */
static migate_shm_head *shm_head;
static migate_slot **slot_of;
static int nslot_of;

/* ------------------------------------------------------------------ */
/* Shared memory                                                      */

static apr_size_t region_size(apr_uint32_t nslots)
{
    return offsetof(migate_shm_head, slots)
           + (apr_size_t)nslots * sizeof(migate_slot);
}

static apr_status_t region_make(migate_retained *rd, apr_uint32_t nslots,
                                server_rec *s)
{
    apr_pool_t *pp = s->process->pool;
    apr_size_t size = region_size(nslots);
    apr_status_t rv;

    if (rd->shm) {
        /* Children of the earlier generation keep their own mapping. */
        apr_shm_destroy(rd->shm);
        rd->shm = NULL;
        rd->head = NULL;
    }
    rv = apr_shm_create(&rd->shm, size, NULL, pp);
    if (APR_STATUS_IS_ENOTIMPL(rv)) {
        /* No anonymous shared memory here: a file in the run dir. */
        const char *fn = ap_runtime_dir_relative(pp, "migate-status.shm");
        if (fn) {
            apr_shm_remove(fn, pp);
            rv = apr_shm_create(&rd->shm, size, fn, pp);
        }
    }
    if (rv != APR_SUCCESS) {
        rd->shm = NULL;
        return rv;
    }
    rd->head = apr_shm_baseaddr_get(rd->shm);
    memset(rd->head, 0, size);
    rd->head->magic = MIGATE_SHM_MAGIC;
    rd->head->version = MIGATE_SHM_VERSION;
    rd->head->nslots = nslots;
    rd->head->reasons = MIGATE_R__COUNT;
    rd->head->since = apr_time_now();
    rd->head->since_gen = ap_state_query(AP_SQ_CONFIG_GEN);
    return APR_SUCCESS;
}

static const char *addr_text(apr_pool_t *p, const server_rec *s)
{
    const server_addr_rec *a;
    const char *out = "";

    for (a = s->addrs; a; a = a->next) {
        char *ip = NULL;
        if (a->host_addr) {
            apr_sockaddr_ip_get(&ip, a->host_addr);
        }
        out = apr_psprintf(p, "%s%s%s:%u", out, *out ? " " : "",
                           ip ? ip : "*", (unsigned)a->host_port);
    }
    return out;
}

/* The key that finds a server's slot again after a restart. */
static const char *slot_key(apr_pool_t *p, const server_rec *s)
{
    return apr_psprintf(p, "%s:%d|%s|%s",
                        s->server_hostname ? s->server_hostname : "*",
                        s->port, addr_text(p, s),
                        s->defn_name ? s->defn_name : "main");
}

static migate_slot *slot_find(migate_shm_head *h, const char *key)
{
    apr_uint32_t i;

    for (i = 0; i < h->nslots; i++) {
        if (!strncmp(h->slots[i].key, key, MIGATE_KEY_LEN - 1)
            && h->slots[i].key[0]) {
            return &h->slots[i];
        }
    }
    return NULL;
}

static migate_slot *slot_take(migate_shm_head *h, const char *key,
                              const char *const *taken_keys, int ntaken)
{
    apr_uint32_t i;
    int j;

    /* A free slot, else one whose owner is gone from the configuration.
     * Counters of a departed server are dropped only under pressure. */
    for (i = 0; i < h->nslots; i++) {
        if (!h->slots[i].key[0]) {
            break;
        }
    }
    if (i == h->nslots) {
        for (i = 0; i < h->nslots; i++) {
            for (j = 0; j < ntaken; j++) {
                if (!strncmp(h->slots[i].key, taken_keys[j],
                             MIGATE_KEY_LEN - 1)) {
                    break;
                }
            }
            if (j == ntaken) {
                break;
            }
        }
        if (i == h->nslots) {
            return NULL;
        }
    }
    memset(&h->slots[i], 0, sizeof(h->slots[i]));
    apr_cpystrn(h->slots[i].key, key, MIGATE_KEY_LEN);
    return &h->slots[i];
}

int migate_status_post_config(apr_pool_t *pconf, server_rec *s)
{
    migate_retained *rd;
    const char **keys;
    server_rec *vs;
    apr_status_t rv;
    int n = 0, i, j;

    shm_head = NULL;
    slot_of = NULL;
    nslot_of = 0;
    for (vs = s; vs; vs = vs->next) {
        const migate_srv_conf *sc = migate_srv(vs);
        if (migate_cfg_enabled(sc) && sc->index >= n) {
            n = sc->index + 1;
        }
    }
    if (n == 0) {
        /* Nothing gated: keep any region for a later restart. */
        return OK;
    }

    keys = apr_pcalloc(pconf, n * sizeof(*keys));
    for (vs = s; vs; vs = vs->next) {
        const migate_srv_conf *sc = migate_srv(vs);
        if (!migate_cfg_enabled(sc) || sc->index < 0) {
            continue;
        }
        keys[sc->index] = slot_key(pconf, vs);
        if (strlen(keys[sc->index]) >= MIGATE_KEY_LEN) {
            keys[sc->index] = apr_psprintf(pconf, "%.*s#%d",
                                           MIGATE_KEY_LEN - 16,
                                           keys[sc->index], sc->index);
        }
    }
    /* Two servers with one key (same name, addresses and file) get
     * their own slots all the same. */
    for (i = 0; i < n; i++) {
        for (j = 0; j < i; j++) {
            if (keys[i] && keys[j] && !strcmp(keys[i], keys[j])) {
                keys[i] = apr_psprintf(pconf, "%.*s#%d",
                                       MIGATE_KEY_LEN - 16, keys[i], i);
                break;
            }
        }
    }

    rd = ap_retained_data_get(MIGATE_RETAINED_KEY);
    if (!rd) {
        rd = ap_retained_data_create(MIGATE_RETAINED_KEY, sizeof(*rd));
        rd->shm = NULL;
        rd->head = NULL;
    }
    if (rd->head && (rd->head->magic != MIGATE_SHM_MAGIC
                     || rd->head->version != MIGATE_SHM_VERSION
                     || rd->head->reasons != MIGATE_R__COUNT)) {
        /* A different build of the module made it: start afresh. */
        rd->head = NULL;
    }

    slot_of = apr_pcalloc(pconf, n * sizeof(*slot_of));
    for (;;) {
        int full = 0;

        if (!rd->head) {
            apr_uint32_t want = (apr_uint32_t)n * 2;
            rv = region_make(rd, want < MIGATE_MIN_SLOTS ? MIGATE_MIN_SLOTS
                                                         : want, s);
            if (rv != APR_SUCCESS) {
                /* The gate does not depend on its counters. */
                ap_log_error(APLOG_MARK, APLOG_ERR, rv, s,
                             "MIGATE0040: cannot make the shared memory of "
                             "the migate-status counters; they stay off");
                slot_of = NULL;
                return OK;
            }
        }
        for (i = 0; i < n; i++) {
            slot_of[i] = NULL;
        }
        for (i = 0; i < n; i++) {
            if (keys[i]) {
                slot_of[i] = slot_find(rd->head, keys[i]);
            }
        }
        for (i = 0; i < n && !full; i++) {
            if (keys[i] && !slot_of[i]) {
                slot_of[i] = slot_take(rd->head, keys[i], keys, n);
                full = slot_of[i] == NULL;
            }
        }
        if (!full) {
            break;
        }
        ap_log_error(APLOG_MARK, APLOG_NOTICE, 0, s,
                     "MIGATE0041: more gated servers than counter slots: "
                     "the migate-status counters start again from zero");
        rd->head = NULL;
    }
    shm_head = rd->head;
    nslot_of = n;
    return OK;
}

static void add(apr_uint64_t *c, apr_uint64_t v)
{
    __atomic_fetch_add(c, v, __ATOMIC_RELAXED);
}

void migate_count(const server_rec *s, migate_reason_e reason,
                  int reported, int rule)
{
    const migate_srv_conf *sc;
    migate_slot *slot;

    (void)rule;
    if (!slot_of || !s) {
        return;
    }
    sc = migate_srv(s);
    if (!sc || sc->index < 0 || sc->index >= nslot_of
        || !(slot = slot_of[sc->index])
        || (int)reason < 0 || reason >= MIGATE_R__COUNT) {
        return;
    }
    if (reason == MIGATE_PASS) {
        add(&slot->passed, 1);
    }
    else {
        add(reported ? &slot->reported[reason] : &slot->refused[reason], 1);
    }
}

/* ------------------------------------------------------------------ */
/* The handler: one snapshot, two renderings                          */

typedef struct {
    const server_rec *s;
    const migate_srv_conf *sc;
    apr_uint64_t passed;
    apr_uint64_t refused[MIGATE_R__COUNT];
    apr_uint64_t reported[MIGATE_R__COUNT];
    apr_uint64_t refused_total, reported_total;
    int counted;
} migate_snap;

static apr_uint64_t load(const apr_uint64_t *c)
{
    return __atomic_load_n(c, __ATOMIC_RELAXED);
}

static apr_array_header_t *snapshot(apr_pool_t *p)
{
    apr_array_header_t *out = apr_array_make(p, 8, sizeof(migate_snap));
    server_rec *vs;
    int i;

    for (vs = ap_server_conf; vs; vs = vs->next) {
        const migate_srv_conf *sc = migate_srv(vs);
        migate_snap *sn;

        if (!migate_cfg_enabled(sc) || !sc->policy) {
            continue;
        }
        sn = apr_array_push(out);
        memset(sn, 0, sizeof(*sn));
        sn->s = vs;
        sn->sc = sc;
        if (slot_of && sc->index >= 0 && sc->index < nslot_of
            && slot_of[sc->index]) {
            const migate_slot *sl = slot_of[sc->index];
            sn->counted = 1;
            sn->passed = load(&sl->passed);
            for (i = 1; i < MIGATE_R__COUNT; i++) {
                sn->refused[i] = load(&sl->refused[i]);
                sn->reported[i] = load(&sl->reported[i]);
                sn->refused_total += sn->refused[i];
                sn->reported_total += sn->reported[i];
            }
        }
    }
    return out;
}

/* Method tokens of the rule language, turned into the bits of a set
 * through the core's own index, so the two cannot drift apart. */
static const char *const method_names[] = {
    "GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS",
    "PROPFIND", "PROPPATCH", "MKCOL", "COPY", "MOVE", "LOCK", "UNLOCK",
};

static apr_array_header_t *methods_list(apr_pool_t *p, migate_methods_t m)
{
    apr_array_header_t *out = apr_array_make(p, 4, sizeof(const char *));
    size_t i;

    for (i = 0; i < sizeof(method_names) / sizeof(method_names[0]); i++) {
        int idx = migate_method_index(method_names[i],
                                      strlen(method_names[i]));
        if (idx >= 0 && (m & ((migate_methods_t)1 << idx))) {
            *(const char **)apr_array_push(out) = method_names[i];
        }
    }
    return out;
}

static const char *kind_name(const migate_rule_spec *rs, int deny)
{
    switch (rs->kind) {
    case MIGATE_RULE_EXACT:
        return "MiGateAllowExact";
    case MIGATE_RULE_REGEX:
        return deny ? "MiGateDenyMatch" : "MiGateAllowMatch";
    default:
        return deny ? "MiGateDeny" : "MiGateAllow";
    }
}

static const char *kind_word(const migate_rule_spec *rs)
{
    switch (rs->kind) {
    case MIGATE_RULE_EXACT:
        return "exact";
    case MIGATE_RULE_REGEX:
        return "regex";
    default:
        return "prefix";
    }
}

static const char *tls_name(int mode)
{
    return mode == MIGATE_TLS_OFF ? "off"
         : mode == MIGATE_TLS_AUDIT ? "audit" : "strict";
}

/* Always enforced, whatever the configuration (SPEC "Always enforced"). */
static const char *const builtin_denies[] = {
    "/services", "/management", "/dashboard", "/carbon", "/fileupload",
};
static const char *const never_methods[] = { "TRACE", "TRACK", "CONNECT" };

#define NELTS(a) (sizeof(a) / sizeof((a)[0]))

/* ServerName:port.  A ServerName without a port leaves s->port 0: the
 * port is then the one the vhost listens on, from its first address
 * (none for <VirtualHost *:*>, which is named without a port). */
static const char *server_name(apr_pool_t *p, const server_rec *s)
{
    const char *name = s->server_hostname ? s->server_hostname : "*";
    unsigned port = s->port ? (unsigned)s->port
                  : s->addrs ? (unsigned)s->addrs->host_port : 0;

    return port ? apr_psprintf(p, "%s:%u", name, port) : name;
}

static const char *server_defn(apr_pool_t *p, const server_rec *s)
{
    if (!s->defn_name) {
        return "main server";
    }
    return apr_psprintf(p, "%s:%u", s->defn_name, s->defn_line_number);
}

static const char *rfc3339(apr_pool_t *p, apr_time_t t)
{
    apr_time_exp_t x;

    apr_time_exp_gmt(&x, t);
    return apr_psprintf(p, "%04d-%02d-%02dT%02d:%02d:%02dZ",
                        x.tm_year + 1900, x.tm_mon + 1, x.tm_mday,
                        x.tm_hour, x.tm_min, x.tm_sec);
}

/* --- JSON ---------------------------------------------------------- */

/* A JSON string: quotes, backslashes and control characters escaped,
 * U+2028/U+2029 and <>& as \u escapes (safe to embed anywhere), bytes
 * that are not valid UTF-8 replaced by U+FFFD. */
static const char *js(apr_pool_t *p, const char *s)
{
    const unsigned char *u = (const unsigned char *)(s ? s : "");
    size_t n = strlen((const char *)u);
    char *out = apr_palloc(p, n * 6 + 3), *o = out;
    size_t i = 0;

    *o++ = '"';
    while (i < n) {
        unsigned char c = u[i];
        size_t len = 0;
        apr_uint32_t cp = 0;

        if (c < 0x80) {
            if (c == '"' || c == '\\') {
                *o++ = '\\';
                *o++ = (char)c;
            }
            else if (c < 0x20 || c == 0x7f || c == '<' || c == '>'
                     || c == '&') {
                o += apr_snprintf(o, 7, "\\u%04x", c);
            }
            else {
                *o++ = (char)c;
            }
            i++;
            continue;
        }
        if (c >= 0xc2 && c <= 0xdf) {
            len = 2;
            cp = c & 0x1f;
        }
        else if (c >= 0xe0 && c <= 0xef) {
            len = 3;
            cp = c & 0x0f;
        }
        else if (c >= 0xf0 && c <= 0xf4) {
            len = 4;
            cp = c & 0x07;
        }
        if (len && i + len <= n) {
            size_t k;
            for (k = 1; k < len; k++) {
                if ((u[i + k] & 0xc0) != 0x80) {
                    break;
                }
                cp = (cp << 6) | (u[i + k] & 0x3f);
            }
            if (k == len
                && !(len == 3 && (cp < 0x800
                                  || (cp >= 0xd800 && cp <= 0xdfff)))
                && !(len == 4 && (cp < 0x10000 || cp > 0x10ffff))) {
                if (cp == 0x2028 || cp == 0x2029) {
                    o += apr_snprintf(o, 7, "\\u%04x", (unsigned)cp);
                }
                else {
                    memcpy(o, u + i, len);
                    o += len;
                }
                i += len;
                continue;
            }
        }
        o += apr_snprintf(o, 7, "\\ufffd");
        i++;
    }
    *o++ = '"';
    *o = '\0';
    return out;
}

static void json_rules(request_rec *r, const apr_array_header_t *rules,
                       int deny, int services)
{
    int i, first = 1;

    ap_rputs("[", r);
    for (i = 0; i < rules->nelts; i++) {
        const migate_rule_spec *rs = &APR_ARRAY_IDX(rules, i,
                                                    migate_rule_spec);
        if (rs->is_service != services) {
            continue;
        }
        ap_rputs(first ? "" : ",", r);
        first = 0;
        if (services) {
            ap_rputs(js(r->pool, rs->pattern), r);
            continue;
        }
        ap_rprintf(r, "{\"directive\":%s,\"kind\":%s,\"pattern\":%s",
                   js(r->pool, kind_name(rs, deny)),
                   js(r->pool, kind_word(rs)), js(r->pool, rs->pattern));
        if (!deny) {
            const apr_array_header_t *m = methods_list(r->pool, rs->methods);
            int k;
            ap_rputs(",\"methods\":", r);
            if (!m->nelts) {
                ap_rputs("\"any\"", r);
            }
            else {
                ap_rputs("[", r);
                for (k = 0; k < m->nelts; k++) {
                    ap_rprintf(r, "%s%s", k ? "," : "",
                               js(r->pool, APR_ARRAY_IDX(m, k,
                                                         const char *)));
                }
                ap_rputs("]", r);
            }
        }
        ap_rputs("}", r);
    }
    ap_rputs("]", r);
}

static void json_counts(request_rec *r, const apr_uint64_t *c)
{
    int i;

    ap_rputs("{", r);
    for (i = 1; i < MIGATE_R__COUNT; i++) {
        ap_rprintf(r, "%s%s:%" APR_UINT64_T_FMT, i > 1 ? "," : "",
                   js(r->pool, migate_reason_name((migate_reason_e)i)),
                   c[i]);
    }
    ap_rputs("}", r);
}

static void render_json(request_rec *r, const apr_array_header_t *snaps)
{
    apr_time_t since = shm_head ? shm_head->since : 0;
    int gen = ap_state_query(AP_SQ_CONFIG_GEN), i;
    size_t k;

    ap_set_content_type(r, "application/json");
    ap_rprintf(r, "{\"module\":\"mod_migate\",\"current_time\":%s,",
               js(r->pool, rfc3339(r->pool, apr_time_now())));
    if (shm_head) {
        ap_rprintf(r, "\"counters_since\":%s,"
                   "\"counters_since_epoch\":%" APR_TIME_T_FMT ","
                   "\"restarts_since\":%d,",
                   js(r->pool, rfc3339(r->pool, since)),
                   apr_time_sec(since), gen - shm_head->since_gen);
    }
    else {
        ap_rputs("\"counters_since\":null,\"counters_since_epoch\":null,"
                 "\"restarts_since\":null,", r);
    }
    ap_rputs("\"counters_kept_across_restarts\":true,"
             "\"builtin_deny\":[", r);
    for (k = 0; k < NELTS(builtin_denies); k++) {
        ap_rprintf(r, "%s%s", k ? "," : "",
                   js(r->pool, builtin_denies[k]));
    }
    ap_rputs("],\"never_methods\":[", r);
    for (k = 0; k < NELTS(never_methods); k++) {
        ap_rprintf(r, "%s%s", k ? "," : "", js(r->pool, never_methods[k]));
    }
    ap_rputs("],\"servers\":[", r);
    for (i = 0; i < snaps->nelts; i++) {
        const migate_snap *sn = &APR_ARRAY_IDX(snaps, i, migate_snap);
        const migate_srv_conf *sc = sn->sc;
        const char *resp = migate_cfg_resp_header(sc);

        ap_rprintf(r, "%s{\"name\":%s,\"addresses\":%s,\"defined\":%s,"
                   "\"mode\":%s,\"deny_status\":%d,"
                   "\"service_metadata\":%s,\"backend_tls\":%s,",
                   i ? "," : "",
                   js(r->pool, server_name(r->pool, sn->s)),
                   js(r->pool, addr_text(r->pool, sn->s)),
                   js(r->pool, server_defn(r->pool, sn->s)),
                   js(r->pool, migate_cfg_report(sc) ? "report"
                                                     : "enforce"),
                   migate_cfg_deny_status(sc),
                   migate_cfg_metadata(sc) ? "true" : "false",
                   js(r->pool, tls_name(migate_cfg_backend_tls(sc))));
        ap_rprintf(r, "\"request_id\":{\"enabled\":%s,\"header\":%s,"
                   "\"version\":%d,\"response_header\":%s,"
                   "\"trusted_proxies\":%d},",
                   migate_cfg_request_id(sc) ? "true" : "false",
                   js(r->pool, migate_cfg_id_header(sc)),
                   migate_cfg_id_version(sc),
                   resp ? js(r->pool, resp) : "null",
                   sc->trusted ? sc->trusted->nelts : 0);
        ap_rputs("\"allow\":", r);
        json_rules(r, sc->allow, 0, 0);
        ap_rputs(",\"services\":", r);
        json_rules(r, sc->allow, 0, 1);
        ap_rputs(",\"deny\":", r);
        json_rules(r, sc->deny, 1, 0);
        if (sn->counted) {
            ap_rprintf(r, ",\"counters\":{\"passed\":%" APR_UINT64_T_FMT
                       ",\"reported\":%" APR_UINT64_T_FMT
                       ",\"refused\":%" APR_UINT64_T_FMT
                       ",\"refused_by_reason\":",
                       sn->passed, sn->reported_total, sn->refused_total);
            json_counts(r, sn->refused);
            ap_rputs(",\"reported_by_reason\":", r);
            json_counts(r, sn->reported);
            ap_rputs("}}", r);
        }
        else {
            ap_rputs(",\"counters\":null}", r);
        }
    }
    ap_rputs("]}\n", r);
}

/* --- HTML, in the manner of mod_status ----------------------------- */

static const char *h(apr_pool_t *p, const char *s)
{
    return ap_escape_html2(p, s ? s : "", 1);
}

static void html_rules(request_rec *r, const apr_array_header_t *rules,
                       int deny)
{
    int i, any = 0;

    for (i = 0; i < rules->nelts; i++) {
        const migate_rule_spec *rs = &APR_ARRAY_IDX(rules, i,
                                                    migate_rule_spec);
        const apr_array_header_t *m;
        const char *ml;

        if (rs->is_service) {
            continue;
        }
        if (!any) {
            ap_rputs("<table border=\"0\"><tr><th>Directive</th>"
                     "<th>Methods</th><th>Pattern</th></tr>\n", r);
            any = 1;
        }
        m = methods_list(r->pool, rs->methods);
        ml = deny ? "all" : m->nelts ? apr_array_pstrcat(r->pool, m, ',')
                                     : "any but TRACE, TRACK, CONNECT";
        ap_rprintf(r, "<tr><td>%s</td><td>%s</td><td><code>%s</code>"
                   "</td></tr>\n", kind_name(rs, deny), h(r->pool, ml),
                   h(r->pool, rs->pattern));
    }
    if (any) {
        ap_rputs("</table>\n", r);
    }
    else {
        ap_rputs("<p>none</p>\n", r);
    }
}

static void render_html(request_rec *r, const apr_array_header_t *snaps)
{
    int i, k;
    size_t b;

    ap_set_content_type(r, "text/html; charset=ISO-8859-1");
    ap_rputs(DOCTYPE_HTML_3_2
             "<html><head>\n<title>mod_migate status</title>\n"
             "</head><body>\n<h1>MI gate status for ", r);
    ap_rputs(h(r->pool, ap_get_server_name(r)), r);
    ap_rputs("</h1>\n\n<dl><dt>Current Time: ", r);
    ap_rputs(ap_ht_time(r->pool, apr_time_now(), MIGATE_TIME_FORMAT, 0),
             r);
    ap_rputs("</dt>\n", r);
    if (shm_head) {
        int gen = ap_state_query(AP_SQ_CONFIG_GEN);
        ap_rprintf(r, "<dt>Counters since: %s (kept across restarts; "
                   "%d restart%s since)</dt>\n",
                   ap_ht_time(r->pool, shm_head->since, MIGATE_TIME_FORMAT,
                              0),
                   gen - shm_head->since_gen,
                   gen - shm_head->since_gen == 1 ? "" : "s");
    }
    else {
        ap_rputs("<dt>Counters: off</dt>\n", r);
    }
    ap_rprintf(r, "<dt>%d gated server%s</dt>\n", snaps->nelts,
               snaps->nelts == 1 ? "" : "s");
    ap_rputs("<dt>Always enforced: ", r);
    for (b = 0; b < NELTS(builtin_denies); b++) {
        ap_rprintf(r, "%s<code>%s</code>", b ? ", " : "",
                   builtin_denies[b]);
    }
    ap_rputs(" (any case; <code>/services</code> as MI sees it); "
             "methods TRACE, TRACK, CONNECT; ambiguous encodings and "
             "control characters (400)</dt>\n</dl>\n", r);

    for (i = 0; i < snaps->nelts; i++) {
        const migate_snap *sn = &APR_ARRAY_IDX(snaps, i, migate_snap);
        const migate_srv_conf *sc = sn->sc;
        const char *resp = migate_cfg_resp_header(sc);
        int opened = 0;

        ap_rprintf(r, "<hr />\n<h2>%s</h2>\n<dl>\n<dt>Addresses: %s</dt>\n"
                   "<dt>Defined at: %s</dt>\n",
                   h(r->pool, server_name(r->pool, sn->s)),
                   h(r->pool, addr_text(r->pool, sn->s)),
                   h(r->pool, server_defn(r->pool, sn->s)));
        ap_rprintf(r, "<dt>Mode: %s</dt>\n<dt>Deny status: %d</dt>\n"
                   "<dt>Service metadata: %s</dt>\n"
                   "<dt>Backend TLS: %s</dt>\n",
                   migate_cfg_report(sc) ? "report" : "enforce",
                   migate_cfg_deny_status(sc),
                   migate_cfg_metadata(sc) ? "On" : "Off",
                   tls_name(migate_cfg_backend_tls(sc)));
        if (migate_cfg_request_id(sc)) {
            ap_rprintf(r, "<dt>Request id: UUIDv%d in <code>%s</code>, "
                       "response header %s%s%s, %d trusted "
                       "network%s</dt>\n",
                       migate_cfg_id_version(sc),
                       h(r->pool, migate_cfg_id_header(sc)),
                       resp ? "<code>" : "",
                       resp ? h(r->pool, resp) : "Off",
                       resp ? "</code>" : "",
                       sc->trusted ? sc->trusted->nelts : 0,
                       sc->trusted && sc->trusted->nelts == 1 ? "" : "s");
        }
        else {
            ap_rputs("<dt>Request id: Off</dt>\n", r);
        }
        ap_rputs("<dt>Opened services: ", r);
        for (k = 0; k < sc->allow->nelts; k++) {
            const migate_rule_spec *rs = &APR_ARRAY_IDX(sc->allow, k,
                                                        migate_rule_spec);
            if (rs->is_service) {
                ap_rprintf(r, "%s<code>%s</code>", opened++ ? ", " : "",
                           h(r->pool, rs->pattern));
            }
        }
        ap_rputs(opened ? "</dt>\n</dl>\n" : "none</dt>\n</dl>\n", r);

        ap_rputs("<h3>Allow</h3>\n", r);
        html_rules(r, sc->allow, 0);
        ap_rputs("<h3>Deny (besides the built-in denies)</h3>\n", r);
        html_rules(r, sc->deny, 1);

        ap_rputs("<h3>Counters</h3>\n", r);
        if (!sn->counted) {
            ap_rputs("<p>off</p>\n", r);
            continue;
        }
        ap_rprintf(r, "<dl><dt>Passed: %" APR_UINT64_T_FMT "</dt>\n"
                   "<dt>Reported (passed in report or audit mode): %"
                   APR_UINT64_T_FMT "</dt>\n"
                   "<dt>Refused: %" APR_UINT64_T_FMT "</dt></dl>\n",
                   sn->passed, sn->reported_total, sn->refused_total);
        ap_rputs("<table border=\"0\"><tr><th>Reason</th><th>Refused</th>"
                 "<th>Reported</th></tr>\n", r);
        for (k = 1; k < MIGATE_R__COUNT; k++) {
            ap_rprintf(r, "<tr><td>%s</td><td>%" APR_UINT64_T_FMT
                       "</td><td>%" APR_UINT64_T_FMT "</td></tr>\n",
                       migate_reason_name((migate_reason_e)k),
                       sn->refused[k], sn->reported[k]);
        }
        ap_rputs("</table>\n", r);
    }
    ap_rputs("<hr />\n", r);
    ap_rputs(ap_psignature("", r), r);
    ap_rputs("</body></html>\n", r);
}

int migate_status_handler(request_rec *r)
{
    apr_array_header_t *snaps;
    int json;

    if (!r->handler || strcmp(r->handler, MIGATE_STATUS_HANDLER)) {
        return DECLINED;
    }
    /* The Allow header of a 405 comes from allowed_methods. */
    r->allowed = (AP_METHOD_BIT << M_GET);
    ap_allow_standard_methods(r, REPLACE_ALLOW, M_GET, -1);
    if (r->method_number != M_GET) {
        return HTTP_METHOD_NOT_ALLOWED;
    }
    json = r->args && (!strcmp(r->args, "json")
                       || !strncmp(r->args, "json&", 5)
                       || !strncmp(r->args, "json=", 5));
    /* A snapshot of live counters: never cached by a proxy. */
    apr_table_setn(r->headers_out, "Cache-Control", "no-store");
    apr_table_setn(r->headers_out, "X-Content-Type-Options", "nosniff");
    snaps = snapshot(r->pool);
    if (json) {
        render_json(r, snaps);
    }
    else {
        render_html(r, snaps);
    }
    return OK;
}
