/*
 * migate_tls.h - the verdict on a TLS session toward MI, and the policy
 * forced on the proxy SSL_CTX.  Pure: OpenSSL values in, a verdict out.
 */
#ifndef MIGATE_TLS_H
#define MIGATE_TLS_H

#include <openssl/ssl.h>
#include <openssl/x509.h>

/* The exact suites forced on the proxy context. */
#define MIGATE_TLS12_CIPHERS \
    "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:" \
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:" \
    "DHE-RSA-AES256-GCM-SHA384:DHE-RSA-AES128-GCM-SHA256"
#define MIGATE_TLS13_SUITES "TLS_AES_256_GCM_SHA384:TLS_AES_128_GCM_SHA256"

/*
 * Force the policy on a proxy SSL_CTX: minimum TLS 1.2 (a stricter minimum
 * is kept, a maximum below 1.2 is lifted), the suites above, security
 * level at least 2.  The verify mode and callback are not touched here:
 * the glue (migate_ssl.c) puts its own callback in front of mod_ssl's and
 * adds SSL_VERIFY_PEER, so that the chain and the leaf are judged during
 * the handshake (migate_tls_judge_chain), and the whole session again
 * after it (migate_tls_judge).  Idempotent.  Returns 0 or -1; *changed
 * (may be NULL) receives a short description of what was tightened, e.g.
 * "minimum protocol TLSv1 -> TLSv1.2, cipher list, TLS 1.3 suites,
 * security level 0 -> 2" ("" if nothing), for the one start-up notice.
 * The text lives in a per-thread buffer reused by the next call.
 */
int migate_tls_force_ctx(SSL_CTX *ctx, const char **changed);

/*
 * Pass as host where no host name exists to check against: a connection
 * that serves no request (mod_proxy_hcheck's probes).  Every other check
 * still applies; the requests themselves always carry their name.
 */
extern const char migate_tls_host_unchecked[];

/*
 * Judge an established session.  host is the backend host name mod_proxy
 * used (name, IP literal, or bracketed IPv6 literal); NULL or "" is
 * refused ("no backend host name to check"), migate_tls_host_unchecked
 * skips the name check alone.  Returns NULL when the
 * session is acceptable, or a static/buffered detail text such as
 * "protocol TLSv1.1 below TLSv1.2",
 * "cipher AES128-GCM-SHA256 is not forward-secret",
 * "certificate verify failed: unable to get local issuer certificate",
 * "certificate not valid for host mi.example", "RSA key 1024 bits",
 * "signature hash sha1", "WSO2 default certificate (fingerprint)" (one
 * of the keys WSO2 ships), "WSO2 default certificate (self-signed O=WSO2)".
 * Order: suite, WSO2 default, chain verify result, key, signature, host.
 * buf (>= 256 bytes) holds composed texts.
 */
const char *migate_tls_judge(SSL *ssl, const char *host, char *buf,
                             size_t bufsz);

/*
 * The certificate verdict of migate_tls_judge, given the chain result
 * OpenSSL reached (X509_V_OK or an X509_V_ERR_* code): WSO2 default, chain,
 * key, signature, host.  A chain error that only reflects a weak key or
 * digest of the leaf is reported as such ("RSA key 1024 bits").  For a
 * verify callback, which sees the result before the handshake ends.
 */
const char *migate_tls_judge_chain(X509 *leaf, long verify,
                                   const char *host, char *buf,
                                   size_t bufsz);

/* The certificate part alone (key size, signature hash, WSO2 default,
 * host name), for unit tests over certificates without a session. */
const char *migate_tls_judge_cert(X509 *leaf, const char *host, char *buf,
                                  size_t bufsz);

/* The host name part alone: NULL when leaf is valid for host (a name:
 * X509_check_host without partial wildcards; an IP literal, bracketed or
 * not: X509_check_ip_asc, iPAddress SANs only), else the detail. */
const char *migate_tls_judge_host(X509 *leaf, const char *host, char *buf,
                                  size_t bufsz);

/* The session part alone: protocol version and cipher. */
const char *migate_tls_judge_suite(int version, const SSL_CIPHER *cipher,
                                   char *buf, size_t bufsz);

#endif /* MIGATE_TLS_H */
