/*
 * migate_tls.c - the backend TLS policy of MiGateBackendTLS strict: what is
 * forced on the proxy SSL_CTX before any handshake, and the verdict on a
 * session once mod_ssl has completed one toward MI.  Pure: OpenSSL values
 * in, NULL or a detail text out; the glue logs and fails the request.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <arpa/inet.h>

#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "migate_tls.h"

/* The OpenSSL 3.0 names, mapped back so the file also builds on 1.1.1. */
#if OPENSSL_VERSION_NUMBER < 0x30000000L
#define SSL_get1_peer_certificate SSL_get_peer_certificate
#define EVP_PKEY_get_base_id EVP_PKEY_base_id
#define EVP_PKEY_get_bits EVP_PKEY_bits
#endif

#define MIN_RSA_BITS 2048
#define MIN_EC_BITS  256
#define MIN_SECLEVEL 2

/*
 * SHA-256 fingerprints (over the DER certificate) of the "wso2carbon" key
 * of the wso2carbon.jks keystores WSO2 ships, whose private keys are
 * public.  Taken from the keystores in github.com/wso2/micro-integrator
 * (commit 2fb7ef26be6d, December 2024), alias wso2carbon:
 *   1. product-scenarios/<scenario>/resources/keystores/wso2carbon.jks
 *      (identical copies), CN=localhost, O=WSO2, 2017-07-19 .. 2027-07-17;
 *   2. samples/APITesting/deployment/docker/resources/wso2carbon.jks,
 *      CN=localhost, OU=WSO2, O=WSO2, 2023-02-22 .. 2025-05-27;
 *   3. samples/HelloDocker/deployment/docker/resources/wso2carbon.jks,
 *      CN=localhost, OU=WSO2, O=WSO2, 2024-02-22 .. 2026-05-27.
 * t/unit/test_tls.c holds these three certificates and checks that each
 * is named by this table.  All are self-signed with O=WSO2, so the
 * subject rule below refuses them too; the table is looked at first so
 * that the refusal says it is the shipped key, not merely a look-alike.
 */
static const unsigned char wso2_fingerprints[][32] = {
    { 0x50, 0xF0, 0xED, 0xA5, 0x89, 0x8A, 0xF3, 0xA1,
      0x15, 0xC2, 0xC5, 0x08, 0x19, 0x49, 0x56, 0xE7,
      0xE1, 0x14, 0xFE, 0x23, 0x47, 0x43, 0xE9, 0xD2,
      0x2F, 0x70, 0x9A, 0xE7, 0xCB, 0x80, 0x1B, 0xBD },
    { 0x1B, 0x24, 0x29, 0xB1, 0x6E, 0xF5, 0x83, 0x01,
      0xB7, 0x4F, 0xF1, 0x62, 0x53, 0x65, 0x5A, 0xE8,
      0x55, 0x37, 0xE3, 0xA5, 0xBF, 0xD1, 0x59, 0x08,
      0x5A, 0x5A, 0x8E, 0x23, 0xE5, 0xA3, 0xB2, 0x2A },
    { 0x80, 0xF1, 0x54, 0xF2, 0xC8, 0x2D, 0x4F, 0x5E,
      0x8F, 0xB9, 0x6A, 0x63, 0x74, 0xCC, 0x23, 0x10,
      0xEB, 0x14, 0x1B, 0xDC, 0xB1, 0x68, 0x78, 0x7C,
      0xAD, 0x9E, 0xFA, 0x5B, 0x44, 0x07, 0xF3, 0x85 },
};
#define N_WSO2_FINGERPRINTS \
    (sizeof(wso2_fingerprints) / sizeof(wso2_fingerprints[0]))

/*
 * Compose a detail text into the caller's buffer.  Without a usable
 * buffer the static fallback still says what kind of refusal it was, so a
 * careless caller never turns a refusal into an acceptance (NULL).
 */
static const char *say(char *buf, size_t bufsz, const char *fallback,
                       const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static const char *say(char *buf, size_t bufsz, const char *fallback,
                       const char *fmt, ...)
{
    va_list ap;

    if (buf == NULL || bufsz == 0) {
        return fallback;
    }
    va_start(ap, fmt);
    vsnprintf(buf, bufsz, fmt, ap);
    va_end(ap);
    return buf;
}

static const char *version_name(int v)
{
    switch (v) {
    case 0:               return "any";
    case SSL3_VERSION:    return "SSLv3";
    case TLS1_VERSION:    return "TLSv1";
    case TLS1_1_VERSION:  return "TLSv1.1";
    case TLS1_2_VERSION:  return "TLSv1.2";
    case TLS1_3_VERSION:  return "TLSv1.3";
    case DTLS1_VERSION:   return "DTLSv1";
    case DTLS1_2_VERSION: return "DTLSv1.2";
    default:              return NULL;
    }
}

/* TLS 1.3 suites live in the same cipher stack as the older ones; their
 * two-byte IANA code starts with 0x13. */
static int is_tls13_suite(const SSL_CIPHER *c)
{
    return (SSL_CIPHER_get_protocol_id(c) >> 8) == 0x13;
}

/* Whether the TLS 1.2 (or, with tls13 set, the TLS 1.3) part of two
 * cipher stacks lists the same suites in the same order. */
static int same_suites(STACK_OF(SSL_CIPHER) *a, STACK_OF(SSL_CIPHER) *b,
                       int tls13)
{
    int i = 0, j = 0;
    int na = a ? sk_SSL_CIPHER_num(a) : 0;
    int nb = b ? sk_SSL_CIPHER_num(b) : 0;

    for (;;) {
        while (i < na && is_tls13_suite(sk_SSL_CIPHER_value(a, i)) != tls13) {
            i++;
        }
        while (j < nb && is_tls13_suite(sk_SSL_CIPHER_value(b, j)) != tls13) {
            j++;
        }
        if (i >= na || j >= nb) {
            return i >= na && j >= nb;
        }
        if (SSL_CIPHER_get_id(sk_SSL_CIPHER_value(a, i))
            != SSL_CIPHER_get_id(sk_SSL_CIPHER_value(b, j))) {
            return 0;
        }
        i++;
        j++;
    }
}

static void note(char *buf, size_t bufsz, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Append one item to the comma separated "what was tightened" text. */
static void note(char *buf, size_t bufsz, const char *fmt, ...)
{
    size_t used = strlen(buf);
    va_list ap;

    if (used + 3 >= bufsz) {
        return;
    }
    if (used > 0) {
        memcpy(buf + used, ", ", 3);
        used += 2;
    }
    va_start(ap, fmt);
    vsnprintf(buf + used, bufsz - used, fmt, ap);
    va_end(ap);
}

static void note_version(char *buf, size_t bufsz, const char *what,
                         int from, int to)
{
    const char *f = version_name(from), *t = version_name(to);
    char fx[8], tx[8];

    if (f == NULL) {
        snprintf(fx, sizeof(fx), "0x%04x", (unsigned)from & 0xffff);
        f = fx;
    }
    if (t == NULL) {
        snprintf(tx, sizeof(tx), "0x%04x", (unsigned)to & 0xffff);
        t = tx;
    }
    note(buf, bufsz, "%s protocol %s -> %s", what, f, t);
}

int migate_tls_force_ctx(SSL_CTX *ctx, const char **changed)
{
    /* Per thread so that the text stays put for the caller's one notice
     * even if another thread forced another context meanwhile. */
    static _Thread_local char text[256];
    STACK_OF(SSL_CIPHER) *before = NULL;
    long min, max, opts;
    int level;
    int rv = -1;

    text[0] = '\0';
    if (changed) {
        *changed = text;
    }
    if (ctx == NULL) {
        return -1;
    }

    /* Only ever raise the minimum: an operator's TLSv1.3-only setting is
     * stricter than the policy and stays. */
    min = SSL_CTX_get_min_proto_version(ctx);
    if (min < TLS1_2_VERSION) {
        if (!SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION)) {
            goto out;
        }
        note_version(text, sizeof(text), "minimum", (int)min,
                     TLS1_2_VERSION);
    }
    /* A maximum below TLS 1.2 would leave no protocol at all; the policy
     * wins over the weaker setting, as the notice says. */
    max = SSL_CTX_get_max_proto_version(ctx);
    if (max != 0 && max < TLS1_2_VERSION) {
        if (!SSL_CTX_set_max_proto_version(ctx, 0)) {
            goto out;
        }
        note_version(text, sizeof(text), "maximum", (int)max, 0);
    }
    /* The same for the older switches, when they turn off both of the
     * protocols the policy permits. */
    opts = (long)SSL_CTX_get_options(ctx);
    if ((opts & SSL_OP_NO_TLSv1_2) && (opts & SSL_OP_NO_TLSv1_3)) {
        SSL_CTX_clear_options(ctx, SSL_OP_NO_TLSv1_2 | SSL_OP_NO_TLSv1_3);
        note(text, sizeof(text), "protocol options");
    }

    /* Snapshot the suites to tell the operator whether the configured
     * SSLProxyCipherSuite was overridden, and to stay quiet when this
     * runs a second time on the same context. */
    if (SSL_CTX_get_ciphers(ctx) != NULL) {
        before = sk_SSL_CIPHER_dup(SSL_CTX_get_ciphers(ctx));
        if (before == NULL) {
            goto out;
        }
    }
    if (!SSL_CTX_set_cipher_list(ctx, MIGATE_TLS12_CIPHERS)
        || !SSL_CTX_set_ciphersuites(ctx, MIGATE_TLS13_SUITES)) {
        goto out;
    }
    if (!same_suites(before, SSL_CTX_get_ciphers(ctx), 0)) {
        note(text, sizeof(text), "cipher list");
    }
    if (!same_suites(before, SSL_CTX_get_ciphers(ctx), 1)) {
        note(text, sizeof(text), "TLS 1.3 suites");
    }

    /* "@SECLEVEL=0" in SSLProxyCipherSuite would let weak keys and SHA-1
     * handshake signatures through; the cipher list set above does not
     * reset the level, so raise it here, after it. */
    level = SSL_CTX_get_security_level(ctx);
    if (level < MIN_SECLEVEL) {
        SSL_CTX_set_security_level(ctx, MIN_SECLEVEL);
        note(text, sizeof(text), "security level %d -> %d", level,
             MIN_SECLEVEL);
    }
    rv = 0;

out:
    sk_SSL_CIPHER_free(before);
    return rv;
}

const char *migate_tls_judge_suite(int version, const SSL_CIPHER *cipher,
                                   char *buf, size_t bufsz)
{
    const char *name;
    int nid, kx, auth;

    /* Only the TLS family counts: DTLS version numbers count downwards
     * and would otherwise compare as "newer". */
    if (version < TLS1_2_VERSION || (version >> 8) != 0x03) {
        const char *v = version_name(version);
        if (v) {
            return say(buf, bufsz, "protocol below TLSv1.2",
                       "protocol %s below TLSv1.2", v);
        }
        return say(buf, bufsz, "protocol below TLSv1.2",
                   "protocol 0x%04x below TLSv1.2",
                   (unsigned)version & 0xffff);
    }
    if (cipher == NULL) {
        return "no cipher negotiated";
    }
    name = SSL_CIPHER_get_name(cipher);
    nid = SSL_CIPHER_get_cipher_nid(cipher);
    if (!SSL_CIPHER_is_aead(cipher)
        || (nid != NID_aes_128_gcm && nid != NID_aes_256_gcm)) {
        return say(buf, bufsz, "cipher is not AES-GCM",
                   "cipher %s is not AES-GCM", name);
    }

    kx = SSL_CIPHER_get_kx_nid(cipher);
    auth = SSL_CIPHER_get_auth_nid(cipher);
    if (kx == NID_kx_any) {
        /* A TLS 1.3 suite: key exchange is always (EC)DHE there, and
         * the certificate authenticates.  It cannot have been used on an
         * older protocol. */
        if (version < TLS1_3_VERSION) {
            return say(buf, bufsz, "cipher is not forward-secret",
                       "cipher %s is not forward-secret", name);
        }
        return NULL;
    }
    /* Plain RSA and the PSK variants keep no forward secrecy. */
    if (kx != NID_kx_ecdhe && kx != NID_kx_dhe) {
        return say(buf, bufsz, "cipher is not forward-secret",
                   "cipher %s is not forward-secret", name);
    }
    /* Anonymous (EC)DH is forward-secret but proves nothing about MI. */
    if (auth != NID_auth_rsa && auth != NID_auth_ecdsa) {
        return say(buf, bufsz, "cipher is not certificate-authenticated",
                   "cipher %s is not certificate-authenticated", name);
    }
    return NULL;
}

/* Whether one of the organizationName entries of name is "WSO2", in any
 * case and with surrounding blanks ignored. */
static int has_o_wso2(const X509_NAME *name)
{
    int pos = -1;

    if (name == NULL) {
        return 0;
    }
    while ((pos = X509_NAME_get_index_by_NID(name, NID_organizationName,
                                             pos)) >= 0) {
        const X509_NAME_ENTRY *e = X509_NAME_get_entry(name, pos);
        unsigned char *utf8 = NULL;
        int len = ASN1_STRING_to_UTF8(&utf8,
                                      X509_NAME_ENTRY_get_data(e));
        int found = 0;

        if (len >= 0 && utf8 != NULL) {
            const unsigned char *s = utf8, *end = utf8 + len;
            while (s < end && (*s == ' ' || *s == '\t')) {
                s++;
            }
            while (end > s && (end[-1] == ' ' || end[-1] == '\t')) {
                end--;
            }
            found = end - s == 4 && strncasecmp((const char *)s, "WSO2", 4)
                                    == 0;
        }
        OPENSSL_free(utf8);
        if (found) {
            return 1;
        }
    }
    return 0;
}

static int is_self_signed(X509 *x)
{
    return X509_NAME_cmp(X509_get_subject_name(x),
                         X509_get_issuer_name(x)) == 0
        || X509_check_issued(x, x) == X509_V_OK;
}

/* The WSO2 default certificate test alone: NULL or the detail. */
static const char *judge_wso2(X509 *leaf)
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    size_t i;

    if (X509_digest(leaf, EVP_sha256(), md, &mdlen) && mdlen == 32) {
        for (i = 0; i < N_WSO2_FINGERPRINTS; i++) {
            if (memcmp(md, wso2_fingerprints[i], 32) == 0) {
                return "WSO2 default certificate (fingerprint)";
            }
        }
    }
    if (is_self_signed(leaf) && has_o_wso2(X509_get_subject_name(leaf))) {
        return "WSO2 default certificate (self-signed O=WSO2)";
    }
    return NULL;
}

static const char *judge_key(X509 *leaf, char *buf, size_t bufsz)
{
    EVP_PKEY *pkey = X509_get0_pubkey(leaf);
    int bits;

    if (pkey == NULL) {
        return "certificate key unreadable";
    }
    bits = EVP_PKEY_get_bits(pkey);
    switch (EVP_PKEY_get_base_id(pkey)) {
    case EVP_PKEY_RSA:
    case EVP_PKEY_RSA_PSS:
        if (bits < MIN_RSA_BITS) {
            return say(buf, bufsz, "RSA key too small", "RSA key %d bits",
                       bits);
        }
        return NULL;
    case EVP_PKEY_EC:
        if (bits < MIN_EC_BITS) {
            return say(buf, bufsz, "EC key too small", "EC key %d bits",
                       bits);
        }
        return NULL;
    case EVP_PKEY_ED25519:
    case EVP_PKEY_ED448:
        return NULL;
    case EVP_PKEY_DSA:
        return "DSA key";
    default:
        return say(buf, bufsz, "unsupported key type", "%s key",
                   OBJ_nid2sn(EVP_PKEY_get_base_id(pkey)));
    }
}

static const char *judge_signature(X509 *leaf, char *buf, size_t bufsz)
{
    int mdnid = NID_undef, pknid = NID_undef;

    if (!X509_get_signature_info(leaf, &mdnid, &pknid, NULL, NULL)) {
        return "signature algorithm unknown";
    }
    switch (mdnid) {
    case NID_sha256:
    case NID_sha384:
    case NID_sha512:
    case NID_sha512_256:
    case NID_sha3_256:
    case NID_sha3_384:
    case NID_sha3_512:
        return NULL;
    case NID_undef:
        /* EdDSA hashes as part of the algorithm itself. */
        if (pknid == NID_ED25519 || pknid == NID_ED448) {
            return NULL;
        }
        return "signature hash unknown";
    default:
        return say(buf, bufsz, "signature hash too weak",
                   "signature hash %s", OBJ_nid2ln(mdnid));
    }
}

const char migate_tls_host_unchecked[] = "(no request)";

const char *migate_tls_judge_host(X509 *leaf, const char *host, char *buf,
                                  size_t bufsz)
{
    unsigned char addr[16];
    char ip[64];
    size_t len;
    int match;

    if (host == migate_tls_host_unchecked) {
        return NULL;
    }
    if (host == NULL || *host == '\0') {
        return "no backend host name to check";
    }
    /* An IP literal is checked against the iPAddress names only, never
     * as a DNS name that a certificate could carry as text. */
    len = strlen(host);
    if (host[0] == '[' && len > 2 && host[len - 1] == ']'
        && len - 2 < sizeof(ip)) {
        memcpy(ip, host + 1, len - 2);
        ip[len - 2] = '\0';
    }
    else if (len < sizeof(ip)) {
        memcpy(ip, host, len + 1);
    }
    else {
        ip[0] = '\0';
    }
    if (inet_pton(AF_INET, ip, addr) == 1
        || inet_pton(AF_INET6, ip, addr) == 1) {
        match = X509_check_ip_asc(leaf, ip, 0);
    }
    else {
        /* Partial wildcards ("mi*.example.com") are what no public CA
         * may issue any more; refuse them rather than guess. */
        match = X509_check_host(leaf, host, 0,
                                X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS, NULL);
    }
    if (match != 1) {
        return say(buf, bufsz, "certificate not valid for host",
                   "certificate not valid for host %s", host);
    }
    return NULL;
}

const char *migate_tls_judge_cert(X509 *leaf, const char *host, char *buf,
                                  size_t bufsz)
{
    const char *why;

    if (leaf == NULL) {
        return "no peer certificate";
    }
    /* The WSO2 default first: it names the real problem, which a weak key
     * or a host name mismatch on the same certificate would hide. */
    if ((why = judge_wso2(leaf)) != NULL
        || (why = judge_key(leaf, buf, bufsz)) != NULL
        || (why = judge_signature(leaf, buf, bufsz)) != NULL
        || (why = migate_tls_judge_host(leaf, host, buf, bufsz)) != NULL) {
        return why;
    }
    return NULL;
}

/* Chain errors of X509_verify_cert that come from the security level
 * (a weak key or signature digest somewhere in the chain): the key and
 * signature checks of the leaf name them better when the leaf is the
 * culprit. */
static int is_strength_error(long verify)
{
    return verify == X509_V_ERR_EE_KEY_TOO_SMALL
        || verify == X509_V_ERR_CA_KEY_TOO_SMALL
        || verify == X509_V_ERR_CA_MD_TOO_WEAK;
}

const char *migate_tls_judge_chain(X509 *leaf, long verify,
                                   const char *host, char *buf,
                                   size_t bufsz)
{
    const char *why;

    if (leaf == NULL) {
        return "no peer certificate";
    }
    /* Before the chain: the shipped self-signed default fails to verify,
     * or verifies because someone trusted it, and either way the WSO2
     * default is what the operator has to fix. */
    why = judge_wso2(leaf);
    if (why == NULL && verify != X509_V_OK) {
        if (is_strength_error(verify)
            && (why = judge_key(leaf, buf, bufsz)) == NULL) {
            why = judge_signature(leaf, buf, bufsz);
        }
        if (why == NULL) {
            why = say(buf, bufsz, "certificate verify failed",
                      "certificate verify failed: %s",
                      X509_verify_cert_error_string(verify));
        }
    }
    if (why == NULL) {
        why = migate_tls_judge_cert(leaf, host, buf, bufsz);
    }
    return why;
}

const char *migate_tls_judge(SSL *ssl, const char *host, char *buf,
                             size_t bufsz)
{
    const char *why;
    X509 *leaf;

    if (ssl == NULL) {
        return "no TLS session";
    }
    why = migate_tls_judge_suite(SSL_version(ssl),
                                 SSL_get_current_cipher(ssl), buf, bufsz);
    if (why != NULL) {
        return why;
    }
    leaf = SSL_get1_peer_certificate(ssl);
    if (leaf == NULL) {
        return "no peer certificate";
    }
    /* mod_ssl may run with SSLProxyVerify none; OpenSSL verifies the
     * chain all the same and records the outcome here. */
    why = migate_tls_judge_chain(leaf, SSL_get_verify_result(ssl), host,
                                 buf, bufsz);
    X509_free(leaf);
    return why;
}
