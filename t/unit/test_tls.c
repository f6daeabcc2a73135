/*
 * test_tls.c - unit tests of migate_tls.c: the policy forced on the proxy
 * SSL_CTX, the verdict on suites and certificates, and the verdict on
 * real sessions.  Everything is made in memory: keys, a CA, leaves, and
 * handshakes between two SSL objects joined by a BIO pair.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/bio.h>
#include <openssl/dsa.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "migate_tls.h"
#include "tap.h"

#define HOST "mi.example.test"

static EVP_PKEY *k_ca, *k_rsa, *k_rsa1024, *k_p256, *k_p384, *k_p224,
                *k_ed25519, *k_dsa;
static X509 *ca;
static long serial = 1;
static char buf[256];

#define skip(...) do {                                                  \
        tap_n++;                                                        \
        printf("ok %d # SKIP ", tap_n);                                 \
        printf(__VA_ARGS__);                                            \
        printf("\n");                                                   \
    } while (0)

/* A DSA key, which needs domain parameters first.  NULL if this OpenSSL
 * cannot make one; the test that uses it is then skipped. */
static EVP_PKEY *dsa_key(void)
{
    EVP_PKEY_CTX *pc = EVP_PKEY_CTX_new_from_name(NULL, "DSA", NULL);
    EVP_PKEY_CTX *kc = NULL;
    EVP_PKEY *params = NULL, *key = NULL;

    if (pc == NULL || EVP_PKEY_paramgen_init(pc) <= 0
        || EVP_PKEY_CTX_set_dsa_paramgen_bits(pc, 1024) <= 0
        || EVP_PKEY_CTX_set_dsa_paramgen_q_bits(pc, 160) <= 0
        || EVP_PKEY_paramgen(pc, &params) <= 0) {
        goto out;
    }
    kc = EVP_PKEY_CTX_new_from_pkey(NULL, params, NULL);
    if (kc == NULL || EVP_PKEY_keygen_init(kc) <= 0
        || EVP_PKEY_keygen(kc, &key) <= 0) {
        key = NULL;
    }
out:
    EVP_PKEY_CTX_free(kc);
    EVP_PKEY_CTX_free(pc);
    EVP_PKEY_free(params);
    ERR_clear_error();
    return key;
}

/* "/CN=a/O=b" into a name, in that order. */
static X509_NAME *make_name(const char *spec)
{
    X509_NAME *name = X509_NAME_new();
    char *copy = strdup(spec), *save = NULL, *part;

    for (part = strtok_r(copy, "/", &save); part;
         part = strtok_r(NULL, "/", &save)) {
        char *eq = strchr(part, '=');
        if (eq == NULL) {
            continue;
        }
        *eq = '\0';
        X509_NAME_add_entry_by_txt(name, part, MBSTRING_UTF8,
                                   (unsigned char *)eq + 1, -1, -1, 0);
    }
    free(copy);
    return name;
}

static void add_ext(X509 *x, X509 *issuer, int nid, const char *value)
{
    X509V3_CTX v3;
    X509_EXTENSION *ext;

    X509V3_set_ctx_nodb(&v3);
    X509V3_set_ctx(&v3, issuer ? issuer : x, x, NULL, NULL, 0);
    ext = X509V3_EXT_conf_nid(NULL, &v3, nid, value);
    if (ext) {
        X509_add_ext(x, ext, -1);
        X509_EXTENSION_free(ext);
    }
}

/*
 * A certificate for key with the given subject and subjectAltName (NULL
 * for none), signed by issuer/ikey (NULL issuer: self-signed) with md
 * (NULL for EdDSA).  NULL if OpenSSL refuses to sign, e.g. with MD5.
 */
static X509 *make_cert(EVP_PKEY *key, const char *subject, const char *san,
                       X509 *issuer, EVP_PKEY *ikey, const EVP_MD *md,
                       int is_ca)
{
    X509 *x = X509_new();
    X509_NAME *name = make_name(subject);

    X509_set_version(x, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(x), serial++);
    X509_gmtime_adj(X509_getm_notBefore(x), -3600);
    X509_gmtime_adj(X509_getm_notAfter(x), 86400);
    X509_set_subject_name(x, name);
    X509_set_issuer_name(x, issuer ? X509_get_subject_name(issuer) : name);
    X509_NAME_free(name);
    X509_set_pubkey(x, key);
    add_ext(x, issuer, NID_subject_key_identifier, "hash");
    if (is_ca) {
        add_ext(x, issuer, NID_basic_constraints, "critical,CA:TRUE");
        add_ext(x, issuer, NID_key_usage, "critical,keyCertSign,cRLSign");
    }
    else {
        add_ext(x, issuer, NID_basic_constraints, "CA:FALSE");
        add_ext(x, issuer, NID_ext_key_usage, "serverAuth");
    }
    if (san) {
        add_ext(x, issuer, NID_subject_alt_name, san);
    }
    if (X509_sign(x, ikey ? ikey : key, md) <= 0) {
        ERR_clear_error();
        X509_free(x);
        return NULL;
    }
    return x;
}

/* A leaf issued by the test CA with SHA-256. */
static X509 *ca_leaf(EVP_PKEY *key, const char *subject, const char *san)
{
    return make_cert(key, subject, san, ca, k_ca, EVP_sha256(), 0);
}

static const char *cert_verdict(X509 *x, const char *host)
{
    const char *why;

    if (x == NULL) {
        return "(certificate not made)";
    }
    why = migate_tls_judge_cert(x, host, buf, sizeof(buf));
    return why;
}

/* ---- suites ---------------------------------------------------------- */

static SSL_CTX *all_ciphers;

static const SSL_CIPHER *find_cipher(const char *name)
{
    STACK_OF(SSL_CIPHER) *sk = SSL_CTX_get_ciphers(all_ciphers);
    int i;

    for (i = 0; i < sk_SSL_CIPHER_num(sk); i++) {
        const SSL_CIPHER *c = sk_SSL_CIPHER_value(sk, i);
        if (strcmp(SSL_CIPHER_get_name(c), name) == 0) {
            return c;
        }
    }
    return NULL;
}

static void suite_is(int version, const char *name, const char *want,
                     const char *label)
{
    const SSL_CIPHER *c = find_cipher(name);

    if (c == NULL) {
        skip("%s: %s not in this OpenSSL", label, name);
        return;
    }
    is_str(migate_tls_judge_suite(version, c, buf, sizeof(buf)), want,
           "%s", label);
}

static void test_suites(void)
{
    all_ciphers = SSL_CTX_new(TLS_method());
    SSL_CTX_set_cipher_list(all_ciphers, "ALL:COMPLEMENTOFALL:@SECLEVEL=0");

    suite_is(TLS1_2_VERSION, "ECDHE-RSA-AES128-GCM-SHA256", NULL,
             "suite: ECDHE-RSA-AES128-GCM-SHA256 at TLS 1.2 ok");
    suite_is(TLS1_2_VERSION, "ECDHE-RSA-AES256-GCM-SHA384", NULL,
             "suite: ECDHE-RSA-AES256-GCM-SHA384 ok");
    suite_is(TLS1_2_VERSION, "ECDHE-ECDSA-AES128-GCM-SHA256", NULL,
             "suite: ECDHE-ECDSA-AES128-GCM-SHA256 ok");
    suite_is(TLS1_2_VERSION, "DHE-RSA-AES128-GCM-SHA256", NULL,
             "suite: DHE-RSA-AES128-GCM-SHA256 ok");
    suite_is(TLS1_2_VERSION, "AES128-GCM-SHA256",
             "cipher AES128-GCM-SHA256 is not forward-secret",
             "suite: static RSA AES128-GCM-SHA256 refused");
    suite_is(TLS1_2_VERSION, "ECDHE-RSA-AES128-SHA256",
             "cipher ECDHE-RSA-AES128-SHA256 is not AES-GCM",
             "suite: CBC refused");
    suite_is(TLS1_2_VERSION, "ECDHE-RSA-CHACHA20-POLY1305",
             "cipher ECDHE-RSA-CHACHA20-POLY1305 is not AES-GCM",
             "suite: ChaCha20 (TLS 1.2) refused");
    suite_is(TLS1_2_VERSION, "ECDHE-ECDSA-AES128-CCM8",
             "cipher ECDHE-ECDSA-AES128-CCM8 is not AES-GCM",
             "suite: CCM (AEAD, not GCM) refused");
    suite_is(TLS1_2_VERSION, "DHE-PSK-AES128-GCM-SHA256",
             "cipher DHE-PSK-AES128-GCM-SHA256 is not forward-secret",
             "suite: DHE-PSK variant refused");
    suite_is(TLS1_2_VERSION, "ADH-AES128-GCM-SHA256",
             "cipher ADH-AES128-GCM-SHA256 is not certificate-authenticated",
             "suite: anonymous DH refused");
    suite_is(TLS1_2_VERSION, "NULL-SHA256",
             "cipher NULL-SHA256 is not AES-GCM",
             "suite: NULL encryption refused");
    suite_is(TLS1_3_VERSION, "TLS_AES_128_GCM_SHA256", NULL,
             "suite: TLS_AES_128_GCM_SHA256 at TLS 1.3 ok");
    suite_is(TLS1_3_VERSION, "TLS_AES_256_GCM_SHA384", NULL,
             "suite: TLS_AES_256_GCM_SHA384 at TLS 1.3 ok");
    suite_is(TLS1_3_VERSION, "TLS_CHACHA20_POLY1305_SHA256",
             "cipher TLS_CHACHA20_POLY1305_SHA256 is not AES-GCM",
             "suite: TLS_CHACHA20_POLY1305_SHA256 refused");
    suite_is(TLS1_2_VERSION, "TLS_AES_128_GCM_SHA256",
             "cipher TLS_AES_128_GCM_SHA256 is not forward-secret",
             "suite: a TLS 1.3 suite claimed at TLS 1.2 refused");
    suite_is(TLS1_1_VERSION, "ECDHE-RSA-AES128-GCM-SHA256",
             "protocol TLSv1.1 below TLSv1.2",
             "suite: TLS 1.1 with a GCM suite refused");
    suite_is(TLS1_VERSION, "ECDHE-RSA-AES128-GCM-SHA256",
             "protocol TLSv1 below TLSv1.2", "suite: TLS 1.0 refused");
    suite_is(SSL3_VERSION, "ECDHE-RSA-AES128-GCM-SHA256",
             "protocol SSLv3 below TLSv1.2", "suite: SSLv3 refused");
    suite_is(DTLS1_2_VERSION, "ECDHE-RSA-AES128-GCM-SHA256",
             "protocol DTLSv1.2 below TLSv1.2",
             "suite: DTLS version numbers are not mistaken for newer");
    is_str(migate_tls_judge_suite(TLS1_2_VERSION, NULL, buf, sizeof(buf)),
           "no cipher negotiated", "suite: no cipher refused");
    {
        const SSL_CIPHER *c = find_cipher("AES128-GCM-SHA256");
        ok(c && migate_tls_judge_suite(TLS1_2_VERSION, c, NULL, 0) != NULL,
           "suite: refusal stays a refusal without a buffer");
    }
    SSL_CTX_free(all_ciphers);
}

/* ---- certificates ---------------------------------------------------- */

static void test_certs(void)
{
    X509 *x;

    is_str(migate_tls_judge_cert(NULL, HOST, buf, sizeof(buf)),
           "no peer certificate", "cert: NULL leaf refused");

    x = ca_leaf(k_rsa, "/CN=" HOST "/O=Example",
                "DNS:" HOST ",DNS:mi2.example.test,IP:10.0.0.5,IP:::1");
    is_str(cert_verdict(x, HOST), NULL, "cert: RSA-2048 SHA-256 right host");
    is_str(cert_verdict(x, "mi2.example.test"), NULL,
           "cert: second SAN name");
    is_str(cert_verdict(x, "MI.Example.Test"), NULL,
           "cert: host name case does not matter");
    is_str(cert_verdict(x, "other.example.test"),
           "certificate not valid for host other.example.test",
           "cert: wrong host refused");
    is_str(cert_verdict(x, "10.0.0.5"), NULL, "cert: IP SAN with IP host");
    is_str(cert_verdict(x, "10.0.0.6"),
           "certificate not valid for host 10.0.0.6",
           "cert: IP not in SAN refused");
    is_str(cert_verdict(x, "[::1]"), NULL, "cert: bracketed IPv6 host");
    is_str(cert_verdict(x, "::1"), NULL, "cert: bare IPv6 host");
    is_str(cert_verdict(x, NULL), "no backend host name to check",
           "cert: no host refused");
    is_str(cert_verdict(x, ""), "no backend host name to check",
           "cert: empty host refused");
    is_str(cert_verdict(x, migate_tls_host_unchecked), NULL,
           "cert: a probe without a request skips the name only");
    X509_free(x);

    /* ... and nothing else: a weak key is refused for a probe too. */
    x = ca_leaf(k_rsa1024, "/CN=probe", "DNS:mi.example.test");
    ok(x == NULL || cert_verdict(x, migate_tls_host_unchecked) != NULL,
       "cert: a probe is still refused a weak key");
    X509_free(x);

    /* An IP literal written as a DNS name must not pass as an address. */
    x = ca_leaf(k_rsa, "/CN=10.0.0.7", "DNS:10.0.0.7");
    is_str(cert_verdict(x, "10.0.0.7"),
           "certificate not valid for host 10.0.0.7",
           "cert: IP host needs an iPAddress SAN, not a DNS one");
    X509_free(x);

    x = ca_leaf(k_rsa, "/CN=wild", "DNS:*.example.test");
    is_str(cert_verdict(x, "a.example.test"), NULL, "cert: wildcard SAN");
    is_str(cert_verdict(x, "a.b.example.test"),
           "certificate not valid for host a.b.example.test",
           "cert: wildcard covers one label only");
    is_str(cert_verdict(x, "example.test"),
           "certificate not valid for host example.test",
           "cert: wildcard does not cover the parent");
    X509_free(x);

    x = ca_leaf(k_rsa, "/CN=partial", "DNS:mi*.example.test");
    is_str(cert_verdict(x, "mi1.example.test"),
           "certificate not valid for host mi1.example.test",
           "cert: partial wildcard refused");
    X509_free(x);

    x = ca_leaf(k_rsa1024, "/CN=" HOST, "DNS:" HOST);
    is_str(cert_verdict(x, HOST), "RSA key 1024 bits",
           "cert: RSA-1024 refused");
    X509_free(x);

    x = ca_leaf(k_p256, "/CN=" HOST, "DNS:" HOST);
    is_str(cert_verdict(x, HOST), NULL, "cert: EC P-256 ok");
    X509_free(x);
    x = ca_leaf(k_p384, "/CN=" HOST, "DNS:" HOST);
    is_str(cert_verdict(x, HOST), NULL, "cert: EC P-384 ok");
    X509_free(x);
    x = ca_leaf(k_p224, "/CN=" HOST, "DNS:" HOST);
    is_str(cert_verdict(x, HOST), "EC key 224 bits",
           "cert: EC P-224 refused");
    X509_free(x);
    x = ca_leaf(k_ed25519, "/CN=" HOST, "DNS:" HOST);
    is_str(cert_verdict(x, HOST), NULL, "cert: Ed25519 key ok");
    X509_free(x);

    /* Ed25519 signing: no separate hash. */
    x = make_cert(k_rsa, "/CN=" HOST, "DNS:" HOST, NULL, k_ed25519, NULL,
                  0);
    is_str(cert_verdict(x, HOST), NULL, "cert: Ed25519 signature ok");
    X509_free(x);

    if (k_dsa) {
        x = ca_leaf(k_dsa, "/CN=" HOST, "DNS:" HOST);
        is_str(cert_verdict(x, HOST), "DSA key", "cert: DSA key refused");
        X509_free(x);
    }
    else {
        skip("cert: DSA key refused: no DSA key generation");
    }

    x = make_cert(k_rsa, "/CN=" HOST, "DNS:" HOST, ca, k_ca, EVP_sha1(), 0);
    is_str(cert_verdict(x, HOST), "signature hash sha1",
           "cert: SHA-1 signature refused");
    X509_free(x);
    x = make_cert(k_rsa, "/CN=" HOST, "DNS:" HOST, ca, k_ca, EVP_md5(), 0);
    if (x) {
        is_str(cert_verdict(x, HOST), "signature hash md5",
               "cert: MD5 signature refused");
        X509_free(x);
    }
    else {
        skip("cert: MD5 signature refused: OpenSSL will not sign with MD5");
    }
    x = make_cert(k_rsa, "/CN=" HOST, "DNS:" HOST, ca, k_ca, EVP_sha384(),
                  0);
    is_str(cert_verdict(x, HOST), NULL, "cert: SHA-384 signature ok");
    X509_free(x);
    x = make_cert(k_rsa, "/CN=" HOST, "DNS:" HOST, ca, k_ca, EVP_sha512(),
                  0);
    is_str(cert_verdict(x, HOST), NULL, "cert: SHA-512 signature ok");
    X509_free(x);
    x = make_cert(k_rsa, "/CN=" HOST, "DNS:" HOST, ca, k_ca, EVP_sha224(),
                  0);
    is_str(cert_verdict(x, HOST), "signature hash sha224",
           "cert: SHA-224 signature refused");
    X509_free(x);

    /* The order of the checks: key before signature before host. */
    x = make_cert(k_rsa1024, "/CN=" HOST, "DNS:" HOST, ca, k_ca, EVP_sha1(),
                  0);
    is_str(cert_verdict(x, "wrong.example.test"), "RSA key 1024 bits",
           "cert: key reported before signature and host");
    X509_free(x);
    x = make_cert(k_rsa, "/CN=" HOST, "DNS:" HOST, ca, k_ca, EVP_sha1(), 0);
    is_str(cert_verdict(x, "wrong.example.test"), "signature hash sha1",
           "cert: signature reported before host");
    X509_free(x);

    /* The WSO2 defaults. */
    x = make_cert(k_rsa, "/C=US/ST=CA/L=Mountain View/O=WSO2/OU=WSO2"
                  "/CN=localhost", "DNS:localhost", NULL, NULL, EVP_sha256(),
                  0);
    is_str(cert_verdict(x, "localhost"),
           "WSO2 default certificate (self-signed O=WSO2)",
           "cert: self-signed O=WSO2 CN=localhost refused, host matching");
    X509_free(x);
    x = make_cert(k_rsa, "/C=US/ST=CA/L=Santa Clara/O=wso2/OU=wso2"
                  "/CN=localhost", NULL, NULL, NULL, EVP_sha256(), 0);
    is_str(cert_verdict(x, "localhost"),
           "WSO2 default certificate (self-signed O=WSO2)",
           "cert: self-signed O=wso2 (lower case) refused");
    X509_free(x);
    x = make_cert(k_rsa, "/O=Example/O=WSO2/CN=" HOST, "DNS:" HOST, NULL,
                  NULL, EVP_sha256(), 0);
    is_str(cert_verdict(x, HOST),
           "WSO2 default certificate (self-signed O=WSO2)",
           "cert: O=WSO2 as the second organisation refused");
    X509_free(x);
    x = make_cert(k_rsa1024, "/O=WSO2/CN=localhost", "DNS:localhost", NULL,
                  NULL, EVP_sha1(), 0);
    is_str(cert_verdict(x, "elsewhere"),
           "WSO2 default certificate (self-signed O=WSO2)",
           "cert: WSO2 default reported before key, signature, host");
    X509_free(x);
    x = ca_leaf(k_rsa, "/O=WSO2/OU=WSO2/CN=" HOST, "DNS:" HOST);
    is_str(cert_verdict(x, HOST), NULL,
           "cert: CA-issued O=WSO2 certificate accepted");
    X509_free(x);
    x = make_cert(k_rsa, "/O=WSO2 Inc/CN=" HOST, "DNS:" HOST, NULL, NULL,
                  EVP_sha256(), 0);
    is_str(cert_verdict(x, HOST), NULL,
           "cert: self-signed O=\"WSO2 Inc\" is not the default");
    X509_free(x);
    x = make_cert(k_rsa, "/O=Example/OU=WSO2/CN=" HOST, "DNS:" HOST, NULL,
                  NULL, EVP_sha256(), 0);
    is_str(cert_verdict(x, HOST), NULL,
           "cert: OU=WSO2 alone is not the default");
    X509_free(x);

    /* Without a DNS SAN the subject CN is the name, as keytool makes
     * them; a self-signed certificate that is not WSO2's is left to the
     * chain verification. */
    x = make_cert(k_rsa, "/O=Example/CN=" HOST, NULL, NULL, NULL,
                  EVP_sha256(), 0);
    is_str(cert_verdict(x, HOST), NULL,
           "cert: CN used when there is no DNS SAN");
    is_str(cert_verdict(x, "other.example.test"),
           "certificate not valid for host other.example.test",
           "cert: CN mismatch refused");
    X509_free(x);
    x = ca_leaf(k_rsa, "/CN=" HOST, "DNS:mi2.example.test");
    is_str(cert_verdict(x, HOST),
           "certificate not valid for host " HOST,
           "cert: CN ignored when a DNS SAN is present");
    X509_free(x);
}

/* ---- the forced context ---------------------------------------------- */

static char *cipher_names(SSL_CTX *ctx)
{
    static char names[1024];
    STACK_OF(SSL_CIPHER) *sk = SSL_CTX_get_ciphers(ctx);
    int i;

    names[0] = '\0';
    for (i = 0; i < sk_SSL_CIPHER_num(sk); i++) {
        if (i) {
            strncat(names, ":", sizeof(names) - strlen(names) - 1);
        }
        strncat(names, SSL_CIPHER_get_name(sk_SSL_CIPHER_value(sk, i)),
                sizeof(names) - strlen(names) - 1);
    }
    return names;
}

static void test_force(void)
{
    SSL_CTX *ctx;
    const char *changed = "untouched";
    char first[256];

    is_int(migate_tls_force_ctx(NULL, &changed), -1, "force: NULL ctx");
    is_str(changed, "", "force: NULL ctx changes nothing");

    ctx = SSL_CTX_new(TLS_client_method());
    SSL_CTX_set_min_proto_version(ctx, TLS1_VERSION);
    SSL_CTX_set_cipher_list(ctx, "ALL:@SECLEVEL=0");
    is_int(migate_tls_force_ctx(ctx, &changed), 0, "force: weak ctx");
    snprintf(first, sizeof(first), "%s", changed);
    is_str(first, "minimum protocol TLSv1 -> TLSv1.2, cipher list, "
           "TLS 1.3 suites, security level 0 -> 2",
           "force: what was tightened");
    is_int(SSL_CTX_get_min_proto_version(ctx), TLS1_2_VERSION,
           "force: minimum TLS 1.2");
    is_int(SSL_CTX_get_security_level(ctx), 2, "force: security level 2");
    is_str(cipher_names(ctx),
           "TLS_AES_256_GCM_SHA384:TLS_AES_128_GCM_SHA256:"
           MIGATE_TLS12_CIPHERS, "force: exactly the policy suites");
    is_int(migate_tls_force_ctx(ctx, &changed), 0, "force: again");
    is_str(changed, "", "force: idempotent, nothing changed the 2nd time");
    is_int(migate_tls_force_ctx(ctx, NULL), 0, "force: changed optional");
    SSL_CTX_free(ctx);

    ctx = SSL_CTX_new(TLS_client_method());
    SSL_CTX_set_min_proto_version(ctx, 0);
    SSL_CTX_set_security_level(ctx, 1);
    migate_tls_force_ctx(ctx, &changed);
    is_str(changed, "minimum protocol any -> TLSv1.2, cipher list, "
           "TLS 1.3 suites, security level 1 -> 2",
           "force: OpenSSL defaults tightened");
    SSL_CTX_free(ctx);

    ctx = SSL_CTX_new(TLS_client_method());
    SSL_CTX_set_min_proto_version(ctx, TLS1_VERSION);
    SSL_CTX_set_max_proto_version(ctx, TLS1_1_VERSION);
    SSL_CTX_set_security_level(ctx, 3);
    SSL_CTX_set_cipher_list(ctx, MIGATE_TLS12_CIPHERS);
    SSL_CTX_set_ciphersuites(ctx, MIGATE_TLS13_SUITES);
    migate_tls_force_ctx(ctx, &changed);
    is_str(changed, "minimum protocol TLSv1 -> TLSv1.2, "
           "maximum protocol TLSv1.1 -> any",
           "force: a maximum below TLS 1.2 is lifted, level 3 kept");
    is_int(SSL_CTX_get_max_proto_version(ctx), 0, "force: maximum cleared");
    is_int(SSL_CTX_get_security_level(ctx), 3, "force: level 3 not lowered");
    SSL_CTX_free(ctx);

    ctx = SSL_CTX_new(TLS_client_method());
    SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION);
    SSL_CTX_set_max_proto_version(ctx, TLS1_3_VERSION);
    SSL_CTX_set_security_level(ctx, 2);
    SSL_CTX_set_cipher_list(ctx, MIGATE_TLS12_CIPHERS);
    SSL_CTX_set_ciphersuites(ctx, "TLS_AES_128_GCM_SHA256");
    migate_tls_force_ctx(ctx, &changed);
    is_str(changed, "TLS 1.3 suites",
           "force: TLS 1.3 only kept, suites set");
    is_int(SSL_CTX_get_min_proto_version(ctx), TLS1_3_VERSION,
           "force: a stricter minimum is not lowered");
    SSL_CTX_free(ctx);

    ctx = SSL_CTX_new(TLS_client_method());
    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
    SSL_CTX_set_security_level(ctx, 2);
    SSL_CTX_set_options(ctx, SSL_OP_NO_TLSv1_2 | SSL_OP_NO_TLSv1_3);
    SSL_CTX_set_cipher_list(ctx, MIGATE_TLS12_CIPHERS);
    SSL_CTX_set_ciphersuites(ctx, MIGATE_TLS13_SUITES);
    migate_tls_force_ctx(ctx, &changed);
    is_str(changed, "protocol options",
           "force: options turning off TLS 1.2 and 1.3 cleared");
    ok(!(SSL_CTX_get_options(ctx) & (SSL_OP_NO_TLSv1_2 | SSL_OP_NO_TLSv1_3)),
       "force: options gone");
    SSL_CTX_free(ctx);
}

/* ---- sessions -------------------------------------------------------- */

static SSL_CTX *server_ctx(X509 *cert, EVP_PKEY *key, int level)
{
    SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());

    SSL_CTX_set_security_level(ctx, level);
    if (!SSL_CTX_use_certificate(ctx, cert)
        || !SSL_CTX_use_PrivateKey(ctx, key)) {
        diag("server certificate refused");
        ERR_clear_error();
    }
    return ctx;
}

/* The proxy side: trust (may be NULL) in the store, SSL_VERIFY_NONE as
 * mod_ssl with SSLProxyVerify none. */
static SSL_CTX *client_ctx(X509 *trust)
{
    SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());

    SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
    if (trust) {
        X509_STORE_add_cert(SSL_CTX_get_cert_store(ctx), trust);
    }
    return ctx;
}

/* Run a handshake between new SSLs of cctx and sctx; 1 if both ends
 * completed it.  *client is the proxy side, to be judged and freed. */
static int handshake(SSL_CTX *cctx, SSL_CTX *sctx, SSL **client)
{
    SSL *c = SSL_new(cctx), *s = SSL_new(sctx);
    BIO *bc = NULL, *bs = NULL;
    int cdone = 0, sdone = 0, i, r;

    BIO_new_bio_pair(&bc, 0, &bs, 0);
    SSL_set_bio(c, bc, bc);
    SSL_set_bio(s, bs, bs);
    SSL_set_connect_state(c);
    SSL_set_accept_state(s);
    for (i = 0; i < 100 && !(cdone && sdone); i++) {
        if (!cdone) {
            r = SSL_do_handshake(c);
            if (r == 1) {
                cdone = 1;
            }
            else if (SSL_get_error(c, r) != SSL_ERROR_WANT_READ
                     && SSL_get_error(c, r) != SSL_ERROR_WANT_WRITE) {
                break;
            }
        }
        if (!sdone) {
            r = SSL_do_handshake(s);
            if (r == 1) {
                sdone = 1;
            }
            else if (SSL_get_error(s, r) != SSL_ERROR_WANT_READ
                     && SSL_get_error(s, r) != SSL_ERROR_WANT_WRITE) {
                break;
            }
        }
    }
    ERR_clear_error();
    SSL_free(s);
    *client = c;
    return cdone && sdone;
}

/* Handshake, then judge the proxy side against host. */
static const char *session(SSL_CTX *cctx, SSL_CTX *sctx, const char *host,
                           int *done, int *version)
{
    SSL *c;
    const char *why;

    *done = handshake(cctx, sctx, &c);
    *version = SSL_version(c);
    why = migate_tls_judge(c, host, buf, sizeof(buf));
    SSL_free(c);
    SSL_CTX_free(cctx);
    SSL_CTX_free(sctx);
    return why;
}

static void test_sessions(void)
{
    X509 *leaf = ca_leaf(k_rsa, "/CN=" HOST,
                         "DNS:" HOST ",IP:127.0.0.1");
    X509 *leaf1024 = ca_leaf(k_rsa1024, "/CN=" HOST, "DNS:" HOST);
    X509 *wso2 = make_cert(k_rsa, "/C=US/ST=CA/L=Mountain View/O=WSO2"
                           "/OU=WSO2/CN=localhost", "DNS:localhost", NULL,
                           NULL, EVP_sha256(), 0);
    X509 *expired = ca_leaf(k_rsa, "/CN=" HOST, "DNS:" HOST);
    SSL_CTX *cctx, *sctx;
    SSL *c;
    int done, version;
    const char *why;

    X509_gmtime_adj(X509_getm_notAfter(expired), -60);
    X509_sign(expired, k_ca, EVP_sha256());

    is_str(migate_tls_judge(NULL, HOST, buf, sizeof(buf)), "no TLS session",
           "session: no SSL");

    why = session(client_ctx(ca), server_ctx(leaf, k_rsa, 2), HOST, &done,
                  &version);
    ok(done && version == TLS1_3_VERSION, "session: TLS 1.3 handshake");
    is_str(why, NULL, "session: good TLS 1.3 session accepted");

    why = session(client_ctx(ca), server_ctx(leaf, k_rsa, 2), "127.0.0.1",
                  &done, &version);
    is_str(why, NULL, "session: good session, IP literal backend");

    sctx = server_ctx(leaf, k_rsa, 2);
    SSL_CTX_set_max_proto_version(sctx, TLS1_2_VERSION);
    SSL_CTX_set_cipher_list(sctx, "ECDHE-RSA-AES128-GCM-SHA256");
    cctx = client_ctx(ca);
    done = handshake(cctx, sctx, &c);
    ok(done && SSL_version(c) == TLS1_2_VERSION
       && strcmp(SSL_get_cipher_name(c), "ECDHE-RSA-AES128-GCM-SHA256") == 0,
       "session: TLS 1.2 ECDHE-RSA-AES128-GCM-SHA256 handshake");
    is_str(migate_tls_judge(c, HOST, buf, sizeof(buf)), NULL,
           "session: good TLS 1.2 session accepted");
    is_str(migate_tls_judge(c, "other.example.test", buf, sizeof(buf)),
           "certificate not valid for host other.example.test",
           "session: wrong backend host refused");
    is_str(migate_tls_judge(c, NULL, buf, sizeof(buf)),
           "no backend host name to check", "session: no host refused");
    SSL_free(c);
    SSL_CTX_free(cctx);
    SSL_CTX_free(sctx);

    sctx = server_ctx(leaf, k_rsa, 0);
    SSL_CTX_set_max_proto_version(sctx, TLS1_2_VERSION);
    SSL_CTX_set_cipher_list(sctx, "AES128-GCM-SHA256:@SECLEVEL=0");
    cctx = client_ctx(ca);
    SSL_CTX_set_cipher_list(cctx, "ALL:@SECLEVEL=0");
    why = session(cctx, sctx, HOST, &done, &version);
    ok(done, "session: static RSA handshake completes without the policy");
    is_str(why, "cipher AES128-GCM-SHA256 is not forward-secret",
           "session: static RSA suite refused");

    why = session(client_ctx(NULL), server_ctx(leaf, k_rsa, 2), HOST, &done,
                  &version);
    ok(done, "session: untrusted issuer completes with SSL_VERIFY_NONE");
    is_str(why, "certificate verify failed: "
           "unable to get local issuer certificate",
           "session: untrusted issuer refused");

    why = session(client_ctx(ca), server_ctx(expired, k_rsa, 2), HOST,
                  &done, &version);
    is_str(why, "certificate verify failed: certificate has expired",
           "session: expired certificate refused");

    cctx = client_ctx(ca);
    SSL_CTX_set_security_level(cctx, 0);
    why = session(cctx, server_ctx(leaf1024, k_rsa1024, 0), HOST, &done,
                  &version);
    ok(done, "session: RSA-1024 handshake completes without the policy");
    is_str(why, "RSA key 1024 bits", "session: RSA-1024 leaf refused");

    why = session(client_ctx(wso2), server_ctx(wso2, k_rsa, 2), "localhost",
                  &done, &version);
    is_str(why, "WSO2 default certificate (self-signed O=WSO2)",
           "session: WSO2 default refused although trusted");
    sctx = server_ctx(wso2, k_rsa, 2);
    cctx = client_ctx(NULL);
    done = handshake(cctx, sctx, &c);
    ok(done && SSL_get_verify_result(c) != X509_V_OK,
       "session: untrusted WSO2 default fails verification too");
    is_str(migate_tls_judge(c, "localhost", buf, sizeof(buf)),
           "WSO2 default certificate (self-signed O=WSO2)",
           "session: WSO2 default named before the verify failure");
    SSL_free(c);
    SSL_CTX_free(cctx);
    SSL_CTX_free(sctx);

    sctx = server_ctx(leaf, k_rsa, 0);
    SSL_CTX_set_min_proto_version(sctx, 0);
    SSL_CTX_set_max_proto_version(sctx, TLS1_1_VERSION);
    SSL_CTX_set_cipher_list(sctx, "ALL:@SECLEVEL=0");
    cctx = client_ctx(ca);
    SSL_CTX_set_min_proto_version(cctx, 0);
    SSL_CTX_set_cipher_list(cctx, "ALL:@SECLEVEL=0");
    why = session(cctx, sctx, HOST, &done, &version);
    if (done) {
        is_str(why, "protocol TLSv1.1 below TLSv1.2",
               "session: TLS 1.1 session refused");
    }
    else {
        skip("session: TLS 1.1 session refused: no TLS 1.1 here");
    }

    /* The forced policy, against servers that offer too little. */
    sctx = server_ctx(leaf, k_rsa, 2);
    SSL_CTX_set_max_proto_version(sctx, TLS1_2_VERSION);
    SSL_CTX_set_cipher_list(sctx, "ECDHE-RSA-AES128-SHA256:AES128-SHA");
    cctx = client_ctx(ca);
    SSL_CTX_set_min_proto_version(cctx, TLS1_VERSION);
    SSL_CTX_set_cipher_list(cctx, "ALL:@SECLEVEL=0");
    done = handshake(cctx, sctx, &c);
    ok(done, "session: CBC-only server accepted by a weak client");
    is_str(migate_tls_judge(c, HOST, buf, sizeof(buf)),
           "cipher ECDHE-RSA-AES128-SHA256 is not AES-GCM",
           "session: CBC suite refused");
    SSL_free(c);
    migate_tls_force_ctx(cctx, NULL);
    done = handshake(cctx, sctx, &c);
    ok(!done, "session: forced client fails the CBC-only handshake");
    SSL_free(c);
    SSL_CTX_free(cctx);
    SSL_CTX_free(sctx);

    sctx = server_ctx(leaf, k_rsa, 0);
    SSL_CTX_set_min_proto_version(sctx, 0);
    SSL_CTX_set_max_proto_version(sctx, TLS1_1_VERSION);
    SSL_CTX_set_cipher_list(sctx, "ALL:@SECLEVEL=0");
    cctx = client_ctx(ca);
    SSL_CTX_set_min_proto_version(cctx, TLS1_VERSION);
    SSL_CTX_set_cipher_list(cctx, "ALL:@SECLEVEL=0");
    migate_tls_force_ctx(cctx, NULL);
    why = session(cctx, sctx, HOST, &done, &version);
    ok(!done, "session: forced client fails against a TLS 1.1 server");

    cctx = client_ctx(ca);
    SSL_CTX_set_cipher_list(cctx, "ALL:@SECLEVEL=0");
    migate_tls_force_ctx(cctx, NULL);
    why = session(cctx, server_ctx(leaf1024, k_rsa1024, 0), HOST, &done,
                  &version);
    /* Security level 2 marks the chain, SSL_VERIFY_NONE lets the
     * handshake finish, the verdict refuses and names the key. */
    is_str(why, "RSA key 1024 bits",
           "session: forced client refuses an RSA-1024 server");

    cctx = client_ctx(ca);
    migate_tls_force_ctx(cctx, NULL);
    why = session(cctx, server_ctx(leaf, k_rsa, 2), HOST, &done, &version);
    ok(done && why == NULL, "session: forced client, default server, ok");

    sctx = server_ctx(leaf, k_rsa, 2);
    SSL_CTX_set_max_proto_version(sctx, TLS1_2_VERSION);
    SSL_CTX_set_cipher_list(sctx, "DHE-RSA-AES256-GCM-SHA384");
    SSL_CTX_set_dh_auto(sctx, 1);
    cctx = client_ctx(ca);
    migate_tls_force_ctx(cctx, NULL);
    done = handshake(cctx, sctx, &c);
    ok(done && strcmp(SSL_get_cipher_name(c), "DHE-RSA-AES256-GCM-SHA384")
       == 0, "session: forced client negotiates DHE-RSA-AES256-GCM-SHA384");
    is_str(migate_tls_judge(c, HOST, buf, sizeof(buf)), NULL,
           "session: DHE GCM session accepted");
    SSL_free(c);
    SSL_CTX_free(cctx);
    SSL_CTX_free(sctx);

    X509_free(leaf);
    X509_free(leaf1024);
    X509_free(wso2);
    X509_free(expired);
}

/* The "wso2carbon" certificates of the wso2carbon.jks keystores in
 * github.com/wso2/micro-integrator (commit 2fb7ef26be6d), the source of
 * the fingerprint table of migate_tls.c. */
static const char *const wso2_shipped[] = {
    /* product-scenarios/<scenario>/resources/keystores/wso2carbon.jks, 2017 */
    "-----BEGIN CERTIFICATE-----\n"
    "MIIDSTCCAjGgAwIBAgIEAoLQ/TANBgkqhkiG9w0BAQsFADBVMQswCQYDVQQGEwJV\n"
    "UzELMAkGA1UECBMCQ0ExFjAUBgNVBAcTDU1vdW50YWluIFZpZXcxDTALBgNVBAoT\n"
    "BFdTTzIxEjAQBgNVBAMTCWxvY2FsaG9zdDAeFw0xNzA3MTkwNjUyNTFaFw0yNzA3\n"
    "MTcwNjUyNTFaMFUxCzAJBgNVBAYTAlVTMQswCQYDVQQIEwJDQTEWMBQGA1UEBxMN\n"
    "TW91bnRhaW4gVmlldzENMAsGA1UEChMEV1NPMjESMBAGA1UEAxMJbG9jYWxob3N0\n"
    "MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAluZFdW1ynitztkWLC6xK\n"
    "egbRWxky+5P0p4ShYEOkHs30QI2VCuR6Qo4Bz5rTgLBrky03W1GAVrZxuvKRGj9V\n"
    "9+PmjdGtau4CTXu9pLLcqnruaczoSdvBYA3lS9a7zgFU0+s6kMl2EhB+rk7gXluE\n"
    "ep7lIOenzfl2f6IoTKa2fVgVd3YKiSGsyL4tztS70vmmX121qm0sTJdKWP4HxXyq\n"
    "K9neolXI9fYyHOYILVNZ69z/73OOVhkh/mvTmWZLM7GM6sApmyLX6OXUp8z0pkY+\n"
    "vT/9+zRxxQs7GurC4/C1nK3rI/0ySUgGEafO1atNjYmlFN+M3tZX6nEcA6g94Iav\n"
    "yQIDAQABoyEwHzAdBgNVHQ4EFgQUtS8kIYxQ8UVvVrZSdgyide9OHxUwDQYJKoZI\n"
    "hvcNAQELBQADggEBABfk5mqsVUrpFCYTZZhOxTRRpGXqoW1G05bOxHxs42Paxw8r\n"
    "AJ06Pty9jqM1CgRPpqvZa2lPQBQqZrHkdDE06q4NG0DqMH8NT+tNkXBe9YTre3EJ\n"
    "CSfsvswtLVDZ7GDvTHKojJjQvdVCzRj6XH5Truwefb4BJz9APtnlyJIvjHk1hdoz\n"
    "qyOniVZd0QOxLAbcdt946chNdQvCm6aUOputp8Xogr0KBnEy3U8es2cAfNZaEkPU\n"
    "8Va5bU6Xjny8zGQnXCXxPKp7sMpgO93nPBt/liX1qfyXM7xEotWoxmm6HZx8oWQ8\n"
    "U5aiXjZ5RKDWCCq4ZuXl6wVsUz1iE61suO5yWi8=\n"
    "-----END CERTIFICATE-----\n",
    /* samples/APITesting/deployment/docker/resources/wso2carbon.jks, 2023 */
    "-----BEGIN CERTIFICATE-----\n"
    "MIIDqTCCApGgAwIBAgIEY/ZaAzANBgkqhkiG9w0BAQsFADBkMQswCQYDVQQGEwJV\n"
    "UzELMAkGA1UECAwCQ0ExFjAUBgNVBAcMDU1vdW50YWluIFZpZXcxDTALBgNVBAoM\n"
    "BFdTTzIxDTALBgNVBAsMBFdTTzIxEjAQBgNVBAMMCWxvY2FsaG9zdDAeFw0yMzAy\n"
    "MjIxODA4MDNaFw0yNTA1MjcxODA4MDNaMGQxCzAJBgNVBAYTAlVTMQswCQYDVQQI\n"
    "DAJDQTEWMBQGA1UEBwwNTW91bnRhaW4gVmlldzENMAsGA1UECgwEV1NPMjENMAsG\n"
    "A1UECwwEV1NPMjESMBAGA1UEAwwJbG9jYWxob3N0MIIBIjANBgkqhkiG9w0BAQEF\n"
    "AAOCAQ8AMIIBCgKCAQEAzNqjfB4ypY0QkM4QnrtcFlRmFjdJYTzeTEzZj3PaJtNm\n"
    "cOCxVNwomUwbkISogv4O4J0lDVAyq6aapDNY9JzxsoLehosqyuKar3IGSJhm8IM8\n"
    "N7uVfT0mLQ+rho3zXE7/FahS+rwIp+OUPqJvRH8enc2mpfghG8cvBx4qq6VzMS3B\n"
    "72CfNAPyEeFJwi4R4ZgXzslbr/oGMJBHSQDhVEoA8ukQzUsLafbt3sFMDVy0t5KN\n"
    "SazRBLcHSPlx5B0W4JSWf/vv1A/c1v9AJSksxrSsRqRjoaHgp3AzhZw7LDsowfxq\n"
    "HZ5bF0Thxq4OXEOsk/rSPIHvRilk7OP+epTXwZpw4QIDAQABo2MwYTAUBgNVHREE\n"
    "DTALgglsb2NhbGhvc3QwHQYDVR0OBBYEFDysjUUhg/8AsH60rJvrAn9Way1/MB0G\n"
    "A1UdJQQWMBQGCCsGAQUFBwMBBggrBgEFBQcDAjALBgNVHQ8EBAMCBPAwDQYJKoZI\n"
    "hvcNAQELBQADggEBAKRAN+DA3BH5PxV/03SzLMngxn/w8hMabNXP5FptvBrPdFZh\n"
    "68K1vR+PKopQBYIRNjolzmrfLInNz0qluYgz8NldoW+SKq4kjfGbN1RiJVW4hfYD\n"
    "b8UpRwoyWCybPACCJuzsiJV+VFXBu9hGk51NZHwY6QgJDFkHcf3dOfjME05iyCW4\n"
    "c+xYWcJB7Nqn0n3EGtK1DoiiENpTC/4PKY1YGvEQXzDqI73gJngKNZ78sxNx0WaQ\n"
    "IfN33Hov0Xt/cLMk1zzlJvD+N8R8n7CzS+jr1SnCoJmCZFJzFjqPNxzsTsfFTirt\n"
    "jqyYrPWHhU8D9Mc3iqtgauRF4U2kpFsdpKpWOhQ=\n"
    "-----END CERTIFICATE-----\n",
    /* samples/HelloDocker/deployment/docker/resources/wso2carbon.jks, 2024 */
    "-----BEGIN CERTIFICATE-----\n"
    "MIIDuTCCAqGgAwIBAgIUYyS+bczs8GSwcxhQE2YBjdAEjL8wDQYJKoZIhvcNAQEL\n"
    "BQAwZDELMAkGA1UEBhMCVVMxCzAJBgNVBAgMAkNBMRYwFAYDVQQHDA1Nb3VudGFp\n"
    "biBWaWV3MQ0wCwYDVQQKDARXU08yMQ0wCwYDVQQLDARXU08yMRIwEAYDVQQDDAls\n"
    "b2NhbGhvc3QwHhcNMjQwMjIyMDg1MjU1WhcNMjYwNTI3MDg1MjU1WjBkMQswCQYD\n"
    "VQQGEwJVUzELMAkGA1UECAwCQ0ExFjAUBgNVBAcMDU1vdW50YWluIFZpZXcxDTAL\n"
    "BgNVBAoMBFdTTzIxDTALBgNVBAsMBFdTTzIxEjAQBgNVBAMMCWxvY2FsaG9zdDCC\n"
    "ASIwDQYJKoZIhvcNAQEBBQADggEPADCCAQoCggEBAObHe4rr21FT7Xuoyz3CS0r+\n"
    "y8QLhpyogFlXw0LCIPFjVqLUmABI9SFIz7pVzJpqTPl4BlaUqG77B722SIskBnLR\n"
    "Gs5GW5AHGujHUfjrRUC/LE0hwaa7A5kSTnxpvqLU9gzPl5GQ28wbopipw0Y2CNGq\n"
    "lYrTJwL0/S27BCeObYkRxZk4J/FVbKeMVnRAUYeA7R6IR8wBu6waPS5CNOTki/Zw\n"
    "50AojGadVfmGy6QC6gVaiC8IamBZKkvOjc/tCauP9BNkHgpAnAaXOZtSrEX6i/qJ\n"
    "G/ZXmOcJSFGHKzjHOuFi6+8bP+Kws3UM/vFfd4Gh2aS2b6gOw25t/R0lDJV+wtEC\n"
    "AwEAAaNjMGEwFAYDVR0RBA0wC4IJbG9jYWxob3N0MB0GA1UdDgQWBBSHAxKoKeZs\n"
    "Zs1ni+EXYW75fM70bjAdBgNVHSUEFjAUBggrBgEFBQcDAQYIKwYBBQUHAwIwCwYD\n"
    "VR0PBAQDAgTwMA0GCSqGSIb3DQEBCwUAA4IBAQDGL9SSAc8zeZpUoihSa1Vz0dcW\n"
    "nEGYdt7dBpxSziqRVH5O62qUOvd8mlhy3Hx7pvZm2+jJb5LxGJ3c/W8F3mut1Stj\n"
    "ASEEul9axuxo5fnzUWk6AWm2pahlKme0bJO/uBrcMtZU6MwBvE76A3fh+kZzVTDl\n"
    "Ln2TTorJXrt/IBnJuVGOe3XlFNS20J7lKERkwPvDfXdgnZIiTbG0w9bALUJjQ8U2\n"
    "AAP9akgu7pLWL7G55sSVobFrBLJELgqqSUTUxA9uro60F1Q0UaXpNwht1BwA1UPB\n"
    "s+5OvfW8g1hdVgVvcfeFHBOhI2NkTmzdFFWJe0ExOCoybGWIfFdbVmjUY/bR\n"
    "-----END CERTIFICATE-----\n",
};

static X509 *pem_cert(const char *pem)
{
    BIO *b = BIO_new_mem_buf(pem, -1);
    X509 *x = b ? PEM_read_bio_X509(b, NULL, NULL, NULL) : NULL;

    BIO_free(b);
    return x;
}

/* ---- the certificates WSO2 ships ---------------------------------- */

static void test_shipped(void)
{
    size_t i;

    for (i = 0; i < sizeof(wso2_shipped) / sizeof(wso2_shipped[0]); i++) {
        X509 *x = pem_cert(wso2_shipped[i]), *y;
        unsigned char *der = NULL;
        const unsigned char *p;
        int len;

        if (x == NULL) {
            ok(0, "shipped %zu: certificate parsed", i + 1);
            continue;
        }
        is_str(cert_verdict(x, "localhost"),
               "WSO2 default certificate (fingerprint)",
               "shipped %zu: named by its fingerprint", i + 1);
        is_str(migate_tls_judge_chain(x, X509_V_OK, "localhost", buf,
                                      sizeof(buf)),
               "WSO2 default certificate (fingerprint)",
               "shipped %zu: named by its fingerprint, chain trusted",
               i + 1);
        /* One bit of the signature changed: no longer the shipped
         * certificate, but still a self-signed O=WSO2 one. */
        if ((len = i2d_X509(x, &der)) <= 0) {
            ok(0, "shipped %zu: certificate encoded", i + 1);
            X509_free(x);
            continue;
        }
        der[len - 1] ^= 1;
        p = der;
        y = d2i_X509(NULL, &p, len);
        is_str(cert_verdict(y, "localhost"),
               "WSO2 default certificate (self-signed O=WSO2)",
               "shipped %zu: a changed copy is caught by its subject",
               i + 1);
        OPENSSL_free(der);
        X509_free(y);
        X509_free(x);
    }
}

/* ---- the verdict given a chain result (for the verify callback) ---- */

static void test_chain(void)
{
    X509 *good = ca_leaf(k_rsa, "/CN=" HOST, "DNS:" HOST);
    X509 *weak = ca_leaf(k_rsa1024, "/CN=" HOST, "DNS:" HOST);
    X509 *wso2 = make_cert(k_rsa, "/CN=localhost/OU=WSO2/O=WSO2/C=US",
                           "DNS:localhost", NULL, NULL, EVP_sha256(), 0);

    ok(migate_tls_judge_chain(good, X509_V_OK, HOST, buf, sizeof(buf))
       == NULL, "chain: verified strong leaf for its host passes");
    is_str(migate_tls_judge_chain(good,
                                  X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY,
                                  HOST, buf, sizeof(buf)),
           "certificate verify failed: unable to get local issuer "
           "certificate", "chain: verify error is named");
    is_str(migate_tls_judge_chain(weak, X509_V_ERR_EE_KEY_TOO_SMALL, HOST,
                                  buf, sizeof(buf)),
           "RSA key 1024 bits", "chain: security-level error named by key");
    is_str(migate_tls_judge_chain(good, X509_V_ERR_CA_KEY_TOO_SMALL, HOST,
                                  buf, sizeof(buf)),
           "certificate verify failed: CA certificate key too weak",
           "chain: weak CA key falls back to the chain text");
    is_str(migate_tls_judge_chain(wso2, X509_V_OK, "localhost", buf,
                                  sizeof(buf)),
           "WSO2 default certificate (self-signed O=WSO2)",
           "chain: trusted WSO2 look-alike still refused");
    is_str(migate_tls_judge_chain(good, X509_V_OK, "other.example", buf,
                                  sizeof(buf)),
           "certificate not valid for host other.example",
           "chain: host checked after the chain");
    is_str(migate_tls_judge_chain(NULL, X509_V_OK, HOST, buf, sizeof(buf)),
           "no peer certificate", "chain: no certificate");
    X509_free(good);
    X509_free(weak);
    X509_free(wso2);
}

int main(void)
{
    k_ca = EVP_RSA_gen(2048);
    k_rsa = EVP_RSA_gen(2048);
    k_rsa1024 = EVP_RSA_gen(1024);
    k_p256 = EVP_EC_gen("P-256");
    k_p384 = EVP_EC_gen("P-384");
    k_p224 = EVP_EC_gen("P-224");
    k_ed25519 = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
    k_dsa = dsa_key();
    if (!k_ca || !k_rsa || !k_rsa1024 || !k_p256 || !k_p384 || !k_p224
        || !k_ed25519) {
        printf("Bail out! key generation failed\n");
        return 1;
    }
    ca = make_cert(k_ca, "/CN=Test CA/O=Example", NULL, NULL, NULL,
                   EVP_sha256(), 1);

    test_suites();
    test_certs();
    test_force();
    test_sessions();
    test_chain();
    test_shipped();

    X509_free(ca);
    EVP_PKEY_free(k_ca);
    EVP_PKEY_free(k_rsa);
    EVP_PKEY_free(k_rsa1024);
    EVP_PKEY_free(k_p256);
    EVP_PKEY_free(k_p384);
    EVP_PKEY_free(k_p224);
    EVP_PKEY_free(k_ed25519);
    EVP_PKEY_free(k_dsa);
    return done_testing();
}
