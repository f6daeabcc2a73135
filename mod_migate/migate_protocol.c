/*
 * migate_protocol.c - requests httpd's core refuses before the gate can
 * decide (a malformed request line, a header over the limits or
 * malformed, a Host httpd does not accept): httpd's own words for why,
 * for the "blocked reason=protocol" line.
 *
 * httpd says why in its own log lines, most of them at level debug:
 * server/protocol.c's read_request_line and ap_parse_request_line
 * ("HTTP Request Line; Invalid whitespace", AH03444-AH03454),
 * ap_get_mime_headers_core (the bad header's name: AH00561, AH00562,
 * AH02427, AH03451-AH03453), ap_read_request (AH00565 for a 414), and
 * vhost.c and ap_check_request_header for the Host and Expect headers.
 * Only the size and count limits also leave a sentence in r->notes
 * "error-notes", without the header's name.  So while a gated
 * connection reads a request, core logs at level debug for that request
 * alone (its r->log: the server's own log levels with core's raised),
 * and the first line core writes for it is kept in its outcome record.
 * The operator finds that line in the error log beside the gate's, and
 * the gate's line quotes it.  Reading ends when the gate's
 * post_read_request runs or an error response is made; nothing else of
 * the request logs differently.
 */
#include <string.h>

#include "httpd.h"
#include "http_config.h"
#include "http_core.h"
#include "http_log.h"
#include "apr_strings.h"

#include "migate_glue.h"

void migate_protocol_pre_read(request_rec *r, conn_rec *c)
{
    const struct ap_logconf *base;
    struct ap_logconf *lc;
    migate_outcome_rec *v;

    if (!migate_cfg_enabled(migate_srv(c->base_server))) {
        return;
    }
    base = ap_get_request_logconf(r);
    v = migate_outcome(r);
    v->log_before = r->log;
    v->reading = 1;
    if (ap_get_module_loglevel(base, AP_CORE_MODULE_INDEX) >= APLOG_DEBUG) {
        return;
    }
    lc = ap_new_log_config(r->pool, base);
    ap_set_module_loglevel(r->pool, lc, AP_CORE_MODULE_INDEX, APLOG_DEBUG);
    r->log = lc;
}

int migate_protocol_read_done(request_rec *r)
{
    migate_outcome_rec *v = migate_outcome_find(r);

    if (v && v->reading) {
        v->reading = 0;
        if (r == migate_initial_request(r)) {
            r->log = v->log_before;
        }
    }
    return DECLINED;
}

void migate_protocol_heard(const ap_errorlog_info *info, const char *errstr)
{
    migate_outcome_rec *v;

    if (!info->r || info->module_index != AP_CORE_MODULE_INDEX || !errstr) {
        return;
    }
    v = migate_outcome_find(info->r);
    if (!v || !v->reading || !*errstr) {
        return;
    }
    /* The first line with httpd's message number: the one that says
     * what was wrong ("AH00561: Request header exceeds
     * LimitRequestFieldSize: X-Long"), not a line without a number
     * that quotes the input ("Failed to read request header line
     * X-Long: aaaa..."); that one only when no numbered line came. */
    if (!strncmp(errstr, "AH", 2)) {
        if (!v->httpd_said_numbered) {
            v->httpd_said = apr_pstrdup(info->r->pool, errstr);
            v->httpd_said_numbered = 1;
        }
    }
    else if (!v->httpd_said) {
        v->httpd_said = apr_pstrdup(info->r->pool, errstr);
    }
}

const char *migate_protocol_cause(const request_rec *r)
{
    const migate_outcome_rec *v = migate_outcome_find(r);
    const char *notes = apr_table_get(r->notes, "error-notes");

    if (v && v->httpd_said) {
        return v->httpd_said;
    }
    return notes;
}
