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
 * Force the policy on a proxy SSL_CTX: minimum TLS 1.2, the suites above,
 * verification on.  Idempotent.  Returns 0 or -1; *changed receives a
 * short static description of what was tightened ("" if nothing), for
 * the one start-up notice.
 */
int migate_tls_force_ctx(SSL_CTX *ctx, const char **changed);

/*
 * Judge an established session.  host is the backend host name mod_proxy
 * used (name or IP literal; NULL skips the name check only if the caller
 * has no host, which the glue treats as a failure).  Returns NULL when the
 * session is acceptable, or a static/buffered detail text such as
 * "protocol TLSv1.1", "cipher AES128-GCM-SHA256 not forward-secret GCM",
 * "verify: unable to get local issuer certificate", "host name mismatch",
 * "RSA key 1024 bits", "signature hash sha1", "WSO2 default certificate".
 * buf (>= 256 bytes) holds composed texts.
 */
const char *migate_tls_judge(SSL *ssl, const char *host, char *buf,
                             size_t bufsz);

/* The certificate part alone (key size, signature hash, WSO2 default,
 * host name), for unit tests over certificates without a session. */
const char *migate_tls_judge_cert(X509 *leaf, const char *host, char *buf,
                                  size_t bufsz);

/* The session part alone: protocol version and cipher. */
const char *migate_tls_judge_suite(int version, const SSL_CIPHER *cipher,
                                   char *buf, size_t bufsz);

#endif /* MIGATE_TLS_H */
